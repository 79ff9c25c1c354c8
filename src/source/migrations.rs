//! Migration files: finding them, putting them in the order their tool
//! applies them, and reading the part of each that runs on the way up.
//!
//! The layouts of the tools people use, each recognised by its file names
//! alone (no tool configuration is read):
//!
//! | tool | file | order |
//! | --- | --- | --- |
//! | Flyway | `V1_2__name.sql`, `R__name.sql` | versions compared numerically part by part; repeatables last, by name; `U…` undo files skipped |
//! | golang-migrate, sqlx | `0001_name.up.sql` | the leading number; `.down.sql` skipped |
//! | dbmate | `20240101120000_name.sql` | the timestamp; only the `-- migrate:up` section |
//! | goose | `00001_name.sql` | the number; only the `-- +goose Up` section |
//! | Prisma | `<timestamp>_name/migration.sql` | the directory's timestamp |
//! | diesel | `2024-01-01-000000_name/up.sql` | the directory's version; `down.sql` skipped |
//! | plain | `001_x.sql`, `2024_01_02_x.sql`, `schema.sql` | numbered files by number, then the rest by name |
//!
//! Lines outside the up section are blanked rather than cut, so every line
//! and column a finding names is the one in the file. dbmate and goose run a
//! migration inside a transaction unless told otherwise
//! (`-- migrate:up transaction:false`, `-- +goose NO TRANSACTION`); that is
//! recorded, since `CREATE INDEX CONCURRENTLY` cannot run in one. So do
//! sqlx (a numbered file in a Rust project, unless its first line is
//! `-- no-transaction`), diesel (`up.sql`, unless the migration's
//! `metadata.toml` says `run_in_transaction = false`) and Flyway on
//! PostgreSQL (`V…__x.sql`, unless its `V…__x.sql.conf` says
//! `executeInTransaction=false`, or every statement of the file is one
//! Flyway knows cannot run in a transaction, as `CREATE INDEX
//! CONCURRENTLY`, which it then runs without one).

use std::cmp::Ordering;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

use globset::GlobSet;

use crate::error::{Error, Result};

/// How to order the files found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// The order of the layouts above.
    #[default]
    Auto,
    /// Plain lexicographic order of the paths.
    Name,
    /// The order the paths were given in (a directory's files by name).
    Given,
}

impl std::str::FromStr for Order {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "auto" | "version" => Ok(Order::Auto),
            "name" => Ok(Order::Name),
            "given" => Ok(Order::Given),
            _ => Err(format!("unknown order `{s}` (auto, name or given)")),
        }
    }
}

/// One migration, read and reduced to its up section.
#[derive(Debug, Clone)]
pub struct MigrationFile {
    /// The path as reports show it (as found from the paths given).
    pub path: String,
    /// The up section, other lines blanked.
    pub text: String,
    /// Whether the tool runs the file inside a transaction of its own.
    pub implicit_transaction: bool,
    /// How to tell the tool not to (for the fixes of statements that
    /// cannot run in a transaction block).
    pub transaction_opt_out: Option<&'static str>,
}

/// Finds the migration files under `paths`, in the order they apply.
/// A path that does not exist is an error; files matching `exclude` are
/// left out.
pub fn discover(paths: &[PathBuf], order: Order, exclude: &GlobSet) -> Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = Vec::new();
    // Paths already taken (a file under two of the paths given counts once).
    let mut seen: HashSet<PathBuf> = HashSet::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| Error::io(p.display().to_string(), e))?;
        let mut found = Vec::new();
        if meta.is_dir() {
            walk(p, &mut found).map_err(|e| Error::io(p.display().to_string(), e))?;
            found.retain(|f| is_up_migration(f));
            found.sort();
        } else {
            // A file named explicitly is read whatever its name.
            found.push(p.clone());
        }
        found.retain(|f| !excluded(f, exclude));
        for f in found {
            if seen.insert(f.clone()) {
                out.push(f);
            }
        }
    }
    match order {
        Order::Given => {}
        Order::Name => out.sort(),
        Order::Auto => out.sort_by_cached_key(|p| Key::of(p)),
    }
    Ok(out)
}

fn excluded(path: &Path, exclude: &GlobSet) -> bool {
    if exclude.is_empty() {
        return false;
    }
    let s = path.to_string_lossy();
    let s = s.strip_prefix("./").unwrap_or(&s);
    exclude.is_match(s) || exclude.is_match(path)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ft = entry.file_type()?;
        if ft.is_dir() {
            if name.starts_with('.') || name == "node_modules" || name == "target" {
                continue;
            }
            walk(&path, out)?;
        } else if name.to_ascii_lowercase().ends_with(".sql") {
            out.push(path);
        }
    }
    Ok(())
}

