//! Replaying migrations: statement by statement, file by file, into the
//! schema they leave behind, remembering where each statement is and what
//! the database looked like when it ran.
//!
//! What a migration can do to the catalog is followed: CREATE TABLE (inline
//! and table constraints), CREATE [UNIQUE] INDEX, ALTER TABLE ADD/DROP
//! COLUMN, ADD/DROP/RENAME CONSTRAINT, RENAME COLUMN/TO, ALTER INDEX RENAME,
//! DROP INDEX, DROP TABLE, and transaction blocks (BEGIN … COMMIT). Other
//! statements (functions, grants, data changes) are not parsed at all, so
//! SQL the parser does not know there costs nothing. A catalog statement
//! that does not parse is a [`SyntaxProblem`] with its file, line and
//! column; the replay goes on without it.
//!
//! Statements keep their comments' instructions: `-- dbperf:ignore
//! rule-id…` before a statement (no id: every rule), `-- dbperf:ignore-file`
//! anywhere in a file, and statistics (`-- dbperf: orders rows=5000000`,
//! `-- dbperf: orders.status distinct=4 nulls=0`) that tell how large a
//! table will be in production.

use std::collections::{HashMap, HashSet};

use sqlparser::ast::{
    AlterIndexOperation, AlterTableOperation, ColumnDef, ColumnOption, CreateIndex, CreateTable,
    IndexColumn, ObjectType, RenameTableNameKind, Statement, TableConstraint,
};
use sqlparser::dialect::{Dialect as SqlDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;

use crate::model::Dialect;
use crate::model::schema::{Index, IndexKey, Schema, Table};
use crate::parse::ddl::{
    add_primary_key, column, foreign_key, index_from_create, split_name, unique_index,
};
use crate::sql::predicate::ident_name;
use crate::sql::split::split;
use crate::sql::statement::object_name;

/// One migration to replay.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub path: &'a str,
    pub text: &'a str,
    /// Whether the tool wraps the whole file in a transaction.
    pub implicit_transaction: bool,
}

/// Which rules a comment turns off for a statement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Ignore {
    #[default]
    Nothing,
    All,
    Rules(Vec<String>),
}

impl Ignore {
    pub fn covers(&self, rule: &str) -> bool {
        match self {
            Ignore::Nothing => false,
            Ignore::All => true,
            Ignore::Rules(r) => r.iter().any(|x| x == rule),
        }
    }

