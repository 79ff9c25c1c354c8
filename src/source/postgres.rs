//! PostgreSQL: the live source of `dbperf analyze --db postgres://…`,
//! `advise --db` and `explain --db`.
//!
//! It owns the connection and every statement sent on it; nothing else in
//! the crate talks to PostgreSQL. What it reads comes back as the model
//! ([`Schema`], [`PgFacts`]), as raw pg_stat_statements rows, or as the
//! JSON text of a plan for the plan parser.
//!
//! # Safety
//! One session, one `READ ONLY` transaction that ends in `ROLLBACK` (so not
//! even a commit is counted), with `default_transaction_read_only`,
//! `statement_timeout` and `lock_timeout` set at its start and
//! `application_name=dbperf` in the startup packet. Plans are plain `EXPLAIN`
//! (never `ANALYZE`), parameterized statements get a generic plan. HypoPG's
//! hypothetical indexes live in this backend's memory only; they are reset
//! after each what-if, before the session ends, and vanish with it in any
//! case. Every statement dbperf sends starts with `/* dbperf */` so its
//! own statements can be left out of pg_stat_statements' workload; where
//! the role may (a superuser, or `GRANT SET ON PARAMETER
//! pg_stat_statements.track`), the session is not tracked at all, so a
//! run's hundreds of what-if plans never take the place of the
//! application's statements in a full pg_stat_statements.

pub mod conninfo;
pub mod tls;

use std::borrow::Cow;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio_postgres::{Client, Row, SimpleQueryMessage};

use crate::error::{Error, Result};
use crate::model::Dialect;
use crate::model::plan::Plan;
use crate::model::planner::Planner;
use crate::model::postgres::{PgFacts, PgIndexStats, PgTableStats};
use crate::model::schema::{Column, ForeignKey, Index, IndexKey, Schema, Table};
use crate::parse::plan::plan_cost;
use crate::source::target::redact;
use crate::sql::lex::skip_non_code;
use crate::sql::params::{
    type_ambiguous_parameters, type_arithmetic_parameters, type_parameter_arrays,
    type_selected_parameters, typed_parameters_as_casts,
};

/// Mark of every statement dbperf sends.
pub const TAG: &str = "/* dbperf */";

/// Limits every statement runs under.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub statement_timeout_ms: u64,
    pub lock_timeout_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            statement_timeout_ms: 30_000,
            lock_timeout_ms: 1_000,
        }
    }
}

/// An open, read-only session.
pub struct PgSession {
    client: Client,
    conn: tokio::task::JoinHandle<()>,
    /// The target as it may be shown (no password).
    pub display: String,
    pub version_num: u32,
    generic_mode_set: bool,
    /// How long dbperf waits for any answer before it gives the session up:
    /// the server cancels at `statement_timeout`, so only a server (or
    /// proxy) that stopped answering gets here.
    deadline: Duration,
    /// Set once the server stopped answering or the connection closed.
    lost: AtomicBool,
    /// The password, to take out of any message that might quote it.
    secret: Option<String>,
    /// What could not be read (a privilege the role lacks, a locked
    /// table), one line each, for the report to list.
    pub skipped: Vec<String>,
    /// HypoPG's schema, quoted, with its dot (`"public".`): its functions
    /// are called by it, as the extension may live in a schema not on the
    /// search path (a script's `SET search_path` when it was created).
    hypopg_schema: String,
}

/// One row of pg_stat_statements (for this database, top-level), with the
/// time spent planning included where tracked.
#[derive(Debug, Clone, PartialEq)]
pub struct StatRow {
    /// `userid:queryid:toplevel`: what identifies an entry across snapshots.
    pub key: String,
    pub query: String,
    pub calls: i64,
    /// Execution plus planning time, milliseconds.
    pub total_ms: f64,
    pub plan_ms: f64,
    pub rows: i64,
    pub shared_blks_hit: i64,
    pub shared_blks_read: i64,
}

/// What pg_stat_statements gave.
#[derive(Debug, Clone)]
pub enum Statements {
    Rows {
        rows: Vec<StatRow>,
        /// `pg_stat_statements_info.stats_reset` as Unix seconds (1.9+).
        reset_at: Option<f64>,
        /// Whether planning time is included (`pg_stat_statements.track_planning`).
        planning_tracked: bool,
        version: String,
    },
    /// Not usable; the text says why and exactly what to run.
    Missing(String),
}

/// Whether HypoPG can be used in this session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hypo {
    Ready {
        version: String,
    },
    /// Not usable; the text says how to enable it.
    Missing(String),
}

pub use crate::error::PlanError;

/// What one failed statement returns: a [`PlanError`] with the SQLSTATE
/// (skip and report it when [`PlanError::timed_out`] or
/// [`PlanError::permission_denied`]; stop when [`PlanError::lost`]).
pub type StatementError = PlanError;

/// Seconds of grace beyond `statement_timeout` before dbperf stops waiting
/// for an answer the server should have sent.
const GRACE: Duration = Duration::from_secs(5);

