//! SQL understanding: predicates of conditions and statements.

pub mod predicate;
