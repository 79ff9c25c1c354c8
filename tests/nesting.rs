//! Stack depth is bounded wherever input nests: plans in XML, YAML (block
//! and flow), JSON and text, and SQL (parentheses, subqueries) through
//! `advise`, `lint` and `analyze --log`. Too deep a plan is one line naming
//! file and line, exit 2; SQL too deep to parse is skipped and reported, the
//! rest still analysed. The inputs are generated here.

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;

fn scratch(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("dbperf-nesting-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(args: &[&str], files: &[&Path]) -> Output {
    let mut cmd = common::dbperf();
    cmd.args(args);
    for f in files {
        cmd.arg(f);
    }
    cmd.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// PostgreSQL's EXPLAIN (FORMAT XML) shape, `levels` plan nodes deep.
fn xml_plan(levels: usize) -> String {
    let mut s =
        String::from("<explain xmlns=\"http://www.postgresql.org/2009/explain\">\n  <Query>\n");
    for _ in 0..levels {
        s.push_str("<Plan><Node-Type>Limit</Node-Type><Total-Cost>1.0</Total-Cost><Plan-Rows>1</Plan-Rows><Plans>\n");
    }
    s.push_str("<Plan><Node-Type>Result</Node-Type><Total-Cost>0.01</Total-Cost><Plan-Rows>1</Plan-Rows></Plan>\n");
    for _ in 0..levels {
        s.push_str("</Plans></Plan>\n");
    }
    s.push_str("  </Query>\n</explain>\n");
    s
}

/// EXPLAIN (FORMAT YAML) shape, block style.
fn yaml_block_plan(levels: usize) -> String {
    let mut s = String::from("- Plan:\n");
    let mut ind = 4;
    for _ in 0..levels {
        s.push_str(&format!("{}Node Type: \"Limit\"\n", " ".repeat(ind)));
        s.push_str(&format!("{}Plans:\n", " ".repeat(ind)));
        s.push_str(&format!("{}-\n", " ".repeat(ind + 2)));
        ind += 4;
    }
    s.push_str(&format!("{}Node Type: \"Result\"\n", " ".repeat(ind)));
    s
}

fn json_plan(levels: usize) -> String {
    format!(
        "[{{\"Plan\": {}{{\"Node Type\": \"Result\"}}{}}}]\n",
        "{\"Node Type\": \"Limit\", \"Plans\": [".repeat(levels),
        "]}".repeat(levels)
    )
}

fn text_plan(levels: usize) -> String {
    let mut s = String::from("Limit  (cost=0.00..1.00 rows=1 width=4)\n");
    for i in 1..levels {
        // Every Limit has its input: the deepest node is a scan.
        let node = if i + 1 == levels {
            "Seq Scan on t"
        } else {
            "Limit"
        };
        s.push_str(&" ".repeat(i * 6 - 4));
        s.push_str(&format!("->  {node}  (cost=0.00..1.00 rows=1 width=4)\n"));
    }
    s
}

/// One line on stderr naming `file:line:`, exit 2.
fn assert_refused_at_line(o: &Output, file: &Path, what: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{what}: {err}");
    assert_eq!(err.trim().lines().count(), 1, "{what}: {err}");
    let prefix = format!("dbperf: error: {}:", file.display());
    let rest = err
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{what}: {err}"));
    let line: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    assert!(
        line.parse::<usize>().is_ok_and(|l| l > 1),
        "{what}: no line: {err}"
    );
    assert!(err.contains("nested deeper than"), "{what}: {err}");
}

#[test]
fn deep_xml_plans_are_refused_with_file_and_line() {
    let d = scratch("xml");
    // 786 levels (46 KB) overflowed the stack; 20,000 as well.
    for levels in [786, 20_000] {
        let f = d.join(format!("deep-{levels}.xml"));
        std::fs::write(&f, xml_plan(levels)).unwrap();
        assert_refused_at_line(&run(&["explain"], &[&f]), &f, "xml");
    }
    // A plan of ordinary depth in the same shape is read.
    let f = d.join("ok.xml");
    std::fs::write(&f, xml_plan(40)).unwrap();
    let o = run(&["explain"], &[&f]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("(XML), 41 nodes"));
}

#[test]
fn deep_yaml_plans_are_refused_with_file_and_line() {
    let d = scratch("yaml");
    let f = d.join("deep.yaml");
    std::fs::write(&f, yaml_block_plan(3_000)).unwrap();
    assert_refused_at_line(&run(&["explain"], &[&f]), &f, "yaml block");
    // Flow style: yaml-rust2's own limit, one line, exit 2.
    let f = d.join("deep-flow.yaml");
    std::fs::write(
        &f,
        format!(
            "- Plan: {}{{\"Node Type\": \"Result\"}}{}\n",
            "{\"Node Type\": \"Limit\", \"Plans\": [".repeat(5_000),
            "]}".repeat(5_000)
        ),
    )
    .unwrap();
    let o = run(&["explain"], &[&f]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(stderr(&o).trim().lines().count(), 1);
    let f = d.join("ok.yaml");
    std::fs::write(&f, yaml_block_plan(40)).unwrap();
    let o = run(&["explain"], &[&f]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn deep_json_and_text_plans_end_cleanly() {
    let d = scratch("json-text");
    let f = d.join("deep.json");
    std::fs::write(&f, json_plan(5_000)).unwrap();
    let o = run(&["explain"], &[&f]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(stderr(&o).trim().lines().count(), 1, "{}", stderr(&o));
    // Text plans are read without recursion: 2,000 levels (12 MB of
    // PostgreSQL's indentation) are a plan.
    let f = d.join("deep.txt");
    std::fs::write(&f, text_plan(2_000)).unwrap();
    let o = run(&["explain", "--format", "json"], &[&f]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn deep_sql_is_skipped_and_the_rest_analysed() {
    let d = scratch("sql");
    let schema = d.join("schema.sql");
    std::fs::write(
        &schema,
        "CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL);\n",
    )
    .unwrap();
    let n = 100_000;
    let deep_parens = format!(
        "SELECT * FROM orders WHERE {}id = 1{};\n",
        "(".repeat(n),
        ")".repeat(n)
    );
    let deep_subqueries = format!(
        "SELECT * FROM orders WHERE id IN {}(1){};\n",
        "(SELECT id FROM orders WHERE id IN ".repeat(3_000),
        ")".repeat(3_000)
    );
    let fine = "SELECT * FROM orders WHERE customer_id = 5;\n";
    let queries = d.join("queries.sql");
    std::fs::write(&queries, format!("{deep_parens}{deep_subqueries}{fine}")).unwrap();

    let o = run(
        &["advise", "--format", "json", "--schema"],
        &[&schema, Path::new("--queries"), &queries],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        report.to_string().contains("customer_id = "),
        "the fine statement was not analysed"
    );

    let o = run(&["lint", "--queries"], &[&queries, &schema]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("nested deeper than 50 levels"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );

    let log = d.join("postgres.log");
    std::fs::write(
        &log,
        format!(
            "2024-01-01 10:00:00.000 UTC [123] LOG:  duration: 12.5 ms  statement: {deep_parens}\
             2024-01-01 10:00:01.000 UTC [123] LOG:  duration: 2.5 ms  statement: {fine}"
        ),
    )
    .unwrap();
    let o = run(&["analyze", "--format", "json", "--log"], &[&log]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["queries"].as_array().map(Vec::len), Some(2));
}

/// Found by tests/fuzz.rs: 840 unclosed `CASE WHEN` (sqlparser's recursion
/// limit does not count them) overflowed a 2 MB thread's stack. Parsed on
/// such a thread, as the log digest's workers parse.
#[test]
fn unclosed_case_nesting_is_refused_before_the_parser() {
    let sql = format!("SELECT {} 1 FROM t", "CASE WHEN x = 1 THEN ".repeat(840));
    let r = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            dbperf::sql::statement::analyze_sql(&sql, dbperf::model::Dialect::Postgres, None)
                .map(|_| ())
                .map_err(|e| e.message)
        })
        .unwrap()
        .join()
        .unwrap();
    assert!(
        r.as_ref().is_err_and(|m| m.contains("nested deeper than")),
        "{r:?}"
    );
}
