//! What a migration statement does to a table that may already hold rows
//! and serve traffic: the lock it takes, whether it rewrites or scans the
//! table, whether it can run inside a transaction block.
//!
//! The catalog replay ([`crate::parse::migration`]) follows what a
//! statement leaves behind; this module reads how it gets there, from the
//! statement's tokens alone (so `REINDEX`, `LOCK TABLE`, `VACUUM FULL`,
//! `CLUSTER`, `SET lock_timeout` and the `ALTER TABLE` actions the SQL
//! parser does not know cost one linear scan and nothing else). An `ALTER
//! TABLE` comes here one action at a time, as the replay cuts it.
//!
//! Lock levels are PostgreSQL's (15–18), checked against `pg_locks` by
//! `fixtures/migrations/hazards/locks.sh`.

use crate::parse::pg_ddl::{Kind, Tok, tokens};

/// The kind of a table constraint added by `ALTER TABLE … ADD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintKind {
    PrimaryKey,
    Unique,
    ForeignKey,
    Check,
    Exclude,
    /// PostgreSQL 18's `NOT NULL col` table constraint.
    NotNull,
}

/// One change a statement makes, as far as lock and rewrite hazards go.
#[derive(Debug, Clone, PartialEq)]
pub enum ChangeKind {
    /// `DROP INDEX [CONCURRENTLY] [IF EXISTS] name`.
    DropIndex {
        index: String,
        concurrently: bool,
        if_exists: bool,
    },
    /// `REINDEX [(…)] INDEX|TABLE [CONCURRENTLY] name`; `index` for INDEX.
    Reindex {
        index: Option<String>,
        concurrently: bool,
    },
    /// `ALTER TABLE … ADD [CONSTRAINT name] …`.
    AddConstraint {
        name: Option<String>,
        kind: ConstraintKind,
        /// `… UNIQUE USING INDEX idx` / `PRIMARY KEY USING INDEX idx`.
        using_index: bool,
        not_valid: bool,
        /// The constraint as written after `ADD [CONSTRAINT name]`.
        body: String,
        /// `CHECK (col IS NOT NULL)`: the column.
        not_null_check: Option<String>,
    },
    /// `ALTER TABLE … VALIDATE CONSTRAINT name`.
    ValidateConstraint {
        name: String,
    },
    /// `ALTER TABLE … ALTER [COLUMN] col SET NOT NULL`.
    SetNotNull {
        column: String,
    },
    /// `ALTER TABLE … ADD [COLUMN] col type …`.
    AddColumn {
        column: String,
        data_type: String,
        not_null: bool,
        /// The DEFAULT expression as written.
        default: Option<String>,
        /// `GENERATED ALWAYS AS (…) STORED` (or without a kind before
        /// PostgreSQL 18, where stored is the only kind).
        stored: bool,
        /// `GENERATED … AS IDENTITY`.
        identity: bool,
        /// An inline `PRIMARY KEY` or `UNIQUE`, which builds an index.
        inline_key: bool,
    },
    /// `ALTER TABLE … ALTER [COLUMN] col [SET DATA] TYPE type [USING …]`.
    AlterType {
        column: String,
        to: String,
        using: bool,
    },
    /// `ALTER TABLE … DETACH PARTITION name [CONCURRENTLY | FINALIZE]`.
    DetachPartition {
        partition: String,
        concurrently: bool,
    },
    /// `ALTER TABLE … ATTACH PARTITION name FOR VALUES …`.
    AttachPartition {
        partition: String,
    },
    /// `LOCK [TABLE] name [IN mode MODE]`, the mode upper-case.
    Lock {
        mode: String,
    },
    VacuumFull,
    Cluster,
    RenameColumn {
        old: String,
        new: String,
    },
    RenameTable {
        new: String,
    },
    DropColumn {
        column: String,
    },
    DropTable,
    /// Any other ALTER TABLE action.
    OtherAlter {
        access_exclusive: bool,
    },
}

