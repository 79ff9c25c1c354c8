use crate::declare_rule;
use crate::detect::evidence::node_location;
use crate::detect::{Finding, PlanContext, Reads, Rule, RuleMeta};
use crate::model::plan::PlanNode;

declare_rule! {
    /// ## What it does
    /// Flags a sort, hash or aggregate that ran out of `work_mem` and
    /// spilled to temporary files: `Sort Method: external merge  Disk: …`,
    /// a Hash with more than one batch, a HashAggregate with `Disk Usage`.
    ///
    /// ## Why is this bad?
    /// Writing and re-reading temporary files is many times slower than
    /// working in memory, and it competes with every other query for I/O.
    ///
    /// ## Example
    /// ```text
    /// Sort  (actual time=412.3..498.2 rows=500000 loops=1)
    ///   Sort Key: created_at
    ///   Sort Method: external merge  Disk: 23480kB
    /// ```
    ///
    /// ## Use instead
    /// Give the operation the memory it needs, for this query or role rather
    /// than server-wide (`work_mem` is per operation, per connection):
    /// ```sql
    /// SET work_mem = '64MB';
    /// ```
    /// Or avoid the operation: an index that delivers the order, or fewer
    /// rows and columns reaching it.
    pub struct DiskSpill {
        id: "disk-spill",
        severity: Warning,
        summary: "A sort, hash or aggregate spilled to disk",
    }
}

impl Rule for DiskSpill {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Plan]
    }

    fn check_plan(&self, ctx: &PlanContext<'_>, out: &mut Vec<Finding>) {
        for (_, n) in ctx.plan.nodes() {
            let Some((what, spilled_kb)) = spill(n) else {
                continue;
            };
            // It spilled under the work_mem it ran with: more than that.
            let need = suggested_work_mem_mb(spilled_kb)
                .max((work_mem_kb(ctx.plan) / 1024 + 1).next_power_of_two());
            let message = format!(
                "{} spilled to disk: {what}.{}",
                n.title(),
                n.exclusive_ms
                    .map(|t| format!(" The node took {}.", crate::model::fmt::ms(t)))
                    .unwrap_or_default()
            );
            let advice = format!(
                "Raise work_mem for this query so it fits in memory, e.g. `SET work_mem = '{need}MB';` (per operation and connection: set it for the session or role, not server-wide), or avoid the {} with an index that delivers the rows in order or by sending fewer rows to it.",
                if n.node_type == "Sort" {
                    "sort"
                } else {
                    "hash"
                }
            );
            out.push(
                Finding::new(&Self::META, message, advice)
                    .impact(n.exclusive_ms.map(|t| t * 0.5))
                    .at(node_location(n)),
            );
        }
    }
}

/// What spilled and how many kB went to disk.
fn spill(n: &PlanNode) -> Option<(String, u64)> {
    if n.sort_space_type.as_deref() == Some("Disk")
        || n.sort_method
            .as_deref()
            .is_some_and(|m| m.starts_with("external"))
    {
        let kb = n.sort_space_kb.unwrap_or(n.buffers.temp_written * 8);
        return Some((
            format!(
                "Sort Method {} used {} kB of disk",
                n.sort_method.as_deref().unwrap_or("external"),
                kb
            ),
            kb,
        ));
    }
    if n.node_type == "Hash" && n.hash_batches.is_some_and(|b| b > 1) {
        let batches = n.hash_batches.unwrap_or(1);
        let kb = n.peak_memory_kb.unwrap_or(0) * batches;
        return Some((
            format!(
                "the hash table was split into {batches} batches (planned {})",
                n.original_hash_batches.unwrap_or(batches)
            ),
            kb.max(n.buffers.temp_written * 8),
        ));
    }
    if n.node_type == "Aggregate" && n.disk_usage_kb.is_some_and(|d| d > 0) {
        let kb = n.disk_usage_kb.unwrap_or(0);
        return Some((
            format!(
                "the hash aggregate wrote {kb} kB in {} batches",
                n.hash_batches.unwrap_or(1)
            ),
            kb + n.peak_memory_kb.unwrap_or(0),
        ));
    }
    None
}

/// The work_mem the plan ran with, in kB: its `Settings` line (EXPLAIN
/// SETTINGS prints the ones changed from the default), else PostgreSQL's
/// default of 4 MB.
fn work_mem_kb(plan: &crate::model::plan::Plan) -> u64 {
    const DEFAULT_KB: u64 = 4096;
    let Some((_, v)) = plan
        .settings
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("work_mem"))
    else {
        return DEFAULT_KB;
    };
    let v = v.trim();
    let digits = v.bytes().take_while(u8::is_ascii_digit).count();
    let Ok(n) = v[..digits].parse::<u64>() else {
        return DEFAULT_KB;
    };
    match v[digits..].trim().to_ascii_lowercase().as_str() {
        "" | "kb" => n,
        "mb" => n * 1024,
        "gb" => n * 1024 * 1024,
        "tb" => n * 1024 * 1024 * 1024,
        _ => DEFAULT_KB,
    }
}

/// Spilled size with headroom, rounded up to a power of two, in MB (≥ 4).
fn suggested_work_mem_mb(kb: u64) -> u64 {
    let mb = (kb as f64 * 1.5 / 1024.0).ceil() as u64;
    mb.max(4).next_power_of_two()
}
