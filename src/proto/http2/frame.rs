//! HTTP/2 frame headers (RFC 9113 §4.1) and the reader that cuts one
//! direction's byte stream into frames: the client preface, frame
//! boundaries found again after a gap or in a capture that starts
//! mid-connection, and DATA payloads passed through without buffering.
//!
//! Written by hand: the maintained HTTP/2 crates (h2) keep their framing
//! private and do not resynchronise on a stream seen from the middle.

/// The client connection preface.
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Size of a frame header.
pub const HEADER_LEN: usize = 9;

/// SETTINGS_MAX_FRAME_SIZE when the peer said nothing (RFC 9113 §6.5.2).
pub const DEFAULT_MAX_FRAME_SIZE: u32 = 16_384;

/// Largest non-DATA frame kept whole in memory; larger ones are skipped
/// and counted. Bounds the per-direction frame buffer (1 MiB).
pub const MAX_BUFFERED_FRAME: usize = 1 << 20;

/// Bytes kept while looking for a frame boundary (64 KiB); older bytes are
/// dropped. Bounds the per-direction hunting buffer.
pub const MAX_HUNT_BUFFER: usize = 64 * 1024;

/// Frame types of RFC 9113 §6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameType {
    Data,
    Headers,
    Priority,
    RstStream,
    Settings,
    PushPromise,
    Ping,
    Goaway,
    WindowUpdate,
    Continuation,
    Unknown(u8),
}

impl FrameType {
    pub fn from_u8(t: u8) -> FrameType {
        match t {
            0 => FrameType::Data,
            1 => FrameType::Headers,
            2 => FrameType::Priority,
            3 => FrameType::RstStream,
            4 => FrameType::Settings,
            5 => FrameType::PushPromise,
            6 => FrameType::Ping,
            7 => FrameType::Goaway,
            8 => FrameType::WindowUpdate,
            9 => FrameType::Continuation,
            other => FrameType::Unknown(other),
        }
    }

    /// Index into per-type counters (unknown types share the last slot).
    pub fn index(self) -> usize {
        match self {
            FrameType::Data => 0,
            FrameType::Headers => 1,
            FrameType::Priority => 2,
            FrameType::RstStream => 3,
            FrameType::Settings => 4,
            FrameType::PushPromise => 5,
            FrameType::Ping => 6,
            FrameType::Goaway => 7,
            FrameType::WindowUpdate => 8,
            FrameType::Continuation => 9,
            FrameType::Unknown(_) => 10,
        }
    }

    /// snake_case names in [`FrameType::index`] order.
    pub const NAMES: [&'static str; 11] = [
        "data",
        "headers",
        "priority",
        "rst_stream",
        "settings",
        "push_promise",
        "ping",
        "goaway",
        "window_update",
        "continuation",
        "unknown",
    ];
}

pub const FLAG_END_STREAM: u8 = 0x1;
pub const FLAG_ACK: u8 = 0x1;
pub const FLAG_END_HEADERS: u8 = 0x4;
pub const FLAG_PADDED: u8 = 0x8;
pub const FLAG_PRIORITY: u8 = 0x20;

/// A decoded 9-byte frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    pub length: u32,
    pub kind: FrameType,
    pub flags: u8,
    pub stream_id: u32,
    /// The reserved bit before the stream id (must be 0).
    pub reserved: bool,
}

impl FrameHeader {
    /// Reads a header from the first 9 bytes, if there are that many.
    pub fn parse(b: &[u8]) -> Option<FrameHeader> {
        let h: &[u8; HEADER_LEN] = b.get(..HEADER_LEN)?.try_into().ok()?;
        let length = u32::from_be_bytes([0, h[0], h[1], h[2]]);
        let sid = u32::from_be_bytes([h[5], h[6], h[7], h[8]]);
        Some(FrameHeader {
            length,
            kind: FrameType::from_u8(h[3]),
            flags: h[4],
            stream_id: sid & 0x7fff_ffff,
            reserved: sid & 0x8000_0000 != 0,
        })
    }

