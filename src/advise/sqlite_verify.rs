//! The cost proxy that compares SQLite plans, for what-if planning on a
//! scratch copy ([`crate::source::scratch`]): a candidate counts only if
//! SQLite's planner uses it there and the proxy says it reads fewer rows.
//!
//! SQLite's planner does not print its costs, so plans are compared by a
//! proxy: the estimated rows the plan reads, with nested loops multiplied
//! out (see [`rows_read`]). Table sizes and rows per key come from
//! `sqlite_stat1`; where it has nothing, SQLite's own defaults stand in
//! (ten rows per equality key, a quarter of the rows per range).

use std::collections::HashMap;

use crate::model::index::IndexSpec;
use crate::model::plan::{Plan, PlanNode};
use crate::model::schema::{IndexKey, Schema};
use crate::sql::predicate::{Predicate, PredicateKind};
use crate::sql::statement::TableScan;

/// Rows per equality key SQLite assumes without statistics.
pub const DEFAULT_ROWS_PER_KEY: f64 = 10.0;
/// Share of rows SQLite assumes a range predicate keeps.
pub const RANGE_SHARE: f64 = 0.25;

/// Whether the plan reads through the index named `name`.
pub fn uses_index(plan: &Plan, name: &str) -> bool {
    plan.nodes().any(|(_, n)| {
        n.index_name
            .as_deref()
            .is_some_and(|i| i.eq_ignore_ascii_case(name))
    })
}

/// What the cost proxy knows: the catalog, rows per key of each index
/// (by lower-case name, from `sqlite_stat1` or estimated for candidates)
/// and the statement's table references (to resolve aliases and know the
/// predicates each scan applies).
pub struct CostModel<'a> {
    pub schema: &'a Schema,
    pub rows_per_key: &'a HashMap<String, Vec<f64>>,
    pub scans: &'a [TableScan],
    /// Measured share of rows a predicate keeps, by its SQL, and of a
    /// conjunction of a scan's predicates, by [`conjunction`].
    pub shares: &'a HashMap<String, f64>,
    /// The partial candidates, by lower-case index name.
    pub partial: &'a HashMap<String, PartialIndex>,
}

/// A partial index candidate: the column of its predicate (`status` of
/// `WHERE status = 'pending'`) and the measured share of the table's rows
/// it holds.
#[derive(Debug, Clone)]
pub struct PartialIndex {
    pub column: String,
    pub share: f64,
}

/// The key of a conjunction of predicates in [`CostModel::shares`]: their
/// SQL joined by ` AND `, in the statement's order.
pub fn conjunction(preds: &[&Predicate]) -> String {
    preds
        .iter()
        .map(|p| p.sql.as_str())
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// A scan's own predicates that may be measured on a sample: every one
/// but the join conditions.
pub fn own_predicates(scan: &TableScan) -> Vec<&Predicate> {
    scan.predicates
        .iter()
        .filter(|p| !matches!(p.kind, PredicateKind::Join(_)))
        .collect()
}

/// The scan's own predicates on plain `columns`, in the statement's order;
/// `None` when one of the columns has none (a join key, say).
pub fn predicates_on<'s>(scan: &'s TableScan, columns: &[String]) -> Option<Vec<&'s Predicate>> {
    let on = |p: &Predicate, c: &str| p.wrapper.is_none() && p.column.name.eq_ignore_ascii_case(c);
    let own = own_predicates(scan);
    if columns.is_empty() || !columns.iter().all(|c| own.iter().any(|p| on(p, c))) {
        return None;
    }
    Some(
        own.into_iter()
            .filter(|p| columns.iter().any(|c| on(p, c)))
            .collect(),
    )
}

