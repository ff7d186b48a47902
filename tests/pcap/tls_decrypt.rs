//! TLS decryption primitives (`proto::tls::decrypt`, `proto::tls::keylog`)
//! against published vectors (RFC 8448 "Simple 1-RTT Handshake", the TLS 1.2
//! PRF test vector from the IETF TLS list), vectors computed independently
//! with Python's `hmac`/`cryptography` (ChaCha20-Poly1305, KeyUpdate), and
//! real records cut out of corpus captures with their key logs.

use std::net::IpAddr;
use std::path::Path;

use kinspect::capture::{FileSource, PacketSource};
use kinspect::net::decode::{Transport, decode};
use kinspect::proto::tls::decrypt::schedule::{
    hkdf_expand_label, tls10_prf, tls12_prf, tls13_key_iv,
};
use kinspect::proto::tls::decrypt::suites::HashAlg;
use kinspect::proto::tls::decrypt::{
    DecryptError, RecordDecrypter, suite_name, suite_supported, tls_decrypters, tls12_decrypters,
    tls13_decrypter, tls13_next_secret,
};
use kinspect::proto::tls::keylog::{KeyLog, Secrets};

use crate::common;

/// Hex with any whitespace (the RFC's dump format).
fn hex(text: &str) -> Vec<u8> {
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    hex::decode(digits).expect("test vector is hex")
}

/// Splits a whole record into its header and body.
fn split_record(record: &[u8]) -> ([u8; 5], &[u8]) {
    let header: [u8; 5] = record[..5].try_into().unwrap();
    let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
    assert_eq!(record.len(), 5 + len, "record length field");
    (header, &record[5..])
}

// ---- RFC 8448 §3, Simple 1-RTT Handshake (TLS_AES_128_GCM_SHA256) ----

const RFC8448_SERVER_HS_SECRET: &str = "b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38";
const RFC8448_SERVER_HS_KEY: &str = "3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc";
const RFC8448_SERVER_HS_IV: &str = "5d 31 3e b2 67 12 76 ee 13 00 0b 30";
const RFC8448_CLIENT_HS_SECRET: &str = "b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21";
const RFC8448_CLIENT_AP_SECRET: &str = "9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5";
const RFC8448_CLIENT_AP_KEY: &str = "17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51";
const RFC8448_CLIENT_AP_IV: &str = "5b 78 92 3d ee 08 57 90 33 e5 23 d9";
const RFC8448_SERVER_AP_SECRET: &str = "a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43";
const RFC8448_SERVER_AP_KEY: &str = "9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56";
const RFC8448_SERVER_AP_IV: &str = "cf 78 2b 88 dd 83 54 9a ad f1 e9 84";

const RFC8448_ENCRYPTED_EXTENSIONS: &str =
    "08 00 00 24 00 22 00 0a 00 14 00 12 00 1d 00 17 00 18 00 19 01 00 01 01
    01 02 01 03 01 04 00 1c 00 02 40 01 00 00 00 00";
const RFC8448_CERTIFICATE: &str = "0b 00 01 b9 00 00 01 b5 00 01 b0 30 82
    01 ac 30 82 01 15 a0 03 02 01 02 02 01 02 30 0d 06 09 2a 86 48
    86 f7 0d 01 01 0b 05 00 30 0e 31 0c 30 0a 06 03 55 04 03 13 03
    72 73 61 30 1e 17 0d 31 36 30 37 33 30 30 31 32 33 35 39 5a 17
    0d 32 36 30 37 33 30 30 31 32 33 35 39 5a 30 0e 31 0c 30 0a 06
    03 55 04 03 13 03 72 73 61 30 81 9f 30 0d 06 09 2a 86 48 86 f7
    0d 01 01 01 05 00 03 81 8d 00 30 81 89 02 81 81 00 b4 bb 49 8f
    82 79 30 3d 98 08 36 39 9b 36 c6 98 8c 0c 68 de 55 e1 bd b8 26
    d3 90 1a 24 61 ea fd 2d e4 9a 91 d0 15 ab bc 9a 95 13 7a ce 6c
    1a f1 9e aa 6a f9 8c 7c ed 43 12 09 98 e1 87 a8 0e e0 cc b0 52
    4b 1b 01 8c 3e 0b 63 26 4d 44 9a 6d 38 e2 2a 5f da 43 08 46 74
    80 30 53 0e f0 46 1c 8c a9 d9 ef bf ae 8e a6 d1 d0 3e 2b d1 93
    ef f0 ab 9a 80 02 c4 74 28 a6 d3 5a 8d 88 d7 9f 7f 1e 3f 02 03
    01 00 01 a3 1a 30 18 30 09 06 03 55 1d 13 04 02 30 00 30 0b 06
    03 55 1d 0f 04 04 03 02 05 a0 30 0d 06 09 2a 86 48 86 f7 0d 01
    01 0b 05 00 03 81 81 00 85 aa d2 a0 e5 b9 27 6b 90 8c 65 f7 3a
    72 67 17 06 18 a5 4c 5f 8a 7b 33 7d 2d f7 a5 94 36 54 17 f2 ea
    e8 f8 a5 8c 8f 81 72 f9 31 9c f3 6b 7f d6 c5 5b 80 f2 1a 03 01
    51 56 72 60 96 fd 33 5e 5e 67 f2 db f1 02 70 2e 60 8c ca e6 be
    c1 fc 63 a4 2a 99 be 5c 3e b7 10 7c 3c 54 e9 b9 eb 2b d5 20 3b
    1c 3b 84 e0 a8 b2 f7 59 40 9b a3 ea c9 d9 1d 40 2d cc 0c c8 f8
    96 12 29 ac 91 87 b4 2b 4d e1 00 00";
const RFC8448_CERTIFICATE_VERIFY: &str = "0f 00 00 84 08 04 00 80 5a 74 7c
    5d 88 fa 9b d2 e5 5a b0 85 a6 10 15 b7 21 1f 82 4c d4 84 14 5a
    b3 ff 52 f1 fd a8 47 7b 0b 7a bc 90 db 78 e2 d3 3a 5c 14 1a 07
    86 53 fa 6b ef 78 0c 5e a2 48 ee aa a7 85 c4 f3 94 ca b6 d3 0b
    be 8d 48 59 ee 51 1f 60 29 57 b1 54 11 ac 02 76 71 45 9e 46 44
    5c 9e a5 8c 18 1e 81 8e 95 b8 c3 fb 0b f3 27 84 09 d3 be 15 2a
    3d a5 04 3e 06 3d da 65 cd f5 ae a2 0d 53 df ac d4 2f 74 f3";
const RFC8448_SERVER_FINISHED: &str = "14 00 00 20 9b 9b 14 1d 90 63 37 fb d2 cb
    dc e7 1d f4 de da 4a b4 2c 30 95 72 cb 7f ff ee 54 54 b7 8f 07 18";