/// Connects and opens the read-only transaction. Every step is bounded:
/// the connection attempt (TCP, TLS, authentication) and the session's
/// setup statements by the connect timeout (`connect_timeout`,
/// `PGCONNECT_TIMEOUT`, or 10 s) per host tried, every later statement by
/// `statement_timeout` plus a grace.
pub async fn connect(conninfo: &str, limits: Limits) -> Result<PgSession> {
    let info = conninfo::parse(conninfo, &conninfo::ProcessEnv)?;
    let display = info.display.clone();
    let secret = info
        .config
        .get_password()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .filter(|p| !p.is_empty());
    let per_host = info
        .config
        .get_connect_timeout()
        .copied()
        .unwrap_or(Duration::from_secs(conninfo::DEFAULT_CONNECT_TIMEOUT_S));
    let connect_limit = per_host * info.config.get_hosts().len().max(1) as u32;
    let fail = |e: tokio_postgres::Error| {
        Error::Database(format!(
            "cannot connect to {display}: {}",
            scrub(&describe(&e), secret.as_deref())
        ))
    };
    let no_answer = || {
        Error::Database(format!(
            "cannot connect to {display}: no answer within {} s (connect_timeout); is it a PostgreSQL server?",
            connect_limit.as_secs_f64()
        ))
    };
    let tls = tls::connector(info.ssl, info.root_cert.as_deref())?;
    let (client, conn) = match tls {
        Some(tls) => {
            let (client, conn) = tokio::time::timeout(connect_limit, info.config.connect(tls))
                .await
                .map_err(|_| no_answer())?
                .map_err(fail)?;
            let h = tokio::spawn(async move {
                let _ = conn.await;
            });
            (client, h)
        }
        None => {
            let (client, conn) =
                tokio::time::timeout(connect_limit, info.config.connect(tokio_postgres::NoTls))
                    .await
                    .map_err(|_| no_answer())?
                    .map_err(fail)?;
            let h = tokio::spawn(async move {
                let _ = conn.await;
            });
            (client, h)
        }
    };
    let mut s = PgSession {
        client,
        conn,
        display: display.clone(),
        version_num: 0,
        generic_mode_set: false,
        deadline: per_host,
        lost: AtomicBool::new(false),
        secret,
        skipped: Vec::new(),
        hypopg_schema: String::new(),
    };
    // One statement per call: pg_stat_statements keeps each with its own
    // text, and the tag must lead every one of them.
    for stmt in [
        format!("{TAG} BEGIN TRANSACTION READ ONLY"),
        format!("{TAG} SET default_transaction_read_only = on"),
        format!(
            "{TAG} SET statement_timeout = {}",
            limits.statement_timeout_ms
        ),
        format!("{TAG} SET lock_timeout = {}", limits.lock_timeout_ms),
        format!(
            "{TAG} SET idle_in_transaction_session_timeout = {}",
            limits.statement_timeout_ms * 4
        ),
    ] {
        let r = s.call(s.client.batch_execute(&stmt)).await;
        if let Err(e) = r {
            let e = s.fatal("setting up the read-only session", e);
            s.close().await;
            return Err(e);
        }
    }
    s.deadline = Duration::from_millis(limits.statement_timeout_ms) + GRACE;
    // Out of pg_stat_statements from here on (in the transaction, which
    // ends in ROLLBACK: no commit is counted), where the role may set it: a
    // full table evicts its least-used entries, the application's rare
    // statements (a report run once) among them, to make room for dbperf's
    // what-if plans. Refused (any other role), the tag still sets them
    // apart; either way nothing else changes. Only a lost connection ends
    // the session here, with its own error.
    if let Err(e) = s
        .guarded(&format!("{TAG} SET pg_stat_statements.track = none"))
        .await
        && e.lost
    {
        let e = s.fatal("setting up the read-only session", e);
        s.close().await;
        return Err(e);
    }
    let v = s
        .call(s.client.query_one(
            &format!("{TAG} SELECT current_setting('server_version_num')::int4"),
            &[],
        ))
        .await;
    let v = match v {
        Ok(v) => v,
        Err(e) => {
            let e = s.fatal("reading the server version", e);
            s.close().await;
            return Err(e);
        }
    };
    s.version_num = v.get::<_, i32>(0).max(0) as u32;
    Ok(s)
}

/// `text` without the password, wherever it appears.
fn scrub(text: &str, secret: Option<&str>) -> String {
    match secret {
        Some(p) if !p.is_empty() && text.contains(p) => text.replace(p, "***"),
        _ => text.to_string(),
    }
}

/// A driver error as one line: the server's message and SQLSTATE, its
/// hint, or the transport error; never the password.
pub fn describe(e: &tokio_postgres::Error) -> String {
    let text = match e.as_db_error() {
        Some(db) => {
            let mut m = format!("{} (SQLSTATE {})", db.message(), db.code().code());
            if let Some(h) = db.hint() {
                m.push_str(&format!("; hint: {h}"));
            }
            m
        }
        None => {
            let mut m = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(s) = src {
                let t = s.to_string();
                if !m.contains(&t) {
                    m.push_str(&format!(": {t}"));
                }
                src = s.source();
            }
            m
        }
    };
    redact(&text)
}

impl PgSession {
    /// A failed statement that ends the work: one line naming the target.
    fn fatal(&self, what: &str, e: StatementError) -> Error {
        Error::Database(format!("{}: {what}: {}", self.display, e.message))
    }

