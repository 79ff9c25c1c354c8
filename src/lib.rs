//! dbperf: why database queries are slow and what fixes them.
//!
//! The crate is a pipeline, one module per stage:
//! **source** (files, stdin, PostgreSQL, SQLite: the only I/O) →
//! **parse** (plans, SQL, logs into the model) → **model** (what the stages
//! share: plans, schema, statements, findings, indexes) → **detect** (rules
//! → findings) → **advise** (ranked indexes) → **report** (text, JSON,
//! Markdown, SARIF). [`analysis`] joins the stages, one pipeline per job;
//! [`commands`] run a checked [`config::Config`] through an analysis and a
//! report; `main.rs` only parses flags and maps the outcome to an exit
//! code. `tests/architecture.rs` keeps the arrows pointing one way.

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
