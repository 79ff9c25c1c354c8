//! Splitting SQL text into statements at `;`, with the line each starts on
//! and the `--` comments before and inside it.
//!
//! Quotes (`'…'`, `"…"`, `` `…` ``, `$tag$…$tag$`) and comments hide their
//! semicolons. psql meta-commands (`\connect`, `\restrict` that pg_dump
//! writes) between statements are skipped. Used by the workload reader
//! (`-- calls: N`) and the DDL parser (`-- dbperf: …` statistics).

/// One statement of a script. The last one has an empty `text` when only
/// comments follow the last `;`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawStatement<'a> {
    /// The statement without its `;`, trimmed.
    pub text: &'a str,
    /// 1-based line of its first character.
    pub line: usize,
    /// `--` comments since the previous statement ended, and inside this
    /// one: line number and the text after `--`, trimmed.
    pub comments: Vec<(usize, &'a str)>,
}

pub fn split(text: &str) -> Vec<RawStatement<'_>> {
    let b = text.as_bytes();
    let n = b.len();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    let mut start: Option<(usize, usize)> = None;
    let mut comments = Vec::new();
    let mut at_line_start = true;
    while i < n {
        let c = b[i];
        match c {
            b'\n' => {
                line += 1;
                i += 1;
                at_line_start = true;
                continue;
            }
            b' ' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            b'\\' if start.is_none() && at_line_start => {
                while i < n && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'-' if i + 1 < n && b[i + 1] == b'-' => {
                let s = i + 2;
                while i < n && b[i] != b'\n' {
                    i += 1;
                }
                comments.push((line, text[s..i].trim()));
                continue;
            }
            b'/' if i + 1 < n && b[i + 1] == b'*' => {
                let mut depth = 0;
                while i < n {
                    if b[i] == b'/' && i + 1 < n && b[i + 1] == b'*' {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && i + 1 < n && b[i + 1] == b'/' {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        if b[i] == b'\n' {
                            line += 1;
                        }
                        i += 1;
                    }
                }
                continue;
            }
            _ => {}
        }
        at_line_start = false;
        if start.is_none() && c != b';' {
            start = Some((i, line));
        }
        match c {
            b';' => {
                if let Some((s, l)) = start.take() {
                    out.push(RawStatement {
                        text: text[s..i].trim_end(),
                        line: l,
                        comments: std::mem::take(&mut comments),
                    });
                }
                i += 1;
            }
            b'\'' | b'"' | b'`' => {
                i += 1;
                while i < n {
                    if b[i] == b'\n' {
                        line += 1;
                    }
                    if b[i] == c {
                        if i + 1 < n && b[i + 1] == c {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'$' => {
                // $tag$ … $tag$; `$1` and identifiers with `$` are not quotes.
                let mut j = i + 1;
                while j < n && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                let is_quote = j < n && b[j] == b'$' && !(j > i + 1 && b[i + 1].is_ascii_digit());
                if is_quote {
                    let tag = &text[i..=j];
                    match text[j + 1..].find(tag) {
                        Some(p) => {
                            let end = j + 1 + p + tag.len();
                            line += text[i..end].matches('\n').count();
                            i = end;
                        }
                        None => {
                            line += text[i..].matches('\n').count();
                            i = n;
                        }
                    }
                } else {
                    i = j.max(i + 1);
                }
            }
            _ => {
                // Advance over one UTF-8 character.
                i += utf8_len(c);
            }
        }
    }
    match start {
        Some((s, l)) => out.push(RawStatement {
            text: text[s..].trim_end(),
            line: l,
            comments,
        }),
        // Comments after the last statement come as an empty statement.
        None if !comments.is_empty() => out.push(RawStatement {
            text: "",
            line,
            comments,
        }),
        None => {}
    }
    out
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        0xc0..=0xdf => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_lines_and_comments() {
        let text = "\\restrict abc\n-- calls: 12\nSELECT ';' FROM t;\n\n/* x; */ SELECT $$a;b$$\n  , 2;\nSELECT 3";
        let s = split(text);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].text, "SELECT ';' FROM t");
        assert_eq!(s[0].line, 3);
        assert_eq!(s[0].comments, vec![(2, "calls: 12")]);
        assert_eq!(s[1].line, 5);
        assert_eq!(s[1].text, "SELECT $$a;b$$\n  , 2");
        assert_eq!(s[2].line, 7);
    }
}
