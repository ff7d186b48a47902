//! Text from the wire or from a file, made safe for a terminal.
//!
//! A captured SNI, an HTTP/2 `:path`, a certificate's common name or a key
//! in etcd can hold ESC, BEL, CR, LF or other control characters: printed
//! raw they move the cursor, rewrite the screen or forge whole output
//! lines. Every human table and text line goes through [`escape_control`]
//! ([`crate::view::Out::line`] applies it to each line); JSON output is
//! left exact (serde escapes C0 itself, and a JSON consumer wants the
//! real value).
//!
//! Escapes: C0 controls (tab included), DEL and C1 controls become `\xNN`
//! (as `etcd keys` always showed binary keys), and the Unicode bidi
//! controls that reorder text on screen (U+202A..U+202E, U+2066..U+2069,
//! U+200E, U+200F) become `\u{NNNN}`.

use std::borrow::Cow;
use std::fmt::Write;

/// True for a character [`escape_control`] rewrites.
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// [`escape_control`], except for the colour sequences kinspect itself
/// writes ([`crate::view::style::SEQUENCES`]): a painted table keeps its
/// colours, while anything else that starts with ESC (a cursor move, a
/// title change) is escaped. Colour codes cannot move the cursor or forge
/// a line; CR, LF and every other control character are still escaped.
pub fn escape_control_keep_style(s: &str) -> Cow<'_, str> {
    if !s.contains('\x1b') {
        return escape_control(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut rest = s;
    while let Some(i) = rest.find('\x1b') {
        out.push_str(&escape_control(&rest[..i]));
        let tail = &rest[i..];
        match crate::view::style::SEQUENCES
            .iter()
            .find(|q| tail.starts_with(**q))
        {
            Some(q) => {
                out.push_str(q);
                rest = &tail[q.len()..];
            }
            None => {
                out.push_str(&escape_control("\x1b"));
                rest = &tail[1..];
            }
        }
    }
    out.push_str(&escape_control(rest));
    Cow::Owned(out)
}

/// `s` with control characters escaped (borrowed when there are none).
pub fn escape_control(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

/// Appends `c`, escaped if it must be.
pub fn push_escaped(out: &mut String, c: char) {
    if c.is_control() {
        let _ = write!(out, "\\x{:02x}", c as u32);
    } else if needs_escape(c) {
        let _ = write!(out, "\\u{{{:04x}}}", c as u32);
    } else {
        out.push(c);
    }
}

/// Bytes for display: UTF-8 escaped as above, other bytes as `\xNN`.
pub fn escape_bytes(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len());
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_escaped(&mut s, c);
        }
        for b in chunk.invalid() {
            let _ = write!(s, "\\x{b:02x}");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_colours_pass_other_escapes_do_not() {
        let painted = "a \x1b[1;31mexpired\x1b[0m b";
        assert_eq!(escape_control_keep_style(painted), painted);
        assert_eq!(
            escape_control_keep_style("x\x1b[2Jy\x1b[31mz"),
            "x\\x1b[2Jy\\x1b[31mz"
        );
        assert_eq!(escape_control_keep_style("\x1b[32m\r"), "\x1b[32m\\x0d");
    }

    #[test]
    fn controls_are_escaped_and_text_is_kept() {
        assert!(matches!(
            escape_control("kube-apiserver ünï 日本"),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            escape_control("a\u{1b}[2Jb\u{7}c\rd\ne\tf\u{7f}g\u{9b}h"),
            "a\\x1b[2Jb\\x07c\\x0dd\\x0ae\\x09f\\x7fg\\x9bh"
        );
        assert_eq!(escape_control("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(escape_bytes(b"/registry/\xff\x1b"), "/registry/\\xff\\x1b");
    }
}
