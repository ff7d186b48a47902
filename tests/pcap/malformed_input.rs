//! Damaged input never crashes kinspect: every file under
//! `../shared/corpus/malformed` (read in place), the damaged nDPI captures,
//! and inputs damaged on purpose in a temporary folder. Each run has a time
//! limit (a hang fails), must not panic, and exits 0 or 2 — never 101.
//! Damage after the header keeps everything before it and is reported once,
//! naming the file and the offset; an unreadable header is one error line.

use std::path::{Path, PathBuf};

use crate::common::{Run, assert_no_crash, json_lines, run_pcap};
use etherparse::PacketBuilder;

use crate::common;

/// Damaged captures outside `malformed/`.
const DAMAGED_NDPI: &[&str] = &[
    // Cut short in the middle of its second record.
    "ndpi/fuzz-2021-10-13.pcap",
    // Fuzzed TLS payloads (ESNI extension).
    "ndpi/tls-esni-fuzzed.pcap",
    // TLS records that made nDPI read out of bounds.
    "ndpi/tls_invalid_reads.pcap",
];

/// The corpus files whose header cannot be read, with what the error must say.
const BAD_HEADERS: &[(&str, &[&str])] = &[
    (
        "malformed/libpcap/linktype-reserved-field-not-zero.pcap",
        &["link-type field 0x00300000 has reserved bits set"],
    ),
    (
        "malformed/libpcap/pcap-invalid-version-1.pcap",
        &["unsupported pcap version 1.4"],
    ),
    (
        "malformed/libpcap/pcapng-invalid-vers-1.pcapng",
        &["unsupported pcapng version 0.1"],
    ),
    (
        "malformed/libpcap/shb-option-too-long.pcapng",
        &["section header block is damaged", "length 12336"],
    ),
];

/// Every line on stderr that reports a problem names the file.
fn assert_problems_name_the_file(what: &str, run: &Run, path: &Path) {
    let shown = path.display().to_string();
    for line in run.stderr_lines() {
        if line.contains("error") || line.contains("warning") {
            assert!(
                line.contains(&shown),
                "{what}: message does not name the file {shown}: {line}"
            );
        }
    }
}

/// The only stderr line that is a warning; fails unless there is exactly one.
fn the_warning<'a>(what: &str, run: &'a Run) -> &'a str {
    let warnings: Vec<&str> = run
        .stderr_lines()
        .into_iter()
        .filter(|l| l.contains("warning"))
        .collect();
    assert_eq!(
        warnings.len(),
        1,
        "{what}: expected exactly one warning line\n{}",
        run.describe()
    );
    warnings[0]
}

#[test]
fn every_damaged_corpus_file_is_handled_without_crash_or_hang() {
    let corpus = require_corpus!();
    let mut files = common::captures_under(&corpus, &corpus.join("malformed"));
    assert!(
        files.len() >= 11,
        "expected the malformed corpus, found only {files:?}"
    );
    files.extend(DAMAGED_NDPI.iter().map(|s| s.to_string()));
    for rel in &files {
        let path = corpus.join(rel);
        assert!(path.is_file(), "{rel} is missing from the corpus");
        for command in ["flows", "events"] {
            for json in [false, true] {
                let what = format!("pcap {command}{} {rel}", if json { " -o json" } else { "" });
                let run = run_pcap(command, json, &[&path]);
                assert_no_crash(&what, &run);
                assert_problems_name_the_file(&what, &run, &path);
                if json {
                    // Whatever was read is still valid JSON Lines.
                    json_lines(&what, &run.stdout);
                }
                if run.code == Some(2) {
                    assert!(
                        !run.stderr_lines().is_empty(),
                        "{what}: exit code 2 without a message\n{}",
                        run.describe()
                    );
                }
            }
        }
        eprintln!("ok: {rel}");
    }
}

