//! What an index costs the workload's writes, weighed against the time it
//! saves its reads.
//!
//! Every index adds work to each INSERT (one entry per row) and to each
//! UPDATE that is not HOT (a new row version gets an entry in every index
//! of the table). An index that uses a column an UPDATE sets (as a key, an
//! INCLUDE column, in its predicate or its expression) also stops that
//! UPDATE from being HOT: each such update then writes an entry of every
//! index of the table, not only the new one. On a write-hot table (a
//! queue, a counter, a session table) that can cost more than the index
//! saves.
//!
//! # The model
//!
//! All figures are over the window the read saving is measured over
//! (pg_stat_statements since its reset or the previous snapshot), so the
//! two compare:
//!
//! - **Rows written** per table: pg_stat_statements' `rows` of each INSERT
//!   and UPDATE on it ([`WriteStatement`]). The table's own counters
//!   (`n_tup_ins`, `n_tup_upd`) count since the statistics reset, a
//!   different window that holds bulk loads, so they are not used for
//!   counts.
//! - **HOT share**: `n_tup_hot_upd / n_tup_upd` of the table (a ratio, so
//!   its window matters less), once the table has had at least as many
//!   updates as rows: before that (a staging copy freshly loaded, its pages
//!   full) most updates were a row's first, which finds no room on its page
//!   whatever the indexes, and the share says nothing of the updates to
//!   come; the table then has no counters. Only an UPDATE that sets no column an
//!   existing index uses can be HOT; the table's HOT updates are shared
//!   among those statements by rows: each such statement is HOT at
//!   `min(1, hot_share × all updated rows / rows of those statements)`,
//!   the others at 0. Without counters, they are taken as HOT (the cost
//!   of breaking HOT is then not underestimated).
//! - **Entries** a row writes: the heap counts 1, each index its weight:
//!   B-tree and hash 1; GiST 2 (an insert descends by penalty, not by key,
//!   and splits pages by picking a division); GIN 3 (a row adds one entry
//!   per element, trigram or key, batched through the pending list: a
//!   round figure, not measured); BRIN 0.1 (a row at most widens its page
//!   range's summary).
//! - **Time of one entry**: for each write statement, its total time ÷ the
//!   entries it wrote (rows × (1 + the table's index weights) for an
//!   INSERT, rows × (1 + the non-HOT share × the index weights) for an
//!   UPDATE); the lowest of these over the table's write statements. A
//!   statement's time also holds its lookup (an UPDATE's WHERE, an INSERT
//!   … SELECT's query), constraint checks and triggers; the statement
//!   with the lowest time per entry has the least of that, so its figure
//!   is the closest bound from above of what an entry costs. Only
//!   statements that touched at most [`CLEAN_BLOCKS_PER_ENTRY`] shared
//!   blocks per entry they wrote are measured: a queue's claim that scans
//!   the table for its next job spends its time searching, not writing,
//!   and is the statement an index on its filter would speed up. A table
//!   with no such statement takes the lowest figure of the workload's
//!   other tables (an entry costs about the same on every table of one
//!   server); with none anywhere, its writes are not priced (no figures,
//!   nothing held back).
//! - **Entries the index adds**: rows inserted × its weight; per UPDATE
//!   statement, rows × ((1 − HOT) × its weight, plus, when the statement
//!   sets a column the index uses, HOT × (its weight + every existing
//!   index's weight)). A partial index is counted as a full one.
//!
//! The time of one entry is an upper bound of the immediate cost: a
//! single-row statement's time is mostly its own overhead (parse, plan,
//! executor start, the lookup), which the split charges to its entries.
//! Measured on `fixtures/pg_writes` (5,000 claims by id, PostgreSQL 15,
//! a loaded 2-core machine): an index on the column the claims set took
//! their HOT share from 100% to 0%, their WAL from 2 to 4 records a claim
//! (191 to 320 bytes), and their mean time from 0.041 to 0.059 ms; the
//! model charged 0.080 ms a claim. What the bound also stands for is paid
//! later and is not in any statement's time: VACUUM removing the dead
//! entry of every index for each non-HOT update, and the index bloat
//! meanwhile.
//!
//! Its **write cost** is the entries it adds × the time of one entry. A
//! candidate whose write cost is [`MAX_WRITE_SHARE`] or more of its read
//! saving is not proposed; the set is chosen by net saving (read saving −
//! write cost). DELETEs are not counted: they write no index entry (VACUUM
//! removes them later, off the statement's time).

