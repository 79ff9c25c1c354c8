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
    pub fn parse(s: &str) -> Result<Target> {
        let t = s.trim();
        if t.starts_with("postgres://") || t.starts_with("postgresql://") {
            return Ok(Target::Postgres(t.to_string()));
        }
        if let Some(p) = t
            .strip_prefix("sqlite://")
            .or_else(|| t.strip_prefix("sqlite:"))
        {
            return Ok(Target::Sqlite(PathBuf::from(p)));
        }
        if looks_like_libpq(t) {
            return Ok(Target::Postgres(t.to_string()));
        }
        let p = Path::new(t);
        if p.exists() {
            return Ok(Target::Sqlite(p.to_path_buf()));
        }
        Err(Error::Usage(format!(
            "--db `{}` is neither a postgres:// URL, a key=value connection string, sqlite:PATH nor an existing file",
            redact(t)
        )))
    }

    /// The target as it may be shown: password removed.
    pub fn display(&self) -> String {
        match self {
            Target::Postgres(s) => redact(s),
            Target::Sqlite(p) => p.display().to_string(),
        }
    }
}

fn looks_like_libpq(s: &str) -> bool {
    const KEYS: &[&str] = &[
        "host",
        "hostaddr",
        "port",
        "dbname",
        "user",
        "password",
        "sslmode",
        "service",
        "application_name",
        "connect_timeout",
        "options",
    ];
    s.split_whitespace().any(|kv| {
        kv.split_once('=')
            .is_some_and(|(k, _)| KEYS.contains(&k.trim()))
    })
}

/// Removes passwords from a connection string or URL, and from any text
/// that embeds one (an error message quoting it).
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
