//! `format` and `formatlist`'s format strings, as Terraform reads them: `%%`, flags (`-`,
//! `+`, space, `0`, `#`), an argument index (`%[2]s`), a width and a precision before
//! each verb, and the verbs `v` (`#v`: JSON), `t`, `b`, `d`, `o`, `x`, `X`, `e`, `E`, `f`,
//! `g`, `G`, `s` and `q`. Integers print as Go prints a `big.Int` and the other number verbs
//! as it prints a `big.Float`, which is what Terraform hands them to; strings are padded and
//! cut as Terraform does it itself.
//!
//! Everything Terraform rejects is an error here too, so that the result is unknown rather
//! than a text Terraform would never make: a verb it does not know, `%d` of a number with a
//! fraction, a null for any verb but `%v`, an argument index past the arguments, and
//! arguments the format never uses.
//!
//! Two differences, both documented in docs/usage.md: widths and precisions count
//! characters where Terraform counts grapheme clusters (the same for text without combining
//! sequences), and numbers are 64-bit floats where Terraform's are exact decimals (the same
//! for what a configuration writes as a literal).

use crate::value::{Kind, Value};

/// Widths and precisions above this are errors (the result unknown): `%999999999d` would
/// otherwise make a gigabyte of padding. Go's own formatter refuses the same bound.
const MAX_WIDTH: usize = 1_000_000;

/// One `%` sequence: its flags, width, precision and which argument it formats.
#[derive(Default)]
struct Verb {
    minus: bool,
    plus: bool,
    space: bool,
    zero: bool,
    sharp: bool,
    width: Option<usize>,
    precision: Option<usize>,
    /// The argument's position, from 1.
    argument: usize,
}

/// `format(spec, args...)`: the text, or Terraform's error.
pub(super) fn format(spec: &str, args: &[Value]) -> Result<String, String> {
    let mut out = String::new();
    let mut next_argument = 1;
    let mut highest_used = 0;
    let mut chars = spec.char_indices().peekable();
    while let Some((offset, c)) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.next_if(|&(_, c)| c == '%').is_some() {
            out.push('%');
            continue;
        }
        let invalid = || format!("format: invalid sequence at offset {offset} of {spec:?}");
        let mut verb = Verb {
            argument: next_argument,
            ..Verb::default()
        };
        while let Some((_, flag)) =
            chars.next_if(|&(_, c)| matches!(c, '-' | '+' | ' ' | '0' | '#'))
        {
            match flag {
                '-' => verb.minus = true,
                '+' => verb.plus = true,
                ' ' => verb.space = true,
                '0' => verb.zero = true,
                _ => verb.sharp = true,
            }
        }
        // An argument index and a width are numbers without a leading zero (a `0` before
        // the width is a flag, and after an index nothing Terraform reads).
        let leading_zero = |chars: &mut std::iter::Peekable<std::str::CharIndices>| {
            chars.peek().is_some_and(|&(_, c)| c == '0')
        };
        if chars.next_if(|&(_, c)| c == '[').is_some() {
            if leading_zero(&mut chars) {
                return Err(invalid());
            }
            verb.argument = digits(&mut chars)?.ok_or_else(invalid)?;
            chars.next_if(|&(_, c)| c == ']').ok_or_else(invalid)?;
        }
        if leading_zero(&mut chars) {
            return Err(invalid());
        }
        verb.width = digits(&mut chars)?;
        if chars.next_if(|&(_, c)| c == '.').is_some() {
            verb.precision = Some(digits(&mut chars)?.unwrap_or(0));
        }
        let (_, mode) = chars
            .next()
            .filter(|(_, c)| c.is_ascii_alphabetic())
            .ok_or_else(invalid)?;
        let arg = args.get(verb.argument - 1).ok_or_else(|| {
            format!(
                "format: %{mode} at offset {offset} needs argument {} of {}",
                verb.argument,
                args.len()
            )
        })?;
        highest_used = highest_used.max(verb.argument);
        next_argument = verb.argument + 1;
        if mode != 'v' && arg.is_null() {
            return Err(format!("format: %{mode} cannot format null"));
        }
        let text = match mode {
            'v' => as_is(&verb, arg)?,
            't' => arg
                .as_bool()
                .ok_or_else(|| format!("format: %t takes a bool, not a {}", arg.type_name()))?
                .to_string(),
            'b' | 'd' | 'o' | 'x' | 'X' => integer(&verb, mode, number(arg, mode)?)?,
            'e' | 'E' | 'f' | 'g' | 'G' => float(&verb, mode, number(arg, mode)?)?,
            's' | 'q' => string(&verb, mode, arg)?,
            other => return Err(format!("format: unsupported verb %{other}")),
        };
        out.push_str(&text);
    }
    if highest_used < args.len() {
        return Err(format!(
            "format: too many arguments; the format uses {highest_used} of {}",
            args.len()
        ));
    }
    Ok(out)
}