use crate::model::advice::{AdvisedIndex, Writes};
use crate::model::fmt::round3;
use crate::model::index::{IndexSpec, WriteCost};
use crate::model::schema::{IndexKey, Schema, Table};

/// A candidate whose write cost is this share of its read saving or more
/// is not proposed: a DBA does not build an index whose upkeep eats most
/// of what it saves.
pub const MAX_WRITE_SHARE: f64 = 0.5;

/// A write statement that touches more shared blocks per entry it writes
/// than this (a B-tree descent is 3-4, a heap page 1, a foreign key check
/// a descent and a heap page) searches more than it writes: its time does
/// not measure an entry's.
pub const CLEAN_BLOCKS_PER_ENTRY: f64 = 20.0;

/// Entries one row writes in an index of `method` (`None`: B-tree), in
/// B-tree entries (see the module doc).
pub fn method_weight(method: Option<&str>) -> f64 {
    match method.map(|m| m.to_ascii_lowercase()).as_deref() {
        Some("gin") => 3.0,
        Some("gist" | "spgist") => 2.0,
        Some("brin") => 0.1,
        _ => 1.0,
    }
}

/// One write statement of a table, with its HOT share.
#[derive(Debug, Clone)]
struct Write {
    sets: Option<Vec<String>>,
    rows: f64,
    total_ms: f64,
    blocks: f64,
    /// Share of its rows updated HOT (0 for an INSERT).
    hot: f64,
}

/// The writes of one table.
#[derive(Debug, Clone)]
struct TableLoad {
    table: String,
    columns: Vec<String>,
    /// Sum of the existing indexes' weights.
    indexes: f64,
    hot_share: Option<f64>,
    writes: Vec<Write>,
    /// Time of one entry, when a clean write statement measured it.
    entry_ms: Option<f64>,
}

/// The workload's writes per table, ready to price a candidate. Built from
/// a source that measured them ([`WriteLoad::new`]); [`WriteLoad::default`]
/// prices nothing (no write figures, nothing held back).
#[derive(Debug, Clone, Default)]
pub struct WriteLoad {
    measured: bool,
    tables: Vec<TableLoad>,
}

impl WriteLoad {
    pub fn new(schema: &Schema, writes: &Writes) -> Self {
        let mut tables: Vec<TableLoad> = Vec::new();
        for w in &writes.statements {
            let Some(t) = schema.table(&w.table) else {
                continue;
            };
            let name = t.qualified_name();
            let i = match tables.iter().position(|l| l.table == name) {
                Some(i) => i,
                None => {
                    tables.push(TableLoad {
                        table: name.clone(),
                        columns: t.columns.iter().map(|c| c.name.clone()).collect(),
                        indexes: t
                            .indexes
                            .iter()
                            .filter(|i| i.valid)
                            .map(|i| method_weight(i.method.as_deref()))
                            .sum(),
                        hot_share: writes
                            .hot_share
                            .iter()
                            .find(|(n, _)| *n == name)
                            .map(|(_, h)| h.clamp(0.0, 1.0)),
                        writes: Vec::new(),
                        entry_ms: None,
                    });
                    tables.len() - 1
                }
            };
            tables[i].writes.push(Write {
                sets: w.sets.clone(),
                rows: w.rows as f64,
                total_ms: w.total_ms,
                blocks: w.blocks as f64,
                hot: 0.0,
            });
        }
        for load in &mut tables {
            let Some(t) = schema.table(&load.table) else {
                continue;
            };
            share_hot(load, t);
        }
        // Tables whose write statements all searched more than they
        // wrote take the workload's lowest entry time.
        let least = tables
            .iter()
            .filter_map(|l| l.entry_ms)
            .min_by(|a, b| a.total_cmp(b));
        for load in &mut tables {
            if load.entry_ms.is_none() && load.writes.iter().any(|w| w.rows > 0.0) {
                load.entry_ms = least;
            }
        }
        WriteLoad {
            measured: true,
            tables,
        }
    }

    fn table(&self, spec: &IndexSpec) -> Option<&TableLoad> {
        let name = spec.qualified_table();
        self.tables.iter().find(|l| l.table == name).or_else(|| {
            self.tables
                .iter()
                .find(|l| l.table.rsplit('.').next() == Some(spec.table.as_str()))
        })
    }

