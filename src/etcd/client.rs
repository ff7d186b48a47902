//! Connecting to etcd the way etcdctl does: endpoints from `--endpoints`,
//! else `ETCDCTL_ENDPOINTS`, else `127.0.0.1:2379`; TLS material from
//! `--cacert/--cert/--key`, else `ETCDCTL_CACERT/ETCDCTL_CERT/ETCDCTL_KEY`
//! (kubeadm's `/etc/kubernetes/pki/etcd/{ca,healthcheck-client}` work as
//! they are); a timeout on every call.
//!
//! Failures are turned into one clear [`ClientError`] each: nothing listens
//! there, no answer in time, the port speaks TLS but no certificates were
//! given (or the reverse), the server's certificate cannot be verified, the
//! server rejected our client certificate, or etcd itself refused. When the
//! error from the gRPC stack is not specific enough, [`EtcdOptions::explain`]
//! probes the port once (a TLS handshake, an HTTP/2 preface) to say which.

use std::error::Error as StdError;
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use etcd_client::{Certificate, Client, ConnectOptions, Identity, TlsOptions};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tonic::transport::{Channel, Endpoint};

use crate::outcome::Blame;

/// Everything needed to reach a cluster.
#[derive(Debug, Clone)]
pub struct EtcdOptions {
    /// `http://host:port` or `https://host:port`, one per endpoint.
    pub endpoints: Vec<String>,
    pub cacert: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// Per call and per connection attempt.
    pub timeout: Duration,
    /// The kubeadm folder the certificates came from, when no flag or
    /// `ETCDCTL_*` variable named any (the command says so on stderr).
    pub kubeadm: Option<PathBuf>,
}

/// Why a connection could not even be attempted, or failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    #[error("endpoint {0:?} is not host:port or a http(s):// URL")]
    BadEndpoint(String),
    #[error("{path}: cannot read: {message}")]
    Read { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    BadPem { path: PathBuf, message: String },
    #[error("--cert and --key go together (got only {0})")]
    HalfIdentity(&'static str),
    #[error(
        "--key does not belong to --cert: the private key in {} is not the one for the \
         public key of the certificate in {} (give the .key made with that .crt)",
        .key.display(),
        .cert.display()
    )]
    KeyMismatch { cert: PathBuf, key: PathBuf },
    #[error("no endpoints given")]
    NoEndpoints,
    #[error("{endpoint}: cannot connect: {reason}")]
    Unreachable { endpoint: String, reason: String },
    #[error("{endpoint}: no answer within {}", crate::timestamp::human_duration(.timeout.as_nanos().min(i64::MAX as u128) as i64))]
    Timeout { endpoint: String, timeout: Duration },
    #[error(
        "{endpoint}: this port speaks TLS but no certificates were given: use https:// with \
         --cacert (the cluster's etcd CA) and --cert/--key (a client certificate it trusts), \
         or ETCDCTL_CACERT/ETCDCTL_CERT/ETCDCTL_KEY"
    )]
    NeedsTls { endpoint: String },
    #[error(
        "{endpoint}: this port speaks plain HTTP/2, not TLS: use http:// and leave out \
         --cacert/--cert/--key"
    )]
    NotTls { endpoint: String },
    #[error("{endpoint}: TLS: {message}")]
    Tls { endpoint: String, message: String },
    #[error("{endpoint}: not an etcd gRPC endpoint: {message}")]
    Protocol { endpoint: String, message: String },
    #[error("{endpoint}: {message}")]
    Etcd { endpoint: String, message: String },
    /// Every endpoint was tried in turn and none answered the read.
    #[error("no endpoint answered: {}", .tried.join("; "))]
    NoneAnswered {
        /// `endpoint: reason`, in the order tried.
        tried: Vec<String>,
    },
    /// Fewer than a majority of the voting members answer: etcd cannot
    /// serve a linearizable read or a write until quorum is back.
    #[error(
        "quorum lost: {} of {voting} voting members answer, {} needed; answering: {}; not \
         answering: {}; a linearizable read needs a leader (--consistency s reads what one \
         member has, possibly stale)",
        .answering.len(),
        .voting / 2 + 1,
        list_or_none(.answering),
        list_or_none(.silent)
    )]
    QuorumLost {
        /// Voting members of the cluster.
        voting: usize,
        /// `name (endpoint)` of members that answer Status.
        answering: Vec<String>,
        /// `name (endpoint): reason` of members that do not.
        silent: Vec<String>,
    },
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

impl ClientError {
    /// Who must act: the user for what must change (flags, files,
    /// certificates, the wrong kind of port); the cluster when it does not
    /// answer or refuses (a finding, not a usage error).
    pub fn blame(&self) -> Blame {
        match self {
            ClientError::Unreachable { .. }
            | ClientError::Timeout { .. }
            | ClientError::Etcd { .. }
            | ClientError::NoneAnswered { .. }
            | ClientError::QuorumLost { .. } => Blame::Observed,
            _ => Blame::Invocation,
        }
    }