/// A decimal number in the format (an argument index, a width or a precision), if one is
/// there.
fn digits(chars: &mut std::iter::Peekable<std::str::CharIndices>) -> Result<Option<usize>, String> {
    let mut number: Option<usize> = None;
    while let Some((_, d)) = chars.next_if(|(_, c)| c.is_ascii_digit()) {
        let value = number.unwrap_or(0) * 10 + (d as usize - '0' as usize);
        if value > MAX_WIDTH {
            return Err(format!("format: widths over {MAX_WIDTH} are not evaluated"));
        }
        number = Some(value);
    }
    Ok(number)
}

fn number(arg: &Value, mode: char) -> Result<f64, String> {
    arg.as_number()
        .ok_or_else(|| format!("format: %{mode} takes a number, not a {}", arg.type_name()))
}

/// `%v`: strings as they are, numbers as `%g` would, and anything else (or anything with `#`)
/// as JSON; padded as strings are.
fn as_is(verb: &Verb, arg: &Value) -> Result<String, String> {
    let text = match &arg.kind {
        Kind::String(s) if !verb.sharp => s.clone(),
        Kind::Number(n) if !verb.sharp => general(*n, None, false),
        _ => arg
            .to_json_text()
            .ok_or("format: %v takes a value that has a JSON form")?,
    };
    Ok(pad(verb, text))
}

/// `%s` and `%q`: the argument as a string, cut to the precision (in characters), then
/// quoted as JSON for `%q`, then padded.
fn string(verb: &Verb, mode: char, arg: &Value) -> Result<String, String> {
    let mut text = arg
        .to_template_string()
        .ok_or_else(|| format!("format: %{mode} takes a string, not a {}", arg.type_name()))?;
    // Terraform cuts only for a precision above zero: `%.0s` keeps the whole string.
    if let Some((cut, _)) = verb
        .precision
        .filter(|p| *p > 0)
        .and_then(|p| text.char_indices().nth(p))
    {
        text.truncate(cut);
    }
    if mode == 'q' {
        text = Value::string(text, None)
            .to_json_text()
            .ok_or("format: %q could not quote the string")?;
    }
    Ok(pad(verb, text))
}

/// Terraform's own padding, for `%v`, `%s` and `%q`: to the width in characters, with
/// zeros for `0` (even before a sign), on the right for `-`.
fn pad(verb: &Verb, text: String) -> String {
    let length = text.chars().count();
    let Some(missing) = verb.width.and_then(|w| w.checked_sub(length)) else {
        return text;
    };
    let padding = if verb.zero { "0" } else { " " }.repeat(missing);
    if verb.minus {
        text + &padding
    } else {
        padding + &text
    }
}

/// `%b`, `%d`, `%o`, `%x` and `%X`, as Go formats a `big.Int`: the precision is the least
/// number of digits, `#` adds the base's prefix, `0` pads with zeros after the sign unless a
/// precision is given, and `-` pads on the right instead.
fn integer(verb: &Verb, mode: char, n: f64) -> Result<String, String> {
    if n.fract() != 0.0 || !n.is_finite() {
        return Err(format!("format: %{mode} takes a whole number, not {n}"));
    }
    let magnitude = n.abs();
    let digits = match mode {
        'd' => format!("{magnitude:.0}"),
        _ => {
            // Exact below 2^127; a larger whole number in binary, octal or hex is not worth
            // a big-integer dependency, and is left unknown.
            if magnitude >= 2f64.powi(127) {
                return Err(format!(
                    "format: %{mode} of a number this large is not evaluated"
                ));
            }
            let whole = magnitude as u128;
            match mode {
                'b' => format!("{whole:b}"),
                'o' => format!("{whole:o}"),
                'x' => format!("{whole:x}"),
                _ => format!("{whole:X}"),
            }
        }
    };
    let sign = sign(verb, n < 0.0);
    let prefix = match mode {
        'b' if verb.sharp => "0b",
        'o' if verb.sharp => "0",
        'x' if verb.sharp => "0x",
        'X' if verb.sharp => "0X",
        _ => "",
    };
    let mut zeros = 0;
    if let Some(precision) = verb.precision {
        if digits == "0" && precision == 0 {
            // Go prints nothing at all for zero at precision zero, not even padding.
            return Ok(String::new());
        }
        zeros = precision.saturating_sub(digits.len());
    }
    let length = sign.len() + prefix.len() + zeros + digits.len();
    let (mut left, mut right) = (0, 0);
    if let Some(missing) = verb.width.and_then(|w| w.checked_sub(length)) {
        if verb.minus {
            right = missing;
        } else if verb.zero && verb.precision.is_none() {
            zeros = missing;
        } else {
            left = missing;
        }
    }
    Ok(format!(
        "{}{sign}{prefix}{}{digits}{}",
        " ".repeat(left),
        "0".repeat(zeros),
        " ".repeat(right)
    ))
}

