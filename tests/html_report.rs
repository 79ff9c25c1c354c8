//! `--format html` for explain, analyze and lint: the page is one
//! self-contained file, input text stays text, and a real headless
//! Chromium renders it, runs its script without a console error and shows
//! every plan node.
//!
//! The browser checks need Chromium (Debian's `chromium` package, or the
//! binary named by `DBPERF_CHROMIUM`); without it they print SKIPPED, and
//! under CI (`CI` set) they fail. `DBPERF_BLESS=1` also writes the
//! screenshots in `docs/screenshots/`.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::dbperf;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dbperf-html-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs dbperf with `args` and `--format html -o FILE`; returns the page.
fn render(name: &str, args: &[&str], expect: i32) -> (PathBuf, String) {
    // Tests run at once and may render the same page: one file each.
    static PAGES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = PAGES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = scratch(&format!("{name}-{n}")).join(format!("{name}.html"));
    let out = dbperf()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("GITHUB_ACTIONS")
        .args(args)
        .args(["--format", "html", "-o"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(expect),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(&path).unwrap();
    (path, page)
}

fn explain() -> (PathBuf, String) {
    render(
        "explain",
        &["explain", "fixtures/plans/pg/hash_join_batches.txt"],
        0,
    )
}

fn analyze() -> (PathBuf, String) {
    // Each caller builds its own demo database (20 MB), and removes it.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = scratch(&format!("demo-db-{n}"));
    let page = render(
        "analyze",
        &["analyze", "--demo", "--demo-dir", dir.to_str().unwrap()],
        0,
    );
    let _ = std::fs::remove_dir_all(&dir);
    page
}

fn analyze_log() -> (PathBuf, String) {
    render(
        "analyze-log",
        &["analyze", "--log", "fixtures/logs/pg/a.log"],
        0,
    )
}

fn lint() -> (PathBuf, String) {
    render(
        "lint",
        &[
            "lint",
            "--no-config",
            "fixtures/migrations/flyway",
            "--queries",
            "fixtures/migrations/queries/flyway_app.sql",
        ],
        1,
    )
}

/// The page's own parts only: one script, one style, nothing fetched.
fn self_contained(page: &str) {
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert_eq!(page.matches("<script").count(), 1);
    assert_eq!(page.matches("<style").count(), 1);
    for needle in ["src=\"", "<img", "<iframe", "<link", "@import", "url("] {
        assert!(!page.contains(needle), "page fetches something: {needle}");
    }
}

#[test]
fn explain_page_shows_every_node_and_marks_the_spill() {
    let (_, page) = explain();
    self_contained(&page);
    // hash_join_batches: a hash join whose hash spilled over a misestimated scan.
    let icicle = page.matches("class=\"ice").count();
    let nodes = page.matches("class=\"node-detail\"").count();
    assert!(nodes >= 3, "{nodes}");
    assert!(icicle >= 3 && icicle <= nodes, "{icicle} of {nodes}");
    assert!(page.contains("ice mis") || page.contains("ice spill"));
    assert!(page.contains("spilled to disk"));
    assert!(page.contains("href=\"#rule-disk-spill\""));
    assert!(page.contains("id=\"rule-disk-spill\""));
}

#[test]
fn analyze_page_has_time_indexes_and_findings() {
    let (_, page) = analyze();
    self_contained(&page);
    assert!(page.contains("id=\"time\""));
    assert!(page.contains("id=\"indexes\""));
    assert!(page.contains("CREATE INDEX"));
    assert!(page.contains("id=\"findings\"") || page.contains("id=\"health\""));
}

#[test]
fn analyze_log_page_charts_the_time_by_statement() {
    let (_, page) = analyze_log();
    self_contained(&page);
    assert!(page.contains("Where the time goes"));
    assert!(page.matches("class=\"hbar \"").count() >= 2);
}

#[test]
fn lint_page_groups_findings_by_file() {
    let (_, page) = lint();
    self_contained(&page);
    assert!(page.contains("Findings by file"));
    assert!(page.contains("V2__customer_orders_index.sql"));
    assert!(page.contains("non-concurrent-index"));
    assert!(page.contains("class=\"snippet mono\""));
}

#[test]
fn a_table_named_script_stays_text() {
    // A migration that creates a table and an index with hostile names.
    let dir = scratch("hostile");
    std::fs::write(
        dir.join("V1__hostile.sql"),
        "CREATE TABLE \"<script>alert(1)</script>\" (id int PRIMARY KEY, \"<img src=x onerror=alert(2)>\" int);\n\
         CREATE TABLE parent (id int PRIMARY KEY);\n\
         ALTER TABLE \"<script>alert(1)</script>\" ADD CONSTRAINT fk FOREIGN KEY (\"<img src=x onerror=alert(2)>\") REFERENCES parent (id);\n",
    )
    .unwrap();
    let (path, page) = render(
        "hostile",
        &["lint", "--no-config", dir.to_str().unwrap()],
        1,
    );
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    assert!(!page.contains("<img"));
    self_contained(&page);
    if let Some(browser) = chromium("a_table_named_script_stays_text") {
        let run = browse(&browser, &path, None);
        assert!(run.errors.is_empty(), "{:?}", run.errors);
        assert!(!run.dom.contains("<img"), "an <img> element was made");
        assert_eq!(run.dom.matches("<script").count(), 1);
    }
}

// ------------------------------------------------------------ the browser

fn chromium(test: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("DBPERF_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        let ok = Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(PathBuf::from(name));
        }
    }
    if std::env::var_os("CI").is_some() {
        panic!("{test}: no Chromium found, and CI is set (apt-get install chromium)");
    }
    eprintln!("SKIPPED {test}: no chromium (apt-get install chromium, or set DBPERF_CHROMIUM)");
    None
}

struct Run {
    /// The DOM after the page's script ran.
    dom: String,
    /// Console messages and uncaught exceptions.
    errors: Vec<String>,
}

/// Opens `page` in headless Chromium: dumps its DOM, collects console
/// errors, and takes a screenshot when asked.
fn browse(browser: &Path, page: &Path, screenshot: Option<&Path>) -> Run {
    // One profile per run: Chromium locks its profile directory.
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let profile = scratch(&format!("chromium-profile-{n}"));
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=3000",
        "--window-size=1400,1000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    match screenshot {
        Some(shot) => cmd.arg(format!("--screenshot={}", shot.display())),
        None => cmd.arg("--dump-dom"),
    };
    let out = cmd
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors = stderr
        .lines()
        // Chromium logs every console message (all at INFO) and uncaught
        // exceptions as `…:CONSOLE:…] "message"`; the page logs nothing.
        .filter(|l| l.contains("CONSOLE"))
        .map(str::to_string)
        .collect();
    Run {
        dom: String::from_utf8_lossy(&out.stdout).into_owned(),
        errors,
    }
}

