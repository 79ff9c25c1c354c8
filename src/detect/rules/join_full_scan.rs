use petgraph::graph::NodeIndex;

use crate::declare_rule;
use crate::detect::evidence::{
    already_indexed, count, describe_index, index_for, ms, node_location, own_predicates,
};
use crate::detect::{Finding, PlanContext, Reads, Rule, RuleMeta};
use crate::model::plan::{Plan, PlanNode};
use crate::sql::predicate::PredicateKind;

declare_rule! {
    /// ## What it does
    /// Flags a hash join that reads a large table in full (a sequential
    /// scan with no filter, or one whose filter keeps at least half of the
    /// rows: the selectivity is in the join condition) to match a few of
    /// its rows against a small other side (or, for an anti join, to check
    /// a few rows for a match), when an index on the large table's join key
    /// would let the planner look up just the matching rows instead.
    ///
    /// ## Why is this bad?
    /// A hash join has to read its whole probe side: three million comments
    /// to keep the sixty that belong to two tickets. Nothing in the scan's
    /// own lines says so (there is no `Filter`, no `Rows Removed`); the
    /// waste shows only in the join's output. With an index on the join key
    /// the planner can run a nested loop that probes the index once per row
    /// of the small side, reading the matching rows only.
    ///
    /// The rule speaks only when such a nested loop would pay: the rows it
    /// would touch (one index probe per row of the small side, one heap
    /// fetch per matching row, each about a random page) cost under half of
    /// the sequential pass, counting a random page as 300 rows of a
    /// sequential scan (`random_page_cost` 4 against about 75 rows per 8 kB
    /// page at `seq_page_cost` 1). When the matching rows are too many for
    /// one heap fetch each and the catalog (`--schema`, `--db`) shows a
    /// narrow table (at most four columns, all of fixed width: a join
    /// table of two keys), the index holds every column, the join key
    /// first, and the probes read the index alone (an index-only scan).
    ///
    /// ## Example
    /// ```text
    /// Hash Join  (actual rows=63 loops=1)
    ///   Hash Cond: (c.ticket_id = t.id)
    ///   ->  Seq Scan on comments c  (actual rows=3000000 loops=1)
    ///   ->  Hash  (actual rows=4 loops=1)
    ///         ->  Index Scan using tickets_customer_id_idx on tickets t
    ///               Index Cond: (customer_id = 4242)
    /// ```
    ///
    /// ## Use instead
    /// Index the large side's join key:
    /// ```sql
    /// CREATE INDEX CONCURRENTLY comments_ticket_id_idx ON comments (ticket_id);
    /// ```
    /// When the other side is large too, one pass over the table is the
    /// right plan and this rule stays quiet.
    pub struct JoinFullScan {
        id: "join-full-scan",
        severity: Warning,
        summary: "A hash join reads a large table in full to match a few of its rows",
    }
}

/// Rows below which reading a whole table is cheap anyway.
const LARGE_TABLE_ROWS: f64 = 10_000.0;
/// Sequential rows one random page (an index probe or a heap fetch) costs.
const ROWS_PER_RANDOM_PAGE: f64 = 300.0;
/// The index plan must cost at most this share of the scan to be worth it.
const MUST_SAVE: f64 = 0.5;
/// A scan's filter that keeps at least this share leaves the selectivity in
/// the join.
const MOSTLY_KEPT: f64 = 0.5;

