//! Live TLS probe: connect to a server with rustls, record the chain it
//! presents, verify it for real (rustls' `WebPkiServerVerifier` plus the
//! checks webpki leaves out, such as an expired trust anchor) and explain
//! in words what is wrong.
//!
//! The probe never trusts the handshake outcome alone to describe a
//! server: a [`ServerCertVerifier`] keeps every certificate the server sent
//! before it runs the real verification, so the chain is shown whether or
//! not it is valid, and a client certificate resolver records whether the
//! server asked for a client certificate and which CAs it accepts. Without
//! `insecure` the handshake stops when verification fails (as any real
//! client would); with it the handshake goes on and the verification result
//! is reported, not enforced.
//!
//! The API is synchronous (std sockets, a deadline on every read and
//! write), so `certs kubelet --probe` and `doctor` can call [`probe`] from
//! any context, inside a tokio runtime or not.
//!
//! Sharing with the rest of `pki`: this file was written while `pki`'s
//! loader and chain code were being built, so it decodes and judges
//! certificates with x509-parser directly. The parts to replace with the
//! shared code once it settles:
//! - `describe_cert`, `key_of`, `sans_of`, `eku_of`, `sig_alg_name` with
//!   `pki::CertInfo::from_der` (and `pki::cert::sig_alg_name`);
//! - `build_path`, `anchor_problem` and the chain part of `analyze` with
//!   `pki::verify()` (`VerifyOptions`, `Anchor`), keeping the probe's
//!   wording ("issuer X not sent and not in --cacert");
//! - `name_in_sans` with `pki::verify::name_matches`, `span_words` with
//!   `pki::span`/`pki::residual`;
//! - `certs_from_bytes`, `key_from_bytes` and the kubeconfig reader
//!   (`from_kubeconfig`) with `pki::load` and `pki`'s kubeconfig module;
//! - the probe's own `Finding`/`Severity` with `pki::Finding` once that
//!   enum has variants for handshake outcomes (alerts, not TLS, timeouts).

use std::fmt;
use std::io::{self, Read};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{
    ClientSessionStore, ResolvesClientCert, Resumption, Tls12ClientSessionValue,
    Tls13ClientSessionValue, WebPkiServerVerifier,
};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{
    AlertDescription, CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct,
    NamedGroup, OtherError, RootCertStore, SignatureScheme,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate, X509Name};
use x509_parser::public_key::PublicKey;

use crate::pki::finding::Purpose;
use crate::pki::verify::ca_as_end_entity;
use crate::timestamp::{Timestamp, human_duration};

/// Everything that stops a probe before it starts: bad flags, unreadable
/// or malformed input files. A server that cannot be reached is not an
/// error: it is a [`ProbeReport`] with [`Verdict::Unreachable`].
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error(
        "{0:?} is not HOST:PORT (examples: 127.0.0.1:6443, [::1]:2379, node1:10250, https://10.0.0.1:6443)"
    )]
    BadTarget(String),
    #[error("{path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("{path}: {what}")]
    BadFile { path: PathBuf, what: String },
    #[error("{0}")]
    Usage(String),
    #[error("cannot set up TLS: {0}")]
    Tls(rustls::Error),
}

/// Where to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// A DNS name or an IP address (without brackets).
    pub host: String,
    pub port: u16,
}

impl Target {
    /// Parses `HOST:PORT`, `[V6]:PORT`, or an `https://HOST[:PORT][/path]`
    /// URL (port 443 when absent), the form kubeconfigs use.
    pub fn parse(s: &str) -> Result<Target, ProbeError> {
        let bad = || ProbeError::BadTarget(s.to_string());
        let trimmed = s.trim();
        let (rest, default_port) = if let Some(r) = trimmed.strip_prefix("https://") {
            (r, Some(443))
        } else if trimmed.starts_with("http://") {
            return Err(ProbeError::Usage(format!(
                "{s:?} is a plain http:// URL; a TLS probe needs a TLS endpoint (https://)"
            )));
        } else {
            (trimmed, None)
        };
        let rest = if default_port.is_some() {
            rest.split(['/', '?', '#']).next().unwrap_or("")
        } else {
            rest
        };
        let (host, port) = if let Some(r) = rest.strip_prefix('[') {
            let (h, after) = r.split_once(']').ok_or_else(bad)?;
            match after.strip_prefix(':') {
                Some(p) => (h, Some(p)),
                None if after.is_empty() => (h, None),
                None => return Err(bad()),
            }
        } else {
            match rest.rsplit_once(':') {
                Some((h, _)) if h.contains(':') => return Err(bad()), // bare IPv6 needs brackets
                Some((h, p)) => (h, Some(p)),
                None => (rest, None),
            }
        };
        let port = match port {
            Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(bad)?,
            None => default_port.ok_or_else(bad)?,
        };
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(bad());
        }
        Ok(Target {
            host: host.to_string(),
            port,
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// The CA certificates a probe verifies against, and how to name them in
/// messages ("not in --cacert").
#[derive(Debug, Clone)]
pub struct Trust {
    pub roots: Vec<CertificateDer<'static>>,
    /// Short name used in sentences: `--cacert`, `the kubeconfig's CA`.
    pub name: String,
    /// Where they came from: a path, or `certificate-authority-data`.
    pub source: String,
}

/// Bundles tried, in order, when no CA is given.
const SYSTEM_BUNDLES: [&str; 3] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

impl Trust {
    /// Every certificate in a PEM (or DER) file.
    pub fn from_file(path: &Path, name: &str) -> Result<Trust, ProbeError> {
        let bytes = read_file(path)?;
        let roots = certs_from_bytes(&bytes).map_err(|what| ProbeError::BadFile {
            path: path.to_path_buf(),
            what,
        })?;
        Ok(Trust {
            roots,
            name: name.to_string(),
            source: path.display().to_string(),
        })
    }

    /// The operating system's CA bundle (empty when there is none).
    pub fn system() -> Trust {
        for path in SYSTEM_BUNDLES {
            if let Ok(bytes) = crate::fsutil::read_regular_file(
                Path::new(path),
                crate::fsutil::MAX_SMALL_FILE,
                "a CA bundle",
            ) {
                if let Ok(roots) = certs_from_bytes(&bytes) {
                    return Trust {
                        roots,
                        name: "the system roots".into(),
                        source: path.into(),
                    };
                }
            }
        }
        Trust {
            roots: Vec::new(),
            name: "the CA list (none given: use --cacert)".into(),
            source: "none".into(),
        }
    }
}

/// A client certificate chain and its key, for servers that ask for one.
pub struct ClientIdentity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    /// Where it came from, for messages.
    pub source: String,
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the key.
        f.debug_struct("ClientIdentity")
            .field("certificates", &self.chain.len())
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl ClientIdentity {
    /// `--cert F --key F`.
    pub fn from_files(cert: &Path, key: &Path) -> Result<ClientIdentity, ProbeError> {
        let cert_bytes = read_file(cert)?;
        let chain = certs_from_bytes(&cert_bytes).map_err(|what| ProbeError::BadFile {
            path: cert.to_path_buf(),
            what,
        })?;
        let key_bytes = read_file(key)?;
        let key_der = key_from_bytes(&key_bytes).map_err(|what| ProbeError::BadFile {
            path: key.to_path_buf(),
            what,
        })?;
        Ok(ClientIdentity {
            chain,
            key: key_der,
            source: cert.display().to_string(),
        })
    }
}

/// What to probe and how.
#[derive(Debug)]
pub struct ProbeOptions {
    pub target: Target,
    /// Name sent as SNI and checked against the SANs (default: the host).
    pub sni: Option<String>,
    pub trust: Trust,
    pub client: Option<ClientIdentity>,
    /// ALPN protocols to offer, in order (empty: offer none).
    pub alpn: Vec<String>,
    /// Complete the handshake even when verification fails.
    pub insecure: bool,
    /// Judge validity at this time instead of now.
    pub at: Option<Timestamp>,
    /// Certificates expiring within this many days get a warning.
    pub warn_days: u32,
    /// For connect and handshake together.
    pub timeout: Duration,
    /// With TLS 1.3 a server rejects a client certificate after the
    /// client considers the handshake done; wait this long for its verdict.
    pub client_auth_wait: Duration,
}

impl ProbeOptions {
    /// Defaults: the system roots, ALPN `h2,http/1.1`, 5 s timeout.
    pub fn new(target: Target) -> ProbeOptions {
        ProbeOptions {
            target,
            sni: None,
            trust: Trust::system(),
            client: None,
            alpn: vec!["h2".into(), "http/1.1".into()],
            insecure: false,
            at: None,
            warn_days: 30,
            timeout: Duration::from_secs(5),
            client_auth_wait: Duration::from_secs(1),
        }
    }
}

/// The overall answer: exit code 0, 1 or 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Handshake completed, chain verified, nothing failing.
    Verified,
    /// Something answered, but the handshake or the chain has a problem.
    Failed,
    /// Nothing to talk to: refused, timeout, no route, unknown name.
    Unreachable,
}

/// How far the handshake went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HandshakeState {
    NotStarted,
    Failed,
    Complete,
}

/// `ok`, `failed`, or `not_reached` (the server never sent a certificate).
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub status: &'static str,
    /// rustls/webpki's own message when it failed.
    pub error: Option<String>,
    /// True when --insecure let the handshake go on regardless.
    pub enforced: bool,
}

/// The server's client-certificate request and what became of ours.
#[derive(Debug, Clone, Serialize)]
pub struct ClientAuth {
    /// `None` when the handshake stopped before the server could ask.
    pub requested: Option<bool>,
    /// Names of the CAs the server accepts client certificates from.
    pub acceptable_cas: Vec<String>,
    /// Subject of the certificate we sent.
    pub sent: Option<String>,
    /// `not_requested`; `accepted` or `rejected` (our certificate);
    /// `none_sent` (we had none and the server went on: optional client
    /// authentication, as kube-apiserver does); `required` (we had none and
    /// the server refused); `unknown` (the handshake stopped before, or no
    /// verdict in time).
    pub result: &'static str,
    /// The alert the server answered our certificate with.
    pub alert: Option<String>,
}

/// Who signed a certificate, as far as the probe can tell.
#[derive(Debug, Clone, Serialize)]
pub struct SignedBy {
    /// `next` (the following certificate in what the server sent),
    /// `anchor` (a certificate of the trust list), `self`, `unknown`.
    pub kind: &'static str,
    pub subject: Option<String>,
    /// True when the signature verifies with that certificate's key.
    pub verified: bool,
    pub detail: String,
}

