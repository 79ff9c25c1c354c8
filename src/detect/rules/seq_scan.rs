use crate::declare_rule;
use crate::detect::evidence::{
    already_indexed, count, describe_index, disabled_methods, gin_index_for, index_for, ms,
    node_location, or_indexes, own_predicates, pct, quote_table, relation_of, rows_returned,
    scan_share, table_rows, with_pattern_class,
};
use crate::detect::{Finding, PlanContext, Reads, Rule, RuleMeta, Severity};
use crate::model::Dialect;
use crate::model::advice::PlannerFix;
use crate::model::index::IndexSpec;
use crate::model::plan::PlanNode;
use crate::sql::predicate::plan_condition_shapes;

declare_rule! {
    /// ## What it does
    /// Flags a sequential scan that reads a large table to return few of its
    /// rows: at least 10,000 rows read and at most 10% of them kept by the
    /// filter (EXPLAIN ANALYZE), or a large table by the catalog's estimate.
    ///
    /// ## Why is this bad?
    /// A sequential scan reads every page of the table, whatever the filter
    /// keeps. Its cost grows with the table, not with the answer: a lookup
    /// that returns four orders out of 500,000 reads all 500,000. An index on
    /// the filtered columns reads only the matching rows.
    ///
    /// ## Example
    /// ```text
    /// Seq Scan on orders  (actual time=2.4..32.1 rows=4 loops=1)
    ///   Filter: (customer_id = 4242)
    ///   Rows Removed by Filter: 499996
    /// ```
    ///
    /// ## Use instead
    /// An index whose leading columns are the filter's equality columns,
    /// then at most one range column:
    /// ```sql
    /// CREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id);
    /// ```
    /// A filter no B-tree serves gets the index that does: a pattern that
    /// does not anchor at the start (`ILIKE '%word%'`) or a regular
    /// expression, a trigram GIN index (`pg_trgm`, created first); jsonb or
    /// array containment, GIN; range overlap, GiST. An OR gets one index
    /// per branch, which PostgreSQL combines in a BitmapOr:
    /// ```sql
    /// CREATE EXTENSION IF NOT EXISTS pg_trgm;
    /// CREATE INDEX CONCURRENTLY tickets_subject_gin_idx ON tickets USING gin (subject gin_trgm_ops);
    /// ```
    /// A containment test beside an equality on a common value (by the
    /// catalog's statistics, or of unknown frequency without them) gets the
    /// GIN index partial on that equality: a B-tree on a common value reads
    /// nearly the whole table.
    /// When the scan keeps most of the table, or the table is small, a
    /// sequential scan is the right plan and this rule stays quiet.
    pub struct SeqScan {
        id: "seq-scan",
        severity: Warning,
        summary: "A sequential scan reads a large table to return few of its rows",
    }
}

/// Rows read below which a sequential scan is cheap whatever it returns.
const LARGE_TABLE_ROWS: f64 = 10_000.0;
/// Share of rows kept above which scanning is the right plan.
const SELECTIVE: f64 = 0.10;
/// Pages per kept row at or under which kept rows read from disk are
/// spread over most of the table's pages ([`spread_over_pages`]).
const ROWS_PER_PAGE_SPREAD: f64 = 2.0;

