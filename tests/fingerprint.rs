//! Fingerprints over real statements: what must be one query, and what must
//! stay two.

use dbperf::sql::fingerprint::{Fingerprinter, Lexing, fingerprint, normalize};

fn same(a: &str, b: &str) {
    assert_eq!(
        fingerprint(a),
        fingerprint(b),
        "should be one fingerprint:\n  {a}\n  {b}\n  → {}\n  → {}",
        normalize(a),
        normalize(b)
    );
}

fn differ(a: &str, b: &str) {
    assert_ne!(
        fingerprint(a),
        fingerprint(b),
        "should be two fingerprints:\n  {a}\n  {b}\n  → {}",
        normalize(a)
    );
}

#[test]
fn fingerprint_in_lists_of_any_length() {
    let three =
        "SELECT id, total FROM orders WHERE customer_id IN (17, 42, 99) AND status = 'shipped'";
    let thirty = format!(
        "SELECT id, total FROM orders WHERE customer_id IN ({}) AND status = 'delivered'",
        (1..=30)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    same(three, &thirty);
    same(
        three,
        "SELECT id, total FROM orders WHERE customer_id IN ($1, $2) AND status = $3",
    );
    same(
        "SELECT * FROM t WHERE id = ANY(ARRAY[1,2,3])",
        "SELECT * FROM t WHERE id = ANY(ARRAY[4])",
    );
    same(
        "SELECT * FROM t WHERE (a, b) IN ((1, 2), (3, 4), (5, 6))",
        "SELECT * FROM t WHERE (a, b) IN ((7, 8))",
    );
}

#[test]
fn fingerprint_literals_and_parameters() {
    same(
        "SELECT * FROM customers WHERE email = 'ann@example.com' LIMIT 1",
        "select * from customers where email = $1 limit $2",
    );
    same(
        "SELECT * FROM t WHERE a = ?",
        "SELECT * FROM t WHERE a = :a",
    );
    same(
        "SELECT * FROM t WHERE a > -1.5e3",
        "SELECT * FROM t WHERE a > 7",
    );
    same(
        "SELECT * FROM events WHERE created_at >= '2024-01-01'::timestamptz",
        "SELECT * FROM events WHERE created_at >= $1::timestamptz",
    );
    same(
        "SELECT E'it\\'s', $$dollar ' quoted$$, $tag$x$tag$, B'0101', X'1F'",
        "SELECT 'a', 'b', 'c', 'd', 'e'",
    );
}

#[test]
fn fingerprint_values_rows_collapse() {
    same(
        "INSERT INTO order_items (order_id, product_id, quantity) VALUES (1, 2, 3)",
        "INSERT INTO order_items (order_id, product_id, quantity) VALUES (4, 5, 6), (7, 8, 9), ($1, $2, $3)",
    );
    differ(
        "INSERT INTO t (a, b) VALUES (1, 2)",
        "INSERT INTO t (a, b) VALUES (1, 2) ON CONFLICT (a) DO NOTHING",
    );
}

#[test]
fn fingerprint_ignores_comments_whitespace_and_keyword_case() {
    same(
        "SELECT id\n  FROM orders -- recent first\n WHERE customer_id = 1\n ORDER BY created_at DESC /* page 1 */ LIMIT 10;",
        "select id from ORDERS where customer_id=2 order by created_at desc limit 20",
    );
    same("/* app=web,route=/orders */ SELECT 1", "SELECT   2  ;");
    same(
        "SELECT \"orders\".id FROM \"orders\"",
        "SELECT orders.id FROM orders",
    );
}

#[test]
fn fingerprint_keeps_different_queries_apart() {
    let base = "SELECT id FROM orders WHERE customer_id = 1";
    differ(base, "SELECT id FROM orders WHERE carrier_id = 1");
    differ(base, "SELECT id FROM order_items WHERE customer_id = 1");
    differ(base, "SELECT id, total FROM orders WHERE customer_id = 1");
    differ(base, "SELECT id FROM orders WHERE customer_id > 1");
    differ(
        base,
        "SELECT id FROM orders WHERE customer_id = 1 AND status = 'x'",
    );
    differ(
        base,
        "SELECT id FROM orders WHERE customer_id = 1 ORDER BY id",
    );
    differ(
        "SELECT * FROM t WHERE id IN (1, 2)",
        "SELECT * FROM t WHERE id IN (SELECT id FROM u)",
    );
    differ(
        "SELECT \"Orders\".id FROM \"Orders\"",
        "SELECT orders.id FROM orders",
    );
    differ("SELECT a - 1 FROM t", "SELECT a + 1 FROM t");
    differ("SELECT * FROM t LIMIT 1", "SELECT * FROM t OFFSET 1");
    differ("SELECT count(*) FROM t", "SELECT count(id) FROM t");
    differ("SELECT a FROM t; SELECT b FROM t", "SELECT a FROM t");
}

#[test]
fn fingerprint_mysql_lexing() {
    let mut f = Fingerprinter::new(Lexing::for_dialect(dbperf::model::Dialect::Mysql));
    let a = f.fingerprint("SELECT * FROM users WHERE name = 'O\\'Brien' # trailing comment");
    let b = f.fingerprint("SELECT * FROM users WHERE name = \"Smith\"");
    assert_eq!(a, b, "{}", f.normalized());
}

#[test]
fn fingerprint_never_panics_on_broken_text() {
    for s in [
        "'",
        "\"",
        "$$",
        "$a$ unterminated",
        "/* open",
        "--",
        "(((",
        ")))",
        "]",
        "::",
        "E'",
        "U&'",
        "SELECT 'é', \"ü\", ß FROM t WHERE x = '日本'",
        "\u{0}\u{1}",
        "- -1",
        "VALUES (1),(",
    ] {
        let _ = fingerprint(s);
        let _ = normalize(s);
    }
}