impl Rule for JoinFullScan {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Plan]
    }

    fn check_plan(&self, ctx: &PlanContext<'_>, out: &mut Vec<Finding>) {
        let plan = ctx.plan;
        for (ix, join) in plan.nodes() {
            if join.node_type != "Hash Join"
                || !matches!(
                    join.join_type.as_deref(),
                    None | Some("Inner" | "Semi" | "Anti")
                )
            {
                continue;
            }
            let Some(cond) = join.hash_cond.as_deref() else {
                continue;
            };
            let sides = plan.children(ix);
            let [outer, inner] = sides[..] else { continue };
            for (big_side, small_side) in [(outer, inner), (inner, outer)] {
                let Some(scan_ix) = full_scan_below(plan, big_side) else {
                    continue;
                };
                let scan = plan.node(scan_ix);
                let Some(read) = scan.rows_scanned() else {
                    continue;
                };
                if read < LARGE_TABLE_ROWS {
                    continue;
                }
                // An anti join keeps the rows of its outer side that have
                // no match: probing an index once per outer row fetches at
                // most one row each, whatever the join returned.
                let anti = join.join_type.as_deref() == Some("Anti");
                if anti && big_side != inner {
                    continue;
                }
                let Some(small) = side_rows(plan.node(small_side)) else {
                    continue;
                };
                let Some(matched) = (if anti { Some(small) } else { join_rows(join) }) else {
                    continue;
                };
                let keys: Vec<_> = own_predicates(scan, cond)
                    .into_iter()
                    .filter(|p| matches!(p.kind, PredicateKind::Join(_)))
                    .collect();
                let Some(mut spec) = index_for(scan, &keys, &[]) else {
                    continue;
                };
                let mut touched = (small + matched) * ROWS_PER_RANDOM_PAGE;
                let mut covering = false;
                if touched > read * MUST_SAVE {
                    // A narrow table (a join table of two keys) fits whole
                    // in the index: an index-only scan reads the matching
                    // rows from the index leaves, not one heap page each.
                    let Some(all) = covering_index(&spec, scan, ctx.schema) else {
                        continue;
                    };
                    touched = small * ROWS_PER_RANDOM_PAGE + matched;
                    if touched > read * MUST_SAVE {
                        continue;
                    }
                    spec = all;
                    covering = true;
                }
                if already_indexed(&spec, ctx.schema) {
                    continue;
                }
                let took = scan.inclusive_ms;
                let no_filter = match kept_share(scan) {
                    Some(k) if scan.filter.is_some() => format!(
                        "its filter keeps {:.0}% of them: the selectivity is in the join",
                        (k * 100.0).floor()
                    ),
                    _ => "no filter: the selectivity is in the join".to_string(),
                };
                // A parallel scan prints per-process averages, rounded: the
                // sums are estimates of the truth, and say so.
                let (all, about) = if scan.parallel_aware {
                    ("about", "about ")
                } else {
                    ("all", "")
                };
                let took_text = took
                    .map(|t| format!("; the scan took {}", ms(t)))
                    .unwrap_or_default();
                let message = if anti {
                    format!(
                        "{} reads {all} {} rows of {} ({no_filter}) to check {} row{} on the other side for a match{took_text}.",
                        join.title(),
                        count(approx(read, scan.parallel_aware)),
                        scan.title(),
                        count(small),
                        if small == 1.0 { "" } else { "s" },
                    )
                } else {
                    format!(
                        "{} reads {all} {} rows of {} ({no_filter}) to keep {about}{}, matched against {} row{} on the other side{took_text}.",
                        join.title(),
                        count(approx(read, scan.parallel_aware)),
                        scan.title(),
                        count(approx(matched, scan.parallel_aware)),
                        count(small),
                        if small == 1.0 { "" } else { "s" },
                    )
                };
                let advice = format!(
                    "Index the join key of the large side, so the planner can probe it once per row of the small side (a nested loop over an index scan) instead of reading the whole table: {}{}.\n{}",
                    describe_index(&spec),
                    if covering {
                        " (every column of the table, so the probes read the index alone: an index-only scan once the table is vacuumed)"
                    } else {
                        ""
                    },
                    spec.statement(ctx.dialect())
                );
                out.push(
                    Finding::new(&Self::META, message, advice)
                        .impact(took.map(|t| {
                            // The hash join's own work (hashing and probing
                            // every row of the scan) goes with the scan.
                            (t + join.exclusive_ms.unwrap_or(0.0)) * (1.0 - touched / read)
                        }))
                        .at(node_location(scan))
                        .with_index(Some(spec)),
                );
            }
        }
    }
}

