//! `dbperf analyze --db sqlite:FILE` and `dbperf analyze --demo`.
//!
//! The pipeline: open the file read-only and read its catalog, statistics
//! and settings ([`crate::source::sqlite`]); read the workload
//! (`--queries`, `--log`); fingerprint it; for each distinct statement take
//! SQLite's `EXPLAIN QUERY PLAN` and run the plan rules on it, with the
//! statement's own predicates filled in; propose index candidates from
//! what each statement filters, joins and sorts on; keep a candidate only
//! if SQLite's planner uses it on a scratch copy
//! ([`crate::advise::sqlite_verify`]); rank what is left by the time it
//! saves over the workload.
//!
//! The workload: `--queries FILE` (statements with `-- calls: N`) and
//! `--log FILE` (a statement trace, durations optional), both read by
//! [`crate::source::workload`]. With durations the report shows measured times and ranks by them.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::advise::rank_indexes;
use crate::advise::sqlite_verify::{
    CostModel, PartialIndex, annotate, conjunction, indexable_in_sqlite, own_predicates,
    predicates_on, rows_read, uses_index,
};
use crate::detect::evidence::count;
use crate::detect::rules::TempBTree;
use crate::detect::{self, Finding, Inputs, PlanContext, SchemaContext};
use crate::error::{Error, Result};
use crate::model::Dialect;
use crate::model::advice::PlannerFix;
use crate::model::index::{IndexRecommendation, IndexSpec, Verification};
use crate::model::plan::Plan;
use crate::model::report::{InputProblem, QueryStat, Report, TableActivity};
use crate::model::schema::{IndexKey, Schema};
use crate::model::statement::{self, WorkloadQuery};
use crate::source::scratch::Scratch;
use crate::source::sqlite::{Catalog, SqliteSource, quote};
use crate::source::workload;
use crate::sql::predicate::{Predicate, PredicateKind};
use crate::sql::statement::{TableScan, analyze_sql};

/// An index saving less than this share of the best one's time is not
/// worth its writes and its space (as `analyze --db` on PostgreSQL).
const MIN_SCORE_SHARE: f64 = 0.0005;
/// Tables smaller than this get no index advice: a scan of them is cheap.
const MIN_TABLE_ROWS: f64 = 1_000.0;
/// A candidate the planner takes must also cut the estimated rows read to
/// at most this share, or it is not worth its upkeep on every write.
const MIN_GAIN: f64 = 0.8;
/// A partial candidate whose predicate keeps more of the table's rows than
/// this is dropped: it holds most of the table, and serves only the
/// statements that repeat its predicate (a to-do app's open fifth of the
/// tasks is kept).
const MAX_PARTIAL_SHARE: f64 = 0.25;
/// An equality's column with more distinct values than this in the
/// sample is an identifier, not a state: no partial index on one value.
const MAX_PARTIAL_STATES: f64 = 100.0;
/// A null guard ([`null_guard`]) is kept when the NULLs another statement
/// asks for are at least this share of the table: fewer, and an index
/// search for them is what that statement wants anyway.
const MIN_NULL_GUARD_SHARE: f64 = 0.01;
/// Time SQLite takes to read one row of a table in the page cache (tens of
/// millions of rows a second on current hardware), in milliseconds. A fixed
/// estimate, not a measurement: dbperf never times itself, so the same
/// input gives the same report.
const MS_PER_ROW: f64 = 0.000_05;

const DEMO_SCHEMA: &str = include_str!("../../fixtures/demo/shop.sql");
const DEMO_WORKLOAD: &str = include_str!("../../fixtures/demo/workload.sql");

/// `dbperf analyze --demo`: builds the demo shop database when missing (in
/// `dir`, else the user's cache directory) and analyses it with the demo
/// workload.
pub fn run_demo(dir: Option<&Path>) -> Result<Report> {
    let dir = crate::source::demo::demo_dir(dir)?;
    let db = dir.join("shop.db");
    if !db.exists() {
        build_demo(&db)?;
    }
    let on_disk = dir.join("workload.sql");
    let workload = if on_disk.exists() {
        workload::read(&on_disk)?
    } else {
        workload::parse("<demo workload>", DEMO_WORKLOAD)
    };
    let mut report = analyze(&db, workload.0)?;
    report.input_problems.extend(
        workload
            .1
            .into_iter()
            .map(|e| InputProblem::from_error(e, "")),
    );
    report.notes.insert(
        0,
        format!(
            "demo: {} built from fixtures/demo/shop.sql; delete it to rebuild.",
            db.display()
        ),
    );
    Ok(report)
}

