//! The workload advisor: statements in, the smallest set of indexes that
//! saves the most time out.
//!
//! 1. **Fingerprint** every statement (the byte scanner) and fold repeats
//!    into one entry with their calls summed; the full parse runs once per
//!    fingerprint.
//! 2. **Analyse** each distinct statement into table scans with their
//!    predicates, ORDER BY and LIMIT ([`crate::sql::statement`]).
//! 3. **Cost** each scan as PostgreSQL's planner would, from the schema's
//!    statistics: the cheapest of a sequential scan and every existing
//!    index, against the cheapest candidate index. Candidates put equality
//!    columns first (most selective first), then one range column or the
//!    ORDER BY columns; a skewed constant makes a partial index; a function
//!    that may be indexed makes an expression index, one that may not is
//!    rewritten as a range on the bare column; INCLUDE columns are added
//!    only when they make the scan index-only.
//! 4. **Score**: calls × time saved per call; candidates that one index
//!    serves (a left prefix of another on the same table and predicate) are
//!    merged and their scores summed ([`super::rank_indexes`]), then those
//!    under the threshold are dropped.
//!
//! The cost model is PostgreSQL's in miniature (seq_page_cost 1,
//! random_page_cost 4, cpu_tuple_cost 0.01, cpu_index_tuple_cost 0.005,
//! cpu_operator_cost 0.0025, default selectivities for ranges), so that its
//! choices match the planner's on the same statistics. Cost converts to
//! time at [`MS_PER_COST_UNIT`], unless the workload gives a measured
//! `mean_ms`; then the saving is that share of the measured time.

use std::collections::HashMap;

use sqlparser::ast::{Expr, visit_expressions_mut};

use super::rank_indexes;
use crate::error::Error;
use crate::model::Dialect;
pub use crate::model::advice::{Advice, AdvisedIndex, AnalyzedQuery, QueryGain, WrappedColumn};
use crate::model::fmt::{approx as fmt_num, bytes as fmt_bytes, ms_short as fmt_ms, round3};
use crate::model::index::{
    IndexRecommendation, IndexSpec, PredicateRewrite, RewriteRecommendation, Verification,
    hypopg_can_build,
};
use crate::model::schema::{IndexKey, Schema, Table};
use crate::model::statement as statement_model;
pub use crate::model::statement::WorkloadQuery;
use crate::sql::fingerprint::Fingerprint;
use crate::sql::params::bind_parameter;
use crate::sql::predicate::{Predicate, PredicateKind, is_like_parameter, is_like_prefix};
use crate::sql::statement::{self, TableScan};
use crate::sql::volatility;

/// Tuning knobs; [`Default`] gives the values the CLI uses.
#[derive(Debug, Clone)]
pub struct AdviseOptions {
    pub dialect: Dialect,
    /// An index must save at least this much over the workload (ms).
    pub min_score_ms: f64,
    /// …and at least this share of the best index's score.
    pub min_score_share: f64,
    /// A candidate must cut its scan's cost by at least this share.
    pub min_gain: f64,
    /// Tables with fewer rows are never indexed.
    pub min_rows: f64,
    /// Also gather the candidates only a planner can judge (HypoPG), in
    /// [`Advice::join_candidates`]: join keys, and the indexes of an OR's
    /// branches (a BitmapOr needs all of them); the cost model alone never
    /// proposes them.
    pub what_if: bool,
}

impl Default for AdviseOptions {
    fn default() -> Self {
        AdviseOptions {
            dialect: Dialect::Postgres,
            min_score_ms: 1.0,
            min_score_share: 0.005,
            min_gain: 0.5,
            min_rows: 1000.0,
            what_if: false,
        }
    }
}

/// How planner cost units convert to milliseconds when nothing was measured:
/// a cached sequential scan reads about 8 kB pages at 1 unit each and some
/// 100 rows per page at 0.01 each, in roughly 10 µs per page.
pub const MS_PER_COST_UNIT: f64 = 0.005;

/// Row count assumed for a table without statistics.
pub const DEFAULT_ROWS: f64 = 100_000.0;
/// Distinct values assumed for a column without statistics (PostgreSQL's
/// DEFAULT_NUM_DISTINCT).
pub const DEFAULT_DISTINCT: f64 = 200.0;

