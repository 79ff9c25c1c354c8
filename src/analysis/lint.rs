//! `dbperf lint [PATH…]`: CI checks of migration files. The migrations are
//! found and ordered the way their tool applies them
//! ([`crate::source::migrations`]), replayed into a schema statement by
//! statement ([`crate::parse::migration`]), and checked: the replayed
//! statements (`non-concurrent-index`, `dropped-index-in-use`), the final
//! schema (`fk-without-index`, `duplicate-index`, `no-primary-key`) and,
//! with `--queries`, the application's statements against it
//! (`missing-index`, through the workload advisor).
//!
//! [`lint`] does the checking without I/O, so tests and benchmarks call it
//! on strings; [`run`] reads the files and git and builds the report
//! (`dbperf.toml` was merged into the task by [`crate::config`]).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::advise::workload::{Advice, AdviseOptions, AdvisedIndex, WorkloadQuery, advise};
use crate::detect::{
    self, AdviceContext, Finding, Inputs, Location, MigrationContext, SchemaContext, Severity,
};
use crate::error::{Error, Result};
use crate::model::Dialect;
use crate::model::index::IndexRecommendation;
use crate::model::report::{InputProblem, QueryStat, Region, Report};
use crate::model::schema::Schema;
use crate::parse::ddl::parse_schema;
use crate::parse::migration::{self, Ignore, Input, Replay, Replayed, position};
use crate::source::migrations::{self, MigrationFile, Order};
use crate::sql::split::split;

/// `dbperf lint`, its flags merged with `dbperf.toml` (flags win) and every
/// rule id checked against the registry.
#[derive(Debug, Clone)]
pub struct LintTask {
    pub paths: Vec<PathBuf>,
    pub order: Order,
    pub exclude: Vec<String>,
    pub queries: Option<PathBuf>,
    pub stats: Option<PathBuf>,
    pub changed_since: Option<String>,
    pub options: LintOptions,
    /// The `dbperf.toml` the settings came from, if any.
    pub settings: Option<PathBuf>,
}

/// What the checks need besides the files.
#[derive(Debug, Clone)]
pub struct LintOptions {
    pub dialect: Dialect,
    /// Only these rules (`None`: every lint rule of the registry).
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
    /// Severity overrides.
    pub severity: HashMap<String, Severity>,
    /// `missing-index` only for tables at least this large.
    pub large_table_rows: f64,
}

impl Default for LintOptions {
    fn default() -> Self {
        LintOptions {
            dialect: Dialect::Postgres,
            select: None,
            ignore: Vec::new(),
            severity: HashMap::new(),
            large_table_rows: 10_000.0,
        }
    }
}

impl LintOptions {
    /// Whether findings of `rule` are reported: a lint rule of the
    /// registry, selected and not ignored.
    fn enabled(&self, rule: &str) -> bool {
        detect::lint_rules().any(|r| r.meta().id == rule)
            && self
                .select
                .as_ref()
                .is_none_or(|s| s.iter().any(|x| x == rule))
            && !self.ignore.iter().any(|x| x == rule)
    }
}

/// The application's statements, with the text they came from (for inline
/// ignores and carets).
#[derive(Debug, Clone, Default)]
pub struct Queries {
    pub path: String,
    pub text: String,
    pub list: Vec<WorkloadQuery>,
}

/// What a lint found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// In file order, then line and column.
    pub findings: Vec<Finding>,
    pub regions: Vec<Region>,
    /// Catalog statements that did not parse (and were not ignored).
    pub problems: Vec<InputProblem>,
    pub notes: Vec<String>,
    pub indexes: Vec<IndexRecommendation>,
    pub queries: Vec<QueryStat>,
    /// Catalog statements replayed.
    pub statements: usize,
}

/// A finding with the byte span it points at: in migration `file`, or in
/// the queries file when `file` is `None`.
struct Spanned {
    finding: Finding,
    file: Option<usize>,
    span: (usize, usize),
}