    /// Awaits one request to the server, bounded by the session's deadline.
    async fn call<T>(
        &self,
        request: impl Future<Output = std::result::Result<T, tokio_postgres::Error>>,
    ) -> std::result::Result<T, StatementError> {
        if self.lost.load(Ordering::Relaxed) {
            return Err(StatementError {
                message: "the connection was lost earlier in this session".into(),
                sqlstate: None,
                lost: true,
            });
        }
        match tokio::time::timeout(self.deadline, request).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => {
                let lost = e.is_closed();
                if lost {
                    self.lost.store(true, Ordering::Relaxed);
                }
                Err(StatementError {
                    message: scrub(&describe(&e), self.secret.as_deref()),
                    sqlstate: e.code().map(|c| c.code().to_string()),
                    lost,
                })
            }
            Err(_) => {
                self.lost.store(true, Ordering::Relaxed);
                Err(StatementError {
                    message: format!(
                        "the server did not answer within {} s",
                        self.deadline.as_secs_f64()
                    ),
                    sqlstate: None,
                    lost: true,
                })
            }
        }
    }

    /// Ends the session: rolls the read-only transaction back and drops
    /// every hypothetical index with the backend. Bounded like every call:
    /// a server that stopped answering does not keep dbperf waiting.
    pub async fn close(self) {
        let _ = self
            .call(self.client.batch_execute(&format!("{TAG} ROLLBACK")))
            .await;
        drop(self.client);
        let mut conn = self.conn;
        if self.lost.load(Ordering::Relaxed)
            || tokio::time::timeout(GRACE, &mut conn).await.is_err()
        {
            conn.abort();
        }
    }

    /// Runs a parameterized query inside a savepoint, so that a failure
    /// (a lock or statement timeout, a privilege) leaves the transaction
    /// usable.
    async fn guarded_query(
        &mut self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> std::result::Result<Vec<Row>, StatementError> {
        self.call(
            self.client
                .batch_execute(&format!("{TAG} SAVEPOINT dbperf_sp")),
        )
        .await?;
        let r = self.call(self.client.query(sql, params)).await;
        self.end_savepoint(r.is_ok()).await?;
        r
    }

    async fn end_savepoint(&mut self, ok: bool) -> std::result::Result<(), StatementError> {
        if !ok {
            self.call(
                self.client
                    .batch_execute(&format!("{TAG} ROLLBACK TO SAVEPOINT dbperf_sp")),
            )
            .await?;
        }
        self.call(
            self.client
                .batch_execute(&format!("{TAG} RELEASE SAVEPOINT dbperf_sp")),
        )
        .await
    }

    /// Runs `sql` inside a savepoint so that a failing statement does not
    /// abort the transaction.
    async fn guarded(
        &mut self,
        sql: &str,
    ) -> std::result::Result<Vec<SimpleQueryMessage>, StatementError> {
        // One fixed name: each savepoint is released before the next, and
        // pg_stat_statements gets one entry, not one per call.
        self.call(
            self.client
                .batch_execute(&format!("{TAG} SAVEPOINT dbperf_sp")),
        )
        .await?;
        let r = self.call(self.client.simple_query(sql)).await;
        self.end_savepoint(r.is_ok()).await?;
        r
    }

    /// The catalog and statistics of every user table, as the model.
    // A sequence of catalog queries, each followed by the few lines that
    // put its rows into the model; long, but read top to bottom.
    pub async fn read_catalog(&mut self) -> Result<(Schema, PgFacts)> {
        let mut facts = PgFacts {
            version_num: self.version_num,
            ..PgFacts::default()
        };
        let row = self.call(self.client.query_one(
                &format!(
                    "{TAG} SELECT current_setting('server_version'), current_database(), \
                     extract(epoch FROM now() - coalesce(d.stats_reset, pg_postmaster_start_time()))::float8 \
                     FROM pg_stat_database d WHERE d.datname = current_database()"
                ),
                &[],
            )).await.map_err(|e| self.fatal("reading the server version", e))?;
        facts.version = row.get(0);
        facts.database = row.get(1);
        facts.stats_age_s = row.get(2);
        let settings = self.call(self.client.query(
                &format!(
                    "{TAG} SELECT name, setting || coalesce(unit, '') FROM pg_settings WHERE name = ANY($1) ORDER BY name"
                ),
                &[&SETTINGS.as_slice()],
            )).await.map_err(|e| self.fatal("reading settings", e))?;
        facts.settings = settings.iter().map(|r| (r.get(0), r.get(1))).collect();

        // Exact sizes take a lock on each table and index (AccessShare): a
        // table locked by someone else (an ALTER TABLE, a VACUUM FULL, a
        // LOCK) makes that read run into lock_timeout. Then the sizes come
        // from pg_class.relpages (as of the last VACUUM or ANALYZE), which
        // takes no lock, and the report says so.
        let exact = self
            .guarded_query(&tables_sql(TABLE_SIZES_EXACT), &[])
            .await;
        let (tables, index_size) = match exact {
            Ok(rows) => (rows, INDEX_SIZE_EXACT),
            Err(e) if e.timed_out() => {
                self.skipped.push(format!(
                    "exact table and index sizes ({}): sizes are estimated from pg_class.relpages",
                    e.message
                ));
                let rows = self
                    .call(self.client.query(&tables_sql(TABLE_SIZES_ESTIMATED), &[]))
                    .await
                    .map_err(|e| self.fatal("reading the tables", e))?;
                (rows, INDEX_SIZE_ESTIMATED)
            }
            Err(e) => return Err(self.fatal("reading the tables", e)),
        };
        let text_search_config = self
            .guarded_query(
                &format!("{TAG} SELECT current_setting('default_text_search_config')"),
                &[],
            )
            .await
            .ok()
            .and_then(|r| r.first().map(|r| r.get::<_, String>(0)));
        let mut schema = Schema {
            tables: Vec::with_capacity(tables.len()),
            has_statistics: false,
            dialect: Dialect::Postgres,
            text_search_config,
            text_search_config_source: None,
        };
        let mut by_oid: HashMap<i64, usize> = HashMap::new();
        for r in &tables {
            let oid: i64 = r.get(0);
            let nsp: String = r.get(1);
            let name: String = r.get(2);
            let reltuples: f64 = r.get(3);
            let total: i64 = r.get(4);
            let heap: i64 = r.get(5);
            // reltuples is -1 (PostgreSQL 14+) or 0 with no pages when the
            // table was never analysed or vacuumed.
            let rows = if reltuples >= 0.0 && !(reltuples == 0.0 && heap > 0) {
                Some(reltuples)
            } else {
                None
            };
            if rows.is_some() {
                schema.has_statistics = true;
            }
            by_oid.insert(oid, schema.tables.len());
            let qualified = format!("{nsp}.{name}");
            facts.tables.push(PgTableStats {
                table: qualified,
                seq_scan: r.get::<_, i64>(6) as u64,
                seq_tup_read: r.get::<_, i64>(7) as u64,
                idx_scan: r.get::<_, i64>(8) as u64,
                n_tup_ins: r.get::<_, i64>(9) as u64,
                n_tup_upd: r.get::<_, i64>(10) as u64,
                n_tup_hot_upd: r.get::<_, i64>(15).max(0) as u64,
                n_tup_del: r.get::<_, i64>(11) as u64,
                n_live_tup: r.get::<_, i64>(12) as u64,
                n_dead_tup: r.get::<_, i64>(13) as u64,
                vacuum_age_s: r.get(14),
                bytes: total.max(0) as u64,
            });
            schema.tables.push(Table {
                schema: Some(nsp),
                name,
                rows,
                bytes: Some(total.max(0) as u64),
                rows_changed: Some((r.get::<_, i64>(10) + r.get::<_, i64>(11)).max(0) as u64),
                partition_of: r.get(16),
                ..Table::default()
            });
        }
        let oids: Vec<i64> = by_oid.keys().copied().collect();

        // Columns with pg_stats (visible only for columns the role may
        // read; others keep no statistics and the advisor's defaults).
        let cols = self.call(self.client.query(
                &format!(
                    "{TAG} SELECT a.attrelid::int8, a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull, \
                     s.n_distinct::float8, s.null_frac::float8, s.most_common_vals::text, s.most_common_freqs::float8[], \
                     s.histogram_bounds::text, s.correlation::float8, \
                     CASE WHEN a.attcollation = 0 THEN NULL \
                          ELSE coalesce(co.collname IN ('C', 'POSIX') OR (co.collname = 'default' AND \
                               (SELECT datcollate IN ('C', 'POSIX') FROM pg_database WHERE datname = current_database())), false) END \
                     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
                     LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname \
                          AND s.attname = a.attname AND NOT s.inherited \
                     LEFT JOIN pg_collation co ON co.oid = a.attcollation \
                     WHERE a.attrelid = ANY($1::int8[]::oid[]) AND a.attnum > 0 AND NOT a.attisdropped \
                     ORDER BY a.attrelid, a.attnum"
                ),
                &[&oids],
            )).await.map_err(|e| self.fatal("reading the columns", e))?;
        for r in &cols {
            let Some(&ti) = by_oid.get(&r.get::<_, i64>(0)) else {
                continue;
            };
            let mcv: Option<String> = r.get(6);
            let freqs: Option<Vec<f64>> = r.get(7);
            let most_common = match (mcv, freqs) {
                (Some(v), Some(f)) => parse_array(&v).into_iter().zip(f).collect(),
                _ => Vec::new(),
            };
            schema.tables[ti].columns.push(Column {
                name: r.get(1),
                data_type: r.get::<_, String>(2).to_lowercase(),
                not_null: r.get(3),
                n_distinct: r.get(4),
                null_frac: r.get(5),
                most_common,
                histogram: r
                    .get::<_, Option<String>>(8)
                    .map(|h| parse_array(&h))
                    .unwrap_or_default(),
                correlation: r.get(9),
                c_collation: r.get(10),
            });
        }

        // pg_get_indexdef locks the table too: when a lock kept the exact
        // read out, the indexes of tables someone holds (or waits for) an
        // ACCESS EXCLUSIVE lock on are left out, and named.
        let idx_sql = |index_size: &str, unlocked: &str| {
            format!(
                "{TAG} SELECT i.indrelid::int8, ic.relname::text, i.indisunique, i.indisprimary, \
                     i.indisvalid AND i.indisready, am.amname::text, pg_get_indexdef(i.indexrelid), \
                     pg_get_expr(i.indpred, i.indrelid), i.indnkeyatts::int4, \
                     ARRAY(SELECT coalesce(a.attname::text, pg_get_indexdef(i.indexrelid, k, true)) \
                           FROM generate_series(1, i.indnatts) k \
                           LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[k - 1] \
                                AND i.indkey[k - 1] <> 0 ORDER BY k), \
                     ARRAY(SELECT i.indkey[k - 1] = 0 FROM generate_series(1, i.indnatts) k ORDER BY k), \
                     ARRAY(SELECT (i.indoption[k - 1] & 1) = 1 FROM generate_series(1, i.indnkeyatts) k ORDER BY k), \
                     EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x')), \
                     {index_size}, coalesce(s.idx_scan, 0)::int8, n.nspname::text, \
                     ARRAY(SELECT (SELECT o.opcname::text FROM pg_opclass o WHERE o.oid = i.indclass[k - 1]) \
                           FROM generate_series(1, i.indnkeyatts) k ORDER BY k), \
                     ARRAY(SELECT (i.indoption[k - 1] & 2) = 2 FROM generate_series(1, i.indnkeyatts) k ORDER BY k) \
                     FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam \
                     JOIN pg_namespace n ON n.oid = ic.relnamespace \
                     LEFT JOIN pg_stat_user_indexes s ON s.indexrelid = i.indexrelid \
                     WHERE i.indrelid = ANY($1::int8[]::oid[]) {unlocked} ORDER BY i.indrelid, ic.relname"
            )
        };
        let exact = index_size == INDEX_SIZE_EXACT;
        let idx = match self.guarded_query(&idx_sql(index_size, ""), &[&oids]).await {
            Ok(rows) => rows,
            Err(e) if e.timed_out() => {
                if exact {
                    self.skipped.push(format!(
                        "exact index sizes ({}): sizes are estimated from pg_class.relpages",
                        e.message
                    ));
                }
                let locked = self
                    .call(self.client.query(
                        &format!(
                            "{TAG} SELECT DISTINCT n.nspname || '.' || c.relname FROM pg_locks l \
                             JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace \
                             WHERE l.mode = 'AccessExclusiveLock' AND l.relation = ANY($1::int8[]::oid[]) \
                               AND l.pid <> pg_backend_pid() ORDER BY 1"
                        ),
                        &[&oids],
                    ))
                    .await
                    .map_err(|e| self.fatal("looking for locked tables", e))?;
                let locked: Vec<String> = locked.iter().map(|r| r.get(0)).collect();
                let unlocked = "AND NOT EXISTS (SELECT 1 FROM pg_locks l WHERE l.mode = 'AccessExclusiveLock' \
                                AND l.relation IN (i.indrelid, i.indexrelid) AND l.pid <> pg_backend_pid())";
                match self
                    .guarded_query(&idx_sql(INDEX_SIZE_ESTIMATED, unlocked), &[&oids])
                    .await
                {
                    Ok(rows) => {
                        if !locked.is_empty() {
                            self.skipped.push(format!(
                                "the indexes of {} (locked by another session: ACCESS EXCLUSIVE)",
                                locked.join(", ")
                            ));
                        }
                        rows
                    }
                    Err(e) if e.timed_out() => {
                        self.skipped.push(format!(
                            "the indexes of every table ({}): advice may name indexes that exist",
                            e.message
                        ));
                        Vec::new()
                    }
                    Err(e) => return Err(self.fatal("reading the indexes", e)),
                }
            }
            Err(e) => return Err(self.fatal("reading the indexes", e)),
        };
        for r in &idx {
            let Some(&ti) = by_oid.get(&r.get::<_, i64>(0)) else {
                continue;
            };
            let name: String = r.get(1);
            let nkey = r.get::<_, i32>(8).max(0) as usize;
            let names: Vec<String> = r.get(9);
            let is_expr: Vec<bool> = r.get(10);
            let desc: Vec<bool> = r.get(11);
            let opclasses: Vec<Option<String>> = r.get(16);
            let nulls_first: Vec<bool> = r.get(17);
            let mut keys = Vec::new();
            let mut include = Vec::new();
            for (k, n) in names.into_iter().enumerate() {
                if k >= nkey {
                    include.push(n);
                } else if is_expr.get(k).copied().unwrap_or(false) {
                    keys.push(IndexKey::Expression { sql: n });
                } else if let Some(Some(op)) = opclasses.get(k)
                    && op.ends_with("_pattern_ops")
                {
                    // As the advisor writes a prefix-match key: a plain
                    // key on the column does not match it.
                    keys.push(IndexKey::Expression {
                        sql: format!("{n} {op}"),
                    });
                } else {
                    let descending = desc.get(k).copied().unwrap_or(false);
                    keys.push(IndexKey::Column {
                        name: n,
                        descending,
                        nulls_first: nulls_first.get(k).copied().unwrap_or(descending),
                    });
                }
            }
            let bytes = r.get::<_, i64>(13).max(0) as u64;
            let scans = r.get::<_, i64>(14).max(0) as u64;
            let t = &mut schema.tables[ti];
            facts.indexes.push(PgIndexStats {
                table: t.qualified_name(),
                index: name.clone(),
                schema: r.get(15),
                idx_scan: scans,
                bytes,
                unique: r.get(2),
                primary: r.get(3),
                constraint: r.get(12),
                valid: r.get(4),
                definition: r.get(6),
            });
            t.indexes.push(Index {
                name,
                keys,
                include,
                unique: r.get(2),
                primary: r.get(3),
                predicate: r.get(7),
                valid: r.get(4),
                method: Some(r.get(5)),
                scans: Some(scans),
                bytes: Some(bytes),
                defined_at: None,
            });
        }

        let cons = self.call(self.client.query(
                &format!(
                    "{TAG} SELECT con.conrelid::int8, con.contype::text, con.conname::text, \
                     ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, o) \
                           JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o), \
                     fn.nspname::text || '.' || fc.relname::text, \
                     ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, o) \
                           JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o) \
                     FROM pg_constraint con \
                     LEFT JOIN pg_class fc ON fc.oid = con.confrelid \
                     LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace \
                     WHERE con.contype IN ('p', 'f') AND con.conrelid = ANY($1::int8[]::oid[]) \
                     ORDER BY con.conrelid, con.conname"
                ),
                &[&oids],
            )).await.map_err(|e| self.fatal("reading the constraints", e))?;
        for r in &cons {
            let Some(&ti) = by_oid.get(&r.get::<_, i64>(0)) else {
                continue;
            };
            let kind: String = r.get(1);
            let cols: Vec<String> = r.get(3);
            let t = &mut schema.tables[ti];
            if kind == "p" {
                t.primary_key = cols;
            } else {
                t.foreign_keys.push(ForeignKey {
                    name: Some(r.get(2)),
                    columns: cols,
                    referenced_table: r.get::<_, Option<String>>(4).unwrap_or_default(),
                    referenced_columns: r.get(5),
                    defined_at: None,
                });
            }
        }
        Ok((schema, facts))
    }

    /// pg_stat_statements for this database, whatever its version.
    pub async fn read_statements(&mut self) -> Result<Statements> {
        let ext = self.call(self.client.query_opt(
                &format!(
                    "{TAG} SELECT e.extversion, n.nspname::text FROM pg_extension e \
                     JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements'"
                ),
                &[],
            )).await.map_err(|e| self.fatal("looking for pg_stat_statements", e))?;
        // pg_settings shows shared_preload_libraries only to a role with
        // pg_read_all_settings (current_setting would fail the statement):
        // without it, whether the library is loaded is left unknown and the
        // view read below says it.
        let preload: Option<String> = self
            .call(self.client.query_opt(
                &format!(
                    "{TAG} SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries'"
                ),
                &[],
            ))
            .await
            .map_err(|e| self.fatal("reading shared_preload_libraries", e))?
            .map(|r| r.get(0));
        if preload.is_none() {
            self.skipped.push(
                "shared_preload_libraries (this role lacks pg_read_all_settings): whether pg_stat_statements is loaded was not checked".into(),
            );
        }
        let loaded = preload.as_deref().is_none_or(|p| {
            p.split(',')
                .any(|l| l.trim().trim_matches('"') == "pg_stat_statements")
        });
        let preload = preload.unwrap_or_default();
        let enable_preload = format!(
            "add pg_stat_statements to shared_preload_libraries (ALTER SYSTEM SET shared_preload_libraries = '{}'; then restart PostgreSQL)",
            if preload.trim().is_empty() {
                "pg_stat_statements".to_string()
            } else {
                format!("{preload},pg_stat_statements")
            }
        );
        let Some(ext) = ext else {
            let mut how = String::from("pg_stat_statements is not installed in this database: ");
            if !loaded {
                how.push_str(&enable_preload);
                how.push_str(", then ");
            }
            how.push_str("run CREATE EXTENSION pg_stat_statements; in it (as a superuser). Without it dbperf cannot see the workload; the catalog and statistics were still checked.");
            return Ok(Statements::Missing(how));
        };
        // Whether the library is loaded is known for sure only by reading
        // the view (it may be loaded without being listed, and a role
        // without pg_read_all_settings cannot see the list).
        let not_loaded = || {
            Statements::Missing(format!(
                "pg_stat_statements is installed but not loaded: {enable_preload}. The catalog and statistics were still checked."
            ))
        };
        let version: String = ext.get(0);
        let nsp: String = ext.get(1);
        let view = format!("{}.pg_stat_statements", quote_ident(&nsp));
        let cols: Vec<String> = self.call(self.client.query(
                &format!(
                    "{TAG} SELECT attname::text FROM pg_attribute WHERE attrelid = $1::text::regclass AND attnum > 0"
                ),
                &[&view],
            )).await.map_err(|e| self.fatal("reading pg_stat_statements' columns", e))?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let has = |c: &str| cols.iter().any(|x| x == c);
        // 1.8 (PostgreSQL 13) split total_time into plan and exec time.
        let exec = if has("total_exec_time") {
            "total_exec_time"
        } else {
            "total_time"
        };
        let plan = if has("total_plan_time") {
            "total_plan_time"
        } else {
            "0"
        };
        let toplevel = if has("toplevel") { "AND toplevel" } else { "" };
        let toplevel_key = if has("toplevel") {
            "toplevel::text"
        } else {
            "'t'"
        };
        let sql = format!(
            "{TAG} SELECT userid::int8::text || ':' || coalesce(queryid::text, md5(query)) || ':' || {toplevel_key}, \
             query, calls::int8, ({exec} + {plan})::float8, {plan}::float8, rows::int8, \
             shared_blks_hit::int8, shared_blks_read::int8 \
             FROM {view} \
             WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) {toplevel} \
               AND query NOT LIKE '/* dbperf */%' AND calls > 0"
        );
        let rows = match self.guarded_query(&sql, &[]).await {
            Ok(r) => r,
            Err(e) if e.sqlstate.as_deref() == Some("55000") => return Ok(not_loaded()),
            Err(e) if !e.lost => {
                return Ok(Statements::Missing(format!(
                    "pg_stat_statements could not be read: {e}. The catalog and statistics were still checked."
                )));
            }
            Err(e) => return Err(self.fatal("reading pg_stat_statements", e)),
        };
        let rows = rows
            .iter()
            .map(|r| StatRow {
                key: r.get(0),
                query: r.get(1),
                calls: r.get(2),
                total_ms: r.get(3),
                plan_ms: r.get(4),
                rows: r.get(5),
                shared_blks_hit: r.get(6),
                shared_blks_read: r.get(7),
            })
            .collect();
        let reset_at = if has_info(&version) {
            self.guarded_query(
                &format!(
                    "{TAG} SELECT extract(epoch FROM stats_reset)::float8 FROM {}.pg_stat_statements_info",
                    quote_ident(&nsp)
                ),
                &[],
            )
            .await
            .ok()
            .and_then(|r| r.first().and_then(|r| r.get(0)))
        } else {
            None
        };
        let planning_tracked = plan != "0"
            && self
                .guarded_query(
                    &format!(
                        "{TAG} SELECT coalesce(current_setting('pg_stat_statements.track_planning', true), 'off')"
                    ),
                    &[],
                )
                .await
                .is_ok_and(|r| r.first().is_some_and(|r| r.get::<_, String>(0) == "on"));
        Ok(Statements::Rows {
            rows,
            reset_at,
            planning_tracked,
            version,
        })
    }

    /// The statements the other sessions of this database run now, or ran
    /// last when idle, as pg_stat_activity shows them: their literal text,
    /// constants included (cut at `track_activity_query_size`). Statistics
    /// are read once per transaction, so the snapshot is cleared first and
    /// each call sees the present. Each text with whether its session is
    /// running it now (`state = 'active'`). Only what this role may see
    /// (others' text needs pg_read_all_stats); nothing on a failure.
    pub async fn activity(&mut self) -> Vec<(String, bool)> {
        let sql = format!(
            "{TAG} SELECT query, state = 'active' FROM (SELECT pg_stat_clear_snapshot()) c, pg_stat_activity
              WHERE datid = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND pid <> pg_backend_pid() AND backend_type = 'client backend'
                AND query <> '' AND query NOT LIKE '{TAG}%'"
        );
        match self.guarded_query(&sql, &[]).await {
            Ok(rows) => rows
                .iter()
                .filter_map(|r| {
                    let text = r.try_get::<_, Option<String>>(0).ok().flatten()?;
                    let active = r.try_get::<_, Option<bool>>(1).ok().flatten();
                    Some((text, active.unwrap_or(false)))
                })
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// A role's own value of a setting in this database
    /// (`ALTER ROLE … [IN DATABASE …] SET`), the database-specific one
    /// first, as PostgreSQL applies them; `None` when the role sets none.
    pub async fn role_setting(&mut self, role_oid: u32, name: &str) -> Option<String> {
        let sql = format!(
            "{TAG} SELECT split_part(c, '=', 2) FROM pg_db_role_setting s, unnest(s.setconfig) c
              WHERE s.setrole::int8 = $1
                AND s.setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))
                AND split_part(c, '=', 1) = $2
              ORDER BY s.setdatabase DESC LIMIT 1"
        );
        let oid = i64::from(role_oid);
        let rows = self.guarded_query(&sql, &[&oid, &name]).await.ok()?;
        rows.first().and_then(|r| r.try_get::<_, String>(0).ok())
    }

    /// The database server's clock, Unix seconds.
    pub async fn now(&self) -> Result<f64> {
        let r = self
            .call(self.client.query_one(
                &format!("{TAG} SELECT extract(epoch FROM clock_timestamp())::float8"),
                &[],
            ))
            .await
            .map_err(|e| self.fatal("reading the clock", e))?;
        Ok(r.get(0))
    }

    /// The plan of `sql` as EXPLAIN's JSON text: plain EXPLAIN (never
    /// ANALYZE), a generic plan when it has `$n` parameters.
    pub async fn explain(&mut self, sql: &str) -> std::result::Result<String, PlanError> {
        let sql = sql.trim().trim_end_matches(';');
        let params = max_param(sql);
        if params == 0 {
            return self.explain_typed(sql, 0).await;
        }
        // pg_stat_statements' `timestamptz $1` is written `$1::timestamptz`
        // so it prepares (the constant of a typed literal became a $n), and
        // a parameter an operator leaves ambiguous (`date + $2`, `$1 ||
        // $2`) takes the type its neighbours give it.
        let cast = typed_parameters_as_casts(sql);
        let typed = type_ambiguous_parameters(&cast);
        match self.explain_typed(&typed, params).await {
            // `integer[] @> text[]`: an array of parameters compared with
            // an array column takes the column's type.
            Err(e) if e.sqlstate.as_deref() == Some("42883") => {
                if let Some(ty) = array_operand_type(&e.message) {
                    return self
                        .explain_typed(&type_parameter_arrays(&typed, &ty), params)
                        .await;
                }
                // `text + unknown`: a named constant of a select list (`0 AS
                // depth`) became `unknown`, then `text` through a UNION or a
                // recursive CTE, and its column is computed with.
                match type_selected_parameters(&typed, "integer") {
                    Cow::Owned(retyped) if text_arithmetic(&e.message) => {
                        self.explain_typed(&retyped, params).await.map_err(|_| e)
                    }
                    _ => Err(e),
                }
            }
            // `$3 + $4` (unknown + unknown, "operator is not unique"): the
            // operands of arithmetic take integer, what they almost always held.
            Err(e) if e.sqlstate.as_deref() == Some("42725") => self
                .explain_typed(&type_arithmetic_parameters(&typed, "integer"), params)
                .await
                .map_err(|_| e),
            r => r,
        }
    }

    /// [`Self::explain`] of a statement its parameters' types are settled in.
    async fn explain_typed(
        &mut self,
        sql: &str,
        params: usize,
    ) -> std::result::Result<String, PlanError> {
        let rows = if params == 0 {
            self.guarded(&format!("{TAG} EXPLAIN (FORMAT JSON) {sql}"))
                .await
        } else if self.version_num >= 160000 {
            self.guarded(&format!("{TAG} EXPLAIN (GENERIC_PLAN, FORMAT JSON) {sql}"))
                .await
        } else {
            if !self.generic_mode_set {
                self.call(self.client.batch_execute(&format!(
                    "{TAG} SET LOCAL plan_cache_mode = force_generic_plan"
                )))
                .await?;
                self.generic_mode_set = true;
            }
            let name = "dbperf_stmt";
            let nulls = vec!["NULL"; params].join(", ");
            match self
                .guarded(&format!("{TAG} PREPARE {name} AS {sql}"))
                .await
            {
                Ok(_) => {
                    let r = self
                        .guarded(&format!(
                            "{TAG} EXPLAIN (FORMAT JSON) EXECUTE {name}({nulls})"
                        ))
                        .await;
                    // Prepared statements outlive a rolled-back savepoint;
                    // guarded, so a failure cannot abort the transaction.
                    let _ = self.guarded(&format!("{TAG} DEALLOCATE {name}")).await;
                    r
                }
                Err(e) => Err(e),
            }
        }?;
        let text: String = rows
            .iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n");
        if text.is_empty() {
            return Err(PlanError::new("EXPLAIN returned no plan"));
        }
        Ok(text)
    }

    /// Whether HypoPG is installed in this database and callable.
    pub async fn hypopg(&mut self) -> Result<Hypo> {
        let installed = self
            .call(self.client.query_opt(
                &format!(
                    "{TAG} SELECT e.extversion, n.nspname::text FROM pg_extension e \
                     JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'hypopg'"
                ),
                &[],
            ))
            .await
            .map_err(|e| self.fatal("looking for HypoPG", e))?;
        let Some(v) = installed else {
            let available = self
                .guarded_query(
                    &format!("{TAG} SELECT 1 FROM pg_available_extensions WHERE name = 'hypopg'"),
                    &[],
                )
                .await
                .is_ok_and(|r| !r.is_empty());
            return Ok(Hypo::Missing(if available {
                "HypoPG is available on the server but not installed in this database: run CREATE EXTENSION hypopg; to verify each index what-if".into()
            } else {
                "HypoPG is not installed: install it (e.g. the postgresql-NN-hypopg package) and run CREATE EXTENSION hypopg; to verify each index what-if".into()
            }));
        };
        self.hypopg_schema = format!("{}.", quote_ident(&v.get::<_, String>(1)));
        match self.hypo_reset().await {
            Ok(_) => Ok(Hypo::Ready { version: v.get(0) }),
            Err(e) => Ok(Hypo::Missing(format!(
                "HypoPG is installed but cannot be used by this role: {e}"
            ))),
        }
    }

    /// Creates a hypothetical index from a `CREATE INDEX` statement;
    /// returns its estimated size in bytes.
    pub async fn hypo_create(&mut self, create: &str) -> std::result::Result<u64, PlanError> {
        let q = format!(
            "{TAG} SELECT {h}hypopg_relation_size(indexrelid)::int8 FROM {h}hypopg_create_index({})",
            quote_literal(create),
            h = self.hypopg_schema
        );
        let rows = self.guarded(&q).await?;
        Ok(rows
            .iter()
            .find_map(|m| match m {
                SimpleQueryMessage::Row(r) => r.get(0).and_then(|v| v.parse::<u64>().ok()),
                _ => None,
            })
            .unwrap_or(0))
    }

    /// Drops every hypothetical index of this session.
    pub async fn hypo_reset(&mut self) -> std::result::Result<(), PlanError> {
        self.guarded(&format!(
            "{TAG} SELECT {}hypopg_reset()",
            self.hypopg_schema
        ))
        .await
        .map(|_| ())
    }

    /// How many hypothetical indexes this session holds.
    pub async fn hypo_count(&mut self) -> std::result::Result<u64, PlanError> {
        let rows = self
            .guarded(&format!(
                "{TAG} SELECT count(*) FROM {}hypopg_list_indexes",
                self.hypopg_schema
            ))
            .await?;
        Ok(rows
            .iter()
            .find_map(|m| match m {
                SimpleQueryMessage::Row(r) => r.get(0).and_then(|v| v.parse().ok()),
                _ => None,
            })
            .unwrap_or(0))
    }
}

