//! Helpers shared by the corpus tests: where the third-party corpus lives,
//! running the built `kinspect` binary with a time limit, and reading the
//! tshark/capinfos oracle files that sit next to each capture.
//!
//! The corpus is read in place (`../shared/corpus`, relative to the crate)
//! and never copied into the repository.

#![allow(dead_code)]

pub mod etcd;
pub mod lo_capture;
pub mod oracle;
pub mod single_etcd;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The corpus folder, relative to the crate root.
pub const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus");

/// A run that does not finish in this time counts as a hang.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// Extensions of capture files in the corpus.
pub const CAPTURE_EXTENSIONS: [&str; 3] = ["pcap", "pcapng", "cap"];

/// The corpus folder, or `None` after recording a skip (see [`skip`]).
pub fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(CORPUS);
    if dir.is_dir() {
        Some(dir)
    } else {
        skip_for(
            "corpus",
            &format!("../shared/corpus not found (looked in {CORPUS})"),
        );
        None
    }
}

/// Where skips are recorded when `KINSPECT_SKIP_LOG` is not set.
pub const DEFAULT_SKIP_LOG: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/kinspect-skips.log");

/// Records that the calling test did not (fully) run, and why; the caller
/// then returns. Every skip in the suite goes through here:
///
/// - it prints `SKIP: <binary>::<test>: <reason>` on stderr;
/// - it appends `<binary>::<test>\t<reason>` to `$KINSPECT_SKIP_LOG` (or
///   [`DEFAULT_SKIP_LOG`]), which `scripts/test` counts and prints at the end;
/// - with `KINSPECT_TEST_REQUIRE_ALL=1` (set by `scripts/test` when it runs as
///   root with the test packages installed) it panics instead, naming the
///   test and the reason, so CI cannot pass on a skip.
pub fn skip(reason: &str) {
    skip_for("other", reason);
}

/// [`skip`] with a kind: `KINSPECT_TEST_ALLOW_SKIP=corpus,...` lets a
/// `KINSPECT_TEST_REQUIRE_ALL=1` run skip the listed kinds (scripts/test
/// allows `corpus` when ../shared/corpus is absent).
pub fn skip_for(kind: &str, reason: &str) {
    let test = test_name();
    let reason = reason.replace(['\n', '\t'], " ");
    let required = std::env::var("KINSPECT_TEST_REQUIRE_ALL").is_ok_and(|v| v == "1");
    let allowed = std::env::var("KINSPECT_TEST_ALLOW_SKIP")
        .is_ok_and(|v| v.split(',').any(|k| k.trim() == kind));
    if required && !allowed {
        panic!(
            "{test} would be skipped ({reason}), but KINSPECT_TEST_REQUIRE_ALL=1 requires it to run"
        );
    }
    eprintln!("SKIP: {test}: {reason}");
    let log = std::env::var_os("KINSPECT_SKIP_LOG")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_SKIP_LOG));
    // One write per line with O_APPEND: lines from parallel tests stay whole.
    let line = format!("{test}\t{reason}\n");
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()));
    if let Err(e) = written {
        eprintln!("note: cannot record the skip in {}: {e}", log.display());
    }
}

/// `binary::test`, from the crate name and libtest's thread name.
fn test_name() -> String {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("?");
    format!("{}::{test}", env!("CARGO_CRATE_NAME"))
}

/// True if `tool` can be started (`tool ARG` exits 0); otherwise records a
/// skip naming it. Tools from scripts/lib/deps.sh's TEST_PACKAGES are
/// installed in CI, so there this never skips.
pub fn have_tool(tool: &str, arg: &str) -> bool {
    let ok = Command::new(tool)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        skip_for(
            "tool",
            &format!("{tool} not installed (scripts/test installs it)"),
        );
    }
    ok
}

