//! The checked configuration: flags turned into a [`Config`] whose every
//! combination is valid, before any input is read or connection opened.

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::model::Dialect;
use crate::model::advice::SetLimits;
pub use crate::model::report::Format;
pub use crate::source::Input;

pub mod file;

pub use crate::analysis::lint::{LintOptions, LintTask};
use crate::cli::{
    Cli, ColorArg, Command, DialectArg, LintArgs, LintFormat, ListFormat, OrderArg, ReportFormat,
    SeverityArg,
};
use crate::detect::Severity;
use crate::error::{Error, Result};
use crate::source::migrations::Order;
use crate::source::target::Target;
use file::FileConfig;

#[derive(Debug, Clone)]
pub enum Task {
    Explain {
        input: Input,
        db: Option<String>,
        schema: Option<PathBuf>,
    },
    /// `explain --compare BEFORE AFTER`.
    ExplainCompare {
        before: Input,
        after: Input,
        schema: Option<PathBuf>,
    },
    Advise {
        queries: PathBuf,
        schema: Option<PathBuf>,
        db: Option<String>,
        dialect: Option<Dialect>,
        limits: SetLimits,
    },
    Analyze(AnalyzeTask),
    Lint(LintTask),
    Rules,
    Rule {
        id: String,
    },
    /// A shell completion script for the command line `cli` describes.
    Completions {
        shell: clap_complete::Shell,
        cli: Box<clap::Command>,
    },
    /// The manual page of the command line `cli` describes.
    Man {
        cli: Box<clap::Command>,
    },
}

/// What `dbperf analyze` analyses, resolved from `--demo`, `--db` and
/// `--log` before any work starts.
#[derive(Debug, Clone)]
pub enum AnalyzeTask {
    /// The embedded demo shop database, in `--demo-dir` (else the user's
    /// cache directory).
    Demo { dir: Option<PathBuf> },
    /// A SQLite file with its workload (`--queries`, `--log` traces).
    Sqlite {
        path: PathBuf,
        queries: Option<PathBuf>,
        logs: Vec<PathBuf>,
    },
    /// Slow-query logs, advised against a live PostgreSQL when `db` is set.
    Log {
        logs: Vec<PathBuf>,
        /// `log_line_prefix` of stderr logs, when not inferred.
        prefix: Option<String>,
        /// Runs of one statement an N+1 loop needs.
        n_plus_one: u64,
        db: Option<String>,
        /// Saved digests to merge (`--digest`).
        digests: Vec<PathBuf>,
        /// Where to save the digest (`--save-digest`).
        save_digest: Option<PathBuf>,
    },
    /// A live PostgreSQL database.
    Postgres {
        db: String,
        snapshot: Option<PathBuf>,
        top: usize,
        limits: SetLimits,
    },
}

