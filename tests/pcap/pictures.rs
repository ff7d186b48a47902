//! Pictures: `pcap election --svg` and `pcap report` on the project's own
//! captures (captures/etcd-rpc-election*.pcapng: move-leader then a
//! SIGKILLed leader; captures/etcd-3node-leader-kill.pcapng; the TLS
//! captures), read back with an XML parser (roxmltree) and checked
//! against `pcap election -o json` for the same capture and against the
//! ground truth etcd itself gave when the capture was made
//! (captures/*.truth.json: member ids, packets, certificates). One test
//! opens the report in headless Chromium and looks at the screenshot.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use roxmltree::{Document, Node};

use crate::common;

fn capture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

fn truth(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(capture(name)).expect("truth file");
    serde_json::from_str(&text).expect("truth json")
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn class_has(n: &Node<'_, '_>, class: &str) -> bool {
    n.attribute("class")
        .is_some_and(|c| c.split_whitespace().any(|x| x == class))
}

fn texts_with_class<'a>(root: Node<'a, 'a>, class: &str) -> Vec<String> {
    root.descendants()
        .filter(|n| n.has_tag_name("text") && class_has(n, class))
        .map(|n| n.text().unwrap_or("").to_string())
        .collect()
}

fn all_texts(root: Node<'_, '_>) -> Vec<String> {
    root.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").to_string())
        .collect()
}

/// `pcap election --svg` into a fresh file; returns (svg, table stdout).
fn election_svg(files: &[&Path], extra: &[&str]) -> (String, String) {
    let dir = tmp();
    let out = dir.path().join("e.svg");
    let mut args: Vec<std::ffi::OsString> = vec!["pcap".into(), "election".into()];
    args.extend(files.iter().map(|f| f.as_os_str().to_owned()));
    args.extend(["--svg".into(), out.clone().into_os_string()]);
    args.extend(extra.iter().map(Into::into));
    let run = common::kinspect(&args);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    (
        std::fs::read_to_string(&out).expect("svg written"),
        run.stdout,
    )
}

fn election_json(files: &[&Path]) -> Vec<serde_json::Value> {
    let run = common::run_pcap("election", true, files);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    common::json_lines("pcap election", &run.stdout)
}

/// Terms of the table (first column), the observed first term included.
fn table_terms(table: &str) -> Vec<u64> {
    table
        .lines()
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}

/// The lane labels of the first (whole-run) panel: one group per lane.
fn main_lanes(doc: &Document<'_>) -> Vec<Vec<String>> {
    let panel = doc
        .descendants()
        .find(|n| n.has_tag_name("g") && class_has(n, "k-panel"))
        .expect("a panel");
    panel
        .descendants()
        .filter(|n| n.has_tag_name("g") && class_has(n, "k-lane-label"))
        .map(all_texts)
        .collect()
}

