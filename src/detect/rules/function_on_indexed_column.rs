use crate::declare_rule;
use crate::detect::evidence::{
    RowCount, already_indexed, count, node_location, own_predicates, relation_of, rows_returned,
};
use crate::detect::{
    AdviceContext, Finding, Location, PlanContext, Reads, Rule, RuleMeta, Severity,
};
use crate::model::Dialect;
use crate::model::advice::WrappedColumn;
use crate::model::index::IndexSpec;
use crate::model::plan::PlanNode;
use crate::model::schema::{IndexKey, Schema};
use crate::sql::predicate::{Predicate, Wrapper};
use crate::sql::volatility::{
    Volatility, can_index_expression, sargable_rewrite, wrapper_volatility,
};

declare_rule! {
    /// ## What it does
    /// Flags a predicate that wraps a column in a function or a converting
    /// cast (`lower(email) = …`, `created_at::date = …`,
    /// `date_trunc('day', created_at) = …`) where the column is indexed, or
    /// where the scan throws most rows away so an index would be worth it.
    ///
    /// ## Why is this bad?
    /// A b-tree index on `email` stores `email`, not `lower(email)`: the
    /// planner cannot search it for the function's result, so it reads the
    /// whole table and computes the function row by row.
    ///
    /// ## Example
    /// ```sql
    /// SELECT * FROM customers WHERE lower(email) = 'ann@example.com';
    /// SELECT * FROM orders WHERE created_at::date = '2024-03-01';
    /// ```
    ///
    /// ## Use instead
    /// When the function is immutable (same input, same output, whatever
    /// the session), index the expression itself:
    /// ```sql
    /// CREATE INDEX CONCURRENTLY customers_lower_email_idx ON customers ((lower(email)));
    /// ```
    /// When it is not (`timestamptz::date` and two-argument `date_trunc` on
    /// `timestamptz` depend on the session's TimeZone, so PostgreSQL refuses
    /// to index them), compare the bare column with a range instead, which a
    /// plain index serves:
    /// ```sql
    /// SELECT * FROM orders
    /// WHERE created_at >= '2024-03-01' AND created_at < '2024-03-02';
    /// ```
    /// The day in a named zone (`(created_at AT TIME ZONE 'Europe/Paris')::date`)
    /// could be indexed, but the range of that day's midnights in the zone
    /// is the fix: a plain index on the column serves it, and on a table
    /// partitioned by the column only a range on the column itself lets the
    /// planner skip partitions.
    pub struct FunctionOnIndexedColumn {
        id: "function-on-indexed-column",
        severity: Warning,
        summary: "A predicate wraps an indexed (or index-worthy) column in a function or cast",
    }
}

/// Share of scanned rows the filter must discard for an unindexed column to
/// count as index-worthy.
const DISCARDED: f64 = 0.9;
const MIN_SCANNED: f64 = 10_000.0;

impl Rule for FunctionOnIndexedColumn {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        // Migration: `dbperf lint --queries` reports it on the application's
        // statements (through the advice), as `explain` does on plans.
        &[Reads::Plan, Reads::Advice, Reads::Migration]
    }

    fn check_advice(&self, ctx: &AdviceContext<'_>, out: &mut Vec<Finding>) {
        out.extend(ctx.wrapped.iter().map(|w| advice_finding(w, ctx.dialect)));
    }

    fn check_plan(&self, ctx: &PlanContext<'_>, out: &mut Vec<Finding>) {
        for (ix, n) in ctx.plan.nodes() {
            // Cheap gates before parsing: without a catalog only a scan that
            // discards most of a large table counts.
            if ctx.schema.is_none() && !discards_most(n) {
                continue;
            }
            for cond in [&n.filter, &n.recheck_cond, &n.join_filter]
                .into_iter()
                .flatten()
            {
                if !may_wrap_column(cond) {
                    continue;
                }
                let preds = own_predicates(n, cond);
                let calendar = calendar_range(&preds, ctx.dialect());
                let mut calendar_said = false;
                for p in preds.iter() {
                    let Some(w) = &p.wrapper else { continue };
                    if !p.kind.is_indexable() {
                        continue;
                    }
                    // The year and month of one column are one range: one
                    // finding for both.
                    let in_calendar = calendar.as_ref().filter(|c| c.parts.contains(&p.sql));
                    if in_calendar.is_some() && std::mem::replace(&mut calendar_said, true) {
                        continue;
                    }
                    if !worth_it(n, p, ctx.schema) {
                        continue;
                    }
                    let kept = rows_returned(ctx.plan, ix);
                    if spread_expression(n, w, kept) {
                        continue;
                    }
                    if let Some(f) = finding(n, kept, p, w, in_calendar, ctx.schema, ctx.dialect())
                    {
                        out.push(f);
                    }
                }
            }
        }
    }
}