#[derive(Debug, Clone)]
pub struct Config {
    pub format: Format,
    pub output: Option<PathBuf>,
    /// `None`: findings never fail the run.
    pub fail_on: Option<Severity>,
    pub color: bool,
    /// Nothing on standard error but errors.
    pub quiet: bool,
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
        let format = match &cli.command {
            Command::Explain(a) => report_format(a.format),
            Command::Advise(a) => report_format(a.format),
            Command::Analyze(a) => report_format(a.format),
            Command::Lint(a) => match a.format.unwrap_or(LintFormat::Text) {
                LintFormat::Text => Format::Text,
                LintFormat::Json => Format::Json,
                LintFormat::Markdown => Format::Markdown,
                LintFormat::Html => Format::Html,
                LintFormat::Sarif => Format::Sarif,
                LintFormat::Github => Format::Github,
            },
            Command::Rules {
                format: Some(ListFormat::Json),
            } => Format::Json,
            _ => Format::Text,
        };
        // `-o -` is standard output, as in most tools.
        let output = g.output.filter(|p| p.as_os_str() != "-");
        let mut fail_on = match g.fail_on {
            Some(SeverityArg::Never) => None,
            Some(SeverityArg::Info) => Some(Severity::Info),
            Some(SeverityArg::Warning) => Some(Severity::Warning),
            Some(SeverityArg::Error) => Some(Severity::Error),
            None if is_lint => Some(Severity::Warning),
            None => None,
        };
        let when = match (g.color, g.no_color) {
            (_, true) => ColorArg::Never,
            (Some(c), false) => c,
            (None, false) => ColorArg::Auto,
        };
        // A report written to a file is coloured only when asked outright.
        let color = format == Format::Text
            && (output.is_none() || when == ColorArg::Always)
            && use_color(
                when,
                output.is_none() && std::io::stdout().is_terminal(),
                |k| std::env::var_os(k).map(|v| v.to_string_lossy().into_owned()),
            );
        let task = match cli.command {
            Command::Explain(a) => {
                if a.db.is_some() && a.schema.is_some() {
                    return Err(Error::Usage("give --db or --schema, not both".into()));
                }
                match a.compare {
                    Some(pair) => {
                        let [before, after] = <[PathBuf; 2]>::try_from(pair).map_err(|_| {
                            Error::Usage("--compare takes two plans: BEFORE AFTER".into())
                        })?;
                        Task::ExplainCompare {
                            before: Input::from_arg(Some(before)),
                            after: Input::from_arg(Some(after)),
                            schema: a.schema,
                        }
                    }
                    None => Task::Explain {
                        input: Input::from_arg(a.file),
                        db: a.db,
                        schema: a.schema,
                    },
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
                    limits: limits(a.budget.as_deref(), a.max_indexes)?,
                }
            }
            Command::Analyze(a) => {
                if a.n_plus_one < 2 {
                    return Err(Error::Usage("--n-plus-one needs at least 2 runs".into()));
                }
                if a.save_digest.is_some() && a.log.is_empty() && a.digest.is_empty() {
                    return Err(Error::Usage(
                        "--save-digest needs --log FILE… or --digest FILE…".into(),
                    ));
                }
                if a.db.is_none() && a.log.is_empty() && a.digest.is_empty() && !a.demo {
                    return Err(Error::Usage(
                        "`dbperf analyze` needs --db URL, --log FILE…, --digest FILE… or --demo"
                            .into(),
                    ));
                }
                Task::Analyze(analyze_task(a)?)
            }
            Command::Lint(a) => {
                let (task, fail) = lint_task(a, g.fail_on.is_some())?;
                if g.fail_on.is_none() {
                    fail_on = fail;
                }
                Task::Lint(task)
            }
            Command::Rules { .. } => Task::Rules,
            Command::Rule { id } => Task::Rule { id },
            Command::Completions { shell } => Task::Completions {
                shell,
                cli: Box::new(<Cli as clap::CommandFactory>::command()),
            },
            Command::Man => Task::Man {
                cli: Box::new(<Cli as clap::CommandFactory>::command()),
            },
        };
        Ok(Config {
            format,
            output,
            fail_on,
            color,
            quiet: g.quiet,
            task,
        })
    }
}

fn report_format(f: Option<ReportFormat>) -> Format {
    match f.unwrap_or(ReportFormat::Text) {
        ReportFormat::Text => Format::Text,
        ReportFormat::Json => Format::Json,
        ReportFormat::Markdown => Format::Markdown,
        ReportFormat::Html => Format::Html,
    }
}

/// Whether the text report is coloured. `--color always|never` decide;
/// under `auto`, as most command-line tools agree: a non-empty `NO_COLOR`
/// turns colour off, then a `CLICOLOR_FORCE` or `FORCE_COLOR` other than
/// `0` turns it on, then colour goes to a terminal (not `TERM=dumb`) only.
pub fn use_color(when: ColorArg, terminal: bool, env: impl Fn(&str) -> Option<String>) -> bool {
    let set = |k: &str| env(k).is_some_and(|v| !v.is_empty());
    let forced = |k: &str| env(k).is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    match when {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto if set("NO_COLOR") => false,
        ColorArg::Auto if forced("CLICOLOR_FORCE") || forced("FORCE_COLOR") => true,
        ColorArg::Auto => terminal && env("TERM").is_none_or(|t| t != "dumb"),
    }
}

