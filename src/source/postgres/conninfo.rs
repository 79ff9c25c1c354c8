//! The `--db` string for PostgreSQL, as libpq reads it: a URL or
//! `key=value` pairs, completed from the `PG*` environment variables and the
//! password file, with the TLS modes tokio-postgres does not know
//! (`verify-ca`, `verify-full`, `sslrootcert`) handled by [`super::tls`].
//!
//! The string is parsed once, here, with libpq's rules (percent-decoded URL
//! keys and values, quoted and backslash-escaped `key=value` values), and
//! the driver's configuration is built from the result, so what dbperf
//! shows and what it connects with cannot disagree. Nothing of the input
//! string is ever echoed: [`ConnInfo::display`] names host, port, user and
//! database only, and an error names at most a libpq keyword. Input that
//! libpq would split in a surprising place (an unencoded `@` or `/` in a
//! URL's password) is refused, since the split would put part of the
//! password where a host or database name is shown.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio_postgres::config::{Host, SslMode as PgSslMode};

use crate::error::{Error, Result};

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

/// libpq keywords dbperf accepts but has no use for.
const IGNORED: &[&str] = &[
    "fallback_application_name",
    "sslcompression",
    "gssencmode",
    "krbsrvname",
    "gsslib",
    "requirepeer",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
];

/// Other libpq keywords: named in errors (they hold no secret), refused.
const UNSUPPORTED: &[&str] = &[
    "service",
    "passfile",
    "sslcert",
    "sslkey",
    "sslpassword",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "requiressl",
    "replication",
];

/// A connection string refused before it is used; the message quotes no
/// part of the input but a libpq keyword.
fn refuse(m: impl std::fmt::Display) -> Error {
    Error::Usage(format!(
        "--db: {m} (the connection string is not shown: it may hold a password)"
    ))
}

