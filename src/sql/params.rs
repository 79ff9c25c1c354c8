//! Typed literals whose constant became a parameter. pg_stat_statements
//! normalizes `timestamptz '2024-03-01'` to `timestamptz $1`, which is no
//! longer valid SQL (a typed literal takes a string constant), so the
//! statement cannot be prepared or planned. Written as a cast, `$1::timestamptz`,
//! it means the same and plans.

use std::borrow::Cow;

use super::lex::skip_non_code;

/// An edited copy of a statement, built while it is scanned: the text
/// between edits is copied as is; nothing is allocated before the first.
struct Splice<'a> {
    sql: &'a str,
    out: String,
    copied: usize,
    edited: bool,
}

impl<'a> Splice<'a> {
    fn new(sql: &'a str) -> Self {
        Splice {
            sql,
            out: String::new(),
            copied: 0,
            edited: false,
        }
    }

    /// Puts `parts` in place of `sql[start..end]` (an insertion when
    /// `start == end`); edits come in the order of the text.
    fn replace(&mut self, start: usize, end: usize, parts: &[&str]) {
        self.out.push_str(&self.sql[self.copied..start]);
        for p in parts {
            self.out.push_str(p);
        }
        self.copied = end;
        self.edited = true;
    }

    fn finish(mut self) -> Cow<'a, str> {
        if !self.edited {
            return Cow::Borrowed(self.sql);
        }
        self.out.push_str(&self.sql[self.copied..]);
        Cow::Owned(self.out)
    }
}

/// Type names that take the `type 'literal'` syntax, longest first.
const TYPES: &[&str] = &[
    "timestamp without time zone",
    "timestamp with time zone",
    "time without time zone",
    "time with time zone",
    "character varying",
    "double precision",
    "timestamptz",
    "timestamp",
    "interval",
    "smallint",
    "integer",
    "numeric",
    "boolean",
    "varchar",
    "bigint",
    "timetz",
    "float4",
    "float8",
    "bytea",
    "jsonb",
    "money",
    "int2",
    "int4",
    "int8",
    "json",
    "inet",
    "cidr",
    "uuid",
    "date",
    "time",
    "text",
    "real",
    "bool",
    "int",
];

/// Rewrites every `type $n` outside quotes and comments as `$n::type`.
pub fn typed_parameters_as_casts(sql: &str) -> Cow<'_, str> {
    let b = sql.as_bytes();
    let mut out = Splice::new(sql);
    let mut i = 0;
    while i < b.len() {
        if let Some(end) = skip_non_code(b, i, true) {
            i = end;
            continue;
        }
        match b[i] {
            c if c.is_ascii_alphabetic()
                && (i == 0
                    || !(b[i - 1].is_ascii_alphanumeric() || matches!(b[i - 1], b'_' | b'.'))) =>
            {
                match typed_parameter(sql, i) {
                    Some((ty, param, end)) => {
                        out.replace(i, end, &[param, "::", ty]);
                        i = end;
                    }
                    None => {
                        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                            i += 1;
                        }
                    }
                }
            }
            _ => i += 1,
        }
    }
    out.finish()
}

/// Past a blank, a comment or a quoted string at `i` (`None`: code).
fn skip_blank_or_non_code(b: &[u8], i: usize) -> Option<usize> {
    skip_non_code(b, i, true).or_else(|| b[i].is_ascii_whitespace().then_some(i + 1))
}

