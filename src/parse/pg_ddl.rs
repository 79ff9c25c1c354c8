//! PostgreSQL DDL that the SQL parser does not know, made parseable.
//!
//! sqlparser follows many dialects and lags behind PostgreSQL's grammar:
//! pg_dump's `CREATE INDEX … ON ONLY`, storage, compression, tablespace and
//! access-method clauses, `U&"…"` identifiers, operator classes in
//! `PARTITION BY`, `LIKE … INCLUDING …`, typed tables (`OF type`) and
//! PostgreSQL 18's `WITHOUT OVERLAPS`, `PERIOD`, virtual generated columns
//! and `NOT NULL` table constraints. None of those change which columns an
//! index or key covers, so [`prepare`] blanks them out (spaces of the same
//! length, newlines kept, so positions in parser errors still point into the
//! file) and returns what the replay needs to know about the ones that do
//! matter (`LIKE` sources, the composite type of a typed table). An
//! `ALTER TABLE` is cut into its actions ([`alter_actions`]) so that one
//! action the parser does not know costs only that action.
//!
//! The scanner is a single pass over the statement's bytes: the cost is
//! linear in the statement's length.

/// A `LIKE source [INCLUDING …]` element of a CREATE TABLE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Like {
    pub source: String,
    /// `INCLUDING INDEXES` or `INCLUDING ALL` (and not excluded again).
    pub indexes: bool,
}

/// A statement ready for the parser, and what was taken out of it.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    pub text: String,
    pub likes: Vec<Like>,
    /// `CREATE TABLE t OF type`: the type.
    pub of_type: Option<String>,
    /// `ALTER TABLE … ADD [CONSTRAINT c] NOT NULL col` (PostgreSQL 18): columns.
    pub not_null: Vec<String>,
    /// A CREATE INDEX predicate longer than [`LONG`], taken out of the text
    /// (the parser's tree of a 10 MB `IN (…)` list takes a gigabyte); the
    /// replay keeps it as text.
    pub long_predicate: Option<String>,
    /// `CREATE TABLE … PARTITION BY method (…)`: the key, a column name
    /// (unquoted) per element, `None` for an expression.
    pub partition_key: Option<Vec<Option<String>>>,
    /// `CREATE INDEX … ON ONLY table`: the index is made on the
    /// partitioned table alone.
    pub on_only: bool,
}

/// Expressions longer than this (bytes) are kept as text, not parsed.
pub const LONG: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Word,
    Quoted,
    Str,
    Num,
    Punct(u8),
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Tok {
    pub(crate) kind: Kind,
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// Parenthesis depth the token sits at (a `(` at the depth outside it).
    pub(crate) depth: u32,
}

/// Splits a statement into tokens (comments and blanks dropped).
pub(crate) fn tokens(s: &str) -> Vec<Tok> {
    let b = s.as_bytes();
    let n = b.len();
    let mut out = Vec::new();
    let mut i = 0;
    let mut depth: u32 = 0;
    while i < n {
        let c = b[i];
        let start = i;
        let kind = match c {
            b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' => {
                i += 1;
                continue;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < n && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut d = 0;
                while i < n {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        d += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        d -= 1;
                        i += 2;
                        if d == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'\'' => {
                i = quoted_end(b, i, b'\'', false);
                Kind::Str
            }
            b'"' => {
                i = quoted_end(b, i, b'"', false);
                Kind::Quoted
            }
            b'U' | b'u'
                if b.get(i + 1) == Some(&b'&') && matches!(b.get(i + 2), Some(b'"' | b'\'')) =>
            {
                let q = b[i + 2];
                i = quoted_end(b, i + 2, q, false);
                if q == b'"' { Kind::Quoted } else { Kind::Str }
            }
            b'E' | b'e' if b.get(i + 1) == Some(&b'\'') => {
                i = quoted_end(b, i + 1, b'\'', true);
                Kind::Str
            }
            b'$' => {
                let mut j = i + 1;
                while j < n && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                if j < n && b[j] == b'$' && !(j > i + 1 && b[i + 1].is_ascii_digit()) {
                    let tag = &s[i..=j];
                    i = match s[j + 1..].find(tag) {
                        Some(p) => j + 1 + p + tag.len(),
                        None => n,
                    };
                    Kind::Str
                } else {
                    i = j.max(i + 1);
                    Kind::Punct(b'$')
                }
            }
            b'0'..=b'9' => {
                while i < n && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_') {
                    i += 1;
                }
                Kind::Num
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                while i < n
                    && (b[i].is_ascii_alphanumeric()
                        || b[i] == b'_'
                        || b[i] == b'$'
                        || b[i] >= 0x80)
                {
                    i += 1;
                }
                Kind::Word
            }
            c => {
                i += 1;
                Kind::Punct(c)
            }
        };
        if kind == Kind::Punct(b')') {
            depth = depth.saturating_sub(1);
        }
        out.push(Tok {
            kind,
            start,
            end: i.min(n),
            depth,
        });
        if kind == Kind::Punct(b'(') {
            depth += 1;
        }
    }
    out
}

