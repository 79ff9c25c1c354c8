//! A second look at a bounded set (`--budget`, `--max-indexes`): exchanges
//! after the greedy pick.
//!
//! The greedy pick of [`super::select_together`] goes by time saved per
//! byte and cuts a candidate for good the first time it does not fit: the
//! knapsack's weak spot. An index that saves much, but less per byte than
//! those before it, is cut with the room nearly there, and that room goes
//! to indexes that together save less. Here the chosen set is improved by
//! exchanges, each one judged by planning with HypoPG:
//!
//! - a candidate left out comes in when it fits, or when the chosen
//!   indexes that cost least to lose (each one's loss planned without it)
//!   go out to make room and the statements involved then cost less in
//!   total than before;
//! - a candidate with INCLUDE columns, chosen or left out, has a narrower
//!   variant, the same keys alone, that competes too: it may fit where the
//!   covering one does not.
//!
//! An index that comes in takes the place of those it serves (their keys a
//! left prefix of its keys, their INCLUDE columns among its columns); a
//! narrower one may come in beside a wider one when planning says its
//! cheaper scans pay for its bytes. A move is predicted from
//! figures planned one index at a time and planned again as a whole
//! before it is taken, and it is taken only when it lowers the planned
//! cost of the workload, so the set never ends worse than the greedy one.
//! When a move was taken, each index's figures are planned again in order,
//! each with those before it, as the greedy reports them.
//!
//! Every figure is net of the write cost ([`crate::advise::write_cost`]):
//! an index that comes in adds its write cost, one that goes out takes
//! its own away.
//!
//! An index changes the plans of the statements it helped when it was
//! planned alone (its reach); a move re-plans the reach of every index it
//! adds or removes.

use std::collections::HashMap;
use std::sync::Arc;

use super::{
    MIN_MARGINAL_GAIN, MIN_SET_SCORE_MS, Outcome, absorbs, hypothesize_index, saved_ms, set_figures,
};
use crate::advise::workload::{AdvisedIndex, QueryGain, reason};
use crate::advise::write_cost::WriteLoad;
use crate::model::Dialect;
use crate::model::advice::SetLimits;
use crate::model::fmt::round3;
use crate::model::planner::Planner;
use crate::sql::fingerprint::Fingerprint;

/// An index with the statements it can change.
pub(super) struct Held {
    pub cand: AdvisedIndex,
    /// What it saved each statement it helped when planned alone (with the
    /// statements of the indexes it serves).
    pub reach: Vec<QueryGain>,
}

/// One statement of the reach of some index.
struct Stmt {
    sql: Arc<str>,
    fingerprint: Fingerprint,
    calls: u64,
    mean: Option<f64>,
    /// Planned cost today, before any new index.
    base: f64,
    /// Planned cost with the set as it stands.
    now: f64,
}

impl Stmt {
    /// Milliseconds saved over the workload at planned cost `cost`.
    fn value(&self, cost: f64) -> f64 {
        saved_ms(self.mean, self.base, self.base, cost) * self.calls as f64
    }
}

/// A candidate while the set is exchanged.
struct Entry {
    cand: AdvisedIndex,
    /// Indexes into the statement table, ascending.
    reach: Vec<usize>,
    /// Its estimated size is known (a narrower variant is sized by HypoPG
    /// the first time it is planned).
    sized: bool,
    /// Planned and out of the set: what it gains coming in (with the
    /// indexes that serve the same lookups going out). In the set: what
    /// the workload loses without it. `None` until planned, and again once
    /// a move changed the plans of its statements.
    figure: Option<f64>,
    /// A move bringing it in was planned as a whole and did not pay; not
    /// tried again until the set changes.
    tried: bool,
    /// How it came in by an exchange, for its reason.
    note: Option<String>,
}