    /// True for problems of configuration (certificates, TLS, wrong port),
    /// which matter more than "unreachable" when several endpoints fail.
    pub fn is_config_problem(&self) -> bool {
        matches!(self.blame(), Blame::Invocation)
    }

    /// True when the endpoint did not answer in time, could not be
    /// reached, or answered that it cannot serve the request without a
    /// leader: another member may well answer, so a read moves on to the
    /// next endpoint. Certificate and protocol problems, and answers from
    /// etcd (permission denied, compacted), do not: another member would
    /// say the same.
    pub fn is_no_answer(&self) -> bool {
        match self {
            ClientError::Unreachable { .. } | ClientError::Timeout { .. } => true,
            ClientError::Etcd { message, .. } => {
                let m = message.to_lowercase();
                [
                    "request timed out",
                    "no leader",
                    "leader changed",
                    "timed out waiting for read index",
                    "deadline",
                    "unavailable",
                    "not capable",
                    "too many requests",
                ]
                .iter()
                .any(|w| m.contains(w))
            }
            _ => false,
        }
    }

    /// The short reason without the endpoint (for table cells).
    pub fn short(&self) -> String {
        let full = self.to_string();
        match self {
            ClientError::Unreachable { endpoint, .. }
            | ClientError::Timeout { endpoint, .. }
            | ClientError::NeedsTls { endpoint }
            | ClientError::NotTls { endpoint }
            | ClientError::Tls { endpoint, .. }
            | ClientError::Protocol { endpoint, .. }
            | ClientError::Etcd { endpoint, .. } => full
                .strip_prefix(endpoint.as_str())
                .and_then(|s| s.strip_prefix(": "))
                .map(str::to_string)
                .unwrap_or(full),
            _ => full,
        }
    }
}

/// Where kubeadm keeps etcd's certificates; `KINSPECT_KUBEADM_ETCD_PKI`
/// names another folder laid out the same way (a lab's `pki/etcd`).
pub const KUBEADM_ETCD_PKI: &str = "/etc/kubernetes/pki/etcd";

/// The etcd CA, client certificate and client key in a folder laid out as
/// kubeadm's `pki/etcd` (the lab's `--tls` PKI is too): `ca.crt`,
/// `healthcheck-client.crt`, `healthcheck-client.key`.
pub fn kubeadm_client_files(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    (
        dir.join("ca.crt"),
        dir.join("healthcheck-client.crt"),
        dir.join("healthcheck-client.key"),
    )
}

/// [`kubeadm_client_files`] of `dir`, when all three are readable files.
fn kubeadm_identity(dir: &Path) -> Option<(PathBuf, PathBuf, PathBuf)> {
    let files = kubeadm_client_files(dir);
    let readable = |p: &Path| p.is_file() && std::fs::File::open(p).is_ok();
    (readable(&files.0) && readable(&files.1) && readable(&files.2)).then_some(files)
}