/// From `operator does not exist: integer[] @> text[]`, the array type
/// the parameters should have had (`integer[]`).
fn array_operand_type(message: &str) -> Option<String> {
    let rest = message.split("operator does not exist: ").nth(1)?;
    let mut words = rest.split_whitespace();
    let left = words.next()?;
    let _op = words.next()?;
    let right = words.next()?.trim_end_matches([',', '.']);
    (left.ends_with("[]") && right == "text[]" && left != "text[]").then(|| left.to_string())
}

/// Whether `message` is `operator does not exist: text + …` (or `-`, `*`,
/// `/`): arithmetic on a value the parser took as text.
fn text_arithmetic(message: &str) -> bool {
    message
        .split("operator does not exist: ")
        .nth(1)
        .and_then(|rest| rest.strip_prefix("text "))
        .is_some_and(|rest| rest.starts_with(['+', '-', '*', '/']))
}

/// Total and heap size of each table, exact (locks the table) or from
/// `pg_class.relpages` (no lock).
const TABLE_SIZES_EXACT: &str =
    "pg_total_relation_size(c.oid)::int8, pg_relation_size(c.oid)::int8";
const TABLE_SIZES_ESTIMATED: &str = "((c.relpages::int8 + coalesce(tc.relpages, 0)::int8 \
     + coalesce((SELECT sum(xc.relpages) FROM pg_index xi JOIN pg_class xc ON xc.oid = xi.indexrelid \
                 WHERE xi.indrelid = c.oid), 0)::int8) * current_setting('block_size')::int8)::int8, \
     (c.relpages::int8 * current_setting('block_size')::int8)::int8";