/// The greedy's choice, improved by exchanges where planning shows they
/// pay (see the module doc). `chosen` is the greedy's set in pick order,
/// `left_out` what it cut for the bound; both with their reach. What goes
/// out is added to `out.cut`, what comes in is taken off it.
#[allow(clippy::too_many_arguments)]
pub(super) async fn exchange(
    session: &mut impl Planner,
    chosen: Vec<Held>,
    left_out: Vec<Held>,
    mean_ms: &HashMap<Fingerprint, f64>,
    limits: SetLimits,
    writes: &WriteLoad,
    budget: &mut usize,
    out: &mut Outcome,
) -> Vec<AdvisedIndex> {
    let write = |c: &AdvisedIndex| writes.cost_ms(c);
    let unchanged = |chosen: Vec<Held>| chosen.into_iter().map(|h| h.cand).collect();
    if left_out.is_empty() && !chosen.iter().any(narrows) {
        return unchanged(chosen);
    }
    let mut stmts: Vec<Stmt> = Vec::new();
    let mut by_sql: HashMap<Arc<str>, usize> = HashMap::new();
    let mut entry = |h: Held, stmts: &mut Vec<Stmt>| {
        let mut reach: Vec<usize> = h
            .reach
            .iter()
            .map(|g| {
                *by_sql.entry(g.sql.clone()).or_insert_with(|| {
                    stmts.push(Stmt {
                        sql: g.sql.clone(),
                        fingerprint: g.fingerprint,
                        calls: g.calls,
                        mean: mean_ms.get(&g.fingerprint).copied(),
                        base: g.cost_before,
                        now: g.cost_before,
                    });
                    stmts.len() - 1
                })
            })
            .collect();
        reach.sort_unstable();
        reach.dedup();
        Entry {
            cand: h.cand,
            reach,
            sized: true,
            figure: None,
            tried: false,
            note: None,
        }
    };
    let mut members: Vec<Entry> = Vec::new();
    for h in chosen {
        let e = entry(h, &mut stmts);
        members.push(e);
    }
    let mut outside: Vec<Entry> = Vec::new();
    for h in left_out {
        let e = entry(h, &mut stmts);
        outside.push(e);
    }
    // Narrower variants: the same keys without INCLUDE, with the reach of
    // the covering one.
    let mut variants = Vec::new();
    for e in members.iter().chain(&outside) {
        let Some(v) = narrower(&e.cand) else { continue };
        let spec = &v.recommendation.spec;
        let known = |x: &Entry| x.cand.recommendation.spec == *spec;
        if members.iter().chain(&outside).any(known) || variants.iter().any(known) {
            continue;
        }
        variants.push(Entry {
            cand: v,
            reach: e.reach.clone(),
            sized: false,
            figure: None,
            tried: false,
            note: None,
        });
    }
    outside.extend(variants);
    if outside.is_empty() {
        return members.into_iter().map(|e| e.cand).collect();
    }

    // The statements' costs with the greedy's set.
    let all: Vec<usize> = (0..stmts.len()).collect();
    let set: Vec<&AdvisedIndex> = members.iter().map(|e| &e.cand).collect();
    if *budget < all.len() + reserve(&members, &[]) {
        return members.into_iter().map(|e| e.cand).collect();
    }
    let Some((costs, _)) = plan_with(session, &set, &all, &stmts, budget, out).await else {
        return members.into_iter().map(|e| e.cand).collect();
    };
    for (i, c) in costs {
        stmts[i].now = c;
    }

    let mut moved = false;
    // Each move strictly lowers the workload's cost, so none repeats; the
    // bound is a guard.
    for _ in 0..4 * (members.len() + outside.len()) {
        // What each index left out would gain coming in (with the ones
        // that serve its lookups going out), planned as a whole.
        for e in &mut outside {
            if e.figure.is_some() {
                continue;
            }
            let forced = forced_out(&members, &e.cand);
            let reach =
                union(std::iter::once(&e.reach).chain(forced.iter().map(|&j| &members[j].reach)));
            if *budget < reach.len() + reserve(&members, &e.reach) {
                break;
            }
            let set: Vec<&AdvisedIndex> = members
                .iter()
                .enumerate()
                .filter(|(j, _)| !forced.contains(j))
                .map(|(_, m)| &m.cand)
                .chain(std::iter::once(&e.cand))
                .collect();
            let Some((costs, sizes)) = plan_with(session, &set, &reach, &stmts, budget, out).await
            else {
                // HypoPG cannot build it: it never comes in.
                e.figure = Some(f64::NEG_INFINITY);
                continue;
            };
            if !e.sized {
                let size = sizes.last().copied().unwrap_or(0);
                e.cand.size_bytes = size as f64;
                e.cand.recommendation.size_bytes = Some(size);
                e.sized = true;
            }
            e.figure = Some(
                gain(&stmts, &costs) - write(&e.cand)
                    + forced.iter().map(|&j| write(&members[j].cand)).sum::<f64>(),
            );
        }
        // What the workload loses without each chosen index.
        for j in 0..members.len() {
            if members[j].figure.is_some() {
                continue;
            }
            if *budget < members[j].reach.len() + reserve(&members, &[]) {
                break;
            }
            let set: Vec<&AdvisedIndex> = members
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != j)
                .map(|(_, e)| &e.cand)
                .collect();
            let reach = members[j].reach.clone();
            let Some((costs, _)) = plan_with(session, &set, &reach, &stmts, budget, out).await
            else {
                break;
            };
            members[j].figure = Some(-gain(&stmts, &costs) - write(&members[j].cand));
        }

        // The best move by its prediction.
        let mut best: Option<(f64, usize, Vec<usize>, bool)> = None;
        for (k, e) in outside.iter().enumerate() {
            let Some(g) = e.figure else { continue };
            if e.tried || g <= MIN_SET_SCORE_MS || !e.sized {
                continue;
            }
            let forced = forced_out(&members, &e.cand);
            let Some(extra) = make_room(&members, &forced, &e.cand, limits) else {
                continue;
            };
            let loss: f64 = extra
                .iter()
                .map(|&j| members[j].figure.unwrap_or(f64::INFINITY))
                .sum();
            let net = g - loss;
            let better = match &best {
                None => true,
                Some((b, bk, ..)) => {
                    net > *b
                        || (net == *b
                            && e.cand.recommendation.statement
                                < outside[*bk].cand.recommendation.statement)
                }
            };
            if net > MIN_SET_SCORE_MS && better {
                let exact = extra.is_empty();
                let mut r = forced;
                r.extend(extra);
                best = Some((net, k, r, exact));
            }
        }
        let Some((predicted, k, mut out_j, exact)) = best else {
            break;
        };
        out_j.sort_unstable();
        let reach = union(
            std::iter::once(&outside[k].reach).chain(out_j.iter().map(|&j| &members[j].reach)),
        );
        let (net, costs) = if exact {
            // Its figure was planned with exactly this move.
            (predicted, None)
        } else {
            if *budget < reach.len() + reserve(&members, &outside[k].reach) {
                break;
            }
            let set: Vec<&AdvisedIndex> = members
                .iter()
                .enumerate()
                .filter(|(j, _)| !out_j.contains(j))
                .map(|(_, e)| &e.cand)
                .chain(std::iter::once(&outside[k].cand))
                .collect();
            let Some((costs, _)) = plan_with(session, &set, &reach, &stmts, budget, out).await
            else {
                outside[k].tried = true;
                continue;
            };
            let writes_saved: f64 = out_j.iter().map(|&j| write(&members[j].cand)).sum();
            (
                gain(&stmts, &costs) - write(&outside[k].cand) + writes_saved,
                Some(costs),
            )
        };
        if net <= MIN_SET_SCORE_MS {
            outside[k].tried = true;
            continue;
        }
        // Take it: the statements involved get their new costs.
        let costs = match costs {
            Some(c) => c,
            None => {
                let set: Vec<&AdvisedIndex> = members
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| !out_j.contains(j))
                    .map(|(_, e)| &e.cand)
                    .chain(std::iter::once(&outside[k].cand))
                    .collect();
                match plan_with(session, &set, &reach, &stmts, budget, out).await {
                    Some((c, _)) => c,
                    None => break,
                }
            }
        };
        for &(i, c) in &costs {
            stmts[i].now = c;
        }
        let incoming = outside.remove(k);
        let mut gone = Vec::new();
        for &j in out_j.iter().rev() {
            gone.push(members.remove(j));
        }
        gone.reverse();
        moved = true;
        let mut incoming = incoming;
        incoming.note = Some(if gone.is_empty() {
            format!(
                "came in on a second look at the bound: it fits beside the others and saves {} ms more",
                round3(net)
            )
        } else {
            format!(
                "came in on a second look at the bound in place of {}: the set saves {} ms more (planned together)",
                gone.iter()
                    .map(|e| e.cand.recommendation.spec.columns().join(", "))
                    .map(|c| format!("({c})"))
                    .collect::<Vec<_>>()
                    .join(", "),
                round3(net)
            )
        });
        let why = format!(
            "exchanged for {} in a second look at the bound: the set saves {} ms more without it (planned together)",
            incoming.cand.recommendation.statement.trim_end_matches(';'),
            round3(net)
        );
        out.cut
            .retain(|(s, _)| *s != incoming.cand.recommendation.statement);
        for g in &gone {
            out.cut
                .push((g.cand.recommendation.statement.clone(), why.clone()));
        }
        // Figures over the statements whose plans changed, or next to an
        // index that came or went (what serves what), are stale.
        let tables: Vec<String> = std::iter::once(&incoming)
            .chain(&gone)
            .map(|e| e.cand.recommendation.spec.qualified_table())
            .collect();
        let changed: Vec<usize> = costs.iter().map(|&(i, _)| i).collect();
        for e in members.iter_mut().chain(outside.iter_mut()) {
            e.tried = false;
            if e.reach.iter().any(|i| changed.binary_search(i).is_ok())
                || tables.contains(&e.cand.recommendation.spec.qualified_table())
            {
                e.figure = None;
            }
        }
        // In the place of the first index it replaces: the figures are
        // planned in this order.
        match out_j.first() {
            Some(&j) => members.insert(j, incoming),
            None => members.push(incoming),
        }
        for mut g in gone {
            g.figure = None;
            outside.push(g);
        }
    }
    if !moved {
        // The greedy's set stands as it was, figures and all.
        return members.into_iter().map(|e| e.cand).collect();
    }
    attribute(session, members, &mut stmts, budget, out).await
}

