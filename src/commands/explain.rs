//! `dbperf explain`: one plan in, findings and index advice out.

use std::path::Path;

use crate::config::Input;
use crate::detect::{self, PlanContext};
use crate::error::Result;
use crate::parse;
use crate::report::{InputProblem, PlanView, Report};
use crate::source;

/// Reads and analyses one plan. Problems that did not stop the parse come
/// back in the report's `input_problems`; the caller exits 2 when there are any.
pub fn run(input: &Input, _db: Option<&Path>, _schema: Option<&Path>) -> Result<Report> {
    let text = source::read_text(input)?;
    let parsed = parse::plan::parse(&text.name, &text.text)?;
    Ok(analyse(&parsed.plan, parsed.problems, None))
}

/// The analysis of a parsed plan, shared with `analyze` and the log reader.
pub fn analyse(
    plan: &crate::model::plan::Plan,
    problems: Vec<crate::error::Error>,
    schema: Option<&crate::model::schema::Schema>,
) -> Report {
    let mut report = Report::new("explain");
    let ctx = PlanContext {
        plan,
        schema,
        query_fingerprint: None,
    };
    report.findings = detect::check_plan(&ctx);
    report.plan = Some(PlanView::from_plan(plan));
    for p in problems {
        if let crate::error::Error::Input {
            path,
            line,
            message,
        } = p
        {
            report.input_problems.push(InputProblem {
                path,
                line,
                message,
            });
        }
    }
    report
}
