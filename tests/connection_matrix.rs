//! Every way of writing a `--db` connection string, against a closed port,
//! a silent listener (accepts TCP, never answers) and the real server:
//! no form ever prints its password (stdout, stderr, the `--snapshot`
//! file), and every attempt ends, with exit 0 or one line and exit 2.
//!
//! The connect timeout is set small (`PGCONNECT_TIMEOUT=2`, or the form's
//! own `connect_timeout`); a run still going after a generous bound is
//! killed and fails the test. The real-server column needs
//! `DBPERF_TEST_PG_URL` (its host, port, user and database are used; the
//! server must accept them without a password, as the test's passwords are
//! made up).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;

const PW: &str = "Hunter2Zq9";

/// How long one run may take before it counts as a hang: far above the
/// 2-second connect timeout, so a slow machine does not fail the test.
const HANG: Duration = Duration::from_secs(90);

struct Form {
    name: &'static str,
    /// `{h}`, `{p}`, `{u}`, `{d}` are replaced by host, port, user, database.
    template: &'static str,
    /// Parts of the password that must never be shown.
    secrets: &'static [&'static str],
    /// PGPASSWORD for the run.
    env_password: bool,
    /// dbperf must refuse the string itself, whatever the server.
    refused: bool,
}

const FORMS: &[Form] = &[
    Form {
        name: "url",
        template: "postgres://{u}:Hunter2Zq9@{h}:{p}/{d}",
        secrets: &[PW],
        env_password: false,
        refused: false,
    },
    Form {
        name: "url, percent-encoded password",
        template: "postgresql://{u}:Hunter%32Zq9@{h}:{p}/{d}",
        secrets: &[PW, "Hunter%32Zq9"],
        env_password: false,
        refused: false,
    },
    Form {
        name: "url, ?password=",
        template: "postgres://{u}@{h}:{p}/{d}?password=Hunter2Zq9",
        secrets: &[PW],
        env_password: false,
        refused: false,
    },
    Form {
        name: "url, percent-encoded key ?pass%77ord=",
        template: "postgres://{u}@{h}:{p}/{d}?pass%77ord=Hunter2Zq9",
        secrets: &[PW],
        env_password: false,
        refused: false,
    },
    Form {
        name: "url, raw space in the password",
        template: "postgres://{u}:Hunter2 Zq9x@{h}:{p}/{d}",
        secrets: &["Hunter2", "Zq9x"],
        env_password: false,
        refused: false,
    },
    Form {
        name: "url, raw space in ?password=",
        template: "postgres://{u}@{h}:{p}/{d}?password=Hunter2 Zq9x",
        secrets: &["Hunter2", "Zq9x"],
        env_password: false,
        refused: false,
    },
    Form {
        name: "url, unencoded @ in the password",
        template: "postgres://{u}:Hun@ter2Zq9@{h}:{p}/{d}",
        secrets: &["Hun@", "ter2Zq9"],
        env_password: false,
        refused: true,
    },
    Form {
        name: "url, unencoded / in the password",
        template: "postgres://{u}:Hun/ter2Zq9@{h}:{p}/{d}",
        secrets: &["Hun/", "ter2Zq9"],
        env_password: false,
        refused: true,
    },
    Form {
        name: "url with connect_timeout",
        template: "postgresql://{u}:Hunter2Zq9@{h}:{p}/{d}?connect_timeout=2&sslmode=prefer",
        secrets: &[PW],
        env_password: false,
        refused: false,
    },
    Form {
        name: "key=value",
        template: "host={h} port={p} user={u} dbname={d} password=Hunter2Zq9",
        secrets: &[PW],
        env_password: false,
        refused: false,
    },
    Form {
        name: "key=value, quoted password with a space",
        template: "host={h} port={p} user={u} dbname={d} password='Hunter2 Zq9x'",
        secrets: &["Hunter2", "Zq9x"],
        env_password: false,
        refused: false,
    },
    Form {
        name: "key=value, backslash-escaped space",
        template: "host={h} port={p} user={u} dbname={d} password=Hunter2\\ Zq9x",
        secrets: &["Hunter2", "Zq9x"],
        env_password: false,
        refused: false,
    },
    Form {
        name: "key=value, unterminated quote",
        template: "host={h} port={p} user={u} dbname={d} password='Hunter2 Zq9x",
        secrets: &["Hunter2", "Zq9x"],
        env_password: false,
        refused: true,
    },
    Form {
        name: "key=value, unquoted space",
        template: "host={h} port={p} user={u} dbname={d} password=Hunter2 Zq9x",
        secrets: &["Hunter2", "Zq9x"],
        env_password: false,
        refused: true,
    },
    Form {
        name: "key=value with connect_timeout",
        template: "host={h} port={p} connect_timeout=2 user={u} dbname={d} password=Hunter2Zq9",
        secrets: &[PW],
        env_password: false,
        refused: false,
    },
    Form {
        name: "PGPASSWORD",
        template: "host={h} port={p} user={u} dbname={d}",
        secrets: &[PW],
        env_password: true,
        refused: false,
    },
    Form {
        name: "mistyped scheme mysql://",
        template: "mysql://{u}:Hunter2Zq9@{h}:{p}/{d}",
        secrets: &[PW],
        env_password: false,
        refused: true,
    },
    Form {
        name: "mistyped scheme postgre://",
        template: "postgre://{u}:Hunter2Zq9@{h}:{p}/{d}",
        secrets: &[PW],
        env_password: false,
        refused: true,
    },
    Form {
        name: "mistyped scheme sqlite://",
        template: "sqlite://{u}:Hunter2Zq9@{h}/{d}",
        secrets: &[PW],
        env_password: false,
        refused: true,
    },
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Server {
    Closed,
    Silent,
    Real,
}

struct Endpoint {
    server: Server,
    host: String,
    port: u16,
    user: String,
    db: String,
}

/// A port nothing listens on: bound, then released.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A listener that accepts every connection and never sends a byte; the
/// connections are held open until the test ends.
fn silent_listener() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in l.incoming().flatten() {
            held.push(c);
        }
    });
    port
}

