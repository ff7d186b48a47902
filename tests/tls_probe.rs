//! `kinspect tls probe` against real TLS servers started by the test on
//! 127.0.0.1 ephemeral ports: `openssl s_server` (TLS 1.3 and 1.2, with
//! and without required client certificates) and an in-process rustls
//! server (tokio-rustls). Certificates are made with the openssl CLI in a
//! temporary folder at test time (dates relative to now, so the messages
//! are exact). Every server and every probe is bounded in time.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use common::Run;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use time::OffsetDateTime;

// ---------------------------------------------------------------------------
// Certificates.

const CA_CNF: &str = "\
[ ca ]
default_ca = CA_default
[ CA_default ]
dir = .
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = policy_any
copy_extensions = none
unique_subject = no
email_in_dn = no
[ policy_any ]
commonName = supplied
";

const CA_EXT: &str = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n";
const CLIENT_EXT: &str = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n";

fn server_ext(san: &str) -> String {
    format!(
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName={san}\n"
    )
}

/// The test PKI, made once per test binary.
struct Pki {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    /// `notAfter` of `leaf` (for `--at` tests).
    leaf_not_after: OffsetDateTime,
    /// `notAfter` of `expired`.
    expired_not_after: OffsetDateTime,
}

impl Pki {
    fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("the openssl CLI is needed for these tests");
    assert!(
        out.status.success(),
        "openssl {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `openssl ca` date form, `days` from now (negative: in the past).
fn ca_date(days: i64) -> (String, OffsetDateTime) {
    let t = OffsetDateTime::now_utc() + time::Duration::days(days);
    let fmt = time::macros::format_description!("[year][month][day][hour][minute][second]Z");
    (t.format(&fmt).expect("formatting a date"), t)
}

fn new_key(dir: &Path, name: &str, rsa: bool) {
    let key = format!("{name}.key");
    if rsa {
        openssl(
            dir,
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                &key,
            ],
        );
    } else {
        openssl(
            dir,
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                &key,
            ],
        );
    }
}

/// Makes `name.key` and `name.pem`, signed by `ca` (or self-signed),
/// valid from `days.0` to `days.1` days relative to now.
fn issue(
    dir: &Path,
    name: &str,
    cn: &str,
    ca: Option<&str>,
    days: (i64, i64),
    ext: &str,
    rsa: bool,
) -> OffsetDateTime {
    let (from, to) = days;
    new_key(dir, name, rsa);
    let csr = format!("{name}.csr");
    let subj = format!("/CN={cn}");
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-key",
            &format!("{name}.key"),
            "-subj",
            &subj,
            "-out",
            &csr,
        ],
    );
    let ext_file = format!("{name}.ext");
    std::fs::write(dir.join(&ext_file), ext).expect("writing an extension file");
    let (start, _) = ca_date(from);
    let (end, end_t) = ca_date(to);
    let out = format!("{name}.pem");
    let mut args = vec![
        "ca",
        "-batch",
        "-config",
        "ca.cnf",
        "-in",
        &csr,
        "-out",
        &out,
        "-startdate",
        &start,
        "-enddate",
        &end,
        "-extfile",
        &ext_file,
        "-notext",
    ];
    let (ca_cert, ca_key);
    match ca {
        Some(ca) => {
            ca_cert = format!("{ca}.pem");
            ca_key = format!("{ca}.key");
            args.extend(["-cert", &ca_cert, "-keyfile", &ca_key]);
        }
        None => {
            ca_key = format!("{name}.key");
            args.extend(["-selfsign", "-keyfile", &ca_key]);
        }
    }
    openssl(dir, &args);
    end_t
}

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let tmp = tempfile::tempdir().expect("a temporary folder");
        let d = tmp.path().to_path_buf();
        std::fs::write(d.join("ca.cnf"), CA_CNF).unwrap();
        std::fs::write(d.join("index.txt"), "").unwrap();
        std::fs::write(d.join("serial"), "1000\n").unwrap();
        let good_san = server_ext("DNS:localhost,IP:127.0.0.1");
        issue(
            &d,
            "root",
            "kinspect test root",
            None,
            (-30, 3650),
            CA_EXT,
            true,
        );
        issue(
            &d,
            "int",
            "kinspect test intermediate",
            Some("root"),
            (-30, 3000),
            CA_EXT,
            false,
        );
        let leaf_not_after = issue(
            &d,
            "leaf",
            "localhost",
            Some("int"),
            (-1, 365),
            &good_san,
            false,
        );
        let expired_not_after = issue(
            &d,
            "expired",
            "expired.test",
            Some("int"),
            (-40, -10),
            &good_san,
            false,
        );
        issue(
            &d,
            "wrongname",
            "example.com",
            Some("int"),
            (-1, 365),
            &server_ext("DNS:example.com,DNS:www.example.com"),
            false,
        );
        issue(
            &d,
            "client",
            "kinspect-client",
            Some("root"),
            (-1, 365),
            CLIENT_EXT,
            false,
        );
        issue(
            &d,
            "oldclient",
            "old-client",
            Some("root"),
            (-40, -3),
            CLIENT_EXT,
            false,
        );
        issue(&d, "other", "other ca", None, (-30, 3650), CA_EXT, false);
        issue(
            &d,
            "rogue",
            "rogue-client",
            Some("other"),
            (-1, 365),
            CLIENT_EXT,
            false,
        );
        // A CA that expired yesterday, and a server certificate it signed
        // that is still valid: webpki alone accepts this chain.
        issue(
            &d,
            "oldca",
            "expired test ca",
            None,
            (-30, -1),
            CA_EXT,
            false,
        );
        issue(
            &d,
            "underold",
            "localhost",
            Some("oldca"),
            (-2, 365),
            &good_san,
            false,
        );
        let cat = |out: &str, parts: &[&str]| {
            let mut s = String::new();
            for p in parts {
                s.push_str(&std::fs::read_to_string(d.join(p)).unwrap());
            }
            std::fs::write(d.join(out), s).unwrap();
        };
        cat("chain.pem", &["leaf.pem", "int.pem"]);
        cat("expired-chain.pem", &["expired.pem", "int.pem"]);
        cat("wrongname-chain.pem", &["wrongname.pem", "int.pem"]);
        Pki {
            _dir: tmp,
            dir: d,
            leaf_not_after,
            expired_not_after,
        }
    })
}

