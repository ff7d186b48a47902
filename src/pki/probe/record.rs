//! What the probe's rustls callbacks see: the chain the server sent (kept
//! before the real verification runs, so it is shown valid or not), the
//! server's certificate request, TLS 1.3 tickets, and the server's first
//! bytes when it did not answer TLS.

use super::*;

#[derive(Debug, Default)]
pub(super) struct Seen {
    pub(super) chain: Vec<CertificateDer<'static>>,
    pub(super) verification: Option<Result<(), String>>,
    pub(super) client_auth_requested: bool,
    pub(super) acceptable_cas: Vec<Vec<u8>>,
    pub(super) client_cert_sent: bool,
    pub(super) tickets: usize,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Shared(pub(super) Arc<Mutex<Seen>>);

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, Seen> {
        // A panic elsewhere cannot leave `Seen` half-written in a way that
        // matters for a report; keep going with what is there.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Records the chain, then verifies it for real.
#[derive(Debug)]
pub(super) struct RecordingVerifier {
    pub(super) inner: Result<Arc<WebPkiServerVerifier>, String>,
    pub(super) roots: Vec<CertificateDer<'static>>,
    pub(super) at: UnixTime,
    pub(super) at_secs: i64,
    pub(super) insecure: bool,
    pub(super) provider: Arc<CryptoProvider>,
    pub(super) seen: Shared,
}

/// A verification failure webpki does not detect (an expired trust anchor).
#[derive(Debug)]
pub(super) struct AnchorProblem(pub(super) String);

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
pub(super) struct RecordingResolver {
    pub(super) key: Option<Arc<CertifiedKey>>,
    pub(super) seen: Shared,
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
pub(super) struct TicketCounter(pub(super) Shared);

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
pub(super) struct Recorder<'a> {
    pub(super) sock: &'a TcpStream,
    pub(super) first: Vec<u8>,
    pub(super) total: usize,
}

pub(super) const KEEP_FIRST: usize = 512;

impl Read for Recorder<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (&*self.sock).read(buf)?;
        let room = KEEP_FIRST.saturating_sub(self.first.len()).min(n);
        self.first.extend_from_slice(&buf[..room]);
        self.total += n;
        Ok(n)
    }
}
