//! `dbperf rules` and `dbperf rule ID`: the rule registry, as users read it.

use std::io::{self, Write};

use crate::config::{Config, Format};
use crate::detect::{self, rules::ALL};
use crate::error::{Error, Result};

pub fn list(config: &Config) -> Result<u8> {
    let mut out = String::new();
    if config.format == Format::Json {
        let list: Vec<_> = ALL
            .iter()
            .map(|r| {
                let m = r.meta();
                serde_json::json!({"id": m.id, "severity": m.severity, "summary": m.summary})
            })
            .collect();
        out = serde_json::to_string_pretty(&list).unwrap_or_default();
        out.push('\n');
    } else {
        let width = ALL.iter().map(|r| r.meta().id.len()).max().unwrap_or(0);
        for r in ALL {
            let m = r.meta();
            out.push_str(&format!(
                "{:width$}  {:7}  {}\n",
                m.id,
                m.severity.as_str(),
                m.summary
            ));
        }
    }
    write_out(config, &out)?;
    Ok(0)
}

pub fn show(config: &Config, id: &str) -> Result<u8> {
    let rule = detect::find_rule(id)
        .ok_or_else(|| Error::Usage(format!("no rule `{id}`; `dbperf rules` lists them")))?;
    let mut page = rule.meta().markdown();
    page.push('\n');
    write_out(config, &page)?;
    Ok(0)
}

fn write_out(config: &Config, text: &str) -> Result<()> {
    match &config.output {
        Some(p) => std::fs::write(p, text).map_err(|e| Error::io(p.display().to_string(), e)),
        None => match io::stdout().lock().write_all(text.as_bytes()) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            other => other.map_err(Error::Output),
        },
    }
}