// ---------------------------------------------------------------------------
// Servers.

/// How long any server waits for its port before the test gives up.
const START_LIMIT: Duration = Duration::from_secs(10);

/// `openssl s_server`, killed when dropped.
struct OpensslServer {
    child: Child,
    port: u16,
}

impl Drop for OpensslServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn s_server(cert: &str, chain: Option<&str>, extra: &[&str]) -> OpensslServer {
    let p = pki();
    for _attempt in 0..3 {
        let port = common::free_port();
        let accept = format!("127.0.0.1:{port}");
        let cert_path = p.path(cert);
        let key_path = p.path(&cert.replace(".pem", ".key"));
        let mut args = vec![
            "s_server", "-accept", &accept, "-cert", &cert_path, "-key", &key_path, "-www",
            "-quiet", "-naccept", "50",
        ];
        let chain_path;
        if let Some(c) = chain {
            chain_path = p.path(c);
            args.extend(["-cert_chain", &chain_path]);
        }
        args.extend(extra);
        let mut child = Command::new("openssl")
            .args(&args)
            .current_dir(&p.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting openssl s_server");
        let started = Instant::now();
        while started.elapsed() < START_LIMIT {
            if let Ok(Some(_)) = child.try_wait() {
                break; // port taken meanwhile: try another
            }
            if TcpStream::connect_timeout(
                &([127, 0, 0, 1], port).into(),
                Duration::from_millis(200),
            )
            .is_ok()
            {
                return OpensslServer { child, port };
            }
            thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("openssl s_server did not start");
}

/// A rustls server in-process (tokio-rustls), stopped when dropped.
struct RustlsServer {
    port: u16,
    rt: Option<tokio::runtime::Runtime>,
}

impl Drop for RustlsServer {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

fn load_certs(path: &str) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_file_iter(path)
        .expect("reading a PEM file")
        .collect::<Result<_, _>>()
        .expect("parsing a PEM file")
}

fn rustls_server(chain: &str, key: &str, client_ca: Option<&str>) -> RustlsServer {
    let auth = match client_ca {
        Some(ca) => Auth::Required(ca),
        None => Auth::No,
    };
    rustls_server_on("127.0.0.1:0", chain, key, auth).expect("binding 127.0.0.1:0")
}

/// Client authentication of the rustls server.
enum Auth<'a> {
    No,
    /// Certificates from this CA, required.
    Required(&'a str),
    /// Certificates from this CA if given (what kube-apiserver does).
    Optional(&'a str),
}

/// A rustls server on `addr`; `None` when the address cannot be bound.
fn rustls_server_on(addr: &str, chain: &str, key: &str, auth: Auth<'_>) -> Option<RustlsServer> {
    use rustls::server::WebPkiClientVerifier;
    use tokio::io::AsyncReadExt;

    let p = pki();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs = load_certs(&p.path(chain));
    let key = PrivateKeyDer::from_pem_file(p.path(key)).expect("a server key");
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = match auth {
        Auth::Required(ca) | Auth::Optional(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in load_certs(&p.path(ca)) {
                roots.add(c).unwrap();
            }
            let v = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let v = if matches!(auth, Auth::Optional(_)) {
                v.allow_unauthenticated()
            } else {
                v
            };
            builder.with_client_cert_verifier(v.build().unwrap())
        }
        Auth::No => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(certs, key).expect("server config");
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind(addr)).ok()?;
    let port = listener.local_addr().unwrap().port();
    rt.spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let limit = Duration::from_secs(5);
                if let Ok(Ok(mut tls)) = tokio::time::timeout(limit, acceptor.accept(sock)).await {
                    let mut buf = [0u8; 1024];
                    let _ = tokio::time::timeout(limit, tls.read(&mut buf)).await;
                }
            });
        }
    });
    Some(RustlsServer { port, rt: Some(rt) })
}

