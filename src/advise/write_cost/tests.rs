//! The write-cost arithmetic on hand-made tables and counters: each
//! expected figure is worked out in the test from the model's rules, not
//! copied from a run.

use super::*;
use crate::model::advice::WriteStatement;
use crate::model::schema::{Column, Index};

fn table(indexes: Vec<Index>) -> Schema {
    Schema {
        tables: vec![Table {
            schema: Some("public".into()),
            name: "jobs".into(),
            columns: ["id", "worker", "status", "updated_at", "email"]
                .iter()
                .map(|c| Column {
                    name: c.to_string(),
                    data_type: "text".into(),
                    ..Column::default()
                })
                .collect(),
            indexes,
            ..Table::default()
        }],
        ..Schema::default()
    }
}

fn btree(name: &str, cols: &[&str]) -> Index {
    Index {
        name: name.into(),
        keys: cols.iter().map(|c| IndexKey::column(c)).collect(),
        valid: true,
        ..Index::default()
    }
}

/// An UPDATE that found its rows by key: 5 shared blocks a row.
fn update(sets: &[&str], rows: u64, total_ms: f64) -> WriteStatement {
    WriteStatement {
        table: "public.jobs".into(),
        sets: Some(sets.iter().map(|s| s.to_string()).collect()),
        rows,
        total_ms,
        blocks: rows * 5,
    }
}

