use crate::declare_rule;
use crate::detect::evidence::{
    already_indexed, count, describe_index, ms, names_own_table, node_location, own_predicates,
    pct, relation_of, table_rows,
};
use crate::detect::{Finding, PlanContext, Reads, Rule, RuleMeta, Severity};
use crate::model::index::IndexSpec;
use crate::model::plan::PlanNode;
use crate::model::schema::IndexKey;
use crate::sql::predicate::{ColumnRef, PredicateKind};

declare_rule! {
    /// ## What it does
    /// Flags a `Limit` over a `Sort` of a whole table's rows (PostgreSQL):
    /// a sequential scan of at least 10,000 rows feeds the sort, directly
    /// or through a `Gather Merge`, and the sort hands on at most 20% of
    /// what the scan read (`ORDER BY … LIMIT n`, with or without `OFFSET`).
    ///
    /// ## Why is this bad?
    /// The sort cannot give its first row before it has read every row:
    /// a top-N heapsort keeps only `n` of them in memory, yet the scan
    /// still reads the whole table at every run, and the time grows with
    /// the table, not with `n`. An index in the sort order lets the
    /// `Limit` stop after `n` rows.
    ///
    /// ## Example
    /// ```text
    /// Limit  (actual rows=20 loops=1)
    ///   ->  Sort  (actual rows=20 loops=1)
    ///         Sort Key: created_at DESC
    ///         Sort Method: top-N heapsort  Memory: 27kB
    ///         ->  Seq Scan on events  (actual rows=3000000 loops=1)
    /// ```
    ///
    /// ## Use instead
    /// An index whose keys are the scan filter's equality columns (compared
    /// with a constant, or in a LATERAL subquery with the outer row's
    /// value: `ticket_id = t.id`), then the sort keys (a B-tree is read
    /// backwards for `DESC`):
    /// ```sql
    /// CREATE INDEX CONCURRENTLY events_created_at_idx ON events (created_at);
    /// ```
    /// With a large `OFFSET` the skipped rows are still read, index or
    /// not: page by the last key seen instead (keyset pagination).
    pub struct SortForLimit {
        id: "sort-for-limit",
        severity: Warning,
        summary: "A Limit sorts every row of a table to return a few of them",
    }
}

/// Rows read below which sorting the whole table is cheap.
const LARGE_TABLE_ROWS: f64 = 10_000.0;
/// Share of the rows read the sort may hand on for an index to pay.
const FEW: f64 = 0.20;
/// Rows handed on per row returned above which an OFFSET skipped them.
const OFFSET_FACTOR: f64 = 2.0;