impl Rule for SeqScan {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Plan]
    }

    fn check_plan(&self, ctx: &PlanContext<'_>, out: &mut Vec<Finding>) {
        for (ix, n) in ctx.plan.nodes() {
            // PostgreSQL's Seq Scan, or SQLite's full `SCAN t` (no index);
            // SQLite plans carry the statement's conditions as their filter.
            let sqlite_scan = n.node_type == "SCAN" && n.index_name.is_none();
            if n.node_type != "Seq Scan" && !sqlite_scan {
                continue;
            }
            let Some(filter) = n.filter.as_deref() else {
                continue;
            };
            let Some(table) = relation_of(n) else {
                continue;
            };
            let Some(rows) = table_rows(n, ctx.schema) else {
                continue;
            };
            if rows < LARGE_TABLE_ROWS {
                continue;
            }
            // Rows kept per pass over the table: a parallel scan's processes
            // share one pass, and their rounded averages add up to a guess
            // that rows_returned replaces with the exact count when it can.
            let returned = rows_returned(ctx.plan, ix).filter(|_| n.parallel_aware);
            let kept = match returned {
                Some(r) => r.rows,
                None => n.actual_rows.or(n.plan_rows).unwrap_or(rows) * scan_share(n),
            };
            let passes = if n.parallel_aware {
                1.0
            } else {
                n.actual_loops.unwrap_or(1.0).max(1.0)
            };
            let share = kept / rows.max(1.0);
            if share > SELECTIVE {
                continue;
            }
            let preds = own_predicates(n, filter);
            let mut spec =
                index_for(n, &preds, &[]).map(|s| with_pattern_class(s, &preds, ctx.schema));
            // A containment test beside equalities on common values (or on
            // values of unknown frequency): the GIN index on it, partial on
            // them, is the selective one.
            let mut over_common = None;
            if let (Some(s), true) = (&spec, n.actual_rows.is_some()) {
                over_common =
                    gin_over_common_values(n, s, &preds, filter, ctx.schema, kept, passes);
                if over_common.is_some() {
                    spec = None;
                }
            }
            // Matching rows spread over the table: a B-tree would visit most
            // of its pages anyway, in random order (slower than this scan).
            // A pattern or containment test is costly per row, so its
            // GIN index still pays; only the B-tree advice stays quiet.
            if spec.is_some() && n.actual_rows.is_some() && spread_over_pages(n, kept, passes) {
                continue;
            }
            // No B-tree key: a condition only GIN or GiST serves, or an OR
            // that one index per branch serves.
            let other = match (&spec, over_common) {
                (Some(_), _) => None,
                (None, Some((s, note))) => Some(OtherIndex::GinOverCommon(s, note)),
                (None, None) => {
                    let shapes = plan_condition_shapes(filter);
                    gin_index_for(n, &shapes.gin, ctx.schema)
                        .map(|(s, why)| OtherIndex::Gin(s, why))
                        .or_else(|| {
                            or_indexes(n, &shapes.ors).map(|specs| {
                                // Branches an existing index serves need no new one.
                                let (have, need) = specs.into_iter().partition(|s| {
                                    already_indexed(s, ctx.schema) && ctx.schema.is_some()
                                });
                                OtherIndex::Or { need, have }
                            })
                        })
                }
            }
            .filter(|o| !o.specs().iter().all(|s| already_indexed(s, ctx.schema)));
            // Only wrapped columns: function-on-indexed-column says it, with the fix.
            if spec.is_none() && other.is_none() && preds.iter().any(|p| p.wrapper.is_some()) {
                continue;
            }
            // An index exists but was not used: the advice changes.
            let indexed = spec
                .as_ref()
                .is_some_and(|s| already_indexed(s, ctx.schema));
            let impact = n.exclusive_ms.map(|t| t * (1.0 - share));
            let measured = n.actual_rows.is_some();
            // Estimates from real statistics are firm enough to warn on.
            let firm = measured || ctx.schema.is_some_and(|s| s.has_statistics);
            let repeated = if passes > 1.0 {
                format!(", and ran {} times", count(passes))
            } else {
                String::new()
            };
            let message = if n.is_min_max_scan() {
                format!(
                    "SQLite's min()/max() shortcut reads {} in rowid order until the first row that `{filter}` keeps: with about {} of its {} rows matching, that is about {} rows a run, and all of them when none matches.",
                    quote_table(&table),
                    count(kept),
                    count(rows),
                    count((rows / (kept + 1.0)).max(1.0)),
                )
            } else {
                format!(
                    "Sequential scan of {} {} {} rows to return {} ({}){repeated}.",
                    quote_table(&table),
                    if measured { "read" } else { "will read about" },
                    count(rows),
                    returned.map(|r| r.text()).unwrap_or_else(|| count(kept)),
                    pct(share),
                )
            } + &n
                .exclusive_ms
                .map(|t| format!(" It took {} of the plan.", ms(t)))
                .unwrap_or_default();
            let advice = match &spec {
                Some(s) if indexed => {
                    let disabled = disabled_methods(ctx.plan);
                    format!(
                        "An index on {} {}, yet the planner scanned the table. {}",
                        describe_index(s),
                        if ctx.schema.is_some() {
                            "already exists"
                        } else {
                            "probably exists (it looks like the primary key)"
                        },
                        if disabled.is_empty() {
                            "Check for a type mismatch between the column and the value, stale statistics (`ANALYZE`), or planner settings such as enable_indexscan.".to_string()
                        } else {
                            format!("The plan ran with {}: re-enable them.", disabled.join(", "))
                        }
                    )
                }
                Some(s) => format!(
                    "Index the filtered columns so only matching rows are read: {}{}.\n{}",
                    describe_index(s),
                    if s.opclass.as_deref() == Some("text_pattern_ops") {
                        ", with text_pattern_ops: a B-tree serves `LIKE 'prefix%'` only under the C collation or with a pattern operator class (which serves equality too, but not ORDER BY under another collation)"
                    } else {
                        ""
                    },
                    s.statement(ctx.dialect())
                ),
                None => match &other {
                    Some(o) => o.advice(ctx.dialect()),
                    None if preds.iter().any(|p| {
                        p.wrapper.is_none() && crate::sql::predicate::is_not_null(&p.sql)
                    }) =>
                    {
                        format!(
                            "`{filter}` keeps every row that has a value: a plain index cannot bound `IS NOT NULL`, but where few rows have one, a partial index `WHERE … IS NOT NULL` on the columns the statement orders or filters by holds only them."
                        )
                    }
                    None => format!(
                        "No predicate of `{filter}` can use a plain index as written; rewrite it so a column is compared directly with a value (see the other findings on this node)."
                    ),
                },
            };
            out.push(
                Finding::new(&Self::META, message, advice)
                    .severity(if firm {
                        Severity::Warning
                    } else {
                        Severity::Info
                    })
                    .impact(impact)
                    .at(node_location(n))
                    .with_indexes(match other {
                        Some(o) => o.specs(),
                        None => spec.filter(|_| !indexed).into_iter().collect(),
                    }),
            );
        }
        // A pasted SQLite plan: no statement, no catalog, no planner.
        if ctx.plan.format.is_sqlite()
            && ctx.planner_fixes.is_none()
            && ctx.query_fingerprint.is_none()
            && ctx.plan.query_text.is_none()
        {
            bare_sqlite_scans(ctx, out);
        }
    }

    /// In a live SQLite analysis, a full `SCAN` of a large table that the
    /// other rules left unexplained: judged by the planner's own estimate
    /// and by the index SQLite's planner took on a scratch copy.
    fn review_plan(&self, ctx: &PlanContext<'_>, out: &mut Vec<Finding>) {
        if let Some(fixes) = ctx.planner_fixes {
            full_scans(ctx, fixes, out);
        }
    }
}