/// One certificate the server sent.
#[derive(Debug, Clone, Serialize)]
pub struct CertReport {
    pub index: usize,
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    /// Time left at the judging time (`364d 3h`), negative when expired.
    pub residual: String,
    pub residual_days: i64,
    /// `ok`, `expired`, `not_yet_valid`, `invalid` (unparseable).
    pub status: &'static str,
    pub sans: Vec<String>,
    pub key: String,
    pub key_bits: usize,
    pub signature_algorithm: String,
    pub is_ca: bool,
    pub self_signed: bool,
    pub extended_key_usage: Vec<String>,
    pub sha256: String,
    pub signed_by: SignedBy,
}

/// `fail` (makes the verdict failed), `warn`, `info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Fail,
    Warn,
    Info,
}

/// One thing the probe found, in words.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// Stable snake_case identifier (`expired`, `name_mismatch`, ...).
    pub code: &'static str,
    pub message: String,
    pub hint: Option<String>,
}

/// Everything a probe saw.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeReport {
    pub target: String,
    /// The address actually connected to.
    pub address: Option<String>,
    pub verdict: Verdict,
    /// SNI sent (none for an IP address).
    pub sni: Option<String>,
    /// The name the certificate must be valid for.
    pub verify_name: String,
    /// Short name of the trust list, e.g. `--cacert`.
    pub trust: String,
    pub trust_source: String,
    pub trust_certificates: usize,
    pub insecure: bool,
    /// The time certificates were judged at (RFC 3339).
    pub judged_at: String,
    /// True when that time came from --at.
    pub at_given: bool,
    pub connect_ms: Option<f64>,
    pub handshake_ms: Option<f64>,
    pub handshake: HandshakeState,
    pub version: Option<String>,
    pub cipher: Option<String>,
    pub key_exchange: Option<String>,
    pub alpn_offered: Vec<String>,
    pub alpn: Option<String>,
    pub client_auth: ClientAuth,
    pub verification: Verification,
    pub certificates: Vec<CertReport>,
    pub findings: Vec<Finding>,
}

impl ProbeReport {
    /// 0 verified, 1 reachable but failing, 2 unreachable.
    pub fn exit_code(&self) -> i32 {
        match self.verdict {
            Verdict::Verified => 0,
            Verdict::Failed => 1,
            Verdict::Unreachable => 2,
        }
    }
}

// ---------------------------------------------------------------------------
// What the verifier, the resolver and the session store saw.

#[derive(Debug, Default)]
struct Seen {
    chain: Vec<CertificateDer<'static>>,
    verification: Option<Result<(), String>>,
    client_auth_requested: bool,
    acceptable_cas: Vec<Vec<u8>>,
    client_cert_sent: bool,
    tickets: usize,
}

#[derive(Debug, Clone, Default)]
struct Shared(Arc<Mutex<Seen>>);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Seen> {
        // A panic elsewhere cannot leave `Seen` half-written in a way that
        // matters for a report; keep going with what is there.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Records the chain, then verifies it for real.
#[derive(Debug)]
struct RecordingVerifier {
    inner: Result<Arc<WebPkiServerVerifier>, String>,
    roots: Vec<CertificateDer<'static>>,
    at: UnixTime,
    at_secs: i64,
    insecure: bool,
    provider: Arc<CryptoProvider>,
    seen: Shared,
}

/// A verification failure webpki does not detect (an expired trust anchor).
#[derive(Debug)]
struct AnchorProblem(String);

impl fmt::Display for AnchorProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AnchorProblem {}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut chain = vec![end_entity.clone().into_owned()];
        chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        let result = match &self.inner {
            Ok(v) => v
                .verify_server_cert(
                    end_entity,
                    intermediates,
                    server_name,
                    ocsp_response,
                    self.at,
                )
                .map(|_| ()),
            Err(msg) => Err(rustls::Error::General(msg.clone())),
        };
        // webpki's words when it fails; ours for what it lets through.
        let (result, words) = match result {
            Ok(()) => match anchor_problem(&chain, &self.roots, self.at_secs) {
                Some(p) => {
                    let words = format!(
                        "{p} (webpki accepts an expired trust anchor; Go clients and kinspect do not)"
                    );
                    (
                        Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                            OtherError(Arc::new(AnchorProblem(p))),
                        ))),
                        Err(words),
                    )
                }
                None => (Ok(()), Ok(())),
            },
            Err(e) => {
                let words = e.to_string();
                (Err(e), Err(words))
            }
        };
        {
            let mut seen = self.seen.lock();
            seen.chain = chain;
            seen.verification = Some(words);
        }
        match result {
            Ok(()) => Ok(ServerCertVerified::assertion()),
            Err(_) if self.insecure => Ok(ServerCertVerified::assertion()),
            Err(e) => Err(e),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Records the server's certificate request; answers with our identity.
#[derive(Debug)]
struct RecordingResolver {
    key: Option<Arc<CertifiedKey>>,
    seen: Shared,
}

impl ResolvesClientCert for RecordingResolver {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        let mut seen = self.seen.lock();
        seen.client_auth_requested = true;
        seen.acceptable_cas = root_hint_subjects.iter().map(|s| s.to_vec()).collect();
        seen.client_cert_sent = self
            .key
            .as_ref()
            .is_some_and(|k| k.key.choose_scheme(sigschemes).is_some());
        self.key.clone()
    }

    fn has_certs(&self) -> bool {
        self.key.is_some()
    }
}

/// Counts TLS 1.3 tickets (proof the server accepted our Finished and so
/// our certificate); stores nothing, so no probe resumes a session.
#[derive(Debug)]
struct TicketCounter(Shared);

impl ClientSessionStore for TicketCounter {
    fn set_kx_hint(&self, _: ServerName<'static>, _: NamedGroup) {}
    fn kx_hint(&self, _: &ServerName<'_>) -> Option<NamedGroup> {
        None
    }
    fn set_tls12_session(&self, _: ServerName<'static>, _: Tls12ClientSessionValue) {}
    fn tls12_session(&self, _: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        None
    }
    fn remove_tls12_session(&self, _: &ServerName<'static>) {}
    fn insert_tls13_ticket(&self, _: ServerName<'static>, _: Tls13ClientSessionValue) {
        self.0.lock().tickets += 1;
    }
    fn take_tls13_ticket(&self, _: &ServerName<'static>) -> Option<Tls13ClientSessionValue> {
        None
    }
}

/// Reads from the socket and keeps the first bytes the server sent, to
/// tell what answered when it was not TLS.
struct Recorder<'a> {
    sock: &'a TcpStream,
    first: Vec<u8>,
    total: usize,
}

const KEEP_FIRST: usize = 512;

impl Read for Recorder<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (&*self.sock).read(buf)?;
        let room = KEEP_FIRST.saturating_sub(self.first.len()).min(n);
        self.first.extend_from_slice(&buf[..room]);
        self.total += n;
        Ok(n)
    }
}

// ---------------------------------------------------------------------------
// The probe.

/// How the handshake ended, before interpretation.
enum Ending {
    Complete,
    Tls(rustls::Error),
    Eof,
    Io(io::Error),
    Timeout,
}

/// Connects, handshakes, verifies and explains. Returns `Err` only for bad
/// options (an unusable client key, an invalid SNI name); everything that
/// happens on the network is in the report.
pub fn probe(opts: &ProbeOptions) -> Result<ProbeReport, ProbeError> {
    let deadline = Instant::now() + opts.timeout;
    let judged = opts.at.unwrap_or_else(now);
    let at_secs = judged.0.div_euclid(1_000_000_000);
    let provider = Arc::new(rustls::crypto::ring::default_provider());

    let verify_name = opts.sni.clone().unwrap_or_else(|| opts.target.host.clone());
    let server_name = ServerName::try_from(verify_name.clone()).map_err(|_| {
        ProbeError::Usage(format!(
            "{verify_name:?} is neither a DNS name nor an IP address (use --sni NAME)"
        ))
    })?;
    let client_key = match &opts.client {
        None => None,
        Some(id) => Some(Arc::new(certified_key(id, &provider)?)),
    };
    let seen = Shared::default();
    let config = client_config(opts, provider, &seen, client_key.clone(), at_secs)?;
    let mut report = empty_report(opts, &server_name, &verify_name, judged);

    // TCP.
    let connect_start = Instant::now();
    let sock = match connect(&opts.target, deadline, opts.timeout) {
        Ok(s) => s,
        Err(finding) => {
            report.verdict = Verdict::Unreachable;
            report.findings.push(finding);
            return Ok(report);
        }
    };
    let _ = sock.set_nodelay(true);
    report.address = sock.peer_addr().ok().map(|a| a.to_string());
    report.connect_ms = Some(ms(connect_start.elapsed()));

    // TLS.
    let hs_start = Instant::now();
    report.handshake = HandshakeState::Failed;
    let mut conn =
        ClientConnection::new(Arc::new(config), server_name.to_owned()).map_err(ProbeError::Tls)?;
    let mut rec = Recorder {
        sock: &sock,
        first: Vec::new(),
        total: 0,
    };
    let ending = drive_handshake(&mut conn, &mut rec, deadline);
    let handshake_done = matches!(ending, Ending::Complete);
    let mut post = PostHandshake::NotNeeded;
    if handshake_done {
        report.handshake = HandshakeState::Complete;
        report.handshake_ms = Some(ms(hs_start.elapsed()));
        report.version = conn.protocol_version().map(version_name);
        report.cipher = conn
            .negotiated_cipher_suite()
            .map(|s| format!("{:?}", s.suite()));
        report.key_exchange = conn
            .negotiated_key_exchange_group()
            .map(|g| format!("{:?}", g.name()));
        report.alpn = conn
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned());
        // TLS 1.3: the server judges our certificate after our Finished.
        let tls13 = conn.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3);
        if tls13 && seen.lock().client_auth_requested {
            let now = Instant::now();
            let until =
                (now + opts.client_auth_wait).min(deadline.max(now + Duration::from_millis(200)));
            post = await_client_auth_verdict(&mut conn, &mut rec, &seen, until);
        }
        conn.send_close_notify();
        let _ = write_all_tls(&mut conn, &sock, deadline);
    }

    let seen = std::mem::take(&mut *seen.lock());
    let our_subject = client_key
        .as_ref()
        .and_then(|k| k.cert.first())
        .map(|c| subject_of(c));
    interpret(
        &mut report,
        opts,
        &seen,
        &Exchange {
            ending: &ending,
            post: &post,
            first_bytes: &rec.first,
            bytes_received: rec.total,
            our_subject: our_subject.as_deref(),
            our_cert: client_key.as_ref().and_then(|k| k.cert.first()),
            at_secs,
        },
    );
    Ok(report)
}