/// `--budget SIZE` and `--max-indexes N` as the advisor's bounds.
fn limits(budget: Option<&str>, max_indexes: Option<usize>) -> Result<SetLimits> {
    let budget_bytes = budget.map(parse_size).transpose()?;
    if max_indexes == Some(0) {
        return Err(Error::Usage("--max-indexes needs at least 1".into()));
    }
    Ok(SetLimits {
        budget_bytes,
        max_indexes,
    })
}

/// A size as PostgreSQL prints it: `500MB`, `1.5 GB`, `800kB`, `2TB`, or
/// bytes (units of 1024).
fn parse_size(s: &str) -> Result<f64> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| Error::Usage(format!("--budget {s}: not a size (e.g. 500MB, 2GB)")))?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" | "bytes" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" | "tib" => 1024.0f64.powi(4),
        _ => {
            return Err(Error::Usage(format!(
                "--budget {s}: unknown unit (use kB, MB, GB or TB)"
            )));
        }
    };
    if !(n * mult).is_finite() || n <= 0.0 {
        return Err(Error::Usage(format!("--budget {s}: must be more than 0")));
    }
    Ok(n * mult)
}

fn analyze_task(a: crate::cli::AnalyzeArgs) -> Result<AnalyzeTask> {
    if a.demo {
        return Ok(AnalyzeTask::Demo { dir: a.demo_dir });
    }
    let target = a.db.as_deref().map(Target::parse).transpose()?;
    Ok(match target {
        // A SQLite trace given with --log is the workload of that file.
        Some(Target::Sqlite(path)) => AnalyzeTask::Sqlite {
            path,
            queries: a.queries,
            logs: a.log,
        },
        // With a PostgreSQL --db, the logged workload is advised against its
        // live catalog and verified with HypoPG; without, advice is heuristic.
        db if !a.log.is_empty() || !a.digest.is_empty() => AnalyzeTask::Log {
            logs: a.log,
            prefix: a.prefix,
            n_plus_one: a.n_plus_one,
            digests: a.digest,
            save_digest: a.save_digest,
            db: match db {
                Some(Target::Postgres(url)) => Some(url),
                _ => None,
            },
        },
        Some(Target::Postgres(db)) => AnalyzeTask::Postgres {
            db,
            snapshot: a.snapshot,
            top: a.top,
            limits: limits(a.budget.as_deref(), a.max_indexes)?,
        },
        None => {
            return Err(Error::Usage(
                "`dbperf analyze` needs --db URL, --log FILE… or --demo".into(),
            ));
        }
    })
}

