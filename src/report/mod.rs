//! Reports: what the user sees. An analysis fills a [`Report`] (its data
//! lives in [`crate::model::report`]); a reporter writes it to any
//! `io::Write`. Only the text reporter colours, and only when told to (a
//! terminal without `NO_COLOR`).

pub mod github;
pub mod html;
pub mod json;
pub mod lint_text;
pub mod markdown;
pub mod plan_diff;
pub mod rules;
pub mod sarif;
pub mod text;

use std::io::{self, Write};

use crate::detect::{Finding, Location};
pub use crate::model::report::*;

/// The statement a fingerprint names, as `#rank statement` (the rank it
/// has in the report's statement list, the text cut to `max` characters),
/// or `None` when it names none (a plan node, a file line).
pub(crate) fn statement_ref(report: &Report, reference: &str, max: usize) -> Option<String> {
    let (rank, text) = statement_rank(report, reference)?;
    Some(format!("#{rank} {}", one_line(text, max)))
}

/// The rank and text of the statement a fingerprint names in the report's
/// statement list (live top statements, log digest, or workload queries).
fn statement_rank<'a>(report: &'a Report, reference: &str) -> Option<(usize, &'a str)> {
    report
        .statements
        .iter()
        .find(|s| s.fingerprint == reference)
        .map(|s| (s.rank, s.query.as_str()))
        .or_else(|| {
            let i = report
                .digest
                .iter()
                .position(|d| d.fingerprint == reference)?;
            Some((i + 1, report.digest[i].normalized.as_str()))
        })
        .or_else(|| {
            let i = report
                .queries
                .iter()
                .position(|q| q.fingerprint == reference)?;
            Some((i + 1, report.queries[i].query.as_str()))
        })
}

/// Where a finding's evidence is, as the report can show it: a plan node
/// keeps its number (`node #3 Seq Scan on t`) only when the report shows
/// that plan's tree; otherwise it is named by the statement it belongs to
/// (`statement #2, SCAN orders`), or by its title alone, so every number
/// the report cites is one the reader finds in it.
pub(crate) fn location_label(report: &Report, f: &Finding) -> Option<String> {
    match f.location.as_ref()? {
        // The advisor's workload line of a live analysis is the statement's
        // rank in pg_stat_statements' top list.
        Location::File { path, .. } if path == "pg_stat_statements" => {
            let rank = f
                .query_fingerprint
                .as_deref()
                .and_then(|fp| statement_rank(report, fp));
            Some(match rank {
                Some((rank, _)) => format!("statement #{rank}"),
                None => f.location.as_ref()?.to_string(),
            })
        }
        Location::PlanNode { title, .. } if report.plan.is_none() => {
            let rank = f
                .query_fingerprint
                .as_deref()
                .and_then(|fp| statement_rank(report, fp));
            Some(match rank {
                Some((rank, _)) => format!("statement #{rank}, {title}"),
                None => title.clone(),
            })
        }
        loc => Some(loc.to_string()),
    }
}

pub(crate) use crate::model::fmt::one_line;

/// Writes `report` in `format`.
pub fn write(report: &Report, format: Format, color: bool, w: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Json => json::write(report, w),
        Format::Text if report.command == "lint" => lint_text::write(report, color, w),
        Format::Text => text::write(report, color, w),
        Format::Sarif => sarif::write(report, w),
        Format::Github => github::write(report, w),
        Format::Markdown => markdown::write(report, w),
        Format::Html => html::write(report, w),
    }
}
