//! The rule registry: one line per rule. Adding a rule: write its file here
//! (doc comment first), add it to [`ALL`], run `cargo test` and accept the
//! regenerated page in `rules/` (see README, "Adding a rule").

use super::Rule;

pub static ALL: &[&dyn Rule] = &[];
