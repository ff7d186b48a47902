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
//! One certificate model: the chain is decoded as [`crate::pki::CertInfo`]
//! and judged by [`crate::pki::verify()`] with the server's name and the
//! serverAuth purpose, so `tls probe`, `certs verify`, `pcap tls` and
//! `doctor` give the same verdict on the same chain; this module only says
//! it in the probe's words ([`chain`]) next to the handshake's own
//! outcomes (alerts, not TLS, timeouts: [`words`]).
//!
//! Pieces: [`record`] (what rustls' callbacks saw), [`connect`] (the
//! handshake driver), [`words`], [`chain`], [`files`] (trust lists, client
//! identities and kubeconfigs, read with [`crate::pki::load`] and
//! [`crate::pki::kubeconfig`]).

use std::fmt;
use std::io::{self, Read};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
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
use serde::Serialize;
use sha2::{Digest, Sha256};
use x509_parser::prelude::{FromDer, X509Name};

use crate::pki::finding::Purpose;
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

mod chain;
mod connect;
mod files;
mod record;
mod words;

use chain::*;
use files::*;
use record::*;

pub use connect::probe;
pub use files::{KubeconfigEndpoint, from_kubeconfig};
use words::*;
pub use words::{alert_name, port_hint};

#[cfg(test)]
mod tests;
