//! Statement analysis: which tables a statement reads and what it asks of
//! each of them.
//!
//! A statement is parsed once (per fingerprint) with sqlparser and walked
//! query block by query block: the FROM list and its joins give the table
//! references and their aliases, CTEs and derived tables are analysed as
//! blocks of their own, subqueries in WHERE and the select list see the
//! enclosing block's tables (correlated references). Each WHERE / ON
//! conjunct goes through the [predicate classifier](super::predicate), and
//! its column is resolved to the table reference it belongs to: by
//! qualifier, or for a bare name by the only table in scope, or by the
//! schema's columns. What comes out is one [`TableScan`] per base-table
//! reference, the unit the index advisor reasons about.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use serde::Serialize;
use sqlparser::ast::{
    Expr, GroupByExpr, JoinConstraint, JoinOperator, LimitClause, ObjectName, ObjectNamePart,
    OrderByKind, Query, Select, SelectItem, SelectItemQualifiedWildcardKind, SetExpr, Statement,
    TableFactor, TableWithJoins, Value, Visit, Visitor,
};
use sqlparser::dialect::{Dialect as SqlDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;

use crate::model::Dialect;
use crate::model::schema::Schema;
use crate::sql::predicate::{self, ColumnRef, Predicate, PredicateKind, ident_name};

/// A LIMIT given as a parameter counts as this many rows.
pub const PARAMETER_LIMIT: u64 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StatementKind {
    Select,
    Insert,
    Update,
    Delete,
    /// DDL, SET, transaction control…: nothing for the advisor.
    Other,
}

/// One ORDER BY key on a column of the scan, or on an expression over
/// its columns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderKey {
    /// The column, or for an expression the first column it reads.
    pub column: String,
    pub descending: bool,
    /// Where NULLs come, resolved (`NULLS FIRST` is PostgreSQL's default
    /// for DESC, `NULLS LAST` for ASC).
    pub nulls_first: bool,
    /// An expression over the scan's columns (`(salary_min + salary_max)
    /// / 2`, `lower(name)`): only an index on the same expression
    /// delivers its order. `None` for a plain column.
    pub expression: Option<crate::sql::predicate::Wrapper>,
}

/// One reference to a base table, with everything the statement asks of it.
#[derive(Debug, Clone, Serialize)]
pub struct TableScan {
    /// The table as written, unquoted, schema-qualified when it was
    /// (`public.orders`).
    pub table: String,
    pub alias: Option<String>,
    /// Conjuncts on this table's columns (WHERE and join conditions).
    pub predicates: Vec<Predicate>,
    /// ORDER BY keys, when every key of the block's ORDER BY is a plain
    /// column of this table.
    pub order_by: Vec<OrderKey>,
    pub group_by: Vec<String>,
    /// LIMIT of the block, when this scan drives it (it owns the ORDER BY
    /// or is the block's only table).
    pub limit: Option<u64>,
    /// Columns of this table the statement reads anywhere; `None` when a
    /// `*` asks for all of them.
    pub columns: Option<BTreeSet<String>>,
    /// The query block (SELECT) it belongs to; 0 is the outermost.
    pub block: usize,
    /// Whether the block has other tables (joins): then join columns matter.
    pub joined: bool,
    /// Conjuncts that are an OR of branches each with an indexable
    /// condition on this table: per OR, one predicate per branch (a
    /// BitmapOr of one index per branch serves it).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub or_groups: Vec<Vec<Predicate>>,
    /// Conditions on this table that only a GIN index serves.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gin: Vec<predicate::GinCondition>,
}

impl TableScan {
    /// The name to look up in a schema: the table as written.
    pub fn table_name(&self) -> &str {
        &self.table
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub kind: StatementKind,
    pub scans: Vec<TableScan>,
    /// For an UPDATE: the table as written and the columns it sets.
    pub updated: Vec<(String, Vec<String>)>,
    /// For an INSERT: the table as written.
    pub inserted: Vec<String>,
}

/// A statement sqlparser could not read, with the 1-based line within the
/// statement's text when the parser says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    pub message: String,
    pub line: Option<usize>,
}

impl std::fmt::Display for SqlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

fn sql_dialect(d: Dialect) -> Box<dyn SqlDialect> {
    match d {
        Dialect::Postgres => Box::new(PostgreSqlDialect {}),
        Dialect::Sqlite => Box::new(SQLiteDialect {}),
        Dialect::Mysql => Box::new(MySqlDialect {}),
    }
}

