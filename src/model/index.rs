//! Indexes as every stage sees them: an [`IndexSpec`] (what to build), its
//! deterministic name and the statement that builds it on each database,
//! and an [`IndexRecommendation`] (one entry of the ranked `indexes` list).
//! Rules, the advisor and the reports share these, so they live here.

use serde::Serialize;

use crate::model::Dialect;
use crate::model::schema::{IndexKey, Schema};

/// An index to propose: table, keys in order, optional INCLUDE and WHERE.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexSpec {
    /// Schema of the table when known.
    pub schema: Option<String>,
    pub table: String,
    pub keys: Vec<IndexKey>,
    pub include: Vec<String>,
    /// Partial index predicate.
    pub predicate: Option<String>,
    /// Access method when not B-tree (`gin`, `gist`, `brin`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Operator class of every key (`gin_trgm_ops`, `jsonb_path_ops`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opclass: Option<String>,
    /// On a partitioned table: built on every partition by one statement,
    /// which PostgreSQL cannot run CONCURRENTLY.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub partitioned: bool,
}

impl IndexSpec {
    pub fn new(table: &str, columns: &[&str]) -> Self {
        let (schema, table) = split_qualified(table);
        IndexSpec {
            schema,
            table,
            keys: columns.iter().map(|c| IndexKey::column(c)).collect(),
            include: Vec::new(),
            predicate: None,
            method: None,
            opclass: None,
            partitioned: false,
        }
    }

    /// Statements the index needs run first: the extension its operator
    /// class comes from.
    pub fn requires(&self) -> Vec<String> {
        match self.opclass.as_deref() {
            Some("gin_trgm_ops" | "gist_trgm_ops") => {
                vec!["CREATE EXTENSION IF NOT EXISTS pg_trgm;".to_string()]
            }
            _ => Vec::new(),
        }
    }

    pub fn qualified_table(&self) -> String {
        match &self.schema {
            Some(s) => format!("{s}.{}", self.table),
            None => self.table.clone(),
        }
    }

    /// Column names and expressions, as the `columns` field shows them.
    pub fn columns(&self) -> Vec<String> {
        self.keys
            .iter()
            .map(|k| match k {
                IndexKey::Column {
                    name,
                    descending,
                    nulls_first,
                } => format!("{name}{}", direction(*descending, *nulls_first)),
                IndexKey::Expression { sql } => sql.clone(),
            })
            .collect()
    }

    /// A readable, deterministic name: `orders_customer_id_created_at_idx`,
    /// expressions reduced to their words (`customers_lower_email_idx`), at
    /// most 63 bytes (PostgreSQL's identifier limit). Statements quote it
    /// when it still needs quotes (a leading digit).
    pub fn name(&self) -> String {
        let mut parts = Vec::new();
        let raws = std::iter::once(self.table.clone()).chain(self.keys.iter().map(|k| match k {
            // Beside the same columns in the default placement.
            IndexKey::Column {
                name,
                descending,
                nulls_first,
            } if descending != nulls_first => {
                format!(
                    "{name} nulls {}",
                    if *nulls_first { "first" } else { "last" }
                )
            }
            IndexKey::Column { name, .. } => name.clone(),
            IndexKey::Expression { sql } => sql.clone(),
        }));
        // Words of lower-case letters, digits and `_`: a name that needs no
        // quotes, whatever the table (`"T 1"` gives `t_1_…`).
        for raw in raws {
            let word: String = raw
                .chars()
                .map(|c| if c.is_alphanumeric() { c } else { '_' })
                .collect::<String>()
                .to_lowercase()
                .chars()
                .collect();
            let word = word
                .split('_')
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join("_");
            parts.push(word);
        }
        if let Some(m) = &self.method {
            parts.push(m.clone());
        } else if self
            .opclass
            .as_deref()
            .is_some_and(|o| o.ends_with("_pattern_ops"))
        {
            // Beside a plain index on the same column, which often exists.
            parts.push("pattern".into());
        }
        if self.predicate.is_some() {
            parts.push("partial".into());
        }
        let mut name = parts.join("_");
        let suffix = "_idx";
        if name.len() + suffix.len() > 63 {
            // Keep it unique with a short hash of the full name.
            let h = fnv1a(name.as_bytes());
            let mut cut = 63 - suffix.len() - 9;
            while !name.is_char_boundary(cut) {
                cut -= 1;
            }
            name.truncate(cut);
            name = format!("{name}_{:08x}", h as u32);
        }
        name + suffix
    }