/// The parameters of a statement whose constant decides the form of the
/// index that serves it, not only its selectivity: a parameter inside an
/// expression an index would be built on (`to_tsvector($1, message)`: the
/// index must name the configuration the statement uses; `date_trunc($1,
/// ts)`: the unit). A source that can see the statement as it was sent
/// binds these before advising ([`crate::sql::constants`]). Only these:
/// other constants (search terms, patterns, ids) may be the application's
/// data and stay parameters. Ascending, each once.
pub fn form_parameters(sql: &str, schema: &Schema, dialect: Dialect) -> Vec<usize> {
    let Ok(analysis) = statement::analyze_sql(sql, dialect, Some(schema)) else {
        return Vec::new();
    };
    let mut out: Vec<usize> = Vec::new();
    let mut take = |text: &str| out.extend(parameter_numbers(text));
    for scan in &analysis.scans {
        for e in scan.gin.iter().filter_map(|g| g.expression.as_deref()) {
            take(e);
        }
        for w in scan.predicates.iter().filter_map(|p| p.wrapper.as_ref()) {
            take(&w.expr_sql);
        }
        // `ORDER BY (a + b) / $2`: the index holds the expression with its
        // constant.
        for w in scan.order_by.iter().filter_map(|o| o.expression.as_ref()) {
            take(&w.expr_sql);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The parameters that bound a range on a plain column (`at > now() -
/// interval $1`, `day >= date $2 AND day < date $3`), ascending, each once.
/// A generic plan cannot read them: it takes PostgreSQL's default share of
/// the rows (a third for one bound, 0.5 % for two), whatever the window,
/// so a recent hour of an append-only log looks like a third of it and a
/// year of a table like a sliver. The server plans a statement sent with
/// its constants for those constants; a source that sees them running
/// binds these too, so the advice is planned as the server plans the
/// statement. `LIKE` prefixes are not among them (a representative prefix
/// from the column's histogram is planned instead).
pub fn range_parameters(sql: &str, schema: &Schema, dialect: Dialect) -> Vec<usize> {
    let Ok(analysis) = statement::analyze_sql(sql, dialect, Some(schema)) else {
        return Vec::new();
    };
    let mut out: Vec<usize> = analysis
        .scans
        .iter()
        .flat_map(|scan| &scan.predicates)
        .filter(|p| {
            matches!(p.kind, PredicateKind::Range) && p.wrapper.is_none() && !is_like_prefix(p)
        })
        .filter_map(|p| p.value.as_deref())
        .flat_map(parameter_numbers)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The parameters compared by equality with a skewed column (one value
/// holds most rows, others are rare: `stage = $2` where 'rejected' is 70 %
/// and 'new' 1.5 %). Their constant decides whether a partial index
/// serves the statement: a rare value the application always sends is a
/// partial index's predicate (`WHERE stage = 'new'`), any value of the
/// column is not, and pg_stat_statements shows neither. A source that sees
/// the statement as it was sent binds these when every sighting agrees;
/// a value that changes between sightings is the application's data.
/// The column's most common values say whether a rare value exists, never
/// which one the application sends. Ascending, each once.
pub fn skew_parameters(sql: &str, schema: &Schema, dialect: Dialect) -> Vec<usize> {
    let Ok(analysis) = statement::analyze_sql(sql, dialect, Some(schema)) else {
        return Vec::new();
    };
    let mut out: Vec<usize> = Vec::new();
    for scan in &analysis.scans {
        let Some(table) = schema.table(&scan.table) else {
            continue;
        };
        let info = TableInfo::new(table, schema, dialect);
        out.extend(
            scan.predicates
                .iter()
                .filter(|p| matches!(p.kind, PredicateKind::Eq) && p.wrapper.is_none())
                .filter(|p| info.has_rare_value(&p.column.name))
                .filter_map(|p| p.value.as_deref()?.strip_prefix('$')?.parse::<usize>().ok()),
        );
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// `sql` with every range that [`range_parameters`] finds (a plain column
/// compared with an expression over `$n`) made to match every row: the
/// planner's worst case for an index whose saving was judged at
/// PostgreSQL's default share of a range it never saw the bounds of. Each
/// such conjunct `c` becomes `(c OR true)`, which the planner folds to
/// true, while its parameters keep the types PREPARE gives them. `None`
/// when the statement has no such range (or does not parse).
pub fn widen_ranges(sql: &str, schema: &Schema, dialect: Dialect) -> Option<String> {
    let analysis = statement::analyze_sql(sql, dialect, Some(schema)).ok()?;
    let mut ranges: Vec<String> = analysis
        .scans
        .iter()
        .flat_map(|scan| &scan.predicates)
        .filter(|p| {
            matches!(p.kind, PredicateKind::Range) && p.wrapper.is_none() && !is_like_prefix(p)
        })
        .filter(|p| {
            p.value
                .as_deref()
                .is_some_and(|v| !parameter_numbers(v).is_empty())
        })
        .map(|p| p.sql.to_lowercase())
        .collect();
    ranges.sort_unstable();
    ranges.dedup();
    if ranges.is_empty() {
        return None;
    }
    edit_expressions(sql, dialect, |e| {
        if !ranges.contains(&e.to_string().to_lowercase()) {
            return false;
        }
        let range = std::mem::replace(e, Expr::value(sqlparser::ast::Value::Boolean(true)));
        *e = Expr::Nested(Box::new(Expr::BinaryOp {
            left: Box::new(range),
            op: sqlparser::ast::BinaryOperator::Or,
            right: Box::new(Expr::value(sqlparser::ast::Value::Boolean(true))),
        }));
        true
    })
}

/// `sql` parsed, each of its expressions given to `edit` (which says
/// whether it replaced it), and written back when `edit` replaced any;
/// `None` when it replaced none or `sql` does not parse.
fn edit_expressions(
    sql: &str,
    dialect: Dialect,
    mut edit: impl FnMut(&mut Expr) -> bool,
) -> Option<String> {
    let mut stmts = statement::parse(sql, dialect).ok()?;
    let mut done = false;
    let _ = visit_expressions_mut(&mut stmts, |e| {
        done |= edit(e);
        std::ops::ControlFlow::<()>::Continue(())
    });
    done.then(|| {
        stmts
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(";\n")
    })
}

/// The `$n` of a SQL text, in order.
fn parameter_numbers(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    text.match_indices('$')
        .filter_map(|(i, _)| {
            let digits: String = b[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .map(|&c| c as char)
                .collect();
            digits.parse::<usize>().ok()
        })
        .collect()
}

/// Advises indexes for `queries` against `schema`.
pub fn advise(queries: &[WorkloadQuery], schema: &Schema, opts: &AdviseOptions) -> Advice {
    let mut advice = Advice::default();
    let mut acc = Wanted::default();
    for q in fold(queries, opts.dialect) {
        advise_query(q, schema, opts, &mut advice, &mut acc);
    }
    let mut ranked = merge(acc.specs, &acc.gains, schema, opts);
    ranked.retain(|c| !leads_with_a_boolean(&c.recommendation.spec, schema));
    let stripped = strip_updated_includes(&mut ranked, &acc.updated, opts.dialect);
    ranked.extend(acc.gin.into_values());
    ranked.sort_by(|a, b| {
        b.recommendation
            .score
            .total_cmp(&a.recommendation.score)
            .then(a.recommendation.statement.cmp(&b.recommendation.statement))
    });
    // Indexes that save too little against the best one are cut.
    let top = ranked.first().map_or(0.0, |r| r.recommendation.score);
    let threshold = opts.min_score_ms.max(top * opts.min_score_share);
    let before = ranked.len();
    ranked.retain(|r| r.recommendation.score >= threshold);
    acc.below += before - ranked.len();
    for (i, r) in ranked.iter_mut().enumerate() {
        r.recommendation.rank = i + 1;
        r.recommendation.score = round3(r.recommendation.score);
        r.recommendation.reason = reason(r);
        r.recommendation.queries = r.helps.iter().map(|h| h.fingerprint.to_string()).collect();
    }
    let mut held_back: Vec<String> = Vec::new();
    if opts.what_if {
        let joins = what_if_candidates(
            acc.joins,
            &acc.join_gains,
            &ranked,
            WhatIf::Join,
            &acc.joined_filters,
            schema,
            opts,
        );
        let mut filters = what_if_candidates(
            acc.filters,
            &acc.filter_gains,
            &ranked,
            WhatIf::Filter,
            &acc.joined_filters,
            schema,
            opts,
        );
        filters.retain(|f| {
            !joins
                .iter()
                .any(|j| serves(&j.recommendation.spec, &f.recommendation.spec))
        });
        let mut covering = what_if_candidates(
            acc.covering,
            &acc.covering_gains,
            &ranked,
            WhatIf::Covering,
            &acc.joined_filters,
            schema,
            opts,
        );
        held_back.extend(hold_back_updated_includes(&mut covering, &acc.updated));
        advice.join_candidates = joins;
        advice.join_candidates.extend(filters);
        advice.join_candidates.extend(covering);
        advice.join_candidates.extend(acc.ors);
        advice
            .join_candidates
            .retain(|c| !leads_with_a_boolean(&c.recommendation.spec, schema));
    }
    advice.rewrites = rewrites(acc.rewrite_specs, &acc.rewrite_gains, schema, opts);
    advice.indexes = ranked;
    if opts.what_if {
        reach_every_statement(&mut advice.indexes, &advice.queries, schema);
    }
    advice
        .queries
        .sort_by(|a, b| b.calls.cmp(&a.calls).then(a.line.cmp(&b.line)));
    advice.notes = notes(schema, acc.missing_tables, acc.below, threshold);
    advice.notes.extend(held_back);
    advice.notes.extend(stripped);
    advice
}

/// Whether a full B-tree index leads with a boolean column: two values,
/// so the key splits the table in two; where one of them is rare, the
/// partial index `WHERE col` (or `WHERE NOT col`) that the advisor
/// proposes for it holds those rows only, and the other value is read by
/// a sequential scan anyway.
fn leads_with_a_boolean(spec: &IndexSpec, schema: &Schema) -> bool {
    let Some(IndexKey::Column { name, .. }) = spec.keys.first() else {
        return false;
    };
    spec.method.is_none()
        && spec.predicate.is_none()
        && schema
            .table(&spec.qualified_table())
            .and_then(|t| t.column(name))
            .is_some_and(|c| {
                matches!(
                    c.data_type.to_ascii_lowercase().as_str(),
                    "boolean" | "bool"
                )
            })
}

/// What the statements ask for, gathered across the workload.
#[derive(Default)]
struct Wanted {
    /// Each statement's best candidate per scan: spec, score, fingerprint.
    specs: Vec<(IndexSpec, f64, String, String)>,
    /// What each candidate buys, by statement and table.
    gains: HashMap<(Fingerprint, String), Vec<(IndexSpec, QueryGain)>>,
    /// The same for the candidates that serve a statement only once it is
    /// rewritten ([`Advice::rewrites`]).
    rewrite_specs: Vec<(IndexSpec, f64, String, String)>,
    rewrite_gains: HashMap<(Fingerprint, String), Vec<(IndexSpec, QueryGain)>>,
    /// Tables the statements read that the schema does not have.
    missing_tables: Vec<String>,
    /// Candidates that saved too little.
    below: usize,
    /// Join-key candidates (with `opts.what_if`), scored 0 until a
    /// planner checks them.
    joins: Vec<(IndexSpec, f64, String, String)>,
    join_gains: HashMap<(Fingerprint, String), Vec<(IndexSpec, QueryGain)>>,
    /// Single-column candidates on filter columns (with `opts.what_if`),
    /// for the planner to judge where the cost model found no best index:
    /// its estimate is the planner's in miniature, and errs on
    /// low-selectivity ranges and on scans under a join.
    filters: Vec<(IndexSpec, f64, String, String)>,
    filter_gains: HashMap<(Fingerprint, String), Vec<(IndexSpec, QueryGain)>>,
    /// The (statement, table) of filter candidates on a table its block
    /// joins with others: the join's other side weighs in the statement's
    /// cost, so such a filter is judged as a join key is.
    joined_filters: std::collections::HashSet<(Fingerprint, String)>,
    /// A join or GROUP BY key with the few other columns its scan reads
    /// (with `opts.what_if`): an index-only scan in key order. Kept apart
    /// from the plain keys, which the merge would fold them into.
    covering: Vec<(IndexSpec, f64, String, String)>,
    covering_gains: HashMap<(Fingerprint, String), Vec<(IndexSpec, QueryGain)>>,
    /// GIN/GiST candidates by statement, judged heuristically.
    gin: std::collections::BTreeMap<String, AdvisedIndex>,
    /// One candidate per OR of indexable branches (with `opts.what_if`):
    /// the first branch's index, the others as its partners.
    ors: Vec<AdvisedIndex>,
    /// The columns the workload's UPDATEs set, per table (qualified as
    /// the schema names it).
    updated: Vec<(String, Vec<String>)>,
}

/// Analyses one distinct statement and adds its candidates (and the
/// columns it wraps) to `acc` and `advice`.
fn advise_query(
    mut q: AnalyzedQuery,
    schema: &Schema,
    opts: &AdviseOptions,
    advice: &mut Advice,
    acc: &mut Wanted,
) {
    let analysis = match statement::analyze_sql(&q.sql, opts.dialect, Some(schema)) {
        Ok(a) => a,
        Err(e) => {
            advice.problems.push(Error::input(
                &q.path,
                q.line + e.line.unwrap_or(1) - 1,
                format!("cannot parse statement, skipped: {}", e.message),
            ));
            advice.queries.push(q);
            return;
        }
    };
    for (table, cols) in &analysis.updated {
        let Some(t) = schema.table(table) else {
            continue;
        };
        let name = t.qualified_name();
        match acc.updated.iter_mut().find(|(n, _)| *n == name) {
            Some((_, have)) => have.extend(cols.iter().cloned()),
            None => acc.updated.push((name, cols.clone())),
        }
    }
    let mut total_before = 0.0;
    let mut per_scan: Vec<ScanAdvice> = Vec::new();
    let rows_out: Vec<Option<f64>> = analysis
        .scans
        .iter()
        .map(|s| {
            schema
                .table(&s.table)
                .map(|t| TableInfo::new(t, schema, opts.dialect).local_rows(s))
        })
        .collect();
    for scan in &analysis.scans {
        let Some(table) = schema.table(&scan.table) else {
            if !acc.missing_tables.contains(&scan.table) {
                acc.missing_tables.push(scan.table.clone());
            }
            continue;
        };
        let info = TableInfo::new(table, schema, opts.dialect);
        let loops = join_loops(scan, &analysis.scans, &rows_out);
        let sa = info.advise_scan(scan, loops, opts);
        total_before += sa.before;
        for w in &sa.wrapped {
            advice.wrapped.push(WrappedColumn {
                fingerprint: q.fingerprint,
                path: q.path.clone(),
                line: q.line,
                table: info.table.qualified_name(),
                predicate: w.predicate.clone(),
                column_type: w.column_type.clone(),
                expression_index: w.expression_index,
                rewrite: w.rewrite.clone(),
                indexed: w.indexed,
            });
        }
        per_scan.push(sa);
    }
    q.cost = Some(total_before);
    let original: std::sync::Arc<str> = q.sql.as_str().into();
    for scan in &analysis.scans {
        let Some(table) = schema.table(&scan.table) else {
            continue;
        };
        let info = TableInfo::new(table, schema, opts.dialect);
        if info.rows < opts.min_rows || scan.gin.is_empty() || opts.dialect != Dialect::Postgres {
            continue;
        }
        let before = info.advise_scan(scan, None, opts).before;
        for g in &scan.gin {
            let Some((spec, requires, why)) = info.gin_spec(g, scan) else {
                continue;
            };
            if spec.already_served(schema) {
                continue;
            }
            let after = before * GIN_SHARE;
            let saved_ms = match q.mean_ms {
                Some(ms) if total_before > 0.0 => ms * ((before - after) / total_before).min(1.0),
                _ => (before - after) * MS_PER_COST_UNIT,
            };
            let gain = QueryGain {
                fingerprint: q.fingerprint,
                calls: q.calls,
                cost_before: before,
                cost_after: after,
                saved_ms,
                rewrites: Vec::new(),
                assumed: None,
                sql: original.clone(),
                path: q.path.clone(),
                line: q.line,
            };
            let statement = spec.statement(opts.dialect);
            let size = info.index_bytes(&spec) * 2.0;
            let entry = acc
                .gin
                .entry(statement.clone())
                .or_insert_with(|| AdvisedIndex {
                    recommendation: IndexRecommendation {
                        statement,
                        reason: why,
                        requires,
                        ..IndexRecommendation::new(
                            spec.clone(),
                            opts.dialect,
                            Verification::Heuristic,
                        )
                    },
                    helps: Vec::new(),
                    size_bytes: size,
                    join_key: false,
                    partners: Vec::new(),
                });
            if !entry.helps.iter().any(|h| h.fingerprint == q.fingerprint) {
                entry.recommendation.score += saved_ms * q.calls as f64;
                entry.helps.push(gain);
            }
        }
    }
    if opts.what_if {
        for scan in &analysis.scans {
            let Some(table) = schema.table(&scan.table) else {
                continue;
            };
            let info = TableInfo::new(table, schema, opts.dialect);
            if info.rows < opts.min_rows {
                continue;
            }
            for group in &scan.or_groups {
                let specs: Vec<IndexSpec> = group
                    .iter()
                    .filter_map(|p| info.table.column(&p.column.name))
                    .map(|c| {
                        let mut spec =
                            IndexSpec::new(&info.table.qualified_name(), &[c.name.as_str()]);
                        // A branch on a mostly-null column: the comparison
                        // implies IS NOT NULL, so an index of the rows that
                        // have a value serves it at a fraction of the size.
                        if c.null_frac.is_some_and(|f| f >= MIN_NOT_NULL_PARTIAL_SHARE) {
                            spec.predicate = Some(format!(
                                "{} IS NOT NULL",
                                crate::model::index::quote_ident(&c.name)
                            ));
                        }
                        spec
                    })
                    .filter(|s| !s.already_served(schema))
                    .fold(Vec::new(), |mut v, s| {
                        if !v.contains(&s) {
                            v.push(s);
                        }
                        v
                    });
                let Some((first, rest)) = specs.split_first() else {
                    continue;
                };
                let rec = |spec: &IndexSpec| IndexRecommendation {
                    queries: vec![q.fingerprint.to_string()],
                    ..IndexRecommendation::new(spec.clone(), opts.dialect, Verification::Heuristic)
                };
                acc.ors.push(AdvisedIndex {
                    recommendation: rec(first),
                    helps: vec![QueryGain {
                        fingerprint: q.fingerprint,
                        calls: q.calls,
                        cost_before: total_before,
                        cost_after: total_before,
                        saved_ms: 0.0,
                        rewrites: Vec::new(),
                        assumed: None,
                        sql: original.clone(),
                        path: q.path.clone(),
                        line: q.line,
                    }],
                    size_bytes: specs.iter().map(|s| info.index_bytes(s)).sum(),
                    join_key: false,
                    partners: rest.iter().map(rec).collect(),
                });
            }
            let join_columns = info.join_columns(scan, &analysis.scans);
            let joins = info.join_keys(&join_columns);
            let filters: Vec<IndexSpec> = info
                .filter_keys(scan)
                .into_iter()
                .filter(|f| !joins.contains(f))
                .collect();
            let covering = info.covering_keys(scan, &join_columns);
            let what_if = joins
                .into_iter()
                .map(|s| (s, WhatIf::Join))
                .chain(filters.into_iter().map(|s| (s, WhatIf::Filter)))
                .chain(covering.into_iter().map(|s| (s, WhatIf::Covering)));
            // Planned with the representative values the scan's own
            // candidate is planned with (a skewed column's heavy value, a
            // prefix pattern), so that they compare on the same plan.
            let heavy: Vec<(usize, String)> = info
                .conds(scan)
                .0
                .into_iter()
                .filter_map(|c| c.bind)
                .collect();
            let (heavy_sql, heavy_assumed) = bound(&original, &heavy);
            for (spec, kind) in what_if {
                let gain = QueryGain {
                    fingerprint: q.fingerprint,
                    calls: q.calls,
                    cost_before: total_before,
                    cost_after: total_before,
                    saved_ms: 0.0,
                    rewrites: Vec::new(),
                    assumed: heavy_assumed.clone(),
                    sql: heavy_sql.clone(),
                    path: q.path.clone(),
                    line: q.line,
                };
                let (specs, gains) = match kind {
                    WhatIf::Join => (&mut acc.joins, &mut acc.join_gains),
                    WhatIf::Filter => (&mut acc.filters, &mut acc.filter_gains),
                    WhatIf::Covering => (&mut acc.covering, &mut acc.covering_gains),
                };
                if kind == WhatIf::Filter && scan.joined {
                    acc.joined_filters
                        .insert((q.fingerprint, spec.qualified_table()));
                }
                specs.push((spec.clone(), 0.0, q.fingerprint.to_string(), String::new()));
                gains
                    .entry((q.fingerprint, spec.qualified_table()))
                    .or_default()
                    .push((spec, gain));
            }
        }
    }
    for sa in per_scan {
        let ScanAdvice {
            before,
            best,
            rewrite,
            ..
        } = sa;
        for (best, rewritten) in [(best, false), (rewrite, true)] {
            let Some(best) = best else { continue };
            let saving = before - best.cost;
            if saving < before * opts.min_gain || saving <= 0.0 {
                acc.below += 1;
                continue;
            }
            if best.spec.already_served(schema) {
                continue;
            }
            let saved_ms = match q.mean_ms {
                Some(ms) if total_before > 0.0 => ms * (saving / total_before).min(1.0),
                _ => saving * MS_PER_COST_UNIT,
            };
            let sql = if best.rewrites.is_empty() {
                original.clone()
            } else {
                rewrite_sql(&q.sql, &best.rewrites, opts.dialect)
                    .map_or_else(|| original.clone(), Into::into)
            };
            let (sql, assumed) = bound(&sql, &best.binds);
            let gain = QueryGain {
                fingerprint: q.fingerprint,
                calls: q.calls,
                cost_before: before,
                cost_after: best.cost,
                saved_ms,
                rewrites: best.rewrites.clone(),
                assumed,
                sql,
                path: q.path.clone(),
                line: q.line,
            };
            let score = saved_ms * q.calls as f64;
            let (specs, gains) = if rewritten {
                (&mut acc.rewrite_specs, &mut acc.rewrite_gains)
            } else {
                (&mut acc.specs, &mut acc.gains)
            };
            specs.push((
                best.spec.clone(),
                score,
                q.fingerprint.to_string(),
                String::new(),
            ));
            gains
                .entry((q.fingerprint, best.spec.qualified_table()))
                .or_default()
                .push((best.spec, gain));
        }
    }
    q.analysis = Some(analysis);
    advice.queries.push(q);
}

/// `sql` with the parameters of `binds` replaced by their representative
/// values, and the note saying which (`$1 = '1', $2 = 'u49%'`).
fn bound(
    sql: &std::sync::Arc<str>,
    binds: &[(usize, String)],
) -> (std::sync::Arc<str>, Option<String>) {
    if binds.is_empty() {
        return (sql.clone(), None);
    }
    // Highest parameter first, so the numbers of the others still hold.
    let mut binds = binds.to_vec();
    binds.sort_by_key(|b| std::cmp::Reverse(b.0));
    let mut out = sql.to_string();
    for (n, literal) in &binds {
        out = bind_parameter(&out, *n, literal);
    }
    let assumed = binds
        .iter()
        .rev()
        .map(|(n, v)| format!("${n} = {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    (out.into(), Some(assumed))
}

/// Merges the wanted specs per table (so the prefix merge never compares
/// across tables) into indexes, each with the gains of the statements it
/// serves, most time saved first, and its estimated size.
fn merge(
    wanted: Vec<(IndexSpec, f64, String, String)>,
    gains: &HashMap<(Fingerprint, String), Vec<(IndexSpec, QueryGain)>>,
    schema: &Schema,
    opts: &AdviseOptions,
) -> Vec<AdvisedIndex> {
    let mut by_table: HashMap<String, Vec<(IndexSpec, f64, String, String)>> = HashMap::new();
    for w in wanted {
        by_table.entry(w.0.qualified_table()).or_default().push(w);
    }
    let mut ranked: Vec<AdvisedIndex> = Vec::new();
    for (_, group) in by_table {
        for rec in rank_indexes(group, opts.dialect) {
            let mut helps: Vec<QueryGain> = Vec::new();
            for fp in &rec.queries {
                let key = (parse_fp(fp), rec.table.clone());
                for (spec, g) in gains.get(&key).into_iter().flatten() {
                    if serves(&rec.spec, spec)
                        && !helps.iter().any(|h| h.fingerprint == g.fingerprint)
                    {
                        helps.push(g.clone());
                    }
                }
            }
            helps.sort_by(|a, b| {
                (b.saved_ms * b.calls as f64).total_cmp(&(a.saved_ms * a.calls as f64))
            });
            let size_bytes = schema
                .table(&rec.table)
                .map(|t| TableInfo::new(t, schema, opts.dialect).index_bytes(&rec.spec))
                .unwrap_or(0.0);
            ranked.push(AdvisedIndex {
                recommendation: rec,
                helps,
                size_bytes,
                join_key: false,
                partners: Vec::new(),
            });
        }
    }
    ranked
}

/// The indexes that serve statements once rewritten, merged as the
/// ranked ones are, each scored by what the rewritten statements would
/// save (at least `opts.min_score_ms`), most first. One the ranked list
/// already has is still listed: the rewrite is what it asks for; the
/// report points to the ranked entry.
fn rewrites(
    wanted: Vec<(IndexSpec, f64, String, String)>,
    gains: &HashMap<(Fingerprint, String), Vec<(IndexSpec, QueryGain)>>,
    schema: &Schema,
    opts: &AdviseOptions,
) -> Vec<AdvisedIndex> {
    let mut out = merge(wanted, gains, schema, opts);
    out.retain(|r| r.recommendation.score >= opts.min_score_ms);
    out.sort_by(|a, b| {
        b.recommendation
            .score
            .total_cmp(&a.recommendation.score)
            .then(a.recommendation.statement.cmp(&b.recommendation.statement))
    });
    for (i, r) in out.iter_mut().enumerate() {
        r.recommendation.rank = i + 1;
        r.recommendation.score = round3(r.recommendation.score);
        r.recommendation.reason = reason(r);
        r.recommendation.queries = r.helps.iter().map(|h| h.fingerprint.to_string()).collect();
    }
    out
}

/// Adds to each plain B-tree candidate (no predicate, no OR partners) every
/// statement of `queries` it does not list that compares its first key
/// column by equality, IN or a range on its table, to be planned with it:
/// the model proposes an index for the scans that ask for it, but one index
/// may serve another statement as well as the index that statement asked
/// for (airline's departure board asks for `flights (origin, departs_at)`,
/// which also serves the route search that asked for `(origin,
/// destination, departs_at)`: one index for both, as a DBA picks it).
/// What-if planning decides whether it does (a statement the planner does
/// not serve with it, or serves for too little, is not counted).
fn reach_every_statement(
    candidates: &mut [AdvisedIndex],
    queries: &[AnalyzedQuery],
    schema: &Schema,
) {
    for c in candidates.iter_mut() {
        let spec = &c.recommendation.spec;
        if spec.method.is_some() || spec.predicate.is_some() || !c.partners.is_empty() {
            continue;
        }
        let Some(first) = spec.keys.first().and_then(|k| k.column_name()) else {
            continue;
        };
        let table = spec.qualified_table();
        let mut more: Vec<QueryGain> = Vec::new();
        for q in queries {
            let Some(a) = &q.analysis else { continue };
            if c.helps.iter().any(|h| h.fingerprint == q.fingerprint) {
                continue;
            }
            let compares = a.scans.iter().any(|scan| {
                schema
                    .table(&scan.table)
                    .is_some_and(|t| t.qualified_name() == table)
                    && scan.predicates.iter().any(|p| {
                        p.wrapper.is_none()
                            && p.kind.compares_a_value()
                            && p.column.name.eq_ignore_ascii_case(first)
                    })
            });
            if !compares {
                continue;
            }
            let cost = q.cost.unwrap_or(0.0);
            more.push(QueryGain {
                fingerprint: q.fingerprint,
                calls: q.calls,
                cost_before: cost,
                cost_after: cost,
                saved_ms: 0.0,
                rewrites: Vec::new(),
                assumed: None,
                sql: q.sql.as_str().into(),
                path: q.path.clone(),
                line: q.line,
            });
        }
        c.helps.extend(more);
    }
}

/// Takes out of `candidates` the covering ones (what-if candidates with
/// INCLUDE columns) that INCLUDE a column the workload's UPDATEs set
/// (`updated`: per table, qualified as the schema names it, the columns
/// set): every such update would write the index too, no longer a HOT
/// update, for an index-only scan; not worth it beside the plain key.
/// Returns the note for each one taken out. A live analysis calls it again
/// with the UPDATEs of the whole workload, planned or not (a cheap UPDATE
/// may rank below the statements that are planned and advised).
pub fn hold_back_updated_includes(
    candidates: &mut Vec<AdvisedIndex>,
    updated: &[(String, Vec<String>)],
) -> Vec<String> {
    let mut notes = Vec::new();
    candidates.retain(|c| {
        let hit = updated_includes(&c.recommendation, updated);
        if hit.is_empty() {
            return true;
        }
        notes.push(format!(
            "not proposed: {} (it INCLUDEs {}, which the workload's UPDATEs set: each would write the index too, no longer a HOT update, for an index-only scan)",
            c.recommendation.statement,
            hit.iter().map(|h| h.as_str()).collect::<Vec<_>>().join(", ")
        ));
        false
    });
    notes
}

/// The INCLUDE columns of `rec` that the workload's UPDATEs set
/// (`updated`: per table, the columns set).
fn updated_includes(rec: &IndexRecommendation, updated: &[(String, Vec<String>)]) -> Vec<String> {
    rec.spec
        .include
        .iter()
        .filter(|col| {
            updated.iter().any(|(t, cols)| {
                *t == rec.table && cols.iter().any(|u| u.eq_ignore_ascii_case(col))
            })
        })
        .cloned()
        .collect()
}

/// The ranked indexes (the cost model's covering variants) that INCLUDE a
/// column the workload's UPDATEs set lose their INCLUDE: each such update
/// would write the index too (no longer a HOT update) and clear the
/// page's all-visible bit that an index-only scan needs, so the INCLUDE
/// buys least where it costs most; and the INCLUDE holds the columns the
/// statement reads besides the keys, so without one of them the scan is
/// not index-only and the others serve nothing. The key stays, to be
/// verified on its own; an index that becomes one the list already has is
/// dropped. Returns a note for each.
pub fn strip_updated_includes(
    indexes: &mut Vec<AdvisedIndex>,
    updated: &[(String, Vec<String>)],
    dialect: Dialect,
) -> Vec<String> {
    let mut notes = Vec::new();
    for index in indexes.iter_mut() {
        let hit = updated_includes(&index.recommendation, updated);
        if hit.is_empty() {
            continue;
        }
        let rec = &mut index.recommendation;
        let old = std::mem::take(&mut rec.statement);
        rec.spec.include.clear();
        rec.statement = rec.spec.statement(dialect);
        notes.push(format!(
            "INCLUDE ({}) left out of {}: the workload's UPDATEs set {}, so each would write the index too (no longer a HOT update) and clear the all-visible bit an index-only scan needs (was: {old})",
            hit.join(", "),
            rec.statement,
            if hit.len() == 1 { "it" } else { "them" },
        ));
    }
    let mut seen = std::collections::HashSet::new();
    indexes.retain(|c| seen.insert(c.recommendation.statement.clone()));
    notes
}

/// The report's `rewrites`: one entry per statement an index of
/// `rewrites` serves once rewritten, most time saved first, each pointing
/// to the entry of `ranked` that is (or leads with) its index, when the
/// ranked list has one.
pub fn rewrite_recommendations(
    rewrites: &[AdvisedIndex],
    ranked: &[IndexRecommendation],
) -> Vec<RewriteRecommendation> {
    let mut out: Vec<RewriteRecommendation> = Vec::new();
    for r in rewrites {
        let rec = &r.recommendation;
        let host = ranked.iter().find(|x| {
            x.table == rec.table && x.spec.method == rec.spec.method && serves(&x.spec, &rec.spec)
        });
        for h in r.helps.iter().filter(|h| !h.rewrites.is_empty()) {
            let index = host.map_or_else(|| rec.statement.clone(), |x| x.statement.clone());
            let then = match host {
                Some(x) => format!("index #{} of the ranked list then serves it", x.rank),
                None => format!("est. size {}", fmt_bytes(r.size_bytes)),
            };
            out.push(RewriteRecommendation {
                rank: 0,
                query_fingerprint: h.fingerprint.to_string(),
                predicates: h
                    .rewrites
                    .iter()
                    .map(|(from, to)| PredicateRewrite {
                        from: from.clone(),
                        to: to.clone(),
                    })
                    .collect(),
                rewritten: h.sql.split_whitespace().collect::<Vec<_>>().join(" "),
                index,
                index_rank: host.map(|x| x.rank),
                table: rec.table.clone(),
                columns: host.map_or_else(|| rec.columns.clone(), |x| x.columns.clone()),
                score: round3(h.saved_ms * h.calls as f64),
                calls: h.calls,
                verified: rec.verified,
                cost_before: (rec.verified != Verification::Heuristic)
                    .then(|| round3(h.cost_before)),
                cost_after: (rec.verified != Verification::Heuristic)
                    .then(|| round3(h.cost_after)),
                size_bytes: host.map_or(rec.size_bytes, |x| x.size_bytes),
                requires: rec.requires.clone(),
                write_cost: host.map_or(rec.write_cost, |_| None),
                reason: format!(
                    "{}:{} ({} calls, {} → {} cost once rewritten with the index, -{} each); {then}",
                    h.path,
                    h.line,
                    h.calls,
                    fmt_num(h.cost_before),
                    fmt_num(h.cost_after),
                    fmt_ms(h.saved_ms),
                ),
            });
        }
    }
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.query_fingerprint.cmp(&b.query_fingerprint))
    });
    for (i, r) in out.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    out
}

/// The kinds of candidates only a planner can judge.
#[derive(Debug, Clone, Copy, PartialEq)]
enum WhatIf {
    Join,
    Filter,
    Covering,
}

/// Columns a covering candidate may carry besides its key: a narrow scan
/// (a semi-join, a grouped subquery) read from the index alone.
const MAX_COVERING_COLUMNS: usize = 2;

/// The candidates only a planner can judge (join keys, or single filter
/// columns), merged like the others (one index for the statements whose
/// keys it leads with), less those that an index of the ranked list
/// already leads with (a join key) or is (a filter column: the ranked
/// index may be rejected or cut, the narrower one then still competes).
fn what_if_candidates(
    wanted: Vec<(IndexSpec, f64, String, String)>,
    gains: &HashMap<(Fingerprint, String), Vec<(IndexSpec, QueryGain)>>,
    ranked: &[AdvisedIndex],
    kind: WhatIf,
    joined: &std::collections::HashSet<(Fingerprint, String)>,
    schema: &Schema,
    opts: &AdviseOptions,
) -> Vec<AdvisedIndex> {
    let join_key = kind != WhatIf::Filter;
    let mut out = if kind == WhatIf::Covering {
        // The merge folds specs by keys: one covering candidate per key
        // and columns read instead (`o_orderkey` with `o_orderpriority` for
        // one statement, with `o_custkey` for another).
        let mut groups: Vec<Vec<(IndexSpec, f64, String, String)>> = Vec::new();
        for w in wanted {
            match groups.iter_mut().find(|g| g[0].0 == w.0) {
                Some(g) => g.push(w),
                None => groups.push(vec![w]),
            }
        }
        groups
            .into_iter()
            .flat_map(|g| merge(g, gains, schema, opts))
            .collect()
    } else {
        merge(wanted, gains, schema, opts)
    };
    for j in &mut out {
        // A filter column on one side of a join: the other side's cost
        // dilutes what the index saves of the statement's (a 2,000-row
        // probe into a million-row table is a quarter off the plan, a
        // third of the time), so it is judged as a join key is.
        j.join_key = join_key
            || j.helps.iter().all(|h| {
                joined.contains(&(h.fingerprint, j.recommendation.spec.qualified_table()))
            }) && !j.helps.is_empty();
    }
    out.retain(|j| {
        !ranked.iter().any(|r| {
            let host = &r.recommendation.spec;
            r.recommendation.table == j.recommendation.table
                && serves(host, &j.recommendation.spec)
                && (join_key || host.keys.len() == j.recommendation.spec.keys.len())
        })
    });
    out.sort_by(|a, b| a.recommendation.statement.cmp(&b.recommendation.statement));
    for j in &mut out {
        j.recommendation.queries = j.helps.iter().map(|h| h.fingerprint.to_string()).collect();
        j.recommendation.reason = format!(
            "{} of {} statement(s), for the planner to judge; est. size {}",
            match kind {
                WhatIf::Join => "join key",
                WhatIf::Filter => "filter column",
                WhatIf::Covering => "join or GROUP BY key with the columns read",
            },
            j.helps.len(),
            fmt_bytes(j.size_bytes)
        );
    }
    out
}

/// What the reader should know: assumed statistics, tables not in the
/// schema, candidates cut for saving too little.
fn notes(
    schema: &Schema,
    mut missing_tables: Vec<String>,
    below: usize,
    threshold: f64,
) -> Vec<String> {
    let mut notes = Vec::new();
    if !schema.has_statistics {
        notes.push(format!(
            "the schema has no statistics: tables are assumed to hold {} rows and columns {} distinct values; \
             declare real ones with `-- dbperf:` comments in the schema file, or read them with --db",
            DEFAULT_ROWS as u64, DEFAULT_DISTINCT as u64
        ));
    } else {
        let bare: Vec<&str> = schema
            .tables
            .iter()
            .filter(|t| t.rows.is_none())
            .map(|t| t.name.as_str())
            .collect();
        if !bare.is_empty() {
            notes.push(format!(
                "no statistics for {}: assumed {} rows",
                bare.join(", "),
                DEFAULT_ROWS as u64
            ));
        }
    }
    if !missing_tables.is_empty() {
        missing_tables.sort();
        notes.push(format!(
            "not in the schema, so not advised: {}",
            missing_tables.join(", ")
        ));
    }
    if below > 0 {
        notes.push(format!(
            "{below} candidate index{} saved too little to show (under {} ms over the workload, \
             or less than half of its scan's cost)",
            if below == 1 { "" } else { "es" },
            round3(threshold)
        ));
    }
    notes
}

/// How the scores of an unverified [`Advice`] were estimated: the last
/// note of a report whose indexes no planner checked.
pub fn estimated_scores_note() -> String {
    format!(
        "scores are estimates from a planner cost model over the schema's statistics \
         (1 cost unit ≈ {MS_PER_COST_UNIT} ms when no time was measured); `verified` says how each index was checked"
    )
}

/// The distinct statements of the workload, not analysed yet.
fn fold(queries: &[WorkloadQuery], dialect: Dialect) -> Vec<AnalyzedQuery> {
    statement_model::fold(queries, dialect)
        .into_iter()
        .map(|s| AnalyzedQuery {
            fingerprint: s.fingerprint,
            sql: s.sql,
            normalized: s.normalized,
            calls: s.calls,
            mean_ms: s.mean_ms,
            path: s.path,
            line: s.line,
            analysis: None,
            cost: None,
        })
        .collect()
}

fn parse_fp(s: &str) -> Fingerprint {
    Fingerprint(u64::from_str_radix(s, 16).unwrap_or(0))
}

/// Whether index `host` serves what `spec` asked for (same table and
/// predicate, `spec`'s keys a left prefix of `host`'s).
fn serves(host: &IndexSpec, spec: &IndexSpec) -> bool {
    host.predicate == spec.predicate
        && spec.keys.len() <= host.keys.len()
        && spec
            .keys
            .iter()
            .zip(&host.keys)
            .all(|(a, b)| same_key(a, b))
}

fn same_key(a: &IndexKey, b: &IndexKey) -> bool {
    match (a, b) {
        (IndexKey::Column { name: x, .. }, IndexKey::Column { name: y, .. }) => {
            x.eq_ignore_ascii_case(y)
        }
        (IndexKey::Expression { sql: x }, IndexKey::Expression { sql: y }) => {
            squash(x) == squash(y)
        }
        _ => false,
    }
}

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '(' && *c != ')')
        .flat_map(char::to_lowercase)
        .collect()
}

pub fn reason(r: &AdvisedIndex) -> String {
    if let Some(m) = r
        .recommendation
        .method
        .as_ref()
        .filter(|m| !hypopg_can_build(Some(m)))
    {
        // Judged without a planner: say how, and what it is for.
        let why = r
            .recommendation
            .reason
            .split(" | ")
            .next()
            .unwrap_or_default()
            .to_string();
        return format!(
            "{why} | heuristic: HypoPG cannot build a hypothetical {m} index; the scan it replaces \
             is assumed to cost {:.0}% of today's; helps {} quer{}; est. size {}",
            GIN_SHARE * 100.0,
            r.helps.len(),
            if r.helps.len() == 1 { "y" } else { "ies" },
            fmt_bytes(r.size_bytes)
        );
    }
    let n = r.helps.len();
    let per: Vec<String> = r
        .helps
        .iter()
        .take(5)
        .map(|h| {
            format!(
                "{}:{} ({} calls, {} → {} cost, -{} each{}{})",
                h.path,
                h.line,
                h.calls,
                fmt_num(h.cost_before),
                fmt_num(h.cost_after),
                fmt_ms(h.saved_ms),
                if h.rewrites.is_empty() {
                    ""
                } else {
                    ", once rewritten"
                },
                h.assumed
                    .as_deref()
                    .map(|a| format!(", planned with {a} from pg_stats"))
                    .unwrap_or_default()
            )
        })
        .collect();
    format!(
        "helps {n} quer{}: {}{}; est. size {}",
        if n == 1 { "y" } else { "ies" },
        per.join("; "),
        if n > 5 {
            format!("; and {} more", n - 5)
        } else {
            String::new()
        },
        fmt_bytes(r.size_bytes)
    )
}

/// For a scan on the inner side of a join: how many times it would run in
/// a nested loop, i.e. the rows of the smallest partner it joins with.
fn join_loops(scan: &TableScan, scans: &[TableScan], rows_out: &[Option<f64>]) -> Option<f64> {
    if !scan.joined {
        return None;
    }
    let mut loops: Option<f64> = None;
    for p in &scan.predicates {
        let PredicateKind::Join(other) = &p.kind else {
            continue;
        };
        let q = other.qualifier.as_deref().unwrap_or("");
        for (i, s) in scans.iter().enumerate() {
            if s.block == scan.block
                && !std::ptr::eq(s, scan)
                && (s.alias.as_deref() == Some(q)
                    || s.table == q
                    || s.table.rsplit('.').next() == Some(q))
                && let Some(r) = rows_out[i]
            {
                loops = Some(loops.map_or(r, |l: f64| l.min(r)));
            }
        }
    }
    loops
}

// ---------------------------------------------------------------------------
// The cost model.

const SEQ_PAGE: f64 = 1.0;
const RANDOM_PAGE: f64 = 4.0;
const CPU_TUPLE: f64 = 0.01;
const CPU_INDEX_TUPLE: f64 = 0.005;
const CPU_OPERATOR: f64 = 0.0025;
const PAGE: f64 = 8192.0;
/// PostgreSQL's DEFAULT_INEQ_SEL and DEFAULT_RANGE_INEQ_SEL.
const INEQ_SEL: f64 = 1.0 / 3.0;
const RANGE_SEL: f64 = 0.005;
/// A column whose values follow the rows' physical order this closely
/// grows with the table ([`TableInfo::newest_bucket`]).
const RECENT_MIN_CORRELATION: f64 = 0.9;
/// The newest share of such a column's values an unseen "since" is
/// planned for ([`TableInfo::newest_bucket`]).
const RECENT_SHARE: f64 = 0.1;
/// An index whose seek keeps more than this share of its table is not
/// proposed: reading that much through an index is no better than a scan.
const MAX_SHARE: f64 = 0.2;
/// An existing index that leads with a candidate's equality columns serves
/// it unless the candidate is this many times cheaper.
const SERVED_FACTOR: f64 = 10.0;
/// What an unindexable condition keeps, as a filter.
const OTHER_SEL: f64 = 0.5;
/// What a scan served by a GIN (or GiST) index is assumed to cost, as a
/// share of the scan it replaces (no planner can check it: HypoPG builds
/// no GIN/GiST hypothesis).
const GIN_SHARE: f64 = 0.05;
/// BRIN: a table of at least this many pages (8 MB)…
const BRIN_MIN_PAGES: f64 = 1000.0;
/// …stored in the order of the column ranged over (|correlation|).
const BRIN_MIN_CORRELATION: f64 = 0.95;
/// A branch of an OR on a column at least this share null gets a partial
/// index `WHERE col IS NOT NULL`.
const MIN_NOT_NULL_PARTIAL_SHARE: f64 = 0.5;
/// How much more an index that delivers a LIMITed ORDER BY may cost, in
/// the model, than one that leaves a sort, and still be preferred.
const ORDERED_MARGIN: f64 = 1.25;
/// An equality that keeps more than this share of the rows (`active` on a
/// table 90 % active) narrows nothing as a key beside a selective one: it
/// stays a filter, and the key after it (a range, the ORDER BY) moves up.
const WEAK_EQ_SEL: f64 = 0.5;
/// `col IS NULL` makes a partial index when at most this share is null.
const MAX_NULL_PARTIAL_SHARE: f64 = 0.1;
/// `col = value` makes a partial index when the value holds at most this
/// share of the rows…
const MAX_PARTIAL_SHARE: f64 = 0.1;
/// …in a column whose most common value holds at least this share…
const MIN_PARTIAL_TOP_SHARE: f64 = 0.5;
/// …and that has at most this many distinct values (a status, a stage).
const MAX_PARTIAL_DISTINCT: f64 = 100.0;

/// How a condition can use an index key.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Seek {
    Eq,
    /// IN / ANY: equality that does not keep the order.
    In,
    Range,
    /// Only a filter.
    None,
}

#[derive(Debug, Clone)]
struct Cond {
    key: IndexKey,
    seek: Seek,
    sel: f64,
    /// A join condition: seekable only inside a nested loop.
    join: bool,
    /// For a skewed constant, the partial-index predicate it could be.
    partial: Option<String>,
    /// Conjunct → its sargable rewrite.
    rewrite: Option<(String, String)>,
    /// A parameter to plan with a representative value (`LIKE $1`: a
    /// prefix of the column's values), and that value as SQL.
    bind: Option<(usize, String)>,
    /// The predicate of an existing partial index this condition
    /// satisfies, when it is not one worth proposing ([`Self::partial`]):
    /// `deleted_at IS NULL` on a mostly-NULL column.
    implies: Option<String>,
}

impl Cond {
    /// Whether this condition is a partial index's predicate `p`.
    fn is_predicate(&self, p: &str) -> bool {
        [&self.partial, &self.implies]
            .into_iter()
            .flatten()
            .any(|x| squash(x) == squash(p))
    }
}

/// A predicate that wraps a column, for the function-on-indexed-column finding.
#[derive(Debug, Clone)]
struct Wrapped {
    predicate: Predicate,
    column_type: Option<String>,
    /// Expression index that serves it, or the rewrite and its index.
    expression_index: bool,
    rewrite: Option<String>,
    indexed: bool,
}

#[derive(Debug, Clone)]
struct Candidate {
    spec: IndexSpec,
    cost: f64,
    size: f64,
    /// It delivers the scan's ORDER BY (no sort, and LIMIT stops early).
    ordered: bool,
    rewrites: Vec<(String, String)>,
    /// Parameters planned with a representative value ([`Cond::bind`]).
    binds: Vec<(usize, String)>,
}

/// What an index is built of besides its spec: the sargable rewrites the
/// statement needs, and the parameters planned with a representative value.
type Needs = (Vec<(String, String)>, Vec<(usize, String)>);

struct ScanAdvice {
    before: f64,
    /// The best index for the statement as it runs.
    best: Option<Candidate>,
    /// The best index that needs the statement rewritten (a wrapped
    /// column compared as a range on the bare column), when it leaves at
    /// most half the cost [`Self::best`] leaves.
    rewrite: Option<Candidate>,
    wrapped: Vec<Wrapped>,
}

struct TableInfo<'a> {
    table: &'a Table,
    schema: &'a Schema,
    dialect: Dialect,
    rows: f64,
    pages: f64,
    width: f64,
}

impl<'a> TableInfo<'a> {
    fn new(table: &'a Table, schema: &'a Schema, dialect: Dialect) -> Self {
        let rows = table.rows.unwrap_or(DEFAULT_ROWS).max(1.0);
        let width = 24.0
            + table
                .columns
                .iter()
                .map(|c| type_width(&c.data_type))
                .sum::<f64>();
        let pages = match table.bytes {
            Some(b) if b > 0 => (b as f64 / PAGE).max(1.0),
            _ => (rows * width / (PAGE * 0.9)).ceil().max(1.0),
        };
        TableInfo {
            table,
            schema,
            dialect,
            rows,
            pages,
            width,
        }
    }

    fn column_type(&self, col: &str) -> Option<&str> {
        self.table.column(col).map(|c| c.data_type.as_str())
    }

    fn is_unique(&self, col: &str) -> bool {
        (self.table.primary_key.len() == 1 && self.table.primary_key[0].eq_ignore_ascii_case(col))
            || self.table.indexes.iter().any(|i| {
                i.unique && i.predicate.is_none() && i.keys.len() == 1 && i.leads_with(&[col])
            })
    }

    fn distinct(&self, col: &str) -> f64 {
        if self.is_unique(col) {
            return self.rows;
        }
        let nd = self.table.distinct(col).unwrap_or(DEFAULT_DISTINCT);
        nd.clamp(1.0, self.rows)
    }

    /// Selectivity of `col = value` (value as SQL, or a parameter).
    fn eq_sel(&self, col: &str, value: Option<&str>) -> f64 {
        if self.is_unique(col) {
            return 1.0 / self.rows;
        }
        let Some(c) = self.table.column(col) else {
            return 1.0 / DEFAULT_DISTINCT;
        };
        let nd = self.distinct(col);
        if let Some(v) = value.and_then(literal_text)
            && let Some((_, f)) = c
                .most_common
                .iter()
                .find(|(m, _)| *m == v || same_boolean(&c.data_type, m, &v))
        {
            return *f;
        }
        if !c.most_common.is_empty() {
            let mcv_sum: f64 = c.most_common.iter().map(|(_, f)| f).sum();
            let rest = (1.0 - mcv_sum - c.null_frac.unwrap_or(0.0)).max(0.0);
            let others = (nd - c.most_common.len() as f64).max(1.0);
            // A parameter could be any value: weigh in the common ones too.
            if value.and_then(literal_text).is_none() {
                return (1.0 / nd).max(rest / others);
            }
            return (rest / others).max(1.0 / self.rows);
        }
        1.0 / nd
    }

    /// The rows a scan returns from its own (non-join) conditions.
    fn local_rows(&self, scan: &TableScan) -> f64 {
        let (conds, _) = self.conds(scan);
        let sel: f64 = conds.iter().filter(|c| !c.join).map(|c| c.sel).product();
        (self.rows * sel).max(1.0)
    }

    /// Classifies the scan's predicates into index conditions.
    fn conds(&self, scan: &TableScan) -> (Vec<Cond>, Vec<Wrapped>) {
        let mut out: Vec<Cond> = Vec::new();
        let mut wrapped = Vec::new();
        let mut ranges: HashMap<String, usize> = HashMap::new();
        // Range conjuncts per bare column: a window with two ends is no
        // "since".
        let mut ranged: HashMap<String, usize> = HashMap::new();
        for p in scan
            .predicates
            .iter()
            .filter(|p| p.kind == PredicateKind::Range && p.wrapper.is_none())
        {
            *ranged
                .entry(p.column.name.to_ascii_lowercase())
                .or_default() += 1;
        }
        for p in &scan.predicates {
            let col = match self.table.column(&p.column.name) {
                Some(c) => c.name.clone(),
                None => continue,
            };
            let ctype = self.column_type(&col).map(str::to_string);
            let mut key = IndexKey::column(&col);
            let mut rewrite = None;
            let mut seek = match &p.kind {
                PredicateKind::Eq | PredicateKind::IsNull | PredicateKind::Join(_) => Seek::Eq,
                PredicateKind::In => Seek::In,
                PredicateKind::Range => Seek::Range,
                PredicateKind::Other => Seek::None,
            };
            if let Some(w) = &p.wrapper {
                let indexed = self.table.indexes.iter().any(|i| {
                    i.valid
                        && i.keys
                            .first()
                            .and_then(|k| k.column_name())
                            .is_some_and(|n| n.eq_ignore_ascii_case(&col))
                });
                if volatility::can_index_expression(w, ctype.as_deref(), self.dialect) {
                    key = IndexKey::Expression {
                        sql: w.expr_sql.clone(),
                    };
                    wrapped.push(Wrapped {
                        predicate: p.clone(),
                        column_type: ctype.clone(),
                        expression_index: true,
                        rewrite: None,
                        indexed,
                    });
                } else {
                    let rw = match (&p.kind, &p.value) {
                        (PredicateKind::Eq, Some(v)) => {
                            volatility::sargable_rewrite(w, &col, v, self.dialect)
                        }
                        _ => None,
                    };
                    wrapped.push(Wrapped {
                        predicate: p.clone(),
                        column_type: ctype.clone(),
                        expression_index: false,
                        rewrite: rw.clone(),
                        indexed,
                    });
                    match rw {
                        Some(r) => {
                            seek = Seek::Range;
                            rewrite = Some((p.sql.clone(), r));
                        }
                        None => seek = Seek::None,
                    }
                }
            } else if implicit_cast(p, ctype.as_deref(), self.dialect) {
                wrapped.push(Wrapped {
                    predicate: p.clone(),
                    column_type: ctype.clone(),
                    expression_index: false,
                    rewrite: None,
                    indexed: self.table.has_index_leading_with(&[col.as_str()]),
                });
                seek = Seek::None;
            }
            let join = matches!(p.kind, PredicateKind::Join(_));
            // `LIKE 'abc%'`: a B-tree range only in byte order, so under any
            // other collation the key needs a pattern operator class (a key
            // of its own, so a plain index on the column does not match it).
            let mut bind = None;
            if seek == Seek::Range
                && is_like_prefix(p)
                && let Some(w) = &p.wrapper
                && matches!(w.function.as_str(), "lower" | "upper")
                && matches!(key, IndexKey::Expression { .. })
                && self.pattern_opclass(&col).is_some()
            {
                // `lower(name) LIKE 'abc%'` under a non-C collation: the
                // expression's index needs the pattern class too (lower()
                // returns text whatever the column's character type).
                key = IndexKey::Expression {
                    sql: format!("{} text_pattern_ops", w.expr_sql),
                };
                // `lower(name) LIKE $1`: planned with a prefix typical of
                // the column, in the expression's case.
                if is_like_parameter(p) {
                    let upper = w.function == "upper";
                    bind = p
                        .value
                        .as_deref()
                        .and_then(|v| v[1..].parse::<usize>().ok())
                        .zip(self.representative_prefix(&col).map(|v| {
                            if upper {
                                v.to_uppercase()
                            } else {
                                v.to_lowercase()
                            }
                        }));
                }
            }
            if seek == Seek::Range && p.wrapper.is_none() && is_like_prefix(p) {
                if let Some(op) = self.pattern_opclass(&col) {
                    key = pattern_key(&col, op);
                }
                if is_like_parameter(p) {
                    bind = p
                        .value
                        .as_deref()
                        .and_then(|v| v[1..].parse::<usize>().ok())
                        .zip(self.representative_prefix(&col));
                }
            }
            // `at >= $1` alone on a column that grows with the table (an
            // arrival time, a sequence), its bound never seen: planned for
            // the newest bucket of its histogram, not the third of the
            // table PostgreSQL assumes ([`Self::newest_bucket`]).
            let mut recent = None;
            if bind.is_none()
                && seek == Seek::Range
                && rewrite.is_none()
                && ranged.get(&col.to_ascii_lowercase()) == Some(&1)
                && let Some(n) = crate::sql::predicate::lower_bound_parameter(p)
                && let Some((literal, share)) = self.newest_bucket(&col)
            {
                bind = Some((n, literal));
                recent = Some(share);
            }
            // `key = $1 … ORDER BY … LIMIT` on a skewed column: the
            // generic plan sees the average value, whose few rows make a
            // sort free; the time goes to the heavy values (a big tenant),
            // where only an index in the ORDER BY's order stops at the
            // LIMIT. Planned, and costed, for the most common value.
            let mut heavy = None;
            if bind.is_none()
                && seek == Seek::Eq
                && p.wrapper.is_none()
                && matches!(p.kind, PredicateKind::Eq)
                && !scan.order_by.is_empty()
                && scan.limit.is_some()
                && let Some(n) = p
                    .value
                    .as_deref()
                    .and_then(|v| v.strip_prefix('$'))
                    .and_then(|d| d.parse::<usize>().ok())
                && let Some((literal, freq)) = self.heavy_value(&col)
            {
                bind = Some((n, literal));
                heavy = Some(freq);
            }
            let not_null = p.wrapper.is_none() && crate::sql::predicate::is_not_null(&p.sql);
            let sel = match (&p.kind, seek) {
                _ if heavy.is_some() => heavy.unwrap_or(OTHER_SEL),
                _ if recent.is_some() => recent.unwrap_or(INEQ_SEL),
                (_, Seek::None) if not_null => self
                    .table
                    .column(&col)
                    .and_then(|c| c.null_frac)
                    .map_or(OTHER_SEL, |f| (1.0 - f).max(1.0 / self.rows)),
                (_, Seek::None) => OTHER_SEL,
                (_, Seek::Range) if rewrite.is_some() => RANGE_SEL,
                (PredicateKind::Eq, _)
                    if p.wrapper.as_ref().is_some_and(|w| {
                        matches!(w.function.as_str(), "lower" | "upper" | "btrim" | "trim")
                    }) =>
                {
                    // Case folding keeps values about as distinct as they were.
                    1.0 / self.distinct(&col)
                }
                (PredicateKind::Eq, _) if p.wrapper.is_some() => 1.0 / DEFAULT_DISTINCT,
                (PredicateKind::Eq, _) => self.eq_sel(&col, p.value.as_deref()),
                (PredicateKind::Join(_), _) => 1.0 / self.distinct(&col),
                (PredicateKind::In, _) => {
                    let k = in_count(&p.sql) as f64;
                    (k * self.eq_sel(&col, None)).min(1.0)
                }
                (PredicateKind::IsNull, _) => self
                    .table
                    .column(&col)
                    .and_then(|c| c.null_frac)
                    .map_or(RANGE_SEL, |f| f.max(1.0 / self.rows)),
                (PredicateKind::Range, _) => {
                    if p.sql.to_ascii_uppercase().contains(" BETWEEN ") {
                        RANGE_SEL
                    } else if p.sql.to_ascii_uppercase().contains(" LIKE ") {
                        let pattern = bind
                            .as_ref()
                            .map(|(_, v)| v.as_str())
                            .or(p.value.as_deref());
                        pattern
                            .and_then(|v| self.prefix_sel(&col, v))
                            .unwrap_or(RANGE_SEL * 2.0)
                    } else {
                        INEQ_SEL
                    }
                }
                (PredicateKind::Other, _) => OTHER_SEL,
            };
            let partial = match (&p.kind, &p.value, seek) {
                (PredicateKind::Eq, Some(v), Seek::Eq) if p.wrapper.is_none() => {
                    self.partial_predicate(&col, v)
                }
                (PredicateKind::IsNull, _, Seek::Eq) if p.wrapper.is_none() => {
                    self.null_partial(&col)
                }
                (_, _, Seek::None) if not_null => self.not_null_partial(&col),
                _ => None,
            };
            let implies = (matches!(p.kind, PredicateKind::IsNull) && p.wrapper.is_none())
                .then(|| format!("{} IS NULL", crate::model::index::quote_ident(&col)));
            // Two bounds on one column make one range (PostgreSQL's rule).
            if seek == Seek::Range && rewrite.is_none() {
                let k = format!("{key:?}");
                if let Some(&j) = ranges.get(&k) {
                    out[j].sel = RANGE_SEL.min(out[j].sel * sel);
                    continue;
                }
                ranges.insert(k, out.len());
            }
            out.push(Cond {
                key,
                seek,
                sel,
                join,
                partial,
                rewrite,
                bind,
                implies,
            });
        }
        (out, wrapped)
    }

    /// The GIN (GiST for ranges) index that serves a condition, by the
    /// column's type, with the extension it needs and why. A range's GiST
    /// index leads with the scan's selective equalities on scalar columns
    /// ([`Self::gist_equalities`]), through `btree_gist`.
    fn gin_spec(
        &self,
        g: &crate::sql::predicate::GinCondition,
        scan: &TableScan,
    ) -> Option<(IndexSpec, Vec<String>, String)> {
        let col = self.table.column(&g.column.name)?;
        let kind = g.index_kind(&col.data_type.to_ascii_lowercase())?;
        let mut spec = IndexSpec::new(&self.table.qualified_name(), &[col.name.as_str()]);
        let mut requires: Vec<String> = kind
            .extension
            .map(|e| format!("CREATE EXTENSION IF NOT EXISTS {e};"))
            .into_iter()
            .collect();
        let mut why = kind.why.to_string();
        match (g.op.as_str(), &g.expression) {
            // The configuration is still a parameter (`to_tsvector($1,
            // body)`: pg_stat_statements' text, its constant not seen where
            // the source looked): the index must name the one the
            // application passes; a default is assumed.
            ("@@", Some(e)) if e.contains('$') => {
                let cfg = self.schema.text_search_config.as_deref()?;
                let cfg = cfg.strip_prefix("pg_catalog.").unwrap_or(cfg);
                let sql = regex::Regex::new(r"\$[0-9]+")
                    .ok()?
                    .replace(e, format!("'{}'", cfg.replace('\'', "''")).as_str())
                    .into_owned();
                spec.keys = vec![IndexKey::Expression { sql }];
                let whose = self
                    .schema
                    .text_search_config_source
                    .as_deref()
                    .unwrap_or("the server");
                why = format!(
                    "{why} (the statement's text search configuration is a parameter whose value is unknown: the default_text_search_config of {whose}, {cfg}, is assumed; the index must name the configuration the application passes)"
                );
            }
            ("@@", Some(e)) => spec.keys = vec![IndexKey::Expression { sql: e.clone() }],
            // A range's GiST index leads with the selective equalities.
            _ if kind.method == "gist" => {
                let eqs = self.gist_equalities(scan);
                if !eqs.is_empty() {
                    let mut keys: Vec<IndexKey> = eqs.iter().map(|c| IndexKey::column(c)).collect();
                    keys.append(&mut spec.keys);
                    spec.keys = keys;
                    requires.push("CREATE EXTENSION IF NOT EXISTS btree_gist;".to_string());
                    why = "range overlap or containment needs a GiST index; the statement's equality on a selective column leads it (btree_gist gives the scalar column a GiST operator class), so a probe reaches that value's overlapping rows only".to_string();
                }
            }
            _ => {}
        }
        spec.method = Some(kind.method.into());
        spec.opclass = kind.opclass.map(str::to_string);
        Some((spec, requires, why))
    }

    /// The columns a GiST index on a range should lead with: the scan's
    /// equalities on a bare scalar column of a type `btree_gist` covers,
    /// each keeping a tenth of the rows or less, most selective first (at
    /// most two). A weaker equality only widens the index.
    fn gist_equalities(&self, scan: &TableScan) -> Vec<String> {
        const SCALARS: &[&str] = &[
            "smallint",
            "integer",
            "bigint",
            "real",
            "double precision",
            "numeric",
            "text",
            "character",
            "date",
            "timestamp",
            "time",
            "interval",
            "uuid",
            "inet",
            "cidr",
            "macaddr",
            "boolean",
            "oid",
            "bytea",
            "money",
        ];
        let mut eqs: Vec<(f64, String)> = Vec::new();
        for p in &scan.predicates {
            if p.wrapper.is_some() || !matches!(p.kind, PredicateKind::Eq) {
                continue;
            }
            let Some(col) = self.table.column(&p.column.name) else {
                continue;
            };
            let t = col.data_type.as_str();
            if !SCALARS.iter().any(|s| t.starts_with(s)) || t.ends_with("[]") || t.contains("range")
            {
                continue;
            }
            let sel = self.eq_sel(&col.name, p.value.as_deref());
            if sel <= 0.1 && !eqs.iter().any(|(_, c)| c.eq_ignore_ascii_case(&col.name)) {
                eqs.push((sel, col.name.clone()));
            }
        }
        eqs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        eqs.into_iter().take(2).map(|(_, c)| c).collect()
    }

    /// Single-column candidates of a scan's filter columns (equality, IN,
    /// range, IS NULL on the bare column) that no existing index leads with.
    /// A range (not a `LIKE` prefix) over a column an append-only table is
    /// stored in order of ([`Self::brin_worthy`]) is a BRIN candidate, as
    /// the cost model's own candidate would be: HypoPG builds BRIN
    /// hypotheses, so the planner judges it (`at > now() - interval $1`,
    /// whose window only the planner can evaluate, once it is bound).
    fn filter_keys(&self, scan: &TableScan) -> Vec<IndexSpec> {
        let mut out: Vec<IndexSpec> = Vec::new();
        for p in &scan.predicates {
            if p.wrapper.is_some()
                || !matches!(
                    p.kind,
                    PredicateKind::Eq
                        | PredicateKind::In
                        | PredicateKind::Range
                        | PredicateKind::IsNull
                )
            {
                continue;
            }
            let Some(col) = self.table.column(&p.column.name) else {
                continue;
            };
            // A rare `col IS NULL` beside another condition or an order is
            // the WHERE of a partial index on those ([`Self::candidates`]),
            // not a full index of the column.
            let beside = !scan.order_by.is_empty()
                || scan.predicates.iter().any(|q| {
                    !q.column.name.eq_ignore_ascii_case(&col.name) && q.kind.compares_a_value()
                });
            if p.kind == PredicateKind::IsNull && beside && self.null_partial(&col.name).is_some() {
                continue;
            }
            let mut spec = IndexSpec::new(&self.table.qualified_name(), &[col.name.as_str()]);
            if p.kind == PredicateKind::Range && !is_like_prefix(p) && self.brin_worthy(&col.name) {
                spec.method = Some("brin".into());
            }
            if !out.contains(&spec) && !spec.already_served(self.schema) {
                out.push(spec);
            }
        }
        out
    }

    /// Covering variants of a scan's join keys and of its GROUP BY key
    /// (when every grouping column is this table's): the key, then the
    /// other columns the scan reads as INCLUDE, when they are few, so the
    /// scan reads the index alone, in key order.
    fn covering_keys(&self, scan: &TableScan, joins: &[IndexSpec]) -> Vec<IndexSpec> {
        let Some(read) = &scan.columns else {
            return Vec::new();
        };
        let mut keys: Vec<IndexSpec> = joins.to_vec();
        let group: Vec<&str> = scan
            .group_by
            .iter()
            .filter_map(|g| self.table.column(g).map(|c| c.name.as_str()))
            .collect();
        if !group.is_empty() && group.len() == scan.group_by.len() {
            keys.push(IndexSpec::new(&self.table.qualified_name(), &group));
        }
        let mut out: Vec<IndexSpec> = Vec::new();
        for mut spec in keys {
            let names: Vec<String> = spec.columns();
            let rest: Vec<String> = read
                .iter()
                .filter_map(|c| self.table.column(c).map(|c| c.name.clone()))
                .filter(|c| !names.iter().any(|n| n.eq_ignore_ascii_case(c)))
                .collect();
            if rest.is_empty() || rest.len() > MAX_COVERING_COLUMNS {
                continue;
            }
            spec.include = rest;
            if !out.contains(&spec) {
                out.push(spec);
            }
        }
        out
    }

    /// The join columns of a scan: per partner it is joined with (in
    /// its block, or an outer one for a correlated subquery), an index on
    /// this table's columns of that join (so a nested loop reaches this
    /// side by key, or a merge join reads it in order). The partner is the
    /// other column's qualifier, or the scan whose table has that column.
    fn join_columns(&self, scan: &TableScan, scans: &[TableScan]) -> Vec<IndexSpec> {
        let mut partners: Vec<(String, Vec<String>)> = Vec::new();
        for p in &scan.predicates {
            let PredicateKind::Join(other) = &p.kind else {
                continue;
            };
            if p.wrapper.is_some() {
                continue;
            }
            let Some(col) = self.table.column(&p.column.name).map(|c| c.name.clone()) else {
                continue;
            };
            let partner = match &other.qualifier {
                Some(q) => q.to_lowercase(),
                None => scans
                    .iter()
                    .find(|s| {
                        !std::ptr::eq(*s, scan)
                            && self
                                .schema
                                .table(&s.table)
                                .is_some_and(|t| t.column(&other.name).is_some())
                    })
                    .map(|s| {
                        s.alias
                            .clone()
                            .unwrap_or_else(|| s.table.clone())
                            .to_lowercase()
                    })
                    .unwrap_or_default(),
            };
            match partners.iter_mut().find(|(q, _)| *q == partner) {
                Some((_, cols)) => {
                    if !cols.iter().any(|c| c.eq_ignore_ascii_case(&col)) {
                        cols.push(col);
                    }
                }
                None => partners.push((partner, vec![col])),
            }
        }
        // Equalities: any order serves. The most distinct column first, so
        // that the same join written two ways gives one candidate, and its
        // lead serves joins on that column alone.
        partners
            .into_iter()
            .map(|(_, mut cols)| {
                cols.sort_by(|a, b| self.distinct(b).total_cmp(&self.distinct(a)).then(a.cmp(b)));
                let refs: Vec<&str> = cols.iter().map(String::as_str).collect();
                IndexSpec::new(&self.table.qualified_name(), &refs)
            })
            .collect()
    }

    /// The join columns (of [`Self::join_columns`]) that no existing index
    /// is on exactly, in any order. An index that only leads with them (a
    /// wider primary key) leaves them a candidate: the narrower index is
    /// smaller, and the planner may cost its probes lower; HypoPG decides.
    fn join_keys(&self, columns: &[IndexSpec]) -> Vec<IndexSpec> {
        columns
            .iter()
            .filter(|spec| {
                let cols = spec.columns();
                !self.table.indexes.iter().any(|ix| {
                    ix.valid
                        && ix.predicate.is_none()
                        && ix.keys.len() == cols.len()
                        && ix.keys.iter().all(|k| {
                            k.column_name()
                                .is_some_and(|n| cols.iter().any(|c| c.eq_ignore_ascii_case(n)))
                        })
                })
            })
            .cloned()
            .collect()
    }

    /// The pattern operator class a B-tree on `col` needs to serve `LIKE
    /// 'abc%'`: none under the `C` collation (or when the collation is
    /// unknown), else the one of the column's type.
    fn pattern_opclass(&self, col: &str) -> Option<&'static str> {
        let c = self.table.column(col)?;
        if c.c_collation != Some(false) || self.dialect != Dialect::Postgres {
            return None;
        }
        let t = c.data_type.as_str();
        if t == "text" {
            Some("text_pattern_ops")
        } else if t.starts_with("character varying") || t.starts_with("varchar") {
            Some("varchar_pattern_ops")
        } else if t.starts_with("character") || t.starts_with("bpchar") {
            Some("bpchar_pattern_ops")
        } else {
            None
        }
    }

    /// A prefix pattern typical of the column, from pg_stats (the median
    /// histogram bound, else the most common value): its shortest prefix
    /// (at least two characters) that no other histogram bound shares, its
    /// last character moved one off so that it falls between two bounds:
    /// it keeps less than a bucket, as a pattern typed into a search box
    /// does (PostgreSQL assumes 0.5 % of a pattern it cannot see, half a
    /// bucket of a full histogram); without a histogram, the first half.
    /// Then `%`. `None` without statistics or when the value holds LIKE's
    /// own characters.
    fn representative_prefix(&self, col: &str) -> Option<String> {
        let c = self.table.column(col)?;
        let v = c
            .histogram
            .get(c.histogram.len() / 2)
            .or_else(|| c.most_common.first().map(|(v, _)| v))?;
        if v.contains(['%', '_', '\\']) || v.chars().count() < 2 {
            return None;
        }
        let quoted = |n: usize| {
            let prefix: String = v.chars().take(n).collect();
            format!("'{}%'", prefix.replace('\'', "''"))
        };
        let len = v.chars().count();
        if c.histogram.len() >= 2 {
            let bounds = |p: &str| c.histogram.iter().filter(|b| b.starts_with(p)).count();
            let Some(n) = (2..=len).find(|&n| bounds(&v.chars().take(n).collect::<String>()) <= 1)
            else {
                return Some(quoted(len));
            };
            // The bound itself is one the planner counts whole: a
            // neighbouring prefix between two bounds (its last character
            // one off, at the first length where there is one) is the
            // typical one.
            let between = (n..=len).find_map(|m| {
                let head: String = v.chars().take(m - 1).collect();
                let last = v.chars().nth(m - 1)? as u32;
                [last.wrapping_sub(1), last + 1]
                    .into_iter()
                    .filter_map(char::from_u32)
                    .filter(|c| c.is_alphanumeric())
                    .map(|c| format!("{head}{c}"))
                    .find(|p| bounds(p) == 0)
            });
            return Some(match between {
                Some(p) => format!("'{}%'", p.replace('\'', "''")),
                None => quoted(n),
            });
        }
        Some(quoted(len.div_ceil(2).max(2)))
    }

    /// For a range bounding `col` from below only, its parameter unseen:
    /// the lower edge of the histogram's newest [`RECENT_SHARE`] of
    /// buckets and the share of rows above it, when the column grows with the table (pg_stats'
    /// correlation of at least [`RECENT_MIN_CORRELATION`]: rows arrive in
    /// its order, an arrival time or a sequence). A "since" on such a
    /// column asks for the newest rows: a report's week, a sync's changes.
    /// PostgreSQL's generic plan takes a third of the table whatever the
    /// bound, so an index that serves any recent window looks useless;
    /// planned for the newest tenth it is judged as the server plans the
    /// statement sent with such a bound, at the wide end of what a "since"
    /// usually asks (a week or a month of years): an index that wins
    /// there wins for narrower windows too, and the planner reads the
    /// table as before for wider ones. A tenth, not the last bucket: at a
    /// hundredth an index on the column alone outbids the join key a
    /// wider window needs (rentals' host bookings: `(check_in)` over the
    /// DBA's `(listing_id, check_in)`).
    fn newest_bucket(&self, col: &str) -> Option<(String, f64)> {
        if self.dialect != Dialect::Postgres {
            return None;
        }
        let c = self.table.column(col)?;
        let h = &c.histogram;
        if h.len() < 3 || c.correlation? < RECENT_MIN_CORRELATION {
            return None;
        }
        let buckets = h.len() - 1;
        let newest = ((buckets as f64 * RECENT_SHARE).ceil() as usize).clamp(1, buckets);
        let mcv: f64 = c.most_common.iter().map(|(_, f)| f).sum();
        let rest = (1.0 - mcv - c.null_frac.unwrap_or(0.0)).clamp(0.0, 1.0);
        let share = (rest * newest as f64 / buckets as f64).max(1.0 / self.rows);
        let edge = &h[buckets - newest];
        Some((format!("'{}'", edge.replace('\'', "''")), share))
    }

    /// The share of rows `LIKE 'abc%'` keeps, from the histogram bounds
    /// that start with the prefix (a tenth of a bucket when none does), as
    /// PostgreSQL ranges over the prefix.
    fn prefix_sel(&self, col: &str, pattern: &str) -> Option<f64> {
        let h = &self.table.column(col)?.histogram;
        let text = literal_text(pattern)?;
        let prefix = text.strip_suffix('%')?;
        if h.len() < 2 || prefix.is_empty() || prefix.contains(['%', '_']) {
            return None;
        }
        let n = h.iter().filter(|v| v.starts_with(prefix)).count() as f64;
        Some((n.max(0.1) / (h.len() - 1) as f64).min(1.0))
    }

    /// Whether a BRIN index serves a range on `col` better than a B-tree: the
    /// table is append-only (no row updated or deleted since the statistics
    /// reset), large, and stored in the column's order (pg_stats'
    /// correlation near 1), so the block ranges it summarizes barely overlap.
    fn brin_worthy(&self, col: &str) -> bool {
        self.dialect == Dialect::Postgres
            && self.table.rows_changed == Some(0)
            && self.pages >= BRIN_MIN_PAGES
            && self
                .table
                .column(col)
                .and_then(|c| c.correlation)
                .is_some_and(|r| r.abs() >= BRIN_MIN_CORRELATION)
    }

    /// A partial index predicate for `col IS NULL` when few rows are null
    /// (pg_stats' null_frac): the index holds those rows only, so it is as
    /// small as the queue it serves (`WHERE assignee_id IS NULL ORDER BY
    /// created_at`).
    fn null_partial(&self, col: &str) -> Option<String> {
        let f = self.table.column(col)?.null_frac?;
        (f > 0.0 && f <= MAX_NULL_PARTIAL_SHARE)
            .then(|| format!("{} IS NULL", crate::model::index::quote_ident(col)))
    }

    /// A partial index predicate for `col IS NOT NULL` when few rows have a
    /// value (pg_stats' null_frac): a B-tree on the column cannot keep
    /// another key's order after `IS NOT NULL` (it is a range of values),
    /// but an index of the rows that have one holds exactly what the
    /// statement reads, in the order its other keys give (`WHERE
    /// flagged_at IS NOT NULL ORDER BY created_at DESC LIMIT 50`).
    fn not_null_partial(&self, col: &str) -> Option<String> {
        let f = self.table.column(col)?.null_frac?;
        (f < 1.0 && 1.0 - f <= MAX_NULL_PARTIAL_SHARE)
            .then(|| format!("{} IS NOT NULL", crate::model::index::quote_ident(col)))
    }

    /// The most common value of a skewed column, as a quoted literal, and
    /// its share of the rows: at least 1 % of the table and twenty times
    /// the average value's share. `None` for an even column, or one
    /// without statistics.
    fn heavy_value(&self, col: &str) -> Option<(String, f64)> {
        let c = self.table.column(col)?;
        if c.data_type == "boolean" {
            return None;
        }
        let (v, f) = c
            .most_common
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))?;
        (*f >= 0.01 && *f >= 20.0 / self.distinct(col))
            .then(|| (format!("'{}'", v.replace('\'', "''")), *f))
    }

    /// Whether `col` is dominated by one value among few
    /// ([`MIN_PARTIAL_TOP_SHARE`], [`MAX_PARTIAL_DISTINCT`]): a rare value
    /// of it may make a partial index.
    fn dominated(&self, col: &str) -> bool {
        let Some(c) = self.table.column(col) else {
            return false;
        };
        let top = c.most_common.iter().map(|(_, f)| *f).fold(0.0, f64::max);
        top >= MIN_PARTIAL_TOP_SHARE && self.distinct(col) <= MAX_PARTIAL_DISTINCT
    }

    /// Whether `col` is [dominated](Self::dominated) and has a value rare
    /// enough for a partial index ([`MAX_PARTIAL_SHARE`]): a common value
    /// listed as that rare, or values beyond the listed ones.
    fn has_rare_value(&self, col: &str) -> bool {
        let Some(c) = self.table.column(col) else {
            return false;
        };
        self.dominated(col)
            && (c.most_common.iter().any(|(_, f)| *f <= MAX_PARTIAL_SHARE)
                || self.distinct(col) > c.most_common.len() as f64)
    }

    /// A partial index predicate for `col = value` when the value is rare
    /// in a column dominated by other values.
    fn partial_predicate(&self, col: &str, value: &str) -> Option<String> {
        let c = self.table.column(col)?;
        let v = literal_text(value)?;
        let freq = self.eq_sel(col, Some(value));
        (self.dominated(col) && freq <= MAX_PARTIAL_SHARE).then(|| {
            let q = crate::model::index::quote_ident(col);
            // A boolean as the statement tests it (`WHERE flagged`): the
            // planner proves a bare column (or its NOT) implies the
            // predicate, not `flagged = 'true'`, which it then never uses.
            if same_boolean(&c.data_type, &v, "true") {
                q
            } else if same_boolean(&c.data_type, &v, "false") {
                format!("NOT {q}")
            } else {
                format!("{q} = '{}'", v.replace('\'', "''"))
            }
        })
    }

    fn advise_scan(
        &self,
        scan: &TableScan,
        loops: Option<f64>,
        opts: &AdviseOptions,
    ) -> ScanAdvice {
        let (conds, wrapped) = self.conds(scan);
        let mut wrapped = wrapped;
        // Existing access paths.
        let mut before = self.seq_cost(scan, &conds);
        let existing: Vec<(Vec<IndexKey>, Vec<String>, Option<String>)> = self
            .table
            .indexes
            .iter()
            .filter(|i| i.valid && i.method.as_deref().is_none_or(|m| m == "btree"))
            .map(|i| (i.keys.clone(), i.include.clone(), i.predicate.clone()))
            .collect();
        for (keys, include, pred) in &existing {
            if let Some(c) = self.path_cost(scan, &conds, keys, include, pred.as_deref(), None) {
                before = before.min(c);
            }
            if let Some(l) = loops
                && let Some(c) =
                    self.path_cost(scan, &conds, keys, include, pred.as_deref(), Some(l))
            {
                before = before.min(c);
            }
        }
        let small = self.rows < opts.min_rows;
        // As the statement runs, and once rewritten: chosen apart, so that
        // an index a rewrite needs never takes the place of one that
        // serves the statement today.
        let mut best: Option<Candidate> = None;
        let mut best_rewrite: Option<Candidate> = None;
        if !small {
            // On the inner side of a join, the candidates with the join
            // keys, and those without them for the scan driving the join
            // on its own conditions: the cost decides, and at a tie the
            // narrower index wins.
            let mut candidates = self.candidates(scan, &conds, false);
            if loops.is_some() {
                for c in self.candidates(scan, &conds, true) {
                    if !candidates.iter().any(|(s, _)| *s == c.0) {
                        candidates.push(c);
                    }
                }
            }
            for (spec, (rewrites, binds)) in candidates {
                let mut cost = self
                    .path_cost(
                        scan,
                        &conds,
                        &spec.keys,
                        &spec.include,
                        spec.predicate.as_deref(),
                        None,
                    )
                    .unwrap_or(f64::INFINITY);
                if let Some(l) = loops
                    && let Some(c) = self.path_cost(
                        scan,
                        &conds,
                        &spec.keys,
                        &spec.include,
                        spec.predicate.as_deref(),
                        Some(l),
                    )
                {
                    cost = cost.min(c);
                }
                if !cost.is_finite() {
                    continue;
                }
                // An index on a condition that keeps a large share of the
                // table is not proposed, unless it delivers a LIMITed order.
                let share = self.seek_share(&conds, &spec, loops.is_some());
                if share > MAX_SHARE
                    && !(scan.limit.is_some() && self.delivers_order(scan, &spec.keys))
                {
                    continue;
                }
                let size = self.index_bytes(&spec);
                let ordered = self.delivers_order(scan, &spec.keys);
                let slot = if rewrites.is_empty() {
                    &mut best
                } else {
                    &mut best_rewrite
                };
                let better = match &*slot {
                    None => true,
                    // INCLUDE columns must earn their place: a tenth of the scan.
                    Some(b) if !spec.include.is_empty() => cost < b.cost - 0.1 * before,
                    Some(b) if !b.spec.include.is_empty() => cost <= b.cost + 0.1 * before,
                    // With a LIMIT, an index that delivers the ORDER BY
                    // stops early whatever the rows per key: worth a
                    // quarter more than one that leaves a sort (the
                    // statistics' average hides the keys with many rows).
                    Some(b) if scan.limit.is_some() && ordered != b.ordered => {
                        if ordered {
                            cost <= b.cost * ORDERED_MARGIN
                        } else {
                            cost * ORDERED_MARGIN < b.cost
                        }
                    }
                    Some(b) => {
                        cost < b.cost * 0.98
                            || (cost <= b.cost * 1.02
                                && (!ordered, size, spec.keys.len())
                                    < (!b.ordered, b.size, b.spec.keys.len()))
                    }
                };
                if better {
                    *slot = Some(Candidate {
                        spec,
                        cost,
                        size,
                        ordered,
                        rewrites,
                        binds,
                    });
                }
            }
        }
        // A rewrite is worth asking for when its index leaves at most half
        // the cost the best index for the statement as it runs leaves.
        let as_is = best.as_ref().map_or(before, |b| b.cost.min(before));
        best_rewrite = best_rewrite.filter(|r| r.cost < as_is * (1.0 - opts.min_gain));
        best = self.unless_served(best, scan, &conds, loops);
        best_rewrite = self.unless_served(best_rewrite, scan, &conds, loops);
        // Only flag a wrapper on a column that is indexed or index-worthy.
        wrapped.retain(|w| {
            w.indexed
                || [&best, &best_rewrite].into_iter().flatten().any(|b| {
                    b.cost < before * (1.0 - opts.min_gain)
                        && b.spec.keys.iter().any(|k| match k {
                            IndexKey::Column { name, .. } => {
                                name.eq_ignore_ascii_case(&w.predicate.column.name)
                                    && w.rewrite.is_some()
                            }
                            IndexKey::Expression { sql } => {
                                *sql == w
                                    .predicate
                                    .wrapper
                                    .as_ref()
                                    .map(|x| x.expr_sql.clone())
                                    .unwrap_or_default()
                            }
                        })
                })
        });
        for b in [&mut best, &mut best_rewrite].into_iter().flatten() {
            self.finish_candidate(b, scan, &conds);
        }
        ScanAdvice {
            before,
            best,
            rewrite: best_rewrite,
            wrapped,
        }
    }

    /// `best`, unless an existing index that leads with the candidate's
    /// equality columns already serves it (the candidate is not an order
    /// of magnitude cheaper).
    fn unless_served(
        &self,
        best: Option<Candidate>,
        scan: &TableScan,
        conds: &[Cond],
        loops: Option<f64>,
    ) -> Option<Candidate> {
        let mut best = best;
        if let Some(b) = &best {
            let eq_keys: Vec<&IndexKey> = b
                .spec
                .keys
                .iter()
                .take_while(|k| {
                    conds
                        .iter()
                        .any(|c| matches!(c.seek, Seek::Eq | Seek::In) && same_key(&c.key, k))
                })
                .collect();
            let served = !eq_keys.is_empty()
                && self.table.indexes.iter().any(|ix| {
                    ix.valid
                        && ix.predicate.is_none()
                        && ix.keys.len() >= eq_keys.len()
                        && eq_keys.iter().zip(&ix.keys).all(|(a, b)| same_key(a, b))
                        && self
                            .path_cost(scan, conds, &ix.keys, &ix.include, None, loops)
                            .or_else(|| {
                                self.path_cost(scan, conds, &ix.keys, &ix.include, None, None)
                            })
                            .is_some_and(|c| c <= b.cost * SERVED_FACTOR)
                });
            if served {
                best = None;
            }
        }
        best
    }

    /// The last touches of a chosen candidate: a pattern operator class on
    /// its own key; BRIN for a range on an append-only table stored in
    /// the column's order.
    fn finish_candidate(&self, b: &mut Candidate, scan: &TableScan, conds: &[Cond]) {
        lift_pattern_opclass(&mut b.spec);
        // A range over a column the append-only table is stored in
        // order of: a BRIN index, a thousandth of the B-tree's size,
        // unless the B-tree's order ends a LIMIT early.
        let ranged = match b.spec.keys.as_slice() {
            [IndexKey::Column { name, .. }] => conds
                .iter()
                .any(|c| {
                    c.seek == Seek::Range
                        && c.rewrite.is_none()
                        && same_key(&c.key, &b.spec.keys[0])
                })
                .then_some(name.clone()),
            _ => None,
        };
        if let Some(col) = ranged
            && b.spec.predicate.is_none()
            && !(b.ordered && scan.limit.is_some())
            && self.brin_worthy(&col)
        {
            b.spec.method = Some("brin".into());
            b.spec.include.clear();
        }
    }

    /// The share of the table an index's seek (and partial predicate) selects.
    fn seek_share(&self, conds: &[Cond], spec: &IndexSpec, nested_loop: bool) -> f64 {
        let mut sel = 1.0;
        if let Some(p) = &spec.predicate
            && let Some(c) = conds.iter().find(|c| c.is_predicate(p))
        {
            sel *= c.sel;
        }
        for k in &spec.keys {
            let hit = conds
                .iter()
                .find(|c| (!c.join || nested_loop) && c.seek != Seek::None && same_key(&c.key, k));
            match hit {
                Some(c) => {
                    sel *= c.sel;
                    if c.seek == Seek::Range {
                        break;
                    }
                }
                None => break,
            }
        }
        sel
    }

    /// Whether an index with `keys` delivers the scan's ORDER BY after the
    /// equality columns it seeks on.
    fn delivers_order(&self, scan: &TableScan, keys: &[IndexKey]) -> bool {
        if scan.order_by.is_empty() {
            return false;
        }
        let (conds, _) = self.conds(scan);
        let mut used = Vec::new();
        let mut prefix = 0;
        for k in keys {
            match conds
                .iter()
                .position(|c| c.seek == Seek::Eq && !c.join && same_key(&c.key, k))
            {
                Some(i) => {
                    used.push(i);
                    prefix += 1;
                }
                None => break,
            }
        }
        order_matches(&keys[prefix..], scan, &conds, &used)
    }

    /// Candidate indexes for a scan, each with the rewrites it needs.
    fn candidates(
        &self,
        scan: &TableScan,
        conds: &[Cond],
        nested_loop: bool,
    ) -> Vec<(IndexSpec, Needs)> {
        let mut eqs: Vec<&Cond> = conds
            .iter()
            .filter(|c| matches!(c.seek, Seek::Eq | Seek::In) && (!c.join || nested_loop))
            .collect();
        eqs.sort_by(|a, b| {
            // Equality before IN (IN breaks the order of what follows),
            // then most selective first.
            (a.seek == Seek::In)
                .cmp(&(b.seek == Seek::In))
                .then(a.sel.total_cmp(&b.sel))
        });
        let mut seen: Vec<&IndexKey> = Vec::new();
        eqs.retain(|c| {
            if seen.iter().any(|k| same_key(k, &c.key)) {
                false
            } else {
                seen.push(&c.key);
                true
            }
        });
        // A weak equality is a key only when nothing else narrows the scan.
        if eqs.iter().any(|c| c.sel <= WEAK_EQ_SEL) {
            eqs.retain(|c| c.sel <= WEAK_EQ_SEL);
        }
        eqs.truncate(3);
        let mut ranges: Vec<&Cond> = conds
            .iter()
            .filter(|c| c.seek == Seek::Range && !eqs.iter().any(|e| same_key(&e.key, &c.key)))
            .collect();
        ranges.sort_by(|a, b| a.sel.total_cmp(&b.sel));

        let mut shapes: Vec<Vec<&Cond>> = Vec::new();
        let mut order_tail: Vec<IndexKey> = Vec::new();
        if !scan.order_by.is_empty() && eqs.iter().all(|c| c.seek == Seek::Eq) {
            let all_desc = scan.order_by.iter().all(|o| o.descending);
            for o in &scan.order_by {
                if let Some(w) = &o.expression {
                    // An expression key has no direction of its own: it
                    // serves an order all one way (read backwards for
                    // DESC), over an expression the index may hold, its
                    // constants known.
                    let ctype = self.table.column(&o.column).map(|c| c.data_type.clone());
                    if (o.descending && !all_desc)
                        || w.expr_sql.contains('$')
                        || !volatility::can_index_expression(w, ctype.as_deref(), self.dialect)
                    {
                        order_tail.clear();
                        break;
                    }
                    order_tail.push(IndexKey::Expression {
                        sql: w.expr_sql.clone(),
                    });
                    continue;
                }
                if eqs
                    .iter()
                    .any(|e| e.key.column_name() == Some(o.column.as_str()))
                {
                    continue;
                }
                order_tail.push(IndexKey::Column {
                    name: o.column.clone(),
                    // A backward scan delivers an all-DESC order; mixed
                    // directions need the index to spell them. Read
                    // backwards, an index also reverses where its NULLs
                    // come: `DESC NULLS LAST` is `NULLS FIRST` backwards.
                    descending: o.descending && !all_desc,
                    nulls_first: o.nulls_first != all_desc,
                });
            }
        }
        if !eqs.is_empty() {
            shapes.push(eqs.clone());
        }
        if let Some(r) = ranges.first() {
            // The equalities first, then the range; a prefix match keeps
            // its operator class on its own key (`(tenant_id, reference
            // text_pattern_ops)`), and is also tried alone.
            let mut s = eqs.clone();
            s.push(r);
            shapes.push(s);
            if is_pattern_key(&r.key) && !eqs.is_empty() {
                shapes.push(vec![*r]);
            }
        }
        let mut out = Vec::new();
        let mut push = |conds: &[&Cond], tail: &[IndexKey], partial: Option<(&Cond, String)>| {
            let mut keys: Vec<IndexKey> = conds
                .iter()
                .filter(|c| partial.as_ref().is_none_or(|(p, _)| !std::ptr::eq(*p, **c)))
                .map(|c| c.key.clone())
                .collect();
            for t in tail {
                if !keys.iter().any(|k| same_key(k, t)) {
                    keys.push(t.clone());
                }
            }
            if keys.is_empty() {
                return;
            }
            let mut spec = IndexSpec::new(&self.table.qualified_name(), &[]);
            spec.keys = keys;
            spec.predicate = partial.map(|(_, p)| p);
            let rewrites: Vec<(String, String)> =
                conds.iter().filter_map(|c| c.rewrite.clone()).collect();
            let binds: Vec<(usize, String)> = conds.iter().filter_map(|c| c.bind.clone()).collect();
            out.push((spec, (rewrites, binds)));
        };
        // A rare `col IS NULL` beside another key, a range or an order is
        // the WHERE of a partial index on those (pushed below), not a key
        // of a full one: a full index holds every row that has a value for
        // the sake of the few that have none (library's `loans
        // (returned_at)` for the ~2 % of loans still out), and grows with
        // each of them. Alone, it stays a key: a partial index needs one.
        let null_partial = |c: &Cond| {
            c.partial
                .as_deref()
                .is_some_and(|p| p.ends_with(" IS NULL"))
        };
        let others = eqs.iter().filter(|c| !null_partial(c)).count()
            + ranges.len().min(1)
            + order_tail.len();
        for s in &shapes {
            if others > 0 && s.iter().any(|c| null_partial(c)) {
                continue;
            }
            push(s, &[], None);
        }
        // Walking a plain index in the order of a column that a prefix
        // match on it needs a pattern operator class for filters the whole
        // walk: the prefix index (and a sort of its few rows) serves it.
        let prefix_ordered = order_tail.iter().any(|t| {
            conds.iter().any(|c| match (&c.key, t.column_name()) {
                (IndexKey::Expression { sql }, Some(n)) => {
                    is_pattern_key(&c.key) && sql.split(' ').next() == Some(n)
                }
                _ => false,
            })
        });
        if !order_tail.is_empty() && !prefix_ordered && !eqs.iter().any(|c| null_partial(c)) {
            push(&eqs, &order_tail, None);
        }
        // Partial variants: a rare constant on a skewed column moves from the
        // keys into the WHERE of the index.
        for c in eqs.iter().filter(|c| c.partial.is_some()) {
            let p = c.partial.clone().unwrap_or_default();
            for s in &shapes {
                push(s, &[], Some((c, p.clone())));
            }
            if !order_tail.is_empty() {
                push(&eqs, &order_tail, Some((c, p.clone())));
            }
        }
        // A rare `col IS NOT NULL` seeks on nothing: it is the WHERE of an
        // index on the scan's other keys, or on its ORDER BY alone.
        for c in conds
            .iter()
            .filter(|c| c.seek == Seek::None && c.partial.is_some())
        {
            let p = c.partial.clone().unwrap_or_default();
            for s in &shapes {
                push(s, &[], Some((c, p.clone())));
            }
            if !order_tail.is_empty() {
                push(&eqs, &order_tail, Some((c, p.clone())));
            }
        }
        // Covering variants: INCLUDE the few other columns read, when that
        // makes the scan index-only (PostgreSQL).
        if self.dialect == Dialect::Postgres
            && let Some(cols) = &scan.columns
        {
            let mut extra = Vec::new();
            for base in out.clone() {
                let missing: Vec<String> = cols
                    .iter()
                    .filter(|c| {
                        !base
                            .0
                            .keys
                            .iter()
                            .any(|k| k.column_name().is_some_and(|n| n.eq_ignore_ascii_case(c)))
                    })
                    .filter_map(|c| self.table.column(c).map(|col| col.name.clone()))
                    .collect();
                let narrow = missing
                    .iter()
                    .all(|c| self.column_type(c).is_some_and(|t| type_width(t) <= 16.0));
                if !missing.is_empty() && missing.len() <= 2 && narrow {
                    let mut spec = base.0.clone();
                    spec.include = missing;
                    extra.push((spec, base.1.clone()));
                }
            }
            out.extend(extra);
        }
        out
    }

    /// A sequential scan (with a sort when the query orders).
    fn seq_cost(&self, scan: &TableScan, conds: &[Cond]) -> f64 {
        let local: Vec<&Cond> = conds.iter().filter(|c| !c.join).collect();
        let sel: f64 = local.iter().map(|c| c.sel).product();
        let out = (self.rows * sel).max(1.0);
        let mut cost =
            self.pages * SEQ_PAGE + self.rows * (CPU_TUPLE + CPU_OPERATOR * local.len() as f64);
        if !scan.order_by.is_empty() {
            cost += sort_cost(out, scan.limit);
        } else if let Some(l) = scan.limit {
            // Without an order the scan stops after LIMIT rows.
            if scan.group_by.is_empty() {
                cost *= (l as f64 / out).min(1.0);
            }
        }
        cost
    }

    /// The cost of reading through an index with `keys`, or `None` when the
    /// index cannot serve the scan. With `loops`, the cost of that many
    /// nested-loop probes where join conditions count as equalities.
    fn path_cost(
        &self,
        scan: &TableScan,
        conds: &[Cond],
        keys: &[IndexKey],
        include: &[String],
        predicate: Option<&str>,
        loops: Option<f64>,
    ) -> Option<f64> {
        let usable = |c: &Cond| !c.join || loops.is_some();
        // A partial index serves only a query that repeats its predicate.
        let mut partial_sel = 1.0;
        if let Some(p) = predicate {
            let c = conds.iter().find(|c| c.is_predicate(p))?;
            partial_sel = c.sel;
        }
        let mut used: Vec<usize> = Vec::new();
        let mut seek_sel = partial_sel;
        let mut eq_prefix = 0;
        let mut has_in = false;
        for k in keys {
            let eq = conds.iter().enumerate().find(|(i, c)| {
                usable(c)
                    && matches!(c.seek, Seek::Eq | Seek::In)
                    && same_key(&c.key, k)
                    && !used.contains(i)
            });
            if let Some((i, c)) = eq {
                used.push(i);
                seek_sel *= c.sel;
                eq_prefix += 1;
                has_in |= c.seek == Seek::In;
                continue;
            }
            if let Some((i, c)) = conds
                .iter()
                .enumerate()
                .find(|(_, c)| c.seek == Seek::Range && same_key(&c.key, k))
            {
                used.push(i);
                seek_sel *= c.sel;
            }
            break;
        }
        // Conditions matched by the partial predicate count as used.
        if let Some(p) = predicate
            && let Some(i) = conds.iter().position(|c| c.is_predicate(p))
        {
            used.push(i);
        }
        // Does the index deliver the ORDER BY?
        let ordered = !scan.order_by.is_empty()
            && !has_in
            && order_matches(&keys[eq_prefix.min(keys.len())..], scan, conds, &used);
        if used.is_empty() && !ordered {
            return None;
        }
        let filter_sel: f64 = conds
            .iter()
            .enumerate()
            .filter(|(i, c)| !used.contains(i) && usable(c))
            .map(|(_, c)| c.sel)
            .product();
        let matched = (self.rows * seek_sel).max(1.0);
        let out = (matched * filter_sel).max(1.0);
        let read = match (ordered, scan.limit) {
            (true, Some(l)) => matched.min(l as f64 / filter_sel.max(1e-9)),
            _ => matched,
        };
        let covered = self.covers(scan, keys, include);
        let index_rows_per_page = (PAGE * 0.9 / self.entry_width(keys, include)).max(1.0);
        let leaf_pages = (read / index_rows_per_page).ceil();
        let height = (self.rows.max(2.0).ln() / index_rows_per_page.max(2.0).ln())
            .ceil()
            .max(1.0);
        let mut cost = RANDOM_PAGE * height
            + leaf_pages * SEQ_PAGE
            + read * (CPU_INDEX_TUPLE + CPU_OPERATOR * used.len() as f64);
        if !covered {
            // Heap pages touched by `read` random rows (Mackert–Lohman in
            // its simplest form), each priced between sequential and random
            // the way PostgreSQL prices a bitmap heap scan.
            let fetched = self.pages * (1.0 - (-read / self.pages).exp());
            let per_page = RANDOM_PAGE - (RANDOM_PAGE - SEQ_PAGE) * (fetched / self.pages).sqrt();
            let scattered = fetched.max(1.0_f64.min(read)) * per_page;
            // A range over the index's first column, stored in that
            // column's order, reads consecutive pages: PostgreSQL moves the
            // heap's price from the scattered one towards a sequential read
            // of the matched share of the pages by pg_stats' correlation
            // squared. (It does so for any first column; here only for a
            // range on it, where the rows read are one stretch of values:
            // pg_stats' correlation says nothing of where an equality's
            // rows or the NULLs lie.)
            let ranged_first = eq_prefix == 0
                && keys.first().is_some_and(|k| {
                    used.iter()
                        .any(|&i| conds[i].seek == Seek::Range && same_key(&conds[i].key, k))
                });
            let corr = keys
                .first()
                .filter(|_| ranged_first)
                .and_then(IndexKey::column_name)
                .and_then(|n| self.table.column(n)?.correlation)
                .map_or(0.0, |r| r * r);
            let in_order =
                RANDOM_PAGE + ((read / self.rows * self.pages).ceil() - 1.0).max(0.0) * SEQ_PAGE;
            cost += scattered + corr * (in_order - scattered).min(0.0) + read * CPU_TUPLE;
        }
        if !scan.order_by.is_empty() && !ordered {
            cost += sort_cost(out, scan.limit);
        }
        if !ordered
            && scan.order_by.is_empty()
            && scan.group_by.is_empty()
            && let Some(l) = scan.limit
        {
            cost *= (l as f64 / out).clamp(0.01, 1.0);
        }
        Some(match loops {
            Some(l) => cost * l.max(1.0),
            None => cost,
        })
    }

    /// Whether an index with these keys and INCLUDE holds every column the
    /// scan reads (an index-only scan).
    fn covers(&self, scan: &TableScan, keys: &[IndexKey], include: &[String]) -> bool {
        let Some(cols) = &scan.columns else {
            return false;
        };
        cols.iter().all(|c| {
            keys.iter()
                .any(|k| k.column_name().is_some_and(|n| n.eq_ignore_ascii_case(c)))
                || include.iter().any(|n| n.eq_ignore_ascii_case(c))
                || self.table.column(c).is_none()
        })
    }

    fn entry_width(&self, keys: &[IndexKey], include: &[String]) -> f64 {
        let data: f64 = keys
            .iter()
            .map(|k| match k {
                IndexKey::Column { name, .. } => self.column_type(name).map_or(8.0, type_width),
                IndexKey::Expression { .. } => 16.0,
            })
            .chain(
                include
                    .iter()
                    .map(|c| self.column_type(c).map_or(8.0, type_width)),
            )
            .sum();
        // IndexTupleData (8) + data aligned to 8 + line pointer (4).
        8.0 + (data / 8.0).ceil() * 8.0 + 4.0
    }

    /// Estimated size of a new index: leaf pages at 90% fill plus inner pages.
    fn index_bytes(&self, spec: &IndexSpec) -> f64 {
        if spec.method.as_deref() == Some("brin") {
            // One summary of a few dozen bytes per 128 heap pages.
            return ((self.pages / 128.0 / 200.0).ceil() + 2.0) * PAGE;
        }
        let rows = match &spec.predicate {
            Some(p) => {
                let sel = self
                    .table
                    .columns
                    .iter()
                    .find_map(|c| {
                        let lhs = crate::model::index::quote_ident(&c.name);
                        if *p == format!("{lhs} IS NULL") {
                            return c.null_frac;
                        }
                        if *p == format!("{lhs} IS NOT NULL") {
                            return c.null_frac.map(|f| 1.0 - f);
                        }
                        p.strip_prefix(&format!("{lhs} = "))
                            .map(|v| self.eq_sel(&c.name, Some(v)))
                    })
                    .unwrap_or(0.1);
                self.rows * sel
            }
            None => self.rows,
        };
        let per_page = (PAGE * 0.9 / self.entry_width(&spec.keys, &spec.include)).max(1.0);
        let leaves = (rows / per_page).ceil().max(1.0);
        (leaves * 1.01 + 1.0).ceil() * PAGE
    }

    #[allow(dead_code)]
    fn width(&self) -> f64 {
        self.width
    }
}

