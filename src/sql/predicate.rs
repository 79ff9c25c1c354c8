//! Predicates: what a WHERE clause or a plan's Filter/Index Cond asks of
//! each column.
//!
//! One classifier serves SQL statements and plan conditions alike: a boolean
//! expression is split into its AND-ed conjuncts, and each conjunct that
//! compares a column with a constant, a parameter or another column becomes a
//! [`Predicate`]. A column wrapped in a function or a converting cast is kept
//! with its [`Wrapper`], since that is what keeps a plain index from serving
//! it. PostgreSQL's deparsed plan expressions (`(email)::text`, `~~`,
//! `= ANY ('{…}'::integer[])`, `(SubPlan 1)`) parse with the PostgreSQL
//! dialect once subplan references are replaced by a parameter.

use std::ops::ControlFlow;

use serde::Serialize;
use sqlparser::ast::{
    BinaryOperator, CastKind, DataType, Expr, FunctionArg, FunctionArgExpr, FunctionArguments,
    Ident, UnaryOperator, Value, visit_expressions,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

/// A column as the expression names it: `o.customer_id` → qualifier `o`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ColumnRef {
    pub qualifier: Option<String>,
    pub name: String,
}

impl std::fmt::Display for ColumnRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.qualifier {
            Some(q) => write!(f, "{q}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// What a predicate asks of its column; the order matters for index keys:
/// equality first, then a range.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PredicateKind {
    /// `col = const`
    Eq,
    /// `col IN (…)`, `col = ANY(…)`
    In,
    /// `<`, `>`, `BETWEEN`, `LIKE 'prefix%'`
    Range,
    /// `col IS NULL`
    IsNull,
    /// `col = other.col`: a join condition.
    Join(ColumnRef),
    /// Anything else that still names the column (`<>`, `LIKE '%x'`, `IS NOT NULL`).
    Other,
}

/// Whether a predicate's SQL is `… IS NOT NULL` (a [`PredicateKind::Other`]).
pub fn is_not_null(sql: &str) -> bool {
    let words: Vec<&str> = sql
        .split_whitespace()
        .map(|w| w.trim_end_matches(')'))
        .collect();
    words.len() >= 4
        && words[words.len() - 3..]
            .iter()
            .zip(["IS", "NOT", "NULL"])
            .all(|(w, k)| w.eq_ignore_ascii_case(k))
}

impl PredicateKind {
    /// Whether a b-tree index on the column can seek with it.
    pub fn is_indexable(&self) -> bool {
        !matches!(self, PredicateKind::Other)
    }

    pub fn is_equality(&self) -> bool {
        matches!(
            self,
            PredicateKind::Eq | PredicateKind::In | PredicateKind::IsNull | PredicateKind::Join(_)
        )
    }

