//! The real `pg_dump --schema-only` of every database the tests build
//! (fixtures/pg_dumps, made by its generate.sh, and the dump lint reads in
//! fixtures/migrations/pg_dump) replays without an error and without a
//! statement left not understood: every table, index and key it declares
//! is in the replayed schema.

use dbperf::model::Dialect;
use dbperf::parse::migration::{Input, replay};

mod common;

/// fixtures/pg_dumps/*.sql and the pg_dump fixture of lint.
fn dumps() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(common::fixture("pg_dumps"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .map(|n| format!("pg_dumps/{n}"))
        .collect();
    out.sort();
    out.push("migrations/pg_dump/schema.sql".into());
    out
}

/// Statements of a dump that start with `prefix` (pg_dump writes one per line start).
fn count(text: &str, prefix: &str) -> usize {
    text.lines().filter(|l| l.starts_with(prefix)).count()
}

#[test]
fn parse_every_fixture_database_dump() {
    let dumps = dumps();
    assert_eq!(dumps.len(), 15, "{dumps:?}");
    for d in &dumps {
        let d = d.as_str();
        let text = std::fs::read_to_string(common::fixture(d)).unwrap();
        let r = replay(
            &[Input {
                path: d,
                text: &text,
                implicit_transaction: false,
            }],
            Dialect::Postgres,
        );
        assert!(r.problems.is_empty(), "{d}: {:?}", r.problems);
        assert!(r.not_understood.is_empty(), "{d}: {:?}", r.not_understood);
        assert_eq!(r.schema.tables.len(), count(&text, "CREATE TABLE "), "{d}");
        let indexes: usize = r.schema.tables.iter().map(|t| t.indexes.len()).sum();
        let declared = count(&text, "CREATE INDEX ")
            + count(&text, "CREATE UNIQUE INDEX ")
            + text.matches(" PRIMARY KEY (").count()
            + text.matches(" UNIQUE (").count();
        assert_eq!(indexes, declared, "{d}");
        let fks: usize = r.schema.tables.iter().map(|t| t.foreign_keys.len()).sum();
        assert_eq!(fks, text.matches(" FOREIGN KEY (").count(), "{d}");
        assert!(r.schema.tables.iter().all(|t| !t.columns.is_empty()), "{d}");
        let (_, problems) = dbperf::parse::ddl::parse_schema(d, &text, Dialect::Postgres);
        assert!(problems.is_empty(), "{d}: {problems:?}");
    }
}

/// pg_dump writes a partitioned table's index as `CREATE INDEX … ON ONLY`:
/// read, it serves the foreign key, so `fk-without-index` must not fire on
/// `tags` (it did while the statement was refused), and nothing is left
/// unread.
#[test]
fn pg_dump_of_partitioned_tables_raises_no_false_fk_finding() {
    use dbperf::analysis::lint::{LintOptions, lint};
    use dbperf::source::migrations::MigrationFile;
    let path = "pg_dumps/partitioned.sql";
    let text = std::fs::read_to_string(common::fixture(path)).unwrap();
    assert!(text.contains("CREATE INDEX tags_account_idx ON ONLY public.tags"));
    let out = lint(
        &[MigrationFile {
            path: path.into(),
            text,
            implicit_transaction: false,
            transaction_opt_out: None,
        }],
        None,
        None,
        &LintOptions::default(),
    );
    assert!(out.problems.is_empty(), "{:?}", out.problems);
    let rules: Vec<&str> = out.findings.iter().map(|f| f.rule).collect();
    assert!(!rules.contains(&"fk-without-index"), "{rules:?}");
    assert!(!rules.contains(&"not-understood"), "{rules:?}");
    // The partitioned parent without a key is real; its partitions take
    // the key the parent gets, so the finding is the parent's alone.
    assert_eq!(rules, ["no-primary-key"], "{:#?}", out.findings);
    let m = &out.findings[0].message;
    assert!(
        m.contains("tags") && !m.contains("tags_a") && !m.contains("tags_rest"),
        "{m}"
    );
}
