//! Every `CREATE INDEX` that `dbperf lint` proposes runs on the real
//! PostgreSQL once the migrations it read have been applied there: each
//! fixture set goes into a database of its own (created and dropped here),
//! statement by statement as its tool would run it, then every proposed
//! statement is executed.

use dbperf::analysis::lint::{LintOptions, lint, read_queries};
use dbperf::detect::Location;
use dbperf::source::migrations::{self, MigrationFile, Order};
use dbperf::sql::split::split;

mod common;
use common::{connect, fixture, pg_url};

/// (fixture, queries file)
const SETS: &[(&str, Option<&str>)] = &[
    ("flyway", Some("queries/flyway_app.sql")),
    ("golang-migrate", None),
    ("sqlx", None),
    ("dbmate", None),
    ("goose", None),
    ("prisma", None),
    ("diesel", None),
    ("plain", None),
    ("clean", None),
    ("django/migrations", None),
    ("pg_dump/schema.sql", None),
];

#[tokio::test(flavor = "current_thread")]
async fn proposed_indexes_run_on_postgres() {
    let Some(url) = pg_url("proposed_indexes_run_on_postgres") else {
        return;
    };
    let admin = connect(&url).await;
    let root = fixture("migrations");
    let mut proposed = 0;
    for (i, (set, queries)) in SETS.iter().enumerate() {
        let paths =
            migrations::discover(&[root.join(set)], Order::Auto, &Default::default()).unwrap();
        let files: Vec<MigrationFile> =
            paths.iter().map(|p| migrations::read(p).unwrap()).collect();
        let queries = queries.map(|q| read_queries(&root.join(q)).unwrap());
        let outcome = lint(&files, queries.as_ref(), None, &LintOptions::default());
        assert!(outcome.problems.is_empty(), "{set}: {:?}", outcome.problems);

        let db = format!("dbperf_lint_{i}");
        let client = connect(&common::fresh_database(&admin, &url, &db).await).await;
        for f in &files {
            for raw in split(&f.text) {
                if raw.text.is_empty() {
                    continue;
                }
                if let Err(e) = client.batch_execute(raw.text).await {
                    panic!("{set}: {}:{}: {e:?}\n{}", f.path, raw.line, raw.text);
                }
            }
        }
        // Outside any transaction, as the fixes say.
        let _ = client.batch_execute("ROLLBACK").await;
        for finding in &outcome.findings {
            if finding.advice.starts_with("CREATE INDEX") {
                proposed += 1;
                // A fix of the migration's own CREATE INDEX replaces that
                // statement: the index it built goes first, as it would not
                // exist had the migration used the fix.
                if let Some(name) = index_name(&finding.advice) {
                    client
                        .batch_execute(&format!("DROP INDEX IF EXISTS {name}"))
                        .await
                        .unwrap();
                }
                if let Err(e) = client.batch_execute(&finding.advice).await {
                    panic!("{set}: {} failed: {e:?}", finding.advice);
                }
            }
        }
        drop(client);
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
            .await
            .unwrap();
    }
    assert!(proposed >= 10, "only {proposed} proposals were run");
}

/// The index a `CREATE [UNIQUE] INDEX [CONCURRENTLY] name ON …` builds.
fn index_name(statement: &str) -> Option<&str> {
    let mut words = statement.split_whitespace();
    words.find(|w| w.eq_ignore_ascii_case("INDEX"))?;
    words.find(|w| !w.eq_ignore_ascii_case("CONCURRENTLY"))
}

