//! Objects written as YAML the way `kubectl get -o yaml` writes them:
//! kubectl turns the JSON into YAML with sigs.k8s.io/yaml (go-yaml v2),
//! so every mapping is sorted by key, sequences under a key are not
//! indented, strings that would read back as something else (`"True"`,
//! `"8080"`, timestamps, `null`) are double-quoted, strings with YAML
//! syntax in them (`: `, ` #`, a leading `-`) single-quoted, and
//! multi-line strings are literal blocks (`|`, `|-`).
//!
//! One difference on purpose: go-yaml folds long single-quoted strings at
//! 80 columns; we keep each scalar on one line (the value reads back the
//! same, and a terminal wraps it anyway).

use std::borrow::Cow;

use super::value::{ApiValue, Key};

/// The object as one YAML document (no `---`), ending in a newline.
pub fn to_yaml(v: &ApiValue) -> String {
    let mut out = String::new();
    match v {
        ApiValue::Obj(m) if !m.is_empty() => write_map(&mut out, m, 0),
        ApiValue::Arr(a) if !a.is_empty() => write_seq(&mut out, a, 0),
        other => {
            write_scalar(&mut out, other);
            out.push('\n');
        }
    }
    out
}

pub(super) fn indent(out: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    match SPACES.get(..n) {
        Some(s) => out.push_str(s),
        None => {
            for _ in 0..n {
                out.push(' ');
            }
        }
    }
}

