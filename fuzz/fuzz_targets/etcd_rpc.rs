//! `proto::etcd_rpc` on any bytes: the first byte picks an etcd method and
//! a direction (or a Raft entry), the rest is the message. Checks: never a
//! panic; an event always has a name, a non-empty one-line summary of
//! bounded length; lists stay within their caps;
//! a Raft entry description is one bounded line.

#![no_main]

use kinspect::proto::Context;
use kinspect::proto::etcd_rpc::{self, MAX_LISTED, describe_internal_raft_request};
use libfuzzer_sys::fuzz_target;

const PATHS: [&str; 30] = [
    "/etcdserverpb.KV/Range",
    "/etcdserverpb.KV/Put",
    "/etcdserverpb.KV/DeleteRange",
    "/etcdserverpb.KV/Txn",
    "/etcdserverpb.KV/Compact",
    "/etcdserverpb.Watch/Watch",
    "/etcdserverpb.Lease/LeaseGrant",
    "/etcdserverpb.Lease/LeaseRevoke",
    "/etcdserverpb.Lease/LeaseKeepAlive",
    "/etcdserverpb.Lease/LeaseTimeToLive",
    "/etcdserverpb.Lease/LeaseLeases",
    "/etcdserverpb.Cluster/MemberAdd",
    "/etcdserverpb.Cluster/MemberRemove",
    "/etcdserverpb.Cluster/MemberUpdate",
    "/etcdserverpb.Cluster/MemberList",
    "/etcdserverpb.Cluster/MemberPromote",
    "/etcdserverpb.Maintenance/Alarm",
    "/etcdserverpb.Maintenance/Status",
    "/etcdserverpb.Maintenance/Defragment",
    "/etcdserverpb.Maintenance/Hash",
    "/etcdserverpb.Maintenance/HashKV",
    "/etcdserverpb.Maintenance/Snapshot",
    "/etcdserverpb.Maintenance/MoveLeader",
    "/etcdserverpb.Maintenance/Downgrade",
    "/etcdserverpb.Auth/Authenticate",
    "/etcdserverpb.Auth/UserAdd",
    "/etcdserverpb.Auth/UserGrantRole",
    "/etcdserverpb.Auth/UserList",
    "/etcdserverpb.Unknown/Thing",
    "/other.Service/Method",
];

/// Longest summary any message may produce (keys and values are capped).
const MAX_LINE: usize = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, message)) = data.split_first() else {
        return;
    };
    let ctx = Context {
        show_secrets: pick & 0x80 != 0,
        ..Default::default()
    };
    let choice = usize::from(pick & 0x7f);
    if choice >= PATHS.len() * 2 {
        if let Some(line) = describe_internal_raft_request(message, &ctx) {
            assert!(!line.is_empty());
            assert!(line.len() <= MAX_LINE, "raft line of {} bytes", line.len());
        }
        return;
    }
    let path = PATHS[choice / 2];
    let request = choice % 2 == 0;
    let Some(event) = etcd_rpc::decode(path, request, message, &ctx) else {
        return;
    };
    assert!(path.starts_with("/etcdserverpb."), "event for {path}");
    assert!(event.name().starts_with("etcd_"));
    let line = event.summary();
    assert!(!line.is_empty());
    assert!(line.len() <= MAX_LINE, "summary of {} bytes", line.len());
    let call = event.call();
    assert_eq!(call.message_bytes, message.len());
    assert!(call.kvs.len() <= MAX_LISTED);
    assert!(call.events.len() <= MAX_LISTED);
    assert!(call.members.len() <= MAX_LISTED);
});
