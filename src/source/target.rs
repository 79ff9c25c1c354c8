//! Which database a `--db` string names, and how to print it safely.
//!
//! `postgres://` / `postgresql://` URLs and libpq `key=value` strings are
//! PostgreSQL; `sqlite:PATH`, or a path to an existing file that starts with
//! SQLite's header, is SQLite. Anything shown to the user goes through
//! [`redact`], so a password never reaches output, errors or logs.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A libpq connection string or URL, as given (secrets included: never print it).
    Postgres(String),
    Sqlite(PathBuf),
}

impl Target {
    /// Recognises the kind of target. Errors never quote the string: a
    /// mistyped scheme (`mysql://`, `postgre://`) is named by its scheme
    /// alone, and a path is shown only when it cannot be a URL's credentials.
    pub fn parse(s: &str) -> Result<Target> {
        let t = s.trim();
        if t.starts_with("postgres://") || t.starts_with("postgresql://") {
            return Ok(Target::Postgres(t.to_string()));
        }
        if let Some(rest) = t.strip_prefix("sqlite://") {
            // `sqlite:///abs/path` or `sqlite://rel/path`; a user or
            // password has no place in a SQLite target.
            let authority = rest.split('/').next().unwrap_or("");
            if authority.contains('@') {
                return Err(Error::Usage(
                    "--db: a sqlite: target is a file path and takes no user or password: write sqlite:PATH (the string is not shown: it may hold a password)".into(),
                ));
            }
            return Ok(Target::Sqlite(PathBuf::from(rest)));
        }
        if let Some(p) = t.strip_prefix("sqlite:") {
            return Ok(Target::Sqlite(PathBuf::from(p)));
        }
        if let Some(scheme) = url_scheme(t) {
            let hint = if scheme.starts_with("postg") || scheme == "pg" || scheme == "psql" {
                " (did you mean postgres://?)"
            } else {
                ""
            };
            return Err(Error::Usage(format!(
                "--db: `{scheme}://` URLs are not supported{hint}: dbperf reads PostgreSQL (postgres://…, postgresql://… or key=value) and SQLite (sqlite:PATH or a file); the string is not shown, as it may hold a password"
            )));
        }
        if looks_like_libpq(t) {
            return Ok(Target::Postgres(t.to_string()));
        }
        let p = Path::new(t);
        if p.exists() {
            return Ok(Target::Sqlite(p.to_path_buf()));
        }
        if t.contains(['@', '=', ':']) || t.contains(char::is_whitespace) {
            return Err(Error::Usage(
                "--db is neither a postgres:// URL, a key=value connection string, sqlite:PATH nor an existing file (it is not shown: it may hold a password)".into(),
            ));
        }
        Err(Error::Usage(format!(
            "--db `{t}` is neither a postgres:// URL, a key=value connection string, sqlite:PATH nor an existing file"
        )))
    }

    /// The target as it may be shown: host, port, user and database of a
    /// PostgreSQL target (never its password), the path of a SQLite file.
    pub fn display(&self) -> String {
        match self {
            Target::Postgres(s) => {
                match crate::source::postgres::conninfo::parse(
                    s,
                    &crate::source::postgres::conninfo::ProcessEnv,
                ) {
                    Ok(c) => c.display,
                    Err(_) => "PostgreSQL (connection string not shown)".into(),
                }
            }
            Target::Sqlite(p) => p.display().to_string(),
        }
    }
}

/// The scheme of something written like a URL (`name://`).
fn url_scheme(s: &str) -> Option<&str> {
    let (scheme, _) = s.split_once("://")?;
    let ok = !scheme.is_empty()
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    ok.then_some(scheme)
}

fn looks_like_libpq(s: &str) -> bool {
    // The first key decides (`host = db` is allowed); a value may hold
    // anything, spaces included.
    let key: String = s
        .chars()
        .take_while(|c| *c != '=' && !c.is_whitespace())
        .collect();
    let after = s[key.len()..].trim_start();
    crate::source::postgres::conninfo::is_keyword(&key) && after.starts_with('=')
}

/// Removes passwords from text that may quote a connection string (a
/// driver's error message). A safety net only: dbperf never builds a
/// message from the input string; see [`crate::source::postgres::conninfo`].
pub fn redact(s: &str) -> String {
    static URL: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    static KV: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    static Q: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let url = URL.get_or_init(|| {
        regex::Regex::new(r"(?i)(postgres(?:ql)?://[^:/@\s]*):[^@\s]*@").expect("static regex")
    });
    let kv = KV.get_or_init(|| {
        regex::Regex::new(r"(?i)(^|\s)password\s*=\s*(?:'(?:[^'\\]|\\.)*'|\S+)")
            .expect("static regex")
    });
    let q =
        Q.get_or_init(|| regex::Regex::new(r"(?i)([?&]password=)[^&\s]*").expect("static regex"));
    let s = url.replace_all(s, "$1:***@");
    let s = kv.replace_all(&s, "${1}password=***");
    q.replace_all(&s, "${1}***").into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_every_form() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/shop"),
            "postgres://app:***@db:5432/shop"
        );
        assert_eq!(
            redact("host=db password='a b' user=app"),
            "host=db password=*** user=app"
        );
        assert_eq!(
            redact("postgresql://db/shop?user=app&password=s3cret&sslmode=require"),
            "postgresql://db/shop?user=app&password=***&sslmode=require"
        );
        assert!(!redact("error: password=hunter2 failed").contains("hunter2"));
    }

    #[test]
    fn recognises_targets() {
        assert!(matches!(
            Target::parse("postgres://x/y"),
            Ok(Target::Postgres(_))
        ));
        assert!(matches!(
            Target::parse("host=localhost dbname=x"),
            Ok(Target::Postgres(_))
        ));
        assert!(matches!(
            Target::parse("sqlite:app.db"),
            Ok(Target::Sqlite(_))
        ));
        assert!(Target::parse("no-such-file.db").is_err());
    }
}