fn sorted(m: &[(Key, ApiValue)]) -> Vec<&(Key, ApiValue)> {
    let mut v: Vec<_> = m.iter().collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

fn write_map(out: &mut String, m: &[(Key, ApiValue)], ind: usize) {
    if m.windows(2).all(|w| w[0].0 <= w[1].0) {
        for (i, (k, v)) in m.iter().enumerate() {
            if i > 0 {
                indent(out, ind);
            }
            write_entry(out, k, v, ind);
        }
        return;
    }
    for (i, (k, v)) in sorted(m).into_iter().enumerate() {
        if i > 0 {
            indent(out, ind);
        }
        write_entry(out, k, v, ind);
    }
}

/// `key: value`.
fn write_entry(out: &mut String, k: &str, v: &ApiValue, ind: usize) {
    write_key(out, k, ind);
    write_value_after_key(out, v, ind);
}

/// `key:` (the caller has indented); a key too long for YAML's implicit
/// keys (1024 characters) is written as an explicit `? key` entry, as
/// go-yaml does.
pub(super) fn write_key(out: &mut String, k: &str, ind: usize) {
    let start = out.len();
    write_string(out, k);
    if out.len() - start > 1000 {
        let key_text = out.split_off(start);
        out.push_str("? ");
        out.push_str(&key_text);
        out.push('\n');
        indent(out, ind);
    }
    out.push(':');
}

/// A string after `key:` at indentation `ind`.
pub(super) fn write_str_after_key(out: &mut String, s: &str, ind: usize) {
    out.push(' ');
    write_str_item(out, s, ind);
}

/// [`write_str_after_key`] for stored bytes.
pub(super) fn write_bytes_after_key(out: &mut String, b: &[u8], ind: usize) {
    out.push(' ');
    write_bytes_item(out, b, ind);
}

/// [`write_str_item`] for stored bytes: plain ASCII text as it is (no
/// separate UTF-8 check), anything else as text (bytes that are not
/// UTF-8 replaced, as the tree does).
pub(super) fn write_bytes_item(out: &mut String, b: &[u8], ind: usize) {
    match plain_text(b) {
        Some(s) => {
            out.push_str(s);
            out.push('\n');
        }
        None => write_str_item(out, &text(b), ind),
    }
}

/// Stored text; invalid UTF-8 replaced by U+FFFD as Go's JSON encoder
/// does (valid text, nearly always, checked by the fast validator).
pub(super) fn text(b: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

/// A string after `- ` of a sequence indented to `ind`.
pub(super) fn write_str_item(out: &mut String, s: &str, ind: usize) {
    // Most strings are plain text on one line (no line break, so no
    // block): written as they are.
    if plain_text(s.as_bytes()).is_some() {
        out.push_str(s);
        out.push('\n');
    } else if is_block(s) {
        block(out, s, ind + 2);
    } else {
        write_string(out, s);
        out.push('\n');
    }
}

/// A value after `key:` at indentation `ind`.
pub(super) fn write_value_after_key(out: &mut String, v: &ApiValue, ind: usize) {
    match v {
        ApiValue::Obj(m) if !m.is_empty() => {
            out.push('\n');
            indent(out, ind + 2);
            write_map(out, m, ind + 2);
        }
        ApiValue::Arr(a) if !a.is_empty() => {
            out.push('\n');
            indent(out, ind);
            write_seq(out, a, ind);
        }
        ApiValue::Str(s) if is_block(s) => {
            out.push(' ');
            block(out, s, ind + 2);
        }
        other => {
            out.push(' ');
            write_scalar(out, other);
            out.push('\n');
        }
    }
}

/// A sequence whose first `- ` is already indented to `ind`.
fn write_seq(out: &mut String, a: &[ApiValue], ind: usize) {
    for (i, v) in a.iter().enumerate() {
        if i > 0 {
            indent(out, ind);
        }
        out.push_str("- ");
        write_item(out, v, ind);
    }
}

/// One item of a sequence indented to `ind`, after its `- `.
pub(super) fn write_item(out: &mut String, v: &ApiValue, ind: usize) {
    match v {
        ApiValue::Obj(m) if !m.is_empty() => write_map(out, m, ind + 2),
        ApiValue::Arr(inner) if !inner.is_empty() => write_seq(out, inner, ind + 2),
        ApiValue::Str(s) if is_block(s) => block(out, s, ind + 2),
        other => {
            write_scalar(out, other);
            out.push('\n');
        }
    }
}

/// Multi-line text goes into a literal block.
fn is_block(s: &str) -> bool {
    s.contains('\n')
        && s.chars()
            .all(|c| c == '\n' || yaml_printable(c))
        && !s.lines().any(|l| l.ends_with(' ') || l.ends_with('\t'))
        // The first line with text sets the block's indentation: it must
        // not start with a space (nor be missing: "\n" alone is quoted).
        && s.lines()
            .find(|l| !l.is_empty())
            .is_some_and(|l| !l.starts_with(' ') && !l.starts_with('\t'))
}

/// `|`, `|-` or `|+` and the lines, indented to `ind`.
fn block(out: &mut String, s: &str, ind: usize) {
    let trailing = s.len() - s.trim_end_matches('\n').len();
    out.push('|');
    match trailing {
        0 => out.push('-'),
        1 => {}
        _ => out.push('+'),
    }
    out.push('\n');
    let body = s.trim_end_matches('\n');
    for line in body.split('\n') {
        if !line.is_empty() {
            indent(out, ind);
            out.push_str(line);
        }
        out.push('\n');
    }
    for _ in 1..trailing {
        out.push('\n');
    }
}

/// A scalar (or an empty collection) on one line.
pub(super) fn write_scalar(out: &mut String, v: &ApiValue) {
    match v {
        ApiValue::Null => out.push_str("null"),
        ApiValue::Bool(true) => out.push_str("true"),
        ApiValue::Bool(false) => out.push_str("false"),
        ApiValue::Int(i) => out.push_str(itoa::Buffer::new().format(*i)),
        ApiValue::UInt(u) => out.push_str(itoa::Buffer::new().format(*u)),
        ApiValue::Float(f) => out.push_str(&float(*f)),
        ApiValue::Str(s) => write_string(out, s),
        ApiValue::Arr(_) => out.push_str("[]"),
        ApiValue::Obj(_) => out.push_str("{}"),
    }
}

/// Floats as go-yaml writes them (strconv 'g' with the shortest repr).
fn float(f: f64) -> String {
    if f.is_nan() {
        ".nan".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        }
    } else if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.0}")
    } else if f.abs() >= 1e15 || (f != 0.0 && f.abs() < 1e-6) {
        // Exponent form with a dot and a signed exponent, which every YAML
        // reads as a float (an integer this long would not fit).
        let e = format!("{f:e}");
        let (mant, exp) = e.split_once('e').unwrap_or((e.as_str(), "0"));
        let mant = if mant.contains('.') {
            mant.to_string()
        } else {
            format!("{mant}.0")
        };
        let exp = if exp.starts_with('-') {
            exp.to_string()
        } else {
            format!("+{exp}")
        };
        format!("{mant}e{exp}")
    } else {
        format!("{f}")
    }
}

/// A string as plain, single-quoted or double-quoted text.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_string(&mut out, s);
    out
}