/// A plain TCP server: answers every connection with `answer` (or holds
/// it silent when `None`), for the not-TLS and timeout cases.
fn plain_server(answer: Option<&'static [u8]>) -> u16 {
    plain_server_on("127.0.0.1:0", answer).expect("binding 127.0.0.1:0")
}

/// A plain server on `addr`; `None` when the address cannot be bound.
fn plain_server_on(addr: &str, answer: Option<&'static [u8]>) -> Option<u16> {
    let listener = TcpListener::bind(addr).ok()?;
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for sock in listener.incoming().take(20) {
            let Ok(mut sock) = sock else { continue };
            thread::spawn(move || {
                let _ = sock.set_read_timeout(Some(Duration::from_secs(5)));
                let mut buf = [0u8; 2048];
                let _ = sock.read(&mut buf);
                match answer {
                    Some(a) => {
                        let _ = sock.write_all(a);
                    }
                    None => thread::sleep(Duration::from_secs(5)),
                }
            });
        }
    });
    Some(port)
}

// ---------------------------------------------------------------------------
// Running the probe.

fn probe(port: u16, args: &[&str]) -> Run {
    let target = format!("127.0.0.1:{port}");
    let mut all = vec!["tls", "probe", target.as_str()];
    all.extend(args);
    let run = common::kinspect(&all).finished();
    assert!(
        !run.stderr.contains("panicked"),
        "panic\n{}",
        run.describe()
    );
    run
}

fn assert_exit(run: &Run, code: i32) {
    assert_eq!(run.code, Some(code), "exit code\n{}", run.describe());
}

fn assert_line(run: &Run, wanted: &str) {
    assert!(
        run.stdout.lines().any(|l| l.trim() == wanted),
        "no line {wanted:?}\n{}",
        run.describe()
    );
}

fn assert_has(run: &Run, wanted: &str) {
    assert!(
        run.stdout.contains(wanted),
        "no {wanted:?}\n{}",
        run.describe()
    );
}

fn json(run: &Run) -> serde_json::Value {
    let lines: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "one JSON object\n{}", run.describe());
    serde_json::from_str(lines[0]).unwrap_or_else(|e| panic!("bad JSON {e}\n{}", run.describe()))
}

// ---------------------------------------------------------------------------
// Tests.