/// The server's encrypted flight: EncryptedExtensions, Certificate,
/// CertificateVerify, Finished in one 679-byte record.
const RFC8448_SERVER_FLIGHT_RECORD: &str = "
    17 03 03 02 a2 d1 ff 33 4a 56 f5 bf f6 59 4a 07 cc 87 b5 80 23 3f 50 0f 45 e4 89 e7 f3 3a f3 5e
    df 78 69 fc f4 0a a4 0a a2 b8 ea 73 f8 48 a7 ca 07 61 2e f9 f9 45 cb 96 0b 40 68 90 51 23 ea 78
    b1 11 b4 29 ba 91 91 cd 05 d2 a3 89 28 0f 52 61 34 aa dc 7f c7 8c 4b 72 9d f8 28 b5 ec f7 b1 3b
    d9 ae fb 0e 57 f2 71 58 5b 8e a9 bb 35 5c 7c 79 02 07 16 cf b9 b1 18 3e f3 ab 20 e3 7d 57 a6 b9
    d7 47 76 09 ae e6 e1 22 a4 cf 51 42 73 25 25 0c 7d 0e 50 92 89 44 4c 9b 3a 64 8f 1d 71 03 5d 2e
    d6 5b 0e 3c dd 0c ba e8 bf 2d 0b 22 78 12 cb b3 60 98 72 55 cc 74 41 10 c4 53 ba a4 fc d6 10 92
    8d 80 98 10 e4 b7 ed 1a 8f d9 91 f0 6a a6 24 82 04 79 7e 36 a6 a7 3b 70 a2 55 9c 09 ea d6 86 94
    5b a2 46 ab 66 e5 ed d8 04 4b 4c 6d e3 fc f2 a8 94 41 ac 66 27 2f d8 fb 33 0e f8 19 05 79 b3 68
    45 96 c9 60 bd 59 6e ea 52 0a 56 a8 d6 50 f5 63 aa d2 74 09 96 0d ca 63 d3 e6 88 61 1e a5 e2 2f
    44 15 cf 95 38 d5 1a 20 0c 27 03 42 72 96 8a 26 4e d6 54 0c 84 83 8d 89 f7 2c 24 46 1a ad 6d 26
    f5 9e ca ba 9a cb bb 31 7b 66 d9 02 f4 f2 92 a3 6a c1 b6 39 c6 37 ce 34 31 17 b6 59 62 22 45 31
    7b 49 ee da 0c 62 58 f1 00 d7 d9 61 ff b1 38 64 7e 92 ea 33 0f ae ea 6d fa 31 c7 a8 4d c3 bd 7e
    1b 7a 6c 71 78 af 36 87 90 18 e3 f2 52 10 7f 24 3d 24 3d c7 33 9d 56 84 c8 b0 37 8b f3 02 44 da
    8c 87 c8 43 f5 e5 6e b4 c5 e8 28 0a 2b 48 05 2c f9 3b 16 49 9a 66 db 7c ca 71 e4 59 94 26 f7 d4
    61 e6 6f 99 88 2b d8 9f c5 08 00 be cc a6 2d 6c 74 11 6d bd 29 72 fd a1 fa 80 f8 5d f8 81 ed be
    5a 37 66 89 36 b3 35 58 3b 59 91 86 dc 5c 69 18 a3 96 fa 48 a1 81 d6 b6 fa 4f 9d 62 d5 13 af bb
    99 2f 2b 99 2f 67 f8 af e6 7f 76 91 3f a3 88 cb 56 30 c8 ca 01 e0 c6 5d 11 c6 6a 1e 2a c4 c8 59
    77 b7 c7 a6 99 9b bf 10 dc 35 ae 69 f5 51 56 14 63 6c 0b 9b 68 c1 9e d2 e3 1c 0b 3b 66 76 30 38
    eb ba 42 f3 b3 8e dc 03 99 f3 a9 f2 3f aa 63 97 8c 31 7f c9 fa 66 a7 3f 60 f0 50 4d e9 3b 5b 84
    5e 27 55 92 c1 23 35 ee 34 0b bc 4f dd d5 02 78 40 16 e4 b3 be 7e f0 4d da 49 f4 b4 40 a3 0c b5
    d2 af 93 98 28 fd 4a e3 79 4e 44 f9 4d f5 a6 31 ed e4 2c 17 19 bf da bf 02 53 fe 51 75 be 89 8e
    75 0e dc 53 37 0d 2b";
/// The client's Finished under its handshake traffic key.
const RFC8448_CLIENT_FINISHED_RECORD: &str = "
    17 03 03 00 35 75 ec 4d c2 38 cc e6 0b 29 80 44 a7 1e 21 9c 56 cc 77 b0 51 7f e9 b9 3c 7a 4b fc
    44 d8 7f 38 f8 03 38 ac 98 fc 46 de b3 84 bd 1c ae ac ab 68 67 d7 26 c4 05 46";
/// The client's verify_data in that Finished.
const RFC8448_CLIENT_VERIFY_DATA: &str = "a8 ec 43 6d 67 76 34 ae 52 5a c1 fc eb e1 1a 03 9e c1 76 94 fa c6 e9 85 27 b6 42 f2 ed d5 ce 61";
/// The client's application data (payload 00 01 02 ... 31).
const RFC8448_CLIENT_APP_RECORD: &str = "
    17 03 03 00 43 a2 3f 70 54 b6 2c 94 d0 af fa fe 82 28 ba 55 cb ef ac ea 42 f9 14 aa 66 bc ab 3f
    2b 98 19 a8 a5 b4 6b 39 5b d5 4a 9a 20 44 1e 2b 62 97 4e 1f 5a 62 92 a2 97 70 14 bd 1e 3d ea e6
    3a ee bb 21 69 49 15 e4";

#[test]
fn rfc8448_traffic_keys_from_secrets() {
    for (secret, key, iv) in [
        (
            RFC8448_SERVER_HS_SECRET,
            RFC8448_SERVER_HS_KEY,
            RFC8448_SERVER_HS_IV,
        ),
        (
            RFC8448_CLIENT_AP_SECRET,
            RFC8448_CLIENT_AP_KEY,
            RFC8448_CLIENT_AP_IV,
        ),
        (
            RFC8448_SERVER_AP_SECRET,
            RFC8448_SERVER_AP_KEY,
            RFC8448_SERVER_AP_IV,
        ),
    ] {
        let (got_key, got_iv) = tls13_key_iv(&hex(secret), 0x1301).unwrap();
        assert_eq!(got_key, hex(key), "key from {secret}");
        assert_eq!(got_iv.to_vec(), hex(iv), "iv from {secret}");
        // The same through the generic expand-label.
        assert_eq!(
            hkdf_expand_label(HashAlg::Sha256, &hex(secret), b"key", b"", 16).unwrap(),
            hex(key)
        );
    }
}

#[test]
fn rfc8448_server_flight_decrypts_to_its_handshake_messages() {
    let record = hex(RFC8448_SERVER_FLIGHT_RECORD);
    let (header, body) = split_record(&record);
    let mut dec = tls13_decrypter(&hex(RFC8448_SERVER_HS_SECRET), 0x1301).unwrap();
    assert_eq!(dec.sequence(), 0);
    let (content_type, plain) = dec.open(header, body).unwrap();
    assert_eq!(content_type, 22, "inner content type handshake");
    let expected = [
        RFC8448_ENCRYPTED_EXTENSIONS,
        RFC8448_CERTIFICATE,
        RFC8448_CERTIFICATE_VERIFY,
        RFC8448_SERVER_FINISHED,
    ]
    .map(hex)
    .concat();
    assert_eq!(plain.len(), 657);
    assert_eq!(plain, expected);
    assert_eq!(dec.sequence(), 1);
    // The same record again is at the wrong sequence number now.
    assert_eq!(
        dec.open(header, body),
        Err(DecryptError::AuthenticationFailed)
    );
    assert_eq!(dec.sequence(), 1);
}

