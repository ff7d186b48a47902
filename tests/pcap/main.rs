//! The capture and dissector tests: real captures (the repository's, the
//! third-party corpus), hand-built segment sequences and byte streams, with
//! tshark, capinfos and Chromium as oracles. One test binary with a module
//! per file, linked once instead of seventeen times; none of them holds a
//! port, an interface or an etcd cluster (those stay binaries of their own).

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod captures_truth;
mod corpus_flows;
mod election;
mod etcd_rpc;
mod grpc;
mod http1;
mod http2;
mod malformed_input;
mod pcap_stdout;
mod pictures;
mod raft;
mod reassembly;
mod rpc_view;
mod threads_identical;
mod tls_corpus;
mod tls_decrypt;
mod tls_dissect;
