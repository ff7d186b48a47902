//! What the tests that start etcd share (tests/etcd_cluster.rs,
//! tests/lab.rs): the kinspect command with this machine's etcd settings
//! taken out of its environment, and a run of it that fails the test when
//! it hangs.

use std::process::Command;
use std::time::Duration;

use super::Run;

/// Time for one command against a lab: starting or stopping three etcd
/// members takes a few seconds; a hang fails the test after this.
pub const LIMIT: Duration = Duration::from_secs(45);

/// The built binary with `args`, and none of the settings that would point
/// it at this machine's etcd: etcdctl's variables, a lab folder, an etcd
/// binary, kubeadm's etcd certificates (see tls_lab_cluster).
pub fn kinspect_command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kinspect"));
    c.args(args);
    c.env("KINSPECT_KUBEADM_ETCD_PKI", "/nonexistent/kinspect-test");
    for k in [
        "ETCDCTL_ENDPOINTS",
        "ETCDCTL_CACERT",
        "ETCDCTL_CERT",
        "ETCDCTL_KEY",
        "KINSPECT_LAB_DIR",
        "KINSPECT_ETCD",
    ] {
        c.env_remove(k);
    }
    c
}

/// Runs `cmd` to its end; fails the test if it takes longer than `limit`.
pub fn run_within(cmd: Command, limit: Duration) -> Run {
    super::run_command(cmd, limit).finished()
}

/// [`kinspect_command`] run to its end within [`LIMIT`].
pub fn run(args: &[&str]) -> Run {
    run_within(kinspect_command(args), LIMIT)
}
