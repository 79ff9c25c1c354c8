//! Unit tests of the advisor's cost model, apart from the end-to-end tests.
//!
//! Every expected value is worked out from PostgreSQL's planner model
//! (selfuncs.c: `eqsel` with MCVs, 1/n_distinct, DEFAULT_NUM_DISTINCT 200,
//! DEFAULT_INEQ_SEL 1/3, DEFAULT_RANGE_INEQ_SEL 0.005; costsize.c:
//! seq_page_cost 1, random_page_cost 4, cpu_tuple_cost 0.01,
//! cpu_index_tuple_cost 0.005, cpu_operator_cost 0.0025) or from first
//! principles, and written down in the comment of each test; most tests
//! check relations (cheaper, smaller, merged, dropped) rather than floats.

use super::*;
use crate::parse::ddl::parse_schema;

/// orders: 1M rows in 10 000 pages (81 920 000 bytes / 8192);
/// customers: 100k rows in 1 000 pages.
const SHOP: &str = "\
-- dbperf: orders rows=1000000 bytes=81920000
-- dbperf: orders.customer_id distinct=50000
-- dbperf: orders.status distinct=4 nulls=0 mcv='delivered':0.9,'shipped':0.06,'pending':0.03
-- dbperf: orders.created_at distinct=-1
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    customer_id bigint NOT NULL,
    status text NOT NULL,
    created_at timestamptz NOT NULL,
    total numeric
);
-- dbperf: customers rows=100000 bytes=8192000
-- dbperf: customers.country distinct=11 mcv='US':0.45,'DE':0.15
-- dbperf: customers.email distinct=-1
CREATE TABLE customers (
    id bigint PRIMARY KEY,
    email text NOT NULL,
    country text NOT NULL
);
-- dbperf: line_items rows=5000000
CREATE TABLE line_items (
    order_id bigint NOT NULL,
    line integer NOT NULL,
    sku text,
    ref text,
    PRIMARY KEY (order_id, line)
);
CREATE UNIQUE INDEX line_items_sku ON line_items (sku);
CREATE UNIQUE INDEX line_items_ref ON line_items (ref) WHERE ref IS NOT NULL;
-- dbperf: tiny rows=500
-- dbperf: tiny.code distinct=5000
CREATE TABLE tiny (id bigint PRIMARY KEY, code text NOT NULL);
";

fn shop() -> Schema {
    shop_with("")
}

fn shop_with(extra: &str) -> Schema {
    let (s, problems) = parse_schema("shop.sql", &format!("{SHOP}{extra}"), Dialect::Postgres);
    assert!(problems.is_empty(), "{problems:?}");
    s
}

fn info<'a>(s: &'a Schema, table: &str) -> TableInfo<'a> {
    TableInfo::new(s.table(table).expect("table"), s, Dialect::Postgres)
}

/// The scans of one statement.
fn scans(s: &Schema, sql: &str) -> Vec<TableScan> {
    statement::analyze_sql(sql, Dialect::Postgres, Some(s))
        .expect("parses")
        .scans
}