/// The key a `LIKE` prefix match seeks on under a non-`C` collation:
/// the column with its pattern operator class, kept apart from a plain key
/// on the column (which does not serve the match, only the order) until
/// [`lift_pattern_opclass`] makes it the spec's operator class.
fn pattern_key(col: &str, opclass: &str) -> IndexKey {
    IndexKey::Expression {
        sql: format!("{col} {opclass}"),
    }
}

fn is_pattern_key(k: &IndexKey) -> bool {
    matches!(k, IndexKey::Expression { sql } if crate::model::index::pattern_key_parts(sql).is_some()
        || crate::model::index::expression_pattern_parts(sql).is_some())
}

/// A spec whose only key is a [`pattern_key`]: the column, and the operator
/// class on the spec (which applies to every key).
fn lift_pattern_opclass(spec: &mut IndexSpec) {
    let [IndexKey::Expression { sql }] = spec.keys.as_slice() else {
        return;
    };
    if let Some((expr, op)) = crate::model::index::expression_pattern_parts(sql) {
        let key = IndexKey::Expression {
            sql: expr.to_string(),
        };
        spec.opclass = Some(op.to_string());
        spec.keys = vec![key];
    } else if let Some((col, op)) = sql.split_once(' ')
        && op.ends_with("_pattern_ops")
    {
        spec.opclass = Some(op.to_string());
        spec.keys = vec![IndexKey::column(col)];
    }
}