/// [`string`], appended to `out` (the hot path: no allocation for the
/// common plain string).
pub(super) fn write_string(out: &mut String, s: &str) {
    // One pass over the bytes for the common case: ASCII, no control
    // characters, no YAML syntax inside, no word YAML would read as
    // something else.
    if plain_text(s.as_bytes()).is_some() {
        out.push_str(s);
        return;
    }
    if needs_double(s) || resolves_as_other(s) {
        out.push_str(&double_quoted(s));
    } else if plain_ok(s) {
        out.push_str(s);
    } else {
        out.push('\'');
        for c in s.chars() {
            if c == '\'' {
                out.push('\'');
            }
            out.push(c);
        }
        out.push('\'');
    }
}

/// Stored bytes YAML writes as they are, as text: `simple_plain_bytes` bytes
/// (printable ASCII, so valid UTF-8 without a second pass over them) that
/// read back as this string. The same answer as `simple_plain_bytes(b) &&
/// !resolves_as_other(s)` (a test compares them), in one pass of eight
/// bytes at a time: most values are short names, and the two checks in
/// turn were a sixth of writing a Pod.
#[inline]
pub(super) fn plain_text(b: &[u8]) -> Option<&str> {
    let (&first, &last) = (b.first()?, b.last()?);
    let start = FIRST_BYTE[usize::from(first)];
    if start == START_NEVER_PLAIN || last == b' ' || last == b':' {
        return None;
    }
    let (bad, space) = scan_ascii(b);
    if bad {
        return None;
    }
    if space
        && b.windows(2)
            .any(|w| (w[0] == b':' && w[1] == b' ') || (w[0] == b' ' && w[1] == b'#'))
    {
        return None;
    }
    // SAFETY: `scan_ascii` found every byte within 0x20..=0x7e, which is
    // ASCII and so valid UTF-8.
    let s = unsafe { std::str::from_utf8_unchecked(b) };
    if start == START_MAYBE_OTHER && resolves_as_other(s) {
        return None;
    }
    Some(s)
}

/// [`FIRST_BYTE`]: a plain scalar may start with this byte, and nothing
/// but a string starts with it.
const START_PLAIN: u8 = 0;
/// A YAML indicator or a space: never plain (`simple_plain_bytes`).
const START_NEVER_PLAIN: u8 = 1;
/// A byte a word, number or timestamp starts with: see
/// [`resolves_as_other`].
const START_MAYBE_OTHER: u8 = 2;

/// What the first byte of a string says about writing it plain.
static FIRST_BYTE: [u8; 256] = {
    let mut t = [START_PLAIN; 256];
    let never = b"-?:,[]{}#&*!|>'\"%@` ";
    let mut i = 0;
    while i < never.len() {
        t[never[i] as usize] = START_NEVER_PLAIN;
        i += 1;
    }
    let maybe = b"~nNyYtTfFoO.+<0123456789";
    let mut i = 0;
    while i < maybe.len() {
        t[maybe[i] as usize] = START_MAYBE_OTHER;
        i += 1;
    }
    // `-` starts numbers too, but is an indicator first.
    t
};

/// (any byte outside printable ASCII 0x20..=0x7e, any space), eight
/// bytes at a time (the SWAR tests of "Bit Twiddling Hacks": a byte less
/// than n, more than n, equal to zero).
#[inline]
fn scan_ascii(b: &[u8]) -> (bool, bool) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let word = |x: u64| {
        let below = x.wrapping_sub(0x20 * ONES) & !x & HIGH;
        let above = (x.wrapping_add(ONES) | x) & HIGH;
        let s = x ^ (0x20 * ONES);
        let space = s.wrapping_sub(ONES) & !s & HIGH;
        (below | above, space)
    };
    let mut bad = 0;
    let mut space = 0;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let (x, s) = word(u64::from_le_bytes(w));
        bad |= x;
        space |= s;
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        // The last eight bytes again when there are eight (bytes seen
        // twice change nothing); else the few bytes in a word filled up
        // with `A`, which is neither. Built in a register: a copy to the
        // stack read back as a word stalled on store forwarding.
        let x = match b.len().checked_sub(8).and_then(|at| b.get(at..)) {
            Some(last) => last
                .iter()
                .rev()
                .fold(0u64, |w, &c| (w << 8) | u64::from(c)),
            None => rest
                .iter()
                .enumerate()
                .fold(u64::from(b'A') * ONES, |w, (i, &c)| {
                    w ^ (u64::from(c ^ b'A') << (8 * i))
                }),
        };
        let (x, s) = word(x);
        bad |= x;
        space |= s;
    }
    (bad != 0, space != 0)
}