#[test]
fn unreadable_headers_give_one_error_line_and_no_output() {
    let corpus = require_corpus!();
    let summary = common::oracle_summary(&corpus);
    // Every file in malformed/libpcap has an expectation here.
    let listed = common::captures_under(&corpus, &corpus.join("malformed/libpcap"));
    let expected: Vec<String> = BAD_HEADERS.iter().map(|(f, _)| f.to_string()).collect();
    assert_eq!(listed, expected, "malformed/libpcap changed");

    for (rel, reasons) in BAD_HEADERS {
        let path = corpus.join(rel);
        // tshark cannot read these either.
        let read_error = summary
            .get(*rel)
            .map(|e| e.read_error.clone())
            .unwrap_or_default();
        assert!(
            !read_error.is_empty(),
            "{rel}: the oracle says tshark reads it"
        );
        for command in ["flows", "events"] {
            for json in [false, true] {
                let what = format!("pcap {command}{} {rel}", if json { " -o json" } else { "" });
                let run = run_pcap(command, json, &[&path]);
                assert_no_crash(&what, &run);
                assert_eq!(run.code, Some(2), "{what}\n{}", run.describe());
                assert_eq!(run.stdout, "", "{what}: stdout must be empty");
                let lines = run.stderr_lines();
                assert_eq!(
                    lines.len(),
                    1,
                    "{what}: one stderr line\n{}",
                    run.describe()
                );
                assert!(
                    lines[0].contains(&path.display().to_string()),
                    "{what}: {}",
                    lines[0]
                );
                for reason in *reasons {
                    assert!(
                        lines[0].contains(reason),
                        "{what}: no {reason:?} in {}",
                        lines[0]
                    );
                }
            }
        }
        // A bad header stops the run even when other files are fine.
        let good = corpus.join("wireshark/http-ooo.pcap");
        let run = run_pcap("flows", true, &[&good, &path]);
        assert_eq!(
            run.code,
            Some(2),
            "{rel} after a good file\n{}",
            run.describe()
        );
        assert_eq!(
            run.stdout, "",
            "{rel} after a good file: stdout must be empty"
        );
        assert_eq!(run.stderr_lines().len(), 1, "{rel}\n{}", run.describe());
    }
}

#[test]
fn capture_cut_short_keeps_every_packet_before_the_damage() {
    let corpus = require_corpus!();
    let rel = "ndpi/fuzz-2021-10-13.pcap";
    let path = corpus.join(rel);
    let oracle = std::fs::read_to_string(common::oracle_path(&path)).unwrap();
    // capinfos/tshark read 1 packet before the file ends mid-record.
    let tshark_packets = common::oracle_packet_count(&oracle).expect("capinfos packet count");
    assert_eq!(tshark_packets, 1);
    assert!(oracle.contains("appears to have been cut short in the middle of a packet"));

    // Table output: the summary on stdout, the damage on stderr.
    let run = run_pcap("flows", false, &[&path]);
    assert_no_crash(rel, &run);
    assert_eq!(run.code, Some(2), "{rel}\n{}", run.describe());
    assert_eq!(
        common::summary_packets(&run.stdout),
        Some(tshark_packets),
        "{rel}: packets before the damage\n{}",
        run.describe()
    );
    assert_eq!(run.stderr_lines().len(), 1, "{rel}\n{}", run.describe());
    let warning = the_warning(rel, &run);
    assert!(warning.contains(&path.display().to_string()), "{warning}");
    // Version 2.0 pcap: orig_len comes before incl_len, so the first record
    // holds 197 bytes and ends at 24 + 16 + 197 = 237; the next record
    // header needs 16 bytes and the file has 2 left.
    assert!(warning.contains("truncated at offset 237"), "{warning}");
    assert!(warning.contains("1 packets read before it"), "{warning}");

    // JSON: one object per flow on stdout (none: the packet is not IP),
    // the summary and the one warning on stderr.
    for command in ["flows", "events"] {
        let run = run_pcap(command, true, &[&path]);
        assert_eq!(run.code, Some(2), "{rel}\n{}", run.describe());
        assert!(json_lines(rel, &run.stdout).is_empty());
        assert_eq!(common::summary_packets(&run.stderr), Some(tshark_packets));
        assert!(the_warning(rel, &run).contains("offset 237"));
    }
}