/// The end (exclusive) of a quoted run opened at `i`.
fn quoted_end(b: &[u8], mut i: usize, q: u8, backslash: bool) -> usize {
    i += 1;
    while i < b.len() {
        if backslash && b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == q {
            if b.get(i + 1) == Some(&q) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    b.len()
}

/// The statement being rewritten: its tokens and the output bytes.
struct Edit<'a> {
    src: &'a str,
    toks: Vec<Tok>,
    out: Vec<u8>,
    /// Text to insert at byte offsets of `out`, applied last.
    inserts: Vec<(usize, &'static str)>,
    /// Byte ranges of `out` to cut, applied last: long runs that blanks
    /// would still make the parser tokenize (one token per space).
    cuts: Vec<(usize, usize)>,
}

impl Edit<'_> {
    fn word(&self, i: usize) -> Option<&str> {
        let t = self.toks.get(i)?;
        (t.kind == Kind::Word).then(|| &self.src[t.start..t.end])
    }

    fn is(&self, i: usize, w: &str) -> bool {
        self.word(i).is_some_and(|x| x.eq_ignore_ascii_case(w))
    }

    fn punct(&self, i: usize, c: u8) -> bool {
        self.toks.get(i).is_some_and(|t| t.kind == Kind::Punct(c))
    }

    /// Blanks tokens `from..=to` (and what lies between them).
    fn blank(&mut self, from: usize, to: usize) {
        let (s, e) = (self.toks[from].start, self.toks[to].end);
        for b in &mut self.out[s..e] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    }

    /// The index of the `)` closing the `(` at `open`.
    fn close(&self, open: usize) -> usize {
        let d = self.toks[open].depth;
        (open + 1..self.toks.len())
            .find(|&j| self.toks[j].kind == Kind::Punct(b')') && self.toks[j].depth == d)
            .unwrap_or(self.toks.len() - 1)
    }

    /// A name (possibly qualified) starting at `i`: its text and the index after it.
    fn name(&self, mut i: usize) -> (String, usize) {
        let mut s = String::new();
        while let Some(t) = self.toks.get(i) {
            if !matches!(t.kind, Kind::Word | Kind::Quoted) {
                break;
            }
            s.push_str(&self.src[t.start..t.end]);
            i += 1;
            if self.punct(i, b'.') {
                s.push('.');
                i += 1;
            } else {
                break;
            }
        }
        (s, i)
    }

    fn text(mut self) -> String {
        // Applied from the end, so earlier offsets stay right.
        let mut edits: Vec<(usize, usize, &str)> =
            self.inserts.iter().map(|(a, s)| (*a, *a, *s)).collect();
        edits.extend(self.cuts.iter().map(|(a, b)| (*a, *b, "")));
        edits.sort_by_key(|x| (x.0, x.1));
        for (a, b, s) in edits.iter().rev() {
            self.out.splice(*a..*b, s.bytes());
        }
        // Only whole ASCII runs were replaced by ASCII, so this stays UTF-8.
        String::from_utf8(self.out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

/// Makes one catalog statement (CREATE TABLE, CREATE INDEX, ALTER TABLE
/// action, ALTER INDEX, DROP INDEX) parseable; see the module comment.
pub fn prepare(sql: &str) -> Prepared {
    let mut e = Edit {
        src: sql,
        toks: tokens(sql),
        out: sql.as_bytes().to_vec(),
        inserts: Vec::new(),
        cuts: Vec::new(),
    };
    let mut p = Prepared::default();
    unicode_identifiers(&mut e);
    let head: Vec<String> = (0..4)
        .map(|i| e.word(i).unwrap_or("").to_ascii_lowercase())
        .collect();
    let h: Vec<&str> = head.iter().map(String::as_str).collect();
    long_checks(&mut e);
    match h.as_slice() {
        ["create", ..] if h.contains(&"index") => {
            p.on_only = create_index(&mut e);
            long_predicate(&mut e, &mut p);
        }
        ["create", ..] => create_table(&mut e, &mut p),
        ["alter", "index", "if", "exists"] => e.blank(2, 3),
        ["drop", "index", "concurrently", ..] => e.blank(2, 2),
        ["alter", "table", ..] => alter_table(&mut e, &mut p),
        _ => {}
    }
    p.text = e.text();
    p
}

/// `U&"d\0061t"` → `"dat"` (padded), honouring `UESCAPE 'c'`.
fn unicode_identifiers(e: &mut Edit<'_>) {
    for i in 0..e.toks.len() {
        let t = e.toks[i];
        let raw = &e.src[t.start..t.end];
        if t.kind != Kind::Quoted || !(raw.starts_with("U&") || raw.starts_with("u&")) {
            continue;
        }
        let mut esc = '\\';
        if e.is(i + 1, "uescape")
            && let Some(s) = e.toks.get(i + 2).filter(|s| s.kind == Kind::Str)
        {
            esc = e.src[s.start + 1..s.end].chars().next().unwrap_or('\\');
            e.blank(i + 1, i + 2);
        }
        let inner = raw[3..raw.len().saturating_sub(1).max(3)].replace("\"\"", "\"");
        let mut name = String::new();
        let mut chars = inner.chars().peekable();
        while let Some(c) = chars.next() {
            if c != esc {
                name.push(c);
                continue;
            }
            let (len, skip_plus) = match chars.peek() {
                Some('+') => (6, true),
                Some(c) if *c == esc => {
                    chars.next();
                    name.push(esc);
                    continue;
                }
                _ => (4, false),
            };
            if skip_plus {
                chars.next();
            }
            let hex: String = chars.by_ref().take(len).collect();
            match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                Some(ch) => name.push(ch),
                None => name.push_str(&hex),
            }
        }
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        // The decoded name is never longer than its escaped form.
        if quoted.len() <= raw.len() {
            e.blank(i, i);
            e.out[t.start..t.start + quoted.len()].copy_from_slice(quoted.as_bytes());
        }
    }
}

/// `CHECK (…)` bodies longer than [`LONG`] become `CHECK (true)`: no rule
/// reads them, and parsed they would cost memory out of all proportion.
fn long_checks(e: &mut Edit<'_>) {
    for i in 0..e.toks.len() {
        if e.is(i, "check") && e.punct(i + 1, b'(') {
            let c = e.close(i + 1);
            if c > i + 2 && e.toks[c].start - e.toks[i + 1].end > LONG {
                let at = e.toks[i + 2].start;
                e.out[at..at + 4].copy_from_slice(b"true");
                e.cuts.push((at + 4, e.toks[c].start));
            }
        }
    }
}

/// A CREATE INDEX `WHERE` clause longer than [`LONG`]: kept as text.
fn long_predicate(e: &mut Edit<'_>, p: &mut Prepared) {
    let Some(w) = (0..e.toks.len()).find(|&i| e.toks[i].depth == 0 && e.is(i, "where")) else {
        return;
    };
    let last = e.toks.len() - 1;
    if w == last || e.toks[last].end - e.toks[w + 1].start <= LONG {
        return;
    }
    p.long_predicate = Some(e.src[e.toks[w + 1].start..e.toks[last].end].to_string());
    e.cuts.push((e.toks[w].start, e.toks[last].end));
}

/// `ON ONLY t`, `TABLESPACE x` of an index.
fn create_index(e: &mut Edit<'_>) -> bool {
    let mut on_only = false;
    for i in 0..e.toks.len() {
        // `col opclass (siglen = 1)`: the operator class's parameters.
        if e.toks[i].depth == 1
            && e.toks[i].kind == Kind::Word
            && e.punct(i + 1, b'(')
            && i > 0
            && matches!(
                e.toks[i - 1].kind,
                Kind::Word | Kind::Quoted | Kind::Punct(b')')
            )
        {
            let c = e.close(i + 1);
            e.blank(i + 1, c);
        }
        if e.toks[i].depth != 0 {
            continue;
        }
        if e.is(i, "on") && e.is(i + 1, "only") {
            e.blank(i + 1, i + 1);
            on_only = true;
        } else if e.is(i, "tablespace") && e.toks.get(i + 1).is_some() {
            e.blank(i, i + 1);
        }
    }
    on_only
}

/// Column and constraint clauses the parser does not know, inside the
/// element list starting at `open` (a `(`) or in one column definition.
fn elements(
    e: &mut Edit<'_>,
    from: usize,
    to: usize,
    p: &mut Prepared,
    table_level: bool,
    typed: bool,
) {
    let mut i = from;
    while i < to {
        // One element: up to a `,` at the list's depth.
        let d = e.toks[i].depth;
        let mut j = i;
        while j < to && !(e.punct(j, b',') && e.toks[j].depth == d) {
            j += 1;
        }
        if typed && j > i && e.toks[i].kind != Kind::Punct(b'(') {
            let first = e.word(i).unwrap_or("").to_ascii_lowercase();
            let constraint = [
                "constraint",
                "primary",
                "unique",
                "foreign",
                "check",
                "exclude",
                "like",
            ]
            .contains(&first.as_str());
            if !constraint && !e.is(i + 1, "with") {
                // `col [options]`: a column of the parent or type, typed here
                // with a placeholder so the parser takes it.
                e.inserts.push((e.toks[i].end, " typed_column"));
            }
        }
        element(e, i, j, p, table_level);
        i = j + 1;
    }
}

/// One element `from..to` (exclusive) of a CREATE TABLE list, or a column
/// definition of ADD COLUMN.
fn element(e: &mut Edit<'_>, from: usize, to: usize, p: &mut Prepared, table_level: bool) {
    if from >= to {
        return;
    }
    let comma_after = e.punct(to, b',');
    let blank_element = |e: &mut Edit<'_>| {
        // The element and one comma next to it.
        if comma_after {
            e.blank(from, to);
        } else if from > 0 && e.punct(from - 1, b',') {
            e.blank(from - 1, to - 1);
        } else {
            e.blank(from, to - 1);
        }
    };
    // LIKE source [INCLUDING|EXCLUDING option]…
    if table_level && e.is(from, "like") {
        let (source, _) = e.name(from + 1);
        let mut indexes = false;
        let mut k = from + 2;
        while k + 1 < to {
            let opt = e.word(k + 1).unwrap_or("").to_ascii_lowercase();
            if e.is(k, "including") && (opt == "all" || opt == "indexes") {
                indexes = true;
            } else if e.is(k, "excluding") && (opt == "all" || opt == "indexes") {
                indexes = false;
            }
            k += 1;
        }
        p.likes.push(Like { source, indexes });
        blank_element(e);
        return;
    }
    // [CONSTRAINT c] NOT NULL col [NO INHERIT] (PostgreSQL 18).
    let mut k = from;
    if e.is(k, "constraint") {
        k += 2;
    }
    if table_level && e.is(k, "not") && e.is(k + 1, "null") && k + 2 < to {
        blank_element(e);
        return;
    }
    let mut k = from;
    while k < to {
        let w = e.word(k).unwrap_or("").to_ascii_lowercase();
        match w.as_str() {
            // Column storage and compression.
            "storage" | "compression" if e.toks[k].depth == e.toks[from].depth && k + 1 < to => {
                e.blank(k, k + 1);
                k += 2;
                continue;
            }
            // UNIQUE NULLS [NOT] DISTINCT on a column.
            "nulls"
                if k > 0
                    && e.is(k - 1, "unique")
                    && e.is(k + 1, "not")
                    && e.is(k + 2, "distinct") =>
            {
                e.blank(k, k + 2);
            }
            "nulls" if k > 0 && e.is(k - 1, "unique") && e.is(k + 1, "distinct") => {
                e.blank(k, k + 1)
            }
            // CHECK (…) NO INHERIT NOT VALID; NOT VALID NOT ENFORCED.
            "not" if e.is(k + 1, "valid") && table_level => e.blank(k, k + 1),
            "not" if e.is(k + 1, "valid") && e.is(k + 2, "not") && e.is(k + 3, "enforced") => {
                e.blank(k, k + 1);
            }
            "enforced" if !(k > 0 && e.is(k - 1, "not")) => e.blank(k, k),
            // GENERATED … AS IDENTITY (sequence options)
            "identity" if e.punct(k + 1, b'(') => {
                let c = e.close(k + 1);
                e.blank(k + 1, c);
                k = c + 1;
                continue;
            }
            // `NOT NULL NO INHERIT`
            "no" if e.is(k + 1, "inherit") && k > 0 && e.is(k - 1, "null") => {
                e.blank(k, k + 1);
            }
            // PRIMARY KEY (a, b WITHOUT OVERLAPS)
            "without" if e.is(k + 1, "overlaps") => e.blank(k, k + 1),
            // FOREIGN KEY (a, PERIOD b) REFERENCES t (a, PERIOD b)
            "period" if k > 0 && (e.punct(k - 1, b',') || e.punct(k - 1, b'(')) => {
                e.blank(k, k);
            }
            // USING INDEX TABLESPACE x
            "using" if e.is(k + 1, "index") && e.is(k + 2, "tablespace") => {
                e.blank(k, (k + 3).min(to - 1));
                k += 4;
                continue;
            }
            // Index parameters of a PRIMARY KEY / UNIQUE: WITH (fillfactor = 70)
            "with" if e.punct(k + 1, b'(') && k > 0 && e.punct(k - 1, b')') => {
                let c = e.close(k + 1);
                e.blank(k, c);
                k = c + 1;
                continue;
            }
            // ON DELETE SET NULL (cols) / SET DEFAULT (cols)
            "null" | "default"
                if k > 1 && e.is(k - 1, "set") && e.is(k - 2, "delete") && e.punct(k + 1, b'(') =>
            {
                let c = e.close(k + 1);
                e.blank(k + 1, c);
                k = c + 1;
                continue;
            }
            // GENERATED ALWAYS AS (expr) VIRTUAL: not stored, so for indexes
            // and keys a plain column.
            "generated" if e.is(k + 1, "always") && e.is(k + 2, "as") && e.punct(k + 3, b'(') => {
                let c = e.close(k + 3);
                if e.is(c + 1, "virtual") {
                    e.blank(k, c + 1);
                    k = c + 2;
                    continue;
                } else if !e.is(c + 1, "stored") {
                    // PostgreSQL 18: without a keyword, virtual.
                    e.blank(k, c);
                    k = c + 1;
                    continue;
                }
            }
            // Typed table column: `col WITH OPTIONS …` → a placeholder type
            // of the same length.
            "with" if e.is(k + 1, "options") && k == from + 1 => {
                let s = e.toks[k].start;
                let end = e.toks[k + 1].end;
                if end - s == "typed_column".len() {
                    e.out[s..end].copy_from_slice(b"typed_column");
                }
            }
            _ => {}
        }
        k += 1;
    }
}

/// CREATE TABLE: the element list and the clauses after it.
fn create_table(e: &mut Edit<'_>, p: &mut Prepared) {
    let Some(t) = (0..e.toks.len()).find(|&i| e.is(i, "table")) else {
        return;
    };
    let mut i = t + 1;
    if e.is(i, "if") && e.is(i + 1, "not") && e.is(i + 2, "exists") {
        i += 3;
    }
    let (_, after) = e.name(i);
    i = after;
    let mut partition = false;
    // OF type
    if e.is(i, "of") {
        let (ty, next) = e.name(i + 1);
        p.of_type = Some(ty);
        e.blank(i, next - 1);
        i = next;
    } else if e.is(i, "partition") && e.is(i + 1, "of") {
        let (_, next) = e.name(i + 2);
        i = next;
        partition = true;
    }
    if e.punct(i, b'(') {
        let c = e.close(i);
        let typed = p.of_type.is_some() || partition;
        // CREATE TABLE t (a, b) AS …: names only, the query gives the rest.
        let ctas = (i + 1..c).all(|k| {
            e.toks[k].kind != Kind::Punct(b'(') && (e.punct(k, b',') || !e.punct(k + 1, b'('))
        }) && (i + 1..c).step_by(2).all(|k| {
            matches!(e.toks[k].kind, Kind::Word | Kind::Quoted)
                && (k + 1 == c || e.punct(k + 1, b','))
        }) && (c + 1..e.toks.len()).any(|k| e.toks[k].depth == 0 && e.is(k, "as"));
        if ctas {
            e.blank(i, c);
        } else {
            elements(e, i + 1, c, p, true, typed);
        }
        i = c + 1;
    }
    // Clauses after the list, all at depth 0.
    while i < e.toks.len() {
        if e.is(i, "partition") && e.is(i + 1, "by") {
            let open = (i + 2..e.toks.len()).find(|&k| e.punct(k, b'('));
            if let Some(open) = open {
                let c = e.close(open);
                p.partition_key = Some(partition_key(e, open + 1, c));
                i = c + 1;
                continue;
            }
        }
        if e.is(i, "using") && e.word(i + 1).is_some() && !e.punct(i + 2, b'(') {
            e.blank(i, i + 1);
            i += 2;
            continue;
        }
        if e.is(i, "tablespace") && i + 1 < e.toks.len() {
            e.blank(i, i + 1);
            i += 2;
            continue;
        }
        if (e.is(i, "with") || e.is(i, "without")) && e.is(i + 1, "oids") {
            e.blank(i, i + 1);
            i += 2;
            continue;
        }
        // Storage parameters (not FOR VALUES WITH (modulus …)).
        if e.is(i, "with") && e.punct(i + 1, b'(') && !(i > 0 && e.is(i - 1, "values")) {
            let c = e.close(i + 1);
            e.blank(i, c);
            i = c + 1;
            continue;
        }
        i += 1;
    }
}

/// `PARTITION BY method (a opclass, b COLLATE "C" opclass)`: the operator
/// classes go; the key is returned, a column name per element (`None`
/// for an expression).
fn partition_key(e: &mut Edit<'_>, from: usize, to: usize) -> Vec<Option<String>> {
    let d = e.toks.get(from).map_or(0, |t| t.depth);
    let mut start = from;
    let mut key = Vec::new();
    for k in from..=to {
        if k == to || (e.punct(k, b',') && e.toks[k].depth == d) {
            // A column: one name, then at most COLLATE x and an opclass.
            let column = match e.toks.get(start).map(|t| t.kind) {
                Some(Kind::Word | Kind::Quoted)
                    if k == start + 1
                        || e.is(start + 1, "collate")
                        || (k == start + 2 && e.toks[start + 1].kind == Kind::Word) =>
                {
                    let t = &e.toks[start];
                    let text = &e.src[t.start..t.end];
                    Some(match t.kind {
                        Kind::Quoted => text
                            .trim_start_matches(['U', 'u', '&'])
                            .trim_matches('"')
                            .replace("\"\"", "\""),
                        _ => text.to_lowercase(),
                    })
                }
                _ => None,
            };
            if start < k {
                key.push(column);
            }
            // The element's last token, when a bare word after something
            // else that is not COLLATE: an operator class.
            let last = k.wrapping_sub(1);
            if k >= start + 2
                && e.toks[last].kind == Kind::Word
                && e.toks[last].depth == d
                && !e.is(last - 1, "collate")
            {
                e.blank(last, last);
            }
            start = k + 1;
        }
    }
    key
}

/// ALTER TABLE [IF EXISTS] [ONLY] name [*] …: the `*`.
fn alter_table(e: &mut Edit<'_>, p: &mut Prepared) {
    let mut i = 2;
    if e.is(i, "if") && e.is(i + 1, "exists") {
        i += 2;
    }
    if e.is(i, "only") {
        i += 1;
    }
    let (_, after) = e.name(i);
    if e.punct(after, b'*') {
        e.blank(after, after);
    }
    let i = after + usize::from(e.punct(after, b'*'));
    // One action (the caller cuts them apart).
    if e.is(i, "add") {
        let mut k = i + 1;
        if e.is(k, "column") {
            k += 1;
            if e.is(k, "if") && e.is(k + 1, "not") && e.is(k + 2, "exists") {
                k += 3;
            }
            let n = e.toks.len();
            element(e, k, n, p, false);
            return;
        }
        let at = k;
        if e.is(k, "constraint") {
            k += 2;
        }
        if e.is(k, "not") && e.is(k + 1, "null") {
            let (col, _) = e.name(k + 2);
            p.not_null.push(col);
            let n = e.toks.len();
            e.blank(i, n - 1);
            return;
        }
        let n = e.toks.len();
        // A constraint, or a column with COLUMN left out.
        element(e, at, n, p, false);
    }
}

/// Cuts `ALTER TABLE [IF EXISTS] [ONLY] name action, action…` into one
/// statement per action (byte ranges of each action in `sql`), with the
/// common head. `None` for a statement with one action or none.
pub fn alter_actions(sql: &str) -> Option<(String, Vec<(usize, usize)>)> {
    if !sql
        .get(..5)
        .is_some_and(|h| h.eq_ignore_ascii_case("alter"))
    {
        return None;
    }
    let toks = tokens(sql);
    let e = Edit {
        src: sql,
        toks,
        out: Vec::new(),
        inserts: Vec::new(),
        cuts: Vec::new(),
    };
    if !(e.is(0, "alter") && e.is(1, "table")) {
        return None;
    }
    let mut i = 2;
    if e.is(i, "if") && e.is(i + 1, "exists") {
        i += 2;
    }
    if e.is(i, "only") {
        i += 1;
    }
    let (_, mut after) = e.name(i);
    if e.punct(after, b'*') {
        after += 1;
    }
    let head_end = e.toks.get(after)?.start;
    let mut ranges = Vec::new();
    let mut start = after;
    for k in after..=e.toks.len() {
        if k == e.toks.len() || (e.punct(k, b',') && e.toks[k].depth == 0) {
            if k > start {
                ranges.push((e.toks[start].start, e.toks[k - 1].end));
            }
            start = k + 1;
        }
    }
    (ranges.len() > 1).then(|| (sql[..head_end].to_string(), ranges))
}

/// Whether a statement the parser refused is broken beyond doubt: an
/// unbalanced parenthesis or quote, or an empty item in a list (`a,,b`,
/// `(,`, `,)`). Anything else may be valid SQL the parser does not know.
pub fn malformed(sql: &str) -> bool {
    let toks = tokens(sql);
    let mut depth: i64 = 0;
    let mut prev: Option<Kind> = None;
    for t in &toks {
        match t.kind {
            Kind::Punct(b'(') => depth += 1,
            Kind::Punct(b')') => {
                depth -= 1;
                if depth < 0 || prev == Some(Kind::Punct(b',')) {
                    return true;
                }
            }
            Kind::Punct(b',') => {
                if matches!(prev, Some(Kind::Punct(b',')) | Some(Kind::Punct(b'('))) {
                    return true;
                }
            }
            Kind::Str | Kind::Quoted => {
                let s = &sql[t.start..t.end];
                let q = s.as_bytes()[s.len() - 1];
                if s.len() < 2 || !(q == b'\'' || q == b'"' || q == b'$') {
                    return true;
                }
            }
            _ => {}
        }
        prev = Some(t.kind);
    }
    depth != 0
}

/// The plain statements in the body of a `DO` block, with their byte
/// offsets in `sql`: PL/pgSQL control words (`BEGIN`, `IF … THEN`, `ELSE`,
/// `LOOP`, `EXCEPTION WHEN … THEN`) are stepped over, and `EXECUTE
/// 'literal'` gives the literal's text. Dynamic SQL built at run time
/// (`format(…)`, `||`) is left out: it cannot be known here.
pub fn do_block_statements(sql: &str) -> Vec<(usize, String)> {
    let toks = tokens(sql);
    let e = Edit {
        src: sql,
        toks,
        out: Vec::new(),
        inserts: Vec::new(),
        cuts: Vec::new(),
    };
    let Some(body) = e
        .toks
        .iter()
        .position(|t| t.kind == Kind::Str)
        .map(|i| e.toks[i])
    else {
        return Vec::new();
    };
    let Some((inner_start, inner)) = literal(&sql[body.start..body.end]) else {
        return Vec::new();
    };
    let base = body.start + inner_start;
    let mut out = Vec::new();
    for raw in crate::sql::split::split(&inner) {
        if raw.text.is_empty() {
            continue;
        }
        let off = raw.text.as_ptr() as usize - inner.as_ptr() as usize;
        let t = tokens(raw.text);
        let w = |i: usize| {
            t.get(i)
                .filter(|x| x.kind == Kind::Word)
                .map(|x| raw.text[x.start..x.end].to_ascii_lowercase())
        };
        let mut i = 0;
        loop {
            match w(i).as_deref() {
                Some("begin" | "else" | "loop" | "exception") => i += 1,
                Some("if" | "elsif" | "when" | "while" | "for") => {
                    match (i + 1..t.len()).find(|&k| {
                        t[k].depth == 0 && matches!(w(k).as_deref(), Some("then" | "loop"))
                    }) {
                        Some(k) => i = k + 1,
                        None => break,
                    }
                }
                _ => break,
            }
        }
        let Some(first) = t.get(i) else {
            continue;
        };
        if w(i).as_deref() == Some("execute") {
            // EXECUTE 'literal' and nothing else.
            if t.len() == i + 2
                && t[i + 1].kind == Kind::Str
                && let Some((s, text)) = literal(&raw.text[t[i + 1].start..t[i + 1].end])
            {
                out.push((base + off + t[i + 1].start + s, text.trim().to_string()));
            }
            continue;
        }
        out.push((
            base + off + first.start,
            raw.text[first.start..].to_string(),
        ));
    }
    out
}

/// The text of a string literal (`'…'` or `$tag$…$tag$`) and where it
/// starts within the literal.
fn literal(s: &str) -> Option<(usize, String)> {
    if let Some(rest) = s.strip_prefix('\'') {
        let inner = rest.strip_suffix('\'')?;
        return Some((1, inner.replace("''", "'")));
    }
    if let Some(rest) = s.strip_prefix('$') {
        let tag_end = rest.find('$')? + 2;
        let tag = &s[..tag_end];
        let inner = s[tag_end..].strip_suffix(tag)?;
        return Some((tag_end, inner.to_string()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        prepare(s)
            .text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn prepare_blanks_what_keys_do_not_need() {
        assert_eq!(
            norm("CREATE INDEX i ON ONLY public.t USING btree (a) TABLESPACE x"),
            "CREATE INDEX i ON public.t USING btree (a)"
        );
        assert_eq!(
            norm("ALTER INDEX IF EXISTS i RENAME TO j"),
            "ALTER INDEX i RENAME TO j"
        );
        assert_eq!(
            norm(
                "CREATE TABLE t (a text STORAGE external COMPRESSION lz4, b int GENERATED ALWAYS AS (a) VIRTUAL, PRIMARY KEY (a, b WITHOUT OVERLAPS) WITH (fillfactor=7) USING INDEX TABLESPACE s, NOT NULL a NO INHERIT) PARTITION BY LIST (a text_pattern_ops, (lower(a)) COLLATE \"C\") USING heap WITH (fillfactor = 10) TABLESPACE pg_default"
            ),
            "CREATE TABLE t (a text , b int , PRIMARY KEY (a, b ) ) PARTITION BY LIST (a , (lower(a)) COLLATE \"C\")"
        );
        let p = prepare("CREATE TABLE t (LIKE s INCLUDING ALL EXCLUDING COMMENTS, x int)");
        assert_eq!(
            p.likes,
            vec![Like {
                source: "s".into(),
                indexes: true
            }]
        );
        assert_eq!(norm(&p.text), "CREATE TABLE t ( x int)");
        assert_eq!(
            norm("CREATE TABLE U&\"d\\0061t\\+000061\" (a int)"),
            "CREATE TABLE \"data\" (a int)"
        );
        let p = prepare("ALTER TABLE t ADD CONSTRAINT n NOT NULL a");
        assert_eq!(p.not_null, vec!["a"]);
        let p = prepare("CREATE TABLE t OF ty (a WITH OPTIONS PRIMARY KEY)");
        assert_eq!(p.of_type.as_deref(), Some("ty"));
        assert_eq!(norm(&p.text), "CREATE TABLE t (a typed_column PRIMARY KEY)");
    }

    #[test]
    fn do_block_statements_step_over_plpgsql() {
        let sql = "DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'f') THEN\n    ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (b) REFERENCES b (id);\n  END IF;\n  EXECUTE 'CREATE INDEX i ON a (b)';\n  EXECUTE format('DROP TABLE %I', 'x');\nEND $$";
        let got = do_block_statements(sql);
        let texts: Vec<&str> = got.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(
            texts,
            [
                "ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (b) REFERENCES b (id)",
                "END IF",
                "CREATE INDEX i ON a (b)",
                "END"
            ]
        );
        assert!(sql[got[0].0..].starts_with("ALTER TABLE a"));
        assert!(sql[got[2].0..].starts_with("CREATE INDEX i"));
    }

    #[test]
    fn prepare_keeps_long_expressions_out_of_the_parser() {
        let list: Vec<String> = (0..20_000).map(|i| i.to_string()).collect();
        let list = list.join(",");
        let p = prepare(&format!("CREATE INDEX i ON t (x) WHERE x NOT IN ({list})"));
        assert_eq!(p.text.trim_end(), "CREATE INDEX i ON t (x)");
        assert_eq!(p.long_predicate, Some(format!("x NOT IN ({list})")));
        let p = prepare(&format!(
            "CREATE TABLE t (x int CHECK (x IN ({list})), y int)"
        ));
        assert_eq!(p.text, "CREATE TABLE t (x int CHECK (true), y int)");
    }

    #[test]
    fn alter_actions_and_malformed() {
        let sql = "ALTER TABLE ONLY t ADD COLUMN a int, ALTER CONSTRAINT c NOT DEFERRABLE";
        let (head, r) = alter_actions(sql).unwrap();
        assert_eq!(head, "ALTER TABLE ONLY t ");
        assert_eq!(&sql[r[1].0..r[1].1], "ALTER CONSTRAINT c NOT DEFERRABLE");
        assert!(alter_actions("ALTER TABLE t ADD CHECK (a IN (1, 2))").is_none());
        assert!(malformed("CREATE TABLE t (a int,, b int)"));
        assert!(malformed("CREATE TABLE t (a int"));
        assert!(!malformed("CREATE TABLE t (a int) FROBNICATE"));
    }
}