/// True if an `etcd` binary is on PATH; otherwise records a skip.
pub fn have_etcd() -> bool {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join("etcd").is_file()))
        .unwrap_or(false);
    if !found {
        skip_for("tool", "no etcd binary (apt-get install etcd-server)");
    }
    found
}

/// True when running as root; otherwise records a skip saying what needs it.
pub fn have_root(what: &str) -> bool {
    let root = is_root();
    if !root {
        skip_for("root", &format!("{what} needs root"));
    }
    root
}

/// Evaluates to the corpus folder, or returns from the test after [`skip`].
#[macro_export]
macro_rules! require_corpus {
    () => {
        match common::corpus() {
            Some(dir) => dir,
            None => return,
        }
    };
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    /// `None` when the process was killed by a signal (or by our timeout).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
    pub elapsed: Duration,
}

impl Run {
    /// This run, failing the test if it was killed at its time limit.
    #[track_caller]
    pub fn finished(self) -> Run {
        assert!(
            !self.timed_out,
            "did not finish within its time limit: {}",
            self.describe()
        );
        self
    }

    /// (exit code, or -1 when a signal ended it; stdout; stderr).
    pub fn parts(self) -> (i32, String, String) {
        (self.code.unwrap_or(-1), self.stdout, self.stderr)
    }

    /// stdout as JSON Lines (panics on a line that is not JSON).
    pub fn json(&self) -> Vec<serde_json::Value> {
        self.stdout_lines()
            .into_iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
            .collect()
    }

    pub fn stderr_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect()
    }

    pub fn stdout_lines(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect()
    }

    /// Everything about the run, for assertion messages.
    pub fn describe(&self) -> String {
        format!(
            "exit code {:?}{} after {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code,
            if self.timed_out {
                " (killed: timeout)"
            } else {
                ""
            },
            self.elapsed,
            truncate(&self.stdout, 4000),
            truncate(&self.stderr, 4000)
        )
    }
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Runs the built binary with `args`, killing it after [`TIMEOUT`].
pub fn kinspect<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kinspect"));
    cmd.args(args);
    run_command(cmd, TIMEOUT)
}

/// [`kinspect`] run in the folder `cwd` (relative paths in `args` and in
/// what it prints are then relative to it).
pub fn kinspect_in<S: AsRef<std::ffi::OsStr>>(args: &[S], cwd: &Path) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kinspect"));
    cmd.args(args).current_dir(cwd);
    run_command(cmd, TIMEOUT)
}

/// Runs `cmd` to its end with stdin closed and both outputs collected,
/// killing it after `limit` (then `timed_out` is set).
pub fn run_command(mut cmd: Command, limit: Duration) -> Run {
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    // Drain both pipes on threads so a chatty child never blocks on a full pipe.
    let mut out = child.stdout.take().expect("stdout is piped");
    let mut err = child.stderr.take().expect("stderr is piped");
    let out_reader = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_reader = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let mut timed_out = false;
    let status = loop {
        match child.try_wait().expect("waiting for the child") {
            Some(status) => break status,
            None if started.elapsed() > limit => {
                timed_out = true;
                let _ = child.kill();
                break child.wait().expect("reaping the child");
            }
            None => thread::sleep(Duration::from_millis(10)),
        }
    };
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        timed_out,
        elapsed: started.elapsed(),
    }
}

/// Live (not zombie) etcd processes whose command line mentions `dir`:
/// what a lab in that folder left running.
pub fn etcd_processes_under(dir: &Path) -> Vec<i32> {
    let needle = dir.to_string_lossy().into_owned();
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    rd.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let zombie = stat
                .rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'));
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            !zombie && cmd.contains("etcd") && cmd.contains(&needle)
        })
        .collect()
}

/// `kinspect pcap COMMAND [-o json] FILE...`.
pub fn run_pcap(command: &str, json: bool, files: &[&Path]) -> Run {
    let mut args: Vec<std::ffi::OsString> = vec!["pcap".into(), command.into()];
    if json {
        args.extend(["-o".into(), "json".into()]);
    }
    args.extend(files.iter().map(|f| f.as_os_str().to_owned()));
    kinspect(&args)
}

