use crate::declare_rule;
use crate::detect::evidence::node_location;
use crate::detect::{Finding, PlanContext, Reads, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Flags a Gather or Gather Merge that launched fewer parallel workers
    /// than the planner planned for.
    ///
    /// ## Why is this bad?
    /// The plan was chosen assuming the work would be split N+1 ways; with
    /// fewer workers the leader does it alone and the query runs up to that
    /// many times slower. Workers come from a pool shared by all sessions
    /// (`max_parallel_workers`, `max_worker_processes`): it was exhausted.
    ///
    /// ## Example
    /// ```text
    /// Gather  (actual time=0.5..95.1 rows=4 loops=1)
    ///   Workers Planned: 2
    ///   Workers Launched: 0
    /// ```
    ///
    /// ## Use instead
    /// Raise the pool if the machine has idle cores
    /// (`ALTER SYSTEM SET max_parallel_workers = 8;`, and
    /// `max_worker_processes` above it, which needs a restart), or lower
    /// `max_parallel_workers_per_gather` so plans expect what they get.
    pub struct WorkersNotLaunched {
        id: "workers-not-launched",
        severity: Warning,
        summary: "A parallel plan launched fewer workers than planned",
    }
}

impl Rule for WorkersNotLaunched {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Plan]
    }

    fn check_plan(&self, ctx: &PlanContext<'_>, out: &mut Vec<Finding>) {
        for (_, n) in ctx.plan.nodes() {
            let (Some(planned), Some(launched)) = (n.workers_planned, n.workers_launched) else {
                continue;
            };
            if launched >= planned {
                continue;
            }
            // Time lost: the subtree ran on launched+1 processes instead of planned+1.
            let lost = n
                .inclusive_ms
                .map(|t| t * (1.0 - (launched + 1) as f64 / (planned + 1) as f64));
            out.push(
                Finding::new(
                    &Self::META,
                    format!(
                        "{} planned {planned} parallel workers but launched {launched}: the pool of parallel workers was exhausted.",
                        n.title()
                    ),
                    "Check `max_parallel_workers` and `max_worker_processes` against concurrent parallel queries; raise them if cores are idle, or lower `max_parallel_workers_per_gather` so plans expect the workers they will get.".to_string(),
                )
                .impact(lost)
                .at(node_location(n)),
            );
        }
    }
}