/// Whether the rows a scan keeps are spread over most of the pages it
/// read (its buffers, per pass): unless the table happens to be stored in
/// the filter's order, an index would fetch them from most of those pages
/// one by one. Read from disk, random reads cost several sequential ones,
/// so half as many rows as pages is enough; from the cache, an index
/// still saves the work of testing every row, so only as many rows as
/// pages counts. Without buffer counts, `false`.
pub(super) fn spread_over_pages(n: &PlanNode, kept: f64, passes: f64) -> bool {
    let b = &n.buffers;
    let read = (b.shared_read + b.local_read) as f64;
    let hit = (b.shared_hit + b.local_hit) as f64;
    let pages = (read + hit) / passes.max(1.0);
    if pages <= 0.0 {
        return false;
    }
    let per_page = if read >= hit {
        ROWS_PER_PAGE_SPREAD
    } else {
        1.0
    };
    kept * per_page >= pages
}

/// When every key of the B-tree `btree` is an equality with a value the
/// catalog's statistics count among the column's common values, and those
/// values together keep enough rows to be spread over most of the pages
/// the scan read, while a containment test (jsonb, array, pattern) in the
/// same filter has a GIN index: that index, partial on the equalities,
/// and a sentence saying why. Without statistics the values' frequency is
/// unknown, and the plan gives only what the conditions keep together:
/// the partial GIN index finds the rows whichever condition is the
/// selective one (a B-tree on the equalities only when they are), so it
/// is proposed too, saying so, when the rows kept (`kept`) are few enough
/// for an index to pay. `None` otherwise (the B-tree stands: the
/// statistics show a value rare enough for it).
fn gin_over_common_values(
    n: &PlanNode,
    btree: &IndexSpec,
    preds: &[crate::sql::predicate::Predicate],
    filter: &str,
    schema: Option<&crate::model::schema::Schema>,
    kept: f64,
    passes: f64,
) -> Option<(IndexSpec, String)> {
    let stats = schema
        .filter(|s| s.has_statistics)
        .and_then(|s| s.table(&relation_of(n)?))
        .and_then(|t| Some((t, t.rows.filter(|r| *r > 0.0)?)));
    let mut share = 1.0;
    let mut conds = Vec::new();
    for key in btree.columns() {
        let p = preds
            .iter()
            .find(|p| p.column.name.eq_ignore_ascii_case(&key) && p.kind.is_equality())?;
        let value = literal_text(p.value.as_deref()?)?;
        if let Some((table, _)) = stats {
            let c = table.column(&p.column.name)?;
            let (_, freq) = c.most_common.iter().find(|(m, _)| *m == value)?;
            share *= freq;
        }
        conds.push(p.sql.trim().to_string());
    }
    match stats {
        Some((_, rows)) if !spread_over_pages(n, share * rows, passes) => return None,
        // Without statistics: unless the rows both keep are few enough for
        // an index to pay at all (the B-tree is then quiet too).
        None if spread_over_pages(n, kept, passes) => return None,
        _ => {}
    }
    let shapes = plan_condition_shapes(filter);
    let (mut gin, why) = gin_index_for(n, &shapes.gin, schema)?;
    let unwrap = |c: &str| {
        let c = c.trim();
        if c.starts_with('(') && c.ends_with(')') {
            c[1..c.len() - 1].to_string()
        } else {
            c.to_string()
        }
    };
    gin.predicate = Some(
        conds
            .iter()
            .map(|c| unwrap(c))
            .collect::<Vec<_>>()
            .join(" AND "),
    );
    let listed = conds
        .iter()
        .map(|c| format!("`{}`", unwrap(c)))
        .collect::<Vec<_>>()
        .join(" and ");
    let those = if conds.len() == 1 {
        "that condition"
    } else {
        "those conditions"
    };
    let columns = btree.columns().join(", ");
    let note = match stats {
        Some((table, _)) => format!(
            "{listed} alone keeps about {} of {} by the catalog's statistics, rows on most of its pages: a B-tree on {columns} would read nearly as much as this scan. The containment test is the selective part: {why}, partial on {those} so it holds only those rows.",
            pct(share),
            quote_table(&table.qualified_name()),
        ),
        None => format!(
            "The plan shows what the conditions keep together, not which of them is selective: a B-tree on {columns} pays only if {listed} alone is rare; for a common value it reads nearly as much as this scan. The index that finds the matching rows either way is on the containment test: {why}, partial on {those}. The catalog's statistics (`--db`) tell which case this is."
        ),
    };
    Some((gin, note))
}

