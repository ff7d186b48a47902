//! gRPC over HTTP/2: length-prefixed messages, calls paired with their
//! status; etcd's services are decoded by [`crate::proto::etcd_rpc`].
//!
//! The HTTP/2 dissector ([`crate::proto::http2`]) owns the streams and
//! feeds each gRPC stream's DATA bytes, per direction, to a
//! [`MessageReader`]; it emits the events defined here.

use serde::Serialize;

use super::Direction;

/// Largest message kept whole (4 MiB, the default gRPC receive limit):
/// longer messages are counted and their bytes skipped, so memory per
/// stream direction stays bounded by this.
pub const MAX_MESSAGE: usize = 4 << 20;

/// Size of the gRPC message prefix: compressed flag and big-endian length.
pub const PREFIX_LEN: usize = 5;

/// Events of the gRPC layer (`type` = `grpc_...`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum GrpcEvent {
    /// One length-prefixed message.
    GrpcMessage {
        /// The call's `:path` (`<unknown>` when the request headers were
        /// not seen).
        path: String,
        stream_id: u32,
        direction: Direction,
        compressed: bool,
        /// Message length from its prefix (bytes, prefix excluded).
        length: u32,
    },
    /// A call ended (trailers, RST_STREAM, or the end of the connection).
    GrpcCall {
        /// The `:path`, e.g. `/etcdserverpb.KV/Range`.
        method: String,
        stream_id: u32,
        /// `grpc-status` from the trailers (or a trailers-only response);
        /// None if never seen.
        grpc_status: Option<u32>,
        grpc_message: Option<String>,
        request_messages: u64,
        response_messages: u64,
        /// Sum of request message lengths (prefixes excluded).
        request_bytes: u64,
        response_bytes: u64,
        /// Request HEADERS to the end of the response (trailers); None
        /// when either was not seen.
        latency_ms: Option<f64>,
        /// Request HEADERS to whatever ended the call (also for calls
        /// reset or still open at the end: streaming calls such as Watch).
        duration_ms: Option<f64>,
        /// `trailers`, `rst_stream` or `connection_end`.
        ended_by: &'static str,
    },
}

impl GrpcEvent {
    pub fn name(&self) -> &'static str {
        match self {
            GrpcEvent::GrpcMessage { .. } => "grpc_message",
            GrpcEvent::GrpcCall { .. } => "grpc_call",
        }
    }

    pub fn summary(&self) -> String {
        match self {
            GrpcEvent::GrpcMessage {
                path,
                stream_id,
                direction,
                compressed,
                length,
            } => {
                let d = match direction {
                    Direction::ClientToServer => "request",
                    Direction::ServerToClient => "response",
                };
                let c = if *compressed { " compressed" } else { "" };
                format!("{path} stream {stream_id} {d}{c} {length} bytes")
            }
            GrpcEvent::GrpcCall {
                method,
                stream_id,
                grpc_status,
                grpc_message,
                request_messages,
                response_messages,
                latency_ms,
                ended_by,
                ..
            } => {
                let status = match grpc_status {
                    Some(s) => format!("status {s} ({})", status_name(*s)),
                    None => "no status".to_string(),
                };
                let msg = match grpc_message.as_deref() {
                    Some(m) if !m.is_empty() => format!(" \"{m}\""),
                    _ => String::new(),
                };
                let lat = match latency_ms {
                    Some(l) => format!(" {l:.3} ms"),
                    None => String::new(),
                };
                format!(
                    "{method} stream {stream_id} {status}{msg}, {request_messages} req / {response_messages} resp msgs{lat} (ended by {ended_by})"
                )
            }
        }
    }
}

