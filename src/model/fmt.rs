//! Numbers as people read them, shared by the rules' messages, the
//! advisor's reasons and the reports, so one quantity reads the same
//! everywhere.

/// `12.345 ms`, `1.23 s`.
pub fn ms(v: f64) -> String {
    // A sum of nothing can be -0.0: print it as 0.
    let v = if v == 0.0 { 0.0 } else { v };
    if v >= 10_000.0 {
        format!("{:.2} s", v / 1000.0)
    } else if v >= 100.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.3} ms")
    }
}

/// `1,234,567` for counts; fractional counts (PG 18) keep two decimals.
pub fn fmt_count(v: f64) -> String {
    // Beyond what a count can honestly be (and what `i64` holds): say so
    // instead of printing a saturated 9,223,372,036,854,775,807.
    if !v.is_finite() {
        return if v.is_nan() { "?".into() } else { "∞".into() };
    }
    if v.abs() >= 1e15 {
        return format!("{v:.1e}");
    }
    if v.fract() != 0.0 && v < 1000.0 {
        return format!("{v:.2}");
    }
    let n = v.round() as i64;
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// `3 days`, `5 hours`, `12 minutes`.
pub fn duration(s: f64) -> String {
    if s >= 2.0 * 86_400.0 {
        format!("{:.0} days", s / 86_400.0)
    } else if s >= 2.0 * 3600.0 {
        format!("{:.0} hours", s / 3600.0)
    } else {
        format!("{:.0} minutes", (s / 60.0).max(1.0))
    }
}

/// Rounds to three decimals so reports do not show float noise.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Rounds to four significant digits: for ratios that may be tiny (a row
/// estimate off by 50,000× is a factor of 0.00002, which three decimals
/// would make 0).
pub fn round_sig4(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(3 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

/// A cost or a row count with the precision it deserves: none from 100 up.
pub fn approx(x: f64) -> String {
    if x >= 100.0 {
        format!("{:.0}", x)
    } else {
        format!("{:.1}", x)
    }
}

/// A short duration: milliseconds from 1 ms up, microseconds below.
pub fn ms_short(ms: f64) -> String {
    if ms >= 1.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.0} µs", ms * 1000.0)
    }
}

/// A size: MB from 1 MB up, else kB (one page at least).
pub fn bytes(b: f64) -> String {
    if b >= 1024.0 * 1024.0 {
        format!("{:.1} MB", b / (1024.0 * 1024.0))
    } else {
        format!("{:.0} kB", (b / 1024.0).max(8.0))
    }
}

/// `1 table`, `3 tables`, `12,000 calls`.
pub fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{} {word}s", fmt_count(n as f64))
    }
}

/// Text on one line, whitespace runs made one space, cut to `max`
/// characters with an ellipsis.
pub fn one_line(s: &str, max: usize) -> String {
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > max {
        one.chars().take(max.saturating_sub(1)).collect::<String>() + "…"
    } else {
        one
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_group_digits_and_never_saturate() {
        assert_eq!(fmt_count(1_234_567.0), "1,234,567");
        assert_eq!(fmt_count(0.5), "0.50");
        assert_eq!(fmt_count(-1234.0), "-1,234");
        assert_eq!(fmt_count(9.3e18), "9.3e18");
        assert_eq!(fmt_count(f64::INFINITY), "∞");
        assert_eq!(fmt_count(f64::NAN), "?");
    }

    #[test]
    fn small_ratios_keep_their_digits() {
        assert_eq!(round_sig4(10.0 / 500_000.0), 0.00002);
        assert_eq!(round_sig4(1234.5678), 1235.0);
        assert_eq!(round_sig4(0.0), 0.0);
    }
}