/// Builds the demo database from the embedded SQL into a temporary file
/// next to `db`, then renames it into place (a half-built file is never
/// seen by a concurrent run).
pub fn build_demo(db: &Path) -> Result<()> {
    let dir = db.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
    let tmp = dir.join(format!(".shop.db.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let build = || -> rusqlite::Result<()> {
        let conn = rusqlite::Connection::open(&tmp)?;
        conn.execute_batch(DEMO_SCHEMA)?;
        conn.close().map_err(|(_, e)| e)
    };
    build().map_err(|e| Error::Database(format!("building the demo database: {e}")))?;
    std::fs::rename(&tmp, db).map_err(|e| Error::io(db.display().to_string(), e))
}

/// `dbperf analyze --db sqlite:FILE [--queries FILE] [--log FILE…]`.
pub fn run(db: &Path, queries: Option<&Path>, logs: &[PathBuf]) -> Result<Report> {
    let mut statements = Vec::new();
    let mut bad = Vec::new();
    if let Some(q) = queries {
        let (list, problems) = workload::read(q)?;
        statements.extend(list);
        bad.extend(problems);
    }
    for l in logs {
        statements.extend(workload::read_trace(l)?);
    }
    let mut report = analyze(db, statements)?;
    report
        .input_problems
        .extend(bad.into_iter().map(|e| InputProblem::from_error(e, "")));
    Ok(report)
}

/// One distinct statement (fingerprint) of the workload.
struct Group {
    fingerprint: String,
    sql: String,
    calls: u64,
    total_ms: Option<f64>,
    path: String,
    line: usize,
    scans: Vec<TableScan>,
    plan: Option<Plan>,
    /// Estimated rows read by the current plan (the cost proxy).
    before: f64,
}

/// A candidate the planner took for a statement.
#[derive(Clone)]
struct Verified {
    spec: IndexSpec,
    table: String,
    after: f64,
    after_plan: Plan,
}

/// A candidate a statement's finding may name that the planner turned
/// down on the scratch copy: it kept its plan (`after` is `None`), or the
/// index cut the rows read by less than [`MIN_GAIN`] asks.
#[derive(Clone)]
struct Rejected {
    spec: IndexSpec,
    after: Option<f64>,
    /// The same judged beside the ranked indexes that serve the statement
    /// (their ranks, the rows read with them, and with the candidate too).
    beside: Option<(Vec<usize>, f64, Option<f64>)>,
}

fn fingerprint_groups(workload: Vec<WorkloadQuery>) -> Vec<Group> {
    statement::fold(&workload, Dialect::Sqlite)
        .into_iter()
        .map(|s| Group {
            fingerprint: s.fingerprint.to_string(),
            total_ms: s.total_ms(),
            sql: s.sql,
            calls: s.calls,
            path: s.path,
            line: s.line,
            scans: Vec::new(),
            plan: None,
            before: 0.0,
        })
        .collect()
}

/// Index candidates for one table reference: equality columns then a
/// range column; equality then ORDER BY / GROUP BY columns; join lookup
/// columns; expression keys for wrapped columns.
fn candidates(scan: &TableScan, table: &str) -> Vec<IndexSpec> {
    let plain = |k: &PredicateKind| {
        matches!(
            k,
            PredicateKind::Eq | PredicateKind::In | PredicateKind::IsNull
        )
    };
    let mut eq: Vec<String> = Vec::new();
    for p in scan.predicates.iter().filter(|p| p.wrapper.is_none()) {
        if plain(&p.kind) && !eq.iter().any(|c| c.eq_ignore_ascii_case(&p.column.name)) {
            eq.push(p.column.name.clone());
        }
    }
    let range = scan
        .predicates
        .iter()
        .find(|p| p.wrapper.is_none() && p.kind == PredicateKind::Range)
        .map(|p| p.column.name.clone());
    let joins: Vec<String> = scan
        .predicates
        .iter()
        .filter(|p| p.wrapper.is_none() && matches!(p.kind, PredicateKind::Join(_)))
        .map(|p| p.column.name.clone())
        .collect();
    let mut out: Vec<Vec<IndexKey>> = Vec::new();
    let cols = |v: &[String]| -> Vec<IndexKey> { v.iter().map(|c| IndexKey::column(c)).collect() };
    let with = |base: &[String], more: &[String]| -> Vec<String> {
        let mut v = base.to_vec();
        for m in more {
            if !v.iter().any(|c| c.eq_ignore_ascii_case(m)) {
                v.push(m.clone());
            }
        }
        v
    };
    if !eq.is_empty() || range.is_some() {
        out.push(cols(&with(&eq, range.as_slice())));
    }
    if !scan.order_by.is_empty() && scan.order_by.iter().all(|o| o.expression.is_none()) {
        let order: Vec<String> = scan.order_by.iter().map(|o| o.column.clone()).collect();
        out.push(cols(&with(&eq, &order)));
    }
    if !scan.group_by.is_empty() {
        out.push(cols(&with(&eq, &scan.group_by)));
    }
    for j in &joins {
        out.push(cols(&with(std::slice::from_ref(j), &eq)));
    }
    for p in scan.predicates.iter() {
        if let Some(w) = &p.wrapper
            && p.kind.is_indexable()
        {
            out.push(vec![IndexKey::Expression {
                sql: w.expr_sql.clone(),
            }]);
        }
    }
    let mut specs: Vec<IndexSpec> = Vec::new();
    for keys in out {
        if keys.is_empty() {
            continue;
        }
        let mut s = IndexSpec::new(table, &[]);
        s.keys = keys;
        if indexable_in_sqlite(&s) && !specs.contains(&s) {
            specs.push(s);
        }
    }
    // Each with the rows of a constant condition only (`completed_at IS
    // NULL`, `status = 'pending'`): a partial index holds the queue and
    // nothing else, its column dropped from the keys when other keys are
    // left. Kept only where the condition keeps few rows
    // ([`keep_small_partials`]).
    let mut partials: Vec<IndexSpec> = Vec::new();
    for (col, predicate) in scan.predicates.iter().filter_map(partial_predicate) {
        for full in &specs {
            let mut s = full.clone();
            let rest: Vec<IndexKey> = s
                .keys
                .iter()
                .filter(|k| {
                    k.column_name()
                        .is_none_or(|n| !n.eq_ignore_ascii_case(&col))
                })
                .cloned()
                .collect();
            if !rest.is_empty() {
                s.keys = rest;
            }
            s.predicate = Some(predicate.clone());
            if !partials.contains(&s) {
                partials.push(s);
            }
        }
    }
    specs.extend(partials);
    specs
}

/// The column and the partial-index predicate of a condition a statement
/// always writes the same way: `col IS NULL`, `col IS NOT NULL`, or `col`
/// equal to a literal (not a parameter, whose value changes). SQLite uses
/// such an index only for a statement whose WHERE holds the same term.
fn partial_predicate(p: &Predicate) -> Option<(String, String)> {
    if p.wrapper.is_some() {
        return None;
    }
    let col = p.column.name.clone();
    let q = quote(&col);
    let predicate = match p.kind {
        PredicateKind::IsNull => format!("{q} IS NULL"),
        PredicateKind::Other if crate::sql::predicate::is_not_null(&p.sql) => not_null(&col),
        PredicateKind::Eq => {
            let v = p.value.as_deref()?.trim();
            let literal = v.starts_with('\'')
                || v.parse::<f64>().is_ok()
                || v.eq_ignore_ascii_case("true")
                || v.eq_ignore_ascii_case("false");
            if !literal {
                return None;
            }
            format!("{q} = {v}")
        }
        _ => return None,
    };
    Some((col, predicate))
}

/// The partial-index predicate `"col" IS NOT NULL`.
fn not_null(col: &str) -> String {
    format!("{} IS NOT NULL", quote(col))
}

/// The predicates of a statement's scans of `table`.
fn table_predicates<'g>(g: &'g Group, table: &str) -> impl Iterator<Item = &'g Predicate> {
    g.scans
        .iter()
        .filter(move |s| s.table.eq_ignore_ascii_case(table))
        .flat_map(|s| &s.predicates)
}