// ---------------------------------------------------------------------------
// Inputs damaged on purpose.

const CLIENT: [u8; 4] = [10, 0, 0, 1];
const SERVER: [u8; 4] = [10, 0, 0, 2];

/// A three-way handshake, client 10.0.0.1:40000 to server 10.0.0.2:2379.
fn handshake() -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    let syn = PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4(CLIENT, SERVER, 64)
        .tcp(40000, 2379, 1000, 65535)
        .syn();
    let mut f = Vec::new();
    syn.write(&mut f, &[]).unwrap();
    frames.push(f);
    let syn_ack = PacketBuilder::ethernet2([2; 6], [1; 6])
        .ipv4(SERVER, CLIENT, 64)
        .tcp(2379, 40000, 5000, 65535)
        .syn()
        .ack(1001);
    let mut f = Vec::new();
    syn_ack.write(&mut f, &[]).unwrap();
    frames.push(f);
    let ack = PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4(CLIENT, SERVER, 64)
        .tcp(40000, 2379, 1001, 65535)
        .ack(5001);
    let mut f = Vec::new();
    ack.write(&mut f, b"hello").unwrap();
    frames.push(f);
    frames
}

/// A classic little-endian µs pcap (Ethernet); returns the bytes and the
/// offset of each record.
fn pcap(frames: &[Vec<u8>]) -> (Vec<u8>, Vec<usize>) {
    let mut out = Vec::new();
    out.extend(0xa1b2_c3d4u32.to_le_bytes());
    out.extend(2u16.to_le_bytes());
    out.extend(4u16.to_le_bytes());
    out.extend(0i32.to_le_bytes());
    out.extend(0u32.to_le_bytes());
    out.extend(65535u32.to_le_bytes());
    out.extend(1u32.to_le_bytes());
    let mut offsets = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        offsets.push(out.len());
        out.extend(1_700_000_000u32.to_le_bytes());
        out.extend((i as u32 * 1000).to_le_bytes());
        out.extend((f.len() as u32).to_le_bytes());
        out.extend((f.len() as u32).to_le_bytes());
        out.extend_from_slice(f);
    }
    (out, offsets)
}

fn pcapng_block(block_type: u32, body: &[u8]) -> Vec<u8> {
    let padded = body.len().div_ceil(4) * 4;
    let len = (12 + padded) as u32;
    let mut out = Vec::new();
    out.extend(block_type.to_le_bytes());
    out.extend(len.to_le_bytes());
    out.extend_from_slice(body);
    out.resize(8 + padded, 0);
    out.extend(len.to_le_bytes());
    out
}