impl CostModel<'_> {
    /// The statement's reference to the table a plan node names (by alias
    /// or by name; SQLite prints the alias when there is one).
    fn scan_of(&self, n: &PlanNode) -> Option<&TableScan> {
        let key = n.alias.as_deref().or(n.relation.as_deref())?;
        self.scans
            .iter()
            .find(|s| {
                s.alias
                    .as_deref()
                    .is_some_and(|a| a.eq_ignore_ascii_case(key))
            })
            .or_else(|| {
                self.scans
                    .iter()
                    .find(|s| bare(&s.table).eq_ignore_ascii_case(key))
            })
    }

    /// Whether a plan node reads a table the statement does not name but
    /// whose foreign key references one it does: SQLite's check or action
    /// for that key (`SCAN child` beside a DELETE's own scan).
    pub fn is_foreign_key_action(&self, n: &PlanNode) -> bool {
        if self.scans.is_empty() || self.scan_of(n).is_some() {
            return false;
        }
        let Some(child) = n.relation.as_deref().and_then(|r| self.schema.table(r)) else {
            return false;
        };
        child.foreign_keys.iter().any(|fk| {
            self.scans
                .iter()
                .any(|s| bare(&s.table).eq_ignore_ascii_case(bare(&fk.referenced_table)))
        })
    }

    fn table_rows(&self, table: &str) -> Option<f64> {
        self.schema.table(table).and_then(|t| t.rows)
    }

    /// Rows per distinct value of a column: from an index that leads with
    /// it (real or candidate statistics), else SQLite's default.
    fn rows_per_value(&self, table: &str, column: &str) -> f64 {
        let Some(t) = self.schema.table(table) else {
            return DEFAULT_ROWS_PER_KEY;
        };
        t.indexes
            .iter()
            .filter(|i| i.leads_with(&[column]))
            .find_map(|i| {
                if i.method.as_deref() == Some("rowid") {
                    return Some(1.0);
                }
                self.rows_per_key
                    .get(&i.name.to_lowercase())
                    .and_then(|k| k.first().copied())
            })
            .or_else(|| {
                // A column's distinct count, from a candidate's estimate.
                t.distinct(column)
                    .zip(t.rows)
                    .map(|(d, r)| (r / d.max(1.0)).max(1.0))
            })
            .unwrap_or(DEFAULT_ROWS_PER_KEY)
    }

    /// Share of the table's rows the statement's own predicates on it
    /// keep (join conditions left out).
    fn filter_share(&self, table: &str, scan: &TableScan, skip: &[String]) -> f64 {
        let rows = self.table_rows(table).unwrap_or(1.0).max(1.0);
        let kept: Vec<&Predicate> = own_predicates(scan)
            .into_iter()
            .filter(|p| {
                p.wrapper.is_some() || !skip.iter().any(|c| c.eq_ignore_ascii_case(&p.column.name))
            })
            .collect();
        // Measured together, correlated columns included.
        if let Some(s) = self.measured(&kept) {
            return s;
        }
        let mut share = 1.0;
        for p in kept {
            if let Some(s) = self.shares.get(&p.sql) {
                share *= s;
                continue;
            }
            share *= match &p.kind {
                PredicateKind::Eq | PredicateKind::IsNull if p.wrapper.is_none() => {
                    (self.rows_per_value(table, &p.column.name) / rows).min(1.0)
                }
                PredicateKind::Eq | PredicateKind::IsNull => (DEFAULT_ROWS_PER_KEY / rows).min(1.0),
                PredicateKind::In => {
                    (3.0 * self.rows_per_value(table, &p.column.name) / rows).min(1.0)
                }
                PredicateKind::Range => self.range_share(&p.sql),
                PredicateKind::Join(_) | PredicateKind::Other => 1.0,
            };
        }
        share
    }

    fn range_share(&self, sql: &str) -> f64 {
        self.shares.get(sql).copied().unwrap_or(RANGE_SHARE)
    }

    /// The measured share of a conjunction (or of one predicate).
    fn measured(&self, preds: &[&Predicate]) -> Option<f64> {
        if preds.is_empty() {
            return None;
        }
        self.shares.get(&conjunction(preds)).copied()
    }

    /// Rows per key of the index a SEARCH node uses, for its `n` equality
    /// columns.
    fn search_rows(&self, table: &str, n: &PlanNode, eq: usize) -> f64 {
        let rows = self.table_rows(table).unwrap_or(1_000_000.0);
        if eq == 0 {
            return rows;
        }
        let Some(t) = self.schema.table(table) else {
            return DEFAULT_ROWS_PER_KEY;
        };
        let idx = match n.index_name.as_deref() {
            Some("PRIMARY KEY") | None => t.indexes.iter().find(|i| i.primary),
            Some(name) => t.indexes.iter().find(|i| i.name.eq_ignore_ascii_case(name)),
        };
        match idx {
            Some(i) if i.method.as_deref() == Some("rowid") => 1.0,
            Some(i) => self
                .rows_per_key
                .get(&i.name.to_lowercase())
                .and_then(|k| k.get(eq - 1).or(k.last()).copied())
                .unwrap_or(if i.unique && eq >= i.keys.len() {
                    1.0
                } else {
                    DEFAULT_ROWS_PER_KEY
                }),
            // An automatic index: as selective as its column.
            None => lookup_columns(n)
                .first()
                .map_or(DEFAULT_ROWS_PER_KEY, |c| self.rows_per_value(table, c)),
        }
    }

    /// Rows one execution of a scan node reads, and rows it passes on.
    fn node_rows(&self, n: &PlanNode) -> Option<(f64, f64)> {
        if n.node_type != "SCAN" && n.node_type != "SEARCH" {
            return None;
        }
        let scan = self.scan_of(n);
        let table = match scan {
            Some(s) => s.table.clone(),
            None => n.relation.clone()?,
        };
        let rows = self.table_rows(&table)?;
        let partial = n
            .index_name
            .as_deref()
            .and_then(|i| self.partial.get(&i.to_lowercase()));
        if n.node_type == "SCAN" {
            let out = rows * scan.map_or(1.0, |s| self.filter_share(&table, s, &[]));
            if let Some(pi) = partial {
                // A walk of a partial index reads only the rows it holds.
                let held = (rows * pi.share).max(1.0);
                return Some((held, out.max(1.0).min(held)));
            }
            if n.is_min_max_scan() {
                // Matches spread over the table: the first comes after
                // about rows ÷ (matches + 1) rows (the aggregate takes it;
                // the matches are what the rules judge the filter by).
                let out = out.max(1.0).min(rows);
                return Some(((rows / (out + 1.0)).max(1.0), out));
            }
            return Some((rows, out.max(1.0).min(rows)));
        }
        let mut cols = lookup_columns(n);
        // A search of a partial index reads only rows its predicate keeps:
        // its column's condition counts with the searched ones.
        if let Some(pi) = partial
            && !cols.iter().any(|c| c.eq_ignore_ascii_case(&pi.column))
        {
            cols.push(pi.column.clone());
        }
        let eq = n
            .index_cond
            .as_deref()
            .or(n.detail.as_deref())
            .map_or(0, |c| c.matches("=?").count());
        let ranged = n
            .index_cond
            .as_deref()
            .is_some_and(|c| c.contains(">?") || c.contains("<?"));
        // The rows the searched columns' own predicates keep, measured
        // together on a sample (a skewed value, correlated columns).
        let measured = scan
            .and_then(|s| predicates_on(s, &cols))
            .and_then(|p| self.measured(&p));
        let mut matched = match measured {
            Some(share) => (rows * share).max(1.0),
            None => self.search_rows(&table, n, eq),
        };
        if ranged && measured.is_none() {
            // The measured share of the range on a searched column.
            matched *= scan
                .and_then(|s| {
                    s.predicates.iter().find(|p| {
                        p.kind == PredicateKind::Range
                            && p.wrapper.is_none()
                            && cols.iter().any(|c| c.eq_ignore_ascii_case(&p.column.name))
                    })
                })
                .map_or(RANGE_SHARE, |p| self.range_share(&p.sql));
        }
        // Through a secondary index that does not cover the statement,
        // each match is two reads: the index entry and the table row.
        let covering = n.detail.as_deref().is_some_and(|d| d.contains("COVERING"));
        let by_key = matches!(n.index_name.as_deref(), Some("PRIMARY KEY") | None);
        let read = if covering || by_key {
            matched
        } else {
            2.0 * matched
        };
        let out = match (measured, scan) {
            (Some(_), Some(s)) => (rows * self.filter_share(&table, s, &[])).min(matched),
            _ => matched * scan.map_or(1.0, |s| self.filter_share(&table, s, &cols)),
        };
        Some((read.max(1.0), out.max(1.0).min(matched.max(1.0))))
    }
}