impl Rule for SortForLimit {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Plan]
    }

    fn check_plan(&self, ctx: &PlanContext<'_>, out: &mut Vec<Finding>) {
        let plan = ctx.plan;
        if plan.format.is_sqlite() {
            return;
        }
        for (ix, limit) in plan.nodes() {
            if limit.node_type != "Limit" {
                continue;
            }
            // Limit → [Gather Merge →] Sort → Seq Scan, one child each.
            let mut below = plan.children(ix);
            // What the Limit consumed (skipped rows of an OFFSET included).
            let handed = below.first().and_then(|&c| plan.node(c).total_rows());
            if below.len() == 1 && plan.node(below[0]).node_type == "Gather Merge" {
                below = plan.children(below[0]);
            }
            let [sort_ix] = below.as_slice() else {
                continue;
            };
            let sort = plan.node(*sort_ix);
            if sort.node_type != "Sort" {
                continue;
            }
            let [scan_ix] = plan.children(*sort_ix)[..] else {
                continue;
            };
            let scan = plan.node(scan_ix);
            if scan.node_type != "Seq Scan" {
                continue;
            }
            let (Some(table), Some(rows)) = (relation_of(scan), table_rows(scan, ctx.schema))
            else {
                continue;
            };
            if rows < LARGE_TABLE_ROWS {
                continue;
            }
            // Rows the sort handed on: what the Limit needed, skipped rows
            // of an OFFSET included.
            let Some(needed) = handed.or(limit.plan_rows) else {
                continue;
            };
            let read = scan.rows_scanned().unwrap_or(rows);
            if needed > read * FEW {
                continue;
            }
            let Some(spec) = sort_index(scan, sort, &table) else {
                continue;
            };
            if already_indexed(&spec, ctx.schema) && ctx.schema.is_some() {
                continue;
            }
            let returned = limit.total_rows().or(limit.plan_rows).unwrap_or(needed);
            let offset = needed > returned * OFFSET_FACTOR && needed - returned >= 100.0;
            let sort_name = sort
                .sort_method
                .as_deref()
                .map(|m| format!("sort ({m})"))
                .unwrap_or_else(|| "sort".into());
            // Run once per outer row (a LATERAL subquery): each loop sorts
            // what its own full read kept.
            let loops = scan.actual_loops.unwrap_or(1.0);
            let sorted = if loops > 1.0 && !scan.parallel_aware {
                format!(
                    "{} loops, each a {sort_name} of the rows {} kept from a full read ({} rows a loop, {} in all)",
                    count(loops),
                    scan.title(),
                    count(read / loops),
                    count(read)
                )
            } else {
                format!(
                    "a {sort_name} of {} rows read by {}",
                    count(read),
                    scan.title()
                )
            };
            let message = format!(
                "The Limit returns {} rows after {sorted}{}: the sort cannot give its first row before the whole table is read.",
                count(returned),
                limit
                    .inclusive_ms
                    .map(|t| format!(", {} in all", ms(t)))
                    .unwrap_or_default(),
            );
            let mut advice = format!(
                "An index in the sort order ({}) lets the Limit stop after {} rows ({} of the table) instead of sorting them all: {}.\n{}",
                sort.sort_key.join(", "),
                count(needed),
                pct(needed / read.max(1.0)),
                describe_index(&spec),
                spec.statement(ctx.dialect())
            );
            if offset {
                advice.push_str(&format!(
                    "\nThe OFFSET skips {} rows that are read all the same, index or not: page by the last sort key seen instead (keyset pagination: `WHERE (key) > (last value) ORDER BY key LIMIT n`).",
                    count(needed - returned)
                ));
            }
            let measured = limit.inclusive_ms.is_some();
            out.push(
                Finding::new(&Self::META, message, advice)
                    .severity(if measured || ctx.schema.is_some() {
                        Severity::Warning
                    } else {
                        Severity::Info
                    })
                    .impact(
                        limit
                            .inclusive_ms
                            .map(|t| t * (1.0 - needed / read.max(1.0))),
                    )
                    .at(node_location(sort))
                    .with_index(Some(spec)),
            );
        }
    }
}

/// The index that delivers the scan's rows in the sort's order: the
/// filter's equality columns, then the sort keys as plain columns of the
/// scanned table. Directions are kept relative to the first key, as a
/// B-tree is read backwards as well; `None` when a key is an expression,
/// another table's column, or asks for a non-default NULLS placement.
fn sort_index(scan: &PlanNode, sort: &PlanNode, table: &str) -> Option<IndexSpec> {
    let mut keys: Vec<(String, bool)> = Vec::new();
    for k in &sort.sort_key {
        let k = k.trim();
        let (col, desc) = match k.strip_suffix(" DESC") {
            Some(c) => (c, true),
            None => (k.strip_suffix(" ASC").unwrap_or(k), false),
        };
        if col.contains(' ') || col.contains('(') {
            return None;
        }
        let column = match col.rsplit_once('.') {
            Some((q, c)) => ColumnRef {
                qualifier: Some(q.to_string()),
                name: c.to_string(),
            },
            None => ColumnRef {
                qualifier: None,
                name: col.to_string(),
            },
        };
        if !names_own_table(scan, &column) {
            return None;
        }
        let name = column.name.as_str();
        let name = name.trim_matches('"');
        if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return None;
        }
        keys.push((name.to_string(), desc));
    }
    let first_desc = keys.first()?.1;
    let mut spec = IndexSpec::new(table, &[]);
    if let Some(filter) = scan.filter.as_deref() {
        for p in own_predicates(scan, filter) {
            // `col = other.col` on a rescanned side (LATERAL, a nested
            // loop's inner side) is an equality with the outer row's value.
            if p.wrapper.is_none()
                && matches!(
                    p.kind,
                    PredicateKind::Eq | PredicateKind::IsNull | PredicateKind::Join(_)
                )
                && !spec
                    .columns()
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(&p.column.name))
            {
                spec.keys.push(IndexKey::column(&p.column.name));
            }
        }
    }
    for (name, desc) in keys {
        if spec.columns().iter().any(|c| c.eq_ignore_ascii_case(&name)) {
            continue;
        }
        spec.keys
            .push(IndexKey::column_in(&name, desc != first_desc));
    }
    Some(spec)
}