    /// Adds the rule ids of one ignore comment (none: every rule).
    pub(crate) fn add(&mut self, rules: &str) {
        let ids: Vec<String> = rules
            .split([',', ' ', '\t'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        *self = match (std::mem::take(self), ids.is_empty()) {
            (_, true) | (Ignore::All, _) => Ignore::All,
            (Ignore::Nothing, false) => Ignore::Rules(ids),
            (Ignore::Rules(mut r), false) => {
                r.extend(ids);
                Ignore::Rules(r)
            }
        };
    }
}

/// What a replayed statement did, as far as rules care.
#[derive(Debug, Clone)]
pub enum Event {
    CreateTable {
        table: String,
    },
    CreateIndex {
        table: String,
        index: Index,
        concurrently: bool,
        /// The table was created earlier in the same file (so it is empty
        /// and nobody else can be using it).
        table_new_in_file: bool,
        in_transaction: bool,
        statement: Box<CreateIndex>,
    },
    DropIndex {
        table: String,
        index: Index,
    },
    /// Any other catalog change (ALTER TABLE …, DROP TABLE).
    Other,
}

/// A statement that changed the catalog, where it is and what it did.
#[derive(Debug, Clone)]
pub struct Replayed {
    /// Index into the inputs.
    pub file: usize,
    /// Byte range of the statement (without its `;`) in the file's text.
    pub start: usize,
    pub end: usize,
    /// 1-based line and column of its first character.
    pub line: usize,
    pub column: usize,
    pub ignore: Ignore,
    pub event: Event,
}

/// A catalog statement that did not parse.
#[derive(Debug, Clone)]
pub struct SyntaxProblem {
    pub file: usize,
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// Turned off by `-- dbperf:ignore` before it (or in the file).
    pub ignored: bool,
}

/// The outcome of a replay.
#[derive(Debug, Default)]
pub struct Replay {
    /// The schema once every migration has run.
    pub schema: Schema,
    pub statements: Vec<Replayed>,
    pub problems: Vec<SyntaxProblem>,
    /// Per input: `-- dbperf:ignore-file` (everything, or some rules).
    pub file_ignores: Vec<Ignore>,
    /// Tables some migration created (lower-case bare names); others were
    /// only altered, so they existed before these migrations.
    pub created: HashSet<String>,
    /// Statistics comments that could not be applied, as `path:line: why`.
    pub notes: Vec<String>,
}

impl Replay {
    /// The statement that starts at `line` of the file `path`.
    pub fn statement_at(&self, files: &[Input<'_>], path: &str, line: usize) -> Option<&Replayed> {
        self.statements
            .iter()
            .find(|s| s.line == line && files[s.file].path == path)
    }
}

/// Replays `files` in order into a schema of `dialect`.
pub fn replay(files: &[Input<'_>], dialect: Dialect) -> Replay {
    let mut r = Replayer {
        out: Replay {
            schema: Schema {
                dialect,
                ..Schema::default()
            },
            ..Replay::default()
        },
        dialect,
        stats: Vec::new(),
        table_file: HashMap::new(),
        at: (String::new(), 0),
    };
    for (i, f) in files.iter().enumerate() {
        r.file(i, f);
    }
    r.apply_stats(files);
    let mut out = r.out;
    out.schema.has_statistics = out.schema.tables.iter().any(|t| t.rows.is_some());
    out
}

struct StatLine {
    file: usize,
    line: usize,
    text: String,
    /// The table of the CREATE TABLE it sits in or before.
    context: Option<String>,
}

struct Replayer {
    out: Replay,
    dialect: Dialect,
    stats: Vec<StatLine>,
    /// The file that created each table (lower-case bare name).
    table_file: HashMap<String, usize>,
    /// File and line of the statement being replayed, for `defined_at`.
    at: (String, usize),
}

fn bare(name: &str) -> String {
    name.rsplit('.').next().unwrap_or(name).to_lowercase()
}

/// The first words of a statement, lower-case.
fn head(text: &str, n: usize) -> String {
    let mut words = Vec::with_capacity(n);
    for w in text.split(|c: char| c.is_whitespace() || c == '(' || c == ';') {
        if w.is_empty() {
            continue;
        }
        words.push(w.to_ascii_lowercase());
        if words.len() == n {
            break;
        }
    }
    words.join(" ")
}

/// Whether a statement may change the catalog in a way rules see.
fn wanted(h: &str, text: &str) -> bool {
    if h.starts_with("create table")
        || h.starts_with("create unlogged table")
        || h.starts_with("create temp")
        || h.starts_with("create index")
        || h.starts_with("create unique index")
        || h.starts_with("drop index")
        || h.starts_with("drop table")
    {
        return true;
    }
    if h.starts_with("alter index") {
        return text.to_ascii_uppercase().contains(" RENAME ");
    }
    if h.starts_with("alter table") {
        let upper = text.to_ascii_uppercase();
        let upper = upper.split_whitespace().collect::<Vec<_>>().join(" ");
        // `ALTER COLUMN … ADD GENERATED … AS IDENTITY` (pg_dump) changes no index.
        return (upper.contains(" ADD ") && !upper.contains(" ADD GENERATED "))
            || upper.contains(" DROP COLUMN ")
            || upper.contains(" DROP CONSTRAINT ")
            || upper.contains(" RENAME ");
    }
    false
}

/// Line starts of a text, for offset → line and column.
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
        .collect()
}

/// 1-based line and column (in characters) of a byte offset.
pub fn position(text: &str, starts: &[usize], offset: usize) -> (usize, usize) {
    let line = starts.partition_point(|s| *s <= offset).max(1);
    let from = starts[line - 1];
    let column = text
        .get(from..offset)
        .map_or(offset - from, |s| s.chars().count())
        + 1;
    (line, column)
}

impl Replayer {
    fn file(&mut self, index: usize, f: &Input<'_>) {
        let starts = line_starts(f.text);
        let mut file_ignore = Ignore::Nothing;
        let mut in_tx = f.implicit_transaction;
        for raw in split(f.text) {
            let mut ignore = Ignore::Nothing;
            let mut stat_lines = Vec::new();
            for (line, c) in &raw.comments {
                let Some(rest) = c.strip_prefix("dbperf:") else {
                    continue;
                };
                let rest = rest.trim();
                if let Some(ids) = rest.strip_prefix("ignore-file") {
                    file_ignore.add(ids);
                } else if let Some(ids) = rest.strip_prefix("ignore") {
                    if *line < raw.line || raw.text.is_empty() {
                        ignore.add(ids);
                    }
                } else {
                    stat_lines.push((*line, rest.to_string()));
                }
            }
            if raw.text.is_empty() {
                self.push_stats(index, stat_lines, None);
                continue;
            }
            let start = raw.text.as_ptr() as usize - f.text.as_ptr() as usize;
            let end = start + raw.text.len();
            let (line, column) = position(f.text, &starts, start);
            let h = head(raw.text, 4);
            if h == "begin"
                || h.starts_with("begin transaction")
                || h.starts_with("begin work")
                || h.starts_with("begin isolation")
                || h.starts_with("start transaction")
            {
                in_tx = true;
            } else if ["commit", "end", "rollback", "abort"]
                .iter()
                .any(|w| h == *w || h.starts_with(&format!("{w} ")))
            {
                in_tx = f.implicit_transaction;
            }
            if !wanted(&h, raw.text) {
                self.push_stats(index, stat_lines, None);
                continue;
            }
            // sqlparser does not know `DROP INDEX CONCURRENTLY`; the
            // catalog change is the same without the word.
            let text = if h.starts_with("drop index concurrently") {
                let p = raw
                    .text
                    .to_ascii_lowercase()
                    .find("concurrently")
                    .unwrap_or(0);
                std::borrow::Cow::Owned(format!(
                    "{}{}",
                    &raw.text[..p],
                    &raw.text[p + "concurrently".len()..]
                ))
            } else {
                std::borrow::Cow::Borrowed(raw.text)
            };
            let stmts = match Parser::parse_sql(sql_dialect(self.dialect).as_ref(), &text) {
                Ok(s) => s,
                Err(e) => {
                    let (msg, l, c) = error_position(&e.to_string());
                    let (pl, pc) = match (l, c) {
                        (Some(l), Some(c)) if l > 1 => (line + l - 1, c),
                        (Some(_), Some(c)) => (line, column + c - 1),
                        _ => (line, column),
                    };
                    self.out.problems.push(SyntaxProblem {
                        file: index,
                        line: pl,
                        column: pc,
                        message: msg,
                        ignored: ignore != Ignore::Nothing,
                    });
                    self.push_stats(index, stat_lines, None);
                    continue;
                }
            };
            let mut context = None;
            self.at = (f.path.to_string(), line);
            for s in stmts {
                let event = self.statement(index, s, in_tx, &mut context);
                self.out.statements.push(Replayed {
                    file: index,
                    start,
                    end,
                    line,
                    column,
                    ignore: ignore.clone(),
                    event,
                });
            }
            self.push_stats(index, stat_lines, context);
        }
        self.out.file_ignores.push(file_ignore);
    }

    fn push_stats(&mut self, file: usize, lines: Vec<(usize, String)>, context: Option<String>) {
        for (line, text) in lines {
            self.stats.push(StatLine {
                file,
                line,
                text,
                context: context.clone(),
            });
        }
    }

    fn statement(
        &mut self,
        file: usize,
        s: Statement,
        in_tx: bool,
        context: &mut Option<String>,
    ) -> Event {
        match s {
            Statement::CreateTable(ct) => {
                let table = self.create_table(file, &ct);
                *context = Some(table.clone());
                Event::CreateTable { table }
            }
            Statement::CreateIndex(ci) => self.create_index(file, Box::new(ci), in_tx),
            Statement::AlterTable(at) => {
                let table = object_name(&at.name);
                for op in &at.operations {
                    self.alter(&table, op);
                }
                Event::Other
            }
            Statement::AlterIndex { name, operation } => {
                let AlterIndexOperation::RenameIndex { index_name } = operation;
                let old = bare(&object_name(&name));
                let new = bare(&object_name(&index_name));
                for t in &mut self.out.schema.tables {
                    for ix in &mut t.indexes {
                        if ix.name.eq_ignore_ascii_case(&old) {
                            ix.name = new.clone();
                        }
                    }
                }
                Event::Other
            }
            Statement::Drop {
                object_type: ObjectType::Index,
                names,
                ..
            } => {
                let mut event = Event::Other;
                for n in &names {
                    let name = bare(&object_name(n));
                    for t in &mut self.out.schema.tables {
                        if let Some(p) = t
                            .indexes
                            .iter()
                            .position(|i| i.name.eq_ignore_ascii_case(&name))
                        {
                            let index = t.indexes.remove(p);
                            event = Event::DropIndex {
                                table: t.qualified_name(),
                                index,
                            };
                            break;
                        }
                    }
                }
                event
            }
            Statement::Drop {
                object_type: ObjectType::Table,
                names,
                ..
            } => {
                for n in &names {
                    let name = bare(&object_name(n));
                    self.out
                        .schema
                        .tables
                        .retain(|t| !t.name.eq_ignore_ascii_case(&name));
                    for t in &mut self.out.schema.tables {
                        t.foreign_keys
                            .retain(|fk| bare(&fk.referenced_table) != name);
                    }
                    self.out.created.remove(&name);
                    self.table_file.remove(&name);
                }
                Event::Other
            }
            _ => Event::Other,
        }
    }

    /// The table, made up as an empty one if no migration created it (it
    /// existed before them).
    fn table_mut(&mut self, name: &str) -> &mut Table {
        let b = bare(name);
        let pos = self
            .out
            .schema
            .tables
            .iter()
            .position(|t| t.name.eq_ignore_ascii_case(&b));
        let pos = match pos {
            Some(p) => p,
            None => {
                let (schema, n) = split_name(name);
                self.out.schema.tables.push(Table {
                    schema,
                    name: n,
                    ..Table::default()
                });
                self.out.schema.tables.len() - 1
            }
        };
        &mut self.out.schema.tables[pos]
    }

    fn create_table(&mut self, file: usize, ct: &CreateTable) -> String {
        let full = object_name(&ct.name);
        let b = bare(&full);
        if ct.if_not_exists && self.out.schema.table(&full).is_some() {
            return full;
        }
        self.out
            .schema
            .tables
            .retain(|t| !t.name.eq_ignore_ascii_case(&b));
        let (schema, name) = split_name(&full);
        let mut t = Table {
            schema,
            name,
            defined_at: Some(self.at.clone()),
            ..Table::default()
        };
        let mut later: Vec<TableConstraint> = ct.constraints.clone();
        for c in &ct.columns {
            t.columns.push(column(c));
            later.extend(inline_constraints(c));
        }
        self.out.schema.tables.push(t);
        self.out.created.insert(b.clone());
        self.table_file.insert(b, file);
        for c in &later {
            self.constraint(&full, c);
        }
        full
    }

    fn alter(&mut self, table: &str, op: &AlterTableOperation) {
        match op {
            AlterTableOperation::AddConstraint { constraint, .. } => {
                self.constraint(table, constraint)
            }
            AlterTableOperation::AddColumn { column_def, .. } => {
                let col = column(column_def);
                let t = self.table_mut(table);
                if t.column(&col.name).is_none() {
                    t.columns.push(col);
                }
                for c in inline_constraints(column_def) {
                    self.constraint(table, &c);
                }
            }
            AlterTableOperation::DropColumn { column_names, .. } => {
                let t = self.table_mut(table);
                for c in column_names {
                    let c = ident_name(c);
                    t.columns.retain(|x| !x.name.eq_ignore_ascii_case(&c));
                    // PostgreSQL drops the indexes and constraints on it too.
                    t.indexes.retain(|ix| {
                        !ix.keys
                            .iter()
                            .any(|k| k.column_name().is_some_and(|n| n.eq_ignore_ascii_case(&c)))
                    });
                    t.foreign_keys
                        .retain(|fk| !fk.columns.iter().any(|x| x.eq_ignore_ascii_case(&c)));
                    if t.primary_key.iter().any(|x| x.eq_ignore_ascii_case(&c)) {
                        t.primary_key.clear();
                    }
                }
            }
            AlterTableOperation::DropConstraint { name, .. } => {
                let name = ident_name(name);
                let t = self.table_mut(table);
                if let Some(p) = t
                    .indexes
                    .iter()
                    .position(|i| i.name.eq_ignore_ascii_case(&name))
                {
                    if t.indexes[p].primary {
                        t.primary_key.clear();
                    }
                    t.indexes.remove(p);
                }
                t.foreign_keys.retain(|fk| {
                    !fk.name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(&name))
                });
            }
            AlterTableOperation::DropPrimaryKey { .. } => {
                let t = self.table_mut(table);
                t.primary_key.clear();
                t.indexes.retain(|i| !i.primary);
            }
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } => {
                let (old, new) = (ident_name(old_column_name), ident_name(new_column_name));
                let t = self.table_mut(table);
                rename_column(t, &old, &new);
            }
            AlterTableOperation::RenameConstraint { old_name, new_name } => {
                let (old, new) = (ident_name(old_name), ident_name(new_name));
                let t = self.table_mut(table);
                for ix in &mut t.indexes {
                    if ix.name.eq_ignore_ascii_case(&old) {
                        ix.name = new.clone();
                    }
                }
                for fk in &mut t.foreign_keys {
                    if fk
                        .name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(&old))
                    {
                        fk.name = Some(new.clone());
                    }
                }
            }
            AlterTableOperation::RenameTable { table_name } => {
                let new = match table_name {
                    RenameTableNameKind::As(n) | RenameTableNameKind::To(n) => object_name(n),
                };
                let (old_b, new_b) = (bare(table), bare(&new));
                self.table_mut(table).name = split_name(&new).1;
                for t in &mut self.out.schema.tables {
                    for fk in &mut t.foreign_keys {
                        if bare(&fk.referenced_table) == old_b {
                            fk.referenced_table = new.clone();
                        }
                    }
                }
                if self.out.created.remove(&old_b) {
                    self.out.created.insert(new_b.clone());
                }
                if let Some(f) = self.table_file.remove(&old_b) {
                    self.table_file.insert(new_b, f);
                }
            }
            _ => {}
        }
    }

