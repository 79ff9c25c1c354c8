//! Findings as every stage sees them: what a rule found ([`Finding`]),
//! how bad it is ([`Severity`]), where its evidence is ([`Location`]), and
//! what a rule declares about itself ([`RuleMeta`]). The rules make them,
//! the analyses collect them and the reports render them.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::model::index::IndexSpec;

/// How bad a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Ok(Severity::Info),
            "warning" | "warn" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            _ => Err(format!(
                "unknown severity `{s}` (expected info, warning or error)"
            )),
        }
    }
}

/// Where the evidence for a finding is.
#[derive(Debug, Clone, PartialEq)]
pub enum Location {
    /// A node of a plan: its pre-order id and its title.
    PlanNode { id: usize, title: String },
    /// A part of a plan that is no node: `JIT`, `Planning`, `Triggers`.
    Plan { part: String },
    /// A line (and column) of an input file.
    File {
        path: String,
        line: usize,
        column: Option<usize>,
    },
    /// A line of a log file.
    LogLine { path: String, line: usize },
    /// A table (or one of its indexes) of the schema.
    Table {
        table: String,
        index: Option<String>,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::PlanNode { id, title } => write!(f, "node #{id} {title}"),
            Location::Plan { part } => write!(f, "plan {part}"),
            Location::File { path, line, column } => match column {
                Some(c) => write!(f, "{path}:{line}:{c}"),
                None => write!(f, "{path}:{line}"),
            },
            Location::LogLine { path, line } => write!(f, "{path}:{line}"),
            Location::Table { table, index } => match index {
                Some(i) => write!(f, "table {table}, index {i}"),
                None => write!(f, "table {table}"),
            },
        }
    }
}

/// In JSON a location is an object with a `kind` and a `display` string, so
/// scripts can both branch on it and print it.
impl Serialize for Location {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        match self {
            Location::PlanNode { id, title } => {
                m.serialize_entry("kind", "plan_node")?;
                m.serialize_entry("node", id)?;
                m.serialize_entry("title", title)?;
            }
            Location::Plan { part } => {
                m.serialize_entry("kind", "plan")?;
                m.serialize_entry("part", part)?;
            }
            Location::File { path, line, column } => {
                m.serialize_entry("kind", "file")?;
                m.serialize_entry("path", path)?;
                m.serialize_entry("line", line)?;
                m.serialize_entry("column", column)?;
            }
            Location::LogLine { path, line } => {
                m.serialize_entry("kind", "log_line")?;
                m.serialize_entry("path", path)?;
                m.serialize_entry("line", line)?;
            }
            Location::Table { table, index } => {
                m.serialize_entry("kind", "table")?;
                m.serialize_entry("table", table)?;
                m.serialize_entry("index", index)?;
            }
        }
        m.serialize_entry("display", &self.to_string())?;
        m.end()
    }
}

/// One thing dbperf found, with its evidence and what to do about it.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    pub advice: String,
    /// Time the fix could save, in milliseconds, when it can be estimated.
    pub impact_ms: Option<f64>,
    pub query_fingerprint: Option<String>,
    pub location: Option<Location>,
    /// An index that would fix it; the advisor merges these into `indexes`.
    #[serde(skip)]
    pub index: Option<IndexSpec>,
    /// Indexes the fix needs beside `index` (one per branch of an OR,
    /// which PostgreSQL combines in a BitmapOr).
    #[serde(skip)]
    pub also: Vec<IndexSpec>,
    /// `index` serves the statement only once it is rewritten as `advice`
    /// says (the bare column of a cast that cannot be indexed).
    #[serde(skip)]
    pub index_after_rewrite: bool,
}

impl Finding {
    pub fn new(meta: &RuleMeta, message: impl Into<String>, advice: impl Into<String>) -> Self {
        Finding {
            rule: meta.id,
            severity: meta.severity,
            message: message.into(),
            advice: advice.into(),
            impact_ms: None,
            query_fingerprint: None,
            location: None,
            index: None,
            also: Vec::new(),
            index_after_rewrite: false,
        }
    }

    pub fn severity(mut self, s: Severity) -> Self {
        self.severity = s;
        self
    }

    pub fn impact(mut self, ms: Option<f64>) -> Self {
        self.impact_ms = ms;
        self
    }

    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    pub fn with_index(mut self, index: Option<IndexSpec>) -> Self {
        self.index = index;
        self
    }

    /// `index` serves only once the statement is rewritten as the advice
    /// says.
    pub fn after_rewrite(mut self, yes: bool) -> Self {
        self.index_after_rewrite = yes;
        self
    }

    /// The indexes a fix needs together: the first is `index`, the rest `also`.
    pub fn with_indexes(mut self, mut indexes: Vec<IndexSpec>) -> Self {
        if indexes.is_empty() {
            return self;
        }
        self.also = indexes.split_off(1);
        self.index = indexes.pop();
        self
    }
}

/// What every rule declares about itself.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable kebab-case id (`seq-scan`).
    pub id: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// One line for `dbperf rules`.
    pub summary: &'static str,
    /// The rule's doc comment, verbatim: its documentation page.
    pub doc: &'static str,
}

impl RuleMeta {
    /// The documentation page as Markdown: `# id`, the summary, then the doc
    /// comment with the one leading space of `///` removed.
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "# {}\n\n{}\n\nDefault severity: {}.\n",
            self.id, self.summary, self.severity
        );
        out.push('\n');
        for line in self.doc.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        while out.ends_with("\n\n") {
            out.pop();
        }
        out
    }

    /// The same page as plain text, for viewers that show no Markdown
    /// (SARIF's `help.text`): headings end with a colon (or their `?`), code is indented
    /// four spaces instead of fenced.
    pub fn plain_text(&self) -> String {
        let mut out = String::new();
        let mut code = false;
        for line in self.markdown().lines() {
            if line.starts_with("```") {
                code = !code;
            } else if code {
                out.push_str(&format!("    {line}\n"));
            } else if let Some(h) = line.strip_prefix("## ") {
                let colon = if h.ends_with('?') { "" } else { ":" };
                out.push_str(&format!("{h}{colon}\n"));
            } else if let Some(h) = line.strip_prefix("# ") {
                out.push_str(&format!("{h}\n"));
            } else {
                out.push_str(line);
                out.push('\n');
            }
        }
        out.trim_end().to_string()
    }
}