#[test]
fn rfc8448_client_finished_and_application_data() {
    let record = hex(RFC8448_CLIENT_FINISHED_RECORD);
    let (header, body) = split_record(&record);
    let mut hs = tls13_decrypter(&hex(RFC8448_CLIENT_HS_SECRET), 0x1301).unwrap();
    let (content_type, plain) = hs.open(header, body).unwrap();
    assert_eq!(content_type, 22);
    assert_eq!(plain[..4], [0x14, 0x00, 0x00, 0x20]);
    assert_eq!(plain[4..], hex(RFC8448_CLIENT_VERIFY_DATA)[..]);

    let record = hex(RFC8448_CLIENT_APP_RECORD);
    let (header, body) = split_record(&record);
    let mut app = tls13_decrypter(&hex(RFC8448_CLIENT_AP_SECRET), 0x1301).unwrap();
    // Trial with the wrong key first: refused, sequence unchanged.
    let mut wrong = tls13_decrypter(&hex(RFC8448_SERVER_AP_SECRET), 0x1301).unwrap();
    assert_eq!(
        wrong.open(header, body),
        Err(DecryptError::AuthenticationFailed)
    );
    assert_eq!(wrong.sequence(), 0);
    let (content_type, plain) = app.open(header, body).unwrap();
    assert_eq!(content_type, 23);
    assert_eq!(plain, (0u8..=0x31).collect::<Vec<u8>>());
    assert_eq!(app.sequence(), 1);
}

#[test]
fn rfc8448_tampered_records_fail_and_keep_the_sequence() {
    let record = hex(RFC8448_CLIENT_APP_RECORD);
    let (header, body) = split_record(&record);
    let mut dec = tls13_decrypter(&hex(RFC8448_CLIENT_AP_SECRET), 0x1301).unwrap();
    // One flipped bit anywhere in the body, or in the header (the AAD).
    for i in [0, body.len() / 2, body.len() - 1] {
        let mut bad = body.to_vec();
        bad[i] ^= 0x01;
        assert_eq!(
            dec.open(header, &bad),
            Err(DecryptError::AuthenticationFailed),
            "bit flip at {i}"
        );
    }
    let mut bad_header = header;
    bad_header[2] = 0x01;
    assert_eq!(
        dec.open(bad_header, body),
        Err(DecryptError::AuthenticationFailed)
    );
    // Truncated bodies.
    assert_eq!(
        dec.open(header, &[]),
        Err(DecryptError::RecordTooShort {
            minimum: 17,
            actual: 0
        })
    );
    assert_eq!(
        dec.open(header, &body[..16]),
        Err(DecryptError::RecordTooShort {
            minimum: 17,
            actual: 16
        })
    );
    assert!(matches!(
        dec.open(header, &body[..body.len() - 1]),
        Err(DecryptError::AuthenticationFailed)
    ));
    // Oversized body.
    let huge = vec![0u8; 16384 + 256 + 1];
    assert!(matches!(
        dec.open(header, &huge),
        Err(DecryptError::RecordTooLong { .. })
    ));
    assert_eq!(dec.sequence(), 0, "no failure moved the sequence number");
    // And the genuine record still opens afterwards.
    assert!(dec.open(header, body).is_ok());
    assert_eq!(dec.sequence(), 1);
}

// ---- KeyUpdate ----

#[test]
fn key_update_next_secret_matches_independent_computation() {
    // Expected values computed with Python's hmac/hashlib (HKDF-Expand by
    // hand, label "tls13 traffic upd", empty context), not with ring.
    let next = tls13_next_secret(&hex(RFC8448_CLIENT_AP_SECRET), 0x1301).unwrap();
    assert_eq!(
        next,
        hex("fcdfcc72725aaee48bf64e4fd8b749cdbdbab39d90da0b26e2245ca6ea167207")
    );
    // SHA-384 suite, the illustrated-tls13 client application secret.
    let secret = hex(
        "9e47af27cb60d818a9ea7d233cb5ed4cc525fcd74614fb24b0ee59acb8e5aa7ff8d88b89792114208fec291a6fa96bad",
    );
    let next = tls13_next_secret(&secret, 0x1302).unwrap();
    assert_eq!(
        next,
        hex(
            "1606d26db23e1df02b54b3b8161990e992036aafaeb92f2af8ba8a22aea2b5ba81c462f4a2600ff281e6eed808b90b58"
        )
    );
    // The secret length must match the suite's hash.
    assert_eq!(
        tls13_next_secret(&secret, 0x1301),
        Err(DecryptError::BadSecretLength {
            expected: 32,
            actual: 48
        })
    );
    assert_eq!(
        tls13_next_secret(&secret, 0xc02f),
        Err(DecryptError::UnsupportedSuite(0xc02f))
    );
}

// ---- TLS 1.2 PRF ----

#[test]
fn tls12_prf_sha256_published_vector() {
    // The TLS 1.2 PRF (SHA-256) test vector posted to the IETF TLS list.
    let out = tls12_prf(
        HashAlg::Sha256,
        &hex("9bbe436ba940f017b17652849a71db35"),
        b"test label",
        &hex("a0ba9f936cda311827a6f796ffd5198c"),
        100,
    );
    assert_eq!(
        out,
        hex(
            "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af\
             0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66"
        )
    );
}

// ---- ChaCha20-Poly1305 and TLS 1.2 AES-GCM, vectors made with Python's cryptography ----

#[test]
fn tls13_chacha20_poly1305_records() {
    let secret: Vec<u8> = (0x40..0x60).collect();
    let mut dec = tls13_decrypter(&secret, 0x1303).unwrap();
    let r0 = hex("170303001692accb7cd4b25806e37fc5f729f401b0f9c0271e7ee4");
    let r1 = hex("17030300167f7d7af4761a42b9c24c2d4594a1e76eb124006b5e0b");
    let (h1, b1) = split_record(&r1);
    assert_eq!(
        dec.open(h1, b1),
        Err(DecryptError::AuthenticationFailed),
        "seq 1 record at seq 0"
    );
    let (h0, b0) = split_record(&r0);
    assert_eq!(dec.open(h0, b0).unwrap(), (23, b"hello".to_vec()));
    // An alert with three bytes of padding after the inner type.
    assert_eq!(dec.open(h1, b1).unwrap(), (21, vec![0x01, 0x00]));
    assert_eq!(dec.sequence(), 2);
}

#[test]
fn tls12_chacha20_poly1305_and_aes_gcm_both_directions() {
    let master: Vec<u8> = (0x80..0xb0).collect();
    let client_random: [u8; 32] = std::array::from_fn(|i| i as u8);
    let server_random: [u8; 32] = std::array::from_fn(|i| 0x20 + i as u8);

    let (mut c2s, mut s2c) =
        tls12_decrypters(&master, &client_random, &server_random, 0xcca8).unwrap();
    for (record, want) in [
        (
            "1703030022b41818a572b04bc984dc2fa3affab285b02c28129ac3ef8ef0b3fb05a3c4037c2cb0",
            &b"GET / HTTP/1.1\r\n\r\n"[..],
        ),
        (
            "1703030016ac55dfeeda7db35fc57e442b4400c2956cc882d69fa9",
            b"second",
        ),
    ] {
        let r = hex(record);
        let (h, b) = split_record(&r);
        assert_eq!(c2s.open(h, b).unwrap(), (23, want.to_vec()));
    }
    let r = hex("1703030021a992e06e238f589bd47856cb70d171266481f10e2558a68f1adbbdcf441766900f");
    let (h, b) = split_record(&r);
    assert_eq!(
        c2s.open(h, b),
        Err(DecryptError::AuthenticationFailed),
        "server record, client keys"
    );
    assert_eq!(
        s2c.open(h, b).unwrap(),
        (23, b"HTTP/1.1 200 OK\r\n".to_vec())
    );
    assert_eq!((c2s.sequence(), s2c.sequence()), (2, 1));

    let (mut c2s, mut s2c) =
        tls12_decrypters(&master, &client_random, &server_random, 0xc02f).unwrap();
    let r = hex(
        "16030300280000000000000000371dba6f96e594c614684f18479564df8948887b8301af97d4e1830b837c0e40",
    );
    let (h, b) = split_record(&r);
    let mut want = vec![0x14, 0, 0, 0x0c];
    want.extend([0u8; 12]);
    assert_eq!(c2s.open(h, b).unwrap(), (22, want));
    let r = hex("170303001a1122334455667788ea079a2f8f0414cfa4b73223f4dbe903ff47");
    let (h, b) = split_record(&r);
    assert_eq!(s2c.open(h, b).unwrap(), (23, b"ok".to_vec()));
    // Too short for explicit nonce + tag.
    assert_eq!(
        s2c.open(h, &b[..23]),
        Err(DecryptError::RecordTooShort {
            minimum: 24,
            actual: 23
        })
    );
}