/// Whether a `.sql` file found in a directory runs on the way up.
fn is_up_migration(path: &Path) -> bool {
    let name = file_name(path).to_ascii_lowercase();
    if name.ends_with(".down.sql") || name == "down.sql" || name.ends_with("_down.sql") {
        return false;
    }
    // Flyway undo migrations (`U2__undo.sql`).
    let b = name.as_bytes();
    !(b.len() > 1 && b[0] == b'u' && b[1].is_ascii_digit() && name.contains("__"))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Where a file sorts: versioned migrations by version, then unversioned
/// files by name, then Flyway repeatables by name.
#[derive(Debug, PartialEq, Eq)]
struct SortKey {
    class: u8,
    version: Vec<String>,
}

fn sort_key(path: &Path) -> SortKey {
    let name = file_name(path);
    let lower = name.to_ascii_lowercase();
    // `migration.sql` (Prisma) and `up.sql` (diesel) take their directory's version.
    let stem_source = if matches!(lower.as_str(), "migration.sql" | "up.sql") {
        path.parent().map(file_name).unwrap_or_default()
    } else {
        name
    };
    let b = stem_source.as_bytes();
    if b.len() > 2 && (b[0] == b'R' || b[0] == b'r') && stem_source[1..].starts_with("__") {
        return SortKey {
            class: 2,
            version: Vec::new(),
        };
    }
    // Flyway `V1_2_3__name`: `_` and `.` separate the parts of the version.
    if b.len() > 1
        && (b[0] == b'V' || b[0] == b'v')
        && b[1].is_ascii_digit()
        && let Some(end) = stem_source.find("__")
    {
        let version = stem_source[1..end]
            .split(['_', '.'])
            .map(normalize_number)
            .collect();
        return SortKey { class: 0, version };
    }
    // Leading digits, with `-` or `.` (and `_` between digit groups) as separators.
    let mut version = Vec::new();
    let mut i = 0;
    loop {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            break;
        }
        version.push(normalize_number(&stem_source[start..i]));
        if i + 1 < b.len() && matches!(b[i], b'-' | b'.' | b'_') && b[i + 1].is_ascii_digit() {
            i += 1;
        } else {
            break;
        }
    }
    if version.is_empty() {
        SortKey { class: 1, version }
    } else {
        SortKey { class: 0, version }
    }
}

/// A number as a string that compares numerically: no leading zeros.
fn normalize_number(s: &str) -> String {
    let t = s.trim_start_matches('0');
    if t.is_empty() {
        "0".to_string()
    } else {
        t.to_string()
    }
}

