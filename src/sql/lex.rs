//! What byte scanners over SQL text share: where a comment or a quoted
//! string starts and ends, so they look at code only.

/// When a comment (`--`, `/* */`) or a string literal (`'…'`, with `''`
/// inside) starts at `i`, the index just after it; with `identifiers`,
/// double-quoted identifiers count too. `None` when none starts at `i`.
/// An unterminated one runs to the end of the text.
pub fn skip_non_code(b: &[u8], i: usize, identifiers: bool) -> Option<usize> {
    match b.get(i)? {
        b'-' if b.get(i + 1) == Some(&b'-') => {
            Some(memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |n| i + n + 1))
        }
        b'/' if b.get(i + 1) == Some(&b'*') => {
            Some(memchr::memmem::find(&b[i + 2..], b"*/").map_or(b.len(), |n| i + 2 + n + 2))
        }
        &q @ (b'\'' | b'"') if q == b'\'' || identifiers => {
            let mut j = i + 1;
            while j < b.len() {
                if b[j] == q {
                    if b.get(j + 1) == Some(&q) {
                        j += 2;
                        continue;
                    }
                    return Some(j + 1);
                }
                j += 1;
            }
            Some(b.len())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_quotes_are_skipped_whole() {
        let s = b"a -- x\nb /* y */ c 'it''s' \"id\" d";
        assert_eq!(skip_non_code(s, 2, false), Some(7));
        assert_eq!(skip_non_code(s, 9, false), Some(16));
        assert_eq!(skip_non_code(s, 19, false), Some(26));
        assert_eq!(skip_non_code(s, 27, false), None);
        assert_eq!(skip_non_code(s, 27, true), Some(31));
        assert_eq!(skip_non_code(b"'open", 0, false), Some(5));
        assert_eq!(skip_non_code(s, 0, true), None);
    }
}
