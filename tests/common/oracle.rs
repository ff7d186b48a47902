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