/// Parses a connection string the way libpq would.
// Long: one list of libpq's keywords, each a short arm that checks and
// stores its value; read top to bottom like libpq's own table.
pub fn parse(s: &str, env: &dyn Env) -> Result<ConnInfo> {
    let s = s.trim();
    let pairs = if let Some(rest) = s
        .strip_prefix("postgresql://")
        .or_else(|| s.strip_prefix("postgres://"))
    {
        split_url(rest).map_err(refuse)?
    } else {
        split_kv(s).map_err(refuse)?
    };
    let mut config = tokio_postgres::Config::new();
    let mut hosts: Vec<String> = Vec::new();
    let mut ports: Vec<String> = Vec::new();
    let mut ssl = None;
    let mut root = None;
    for (key, value) in &pairs {
        let invalid = |what: &str| refuse(format!("the value of `{key}` is not {what}"));
        match key.as_str() {
            "host" | "hostaddr" => hosts = value.split(',').map(str::to_string).collect(),
            "port" => ports = value.split(',').map(str::to_string).collect(),
            "user" => {
                config.user(value);
            }
            "password" => {
                config.password(value.as_bytes());
            }
            "dbname" => {
                config.dbname(value);
            }
            "options" => {
                config.options(value);
            }
            "application_name" => {}
            "connect_timeout" => {
                let secs: i64 = value.trim().parse().map_err(|_| invalid("a number"))?;
                if secs > 0 {
                    config.connect_timeout(Duration::from_secs(secs as u64));
                }
            }
            "tcp_user_timeout" => {
                let ms: i64 = value.trim().parse().map_err(|_| invalid("a number"))?;
                if ms > 0 {
                    config.tcp_user_timeout(Duration::from_millis(ms as u64));
                }
            }
            "keepalives" => {
                config.keepalives(value.trim() != "0");
            }
            "keepalives_idle" => {
                let secs: u64 = value.trim().parse().map_err(|_| invalid("a number"))?;
                config.keepalives_idle(Duration::from_secs(secs));
            }
            "keepalives_interval" => {
                let secs: u64 = value.trim().parse().map_err(|_| invalid("a number"))?;
                config.keepalives_interval(Duration::from_secs(secs));
            }
            "keepalives_count" => {
                let n: u32 = value.trim().parse().map_err(|_| invalid("a number"))?;
                config.keepalives_retries(n);
            }
            "sslmode" => {
                ssl = Some(SslMode::parse(value).ok_or_else(|| {
                    invalid("one of disable, allow, prefer, require, verify-ca, verify-full")
                })?);
            }
            "sslrootcert" => root = Some(PathBuf::from(value)),
            "target_session_attrs" => {
                config.target_session_attrs(match value.as_str() {
                    "any" => tokio_postgres::config::TargetSessionAttrs::Any,
                    "read-write" => tokio_postgres::config::TargetSessionAttrs::ReadWrite,
                    "read-only" => tokio_postgres::config::TargetSessionAttrs::ReadOnly,
                    _ => return Err(invalid("one of any, read-write, read-only")),
                });
            }
            "channel_binding" => {
                config.channel_binding(match value.as_str() {
                    "disable" => tokio_postgres::config::ChannelBinding::Disable,
                    "prefer" => tokio_postgres::config::ChannelBinding::Prefer,
                    "require" => tokio_postgres::config::ChannelBinding::Require,
                    _ => return Err(invalid("one of disable, prefer, require")),
                });
            }
            k if IGNORED.contains(&k) => {}
            k if UNSUPPORTED.contains(&k) => {
                return Err(refuse(format!("`{k}` is not supported by dbperf")));
            }
            _ => {
                return Err(refuse(
                    "an option is not a libpq keyword (host, port, dbname, user, password, sslmode, connect_timeout, …)",
                ));
            }
        }
    }
    if hosts.is_empty() {
        match env.var("PGHOST").or_else(|| env.var("PGHOSTADDR")) {
            Some(h) => hosts = h.split(',').map(str::to_string).collect(),
            None => {
                let socket = "/var/run/postgresql";
                hosts.push(if Path::new(socket).is_dir() {
                    socket.to_string()
                } else {
                    "localhost".to_string()
                });
            }
        }
    }
    if ports.is_empty()
        && let Some(p) = env.var("PGPORT")
    {
        ports = p.split(',').map(str::to_string).collect();
    }
    for h in &hosts {
        let h = h.trim();
        if h.is_empty() || h.contains(['@', ' ', '\t', '\n']) {
            return Err(refuse("a host name is empty or not a host name"));
        }
        if h.starts_with('/') {
            config.host_path(h);
        } else {
            config.host(h);
        }
    }
    if !ports.is_empty() && ports.len() != 1 && ports.len() != hosts.len() {
        return Err(refuse("there must be one port, or one per host"));
    }
    for p in &ports {
        let p = p.trim();
        let port: u16 = if p.is_empty() {
            5432
        } else {
            p.parse()
                .map_err(|_| refuse("a port is not a number from 1 to 65535"))?
        };
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
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|s| *s > 0)
            .unwrap_or(DEFAULT_CONNECT_TIMEOUT_S);
        config.connect_timeout(Duration::from_secs(secs));
    }
    let ssl = match ssl {
        Some(m) => m,
        None => match env.var("PGSSLMODE") {
            Some(m) => SslMode::parse(&m).ok_or_else(|| {
                refuse("PGSSLMODE is not one of disable, allow, prefer, require, verify-ca, verify-full")
            })?,
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
    let display = display(&config);
    Ok(ConnInfo {
        config,
        ssl,
        root_cert,
        display,
    })
}

/// Seconds a connection attempt may take when neither the string nor
/// `PGCONNECT_TIMEOUT` says.
pub const DEFAULT_CONNECT_TIMEOUT_S: u64 = 10;

/// `postgres://user@host:port/dbname` from the parsed configuration: what
/// errors and reports show. A field equal to or containing the password
/// (a user who typed it where the user goes) is shown as `***`.
fn display(config: &tokio_postgres::Config) -> String {
    let secret = config
        .get_password()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .filter(|p| !p.is_empty());
    let safe = |v: &str| -> String {
        match &secret {
            Some(p) if v.contains(p.as_str()) => "***".to_string(),
            _ => encode(v),
        }
    };
    let ports = config.get_ports();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let name = match h {
                Host::Tcp(h) if h.contains(':') => format!("[{h}]"),
                Host::Tcp(h) => safe(h),
                #[cfg(unix)]
                Host::Unix(p) => safe(&p.to_string_lossy()),
            };
            match ports.get(i).or(ports.first()) {
                Some(p) => format!("{name}:{p}"),
                None => name,
            }
        })
        .collect();
    format!(
        "postgres://{}@{}/{}",
        safe(config.get_user().unwrap_or("")),
        hosts.join(","),
        safe(config.get_dbname().unwrap_or(""))
    )
}

