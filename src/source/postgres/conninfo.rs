//! The `--db` string for PostgreSQL, as libpq reads it: a URL or
//! `key=value` pairs (both parsed by tokio-postgres' `Config`), completed
//! from the `PG*` environment variables and the password file, with the
//! TLS modes tokio-postgres does not know (`verify-ca`, `verify-full`,
//! `sslrootcert`) taken out first and handled by [`super::tls`].

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use tokio_postgres::config::{Host, SslMode as PgSslMode};

use crate::error::{Error, Result};
use crate::source::target::redact;

/// libpq's `sslmode` values dbperf supports (`allow` behaves as `prefer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(s: &str) -> Option<SslMode> {
        Some(match s {
            "disable" => SslMode::Disable,
            "allow" | "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }
}

/// A checked connection configuration.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    pub config: tokio_postgres::Config,
    pub ssl: SslMode,
    pub root_cert: Option<PathBuf>,
    /// What errors and reports may show: the target without its password.
    pub display: String,
}

/// Where the environment comes from (the process's, or a test's map).
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl<const N: usize> Env for [(&str, &str); N] {
    fn var(&self, name: &str) -> Option<String> {
        self.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }
}

/// Parses a connection string the way libpq would.
pub fn parse(s: &str, env: &dyn Env) -> Result<ConnInfo> {
    let display = redact(s.trim());
    let bad = |m: String| Error::Usage(format!("--db {display}: {m}"));
    let (rest, ssl, root) = take_ssl_params(s.trim()).map_err(bad)?;
    let mut config = if rest.trim().is_empty() {
        tokio_postgres::Config::new()
    } else {
        tokio_postgres::Config::from_str(&rest).map_err(|e| bad(redact(&e.to_string())))?
    };
    if config.get_hosts().is_empty() {
        match env.var("PGHOST") {
            Some(h) => {
                for h in h.split(',') {
                    add_host(&mut config, h);
                }
            }
            None => {
                let socket = Path::new("/var/run/postgresql");
                if socket.is_dir() {
                    config.host_path(socket);
                } else {
                    config.host("localhost");
                }
            }
        }
    }
    if config.get_ports().is_empty()
        && let Some(p) = env.var("PGPORT")
    {
        let port: u16 = p
            .parse()
            .map_err(|_| bad(format!("PGPORT `{p}` is not a port")))?;
        config.port(port);
    }
    if config.get_user().is_none() {
        let user = env
            .var("PGUSER")
            .or_else(|| env.var("USER"))
            .unwrap_or_else(|| "postgres".into());
        config.user(&user);
    }
    if config.get_dbname().is_none()
        && let Some(d) = env.var("PGDATABASE")
    {
        config.dbname(&d);
    }
    if config.get_password().is_none() {
        if let Some(p) = env.var("PGPASSWORD") {
            config.password(p);
        } else if let Some(p) = pgpass_password(&config, env) {
            config.password(p);
        }
    }
    if config.get_connect_timeout().is_none() {
        let secs = env
            .var("PGCONNECT_TIMEOUT")
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|s| *s > 0)
            .unwrap_or(10);
        config.connect_timeout(Duration::from_secs(secs));
    }
    let ssl = match ssl {
        Some(m) => m,
        None => match env.var("PGSSLMODE") {
            Some(m) => SslMode::parse(&m)
                .ok_or_else(|| bad(format!("PGSSLMODE `{m}` is not an sslmode")))?,
            None => SslMode::Prefer,
        },
    };
    let root_cert = root.or_else(|| env.var("PGSSLROOTCERT").map(PathBuf::from));
    config.ssl_mode(match ssl {
        SslMode::Disable => PgSslMode::Disable,
        SslMode::Prefer => PgSslMode::Prefer,
        _ => PgSslMode::Require,
    });
    config.application_name("dbperf");
    Ok(ConnInfo {
        config,
        ssl,
        root_cert,
        display,
    })
}

