//! Which functions and casts may appear in an index expression, and what to
//! write instead when one may not.
//!
//! PostgreSQL indexes only IMMUTABLE expressions. Whether a wrapper is
//! immutable often depends on the column's type: `lower(text)` is, but
//! `timestamptz::date`, `date(timestamptz)` and two-argument `date_trunc` on
//! `timestamptz` are only STABLE, because they read the session's TimeZone.
//! For those the fix is not an expression index but a sargable rewrite: a
//! range on the bare column, which a plain index serves.
//!
//! Shared by the SQL advisor and the plan rules: both hold a
//! [`Wrapper`] from the predicate classifier and, when the catalog is known,
//! the column's type.

use crate::model::Dialect;
use crate::sql::predicate::Wrapper;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Volatility {
    Immutable,
    Stable,
    Volatile,
}

/// `timestamp with time zone` in any of its spellings.
pub fn is_timestamptz(t: &str) -> bool {
    let t = t.trim().to_ascii_lowercase();
    t == "timestamptz"
        || (t.starts_with("timestamp") && t.contains("with time zone") && !t.contains("without"))
}

/// `timestamp [without time zone]`.
pub fn is_timestamp(t: &str) -> bool {
    let t = t.trim().to_ascii_lowercase();
    (t.starts_with("timestamp") && !is_timestamptz(&t)) || t == "datetime"
}

fn is_temporal_text_sensitive(t: &str) -> bool {
    let t = t.trim().to_ascii_lowercase();
    is_timestamptz(&t)
        || is_timestamp(&t)
        || t == "date"
        || t.starts_with("time")
        || t == "interval"
}

/// Volatility of PostgreSQL function `name` called with `args` arguments on
/// a column of `column_type` (when known). `None` for a function not in the
/// table (user-defined, or not known here): callers should not guess.
pub fn function_volatility(
    name: &str,
    args: usize,
    column_type: Option<&str>,
) -> Option<Volatility> {
    use Volatility::*;
    let name = name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase();
    let tz = column_type.is_some_and(is_timestamptz);
    let v = match name.as_str() {
        "lower"
        | "upper"
        | "btrim"
        | "trim"
        | "ltrim"
        | "rtrim"
        | "abs"
        | "length"
        | "char_length"
        | "character_length"
        | "octet_length"
        | "substr"
        | "substring"
        | "left"
        | "right"
        | "md5"
        | "round"
        | "trunc"
        | "floor"
        | "ceil"
        | "ceiling"
        | "coalesce"
        | "nullif"
        | "greatest"
        | "least"
        | "reverse"
        | "replace"
        | "split_part"
        | "sign"
        | "mod"
        | "lpad"
        | "rpad"
        | "initcap"
        | "sha256"
        | "jsonb_extract_path_text"
        | "json_extract_path_text"
        | "jsonb_extract_path"
        | "array_length"
        | "cardinality"
        | "int4"
        | "int8"
        | "float8"
        | "numeric" => Immutable,
        // Reads TimeZone on timestamptz; immutable on timestamp and date.
        "date_part" | "extract" => {
            if tz {
                Stable
            } else {
                Immutable
            }
        }
        // The three-argument form names its time zone, so it is immutable.
        "date_trunc" => {
            if tz && args < 3 {
                Stable
            } else {
                Immutable
            }
        }
        "date" => {
            if tz || column_type.is_none() {
                Stable
            } else {
                Immutable
            }
        }
        "timezone" => Immutable,
        "to_char" | "to_date" | "to_timestamp" | "age" | "now" | "current_date"
        | "current_timestamp" | "localtimestamp" | "unaccent" | "concat" | "concat_ws"
        | "format" | "to_tsvector" | "upper_inf" => Stable,
        "random"
        | "clock_timestamp"
        | "nextval"
        | "gen_random_uuid"
        | "uuid_generate_v4"
        | "timeofday"
        | "setseed"
        | "statement_timestamp" => Volatile,
        _ => return None,
    };
    Some(v)
}

