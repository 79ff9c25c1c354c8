//! `dbperf explain`: one plan in, findings and index advice out.

use std::path::Path;

use crate::config::Input;
use crate::error::Result;
use crate::report::Report;

pub fn run(_input: &Input, _db: Option<&str>, _schema: Option<&Path>) -> Result<Report> {
    Ok(Report::new("explain"))
}