/// An operator expression (a jsonb path read, arithmetic), whose only fix
/// is an index on it, over a scan whose kept rows are spread over most of
/// the pages it read: like any B-tree, that index would fetch them from
/// most pages one by one, slower than the scan.
fn spread_expression(n: &PlanNode, w: &Wrapper, kept: Option<RowCount>) -> bool {
    if !(w.function == "arithmetic" || w.function.starts_with(['-', '#'])) {
        return false;
    }
    let Some(rows) = kept.map(|k| k.rows).or_else(|| n.total_rows()) else {
        return false;
    };
    let passes = if n.parallel_aware {
        1.0
    } else {
        n.actual_loops.unwrap_or(1.0)
    };
    n.actual_rows.is_some() && super::seq_scan::spread_over_pages(n, rows, passes)
}

/// A function call (`name(`) or a cast (`::`) somewhere in the condition.
fn may_wrap_column(cond: &str) -> bool {
    let b = cond.as_bytes();
    cond.contains("::")
        || cond.contains("->")
        || cond.contains("#>")
        || [" - ", " + ", " * ", " / "]
            .iter()
            .any(|o| cond.contains(o))
        || b.windows(2)
            .any(|w| w[1] == b'(' && (w[0].is_ascii_alphanumeric() || w[0] == b'_'))
}

fn discards_most(n: &PlanNode) -> bool {
    match n.rows_scanned() {
        Some(scanned) => {
            scanned >= MIN_SCANNED && n.total_rows().unwrap_or(0.0) <= scanned * (1.0 - DISCARDED)
        }
        // Plain EXPLAIN: no counts to go by.
        None => true,
    }
}

/// The column is indexed, or the scan discards most of a large table.
fn worth_it(n: &PlanNode, p: &Predicate, schema: Option<&Schema>) -> bool {
    let table = relation_of(n).and_then(|r| schema.and_then(|s| s.table(&r)));
    if let Some(t) = table
        && t.indexes
            .iter()
            .any(|i| i.leads_with(&[p.column.name.as_str()]))
    {
        return true;
    }
    match n.rows_scanned() {
        Some(scanned) => {
            let kept = n.total_rows().unwrap_or(0.0);
            scanned >= MIN_SCANNED && kept <= scanned * (1.0 - DISCARDED)
        }
        None => table.and_then(|t| t.rows).is_some_and(|r| r >= MIN_SCANNED),
    }
}

fn is_time_function(w: &Wrapper) -> bool {
    matches!(
        w.function.as_str(),
        "date_trunc" | "date_part" | "extract" | "date"
    ) || (w.function == "cast"
        && w.cast_to
            .as_deref()
            .is_some_and(|t| t == "date" || t.starts_with("timestamp")))
}