/// Types for parameters whose operator leaves them ambiguous once their
/// constant is gone, read from what they are combined with:
/// - `$1::date + $2` (was `date '…' + 5`): date arithmetic takes whole
///   days, so `$2::integer`; a `timestamp`/`timestamptz`/`interval` chain
///   takes `$2::interval`;
/// - `$1::timestamptz - $2 * $3::interval` (was `… - 7 * interval '1
///   day'`): the factor of an interval is a number, `$2::double precision`;
/// - `$1 || $2` (unknown `||` unknown): `$1::text`.
///
/// Applied after [`typed_parameters_as_casts`]; a parameter already cast,
/// or in any other position, is left alone.
pub fn type_ambiguous_parameters(sql: &str) -> Cow<'_, str> {
    let b = sql.as_bytes();
    let mut out = Splice::new(sql);
    let mut i = 0;
    // The type of the arithmetic chain being read (`date`, `interval`).
    let mut chain: Option<&str> = None;
    let mut after_op = false;
    // Right after `*` or `/` inside a chain: the factor leaves it going.
    let mut factor = false;
    while i < b.len() {
        if let Some(end) = skip_blank_or_non_code(b, i) {
            i = end;
            continue;
        }
        let c = b[i];
        if c == b'$' {
            let digits = b[i + 1..].iter().take_while(|d| d.is_ascii_digit()).count();
            if digits > 0 {
                let end = i + 1 + digits;
                let rest = sql[end..].trim_start();
                let (cast, past) = match cast_after(sql, end) {
                    Some((t, p)) => (Some(t), p),
                    None => (None, end),
                };
                let add = match (&cast, chain, after_op) {
                    // A factor of an interval (`ts - $3 * $4::interval`)
                    // is a number, not another interval.
                    (None, Some("interval"), true) if rest.starts_with('*') => {
                        Some("double precision")
                    }
                    (None, Some(t), true) => Some(t),
                    (None, _, _) if rest.starts_with("||") => Some("text"),
                    _ => None,
                };
                if let Some(t) = add {
                    out.replace(end, end, &["::", t]);
                }
                chain = match cast.as_deref() {
                    Some("date") => Some("integer"),
                    Some(t) if t.starts_with("timestamp") || t == "interval" => Some("interval"),
                    _ => chain.filter(|_| after_op || factor),
                };
                after_op = false;
                factor = false;
                i = past;
                continue;
            }
        }
        match c {
            b'+' | b'-' if chain.is_some() => after_op = true,
            // `$2::integer * $3`: the factor is typed by its neighbour and
            // the product keeps the chain's type, so a later `+ $4` in
            // `date $1 + $2 * $3 + $4` still takes it.
            b'*' | b'/' if chain.is_some() => {
                after_op = false;
                factor = true;
            }
            b':' => {}
            c if c.is_ascii_alphanumeric() || c == b'_' => {
                // A word (a type name after `::`, or a keyword) ends the chain
                // unless it is the cast's type, skipped with the parameter.
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                chain = None;
                after_op = false;
                factor = false;
                continue;
            }
            _ => {
                chain = None;
                after_op = false;
                factor = false;
            }
        }
        i += 1;
    }
    out.finish()
}

/// `sql` with each parameter that is an operand of `+`, `-`, `*` or `/`
/// and has no cast of its own cast to `ty`: `BETWEEN $2 AND $3 + $4` is
/// `unknown + unknown` to the parser ("operator is not unique"). Whole
/// numbers are what such parameters almost always held, and an integer
/// compares with an integer, numeric or float column through the operators
/// its index supports.
pub fn type_arithmetic_parameters(sql: &str, ty: &str) -> String {
    let b = sql.as_bytes();
    let mut out = Splice::new(sql);
    // The last character of code before the current one, blanks skipped.
    let mut before: u8 = b' ';
    let mut i = 0;
    while i < b.len() {
        if let Some(end) = skip_non_code(b, i, true) {
            i = end;
            before = b' ';
            continue;
        }
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let digits = b[i + 1..].iter().take_while(|d| d.is_ascii_digit()).count();
        let glued = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if c == b'$' && digits > 0 && !glued {
            let end = i + 1 + digits;
            let next = sql[end..].trim_start().bytes().next().unwrap_or(b' ');
            let operand = |o: u8| matches!(o, b'+' | b'-' | b'*' | b'/');
            // `-` before a parameter is an operator unless a `-` pair opened
            // a comment, which skip_non_code already took.
            if cast_after(sql, end).is_none() && (operand(before) || operand(next)) {
                out.replace(end, end, &["::", ty]);
            }
            before = b'0';
            i = end;
            continue;
        }
        before = c;
        i += 1;
    }
    out.finish().into_owned()
}