    /// Whether this looks like a real frame header of a known type: length
    /// within `max_frame`, flags defined for the type, reserved bit clear,
    /// stream id and length as the type requires. Used to find frame
    /// boundaries in a stream joined mid-connection.
    pub fn plausible(&self, max_frame: u32) -> bool {
        if self.reserved || self.length > max_frame {
            return false;
        }
        let on_zero = self.stream_id == 0;
        let (allowed_flags, stream_ok, len_ok) = match self.kind {
            FrameType::Data => (FLAG_END_STREAM | FLAG_PADDED, !on_zero, true),
            FrameType::Headers => (
                FLAG_END_STREAM | FLAG_END_HEADERS | FLAG_PADDED | FLAG_PRIORITY,
                !on_zero,
                true,
            ),
            FrameType::Priority => (0, !on_zero, self.length == 5),
            FrameType::RstStream => (0, !on_zero, self.length == 4),
            FrameType::Settings => (
                FLAG_ACK,
                on_zero,
                if self.flags & FLAG_ACK != 0 {
                    self.length == 0
                } else {
                    self.length % 6 == 0
                },
            ),
            FrameType::PushPromise => (FLAG_END_HEADERS | FLAG_PADDED, !on_zero, self.length >= 4),
            FrameType::Ping => (FLAG_ACK, on_zero, self.length == 8),
            FrameType::Goaway => (0, on_zero, self.length >= 8),
            FrameType::WindowUpdate => (0, true, self.length == 4),
            FrameType::Continuation => (FLAG_END_HEADERS, !on_zero, true),
            FrameType::Unknown(_) => return false,
        };
        self.flags & !allowed_flags == 0 && stream_ok && len_ok
    }
}

/// What the reader found in the bytes given to it.
#[derive(Debug)]
pub enum Piece<'a> {
    /// The client preface was seen.
    Preface,
    /// A whole non-DATA frame (payload buffered, at most
    /// [`MAX_BUFFERED_FRAME`] bytes).
    Frame(FrameHeader, &'a [u8]),
    /// A non-DATA frame too large to keep: header only, payload skipped.
    Oversized(FrameHeader),
    /// A DATA frame begins (padding flag already read when set).
    DataStart(FrameHeader),
    /// Payload bytes of the current DATA frame (padding removed).
    DataChunk(u32, &'a [u8]),
    /// The current DATA frame is complete.
    DataEnd(FrameHeader),
    /// Frame boundaries found again after `skipped` bytes that could not
    /// be framed.
    Resynced { skipped: u64 },
}

#[derive(Debug)]
enum State {
    /// At the start of the direction: preface, a frame, or the middle of
    /// something.
    Start,
    /// Inside the preface, `n` bytes matched.
    Preface(usize),
    /// Expecting a frame header (collected in `buf`).
    Header,
    /// Collecting a non-DATA payload into `buf`.
    Payload(FrameHeader),
    /// Skipping `left` bytes of an oversized frame.
    Skip(u64),
    /// DATA frame: the pad-length byte is next.
    DataPadLen(FrameHeader),
    /// DATA frame: `data` payload bytes then `pad` padding bytes remain.
    Data {
        header: FrameHeader,
        data: u32,
        pad: u32,
    },
    /// Looking for a frame boundary; unframed bytes in `buf`.
    Hunting,
}

/// Cuts one direction's bytes into frames. Memory: `buf` holds at most
/// one header, one frame of up to [`MAX_BUFFERED_FRAME`] bytes, or
/// [`MAX_HUNT_BUFFER`] bytes while hunting.
#[derive(Debug)]
pub struct FrameReader {
    state: State,
    buf: Vec<u8>,
    /// Largest frame the peer allows, for plausibility checks.
    pub max_frame: u32,
    /// Bytes dropped while hunting since the last frame.
    skipped: u64,
    /// Whether the preface may still come (client side at its start).
    expect_preface: bool,
    /// Nothing framed yet: a SETTINGS frame at offset 0 is trusted alone.
    at_start: bool,
}

/// The callback type given each piece.
pub type OnPiece<'f> = dyn FnMut(Piece<'_>) + 'f;

