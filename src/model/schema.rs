//! The catalog model: tables, columns, indexes, foreign keys and statistics.
//!
//! Filled from a DDL file, a live PostgreSQL catalog or a SQLite file; read
//! by rules and the advisor, which never ask a database themselves. Names are
//! kept as written but compared case-insensitively, the way unquoted SQL
//! identifiers behave.

use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Schema {
    pub tables: Vec<Table>,
    /// Whether row counts and column statistics came from the database
    /// (ANALYZE / sqlite_stat1 / pg_stats) rather than defaults.
    pub has_statistics: bool,
    /// The database it describes; index statements are written for it.
    pub dialect: super::Dialect,
    /// PostgreSQL's `default_text_search_config` (`pg_catalog.english`),
    /// when read from a live database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_search_config: Option<String>,
    /// Whose setting `text_search_config` is when not the server's
    /// (`the role that ran it`): said where a configuration is assumed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_search_config_source: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Table {
    /// Schema (namespace) the table lives in, when known (`public`).
    pub schema: Option<String>,
    pub name: String,
    pub columns: Vec<Column>,
    pub indexes: Vec<Index>,
    pub foreign_keys: Vec<ForeignKey>,
    pub primary_key: Vec<String>,
    /// Estimated row count, when known.
    pub rows: Option<f64>,
    /// Size on disk in bytes, when known.
    pub bytes: Option<u64>,
    /// Where the table was defined (file and line), when from DDL.
    pub defined_at: Option<(String, usize)>,
    /// The partitioned table this one is a partition of (`PARTITION OF`,
    /// `ATTACH PARTITION`), as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition_of: Option<String>,
    /// A partitioned table's key (`PARTITION BY … (…)`): its columns in
    /// order, `None` for an expression.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition_key: Option<Vec<Option<String>>>,
    /// Rows updated or deleted since the statistics reset
    /// (pg_stat_user_tables), when known: 0 on an append-only table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows_changed: Option<u64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Column {
    pub name: String,
    /// Type as declared, lower-case (`timestamp with time zone`, `text`).
    pub data_type: String,
    pub not_null: bool,
    /// Distinct values; a negative number is a fraction of the rows, as in pg_stats.
    pub n_distinct: Option<f64>,
    pub null_frac: Option<f64>,
    /// Most common values with their frequencies.
    pub most_common: Vec<(String, f64)>,
    /// pg_stats' histogram bounds (values other than the most common ones).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub histogram: Vec<String>,
    /// pg_stats' correlation of physical row order with the column's order
    /// (1: the table is stored sorted by it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation: Option<f64>,
    /// Whether values compare byte by byte (collation `C` or `POSIX`), so
    /// a plain B-tree serves `LIKE 'abc%'`; `Some(false)` under any other
    /// collation of a text column; `None` when unknown or not text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub c_collation: Option<bool>,
}

/// One key of an index: a column or an expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum IndexKey {
    Column {
        name: String,
        descending: bool,
        /// Where NULLs sort, resolved: PostgreSQL's default is NULLS FIRST
        /// for DESC and NULLS LAST for ASC, so `nulls_first ==
        /// descending` unless the index says otherwise.
        nulls_first: bool,
    },
    Expression {
        sql: String,
    },
}

impl IndexKey {
    pub fn column(name: &str) -> Self {
        IndexKey::Column {
            name: name.to_string(),
            descending: false,
            nulls_first: false,
        }
    }

    /// A column key in a direction, NULLs where PostgreSQL puts them by
    /// default for it.
    pub fn column_in(name: &str, descending: bool) -> Self {
        IndexKey::Column {
            name: name.to_string(),
            descending,
            nulls_first: descending,
        }
    }

