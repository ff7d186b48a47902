//! Finding TLS records in one direction's byte stream: reassembly of
//! records split across segments (any split), the SSLv2-format
//! ClientHello, skipping a plaintext prefix (STARTTLS, a proxy's reply)
//! until a plausible record header, and resynchronising after a gap.
//!
//! Bounded memory: the buffer holds at most the bytes of one `push` plus
//! one unfinished record (a record body is at most 2^14 + 2048 bytes,
//! RFC 5246 §6.2.3); a header announcing more is treated as garbage.

/// Largest record body accepted (TLSCiphertext limit, RFC 5246 §6.2.3).
pub const MAX_RECORD_BODY: usize = 16384 + 2048;
/// Bytes skipped looking for the first record before giving up.
pub const MAX_PREFIX_SKIP: u64 = 64 * 1024;

/// One unit found in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unit {
    /// A TLS record: header as on the wire, body.
    Record { header: [u8; 5], body: Vec<u8> },
    /// An SSLv2-format ClientHello record, whole (2-byte header included).
    Sslv2Hello(Vec<u8>),
    /// Bytes skipped before the first record (a plaintext prefix) or
    /// while resynchronising.
    Skipped { bytes: u64, resync: bool },
    /// No record header found within [`MAX_PREFIX_SKIP`] bytes: the
    /// direction is given up.
    GaveUp { bytes: u64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sync {
    /// Nothing decided: the first bytes may be a record or a prefix.
    Start,
    Synced,
    /// After a gap or garbage: looking for the next record header.
    Resync,
    Dead,
}

/// One direction's record reader.
#[derive(Debug)]
pub struct RecordReader {
    buf: Vec<u8>,
    sync: Sync,
    skipping: u64,
    /// Total bytes skipped (prefix and resynchronisation).
    pub skipped_total: u64,
    /// SSLv2-format hellos are only looked for at the very start.
    allow_sslv2: bool,
}

impl Default for RecordReader {
    fn default() -> Self {
        RecordReader {
            buf: Vec::new(),
            sync: Sync::Start,
            skipping: 0,
            skipped_total: 0,
            allow_sslv2: true,
        }
    }
}

/// What the first bytes at `b` say about a record header there.
#[derive(Debug, PartialEq, Eq)]
enum Looks {
    Yes,
    No,
    NeedMore,
}

fn header_looks(b: &[u8], handshake_only: bool) -> Looks {
    let ok_type = |t: u8| {
        if handshake_only {
            t == 22
        } else {
            (20..=24).contains(&t)
        }
    };
    match b {
        [] => Looks::NeedMore,
        [t, ..] if !ok_type(*t) => Looks::No,
        [_, major, ..] if *major != 3 => Looks::No,
        [_, _, minor, ..] if *minor > 4 => Looks::No,
        [_, _, _, hi, lo, ..] => {
            let len = u16::from_be_bytes([*hi, *lo]) as usize;
            if len == 0 || len > MAX_RECORD_BODY {
                Looks::No
            } else {
                Looks::Yes
            }
        }
        _ => Looks::NeedMore,
    }
}

/// An SSLv2 record header carrying a ClientHello (msg type 1, version 2.0
/// or 3.x): `Some(total record length)`.
fn sslv2_hello_len(b: &[u8]) -> Option<usize> {
    let (h0, h1, t, major) = (*b.first()?, *b.get(1)?, *b.get(2)?, *b.get(3)?);
    if h0 & 0x80 == 0 || t != 1 || !(major == 3 || major == 0) {
        return None;
    }
    let len = (((h0 & 0x7f) as usize) << 8) | h1 as usize;
    (len >= 9).then_some(2 + len)
}

impl RecordReader {
    pub fn is_dead(&self) -> bool {
        self.sync == Sync::Dead
    }

    /// Bytes were lost: drop the partial record and look for the next header.
    pub fn gap(&mut self) {
        if self.sync != Sync::Dead {
            self.buf.clear();
            self.sync = Sync::Resync;
        }
    }

    /// Adds bytes and returns every unit completed by them.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Unit> {
        let mut out = Vec::new();
        if self.sync == Sync::Dead {
            return out;
        }
        self.buf.extend_from_slice(bytes);
        let mut pos = 0;
        loop {
            let rest = &self.buf[pos..];
            match self.sync {
                Sync::Dead => {
                    pos = self.buf.len();
                    break;
                }
                Sync::Start | Sync::Resync => {
                    let resync = self.sync == Sync::Resync;
                    if !resync && self.allow_sslv2 && rest.len() >= 4 {
                        if sslv2_hello_len(rest).is_some() {
                            self.sync = Sync::Synced;
                            continue;
                        }
                    } else if !resync
                        && self.allow_sslv2
                        && rest.first().is_some_and(|b| b & 0x80 != 0)
                    {
                        break; // need 4 bytes to tell
                    }
                    // At the start any record type is fine at offset 0 (a
                    // capture may begin mid-connection); a prefix is skipped
                    // up to a handshake record header.
                    let mut found = None;
                    let mut need_more_at = None;
                    for off in 0..rest.len() {
                        // Any record type only at the very first byte of the stream
                        // (nothing skipped yet), whatever the split.
                        let at_stream_start = off == 0 && self.skipping == 0;
                        let strict = !resync && !at_stream_start;
                        match header_looks(&rest[off..], strict) {
                            Looks::Yes => {
                                found = Some(off);
                                break;
                            }
                            Looks::NeedMore => {
                                need_more_at = Some(off);
                                break;
                            }
                            Looks::No => {}
                        }
                    }
                    let skip = found.or(need_more_at).unwrap_or(rest.len());
                    if skip > 0 {
                        self.skipping += skip as u64;
                        self.skipped_total += skip as u64;
                        pos += skip;
                        self.allow_sslv2 = false;
                    }
                    if self.skipping > MAX_PREFIX_SKIP {
                        // Reported as the limit, not as the bytes at hand,
                        // so the event does not depend on the split.
                        out.push(Unit::GaveUp {
                            bytes: MAX_PREFIX_SKIP,
                        });
                        self.sync = Sync::Dead;
                        continue;
                    }
                    if found.is_some() {
                        if self.skipping > 0 {
                            out.push(Unit::Skipped {
                                bytes: self.skipping,
                                resync,
                            });
                        }
                        self.skipping = 0;
                        self.sync = Sync::Synced;
                        continue;
                    }
                    break;
                }
                Sync::Synced => {
                    if self.allow_sslv2 {
                        self.allow_sslv2 = false;
                        if let Some(total) = sslv2_hello_len(rest) {
                            if rest.len() < total {
                                self.allow_sslv2 = true;
                                break;
                            }
                            out.push(Unit::Sslv2Hello(rest[..total].to_vec()));
                            pos += total;
                            continue;
                        }
                    }
                    match header_looks(rest, false) {
                        Looks::NeedMore => break,
                        Looks::No => {
                            self.sync = Sync::Resync;
                            continue;
                        }
                        Looks::Yes => {}
                    }
                    let len = u16::from_be_bytes([rest[3], rest[4]]) as usize;
                    if rest.len() < 5 + len {
                        break;
                    }
                    let mut header = [0u8; 5];
                    header.copy_from_slice(&rest[..5]);
                    out.push(Unit::Record {
                        header,
                        body: rest[5..5 + len].to_vec(),
                    });
                    pos += 5 + len;
                }
            }
        }
        self.buf.drain(..pos.min(self.buf.len()));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(t: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![t, 3, 3, (body.len() >> 8) as u8, body.len() as u8];
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn records_in_any_split() {
        let mut stream = rec(22, &[1, 0, 0, 1, 9]);
        stream.extend(rec(23, &[7; 300]));
        let whole = RecordReader::default().push(&stream);
        assert_eq!(whole.len(), 2);
        let mut r = RecordReader::default();
        let mut bytewise = Vec::new();
        for b in &stream {
            bytewise.extend(r.push(std::slice::from_ref(b)));
        }
        assert_eq!(bytewise, whole);
    }

    #[test]
    fn prefix_is_skipped_and_counted() {
        let mut stream = b"HTTP/1.1 200 Connection established\r\n\r\n".to_vec();
        let n = stream.len() as u64;
        stream.extend(rec(22, &[2, 0, 0, 0]));
        let units = RecordReader::default().push(&stream);
        assert_eq!(
            units[0],
            Unit::Skipped {
                bytes: n,
                resync: false
            }
        );
        assert!(matches!(units[1], Unit::Record { header, .. } if header[0] == 22));
    }

    /// Found by the fuzzer: after a plaintext prefix only a handshake
    /// record ends the skipping, also when the prefix arrives in pieces.
    #[test]
    fn prefix_then_application_data_is_split_independent() {
        let mut stream = b"EHLO x\r\n".to_vec();
        stream.extend(rec(23, &[1, 2, 3]));
        stream.extend(rec(22, &[2, 0, 0, 0]));
        let whole = RecordReader::default().push(&stream);
        let mut r = RecordReader::default();
        let mut bytewise = Vec::new();
        for b in &stream {
            bytewise.extend(r.push(std::slice::from_ref(b)));
        }
        assert_eq!(bytewise, whole);
        assert_eq!(
            whole[0],
            Unit::Skipped {
                bytes: 16,
                resync: false
            }
        );
    }

    #[test]
    fn garbage_gives_up() {
        let mut r = RecordReader::default();
        let junk = vec![b'a'; (MAX_PREFIX_SKIP + 10) as usize];
        let units = r.push(&junk);
        assert!(matches!(units.last(), Some(Unit::GaveUp { .. })));
        assert!(r.is_dead());
        assert!(r.push(&rec(22, &[1])).is_empty());
    }
}