impl ChangeKind {
    /// Whether the statement takes an ACCESS EXCLUSIVE lock on its table
    /// (which queues every reader behind it while it waits).
    pub fn access_exclusive(&self) -> bool {
        match self {
            ChangeKind::DropIndex { concurrently, .. } => !concurrently,
            ChangeKind::Reindex { .. } => false,
            ChangeKind::AddConstraint { kind, .. } => {
                // A foreign key takes SHARE ROW EXCLUSIVE.
                *kind != ConstraintKind::ForeignKey
            }
            ChangeKind::ValidateConstraint { .. } => false,
            ChangeKind::DetachPartition { concurrently, .. } => !concurrently,
            // SHARE UPDATE EXCLUSIVE on the partitioned table.
            ChangeKind::AttachPartition { .. } => false,
            ChangeKind::Lock { mode } => mode == "ACCESS EXCLUSIVE",
            ChangeKind::OtherAlter { access_exclusive } => *access_exclusive,
            ChangeKind::SetNotNull { .. }
            | ChangeKind::AddColumn { .. }
            | ChangeKind::AlterType { .. }
            | ChangeKind::VacuumFull
            | ChangeKind::Cluster
            | ChangeKind::RenameColumn { .. }
            | ChangeKind::RenameTable { .. }
            | ChangeKind::DropColumn { .. }
            | ChangeKind::DropTable => true,
        }
    }
}

/// One change and the table it is made to (`None` when the statement
/// names only an index: the replay knows its table).
#[derive(Debug, Clone, PartialEq)]
pub struct Classified {
    pub table: Option<String>,
    pub kind: ChangeKind,
}

/// The statement's tokens with their text.
struct Words<'a> {
    src: &'a str,
    toks: Vec<Tok>,
}

impl<'a> Words<'a> {
    fn text(&self, i: usize) -> &'a str {
        self.toks.get(i).map_or("", |t| &self.src[t.start..t.end])
    }

    /// Whether token `i` is the keyword `w` (lower-case).
    fn is(&self, i: usize, w: &str) -> bool {
        self.toks
            .get(i)
            .is_some_and(|t| t.kind == Kind::Word && self.text(i).eq_ignore_ascii_case(w))
    }

    fn punct(&self, i: usize, c: u8) -> bool {
        self.toks.get(i).is_some_and(|t| t.kind == Kind::Punct(c))
    }

    /// The identifier at `i`, unquoted (a bare one lower-cased, as
    /// PostgreSQL folds it).
    fn ident(&self, i: usize) -> String {
        let Some(t) = self.toks.get(i) else {
            return String::new();
        };
        let s = self.text(i);
        match t.kind {
            Kind::Quoted => s.trim_matches('"').replace("\"\"", "\""),
            _ => s.to_lowercase(),
        }
    }

    /// A possibly qualified name starting at `i`, as written (quotes
    /// kept), and the index after it.
    fn name(&self, i: usize) -> (String, usize) {
        let mut out = String::new();
        let mut j = i;
        while j < self.toks.len() && matches!(self.toks[j].kind, Kind::Word | Kind::Quoted) {
            out.push_str(self.text(j));
            if self.punct(j + 1, b'.') {
                out.push('.');
                j += 2;
            } else {
                j += 1;
                break;
            }
        }
        (out, j)
    }

    /// Source text from token `i` to the token before `end`.
    fn span(&self, i: usize, end: usize) -> String {
        if i >= end || i >= self.toks.len() {
            return String::new();
        }
        let e = end.min(self.toks.len()) - 1;
        self.src[self.toks[i].start..self.toks[e].end].to_string()
    }

    /// Skips `IF EXISTS` / `IF NOT EXISTS` at `i`.
    fn skip_if(&self, mut i: usize) -> usize {
        if self.is(i, "if") {
            i += 1;
            if self.is(i, "not") {
                i += 1;
            }
            if self.is(i, "exists") {
                i += 1;
            }
        }
        i
    }

    /// Index of the first token at `depth` 0 from `i` that is keyword `w`.
    fn find(&self, i: usize, w: &str) -> Option<usize> {
        (i..self.toks.len()).find(|&k| self.toks[k].depth == 0 && self.is(k, w))
    }
}

