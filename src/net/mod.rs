//! From captured frames to connections: header decoding ([`decode`]), TCP
//! stream reassembly ([`tcp`]), the connection table ([`flow`]) and its
//! split over two threads ([`shard`]).

pub mod decode;
pub mod flow;
pub mod shard;
pub mod tcp;

pub use decode::{Decoded, TcpFlags, TcpSegment, Transport, Undecodable, decode};
pub use flow::{FlowConfig, FlowRecord, FlowTable, Observer};
pub use tcp::{Chunk, Reassembler};