/// `%e`, `%E`, `%f`, `%g` and `%G`, as Go formats a `big.Float`: precision 6 for `%e` and
/// `%f`, the shortest exact digits for `%g` unless a precision is given; `0` pads with
/// zeros after the sign and wins over `-`.
fn float(verb: &Verb, mode: char, n: f64) -> Result<String, String> {
    if !n.is_finite() {
        return Err(format!("format: %{mode} of {n} is not evaluated"));
    }
    let body = match mode {
        'e' | 'E' => exponent(n.abs(), verb.precision.unwrap_or(6), mode == 'E'),
        'f' => format!("{:.*}", verb.precision.unwrap_or(6), n.abs()),
        _ => general(n.abs(), verb.precision, mode == 'G'),
    };
    let sign = sign(verb, n.is_sign_negative());
    let missing = verb
        .width
        .and_then(|w| w.checked_sub(sign.len() + body.len()))
        .unwrap_or(0);
    Ok(if verb.zero {
        format!("{sign}{}{body}", "0".repeat(missing))
    } else if verb.minus {
        format!("{sign}{body}{}", " ".repeat(missing))
    } else {
        format!("{}{sign}{body}", " ".repeat(missing))
    })
}

/// A number's sign as Go prints it: `-`, or for others `+` with the flag `+`, a space with
/// the flag ` `.
fn sign(verb: &Verb, negative: bool) -> &'static str {
    if negative {
        "-"
    } else if verb.plus {
        "+"
    } else if verb.space {
        " "
    } else {
        ""
    }
}

/// The significant digits of `n` (no trailing zeros) and its decimal exponent as Go's
/// decimal form counts it (`n` = 0.DIGITS x 10^exponent): the shortest digits that read
/// back as `n`, or `n` rounded to `significant` digits.
fn decimal(n: f64, significant: Option<usize>) -> (String, i32) {
    if n == 0.0 {
        return (String::new(), 0);
    }
    let text = match significant {
        Some(s) => format!("{:.*e}", s.max(1) - 1, n.abs()),
        None => format!("{:e}", n.abs()),
    };
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let mut digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    (digits, exponent.parse::<i32>().unwrap_or(0) + 1)
}

/// `%e` of a non-negative number: one digit, `precision` more after the point, and an
/// exponent of at least two digits with its sign.
fn exponent(n: f64, precision: usize, upper: bool) -> String {
    let text = format!("{n:.precision$e}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    format!(
        "{mantissa}{}",
        exponent_suffix(exponent.parse().unwrap_or(0), upper)
    )
}

/// Go's exponent: `e` (or `E`), its sign, and at least two digits (`e+05`, `E-23`).
fn exponent_suffix(exponent: i32, upper: bool) -> String {
    let e = if upper { 'E' } else { 'e' };
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{e}{sign}{:02}", exponent.abs())
}

/// `%g` (and `%v` of a number): the exponent form for exponents below -4 or from the
/// precision up (6 when the shortest digits are asked for), the plain form otherwise, each
/// without trailing zeros. Signed for negative numbers.
fn general(n: f64, precision: Option<usize>, upper: bool) -> String {
    let sign = if n.is_sign_negative() { "-" } else { "" };
    let (digits, point) = decimal(n, precision);
    if digits.is_empty() {
        return format!("{sign}0");
    }
    let limit = match precision {
        None => 6,
        Some(p) => p.max(1),
    };
    let exponent = point - 1;
    if exponent < -4 || exponent >= limit as i32 {
        let (first, rest) = digits.split_at(1);
        let point = if rest.is_empty() { "" } else { "." };
        let suffix = exponent_suffix(exponent, upper);
        return format!("{sign}{first}{point}{rest}{suffix}");
    }
    // The plain form: the digits around the point, with zeros where the point falls
    // outside them.
    let point = point as isize;
    let whole: String = if point <= 0 {
        "0".into()
    } else {
        (0..point)
            .map(|i| {
                digits
                    .as_bytes()
                    .get(i as usize)
                    .map_or('0', |d| *d as char)
            })
            .collect()
    };
    let fraction: String = (point.max(0)..digits.len() as isize)
        .map(|i| digits.as_bytes()[i as usize] as char)
        .collect();
    let leading = "0".repeat((-point).max(0) as usize);
    match fraction.is_empty() {
        true => format!("{sign}{whole}"),
        false => format!("{sign}{whole}.{leading}{fraction}"),
    }
}

