//! `dbperf … | head`: when the reader closes the pipe, every format stops
//! quietly with exit 0 and nothing on stderr (the Unix way), instead of
//! text exiting 0 and JSON/SARIF exiting 2 "Broken pipe".

use std::io::Read;
use std::process::Stdio;

mod common;

/// Migrations whose lint report is far larger than a pipe's buffer (64 KB)
/// in every format: 1,000 tables, each with an unindexed foreign key.
fn big_migrations() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("dbperf-pipe-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    let mut sql = String::from("CREATE TABLE parent (id bigint PRIMARY KEY);\n");
    for i in 0..1_000 {
        sql.push_str(&format!(
            "CREATE TABLE child_{i} (id bigint PRIMARY KEY, parent_id bigint REFERENCES parent (id));\n"
        ));
    }
    std::fs::write(d.join("001_tables.sql"), sql).unwrap();
    d
}

#[test]
fn a_closed_pipe_ends_every_format_with_exit_0() {
    let dir = big_migrations();
    for format in ["text", "json", "markdown", "sarif", "github"] {
        let mut child = common::dbperf()
            .args(["lint", "--no-config", "--format", format])
            .arg(&dir)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut head = [0u8; 100];
        child.stdout.take().unwrap().read_exact(&mut head).unwrap();
        // The read end is dropped here: the rest of the report meets a closed pipe.
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{format}: {stderr}");
        assert!(stderr.is_empty(), "{format}: {stderr}");
    }
    // The same run with its whole output read still reports the findings.
    let out = common::dbperf()
        .args(["lint", "--no-config", "--format", "json"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.len() > 100_000, "{} bytes", out.stdout.len());
    std::fs::remove_dir_all(&dir).ok();
}
