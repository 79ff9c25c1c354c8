use crate::declare_rule;
use crate::detect::evidence::{ms, pct};
use crate::detect::{Finding, PlanContext, Reads, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags a plan where JIT compilation took at least 10% of the execution
    /// time (and at least 10 ms).
    ///
    /// ## Why is this bad?
    /// PostgreSQL compiles expressions with LLVM when the plan's estimated
    /// cost passes `jit_above_cost`. For short queries with a high estimate
    /// (often from a misestimate), compiling costs more than it saves, on
    /// every execution.
    ///
    /// ## Example
    /// ```text
    /// JIT:
    ///   Functions: 12
    ///   Timing: Generation 1.8 ms, Inlining 60.2 ms, Optimization 101.4 ms, Emission 58.0 ms, Total 221.4 ms
    /// Execution Time: 260.3 ms
    /// ```
    ///
    /// ## Use instead
    /// Raise the thresholds (`SET jit_above_cost = 500000;`,
    /// `jit_inline_above_cost`, `jit_optimize_above_cost`) or turn JIT off
    /// for OLTP workloads: `ALTER ROLE app SET jit = off;`.
    pub struct JitOverhead {
        id: "jit-overhead",
        severity: Warning,
        summary: "JIT compilation took a large share of the execution time",
    }
}

impl Rule for JitOverhead {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Plan]
    }

    fn check_plan(&self, ctx: &PlanContext<'_>, out: &mut Vec<Finding>) {
        let Some(jit) = &ctx.plan.jit else { return };
        let (Some(total), Some(exec)) = (jit.total_ms, ctx.plan.execution_ms) else {
            return;
        };
        if total < 10.0 || total < exec * 0.1 {
            return;
        }
        out.push(
            Finding::new(
                &Self::META,
                format!(
                    "JIT compilation of {} functions took {} of the {} execution ({}).",
                    jit.functions.unwrap_or(0),
                    ms(total),
                    ms(exec),
                    pct(total / exec.max(0.001))
                ),
                "Raise jit_above_cost (and jit_inline_above_cost, jit_optimize_above_cost) so this query is not compiled, or turn JIT off for this role: `ALTER ROLE … SET jit = off;`.".to_string(),
            )
            .impact(Some(total))
            .at(crate::detect::Location::Plan {
                part: "JIT".into(),
            }),
        );
    }
}