/// Percent-encodes what a URL component cannot hold as is.
fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The key/value pairs of a `postgres://` URL (scheme removed), decoded as
/// libpq decodes them. Refused: an unencoded `@` in the user or password
/// (libpq ends the user info at the first `@`, leaving the rest of the
/// password in the host name) or `/` in the password (libpq looks for the
/// user info before the first `/`, leaving the password in the database
/// name), and a parameter without `=`.
fn split_url(rest: &str) -> std::result::Result<Vec<(String, String)>, String> {
    let (before, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match before.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (before, None),
    };
    if path.is_some_and(|p| p.contains('@')) {
        return Err(
            "the URL has an `@` after the host: a `/` or `@` in a user name or password must be percent-encoded (%2F, %40)".into(),
        );
    }
    let mut out = Vec::new();
    let hosts = match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => {
            if userinfo.contains('@') {
                return Err(
                    "the URL's user name or password holds an unencoded `@`: write it as %40"
                        .into(),
                );
            }
            let (user, password) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (userinfo, None),
            };
            if !user.is_empty() {
                out.push(("user".to_string(), percent_decode(user)?));
            }
            if let Some(p) = password {
                out.push(("password".to_string(), percent_decode(p)?));
            }
            hosts
        }
        None => authority,
    };
    if !hosts.is_empty() {
        let mut names = Vec::new();
        let mut ports = Vec::new();
        for chunk in hosts.split(',') {
            let (host, port) = if let Some(inner) = chunk.strip_prefix('[') {
                let (h, after) = inner
                    .split_once(']')
                    .ok_or("an IPv6 host in the URL lacks its closing `]`")?;
                match after {
                    "" => (h, ""),
                    a => (
                        h,
                        a.strip_prefix(':')
                            .ok_or("the URL has text after an IPv6 host")?,
                    ),
                }
            } else {
                chunk.split_once(':').unwrap_or((chunk, ""))
            };
            names.push(percent_decode(host)?);
            ports.push(percent_decode(port)?);
        }
        out.push(("host".to_string(), names.join(",")));
        if ports.iter().any(|p| !p.is_empty()) {
            out.push(("port".to_string(), ports.join(",")));
        }
    }
    if let Some(p) = path
        && !p.is_empty()
    {
        out.push(("dbname".to_string(), percent_decode(p)?));
    }
    for kv in query.unwrap_or("").split('&').filter(|kv| !kv.is_empty()) {
        let (k, v) = kv.split_once('=').ok_or(
            "a URL parameter has no `=` (a `&` or `?` in a value must be percent-encoded: %26, %3F)",
        )?;
        out.push((percent_decode(k)?, percent_decode(v)?));
    }
    Ok(out)
}

