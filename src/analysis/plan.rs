//! `dbperf explain`: one plan in, findings and index advice out.

use std::path::Path;

use crate::detect::{self, Inputs, PlanContext};
use crate::error::{Error, Result};
use crate::model::Dialect;
use crate::model::report::{InputProblem, PlanView, Report};
use crate::parse;
use crate::source;
use crate::source::Input;

/// Reads and analyses one plan. Problems that did not stop the parse come
/// back in the report's `input_problems`; the caller exits 2 when there are any.
/// The parsed plan goes into the report's plan view.
pub fn run(input: &Input, db: Option<&str>, schema: Option<&Path>) -> Result<Report> {
    let text = source::read_text(input)?;
    let parsed = parse::plan::parse(&text.name, &text.text)?;
    let dialect = if parsed.plan.format.is_sqlite() {
        Dialect::Sqlite
    } else {
        Dialect::Postgres
    };
    let mut notes = Vec::new();
    let catalog = match (db, schema) {
        (Some(db), _) => match source::target::Target::parse(db)? {
            source::target::Target::Postgres(url) => {
                let (schema, facts) = crate::source::postgres::load_schema(&url)?;
                notes.push(format!(
                    "catalog context: {} tables of database {} (PostgreSQL {}).",
                    schema.tables.len(),
                    facts.database,
                    facts.version
                ));
                Some(schema)
            }
            source::target::Target::Sqlite(_) => {
                return Err(Error::NotYetAvailable("explain --db sqlite:"));
            }
        },
        (None, Some(path)) => {
            let ddl = source::read_text(&Input::File(path.to_path_buf()))?;
            let (schema, problems) = parse::ddl::parse_schema(&ddl.name, &ddl.text, dialect);
            for p in problems.iter().take(5) {
                notes.push(format!("schema: {p}"));
            }
            Some(schema)
        }
        (None, None) => None,
    };
    let plan = parsed.plan;
    let mut report = analyse_findings(&plan, parsed.problems, catalog.as_ref());
    report.plan = Some(PlanView::new(plan));
    // Lines the parser read by a guess: said once, in one line.
    report.notes.extend(parsed.notes);
    report.notes.extend(notes);
    Ok(report)
}

/// The analysis of a parsed plan, with a view of a copy of it.
pub fn analyse(
    plan: &crate::model::plan::Plan,
    problems: Vec<crate::error::Error>,
    schema: Option<&crate::model::schema::Schema>,
) -> Report {
    let mut report = analyse_findings(plan, problems, schema);
    report.plan = Some(PlanView::from_plan(plan));
    report
}