    pub fn column_name(&self) -> Option<&str> {
        match self {
            IndexKey::Column { name, .. } => Some(name),
            IndexKey::Expression { .. } => None,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Index {
    pub name: String,
    pub keys: Vec<IndexKey>,
    pub include: Vec<String>,
    pub unique: bool,
    pub primary: bool,
    /// Partial index predicate, as SQL.
    pub predicate: Option<String>,
    pub valid: bool,
    /// Access method (`btree`, `gin`, …).
    pub method: Option<String>,
    /// Index scans since the statistics reset, when known.
    pub scans: Option<u64>,
    pub bytes: Option<u64>,
    /// Where the index was created (file and line), when from DDL.
    pub defined_at: Option<(String, usize)>,
}

impl Index {
    /// Whether `columns` (in order) are a leading prefix of this index's keys.
    pub fn leads_with(&self, columns: &[&str]) -> bool {
        columns.len() <= self.keys.len()
            && columns.iter().zip(&self.keys).all(|(c, k)| {
                k.column_name()
                    .is_some_and(|name| name.eq_ignore_ascii_case(c))
            })
    }

    pub fn key_names(&self) -> Vec<String> {
        self.keys
            .iter()
            .map(|k| match k {
                IndexKey::Column { name, .. } => name.clone(),
                IndexKey::Expression { sql } => sql.clone(),
            })
            .collect()
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ForeignKey {
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub referenced_table: String,
    pub referenced_columns: Vec<String>,
    pub defined_at: Option<(String, usize)>,
}

impl Schema {
    /// Finds a table by name, optionally schema-qualified, case-insensitively.
    pub fn table(&self, name: &str) -> Option<&Table> {
        let (schema, bare) = match name.rsplit_once('.') {
            Some((s, t)) => (Some(s), t),
            None => (None, name),
        };
        let bare = bare.trim_matches('"');
        self.tables.iter().find(|t| {
            t.name.eq_ignore_ascii_case(bare)
                && match (schema, &t.schema) {
                    (Some(s), Some(ts)) => ts.eq_ignore_ascii_case(s.trim_matches('"')),
                    _ => true,
                }
        })
    }

    pub fn table_mut(&mut self, name: &str) -> Option<&mut Table> {
        let bare = name.rsplit('.').next().unwrap_or(name).trim_matches('"');
        self.tables
            .iter_mut()
            .find(|t| t.name.eq_ignore_ascii_case(bare))
    }
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// `schema.name`, or just the name when the schema is unknown.
    pub fn qualified_name(&self) -> String {
        match &self.schema {
            Some(s) => format!("{s}.{}", self.name),
            None => self.name.clone(),
        }
    }

    /// Whether some index's leading keys are exactly these (a foreign
    /// key's) columns, in any order; a partial index `WHERE col IS NOT
    /// NULL` counts, and so does the primary key.
    pub fn fk_is_indexed(&self, columns: &[String]) -> bool {
        self.indexes.iter().any(|ix| {
            let partial_ok = ix
                .predicate
                .as_deref()
                .is_none_or(|p| p.to_lowercase().contains("is not null"));
            ix.valid
                && partial_ok
                && ix.keys.len() >= columns.len()
                && ix.keys[..columns.len()].iter().all(|k| {
                    k.column_name()
                        .is_some_and(|n| columns.iter().any(|c| c.eq_ignore_ascii_case(n)))
                })
        }) || (self.primary_key.len() >= columns.len()
            && self.primary_key[..columns.len()]
                .iter()
                .all(|k| columns.iter().any(|c| c.eq_ignore_ascii_case(k))))
    }

    /// Whether some valid index starts with exactly these columns.
    pub fn has_index_leading_with(&self, columns: &[&str]) -> bool {
        self.indexes
            .iter()
            .any(|i| i.valid && i.predicate.is_none() && i.leads_with(columns))
    }

    /// Estimated distinct values of a column, resolving pg_stats' negative
    /// fractions against the row count.
    pub fn distinct(&self, column: &str) -> Option<f64> {
        let c = self.column(column)?;
        let nd = c.n_distinct?;
        if nd < 0.0 {
            Some(-nd * self.rows?)
        } else {
            Some(nd)
        }
    }
}

/// The name PostgreSQL gives an index or constraint it names itself
/// (`orders_customer_id_key`): `table_columns_label`, cut to fit its 63
/// bytes as PostgreSQL cuts it, one byte at a time from the longer of the
/// table and column parts, at a character boundary.
pub fn generated_name(table: &str, columns: Option<&str>, label: &str) -> String {
    const MAX: usize = 63;
    let overhead = label.len() + 1 + columns.map_or(0, |_| 1);
    let avail = MAX.saturating_sub(overhead);
    let (mut n1, mut n2) = (table.len(), columns.map_or(0, str::len));
    while n1 + n2 > avail {
        if n1 > n2 {
            n1 -= 1;
        } else {
            n2 -= 1;
        }
    }
    let clip = |s: &str, mut n: usize| -> String {
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        s[..n].to_string()
    };
    match columns {
        Some(c) => format!("{}_{}_{label}", clip(table, n1), clip(c, n2)),
        None => format!("{}_{label}", clip(table, n1)),
    }
}

#[cfg(test)]
mod tests {
    use super::generated_name;

    /// The names PostgreSQL 15 gave (`SELECT indexname FROM pg_indexes`)
    /// after `CREATE TABLE artifact_accessory_package_versions_long_name (id
    /// int PRIMARY KEY, package text, package_version text, UNIQUE (package,
    /// package_version))`, `CREATE INDEX ON … (package_version, id)`, and
    /// `CREATE TABLE "tëst_ää…" ("cölümn_ëë…" int UNIQUE)` (names cut to 63
    /// bytes first).
    #[test]
    fn generated_names_are_cut_as_postgres_cuts_them() {
        let t = "artifact_accessory_package_versions_long_name";
        assert_eq!(generated_name(t, None, "pkey"), format!("{t}_pkey"));
        assert_eq!(
            generated_name(t, Some("package_package_version"), "key"),
            "artifact_accessory_package_versions_package_package_version_key"
        );
        assert_eq!(
            generated_name(t, Some("package_version_id"), "idx"),
            "artifact_accessory_package_versions_long_package_version_id_idx"
        );
        assert_eq!(
            generated_name(
                "tëst_ääääääääääääääääääääääääääää",
                Some("cölümn_ëëëëëëëëëëëëëëëëëëëëëëëëëë"),
                "key"
            ),
            "tëst_äääääääääää_cölümn_ëëëëëëëëëë_key"
        );
        assert_eq!(
            generated_name("orders", Some("customer_id"), "idx"),
            "orders_customer_id_idx"
        );
    }
}
