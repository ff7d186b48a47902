//! etcd's rafthttp framing inside HTTP bodies, decoded incrementally:
//! the message stream (`/raft/stream/message/<id>`: 8-byte big-endian
//! length, then one raftpb.Message) and msgappv2 (`/raft/stream/msgapp/<id>`:
//! a 1-byte tag — 0 link heartbeat, 1 entries-only MsgApp whose term and
//! index follow from the previous full message, 2 full message with an
//! 8-byte length). Byte layouts checked against etcd's
//! `server/etcdserver/api/rafthttp/{message,msgappv2}_codec.go`.
//!
//! Memory: one decoder buffers at most one frame, capped at
//! [`MAX_FRAME`]; larger frames are skipped (counted, not buffered).

use prost::Message as _;
use thiserror::Error;

use super::raftpb::{Entry, MSG_APP, Message, is_link_heartbeat};

/// Largest frame buffered for decoding (one message, or one msgappv2
/// entries-only frame). etcd itself accepts up to 512 MiB; kinspect skips
/// bigger frames rather than holding them.
pub const MAX_FRAME: usize = 4 << 20;

/// Entries in one msgappv2 entries-only frame before it is called garbage.
const MAX_ENTRIES: u64 = 1 << 20;

/// Which framing a stream body uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    /// `/raft/stream/message/<id>` and the head of `/raft/snapshot`.
    Message,
    /// `/raft/stream/msgapp/<id>` (msgappv2).
    MsgAppV2,
}

/// Why a frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FrameError {
    #[error("unknown msgappv2 tag {0}")]
    UnknownTag(u8),
    #[error("raftpb.Message does not decode: {0}")]
    BadMessage(String),
    #[error("raftpb.Entry does not decode: {0}")]
    BadEntry(String),
    #[error("entries-only frame claims {0} entries")]
    TooManyEntries(u64),
}

/// One decoded frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// A Raft message. For msgappv2 entries-only frames the message is
    /// rebuilt as etcd does (MsgApp, term = log term = tracked term, index
    /// = tracked index); `derived` is true then, and `known_position` says
    /// whether the tracked term/index were known (false when the stream
    /// was joined mid-way).
    Message {
        message: Box<Message>,
        derived: bool,
        known_position: bool,
    },
    /// etcd's link-layer keep-alive (not a Raft heartbeat).
    LinkHeartbeat,
    /// A frame larger than [`MAX_FRAME`], skipped.
    Oversized { len: u64 },
}

/// Incremental decoder for one stream body.
#[derive(Debug)]
pub struct StreamDecoder {
    kind: StreamKind,
    /// Undecoded bytes: at most one frame (≤ [`MAX_FRAME`] + header).
    buf: Vec<u8>,
    /// Bytes still to drop of an oversized frame.
    skip: u64,
    /// Do not parse before the buffer holds this many bytes.
    need: usize,
    /// False after an error or lost bytes: wait for [`Self::boundary`].
    synced: bool,
    /// msgappv2 state: term and last index after the previous full message.
    term: Option<u64>,
    index: Option<u64>,
    /// Sender and receiver ids, learned from full messages (or given).
    pub from: u64,
    pub to: u64,
}

impl StreamDecoder {
    pub fn new(kind: StreamKind) -> StreamDecoder {
        StreamDecoder {
            kind,
            buf: Vec::new(),
            skip: 0,
            need: 0,
            synced: true,
            term: None,
            index: None,
            from: 0,
            to: 0,
        }
    }

    pub fn kind(&self) -> StreamKind {
        self.kind
    }

    /// Bytes held for an incomplete frame (for memory checks).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Bytes of the stream were lost: drop the partial frame and wait for a
    /// likely frame start ([`Self::boundary`]).
    pub fn lost(&mut self) {
        self.buf.clear();
        self.skip = 0;
        self.need = 0;
        self.synced = false;
    }