#[test]
fn good_chain_openssl_verified() {
    let p = pki();
    let s = s_server("leaf.pem", Some("int.pem"), &[]);
    let run = probe(s.port, &["--cacert", &p.path("root.pem")]);
    assert_exit(&run, 0);
    assert_has(&run, "complete in ");
    assert_has(&run, ": TLSv1.3, TLS13_");
    assert_line(&run, "client cert  not requested");
    assert_line(&run, "verified     yes (webpki against --cacert)");
    assert_line(&run, "certificates (2 sent by the server)");
    assert_line(&run, "#0 CN=localhost");
    assert_line(&run, "issuer     CN=kinspect test intermediate");
    assert_line(&run, "SAN        DNS:localhost, IP:127.0.0.1");
    // The key in the words of `certs verify` and `certs show` (pki::CertInfo).
    assert_line(
        &run,
        "key        ECDSA P-256, signed with ecdsa-with-SHA256",
    );
    assert_line(&run, "signed by  #1 CN=kinspect test intermediate: yes");
    assert_line(&run, "#1 CN=kinspect test intermediate [CA]");
    assert_line(
        &run,
        "key        ECDSA P-256, signed with sha256WithRSAEncryption",
    );
    assert_line(&run, "signed by  yes: CN=kinspect test root in --cacert");
    assert_line(&run, "ok: verified for 127.0.0.1 against --cacert");
}

#[test]
fn good_chain_tls12_openssl() {
    let p = pki();
    let s = s_server("leaf.pem", Some("int.pem"), &["-tls1_2"]);
    let run = probe(s.port, &["--cacert", &p.path("root.pem")]);
    assert_exit(&run, 0);
    assert_has(&run, ": TLSv1.2, TLS_ECDHE_ECDSA_WITH_");
}

#[test]
fn good_chain_rustls_alpn_and_json() {
    let p = pki();
    let s = rustls_server("chain.pem", "leaf.key", None);
    let run = probe(s.port, &["--cacert", &p.path("root.pem"), "-o", "json"]);
    assert_exit(&run, 0);
    let j = json(&run);
    assert_eq!(j["verdict"], "verified");
    assert_eq!(j["version"], "TLSv1.3");
    assert_eq!(j["alpn"], "h2");
    assert_eq!(j["alpn_offered"], serde_json::json!(["h2", "http/1.1"]));
    assert_eq!(j["handshake"], "complete");
    assert_eq!(j["verification"]["status"], "ok");
    assert_eq!(j["client_auth"]["requested"], false);
    assert_eq!(j["client_auth"]["result"], "not_requested");
    assert_eq!(j["certificates"].as_array().map(|a| a.len()), Some(2));
    assert_eq!(j["certificates"][0]["subject"], "CN=localhost");
    assert_eq!(
        j["certificates"][0]["sans"],
        serde_json::json!(["DNS:localhost", "IP:127.0.0.1"])
    );
    assert_eq!(j["certificates"][0]["signed_by"]["verified"], true);
    assert_eq!(j["certificates"][1]["signed_by"]["kind"], "anchor");
    assert_eq!(
        j["certificates"][1]["signed_by"]["subject"],
        "CN=kinspect test root"
    );
    assert_eq!(j["findings"], serde_json::json!([]));
    assert!(j["handshake_ms"].as_f64().is_some());

    // --alpn: only http/1.1 offered, only http/1.1 negotiated.
    let run = probe(
        s.port,
        &["--cacert", &p.path("root.pem"), "--alpn", "http/1.1"],
    );
    assert_exit(&run, 0);
    assert_has(&run, ", ALPN http/1.1\n");
}

#[test]
fn expired_leaf() {
    let p = pki();
    let s = s_server("expired.pem", Some("int.pem"), &[]);
    let run = probe(s.port, &["--cacert", &p.path("root.pem")]);
    assert_exit(&run, 1);
    let end = p.expired_not_after.replace_nanosecond(0).unwrap();
    let end_s = end
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    assert_has(
        &run,
        &format!("fail: leaf CN=expired.test expired 10 days ago (not after {end_s})"),
    );
    assert_line(&run, "#0 CN=expired.test [EXPIRED]");
    assert_has(
        &run,
        "verified     no: invalid peer certificate: certificate expired",
    );
    assert_has(&run, "note: handshake stopped at the server's certificate");
}