fn add_host(config: &mut tokio_postgres::Config, h: &str) {
    if h.starts_with('/') {
        config.host_path(h);
    } else {
        config.host(h);
    }
}

/// Removes `sslmode` and `sslrootcert` from a URL's query or a key=value
/// string (tokio-postgres knows neither `verify-*` nor root certificates).
fn take_ssl_params(
    s: &str,
) -> std::result::Result<(String, Option<SslMode>, Option<PathBuf>), String> {
    let mut mode = None;
    let mut root = None;
    let mut take = |k: &str, v: &str| -> std::result::Result<bool, String> {
        match k {
            "sslmode" => {
                mode = Some(SslMode::parse(v).ok_or_else(|| {
                    format!(
                        "sslmode `{v}` is not one of disable, allow, prefer, require, verify-ca, verify-full"
                    )
                })?);
                Ok(true)
            }
            "sslrootcert" => {
                root = Some(PathBuf::from(v));
                Ok(true)
            }
            _ => Ok(false),
        }
    };
    if s.starts_with("postgres://") || s.starts_with("postgresql://") {
        let Some((head, query)) = s.split_once('?') else {
            return Ok((s.to_string(), None, None));
        };
        let mut kept = Vec::new();
        for kv in query.split('&').filter(|kv| !kv.is_empty()) {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            if !take(&percent_decode(k), &percent_decode(v))? {
                kept.push(kv);
            }
        }
        let rest = if kept.is_empty() {
            head.to_string()
        } else {
            format!("{head}?{}", kept.join("&"))
        };
        return Ok((rest, mode, root));
    }
    let mut kept = Vec::new();
    for (k, v) in split_kv(s)? {
        if !take(&k, &v)? {
            kept.push(format!("{k}={}", quote_kv(&v)));
        }
    }
    Ok((kept.join(" "), mode, root))
}

/// `key=value` pairs of a libpq string: values optionally single-quoted,
/// with `\'` and `\\` escapes; spaces around `=` allowed.
fn split_kv(s: &str) -> std::result::Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut it = s.chars().peekable();
    loop {
        while it.peek().is_some_and(|c| c.is_whitespace()) {
            it.next();
        }
        if it.peek().is_none() {
            return Ok(out);
        }
        let mut key = String::new();
        while let Some(&c) = it.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            it.next();
        }
        while it.peek().is_some_and(|c| c.is_whitespace()) {
            it.next();
        }
        if it.next() != Some('=') {
            return Err(format!("`{key}` has no value (expected key=value)"));
        }
        while it.peek().is_some_and(|c| c.is_whitespace()) {
            it.next();
        }
        let mut value = String::new();
        if it.peek() == Some(&'\'') {
            it.next();
            loop {
                match it.next() {
                    Some('\\') => value.extend(it.next()),
                    Some('\'') => break,
                    Some(c) => value.push(c),
                    None => return Err(format!("unterminated quoted value of `{key}`")),
                }
            }
        } else {
            while let Some(&c) = it.peek() {
                if c.is_whitespace() {
                    break;
                }
                if c == '\\' {
                    it.next();
                    value.extend(it.next());
                } else {
                    value.push(c);
                    it.next();
                }
            }
        }
        out.push((key, value));
    }
}