fn real_endpoint() -> Option<Endpoint> {
    let url = common::pg_url("connection_matrix")?;
    let c: tokio_postgres::Config = url.parse().expect("DBPERF_TEST_PG_URL parses");
    let host = match c.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "127.0.0.1".into(),
    };
    Some(Endpoint {
        server: Server::Real,
        host,
        port: c.get_ports().first().copied().unwrap_or(5432),
        user: c.get_user().unwrap_or("postgres").to_string(),
        db: c.get_dbname().unwrap_or("postgres").to_string(),
    })
}

/// Runs `cmd` to its end, killing it (and failing) after [`HANG`].
fn bounded(mut cmd: std::process::Command, what: &str) -> std::process::Output {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > HANG {
            let _ = child.kill();
            panic!("{what}: still running after {} s", HANG.as_secs());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    snapshot: String,
}

fn run(form: &Form, e: &Endpoint, scratch: &Path, i: usize) -> Outcome {
    let db = form
        .template
        .replace("{h}", &e.host)
        .replace("{p}", &e.port.to_string())
        .replace("{u}", &e.user)
        .replace("{d}", &e.db);
    let snapshot = scratch.join(format!("snap-{i}.json"));
    let format = if i.is_multiple_of(2) {
        "json"
    } else {
        "markdown"
    };
    let mut cmd = common::dbperf();
    cmd.args(["analyze", "--db", &db, "--format", format, "--top", "3"])
        .arg("--snapshot")
        .arg(&snapshot)
        .env("HOME", scratch)
        .env("PGCONNECT_TIMEOUT", "2")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for v in [
        "PGHOST",
        "PGPORT",
        "PGUSER",
        "PGDATABASE",
        "PGPASSWORD",
        "PGPASSFILE",
        "PGSSLMODE",
        "PGSERVICE",
    ] {
        cmd.env_remove(v);
    }
    if form.env_password {
        cmd.env("PGPASSWORD", PW);
    }
    let mut child = cmd.spawn().unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > HANG {
            let _ = child.kill();
            panic!(
                "{} against {:?}: still running after {} s",
                form.name,
                e.server,
                HANG.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Outcome {
        code: status.code(),
        stdout: t_out.join().unwrap(),
        stderr: t_err.join().unwrap(),
        snapshot: std::fs::read_to_string(&snapshot).unwrap_or_default(),
    }
}

#[test]
fn no_form_prints_its_password_and_every_attempt_ends() {
    let mut endpoints = vec![
        Endpoint {
            server: Server::Closed,
            host: "127.0.0.1".into(),
            port: closed_port(),
            user: "app".into(),
            db: "shop".into(),
        },
        Endpoint {
            server: Server::Silent,
            host: "127.0.0.1".into(),
            port: silent_listener(),
            user: "app".into(),
            db: "shop".into(),
        },
    ];
    endpoints.extend(real_endpoint());
    let scratch = std::env::temp_dir().join(format!("dbperf-matrix-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();

    let jobs: Vec<(usize, usize)> = (0..endpoints.len())
        .flat_map(|e| (0..FORMS.len()).map(move |f| (e, f)))
        .collect();
    let next = Arc::new(Mutex::new(jobs.into_iter().enumerate()));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let endpoints = Arc::new(endpoints);
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (next, failures, endpoints, scratch) = (
                next.clone(),
                failures.clone(),
                endpoints.clone(),
                scratch.clone(),
            );
            std::thread::spawn(move || {
                loop {
                    let Some((i, (e, f))) = next.lock().unwrap().next() else {
                        return;
                    };
                    let (form, ep) = (&FORMS[f], &endpoints[e]);
                    let o = run(form, ep, &scratch, i);
                    let mut bad = Vec::new();
                    for s in form.secrets {
                        for (what, text) in [
                            ("stdout", &o.stdout),
                            ("stderr", &o.stderr),
                            ("snapshot", &o.snapshot),
                        ] {
                            if text.contains(s) {
                                bad.push(format!("{what} shows `{s}`"));
                            }
                        }
                    }
                    let expect_ok = ep.server == Server::Real && !form.refused;
                    match o.code {
                        Some(0) if expect_ok => {}
                        Some(2) if !expect_ok => {
                            if o.stderr.trim().lines().count() != 1 {
                                bad.push(format!("stderr is not one line: {:?}", o.stderr));
                            }
                            if form.refused && !o.stderr.contains("--db") {
                                bad.push(format!("not refused as a --db error: {}", o.stderr));
                            }
                        }
                        c => bad.push(format!("exit {c:?}, stderr: {}", o.stderr.trim())),
                    }
                    if !bad.is_empty() {
                        failures.lock().unwrap().push(format!(
                            "{} against {:?}: {}",
                            form.name,
                            ep.server,
                            bad.join("; ")
                        ));
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    std::fs::remove_dir_all(&scratch).ok();
    let failures = failures.lock().unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A server that completes the startup (no authentication asked) and then
/// never answers a statement: the first statement must time out, not hang.
fn stalling_server() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for c in l.incoming().flatten() {
            std::thread::spawn(move || stall(c));
        }
    });
    port
}

fn stall(mut c: TcpStream) {
    loop {
        let mut len = [0u8; 4];
        if c.read_exact(&mut len).is_err() {
            return;
        }
        let mut body = vec![0u8; (u32::from_be_bytes(len) as usize).saturating_sub(4)];
        if c.read_exact(&mut body).is_err() {
            return;
        }
        // SSLRequest: no TLS here; anything else is the startup packet.
        if body.starts_with(&80877103u32.to_be_bytes()) {
            let _ = c.write_all(b"N");
            continue;
        }
        break;
    }
    let mut reply = Vec::new();
    reply.extend(b"R");
    reply.extend(8u32.to_be_bytes());
    reply.extend(0u32.to_be_bytes()); // AuthenticationOk
    reply.extend(b"Z");
    reply.extend(5u32.to_be_bytes());
    reply.extend(b"I"); // ReadyForQuery, idle
    let _ = c.write_all(&reply);
    let mut sink = [0u8; 4096];
    while matches!(c.read(&mut sink), Ok(n) if n > 0) {}
}

#[test]
fn a_server_that_stalls_the_first_statement_times_out() {
    let port = stalling_server();
    for db in [
        format!("postgres://app:{PW}@127.0.0.1:{port}/shop?connect_timeout=2"),
        format!("host=127.0.0.1 port={port} user=app password={PW} connect_timeout=2"),
    ] {
        let mut cmd = common::dbperf();
        cmd.args(["analyze", "--db", &db])
            .env_remove("PGCONNECT_TIMEOUT");
        let o = bounded(cmd, "stalled first statement");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains("did not answer within 2 s"), "{stderr}");
        assert!(!stderr.contains(PW), "{stderr}");
    }
}

#[test]
fn a_silent_listener_times_out_with_pgconnect_timeout_and_the_default() {
    let port = silent_listener();
    for (timeout, secs) in [(Some("1"), "1 s"), (None, "10 s")] {
        let mut cmd = common::dbperf();
        cmd.args(["explain", "--db"])
            .arg(format!("host=127.0.0.1 port={port} user=app password={PW}"))
            .arg(common::fixture("plans/pg/clean_pk_lookup.json"));
        match timeout {
            Some(t) => cmd.env("PGCONNECT_TIMEOUT", t),
            None => cmd.env_remove("PGCONNECT_TIMEOUT"),
        };
        let o = bounded(cmd, "silent listener");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!("no answer within {secs}")),
            "{stderr}"
        );
        assert!(!stderr.contains(PW), "{stderr}");
    }
}

/// A connection string given without `--db` is a usage error from clap,
/// which quotes the argument: not this one.
#[test]
fn a_connection_string_without_db_is_not_echoed_by_the_usage_error() {
    for arg in [
        format!("postgres://app:{PW}@127.0.0.1/shop"),
        format!("host=127.0.0.1 password={PW}"),
    ] {
        let o = common::dbperf().args(["analyze", &arg]).output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("unexpected argument"), "{stderr}");
        assert!(!stderr.contains(PW), "{stderr}");
    }
}
