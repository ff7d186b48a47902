//! TLS after a plaintext exchange, on ports kinspect knows nothing about:
//! `openssl s_client -starttls smtp|imap|postgres` against a small
//! responder written here, which speaks the protocol's greeting and its
//! STARTTLS (or SSLRequest) answer, then splices the socket to an
//! `openssl s_server` (which has no STARTTLS of its own). Captured with
//! tcpdump on lo (needs root) and checked against tshark, told the
//! protocols with `-d tcp.port==N,smtp|imap|pgsql`: SNI, version and
//! cipher of each connection, the exchange named, the prefix counted.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::kinspect;
use common::lo_capture::{LoCapture, self_signed_server, wait_for};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Proto {
    Smtp,
    Imap,
    Postgres,
}

impl Proto {
    fn starttls(self) -> &'static str {
        match self {
            Proto::Smtp => "smtp",
            Proto::Imap => "imap",
            Proto::Postgres => "postgres",
        }
    }
    fn tshark(self) -> &'static str {
        match self {
            Proto::Smtp => "smtp",
            Proto::Imap => "imap",
            Proto::Postgres => "pgsql",
        }
    }
    fn expected(self) -> (&'static str, &'static str) {
        match self {
            Proto::Smtp => ("SMTP", "STARTTLS"),
            Proto::Imap => ("IMAP", "STARTTLS"),
            Proto::Postgres => ("PostgreSQL", "SSLRequest"),
        }
    }
}

fn read_line(r: &mut BufReader<TcpStream>) -> String {
    let mut l = String::new();
    let _ = r.read_line(&mut l);
    l
}

/// Speaks the plaintext part (as RFC 3207, RFC 3501 and the PostgreSQL
/// protocol's SSLRequest say), returning the bytes written by the server.
fn plaintext(proto: Proto, sock: &TcpStream) -> usize {
    let mut w = sock.try_clone().expect("clone");
    let mut r = BufReader::new(sock.try_clone().expect("clone"));
    let mut said = 0;
    let mut say = |w: &mut TcpStream, s: &[u8]| {
        w.write_all(s).expect("write");
        said += s.len();
    };
    match proto {
        Proto::Smtp => {
            say(&mut w, b"220 mail.test ESMTP kinspect-test\r\n");
            read_line(&mut r); // EHLO
            say(&mut w, b"250-mail.test\r\n250 STARTTLS\r\n");
            read_line(&mut r); // STARTTLS
            say(&mut w, b"220 2.0.0 Ready to start TLS\r\n");
        }
        Proto::Imap => {
            say(&mut w, b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n");
            read_line(&mut r); // . CAPABILITY
            say(&mut w, b"* CAPABILITY IMAP4rev1 STARTTLS\r\n. OK done\r\n");
            read_line(&mut r); // . STARTTLS
            say(&mut w, b". OK begin TLS\r\n");
        }
        Proto::Postgres => {
            let mut req = [0u8; 8];
            r.read_exact(&mut req).expect("SSLRequest");
            assert_eq!(req, [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
            say(&mut w, b"S");
        }
    }
    assert!(r.buffer().is_empty(), "client spoke TLS before the answer");
    said
}

/// Accepts one connection on `listener`, speaks the plaintext part, then
/// copies bytes both ways between the client and s_server on `tls_port`.
fn responder(listener: TcpListener, proto: Proto, tls_port: u16) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        let (client, _) = listener.accept().expect("accept");
        let said = plaintext(proto, &client);
        let server = TcpStream::connect(("127.0.0.1", tls_port)).expect("s_server");
        let pipe = |mut from: TcpStream, mut to: TcpStream| {
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut from, &mut to);
                let _ = to.shutdown(Shutdown::Write);
            })
        };
        let a = pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
        let b = pipe(server, client);
        let _ = a.join();
        let _ = b.join();
        said
    })
}

/// tshark's ClientHello SNI and ServerHello version and cipher, by server port.
fn tshark_view(cap: &Path, ports: &[(Proto, u16)]) -> Vec<(u16, String, String, String)> {
    let mut cmd = Command::new("tshark");
    cmd.args(["-n", "-r"]).arg(cap);
    for (p, port) in ports {
        cmd.args(["-d", &format!("tcp.port=={port},{}", p.tshark())]);
    }
    let out = cmd
        .args([
            "-Y",
            "tls.handshake.type == 1 || tls.handshake.type == 2",
            "-T",
            "fields",
            "-e",
            "tcp.srcport",
            "-e",
            "tcp.dstport",
            "-e",
            "tls.handshake.type",
            "-e",
            "tls.handshake.extensions_server_name",
            "-e",
            "tls.handshake.ciphersuite",
            "-e",
            "tls.handshake.extensions.supported_version",
        ])
        .output()
        .expect("tshark");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut rows = Vec::new();
    for (_, port) in ports {
        let mut sni = String::new();
        let (mut cipher, mut version) = (String::new(), String::new());
        for l in text.lines() {
            let f: Vec<&str> = l.split('\t').collect();
            let (Some(src), Some(dst), Some(t)) = (f.first(), f.get(1), f.get(2)) else {
                continue;
            };
            if *dst == port.to_string() && *t == "1" {
                sni = f.get(3).unwrap_or(&"").to_string();
            }
            if *src == port.to_string() && *t == "2" {
                cipher = f.get(4).unwrap_or(&"").to_string();
                version = f.get(5).unwrap_or(&"").to_string();
            }
        }
        rows.push((*port, sni, cipher, version));
    }
    rows
}

fn cipher_name(code: &str) -> &'static str {
    match code {
        "0x1301" => "TLS_AES_128_GCM_SHA256",
        "0x1302" => "TLS_AES_256_GCM_SHA384",
        "0x1303" => "TLS_CHACHA20_POLY1305_SHA256",
        other => panic!("unexpected cipher {other}"),
    }
}

