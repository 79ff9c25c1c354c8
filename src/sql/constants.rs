//! The constants a normalized statement lost. pg_stat_statements keeps
//! `to_tsvector($1, message)` where the application sent
//! `to_tsvector('simple', message)`; the literal text of the same statement,
//! where the server still shows it (pg_stat_activity, a log), gives them
//! back. The two texts are walked token by token: every token but the
//! parameters must match (case aside for words), and each `$n` takes the
//! constant at its place in the literal text. Anything else, including a
//! literal text that is itself parameterized or cut short, gives nothing.

use super::lex::skip_non_code;

/// One token of SQL text, as far as alignment needs: blanks and comments
/// are skipped, a quoted string is one token with its prefix (`E'…'`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Word,
    Number,
    String,
    Param,
    Punct,
}

fn tokens(sql: &str) -> Option<Vec<(Kind, &str)>> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        // Comments (strings are tokens here, taken below).
        if matches!(c, b'-' | b'/')
            && let Some(end) = skip_non_code(b, i, false)
        {
            i = end;
            continue;
        }
        // A string, with an E/B/X/N prefix glued to its quote.
        let prefixed = matches!(c.to_ascii_uppercase(), b'E' | b'B' | b'X' | b'N')
            && b.get(i + 1) == Some(&b'\'');
        if c == b'\'' || prefixed {
            let escapes = prefixed && c.eq_ignore_ascii_case(&b'E');
            let mut j = if prefixed { i + 2 } else { i + 1 };
            loop {
                match b.get(j)? {
                    b'\\' if escapes => j += 2,
                    b'\'' if b.get(j + 1) == Some(&b'\'') => j += 2,
                    b'\'' => break,
                    _ => j += 1,
                }
            }
            i = j + 1;
            out.push((Kind::String, &sql[start..i]));
            continue;
        }
        if c == b'"' {
            let mut j = i + 1;
            loop {
                match b.get(j)? {
                    b'"' if b.get(j + 1) == Some(&b'"') => j += 2,
                    b'"' => break,
                    _ => j += 1,
                }
            }
            i = j + 1;
            out.push((Kind::Word, &sql[start..i]));
            continue;
        }
        if c == b'$' && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i += 1;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            out.push((Kind::Param, &sql[start..i]));
            continue;
        }
        if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            while i < b.len() {
                let d = b[i];
                let exponent_sign = (d == b'+' || d == b'-') && matches!(b[i - 1], b'e' | b'E');
                if d.is_ascii_alphanumeric() || d == b'.' || d == b'_' || exponent_sign {
                    i += 1;
                } else {
                    break;
                }
            }
            out.push((Kind::Number, &sql[start..i]));
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            while i < b.len()
                && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$' || b[i] >= 0x80)
            {
                i += 1;
            }
            out.push((Kind::Word, &sql[start..i]));
            continue;
        }
        // Dollar quoting is left alone: such text gives no constants.
        if c == b'$' {
            return None;
        }
        i += sql[i..].chars().next().map_or(1, char::len_utf8);
        out.push((Kind::Punct, &sql[start..i]));
    }
    // A trailing semicolon is not part of the statement.
    while out.last().is_some_and(|t| t.1 == ";") {
        out.pop();
    }
    Some(out)
}

/// The constants of `normalized`'s parameters, taken from `literal`, the
/// same statement as it was sent: `(n, constant as SQL)` in order of `n`,
/// each once. `None` when the texts are not the same statement, or when
/// a parameter's place holds no constant (the application sent `$1`).
/// A negative number keeps its sign; a typed literal's type stays in the
/// text of both (`timestamptz $1` ↔ `timestamptz '…'`), so only the string
/// is taken.
pub fn parameter_values(normalized: &str, literal: &str) -> Option<Vec<(usize, String)>> {
    let norm = tokens(normalized)?;
    let lit = tokens(literal)?;
    let mut values: Vec<(usize, String)> = Vec::new();
    let mut j = 0;
    for &(kind, text) in &norm {
        if kind == Kind::Param {
            let n: usize = text[1..].parse().ok()?;
            let (mut k, mut v) = *lit.get(j)?;
            let mut constant = String::new();
            if v == "-" || v == "+" {
                constant.push_str(v);
                j += 1;
                (k, v) = *lit.get(j)?;
                if k != Kind::Number {
                    return None;
                }
            }
            let word_constant = k == Kind::Word
                && ["true", "false", "null"]
                    .iter()
                    .any(|w| v.eq_ignore_ascii_case(w));
            if !matches!(k, Kind::Number | Kind::String) && !word_constant {
                return None;
            }
            constant.push_str(v);
            j += 1;
            match values.iter().find(|(m, _)| *m == n) {
                Some((_, seen)) if *seen != constant => return None,
                Some(_) => {}
                None => values.push((n, constant)),
            }
            continue;
        }
        let &(k, v) = lit.get(j)?;
        let same = if kind == Kind::Word && !text.starts_with('"') {
            k == Kind::Word && v.eq_ignore_ascii_case(text)
        } else {
            k == kind && v == text
        };
        if !same {
            return None;
        }
        j += 1;
    }
    if j != lit.len() {
        return None;
    }
    values.sort_by_key(|(n, _)| *n);
    Some(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_text_configuration_comes_back() {
        // pg_stat_statements' text and pgbench's statement as
        // pg_stat_activity shows it (telemetry's search.pgbench).
        let norm = "SELECT id, device_id, message FROM telemetry.alerts\n WHERE to_tsvector($1, message) @@ to_tsquery($2, $3) LIMIT $4";
        let lit = "SELECT id, device_id, message FROM telemetry.alerts\n WHERE to_tsvector('simple', message) @@ to_tsquery('simple', 'e4711 & firmware') LIMIT 50;";
        assert_eq!(
            parameter_values(norm, lit),
            Some(vec![
                (1, "'simple'".into()),
                (2, "'simple'".into()),
                (3, "'e4711 & firmware'".into()),
                (4, "50".into()),
            ])
        );
    }

    #[test]
    fn typed_literals_signs_and_case() {
        let norm = "select * from t where ts > timestamptz $1 - interval $2 and x = $3 and ok = $4";
        let lit = "SELECT * FROM t WHERE ts > timestamptz '2025-07-01 00:00+00' - interval '5 minutes' AND x = -12 AND ok = TRUE";
        assert_eq!(
            parameter_values(norm, lit),
            Some(vec![
                (1, "'2025-07-01 00:00+00'".into()),
                (2, "'5 minutes'".into()),
                (3, "-12".into()),
                (4, "TRUE".into()),
            ])
        );
    }

    #[test]
    fn another_statement_or_no_constant_gives_nothing() {
        let norm = "SELECT a FROM t WHERE b = $1";
        assert_eq!(parameter_values(norm, "SELECT a FROM t WHERE c = 1"), None);
        assert_eq!(parameter_values(norm, "SELECT a FROM t WHERE b = $1"), None);
        assert_eq!(
            parameter_values(norm, "SELECT a FROM t WHERE b = 1 AND"),
            None
        );
        // Cut short, as pg_stat_activity cuts at track_activity_query_size.
        assert_eq!(parameter_values(norm, "SELECT a FROM t WHERE b ="), None);
        assert_eq!(
            parameter_values(norm, "SELECT a FROM t WHERE b = 'it''s'"),
            Some(vec![(1, "'it''s'".into())])
        );
        // One parameter, two different constants: not the same statement.
        assert_eq!(parameter_values("SELECT $1, $1", "SELECT 1, 2"), None);
    }
}