fn finding(
    n: &PlanNode,
    kept: Option<RowCount>,
    p: &Predicate,
    w: &Wrapper,
    calendar: Option<&CalendarRange>,
    schema: Option<&Schema>,
    dialect: Dialect,
) -> Option<Finding> {
    let table = relation_of(n)?;
    let column_type = schema
        .and_then(|s| s.table(&table))
        .and_then(|t| t.column(&p.column.name))
        .map(|c| c.data_type.clone())
        .or_else(|| {
            // `date_trunc('day', col) = '…'::timestamp with time zone` tells the type.
            p.compared_type
                .clone()
                .filter(|t| t.starts_with("timestamp") && w.function != "cast")
        })
        .or_else(|| {
            // Arithmetic compared with a bare number computes numbers.
            (w.function == "arithmetic"
                && p.value
                    .as_deref()
                    .is_some_and(|v| v.trim_matches(['(', ')']).parse::<f64>().is_ok()))
            .then(|| "numeric".to_string())
        });
    // Whether the database accepts an index on the expression; unknown when
    // a date/time function's answer depends on a type the plan does not show.
    let unknown = dialect == Dialect::Postgres
        && ((column_type.is_none() && is_time_function(w))
            || wrapper_volatility(w, column_type.as_deref()).is_none());
    let imm = (!unknown).then(|| can_index_expression(w, column_type.as_deref(), dialect));
    let scanned = n
        .rows_scanned()
        .map(|s| {
            format!(
                " The scan read {} rows to keep {}.",
                count(s),
                kept.map(|k| k.text()).unwrap_or_else(|| "0".into())
            )
        })
        .unwrap_or_default();
    let message = if w.function == "arithmetic" {
        format!(
            "`{}` compares the arithmetic expression {} over columns of {table}, so no plain index on them can serve it.{scanned}",
            p.sql, w.expr_sql,
        )
    } else {
        format!(
            "`{}` wraps column {} of {table} in {}, so no plain index on {} can serve it.{scanned}",
            calendar.map_or(p.sql.clone(), |c| c.parts.join(" AND ")),
            p.column.name,
            if w.function == "cast" {
                format!(
                    "a cast to {}",
                    w.cast_to.as_deref().unwrap_or("another type")
                )
            } else if w.function.starts_with(['-', '#']) {
                format!("the operator {}", w.function)
            } else {
                format!("{}()", w.function)
            },
            p.column.name,
        )
    };
    let mut expr_index = IndexSpec::new(&table, &[]);
    expr_index.keys = vec![IndexKey::Expression {
        sql: w.expr_sql.clone(),
    }];
    let bare = IndexSpec::new(&table, &[p.column.name.as_str()]);
    if let Some(advice) = value_of_another_type(p, w, &bare, schema, dialect) {
        return Some(
            Finding::new(&FunctionOnIndexedColumn::META, message, advice)
                .impact(n.exclusive_ms)
                .at(node_location(n))
                .with_index((!already_indexed(&bare, schema) && schema.is_some()).then_some(bare))
                .after_rewrite(true),
        );
    }
    if let Some(advice) = zoned_day_advice(p, w, &bare, schema, dialect) {
        return Some(
            Finding::new(&FunctionOnIndexedColumn::META, message, advice)
                .impact(n.exclusive_ms)
                .at(node_location(n))
                .with_index((!already_indexed(&bare, schema)).then_some(bare))
                .after_rewrite(true),
        );
    }
    let (advice, spec) = match imm {
        Some(true) if !already_indexed(&expr_index, schema) => (
            format!(
                "Index the expression itself ({} always gives the same result for the same value):\n{}",
                w.expr_sql,
                expr_index.statement(dialect)
            ),
            Some(expr_index),
        ),
        Some(true) => (
            format!(
                "An index on ({}) exists; check that the query's expression matches it exactly.",
                w.expr_sql
            ),
            None,
        ),
        Some(false) => (
            format!(
                "{} is not immutable for {} ({}): its result depends on session settings, so the database refuses an index on it. {}",
                w.expr_sql,
                p.column.name,
                column_type.as_deref().unwrap_or("its type"),
                rewrite_advice(p, w, calendar, &bare, schema, dialect)
            ),
            (!already_indexed(&bare, schema)).then_some(bare),
        ),
        None if is_time_function(w) => (
            format!(
                "If {} is timestamptz, {} cannot be indexed. {}",
                p.column.name,
                match calendar {
                    Some(c) if c.wrappers.len() > 1 =>
                        format!("{} are not immutable and", c.wrappers.join(" and ")),
                    _ => format!("{} is not immutable and", w.expr_sql),
                },
                rewrite_advice(p, w, calendar, &bare, schema, dialect)
            ),
            (!already_indexed(&bare, schema)).then_some(bare),
        ),
        None => (
            format!(
                "If {}() is immutable, index the expression:\n{}\nOtherwise compare the bare column {} with a value or range.",
                w.function,
                expr_index.statement(dialect),
                p.column.name
            ),
            None,
        ),
    };
    // Every index but the expression's serves only the rewritten predicate.
    let after_rewrite = spec
        .as_ref()
        .is_some_and(|s| s.keys.iter().all(|k| matches!(k, IndexKey::Column { .. })));
    Some(
        Finding::new(&FunctionOnIndexedColumn::META, message, advice)
            .impact(n.exclusive_ms)
            .at(node_location(n))
            .with_index(spec)
            .after_rewrite(after_rewrite),
    )
}