    /// [`Self::name`] with the INCLUDE columns after the keys
    /// (`lineitem_l_orderkey_incl_l_quantity_idx`): the name of an index
    /// that another with the same keys took already.
    pub fn name_with_include(&self) -> String {
        let mut named = self.clone();
        if !self.include.is_empty() {
            named.keys.push(IndexKey::column("incl"));
            named
                .keys
                .extend(self.include.iter().map(|c| IndexKey::column(c)));
        }
        named.name()
    }

    /// The complete statement, runnable as is on the target database.
    pub fn statement(&self, dialect: Dialect) -> String {
        let name = quote_ident(&self.name());
        let keys: Vec<String> = self
            .keys
            .iter()
            .map(|k| match k {
                IndexKey::Column {
                    name,
                    descending,
                    nulls_first,
                } => format!(
                    "{}{}",
                    quote_ident(name),
                    direction(*descending, *nulls_first)
                ),
                IndexKey::Expression { sql } => match pattern_key_parts(sql) {
                    // A column with its own operator class, not an
                    // expression: `reference text_pattern_ops`.
                    Some((col, op)) => format!("{} {op}", quote_ident(col)),
                    None => match expression_pattern_parts(sql) {
                        Some((expr, op)) => format!("({expr}) {op}"),
                        None => format!("({sql})"),
                    },
                },
            })
            .map(|k| match &self.opclass {
                Some(o) if dialect == Dialect::Postgres => format!("{k} {o}"),
                _ => k,
            })
            .collect();
        let using = match &self.method {
            Some(m) if dialect == Dialect::Postgres => format!(" USING {m}"),
            _ => String::new(),
        };
        let table = quote_qualified(self.schema.as_deref(), &self.table);
        let mut s = match dialect {
            Dialect::Postgres => format!(
                "CREATE INDEX {}{} ON {}{} ({})",
                if self.partitioned {
                    ""
                } else {
                    "CONCURRENTLY "
                },
                name,
                table,
                using,
                keys.join(", ")
            ),
            Dialect::Sqlite => format!(
                "CREATE INDEX IF NOT EXISTS {} ON {} ({})",
                name,
                table,
                keys.join(", ")
            ),
            Dialect::Mysql => format!("CREATE INDEX {} ON {} ({})", name, table, keys.join(", ")),
        };
        if !self.include.is_empty() && dialect == Dialect::Postgres {
            let inc: Vec<String> = self.include.iter().map(|c| quote_ident(c)).collect();
            s.push_str(&format!(" INCLUDE ({})", inc.join(", ")));
        }
        if let Some(p) = &self.predicate {
            s.push_str(" WHERE ");
            s.push_str(p);
        }
        s.push(';');
        s
    }

    /// Whether an existing index of `schema` already serves this spec: same
    /// leading keys (an index whose keys start with ours serves our lookups).
    pub fn already_served(&self, schema: &Schema) -> bool {
        let Some(table) = schema.table(&self.qualified_table()) else {
            return false;
        };
        let method = self.method.as_deref().unwrap_or("btree");
        table.indexes.iter().any(|ix| {
            ix.valid
                && ix.method.as_deref().unwrap_or("btree") == method
                && (ix.predicate.is_none() || ix.predicate == self.predicate)
                && self.keys.len() <= ix.keys.len()
                && self
                    .keys
                    .iter()
                    .zip(&ix.keys)
                    .all(|(a, b)| keys_match(&self.with_opclass(a), b))
        })
    }

    /// A key as the catalog reads one with this spec's operator class: a
    /// column with a pattern class is the key `col text_pattern_ops`, which
    /// an index on the plain column does not match.
    fn with_opclass(&self, k: &IndexKey) -> IndexKey {
        match (&self.opclass, k) {
            (Some(op), IndexKey::Column { name, .. }) => IndexKey::Expression {
                sql: format!("{name} {op}"),
            },
            _ => k.clone(),
        }
    }
}