impl EtcdOptions {
    /// Builds options from flags, falling back to etcdctl's environment,
    /// then (no certificate given at all) to kubeadm's etcd client files
    /// when they exist ([`EtcdOptions::kubeadm`] then says where).
    /// Certificate and key files are read and checked here, so a wrong
    /// path or a file without PEM blocks is reported before any network.
    pub fn from_flags(
        endpoints: Option<&str>,
        cacert: Option<PathBuf>,
        cert: Option<PathBuf>,
        key: Option<PathBuf>,
        timeout: Duration,
    ) -> Result<Self, ClientError> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let mut cacert = cacert.or_else(|| env("ETCDCTL_CACERT").map(PathBuf::from));
        let mut cert = cert.or_else(|| env("ETCDCTL_CERT").map(PathBuf::from));
        let mut key = key.or_else(|| env("ETCDCTL_KEY").map(PathBuf::from));
        // No certificate given anywhere: on a kubeadm node, its etcd
        // client files are what any etcd command needs.
        let mut kubeadm = None;
        if cacert.is_none() && cert.is_none() && key.is_none() {
            let dir = env("KINSPECT_KUBEADM_ETCD_PKI")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(KUBEADM_ETCD_PKI));
            if let Some((ca, c, k)) = kubeadm_identity(&dir) {
                (cacert, cert, key) = (Some(ca), Some(c), Some(k));
                kubeadm = Some(dir);
            }
        }
        let tls = cacert.is_some() || cert.is_some();
        let list = endpoints
            .map(str::to_string)
            .or_else(|| env("ETCDCTL_ENDPOINTS"))
            .unwrap_or_else(|| "127.0.0.1:2379".to_string());
        let endpoints = list
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|e| normalize_endpoint(e, tls))
            .collect::<Result<Vec<_>, _>>()?;
        if endpoints.is_empty() {
            return Err(ClientError::NoEndpoints);
        }
        match (&cert, &key) {
            (Some(_), None) => return Err(ClientError::HalfIdentity("--cert")),
            (None, Some(_)) => return Err(ClientError::HalfIdentity("--key")),
            _ => {}
        }
        let opts = EtcdOptions {
            endpoints,
            cacert,
            cert,
            key,
            timeout,
            kubeadm,
        };
        opts.check_files()?;
        Ok(opts)
    }

    /// True when any endpoint uses TLS.
    pub fn uses_tls(&self) -> bool {
        self.endpoints.iter().any(|e| e.starts_with("https://"))
    }

    /// Reads the TLS files and checks they hold what they should: at least
    /// one certificate in `--cacert` and `--cert`, a private key in `--key`.
    pub fn check_files(&self) -> Result<(), ClientError> {
        for path in [&self.cacert, &self.cert].into_iter().flatten() {
            let pem = read(path)?;
            let n = CertificateDer::pem_slice_iter(&pem)
                .filter(|c| c.is_ok())
                .count();
            if n == 0 {
                return Err(ClientError::BadPem {
                    path: path.clone(),
                    message:
                        "no PEM certificate in this file (expected -----BEGIN CERTIFICATE-----)"
                            .into(),
                });
            }
        }
        if let Some(path) = &self.key {
            let pem = read(path)?;
            let Ok(key) = PrivateKeyDer::from_pem_slice(&pem) else {
                return Err(ClientError::BadPem {
                    path: path.clone(),
                    message:
                        "no PEM private key in this file (expected -----BEGIN ... PRIVATE KEY-----)"
                            .into(),
                });
            };
            if let Some(cert) = &self.cert
                && key_mismatch(&read(cert)?, &key)
            {
                return Err(ClientError::KeyMismatch {
                    cert: cert.clone(),
                    key: path.clone(),
                });
            }
        }
        Ok(())
    }

    /// Connects to exactly these endpoints (no member discovery). The
    /// connection itself is lazy: errors show up on the first call.
    pub async fn connect_to(&self, endpoints: &[String]) -> Result<Client, ClientError> {
        let first = endpoints.first().cloned().unwrap_or_default();
        let mut opts = ConnectOptions::new()
            .with_timeout(self.timeout)
            .with_connect_timeout(self.timeout);
        if endpoints.iter().any(|e| e.starts_with("https://")) {
            opts = opts.with_tls(self.tls_options()?);
        }
        match tokio::time::timeout(self.timeout, Client::connect(endpoints, Some(opts))).await {
            Ok(Ok(c)) => Ok(c),
            Ok(Err(e)) => Err(classify(&first, &e)),
            Err(_) => Err(ClientError::Timeout {
                endpoint: first,
                timeout: self.timeout,
            }),
        }
    }

    /// Connects to one endpoint over a channel of our own making, and
    /// returns it beside the etcd-client [`Client`] that uses it: calls
    /// etcd-client has no zero-copy form of ([`super::range`]) go straight
    /// to the channel. No load balancer sits in between (etcd-client's
    /// `connect` puts one over even a single endpoint; [`super::failover`]
    /// chooses endpoints itself). The connection is lazy: errors show up
    /// on the first call, classified as [`connect_to`](Self::connect_to)'s.
    pub async fn connect_one(&self, endpoint: &str) -> Result<(Client, Channel), ClientError> {
        let bad = |_| ClientError::BadEndpoint(endpoint.to_string());
        let mut ep = Endpoint::from_shared(endpoint.to_string())
            .map_err(bad)?
            .timeout(self.timeout)
            .connect_timeout(self.timeout)
            .initial_stream_window_size(STREAM_WINDOW)
            .initial_connection_window_size(STREAM_WINDOW);
        if endpoint.starts_with("https://") {
            ep = ep
                .tls_config(self.tls_options()?)
                .map_err(|e| classify(endpoint, &etcd_client::Error::TransportError(e)))?;
        }
        let channel = ep.connect_with_connector_lazy(BufferedTcp);
        let opts = ConnectOptions::new()
            .with_timeout(self.timeout)
            .with_connect_timeout(self.timeout);
        let client = Client::from_channel(etcd_client::Channel::Tonic(channel.clone()), Some(opts))
            .await
            .map_err(|e| classify(endpoint, &e))?;
        Ok((client, channel))
    }

    /// Runs one call against `endpoint` with the timeout; the error is
    /// classified (see [`classify`]) but not yet probed.
    pub async fn call<T, F>(&self, endpoint: &str, fut: F) -> Result<T, ClientError>
    where
        F: Future<Output = Result<T, etcd_client::Error>>,
    {
        match tokio::time::timeout(self.timeout, fut).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(match classify(endpoint, &e) {
                ClientError::Timeout { endpoint, .. } => ClientError::Timeout {
                    endpoint,
                    timeout: self.timeout,
                },
                other => other,
            }),
            Err(_) => Err(ClientError::Timeout {
                endpoint: endpoint.to_string(),
                timeout: self.timeout,
            }),
        }
    }

    /// Like [`call`](Self::call), and also returns how long it took.
    pub async fn timed<T, F>(&self, endpoint: &str, fut: F) -> (Result<T, ClientError>, Duration)
    where
        F: Future<Output = Result<T, etcd_client::Error>>,
    {
        let t0 = Instant::now();
        let r = self.call(endpoint, fut).await;
        (r, t0.elapsed())
    }

    /// Makes a vague error precise by looking at the port once: does it
    /// speak TLS, plain HTTP/2, or something else; over TLS, what does the
    /// server say to our certificate? Only errors that could come from the
    /// wrong protocol or a refused certificate are probed.
    pub async fn explain(&self, err: ClientError) -> ClientError {
        let endpoint = match &err {
            ClientError::Protocol { endpoint, .. } => endpoint.clone(),
            ClientError::Tls { endpoint, message }
                if message.contains("corrupt message")
                    || message.contains("eof")
                    || message.contains("TLS alert") =>
            {
                endpoint.clone()
            }
            ClientError::Unreachable { endpoint, reason } if reason == CLOSED => endpoint.clone(),
            _ => return err,
        };
        let Some(addr) = host_port(&endpoint) else {
            return err;
        };
        let t = self.timeout.min(Duration::from_secs(2));
        if !endpoint.starts_with("https://") {
            if probe_tls(&addr, t).await == Some(true) {
                return ClientError::NeedsTls { endpoint };
            }
            return err;
        }
        if probe_h2(&addr, t).await == Some(true) {
            return ClientError::NotTls { endpoint };
        }
        match self.probe_tls_session(&addr, t).await {
            Some(SessionProbe::Alert(a)) => ClientError::Tls {
                message: alert_message(a, self.cert.as_deref()),
                endpoint,
            },
            Some(SessionProbe::Http1(line)) => ClientError::Protocol {
                endpoint,
                message: format!(
                    "this TLS port answers HTTP/1 ({line:?}), not etcd's gRPC; etcd clients use \
                     the client port (2379 by default)"
                ),
            },
            Some(SessionProbe::Closed) => ClientError::Protocol {
                endpoint,
                message: "the TLS handshake succeeds but the server closes the connection on \
                          gRPC: is this a peer port (raft between members, 2380 by default)? \
                          clients use the client port (2379 by default)"
                    .into(),
            },
            _ => err,
        }
    }

    /// Opens a TLS session as we would (our client certificate, ALPN h2;
    /// the server's certificate is not judged here), sends the HTTP/2
    /// preface, and reports what comes back.
    async fn probe_tls_session(&self, addr: &str, timeout: Duration) -> Option<SessionProbe> {
        let fut = async {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let builder = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .ok()?
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyServer));
            let mut config = match (&self.cert, &self.key) {
                (Some(c), Some(k)) => {
                    let certs: Vec<CertificateDer<'static>> =
                        CertificateDer::pem_slice_iter(&read(c).ok()?)
                            .filter_map(Result::ok)
                            .collect();
                    let key = PrivateKeyDer::from_pem_slice(&read(k).ok()?).ok()?;
                    builder.with_client_auth_cert(certs, key).ok()?
                }
                _ => builder.with_no_client_auth(),
            };
            config.alpn_protocols = vec![b"h2".to_vec()];
            let tcp = TcpStream::connect(addr).await.ok()?;
            let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
            let mut tls = match connector.connect(server_name(addr), tcp).await {
                Ok(s) => s,
                Err(e) => return Some(session_error(&e)),
            };
            let mut hello = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
            hello.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
            if let Err(e) = tls.write_all(&hello).await {
                return Some(session_error(&e));
            }
            let _ = tls.flush().await;
            let mut buf = [0u8; 64];
            match tls.read(&mut buf).await {
                Ok(0) => Some(SessionProbe::Closed),
                Ok(n) if buf[..n].starts_with(b"HTTP/") => {
                    let text = String::from_utf8_lossy(&buf[..n]);
                    Some(SessionProbe::Http1(
                        text.lines().next().unwrap_or("").to_string(),
                    ))
                }
                Ok(n) if n >= 4 && buf[3] == 4 => Some(SessionProbe::H2),
                Ok(_) => Some(SessionProbe::Other),
                Err(e) => Some(session_error(&e)),
            }
        };
        tokio::time::timeout(timeout, fut).await.ok().flatten()
    }

    fn tls_options(&self) -> Result<TlsOptions, ClientError> {
        let mut tls = TlsOptions::new();
        if let Some(ca) = &self.cacert {
            tls = tls.ca_certificate(Certificate::from_pem(read(ca)?));
        }
        if let (Some(cert), Some(key)) = (&self.cert, &self.key) {
            tls = tls.identity(Identity::from_pem(read(cert)?, read(key)?));
        }
        Ok(tls)
    }
}

