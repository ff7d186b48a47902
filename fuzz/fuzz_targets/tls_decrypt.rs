//! TLS key logs and record decryption on arbitrary input: key log text
//! through `KeyLog::add_text` / `add_dsb`, and arbitrary records through
//! decrypters built from fuzzer-chosen secrets and cipher suites.
//! Invariants: no panic; warnings are line-numbered (or the final count)
//! and capped; a failed `open` leaves the sequence number where it was, a
//! successful one moves it by one; plaintext is never longer than the body.

#![no_main]

use kinspect::proto::tls::decrypt::{
    RecordDecrypter, suite_supported, tls12_decrypters, tls13_decrypter, tls13_next_secret,
};
use kinspect::proto::tls::keylog::{KeyLog, MAX_WARNINGS};
use libfuzzer_sys::fuzz_target;

/// Suites tried: supported ones of every kind and a few unsupported ones.
const SUITES: [u16; 12] = [
    0x1301, 0x1302, 0x1303, 0xc02f, 0xc030, 0xcca8, 0xcca9, 0x009c, 0x00a9, 0xc013, 0x1304, 0x0000,
];

/// Takes `n` bytes from the front of `data` (fewer at the end).
fn take<'a>(data: &mut &'a [u8], n: usize) -> &'a [u8] {
    let (head, tail) = data.split_at(n.min(data.len()));
    *data = tail;
    head
}

fn check_keylog(data: &[u8]) {
    let mut log = KeyLog::new();
    let lines = data.split(|&b| b == b'\n').count();
    let warnings = log.add_text(data);
    assert!(warnings.len() <= MAX_WARNINGS + 1);
    for w in &warnings {
        assert!(
            w.starts_with("line ") || w.ends_with("more lines not understood"),
            "{w}"
        );
    }
    assert!(log.len() <= lines);
    let secrets_type = data
        .get(..4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .unwrap_or(0x544c_534b);
    let w = log.add_dsb(secrets_type, data);
    if secrets_type != 0x544c_534b {
        assert_eq!(w.len(), 1);
    }
}

fn check_open(dec: &mut RecordDecrypter, header: [u8; 5], body: &[u8]) {
    let before = dec.sequence();
    match dec.open(header, body) {
        Ok((_, plain)) => {
            assert_eq!(dec.sequence(), before + 1);
            assert!(plain.len() <= body.len());
        }
        Err(_) => assert_eq!(dec.sequence(), before, "failed open moved the sequence"),
    }
}

fn check_records(mut data: &[u8]) {
    let control = take(&mut data, 3);
    let [suite_pick, secret_len, tls13] = [0, 1, 2].map(|i| control.get(i).copied().unwrap_or(0));
    let suite = SUITES[usize::from(suite_pick) % SUITES.len()];
    let secret = take(&mut data, usize::from(secret_len % 64));
    let mut decrypters: Vec<RecordDecrypter> = Vec::new();
    if tls13 & 1 == 1 {
        let _ = tls13_next_secret(secret, suite);
        match tls13_decrypter(secret, suite) {
            Ok(d) => decrypters.push(d),
            Err(_) => return,
        }
    } else {
        let randoms = take(&mut data, 64);
        let mut client_random = [0u8; 32];
        let mut server_random = [0u8; 32];
        for (i, b) in randoms.iter().enumerate() {
            if i < 32 {
                client_random[i] = *b;
            } else {
                server_random[i - 32] = *b;
            }
        }
        match tls12_decrypters(secret, &client_random, &server_random, suite) {
            Ok((c, s)) => {
                assert!(suite_supported(suite));
                decrypters.push(c);
                decrypters.push(s);
            }
            Err(_) => return,
        }
    }
    // Records: header (5 bytes, length field honoured up to what is left).
    let mut direction = 0usize;
    while data.len() >= 5 {
        let h = take(&mut data, 5);
        let header = [h[0], h[1], h[2], h[3], h[4]];
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        let body = take(&mut data, len);
        let n = decrypters.len();
        if let Some(dec) = decrypters.get_mut(direction % n) {
            check_open(dec, header, body);
        }
        direction += 1;
    }
}

fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        Some((mode, rest)) if mode & 1 == 0 => check_keylog(rest),
        Some((_, rest)) => check_records(rest),
        None => {}
    }
});
