//! `kinspect pcap`'s standard output: a pipe on it is widened to 1 MiB
//! (the reader on the other end wakes less often), and the same bytes come
//! through the pipe as go into a file.

#![cfg(target_os = "linux")]

use std::io::Read;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Command, Stdio};

#[test]
fn a_pipe_on_stdout_is_widened_and_carries_the_same_bytes_as_a_file() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let capture = dir.join("captures/etcd-3node-leader-kill.pcapng");
    let bin = env!("CARGO_BIN_EXE_kinspect");
    for view in [
        &["flows"][..],
        &["flows", "-o", "json"],
        &["events", "-o", "json"],
    ] {
        let file = tempfile::NamedTempFile::new().expect("temp file");
        let status = Command::new(bin)
            .arg("pcap")
            .args(view)
            .arg(&capture)
            .stdout(file.reopen().expect("reopen"))
            .stderr(Stdio::null())
            .status()
            .expect("kinspect runs");
        assert!(status.success(), "{view:?} into a file: {status}");
        let into_file = std::fs::read(file.path()).expect("output file");

        let mut child = Command::new(bin)
            .arg("pcap")
            .args(view)
            .arg(&capture)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("kinspect runs");
        let mut pipe = child.stdout.take().expect("stdout pipe");
        let mut through_pipe = Vec::new();
        pipe.read_to_end(&mut through_pipe).expect("read the pipe");
        assert!(
            child.wait().expect("exit").success(),
            "{view:?} into a pipe"
        );
        assert!(
            into_file.len() > 10_000,
            "{view:?}: {} bytes",
            into_file.len()
        );
        assert!(
            into_file == through_pipe,
            "{view:?}: the pipe carried other bytes"
        );

        // The pipe outlives the writer: its size is what kinspect set.
        // SAFETY: F_GETPIPE_SZ only reads the size of our own pipe.
        let size = unsafe { libc::fcntl(pipe.as_raw_fd(), libc::F_GETPIPE_SZ) };
        let max: i64 = std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        if max >= 1 << 20 {
            assert_eq!(size, 1 << 20, "{view:?}: pipe size");
        } else {
            // A machine limiting pipes below 1 MiB: kinspect keeps the pipe
            // (root may go past the limit).
            assert!(
                size == 1 << 16 || size == 1 << 20,
                "{view:?}: pipe size {size} (limit {max})"
            );
        }
    }
}