/// ASCII text that go-yaml writes plain: printable, not starting with an
/// indicator or a space, no `: ` or ` #` inside, no trailing space or
/// colon. Kept for tests, as the definition of [`plain_text`]'s first
/// half.
#[cfg(test)]
fn simple_plain_bytes(b: &[u8]) -> bool {
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return false;
    };
    if matches!(
        first,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
            | b' '
    ) || last == b' '
        || last == b':'
    {
        return false;
    }
    // Printable ASCII only (one pass without an early exit, which the
    // compiler vectorizes), then `: ` and ` #` only where there is a space.
    if b.iter()
        .fold(0u8, |bad, &c| bad | u8::from(c.wrapping_sub(0x20) >= 0x5f))
        != 0
    {
        return false;
    }
    !b.contains(&b' ')
        || !b
            .windows(2)
            .any(|w| (w[0] == b':' && w[1] == b' ') || (w[0] == b' ' && w[1] == b'#'))
}

/// YAML's printable set (`nb-char` of YAML 1.1/1.2, less the BOM and
/// the Unicode line separators, which YAML reads as line breaks).
fn yaml_printable(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && !matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}')
}

/// Characters only a double-quoted scalar can carry.
fn needs_double(s: &str) -> bool {
    !s.chars().all(yaml_printable)
}

fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\u{1b}' => out.push_str("\\e"),
            // YAML 1.1 reads these as line breaks even inside quotes.
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if !yaml_printable(c) => {
                let n = c as u32;
                if n <= 0xff {
                    out.push_str(&format!("\\x{n:02X}"));
                } else {
                    out.push_str(&format!("\\u{n:04X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether plain `s` would be read back by YAML 1.1 (go-yaml v2's
/// resolver) as something other than this string.
fn resolves_as_other(s: &str) -> bool {
    // Every YAML word ([`is_yaml_word`]), number and timestamp starts
    // with one of these bytes; most strings (names, images, paths) start
    // with another.
    match s.as_bytes().first() {
        None => return true,
        Some(
            b'~'
            | b'n'
            | b'N'
            | b'y'
            | b'Y'
            | b't'
            | b'T'
            | b'f'
            | b'F'
            | b'o'
            | b'O'
            | b'.'
            | b'+'
            | b'-'
            | b'<'
            | b'0'..=b'9',
        ) => {}
        Some(_) => return false,
    }
    // Past five characters only numbers and timestamps remain, and both
    // start with a digit, a dot or a sign.
    if s.len() > 5 && s.as_bytes()[0].is_ascii_alphabetic() {
        return false;
    }
    if is_yaml_word(s.as_bytes()) {
        return true;
    }
    is_number(s) || is_timestamp(s)
}

/// YAML 1.1's null, bool, infinity and NaN words and the merge key, as
/// go-yaml v2 resolves them, matched by length first (a list of words
/// compared in turn was a tenth of writing a Pod).
fn is_yaml_word(s: &[u8]) -> bool {
    match s.len() {
        0 => true,
        1 => matches!(s[0], b'~' | b'y' | b'Y' | b'n' | b'N'),
        2 => matches!(s, b"no" | b"No" | b"NO" | b"on" | b"On" | b"ON" | b"<<"),
        3 => matches!(s, b"yes" | b"Yes" | b"YES" | b"off" | b"Off" | b"OFF"),
        4 => matches!(
            s,
            b"null"
                | b"Null"
                | b"NULL"
                | b"true"
                | b"True"
                | b"TRUE"
                | b".inf"
                | b".Inf"
                | b".INF"
                | b".nan"
                | b".NaN"
                | b".NAN"
        ),
        5 => matches!(
            s,
            b"false"
                | b"False"
                | b"FALSE"
                | b"+.inf"
                | b"+.Inf"
                | b"+.INF"
                | b"-.inf"
                | b"-.Inf"
                | b"-.INF"
        ),
        _ => false,
    }
}

fn is_number(s: &str) -> bool {
    let t = s.strip_prefix(['-', '+']).unwrap_or(s);
    // Every number starts with a digit or a dot (`.5`): most strings stop
    // here, before any copy.
    if !t.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return false;
    }
    // Hex digits, the 0x/0o prefixes, `_`, `.`, signs and `e` are all a
    // number can hold (`250m`, `64Mi` stop here). In the same pass: a
    // number has at most one dot (addresses stop here), and a sign only
    // after its exponent's `e` (UIDs stop here; `_`, which is dropped
    // before parsing, may stand between them).
    let b = t.as_bytes();
    let (mut dots, mut underscore, mut inner_sign) = (0, false, false);
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' | b'x' | b'X' | b'o' | b'O' => {}
            b'_' => underscore = true,
            b'.' => dots += 1,
            b'+' | b'-' => {
                inner_sign |= i == 0 || !matches!(b[i - 1], b'e' | b'E');
            }
            _ => return false,
        }
    }
    if dots > 1 || (inner_sign && !underscore) {
        return false;
    }
    parses_as_number(t, underscore)
}

/// Whether `t` (a sign stripped; only bytes a number can hold) reads as
/// an integer or a float once its `_` are dropped (`underscore`: it has
/// some).
fn parses_as_number(t: &str, underscore: bool) -> bool {
    let owned;
    let t = if underscore {
        owned = t.replace('_', "");
        owned.as_str()
    } else {
        t
    };
    // go-yaml v2 tries Go's strconv.ParseInt(s, 0, 64), which takes the
    // 0x, 0o and 0b prefixes in either case (`0o17` is an int to kubectl).
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit());
    }
    if let Some(o) = t.strip_prefix("0o").or_else(|| t.strip_prefix("0O")) {
        return !o.is_empty() && o.bytes().all(|c| (b'0'..=b'7').contains(&c));
    }
    if let Some(b) = t.strip_prefix("0b").or_else(|| t.strip_prefix("0B")) {
        return !b.is_empty() && b.bytes().all(|c| c == b'0' || c == b'1');
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    // Floats: digits with one dot and an optional exponent (`1.5`, `.5`,
    // `1e3`, `6.02e+23`).
    let (mant, exp) = match t.bytes().position(|c| c == b'e' || c == b'E') {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let dots = mant.bytes().filter(|&b| b == b'.').count();
    let digits = mant.bytes().filter(u8::is_ascii_digit).count();
    let mant_ok = dots <= 1 && digits > 0 && mant.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let exp_ok = match exp {
        None => dots == 1 || digits > 0,
        Some(e) => {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
        }
    };
    mant_ok && exp_ok && (dots == 1 || exp.is_some())
}

/// `2001-12-14`, `2001-12-14t21:59:43.10-05:00`, `2017-06-27T16:35:34Z`.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 8 || !b[0].is_ascii_digit() {
        return false;
    }
    let date = b
        .iter()
        .take_while(|c| c.is_ascii_digit() || **c == b'-')
        .count();
    let d = &s[..date];
    // Three parts, the year of four digits, none empty or longer than 4.
    let mut parts = 0;
    for (i, p) in d.split('-').enumerate() {
        parts += 1;
        if p.is_empty() || p.len() > 4 || (i == 0 && p.len() != 4) {
            return false;
        }
    }
    if parts != 3 {
        return false;
    }
    date == s.len() || matches!(b.get(date), Some(b'T' | b't' | b' ' | b'\t'))
}

