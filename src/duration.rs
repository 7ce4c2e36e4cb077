//! Sym durations: one or more `<number><unit>` parts, units `s`, `m`, `h`, `d`, `w`
//! (`30m`, `1h`, `1d`, `1h30m`). Zero is not a duration anyone can be granted.

pub fn parse(text: &str) -> Result<u64, String> {
    let mut total: u64 = 0;
    let mut digits = String::new();
    let mut parts = 0;
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(format!("`{text}` is not a duration: unexpected `{c}`")),
        };
        let n: u64 = digits
            .parse()
            .map_err(|_| format!("`{text}` is not a duration: `{c}` needs a number before it"))?;
        total = n
            .checked_mul(unit)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(|| format!("`{text}` is too long a duration"))?;
        digits.clear();
        parts += 1;
    }
    if !digits.is_empty() || parts == 0 {
        return Err(format!(
            "`{text}` is not a duration: write a number with a unit, such as 30m, 1h or 1d"
        ));
    }
    if total == 0 {
        return Err(format!("`{text}` is a zero duration"));
    }
    Ok(total)
}

/// Seconds as the shortest Sym duration text: 5400 gives `1h30m`.
pub fn format(seconds: u64) -> String {
    let mut rest = seconds;
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    if out.is_empty() {
        out.push_str("0s");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{format, parse};

    #[test]
    fn parses_sym_durations() {
        assert_eq!(parse("30m"), Ok(1800));
        assert_eq!(parse("1h"), Ok(3600));
        assert_eq!(parse("1d"), Ok(86_400));
        assert_eq!(parse("1h30m"), Ok(5400));
        assert_eq!(parse("2w"), Ok(1_209_600));
    }

    #[test]
    fn rejects_what_sym_rejects() {
        for bad in [
            "",
            "1",
            "h",
            "1 h",
            "1hour",
            "-1h",
            "0m",
            "1.5h",
            "99999999999999999999w",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn formats_shortest() {
        assert_eq!(format(5400), "1h30m");
        assert_eq!(format(43_200), "12h");
        assert_eq!(format(90_000), "1d1h");
    }
}
