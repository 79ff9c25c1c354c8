//! The command line as a user meets it: each command offers the formats it
//! writes, `-o -` is standard output, colour follows `--color` and the
//! environment, a mistyped rule id gets a suggestion, and completions and
//! the manual page come from the same flags.

mod common;
use common::dbperf;

const PLAN: &str = "fixtures/plans/pg/hash_join_batches.txt";

fn run(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let mut cmd = dbperf();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("FORCE_COLOR")
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn each_command_lists_the_formats_it_writes() {
    let (_, explain, _) = run(&["explain", "--help"], &[]);
    let (_, lint, _) = run(&["lint", "--help"], &[]);
    for f in ["text", "json", "markdown", "html"] {
        assert!(explain.contains(&format!("- {f}:")), "{f}\n{explain}");
        assert!(lint.contains(&format!("- {f}:")), "{f}\n{lint}");
    }
    for f in ["sarif", "github"] {
        assert!(!explain.contains(&format!("- {f}:")), "{f}\n{explain}");
        assert!(lint.contains(&format!("- {f}:")), "{f}\n{lint}");
    }
    let (code, _, err) = run(&["explain", PLAN, "--format", "sarif"], &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("invalid value 'sarif'"), "{err}");
}

#[test]
fn dash_output_is_standard_output() {
    let dir = std::env::temp_dir().join(format!("dbperf-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dbperf()
        .current_dir(&dir)
        .arg("explain")
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(PLAN))
        .args(["-o", "-", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["command"], "explain");
    assert!(!dir.join("-").exists(), "wrote a file named -");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn colour_follows_the_flag_then_the_environment() {
    let esc = |s: &str| s.contains("\x1b[");
    // Standard output is a pipe here: no colour unless forced.
    assert!(!esc(&run(&["explain", PLAN], &[]).1));
    assert!(esc(&run(&["explain", PLAN, "--color", "always"], &[]).1));
    assert!(esc(&run(&["explain", PLAN], &[("CLICOLOR_FORCE", "1")]).1));
    assert!(esc(&run(&["explain", PLAN], &[("FORCE_COLOR", "1")]).1));
    assert!(!esc(&run(&["explain", PLAN], &[("FORCE_COLOR", "0")]).1));
    assert!(!esc(&run(
        &["explain", PLAN],
        &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]
    )
    .1));
    assert!(!esc(&run(
        &["explain", PLAN, "--color", "never"],
        &[("FORCE_COLOR", "1")]
    )
    .1));
    // Only the text report is ever coloured.
    assert!(!esc(&run(
        &["explain", PLAN, "--format", "json", "--color", "always"],
        &[]
    )
    .1));
}

#[test]
fn a_mistyped_rule_id_gets_a_suggestion() {
    let (code, _, err) = run(&["rule", "seq_scan"], &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("did you mean `seq-scan`?"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let (code, _, err) = run(&["rule", "vacuum-everything"], &[]);
    assert_eq!(code, Some(2));
    assert!(!err.contains("did you mean"), "{err}");
}

#[test]
fn completions_and_man_page_come_from_the_flags() {
    let (code, bash, _) = run(&["completions", "bash"], &[]);
    assert_eq!(code, Some(0));
    assert!(
        bash.contains("_dbperf()") && bash.contains("--format"),
        "{bash}"
    );
    let (code, zsh, _) = run(&["completions", "zsh"], &[]);
    assert_eq!(code, Some(0));
    assert!(zsh.starts_with("#compdef dbperf"), "{zsh}");
    let (code, man, _) = run(&["man"], &[]);
    assert_eq!(code, Some(0));
    assert!(man.contains(".TH dbperf"), "{man}");
    assert!(man.contains("explain") && man.contains("lint"));
}

#[test]
fn quiet_explain_on_a_pipe_prints_nothing_on_stderr() {
    let (code, out, err) = run(&["explain", PLAN, "--quiet"], &[]);
    assert_eq!(code, Some(0));
    assert!(out.contains("Hash Join"));
    assert!(err.is_empty(), "{err}");
}

#[test]
fn explain_waiting_on_a_terminal_says_so() {
    // `script` (util-linux) runs the command on a pseudo-terminal.
    let bin = env!("CARGO_BIN_EXE_dbperf");
    let out = std::process::Command::new("script")
        .args(["-qec", &format!("{bin} explain"), "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output();
    let Ok(out) = out else {
        eprintln!("SKIPPED explain_waiting_on_a_terminal_says_so: no `script` (util-linux)");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("reading the plan from standard input"),
        "{text}"
    );
    // On a pipe it says nothing.
    let (_, _, err) = run(&["explain", PLAN], &[]);
    assert!(!err.contains("standard input"), "{err}");
}

/// What a terminal shows while `args` run with standard output sent to
/// /dev/null: standard error only (progress, hints). `None` without
/// `script` (util-linux).
fn terminal_stderr(args: &str) -> Option<String> {
    let bin = env!("CARGO_BIN_EXE_dbperf");
    let out = std::process::Command::new("script")
        .args(["-qec", &format!("{bin} {args} >/dev/null"), "/dev/null"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn quiet_hides_the_progress_bar_of_every_live_analysis() {
    let Some(url) = common::pg_url("quiet_hides_the_progress_bar_of_every_live_analysis") else {
        return;
    };
    let queries = "fixtures/shop/workload.sql";
    for args in [
        format!("analyze --db {url} --top 3"),
        format!("advise --queries {queries} --db {url}"),
        format!("analyze --log fixtures/logs/pg/a.log --db {url}"),
    ] {
        let Some(shown) = terminal_stderr(&args) else {
            eprintln!("SKIPPED quiet_hides_the_progress_bar…: no `script` (util-linux)");
            return;
        };
        // On a terminal the bar shows while it connects…
        assert!(shown.contains("connecting"), "{args}: {shown:?}");
        // …and --quiet keeps the terminal clear.
        let quiet = terminal_stderr(&format!("{args} --quiet")).unwrap();
        assert!(quiet.trim().is_empty(), "{args} --quiet: {quiet:?}");
    }
}

/// `--compare` reads each plan as `explain` does: a plan cut short (a real
/// `head -8` of psql output, fixtures/plans/pg/pasted/generate_more.sh) on
/// either side ends the run with exit 2 and the same one-line error naming
/// the file and line, and no report.
#[test]
fn compare_refuses_a_plan_cut_short_as_explain_does() {
    for cut in [
        "fixtures/plans/pg/pasted/hash_join_batches.head8.cut",
        "fixtures/plans/pg/pasted/hash_join_batches.psql-head8.cut",
    ] {
        let (code, _, alone) = run(&["explain", cut], &[]);
        assert_eq!(code, Some(2), "{alone}");
        let alone = alone.lines().last().unwrap().to_string();
        assert!(
            alone.starts_with(&format!("dbperf: error: {cut}:")) && alone.contains("cut short"),
            "{alone}"
        );
        for args in [
            ["explain", "--compare", cut, PLAN],
            ["explain", "--compare", PLAN, cut],
        ] {
            let (code, out, err) = run(&args, &[]);
            assert_eq!(code, Some(2), "{args:?}: {err}");
            assert!(out.is_empty(), "{args:?} wrote a report:\n{out}");
            assert_eq!(err.trim_end(), alone, "{args:?}");
        }
    }
}