/// The checks every election picture must pass against `-o json`.
fn check_against_json(svg: &str, table: &str, json: &[serde_json::Value]) -> Vec<Vec<String>> {
    let doc = Document::parse(svg).expect("the SVG is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    // Lanes = members: every member the JSON names has a lane with its id.
    let lanes = main_lanes(&doc);
    let lane_ids: BTreeSet<String> = lanes
        .iter()
        .flat_map(|l| l.iter())
        .filter(|t| t.len() == 16 && t.chars().all(|c| c.is_ascii_hexdigit()))
        .cloned()
        .collect();
    assert_eq!(lane_ids.len(), lanes.len(), "one id per lane: {lanes:?}");
    for c in json {
        for key in ["leader", "previous_leader"] {
            let id = c[key].as_str().unwrap();
            assert!(lane_ids.contains(id), "{key} {id} has no lane: {lanes:?}");
        }
        for key in ["campaigners", "votes_granted", "votes_rejected"] {
            for id in c[key].as_array().unwrap() {
                assert!(lane_ids.contains(id.as_str().unwrap()), "{key} {id}");
            }
        }
    }
    // Every term, its leader and its time without a leader, in words.
    let words = texts_with_class(
        doc.descendants()
            .find(|n| n.has_tag_name("g") && class_has(n, "k-terms"))
            .expect("the terms in words"),
        "k-t",
    );
    let terms = table_terms(table);
    assert!(!terms.is_empty(), "{table}");
    assert_eq!(
        words.len(),
        terms.len(),
        "{words:?} vs table terms {terms:?}"
    );
    for (w, t) in words.iter().zip(&terms) {
        assert!(w.starts_with(&format!("term {t}: leader ")), "{w}");
    }
    let shaded = texts_with_class(root, "k-nlt");
    for c in json {
        let term = c["term"].as_u64().unwrap();
        let leader = c["leader"].as_str().unwrap();
        let no_leader = format!("no leader {:.1} ms", c["no_leader_ms"].as_f64().unwrap());
        let reason = c["reason"].as_str().unwrap();
        let line = words
            .iter()
            .find(|w| w.starts_with(&format!("term {term}: leader {leader}")))
            .unwrap_or_else(|| panic!("no words for term {term}: {words:?}"));
        assert!(line.contains(&format!(" · {reason} · ")), "{line}");
        assert!(line.contains(&no_leader), "{line} lacks {no_leader}");
        // The shaded gap carries the same duration.
        assert!(
            shaded.contains(&no_leader),
            "{no_leader} not on a shade: {shaded:?}"
        );
        // The term's band is labelled with its number somewhere.
        assert!(
            all_texts(root)
                .iter()
                .any(|t| t.starts_with(&format!("term {term}"))),
            "term {term} band"
        );
        // Granted votes are arrows with a ✓ (more than a colour).
        let granted = c["votes_granted"].as_array().unwrap().len();
        let arrows = root
            .descendants()
            .filter(|n| n.has_tag_name("line") && class_has(n, "k-yes"))
            .count();
        assert!(arrows >= granted, "{arrows} arrows < {granted} votes");
    }
    assert!(
        texts_with_class(root, "k-yest")
            .iter()
            .any(|t| t == "✓ granted"),
        "a zoomed vote says granted"
    );
    lanes
}

#[test]
fn election_svg_of_move_leader_then_kill() {
    let file = capture("etcd-rpc-election.pcapng");
    let (svg, table) = election_svg(&[&file], &["--lang", "en"]);
    let json = election_json(&[&file]);
    assert_eq!(json.len(), 2, "{json:?}");
    let lanes = check_against_json(&svg, &table, &json);
    // Lanes = the members etcd listed when the capture was made.
    let t = truth("etcd-rpc-election.truth.json");
    let ids: BTreeSet<String> = t["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    let lane_ids: BTreeSet<String> = lanes
        .iter()
        .flat_map(|l| l.iter())
        .filter(|s| ids.contains(*s))
        .cloned()
        .collect();
    assert_eq!(lanes.len(), 3);
    assert_eq!(lane_ids, ids);
    let doc = Document::parse(&svg).unwrap();
    let root = doc.root_element();
    // move-leader is a transfer: MsgTimeoutNow drawn and named; the kill
    // is an election.
    assert!(json[0]["reason"] == "transfer" && json[1]["reason"] == "election");
    assert!(
        root.descendants()
            .any(|n| n.has_tag_name("line") && class_has(&n, "k-xfer"))
    );
    assert!(
        texts_with_class(root, "k-xfert")
            .iter()
            .any(|t| t == "TimeoutNow")
    );
    assert!(
        all_texts(root)
            .iter()
            .any(|t| t == "term 3 · leader m3 · transfer")
    );
    // m3 was SIGKILLed at +9.916 s and ready again at +13.686 s (the
    // truth file): its lane shows it unreachable for about that long.
    let m3 = "c234f5b646e30ec4";
    let m3_lane = lanes
        .iter()
        .position(|l| l.iter().any(|t| t == m3))
        .unwrap();
    let outs = texts_with_class(root, "k-outt");
    let out = outs
        .iter()
        .find(|t| t.starts_with("unreachable "))
        .unwrap_or_else(|| panic!("no outage: {outs:?}"));
    let secs: f64 = out["unreachable ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((3.0..=4.5).contains(&secs), "{out}");
    assert!(out.contains("refused"), "{out}");
    let panel = root
        .descendants()
        .find(|n| class_has(n, "k-panel"))
        .unwrap();
    let label_y: f64 = panel
        .descendants()
        .filter(|n| class_has(n, "k-lane-label"))
        .nth(m3_lane)
        .and_then(|g| g.first_element_child())
        .and_then(|t| t.attribute("y")?.parse().ok())
        .unwrap();
    let out_y: f64 = panel
        .descendants()
        .find(|n| n.has_tag_name("rect") && class_has(n, "k-out"))
        .and_then(|r| r.attribute("y")?.parse().ok())
        .expect("an outage rectangle");
    assert!(
        (out_y - label_y).abs() < 30.0,
        "outage at y={out_y}, m3 at {label_y}"
    );
}

#[test]
fn election_svg_of_leader_kill_and_of_split_files() {
    let file = capture("etcd-3node-leader-kill.pcapng");
    let (svg, table) = election_svg(&[&file], &["--lang", "en"]);
    let json = election_json(&[&file]);
    assert_eq!(json.len(), 1);
    let lanes = check_against_json(&svg, &table, &json);
    assert_eq!(lanes.len(), 3, "{lanes:?}");
    // The peer and client halves merged give the same picture as the whole.
    let whole = capture("etcd-rpc-election.pcapng");
    let parts = [
        capture("etcd-rpc-election.peer.pcapng"),
        capture("etcd-rpc-election.client.pcapng"),
    ];
    let (a, _) = election_svg(&[&whole], &["--lang", "en"]);
    let (b, table) = election_svg(&[&parts[0], &parts[1]], &["--lang", "en"]);
    let json = election_json(&[&parts[0], &parts[1]]);
    check_against_json(&b, &table, &json);
    let words = |s: &str| {
        let doc = Document::parse(s).unwrap();
        let g = doc
            .descendants()
            .find(|n| class_has(n, "k-terms"))
            .map(all_texts);
        g.unwrap()
    };
    assert_eq!(words(&a), words(&b));
}

#[test]
fn same_input_same_bytes_and_themes_and_korean() {
    let file = capture("etcd-rpc-election.pcapng");
    let (a, _) = election_svg(&[&file], &["--lang", "en"]);
    let (b, _) = election_svg(&[&file], &["--lang", "en"]);
    assert_eq!(a, b, "two runs differ");
    let (dark, _) = election_svg(&[&file], &["--lang", "en", "--theme", "dark"]);
    let doc = Document::parse(&dark).unwrap();
    assert_eq!(doc.root_element().attribute("class"), Some("k-root k-dark"));
    let auto = Document::parse(&a).unwrap();
    assert_eq!(
        auto.root_element().attribute("class"),
        Some("k-root k-auto")
    );
    assert!(a.contains("@media (prefers-color-scheme: dark)"));
    // Korean by flag, and by LANG alone (same bytes).
    let (ko, _) = election_svg(&[&file], &["--lang", "ko"]);
    let doc = Document::parse(&ko).unwrap();
    let texts = all_texts(doc.root_element());
    assert!(texts.iter().any(|t| t == "리더 없음 4.4 ms"), "{texts:?}");
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("임기(term) 4: 리더 a9997c4ace5f0bc5"))
    );
    let dir = tmp();
    let out = dir.path().join("ko.svg");
    let status = Command::new(env!("CARGO_BIN_EXE_kinspect"))
        .args(["pcap", "election"])
        .arg(&file)
        .arg("--svg")
        .arg(&out)
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "ko_KR.UTF-8")
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), ko);
    // Reports are deterministic too.
    let r1 = report(&[&file], &["--lang", "en"]);
    let r2 = report(&[&file], &["--lang", "en"]);
    assert_eq!(r1, r2);
}