fn compare_versions(a: &[String], b: &[String]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = x.len().cmp(&y.len()).then_with(|| x.cmp(y));
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

/// A path's place in the order, computed once per path when sorting.
#[derive(PartialEq, Eq)]
struct Key {
    sort: SortKey,
    name: String,
    path: PathBuf,
}

impl Key {
    fn of(path: &Path) -> Key {
        Key {
            sort: sort_key(path),
            name: file_name(path),
            path: path.to_path_buf(),
        }
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sort
            .class
            .cmp(&other.sort.class)
            .then_with(|| compare_versions(&self.sort.version, &other.sort.version))
            .then_with(|| self.name.cmp(&other.name))
            .then_with(|| self.path.cmp(&other.path))
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
fn compare(a: &Path, b: &Path) -> Ordering {
    Key::of(a).cmp(&Key::of(b))
}

/// Reads one migration file and keeps its up section.
pub fn read(path: &Path) -> Result<MigrationFile> {
    let name = display_path(path);
    let bytes = std::fs::read(path).map_err(|e| Error::io(&name, e))?;
    let text = super::decode(&name, bytes)?;
    let mut f = from_text(name, &text);
    if f.transaction_opt_out.is_none() {
        tool_transaction(path, &mut f);
    }
    Ok(f)
}

/// The transaction sqlx, diesel and Flyway wrap a migration in, read from
/// the file's name, its first line and the files beside it.
fn tool_transaction(path: &Path, f: &mut MigrationFile) {
    let name = file_name(path);
    let lower = name.to_ascii_lowercase();
    let dir = path.parent().unwrap_or(Path::new("."));
    if lower == "up.sql" {
        // diesel: `<version>_name/up.sql`, with an optional metadata.toml.
        let meta = std::fs::read_to_string(dir.join("metadata.toml")).unwrap_or_default();
        let off = meta.lines().any(|l| {
            let l: String = l.chars().filter(|c| !c.is_whitespace()).collect();
            l.eq_ignore_ascii_case("run_in_transaction=false")
        });
        f.implicit_transaction = !off;
        f.transaction_opt_out =
            Some("`run_in_transaction = false` in the migration's metadata.toml (diesel)");
        return;
    }
    let b = lower.as_bytes();
    if b.first() == Some(&b'v') && b.get(1).is_some_and(u8::is_ascii_digit) && lower.contains("__")
    {
        // Flyway versioned migration, with its optional script configuration.
        let mut conf = path.as_os_str().to_owned();
        conf.push(".conf");
        let conf = std::fs::read_to_string(PathBuf::from(conf)).unwrap_or_default();
        let off = conf.lines().any(|l| {
            let l: String = l.chars().filter(|c| !c.is_whitespace()).collect();
            l.eq_ignore_ascii_case("executeInTransaction=false")
        });
        f.implicit_transaction = !off && !only_non_transactional(&f.text);
        f.transaction_opt_out = Some(
            "`executeInTransaction=false` in a `<migration>.sql.conf` beside it, or the statement alone in its migration (Flyway)",
        );
        return;
    }
    let numbered = b.first().is_some_and(u8::is_ascii_digit) && lower.contains('_');
    let first_line = f.text.lines().next().unwrap_or("").trim();
    if first_line.eq_ignore_ascii_case("-- no-transaction") {
        f.implicit_transaction = false;
        f.transaction_opt_out = Some("`-- no-transaction` as the file's first line (sqlx)");
        return;
    }
    if numbered && rust_project(dir) {
        f.implicit_transaction = true;
        f.transaction_opt_out = Some("`-- no-transaction` as the file's first line (sqlx)");
    }
}

/// Whether the nearest Cargo.toml in the directory or up to three above it
/// depends on sqlx (a Rust project's numbered migrations are then sqlx's).
fn rust_project(dir: &Path) -> bool {
    dir.ancestors()
        .take(4)
        .find_map(|d| std::fs::read_to_string(d.join("Cargo.toml")).ok())
        .is_some_and(|t| t.contains("sqlx"))
}

/// Whether every statement of a file is one that Flyway's PostgreSQL
/// parser knows cannot run in a transaction (it then runs the migration
/// without one).
fn only_non_transactional(text: &str) -> bool {
    let mut any = false;
    for st in crate::sql::split::split(text) {
        if st.text.is_empty() {
            continue;
        }
        let words: Vec<String> = st
            .text
            .split_whitespace()
            .take(4)
            .map(str::to_ascii_lowercase)
            .collect();
        let w = |i: usize| words.get(i).map_or("", String::as_str);
        let non_tx = (w(0) == "create" && (w(2) == "concurrently" || w(3) == "concurrently"))
            || (w(0) == "drop" && w(1) == "index" && w(2) == "concurrently")
            || w(0) == "reindex"
            || w(0) == "vacuum"
            || (w(0) == "alter" && w(1) == "system");
        if !non_tx {
            return false;
        }
        any = true;
    }
    any
}

/// The path as reports show it: without a leading `./`.
pub fn display_path(path: &Path) -> String {
    let s = path.display().to_string();
    match s.strip_prefix("./") {
        Some(rest) => rest.to_string(),
        None => s,
    }
}

/// Reduces a migration's text to its up section (dbmate, goose), keeping
/// every line where it was.
pub fn from_text(path: String, text: &str) -> MigrationFile {
    let mut dbmate = false;
    let mut goose = false;
    for line in text.lines() {
        let l = line.trim_start();
        if let Some(rest) = comment_body(l) {
            if rest.starts_with("migrate:up") || rest.starts_with("migrate:down") {
                dbmate = true;
            } else if rest.starts_with("+goose") {
                goose = true;
            }
        }
    }
    if !dbmate && !goose {
        return MigrationFile {
            path,
            text: text.to_string(),
            implicit_transaction: false,
            transaction_opt_out: None,
        };
    }
    let mut out = String::with_capacity(text.len());
    let mut up = false;
    let mut transaction = true;
    for line in text.split_inclusive('\n') {
        let body = comment_body(line.trim_start());
        let mut marker = false;
        if let Some(rest) = body {
            let lower = rest.to_ascii_lowercase();
            if dbmate && lower.starts_with("migrate:up") {
                up = true;
                marker = true;
                if lower.contains("transaction:false") {
                    transaction = false;
                }
            } else if dbmate && lower.starts_with("migrate:down") {
                up = false;
                marker = true;
            } else if goose && lower.starts_with("+goose") {
                marker = true;
                let word = lower["+goose".len()..].trim();
                if word.starts_with("up") {
                    up = true;
                } else if word.starts_with("down") {
                    up = false;
                } else if word.starts_with("no transaction") {
                    transaction = false;
                }
            }
        }
        if up && !marker {
            out.push_str(line);
        } else if line.ends_with('\n') {
            out.push('\n');
        }
    }
    MigrationFile {
        path,
        text: out,
        implicit_transaction: transaction,
        transaction_opt_out: Some(if dbmate {
            "`-- migrate:up transaction:false` (dbmate)"
        } else {
            "`-- +goose NO TRANSACTION` before `-- +goose Up` (goose)"
        }),
    }
}

fn comment_body(line: &str) -> Option<&str> {
    line.strip_prefix("--").map(str::trim)
}

/// Files changed since a git ref (committed, staged, unstaged or untracked),
/// as absolute paths.
pub fn changed_since(reference: &str) -> Result<Vec<PathBuf>> {
    let git = |args: &[&str]| -> Result<String> {
        let out = std::process::Command::new("git")
            .args(args)
            .output()
            .map_err(|e| Error::io("git", e))?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            return Err(Error::Usage(format!(
                "--changed-since {reference}: git {}: {}",
                args.join(" "),
                err.lines().next().unwrap_or("failed")
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let root = git(&["rev-parse", "--show-toplevel"])?;
    let root = PathBuf::from(root.trim());
    let mut files = Vec::new();
    let diff = git(&["diff", "--name-only", "--no-renames", reference, "--"])?;
    let untracked = git(&["ls-files", "--others", "--exclude-standard", "--full-name"])?;
    for line in diff.lines().chain(untracked.lines()) {
        if !line.is_empty() {
            files.push(root.join(line));
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(names: &[&str]) -> Vec<String> {
        let mut v: Vec<PathBuf> = names.iter().map(PathBuf::from).collect();
        v.sort_by(|a, b| compare(a, b));
        v.iter().map(|p| p.display().to_string()).collect()
    }

    #[test]
    fn flyway_versions_compare_numerically_and_repeatables_go_last() {
        assert_eq!(
            order(&[
                "R__views.sql",
                "V10__ten.sql",
                "V2__two.sql",
                "V1_10__one_ten.sql",
                "V1_2__one_two.sql",
                "V1__one.sql"
            ]),
            [
                "V1__one.sql",
                "V1_2__one_two.sql",
                "V1_10__one_ten.sql",
                "V2__two.sql",
                "V10__ten.sql",
                "R__views.sql"
            ]
        );
    }

    #[test]
    fn directories_give_prisma_and_diesel_their_version() {
        assert_eq!(
            order(&[
                "m/2024-02-01-000000_b/up.sql",
                "m/2023-12-31-235959_a/up.sql",
                "p/20240102000000_y/migration.sql",
                "p/20240101000000_x/migration.sql",
            ]),
            [
                "m/2023-12-31-235959_a/up.sql",
                "m/2024-02-01-000000_b/up.sql",
                "p/20240101000000_x/migration.sql",
                "p/20240102000000_y/migration.sql",
            ]
        );
    }

    #[test]
    fn numbered_before_unnumbered() {
        assert_eq!(
            order(&["schema.sql", "10_c.sql", "9_b.sql", "0001_a.up.sql"]),
            ["0001_a.up.sql", "9_b.sql", "10_c.sql", "schema.sql"]
        );
        assert!(!is_up_migration(Path::new("0001_a.down.sql")));
        assert!(!is_up_migration(Path::new("x/down.sql")));
        assert!(!is_up_migration(Path::new("U2__undo.sql")));
        assert!(is_up_migration(Path::new("users.sql")));
    }

    #[test]
    fn up_sections_keep_their_lines() {
        let f = from_text(
            "a.sql".into(),
            "-- migrate:up\nCREATE TABLE a (id int);\n\n-- migrate:down\nDROP TABLE a;\n",
        );
        assert_eq!(f.text, "\nCREATE TABLE a (id int);\n\n\n\n");
        assert!(f.implicit_transaction);
        let g = from_text(
            "b.sql".into(),
            "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY i ON a (x);\n-- +goose Down\nDROP INDEX i;\n",
        );
        assert_eq!(g.text, "\n\nCREATE INDEX CONCURRENTLY i ON a (x);\n\n\n");
        assert!(!g.implicit_transaction);
        let plain = from_text("c.sql".into(), "SELECT 1;\n");
        assert!(!plain.implicit_transaction);
        assert_eq!(plain.text, "SELECT 1;\n");
    }
}
