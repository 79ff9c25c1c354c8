//! Parsers: text in, model out. No I/O: they take what a source read.

pub mod ddl;
pub mod hazard;
pub mod log;
pub mod migration;
pub mod pg_ddl;
pub mod plan;
