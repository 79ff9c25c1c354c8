//! Detection: rules read the model and report findings.
//!
//! A rule is one file under `rules/`, named after the pattern it flags. Its
//! doc comment, declared through [`declare_rule!`], is its documentation:
//! `dbperf rule ID` prints it and `rules/<id>.md` is generated from it. Rules
//! never do I/O; they get a plan, a schema or a workload and push
//! [`Finding`]s.

pub mod evidence;
pub mod rules;

use std::collections::HashSet;

use crate::model::Dialect;
use crate::model::advice::{AdvisedIndex, AnalyzedQuery, PlannerFix, WrappedColumn};
pub use crate::model::finding::{Finding, Location, RuleMeta, Severity};
use crate::model::plan::Plan;
use crate::model::postgres::PgFacts;
use crate::model::schema::Schema;
use crate::model::sqlite::SqliteFacts;
use crate::model::workload::Workload;
use crate::parse::migration::Replayed;

/// What a plan rule sees: the plan and, when given, the schema.
pub struct PlanContext<'a> {
    pub plan: &'a Plan,
    pub schema: Option<&'a Schema>,
    pub query_fingerprint: Option<&'a str>,
    /// In a live SQLite analysis: the indexes SQLite's planner took for
    /// this statement on a scratch copy (empty when none helped).
    pub planner_fixes: Option<&'a [PlannerFix]>,
}

impl PlanContext<'_> {
    /// The database index statements are written for: the schema's, else
    /// the plan's own.
    pub fn dialect(&self) -> crate::model::Dialect {
        match self.schema {
            Some(s) => s.dialect,
            None if self.plan.format.is_sqlite() => crate::model::Dialect::Sqlite,
            None => crate::model::Dialect::Postgres,
        }
    }
}

/// What a schema rule sees: the schema and, when it comes from replayed
/// migrations, the tables those migrations created (lower-case names).
pub struct SchemaContext<'a> {
    pub schema: &'a Schema,
    pub created: Option<&'a HashSet<String>>,
}

/// What a migration rule sees: one replayed statement of the file `path`,
/// the schema the migrations leave, and the application's statements
/// (`--queries`) as the advisor analysed them.
pub struct MigrationContext<'a> {
    pub statement: &'a Replayed,
    pub path: &'a str,
    pub dialect: Dialect,
    pub schema: &'a Schema,
    pub queries: &'a [AnalyzedQuery],
    /// How the file's tool is told not to wrap it in a transaction
    /// (`None`: the tool does not, or the file opens its own block).
    pub transaction_opt_out: Option<&'a str>,
}

impl MigrationContext<'_> {
    /// Where the statement starts, for a finding.
    pub fn location(&self) -> Location {
        Location::File {
            path: self.path.to_string(),
            line: self.statement.line,
            column: Some(self.statement.column),
        }
    }

    /// What to do about a transaction block around a statement that cannot
    /// run in one, as a sentence to append (with a leading space).
    pub fn opt_out_hint(&self) -> String {
        match self.transaction_opt_out {
            Some(h) => {
                format!(" Run it in a migration of its own without the tool's transaction: {h}.")
            }
            None => {
                " Run it outside the BEGIN … COMMIT block, in a migration of its own.".to_string()
            }
        }
    }

    /// The finding of a statement that has a CONCURRENTLY form: an error
    /// when it runs CONCURRENTLY inside a transaction block (PostgreSQL
    /// refuses it; `what` names the statement), the `blocking` warning when
    /// it does not run CONCURRENTLY, nothing otherwise.
    pub fn concurrently_finding(
        &self,
        meta: &'static RuleMeta,
        what: &str,
        concurrently: bool,
        in_transaction: bool,
        blocking: impl FnOnce() -> String,
        fix: String,
    ) -> Option<Finding> {
        let finding = if concurrently && in_transaction {
            let message = format!(
                "{what} runs inside a transaction block: PostgreSQL refuses it, and the migration fails.{}",
                self.opt_out_hint()
            );
            Finding::new(meta, message, fix).severity(Severity::Error)
        } else if !concurrently {
            Finding::new(meta, blocking(), fix)
        } else {
            return None;
        };
        Some(finding.at(self.location()))
    }

    /// The statement's change to a PostgreSQL table that existed before
    /// its file (the hazard rules' input); `None` for anything else.
    pub fn existing_table_change(&self) -> Option<&crate::parse::migration::Change> {
        match &self.statement.event {
            crate::parse::migration::Event::Change(c)
                if self.dialect == Dialect::Postgres && !c.table_new_in_file =>
            {
                Some(c)
            }
            _ => None,
        }
    }
}

/// What a workload rule sees: the sessions and loops of a log digest.
pub struct WorkloadContext<'a> {
    pub workload: &'a Workload,
    pub dialect: Dialect,
}

/// What an advice rule sees: the advisor's facts (indexes with what they
/// buy, columns hidden behind functions).
pub struct AdviceContext<'a> {
    pub indexes: &'a [AdvisedIndex],
    pub wrapped: &'a [WrappedColumn],
    pub dialect: Dialect,
}

