use crate::declare_rule;
use crate::detect::evidence::ms;
use crate::detect::{Finding, Location, Reads, Rule, RuleMeta, WorkloadContext};
use crate::model::Dialect;
use crate::model::index::IndexSpec;
use crate::model::workload::{LoopPattern, Workload};
use crate::sql::predicate::PredicateKind;
use crate::sql::statement::analyze_sql;

declare_rule! {
    /// ## What it does
    /// Flags a statement that one session runs again and again with a
    /// different value each time, close together, usually right after
    /// another statement that produced those values: the N+1 pattern of an
    /// ORM that loads a list, then each item's details one by one.
    ///
    /// It reads the order of statements in each session (pid, session id or
    /// connection id) of a slow-query log. A loop is at least 5 runs (see
    /// `--n-plus-one`) of one statement with at most 3 other statements
    /// between two runs, at most 100 ms apart (plus the log's clock
    /// resolution), with different parameter values for at least half of
    /// them. A statement that simply runs often across many sessions, the
    /// same statement with the same values, or a slow poll is not a loop.
    ///
    /// ## Why is this bad?
    /// Each run pays a round trip, a parse and a plan for one row. Fifty
    /// order lines fetched one by one cost fifty times the latency of one
    /// statement that fetches all of them, and when the looked-up column
    /// has no index each run also scans the table again.
    ///
    /// ## Example
    /// ```sql
    /// SELECT id FROM orders WHERE customer_id = 11;
    /// SELECT product_id, qty FROM order_items WHERE order_id = 790;
    /// SELECT product_id, qty FROM order_items WHERE order_id = 1021;
    /// SELECT product_id, qty FROM order_items WHERE order_id = 1254;
    /// -- … once per order
    /// ```
    ///
    /// ## Use instead
    /// One statement for all the values (PostgreSQL `= ANY($1)` with an
    /// array, MySQL `IN (…)`), or a join with the statement that produced
    /// them:
    /// ```sql
    /// SELECT order_id, product_id, qty FROM order_items WHERE order_id = ANY($1);
    /// -- or
    /// SELECT o.id, i.product_id, i.qty
    /// FROM orders o JOIN order_items i ON i.order_id = o.id
    /// WHERE o.customer_id = 11;
    /// ```
    /// If the looked-up column has no index, add one as well.
    pub struct NPlusOne {
        id: "n-plus-one",
        severity: Warning,
        summary: "The same statement runs again and again in one session with different parameters, where one batched statement would do",
    }
}

impl Rule for NPlusOne {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Workload]
    }

    fn check_workload(&self, ctx: &WorkloadContext<'_>, out: &mut Vec<Finding>) {
        out.extend(loops(ctx.workload, ctx.dialect));
    }
}

/// Mean time per run above which a lookup probably scans.
const SLOW_LOOKUP_MS: f64 = 1.0;

/// The findings for the loops a workload's sessions hold, most time first.
fn loops(w: &Workload, dialect: Dialect) -> Vec<Finding> {
    let mut patterns: Vec<&LoopPattern> = w.patterns.values().collect();
    patterns.sort_by(|a, b| b.time_ms.total_cmp(&a.time_ms).then(b.calls.cmp(&a.calls)));
    patterns
        .into_iter()
        .map(|p| finding(w, p, dialect))
        .collect()
}

fn short(s: &str) -> String {
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 100 {
        one.chars().take(97).collect::<String>() + "..."
    } else {
        one
    }
}

/// The column a statement looks one value up by: `(table, column)`.
fn lookup_column(sql: &str, dialect: Dialect) -> Option<(String, String)> {
    let a = analyze_sql(sql, dialect, None).ok()?;
    a.scans.iter().find_map(|s| {
        s.predicates
            .iter()
            .find(|p| p.kind == PredicateKind::Eq && p.wrapper.is_none())
            .map(|p| (s.table.clone(), p.column.name.clone()))
    })
}

fn finding(w: &Workload, p: &LoopPattern, dialect: Dialect) -> Finding {
    let entry = w.digest.get(&p.fingerprint);
    let text = w.text(p.fingerprint).unwrap_or("?");
    let sample = entry
        .and_then(|e| e.sample.as_ref())
        .map_or(text, |s| s.text.as_str());
    let before = p.before.and_then(|b| w.text(b));
    let loops = if p.loops == 1 {
        "1 loop".to_string()
    } else {
        format!("{} loops", p.loops)
    };
    let sessions = if p.sessions == 1 {
        "1 session".to_string()
    } else {
        format!("{} sessions", p.sessions)
    };
    let mut message = format!(
        "`{}` ran {} times in {loops} of up to {} runs ({sessions}), one value per run",
        short(text),
        p.calls,
        p.longest
    );
    if let Some(b) = before {
        message.push_str(&format!(", each loop right after `{}`", short(b)));
    }
    message.push_str(&format!("; {} in total", ms(p.time_ms)));
    let column = lookup_column(sample, dialect);
    let mut advice = String::new();
    match &column {
        Some((table, col)) => {
            let list = match dialect {
                Dialect::Postgres => format!("{col} = ANY($1)"),
                _ => format!("{col} IN (…)"),
            };
            advice.push_str(&format!(
                "Fetch all the values in one statement: `… FROM {table} WHERE {list}`, returning `{col}` so the rows can be matched back"
            ));
        }
        None => advice.push_str("Fetch all the values in one statement (`= ANY($1)` / `IN (…)`)"),
    }
    if let Some(b) = before {
        advice.push_str(&format!(
            ", or join it into the statement that produced them (`{}`)",
            short(b)
        ));
    }
    advice.push('.');
    // Without a catalog, a lookup by `id` or one that takes under a
    // millisecond is taken to have its index already.
    let mean = p.time_ms / p.calls.max(1) as f64;
    let index = column
        .as_ref()
        .filter(|(_, c)| !c.eq_ignore_ascii_case("id") && mean >= SLOW_LOOKUP_MS)
        .map(|(t, c)| IndexSpec::new(t, &[c.as_str()]));
    if let Some(spec) = &index {
        advice.push_str(&format!(
            " If {}({}) has no index, each run also scans the table: `{}` (heuristic: the log has no catalog).",
            spec.qualified_table(),
            spec.columns().join(", "),
            spec.statement(dialect)
        ));
    }
    // One batched statement per loop costs about one run.
    let saved = p.time_ms * (1.0 - p.loops as f64 / p.calls.max(1) as f64);
    let mut f = Finding::new(&NPlusOne::META, message, advice)
        .impact(Some(crate::model::fmt::round3(saved)))
        .at(Location::LogLine {
            path: w.paths.get(p.path as usize).cloned().unwrap_or_default(),
            line: p.line as usize,
        })
        .with_index(index);
    f.query_fingerprint = Some(p.fingerprint.to_string());
    f
}