/// Checks `files` (in order) and, when given, `queries` against the schema
/// they leave; `stats` adds table sizes and column statistics.
pub fn lint(
    files: &[MigrationFile],
    queries: Option<&Queries>,
    stats: Option<&Schema>,
    opts: &LintOptions,
) -> Outcome {
    let inputs: Vec<Input<'_>> = files
        .iter()
        .map(|f| Input {
            path: &f.path,
            text: &f.text,
            implicit_transaction: f.implicit_transaction,
        })
        .collect();
    let mut replay = migration::replay(&inputs, opts.dialect);
    if let Some(stats) = stats {
        merge_statistics(&mut replay.schema, stats);
    }
    // Line starts of every file, computed once: spans become lines and
    // columns for each finding without reading a file again.
    let starts: Vec<Vec<usize>> = files.iter().map(|f| line_starts(&f.text)).collect();

    // The application's statements against the final schema.
    let advice = queries.map(|q| {
        advise(
            &q.list,
            &replay.schema,
            &AdviseOptions {
                dialect: opts.dialect,
                ..AdviseOptions::default()
            },
        )
    });
    let mut out = migration_findings(files, &replay, opts, advice.as_ref());
    out.extend(schema_findings(files, &replay, &starts));
    let mut notes = replay.notes.clone();
    let mut indexes = Vec::new();
    let mut query_stats = Vec::new();
    if let (Some(q), Some(advice)) = (queries, &advice) {
        let (found, large) = query_findings(q, advice, &replay.schema, opts, &mut notes);
        out.extend(found);
        indexes = large;
        query_stats = advice
            .queries
            .iter()
            .map(super::workload::query_stat)
            .collect();
        for p in &advice.problems {
            notes.push(format!("--queries: {p}"));
        }
    }
    for (i, r) in indexes.iter_mut().enumerate() {
        r.rank = i + 1;
    }

    select(&mut out, opts, &replay, queries);
    let mut regions = regions(&mut out, files, &starts, queries);
    let problems = parse_problems(&replay, files, &starts, &mut regions);
    Outcome {
        findings: out.into_iter().map(|s| s.finding).collect(),
        regions,
        problems,
        notes,
        indexes,
        queries: query_stats,
        statements: replay
            .statements
            .iter()
            .filter(|s| !matches!(s.event, migration::Event::Change(_)))
            .count(),
    }
}

/// The migration rules, statement by statement, each finding spanning
/// what it is about.
fn migration_findings(
    files: &[MigrationFile],
    replay: &Replay,
    opts: &LintOptions,
    advice: Option<&Advice>,
) -> Vec<Spanned> {
    let analyzed = advice.map_or(&[][..], |a| a.queries.as_slice());
    let mut out = Vec::new();
    for s in &replay.statements {
        let findings = detect::run(&Inputs {
            migration: Some(MigrationContext {
                statement: s,
                path: &files[s.file].path,
                dialect: opts.dialect,
                schema: &replay.schema,
                queries: analyzed,
                transaction_opt_out: files[s.file].transaction_opt_out,
            }),
            ..Inputs::default()
        });
        for f in findings {
            let text = &files[s.file].text;
            let span = match f.rule {
                "non-concurrent-index" => index_keyword_span(text, s, &f),
                _ => first_line(text, s),
            };
            out.push(Spanned {
                finding: f,
                file: Some(s.file),
                span,
            });
        }
    }
    out
}

/// The schema rules on the final schema; their locations are the lines of
/// the statements that made what they are about.
fn schema_findings(
    files: &[MigrationFile],
    replay: &Replay,
    starts: &[Vec<usize>],
) -> Vec<Spanned> {
    let file_of: HashMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.path.as_str(), i))
        .collect();
    let statement_at: HashMap<(usize, usize), &Replayed> = replay
        .statements
        .iter()
        .rev()
        .map(|s| ((s.file, s.line), s))
        .collect();
    let findings = detect::run(&Inputs {
        schema: Some(SchemaContext {
            schema: &replay.schema,
            created: Some(&replay.created),
        }),
        ..Inputs::default()
    });
    let mut out = Vec::new();
    for mut f in findings {
        let Some(Location::File { path, line, .. }) = f.location.clone() else {
            continue;
        };
        let Some(&fi) = file_of.get(path.as_str()) else {
            continue;
        };
        let Some(s) = statement_at.get(&(fi, line)).copied() else {
            continue;
        };
        let text = &files[fi].text;
        let span = match f.rule {
            "fk-without-index" => fk_span(text, s, &f).unwrap_or_else(|| first_line(text, s)),
            "no-primary-key" => table_name_span(text, s).unwrap_or_else(|| first_line(text, s)),
            "duplicate-index" => index_name_span(text, s).unwrap_or_else(|| first_line(text, s)),
            _ => first_line(text, s),
        };
        let (l, c) = position(text, &starts[fi], span.0);
        f.location = Some(Location::File {
            path,
            line: l,
            column: Some(c),
        });
        out.push(Spanned {
            finding: f,
            file: Some(fi),
            span,
        });
    }
    out
}