/// `sql` with each parameter that is a whole item of a select list, named
/// (`SELECT $1 AS depth`, `…, $2 AS level`), cast to `ty`. The constant it
/// replaced gave the column its type; a bare parameter is `unknown`, which
/// a UNION or a recursive CTE resolves to `text`, so the recursive term's
/// `t.depth + $3` is `text + unknown` ("operator does not exist"). A whole
/// number is what such a column almost always held (a depth, a level, a
/// rank). Parameters anywhere else, or already cast, are left alone.
pub fn type_selected_parameters<'a>(sql: &'a str, ty: &str) -> Cow<'a, str> {
    let b = sql.as_bytes();
    let mut out = Splice::new(sql);
    // The last word or character of code before the current one.
    let mut before = String::new();
    let mut i = 0;
    while i < b.len() {
        if let Some(end) = skip_blank_or_non_code(b, i) {
            i = end;
            continue;
        }
        let c = b[i];
        if c.is_ascii_alphabetic() || c == b'_' {
            let end = i + b[i..]
                .iter()
                .take_while(|d| d.is_ascii_alphanumeric() || **d == b'_')
                .count();
            before = sql[i..end].to_ascii_lowercase();
            i = end;
            continue;
        }
        let digits = b[i + 1..].iter().take_while(|d| d.is_ascii_digit()).count();
        if c == b'$' && digits > 0 {
            let end = i + 1 + digits;
            let next = sql[end..].trim_start();
            let nb = next.as_bytes();
            let named = nb.len() >= 2
                && nb[..2].eq_ignore_ascii_case(b"as")
                && nb
                    .get(2)
                    .is_none_or(|w| !(w.is_ascii_alphanumeric() || *w == b'_'));
            if matches!(before.as_str(), "select" | "distinct" | ",") && named {
                out.replace(end, end, &["::", ty]);
            }
            before = "$".into();
            i = end;
            continue;
        }
        before = char::from(c).to_string();
        i += 1;
    }
    out.finish()
}

/// The type of a `::type` cast starting at `at` (blanks allowed before
/// it), lower case, and where it ends.
fn cast_after(sql: &str, at: usize) -> Option<(String, usize)> {
    let blanks = sql[at..].len() - sql[at..].trim_start().len();
    let start = at + blanks + 2;
    if !sql[at + blanks..].starts_with("::") {
        return None;
    }
    let word = |from: usize| {
        from + sql[from..]
            .bytes()
            .take_while(|d| d.is_ascii_alphanumeric() || *d == b'_')
            .count()
    };
    let mut end = word(start);
    let lower = sql[start..].to_ascii_lowercase();
    for tail in [" with time zone", " without time zone"] {
        if (lower.starts_with("timestamp ") || lower.starts_with("time "))
            && lower[end - start..].starts_with(tail)
        {
            end += tail.len();
        }
    }
    if sql[end..].starts_with("[]") {
        end += 2;
    }
    (end > start).then(|| (sql[start..end].to_ascii_lowercase(), end))
}

/// `sql` with each `ARRAY[…]` of parameters cast to `array_type`
/// (`integer[]`): an array of parameters is `text[]` to the parser, which
/// an `integer[] @> text[]` comparison rejects.
pub fn type_parameter_arrays(sql: &str, array_type: &str) -> String {
    let b = sql.as_bytes();
    let mut out = Splice::new(sql);
    let mut i = 0;
    while i < b.len() {
        if let Some(end) = skip_non_code(b, i, true) {
            i = end;
            continue;
        }
        let word_start = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if word_start
            && sql
                .get(i..i + 6)
                .is_some_and(|w| w.eq_ignore_ascii_case("array["))
            && let Some(close) = sql[i + 6..].find(']')
        {
            let end = i + 6 + close + 1;
            let inner = &sql[i + 6..end - 1];
            let params_only = inner.split(',').all(|p| {
                let p = p.trim();
                p.len() > 1 && p.starts_with('$') && p[1..].bytes().all(|d| d.is_ascii_digit())
            });
            if params_only && !sql[end..].trim_start().starts_with("::") {
                out.replace(end, end, &["::", array_type]);
            }
            i = end;
            continue;
        }
        i += 1;
    }
    out.finish().into_owned()
}