/// How deep parentheses and `CASE … END` may nest in a statement handed
/// to sqlparser. Its own recursion limit (50) does not count every path
/// (nested `CASE` is one that is not counted), and its frames are large: a
/// few hundred unclosed `CASE WHEN` overflow a 2 MB thread's stack. Deeper
/// statements are refused by a flat scan first.
pub const MAX_NESTING: usize = 50;

/// The deepest nesting of parentheses and `CASE … END` in `sql`, outside
/// quotes and comments, with the 1-based line where it first exceeds
/// [`MAX_NESTING`].
fn too_deep(sql: &str) -> Option<usize> {
    let b = sql.as_bytes();
    let (mut depth, mut line, mut i) = (0usize, 1usize, 0usize);
    let word = |i: usize, w: &[u8]| {
        b.len() >= i + w.len()
            && b[i..i + w.len()].eq_ignore_ascii_case(w)
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
            && b.get(i + w.len())
                .is_none_or(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
    };
    while i < b.len() {
        match b[i] {
            b'\n' => line += 1,
            q @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    line += usize::from(b[i] == b'\n');
                    i += 1;
                }
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    line += usize::from(b[i] == b'\n');
                    i += 1;
                }
                i += 1;
            }
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b'c' | b'C' if word(i, b"case") => depth += 1,
            b'e' | b'E' if word(i, b"end") => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > MAX_NESTING {
            return Some(line);
        }
        i += 1;
    }
    None
}

/// Parses SQL text (one or more statements) in `dialect`.
pub fn parse(sql: &str, dialect: Dialect) -> Result<Vec<Statement>, SqlError> {
    if let Some(line) = too_deep(sql) {
        return Err(SqlError {
            message: format!("nested deeper than {MAX_NESTING} levels (parentheses, CASE … END)"),
            line: Some(line),
        });
    }
    let d = sql_dialect(dialect);
    Parser::new(d.as_ref())
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_statements())
        .map_err(|e| {
            let text = e.to_string();
            let text = text.strip_prefix("sql parser error: ").unwrap_or(&text);
            let line = text
                .rfind(" at Line: ")
                .and_then(|p| text[p + 10..].split(',').next())
                .and_then(|l| l.trim().parse().ok());
            let message = match text.rfind(" at Line: ") {
                Some(p) => text[..p].to_string(),
                None => text.to_string(),
            };
            SqlError { message, line }
        })
}

/// Parses and analyses one statement. Several statements in `sql` are
/// analysed together (their scans concatenated).
pub fn analyze_sql(
    sql: &str,
    dialect: Dialect,
    schema: Option<&Schema>,
) -> Result<Analysis, SqlError> {
    let stmts = parse(sql, dialect)?;
    let mut kind = StatementKind::Other;
    let mut scans = Vec::new();
    let mut updated = Vec::new();
    let mut inserted = Vec::new();
    for s in &stmts {
        let a = analyze(s, schema);
        if kind == StatementKind::Other {
            kind = a.kind;
        }
        scans.extend(a.scans);
        updated.extend(a.updated);
        inserted.extend(a.inserted);
    }
    Ok(Analysis {
        kind,
        scans,
        updated,
        inserted,
    })
}

/// Analyses a parsed statement; `schema`, when given, resolves bare column
/// names in joins.
pub fn analyze(stmt: &Statement, schema: Option<&Schema>) -> Analysis {
    let mut a = Analyzer {
        schema,
        scans: Vec::new(),
        blocks: 0,
        ctes: Vec::new(),
    };
    let kind = a.statement(stmt, &[]);
    Analysis {
        kind,
        scans: a.scans,
        updated: updated_columns(stmt),
        inserted: match stmt {
            Statement::Insert(ins) => match &ins.table {
                sqlparser::ast::TableObject::TableName(name) => vec![object_name(name)],
                _ => Vec::new(),
            },
            _ => Vec::new(),
        },
    }
}

/// A relation visible in a block: a base-table scan, or a CTE/derived table.
#[derive(Debug, Clone)]
struct Rel {
    /// Alias, or the table's bare name.
    key: String,
    /// Full name as written (for `schema.table.col` qualifiers).
    full: Option<String>,
    scan: Option<usize>,
}