    /// Whether it compares the column with a value (`=`, `IN`, a range):
    /// not NULL, not another column.
    pub fn compares_a_value(&self) -> bool {
        matches!(
            self,
            PredicateKind::Eq | PredicateKind::In | PredicateKind::Range
        )
    }
}

/// A function or converting cast around the column: `lower(email)`,
/// `created_at::date`, `date_trunc('day', created_at)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Wrapper {
    /// Lower-case function name, or `cast` for a cast.
    pub function: String,
    /// The wrapped expression as SQL, normalised (`lower(email)`).
    pub expr_sql: String,
    /// For a cast, the target type (`date`).
    pub cast_to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Predicate {
    pub column: ColumnRef,
    pub kind: PredicateKind,
    pub wrapper: Option<Wrapper>,
    /// The type of the constant it is compared with, when the expression
    /// spells it (`'2024-01-01'::date` → `date`).
    pub compared_type: Option<String>,
    /// The constant it is compared with, as SQL, when there is one.
    pub value: Option<String>,
    /// The conjunct as SQL.
    pub sql: String,
}

/// Parses a PostgreSQL plan condition (`Filter:`, `Index Cond:` …) and
/// returns its predicates. `None` when the text is not an expression
/// sqlparser understands; the caller then gives advice without columns.
pub fn parse_plan_condition(text: &str) -> Option<Vec<Predicate>> {
    Some(predicates(&parse_plan_expr(text)?))
}

/// A plan condition as an expression, subplan references replaced; `None`
/// when sqlparser does not understand it.
fn parse_plan_expr(text: &str) -> Option<Expr> {
    let cleaned = clean_plan_expression(text);
    let parse = |sql: &str| {
        Parser::new(&PostgreSqlDialect {})
            .try_with_sql(sql)
            .ok()?
            .parse_expr()
            .ok()
    };
    // An alias PostgreSQL prints bare may be a keyword to sqlparser
    // (`at.tag_id`, `at` of AT TIME ZONE): quoted, it is a plain name.
    parse(&cleaned).or_else(|| parse(&quote_qualifiers(&cleaned)))
}

/// `text` with every bare qualifier (`at` in `at.tag_id`) double-quoted,
/// outside string literals and quoted names.
fn quote_qualifiers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    let mut i = 0;
    let word_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' || c == '"' {
            // Copy a literal or quoted name whole (a doubled quote inside
            // it is two quotes in a row: the loop copies both).
            out.push(c);
            i += 1;
            while i < chars.len() {
                out.push(chars[i]);
                i += 1;
                if chars[i - 1] == c {
                    break;
                }
            }
            continue;
        }
        let starts_word = (c.is_ascii_lowercase() || c == '_')
            && (i == 0 || !(word_char(chars[i - 1]) || chars[i - 1] == '.'));
        if starts_word {
            let start = i;
            while i < chars.len() && word_char(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let qualifies = chars.get(i) == Some(&'.')
                && chars
                    .get(i + 1)
                    .is_some_and(|&n| n.is_ascii_alphabetic() || n == '_' || n == '"');
            if qualifies {
                out.push('"');
                out.push_str(&word);
                out.push('"');
            } else {
                out.push_str(&word);
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// What a plan condition asks beyond [`parse_plan_condition`]'s plain
/// predicates: the conjuncts only a GIN or GiST index serves, each with the
/// type its constant is cast to (`'{"lang": "fr"}'::jsonb` → `jsonb`), and
/// the ORs, each as its branches' predicates.
#[derive(Debug, Default)]
pub struct PlanShapes {
    pub gin: Vec<(GinCondition, Option<String>)>,
    pub ors: Vec<Vec<Vec<Predicate>>>,
}

/// [`PlanShapes`] of a PostgreSQL plan condition; empty when the text is
/// not an expression sqlparser understands.
pub fn plan_condition_shapes(text: &str) -> PlanShapes {
    let Some(expr) = parse_plan_expr(text) else {
        return PlanShapes::default();
    };
    let mut out = PlanShapes::default();
    for c in conjuncts(&expr) {
        if let Some(g) = gin_condition(c) {
            let typ = match c {
                Expr::BinaryOp { right, .. } => constant_type(right),
                _ => None,
            };
            out.gin.push((g, typ));
        } else if let Some(branches) = or_branches(c) {
            out.ors.push(branches);
        }
    }
    out
}

/// The range comparisons between two plain columns in a plan condition
/// (`a.logged_at >= i.started_at`), one [`Predicate`] of kind `Range` per
/// column, its `value` the other column. [`parse_plan_condition`] leaves
/// them out, as no constant bounds them; a nested loop's Join Filter is
/// where they matter: on the inner side they become an index range.
pub fn column_ranges(text: &str) -> Vec<Predicate> {
    let Some(expr) = parse_plan_expr(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for c in conjuncts(&expr) {
        let Expr::BinaryOp { left, op, right } = c else {
            continue;
        };
        if !matches!(
            op,
            BinaryOperator::Lt | BinaryOperator::LtEq | BinaryOperator::Gt | BinaryOperator::GtEq
        ) {
            continue;
        }
        if let (Some((l, None)), Some((r, None))) = (column_side(left), column_side(right)) {
            for (col, other) in [(l.clone(), r.clone()), (r, l)] {
                out.push(Predicate {
                    column: col,
                    kind: PredicateKind::Range,
                    wrapper: None,
                    compared_type: None,
                    value: Some(other.to_string()),
                    sql: c.to_string(),
                });
            }
        }
    }
    out
}

/// The jsonb paths of a plan condition that are compared with a constant,
/// each with the column it reads (`(settings ->> 'lang') = 'se'` gives
/// `settings` and `settings ->> 'lang'`). [`parse_plan_condition`] leaves
/// them out, as no column is compared; the planner has no statistics for
/// them and guesses.
pub fn json_path_comparisons(text: &str) -> Vec<(ColumnRef, String)> {
    let Some(expr) = parse_plan_expr(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for c in conjuncts(&expr) {
        let Expr::BinaryOp { left, op, right } = c else {
            continue;
        };
        if !matches!(
            op,
            BinaryOperator::Eq
                | BinaryOperator::Lt
                | BinaryOperator::LtEq
                | BinaryOperator::Gt
                | BinaryOperator::GtEq
        ) {
            continue;
        }
        for (side, other) in [(left, right), (right, left)] {
            let mut e = side.as_ref();
            while let Expr::Nested(inner) = e {
                e = inner;
            }
            if let Expr::BinaryOp {
                left: base,
                op:
                    BinaryOperator::Arrow
                    | BinaryOperator::LongArrow
                    | BinaryOperator::HashArrow
                    | BinaryOperator::HashLongArrow,
                right: path,
            } = e
                && let Some((col, None)) = column_side(base)
                && !has_column(path)
                && !has_column(other)
            {
                out.push((col, lower_type_names(&e.to_string())));
            }
        }
    }
    out
}

/// Replaces what plan expressions contain but SQL does not: `(SubPlan 1)`,
/// `(hashed SubPlan 2)`, `(InitPlan 1).col1`, `$0` style params stay valid.
fn clean_plan_expression(text: &str) -> String {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"\((?:hashed )?(?:SubPlan|InitPlan) \d+\)(?:\.col\d+)?").unwrap()
    });
    re.replace_all(text, "$$0").into_owned()
}

/// Splits `expr` into AND-ed conjuncts and classifies each.
pub fn predicates(expr: &Expr) -> Vec<Predicate> {
    let mut out = Vec::new();
    for c in conjuncts(expr) {
        classify(c, &mut out);
    }
    out
}

/// A condition only a GIN (or GiST) index serves: a pattern that does not
/// anchor at the start (`ILIKE '%word%'`, a regex), containment or overlap
/// (`@>`, `&&`, `?`), full-text match (`@@`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GinCondition {
    pub column: ColumnRef,
    /// `trgm` (patterns and regexes), `@>`, `&&`, `?` (also `?|`, `?&`),
    /// `@@`, or `any` (`value = ANY (array column)`, served once rewritten
    /// as `@>`).
    pub op: String,
    /// For `@@`, the indexed expression when it is `to_tsvector` with a
    /// literal configuration (`to_tsvector('english', body)`); `None` when
    /// the column itself is compared.
    pub expression: Option<String>,
    pub sql: String,
}

/// The kind of index a [`GinCondition`] needs: access method, operator
/// class, the extension that provides it, and why.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GinIndexKind {
    pub method: &'static str,
    pub opclass: Option<&'static str>,
    pub extension: Option<&'static str>,
    pub why: &'static str,
}