/// Columns named in a SEARCH node's condition (`customer_id=? AND a>?`).
fn lookup_columns(n: &PlanNode) -> Vec<String> {
    let cond = n.index_cond.as_deref().or_else(|| {
        let d = n.detail.as_deref()?;
        Some(&d[d.find('(')? + 1..d.rfind(')')?])
    });
    cond.map(|c| {
        c.split(" AND ")
            .filter_map(|p| p.split(['=', '<', '>']).next())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

fn bare(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name).trim_matches('"')
}

/// The cost proxy: estimated rows the plan reads. Sibling scans are a
/// nested loop (each runs once per row its predecessors pass on); an
/// automatic index costs one full scan of its table to build; a subquery
/// runs once per row of the loop it sits in; a temporary b-tree counts
/// the rows it sorts; a match through a secondary index that does not
/// cover the statement counts twice (index entry and table row).
pub fn rows_read(plan: &Plan, model: &CostModel<'_>) -> f64 {
    fn level(
        plan: &Plan,
        ix: petgraph::graph::NodeIndex,
        model: &CostModel<'_>,
        loops: f64,
    ) -> f64 {
        let mut loops = loops;
        let mut total = 0.0;
        for c in plan.children(ix) {
            let n = plan.node(c);
            match model.node_rows(n) {
                // A table the statement does not name, scanned beside it:
                // a foreign key's action (a DELETE's cascade or check), run
                // once per row written, nested in nothing after it.
                Some((read, _)) if model.is_foreign_key_action(n) => total += loops * read,
                Some((read, out)) => {
                    if n.detail.as_deref().is_some_and(|d| d.contains("AUTOMATIC")) {
                        let build = model
                            .scan_of(n)
                            .and_then(|s| model.table_rows(&s.table))
                            .or_else(|| n.relation.as_deref().and_then(|r| model.table_rows(r)))
                            .unwrap_or(0.0);
                        total += build;
                    }
                    total += loops * read;
                    loops *= out;
                }
                // A temporary b-tree holds every row that reaches it.
                None if n.node_type == "USE TEMP B-TREE" => total += loops,
                None => total += level(plan, c, model, loops),
            }
        }
        total
    }
    level(plan, plan.root, model, 1.0)
}

/// Fills what an EXPLAIN QUERY PLAN does not print, so rules and reports
/// can read it: the real table name of each scan (SQLite prints the
/// alias), the statement's own conditions on it as `filter`, and the
/// estimated rows it returns as `plan_rows`.
pub fn annotate(plan: &mut Plan, model: &CostModel<'_>) {
    let ids: Vec<_> = plan.graph.node_indices().collect();
    for ix in ids {
        let (scan, rows) = {
            let n = &plan.graph[ix];
            (model.scan_of(n).cloned(), model.node_rows(n))
        };
        let n = &mut plan.graph[ix];
        if let Some(s) = &scan {
            if n.alias.is_none() {
                n.alias = n.relation.clone();
            }
            n.relation = Some(bare(&s.table).to_string());
            let conds: Vec<&str> = s
                .predicates
                .iter()
                .filter(|p| !matches!(p.kind, PredicateKind::Join(_)))
                .map(|p| p.sql.as_str())
                .collect();
            if n.node_type == "SCAN" && !conds.is_empty() {
                n.filter = Some(conds.join(" AND "));
            }
        }
        if let Some((_, out)) = rows {
            n.plan_rows = Some(out.round());
        }
    }
}

/// Whether `spec` names only keys SQLite can index: columns, and
/// expressions over deterministic functions.
pub fn indexable_in_sqlite(spec: &IndexSpec) -> bool {
    spec.keys.iter().all(|k| match k {
        IndexKey::Column { .. } => true,
        IndexKey::Expression { sql } => {
            let s = sql.to_lowercase();
            !s.contains("'now'")
                && !s.contains("random(")
                && !s.contains("current_")
                && !s.contains("changes(")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Dialect;
    use crate::parse::ddl::parse_schema;
    use crate::sql::statement::analyze_sql;

    fn plan(eqp: &str) -> Plan {
        crate::parse::plan::parse("eqp", eqp).unwrap().plan
    }

    /// One table, `journal`, of `rows` rows with `indexes` (DDL), a
    /// statement on it, and the index statistics the proxy reads.
    struct Case {
        schema: Schema,
        scans: Vec<TableScan>,
        keys: HashMap<String, Vec<f64>>,
    }

    impl Case {
        fn new(rows: f64, indexes: &str, sql: &str, keys: &[(&str, Vec<f64>)]) -> Case {
            let (mut schema, problems) = parse_schema(
                "s.sql",
                &format!(
                    "CREATE TABLE journal (id INTEGER PRIMARY KEY, kind TEXT, entity INTEGER, at INTEGER);\n{indexes}"
                ),
                Dialect::Sqlite,
            );
            assert!(problems.is_empty());
            schema.tables[0].rows = Some(rows);
            let scans = analyze_sql(sql, Dialect::Sqlite, Some(&schema))
                .unwrap()
                .scans;
            let keys = keys
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect();
            Case {
                schema,
                scans,
                keys,
            }
        }

        /// Rows the plan `eqp` reads, with these measured shares.
        fn read(&self, eqp: &str, shares: &[(&str, f64)]) -> f64 {
            self.read_partial(eqp, shares, &HashMap::new())
        }

        /// [`Self::read`] with these partial indexes.
        fn read_partial(
            &self,
            eqp: &str,
            shares: &[(&str, f64)],
            partial: &HashMap<String, PartialIndex>,
        ) -> f64 {
            let shares: HashMap<String, f64> =
                shares.iter().map(|(k, v)| (k.to_string(), *v)).collect();
            rows_read(
                &plan(eqp),
                &CostModel {
                    schema: &self.schema,
                    rows_per_key: &self.keys,
                    scans: &self.scans,
                    shares: &shares,
                    partial,
                },
            )
        }
    }

    #[test]
    fn the_min_max_shortcut_reads_until_its_first_match() {
        let c = Case::new(
            900_000.0,
            "",
            "SELECT max(id) FROM journal WHERE kind = 'task' AND entity = 7",
            &[],
        );
        let shortcut = "QUERY PLAN\n`--SEARCH journal\n";
        let p = plan(shortcut);
        assert!(p.node(p.children(p.root)[0]).is_min_max_scan());
        let both = "kind = 'task' AND entity = 7";
        // Two matches measured: the first comes a third of the way in.
        assert_eq!(c.read(shortcut, &[(both, 2.0 / 900_000.0)]), 300_000.0);
        // Most rows match: it stops almost at once.
        let most = c.read(shortcut, &[(both, 0.5)]);
        assert!(most < 3.0, "{most}");
        // A SEARCH through an index on the columns reads its matches.
        let after = c.read(
            "QUERY PLAN\n`--SEARCH journal USING COVERING INDEX j_kind_entity (kind=? AND entity=?)\n",
            &[(both, 2.0 / 900_000.0)],
        );
        assert!((after - 2.0).abs() < 1e-6, "{after}");
    }

    #[test]
    fn a_search_matches_what_its_columns_keep_together_when_measured() {
        // The index's statistics say half the rows per kind.
        let c = Case::new(
            100_000.0,
            "CREATE INDEX j_kind_at ON journal (kind, at);",
            "SELECT id FROM journal WHERE kind = 'open' AND at <= 500 ORDER BY at LIMIT 50",
            &[("j_kind_at", vec![50_000.0, 1.0])],
        );
        let search = "QUERY PLAN\n`--SEARCH journal USING INDEX j_kind_at (kind=? AND at<?)\n";
        // Each alone is common, but together (the open rows are the newest,
        // the range the oldest) they keep 12 rows: two reads each.
        let measured = c.read(
            search,
            &[
                ("kind = 'open'", 0.03),
                ("at <= 500", 0.97),
                ("kind = 'open' AND at <= 500", 0.000_12),
            ],
        );
        assert!((measured - 24.0).abs() < 1e-6, "{measured}");
        // Unmeasured (parameters), the statistics and the range's default
        // share stand: 50,000 × 0.25, twice.
        assert_eq!(c.read(search, &[]), 25_000.0);
    }
}