/// Whether a candidate has a narrower variant (see [`narrower`]).
fn narrows(h: &Held) -> bool {
    narrower(&h.cand).is_some()
}

/// The same keys without INCLUDE columns, when `c` has some (and no OR
/// partners, which need it as it is): a smaller index for the same
/// lookups, without the index-only scans. Sized when first planned.
fn narrower(c: &AdvisedIndex) -> Option<AdvisedIndex> {
    let spec = &c.recommendation.spec;
    if spec.include.is_empty() || !c.partners.is_empty() {
        return None;
    }
    let mut v = c.clone();
    let rec = &mut v.recommendation;
    rec.spec.include.clear();
    rec.statement = rec.spec.statement(Dialect::Postgres);
    rec.columns = rec.spec.columns();
    rec.size_bytes = None;
    v.size_bytes = 0.0;
    Some(v)
}

/// The chosen indexes that must go when `c` comes in: those it serves
/// (their lookups, their index-only scans). One that serves `c`'s lookups
/// may stay beside it: a narrower index scans cheaper, and planning says
/// whether that pays for its bytes.
fn forced_out(members: &[Entry], c: &AdvisedIndex) -> Vec<usize> {
    members
        .iter()
        .enumerate()
        .filter(|(_, e)| absorbs(c, &e.cand))
        .map(|(j, _)| j)
        .collect()
}