/// `active` from `'active'::text`, `42` from `42`.
fn literal_text(sql: &str) -> Option<String> {
    let s = sql.trim();
    let s = match s.rfind("::") {
        Some(i) if !s[i..].contains('\'') => &s[..i],
        _ => s,
    };
    let s = s.trim().trim_start_matches('(').trim_end_matches(')');
    if let Some(inner) = s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        return Some(inner.replace("''", "'"));
    }
    (!s.is_empty()).then(|| s.to_string())
}

/// The index a scan needs when no B-tree key serves its filter.
enum OtherIndex {
    /// GIN or GiST, and why.
    Gin(IndexSpec, &'static str),
    /// GIN on a containment test, partial on equalities whose values are
    /// common (a B-tree on them would read most pages), and the note that
    /// says so.
    GinOverCommon(IndexSpec, String),
    /// One B-tree per branch of an OR: those to create, and those the
    /// catalog shows exist.
    Or {
        need: Vec<IndexSpec>,
        have: Vec<IndexSpec>,
    },
}

impl OtherIndex {
    fn specs(&self) -> Vec<IndexSpec> {
        match self {
            OtherIndex::Gin(s, ..) | OtherIndex::GinOverCommon(s, ..) => vec![s.clone()],
            OtherIndex::Or { need, .. } => need.clone(),
        }
    }