/// The advice rules on the application's statements (`--queries`), and the
/// indexes they propose: `missing-index` only for tables declared large
/// enough (the others are counted in a note).
fn query_findings(
    q: &Queries,
    advice: &Advice,
    schema: &Schema,
    opts: &LintOptions,
    notes: &mut Vec<String>,
) -> (Vec<Spanned>, Vec<IndexRecommendation>) {
    let starts = line_starts(&q.text);
    let spans = statement_spans(&q.text);
    // A table without a declared size is assumed to grow large (in CI
    // nobody declares sizes, and tables grow); a table declared small opts
    // out.
    let mut assumed = 0;
    let (large, small): (Vec<AdvisedIndex>, Vec<AdvisedIndex>) =
        advice.indexes.iter().cloned().partition(|ix| {
            match schema.table(&ix.recommendation.table).and_then(|t| t.rows) {
                Some(rows) => rows >= opts.large_table_rows,
                None => {
                    assumed += 1;
                    true
                }
            }
        });
    if assumed > 0 {
        notes.push(format!(
            "missing-index: {assumed} index{} on tables without a declared size, assumed to hold at least {} rows \
             (declare sizes with `-- dbperf: TABLE rows=N` in a migration, or --stats FILE; a table declared smaller opts out)",
            if assumed == 1 { "" } else { "es" },
            opts.large_table_rows as u64
        ));
    }
    let advised = detect::run(&Inputs {
        advice: Some(AdviceContext {
            indexes: &large,
            wrapped: &advice.wrapped,
            dialect: opts.dialect,
        }),
        ..Inputs::default()
    });
    let mut out = Vec::new();
    for mut f in advised {
        let span = match &f.location {
            Some(Location::File { line, .. }) => spans.get(line).copied(),
            _ => None,
        };
        if let (Some(span), Some(Location::File { line, column, .. })) = (span, &mut f.location) {
            let (l, c) = position(&q.text, &starts, span.0);
            *line = l;
            *column = Some(c);
        }
        out.push(Spanned {
            finding: f,
            file: None,
            span: span.unwrap_or((0, 0)),
        });
    }
    if !small.is_empty() {
        let small = small.len();
        notes.push(format!(
            "missing-index: {small} index{} left out because {} declared to hold fewer than {} rows",
            if small == 1 { "" } else { "es" },
            if small == 1 { "its table is" } else { "their tables are" },
            opts.large_table_rows as u64
        ));
    }
    let indexes = large.into_iter().map(|ix| ix.recommendation).collect();
    (out, indexes)
}