impl FrameReader {
    /// `client`: this direction is client→server (the preface may come).
    pub fn new(client: bool) -> FrameReader {
        FrameReader {
            state: State::Start,
            buf: Vec::new(),
            max_frame: DEFAULT_MAX_FRAME_SIZE,
            skipped: 0,
            expect_preface: client,
            at_start: true,
        }
    }

    /// True while looking for a frame boundary.
    pub fn hunting(&self) -> bool {
        matches!(self.state, State::Hunting | State::Start)
    }

    /// Bytes were lost: drop any partial frame and look for the next
    /// boundary.
    pub fn gap(&mut self) {
        self.buf.clear();
        self.state = State::Hunting;
        self.expect_preface = false;
        self.at_start = false;
    }

    /// Feeds bytes; `on` gets every piece in order.
    pub fn feed(&mut self, mut bytes: &[u8], on: &mut OnPiece<'_>) {
        while !bytes.is_empty() {
            match &mut self.state {
                State::Start => {
                    if self.expect_preface && bytes[0] == PREFACE[0] {
                        self.state = State::Preface(0);
                    } else {
                        // Begins with a frame (server side, or h2c client
                        // without preface) or mid-stream: a frame boundary
                        // check decides.
                        self.state = State::Hunting;
                    }
                }
                State::Preface(n) => {
                    let want = &PREFACE[*n..];
                    let take = want.len().min(bytes.len());
                    if bytes[..take] != want[..take] {
                        // Not the preface after all: hunt over what we saw.
                        self.buf.extend_from_slice(&PREFACE[..*n]);
                        self.state = State::Hunting;
                        continue;
                    }
                    *n += take;
                    bytes = &bytes[take..];
                    if *n == PREFACE.len() {
                        self.at_start = true;
                        self.state = State::Header;
                        on(Piece::Preface);
                    }
                }
                State::Header => {
                    let need = HEADER_LEN - self.buf.len();
                    let take = need.min(bytes.len());
                    self.buf.extend_from_slice(&bytes[..take]);
                    bytes = &bytes[take..];
                    if let Some(h) = FrameHeader::parse(&self.buf) {
                        self.buf.clear();
                        self.begin_frame(h, on);
                    }
                }
                State::Payload(h) => {
                    let h = *h;
                    let need = h.length as usize - self.buf.len();
                    let take = need.min(bytes.len());
                    self.buf.extend_from_slice(&bytes[..take]);
                    bytes = &bytes[take..];
                    if self.buf.len() == h.length as usize {
                        on(Piece::Frame(h, &self.buf));
                        self.buf.clear();
                        self.state = State::Header;
                    }
                }
                State::Skip(left) => {
                    let take = (*left).min(bytes.len() as u64);
                    *left -= take;
                    bytes = &bytes[take as usize..];
                    if *left == 0 {
                        self.state = State::Header;
                    }
                }
                State::DataPadLen(h) => {
                    let h = *h;
                    let pad = u32::from(bytes[0]);
                    bytes = &bytes[1..];
                    let body = h.length.saturating_sub(1);
                    // Padding longer than the frame is a protocol error:
                    // treat the whole rest as padding.
                    let data = body.saturating_sub(pad);
                    self.state = State::Data {
                        header: h,
                        data,
                        pad: body - data,
                    };
                    self.finish_data_if_done(on);
                }
                State::Data { header, data, pad } => {
                    let header = *header;
                    if *data > 0 {
                        let take = (*data as usize).min(bytes.len());
                        *data -= take as u32;
                        on(Piece::DataChunk(header.stream_id, &bytes[..take]));
                        bytes = &bytes[take..];
                    } else {
                        let take = (*pad as usize).min(bytes.len());
                        *pad -= take as u32;
                        bytes = &bytes[take..];
                    }
                    self.finish_data_if_done(on);
                }
                State::Hunting => {
                    let take = bytes.len().min(MAX_HUNT_BUFFER);
                    self.buf.extend_from_slice(&bytes[..take]);
                    bytes = &bytes[take..];
                    self.hunt(on);
                }
            }
        }
    }