fn report_to(files: &[&Path], extra: &[&str], out: &Path) {
    let mut args: Vec<std::ffi::OsString> = vec!["pcap".into(), "report".into()];
    args.extend(files.iter().map(|f| f.as_os_str().to_owned()));
    args.extend(["-o".into(), out.as_os_str().to_owned()]);
    args.extend(extra.iter().map(Into::into));
    let run = common::kinspect(&args);
    assert_eq!(run.code, Some(0), "{}", run.describe());
}

fn report(files: &[&Path], extra: &[&str]) -> String {
    let dir = tmp();
    let out = dir.path().join("r.html");
    report_to(files, extra, &out);
    std::fs::read_to_string(&out).unwrap()
}

fn section<'a, 'i>(doc: &'a Document<'i>, id: &str) -> Node<'a, 'i> {
    doc.descendants()
        .find(|n| n.has_tag_name("section") && n.attribute("id") == Some(id))
        .unwrap_or_else(|| panic!("no section {id}"))
}

fn cell_texts(n: Node<'_, '_>) -> Vec<String> {
    n.descendants()
        .filter(|c| c.has_tag_name("td") || c.has_tag_name("th"))
        .map(|c| {
            c.descendants()
                .filter(|t| t.is_text())
                .map(|t| t.text().unwrap_or(""))
                .collect::<String>()
        })
        .collect()
}

