//! Advisor speed: `cargo bench --bench advise`.
//!
//! Generates a 200-table schema with statistics and 10,000 distinct
//! statements over it (lookups, ranges, joins, ORDER BY … LIMIT, functions
//! on columns), then times parsing the schema and advising the workload.

use std::fmt::Write;
use std::time::Instant;

use dbperf::advise::workload::{AdviseOptions, WorkloadQuery, advise};
use dbperf::model::Dialect;
use dbperf::parse::ddl::parse_schema;

const TABLES: usize = 200;
const STATEMENTS: usize = 10_000;

fn schema() -> String {
    let mut s = String::new();
    for t in 0..TABLES {
        let rows = 1_000 * (1 + (t * 7919) % 2_000);
        writeln!(
            s,
            "CREATE TABLE public.t{t} (\n    id bigint NOT NULL,\n    parent_id bigint,\n    account_id bigint NOT NULL,\n    status text NOT NULL,\n    kind integer NOT NULL,\n    email text,\n    amount numeric(12,2),\n    created_at timestamp with time zone NOT NULL,\n    updated_at timestamp without time zone\n);\nALTER TABLE ONLY public.t{t} ADD CONSTRAINT t{t}_pkey PRIMARY KEY (id);"
        )
        .unwrap();
        if t % 3 == 0 {
            writeln!(
                s,
                "CREATE INDEX t{t}_account_id_idx ON public.t{t} USING btree (account_id);"
            )
            .unwrap();
        }
        if t > 0 {
            writeln!(s, "ALTER TABLE ONLY public.t{t} ADD CONSTRAINT t{t}_parent_fkey FOREIGN KEY (parent_id) REFERENCES public.t{}(id);", t - 1).unwrap();
        }
        writeln!(s, "-- dbperf: public.t{t} rows={rows}").unwrap();
        writeln!(
            s,
            "-- dbperf: public.t{t}.account_id distinct={}",
            rows / 20
        )
        .unwrap();
        writeln!(s, "-- dbperf: public.t{t}.parent_id distinct=-0.5").unwrap();
        writeln!(
            s,
            "-- dbperf: public.t{t}.status distinct=5 mcv='done':0.9,'new':0.05,'failed':0.02"
        )
        .unwrap();
        writeln!(s, "-- dbperf: public.t{t}.kind distinct=12").unwrap();
        writeln!(s, "-- dbperf: public.t{t}.email distinct=-0.9").unwrap();
    }
    s
}

fn workload() -> Vec<WorkloadQuery> {
    let mut out = Vec::with_capacity(STATEMENTS);
    for i in 0..STATEMENTS {
        let t = i % TABLES;
        let u = (i * 31 + 1) % TABLES;
        let cols = ["id", "account_id", "status", "kind", "amount", "created_at"];
        // Table × variant × column pair: 200 × 8 × 36 shapes, so every one
        // of the 10,000 statements has its own fingerprint.
        let pair = i / (TABLES * 8);
        let c1 = cols[pair % cols.len()];
        let c2 = cols[(pair / cols.len()) % cols.len()];
        let sql = match (i / TABLES) % 8 {
            0 => format!(
                "SELECT {c1}, {c2} FROM t{t} WHERE account_id = {i} ORDER BY created_at DESC LIMIT {}",
                10 + i % 50
            ),
            1 => format!(
                "SELECT count({c2}) FROM t{t} WHERE status = 'new' AND kind = {} AND {c1} IS NOT NULL",
                i % 12
            ),
            2 => format!(
                "SELECT a.{c2}, b.{c1} FROM t{t} a JOIN t{u} b ON b.parent_id = a.id WHERE a.account_id = {i} AND b.kind = {}",
                i % 7
            ),
            3 => format!(
                "SELECT {c1}, {c2} FROM t{t} WHERE lower(email) = 'user{i}@example.com' AND kind <> {}",
                i % 9
            ),
            4 => format!(
                "SELECT sum(amount), max({c2}) FROM t{t} WHERE created_at::date = '2024-01-{:02}' AND {c1} IS NOT NULL",
                1 + i % 28
            ),
            5 => format!(
                "UPDATE t{t} SET status = 'done', kind = {} WHERE id = {i} AND {c2} IS NOT NULL AND {c1} >= 0",
                i % 5
            ),
            6 => format!(
                "WITH recent AS (SELECT id, {c1} FROM t{t} WHERE created_at > now() - interval '{} days') SELECT r.{c1}, x.{c2} FROM recent r JOIN t{u} x ON x.parent_id = r.id",
                1 + i % 30
            ),
            _ => format!(
                "SELECT {c1}, {c2} FROM t{t} WHERE account_id IN ({}, {}, {}) AND status = 'failed' AND amount > {}",
                i,
                i + 1,
                i + 2,
                i % 100
            ),
        };
        out.push(WorkloadQuery {
            sql,
            calls: 1 + (i as u64 * 7) % 1000,
            mean_ms: None,
            path: "generated.sql".into(),
            line: i + 1,
        });
    }
    out
}

fn main() {
    let ddl = schema();
    let queries = workload();
    let start = Instant::now();
    let (schema, problems) = parse_schema("generated_schema.sql", &ddl, Dialect::Postgres);
    let parsed = start.elapsed().as_secs_f64();
    assert!(
        problems.is_empty(),
        "{:?}",
        &problems[..problems.len().min(3)]
    );
    let start = Instant::now();
    let advice = advise(&queries, &schema, &AdviseOptions::default());
    let advised = start.elapsed().as_secs_f64();
    println!(
        "advise: schema of {} tables parsed in {:.3} s; {} statements ({} distinct, {} problems) advised in {:.3} s; {} indexes, {} wrapped columns",
        schema.tables.len(),
        parsed,
        queries.len(),
        advice.queries.len(),
        advice.problems.len(),
        advised,
        advice.indexes.len(),
        advice.wrapped.len()
    );
}