/// Whether `keys` (what follows the equality prefix) deliver the scan's
/// ORDER BY: the order columns in sequence, all in the index's direction or
/// all against it. A leading key fixed by equality may be skipped.
fn order_matches(keys: &[IndexKey], scan: &TableScan, conds: &[Cond], used: &[usize]) -> bool {
    let mut ki = 0;
    let mut dir: Option<bool> = None;
    for o in &scan.order_by {
        // An ORDER BY column fixed by an equality in the seek is free.
        let fixed = o.expression.is_none()
            && used.iter().any(|&i| {
                conds[i].seek == Seek::Eq && conds[i].key.column_name() == Some(o.column.as_str())
            });
        if fixed {
            continue;
        }
        // An expression key is ascending, NULLs last.
        let (descending, nulls_first) = match (keys.get(ki), &o.expression) {
            (Some(IndexKey::Expression { sql }), Some(w))
                if same_key(
                    &IndexKey::Expression { sql: sql.clone() },
                    &IndexKey::Expression {
                        sql: w.expr_sql.clone(),
                    },
                ) =>
            {
                (&false, &false)
            }
            (
                Some(IndexKey::Column {
                    name,
                    descending,
                    nulls_first,
                }),
                None,
            ) if name.eq_ignore_ascii_case(&o.column) => (descending, nulls_first),
            _ => return false,
        };
        let flip = *descending != o.descending;
        // A backward scan reverses the NULLS placement with the direction;
        // PostgreSQL sorts when the index has the other one.
        if (*nulls_first != o.nulls_first) != flip {
            return false;
        }
        if dir.is_some_and(|d| d != flip) {
            return false;
        }
        dir = Some(flip);
        ki += 1;
    }
    true
}