/// True only when the key and the first certificate of `cert_pem` can
/// both be read and their public keys differ (rustls compares the
/// SubjectPublicKeyInfo bytes); anything unreadable is left to the TLS
/// stack to report.
fn key_mismatch(cert_pem: &[u8], key: &PrivateKeyDer<'_>) -> bool {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return false;
    }
    let Ok(signer) = rustls::crypto::ring::sign::any_supported_type(key) else {
        return false;
    };
    let ck = rustls::sign::CertifiedKey::new(certs, signer);
    matches!(
        ck.keys_match(),
        Err(rustls::Error::InconsistentKeys(
            rustls::InconsistentKeys::KeyMismatch
        ))
    )
}

fn read(path: &Path) -> Result<Vec<u8>, ClientError> {
    crate::fsutil::read_regular_file(path, crate::fsutil::MAX_SMALL_FILE, "a TLS file").map_err(
        |e| ClientError::Read {
            path: path.to_path_buf(),
            message: e.reason(),
        },
    )
}

/// `host:port` → `http://host:port` (or https when TLS material is given);
/// URLs are kept.
pub fn normalize_endpoint(e: &str, tls: bool) -> Result<String, ClientError> {
    let (scheme, rest) = match e.split_once("://") {
        Some((s @ ("http" | "https"), r)) => (s, r),
        Some(_) => return Err(ClientError::BadEndpoint(e.to_string())),
        None => (if tls { "https" } else { "http" }, e),
    };
    let rest = rest.trim_end_matches('/');
    let (host, port) = rest
        .rsplit_once(':')
        .ok_or_else(|| ClientError::BadEndpoint(e.to_string()))?;
    if host.is_empty() || port.parse::<u16>().is_err() || rest.contains('/') {
        return Err(ClientError::BadEndpoint(e.to_string()));
    }
    Ok(format!("{scheme}://{rest}"))
}