    fn advice(&self, dialect: Dialect) -> String {
        match self {
            OtherIndex::Gin(s, why) => {
                let mut lines = vec![format!("The filter needs another kind of index: {why}.")];
                lines.extend(s.requires());
                lines.push(s.statement(dialect));
                lines.join("\n")
            }
            OtherIndex::GinOverCommon(s, note) => {
                let mut lines = vec![note.clone()];
                lines.extend(s.requires());
                lines.push(s.statement(dialect));
                lines.join("\n")
            }
            OtherIndex::Or { need, have } if need.len() == 1 && have.is_empty() => format!(
                "Every branch of the OR compares the same columns; one index serves them all: {}.\n{}",
                describe_index(&need[0]),
                need[0].statement(dialect)
            ),
            OtherIndex::Or { need, have } => {
                let list = |specs: &[IndexSpec]| {
                    specs
                        .iter()
                        .map(describe_index)
                        .collect::<Vec<_>>()
                        .join(" and ")
                };
                let mut lines = vec![if have.is_empty() {
                    format!(
                        "An OR is served by one index per branch, which PostgreSQL combines in a BitmapOr; with any branch unindexed it reads the whole table. Index each: {}.",
                        list(need)
                    )
                } else {
                    format!(
                        "An OR is served by one index per branch, which PostgreSQL combines in a BitmapOr; with any branch unindexed it reads the whole table. The index on {} exists; add {}.",
                        list(have),
                        list(need)
                    )
                }];
                lines.extend(need.iter().map(|s| s.statement(dialect)));
                lines.join("\n")
            }
        }
    }
}

/// Pasted SQLite `SCAN t` lines with nothing else to go by: one finding
/// (at the first) that says what a full scan means and what would make
/// the advice exact. Scans of a materialized subquery or CTE are no
/// table's; with `--schema`, a table known to be small is left alone.
fn bare_sqlite_scans(ctx: &PlanContext<'_>, out: &mut Vec<Finding>) {
    let materialized: Vec<String> = ctx
        .plan
        .nodes()
        .filter(|(_, n)| matches!(&*n.node_type, "MATERIALIZE" | "CO-ROUTINE"))
        .filter_map(|(_, n)| n.title().split_whitespace().last().map(str::to_string))
        .collect();
    let scans: Vec<&PlanNode> = ctx
        .plan
        .nodes()
        .map(|(_, n)| n)
        .filter(|n| n.node_type == "SCAN" && n.index_name.is_none() && n.filter.is_none())
        .filter(|n| {
            n.relation
                .as_ref()
                .is_some_and(|r| !materialized.iter().any(|m| m.eq_ignore_ascii_case(r)))
        })
        .filter(|n| !table_rows(n, ctx.schema).is_some_and(|r| r < LARGE_TABLE_ROWS))
        .collect();
    let Some(first) = scans.first() else { return };
    let describe = |n: &&PlanNode| {
        let t = n.relation.clone().unwrap_or_default();
        match table_rows(n, ctx.schema) {
            Some(r) => format!("{t} (about {} rows)", count(r)),
            None => t,
        }
    };
    let title = |n: &&PlanNode| format!("`{}`", n.title());
    let (shortcut, full): (Vec<&PlanNode>, Vec<&PlanNode>) =
        scans.iter().partition(|n| n.is_min_max_scan());
    let mut parts: Vec<String> = Vec::new();
    if !full.is_empty() {
        parts.push(format!(
            "{}: SQLite reads every row of {} because no index serves {} of the statement.",
            full.iter().map(title).collect::<Vec<_>>().join(", "),
            full.iter().map(describe).collect::<Vec<_>>().join(", "),
            if full.len() == 1 {
                "this part"
            } else {
                "those parts"
            },
        ));
    }
    if !shortcut.is_empty() {
        parts.push(format!(
            "{}: SQLite's min()/max() shortcut with no index: one row for max(rowid) of the whole table, but under a WHERE it reads {} in rowid order until the first row that qualifies, and every row when none does (or for min()/max() of a column no index orders).",
            shortcut.iter().map(title).collect::<Vec<_>>().join(", "),
            shortcut.iter().map(describe).collect::<Vec<_>>().join(", "),
        ));
    }
    let message = parts.join(" ");
    let advice = format!(
        "A full scan is the right plan when the statement needs most of a table's rows. When it keeps few (a WHERE condition, a join key, ORDER BY … LIMIT), an index on those columns lets SQLite SEARCH instead. The plan alone shows neither the table sizes nor the conditions; for exact advice give dbperf the statement: `dbperf advise --queries q.sql --schema schema.sql`, or `dbperf analyze --db sqlite:app.db --queries q.sql`, which checks the index with SQLite's own planner on a scratch copy{}.",
        if ctx.schema.is_none() {
            " (`--schema` here adds the table sizes)"
        } else {
            ""
        }
    );
    out.push(
        Finding::new(&SeqScan::META, message, advice)
            .severity(Severity::Info)
            .at(node_location(first)),
    );
}

/// `seq-scan` for a live SQLite analysis: a full `SCAN` of a large table
/// whose statement filters it selectively, by the estimate or by the
/// planner's own choice of an index on the scratch copy.
fn full_scans(ctx: &PlanContext<'_>, best: &[PlannerFix], out: &mut Vec<Finding>) {
    let Some(schema) = ctx.schema else { return };
    for (_, n) in ctx.plan.nodes() {
        if n.node_type != "SCAN" {
            continue;
        }
        let fix = best.iter().find(|b| {
            n.relation
                .as_deref()
                .is_some_and(|r| b.table.eq_ignore_ascii_case(r))
        });
        // Another finding on this node already says it (seq-scan from a
        // rule, or function-on-indexed-column with the same index).
        if out.iter().any(|f| {
            f.location == Some(node_location(n))
                && (f.rule == SeqScan::META.id
                    || f.index.is_some() && f.index.as_ref() == fix.map(|b| &b.spec))
        }) {
            continue;
        }
        let Some(filter) = &n.filter else { continue };
        let Some(t) = n.relation.as_deref().and_then(|r| schema.table(r)) else {
            continue;
        };
        let rows = t.rows.unwrap_or(0.0);
        if rows < LARGE_TABLE_ROWS {
            continue;
        }
        let kept = n.plan_rows.unwrap_or(rows);
        let share = kept / rows.max(1.0);
        if share > SELECTIVE {
            continue;
        }
        let message = format!(
            "Full scan of {} reads all {} rows to return about {} ({}) under `{filter}`.",
            t.name,
            count(rows),
            count(kept),
            pct(share)
        );
        let advice = match fix {
            Some(b) => format!(
                "Index the filtered columns; SQLite's planner uses this index on a scratch copy (about {} rows read instead of {}):\n{}",
                count(b.rows_after),
                count(b.rows_before),
                b.spec.statement(Dialect::Sqlite)
            ),
            None => "Index the filtered columns (equality columns first, then one range column) so only matching rows are read.".to_string(),
        };
        out.push(
            Finding::new(&SeqScan::META, message, advice)
                .severity(if fix.is_some() {
                    Severity::Warning
                } else {
                    Severity::Info
                })
                .at(node_location(n))
                .with_index(fix.map(|b| b.spec.clone())),
        );
    }
}