/// Volatility of a cast of a `from` column to `to` in PostgreSQL.
pub fn cast_volatility(from: Option<&str>, to: &str) -> Volatility {
    use Volatility::*;
    let to = to.trim().to_ascii_lowercase();
    let Some(from) = from.map(|f| f.trim().to_ascii_lowercase()) else {
        // Unknown source type: only casts that never read a setting are safe.
        return if is_temporal_text_sensitive(&to) {
            Stable
        } else {
            Immutable
        };
    };
    let to_text = to == "text" || to.starts_with("varchar") || to.starts_with("character");
    if is_timestamptz(&from) {
        // Every conversion out of timestamptz reads TimeZone.
        return if is_timestamptz(&to) {
            Immutable
        } else {
            Stable
        };
    }
    if is_temporal_text_sensitive(&from) && to_text {
        return Stable; // DateStyle
    }
    if (from == "text" || from.starts_with("varchar") || from.starts_with("character"))
        && is_temporal_text_sensitive(&to)
    {
        return Stable; // DateStyle, TimeZone, 'now'
    }
    if (from == "date" || is_timestamp(&from)) && is_timestamptz(&to) {
        return Stable;
    }
    Immutable
}

/// Volatility of the wrapper the classifier found around a column.
pub fn wrapper_volatility(w: &Wrapper, column_type: Option<&str>) -> Option<Volatility> {
    match (w.function.as_str(), &w.cast_to) {
        // A time in a named zone is a timestamp without one: what follows
        // reads no setting.
        ("cast", Some(to)) if time_zone_named(&w.expr_sql).is_some() => {
            Some(cast_volatility(Some("timestamp without time zone"), to))
        }
        ("cast", Some(to)) => Some(cast_volatility(column_type, to)),
        ("timezone", _) if time_zone_named(&w.expr_sql).is_some() => Some(Volatility::Immutable),
        ("operator" | "->" | "->>" | "#>" | "#>>", _) => Some(Volatility::Immutable),
        // Arithmetic on numbers is immutable; on times and intervals it may
        // depend on the time zone.
        ("arithmetic", _) => column_type
            .filter(|t| is_numeric_type(t))
            .map(|_| Volatility::Immutable),
        (f, _) => function_volatility(f, argument_count(&w.expr_sql), column_type),
    }
}

/// A number type as the catalog or a cast spells it.
fn is_numeric_type(t: &str) -> bool {
    let t = t.to_ascii_lowercase();
    [
        "smallint",
        "integer",
        "int",
        "int2",
        "int4",
        "int8",
        "bigint",
        "numeric",
        "decimal",
        "real",
        "double precision",
        "float4",
        "float8",
    ]
    .iter()
    .any(|n| t == *n || t.starts_with(&format!("{n}(")))
}

/// Whether `w` may be an index expression in `dialect`: immutable in
/// PostgreSQL; deterministic in SQLite (its date functions are, unless
/// given 'now'); MySQL 8 functional indexes follow the same line.
pub fn can_index_expression(w: &Wrapper, column_type: Option<&str>, dialect: Dialect) -> bool {
    match dialect {
        Dialect::Postgres => wrapper_volatility(w, column_type) == Some(Volatility::Immutable),
        Dialect::Sqlite | Dialect::Mysql => {
            let f = w.function.as_str();
            !w.expr_sql.to_ascii_lowercase().contains("'now'")
                && (matches!(f, "date" | "datetime" | "strftime" | "julianday" | "cast")
                    || function_volatility(f, argument_count(&w.expr_sql), None)
                        == Some(Volatility::Immutable))
        }
    }
}

/// Arguments of the outermost call in `sql` (`date_trunc('day', x)` → 2).
fn argument_count(sql: &str) -> usize {
    let Some(open) = sql.find('(') else { return 0 };
    let mut depth = 0i32;
    let mut commas = 0;
    let mut in_str = false;
    let mut any = false;
    for c in sql[open..].chars() {
        match c {
            '\'' => in_str = !in_str,
            _ if in_str => {}
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => commas += 1,
            c if depth >= 1 && !c.is_whitespace() => any = true,
            _ => {}
        }
    }
    if any { commas + 1 } else { 0 }
}