fn sort_cost(rows: f64, limit: Option<u64>) -> f64 {
    let n = rows.max(2.0);
    let comparisons = match limit {
        // Top-N heapsort: log of the limit, not of the input.
        Some(l) if (l as f64) < n => n * ((2.0 * l as f64).max(2.0)).log2(),
        _ => n * n.log2(),
    };
    2.0 * CPU_OPERATOR * comparisons + rows * CPU_OPERATOR
}

/// Average stored width of a value of a type.
fn type_width(t: &str) -> f64 {
    let t = t.to_ascii_lowercase();
    match t.as_str() {
        "boolean" | "bool" => 1.0,
        "smallint" | "int2" => 2.0,
        "integer" | "int" | "int4" | "real" | "float4" | "date" => 4.0,
        "bigint" | "int8" | "double precision" | "float8" | "serial" | "bigserial" => 8.0,
        "uuid" => 16.0,
        _ if t.starts_with("timestamp") || t.starts_with("time") || t == "datetime" => 8.0,
        _ if t.starts_with("numeric") || t.starts_with("decimal") => 8.0,
        _ if t.starts_with("json") => 64.0,
        _ if t.starts_with("character(") || t.starts_with("char(") => 8.0,
        _ => 24.0,
    }
}

/// Items of an `IN (…)` list as printed; a parameter array counts as 10.
fn in_count(sql: &str) -> usize {
    let Some(open) = sql
        .rfind(" IN (")
        .map(|p| p + 4)
        .or_else(|| sql.rfind("ANY (").map(|p| p + 4))
    else {
        return 10;
    };
    let mut depth = 0;
    let mut n = 1;
    let mut in_str = false;
    for c in sql[open..].chars() {
        match c {
            '\'' => in_str = !in_str,
            _ if in_str => {}
            '(' | '[' => depth += 1,
            ')' | ']' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => n += 1,
            _ => {}
        }
    }
    if n == 1 && !sql.contains(" IN (") {
        10
    } else {
        n
    }
}

