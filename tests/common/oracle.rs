//! Outside oracles run at test time: tshark fields, capinfos figures and
//! frame times read as integer nanoseconds, so tests compare kinspect's
//! numbers with what Wireshark's tools say about the same file.
//!
//! Callers check that the tool is installed first (`common::have_tool`),
//! which records a skip when it is not.

use std::path::Path;
use std::process::Command;

/// `tshark -n -r FILE EXTRA... -T fields -e F1 -e F2 ...`: one row per
/// packet, one column per field (tab-separated by tshark).
pub fn tshark_fields(file: &Path, extra: &[&str], fields: &[&str]) -> Vec<Vec<String>> {
    let mut cmd = Command::new("tshark");
    cmd.args(["-n", "-r"])
        .arg(file)
        .args(extra)
        .args(["-T", "fields"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("tshark runs");
    assert!(
        out.status.success(),
        "tshark on {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

/// tshark's `frame.time_epoch` (`1672990747.196521000`) in nanoseconds,
/// without going through a float.
pub fn epoch_ns(t: &str) -> i128 {
    let (s, frac) = t.split_once('.').unwrap_or((t, "0"));
    let frac = format!("{frac:0<9}");
    s.parse::<i128>().expect("seconds") * 1_000_000_000
        + frac[..9].parse::<i128>().expect("fraction")
}

/// A number of `capinfos -M FLAG FILE`, from the line starting with
/// `label` (e.g. `-c`, `Number of packets:`; `-d`, `Data size:`).
pub fn capinfos_number(file: &Path, flag: &str, label: &str) -> u64 {
    let out = Command::new("capinfos")
        .args(["-M", flag])
        .arg(file)
        .output()
        .expect("capinfos runs");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("capinfos {flag} {}: no {label:?} in {text}", file.display()))
}

/// SHA-256 of `input` by `openssl dgst -sha256`, lowercase hex.
pub fn openssl_sha256(input: &str) -> String {
    use std::io::Write;
    let mut child = Command::new("openssl")
        .args(["dgst", "-sha256", "-r"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("openssl runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write to openssl");
    let out = child.wait_with_output().expect("openssl output");
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace().next().expect("digest").to_string()
}

/// GREASE values (RFC 8701): 0x0a0a, 0x1a1a, ... 0xfafa.
fn grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && v >> 8 == v & 0xff
}

/// JA4 of every TLS ClientHello in FILE, built from the fields tshark
/// decodes (version, supported_versions, SNI, cipher suites, extension
/// types, signature algorithms, ALPN) by the rules of FoxIO's
/// technical_details/JA4.md, with SHA-256 from openssl. tshark 4.0 has no
/// JA4 field of its own; this is the independent computation.
pub fn tshark_ja4(file: &Path, extra: &[&str]) -> Vec<String> {
    let mut args = extra.to_vec();
    args.extend(["-Y", "tls.handshake.type == 1"]);
    let rows = tshark_fields(
        file,
        &args,
        &[
            "tls.handshake.version",
            "tls.handshake.extensions.supported_version",
            "tls.handshake.extensions_server_name",
            "tls.handshake.ciphersuite",
            "tls.handshake.extension.type",
            "tls.handshake.sig_hash_alg",
            "tls.handshake.extensions_alpn_str",
        ],
    );
    let nums = |s: &str| -> Vec<u16> {
        s.split(',')
            .filter(|v| !v.is_empty())
            .map(|v| match v.strip_prefix("0x") {
                Some(h) => u16::from_str_radix(h, 16).expect("hex"),
                None => v.parse().expect("decimal"),
            })
            .filter(|v| !grease(*v))
            .collect()
    };
    let hash12 = |s: &str| {
        if s.is_empty() {
            "000000000000".to_string()
        } else {
            openssl_sha256(s)[..12].to_string()
        }
    };
    let hex_list = |v: &[u16]| {
        v.iter()
            .map(|x| format!("{x:04x}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    rows.iter()
        .map(|r| {
            let version = nums(&r[1])
                .into_iter()
                .max()
                .or_else(|| nums(&r[0]).first().copied());
            let version = match version {
                Some(0x0304) => "13",
                Some(0x0303) => "12",
                Some(0x0302) => "11",
                Some(0x0301) => "10",
                Some(0x0300) => "s3",
                _ => "00",
            };
            let sni = if r[2].is_empty() { 'i' } else { 'd' };
            let ciphers = nums(&r[3]);
            let exts = nums(&r[4]);
            let alpn = r[6].split(',').next().unwrap_or("");
            let alpn = match (alpn.chars().next(), alpn.chars().last()) {
                (Some(f), Some(l)) if f.is_ascii_alphanumeric() && l.is_ascii_alphanumeric() => {
                    format!("{f}{l}")
                }
                (Some(_), Some(_)) => {
                    let b = alpn.as_bytes();
                    let (f, l) = (format!("{:02x}", b[0]), format!("{:02x}", b[b.len() - 1]));
                    format!("{}{}", &f[..1], &l[1..])
                }
                _ => "00".to_string(),
            };
            let mut sorted_ciphers = ciphers.clone();
            sorted_ciphers.sort_unstable();
            let mut sorted_exts: Vec<u16> = exts
                .iter()
                .copied()
                .filter(|e| *e != 0 && *e != 16)
                .collect();
            sorted_exts.sort_unstable();
            let sigs = nums(&r[5]);
            let mut c_input = hex_list(&sorted_exts);
            if !sigs.is_empty() {
                c_input.push('_');
                c_input.push_str(&hex_list(&sigs));
            }
            format!(
                "t{version}{sni}{:02}{:02}{alpn}_{}_{}",
                ciphers.len().min(99),
                exts.len().min(99),
                hash12(&hex_list(&sorted_ciphers)),
                hash12(&c_input)
            )
        })
        .collect()
}

/// tshark's own names for the values of `field` (`tshark -G values`, the
/// value_string tables compiled into Wireshark's dissectors): value →
/// name, e.g. `tls.alert_message.desc` 70 → `Protocol Version`. The TLS
/// tables are read once per test binary.
pub fn tshark_value_name(field: &str, value: u64) -> Option<String> {
    use std::collections::HashMap;
    use std::sync::OnceLock;
    static TABLE: OnceLock<HashMap<(String, u64), String>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let out = Command::new("tshark")
            .args(["-G", "values"])
            .output()
            .expect("tshark -G values");
        let mut m = HashMap::new();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let c: Vec<&str> = line.split('\t').collect();
            if c.len() != 4 || c[0] != "V" || !c[1].starts_with("tls.") {
                continue;
            }
            let v = match c[2].strip_prefix("0x") {
                Some(h) => u64::from_str_radix(h, 16).ok(),
                None => c[2].parse().ok(),
            };
            if let Some(v) = v {
                m.insert((c[1].to_string(), v), c[3].to_string());
            }
        }
        assert!(!m.is_empty(), "tshark -G values gave no tls.* value names");
        m
    });
    table.get(&(field.to_string(), value)).cloned()
}

/// `Protocol Version` → `protocol_version` (the IANA registry's spelling
/// of TLS alert names, which kinspect prints).
pub fn snake_words(name: &str) -> String {
    name.split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join("_")
}

/// The `-o NAME:VALUE` and `-d RULE` options of a tshark command line as
/// the corpus oracle files record it (`$ tshark -n -r capture.pcap -o
/// tls.keylog_file:keylog.txt ...`); file names in them are relative to
/// the capture's folder.
pub fn tshark_options(command_line: &str) -> Vec<String> {
    let words: Vec<&str> = command_line.split_whitespace().collect();
    let mut out = Vec::new();
    for pair in words.windows(2) {
        if pair[0] == "-o" || pair[0] == "-d" {
            out.push(pair[0].to_string());
            out.push(pair[1].trim_matches('\'').to_string());
        }
    }
    out
}

/// The decrypted application data of TCP stream `stream` as tshark's
/// `-z follow,tls,raw,N` prints it, run in `dir` (so key files named in
/// `opts` resolve there): (client → server bytes, server → client bytes).
pub fn tshark_follow_tls(dir: &Path, file: &str, opts: &[&str], stream: u32) -> (Vec<u8>, Vec<u8>) {
    let out = Command::new("tshark")
        .current_dir(dir)
        .args(["-n", "-r", file])
        .args(opts)
        .args(["-q", "-z", &format!("follow,tls,raw,{stream}")])
        .output()
        .expect("tshark runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    // tshark's node 0 is whoever sent the first data; the client is the
    // sender of the stream's ClientHello.
    let hello = Command::new("tshark")
        .current_dir(dir)
        .args(["-n", "-r", file])
        .args(opts)
        .args([
            "-Y",
            &format!("tcp.stream == {stream} && tls.handshake.type == 1"),
        ])
        .args(["-T", "fields", "-e", "tcp.srcport"])
        .output()
        .expect("tshark runs");
    let client_port = String::from_utf8_lossy(&hello.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    let node0_is_client = text
        .lines()
        .find_map(|l| l.strip_prefix("Node 0: "))
        .is_some_and(|addr| addr.ends_with(&format!(":{client_port}")));
    let (mut client, mut server) = (Vec::new(), Vec::new());
    let mut body = false;
    for line in text.lines() {
        if line.starts_with("Node 1:") {
            body = true;
            continue;
        }
        if !body || line.starts_with("====") {
            continue;
        }
        let (node1, hex) = match line.strip_prefix('\t') {
            Some(h) => (true, h),
            None => (false, line),
        };
        let to = if node1 == node0_is_client {
            &mut server
        } else {
            &mut client
        };
        to.extend(hex::decode(hex.trim()).expect("tshark follow hex"));
    }
    (client, server)
}

/// `tshark -z follow,PROTO,raw,N` of FILE: the bytes of tshark's node 0
/// (the side of the stream's first packet) and of node 1.
pub fn tshark_follow_nodes(file: &Path, proto: &str, stream: u32) -> (Vec<u8>, Vec<u8>) {
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(file)
        .args(["-q", "-z", &format!("follow,{proto},raw,{stream}")])
        .output()
        .expect("tshark runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let (mut node0, mut node1) = (Vec::new(), Vec::new());
    let mut body = false;
    for line in text.lines() {
        if line.starts_with("Node 1:") {
            body = true;
            continue;
        }
        if !body || line.starts_with("====") || line.trim().is_empty() {
            continue;
        }
        match line.strip_prefix('\t') {
            Some(h) => node1.extend(hex::decode(h.trim()).expect("tshark follow hex")),
            None => node0.extend(hex::decode(line.trim()).expect("tshark follow hex")),
        }
    }
    (node0, node1)
}