/// Whether go-yaml would leave `s` unquoted.
fn plain_ok(s: &str) -> bool {
    let first = s.chars().next().unwrap_or(' ');
    if matches!(
        first,
        '-' | '?'
            | ':'
            | ','
            | '['
            | ']'
            | '{'
            | '}'
            | '#'
            | '&'
            | '*'
            | '!'
            | '|'
            | '>'
            | '\''
            | '"'
            | '%'
            | '@'
            | '`'
            | ' '
    ) {
        // `-foo` and `:foo` are plain in YAML, but go-yaml quotes any
        // leading indicator except when followed by a non-space for - ? :
        let second = s.chars().nth(1);
        let ok = matches!(first, '-' | '?' | ':')
            && second.is_some_and(|c| c != ' ')
            && s != "-"
            && !s.starts_with("---");
        if !ok {
            return false;
        }
    }
    if s.ends_with(' ') || s.ends_with(':') {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.contains('\t') {
        return false;
    }
    !s.chars().any(|c| c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `is_number` without its prefilter (dots, signs): the bytes a
    /// number can hold, then the parse. The definition the prefilter is
    /// held to.
    fn is_number_unfiltered(s: &str) -> bool {
        let t = s.strip_prefix(['-', '+']).unwrap_or(s);
        t.starts_with(|c: char| c.is_ascii_digit() || c == '.')
            && t.bytes().all(|b| {
                b.is_ascii_hexdigit()
                    || matches!(b, b'x' | b'X' | b'o' | b'O' | b'_' | b'.' | b'+' | b'-')
            })
            && parses_as_number(t, t.contains('_'))
    }

    /// The prefilter changes no answer: every string of up to four bytes
    /// over the bytes a number can hold, and 200,000 longer random ones.
    #[test]
    fn is_number_prefilter_changes_nothing() {
        let alphabet = b"0123456789.+-_eExXoOabfAF";
        let mut all = vec![String::new()];
        let mut level = vec![String::new()];
        for _ in 0..4 {
            let mut next = Vec::new();
            for p in &level {
                for &c in alphabet {
                    let mut q = p.clone();
                    q.push(char::from(c));
                    next.push(q);
                }
            }
            all.extend(next.iter().cloned());
            level = next;
        }
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = 5 + (x % 20) as usize;
            let mut y = x;
            all.push(
                (0..len)
                    .map(|_| {
                        y = y.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                        char::from(alphabet[((y >> 33) % alphabet.len() as u64) as usize])
                    })
                    .collect(),
            );
        }
        for s in [
            "10.244.0.1",
            "00000000-0000-4000-8000-000000000042",
            "1e_+5",
            "1_0.5",
            "6.02e+23",
        ] {
            all.push(s.to_string());
        }
        for s in &all {
            assert_eq!(is_number(s), is_number_unfiltered(s), "{s:?}");
        }
    }

    /// The one-pass classifier gives the two checks' answer: on every
    /// string of up to two bytes, on words, numbers and timestamps, and on
    /// 200,000 random strings of YAML's troublesome bytes, of lengths
    /// across the eight-byte steps.
    #[test]
    fn plain_text_agrees_with_its_definition() {
        let check = |b: &[u8]| {
            let want = simple_plain_bytes(b)
                && std::str::from_utf8(b).is_ok_and(|s| !resolves_as_other(s));
            assert_eq!(plain_text(b).is_some(), want, "{b:?}");
            if let Some(s) = plain_text(b) {
                assert_eq!(s.as_bytes(), b);
            }
        };
        check(b"");
        for a in 0..=255u8 {
            check(&[a]);
            for z in 0..=255u8 {
                check(&[a, z]);
            }
        }
        for w in [
            "null",
            "True",
            "yes",
            "off",
            "~",
            "<<",
            ".inf",
            "-.Inf",
            ".NaN",
            "8080",
            "0o17",
            "0x1F",
            "1e3",
            "1_000",
            "+12",
            ".5",
            "2026-01-01",
            "2026-01-01T00:00:00Z",
            "10.244.0.1",
            "250m",
            "64Mi",
            "nginx:1.27",
            "a: b",
            "a #b",
            "a#b",
            "key:",
            "trail ",
            "no",
            "Norway",
            "on",
            "onion",
            "0000000000000000",
            "12345678",
            "123456789",
        ] {
            check(w.as_bytes());
        }
        let alphabet = b" :#-.0123456789eExXoO_+naNTrufl~<\t\x7f\x80\xc3\xa9\x00zZ";
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..200_000 {
            let len = (next() % 26) as usize;
            let b: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            check(&b);
        }
    }

    fn s(x: &str) -> ApiValue {
        ApiValue::Str(x.into())
    }

    /// Expectations from kubectl's output (go-yaml v2 via
    /// sigs.k8s.io/yaml), e.g. auger's testdata/yaml/pod.yaml.
    #[test]
    fn quoting_as_kubectl() {
        assert_eq!(string("2017-06-27T16:35:34Z"), "\"2017-06-27T16:35:34Z\"");
        assert_eq!(string("True"), "\"True\"");
        assert_eq!(string("8080"), "\"8080\"");
        assert_eq!(string("1.5"), "\"1.5\"");
        assert_eq!(string(""), "\"\"");
        assert_eq!(string("null"), "\"null\"");
        assert_eq!(string("10.244.2.8"), "10.244.2.8");
        assert_eq!(string("100m"), "100m");
        assert_eq!(string("perl:latest"), "perl:latest");
        assert_eq!(string("-Mbignum=bpi"), "-Mbignum=bpi");
        // Integers to Go's strconv.ParseInt(s, 0, 64), which go-yaml v2
        // tries first (found by the k8s_render fuzz target: `0o0`).
        for n in ["0o0", "0O17", "0x1F", "0X1f", "0b101", "0B1", "1_000"] {
            assert_eq!(string(n), format!("\"{n}\""), "{n}");
        }
        for s in ["0o8", "0x", "0b2", "0oo1", "250m", "64Mi"] {
            assert_eq!(string(s), s, "{s}");
        }
        assert_eq!(string("a: b"), "'a: b'");
        assert_eq!(string("it's: x"), "'it''s: x'");
        assert_eq!(string("*"), "'*'");
        assert_eq!(string("bell\u{7}"), "\"bell\\a\"");
        assert_eq!(string("/dev/termination-log"), "/dev/termination-log");
        // YAML 1.1's booleans, nulls and special floats (go-yaml v2's
        // resolve.go table) stay strings only when quoted; near misses do not
        // need quotes.
        for w in [
            "~", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON",
            "off", "Off", "OFF", "true", "TRUE", "false", "False", "FALSE", "Null", "NULL", ".inf",
            ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN",
            ".NAN", "<<",
        ] {
            assert_eq!(string(w), format!("\"{w}\""), "{w}");
        }
        for w in [
            "yess", "nullx", "Trues", "offf", "tru", "nan", "inf", "x.inf",
        ] {
            assert_eq!(string(w), w, "{w}");
        }
    }

    #[test]
    fn layout_as_kubectl() {
        let v = ApiValue::Obj(vec![
            ("kind".into(), s("Pod")),
            ("apiVersion".into(), s("v1")),
            (
                "spec".into(),
                ApiValue::Obj(vec![
                    (
                        "containers".into(),
                        ApiValue::Arr(vec![ApiValue::Obj(vec![
                            ("name".into(), s("pi")),
                            ("command".into(), ApiValue::Arr(vec![s("perl"), s("-wle")])),
                        ])]),
                    ),
                    ("securityContext".into(), ApiValue::obj()),
                ]),
            ),
            ("note".into(), s("{\"kind\":\"SerializedReference\"}\n")),
        ]);
        let want = "apiVersion: v1\nkind: Pod\nnote: |\n  {\"kind\":\"SerializedReference\"}\nspec:\n  containers:\n  - command:\n    - perl\n    - -wle\n    name: pi\n  securityContext: {}\n";
        assert_eq!(to_yaml(&v), want);
    }

    #[test]
    fn yaml_reads_back_the_same() {
        let v = ApiValue::Obj(vec![
            ("a".into(), s("x: y")),
            ("b".into(), s("line1\nline2")),
            ("c".into(), s("  lead")),
            ("d".into(), ApiValue::Int(-3)),
            ("e".into(), s("0x1F")),
            ("f".into(), s("tab\there")),
            ("g".into(), ApiValue::Null),
            ("h".into(), s("#hash")),
            ("i".into(), s("2001-12-14")),
            // Found by the k8s_render fuzz target: newlines only, and a
            // first line of text that starts with spaces.
            ("j".into(), s("\n")),
            ("k".into(), s("\n\n")),
            ("l".into(), s("\n  indented\nx")),
            ("m".into(), s("a\nb\u{2028}c")),
            ("n".into(), s("x \u{2029}y")),
            ("o".into(), s("x \u{85}y")),
            ("p".into(), s("a\u{fffe}b\u{ffff}")),
            ("q".into(), s("a\nb\u{fffe}")),
            (
                "k".repeat(1500).into(),
                ApiValue::Obj(vec![("x".into(), s("y"))]),
            ),
            ("z".repeat(1100).into(), s("v")),
            ("f1".into(), ApiValue::Float(1e20)),
            ("f2".into(), ApiValue::Float(-2.5e-9)),
            ("f3".into(), ApiValue::Float(1.5)),
        ]);
        let text = to_yaml(&v);
        let back: serde_json::Value = serde_norway::from_str(&text).expect("valid YAML");
        assert_eq!(back, v.to_json(), "{text}");
    }
}
