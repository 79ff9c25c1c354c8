//! `dbperf lint` on the migration fixtures of every layout
//! (`fixtures/migrations/<layout>`): the findings each must raise, by rule,
//! file and line; the set that must raise none; a syntax error that is
//! reported while the other files are still checked; `dbperf.toml`,
//! inline ignores and `--changed-since`.

use std::path::Path;
use std::process::Output;

mod common;
use common::{dbperf, fixture};

fn lint(args: &[&str], dir: &Path) -> Output {
    dbperf()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .arg("lint")
        .args(args)
        .output()
        .unwrap()
}

/// `rule path:line` of each finding, from the JSON report.
fn findings(out: &Output) -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}:{}",
                f["rule"].as_str().unwrap(),
                f["location"]["path"].as_str().unwrap(),
                f["location"]["line"]
            )
        })
        .collect()
}

fn check_layout(dir: &str, want: &[&str]) {
    let root = fixture("migrations");
    let out = lint(&[dir, "--format", "json", "--no-config"], &root);
    let mut got = findings(&out);
    got.sort();
    let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(got, want, "{dir}: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(if want.is_empty() { 0 } else { 1 }));
}

#[test]
fn flyway_orders_versions_numerically() {
    // V10 drops V2's index after V2 built it: no duplicate-index, and the
    // foreign key is served by V10's wider index.
    check_layout(
        "flyway",
        &["non-concurrent-index flyway/V2__customer_orders_index.sql:2"],
    );
}

#[test]
fn golang_migrate_reads_up_files_only() {
    check_layout(
        "golang-migrate",
        &[
            "fk-without-index golang-migrate/000002_create_posts.up.sql:6",
            "non-concurrent-index golang-migrate/000003_posts_title_index.up.sql:1",
        ],
    );
}

#[test]
fn sqlx_simple_and_reversible() {
    check_layout(
        "sqlx",
        &[
            "no-primary-key sqlx/20240101120000_accounts.sql:6",
            "duplicate-index sqlx/20240215093000_sessions.up.sql:6",
        ],
    );
}

#[test]
fn dbmate_up_sections_and_their_transactions() {
    // Only the CONCURRENTLY inside dbmate's own transaction; the one with
    // `transaction:false` is fine, and the down sections are not replayed.
    check_layout(
        "dbmate",
        &["non-concurrent-index dbmate/db/migrations/20240117101500_tasks_done_index.sql:3"],
    );
}

#[test]
fn goose_up_sections_and_no_transaction() {
    check_layout(
        "goose",
        &["non-concurrent-index goose/00003_issued_at_index.sql:2"],
    );
}

#[test]
fn prisma_directories() {
    check_layout(
        "prisma",
        &[
            "fk-without-index prisma/migrations/20240105093000_init/migration.sql:25",
            "non-concurrent-index prisma/migrations/20240212140000_add_reviews/migration.sql:14",
        ],
    );
}

#[test]
fn diesel_directories() {
    check_layout(
        "diesel",
        &["fk-without-index diesel/migrations/2024-03-08-090000_add_comments/up.sql:4"],
    );
}

#[test]
fn plain_numbered_files_and_inline_ignore() {
    // 010 runs after 002; the ignored index (line 4) still counts as a
    // duplicate, only its non-concurrent-index finding is ignored.
    check_layout(
        "plain",
        &[
            "no-primary-key plain/001_schema.sql:7",
            "constraint-without-not-valid plain/002_books_author_fk.sql:1",
            "duplicate-index plain/010_books_author_index.sql:4",
            "non-concurrent-index plain/010_books_author_index.sql:5",
        ],
    );
}

#[test]
fn django_sqlmigrate_output() {
    // Django indexes its foreign keys itself; the varchar_pattern_ops index
    // beside the unique email is not a duplicate.
    check_layout(
        "django/migrations",
        &[
            "missing-lock-timeout django/migrations/0002_order_status.sql:5",
            "non-concurrent-index django/migrations/0002_order_status.sql:10",
        ],
    );
}

#[test]
fn pg_dump_schema() {
    check_layout(
        "pg_dump/schema.sql",
        &[
            "fk-without-index pg_dump/schema.sql:210",
            "duplicate-index pg_dump/schema.sql:188",
            "no-primary-key pg_dump/schema.sql:92",
        ],
    );
}

#[test]
fn clean_fixture_raises_nothing() {
    check_layout("clean", &[]);
}

#[test]
fn syntax_error_is_reported_and_the_rest_still_checked() {
    let root = fixture("migrations");
    let out = lint(&["syntax-error", "--format", "json", "--no-config"], &root);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("syntax-error/002_broken.sql:3:"), "{err}");
    // 003 is checked after the broken file.
    assert_eq!(
        findings(&out),
        ["fk-without-index syntax-error/003_more.sql:3"]
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["input_problems"][0]["path"],
        "syntax-error/002_broken.sql"
    );
    assert_eq!(doc["input_problems"][0]["line"], 3);
}