/// `https://10.0.0.1:2379` → `10.0.0.1:2379`.
pub fn host_port(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.trim_end_matches('/');
    rest.rsplit_once(':')
        .filter(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok())
        .map(|_| rest.to_string())
}

/// Why a connection ended early, as [`ClientError::Unreachable`] says it.
const CLOSED: &str = "connection closed by the other side";

/// What the error chain of a failed call tells.
#[derive(Default)]
struct Causes {
    rustls: Option<rustls::Error>,
    io: Option<io::ErrorKind>,
    messages: Vec<String>,
}

fn walk(mut err: Option<&(dyn StdError + 'static)>, c: &mut Causes) {
    while let Some(e) = err {
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            c.rustls.get_or_insert_with(|| r.clone());
        }
        if let Some(ioe) = e.downcast_ref::<io::Error>() {
            c.io.get_or_insert(ioe.kind());
            if let Some(inner) = ioe.get_ref() {
                if let Some(r) = inner.downcast_ref::<rustls::Error>() {
                    c.rustls.get_or_insert_with(|| r.clone());
                }
                c.messages.push(inner.to_string());
            }
        }
        c.messages.push(e.to_string());
        err = e.source();
    }
}

/// Turns an etcd-client error into one clear [`ClientError`] for `endpoint`.
pub fn classify(endpoint: &str, e: &etcd_client::Error) -> ClientError {
    let endpoint = endpoint.to_string();
    let mut c = Causes::default();
    let mut grpc: Option<(String, String)> = None;
    match e {
        etcd_client::Error::GRpcStatus(s) => {
            grpc = Some((format!("{:?}", s.code()), s.message().to_string()));
            walk(s.source(), &mut c);
        }
        etcd_client::Error::TransportError(t) => walk(Some(t), &mut c),
        etcd_client::Error::IoError(io) => walk(Some(io), &mut c),
        etcd_client::Error::InvalidUri(_) => return ClientError::BadEndpoint(endpoint),
        other => {
            return ClientError::Etcd {
                endpoint,
                message: other.to_string(),
            };
        }
    }
    if let Some(r) = &c.rustls {
        return ClientError::Tls {
            message: tls_message(r),
            endpoint,
        };
    }
    if let Some(a) = c.messages.iter().find_map(|m| alert_in_text(m)) {
        return ClientError::Tls {
            message: tls_message(&rustls::Error::AlertReceived(a)),
            endpoint,
        };
    }
    let all = c.messages.join(": ").to_lowercase();
    match c.io {
        Some(io::ErrorKind::ConnectionRefused) => {
            return ClientError::Unreachable {
                endpoint,
                reason: "connection refused (nothing listens on that port: is etcd running?)"
                    .into(),
            };
        }
        Some(io::ErrorKind::TimedOut) => {
            return ClientError::Unreachable {
                endpoint,
                reason: "connect timed out".into(),
            };
        }
        Some(
            io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::AddrNotAvailable,
        ) => {
            return ClientError::Unreachable {
                endpoint,
                reason: deepest(&c.messages),
            };
        }
        _ => {}
    }
    if all.contains("dns error") || all.contains("failed to lookup address") {
        return ClientError::Unreachable {
            endpoint,
            reason: format!("cannot resolve the host name ({})", deepest(&c.messages)),
        };
    }
    if all.contains("connection refused") {
        return ClientError::Unreachable {
            endpoint,
            reason: "connection refused (nothing listens on that port: is etcd running?)".into(),
        };
    }
    if matches!(
        c.io,
        Some(
            io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe
                | io::ErrorKind::UnexpectedEof
        )
    ) || all.contains("connection closed")
        || all.contains("connection reset")
        || all.contains("broken pipe")
    {
        return ClientError::Unreachable {
            endpoint,
            reason: CLOSED.into(),
        };
    }
    if all.contains("timed out") || all.contains("deadline has elapsed") {
        return ClientError::Unreachable {
            endpoint,
            reason: "connect timed out".into(),
        };
    }
    if let Some((code, message)) = grpc {
        if all.contains("timeout expired") || message.to_lowercase().contains("timeout expired") {
            // tonic's own per-request timeout (--timeout) ran out.
            return ClientError::Timeout {
                endpoint,
                timeout: Duration::ZERO,
            };
        }
        if message.contains("grpc-status header missing") {
            // An HTTP server answered, but not with gRPC.
            return ClientError::Protocol { endpoint, message };
        }
        let from_server = c.messages.is_empty() && !message.is_empty();
        if from_server && (code == "DeadlineExceeded" || code == "Cancelled") {
            return ClientError::Etcd { endpoint, message };
        }
        if from_server {
            return ClientError::Etcd {
                endpoint,
                message: if message.starts_with("etcdserver") {
                    message
                } else {
                    format!("{code}: {message}")
                },
            };
        }
        // tonic's own words for broken transports (connection closed,
        // protocol errors): say what was seen; `explain` can refine it.
        let detail = if c.messages.is_empty() {
            message
        } else {
            deepest(&c.messages)
        };
        let lower = detail.to_lowercase();
        if lower.contains("tls")
            || lower.contains("certificate")
            || lower.contains("handshake")
            || lower.contains("alert")
        {
            return ClientError::Tls {
                endpoint,
                message: detail,
            };
        }
        return ClientError::Protocol {
            endpoint,
            message: detail,
        };
    }
    ClientError::Protocol {
        endpoint,
        message: deepest(&c.messages),
    }
}