#[test]
fn at_judges_at_another_time() {
    let p = pki();
    let s = rustls_server("chain.pem", "leaf.key", None);
    let at = (p.leaf_not_after + time::Duration::days(20))
        .replace_nanosecond(0)
        .unwrap();
    let at_s = at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let run = probe(s.port, &["--cacert", &p.path("root.pem"), "--at", &at_s]);
    assert_exit(&run, 1);
    assert_has(
        &run,
        &format!("judged at {}", at_s.replace('Z', ".000000Z")),
    );
    assert_has(&run, "fail: leaf CN=localhost expired 20 days ago");
}

#[test]
fn wrong_name_lists_sans() {
    let p = pki();
    let s = rustls_server("wrongname-chain.pem", "wrongname.key", None);
    let run = probe(s.port, &["--cacert", &p.path("root.pem")]);
    assert_exit(&run, 1);
    assert_line(
        &run,
        "fail: 127.0.0.1 not in SAN [DNS:example.com, DNS:www.example.com]",
    );
    // The same certificate is right for one of its names.
    let run = probe(
        s.port,
        &["--cacert", &p.path("root.pem"), "--sni", "www.example.com"],
    );
    assert_exit(&run, 0);
    assert_has(&run, "(SNI www.example.com, name www.example.com,");
}

#[test]
fn unknown_ca() {
    let p = pki();
    let s = rustls_server("chain.pem", "leaf.key", None);
    let run = probe(s.port, &["--cacert", &p.path("other.pem")]);
    assert_exit(&run, 1);
    assert_line(
        &run,
        "fail: issuer CN=kinspect test root not sent and not in --cacert",
    );
    assert_has(&run, "(it holds: CN=other ca)");
    assert_line(
        &run,
        "signed by  CN=kinspect test root: not sent and not in --cacert",
    );
    assert_has(
        &run,
        "verified     no: invalid peer certificate: UnknownIssuer",
    );
}

#[test]
fn missing_intermediate() {
    let p = pki();
    let s = s_server("leaf.pem", None, &[]);
    let run = probe(s.port, &["--cacert", &p.path("root.pem")]);
    assert_exit(&run, 1);
    assert_line(&run, "certificates (1 sent by the server)");
    assert_line(
        &run,
        "fail: issuer CN=kinspect test intermediate not sent and not in --cacert",
    );
    assert_has(&run, "the server must send it after its own certificate");
}

#[test]
fn expired_trust_anchor_caught_although_webpki_accepts() {
    let p = pki();
    let s = rustls_server("underold.pem", "underold.key", None);
    let run = probe(s.port, &["--cacert", &p.path("oldca.pem")]);
    assert_exit(&run, 1);
    assert_has(
        &run,
        "fail: trust anchor CN=expired test ca in --cacert expired ",
    );
    assert_has(
        &run,
        "verified     no: trust anchor CN=expired test ca expired 1 day ago (webpki accepts an expired trust anchor; Go clients and kinspect do not)",
    );
}

#[test]
fn client_cert_required_none_sent_tls13_and_tls12() {
    let p = pki();
    let root = p.path("root.pem");
    let verify = [
        "-Verify",
        "1",
        "-verify_return_error",
        "-CAfile",
        root.as_str(),
    ];
    let s = s_server("leaf.pem", Some("int.pem"), &verify);
    let run = probe(s.port, &["--cacert", &root]);
    assert_exit(&run, 1);
    assert_line(
        &run,
        "client cert  requested; accepted CAs: CN=kinspect test root",
    );
    assert_line(
        &run,
        "we sent none: refused with alert certificate_required",
    );
    assert_line(
        &run,
        "fail: server requires a client certificate and we sent none (alert certificate_required)",
    );

    let mut v12 = verify.to_vec();
    v12.push("-tls1_2");
    let s = s_server("leaf.pem", Some("int.pem"), &v12);
    let run = probe(s.port, &["--cacert", &root]);
    assert_exit(&run, 1);
    assert_line(
        &run,
        "fail: server requires a client certificate and we sent none (alert handshake_failure)",
    );

    // rustls servers say certificate_required too.
    let s = rustls_server("chain.pem", "leaf.key", Some("root.pem"));
    let run = probe(s.port, &["--cacert", &root]);
    assert_exit(&run, 1);
    assert_line(
        &run,
        "fail: server requires a client certificate and we sent none (alert certificate_required)",
    );
}

