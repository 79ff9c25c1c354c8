//! `dbperf.toml`: settings a project keeps beside its migrations, found by
//! walking up from the current directory (the way cargo finds
//! `Cargo.toml`). Flags given on the command line win over it.
//!
//! ```toml
//! [lint]
//! select = ["fk-without-index", "non-concurrent-index"]  # default: every lint rule
//! ignore = ["no-primary-key"]
//! exclude = ["db/migrations/legacy/**"]                   # globs on the paths as found
//! fail-on = "error"                                       # info, warning, error, never
//! large-table-rows = 100000   # missing-index: tables at least this large
//! order = "auto"              # auto, name, given
//! dialect = "postgres"
//! queries = "db/queries.sql"  # relative to this file
//! stats = "db/stats.sql"
//!
//! [lint.severity]
//! duplicate-index = "info"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

pub const FILE_NAME: &str = "dbperf.toml";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    pub lint: LintSection,
    /// Where it was read from.
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LintSection {
    pub select: Option<Vec<String>>,
    #[serde(default)]
    pub ignore: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    pub fail_on: Option<String>,
    pub large_table_rows: Option<f64>,
    pub order: Option<String>,
    pub dialect: Option<String>,
    pub queries: Option<PathBuf>,
    pub stats: Option<PathBuf>,
    #[serde(default)]
    pub severity: BTreeMap<String, String>,
}

/// The nearest `dbperf.toml` in `start` or one of its parents.
pub fn find(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        let candidate = d.join(FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        dir = d.parent();
    }
    None
}

/// Reads and checks a configuration file; a mistake names its line.
pub fn load(path: &Path) -> Result<FileConfig> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(&name, e))?;
    let mut c = parse(&name, &text)?;
    c.path = Some(path.to_path_buf());
    Ok(c)
}

pub fn parse(name: &str, text: &str) -> Result<FileConfig> {
    toml::from_str::<FileConfig>(text).map_err(|e| {
        let line = e.span().map_or(0, |s| {
            text[..s.start.min(text.len())].matches('\n').count() + 1
        });
        Error::input(name, line, e.message().trim().to_string())
    })
}

impl FileConfig {
    /// A path the file names, relative to the file's directory.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        match self.path.as_ref().and_then(|f| f.parent()) {
            Some(dir) if p.is_relative() && !dir.as_os_str().is_empty() => dir.join(p),
            _ => p.to_path_buf(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_lint_section_and_names_the_line_of_a_mistake() {
        let c = parse(
            "dbperf.toml",
            "[lint]\nignore = [\"no-primary-key\"]\nlarge-table-rows = 5000\n[lint.severity]\nduplicate-index = \"info\"\n",
        )
        .unwrap();
        assert_eq!(c.lint.ignore, ["no-primary-key"]);
        assert_eq!(c.lint.large_table_rows, Some(5000.0));
        assert_eq!(c.lint.severity["duplicate-index"], "info");
        let e = parse("dbperf.toml", "[lint]\n\nselekt = []\n").unwrap_err();
        assert!(e.to_string().starts_with("dbperf.toml:3:"), "{e}");
    }
}