    /// The transport says a frame probably starts here (an HTTP chunk
    /// starts: etcd flushes after whole messages). Resynchronises a
    /// decoder that lost its place; a synced decoder ignores it.
    pub fn boundary(&mut self) {
        if !self.synced {
            self.buf.clear();
            self.skip = 0;
            self.need = 0;
            self.synced = true;
        }
    }

    /// Feeds body bytes; decoded frames (and errors, after which the
    /// decoder waits for the next boundary) go to `out`.
    pub fn push(&mut self, mut data: &[u8], out: &mut Vec<Result<Frame, FrameError>>) {
        while !data.is_empty() {
            if !self.synced {
                return;
            }
            if self.skip > 0 {
                let n = (self.skip.min(data.len() as u64)) as usize;
                self.skip -= n as u64;
                data = data.get(n..).unwrap_or(&[]);
                continue;
            }
            if self.buf.is_empty() {
                // Nothing held: frames are parsed straight from `data`,
                // and only an incomplete one's bytes are kept.
                data = self.parse_unbuffered(data, out);
                continue;
            }
            // Take only what the current frame can use, so the buffer
            // never holds more than one frame.
            let want = if self.need > self.buf.len() {
                self.need - self.buf.len()
            } else {
                data.len()
            };
            let take = want.min(data.len());
            self.buf.extend_from_slice(data.get(..take).unwrap_or(&[]));
            data = data.get(take..).unwrap_or(&[]);
            self.drain(out);
        }
    }

    /// One step of parsing `buf` (the held bytes, or new bytes when
    /// nothing is held).
    fn step(&mut self, buf: &[u8]) -> Step {
        match self.kind {
            StreamKind::Message => parse_message_frame(buf),
            StreamKind::MsgAppV2 => self.parse_msgapp_frame(buf),
        }
    }