#[test]
fn good_client_cert_accepted() {
    let p = pki();
    let root = p.path("root.pem");
    let client = [
        "--cacert",
        root.as_str(),
        "--cert",
        &p.path("client.pem"),
        "--key",
        &p.path("client.key"),
    ];
    for extra in [&[][..], &["-tls1_2"][..]] {
        let mut args = vec![
            "-Verify",
            "1",
            "-verify_return_error",
            "-CAfile",
            root.as_str(),
        ];
        args.extend(extra);
        let s = s_server("leaf.pem", Some("int.pem"), &args);
        let run = probe(s.port, &client);
        assert_exit(&run, 0);
        assert_line(&run, "sent CN=kinspect-client: accepted");
    }
    let s = rustls_server("chain.pem", "leaf.key", Some("root.pem"));
    let run = probe(s.port, &client);
    assert_exit(&run, 0);
    assert_line(&run, "sent CN=kinspect-client: accepted");
}

#[test]
fn client_cert_from_wrong_ca_rejected() {
    let p = pki();
    let root = p.path("root.pem");
    let rogue = [
        "--cacert",
        root.as_str(),
        "--cert",
        &p.path("rogue.pem"),
        "--key",
        &p.path("rogue.key"),
    ];
    for extra in [&[][..], &["-tls1_2"][..]] {
        let mut args = vec![
            "-Verify",
            "1",
            "-verify_return_error",
            "-CAfile",
            root.as_str(),
        ];
        args.extend(extra);
        let s = s_server("leaf.pem", Some("int.pem"), &args);
        let run = probe(s.port, &rogue);
        assert_exit(&run, 1);
        assert_line(
            &run,
            "fail: server rejected our client certificate CN=rogue-client with alert unknown_ca",
        );
        assert_line(
            &run,
            "warn: our client certificate is issued by CN=other ca, which is not among the CAs the server accepts [CN=kinspect test root]",
        );
        assert_line(&run, "sent CN=rogue-client: rejected with alert unknown_ca");
    }
    let s = rustls_server("chain.pem", "leaf.key", Some("root.pem"));
    let run = probe(s.port, &rogue);
    assert_exit(&run, 1);
    assert_line(
        &run,
        "fail: server rejected our client certificate CN=rogue-client with alert unknown_ca",
    );
}

#[test]
fn expired_client_cert_rejected_by_rustls() {
    let p = pki();
    let s = rustls_server("chain.pem", "leaf.key", Some("root.pem"));
    let run = probe(
        s.port,
        &[
            "--cacert",
            &p.path("root.pem"),
            "--cert",
            &p.path("oldclient.pem"),
            "--key",
            &p.path("oldclient.key"),
        ],
    );
    assert_exit(&run, 1);
    assert_line(
        &run,
        "fail: server rejected our client certificate CN=old-client with alert certificate_expired",
    );
    assert_has(
        &run,
        "warn: our client certificate CN=old-client expired 3 days ago",
    );
}

#[test]
fn insecure_shows_chain_and_says_verification_skipped() {
    let p = pki();
    let s = rustls_server("chain.pem", "leaf.key", None);
    let run = probe(s.port, &["--cacert", &p.path("other.pem"), "--insecure"]);
    assert_exit(&run, 1);
    assert_has(&run, "handshake    complete in ");
    assert_has(&run, ", ALPN h2\n");
    assert_line(&run, "#0 CN=localhost");
    assert_has(
        &run,
        "verified     no (handshake went on: --insecure): invalid peer certificate: UnknownIssuer",
    );
    assert_line(
        &run,
        "fail: issuer CN=kinspect test root not sent and not in --cacert",
    );
    assert_line(
        &run,
        "note: --insecure: verification skipped for the handshake (its result is reported, not enforced)",
    );
    // A valid chain stays valid with --insecure.
    let run = probe(s.port, &["--cacert", &p.path("root.pem"), "--insecure"]);
    assert_exit(&run, 0);
}

#[test]
fn nothing_listening() {
    let port = common::free_port();
    let run = probe(port, &[]);
    assert_exit(&run, 2);
    assert_line(
        &run,
        &format!("fail: connection refused: nothing listening on 127.0.0.1:{port}"),
    );
    let run = probe(port, &["-o", "json"]);
    assert_exit(&run, 2);
    let j = json(&run);
    assert_eq!(j["verdict"], "unreachable");
    assert_eq!(j["findings"][0]["code"], "connection_refused");
}