/// Keeps the findings of selected rules that no ignore covers, applies the
/// severity overrides, and orders them by file, position and rule.
fn select(out: &mut Vec<Spanned>, opts: &LintOptions, replay: &Replay, queries: Option<&Queries>) {
    let query_ignores = queries
        .map(|q| ignores_by_line(&q.text))
        .unwrap_or_default();
    // The statements that carry an ignore comment, per file: few, so each
    // finding is checked against them alone.
    let mut ignoring: Vec<Vec<&Replayed>> = vec![Vec::new(); replay.file_ignores.len()];
    for st in &replay.statements {
        if st.ignore != Ignore::Nothing
            && let Some(v) = ignoring.get_mut(st.file)
        {
            v.push(st);
        }
    }
    out.retain(|s| {
        let rule = s.finding.rule;
        if !opts.enabled(rule) {
            return false;
        }
        match s.file {
            Some(fi) => {
                if replay.file_ignores[fi].covers(rule) {
                    return false;
                }
                let covered = ignoring[fi]
                    .iter()
                    .any(|st| st.start <= s.span.0 && s.span.0 <= st.end && st.ignore.covers(rule));
                !covered
            }
            None => {
                let line = match &s.finding.location {
                    Some(Location::File { line, .. }) => *line,
                    _ => 0,
                };
                !query_ignores.get(&line).is_some_and(|i| i.covers(rule))
                    && !query_ignores.get(&0).is_some_and(|i| i.covers(rule))
            }
        }
    });
    for s in out.iter_mut() {
        if let Some(sev) = opts.severity.get(s.finding.rule) {
            s.finding.severity = *sev;
        }
    }
    out.sort_by(|a, b| {
        let key = |s: &Spanned| (s.file.unwrap_or(usize::MAX), s.span.0, s.finding.rule);
        key(a).cmp(&key(b))
    });
}

/// Regions for carets and SARIF; a finding's column becomes its span's.
fn regions(
    out: &mut [Spanned],
    files: &[MigrationFile],
    starts: &[Vec<usize>],
    queries: Option<&Queries>,
) -> Vec<Region> {
    let query_starts = queries.map(|q| line_starts(&q.text));
    let mut regions = Vec::new();
    for s in out {
        let (path, text, starts) = match (s.file, queries, &query_starts) {
            (Some(fi), _, _) => (&files[fi].path, &files[fi].text, &starts[fi]),
            (None, Some(q), Some(qs)) => (&q.path, &q.text, qs),
            _ => continue,
        };
        if s.span == (0, 0) && s.file.is_none() {
            continue;
        }
        let r = region(path, text, starts, s.span);
        if let Some(Location::File { line, column, .. }) = &mut s.finding.location {
            *line = r.line;
            *column = Some(r.column);
        }
        regions.push(r);
    }
    regions
}

/// Statements that did not parse (and were not ignored), with a region on
/// the line where reading stopped.
fn parse_problems(
    replay: &Replay,
    files: &[MigrationFile],
    starts: &[Vec<usize>],
    regions: &mut Vec<Region>,
) -> Vec<InputProblem> {
    let mut problems = Vec::new();
    for p in &replay.problems {
        if p.ignored || replay.file_ignores[p.file] == Ignore::All {
            continue;
        }
        let f = &files[p.file];
        problems.push(InputProblem {
            path: f.path.clone(),
            line: p.line,
            message: format!("cannot parse this statement: {}", p.message),
        });
        let line_text = f.text[starts[p.file][p.line - 1]..]
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        regions.push(Region {
            path: f.path.clone(),
            line: p.line,
            column: p.column,
            end_line: p.line,
            end_column: p.column + 1,
            lines: vec![line_text],
        });
    }
    problems
}

/// Copies table sizes and column statistics from a statistics schema.
/// Tables are found through a map built once (a look-up per table of a
/// 50,000-table `--stats` file would be quadratic).
fn merge_statistics(schema: &mut Schema, stats: &Schema) {
    // The first table of a name wins, as in `Schema::table_mut`.
    let pos: HashMap<String, usize> = schema
        .tables
        .iter()
        .enumerate()
        .rev()
        .map(|(i, t)| (t.name.to_ascii_lowercase(), i))
        .collect();
    for st in &stats.tables {
        let key = st.name.trim_matches('"').to_ascii_lowercase();
        let Some(t) = pos.get(&key).map(|i| &mut schema.tables[*i]) else {
            continue;
        };
        t.rows = st.rows.or(t.rows);
        t.bytes = st.bytes.or(t.bytes);
        for sc in &st.columns {
            if let Some(c) = t
                .columns
                .iter_mut()
                .find(|c| c.name.eq_ignore_ascii_case(&sc.name))
            {
                c.n_distinct = sc.n_distinct.or(c.n_distinct);
                c.null_frac = sc.null_frac.or(c.null_frac);
                if !sc.most_common.is_empty() {
                    c.most_common = sc.most_common.clone();
                }
            }
        }
    }
    schema.has_statistics = schema.tables.iter().any(|t| t.rows.is_some());
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
        .collect()
}