/// The advice for the day of a column in a named time zone compared with
/// one day (`(ts AT TIME ZONE 'Europe/Paris')::date = '2024-03-01'`): the
/// range of that day's midnights on the bare column. An index on the
/// expression could serve this query only, and on a table partitioned by
/// the column only a range on the column itself lets the planner skip
/// partitions.
fn zoned_day_advice(
    p: &Predicate,
    w: &Wrapper,
    bare: &IndexSpec,
    schema: Option<&Schema>,
    dialect: Dialect,
) -> Option<String> {
    let zone = crate::sql::volatility::time_zone_named(&w.expr_sql)?;
    if !matches!(p.kind, crate::sql::predicate::PredicateKind::Eq) {
        return None;
    }
    let col = &p.column.name;
    let rewrite = sargable_rewrite(w, col, p.value.as_deref()?, dialect)?;
    let index = if already_indexed(bare, schema) {
        format!("the existing index on {col} serves it")
    } else {
        format!("an index on {col} serves it:\n{}", bare.statement(dialect))
    };
    Some(format!(
        "{} is the day of {col} in time zone {zone}: compare the bare column with that day's range instead, `{rewrite}` (the bounds are constants, computed once). On a table partitioned by {col} the planner then skips every partition outside the day, which it cannot do for an expression of {col}; {index}",
        w.expr_sql
    ))
}

/// The numeric type PostgreSQL converted the bare column to because the
/// value it is compared with has it (`(id)::numeric = 4242.0`).
pub(super) fn widened_to<'w>(p: &Predicate, w: &'w Wrapper) -> Option<&'w str> {
    let to = w.cast_to.as_deref()?;
    let inner = w.expr_sql.split("::").next().unwrap_or_default();
    let bare_column = inner.trim_matches(['(', ')']) == p.column.name.as_str();
    (w.function == "cast"
        && bare_column
        && matches!(
            to,
            "numeric" | "double precision" | "real" | "float8" | "float4"
        ))
    .then_some(to)
}

/// The advice for a column PostgreSQL converted because the value it is
/// compared with has a wider numeric type (`(id)::numeric = 4242.0`: an
/// integer column against a numeric literal or parameter). Nobody wants an
/// index on the cast: the fix is a value of the column's own type, which
/// the index on the column serves.
fn value_of_another_type(
    p: &Predicate,
    w: &Wrapper,
    bare: &IndexSpec,
    schema: Option<&Schema>,
    dialect: Dialect,
) -> Option<String> {
    let to = widened_to(p, w)?;
    if dialect != Dialect::Postgres {
        return None;
    }
    let col = &p.column.name;
    let value = p
        .value
        .as_deref()
        .map(|v| {
            v.split("::")
                .next()
                .unwrap_or(v)
                .trim_matches(['(', ')', '\''])
        })
        .unwrap_or("$1");
    let whole = value
        .strip_suffix(".0")
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'-'));
    let example = match whole {
        Some(v) => format!(" (`{col} = {v}`, not `{value}`)"),
        None => String::new(),
    };
    let index = if already_indexed(bare, schema) || schema.is_none() {
        format!("an index on {col} then serves it")
    } else {
        format!("then index the column:\n{}", bare.statement(dialect))
    };
    Some(format!(
        "The value is {to}, wider than the column, so PostgreSQL converts {col} on every row instead of the value once. Compare with a value of the column's own type{example}, or bind the parameter with that type; {index}. An index on the cast is not the fix."
    ))
}

/// `EXTRACT(YEAR FROM col) = Y`, with `EXTRACT(MONTH FROM col) = M` beside
/// it or not, as the half-open range of dates it means.
#[derive(Debug)]
struct CalendarRange {
    /// The conjuncts it replaces, as written (year first).
    parts: Vec<String>,
    /// Their wrapped expressions.
    wrappers: Vec<String>,
    range: String,
}

