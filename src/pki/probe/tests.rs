//! Unit tests of the probe's parsing and wording.
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
    // pki::load's words, as `certs show` says them.
    assert_eq!(
        certs_from_bytes(b"junk").unwrap_err(),
        "no certificate: neither PEM (no -----BEGIN line) nor a DER certificate"
    );
    let truncated = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    assert!(certs_from_bytes(truncated).is_err());
    assert!(
        key_from_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").is_err()
    );
}