/// `sql` with parameter `$n` replaced by `literal` (outside quotes and
/// comments) and the parameters above it renumbered down by one, so the
/// statement still prepares (PostgreSQL cannot type a parameter that no
/// longer appears). Used to plan a custom plan with a representative value.
pub fn bind_parameter(sql: &str, n: usize, literal: &str) -> String {
    let b = sql.as_bytes();
    let mut out = Splice::new(sql);
    let mut i = 0;
    while i < b.len() {
        if let Some(end) = skip_non_code(b, i, true) {
            i = end;
            continue;
        }
        let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        let glued = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if b[i] != b'$' || digits == 0 || glued {
            i += 1;
            continue;
        }
        let end = i + 1 + digits;
        let Ok(k) = sql[i + 1..end].parse::<usize>() else {
            i = end;
            continue;
        };
        if k == n {
            out.replace(i, end, &[literal]);
        } else if k > n {
            out.replace(i, end, &[&format!("${}", k - 1)]);
        }
        i = end;
    }
    out.finish().into_owned()
}

/// At `at`, a type name, blanks and a `$n`: the type as written, the
/// parameter, and where they end.
fn typed_parameter(sql: &str, at: usize) -> Option<(&str, &str, usize)> {
    let rest = &sql[at..];
    for ty in TYPES {
        let Some(head) = rest.get(..ty.len()) else {
            continue;
        };
        // Case-blind; multi-word names as PostgreSQL prints them (one space).
        if !head.eq_ignore_ascii_case(ty) {
            continue;
        }
        let after = &rest[ty.len()..];
        let blanks = after.len() - after.trim_start().len();
        if blanks == 0 {
            continue;
        }
        let p = &after[blanks..];
        let digits = p[1..].bytes().take_while(u8::is_ascii_digit).count();
        if !p.starts_with('$') || digits == 0 {
            continue;
        }
        let param_len = 1 + digits;
        if p[param_len..]
            .bytes()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
        {
            continue;
        }
        let end = at + ty.len() + blanks + param_len;
        return Some((head, &p[..param_len], end));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_parameters_become_casts() {
        assert_eq!(
            typed_parameters_as_casts(
                "SELECT * FROM t WHERE created_at > timestamptz $2 - interval $3 AND d = date $1"
            ),
            "SELECT * FROM t WHERE created_at > $2::timestamptz - $3::interval AND d = $1::date"
        );
        assert_eq!(
            typed_parameters_as_casts("SELECT TIMESTAMP WITH TIME ZONE $1"),
            "SELECT $1::TIMESTAMP WITH TIME ZONE"
        );
    }

    #[test]
    fn bound_parameter_is_replaced_and_the_rest_renumbered() {
        assert_eq!(
            bind_parameter(
                "SELECT id FROM c WHERE h LIKE $2 AND x = '$2' AND y = $1 LIMIT $3",
                2,
                "'u49%'"
            ),
            "SELECT id FROM c WHERE h LIKE 'u49%' AND x = '$2' AND y = $1 LIMIT $2"
        );
        assert_eq!(bind_parameter("SELECT $10, $1", 1, "'a'"), "SELECT $9, 'a'");
    }

    #[test]
    fn ambiguous_parameters_take_the_type_of_their_chain() {
        assert_eq!(
            type_ambiguous_parameters(
                "SELECT 1 FROM t WHERE c >= $1::date + $2 AND c < $3::date + $4 + $5 AND e = $6 || $7 || $8"
            ),
            "SELECT 1 FROM t WHERE c >= $1::date + $2::integer AND c < $3::date + $4::integer + $5::integer AND e = $6::text || $7::text || $8"
        );
        assert_eq!(
            type_ambiguous_parameters("SELECT 1 WHERE l >= $1::timestamptz + $2::interval - $3"),
            "SELECT 1 WHERE l >= $1::timestamptz + $2::interval - $3::interval"
        );
        for sql in [
            "SELECT * FROM t WHERE d = $1 AND x = $2 + 1",
            "SELECT max(id) + $1, $2 FROM t",
            "SELECT $1::date, $2",
        ] {
            assert_eq!(type_ambiguous_parameters(sql), sql);
        }
    }

    #[test]
    fn a_named_parameter_of_a_select_list_takes_the_type() {
        // pg_stat_statements' text of a reply tree's `0 AS depth`.
        assert_eq!(
            type_selected_parameters(
                "WITH RECURSIVE r AS (SELECT id, $1 AS depth FROM n WHERE id = $2 UNION ALL \
                 SELECT n.id, r.depth + $3 FROM n JOIN r ON n.up = r.id) SELECT * FROM r",
                "integer"
            ),
            "WITH RECURSIVE r AS (SELECT id, $1::integer AS depth FROM n WHERE id = $2 UNION ALL \
                 SELECT n.id, r.depth + $3 FROM n JOIN r ON n.up = r.id) SELECT * FROM r"
        );
        assert_eq!(
            type_selected_parameters("SELECT DISTINCT $1 as k, $2 AS v FROM t", "integer"),
            "SELECT DISTINCT $1::integer as k, $2::integer AS v FROM t"
        );
        for sql in [
            "SELECT left(body, $1) AS b FROM t",
            "SELECT CAST($1 AS text) FROM t",
            "SELECT $1::text AS k FROM t",
            "SELECT $1 ASC FROM t",
            "SELECT 1, $1 aé FROM t",
            "SELECT a FROM t WHERE b = $1",
        ] {
            assert_eq!(type_selected_parameters(sql, "integer"), sql);
        }
    }

    #[test]
    fn a_product_keeps_the_chain_type() {
        assert_eq!(
            type_ambiguous_parameters(
                "SELECT 1 FROM t WHERE c >= $1::date + $2 * $3 AND c < $4::date + $5 * $6 + $7"
            ),
            "SELECT 1 FROM t WHERE c >= $1::date + $2::integer * $3 AND c < $4::date + $5::integer * $6 + $7::integer"
        );
    }

    #[test]
    fn the_factor_of_an_interval_is_a_number() {
        // pg_stat_statements' text of `created_at < timestamptz '…' - 30 *
        // interval '1 day'`, once its typed literals are casts.
        let sql = typed_parameters_as_casts(
            "SELECT 1 FROM t WHERE (c, id) < (timestamptz $2 - $3 * interval $4, $5) AND d > timestamptz $6 + $7",
        );
        assert_eq!(
            type_ambiguous_parameters(&sql),
            "SELECT 1 FROM t WHERE (c, id) < ($2::timestamptz - $3::double precision * $4::interval, $5) AND d > $6::timestamptz + $7::interval"
        );
    }

    #[test]
    fn arithmetic_parameters_take_the_given_type() {
        assert_eq!(
            type_arithmetic_parameters(
                "SELECT 1 FROM t WHERE p BETWEEN $2 AND $3 + $4 AND q = $5 AND r < $6::int - $7 AND s = '$8 + $9'",
                "integer"
            ),
            "SELECT 1 FROM t WHERE p BETWEEN $2 AND $3::integer + $4::integer AND q = $5 AND r < $6::int - $7::integer AND s = '$8 + $9'"
        );
        let sql = "SELECT a || $1, x FROM t WHERE y = $2";
        assert_eq!(type_arithmetic_parameters(sql, "integer"), sql);
    }

    #[test]
    fn parameter_arrays_take_the_column_type() {
        assert_eq!(
            type_parameter_arrays(
                "SELECT 1 FROM t WHERE a @> ARRAY[$1, $2] AND b && array[$3] AND c = ARRAY[1]",
                "integer[]"
            ),
            "SELECT 1 FROM t WHERE a @> ARRAY[$1, $2]::integer[] AND b && array[$3]::integer[] AND c = ARRAY[1]"
        );
    }

    #[test]
    fn everything_else_stays() {
        for sql in [
            "SELECT * FROM t WHERE d = $1",
            "SELECT CAST($1 AS date)",
            "SELECT 'date $1', \"interval $2\" FROM t -- date $3",
            "SELECT my_date $1",
            "SELECT t.date FROM t WHERE x = $10",
            "SELECT date $1x",
        ] {
            assert_eq!(typed_parameters_as_casts(sql), sql);
        }
    }
}