    /// What `spec` adds to the workload's writes; `None` when the writes
    /// were not measured. A table the workload did not write costs 0.
    pub fn cost(&self, spec: &IndexSpec) -> Option<WriteCost> {
        if !self.measured {
            return None;
        }
        let weight = method_weight(spec.method.as_deref());
        let load = self.table(spec);
        if load.is_some_and(|l| l.entry_ms.is_none() && l.writes.iter().any(|w| w.rows > 0.0)) {
            // Written, but no statement measured what an entry costs.
            return None;
        }
        let Some(load) = load else {
            return Some(WriteCost {
                ms: 0.0,
                rows_inserted: 0,
                rows_updated: 0,
                hot_share: None,
                breaks_hot: Vec::new(),
                hot_lost: 0,
                entries: 0.0,
                entry_ms: 0.0,
                weight,
            });
        };
        let uses = spec_columns(spec, &load.columns);
        let mut breaks: Vec<String> = Vec::new();
        let (mut entries, mut inserted, mut updated, mut lost) = (0.0, 0.0, 0.0, 0.0);
        for w in &load.writes {
            match &w.sets {
                None => {
                    inserted += w.rows;
                    entries += w.rows * weight;
                }
                Some(sets) => {
                    updated += w.rows;
                    entries += w.rows * (1.0 - w.hot) * weight;
                    let hit: Vec<&String> = uses
                        .iter()
                        .filter(|c| sets.iter().any(|s| s.eq_ignore_ascii_case(c)))
                        .collect();
                    if !hit.is_empty() {
                        entries += w.rows * w.hot * (weight + load.indexes);
                        lost += w.rows * w.hot;
                        for c in hit {
                            if !breaks.contains(c) {
                                breaks.push(c.clone());
                            }
                        }
                    }
                }
            }
        }
        let entry_ms = load.entry_ms.unwrap_or(0.0);
        Some(WriteCost {
            ms: round3(entries * entry_ms),
            rows_inserted: inserted as u64,
            rows_updated: updated as u64,
            hot_share: load.hot_share.map(round3),
            breaks_hot: breaks,
            hot_lost: lost.round() as u64,
            entries: entries.round(),
            entry_ms: (entry_ms * 1e6).round() / 1e6,
            weight,
        })
    }

    /// The write cost of a candidate and of its partners (the other
    /// branches of an OR, built with it), ms; 0 when not measured.
    pub fn cost_ms(&self, c: &AdvisedIndex) -> f64 {
        std::iter::once(&c.recommendation.spec)
            .chain(c.partners.iter().map(|p| &p.spec))
            .filter_map(|s| self.cost(s))
            .map(|w| w.ms)
            .sum()
    }

    /// Sets `write_cost` and `write` of each index (and of its partners).
    pub fn annotate(&self, indexes: &mut [AdvisedIndex]) {
        for c in indexes {
            for rec in std::iter::once(&mut c.recommendation).chain(c.partners.iter_mut()) {
                rec.write = self.cost(&rec.spec);
                rec.write_cost = rec.write.as_ref().map(|w| w.ms);
            }
        }
    }

    /// Splits `candidates` into those kept and, with the note that says
    /// why, those whose write cost eats most of their read saving
    /// ([`eats_saving`]), each judged on its score. Figures are set on both.
    pub fn hold_back(&self, candidates: Vec<AdvisedIndex>) -> (Vec<AdvisedIndex>, Vec<String>) {
        let mut kept = Vec::new();
        let mut notes = Vec::new();
        for mut c in candidates {
            self.annotate(std::slice::from_mut(&mut c));
            let w = self.cost_ms(&c);
            if eats_saving(w, c.recommendation.score) {
                notes.push(self.note(&c, c.recommendation.score));
            } else {
                kept.push(c);
            }
        }
        (kept, notes)
    }

    /// The note for a candidate held back for its writes, naming both
    /// figures and what the write cost comes from.
    pub fn note(&self, c: &AdvisedIndex, saves: f64) -> String {
        let w = self.cost_ms(c);
        let mut why = format!(
            "not proposed: {} (its writes would cost {} ms over the workload, {:.0}% of the {} ms it saves",
            c.recommendation.statement,
            round3(w),
            if saves > 0.0 {
                w / saves * 100.0
            } else {
                100.0
            },
            round3(saves)
        );
        why.push_str(&self.figures(c));
        why.push(')');
        why
    }