fn quote_kv(v: &str) -> String {
    if !v.is_empty() && !v.contains([' ', '\'', '\\', '\t', '\n']) {
        return v.to_string();
    }
    format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The password for this connection from `PGPASSFILE` or `~/.pgpass`:
/// `host:port:database:user:password` lines, `*` matching anything, `\:`
/// and `\\` escaped; the first matching line wins. A Unix socket matches
/// `localhost`, as in libpq.
fn pgpass_password(config: &tokio_postgres::Config, env: &dyn Env) -> Option<String> {
    let path = env
        .var("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| env.var("HOME").map(|h| Path::new(&h).join(".pgpass")))?;
    let text = std::fs::read_to_string(path).ok()?;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        _ => "localhost".to_string(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config.get_user().unwrap_or("").to_string();
    let db = config.get_dbname().unwrap_or(&user).to_string();
    pgpass_lookup(&text, &host, &port, &db, &user)
}

pub(crate) fn pgpass_lookup(
    text: &str,
    host: &str,
    port: &str,
    db: &str,
    user: &str,
) -> Option<String> {
    for line in text.lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut fields = Vec::new();
        let mut cur = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => cur.extend(chars.next()),
                ':' if fields.len() < 4 => fields.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        fields.push(cur);
        if fields.len() != 5 {
            continue;
        }
        let ok = |pat: &str, v: &str| pat == "*" || pat == v;
        if ok(&fields[0], host)
            && ok(&fields[1], port)
            && ok(&fields[2], db)
            && ok(&fields[3], user)
        {
            return Some(fields[4].clone());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_with_verify_full_and_root_cert() {
        let c = parse(
            "postgresql://app:s3cret@db.example.com:6543/shop?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&connect_timeout=3",
            &[("HOME", "/nonexistent")],
        )
        .unwrap();
        assert_eq!(c.ssl, SslMode::VerifyFull);
        assert_eq!(c.root_cert.as_deref(), Some(Path::new("/etc/ca.pem")));
        assert_eq!(c.config.get_user(), Some("app"));
        assert_eq!(c.config.get_dbname(), Some("shop"));
        assert_eq!(c.config.get_ports(), &[6543]);
        assert_eq!(c.config.get_application_name(), Some("dbperf"));
        assert_eq!(
            c.config.get_connect_timeout(),
            Some(&Duration::from_secs(3))
        );
        assert!(!c.display.contains("s3cret"));
    }

    #[test]
    fn key_value_with_quotes_and_env_fallbacks() {
        let c = parse(
            "host=db dbname='my shop' password='a b\\'c' sslmode=verify-ca",
            &[
                ("PGUSER", "alice"),
                ("PGPORT", "5433"),
                ("HOME", "/nonexistent"),
            ],
        )
        .unwrap();
        assert_eq!(c.ssl, SslMode::VerifyCa);
        assert_eq!(c.config.get_dbname(), Some("my shop"));
        assert_eq!(c.config.get_password(), Some(&b"a b'c"[..]));
        assert_eq!(c.config.get_user(), Some("alice"));
        assert_eq!(c.config.get_ports(), &[5433]);
        assert!(!c.display.contains("a b"));
    }

    #[test]
    fn bad_sslmode_is_a_usage_error_without_the_password() {
        let e = parse("postgres://u:pw123@h/d?sslmode=sometimes", &[]).unwrap_err();
        let m = e.to_string();
        assert!(m.contains("sslmode `sometimes`"), "{m}");
        assert!(!m.contains("pw123"), "{m}");
    }

    #[test]
    fn pgpass_matches_first_line_with_wildcards_and_escapes() {
        let text =
            "# comment\nother:5432:*:*:nope\nlocalhost:5432:shop:app:pa\\:ss\n*:*:*:app:fallback\n";
        assert_eq!(
            pgpass_lookup(text, "localhost", "5432", "shop", "app").as_deref(),
            Some("pa:ss")
        );
        assert_eq!(
            pgpass_lookup(text, "db", "5433", "x", "app").as_deref(),
            Some("fallback")
        );
        assert_eq!(pgpass_lookup(text, "db", "5433", "x", "bob"), None);
    }

    #[test]
    fn pgpass_file_is_read_when_no_password_given() {
        let dir = std::env::temp_dir().join(format!("dbperf-pgpass-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("pgpass");
        std::fs::write(&f, "h1:5432:d1:u1:from-file\n").unwrap();
        let path = f.to_string_lossy().to_string();
        let c = parse(
            "host=h1 dbname=d1 user=u1",
            &[("PGPASSFILE", path.as_str())],
        )
        .unwrap();
        assert_eq!(c.config.get_password(), Some(&b"from-file"[..]));
        std::fs::remove_dir_all(&dir).ok();
    }
}
