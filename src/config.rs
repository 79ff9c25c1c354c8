//! The checked configuration: flags turned into a [`Config`] whose every
//! combination is valid, before any input is read or connection opened.

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::model::Dialect;
pub use crate::model::report::Format;
pub use crate::source::Input;
use crate::cli::{Cli, Command, DialectArg, FormatArg, OrderArg, SeverityArg};
use crate::detect::Severity;
use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub enum Task {
    Explain {
        input: Input,
        db: Option<String>,
        schema: Option<PathBuf>,
    },
    Advise {
        queries: PathBuf,
        schema: Option<PathBuf>,
        db: Option<String>,
        dialect: Option<Dialect>,
    },
    Analyze {
        db: Option<String>,
        logs: Vec<PathBuf>,
        queries: Option<PathBuf>,
        snapshot: Option<PathBuf>,
        top: usize,
        demo: bool,
        /// `log_line_prefix` of stderr logs, when not inferred.
        prefix: Option<String>,
        /// Runs of one statement an N+1 loop needs.
        n_plus_one: u64,
    },
    Lint(LintTask),
    Rules,
    Rule {
        id: String,
    },
}

/// `dbperf lint`'s flags; `dbperf.toml` fills what they leave open.
#[derive(Debug, Clone, Default)]
pub struct LintTask {
    pub paths: Vec<PathBuf>,
    pub queries: Option<PathBuf>,
    pub dialect: Option<Dialect>,
    pub order: Option<crate::source::migrations::Order>,
    pub changed_since: Option<String>,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub exclude: Vec<String>,
    pub stats: Option<PathBuf>,
    pub config: Option<PathBuf>,
    pub no_config: bool,
    /// Whether --fail-on was given (else dbperf.toml's, else warning).
    pub fail_on_given: bool,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub format: Format,
    pub output: Option<PathBuf>,
    /// `None`: findings never fail the run.
    pub fail_on: Option<Severity>,
    pub color: bool,
    pub task: Task,
}

fn dialect(d: Option<DialectArg>) -> Option<Dialect> {
    d.map(|d| match d {
        DialectArg::Postgres => Dialect::Postgres,
        DialectArg::Sqlite => Dialect::Sqlite,
        DialectArg::Mysql => Dialect::Mysql,
    })
}

impl Config {
    pub fn from_cli(cli: Cli) -> Result<Config> {
        let g = cli.global;
        let is_lint = matches!(cli.command, Command::Lint(_));
        let format = match g.format.unwrap_or(FormatArg::Text) {
            FormatArg::Text => Format::Text,
            FormatArg::Json => Format::Json,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Sarif if is_lint => Format::Sarif,
            FormatArg::Github if is_lint => Format::Github,
            FormatArg::Sarif | FormatArg::Github => {
                return Err(Error::Usage(
                    "--format sarif and --format github are for `dbperf lint`".into(),
                ));
            }
        };
        let fail_on = match g.fail_on {
            Some(SeverityArg::Never) => None,
            Some(SeverityArg::Info) => Some(Severity::Info),
            Some(SeverityArg::Warning) => Some(Severity::Warning),
            Some(SeverityArg::Error) => Some(Severity::Error),
            None if is_lint => Some(Severity::Warning),
            None => None,
        };
        let color = format == Format::Text
            && g.output.is_none()
            && !g.no_color
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::io::stdout().is_terminal();
        let task = match cli.command {
            Command::Explain(a) => {
                if a.db.is_some() && a.schema.is_some() {
                    return Err(Error::Usage("give --db or --schema, not both".into()));
                }
                Task::Explain {
                    input: Input::from_arg(a.file),
                    db: a.db,
                    schema: a.schema,
                }
            }
            Command::Advise(a) => {
                match (&a.schema, &a.db) {
                    (None, None) => {
                        return Err(Error::Usage(
                            "`dbperf advise` needs --schema FILE or --db URL".into(),
                        ));
                    }
                    (Some(_), Some(_)) => {
                        return Err(Error::Usage("give --schema or --db, not both".into()));
                    }
                    _ => {}
                }
                Task::Advise {
                    queries: a.queries,
                    schema: a.schema,
                    db: a.db,
                    dialect: dialect(a.dialect),
                }
            }
            Command::Analyze(a) => {
                if a.n_plus_one < 2 {
                    return Err(Error::Usage("--n-plus-one needs at least 2 runs".into()));
                }
                if a.db.is_none() && a.log.is_empty() && !a.demo {
                    return Err(Error::Usage(
                        "`dbperf analyze` needs --db URL, --log FILE… or --demo".into(),
                    ));
                }
                Task::Analyze {
                    db: a.db,
                    logs: a.log,
                    queries: a.queries,
                    snapshot: a.snapshot,
                    top: a.top,
                    demo: a.demo,
                    prefix: a.prefix,
                    n_plus_one: a.n_plus_one,
                }
            }
            Command::Lint(a) => {
                if a.config.is_some() && a.no_config {
                    return Err(Error::Usage(
                        "give --config or --no-config, not both".into(),
                    ));
                }
                Task::Lint(LintTask {
                    paths: if a.paths.is_empty() {
                        vec![PathBuf::from(".")]
                    } else {
                        a.paths
                    },
                    queries: a.queries,
                    dialect: dialect(a.dialect),
                    order: a.order.map(|o| match o {
                        OrderArg::Auto => crate::source::migrations::Order::Auto,
                        OrderArg::Name => crate::source::migrations::Order::Name,
                        OrderArg::Given => crate::source::migrations::Order::Given,
                    }),
                    changed_since: a.changed_since,
                    select: a.select,
                    ignore: a.ignore,
                    exclude: a.exclude,
                    stats: a.stats,
                    config: a.config,
                    no_config: a.no_config,
                    fail_on_given: g.fail_on.is_some(),
                })
            }
            Command::Rules => Task::Rules,
            Command::Rule { id } => Task::Rule { id },
        };
        Ok(Config {
            format,
            output: g.output,
            fail_on,
            color,
            task,
        })
    }
}
