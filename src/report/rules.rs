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

/// The rule id nearest to a mistyped `id` (`seq_scan`, `Seq-Scans`,
/// `fk-without-indexes`), when one is close enough to be what was meant.
pub fn suggest(id: &str) -> Option<&'static str> {
    let wanted = id.trim().to_ascii_lowercase().replace(['_', ' '], "-");
    ALL.iter()
        .map(|r| r.meta().id)
        .map(|known| (edit_distance(&wanted, known), known))
        .filter(|(d, known)| *d <= 2.max(known.len() / 4))
        .min()
        .map(|(_, known)| known)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The page of rule `id`, when there is such a rule.
pub fn page(id: &str) -> Option<String> {
    let mut page = detect::find_rule(id)?.meta().markdown();
    page.push('\n');
    Some(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mistyped_ids_find_the_rule() {
        assert_eq!(suggest("seq_scan"), Some("seq-scan"));
        assert_eq!(suggest("SEQ-SCANS"), Some("seq-scan"));
        assert_eq!(suggest("fk_without_indexes"), Some("fk-without-index"));
        assert_eq!(suggest("missing_idx"), Some("missing-index"));
        assert_eq!(suggest("vacuum"), None);
    }
}
