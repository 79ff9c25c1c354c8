//! What users read, snapshotted in every report format for two inputs: a
//! real plan (`explain`, the hash join that spilled over a misestimated
//! scan) and the embedded demo (`analyze --demo`). The HTML snapshots
//! leave out the page's fixed stylesheet and script (src/report/html/),
//! keeping what is rendered from the report. Each snapshot is taken after
//! checking the findings it must show, and the demo twice, to be sure the
//! same input gives the same bytes.

mod common;
use common::dbperf;

fn run(args: &[&str], format: &str) -> String {
    let out = dbperf()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .args(args)
        .args(["--format", format])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The page without its constant `<style>` and `<script>` bodies.
fn html_body(page: &str) -> String {
    let mut out = page.to_string();
    for (open, close) in [("<style>", "</style>"), ("<script>", "</script>")] {
        let a = out.find(open).unwrap() + open.len();
        let b = out.find(close).unwrap();
        out.replace_range(a..b, "…");
    }
    out
}

const PLAN: &[&str] = &["explain", "fixtures/plans/pg/hash_join_batches.txt"];

/// Lines inside the ```sql blocks of `md` that read as sentences.
fn sql_block_sentences(md: &str) -> Vec<String> {
    let mut inside = false;
    let mut found = Vec::new();
    for l in md.lines().map(str::trim) {
        if l.starts_with("```") {
            inside = l == "```sql";
        } else if inside && (l.ends_with(':') || l.ends_with('.')) {
            found.push(l.to_string());
        }
    }
    found
}

#[test]
fn explain_markdown() {
    let md = run(PLAN, "markdown");
    assert_eq!(sql_block_sentences(&md), Vec::<String>::new());
    assert!(md.contains("`disk-spill`") && md.contains("`row-misestimate`"));
    assert!(
        md.contains("#3 Seq Scan on events e"),
        "node numbers in the tree"
    );
    insta::assert_snapshot!(md);
}

#[test]
fn explain_html() {
    let page = run(PLAN, "html");
    // The Hash node: misestimated and spilled.
    assert!(page.contains("class=\"ice mis spill\" data-node=\"2\""));
    insta::assert_snapshot!(html_body(&page));
}

fn demo(format: &str) -> String {
    let dir = std::env::temp_dir().join(format!("dbperf-formats-{}-{format}", std::process::id()));
    let d = dir.to_str().unwrap();
    let first = run(&["analyze", "--demo", "--demo-dir", d], format);
    let again = run(&["analyze", "--demo", "--demo-dir", d], format);
    assert_eq!(first, again, "two runs differ");
    let out = first.replace(d, "[demo-dir]");
    let _ = std::fs::remove_dir_all(&dir);
    out
}

#[test]
fn demo_text() {
    let text = demo("text");
    assert!(text.contains("Indexes to create (") && text.contains("seq-scan"));
    // No plan tree in this report: findings name their statement instead.
    assert!(text.contains("statement #2, SCAN oi"), "{text}");
    let wrong = common::unresolved_references(&text);
    assert!(wrong.is_empty(), "{wrong:#?}");
    // Where the time goes, what buys it back, why, then hygiene.
    let at = |h: &str| text.find(h).unwrap_or_else(|| panic!("no {h:?}"));
    let order = [
        at("Top statements ("),
        at("Indexes to create ("),
        at("Findings ("),
        at("Schema health ("),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    // Each table of schema health with its size.
    assert!(text.contains("  orders  200,000 rows\n"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn demo_markdown() {
    let md = demo("markdown");
    assert!(md.contains("## Indexes to create") && md.contains("`seq-scan`"));
    let at = |h: &str| md.find(h).unwrap_or_else(|| panic!("no {h:?}"));
    let order = [
        at("## Statements"),
        at("## Indexes to create"),
        at("## Findings ("),
        at("## Schema health ("),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    assert!(!md.contains("node #"), "no tree shows node numbers");
    // `<demo workload>` is text, not a tag a Markdown viewer drops; the
    // SQL blocks hold statements, the advice's sentences are text.
    assert!(md.contains("(statement at &lt;demo workload>:7)"));
    assert_eq!(sql_block_sentences(&md), Vec::<String>::new());
    insta::assert_snapshot!(md);
}

#[test]
fn demo_json() {
    let doc: serde_json::Value = serde_json::from_str(&demo("json")).unwrap();
    assert!(!doc["indexes"].as_array().unwrap().is_empty());
    let mut doc = doc;
    doc["version"] = "[version]".into();
    insta::assert_json_snapshot!(doc);
}

#[test]
fn demo_html() {
    let page = demo("html");
    assert!(page.contains("id=\"indexes\""));
    insta::assert_snapshot!(html_body(&page));
}

#[test]
fn log_report_cites_only_what_it_shows() {
    let text = run(&["analyze", "--log", "fixtures/logs/pg/a.log"], "text");
    // The auto_explain finding names its node by title, not by a number
    // of a tree this report does not draw.
    assert!(text.contains("(node Sort of the logged plan)"), "{text}");
    let wrong = common::unresolved_references(&text);
    assert!(wrong.is_empty(), "{wrong:#?}");
}
