//! kinspect: see inside a Kubernetes control plane.
//!
//! The packet pipeline (DESIGN.md): [`capture`] sources yield packets,
//! [`net`] decodes headers and rebuilds TCP connections, [`proto`] chooses
//! and runs stream dissectors that emit [`event`]s, and [`view`]s render
//! them as tables or JSON Lines. [`pipeline`] wires these together; [`cli`]
//! is the command line over all of it.
//!
//! Outside the pipeline: [`pki`] (certificates, chains, diagnosis, TLS
//! probe), [`etcd`] (client, status, leader watch, keys), [`k8s`] (stored
//! object decoding), [`lab`] (a local etcd cluster) and [`doctor`]
//! (diagnosis of a control-plane node from its files and probes).

pub mod capture;
pub mod cli;
pub mod doctor;
pub mod etcd;
pub mod event;
pub mod fsutil;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
pub mod k8s;
pub mod lab;
pub mod net;
pub mod outcome;
pub mod pipeline;
pub mod pki;
pub mod proto;
pub mod timestamp;
pub mod view;
