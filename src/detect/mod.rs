//! Detection: rules read the model and report findings.
//!
//! A rule is one file under `rules/`, named after the pattern it flags. Its
//! doc comment, declared through [`declare_rule!`], is its documentation:
//! `dbperf rule ID` prints it and `rules/<id>.md` is generated from it. Rules
//! never do I/O; they get a plan, a schema or a workload and push
//! [`Finding`]s.

pub mod evidence;
pub mod rules;

pub use crate::model::finding::{Finding, Location, RuleMeta, Severity};
use crate::model::plan::Plan;
use crate::model::schema::Schema;

/// What a plan rule sees: the plan and, when given, the schema.
pub struct PlanContext<'a> {
    pub plan: &'a Plan,
    pub schema: Option<&'a Schema>,
    pub query_fingerprint: Option<&'a str>,
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

/// A rule. Each check has an empty default so a rule implements only the
/// inputs it understands.
pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;

    /// Called once per plan.
    fn check_plan(&self, _ctx: &PlanContext<'_>, _out: &mut Vec<Finding>) {}

    /// Called once per schema (catalog, DDL file, or replayed migrations).
    fn check_schema(&self, _schema: &Schema, _out: &mut Vec<Finding>) {}
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

/// Runs every plan rule on `plan` and ranks the findings by impact.
pub fn check_plan(ctx: &PlanContext<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in rules::ALL {
        rule.check_plan(ctx, &mut out);
    }
    for f in &mut out {
        if f.query_fingerprint.is_none() {
            f.query_fingerprint = ctx.query_fingerprint.map(str::to_string);
        }
    }
    rank(&mut out);
    out
}

/// Runs every schema rule.
pub fn check_schema(schema: &Schema) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in rules::ALL {
        rule.check_schema(schema, &mut out);
    }
    rank(&mut out);
    out
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