/// The client configuration: recording verifier and resolver, ALPN, and a
/// session store that only counts tickets.
fn client_config(
    opts: &ProbeOptions,
    provider: Arc<CryptoProvider>,
    seen: &Shared,
    client_key: Option<Arc<CertifiedKey>>,
    at_secs: i64,
) -> Result<ClientConfig, ProbeError> {
    let mut roots = RootCertStore::empty();
    let _ = roots.add_parsable_certificates(opts.trust.roots.iter().cloned());
    let inner = if roots.is_empty() {
        Err(if opts.trust.roots.is_empty() {
            format!("no CA certificates to verify against ({})", opts.trust.name)
        } else {
            format!("no usable CA certificate in {}", opts.trust.name)
        })
    } else {
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| e.to_string())
    };
    let verifier = Arc::new(RecordingVerifier {
        inner,
        roots: opts.trust.roots.clone(),
        at: UnixTime::since_unix_epoch(Duration::from_secs(at_secs.max(0) as u64)),
        at_secs,
        insecure: opts.insecure,
        provider: provider.clone(),
        seen: seen.clone(),
    });
    let resolver = Arc::new(RecordingResolver {
        key: client_key,
        seen: seen.clone(),
    });
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(ProbeError::Tls)?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_cert_resolver(resolver);
    config.alpn_protocols = opts.alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    config.resumption = Resumption::store(Arc::new(TicketCounter(seen.clone())));
    Ok(config)
}

fn empty_report(
    opts: &ProbeOptions,
    server_name: &ServerName<'_>,
    verify_name: &str,
    judged: Timestamp,
) -> ProbeReport {
    ProbeReport {
        target: opts.target.to_string(),
        address: None,
        verdict: Verdict::Failed,
        sni: match server_name {
            ServerName::DnsName(d) => Some(d.as_ref().to_string()),
            _ => None,
        },
        verify_name: verify_name.to_string(),
        trust: opts.trust.name.clone(),
        trust_source: opts.trust.source.clone(),
        trust_certificates: opts.trust.roots.len(),
        insecure: opts.insecure,
        judged_at: judged.to_string(),
        at_given: opts.at.is_some(),
        connect_ms: None,
        handshake_ms: None,
        handshake: HandshakeState::NotStarted,
        version: None,
        cipher: None,
        key_exchange: None,
        alpn_offered: opts.alpn.clone(),
        alpn: None,
        client_auth: ClientAuth {
            requested: None,
            acceptable_cas: Vec::new(),
            sent: None,
            result: "unknown",
            alert: None,
        },
        verification: Verification {
            status: "not_reached",
            error: None,
            enforced: !opts.insecure,
        },
        certificates: Vec::new(),
        findings: Vec::new(),
    }
}

/// What happened on the wire, for [`interpret`].
struct Exchange<'a> {
    ending: &'a Ending,
    post: &'a PostHandshake,
    first_bytes: &'a [u8],
    bytes_received: usize,
    our_subject: Option<&'a str>,
    our_cert: Option<&'a CertificateDer<'static>>,
    at_secs: i64,
}

fn duration_words(d: Duration) -> String {
    human_duration(d.as_nanos().min(i64::MAX as u128) as i64)
}

/// Fills the report's chain, verification, client-auth outcome, findings
/// and verdict from what the connection saw.
fn interpret(report: &mut ProbeReport, opts: &ProbeOptions, seen: &Seen, x: &Exchange<'_>) {
    let handshake_done = matches!(x.ending, Ending::Complete);
    let analysis = analyze(&seen.chain, opts, &report.verify_name, x.at_secs);
    report.certificates = analysis.certs;
    report.verification.status = match &seen.verification {
        None => "not_reached",
        Some(Ok(())) => "ok",
        Some(Err(e)) => {
            report.verification.error = Some(e.clone());
            "failed"
        }
    };

    let auth = &mut report.client_auth;
    auth.requested = if seen.client_auth_requested {
        Some(true)
    } else if handshake_done {
        Some(false)
    } else {
        None
    };
    auth.acceptable_cas = seen.acceptable_cas.iter().map(|n| dn_string(n)).collect();
    if seen.client_cert_sent {
        auth.sent = x.our_subject.map(str::to_string);
    }
    auth.result = match (auth.requested, seen.client_cert_sent) {
        (Some(false), _) => "not_requested",
        (None, _) => "unknown",
        // The server finished the handshake after seeing ours (TLS 1.2),
        // or TLS 1.3's verdict comes below.
        (Some(true), true) if handshake_done => "accepted",
        (Some(true), false) if handshake_done => "none_sent",
        (Some(true), _) => "unknown",
    };

    let mut findings = handshake_findings(x, seen, auth, opts);
    findings.extend(post_handshake_findings(x, seen, auth, opts));
    if let Some(our) = x.our_cert {
        client_cert_findings(our, seen, x.at_secs, &mut findings);
    }

    let mut cert_findings = analysis.findings;
    if let Some(Err(err)) = &seen.verification {
        if !cert_findings.iter().any(|f| f.severity == Severity::Fail) {
            cert_findings.push(Finding {
                severity: Severity::Fail,
                code: "verification_failed",
                message: format!("verification failed: {err}"),
                hint: None,
            });
        }
    }
    // Connection-level problems first, then the chain, then the rest.
    let (mut all, rest): (Vec<_>, Vec<_>) = findings
        .into_iter()
        .partition(|f| matches!(f.code, "not_tls" | "timeout" | "closed_without_answer"));
    all.extend(cert_findings);
    all.extend(rest);
    if opts.insecure {
        all.push(Finding {
            severity: Severity::Info,
            code: "insecure",
            message: "--insecure: verification skipped for the handshake (its result is reported, not enforced)".into(),
            hint: None,
        });
    }
    let failing = all.iter().any(|f| f.severity == Severity::Fail);
    if failing {
        all.extend(port_hint(opts.target.port));
    }
    report.findings = all;
    report.verdict = if handshake_done
        && report.verification.status == "ok"
        && !failing
        && !matches!(report.client_auth.result, "rejected" | "required")
    {
        Verdict::Verified
    } else {
        Verdict::Failed
    };
}

/// Findings from how the handshake ended.
fn handshake_findings(
    x: &Exchange<'_>,
    seen: &Seen,
    auth: &mut ClientAuth,
    opts: &ProbeOptions,
) -> Vec<Finding> {
    let fail = |code: &'static str, message: String, hint: Option<&str>| Finding {
        severity: Severity::Fail,
        code,
        message,
        hint: hint.map(str::to_string),
    };
    let mut out = Vec::new();
    match x.ending {
        Ending::Complete => {}
        Ending::Tls(rustls::Error::AlertReceived(alert)) => {
            out.push(alert_finding(*alert, seen, auth, x.our_subject, &opts.alpn));
        }
        Ending::Tls(_) if matches!(seen.verification, Some(Err(_))) && !opts.insecure => {
            // Our verifier stopped the handshake; the certificate findings
            // say why (and `verification.error` keeps webpki's words).
            out.push(Finding {
                severity: Severity::Info,
                code: "handshake_stopped",
                message: "handshake stopped at the server's certificate (as any client that verifies would)".into(),
                hint: Some("add --insecure to complete the handshake anyway and see ALPN and client-certificate details".into()),
            });
        }
        Ending::Tls(e) => out.push(
            not_tls(x.first_bytes)
                .unwrap_or_else(|| fail("tls_error", format!("handshake failed: {e}"), None)),
        ),
        Ending::Eof | Ending::Io(_) => {
            let how = match x.ending {
                Ending::Io(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                    "reset the connection"
                }
                Ending::Io(_) => "broke the connection",
                _ => "closed the connection",
            };
            if let Some(f) = not_tls(x.first_bytes) {
                out.push(f);
            } else if x.bytes_received == 0 {
                out.push(fail(
                    "closed_without_answer",
                    format!("server {how} without answering our ClientHello"),
                    Some("not a TLS port, or the server refused us before TLS (a proxy, a firewall, a TLS server limited to other names or versions)"),
                ));
            } else if seen.client_auth_requested {
                auth.result = if seen.client_cert_sent {
                    "rejected"
                } else {
                    "required"
                };
                let what = if seen.client_cert_sent {
                    "our client certificate"
                } else {
                    "our empty client certificate"
                };
                out.push(fail(
                    "client_cert_rejected",
                    format!("server {how} after receiving {what} (no alert)"),
                    None,
                ));
            } else {
                out.push(fail(
                    "closed_during_handshake",
                    format!("server {how} during the handshake"),
                    None,
                ));
            }
            if let Ending::Io(e) = x.ending {
                if e.kind() != io::ErrorKind::ConnectionReset {
                    out.push(Finding {
                        severity: Severity::Info,
                        code: "io_error",
                        message: format!("socket error: {e}"),
                        hint: None,
                    });
                }
            }
        }
        Ending::Timeout => {
            let t = duration_words(opts.timeout);
            out.push(if let Some(f) = not_tls(x.first_bytes) {
                f
            } else if x.bytes_received == 0 {
                fail(
                    "timeout",
                    format!("timeout: server accepted the TCP connection but sent nothing within {t} after our ClientHello"),
                    Some("not a TLS server (a protocol where the client speaks first and the server waits for more), or a hung process"),
                )
            } else {
                fail(
                    "timeout",
                    format!("timeout: handshake not finished within {t} ({} bytes received)", x.bytes_received),
                    None,
                )
            });
        }
    }
    out
}

/// Findings from the TLS 1.3 wait for the server's verdict on our
/// certificate.
fn post_handshake_findings(
    x: &Exchange<'_>,
    seen: &Seen,
    auth: &mut ClientAuth,
    opts: &ProbeOptions,
) -> Vec<Finding> {
    match x.post {
        PostHandshake::NotNeeded => Vec::new(),
        PostHandshake::Accepted => {
            auth.result = if seen.client_cert_sent {
                "accepted"
            } else {
                "none_sent"
            };
            Vec::new()
        }
        PostHandshake::Alert(alert) => {
            vec![alert_finding(*alert, seen, auth, x.our_subject, &opts.alpn)]
        }
        PostHandshake::Closed => {
            let what = if seen.client_cert_sent {
                auth.result = "rejected";
                "our client certificate"
            } else {
                auth.result = "required";
                "our empty client certificate"
            };
            vec![Finding {
                severity: Severity::Fail,
                code: "client_cert_rejected",
                message: format!("server closed the connection after receiving {what} (no alert)"),
                hint: None,
            }]
        }
        PostHandshake::NoAnswer => {
            auth.result = if seen.client_cert_sent {
                "unknown"
            } else {
                "none_sent"
            };
            if !seen.client_cert_sent {
                return Vec::new();
            }
            vec![Finding {
                severity: Severity::Info,
                code: "client_auth_unconfirmed",
                message: format!(
                    "server neither accepted nor rejected our client certificate within {} (TLS 1.3 servers answer after the handshake)",
                    duration_words(opts.client_auth_wait)
                ),
                hint: None,
            }]
        }
    }
}

