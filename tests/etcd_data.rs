//! `kinspect etcd keys|get|watch` against a real etcd (Debian's etcd 3.4,
//! one member per test on its own free 127.0.4x.y address) loaded with real
//! Kubernetes values: etcd-io/auger's Pod and Job as Kubernetes stored
//! them, a JSON custom resource, an encrypted value, a Secret, truncated
//! and garbage values.

mod common;
mod etcd_data_support;

use etcd_data_support::{Etcd, corpus, corpus_value, etcd_available, kinspect};
use kinspect::k8s::envelope::{encode, put_len, put_uint};

/// Starts etcd on a free 127.0.4x.n, or records a skip when there is no etcd.
macro_rules! etcd_or_skip {
    ($n:expr) => {{
        if !etcd_available() {
            return;
        }
        Etcd::start($n)
    }};
}

/// A protobuf object with metadata (name, namespace, uid, a label, a
/// creation time) and one spec string.
fn object(api_version: &str, kind: &str, ns: &str, name: &str, spec: &str) -> Vec<u8> {
    let mut meta = Vec::new();
    put_len(&mut meta, 1, name.as_bytes());
    if !ns.is_empty() {
        put_len(&mut meta, 3, ns.as_bytes());
    }
    put_len(&mut meta, 5, format!("uid-{name}").as_bytes());
    let mut time = Vec::new();
    put_uint(&mut time, 1, 1_700_000_000);
    put_len(&mut meta, 8, &time);
    let mut label = Vec::new();
    put_len(&mut label, 1, b"app");
    put_len(&mut label, 2, name.as_bytes());
    put_len(&mut meta, 11, &label);
    let mut body = Vec::new();
    put_len(&mut body, 1, spec.as_bytes());
    let mut raw = Vec::new();
    put_len(&mut raw, 1, &meta);
    put_len(&mut raw, 2, &body);
    encode(api_version, kind, &raw)
}

fn secret(ns: &str, name: &str, password: &str) -> Vec<u8> {
    let mut meta = Vec::new();
    put_len(&mut meta, 1, name.as_bytes());
    put_len(&mut meta, 3, ns.as_bytes());
    let mut data = Vec::new();
    put_len(&mut data, 1, b"password");
    put_len(&mut data, 2, password.as_bytes());
    let mut raw = Vec::new();
    put_len(&mut raw, 1, &meta);
    put_len(&mut raw, 2, &data);
    put_len(&mut raw, 3, b"Opaque");
    encode("v1", "Secret", &raw)
}