fn key_sql(k: &IndexKey) -> String {
    match k {
        IndexKey::Column { name, .. } => quote(name),
        IndexKey::Expression { sql } => sql.clone(),
    }
}

/// The whole SQLite analysis of one file and workload.
pub fn analyze(db: &Path, workload: Vec<WorkloadQuery>) -> Result<Report> {
    let source = SqliteSource::open(db)?;
    let Catalog {
        mut schema,
        facts,
        objects,
        stat1,
        stat4,
        mut rows_per_key,
        without_rowid,
    } = source.catalog()?;
    let mut report = Report::new("analyze");
    let has_workload = !workload.is_empty();
    let mut groups = fingerprint_groups(workload);
    plan_statements(&source, &schema, &mut groups, &mut report.input_problems);

    // Candidates, with statistics estimated from a sample of the file.
    let mut wanted = candidates_of(&groups, &schema);
    let shares = measured_shares(&source, &schema, &without_rowid, &groups);
    let partial = keep_small_partials(&source, &schema, &mut wanted, &groups, &shares);
    let stats = estimate_candidates(
        &source,
        &mut schema,
        &without_rowid,
        &wanted,
        &partial,
        &mut rows_per_key,
    );
    let costs = Costs {
        schema: &schema,
        rows_per_key: &rows_per_key,
        shares: &shares,
        partial: &partial,
    };
    for g in &mut groups {
        if let Some(plan) = &mut g.plan {
            let model = costs.model(&g.scans);
            g.before = rows_read(plan, &model);
            annotate(plan, &model);
        }
    }

    // What-if on the scratch copy: one candidate at a time.
    let scratch = if wanted.is_empty() {
        None
    } else {
        Some(Scratch::build(&objects, &stat1, &stat4, facts.has_stat1)?)
    };
    let mut best: Vec<Vec<Verified>> = vec![Vec::new(); groups.len()];
    let mut rejected: Vec<Vec<Rejected>> = vec![Vec::new(); groups.len()];
    if let Some(scratch) = &scratch {
        for o in &scratch.skipped {
            report
                .notes
                .push(format!("scratch copy: could not recreate {o}"));
        }
        let (verified, turned_down) = verify(scratch, &wanted, &stats, &groups, &costs);
        best = best_per_table(verified);
        rejected = turned_down;
    }
    let scale = TimeScale::of(&schema, &groups);
    let mut indexes = ranked_indexes(scratch.as_ref(), &best, &stats, &groups, &costs, &scale);
    if let Some(scratch) = &scratch {
        judge_beside_ranked(scratch, &mut rejected, &indexes, &stats, &groups, &costs);
    }

    let mut findings = Vec::new();
    for (gi, g) in groups.iter().enumerate() {
        findings.extend(statement_findings(
            g,
            &best[gi],
            &rejected[gi],
            &indexes,
            &schema,
            &scale,
        ));
    }
    findings.extend(detect::run(&Inputs {
        schema: Some(SchemaContext {
            schema: &schema,
            created: None,
        }),
        sqlite: Some(&facts),
        ..Inputs::default()
    }));
    super::point_to_ranked(&mut findings, &indexes, Dialect::Sqlite);
    let cut = cut_negligible(&mut indexes, &findings);
    detect::rank(&mut findings);

    report.queries = query_stats(&groups);
    report.findings = findings;
    report.tables = report
        .health_tables()
        .into_iter()
        .filter_map(|name| {
            let t = schema.table(&name)?;
            Some(TableActivity {
                rows: t.rows.map(|r| r as u64),
                bytes: t.bytes,
                table: name,
                ..TableActivity::default()
            })
        })
        .collect();
    report.indexes = indexes;
    report
        .notes
        .extend(notes(has_workload, &scale, facts.has_stat1, &source.name));
    if let Some((n, floor)) = cut {
        report.notes.push(format!(
            "{n} verified index{} saved too little to show (under {} a day, {}% of the best one's saving)",
            if n == 1 { "" } else { "es" },
            crate::detect::evidence::ms(floor),
            MIN_SCORE_SHARE * 100.0
        ));
    }
    Ok(report)
}

/// Each statement's plan on the file, and what it asks of each table.
fn plan_statements(
    source: &SqliteSource,
    schema: &Schema,
    groups: &mut [Group],
    problems: &mut Vec<InputProblem>,
) {
    for g in groups {
        g.scans = analyze_sql(&g.sql, Dialect::Sqlite, Some(schema))
            .map(|a| a.scans)
            .unwrap_or_default();
        match source.explain(&g.sql) {
            Ok(plan) => g.plan = plan,
            Err(msg) => problems.push(InputProblem {
                path: g.path.clone(),
                line: g.line,
                message: format!("SQLite cannot plan this statement: {msg}"),
            }),
        }
    }
}

/// The index candidates of the planned statements on tables worth
/// indexing, each with the statements (group indexes) it may help.
fn candidates_of(groups: &[Group], schema: &Schema) -> Vec<(IndexSpec, Vec<usize>)> {
    let mut wanted: Vec<(IndexSpec, Vec<usize>)> = Vec::new();
    for (gi, g) in groups.iter().enumerate() {
        if g.plan.is_none() {
            continue;
        }
        let mut specs: Vec<IndexSpec> = Vec::new();
        for scan in &g.scans {
            let Some(t) = schema.table(&scan.table) else {
                continue;
            };
            if t.rows.unwrap_or(0.0) < MIN_TABLE_ROWS {
                continue;
            }
            specs.extend(candidates(scan, &t.name));
        }
        specs.extend(foreign_key_candidates(g, schema));
        for spec in specs {
            if spec.already_served(schema) {
                continue;
            }
            match wanted.iter_mut().find(|(s, _)| *s == spec) {
                Some((_, gs)) if !gs.contains(&gi) => gs.push(gi),
                Some(_) => {}
                None => wanted.push((spec, vec![gi])),
            }
        }
    }
    let guards: Vec<(IndexSpec, Vec<usize>)> = wanted
        .iter()
        .filter_map(|(spec, gis)| null_guard(spec, gis, groups))
        .collect();
    for (spec, gis) in guards {
        if !wanted.iter().any(|(s, _)| *s == spec) {
            wanted.push((spec, gis));
        }
    }
    wanted
}

