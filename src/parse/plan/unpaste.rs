//! Undoes what pasting does to a plan: psql headers, footers and frames in
//! every border and line style, expanded (`\x`) records, `+` continuation
//! marks, lines wrapped in quotes (pgAdmin doubles the inner ones), CRLF,
//! tabs, and the log prefix around an auto_explain plan.
//!
//! The result keeps each line's original line number so that parse errors
//! point into the file the user gave us.

use std::borrow::Cow;

/// A line of the cleaned plan and the 1-based line it came from.
///
/// The line number and the raw length are kept in 32 bits (a text of 4
/// billion lines, or with a line of 4 GB, reads them as the largest such
/// number): a 10 MB plan has 175,000 lines, and at 40 bytes a line
/// instead of 32 their vector was 1.4 MB more to fault in.
#[derive(Debug, Clone, PartialEq)]
pub struct Line<'a> {
    number: u32,
    /// Borrowed from the input unless a repair changed it.
    pub text: Cow<'a, str>,
    /// Bytes the line had before its trailing blanks were trimmed (a
    /// terminal or fold(1) cuts at a width, blanks included).
    raw_len: u32,
}

/// `n` in 32 bits, the largest such number when it does not fit.
fn narrow(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Line<'_> {
    /// The 1-based line of the input it came from.
    pub fn number(&self) -> usize {
        self.number as usize
    }

    /// Bytes the line had before its trailing blanks were trimmed.
    pub fn raw_len(&self) -> usize {
        self.raw_len as usize
    }

    pub fn set_raw_len(&mut self, len: usize) {
        self.raw_len = narrow(len);
    }
}

/// Narrows a line's text to a part of itself without copying borrowed text.
fn reslice<'a>(c: &mut Cow<'a, str>, f: impl for<'b> Fn(&'b str) -> &'b str) {
    match c {
        Cow::Borrowed(s) => *c = Cow::Borrowed(f(s)),
        Cow::Owned(s) => {
            let t = f(s).to_string();
            *s = t;
        }
    }
}

/// What unpasting found around the plan.
#[derive(Debug, Default)]
pub struct Unpasted<'a> {
    pub lines: Vec<Line<'a>>,
    /// `Query Text:` of an auto_explain plan.
    pub query_text: Option<String>,
    /// Line of psql's `QUERY PLAN` column header, when there is one.
    pub psql_header: Option<usize>,
    /// psql's `(N rows)` footer: N, when there is one.
    pub psql_rows: Option<usize>,
    /// The lines come from an auto_explain log entry (no summary lines).
    pub auto_explain: bool,
}

const FRAME_CHARS: &[char] = &[
    '-', '+', '=', '|', '─', '━', '│', '┃', '┼', '┬', '┴', '┌', '┐', '└', '┘', '├', '┤', '╔', '╗',
    '╚', '╝', '═', '║', '╠', '╣', '╦', '╩', '╬', '╪', '╞', '╡', '╤', '╧', '╟', '╢', '╫', '╒', '╕',
    '╘', '╛', '╓', '╖', '╙', '╜',
];
const BARS: &[char] = &['|', '│', '║', '┃'];