/// Asserts the run neither hung, nor panicked, nor exited with 101 (Rust's
/// panic code), and that its exit code is 0 or 2. `what` names the input.
pub fn assert_no_crash(what: &str, run: &Run) {
    assert!(!run.timed_out, "{what}: hung (killed after {TIMEOUT:?})");
    assert!(
        !run.stderr.contains("panicked"),
        "{what}: panicked\n{}",
        run.describe()
    );
    assert_ne!(
        run.code,
        Some(101),
        "{what}: exit code 101\n{}",
        run.describe()
    );
    assert!(
        matches!(run.code, Some(0) | Some(2)),
        "{what}: exit code must be 0 or 2\n{}",
        run.describe()
    );
}

/// Every capture file under `dir`, recursively, sorted (paths relative to `root`).
pub fn captures_under(root: &Path, dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    walk(dir, &mut |p| {
        let is_capture = p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| CAPTURE_EXTENSIONS.contains(&e));
        if is_capture {
            let rel = p.strip_prefix(root).unwrap_or(p);
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    });
    out.sort();
    out
}

fn walk(dir: &Path, f: &mut dyn FnMut(&Path)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            walk(&p, f);
        } else {
            f(&p);
        }
    }
}

/// The oracle next to a capture: `x/name.pcap` → `x/name.oracle.txt`.
pub fn oracle_path(capture: &Path) -> PathBuf {
    let stem = capture
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    capture.with_file_name(format!("{stem}.oracle.txt"))
}

/// The text of one `## title` section of an oracle (up to the next `## `).
pub fn oracle_section<'a>(oracle: &'a str, title: &str) -> Option<&'a str> {
    let head = format!("## {title}\n");
    let start = oracle.find(&head)? + head.len();
    let rest = &oracle[start..];
    let end = rest.find("\n## ").map(|i| i + 1).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// `Number of packets:` from the oracle's capinfos section.
pub fn oracle_packet_count(oracle: &str) -> Option<u64> {
    let capinfos = oracle_section(oracle, "capinfos")?;
    capinfos.lines().find_map(|l| {
        l.trim()
            .strip_prefix("Number of packets:")
            .and_then(|v| v.trim().parse().ok())
    })
}

/// A byte count as tshark prints it: exact (`bytes`) or cut to a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TsharkBytes {
    pub value: u64,
    /// 1 for "bytes", 1000 for "kB", 10^6 for "MB", ...
    pub unit: u64,
}

impl TsharkBytes {
    fn parse(value: &str, unit: &str) -> Option<TsharkBytes> {
        let unit = match unit {
            "bytes" | "B" => 1,
            "kB" => 1_000,
            "MB" => 1_000_000,
            "GB" => 1_000_000_000,
            "TB" => 1_000_000_000_000,
            _ => return None,
        };
        Some(TsharkBytes {
            value: value.parse().ok()?,
            unit,
        })
    }

    /// True if tshark would print `exact` this way. tshark (wsutil
    /// `format_size`) divides with truncation, SI units (kB = 1000), and
    /// switches to a unit once the value in it reaches 10.
    pub fn matches(&self, exact: u64) -> bool {
        if self.unit == 1 {
            exact == self.value
        } else {
            exact / self.unit == self.value
        }
    }
}

impl std::fmt::Display for TsharkBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = match self.unit {
            1 => "bytes",
            1_000 => "kB",
            1_000_000 => "MB",
            1_000_000_000 => "GB",
            _ => "TB",
        };
        write!(f, "{} {unit}", self.value)
    }
}

