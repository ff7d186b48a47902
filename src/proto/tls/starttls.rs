//! TLS that starts after a plaintext exchange (STARTTLS, PostgreSQL's
//! SSLRequest, LDAP's StartTLS extended operation), on any port.
//!
//! A connection whose first bytes are no protocol kinspect knows gets a
//! [`PlainWatcher`]: it scans the client's bytes for a TLS record header
//! that parses into a ClientHello ([`find_client_hello`], the header
//! checks in [`crate::proto::detect::client_hello_at`]), and from there
//! on hands both directions to a [`TlsDissector`]. The plaintext before
//! is counted per direction and the exchange that asked for TLS is named
//! from its last client command and the server's first bytes
//! ([`recognise`]): SMTP `STARTTLS`, IMAP `a STARTTLS`, POP3 `STLS`, FTP
//! `AUTH TLS`, LDAP extended operation 1.3.6.1.4.1.1466.20037, XMPP
//! `<starttls`, PostgreSQL SSLRequest (`00000008 04d2162f`, answered `S`).
//!
//! Bounded memory per connection: the first [`HEAD`] and the last
//! [`TAIL`] plaintext bytes of each direction, whatever the prefix length;
//! scanning costs one pass over the bytes.

use std::sync::Arc;

use serde::Serialize;

use super::TlsDissector;
use crate::proto::detect::{HelloAt, client_hello_at};
use crate::proto::{ConnInfo, Context, Direction, Dissector, EventSink, Protocol};
use crate::timestamp::Timestamp;

/// Plaintext bytes kept from the start of each direction (for naming).
pub const HEAD: usize = 64;
/// Plaintext bytes kept from the end of each direction (the command that
/// asked for TLS, and a record header cut between two segments).
pub const TAIL: usize = 256;

/// What [`find_client_hello`] found in a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scan {
    /// A ClientHello record header starts at this offset.
    Found(usize),
    /// None in the buffer; bytes from this offset on may start one that
    /// the next bytes complete (keep them).
    Partial(usize),
    /// None, and no header can start in these bytes.
    Absent,
}

/// Looks for the first TLS record header carrying a ClientHello.
pub fn find_client_hello(buf: &[u8]) -> Scan {
    let mut from = 0;
    while let Some(k) = buf
        .get(from..)
        .and_then(|rest| rest.iter().position(|&b| b == 0x16))
    {
        let at = from + k;
        match client_hello_at(&buf[at..]) {
            HelloAt::Yes => return Scan::Found(at),
            HelloAt::NeedMore => return Scan::Partial(at),
            HelloAt::No => from = at + 1,
        }
    }
    Scan::Absent
}

/// The plaintext exchange that asked for TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Exchange {
    Smtp,
    Imap,
    Pop3,
    Ftp,
    Ldap,
    Xmpp,
    Postgres,
}

impl Exchange {
    /// The protocol's name.
    pub fn protocol(self) -> &'static str {
        match self {
            Exchange::Smtp => "SMTP",
            Exchange::Imap => "IMAP",
            Exchange::Pop3 => "POP3",
            Exchange::Ftp => "FTP",
            Exchange::Ldap => "LDAP",
            Exchange::Xmpp => "XMPP",
            Exchange::Postgres => "PostgreSQL",
        }
    }

    /// What the client sent to ask for TLS.
    pub fn command(self) -> &'static str {
        match self {
            Exchange::Smtp => "STARTTLS",
            Exchange::Imap => "STARTTLS",
            Exchange::Pop3 => "STLS",
            Exchange::Ftp => "AUTH TLS",
            Exchange::Ldap => "StartTLS extended operation 1.3.6.1.4.1.1466.20037",
            Exchange::Xmpp => "<starttls/>",
            Exchange::Postgres => "SSLRequest",
        }
    }
}

/// PostgreSQL's SSLRequest: length 8, code 80877103 (`04d2162f`).
const PG_SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];
/// LDAP's StartTLS OID (RFC 4511 §4.14.1), as the LDAPOID string.
const LDAP_STARTTLS_OID: &[u8] = b"1.3.6.1.4.1.1466.20037";