/// The most specific message of a chain (the innermost one that says something).
fn deepest(messages: &[String]) -> String {
    messages
        .iter()
        .rev()
        .find(|m| !m.is_empty())
        .cloned()
        .unwrap_or_else(|| "unknown error".into())
}

/// A rustls error in words an operator acts on.
fn tls_message(e: &rustls::Error) -> String {
    use rustls::{AlertDescription as A, CertificateError as C, Error as E};
    match e {
        E::InvalidCertificate(C::UnknownIssuer) => {
            "cannot verify the server's certificate: unknown issuer (give --cacert with the \
             cluster's etcd CA, e.g. /etc/kubernetes/pki/etcd/ca.crt)"
                .into()
        }
        E::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
            format!(
                "the server's certificate is not valid for this host name or IP ({e}); \
                 connect by a name in its SANs"
            )
        }
        E::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            format!("the server's certificate has expired ({e})")
        }
        E::InvalidCertificate(C::NotValidYet | C::NotValidYetContext { .. }) => {
            format!("the server's certificate is not valid yet ({e})")
        }
        E::InvalidCertificate(other) => format!("the server's certificate is invalid: {other:?}"),
        E::AlertReceived(A::CertificateRequired) => {
            "the server requires a client certificate: give --cert and --key (e.g. \
             /etc/kubernetes/pki/etcd/healthcheck-client.crt and .key)"
                .into()
        }
        E::AlertReceived(
            a @ (A::BadCertificate
            | A::UnknownCA
            | A::UnsupportedCertificate
            | A::CertificateRevoked
            | A::CertificateExpired
            | A::CertificateUnknown
            | A::AccessDenied
            | A::DecryptError
            | A::HandshakeFailure),
        ) => format!(
            "the server refused the handshake (TLS alert {}): a missing or untrusted client \
             certificate",
            alert_name(*a)
        ),
        E::AlertReceived(a) => format!("the server sent TLS alert {}", alert_name(*a)),
        E::InvalidMessage(_) => {
            "received corrupt message: the port does not seem to speak TLS".into()
        }
        other => other.to_string(),
    }
}