#[test]
fn starttls_smtp_imap_postgres_found_named_and_counted() {
    for (tool, arg) in [
        ("openssl", "version"),
        ("tcpdump", "--version"),
        ("tshark", "--version"),
    ] {
        if !common::have_tool(tool, arg) {
            return;
        }
    }
    if !common::have_root("capturing on lo") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("kinspect-starttls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    self_signed_server(
        &dir,
        "/CN=mail.test",
        &["-addext", "subjectAltName=DNS:mail.test"],
    );
    // Ports the kernel picks: nothing kinspect could know them by.
    let bind = || TcpListener::bind("127.0.0.1:0").expect("bind");
    let protos = [Proto::Smtp, Proto::Imap, Proto::Postgres];
    let listeners: Vec<(Proto, TcpListener)> = protos.iter().map(|p| (*p, bind())).collect();
    let ports: Vec<(Proto, u16)> = listeners
        .iter()
        .map(|(p, l)| (*p, l.local_addr().unwrap().port()))
        .collect();
    let tls_port = {
        let l = bind();
        l.local_addr().unwrap().port()
    };

    let cap = dir.join("starttls.pcap");
    let filter = ports
        .iter()
        .map(|(_, p)| format!("tcp port {p}"))
        .collect::<Vec<_>>()
        .join(" or ");
    let tcpdump = LoCapture::start(&cap, &filter);

    let mut server = Command::new("openssl")
        .args(["s_server", "-accept", &tls_port.to_string()])
        .args(["-cert", "c.pem", "-key", "k.pem", "-tls1_3", "-quiet"])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("s_server");
    wait_for("s_server", || {
        TcpStream::connect(("127.0.0.1", tls_port)).is_ok()
    });

    let mut said = Vec::new();
    for ((proto, listener), (_, port)) in listeners.into_iter().zip(&ports) {
        let handle = responder(listener, proto, tls_port);
        let mut client = Command::new("openssl")
            .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
            .args(["-starttls", proto.starttls(), "-servername", "mail.test"])
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("s_client");
        let _ = client.stdin.take().unwrap().write_all(b"hello\n");
        let start = Instant::now();
        while client.try_wait().ok().flatten().is_none()
            && start.elapsed() < Duration::from_secs(10)
        {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = client.kill();
        let _ = client.wait();
        said.push(handle.join().expect("responder"));
    }
    std::thread::sleep(Duration::from_millis(500));
    tcpdump.stop();
    let _ = server.kill();
    let _ = server.wait();

    let truth = tshark_view(&cap, &ports);
    let run = kinspect(&["pcap", "tls", "-o", "json", cap.to_str().unwrap()]);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let sessions = common::json_lines("starttls", &run.stdout);
    assert_eq!(sessions.len(), 3, "{}", run.stdout);
    for (((proto, port), (_, sni, cipher, version)), server_said) in
        ports.iter().zip(&truth).zip(&said)
    {
        assert_eq!(sni, "mail.test", "tshark found the {proto:?} ClientHello");
        assert_eq!(version, "0x0304", "tshark: {proto:?} is TLS 1.3");
        let s = sessions
            .iter()
            .find(|s| {
                s["server"]
                    .as_str()
                    .is_some_and(|a| a.ends_with(&format!(":{port}")))
            })
            .unwrap_or_else(|| panic!("no session for {proto:?} on {port}: {}", run.stdout));
        assert_eq!(s["sni"], "mail.test", "{proto:?}: {s}");
        assert_eq!(s["version"], "TLS 1.3", "{proto:?}: {s}");
        assert_eq!(s["cipher"], cipher_name(cipher), "{proto:?}: {s}");
        let (name, command) = proto.expected();
        assert_eq!(s["starttls"]["protocol"], name, "{s}");
        assert_eq!(s["starttls"]["command"], command, "{s}");
        assert_eq!(
            s["starttls"]["server_prefix_bytes"].as_u64(),
            Some(*server_said as u64),
            "{proto:?}: {s}"
        );
        let client_prefix = s["starttls"]["client_prefix_bytes"].as_u64().unwrap_or(0);
        match proto {
            Proto::Postgres => assert_eq!(client_prefix, 8, "{s}"),
            _ => assert!(client_prefix > 10, "{proto:?}: {s}"),
        }
        let verdict = s["verdict"].as_str().unwrap_or_default();
        assert!(verdict.starts_with("ok"), "{proto:?}: {verdict}");
    }
    // `pcap flows` (which runs no dissector) still finds TLS in them.
    let flows = kinspect(&["pcap", "flows", "-o", "json", cap.to_str().unwrap()]);
    assert_eq!(flows.code, Some(0), "{}", flows.describe());
    let flows = common::json_lines("flows", &flows.stdout);
    for (proto, port) in &ports {
        let f = flows
            .iter()
            .find(|f| {
                f["server"]
                    .as_str()
                    .is_some_and(|a| a.ends_with(&format!(":{port}")))
            })
            .unwrap_or_else(|| panic!("no flow for {proto:?} on {port}: {flows:?}"));
        assert_eq!(f["protocol"], "tls", "{proto:?}: {f}");
    }
    // The table says it too.
    let table = kinspect(&["pcap", "tls", cap.to_str().unwrap()]);
    assert_eq!(
        [
            "after SMTP STARTTLS",
            "after IMAP STARTTLS",
            "after PostgreSQL SSLRequest"
        ]
        .iter()
        .filter(|w| table.stdout.contains(*w))
        .count(),
        3,
        "{}",
        table.stdout
    );
    if std::env::var_os("KINSPECT_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