/// A little-endian pcapng with one Ethernet interface; each frame goes in an
/// EPB on the given interface id. Returns the bytes and each EPB's offset.
fn pcapng(frames: &[(u32, &[u8])]) -> (Vec<u8>, Vec<usize>) {
    let mut shb = Vec::new();
    shb.extend(0x1A2B_3C4Du32.to_le_bytes());
    shb.extend(1u16.to_le_bytes());
    shb.extend(0u16.to_le_bytes());
    shb.extend(u64::MAX.to_le_bytes());
    let mut out = pcapng_block(0x0A0D_0D0A, &shb);
    let mut idb = Vec::new();
    idb.extend(1u16.to_le_bytes());
    idb.extend(0u16.to_le_bytes());
    idb.extend(0u32.to_le_bytes());
    out.extend(pcapng_block(1, &idb));
    let mut offsets = Vec::new();
    for (i, (iface, f)) in frames.iter().enumerate() {
        let ts = 1_700_000_000_000_000u64 + i as u64 * 1000;
        let mut epb = Vec::new();
        epb.extend(iface.to_le_bytes());
        epb.extend(((ts >> 32) as u32).to_le_bytes());
        epb.extend((ts as u32).to_le_bytes());
        epb.extend((f.len() as u32).to_le_bytes());
        epb.extend((f.len() as u32).to_le_bytes());
        epb.extend_from_slice(f);
        offsets.push(out.len());
        out.extend(pcapng_block(6, &epb));
    }
    (out, offsets)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A file whose header is fine but which is damaged later: exit 2, the
/// packets before the damage are all there, one warning naming the file,
/// the offset and `needles`.
fn assert_partial(path: &Path, packets_before: u64, offset: usize, needles: &[&str]) {
    let what = path.display().to_string();
    // Table: summary on stdout, exactly one stderr line (the warning).
    let run = run_pcap("flows", false, &[path]);
    assert_no_crash(&what, &run);
    assert_eq!(run.code, Some(2), "{what}\n{}", run.describe());
    assert_eq!(
        common::summary_packets(&run.stdout),
        Some(packets_before),
        "{what}\n{}",
        run.describe()
    );
    assert_eq!(run.stderr_lines().len(), 1, "{what}\n{}", run.describe());
    let warning = the_warning(&what, &run);
    assert!(warning.contains(&what), "{warning}");
    assert!(warning.contains(&format!("offset {offset}:")), "{warning}");
    for n in needles {
        assert!(warning.contains(n), "no {n:?} in {warning}");
    }

    // JSON: the connection is listed with every packet read before the damage.
    let run = run_pcap("flows", true, &[path]);
    assert_eq!(run.code, Some(2), "{what}\n{}", run.describe());
    let flows = json_lines(&what, &run.stdout);
    if packets_before == 0 {
        assert!(flows.is_empty(), "{what}: {flows:?}");
    } else {
        assert_eq!(flows.len(), 1, "{what}\n{}", run.describe());
        assert_eq!(flows[0]["client"], "10.0.0.1:40000");
        assert_eq!(flows[0]["server"], "10.0.0.2:2379");
        assert_eq!(flows[0]["packets"], packets_before);
        assert_eq!(flows[0]["handshake"], true);
    }
    assert!(the_warning(&what, &run).contains(&format!("offset {offset}:")));

    let run = run_pcap("events", true, &[path]);
    assert_no_crash(&what, &run);
    assert_eq!(run.code, Some(2), "{what}\n{}", run.describe());
    let opens = json_lines(&what, &run.stdout)
        .iter()
        .filter(|e| e["type"] == "connection_open")
        .count();
    assert_eq!(opens, usize::from(packets_before > 0), "{what}");
    the_warning(&what, &run);
}

/// A file that is not a capture at all: exit 2, nothing on stdout, one line.
fn assert_rejected(path: &Path, needle: &str) {
    let what = path.display().to_string();
    for command in ["flows", "events"] {
        for json in [false, true] {
            let run = run_pcap(command, json, &[path]);
            assert_no_crash(&what, &run);
            assert_eq!(run.code, Some(2), "{what}\n{}", run.describe());
            assert_eq!(run.stdout, "", "{what}");
            let lines = run.stderr_lines();
            assert_eq!(lines.len(), 1, "{what}\n{}", run.describe());
            assert!(lines[0].starts_with("kinspect: error: "), "{}", lines[0]);
            assert!(lines[0].contains(&what), "{}", lines[0]);
            assert!(lines[0].contains(needle), "no {needle:?} in {}", lines[0]);
        }
    }
}

#[test]
fn hand_built_damage_is_reported_with_file_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let frames = handshake();

    // The undamaged file reads cleanly: the baseline for what follows.
    let (whole, offsets) = pcap(&frames);
    let ok = write(d, "whole.pcap", &whole);
    let run = run_pcap("flows", true, &[&ok]);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let flows = json_lines("whole.pcap", &run.stdout);
    assert_eq!(flows.len(), 1);
    assert_eq!(flows[0]["packets"], 3);

    // 3 bytes: too short for any header.
    let short = write(d, "three-bytes.pcap", &whole[..3]);
    assert_rejected(
        &short,
        "file is 3 bytes long, too short for a pcap or pcapng header",
    );

    // A text file under a capture's name.
    let text = write(d, "notes.pcap", b"these are not packets\njust some text\n");
    assert_rejected(&text, "unknown magic number 0x73656874");

    // An empty file.
    let empty = write(d, "empty.pcapng", b"");
    assert_rejected(&empty, "file is 0 bytes long");

    // The 3rd record claims 0xFFFFFFF0 captured bytes: not an allocation,
    // a malformed record at its own offset; the first two are kept.
    let mut huge = whole.clone();
    let at = offsets[2] + 8;
    huge[at..at + 4].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    let huge = write(d, "huge-caplen.pcap", &huge);
    assert_partial(
        &huge,
        2,
        offsets[2],
        &["malformed block", "captured length of 4294967280 bytes"],
    );

    // Cut in the middle of the 3rd record's data.
    let cut_at = offsets[2] + 16 + frames[2].len() / 2;
    let cut = write(d, "cut.pcap", &whole[..cut_at]);
    assert_partial(
        &cut,
        2,
        offsets[2],
        &["truncated", "2 packets read before it"],
    );

    // Cut in the middle of the 3rd record's header.
    let cut = write(d, "cut-header.pcap", &whole[..offsets[2] + 7]);
    assert_partial(
        &cut,
        2,
        offsets[2],
        &[
            "truncated",
            "packet record header needs 16 bytes, only 7 left",
        ],
    );

    // pcapng: the 3rd EPB names interface 5, the section describes one.
    let (ng, epbs) = pcapng(&[(0, &frames[0]), (0, &frames[1]), (5, &frames[2])]);
    let ng = write(d, "missing-interface.pcapng", &ng);
    assert_partial(
        &ng,
        2,
        epbs[2],
        &["packet refers to interface 5 but the section describes 1"],
    );

    // pcapng cut in the middle of the 3rd EPB.
    let (ng, epbs) = pcapng(&[(0, &frames[0]), (0, &frames[1]), (0, &frames[2])]);
    let ng = write(d, "cut.pcapng", &ng[..epbs[2] + 20]);
    assert_partial(&ng, 2, epbs[2], &["truncated", "pcapng block needs"]);

    // Several files, one damaged: the others are read in full and the
    // damaged one is named in the single warning.
    let (other, _) = pcap(&[frames[0].clone()]);
    let other = write(d, "other.pcap", &other);
    let run = run_pcap("flows", false, &[&other, &huge]);
    assert_no_crash("two files", &run);
    assert_eq!(run.code, Some(2), "{}", run.describe());
    assert_eq!(
        common::summary_packets(&run.stdout),
        Some(3),
        "{}",
        run.describe()
    );
    assert!(the_warning("two files", &run).contains(&huge.display().to_string()));
}