#[test]
fn get_shows_the_corpus_pod_and_job() {
    let Some(dir) = corpus() else { return };
    let etcd = etcd_or_skip!(1);
    let pod = corpus_value(&dir.join("etcd-auger/storage/pod.bin"));
    let job = corpus_value(&dir.join("etcd-auger/storage/job.bin"));
    let rev0 = etcd.revision();
    etcd.put_all(&[
        ("/registry/pods/default/pi-dqtsw", pod.clone()),
        ("/registry/jobs/default/pi", job),
    ]);
    let want: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("etcd-auger/json/pod.json")).unwrap(),
    )
    .unwrap();

    let r = etcd.kinspect(&["etcd", "get", "/registry/pods/default/pi-dqtsw"]);
    r.expect_code(0);
    let out = &r.stdout;
    assert!(out.contains("v1 Pod default/pi-dqtsw (protobuf)"), "{out}");
    // The object as kubectl -o yaml shows it (auger's yaml/pod.yaml).
    assert!(out.contains(&format!(
        "    uid: {}",
        want["metadata"]["uid"].as_str().unwrap()
    )));
    assert!(
        out.contains("  creationTimestamp: \"2017-06-27T16:35:34Z\""),
        "{out}"
    );
    assert!(
        out.contains("    controller-uid: a4acc46c-5b56-11e7-8d4b-42010a800002"),
        "{out}"
    );
    assert!(out.contains("    job-name: pi"), "{out}");
    assert!(out.contains("    - apiVersion: batch/v1\n      blockOwnerDeletion: true\n      controller: true\n      kind: Job\n      name: pi\n"), "{out}");
    assert!(
        out.contains("      qosClass: Burstable") || out.contains("  qosClass: Burstable"),
        "{out}"
    );
    assert!(out.contains(&format!("value {} bytes", pod.len())), "{out}");
    let revs = format!(
        "create_revision {0}  mod_revision {0}  version 1  lease 0",
        rev0 + 1
    );
    assert!(out.contains(&revs), "{out}");

    let r = etcd.kinspect(&["etcd", "get", "/registry/jobs/default/pi"]);
    r.expect_code(0);
    assert!(
        r.stdout.contains("batch/v1 Job default/pi (protobuf)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("    uid: a4acc46c-5b56-11e7-8d4b-42010a800002")
    );
    assert!(
        r.stdout
            .contains("  creationTimestamp: \"2017-06-27T16:35:34Z\"")
    );

    // JSON: the same facts, by field.
    let r = etcd.kinspect(&["etcd", "get", "--prefix", "/registry/", "-o", "json"]);
    r.expect_code(0);
    let rows = r.json_lines();
    assert_eq!(rows.len(), 2);
    let (job, pod) = (&rows[0], &rows[1]);
    assert_eq!(pod["key"], "/registry/pods/default/pi-dqtsw");
    assert_eq!(pod["resource"], "pods");
    assert_eq!(pod["namespace"], "default");
    assert_eq!(pod["value"]["format"], "protobuf");
    assert_eq!(pod["value"]["api_version"], "v1");
    assert_eq!(pod["value"]["kind"], "Pod");
    let md = &pod["value"]["metadata"];
    assert_eq!(md["uid"], want["metadata"]["uid"]);
    assert_eq!(md["labels"], want["metadata"]["labels"]);
    assert_eq!(
        md["creation_timestamp"],
        want["metadata"]["creationTimestamp"]
    );
    assert_eq!(job["value"]["api_version"], "batch/v1");
    assert_eq!(job["value"]["kind"], "Job");
    assert_eq!(job["value"]["metadata"]["name"], "pi");
    assert!(
        r.stderr
            .contains(&format!("2 keys at revision {}", rev0 + 2)),
        "{}",
        r.stderr
    );
}