fn scan(s: &Schema, sql: &str) -> TableScan {
    scans(s, sql).remove(0)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

fn keys(cols: &[&str]) -> Vec<IndexKey> {
    cols.iter().map(|c| IndexKey::column(c)).collect()
}

fn key_names(spec: &IndexSpec) -> Vec<String> {
    spec.keys
        .iter()
        .map(|k| match k {
            IndexKey::Column { name, .. } => name.clone(),
            IndexKey::Expression { sql } => sql.clone(),
        })
        .collect()
}

fn query(sql: &str, calls: u64, mean_ms: Option<f64>) -> WorkloadQuery {
    WorkloadQuery {
        sql: sql.into(),
        calls,
        mean_ms,
        path: "w.sql".into(),
        line: 1,
    }
}

/// The ranked indexes' statements.
fn statements(advice: &Advice) -> Vec<&str> {
    advice
        .indexes
        .iter()
        .map(|i| i.recommendation.statement.as_str())
        .collect()
}

fn advise_one(sql: &str, calls: u64, mean_ms: Option<f64>, opts: &AdviseOptions) -> Advice {
    advise(&[query(sql, calls, mean_ms)], &shop(), opts)
}

// ---------------------------------------------------------------------------
// Selectivity.

#[test]
fn equality_on_a_unique_column_keeps_one_row() {
    // eqsel on a unique column: one row of reltuples, 1 / 1 000 000.
    let s = shop();
    let t = info(&s, "orders");
    assert!(close(t.eq_sel("id", Some("42")), 1e-6));
    assert!(close(t.eq_sel("id", Some("$1")), 1e-6));
    assert!(close(t.distinct("id"), 1e6));
}

#[test]
fn equality_on_a_common_value_is_its_mcv_frequency() {
    // var_eq_const: a constant found in the MCV list selects its frequency.
    let s = shop();
    let t = info(&s, "orders");
    assert!(close(t.eq_sel("status", Some("'shipped'")), 0.06));
    assert!(close(t.eq_sel("status", Some("'delivered'::text")), 0.9));
}

#[test]
fn equality_on_a_rare_value_shares_what_the_mcvs_leave() {
    // var_eq_const, constant not among the MCVs:
    // (1 - sum(mcv) - nullfrac) / (n_distinct - n_mcv) = (1 - 0.99 - 0) / (4 - 3) = 0.01.
    let s = shop();
    let t = info(&s, "orders");
    assert!(close(t.eq_sel("status", Some("'cancelled'")), 0.01));
}

#[test]
fn equality_on_a_parameter_is_one_over_n_distinct() {
    // var_eq_non_const: (1 - nullfrac) / n_distinct = 1/50 000 for customer_id;
    // for status 1/4 = 0.25, under the top MCV (0.9) so not capped by it.
    let s = shop();
    let t = info(&s, "orders");
    assert!(close(t.eq_sel("customer_id", Some("$1")), 1.0 / 50_000.0));
    assert!(close(t.eq_sel("customer_id", None), 1.0 / 50_000.0));
    assert!(close(t.eq_sel("status", Some("$1")), 0.25));
}

#[test]
fn a_column_without_statistics_has_200_distinct_values() {
    // DEFAULT_NUM_DISTINCT is 200: an equality keeps 1/200.
    let s = shop();
    let t = info(&s, "orders");
    assert!(close(t.distinct("total"), 200.0));
    assert!(close(t.eq_sel("total", Some("10")), 1.0 / 200.0));
    // A column the table does not have gets the same default.
    assert!(close(t.eq_sel("no_such_column", Some("1")), 1.0 / 200.0));
}

#[test]
fn a_negative_n_distinct_is_a_fraction_of_the_rows_and_distinct_never_exceeds_them() {
    // pg_stats.n_distinct = -1: every row distinct, 1 000 000 values.
    // tiny.code declares 5 000 distinct values in 500 rows: at most 500
    // (get_variable_numdistinct clamps to the row count).
    let s = shop();
    assert!(close(info(&s, "orders").distinct("created_at"), 1e6));
    assert!(close(
        info(&s, "orders").eq_sel("created_at", Some("$1")),
        1e-6
    ));
    assert!(close(info(&s, "tiny").distinct("code"), 500.0));
    assert!(close(
        info(&s, "tiny").eq_sel("code", Some("$1")),
        1.0 / 500.0
    ));
}

#[test]
fn only_a_whole_column_unique_constraint_makes_a_column_unique() {
    // Unique: a one-column primary key, a full one-column unique index.
    // Not unique: the first column of a composite key (many lines per
    // order), a unique index with a WHERE (rows outside it may repeat).
    let s = shop();
    let li = info(&s, "line_items");
    assert!(info(&s, "orders").is_unique("id"));
    assert!(info(&s, "orders").is_unique("ID"));
    assert!(li.is_unique("sku"));
    assert!(!li.is_unique("order_id"));
    assert!(!li.is_unique("line"));
    assert!(!li.is_unique("ref"));
    assert!(!info(&s, "orders").is_unique("customer_id"));
}

#[test]
fn local_rows_multiply_independent_conditions() {
    // clauselist_selectivity multiplies independent clauses:
    // 1e6 × 0.06 × 1/50 000 = 1.2 rows; a unique key keeps at least 1 row.
    let s = shop();
    let t = info(&s, "orders");
    let sc = scan(
        &s,
        "SELECT * FROM orders WHERE status = 'shipped' AND customer_id = $1",
    );
    assert!(close(t.local_rows(&sc), 1.2));
    let sc = scan(&s, "SELECT * FROM orders WHERE id = $1");
    assert!(close(t.local_rows(&sc), 1.0));
}

#[test]
fn inequalities_and_ranges_use_postgres_defaults() {
    // Unknown constant: DEFAULT_INEQ_SEL 1/3 for one bound; two bounds on
    // one column make a range, DEFAULT_RANGE_INEQ_SEL 0.005 (not 1/9);
    // BETWEEN is the same range.
    let s = shop();
    let t = info(&s, "orders");
    let one = scan(&s, "SELECT * FROM orders WHERE created_at > $1");
    assert!(close(t.local_rows(&one), 1e6 / 3.0));
    let two = scan(
        &s,
        "SELECT * FROM orders WHERE created_at >= $1 AND created_at < $2",
    );
    assert!(close(t.local_rows(&two), 5000.0));
    let between = scan(
        &s,
        "SELECT * FROM orders WHERE created_at BETWEEN $1 AND $2",
    );
    assert!(close(t.local_rows(&between), 5000.0));
}

#[test]
fn in_lists_and_is_null_follow_scalararraysel_and_nulltestsel() {
    // scalararraysel sums the equality selectivity of each element:
    // 3 × 1/50 000 × 1e6 = 60 rows. nulltestsel without null statistics:
    // DEFAULT_UNK_SEL 0.005 → 5 000 rows.
    let s = shop();
    let t = info(&s, "orders");
    let sc = scan(&s, "SELECT * FROM orders WHERE customer_id IN (1, 2, 3)");
    assert!(close(t.local_rows(&sc), 60.0));
    let sc = scan(&s, "SELECT * FROM orders WHERE total IS NULL");
    assert!(close(t.local_rows(&sc), 5000.0));
}

#[test]
fn in_count_counts_top_level_items_and_ten_for_an_array() {
    // estimate_array_length: 10 elements for an array whose size is unknown.
    assert_eq!(in_count("customer_id = ANY ($1)"), 10);
    assert_eq!(in_count("customer_id = ANY($1)"), 10);
    assert_eq!(in_count("x IN (f(1, 2), 3)"), 2);
    assert_eq!(in_count("x IN ('a)', 'b', 'c')"), 3);
    assert_eq!(in_count("x IN (7)"), 1);
}

#[test]
fn literal_text_reads_constants_only() {
    // A doubled quote is one quote; parentheses and casts are not part of
    // the value; a function call or parameter is no constant.
    assert_eq!(literal_text("'it''s'").as_deref(), Some("it's"));
    assert_eq!(literal_text("(42)").as_deref(), Some("42"));
    assert_eq!(literal_text("-1.5").as_deref(), Some("-1.5"));
    assert_eq!(literal_text("TRUE").as_deref(), Some("true"));
    assert_eq!(
        literal_text("'2024-01-01'::date").as_deref(),
        Some("2024-01-01")
    );
    assert_eq!(literal_text("now()"), None);
    assert_eq!(literal_text("$2"), None);
}

#[test]
fn implicit_casts_hide_the_column_from_its_index() {
    // PostgreSQL compares int = 1.5 as numeric (the column is cast), but
    // int = 15 as int. MySQL compares a string column with a number as
    // doubles (the column is converted), a string with a string as is.
    // SQLite's affinities never defeat an index this way.
    let pred = |sql: &str, d: Dialect| {
        statement::analyze_sql(sql, d, None).expect("parses").scans[0].predicates[0].clone()
    };
    let pg_frac = pred("SELECT * FROM t WHERE n = 1.5", Dialect::Postgres);
    let pg_int = pred("SELECT * FROM t WHERE n = 15", Dialect::Postgres);
    assert!(implicit_cast(&pg_frac, Some("integer"), Dialect::Postgres));
    assert!(implicit_cast(&pg_frac, Some("bigint"), Dialect::Postgres));
    assert!(!implicit_cast(&pg_int, Some("integer"), Dialect::Postgres));
    assert!(!implicit_cast(&pg_frac, Some("numeric"), Dialect::Postgres));
    assert!(!implicit_cast(&pg_frac, None, Dialect::Postgres));
    let my_num = pred("SELECT * FROM t WHERE code = 42", Dialect::Mysql);
    let my_str = pred("SELECT * FROM t WHERE code = '42'", Dialect::Mysql);
    assert!(implicit_cast(&my_num, Some("varchar(20)"), Dialect::Mysql));
    assert!(!implicit_cast(&my_str, Some("varchar(20)"), Dialect::Mysql));
    assert!(!implicit_cast(&my_num, Some("int"), Dialect::Mysql));
    assert!(!implicit_cast(&my_num, Some("text"), Dialect::Sqlite));
}

// ---------------------------------------------------------------------------
// Costs.

#[test]
fn seq_cost_is_pages_plus_tuples_plus_quals() {
    // cost_seqscan: 10 000 pages × 1 + 1e6 rows × (0.01 + 0.0025 per qual).
    // One qual: 10 000 + 12 500 = 22 500. Two quals: 10 000 + 15 000.
    // (PostgreSQL 15 agrees: 5 406 pages and 1M rows, one qual, no
    // parallel workers: EXPLAIN says cost=0.00..17906.00.)
    // With LIMIT 10 and no order the scan stops after 10 of the
    // 60 000 rows that match (the Limit node's fraction): 22 500 × 10/60 000.
    let s = shop();
    let t = info(&s, "orders");
    let sc = scan(&s, "SELECT * FROM orders WHERE status = 'shipped'");
    assert!(close(t.seq_cost(&sc, &t.conds(&sc).0), 22_500.0));
    let sc = scan(
        &s,
        "SELECT * FROM orders WHERE status = 'shipped' AND customer_id = $1",
    );
    assert!(close(t.seq_cost(&sc, &t.conds(&sc).0), 25_000.0));
    let sc = scan(&s, "SELECT * FROM orders WHERE status = 'shipped' LIMIT 10");
    assert!(close(t.seq_cost(&sc, &t.conds(&sc).0), 3.75));
}

#[test]
fn sort_cost_of_a_top_n_is_below_a_full_sort() {
    // cost_sort: 2 × cpu_operator_cost × N × log2(N) comparisons, plus
    // cpu_operator_cost per tuple; a bounded (top-N heap) sort compares
    // log2(2 × limit) times per tuple. N = 10 000:
    // full 50 × 13.2877124 + 25 = 689.3856; LIMIT 10: 50 × 4.3219281 + 25 = 241.0964.
    let full = sort_cost(10_000.0, None);
    let top = sort_cost(10_000.0, Some(10));
    assert!((full - 689.3856).abs() < 1e-3, "{full}");
    assert!((top - 241.0964).abs() < 1e-3, "{top}");
    assert!(top < full);
    // A limit at or above the input is a full sort.
    assert!(close(sort_cost(10_000.0, Some(20_000)), full));
}

#[test]
fn an_index_on_a_selective_equality_beats_the_seq_scan_and_one_on_a_common_value_does_not() {
    // customer_id = $1 keeps 20 rows: a descent and ~20 heap pages, far
    // under the 22 500 of the scan. status = 'delivered' keeps 90% of the
    // table: reading it through an index touches every page at random
    // cost, more than reading them in order.
    let s = shop();
    let t = info(&s, "orders");
    let sc = scan(&s, "SELECT * FROM orders WHERE customer_id = $1");
    let conds = t.conds(&sc).0;
    let seq = t.seq_cost(&sc, &conds);
    let idx = t
        .path_cost(&sc, &conds, &keys(&["customer_id"]), &[], None, None)
        .expect("usable");
    assert!(idx * 100.0 < seq, "{idx} vs {seq}");

    let sc = scan(&s, "SELECT * FROM orders WHERE status = 'delivered'");
    let conds = t.conds(&sc).0;
    let seq = t.seq_cost(&sc, &conds);
    let idx = t
        .path_cost(&sc, &conds, &keys(&["status"]), &[], None, None)
        .expect("usable");
    assert!(idx > seq, "{idx} vs {seq}");
}

#[test]
fn an_index_the_scan_cannot_use_has_no_path() {
    // An index whose leading column the query neither filters on nor
    // orders by offers no index condition: no path at all.
    let s = shop();
    let t = info(&s, "orders");
    let sc = scan(&s, "SELECT * FROM orders WHERE customer_id = $1");
    let conds = t.conds(&sc).0;
    assert!(
        t.path_cost(
            &sc,
            &conds,
            &keys(&["status", "customer_id"]),
            &[],
            None,
            None
        )
        .is_none()
    );
}

#[test]
fn equality_then_range_beats_range_then_equality() {
    // (customer_id, created_at) seeks 1e6 / 50 000 / 3 ≈ 7 entries;
    // (created_at, customer_id) can only seek the range: 1/3 of the index.
    let s = shop();
    let t = info(&s, "orders");
    let sc = scan(
        &s,
        "SELECT * FROM orders WHERE customer_id = $1 AND created_at > $2",
    );
    let conds = t.conds(&sc).0;
    let good = t
        .path_cost(
            &sc,
            &conds,
            &keys(&["customer_id", "created_at"]),
            &[],
            None,
            None,
        )
        .expect("usable");
    let bad = t
        .path_cost(
            &sc,
            &conds,
            &keys(&["created_at", "customer_id"]),
            &[],
            None,
            None,
        )
        .expect("usable");
    assert!(good * 10.0 < bad, "{good} vs {bad}");
    // The candidates never lead with the range.
    let cands = t.candidates(&sc, &conds, false);
    assert!(!cands.is_empty());
    assert!(
        cands.iter().all(|(c, _)| key_names(c)[0] == "customer_id"),
        "{cands:?}"
    );
    assert!(
        cands
            .iter()
            .any(|(c, _)| key_names(c) == ["customer_id", "created_at"])
    );
}

#[test]
fn candidates_put_the_most_selective_equality_first() {
    // customer_id = $1 keeps 1/50 000, status = 'pending' 0.03: the first
    // key should be the one that narrows most.
    let s = shop();
    let t = info(&s, "orders");
    let sc = scan(
        &s,
        "SELECT * FROM orders WHERE status = 'pending' AND customer_id = $1",
    );
    let conds = t.conds(&sc).0;
    let cands = t.candidates(&sc, &conds, false);
    assert_eq!(key_names(&cands[0].0), ["customer_id", "status"]);
}

#[test]
fn candidates_put_an_in_list_after_the_equalities() {
    // IN is a set of seeks whose results come in no single order; an
    // equality first keeps the index usable for what follows. Here the IN
    // (2/50 000) is more selective than status = $1 (1/4) but goes second.
    let s = shop();
    let t = info(&s, "orders");
    let sc = scan(
        &s,
        "SELECT * FROM orders WHERE customer_id IN (1, 2) AND status = $1",
    );
    let conds = t.conds(&sc).0;
    let cands = t.candidates(&sc, &conds, false);
    assert_eq!(key_names(&cands[0].0), ["status", "customer_id"]);
}

#[test]
fn an_index_that_delivers_a_limited_order_beats_a_sort() {
    // WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 10: with
    // (customer_id, created_at) a backward scan reads 10 entries and stops;
    // with (customer_id) it reads all 20 and sorts them. An all-DESC order
    // is served by an ascending key read backwards.
    let s = shop();
    let t = info(&s, "orders");
    let sc = scan(
        &s,
        "SELECT * FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 10",
    );
    let conds = t.conds(&sc).0;
    let ordered_keys = keys(&["customer_id", "created_at"]);
    assert!(t.delivers_order(&sc, &ordered_keys));
    assert!(!t.delivers_order(&sc, &keys(&["customer_id"])));
    let ordered = t
        .path_cost(&sc, &conds, &ordered_keys, &[], None, None)
        .expect("usable");
    let sorted = t
        .path_cost(&sc, &conds, &keys(&["customer_id"]), &[], None, None)
        .expect("usable");
    assert!(ordered < sorted, "{ordered} vs {sorted}");
    let cands = t.candidates(&sc, &conds, false);
    assert!(
        cands
            .iter()
            .any(|(c, _)| key_names(c) == ["customer_id", "created_at"]
                && c.keys.iter().all(|k| matches!(
                    k,
                    IndexKey::Column {
                        descending: false,
                        nulls_first: false,
                        ..
                    }
                ))),
        "{cands:?}"
    );
}

#[test]
fn an_order_with_nulls_last_needs_an_index_with_that_placement() {
    // ORDER BY total DESC NULLS LAST: PostgreSQL's DESC puts NULLs first,
    // so neither (customer_id, total) read backwards nor (customer_id,
    // total DESC) read forwards delivers the order (the planner sorts all
    // the customer's rows); (customer_id, total NULLS FIRST) read
    // backwards does, as does its exact reverse, total DESC NULLS LAST.
    let s = shop();
    let t = info(&s, "orders");
    let sc = scan(
        &s,
        "SELECT id FROM orders WHERE customer_id = $1 ORDER BY total DESC NULLS LAST LIMIT 10",
    );
    let total = |descending, nulls_first| IndexKey::Column {
        name: "total".into(),
        descending,
        nulls_first,
    };
    let with = |k: IndexKey| vec![IndexKey::column("customer_id"), k];
    assert!(!t.delivers_order(&sc, &with(IndexKey::column("total"))));
    assert!(!t.delivers_order(&sc, &with(IndexKey::column_in("total", true))));
    assert!(t.delivers_order(&sc, &with(total(false, true))));
    assert!(t.delivers_order(&sc, &with(total(true, false))));
    let conds = t.conds(&sc).0;
    let cands = t.candidates(&sc, &conds, false);
    let ordered: Vec<&IndexSpec> = cands
        .iter()
        .map(|(c, _)| c)
        .filter(|c| key_names(c) == ["customer_id", "total"])
        .collect();
    assert!(!ordered.is_empty(), "{cands:?}");
    assert!(
        ordered.iter().all(|c| c.keys[1] == total(false, true)),
        "{cands:?}"
    );
    assert_eq!(
        ordered[0].statement(Dialect::Postgres),
        "CREATE INDEX CONCURRENTLY orders_customer_id_total_nulls_first_idx ON orders (customer_id, total NULLS FIRST);"
    );
    // The default placement stays unsaid: DESC alone is DESC NULLS FIRST.
    let sc = scan(
        &s,
        "SELECT id FROM orders WHERE customer_id = $1 ORDER BY total DESC NULLS FIRST LIMIT 10",
    );
    assert!(t.delivers_order(&sc, &with(IndexKey::column("total"))));
    assert!(!t.delivers_order(&sc, &with(total(false, true))));
}

/// `ORDER BY (salary_min + salary_max) / 2 DESC LIMIT 20` of the open
/// jobs: only an index on that expression delivers the order (read
/// backwards), and a plain one on `salary_min` does not. While the
/// constant is still `$2` (pg_stat_statements' text, not seen running)
/// the expression is a form parameter to learn, and no index on it is
/// proposed; `lower(name)` is an expression key too, `random()` never.
#[test]
fn an_order_by_expression_is_delivered_only_by_an_index_on_it() {
    let extra = "\
-- dbperf: jobs rows=1000000 bytes=160000000
-- dbperf: jobs.status distinct=3 mcv='closed':0.9,'open':0.08,'draft':0.02
CREATE TABLE jobs (id bigint PRIMARY KEY, status text NOT NULL, name text NOT NULL,
                   salary_min integer NOT NULL, salary_max integer NOT NULL);
";
    let s = shop_with(extra);
    let t = info(&s, "jobs");
    let sql = "SELECT id, name FROM jobs WHERE status = 'open' ORDER BY (salary_min + salary_max) / 2 DESC LIMIT 20";
    let sc = scan(&s, sql);
    assert_eq!(sc.order_by.len(), 1);
    let mid = IndexKey::Expression {
        sql: "(salary_min + salary_max) / 2".into(),
    };
    assert!(t.delivers_order(&sc, std::slice::from_ref(&mid)));
    assert!(!t.delivers_order(&sc, &[IndexKey::column("salary_min")]));
    let conds = t.conds(&sc).0;
    let cands = t.candidates(&sc, &conds, false);
    assert!(
        cands
            .iter()
            .any(|(c, _)| c.keys.last().is_some_and(|k| same_key(k, &mid))),
        "{cands:?}"
    );
    let advice = advise(
        &[query(sql, 1000, Some(70.0))],
        &s,
        &AdviseOptions::default(),
    );
    let top = statements(&advice);
    assert!(
        top.first()
            .is_some_and(|st| st.contains("(((salary_min + salary_max) / 2))")),
        "{top:?}"
    );
    // The constant still a parameter: learned first, nothing proposed on it.
    let generic = "SELECT id, name FROM jobs WHERE status = $1 ORDER BY (salary_min + salary_max) / $2 DESC LIMIT $3";
    assert_eq!(form_parameters(generic, &s, Dialect::Postgres), [2]);
    let advice = advise(
        &[query(generic, 1000, Some(70.0))],
        &s,
        &AdviseOptions::default(),
    );
    assert!(
        statements(&advice).iter().all(|st| !st.contains("salary")),
        "{:?}",
        statements(&advice)
    );
    // A function of a column is an expression key; a volatile one is not.
    let sc = scan(&s, "SELECT id FROM jobs ORDER BY lower(name) LIMIT 10");
    assert_eq!(
        sc.order_by[0]
            .expression
            .as_ref()
            .map(|w| w.expr_sql.as_str()),
        Some("lower(name)")
    );
    let sc = scan(&s, "SELECT id FROM jobs ORDER BY random() LIMIT 10");
    assert!(sc.order_by.is_empty());
}

#[test]
fn is_null_on_a_mostly_set_column_makes_a_partial_index() {
    // 1% of the tickets wait unassigned: the queue `assignee_id IS NULL
    // ORDER BY created_at` is served by an index on created_at over those
    // rows only, a hundredth of the full index's size; where half the rows
    // are null, no partial index.
    let extra = "\
-- dbperf: tickets rows=1000000
-- dbperf: tickets.assignee_id distinct=500 nulls=0.01
-- dbperf: tickets.closed_by distinct=500 nulls=0.5
CREATE TABLE tickets (id bigint PRIMARY KEY, assignee_id bigint, closed_by bigint, created_at timestamptz NOT NULL);
";
    let s = shop_with(extra);
    let advice = advise(
        &[query(
            "SELECT id FROM tickets WHERE assignee_id IS NULL ORDER BY created_at LIMIT 50",
            1000,
            None,
        )],
        &s,
        &AdviseOptions::default(),
    );
    let top = &advice.indexes[0].recommendation.spec;
    assert_eq!(key_names(top), ["created_at"], "{top:?}");
    assert_eq!(top.predicate.as_deref(), Some("assignee_id IS NULL"));
    let t = info(&s, "tickets");
    let mut full = top.clone();
    full.predicate = None;
    let ratio = t.index_bytes(top) / t.index_bytes(&full);
    assert!((0.005..0.02).contains(&ratio), "{ratio}");
    let sc = scan(
        &s,
        "SELECT id FROM tickets WHERE closed_by IS NULL ORDER BY created_at LIMIT 50",
    );
    let conds = t.conds(&sc).0;
    assert!(
        t.candidates(&sc, &conds, false)
            .iter()
            .all(|(c, _)| c.predicate.is_none())
    );
}

/// A rare `col IS NULL` beside another condition or an order is the
/// WHERE of a partial index on those, never a key: a full index on the
/// column (or leading with it) holds every row that has a value for the
/// sake of the few that have none, and one on it would serve every such
/// statement at once, outbidding their partial indexes (library's `loans
/// (returned_at)`). Alone, `col IS NULL` stays a key: a partial index
/// needs one. Where half the rows are null, it is a key as before.
#[test]
fn a_rare_is_null_beside_another_key_is_never_a_key_itself() {
    let extra = "\
-- dbperf: loans rows=1500000
-- dbperf: loans.returned_at distinct=-1 nulls=0.02
-- dbperf: loans.lost_at distinct=-1 nulls=0.5
-- dbperf: loans.copy_id distinct=300000
CREATE TABLE loans (id bigint PRIMARY KEY, copy_id bigint NOT NULL, due_at timestamptz NOT NULL,
                    returned_at timestamptz, lost_at timestamptz);
";
    let s = shop_with(extra);
    let t = info(&s, "loans");
    let leads_with = |sql: &str, col: &str| -> Vec<IndexSpec> {
        let sc = scan(&s, sql);
        let conds = t.conds(&sc).0;
        t.candidates(&sc, &conds, false)
            .into_iter()
            .map(|(c, _)| c)
            .chain(t.filter_keys(&sc))
            .filter(|c| {
                c.predicate.is_none() && key_names(c).first().map(String::as_str) == Some(col)
            })
            .collect()
    };
    for sql in [
        "SELECT id FROM loans WHERE copy_id = $1 AND returned_at IS NULL",
        "SELECT id FROM loans WHERE returned_at IS NULL AND due_at < $1 ORDER BY due_at LIMIT 50",
    ] {
        assert_eq!(leads_with(sql, "returned_at"), [], "{sql}");
    }
    let overdue = advise(
        &[query(
            "SELECT id FROM loans WHERE returned_at IS NULL AND due_at < $1 ORDER BY due_at LIMIT 50",
            1000,
            None,
        )],
        &s,
        &AdviseOptions::default(),
    );
    let top = &overdue.indexes[0].recommendation.spec;
    assert_eq!(key_names(top), ["due_at"], "{top:?}");
    assert_eq!(top.predicate.as_deref(), Some("returned_at IS NULL"));
    // Alone, and where NULL is common: a key.
    assert!(
        !leads_with(
            "SELECT count(*) FROM loans WHERE returned_at IS NULL",
            "returned_at"
        )
        .is_empty()
    );
    assert!(
        !leads_with(
            "SELECT id FROM loans WHERE lost_at IS NULL AND due_at < $1",
            "lost_at"
        )
        .is_empty()
    );
}

#[test]
fn is_not_null_on_a_rarely_set_column_makes_a_partial_index() {
    // 0.5% of the invoices carry a dispute: the desk's list `disputed_at
    // IS NOT NULL ORDER BY issued_on DESC LIMIT 20` is an index on
    // issued_on over those rows only (a B-tree on disputed_at cannot keep
    // issued_on's order after IS NOT NULL, a range of its values); where
    // most rows have a value, no partial index.
    let extra = "\
-- dbperf: invoices rows=2000000
-- dbperf: invoices.disputed_at distinct=-1 nulls=0.995
-- dbperf: invoices.paid_at distinct=-1 nulls=0.3
CREATE TABLE invoices (id bigint PRIMARY KEY, disputed_at timestamptz, paid_at timestamptz, issued_on date NOT NULL);
";
    let s = shop_with(extra);
    let advice = advise(
        &[query(
            "SELECT id FROM invoices WHERE disputed_at IS NOT NULL ORDER BY issued_on DESC LIMIT 20",
            500,
            None,
        )],
        &s,
        &AdviseOptions::default(),
    );
    let top = &advice.indexes[0].recommendation.spec;
    assert_eq!(key_names(top), ["issued_on"], "{top:?}");
    assert_eq!(top.predicate.as_deref(), Some("disputed_at IS NOT NULL"));
    let t = info(&s, "invoices");
    let sc = scan(
        &s,
        "SELECT id FROM invoices WHERE paid_at IS NOT NULL ORDER BY issued_on DESC LIMIT 20",
    );
    let conds = t.conds(&sc).0;
    assert!(
        t.candidates(&sc, &conds, false)
            .iter()
            .all(|(c, _)| c.predicate.is_none())
    );
    use crate::sql::predicate::is_not_null;
    assert!(is_not_null("x.a IS NOT NULL") && is_not_null("a is  not null"));
    assert!(!is_not_null("a IS NULL") && !is_not_null("NOT NULL"));
}

#[test]
fn a_rare_value_in_a_skewed_column_makes_a_partial_candidate() {
    // 'pending' is 3% of a column where 'delivered' is 90%: an index WHERE
    // status = 'pending' holds 3% of the rows, so it is about 1/33 the size
    // of the full index on the same keys.
    let s = shop();
    let t = info(&s, "orders");
    let sc = scan(
        &s,
        "SELECT * FROM orders WHERE status = 'pending' ORDER BY created_at LIMIT 50",
    );
    let conds = t.conds(&sc).0;
    let cands = t.candidates(&sc, &conds, false);
    let partial = cands
        .iter()
        .map(|(c, _)| c)
        .find(|c| c.predicate.as_deref() == Some("status = 'pending'"))
        .expect("a partial candidate");
    let mut full = partial.clone();
    full.predicate = None;
    let ratio = t.index_bytes(partial) / t.index_bytes(&full);
    assert!((0.025..0.035).contains(&ratio), "{ratio}");
    // A common value makes none.
    let sc = scan(&s, "SELECT * FROM orders WHERE status = 'delivered'");
    let conds = t.conds(&sc).0;
    assert!(
        t.candidates(&sc, &conds, false)
            .iter()
            .all(|(c, _)| c.predicate.is_none())
    );
}

#[test]
fn seek_share_multiplies_up_to_the_first_range() {
    // (customer_id, created_at, status): 1/50 000 × 1/3, and the range
    // ends the seek, so status (after it) does not count.
    let s = shop();
    let t = info(&s, "orders");
    let sc = scan(
        &s,
        "SELECT * FROM orders WHERE customer_id = $1 AND created_at > $2 AND status = $3",
    );
    let conds = t.conds(&sc).0;
    let mut spec = IndexSpec::new("orders", &["customer_id", "created_at", "status"]);
    assert!(close(
        t.seek_share(&conds, &spec, false),
        1.0 / 50_000.0 / 3.0
    ));
    spec.keys = keys(&["created_at"]);
    assert!(close(t.seek_share(&conds, &spec, false), 1.0 / 3.0));
}

#[test]
fn the_inner_side_of_a_join_loops_once_per_outer_row() {
    // A nested loop runs its inner scan once per outer row: orders is
    // probed once per US customer, 100 000 × 0.45 = 45 000 times. The join
    // condition becomes an index condition only inside that loop.
    let s = shop();
    let all = scans(
        &s,
        "SELECT * FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.country = 'US'",
    );
    let rows_out: Vec<Option<f64>> = all
        .iter()
        .map(|sc| Some(info(&s, &sc.table).local_rows(sc)))
        .collect();
    let orders = all.iter().find(|sc| sc.table == "orders").expect("orders");
    let loops = join_loops(orders, &all, &rows_out).expect("joined");
    assert!(close(loops, 45_000.0), "{loops}");
    let t = info(&s, "orders");
    let conds = t.conds(orders).0;
    let k = keys(&["customer_id"]);
    assert!(t.path_cost(orders, &conds, &k, &[], None, None).is_none());
    assert!(
        t.path_cost(orders, &conds, &k, &[], None, Some(loops))
            .is_some()
    );
    // A single-table scan is never a loop.
    let alone = scan(&s, "SELECT * FROM orders WHERE customer_id = $1");
    assert_eq!(
        join_loops(&alone, std::slice::from_ref(&alone), &[Some(20.0)]),
        None
    );
}

// ---------------------------------------------------------------------------
// Sizes and widths.

#[test]
fn type_widths_are_postgres_fixed_lengths() {
    // pg_type.typlen: bool 1, int2 2, int4 4, date 4, int8 8, float8 8,
    // timestamp(tz) 8, uuid 16.
    assert_eq!(type_width("boolean"), 1.0);
    assert_eq!(type_width("smallint"), 2.0);
    assert_eq!(type_width("INTEGER"), 4.0);
    assert_eq!(type_width("date"), 4.0);
    assert_eq!(type_width("bigint"), 8.0);
    assert_eq!(type_width("double precision"), 8.0);
    assert_eq!(type_width("timestamp with time zone"), 8.0);
    assert_eq!(type_width("uuid"), 16.0);
    // A varlena has no fixed width; it is guessed wider than any of those.
    assert!(type_width("text") > 16.0);
}

#[test]
fn entry_width_is_header_plus_aligned_data_plus_line_pointer() {
    // An index tuple: IndexTupleData 8 bytes + data MAXALIGNed to 8, plus
    // a 4-byte ItemId. (bigint) → 8 + 8 + 4 = 20; (bigint, integer) →
    // 12 bytes of data aligned to 16 → 28; INCLUDE columns count as data.
    let s = shop();
    let t = info(&s, "line_items");
    assert_eq!(t.entry_width(&keys(&["order_id"]), &[]), 20.0);
    assert_eq!(t.entry_width(&keys(&["order_id", "line"]), &[]), 28.0);
    assert_eq!(t.entry_width(&keys(&["order_id"]), &["line".into()]), 28.0);
}

#[test]
fn index_bytes_is_about_rows_times_entry_width_over_the_fill_factor() {
    // 5M entries of 20 bytes in leaves 90% full: 5e6 × 20 / 0.9 ≈ 111 MB,
    // plus about 1% of inner pages.
    let s = shop();
    let t = info(&s, "line_items");
    let spec = IndexSpec::new("line_items", &["order_id"]);
    let expected = 5e6 * 20.0 / 0.9;
    let got = t.index_bytes(&spec);
    assert!(got >= expected && got < expected * 1.03, "{got}");
}

// ---------------------------------------------------------------------------
// Merging.

#[test]
fn serves_means_same_predicate_and_a_left_prefix() {
    let long = IndexSpec::new("orders", &["customer_id", "created_at"]);
    let short = IndexSpec::new("orders", &["Customer_Id"]);
    let other = IndexSpec::new("orders", &["created_at"]);
    assert!(serves(&long, &short));
    assert!(serves(&long, &long));
    assert!(!serves(&short, &long));
    assert!(!serves(&long, &other));
    // An index WHERE status = 'pending' does not hold the other rows.
    let mut partial = long.clone();
    partial.predicate = Some("status = 'pending'".into());
    assert!(!serves(&partial, &short));
    // Expressions compare without spaces, parentheses or case.
    let mut e1 = IndexSpec::new("customers", &[]);
    e1.keys = vec![IndexKey::Expression {
        sql: "lower(email)".into(),
    }];
    let mut e2 = e1.clone();
    e2.keys = vec![IndexKey::Expression {
        sql: "LOWER( (email) )".into(),
    }];
    assert!(serves(&e1, &e2));
}

#[test]
fn a_left_prefix_merges_into_the_longer_index_with_both_queries() {
    // One index (customer_id, created_at) serves both the lookup by
    // customer and the latest-10 of a customer: one recommendation whose
    // score is the sum of both queries' savings (calls × ms saved).
    let workload = [
        query("SELECT * FROM orders WHERE customer_id = $1", 1000, None),
        query(
            "SELECT * FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 10",
            500,
            None,
        ),
    ];
    let advice = advise(&workload, &shop(), &AdviseOptions::default());
    assert_eq!(advice.indexes.len(), 1, "{:?}", advice.indexes);
    let ix = &advice.indexes[0];
    assert_eq!(
        key_names(&ix.recommendation.spec),
        ["customer_id", "created_at"]
    );
    assert_eq!(ix.helps.len(), 2);
    let sum: f64 = ix.helps.iter().map(|h| h.saved_ms * h.calls as f64).sum();
    assert!((ix.recommendation.score - sum).abs() < 0.001);
}

// ---------------------------------------------------------------------------
// Thresholds.

#[test]
fn a_tiny_table_gets_no_index() {
    // 500 rows fit in a few pages: below min_rows (1 000), whatever the calls.
    // (Here the cost model alone would also find too little to save.)
    let advice = advise_one(
        "SELECT * FROM tiny WHERE code = $1",
        1_000_000,
        None,
        &AdviseOptions::default(),
    );
    assert!(advice.indexes.is_empty(), "{:?}", advice.indexes);
    // The same shape on a big table does get one.
    let advice = advise_one(
        "SELECT * FROM customers WHERE email = $1",
        1_000_000,
        None,
        &AdviseOptions::default(),
    );
    assert_eq!(advice.indexes.len(), 1);
    // min_rows is the cut, not the cost: customers (100 000 rows) gets
    // nothing once min_rows is above its row count, and its index back
    // at exactly its row count (fewer rows than min_rows are cut).
    let email = "SELECT * FROM customers WHERE email = $1";
    let above = AdviseOptions {
        min_rows: 100_001.0,
        ..AdviseOptions::default()
    };
    let at = AdviseOptions {
        min_rows: 100_000.0,
        ..AdviseOptions::default()
    };
    assert!(
        advise_one(email, 1_000_000, None, &above)
            .indexes
            .is_empty()
    );
    assert_eq!(advise_one(email, 1_000_000, None, &at).indexes.len(), 1);
}

#[test]
fn a_candidate_saving_less_than_min_gain_of_its_scan_is_dropped() {
    // gain = 1 - after/before. With min_gain just above it the candidate
    // goes (and a note says so); just below, it stays.
    let sql = "SELECT * FROM orders WHERE customer_id = $1";
    let advice = advise_one(sql, 100, None, &AdviseOptions::default());
    let h = &advice.indexes[0].helps[0];
    let gain = 1.0 - h.cost_after / h.cost_before;
    assert!(gain > 0.9, "{gain}");
    let above = AdviseOptions {
        min_gain: gain + 0.001,
        ..AdviseOptions::default()
    };
    let below = AdviseOptions {
        min_gain: gain - 0.001,
        ..AdviseOptions::default()
    };
    let dropped = advise_one(sql, 100, None, &above);
    assert!(dropped.indexes.is_empty());
    assert!(
        dropped
            .notes
            .iter()
            .any(|n| n.starts_with("1 candidate index saved too little")),
        "{:?}",
        dropped.notes
    );
    assert_eq!(advise_one(sql, 100, None, &below).indexes.len(), 1);
}

#[test]
fn an_index_must_save_min_score_ms_over_the_workload() {
    // Score = calls × measured mean × share of the cost saved (≈ 1 here).
    // 1 call of 0.5 ms saves under 0.5 ms < 1 ms: dropped;
    // 10 calls save ≈ 5 ms: kept.
    let sql = "SELECT * FROM orders WHERE customer_id = $1";
    let opts = AdviseOptions::default();
    assert!(advise_one(sql, 1, Some(0.5), &opts).indexes.is_empty());
    let kept = advise_one(sql, 10, Some(0.5), &opts);
    assert_eq!(kept.indexes.len(), 1);
    let score = kept.indexes[0].recommendation.score;
    assert!(score > 4.9 && score <= 5.0, "{score}");
}

#[test]
fn an_index_under_min_score_share_of_the_best_is_dropped() {
    // The best index saves ≈ 100 000 calls × 10 ms = 1e6 ms; the email
    // lookup ≈ 100 × 10 ms = 1 000 ms, under 0.5% of it (5 000 ms): cut.
    // With no share threshold both remain.
    let workload = [
        query(
            "SELECT * FROM orders WHERE customer_id = $1",
            100_000,
            Some(10.0),
        ),
        query("SELECT * FROM customers WHERE email = $1", 100, Some(10.0)),
    ];
    let s = shop();
    let advice = advise(&workload, &s, &AdviseOptions::default());
    assert_eq!(advice.indexes.len(), 1);
    assert_eq!(advice.indexes[0].recommendation.table, "orders");
    let all = AdviseOptions {
        min_score_share: 0.0,
        ..AdviseOptions::default()
    };
    assert_eq!(advise(&workload, &s, &all).indexes.len(), 2);
}

#[test]
fn a_range_keeping_a_third_of_the_table_gets_no_index_but_an_existing_index_serves_equalities() {
    // An index seek keeping 1/3 of the rows reads them at random cost:
    // never better than the scan, so nothing is proposed (MAX_SHARE).
    let opts = AdviseOptions::default();
    let advice = advise_one(
        "SELECT * FROM orders WHERE created_at > $1",
        1000,
        None,
        &opts,
    );
    assert!(advice.indexes.is_empty(), "{:?}", advice.indexes);
    // An existing index on customer_id already serves customer_id = $1.
    let s = shop_with("CREATE INDEX orders_customer ON orders (customer_id);\n");
    let advice = advise(
        &[query(
            "SELECT * FROM orders WHERE customer_id = $1",
            1000,
            None,
        )],
        &s,
        &opts,
    );
    assert!(advice.indexes.is_empty(), "{:?}", advice.indexes);
}

// ---------------------------------------------------------------------------
// Known divergences from PostgreSQL's model, kept as failing cases for
// whoever fixes them (run with `cargo test --lib cost_tests -- --ignored`).

#[test]
#[ignore = "divergence: an IN list of constants ignores the MCV list (2 × 1/n_distinct)"]
fn an_in_list_of_constants_sums_their_mcv_frequencies() {
    // scalararraysel sums var_eq_const per element: 'pending' is an MCV
    // (0.03), 'cancelled' is not ((1 - 0.99) / (4 - 3) = 0.01): 0.04 of
    // 1e6 rows = 40 000. The model says 2 × 1/4 = 0.5 → 500 000 rows, so
    // the seek looks like half the table and no index is ever proposed.
    // (PostgreSQL 15, 1M generated rows with these frequencies, ANALYZE:
    // EXPLAIN estimates 39 067 rows.)
    let s = shop();
    let t = info(&s, "orders");
    let sc = scan(
        &s,
        "SELECT * FROM orders WHERE status IN ('pending', 'cancelled')",
    );
    assert!(close(t.local_rows(&sc), 40_000.0), "{}", t.local_rows(&sc));
}

#[test]
#[ignore = "divergence: eq_sel ignores null_frac when no MCV list is declared"]
fn equality_without_mcvs_discounts_the_nulls() {
    // var_eq_non_const / var_eq_const without MCVs: (1 - nullfrac) / n_distinct
    // = (1 - 0.5) / 10 = 0.05. The model says 1/10.
    let s = shop_with(
        "-- dbperf: n rows=100000\n-- dbperf: n.v distinct=10 nulls=0.5\nCREATE TABLE n (v int);\n",
    );
    let t = info(&s, "n");
    assert!(close(t.eq_sel("v", Some("$1")), 0.05));
    assert!(close(t.eq_sel("v", Some("3")), 0.05));
}

#[test]
#[ignore = "divergence: serial is int4 (4 bytes), smallserial int2, interval 16 bytes"]
fn serial_types_have_their_integer_widths() {
    // pg_type: serial is integer (typlen 4), smallserial smallint (2),
    // bigserial bigint (8); interval has typlen 16.
    assert_eq!(type_width("serial"), 4.0);
    assert_eq!(type_width("smallserial"), 2.0);
    assert_eq!(type_width("bigserial"), 8.0);
    assert_eq!(type_width("interval"), 16.0);
}

#[test]
fn patterns_containment_and_full_text_get_gin_indexes_said_to_be_heuristic() {
    let extra = "\
-- dbperf: docs rows=1000000
CREATE TABLE docs (id bigint PRIMARY KEY, subject text NOT NULL, meta jsonb NOT NULL,
                   labels integer[] NOT NULL, body text NOT NULL, during tstzrange);
";
    let s = shop_with(extra);
    let q = |sql: &str| query(sql, 100, Some(50.0));
    let advice = advise(
        &[
            q("SELECT id FROM docs WHERE subject ILIKE '%' || $1 || '%'"),
            q("SELECT id FROM docs WHERE meta @> '{\"k\": 5}'"),
            q("SELECT id FROM docs WHERE labels && ARRAY[3, 4]"),
            q(
                "SELECT id FROM docs WHERE to_tsvector('english', body) @@ plainto_tsquery('english', $1)",
            ),
            // One-argument to_tsvector depends on a setting: not indexable.
            q("SELECT id FROM docs WHERE to_tsvector(body) @@ plainto_tsquery($1)"),
            // Anchored: a B-tree matter, not a GIN one.
            q("SELECT id FROM docs WHERE subject LIKE 'abc%'"),
        ],
        &s,
        &AdviseOptions::default(),
    );
    let gin: Vec<(&str, &[String])> = advice
        .indexes
        .iter()
        .filter(|i| i.recommendation.method.is_some())
        .map(|i| {
            assert_eq!(i.recommendation.verified, Verification::Heuristic);
            assert!(i.recommendation.reason.contains("HypoPG cannot build"));
            (
                i.recommendation.statement.as_str(),
                i.recommendation.requires.as_slice(),
            )
        })
        .collect();
    let has = |needle: &str| gin.iter().any(|(s, _)| s.contains(needle));
    assert!(has("USING gin (subject gin_trgm_ops)"), "{gin:#?}");
    assert!(has("USING gin (meta jsonb_path_ops)"), "{gin:#?}");
    assert!(has("USING gin (labels)"), "{gin:#?}");
    assert!(
        has("USING gin ((to_tsvector('english', body)))"),
        "{gin:#?}"
    );
    assert_eq!(gin.len(), 4, "{gin:#?}");
    let trgm = gin
        .iter()
        .find(|(s, _)| s.contains("gin_trgm_ops"))
        .unwrap();
    assert_eq!(trgm.1, ["CREATE EXTENSION IF NOT EXISTS pg_trgm;"]);
}

/// A range overlap with an equality on a selective column (`depot_id =
/// $1 AND during && tstzrange(…)`, a depot's bookings in a window): the
/// GiST index leads with the equality through btree_gist, said as its
/// prerequisite; an equality that keeps a third of the rows stays out.
#[test]
fn a_range_overlap_with_a_selective_equality_gets_a_btree_gist_index() {
    let extra = "\
-- dbperf: bookings rows=600000
-- dbperf: bookings.depot_id distinct=300
-- dbperf: bookings.kind distinct=3
CREATE TABLE bookings (id bigint PRIMARY KEY, depot_id integer NOT NULL, kind text NOT NULL,
                       during tstzrange NOT NULL);
";
    let s = shop_with(extra);
    let gist = |sql: &str| {
        let advice = advise(
            &[query(sql, 100, Some(20.0))],
            &s,
            &AdviseOptions::default(),
        );
        advice
            .indexes
            .iter()
            .find(|i| i.recommendation.method.as_deref() == Some("gist"))
            .map(|i| {
                (
                    i.recommendation.statement.clone(),
                    i.recommendation.requires.clone(),
                )
            })
            .expect("a GiST index")
    };
    let (stmt, requires) =
        gist("SELECT id FROM bookings WHERE depot_id = $1 AND during && tstzrange($2, $3)");
    assert!(stmt.contains("USING gist (depot_id, during)"), "{stmt}");
    assert_eq!(requires, ["CREATE EXTENSION IF NOT EXISTS btree_gist;"]);
    let (stmt, requires) =
        gist("SELECT id FROM bookings WHERE kind = $1 AND during && tstzrange($2, $3)");
    assert!(stmt.contains("USING gist (during)"), "{stmt}");
    assert!(requires.is_empty(), "{requires:?}");
}

/// `tenant_id = $1 AND delivered_at IS NULL ORDER BY priority DESC,
/// promised_on LIMIT $2` on a skewed tenant column (tenant 1 has 8 % of
/// the rows, the average tenant 0.05 %): the average tenant's open rows
/// are one or two, a sort of them is free, and `(tenant_id) WHERE
/// delivered_at IS NULL` would do; for tenant 1 (2,000 open rows) only
/// the index in the ORDER BY's mixed order stops at the LIMIT. The scan is
/// costed, and to be planned, for the most common value, and says so. An
/// even column keeps its parameter.
#[test]
fn a_skewed_equality_with_an_ordered_limit_is_judged_on_its_heavy_value() {
    let extra = "\
-- dbperf: shipments rows=1000000 bytes=120000000
-- dbperf: shipments.tenant_id distinct=2000 mcv='1':0.08,'2':0.03
-- dbperf: shipments.region_id distinct=2000
-- dbperf: shipments.delivered_at distinct=-1 nulls=0.025
-- dbperf: shipments.priority distinct=4
CREATE TABLE shipments (id bigint PRIMARY KEY, tenant_id integer NOT NULL, region_id integer NOT NULL,
                        priority smallint NOT NULL, promised_on date NOT NULL, delivered_at timestamptz);
";
    let s = shop_with(extra);
    let best = |col: &str| {
        let sql = format!(
            "SELECT id FROM shipments WHERE {col} = $1 AND delivered_at IS NULL ORDER BY priority DESC, promised_on LIMIT $2"
        );
        let advice = advise(
            &[query(&sql, 100, Some(20.0))],
            &s,
            &AdviseOptions::default(),
        );
        let top = advice.indexes.first().expect("an index").clone();
        (
            top.recommendation.statement,
            top.helps.first().and_then(|h| h.assumed.clone()),
        )
    };
    let (stmt, assumed) = best("tenant_id");
    assert!(
        stmt.contains("(tenant_id, priority DESC, promised_on) WHERE delivered_at IS NULL"),
        "{stmt}"
    );
    assert_eq!(assumed.as_deref(), Some("$1 = '1'"));
    let (stmt, assumed) = best("region_id");
    assert!(stmt.contains("(region_id"), "{stmt}");
    assert_eq!(assumed, None);
}

/// The login `tenant_id = $1 AND lower(email) = lower($2) AND deleted_at
/// IS NULL` is served by the application's own partial UNIQUE index on
/// `(tenant_id, lower(email)) WHERE deleted_at IS NULL`, although
/// `deleted_at` is NULL on 95 % of the rows (too many for dbperf to
/// propose such a partial index itself): no index, and no
/// function-on-indexed-column finding asking for `(lower(email))`.
#[test]
fn an_existing_partial_index_whose_predicate_the_statement_repeats_serves_it() {
    let extra = "\
-- dbperf: users rows=1000000 bytes=100000000
-- dbperf: users.tenant_id distinct=2000
-- dbperf: users.email distinct=-1
-- dbperf: users.deleted_at distinct=-1 nulls=0.95
CREATE TABLE users (id bigint PRIMARY KEY, tenant_id integer NOT NULL, email text NOT NULL,
                    deleted_at timestamptz);
CREATE UNIQUE INDEX users_login ON users (tenant_id, lower(email)) WHERE deleted_at IS NULL;
";
    let s = shop_with(extra);
    let advice = advise(
        &[query(
            "SELECT id FROM users WHERE tenant_id = $1 AND lower(email) = lower($2) AND deleted_at IS NULL",
            1000,
            Some(50.0),
        )],
        &s,
        &AdviseOptions::default(),
    );
    let statements = statements(&advice);
    assert!(statements.is_empty(), "{statements:?}");
    assert!(advice.wrapped.is_empty(), "{:?}", advice.wrapped);
}

/// A covering candidate (a join key with the columns the scan reads,
/// here `customers (id) INCLUDE (email)`) is not proposed when it
/// INCLUDEs a column the workload's UPDATEs set: those updates would no
/// longer be HOT. Without the UPDATE it is.
#[test]
fn a_covering_candidate_that_includes_an_updated_column_is_held_back() {
    let opts = AdviseOptions {
        what_if: true,
        ..AdviseOptions::default()
    };
    let join = query(
        "SELECT o.id, o.status FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.email = $1",
        1000,
        Some(50.0),
    );
    let includes_email = |a: &Advice| {
        a.join_candidates
            .iter()
            .any(|c| c.recommendation.spec.include.iter().any(|i| i == "email"))
    };
    let alone = advise(std::slice::from_ref(&join), &shop(), &opts);
    assert!(
        includes_email(&alone),
        "{:?}",
        alone
            .join_candidates
            .iter()
            .map(|c| &c.recommendation.statement)
            .collect::<Vec<_>>()
    );
    let update = query(
        "UPDATE customers SET email = $1 WHERE id = $2",
        1000,
        Some(0.1),
    );
    let with_update = advise(&[join, update], &shop(), &opts);
    assert!(!includes_email(&with_update));
    assert!(
        with_update
            .notes
            .iter()
            .any(|n| n.contains("INCLUDEs email") && n.contains("HOT")),
        "{:?}",
        with_update.notes
    );
    // An UPDATE that was not advised (a live analysis plans and advises the
    // top statements by time; a cheap UPDATE ranks below them) holds the
    // candidate back all the same, from the workload's write statements.
    let mut candidates = alone.join_candidates;
    let notes = hold_back_updated_includes(
        &mut candidates,
        &[("customers".to_string(), vec!["email".to_string()])],
    );
    assert!(
        !candidates
            .iter()
            .any(|c| c.recommendation.spec.include.iter().any(|i| i == "email"))
    );
    assert!(
        notes.iter().any(|n| n.contains("INCLUDEs email")),
        "{notes:?}"
    );
}

// ---------------------------------------------------------------------------
// Rewrites.

/// `created_at::date = …` on a timestamptz: the cast cannot be indexed
/// (it depends on the session's TimeZone); an index on created_at serves
/// the statement only once it is written as a range. That index saves
/// nothing as the statement runs, so it is not among the ranked indexes
/// (which a DBA builds and whose bounds and write costs count it): it is
/// in `rewrites`, with the rewritten statement.
#[test]
fn an_index_only_a_rewrite_lets_serve_is_listed_apart() {
    let a = advise_one(
        "SELECT count(*), sum(total) FROM orders WHERE created_at::date = '2024-03-01'",
        400,
        None,
        &AdviseOptions::default(),
    );
    assert!(a.indexes.is_empty(), "{:#?}", a.indexes);
    let [r] = a.rewrites.as_slice() else {
        panic!("{:#?}", a.rewrites)
    };
    assert_eq!(
        r.recommendation.spec.keys[0],
        IndexKey::column("created_at")
    );
    let [h] = r.helps.as_slice() else {
        panic!("{:#?}", r.helps)
    };
    assert!(!h.rewrites.is_empty());
    assert!(h.sql.contains("created_at >="), "{}", h.sql);
    assert!(!h.sql.contains("::date ="), "{}", h.sql);
    let recs = rewrite_recommendations(&a.rewrites, &[]);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].index_rank, None);
    assert!(
        recs[0].index.starts_with("CREATE INDEX"),
        "{}",
        recs[0].index
    );
    assert!(
        recs[0].predicates[0].from.contains("::date"),
        "{:?}",
        recs[0].predicates
    );
}

