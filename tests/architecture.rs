//! The dependency arrows of the crate point one way (STYLE.md, point 8):
//! `main → config → commands → analysis → {source, parse, detect, advise}
//! → {model, sql}`, with `report` rendering for the commands. This test
//! reads every `crate::…` path in `src/` (comments, `#[cfg(test)]`
//! modules and `…tests.rs` files aside: tests may drive the whole pipeline) and fails on an
//! arrow the design does not allow, naming the file and line.

use std::path::Path;

/// What each top-level module may use besides itself and `error`.
const ALLOWED: &[(&str, &[&str])] = &[
    ("main", &["cli", "config", "commands"]),
    ("lib", &["commands"]),
    ("cli", &[]),
    ("config", &["cli", "analysis", "detect", "source", "model"]),
    ("commands", &["config", "analysis", "report", "model"]),
    (
        "analysis",
        &["source", "parse", "detect", "advise", "model", "sql"],
    ),
    // A source may parse what it reads; parse is a library of readers.
    ("source", &["parse", "model", "sql"]),
    ("parse", &["model", "sql"]),
    ("detect", &["parse", "model", "sql"]),
    ("advise", &["model", "sql"]),
    ("report", &["detect", "advise", "model"]),
    ("model", &["sql"]),
    ("sql", &["model"]),
    ("error", &[]),
];

const MODULES: &[&str] = &[
    "advise", "analysis", "cli", "commands", "config", "detect", "error", "model", "parse",
    "report", "source", "sql",
];

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file belongs to (`src/detect/rules/x.rs` → `detect`).
fn module_of(rel: &Path) -> String {
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The top-level modules a line names as `crate::m…`.
fn targets(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let name = &after[..end];
        if MODULES.contains(&name) {
            out.push(name);
        }
        rest = &after[end..];
    }
    out
}

#[test]
fn dependency_arrows_point_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    all.sort();
    assert!(all.len() > 50, "found only {} source files", all.len());
    let mut wrong = Vec::new();
    for path in &all {
        let rel = path.strip_prefix(&src).unwrap();
        let from = module_of(rel);
        let allowed = ALLOWED
            .iter()
            .find(|(m, _)| *m == from)
            .unwrap_or_else(|| panic!("{}: module `{from}` has no place in ALLOWED", rel.display()))
            .1;
        // A file of tests (`…tests.rs`, included under `#[cfg(test)]`) may
        // drive any stage, like the test modules at the bottom of a file.
        if path
            .file_stem()
            .is_some_and(|s| s.to_string_lossy().ends_with("tests"))
        {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("#[cfg(test)]") {
                break;
            }
            let code = line.split("//").next().unwrap_or("");
            for to in targets(code) {
                if to != from && to != "error" && !allowed.contains(&to) {
                    wrong.push(format!("src/{}:{}: {from} → {to}", rel.display(), n + 1));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "arrows against the design (see ALLOWED in this test):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_check_sees_an_upward_arrow() {
    assert_eq!(targets("use crate::commands::lint;"), vec!["commands"]);
    assert_eq!(
        targets("let x = crate::advise::IndexSpec::new(crate::model::Dialect);"),
        vec!["advise", "model"]
    );
    assert!(targets("use crate::declare_rule;").is_empty());
}
