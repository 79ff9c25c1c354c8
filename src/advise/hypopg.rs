//! What-if verification with HypoPG (through a [`Planner`]): each
//! candidate of the workload advisor is created as a hypothetical index, the statements it is meant
//! to help are planned again, and only a candidate that the planner uses
//! and that lowers the planned cost by at least [`MIN_COST_GAIN`] is kept.
//! `cost_before`/`cost_after` and the index size then come from
//! PostgreSQL itself; the saving per call is the measured mean time scaled
//! by the cost ratio.
//!
//! Every hypothetical index is dropped (`hypopg_reset()`) right after its
//! what-if, whether the planning succeeded or not.

use std::collections::HashMap;

use super::workload::{AdvisedIndex, MS_PER_COST_UNIT, QueryGain, reason};
use crate::model::fmt::round3;
use crate::model::index::Verification;
use crate::model::plan::Plan;
use crate::model::planner::Planner;
use crate::sql::fingerprint::Fingerprint;

/// A hypothetical index must cut a statement's planned cost by this share
/// for the statement to count as helped.
pub const MIN_COST_GAIN: f64 = 0.3;

/// What a verification run did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub kept: Vec<AdvisedIndex>,
    /// Candidates the planner did not use or that did not lower the cost
    /// enough, with the reason.
    pub rejected: Vec<(String, String)>,
    /// Statements that could not be planned (fingerprint, error).
    pub failures: Vec<(Fingerprint, String)>,
    /// EXPLAIN calls made.
    pub explains: usize,
    /// Candidates left heuristic because the EXPLAIN budget ran out.
    pub unverified: Vec<AdvisedIndex>,
}

/// The `CREATE INDEX` HypoPG takes: no `CONCURRENTLY`, no name.
pub fn hypothetical_statement(statement: &str) -> String {
    let s = statement.trim().trim_end_matches(';');
    match s.find(" ON ") {
        Some(p) if s.starts_with("CREATE INDEX") => format!("CREATE INDEX{}", &s[p..]),
        _ => s.to_string(),
    }
}

/// Whether the plan reads through a HypoPG index (`<13556>btree_…`).
pub fn uses_hypothetical(plan: &Plan) -> bool {
    plan.nodes().any(|(_, n)| {
        n.index_name
            .as_deref()
            .is_some_and(|i| i.starts_with('<') && i.contains('>'))
    })
}

/// Verifies `candidates` in the session. `baseline` holds the planned
/// cost of each statement as it runs today (by fingerprint), `mean_ms`
/// its measured mean time; `budget` bounds the EXPLAIN calls.
pub async fn verify(
    session: &mut impl Planner,
    candidates: Vec<AdvisedIndex>,
    baseline: &HashMap<Fingerprint, f64>,
    mean_ms: &HashMap<Fingerprint, f64>,
    mut budget: usize,
) -> Outcome {
    let mut out = Outcome::default();
    for mut cand in candidates {
        let needed = cand.helps.len() * 2 + 1;
        if budget < needed {
            out.unverified.push(cand);
            continue;
        }
        // Cost of each helped statement today (a rewritten one is planned
        // as rewritten, before the index exists).
        let mut before: Vec<Option<f64>> = Vec::with_capacity(cand.helps.len());
        for h in &cand.helps {
            let known = if h.rewritten {
                None
            } else {
                baseline.get(&h.fingerprint).copied()
            };
            let cost = match known {
                Some(c) => Some(c),
                None => {
                    out.explains += 1;
                    budget -= 1;
                    match session.plan(&h.sql).await {
                        Ok((c, _)) => Some(c),
                        Err(e) => {
                            out.failures.push((h.fingerprint, e.message));
                            None
                        }
                    }
                }
            };
            before.push(cost);
        }
        let create = hypothetical_statement(&cand.recommendation.statement);
        let size = match session.hypothesize(&create).await {
            Ok(s) => s,
            Err(e) => {
                let _ = session.forget().await;
                out.rejected.push((
                    cand.recommendation.statement.clone(),
                    format!("HypoPG could not create it: {e}"),
                ));
                continue;
            }
        };
        let mut kept: Vec<QueryGain> = Vec::new();
        let mut why_not = Vec::new();
        for (h, b) in cand.helps.iter().zip(&before) {
            let Some(b) = *b else { continue };
            out.explains += 1;
            budget = budget.saturating_sub(1);
            let after = match session.plan(&h.sql).await {
                Ok(p) => Some(p),
                Err(e) => {
                    out.failures.push((h.fingerprint, e.message));
                    None
                }
            };
            let Some((a, plan)) = after else { continue };
            if !uses_hypothetical(&plan) {
                why_not.push(format!("{}: the planner does not use it", h.fingerprint));
                continue;
            }
            if a > b * (1.0 - MIN_COST_GAIN) {
                why_not.push(format!(
                    "{}: cost {b:.1} → {a:.1}, less than {:.0}% lower",
                    h.fingerprint,
                    MIN_COST_GAIN * 100.0
                ));
                continue;
            }
            let mut g = h.clone();
            g.cost_before = b;
            g.cost_after = a;
            g.saved_ms = match mean_ms.get(&h.fingerprint) {
                Some(ms) if b > 0.0 => ms * (1.0 - a / b).clamp(0.0, 1.0),
                _ => (b - a) * MS_PER_COST_UNIT,
            };
            kept.push(g);
        }
        // Nothing may outlive the what-if, whatever happened above.
        let _ = session.forget().await;
        if kept.is_empty() {
            out.rejected.push((
                cand.recommendation.statement.clone(),
                if why_not.is_empty() {
                    "none of its statements could be planned".into()
                } else {
                    why_not.join("; ")
                },
            ));
            continue;
        }
        kept.sort_by(|a, b| {
            (b.saved_ms * b.calls as f64).total_cmp(&(a.saved_ms * a.calls as f64))
        });
        let rec = &mut cand.recommendation;
        rec.verified = Verification::Hypopg;
        rec.cost_before = Some(round3(kept.iter().map(|g| g.cost_before).sum()));
        rec.cost_after = Some(round3(kept.iter().map(|g| g.cost_after).sum()));
        rec.score = round3(kept.iter().map(|g| g.saved_ms * g.calls as f64).sum());
        rec.queries = kept.iter().map(|g| g.fingerprint.to_string()).collect();
        cand.helps = kept;
        if size > 0 {
            cand.size_bytes = size as f64;
        }
        cand.recommendation.reason = reason(&cand);
        out.kept.push(cand);
    }
    out.kept.sort_by(|a, b| {
        b.recommendation
            .score
            .total_cmp(&a.recommendation.score)
            .then(a.recommendation.statement.cmp(&b.recommendation.statement))
    });
    for (i, c) in out.kept.iter_mut().enumerate() {
        c.recommendation.rank = i + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hypothetical_statement_drops_concurrently_and_name() {
        assert_eq!(
            hypothetical_statement(
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_id_idx ON public.orders (customer_id) INCLUDE (total) WHERE status = 'x';"
            ),
            "CREATE INDEX ON public.orders (customer_id) INCLUDE (total) WHERE status = 'x'"
        );
    }
}