    /// [`Self::drain`] on `data` itself while nothing is held (no copy):
    /// decodes its complete frames, keeps an incomplete one in the buffer,
    /// and returns what is left to read (bytes after an error, which the
    /// caller drops, or nothing).
    fn parse_unbuffered<'a>(
        &mut self,
        mut data: &'a [u8],
        out: &mut Vec<Result<Frame, FrameError>>,
    ) -> &'a [u8] {
        while !data.is_empty() {
            match self.step(data) {
                Step::Need(n) => {
                    self.buf.extend_from_slice(data);
                    self.need = n;
                    return &[];
                }
                Step::Skip { header, len } => {
                    out.push(Ok(Frame::Oversized { len }));
                    data = data.get(header..).unwrap_or(&[]);
                    let dropped = len.min(data.len() as u64);
                    self.skip = len - dropped;
                    data = data.get(dropped as usize..).unwrap_or(&[]);
                    self.need = 0;
                    if self.kind == StreamKind::MsgAppV2 {
                        self.term = None;
                        self.index = None;
                    }
                    if self.skip > 0 {
                        return data;
                    }
                }
                Step::Done(used, frame) => {
                    data = data.get(used..).unwrap_or(&[]);
                    self.need = 0;
                    let frame = self.track(frame);
                    out.push(Ok(frame));
                }
                Step::Error(e) => {
                    out.push(Err(e));
                    self.lost();
                    return data;
                }
            }
        }
        data
    }

    /// Decodes every complete frame in the buffer.
    fn drain(&mut self, out: &mut Vec<Result<Frame, FrameError>>) {
        loop {
            if self.buf.is_empty() || self.buf.len() < self.need {
                return;
            }
            let buf = std::mem::take(&mut self.buf);
            let step = self.step(&buf);
            self.buf = buf;
            match step {
                Step::Need(n) => {
                    self.need = n;
                    return;
                }
                Step::Skip { header, len } => {
                    self.skip = len;
                    out.push(Ok(Frame::Oversized { len }));
                    self.consume(header);
                    // The rest of the buffer (if any) belongs to the frame.
                    let extra = self.buf.len() as u64;
                    let dropped = extra.min(self.skip);
                    self.skip -= dropped;
                    self.consume(dropped as usize);
                    if self.kind == StreamKind::MsgAppV2 {
                        self.term = None;
                        self.index = None;
                    }
                }
                Step::Done(used, frame) => {
                    self.consume(used);
                    out.push(Ok(self.track(frame)));
                }
                Step::Error(e) => {
                    out.push(Err(e));
                    self.lost();
                    return;
                }
            }
        }
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.buf.len());
        self.buf.drain(..n);
        self.need = 0;
    }

    /// Updates the tracked sender/receiver and msgappv2 position.
    fn track(&mut self, frame: Frame) -> Frame {
        if let Frame::Message {
            message, derived, ..
        } = &frame
        {
            if !*derived && !is_link_heartbeat(message) {
                self.from = message.from;
                self.to = message.to;
            }
            if self.kind == StreamKind::MsgAppV2 && !*derived {
                self.term = Some(message.term);
                self.index = Some(
                    message
                        .entries
                        .last()
                        .map(|e| e.index)
                        .unwrap_or(message.index),
                );
            }
        }
        frame
    }

    fn parse_msgapp_frame(&mut self, buf: &[u8]) -> Step {
        let Some(&tag) = buf.first() else {
            return Step::Need(1);
        };
        match tag {
            0 => Step::Done(1, Frame::LinkHeartbeat),
            1 => {
                let body = buf.get(1..).unwrap_or(&[]);
                let Some(count) = be_u64(body, 0) else {
                    return Step::Need(9);
                };
                if count > MAX_ENTRIES {
                    return Step::Error(FrameError::TooManyEntries(count));
                }
                let mut pos = 8usize;
                let mut entries = Vec::new();
                for _ in 0..count {
                    let Some(size) = be_u64(body, pos) else {
                        return Step::Need(1 + pos + 8);
                    };
                    if size > MAX_FRAME as u64 || pos + 8 + size as usize > MAX_FRAME {
                        // Cannot buffer it: skip the rest of the stream
                        // until the next boundary.
                        return Step::Error(FrameError::BadEntry(format!(
                            "entry of {size} bytes exceeds the {MAX_FRAME}-byte cap"
                        )));
                    }
                    let start = pos + 8;
                    let end = start + size as usize;
                    let Some(bytes) = body.get(start..end) else {
                        return Step::Need(1 + end);
                    };
                    match Entry::decode(bytes) {
                        Ok(e) => entries.push(e),
                        Err(e) => return Step::Error(FrameError::BadEntry(e.to_string())),
                    }
                    pos = end;
                }
                let Some(commit) = be_u64(body, pos) else {
                    return Step::Need(1 + pos + 8);
                };
                let known = self.term.is_some() && self.index.is_some();
                // Mid-stream the position is unknown; the entries carry
                // their own term and index, which give it back.
                let term = self
                    .term
                    .or_else(|| entries.first().map(|e| e.term))
                    .unwrap_or(0);
                let index = self
                    .index
                    .or_else(|| entries.first().map(|e| e.index.saturating_sub(1)))
                    .unwrap_or(0);
                let n = entries.len() as u64;
                let message = Message {
                    r#type: MSG_APP,
                    from: self.from,
                    to: self.to,
                    term,
                    log_term: term,
                    index,
                    commit,
                    entries,
                    ..Default::default()
                };
                if known {
                    self.index = Some(index + n);
                } else if let Some(last) = message.entries.last() {
                    self.term = Some(term);
                    self.index = Some(last.index);
                }
                Step::Done(
                    1 + pos + 8,
                    Frame::Message {
                        message: Box::new(message),
                        derived: true,
                        known_position: known || n > 0,
                    },
                )
            }
            2 => match parse_message_frame(buf.get(1..).unwrap_or(&[])) {
                Step::Need(n) => Step::Need(n + 1),
                Step::Skip { header, len } => Step::Skip {
                    header: header + 1,
                    len,
                },
                Step::Done(n, f) => Step::Done(n + 1, f),
                e @ Step::Error(_) => e,
            },
            other => Step::Error(FrameError::UnknownTag(other)),
        }
    }
}