/// [`analyse`] without the plan view, shared with the log reader and plan
/// diff (they read the findings only).
pub fn analyse_findings(
    plan: &crate::model::plan::Plan,
    problems: Vec<crate::error::Error>,
    schema: Option<&crate::model::schema::Schema>,
) -> Report {
    let mut report = Report::new("explain");
    let ctx = PlanContext {
        plan,
        schema,
        query_fingerprint: None,
        planner_fixes: None,
    };
    report.findings = super::partitions::fold(
        detect::run(&Inputs {
            plan: Some(ctx),
            ..Inputs::default()
        }),
        plan,
    );
    super::partitions::on_parents(&mut report.findings, schema);
    if schema.is_none() {
        super::partitions::maybe_pruned(&mut report.findings, plan);
    }
    if let Some(schema) = schema
        && !plan.format.is_sqlite()
    {
        qualify_from_catalog(&mut report.findings, schema);
    }
    report.indexes = indexes_from_findings(&report.findings, plan);
    point_to_merged_indexes(&mut report.findings, &report.indexes, plan);
    if !report.indexes.is_empty() {
        report.notes.push(
            "Indexes are derived from the plan's conditions (heuristic); `dbperf analyze` verifies them with the planner.".into(),
        );
    }
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

/// A plan without VERBOSE names its tables bare: the indexes the findings
/// propose take the schema the catalog (`--db`, `--schema`) holds the table
/// in, when it holds it in one schema only, so every CREATE INDEX runs as
/// is whatever the search_path. A name found in several schemas stays bare
/// (the plan does not say which).
fn qualify_from_catalog(
    findings: &mut [crate::detect::Finding],
    schema: &crate::model::schema::Schema,
) {
    let dialect = crate::model::Dialect::Postgres;
    for f in findings.iter_mut() {
        let specs = f.index.iter_mut().chain(f.also.iter_mut());
        let mut renamed = Vec::new();
        for spec in specs {
            if spec.schema.is_some() {
                continue;
            }
            let bare = spec.table.trim_matches('"');
            let mut homes = schema
                .tables
                .iter()
                .filter(|t| t.name.eq_ignore_ascii_case(bare));
            let (Some(home), None) = (homes.next(), homes.next()) else {
                continue;
            };
            let Some(s) = home.schema.clone() else {
                continue;
            };
            let old = spec.statement(dialect);
            spec.schema = Some(s);
            renamed.push((old, spec.statement(dialect)));
        }
        for (old, new) in renamed {
            f.advice = f.advice.replace(&old, &new);
            f.message = f.message.replace(&old, &new);
        }
    }
}

/// The indexes the findings ask for, merged and ranked by the time the
/// findings say they would save.
fn indexes_from_findings(
    findings: &[crate::detect::Finding],
    plan: &crate::model::plan::Plan,
) -> Vec<crate::model::index::IndexRecommendation> {
    let dialect = if plan.format.is_sqlite() {
        crate::model::Dialect::Sqlite
    } else {
        crate::model::Dialect::Postgres
    };
    let wanted = findings
        .iter()
        .flat_map(|f| {
            let at = f
                .location
                .as_ref()
                .map(|l| l.to_string())
                .unwrap_or_else(|| "plan".into());
            let reason = if f.index_after_rewrite {
                format!(
                    "{} ({}) It serves the statement once rewritten as the finding's fix says.",
                    f.message, f.rule
                )
            } else {
                format!("{} ({})", f.message, f.rule)
            };
            // Indexes needed together (a BitmapOr) share the saving.
            let share = f.impact_ms.unwrap_or(0.0) / (1 + f.also.len()) as f64;
            f.index
                .iter()
                .chain(&f.also)
                .map(move |spec| (spec.clone(), share, at.clone(), reason.clone()))
        })
        .collect();
    crate::advise::rank_indexes(wanted, dialect)
}

/// A finding whose index was folded into a wider one of the list (the
/// seq-scan's `(artist_id)` into sort-for-limit's `(artist_id,
/// popularity)`) prints the wider statement instead, so every CREATE INDEX
/// in the report is one of the list.
fn point_to_merged_indexes(
    findings: &mut [crate::detect::Finding],
    indexes: &[crate::model::index::IndexRecommendation],
    plan: &crate::model::plan::Plan,
) {
    let dialect = if plan.format.is_sqlite() {
        crate::model::Dialect::Sqlite
    } else {
        crate::model::Dialect::Postgres
    };
    // The list's statements, looked up once per finding's index: a scan of
    // the list for each made this quadratic (16,000 flagged scans, 16,000
    // indexes: 3.39 G instructions, 1.63 G with the set).
    let listed: std::collections::HashSet<&str> =
        indexes.iter().map(|r| r.statement.as_str()).collect();
    for f in findings.iter_mut() {
        let specs: Vec<_> = f.index.iter().chain(&f.also).cloned().collect();
        for spec in specs {
            let own = spec.statement(dialect);
            if listed.contains(own.as_str()) || !f.advice.contains(&own) {
                continue;
            }
            let host = indexes.iter().find(|r| {
                r.spec.qualified_table() == spec.qualified_table()
                    && r.spec.predicate == spec.predicate
                    && spec.keys.len() <= r.spec.keys.len()
                    && spec
                        .keys
                        .iter()
                        .zip(&r.spec.keys)
                        .all(|(a, b)| crate::model::index::keys_match(a, b))
            });
            if let Some(host) = host {
                f.advice = f.advice.replace(
                    &own,
                    &format!(
                        "{}\n(the wider index of another finding on this plan serves this one too)",
                        host.statement
                    ),
                );
            }
        }
    }
}
