//! Where `dbperf analyze --demo` keeps its database: never in the source
//! tree an installed binary was compiled in (the cargo registry's copy, or
//! a path that no longer exists), but in `--demo-dir` when given, else the
//! user's cache directory: `$XDG_CACHE_HOME/dbperf`, or `~/.cache/dbperf`.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The demo directory, created when missing. `var` reads the environment
/// (the process's in [`demo_dir`]; a map in tests).
pub fn resolve_demo_dir(
    given: Option<&Path>,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<PathBuf> {
    let dir = match given {
        Some(d) => d.to_path_buf(),
        None => {
            let absolute = |v: Option<String>| v.filter(|v| Path::new(v).is_absolute());
            match (absolute(var("XDG_CACHE_HOME")), absolute(var("HOME"))) {
                (Some(cache), _) => Path::new(&cache).join("dbperf"),
                (None, Some(home)) => Path::new(&home).join(".cache").join("dbperf"),
                (None, None) => {
                    return Err(Error::Usage(
                        "analyze --demo: neither XDG_CACHE_HOME nor HOME is set to an absolute path; give --demo-dir DIR".into(),
                    ));
                }
            }
        }
    };
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
    Ok(dir)
}

/// [`resolve_demo_dir`] with the process's environment.
pub fn demo_dir(given: Option<&Path>) -> Result<PathBuf> {
    resolve_demo_dir(given, &|name| {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(test: &str) -> PathBuf {
        std::env::temp_dir().join(format!("dbperf-demo-dir-{}-{test}", std::process::id()))
    }

    #[test]
    fn xdg_cache_home_then_home_then_refusal() {
        let base = scratch("env");
        let xdg = base.join("xdg").to_string_lossy().into_owned();
        let home = base.join("home").to_string_lossy().into_owned();
        let env = |xdg: Option<String>, home: Option<String>| {
            move |k: &str| match k {
                "XDG_CACHE_HOME" => xdg.clone(),
                "HOME" => home.clone(),
                _ => None,
            }
        };
        let d = resolve_demo_dir(None, &env(Some(xdg.clone()), Some(home.clone()))).unwrap();
        assert_eq!(d, base.join("xdg/dbperf"));
        assert!(d.is_dir());
        // A relative XDG_CACHE_HOME is ignored, as the XDG spec says.
        let d = resolve_demo_dir(None, &env(Some("rel".into()), Some(home.clone()))).unwrap();
        assert_eq!(d, base.join("home/.cache/dbperf"));
        assert!(resolve_demo_dir(None, &env(None, None)).is_err());
        std::fs::remove_dir_all(&base).ok();
    }

    #[test]
    fn demo_dir_flag_wins_and_is_created() {
        let base = scratch("flag");
        let d = resolve_demo_dir(Some(&base.join("a/b")), &|_| None).unwrap();
        assert_eq!(d, base.join("a/b"));
        assert!(d.is_dir());
        std::fs::remove_dir_all(&base).ok();
    }
}