enum Step {
    /// Incomplete: parse again when the buffer holds this many bytes.
    Need(usize),
    /// Header of an oversized frame: drop `header` bytes, then skip `len`.
    Skip {
        header: usize,
        len: u64,
    },
    Done(usize, Frame),
    Error(FrameError),
}

/// 8-byte big-endian length, then a raftpb.Message.
fn parse_message_frame(buf: &[u8]) -> Step {
    let Some(len) = be_u64(buf, 0) else {
        return Step::Need(8);
    };
    if len > MAX_FRAME as u64 {
        return Step::Skip { header: 8, len };
    }
    let end = 8 + len as usize;
    let Some(bytes) = buf.get(8..end) else {
        return Step::Need(end);
    };
    match decode_message(bytes) {
        Ok(m) => {
            if is_link_heartbeat(&m) {
                Step::Done(end, Frame::LinkHeartbeat)
            } else {
                Step::Done(
                    end,
                    Frame::Message {
                        message: Box::new(m),
                        derived: false,
                        known_position: true,
                    },
                )
            }
        }
        Err(e) => Step::Error(e),
    }
}

/// Decodes one raftpb.Message (the body of `POST /raft`).
pub fn decode_message(bytes: &[u8]) -> Result<Message, FrameError> {
    super::raftpb::decode(bytes).map_err(|e| FrameError::BadMessage(e.to_string()))
}

fn be_u64(buf: &[u8], at: usize) -> Option<u64> {
    let b: [u8; 8] = buf.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_be_bytes(b))
}

