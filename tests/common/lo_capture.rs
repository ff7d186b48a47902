//! Captures that tests make themselves on `lo` with tcpdump (the oracle's
//! own capture tool, so what kinspect reads was written by someone else):
//! started and waited for, then stopped with SIGINT so the file is whole.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `tcpdump -i lo -w FILE FILTER`.
pub struct LoCapture {
    child: Option<Child>,
}

impl LoCapture {
    /// Starts tcpdump and returns once it says it is listening (it then
    /// captures everything that follows).
    pub fn start(file: &Path, filter: &str) -> LoCapture {
        let mut child = Command::new("tcpdump")
            .args(["-i", "lo", "-U", "--immediate-mode", "-w"])
            .arg(file)
            .arg(filter)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tcpdump");
        // tcpdump says "listening on lo" once the capture runs.
        let mut err = child.stderr.take().expect("tcpdump stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            let mut seen = Vec::new();
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
                if seen.windows(9).any(|w| w == b"listening") {
                    let _ = tx.send(());
                }
            }
        });
        rx.recv_timeout(Duration::from_secs(10))
            .expect("tcpdump did not start");
        LoCapture { child: Some(child) }
    }

    /// Stops the capture: SIGINT, so tcpdump flushes and closes the file.
    pub fn stop(mut self) {
        if let Some(mut c) = self.child.take() {
            // SAFETY: kill(2) on the pid of a child we still own.
            unsafe {
                libc::kill(c.id() as i32, libc::SIGINT);
            }
            let _ = c.wait();
        }
    }
}

impl Drop for LoCapture {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Waits up to 10 s for `ok`, failing the test with `what`.
pub fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `openssl ARGS` in `dir`, which must succeed.
pub fn openssl(dir: &Path, args: &[&str]) {
    let st = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl");
    assert!(st.success(), "openssl {args:?}");
}

/// A self-signed P-256 server certificate for `subject` (`/CN=...`) in
/// `dir`: `k.pem` and `c.pem`, valid 30 days, with `extra` openssl
/// arguments (an `-addext`, say).
pub fn self_signed_server(dir: &Path, subject: &str, extra: &[&str]) {
    let mut args = vec![
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "k.pem",
        "-subj",
        subject,
    ];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["-days", "30", "-out", "c.pem"]);
    openssl(dir, &args);
}