type Scope = Vec<Rel>;

struct Analyzer<'s> {
    schema: Option<&'s Schema>,
    scans: Vec<TableScan>,
    blocks: usize,
    /// CTE names in scope, innermost last.
    ctes: Vec<String>,
}

impl Analyzer<'_> {
    fn statement(&mut self, stmt: &Statement, outer: &[&Scope]) -> StatementKind {
        match stmt {
            Statement::Query(q) => {
                self.query(q, outer);
                StatementKind::Select
            }
            Statement::Insert(ins) => {
                if let Some(src) = &ins.source {
                    self.query(src, outer);
                }
                StatementKind::Insert
            }
            Statement::Update(u) => {
                let mut from = vec![u.table.clone()];
                if let Some(f) = &u.from {
                    match f {
                        sqlparser::ast::UpdateTableFromKind::BeforeSet(t)
                        | sqlparser::ast::UpdateTableFromKind::AfterSet(t) => {
                            from.extend(t.iter().cloned())
                        }
                    }
                }
                let exprs: Vec<&Expr> = u.assignments.iter().map(|a| &a.value).collect();
                self.block(&from, u.selection.as_ref(), &exprs, &[], None, None, outer);
                StatementKind::Update
            }
            Statement::Delete(d) => {
                let mut from = match &d.from {
                    sqlparser::ast::FromTable::WithFromKeyword(t)
                    | sqlparser::ast::FromTable::WithoutKeyword(t) => t.clone(),
                };
                if let Some(u) = &d.using {
                    from.extend(u.iter().cloned());
                }
                self.block(&from, d.selection.as_ref(), &[], &[], None, None, outer);
                StatementKind::Delete
            }
            Statement::Explain { statement, .. } => self.statement(statement, outer),
            _ => StatementKind::Other,
        }
    }

    fn query(&mut self, q: &Query, outer: &[&Scope]) {
        let ctes_before = self.ctes.len();
        if let Some(with) = &q.with {
            for cte in &with.cte_tables {
                if with.recursive {
                    self.ctes.push(ident_name(&cte.alias.name));
                }
                self.query(&cte.query, outer);
                if !with.recursive {
                    self.ctes.push(ident_name(&cte.alias.name));
                }
            }
        }
        let limit = query_limit(q);
        match q.body.as_ref() {
            SetExpr::Select(s) => self.select(s, q.order_by.as_ref(), limit, outer),
            other => self.set_expr(other, outer),
        }
        self.ctes.truncate(ctes_before);
    }

    fn set_expr(&mut self, e: &SetExpr, outer: &[&Scope]) {
        match e {
            SetExpr::Select(s) => self.select(s, None, None, outer),
            SetExpr::Query(q) => self.query(q, outer),
            SetExpr::SetOperation { left, right, .. } => {
                self.set_expr(left, outer);
                self.set_expr(right, outer);
            }
            SetExpr::Insert(s) | SetExpr::Update(s) | SetExpr::Delete(s) => {
                self.statement(s, outer);
            }
            _ => {}
        }
    }

    fn select(
        &mut self,
        s: &Select,
        order_by: Option<&sqlparser::ast::OrderBy>,
        limit: Option<u64>,
        outer: &[&Scope],
    ) {
        let mut exprs: Vec<&Expr> = Vec::new();
        let mut star_all = false;
        let mut star_of: Vec<String> = Vec::new();
        for item in &s.projection {
            match item {
                SelectItem::UnnamedExpr(e)
                | SelectItem::ExprWithAlias { expr: e, .. }
                | SelectItem::ExprWithAliases { expr: e, .. } => exprs.push(e),
                SelectItem::Wildcard(_) => star_all = true,
                SelectItem::QualifiedWildcard(
                    SelectItemQualifiedWildcardKind::ObjectName(n),
                    _,
                ) => star_of.push(object_name(n)),
                SelectItem::QualifiedWildcard(_, _) => star_all = true,
            }
        }
        if let Some(h) = &s.having {
            exprs.push(h);
        }
        let group: Vec<&Expr> = match &s.group_by {
            GroupByExpr::Expressions(g, _) => g.iter().collect(),
            GroupByExpr::All(_) => Vec::new(),
        };
        let order: Vec<(&Expr, bool, bool)> = match order_by.map(|o| &o.kind) {
            Some(OrderByKind::Expressions(list)) => list
                .iter()
                .map(|o| {
                    let desc = matches!(o.options.sort, Some(sqlparser::ast::OrderBySort::Desc));
                    (&o.expr, desc, o.options.nulls_first.unwrap_or(desc))
                })
                .collect(),
            _ => Vec::new(),
        };
        let first = self.scans.len();
        let scope = self.block(
            &s.from,
            s.selection.as_ref(),
            &exprs,
            &group,
            Some(&order),
            limit,
            outer,
        );
        for i in first..self.scans.len() {
            let sc = &self.scans[i];
            let starred = star_all
                || star_of.iter().any(|n| {
                    scope
                        .iter()
                        .any(|r| r.scan == Some(i) && (r.key == *n || r.full.as_deref() == Some(n)))
                });
            if starred && scope.iter().any(|r| r.scan == Some(i)) && sc.block == self.blocks - 1 {
                self.scans[i].columns = None;
            }
        }
    }

    /// One query block: FROM (with joins), WHERE, and the other expressions
    /// whose columns and subqueries count. Returns the block's scope.
    #[allow(clippy::too_many_arguments)]
    fn block<'a>(
        &mut self,
        from: &'a [TableWithJoins],
        selection: Option<&'a Expr>,
        exprs: &[&Expr],
        group: &[&Expr],
        order: Option<&[(&Expr, bool, bool)]>,
        limit: Option<u64>,
        outer: &[&Scope],
    ) -> Scope {
        let block = self.blocks;
        self.blocks += 1;
        let mut scope: Scope = Vec::new();
        let mut conds: Vec<&'a Expr> = Vec::new();
        let mut using: Vec<(usize, usize, String)> = Vec::new();
        for twj in from {
            self.factor(&twj.relation, block, &mut scope, &mut conds, outer);
            for j in &twj.joins {
                let left = scope.len();
                self.factor(&j.relation, block, &mut scope, &mut conds, outer);
                if let Some(c) = join_constraint(&j.join_operator) {
                    match c {
                        JoinConstraint::On(e) => conds.push(e),
                        JoinConstraint::Using(cols) if left > 0 && scope.len() > left => {
                            for c in cols {
                                using.push((left - 1, left, object_name(c)));
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        if let Some(w) = selection {
            conds.push(w);
        }
        let joined = scope.len() > 1;
        for r in &scope {
            if let Some(i) = r.scan {
                self.scans[i].joined = joined;
            }
        }

        // Subqueries see this block's tables.
        let mut chain: Vec<&Scope> = vec![&scope];
        chain.extend_from_slice(outer);
        let mut subqueries = Vec::new();
        for e in conds.iter().chain(exprs.iter()) {
            collect_subqueries(e, &mut subqueries);
        }
        for q in &subqueries {
            self.query(q, &chain);
        }

        for cond in &conds {
            for p in predicate::predicates(cond) {
                if let Some(i) = self.resolve(&p.column, &chain) {
                    self.scans[i].predicates.push(p);
                }
            }
            for c in predicate::conjuncts(cond) {
                if let Some((i, group)) = self.or_group(c, &scope) {
                    self.scans[i].or_groups.push(group);
                }
                if let Some(g) = predicate::gin_condition(c)
                    && let Some(i) = self.resolve_local(&g.column, &scope)
                {
                    self.scans[i].gin.push(g);
                }
            }
        }
        for (l, r, col) in using {
            let (Some(li), Some(ri)) = (scope[l].scan, scope[r].scan) else {
                continue;
            };
            for (a, b) in [(li, &scope[r]), (ri, &scope[l])] {
                self.scans[a].predicates.push(Predicate {
                    column: ColumnRef {
                        qualifier: None,
                        name: col.clone(),
                    },
                    kind: PredicateKind::Join(ColumnRef {
                        qualifier: Some(b.key.clone()),
                        name: col.clone(),
                    }),
                    wrapper: None,
                    compared_type: None,
                    value: None,
                    sql: format!("USING ({col})"),
                });
            }
        }

        // Columns read, for index-only scans.
        let mut cols: Vec<ColumnRef> = Vec::new();
        for e in conds.iter().chain(exprs.iter()).chain(group.iter()) {
            collect_columns(e, &mut cols);
        }
        if let Some(order) = order {
            for (e, _, _) in order {
                collect_columns(e, &mut cols);
            }
        }
        for c in &cols {
            if let Some(i) = self.resolve_local(c, &scope)
                && let Some(set) = self.scans[i].columns.as_mut()
            {
                set.insert(c.name.clone());
            }
        }

        for g in group {
            if let Some((c, None)) = predicate::column_side(g)
                && let Some(i) = self.resolve_local(&c, &scope)
            {
                self.scans[i].group_by.push(c.name);
            }
        }

        // ORDER BY on the columns of one table lets an index deliver the order.
        let mut order_scan: Option<usize> = None;
        if let Some(order) = order.filter(|o| !o.is_empty()) {
            let mut keys = Vec::new();
            let mut target: Option<usize> = None;
            let mut ok = true;
            for (e, desc, nulls_first) in order {
                match predicate::order_side(e) {
                    Some((c, expression)) => match self.resolve_local(&c, &scope) {
                        Some(i) if target.is_none_or(|t| t == i) => {
                            target = Some(i);
                            keys.push(OrderKey {
                                column: c.name,
                                descending: *desc,
                                nulls_first: *nulls_first,
                                expression,
                            });
                        }
                        _ => ok = false,
                    },
                    _ => ok = false,
                }
            }
            if ok && let Some(i) = target {
                self.scans[i].order_by = keys;
                order_scan = Some(i);
            }
        }
        if let Some(l) = limit {
            let only: Vec<usize> = scope.iter().filter_map(|r| r.scan).collect();
            let driver = order_scan.or(if scope.len() == 1 {
                only.first().copied()
            } else {
                None
            });
            if let Some(i) = driver {
                self.scans[i].limit = Some(l);
            }
        }
        scope
    }

    fn factor<'a>(
        &mut self,
        f: &'a TableFactor,
        block: usize,
        scope: &mut Scope,
        conds: &mut Vec<&'a Expr>,
        outer: &[&Scope],
    ) {
        match f {
            TableFactor::Table {
                name, alias, args, ..
            } => {
                if args.is_some() {
                    return; // a table function
                }
                let full = object_name(name);
                let bare = full.rsplit('.').next().unwrap_or(&full).to_string();
                let key = alias
                    .as_ref()
                    .map(|a| ident_name(&a.name))
                    .unwrap_or_else(|| bare.clone());
                if name.0.len() == 1 && self.ctes.contains(&bare) {
                    scope.push(Rel {
                        key,
                        full: None,
                        scan: None,
                    });
                    return;
                }
                self.scans.push(TableScan {
                    table: full.clone(),
                    alias: alias.as_ref().map(|a| ident_name(&a.name)),
                    predicates: Vec::new(),
                    order_by: Vec::new(),
                    group_by: Vec::new(),
                    limit: None,
                    columns: Some(BTreeSet::new()),
                    block,
                    joined: false,
                    or_groups: Vec::new(),
                    gin: Vec::new(),
                });
                scope.push(Rel {
                    key,
                    full: Some(full),
                    scan: Some(self.scans.len() - 1),
                });
            }
            TableFactor::Derived {
                subquery, alias, ..
            } => {
                let mut chain: Vec<&Scope> = vec![&*scope];
                chain.extend_from_slice(outer);
                let chain: Vec<&Scope> = chain;
                self.query(subquery, &chain);
                scope.push(Rel {
                    key: alias
                        .as_ref()
                        .map(|a| ident_name(&a.name))
                        .unwrap_or_default(),
                    full: None,
                    scan: None,
                });
            }
            TableFactor::NestedJoin {
                table_with_joins, ..
            } => {
                self.factor(&table_with_joins.relation, block, scope, conds, outer);
                for j in &table_with_joins.joins {
                    self.factor(&j.relation, block, scope, conds, outer);
                    if let Some(JoinConstraint::On(e)) = join_constraint(&j.join_operator) {
                        conds.push(e);
                    }
                }
            }
            _ => {}
        }
    }

    /// The scan a column belongs to, looking in `chain` innermost first.
    /// An OR conjunct whose every branch has an indexable condition (no
    /// function around the column, no join) on one table of this block:
    /// that table's scan and the first such condition of each branch.
    fn or_group(&self, e: &Expr, scope: &Scope) -> Option<(usize, Vec<Predicate>)> {
        let branches = predicate::or_branches(e)?;
        let mut scan = None;
        let mut group = Vec::new();
        for b in branches {
            let (i, p) = b.into_iter().find_map(|p| {
                let ok = p.wrapper.is_none()
                    && matches!(
                        p.kind,
                        PredicateKind::Eq
                            | PredicateKind::In
                            | PredicateKind::Range
                            | PredicateKind::IsNull
                    );
                ok.then(|| self.resolve_local(&p.column, scope).map(|i| (i, p)))
                    .flatten()
            })?;
            if scan.is_some_and(|s| s != i) {
                return None;
            }
            scan = Some(i);
            group.push(p);
        }
        Some((scan?, group))
    }

    fn resolve(&self, c: &ColumnRef, chain: &[&Scope]) -> Option<usize> {
        for scope in chain {
            match self.lookup(c, scope) {
                Lookup::Scan(i) => return Some(i),
                Lookup::NotScan => return None,
                Lookup::Missing => continue,
            }
        }
        None
    }

    fn resolve_local(&self, c: &ColumnRef, scope: &Scope) -> Option<usize> {
        match self.lookup(c, scope) {
            Lookup::Scan(i) => Some(i),
            _ => None,
        }
    }

    fn lookup(&self, c: &ColumnRef, scope: &Scope) -> Lookup {
        match &c.qualifier {
            Some(q) => {
                let bare = q.rsplit('.').next().unwrap_or(q);
                let hit = scope
                    .iter()
                    .find(|r| r.key == *q || r.full.as_deref() == Some(q.as_str()))
                    .or_else(|| scope.iter().find(|r| r.key == bare && r.full.is_some()));
                match hit {
                    Some(Rel { scan: Some(i), .. }) => Lookup::Scan(*i),
                    Some(_) => Lookup::NotScan,
                    None => Lookup::Missing,
                }
            }
            None => {
                if scope.len() == 1 {
                    return match scope[0].scan {
                        Some(i) => {
                            // A bare name may still be an outer column when
                            // the schema says this table lacks it.
                            if self.known_missing(i, &c.name) {
                                Lookup::Missing
                            } else {
                                Lookup::Scan(i)
                            }
                        }
                        None => Lookup::NotScan,
                    };
                }
                let schema = match self.schema {
                    Some(s) => s,
                    None => return Lookup::NotScan,
                };
                let mut found = None;
                for r in scope {
                    let Some(i) = r.scan else { continue };
                    let has = schema
                        .table(&self.scans[i].table)
                        .is_some_and(|t| t.column(&c.name).is_some());
                    if has {
                        if found.is_some() {
                            return Lookup::NotScan; // ambiguous
                        }
                        found = Some(i);
                    }
                }
                match found {
                    Some(i) => Lookup::Scan(i),
                    None => Lookup::Missing,
                }
            }
        }
    }

    fn known_missing(&self, scan: usize, column: &str) -> bool {
        self.schema
            .and_then(|s| s.table(&self.scans[scan].table))
            .is_some_and(|t| t.column(column).is_none())
    }
}

enum Lookup {
    Scan(usize),
    /// In scope but not a base table (CTE, derived table): stop looking.
    NotScan,
    Missing,
}

fn join_constraint(op: &JoinOperator) -> Option<&JoinConstraint> {
    match op {
        JoinOperator::Join(c)
        | JoinOperator::Inner(c)
        | JoinOperator::Left(c)
        | JoinOperator::LeftOuter(c)
        | JoinOperator::Right(c)
        | JoinOperator::RightOuter(c)
        | JoinOperator::FullOuter(c)
        | JoinOperator::Semi(c)
        | JoinOperator::LeftSemi(c)
        | JoinOperator::RightSemi(c)
        | JoinOperator::Anti(c)
        | JoinOperator::LeftAnti(c)
        | JoinOperator::RightAnti(c)
        | JoinOperator::StraightJoin(c) => Some(c),
        _ => None,
    }
}

/// An object name as the database resolves it, parts joined by dots.
/// The table an UPDATE writes and the columns its SET assigns.
fn updated_columns(stmt: &Statement) -> Vec<(String, Vec<String>)> {
    let Statement::Update(u) = stmt else {
        return Vec::new();
    };
    let sqlparser::ast::TableFactor::Table { name, .. } = &u.table.relation else {
        return Vec::new();
    };
    let columns = u
        .assignments
        .iter()
        .flat_map(|a| match &a.target {
            sqlparser::ast::AssignmentTarget::ColumnName(c) => vec![c.clone()],
            sqlparser::ast::AssignmentTarget::Tuple(cs) => cs.clone(),
        })
        .filter_map(|c| {
            c.0.last().and_then(|p| match p {
                ObjectNamePart::Identifier(id) => Some(ident_name(id)),
                _ => None,
            })
        })
        .collect();
    vec![(object_name(name), columns)]
}

pub fn object_name(n: &ObjectName) -> String {
    n.0.iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(id) => ident_name(id),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// The row count a query's LIMIT (or FETCH FIRST) gives, as written.
fn row_count(q: &Query) -> Option<&Expr> {
    match &q.limit_clause {
        Some(LimitClause::LimitOffset { limit: Some(e), .. }) => Some(e),
        Some(LimitClause::OffsetCommaLimit { limit, .. }) => Some(limit),
        _ => q.fetch.as_ref().and_then(|f| f.quantity.as_ref()),
    }
}

/// The rows a query's OFFSET skips, as written.
fn offset(q: &Query) -> Option<&Expr> {
    match &q.limit_clause {
        Some(LimitClause::LimitOffset { offset, .. }) => offset.as_ref().map(|o| &o.value),
        Some(LimitClause::OffsetCommaLimit { offset, .. }) => Some(offset),
        None => None,
    }
}

fn query_limit(q: &Query) -> Option<u64> {
    match row_count(q)? {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.parse().ok(),
            Value::Placeholder(_) => Some(PARAMETER_LIMIT),
            _ => None,
        },
        _ => Some(PARAMETER_LIMIT),
    }
}

/// The parameters (`$n`) that are the row count of a LIMIT, OFFSET or
/// FETCH anywhere in `sql` (pg_stat_statements' `LIMIT $4` for the
/// application's `LIMIT 1`): until bound, a LIMIT is taken as
/// [`PARAMETER_LIMIT`] rows, and whether an index must deliver the order
/// (the first waiting hold, not a sort of a hundred) depends on it.
/// Ascending, each once; empty when `sql` does not parse.
pub fn limit_parameters(sql: &str, dialect: Dialect) -> Vec<usize> {
    struct V<'a>(&'a mut Vec<usize>);
    impl Visitor for V<'_> {
        type Break = ();
        fn pre_visit_query(&mut self, q: &Query) -> ControlFlow<()> {
            for e in row_count(q).into_iter().chain(offset(q)) {
                if let Expr::Value(v) = e
                    && let Value::Placeholder(p) = &v.value
                    && let Some(n) = p.strip_prefix('$').and_then(|n| n.parse().ok())
                {
                    self.0.push(n);
                }
            }
            ControlFlow::Continue(())
        }
    }
    let mut out = Vec::new();
    if let Ok(stmts) = parse(sql, dialect) {
        for s in &stmts {
            let _ = s.visit(&mut V(&mut out));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The subqueries directly inside an expression (not those nested in them).
fn collect_subqueries(e: &Expr, out: &mut Vec<Query>) {
    struct V<'a> {
        depth: usize,
        out: &'a mut Vec<Query>,
    }
    impl Visitor for V<'_> {
        type Break = ();
        fn pre_visit_query(&mut self, q: &Query) -> ControlFlow<()> {
            if self.depth == 0 {
                self.out.push(q.clone());
            }
            self.depth += 1;
            ControlFlow::Continue(())
        }
        fn post_visit_query(&mut self, _q: &Query) -> ControlFlow<()> {
            self.depth -= 1;
            ControlFlow::Continue(())
        }
    }
    let _ = e.visit(&mut V { depth: 0, out });
}

/// Column references in an expression, outside its subqueries.
fn collect_columns(e: &Expr, out: &mut Vec<ColumnRef>) {
    struct V<'a> {
        depth: usize,
        out: &'a mut Vec<ColumnRef>,
    }
    impl Visitor for V<'_> {
        type Break = ();
        fn pre_visit_query(&mut self, _q: &Query) -> ControlFlow<()> {
            self.depth += 1;
            ControlFlow::Continue(())
        }
        fn post_visit_query(&mut self, _q: &Query) -> ControlFlow<()> {
            self.depth -= 1;
            ControlFlow::Continue(())
        }
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            if self.depth == 0
                && matches!(e, Expr::Identifier(_) | Expr::CompoundIdentifier(_))
                && let Some((c, _)) = predicate::column_side(e)
            {
                self.out.push(c);
            }
            ControlFlow::Continue(())
        }
    }
    let _ = e.visit(&mut V { depth: 0, out });
}

