//! The model every stage shares: plans, the catalog, the workload.

pub mod advice;
pub mod finding;
pub mod fmt;
pub mod index;
pub mod plan;
pub mod plan_diff;
pub mod planner;
pub mod postgres;
pub mod report;
pub mod schema;
pub mod sqlite;
pub mod statement;
pub mod workload;

use serde::Serialize;

/// The database a schema, statement or index is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    #[default]
    Postgres,
    Sqlite,
    Mysql,
}