    fn finish_data_if_done(&mut self, on: &mut OnPiece<'_>) {
        if let State::Data {
            header,
            data: 0,
            pad: 0,
        } = self.state
        {
            self.state = State::Header;
            on(Piece::DataEnd(header));
        }
    }

    fn begin_frame(&mut self, h: FrameHeader, on: &mut OnPiece<'_>) {
        if h.kind == FrameType::Data {
            on(Piece::DataStart(h));
            self.state = if h.flags & FLAG_PADDED != 0 && h.length > 0 {
                State::DataPadLen(h)
            } else {
                State::Data {
                    header: h,
                    data: h.length,
                    pad: 0,
                }
            };
            self.finish_data_if_done(on);
        } else if h.length as usize > MAX_BUFFERED_FRAME {
            on(Piece::Oversized(h));
            self.state = State::Skip(u64::from(h.length));
        } else if h.length == 0 {
            on(Piece::Frame(h, &[]));
            self.state = State::Header;
        } else {
            self.state = State::Payload(h);
        }
    }

    /// The stream ended: while still hunting, a plausible frame that ends
    /// exactly where the bytes end is accepted without a next header.
    pub fn finish(&mut self, on: &mut OnPiece<'_>) {
        if matches!(self.state, State::Hunting) {
            self.hunt_inner(on, true);
        }
    }

    fn hunt(&mut self, on: &mut OnPiece<'_>) {
        self.hunt_inner(on, false);
    }