/// One TCP segment from the client (10.0.0.1:40000) to the etcd client
/// port (10.0.0.2:2379) at sequence number `seq`.
fn client_segment(seq: u32, payload: &[u8]) -> Vec<u8> {
    let b = PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4(CLIENT, SERVER, 64)
        .tcp(40000, 2379, seq, 65535)
        .ack(5001);
    let mut f = Vec::new();
    b.write(&mut f, payload).unwrap();
    f
}

/// An HTTP/2 DATA frame on stream 1.
fn data_frame(payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut f = vec![
        (len >> 16) as u8,
        (len >> 8) as u8,
        len as u8,
        0,
        0,
        0,
        0,
        0,
        1,
    ];
    f.extend_from_slice(payload);
    f
}

/// A gRPC length-prefixed message.
fn grpc_message(body: &[u8]) -> Vec<u8> {
    let mut m = vec![0];
    m.extend((body.len() as u32).to_be_bytes());
    m.extend_from_slice(body);
    m
}

/// Issue 15: after a TCP gap in the middle of a gRPC message, the next
/// DATA frame began with the tail of another message, whose bytes were
/// read as a length prefix and reported as a made-up `grpc_message`
/// (118363420 bytes in a real capture). The capture is built here: a
/// 40-byte message is cut by a 1,000-byte gap; the frame after the gap
/// starts with bytes that read as a 300-byte prefix; then a whole 5-byte
/// and a whole 295-byte message. Only the two real ones are reported
/// (the gRPC framing rule: grpc/doc/PROTOCOL-HTTP2.md, Length-Prefixed-Message).
#[test]
fn grpc_after_a_gap_never_reports_a_length_read_mid_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut frames: Vec<Vec<u8>> = handshake().into_iter().take(2).collect();
    let mut first = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    first.extend([0, 0, 0, 4, 0, 0, 0, 0, 0]); // empty SETTINGS
    // A DATA frame announcing the whole 45-byte message; only its prefix
    // and 10 body bytes arrive before the gap.
    let whole = data_frame(&grpc_message(&[0x07; 40]));
    first.extend_from_slice(&whole[..9 + 5 + 10]);
    let mut seq = 1001u32;
    frames.push(client_segment(seq, &first));
    seq += first.len() as u32 + 1000; // the gap
    let mut after = data_frame(&[0x00, 0x00, 0x00, 0x01, 0x2c, 9, 9, 9, 9, 9, 9, 9, 9]);
    after.extend(data_frame(&grpc_message(b"hello")));
    after.extend(data_frame(&grpc_message(&[0x42; 295])));
    frames.push(client_segment(seq, &after));
    let (bytes, _) = pcap(&frames);
    let path = write(dir.path(), "gap.pcap", &bytes);
    let run = run_pcap("events", true, &[&path]);
    assert_no_crash("gap.pcap", &run);
    let events = json_lines("gap.pcap", &run.stdout);
    assert!(
        events.iter().any(|e| e["type"] == "gap"),
        "the gap is reported: {}",
        run.describe()
    );
    let lengths: Vec<u64> = events
        .iter()
        .filter(|e| e["type"] == "grpc_message")
        .filter_map(|e| e["length"].as_u64())
        .collect();
    assert_eq!(lengths, vec![5, 295], "{}", run.describe());
}

