use crate::declare_rule;
use crate::detect::evidence::{count, describe_index, ms, pct, quote_table};
use crate::detect::{Finding, Location, PlanContext, Reads, Rule, RuleMeta, Severity};
use crate::model::index::IndexSpec;
use crate::model::plan::{Plan, Trigger};
use crate::model::schema::{ForeignKey, Schema, Table};

declare_rule! {
    /// ## What it does
    /// Flags a trigger that takes a large share of a statement's execution
    /// time (`Trigger … time=… calls=…` under EXPLAIN ANALYZE): at least
    /// 10 ms and a fifth of the statement. For a foreign key's trigger on a
    /// DELETE or UPDATE of the referenced table, it names the referencing
    /// columns and, when no index leads with them, the index (exact with
    /// `--db` or `--schema`; without them, the time per call tells a full
    /// read of the referencing table, 1 ms or more, from index lookups,
    /// and the advice gives the query that finds the columns).
    ///
    /// ## Why is this bad?
    /// A trigger's work is not in the plan tree: the plan looks cheap and
    /// the time is elsewhere. The most common case is a foreign key whose
    /// referencing columns have no index: PostgreSQL indexes the referenced
    /// key, never the referencing one, so deleting one parent row reads the
    /// whole child table to find (and cascade to, or refuse) its children.
    ///
    /// ## Example
    /// ```text
    /// Delete on campaigns  (actual time=0.259..0.259 rows=0 loops=1)
    ///   ->  Index Scan using campaigns_pkey on campaigns  (actual time=0.075..0.076 rows=1 loops=1)
    ///         Index Cond: (id = 123456)
    /// Trigger for constraint creatives_campaign_id_fkey: time=138.067 calls=1
    /// Execution Time: 138.473 ms
    /// ```
    ///
    /// ## Use instead
    /// Index the referencing columns of the foreign key:
    /// ```sql
    /// CREATE INDEX CONCURRENTLY creatives_campaign_id_idx ON creatives (campaign_id);
    /// ```
    /// For a trigger of your own, the time is in its function: capture the
    /// plans of the statements it runs with auto_explain
    /// (`auto_explain.log_nested_statements = on`).
    pub struct SlowTrigger {
        id: "slow-trigger",
        severity: Warning,
        summary: "A trigger takes a large share of the statement's time",
    }
}

/// Trigger time under which a trigger is not worth a finding.
const MIN_MS: f64 = 10.0;
/// Share of the statement's execution time a trigger must take.
const SHARE: f64 = 0.2;
/// Time per call above which a foreign key's lookup is a scan, not an
/// index probe.
const SCAN_MS: f64 = 1.0;

impl Rule for SlowTrigger {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Plan]
    }

    fn check_plan(&self, ctx: &PlanContext<'_>, out: &mut Vec<Finding>) {
        let plan = ctx.plan;
        let Some(total) = plan.execution_ms.or_else(|| plan.total_ms()) else {
            return;
        };
        for t in &plan.triggers {
            let Some(time) = t.time_ms else { continue };
            if time < MIN_MS || total <= 0.0 || time / total < SHARE {
                continue;
            }
            let calls = t.calls.unwrap_or(1);
            let message = format!(
                "Trigger {} took {} of the statement's {} ({}) in {} call{}; its work is not in the plan tree.",
                t.name,
                ms(time),
                ms(total),
                pct((time / total).min(1.0)),
                count(calls as f64),
                if calls == 1 { "" } else { "s" }
            );
            let (advice, severity, index) = match constraint_name(t) {
                Some(name) => fk_advice(ctx, plan, name, t),
                None => (
                    "The time is in the trigger's function, which runs statements of its own that this plan does not show. Read its body, and capture the plans of the statements it runs with auto_explain (`auto_explain.log_nested_statements = on`).".to_string(),
                    Severity::Info,
                    None,
                ),
            };
            out.push(
                Finding::new(&Self::META, message, advice)
                    .severity(severity)
                    .impact(Some(time))
                    .at(Location::Plan {
                        part: "Triggers".into(),
                    })
                    .with_index(index),
            );
        }
    }
}

/// `creatives_campaign_id_fkey` from `for constraint creatives_campaign_id_fkey`.
fn constraint_name(t: &Trigger) -> Option<&str> {
    t.name
        .strip_prefix("for constraint ")
        .map(|n| n.trim().trim_matches('"'))
}

/// The statement's target: `(operation, table)` from its ModifyTable node.
fn modified(plan: &Plan) -> Option<(&str, &str)> {
    let (_, n) = plan.nodes().find(|(_, n)| n.node_type == "ModifyTable")?;
    Some((n.operation.as_deref()?, n.relation.as_deref()?))
}