/// Merges lint's flags with `dbperf.toml` (found by walking up from the
/// current directory unless `--config`/`--no-config` say otherwise); flags
/// win. Returns the task and the file's `fail-on` (default `warning`).
fn lint_task(a: LintArgs, fail_on_given: bool) -> Result<(LintTask, Option<Severity>)> {
    if a.config.is_some() && a.no_config {
        return Err(Error::Usage(
            "give --config or --no-config, not both".into(),
        ));
    }
    let file = if a.no_config {
        FileConfig::default()
    } else if let Some(p) = &a.config {
        file::load(p)?
    } else {
        let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
        match file::find(&cwd) {
            Some(p) => file::load(&p)?,
            None => FileConfig::default(),
        }
    };
    let fl = &file.lint;
    let mut options = LintOptions {
        dialect: match (dialect(a.dialect), &fl.dialect) {
            (Some(d), _) => d,
            (None, Some(s)) => dialect_name(s)?,
            (None, None) => Dialect::Postgres,
        },
        ..LintOptions::default()
    };
    options.select = if a.select.is_empty() {
        fl.select.clone()
    } else {
        Some(a.select.clone())
    };
    options.ignore = fl.ignore.iter().chain(&a.ignore).cloned().collect();
    if let Some(sel) = &options.select {
        lint_rule_ids(sel, "select")?;
    }
    lint_rule_ids(&options.ignore, "ignore")?;
    for (id, sev) in &fl.severity {
        lint_rule_ids(std::slice::from_ref(id), "[lint.severity]")?;
        let sev: Severity = sev.parse().map_err(Error::Usage)?;
        options.severity.insert(id.clone(), sev);
    }
    if let Some(n) = fl.large_table_rows {
        options.large_table_rows = n;
    }
    let fail_on = if fail_on_given {
        None
    } else {
        match fl.fail_on.as_deref() {
            Some("never") => None,
            Some(s) => Some(s.parse::<Severity>().map_err(Error::Usage)?),
            None => Some(Severity::Warning),
        }
    };
    let order = match (a.order, &fl.order) {
        (Some(o), _) => match o {
            OrderArg::Auto => Order::Auto,
            OrderArg::Name => Order::Name,
            OrderArg::Given => Order::Given,
        },
        (None, Some(s)) => s.parse::<Order>().map_err(Error::Usage)?,
        (None, None) => Order::Auto,
    };
    let task = LintTask {
        paths: if a.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            a.paths
        },
        order,
        exclude: fl.exclude.iter().chain(&a.exclude).cloned().collect(),
        queries: a
            .queries
            .or_else(|| fl.queries.as_ref().map(|p| file.resolve(p))),
        stats: a
            .stats
            .or_else(|| fl.stats.as_ref().map(|p| file.resolve(p))),
        changed_since: a.changed_since,
        options,
        settings: file.path.clone(),
    };
    Ok((task, fail_on))
}

/// Checks rule ids given to lint against the registry's lint rules.
fn lint_rule_ids(ids: &[String], what: &str) -> Result<()> {
    let lint_rules: Vec<&str> = crate::detect::lint_rules().map(|r| r.meta().id).collect();
    for id in ids {
        if !lint_rules.contains(&id.as_str()) {
            return Err(Error::Usage(format!(
                "{what}: unknown lint rule `{id}` (lint rules: {})",
                lint_rules.join(", ")
            )));
        }
    }
    Ok(())
}

fn dialect_name(s: &str) -> Result<Dialect> {
    match s.to_ascii_lowercase().as_str() {
        "postgres" | "postgresql" => Ok(Dialect::Postgres),
        "sqlite" => Ok(Dialect::Sqlite),
        "mysql" | "mariadb" => Ok(Dialect::Mysql),
        _ => Err(Error::Usage(format!(
            "unknown dialect `{s}` (postgres, sqlite, mysql)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn color_follows_flag_then_no_color_then_force_then_terminal() {
        use ColorArg::*;
        assert!(use_color(Always, false, env(&[("NO_COLOR", "1")])));
        assert!(!use_color(Never, true, env(&[("FORCE_COLOR", "1")])));
        assert!(use_color(Auto, true, env(&[])));
        assert!(!use_color(Auto, false, env(&[])));
        assert!(!use_color(Auto, true, env(&[("NO_COLOR", "1")])));
        // An empty NO_COLOR does not count (no-color.org).
        assert!(use_color(Auto, true, env(&[("NO_COLOR", "")])));
        assert!(!use_color(
            Auto,
            true,
            env(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")])
        ));
        assert!(use_color(Auto, false, env(&[("CLICOLOR_FORCE", "1")])));
        assert!(use_color(Auto, false, env(&[("FORCE_COLOR", "true")])));
        assert!(!use_color(Auto, false, env(&[("FORCE_COLOR", "0")])));
        assert!(!use_color(Auto, true, env(&[("TERM", "dumb")])));
    }
}