/// The text of a literal (`'pending'` → `pending`, `42` → `42`), without a
/// cast; `None` for a parameter or expression.
fn literal_text(v: &str) -> Option<String> {
    let mut t = v.trim();
    if let Some(p) = t.find("::") {
        t = &t[..p];
    }
    let t = t.trim_start_matches('(').trim_end_matches(')');
    if let Some(inner) = t.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        return Some(inner.replace("''", "'"));
    }
    if !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
    {
        return Some(t.to_string());
    }
    if t.eq_ignore_ascii_case("true") || t.eq_ignore_ascii_case("false") {
        return Some(t.to_ascii_lowercase());
    }
    None
}

/// Whether `a` and `b` are the same value of a boolean column:
/// pg_stats prints `t`/`f` where a statement says `true` (or `WHERE
/// active`, read as `= true`).
fn same_boolean(data_type: &str, a: &str, b: &str) -> bool {
    let truth = |v: &str| match v.to_ascii_lowercase().as_str() {
        "t" | "true" | "yes" | "on" | "1" => Some(true),
        "f" | "false" | "no" | "off" | "0" => Some(false),
        _ => None,
    };
    matches!(data_type.to_ascii_lowercase().as_str(), "boolean" | "bool")
        && truth(a).is_some()
        && truth(a) == truth(b)
}

