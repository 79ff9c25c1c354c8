//! Command-line flags, as clap reads them. Nothing here is trusted yet:
//! [`crate::config::Config::from_cli`] checks it before any work starts.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "dbperf",
    version,
    about = "Finds why database queries are slow and which indexes fix them",
    long_about = None,
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Write the report to FILE instead of standard output (`-` is standard output).
    #[arg(long, short = 'o', global = true, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when a finding at or above this severity is reported
    /// (lint: warning by default; other commands: never unless given).
    #[arg(long, global = true, value_enum)]
    pub fail_on: Option<SeverityArg>,
    /// Colour the text report: auto (on a terminal, unless NO_COLOR is set;
    /// CLICOLOR_FORCE or FORCE_COLOR force it), always, or never.
    #[arg(long, global = true, value_enum, value_name = "WHEN")]
    pub color: Option<ColorArg>,
    /// Same as --color never.
    #[arg(long, global = true, hide = true)]
    pub no_color: bool,
    /// Print nothing on standard error but errors (no progress, no hints).
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// Output formats of `explain`, `advise` and `analyze`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Coloured on a terminal.
    Text,
    /// One document; its schema is docs/report.schema.json.
    Json,
    /// For a ticket or a pull request.
    Markdown,
    /// One self-contained page that opens offline.
    Html,
}

/// Output formats of `lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    /// Each finding with the statement and a caret under it.
    Text,
    /// One document; its schema is docs/report.schema.json.
    Json,
    /// For a ticket or a pull request.
    Markdown,
    /// One self-contained page, findings by file.
    Html,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
}

/// Output formats of `rules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    Info,
    Warning,
    Error,
    /// Never fail on findings.
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DialectArg {
    Postgres,
    Sqlite,
    Mysql,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse one EXPLAIN plan (PostgreSQL text/JSON/YAML/XML, SQLite EXPLAIN QUERY PLAN).
    Explain(ExplainArgs),
    /// Offline index advice for a workload of SQL statements against a schema.
    Advise(AdviseArgs),
    /// Live analysis of a database, or of slow-query logs.
    Analyze(AnalyzeArgs),
    /// Check migration files for missing indexes and index hazards (for CI).
    Lint(LintArgs),
    /// List the rules.
    Rules {
        /// Output format [default: text].
        #[arg(long, value_enum)]
        format: Option<ListFormat>,
    },
    /// Print one rule's documentation.
    Rule {
        /// Rule id, e.g. seq-scan.
        id: String,
    },
    /// Print a shell completion script (e.g. `dbperf completions bash > /etc/bash_completion.d/dbperf`).
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `dbperf man | man -l -`.
    Man,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Output format [default: text].
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// Plan file, or - (the default) for standard input.
    pub file: Option<PathBuf>,
    /// Database for catalog context (existing indexes, table sizes).
    #[arg(long, value_name = "URL")]
    pub db: Option<String>,
    /// DDL file for catalog context.
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// Compare two plans of one statement (before and after a change):
    /// nodes matched across them, with the change in time, rows and buffers.
    #[arg(long, num_args = 2, value_names = ["BEFORE", "AFTER"], conflicts_with_all = ["file", "db"])]
    pub compare: Option<Vec<PathBuf>>,
}

#[derive(Debug, Args)]
pub struct AdviseArgs {
    /// Output format [default: text].
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// SQL statements of the workload (optionally with `-- calls: N`).
    #[arg(long, value_name = "FILE")]
    pub queries: PathBuf,
    /// DDL of the schema.
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// Read the schema and statistics from a database instead.
    #[arg(long, value_name = "URL")]
    pub db: Option<String>,
    /// SQL dialect of the files (default: postgres, or the database's).
    #[arg(long, value_enum)]
    pub dialect: Option<DialectArg>,
    /// Bound the total size of the proposed indexes (e.g. 500MB, 2GB): they
    /// are chosen by time saved per byte, and those cut are listed.
    #[arg(long, value_name = "SIZE")]
    pub budget: Option<String>,
    /// Propose at most N indexes (those cut are listed).
    #[arg(long, value_name = "N")]
    pub max_indexes: Option<usize>,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Output format [default: text].
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// PostgreSQL URL / key=value string, or sqlite:PATH / a SQLite file.
    #[arg(long, value_name = "URL")]
    pub db: Option<String>,
    /// Slow-query log files (.gz read transparently; - for stdin).
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub log: Vec<PathBuf>,
    /// Workload as SQL statements (SQLite, or to add to the logs).
    #[arg(long, value_name = "FILE")]
    pub queries: Option<PathBuf>,
    /// Keep pg_stat_statements snapshots here and report the delta since the last one.
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// Number of top statements to plan.
    #[arg(long, default_value_t = 100)]
    pub top: usize,
    /// Bound the total size of the proposed indexes (e.g. 500MB, 2GB): they
    /// are chosen by time saved per byte, and those cut are listed.
    #[arg(long, value_name = "SIZE")]
    pub budget: Option<String>,
    /// Propose at most N indexes (those cut are listed).
    #[arg(long, value_name = "N")]
    pub max_indexes: Option<usize>,
    /// log_line_prefix of PostgreSQL stderr logs (inferred when not given),
    /// e.g. '%m [%p] %q%u@%d '.
    #[arg(long, value_name = "PREFIX")]
    pub prefix: Option<String>,
    /// Write the logs' digest (per-statement counters, percentile sketches,
    /// plans, events) to FILE as JSON, for --digest.
    #[arg(long, value_name = "FILE")]
    pub save_digest: Option<PathBuf>,
    /// Digests written by --save-digest (per file, host or day): merged, with
    /// --log's if given, and reported without reading the logs again.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub digest: Vec<PathBuf>,
    /// Runs of one statement in one session that make an N+1 loop.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub n_plus_one: u64,
    /// Run the embedded demo: build the demo SQLite database if missing and analyse it.
    #[arg(long)]
    pub demo: bool,
    /// Where --demo keeps its database (default: $XDG_CACHE_HOME/dbperf or ~/.cache/dbperf).
    #[arg(long, value_name = "DIR", requires = "demo")]
    pub demo_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Output format [default: text].
    #[arg(long, value_enum)]
    pub format: Option<LintFormat>,
    /// Migration files or directories.
    pub paths: Vec<PathBuf>,
    /// The application's statements to check against the final schema
    /// (SQL, or the JSON report of `dbperf analyze`).
    #[arg(long, value_name = "FILE")]
    pub queries: Option<PathBuf>,
    #[arg(long, value_enum)]
    pub dialect: Option<DialectArg>,
    /// Order of the migrations: auto (the tools' version order), name, or given.
    #[arg(long, value_enum)]
    pub order: Option<OrderArg>,
    /// Report only findings introduced by files changed since this git ref
    /// (all files are still replayed).
    #[arg(long, value_name = "REF")]
    pub changed_since: Option<String>,
    /// Run only these rules (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Vec<String>,
    /// Do not run these rules (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,
    /// Leave out files matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Table sizes and column statistics: a schema file with `-- dbperf:` comments.
    #[arg(long, value_name = "FILE")]
    pub stats: Option<PathBuf>,
    /// Settings file (default: the nearest dbperf.toml from the current directory up).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Do not read dbperf.toml.
    #[arg(long)]
    pub no_config: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OrderArg {
    Auto,
    Name,
    Given,
}
