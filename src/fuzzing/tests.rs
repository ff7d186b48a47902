//! The harnesses on inputs whose outcome is known: synthetic connections
//! written in the harness's own input layout, and every capture of
//! `captures/` (made by real etcd clusters) read whole and cut short.

use super::flow_table::flow_table;

/// `ends` bytes: client 10.0.0.1:40000 to server 10.0.0.2:2379 and back;
/// `SECOND` is a second client, 10.0.0.3:40001, to the same server.
const C2S: u8 = 0x24;
const S2C: u8 = 0x81;
const SECOND: u8 = 0x06 | (3 << 4);
const SYN: u8 = 1;
const ACK: u8 = 2;
const FIN: u8 = 4;

/// One segment in the layout of `flow_table`'s module documentation:
/// 1 ms after the previous one, sequence and ack numbers relative to the
/// two directions' initial numbers.
fn segment(input: &mut Vec<u8>, ends: u8, flags: u8, seq: i16, ack: i16, payload: &[u8]) {
    input.extend_from_slice(&[ends, flags, 1]);
    input.extend_from_slice(&seq.to_be_bytes());
    input.extend_from_slice(&ack.to_be_bytes());
    input.push(u8::try_from(payload.len()).expect("a short payload"));
    input.extend_from_slice(payload);
}

/// A whole connection from `ends` (handshake, 24 bytes of HTTP/2 preface,
/// both FINs): eight segments; `back` is the same pair the other way.
fn connection(input: &mut Vec<u8>, ends: u8, back: u8) {
    let preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    segment(input, ends, SYN, 0, 0, b"");
    segment(input, back, SYN | ACK, 0, 1, b"");
    segment(input, ends, ACK, 1, 1, b"");
    segment(input, ends, ACK, 1, 1, preface);
    segment(input, back, ACK, 1, 25, b"");
    segment(input, ends, FIN | ACK, 25, 1, b"");
    segment(input, back, FIN | ACK, 1, 26, b"");
    segment(input, ends, ACK, 26, 2, b"");
}

#[test]
fn a_synthetic_connection_is_read_back_as_one_flow() {
    let mut input = vec![0];
    connection(&mut input, C2S, S2C);
    let summary = flow_table(&input).expect("a synthetic capture");
    assert_eq!(
        (summary.packets, summary.tcp_packets, summary.flows),
        (8, 8, 1)
    );
    assert_eq!(summary.gap_bytes, 0);
    // 8 frames of 40 bytes of headers, and the preface.
    assert_eq!(summary.bytes, 8 * 40 + 24);
}

#[test]
fn a_second_connection_over_a_limit_of_one_evicts_the_first() {
    // Config byte: --max-connections 1 (bits 6-7).
    let mut input = vec![1 << 6];
    let mut second = Vec::new();
    connection(&mut input, C2S, S2C);
    connection(&mut second, SECOND, 0x09 | (3 << 6));
    // The second connection opens before the first one ends.
    let head = 3 * 8;
    let mut mixed = input[..1 + head].to_vec();
    mixed.extend_from_slice(&second);
    mixed.extend_from_slice(&input[1 + head..]);
    let summary = flow_table(&mixed).expect("a synthetic capture");
    assert_eq!(summary.max_connections, 1);
    assert_eq!(summary.tcp_packets, 16);
    assert!(summary.evicted_limit >= 1, "{}", summary.line());
    assert!(summary.flows >= 2, "{}", summary.line());
}

#[test]
fn no_input_and_a_refused_header_give_no_summary() {
    assert!(flow_table(&[]).is_none());
    assert!(flow_table(&[0x20, b'n', b'o', b't', b' ', b'a']).is_none());
}

/// Every capture of `captures/`, whole and cut in the middle of a record,
/// under each timeout setting and a limit of one connection: the
/// pipeline's promises hold on what real clusters sent.
#[test]
fn every_repository_capture_keeps_the_pipeline_promises() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut read = 0;
    for entry in std::fs::read_dir(&dir).expect("captures/") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_none_or(|e| e != "pcapng") {
            continue;
        }
        let file = std::fs::read(&path).expect("a capture");
        for config in [0x20u8, 0x20 | 0x04, 0x20 | 0x08 | 0x01, 0x20 | 0x40] {
            let run = |len: usize| {
                let mut input = vec![config];
                input.extend_from_slice(&file[..len]);
                flow_table(&input).unwrap_or_else(|| panic!("{} refused", path.display()))
            };
            let whole = run(file.len());
            assert!(whole.tcp_packets > 0, "{}: no TCP", path.display());
            // Cut in the middle of a record: what came before it is used.
            let cut = run(file.len() / 2 + 7);
            assert!(
                cut.packets > 0 && cut.packets < whole.packets,
                "{}: {} packets cut short, {} whole",
                path.display(),
                cut.packets,
                whole.packets
            );
        }
        read += 1;
    }
    assert!(read >= 8, "only {read} captures in {}", dir.display());
}