/// A comparison the database can only make by converting the column: an
/// integer column against a fractional number in PostgreSQL, a text column
/// against a number in MySQL.
fn implicit_cast(p: &Predicate, column_type: Option<&str>, dialect: Dialect) -> bool {
    let (Some(t), Some(v)) = (column_type, p.value.as_deref()) else {
        return false;
    };
    if !matches!(p.kind, PredicateKind::Eq | PredicateKind::Range) {
        return false;
    }
    let t = t.to_ascii_lowercase();
    let int_col = matches!(
        t.as_str(),
        "smallint" | "integer" | "int" | "bigint" | "int2" | "int4" | "int8"
    );
    let v = v.trim();
    let fractional = v.contains('.')
        && v.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-');
    match dialect {
        Dialect::Postgres => int_col && (fractional || v.ends_with("::numeric")),
        Dialect::Mysql => {
            (t.starts_with("varchar") || t.starts_with("char") || t == "text")
                && !v.is_empty()
                && v.chars()
                    .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
        }
        Dialect::Sqlite => false,
    }
}

/// The sargable rewrite of `sql` where it wraps `column` of `table` in a
/// function or cast that cannot be indexed (`created_at::date = '…'`): each
/// such predicate as written and its range on the bare column, and the
/// statement rewritten so. Without a catalog: the wrapper is taken as the
/// plan showed it. `None` when no predicate of the statement has such a
/// rewrite.
pub fn sargable_statement(
    sql: &str,
    table: &str,
    column: &str,
    dialect: Dialect,
) -> Option<(Vec<(String, String)>, String)> {
    let analysis = statement::analyze_sql(sql, dialect, None).ok()?;
    let bare = |t: &str| t.rsplit('.').next().unwrap_or(t).to_ascii_lowercase();
    let mut rewrites: Vec<(String, String)> = Vec::new();
    for scan in analysis
        .scans
        .iter()
        .filter(|s| bare(&s.table) == bare(table))
    {
        for p in &scan.predicates {
            let (Some(w), Some(v), PredicateKind::Eq) = (&p.wrapper, &p.value, &p.kind) else {
                continue;
            };
            if !p.column.name.eq_ignore_ascii_case(column) {
                continue;
            }
            if let Some(to) = volatility::sargable_rewrite(w, &p.column.name, v, dialect)
                && !rewrites.iter().any(|(from, _)| *from == p.sql)
            {
                rewrites.push((p.sql.clone(), to));
            }
        }
    }
    if rewrites.is_empty() {
        return None;
    }
    let rewritten = rewrite_sql(sql, &rewrites, dialect)?;
    Some((rewrites, rewritten))
}

