//! Cost grows linearly with input: inputs that once took memory with the
//! square of their size run under an address-space limit far below what
//! that took. The inputs are generated here; the limit is set with the
//! shell's `ulimit -v` on the dbperf process alone.

use std::path::PathBuf;

mod common;

/// The address space dbperf may use (KiB): 1 GiB, where the quadratic
/// version needed 2 GB for 6,250 arms and ran out of memory at 12,500.
const LIMIT_KB: u64 = 1_000_000;

fn scratch(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("dbperf-large-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[cfg(unix)]
#[test]
fn advise_on_a_12500_arm_union_all_runs_in_bounded_memory() {
    let d = scratch("union");
    let schema = d.join("schema.sql");
    std::fs::write(
        &schema,
        "CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL);\n",
    )
    .unwrap();
    let mut sql = String::from("SELECT id FROM orders WHERE customer_id = 1");
    for i in 2..=12_500 {
        sql.push_str(&format!(
            " UNION ALL SELECT id FROM orders WHERE customer_id = {i}"
        ));
    }
    sql.push_str(";\n");
    assert!(sql.len() > 675_000);
    let queries = d.join("union.sql");
    std::fs::write(&queries, &sql).unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {LIMIT_KB} && exec \"$0\" advise --format json --schema \"$1\" --queries \"$2\""
        ))
        .arg(env!("CARGO_BIN_EXE_dbperf"))
        .arg(&schema)
        .arg(&queries)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["queries"].as_array().map(Vec::len), Some(1));
    std::fs::remove_dir_all(&d).ok();
}