/// On partitioned tables the fixes are what PostgreSQL accepts: the index
/// sequence (ON ONLY the parent, CONCURRENTLY on each partition, ATTACH)
/// leaves a valid index on every partition, two levels deep; a primary key
/// with the partition key runs where the one without is refused; and the
/// statements the error findings name are refused indeed.
#[tokio::test(flavor = "current_thread")]
async fn partitioned_table_fixes_run_on_postgres() {
    let Some(url) = pg_url("partitioned_table_fixes_run_on_postgres") else {
        return;
    };
    let init = "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, kind text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);\n\
        CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');\n\
        CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01') PARTITION BY RANGE (at);\n\
        CREATE TABLE events_2024_h1 PARTITION OF events_2024 FOR VALUES FROM ('2024-01-01') TO ('2024-07-01');\n\
        CREATE TABLE events_2024_h2 PARTITION OF events_2024 FOR VALUES FROM ('2024-07-01') TO ('2025-01-01');\n";
    let index = "CREATE INDEX events_kind_idx ON events (kind);";
    let concurrent = "CREATE INDEX CONCURRENTLY events_at_idx ON events (at);";
    let keyless =
        "CREATE TABLE visits (id bigint PRIMARY KEY, at date NOT NULL) PARTITION BY RANGE (at);";
    let file = |path: &str, text: &str| MigrationFile {
        path: path.to_string(),
        text: text.to_string(),
        implicit_transaction: false,
        transaction_opt_out: None,
    };
    let files = [
        file("0001_init.sql", init),
        file(
            "0002_index.sql",
            &format!("{index}\n{concurrent}\n{keyless}\n"),
        ),
    ];
    let outcome = lint(&files, None, None, &LintOptions::default());
    let advice = |rule: &str, line: usize| {
        outcome
            .findings
            .iter()
            .find(|f| {
                f.rule == rule
                    && matches!(&f.location, Some(Location::File { line: l, path, .. }) if *l == line && path == "0002_index.sql")
            })
            .unwrap_or_else(|| panic!("no {rule} at line {line}: {:#?}", outcome.findings))
            .advice
            .clone()
    };
    let index_fix = advice("non-concurrent-index", 1);
    let concurrent_fix = advice("non-concurrent-index", 2);
    let key_fix = advice("unique-without-partition-key", 3);
    assert!(
        !outcome.findings.iter().any(|f| f.rule == "no-primary-key"),
        "partitions have their parent's key: {:#?}",
        outcome.findings
    );
    assert!(!index_fix.contains("CONCURRENTLY events_kind_idx ON events "));

    let db = "dbperf_lint_partitions";
    let admin = connect(&url).await;
    let client = connect(&common::fresh_database(&admin, &url, db).await).await;
    client.batch_execute(init).await.unwrap();
    // What the findings say PostgreSQL refuses, it refuses.
    for refused in [concurrent, keyless] {
        let e = client.batch_execute(refused).await.unwrap_err();
        assert!(
            e.as_db_error().is_some(),
            "{refused}: not a database error: {e:?}"
        );
    }
    // The fixes run, one statement at a time as a migration tool outside a
    // transaction would, and leave valid indexes on every partition.
    for fix in [&index_fix, &concurrent_fix] {
        for raw in split(fix) {
            if !raw.text.is_empty()
                && let Err(e) = client.batch_execute(raw.text).await
            {
                panic!("{} failed: {e:?}\n{fix}", raw.text);
            }
        }
    }
    for name in ["events_kind_idx", "events_at_idx"] {
        let rows = client
            .query(
                "SELECT c.relname::text, i.indisvalid FROM pg_inherits h JOIN pg_index i ON i.indexrelid = h.inhrelid JOIN pg_class c ON c.oid = i.indrelid WHERE h.inhparent = $1::text::regclass \
                 UNION ALL SELECT c.relname::text, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE i.indexrelid = $1::text::regclass",
                &[&name],
            )
            .await
            .unwrap();
        let mut got: Vec<(String, bool)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        got.sort();
        assert_eq!(
            got,
            [
                ("events".to_string(), true),
                ("events_2023".to_string(), true),
                ("events_2024".to_string(), true)
            ],
            "{name}"
        );
    }
    client
        .batch_execute(
            "CREATE TABLE visits (id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at)",
        )
        .await
        .unwrap();
    client.batch_execute(&key_fix).await.unwrap();
    drop(client);
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .await
        .unwrap();
}