/// The last complete line of `tail` (without CR LF), if it ends a line.
fn last_line(tail: &[u8]) -> Option<&[u8]> {
    let body = tail
        .strip_suffix(b"\r\n")
        .or_else(|| tail.strip_suffix(b"\n"))?;
    let start = body.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    Some(&body[start..])
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Names the exchange from the client's first and last plaintext bytes and
/// the server's first bytes. `None` for a prefix kinspect does not know.
pub fn recognise(client_head: &[u8], client_tail: &[u8], server_head: &[u8]) -> Option<Exchange> {
    if client_head.starts_with(&PG_SSL_REQUEST) {
        return Some(Exchange::Postgres);
    }
    if contains(client_tail, LDAP_STARTTLS_OID) && client_head.first() == Some(&0x30) {
        return Some(Exchange::Ldap);
    }
    if contains_ignore_case(client_tail, b"<starttls") {
        return Some(Exchange::Xmpp);
    }
    let line = last_line(client_tail)?;
    let words: Vec<&[u8]> = line
        .split(|&b| b == b' ')
        .filter(|w| !w.is_empty())
        .collect();
    let is = |w: &[u8], s: &[u8]| w.eq_ignore_ascii_case(s);
    match words.as_slice() {
        [w] if is(w, b"STARTTLS") => Some(Exchange::Smtp),
        [w] if is(w, b"STLS") => Some(Exchange::Pop3),
        [_, w] if is(w, b"STARTTLS") => Some(Exchange::Imap),
        [a, t] if is(a, b"AUTH") && (is(t, b"TLS") || is(t, b"SSL")) => Some(Exchange::Ftp),
        _ => {
            // No command line: a server whose greeting says which.
            let _ = server_head;
            None
        }
    }
}

/// The plaintext prefix before a ClientHello found by content
/// (`tls_session.starttls`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StartTls {
    /// `SMTP`, `IMAP`, ... or `null` when the exchange is not one kinspect
    /// knows.
    pub protocol: Option<&'static str>,
    /// What the client sent to ask for TLS (`STARTTLS`, `SSLRequest`).
    pub command: Option<&'static str>,
    /// Plaintext bytes before the ClientHello, per direction.
    pub client_prefix_bytes: u64,
    pub server_prefix_bytes: u64,
}

impl StartTls {
    /// A few words for a table cell: `after SMTP STARTTLS (61 plaintext bytes)`.
    pub fn short(&self) -> String {
        let n = self.client_prefix_bytes + self.server_prefix_bytes;
        match (self.protocol, self.command) {
            (Some(p), Some(c)) => format!("after {p} {c} ({n} plaintext bytes)"),
            _ => format!("after {n} plaintext bytes"),
        }
    }
}

/// One direction's plaintext so far.
#[derive(Debug, Default)]
struct Plain {
    head: Vec<u8>,
    tail: Vec<u8>,
    /// Plaintext bytes seen (in `tail` or before it).
    total: u64,
    /// Bytes lost to capture gaps.
    lost: u64,
}

impl Plain {
    fn push(&mut self, bytes: &[u8]) {
        let room = HEAD.saturating_sub(self.head.len());
        self.head.extend_from_slice(&bytes[..room.min(bytes.len())]);
        // Only the last TAIL bytes are ever copied, so the buffer's
        // capacity stays under 2 × TAIL whatever the segment sizes.
        let last = &bytes[bytes.len().saturating_sub(TAIL)..];
        let keep = TAIL - last.len();
        if self.tail.len() > keep {
            let cut = self.tail.len() - keep;
            self.tail.drain(..cut);
        }
        self.tail.extend_from_slice(last);
        self.total += bytes.len() as u64;
    }
}

/// The dissector of a connection no protocol was recognised on: silent
/// until a ClientHello appears in the client's bytes, then TLS.
pub struct PlainWatcher {
    conn: ConnInfo,
    ctx: Arc<Context>,
    plain: [Plain; 2],
    /// Client bytes that may begin a record header cut by a segment
    /// boundary (at most a header's length).
    pending: Vec<u8>,
    tls: Option<Box<TlsDissector>>,
}

impl PlainWatcher {
    pub fn new(conn: ConnInfo, ctx: Arc<Context>) -> Self {
        PlainWatcher {
            conn,
            ctx,
            plain: [Plain::default(), Plain::default()],
            pending: Vec::new(),
            tls: None,
        }
    }