#[test]
fn missing_index_with_queries() {
    let root = fixture("migrations");
    let out = lint(
        &[
            "flyway",
            "--queries",
            "queries/flyway_app.sql",
            "--format",
            "json",
            "--no-config",
        ],
        &root,
    );
    let got = findings(&out);
    assert!(
        got.contains(&"missing-index queries/flyway_app.sql:5".to_string()),
        "{got:?}"
    );
    // The customer lookup is served by V10's index; the email one is ignored inline.
    assert_eq!(
        got.iter()
            .filter(|f| f.starts_with("missing-index"))
            .count(),
        1
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let advice = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "missing-index")
        .unwrap()["advice"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        advice,
        "CREATE INDEX CONCURRENTLY orders_status_created_at_idx ON orders (status, created_at);"
    );
    assert_eq!(doc["indexes"][0]["statement"], advice);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("dbperf-lint-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn dbperf_toml_selects_ignores_and_sets_severities() {
    let dir = scratch("toml");
    copy_dir(&fixture("migrations/plain"), &dir.join("migrations"));
    std::fs::write(
        dir.join("dbperf.toml"),
        "[lint]\nignore = [\"no-primary-key\"]\nfail-on = \"error\"\n[lint.severity]\nduplicate-index = \"info\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    // Found from a subdirectory, by walking up.
    let out = lint(&["../migrations", "--format", "json"], &dir.join("sub"));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<(&str, &str)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap(), f["severity"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rules,
        [
            ("constraint-without-not-valid", "warning"),
            ("duplicate-index", "info"),
            ("non-concurrent-index", "warning")
        ]
    );
    // fail-on = error: warnings do not fail; --fail-on on the command line wins.
    assert_eq!(out.status.code(), Some(0));
    let out = lint(&["../migrations", "--fail-on", "warning"], &dir.join("sub"));
    assert_eq!(out.status.code(), Some(1));
    // A mistake in the file names its line.
    std::fs::write(
        dir.join("dbperf.toml"),
        "[lint]\nignore = [\"no-such-rule\"]\n",
    )
    .unwrap();
    let out = lint(&["../migrations"], &dir.join("sub"));
    assert_eq!(out.status.code(), Some(2));
    std::fs::write(dir.join("dbperf.toml"), "[lint]\n\nignroe = []\n").unwrap();
    let out = lint(&["../migrations"], &dir.join("sub"));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("dbperf.toml:3:"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn changed_since_reports_only_what_the_new_files_introduce() {
    let dir = scratch("git");
    copy_dir(
        &fixture("migrations/golang-migrate"),
        &dir.join("migrations"),
    );
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .current_dir(&dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "base"]);
    // The new migration drops nothing, adds a table whose foreign key has no index.
    std::fs::write(
        dir.join("migrations/000004_comments.up.sql"),
        "CREATE TABLE comments (id serial PRIMARY KEY, post_id integer NOT NULL REFERENCES posts (id));\n",
    )
    .unwrap();
    let out = lint(
        &[
            "migrations",
            "--changed-since",
            "HEAD",
            "--format",
            "json",
            "--no-config",
        ],
        &dir,
    );
    assert_eq!(
        findings(&out),
        ["fk-without-index migrations/000004_comments.up.sql:1"],
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A new file that drops the index serving an old foreign key makes the
    // old foreign key's finding new.
    std::fs::write(
        dir.join("migrations/000004_comments.up.sql"),
        "CREATE INDEX CONCURRENTLY posts_user_id_idx ON posts (user_id);\n",
    )
    .unwrap();
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "index"]);
    std::fs::write(
        dir.join("migrations/000005_drop.up.sql"),
        "DROP INDEX CONCURRENTLY posts_user_id_idx;\n",
    )
    .unwrap();
    let out = lint(
        &[
            "migrations",
            "--changed-since",
            "HEAD",
            "--format",
            "json",
            "--no-config",
        ],
        &dir,
    );
    assert_eq!(
        findings(&out),
        ["fk-without-index migrations/000002_create_posts.up.sql:6"]
    );
    let out = lint(
        &[
            "migrations",
            "--changed-since",
            "no-such-ref",
            "--no-config",
        ],
        &dir,
    );
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn text_under_github_actions_also_annotates() {
    let out = dbperf()
        .current_dir(fixture("migrations"))
        .env("NO_COLOR", "1")
        .env("GITHUB_ACTIONS", "true")
        .args(["lint", "goose", "--no-config"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("warning[non-concurrent-index]"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("::warning file=goose/00003_issued_at_index.sql,line=2,col=1,")),
        "{text}"
    );
}

#[test]
fn hazards_fire_on_existing_tables_only() {
    // 0002 makes every lock and rewrite hazard once on tables of 0001;
    // 0003 makes the same changes the safe way; 0004 makes them on a table
    // it creates itself. Only 0002 may raise hazards (the partitions of
    // 0001 have their parent's primary key, and keep it when detached).
    let f = |rule: &str, line: u32| format!("{rule} hazards/0002_hazards.sql:{line}");
    let mut want = vec![
        f("missing-lock-timeout", 3),
        f("non-concurrent-drop-index", 3),
        f("non-concurrent-reindex", 4),
        f("constraint-builds-index", 5),
        f("constraint-without-not-valid", 6),
        f("constraint-without-not-valid", 7),
        f("set-not-null-without-check", 8),
        f("not-null-column-without-default", 9),
        f("rewriting-add-column", 10),
        f("rewriting-add-column", 11),
        f("rewriting-type-change", 12),
        f("rewriting-add-column", 13),
        f("serial-column", 13),
        f("non-concurrent-detach-partition", 14),
        f("exclusive-lock-command", 16),
        f("exclusive-lock-command", 19),
        f("exclusive-lock-command", 20),
        f("concurrent-index-if-not-exists", 21),
        f("rewriting-add-column", 23),
        f("non-concurrent-index", 24),
    ];
    want.sort();
    let root = fixture("migrations");
    let out = lint(&["hazards", "--format", "json", "--no-config"], &root);
    let mut got = findings(&out);
    got.sort();
    assert_eq!(got, want, "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1));

    // With the application's statements: the rename of a column it reads.
    let out = lint(
        &[
            "hazards",
            "--queries",
            "queries/hazards_app.sql",
            "--format",
            "json",
            "--no-config",
            "--select",
            "dropped-or-renamed-in-use",
        ],
        &root,
    );
    assert_eq!(
        findings(&out),
        ["dropped-or-renamed-in-use hazards/0002_hazards.sql:22"],
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes `files` (path, text) under a scratch directory and lints its
/// `migrations` folder: the `rule severity` of each finding.
fn lint_tree(name: &str, files: &[(&str, &str)]) -> (Vec<String>, String) {
    let dir = scratch(name);
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let out = lint(&["migrations", "--format", "json", "--no-config"], &dir);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["rule"].as_str().unwrap(),
                f["severity"].as_str().unwrap()
            )
        })
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    (found, String::from_utf8_lossy(&out.stdout).into_owned())
}

const INIT: &str = "CREATE TABLE t (id bigint PRIMARY KEY, x int);\n";
const CIC: &str = "CREATE INDEX CONCURRENTLY t_x_idx ON t (x);\n";

#[test]
fn sqlx_runs_each_migration_in_a_transaction() {
    let cargo = ("Cargo.toml", "[dependencies]\nsqlx = \"0.8\"\n");
    let (found, json) = lint_tree(
        "sqlx-tx",
        &[
            cargo,
            ("migrations/20240101000000_init.sql", INIT),
            ("migrations/20240102000000_t_x.sql", CIC),
        ],
    );
    assert_eq!(found, ["non-concurrent-index error"]);
    assert!(json.contains("-- no-transaction"), "{json}");
    let (found, _) = lint_tree(
        "sqlx-no-tx",
        &[
            cargo,
            ("migrations/20240101000000_init.sql", INIT),
            (
                "migrations/20240102000000_t_x.sql",
                &format!("-- no-transaction\n{CIC}"),
            ),
        ],
    );
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn diesel_runs_up_sql_in_a_transaction_unless_metadata_says_not() {
    let init = ("migrations/2024-01-01-000000_init/up.sql", INIT);
    let idx = ("migrations/2024-01-02-000000_t_x/up.sql", CIC);
    let (found, json) = lint_tree("diesel-tx", &[init, idx]);
    assert_eq!(found, ["non-concurrent-index error"]);
    assert!(json.contains("run_in_transaction = false"), "{json}");
    let meta = (
        "migrations/2024-01-02-000000_t_x/metadata.toml",
        "run_in_transaction = false\n",
    );
    let (found, _) = lint_tree("diesel-no-tx", &[init, idx, meta]);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn flyway_transactions_follow_its_statements_and_script_config() {
    let init = ("migrations/V1__init.sql", INIT);
    // Alone, Flyway sees the statement cannot run in a transaction.
    let (found, _) = lint_tree("flyway-alone", &[init, ("migrations/V2__t_x.sql", CIC)]);
    assert!(found.is_empty(), "{found:?}");
    // Mixed with a transactional statement: one transaction, which fails.
    let mixed = format!("ALTER TABLE t ADD COLUMN y int;\n{CIC}");
    let (found, json) = lint_tree("flyway-mixed", &[init, ("migrations/V2__t_x.sql", &mixed)]);
    assert!(
        found.contains(&"non-concurrent-index error".to_string()),
        "{found:?}"
    );
    assert!(json.contains("executeInTransaction=false"), "{json}");
    let (found, _) = lint_tree(
        "flyway-conf",
        &[
            init,
            ("migrations/V2__t_x.sql", &mixed),
            (
                "migrations/V2__t_x.sql.conf",
                "executeInTransaction=false\n",
            ),
        ],
    );
    assert!(
        !found.contains(&"non-concurrent-index error".to_string()),
        "{found:?}"
    );
}
