//! Real DDL that PostgreSQL accepts must not stop `dbperf lint`: the
//! CREATE/ALTER/DROP TABLE and INDEX statements of PostgreSQL's regression
//! SQL and of squawk's parser tests that PostgreSQL 15 ran
//! (`fixtures/ddl_corpus/accepted/`), and those of PostgreSQL 16–18 syntax
//! that 15 rejects (`fixtures/ddl_corpus/pg16_18.sql`), all made by
//! `fixtures/ddl_corpus/extract.py`. Each file is replayed as one migration;
//! every statement is either modelled, skipped (changes nothing rules see),
//! or reported as not understood, never refused, and the rules run on
//! what the replay left without panicking. `DDL_CORPUS_LIST=1` prints the
//! statements reported as not understood.

use dbperf::analysis::lint::{LintOptions, lint};
use dbperf::model::Dialect;
use dbperf::parse::migration::{Input, replay};
use dbperf::source::migrations::MigrationFile;
use dbperf::sql::split::split;

mod common;

#[derive(Debug, Default)]
struct Counts {
    statements: usize,
    modelled: usize,
    not_understood: usize,
    refused: Vec<String>,
}

fn count(path: &str, text: &str) -> Counts {
    let r = replay(
        &[Input {
            path,
            text,
            implicit_transaction: false,
        }],
        Dialect::Postgres,
    );
    let stmts: Vec<_> = split(text)
        .into_iter()
        .filter(|s| !s.text.is_empty())
        .collect();
    let mut c = Counts {
        statements: stmts.len(),
        ..Counts::default()
    };
    let mut modelled: Vec<usize> = r.statements.iter().map(|s| s.line).collect();
    modelled.dedup();
    c.modelled = modelled.len();
    c.not_understood = r.not_understood.len();
    if std::env::var_os("DDL_CORPUS_LIST").is_some() {
        for n in &r.not_understood {
            eprintln!("NU {path}:{}: {} | {}", n.line, n.reason, n.text);
        }
    }
    for p in &r.problems {
        // The statement the problem is in: the last one starting at or before it.
        let at = stmts
            .partition_point(|s| s.line <= p.line)
            .saturating_sub(1);
        let s = &stmts[at];
        c.refused.push(format!(
            "{path}:{}: {}\n    {}",
            s.line,
            p.message,
            s.text.lines().take(3).collect::<Vec<_>>().join("\n    ")
        ));
    }
    c
}

#[test]
fn parse_real_ddl_corpus_without_refusing_any() {
    let mut files = vec![
        "ddl_corpus/accepted/pg_regress.sql",
        "ddl_corpus/accepted/squawk.sql",
        "ddl_corpus/pg16_18.sql",
    ];
    files.sort();
    // Other projects' SQL is not committed (fixtures/ddl_corpus/README.md):
    // without extract.py's output the test says so and skips.
    if !files.iter().all(|f| common::fixture(f).is_file()) {
        eprintln!("SKIPPED: no DDL corpus; run fixtures/ddl_corpus/extract.py");
        return;
    }
    let mut refused = Vec::new();
    let mut summary = String::new();
    for f in files {
        let text = std::fs::read_to_string(common::fixture(f)).unwrap();
        let c = count(f, &text);
        summary.push_str(&format!(
            "{f}: {} statements, {} modelled, {} not understood, {} refused\n",
            c.statements,
            c.modelled,
            c.not_understood,
            c.refused.len()
        ));
        refused.extend(c.refused);
        // The rules run on the replayed schema without panicking.
        let out = lint(
            &[MigrationFile {
                path: f.to_string(),
                text,
                implicit_transaction: false,
                transaction_opt_out: None,
            }],
            None,
            None,
            &LintOptions::default(),
        );
        assert!(out.problems.is_empty(), "{f}: {:?}", out.problems);
    }
    eprintln!("{summary}");
    assert!(
        refused.is_empty(),
        "{summary}{} statements refused:\n{}",
        refused.len(),
        refused.join("\n")
    );
}
