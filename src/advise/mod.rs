//! Advice: which indexes to build, ranked by the time they would save.
//!
//! Rules and the workload advisor describe an index as an
//! [`IndexSpec`] (in [`crate::model::index`]); this module merges specs
//! that one index can serve and ranks the result into
//! [`IndexRecommendation`]s (the `indexes` of the JSON report).

pub mod fk_checks;
pub mod hypopg;
pub mod sqlite_verify;
pub mod workload;
pub mod write_cost;

use std::collections::HashMap;

use crate::model::Dialect;
use crate::model::index::{IndexRecommendation, IndexSpec, Verification, keys_match};

/// Merges specs that one index serves (equal, or a left prefix of another on
/// the same table and predicate), sums their scores and ranks them.
///
/// Each input is a spec with the score it would earn and the query it helps.
pub fn rank_indexes(
    wanted: Vec<(IndexSpec, f64, String, String)>,
    dialect: Dialect,
) -> Vec<IndexRecommendation> {
    let mut merged: Vec<IndexRecommendation> = Vec::new();
    // The merged indexes of each table and predicate, in the order they
    // were added: a spec is compared with its own table's only (linear in
    // the number of specs, not quadratic).
    let mut by_table: HashMap<(String, Option<String>), Vec<usize>> = HashMap::new();
    // Longest first, so a shorter spec folds into a longer one that serves it.
    let mut wanted = wanted;
    wanted.sort_by(|a, b| {
        b.0.keys
            .len()
            .cmp(&a.0.keys.len())
            .then(b.1.total_cmp(&a.1))
    });
    for (spec, score, query, reason) in wanted {
        let key = (spec.qualified_table(), spec.predicate.clone());
        let hosts = by_table.entry(key).or_default();
        let host = hosts.iter().copied().find(|&i| {
            let r = &merged[i].spec;
            spec.keys.len() <= r.keys.len()
                && spec.keys.iter().zip(&r.keys).all(|(a, b)| keys_match(a, b))
        });
        match host {
            Some(i) => {
                let r = &mut merged[i];
                r.score += score;
                if !r.queries.contains(&query) {
                    r.queries.push(query);
                }
            }
            None => {
                hosts.push(merged.len());
                merged.push(IndexRecommendation {
                    score,
                    queries: vec![query],
                    reason,
                    requires: spec.requires(),
                    ..IndexRecommendation::new(spec, dialect, Verification::Heuristic)
                });
            }
        }
    }
    merged.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.statement.cmp(&b.statement))
    });
    for (i, r) in merged.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_specs_merge_into_the_longer_index() {
        let short = IndexSpec::new("orders", &["customer_id"]);
        let long = IndexSpec::new("orders", &["customer_id", "created_at"]);
        let ranked = rank_indexes(
            vec![
                (short, 10.0, "q1".into(), String::new()),
                (long, 5.0, "q2".into(), String::new()),
            ],
            Dialect::Postgres,
        );
        assert_eq!(ranked.len(), 1);
        assert_eq!(ranked[0].score, 15.0);
        assert_eq!(ranked[0].queries, vec!["q2", "q1"]);
    }
}