/// The number the page's script writes into `<body data-ready>` once it
/// ran to the end: the count of clickable plan nodes.
fn ready(dom: &str) -> Option<usize> {
    let at = dom.find("data-ready=\"")? + "data-ready=\"".len();
    let end = dom[at..].find('"')? + at;
    dom[at..end].parse().ok()
}

#[test]
fn the_console_check_sees_an_error() {
    // The checker must be able to fail: a page whose script throws.
    let Some(browser) = chromium("the_console_check_sees_an_error") else {
        return;
    };
    let path = scratch("broken").join("broken.html");
    std::fs::write(
        &path,
        "<!DOCTYPE html><html><body><script>undefinedFunction();</script></body></html>",
    )
    .unwrap();
    let run = browse(&browser, &path, None);
    assert!(!run.errors.is_empty(), "no console error seen");
}

#[test]
fn pages_render_in_chromium_without_console_errors() {
    let Some(browser) = chromium("pages_render_in_chromium_without_console_errors") else {
        return;
    };
    let bless = std::env::var_os("DBPERF_BLESS").is_some();
    for (kind, (path, page)) in [
        ("explain", explain()),
        ("analyze", analyze()),
        ("analyze-log", analyze_log()),
        ("lint", lint()),
    ] {
        let run = browse(&browser, &path, None);
        assert!(run.errors.is_empty(), "{kind}: {:?}", run.errors);
        let clickable = page.matches("data-node=\"").count();
        assert_eq!(
            ready(&run.dom),
            Some(clickable),
            "{kind}: the script did not finish"
        );
        if kind == "explain" {
            // Exactly one node's details are shown after the script ran.
            let shown = run.dom.matches("class=\"node-detail\" id=").count()
                - run.dom.matches("hidden=\"\"").count();
            assert_eq!(shown, 1, "{kind}");
            assert!(run.dom.contains("selected"));
        }
        let shot = if bless {
            let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
            std::fs::create_dir_all(&dir).unwrap();
            dir.join(format!("html-{kind}.png"))
        } else {
            scratch("shots").join(format!("{kind}.png"))
        };
        let run = browse(&browser, &path, Some(&shot));
        assert!(run.errors.is_empty(), "{kind}: {:?}", run.errors);
        let png = std::fs::read(&shot).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{kind}: no PNG");
        assert!(
            png.len() > 20_000,
            "{kind}: a blank screenshot? {} bytes",
            png.len()
        );
    }
}