/// The column and operator class of a prefix-match key, which the catalog
/// reader and the advisor write as the expression key `col
/// text_pattern_ops` (a plain key on the column does not match it): that
/// key's column stays a column in a composite index (`(tenant_id,
/// reference text_pattern_ops)`), the class applying to it alone.
pub fn pattern_key_parts(sql: &str) -> Option<(&str, &str)> {
    let (col, op) = sql.split_once(' ')?;
    let word = |w: &str| {
        !w.is_empty()
            && w.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !w.starts_with(|c: char| c.is_ascii_digit())
    };
    (word(col) && word(op) && op.ends_with("_pattern_ops")).then_some((col, op))
}

/// An expression key with a pattern operator class, as the advisor writes
/// one (`lower(email) text_pattern_ops`): the expression and the class.
pub fn expression_pattern_parts(sql: &str) -> Option<(&str, &str)> {
    let (expr, op) = sql.rsplit_once(' ')?;
    let word = !op.is_empty() && op.chars().all(|c| c.is_alphanumeric() || c == '_');
    (word && op.ends_with("_pattern_ops") && expr.contains('(') && expr.ends_with(')'))
        .then_some((expr, op))
}

/// Whether HypoPG can build a hypothetical index of this access method
/// (`None`: B-tree): B-tree, BRIN and hash; not GIN or GiST, which are
/// then judged heuristically.
pub fn hypopg_can_build(method: Option<&str>) -> bool {
    matches!(method, None | Some("btree" | "brin" | "hash"))
}

pub fn keys_match(a: &IndexKey, b: &IndexKey) -> bool {
    match (a, b) {
        (IndexKey::Column { name: x, .. }, IndexKey::Column { name: y, .. }) => {
            x.eq_ignore_ascii_case(y)
        }
        (IndexKey::Expression { sql: x }, IndexKey::Expression { sql: y }) => {
            normalize_expr(x) == normalize_expr(y)
        }
        _ => false,
    }
}

fn normalize_expr(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '(' && *c != ')')
        .flat_map(|c| c.to_lowercase())
        .collect::<String>()
        .replace("::text", "")
}

/// Quotes an identifier only when it needs it (upper case, odd characters,
/// leading digit).
pub fn quote_ident(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}

/// A table as SQL names it, each part quoted where it needs it:
/// `"S 1"."T 1"`, `public.orders`, or the bare name without a schema.
pub fn quote_qualified(schema: Option<&str>, table: &str) -> String {
    match schema {
        Some(s) => format!("{}.{}", quote_ident(s), quote_ident(table)),
        None => quote_ident(table),
    }
}

fn split_qualified(name: &str) -> (Option<String>, String) {
    match name.rsplit_once('.') {
        Some((s, t)) => (Some(s.to_string()), t.to_string()),
        None => (None, name.to_string()),
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// How an index recommendation was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verification {
    /// Re-planned with a HypoPG hypothetical index.
    Hypopg,
    /// SQLite's planner chose it on a scratch copy.
    Planner,
    /// Derived from the SQL or plan alone.
    Heuristic,
}

/// One entry of the ranked `indexes` list (SPEC.md).
#[derive(Debug, Clone, Serialize)]
pub struct IndexRecommendation {
    pub rank: usize,
    pub statement: String,
    pub table: String,
    pub columns: Vec<String>,
    /// Estimated time saved over the workload, in milliseconds.
    pub score: f64,
    /// Fingerprints (or plan node locations) of the queries it helps.
    pub queries: Vec<String>,
    pub verified: Verification,
    pub cost_before: Option<f64>,
    pub cost_after: Option<f64>,
    /// Why this index: the evidence in a sentence.
    pub reason: String,
    /// Its size, when a planner estimated it (HypoPG).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// Access method when not B-tree (`gin`, `gist`, `brin`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Statements to run first (`CREATE EXTENSION IF NOT EXISTS pg_trgm`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<String>,
    /// What the index adds to the workload's writes over the same window
    /// as `score`, in milliseconds ([`WriteCost::ms`]), when the source
    /// measured the writes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_cost: Option<f64>,
    /// The figures `write_cost` comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write: Option<WriteCost>,
    #[serde(skip)]
    pub spec: IndexSpec,
}

impl IndexRecommendation {
    /// An unranked entry for `spec`: its statement in `dialect`, table,
    /// columns and method taken from the spec, every figure still unknown.
    pub fn new(spec: IndexSpec, dialect: Dialect, verified: Verification) -> Self {
        IndexRecommendation {
            rank: 0,
            statement: spec.statement(dialect),
            table: spec.qualified_table(),
            columns: spec.columns(),
            score: 0.0,
            queries: Vec::new(),
            verified,
            cost_before: None,
            cost_after: None,
            reason: String::new(),
            size_bytes: None,
            method: spec.method.clone(),
            requires: Vec::new(),
            write_cost: None,
            write: None,
            spec,
        }
    }
}

/// A statement an index serves only once it is rewritten (SPEC.md
/// `rewrites`): a predicate that wraps the column (`created_at::date = …`)
/// written as a range on the bare column. Apart from the ranked `indexes`:
/// the statement as it runs gains nothing from the index, so it is in no
/// bound (`--budget`, `--max-indexes`) and no write-cost choice.
#[derive(Debug, Clone, Serialize)]
pub struct RewriteRecommendation {
    /// 1-based, most time saved first.
    pub rank: usize,
    /// The statement to rewrite.
    pub query_fingerprint: String,
    /// Each predicate as written and the form to write instead.
    pub predicates: Vec<PredicateRewrite>,
    /// The statement with its predicates rewritten.
    pub rewritten: String,
    /// The complete `CREATE INDEX` that then serves it; it runs as is.
    pub index: String,
    /// The rank of that index in the `indexes` list when the list has it
    /// (it already serves other statements as they run).
    pub index_rank: Option<usize>,
    pub table: String,
    pub columns: Vec<String>,
    /// Estimated time the rewrite and the index would save over the
    /// workload, in milliseconds (calls × saving per call).
    pub score: f64,
    pub calls: u64,
    pub verified: Verification,
    /// The planner's total cost of one call as it runs today, and
    /// rewritten with the index (`null` when not verified).
    pub cost_before: Option<f64>,
    pub cost_after: Option<f64>,
    /// The index's size, when a planner estimated it (HypoPG).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<String>,
    /// What the index would add to the workload's writes (as `indexes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_cost: Option<f64>,
    pub reason: String,
}

/// One predicate of a [`RewriteRecommendation`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PredicateRewrite {
    /// As the statement writes it (`(created_at)::date = ($1 + $2)`).
    pub from: String,
    /// The sargable form (`created_at >= … AND created_at < … + 1`).
    pub to: String,
}

