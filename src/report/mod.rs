//! Reports: what the user sees. An analysis fills a [`Report`] (its data
//! lives in [`crate::model::report`]); a reporter writes it to any
//! `io::Write`. Only the text reporter colours, and only when told to (a
//! terminal without `NO_COLOR`).

pub mod github;
pub mod json;
pub mod lint_text;
pub mod markdown;
pub mod plan_diff;
pub mod rules;
pub mod sarif;
pub mod text;

use std::io::{self, Write};

pub use crate::model::report::*;

/// Writes `report` in `format`.
pub fn write(report: &Report, format: Format, color: bool, w: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Json => json::write(report, w),
        Format::Text if report.command == "lint" => lint_text::write(report, color, w),
        Format::Text => text::write(report, color, w),
        Format::Sarif => sarif::write(report, w),
        Format::Github => github::write(report, w),
        Format::Markdown => markdown::write(report, w),
    }
}