/// The full sequential scan that feeds a join side, through the nodes that
/// only pass its rows on (Hash, Gather); `None` when the side's filter
/// removes much of its table (seq-scan speaks then) or is not a plain scan.
/// A filter that keeps most rows (`status <> 'deleted'`) leaves the
/// selectivity in the join, as if there were none.
fn full_scan_below(plan: &Plan, mut ix: NodeIndex) -> Option<NodeIndex> {
    loop {
        let n = plan.node(ix);
        match &*n.node_type {
            "Hash" | "Gather" => ix = *plan.children(ix).first()?,
            "Seq Scan" if n.relation.is_some() && keeps_most(n) => return Some(ix),
            _ => return None,
        }
    }
}

/// The share of the scanned rows a scan's filter kept: 1 with no filter,
/// `None` when the counts are missing.
fn kept_share(n: &PlanNode) -> Option<f64> {
    if n.filter.is_none() {
        return Some(1.0);
    }
    let scanned = n.rows_scanned()?;
    (scanned > 0.0).then(|| n.total_rows().unwrap_or(0.0) / scanned)
}

/// A scan with no filter, or one whose filter kept at least half the rows.
fn keeps_most(n: &PlanNode) -> bool {
    kept_share(n).is_some_and(|k| k >= MOSTLY_KEPT)
}

/// Columns a table may have for an index on all of them to be proposed.
const COVERING_MAX_COLUMNS: usize = 4;

/// `spec` with the table's other columns appended, when the catalog knows
/// the table and it is narrow enough for the index to hold every column.
fn covering_index(
    spec: &crate::model::index::IndexSpec,
    scan: &PlanNode,
    schema: Option<&crate::model::schema::Schema>,
) -> Option<crate::model::index::IndexSpec> {
    let table = schema?.table(scan.relation.as_deref()?)?;
    if table.columns.len() > COVERING_MAX_COLUMNS
        || !table.columns.iter().all(|c| fixed_width(&c.data_type))
    {
        return None;
    }
    let mut all = spec.clone();
    for c in &table.columns {
        let has = all.keys.iter().any(|k| {
            k.column_name()
                .is_some_and(|n| n.eq_ignore_ascii_case(&c.name))
        });
        if !has {
            all.keys
                .push(crate::model::schema::IndexKey::column(&c.name));
        }
    }
    Some(all)
}

/// Whether a declared type stores a value of a few bytes whatever it holds
/// (no text, array or document that may make the index as large as the
/// table).
fn fixed_width(data_type: &str) -> bool {
    let t = data_type.trim().to_ascii_lowercase();
    let t = t.strip_prefix("pg_catalog.").unwrap_or(&t);
    matches!(
        t,
        "smallint"
            | "integer"
            | "int"
            | "int2"
            | "int4"
            | "int8"
            | "bigint"
            | "smallserial"
            | "serial"
            | "bigserial"
            | "boolean"
            | "bool"
            | "date"
            | "real"
            | "double precision"
            | "float4"
            | "float8"
            | "uuid"
            | "oid"
    ) || t.starts_with("timestamp")
        || t.starts_with("time ")
        || t == "time"
}

/// Three significant digits for a sum of rounded per-process averages.
fn approx(v: f64, parallel: bool) -> f64 {
    if !parallel || v < 1000.0 {
        return v;
    }
    let unit = 10f64.powi(v.log10().floor() as i32 - 2);
    (v / unit).round() * unit
}

/// Rows of a join side. A Hash that is not parallel-aware is built whole by
/// every process, so its per-loop count is the side's rows; any other side
/// (a probe side, a parallel hash) splits its rows among the processes.
fn side_rows(n: &PlanNode) -> Option<f64> {
    if n.node_type == "Hash" && !n.parallel_aware {
        n.actual_rows
    } else {
        n.total_rows()
    }
}

/// The rows the join found matching: its output and what its Join Filter
/// removed afterwards, over all loops.
fn join_rows(join: &PlanNode) -> Option<f64> {
    let loops = join.actual_loops.unwrap_or(1.0);
    Some(join.total_rows()? + join.rows_removed_by_join_filter.unwrap_or(0.0) * loops)
}