/// The name of a gRPC status code.
pub fn status_name(code: u32) -> &'static str {
    match code {
        0 => "OK",
        1 => "CANCELLED",
        2 => "UNKNOWN",
        3 => "INVALID_ARGUMENT",
        4 => "DEADLINE_EXCEEDED",
        5 => "NOT_FOUND",
        6 => "ALREADY_EXISTS",
        7 => "PERMISSION_DENIED",
        8 => "RESOURCE_EXHAUSTED",
        9 => "FAILED_PRECONDITION",
        10 => "ABORTED",
        11 => "OUT_OF_RANGE",
        12 => "UNIMPLEMENTED",
        13 => "INTERNAL",
        14 => "UNAVAILABLE",
        15 => "DATA_LOSS",
        16 => "UNAUTHENTICATED",
        _ => "?",
    }
}

/// One complete message handed out by [`MessageReader::feed`].
#[derive(Debug, PartialEq, Eq)]
pub struct Message<'a> {
    pub compressed: bool,
    pub length: u32,
    /// The message bytes; None when longer than [`MAX_MESSAGE`] (skipped).
    pub body: Option<&'a [u8]>,
}

/// Reassembles length-prefixed messages from one direction of one stream,
/// across DATA frames and several per frame. Memory: at most
/// [`MAX_MESSAGE`] bytes buffered, and only while the caller's budget
/// (shared by all streams of a connection) allows: a message that does
/// not fit is counted and skipped.
#[derive(Debug, Default)]
pub struct MessageReader {
    prefix: [u8; PREFIX_LEN],
    prefix_len: usize,
    /// Body bytes still expected for the current message.
    remaining: u32,
    body: Vec<u8>,
    keep: bool,
    /// Budget bytes taken for the message being kept.
    reserved: usize,
    /// The bytes stopped making sense (bad flag byte): ignore the rest.
    broken: bool,
    /// Bytes were lost (a TCP gap, a stream joined mid-way): where the
    /// next message begins is unknown. Bytes are skipped until a DATA
    /// frame begins with a prefix whose message ends inside that frame.
    unsynced: bool,
    /// While unsynced: the payload length of the DATA frame that just
    /// began (a candidate message start), `None` mid-frame.
    candidate: Option<usize>,
    /// Bytes skipped while unsynced.
    pub skipped: u64,
    pub messages: u64,
    pub bytes: u64,
    /// Messages too long to keep.
    pub oversized: u64,
}

impl MessageReader {
    pub fn new() -> Self {
        Self::default()
    }

    /// True once a prefix did not make sense; nothing more is read.
    pub fn broken(&self) -> bool {
        self.broken
    }

    /// True between messages (nothing partial buffered).
    pub fn at_boundary(&self) -> bool {
        self.prefix_len == 0 && !self.unsynced
    }

    /// Bytes of this direction were lost: drop the partial message (give
    /// its budget back) and skip bytes until a DATA frame begins with a
    /// message that ends within it ([`frame_start`](Self::frame_start)).
    /// Counters are kept. A length is never read from mid-message bytes.
    pub fn lose_sync(&mut self, budget: &mut usize) {
        self.release(budget);
        self.prefix_len = 0;
        self.remaining = 0;
        self.keep = false;
        self.body = Vec::new();
        self.unsynced = true;
        self.candidate = None;
    }

    /// True while bytes are skipped after a loss.
    pub fn unsynced(&self) -> bool {
        self.unsynced
    }

    /// A DATA frame of `payload_len` bytes (padding included) begins.
    /// While unsynced, its first bytes are tried as a message prefix.
    pub fn frame_start(&mut self, payload_len: usize) {
        if self.unsynced {
            self.prefix_len = 0;
            self.candidate = Some(payload_len);
        }
    }

    /// Gives back the budget held for a partial message (call before
    /// dropping or replacing a reader).
    pub fn release(&mut self, budget: &mut usize) {
        *budget = budget.saturating_add(self.reserved);
        self.reserved = 0;
    }