/// The same cast beside an equality that an index serves as the statement
/// runs: the ranked list gets that index (its gain needs no rewrite), and
/// the rewrite is listed apart only if its index leaves at most half of
/// what the ranked one leaves; it never takes the ranked one's place.
#[test]
fn a_rewrite_never_takes_the_place_of_an_index_that_serves_today() {
    let a = advise_one(
        "SELECT count(*) FROM orders WHERE customer_id = 42 AND created_at::date = '2024-03-01'",
        1000,
        None,
        &AdviseOptions::default(),
    );
    let [ix] = a.indexes.as_slice() else {
        panic!("{:#?}", a.indexes)
    };
    assert_eq!(
        ix.recommendation.spec.keys[0],
        IndexKey::column("customer_id")
    );
    assert!(
        ix.helps.iter().all(|h| h.rewrites.is_empty()),
        "{:#?}",
        ix.helps
    );
    for r in &a.rewrites {
        assert!(r.helps.iter().all(|h| !h.rewrites.is_empty()));
    }
}

#[test]
fn a_prefix_match_on_lower_under_a_non_c_collation_needs_the_pattern_class() {
    // lower(name) LIKE 'ber%' under en_US or C.UTF-8: only an index on
    // the same expression bounds it, and only with text_pattern_ops (the
    // collation's order is not the bytes' order); under C a plain index
    // on the expression does.
    let extra = "\
-- dbperf: people rows=1000000
-- dbperf: people.name distinct=-1
CREATE TABLE people (id bigint PRIMARY KEY, name text NOT NULL);
";
    let advise_with = |c_collation: Option<bool>| {
        let mut s = shop_with(extra);
        for t in s.tables.iter_mut().filter(|t| t.name == "people") {
            for c in t.columns.iter_mut().filter(|c| c.name == "name") {
                c.c_collation = c_collation;
            }
        }
        let advice = advise(
            &[query(
                "SELECT id FROM people WHERE lower(name) LIKE 'ber%'",
                100,
                Some(50.0),
            )],
            &s,
            &AdviseOptions::default(),
        );
        advice
            .indexes
            .iter()
            .map(|i| i.recommendation.statement.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        advise_with(Some(false)),
        [
            "CREATE INDEX CONCURRENTLY people_lower_name_pattern_idx ON people ((lower(name)) text_pattern_ops);"
        ]
    );
    assert_eq!(
        advise_with(Some(true)),
        ["CREATE INDEX CONCURRENTLY people_lower_name_idx ON people ((lower(name)));"]
    );
}

#[test]
fn a_rare_boolean_gets_a_partial_index_and_no_full_one() {
    // 0.2 % of the posts are flagged: `WHERE flagged ORDER BY created_at`
    // is served by (created_at) WHERE flagged, written as the statement
    // tests the column (the planner proves `flagged` implies `flagged`,
    // not `flagged = 'true'`); an index leading with the boolean is not a
    // candidate, covering or not.
    let extra = "\
-- dbperf: posts rows=1000000
-- dbperf: posts.flagged distinct=2 nulls=0 mcv='f':0.998,'t':0.002
-- dbperf: posts.created_at distinct=-1
CREATE TABLE posts (id bigint PRIMARY KEY, flagged boolean NOT NULL, created_at timestamptz NOT NULL);
";
    let s = shop_with(extra);
    let opts = AdviseOptions {
        what_if: true,
        ..AdviseOptions::default()
    };
    let advice = advise(
        &[query(
            "SELECT id, created_at FROM posts WHERE flagged ORDER BY created_at LIMIT 50",
            100,
            Some(50.0),
        )],
        &s,
        &opts,
    );
    let statements = statements(&advice);
    assert!(
        statements
            .iter()
            .any(|s| s.ends_with("ON posts (created_at) WHERE flagged;")),
        "{statements:?}"
    );
    assert!(
        !advice
            .join_candidates
            .iter()
            .chain(&advice.indexes)
            .any(|c| c.recommendation.spec.predicate.is_none()
                && c.recommendation.spec.keys.first() == Some(&IndexKey::column("flagged"))),
        "{:?}",
        advice
            .join_candidates
            .iter()
            .map(|c| &c.recommendation.statement)
            .collect::<Vec<_>>()
    );
}

/// The cost model's covering variant (`orders (status) INCLUDE
/// (created_at)`, an index-only scan for the 3% of pending orders, of
/// which the statement reads one more column) loses an INCLUDE column the workload's UPDATEs set: those
/// updates would no longer be HOT, and they clear the all-visible bits the
/// index-only scan needs. The key stays; a note says what was left out.
/// Without the UPDATE the variant stands.
#[test]
fn a_ranked_covering_variant_loses_an_updated_include_column() {
    let lookup = query(
        "SELECT created_at FROM orders WHERE status = 'pending'",
        5000,
        Some(40.0),
    );
    let ranked = |a: &Advice| -> Vec<String> {
        a.indexes
            .iter()
            .map(|i| i.recommendation.statement.clone())
            .collect()
    };
    let alone = advise(
        std::slice::from_ref(&lookup),
        &shop(),
        &AdviseOptions::default(),
    );
    assert_eq!(
        ranked(&alone),
        ["CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status) INCLUDE (created_at);"],
    );
    let update = query(
        "UPDATE orders SET created_at = now() WHERE id = $1",
        5000,
        Some(0.1),
    );
    let both = advise(&[lookup, update], &shop(), &AdviseOptions::default());
    assert_eq!(
        ranked(&both),
        ["CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);"],
    );
    assert!(
        both.notes
            .iter()
            .any(|n| n.starts_with("INCLUDE (created_at) left out of") && n.contains("HOT")),
        "{:?}",
        both.notes
    );
}

/// `reviews r JOIN products p ON p.id = r.product_id WHERE r.author_id =
/// $1 ORDER BY r.written_at DESC`: an author has ~2 of 1M reviews, so the
/// scan of reviews drives the join (the products are found by primary
/// key). Its index is on the author, read in the ORDER BY's order; the
/// join column after the author (the variant for reviews as the inner
/// side of a nested loop) narrows nothing and makes the index wider.
#[test]
fn a_join_column_is_no_key_after_an_equality_that_already_finds_a_few_rows() {
    let extra = "\
-- dbperf: reviews rows=1000000 bytes=90000000
-- dbperf: reviews.author_id distinct=500000
-- dbperf: reviews.product_id distinct=50000
-- dbperf: reviews.written_at distinct=-1
CREATE TABLE reviews (id bigint PRIMARY KEY, product_id int NOT NULL, author_id int NOT NULL, written_at timestamptz NOT NULL, stars int);
-- dbperf: products rows=50000
CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL);
";
    let s = shop_with(extra);
    let advice = advise(
        &[query(
            "SELECT r.id, r.stars, r.written_at, p.name FROM reviews r JOIN products p ON p.id = r.product_id WHERE r.author_id = $1 ORDER BY r.written_at DESC",
            100,
            Some(20.0),
        )],
        &s,
        &AdviseOptions::default(),
    );
    let statements = statements(&advice);
    assert!(
        statements
            .iter()
            .any(|s| s.ends_with("ON reviews (author_id, written_at);")
                || s.ends_with("ON reviews (author_id);")),
        "{statements:?}"
    );
    assert!(
        !statements.iter().any(|s| s.contains("product_id")),
        "{statements:?}"
    );
}