fn region(path: &str, text: &str, starts: &[usize], span: (usize, usize)) -> Region {
    let (line, column) = position(text, starts, span.0);
    let (end_line, end_column) = position(text, starts, span.1.max(span.0));
    let lines = text[starts[line - 1]..]
        .lines()
        .take((end_line - line + 1).min(3))
        .map(str::to_string)
        .collect();
    Region {
        path: path.to_string(),
        line,
        column,
        end_line,
        end_column,
        lines,
    }
}

/// The statement's first line (without trailing blanks).
fn first_line(text: &str, s: &Replayed) -> (usize, usize) {
    let stmt = &text[s.start..s.end];
    let len = stmt.find('\n').unwrap_or(stmt.len());
    (s.start, s.start + stmt[..len].trim_end().len())
}

/// Finds a keyword (a whole word, ASCII case-insensitive) in `hay`.
fn find_word(hay: &str, word: &str, from: usize) -> Option<usize> {
    let lower = hay.to_ascii_lowercase();
    let mut at = from;
    while let Some(p) = lower.get(at..)?.find(word) {
        let s = at + p;
        let e = s + word.len();
        let before = s == 0 || !is_ident(lower.as_bytes()[s - 1]);
        let after = e >= lower.len() || !is_ident(lower.as_bytes()[e]);
        if before && after {
            return Some(s);
        }
        at = e;
    }
    None
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'"'
}

/// `CREATE [UNIQUE] INDEX` (where CONCURRENTLY belongs), or the
/// `CONCURRENTLY` that a transaction block forbids.
fn index_keyword_span(text: &str, s: &Replayed, f: &Finding) -> (usize, usize) {
    let stmt = &text[s.start..s.end];
    if f.severity == Severity::Error
        && let Some(p) = find_word(stmt, "concurrently", 0)
    {
        return (s.start + p, s.start + p + "concurrently".len());
    }
    match find_word(stmt, "index", 0) {
        Some(p) => (s.start, s.start + p + "index".len()),
        None => first_line(text, s),
    }
}

/// The index's name in `CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] name`.
fn index_name_span(text: &str, s: &Replayed) -> Option<(usize, usize)> {
    let stmt = &text[s.start..s.end];
    let mut i = find_word(stmt, "index", 0)? + "index".len();
    for w in ["concurrently", "if not exists"] {
        let rest = &stmt[i..];
        let skipped = rest.len() - rest.trim_start().len();
        if rest.trim_start().to_ascii_lowercase().starts_with(w) {
            i += skipped + w.len();
        }
    }
    let rest = &stmt[i..];
    let start = i + (rest.len() - rest.trim_start().len());
    let len = stmt[start..]
        .find(|c: char| c.is_whitespace() || c == '(')
        .unwrap_or(stmt.len() - start);
    (len > 0 && !stmt[start..start + len].eq_ignore_ascii_case("on"))
        .then_some((s.start + start, s.start + start + len))
}

