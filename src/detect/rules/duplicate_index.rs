use crate::declare_rule;
use crate::detect::{Finding, Location, Reads, Rule, RuleMeta, SchemaContext};
use crate::model::Dialect;
use crate::model::schema::Index;

declare_rule! {
    /// ## What it does
    /// Flags an index whose keys are identical to another index's on the
    /// same table, or a left prefix of them (same predicate, same method).
    /// A unique index or one backing a primary key is never the one to drop:
    /// it enforces a constraint. A plain index on the leading columns of a
    /// multi-column primary key or unique index is not flagged either: the
    /// constraint's index stays, and the narrower one is smaller (B-tree
    /// deduplication stores a repeated key once; `lineitem (l_orderkey)` is
    /// 74 MB beside the 129 MB of `(l_orderkey, l_linenumber)`), so the
    /// planner prefers it for lookups and joins on those columns.
    ///
    /// ## Why is this bad?
    /// Every index is written on every insert and on updates of its columns,
    /// takes disk and cache, and is vacuumed. An index on `(a)` serves no
    /// query that an index on `(a, b)` cannot serve almost as well.
    ///
    /// ## Example
    /// ```sql
    /// CREATE INDEX orders_customer_id_idx ON orders (customer_id);
    /// CREATE INDEX orders_customer_id_created_at_idx ON orders (customer_id, created_at);
    /// ```
    ///
    /// ## Use instead
    /// Keep the longer index and drop the redundant one:
    /// ```sql
    /// DROP INDEX CONCURRENTLY IF EXISTS orders_customer_id_idx;
    /// ```
    pub struct DuplicateIndex {
        id: "duplicate-index",
        severity: Warning,
        summary: "An index is identical to, or a left prefix of, another index",
    }
}

impl Rule for DuplicateIndex {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads(&self) -> &'static [Reads] {
        &[Reads::Schema, Reads::Migration]
    }

    fn check_schema(&self, ctx: &SchemaContext<'_>, out: &mut Vec<Finding>) {
        let schema = ctx.schema;
        for t in &schema.tables {
            for (i, a) in t.indexes.iter().enumerate() {
                if a.unique || a.primary {
                    continue;
                }
                // The index that makes `a` redundant, preferring a longer one.
                let other = t.indexes.iter().enumerate().find(|(j, b)| {
                    *j != i
                        && covers(b, a)
                        && !((b.unique || b.primary) && a.keys.len() < b.keys.len())
                        && (b.keys.len() > a.keys.len() || b.unique || b.primary || *j < i)
                });
                let Some((_, b)) = other else { continue };
                let identical = a.keys == b.keys;
                let drop = match schema.dialect {
                    Dialect::Postgres => format!(
                        "DROP INDEX CONCURRENTLY IF EXISTS {};",
                        qualified(t.schema.as_deref(), &a.name)
                    ),
                    Dialect::Sqlite => format!("DROP INDEX IF EXISTS {};", a.name),
                    Dialect::Mysql => format!("DROP INDEX {} ON {};", a.name, t.name),
                };
                let location = match &a.defined_at {
                    Some((path, line)) => Location::File {
                        path: path.clone(),
                        line: *line,
                        column: None,
                    },
                    None => Location::Table {
                        table: t.qualified_name(),
                        index: Some(a.name.clone()),
                    },
                };
                out.push(
                    Finding::new(
                        &Self::META,
                        format!(
                            "Index {} ({}) on {} is {} {} ({}): it costs writes and space and serves nothing the other does not.",
                            a.name,
                            a.key_names().join(", "),
                            t.qualified_name(),
                            if identical { "identical to" } else { "a left prefix of" },
                            b.name,
                            b.key_names().join(", ")
                        ),
                        drop,
                    )
                    .at(location),
                );
            }
        }
    }
}

/// Whether `b` serves every lookup `a` serves: `a`'s keys lead `b`'s, same
/// predicate and method.
fn covers(b: &Index, a: &Index) -> bool {
    b.valid
        && a.keys.len() <= b.keys.len()
        && a.keys.iter().zip(&b.keys).all(|(x, y)| x == y)
        && a.predicate == b.predicate
        && a.method.as_deref().unwrap_or("btree") == b.method.as_deref().unwrap_or("btree")
}

fn qualified(schema: Option<&str>, name: &str) -> String {
    match schema {
        Some(s) => format!("{s}.{name}"),
        None => name.to_string(),
    }
}