/// One row of tshark's `-z conv,tcp` table.
#[derive(Debug, Clone)]
pub struct ConvRow {
    pub a: String,
    pub b: String,
    /// Frames and bytes B → A (the "<-" columns).
    pub frames_b_to_a: u64,
    pub bytes_b_to_a: TsharkBytes,
    /// Frames and bytes A → B (the "->" columns).
    pub frames_a_to_b: u64,
    pub bytes_a_to_b: TsharkBytes,
    pub frames: u64,
    pub bytes: TsharkBytes,
    /// Seconds since the first packet of the capture.
    pub rel_start: f64,
    pub duration: f64,
    /// The line as tshark printed it.
    pub line: String,
}

/// Parses the `## TCP conversations` section of an oracle. `Ok(None)` if
/// the oracle has no such section or tshark printed no table (it could not
/// read the file).
pub fn parse_tcp_conversations(oracle: &str) -> Result<Option<Vec<ConvRow>>, String> {
    let Some(section) = oracle_section(oracle, "TCP conversations") else {
        return Ok(None);
    };
    if !section.contains("TCP Conversations") {
        return Ok(None);
    }
    let mut rows = Vec::new();
    for line in section.lines().filter(|l| l.contains("<->")) {
        rows.push(parse_conv_line(line).ok_or_else(|| format!("cannot parse row: {line:?}"))?);
    }
    Ok(Some(rows))
}

/// `A <-> B  f bytes unit  f bytes unit  f bytes unit  start  duration`.
pub fn parse_conv_line(line: &str) -> Option<ConvRow> {
    let t: Vec<&str> = line.split_whitespace().collect();
    if t.len() != 14 || t[1] != "<->" {
        return None;
    }
    Some(ConvRow {
        a: t[0].to_string(),
        b: t[2].to_string(),
        frames_b_to_a: t[3].parse().ok()?,
        bytes_b_to_a: TsharkBytes::parse(t[4], t[5])?,
        frames_a_to_b: t[6].parse().ok()?,
        bytes_a_to_b: TsharkBytes::parse(t[7], t[8])?,
        frames: t[9].parse().ok()?,
        bytes: TsharkBytes::parse(t[10], t[11])?,
        rel_start: t[12].parse().ok()?,
        duration: t[13].parse().ok()?,
        line: line.trim().to_string(),
    })
}

/// One entry of `ORACLE-SUMMARY.json`.
#[derive(Debug, Clone)]
pub struct SummaryEntry {
    pub read_error: String,
    pub tcp_convs: Option<u64>,
    pub packets: Option<u64>,
}

/// `ORACLE-SUMMARY.json`, by file path relative to the corpus.
pub fn oracle_summary(corpus: &Path) -> BTreeMap<String, SummaryEntry> {
    let path = corpus.join("ORACLE-SUMMARY.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = BTreeMap::new();
    for e in json.as_array().into_iter().flatten() {
        let Some(file) = e.get("file").and_then(|f| f.as_str()) else {
            continue;
        };
        let packets = match e.get("packets") {
            Some(serde_json::Value::String(s)) => s.parse().ok(),
            Some(v) => v.as_u64(),
            None => None,
        };
        out.insert(
            file.to_string(),
            SummaryEntry {
                read_error: e
                    .get("read_error")
                    .and_then(|r| r.as_str())
                    .unwrap_or_default()
                    .to_string(),
                tcp_convs: e.get("tcp_convs").and_then(|c| c.as_u64()),
                packets,
            },
        );
    }
    out
}

/// Parses JSON Lines output, naming the input on failure.
pub fn json_lines(what: &str, stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {l}")))
        .collect()
}

/// The `N packets` count of kinspect's summary line.
pub fn summary_packets(text: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let (n, rest) = l.trim().split_once(' ')?;
        if rest.starts_with("packets (") {
            n.parse().ok()
        } else {
            None
        }
    })
}

/// Effective uid 0, read from /proc (live capture needs root).
#[allow(dead_code)]
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

/// A loopback TCP port the kernel has just handed out and released. Another
/// process may take it before the caller binds it; callers that start an
/// outside server retry on bind failure.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}