impl GinCondition {
    /// The index that serves this condition on a column of type
    /// `column_type` (lower case, as the catalog spells it); `None` when
    /// that type has none for the operator.
    pub fn index_kind(&self, column_type: &str) -> Option<GinIndexKind> {
        let t = column_type;
        let array = t.ends_with("[]") || t.starts_with('_');
        let text = t == "text"
            || t.starts_with("character")
            || t.starts_with("varchar")
            || t.starts_with("citext");
        let kind = |method, opclass, extension, why| {
            Some(GinIndexKind {
                method,
                opclass,
                extension,
                why,
            })
        };
        match self.op.as_str() {
            "trgm" if text => kind(
                "gin",
                Some("gin_trgm_ops"),
                Some("pg_trgm"),
                "a pattern that does not anchor at the start (or a regex) reads the whole table; a trigram GIN index finds the matching rows",
            ),
            "@>" if t == "jsonb" => kind(
                "gin",
                Some("jsonb_path_ops"),
                None,
                "jsonb containment (@>) reads the whole table; a GIN index with jsonb_path_ops (smaller, @> only) finds the matching rows",
            ),
            "?" if t == "jsonb" => kind(
                "gin",
                None,
                None,
                "jsonb key existence (?, ?|, ?&) needs GIN's default jsonb_ops",
            ),
            "any" if array => kind(
                "gin",
                None,
                None,
                "`value = ANY (array column)` tests every element of every row, and no index serves it as written; rewritten as containment, `column @> ARRAY[value]` (the same rows), a GIN index on the array finds them",
            ),
            "@>" | "&&" if array => kind(
                "gin",
                None,
                None,
                "array containment or overlap (@>, &&) reads the whole table; a GIN index on the array finds the matching rows",
            ),
            "&&" | "@>" if t.contains("range") => kind(
                "gist",
                None,
                None,
                "range overlap or containment needs a GiST index",
            ),
            "@@" if self.expression.is_some() => kind(
                "gin",
                None,
                None,
                "full-text match computes to_tsvector on every row; a GIN index on the same expression finds the matching rows",
            ),
            "@@" if t == "tsvector" => kind(
                "gin",
                None,
                None,
                "full-text match on a tsvector column needs a GIN index",
            ),
            _ => None,
        }
    }
}

/// The [`GinCondition`] of one conjunct, if it is one.
pub fn gin_condition(e: &Expr) -> Option<GinCondition> {
    let e = match e {
        Expr::Nested(inner) => inner.as_ref(),
        other => other,
    };
    let sql = e.to_string();
    let (left, op, right) = match e {
        // `'x' = ANY (tags)`: a test of every element of an array column,
        // which no index serves as written; as `tags @> ARRAY['x']` GIN does.
        Expr::AnyOp {
            left,
            compare_op: BinaryOperator::Eq,
            right,
            ..
        } => {
            let (col, None) = column_side(right)? else {
                return None;
            };
            return (!has_column(left)).then(|| GinCondition {
                column: col,
                op: "any".into(),
                expression: None,
                sql,
            });
        }
        Expr::BinaryOp { left, op, right } => (left.as_ref(), op, right.as_ref()),
        Expr::ILike {
            negated: false,
            expr,
            pattern,
            ..
        }
        | Expr::Like {
            negated: false,
            expr,
            pattern,
            ..
        } => {
            let (col, None) = column_side(expr)? else {
                return None;
            };
            // A case-insensitive pattern given as a parameter: no B-tree
            // serves it, whatever its value (a case-sensitive one is taken
            // for a prefix, see `like_kind`).
            let ilike = matches!(e, Expr::ILike { .. });
            return (unanchored(pattern) || (ilike && is_placeholder(pattern))).then(|| {
                GinCondition {
                    column: col,
                    op: "trgm".into(),
                    expression: None,
                    sql,
                }
            });
        }
        _ => return None,
    };
    let op = match op {
        BinaryOperator::PGILikeMatch | BinaryOperator::PGLikeMatch => {
            let ilike = *op == BinaryOperator::PGILikeMatch;
            if !(unanchored(right) || (ilike && is_placeholder(right))) {
                return None;
            }
            "trgm"
        }
        BinaryOperator::PGRegexMatch | BinaryOperator::PGRegexIMatch => "trgm",
        BinaryOperator::AtArrow => "@>",
        BinaryOperator::PGOverlap => "&&",
        BinaryOperator::Question | BinaryOperator::QuestionAnd | BinaryOperator::QuestionPipe => {
            "?"
        }
        BinaryOperator::AtAt => "@@",
        _ => return None,
    };
    if op == "@@" {
        // to_tsvector('config', col) @@ query, or a tsvector column.
        for side in [left, right] {
            if let Some((col, None)) = column_side(side) {
                return Some(GinCondition {
                    column: col,
                    op: op.into(),
                    expression: None,
                    sql,
                });
            }
            if let Expr::Function(f) = side
                && f.name.to_string().eq_ignore_ascii_case("to_tsvector")
            {
                let text = side.to_string();
                let args: Vec<&Expr> = match &f.args {
                    sqlparser::ast::FunctionArguments::List(l) => l
                        .args
                        .iter()
                        .filter_map(|a| match a {
                            sqlparser::ast::FunctionArg::Unnamed(
                                sqlparser::ast::FunctionArgExpr::Expr(x),
                            ) => Some(x),
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                // Only the two-argument form with a literal configuration
                // is immutable, so only it can be indexed.
                if let [cfg, arg] = args.as_slice()
                    && matches!(cfg, Expr::Value(_) | Expr::Cast { .. })
                    && let Some((col, None)) = column_side(arg)
                {
                    return Some(GinCondition {
                        column: col,
                        op: op.into(),
                        expression: Some(text),
                        sql,
                    });
                }
            }
        }
        return None;
    }
    let (col, None) = column_side(left)? else {
        return None;
    };
    if has_column(right) {
        return None;
    }
    Some(GinCondition {
        column: col,
        op: op.into(),
        expression: None,
        sql,
    })
}

/// Whether an expression is a parameter (`$1`), casts aside.
fn is_placeholder(e: &Expr) -> bool {
    matches!(strip_casts(e), Expr::Value(v) if matches!(v.value, Value::Placeholder(_)))
}

/// A pattern that a B-tree cannot seek: it starts with a wildcard.
fn unanchored(pattern: &Expr) -> bool {
    let text = pattern.to_string();
    let t = text.trim_start_matches('(');
    t.starts_with("'%") || t.starts_with("'_") || t.starts_with("'%' ||") || t.starts_with("'%'")
}

/// The branches of an OR (`customer_id = $1 OR cc_customer_id = $2`),
/// each branch's own conjuncts classified; `None` when `expr` is no OR.
/// PostgreSQL serves such a condition with one index per branch (a
/// BitmapOr), so each branch is a candidate of its own.
pub fn or_branches(expr: &Expr) -> Option<Vec<Vec<Predicate>>> {
    let mut branches = Vec::new();
    let mut stack = vec![expr];
    let mut or = false;
    while let Some(e) = stack.pop() {
        match e {
            Expr::Nested(inner) => stack.push(inner),
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Or,
                right,
            } => {
                or = true;
                stack.push(right);
                stack.push(left);
            }
            other => branches.push(predicates(other)),
        }
    }
    or.then_some(branches)
}

/// The AND-ed parts of an expression, parentheses removed.
pub fn conjuncts(expr: &Expr) -> Vec<&Expr> {
    let mut out = Vec::new();
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        match e {
            Expr::Nested(inner) => stack.push(inner),
            Expr::BinaryOp {
                left,
                op: BinaryOperator::And,
                right,
            } => {
                stack.push(right);
                stack.push(left);
            }
            other => out.push(other),
        }
    }
    out
}

fn classify(e: &Expr, out: &mut Vec<Predicate>) {
    let start = out.len();
    classify_inner(e, out);
    for p in &mut out[start..] {
        p.sql = lower_type_names(&p.sql);
        p.value = p.value.as_deref().map(lower_type_names);
    }
}

/// sqlparser prints type names in capitals (`::TIMESTAMP WITH TIME ZONE`);
/// PostgreSQL and our users write them in lower case.
fn lower_type_names(s: &str) -> String {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re =
        RE.get_or_init(|| regex::Regex::new(r"::([A-Z][A-Z0-9 ]*[A-Z0-9]|[A-Z])(\[\])?").unwrap());
    re.replace_all(s, |c: &regex::Captures<'_>| {
        format!(
            "::{}{}",
            c[1].to_lowercase(),
            c.get(2).map_or("", |m| m.as_str())
        )
    })
    .into_owned()
}

