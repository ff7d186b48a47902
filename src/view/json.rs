//! A JSON Lines writer for the fixed-shape rows views print by the million
//! (flows, events). Keys are static and values are numbers, addresses,
//! timestamps and enum names, none of which need escaping; free text goes
//! through serde_json's escaper. Writing these rows through serde's derive
//! cost ~11k instructions per flow row (key escaping, `collect_str`,
//! `flatten` buffering) and dominated `pcap flows` on large captures.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};

use crate::timestamp::Timestamp;

/// One JSON object being written into a reusable buffer.
pub struct JsonObject<'a> {
    buf: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> JsonObject<'a> {
    #[inline]
    pub fn start(buf: &'a mut Vec<u8>) -> Self {
        buf.push(b'{');
        JsonObject { buf, first: true }
    }

    #[inline]
    fn key(&mut self, key: &str) {
        if !self.first {
            self.buf.push(b',');
        }
        self.first = false;
        self.buf.push(b'"');
        self.buf.extend_from_slice(key.as_bytes());
        self.buf.extend_from_slice(b"\":");
    }

    /// A string known to need no escaping (enum names, addresses).
    #[inline]
    pub fn plain(&mut self, key: &str, value: &str) -> &mut Self {
        debug_assert!(!value.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20));
        self.key(key);
        self.buf.push(b'"');
        self.buf.extend_from_slice(value.as_bytes());
        self.buf.push(b'"');
        self
    }

    /// Any string, escaped.
    pub fn text(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key);
        // serde_json escapes; writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *self.buf, value);
        self
    }

    #[inline]
    pub fn u64(&mut self, key: &str, value: u64) -> &mut Self {
        self.key(key);
        let mut b = itoa::Buffer::new();
        self.buf.extend_from_slice(b.format(value).as_bytes());
        self
    }

    #[inline]
    pub fn f64(&mut self, key: &str, value: f64) -> &mut Self {
        self.key(key);
        if value.is_finite() {
            let mut b = ryu::Buffer::new();
            self.buf
                .extend_from_slice(b.format_finite(value).as_bytes());
        } else {
            self.buf.extend_from_slice(b"null");
        }
        self
    }

    #[inline]
    pub fn bool(&mut self, key: &str, value: bool) -> &mut Self {
        self.key(key);
        self.buf
            .extend_from_slice(if value { b"true" } else { b"false" });
        self
    }

    #[inline]
    pub fn ts(&mut self, key: &str, value: Timestamp) -> &mut Self {
        self.key(key);
        let mut b = [0u8; 27];
        value.format_into(&mut b);
        self.buf.push(b'"');
        self.buf.extend_from_slice(&b);
        self.buf.push(b'"');
        self
    }

    #[inline]
    pub fn addr(&mut self, key: &str, value: SocketAddr) -> &mut Self {
        self.key(key);
        self.buf.push(b'"');
        write_addr(self.buf, value);
        self.buf.push(b'"');
        self
    }

    /// Splices the fields of an already serialized object (`{...}`).
    pub fn splice(&mut self, object: &[u8]) -> &mut Self {
        if object.len() > 2 {
            if !self.first {
                self.buf.push(b',');
            }
            self.first = false;
            self.buf.extend_from_slice(&object[1..object.len() - 1]);
        }
        self
    }

    #[inline]
    pub fn end(&mut self) {
        self.buf.extend_from_slice(b"}\n");
    }
}

/// `ip:port`, `[v6]:port` — the same text as `SocketAddr`'s Display.
pub fn write_addr(buf: &mut Vec<u8>, addr: SocketAddr) {
    match addr.ip() {
        IpAddr::V4(v4) => {
            // Into a stack buffer, then one copy (tables print addresses
            // by the hundred thousand: no call per octet).
            let mut tmp = [0u8; 24];
            let mut n = 0;
            for o in v4.octets() {
                // The octet's digits and a dot, four bytes from a table,
                // then moved on by its length.
                let (text, len) = OCTETS[usize::from(o)];
                if let Some(to) = tmp.get_mut(n..n + 4) {
                    to.copy_from_slice(&text);
                }
                n += usize::from(len);
            }
            // The last dot becomes the colon.
            tmp[n - 1] = b':';
            n += put_decimal(&mut tmp[n..], u32::from(addr.port()));
            // The whole buffer (a copy of fixed size, not a call), then
            // cut to the address.
            let end = buf.len() + n;
            buf.extend_from_slice(&tmp);
            buf.truncate(end);
        }
        IpAddr::V6(_) => {
            let _ = write!(buf, "{addr}");
        }
    }
}