/// Size of each index, exact (locks the index) or from `relpages`.
const INDEX_SIZE_EXACT: &str = "pg_relation_size(i.indexrelid)::int8";
const INDEX_SIZE_ESTIMATED: &str =
    "(ic.relpages::int8 * current_setting('block_size')::int8)::int8";

/// The query for the user tables, their sizes and counters.
fn tables_sql(sizes: &str) -> String {
    format!(
        "{TAG} SELECT c.oid::int8, n.nspname::text, c.relname::text, c.reltuples::float8, {sizes}, \
         coalesce(s.seq_scan, 0)::int8, coalesce(s.seq_tup_read, 0)::int8, coalesce(s.idx_scan, 0)::int8, \
         coalesce(s.n_tup_ins, 0)::int8, coalesce(s.n_tup_upd, 0)::int8, coalesce(s.n_tup_del, 0)::int8, \
         coalesce(s.n_live_tup, 0)::int8, coalesce(s.n_dead_tup, 0)::int8, \
         extract(epoch FROM now() - greatest(s.last_vacuum, s.last_autovacuum))::float8, \
         coalesce(s.n_tup_hot_upd, 0)::int8, \
         (SELECT pn.nspname::text || '.' || pc.relname::text FROM pg_inherits i \
          JOIN pg_class pc ON pc.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace \
          WHERE i.inhrelid = c.oid AND c.relispartition LIMIT 1) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_class tc ON tc.oid = c.reltoastrelid \
         LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid \
         WHERE c.relkind IN ('r', 'p', 'm') \
           AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
           AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' \
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass \
                           AND d.objid = c.oid AND d.deptype = 'e') \
         ORDER BY n.nspname, c.relname"
    )
}