    fn constraint(&mut self, table: &str, c: &TableConstraint) {
        let b = split_name(table).1;
        let at = Some(self.at.clone());
        match c {
            TableConstraint::PrimaryKey(pk) => {
                add_primary_key(self.table_mut(table), pk, &b, at);
            }
            TableConstraint::Unique(u) => {
                let ix = unique_index(u, &b, at);
                self.table_mut(table).indexes.push(ix);
            }
            TableConstraint::ForeignKey(fk) => {
                let fk = foreign_key(fk, at);
                self.table_mut(table).foreign_keys.push(fk);
            }
            _ => {}
        }
    }

    fn create_index(&mut self, file: usize, ci: Box<CreateIndex>, in_tx: bool) -> Event {
        let (table, index) = index_from_create(&ci, Some(self.at.clone()));
        let b = bare(&table);
        let table_new_in_file = self.table_file.get(&b) == Some(&file);
        let t = self.table_mut(&table);
        let exists = t
            .indexes
            .iter()
            .any(|i| i.name.eq_ignore_ascii_case(&index.name));
        if !(exists && ci.if_not_exists) {
            t.indexes
                .retain(|i| !i.name.eq_ignore_ascii_case(&index.name));
            t.indexes.push(index.clone());
        }
        Event::CreateIndex {
            table: t.qualified_name(),
            index,
            concurrently: ci.concurrently,
            table_new_in_file,
            in_transaction: in_tx,
            statement: ci,
        }
    }

