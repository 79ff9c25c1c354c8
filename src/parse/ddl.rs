//! DDL → [`Schema`]: tables, columns, primary keys, unique constraints,
//! indexes and foreign keys from a schema script, as `pg_dump
//! --schema-only` or `sqlite3 .schema` print it, plus statistics declared
//! in comments.
//!
//! Only the statements that shape the catalog are parsed (CREATE TABLE,
//! CREATE [UNIQUE] INDEX, ALTER TABLE … ADD CONSTRAINT/COLUMN); the rest of
//! a dump (SET, sequences, ownership, functions, grants) is skipped. A
//! statement of that kind that does not parse is reported with its file and
//! line and skipped; the rest of the schema still loads.
//!
//! # Statistics in comments
//!
//! A DDL file has no statistics, and without them the advisor can only
//! guess. Declare them with `-- dbperf:` comments, anywhere in the file:
//!
//! ```sql
//! -- dbperf: orders rows=200000
//! -- dbperf: orders.status distinct=4 nulls=0 mcv='delivered':0.93,'shipped':0.04
//! CREATE TABLE customers (
//!     -- dbperf: rows=100000
//!     id bigint PRIMARY KEY,
//!     -- dbperf: country distinct=11 mcv='US':0.45,'DE':0.15
//!     country text NOT NULL
//! );
//! ```
//!
//! - `TABLE rows=N [bytes=N]`, `TABLE.COLUMN key=value…`: explicit targets.
//! - Inside or right before a `CREATE TABLE`, the table may be left out:
//!   `rows=N` is that table's, `COLUMN key=value…` one of its columns.
//! - Column keys: `distinct=N` (a negative number is a fraction of the
//!   rows, as in `pg_stats.n_distinct`), `nulls=F` (fraction of NULLs),
//!   `mcv=VALUE:FREQ,…` (most common values with their frequencies; quote
//!   a value that holds `,`, `:` or spaces as `'it''s'`).
//!
//! `fixtures/shop/generate.sh` shows how to write these lines from a live
//! database's `pg_class` and `pg_stats`.

use sqlparser::ast::{
    AlterTableOperation, ColumnDef, ColumnOption, CreateIndex, CreateTable, Expr,
    ForeignKeyConstraint, IndexColumn, ObjectName, OrderBySort, PrimaryKeyConstraint, Statement,
    TableConstraint, UniqueConstraint,
};

use crate::error::Error;
use crate::model::Dialect;
use crate::model::schema::{Column, ForeignKey, Index, IndexKey, Schema, Table, generated_name};
use crate::sql::predicate::{ident_name, normalize_sql};
use crate::sql::split::{RawStatement, split};
use crate::sql::statement::{object_name, parse};

/// Parses a schema script. Returns the schema and the problems met on the
/// way (statements that did not parse, statistics for unknown tables), each
/// an [`Error::Input`] with the file and line.
pub fn parse_schema(path: &str, text: &str, dialect: Dialect) -> (Schema, Vec<Error>) {
    let mut b = Builder {
        path,
        schema: Schema::default(),
        problems: Vec::new(),
        stats: Vec::new(),
    };
    for raw in split(text) {
        b.statement(&raw, dialect);
    }
    b.apply_stats();
    let Builder {
        mut schema,
        problems,
        ..
    } = b;
    schema.has_statistics = schema.tables.iter().any(|t| t.rows.is_some());
    (schema, problems)
}

/// A `-- dbperf:` line waiting for the tables to exist.
struct StatLine {
    line: usize,
    text: String,
    /// The table of the CREATE TABLE it sits in or before.
    context: Option<String>,
}

struct Builder<'p> {
    path: &'p str,
    schema: Schema,
    problems: Vec<Error>,
    stats: Vec<StatLine>,
}