pub fn unpaste(text: &str) -> Unpasted<'_> {
    // Every check of the whole text is a memchr search: a set of characters
    // in a str search decodes every character, and a 10 MB plan takes a
    // dozen such checks.
    // All the marks at once, in one sweep of the text (see [`Marks`]): a
    // search per mark read a 10 MB text from memory a dozen times.
    let marks = Marks::find(text);
    let holds = |needle: &str| marks.holds(needle);
    let odd_spaces = holds("\t") || holds("\u{a0}");
    // The marks that count only at a line's start or end, noted as the
    // lines are split: a search of the whole text for each (`\n.`,
    // `plan:`, `row)`, `rows)`, all of whose first bytes a plan is full
    // of) read a 10 MB plan three more times.
    let mut ends = LineEnds::default();
    // `text.split('\n')`, with the line ends found by memchr.
    let mut start = 0;
    let mut lines: Vec<Line<'_>> = memchr::memchr_iter(b'\n', text.as_bytes())
        .chain(std::iter::once(text.len()))
        .enumerate()
        .map(|(i, end)| {
            let l = &text[start..end];
            start = end + 1;
            ends.wrapped |= i > 0 && l.starts_with('.');
            let raw_len = l.strip_suffix('\r').unwrap_or(l).len();
            let l = l.trim_ascii_end();
            let text = if odd_spaces && l.contains(['\t', '\u{a0}']) {
                // Tabs, and the no-break spaces web pages paste.
                Cow::Owned(l.replace('\t', "    ").replace('\u{a0}', " "))
            } else {
                Cow::Borrowed(l)
            };
            ends.note(&text);
            Line {
                number: narrow(i + 1),
                raw_len: narrow(raw_len),
                text,
            }
        })
        .collect();
    let mut out = Unpasted::default();
    // Each repair runs only when its marks are in the text at all. Joining
    // psql's wrapped lines can put together a word that the text holds only
    // in two pieces, and a tab made blanks can complete one; no repair
    // makes a mark character that was not there.
    let wrapped = ends.wrapped;
    let has = |mark: &str| wrapped || odd_spaces || holds(mark);
    if wrapped {
        lines = join_psql_wrapped(lines);
    }
    if ends.plan
        && let Some(plan_lines) = auto_explain_block(&lines)
    {
        lines = plan_lines;
        out.auto_explain = true;
    }
    if holds("[ RECORD ") {
        lines = expanded_records(lines);
    }
    if holds(">") {
        strip_mail_quotes(&mut lines);
    }
    if has("QUERY PLAN") || wrapped || odd_spaces || ends.rows {
        note_psql_frame(&lines, &mut out);
    }
    lines.retain(|l| !is_noise(&l.text));
    if ["|", "│", "║", "┃"].iter().any(|b| holds(b)) {
        strip_bars(&mut lines);
    }
    // `""Plan""` (a CSV field) holds `"Plan"` too.
    let json = holds("\"Plan\"");
    if !json && (holds("\"") || holds("'")) {
        strip_quotes(&mut lines);
    }
    if holds("+") || holds("↵") {
        strip_plus_marks(&mut lines);
    }
    rejoin_cut_indentation(&mut lines);
    // Each line trimmed and the blank ones dropped, in one pass.
    lines.retain_mut(|l| {
        reslice(&mut l.text, str::trim_ascii_end);
        !is_blank(&l.text)
    });
    if has("Query Text:") {
        take_query_text(&mut lines, &mut out);
    }
    out.lines = lines;
    out
}

