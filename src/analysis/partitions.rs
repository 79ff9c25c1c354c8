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
use crate::model::Dialect;
use crate::model::finding::Location;
use crate::model::fmt::{fmt_count, ms};
use crate::model::index::IndexSpec;
use crate::model::plan::Plan;
use crate::model::schema::Schema;

/// The partitions of one table that one Append scans.
struct Partitions {
    /// The partitioned table, as the query named it.
    table: String,
    /// node id → the partition's table name.
    scans: HashMap<usize, String>,
}

/// `events_4` → `events`: the alias base of a partition's scan.
fn alias_base(alias: &str) -> Option<&str> {
    // `rsplit_once('_')` by memrchr: a plan of 34,000 branches asks this
    // of every child of its Append.
    let cut = memchr::memrchr(b'_', alias.as_bytes())?;
    let (base, n) = (&alias[..cut], &alias[cut + 1..]);
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
        // The same index on every partition is one index of the
        // partitioned table: the ranked list and the advice name the
        // parent's, built by one statement.
        let host_rel = at(&members[0]).map(|(_, rel)| rel).unwrap_or_default();
        let mut parents: Vec<IndexSpec> = Vec::new();
        for spec in members
            .iter()
            .flat_map(|m| m.index.iter().chain(m.also.iter()))
        {
            let parent = IndexSpec {
                table: table.clone(),
                partitioned: true,
                ..spec.clone()
            };
            if !parents.contains(&parent) {
                parents.push(parent);
            }
        }
        for spec in host.index.iter().chain(host.also.iter()) {
            let parent = IndexSpec {
                table: table.clone(),
                partitioned: true,
                ..spec.clone()
            };
            host.advice = host.advice.replace(
                &spec.statement(Dialect::Postgres),
                &parent.statement(Dialect::Postgres),
            );
        }
        if !parents.is_empty() {
            if !host_rel.is_empty() {
                host.advice = host.advice.replace(&host_rel, table);
            }
            host.index = Some(parents.remove(0));
            host.also = parents;
            host.advice.push_str(&parent_note(table));
        }
        slots[list[0]] = Some(host);
    }
    let mut out: Vec<Finding> = slots.into_iter().flatten().collect();
    crate::detect::rank(&mut out);
    out
}

/// How an index of a partitioned table is built, and how to build it
/// without blocking writes.
fn parent_note(table: &str) -> String {
    format!(
        "\nOne statement on the partitioned table {table} builds it on every partition, present and future. It cannot run CONCURRENTLY and blocks writes while it builds; to avoid that, create it ON ONLY {table}, build each partition's index with CREATE INDEX CONCURRENTLY, and attach each with ALTER INDEX … ATTACH PARTITION."
    )
}

/// With the catalog: an index asked for on one partition (a query that
/// pruned to it) is asked for on its partitioned table, which builds it on
/// every partition; the other months' queries need it too.
pub fn on_parents(findings: &mut [Finding], schema: Option<&Schema>) {
    let Some(schema) = schema else { return };
    for f in findings.iter_mut() {
        let mut notes = Vec::new();
        for spec in f.index.iter_mut().chain(f.also.iter_mut()) {
            let Some(parent) = schema
                .table(&spec.qualified_table())
                .and_then(|t| t.partition_of.as_deref())
            else {
                continue;
            };
            let mut p = IndexSpec::new(parent, &[]);
            if p.schema.is_none() {
                p.schema = spec.schema.clone();
            }
            let p = IndexSpec {
                schema: p.schema,
                table: p.table,
                partitioned: true,
                ..spec.clone()
            };
            let (old, new) = (
                spec.statement(Dialect::Postgres),
                p.statement(Dialect::Postgres),
            );
            f.advice = f.advice.replace(&old, &new).replace(
                &crate::detect::evidence::describe_index(spec),
                &crate::detect::evidence::describe_index(&p),
            );
            if !notes.contains(&p.qualified_table()) {
                notes.push(p.qualified_table());
            }
            *spec = p;
        }
        for parent in notes {
            f.advice.push_str(&parent_note(&parent));
        }
    }
}

/// Without the catalog: a scan of `events_2026_11` under the name `events`
/// is what a query on the partitioned table `events`, pruned to one
/// partition, prints; but `FROM events_2026_11 events` prints the same.
/// An index asked for on that table keeps its statement, with a note that
/// says which to choose and how to tell.
pub fn maybe_pruned(findings: &mut [Finding], plan: &Plan) {
    for f in findings.iter_mut() {
        let Some(Location::PlanNode { id, .. }) = &f.location else {
            continue;
        };
        let Some(n) = plan.node_by_id(*id) else {
            continue;
        };
        let (Some(rel), Some(alias)) = (n.relation.as_deref(), n.alias.as_deref()) else {
            continue;
        };
        let named_after = rel
            .strip_prefix(alias)
            .is_some_and(|rest| rest.len() > 1 && rest.starts_with('_'));
        if !named_after || f.index.as_ref().is_none_or(|i| i.table != rel) {
            continue;
        }
        f.advice.push_str(&format!(
            "
{rel} is scanned under the name {alias}: if it is a partition of {alias} that the query was pruned to, create the index on {alias} instead (one statement builds it on every partition, for the other partitions' queries too); `--db` or `--schema` tells."
        ));
    }
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
        assert_eq!(alias_base("events_"), None);
        assert_eq!(alias_base("ereignis_ü_7"), Some("ereignis_ü"));
    }
}