/// The advisor's what-if planner: plain EXPLAIN with HypoPG's
/// hypothetical indexes, all inside the read-only transaction.
impl Planner for PgSession {
    async fn plan(&mut self, sql: &str) -> std::result::Result<(f64, Plan), PlanError> {
        let json = self.explain(sql).await?;
        plan_cost(&json).ok_or_else(|| PlanError::new("EXPLAIN output did not parse"))
    }

    async fn hypothesize(&mut self, create: &str) -> std::result::Result<u64, PlanError> {
        self.hypo_create(create).await
    }

    async fn forget(&mut self) -> std::result::Result<(), PlanError> {
        self.hypo_reset().await
    }
}

/// Settings the report and rules read.
const SETTINGS: [&str; 14] = [
    "random_page_cost",
    "seq_page_cost",
    "effective_cache_size",
    "shared_buffers",
    "work_mem",
    "track_io_timing",
    "track_counts",
    "default_statistics_target",
    "max_parallel_workers_per_gather",
    "jit",
    "plan_cache_mode",
    "pg_stat_statements.track",
    "pg_stat_statements.track_planning",
    "pg_stat_statements.max",
];

/// `pg_stat_statements_info` exists from 1.9 on.
fn has_info(version: &str) -> bool {
    let mut it = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (it.next().unwrap_or(0), it.next().unwrap_or(0));
    (major, minor) >= (1, 9)
}