/// The kinds of input a rule reads, as it declares them ([`Rule::reads`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reads {
    Plan,
    Schema,
    /// Migration files as `dbperf lint` replays them: their statements, the
    /// schema they leave, and the application's `--queries` against it.
    /// The rules that read it are lint's.
    Migration,
    Workload,
    Advice,
    PostgresFacts,
    SqliteFacts,
}

/// Everything one detection pass may look at; an analysis fills what it
/// has and [`run`] calls each rule on each input it reads.
#[derive(Default)]
pub struct Inputs<'a> {
    pub plan: Option<PlanContext<'a>>,
    pub schema: Option<SchemaContext<'a>>,
    pub migration: Option<MigrationContext<'a>>,
    pub workload: Option<WorkloadContext<'a>>,
    pub advice: Option<AdviceContext<'a>>,
    pub postgres: Option<&'a PgFacts>,
    pub sqlite: Option<&'a SqliteFacts>,
}

/// A rule. It declares the inputs it reads and implements one check per
/// input; each check has an empty default.
pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;

    /// The inputs this rule reads.
    fn reads(&self) -> &'static [Reads];

    /// Called once per plan.
    fn check_plan(&self, _ctx: &PlanContext<'_>, _out: &mut Vec<Finding>) {}

    /// Called once per plan after every rule's [`Rule::check_plan`], with
    /// all their findings: for a rule that speaks only where no other did.
    fn review_plan(&self, _ctx: &PlanContext<'_>, _out: &mut Vec<Finding>) {}

    /// Called once per schema (catalog, DDL file, or replayed migrations).
    fn check_schema(&self, _ctx: &SchemaContext<'_>, _out: &mut Vec<Finding>) {}

    /// Called once per replayed migration statement.
    fn check_migration(&self, _ctx: &MigrationContext<'_>, _out: &mut Vec<Finding>) {}

    /// Called once per log workload (sessions and their loops).
    fn check_workload(&self, _ctx: &WorkloadContext<'_>, _out: &mut Vec<Finding>) {}

    /// Called once per piece of index advice.
    fn check_advice(&self, _ctx: &AdviceContext<'_>, _out: &mut Vec<Finding>) {}

    /// Called once per live PostgreSQL database (activity counters).
    fn check_postgres(&self, _facts: &PgFacts, _out: &mut Vec<Finding>) {}

    /// Called once per SQLite file (statistics and settings).
    fn check_sqlite(&self, _facts: &SqliteFacts, _out: &mut Vec<Finding>) {}
}

/// Declares a rule's unit struct and its [`RuleMeta`], taking the doc comment
/// as the documentation:
///
/// ```ignore
/// declare_rule! {
///     /// ## What it does
///     /// …
///     pub struct SeqScan {
///         id: "seq-scan",
///         severity: Warning,
///         summary: "A sequential scan reads a large table to return few rows",
///     }
/// }
/// ```
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident {
            id: $id:literal,
            severity: $sev:ident,
            summary: $summary:literal $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        pub struct $name;

        impl $name {
            pub const META: $crate::detect::RuleMeta = $crate::detect::RuleMeta {
                id: $id,
                severity: $crate::detect::Severity::$sev,
                summary: $summary,
                doc: concat!($($doc, "\n"),*),
            };
        }
    };
}

/// Runs every rule on every input it reads, in registry order, and ranks
/// the findings. Plan findings carry the plan's query fingerprint.
pub fn run(inputs: &Inputs<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(ctx) = &inputs.plan {
        for rule in rules::ALL {
            rule.check_plan(ctx, &mut out);
        }
        for rule in rules::ALL {
            rule.review_plan(ctx, &mut out);
        }
        for f in &mut out {
            if f.query_fingerprint.is_none() {
                f.query_fingerprint = ctx.query_fingerprint.map(str::to_string);
            }
        }
    }
    for rule in rules::ALL {
        if let Some(ctx) = &inputs.schema {
            rule.check_schema(ctx, &mut out);
        }
        if let Some(ctx) = &inputs.migration {
            rule.check_migration(ctx, &mut out);
        }
        if let Some(ctx) = &inputs.workload {
            rule.check_workload(ctx, &mut out);
        }
        if let Some(ctx) = &inputs.advice {
            rule.check_advice(ctx, &mut out);
        }
        if let Some(facts) = inputs.postgres {
            rule.check_postgres(facts, &mut out);
        }
        if let Some(facts) = inputs.sqlite {
            rule.check_sqlite(facts, &mut out);
        }
    }
    rank(&mut out);
    out
}

/// The rules `dbperf lint` runs: those that read migrations.
pub fn lint_rules() -> impl Iterator<Item = &'static dyn Rule> {
    rules::ALL
        .iter()
        .copied()
        .filter(|r| r.reads().contains(&Reads::Migration))
}

/// Most time saved first, then most severe, then rule id for a stable order.
pub fn rank(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.impact_ms
            .unwrap_or(-1.0)
            .total_cmp(&a.impact_ms.unwrap_or(-1.0))
            .then(b.severity.cmp(&a.severity))
            .then(a.rule.cmp(b.rule))
    });
}

/// Looks a rule up by id.
pub fn find_rule(id: &str) -> Option<&'static dyn Rule> {
    rules::ALL.iter().copied().find(|r| r.meta().id == id)
}