/// Whether a statement is worth classifying at all (a cheap look at its
/// first word, so 50,000 `CREATE TABLE`s cost nothing).
fn interesting(sql: &str) -> bool {
    let first: String = sql
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_lowercase();
    matches!(
        first.as_str(),
        "alter" | "drop" | "reindex" | "lock" | "vacuum" | "cluster"
    )
}

/// The changes one statement (or one ALTER TABLE action) makes.
pub fn classify(sql: &str) -> Vec<Classified> {
    if !interesting(sql) {
        return Vec::new();
    }
    let w = Words {
        src: sql,
        toks: tokens(sql),
    };
    let one = |table: Option<String>, kind| vec![Classified { table, kind }];
    if w.is(0, "drop") && w.is(1, "index") {
        let concurrently = w.is(2, "concurrently");
        let i = w.skip_if(2 + usize::from(concurrently));
        let if_exists = i != 2 + usize::from(concurrently);
        let mut out = Vec::new();
        let mut j = i;
        loop {
            let (index, next) = w.name(j);
            if index.is_empty() {
                break;
            }
            out.push(Classified {
                table: None,
                kind: ChangeKind::DropIndex {
                    index,
                    concurrently,
                    if_exists,
                },
            });
            if !w.punct(next, b',') {
                break;
            }
            j = next + 1;
        }
        return out;
    }
    if w.is(0, "drop") && w.is(1, "table") {
        let mut out = Vec::new();
        let mut j = w.skip_if(2);
        loop {
            let (table, next) = w.name(j);
            if table.is_empty() {
                break;
            }
            out.push(Classified {
                table: Some(table),
                kind: ChangeKind::DropTable,
            });
            if !w.punct(next, b',') {
                break;
            }
            j = next + 1;
        }
        return out;
    }
    if w.is(0, "reindex") {
        let mut i = 1;
        if w.punct(i, b'(') {
            // Options: CONCURRENTLY may be among them.
            let opts_end = (i..w.toks.len())
                .find(|&k| w.punct(k, b')') && w.toks[k].depth == 0)
                .unwrap_or(w.toks.len());
            let in_opts = (i..opts_end).any(|k| w.is(k, "concurrently"));
            i = opts_end + 1;
            return reindex(&w, i, in_opts);
        }
        return reindex(&w, i, false);
    }
    if w.is(0, "lock") {
        let mut i = 1 + usize::from(w.is(1, "table"));
        if w.is(i, "only") {
            i += 1;
        }
        let mut tables = Vec::new();
        loop {
            let (t, next) = w.name(i);
            if t.is_empty() {
                break;
            }
            tables.push(t);
            i = next;
            if w.punct(i, b'*') {
                i += 1;
            }
            if !w.punct(i, b',') {
                break;
            }
            i += 1;
        }
        let mode = match w.find(i, "in") {
            Some(k) => {
                let end = w.find(k, "mode").unwrap_or(w.toks.len());
                w.span(k + 1, end).to_ascii_uppercase()
            }
            None => "ACCESS EXCLUSIVE".to_string(),
        };
        return tables
            .into_iter()
            .map(|t| Classified {
                table: Some(t),
                kind: ChangeKind::Lock { mode: mode.clone() },
            })
            .collect();
    }
    if w.is(0, "vacuum") {
        let mut i = 1;
        let mut full = false;
        if w.punct(1, b'(') {
            let end = (1..w.toks.len())
                .find(|&k| w.punct(k, b')') && w.toks[k].depth == 0)
                .unwrap_or(w.toks.len());
            full = (2..end).any(|k| {
                w.is(k, "full")
                    && !(w.is(k + 1, "false") || w.is(k + 1, "off") || w.text(k + 1) == "0")
            });
            i = end + 1;
        } else {
            while ["full", "freeze", "verbose", "analyze", "analyse"]
                .iter()
                .any(|k| w.is(i, k))
            {
                full |= w.is(i, "full");
                i += 1;
            }
        }
        if !full {
            return Vec::new();
        }
        let mut out = Vec::new();
        loop {
            let (t, next) = w.name(i);
            if t.is_empty() {
                break;
            }
            out.push(Classified {
                table: Some(t),
                kind: ChangeKind::VacuumFull,
            });
            i = next;
            if w.punct(i, b'(') {
                i = (i..w.toks.len())
                    .find(|&k| w.punct(k, b')') && w.toks[k].depth == 0)
                    .map_or(w.toks.len(), |k| k + 1);
            }
            if !w.punct(i, b',') {
                break;
            }
            i += 1;
        }
        // VACUUM FULL of the whole database: no table named.
        return out;
    }
    if w.is(0, "cluster") {
        let mut i = 1;
        if w.punct(1, b'(') {
            i = (1..w.toks.len())
                .find(|&k| w.punct(k, b')') && w.toks[k].depth == 0)
                .map_or(w.toks.len(), |k| k + 1);
        }
        if w.is(i, "verbose") {
            i += 1;
        }
        let (t, _) = w.name(i);
        if t.is_empty() {
            return Vec::new();
        }
        return one(Some(t), ChangeKind::Cluster);
    }
    if w.is(0, "alter") && w.is(1, "table") {
        let mut i = w.skip_if(2);
        if w.is(i, "only") {
            i += 1;
        }
        let (table, mut a) = w.name(i);
        if w.punct(a, b'*') {
            a += 1;
        }
        if table.is_empty() {
            return Vec::new();
        }
        return alter_action(&w, a)
            .map(|kind| one(Some(table), kind))
            .unwrap_or_default();
    }
    Vec::new()
}

