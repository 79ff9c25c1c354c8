//! `dbperf explain` over the real plans in fixtures/plans: every plan parses
//! cleanly, text and JSON of the same EXPLAIN run give the same tree, every
//! pasted variant gives the tree of its source, the plans made to show a
//! problem raise its rule, and the `clean_*` plans raise nothing.

use std::path::{Path, PathBuf};

use dbperf::model::plan::{Plan, PlanNode};
use dbperf::parse::plan::parse;

mod common;

fn plans_dir() -> PathBuf {
    common::fixture("plans")
}

fn read(path: &Path) -> String {
    String::from_utf8(std::fs::read(path).unwrap()).unwrap()
}

fn parse_file(path: &Path) -> Plan {
    let parsed = parse(&path.display().to_string(), &read(path))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        parsed.problems.is_empty(),
        "{}: {:?}",
        path.display(),
        parsed
            .problems
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
    );
    parsed.plan
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    v
}

/// What both formats carry, for comparing trees. Text and JSON come from
/// two executions of the same statement, so times and buffer counts (cache
/// state) differ; rows, loops, costs and everything else must not.
fn shape(plan: &Plan) -> Vec<String> {
    plan.nodes()
        .map(|(ix, n)| {
            let parent = plan.parent(ix).map(|p| plan.node(p).id);
            describe(n, parent)
        })
        .collect()
}

fn describe(n: &PlanNode, parent: Option<usize>) -> String {
    format!(
        "#{} parent={:?} {} rel={:?} alias={:?} idx={:?} sub={:?} cost={:?}..{:?} rows={:?} actual={:?}/{:?}/{:?}/{:?} never={} filter={:?} cond={:?}/{:?}/{:?}/{:?} removed={:?}/{:?} sort={:?}/{:?}/{:?} hash={:?}/{:?} heap={:?}/{:?}/{:?} workers={:?}/{:?} timed={}",
        n.id,
        parent,
        n.title(),
        n.relation,
        n.alias,
        n.index_name,
        n.subplan_name,
        n.startup_cost,
        n.total_cost,
        n.plan_rows,
        n.actual_startup_ms.is_some(),
        n.actual_total_ms.is_some(),
        n.actual_rows,
        n.actual_loops,
        n.never_executed,
        n.filter,
        n.index_cond,
        n.recheck_cond,
        n.hash_cond,
        n.join_filter,
        n.rows_removed_by_filter,
        n.rows_removed_by_index_recheck,
        n.sort_method,
        n.sort_space_type,
        n.sort_space_kb.is_some(),
        n.hash_batches,
        n.original_hash_batches,
        n.heap_fetches.is_some(),
        n.exact_heap_blocks.is_some(),
        n.lossy_heap_blocks.is_some(),
        n.workers_planned,
        n.workers_launched,
        n.inclusive_ms.is_some(),
    )
}

#[test]
fn parse_every_postgres_fixture_without_problems() {
    let dir = plans_dir().join("pg");
    let mut n = 0;
    for f in files(&dir, "txt").into_iter().chain(files(&dir, "json")) {
        let plan = parse_file(&f);
        assert!(!plan.is_empty(), "{}", f.display());
        n += 1;
    }
    assert!(n >= 60, "expected the full fixture set, found {n} plans");
}

#[test]
fn parse_text_and_json_of_one_run_give_the_same_tree() {
    let dir = plans_dir().join("pg");
    let mut compared = 0;
    for txt in files(&dir, "txt") {
        let json = txt.with_extension("json");
        if !json.exists() {
            continue;
        }
        let a = parse_file(&txt);
        let b = parse_file(&json);
        let (sa, sb) = (shape(&a), shape(&b));
        assert_eq!(sa.len(), sb.len(), "{}: node count", txt.display());
        for (x, y) in sa.iter().zip(&sb) {
            assert_eq!(x, y, "{}", txt.display());
        }
        assert_eq!(
            a.planning_ms.is_some(),
            b.planning_ms.is_some(),
            "{}",
            txt.display()
        );
        assert_eq!(
            a.execution_ms.is_some(),
            b.execution_ms.is_some(),
            "{}",
            txt.display()
        );
        let triggers = |p: &Plan| {
            p.triggers
                .iter()
                .map(|t| (t.name.clone(), t.calls))
                .collect::<Vec<_>>()
        };
        assert_eq!(triggers(&a), triggers(&b), "{}", txt.display());
        let jit = |p: &Plan| p.jit.as_ref().map(|j| (j.functions, j.total_ms.is_some()));
        assert_eq!(jit(&a), jit(&b), "{}", txt.display());
        compared += 1;
    }
    assert!(compared >= 30, "compared only {compared} pairs");
}