    fn client_data(&mut self, ts: Timestamp, bytes: &[u8], sink: &mut dyn EventSink) {
        let mut joined = std::mem::take(&mut self.pending);
        joined.extend_from_slice(bytes);
        match find_client_hello(&joined) {
            Scan::Found(at) => {
                self.plain[0].push(&joined[..at]);
                let c = &self.plain[0];
                let s = &self.plain[1];
                let exchange = recognise(&c.head, &c.tail, &s.head);
                let info = StartTls {
                    protocol: exchange.map(Exchange::protocol),
                    command: exchange.map(Exchange::command),
                    client_prefix_bytes: c.total + c.lost,
                    server_prefix_bytes: s.total + s.lost,
                };
                sink.emit(
                    ts,
                    Direction::ClientToServer,
                    crate::event::EventKind::ProtocolDetected {
                        protocol: Protocol::Tls,
                        by: "content after a plaintext prefix",
                    },
                );
                let mut tls = Box::new(TlsDissector::new(self.conn, self.ctx.clone()));
                tls.set_starttls(info);
                tls.data(ts, Direction::ClientToServer, &joined[at..], sink);
                self.tls = Some(tls);
                self.plain = [Plain::default(), Plain::default()];
            }
            Scan::Partial(at) => {
                self.plain[0].push(&joined[..at]);
                self.pending = joined[at..].to_vec();
            }
            Scan::Absent => self.plain[0].push(&joined),
        }
    }
}

impl Dissector for PlainWatcher {
    fn protocol(&self) -> Protocol {
        if self.tls.is_some() {
            Protocol::Tls
        } else {
            Protocol::Unknown
        }
    }

    fn data(&mut self, ts: Timestamp, dir: Direction, bytes: &[u8], sink: &mut dyn EventSink) {
        if let Some(tls) = self.tls.as_mut() {
            tls.data(ts, dir, bytes, sink);
        } else if dir == Direction::ClientToServer {
            self.client_data(ts, bytes, sink);
        } else {
            self.plain[1].push(bytes);
        }
    }

    fn gap(&mut self, ts: Timestamp, dir: Direction, len: u64, sink: &mut dyn EventSink) {
        if let Some(tls) = self.tls.as_mut() {
            tls.gap(ts, dir, len, sink);
            return;
        }
        let p = &mut self.plain[dir.index()];
        p.lost = p.lost.saturating_add(len);
        if dir == Direction::ClientToServer {
            // A header cannot span lost bytes; what was pending is plaintext.
            let pending = std::mem::take(&mut self.pending);
            self.plain[0].push(&pending);
        }
    }