#[cfg(test)]
mod tests {

    #[test]
    fn an_update_names_the_columns_it_sets() {
        let a = analyze_sql(
            "UPDATE helpdesk.tickets SET status = $1, updated_at = now() WHERE id = $2",
            Dialect::Postgres,
            None,
        )
        .unwrap();
        assert_eq!(
            a.updated,
            vec![(
                "helpdesk.tickets".to_string(),
                vec!["status".to_string(), "updated_at".to_string()]
            )]
        );
        let a = analyze_sql("SELECT 1 FROM t", Dialect::Postgres, None).unwrap();
        assert!(a.updated.is_empty());
    }

    use super::*;

    fn scans(sql: &str) -> Vec<TableScan> {
        analyze_sql(sql, Dialect::Postgres, None).unwrap().scans
    }

    #[test]
    fn parse_or_of_indexable_branches_is_a_group_of_its_table() {
        let s = scans(
            "SELECT t.id FROM tickets t JOIN customers c ON c.id = t.customer_id \
             WHERE (t.customer_id = $1 OR (t.cc_customer_id = $2 AND t.status <> 'x')) \
               AND (c.name = $3 OR t.id = $4) AND (lower(t.subject) = $5 OR t.id = 7)",
        );
        let group: Vec<(&str, &PredicateKind)> = s[0].or_groups[0]
            .iter()
            .map(|p| (p.column.name.as_str(), &p.kind))
            .collect();
        assert_eq!(
            group,
            [
                ("customer_id", &PredicateKind::Eq),
                ("cc_customer_id", &PredicateKind::Eq)
            ]
        );
        // Branches on two tables, or one behind a function: no group.
        assert_eq!(s[0].or_groups.len(), 1, "{:?}", s[0].or_groups);
        assert!(s[1].or_groups.is_empty());
    }

