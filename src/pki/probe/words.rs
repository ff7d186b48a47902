//! Handshake outcomes in words: alert names and what they mean for a
//! probe, a server that answered something other than TLS, and the usual
//! protocol of a well-known port.

use super::*;

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
pub(super) fn is_client_cert_alert(code: u8) -> bool {
    matches!(code, 41..=46 | 48 | 49 | 51 | 116)
}

pub(super) fn alert_finding(
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
pub(super) fn not_tls(first: &[u8]) -> Option<Finding> {
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
