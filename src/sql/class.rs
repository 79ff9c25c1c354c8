//! Which statements are the application's workload. pg_stat_statements
//! records everything a server ran: besides the application's queries, the
//! DBA's `VACUUM` and `EXPLAIN`, migrations' DDL, monitoring agents reading
//! `pg_stat_*`, and dbperf's own (tagged) queries. Only the first are
//! ranked and advised; the others are counted apart.
//!
//! A byte scan, no parse: it runs on every distinct statement.

use super::lex::skip_non_code;

/// What a statement is, for ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementClass {
    /// The application's reads and writes.
    Application,
    /// Utility and maintenance: DDL, `EXPLAIN`, `VACUUM`, `COPY`,
    /// transaction control, settings.
    Utility,
    /// Reads of the catalog and statistics views only (`pg_stat_*`,
    /// `pg_catalog`, `information_schema`), or calls of `pg_*` functions
    /// without a table: monitoring and administration.
    Monitoring,
    /// dbperf's own queries (tagged `/* dbperf */`).
    Own,
}

/// The leading keywords of the application's statements.
const DML: &[&str] = &[
    "select", "with", "insert", "update", "delete", "merge", "values", "table", "call",
];

/// Classifies one statement (normalized or not).
pub fn classify(sql: &str, own_tag: &str) -> StatementClass {
    if !own_tag.is_empty() && sql.contains(own_tag) {
        return StatementClass::Own;
    }
    let words = words(sql);
    let Some(first) = words.first() else {
        return StatementClass::Utility;
    };
    if !DML.contains(&first.as_str()) {
        return StatementClass::Utility;
    }
    // The relations named after FROM and JOIN.
    let mut relations = Vec::new();
    for w in words.windows(2) {
        if matches!(w[0].as_str(), "from" | "join" | "into" | "update") {
            relations.push(w[1].as_str());
        }
    }
    let system = |r: &str| {
        let bare = r.trim_start_matches("pg_catalog.");
        bare.starts_with("pg_") || r.starts_with("information_schema.")
    };
    let calls_pg_function = words.iter().any(|w| w.starts_with("pg_"));
    if relations.is_empty() {
        if calls_pg_function {
            return StatementClass::Monitoring;
        }
    } else if relations.iter().all(|r| system(r)) {
        return StatementClass::Monitoring;
    }
    StatementClass::Application
}

/// The statement's words (identifiers and keywords, lower case, dotted
/// names kept whole), outside comments and string literals.
fn words(sql: &str) -> Vec<String> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if let Some(end) = skip_non_code(b, i, false) {
            i = end;
            continue;
        }
        match b[i] {
            c if c.is_ascii_alphabetic() || c == b'_' || c == b'"' => {
                let start = i;
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b'.' | b'"' | b'$'))
                {
                    i += 1;
                }
                out.push(sql[start..i].replace('"', "").to_ascii_lowercase());
            }
            _ => i += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use StatementClass::*;

    const TAG: &str = "/* dbperf */";

    #[test]
    fn application_statements() {
        for sql in [
            "SELECT * FROM orders WHERE customer_id = $1",
            "with t as (select 1) select * from t join orders o on true",
            "INSERT INTO orders (id) VALUES ($1)",
            "UPDATE accounts SET balance = balance + $1 WHERE aid = $2",
            "SELECT * FROM public.pg_like_but_mine_not",
            "SELECT 'pg_stat_activity' FROM orders",
        ] {
            assert_eq!(classify(sql, TAG), Application, "{sql}");
        }
    }

    #[test]
    fn utility_monitoring_and_own_traffic() {
        assert_eq!(classify("EXPLAIN (ANALYZE) SELECT 1", TAG), Utility);
        assert_eq!(classify("VACUUM ANALYZE orders", TAG), Utility);
        assert_eq!(classify("COPY orders FROM STDIN", TAG), Utility);
        assert_eq!(classify("create index on t (a)", TAG), Utility);
        assert_eq!(classify("BEGIN", TAG), Utility);
        assert_eq!(
            classify("SELECT pg_stat_statements_reset()", TAG),
            Monitoring
        );
        assert_eq!(
            classify("SELECT datname, numbackends FROM pg_stat_database", TAG),
            Monitoring
        );
        assert_eq!(
            classify(
                "select * from pg_catalog.pg_class c join pg_namespace n on n.oid = c.relnamespace",
                TAG
            ),
            Monitoring
        );
        assert_eq!(
            classify("SELECT table_name FROM information_schema.tables", TAG),
            Monitoring
        );
        assert_eq!(
            classify("/* dbperf */ SELECT * FROM pg_stat_user_tables", TAG),
            Own
        );
    }
}
