//! Packet sources: saved captures (classic pcap in every variant, pcapng),
//! several files merged into one timeline, live interfaces through libpcap,
//! and the pcapng writer behind `capture -w`.
//!
//! Every source yields [`Packet`]s that borrow the source's own buffer: no
//! per-packet copy is made between the file and the decoders.

pub mod file;
pub mod live;
pub mod merge;
pub mod threaded;
pub mod writer;

use std::path::PathBuf;

use crate::timestamp::Timestamp;

pub use file::FileSource;
pub use merge::MergedSource;
pub use threaded::ThreadedSource;

/// Link-layer header types we decode (LINKTYPE_* values of the tcpdump.org
/// registry; a few platform DLT_* aliases are mapped onto them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    pub const NULL: LinkType = LinkType(0);
    pub const ETHERNET: LinkType = LinkType(1);
    pub const RAW: LinkType = LinkType(101);
    pub const LOOP: LinkType = LinkType(108);
    pub const LINUX_SLL: LinkType = LinkType(113);
    pub const IPV4: LinkType = LinkType(228);
    pub const IPV6: LinkType = LinkType(229);
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// Maps DLT aliases (DLT_RAW is 12 or 14 on some BSDs) onto LINKTYPE values.
    pub fn normalized(self) -> LinkType {
        match self.0 {
            12 | 14 => LinkType::RAW,
            other => LinkType(other),
        }
    }

    pub fn name(self) -> &'static str {
        match self.normalized() {
            LinkType::NULL => "null",
            LinkType::ETHERNET => "ethernet",
            LinkType::RAW => "raw",
            LinkType::LOOP => "loop",
            LinkType::LINUX_SLL => "linux-sll",
            LinkType::IPV4 => "raw-ipv4",
            LinkType::IPV6 => "raw-ipv6",
            LinkType::LINUX_SLL2 => "linux-sll2",
            _ => "unsupported",
        }
    }
}

/// One captured frame, borrowed from the source that read it.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    pub ts: Timestamp,
    pub linktype: LinkType,
    /// Length of the frame on the wire (may exceed `data.len()` when the
    /// capture's snaplen cut it short).
    pub origlen: u32,
    pub data: &'a [u8],
}

impl Packet<'_> {
    /// True when the capture kept fewer bytes than the frame had.
    pub fn is_truncated(&self) -> bool {
        (self.data.len() as u64) < u64::from(self.origlen)
    }
}

/// What can go wrong reading packets. Only [`CaptureError::BadHeader`],
/// [`CaptureError::Open`] and the live errors stop a run before any packet;
/// the others end one file after everything before the damage was delivered.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("{path}: cannot open: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A FIFO, device, socket or directory given as a capture file.
    #[error("{path}: {what}")]
    NotRegular { path: PathBuf, what: String },
    #[error("{path}: read error at offset {offset}: {source}")]
    Read {
        path: PathBuf,
        offset: u64,
        source: std::io::Error,
    },
    #[error("{path}: not a capture file: {reason}")]
    BadHeader { path: PathBuf, reason: String },
    #[error("{path}: truncated at offset {offset}: {reason}")]
    Truncated {
        path: PathBuf,
        offset: u64,
        reason: String,
    },
    #[error("{path}: malformed block at offset {offset}: {reason}")]
    Malformed {
        path: PathBuf,
        offset: u64,
        reason: String,
    },
    #[error("live capture on {iface}: {reason}")]
    Live { iface: String, reason: String },
}

impl CaptureError {
    /// True for damage after the header: packets before it were delivered.
    pub fn is_partial(&self) -> bool {
        matches!(
            self,
            CaptureError::Truncated { .. }
                | CaptureError::Malformed { .. }
                | CaptureError::Read { .. }
        )
    }
}

/// A source of packets in timestamp order (per file: file order).
///
/// This is a lending interface: [`PacketSource::current`] borrows the
/// source's buffer until the next call to [`PacketSource::advance`].
pub trait PacketSource {
    /// Moves to the next packet. `Ok(false)` at a clean end.
    fn advance(&mut self) -> Result<bool, CaptureError>;
    /// The packet `advance` moved to. Only meaningful after `Ok(true)`.
    fn current(&self) -> Packet<'_>;
    /// Bytes consumed so far and total bytes, when known (for progress).
    fn progress(&self) -> (u64, Option<u64>) {
        (0, None)
    }
    /// Problems that did not stop the source (a truncated file among several).
    fn take_warnings(&mut self) -> Vec<CaptureError> {
        Vec::new()
    }
    /// pcapng Decryption Secrets Blocks read since the last call, as
    /// (secrets type, data), before the packet they precede is delivered.
    fn take_secrets(&mut self) -> Vec<(u32, Vec<u8>)> {
        Vec::new()
    }
    /// False only when [`PacketSource::take_secrets`] would return nothing:
    /// a check cheaper than taking an empty list at every packet. A source
    /// that keeps secrets and does not answer this is asked every time.
    fn may_have_secrets(&self) -> bool {
        true
    }
}
