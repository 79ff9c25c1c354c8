//! The live workloads of `fixtures/workloads/` (issue 16), end to end: a
//! reduced copy of each workload's own data (`schema_data.sql` at
//! `-v scale=…`), its own pgbench traffic to fill pg_stat_statements, then
//! `dbperf analyze --db --format json`. dbperf must propose every index of
//! the DBA's set (`dba.sql`), none of `avoid.sql` (both committed before
//! dbperf was first run on the workload, and read here, not restated), and
//! every statement it proposes must run on the database.
//!
//! Indexes are compared as `benches/index_advice.py compare` does: table,
//! access method, keys (with operator classes) and predicate; names,
//! `CONCURRENTLY`, `IF NOT EXISTS` and `INCLUDE` are ignored.
//!
//! The data is loaded once into `advice_wl_<domain>_tpl`, rebuilt when the
//! script or the scale changes (the database's comment holds their hash),
//! and copied for each run, so a run's pg_stat_statements entries are the
//! traffic's only. Needs `psql` and `pgbench` on the PATH, HypoPG and
//! pg_trgm installed, pg_stat_statements preloaded.

mod common;

use std::process::Command;

use serde_json::Value;

use common::index_set::{IndexKey, alternatives, expected, index_key, listing, proposed};

/// One tenth of the benchmark's size: a million-row table becomes 100,000
/// rows, still large enough that a sequential scan loses to each index
/// of the DBA's set, and loads in well under a minute.
const SCALE: &str = "0.1";
/// pgbench transactions: every script runs at least once (the weights
/// are 10, 10, 3 and 1; the clinic's 10, 6, 3 and 1; learning's 10, 4
/// and 1; recruiting's 10, 6, 3 and 1; payments' 10, 6, 4, 3 and 1; airline's 10, 8,
/// 4, 3 and 1; library's 10, 8, 3 and 1).
const TXNS: &str = "40";

#[test]
fn helpdesk_gets_the_dba_set() {
    workload("helpdesk");
}

#[test]
fn telemetry_gets_the_dba_set() {
    workload("telemetry");
}

#[test]
fn rentals_gets_the_dba_set() {
    workload("rentals");
}

#[test]
fn shipping_gets_the_dba_set() {
    workload("shipping");
}

#[test]
fn clinic_gets_the_dba_set() {
    workload("clinic");
}

#[test]
fn learning_gets_the_dba_set() {
    workload("learning");
}

#[test]
fn recruiting_gets_the_dba_set() {
    workload("recruiting");
}

#[test]
fn community_gets_the_dba_set() {
    workload("community");
}

#[test]
fn payments_gets_the_dba_set() {
    workload("payments");
}

#[test]
fn airline_gets_the_dba_set() {
    workload("airline");
}

#[test]
fn library_gets_the_dba_set() {
    workload("library");
}

