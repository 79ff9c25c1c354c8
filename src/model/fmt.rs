//! Numbers as people read them, shared by the rules' messages, the
//! advisor's reasons and the reports, so one quantity reads the same
//! everywhere.

/// `12.345 ms`, `1.23 s`.
pub fn ms(v: f64) -> String {
    let mut s = String::new();
    ms_into(&mut s, v);
    s
}

/// [`ms`] appended to `s`: a report that prints one per row reuses one
/// string instead of making one per value.
pub fn ms_into(s: &mut String, v: f64) {
    // A sum of nothing can be -0.0: print it as 0.
    let v = if v == 0.0 { 0.0 } else { v };
    let unit = if v >= 10_000.0 {
        fixed_into(s, v / 1000.0, 2);
        " s"
    } else if v >= 100.0 {
        fixed_into(s, v, 1);
        " ms"
    } else {
        fixed_into(s, v, 3);
        " ms"
    };
    s.push_str(unit);
}

/// `format!("{v:.decimals$}")`, without the formatting machinery for the
/// values a report prints (a plan's report prints two per node): a
/// non-negative `v` below 10^9 with at most three decimals is scaled,
/// rounded and printed as an integer when the scaled value is not within
/// 0.001 of a tie (its error is below 0.0002 there, so the exact decimal
/// value of `v` rounds the same way). Any other value is formatted.
pub fn fixed(v: f64, decimals: usize) -> String {
    let mut s = String::new();
    fixed_into(&mut s, v, decimals);
    s
}

/// [`fixed`] appended to `s`.
pub fn fixed_into(s: &mut String, v: f64, decimals: usize) {
    const SCALE: [f64; 4] = [1.0, 10.0, 100.0, 1000.0];
    const TEN: [u64; 4] = [1, 10, 100, 1000];
    if decimals < SCALE.len() && v.is_sign_positive() && v < 1e9 {
        let x = v * SCALE[decimals];
        // `x.floor()` and `x.round()` without their calls into libm: `x`
        // is neither negative nor 2^53, so `as u64` cuts it to its floor
        // exactly, and away from a tie it rounds up past one half.
        let floor = x as u64;
        let frac = x - floor as f64;
        if (frac - 0.5).abs() > 1e-3 {
            let r = floor + u64::from(frac > 0.5);
            push_digits(s, r / TEN[decimals], false);
            if decimals > 0 {
                let frac = r % TEN[decimals];
                s.push('.');
                for k in (0..decimals).rev() {
                    s.push(char::from(b'0' + (frac / TEN[k] % 10) as u8));
                }
            }
            return;
        }
    }
    use std::fmt::Write;
    let _ = write!(s, "{v:.decimals$}");
}

/// `n` in decimal, a comma before every third digit from the last when
/// `commas`.
fn push_digits(s: &mut String, mut n: u64, commas: bool) {
    let mut buf = [0u8; 32];
    let mut at = buf.len();
    let mut written = 0;
    loop {
        if commas && written > 0 && written % 3 == 0 {
            at -= 1;
            buf[at] = b',';
        }
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        written += 1;
        if n == 0 {
            break;
        }
    }
    // A char per digit: checking the bytes as UTF-8 took longer than
    // pushing them (a plan's report prints three counts per node).
    s.extend(buf[at..].iter().map(|&b| char::from(b)));
}

/// `1,234,567` for counts; fractional counts (PG 18) keep two decimals.
pub fn fmt_count(v: f64) -> String {
    let mut s = String::new();
    fmt_count_into(&mut s, v);
    s
}

/// [`fmt_count`] appended to `s`.
pub fn fmt_count_into(s: &mut String, v: f64) {
    use std::fmt::Write;
    // Beyond what a count can honestly be (and what `i64` holds): say so
    // instead of printing a saturated 9,223,372,036,854,775,807.
    if !v.is_finite() {
        s.push_str(if v.is_nan() { "?" } else { "∞" });
        return;
    }
    // A whole count, not negative (nearly every count a plan prints): its
    // digits, as the way below prints it, without rounding it first.
    if (0.0..1e15).contains(&v) && v == (v as u64) as f64 {
        push_digits(s, v as u64, true);
        return;
    }
    if v.abs() >= 1e15 {
        let _ = write!(s, "{v:.1e}");
        return;
    }
    if v.fract() != 0.0 && v < 1000.0 {
        let _ = write!(s, "{v:.2}");
        return;
    }
    let n = v.round() as i64;
    // Digits from the last, a comma before every third.
    if n < 0 {
        s.push('-');
    }
    push_digits(s, n.unsigned_abs(), true);
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
        assert_eq!(fmt_count(999.0), "999");
        assert_eq!(fmt_count(1000.0), "1,000");
        assert_eq!(fmt_count(0.0), "0");
        assert_eq!(fmt_count(-0.2), "-0.20");
        assert_eq!(fmt_count(-1_234_567_890.0), "-1,234,567,890");
        assert_eq!(fmt_count(0.5), "0.50");
        assert_eq!(fmt_count(-1234.0), "-1,234");
        assert_eq!(fmt_count(9.3e18), "9.3e18");
        assert_eq!(fmt_count(f64::INFINITY), "∞");
        assert_eq!(fmt_count(f64::NAN), "?");
        assert_eq!(fmt_count(-0.0), "0");
        assert_eq!(fmt_count(1.0), "1");
        assert_eq!(fmt_count(999_999_999_999_999.0), "999,999,999,999,999");
        assert_eq!(fmt_count(1e15), "1.0e15");
        assert_eq!(fmt_count(1234.5), "1,235");
    }

    #[test]
    fn small_ratios_keep_their_digits() {
        assert_eq!(round_sig4(10.0 / 500_000.0), 0.00002);
        assert_eq!(round_sig4(1234.5678), 1235.0);
        assert_eq!(round_sig4(0.0), 0.0);
    }

    /// `fixed` prints what `format!` prints: times as plans give them (three
    /// decimals), ties of every kind, values past its fast path, -0 and NaN.
    #[test]
    fn fixed_matches_format() {
        let mut values = vec![
            0.0,
            -0.0,
            0.0005,
            0.0015,
            0.0625,
            0.125,
            1.0005,
            2.5,
            0.05,
            0.15,
            0.25,
            0.35,
            99.9995,
            100.05,
            9_999.999_5,
            123_456.789,
            999_999_999.999_5,
            1e9,
            1e12,
            3.4e38,
            -1.5,
            -0.0004,
            f64::NAN,
            f64::INFINITY,
            f64::MIN_POSITIVE,
        ];
        // Numbers of the forms a plan prints (`12.345`), and their sums
        // and quotients, which are not exact decimals.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let thousandths = (x % 100_000_000) as f64 / 1000.0;
            values.push(thousandths);
            values.push(thousandths * 3.0 / 7.0);
            values.push(thousandths / 1000.0 + 0.1);
        }
        for v in values {
            for d in 0..=4 {
                assert_eq!(fixed(v, d), format!("{v:.d$}"), "{v:e} to {d} decimals");
            }
        }
    }
}