#[test]
fn report_holds_summary_calls_tls_election_and_nothing_remote() {
    let election = capture("etcd-rpc-election.pcapng");
    let expired = capture("etcd-tls12-expired-server.pcapng");
    let dir = tmp();
    let out = dir.path().join("report.html");
    report_to(&[&election, &expired], &["--lang", "en"], &out);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.len() < 400_000, "report is {} bytes", html.len());
    // `<!DOCTYPE html>` is a DTD to an XML parser: allowed, nothing in it.
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = Document::parse_with_options(&html, options).expect("the report is well-formed XML");
    // Self-contained: no scripts, nothing loaded from anywhere.
    for n in doc.descendants().filter(|n| n.is_element()) {
        assert!(!n.has_tag_name("script") && !n.has_tag_name("link") && !n.has_tag_name("img"));
        for a in n.attributes() {
            assert!(
                !matches!(a.name(), "src" | "href"),
                "{} on {:?}",
                a.name(),
                n.tag_name()
            );
        }
    }
    assert!(!html.contains("@import") && !html.contains("@font-face"));
    // Packets: what capinfos counted when the captures were made.
    let packets = truth("etcd-rpc-election.truth.json")["capture"]["packets"]
        .as_u64()
        .unwrap()
        + truth("etcd-tls12-expired-server.truth.json")["capture"]["packets"]
            .as_u64()
            .unwrap();
    let summary = cell_texts(section(&doc, "summary"));
    let i = summary.iter().position(|c| c == "packets").unwrap();
    assert!(
        summary[i + 1].starts_with(&format!("{packets} (")),
        "{summary:?}"
    );
    // Calls: the same counts as `pcap rpc -o json`.
    let run = common::run_pcap("rpc", true, &[&election, &expired]);
    let rows = common::json_lines("pcap rpc", &run.stdout);
    let calls = cell_texts(section(&doc, "calls"));
    for r in &rows {
        let m = r["method"].as_str().unwrap();
        let i = calls
            .iter()
            .position(|c| c == m)
            .unwrap_or_else(|| panic!("{m} not in the report"));
        assert_eq!(calls[i + 2], r["calls"].to_string(), "{m}");
    }
    let histograms = section(&doc, "calls")
        .descendants()
        .filter(|n| n.has_tag_name("svg"))
        .count();
    let with_latency = rows.iter().filter(|r| !r["p50_ms"].is_null()).count();
    // One rate chart, then a histogram per method with latencies (up to 8).
    assert_eq!(histograms, 1 + with_latency.min(8));
    // TLS: the expired server certificate judged at capture time.
    let tls = cell_texts(section(&doc, "tls"));
    let cert = truth("etcd-tls12-expired-server.truth.json")["server_certificate"].clone();
    assert_eq!(cert["expired_at_capture_time"], true);
    assert!(
        tls.iter()
            .any(|c| c == "etcd-expired-server (notAfter 2025-04-01, EXPIRED at capture)"),
        "{tls:?}"
    );
    assert!(tls.iter().any(|c| c.contains("certificate_expired")));
    // The election section is the same picture as `pcap election --svg`.
    let (svg, _) = election_svg(&[&election, &expired], &["--lang", "en"]);
    let standalone = Document::parse(&svg).unwrap();
    let terms = |n: Node<'_, '_>| {
        n.descendants()
            .find(|g| class_has(g, "k-terms"))
            .map(all_texts)
            .unwrap()
    };
    assert_eq!(
        terms(section(&doc, "election")),
        terms(standalone.root_element())
    );
    let problems = cell_texts(section(&doc, "problems"));
    assert_eq!(problems[1], "none", "{problems:?}");
}