/// `spec WHERE c IS NOT NULL`, for a plain index led by `c`, with those
/// of its statements that compare `c` with a value, when another
/// statement asks `c IS NULL` of the same table. sqlite_stat1 counts rows per distinct
/// value and cannot see that NULL is one heavy value: beside the
/// plain index, SQLite searches it for `c IS NULL` (the open fifth of a
/// to-do list's tasks) instead of the index that serves that statement.
/// Without its NULLs the index cannot be chosen for them, and is smaller.
fn null_guard(
    spec: &IndexSpec,
    gis: &[usize],
    groups: &[Group],
) -> Option<(IndexSpec, Vec<usize>)> {
    if spec.predicate.is_some() {
        return None;
    }
    let col = spec.keys.first()?.column_name()?.to_string();
    let on_table = |g| -> Vec<&Predicate> {
        table_predicates(g, &spec.table)
            .filter(|p| p.wrapper.is_none() && p.column.name.eq_ignore_ascii_case(&col))
            .collect()
    };
    let valued = |p: &&Predicate| p.kind.compares_a_value();
    let compared: Vec<usize> = gis
        .iter()
        .copied()
        .filter(|&gi| on_table(&groups[gi]).iter().any(valued))
        .collect();
    let asks_null = groups
        .iter()
        .any(|g| on_table(g).iter().any(|p| p.kind == PredicateKind::IsNull));
    if compared.is_empty() || !asks_null {
        return None;
    }
    let mut guard = spec.clone();
    guard.predicate = Some(not_null(&col));
    Some((guard, compared))
}

/// The child tables a statement's plan scans in full for a foreign key's
/// check or action (a DELETE on the parent): an index on the key's
/// columns lets each written row look its children up instead.
fn foreign_key_candidates(g: &Group, schema: &Schema) -> Vec<IndexSpec> {
    let Some(plan) = &g.plan else {
        return Vec::new();
    };
    let named = |t: &str| {
        g.scans.iter().any(|s| {
            let bare = s.table.rsplit('.').next().unwrap_or(&s.table);
            bare.eq_ignore_ascii_case(t)
                || s.alias
                    .as_deref()
                    .is_some_and(|a| a.eq_ignore_ascii_case(t))
        })
    };
    let mut out: Vec<IndexSpec> = Vec::new();
    for (_, n) in plan.nodes() {
        if n.node_type != "SCAN" || n.index_name.is_some() {
            continue;
        }
        let Some(rel) = n.relation.as_deref() else {
            continue;
        };
        let Some(child) = schema.table(rel) else {
            continue;
        };
        if named(rel) || child.rows.unwrap_or(0.0) < MIN_TABLE_ROWS {
            continue;
        }
        for fk in &child.foreign_keys {
            if !named(&fk.referenced_table) || fk.columns.is_empty() {
                continue;
            }
            let cols: Vec<&str> = fk.columns.iter().map(String::as_str).collect();
            let spec = IndexSpec::new(&child.name, &cols);
            if !spec.already_served(schema) && !out.contains(&spec) {
                out.push(spec);
            }
        }
    }
    out
}

/// Drops the partial candidates whose predicate keeps more than
/// [`MAX_PARTIAL_SHARE`] of the table's rows (as measured on the sample),
/// or an unmeasured share: a partial index pays when it holds a queue, not
/// most of the table. Returns the kept ones' predicate column and share,
/// by lower-case index name, for the cost proxy.
fn keep_small_partials(
    source: &SqliteSource,
    schema: &Schema,
    wanted: &mut Vec<(IndexSpec, Vec<usize>)>,
    groups: &[Group],
    shares: &HashMap<String, f64>,
) -> HashMap<String, PartialIndex> {
    let mut kept: HashMap<String, PartialIndex> = HashMap::new();
    // An equality's column must hold a few states (`status = 'pending'`),
    // not an identifier (`member_id = 1234` is one value the workload
    // happened to show).
    let mut few: HashMap<(String, String), bool> = HashMap::new();
    wanted.retain(|(spec, gis)| {
        let Some(predicate) = &spec.predicate else {
            return true;
        };
        let on_table = |gi: usize| table_predicates(&groups[gi], &spec.table);
        let found = gis.iter().flat_map(|&gi| on_table(gi)).find_map(|p| {
            let (col, pred) = partial_predicate(p)?;
            (pred == *predicate).then(|| Some((col, *shares.get(&p.sql)?)))?
        });
        // A null guard ([`null_guard`]): the rows other than the NULLs
        // another statement asks for, whatever their share.
        if found.is_none()
            && let Some(col) = spec.keys.first().and_then(IndexKey::column_name)
            && *predicate == not_null(col)
            && let Some(null) = (0..groups.len()).flat_map(on_table).find_map(|p| {
                (p.kind == PredicateKind::IsNull
                    && p.wrapper.is_none()
                    && p.column.name.eq_ignore_ascii_case(col))
                .then(|| shares.get(&p.sql).copied())?
            })
            && null >= MIN_NULL_GUARD_SHARE
        {
            kept.insert(
                spec.name().to_lowercase(),
                PartialIndex {
                    column: col.to_string(),
                    share: (1.0 - null).max(0.0),
                },
            );
            return true;
        }
        let mut states = |column: &str| {
            if predicate.contains(" IS ") {
                return true;
            }
            // A foreign or primary key's value names one row, not a state.
            let key = schema.table(&spec.table).is_some_and(|t| {
                t.primary_key.iter().any(|c| c.eq_ignore_ascii_case(column))
                    || t.foreign_keys
                        .iter()
                        .any(|f| f.columns.iter().any(|c| c.eq_ignore_ascii_case(column)))
            });
            !key && *few
                .entry((spec.table.to_lowercase(), column.to_lowercase()))
                .or_insert_with(|| {
                    source
                        .sample_distinct(&spec.table, column)
                        .is_some_and(|d| d <= MAX_PARTIAL_STATES)
                })
        };
        match found {
            Some((column, share)) if share <= MAX_PARTIAL_SHARE && states(&column) => {
                kept.insert(spec.name().to_lowercase(), PartialIndex { column, share });
                true
            }
            _ => false,
        }
    });
    kept
}