#[test]
fn suites_table() {
    for id in [
        0x1301, 0x1302, 0x1303, 0xc02b, 0xc02c, 0xc02f, 0xc030, 0xcca8, 0xcca9, 0x009c, 0x00a9,
        0xd001, // AES-CBC
        0x002f, 0x0035, 0xc009, 0xc00a, 0xc013, 0xc014, 0x0033, 0x0039, 0x008c, 0x008d, 0x003c,
        0x003d, 0xc023, 0xc027, 0x0067, 0x006b, 0xc024, 0xc028,
    ] {
        assert!(suite_supported(id), "0x{id:04x}");
    }
    // CCM, RC4, NULL, 3DES-CBC, Camellia-CBC: not decryptable here.
    for id in [0x1304, 0x0005, 0x0000, 0x000a, 0xc012, 0x0041] {
        assert!(!suite_supported(id), "0x{id:04x}");
    }
    assert_eq!(suite_name(0x1301), Some("TLS_AES_128_GCM_SHA256"));
    assert_eq!(
        suite_name(0xc030),
        Some("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384")
    );
    assert_eq!(
        suite_name(0xc013),
        Some("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA")
    );
    let master = [0u8; 48];
    assert!(matches!(
        tls12_decrypters(&master, &[0; 32], &[0; 32], 0x000a),
        Err(DecryptError::UnsupportedSuite(0x000a))
    ));
    let dec = tls12_decrypters(&master, &[0; 32], &[0; 32], 0xc013)
        .unwrap()
        .0;
    assert_eq!((dec.cipher_suite(), dec.sequence()), (0xc013, 0));
    assert!(matches!(
        tls12_decrypters(&master[..47], &[0; 32], &[0; 32], 0xc02f),
        Err(DecryptError::BadSecretLength {
            expected: 48,
            actual: 47
        })
    ));
    assert!(matches!(
        tls12_decrypters(&master, &[0; 32], &[0; 32], 0x1301),
        Err(DecryptError::UnsupportedSuite(0x1301))
    ));
    assert!(matches!(
        tls13_decrypter(&[0; 32], 0xc02f),
        Err(DecryptError::UnsupportedSuite(0xc02f))
    ));
    assert!(matches!(
        tls13_decrypter(&[0; 31], 0x1301),
        Err(DecryptError::BadSecretLength {
            expected: 32,
            actual: 31
        })
    ));
    let dec = tls13_decrypter(&[7; 48], 0x1302).unwrap();
    let shown = format!("{dec:?}");
    assert!(
        shown.contains("0x1302") && !shown.contains("07, 07"),
        "{shown}"
    );
}

// ---- key log parsing ----

#[test]
fn keylog_malformed_lines_are_warned_and_skipped() {
    let random = "00".repeat(32);
    let good_tls13 = format!("CLIENT_TRAFFIC_SECRET_0 {random} {}", "11".repeat(32));
    let text = [
        "# SSL/TLS secrets log file".to_string(),
        String::new(),
        format!("CLIENT_RANDOM {random} {}", "aa".repeat(47)),
        format!("CLIENT_RANDOM {} {}", "0".repeat(63), "aa".repeat(48)),
        format!("CLIENT_RANDOM {random} {}", "zz".repeat(48)),
        format!("UNKNOWN_LABEL {random} {}", "aa".repeat(48)),
        "CLIENT_RANDOM onlytwo".to_string(),
        format!("{good_tls13}\r"),
        format!("RSA {} {}", "00".repeat(8), "00".repeat(48)),
        format!("SERVER_TRAFFIC_SECRET_0 {random} {}", "22".repeat(20)),
    ]
    .join("\n");
    let mut log = KeyLog::new();
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(b"\n\xff\xfe\x00binary junk\x01\n");
    let warnings = log.add_text(&bytes);
    assert_eq!(
        warnings,
        vec![
            "line 3: master secret is 47 bytes, expected 48",
            "line 4: client random has an odd number of hex digits (63)",
            "line 5: secret is not hex",
            "line 6: unknown label `UNKNOWN_LABEL`",
            "line 7: expected `LABEL CLIENT_RANDOM SECRET`, found 2 fields",
            "line 10: SERVER_TRAFFIC_SECRET_0 is 20 bytes, expected 32 or 48",
            "line 11: not text (invalid UTF-8)",
        ]
    );
    assert_eq!(log.len(), 1);
    let secrets = log.lookup(&[0; 32]).unwrap();
    assert_eq!(
        secrets,
        &Secrets {
            client_traffic_secret_0: Some(vec![0x11; 32]),
            ..Secrets::default()
        }
    );
    // No warning ever repeats secret material.
    assert!(
        warnings
            .iter()
            .all(|w| !w.contains("aaaa") && !w.contains("2222"))
    );
}

#[test]
fn keylog_dsb_and_warning_cap() {
    let mut log = KeyLog::new();
    let line = format!(
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET {} {}\n",
        "01".repeat(32),
        "02".repeat(48)
    );
    assert!(log.add_dsb(0x544c_534b, line.as_bytes()).is_empty());
    assert_eq!(
        log.lookup(&[1; 32])
            .unwrap()
            .client_handshake_traffic_secret,
        Some(vec![2; 48])
    );
    let w = log.add_dsb(0x544c_534b, b"junk\n");
    assert_eq!(
        w,
        vec![
            "Decryption Secrets Block: line 1: expected `LABEL CLIENT_RANDOM SECRET`, found 1 fields"
        ]
    );
    let w = log.add_dsb(0x5747_4b4c, b"anything");
    assert_eq!(w.len(), 1);
    assert!(w[0].contains("0x57474b4c"), "{w:?}");
    // 1000 junk lines: capped warnings plus a count.
    let junk = "x\n".repeat(1000);
    let w = log.add_text(junk.as_bytes());
    assert_eq!(w.len(), kinspect::proto::tls::keylog::MAX_WARNINGS + 1);
    assert_eq!(
        w.last().unwrap(),
        &format!(
            "{} more lines not understood",
            1000 - kinspect::proto::tls::keylog::MAX_WARNINGS
        )
    );
    assert_eq!(log.len(), 1);
}

// ---- corpus: real records out of real captures ----

/// One TCP connection's payload, per direction, in order.
#[derive(Default)]
struct Conn {
    client: Option<(IpAddr, u16)>,
    c2s: Vec<u8>,
    s2c: Vec<u8>,
    next_c2s: Option<u32>,
    next_s2c: Option<u32>,
}

/// Appends `payload` at TCP sequence `seq`, skipping bytes already held
/// (retransmissions). These corpus captures are in order.
fn append(stream: &mut Vec<u8>, next: &mut Option<u32>, seq: u32, payload: &[u8]) {
    let skip = match *next {
        Some(n) => n.wrapping_sub(seq) as usize,
        None => 0,
    };
    if skip >= payload.len() && next.is_some() && skip < (1 << 30) {
        return;
    }
    let skip = if skip < (1 << 30) { skip } else { 0 };
    stream.extend_from_slice(&payload[skip..]);
    *next = Some(seq.wrapping_add(payload.len() as u32));
}