// One match over the expression kinds sqlparser has; each arm is short,
// and splitting the match would only scatter it.
fn classify_inner(e: &Expr, out: &mut Vec<Predicate>) {
    let sql = e.to_string();
    match e {
        Expr::BinaryOp { left, op, right } => {
            let kind = match op {
                BinaryOperator::Eq => PredicateKind::Eq,
                BinaryOperator::Lt
                | BinaryOperator::LtEq
                | BinaryOperator::Gt
                | BinaryOperator::GtEq => PredicateKind::Range,
                BinaryOperator::PGLikeMatch => PredicateKind::Other,
                BinaryOperator::NotEq
                | BinaryOperator::PGILikeMatch
                | BinaryOperator::PGNotLikeMatch
                | BinaryOperator::PGNotILikeMatch
                | BinaryOperator::PGRegexMatch
                | BinaryOperator::PGRegexIMatch => PredicateKind::Other,
                BinaryOperator::Or => {
                    // An OR of predicates on one column is an IN in disguise;
                    // otherwise no single index key serves it.
                    return;
                }
                _ => return,
            };
            let l = column_side(left);
            let r = column_side(right);
            match (l, r) {
                (Some((lc, lw)), Some((rc, _))) => {
                    if lw.is_none() && *op == BinaryOperator::Eq {
                        out.push(Predicate {
                            column: lc.clone(),
                            kind: PredicateKind::Join(rc.clone()),
                            wrapper: None,
                            compared_type: None,
                            value: None,
                            sql: sql.clone(),
                        });
                        out.push(Predicate {
                            column: rc,
                            kind: PredicateKind::Join(lc),
                            wrapper: None,
                            compared_type: None,
                            value: None,
                            sql,
                        });
                    }
                }
                (Some((col, wrapper)), None) | (None, Some((col, wrapper))) => {
                    let constant = if column_side(left).is_some() {
                        right
                    } else {
                        left
                    };
                    let kind = if *op == BinaryOperator::PGLikeMatch {
                        like_kind(constant)
                    } else {
                        kind
                    };
                    out.push(Predicate {
                        column: col,
                        kind,
                        wrapper,
                        compared_type: constant_type(constant),
                        value: Some(constant.to_string()),
                        sql,
                    });
                }
                (None, None) => {}
            }
        }
        Expr::AnyOp {
            left,
            compare_op: BinaryOperator::Eq,
            right,
            ..
        } => {
            if let Some((col, wrapper)) = column_side(left)
                && !has_column(right)
            {
                out.push(Predicate {
                    column: col,
                    kind: PredicateKind::In,
                    wrapper,
                    compared_type: None,
                    value: Some(right.to_string()),
                    sql,
                });
            }
        }
        Expr::InList {
            expr,
            list,
            negated,
        } => {
            if let Some((col, wrapper)) = column_side(expr)
                && !list.iter().any(has_column)
            {
                out.push(Predicate {
                    column: col,
                    kind: if *negated {
                        PredicateKind::Other
                    } else {
                        PredicateKind::In
                    },
                    wrapper,
                    compared_type: None,
                    value: Some(format!(
                        "({})",
                        list.iter()
                            .map(|v| v.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                    sql,
                });
            }
        }
        Expr::InSubquery { expr, negated, .. } => {
            if let Some((col, wrapper)) = column_side(expr) {
                out.push(Predicate {
                    column: col,
                    kind: if *negated {
                        PredicateKind::Other
                    } else {
                        PredicateKind::In
                    },
                    wrapper,
                    compared_type: None,
                    value: None,
                    sql,
                });
            }
        }
        Expr::Between {
            expr,
            negated,
            low,
            high,
        } => {
            if let Some((col, wrapper)) = column_side(expr)
                && !has_column(low)
                && !has_column(high)
            {
                out.push(Predicate {
                    column: col,
                    kind: if *negated {
                        PredicateKind::Other
                    } else {
                        PredicateKind::Range
                    },
                    wrapper,
                    compared_type: constant_type(low),
                    value: Some(low.to_string()),
                    sql,
                });
            } else if !*negated
                && !has_column(expr)
                && let (Some((lc, None)), Some((hc, None))) = (column_side(low), column_side(high))
            {
                // A point between two columns (`$1 BETWEEN starts_at AND
                // ends_at`): `starts_at <= $1 AND ends_at >= $1`, a range
                // on each; which one bounds a scan is the data's to say.
                for col in [lc, hc] {
                    out.push(Predicate {
                        column: col,
                        kind: PredicateKind::Range,
                        wrapper: None,
                        compared_type: constant_type(expr),
                        value: Some(expr.to_string()),
                        sql: sql.clone(),
                    });
                }
            }
        }
        Expr::Like {
            negated,
            expr,
            pattern,
            ..
        } => {
            if let Some((col, wrapper)) = column_side(expr) {
                out.push(Predicate {
                    column: col,
                    kind: if *negated {
                        PredicateKind::Other
                    } else {
                        like_kind(pattern)
                    },
                    wrapper,
                    compared_type: None,
                    value: Some(pattern.to_string()),
                    sql,
                });
            }
        }
        Expr::ILike { expr, .. } => {
            if let Some((col, wrapper)) = column_side(expr) {
                out.push(Predicate {
                    column: col,
                    kind: PredicateKind::Other,
                    wrapper,
                    compared_type: None,
                    value: None,
                    sql,
                });
            }
        }
        Expr::IsNull(inner) => {
            if let Some((col, wrapper)) = column_side(inner) {
                out.push(Predicate {
                    column: col,
                    kind: PredicateKind::IsNull,
                    wrapper,
                    compared_type: None,
                    value: None,
                    sql,
                });
            }
        }
        Expr::IsNotNull(inner) | Expr::IsTrue(inner) | Expr::IsFalse(inner) => {
            if let Some((col, wrapper)) = column_side(inner) {
                out.push(Predicate {
                    column: col,
                    kind: PredicateKind::Other,
                    wrapper,
                    compared_type: None,
                    value: None,
                    sql,
                });
            }
        }
        // A bare boolean column (`WHERE active`) or its negation.
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) => {
            if let Some((col, None)) = column_side(e) {
                out.push(Predicate {
                    column: col,
                    kind: PredicateKind::Eq,
                    wrapper: None,
                    compared_type: Some("boolean".into()),
                    value: Some("true".into()),
                    sql,
                });
            }
        }
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            expr,
        } => {
            if let Some((col, None)) = column_side(expr) {
                out.push(Predicate {
                    column: col,
                    kind: PredicateKind::Eq,
                    wrapper: None,
                    compared_type: Some("boolean".into()),
                    value: Some("false".into()),
                    sql,
                });
            }
        }
        _ => {}
    }
}

/// `LIKE 'abc%'` can use a b-tree range (with the right operator class);
/// `LIKE '%abc'` cannot. A parameter (`LIKE $1`, as pg_stat_statements
/// normalizes any pattern) is taken for a prefix: the advisor plans it with
/// a prefix of the column's own values and says so ([`is_like_parameter`]).
fn like_kind(pattern: &Expr) -> PredicateKind {
    let text = match strip_casts(pattern) {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => Some(s.clone()),
            Value::Placeholder(_) => return PredicateKind::Range,
            _ => None,
        },
        _ => None,
    };
    match text {
        Some(s) if !s.starts_with('%') && !s.starts_with('_') => PredicateKind::Range,
        _ => PredicateKind::Other,
    }
}

