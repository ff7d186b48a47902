//! raftpb decoding on any bytes: `Message::decode` never panics (nesting
//! of `responses` is bounded by prost's recursion limit); a decoded
//! message survives an encode/decode round trip unchanged; describing it
//! (the `raft_message` event, entry summaries, ConfChange payloads) never
//! panics; `/members` JSON parsing never panics; and the hand decoder
//! (`raftpb::decode_plain`), whenever it takes the bytes, gives what prost
//! gives.

#![no_main]

use kinspect::proto::Context;
use kinspect::proto::raft::raftpb;
use kinspect::proto::raft::{Transport, members_from_json, message_event};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ctx = Context::default();
    if let Some(m) = raftpb::decode_plain(data) {
        let prost = raftpb::decode_prost(data);
        assert_eq!(Ok(&m), prost.as_ref(), "the hand decoder differs from prost");
    }
    if let Ok(m) = raftpb::decode(data) {
        let again = raftpb::decode(&raftpb::encode(&m)).expect("re-encoded message decodes");
        assert_eq!(again, m, "round trip changed the message");
        let _ = message_event(&m, Transport::Post, false, &ctx);
    }
    let _ = members_from_json(data);
});
