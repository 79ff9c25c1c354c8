//! dbperf: why database queries are slow and what fixes them.
//!
//! The crate is a pipeline, one module per stage:
//! **source** (files, stdin, PostgreSQL, SQLite: the only I/O) →
//! **parse** (plans, SQL, logs into the model) → **model** (plans, schema,
//! workload) → **detect** (rules → findings) → **advise** (ranked indexes) →
//! **report** (text, JSON). [`run`] wires a checked [`config::Config`] through
//! it; `main.rs` only parses flags and maps the outcome to an exit code.

pub mod advise;
pub mod analysis;
pub mod cli;
pub mod commands;
pub mod config;
pub mod detect;
pub mod error;
pub mod model;
pub mod parse;
pub mod report;
pub mod source;
pub mod sql;

pub use commands::run;
pub use error::{Error, Result};