fn alert_name(a: rustls::AlertDescription) -> String {
    // `BadCertificate` -> `bad_certificate`, as the TLS RFCs spell them.
    let s = format!("{a:?}");
    let mut out = String::with_capacity(s.len() + 4);
    let mut prev_lower = false;
    for ch in s.chars() {
        if ch.is_ascii_uppercase() && prev_lower {
            out.push('_');
        }
        prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        out.push(ch.to_ascii_lowercase());
    }
    out
}

/// What a TLS session with our own certificate saw.
#[derive(Debug)]
enum SessionProbe {
    Alert(rustls::AlertDescription),
    Http1(String),
    H2,
    Closed,
    Other,
}

fn session_error(e: &io::Error) -> SessionProbe {
    match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        Some(rustls::Error::AlertReceived(a)) => SessionProbe::Alert(*a),
        _ if matches!(
            e.kind(),
            io::ErrorKind::UnexpectedEof
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::BrokenPipe
        ) =>
        {
            SessionProbe::Closed
        }
        _ => SessionProbe::Other,
    }
}

fn server_name(addr: &str) -> rustls_pki_types::ServerName<'static> {
    let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    rustls_pki_types::ServerName::try_from(host.to_string()).unwrap_or_else(|_| {
        rustls_pki_types::ServerName::DnsName(
            rustls_pki_types::DnsName::try_from("localhost")
                .expect("localhost is a DNS name")
                .to_owned(),
        )
    })
}

/// A TLS alert from the server, said for what it means to us: with no
/// client certificate, any certificate alert means one is required.
fn alert_message(a: rustls::AlertDescription, cert: Option<&Path>) -> String {
    use rustls::AlertDescription as A;
    let certificate_alert = matches!(
        a,
        A::CertificateRequired
            | A::BadCertificate
            | A::UnknownCA
            | A::UnsupportedCertificate
            | A::CertificateRevoked
            | A::CertificateExpired
            | A::CertificateUnknown
            | A::AccessDenied
            | A::DecryptError
            | A::HandshakeFailure
    );
    match cert {
        _ if !certificate_alert => format!("the server sent TLS alert {}", alert_name(a)),
        None => format!(
            "the server requires a client certificate (TLS alert {}): give --cert and --key \
             (e.g. /etc/kubernetes/pki/etcd/healthcheck-client.crt and .key)",
            alert_name(a)
        ),
        Some(c) => format!(
            "the server rejected our client certificate {} (TLS alert {}): is it signed by the \
             CA in the server's --trusted-ca-file, unexpired, and made for client auth?",
            c.display(),
            alert_name(a)
        ),
    }
}

/// `received fatal alert: BadCertificate` (rustls' words, as they reach
/// us through h2, which drops the error's type) back to the alert.
fn alert_in_text(text: &str) -> Option<rustls::AlertDescription> {
    let rest = text.split("received fatal alert: ").nth(1)?;
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    (0u8..=255)
        .map(rustls::AlertDescription::from)
        .find(|a| format!("{a:?}") == word)
}

/// Does `addr` answer a TLS ClientHello with a handshake (or a TLS alert)?
/// `None` when the port could not be reached at all.
pub async fn probe_tls(addr: &str, timeout: Duration) -> Option<bool> {
    let fut = async {
        let tcp = TcpStream::connect(addr).await.ok()?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .ok()?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyServer))
            .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        match connector.connect(server_name(addr), tcp).await {
            Ok(_) => Some(true),
            Err(e) => {
                let is_alert = e
                    .get_ref()
                    .and_then(|i| i.downcast_ref::<rustls::Error>())
                    .is_some_and(|r| matches!(r, rustls::Error::AlertReceived(_)));
                Some(is_alert)
            }
        }
    };
    tokio::time::timeout(timeout, fut).await.ok().flatten()
}

/// Does `addr` answer the HTTP/2 connection preface with a SETTINGS frame
/// in clear text?
pub async fn probe_h2(addr: &str, timeout: Duration) -> Option<bool> {
    let fut = async {
        let mut tcp = TcpStream::connect(addr).await.ok()?;
        let mut hello = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
        hello.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
        tcp.write_all(&hello).await.ok()?;
        let mut head = [0u8; 9];
        match tcp.read_exact(&mut head).await {
            Ok(_) => Some(head[3] == 4),
            Err(_) => Some(false),
        }
    };
    tokio::time::timeout(timeout, fut).await.ok().flatten()
}

/// Accepts any server certificate: used only to learn whether a port
/// speaks TLS, never to send data.
#[derive(Debug)]
struct AcceptAnyServer;