/// `CREATE TABLE name`.
fn table_name_span(text: &str, s: &Replayed) -> Option<(usize, usize)> {
    let stmt = &text[s.start..s.end];
    let p = find_word(stmt, "table", 0)?;
    let mut i = p + "table".len();
    let b = stmt.as_bytes();
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && b[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    if stmt[i..].to_ascii_lowercase().starts_with("if not exists") {
        i += "if not exists".len();
        skip_ws(&mut i);
    }
    let end = i + stmt[i..]
        .find(|c: char| c.is_whitespace() || c == '(')
        .unwrap_or(stmt.len() - i);
    Some((s.start, s.start + end))
}

/// The foreign key's clause: `FOREIGN KEY (cols) REFERENCES t (c)`, or an
/// inline `col type REFERENCES t (c)`.
fn fk_span(text: &str, s: &Replayed, f: &Finding) -> Option<(usize, usize)> {
    let stmt = &text[s.start..s.end];
    let spec = f.index.as_ref()?;
    let cols: Vec<String> = spec
        .keys
        .iter()
        .filter_map(|k| k.column_name().map(str::to_ascii_lowercase))
        .collect();
    let clean = |w: &str| w.trim().trim_matches('"').to_ascii_lowercase();
    let mut from = 0;
    while let Some(p) = find_word(stmt, "foreign", from) {
        from = p + 7;
        let rest = &stmt[from..];
        let open = rest.find('(')?;
        let close = rest[open..].find(')')? + open;
        let listed: Vec<String> = rest[open + 1..close].split(',').map(clean).collect();
        if listed == cols {
            let end = references_end(stmt, from + close).unwrap_or(from + close + 1);
            return Some((s.start + p, s.start + end));
        }
    }
    let mut from = 0;
    while let Some(p) = find_word(stmt, "references", from) {
        from = p + 10;
        let line_start = stmt[..p].rfind('\n').map_or(0, |i| i + 1);
        let seg = &stmt[line_start..p];
        let lead = seg.len() - seg.trim_start().len();
        let first = seg.split_whitespace().next().map(clean);
        if first.as_deref() == cols.first().map(String::as_str) && cols.len() == 1 {
            let end = references_end(stmt, p).unwrap_or(p + 10);
            return Some((s.start + line_start + lead, s.start + end));
        }
    }
    None
}

/// The end of `REFERENCES table [(cols)]` at or after `from`.
fn references_end(stmt: &str, from: usize) -> Option<usize> {
    let p = find_word(stmt, "references", from)?;
    let b = stmt.as_bytes();
    let mut i = p + "references".len();
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'(' && b[i] != b',' {
        i += 1;
    }
    let mut j = i;
    while j < b.len() && b[j].is_ascii_whitespace() {
        j += 1;
    }
    if j < b.len()
        && b[j] == b'('
        && let Some(c) = stmt[j..].find(')')
    {
        return Some(j + c + 1);
    }
    Some(i)
}

/// Statement spans of a queries file by starting line.
fn statement_spans(text: &str) -> HashMap<usize, (usize, usize)> {
    split(text)
        .into_iter()
        .filter(|r| !r.text.is_empty())
        .map(|r| {
            let start = r.text.as_ptr() as usize - text.as_ptr() as usize;
            let first = r.text.find('\n').unwrap_or(r.text.len());
            (r.line, (start, start + r.text[..first].trim_end().len()))
        })
        .collect()
}

/// `-- dbperf:ignore` comments of a queries file, by the line of the
/// statement they precede; line 0 holds `-- dbperf:ignore-file`.
fn ignores_by_line(text: &str) -> HashMap<usize, Ignore> {
    let mut out: HashMap<usize, Ignore> = HashMap::new();
    for raw in split(text) {
        for (line, c) in &raw.comments {
            let Some(rest) = c.strip_prefix("dbperf:") else {
                continue;
            };
            let rest = rest.trim();
            let (key, ids) = if let Some(ids) = rest.strip_prefix("ignore-file") {
                (0, ids)
            } else if let Some(ids) = rest.strip_prefix("ignore") {
                if *line >= raw.line {
                    continue;
                }
                (raw.line, ids)
            } else {
                continue;
            };
            out.entry(key).or_default().add(ids);
        }
    }
    out
}

/// Reads `--queries`: SQL statements (with `-- calls: N`), or the JSON
/// report of `dbperf analyze`/`advise` (its `queries`).
pub fn read_queries(path: &Path) -> Result<Queries> {
    let name = migrations::display_path(path);
    let bytes = std::fs::read(path).map_err(|e| Error::io(&name, e))?;
    let text = crate::source::decode(&name, bytes)?;
    parse_queries(name, text)
}

fn parse_queries(name: String, text: String) -> Result<Queries> {
    if !text.trim_start().starts_with('{') {
        let (list, problems) = crate::source::workload::parse(&name, &text);
        if let Some(p) = problems.into_iter().next() {
            return Err(p);
        }
        return Ok(Queries {
            path: name,
            text,
            list,
        });
    }
    let list = crate::source::workload::parse_report(&name, &text)?;
    Ok(Queries {
        path: name,
        text: String::new(),
        list,
    })
}

fn glob_set(patterns: &[String]) -> Result<GlobSet> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        let g = Glob::new(p).map_err(|e| Error::Usage(format!("exclude pattern `{p}`: {e}")))?;
        b.add(g);
    }
    b.build()
        .map_err(|e| Error::Usage(format!("exclude patterns: {e}")))
}