/// Whether a predicate is `col LIKE $n` (a pattern given as a parameter).
pub fn is_like_parameter(p: &Predicate) -> bool {
    p.kind == PredicateKind::Range
        && p.sql.to_ascii_uppercase().contains(" LIKE ")
        && p.value
            .as_deref()
            .is_some_and(|v| v.starts_with('$') && v[1..].chars().all(|c| c.is_ascii_digit()))
}

/// Whether a predicate is a `LIKE` prefix match (a literal prefix or a
/// parameter), which a B-tree serves only under the `C` collation or with
/// a `*_pattern_ops` operator class.
pub fn is_like_prefix(p: &Predicate) -> bool {
    p.kind == PredicateKind::Range && p.sql.to_ascii_uppercase().contains(" LIKE ")
}

/// The parameter of a range that bounds its bare column from below and
/// nothing else (`created_at >= $1`, `$2::timestamptz <= created_at`):
/// a "since" with no end. `None` for an upper bound, a wrapped column, an
/// expression around the parameter (`now() - interval $1`) or a constant.
pub fn lower_bound_parameter(p: &Predicate) -> Option<usize> {
    if p.kind != PredicateKind::Range || p.wrapper.is_some() || is_like_prefix(p) {
        return None;
    }
    // pg_stat_statements' `timestamptz $1` (a typed literal whose constant
    // became a parameter) is the cast `$1::timestamptz`.
    let sql = crate::sql::params::typed_parameters_as_casts(&p.sql);
    let Expr::BinaryOp { left, op, right } = parse_plan_expr(&sql)? else {
        return None;
    };
    let (constant, lower) = match (column_side(&left), column_side(&right)) {
        (Some((_, None)), None) => (
            right,
            matches!(op, BinaryOperator::Gt | BinaryOperator::GtEq),
        ),
        (None, Some((_, None))) => (
            left,
            matches!(op, BinaryOperator::Lt | BinaryOperator::LtEq),
        ),
        _ => return None,
    };
    match strip_casts(&constant) {
        Expr::Value(v) if lower => match &v.value {
            Value::Placeholder(s) => s.strip_prefix('$')?.parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

fn strip_casts(e: &Expr) -> &Expr {
    match e {
        Expr::Cast { expr, .. } | Expr::Nested(expr) => strip_casts(expr),
        other => other,
    }
}

/// The type a constant is cast to, as the plan spells it.
fn constant_type(e: &Expr) -> Option<String> {
    match e {
        Expr::Cast { data_type, .. } => Some(data_type.to_string().to_lowercase()),
        Expr::Nested(inner) => constant_type(inner),
        Expr::TypedString(ts) => Some(ts.data_type.to_string().to_lowercase()),
        _ => None,
    }
}

/// If `e` is a column, or a single column under functions and casts,
/// returns it with the wrapper that hides it from a plain index.
pub fn column_side(e: &Expr) -> Option<(ColumnRef, Option<Wrapper>)> {
    match e {
        Expr::Identifier(id) => Some((
            ColumnRef {
                qualifier: None,
                name: ident_name(id),
            },
            None,
        )),
        Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
            let name = ident_name(parts.last()?);
            let qualifier = parts[..parts.len() - 1]
                .iter()
                .map(ident_name)
                .collect::<Vec<_>>()
                .join(".");
            Some((
                ColumnRef {
                    qualifier: Some(qualifier),
                    name,
                },
                None,
            ))
        }
        Expr::Nested(inner) => column_side(inner),
        Expr::Cast {
            kind,
            expr,
            data_type,
            ..
        } => {
            let (col, inner_wrapper) = column_side(expr)?;
            if is_relabel(data_type) && matches!(kind, CastKind::DoubleColon | CastKind::Cast) {
                // varchar → text and the like: no conversion, an index still serves.
                return Some((col, inner_wrapper));
            }
            let cast = Wrapper {
                function: "cast".into(),
                expr_sql: normalize_sql(e),
                cast_to: Some(data_type.to_string().to_lowercase()),
            };
            // `(ts AT TIME ZONE 'zone')::date`: the day in that zone, one
            // conversion read whole (its rewrite is a range on ts).
            let wrapper = match inner_wrapper {
                Some(w) if w.function == "timezone" => cast,
                other => other.unwrap_or(cast),
            };
            Some((col, Some(wrapper)))
        }
        Expr::AtTimeZone { timestamp, .. } => {
            let (col, _) = column_side(timestamp)?;
            Some((
                col,
                Some(Wrapper {
                    function: "timezone".into(),
                    expr_sql: normalize_sql(e),
                    cast_to: None,
                }),
            ))
        }
        Expr::Function(f) => {
            let FunctionArguments::List(list) = &f.args else {
                return None;
            };
            let mut found: Option<ColumnRef> = None;
            // `coalesce(extended_due_at, due_at)`: the first non-NULL of
            // columns of one row, an expression an index can hold whole;
            // its first column stands for it.
            let first_of = f.name.to_string().eq_ignore_ascii_case("coalesce");
            for arg in &list.args {
                let a = match arg {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(a))
                    | FunctionArg::Named {
                        arg: FunctionArgExpr::Expr(a),
                        ..
                    } => a,
                    _ => continue,
                };
                if let Some((col, _)) = column_side(a) {
                    if let Some(c) = &found
                        && *c != col
                    {
                        if first_of && c.qualifier == col.qualifier {
                            continue;
                        }
                        return None; // two columns: not a wrapped column
                    }
                    found = Some(col);
                } else if has_column(a) {
                    return None;
                }
            }
            let col = found?;
            Some((
                col,
                Some(Wrapper {
                    function: f.name.to_string().to_lowercase(),
                    expr_sql: normalize_sql(e),
                    cast_to: None,
                }),
            ))
        }
        Expr::Extract { expr, .. } => {
            let (col, _) = column_side(expr)?;
            Some((
                col,
                Some(Wrapper {
                    function: "extract".into(),
                    expr_sql: normalize_sql(e),
                    cast_to: None,
                }),
            ))
        }
        Expr::BinaryOp { left, op, right } => operator_side(e, left, op, right),
        Expr::UnaryOp { expr, .. } => column_side(expr).map(|(c, _)| {
            (
                c,
                Some(Wrapper {
                    function: "operator".into(),
                    expr_sql: normalize_sql(e),
                    cast_to: None,
                }),
            )
        }),
        _ => None,
    }
}

/// A jsonb path read with a constant path (`attrs ->> 'carrier'`), or
/// arithmetic over columns of one table and numbers (`qty_on_hand -
/// qty_reserved`): an expression an index can hold whole, which no index
/// on its columns serves; its first column stands for it. The wrapper's
/// function is the operator (`->>`) or `arithmetic`.
fn operator_side(
    e: &Expr,
    left: &Expr,
    op: &BinaryOperator,
    right: &Expr,
) -> Option<(ColumnRef, Option<Wrapper>)> {
    let wrapper = |function: String| Wrapper {
        function,
        expr_sql: normalize_sql(e),
        cast_to: None,
    };
    match op {
        BinaryOperator::Arrow
        | BinaryOperator::LongArrow
        | BinaryOperator::HashArrow
        | BinaryOperator::HashLongArrow => {
            // A column, or a path read of one (`attrs -> 'dims' ->> 'w'`).
            let (col, inner) = column_side(left)?;
            if inner.is_some_and(|w| !w.function.starts_with(['-', '#'])) {
                return None;
            }
            (!has_column(right)).then(|| (col, Some(wrapper(op.to_string()))))
        }
        BinaryOperator::Plus
        | BinaryOperator::Minus
        | BinaryOperator::Multiply
        | BinaryOperator::Divide => {
            let mut cols = Vec::new();
            if !arithmetic_terms(e, &mut cols, false) {
                return None;
            }
            let first = cols.first()?.clone();
            cols.iter()
                .all(|c| c.qualifier == first.qualifier)
                .then(|| (first, Some(wrapper("arithmetic".into()))))
        }
        _ => None,
    }
}

/// An ORDER BY key: a plain column, or an expression over columns of one
/// table an index could hold ([`column_side`]'s wrapped columns, and
/// arithmetic of columns whose constants pg_stat_statements made `$n`:
/// `(salary_min + salary_max) / $2`, indexable once the constant is
/// known), with the column it reads first.
pub fn order_side(e: &Expr) -> Option<(ColumnRef, Option<Wrapper>)> {
    if let Some(side) = column_side(e) {
        return Some(side);
    }
    let mut cols = Vec::new();
    if !matches!(strip_nested(e), Expr::BinaryOp { .. }) || !arithmetic_terms(e, &mut cols, true) {
        return None;
    }
    let first = cols.first()?.clone();
    cols.iter()
        .all(|c| c.qualifier == first.qualifier)
        .then(|| {
            (
                first,
                Some(Wrapper {
                    function: "arithmetic".into(),
                    expr_sql: normalize_sql(e),
                    cast_to: None,
                }),
            )
        })
}

fn strip_nested(e: &Expr) -> &Expr {
    match e {
        Expr::Nested(inner) => strip_nested(inner),
        _ => e,
    }
}

/// Whether `e` is arithmetic of bare columns and numbers only (no cast, no
/// function, no typed literal such as an interval), collecting its columns;
/// with `parameters`, `$n` counts as a number.
fn arithmetic_terms(e: &Expr, cols: &mut Vec<ColumnRef>, parameters: bool) -> bool {
    match e {
        Expr::Nested(inner) => arithmetic_terms(inner, cols, parameters),
        Expr::BinaryOp {
            left,
            op:
                BinaryOperator::Plus
                | BinaryOperator::Minus
                | BinaryOperator::Multiply
                | BinaryOperator::Divide,
            right,
        } => arithmetic_terms(left, cols, parameters) && arithmetic_terms(right, cols, parameters),
        Expr::Value(v) => {
            matches!(v.value, Value::Number(..))
                || (parameters && matches!(v.value, Value::Placeholder(_)))
        }
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) => match column_side(e) {
            Some((c, None)) => {
                cols.push(c);
                true
            }
            _ => false,
        },
        _ => false,
    }
}