/// A report's `created_at >= $1` on a table whose rows arrive in
/// `created_at` order (correlation 0.99), its bound never seen: planned
/// for the newest tenth of the histogram's buckets, where an index on
/// the column serves it, and the index says which value it was planned
/// with. Not for a window with two ends, an upper bound ("older than"), or
/// a column in no particular order: those keep the generic third.
#[test]
fn an_unseen_lower_bound_on_a_growing_column_is_planned_for_its_newest_bucket() {
    let extra = "\
-- dbperf: events rows=2000000 bytes=240000000
-- dbperf: events.kind distinct=12
CREATE TABLE events (id bigint PRIMARY KEY, kind text NOT NULL, created_at timestamptz NOT NULL,
                     scored_at timestamptz NOT NULL);
";
    let mut s = shop_with(extra);
    let days: Vec<String> = (0..=100)
        .map(|d| format!("2026-{:02}-{:02} 00:00:00+00", 1 + d / 28, 1 + d % 28))
        .collect();
    let t = s.table_mut("events").expect("events");
    for (name, correlation) in [("created_at", 0.99), ("scored_at", 0.02)] {
        let c = t.columns.iter_mut().find(|c| c.name == name).expect(name);
        c.histogram = days.clone();
        c.correlation = Some(correlation);
        c.n_distinct = Some(-1.0);
    }
    let best = |filter: &str| {
        let sql = format!("SELECT kind, count(*) FROM events WHERE {filter} GROUP BY kind");
        let advice = advise(
            &[query(&sql, 50, Some(400.0))],
            &s,
            &AdviseOptions::default(),
        );
        advice.indexes.first().map(|i| {
            (
                i.recommendation.statement.clone(),
                i.helps.first().and_then(|h| h.assumed.clone()),
            )
        })
    };
    let (stmt, assumed) = best("created_at >= $1::timestamptz").expect("an index");
    assert!(stmt.contains("events (created_at)"), "{stmt}");
    assert_eq!(
        assumed.as_deref(),
        Some("$1 = '2026-04-07 00:00:00+00'"),
        "the lower edge of the newest ten buckets"
    );
    // As pg_stat_statements shows a typed literal's bound.
    let (_, assumed) = best("created_at >= timestamptz $1").expect("an index");
    assert_eq!(assumed.as_deref(), Some("$1 = '2026-04-07 00:00:00+00'"));
    // `$1 < created_at` is the same bound, written the other way round.
    let (_, assumed) = best("$1 < created_at").expect("an index");
    assert_eq!(assumed.as_deref(), Some("$1 = '2026-04-07 00:00:00+00'"));
    // Two ends: PostgreSQL's 0.5 % for the window, no value assumed.
    if let Some((_, assumed)) = best("created_at >= $1 AND created_at < $2") {
        assert_eq!(assumed, None);
    }
    // "Older than", and a column in no order: the generic third, which no
    // index serves.
    assert_eq!(best("created_at < $1"), None);
    assert_eq!(best("scored_at >= $1"), None);
}

