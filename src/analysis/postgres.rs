//! `dbperf analyze --db postgres://…`: live analysis of a PostgreSQL
//! database, read-only.
//!
//! The pipeline: open a read-only session ([`crate::source::postgres`]);
//! read the catalog, statistics and activity counters into the model; read
//! pg_stat_statements (or, with `--snapshot`, its delta since the previous
//! snapshot); fold it by fingerprint and rank by total time; plan the top
//! statements (generic plans for `$n` parameters) and run the plan rules on
//! them; run the workload advisor over them; verify each candidate with
//! HypoPG when it is there ([`crate::advise::hypopg`]); run the schema
//! rules; report. A statement that cannot be planned is reported and
//! skipped; a missing pg_stat_statements or HypoPG is a note that says
//! what to run, and the rest still runs.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::Path;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::advise::workload::{
    AdviseOptions, AdvisedIndex, MS_PER_COST_UNIT, WorkloadQuery, WrappedColumn, advise,
    estimated_scores_note, form_parameters, hold_back_updated_includes, range_parameters,
    rewrite_recommendations, skew_parameters, strip_updated_includes, widen_ranges,
};
use crate::advise::write_cost::WriteLoad;
use crate::advise::{fk_checks, hypopg};
use crate::detect::{self, AdviceContext, Finding, Inputs, PlanContext, SchemaContext};
use crate::error::{Error, Result};
use crate::model::Dialect;
use crate::model::advice::{SetLimits, WriteStatement, Writes};
use crate::model::fmt::plural;
use crate::model::index::{IndexRecommendation, RewriteRecommendation};
use crate::model::plan::Plan;
use crate::model::postgres::PgTableStats;
use crate::model::report::{
    InputProblem, QueryStat, Report, StatementRow, TableActivity, WorkloadSummary, round3,
};
use crate::model::schema::Schema;
use crate::parse::plan::plan_cost;
use crate::source::postgres::{self, Hypo, Limits, PgSession, StatRow, Statements};
use crate::source::snapshot::{self, SnapshotStore};
use crate::sql::class::{StatementClass, classify};
use crate::sql::constants::parameter_values;
use crate::sql::fingerprint::{Fingerprint, Fingerprinter, Lexing};
use crate::sql::params::bind_parameter;
use crate::sql::statement::{StatementKind, analyze_sql, limit_parameters};

/// What `analyze --db postgres://…` was asked.
#[derive(Debug, Clone)]
pub struct PgTask<'a> {
    pub db: &'a str,
    pub snapshot: Option<&'a Path>,
    /// Statements to plan, advise and verify (most total time first).
    pub top: usize,
    /// No progress bar (`--quiet`).
    pub quiet: bool,
    /// `--budget`, `--max-indexes`.
    pub limits: SetLimits,
}

/// The workload "file" of the statements read from pg_stat_statements: their
/// line is their rank in the top list.
const PGSS_PATH: &str = "pg_stat_statements";

/// EXPLAIN calls the HypoPG verification may make, at least.
const MIN_EXPLAIN_BUDGET: usize = 500;

pub fn run(task: &PgTask<'_>) -> Result<Report> {
    postgres::runtime()?.block_on(analyze(task))
}

/// A progress bar on stderr, only when stderr is a terminal.
struct Progress(ProgressBar);