/// Which more of the chosen indexes go so that `c` fits the bound once
/// `forced` went: the cheaper (by planned loss) of the one index that
/// makes room alone and the least loss per byte first; `None` when no
/// choice makes it fit.
fn make_room(
    members: &[Entry],
    forced: &[usize],
    c: &AdvisedIndex,
    limits: SetLimits,
) -> Option<Vec<usize>> {
    let stays: Vec<usize> = (0..members.len()).filter(|j| !forced.contains(j)).collect();
    let used: f64 = stays.iter().map(|&j| members[j].cand.size_bytes).sum();
    let bytes_over = limits.budget_bytes.map_or(0.0, |b| used + c.size_bytes - b);
    let count_over = limits
        .max_indexes
        .map_or(0, |m| (stays.len() + 1).saturating_sub(m));
    if bytes_over <= 0.0 && count_over == 0 {
        return Some(Vec::new());
    }
    let loss = |j: usize| members[j].figure.unwrap_or(f64::INFINITY);
    // One index that makes room alone.
    let single = if count_over <= 1 {
        stays
            .iter()
            .copied()
            .filter(|&j| members[j].cand.size_bytes >= bytes_over)
            .min_by(|&a, &b| loss(a).total_cmp(&loss(b)))
    } else {
        None
    };
    // The least loss per byte (per index when the count is the bound) first.
    let mut order = stays.clone();
    order.sort_by(|&a, &b| {
        let per = |j: usize| {
            if limits.budget_bytes.is_some() {
                loss(j) / members[j].cand.size_bytes.max(8192.0)
            } else {
                loss(j)
            }
        };
        per(a).total_cmp(&per(b)).then(a.cmp(&b))
    });
    let mut several = Vec::new();
    let (mut freed, mut n) = (0.0, 0);
    for j in order {
        if freed >= bytes_over && n >= count_over {
            break;
        }
        freed += members[j].cand.size_bytes;
        n += 1;
        several.push(j);
    }
    let several = (freed >= bytes_over && n >= count_over).then_some(several);
    let total = |r: &Vec<usize>| r.iter().map(|&j| loss(j)).sum::<f64>();
    match (single, several) {
        (Some(s), Some(v)) if loss(s) <= total(&v) => Some(vec![s]),
        (Some(s), None) => Some(vec![s]),
        (_, v) => v,
    }
}