#[test]
fn parse_yaml_and_xml_like_text() {
    let dir = plans_dir().join("pg");
    let mut compared = 0;
    for f in files(&dir, "yaml").into_iter().chain(files(&dir, "xml")) {
        let text = parse_file(&f.with_extension("txt"));
        let other = parse_file(&f);
        assert_eq!(shape(&text), shape(&other), "{}", f.display());
        compared += 1;
    }
    assert!(compared >= 4, "compared only {compared}");
}

/// Pasted variants are produced from another EXPLAIN run than the bare
/// fixture, so times differ: compare everything but the measurements.
fn structure(plan: &Plan) -> Vec<String> {
    plan.nodes()
        .map(|(ix, n)| {
            format!(
                "#{} parent={:?} {} filter={:?} cond={:?} rows={:?} cost={:?}",
                n.id,
                plan.parent(ix).map(|p| plan.node(p).id),
                n.title(),
                n.filter,
                n.index_cond.as_ref().or(n.hash_cond.as_ref()),
                n.plan_rows,
                n.total_cost,
            )
        })
        .collect()
}

#[test]
fn parse_pasted_variants_like_their_source() {
    let dir = plans_dir().join("pg").join("pasted");
    let mut checked = 0;
    for f in files(&dir, "txt") {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let base = name.split('.').next().unwrap();
        let source = plans_dir().join("pg").join(format!("{base}.txt"));
        let pasted = parse_file(&f);
        let want = parse_file(&source);
        assert_eq!(
            structure(&pasted).len(),
            structure(&want).len(),
            "{name}: node count"
        );
        // Costs come from the same statistics; the tree and conditions match.
        for (a, b) in structure(&pasted).iter().zip(structure(&want)) {
            let strip = |s: &str| s.split(" rows=").next().unwrap().to_string();
            assert_eq!(strip(a), strip(&b), "{name}");
        }
        assert_eq!(
            pasted.is_analyzed(),
            want.is_analyzed(),
            "{name}: lost the ANALYZE numbers"
        );
        checked += 1;
    }
    assert!(checked >= 20, "checked only {checked} pasted variants");
}

/// `head -8` of a plan (generate_more.sh): refused with the line where
/// it stops, and the part that parsed is still there.
#[test]
fn parse_refuses_plans_cut_short() {
    let dir = plans_dir().join("pg").join("pasted");
    let cut = files(&dir, "cut");
    assert_eq!(cut.len(), 2);
    for f in cut {
        let parsed = parse(&f.display().to_string(), &read(&f)).unwrap();
        assert_eq!(parsed.problems.len(), 1, "{}", f.display());
        let why = parsed.problems[0].to_string();
        assert!(why.contains("cut short") && why.contains(".cut:"), "{why}");
        assert!(parsed.plan.len() >= 3, "{}", f.display());
    }
}

#[test]
fn parse_auto_explain_log_entries() {
    for name in ["auto_explain.log", "auto_explain_json.log"] {
        let f = plans_dir().join("pg").join("pasted").join(name);
        let plan = parse_file(&f);
        assert!(
            plan.query_text
                .as_deref()
                .unwrap_or("")
                .contains("FROM orders"),
            "{name}"
        );
        assert_eq!(
            plan.node(plan.root).relation.as_deref(),
            Some("orders"),
            "{name}"
        );
    }
}

