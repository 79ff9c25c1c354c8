//! SQL understanding: predicates of conditions and statements.

pub mod class;
pub mod constants;
pub mod fingerprint;
pub mod lex;
pub mod params;
pub mod predicate;
pub mod split;
pub mod statement;
pub mod volatility;