/// Whether a statement shapes the catalog, judged from its first words.
fn wanted(text: &str) -> bool {
    let head: String = text
        .split_whitespace()
        .take(6)
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase();
    if head.starts_with("create table")
        || head.starts_with("create unlogged table")
        || head.starts_with("create temp")
        || head.starts_with("create index")
        || head.starts_with("create unique index")
    {
        return true;
    }
    if head.starts_with("alter table") {
        let upper = text.to_ascii_uppercase();
        return upper.contains(" ADD CONSTRAINT ")
            || upper.contains(" ADD PRIMARY KEY")
            || upper.contains(" ADD FOREIGN KEY")
            || upper.contains(" ADD UNIQUE")
            || (upper.contains(" ADD COLUMN ") && !upper.contains("GENERATED"));
    }
    false
}

impl Builder<'_> {
    fn statement(&mut self, raw: &RawStatement<'_>, dialect: Dialect) {
        let is_create_table = raw
            .text
            .split_whitespace()
            .take(3)
            .any(|w| w.eq_ignore_ascii_case("table"))
            // `get`: byte 6 may fall inside a character.
            && raw.text.get(..6).is_some_and(|h| h.eq_ignore_ascii_case("create"));
        let stat_lines: Vec<(usize, String)> = raw
            .comments
            .iter()
            .filter_map(|(l, c)| {
                c.strip_prefix("dbperf:")
                    .map(|s| (*l, s.trim().to_string()))
            })
            .collect();
        if dialect == Dialect::Postgres
            && let Some((parent, child)) = attach_partition(raw.text)
        {
            if let Some(t) = self.schema.table_mut(&child) {
                t.partition_of = Some(parent);
            }
            for (line, text) in stat_lines {
                self.stats.push(StatLine {
                    line,
                    text,
                    context: None,
                });
            }
            return;
        }
        if !wanted(raw.text) {
            for (line, text) in stat_lines {
                self.stats.push(StatLine {
                    line,
                    text,
                    context: None,
                });
            }
            return;
        }
        // PostgreSQL clauses the parser does not know (pg_dump's `ON ONLY`,
        // storage options, …) are blanked first; an ALTER TABLE goes action
        // by action, so that one action it does not know costs only itself.
        let parsed = if dialect == Dialect::Postgres {
            match crate::parse::pg_ddl::alter_actions(raw.text) {
                Some((head, actions)) => {
                    let mut all = Vec::new();
                    for (s, e) in actions {
                        let text =
                            crate::parse::pg_ddl::prepare(&format!("{head}{}", &raw.text[s..e]))
                                .text;
                        // An action the parser does not know changes no key.
                        all.extend(parse(&text, dialect).unwrap_or_default());
                    }
                    Ok(all)
                }
                None => parse(&crate::parse::pg_ddl::prepare(raw.text).text, dialect),
            }
        } else {
            parse(raw.text, dialect)
        };
        let stmts = match parsed {
            Ok(s) => s,
            Err(e) => {
                for (line, text) in stat_lines {
                    self.stats.push(StatLine {
                        line,
                        text,
                        context: None,
                    });
                }
                let line = raw.line + e.line.unwrap_or(1) - 1;
                self.problems.push(Error::input(
                    self.path,
                    line,
                    format!("cannot parse schema statement, skipped: {}", e.message),
                ));
                return;
            }
        };
        let mut context = None;
        for s in &stmts {
            match s {
                Statement::CreateTable(ct) => {
                    context = Some(self.create_table(ct, raw.line));
                }
                Statement::CreateIndex(ci) => self.create_index(ci, raw.line),
                Statement::AlterTable(at) => {
                    let table = object_name(&at.name);
                    for op in &at.operations {
                        self.alter(&table, op, raw.line);
                    }
                }
                _ => {}
            }
        }
        for (line, text) in stat_lines {
            self.stats.push(StatLine {
                line,
                text,
                context: if is_create_table {
                    context.clone()
                } else {
                    None
                },
            });
        }
    }

    fn table_mut(&mut self, name: &str, line: usize) -> Option<&mut Table> {
        if self.schema.table(name).is_none() {
            self.problems.push(Error::input(
                self.path,
                line,
                format!("table {name} is not defined before this statement; skipped"),
            ));
            return None;
        }
        let (schema, bare) = split_name(name);
        self.schema.tables.iter_mut().find(|t| {
            t.name.eq_ignore_ascii_case(&bare)
                && match (&schema, &t.schema) {
                    (Some(s), Some(ts)) => s.eq_ignore_ascii_case(ts),
                    _ => true,
                }
        })
    }

    fn create_table(&mut self, ct: &CreateTable, line: usize) -> String {
        let full = object_name(&ct.name);
        let (schema, name) = split_name(&full);
        let mut t = Table {
            schema,
            name: name.clone(),
            defined_at: Some((self.path.to_string(), line)),
            partition_of: ct.partition_of.as_ref().map(object_name),
            ..Table::default()
        };
        let mut later: Vec<TableConstraint> = ct.constraints.clone();
        for c in &ct.columns {
            let col_name = ident_name(&c.name);
            let mut col = Column {
                name: col_name.clone(),
                data_type: c.data_type.to_string().to_lowercase(),
                ..Column::default()
            };
            for o in &c.options {
                match &o.option {
                    ColumnOption::NotNull => col.not_null = true,
                    ColumnOption::PrimaryKey(pk) => {
                        col.not_null = true;
                        let mut pk = pk.clone();
                        pk.columns = vec![IndexColumn::from(c.name.clone())];
                        later.push(TableConstraint::PrimaryKey(pk));
                    }
                    ColumnOption::Unique(u) => {
                        let mut u = u.clone();
                        u.columns = vec![IndexColumn::from(c.name.clone())];
                        later.push(TableConstraint::Unique(u));
                    }
                    ColumnOption::ForeignKey(fk) => {
                        let mut fk = fk.clone();
                        fk.columns = vec![c.name.clone()];
                        later.push(TableConstraint::ForeignKey(fk));
                    }
                    _ => {}
                }
            }
            t.columns.push(col);
        }
        self.schema.tables.push(t);
        for c in &later {
            self.constraint(&full, c, line);
        }
        full
    }

    fn alter(&mut self, table: &str, op: &AlterTableOperation, line: usize) {
        match op {
            AlterTableOperation::AddConstraint { constraint, .. } => {
                self.constraint(table, constraint, line)
            }
            AlterTableOperation::AddColumn { column_def, .. } => {
                let col = column(column_def);
                if let Some(t) = self.table_mut(table, line) {
                    t.columns.push(col);
                }
            }
            _ => {}
        }
    }

    fn constraint(&mut self, table: &str, c: &TableConstraint, line: usize) {
        let path = self.path.to_string();
        let bare = split_name(table).1;
        match c {
            TableConstraint::PrimaryKey(pk) => {
                if let Some(t) = self.table_mut(table, line) {
                    add_primary_key(t, pk, &bare, Some((path, line)));
                }
            }
            TableConstraint::Unique(u) => {
                if let Some(t) = self.table_mut(table, line) {
                    t.indexes.push(unique_index(u, &bare, Some((path, line))));
                }
            }
            TableConstraint::ForeignKey(fk) => {
                let fk = foreign_key(fk, Some((path, line)));
                if let Some(t) = self.table_mut(table, line) {
                    t.foreign_keys.push(fk);
                }
            }
            _ => {}
        }
    }

    fn create_index(&mut self, ci: &CreateIndex, line: usize) {
        let (table, ix) = index_from_create(ci, Some((self.path.to_string(), line)));
        if let Some(t) = self.table_mut(&table, line) {
            t.indexes.push(ix);
        }
    }

    fn apply_stats(&mut self) {
        for s in std::mem::take(&mut self.stats) {
            if let Err(msg) = self.apply_stat(&s) {
                self.problems.push(Error::input(self.path, s.line, msg));
            }
        }
    }

    fn apply_stat(&mut self, s: &StatLine) -> Result<(), String> {
        let (target, rest) = match s.text.split_once(char::is_whitespace) {
            Some((t, r)) if !t.contains('=') => (Some(t.to_string()), r.trim()),
            _ if !s.text.contains(char::is_whitespace) && !s.text.contains('=') => {
                return Err(format!("dbperf statistics without values: `{}`", s.text));
            }
            _ => (None, s.text.as_str()),
        };
        let pairs = key_values(rest)?;
        // Work out the table and, maybe, the column.
        let (table, column) = match (&target, &s.context) {
            (None, Some(ctx)) => (ctx.clone(), None),
            (None, None) => {
                return Err("dbperf statistics with no table: name it (`orders rows=…`) or put it before its CREATE TABLE".into());
            }
            (Some(t), ctx) => {
                if let Some((tab, col)) = t.rsplit_once('.')
                    && self.schema.table(tab).is_some()
                {
                    (tab.to_string(), Some(col.to_string()))
                } else if self.schema.table(t).is_some() {
                    (t.clone(), None)
                } else if let Some(ctx) = ctx {
                    (ctx.clone(), Some(t.clone()))
                } else {
                    return Err(format!("dbperf statistics for unknown table `{t}`"));
                }
            }
        };
        let path = self.path.to_string();
        let Some(t) = self.schema.table_mut(&table) else {
            return Err(format!("dbperf statistics for unknown table `{table}`"));
        };
        let _ = path;
        match column {
            None => {
                for (k, v) in pairs {
                    match k.as_str() {
                        "rows" => t.rows = Some(number(&k, &v)?),
                        "bytes" => t.bytes = Some(number(&k, &v)? as u64),
                        _ => return Err(format!("unknown table statistic `{k}` (rows, bytes)")),
                    }
                }
            }
            Some(col) => {
                let Some(c) = t
                    .columns
                    .iter_mut()
                    .find(|c| c.name.eq_ignore_ascii_case(&col))
                else {
                    return Err(format!(
                        "dbperf statistics for unknown column `{}.{col}`",
                        t.name
                    ));
                };
                for (k, v) in pairs {
                    match k.as_str() {
                        "distinct" => c.n_distinct = Some(number(&k, &v)?),
                        "nulls" => c.null_frac = Some(number(&k, &v)?),
                        "mcv" => c.most_common = mcv(&v)?,
                        _ => {
                            return Err(format!(
                                "unknown column statistic `{k}` (distinct, nulls, mcv)"
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// `schema.table` → (`schema`, `table`).
pub(crate) fn split_name(full: &str) -> (Option<String>, String) {
    match full.rsplit_once('.') {
        Some((s, t)) => (Some(s.to_string()), t.to_string()),
        None => (None, full.to_string()),
    }
}

/// A column as CREATE TABLE or ADD COLUMN declares it (its type lower-case;
/// NOT NULL also from a PRIMARY KEY).
pub(crate) fn column(c: &ColumnDef) -> Column {
    Column {
        name: ident_name(&c.name),
        data_type: c.data_type.to_string().to_lowercase(),
        not_null: c.options.iter().any(|o| {
            matches!(
                o.option,
                ColumnOption::NotNull | ColumnOption::PrimaryKey(_)
            )
        }),
        ..Column::default()
    }
}

/// The table a CREATE INDEX is on, and the index; an unnamed index gets
/// PostgreSQL's default name shape.
pub(crate) fn index_from_create(
    ci: &CreateIndex,
    defined_at: Option<(String, usize)>,
) -> (String, Index) {
    let table = object_name(&ci.table_name);
    let bare = split_name(&table).1;
    let keys = index_keys(&ci.columns);
    let name = ci.name.as_ref().map(object_name).map_or_else(
        || {
            let words: Vec<String> = keys
                .iter()
                .map(|k| k.column_name().unwrap_or("expr").to_string())
                .collect();
            generated_name(&bare, Some(&words.join("_")), "idx")
        },
        |n| split_name(&n).1,
    );
    let ix = Index {
        name,
        keys,
        include: ci.include.iter().map(ident_name).collect(),
        unique: ci.unique,
        primary: false,
        predicate: ci.predicate.as_ref().map(|p| p.to_string()),
        valid: true,
        method: Some(
            ci.using
                .as_ref()
                .map_or("btree".to_string(), |u| u.to_string().to_lowercase()),
        ),
        defined_at,
        ..Index::default()
    };
    (table, ix)
}

/// Index keys: plain columns (with direction) or expressions. A column with
/// an operator class (`varchar_pattern_ops`) serves other operators than
/// the plain column, so it is a key of its own.
pub(crate) fn index_keys(cols: &[IndexColumn]) -> Vec<IndexKey> {
    cols.iter()
        .map(|c| {
            let descending = matches!(c.column.options.sort, Some(OrderBySort::Desc));
            let e = match &c.column.expr {
                Expr::Nested(inner) => inner.as_ref(),
                e => e,
            };
            match e {
                Expr::Identifier(id) if c.operator_class.is_some() => IndexKey::Expression {
                    sql: format!(
                        "{} {}",
                        ident_name(id),
                        c.operator_class
                            .as_ref()
                            .map(object_name)
                            .unwrap_or_default()
                    ),
                },
                Expr::Identifier(id) => IndexKey::Column {
                    name: ident_name(id),
                    descending,
                    nulls_first: c.column.options.nulls_first.unwrap_or(descending),
                },
                e => IndexKey::Expression {
                    sql: normalize_sql(e),
                },
            }
        })
        .collect()
}

/// `(parent, child)` of `ALTER TABLE [ONLY] parent ATTACH PARTITION child
/// FOR VALUES …` (pg_dump's form; the SQL parser does not read it).
fn attach_partition(text: &str) -> Option<(String, String)> {
    let w: Vec<&str> = text.split_whitespace().collect();
    let is = |i: usize, k: &str| w.get(i).is_some_and(|x| x.eq_ignore_ascii_case(k));
    if !(is(0, "alter") && is(1, "table")) {
        return None;
    }
    let at = if is(2, "only") { 3 } else { 2 };
    if !(is(at + 1, "attach") && is(at + 2, "partition")) {
        return None;
    }
    let name = |s: &str| s.trim_end_matches(';').replace('"', "");
    Some((name(w.get(at)?), name(w.get(at + 3)?)))
}

/// A FOREIGN KEY constraint as the model holds it.
pub(crate) fn foreign_key(
    fk: &ForeignKeyConstraint,
    defined_at: Option<(String, usize)>,
) -> ForeignKey {
    ForeignKey {
        name: fk.name.as_ref().map(ident_name),
        columns: fk.columns.iter().map(ident_name).collect(),
        referenced_table: object_name(&fk.foreign_table),
        referenced_columns: fk.referred_columns.iter().map(ident_name).collect(),
        defined_at,
    }
}

/// Applies a PRIMARY KEY to `t` (table `bare`): its columns become NOT
/// NULL, and its index replaces any earlier primary one.
pub(crate) fn add_primary_key(
    t: &mut Table,
    pk: &PrimaryKeyConstraint,
    bare: &str,
    defined_at: Option<(String, usize)>,
) {
    let keys = index_keys(&pk.columns);
    t.primary_key = keys
        .iter()
        .filter_map(|k| k.column_name().map(str::to_string))
        .collect();
    for col in &mut t.columns {
        if t.primary_key
            .iter()
            .any(|k| col.name.eq_ignore_ascii_case(k))
        {
            col.not_null = true;
        }
    }
    t.indexes.retain(|i| !i.primary);
    t.indexes.push(Index {
        name: pk
            .name
            .as_ref()
            .map(ident_name)
            .unwrap_or_else(|| generated_name(bare, None, "pkey")),
        keys,
        unique: true,
        primary: true,
        valid: true,
        method: Some("btree".into()),
        include: pk.include.iter().map(ident_name).collect(),
        defined_at,
        ..Index::default()
    });
}

/// The index a UNIQUE constraint on table `bare` creates.
pub(crate) fn unique_index(
    u: &UniqueConstraint,
    bare: &str,
    defined_at: Option<(String, usize)>,
) -> Index {
    let keys = index_keys(&u.columns);
    let cols: Vec<String> = keys
        .iter()
        .map(|k| k.column_name().unwrap_or("expr").to_string())
        .collect();
    Index {
        name: u
            .name
            .as_ref()
            .map(ident_name)
            .unwrap_or_else(|| generated_name(bare, Some(&cols.join("_")), "key")),
        keys,
        unique: true,
        valid: true,
        method: Some("btree".into()),
        include: u.include.iter().map(ident_name).collect(),
        defined_at,
        ..Index::default()
    }
}

/// `key=value key=value`, values possibly quoted with `'…'`.
fn key_values(s: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let ks = i;
        while i < b.len() && b[i] != b'=' && !b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() || b[i] != b'=' {
            return Err(format!(
                "expected key=value in dbperf statistics, found `{}`",
                &s[ks..i]
            ));
        }
        let key = s[ks..i].to_ascii_lowercase();
        i += 1;
        let vs = i;
        let mut quoted = false;
        while i < b.len() && (quoted || !b[i].is_ascii_whitespace()) {
            if b[i] == b'\'' {
                quoted = !quoted;
            }
            i += 1;
        }
        out.push((key, s[vs..i].to_string()));
    }
    Ok(out)
}

fn number(k: &str, v: &str) -> Result<f64, String> {
    v.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| format!("`{k}` needs a number, found `{v}`"))
}

/// `'a':0.5,b:0.2` → [("a", 0.5), ("b", 0.2)].
fn mcv(v: &str) -> Result<Vec<(String, f64)>, String> {
    let mut out = Vec::new();
    let mut items = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' if quoted && chars.peek() == Some(&'\'') => {
                chars.next();
                cur.push_str("''");
            }
            '\'' => {
                quoted = !quoted;
                cur.push(c);
            }
            ',' if !quoted => items.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        items.push(cur);
    }
    for it in items {
        let (val, freq) = it
            .rsplit_once(':')
            .ok_or_else(|| format!("mcv item `{it}` needs VALUE:FREQUENCY"))?;
        let val = match val.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
            Some(inner) => inner.replace("''", "'"),
            None => val.to_string(),
        };
        out.push((val, number("mcv", freq)?));
    }
    Ok(out)
}

#[allow(dead_code)]
fn _name(n: &ObjectName) -> String {
    object_name(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_pg_dump_shapes_and_statistics() {
        let text = "\
SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
-- dbperf: rows=1000
CREATE TABLE public.orders (
    id bigint NOT NULL,
    customer_id bigint NOT NULL,
    -- dbperf: status distinct=3 mcv='delivered':0.9,'it''s, odd':0.01
    status text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);
ALTER TABLE public.orders ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.orders_id_seq START WITH 1
);
ALTER TABLE ONLY public.orders
    ADD CONSTRAINT orders_pkey PRIMARY KEY (id);
CREATE INDEX orders_created_at_idx ON public.orders USING btree (created_at DESC);
CREATE INDEX orders_lower_idx ON public.orders USING btree (lower(status)) WHERE (status <> 'x'::text);
ALTER TABLE ONLY public.orders
    ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES public.customers(id);
CREATE TABLE broken (;
-- dbperf: orders.customer_id distinct=-0.1
";
        let (s, problems) = parse_schema("schema.sql", text, Dialect::Postgres);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].to_string().starts_with("schema.sql:20:"),
            "{}",
            problems[0]
        );
        let t = s.table("orders").unwrap();
        assert_eq!(t.schema.as_deref(), Some("public"));
        assert_eq!(t.rows, Some(1000.0));
        assert!(s.has_statistics);
        assert_eq!(t.primary_key, vec!["id"]);
        assert_eq!(t.indexes.len(), 3);
        assert_eq!(
            t.indexes[1].keys,
            vec![IndexKey::Column {
                name: "created_at".into(),
                descending: true,
                nulls_first: true
            }]
        );
        assert_eq!(
            t.indexes[2].keys,
            vec![IndexKey::Expression {
                sql: "lower(status)".into()
            }]
        );
        assert!(t.indexes[2].predicate.is_some());
        assert_eq!(t.foreign_keys[0].referenced_table, "public.customers");
        let st = t.column("status").unwrap();
        assert_eq!(st.n_distinct, Some(3.0));
        assert_eq!(
            st.most_common,
            vec![("delivered".into(), 0.9), ("it's, odd".into(), 0.01)]
        );
        assert_eq!(t.distinct("customer_id"), Some(100.0));
        assert_eq!(
            t.column("created_at").unwrap().data_type,
            "timestamp with time zone"
        );
    }
}