    #[test]
    fn parse_aliases_resolve_to_tables() {
        let s = scans(
            "SELECT o.id FROM orders o JOIN customers AS c ON c.id = o.customer_id \
             WHERE c.email = $1 AND o.status = 'pending' ORDER BY o.created_at DESC LIMIT 10",
        );
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].table, "orders");
        assert_eq!(s[0].alias.as_deref(), Some("o"));
        let cols: Vec<_> = s[0]
            .predicates
            .iter()
            .map(|p| p.column.name.as_str())
            .collect();
        assert_eq!(cols, vec!["customer_id", "status"]);
        assert_eq!(
            s[0].order_by,
            vec![OrderKey {
                column: "created_at".into(),
                descending: true,
                nulls_first: true,
                expression: None,
            }]
        );
        assert_eq!(s[0].limit, Some(10));
        assert_eq!(
            s[1].predicates
                .iter()
                .map(|p| p.column.name.as_str())
                .collect::<Vec<_>>(),
            vec!["id", "email"]
        );
    }

    #[test]
    fn limit_parameters_are_found_in_subqueries_and_offsets_only() {
        use super::limit_parameters;
        use crate::model::Dialect;
        // A queue taken inside an UPDATE, as pg_stat_statements shows it.
        let q = "UPDATE holds SET status = $1 WHERE id = (SELECT id FROM holds \
                 WHERE title_id = $2 AND status = $3 ORDER BY placed_at LIMIT $4 \
                 FOR UPDATE SKIP LOCKED)";
        assert_eq!(limit_parameters(q, Dialect::Postgres), vec![4]);
        let q = "SELECT * FROM t WHERE a = $1 ORDER BY b LIMIT $3 OFFSET $2";
        assert_eq!(limit_parameters(q, Dialect::Postgres), vec![2, 3]);
        let q = "SELECT * FROM t ORDER BY b FETCH FIRST $1 ROWS ONLY";
        assert_eq!(limit_parameters(q, Dialect::Postgres), vec![1]);
        // A literal LIMIT, a parameter elsewhere, text that does not parse.
        let q = "SELECT * FROM t WHERE a = $1 LIMIT 10";
        assert!(limit_parameters(q, Dialect::Postgres).is_empty());
        assert!(limit_parameters("SELECT FROM WHERE (", Dialect::Postgres).is_empty());
    }
}
