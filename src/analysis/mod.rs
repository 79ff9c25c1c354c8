//! Analysis: one module per job, each joining the stages into a pipeline
//! and returning a [`Report`](crate::model::report::Report) for its command
//! to render.
//!
//! - [`plan`]: one pasted plan (`dbperf explain`);
//! - [`plan_diff`]: two plans of one statement (`dbperf explain --compare`);
//! - [`workload`]: a workload file against a schema (`dbperf advise`);
//! - [`postgres`]: a live PostgreSQL database (`dbperf analyze --db postgres://`);
//! - [`sqlite`]: a SQLite file and its workload, and the demo;
//! - [`log`]: slow-query logs (`dbperf analyze --log`);
//! - [`lint`]: migration files (`dbperf lint`).
//!
//! An analysis reads through [`crate::source`], parses with
//! [`crate::parse`], finds with [`crate::detect`] and advises with
//! [`crate::advise`]; it never renders (that is [`crate::report`]'s, called
//! by the commands) and never reads a flag (its inputs come resolved from
//! [`crate::config`]). Analyses may share each other's pieces: the log
//! digest verifies its advice through the live PostgreSQL pipeline.

pub mod lint;
pub mod log;
mod partitions;
pub mod plan;
pub mod plan_diff;
pub mod postgres;
pub mod sqlite;
pub mod workload;