fn reindex(w: &Words<'_>, mut i: usize, in_opts: bool) -> Vec<Classified> {
    let target = w.text(i).to_ascii_lowercase();
    i += 1;
    let concurrently = in_opts || w.is(i, "concurrently");
    if w.is(i, "concurrently") {
        i += 1;
    }
    let (name, _) = w.name(i);
    if name.is_empty() {
        return Vec::new();
    }
    match target.as_str() {
        "index" => vec![Classified {
            table: None,
            kind: ChangeKind::Reindex {
                index: Some(name),
                concurrently,
            },
        }],
        "table" => vec![Classified {
            table: Some(name),
            kind: ChangeKind::Reindex {
                index: None,
                concurrently,
            },
        }],
        // SCHEMA, DATABASE, SYSTEM: not one table's matter.
        _ => Vec::new(),
    }
}

/// One ALTER TABLE action starting at token `a`.
fn alter_action(w: &Words<'_>, a: usize) -> Option<ChangeKind> {
    let n = w.toks.len();
    if w.is(a, "add") {
        let mut i = a + 1;
        let mut name = None;
        if w.is(i, "constraint") {
            name = Some(w.ident(i + 1));
            i += 2;
        }
        let kind = if w.is(i, "primary") {
            Some(ConstraintKind::PrimaryKey)
        } else if w.is(i, "unique") {
            Some(ConstraintKind::Unique)
        } else if w.is(i, "foreign") {
            Some(ConstraintKind::ForeignKey)
        } else if w.is(i, "check") {
            Some(ConstraintKind::Check)
        } else if w.is(i, "exclude") {
            Some(ConstraintKind::Exclude)
        } else if w.is(i, "not") && w.is(i + 1, "null") {
            Some(ConstraintKind::NotNull)
        } else {
            None
        };
        if let Some(kind) = kind {
            let using_index = (i..n).any(|k| w.is(k, "using") && w.is(k + 1, "index"));
            let not_valid = (i..n).any(|k| w.is(k, "not") && w.is(k + 1, "valid"));
            let not_null_check = (kind == ConstraintKind::Check)
                .then(|| not_null_check(w, i + 1))
                .flatten();
            return Some(ChangeKind::AddConstraint {
                name,
                kind,
                using_index,
                not_valid,
                body: w.span(i, n),
                not_null_check,
            });
        }
        if w.is(i, "column") {
            i += 1;
        }
        i = w.skip_if(i);
        let column = w.ident(i);
        // The type: tokens up to the first column option keyword.
        let options = [
            "not",
            "null",
            "default",
            "constraint",
            "primary",
            "unique",
            "check",
            "references",
            "generated",
            "collate",
        ];
        let mut e = i + 1;
        while e < n && !options.iter().any(|o| w.is(e, o)) {
            e += 1;
        }
        let data_type = w.span(i + 1, e).to_ascii_lowercase();
        let mut default = None;
        let mut not_null = false;
        let mut stored = false;
        let mut identity = false;
        let mut inline_key = false;
        let mut k = e;
        while k < n {
            if w.toks[k].depth == 0 {
                if w.is(k, "not") && w.is(k + 1, "null") {
                    not_null = true;
                } else if w.is(k, "primary") || w.is(k, "unique") {
                    inline_key = true;
                } else if w.is(k, "identity") {
                    identity = true;
                } else if w.is(k, "generated") {
                    let end = (k..n)
                        .find(|&j| w.toks[j].depth == 0 && w.is(j, "virtual"))
                        .is_none();
                    stored |= !(k..n).any(|j| w.is(j, "identity")) && end;
                } else if w.is(k, "default") && !w.is(k.wrapping_sub(1), "by") {
                    let mut j = k + 1;
                    while j < n && !(w.toks[j].depth == 0 && options.iter().any(|o| w.is(j, o))) {
                        j += 1;
                    }
                    default = Some(w.span(k + 1, j));
                    k = j;
                    continue;
                }
            }
            k += 1;
        }
        return Some(ChangeKind::AddColumn {
            column,
            data_type,
            not_null,
            default,
            stored,
            identity,
            inline_key,
        });
    }
    if w.is(a, "alter") {
        let mut i = a + 1;
        if w.is(i, "column") {
            i += 1;
        }
        let column = w.ident(i);
        i += 1;
        if w.is(i, "set") && w.is(i + 1, "not") && w.is(i + 2, "null") {
            return Some(ChangeKind::SetNotNull { column });
        }
        if w.is(i, "set") && w.is(i + 1, "data") {
            i += 2;
        }
        if w.is(i, "type") {
            let end = (i + 1..n)
                .find(|&k| w.toks[k].depth == 0 && (w.is(k, "using") || w.is(k, "collate")))
                .unwrap_or(n);
            let using = (i + 1..n).any(|k| w.toks[k].depth == 0 && w.is(k, "using"));
            return Some(ChangeKind::AlterType {
                column,
                to: w.span(i + 1, end).to_ascii_lowercase(),
                using,
            });
        }
        // SET/DROP DEFAULT, DROP NOT NULL, SET STATISTICS, SET STORAGE …:
        // catalog only; statistics and storage take a weaker lock.
        let weak = w.is(i, "set") && (w.is(i + 1, "statistics") || w.is(i + 1, "storage"));
        return Some(ChangeKind::OtherAlter {
            access_exclusive: !weak,
        });
    }
    if w.is(a, "validate") && w.is(a + 1, "constraint") {
        return Some(ChangeKind::ValidateConstraint {
            name: w.ident(a + 2),
        });
    }
    if w.is(a, "detach") && w.is(a + 1, "partition") {
        let (partition, next) = w.name(a + 2);
        return Some(ChangeKind::DetachPartition {
            partition,
            concurrently: w.is(next, "concurrently") || w.is(next, "finalize"),
        });
    }
    if w.is(a, "attach") && w.is(a + 1, "partition") {
        let (partition, _) = w.name(a + 2);
        return Some(ChangeKind::AttachPartition { partition });
    }
    if w.is(a, "rename") {
        if w.is(a + 1, "to") {
            let (new, _) = w.name(a + 2);
            return Some(ChangeKind::RenameTable { new });
        }
        if w.is(a + 1, "constraint") {
            return Some(ChangeKind::OtherAlter {
                access_exclusive: true,
            });
        }
        let i = a + 1 + usize::from(w.is(a + 1, "column"));
        if w.is(i + 1, "to") {
            return Some(ChangeKind::RenameColumn {
                old: w.ident(i),
                new: w.ident(i + 2),
            });
        }
        return None;
    }
    if w.is(a, "drop") {
        if w.is(a + 1, "constraint") {
            return Some(ChangeKind::OtherAlter {
                access_exclusive: true,
            });
        }
        let i = w.skip_if(a + 1 + usize::from(w.is(a + 1, "column")));
        return Some(ChangeKind::DropColumn { column: w.ident(i) });
    }
    // SET (storage parameters), OWNER TO, ENABLE
    // TRIGGER … take weaker locks or none worth a finding here.
    let weak = w.is(a, "set") && w.punct(a + 1, b'(')
        || w.is(a, "attach")
        || w.is(a, "owner")
        || w.is(a, "enable")
        || w.is(a, "disable")
        || w.is(a, "cluster")
        || w.is(a, "replica");
    Some(ChangeKind::OtherAlter {
        access_exclusive: !weak,
    })
}