    /// Feeds DATA payload bytes; `on` gets each complete message. A
    /// message is kept only if its length fits in `budget` (taken while
    /// it is assembled, given back when it is complete).
    pub fn feed(&mut self, mut bytes: &[u8], budget: &mut usize, on: &mut dyn FnMut(Message<'_>)) {
        while self.unsynced && !bytes.is_empty() {
            let Some(frame_len) = self.candidate else {
                self.skipped += bytes.len() as u64;
                return;
            };
            let take = (PREFIX_LEN - self.prefix_len).min(bytes.len());
            self.prefix[self.prefix_len..self.prefix_len + take].copy_from_slice(&bytes[..take]);
            self.prefix_len += take;
            bytes = &bytes[take..];
            if self.prefix_len < PREFIX_LEN {
                return;
            }
            let [flag, a, b, c, d] = self.prefix;
            let len = u32::from_be_bytes([a, b, c, d]) as usize;
            if flag <= 1 && PREFIX_LEN + len <= frame_len {
                // A plausible start: read on from the prefix just taken.
                self.unsynced = false;
                self.candidate = None;
                let prefix = self.prefix;
                self.prefix_len = 0;
                self.feed_synced(&prefix, budget, on);
                break;
            }
            // Mid-message bytes: skip the rest of this frame.
            self.skipped += PREFIX_LEN as u64;
            self.prefix_len = 0;
            self.candidate = None;
        }
        self.feed_synced(bytes, budget, on);
    }

    fn feed_synced(
        &mut self,
        mut bytes: &[u8],
        budget: &mut usize,
        on: &mut dyn FnMut(Message<'_>),
    ) {
        while !bytes.is_empty() && !self.broken && !self.unsynced {
            if self.prefix_len < PREFIX_LEN {
                let take = (PREFIX_LEN - self.prefix_len).min(bytes.len());
                self.prefix[self.prefix_len..self.prefix_len + take]
                    .copy_from_slice(&bytes[..take]);
                self.prefix_len += take;
                bytes = &bytes[take..];
                if self.prefix_len < PREFIX_LEN {
                    return;
                }
                if self.prefix[0] > 1 {
                    self.broken = true;
                    return;
                }
                let [_, a, b, c, d] = self.prefix;
                self.remaining = u32::from_be_bytes([a, b, c, d]);
                let len = self.remaining as usize;
                self.keep = len <= MAX_MESSAGE && len <= *budget;
                if self.keep {
                    *budget -= len;
                    self.reserved = len;
                }
                self.body.clear();
                if self.remaining == 0 {
                    self.complete(budget, on);
                }
                continue;
            }
            let take = (self.remaining as usize).min(bytes.len());
            if self.keep {
                self.body.extend_from_slice(&bytes[..take]);
            }
            self.remaining -= take as u32;
            bytes = &bytes[take..];
            if self.remaining == 0 {
                self.complete(budget, on);
            }
        }
    }

    fn complete(&mut self, budget: &mut usize, on: &mut dyn FnMut(Message<'_>)) {
        let [flag, a, b, c, d] = self.prefix;
        let length = u32::from_be_bytes([a, b, c, d]);
        self.messages += 1;
        self.bytes += u64::from(length);
        if !self.keep {
            self.oversized += 1;
        }
        on(Message {
            compressed: flag == 1,
            length,
            body: self.keep.then_some(&self.body[..]),
        });
        self.release(budget);
        self.prefix_len = 0;
        self.body.clear();
        if self.body.capacity() > 64 * 1024 {
            self.body = Vec::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(flag: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![flag];
        v.extend_from_slice(&(body.len() as u32).to_be_bytes());
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn several_per_frame_and_split_across_frames() {
        let mut all = msg(0, b"hello");
        all.extend(msg(1, b""));
        all.extend(msg(0, b"world!"));
        for split in 1..all.len() {
            let mut r = MessageReader::new();
            let mut got = Vec::new();
            let mut budget = 100;
            for part in all.chunks(split) {
                r.feed(part, &mut budget, &mut |m| {
                    got.push((m.compressed, m.length, m.body.map(|b| b.to_vec())))
                });
            }
            assert_eq!(
                got,
                [
                    (false, 5, Some(b"hello".to_vec())),
                    (true, 0, Some(vec![])),
                    (false, 6, Some(b"world!".to_vec())),
                ],
                "split {split}"
            );
            assert_eq!(r.messages, 3);
            assert_eq!(r.bytes, 11);
            assert!(r.at_boundary());
            assert_eq!(budget, 100);
        }
    }

    #[test]
    fn oversized_messages_are_counted_not_kept() {
        let mut r = MessageReader::new();
        let len = MAX_MESSAGE as u32 + 1;
        let mut prefix = vec![0];
        prefix.extend_from_slice(&len.to_be_bytes());
        let mut got = Vec::new();
        let mut budget = usize::MAX;
        r.feed(&prefix, &mut budget, &mut |m| {
            got.push((m.length, m.body.is_some()))
        });
        let chunk = vec![0u8; 1 << 16];
        let mut left = len as usize;
        while left > 0 {
            let n = left.min(chunk.len());
            r.feed(&chunk[..n], &mut budget, &mut |m| {
                got.push((m.length, m.body.is_some()))
            });
            left -= n;
        }
        assert_eq!(got, [(len, false)]);
        assert_eq!(r.oversized, 1);
        assert!(r.body.capacity() <= MAX_MESSAGE);
    }

    #[test]
    fn messages_beyond_the_budget_are_skipped() {
        let mut r = MessageReader::new();
        let mut budget = 4;
        let mut all = msg(0, b"toolong");
        all.extend(msg(0, b"ok"));
        let mut got = Vec::new();
        r.feed(&all, &mut budget, &mut |m| {
            got.push(m.body.map(|b| b.to_vec()))
        });
        assert_eq!(got, [None, Some(b"ok".to_vec())]);
        assert_eq!(budget, 4);
    }

    #[test]
    fn after_a_loss_no_length_is_read_from_mid_message_bytes() {
        let mut r = MessageReader::new();
        let mut budget = 1 << 20;
        let mut seen: Vec<u32> = Vec::new();
        // A message of 40 bytes begins; 10 body bytes arrive, then a gap.
        let big = msg(0, &[0x07; 40]);
        r.frame_start(big.len());
        r.feed(&big[..15], &mut budget, &mut |m| seen.push(m.length));
        r.lose_sync(&mut budget);
        assert_eq!(
            budget,
            1 << 20,
            "the partial message's budget is given back"
        );
        // The frame after the gap carries the tail of another message:
        // bytes 0x07 0x0e 0x8d 0x1c ... read as a prefix would claim
        // 118 MB. It must be skipped, not reported.
        let tail = [0x00, 0x07, 0x0e, 0x8d, 0x1c, 1, 2, 3];
        r.frame_start(tail.len());
        r.feed(&tail, &mut budget, &mut |m| seen.push(m.length));
        assert!(seen.is_empty(), "{seen:?}");
        assert!(r.unsynced());
        // Mid-frame bytes are skipped too, even if they look like a prefix.
        r.feed(&msg(0, b"ab"), &mut budget, &mut |m| seen.push(m.length));
        assert!(seen.is_empty(), "{seen:?}");
        // A frame that begins with a message ending inside it resyncs,
        // and what follows in that frame is read as usual.
        let mut two = msg(0, b"hello");
        two.extend(msg(1, b"xy"));
        r.frame_start(two.len());
        r.feed(&two[..3], &mut budget, &mut |m| seen.push(m.length));
        r.feed(&two[3..], &mut budget, &mut |m| seen.push(m.length));
        assert_eq!(seen, vec![5, 2]);
        assert!(!r.unsynced() && r.at_boundary());
        assert_eq!(r.skipped, 8 + 7, "the bad frame and the mid-frame bytes");
    }

    #[test]
    fn a_bad_flag_stops_the_reader() {
        let mut r = MessageReader::new();
        let mut n = 0;
        let mut budget = usize::MAX;
        r.feed(&[7, 0, 0, 0, 1, 0], &mut budget, &mut |_| n += 1);
        assert!(r.broken());
        assert_eq!(n, 0);
    }
}
