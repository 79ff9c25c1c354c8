//! The rule registry as users read it: `dbperf rules` (a table, or JSON)
//! and `dbperf rule ID` (the rule's page, the same Markdown as `rules/`).

use crate::detect::{self, rules::ALL};
use crate::model::report::Format;

/// Every rule: id, default severity and summary.
pub fn list(format: Format) -> String {
    if format == Format::Json {
        let list: Vec<_> = ALL
            .iter()
            .map(|r| {
                let m = r.meta();
                serde_json::json!({"id": m.id, "severity": m.severity, "summary": m.summary})
            })
            .collect();
        let mut out = serde_json::to_string_pretty(&list).unwrap_or_default();
        out.push('\n');
        return out;
    }
    let width = ALL.iter().map(|r| r.meta().id.len()).max().unwrap_or(0);
    let mut out = String::new();
    for r in ALL {
        let m = r.meta();
        out.push_str(&format!(
            "{:width$}  {:7}  {}\n",
            m.id,
            m.severity.as_str(),
            m.summary
        ));
    }
    out
}

/// The page of rule `id`, when there is such a rule.
pub fn page(id: &str) -> Option<String> {
    let mut page = detect::find_rule(id)?.meta().markdown();
    page.push('\n');
    Some(page)
}
