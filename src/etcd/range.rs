//! etcd's Range call with the values left where they arrived: the
//! response is decoded by prost into `bytes::Bytes` fields, which are
//! slices of the buffer tonic received the message in, so a page of
//! values is never copied once more (etcd-client's generated types hold
//! `Vec<u8>`: one allocation and one copy per key and per value).
//!
//! On 10,000 stored Pods (`etcd get --prefix -o yaml`) that copy was a
//! third of the fetching thread's time, and the fetching thread is on
//! the walk's critical path: etcd does not start the next page until it
//! has been asked for it, and it is asked for only once the last key of
//! the previous page is known.
//!
//! The request and the header are the capture dissector's messages
//! ([`crate::proto::etcd_rpc::pb`]); the response and its key-values are
//! declared again here with `Bytes` fields (no crate exports etcd's
//! messages that way), with the field numbers of etcd's
//! `etcdserverpb.RangeResponse` and `mvccpb.KeyValue`. Everything else
//! (TLS, the per-call timeout, errors) is the tonic channel etcd-client
//! uses for every other call.

use bytes::Bytes;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Channel;

pub use crate::proto::etcd_rpc::pb::{RangeRequest, ResponseHeader};

/// etcd's `mvccpb.KeyValue`, key and value as slices of the received
/// message.
#[derive(Clone, PartialEq, prost::Message)]
pub struct KeyValue {
    #[prost(bytes = "bytes", tag = "1")]
    key: Bytes,
    #[prost(int64, tag = "2")]
    create_revision: i64,
    #[prost(int64, tag = "3")]
    mod_revision: i64,
    #[prost(int64, tag = "4")]
    version: i64,
    #[prost(bytes = "bytes", tag = "5")]
    value: Bytes,
    #[prost(int64, tag = "6")]
    lease: i64,
}

impl KeyValue {
    /// A key-value as etcd would send it (for tests and benchmarks).
    pub fn new(key: &[u8], value: &[u8], revisions: (i64, i64), version: i64) -> Self {
        KeyValue {
            key: Bytes::copy_from_slice(key),
            create_revision: revisions.0,
            mod_revision: revisions.1,
            version,
            value: Bytes::copy_from_slice(value),
            lease: 0,
        }
    }
    pub fn key(&self) -> &[u8] {
        &self.key
    }
    pub fn value(&self) -> &[u8] {
        &self.value
    }
    pub fn create_revision(&self) -> i64 {
        self.create_revision
    }
    pub fn mod_revision(&self) -> i64 {
        self.mod_revision
    }
    pub fn version(&self) -> i64 {
        self.version
    }
    pub fn lease(&self) -> i64 {
        self.lease
    }
}

/// etcd's `RangeResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct RangeResponse {
    #[prost(message, optional, tag = "1")]
    pub header: Option<ResponseHeader>,
    #[prost(message, repeated, tag = "2")]
    pub kvs: Vec<KeyValue>,
    #[prost(bool, tag = "3")]
    pub more: bool,
    #[prost(int64, tag = "4")]
    pub count: i64,
}

/// One Range call on `channel`, answers up to `max_bytes` long. Errors
/// are etcd-client's, so that they are classified as every other call's.
pub async fn range(
    channel: Channel,
    request: RangeRequest,
    max_bytes: usize,
) -> Result<RangeResponse, etcd_client::Error> {
    let mut grpc = tonic::client::Grpc::new(channel).max_decoding_message_size(max_bytes);
    grpc.ready()
        .await
        .map_err(etcd_client::Error::TransportError)?;
    let codec = tonic_prost::ProstCodec::<RangeRequest, RangeResponse>::default();
    let path = PathAndQuery::from_static("/etcdserverpb.KV/Range");
    let response = grpc
        .unary(tonic::Request::new(request), path, codec)
        .await
        .map_err(etcd_client::Error::GRpcStatus)?;
    Ok(response.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    /// The hand-written messages read what etcd-client's generated ones
    /// write, field for field, and keep the values as slices of the
    /// buffer they were decoded from.
    #[test]
    fn reads_what_the_generated_types_write_without_copying() {
        let kvs = (0..3i64)
            .map(|i| etcd_client::proto::PbKeyValue {
                key: format!("/registry/pods/default/p{i}").into_bytes(),
                create_revision: 10 + i,
                mod_revision: 20 + i,
                version: 1 + i,
                value: vec![b'v'; 100 + i as usize],
                lease: i,
            })
            .collect();
        let resp = etcd_client::proto::PbRangeResponse {
            header: Some(etcd_client::proto::PbResponseHeader {
                cluster_id: 7,
                member_id: 8,
                revision: 1234,
                raft_term: 3,
            }),
            kvs,
            more: true,
            count: 99,
        };
        let wire = Bytes::from(resp.encode_to_vec());
        let got = RangeResponse::decode(wire.clone()).unwrap();
        assert_eq!(got.header.as_ref().map(|h| h.revision), Some(1234));
        assert!(got.more);
        assert_eq!(got.count, 99);
        assert_eq!(got.kvs.len(), 3);
        for (i, kv) in got.kvs.iter().enumerate() {
            let want = &resp.kvs[i];
            assert_eq!(kv.key(), want.key.as_slice());
            assert_eq!(kv.value(), want.value.as_slice());
            assert_eq!(
                (
                    kv.create_revision(),
                    kv.mod_revision(),
                    kv.version(),
                    kv.lease()
                ),
                (
                    want.create_revision,
                    want.mod_revision,
                    want.version,
                    want.lease
                )
            );
            // A slice of `wire`, not a copy.
            let range = wire.as_ptr_range();
            assert!(range.contains(&kv.value().as_ptr()), "value {i} was copied");
        }
    }
}