/// An INSERT of rows (3 shared blocks a row).
fn insert(rows: u64, total_ms: f64) -> WriteStatement {
    WriteStatement {
        table: "public.jobs".into(),
        sets: None,
        rows,
        total_ms,
        blocks: rows * 3,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-3 * b.abs().max(1.0)
}

#[test]
fn an_index_on_a_column_the_updates_set_pays_for_every_index_on_the_hot_updates() {
    let schema = table(vec![btree("jobs_pkey", &["id"])]);
    let writes = Writes {
        statements: vec![update(&["worker", "updated_at"], 5000, 100.0)],
        hot_share: vec![("public.jobs".into(), 0.9)],
    };
    let load = WriteLoad::new(&schema, &writes);
    // One entry: 100 ms over 5000 rows × (heap 1 + 10% non-HOT × 1 index).
    let entry = 100.0 / (5000.0 * (1.0 + 0.1));
    let worker = load
        .cost(&IndexSpec::new("public.jobs", &["worker"]))
        .unwrap();
    // Non-HOT rows write its entry; HOT rows (90%) lose HOT and write it
    // and the primary key's.
    let entries = 5000.0 * 0.1 + 5000.0 * 0.9 * 2.0;
    assert!(close(worker.entries, entries), "{worker:?}");
    assert!(close(worker.ms, entries * entry), "{worker:?}");
    assert_eq!(worker.breaks_hot, vec!["worker".to_string()]);
    assert_eq!(worker.hot_lost, 4500);
    assert_eq!(worker.rows_updated, 5000);
    // An index on a column no UPDATE sets adds its entry to the non-HOT
    // updates only.
    let status = load
        .cost(&IndexSpec::new("public.jobs", &["status"]))
        .unwrap();
    assert!(close(status.ms, 5000.0 * 0.1 * entry), "{status:?}");
    assert!(status.breaks_hot.is_empty());
    assert!(worker.ms > 15.0 * status.ms);
}

#[test]
fn inserts_write_one_entry_per_row_weighted_by_the_access_method() {
    let schema = table(vec![btree("jobs_pkey", &["id"])]);
    let writes = Writes {
        statements: vec![insert(1000, 20.0)],
        hot_share: Vec::new(),
    };
    let load = WriteLoad::new(&schema, &writes);
    // 20 ms over 1000 rows × (heap + primary key).
    let entry = 20.0 / 2000.0;
    let plain = load
        .cost(&IndexSpec::new("public.jobs", &["status"]))
        .unwrap();
    assert!(close(plain.ms, 1000.0 * entry), "{plain:?}");
    assert_eq!(plain.rows_inserted, 1000);
    let mut gin = IndexSpec::new("public.jobs", &["status"]);
    gin.method = Some("gin".into());
    let gin = load.cost(&gin).unwrap();
    assert!(close(gin.ms, 3.0 * 1000.0 * entry), "{gin:?}");
    let mut brin = IndexSpec::new("public.jobs", &["updated_at"]);
    brin.method = Some("brin".into());
    assert!(load.cost(&brin).unwrap().ms < plain.ms);
}

#[test]
fn the_entry_time_is_the_cheapest_write_statements() {
    let schema = table(vec![btree("jobs_pkey", &["id"])]);
    // The INSERT … SELECT spends most of its time in its query.
    let writes = Writes {
        statements: vec![insert(1000, 20.0), insert(10, 50.0)],
        hot_share: Vec::new(),
    };
    let load = WriteLoad::new(&schema, &writes);
    let c = load
        .cost(&IndexSpec::new("public.jobs", &["status"]))
        .unwrap();
    assert!(close(c.entry_ms, 0.01), "{c:?}");
    assert!(close(c.ms, 1010.0 * 0.01), "{c:?}");
}

#[test]
fn hot_updates_come_from_the_statements_that_set_no_indexed_column() {
    // `status` is indexed: updates that set it are never HOT, so the
    // table's 40% HOT updates are all among the other statement's rows.
    let schema = table(vec![btree("jobs_pkey", &["id"]), btree("s", &["status"])]);
    let writes = Writes {
        statements: vec![
            update(&["status"], 1000, 10.0),
            update(&["updated_at"], 1000, 10.0),
        ],
        hot_share: vec![("public.jobs".into(), 0.4)],
    };
    let load = WriteLoad::new(&schema, &writes);
    let c = load
        .cost(&IndexSpec::new("public.jobs", &["updated_at"]))
        .unwrap();
    assert_eq!(c.hot_lost, 800);
    // Own entry on 1000 + 200 non-HOT rows, and on the 800 HOT ones its
    // entry and the two existing indexes'.
    assert!(close(c.entries, 1000.0 + 200.0 + 800.0 * 3.0), "{c:?}");
}

#[test]
fn expression_predicate_and_include_columns_count_as_used() {
    let schema = table(vec![btree("jobs_pkey", &["id"])]);
    let writes = Writes {
        statements: vec![update(&["email", "status", "worker"], 100, 1.0)],
        hot_share: vec![("public.jobs".into(), 1.0)],
    };
    let load = WriteLoad::new(&schema, &writes);
    let mut spec = IndexSpec::new("public.jobs", &[]);
    spec.keys.push(IndexKey::Expression {
        sql: "lower(email)".into(),
    });
    spec.include = vec!["worker".into()];
    spec.predicate = Some("status = 'failed'".into());
    let c = load.cost(&spec).unwrap();
    assert_eq!(c.breaks_hot, vec!["email", "worker", "status"]);
    assert_eq!(c.hot_lost, 100);
}

#[test]
fn unmeasured_writes_price_nothing_and_an_unwritten_table_costs_nothing() {
    let spec = IndexSpec::new("public.jobs", &["worker"]);
    assert!(WriteLoad::default().cost(&spec).is_none());
    let schema = table(vec![btree("jobs_pkey", &["id"])]);
    let load = WriteLoad::new(&schema, &Writes::default());
    assert_eq!(load.cost(&spec).unwrap().ms, 0.0);
}

#[test]
fn a_write_cost_of_half_the_saving_or_more_eats_it() {
    assert!(eats_saving(60.0, 100.0));
    assert!(eats_saving(50.0, 100.0));
    assert!(!eats_saving(49.0, 100.0));
    assert!(!eats_saving(0.0, 0.0));
}

#[test]
fn a_write_statement_that_searches_more_than_it_writes_does_not_measure_an_entry() {
    let schema = table(vec![btree("jobs_pkey", &["id"])]);
    // A queue's claim that scans 2,000 blocks for each job it takes.
    let mut claim = update(&["status"], 100, 500.0);
    claim.blocks = 100 * 2000;
    let writes = Writes {
        statements: vec![claim.clone()],
        hot_share: vec![("public.jobs".into(), 1.0)],
    };
    let spec = IndexSpec::new("public.jobs", &["status"]);
    // Nothing measured what an entry costs: not priced.
    assert!(WriteLoad::new(&schema, &writes).cost(&spec).is_none());
    // Another table's clean INSERT does: 10 ms for 1,000 rows × 2 entries.
    let mut schema = schema;
    let mut other = schema.tables[0].clone();
    other.name = "events".into();
    schema.tables.push(other);
    let mut log = insert(1000, 10.0);
    log.table = "public.events".into();
    let writes = Writes {
        statements: vec![claim, log],
        hot_share: vec![("public.jobs".into(), 1.0)],
    };
    let c = WriteLoad::new(&schema, &writes).cost(&spec).unwrap();
    assert!(close(c.entry_ms, 0.005), "{c:?}");
    // 100 HOT claims set status: its entry and the primary key's.
    assert!(close(c.ms, 100.0 * 2.0 * 0.005), "{c:?}");
}
