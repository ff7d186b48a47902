//! `etcd::range`'s RangeResponse (keys and values left as slices of the
//! received message) on any bytes: never a panic, and it accepts exactly
//! what the capture dissector's RangeResponse (keys and values copied out)
//! accepts, with the same header, keys, values and revisions.

#![no_main]

use bytes::Bytes;
use kinspect::etcd::range::RangeResponse;
use kinspect::proto::etcd_rpc::pb;
use libfuzzer_sys::fuzz_target;
use prost::Message;

fuzz_target!(|data: &[u8]| {
    let sliced = RangeResponse::decode(Bytes::copy_from_slice(data));
    let copied = pb::RangeResponse::decode(data);
    match (sliced, copied) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.header, b.header);
            assert_eq!((a.more, a.count), (b.more, b.count));
            assert_eq!(a.kvs.len(), b.kvs.len());
            for (x, y) in a.kvs.iter().zip(&b.kvs) {
                assert_eq!(x.key(), y.key.as_slice());
                assert_eq!(x.value(), y.value.as_slice());
                assert_eq!(
                    (x.create_revision(), x.mod_revision(), x.version(), x.lease()),
                    (y.create_revision, y.mod_revision, y.version, y.lease)
                );
            }
        }
        (Err(_), Err(_)) => {}
        (a, b) => panic!("the two decoders disagree: sliced {:?}, copied {:?}", a.err(), b.err()),
    }
});