#[test]
fn plain_http_is_not_tls() {
    let port = plain_server(Some(
        b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request",
    ));
    let run = probe(port, &[]);
    assert_exit(&run, 1);
    assert_line(
        &run,
        "fail: not TLS: server answered HTTP/1.1 (\"HTTP/1.1 400 Bad Request\")",
    );
}

#[test]
fn silent_server_times_out() {
    let port = plain_server(None);
    let started = Instant::now();
    let run = probe(port, &["--timeout", "1s"]);
    assert_exit(&run, 1);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert_line(
        &run,
        "fail: timeout: server accepted the TCP connection but sent nothing within 1.0s after our ClientHello",
    );
}

#[test]
fn kubeconfig_path_and_data_forms() {
    use base64::Engine as _;
    let p = pki();
    let root = p.path("root.pem");
    let s = s_server(
        "leaf.pem",
        Some("int.pem"),
        &["-Verify", "1", "-verify_return_error", "-CAfile", &root],
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("pki")).unwrap();
    for f in ["root.pem", "client.pem", "client.key"] {
        std::fs::copy(p.dir.join(f), dir.path().join("pki").join(f)).unwrap();
    }
    // Path form, relative to the kubeconfig.
    let kc = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: admin@lab\nclusters:\n- name: lab\n  cluster:\n    server: https://127.0.0.1:{}\n    certificate-authority: pki/root.pem\ncontexts:\n- name: admin@lab\n  context:\n    cluster: lab\n    user: admin\nusers:\n- name: admin\n  user:\n    client-certificate: pki/client.pem\n    client-key: pki/client.key\n",
        s.port
    );
    let path_form = dir.path().join("paths.conf");
    std::fs::write(&path_form, kc).unwrap();
    let run = common::kinspect(&["tls", "probe", "--kubeconfig", path_form.to_str().unwrap()]);
    assert_exit(&run, 0);
    assert_has(
        &run,
        &format!(
            "probe        127.0.0.1:{} (SNI none, name 127.0.0.1, CA the kubeconfig's certificate-authority: 1 certificate)",
            s.port
        ),
    );
    assert_line(&run, "sent CN=kinspect-client: accepted");
    assert!(
        run.stderr
            .contains("kinspect: note: kubeconfig: context admin@lab, cluster lab, user admin"),
        "{}",
        run.describe()
    );

    // Data form.
    let b64 = |f: &str| {
        base64::engine::general_purpose::STANDARD.encode(std::fs::read(p.dir.join(f)).unwrap())
    };
    let kc = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: admin@lab\nclusters:\n- name: lab\n  cluster:\n    server: https://127.0.0.1:{}\n    certificate-authority-data: {}\ncontexts:\n- name: admin@lab\n  context:\n    cluster: lab\n    user: admin\nusers:\n- name: admin\n  user:\n    client-certificate-data: {}\n    client-key-data: {}\n",
        s.port,
        b64("root.pem"),
        b64("client.pem"),
        b64("client.key")
    );
    let data_form = dir.path().join("data.conf");
    std::fs::write(&data_form, &kc).unwrap();
    let run = common::kinspect(&["tls", "probe", "--kubeconfig", data_form.to_str().unwrap()]);
    assert_exit(&run, 0);
    assert_has(
        &run,
        "CA the kubeconfig's certificate-authority-data: 1 certificate)",
    );
    assert_line(&run, "sent CN=kinspect-client: accepted");

    // A context that does not exist.
    let run = common::kinspect(&[
        "tls",
        "probe",
        "--kubeconfig",
        data_form.to_str().unwrap(),
        "--context",
        "nope",
    ]);
    assert_exit(&run, 2);
    assert!(
        run.stderr
            .contains("context \"nope\" not found (contexts: admin@lab)"),
        "{}",
        run.describe()
    );

    // Broken base64: a usage error naming the file and the field.
    let broken = dir.path().join("broken.conf");
    std::fs::write(
        &broken,
        kc.replace("client-key-data: ", "client-key-data: A%"),
    )
    .unwrap();
    let run = common::kinspect(&["tls", "probe", "--kubeconfig", broken.to_str().unwrap()]);
    assert_exit(&run, 2);
    assert!(
        run.stderr.starts_with(&format!(
            "kinspect: error: {}: user \"admin\": client-key-data: invalid base64",
            broken.display()
        )),
        "{}",
        run.describe()
    );
}