/// The number of blanks (` `) a line starts with, eight bytes at a time:
/// every pass over a plan's lines looks past its indentation, and a deep
/// node's lines are indented by a dozen blanks or more.
pub(crate) fn blanks_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(chunk) = b.get(i..i + 8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let other = word ^ 0x2020_2020_2020_2020;
        if other != 0 {
            // The lowest byte that is not a blank (little-endian order).
            return i + (other.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    i
}

/// `str::trim_ascii_start`, past the blanks by [`blanks_len`] first.
pub(crate) fn trim_start(s: &str) -> &str {
    s[blanks_len(s)..].trim_ascii_start()
}

/// Whether `t` holds `needle`, at memchr's speed. A longer needle is
/// looked for from the first place its first byte is: most marks start
/// with a byte a plan rarely has (`Q`, `[`, `"`), and a memchr pass over a
/// text that lacks it costs a quarter of a substring search.
fn holds(t: &[u8], needle: &[u8]) -> bool {
    match needle {
        [] => true,
        [b] => memchr::memchr(*b, t).is_some(),
        n => memchr::memchr(n[0], t).is_some_and(|i| memchr::memmem::find(&t[i..], n).is_some()),
    }
}

/// What the lines of a text start or end with, for the repairs that look
/// only there: whether a line but the first starts with psql's wrap mark
/// (`.`), whether a line ends like an auto_explain entry's first line
/// (`plan:`, see [`auto_explain_block`]) or like psql's footer (`row)`,
/// `rows)`, see [`note_psql_frame`]). The repairs before those two only
/// cut a line's start or join a line to the end of another, so a line
/// that ends so after them ended so in the text.
#[derive(Default)]
struct LineEnds {
    wrapped: bool,
    plan: bool,
    rows: bool,
}

impl LineEnds {
    fn note(&mut self, line: &str) {
        let t = line.trim_ascii_end();
        self.plan |= t.ends_with("plan:");
        self.rows |= t.ends_with("row)") || t.ends_with("rows)");
    }
}

/// The marks [`unpaste`] looks for in the whole text before it repairs
/// anything (and [`LineEnds`] at the lines' ends).
const MARKS: [&str; 15] = [
    "\t",
    "\u{a0}",
    "[ RECORD ",
    ">",
    "QUERY PLAN",
    "|",
    "│",
    "║",
    "┃",
    "\"Plan\"",
    "\"",
    "'",
    "+",
    "↵",
    "Query Text:",
];

/// The bytes [`Marks::find`] reads at a time: a block that stays in the
/// first-level cache while each mark is looked for in it.
const MARKS_BLOCK: usize = 32 * 1024;

/// Which of [`MARKS`] a text holds, found in one sweep: the text is read
/// in blocks that stay in the cache while every mark not yet found is
/// looked for in them (each by [`holds`], a block and the bytes a mark
/// can reach past it), so a large text comes from memory once, not once
/// per mark. Most plans are ASCII, and the marks that are not are made
/// of bytes that are not: they are looked for from the first block that
/// holds such a byte on.
struct Marks([bool; MARKS.len()]);

impl Marks {
    fn find(text: &str) -> Self {
        let t = text.as_bytes();
        let mut found = [false; MARKS.len()];
        // The marks still looked for: the ASCII ones until a block is not.
        let mut open: Vec<usize> = (0..MARKS.len()).filter(|&i| MARKS[i].is_ascii()).collect();
        let mut ascii = true;
        let mut start = 0;
        while start < t.len() {
            let end = (start + MARKS_BLOCK).min(t.len());
            if ascii && !t[start..end].is_ascii() {
                ascii = false;
                open.extend((0..MARKS.len()).filter(|&i| !MARKS[i].is_ascii()));
            }
            // Done when every mark is found, and a mark not yet looked for
            // cannot come (the text is known not to be ASCII).
            if open.is_empty() && !ascii {
                break;
            }
            open.retain(|&i| {
                let m = MARKS[i].as_bytes();
                // A mark that starts in the block may end past it; one
                // that starts past it is the next block's.
                let hay = &t[start..(end + m.len() - 1).min(t.len())];
                let hit = holds(hay, m);
                found[i] |= hit;
                !hit
            });
            start = end;
        }
        Marks(found)
    }

    /// Whether the text holds `mark`, one of [`MARKS`].
    fn holds(&self, mark: &str) -> bool {
        let i = MARKS.iter().position(|m| *m == mark).expect("one of MARKS");
        self.0[i]
    }
}

/// Whether a line holds nothing but blanks. A cleaned line ends in its last
/// non-blank: the last byte alone answers for nearly every line.
fn is_blank(t: &str) -> bool {
    t.as_bytes().last().is_none_or(u8::is_ascii_whitespace) && t.trim_ascii().is_empty()
}

/// psql's `\pset format wrapped` ends a cut line with `.` in the right
/// margin and starts its continuation with `.` in the left one.
fn join_psql_wrapped(lines: Vec<Line<'_>>) -> Vec<Line<'_>> {
    let width = lines
        .iter()
        .map(|l| l.text.chars().count())
        .max()
        .unwrap_or(0);
    if width < 20 {
        return lines;
    }
    // psql marks every line it wraps: `.` in the right margin, `.` in the
    // left margin of the next. A line at full width without both marks was
    // cut by something else (fold(1), a terminal): not psql's format.
    let psql_marked = lines.iter().enumerate().all(|(i, l)| {
        l.text.chars().count() != width
            || l.text
                .trim_ascii()
                .chars()
                .all(|c| FRAME_CHARS.contains(&c))
            || (l.text.ends_with('.') && lines.get(i + 1).is_some_and(|n| n.text.starts_with('.')))
    });
    if !psql_marked {
        return lines;
    }
    let mut out: Vec<Line<'_>> = Vec::with_capacity(lines.len());
    let mut joining = false;
    for l in lines {
        if joining && l.text.starts_with('.') {
            let prev = out.last_mut().expect("joining implies a previous line");
            let t = prev.text.to_mut();
            t.pop();
            t.push_str(&l.text[1..]);
            // A continuation that is itself cut ends with the marker at full width.
            let cont_len = l.text.chars().count();
            joining = cont_len == width && l.text.ends_with('.');
            continue;
        }
        joining = l.text.chars().count() == width && l.text.ends_with('.');
        out.push(l);
    }
    out
}

/// An auto_explain entry in a server log: `LOG:  duration: 1.2 ms  plan:`
/// followed by TAB-indented lines. Returns those lines, one indent removed.
fn auto_explain_block<'a>(lines: &[Line<'a>]) -> Option<Vec<Line<'a>>> {
    let start = lines.iter().position(|l| {
        let t = l.text.trim_ascii_end();
        t.ends_with("plan:") && t.contains("duration:")
    })?;
    let mut block = Vec::new();
    for l in &lines[start + 1..] {
        // The entry goes on while lines are indented (a TAB, expanded to spaces).
        if !l.text.starts_with(' ') && !l.text.is_empty() {
            break;
        }
        let mut text = l.text.clone();
        reslice(&mut text, |t| t.strip_prefix("    ").unwrap_or(t));
        block.push(Line {
            number: l.number,
            raw_len: l.raw_len,
            text,
        });
    }
    Some(block)
}