/// The `sqlite_stat1` line each candidate would get, estimated from a
/// sample of the file (by index name). The estimates also tell the cost
/// model how selective each candidate's leading column is.
fn estimate_candidates(
    source: &SqliteSource,
    schema: &mut Schema,
    without_rowid: &HashSet<String>,
    wanted: &[(IndexSpec, Vec<usize>)],
    partial: &HashMap<String, PartialIndex>,
    rows_per_key: &mut HashMap<String, Vec<f64>>,
) -> HashMap<String, String> {
    let mut stats: HashMap<String, String> = HashMap::new();
    for (spec, _) in wanted {
        let Some(t) = schema.table(&spec.table) else {
            continue;
        };
        let keys: Vec<String> = spec.keys.iter().map(key_sql).collect();
        let wr = without_rowid.contains(&t.name.to_lowercase());
        let rows = t.rows.unwrap_or(0.0);
        // A partial index holds its predicate's rows only.
        let (rows, predicate) = match (&spec.predicate, partial.get(&spec.name().to_lowercase())) {
            (Some(p), Some(pi)) => ((rows * pi.share).max(1.0), Some(p.as_str())),
            _ => (rows, None),
        };
        if let Ok(line) = source.estimate_index_stat(&t.name, &keys, predicate, rows, wr) {
            stats.insert(spec.name(), line);
        }
    }
    for (spec, _) in wanted {
        let Some(line) = stats.get(&spec.name()) else {
            continue;
        };
        let nums: Vec<f64> = line.split(' ').filter_map(|w| w.parse().ok()).collect();
        rows_per_key.insert(
            spec.name().to_lowercase(),
            nums.get(1..).unwrap_or_default().to_vec(),
        );
        if let (Some(IndexKey::Column { name, .. }), Some(&per)) = (spec.keys.first(), nums.get(1))
            && spec.predicate.is_none()
            && let Some(t) = schema.table_mut(&spec.table)
        {
            let rows = t.rows.unwrap_or(0.0);
            if let Some(c) = t
                .columns
                .iter_mut()
                .find(|c| c.name.eq_ignore_ascii_case(name))
            {
                c.n_distinct.get_or_insert((rows / per.max(1.0)).max(1.0));
            }
        }
    }
    stats
}

/// The share of rows the statements' own predicates keep, measured on a
/// sample: each predicate with constants, all of a scan's together, and
/// those on each leading run of a candidate's keys (what a SEARCH through
/// it would match), so skewed values and correlated columns count as
/// they are. A predicate with a parameter cannot be measured and keeps
/// the statistics' estimate.
fn measured_shares(
    source: &SqliteSource,
    schema: &Schema,
    without_rowid: &HashSet<String>,
    groups: &[Group],
) -> HashMap<String, f64> {
    let mut shares: HashMap<String, f64> = HashMap::new();
    let mut tried: HashSet<String> = HashSet::new();
    for g in groups {
        for scan in &g.scans {
            let Some(t) = schema.table(&scan.table) else {
                continue;
            };
            if t.rows.unwrap_or(0.0) < MIN_TABLE_ROWS {
                continue;
            }
            let own = own_predicates(scan);
            let mut sets: Vec<Vec<&Predicate>> = own.iter().map(|p| vec![*p]).collect();
            if own.len() > 1 {
                sets.push(own.clone());
            }
            for spec in candidates(scan, &t.name) {
                let cols: Vec<String> = spec
                    .keys
                    .iter()
                    .map_while(|k| match k {
                        IndexKey::Column { name, .. } => Some(name.clone()),
                        IndexKey::Expression { .. } => None,
                    })
                    .collect();
                // A partial index's search also keeps its predicate's rows
                // only.
                let held = spec.predicate.as_ref().and_then(|pred| {
                    scan.predicates
                        .iter()
                        .filter_map(partial_predicate)
                        .find(|(_, p)| p == pred)
                        .map(|(c, _)| c)
                });
                let first = if held.is_some() { 1 } else { 2 };
                for n in first..=cols.len() {
                    let mut on = cols[..n].to_vec();
                    on.extend(held.clone());
                    if let Some(p) = predicates_on(scan, &on) {
                        sets.push(p);
                    }
                }
            }
            let alias = scan.alias.clone().unwrap_or_else(|| t.name.clone());
            let wr = without_rowid.contains(&t.name.to_lowercase());
            for set in sets {
                let key = conjunction(&set);
                if !tried.insert(key.clone()) {
                    continue;
                }
                if let Some(share) =
                    source.sample_share(&t.name, &alias, &key, t.rows.unwrap_or(0.0), wr)
                {
                    shares.insert(key, share);
                }
            }
        }
    }
    shares
}

/// What the cost proxy needs besides a statement's own table references.
struct Costs<'a> {
    schema: &'a Schema,
    rows_per_key: &'a HashMap<String, Vec<f64>>,
    shares: &'a HashMap<String, f64>,
    partial: &'a HashMap<String, PartialIndex>,
}