    fn end(&mut self, ts: Timestamp, sink: &mut dyn EventSink) {
        if let Some(tls) = self.tls.as_mut() {
            tls.end(ts, sink);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ClientHello record: header, handshake header, version.
    fn hello() -> Vec<u8> {
        let mut body = vec![0x03, 0x03];
        body.extend_from_slice(&[0u8; 32]); // random
        body.extend_from_slice(&[0, 0, 2, 0x13, 0x01, 1, 0]); // sid, suites, compression
        let mut hs = vec![1, 0, 0, body.len() as u8];
        hs.extend_from_slice(&body);
        let mut rec = vec![0x16, 0x03, 0x01, 0, hs.len() as u8];
        rec.extend_from_slice(&hs);
        rec
    }

    #[test]
    fn finds_a_hello_after_any_prefix() {
        let mut b = b"EHLO x\r\nSTARTTLS\r\n".to_vec();
        b.extend_from_slice(&hello());
        assert_eq!(find_client_hello(&b), Scan::Found(18));
        assert_eq!(find_client_hello(&hello()), Scan::Found(0));
        // Cut inside the header: keep from the candidate on.
        assert_eq!(find_client_hello(&b[..22]), Scan::Partial(18));
        assert_eq!(find_client_hello(b"no tls here"), Scan::Absent);
    }

    #[test]
    fn malformed_headers_are_not_hellos() {
        // Alert record, handshake type 2 (ServerHello), version 4.x,
        // zero length, a length below a ClientHello's minimum, a
        // handshake length longer than the record allows.
        for bad in [
            &[0x15, 3, 3, 0, 2, 2, 40][..],
            &[0x16, 3, 3, 0, 60, 2, 0, 0, 56, 3, 3],
            &[0x16, 4, 3, 0, 60, 1, 0, 0, 56, 3, 3],
            &[0x16, 3, 3, 0, 0, 1, 0, 0, 56, 3, 3],
            &[0x16, 3, 3, 0, 10, 1, 0, 0, 6, 3, 3],
            &[0x16, 3, 1, 0, 60, 1, 0, 0, 56, 7, 3],
            &[0x16, 3, 1, 0x50, 0, 1, 0, 0, 56, 3, 3],
        ] {
            assert_eq!(find_client_hello(bad), Scan::Absent, "{bad:02x?}");
        }
    }

    #[test]
    fn plaintext_kept_is_bounded() {
        let mut p = Plain::default();
        p.push(&vec![b'a'; 100_000]);
        p.push(b"STARTTLS\r\n");
        assert_eq!(p.total, 100_010);
        assert_eq!(p.head.len(), HEAD);
        assert_eq!(p.tail.len(), TAIL);
        assert!(p.tail.ends_with(b"STARTTLS\r\n"));
        assert!(p.tail.capacity() <= 2 * TAIL, "{}", p.tail.capacity());
        for _ in 0..1000 {
            p.push(b"x");
        }
        assert_eq!(p.tail.len(), TAIL);
    }

    #[test]
    fn names_each_exchange() {
        let s = |c: &[u8]| recognise(c, c, b"");
        assert_eq!(s(b"EHLO me\r\nSTARTTLS\r\n"), Some(Exchange::Smtp));
        assert_eq!(s(b"a CAPABILITY\r\na STARTTLS\r\n"), Some(Exchange::Imap));
        assert_eq!(s(b". STARTTLS\r\n"), Some(Exchange::Imap));
        assert_eq!(s(b"CAPA\r\nSTLS\r\n"), Some(Exchange::Pop3));
        assert_eq!(s(b"AUTH TLS\r\n"), Some(Exchange::Ftp));
        assert_eq!(
            s(b"<stream:stream to='x'><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
            Some(Exchange::Xmpp)
        );
        let pg = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];
        assert_eq!(recognise(&pg, &pg, b"S"), Some(Exchange::Postgres));
        let mut ldap = vec![0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16];
        ldap.extend_from_slice(b"1.3.6.1.4.1.1466.20037");
        assert_eq!(recognise(&ldap, &ldap, b""), Some(Exchange::Ldap));
        assert_eq!(s(b"HELLO\r\n"), None);
        assert_eq!(s(b""), None);
        assert_eq!(s(b"\r\n"), None);
    }

    #[test]
    fn names_and_counts_through_the_watcher() {
        use crate::event::EventKind;
        use crate::proto::tls::TlsEvent;
        struct Collect(Vec<EventKind>);
        impl EventSink for Collect {
            fn emit(&mut self, _ts: Timestamp, _dir: Direction, kind: EventKind) {
                self.0.push(kind);
            }
        }
        let conn = ConnInfo {
            client: "127.0.0.1:40000".parse().unwrap(),
            server: "127.0.0.1:2525".parse().unwrap(),
            component: crate::proto::Component::Other,
        };
        let mut w = PlainWatcher::new(conn, Context::shared());
        let mut sink = Collect(Vec::new());
        let ts = Timestamp(1);
        w.data(
            ts,
            Direction::ServerToClient,
            b"220 mx ESMTP\r\n",
            &mut sink,
        );
        w.data(ts, Direction::ClientToServer, b"EHLO me\r\n", &mut sink);
        w.data(
            ts,
            Direction::ServerToClient,
            b"250 STARTTLS\r\n",
            &mut sink,
        );
        w.data(
            ts,
            Direction::ClientToServer,
            b"STARTTLS\r\n\x16\x03",
            &mut sink,
        );
        w.data(
            ts,
            Direction::ServerToClient,
            b"220 go ahead\r\n",
            &mut sink,
        );
        assert_eq!(w.protocol(), Protocol::Unknown);
        w.data(ts, Direction::ClientToServer, &hello()[2..], &mut sink);
        assert_eq!(w.protocol(), Protocol::Tls);
        w.end(ts, &mut sink);
        let session = sink.0.iter().find_map(|k| match k {
            EventKind::Tls(TlsEvent::TlsSession(s)) => Some(s.clone()),
            _ => None,
        });
        let s = session.expect("a tls_session");
        let st = s.starttls.clone().expect("starttls");
        assert_eq!(st.protocol, Some("SMTP"));
        assert_eq!(st.command, Some("STARTTLS"));
        assert_eq!(st.client_prefix_bytes, 19);
        assert_eq!(st.server_prefix_bytes, 42);
        assert!(s.skipped_bytes >= 61, "{}", s.skipped_bytes);
    }
}