fn now() -> Timestamp {
    Timestamp::now()
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

fn version_name(v: rustls::ProtocolVersion) -> String {
    match v {
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".into(),
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".into(),
        other => format!("{other:?}"),
    }
}

fn certified_key(
    id: &ClientIdentity,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, ProbeError> {
    if id.chain.is_empty() {
        return Err(ProbeError::Usage(format!(
            "{}: no certificate in the client certificate file",
            id.source
        )));
    }
    let key = provider
        .key_provider
        .load_private_key(id.key.clone_key())
        .map_err(|e| ProbeError::Usage(format!("client key for {}: unusable: {e}", id.source)))?;
    let ck = CertifiedKey::new(id.chain.clone(), key);
    match ck.keys_match() {
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
            Err(ProbeError::Usage(format!(
                "the client key does not match the client certificate {} (their public keys differ)",
                id.source
            )))
        }
        _ => Ok(ck),
    }
}

fn connect(target: &Target, deadline: Instant, timeout: Duration) -> Result<TcpStream, Finding> {
    let addrs: Vec<SocketAddr> = match (target.host.as_str(), target.port).to_socket_addrs() {
        Ok(a) => a.collect(),
        Err(e) => {
            return Err(Finding {
                severity: Severity::Fail,
                code: "unresolvable",
                message: format!("cannot resolve {}: {e}", target.host),
                hint: None,
            });
        }
    };
    if addrs.is_empty() {
        return Err(Finding {
            severity: Severity::Fail,
            code: "unresolvable",
            message: format!("{} resolves to no address", target.host),
            hint: None,
        });
    }
    let mut last: Option<(SocketAddr, io::Error)> = None;
    for addr in &addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match TcpStream::connect_timeout(addr, left) {
            Ok(s) => return Ok(s),
            Err(e) => last = Some((*addr, e)),
        }
    }
    let (addr, e) = match last {
        Some(x) => x,
        None => (addrs[0], io::Error::from(io::ErrorKind::TimedOut)),
    };
    let t = human_duration(timeout.as_nanos().min(i64::MAX as u128) as i64);
    Err(match e.kind() {
        io::ErrorKind::ConnectionRefused => Finding {
            severity: Severity::Fail,
            code: "connection_refused",
            message: format!("connection refused: nothing listening on {addr}"),
            hint: port_hint(target.port).map(|f| f.message),
        },
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Finding {
            severity: Severity::Fail,
            code: "timeout",
            message: format!(
                "timeout: no answer from {addr} within {t} (host down, or the port is filtered)"
            ),
            hint: None,
        },
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => Finding {
            severity: Severity::Fail,
            code: "no_route",
            message: format!("no route to {addr}: {e}"),
            hint: None,
        },
        _ => Finding {
            severity: Severity::Fail,
            code: "connect_failed",
            message: format!("cannot connect to {addr}: {e}"),
            hint: None,
        },
    })
}

fn set_deadline(sock: &TcpStream, deadline: Instant) -> bool {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return false;
    }
    sock.set_read_timeout(Some(left)).is_ok() && sock.set_write_timeout(Some(left)).is_ok()
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn write_all_tls(
    conn: &mut ClientConnection,
    sock: &TcpStream,
    deadline: Instant,
) -> io::Result<()> {
    while conn.wants_write() {
        if !set_deadline(sock, deadline) {
            return Err(io::ErrorKind::TimedOut.into());
        }
        conn.write_tls(&mut &*sock)?;
    }
    Ok(())
}

fn drive_handshake(
    conn: &mut ClientConnection,
    rec: &mut Recorder<'_>,
    deadline: Instant,
) -> Ending {
    let sock = rec.sock;
    loop {
        if let Err(e) = write_all_tls(conn, sock, deadline) {
            if is_timeout(&e) {
                return Ending::Timeout;
            }
            // The server may have answered (and closed) before our write
            // failed: read what it said.
            if read_once(conn, rec, deadline).is_some() {
                if let Err(tls) = conn.process_new_packets() {
                    return Ending::Tls(tls);
                }
            }
            return Ending::Io(e);
        }
        if !conn.is_handshaking() {
            return Ending::Complete;
        }
        if !set_deadline(sock, deadline) {
            return Ending::Timeout;
        }
        match conn.read_tls(rec) {
            Ok(0) => {
                // Anything the server sent before closing (an alert) first.
                if let Err(e) = conn.process_new_packets() {
                    return Ending::Tls(e);
                }
                return Ending::Eof;
            }
            Ok(_) => {}
            Err(e) if is_timeout(&e) => return Ending::Timeout,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                if let Err(tls) = conn.process_new_packets() {
                    return Ending::Tls(tls);
                }
                return Ending::Io(e);
            }
        }
        if let Err(e) = conn.process_new_packets() {
            // Tell the server why (the alert rustls queued), then report.
            let _ = write_all_tls(conn, sock, deadline);
            return Ending::Tls(e);
        }
    }
}

fn read_once(
    conn: &mut ClientConnection,
    rec: &mut Recorder<'_>,
    deadline: Instant,
) -> Option<usize> {
    if !set_deadline(rec.sock, deadline) {
        return None;
    }
    conn.read_tls(rec).ok().filter(|n| *n > 0)
}

enum PostHandshake {
    NotNeeded,
    Accepted,
    Alert(AlertDescription),
    Closed,
    NoAnswer,
}