/// The highest `$n` parameter of a statement (0 for none), outside
/// quotes and comments.
pub fn max_param(sql: &str) -> usize {
    let b = sql.as_bytes();
    let mut max = 0;
    let mut i = 0;
    while i < b.len() {
        if let Some(end) = skip_non_code(b, i, true) {
            i = end;
            continue;
        }
        if b[i] == b'$' && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) {
            let start = i + 1;
            let mut j = start;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j > start {
                max = max.max(sql[start..j].parse().unwrap_or(0));
                i = j;
                continue;
            }
        }
        i += 1;
    }
    max
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The elements of a PostgreSQL array literal (`{a,"b c",NULL}`).
fn parse_array(s: &str) -> Vec<String> {
    let inner = s
        .trim()
        .strip_prefix('{')
        .and_then(|r| r.strip_suffix('}'))
        .unwrap_or("");
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => cur.extend(chars.next()),
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    if !inner.is_empty() {
        out.push(cur);
    }
    out
}

/// The schema and counters of a database, for `advise --db` and `explain --db`.
pub fn load_schema(db: &str) -> Result<(Schema, PgFacts)> {
    runtime()?.block_on(async {
        let mut s = connect(db, Limits::default()).await?;
        let r = s.read_catalog().await;
        s.close().await;
        r
    })
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Database(format!("cannot start the async runtime: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_outside_quotes() {
        assert_eq!(max_param("SELECT * FROM t WHERE a = $1 AND b = $12"), 12);
        assert_eq!(max_param("SELECT '$3', \"$4\" -- $5\n FROM t"), 0);
        assert_eq!(max_param("SELECT 1"), 0);
        assert_eq!(max_param("SELECT a$1 FROM t"), 0);
    }

    #[test]
    fn array_literals() {
        assert_eq!(
            parse_array("{US,DE,\"a, b\",\"q\\\"x\"}"),
            vec!["US", "DE", "a, b", "q\"x"]
        );
        assert!(parse_array("{}").is_empty());
    }

    #[test]
    fn arithmetic_on_text_is_told_from_other_missing_operators() {
        assert!(text_arithmetic("operator does not exist: text + unknown"));
        assert!(text_arithmetic("operator does not exist: text * integer"));
        assert!(!text_arithmetic(
            "operator does not exist: integer[] @> text[]"
        ));
        assert!(!text_arithmetic("operator does not exist: text ~~ integer"));
    }

    #[test]
    fn info_view_from_1_9() {
        assert!(!has_info("1.8"));
        assert!(has_info("1.9"));
        assert!(has_info("1.10"));
        assert!(has_info("2.0"));
    }
}