/// The sargable form of `wrapper = value` on `column`: a half-open range on
/// the bare column a plain index serves, when the wrapper truncates a
/// timestamp to a day (`created_at::date`, `date(created_at)`,
/// `date_trunc('day', created_at)`). `value` is the compared constant or
/// parameter as written.
pub fn sargable_rewrite(
    w: &Wrapper,
    column: &str,
    value: &str,
    dialect: Dialect,
) -> Option<String> {
    let expr = w.expr_sql.to_ascii_lowercase();
    let day = match (w.function.as_str(), w.cast_to.as_deref()) {
        ("cast", Some(to)) => to.eq_ignore_ascii_case("date"),
        ("date", _) => true,
        ("date_trunc", _) => expr.contains("'day'"),
        _ => false,
    };
    if !day {
        return None;
    }
    let value = operand(strip_date_cast(value));
    let value = value.as_str();
    // The day in a named zone: its midnights in that zone.
    if let Some(zone) = time_zone_named(&w.expr_sql) {
        return (dialect == Dialect::Postgres).then(|| {
            format!(
                "{column} >= ({value}::timestamp AT TIME ZONE {zone}) AND {column} < (({value}::date + 1)::timestamp AT TIME ZONE {zone})"
            )
        });
    }
    Some(match dialect {
        Dialect::Sqlite => {
            format!("{column} >= {value} AND {column} < date({value}, '+1 day')")
        }
        Dialect::Mysql => {
            format!("{column} >= {value} AND {column} < {value} + INTERVAL 1 DAY")
        }
        Dialect::Postgres => format!("{column} >= {value}::date AND {column} < {value}::date + 1"),
    })
}

/// The zone literal of `… AT TIME ZONE 'zone'` in an expression (quotes
/// included), when it is a constant.
pub fn time_zone_named(expr_sql: &str) -> Option<&str> {
    let at = expr_sql.to_ascii_lowercase().find(" at time zone '")?;
    let rest = &expr_sql[at + " at time zone ".len()..];
    let end = rest[1..].find('\'')?;
    Some(&rest[..end + 2])
}

/// The literal without its cast: `'2024-03-01'::date` and
/// `'2024-03-01 00:00:00+00'::timestamp with time zone` → the quoted text.
fn strip_date_cast(v: &str) -> &str {
    let t = v.trim();
    if t.starts_with('\'')
        && let Some(end) = t[1..].find('\'')
    {
        let lit = &t[..end + 2];
        if t[end + 2..].trim_start().starts_with("::") || t.len() == end + 2 {
            return lit;
        }
    }
    // `DATE $1` is the parameter; `DATE $1 + $2` is `(DATE $1) + $2`, which
    // loses its meaning without the DATE: kept whole.
    if let Some(s) = t.strip_prefix("DATE ").or_else(|| t.strip_prefix("date "))
        && is_atom(s)
    {
        return s;
    }
    t
}

/// A single literal, parameter, number or name: it takes a `::` cast or an
/// operator as it is written.
fn is_atom(v: &str) -> bool {
    let v = v.trim();
    if let Some(rest) = v.strip_prefix('\'') {
        // One quoted literal ('' doubles a quote inside it).
        let mut chars = rest.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    continue;
                }
                return chars.next().is_none();
            }
        }
        return false;
    }
    !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '.'))
}

/// `(…)` whose first parenthesis closes at its end.
fn wrapped_whole(v: &str) -> bool {
    if !v.starts_with('(') || !v.ends_with(')') {
        return false;
    }
    let mut depth = 0i32;
    let mut quoted = false;
    for (i, c) in v.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => {
                depth -= 1;
                if depth == 0 {
                    return i == v.len() - 1;
                }
            }
            _ => {}
        }
    }
    false
}

