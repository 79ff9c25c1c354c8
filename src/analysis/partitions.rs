//! A finding repeated on every partition that one Append scans is one
//! problem of the partitioned table: said once, at the partition where it
//! cost most, with the others counted and their indexes kept beside it.
//!
//! PostgreSQL names the scans of a partitioned table's partitions with the
//! table's alias and a number (`Seq Scan on events_3 events_4`: partition
//! `events_3`, alias `events_4` for the query's `events`). Siblings under
//! one `Append` / `Merge Append` whose aliases share such a base, and whose
//! tables are named after it (`events_…`), are partitions of the table the
//! base names. Only findings whose advice reads the same once the
//! partition's name is taken out are folded: a partition with advice of its
//! own keeps its own finding.

use std::collections::HashMap;

use crate::detect::Finding;
use crate::model::finding::Location;
use crate::model::fmt::{fmt_count, ms};
use crate::model::plan::Plan;

/// The partitions of one table that one Append scans.
struct Partitions {
    /// The partitioned table, as the query named it.
    table: String,
    /// node id → the partition's table name.
    scans: HashMap<usize, String>,
}

/// `events_4` → `events`: the alias base of a partition's scan.
fn alias_base(alias: &str) -> Option<&str> {
    let (base, n) = alias.rsplit_once('_')?;
    (!base.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())).then_some(base)
}

fn partition_groups(plan: &Plan) -> Vec<Partitions> {
    let mut out = Vec::new();
    for (ix, n) in plan.nodes() {
        if !matches!(&*n.node_type, "Append" | "Merge Append") {
            continue;
        }
        let mut by_base: HashMap<&str, Partitions> = HashMap::new();
        for c in plan.children(ix) {
            let c = &plan.graph[c];
            let (Some(rel), Some(alias)) = (c.relation.as_deref(), c.alias.as_deref()) else {
                continue;
            };
            let Some(base) = alias_base(alias) else {
                continue;
            };
            // `rel` starts with `{base}_` (a string made per child was
            // 34,000 allocations on a plan of that many branches).
            if !rel
                .strip_prefix(base)
                .is_some_and(|rest| rest.starts_with('_'))
            {
                continue;
            }
            by_base
                .entry(base)
                .or_insert_with(|| Partitions {
                    table: base.to_string(),
                    scans: HashMap::new(),
                })
                .scans
                .insert(c.id, rel.to_string());
        }
        out.extend(by_base.into_values().filter(|p| p.scans.len() > 1));
    }
    out.sort_by(|a, b| a.table.cmp(&b.table));
    out
}

/// Folds the findings repeated on the partitions of one Append into one
/// each (see the module's header); the rest pass unchanged, in rank order.
pub fn fold(findings: Vec<Finding>, plan: &Plan) -> Vec<Finding> {
    let groups = partition_groups(plan);
    if groups.is_empty() {
        return findings;
    }
    let at = |f: &Finding| match &f.location {
        Some(Location::PlanNode { id, .. }) => groups
            .iter()
            .enumerate()
            .find_map(|(g, p)| p.scans.get(id).map(|rel| (g, rel.clone()))),
        _ => None,
    };
    // (group, rule, advice without the partition's name) → findings' positions.
    let mut same: HashMap<(usize, &'static str, String), Vec<usize>> = HashMap::new();
    let mut order = Vec::new();
    for (i, f) in findings.iter().enumerate() {
        if let Some((g, rel)) = at(f) {
            let key = (g, f.rule, f.advice.replace(&rel, "\u{0}"));
            let list = same.entry(key.clone()).or_default();
            if list.is_empty() {
                order.push(key);
            }
            list.push(i);
        }
    }
    let mut slots: Vec<Option<Finding>> = findings.into_iter().map(Some).collect();
    for key in order {
        let list = &same[&key];
        if list.len() < 2 {
            continue;
        }
        let members: Vec<Finding> = list.iter().filter_map(|&i| slots[i].take()).collect();
        // Findings come ranked: the first cost most.
        let mut host = members[0].clone();
        let total: f64 = members.iter().filter_map(|f| f.impact_ms).sum();
        let table = &groups[key.0].table;
        host.message = format!(
            "{} The same on {} more partitions of {table} scanned by this query{}.",
            host.message,
            fmt_count((members.len() - 1) as f64),
            if members.iter().any(|f| f.impact_ms.is_some()) {
                format!(", {} in all", ms(total))
            } else {
                String::new()
            }
        );
        if members.iter().any(|f| f.impact_ms.is_some()) {
            host.impact_ms = Some(total);
        }
        host.severity = members
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(host.severity);
        for m in &members[1..] {
            host.also.extend(m.index.iter().cloned());
            host.also.extend(m.also.iter().cloned());
        }
        if host.index.is_none() && !host.also.is_empty() {
            host.index = Some(host.also.remove(0));
        }
        if host.index.is_some() {
            host.advice.push_str(&format!(
                "\nEvery partition needs it (each statement is in the ranked list), or build it once on {table}: a plain CREATE INDEX on the partitioned table builds it on each partition (without CONCURRENTLY: writes wait while it builds)."
            ));
        }
        slots[list[0]] = Some(host);
    }
    let mut out: Vec<Finding> = slots.into_iter().flatten().collect();
    crate::detect::rank(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_base_is_the_alias_before_its_number() {
        assert_eq!(alias_base("events_4"), Some("events"));
        assert_eq!(alias_base("audit_log_12"), Some("audit_log"));
        assert_eq!(alias_base("events"), None);
        assert_eq!(alias_base("events_x"), None);
        assert_eq!(alias_base("_3"), None);
    }
}
