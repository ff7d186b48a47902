//! `kinspect etcd keys|get|watch`: keys and stored Kubernetes objects.

use super::{Common, usage_error};
use crate::etcd::EtcdOptions;

#[derive(Debug, clap::Args)]
pub struct KeysArgs {}

pub fn run_keys(_args: KeysArgs, _opts: &EtcdOptions, _common: &Common) -> i32 {
    usage_error("etcd keys: not built yet")
}