    fn apply_stats(&mut self, files: &[Input<'_>]) {
        for s in std::mem::take(&mut self.stats) {
            if let Err(msg) = self.apply_stat(&s) {
                self.out
                    .notes
                    .push(format!("{}:{}: {msg}", files[s.file].path, s.line));
            }
        }
    }

    fn apply_stat(&mut self, s: &StatLine) -> Result<(), String> {
        let mut words = s.text.split_whitespace().peekable();
        let target = match words.peek() {
            Some(w) if !w.contains('=') => words.next().map(str::to_string),
            _ => None,
        };
        let (table, column) = match (target, &s.context) {
            (None, Some(ctx)) => (ctx.clone(), None),
            (None, None) => {
                return Err("dbperf statistics with no table: name it (`orders rows=…`)".into());
            }
            (Some(t), ctx) => {
                if self.out.schema.table(&t).is_some() {
                    (t, None)
                } else if let Some((tab, col)) = t.rsplit_once('.') {
                    (tab.to_string(), Some(col.to_string()))
                } else if let Some(ctx) = ctx {
                    (ctx.clone(), Some(t))
                } else {
                    return Err(format!("dbperf statistics for unknown table `{t}`"));
                }
            }
        };
        let Some(t) = self.out.schema.table_mut(&table) else {
            return Err(format!("dbperf statistics for unknown table `{table}`"));
        };
        for kv in words {
            let Some((k, v)) = kv.split_once('=') else {
                return Err(format!("expected key=value, found `{kv}`"));
            };
            let n: f64 = v
                .replace('_', "")
                .parse()
                .ok()
                .filter(|x: &f64| x.is_finite())
                .ok_or_else(|| format!("`{k}` needs a number, found `{v}`"))?;
            match (&column, k) {
                (None, "rows") => t.rows = Some(n),
                (None, "bytes") => t.bytes = Some(n as u64),
                (Some(c), "distinct" | "nulls") => {
                    let Some(col) = t
                        .columns
                        .iter_mut()
                        .find(|x| x.name.eq_ignore_ascii_case(c))
                    else {
                        return Err(format!("dbperf statistics for unknown column `{c}`"));
                    };
                    if k == "distinct" {
                        col.n_distinct = Some(n);
                    } else {
                        col.null_frac = Some(n);
                    }
                }
                _ => return Err(format!("unknown statistic `{k}`")),
            }
        }
        Ok(())
    }
}

fn sql_dialect(d: Dialect) -> Box<dyn SqlDialect> {
    match d {
        Dialect::Postgres => Box::new(PostgreSqlDialect {}),
        Dialect::Sqlite => Box::new(SQLiteDialect {}),
        Dialect::Mysql => Box::new(MySqlDialect {}),
    }
}

/// Splits sqlparser's `… at Line: 3, Column: 7` into the message and the
/// position within the statement.
fn error_position(text: &str) -> (String, Option<usize>, Option<usize>) {
    let text = text.strip_prefix("sql parser error: ").unwrap_or(text);
    match text.rfind(" at Line: ") {
        Some(p) => {
            let rest = &text[p + 10..];
            let mut parts = rest.split(", Column: ");
            let line = parts.next().and_then(|l| l.trim().parse().ok());
            let col = parts.next().and_then(|c| c.trim().parse().ok());
            (text[..p].to_string(), line, col)
        }
        None => (text.to_string(), None, None),
    }
}

/// A column's inline PRIMARY KEY, UNIQUE and REFERENCES as table constraints.
fn inline_constraints(c: &ColumnDef) -> Vec<TableConstraint> {
    let mut out = Vec::new();
    for o in &c.options {
        match &o.option {
            ColumnOption::PrimaryKey(pk) => {
                let mut pk = pk.clone();
                pk.columns = vec![IndexColumn::from(c.name.clone())];
                out.push(TableConstraint::PrimaryKey(pk));
            }
            ColumnOption::Unique(u) => {
                let mut u = u.clone();
                u.columns = vec![IndexColumn::from(c.name.clone())];
                out.push(TableConstraint::Unique(u));
            }
            ColumnOption::ForeignKey(fk) => {
                let mut fk = fk.clone();
                fk.columns = vec![c.name.clone()];
                out.push(TableConstraint::ForeignKey(fk));
            }
            _ => {}
        }
    }
    out
}

fn rename_column(t: &mut Table, old: &str, new: &str) {
    let same = |x: &str| x.eq_ignore_ascii_case(old);
    for c in &mut t.columns {
        if same(&c.name) {
            c.name = new.to_string();
        }
    }
    for ix in &mut t.indexes {
        for k in &mut ix.keys {
            if let IndexKey::Column { name, .. } = k
                && same(name)
            {
                *name = new.to_string();
            }
        }
    }
    for fk in &mut t.foreign_keys {
        for c in &mut fk.columns {
            if same(c) {
                *c = new.to_string();
            }
        }
    }
    for c in &mut t.primary_key {
        if same(c) {
            *c = new.to_string();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(files: &[&str]) -> Replay {
        let names: Vec<String> = (0..files.len()).map(|i| format!("{i}.sql")).collect();
        let inputs: Vec<Input<'_>> = files
            .iter()
            .zip(&names)
            .map(|(t, n)| Input {
                path: n,
                text: t,
                implicit_transaction: false,
            })
            .collect();
        replay(&inputs, Dialect::Postgres)
    }

    #[test]
    fn parse_replay_follows_drops_and_renames() {
        let r = run(&[
            "CREATE TABLE a (id int PRIMARY KEY, x int, y int);\nCREATE INDEX a_x ON a (x);",
            "ALTER TABLE a RENAME COLUMN x TO z;\nCREATE INDEX a_y ON a (y);\nDROP INDEX a_y;\nALTER TABLE a RENAME TO b;",
        ]);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let t = r.schema.table("b").unwrap();
        let names: Vec<&str> = t.indexes.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["a_pkey", "a_x"]);
        assert_eq!(t.indexes[1].keys, vec![IndexKey::column("z")]);
        assert!(r.created.contains("b"));
        let drops = r
            .statements
            .iter()
            .filter(|s| matches!(s.event, Event::DropIndex { .. }))
            .count();
        assert_eq!(drops, 1);
    }

    #[test]
    fn parse_replay_positions_transactions_and_problems() {
        let r = run(&[
            "CREATE TABLE a (id int);\n\nBEGIN;\n  -- dbperf:ignore non-concurrent-index\n  CREATE INDEX CONCURRENTLY i ON a (id);\nCOMMIT;\nCREATE TABLE b (id int,, x);\n",
        ]);
        let ci = r
            .statements
            .iter()
            .find(|s| matches!(s.event, Event::CreateIndex { .. }))
            .unwrap();
        assert_eq!((ci.line, ci.column), (5, 3));
        assert!(ci.ignore.covers("non-concurrent-index"));
        let Event::CreateIndex {
            in_transaction,
            table_new_in_file,
            ..
        } = &ci.event
        else {
            unreachable!()
        };
        assert!(*in_transaction && *table_new_in_file);
        assert_eq!(r.problems.len(), 1);
        assert_eq!(r.problems[0].line, 7);
        assert!(r.problems[0].column > 1, "{:?}", r.problems[0]);
    }

    #[test]
    fn parse_replay_statistics_comments() {
        let r = run(&[
            "-- dbperf: rows=5000000\nCREATE TABLE a (id int, s text);\n-- dbperf: a.s distinct=4\n-- dbperf: nope rows=1\n",
        ]);
        let t = r.schema.table("a").unwrap();
        assert_eq!(t.rows, Some(5_000_000.0));
        assert_eq!(t.column("s").unwrap().n_distinct, Some(4.0));
        assert_eq!(r.notes.len(), 1, "{:?}", r.notes);
    }
}