/// Each octet's decimal digits and a dot, padded to four bytes, and how
/// many of them count (digits and dot).
const OCTETS: [([u8; 4], u8); 256] = {
    let mut t = [([0u8; 4], 0u8); 256];
    let mut i = 0;
    while i < 256 {
        let (h, d, u) = ((i / 100) as u8, (i / 10 % 10) as u8, (i % 10) as u8);
        t[i] = if i >= 100 {
            ([b'0' + h, b'0' + d, b'0' + u, b'.'], 4)
        } else if i >= 10 {
            ([b'0' + d, b'0' + u, b'.', 0], 3)
        } else {
            ([b'0' + u, b'.', 0, 0], 2)
        };
        i += 1;
    }
    t
};

/// Writes `v` (at most 65535) in decimal at the start of `out` (room for
/// five digits); returns the digits written.
fn put_decimal(out: &mut [u8], v: u32) -> usize {
    use crate::timestamp::DIGIT_PAIRS;
    let digits = match v {
        0..10 => 1,
        10..100 => 2,
        100..1000 => 3,
        1000..10000 => 4,
        _ => 5,
    };
    // Two digits at a time from the end, from a table.
    let (mut v, mut end) = (v as usize, digits);
    while end >= 2 {
        let i = (v % 100) * 2;
        if let (Some(o), Some(pair)) = (out.get_mut(end - 2..end), DIGIT_PAIRS.get(i..i + 2)) {
            o.copy_from_slice(pair);
        }
        v /= 100;
        end -= 2;
    }
    if end == 1
        && let Some(o) = out.first_mut()
    {
        *o = b'0' + (v % 10) as u8;
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same text as `SocketAddr`'s Display (the oracle), on every
    /// digit count of octets and ports.
    #[test]
    fn addresses_print_as_std_prints_them() {
        let values = [0u16, 1, 9, 10, 99, 100, 255, 999, 1000, 9999, 10000, 65535];
        for &a in &values {
            for &b in &values {
                let (a8, b8) = ((a % 256) as u8, (b % 256) as u8);
                let addr = SocketAddr::from(([a8, b8, 255 - a8, 7], b));
                let mut buf = b"x".to_vec();
                write_addr(&mut buf, addr);
                assert_eq!(buf, format!("x{addr}").into_bytes());
            }
        }
        // Every octet value in every position.
        for o in 0..=255u8 {
            for addr in [
                SocketAddr::from(([o, o / 2, 255 - o, o % 10], u16::from(o) * 257)),
                SocketAddr::from(([o % 10, o, o / 3, 255 - o], 65535 - u16::from(o))),
            ] {
                let mut buf = b"x".to_vec();
                write_addr(&mut buf, addr);
                assert_eq!(buf, format!("x{addr}").into_bytes());
            }
        }
        let v6: SocketAddr = "[fd00::1:2]:443".parse().unwrap();
        let mut buf = Vec::new();
        write_addr(&mut buf, v6);
        assert_eq!(buf, v6.to_string().into_bytes());
    }

    #[test]
    fn writes_valid_json_with_escaping_where_needed() {
        let mut buf = Vec::new();
        JsonObject::start(&mut buf)
            .plain("a", "x")
            .text("t", "quote\" and \\ and \n")
            .u64("n", 42)
            .f64("f", 1.5)
            .f64("nan", f64::NAN)
            .bool("b", true)
            .ts("ts", Timestamp(1_000_000))
            .addr("v4", "10.0.0.1:2379".parse().unwrap())
            .addr("v6", "[::1]:2380".parse().unwrap())
            .splice(br#"{"type":"gap","bytes":5}"#)
            .end();
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["t"], "quote\" and \\ and \n");
        assert_eq!(v["n"], 42);
        assert_eq!(v["f"], 1.5);
        assert!(v["nan"].is_null());
        assert_eq!(v["ts"], "1970-01-01T00:00:00.001000Z");
        assert_eq!(v["v4"], "10.0.0.1:2379");
        assert_eq!(v["v6"], "[::1]:2380");
        assert_eq!(v["type"], "gap");
        assert_eq!(v["bytes"], 5);
        assert!(buf.ends_with(b"}\n"));
    }
}
