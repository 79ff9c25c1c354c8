//! Typed literals whose constant became a parameter. pg_stat_statements
//! normalizes `timestamptz '2024-03-01'` to `timestamptz $1`, which is no
//! longer valid SQL (a typed literal takes a string constant), so the
//! statement cannot be prepared or planned. Written as a cast, `$1::timestamptz`,
//! it means the same and plans.

use std::borrow::Cow;

use super::lex::skip_non_code;

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
    let mut out = String::new();
    let mut copied = 0;
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
                        out.push_str(&sql[copied..i]);
                        out.push_str(param);
                        out.push_str("::");
                        out.push_str(ty);
                        copied = end;
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
    if copied == 0 {
        return Cow::Borrowed(sql);
    }
    out.push_str(&sql[copied..]);
    Cow::Owned(out)
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