/// Rewrites the conjuncts of `sql` as `rewrites` say (sargable forms).
fn rewrite_sql(sql: &str, rewrites: &[(String, String)], dialect: Dialect) -> Option<String> {
    let replacements: Vec<(String, Expr)> = rewrites
        .iter()
        .filter_map(|(from, to)| {
            let e = sqlparser::parser::Parser::new(&sqlparser::dialect::GenericDialect {})
                .try_with_sql(to)
                .ok()?
                .parse_expr()
                .ok()?;
            Some((from.to_lowercase(), e))
        })
        .collect();
    edit_expressions(sql, dialect, |e| {
        let text = e.to_string().to_lowercase();
        let Some((_, to)) = replacements.iter().find(|(f, _)| *f == text) else {
            return false;
        };
        *e = Expr::Nested(Box::new(to.clone()));
        true
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_match_their_statistics_spelling() {
        assert!(same_boolean("boolean", "t", "true"));
        assert!(same_boolean("bool", "f", "false"));
        assert!(!same_boolean("boolean", "t", "false"));
        assert!(!same_boolean("text", "t", "true"));
    }

    #[test]
    fn in_lists_count_their_items() {
        assert_eq!(in_count("id IN (1, 2, 3)"), 3);
        assert_eq!(in_count("id IN ('a,b', 'c')"), 2);
    }

    #[test]
    fn range_bounds_are_the_parameters_to_learn() {
        let (schema, problems) = crate::parse::ddl::parse_schema(
            "s.sql",
            "CREATE TABLE log (id bigint PRIMARY KEY, at timestamptz, kind text, day date);",
            Dialect::Postgres,
        );
        assert!(problems.is_empty(), "{problems:?}");
        let ranges = |sql: &str| range_parameters(sql, &schema, Dialect::Postgres);
        // A constant expression: the window is the parameter.
        assert_eq!(
            ranges("SELECT kind, count(*) FROM log WHERE at > now() - interval $1 GROUP BY kind"),
            vec![1]
        );
        // Typed literals on both bounds; the equality's parameter is not one.
        assert_eq!(
            ranges(
                "SELECT id FROM log WHERE kind = $1 AND day >= date $2 AND day < date $3 + interval $4"
            ),
            vec![2, 3, 4]
        );
        // A LIKE prefix plans a representative prefix instead; a wrapped
        // column is not a range on the column.
        assert!(ranges("SELECT id FROM log WHERE kind LIKE $1").is_empty());
        assert!(ranges("SELECT id FROM log WHERE lower(kind) > $1").is_empty());
        assert!(ranges("SELECT id FROM log WHERE id = $1").is_empty());
    }

    #[test]
    fn equalities_on_a_column_dominated_by_one_value_are_the_parameters_to_learn() {
        // tickets.state: 'closed' 90 %, 'escalated' 1 %: a rare value the
        // application may always send (a partial index), so its constant
        // is wanted; region is even (no value rare enough to matter) and
        // priority has one value over half but its others are common too.
        let (schema, problems) = crate::parse::ddl::parse_schema(
            "s.sql",
            "\
-- dbperf: tickets rows=500000
-- dbperf: tickets.state distinct=4 nulls=0 mcv='closed':0.9,'open':0.06,'pending':0.03,'escalated':0.01
-- dbperf: tickets.region distinct=5 nulls=0 mcv='eu':0.2,'us':0.2,'apac':0.2,'latam':0.2,'mea':0.2
-- dbperf: tickets.priority distinct=2 nulls=0 mcv='normal':0.7,'high':0.3
-- dbperf: tickets.owner_id distinct=40000
CREATE TABLE tickets (id bigint PRIMARY KEY, state text, region text, priority text, owner_id int, opened_at timestamptz);",
            Dialect::Postgres,
        );
        assert!(problems.is_empty(), "{problems:?}");
        let skew = |sql: &str| skew_parameters(sql, &schema, Dialect::Postgres);
        assert_eq!(
            skew(
                "SELECT id FROM tickets WHERE owner_id = $1 AND state = $2 ORDER BY opened_at LIMIT $3"
            ),
            vec![2]
        );
        assert!(skew("SELECT id FROM tickets WHERE region = $1").is_empty());
        assert!(skew("SELECT id FROM tickets WHERE priority = $1").is_empty());
        assert!(skew("SELECT id FROM tickets WHERE owner_id = $1").is_empty());
        // A constant is not a parameter; a wrapped column is no equality
        // on the column.
        assert!(skew("SELECT id FROM tickets WHERE state = 'open'").is_empty());
        assert!(skew("SELECT id FROM tickets WHERE lower(state) = $1").is_empty());
    }

    #[test]
    fn unseen_ranges_widen_to_every_row() {
        let (schema, problems) = crate::parse::ddl::parse_schema(
            "s.sql",
            "CREATE TABLE beds (id int PRIMARY KEY, ward_id int, status text, updated_at timestamptz);",
            Dialect::Postgres,
        );
        assert!(problems.is_empty(), "{problems:?}");
        let widen = |sql: &str| widen_ranges(sql, &schema, Dialect::Postgres);
        let w = widen(
            "SELECT ward_id, count(*) FROM beds WHERE status = $1 AND updated_at < now() - interval $2 GROUP BY ward_id",
        )
        .unwrap();
        let lower = w.to_lowercase();
        // The range is still there (its parameter keeps its type), OR true.
        assert!(
            lower.contains("(updated_at < now() - interval $2 or true)"),
            "{w}"
        );
        // The equality is not a range: untouched.
        assert!(lower.contains("status = $1 and"), "{w}");
        // Both bounds of a window; BETWEEN too.
        let w = widen("SELECT id FROM beds WHERE updated_at >= $1 AND updated_at < $2").unwrap();
        assert_eq!(w.to_lowercase().matches(" or true)").count(), 2, "{w}");
        assert!(widen("SELECT id FROM beds WHERE updated_at BETWEEN $1 AND $2").is_some());
        // A range on a constant was planned for that constant; an equality
        // is no range; a wrapped column no range on the column.
        assert!(widen("SELECT id FROM beds WHERE updated_at < '2026-01-01'").is_none());
        assert!(widen("SELECT id FROM beds WHERE status = $1").is_none());
        assert!(widen("SELECT id FROM beds WHERE lower(status) > $1").is_none());
    }

    #[test]
    fn literals_lose_quotes_and_casts() {
        assert_eq!(literal_text("'pending'::text").as_deref(), Some("pending"));
        assert_eq!(literal_text("42").as_deref(), Some("42"));
        assert_eq!(literal_text("$1"), None);
    }
}

#[cfg(test)]
mod cost_tests;