impl rustls::client::danger::ServerCertVerifier for AcceptAnyServer {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &rustls_pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls_pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_like_etcdctl() {
        assert_eq!(
            normalize_endpoint("127.0.0.1:2379", false).unwrap(),
            "http://127.0.0.1:2379"
        );
        assert_eq!(
            normalize_endpoint("10.0.0.1:2379", true).unwrap(),
            "https://10.0.0.1:2379"
        );
        assert_eq!(
            normalize_endpoint("https://a:2379/", false).unwrap(),
            "https://a:2379"
        );
        assert!(normalize_endpoint("ftp://a:1", false).is_err());
        assert!(normalize_endpoint("nohostport", false).is_err());
        assert!(normalize_endpoint("a:99999", false).is_err());
        assert!(normalize_endpoint("http://a:1/x", false).is_err());
    }

    #[test]
    fn host_port_of_urls() {
        assert_eq!(
            host_port("https://10.0.0.1:2379").as_deref(),
            Some("10.0.0.1:2379")
        );
        assert_eq!(
            host_port("127.0.0.1:2380/").as_deref(),
            Some("127.0.0.1:2380")
        );
        assert_eq!(host_port("http://x"), None);
    }

    #[test]
    fn alert_names_like_the_rfc() {
        assert_eq!(
            alert_name(rustls::AlertDescription::BadCertificate),
            "bad_certificate"
        );
        assert_eq!(
            alert_name(rustls::AlertDescription::UnknownCA),
            "unknown_ca"
        );
    }

    #[test]
    fn alerts_from_text() {
        assert_eq!(
            alert_in_text("h2 protocol error: received fatal alert: BadCertificate"),
            Some(rustls::AlertDescription::BadCertificate)
        );
        assert_eq!(alert_in_text("connection closed"), None);
        let m = alert_message(rustls::AlertDescription::BadCertificate, None);
        assert!(m.contains("requires a client certificate"), "{m}");
        let m = alert_message(
            rustls::AlertDescription::UnknownCA,
            Some(Path::new("/x.crt")),
        );
        assert!(m.contains("rejected our client certificate /x.crt"), "{m}");
    }

    #[test]
    fn key_of_another_certificate_is_said_in_our_words() {
        let dir =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("certs/healthy/etc/kubernetes/pki/etcd");
        let build = |key: &str| {
            EtcdOptions::from_flags(
                Some("127.0.0.1:2379"),
                Some(dir.join("ca.crt")),
                Some(dir.join("healthcheck-client.crt")),
                Some(dir.join(key)),
                Duration::from_secs(1),
            )
        };
        assert!(build("healthcheck-client.key").is_ok());
        let e = build("peer.key")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.starts_with("--key does not belong to --cert: "), "{e}");
        assert!(
            e.contains("peer.key") && e.contains("healthcheck-client.crt"),
            "{e}"
        );
    }

    #[test]
    fn blame() {
        let e = ClientError::Unreachable {
            endpoint: "http://a:1".into(),
            reason: "x".into(),
        };
        assert_eq!(e.blame(), Blame::Observed);
        assert_eq!(e.short(), "cannot connect: x");
        assert_eq!(
            ClientError::NeedsTls {
                endpoint: "e".into()
            }
            .blame(),
            Blame::Invocation
        );
    }
}

/// HTTP/2 flow-control window for etcd's answers (hyper's default is
/// 2 MiB a stream): a page of values is sent without etcd waiting for
/// the window to be opened again.
const STREAM_WINDOW: u32 = 16 << 20;

/// Bytes read from an etcd socket at a time. HTTP/2 (h2) reads the socket
/// 8 KiB at a time, one system call each: 1,600 calls for 10,000 stored
/// Pods (12.5 MB). Read through a buffer this size they are 84, and h2's
/// reads are copies from memory.
const SOCKET_READ_BUFFER: usize = 256 << 10;

/// The TCP connector under every channel of [`EtcdOptions::connect_one`]:
/// tonic's own, plus the read buffer ([`SOCKET_READ_BUFFER`]). TLS, when
/// the endpoint is https, is layered on top by tonic as with its own
/// connector.
#[derive(Clone, Copy)]
struct BufferedTcp;

impl tower_service::Service<tonic::codegen::http::Uri> for BufferedTcp {
    type Response = hyper_util::rt::TokioIo<tokio::io::BufReader<TcpStream>>;
    type Error = io::Error;
    type Future = std::pin::Pin<Box<dyn Future<Output = io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: tonic::codegen::http::Uri) -> Self::Future {
        Box::pin(async move {
            let host = uri.host().unwrap_or_default().trim_matches(['[', ']']);
            let port = uri.port_u16().unwrap_or(2379);
            let stream = TcpStream::connect((host, port)).await?;
            stream.set_nodelay(true)?;
            Ok(hyper_util::rt::TokioIo::new(
                tokio::io::BufReader::with_capacity(SOCKET_READ_BUFFER, stream),
            ))
        })
    }
}