/// The fingerprints of the statements whose range bounds dbperf's notes
/// say did not show in pg_stat_activity (`#n` is the rank in `queries`).
fn guessed_ranges(report: &Value) -> Vec<String> {
    let queries = report["queries"].as_array().cloned().unwrap_or_default();
    report["notes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_str())
        .filter_map(|n| n.strip_prefix("the range bounds of statement(s) "))
        .filter_map(|n| n.split_once(" did not show in pg_stat_activity"))
        .flat_map(|(ranks, _)| ranks.split(", "))
        .filter_map(|r| r.trim_start_matches('#').parse::<usize>().ok())
        .filter_map(|r| queries.get(r.checked_sub(1)?)?["fingerprint"].as_str())
        .map(str::to_string)
        .collect()
}

fn workload(domain: &str) {
    let test = format!("{domain}_gets_the_dba_set");
    let Some(base) = common::pg_url(&test) else {
        return;
    };
    let dir = common::fixture(&format!("workloads/{domain}"));
    let db = format!("advice_wl_{domain}");
    let url = common::with_dbname(&base, &db);
    load(&base, domain, &db);

    // Entries pg_stat_statements evicted (full, it drops its least-used
    // ones, a report run once among them): counted around the run, so a
    // miss they cause says so.
    let evicted = || {
        psql(
            &url,
            &["-Atc", "SELECT dealloc FROM pg_stat_statements_info"],
        )
        .trim()
        .parse::<i64>()
        .unwrap_or(0)
    };
    let evicted_before = evicted();
    // The traffic, as benches/index_advice.sh drives it.
    let pgbench = |txns: &str, seed: &str| {
        let mut c = Command::new("pgbench");
        c.args(["-n", "-c", "1", "-t", txns, "--random-seed", seed, "-D"]);
        c.arg(format!("scale={SCALE}"));
        let weights = std::fs::read_to_string(dir.join("weights")).unwrap();
        for line in weights.lines() {
            if let Some((file, weight)) = line.split_once(' ') {
                c.arg("-f")
                    .arg(format!("{}@{}", dir.join(file).display(), weight.trim()));
            }
        }
        c.arg(&url);
        c
    };
    let out = pgbench(TXNS, "16").output().expect("pgbench on the PATH");
    assert!(
        out.status.success(),
        "pgbench: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // dbperf runs as against staging, with the traffic running (its
    // statements' constants are read from pg_stat_activity); the
    // background traffic is stopped when dbperf is done.
    let mut traffic = pgbench("100000", "7")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("pgbench on the PATH");
    // dbperf starts once the traffic has sent its first statement, as
    // against an application already running.
    let query = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = '{db}' AND application_name = 'pgbench' AND query <> ''"
    );
    for _ in 0..100 {
        if psql(&url, &["-Atc", &query]).trim() != "0" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let stdout =
        common::stdout_of(common::dbperf().args(["analyze", "--db", &url, "--format", "json"]));
    let _ = traffic.kill();
    let _ = traffic.wait();
    let evictions = evicted() - evicted_before;
    let report: Value = serde_json::from_slice(&stdout).unwrap();
    let indexes = report["indexes"].as_array().unwrap();
    let proposed = proposed(&report);
    let listing = listing(&proposed);

    // Whether every statement's constants inside indexed expressions were
    // seen in pg_stat_activity (else dbperf says which it assumed).
    let seen = !report["notes"].as_array().unwrap().iter().any(|n| {
        n.as_str()
            .unwrap_or_default()
            .contains("were not seen running")
    });
    let dba = expected(&dir.join("dba.sql"));
    let alternatives = alternatives(&dir.join("alternatives.sql"));
    let missed: Vec<&String> = dba
        .iter()
        .filter(|(k, _)| {
            !proposed.iter().any(|(p, _)| {
                p == k
                    || (!seen && same_but_configuration(k, p))
                    || alternatives.iter().any(|(alt, of)| of == k && alt == p)
            })
        })
        .map(|(_, s)| s)
        .collect();
    // Every miss must be an open gap written down below: one more is a
    // regression. A gap may close on one run and not another (its index
    // sits near the threshold at this reduced size): said, not failed.
    let gaps: Vec<&str> = KNOWN_GAPS
        .iter()
        .filter(|(d, _)| *d == domain)
        .map(|(_, s)| *s)
        .collect();
    let missed: Vec<&str> = missed.iter().map(|s| s.as_str()).collect();
    for g in &gaps {
        if missed.contains(g) {
            eprintln!("{domain}: known gap, not proposed yet: {g}");
        } else {
            eprintln!("{domain}: known gap proposed on this run: {g}");
        }
    }
    let regressions: Vec<&&str> = missed.iter().filter(|m| !gaps.contains(m)).collect();
    assert!(
        regressions.is_empty(),
        "{domain}: the DBA's indexes not proposed: {regressions:?} (known gaps: {gaps:?}; pg_stat_statements evicted entries {evictions} times during the run)\n\ndbperf proposed:\n{listing}\n\nnotes: {}",
        report["notes"]
    );
    let avoid = expected(&dir.join("avoid.sql"));
    let measured: Vec<IndexKey> = MEASURED_WRONG_AVOIDS
        .iter()
        .filter(|(d, _)| *d == domain)
        .filter_map(|(_, s)| index_key(s))
        .collect();
    // Statements whose range bounds dbperf did not see running (it says
    // so, and planned them with PostgreSQL's default share of the rows).
    // An index that would end HOT updates is judged at every share of the
    // rows then (benches/GUESSED_RANGES.md): proposed, it fails. Any other
    // index judged on that guess alone is said, not failed (an open gap:
    // clinic's no-show report, two bounds unseen, makes appointments
    // (starts_at) look like 0.5 % of the table, as with the text search
    // configuration above).
    let guessed = guessed_ranges(&report);
    let known_wrong: Vec<IndexKey> = KNOWN_WRONG
        .iter()
        .filter(|(d, _)| *d == domain)
        .filter_map(|(_, s)| index_key(s))
        .collect();
    let wrong: Vec<&String> = proposed
        .iter()
        .zip(indexes)
        .filter(|((p, s), entry)| {
            if !avoid.iter().any(|(k, _)| k == p) || measured.contains(p) {
                return false;
            }
            if known_wrong.contains(p) {
                eprintln!("{domain}: known wrong proposal, proposed on this run: {s}");
                return false;
            }
            let on_guess = entry["queries"].as_array().is_some_and(|q| {
                !q.is_empty()
                    && q.iter()
                        .all(|f| f.as_str().is_some_and(|f| guessed.iter().any(|g| g == f)))
            });
            let ends_hot = entry["write"]["hot_lost"].as_u64().is_some_and(|n| n > 0);
            if on_guess && !ends_hot {
                eprintln!("{domain}: proposed on a range share dbperf did not see: {s}");
            }
            !on_guess || ends_hot
        })
        .map(|((_, s), _)| s)
        .collect();
    assert!(
        wrong.is_empty(),
        "{domain}: proposed indexes the DBA would not build: {wrong:?}"
    );

    // An index that serves a statement only once it is rewritten is not in
    // the ranked list (the statement as it runs gains nothing from it),
    // unless the list has it for other statements; then the rewrite points
    // to its rank.
    let rewrites = report["rewrites"].as_array().cloned().unwrap_or_default();
    for r in &rewrites {
        let index = r["index"].as_str().unwrap();
        match r["index_rank"].as_u64() {
            Some(n) => assert_eq!(
                indexes[n as usize - 1]["statement"].as_str(),
                Some(index),
                "{domain}: {r}"
            ),
            None => assert!(
                !indexes
                    .iter()
                    .any(|i| i["statement"].as_str() == Some(index)),
                "{domain}: {index} is both ranked and a rewrite's"
            ),
        }
        assert!(
            !r["predicates"].as_array().unwrap().is_empty(),
            "{domain}: {r}"
        );
    }

    // Every statement runs as printed, its prerequisites first (a
    // rewrite's index too).
    for i in indexes.iter().chain(
        rewrites
            .iter()
            .filter(|r| r["index_rank"].is_null())
            .map(|r| &r["index"]),
    ) {
        if i.is_string() {
            psql(&url, &["-c", i.as_str().unwrap()]);
            continue;
        }
        let requires = i["requires"].as_array().cloned().unwrap_or_default();
        for s in requires
            .iter()
            .map(|r| r.as_str().unwrap())
            .chain([i["statement"].as_str().unwrap()])
        {
            psql(&url, &["-c", s]);
        }
    }
}

/// DBA indexes dbperf does not always propose yet: open work of issue 16,
/// not exceptions of the reduced size, as `(domain, dba.sql line)`.
///
/// Since the watch looks every 20 ms, ends on stillness only and reads a
/// statement's LIMIT (762a393 and before it), the gaps below that depend
/// on a constant read from pg_stat_activity (rentals' pending bookings,
/// recruiting's three, payments' webhook queue and `customers (phone)`,
/// airline's held bookings) were proposed on each of four full runs of
/// this file; they stay here, said and not failed, until more runs show
/// them stable.
/// - rentals `bookings (created_at) WHERE status = 'pending'`: the
///   statement says `status = $1` once pg_stat_statements has normalized
///   it; dbperf reads the value back from pg_stat_activity (a column
///   dominated by one value), but the statement is a report run about once
///   in 25 transactions: when it does not run while dbperf watches, the
///   rare value the partial index needs is not known, and dbperf proposes
///   `(status, created_at)`, as fast and 40 times larger.
///
/// - recruiting `jobs (((salary_min + salary_max) / 2)) WHERE status =
///   'open'`: pg_stat_statements turns the expression's constant into a
///   parameter (`/ $2`), and `status = 'open'` into `status = $1`; the
///   ORDER BY expression is an index key once both are read from
///   pg_stat_activity, which happens only when the statement runs while
///   dbperf watches (proposed, as the DBA wrote it, on such runs).
///
/// - recruiting `applications (company_id, applied_at) WHERE stage =
///   'new'`: the triage queue sends `stage = 'new'`, which
///   pg_stat_statements shows as `stage = $2`; the partial index needs the
///   value read back from pg_stat_activity while the traffic runs. When the
///   statement is not caught there, dbperf proposes `(company_id, stage,
///   applied_at)`, as fast and larger: so on one of six full runs of the
///   suite on 6 December (CI at 7f4baca); three runs of this test alone
///   right after proposed the partial index.
///
/// - recruiting `interviews (interviewer_id, scheduled_at)`: it replaces
///   the shipped `(interviewer_id)`, which already finds an interviewer's
///   ~156 interviews; at the tenth the week's query saves ~0.4 ms a call,
///   near the share of the best index's score under which dbperf shows
///   nothing (proposed on five runs of seven).
///
/// - payments `customers (phone)`: the second branch of an OR, missed on
///   one full-size run of two. (`refunds (payment_id)`, `disputes
///   (payment_id)`, `payouts (merchant_id, created_at)` and `terminals
///   ((upper(serial)))`, a fraction of a percent of the workload's time
///   each, were gaps while `analyze --db` planned only the top 20
///   statements; it plans the top 100 now, and they are required.)
///
/// - payments `payout_items (payment_id)`: proposed as `(payment_id,
///   payout_id)`, the join's other column as a key where an INCLUDE would
///   do (the comparison ignores INCLUDE, not key columns); the same plans.
///
/// - payments `webhook_deliveries (next_attempt_at) WHERE status =
///   'pending'`: the plain `(next_attempt_at)` is proposed for the queue
///   taken `FOR UPDATE SKIP LOCKED` inside an UPDATE's `IN (SELECT …)`;
///   the partial index on one full-size run of two. Not investigated.
///
/// - airline `bookings (agency_id, booked_at, id)`: the keyset page of an
///   agency's bookings. At the tenth an agency has at most ~820 bookings
///   and most calls are for small ones (agencies are picked skewed, as the
///   data), so `(agency_id)` alone, chosen first, leaves a top-N sort of a
///   few hundred rows; the wider index then saves 0.3–0.4 ms over the run,
///   under the 1 ms an index must save in the set. At full size the big
///   agencies have ~8,000 bookings each and the page needs it.
///
/// - airline `bookings (hold_expires_at) WHERE status = 'held'`: as
///   rentals' pending bookings, `status = $1` in pg_stat_statements; when
///   the hold queue's statements do not run while dbperf watches
///   pg_stat_activity, the rare value is not known and the plain
///   `(hold_expires_at)` is proposed (the partial index on one run of two).
///
/// Closed: library `holds (title_id, status, placed_at)` (the holds
/// queue: its `ORDER BY placed_at LIMIT $4` was taken as a hundred rows,
/// for which the order is worth nothing, so `(title_id) WHERE status =
/// 'waiting'` was proposed; the LIMIT is now read from pg_stat_activity
/// with the statement's other constants, and the DBA's equivalent `(title_id,
/// placed_at) WHERE status = 'waiting'` is proposed, 3 runs of 3).
/// Closed: library `loans (due_at) WHERE returned_at IS NULL` (the
/// overdue queue; proposed since a rare `col IS NULL` beside another
/// condition or an order is no longer a key of a full index, so the full
/// `loans (returned_at)` of avoid.sql, which had taken its place, is gone).
/// Closed: learning `submissions USING brin (submitted_at)` (a report's
/// `submitted_at >= timestamptz $1`, its bound often not seen running: a
/// lower bound alone on a column in arrival order is now planned for the
/// newest tenth of its values, not PostgreSQL's third), `ticket_watchers
/// (agent_id)` (a filter on one side of a join, now judged as a join key
/// is) and `devices (serial text_pattern_ops)` (dropped as served by the
/// plain UNIQUE index on `serial`).
const KNOWN_GAPS: &[(&str, &str)] = &[
    (
        "rentals",
        "CREATE INDEX ON rentals.bookings (created_at) WHERE status = 'pending';",
    ),
    (
        "recruiting",
        "CREATE INDEX ON recruiting.applications (company_id, applied_at) WHERE stage = 'new';",
    ),
    (
        "recruiting",
        "CREATE INDEX ON recruiting.interviews (interviewer_id, scheduled_at);",
    ),
    (
        "recruiting",
        "CREATE INDEX ON recruiting.jobs (((salary_min + salary_max) / 2)) WHERE status = 'open';",
    ),
    ("payments", "CREATE INDEX ON payments.customers (phone);"),
    (
        "payments",
        "CREATE INDEX ON payments.payout_items (payment_id);",
    ),
    (
        "payments",
        "CREATE INDEX ON payments.webhook_deliveries (next_attempt_at) WHERE status = 'pending';",
    ),
    (
        "airline",
        "CREATE INDEX ON airline.bookings (agency_id, booked_at, id);",
    ),
    (
        "airline",
        "CREATE INDEX ON airline.bookings (hold_expires_at) WHERE status = 'held';",
    ),
];

/// Indexes of an `avoid.sql` that dbperf still proposes on some runs:
/// open work of issue 16, said and not failed, as `(domain, avoid.sql
/// line)`. Any other index of the list fails the test.
/// - learning `learners (country)`: the report run once in fifteen
///   transactions keeps a quarter of the table by country; the DBA expects
///   a sequential scan, HypoPG finds a bitmap scan cheaper. The cost
///   model's covering variant `(country) INCLUDE (created_at,
///   last_seen_at)` no longer stands (every learner transaction's UPDATE
///   sets `last_seen_at`: the INCLUDE is left out, with a note), but the
///   plain key is still proposed on some runs.
/// - community `users (last_seen_at)`: every app request's heartbeat sets
///   it, and the index would end those HOT updates, to speed a report run
///   in one transaction of ten. dbperf holds it back when the write cost of
///   the lost HOT updates reaches half of the report's saving; at this
///   reduced size the two sit close (4.5 ms against 9.1 on one run, 5.4
///   against 5.8 on another), so it is proposed on some runs. The write
///   cost counts the table's existing indexes only, not the three the same
///   set adds to `users`, which those updates would write too.
/// - airline `seat_maps (flight_id, status)`: seats left by cabin, `flight_id
///   = $1 AND status = 'free'`, which the primary key `(flight_id,
///   seat_no)` serves; `status` is what every seat taken sets. dbperf
///   prices the saving as the statement's measured mean time times the
///   share of planner cost the index saves (0.23 ms a call on the run of 6
///   December, 19.0 ms over 83 calls, against 4.9 ms of writes for 38 HOT
///   updates lost), so it is proposed on some runs (CI's of 6 December;
///   two of four with heavy16). Measured on a copy of the test's database
///   (8,000 calls each, a helper's tests running): 0.126–0.149 ms a count
///   without it, 0.088–0.165 with it; the seat updates' HOT share 78 % → 0.
///   The saving is within the noise, and the DBA's call stands.
const KNOWN_WRONG: &[(&str, &str)] = &[
    ("learning", "CREATE INDEX ON learning.learners (country);"),
    (
        "community",
        "CREATE INDEX ON community.users (last_seen_at);",
    ),
    (
        "airline",
        "CREATE INDEX ON airline.seat_maps (flight_id, status);",
    ),
];

/// Indexes of an `avoid.sql` that the benchmark measured as worth
/// building after all (`benches/INDEX_ADVICE.md`): the DBA's judgement was
/// wrong, the file keeps it as written.
/// - rentals `listings (bedrooms)`: the DBA expected a sequential scan for
///   `count(*) … WHERE active AND bedrooms = $1` (a fifth of the rows);
///   dbperf's index on both columns answers the count from the index:
///   13.3 ms → 0.65 ms a call on the full-size run of 3 December 2026.
const MEASURED_WRONG_AVOIDS: &[(&str, &str)] =
    &[("rentals", "CREATE INDEX ON rentals.listings (bedrooms);")];

/// The one written exception, taken only when dbperf's notes say a
/// statement's constants were not seen: a full-text GIN index whose
/// `to_tsvector(config, col)` differs only in the configuration. The
/// workloads pass it as a constant (`'simple'`), which pg_stat_statements
/// turns into `$1`; dbperf reads it back from pg_stat_activity while the
/// traffic runs, and when the statement did not run while it looked,
/// builds the index for the role's or the server's
/// `default_text_search_config` and says so in its reason. The table,
/// method, column and function must still match.
fn same_but_configuration(dba: &IndexKey, proposed: &IndexKey) -> bool {
    let strip = |k: &str| -> Option<String> {
        let rest = k.strip_prefix("to_tsvector('")?;
        let (_, col) = rest.split_once("',")?;
        Some(col.to_string())
    };
    dba.0 == proposed.0
        && dba.1 == proposed.1
        && dba.3 == proposed.3
        && dba.2.len() == 1
        && proposed.2.len() == 1
        && strip(&dba.2[0]).is_some_and(|c| strip(&proposed.2[0]) == Some(c))
}

/// Builds the template (when its comment is not the hash of the script
/// and scale) and copies it to `db`.
fn load(base: &str, domain: &str, db: &str) {
    let script = common::fixture(&format!("workloads/{domain}/schema_data.sql"));
    let text = std::fs::read_to_string(&script).unwrap();
    // FNV-1a of the script and the scale: stable across Rust versions.
    let hash = format!(
        "{:016x}",
        text.bytes()
            .chain(SCALE.bytes())
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b))
                .wrapping_mul(0x0100_0000_01b3))
    );
    let tpl = format!("{db}_tpl");
    let admin = common::with_dbname(base, "postgres");
    let have = psql(
        &admin,
        &[
            "-Atc",
            &format!(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '{tpl}'"
            ),
        ],
    );
    if have.trim() != hash {
        // Built under another name and renamed when complete, so a
        // half-loaded template is never taken for a finished one.
        let build = format!("{tpl}_build");
        psql(
            &admin,
            &[
                "-c",
                &format!("DROP DATABASE IF EXISTS {build}"),
                "-c",
                &format!("CREATE DATABASE {build}"),
            ],
        );
        let build_url = common::with_dbname(base, &build);
        psql(
            &build_url,
            &[
                "-o",
                "/dev/null",
                "-v",
                &format!("scale={SCALE}"),
                "-f",
                script.to_str().unwrap(),
            ],
        );
        psql(
            &build_url,
            &[
                "-c",
                "CREATE EXTENSION IF NOT EXISTS pg_stat_statements",
                "-c",
                "CREATE EXTENSION IF NOT EXISTS hypopg",
            ],
        );
        psql(
            &admin,
            &[
                "-c",
                &format!("DROP DATABASE IF EXISTS {tpl}"),
                "-c",
                &format!("ALTER DATABASE {build} RENAME TO {tpl}"),
                "-c",
                &format!("COMMENT ON DATABASE {tpl} IS '{hash}'"),
            ],
        );
    }
    psql(
        &admin,
        &[
            "-c",
            &format!("DROP DATABASE IF EXISTS {db}"),
            "-c",
            &format!("CREATE DATABASE {db} TEMPLATE {tpl}"),
        ],
    );
}