impl<'a> Costs<'a> {
    fn model(&self, scans: &'a [TableScan]) -> CostModel<'a> {
        CostModel {
            schema: self.schema,
            rows_per_key: self.rows_per_key,
            scans,
            shares: self.shares,
            partial: self.partial,
        }
    }
}

/// Each candidate on the scratch copy: per statement, the candidates the
/// planner takes and that cut the rows read enough.
fn verify(
    scratch: &Scratch,
    wanted: &[(IndexSpec, Vec<usize>)],
    stats: &HashMap<String, String>,
    groups: &[Group],
    costs: &Costs<'_>,
) -> (Vec<Vec<Verified>>, Vec<Vec<Rejected>>) {
    let mut verified: Vec<Vec<Verified>> = vec![Vec::new(); groups.len()];
    let mut rejected: Vec<Vec<Rejected>> = vec![Vec::new(); groups.len()];
    for (spec, gis) in wanted {
        let sqls: Vec<&str> = gis.iter().map(|&i| groups[i].sql.as_str()).collect();
        let Ok(plans) =
            scratch.plans_with(spec, stats.get(&spec.name()).map(String::as_str), &sqls)
        else {
            continue;
        };
        for (&gi, plan) in gis.iter().zip(plans) {
            let Some(mut plan) = plan else { continue };
            if !uses_index(&plan, &spec.name()) {
                rejected[gi].push(Rejected {
                    spec: spec.clone(),
                    after: None,
                    beside: None,
                });
                continue;
            }
            let g = &groups[gi];
            let model = costs.model(&g.scans);
            let after = rows_read(&plan, &model);
            if after > MIN_GAIN * g.before {
                rejected[gi].push(Rejected {
                    spec: spec.clone(),
                    after: Some(after),
                    beside: None,
                });
            } else {
                annotate(&mut plan, &model);
                verified[gi].push(Verified {
                    spec: spec.clone(),
                    table: spec.table.clone(),
                    after,
                    after_plan: plan,
                });
            }
        }
    }
    (verified, rejected)
}

/// Judges each turned-down candidate again with the ranked indexes that
/// serve its statement built too: an index that saves little while the
/// statement's cost lies elsewhere may save much once that is fixed.
fn judge_beside_ranked(
    scratch: &Scratch,
    rejected: &mut [Vec<Rejected>],
    indexes: &[IndexRecommendation],
    stats: &HashMap<String, String>,
    groups: &[Group],
    costs: &Costs<'_>,
) {
    for (g, turned_down) in groups.iter().zip(rejected.iter_mut()) {
        let ranked: Vec<&IndexRecommendation> = indexes
            .iter()
            .filter(|r| r.queries.contains(&g.fingerprint))
            .collect();
        if ranked.is_empty() || turned_down.is_empty() {
            continue;
        }
        let stat = |spec: &IndexSpec| stats.get(&spec.name()).map(String::as_str);
        let set: Vec<(&IndexSpec, Option<&str>)> =
            ranked.iter().map(|r| (&r.spec, stat(&r.spec))).collect();
        let model = costs.model(&g.scans);
        let Some(base) = scratch
            .plans_with_all(&set, &[g.sql.as_str()])
            .ok()
            .and_then(|mut p| p.pop().flatten())
        else {
            continue;
        };
        let before = rows_read(&base, &model);
        for r in turned_down.iter_mut() {
            if ranked.iter().any(|x| x.spec == r.spec) {
                continue;
            }
            let mut with = set.clone();
            with.push((&r.spec, stat(&r.spec)));
            let after = scratch
                .plans_with_all(&with, &[g.sql.as_str()])
                .ok()
                .and_then(|mut p| p.pop().flatten())
                .filter(|p| uses_index(p, &r.spec.name()))
                .map(|p| rows_read(&p, &model));
            r.beside = Some((ranked.iter().map(|x| x.rank).collect(), before, after));
        }
    }
}

/// The best candidate per statement and table: fewest rows read, then
/// fewest keys, then a partial index (it holds fewer rows) over a full one.
fn best_per_table(verified: Vec<Vec<Verified>>) -> Vec<Vec<Verified>> {
    let mut best: Vec<Vec<Verified>> = Vec::with_capacity(verified.len());
    for vs in &verified {
        let mut per_table: Vec<Verified> = Vec::new();
        for v in vs {
            match per_table.iter_mut().find(|b| b.table == v.table) {
                Some(b) => {
                    let (vk, bk) = (v.spec.keys.len(), b.spec.keys.len());
                    if v.after < b.after
                        || (v.after == b.after && vk < bk)
                        || (v.after == b.after
                            && vk == bk
                            && v.spec.predicate.is_some()
                            && b.spec.predicate.is_none())
                    {
                        *b = v.clone();
                    }
                }
                None => per_table.push(v.clone()),
            }
        }
        best.push(per_table);
    }
    best
}

/// How rows saved become time: measured durations when the workload has
/// them, else [`MS_PER_ROW`] for each row saved.
struct TimeScale {
    timed: bool,
    ms_per_row: Option<f64>,
}

impl TimeScale {
    fn of(schema: &Schema, groups: &[Group]) -> TimeScale {
        let timed = !groups.is_empty() && groups.iter().all(|g| g.total_ms.is_some());
        // Empty tables: no time to speak of, scores stay in rows.
        let has_rows = schema.tables.iter().any(|t| t.rows.unwrap_or(0.0) > 0.0);
        TimeScale {
            timed,
            ms_per_row: (!timed && has_rows).then_some(MS_PER_ROW),
        }
    }

    /// Time a statement saves over its calls when its plan reads `after`
    /// rows instead of its `before`.
    fn saved_ms(&self, g: &Group, after: f64) -> Option<f64> {
        let share = if g.before > 0.0 {
            (1.0 - after / g.before).max(0.0)
        } else {
            0.0
        };
        match (g.total_ms, self.ms_per_row) {
            (Some(t), _) if self.timed => Some(t * share),
            (_, Some(per)) => Some((g.before - after).max(0.0) * per * g.calls as f64),
            _ => None,
        }
    }