/// An identifier as the database resolves it: unquoted names fold to lower
/// case (PostgreSQL's rule; MySQL and SQLite compare them case-insensitively).
pub fn ident_name(id: &Ident) -> String {
    if id.quote_style.is_some() {
        id.value.clone()
    } else {
        id.value.to_lowercase()
    }
}

/// Casts that do not change the value's representation for indexing.
fn is_relabel(t: &DataType) -> bool {
    let s = t.to_string().to_lowercase();
    matches!(
        s.as_str(),
        "text" | "varchar" | "character varying" | "bpchar" | "name" | "regclass"
    ) || s.starts_with("character varying")
        || s.starts_with("varchar")
}

/// An expression as SQL with PostgreSQL's relabel casts of columns dropped,
/// `lower((email)::text)` → `lower(email)`.
pub fn normalize_sql(e: &Expr) -> String {
    let s = e.to_string();
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(
            r"(?i)\(([A-Za-z_][A-Za-z0-9_.]*)\)::(?:text|character varying|varchar|bpchar)\b",
        )
        .unwrap()
    });
    let s = re.replace_all(&s, "$1").into_owned();
    static RE2: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re2 = RE2.get_or_init(|| regex::Regex::new(r"(?i)('[^']*')::text\b").unwrap());
    lower_type_names(&re2.replace_all(&s, "$1"))
}