/// `v` as the operand of a cast or an operator: in parentheses unless it
/// is one literal, parameter or name (`$1 + $2::date` casts only `$2`).
fn operand(v: &str) -> String {
    if is_atom(v) || wrapped_whole(v.trim()) {
        v.trim().to_string()
    } else {
        format!("({})", v.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(function: &str, expr: &str, cast_to: Option<&str>) -> Wrapper {
        Wrapper {
            function: function.into(),
            expr_sql: expr.into(),
            cast_to: cast_to.map(str::to_string),
        }
    }

    /// The day of a timestamptz in a named zone: immutable (the zone is a
    /// constant), and its rewrite is the range of that day's midnights in
    /// the zone; no rewrite outside PostgreSQL.
    #[test]
    fn day_in_a_named_zone() {
        let day = w(
            "cast",
            "((viewed_at AT TIME ZONE 'America/New_York'))::date",
            Some("date"),
        );
        assert_eq!(time_zone_named(&day.expr_sql), Some("'America/New_York'"));
        assert_eq!(time_zone_named("created_at::date"), None);
        assert_eq!(
            wrapper_volatility(&day, Some("timestamp with time zone")),
            Some(Volatility::Immutable)
        );
        assert_eq!(
            sargable_rewrite(&day, "viewed_at", "'2026-11-20'::date", Dialect::Postgres).as_deref(),
            Some(
                "viewed_at >= ('2026-11-20'::timestamp AT TIME ZONE 'America/New_York') AND viewed_at < (('2026-11-20'::date + 1)::timestamp AT TIME ZONE 'America/New_York')"
            )
        );
        assert_eq!(
            sargable_rewrite(&day, "viewed_at", "'2026-11-20'", Dialect::Mysql),
            None
        );
    }

    #[test]
    fn timezone_dependence_decides() {
        let tz = Some("timestamp with time zone");
        let plain = Some("timestamp without time zone");
        assert_eq!(
            wrapper_volatility(&w("lower", "lower(email)", None), Some("text")),
            Some(Volatility::Immutable)
        );
        assert_eq!(
            wrapper_volatility(&w("cast", "created_at::date", Some("date")), tz),
            Some(Volatility::Stable)
        );
        assert_eq!(
            wrapper_volatility(&w("cast", "created_at::date", Some("date")), plain),
            Some(Volatility::Immutable)
        );
        assert_eq!(
            wrapper_volatility(&w("date_trunc", "date_trunc('day', created_at)", None), tz),
            Some(Volatility::Stable)
        );
        assert_eq!(
            wrapper_volatility(
                &w("date_trunc", "date_trunc('day', created_at, 'UTC')", None),
                tz
            ),
            Some(Volatility::Immutable)
        );
        assert_eq!(
            wrapper_volatility(&w("my_func", "my_func(x)", None), None),
            None
        );
    }

    #[test]
    fn day_truncation_rewrites_to_a_range() {
        let cast = w("cast", "created_at::date", Some("date"));
        assert_eq!(
            sargable_rewrite(&cast, "created_at", "'2024-03-01'", Dialect::Postgres).as_deref(),
            Some("created_at >= '2024-03-01'::date AND created_at < '2024-03-01'::date + 1")
        );
        // A value that is an expression keeps its meaning under the cast:
        // `date $1 + $2` is `(date $1) + $2` days.
        assert_eq!(
            sargable_rewrite(&cast, "created_at", "DATE $1 + $2", Dialect::Postgres).as_deref(),
            Some("created_at >= (DATE $1 + $2)::date AND created_at < (DATE $1 + $2)::date + 1")
        );
        assert_eq!(
            sargable_rewrite(&cast, "created_at", "DATE $1", Dialect::Postgres).as_deref(),
            Some("created_at >= $1::date AND created_at < $1::date + 1")
        );
        assert_eq!(
            sargable_rewrite(&cast, "created_at", "'it''s'", Dialect::Postgres).as_deref(),
            Some("created_at >= 'it''s'::date AND created_at < 'it''s'::date + 1")
        );
        assert_eq!(
            sargable_rewrite(
                &w("lower", "lower(email)", None),
                "email",
                "'x'",
                Dialect::Postgres
            ),
            None
        );
    }
}
