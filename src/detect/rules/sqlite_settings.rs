use crate::declare_rule;
use crate::detect::{Finding, Reads, Rule, RuleMeta, Severity};
use crate::model::sqlite::SqliteFacts;

declare_rule! {
    /// ## What it does
    /// Checks the SQLite settings that decide speed and safety:
    /// - `journal_mode` other than `wal` (`delete`, `truncate`, `persist`:
    ///   readers and the writer block each other; `memory` or `off`: a
    ///   crash in the middle of a write can corrupt the file);
    /// - `synchronous = OFF` (a power loss can corrupt the file), and
    ///   `synchronous = FULL` in WAL mode, where `NORMAL` is as safe for the
    ///   file and much faster;
    /// - `foreign_keys` off while the schema declares foreign keys: SQLite
    ///   then does not enforce them;
    /// - a file that is more than a quarter free pages.
    ///
    /// `synchronous` and `foreign_keys` belong to each connection, not to
    /// the file: dbperf reports what a new connection gets, and the advice
    /// is a statement for the application to run when it connects.
    ///
    /// ## Why is this bad?
    /// In the default rollback-journal mode a writer locks the whole file:
    /// readers wait for it and it waits for them (`database is locked`).
    /// WAL lets readers and one writer work at the same time and makes
    /// commits cheaper. Foreign keys that are declared but not enforced let
    /// orphan rows in silently.
    ///
    /// ## Example
    /// ```text
    /// PRAGMA journal_mode;   -- delete
    /// PRAGMA foreign_keys;   -- 0, with REFERENCES clauses in the schema
    /// ```
    ///
    /// ## Use instead
    /// Once, on the file (it is stored in it):
    /// ```sql
    /// PRAGMA journal_mode = WAL;
    /// ```
    /// On every connection the application opens:
    /// ```sql
    /// PRAGMA synchronous = NORMAL;
    /// PRAGMA foreign_keys = ON;
    /// ```
    pub struct SqliteSettings {
        id: "sqlite-settings",
        severity: Info,
        summary: "A SQLite setting costs speed or safety (journal mode, synchronous, foreign keys)",
    }
}

/// Share of free pages above which VACUUM is worth suggesting.
const FREE_SHARE: f64 = 0.25;

impl Rule for SqliteSettings {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::SqliteFacts]
    }

    /// Checks the settings of one SQLite file.
    fn check_sqlite(&self, facts: &SqliteFacts, out: &mut Vec<Finding>) {
        let m = &Self::META;
        let wal = facts.journal_mode == "wal";
        match facts.journal_mode.as_str() {
            "wal" => {}
            "memory" | "off" => out.push(
                Finding::new(
                    m,
                    format!(
                        "{} uses journal_mode={}: a crash or power loss during a write can leave the file corrupt.",
                        facts.path, facts.journal_mode
                    ),
                    "Switch the file to WAL, which is both safe and fast: `PRAGMA journal_mode = WAL;`",
                )
                .severity(Severity::Warning),
            ),
            mode => out.push(Finding::new(
                m,
                format!(
                    "{} uses journal_mode={mode}: while one connection writes, readers wait (and a long read blocks the writer), so concurrent readers and writers see `database is locked`.",
                    facts.path
                ),
                "If the application reads while it writes, switch the file to WAL once (it is stored in the file): `PRAGMA journal_mode = WAL;` and use `PRAGMA synchronous = NORMAL;` on each connection.",
            )),
        }
        match facts.synchronous {
            0 => out.push(
                Finding::new(
                    m,
                    "New connections get synchronous=OFF: a power loss or OS crash can corrupt the file.".to_string(),
                    format!(
                        "Run `PRAGMA synchronous = {};` on each connection.",
                        if wal { "NORMAL" } else { "FULL" }
                    ),
                )
                .severity(Severity::Warning),
            ),
            s if s >= 2 && wal => out.push(Finding::new(
                m,
                format!(
                    "New connections get synchronous={}: in WAL mode every commit waits for an fsync that NORMAL skips without risking the file.",
                    if s == 2 { "FULL" } else { "EXTRA" }
                ),
                "Unless the last transactions before a power loss must survive it, run `PRAGMA synchronous = NORMAL;` on each connection.",
            )),
            _ => {}
        }
        if !facts.foreign_keys && facts.foreign_key_count > 0 {
            out.push(Finding::new(
                m,
                format!(
                    "The schema declares {} foreign key{}, but new connections get foreign_keys=OFF: SQLite does not enforce them unless each connection turns them on.",
                    facts.foreign_key_count,
                    if facts.foreign_key_count == 1 { "" } else { "s" }
                ),
                "Run `PRAGMA foreign_keys = ON;` on each connection the application opens (and index the referencing columns; see fk-without-index).",
            ));
        }
        if facts.page_count > 0 {
            let free = facts.freelist_count as f64 / facts.page_count as f64;
            if free > FREE_SHARE {
                out.push(Finding::new(
                    m,
                    format!(
                        "{:.0}% of {}'s pages are free: the file is larger than its data and scans read more pages than they need.",
                        free * 100.0,
                        facts.path
                    ),
                    "Run `VACUUM;` at a quiet time (it rewrites the file), or `PRAGMA auto_vacuum = INCREMENTAL;` before the next VACUUM.",
                ));
            }
        }
    }
}