#[test]
fn keys_groups_tree_list_and_paging() {
    let etcd = etcd_or_skip!(2);
    let mut items: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..7 {
        let n = format!("web-{i}");
        items.push((
            format!("/registry/pods/default/{n}"),
            object("v1", "Pod", "default", &n, "x"),
        ));
    }
    for i in 0..3 {
        let n = format!("dns-{i}");
        items.push((
            format!("/registry/pods/kube-system/{n}"),
            object("v1", "Pod", "kube-system", &n, "x"),
        ));
    }
    for (k, v) in [
        ("/registry/minions/node-1", object("v1", "Node", "", "node-1", "n")),
        ("/registry/services/specs/default/kubernetes", object("v1", "Service", "default", "kubernetes", "s")),
        ("/registry/services/endpoints/default/kubernetes", object("v1", "Endpoints", "default", "kubernetes", "e")),
        ("/registry/masterleases/10.0.0.1", object("v1", "Endpoints", "", "10.0.0.1", "m")),
        ("/registry/namespaces/default", object("v1", "Namespace", "", "default", "")),
        ("/registry/apiregistration.k8s.io/apiservices/v1.apps", object("apiregistration.k8s.io/v1", "APIService", "", "v1.apps", "")),
        ("/registry/example.com/widgets/default/w1", br#"{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w1","namespace":"default"}}"#.to_vec()),
        ("/other/key", b"plain".to_vec()),
    ] {
        items.push((k.to_string(), v));
    }
    let refs: Vec<(&str, Vec<u8>)> = items.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    let rev0 = etcd.revision();
    etcd.put_all(&refs);
    let registry_keys = items
        .iter()
        .filter(|(k, _)| k.starts_with("/registry/"))
        .count();
    let registry_bytes: usize = items
        .iter()
        .filter(|(k, _)| k.starts_with("/registry/"))
        .map(|(_, v)| v.len())
        .sum();

    // Groups, table.
    let r = etcd.kinspect(&["etcd", "keys"]);
    r.expect_code(0);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].starts_with("RESOURCE"), "{}", r.stdout);
    let row = |res: &str, ns: &str| {
        lines
            .iter()
            .find(|l| {
                let cols: Vec<&str> = l
                    .split("  ")
                    .filter(|c| !c.is_empty())
                    .map(str::trim)
                    .collect();
                cols.first() == Some(&res) && cols.get(1) == Some(&ns)
            })
            .map(|l| l.split_whitespace().last().unwrap().to_string())
            .unwrap_or_else(|| panic!("no row {res} {ns}:\n{}", r.stdout))
    };
    assert_eq!(row("pods", "default"), "7");
    assert_eq!(row("pods", "kube-system"), "3");
    assert_eq!(row("nodes (minions)", "-"), "1");
    assert_eq!(row("services (services/specs)", "default"), "1");
    assert_eq!(row("endpoints (services/endpoints)", "default"), "1");
    assert_eq!(row("masterleases", "-"), "1");
    assert_eq!(row("apiregistration.k8s.io/apiservices", "-"), "1");
    assert_eq!(row("example.com/widgets", "default"), "1");
    let summary = lines.last().unwrap();
    assert!(
        summary.starts_with(&format!(
            "{registry_keys} keys in 8 resources, 9 groups under /registry"
        )),
        "{summary}"
    );

    // Groups, JSON, with sizes and tiny pages: same counts, sizes add up.
    let r = etcd.kinspect(&["etcd", "keys", "-o", "json", "--sizes", "--page-size", "2"]);
    r.expect_code(0);
    let groups = r.json_lines();
    assert_eq!(groups.len(), 9);
    let keys: u64 = groups.iter().map(|g| g["keys"].as_u64().unwrap()).sum();
    let bytes: u64 = groups
        .iter()
        .map(|g| g["value_bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(keys as usize, registry_keys);
    assert_eq!(bytes as usize, registry_bytes);
    let nodes = groups.iter().find(|g| g["resource"] == "nodes").unwrap();
    assert_eq!(nodes["stored_as"], "minions");
    assert!(nodes.get("namespace").is_none());
    let apis = groups
        .iter()
        .find(|g| g["resource"] == "apiservices")
        .unwrap();
    assert_eq!(apis["group"], "apiregistration.k8s.io");
    let pages = registry_keys.div_ceil(2);
    assert!(
        r.stderr.contains(&format!("({pages} range requests)")),
        "{}",
        r.stderr
    );

    // Every key, one per line, across pages; outside /registry too.
    let r = etcd.kinspect(&["etcd", "keys", "--prefix", "", "--page-size", "3"]);
    r.expect_code(0);
    let listed: Vec<&str> = r.stdout.lines().filter(|l| l.starts_with('/')).collect();
    let mut want: Vec<&str> = items.iter().map(|(k, _)| k.as_str()).collect();
    want.sort();
    assert_eq!(listed, want);

    let r = etcd.kinspect(&[
        "etcd",
        "keys",
        "--list",
        "-o",
        "json",
        "--prefix",
        "/registry/pods/",
    ]);
    r.expect_code(0);
    let rows = r.json_lines();
    assert_eq!(rows.len(), 10);
    assert_eq!(rows[0]["key"], "/registry/pods/default/web-0");
    assert_eq!(rows[0]["namespace"], "default");
    assert_eq!(rows[0]["name"], "web-0");
    assert_eq!(rows[0]["version"], 1);

    // Tree.
    let r = etcd.kinspect(&["etcd", "keys", "--tree"]);
    r.expect_code(0);
    assert!(
        r.stdout.starts_with(&format!(
            "/  {registry_keys} keys\n└── registry/  {registry_keys} keys\n"
        )),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("├── pods/  10 keys"), "{}", r.stdout);
    assert!(
        r.stdout.contains("│   ├── default/  7 keys"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("│   └── kube-system/  3 keys"),
        "{}",
        r.stdout
    );
    let r = etcd.kinspect(&["etcd", "keys", "--tree", "-o", "json"]);
    let rows = r.json_lines();
    let pods = rows
        .iter()
        .find(|n| n["path"] == "/registry/pods/")
        .unwrap();
    assert_eq!(pods["keys"], 10);
    assert_eq!(pods["depth"], 2);

    // At the revision of the first put: one key.
    let first = (rev0 + 1).to_string();
    let r = etcd.kinspect(&["etcd", "keys", "--rev", &first]);
    r.expect_code(0);
    let want = format!("1 key in 1 resource, 1 group under /registry at revision {first}");
    assert!(r.stdout.contains(&want), "{}", r.stdout);
}

#[test]
fn encrypted_secret_json_and_damaged_values() {
    let etcd = etcd_or_skip!(3);
    let mut aescbc = b"k8s:enc:aescbc:v1:key1:".to_vec();
    aescbc.extend((0u8..16 + 64).map(|i| i.wrapping_mul(37)));
    let mut enc_secret = b"k8s:enc:aescbc:v1:key1:".to_vec();
    enc_secret.extend([7u8; 16 + 32]);
    let pod = object("v1", "Pod", "default", "web-0", "spec text");
    let garbage: Vec<u8> = (0..300u32).map(|i| (i * 7919 % 251) as u8).collect();
    etcd.put_all(&[
        ("/registry/configmaps/default/enc", aescbc.clone()),
        ("/registry/secrets/default/db", secret("default", "db", "hunter2")),
        ("/registry/secrets/default/enc", enc_secret.clone()),
        ("/registry/example.com/widgets/default/w1", br#"{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w1","namespace":"default","uid":"u-1"},"spec":{"size":3}}"#.to_vec()),
        ("/registry/pods/default/truncated", pod[..pod.len() - 8].to_vec()),
        ("/registry/pods/default/garbage", garbage),
        ("/registry/pods/default/bad-json", br#"{"kind":"Pod","metadata":{"#.to_vec()),
    ]);

    let r = etcd.kinspect(&["etcd", "get", "/registry/configmaps/default/enc"]);
    r.expect_code(0);
    assert!(
        r.stdout
            .contains("encrypted at rest: aescbc v1, key \"key1\", 64 bytes of ciphertext"),
        "{}",
        r.stdout
    );
    let r = etcd.kinspect(&[
        "etcd",
        "get",
        "/registry/configmaps/default/enc",
        "-o",
        "json",
    ]);
    let v = &r.json_lines()[0]["value"];
    assert_eq!(v["format"], "encrypted");
    assert_eq!(v["provider"], "aescbc");
    assert_eq!(v["key_name"], "key1");

    // A Secret: redacted by default, in every output.
    let r = etcd.kinspect(&["etcd", "get", "/registry/secrets/default/db"]);
    r.expect_code(0);
    // Everything but the values: each value is `<redacted: N bytes>`.
    assert!(
        r.stdout.contains("    password: '<redacted: 7 bytes>'"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("hunter2"));
    for args in [
        vec![
            "etcd",
            "get",
            "--prefix",
            "/registry/secrets/",
            "-o",
            "json",
            "--raw",
        ],
        vec!["etcd", "get", "--prefix", "/registry/secrets/", "--raw"],
    ] {
        let r = etcd.kinspect(&args);
        r.expect_code(0);
        assert!(!r.stdout.contains("hunter2"), "{}", r.stdout);
        assert!(
            !r.stdout.contains("aHVudGVyMg"),
            "base64 of the password leaked"
        );
        assert!(
            !r.stdout.contains("68 75 6e 74"),
            "hex of the password leaked"
        );
    }
    let r = etcd.kinspect(&["etcd", "get", "/registry/secrets/default/db", "-o", "json"]);
    let row = &r.json_lines()[0];
    assert_eq!(row["value"]["format"], "protobuf");
    assert_eq!(row["object"]["data"]["password"], "<redacted: 7 bytes>");
    assert_eq!(row["object"]["metadata"]["name"], "db");
    // Encrypted Secret: redacted, but the encryption facts (no secret) shown.
    let r = etcd.kinspect(&["etcd", "get", "/registry/secrets/default/enc"]);
    assert!(
        r.stdout.contains(&format!(
            "<redacted: {} bytes> (encrypted at rest: aescbc v1, key \"key1\"",
            enc_secret.len()
        )),
        "{}",
        r.stdout
    );
    // --show-secrets decodes it.
    let r = etcd.kinspect(&[
        "etcd",
        "get",
        "/registry/secrets/default/db",
        "--show-secrets",
    ]);
    r.expect_code(0);
    assert!(
        r.stdout.contains("v1 Secret default/db (protobuf)"),
        "{}",
        r.stdout
    );
    // Secret data is bytes: base64 in kubectl's YAML.
    assert!(
        r.stdout.contains("    password: aHVudGVyMg=="),
        "{}",
        r.stdout
    );

    // JSON custom resource.
    let r = etcd.kinspect(&["etcd", "get", "/registry/example.com/widgets/default/w1"]);
    r.expect_code(0);
    assert!(
        r.stdout.contains("example.com/v1 Widget default/w1 (JSON)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("  uid:               u-1"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("    \"spec\": {\n      \"size\": 3\n    }"),
        "{}",
        r.stdout
    );

    // Damaged values: clear, no panic, exit 0 (the command worked).
    let r = etcd.kinspect(&["etcd", "get", "/registry/pods/default/truncated"]);
    r.expect_code(0);
    // The metadata comes first and is whole: the object is still named.
    assert!(
        r.stdout.contains("v1 Pod default/web-0 (protobuf)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("    uid: uid-web-0"), "{}", r.stdout);
    assert!(
        r.stdout.contains("the object below is its first"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("!! envelope: field 2 at offset"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("runs past the end"), "{}", r.stdout);
    let r = etcd.kinspect(&["etcd", "get", "/registry/pods/default/garbage"]);
    r.expect_code(0);
    assert!(
        r.stdout
            .contains("binary, 300 bytes (not a format kinspect knows)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("  00000000  00 8a 19 a3 32 bc 4b d5"),
        "{}",
        r.stdout
    );
    let r = etcd.kinspect(&["etcd", "get", "/registry/pods/default/bad-json"]);
    r.expect_code(0);
    assert!(
        r.stdout
            .contains("!! looks like JSON but is not valid: EOF while parsing"),
        "{}",
        r.stdout
    );
    let r = etcd.kinspect(&["etcd", "get", "--prefix", "/registry/pods/", "-o", "json"]);
    r.expect_code(0);
    let formats: Vec<String> = r
        .json_lines()
        .iter()
        .map(|v| v["value"]["format"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(formats, ["text", "binary", "protobuf"]);
}

#[test]
fn watch_prints_changes_and_replays_history() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let etcd = etcd_or_skip!(4);
    let start = etcd.revision();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kinspect"))
        .args([
            "etcd",
            "watch",
            "/registry/",
            "--count",
            "3",
            "-o",
            "json",
            "--duration",
            "20s",
        ])
        .args(["--endpoints", &etcd.endpoint])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the watch is established.
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(line.contains("watching \"/registry/\""), "{line}");
    let pod = object("v1", "Pod", "default", "web-0", "a");
    etcd.put_all(&[
        ("/registry/pods/default/web-0", pod.clone()),
        ("/elsewhere", b"x".to_vec()),
        (
            "/registry/pods/default/web-0",
            object("v1", "Pod", "default", "web-0", "b"),
        ),
    ]);
    etcd.block_on(|mut c| async move {
        c.delete("/registry/pods/default/web-0", None)
            .await
            .unwrap()
    });
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["type"], "put");
    assert_eq!(rows[0]["version"], 1);
    assert_eq!(rows[0]["revision"], start + 1);
    assert_eq!(rows[0]["value"]["kind"], "Pod");
    assert_eq!(rows[0]["value"]["metadata"]["name"], "web-0");
    assert_eq!(rows[0]["value"]["metadata"]["uid"], "uid-web-0");
    assert_eq!(rows[1]["type"], "put");
    assert_eq!(rows[1]["version"], 2);
    assert_eq!(rows[1]["revision"], start + 3);
    assert_eq!(rows[2]["type"], "delete");
    assert_eq!(rows[2]["key"], "/registry/pods/default/web-0");
    assert_eq!(rows[2]["revision"], start + 4);
    assert!(rows[2].get("value").is_none());
    assert!(rows[0]["ts"].as_str().unwrap().ends_with('Z'));

    // History from a revision: the same three, table form.
    let from = (start + 1).to_string();
    let r = etcd.kinspect(&[
        "etcd",
        "watch",
        "/registry/",
        "--rev",
        &from,
        "--count",
        "3",
    ]);
    r.expect_code(0);
    let heads: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.contains(" /registry/pods/default/web-0  revision"))
        // Replayed history has no wall time: the line starts with the event.
        .collect();
    assert_eq!(
        heads,
        [
            format!(
                "CREATE /registry/pods/default/web-0  revision {}",
                start + 1
            ),
            format!("PUT /registry/pods/default/web-0  revision {}", start + 3),
            format!(
                "DELETE /registry/pods/default/web-0  revision {}",
                start + 4
            ),
        ]
    );
    assert!(
        r.stdout.contains("  v1 Pod default/web-0 (protobuf)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains(&format!("from revision {}", start + 1)),
        "{}",
        r.stderr
    );

    // --duration ends a quiet watch.
    let r = etcd.kinspect(&["etcd", "watch", "/nothing/", "--duration", "1s"]);
    r.expect_code(0);
    assert!(r.stderr.contains("0 events"), "{}", r.stderr);
}

#[test]
fn errors_are_one_line_with_the_right_code() {
    let etcd = etcd_or_skip!(5);
    // A port nothing listens on: etcd's own address, another port.
    let dead = etcd.endpoint.replace(":2379", ":2391");
    for args in [
        vec!["etcd", "get", "/x", "--endpoints", &dead],
        vec!["etcd", "keys", "--endpoints", &dead],
        vec!["etcd", "watch", "/x", "--endpoints", &dead],
    ] {
        let r = kinspect(&args);
        r.expect_code(1);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(r.stderr.contains(&dead), "{}", r.stderr);
        assert!(r.elapsed.as_secs() < 10);
    }
    // TLS asked of a plain port: a usage error that says so.
    let https = etcd.endpoint.replace("http://", "https://");
    let r = kinspect(&["etcd", "get", "/x", "--endpoints", &https]);
    r.expect_code(2);
    assert!(r.stderr.contains("plain HTTP/2, not TLS"), "{}", r.stderr);
    // The peer port: etcd 3.4 answers there too; it works, with a warning
    // that says what the port is.
    let peer = etcd.endpoint.replace(":2379", ":2380");
    let r = kinspect(&["etcd", "keys", "--endpoints", &peer]);
    r.expect_code(0);
    assert!(
        r.stderr.contains("is the peer port of member"),
        "{}",
        r.stderr
    );
    // A missing key.
    let r = etcd.kinspect(&["etcd", "get", "/registry/pods/default/nope"]);
    r.expect_code(1);
    assert!(
        r.stderr.contains("no key \"/registry/pods/default/nope\""),
        "{}",
        r.stderr
    );
    // A revision in the future.
    let r = etcd.kinspect(&["etcd", "get", "/x", "--rev", "999999"]);
    r.expect_code(1);
    assert!(r.stderr.contains("future revision"), "{}", r.stderr);
    // Bad flags.
    let r = etcd.kinspect(&["etcd", "keys", "--page-size", "0"]);
    r.expect_code(2);
}