impl Progress {
    fn shown(wanted: bool) -> Self {
        let target = if wanted && std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(0), target);
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg:40} [{bar:30}] {pos}/{len}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        Progress(bar)
    }

    fn stage(&self, msg: &'static str, len: u64) {
        self.0.set_message(msg);
        self.0.set_length(len);
        self.0.set_position(0);
    }

    fn inc(&self) {
        self.0.inc(1);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

async fn analyze(task: &PgTask<'_>) -> Result<Report> {
    let progress = Progress::shown(!task.quiet);
    progress.stage("connecting", 1);
    let mut s = postgres::connect(task.db, Limits::default()).await?;
    let r = analyze_in(&mut s, task, &progress).await;
    // Ends the read-only transaction; hypothetical indexes go with the backend.
    s.close().await;
    r
}

/// One distinct statement (fingerprint) of pg_stat_statements.
struct Group {
    fingerprint: Fingerprint,
    query: String,
    calls: u64,
    total_ms: f64,
    plan_ms: f64,
    rows: u64,
    /// Shared blocks it hit or read.
    blocks: u64,
    /// Calls of the entry whose text is kept.
    text_calls: u64,
    /// The role (pg_stat_statements' `userid`) of that entry.
    userid: Option<u32>,
    /// `query` with the constants learned for it bound
    /// ([`learn_constants`]): what is planned and advised.
    bound: Option<String>,
    /// For a foreign-key lookup a DELETE makes ([`add_fk_checks`]), not
    /// a statement of pg_stat_statements: that DELETE's rank.
    check_of: Option<usize>,
}

impl Group {
    /// The text to plan and advise: bound where constants were learned.
    fn sql(&self) -> &str {
        self.bound.as_deref().unwrap_or(&self.query)
    }
}

fn blocks(r: &StatRow) -> u64 {
    (r.shared_blks_hit.max(0) as u64).saturating_add(r.shared_blks_read.max(0) as u64)
}

fn fold(rows: &[StatRow]) -> Vec<Group> {
    let mut fp = Fingerprinter::new(Lexing::for_dialect(Dialect::Postgres));
    let mut index: HashMap<Fingerprint, usize> = HashMap::new();
    let mut out: Vec<Group> = Vec::new();
    for r in rows {
        let f = fp.fingerprint(&r.query);
        let calls = r.calls.max(0) as u64;
        match index.get(&f) {
            Some(&i) => {
                let g = &mut out[i];
                g.calls += calls;
                g.total_ms += r.total_ms;
                g.plan_ms += r.plan_ms;
                g.rows += r.rows.max(0) as u64;
                g.blocks += blocks(r);
                if calls > g.text_calls {
                    g.query = r.query.clone();
                    g.text_calls = calls;
                    g.userid = userid(&r.key);
                }
            }
            None => {
                index.insert(f, out.len());
                out.push(Group {
                    fingerprint: f,
                    query: r.query.clone(),
                    calls,
                    total_ms: r.total_ms,
                    plan_ms: r.plan_ms,
                    rows: r.rows.max(0) as u64,
                    blocks: blocks(r),
                    text_calls: calls,
                    userid: userid(&r.key),
                    bound: None,
                    check_of: None,
                });
            }
        }
    }
    out.sort_by(|a, b| {
        b.total_ms
            .total_cmp(&a.total_ms)
            .then(b.calls.cmp(&a.calls))
            .then(a.fingerprint.cmp(&b.fingerprint))
    });
    out
}

async fn analyze_in(s: &mut PgSession, task: &PgTask<'_>, progress: &Progress) -> Result<Report> {
    let mut report = Report::new("analyze");
    let mut notes: Vec<String> = Vec::new();

    progress.stage("reading the catalog", 1);
    let (schema, facts) = s.read_catalog().await?;
    progress.inc();

    progress.stage("reading pg_stat_statements", 1);
    let counters = read_counters(s, task.snapshot, &mut notes).await?;
    // What the role could not read, or a lock kept from it: said, not fatal.
    notes.extend(s.skipped.drain(..).map(|w| format!("skipped: {w}.")));
    progress.inc();
    if !counters.planning_tracked && !counters.rows.is_empty() {
        notes.push("planning time is not in the totals: set pg_stat_statements.track_planning = on to count it.".into());
    }

    // The application's statements are ranked; utility, monitoring and
    // dbperf's own statements are counted apart in one note.
    let (mut groups, apart): (Vec<Group>, Vec<Group>) = fold(&counters.rows)
        .into_iter()
        .partition(|g| classify(&g.query, postgres::TAG) == StatementClass::Application);
    notes.extend(apart_note(&apart));
    let total_ms: f64 = groups.iter().map(|g| g.total_ms).sum();
    let total_calls: u64 = groups.iter().map(|g| g.calls).sum();

    // The top statements by total time; those that are DML on this
    // database's tables are planned, the others say why not.
    let top: Vec<usize> = (0..groups.len().min(task.top)).collect();
    let (mut planned, mut not_planned) = plannable(&groups, &top, &schema);

    // The constants that decide an index's form, as the application sent
    // them, where the server still shows them; planned and advised bound.
    learn_constants(s, &mut groups, &planned, &schema, progress, &mut notes).await;
    let mut schema = schema;
    assume_text_search_config(s, &groups, &planned, &mut schema).await;
    // The lookups the DELETEs make through foreign keys, as statements.
    let checks = add_fk_checks(&mut groups, &mut planned, &schema);

    // Plans and plan rules.
    progress.stage("planning the top statements", planned.len() as u64);
    let Planned {
        mut findings,
        baseline,
        denied,
    } = plan_top(
        s,
        &groups,
        &planned,
        &schema,
        progress,
        &mut report,
        &mut not_planned,
    )
    .await?;
    notes.extend(share_fk_checks(&mut groups, &checks, &baseline));
    if denied {
        notes.push("this role may not plan statements on these tables (permission denied): grant it pg_read_all_data (PostgreSQL 14+) or SELECT on the tables for plans and what-if verification; the rest was checked.".into());
    }

    // The advisor over the planned statements, weighted by calls and time.
    let workload: Vec<WorkloadQuery> = planned
        .iter()
        .map(|&i| {
            let g = &groups[i];
            WorkloadQuery {
                sql: g.sql().to_string(),
                calls: g.calls.max(1),
                mean_ms: (g.calls > 0).then(|| g.total_ms / g.calls as f64),
                path: PGSS_PATH.into(),
                line: i + 1,
            }
        })
        .collect();
    let mut advice = advise(&workload, &schema, &live_options());
    let write_statements = workload_writes(&groups, &schema, &facts.tables);
    // The covering candidates against the UPDATEs of the whole workload,
    // not only those among the planned statements.
    let updated: Vec<(String, Vec<String>)> = write_statements
        .statements
        .iter()
        .filter_map(|w| w.sets.clone().map(|c| (w.table.clone(), c)))
        .collect();
    let (mut covering, others): (Vec<AdvisedIndex>, Vec<AdvisedIndex>) =
        std::mem::take(&mut advice.join_candidates)
            .into_iter()
            .partition(|c| !c.recommendation.spec.include.is_empty() && c.partners.is_empty());
    advice
        .notes
        .extend(hold_back_updated_includes(&mut covering, &updated));
    advice.notes.extend(strip_updated_includes(
        &mut advice.indexes,
        &updated,
        Dialect::Postgres,
    ));
    advice.join_candidates = others;
    advice.join_candidates.extend(covering);
    let mean_ms: HashMap<Fingerprint, f64> = planned
        .iter()
        .map(|&i| &groups[i])
        .filter(|g| g.calls > 0)
        .map(|g| (g.fingerprint, g.total_ms / g.calls as f64))
        .collect();

    let writes = WriteLoad::new(&schema, &write_statements);
    // The statements planned at PostgreSQL's default share of a range whose
    // bounds did not show in pg_stat_activity, each with those ranges
    // matching every row: an index that would end HOT updates must pay for
    // its writes at that worst share too.
    let unseen: HashMap<Fingerprint, String> = planned
        .iter()
        .map(|&i| &groups[i])
        .filter(|g| g.bound.is_none())
        .filter_map(|g| {
            Some((
                g.fingerprint,
                widen_ranges(&g.query, &schema, Dialect::Postgres)?,
            ))
        })
        .collect();

    let budget = MIN_EXPLAIN_BUDGET.max(task.top * 10);
    let indexes = verify_indexes(
        s,
        advice.indexes,
        advice.join_candidates,
        &baseline,
        &mean_ms,
        budget,
        task.limits,
        &writes,
        &unseen,
        (&schema, total_ms),
        progress,
        &mut notes,
    )
    .await?;
    let rewrites = verify_rewrites(
        s,
        advice.rewrites,
        &indexes,
        &baseline,
        &mean_ms,
        budget,
        &writes,
        &mut notes,
    )
    .await?;
    one_truth(&mut findings, &indexes, &rewrites, &schema, &notes);
    // `missing-index` for each index, and the function wrappers the advisor
    // saw that no plan rule reported.
    findings.extend(advice_findings(&indexes, &[]));
    add_unless_reported(&mut findings, advice_findings(&[], &advice.wrapped));

    // Schema health; a foreign key a ranked index leads with points to it.
    let mut health = detect::run(&Inputs {
        schema: Some(SchemaContext {
            schema: &schema,
            created: None,
        }),
        postgres: Some(&facts),
        ..Inputs::default()
    });
    let ranked: Vec<_> = indexes.iter().map(|i| i.recommendation.clone()).collect();
    super::point_to_ranked(&mut health, &ranked, Dialect::Postgres);
    findings.extend(health);
    detect::rank(&mut findings);
    notes.extend(statistics_notes(&schema));

    // The report.
    // Planned: the statements EXPLAIN gave a plan for, not those it refused.
    let planned_ms: f64 = planned
        .iter()
        .map(|&i| &groups[i])
        .filter(|g| g.check_of.is_none() && baseline.contains_key(&g.fingerprint))
        .map(|g| g.total_ms)
        .sum();
    let verified = indexes
        .iter()
        .any(|i| i.recommendation.verified == crate::model::index::Verification::Hypopg);
    report.workload = Some(WorkloadSummary {
        source: counters.source,
        covered_s: counters.covered_s.map(round3),
        since: counters.since,
        statements: groups.len() - checks.len(),
        calls: total_calls,
        total_ms: round3(total_ms),
        planned: baseline.len()
            - checks
                .iter()
                .filter(|&&i| baseline.contains_key(&groups[i].fingerprint))
                .count(),
        planned_share: if total_ms > 0.0 {
            round3(planned_ms / total_ms)
        } else {
            0.0
        },
    });
    report.statements = statement_rows(
        &groups,
        &top,
        total_ms,
        counters.planning_tracked,
        &baseline,
        &findings,
        &not_planned,
    );
    report.queries = groups
        .iter()
        .map(|g| QueryStat {
            fingerprint: g.fingerprint.to_string(),
            query: one_line(&g.query),
            calls: g.calls,
            total_ms: Some(round3(g.total_ms)),
            mean_ms: Some(round3(g.total_ms / g.calls.max(1) as f64)),
        })
        .collect();
    report.findings = findings;
    report.tables = table_activity(&report.health_tables(), &facts.tables);
    report.indexes = indexes
        .into_iter()
        .map(|i| {
            let mut r = i.recommendation;
            r.reason = cite_by_rank(&r.reason, top.len(), &groups, &checks);
            r
        })
        .collect();
    report.rewrites = rewrites
        .into_iter()
        .map(|mut r| {
            r.reason = cite_by_rank(&r.reason, top.len(), &groups, &checks);
            r
        })
        .collect();
    notes.extend(advice.notes);
    notes.push(if verified {
        "scores are the measured mean time of each helped statement × the share of its planner cost the index saves, × its calls.".into()
    } else {
        estimated_scores_note()
    });
    notes.push(format!(
        "{} (PostgreSQL {}, database {}) was read in one read-only transaction with statement_timeout and lock_timeout; plans are EXPLAIN without ANALYZE (generic plans for parameterized statements).",
        s.display, facts.version, facts.database
    ));
    report.notes = notes;
    Ok(report)
}

/// How long the advisor watches pg_stat_activity for the statements whose
/// constants decide an index's form or bound a range, and how often it
/// looks. Sampling is weighted by time: the statements that cost the most
/// are the likeliest to be seen running. It ends after [`ACTIVITY_STILL`]
/// looks in a row at idle sessions only (or none), with no new text. A
/// look every 20 ms, five times the draws of 100 ms in the same time: at
/// 100 ms a statement of 1 % of the time (recruiting's job board, 5.6 ms a
/// call) went unseen in about one 20 s watch of ten.
const ACTIVITY_WINDOW: std::time::Duration = std::time::Duration::from_secs(10);
const ACTIVITY_EVERY: std::time::Duration = std::time::Duration::from_millis(20);
/// While the traffic runs, the watch goes on past [`ACTIVITY_WINDOW`], up
/// to this, for a statement not yet seen that takes at least
/// [`ACTIVITY_WORTH`] of the workload's time: a report run once in a
/// hundred transactions on a slow database (the one dbperf is run on) is
/// running in about one look in two hundred. It goes on for as many looks
/// as see such a statement ninety-nine times in a hundred
/// ([`looks_to_see`]), no more.
const ACTIVITY_LONGEST: std::time::Duration = std::time::Duration::from_secs(60);
/// The share of the workload's time (pg_stat_statements) of a statement
/// worth watching longer for: less, and its index would not be ranked.
const ACTIVITY_WORTH: f64 = 0.005;

/// The looks at pg_stat_activity that see, ninety-nine times in a hundred,
/// a statement running for `share` of the time the traffic is busy, when
/// the traffic is busy at `busy` of the looks: each look is a draw.
fn looks_to_see(share: f64, busy: f64) -> f64 {
    let p = (share * busy).clamp(0.0, 1.0);
    if p <= 0.0 {
        return f64::INFINITY;
    }
    if p >= 1.0 {
        return 1.0;
    }
    (0.01f64).ln() / (1.0 - p).ln()
}
/// The watch also ends after this many looks in a row (half a second) at
/// idle sessions only (or no other session), with no new text.
const ACTIVITY_STILL: u32 = 25;

/// For the statements of `planned` with parameters that decide an index's
/// form ([`form_parameters`]) or bound a range ([`range_parameters`]),
/// watches what the other sessions run (pg_stat_activity, up to
/// [`ACTIVITY_WINDOW`], ending as soon as every one was seen) and binds
/// those constants of the first literal text of each into
/// [`Group::bound`]. What was learned and what was not is a note; a range
/// not seen is planned generically, as before.
async fn learn_constants(
    s: &mut PgSession,
    groups: &mut [Group],
    planned: &[usize],
    schema: &Schema,
    progress: &Progress,
    notes: &mut Vec<String>,
) {
    // The statements whose constants must be learned (an index's form),
    // then those whose range bounds are planned bound when seen (else
    // generically, as before): the window closes early only when all of
    // the first are learned and all of the second seen.
    let mut formed: Vec<usize> = Vec::new();
    let mut ranged_at: Vec<usize> = Vec::new();
    // The statements comparing a skewed column with a parameter, and
    // those parameters: bound only when every sighting agrees.
    let mut skewed: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut wanted: Vec<(usize, Vec<usize>)> = Vec::new();
    for &i in planned {
        let q = &groups[i].query;
        let mut p = form_parameters(q, schema, Dialect::Postgres);
        if !p.is_empty() {
            formed.push(i);
        }
        let r = range_parameters(q, schema, Dialect::Postgres);
        if !r.is_empty() {
            ranged_at.push(i);
        }
        p.extend(r);
        let k = skew_parameters(q, schema, Dialect::Postgres);
        if !k.is_empty() {
            p.extend(&k);
            skewed.insert(i, k);
        }
        // A statement watched anyway has its LIMIT read too, from the same
        // text: `LIMIT $4` is taken as a hundred rows until bound, and the
        // application's `LIMIT 1` asks the index for its order.
        if !p.is_empty() {
            p.extend(limit_parameters(q, Dialect::Postgres));
        }
        p.sort_unstable();
        p.dedup();
        if !p.is_empty() {
            wanted.push((i, p));
        }
    }
    // The values bound of each statement, and the statements whose skewed
    // constant changed between sightings.
    let mut first: HashMap<usize, Vec<(usize, String)>> = HashMap::new();
    let mut varying: std::collections::HashSet<usize> = std::collections::HashSet::new();
    if wanted.is_empty() {
        return;
    }
    progress.stage("watching pg_stat_activity", wanted.len() as u64);
    let start = std::time::Instant::now();
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut found = 0;
    // Looks in a row when every other session was idle and brought no
    // text not seen before: their last statements do not change.
    let mut still = 0;
    // Looks, and those that saw another session running a statement.
    let (mut looks, mut busy) = (0u32, 0u32);
    let workload_ms: f64 = groups.iter().map(|g| g.total_ms).sum();
    loop {
        let running = s.activity().await;
        // No other session, as no active one, counts towards the end: one
        // look is not enough (an application that connects per request, or
        // its traffic just starting, shows none at some moments).
        still += 1;
        looks += 1;
        if running.iter().any(|(_, active)| *active) {
            still = 0;
            busy += 1;
        }
        for (text, _) in running {
            if !seen.insert(text.clone()) {
                continue;
            }
            still = 0;
            for (i, params) in &wanted {
                let g = &mut groups[*i];
                let Some(values) = parameter_values(&g.query, &text) else {
                    continue;
                };
                let values: Vec<(usize, String)> = values
                    .into_iter()
                    .filter(|(n, _)| params.contains(n))
                    .collect();
                if let Some(seen) = first.get(i) {
                    // Seen before: only whether a skewed constant changed.
                    let skew = skewed.get(i).map_or(&[][..], Vec::as_slice);
                    if skew_changed(seen, &values, skew) {
                        varying.insert(*i);
                    }
                    continue;
                }
                if values.len() == params.len() {
                    g.bound = Some(bind_all(&g.query, &values));
                    first.insert(*i, values);
                    found += 1;
                    progress.inc();
                }
            }
        }
        let elapsed = start.elapsed();
        if found == wanted.len()
            || still >= ACTIVITY_STILL
            || elapsed >= ACTIVITY_LONGEST
            || (elapsed >= ACTIVITY_WINDOW
                && !worth_watching_longer(
                    wanted
                        .iter()
                        .filter(|(i, _)| !first.contains_key(i))
                        .map(|(i, _)| groups[*i].total_ms),
                    workload_ms,
                    busy as f64 / looks.max(1) as f64,
                    looks,
                ))
        {
            break;
        }
        tokio::time::sleep(ACTIVITY_EVERY).await;
    }
    // A skewed constant that changed is the application's data: the
    // statement is bound without it (a parameter, as pg_stat_statements
    // shows it).
    for &i in &varying {
        let skew = &skewed[&i];
        let kept: Vec<(usize, String)> = first[&i]
            .iter()
            .filter(|(n, _)| !skew.contains(n))
            .cloned()
            .collect();
        let g = &mut groups[i];
        g.bound = (!kept.is_empty()).then(|| bind_all(&g.query, &kept));
    }
    let ranks = |bound: bool| -> String {
        formed
            .iter()
            .filter(|i| groups[**i].bound.is_some() == bound)
            .map(|i| format!("#{}", i + 1))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // The statements watched for their range bounds alone, seen or not.
    let ranged = |bound: bool| -> String {
        wanted
            .iter()
            .filter(|(i, _)| {
                !formed.contains(i) && ranged_at.contains(i) && groups[*i].bound.is_some() == bound
            })
            .map(|(i, _)| format!("#{}", i + 1))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let bound = ranged(true);
    if !bound.is_empty() {
        notes.push(format!(
            "the range bounds of statement(s) {bound} (pg_stat_statements shows them as $n) were read from pg_stat_activity and planned bound, as the server plans a statement sent with its constants."
        ));
    }
    let unseen = ranged(false);
    if !unseen.is_empty() {
        notes.push(format!(
            "the range bounds of statement(s) {unseen} did not show in pg_stat_activity while dbperf watched: planned generically, with PostgreSQL's default share of the rows for a range over a parameter (a third for one bound, 0.5 % for two), whatever the application sends; but a lower bound alone on a column that grows with the table (pg_stats' correlation 0.9 or more: an arrival time, a sequence) is planned for the newest tenth of its histogram, at the wide end of what such a \"since\" asks for (the index's reason names the value)."
        ));
    }
    let list = |set: &mut dyn Iterator<Item = usize>| -> String {
        let mut v: Vec<usize> = set.collect();
        v.sort_unstable();
        v.iter()
            .map(|i| format!("#{}", i + 1))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let agreed = list(
        &mut skewed
            .keys()
            .copied()
            .filter(|i| first.contains_key(i) && !varying.contains(i)),
    );
    if !agreed.is_empty() {
        notes.push(format!(
            "statement(s) {agreed} compare a column dominated by one value with a constant (pg_stat_statements shows it as $n): it was read from pg_stat_activity (one value at each sighting) and planned as sent; a rare value makes a partial index."
        ));
    }
    if !varying.is_empty() {
        notes.push(format!(
            "statement(s) {} compare a column dominated by one value with a constant that changed between sightings in pg_stat_activity: the application's data, planned for any value.",
            list(&mut varying.iter().copied())
        ));
    }
    let unseen_skew = list(&mut skewed.keys().copied().filter(|i| !first.contains_key(i)));
    if !unseen_skew.is_empty() {
        notes.push(format!(
            "statement(s) {unseen_skew} compare a column dominated by one value with a constant that did not show in pg_stat_activity while dbperf watched: planned for any value; if the application always sends the same rare value, a partial index on it may serve better."
        ));
    }
    let learned = formed
        .iter()
        .filter(|i| groups[**i].bound.is_some())
        .count();
    if learned > 0 {
        notes.push(format!(
            "the constants inside indexed expressions of statement(s) {} (pg_stat_statements shows them as $n) were read from pg_stat_activity, as the application sent them; indexes are built with them.",
            ranks(true)
        ));
    }
    if learned < formed.len() {
        notes.push(format!(
            "statement(s) {} have parameters inside an indexed expression (pg_stat_statements shows their constants as $n) and were not seen running in pg_stat_activity in {} s (run dbperf while the application's traffic runs, with a role that has pg_read_all_stats): their indexes assume a value, said in each index's reason.",
            ranks(false),
            start.elapsed().as_secs().max(1)
        ));
    }
}

/// Whether the watch goes on past [`ACTIVITY_WINDOW`]: some statement not
/// yet seen (its total time in `unseen_ms`) takes [`ACTIVITY_WORTH`] of
/// the `workload_ms` or more, and the `looks` so far are fewer than those
/// that would see it ninety-nine times in a hundred at the traffic's
/// `busy` share.
fn worth_watching_longer(
    unseen_ms: impl Iterator<Item = f64>,
    workload_ms: f64,
    busy: f64,
    looks: u32,
) -> bool {
    if workload_ms <= 0.0 || busy <= 0.0 {
        return false;
    }
    unseen_ms
        .map(|ms| ms / workload_ms)
        .filter(|share| *share >= ACTIVITY_WORTH)
        .any(|share| (looks as f64) < looks_to_see(share, busy))
}

/// Whether a later sighting's `values` give one of the `skew` parameters
/// another constant than the first sighting bound (`seen`): then it is
/// the application's data, not a constant it always sends.
fn skew_changed(seen: &[(usize, String)], values: &[(usize, String)], skew: &[usize]) -> bool {
    values
        .iter()
        .any(|(n, v)| skew.contains(n) && seen.iter().any(|(m, w)| m == n && w != v))
}

/// `sql` with each `(n, constant)` bound in place of `$n`, the highest
/// first so the lower numbers stay what they were.
fn bind_all(sql: &str, values: &[(usize, String)]) -> String {
    let mut out = sql.to_string();
    for (n, v) in values.iter().rev() {
        out = bind_parameter(&out, *n, v);
    }
    out
}

/// A full-text statement whose configuration stayed a parameter (not seen
/// in pg_stat_activity) is advised for an assumed configuration: the
/// `default_text_search_config` of the role that ran it when that role
/// sets one (`ALTER ROLE … SET`), else the server's (already in
/// `schema`). The role's value goes into `schema` when the roles of all
/// such statements agree on it.
async fn assume_text_search_config(
    s: &mut PgSession,
    groups: &[Group],
    planned: &[usize],
    schema: &mut Schema,
) {
    let mut roles: Vec<u32> = planned
        .iter()
        .map(|&i| &groups[i])
        .filter(|g| g.bound.is_none() && g.query.to_ascii_lowercase().contains("to_tsvector($"))
        .filter_map(|g| g.userid)
        .collect();
    roles.sort_unstable();
    roles.dedup();
    let mut values: Vec<Option<String>> = Vec::new();
    for r in roles {
        values.push(s.role_setting(r, "default_text_search_config").await);
    }
    values.dedup();
    if let [Some(cfg)] = values.as_slice() {
        schema.text_search_config = Some(cfg.clone());
        schema.text_search_config_source = Some("the role that ran it".into());
    }
}

/// The role oid of a pg_stat_statements entry's key (`userid:queryid:toplevel`).
fn userid(key: &str) -> Option<u32> {
    key.split(':').next()?.parse().ok()
}

/// The top statements as the report lists them, with what was found on each.
fn statement_rows(
    groups: &[Group],
    top: &[usize],
    total_ms: f64,
    planning_tracked: bool,
    baseline: &HashMap<Fingerprint, f64>,
    findings: &[Finding],
    not_planned: &HashMap<Fingerprint, String>,
) -> Vec<StatementRow> {
    top.iter()
        .enumerate()
        .map(|(rank, &i)| {
            let g = &groups[i];
            StatementRow {
                rank: rank + 1,
                fingerprint: g.fingerprint.to_string(),
                query: one_line(&g.query),
                calls: g.calls,
                total_ms: round3(g.total_ms),
                mean_ms: round3(g.total_ms / g.calls.max(1) as f64),
                rows: g.rows,
                share: if total_ms > 0.0 {
                    round3(g.total_ms / total_ms)
                } else {
                    0.0
                },
                plan_ms: planning_tracked.then(|| round3(g.plan_ms)),
                cost: baseline.get(&g.fingerprint).copied(),
                findings: rules_on(findings, g.fingerprint),
                not_planned: not_planned.get(&g.fingerprint).cloned(),
            }
        })
        .collect()
}

/// What planning the top statements gave.
struct Planned {
    /// The plan rules' findings on them.
    findings: Vec<Finding>,
    /// The planner's total cost of each statement planned.
    baseline: HashMap<Fingerprint, f64>,
    /// Some statement could not be planned for lack of a privilege.
    denied: bool,
}

/// Plans each statement of `planned` and runs the plan rules on it. A
/// statement that cannot be planned is skipped and reported; a lost session
/// ends the analysis.
async fn plan_top(
    s: &mut PgSession,
    groups: &[Group],
    planned: &[usize],
    schema: &Schema,
    progress: &Progress,
    report: &mut Report,
    not_planned: &mut HashMap<Fingerprint, String>,
) -> Result<Planned> {
    let mut out = Planned {
        findings: Vec::new(),
        baseline: HashMap::new(),
        denied: false,
    };
    for &i in planned {
        let g = &groups[i];
        progress.inc();
        let json = match s.explain(g.sql()).await {
            Ok(j) => j,
            // The session is gone: nothing more can run on it.
            Err(e) if e.lost => return Err(lost(s, &e)),
            Err(e) => {
                out.denied |= e.permission_denied();
                report.input_problems.push(InputProblem {
                    path: PGSS_PATH.into(),
                    line: i + 1,
                    message: format!(
                        "top statement #{} cannot be planned, skipped: {}",
                        i + 1,
                        e.message
                    ),
                });
                not_planned.insert(g.fingerprint, e.message);
                continue;
            }
        };
        let Some((cost, plan)) = plan_cost(&json) else {
            not_planned.insert(g.fingerprint, "EXPLAIN output did not parse".into());
            continue;
        };
        out.baseline.insert(g.fingerprint, cost);
        if g.check_of.is_none() {
            out.findings.extend(plan_findings(&plan, schema, g, i + 1));
        }
    }
    Ok(out)
}

/// The pg_stat_statements counters a run analyses, and what they cover.
struct Counters {
    rows: Vec<StatRow>,
    /// Where they come from (`pg_stat_statements 1.10`, or `none`).
    source: String,
    covered_s: Option<f64>,
    /// `snapshot`, `reset` or `none` (see [`WorkloadSummary::since`]).
    since: String,
    planning_tracked: bool,
}

/// Reads pg_stat_statements: the counters since the last reset, or with
/// `--snapshot` the delta since the previous snapshot in that file (and
/// saves this run's counters as the next one). A missing extension is a
/// note, not an error.
async fn read_counters(
    s: &mut PgSession,
    snapshot_file: Option<&Path>,
    notes: &mut Vec<String>,
) -> Result<Counters> {
    let statements = s.read_statements().await?;
    let now = s.now().await?;
    let (rows, reset_at, planning_tracked, version) = match statements {
        Statements::Missing(how) => {
            notes.push(how);
            return Ok(Counters {
                rows: Vec::new(),
                source: "none".into(),
                covered_s: None,
                since: "none".into(),
                planning_tracked: false,
            });
        }
        Statements::Rows {
            rows,
            reset_at,
            planning_tracked,
            version,
        } => (rows, reset_at, planning_tracked, version),
    };
    let source = format!("pg_stat_statements {version}");
    let since_reset = |rows| Counters {
        rows,
        source: source.clone(),
        covered_s: reset_at.map(|r| now - r),
        since: "reset".into(),
        planning_tracked,
    };
    let Some(path) = snapshot_file else {
        return Ok(since_reset(rows));
    };
    let mut store = SnapshotStore::open(path)?;
    let prev = store.previous(&s.display)?;
    store.save(&s.display, now, reset_at, &rows)?;
    Ok(match prev {
        Some(p) => {
            notes.push(format!(
                "workload: the delta since the previous snapshot in {} ({} ago); this run's counters were saved as the next one.",
                path.display(),
                crate::model::fmt::duration(now - p.taken_at)
            ));
            Counters {
                rows: snapshot::delta(&rows, &p, reset_at),
                source,
                covered_s: Some(now - p.taken_at),
                since: "snapshot".into(),
                planning_tracked,
            }
        }
        None => {
            notes.push(format!(
                "workload: first snapshot in {}: the counters since pg_stat_statements was reset; the next run with this file reports the delta since now.",
                path.display()
            ));
            since_reset(rows)
        }
    })
}

/// The error that ends an analysis whose session stopped answering.
fn lost(s: &PgSession, e: &crate::error::PlanError) -> Error {
    Error::Database(format!(
        "{}: the session was lost: {}",
        s.display, e.message
    ))
}

/// One line on the statements that are not the application's workload.
fn apart_note(apart: &[Group]) -> Option<String> {
    if apart.is_empty() {
        return None;
    }
    let count = |class: StatementClass| {
        apart
            .iter()
            .filter(|g| classify(&g.query, postgres::TAG) == class)
            .count()
    };
    let calls: u64 = apart.iter().map(|g| g.calls).sum();
    let ms: f64 = apart.iter().map(|g| g.total_ms).sum();
    Some(format!(
        "not ranked as workload: {} ({}, {}) that are utility or maintenance ({}), monitoring ({}) or dbperf's own ({}).",
        plural(apart.len() as u64, "statement"),
        plural(calls, "call"),
        crate::model::fmt::ms(ms),
        count(StatementClass::Utility),
        count(StatementClass::Monitoring),
        count(StatementClass::Own),
    ))
}

/// Of the `top` statements, those to plan (DML on this database's tables)
/// and, for the others, why not.
fn plannable(
    groups: &[Group],
    top: &[usize],
    schema: &Schema,
) -> (Vec<usize>, HashMap<Fingerprint, String>) {
    let mut planned: Vec<usize> = Vec::new();
    let mut not_planned: HashMap<Fingerprint, String> = HashMap::new();
    for &i in top {
        let g = &groups[i];
        match analyze_sql(&g.query, Dialect::Postgres, Some(schema)) {
            Ok(a) if a.kind == StatementKind::Other => {
                not_planned.insert(
                    g.fingerprint,
                    "not a SELECT, INSERT, UPDATE or DELETE".into(),
                );
            }
            // INSERT … VALUES (ON CONFLICT …) reads no table but is the
            // application's work: planned (EXPLAIN writes nothing), so the
            // planned share counts it.
            Ok(a) if a.kind == StatementKind::Insert && a.scans.is_empty() => planned.push(i),
            Ok(a) if !a.scans.iter().any(|sc| schema.table(&sc.table).is_some()) => {
                not_planned.insert(
                    g.fingerprint,
                    "reads no table of this database's schemas".into(),
                );
            }
            Ok(_) => planned.push(i),
            Err(e) => {
                not_planned.insert(g.fingerprint, format!("dbperf cannot parse it: {e}"));
            }
        }
    }
    (planned, not_planned)
}

/// What the catalog's statistics leave the advisor to assume.
fn statistics_notes(schema: &Schema) -> Vec<String> {
    let mut notes = Vec::new();
    if schema.has_statistics
        && schema
            .tables
            .iter()
            .all(|t| t.columns.iter().all(|c| c.n_distinct.is_none()))
        && schema.tables.iter().any(|t| t.rows.unwrap_or(0.0) > 0.0)
    {
        notes.push("pg_stats shows no column statistics to this role (it needs SELECT on the tables, or pg_read_all_data): the advisor assumed default selectivities.".into());
    }
    if !schema.has_statistics && !schema.tables.is_empty() {
        notes.push(
            "no table has statistics yet: run ANALYZE so the planner and the advisor see real row counts."
                .into(),
        );
    }
    notes
}

/// The rule ids of the findings on one statement, each once, in order.
fn rules_on(findings: &[Finding], fingerprint: Fingerprint) -> Vec<&'static str> {
    let fp = fingerprint.to_string();
    let mut rules: Vec<&'static str> = Vec::new();
    for f in findings {
        if f.query_fingerprint.as_deref() == Some(fp.as_str()) && !rules.contains(&f.rule) {
            rules.push(f.rule);
        }
    }
    rules
}

/// The workload's writes, for each candidate's write cost
/// ([`crate::advise::write_cost`]): every INSERT and UPDATE of
/// pg_stat_statements on this database's tables (all of them, not only the
/// top statements: each one's rows cost every index), with the rows it
/// wrote and its time, and each table's HOT share from
/// `pg_stat_user_tables`.
fn workload_writes(groups: &[Group], schema: &Schema, tables: &[PgTableStats]) -> Writes {
    let mut statements = Vec::new();
    for g in groups {
        let upper = g.query.to_ascii_uppercase();
        if !upper.contains("INSERT") && !upper.contains("UPDATE") {
            continue;
        }
        let Ok(a) = analyze_sql(&g.query, Dialect::Postgres, Some(schema)) else {
            continue;
        };
        let written = a
            .inserted
            .iter()
            .map(|t| (t, None))
            .chain(a.updated.iter().map(|(t, cols)| (t, Some(cols.clone()))));
        for (table, sets) in written {
            if let Some(t) = schema.table(table) {
                statements.push(WriteStatement {
                    table: t.qualified_name(),
                    sets,
                    rows: g.rows,
                    total_ms: g.total_ms,
                    blocks: g.blocks,
                });
            }
        }
    }
    Writes {
        statements,
        hot_share: tables
            .iter()
            .filter(|t| settled_updates(t.n_tup_upd, schema.table(&t.table).and_then(|s| s.rows)))
            .map(|t| (t.table.clone(), t.n_tup_hot_upd as f64 / t.n_tup_upd as f64))
            .collect(),
    }
}

/// Whether a table's HOT share says what its updates will be: at least as
/// many updates (`n_tup_upd`, since the statistics reset) as rows. Fewer,
/// and most were a row's first since it was loaded, on a page the load
/// filled: no room for the new version there, so not HOT whatever the
/// indexes; once pruning has freed room, the updates that set no indexed
/// column are HOT again ([`crate::advise::write_cost`]).
fn settled_updates(updates: u64, rows: Option<f64>) -> bool {
    updates > 0 && rows.is_none_or(|r| updates as f64 >= r)
}

/// The advisor's options against a live database: join-key candidates are
/// gathered, for HypoPG to judge.
fn live_options() -> AdviseOptions {
    AdviseOptions {
        what_if: true,
        // HypoPG judges each candidate (a 30% lower planned cost, alone or
        // on top of the chosen set): the model only screens out what
        // cannot matter, not what its own estimate finds small (an index
        // on the small side of a join, a prefix match the model cannot
        // size).
        min_gain: 0.1,
        min_score_share: 0.0005,
        ..AdviseOptions::default()
    }
}

/// The advisor's candidates (and its join-key candidates) verified what-if
/// with HypoPG when it is there and chosen together within `limits`
/// (heuristic, without the join-key candidates, with a note saying what to
/// run, when it is not); what happened goes to `notes`.
#[allow(clippy::too_many_arguments)]
async fn verify_indexes(
    s: &mut PgSession,
    candidates: Vec<AdvisedIndex>,
    joins: Vec<AdvisedIndex>,
    baseline: &HashMap<Fingerprint, f64>,
    mean_ms: &HashMap<Fingerprint, f64>,
    budget: usize,
    limits: SetLimits,
    writes: &WriteLoad,
    unseen: &HashMap<Fingerprint, String>,
    twins: (&Schema, f64),
    progress: &Progress,
    notes: &mut Vec<String>,
) -> Result<Vec<AdvisedIndex>> {
    if candidates.is_empty() && joins.is_empty() {
        return Ok(Vec::new());
    }
    Ok(match s.hypopg().await? {
        Hypo::Ready { version } => {
            let mut candidates = candidates;
            let joins_n = joins.iter().filter(|j| j.join_key).count();
            let ors = joins.iter().filter(|j| !j.partners.is_empty()).count();
            candidates.extend(joins);
            progress.stage("verifying indexes with HypoPG", candidates.len() as u64);
            let n = candidates.len();
            let joins = joins_n;
            // A bounded set takes a second look (exchanges planned as a
            // whole): twice the EXPLAINs.
            let budget = if limits == SetLimits::default() {
                budget
            } else {
                budget * 2
            };
            let mut out = hypopg::verify(
                s, candidates, baseline, mean_ms, budget, limits, writes, unseen,
            )
            .await;
            if limits == SetLimits::default() {
                let (kept, held) = hypopg::hold_back_key_twins(out.kept, twins.0, twins.1);
                out.kept = kept;
                out.held_back.extend(held);
            }
            progress.0.set_position(n as u64);
            let left = s.hypo_count().await.unwrap_or(0);
            notes.push(format!(
                "indexes verified what-if with HypoPG {version}: of {n} candidates ({joins} on join keys, {ors} for the branches of an OR), {} lowered the planner's cost of a statement by at least {} alone, and {} were chosen together, each re-planned with those chosen before it ({} EXPLAIN calls); {left} hypothetical indexes left in the session.",
                out.passed,
                if limits == SetLimits::default() {
                    format!(
                        "{:.0}% ({:.0}% for a join key)",
                        hypopg::MIN_COST_GAIN * 100.0,
                        hypopg::MIN_JOIN_COST_GAIN * 100.0
                    )
                } else {
                    format!(
                        "{:.0}% (bounded: the bound decides what is worth its space)",
                        hypopg::MIN_MARGINAL_GAIN * 100.0
                    )
                },
                out.kept.len(),
                out.explains
            ));
            for (stmt, why) in out.rejected.iter().take(20) {
                notes.push(format!("not proposed: {stmt} ({why})"));
            }
            for (stmt, why) in &out.cut {
                notes.push(format!("cut: {stmt} ({why})"));
            }
            notes.extend(out.held_back);
            let mut kept = out.kept;
            let mut heuristic = out.heuristic;
            for (stmt, why) in hypopg::fold_subsumed_opclasses(&mut heuristic) {
                notes.push(format!("not proposed: {stmt} ({why})"));
            }
            let (heuristic, held) = writes.hold_back(heuristic);
            notes.extend(held);
            if !heuristic.is_empty() {
                notes.push(format!(
                    "{} GIN/GiST index(es) are heuristic: HypoPG cannot build such hypothetical indexes; each says why in its reason.",
                    heuristic.len()
                ));
                // What the verified set left of the bounds.
                let used: f64 = kept.iter().map(|k| k.size_bytes).sum();
                let left = SetLimits {
                    budget_bytes: limits.budget_bytes.map(|b| (b - used).max(0.0)),
                    max_indexes: limits.max_indexes.map(|m| m.saturating_sub(kept.len())),
                };
                let (h, cut) = hypopg::within_limits(heuristic, left);
                for (stmt, why) in &cut {
                    notes.push(format!("cut: {stmt} ({why})"));
                }
                for (stmt, why) in hypopg::served_by_heuristic(&mut kept, &h) {
                    notes.push(format!("not proposed: {stmt} ({why})"));
                }
                kept.extend(h);
                kept.sort_by(|a, b| b.recommendation.score.total_cmp(&a.recommendation.score));
                for (i, c) in kept.iter_mut().enumerate() {
                    c.recommendation.rank = i + 1;
                }
            }
            if !out.unverified.is_empty() {
                notes.push(format!(
                    "{} candidates were not verified (EXPLAIN budget spent): listed as heuristic.",
                    out.unverified.len()
                ));
                let mut unverified = out.unverified;
                writes.annotate(&mut unverified);
                kept.extend(unverified);
            }
            kept
        }
        Hypo::Missing(how) => {
            notes.push(format!(
                "indexes are heuristic (not verified by the planner): {how}."
            ));
            let mut candidates = candidates;
            for (stmt, why) in hypopg::fold_subsumed_opclasses(&mut candidates) {
                notes.push(format!("not proposed: {stmt} ({why})"));
            }
            let (candidates, held) = writes.hold_back(candidates);
            notes.extend(held);
            let (kept, cut) = hypopg::within_limits(candidates, limits);
            for (stmt, why) in &cut {
                notes.push(format!("cut: {stmt} ({why})"));
            }
            kept
        }
    })
}

/// The advisor's indexes that serve statements only once rewritten,
/// verified with HypoPG when it is there (each rewritten statement planned
/// without and with its index, apart from the ranked set: no bound and no
/// write-cost choice counts them), as the report's `rewrites`, each
/// pointing to the entry of `ranked` that serves it when there is one.
#[allow(clippy::too_many_arguments)]
async fn verify_rewrites(
    s: &mut PgSession,
    candidates: Vec<AdvisedIndex>,
    ranked: &[AdvisedIndex],
    baseline: &HashMap<Fingerprint, f64>,
    mean_ms: &HashMap<Fingerprint, f64>,
    budget: usize,
    writes: &WriteLoad,
    notes: &mut Vec<String>,
) -> Result<Vec<RewriteRecommendation>> {
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let mut kept = match s.hypopg().await? {
        Hypo::Ready { .. } => {
            let out = hypopg::verify(
                s,
                candidates,
                baseline,
                mean_ms,
                budget,
                SetLimits::default(),
                &WriteLoad::default(),
                &HashMap::new(),
            )
            .await;
            for (stmt, why) in out.rejected.iter().take(10) {
                notes.push(format!(
                    "not proposed, even once its statements are rewritten: {stmt} ({why})"
                ));
            }
            let mut kept = out.kept;
            kept.extend(out.unverified);
            kept
        }
        Hypo::Missing(_) => candidates,
    };
    writes.annotate(&mut kept);
    let ranked: Vec<IndexRecommendation> =
        ranked.iter().map(|i| i.recommendation.clone()).collect();
    let out = rewrite_recommendations(&kept, &ranked);
    if !out.is_empty() {
        notes.push(format!(
            "{} statement(s) would gain from an index only once rewritten: listed apart under rewrites, not among the indexes to create (as they run, they gain nothing from it).",
            out.len()
        ));
    }
    Ok(out)
}

/// What the advisor and HypoPG make of a workload from elsewhere (a
/// slow-query log) against a live database's catalog.
#[derive(Debug, Default)]
pub struct VerifiedAdvice {
    pub indexes: Vec<IndexRecommendation>,
    /// Statements an index serves only once rewritten (apart from `indexes`).
    pub rewrites: Vec<RewriteRecommendation>,
    /// `missing-index` for each index, and what else the advisor saw.
    pub findings: Vec<Finding>,
    /// The distinct statements planned and advised.
    pub queries: Vec<crate::model::advice::AnalyzedQuery>,
    pub notes: Vec<String>,
}

/// Runs `workload` through the advisor with the live catalog of `db` and
/// verifies the candidates with HypoPG, in one read-only session (the
/// hypothetical indexes go with it). Statements that are not DML on this
/// database's tables, or cannot be planned, are left out with a note. A
/// progress bar shows on a terminal's stderr unless `quiet`.
pub fn advise_workload(
    db: &str,
    workload: Vec<WorkloadQuery>,
    limits: SetLimits,
    quiet: bool,
) -> Result<VerifiedAdvice> {
    postgres::runtime()?.block_on(async {
        let progress = Progress::shown(!quiet);
        progress.stage("connecting", 1);
        let mut s = postgres::connect(db, Limits::default()).await?;
        let r = advise_workload_in(&mut s, workload, limits, &progress).await;
        s.close().await;
        r
    })
}

async fn advise_workload_in(
    s: &mut PgSession,
    workload: Vec<WorkloadQuery>,
    limits: SetLimits,
    progress: &Progress,
) -> Result<VerifiedAdvice> {
    let mut out = VerifiedAdvice::default();
    progress.stage("reading the catalog", 1);
    let (schema, facts) = s.read_catalog().await?;
    progress.inc();

    let mut fp = Fingerprinter::new(Lexing::for_dialect(Dialect::Postgres));
    let mut baseline: HashMap<Fingerprint, f64> = HashMap::new();
    let mut mean_ms: HashMap<Fingerprint, f64> = HashMap::new();
    let mut planned: Vec<WorkloadQuery> = Vec::new();
    let (mut foreign, mut failed) = (0usize, 0usize);
    progress.stage("planning the logged statements", workload.len() as u64);
    for q in workload {
        progress.inc();
        match analyze_sql(&q.sql, Dialect::Postgres, Some(&schema)) {
            Ok(a)
                if a.kind != StatementKind::Other
                    && a.scans.iter().any(|sc| schema.table(&sc.table).is_some()) => {}
            _ => {
                foreign += 1;
                continue;
            }
        }
        let cost = match s.explain(&q.sql).await {
            Ok(json) => plan_cost(&json).map(|(c, _)| c),
            Err(e) if e.lost => return Err(lost(s, &e)),
            Err(_) => None,
        };
        let Some(cost) = cost else {
            failed += 1;
            continue;
        };
        let f = fp.fingerprint(&q.sql);
        baseline.insert(f, cost);
        if let Some(m) = q.mean_ms {
            mean_ms.insert(f, m);
        }
        planned.push(q);
    }
    if foreign > 0 {
        out.notes.push(format!(
            "{foreign} logged statement(s) are not DML on this database's tables (or do not parse) and were left out of the index advice."
        ));
    }
    if failed > 0 {
        out.notes.push(format!(
            "{failed} logged statement(s) could not be planned on this database and were left out of the index advice."
        ));
    }

    // The workload's time: measured where the source gave it, else the
    // planned cost at the rate the scores take.
    let workload_ms: f64 = planned
        .iter()
        .map(|q| {
            let f = fp.fingerprint(&q.sql);
            let mean = mean_ms
                .get(&f)
                .copied()
                .unwrap_or_else(|| baseline.get(&f).copied().unwrap_or(0.0) * MS_PER_COST_UNIT);
            mean * q.calls.max(1) as f64
        })
        .sum();
    let advice = advise(&planned, &schema, &live_options());
    let indexes = verify_indexes(
        s,
        advice.indexes,
        advice.join_candidates,
        &baseline,
        &mean_ms,
        MIN_EXPLAIN_BUDGET.max(planned.len() * 20),
        limits,
        // A log or a file of statements gives no rows written: the write
        // cost is not weighed (nor a guessed range share against it).
        &WriteLoad::default(),
        &HashMap::new(),
        (&schema, workload_ms),
        progress,
        &mut out.notes,
    )
    .await?;
    let rewrites = verify_rewrites(
        s,
        advice.rewrites,
        &indexes,
        &baseline,
        &mean_ms,
        MIN_EXPLAIN_BUDGET.max(planned.len() * 20),
        &WriteLoad::default(),
        &mut out.notes,
    )
    .await?;
    let verified = indexes
        .iter()
        .any(|i| i.recommendation.verified == crate::model::index::Verification::Hypopg);
    out.findings = advice_findings(&indexes, &[]);
    add_unless_reported(&mut out.findings, advice_findings(&[], &advice.wrapped));
    out.indexes = indexes.into_iter().map(|i| i.recommendation).collect();
    out.rewrites = rewrites;
    out.queries = advice.queries;
    out.notes.extend(advice.notes);
    out.notes.push(if verified {
        "scores are the logged mean time of each helped statement × the share of its planner cost the index saves, × its calls.".into()
    } else {
        estimated_scores_note()
    });
    out.notes.push(format!(
        "index advice: the live catalog of {} (PostgreSQL {}, database {}) was read in one read-only transaction with statement_timeout and lock_timeout; plans are EXPLAIN without ANALYZE.",
        s.display, facts.version, facts.database
    ));
    Ok(out)
}

/// One truth per report (the rank said as an SQL comment, so the line still
/// runs as copied): a plan rule's index (a `seq-scan` fix) is written
/// schema-qualified as the ranked list writes it; when the report's
/// `rewrites` has the statement with an index on the same column(s) (the
/// index serves it once rewritten), the finding points to that entry; else
/// when the ranked list has an index on the same table for the same
/// statement, the finding points to its rank and statement instead of
/// proposing another; one held back for its write cost (a note of `notes`
/// says so) is said to be not proposed, with the note's figures.
fn one_truth(
    findings: &mut [Finding],
    indexes: &[AdvisedIndex],
    rewrites: &[RewriteRecommendation],
    schema: &Schema,
    notes: &[String],
) {
    for f in findings.iter_mut() {
        let Some(spec) = f.index.clone() else {
            continue;
        };
        let old = spec.statement(Dialect::Postgres);
        let q = in_its_schema(spec, schema);
        let table = q.qualified_table();
        let columns = q.columns();
        let rewrite = rewrites.iter().find(|r| {
            r.table == table
                && f.query_fingerprint.as_deref() == Some(r.query_fingerprint.as_str())
                && r.columns.starts_with(&columns)
        });
        if let Some(r) = rewrite {
            let new = format!(
                "{}  -- rewrite #{} of the report: it serves the statement once rewritten{}, checked {}",
                r.index,
                r.rank,
                r.index_rank
                    .map(|n| format!("; index #{n} of the ranked list"))
                    .unwrap_or_default(),
                verified_by(r.verified)
            );
            f.advice = f.advice.replace(&old, &new);
            f.message = f.message.replace(&old, &new);
            f.index = Some(q);
            continue;
        }
        let for_statement = |r: &&crate::model::index::IndexRecommendation| {
            r.table == table
                && f.query_fingerprint
                    .as_ref()
                    .is_some_and(|fp| r.queries.contains(fp))
        };
        // The index on the finding's own columns first (an OR's branches
        // are each ranked), else any the list has for the statement.
        let ranked = indexes
            .iter()
            .map(|i| &i.recommendation)
            .find(|r| for_statement(r) && r.columns == columns)
            .or_else(|| {
                indexes
                    .iter()
                    .map(|i| &i.recommendation)
                    .find(for_statement)
            });
        let also = std::mem::take(&mut f.also);
        f.also = also
            .into_iter()
            .map(|spec| {
                let old = spec.statement(Dialect::Postgres);
                let q = in_its_schema(spec, schema);
                let (table, columns) = (q.qualified_table(), q.columns());
                let new = match indexes
                    .iter()
                    .map(|i| &i.recommendation)
                    .find(|r| r.table == table && r.columns == columns)
                {
                    Some(r) => pointer(r),
                    None => q.statement(Dialect::Postgres),
                };
                f.advice = f.advice.replace(&old, &new);
                f.message = f.message.replace(&old, &new);
                q
            })
            .collect();
        let new = match ranked {
            Some(r) => pointer(r),
            None => {
                let statement = q.statement(Dialect::Postgres);
                let held = format!("not proposed: {statement} (its writes would cost");
                match notes.iter().find(|n| n.starts_with(&held)) {
                    Some(n) => format!(
                        "{} is not proposed for this workload{}",
                        statement.trim_end_matches(';'),
                        &n["not proposed: ".len() + statement.len()..]
                    ),
                    None => statement,
                }
            }
        };
        f.advice = f.advice.replace(&old, &new);
        f.message = f.message.replace(&old, &new);
        f.index = Some(q);
    }
}

/// `spec` in the schema the catalog holds its table in, when it names none.
fn in_its_schema(
    mut spec: crate::model::index::IndexSpec,
    schema: &Schema,
) -> crate::model::index::IndexSpec {
    if spec.schema.is_none()
        && let Some(t) = schema.table(&spec.qualified_table())
    {
        spec.schema = t.schema.clone();
    }
    spec
}

/// A ranked index's statement with its rank, as a finding points to it
/// (an SQL comment, so the line still runs as copied).
fn pointer(r: &crate::model::index::IndexRecommendation) -> String {
    format!(
        "{}  -- index #{} of the ranked list, checked {}",
        r.statement,
        r.rank,
        verified_by(r.verified)
    )
}

/// How an index was checked, as the findings that point to it say.
fn verified_by(v: crate::model::index::Verification) -> &'static str {
    match v {
        crate::model::index::Verification::Hypopg => "with HypoPG",
        crate::model::index::Verification::Planner => "by the planner",
        crate::model::index::Verification::Heuristic => "heuristically",
    }
}

/// The advice rules on verified indexes and the advisor's wrapped columns.
fn advice_findings(indexes: &[AdvisedIndex], wrapped: &[WrappedColumn]) -> Vec<Finding> {
    detect::run(&Inputs {
        advice: Some(AdviceContext {
            indexes,
            wrapped,
            dialect: Dialect::Postgres,
        }),
        ..Inputs::default()
    })
}

/// Adds the findings of `new` whose rule has not already been reported on
/// the same statement (a plan rule saw the wrapped column first).
fn add_unless_reported(findings: &mut Vec<Finding>, new: Vec<Finding>) {
    for f in new {
        let dup = findings
            .iter()
            .any(|g| g.rule == f.rule && g.query_fingerprint == f.query_fingerprint);
        if !dup {
            findings.push(f);
        }
    }
}

/// The advisor names each statement it helps by its workload line,
/// `pg_stat_statements:N`, N its rank in the top list: the report says
/// `#N`, as the list shows it.
fn cite_by_rank(reason: &str, ranks: usize, groups: &[Group], checks: &[usize]) -> String {
    let mut out = reason.to_string();
    for &i in checks {
        if let Some(n) = groups[i].check_of {
            out = out.replace(
                &format!("{PGSS_PATH}:{} (", i + 1),
                &format!("the foreign-key lookup of statement #{n} ("),
            );
        }
    }
    for n in 1..=ranks {
        out = out.replace(&format!("{PGSS_PATH}:{n} ("), &format!("statement #{n} ("));
    }
    out
}

/// Adds to `groups` (and to `planned`) the lookups each planned DELETE
/// makes through a foreign key that no index of the referencing table
/// serves ([`fk_checks`]): one call per row the DELETE deleted (none when
/// it deleted none). A lookup two DELETEs make is one statement with both
/// calls. Their time is set by [`share_fk_checks`] once they are planned.
/// The positions of the added groups.
fn add_fk_checks(groups: &mut Vec<Group>, planned: &mut Vec<usize>, schema: &Schema) -> Vec<usize> {
    let mut fp = Fingerprinter::new(Lexing::for_dialect(Dialect::Postgres));
    let mut added: Vec<usize> = Vec::new();
    for i in planned.clone() {
        if groups[i].rows == 0 {
            continue;
        }
        for c in fk_checks::delete_checks(&groups[i].query, schema) {
            let f = fp.fingerprint(&c.sql);
            let (rows, userid) = (groups[i].rows, groups[i].userid);
            match groups.iter().position(|g| g.fingerprint == f) {
                Some(j) if groups[j].check_of.is_some() => groups[j].calls += rows,
                // The application runs the same lookup itself: advised as such.
                Some(_) => {}
                None => {
                    groups.push(Group {
                        fingerprint: f,
                        query: c.sql,
                        calls: rows,
                        total_ms: 0.0,
                        plan_ms: 0.0,
                        rows: 0,
                        blocks: 0,
                        text_calls: rows,
                        userid,
                        bound: None,
                        check_of: Some(i + 1),
                    });
                    planned.push(groups.len() - 1);
                    added.push(groups.len() - 1);
                }
            }
        }
    }
    added
}

/// Gives each foreign-key lookup of `checks` its share of the time of the
/// DELETE that makes it: the DELETE's measured time split between its own
/// plan and its lookups in proportion to their planned costs (a lookup's
/// cost times the rows deleted). Said in a note, with the lookups.
fn share_fk_checks(
    groups: &mut [Group],
    checks: &[usize],
    baseline: &HashMap<Fingerprint, f64>,
) -> Vec<String> {
    let mut notes = Vec::new();
    let mut by_delete: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for &c in checks {
        if let Some(n) = groups[c].check_of {
            by_delete.entry(n).or_default().push(c);
        }
    }
    for (n, cs) in by_delete {
        let d = &groups[n - 1];
        let (rows, total_ms) = (d.rows.max(1) as f64, d.total_ms);
        let own = baseline.get(&d.fingerprint).copied().unwrap_or(0.0);
        let lookups: Vec<f64> = cs
            .iter()
            .map(|&c| baseline.get(&groups[c].fingerprint).copied().unwrap_or(0.0) * rows)
            .collect();
        let all = own + lookups.iter().sum::<f64>();
        let texts: Vec<String> = cs
            .iter()
            .map(|&c| format!("`{}`", groups[c].query))
            .collect();
        for (&c, cost) in cs.iter().zip(&lookups) {
            groups[c].total_ms = if all > 0.0 {
                total_ms * cost / all
            } else {
                0.0
            };
        }
        notes.push(format!(
            "statement #{n} deletes rows that foreign keys reference with no index on the referencing side: for each deleted row PostgreSQL looks them up ({}), inside the DELETE's time and absent from its EXPLAIN; planned as statements of their own, each given the share of the DELETE's measured time its planned cost has.",
            texts.join(", ")
        ));
    }
    notes
}

/// Size and writes (`pg_stat_user_tables`) of the tables schema health names.
fn table_activity(names: &[String], stats: &[PgTableStats]) -> Vec<TableActivity> {
    names
        .iter()
        .filter_map(|name| {
            let t = stats.iter().find(|t| &t.table == name)?;
            Some(TableActivity {
                table: name.clone(),
                rows: Some(t.n_live_tup),
                bytes: Some(t.bytes),
                inserted: Some(t.n_tup_ins),
                updated: Some(t.n_tup_upd),
                deleted: Some(t.n_tup_del),
            })
        })
        .collect()
}

/// Plan rules on one statement's plan, tied to the statement.
fn plan_findings(plan: &Plan, schema: &Schema, g: &Group, rank: usize) -> Vec<Finding> {
    let fp = g.fingerprint.to_string();
    let ctx = PlanContext {
        plan,
        schema: Some(schema),
        query_fingerprint: Some(&fp),
        planner_fixes: None,
    };
    let mut fs = detect::run(&Inputs {
        plan: Some(ctx),
        ..Inputs::default()
    });
    for f in &mut fs {
        let at = format!(" (top statement #{rank})");
        if !f.message.contains(&at) {
            f.message.push_str(&at);
        }
    }
    fs
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report of 0.57 % of the workload's time (recruiting's weekly
    /// report, 1,442 of 251,183 ms, on the unindexed database) is running
    /// in one look of 175 while one client is always busy: 800 looks see
    /// it ninety-nine times in a hundred, past the ~450 of the first ten
    /// seconds and under the ~2,700 of the longest watch. A statement under
    /// 0.5 % of the time, or idle traffic, ends the watch at ten seconds.
    #[test]
    fn the_watch_goes_on_while_the_traffic_runs_for_a_statement_worth_it() {
        let total = 251_183.0;
        let n = looks_to_see(1_442.0 / total, 1.0);
        assert!((795.0..805.0).contains(&n), "{n}");
        // (unseen statement's ms, busy share of the looks, looks so far).
        let longer = |ms: f64, busy: f64, looks: u32| {
            worth_watching_longer([ms].into_iter(), total, busy, looks)
        };
        assert!(longer(1_442.0, 1.0, 100));
        assert!(longer(1_442.0, 1.0, 700));
        assert!(!longer(1_442.0, 1.0, 810));
        // Half the looks busy: twice the looks.
        assert!(longer(1_442.0, 0.5, 1_500));
        assert!(!longer(1_442.0, 0.5, 1_610));
        assert!(!longer(1_000.0, 1.0, 100));
        assert!(!longer(1_442.0, 0.0, 100));
        assert!(!worth_watching_longer(std::iter::empty(), total, 1.0, 100));
        assert_eq!(looks_to_see(1.0, 1.0), 1.0);
        assert!(looks_to_see(0.0, 1.0).is_infinite());
    }

    #[test]
    fn a_skewed_constant_that_changes_between_sightings_is_data() {
        let v = |pairs: &[(usize, &str)]| -> Vec<(usize, String)> {
            pairs.iter().map(|(n, s)| (*n, s.to_string())).collect()
        };
        // `owner_id = $1 AND state = $2 AND opened_at > $3`, $2 skewed.
        let seen = v(&[(2, "'escalated'"), (3, "'2026-01-01'")]);
        // The same state with another bound: still a constant.
        assert!(!skew_changed(
            &seen,
            &v(&[(2, "'escalated'"), (3, "'2026-02-01'")]),
            &[2]
        ));
        // Another state: the application's data.
        assert!(skew_changed(
            &seen,
            &v(&[(2, "'pending'"), (3, "'2026-01-01'")]),
            &[2]
        ));
        // A range bound that changes is no skewed constant.
        assert!(!skew_changed(
            &seen,
            &v(&[(2, "'escalated'"), (3, "'2027-01-01'")]),
            &[2]
        ));
    }

    #[test]
    fn every_branch_of_an_or_fix_points_to_its_own_rank() {
        // A seq-scan fix for `email = $1 OR phone = $2` names two indexes;
        // the ranked list has both. Each line points to its own rank,
        // schema-qualified, and none is written a second time unqualified.
        let (schema, _) = crate::parse::ddl::parse_schema(
            "s.sql",
            "CREATE TABLE crm.people (id int PRIMARY KEY, email text, phone text);",
            Dialect::Postgres,
        );
        let spec = |c: &str| crate::model::index::IndexSpec::new("people", &[c]);
        let ranked = |c: &str, rank: usize| {
            let mut q = crate::model::index::IndexSpec::new("crm.people", &[c]);
            q.schema = Some("crm".into());
            AdvisedIndex {
                recommendation: crate::model::index::IndexRecommendation {
                    rank,
                    score: 1.0,
                    queries: vec!["7".into()],
                    ..crate::model::index::IndexRecommendation::new(
                        q,
                        Dialect::Postgres,
                        crate::model::index::Verification::Hypopg,
                    )
                },
                helps: Vec::new(),
                size_bytes: 0.0,
                join_key: false,
                partners: Vec::new(),
            }
        };
        let (e, p) = (spec("email"), spec("phone"));
        let advice = format!(
            "Index each:\n{}\n{}",
            e.statement(Dialect::Postgres),
            p.statement(Dialect::Postgres)
        );
        let mut f = Finding::new(&crate::detect::rules::SeqScan::META, "seq", advice)
            .with_indexes(vec![e, p]);
        f.query_fingerprint = Some("7".into());
        let indexes = vec![ranked("phone", 1), ranked("email", 2)];
        one_truth(std::slice::from_mut(&mut f), &indexes, &[], &schema, &[]);
        let lines: Vec<&str> = f.advice.lines().skip(1).collect();
        assert_eq!(lines.len(), 2, "{}", f.advice);
        assert!(
            lines[0].contains("ON crm.people (email);  -- index #2 "),
            "{}",
            f.advice
        );
        assert!(
            lines[1].contains("ON crm.people (phone);  -- index #1 "),
            "{}",
            f.advice
        );
    }

    #[test]
    fn a_hot_share_counts_once_the_table_had_as_many_updates_as_rows() {
        // 39 heartbeats on a freshly loaded table of 50,000 rows: first
        // updates, not HOT for want of room; not a share to go by.
        assert!(!settled_updates(39, Some(50_000.0)));
        assert!(settled_updates(60_000, Some(50_000.0)));
        assert!(settled_updates(39, None));
        assert!(!settled_updates(0, None));
    }
}