/// Runs psql on `url`, stops on the first error; its standard output.
fn psql(url: &str, args: &[&str]) -> String {
    let out = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url])
        .args(args)
        .env("PGOPTIONS", "-c client_min_messages=warning")
        .output()
        .expect("psql on the PATH");
    assert!(
        out.status.success(),
        "psql {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn index_keys_ignore_names_quotes_and_include() {
    let a = index_key(
        "CREATE INDEX CONCURRENTLY tickets_x ON \"helpdesk\".\"tickets\" (\"created_at\") INCLUDE (id) WHERE (assignee_id IS NULL);",
    );
    let b = index_key("CREATE INDEX ON helpdesk.tickets (created_at) WHERE assignee_id IS NULL;");
    assert_eq!(a, b);
    assert_eq!(
        index_key("CREATE INDEX ON helpdesk.comments USING gin ((to_tsvector('english', body)))"),
        index_key("create index on helpdesk.comments using GIN (to_tsvector('english', body))")
    );
    assert_eq!(
        index_key("CREATE INDEX ON t.a ((lower(name)) text_pattern_ops)"),
        index_key("CREATE INDEX ON t.a (lower(name) text_pattern_ops)")
    );
    assert_ne!(
        index_key("CREATE INDEX ON t.a ((lower(name)) text_pattern_ops)"),
        index_key("CREATE INDEX ON t.a ((lower(name)))")
    );
    assert_ne!(
        index_key("CREATE INDEX ON helpdesk.customers (handle text_pattern_ops)"),
        index_key("CREATE INDEX ON helpdesk.customers (handle)")
    );
    let simple =
        index_key("CREATE INDEX ON t.a USING gin (to_tsvector('simple', message))").unwrap();
    let english =
        index_key("CREATE INDEX ON t.a USING gin ((to_tsvector('english', message)))").unwrap();
    let other =
        index_key("CREATE INDEX ON t.a USING gin ((to_tsvector('english', body)))").unwrap();
    assert!(same_but_configuration(&simple, &english));
    assert!(!same_but_configuration(&simple, &other));
}
