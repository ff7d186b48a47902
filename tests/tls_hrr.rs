//! A TLS 1.3 handshake with a HelloRetryRequest, made by the test: openssl
//! s_server accepts only P-256 (`-groups P-256`), s_client offers X25519
//! first (`-groups X25519:P-256`), so the server asks again. Captured with
//! tcpdump on lo (needs root) and checked against tshark: both
//! ClientHellos and both ServerHellos decoded, the version and cipher of
//! the real ServerHello, JA4 from the first ClientHello, and a verdict from
//! the real outcome (with and without the key log).

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::kinspect;
use common::lo_capture::{LoCapture, self_signed_server};

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// True once something listens on TCP `port` (IPv4 or IPv6).
fn listening(port: u16) -> bool {
    let want = format!(":{port:04X} ");
    ["/proc/net/tcp", "/proc/net/tcp6"].iter().any(|f| {
        std::fs::read_to_string(f).is_ok_and(|t| {
            t.lines().skip(1).any(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                cols.len() > 3 && format!("{} ", cols[1]).contains(&want) && cols[3] == "0A"
            })
        })
    })
}

/// tshark's view of the handshake messages: (type, cipher suite, random).
fn tshark_hellos(cap: &Path, port: u16) -> Vec<(u32, String, String)> {
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(cap)
        .args([
            "-d",
            &format!("tcp.port=={port},tls"),
            "-Y",
            "tls.handshake.type == 1 || tls.handshake.type == 2",
        ])
        .args([
            "-T",
            "fields",
            "-e",
            "tls.handshake.type",
            "-e",
            "tls.handshake.ciphersuite",
            "-e",
            "tls.handshake.random",
        ])
        .output()
        .expect("tshark");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Some((
                f.first()?.parse().ok()?,
                f.get(1)?.to_string(),
                f.get(2)?.to_string(),
            ))
        })
        .collect()
}

/// `openssl s_server` offering only P-256 with TLS 1.3, listening on a
/// port the kernel just handed out. A port can be taken again between our
/// probe and openssl's bind (other tests run beside this one), so a server
/// that exits before it listens is started again on a new port.
fn start_s_server(dir: &std::path::Path) -> (std::process::Child, u16) {
    let mut last = String::new();
    for _ in 0..5 {
        let port = common::free_port();
        let mut server = Command::new("openssl")
            .args(["s_server", "-accept", &port.to_string()])
            .args(["-cert", "c.pem", "-key", "k.pem"])
            .args(["-groups", "P-256", "-tls1_3", "-quiet"])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("s_server");
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if listening(port) {
                return (server, port);
            }
            if let Ok(Some(status)) = server.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = server.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut e, &mut err);
                }
                last = format!("port {port}: s_server exited ({status}): {err}");
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if server.try_wait().ok().flatten().is_none() {
            let _ = server.kill();
            let _ = server.wait();
            last = format!("port {port}: s_server not listening after 20 s");
        }
    }
    panic!("openssl s_server did not start: {last}");
}

/// The HelloRetryRequest random (RFC 8446 §4.1.3).
const HRR_RANDOM: &str = "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c";

#[test]
fn hello_retry_request_is_decoded_end_to_end() {
    for tool in ["openssl", "tcpdump", "tshark"] {
        if !have(tool) {
            eprintln!("SKIP: {tool} not installed");
            return;
        }
    }
    if !common::is_root() {
        eprintln!("SKIP: capturing on lo needs root");
        return;
    }
    let dir = std::env::temp_dir().join(format!("kinspect-hrr-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    self_signed_server(&dir, "/CN=hrr.test", &[]);
    let (mut server, port) = start_s_server(&dir);
    let cap = dir.join("hrr.pcap");
    let keylog = dir.join("keys.log");
    let tcpdump = LoCapture::start(&cap, &format!("tcp port {port}"));

    let mut client = Command::new("openssl")
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
        .args([
            "-groups",
            "X25519:P-256",
            "-servername",
            "hrr.test",
            "-alpn",
            "h2",
            "-tls1_3",
        ])
        .arg("-keylogfile")
        .arg(&keylog)
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("s_client");
    let _ = client.stdin.take().unwrap().write_all(b"hello\n");
    let start = Instant::now();
    while client.try_wait().ok().flatten().is_none() && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = client.kill();
    let _ = client.wait();
    std::thread::sleep(Duration::from_millis(500));
    tcpdump.stop();
    let _ = server.kill();
    let _ = server.wait();

    // tshark: ClientHello, HelloRetryRequest, ClientHello, ServerHello.
    let hellos = tshark_hellos(&cap, port);
    let types: Vec<u32> = hellos.iter().map(|h| h.0).collect();
    assert_eq!(types, [1, 2, 1, 2], "tshark: {hellos:?}");
    assert_eq!(
        hellos[1].2, HRR_RANDOM,
        "the second message is a HelloRetryRequest"
    );
    let cipher = u16::from_str_radix(hellos[3].1.trim_start_matches("0x"), 16).unwrap();

    for with_keys in [false, true] {
        let mut args = vec![
            "pcap".to_string(),
            "events".into(),
            "-o".into(),
            "json".into(),
        ];
        if with_keys {
            args.extend(["--keylog".into(), keylog.to_str().unwrap().into()]);
        }
        args.push(cap.to_str().unwrap().into());
        let run = kinspect(&args);
        assert_eq!(run.code, Some(0), "{}", run.describe());
        let events = common::json_lines("hrr", &run.stdout);
        let of = |t: &str| -> Vec<&serde_json::Value> {
            events.iter().filter(|e| e["type"] == t).collect()
        };
        let chs = of("tls_client_hello");
        let shs = of("tls_server_hello");
        assert_eq!(chs.len(), 2, "two ClientHellos: {}", run.stdout);
        assert_eq!(shs.len(), 2, "two ServerHellos: {}", run.stdout);
        assert_eq!(shs[0]["hello_retry_request"], true);
        assert_eq!(shs[1]["hello_retry_request"], false);
        let sessions = of("tls_session");
        assert_eq!(sessions.len(), 1);
        let s = sessions[0];
        assert_eq!(s["version"], "TLS 1.3", "{s}");
        let expected_cipher = match cipher {
            0x1301 => "TLS_AES_128_GCM_SHA256",
            0x1302 => "TLS_AES_256_GCM_SHA384",
            0x1303 => "TLS_CHACHA20_POLY1305_SHA256",
            other => panic!("tshark cipher {other:#x}"),
        };
        assert_eq!(s["cipher"], expected_cipher, "{s}");
        assert_eq!(s["hello_retry_request"], true);
        assert_eq!(s["ja4"], chs[0]["ja4"], "JA4 of the first ClientHello");
        let verdict = s["verdict"].as_str().unwrap();
        assert!(verdict.starts_with("ok"), "verdict {verdict}");
        if with_keys {
            assert_eq!(s["decrypted"], true, "{s}");
            assert_eq!(verdict, "ok", "{s}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
