//! The handshake driver: connect with a deadline, run the rustls client,
//! tell how the handshake ended (complete, alert, EOF, timeout), wait for
//! the server's verdict on our client certificate, and turn it all into a
//! [`ProbeReport`](super::ProbeReport).

use super::*;

/// How the handshake ended, before interpretation.
pub(super) enum Ending {
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
pub(super) fn client_config(
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

pub(super) fn empty_report(
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
pub(super) struct Exchange<'a> {
    pub(super) ending: &'a Ending,
    pub(super) post: &'a PostHandshake,
    pub(super) first_bytes: &'a [u8],
    pub(super) bytes_received: usize,
    pub(super) our_subject: Option<&'a str>,
    pub(super) our_cert: Option<&'a CertificateDer<'static>>,
    pub(super) at_secs: i64,
}

pub(super) fn duration_words(d: Duration) -> String {
    human_duration(d.as_nanos().min(i64::MAX as u128) as i64)
}

/// Fills the report's chain, verification, client-auth outcome, findings
/// and verdict from what the connection saw.
pub(super) fn interpret(
    report: &mut ProbeReport,
    opts: &ProbeOptions,
    seen: &Seen,
    x: &Exchange<'_>,
) {
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
pub(super) fn handshake_findings(
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
pub(super) fn post_handshake_findings(
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

pub(super) fn now() -> Timestamp {
    Timestamp::now()
}

pub(super) fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

pub(super) fn version_name(v: rustls::ProtocolVersion) -> String {
    match v {
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".into(),
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".into(),
        other => format!("{other:?}"),
    }
}

pub(super) fn certified_key(
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

pub(super) fn connect(
    target: &Target,
    deadline: Instant,
    timeout: Duration,
) -> Result<TcpStream, Finding> {
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

pub(super) fn set_deadline(sock: &TcpStream, deadline: Instant) -> bool {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return false;
    }
    sock.set_read_timeout(Some(left)).is_ok() && sock.set_write_timeout(Some(left)).is_ok()
}

pub(super) fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

pub(super) fn write_all_tls(
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

pub(super) fn drive_handshake(
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

pub(super) fn read_once(
    conn: &mut ClientConnection,
    rec: &mut Recorder<'_>,
    deadline: Instant,
) -> Option<usize> {
    if !set_deadline(rec.sock, deadline) {
        return None;
    }
    conn.read_tls(rec).ok().filter(|n| *n > 0)
}

pub(super) enum PostHandshake {
    NotNeeded,
    Accepted,
    Alert(AlertDescription),
    Closed,
    NoAnswer,
}

/// After a TLS 1.3 handshake where the server asked for a client
/// certificate: wait for its verdict — an alert (rejected), a session
/// ticket or data (accepted), a close, or nothing.
pub(super) fn await_client_auth_verdict(
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