    /// Looks for a plausible header followed by another plausible header
    /// in `buf` (or, when `last`, by the end of the bytes); on success
    /// replays the buffered bytes from there.
    fn hunt_inner(&mut self, on: &mut OnPiece<'_>, last: bool) {
        let mut pos = 0;
        let found = loop {
            if pos + HEADER_LEN > self.buf.len() {
                break None;
            }
            let Some(h) = FrameHeader::parse(&self.buf[pos..]) else {
                break None;
            };
            // A CONTINUATION cannot be understood without its HEADERS.
            if h.plausible(self.max_frame) && h.kind != FrameType::Continuation {
                // A connection's first frame is SETTINGS (RFC 9113 §3.4).
                if pos == 0
                    && self.skipped == 0
                    && self.at_start
                    && h.kind == FrameType::Settings
                    && h.flags == 0
                {
                    break Some(pos);
                }
                let next = pos + HEADER_LEN + h.length as usize;
                if last && next == self.buf.len() {
                    break Some(pos);
                }
                if next + HEADER_LEN > self.buf.len() {
                    // Cannot judge yet: wait for more bytes unless the
                    // buffer is full.
                    if self.buf.len() >= MAX_HUNT_BUFFER || last {
                        pos += 1;
                        continue;
                    }
                    break None;
                }
                if FrameHeader::parse(&self.buf[next..])
                    .is_some_and(|n| n.plausible(self.max_frame))
                {
                    break Some(pos);
                }
            }
            pos += 1;
        };
        match found {
            Some(pos) => {
                self.skipped += pos as u64;
                let rest = std::mem::take(&mut self.buf);
                if self.skipped > 0 {
                    on(Piece::Resynced {
                        skipped: self.skipped,
                    });
                }
                self.skipped = 0;
                self.at_start = false;
                self.state = State::Header;
                self.feed(&rest[pos..], on);
            }
            None => {
                self.skipped += pos as u64;
                self.buf.drain(..pos);
                if self.buf.len() >= MAX_HUNT_BUFFER {
                    let drop = self.buf.len() - MAX_HUNT_BUFFER / 2;
                    self.skipped += drop as u64;
                    self.buf.drain(..drop);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: u8, flags: u8, sid: u32, payload: &[u8]) -> Vec<u8> {
        let len = payload.len() as u32;
        let mut v = len.to_be_bytes()[1..].to_vec();
        v.push(kind);
        v.push(flags);
        v.extend_from_slice(&sid.to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    fn collect(r: &mut FrameReader, bytes: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        r.feed(bytes, &mut |p| {
            out.push(match p {
                Piece::Preface => "preface".to_string(),
                Piece::Frame(h, b) => format!("{:?}/{}/{}", h.kind, h.stream_id, b.len()),
                Piece::Oversized(h) => format!("oversized {:?}", h.kind),
                Piece::DataStart(h) => format!("data {}", h.stream_id),
                Piece::DataChunk(_, b) => format!("chunk {}", String::from_utf8_lossy(b)),
                Piece::DataEnd(_) => "end".to_string(),
                Piece::Resynced { skipped } => format!("resync {skipped}"),
            })
        });
        out
    }

    #[test]
    fn preface_frames_and_padding_any_split() {
        let mut all = PREFACE.to_vec();
        all.extend(frame(4, 0, 0, &[0, 3, 0, 0, 0, 100]));
        // Padded DATA: pad length 2, "hi", 2 padding bytes.
        all.extend(frame(
            0,
            FLAG_PADDED | FLAG_END_STREAM,
            1,
            &[2, b'h', b'i', 0, 0],
        ));
        all.extend(frame(6, 0, 0, &[0; 8]));
        let mut whole = FrameReader::new(true);
        let got = collect(&mut whole, &all);
        assert_eq!(
            got,
            [
                "preface",
                "Settings/0/6",
                "data 1",
                "chunk hi",
                "end",
                "Ping/0/8"
            ]
        );
        let mut bytewise = FrameReader::new(true);
        let mut got2 = Vec::new();
        for b in &all {
            got2.extend(collect(&mut bytewise, std::slice::from_ref(b)));
        }
        let merged: Vec<String> = got2
            .iter()
            .filter(|s| !s.starts_with("chunk"))
            .cloned()
            .collect();
        assert_eq!(
            merged,
            ["preface", "Settings/0/6", "data 1", "end", "Ping/0/8"]
        );
        assert_eq!(got2.iter().filter(|s| s.starts_with("chunk")).count(), 2);
    }

    #[test]
    fn mid_stream_finds_the_next_boundary() {
        let mut all = vec![0x55; 7]; // tail of some earlier frame
        all.extend(frame(8, 0, 0, &[0, 0, 1, 0]));
        all.extend(frame(6, FLAG_ACK, 0, &[1; 8]));
        let mut r = FrameReader::new(false);
        let got = collect(&mut r, &all);
        assert_eq!(got, ["resync 7", "WindowUpdate/0/4", "Ping/0/8"]);
    }

    #[test]
    fn implausible_headers_are_rejected() {
        let h = FrameHeader::parse(&frame(3, 0, 1, &[0; 4])).unwrap();
        assert!(h.plausible(DEFAULT_MAX_FRAME_SIZE));
        let bad_len = FrameHeader::parse(&frame(3, 0, 1, &[0; 5])).unwrap();
        assert!(!bad_len.plausible(DEFAULT_MAX_FRAME_SIZE));
        let settings_on_stream = FrameHeader::parse(&frame(4, 0, 3, &[])).unwrap();
        assert!(!settings_on_stream.plausible(DEFAULT_MAX_FRAME_SIZE));
        let unknown = FrameHeader::parse(&frame(0x42, 0, 0, &[])).unwrap();
        assert!(!unknown.plausible(DEFAULT_MAX_FRAME_SIZE));
    }
}