/// Runs `dbperf lint` as configured: finds, reads and checks the
/// migrations (and `--queries`, `--stats`), narrowed to what changed since
/// a git reference when asked. Files that cannot be read are input
/// problems of the report; the command exits 2 after showing it.
pub fn run(task: &LintTask) -> Result<Report> {
    let opts = &task.options;
    let exclude = glob_set(&task.exclude)?;
    let paths = migrations::discover(&task.paths, task.order, &exclude)?;
    if paths.is_empty() {
        return Err(Error::Usage(format!(
            "no .sql migration files under {}",
            task.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let mut files = Vec::new();
    let mut read_problems = Vec::new();
    for p in &paths {
        match migrations::read(p) {
            Ok(f) => files.push(f),
            Err(e) => read_problems.push(InputProblem::from_error(e, &migrations::display_path(p))),
        }
    }
    let queries = task.queries.as_deref().map(read_queries).transpose()?;
    let mut notes = Vec::new();
    let stats = match &task.stats {
        Some(p) => {
            let text = crate::source::read_text(&crate::source::Input::File(p.clone()))?;
            let (schema, problems) = parse_schema(&text.name, &text.text, opts.dialect);
            notes.extend(problems.iter().map(|e| format!("--stats: {e}")));
            Some(schema)
        }
        None => None,
    };

    let mut outcome = lint(&files, queries.as_ref(), stats.as_ref(), opts);
    if let Some(reference) = &task.changed_since {
        let changed: HashSet<PathBuf> = migrations::changed_since(reference)?
            .into_iter()
            .filter_map(|p| p.canonicalize().ok())
            .collect();
        let is_changed = |path: &Path| {
            path.canonicalize()
                .ok()
                .is_some_and(|c| changed.contains(&c))
        };
        let changed_files: HashSet<String> = paths
            .iter()
            .filter(|p| is_changed(p))
            .map(|p| migrations::display_path(p))
            .collect();
        let base: Vec<MigrationFile> = files
            .iter()
            .filter(|f| !changed_files.contains(&f.path))
            .cloned()
            .collect();
        let before = lint(&base, queries.as_ref(), stats.as_ref(), opts);
        // Findings the unchanged files already had are not new (the key
        // names no line of a changed file, so shifted lines do not matter).
        let key = |f: &Finding| {
            (
                f.rule,
                f.message.clone(),
                f.location.as_ref().map(|l| l.to_string()),
            )
        };
        let old: HashSet<_> = before.findings.iter().map(key).collect();
        let total = outcome.findings.len();
        outcome.findings.retain(|f| !old.contains(&key(f)));
        outcome.problems.retain(|p| changed_files.contains(&p.path));
        read_problems.retain(|p| changed_files.contains(&p.path));
        notes.push(format!(
            "--changed-since {reference}: {} of {} migration files changed; {} of {total} findings are new",
            changed_files.len(),
            files.len(),
            outcome.findings.len()
        ));
    }
    notes.insert(
        0,
        format!(
            "replayed {} migration file{} ({} catalog statements)",
            files.len(),
            if files.len() == 1 { "" } else { "s" },
            outcome.statements
        ),
    );
    notes.extend(outcome.notes);
    if let Some(p) = &task.settings {
        notes.push(format!("settings from {}", p.display()));
    }

    let mut report = Report::new("lint");
    report.findings = outcome.findings;
    report.indexes = outcome.indexes;
    report.queries = outcome.queries;
    report.regions = outcome.regions;
    report.notes = notes;
    report.input_problems = read_problems;
    report.input_problems.extend(outcome.problems);

    Ok(report)
}

/// Helpers for the rules' tests: each string is one migration file.
#[cfg(test)]
pub mod testing {
    use super::*;

    fn files(sqls: &[&str]) -> Vec<MigrationFile> {
        sqls.iter()
            .enumerate()
            .map(|(i, s)| migrations::from_text(format!("{}.sql", i + 1), s))
            .collect()
    }

    /// The findings of `rule`, rendered as the text report shows them.
    fn render(outcome: Outcome, rule: &str) -> String {
        let mut report = Report::new("lint");
        report.findings = outcome
            .findings
            .into_iter()
            .filter(|f| f.rule == rule)
            .collect();
        if report.findings.is_empty() {
            return String::new();
        }
        report.regions = outcome.regions;
        let mut out = Vec::new();
        crate::report::lint_text::write(&report, false, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Asserts that `rule` reports something; returns the rendered findings.
    pub fn lint_errors(rule: &str, sqls: &[&str]) -> String {
        let text = render(
            lint(&files(sqls), None, None, &LintOptions::default()),
            rule,
        );
        assert!(!text.is_empty(), "{rule} reported nothing on {sqls:?}");
        text
    }

    /// Asserts that `rule` reports nothing.
    pub fn lint_ok(rule: &str, sqls: &[&str]) {
        let text = render(
            lint(&files(sqls), None, None, &LintOptions::default()),
            rule,
        );
        assert!(text.is_empty(), "{rule} reported on {sqls:?}:\n{text}");
    }

    /// The rendered findings of `rule` with `queries` as the workload.
    pub fn lint_with_queries(rule: &str, sqls: &[&str], queries: &str) -> String {
        let q = parse_queries("queries.sql".into(), queries.to_string()).unwrap();
        render(
            lint(&files(sqls), Some(&q), None, &LintOptions::default()),
            rule,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;

    #[test]
    fn fk_counts_an_index_created_later_and_not_one_dropped_later() {
        let parent = "CREATE TABLE customers (id bigint PRIMARY KEY);";
        let child = "CREATE TABLE orders (id bigint PRIMARY KEY,\n    customer_id bigint REFERENCES customers (id));";
        let text = lint_errors("fk-without-index", &[parent, child]);
        insta::assert_snapshot!(text);
        lint_ok(
            "fk-without-index",
            &[
                parent,
                child,
                "CREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id) WHERE customer_id IS NOT NULL;",
            ],
        );
        lint_errors(
            "fk-without-index",
            &[
                parent,
                child,
                "CREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id);",
                "DROP INDEX CONCURRENTLY orders_customer_id_idx;",
            ],
        );
    }

    #[test]
    fn queries_get_missing_index_without_declared_sizes_and_wrapped_columns() {
        let schema = "CREATE TABLE users (id bigint PRIMARY KEY, email text UNIQUE, name text);";
        let q = "SELECT id FROM users WHERE name = $1;\nSELECT id FROM users WHERE lower(email) = lower($1);";
        // No size declared: assumed large.
        assert!(!lint_with_queries("missing-index", &[schema], q).is_empty());
        // Declared small: opts out.
        let small = format!("-- dbperf: users rows=500\n{schema}");
        assert_eq!(lint_with_queries("missing-index", &[&small], q), "");
        // lower(email) against the plain unique index on email.
        let text = lint_with_queries("function-on-indexed-column", &[schema], q);
        assert!(text.contains("lower(email)"), "{text}");
    }

    #[test]
    fn duplicate_index_on_the_replayed_schema() {
        let text = lint_errors(
            "duplicate-index",
            &[
                "CREATE TABLE t (id bigint PRIMARY KEY, a int, b int);\nCREATE INDEX t_a ON t (a);\nCREATE INDEX t_a_b ON t (a, b);",
            ],
        );
        insta::assert_snapshot!(text);
        lint_ok(
            "duplicate-index",
            &[
                "CREATE TABLE t (id bigint PRIMARY KEY, a int, b int);\nCREATE INDEX t_a ON t (a);\nCREATE INDEX t_b_a ON t (b, a);",
            ],
        );
        // The leading column of a composite primary key: the narrower
        // index is the smaller one (what dbperf advise may propose).
        lint_ok(
            "duplicate-index",
            &[
                "CREATE TABLE li (o bigint, n int, q int, PRIMARY KEY (o, n));\nCREATE INDEX li_o ON li (o);",
            ],
        );
        lint_errors(
            "duplicate-index",
            &["CREATE TABLE li (o bigint PRIMARY KEY, q int);\nCREATE INDEX li_o ON li (o);"],
        );
    }
}
