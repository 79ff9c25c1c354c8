//! Analysis: one module per job, each joining the stages into a pipeline
//! and returning a [`Report`](crate::model::report::Report) for its command
//! to render.
//!
//! - [`plan`]: one pasted plan (`dbperf explain`);
//! - [`plan_diff`]: two plans of one statement (`dbperf explain --compare`);
//! - [`workload`]: a workload file against a schema (`dbperf advise`);
//! - [`postgres`]: a live PostgreSQL database (`dbperf analyze --db postgres://`);
//! - [`sqlite`]: a SQLite file and its workload, and the demo;
//! - [`log`]: slow-query logs (`dbperf analyze --log`);
//! - [`lint`]: migration files (`dbperf lint`).
//!
//! An analysis reads through [`crate::source`], parses with
//! [`crate::parse`], finds with [`crate::detect`] and advises with
//! [`crate::advise`]; it never renders (that is [`crate::report`]'s, called
//! by the commands) and never reads a flag (its inputs come resolved from
//! [`crate::config`]). Analyses may share each other's pieces: the log
//! digest verifies its advice through the live PostgreSQL pipeline.

pub mod lint;
pub mod log;
mod partitions;
pub mod plan;
pub mod plan_diff;
pub mod postgres;
pub mod sqlite;
pub mod workload;

/// One truth per report: a finding whose fix is an index the ranked list
/// does not hold, where the list holds one on the same table that serves
/// it (it helps the finding's statement, or, for a finding about no
/// statement such as a foreign key, its keys lead with the finding's),
/// prints that index and its rank instead of a second one; a finding whose
/// index is in the list gives its rank. `indexes` are in rank order.
/// (`analyze --db` does the same, with HypoPG's verdicts, in
/// `postgres::one_truth`.)
pub(crate) fn point_to_ranked(
    findings: &mut [crate::detect::Finding],
    indexes: &[crate::model::index::IndexRecommendation],
    dialect: crate::model::Dialect,
) {
    use crate::model::index::keys_match;
    for f in findings.iter_mut() {
        let Some(spec) = f.index.clone() else {
            continue;
        };
        let old = spec.statement(dialect);
        if !f.also.is_empty() || !f.advice.contains(&old) {
            continue;
        }
        let table = spec.qualified_table();
        let on_table = |r: &&crate::model::index::IndexRecommendation| {
            r.spec.qualified_table() == table && r.spec.predicate == spec.predicate
        };
        let leads = |r: &&crate::model::index::IndexRecommendation| {
            spec.keys.len() <= r.spec.keys.len()
                && spec
                    .keys
                    .iter()
                    .zip(&r.spec.keys)
                    .all(|(a, b)| keys_match(a, b))
        };
        let host = indexes
            .iter()
            .filter(on_table)
            .find(|r| r.statement == old)
            .or_else(|| match &f.query_fingerprint {
                Some(fp) => indexes
                    .iter()
                    .filter(on_table)
                    .find(|r| r.queries.contains(fp) && leads(r)),
                None => indexes.iter().filter(on_table).find(leads),
            });
        let Some(r) = host else {
            continue;
        };
        // An SQL comment, so the line still runs as it is copied.
        let new = if r.statement == old {
            format!("{old}  -- index #{} of the ranked list", r.rank)
        } else {
            format!(
                "{}  -- index #{} of the ranked list, which serves this too",
                r.statement, r.rank
            )
        };
        f.advice = f.advice.replace(&old, &new);
        f.index = Some(r.spec.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Dialect;
    use crate::model::index::{IndexRecommendation, IndexSpec};

    fn ranked(rank: usize, spec: IndexSpec, queries: &[&str]) -> IndexRecommendation {
        IndexRecommendation {
            rank,
            score: 1.0,
            queries: queries.iter().map(|q| q.to_string()).collect(),
            ..IndexRecommendation::new(
                spec,
                Dialect::Sqlite,
                crate::model::index::Verification::Planner,
            )
        }
    }

    fn finding(spec: IndexSpec, fp: Option<&str>) -> crate::detect::Finding {
        static META: crate::model::finding::RuleMeta = crate::model::finding::RuleMeta {
            id: "fk-without-index",
            severity: crate::model::finding::Severity::Warning,
            summary: "",
            doc: "",
        };
        let mut f = crate::detect::Finding::new(
            &META,
            "m",
            format!("fix: {}", spec.statement(Dialect::Sqlite)),
        )
        .with_index(Some(spec));
        f.query_fingerprint = fp.map(str::to_string);
        f
    }

    #[test]
    fn a_finding_points_to_the_ranked_index_that_serves_it() {
        let wide = IndexSpec::new("invoices", &["account_id", "issued_on"]);
        let list = vec![
            ranked(1, wide.clone(), &["q1"]),
            ranked(2, IndexSpec::new("lines", &["sku"]), &["q2"]),
        ];
        let mut fs = vec![
            // A foreign key the wider index leads with.
            finding(IndexSpec::new("invoices", &["account_id"]), None),
            // A scan of a statement the wider index helps.
            finding(IndexSpec::new("invoices", &["account_id"]), Some("q1")),
            // The list's own index.
            finding(IndexSpec::new("lines", &["sku"]), Some("q2")),
            // A column the list's index does not lead with: left alone.
            finding(IndexSpec::new("invoices", &["issued_on"]), None),
            // A statement the list's index does not help: left alone.
            finding(IndexSpec::new("invoices", &["account_id"]), Some("q9")),
        ];
        point_to_ranked(&mut fs, &list, Dialect::Sqlite);
        let to_wide = format!(
            "{}  -- index #1 of the ranked list, which serves this too",
            wide.statement(Dialect::Sqlite)
        );
        assert!(fs[0].advice.ends_with(&to_wide), "{}", fs[0].advice);
        assert!(fs[1].advice.ends_with(&to_wide), "{}", fs[1].advice);
        assert_eq!(fs[0].index.as_ref(), Some(&wide));
        assert!(fs[2].advice.ends_with("  -- index #2 of the ranked list"));
        assert!(!fs[3].advice.contains("ranked list"));
        assert!(!fs[4].advice.contains("ranked list"));
    }
}