/// Guesses the framing of a stream body joined mid-way from the first
/// bytes of an HTTP chunk (`data` is the whole chunk). None when it looks
/// like neither.
pub fn guess_stream_kind(chunk: &[u8]) -> Option<StreamKind> {
    match chunk {
        [0] => Some(StreamKind::MsgAppV2),
        [0, ..] if chunk.len() >= 9 => {
            let len = be_u64(chunk, 0)?;
            if len > 0 && len <= (chunk.len() - 8) as u64 {
                Some(StreamKind::Message)
            } else {
                Some(StreamKind::MsgAppV2)
            }
        }
        [1 | 2, ..] => Some(StreamKind::MsgAppV2),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(kind: StreamKind, bytes: &[u8], step: usize) -> Vec<Result<Frame, FrameError>> {
        let mut d = StreamDecoder::new(kind);
        let mut out = Vec::new();
        for c in bytes.chunks(step.max(1)) {
            d.push(c, &mut out);
        }
        out
    }

    fn msg(t: i32, term: u64, index: u64, entries: usize) -> Message {
        Message {
            r#type: t,
            from: 1,
            to: 2,
            term,
            index,
            log_term: term,
            entries: (0..entries)
                .map(|i| Entry {
                    term,
                    index: index + 1 + i as u64,
                    r#type: 0,
                    data: vec![i as u8; 3],
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn msgappv2_tracks_term_and_index_in_any_split() {
        let full = msg(MSG_APP, 3, 10, 2).encode_to_vec();
        let mut s = vec![2];
        s.extend_from_slice(&(full.len() as u64).to_be_bytes());
        s.extend_from_slice(&full);
        s.push(0); // link heartbeat
        s.push(1);
        s.extend_from_slice(&1u64.to_be_bytes());
        let e = Entry {
            term: 3,
            index: 13,
            r#type: 0,
            data: b"x".to_vec(),
        }
        .encode_to_vec();
        s.extend_from_slice(&(e.len() as u64).to_be_bytes());
        s.extend_from_slice(&e);
        s.extend_from_slice(&12u64.to_be_bytes());
        for step in [1, 3, 7, s.len()] {
            let out = frames(StreamKind::MsgAppV2, &s, step);
            assert_eq!(out.len(), 3, "split {step}");
            assert_eq!(out[1], Ok(Frame::LinkHeartbeat));
            let Ok(Frame::Message {
                message, derived, ..
            }) = &out[2]
            else {
                panic!("{out:?}")
            };
            assert!(*derived);
            assert_eq!((message.term, message.index, message.commit), (3, 12, 12));
            assert_eq!((message.from, message.to), (1, 2));
        }
    }

    #[test]
    fn bad_tag_then_boundary_resyncs() {
        let mut d = StreamDecoder::new(StreamKind::MsgAppV2);
        let mut out = Vec::new();
        d.push(&[9, 0, 0], &mut out);
        assert_eq!(out, vec![Err(FrameError::UnknownTag(9))]);
        out.clear();
        d.push(&[0], &mut out);
        assert!(out.is_empty());
        d.boundary();
        d.push(&[0], &mut out);
        assert_eq!(out, vec![Ok(Frame::LinkHeartbeat)]);
    }

    #[test]
    fn oversized_frames_are_skipped_not_buffered() {
        let mut d = StreamDecoder::new(StreamKind::Message);
        let mut out = Vec::new();
        let len = MAX_FRAME as u64 + 10;
        d.push(&len.to_be_bytes(), &mut out);
        d.push(&vec![7u8; MAX_FRAME + 10], &mut out);
        assert!(d.buf.is_empty());
        let m = msg(MSG_APP, 1, 1, 0).encode_to_vec();
        let mut f = (m.len() as u64).to_be_bytes().to_vec();
        f.extend_from_slice(&m);
        d.push(&f, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0], Ok(Frame::Oversized { len }));
        assert!(matches!(out[1], Ok(Frame::Message { .. })));
    }

    /// Frames parsed straight from the pushed bytes (nothing held) and
    /// frames assembled in the buffer come out the same: a stream of
    /// messages (one empty), an oversized frame in the middle and
    /// a bad frame at the end gives the same frames pushed a byte at a
    /// time, in odd pieces, or whole.
    #[test]
    fn any_split_gives_the_same_frames() {
        let message = |term: u64, entries: usize| {
            let m = msg(MSG_APP, term, 10 * term, entries).encode_to_vec();
            let mut f = (m.len() as u64).to_be_bytes().to_vec();
            f.extend_from_slice(&m);
            f
        };
        let mut s = Vec::new();
        for term in 1..6 {
            s.extend(message(term, term as usize));
        }
        s.extend(0u64.to_be_bytes()); // an empty message
        let big = MAX_FRAME as u64 + 3;
        s.extend(big.to_be_bytes());
        s.extend(vec![5u8; MAX_FRAME + 3]);
        s.extend(message(7, 3));
        s.extend(4u64.to_be_bytes());
        s.extend([0xff, 0xff, 0xff, 0xff]); // not a raftpb.Message
        s.extend(message(8, 1)); // after the error: dropped
        let whole = frames(StreamKind::Message, &s, s.len());
        assert_eq!(whole.len(), 9, "{whole:?}");
        assert!(matches!(whole[5], Ok(Frame::Message { .. })));
        assert_eq!(whole[6], Ok(Frame::Oversized { len: big }));
        assert!(whole[8].is_err());
        for step in [1, 2, 5, 13, 64, 1000, 70_000] {
            assert_eq!(frames(StreamKind::Message, &s, step), whole, "split {step}");
        }

        // msgappv2: a full message, then heartbeats and derived appends.
        let full = msg(MSG_APP, 3, 10, 2).encode_to_vec();
        let mut s = vec![2];
        s.extend((full.len() as u64).to_be_bytes());
        s.extend(&full);
        for k in 0..4u64 {
            s.push(0);
            s.push(1);
            s.extend(1u64.to_be_bytes());
            let e = Entry {
                term: 3,
                index: 13 + k,
                r#type: 0,
                data: vec![b'x'; k as usize],
            }
            .encode_to_vec();
            s.extend((e.len() as u64).to_be_bytes());
            s.extend(&e);
            s.extend((12 + k).to_be_bytes());
        }
        s.push(9); // unknown tag
        let whole = frames(StreamKind::MsgAppV2, &s, s.len());
        assert_eq!(whole.len(), 10, "{whole:?}");
        for step in 1..40 {
            assert_eq!(
                frames(StreamKind::MsgAppV2, &s, step),
                whole,
                "split {step}"
            );
        }
    }
}