/// The pairs of a libpq `key=value` string: values single-quoted or bare,
/// `\` escaping the next character in both, spaces around `=` allowed.
fn split_kv(s: &str) -> std::result::Result<Vec<(String, String)>, String> {
    let named = |key: &str| {
        if is_keyword(key) {
            format!("`{key}`")
        } else {
            "an option".to_string()
        }
    };
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
            return Err(format!(
                "{} has no `=` (expected key=value pairs; a value with spaces must be quoted: password='a b')",
                named(&key)
            ));
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
                    None => {
                        return Err(format!("the quoted value of {} is not closed", named(&key)));
                    }
                }
            }
        } else {
            while let Some(&c) = it.peek() {
                if c.is_whitespace() {
                    break;
                }
                it.next();
                if c == '\\' {
                    value.extend(it.next());
                } else {
                    value.push(c);
                }
            }
        }
        out.push((key, value));
    }
}

/// A keyword of libpq's connection strings.
pub(crate) fn is_keyword(k: &str) -> bool {
    matches!(
        k,
        "host"
            | "hostaddr"
            | "port"
            | "user"
            | "password"
            | "dbname"
            | "options"
            | "application_name"
            | "connect_timeout"
            | "tcp_user_timeout"
            | "keepalives"
            | "keepalives_idle"
            | "keepalives_interval"
            | "keepalives_count"
            | "sslmode"
            | "sslrootcert"
            | "target_session_attrs"
            | "channel_binding"
    ) || IGNORED.contains(&k)
        || UNSUPPORTED.contains(&k)
}

fn percent_decode(s: &str) -> std::result::Result<String, String> {
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
    String::from_utf8(out).map_err(|_| "a percent-encoded part of the URL is not UTF-8".to_string())
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
        assert!(m.contains("`sslmode` is not one of"), "{m}");
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

    #[test]
    fn display_names_host_port_user_database_only() {
        let env = [("HOME", "/nonexistent")];
        let c = parse(
            "postgres://app:s3cret@db:6543/shop?application_name=x",
            &env,
        )
        .unwrap();
        assert_eq!(c.display, "postgres://app@db:6543/shop");
        let c = parse(
            "host=db port=5433 user=app dbname='my shop' password=s3cret",
            &env,
        )
        .unwrap();
        assert_eq!(c.display, "postgres://app@db:5433/my%20shop");
        // A user typed where the password goes is not shown either.
        let c = parse("postgres://s3cret:s3cret@db/shop", &env).unwrap();
        assert_eq!(c.display, "postgres://***@db/shop");
    }

    #[test]
    fn decodes_keys_and_values_like_libpq() {
        let env = [("HOME", "/nonexistent")];
        let c = parse(
            "postgres://app@db/shop?pass%77ord=a%20b&connect_timeout=3",
            &env,
        )
        .unwrap();
        assert_eq!(c.config.get_password(), Some(&b"a b"[..]));
        assert_eq!(
            c.config.get_connect_timeout(),
            Some(&Duration::from_secs(3))
        );
        let c = parse("host=db password=S3cr3t\\ Xq7 user=app", &env).unwrap();
        assert_eq!(c.config.get_password(), Some(&b"S3cr3t Xq7"[..]));
        assert_eq!(c.config.get_user(), Some("app"));
        let c = parse("postgres://app:S3cr3t Xq7@db/shop", &env).unwrap();
        assert_eq!(c.config.get_password(), Some(&b"S3cr3t Xq7"[..]));
        assert_eq!(c.config.get_hosts(), &[Host::Tcp("db".into())]);
    }

    #[test]
    fn refusals_never_quote_the_input() {
        let env = [("HOME", "/nonexistent")];
        for bad in [
            "postgres://app:S3c@r3tXq7@db/shop",
            "postgres://app:S3c/r3tXq7@db/shop",
            "postgres://app@db/shop?password=S3c&r3tXq7",
            "host=db password='S3cr3t Xq7",
            "host=db password=S3cr3t Xq7",
            "host=db S3cr3tXq7=1",
            "postgres://app:S3cr3tXq7@db:S3cr3t/shop",
        ] {
            let m = parse(bad, &env).unwrap_err().to_string();
            assert!(!m.contains("S3c") && !m.contains("Xq7"), "{bad} -> {m}");
            assert!(m.starts_with("--db: "), "{m}");
        }
    }
}