/// What an index costs the workload's writes, and the measured figures it
/// comes from (`crate::advise::write_cost` documents the model): every
/// row inserted and every non-HOT update writes one entry of it, and an
/// update that sets a column it uses can no longer be HOT, so it then
/// writes an entry of every index of the table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WriteCost {
    /// Entries written × `entry_ms`: milliseconds over the workload.
    pub ms: f64,
    /// Rows the workload's INSERTs wrote into the table.
    pub rows_inserted: u64,
    /// Rows its UPDATEs wrote.
    pub rows_updated: u64,
    /// Share of the table's updates that were HOT
    /// (`n_tup_hot_upd / n_tup_upd`), when it had updates.
    pub hot_share: Option<f64>,
    /// The columns it uses (key, INCLUDE, predicate, expression) that the
    /// workload's UPDATEs set.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub breaks_hot: Vec<String>,
    /// Updated rows that were HOT and would no longer be.
    pub hot_lost: u64,
    /// Index entries it adds: its own, and those of every other index on
    /// the updates it stops from being HOT.
    pub entries: f64,
    /// Measured time of one entry (heap row or B-tree entry), ms.
    pub entry_ms: f64,
    /// Entries one row writes in this index (B-tree 1).
    pub weight: f64,
}

impl WriteCost {
    /// `write cost 172.7 ms: 5,000 rows updated (90% HOT); uses worker,
    /// which the UPDATEs set: 4,500 HOT updates would write every index`:
    /// the line the reports print under an index.
    pub fn summary(&self) -> String {
        use crate::model::fmt::{fmt_count, ms};
        let mut rows = Vec::new();
        if self.rows_inserted > 0 {
            rows.push(format!(
                "{} rows inserted",
                fmt_count(self.rows_inserted as f64)
            ));
        }
        if self.rows_updated > 0 {
            let mut u = format!("{} updated", fmt_count(self.rows_updated as f64));
            if let Some(h) = self.hot_share {
                u.push_str(&format!(" ({:.0}% HOT)", h * 100.0));
            }
            rows.push(u);
        }
        let mut out = format!("write cost {}", ms(self.ms));
        if rows.is_empty() {
            out.push_str(": the workload did not write the table");
            return out;
        }
        out.push_str(&format!(": {}", rows.join(", ")));
        if !self.breaks_hot.is_empty() {
            out.push_str(&format!(
                "; uses {}, which the UPDATEs set: {} HOT updates would write every index of the table",
                self.breaks_hot.join(", "),
                fmt_count(self.hot_lost as f64)
            ));
        }
        out.push_str(&format!(
            "; {} entries at {} each",
            fmt_count(self.entries),
            crate::model::fmt::ms_short(self.entry_ms)
        ));
        out
    }
}

