//! `dbperf advise --queries FILE (--schema FILE | --db URL)`: index advice
//! for a workload of SQL statements, offline against a schema file.

use std::path::Path;

use super::postgres::VerifiedAdvice;
use crate::advise::hypopg::within_limits;
use crate::advise::workload::{
    Advice, AdviseOptions, AnalyzedQuery, advise, estimated_scores_note, rewrite_recommendations,
};
use crate::detect::{self, AdviceContext, Inputs};
use crate::error::{Error, Result};
use crate::model::Dialect;
use crate::model::advice::SetLimits;
use crate::model::report::{InputProblem, QueryStat, Report, round3};
use crate::parse::ddl::parse_schema;
use crate::source;
use crate::source::Input;

pub fn run(
    queries: &Path,
    schema: Option<&Path>,
    db: Option<&str>,
    dialect: Option<Dialect>,
    limits: SetLimits,
    quiet: bool,
) -> Result<Report> {
    let dialect = dialect.unwrap_or_default();
    let Some(schema_path) = schema else {
        let db = db.unwrap_or_default();
        let url = match crate::source::target::Target::parse(db)? {
            crate::source::target::Target::Postgres(url) => url,
            crate::source::target::Target::Sqlite(_) => {
                return Err(Error::NotYetAvailable(
                    "advise --db sqlite: (use --schema FILE)",
                ));
            }
        };
        // Against a live PostgreSQL the statements are planned and the
        // candidates verified with HypoPG, as `analyze --db` does.
        let (workload, problems) = source::workload::read(queries)?;
        let live = super::postgres::advise_workload(&url, workload, limits, quiet)?;
        return Ok(live_report(live, problems));
    };
    let text = source::read_text(&Input::File(schema_path.to_path_buf()))?;
    let (schema, schema_problems) = parse_schema(&text.name, &text.text, dialect);
    if schema.tables.is_empty() {
        return Err(Error::input(
            &text.name,
            0,
            "no CREATE TABLE statement found",
        ));
    }
    let (workload, workload_problems) = source::workload::read(queries)?;
    let opts = AdviseOptions {
        dialect,
        ..AdviseOptions::default()
    };
    let mut advice = advise(&workload, &schema, &opts);
    let (kept, cut) = within_limits(std::mem::take(&mut advice.indexes), limits);
    advice.indexes = kept;
    advice
        .notes
        .extend(cut.iter().map(|(stmt, why)| format!("cut: {stmt} ({why})")));
    let mut problems = schema_problems;
    problems.extend(workload_problems);
    Ok(report(advice, problems, dialect))
}

/// The report of a workload advised and verified against a live database.
fn live_report(live: VerifiedAdvice, problems: Vec<Error>) -> Report {
    let mut report = Report::new("advise");
    report.queries = live.queries.iter().map(query_stat).collect();
    report.findings = live.findings;
    detect::rank(&mut report.findings);
    report.indexes = live.indexes;
    report.rewrites = live.rewrites;
    report.notes = live.notes;
    report.input_problems = problems
        .into_iter()
        .map(|e| InputProblem::from_error(e, ""))
        .collect();
    report
}

/// The report of an [`Advice`]: queries, findings (function wrappers and
/// one `missing-index` per index), the ranked indexes, notes and problems.
pub fn report(advice: Advice, problems: Vec<Error>, dialect: Dialect) -> Report {
    let mut report = Report::new("advise");
    report.queries = advice.queries.iter().map(query_stat).collect();
    report.findings = detect::run(&Inputs {
        advice: Some(AdviceContext {
            indexes: &advice.indexes,
            wrapped: &advice.wrapped,
            dialect,
        }),
        ..Inputs::default()
    });
    report.indexes = advice
        .indexes
        .into_iter()
        .map(|i| i.recommendation)
        .collect();
    report.rewrites = rewrite_recommendations(&advice.rewrites, &report.indexes);
    report.notes = advice.notes;
    report.notes.push(estimated_scores_note());
    report.input_problems = problems
        .into_iter()
        .chain(advice.problems)
        .map(|e| InputProblem::from_error(e, ""))
        .collect();
    report
}

/// An advised statement as a `queries` entry: its text on one line, total
/// time from the mean when the workload gave one.
pub fn query_stat(q: &AnalyzedQuery) -> QueryStat {
    QueryStat {
        fingerprint: q.fingerprint.to_string(),
        query: q.sql.split_whitespace().collect::<Vec<_>>().join(" "),
        calls: q.calls,
        total_ms: q.mean_ms.map(|m| round3(m * q.calls as f64)),
        mean_ms: q.mean_ms.map(round3),
    }
}