/// `CHECK (col IS NOT NULL)` starting at the `(` at `i`: the column.
fn not_null_check(w: &Words<'_>, i: usize) -> Option<String> {
    (w.punct(i, b'(')
        && matches!(w.toks.get(i + 1)?.kind, Kind::Word | Kind::Quoted)
        && w.is(i + 2, "is")
        && w.is(i + 3, "not")
        && w.is(i + 4, "null")
        && w.punct(i + 5, b')'))
    .then(|| w.ident(i + 1))
}

/// `SET [SESSION|LOCAL] lock_timeout …` or `set_config('lock_timeout', …)`:
/// `Some(true)` when it sets a limit, `Some(false)` when it turns it off
/// (`0`, `DEFAULT`).
pub fn sets_lock_timeout(sql: &str) -> Option<bool> {
    let lower = sql.trim_start().to_ascii_lowercase();
    if !lower.contains("lock_timeout") {
        return None;
    }
    let w = Words {
        src: sql,
        toks: tokens(sql),
    };
    let value = if w.is(0, "set") {
        let i = 1 + usize::from(w.is(1, "session") || w.is(1, "local"));
        if !w.is(i, "lock_timeout") {
            return None;
        }
        w.text(i + 2).trim_matches('\'').to_ascii_lowercase()
    } else {
        let k = (0..w.toks.len()).find(|&k| w.text(k).trim_matches('\'') == "lock_timeout")?;
        if !w.text(k.checked_sub(2)?).eq_ignore_ascii_case("set_config") {
            return None;
        }
        w.text(k + 2).trim_matches('\'').to_ascii_lowercase()
    };
    let off = value == "0" || value == "default" || value.starts_with("0 ") || value == "0ms";
    Some(!off)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(sql: &str) -> ChangeKind {
        let c = classify(sql);
        assert_eq!(c.len(), 1, "{sql}: {c:?}");
        c[0].kind.clone()
    }

    #[test]
    fn parse_alter_actions() {
        assert_eq!(
            kind("ALTER TABLE t ALTER COLUMN c SET NOT NULL"),
            ChangeKind::SetNotNull { column: "c".into() }
        );
        assert_eq!(
            kind("ALTER TABLE ONLY public.t ALTER c TYPE varchar(20) USING c::varchar"),
            ChangeKind::AlterType {
                column: "c".into(),
                to: "varchar(20)".into(),
                using: true
            }
        );
        let ChangeKind::AddConstraint {
            kind: k,
            not_valid,
            not_null_check,
            ..
        } = kind("ALTER TABLE t ADD CONSTRAINT c CHECK (\"Col\" IS NOT NULL) NOT VALID")
        else {
            panic!()
        };
        assert_eq!(k, ConstraintKind::Check);
        assert!(not_valid);
        assert_eq!(not_null_check.as_deref(), Some("Col"));
        let ChangeKind::AddColumn {
            column,
            data_type,
            not_null,
            default,
            stored,
            ..
        } = kind(
            "ALTER TABLE t ADD COLUMN IF NOT EXISTS x numeric(10, 2) NOT NULL DEFAULT random() * 2",
        )
        else {
            panic!()
        };
        assert_eq!(
            (column.as_str(), data_type.as_str(), not_null, stored),
            ("x", "numeric(10, 2)", true, false)
        );
        assert_eq!(default.as_deref(), Some("random() * 2"));
        assert!(matches!(
            kind("ALTER TABLE t ADD g int GENERATED ALWAYS AS (a * 2) STORED"),
            ChangeKind::AddColumn { stored: true, .. }
        ));
        assert!(matches!(
            kind("ALTER TABLE t ADD id bigint GENERATED BY DEFAULT AS IDENTITY"),
            ChangeKind::AddColumn {
                identity: true,
                default: None,
                ..
            }
        ));
        assert!(matches!(
            kind("ALTER TABLE t ADD id bigint GENERATED ALWAYS AS IDENTITY"),
            ChangeKind::AddColumn {
                stored: false,
                identity: true,
                ..
            }
        ));
        assert_eq!(
            kind("ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY"),
            ChangeKind::DetachPartition {
                partition: "p1".into(),
                concurrently: true
            }
        );
        assert_eq!(
            kind("ALTER TABLE t RENAME COLUMN a TO b"),
            ChangeKind::RenameColumn {
                old: "a".into(),
                new: "b".into()
            }
        );
    }

    #[test]
    fn parse_other_statements() {
        assert_eq!(
            kind("REINDEX (VERBOSE) INDEX CONCURRENTLY i"),
            ChangeKind::Reindex {
                index: Some("i".into()),
                concurrently: true
            }
        );
        assert_eq!(
            kind("LOCK TABLE t IN SHARE ROW EXCLUSIVE MODE"),
            ChangeKind::Lock {
                mode: "SHARE ROW EXCLUSIVE".into()
            }
        );
        assert_eq!(
            kind("LOCK t"),
            ChangeKind::Lock {
                mode: "ACCESS EXCLUSIVE".into()
            }
        );
        assert_eq!(kind("VACUUM (FULL, ANALYZE) t"), ChangeKind::VacuumFull);
        assert!(classify("VACUUM ANALYZE t").is_empty());
        assert_eq!(kind("CLUSTER t USING t_pkey"), ChangeKind::Cluster);
        assert_eq!(classify("DROP INDEX CONCURRENTLY IF EXISTS a, b").len(), 2);
        assert!(classify("CREATE TABLE t (id bigserial PRIMARY KEY)").is_empty());
        assert_eq!(sets_lock_timeout("SET lock_timeout = '5s'"), Some(true));
        assert_eq!(
            sets_lock_timeout("SET LOCAL lock_timeout TO 0"),
            Some(false)
        );
        assert_eq!(
            sets_lock_timeout("SELECT set_config('lock_timeout', '2s', false)"),
            Some(true)
        );
    }
}
