//! The model every stage shares: plans, the catalog, the workload.

pub mod plan;
pub mod schema;
