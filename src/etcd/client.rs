//! Connecting to etcd the way etcdctl does: endpoints from `--endpoints`,
//! else `ETCDCTL_ENDPOINTS`, else `127.0.0.1:2379`; TLS material from
//! `--cacert/--cert/--key`, else `ETCDCTL_CACERT/ETCDCTL_CERT/ETCDCTL_KEY`
//! (kubeadm's `/etc/kubernetes/pki/etcd/{ca,healthcheck-client}` work as
//! they are); a timeout on every call.

use std::path::{Path, PathBuf};
use std::time::Duration;

use etcd_client::{Certificate, Client, ConnectOptions, Identity, TlsOptions};

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
}

/// Why a connection could not even be attempted, or failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("endpoint {0:?} is not host:port or a http(s):// URL")]
    BadEndpoint(String),
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("--cert and --key go together (got only {0})")]
    HalfIdentity(&'static str),
    #[error("{endpoint}: {message}")]
    Etcd { endpoint: String, message: String },
    #[error("{endpoint}: no answer within {timeout:?}")]
    Timeout { endpoint: String, timeout: Duration },
}

impl EtcdOptions {
    /// Builds options from flags, falling back to etcdctl's environment.
    pub fn from_flags(
        endpoints: Option<&str>,
        cacert: Option<PathBuf>,
        cert: Option<PathBuf>,
        key: Option<PathBuf>,
        timeout: Duration,
    ) -> Result<Self, ClientError> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let cacert = cacert.or_else(|| env("ETCDCTL_CACERT").map(PathBuf::from));
        let cert = cert.or_else(|| env("ETCDCTL_CERT").map(PathBuf::from));
        let key = key.or_else(|| env("ETCDCTL_KEY").map(PathBuf::from));
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
        match (&cert, &key) {
            (Some(_), None) => return Err(ClientError::HalfIdentity("--cert")),
            (None, Some(_)) => return Err(ClientError::HalfIdentity("--key")),
            _ => {}
        }
        Ok(EtcdOptions {
            endpoints,
            cacert,
            cert,
            key,
            timeout,
        })
    }

    /// True when any endpoint uses TLS.
    pub fn uses_tls(&self) -> bool {
        self.endpoints.iter().any(|e| e.starts_with("https://"))
    }

    /// Connects to exactly these endpoints (no member discovery).
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
            Ok(Err(e)) => Err(ClientError::Etcd {
                endpoint: first,
                message: e.to_string(),
            }),
            Err(_) => Err(ClientError::Timeout {
                endpoint: first,
                timeout: self.timeout,
            }),
        }
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

fn read(path: &Path) -> Result<Vec<u8>, ClientError> {
    std::fs::read(path).map_err(|source| ClientError::Read {
        path: path.to_path_buf(),
        source,
    })
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
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err(ClientError::BadEndpoint(e.to_string()));
    }
    Ok(format!("{scheme}://{rest}"))
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
    }
}