/// What follows a key column in `CREATE INDEX`: ` DESC`, and the NULLS
/// placement when it is not PostgreSQL's default for the direction.
fn direction(descending: bool, nulls_first: bool) -> &'static str {
    match (descending, nulls_first) {
        (false, false) => "",
        (false, true) => " NULLS FIRST",
        (true, true) => " DESC",
        (true, false) => " DESC NULLS LAST",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_with_include_tells_a_covering_twin_apart() {
        let plain = IndexSpec::new("public.lineitem", &["l_orderkey"]);
        let mut covering = plain.clone();
        covering.include = vec!["l_quantity".into()];
        assert_eq!(plain.name(), covering.name());
        assert_eq!(plain.name_with_include(), "lineitem_l_orderkey_idx");
        assert_eq!(
            covering.name_with_include(),
            "lineitem_l_orderkey_incl_l_quantity_idx"
        );
    }

    #[test]
    fn statement_runs_as_is_shape() {
        let spec = IndexSpec::new("public.orders", &["customer_id", "created_at"]);
        assert_eq!(
            spec.statement(Dialect::Postgres),
            "CREATE INDEX CONCURRENTLY orders_customer_id_created_at_idx ON public.orders (customer_id, created_at);"
        );
        assert_eq!(
            spec.statement(Dialect::Sqlite),
            "CREATE INDEX IF NOT EXISTS orders_customer_id_created_at_idx ON public.orders (customer_id, created_at);"
        );
    }

    #[test]
    fn a_pattern_key_keeps_its_class_in_a_composite_index() {
        let mut spec = IndexSpec::new("shipping.shipments", &["tenant_id"]);
        spec.keys.push(IndexKey::Expression {
            sql: "reference text_pattern_ops".into(),
        });
        assert_eq!(
            spec.statement(Dialect::Postgres),
            "CREATE INDEX CONCURRENTLY shipments_tenant_id_reference_text_pattern_ops_idx ON shipping.shipments (tenant_id, reference text_pattern_ops);"
        );
        // An expression is still one, in its parentheses, its operator
        // class after them.
        assert_eq!(pattern_key_parts("lower(email) text_pattern_ops"), None);
        assert_eq!(pattern_key_parts("lower(email)"), None);
        assert_eq!(
            expression_pattern_parts("lower(email) text_pattern_ops"),
            Some(("lower(email)", "text_pattern_ops"))
        );
        assert_eq!(expression_pattern_parts("lower(email)"), None);
        assert_eq!(expression_pattern_parts("email text_pattern_ops"), None);
        let mut spec = IndexSpec::new("public.users", &[]);
        spec.keys.push(IndexKey::Expression {
            sql: "lower(email) text_pattern_ops".into(),
        });
        assert!(
            spec.statement(Dialect::Postgres)
                .ends_with(" ON public.users ((lower(email)) text_pattern_ops);"),
            "{}",
            spec.statement(Dialect::Postgres)
        );
    }

    #[test]
    fn expression_index_name_is_readable() {
        let mut spec = IndexSpec::new("customers", &[]);
        spec.keys.push(IndexKey::Expression {
            sql: "lower(email)".into(),
        });
        assert_eq!(spec.name(), "customers_lower_email_idx");
        assert_eq!(
            spec.statement(Dialect::Postgres),
            "CREATE INDEX CONCURRENTLY customers_lower_email_idx ON customers ((lower(email)));"
        );
    }

    #[test]
    fn long_names_stay_within_63_bytes_and_distinct() {
        let a = IndexSpec::new(
            "a_very_long_table_name_for_testing_limits",
            &["first_long_column_name", "second_long_column_name_a"],
        );
        let b = IndexSpec::new(
            "a_very_long_table_name_for_testing_limits",
            &["first_long_column_name", "second_long_column_name_b"],
        );
        assert!(a.name().len() <= 63);
        assert_ne!(a.name(), b.name());
    }
}
