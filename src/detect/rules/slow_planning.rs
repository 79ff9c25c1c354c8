use crate::declare_rule;
use crate::detect::evidence::ms;
use crate::detect::{Finding, PlanContext, Reads, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags a statement whose planning took longer than its execution, and
    /// at least 10 ms.
    ///
    /// ## Why is this bad?
    /// Planning is paid on every execution of an unprepared statement. Long
    /// planning comes from many joins (the search space grows
    /// exponentially), many partitions without pruning at plan time, or
    /// heavy statistics lookups; for a fast query it is most of the cost.
    ///
    /// ## Example
    /// ```text
    /// Planning Time: 48.211 ms
    /// Execution Time: 1.902 ms
    /// ```
    ///
    /// ## Use instead
    /// Prepare the statement (most drivers do with server-side prepared
    /// statements) so the plan is reused; for partitioned tables, make the
    /// partition key a constant or parameter the planner can prune on; for
    /// very many joins, lower `join_collapse_limit` / `from_collapse_limit`.
    pub struct SlowPlanning {
        id: "slow-planning",
        severity: Info,
        summary: "Planning took longer than executing the statement",
    }
}

impl Rule for SlowPlanning {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Plan]
    }

    fn check_plan(&self, ctx: &PlanContext<'_>, out: &mut Vec<Finding>) {
        let (Some(plan_ms), Some(exec)) = (ctx.plan.planning_ms, ctx.plan.execution_ms) else {
            return;
        };
        if plan_ms < 10.0 || plan_ms <= exec {
            return;
        }
        out.push(
            Finding::new(
                &Self::META,
                format!(
                    "Planning took {} but execution only {}.",
                    ms(plan_ms),
                    ms(exec)
                ),
                "Use a prepared statement so the plan is reused; check partition pruning and the number of joined relations.".to_string(),
            )
            .impact(Some(plan_ms - 1.0))
            .at(crate::detect::Location::Plan {
                part: "Planning".into(),
            }),
        );
    }
}