/// A pcapng option that runs past the end of its block is damage
/// (libpcap and Wireshark reject the block: pcapng spec, section 3.5
/// Options): the packet before it is kept and the error names the file and
/// the block's offset.
#[test]
fn pcapng_packet_option_past_its_block_is_reported_with_offset() {
    let dir = tempfile::tempdir().unwrap();
    let frames = handshake();
    let (good, offsets) = pcapng(&[(0, &frames[0]), (0, &frames[1]), (0, &frames[2])]);
    // Give the third EPB an option claiming 200 bytes in a 4-byte area:
    // grow the block by 8 bytes of options (code 1, length 200, 4 bytes).
    let at = offsets[2];
    let mut bad = good[..at].to_vec();
    let old_len = u32::from_le_bytes(good[at + 4..at + 8].try_into().unwrap()) as usize;
    let body = &good[at + 8..at + old_len - 4];
    let new_len = (old_len + 8) as u32;
    bad.extend(6u32.to_le_bytes());
    bad.extend(new_len.to_le_bytes());
    bad.extend_from_slice(body);
    bad.extend([1, 0, 200, 0, b'x', 0, 0, 0]);
    bad.extend(new_len.to_le_bytes());
    bad.extend_from_slice(&good[at + old_len..]);
    let path = write(dir.path(), "option.pcapng", &bad);
    assert_partial(
        &path,
        2,
        at,
        &[
            "enhanced packet block is damaged",
            "option 1 has length 200",
        ],
    );
}