/// With what-if planning to come, each plain candidate is also planned for
/// the other statements that compare its first key column on its table
/// (what-if decides whether it serves them), not for a statement on
/// another column or table.
#[test]
fn a_candidate_reaches_every_statement_on_its_first_key_column() {
    let schema = shop();
    let page = "SELECT id FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 10";
    let total = "SELECT count(*) FROM orders WHERE customer_id = $1 AND total > 100";
    let pending = "SELECT id FROM orders WHERE status = 'pending'";
    let login = "SELECT id FROM customers WHERE email = $1";
    let workload: Vec<WorkloadQuery> = [page, total, pending, login]
        .iter()
        .map(|q| query(q, 10, None))
        .collect();
    let opts = AdviseOptions {
        what_if: true,
        ..AdviseOptions::default()
    };
    let advice = advise(&workload, &schema, &opts);
    let fp = |sql: &str| {
        advice
            .queries
            .iter()
            .find(|q| q.sql == sql)
            .map(|q| q.fingerprint)
            .unwrap()
    };
    let (page, total, pending, login) = (fp(page), fp(total), fp(pending), fp(login));
    let on_customer: Vec<&AdvisedIndex> = advice
        .indexes
        .iter()
        .filter(|c| {
            c.recommendation.spec.table == "orders"
                && c.recommendation
                    .spec
                    .keys
                    .first()
                    .and_then(|k| k.column_name())
                    == Some("customer_id")
        })
        .collect();
    assert!(!on_customer.is_empty(), "{:?}", statements(&advice));
    for c in on_customer {
        let helps: Vec<Fingerprint> = c.helps.iter().map(|h| h.fingerprint).collect();
        assert!(helps.contains(&page) && helps.contains(&total), "{helps:?}");
        assert!(
            !helps.contains(&pending) && !helps.contains(&login),
            "{helps:?}"
        );
        // Each statement once.
        let mut unique = helps.clone();
        unique.sort_by_key(|f| f.to_string());
        unique.dedup();
        assert_eq!(unique.len(), helps.len());
    }
}