/// PNG pixels as RGBA.
fn decode_png(path: &Path) -> (u32, u32, Vec<[u8; 4]>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let bytes = &buf[..info.buffer_size()];
    let px = match info.color_type {
        png::ColorType::Rgba => bytes.chunks(4).map(|c| [c[0], c[1], c[2], c[3]]).collect(),
        png::ColorType::Rgb => bytes.chunks(3).map(|c| [c[0], c[1], c[2], 255]).collect(),
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    (info.width, info.height, px)
}

/// Opens `url` in headless Chromium; returns its stderr (console log).
fn screenshot(url: &str, png: &Path, profile: &Path) -> String {
    let out = Command::new("/usr/bin/chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1280,2000")
        .arg(url)
        .output()
        .expect("chromium runs");
    assert!(
        png.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn report_renders_in_headless_chromium_light_and_dark() {
    if !Path::new("/usr/bin/chromium").exists() {
        eprintln!("SKIP: /usr/bin/chromium not installed");
        return;
    }
    let election = capture("etcd-rpc-election.pcapng");
    let expired = capture("etcd-tls12-expired-server.pcapng");
    let dir = tmp();
    for (theme, dark) in [("light", false), ("dark", true)] {
        let html = dir.path().join(format!("report-{theme}.html"));
        report_to(
            &[&election, &expired],
            &["--lang", "en", "--theme", theme],
            &html,
        );
        let png = dir.path().join(format!("{theme}.png"));
        let profile = dir.path().join(format!("profile-{theme}"));
        let log = screenshot(&format!("file://{}", html.display()), &png, &profile);
        let console: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
            .collect();
        assert!(console.is_empty(), "console messages: {console:?}");
        let (w, h, px) = decode_png(&png);
        assert_eq!((w, h), (1280, 2000));
        let distinct: BTreeSet<[u8; 4]> = px.iter().copied().collect();
        assert!(distinct.len() > 50, "only {} colours", distinct.len());
        // The page background: white, or near-black in the dark theme.
        let bg = px[(10 * w + 5) as usize];
        let luma = |p: [u8; 4]| (u32::from(p[0]) * 3 + u32::from(p[1]) * 6 + u32::from(p[2])) / 10;
        if dark {
            assert!(luma(bg) < 40, "dark background {bg:?}");
        } else {
            assert!(luma(bg) > 240, "light background {bg:?}");
        }
        // Not blank: a good share of pixels differs from the background.
        let drawn = px
            .iter()
            .filter(|p| luma(**p).abs_diff(luma(bg)) > 40)
            .count();
        assert!(
            drawn * 100 > px.len() * 3,
            "{drawn} of {} pixels drawn",
            px.len()
        );
    }
}

#[test]
fn damaged_and_foreign_input() {
    let dir = tmp();
    // A capture cut mid-record: exit 2, but the page is written, well
    // formed, and says what happened.
    let whole = std::fs::read(capture("etcd-rpc-election.pcapng")).unwrap();
    let cut = dir.path().join("cut.pcapng");
    std::fs::write(&cut, &whole[..whole.len() / 3 + 7]).unwrap();
    let out = dir.path().join("cut.html");
    let run = common::kinspect(&[
        "pcap".as_ref(),
        "report".as_ref(),
        cut.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--lang".as_ref(),
        "en".as_ref(),
    ]);
    assert_eq!(run.code, Some(2), "{}", run.describe());
    let html = std::fs::read_to_string(&out).unwrap();
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = Document::parse_with_options(&html, options).unwrap();
    let problems = cell_texts(section(&doc, "problems"));
    assert!(problems.iter().any(|c| c == "warnings"), "{problems:?}");
    // Not a capture at all: exit 2 and no output file left behind.
    let junk = dir.path().join("junk.pcap");
    std::fs::write(&junk, b"<svg>&not a capture</svg>").unwrap();
    for (cmd, flag, name) in [
        ("report", "-o", "junk.html"),
        ("election", "--svg", "junk.svg"),
    ] {
        let out = dir.path().join(name);
        let run = common::kinspect(&[
            "pcap".as_ref(),
            cmd.as_ref(),
            junk.as_os_str(),
            flag.as_ref(),
            out.as_os_str(),
        ]);
        assert_eq!(run.code, Some(2), "{}", run.describe());
        assert!(!out.exists(), "{name} left behind");
    }
}