    /// The score of saving `before - after` rows: time when it can be had,
    /// else rows × calls.
    fn score(&self, g: &Group, after: f64) -> f64 {
        self.saved_ms(g, after)
            .unwrap_or((g.before - after) * g.calls as f64)
    }
}

/// The best candidates merged into ranked indexes, each re-verified as
/// merged on the scratch copy against every statement it is meant to help.
fn ranked_indexes(
    scratch: Option<&Scratch>,
    best: &[Vec<Verified>],
    stats: &HashMap<String, String>,
    groups: &[Group],
    costs: &Costs<'_>,
    scale: &TimeScale,
) -> Vec<IndexRecommendation> {
    let mut ranked_input = Vec::new();
    for (gi, bs) in best.iter().enumerate() {
        let g = &groups[gi];
        for b in bs {
            let reason = format!(
                "The planner switches {} from {} to {} on a scratch copy (about {} → {} rows read per run).",
                b.table,
                scan_word(g.plan.as_ref(), &b.table),
                search_word(&b.after_plan, &b.spec.name()),
                count(g.before),
                count(b.after)
            );
            ranked_input.push((
                b.spec.clone(),
                scale.score(g, b.after),
                g.fingerprint.clone(),
                reason,
            ));
        }
    }
    let mut indexes = rank_indexes(ranked_input, Dialect::Sqlite);
    if let Some(scratch) = scratch {
        for r in &mut indexes {
            let gis: Vec<usize> = r
                .queries
                .iter()
                .filter_map(|f| groups.iter().position(|g| &g.fingerprint == f))
                .collect();
            let sqls: Vec<&str> = gis.iter().map(|&i| groups[i].sql.as_str()).collect();
            let plans = scratch
                .plans_with(
                    &r.spec,
                    stats.get(&r.spec.name()).map(String::as_str),
                    &sqls,
                )
                .unwrap_or_default();
            let (mut before, mut after, mut score) = (0.0, 0.0, 0.0);
            let mut helped = Vec::new();
            for (&gi, plan) in gis.iter().zip(plans) {
                let g = &groups[gi];
                let Some(plan) = plan.filter(|p| uses_index(p, &r.spec.name())) else {
                    continue;
                };
                let a = rows_read(&plan, &costs.model(&g.scans));
                if a > MIN_GAIN * g.before {
                    continue;
                }
                before += g.before;
                after += a;
                score += scale.score(g, a);
                helped.push(g.fingerprint.clone());
            }
            r.queries = helped;
            r.verified = Verification::Planner;
            r.cost_before = Some(before.round());
            r.cost_after = Some(after.round());
            r.score = (score * 1000.0).round() / 1000.0;
        }
    }
    indexes.retain(|r| !r.queries.is_empty());
    indexes.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.statement.cmp(&b.statement))
    });
    for (i, r) in indexes.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    indexes
}

/// Drops the ranked indexes at the end of the list that save less than
/// [`MIN_SCORE_SHARE`] of the best one's time and that no finding names
/// (so no printed rank changes and every index a finding prints stays in
/// the list): a lookup on a small table that a few calls make, say.
/// Returns how many were dropped and the floor.
fn cut_negligible(
    indexes: &mut Vec<IndexRecommendation>,
    findings: &[Finding],
) -> Option<(usize, f64)> {
    let floor = indexes.first()?.score * MIN_SCORE_SHARE;
    let before = indexes.len();
    while let Some(last) = indexes.last() {
        let named = findings
            .iter()
            .any(|f| f.index.as_ref() == Some(&last.spec) || f.advice.contains(&last.statement));
        if last.score >= floor || named {
            break;
        }
        indexes.pop();
    }
    let n = before - indexes.len();
    (n > 0).then_some((n, floor))
}

/// The plan rules on one statement's annotated plan, with the planner's
/// fixes: SQLite's statements, the time a fix saves, the statement's place.
fn statement_findings(
    g: &Group,
    best: &[Verified],
    rejected: &[Rejected],
    indexes: &[IndexRecommendation],
    schema: &Schema,
    scale: &TimeScale,
) -> Vec<Finding> {
    let Some(plan) = &g.plan else {
        return Vec::new();
    };
    let planner_fixes: Vec<PlannerFix> = best
        .iter()
        .map(|b| PlannerFix {
            spec: b.spec.clone(),
            table: b.table.clone(),
            rows_before: g.before,
            rows_after: b.after,
        })
        .collect();
    let mut fs = detect::run(&Inputs {
        plan: Some(PlanContext {
            plan,
            schema: Some(schema),
            query_fingerprint: Some(&g.fingerprint),
            planner_fixes: Some(&planner_fixes),
        }),
        ..Inputs::default()
    });
    for f in &mut fs {
        sqlite_advice(f);
        let fix = best.iter().find(|b| fixes(f, b, plan));
        if let Some(b) = fix
            && f.index.as_ref().is_none_or(|s| s.table == b.spec.table)
        {
            if f.rule == TempBTree::META.id {
                f.advice = format!(
                    "{}\nThe planner uses this index on a scratch copy and the temporary b-tree goes away:\n{}",
                    f.advice,
                    b.spec.statement(Dialect::Sqlite)
                );
                f.index = Some(b.spec.clone());
            } else if let Some(p) = &b.spec.predicate
                && f.index.as_ref() != Some(&b.spec)
            {
                f.advice = format!(
                    "Index only the rows the statement reads: a partial index (WHERE {p}) is smaller than one on the whole table, and the planner uses it on a scratch copy:\n{}",
                    b.spec.statement(Dialect::Sqlite)
                );
                f.index = Some(b.spec.clone());
            }
            f.impact_ms = scale
                .saved_ms(g, b.after)
                .map(|v| (v * 1000.0).round() / 1000.0);
        } else if let Some(r) = f
            .index
            .as_ref()
            .and_then(|s| rejected.iter().find(|r| &r.spec == s))
        {
            turned_down(f, r, g, indexes);
        }
        f.query_fingerprint = Some(g.fingerprint.clone());
        let where_ = format!(" (statement at {}:{})", g.path, g.line);
        if !f.message.contains(&where_) {
            f.message.push_str(&where_);
        }
    }
    fs
}

/// The statements, most time first (or most rows read × calls, untimed).
fn query_stats(groups: &[Group]) -> Vec<QueryStat> {
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by(|&a, &b| {
        let ka = groups[a]
            .total_ms
            .unwrap_or(groups[a].before * groups[a].calls as f64);
        let kb = groups[b]
            .total_ms
            .unwrap_or(groups[b].before * groups[b].calls as f64);
        kb.total_cmp(&ka)
    });
    order
        .into_iter()
        .map(|i| {
            let g = &groups[i];
            QueryStat {
                fingerprint: g.fingerprint.clone(),
                query: g.sql.clone(),
                calls: g.calls,
                total_ms: g.total_ms.map(|t| (t * 1000.0).round() / 1000.0),
                mean_ms: g
                    .total_ms
                    .map(|t| (t / g.calls.max(1) as f64 * 1000.0).round() / 1000.0),
            }
        })
        .collect()
}