/// The EXPLAIN calls to keep for [`attribute`]: each index's reach, and
/// `more` for one that may come in.
fn reserve(members: &[Entry], more: &[usize]) -> usize {
    members.iter().map(|e| e.reach.len()).sum::<usize>() + more.len() + 1
}

/// The indexes of several reaches, ascending, once each.
fn union<'a>(reaches: impl Iterator<Item = &'a Vec<usize>>) -> Vec<usize> {
    let mut all: Vec<usize> = reaches.flatten().copied().collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// Milliseconds saved over the workload when the statements get `costs`
/// instead of their costs now.
fn gain(stmts: &[Stmt], costs: &[(usize, f64)]) -> f64 {
    costs
        .iter()
        .map(|&(i, c)| stmts[i].value(c) - stmts[i].value(stmts[i].now))
        .sum()
}

/// Plans `which` statements with `set` as hypothetical indexes: each one's
/// cost (its cost now when it cannot be planned) and each index's size;
/// `None` when HypoPG cannot build one of them. Nothing outlives the call.
async fn plan_with(
    session: &mut impl Planner,
    set: &[&AdvisedIndex],
    which: &[usize],
    stmts: &[Stmt],
    budget: &mut usize,
    out: &mut Outcome,
) -> Option<(Vec<(usize, f64)>, Vec<u64>)> {
    let _ = session.forget().await;
    let mut sizes = Vec::with_capacity(set.len());
    for c in set {
        match hypothesize_index(session, c).await {
            Ok(s) => sizes.push(s),
            Err(_) => {
                let _ = session.forget().await;
                return None;
            }
        }
    }
    let mut costs = Vec::with_capacity(which.len());
    for &i in which {
        out.explains += 1;
        *budget = budget.saturating_sub(1);
        let c = match session.plan(&stmts[i].sql).await {
            Ok((c, _)) => c,
            Err(_) => stmts[i].now,
        };
        costs.push((i, c));
    }
    let _ = session.forget().await;
    Some((costs, sizes))
}

/// Each index's figures in the final set, planned in order with those
/// before it (as the greedy gives them): the statements of its reach that
/// it lowers by more than planner noise. One that then saves too little
/// goes, and says why.
async fn attribute(
    session: &mut impl Planner,
    members: Vec<Entry>,
    stmts: &mut [Stmt],
    budget: &mut usize,
    out: &mut Outcome,
) -> Vec<AdvisedIndex> {
    for s in stmts.iter_mut() {
        s.now = s.base;
    }
    let mut kept: Vec<AdvisedIndex> = Vec::new();
    for e in members {
        let mut cand = e.cand;
        let set: Vec<&AdvisedIndex> = kept.iter().chain(std::iter::once(&cand)).collect();
        let costs = if *budget >= e.reach.len() {
            plan_with(session, &set, &e.reach, stmts, budget, out).await
        } else {
            None
        };
        let Some((costs, _)) = costs else {
            // No EXPLAIN left: its figures stay those it was chosen with.
            kept.push(cand);
            continue;
        };
        let mut gains = Vec::new();
        for (i, a) in costs {
            let s = &mut stmts[i];
            if a >= s.now * (1.0 - MIN_MARGINAL_GAIN) {
                continue;
            }
            gains.push(QueryGain {
                fingerprint: s.fingerprint,
                calls: s.calls,
                cost_before: s.now,
                cost_after: a,
                saved_ms: saved_ms(s.mean, s.base, s.now, a),
                sql: s.sql.clone(),
                rewrites: Vec::new(),
                assumed: None,
                path: String::new(),
                line: 0,
            });
            s.now = a;
        }
        // The statement's own details (rewrite, file and line) as the
        // candidate first had them.
        for g in &mut gains {
            if let Some(h) = cand.helps.iter().find(|h| h.sql == g.sql) {
                g.rewrites = h.rewrites.clone();
                g.assumed = h.assumed.clone();
                g.path = h.path.clone();
                g.line = h.line;
            }
        }
        let score: f64 = gains.iter().map(|g| g.saved_ms * g.calls as f64).sum();
        if gains.is_empty() || score < MIN_SET_SCORE_MS {
            out.rejected.push((
                cand.recommendation.statement.clone(),
                format!(
                    "saves {} ms once the indexes ranked above it exist (verified together)",
                    round3(score)
                ),
            ));
            continue;
        }
        cand.helps = gains;
        set_figures(&mut cand, score);
        cand.recommendation.reason = match &e.note {
            Some(n) => format!("{} ({n})", reason(&cand)),
            None => reason(&cand),
        };
        kept.push(cand);
    }
    kept
}

#[cfg(test)]
mod tests {
    //! Exchanges on a planner whose costs are given per index: each
    //! statement costs its base, or less with one of the indexes that serve
    //! it (the lowest such cost), as HypoPG would plan it.
    use super::*;
    use crate::error::PlanError;
    use crate::model::index::{IndexRecommendation, IndexSpec, Verification};
    use crate::model::plan::{Plan, PlanBuilder, PlanFormat, PlanNode};

    const BASE: f64 = 100_000.0;

    /// Each statement's cost with an index.
    type Effects = Vec<(&'static str, f64)>;

    struct Model {
        /// (hypothetical `CREATE INDEX`, size, what it does).
        indexes: Vec<(String, u64, Effects)>,
        made: Vec<String>,
    }

    impl Planner for Model {
        async fn plan(&mut self, sql: &str) -> Result<(f64, Plan), PlanError> {
            let cost = self
                .indexes
                .iter()
                .filter(|(s, ..)| self.made.contains(s))
                .flat_map(|(_, _, eff)| eff.iter().filter(|(q, _)| *q == sql).map(|(_, c)| *c))
                .fold(BASE, f64::min);
            let mut b = PlanBuilder::new();
            b.add(None, PlanNode::default());
            Ok((cost, b.finish(PlanFormat::PostgresJson)))
        }
        async fn hypothesize(&mut self, create: &str) -> Result<u64, PlanError> {
            let size = self
                .indexes
                .iter()
                .find(|(s, ..)| s == create)
                .map_or(0, |(_, z, _)| *z);
            self.made.push(create.to_string());
            Ok(size)
        }
        async fn forget(&mut self) -> Result<(), PlanError> {
            self.made.clear();
            Ok(())
        }
    }

    fn spec(key: &str, include: &[&str]) -> IndexSpec {
        let mut s = IndexSpec::new("public.t", &[key]);
        s.include = include.iter().map(|c| c.to_string()).collect();
        s
    }

    /// A candidate as the greedy leaves it: sized, and what it saved each
    /// statement planned alone.
    fn held(spec: IndexSpec, size: u64, alone: &[(&str, f64)]) -> Held {
        let helps: Vec<QueryGain> = alone
            .iter()
            .enumerate()
            .map(|(i, (q, after))| QueryGain {
                fingerprint: Fingerprint(i as u64 + q.len() as u64),
                calls: 1,
                cost_before: BASE,
                cost_after: *after,
                saved_ms: saved_ms(None, BASE, BASE, *after),
                sql: Arc::from(*q),
                rewrites: Vec::new(),
                assumed: None,
                path: String::new(),
                line: 0,
            })
            .collect();
        let rec = IndexRecommendation {
            score: helps.iter().map(|g| g.saved_ms).sum(),
            size_bytes: Some(size),
            method: None,
            ..IndexRecommendation::new(spec, Dialect::Postgres, Verification::Hypopg)
        };
        Held {
            cand: AdvisedIndex {
                recommendation: rec,
                helps: helps.clone(),
                size_bytes: size as f64,
                join_key: false,
                partners: Vec::new(),
            },
            reach: helps,
        }
    }

    fn hypo(spec: &IndexSpec) -> String {
        super::super::hypothetical_statement(&spec.statement(Dialect::Postgres))
    }

    fn run(
        model: &mut Model,
        chosen: Vec<Held>,
        left_out: Vec<Held>,
        limits: SetLimits,
    ) -> Vec<String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut out = Outcome::default();
        let mut budget = 1000;
        let set = rt.block_on(exchange(
            model,
            chosen,
            left_out,
            &HashMap::new(),
            limits,
            &WriteLoad::default(),
            &mut budget,
            &mut out,
        ));
        assert!(model.made.is_empty(), "hypothetical indexes left behind");
        let mut cols: Vec<String> = set
            .iter()
            .map(|c| {
                let s = &c.recommendation.spec;
                format!("{}+{}", s.columns().join(","), s.include.join(","))
            })
            .collect();
        cols.sort();
        cols
    }

    #[test]
    fn a_large_index_left_out_replaces_two_that_save_less_together() {
        // Budget 100: by saving per byte the greedy takes y and z (20 + 20)
        // and then x (90) does not fit; x alone saves 90% of qa, more than
        // y's 30% of qb and z's 25% of qc together.
        let (x, y, z) = (spec("x", &[]), spec("y", &[]), spec("z", &[]));
        let mut model = Model {
            indexes: vec![
                (hypo(&x), 90, vec![("qa", 10_000.0)]),
                (hypo(&y), 20, vec![("qb", 70_000.0)]),
                (hypo(&z), 20, vec![("qc", 75_000.0)]),
            ],
            made: Vec::new(),
        };
        let limits = SetLimits {
            budget_bytes: Some(100.0),
            max_indexes: None,
        };
        let set = run(
            &mut model,
            vec![
                held(y, 20, &[("qb", 70_000.0)]),
                held(z, 20, &[("qc", 75_000.0)]),
            ],
            vec![held(x, 90, &[("qa", 10_000.0)])],
            limits,
        );
        assert_eq!(set, ["x+"]);
    }

    #[test]
    fn the_keys_without_include_fit_where_the_covering_index_does_not() {
        // Budget 100, y (20) chosen: the covering w (90) does not fit beside
        // it; w's keys alone (40) do, and save nearly as much.
        let (w, y) = (spec("w", &["v"]), spec("y", &[]));
        let mut model = Model {
            indexes: vec![
                (hypo(&w), 90, vec![("qd", 20_000.0)]),
                (hypo(&spec("w", &[])), 40, vec![("qd", 30_000.0)]),
                (hypo(&y), 20, vec![("qb", 70_000.0)]),
            ],
            made: Vec::new(),
        };
        let limits = SetLimits {
            budget_bytes: Some(100.0),
            max_indexes: None,
        };
        let set = run(
            &mut model,
            vec![held(y, 20, &[("qb", 70_000.0)])],
            vec![held(w, 90, &[("qd", 20_000.0)])],
            limits,
        );
        assert_eq!(set, ["w+", "y+"]);
    }

    #[test]
    fn no_exchange_when_the_greedy_set_is_best() {
        // x and y fit and save most; z would only replace one of them.
        let (x, y, z) = (spec("x", &[]), spec("y", &[]), spec("z", &[]));
        let mut model = Model {
            indexes: vec![
                (hypo(&x), 40, vec![("qa", 10_000.0)]),
                (hypo(&y), 40, vec![("qb", 20_000.0)]),
                (hypo(&z), 40, vec![("qc", 50_000.0)]),
            ],
            made: Vec::new(),
        };
        let limits = SetLimits {
            budget_bytes: Some(100.0),
            max_indexes: None,
        };
        let set = run(
            &mut model,
            vec![
                held(x, 40, &[("qa", 10_000.0)]),
                held(y, 40, &[("qb", 20_000.0)]),
            ],
            vec![held(z, 40, &[("qc", 50_000.0)])],
            limits,
        );
        assert_eq!(set, ["x+", "y+"]);
    }
}