/// TCP connections of a capture, in order of their first packet.
fn tcp_connections(path: &Path) -> Vec<Conn> {
    let mut src = FileSource::open(path).expect("open capture");
    let mut keys: Vec<((IpAddr, u16), (IpAddr, u16))> = Vec::new();
    let mut conns: Vec<Conn> = Vec::new();
    while src.advance().expect("read capture") {
        let packet = src.current();
        let Ok(decoded) = decode(&packet) else {
            continue;
        };
        let Transport::Tcp(tcp) = decoded.transport else {
            continue;
        };
        let a = (decoded.src, tcp.src_port);
        let b = (decoded.dst, tcp.dst_port);
        let index = match keys.iter().position(|k| *k == (a, b) || *k == (b, a)) {
            Some(i) => i,
            None => {
                keys.push((a, b));
                conns.push(Conn::default());
                keys.len() - 1
            }
        };
        let conn = &mut conns[index];
        if conn.client.is_none() && ((tcp.flags.syn && !tcp.flags.ack) || !tcp.payload.is_empty()) {
            conn.client = Some(a);
        }
        if tcp.payload.is_empty() {
            continue;
        }
        if conn.client == Some(a) {
            append(&mut conn.c2s, &mut conn.next_c2s, tcp.seq, tcp.payload);
        } else {
            append(&mut conn.s2c, &mut conn.next_s2c, tcp.seq, tcp.payload);
        }
    }
    conns
}

/// Records of one direction's stream: (header, body).
fn records(stream: &[u8]) -> Vec<([u8; 5], Vec<u8>)> {
    let mut out = Vec::new();
    let mut rest = stream;
    while rest.len() >= 5 {
        let header: [u8; 5] = rest[..5].try_into().unwrap();
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        if rest.len() < 5 + len {
            break;
        }
        out.push((header, rest[5..5 + len].to_vec()));
        rest = &rest[5 + len..];
    }
    out
}

/// (client random, server random, cipher suite) from the clear hellos.
fn hello_params(conn: &Conn) -> ([u8; 32], [u8; 32], u16) {
    let c = records(&conn.c2s);
    let s = records(&conn.s2c);
    let (_, ch) = c
        .iter()
        .find(|(h, b)| h[0] == 22 && b.first() == Some(&1))
        .expect("ClientHello");
    let (_, sh) = s
        .iter()
        .find(|(h, b)| h[0] == 22 && b.first() == Some(&2))
        .expect("ServerHello");
    let client_random: [u8; 32] = ch[6..38].try_into().unwrap();
    let server_random: [u8; 32] = sh[6..38].try_into().unwrap();
    let sid_len = usize::from(sh[38]);
    let suite = u16::from_be_bytes([sh[39 + sid_len], sh[40 + sid_len]]);
    (client_random, server_random, suite)
}

/// What one direction of a TLS 1.3 connection decrypted to.
#[derive(Default, Debug)]
struct Opened {
    /// (stage, content type, plaintext) per record opened; stage 0 = early,
    /// 1 = handshake, 2 = application.
    records: Vec<(usize, u8, Vec<u8>)>,
    /// Encrypted records no available key opened.
    unopened: usize,
}