/// The calendar range of a condition's year (and month) equalities on one
/// column, compared with whole-number constants (PostgreSQL only).
fn calendar_range(preds: &[Predicate], dialect: Dialect) -> Option<CalendarRange> {
    if dialect != Dialect::Postgres {
        return None;
    }
    let field_eq = |field: &str| {
        preds.iter().find_map(|p| {
            let w = p.wrapper.as_ref()?;
            let expr = w.expr_sql.to_ascii_lowercase();
            let is_field = (w.function == "extract"
                && expr.starts_with(&format!("extract({field} from")))
                || (w.function == "date_part" && expr.starts_with(&format!("date_part('{field}'")));
            if !is_field || !matches!(p.kind, crate::sql::predicate::PredicateKind::Eq) {
                return None;
            }
            let v = p.value.as_deref()?.split("::").next()?;
            let n: i32 = v.trim_matches(['(', ')', '\'']).trim().parse().ok()?;
            Some((p, n))
        })
    };
    let (year, y) = field_eq("year")?;
    if !(1..=9999).contains(&y) {
        return None;
    }
    let col = &year.column.name;
    let month = field_eq("month").filter(|(p, m)| p.column == year.column && (1..=12).contains(m));
    let (parts, from, to) = match month {
        Some((m_pred, m)) => {
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            (
                vec![year, m_pred],
                format!("{y:04}-{m:02}-01"),
                format!("{ny:04}-{nm:02}-01"),
            )
        }
        None => (
            vec![year],
            format!("{y:04}-01-01"),
            format!("{:04}-01-01", y + 1),
        ),
    };
    Some(CalendarRange {
        wrappers: parts
            .iter()
            .filter_map(|p| p.wrapper.as_ref().map(|w| w.expr_sql.clone()))
            .collect(),
        parts: parts.iter().map(|p| p.sql.clone()).collect(),
        range: format!("{col} >= '{from}' AND {col} < '{to}'"),
    })
}

/// The sargable form of a date/time wrapper: a half-open range on the column.
fn rewrite_advice(
    p: &Predicate,
    w: &Wrapper,
    calendar: Option<&CalendarRange>,
    bare: &IndexSpec,
    schema: Option<&Schema>,
    dialect: Dialect,
) -> String {
    let col = &p.column.name;
    let value = p.value.as_deref().unwrap_or("$1");
    let rewrite = match (calendar, sargable_rewrite(w, col, value, dialect)) {
        (Some(c), _) => c.range.clone(),
        (None, Some(r)) if matches!(p.kind, crate::sql::predicate::PredicateKind::Eq) => r,
        _ => format!("a range on {col} itself"),
    };
    let index = if already_indexed(bare, schema) {
        format!("and the existing index on {col} serves it.")
    } else {
        format!("and index the column:\n{}", bare.statement(dialect))
    };
    format!("Rewrite the predicate as `{rewrite}` {index}")
}

/// The finding for a wrapped column the workload advisor saw in a
/// statement (`advise`, `analyze`, `lint --queries`).
fn advice_finding(w: &WrappedColumn, dialect: Dialect) -> Finding {
    let p = &w.predicate;
    let wrapper = p.wrapper.as_ref();
    let table = &w.table;
    let col = &p.column.name;
    let what = match wrapper {
        Some(wr) if wr.function == "cast" => format!(
            "casts {table}.{col} to {}",
            wr.cast_to.as_deref().unwrap_or("another type")
        ),
        Some(wr) => format!("wraps {table}.{col} in {}()", wr.function),
        None => format!(
            "compares {table}.{col} ({}) with a value of another type, so the column is converted",
            w.column_type.as_deref().unwrap_or("?")
        ),
    };
    let message = format!("`{}` {what}: a plain index on {col} cannot serve it", p.sql);
    let advice = if w.expression_index {
        let mut spec = IndexSpec::new(table, &[]);
        spec.keys.push(IndexKey::Expression {
            sql: wrapper.map(|x| x.expr_sql.clone()).unwrap_or_default(),
        });
        format!("index the expression itself: {}", spec.statement(dialect))
    } else if let Some(rw) = &w.rewrite {
        let immutable_note = match wrapper.map(|x| wrapper_volatility(x, w.column_type.as_deref()))
        {
            Some(Some(Volatility::Stable)) => {
                " (an expression index is not possible: the conversion depends on the session's TimeZone)"
            }
            _ => "",
        };
        format!(
            "compare the bare column instead, `{rw}`, which an index on {col} serves{immutable_note}"
        )
    } else if wrapper.is_none() {
        format!(
            "compare {col} with a value of its own type ({})",
            w.column_type.as_deref().unwrap_or("?")
        )
    } else {
        format!(
            "compare the bare column {col} (move the function to the other side), or index the expression"
        )
    };
    let mut f = Finding::new(&FunctionOnIndexedColumn::META, message, advice).at(Location::File {
        path: w.path.clone(),
        line: w.line,
        column: None,
    });
    f.query_fingerprint = Some(w.fingerprint.to_string());
    if !w.indexed && !w.expression_index && w.rewrite.is_none() {
        f.severity = Severity::Info;
    }
    f
}