/// psql `\x`: `-[ RECORD 1 ]---` then `QUERY PLAN | <line>` per record.
fn expanded_records(lines: Vec<Line<'_>>) -> Vec<Line<'_>> {
    let is_record = |t: &str| {
        let t = t.trim_start_matches(BARS).trim_ascii_start();
        t.starts_with("-[ RECORD ") || t.starts_with("─[ RECORD ") || t.starts_with("[ RECORD ")
    };
    if !lines.iter().any(|l| is_record(&l.text)) {
        return lines;
    }
    let mut out = Vec::new();
    for l in lines {
        if is_record(&l.text) {
            continue;
        }
        let t = l.text.trim_start_matches(BARS).trim_ascii_start();
        if let Some(rest) = t.strip_prefix("QUERY PLAN") {
            let rest = rest.trim_ascii_start();
            let rest = rest
                .strip_prefix('|')
                .or_else(|| rest.strip_prefix('│'))
                .unwrap_or(rest);
            let rest = rest.strip_prefix(' ').unwrap_or(rest);
            let rest = rest.trim_ascii_end();
            let rest = rest
                .strip_suffix('|')
                .or_else(|| rest.strip_suffix('│'))
                .unwrap_or(rest);
            out.push(Line {
                number: l.number,
                raw_len: l.raw_len,
                text: Cow::Owned(rest.trim_ascii_end().to_string()),
            });
        } else if !is_noise(&l.text) {
            // A value psql wrapped onto the next line in expanded mode.
            out.push(l);
        }
    }
    out
}

/// Frame rules, the `QUERY PLAN` header, the `(N rows)` footer.
fn is_noise(text: &str) -> bool {
    let t = trim_start(text).trim_ascii_end();
    // Fast path: plan lines start with a letter or `->`; noise does not,
    // except the header (a frame rule has no `>`, a footer starts with `(`).
    if (t.starts_with(|c: char| c.is_ascii_alphanumeric()) && !t.starts_with("QUERY PLAN"))
        || t.starts_with("->")
    {
        return false;
    }
    if t.len() >= 3 && t.chars().all(|c| FRAME_CHARS.contains(&c) || c == ' ') {
        return true;
    }
    let inner = t.trim_matches(BARS).trim_ascii();
    if inner == "QUERY PLAN" || inner == "\"QUERY PLAN\"" {
        return true;
    }
    if inner.starts_with('(') && (inner.ends_with(" rows)") || inner.ends_with(" row)")) {
        let n = &inner[1..inner.find(' ').unwrap_or(1)];
        if n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty() {
            return true;
        }
    }
    false
}

/// `\pset border 2`: the plan's lines are `| … |`. Lines before or after
/// the frame (psql's `Border style is 2.`, a sentence) stay as they are.
fn strip_bars(lines: &mut [Line<'_>]) {
    let framed = |t: &str| {
        let t = t.trim_ascii();
        t.starts_with(BARS) && t.ends_with(BARS) && t.chars().count() >= 2
    };
    let Some(first) = lines.iter().position(|l| framed(&l.text)) else {
        return;
    };
    let last = lines.iter().rposition(|l| framed(&l.text)).unwrap_or(first);
    // Inside the frame every line is framed: a value psql wrapped is too.
    if !lines[first..=last]
        .iter()
        .all(|l| l.text.trim_ascii().is_empty() || framed(&l.text))
    {
        return;
    }
    for l in lines[first..=last].iter_mut() {
        let t = l.text.trim_ascii();
        let mut chars = t.chars();
        chars.next();
        chars.next_back();
        let inner = chars.as_str();
        let inner = inner.strip_prefix(' ').unwrap_or(inner);
        l.text = Cow::Owned(inner.trim_ascii_end().to_string());
        // psql pads framed lines: their blanks say nothing about a cut.
        l.set_raw_len(l.text.len());
    }
}

/// A mail client's quoting: every line of the plan starts with `>`.
fn strip_mail_quotes(lines: &mut [Line<'_>]) {
    let non_empty = lines.iter().filter(|l| !is_blank(&l.text));
    let (mut n, mut quoted) = (0, 0);
    for l in non_empty {
        n += 1;
        if trim_start(&l.text).starts_with('>') {
            quoted += 1;
        }
    }
    // Plan lines never start with `>`: most lines quoted means a quote.
    if quoted == 0 || quoted * 2 < n {
        return;
    }
    for l in lines.iter_mut() {
        if !l.text.trim_ascii_start().starts_with('>') {
            continue;
        }
        let before = l.text.len();
        reslice(&mut l.text, |t| {
            let mut t = t.trim_ascii_start();
            while let Some(r) = t.strip_prefix('>') {
                t = r.strip_prefix(' ').unwrap_or(r);
                if !t.starts_with('>') {
                    break;
                }
            }
            t
        });
        l.set_raw_len(l.raw_len().saturating_sub(before - l.text.len()));
    }
}

/// psql's `QUERY PLAN` header and `(N rows)` footer: a header without its
/// footer is a paste cut short.
/// Only the aligned formats count: their header is underlined by a rule
/// (CSV and unaligned output have no footer to miss).
fn note_psql_frame(lines: &[Line<'_>], out: &mut Unpasted<'_>) {
    let is_rule = |t: &str| {
        let t = t.trim_ascii();
        t.len() >= 3 && t.chars().all(|c| FRAME_CHARS.contains(&c) || c == ' ')
    };
    for (i, l) in lines.iter().enumerate() {
        let t = l.text.trim_ascii();
        if t.ends_with("QUERY PLAN") || t.ends_with(BARS) {
            let inner = t.trim_matches(BARS).trim_ascii();
            if out.psql_header.is_none()
                && inner == "QUERY PLAN"
                && lines.get(i + 1).is_some_and(|n| is_rule(&n.text))
            {
                out.psql_header = Some(l.number());
            }
        } else if (t.ends_with("row)") || t.ends_with("rows)"))
            && let Some(n) = footer_rows(t)
        {
            out.psql_rows = Some(n);
        }
    }
}

fn footer_rows(inner: &str) -> Option<usize> {
    let n = inner
        .strip_prefix('(')?
        .strip_suffix(" rows)")
        .or_else(|| inner.strip_prefix('(')?.strip_suffix(" row)"))?;
    n.parse().ok()
}

/// pgAdmin and CSV exports: `"Seq Scan on t  (cost=…)"`, inner quotes
/// doubled; GUI clients that copy rows as SQL literals: `'Sort'`. A plan
/// line never starts with a quote, so a line wrapped in quotes is always a
/// quoted value; CSV quotes only some lines.
fn strip_quotes(lines: &mut [Line<'_>]) {
    for l in lines.iter_mut() {
        let Some(q) = l.text.trim_ascii_start().chars().next() else {
            continue;
        };
        if q != '"' && q != '\'' {
            continue;
        }
        let t = l.text.trim_ascii();
        let t = t.strip_suffix(',').unwrap_or(t);
        if t.len() >= 2 && t.starts_with(q) && t.ends_with(q) {
            let doubled = if q == '"' { "\"\"" } else { "''" };
            let single = if q == '"' { "\"" } else { "'" };
            l.text = Cow::Owned(t[1..t.len() - 1].replace(doubled, single));
            l.set_raw_len(l.text.len());
        }
    }
}

/// psql's aligned format marks a value that goes on past the line end with `+`.
fn strip_plus_marks(lines: &mut [Line<'_>]) {
    let non_empty = lines.iter().filter(|l| !is_blank(&l.text)).count();
    // `\pset linestyle unicode` marks it with `↵` instead.
    let mark = if lines.iter().any(|l| l.text.trim_ascii_end().ends_with('↵')) {
        '↵'
    } else {
        '+'
    };
    let marked = lines
        .iter()
        .filter(|l| l.text.trim_ascii_end().ends_with(mark))
        .count();
    if marked == 0 || marked * 2 < non_empty {
        return;
    }
    for l in lines.iter_mut() {
        let t = l.text.trim_ascii_end();
        if let Some(s) = t.strip_suffix(mark) {
            l.text = Cow::Owned(s.trim_ascii_end().to_string());
            l.set_raw_len(l.text.len());
        }
    }
}

/// fold(1) or a terminal cutting a line whose indentation alone is as wide
/// as the window leaves a line of blanks, then the rest of the line: those
/// blanks are the start of the next line's indentation. (Left alone they
/// would be trimmed away, and the deep node line would come out at the root.)
fn rejoin_cut_indentation(lines: &mut [Line<'_>]) {
    let width = lines.iter().map(|l| l.raw_len()).max().unwrap_or(0);
    if width < 40 {
        return;
    }
    let mut carried = 0;
    let mut after = 0; // the line number of the last blank line
    for l in lines.iter_mut() {
        if is_blank(&l.text) {
            carried = if l.raw_len() == width {
                carried + width
            } else {
                0
            };
            after = l.number();
            continue;
        }
        // Only onto the very next line: a line the header and frame
        // cleaning took out in between (psql's centred `QUERY PLAN`, cut
        // in its padding) ends the run of blanks.
        if carried > 0 && l.number() == after + 1 {
            // raw_len stays the tail's own: a tail cut again is at the width.
            let mut joined = " ".repeat(carried);
            joined.push_str(&l.text);
            l.text = Cow::Owned(joined);
        }
        carried = 0;
    }
}

/// `Query Text: …` (auto_explain) up to the plan's first node line.
fn take_query_text(lines: &mut Vec<Line<'_>>, out: &mut Unpasted<'_>) {
    let Some(pos) = lines
        .iter()
        .position(|l| l.text.trim_ascii_start().starts_with("Query Text:"))
    else {
        return;
    };
    let first = lines[pos].text.trim_ascii_start()["Query Text:".len()..]
        .trim_ascii()
        .to_string();
    let mut query = vec![first];
    let mut end = pos + 1;
    while end < lines.len() && !looks_like_node(&lines[end].text) {
        query.push(lines[end].text.trim_ascii().to_string());
        end += 1;
    }
    out.query_text = Some(query.join("\n").trim_ascii().to_string());
    lines.drain(pos..end);
}

fn looks_like_node(text: &str) -> bool {
    let t = text.trim_ascii_start();
    t.starts_with("->")
        || t.contains("(cost=")
        || t.contains("(actual ")
        || t.starts_with('{')
        || t.starts_with('[')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'a>(u: &'a Unpasted<'_>) -> Vec<&'a str> {
        u.lines.iter().map(|l| l.text.as_ref()).collect()
    }

    #[test]
    fn psql_border_two_frame() {
        let pasted = "+----------------+\n|   QUERY PLAN   |\n+----------------+\n| Seq Scan on t  |\n|   Filter: x    |\n+----------------+\n(2 rows)\n";
        let u = unpaste(pasted);
        assert_eq!(texts(&u), vec!["Seq Scan on t", "  Filter: x"]);
        assert_eq!(u.lines[0].number(), 4);
    }

    /// The repairs gated by a mark at a line's start or end run when a
    /// line has it there, whatever surrounds it (CRLF, trailing blanks, a
    /// tab or a no-break space), and not for the mark inside a line.
    #[test]
    fn marks_at_line_ends_are_seen_as_the_lines_are_split() {
        let entry = "2024-01-01 LOG:  duration: 1.2 ms  plan:";
        let body = "\tSeq Scan on t  (cost=0.00..1.00 rows=1 width=4)\n";
        for end in ["", "\r", "  ", "\t", "\u{a0}"] {
            let text = format!("{entry}{end}\n{body}");
            let u = unpaste(&text);
            assert!(u.auto_explain, "{end:?}");
            assert_eq!(
                texts(&u),
                vec!["Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)"]
            );
        }
        let u = unpaste("Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)\n  Filter: (plan: = 1)\n");
        assert!(!u.auto_explain);
        for footer in ["(2 rows)", "(2 rows)\r", "(1 row)  ", "(2\u{a0}rows)"] {
            let text = format!(
                "      QUERY PLAN\n-------------------\n Seq Scan on t\n   Filter: x\n{footer}\n"
            );
            let u = unpaste(&text);
            assert!(u.psql_rows.is_some(), "{footer:?}");
            assert_eq!(u.psql_header, Some(1), "{footer:?}");
        }
        // psql's wrapped format: `.` ends a cut line and starts its tail.
        let wrapped = format!(
            "{}.\n.{}\n",
            "Seq Scan on t  (cost=0.00..1.00 rows=1 ", "width=4)"
        );
        let u = unpaste(&wrapped);
        assert_eq!(
            texts(&u),
            vec!["Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)"]
        );
    }

    #[test]
    fn quoted_lines_with_doubled_quotes() {
        let u = unpaste("\"Seq Scan on \"\"Order\"\"\"\n\"  Filter: (a = 1)\"\n");
        assert_eq!(
            texts(&u),
            vec!["Seq Scan on \"Order\"", "  Filter: (a = 1)"]
        );
    }

    #[test]
    fn indentation_cut_at_the_width_goes_back_on_its_line() {
        // `fold -w 40` over a node line indented 44 columns deep.
        let deep = format!("{}->  Seq Scan on t", " ".repeat(44));
        let plan = format!("Limit  (cost=0.00..1.00 rows=1 width=4)\n{deep}\n");
        let folded = format!(
            "Limit  (cost=0.00..1.00 rows=1 width=4)\n{}\n{}->  Seq Scan on t\n",
            " ".repeat(40),
            " ".repeat(4)
        );
        assert_eq!(texts(&unpaste(&folded)), texts(&unpaste(&plan)));
    }

    #[test]
    fn blanks_counted_eight_at_a_time_as_one_by_one() {
        for n in 0..40 {
            for tail in ["", "x", "\t y", "é", "->  Seq Scan", " "] {
                let line = format!("{}{tail}", " ".repeat(n));
                let naive = line.bytes().take_while(|b| *b == b' ').count();
                assert_eq!(blanks_len(&line), naive, "{line:?}");
                assert_eq!(trim_start(&line), line.trim_ascii_start(), "{line:?}");
            }
        }
    }

    #[test]
    fn holds_finds_what_contains_finds() {
        let texts = [
            "",
            "Seq Scan on t",
            "QUERY PLAN\n---\n Seq Scan",
            "Q Q Query Text: x",
            "QQUERY PLA",
            "a\n.b",
            "[[ RECORD 1 ]",
            "\"\"Plan\"\": 1",
            "(1 row)",
            "(12 rows)",
            "plan plan:",
        ];
        let needles = [
            "QUERY PLAN",
            "Query Text:",
            "[ RECORD ",
            "\"Plan\"",
            "row)",
            "rows)",
            "plan:",
            "\n.",
            "Q",
            ">",
        ];
        for t in texts {
            for n in needles {
                assert_eq!(
                    holds(t.as_bytes(), n.as_bytes()),
                    t.contains(n),
                    "{t:?} {n:?}"
                );
            }
        }
    }

    /// The sweep in blocks answers as a search of the whole text does,
    /// with marks across a block's end, at its first and last byte, and
    /// non-ASCII marks in an ASCII text and in one that is not.
    #[test]
    fn marks_found_in_one_sweep_agree_with_contains() {
        let mut texts: Vec<String> = vec![String::new(), "Seq Scan on t".into()];
        for m in MARKS {
            for at in [
                0,
                MARKS_BLOCK - 3,
                MARKS_BLOCK - 1,
                MARKS_BLOCK,
                2 * MARKS_BLOCK - 2,
            ] {
                let mut t = "x".repeat(at);
                t.push_str(m);
                t.push_str(&"y".repeat(10));
                texts.push(t);
                // The mark cut by the end of the text.
                let mut cut = "x".repeat(at);
                cut.push_str(&m[..m.len() - m.chars().last().map_or(0, char::len_utf8)]);
                texts.push(cut);
            }
        }
        texts.push(format!("{}│", "é".repeat(MARKS_BLOCK)));
        // Every ASCII mark early, a mark that is not ASCII blocks later.
        let ascii: String = MARKS.iter().filter(|m| m.is_ascii()).copied().collect();
        texts.push(format!("{ascii}{}┃", "x".repeat(3 * MARKS_BLOCK)));
        for t in &texts {
            let marks = Marks::find(t);
            for m in MARKS {
                assert_eq!(
                    marks.holds(m),
                    t.contains(m),
                    "{m:?} in a text of {}",
                    t.len()
                );
            }
        }
    }

    #[test]
    fn expanded_records() {
        let u = unpaste(
            "-[ RECORD 1 ]-------\nQUERY PLAN | Seq Scan on t\n-[ RECORD 2 ]-------\nQUERY PLAN |   Filter: x\n",
        );
        assert_eq!(texts(&u), vec!["Seq Scan on t", "  Filter: x"]);
    }
}