impl Opened {
    fn application_text(&self) -> String {
        let bytes: Vec<u8> = self
            .records
            .iter()
            .filter(|(_, t, _)| *t == 23)
            .flat_map(|(_, _, p)| p.clone())
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Opens a direction's encrypted records (outer type 23) with keys tried in
/// stage order, never going back to an earlier stage: the way a dissector
/// would do trial decryption of 0-RTT data.
fn open_tls13(stream: &[u8], stages: &mut [Option<RecordDecrypter>]) -> Opened {
    let mut opened = Opened::default();
    let mut stage = 0;
    for (header, body) in records(stream) {
        if header[0] != 23 {
            continue;
        }
        let mut done = false;
        for (s, slot) in stages.iter_mut().enumerate().skip(stage) {
            let Some(dec) = slot else { continue };
            let before = dec.sequence();
            match dec.open(header, &body) {
                Ok((t, p)) => {
                    opened.records.push((s, t, p));
                    stage = s;
                    done = true;
                    break;
                }
                Err(e) => {
                    assert_eq!(e, DecryptError::AuthenticationFailed);
                    assert_eq!(
                        dec.sequence(),
                        before,
                        "failed open moved the sequence number"
                    );
                }
            }
        }
        if !done {
            opened.unopened += 1;
        }
    }
    opened
}

fn keylog_file(path: &Path) -> KeyLog {
    let mut log = KeyLog::new();
    let warnings = log.add_text(&std::fs::read(path).expect("key log"));
    assert!(warnings.is_empty(), "{warnings:?}");
    log
}

/// Both directions of a TLS 1.3 connection with the secrets of `log`.
fn decrypt_tls13(conn: &Conn, log: &KeyLog) -> (Opened, Opened) {
    let (client_random, _, suite) = hello_params(conn);
    let secrets = log
        .lookup(&client_random)
        .expect("client random in key log");
    let dec = |s: &Option<Vec<u8>>| {
        s.as_ref()
            .map(|s| tls13_decrypter(s, suite).expect("decrypter"))
    };
    let mut client = [
        dec(&secrets.client_early_traffic_secret),
        dec(&secrets.client_handshake_traffic_secret),
        dec(&secrets.client_traffic_secret_0),
    ];
    let mut server = [
        None,
        dec(&secrets.server_handshake_traffic_secret),
        dec(&secrets.server_traffic_secret_0),
    ];
    (
        open_tls13(&conn.c2s, &mut client),
        open_tls13(&conn.s2c, &mut server),
    )
}

#[test]
fn corpus_illustrated_tls13_ping_pong() {
    let corpus = require_corpus!();
    let dir = corpus.join("illustrated-tls13");
    let conns = tcp_connections(&dir.join("capture.pcap"));
    assert_eq!(conns.len(), 1);
    let (_, _, suite) = hello_params(&conns[0]);
    assert_eq!(suite, 0x1302, "TLS_AES_256_GCM_SHA384 per the oracle");
    let (client, server) = decrypt_tls13(&conns[0], &keylog_file(&dir.join("keylog.txt")));
    assert_eq!(client.unopened, 0);
    assert_eq!(server.unopened, 0);
    assert_eq!(client.application_text(), "ping");
    assert_eq!(server.application_text(), "pong");
    // The server's handshake flight: EncryptedExtensions (8), Certificate
    // (11), CertificateVerify (15), Finished (20), the certificate being
    // the 805-byte one tshark reports.
    let hs: Vec<u8> = server
        .records
        .iter()
        .filter(|(stage, t, _)| *stage == 1 && *t == 22)
        .flat_map(|(_, _, p)| p.clone())
        .collect();
    assert_eq!(handshake_types(&hs), vec![8, 11, 15, 20]);
    // Two NewSessionTickets (4) under the application key.
    let tickets = server
        .records
        .iter()
        .filter(|(s, t, p)| *s == 2 && *t == 22 && p.first() == Some(&4))
        .count();
    assert_eq!(tickets, 2);
    // The client's Finished under its handshake key.
    assert_eq!(
        client
            .records
            .first()
            .map(|(s, t, p)| (*s, *t, p.first().copied())),
        Some((1, 22, Some(20)))
    );
}

/// Handshake message types in a run of handshake messages.
fn handshake_types(mut bytes: &[u8]) -> Vec<u8> {
    let mut types = Vec::new();
    while bytes.len() >= 4 {
        let len = usize::from(bytes[1]) << 16 | usize::from(bytes[2]) << 8 | usize::from(bytes[3]);
        types.push(bytes[0]);
        bytes = &bytes[(4 + len).min(bytes.len())..];
    }
    types
}

#[test]
fn corpus_wireshark_tls13_rfc8446_with_early_data() {
    let corpus = require_corpus!();
    let dir = corpus.join("wireshark");
    let conns = tcp_connections(&dir.join("tls13-rfc8446.pcap"));
    assert_eq!(conns.len(), 2);
    let log = keylog_file(&dir.join("tls13-rfc8446.keys"));

    let (client, server) = decrypt_tls13(&conns[0], &log);
    assert_eq!((client.unopened, server.unopened), (0, 0));
    assert!(
        client.application_text().starts_with("GET /first "),
        "{}",
        client.application_text()
    );
    assert!(
        server
            .application_text()
            .contains("Request for /first, version TLSv1.3, Early data: no\n")
    );

    let (client, server) = decrypt_tls13(&conns[1], &log);
    assert_eq!((client.unopened, server.unopened), (0, 0));
    // 0-RTT: the early request opened with CLIENT_EARLY_TRAFFIC_SECRET.
    let early: Vec<&(usize, u8, Vec<u8>)> =
        client.records.iter().filter(|(s, _, _)| *s == 0).collect();
    assert!(
        early
            .iter()
            .any(|(_, t, p)| *t == 23 && p.starts_with(b"GET /early ")),
        "{early:?}"
    );
    let text = client.application_text();
    assert!(
        text.contains("GET /early ") && text.contains("GET /second "),
        "{text}"
    );
    let server_text = server.application_text();
    assert!(server_text.contains("Request for /early, version TLSv1.3, Early data: yes\n"));
    assert!(server_text.contains("Request for /second, version TLSv1.3, Early data: yes\n"));
    // Every byte of both connections, both ways, as tshark decrypts them
    // with the same key log (`-z follow,tls,raw`).
    if common::have_tool("tshark", "-v") {
        let opts = ["-o", "tls.keylog_file:tls13-rfc8446.keys"];
        for (i, conn) in conns.iter().enumerate() {
            let (c, s) = decrypt_tls13(conn, &log);
            let (tc, ts) =
                common::oracle::tshark_follow_tls(&dir, "tls13-rfc8446.pcap", &opts, i as u32);
            assert_eq!(
                c.application_text(),
                String::from_utf8_lossy(&tc),
                "stream {i} client"
            );
            assert_eq!(
                s.application_text(),
                String::from_utf8_lossy(&ts),
                "stream {i} server"
            );
        }
    }
}

#[test]
fn corpus_wireshark_tls13_rfc8446_without_early_secret() {
    let corpus = require_corpus!();
    let dir = corpus.join("wireshark");
    let conns = tcp_connections(&dir.join("tls13-rfc8446.pcap"));
    let log = keylog_file(&dir.join("tls13-rfc8446-noearly.keys"));
    let (client, server) = decrypt_tls13(&conns[1], &log);
    // The early records (the request and EndOfEarlyData) open with no key.
    assert!(client.unopened >= 1, "{client:?}");
    let text = client.application_text();
    assert!(!text.contains("GET /early"), "{text}");
    assert!(text.contains("GET /second "), "{text}");
    // The server side is unaffected: its answer to /early is readable.
    assert_eq!(server.unopened, 0);
    assert!(server.application_text().contains("Request for /early"));
    // tshark, given the same key log without the early secret, reads the
    // same bytes both ways.
    if common::have_tool("tshark", "-v") {
        let opts = ["-o", "tls.keylog_file:tls13-rfc8446-noearly.keys"];
        let (tc, ts) = common::oracle::tshark_follow_tls(&dir, "tls13-rfc8446.pcap", &opts, 1);
        assert_eq!(text, String::from_utf8_lossy(&tc));
        assert_eq!(server.application_text(), String::from_utf8_lossy(&ts));
    }
}

#[test]
fn corpus_wireshark_tls12_psk_aes256gcm() {
    // TLS_PSK_WITH_AES_256_GCM_SHA384 (0x00a9); no key log, but the PSK is
    // published (Wireshark's test suite, in the oracle: ca19e028...). The
    // master secret is derived here: pre-master = len ‖ zeros ‖ len ‖ psk
    // (RFC 4279 §2), no extended master secret in these hellos.
    let corpus = require_corpus!();
    let conns = tcp_connections(&corpus.join("wireshark/tls12-aes256gcm.pcap"));
    assert_eq!(conns.len(), 1);
    let (client_random, server_random, suite) = hello_params(&conns[0]);
    assert_eq!(suite, 0x00a9);
    let psk = hex("ca19e028a8a372ad2d325f950fcaceed");
    let mut pre_master = Vec::new();
    pre_master.extend((psk.len() as u16).to_be_bytes());
    pre_master.extend(vec![0u8; psk.len()]);
    pre_master.extend((psk.len() as u16).to_be_bytes());
    pre_master.extend(&psk);
    let seed = [client_random, server_random].concat();
    let master = tls12_prf(HashAlg::Sha384, &pre_master, b"master secret", &seed, 48);
    let (mut c2s, mut s2c) =
        tls12_decrypters(&master, &client_random, &server_random, suite).unwrap();

    let open_all = |stream: &[u8], dec: &mut RecordDecrypter| -> Vec<(u8, Vec<u8>)> {
        // Records after ChangeCipherSpec are protected.
        let mut protected = false;
        let mut out = Vec::new();
        for (header, body) in records(stream) {
            if header[0] == 20 {
                protected = true;
                continue;
            }
            if protected {
                out.push(dec.open(header, &body).expect("record opens"));
            }
        }
        out
    };
    let client = open_all(&conns[0].c2s, &mut c2s);
    let server = open_all(&conns[0].s2c, &mut s2c);
    // Finished first (handshake type 20, 12 bytes verify_data), then data.
    assert_eq!(client[0].0, 22);
    assert_eq!(client[0].1[..4], [20, 0, 0, 12]);
    assert_eq!(server[0].0, 22);
    let client_text: Vec<u8> = client
        .iter()
        .filter(|(t, _)| *t == 23)
        .flat_map(|(_, p)| p.clone())
        .collect();
    let server_text: Vec<u8> = server
        .iter()
        .filter(|(t, _)| *t == 23)
        .flat_map(|(_, p)| p.clone())
        .collect();
    assert!(
        client_text.starts_with(b"GET / HTTP/1.1")
            && client_text.windows(15).any(|w| w == b"Host: localhost"),
        "{}",
        String::from_utf8_lossy(&client_text)
    );
    assert!(String::from_utf8_lossy(&server_text).contains("http://www.gnu.org/software/gnutls"));
    // Exactly the bytes tshark decrypts with the same PSK.
    if common::have_tool("tshark", "-v") {
        let opts = ["-o", "tls.psk:ca19e028a8a372ad2d325f950fcaceed"];
        let (tc, ts) = common::oracle::tshark_follow_tls(
            &corpus.join("wireshark"),
            "tls12-aes256gcm.pcap",
            &opts,
            0,
        );
        assert_eq!(client_text, tc);
        assert_eq!(server_text, ts);
    }
    // The close: a close_notify alert (warning 1, description 0), decrypted.
    assert_eq!(
        server.last().map(|(t, p)| (*t, p.clone())),
        Some((21, vec![1, 0]))
    );
}

#[test]
fn corpus_illustrated_tls12_cbc_ping_pong() {
    // The illustrated TLS 1.2 connection uses TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
    // (0xc013). The PRF key block derived from this capture's randoms and
    // key log is checked against values computed independently (Python
    // hmac), then every protected record is opened.
    let corpus = require_corpus!();
    let dir = corpus.join("illustrated-tls12");
    let conns = tcp_connections(&dir.join("capture.pcap"));
    assert_eq!(conns.len(), 1);
    let (client_random, server_random, suite) = hello_params(&conns[0]);
    assert_eq!(suite, 0xc013);
    assert!(suite_supported(suite));
    let log = keylog_file(&dir.join("keylog.txt"));
    let master = log
        .lookup(&client_random)
        .and_then(|s| s.master_secret.clone())
        .expect("CLIENT_RANDOM line");
    let seed = [server_random, client_random].concat();
    let block = tls12_prf(HashAlg::Sha256, &master, b"key expansion", &seed, 104);
    assert_eq!(
        block[..20],
        hex("1b7d117c7d5f690bc263cae8ef60af0f1878acc2")[..],
        "client MAC key"
    );
    assert_eq!(
        block[40..56],
        hex("f656d037b173ef3e11169f27231a84b6")[..],
        "client write key"
    );
    assert_eq!(
        block[56..72],
        hex("752a18e7a9fcb7cbcdd8f98dd8f769eb")[..],
        "server write key"
    );

    let (mut c2s, mut s2c) =
        tls12_decrypters(&master, &client_random, &server_random, suite).unwrap();
    let protected = |stream: &[u8]| -> Vec<([u8; 5], Vec<u8>)> {
        records(stream)
            .into_iter()
            .skip_while(|(h, _)| h[0] != 20)
            .skip(1)
            .collect()
    };
    let client_records = protected(&conns[0].c2s);
    let server_records = protected(&conns[0].s2c);
    // Finished, "ping", close_notify / Finished, "pong".
    assert_eq!(client_records.len(), 3);
    assert_eq!(server_records.len(), 2);

    // A flipped byte anywhere (IV, MAC, padding) fails without moving the
    // sequence number; so does the right record under the wrong direction's keys.
    let (header, body) = &client_records[0];
    for i in [0, 16, body.len() / 2, body.len() - 1] {
        let mut bad = body.clone();
        bad[i] ^= 0x01;
        assert_eq!(
            c2s.open(*header, &bad),
            Err(DecryptError::AuthenticationFailed),
            "byte {i} flipped"
        );
    }
    let mut bad_header = *header;
    bad_header[0] = 23;
    assert_eq!(
        c2s.open(bad_header, body),
        Err(DecryptError::AuthenticationFailed),
        "content type is MACed"
    );
    assert_eq!(
        s2c.open(*header, body),
        Err(DecryptError::AuthenticationFailed)
    );
    // Not whole blocks; too short for IV + one block of MAC and padding.
    assert_eq!(
        c2s.open(*header, &body[..body.len() - 1]),
        Err(DecryptError::AuthenticationFailed)
    );
    assert_eq!(
        c2s.open(*header, &body[..47]),
        Err(DecryptError::RecordTooShort {
            minimum: 48,
            actual: 47
        })
    );
    assert_eq!((c2s.sequence(), s2c.sequence()), (0, 0));

    let client: Vec<(u8, Vec<u8>)> = client_records
        .iter()
        .map(|(h, b)| c2s.open(*h, b).expect("client record opens"))
        .collect();
    let server: Vec<(u8, Vec<u8>)> = server_records
        .iter()
        .map(|(h, b)| s2c.open(*h, b).expect("server record opens"))
        .collect();
    assert_eq!((c2s.sequence(), s2c.sequence()), (3, 2));
    // Finished with the verify_data of the illustrated walk-through.
    assert_eq!(client[0], (22, hex("1400000ccf919626f1360c536aaad73a")));
    assert_eq!(server[0], (22, hex("1400000c844d3c10746dd722f92f0c7e")));
    assert_eq!(client[1], (23, b"ping".to_vec()));
    assert_eq!(server[1], (23, b"pong".to_vec()));
    assert_eq!(client[2], (21, vec![1, 0]), "close_notify");
    // tshark with the same key log reads "ping" and "pong".
    if common::have_tool("tshark", "-v") {
        let opts = ["-o", "tls.keylog_file:keylog.txt"];
        let (tc, ts) = common::oracle::tshark_follow_tls(&dir, "capture.pcap", &opts, 0);
        assert_eq!((tc, ts), (client[1].1.clone(), server[1].1.clone()));
    }
    // An already opened record is at the wrong sequence number now.
    let (header, body) = &client_records[1];
    assert_eq!(
        c2s.open(*header, body),
        Err(DecryptError::AuthenticationFailed)
    );
    assert_eq!(c2s.sequence(), 3);
}

// ---- CBC vectors made with Python's hmac/hashlib and cryptography ----
//
// master secret 80..af, client random 00..1f, server random 20..3f (as in
// the ChaCha/GCM test); the key blocks, MACs and AES-CBC computed in Python.

const CBC_MASTER: std::ops::Range<u8> = 0x80..0xb0;

fn cbc_params() -> (Vec<u8>, [u8; 32], [u8; 32]) {
    (
        CBC_MASTER.collect(),
        std::array::from_fn(|i| i as u8),
        std::array::from_fn(|i| 0x20 + i as u8),
    )
}

#[test]
fn tls12_cbc_sha256_and_sha384_suites() {
    let (master, cr, sr) = cbc_params();
    // TLS_RSA_WITH_AES_128_CBC_SHA256: a record with an extra block of
    // padding, then one with minimal padding.
    let (mut c2s, mut s2c) = tls12_decrypters(&master, &cr, &sr, 0x003c).unwrap();
    let r0 = hex(
        "1703030060a0a1a2a3a4a5a6a7a8a9aaabacadaeaf341b8f351533b169e8a7d4b54961956aaa712631a5f553841ff6c044bcec035119d8a7787a29682d790c1618257363fd736a60001978c5d7f9c68cd0339f28748e44a10165577b1045fb4f9d353fe73c",
    );
    let r1 = hex(
        "1703030040b0b1b2b3b4b5b6b7b8b9babbbcbdbebfb9bce56e0a6a1fd3bee9474e1642cba6e4cf855221ba6d24a70b180b0149ab4ecf9151673ff1ba3058641b1cdf607b48",
    );
    let (h1, b1) = split_record(&r1);
    assert_eq!(
        c2s.open(h1, b1),
        Err(DecryptError::AuthenticationFailed),
        "seq 1 record at seq 0"
    );
    let (h0, b0) = split_record(&r0);
    assert_eq!(
        c2s.open(h0, b0).unwrap(),
        (23, b"GET / HTTP/1.1\r\n\r\n".to_vec())
    );
    assert_eq!(c2s.open(h1, b1).unwrap(), (23, b"second".to_vec()));
    let alert = hex(
        "150303004000000000000000000000000000000000cad8eb858d500e2ec324f2e27992c1bf02569a2adfc45618ca91ce0fd456e94ccb2ac28f6fae2684dd0d96ab53d38e87",
    );
    let (h, b) = split_record(&alert);
    assert_eq!(s2c.open(h, b).unwrap(), (21, vec![1, 0]));
    // Too short: IV plus 3 blocks are needed for a 32-byte MAC.
    assert_eq!(
        s2c.open(h, &b[..63]),
        Err(DecryptError::RecordTooShort {
            minimum: 64,
            actual: 63
        })
    );

    // A valid MAC over "x" but one padding byte wrong: refused on padding.
    let (mut c2s, _) = tls12_decrypters(&master, &cr, &sr, 0x003c).unwrap();
    let bad_padding = hex(
        "17030300400000000000000000000000000000000058bbc433c19ae6785f74428a240b0945848143699c46b1c40e97c5cd7bd2b1634aac697c33c0be8b788219f5ef6a5ae5",
    );
    let (h, b) = split_record(&bad_padding);
    assert_eq!(c2s.open(h, b), Err(DecryptError::AuthenticationFailed));
    // padding_length 255, longer than the record: refused, no panic.
    let big_padding = hex(
        "1703030040000000000000000000000000000000006aa51f75fc0ff5be9385a30e0deede8c1b96a70362f5b8256205264f322aaebef73c11d7dca5020c7ed6e3dd98afb08e",
    );
    let (h, b) = split_record(&big_padding);
    assert_eq!(c2s.open(h, b), Err(DecryptError::AuthenticationFailed));
    assert_eq!(c2s.sequence(), 0);

    // TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384: PRF and MAC with SHA-384.
    let (mut c2s, mut s2c) = tls12_decrypters(&master, &cr, &sr, 0xc028).unwrap();
    let r = hex(
        "1703030060101112131415161718191a1b1c1d1e1fe28e3ec4be3fffd370607c05e001b26f46aafe05cd4e8d4df203d5ad6586c6192e4af12f8906d4819bd07fac71dd62206f121886e11c1b0ceb73d3e6585625364fe3a9192d1e7abd534bffbe90253138",
    );
    let (h, b) = split_record(&r);
    assert_eq!(
        s2c.open(h, b).unwrap(),
        (23, b"HTTP/1.1 200 OK\r\n".to_vec())
    );
    // An empty record (MAC and padding only).
    let r = hex(
        "1703030050101112131415161718191a1b1c1d1e1f79b20dd4703a585a2fbf6474efcbd4cc1958f4d9ea140aa4628ee3a7de79ffeaf781388838947fcadf260408c67fe293ac19215358c302c46b462684a9decb70",
    );
    let (h, b) = split_record(&r);
    assert_eq!(c2s.open(h, b).unwrap(), (23, vec![]));
    // Too long.
    let huge = vec![0u8; 16384 + 2048 + 16];
    assert!(matches!(
        c2s.open(h, &huge),
        Err(DecryptError::RecordTooLong { .. })
    ));
    assert_eq!((c2s.sequence(), s2c.sequence()), (1, 1));
}

#[test]
fn tls10_and_tls11_cbc_with_legacy_prf() {
    let (master, cr, sr) = cbc_params();
    let seed = [sr, cr].concat();
    assert_eq!(
        tls10_prf(&master, b"key expansion", &seed, 40),
        hex("f6dfec8213a1ccbc4ad9199d00ccd9f2ae2c2588b685e79916269b7a29fecbbf067fc0e73e96e76c")
    );

    // TLS 1.1, TLS_RSA_WITH_AES_128_CBC_SHA: explicit IV, MD5/SHA-1 PRF.
    let (mut c2s, _) = tls_decrypters(0x0302, &master, &cr, &sr, 0x002f).unwrap();
    let r = hex(
        "1703020040303132333435363738393a3b3c3d3e3ff715078a6148ed39a69bb09785278053472e5a5c630d45fc1db4c9cacba4f25a56ab2479f65a1af0c06f8819bfe09961",
    );
    let (h, b) = split_record(&r);
    assert_eq!(c2s.open(h, b).unwrap(), (23, b"tls 1.1 data".to_vec()));
    // The same record under TLS 1.2 keys (SHA-256 PRF) fails.
    let (mut c2s12, _) = tls12_decrypters(&master, &cr, &sr, 0x002f).unwrap();
    assert_eq!(c2s12.open(h, b), Err(DecryptError::AuthenticationFailed));

    // TLS 1.0, TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: chained IVs, the first
    // from the key block, then the previous record's last ciphertext block.
    let (mut c2s, mut s2c) = tls_decrypters(0x0301, &master, &cr, &sr, 0xc014).unwrap();
    let r0 = hex("1703010020e71d0ab2b662ac59f25130825246b27c8c8e6415a9211bf50a937e3a20fdc3e5");
    let r1 = hex(
        "17030100501362a908536be1129e627eedc780a383049b1bae80188b19ebeb88f1da000a2e1e51de565fbc69d49824febdffc614b75ad31b7f16c94dc9259c036aaf5e550164a5299a30b83ae32211d23799f3409d",
    );
    let (h0, b0) = split_record(&r0);
    let (h1, b1) = split_record(&r1);
    assert_eq!(c2s.open(h1, b1), Err(DecryptError::AuthenticationFailed));
    // A failure changes neither the sequence number nor the chained IV.
    let mut bad = b0.to_vec();
    bad[0] ^= 0x80;
    assert_eq!(c2s.open(h0, &bad), Err(DecryptError::AuthenticationFailed));
    assert_eq!(c2s.open(h0, b0).unwrap(), (23, b"first".to_vec()));
    assert_eq!(c2s.open(h1, b1).unwrap(), (23, b"second record".to_vec()));
    assert_eq!(c2s.sequence(), 2);
    let r = hex("1703010020007d301d56f076a1bba2025eb658dbb46a3276f61e000ef1b05f04c2e7cf0d62");
    let (h, b) = split_record(&r);
    assert_eq!(s2c.open(h, b).unwrap(), (23, b"from server".to_vec()));
    // No explicit IV in TLS 1.0: two blocks suffice for a SHA-1 MAC.
    assert_eq!(
        s2c.open(h, &b[..31]),
        Err(DecryptError::RecordTooShort {
            minimum: 32,
            actual: 31
        })
    );

    // TLS 1.2-only suites and other versions are refused.
    for (version, suite, want) in [
        (0x0302, 0x003c, DecryptError::UnsupportedSuite(0x003c)),
        (0x0301, 0xc02f, DecryptError::UnsupportedSuite(0xc02f)),
        (0x0300, 0x002f, DecryptError::UnsupportedVersion(0x0300)),
        (0x0304, 0x002f, DecryptError::UnsupportedVersion(0x0304)),
        (0x0303, 0x1301, DecryptError::UnsupportedSuite(0x1301)),
    ] {
        assert!(matches!(
            tls_decrypters(version, &master, &cr, &sr, suite),
            Err(e) if e == want
        ));
    }
    assert!(matches!(
        tls_decrypters(0x0301, &master[..47], &cr, &sr, 0x002f),
        Err(DecryptError::BadSecretLength {
            expected: 48,
            actual: 47
        })
    ));
}

#[test]
fn cbc_suite_table_matches_tls_parser() {
    use kinspect::proto::tls::decrypt::suites::{Bulk, CbcAlg, MacAlg, params};
    use tls_parser::{TlsCipherEnc, TlsCipherEncMode, TlsCipherMac, TlsCipherSuite};
    let mut cbc_count = 0;
    for id in 0..=u16::MAX {
        let Some(info) = TlsCipherSuite::from_id(id) else {
            assert_eq!(params(id), None, "0x{id:04x} unknown to tls-parser");
            continue;
        };
        let aes_cbc = info.enc == TlsCipherEnc::Aes && info.enc_mode == TlsCipherEncMode::Cbc;
        let expected = match (aes_cbc, info.enc_size, info.mac) {
            (true, 128, TlsCipherMac::HmacSha1) => Some((CbcAlg::Aes128Cbc, MacAlg::Sha1)),
            (true, 256, TlsCipherMac::HmacSha1) => Some((CbcAlg::Aes256Cbc, MacAlg::Sha1)),
            (true, 128, TlsCipherMac::HmacSha256) => Some((CbcAlg::Aes128Cbc, MacAlg::Sha256)),
            (true, 256, TlsCipherMac::HmacSha256) => Some((CbcAlg::Aes256Cbc, MacAlg::Sha256)),
            (true, 256, TlsCipherMac::HmacSha384) => Some((CbcAlg::Aes256Cbc, MacAlg::Sha384)),
            _ => None,
        };
        let got = match params(id).map(|p| (p.bulk, p.hash)) {
            Some((Bulk::Cbc { cipher, mac }, hash)) => {
                let want_hash = if mac == MacAlg::Sha384 {
                    HashAlg::Sha384
                } else {
                    HashAlg::Sha256
                };
                assert_eq!(hash, want_hash, "{} PRF", info.name);
                Some((cipher, mac))
            }
            _ => None,
        };
        assert_eq!(got, expected, "0x{id:04x} {}", info.name);
        cbc_count += usize::from(got.is_some());
    }
    assert!(cbc_count >= 40, "{cbc_count} AES-CBC suites");
}