/// The foreign key named `name`, and the table that holds it: of the
/// tables with a constraint of that name (names are unique per table
/// only), the one that references or is the statement's target.
fn find_fk<'s>(
    schema: &'s Schema,
    name: &str,
    target: Option<&str>,
) -> Option<(&'s Table, &'s ForeignKey)> {
    let found: Vec<(&Table, &ForeignKey)> = schema
        .tables
        .iter()
        .flat_map(|t| t.foreign_keys.iter().map(move |fk| (t, fk)))
        .filter(|(_, fk)| {
            fk.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .collect();
    match (found.len(), target) {
        (1, _) => found.first().copied(),
        (_, Some(tt)) => found
            .into_iter()
            .find(|(t, fk)| same_table(&fk.referenced_table, tt) || same_table(&t.name, tt)),
        _ => None,
    }
}

fn fk_advice(
    ctx: &PlanContext<'_>,
    plan: &Plan,
    name: &str,
    t: &Trigger,
) -> (String, Severity, Option<IndexSpec>) {
    let target = modified(plan);
    let op = target.map(|(op, _)| op);
    let writes_parent_side = matches!(op, Some("Delete" | "Update"));
    let per_call = t.time_ms.unwrap_or(0.0) / t.calls.unwrap_or(1).max(1) as f64;
    let fk = ctx
        .schema
        .and_then(|s| find_fk(s, name, target.map(|(_, tt)| tt)));
    match fk {
        // The statement writes the referencing table: each row's check
        // looks its parent up by the referenced key, which is indexed.
        Some((child, _)) if target.is_some_and(|(_, tt)| same_table(&child.name, tt)) => (
            format!(
                "Each row written to {} checks that the row it references exists: one lookup per row ({} each) through the referenced table's key. The time grows with the rows written; for a bulk load, add the constraint afterwards (`NOT VALID`, then `VALIDATE CONSTRAINT`).",
                quote_table(&child.qualified_name()),
                ms(per_call)
            ),
            Severity::Info,
            None,
        ),
        Some((child, fk)) => {
            let cols: Vec<&str> = fk.columns.iter().map(String::as_str).collect();
            let spec = IndexSpec::new(&child.qualified_name(), &cols);
            if child.fk_is_indexed(&fk.columns) {
                (
                    format!(
                        "The referencing rows are found through an index on {}; the time is the work the constraint's action does in {} (the rows it deletes or updates there, their indexes and their own triggers). For many rows, delete in batches.",
                        describe_index(&spec),
                        quote_table(&child.qualified_name())
                    ),
                    Severity::Info,
                    None,
                )
            } else {
                (
                    format!(
                        "{} a row of {} makes PostgreSQL look up the rows of {} that reference it ({}), and no index of {} leads with {}: every call reads {} in full. Index the referencing columns: {}.\n{}",
                        match op {
                            Some("Update") => "Updating the key of",
                            _ => "Deleting",
                        },
                        quote_table(&fk.referenced_table),
                        quote_table(&child.qualified_name()),
                        fk.columns.join(", "),
                        quote_table(&child.qualified_name()),
                        fk.columns.join(", "),
                        quote_table(&child.qualified_name()),
                        describe_index(&spec),
                        spec.statement(ctx.dialect())
                    ),
                    Severity::Warning,
                    Some(spec),
                )
            }
        }
        // A lookup through an index takes well under a millisecond; a
        // full read of the referencing table takes more.
        None if (writes_parent_side || op.is_none()) && per_call >= SCAN_MS => (
            format!(
                "A DELETE or UPDATE of a referenced row makes PostgreSQL look up the rows that reference it through constraint {name}; at {} a call, that lookup reads the referencing table in full: no index leads with the referencing columns. Find the columns and index them (`--db` or `--schema` names the index):\nSELECT conrelid::regclass, pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = '{}';",
                ms(per_call),
                name.replace('\'', "''")
            ),
            Severity::Warning,
            None,
        ),
        None => (
            format!(
                "At {} a call, each check of constraint {name} is an index lookup, not a scan: the time is one check per row written ({} calls). It grows with the rows the statement writes; for a bulk load, add the constraint afterwards (`NOT VALID`, then `VALIDATE CONSTRAINT`).",
                ms(per_call),
                count(t.calls.unwrap_or(1) as f64)
            ),
            Severity::Info,
            None,
        ),
    }
}

fn same_table(a: &str, b: &str) -> bool {
    let bare = |s: &str| {
        s.rsplit('.')
            .next()
            .unwrap_or(s)
            .trim_matches('"')
            .to_string()
    };
    bare(a).eq_ignore_ascii_case(&bare(b))
}
