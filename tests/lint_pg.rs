//! Every `CREATE INDEX` that `dbperf lint` proposes runs on the real
//! PostgreSQL once the migrations it read have been applied there: each
//! fixture set goes into a database of its own (created and dropped here),
//! statement by statement as its tool would run it, then every proposed
//! statement is executed.

use dbperf::analysis::lint::{LintOptions, lint, read_queries};
use dbperf::source::migrations::{self, MigrationFile, Order};
use dbperf::sql::split::split;
use tokio_postgres::NoTls;

mod common;
use common::{fixture, pg_url};

/// (fixture, queries file)
const SETS: &[(&str, Option<&str>)] = &[
    ("flyway", Some("queries/flyway_app.sql")),
    ("golang-migrate", None),
    ("sqlx", None),
    ("dbmate", None),
    ("goose", None),
    ("prisma", None),
    ("diesel", None),
    ("plain", None),
    ("clean", None),
    ("django/migrations", None),
    ("pg_dump/schema.sql", None),
];

fn url_with_db(url: &str, db: &str) -> String {
    let (base, rest) = url.rsplit_once('/').unwrap();
    let params = rest
        .split_once('?')
        .map(|(_, p)| format!("?{p}"))
        .unwrap_or_default();
    format!("{base}/{db}{params}")
}

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(async move {
        let _ = conn.await;
    });
    client
}

#[tokio::test(flavor = "current_thread")]
async fn proposed_indexes_run_on_postgres() {
    let Some(url) = pg_url("proposed_indexes_run_on_postgres") else {
        return;
    };
    let admin = connect(&url).await;
    let root = fixture("migrations");
    let mut proposed = 0;
    for (i, (set, queries)) in SETS.iter().enumerate() {
        let paths =
            migrations::discover(&[root.join(set)], Order::Auto, &Default::default()).unwrap();
        let files: Vec<MigrationFile> =
            paths.iter().map(|p| migrations::read(p).unwrap()).collect();
        let queries = queries.map(|q| read_queries(&root.join(q)).unwrap());
        let outcome = lint(&files, queries.as_ref(), None, &LintOptions::default());
        assert!(outcome.problems.is_empty(), "{set}: {:?}", outcome.problems);

        let db = format!("dbperf_lint_{i}");
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {db}"))
            .await
            .unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {db}"))
            .await
            .unwrap();
        let client = connect(&url_with_db(&url, &db)).await;
        for f in &files {
            for raw in split(&f.text) {
                if raw.text.is_empty() {
                    continue;
                }
                if let Err(e) = client.batch_execute(raw.text).await {
                    panic!("{set}: {}:{}: {e:?}\n{}", f.path, raw.line, raw.text);
                }
            }
        }
        // Outside any transaction, as the fixes say.
        let _ = client.batch_execute("ROLLBACK").await;
        for finding in &outcome.findings {
            if finding.advice.starts_with("CREATE INDEX") {
                proposed += 1;
                // A fix of the migration's own CREATE INDEX replaces that
                // statement: the index it built goes first, as it would not
                // exist had the migration used the fix.
                if let Some(name) = index_name(&finding.advice) {
                    client
                        .batch_execute(&format!("DROP INDEX IF EXISTS {name}"))
                        .await
                        .unwrap();
                }
                if let Err(e) = client.batch_execute(&finding.advice).await {
                    panic!("{set}: {} failed: {e:?}", finding.advice);
                }
            }
        }
        drop(client);
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
            .await
            .unwrap();
    }
    assert!(proposed >= 10, "only {proposed} proposals were run");
}

/// The index a `CREATE [UNIQUE] INDEX [CONCURRENTLY] name ON …` builds.
fn index_name(statement: &str) -> Option<&str> {
    let mut words = statement.split_whitespace();
    words.find(|w| w.eq_ignore_ascii_case("INDEX"))?;
    words.find(|w| !w.eq_ignore_ascii_case("CONCURRENTLY"))
}
