//! Recognising a protocol from the first bytes of a connection.
//!
//! Looks at what each side sent first: a TLS record header (or an SSLv2
//! ClientHello), the HTTP/2 connection preface, an HTTP/1 request line or
//! status line. Undecided while too few bytes have arrived; after that,
//! [`Detection::Unknown`].

use super::Protocol;

/// The outcome of looking at the bytes seen so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detection {
    Found(Protocol),
    /// Could still be something: wait for more bytes.
    NeedMore,
    /// Enough bytes seen and none matched.
    Unknown,
}

/// Bytes kept per direction while a connection's protocol is undecided.
pub const DETECT_WINDOW: usize = 64;

const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const METHODS: [&[u8]; 9] = [
    b"GET ",
    b"POST ",
    b"PUT ",
    b"DELETE ",
    b"HEAD ",
    b"OPTIONS ",
    b"PATCH ",
    b"CONNECT ",
    b"TRACE ",
];

/// Checks one direction's first bytes.
pub fn detect(first: &[u8]) -> Detection {
    if first.is_empty() {
        return Detection::NeedMore;
    }
    // TLS record: content type 20..=23, version 3.x (x <= 4).
    if (20..=23).contains(&first[0]) {
        if first.len() < 3 {
            return Detection::NeedMore;
        }
        if first[1] == 3 && first[2] <= 4 {
            return Detection::Found(Protocol::Tls);
        }
    }
    // SSLv2-format ClientHello: 2-byte length with the high bit, type 1, version 3.x.
    if first[0] & 0x80 != 0 {
        if first.len() < 5 {
            return Detection::NeedMore;
        }
        if first[2] == 1 && first[3] == 3 {
            return Detection::Found(Protocol::Tls);
        }
    }
    match prefix_match(first, H2_PREFACE) {
        Some(true) => return Detection::Found(Protocol::Http2),
        None => return Detection::NeedMore,
        Some(false) => {}
    }
    let mut undecided = false;
    for m in METHODS.iter().chain([&b"HTTP/1."[..]].iter()) {
        match prefix_match(first, m) {
            Some(true) => return Detection::Found(Protocol::Http1),
            None => undecided = true,
            Some(false) => {}
        }
    }
    if undecided {
        Detection::NeedMore
    } else {
        Detection::Unknown
    }
}

/// Whether a TLS record carrying a ClientHello starts at `b[0]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelloAt {
    Yes,
    No,
    /// Consistent so far; the next bytes decide.
    NeedMore,
}

/// Smallest ClientHello body: version, random, session id length, one
/// cipher suite, one compression method (RFC 8446 §4.1.2).
const MIN_HELLO_BODY: usize = 2 + 32 + 1 + 2 + 2 + 1 + 1;
/// Largest record body (RFC 5246 §6.2.3).
const MAX_RECORD_BODY: usize = 16384 + 2048;

/// Checks the 11 bytes of a ClientHello's start: a handshake record
/// (type 22, version 3.0-3.4, length 1..=2^14+2048), handshake type 1, a
/// handshake length at least a minimal hello's and at most 64 KiB, the
/// hello's legacy version 3.x. Used to find TLS after a plaintext prefix
/// (STARTTLS), where a weaker test would fire on binary protocol bytes.
pub fn client_hello_at(b: &[u8]) -> HelloAt {
    /// A byte position and the test its value must pass.
    type Check = (usize, fn(u8) -> bool);
    const CHECKS: [Check; 4] = [
        (0, |x| x == 22),
        (1, |x| x == 3),
        (2, |x| x <= 4),
        (5, |x| x == 1),
    ];
    for (i, ok) in CHECKS {
        match b.get(i) {
            Some(&x) if !ok(x) => return HelloAt::No,
            None => return HelloAt::NeedMore,
            Some(_) => {}
        }
    }
    // b has at least 6 bytes here.
    let rec_len = usize::from(u16::from_be_bytes([b[3], b[4]]));
    if !(4 + MIN_HELLO_BODY..=MAX_RECORD_BODY).contains(&rec_len) {
        return HelloAt::No;
    }
    let (Some(&h0), Some(&h1), Some(&h2)) = (b.get(6), b.get(7), b.get(8)) else {
        return HelloAt::NeedMore;
    };
    let hs_len = (usize::from(h0) << 16) | (usize::from(h1) << 8) | usize::from(h2);
    if !(MIN_HELLO_BODY..=64 * 1024).contains(&hs_len) {
        return HelloAt::No;
    }
    match (b.get(9), b.get(10)) {
        (Some(3), Some(minor)) if *minor <= 4 => HelloAt::Yes,
        (Some(3), None) | (None, _) => HelloAt::NeedMore,
        _ => HelloAt::No,
    }
}

/// `Some(true)` if `data` starts with `pattern`, `None` if `data` is a
/// proper prefix of it, `Some(false)` otherwise.
fn prefix_match(data: &[u8], pattern: &[u8]) -> Option<bool> {
    if data.len() >= pattern.len() {
        Some(&data[..pattern.len()] == pattern)
    } else if pattern.starts_with(data) {
        None
    } else {
        Some(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_each_protocol() {
        assert_eq!(
            detect(&[0x16, 0x03, 0x01, 0x02, 0x00]),
            Detection::Found(Protocol::Tls)
        );
        assert_eq!(detect(&[0x17, 0x03, 0x03]), Detection::Found(Protocol::Tls));
        assert_eq!(
            detect(&[0x80, 0x2e, 0x01, 0x03, 0x01]),
            Detection::Found(Protocol::Tls)
        );
        assert_eq!(detect(H2_PREFACE), Detection::Found(Protocol::Http2));
        assert_eq!(
            detect(b"PUT /v2/keys/a HTTP/1.1\r\n"),
            Detection::Found(Protocol::Http1)
        );
        assert_eq!(
            detect(b"HTTP/1.1 200 OK\r\n"),
            Detection::Found(Protocol::Http1)
        );
    }

    #[test]
    fn client_hello_header_checks() {
        let good = [0x16, 3, 1, 0x02, 0, 1, 0, 0x01, 0xfc, 3, 3];
        assert_eq!(client_hello_at(&good), HelloAt::Yes);
        for n in 0..good.len() {
            assert_eq!(client_hello_at(&good[..n]), HelloAt::NeedMore, "{n}");
        }
        let mut bad = good;
        bad[5] = 2; // ServerHello
        assert_eq!(client_hello_at(&bad), HelloAt::No);
        let mut bad = good;
        bad[9] = 2; // legacy version 2.x
        assert_eq!(client_hello_at(&bad), HelloAt::No);
        let mut bad = good;
        bad[3] = 0x60; // record longer than TLS allows
        assert_eq!(client_hello_at(&bad), HelloAt::No);
        assert_eq!(client_hello_at(b"STARTTLS\r\n"), HelloAt::No);
    }

    #[test]
    fn waits_for_prefixes_and_gives_up_on_garbage() {
        assert_eq!(detect(b"PRI * HT"), Detection::NeedMore);
        assert_eq!(detect(b"P"), Detection::NeedMore);
        assert_eq!(detect(&[0x16]), Detection::NeedMore);
        assert_eq!(detect(b"SSH-2.0-OpenSSH_9.2\r\n"), Detection::Unknown);
        assert_eq!(detect(&[0x16, 0x09, 0x09]), Detection::Unknown);
        assert_eq!(detect(b"GETX"), Detection::Unknown);
    }
}
