//! Index sets as the workload fixtures write them (`dba.sql`, `avoid.sql`,
//! `alternatives.sql`, one statement a line) and as dbperf prints them,
//! compared as `benches/index_advice.py compare` does: table, access
//! method, keys (with operator classes) and predicate; names,
//! `CONCURRENTLY`, `IF NOT EXISTS` and `INCLUDE` are ignored.

/// `alternatives.sql`: pairs of (an alternative, the DBA's index it may
/// stand for), as EXPECTED.md's table names them; none when the workload
/// has no such file.
pub fn alternatives(path: &std::path::Path) -> Vec<(IndexKey, IndexKey)> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|l| {
            let (alt, of) = l.split_once("-- instead of:")?;
            Some((index_key(alt)?, index_key(of)?))
        })
        .collect()
}

/// The indexes of a set file (one statement a line), with their lines.
pub fn expected(path: &std::path::Path) -> Vec<(IndexKey, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let set: Vec<(IndexKey, String)> = text
        .lines()
        .filter_map(|l| index_key(l).map(|k| (k, l.trim().to_string())))
        .collect();
    assert!(!set.is_empty(), "no CREATE INDEX in {}", path.display());
    set
}

/// (table, method, keys, predicate), lower case, without blanks, quotes or
/// redundant parentheses.
pub type IndexKey = (String, String, Vec<String>, String);

pub fn index_key(stmt: &str) -> Option<IndexKey> {
    let s = stmt.split_whitespace().collect::<Vec<_>>().join(" ");
    let lower = s.to_lowercase();
    let rest = lower.strip_prefix("create ")?;
    let rest = rest.strip_prefix("unique ").unwrap_or(rest);
    let rest = rest.strip_prefix("index ")?;
    let on = match rest.strip_prefix("on ") {
        Some(_) => 3,
        None => rest.find(" on ")? + 4,
    };
    let rest = rest[on..].trim_start();
    let rest = rest.strip_prefix("only ").unwrap_or(rest);
    let open = rest.find('(')?;
    let head = rest[..open].trim();
    let (table, method) = match head.split_once(" using ") {
        Some((t, m)) => (t.trim(), m.trim()),
        None => (head, "btree"),
    };
    let body = &rest[open + 1..];
    let close = matching_paren(body)?;
    let keys = split_top(&body[..close])
        .into_iter()
        .map(|k| norm(&k))
        .collect();
    let tail = &body[close + 1..];
    let pred = tail
        .find("where ")
        .map(|p| norm(tail[p + 6..].trim_end_matches(';')))
        .unwrap_or_default();
    Some((norm(table), method.to_string(), keys, pred))
}

pub fn matching_paren(s: &str) -> Option<usize> {
    let mut depth = 1;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

pub fn split_top(s: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth) = (Vec::new(), String::new(), 0);
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out
}

pub fn norm(s: &str) -> String {
    let mut t: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '"')
        .collect();
    while t.starts_with('(') && matching_paren(&t[1..]) == Some(t.len() - 2) {
        t = t[1..t.len() - 1].to_string();
    }
    // `(lower(x)) text_pattern_ops` is `lower(x) text_pattern_ops`: an
    // expression in its parentheses, then its operator class.
    if t.starts_with('(')
        && let Some(close) = matching_paren(&t[1..])
        && t[close + 2..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        && close + 2 < t.len()
    {
        t = format!("{}{}", &t[1..close + 1], &t[close + 2..]);
    }
    t
}

/// The indexes of a dbperf JSON report (`.indexes[].statement`), read as
/// the set files are.
pub fn proposed(report: &serde_json::Value) -> Vec<(IndexKey, String)> {
    report["indexes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let s = i["statement"].as_str().unwrap().to_string();
            (
                index_key(&s).unwrap_or_else(|| panic!("not a CREATE INDEX: {s}")),
                s,
            )
        })
        .collect()
}

/// A set's statements, one a line, for a failure message.
pub fn listing(set: &[(IndexKey, String)]) -> String {
    set.iter()
        .map(|(_, s)| s.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}