    /// What a candidate's write cost comes from, for a note: `: N rows
    /// inserted, M updated (H% HOT), …; E entries at T ms each` (empty when
    /// its writes were not priced).
    pub fn figures(&self, c: &AdvisedIndex) -> String {
        let mut why = String::new();
        if let Some(f) = self.cost(&c.recommendation.spec) {
            why.push_str(&format!(
                ": {} rows inserted, {} updated",
                f.rows_inserted, f.rows_updated
            ));
            if let Some(h) = f.hot_share {
                why.push_str(&format!(" ({:.0}% HOT)", h * 100.0));
            }
            if !f.breaks_hot.is_empty() {
                why.push_str(&format!(
                    ", and it uses {}, which the UPDATEs set: {} HOT updates would write every index of the table",
                    f.breaks_hot.join(", "),
                    f.hot_lost
                ));
            }
            why.push_str(&format!(
                "; {} entries at {} ms each",
                f.entries, f.entry_ms
            ));
        }
        why
    }
}

/// Whether a write cost of `write_ms` eats most of a saving of `saves` ms
/// ([`MAX_WRITE_SHARE`]).
pub fn eats_saving(write_ms: f64, saves: f64) -> bool {
    write_ms > 0.0 && write_ms >= MAX_WRITE_SHARE * saves
}

/// Shares the table's HOT updates among the UPDATE statements that can be
/// HOT (they set no column an existing index uses), and measures the time
/// of one entry (see the module doc).
fn share_hot(load: &mut TableLoad, table: &Table) {
    let indexed: Vec<String> = table
        .indexes
        .iter()
        .filter(|i| i.valid)
        .flat_map(|i| index_columns(&i.keys, &i.include, i.predicate.as_deref(), &load.columns))
        .collect();
    let eligible = |w: &Write| {
        w.sets.as_ref().is_some_and(|sets| {
            !sets
                .iter()
                .any(|s| indexed.iter().any(|c| c.eq_ignore_ascii_case(s)))
        })
    };
    let all: f64 = load
        .writes
        .iter()
        .filter(|w| w.sets.is_some())
        .map(|w| w.rows)
        .sum();
    let can: f64 = load
        .writes
        .iter()
        .filter(|w| eligible(w))
        .map(|w| w.rows)
        .sum();
    let hot = match load.hot_share {
        Some(h) if can > 0.0 => (h * all / can).min(1.0),
        Some(_) => 0.0,
        None => 1.0,
    };
    for w in &mut load.writes {
        w.hot = if eligible(w) { hot } else { 0.0 };
    }
    let mut best: Option<f64> = None;
    for w in &load.writes {
        let entries = w.rows * (1.0 + (1.0 - w.hot) * load.indexes);
        if w.rows <= 0.0
            || entries <= 0.0
            || w.total_ms <= 0.0
            || w.blocks > entries * CLEAN_BLOCKS_PER_ENTRY
        {
            continue;
        }
        let per = w.total_ms / entries;
        best = Some(best.map_or(per, |b: f64| b.min(per)));
    }
    load.entry_ms = best;
}

/// The columns of the table `spec` uses: keys, expressions, INCLUDE and
/// predicate.
fn spec_columns(spec: &IndexSpec, columns: &[String]) -> Vec<String> {
    index_columns(
        &spec.keys,
        &spec.include,
        spec.predicate.as_deref(),
        columns,
    )
}

/// The columns of `columns` an index uses: its key columns, the columns
/// its expressions and predicate name, and its INCLUDE columns.
fn index_columns(
    keys: &[IndexKey],
    include: &[String],
    predicate: Option<&str>,
    columns: &[String],
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |c: &str| {
        if let Some(col) = columns.iter().find(|k| k.eq_ignore_ascii_case(c))
            && !out.contains(col)
        {
            out.push(col.clone());
        }
    };
    let mut words = |text: &str| {
        for w in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
            if !w.is_empty() {
                add(w);
            }
        }
    };
    for k in keys {
        match k {
            IndexKey::Column { name, .. } => words(name),
            IndexKey::Expression { sql } => words(sql),
        }
    }
    for c in include {
        words(c);
    }
    if let Some(p) = predicate {
        words(p);
    }
    out
}

#[cfg(test)]
mod tests;