#[test]
fn parse_sqlite_query_plans() {
    let dir = plans_dir().join("sqlite");
    let mut n = 0;
    for f in files(&dir, "txt") {
        let plan = parse_file(&f);
        assert!(plan.format.is_sqlite(), "{}", f.display());
        assert!(plan.len() >= 2, "{}: no plan rows", f.display());
        n += 1;
    }
    assert!(n >= 8, "found only {n} SQLite plans");
    // Old and new wording and the row form read the same.
    let shape = |f: &str| {
        parse_file(&dir.join(f))
            .nodes()
            .map(|(_, n)| {
                (
                    n.node_type.clone(),
                    n.relation.clone(),
                    n.index_name.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(shape("scan_where.txt"), shape("scan_where.sqlite-3.34.txt"));
    assert_eq!(
        shape("scan_where.rows.txt"),
        shape("scan_where.sqlite-3.34.rows.txt")
    );
    assert_eq!(shape("scan_where.txt"), shape("scan_where.rows.txt"));
}

#[test]
fn exclusive_times_add_up_and_are_never_negative() {
    for f in files(&plans_dir().join("pg"), "json") {
        let plan = parse_file(&f);
        if !plan.has_timing() {
            continue;
        }
        let mut sum = 0.0;
        for (_, n) in plan.nodes() {
            let e = n.exclusive_ms.unwrap_or(0.0);
            assert!(e >= 0.0, "{}: node {} negative", f.display(), n.id);
            // JIT compilation taken out of a node's first row is still time
            // of the tree.
            sum += e + n.jit_ms.unwrap_or(0.0);
        }
        let root = plan.node(plan.root).inclusive_ms.unwrap();
        assert!(
            (sum - root).abs() <= root * 0.01 + 0.01,
            "{}: exclusive sum {sum} vs root {root}",
            f.display()
        );
    }
}

/// JIT compiled 146.9 ms in the Seq Scan's first row (its startup is
/// 146.2 ms): the scan's own work is the 66.8 ms after it, and findings on
/// the scan count that, not the compilation (jit-overhead names it).
#[test]
fn jit_compilation_is_kept_out_of_the_node_it_landed_in() {
    for ext in ["txt", "json"] {
        let plan = parse_file(&plans_dir().join("pg").join(format!("jit.{ext}")));
        let scan = plan
            .nodes()
            .map(|(_, n)| n)
            .find(|n| n.node_type == "Seq Scan")
            .unwrap();
        let jit = plan.jit.as_ref().and_then(|j| j.total_ms).unwrap();
        assert_eq!(scan.jit_ms, Some(jit), "{ext}");
        let own = scan.inclusive_ms.unwrap() - jit;
        assert!((scan.exclusive_ms.unwrap() - own).abs() < 0.01, "{ext}");
    }
    // A parallel plan's JIT total adds up its processes: left where it is.
    let plan = parse_file(
        &plans_dir()
            .join("pg")
            .join("blindz")
            .join("plans")
            .join("12_repeat_rider_driver_pairs.txt"),
    );
    assert!(plan.jit.is_some());
    assert!(plan.nodes().all(|(_, n)| n.jit_ms.is_none()));
}

/// Plans produced to show one problem each raise its rule.
#[test]
fn fixtures_raise_their_rule() {
    let cases = [
        ("seq_scan_orders_by_customer", "seq-scan"),
        ("seq_scan_parallel_orders_by_customer", "seq-scan"),
        ("function_lower_email", "function-on-indexed-column"),
        ("cast_created_at_date", "function-on-indexed-column"),
        ("date_trunc_created_at", "function-on-indexed-column"),
        ("row_misestimate_events", "row-misestimate"),
        ("sort_spill_disk", "disk-spill"),
        ("hash_join_batches", "disk-spill"),
        ("hashagg_spill", "disk-spill"),
        ("nested_loop_inner_seq_scan", "nested-loop-inner-scan"),
        ("index_scan_filter_removes_rows", "index-filter"),
        ("bitmap_heap_scan_lossy", "lossy-bitmap"),
        ("index_only_scan_heap_fetches", "heap-fetches"),
        ("parallel_workers_not_launched", "workers-not-launched"),
        ("jit", "jit-overhead"),
    ];
    for (name, rule) in cases {
        for ext in ["txt", "json"] {
            let f = plans_dir().join("pg").join(format!("{name}.{ext}"));
            let report = dbperf::analysis::plan::analyse(&parse_file(&f), vec![], None);
            assert!(
                report.findings.iter().any(|x| x.rule == rule),
                "{name}.{ext} should raise {rule}; got {:?}",
                report.findings.iter().map(|x| x.rule).collect::<Vec<_>>()
            );
        }
    }
}

#[test]
fn clean_fixtures_raise_nothing() {
    let mut n = 0;
    for f in files(&plans_dir().join("pg"), "txt")
        .into_iter()
        .chain(files(&plans_dir().join("pg"), "json"))
        .filter(|f| {
            f.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("clean_")
        })
    {
        let report = dbperf::analysis::plan::analyse(&parse_file(&f), vec![], None);
        assert!(
            report.findings.is_empty(),
            "{} must raise nothing: {:?}",
            f.display(),
            report
                .findings
                .iter()
                .map(|x| &x.message)
                .collect::<Vec<_>>()
        );
        n += 1;
    }
    assert!(n >= 4);
}

/// What users see: the rendered text and JSON report of every fixture.
#[test]
fn snapshot_reports() {
    insta::glob!("../fixtures/plans/pg", "*.{txt,json,yaml,xml}", |path| {
        let (text, report) = render(path);
        insta::assert_snapshot!("text", text);
        insta::assert_json_snapshot!("json", report);
    });
    insta::glob!("../fixtures/plans/sqlite", "*.txt", |path| {
        let (text, report) = render(path);
        insta::assert_snapshot!("sqlite_text", text);
        insta::assert_json_snapshot!("sqlite_json", report);
    });
}

fn render(path: &Path) -> (String, dbperf::report::Report) {
    let plan = parse_file(path);
    let report = dbperf::analysis::plan::analyse(&plan, vec![], None);
    let mut text = Vec::new();
    dbperf::report::text::write(&report, false, &mut text).unwrap();
    (String::from_utf8(text).unwrap(), report)
}

/// With the catalog (`--schema`), an index that exists is not proposed again.
#[test]
fn schema_context_suppresses_existing_indexes() {
    let ddl_path = plans_dir().join("pg/schema.sql");
    let ddl = read(&ddl_path);
    let (schema, _) = dbperf::parse::ddl::parse_schema(
        &ddl_path.display().to_string(),
        &ddl,
        dbperf::model::Dialect::Postgres,
    );
    let plan = parse_file(&plans_dir().join("pg/cast_created_at_date.txt"));
    let without = dbperf::analysis::plan::analyse(&plan, vec![], None);
    let with = dbperf::analysis::plan::analyse(&plan, vec![], Some(&schema));
    let proposes = |r: &dbperf::report::Report| {
        r.indexes
            .iter()
            .any(|i| i.columns == vec!["created_at".to_string()] && i.table.ends_with("orders"))
    };
    assert!(
        proposes(&without),
        "without the catalog the index is proposed"
    );
    assert!(
        !proposes(&with),
        "orders_created_at_idx exists in schema.sql"
    );
    assert!(
        with.findings
            .iter()
            .any(|f| f.rule == "function-on-indexed-column"
                && f.advice.contains("existing index on created_at serves it")),
        "{:?}",
        with.findings.iter().map(|f| &f.advice).collect::<Vec<_>>()
    );
}

/// A plan hard-wrapped at 60 columns (fixtures/plans/pg/wrapped/make.sh:
/// `fold -w 60`, which cuts inside numbers and right before a blank in a
/// cost group, and `fold -s -w 60`, which wraps one node line twice) reads
/// as the same tree, conditions and estimates as the unwrapped output.
#[test]
fn parse_plans_wrapped_at_sixty_columns_like_their_source() {
    let dir = plans_dir().join("pg").join("wrapped");
    let want = parse_file(&dir.join("source.txt"));
    assert_eq!(want.len(), 8);
    for name in ["fold60.txt", "fold-blanks60.txt"] {
        let got = parse_file(&dir.join(name));
        assert_eq!(structure(&got), structure(&want), "{name}");
        assert!(got.is_analyzed(), "{name}: lost the ANALYZE numbers");
        assert!(
            got.nodes()
                .all(|(_, n)| n.actual_loops.is_some() && n.actual_total_ms.is_some()),
            "{name}: a node lost its actual group"
        );
    }
}