/// What the reader should know about how the figures were had.
fn notes(has_workload: bool, scale: &TimeScale, has_stat1: bool, name: &str) -> Vec<String> {
    let mut notes = Vec::new();
    if !has_workload {
        notes.push("no workload given (--queries FILE or --log FILE): only the schema, statistics and settings were checked.".to_string());
    }
    notes.push("SQLite prints no plan costs: cost_before/cost_after are the estimated rows the plans read (table sizes and rows per key from sqlite_stat1, SQLite's defaults where it has none; nested loops multiplied out), summed over the statements an index helps.".to_string());
    match (scale.timed, scale.ms_per_row) {
        (true, _) => notes.push("scores are measured time × the share of rows the index saves.".into()),
        (false, Some(per)) => notes.push(format!(
            "the workload has no timings: scores are rows saved × calls × {:.2} µs, a fixed estimate of the time SQLite takes to read a cached row (a --log trace with durations ranks by measured time).",
            per * 1000.0
        )),
        (false, None) => notes.push("the workload has no timings and the tables are empty: scores are rows saved × calls.".into()),
    }
    if !has_stat1 {
        notes.push("without sqlite_stat1 the candidates were planned without statistics too, as they would be after CREATE INDEX on this file.".into());
    }
    notes.push(format!(
        "{name} opened read-only; candidates were planned on an in-memory copy of its schema and statistics."
    ));
    notes
}

/// Rules written for PostgreSQL render their index statement for it;
/// SQLite takes the same index without `CONCURRENTLY`.
fn sqlite_advice(f: &mut Finding) {
    if let Some(spec) = &f.index {
        let pg = spec.statement(Dialect::Postgres);
        if f.advice.contains(&pg) {
            f.advice = f.advice.replace(&pg, &spec.statement(Dialect::Sqlite));
        }
    }
    if f.advice.contains("CREATE INDEX CONCURRENTLY") {
        f.advice = f
            .advice
            .replace("CREATE INDEX CONCURRENTLY", "CREATE INDEX");
    }
}

/// A finding whose index the planner turned down for its statement on the
/// scratch copy says so instead of printing a `CREATE INDEX` as if it
/// served (one truth per report): the index may still be in the ranked
/// list for other statements, or pay once other ranked indexes are built.
fn turned_down(f: &mut Finding, r: &Rejected, g: &Group, indexes: &[IndexRecommendation]) {
    let statement = r.spec.statement(Dialect::Sqlite);
    if !f.advice.contains(&statement) {
        return;
    }
    let what = format!("{} ({})", r.spec.table, r.spec.columns().join(", "));
    let ranks = |rs: &[usize]| {
        let rs: Vec<String> = rs.iter().map(|n| format!("#{n}")).collect();
        format!(
            "index{} {} of the ranked list",
            if rs.len() == 1 { "" } else { "es" },
            rs.join(", ")
        )
    };
    let alone = match r.after {
        Some(a) => format!("{} rows per run instead of {}", count(a), count(g.before)),
        None => format!(
            "the planner keeps {}",
            scan_word(g.plan.as_ref(), &r.spec.table)
        ),
    };
    let pays_beside = match &r.beside {
        Some((rs, before, Some(after))) if *after <= MIN_GAIN * before => Some((
            ranks(rs),
            format!(
                "with both, about {} rows per run instead of {}, {:.0}% fewer; alone, {alone}",
                count(*after),
                count(*before),
                percent_fewer(*after, *before),
            ),
        )),
        _ => None,
    };
    if let Some(listed) = indexes.iter().find(|x| x.statement == statement) {
        let why = match &pays_beside {
            Some((who, detail)) => {
                format!("it serves this statement once {who} is built too ({detail})")
            }
            None => format!("ranked for other statements; for this one it saves little ({alone})"),
        };
        f.advice = f.advice.replace(
            &statement,
            &format!(
                "{statement}  -- index #{} of the ranked list, {why}",
                listed.rank
            ),
        );
        f.index = None;
        return;
    }
    if let Some((who, detail)) = pays_beside {
        let them = match &r.beside {
            Some((rs, _, _)) if rs.len() > 1 => "them",
            _ => "it",
        };
        f.advice = format!(
            "Not proposed yet: {what}, tried on a scratch copy, pays only once {who} is built ({detail}). Build {them}, then run dbperf again."
        );
        f.index = None;
        return;
    }
    let why = match r.after {
        None => alone,
        Some(after) => format!(
            "with it the plan reads about {alone} ({:.0}% fewer), and an index must cut them by {:.0}% to pay for its upkeep on every write",
            percent_fewer(after, g.before),
            (1.0 - MIN_GAIN) * 100.0
        ),
    };
    let beside = match &r.beside {
        Some((rs, before, Some(after))) => format!(
            " (with {} built too: {} instead of {})",
            ranks(rs),
            count(*after),
            count(*before)
        ),
        Some((rs, _, None)) => format!(
            " (with {} built too, the planner does not use it)",
            ranks(rs)
        ),
        None => String::new(),
    };
    f.advice = format!(
        "No index is proposed: {what}, tried on a scratch copy, is not worth it: {why}{beside}."
    );
    f.index = None;
}

/// How many percent fewer rows `after` reads than `before`.
fn percent_fewer(after: f64, before: f64) -> f64 {
    (1.0 - after / before.max(1.0)) * 100.0
}

/// Whether a verified candidate answers this finding: same index, or the
/// finding's plan node is gone from the plan with the candidate.
fn fixes(f: &Finding, b: &Verified, before: &Plan) -> bool {
    if let Some(spec) = &f.index {
        // A partial index serves the finding's scan in its own way (a walk
        // of the few rows it holds): judged by the plan, as below.
        if spec == &b.spec || b.spec.predicate.is_none() {
            return spec == &b.spec;
        }
    }
    let Some(crate::detect::Location::PlanNode { id, .. }) = &f.location else {
        return false;
    };
    let Some((_, n)) = before.nodes().find(|(_, n)| n.id == *id) else {
        return false;
    };
    !b.after_plan
        .nodes()
        .any(|(_, m)| m.node_type == n.node_type && m.detail == n.detail)
}

fn scan_word(plan: Option<&Plan>, table: &str) -> String {
    plan.and_then(|p| {
        p.nodes()
            .find(|(_, n)| {
                n.relation
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case(table))
            })
            .and_then(|(_, n)| n.detail.clone())
    })
    .unwrap_or_else(|| "a full scan".into())
}

fn search_word(plan: &Plan, index: &str) -> String {
    plan.nodes()
        .find(|(_, n)| {
            n.index_name
                .as_deref()
                .is_some_and(|i| i.eq_ignore_ascii_case(index))
        })
        .and_then(|(_, n)| n.detail.clone())
        .unwrap_or_else(|| format!("a search using {index}"))
}