/// After a TLS 1.3 handshake where the server asked for a client
/// certificate: wait for its verdict — an alert (rejected), a session
/// ticket or data (accepted), a close, or nothing.
fn await_client_auth_verdict(
    conn: &mut ClientConnection,
    rec: &mut Recorder<'_>,
    seen: &Shared,
    until: Instant,
) -> PostHandshake {
    let mut buf = [0u8; 4096];
    loop {
        if seen.lock().tickets > 0 {
            return PostHandshake::Accepted;
        }
        if !set_deadline(rec.sock, until) {
            return PostHandshake::NoAnswer;
        }
        match conn.read_tls(rec) {
            Ok(0) => {
                if let Err(rustls::Error::AlertReceived(a)) = conn.process_new_packets() {
                    return PostHandshake::Alert(a);
                }
                return PostHandshake::Closed;
            }
            Ok(_) => match conn.process_new_packets() {
                Err(rustls::Error::AlertReceived(a)) => return PostHandshake::Alert(a),
                Err(_) => return PostHandshake::Closed,
                Ok(state) => {
                    if state.plaintext_bytes_to_read() > 0 {
                        // The server speaks first (and so accepted us);
                        // drain what it said, we do not need it.
                        let _ = conn.reader().read(&mut buf);
                        return PostHandshake::Accepted;
                    }
                    if state.peer_has_closed() {
                        return PostHandshake::Closed;
                    }
                }
            },
            Err(e) if is_timeout(&e) => return PostHandshake::NoAnswer,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => {
                if let Err(rustls::Error::AlertReceived(a)) = conn.process_new_packets() {
                    return PostHandshake::Alert(a);
                }
                return PostHandshake::Closed;
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Words for what happened.

/// The RFC name of a TLS alert (`certificate_expired`, `unknown_ca`).
pub fn alert_name(a: AlertDescription) -> String {
    let code = u8::from(a);
    let name = match code {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        21 => "decryption_failed",
        22 => "record_overflow",
        30 => "decompression_failure",
        40 => "handshake_failure",
        41 => "no_certificate",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        60 => "export_restriction",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        100 => "no_renegotiation",
        109 => "missing_extension",
        110 => "unsupported_extension",
        111 => "certificate_unobtainable",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        114 => "bad_certificate_hash_value",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        120 => "no_application_protocol",
        121 => "ech_required",
        _ => return format!("alert {code}"),
    };
    name.to_string()
}

/// Alerts a server sends about a client certificate.
fn is_client_cert_alert(code: u8) -> bool {
    matches!(code, 41..=46 | 48 | 49 | 51 | 116)
}

fn alert_finding(
    alert: AlertDescription,
    seen: &Seen,
    auth: &mut ClientAuth,
    our_subject: Option<&str>,
    alpn: &[String],
) -> Finding {
    let name = alert_name(alert);
    let code = u8::from(alert);
    if seen.client_auth_requested
        && seen.client_cert_sent
        && (is_client_cert_alert(code) || code == 40)
    {
        auth.result = "rejected";
        auth.alert = Some(name.clone());
        let hint = match code {
            45 => Some("our client certificate has expired for the server: renew it".to_string()),
            48 => Some("the server does not trust the CA that signed our client certificate: use a certificate signed by one of the CAs the server accepts".to_string()),
            116 => None,
            51 => Some("the signature made with our key did not verify: does --key belong to --cert?".to_string()),
            _ => None,
        };
        return Finding {
            severity: Severity::Fail,
            code: "client_cert_rejected",
            message: format!(
                "server rejected our client certificate {} with alert {name}",
                our_subject.unwrap_or("")
            )
            .replace("  ", " "),
            hint,
        };
    }
    if seen.client_auth_requested
        && !seen.client_cert_sent
        && (is_client_cert_alert(code) || code == 40)
    {
        auth.result = "required";
        auth.alert = Some(name.clone());
        return Finding {
            severity: Severity::Fail,
            code: "client_cert_required",
            message: format!(
                "server requires a client certificate and we sent none (alert {name})"
            ),
            hint: Some(
                "give --cert and --key (or a --kubeconfig whose user has a client certificate)"
                    .into(),
            ),
        };
    }
    let hint = match code {
        70 => Some("no TLS version in common (the server may only speak TLS 1.0/1.1, which rustls refuses)".to_string()),
        40 => Some("no cipher suite, group or signature scheme in common, or the server needs something we did not send".to_string()),
        112 => Some("the server has no certificate for this SNI name: set --sni to a name it serves".to_string()),
        120 => Some(format!(
            "the server speaks none of the ALPN protocols we offered ({}); try --alpn with another list, or --alpn none",
            if alpn.is_empty() { "none".to_string() } else { alpn.join(",") }
        )),
        116 => Some("give --cert and --key (or a --kubeconfig whose user has a client certificate)".to_string()),
        _ => None,
    };
    Finding {
        severity: Severity::Fail,
        code: "server_alert",
        message: format!("server refused the handshake with alert {name}"),
        hint,
    }
}

/// A description of what answered, when the first bytes are not a TLS record.
fn not_tls(first: &[u8]) -> Option<Finding> {
    if first.is_empty() {
        return None;
    }
    // A TLS record: content type 20..=24, then version major 3 (or SSLv2).
    if first.len() >= 2 && (20..=24).contains(&first[0]) && first[1] == 3 {
        return None;
    }
    let first_line = || {
        let end = first
            .iter()
            .position(|b| *b == b'\r' || *b == b'\n')
            .unwrap_or(first.len())
            .min(120);
        String::from_utf8_lossy(&first[..end]).into_owned()
    };
    let (message, hint) = if first.starts_with(b"HTTP/") {
        let line = first_line();
        let version = line.split(' ').next().unwrap_or("HTTP").to_string();
        (
            format!("not TLS: server answered {version} ({line:?})"),
            "this port serves plain HTTP: use http://, or the TLS port of the component",
        )
    } else if first.starts_with(b"<") && first.len() > 4 && {
        let head = String::from_utf8_lossy(&first[..first.len().min(16)]).to_ascii_lowercase();
        head.starts_with("<!doctype") || head.starts_with("<html")
    } {
        (
            format!(
                "not TLS: server answered an HTML page ({:?}): plain HTTP",
                first_line()
            ),
            "this port serves plain HTTP: use http://, or the TLS port of the component",
        )
    } else if first.starts_with(b"SSH-") {
        (
            format!("not TLS: server answered SSH ({:?})", first_line()),
            "this is an SSH port",
        )
    } else if first.len() >= 9 && first[0] == 0 && matches!(first[3], 4 | 7) {
        (
            "not TLS: server answered with HTTP/2 frames (cleartext HTTP/2 or gRPC without TLS)"
                .to_string(),
            "this port serves HTTP/2 without TLS (h2c, e.g. an etcd with plain http:// listeners)",
        )
    } else if first
        .iter()
        .take(64)
        .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
    {
        (
            format!("not TLS: server answered {:?}", first_line()),
            "this port speaks a plain-text protocol, not TLS",
        )
    } else {
        let hex: Vec<String> = first.iter().take(16).map(|b| format!("{b:02x}")).collect();
        (
            format!(
                "not TLS: server answered {} bytes that are not a TLS record ({})",
                first.len(),
                hex.join(" ")
            ),
            "this port speaks another protocol",
        )
    };
    Some(Finding {
        severity: Severity::Fail,
        code: "not_tls",
        message,
        hint: Some(hint.into()),
    })
}

/// What a well-known control-plane port is, when a probe of it fails.
pub fn port_hint(port: u16) -> Option<Finding> {
    let message = match port {
        2380 => {
            "port 2380 is etcd's peer port (members replicate Raft there, with peer certificates); etcdctl and kube-apiserver use the client port 2379"
        }
        2381 => {
            "port 2381 is etcd's metrics and health port in kubeadm (plain HTTP); etcd clients use 2379"
        }
        10248 => {
            "port 10248 is the kubelet's healthz port (plain HTTP); the kubelet's TLS port is 10250"
        }
        10249 => "port 10249 is kube-proxy's metrics port (plain HTTP)",
        10255 => {
            "port 10255 is the kubelet's read-only port (plain HTTP, deprecated); the kubelet's TLS port is 10250"
        }
        10256 => "port 10256 is kube-proxy's healthz port (plain HTTP)",
        8080 => {
            "port 8080 was kube-apiserver's insecure port (plain HTTP, removed in 1.20); the apiserver serves TLS on 6443"
        }
        _ => return None,
    };
    Some(Finding {
        severity: Severity::Info,
        code: "wrong_port",
        message: message.to_string(),
        hint: None,
    })
}

// ---------------------------------------------------------------------------
// The chain.

struct Analysis {
    certs: Vec<CertReport>,
    findings: Vec<Finding>,
}

fn parse(der: &[u8]) -> Option<X509Certificate<'_>> {
    X509Certificate::from_der(der).ok().map(|(_, c)| c)
}

fn name_str(n: &X509Name<'_>) -> String {
    let s = n.to_string();
    if s.is_empty() {
        "(empty name)".into()
    } else {
        s
    }
}

fn subject_of(der: &CertificateDer<'_>) -> String {
    parse(der)
        .map(|c| name_str(c.subject()))
        .unwrap_or_else(|| "(unparseable certificate)".into())
}

/// A distinguished name from a CertificateRequest (with or without its
/// outer SEQUENCE, depending on the encoder).
fn dn_string(der: &[u8]) -> String {
    if let Ok((_, n)) = X509Name::from_der(der) {
        return name_str(&n);
    }
    let mut wrapped = vec![0x30];
    let len = der.len();
    if len < 0x80 {
        wrapped.push(len as u8);
    } else if len < 0x100 {
        wrapped.extend([0x81, len as u8]);
    } else {
        wrapped.extend([0x82, (len >> 8) as u8, len as u8]);
    }
    wrapped.extend_from_slice(der);
    match X509Name::from_der(&wrapped) {
        Ok((_, n)) => name_str(&n),
        Err(_) => format!("(undecodable name, {} bytes)", der.len()),
    }
}

fn signs(issuer: &X509Certificate<'_>, cert: &X509Certificate<'_>) -> bool {
    cert.verify_signature(Some(issuer.public_key())).is_ok()
}

fn is_self_signed(c: &X509Certificate<'_>) -> bool {
    c.subject().as_raw() == c.issuer().as_raw() && signs(c, c)
}

/// RFC 3339 without fractions for certificate dates.
fn date(secs: i64) -> String {
    Timestamp(secs.saturating_mul(1_000_000_000))
        .to_string()
        .replace(".000000Z", "Z")
}

/// `10 days`, `1 day`, or `5h12m` under a day.
fn span_words(secs: i64) -> String {
    let secs = secs.max(0);
    let days = secs / 86_400;
    match days {
        0 => human_duration(secs.saturating_mul(1_000_000_000)),
        1 => "1 day".into(),
        d => format!("{d} days"),
    }
}

fn role(index: usize, c: &X509Certificate<'_>) -> &'static str {
    if index == 0 {
        "leaf"
    } else if is_self_signed(c) {
        "root"
    } else {
        "intermediate"
    }
}

fn sans_of(c: &X509Certificate<'_>) -> Option<Vec<String>> {
    let ext = c.subject_alternative_name().ok().flatten()?;
    Some(
        ext.value
            .general_names
            .iter()
            .map(|g| match g {
                GeneralName::DNSName(d) => format!("DNS:{d}"),
                GeneralName::IPAddress(b) => match b.len() {
                    4 => format!(
                        "IP:{}",
                        IpAddr::from(<[u8; 4]>::try_from(*b).unwrap_or_default())
                    ),
                    16 => format!(
                        "IP:{}",
                        IpAddr::from(<[u8; 16]>::try_from(*b).unwrap_or_default())
                    ),
                    _ => format!("IP:(bad length {})", b.len()),
                },
                GeneralName::URI(u) => format!("URI:{u}"),
                GeneralName::RFC822Name(e) => format!("email:{e}"),
                GeneralName::DirectoryName(n) => format!("DirName:{}", name_str(n)),
                other => format!("{other:?}"),
            })
            .collect(),
    )
}

/// True when `name` (a DNS name or an IP) is covered by the SAN entries.
pub fn name_in_sans(name: &str, sans: &[String]) -> bool {
    if let Ok(ip) = name
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        return sans.iter().any(|s| {
            s.strip_prefix("IP:")
                .and_then(|v| v.parse::<IpAddr>().ok())
                .is_some_and(|v| v == ip)
        });
    }
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    sans.iter()
        .filter_map(|s| s.strip_prefix("DNS:"))
        .any(|pattern| {
            let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
            if let Some(suffix) = pattern.strip_prefix("*.") {
                match name.split_once('.') {
                    Some((label, rest)) => !label.is_empty() && rest == suffix,
                    None => false,
                }
            } else {
                pattern == name
            }
        })
}

fn key_of(c: &X509Certificate<'_>) -> (String, usize) {
    let spki = c.public_key();
    let alg = spki.algorithm.algorithm.to_id_string();
    match alg.as_str() {
        "1.3.101.112" => return ("Ed25519".into(), 256),
        "1.3.101.113" => return ("Ed448".into(), 456),
        _ => {}
    }
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => {
            let m = rsa.modulus;
            let start = m.iter().position(|b| *b != 0).unwrap_or(m.len());
            let m = &m[start..];
            let bits = match m.first() {
                Some(b) => m.len() * 8 - b.leading_zeros() as usize,
                None => 0,
            };
            (format!("RSA {bits}"), bits)
        }
        Ok(PublicKey::EC(p)) => {
            let bits = p.key_size();
            let curve = match bits {
                256 => "P-256".to_string(),
                384 => "P-384".to_string(),
                528 | 521 => "P-521".to_string(),
                b => format!("{b}-bit curve"),
            };
            let bits = if bits == 528 { 521 } else { bits };
            (format!("EC {curve}"), bits)
        }
        Ok(PublicKey::DSA(_)) => ("DSA".into(), 0),
        _ => (format!("unknown key ({alg})"), 0),
    }
}

fn sig_alg_name(c: &X509Certificate<'_>) -> String {
    let oid = c.signature_algorithm.algorithm.to_id_string();
    let known = match oid.as_str() {
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        _ => "",
    };
    if known.is_empty() {
        oid
    } else {
        known.to_string()
    }
}

fn eku_of(c: &X509Certificate<'_>) -> Option<Vec<String>> {
    let ext = c.extended_key_usage().ok().flatten()?;
    let e = ext.value;
    let mut v = Vec::new();
    for (on, name) in [
        (e.server_auth, "serverAuth"),
        (e.client_auth, "clientAuth"),
        (e.code_signing, "codeSigning"),
        (e.email_protection, "emailProtection"),
        (e.time_stamping, "timeStamping"),
        (e.ocsp_signing, "OCSPSigning"),
        (e.any, "anyExtendedKeyUsage"),
    ] {
        if on {
            v.push(name.to_string());
        }
    }
    v.extend(e.other.iter().map(|o| o.to_id_string()));
    Some(v)
}

/// How a certificate's path ends, following issuers through what the
/// server sent, then the trust list.
enum PathEnd {
    /// Signed by this certificate of the trust list.
    Anchor(usize),
    /// Ends at a self-signed certificate the server sent; `true` when the
    /// trust list holds it too.
    SelfSigned { index: usize, trusted: bool },
    /// The issuer of this sent certificate is nowhere.
    Missing { index: usize },
    /// The issuer's name is in the trust list but its key did not sign.
    WrongKey { index: usize, anchor: usize },
}

fn build_path(
    sent: &[Option<X509Certificate<'_>>],
    roots: &[Option<X509Certificate<'_>>],
) -> PathEnd {
    let mut cur = 0usize;
    let mut used = vec![false; sent.len()];
    if let Some(u) = used.first_mut() {
        *u = true;
    }
    loop {
        let Some(c) = sent.get(cur).and_then(|c| c.as_ref()) else {
            return PathEnd::Missing { index: cur };
        };
        // The trust list first: a root the server also sent is fine.
        if let Some(a) = roots.iter().position(|r| {
            r.as_ref()
                .is_some_and(|r| r.subject().as_raw() == c.issuer().as_raw() && signs(r, c))
        }) {
            if is_self_signed(c) {
                return PathEnd::SelfSigned {
                    index: cur,
                    trusted: true,
                };
            }
            return PathEnd::Anchor(a);
        }
        if is_self_signed(c) {
            let trusted = roots
                .iter()
                .any(|r| r.as_ref().is_some_and(|r| r.as_raw() == c.as_raw()));
            return PathEnd::SelfSigned {
                index: cur,
                trusted,
            };
        }
        let next = sent.iter().enumerate().position(|(j, s)| {
            !used[j]
                && s.as_ref()
                    .is_some_and(|s| s.subject().as_raw() == c.issuer().as_raw() && signs(s, c))
        });
        match next {
            Some(j) => {
                used[j] = true;
                cur = j;
            }
            None => {
                if let Some(a) = roots.iter().position(|r| {
                    r.as_ref()
                        .is_some_and(|r| r.subject().as_raw() == c.issuer().as_raw())
                }) {
                    return PathEnd::WrongKey {
                        index: cur,
                        anchor: a,
                    };
                }
                return PathEnd::Missing { index: cur };
            }
        }
    }
}

/// An expired or not-yet-valid trust anchor (webpki does not check them).
fn anchor_problem(
    chain: &[CertificateDer<'_>],
    roots: &[CertificateDer<'_>],
    at: i64,
) -> Option<String> {
    let sent: Vec<_> = chain.iter().map(|c| parse(c)).collect();
    let parsed_roots: Vec<_> = roots.iter().map(|c| parse(c)).collect();
    let anchor = match build_path(&sent, &parsed_roots) {
        PathEnd::Anchor(a) => parsed_roots.get(a)?.as_ref()?,
        _ => return None,
    };
    let nb = anchor.validity().not_before.timestamp();
    let na = anchor.validity().not_after.timestamp();
    if at > na {
        Some(format!(
            "trust anchor {} expired {} ago",
            name_str(anchor.subject()),
            span_words(at - na)
        ))
    } else if at < nb {
        Some(format!(
            "trust anchor {} is not valid until {}",
            name_str(anchor.subject()),
            date(nb)
        ))
    } else {
        None
    }
}

fn describe_cert(index: usize, c: &X509Certificate<'_>, der: &[u8], at: i64) -> CertReport {
    let nb = c.validity().not_before.timestamp();
    let na = c.validity().not_after.timestamp();
    let status = if at > na {
        "expired"
    } else if at < nb {
        "not_yet_valid"
    } else {
        "ok"
    };
    let residual_secs = na - at;
    let (key, key_bits) = key_of(c);
    CertReport {
        index,
        subject: name_str(c.subject()),
        issuer: name_str(c.issuer()),
        serial: hex::encode(c.raw_serial()),
        not_before: date(nb),
        not_after: date(na),
        residual: human_duration(residual_secs.saturating_mul(1_000_000_000)),
        residual_days: residual_secs.div_euclid(86_400),
        status,
        sans: sans_of(c).unwrap_or_default(),
        key,
        key_bits,
        signature_algorithm: sig_alg_name(c),
        is_ca: c.is_ca(),
        self_signed: is_self_signed(c),
        extended_key_usage: eku_of(c).unwrap_or_default(),
        sha256: hex::encode(Sha256::digest(der)),
        signed_by: SignedBy {
            kind: "unknown",
            subject: None,
            verified: false,
            detail: String::new(),
        },
    }
}

fn analyze(
    chain: &[CertificateDer<'static>],
    opts: &ProbeOptions,
    name: &str,
    at: i64,
) -> Analysis {
    let mut findings = Vec::new();
    let sent: Vec<_> = chain.iter().map(|c| parse(c)).collect();
    let roots: Vec<_> = opts.trust.roots.iter().map(|c| parse(c)).collect();
    let trust = &opts.trust.name;
    let warn_secs = i64::from(opts.warn_days) * 86_400;

    let mut certs = Vec::new();
    for (i, (der, parsed)) in chain.iter().zip(&sent).enumerate() {
        let Some(c) = parsed else {
            let err = X509Certificate::from_der(der)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            findings.push(Finding {
                severity: Severity::Fail,
                code: "unparseable",
                message: format!("certificate #{i} cannot be parsed: {err}"),
                hint: None,
            });
            certs.push(CertReport {
                index: i,
                subject: "(unparseable certificate)".into(),
                issuer: String::new(),
                serial: String::new(),
                not_before: String::new(),
                not_after: String::new(),
                residual: String::new(),
                residual_days: 0,
                status: "invalid",
                sans: Vec::new(),
                key: String::new(),
                key_bits: 0,
                signature_algorithm: String::new(),
                is_ca: false,
                self_signed: false,
                extended_key_usage: Vec::new(),
                sha256: hex::encode(Sha256::digest(der)),
                signed_by: SignedBy {
                    kind: "unknown",
                    subject: None,
                    verified: false,
                    detail: "unparseable".into(),
                },
            });
            continue;
        };
        let mut r = describe_cert(i, c, der, at);
        let who = format!("{} {}", role(i, c), r.subject);
        let na = c.validity().not_after.timestamp();
        let nb = c.validity().not_before.timestamp();
        match r.status {
            "expired" => findings.push(Finding {
                severity: Severity::Fail,
                code: "expired",
                message: format!("{who} expired {} ago (not after {})", span_words(at - na), r.not_after),
                hint: Some(if i == 0 {
                    "renew the server's certificate (kubeadm: kubeadm certs renew <name>, then restart the component)".into()
                } else {
                    "renew this CA certificate and re-sign what it issued".into()
                }),
            }),
            "not_yet_valid" => findings.push(Finding {
                severity: Severity::Fail,
                code: "not_yet_valid",
                message: format!("{who} is not valid until {} (in {})", r.not_before, span_words(nb - at)),
                hint: Some("check the clocks of this machine and of the machine that issued it".into()),
            }),
            _ if na - at < warn_secs => findings.push(Finding {
                severity: Severity::Warn,
                code: "expires_soon",
                message: format!("{who} expires in {} ({})", span_words(na - at), r.not_after),
                hint: None,
            }),
            _ => {}
        }
        if r.key.starts_with("RSA ") && r.key_bits < 2048 {
            findings.push(Finding {
                severity: Severity::Fail,
                code: "weak_key",
                message: format!(
                    "{who} has a weak key: {} (at least RSA 2048 is needed)",
                    r.key
                ),
                hint: None,
            });
        }
        if i == 0 {
            // The same rule and words as `certs verify` and `pcap tls`.
            if let Some(f) = crate::pki::CertInfo::from_der(der)
                .ok()
                .and_then(|info| ca_as_end_entity(&info, Purpose::Server))
            {
                findings.push(Finding {
                    severity: Severity::Fail,
                    code: f.code(),
                    message: f.to_string(),
                    hint: Some(
                        "issue the server a certificate of its own (basicConstraints CA:FALSE), signed by the CA".into(),
                    ),
                });
            }
            match sans_of(c) {
                None => findings.push(Finding {
                    severity: Severity::Fail,
                    code: "no_san",
                    message: format!("{name} not in SAN: the certificate has no subjectAltName ({} alone is ignored by Go and rustls clients)", r.subject),
                    hint: Some(format!("reissue the certificate with {name} in its subjectAltName")),
                }),
                Some(sans) if !name_in_sans(name, &sans) => findings.push(Finding {
                    severity: Severity::Fail,
                    code: "name_mismatch",
                    message: format!("{name} not in SAN [{}]", sans.join(", ")),
                    hint: Some(format!("probe with --sni set to one of those names, or reissue the certificate with {name} in its SAN")),
                }),
                Some(_) => {}
            }
            if let Some(eku) = eku_of(c) {
                if !eku
                    .iter()
                    .any(|e| e == "serverAuth" || e == "anyExtendedKeyUsage")
                {
                    findings.push(Finding {
                        severity: Severity::Fail,
                        code: "not_for_server",
                        message: format!("{who} is not a server certificate: its extended key usage [{}] lacks serverAuth", eku.join(", ")),
                        hint: Some("the server presents a client-only certificate: reissue it with serverAuth".into()),
                    });
                }
            }
        }
        // Whether the next certificate really signed this one.
        r.signed_by = match sent.get(i + 1) {
            Some(Some(next)) => {
                let name_ok = next.subject().as_raw() == c.issuer().as_raw();
                let sig_ok = signs(next, c);
                let detail = match (name_ok, sig_ok) {
                    (true, true) => "yes".to_string(),
                    (false, true) => {
                        "yes, but its subject differs from the issuer name".to_string()
                    }
                    (true, false) => {
                        "no: the name matches but its key did not sign this certificate".to_string()
                    }
                    (false, false) => format!("no: issuer is {}", r.issuer),
                };
                if !sig_ok {
                    findings.push(Finding {
                        severity: Severity::Warn,
                        code: "chain_order",
                        message: format!(
                            "certificate #{} {} did not sign #{i} {} (it should: servers send each certificate followed by its issuer)",
                            i + 1,
                            name_str(next.subject()),
                            r.subject
                        ),
                        hint: None,
                    });
                }
                SignedBy {
                    kind: "next",
                    subject: Some(name_str(next.subject())),
                    verified: sig_ok,
                    detail,
                }
            }
            Some(None) => SignedBy {
                kind: "next",
                subject: None,
                verified: false,
                detail: "no: the next certificate is unparseable".into(),
            },
            None => {
                if is_self_signed(c) {
                    let trusted = roots
                        .iter()
                        .any(|x| x.as_ref().is_some_and(|x| x.as_raw() == c.as_raw()));
                    SignedBy {
                        kind: "self",
                        subject: Some(r.subject.clone()),
                        verified: true,
                        detail: if trusted {
                            format!("itself (self-signed; in {trust})")
                        } else {
                            format!("itself (self-signed; not in {trust})")
                        },
                    }
                } else if let Some(a) = roots
                    .iter()
                    .flatten()
                    .find(|a| a.subject().as_raw() == c.issuer().as_raw() && signs(a, c))
                {
                    SignedBy {
                        kind: "anchor",
                        subject: Some(name_str(a.subject())),
                        verified: true,
                        detail: format!("yes: {} in {trust}", name_str(a.subject())),
                    }
                } else if let Some(a) = roots
                    .iter()
                    .flatten()
                    .find(|a| a.subject().as_raw() == c.issuer().as_raw())
                {
                    SignedBy {
                        kind: "anchor",
                        subject: Some(name_str(a.subject())),
                        verified: false,
                        detail: format!("no: {} in {trust} has another key", name_str(a.subject())),
                    }
                } else {
                    SignedBy {
                        kind: "unknown",
                        subject: Some(r.issuer.clone()),
                        verified: false,
                        detail: format!("not sent and not in {trust}"),
                    }
                }
            }
        };
        certs.push(r);
    }

    // Where the path ends, and what that means.
    if !chain.is_empty() {
        let listed = || {
            let names: Vec<String> = roots
                .iter()
                .flatten()
                .take(5)
                .map(|r| name_str(r.subject()))
                .collect();
            let more = roots.len().saturating_sub(5);
            if names.is_empty() {
                "nothing".to_string()
            } else if more > 0 {
                format!("{} and {more} more", names.join("; "))
            } else {
                names.join("; ")
            }
        };
        match build_path(&sent, &roots) {
            PathEnd::Anchor(a) => {
                if let Some(Some(anchor)) = roots.get(a) {
                    let na = anchor.validity().not_after.timestamp();
                    let nb = anchor.validity().not_before.timestamp();
                    let subject = name_str(anchor.subject());
                    if at > na {
                        findings.push(Finding {
                            severity: Severity::Fail,
                            code: "anchor_expired",
                            message: format!("trust anchor {subject} in {trust} expired {} ago (not after {})", span_words(at - na), date(na)),
                            hint: Some("webpki does not check a trust anchor's dates, Go clients (kubectl, kubelet, apiserver) do: renew the CA".into()),
                        });
                    } else if at < nb {
                        findings.push(Finding {
                            severity: Severity::Fail,
                            code: "anchor_not_yet_valid",
                            message: format!(
                                "trust anchor {subject} in {trust} is not valid until {}",
                                date(nb)
                            ),
                            hint: None,
                        });
                    } else if na - at < warn_secs {
                        findings.push(Finding {
                            severity: Severity::Warn,
                            code: "expires_soon",
                            message: format!(
                                "trust anchor {subject} in {trust} expires in {} ({})",
                                span_words(na - at),
                                date(na)
                            ),
                            hint: None,
                        });
                    }
                }
            }
            PathEnd::SelfSigned { trusted: true, .. } => {}
            PathEnd::SelfSigned {
                index,
                trusted: false,
            } => {
                let c = sent[index]
                    .as_ref()
                    .map(|c| name_str(c.subject()))
                    .unwrap_or_default();
                let same_name = sent[index].as_ref().and_then(|c| {
                    roots
                        .iter()
                        .flatten()
                        .find(|r| r.subject().as_raw() == c.subject().as_raw())
                });
                let what = if index == 0 { "leaf" } else { "root" };
                findings.push(Finding {
                    severity: Severity::Fail,
                    code: "untrusted_root",
                    message: if same_name.is_some() {
                        format!("{what} {c} is self-signed and not in {trust}: {trust} holds another certificate with that name (a regenerated CA?)")
                    } else if index == 0 {
                        format!("leaf {c} is self-signed and not in {trust}")
                    } else {
                        format!("root {c} sent by the server is not in {trust}")
                    },
                    hint: Some(format!("{trust} holds: {}", listed())),
                });
            }
            PathEnd::Missing { index } => {
                if let Some(Some(c)) = sent.get(index) {
                    let issuer = name_str(c.issuer());
                    findings.push(Finding {
                        severity: Severity::Fail,
                        code: "issuer_unknown",
                        message: format!("issuer {issuer} not sent and not in {trust}"),
                        hint: Some(format!(
                            "if {issuer} is an intermediate CA, the server must send it after its own certificate; otherwise {trust} is the wrong CA (it holds: {})",
                            listed()
                        )),
                    });
                }
            }
            PathEnd::WrongKey { index, anchor } => {
                let c = sent[index]
                    .as_ref()
                    .map(|c| name_str(c.subject()))
                    .unwrap_or_default();
                let a = roots[anchor]
                    .as_ref()
                    .map(|a| name_str(a.subject()))
                    .unwrap_or_default();
                findings.push(Finding {
                    severity: Severity::Fail,
                    code: "issuer_key_mismatch",
                    message: format!("issuer {a} is in {trust}, but its key did not sign {c}: a different CA with the same name"),
                    hint: Some("the CA was regenerated, or the CA file is from another cluster".into()),
                });
            }
        }
    }
    Analysis { certs, findings }
}

/// Our own client certificate: expired, or issued by a CA the server
/// does not list.
fn client_cert_findings(our: &CertificateDer<'_>, seen: &Seen, at: i64, out: &mut Vec<Finding>) {
    let Some(c) = parse(our) else {
        return;
    };
    let subject = name_str(c.subject());
    let na = c.validity().not_after.timestamp();
    let nb = c.validity().not_before.timestamp();
    if at > na {
        out.push(Finding {
            severity: Severity::Warn,
            code: "client_cert_expired",
            message: format!(
                "our client certificate {subject} expired {} ago (not after {})",
                span_words(at - na),
                date(na)
            ),
            hint: None,
        });
    } else if at < nb {
        out.push(Finding {
            severity: Severity::Warn,
            code: "client_cert_not_yet_valid",
            message: format!(
                "our client certificate {subject} is not valid until {}",
                date(nb)
            ),
            hint: None,
        });
    }
    if seen.client_auth_requested && !seen.acceptable_cas.is_empty() {
        let issuer = c.issuer().as_raw();
        let listed = seen
            .acceptable_cas
            .iter()
            .any(|n| n.as_slice() == issuer || issuer.len() > n.len() && issuer.ends_with(n));
        if !listed {
            let names: Vec<String> = seen.acceptable_cas.iter().map(|n| dn_string(n)).collect();
            out.push(Finding {
                severity: Severity::Warn,
                code: "client_cert_wrong_ca",
                message: format!(
                    "our client certificate is issued by {}, which is not among the CAs the server accepts [{}]",
                    name_str(c.issuer()),
                    names.join("; ")
                ),
                hint: None,
            });
        }
    }
}

// ---------------------------------------------------------------------------
// Reading files and kubeconfigs.

fn read_file(path: &Path) -> Result<Vec<u8>, ProbeError> {
    crate::fsutil::read_regular_file(
        path,
        crate::fsutil::MAX_SMALL_FILE,
        "a certificate or key file",
    )
    .map_err(|e| match e {
        crate::fsutil::FileError::Io { path, source } => ProbeError::Read { path, source },
        other => ProbeError::BadFile {
            path: other.path().to_path_buf(),
            what: other.reason(),
        },
    })
}

/// Certificates from PEM (any number of blocks, junk around them) or DER.
fn certs_from_bytes(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let mut out = Vec::new();
    for item in CertificateDer::pem_slice_iter(bytes) {
        match item {
            Ok(c) => out.push(c),
            Err(e) => return Err(format!("bad PEM: {e}")),
        }
    }
    if out.is_empty() {
        if bytes.first() == Some(&0x30) && parse(bytes).is_some() {
            out.push(CertificateDer::from(bytes.to_vec()));
        } else {
            return Err("no certificate found (expected PEM \"BEGIN CERTIFICATE\" blocks or one DER certificate)".into());
        }
    }
    Ok(out)
}

fn key_from_bytes(bytes: &[u8]) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_slice(bytes).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => {
            "no private key found (expected a PEM PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block)".to_string()
        }
        other => format!("bad private key PEM: {other}"),
    })
}

#[derive(Debug, Default, Deserialize)]
struct Kubeconfig {
    #[serde(default)]
    clusters: Option<Vec<NamedCluster>>,
    #[serde(default)]
    users: Option<Vec<NamedUser>>,
    #[serde(default)]
    contexts: Option<Vec<NamedContext>>,
    #[serde(rename = "current-context", default)]
    current_context: Option<String>,
}

#[derive(Debug, Deserialize)]
struct NamedCluster {
    name: String,
    #[serde(default)]
    cluster: Option<KubeCluster>,
}

#[derive(Debug, Default, Deserialize)]
struct KubeCluster {
    server: Option<String>,
    #[serde(rename = "certificate-authority")]
    ca: Option<String>,
    #[serde(rename = "certificate-authority-data")]
    ca_data: Option<String>,
    #[serde(rename = "tls-server-name")]
    tls_server_name: Option<String>,
    #[serde(rename = "insecure-skip-tls-verify", default)]
    insecure: bool,
}

#[derive(Debug, Deserialize)]
struct NamedUser {
    name: String,
    #[serde(default)]
    user: Option<KubeUser>,
}

#[derive(Debug, Default, Deserialize)]
struct KubeUser {
    #[serde(rename = "client-certificate")]
    cert: Option<String>,
    #[serde(rename = "client-certificate-data")]
    cert_data: Option<String>,
    #[serde(rename = "client-key")]
    key: Option<String>,
    #[serde(rename = "client-key-data")]
    key_data: Option<String>,
    token: Option<serde_norway::Value>,
    #[serde(rename = "tokenFile")]
    token_file: Option<serde_norway::Value>,
    exec: Option<serde_norway::Value>,
}

#[derive(Debug, Deserialize)]
struct NamedContext {
    name: String,
    #[serde(default)]
    context: Option<KubeContext>,
}

#[derive(Debug, Default, Deserialize)]
struct KubeContext {
    cluster: Option<String>,
    user: Option<String>,
}

/// What a kubeconfig says about reaching its cluster.
#[derive(Debug)]
pub struct KubeconfigEndpoint {
    pub context: String,
    pub cluster: String,
    pub user: Option<String>,
    pub server: Target,
    /// `tls-server-name`.
    pub sni: Option<String>,
    pub trust: Option<Trust>,
    pub client: Option<ClientIdentity>,
    /// `insecure-skip-tls-verify`.
    pub insecure: bool,
    /// Remarks for the user (a token instead of a certificate, ...).
    pub notes: Vec<String>,
}

/// Reads server, CA and client identity from a kubeconfig, for `context`
/// or the current context. Paths inside are relative to the kubeconfig.
pub fn from_kubeconfig(
    path: &Path,
    context: Option<&str>,
) -> Result<KubeconfigEndpoint, ProbeError> {
    let bad = |what: String| ProbeError::BadFile {
        path: path.to_path_buf(),
        what,
    };
    let bytes = read_file(path)?;
    let text =
        String::from_utf8(bytes).map_err(|_| bad("not UTF-8 text: not a kubeconfig".into()))?;
    let kc: Kubeconfig =
        serde_norway::from_str(&text).map_err(|e| bad(format!("not a kubeconfig: {e}")))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let contexts = kc.contexts.unwrap_or_default();
    let wanted = match context {
        Some(c) => c.to_string(),
        None => match kc.current_context.filter(|c| !c.is_empty()) {
            Some(c) => c,
            None if contexts.len() == 1 => contexts[0].name.clone(),
            None => return Err(bad("no current-context (choose one with --context)".into())),
        },
    };
    let names = |v: Vec<&str>| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    let ctx = contexts.iter().find(|c| c.name == wanted).ok_or_else(|| {
        bad(format!(
            "context {wanted:?} not found (contexts: {})",
            names(contexts.iter().map(|c| c.name.as_str()).collect())
        ))
    })?;
    let ctx_body = ctx
        .context
        .as_ref()
        .ok_or_else(|| bad(format!("context {wanted:?} is empty")))?;
    let cluster_name = ctx_body
        .cluster
        .clone()
        .ok_or_else(|| bad(format!("context {wanted:?} names no cluster")))?;
    let clusters = kc.clusters.unwrap_or_default();
    let cluster = clusters
        .iter()
        .find(|c| c.name == cluster_name)
        .ok_or_else(|| {
            bad(format!(
                "cluster {cluster_name:?} (of context {wanted:?}) not found (clusters: {})",
                names(clusters.iter().map(|c| c.name.as_str()).collect())
            ))
        })?;
    let cl = cluster
        .cluster
        .as_ref()
        .ok_or_else(|| bad(format!("cluster {cluster_name:?} is empty")))?;
    let server_str = cl
        .server
        .as_deref()
        .ok_or_else(|| bad(format!("cluster {cluster_name:?} has no server")))?;
    let server = Target::parse(server_str)
        .map_err(|e| bad(format!("cluster {cluster_name:?}: server: {e}")))?;

    let resolve = |p: &str| -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            base.join(p)
        }
    };
    let decode = |field: &str, owner: &str, data: &str| -> Result<Vec<u8>, ProbeError> {
        use base64::Engine as _;
        let compact: String = data.chars().filter(|c| !c.is_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map_err(|e| bad(format!("{owner}: {field}: invalid base64: {e}")))
    };

    let trust = if let Some(data) = &cl.ca_data {
        let owner = format!("cluster {cluster_name:?}");
        let pem = decode("certificate-authority-data", &owner, data)?;
        let roots = certs_from_bytes(&pem)
            .map_err(|e| bad(format!("{owner}: certificate-authority-data: {e}")))?;
        Some(Trust {
            roots,
            name: "the kubeconfig's certificate-authority-data".into(),
            source: format!("{} (cluster {cluster_name})", path.display()),
        })
    } else if let Some(p) = &cl.ca {
        let full = resolve(p);
        Some(Trust::from_file(
            &full,
            "the kubeconfig's certificate-authority",
        )?)
    } else {
        None
    };

    let mut notes = Vec::new();
    let mut client = None;
    let user_name = ctx_body.user.clone();
    if let Some(un) = &user_name {
        let users = kc.users.unwrap_or_default();
        let user = users.iter().find(|u| &u.name == un).ok_or_else(|| {
            bad(format!(
                "user {un:?} (of context {wanted:?}) not found (users: {})",
                names(users.iter().map(|u| u.name.as_str()).collect())
            ))
        })?;
        let u = user.user.as_ref();
        let owner = format!("user {un:?}");
        let cert_pem = match u {
            Some(KubeUser {
                cert_data: Some(d), ..
            }) => Some((
                decode("client-certificate-data", &owner, d)?,
                format!("{} ({owner} client-certificate-data)", path.display()),
            )),
            Some(KubeUser { cert: Some(p), .. }) => {
                let full = resolve(p);
                Some((read_file(&full)?, full.display().to_string()))
            }
            _ => None,
        };
        let key_pem = match u {
            Some(KubeUser {
                key_data: Some(d), ..
            }) => Some((
                decode("client-key-data", &owner, d)?,
                format!("{owner} client-key-data"),
            )),
            Some(KubeUser { key: Some(p), .. }) => {
                let full = resolve(p);
                Some((read_file(&full)?, full.display().to_string()))
            }
            _ => None,
        };
        match (cert_pem, key_pem) {
            (Some((c, csrc)), Some((k, ksrc))) => {
                let chain = certs_from_bytes(&c)
                    .map_err(|e| bad(format!("{owner}: client certificate ({csrc}): {e}")))?;
                let key = key_from_bytes(&k)
                    .map_err(|e| bad(format!("{owner}: client key ({ksrc}): {e}")))?;
                client = Some(ClientIdentity {
                    chain,
                    key,
                    source: csrc,
                });
            }
            (Some(_), None) => {
                return Err(bad(format!(
                    "{owner} has a client certificate but no client-key"
                )));
            }
            (None, Some(_)) => {
                return Err(bad(format!(
                    "{owner} has a client-key but no client certificate"
                )));
            }
            (None, None) => {
                if let Some(u) = u {
                    if u.token.is_some() || u.token_file.is_some() {
                        notes.push(format!("{owner} authenticates with a bearer token, not a client certificate: the probe sends no certificate"));
                    } else if u.exec.is_some() {
                        notes.push(format!("{owner} authenticates through an exec plugin, not a client certificate: the probe sends no certificate"));
                    }
                }
            }
        }
    }
    Ok(KubeconfigEndpoint {
        context: wanted,
        cluster: cluster_name,
        user: user_name,
        server,
        sni: cl.tls_server_name.clone(),
        trust,
        client,
        insecure: cl.insecure,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let t = Target::parse("127.0.0.1:6443").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("127.0.0.1", 6443));
        let t = Target::parse("[::1]:2379").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 2379));
        assert_eq!(t.to_string(), "[::1]:2379");
        let t = Target::parse("https://node1:6443/api?x=1").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("node1", 6443));
        let t = Target::parse("https://node1").unwrap();
        assert_eq!(t.port, 443);
        for bad in [
            "node1",
            "node1:",
            ":6443",
            "node1:99999",
            "::1:6443",
            "node1:0",
            "a b:1",
        ] {
            assert!(
                matches!(Target::parse(bad), Err(ProbeError::BadTarget(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            Target::parse("http://x:1"),
            Err(ProbeError::Usage(_))
        ));
    }

    #[test]
    fn san_matching() {
        let sans: Vec<String> = [
            "DNS:kubernetes",
            "DNS:*.svc.local",
            "IP:10.96.0.1",
            "IP:::1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert!(name_in_sans("kubernetes", &sans));
        assert!(name_in_sans("KUBERNETES.", &sans));
        assert!(name_in_sans("a.svc.local", &sans));
        assert!(!name_in_sans("a.b.svc.local", &sans));
        assert!(!name_in_sans("svc.local", &sans));
        assert!(name_in_sans("10.96.0.1", &sans));
        assert!(name_in_sans("::1", &sans));
        assert!(!name_in_sans("127.0.0.1", &sans));
        // An IP never matches a DNS entry that spells it.
        assert!(!name_in_sans("10.0.0.1", &["DNS:10.0.0.1".to_string()]));
    }

    #[test]
    fn alert_names() {
        assert_eq!(
            alert_name(AlertDescription::CertificateExpired),
            "certificate_expired"
        );
        assert_eq!(alert_name(AlertDescription::UnknownCA), "unknown_ca");
        assert_eq!(
            alert_name(AlertDescription::BadCertificate),
            "bad_certificate"
        );
        assert_eq!(
            alert_name(AlertDescription::CertificateRequired),
            "certificate_required"
        );
        assert_eq!(alert_name(AlertDescription::from(200u8)), "alert 200");
    }

    #[test]
    fn not_tls_answers() {
        let f = not_tls(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n").unwrap();
        assert_eq!(
            f.message,
            "not TLS: server answered HTTP/1.1 (\"HTTP/1.1 400 Bad Request\")"
        );
        let f = not_tls(b"<!DOCTYPE HTML>\n<html lang=\"en\">").unwrap();
        assert_eq!(
            f.message,
            "not TLS: server answered an HTML page (\"<!DOCTYPE HTML>\"): plain HTTP"
        );
        let f = not_tls(b"SSH-2.0-OpenSSH_9.2\r\n").unwrap();
        assert_eq!(
            f.message,
            "not TLS: server answered SSH (\"SSH-2.0-OpenSSH_9.2\")"
        );
        let f = not_tls(&[0, 0, 0x12, 4, 0, 0, 0, 0, 0, 0, 3]).unwrap();
        assert!(f.message.contains("HTTP/2 frames"), "{}", f.message);
        let f = not_tls(&[0xff, 0x01, 0x02]).unwrap();
        assert_eq!(
            f.message,
            "not TLS: server answered 3 bytes that are not a TLS record (ff 01 02)"
        );
        assert!(not_tls(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]).is_none());
        assert!(not_tls(&[0x16, 0x03, 0x01]).is_none());
    }

    #[test]
    fn port_hints() {
        assert!(
            port_hint(2380)
                .unwrap()
                .message
                .contains("etcd's peer port")
        );
        assert!(port_hint(10256).unwrap().message.contains("plain HTTP"));
        assert!(port_hint(6443).is_none());
    }

    #[test]
    fn spans() {
        assert_eq!(span_words(10 * 86_400 + 5), "10 days");
        assert_eq!(span_words(86_400), "1 day");
        assert_eq!(span_words(3 * 3600 + 60), "3h1m");
        assert_eq!(date(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn bad_pem_and_keys_are_errors() {
        assert!(
            certs_from_bytes(b"junk")
                .unwrap_err()
                .contains("no certificate found")
        );
        assert!(
            key_from_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
                .is_err()
        );
    }
}