#[test]
fn usage_errors_exit_2() {
    let run = common::kinspect(&["tls", "probe", "node1"]);
    assert_exit(&run, 2);
    assert!(
        run.stderr.contains("\"node1\" is not HOST:PORT"),
        "{}",
        run.describe()
    );
    let run = common::kinspect(&[
        "tls",
        "probe",
        "127.0.0.1:1",
        "--cacert",
        "/nonexistent/ca.pem",
    ]);
    assert_exit(&run, 2);
    assert!(
        run.stderr.contains("/nonexistent/ca.pem: No such file"),
        "{}",
        run.describe()
    );
    let run = common::kinspect(&["tls", "probe"]);
    assert_exit(&run, 2);
    assert!(run.stderr.contains("give HOST:PORT"), "{}", run.describe());
    let p = pki();
    // A key that does not belong to the certificate.
    let run = common::kinspect(&[
        "tls",
        "probe",
        "127.0.0.1:1",
        "--cert",
        &p.path("client.pem"),
        "--key",
        &p.path("rogue.key"),
    ]);
    assert_exit(&run, 2);
    assert!(
        run.stderr
            .contains("the client key does not match the client certificate"),
        "{}",
        run.describe()
    );
}

/// Well-known ports on a loopback address of their own (127.0.0.77/78),
/// so a real etcd on 127.0.0.1 is never in the way.
#[test]
fn wrong_port_named() {
    const HTTP_400: &[u8] = b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";
    match plain_server_on("127.0.0.77:2381", Some(HTTP_400)) {
        None => common::skip("cannot bind 127.0.0.77:2381"),
        Some(_) => {
            let run = common::kinspect(&["tls", "probe", "127.0.0.77:2381"]);
            assert_exit(&run, 1);
            assert_line(
                &run,
                "fail: not TLS: server answered HTTP/1.1 (\"HTTP/1.1 400 Bad Request\")",
            );
            assert_line(
                &run,
                "note: port 2381 is etcd's metrics and health port in kubeadm (plain HTTP); etcd clients use 2379",
            );
        }
    }
    // An etcd-like peer listener: TLS, client certificates required.
    let p = pki();
    match rustls_server_on(
        "127.0.0.78:2380",
        "chain.pem",
        "leaf.key",
        Auth::Required("root.pem"),
    ) {
        None => common::skip("cannot bind 127.0.0.78:2380"),
        Some(_server) => {
            let run = common::kinspect(&[
                "tls",
                "probe",
                "127.0.0.78:2380",
                "--sni",
                "localhost",
                "--cacert",
                &p.path("root.pem"),
            ]);
            assert_exit(&run, 1);
            assert_line(
                &run,
                "fail: server requires a client certificate and we sent none (alert certificate_required)",
            );
            assert_line(
                &run,
                "note: port 2380 is etcd's peer port (members replicate Raft there, with peer certificates); etcdctl and kube-apiserver use the client port 2379",
            );
        }
    }
}

/// kube-apiserver asks for client certificates but does not require them.
#[test]
fn optional_client_cert_none_sent() {
    let p = pki();
    let s = rustls_server_on(
        "127.0.0.1:0",
        "chain.pem",
        "leaf.key",
        Auth::Optional("root.pem"),
    )
    .expect("binding 127.0.0.1:0");
    let run = probe(s.port, &["--cacert", &p.path("root.pem")]);
    assert_exit(&run, 0);
    assert_line(
        &run,
        "client cert  requested; accepted CAs: CN=kinspect test root",
    );
    assert_line(
        &run,
        "we sent none; the server went on without one (optional client certificates)",
    );
    let run = probe(s.port, &["--cacert", &p.path("root.pem"), "-o", "json"]);
    let j = json(&run);
    assert_eq!(j["client_auth"]["result"], "none_sent");
    assert_eq!(j["verdict"], "verified");
}