/// Whether an expression references any column.
pub fn has_column(e: &Expr) -> bool {
    visit_expressions(e, |x| {
        if matches!(x, Expr::Identifier(_) | Expr::CompoundIdentifier(_)) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .is_break()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An alias that is a keyword to sqlparser (`at`, `end`) still reads
    /// as a qualifier; literals and quoted names are left alone.
    #[test]
    fn keyword_alias_reads_as_a_qualifier() {
        // A join condition reads as one predicate per side.
        let p = parse_plan_condition("(at.tag_id = t.id)").expect("parsed");
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!(p[0].column.qualifier.as_deref(), Some("at"));
        assert_eq!(p[0].column.name, "tag_id");
        let p = parse_plan_condition("((end.kind = 'a.b'::text) AND (end.n > 3))").expect("parsed");
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!(p[0].column.qualifier.as_deref(), Some("end"));
        assert_eq!(
            quote_qualifiers("(x.note = 'it.is'::text) AND (\"S 1\".v = 1)"),
            "(\"x\".note = 'it.is'::text) AND (\"S 1\".v = 1)"
        );
    }

    /// `(ts AT TIME ZONE 'zone')::date`: the column wrapped in one cast
    /// over the whole conversion.
    #[test]
    fn day_in_a_time_zone_is_one_wrapper() {
        let p = parse_plan_condition(
            "(((viewed_at AT TIME ZONE 'America/New_York'::text))::date = '2026-11-20'::date)",
        )
        .expect("parsed");
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].column.name, "viewed_at");
        let w = p[0].wrapper.as_ref().expect("wrapped");
        assert_eq!(
            (w.function.as_str(), w.cast_to.as_deref()),
            ("cast", Some("date"))
        );
        assert!(
            w.expr_sql.contains("AT TIME ZONE 'America/New_York'"),
            "{}",
            w.expr_sql
        );
    }

    #[test]
    fn json_path_compared_with_a_constant() {
        let found = json_path_comparisons(
            "((country = 'SE'::text) AND ((settings ->> 'lang'::text) = 'se'::text))",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0.name, "settings");
        assert_eq!(found[0].1, "settings ->> 'lang'::text");
        assert!(json_path_comparisons("((a.doc ->> 'k') = b.name)").is_empty());
    }

    fn kinds(text: &str) -> Vec<(String, PredicateKind, Option<String>)> {
        parse_plan_condition(text)
            .unwrap()
            .into_iter()
            .map(|p| (p.column.to_string(), p.kind, p.wrapper.map(|w| w.expr_sql)))
            .collect()
    }

    #[test]
    fn parse_equality_and_range_from_plan_filter() {
        assert_eq!(
            kinds(
                "((customer_id = 42) AND (created_at > '2024-01-01 00:00:00+00'::timestamp with time zone))"
            ),
            vec![
                ("customer_id".into(), PredicateKind::Eq, None),
                ("created_at".into(), PredicateKind::Range, None),
            ]
        );
    }

    #[test]
    fn a_point_between_two_columns_is_a_range_on_each() {
        assert_eq!(
            kinds(
                "('2026-06-30 12:00:00+00'::timestamp with time zone BETWEEN starts_at AND ends_at)"
            ),
            vec![
                ("starts_at".into(), PredicateKind::Range, None),
                ("ends_at".into(), PredicateKind::Range, None),
            ]
        );
        assert!(kinds("(now() NOT BETWEEN starts_at AND ends_at)").is_empty());
        assert!(kinds("(a BETWEEN b AND 3)").is_empty());
    }

    #[test]
    fn coalesce_of_two_columns_is_an_expression_on_the_first() {
        assert_eq!(
            kinds(
                "(COALESCE(extended_due_at, due_at) <= '2026-01-02 00:00:00+00'::timestamp with time zone)"
            ),
            vec![(
                "extended_due_at".into(),
                PredicateKind::Range,
                Some("COALESCE(extended_due_at, due_at)".into())
            )]
        );
        assert!(kinds("(greatest(a, b) > 3)").is_empty());
    }

    #[test]
    fn parse_relabel_cast_is_not_a_function() {
        assert_eq!(
            kinds("((status)::text = 'shipped'::text)"),
            vec![("status".into(), PredicateKind::Eq, None)]
        );
    }

    #[test]
    fn parse_function_and_converting_cast_are_wrappers() {
        assert_eq!(
            kinds("(lower((email)::text) = 'a@b.c'::text)"),
            vec![(
                "email".into(),
                PredicateKind::Eq,
                Some("lower(email)".into())
            )]
        );
        let p = &parse_plan_condition("((created_at)::date = '2024-01-01'::date)").unwrap()[0];
        assert_eq!(p.wrapper.as_ref().unwrap().cast_to.as_deref(), Some("date"));
        assert_eq!(p.compared_type.as_deref(), Some("date"));
    }

    #[test]
    fn parse_join_any_and_like() {
        assert_eq!(
            kinds("(o.customer_id = c.id)"),
            vec![
                (
                    "o.customer_id".into(),
                    PredicateKind::Join(ColumnRef {
                        qualifier: Some("c".into()),
                        name: "id".into()
                    }),
                    None
                ),
                (
                    "c.id".into(),
                    PredicateKind::Join(ColumnRef {
                        qualifier: Some("o".into()),
                        name: "customer_id".into()
                    }),
                    None
                ),
            ]
        );
        assert_eq!(
            kinds("(id = ANY ('{1,2,3}'::integer[]))"),
            vec![("id".into(), PredicateKind::In, None)]
        );
        assert_eq!(
            kinds("((name)::text ~~ 'abc%'::text)"),
            vec![("name".into(), PredicateKind::Range, None)]
        );
        assert_eq!(
            kinds("((name)::text ~~ '%abc'::text)"),
            vec![("name".into(), PredicateKind::Other, None)]
        );
    }

    #[test]
    fn parse_subplan_references() {
        assert_eq!(
            kinds("(total > (SubPlan 1))"),
            vec![("total".into(), PredicateKind::Range, None)]
        );
    }
}