#[cfg(test)]
mod tests {
    use super::format;
    use crate::value::{Kind, Value};

    fn s(text: &str) -> Value {
        Value::string(text, None)
    }

    fn n(number: f64) -> Value {
        Value::new(Kind::Number(number), None)
    }

    #[test]
    fn formats_as_terraform_does() {
        let list = Value::new(Kind::List(vec![n(1.0), s("a")]), None);
        for (spec, args, expected) in [
            ("group-%02d", vec![n(7.0)], "group-07"),
            (
                "%03d|%-4d|%4d|%+d|% d",
                vec![n(5.0), n(5.0), n(-5.0), n(5.0), n(5.0)],
                "005|5   |  -5|+5| 5",
            ),
            ("%05d", vec![n(-42.0)], "-0042"),
            (
                "%.3d|%6.3d|%-06d",
                vec![n(7.0), n(-7.0), n(7.0)],
                "007|  -007|7     ",
            ),
            ("[%.0d]", vec![n(0.0)], "[]"),
            (
                "%b %o %x %X %#x %#o %#b",
                vec![n(5.0), n(9.0), n(254.0), n(254.0), n(254.0), n(8.0), n(5.0)],
                "101 11 fe FE 0xfe 010 0b101",
            ),
            ("%d", vec![s("12")], "12"),
            ("%[2]s-%[1]s-%s", vec![s("a"), s("b")], "b-a-b"),
            (
                "%s|%5s|%-5s|%.2s|%05s",
                vec![s("ops"), s("ops"), s("ops"), s("ops"), s("ops")],
                "ops|  ops|ops  |op|00ops",
            ),
            ("%.0s", vec![s("whole")], "whole"),
            (
                "%q|%6q",
                vec![s("a\"<b>"), s("é")],
                r#""a\"\u003cb\u003e"|   "é""#,
            ),
            (
                "%s %s %s",
                vec![n(1.5), Value::new(Kind::Bool(true), None), n(1e20)],
                "1.5 true 100000000000000000000",
            ),
            (
                "%t %t",
                vec![Value::new(Kind::Bool(false), None), s("true")],
                "false true",
            ),
            (
                "%v|%v|%v|%#v|%v",
                vec![s("x"), n(1000000.0), n(0.5), s("x"), list.clone()],
                r#"x|1e+06|0.5|"x"|[1,"a"]"#,
            ),
            ("%v", vec![Value::new(Kind::Null, None)], "null"),
            (
                "%f|%.2f|%8.3f|%-8.1f|%08.2f|%+.1f",
                vec![n(10.0), n(1.006), n(1.23456), n(2.0), n(-3.5), n(1.06)],
                "10.000000|1.01|   1.235|2.0     |-0003.50|+1.1",
            ),
            (
                "%e|%E|%.2e|%e",
                vec![n(1000.0), n(1000.0), n(123456.0), n(0.0)],
                "1.000000e+03|1.000000E+03|1.23e+05|0.000000e+00",
            ),
            (
                "%g|%g|%g|%G|%.3g|%g|%g",
                vec![
                    n(1000.0),
                    n(1e-23),
                    n(123456789.0),
                    n(1e-23),
                    n(1.23456),
                    n(0.0001),
                    n(100000.0),
                ],
                "1000|1e-23|1.23456789e+08|1E-23|1.23|0.0001|100000",
            ),
            (
                "%g|%.2g|%g",
                vec![n(0.00001), n(1234.0), n(-2.5)],
                "1e-05|1.2e+03|-2.5",
            ),
            ("100%%", vec![], "100%"),
        ] {
            assert_eq!(format(spec, &args).as_deref(), Ok(expected), "{spec}");
        }
    }

    #[test]
    fn rejects_what_terraform_rejects() {
        for (spec, args) in [
            ("%d", vec![n(3.5)]),
            ("%d", vec![s(" 5")]),
            ("%d", vec![Value::new(Kind::Bool(true), None)]),
            ("%s", vec![Value::new(Kind::Null, None)]),
            ("%s", vec![]),
            ("%[3]s", vec![s("a"), s("b")]),
            ("%[0]s", vec![s("a")]),
            ("%[01]s", vec![s("a")]),
            ("%[1]05d", vec![n(1.0)]),
            ("one %s", vec![s("a"), s("b")]),
            ("none", vec![s("a")]),
            ("%z", vec![s("a")]),
            ("%*d", vec![n(1.0), n(2.0)]),
            ("trailing %", vec![]),
            ("%s", vec![Value::new(Kind::List(vec![]), None)]),
            ("%9999999d", vec![n(1.0)]),
            ("%t", vec![s("yes")]),
        ] {
            assert!(format(spec, &args).is_err(), "{spec} should be an error");
        }
    }
}
