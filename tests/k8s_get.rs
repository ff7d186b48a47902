//! `kinspect k8s get` and `etcd get -o yaml` against a real etcd (Debian's
//! etcd-server) holding a small cluster stored exactly as an apiserver
//! stores it (apiserver keys, `k8s\0` envelope, protobuf encoded with
//! k8s-pb), written by `kinspect lab load`. The same answers must come
//! from every source: live etcd, `--db` (an etcdctl snapshot),
//! `--data-dir` (after etcd stopped) and `-f` (the manifests).
//!
//! Column values follow kubectl's printers
//! (kubernetes/pkg/printers/internalversion/printers.go: printPod,
//! printNode, printDeployment, ...) and its ages
//! (k8s.io/apimachinery/pkg/util/duration.HumanDuration).
//!
//! etcd listens on 127.0.63.1:2379/2380, an address no other test uses.

mod common;

use std::path::Path;

use common::{Run, kinspect};

const EP: &str = "127.0.63.1:2379";
const AT: &str = "2026-01-02T00:00:00Z";
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/k8s/cluster.yaml");

use common::single_etcd::SingleEtcd as Etcd;

fn ok(r: Run) -> String {
    assert_eq!(r.code, Some(0), "{}", r.describe());
    r.stdout
}

fn get(source: &[&str], args: &[&str]) -> String {
    let mut a = vec!["k8s", "get"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["--at", AT]);
    a.extend_from_slice(source);
    ok(kinspect(&a))
}

/// Every leaf of `want` is in `got` with the same value (the stored
/// object may have more: fields Go always writes).
fn assert_contains(got: &serde_json::Value, want: &serde_json::Value, path: &str) {
    match (got, want) {
        (serde_json::Value::Object(g), serde_json::Value::Object(w)) => {
            for (k, wv) in w {
                let gv = g
                    .get(k)
                    .unwrap_or_else(|| panic!("{path}.{k} missing in {got:#}"));
                assert_contains(gv, wv, &format!("{path}.{k}"));
            }
        }
        (serde_json::Value::Array(g), serde_json::Value::Array(w)) => {
            assert_eq!(g.len(), w.len(), "{path}");
            for (i, (gv, wv)) in g.iter().zip(w).enumerate() {
                assert_contains(gv, wv, &format!("{path}[{i}]"));
            }
        }
        // YAML gives numbers where the JSON form has strings only for
        // quantities written bare in the fixture (`cpu: 2` vs "2").
        (serde_json::Value::String(g), serde_json::Value::Number(n)) => {
            assert_eq!(g, &n.to_string(), "{path}")
        }
        _ => assert_eq!(got, want, "{path}"),
    }
}

fn fixture_objects() -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(FIXTURE).unwrap();
    let mut out = Vec::new();
    for de in serde_norway::Deserializer::from_str(&text) {
        use serde::Deserialize as _;
        out.push(serde_json::Value::deserialize(de).unwrap());
    }
    out
}

const RESOURCES: &[&str] = &[
    "ns",
    "no",
    "po",
    "deploy",
    "rs",
    "sts",
    "ds",
    "jobs",
    "cj",
    "svc",
    "endpointslices",
    "cm",
    "secrets",
    "ev",
    "leases",
];

#[test]
fn a_stored_cluster_read_from_every_source() {
    let mut etcd = Etcd::start("127.0.63.1");
    let r = kinspect(&["lab", "load", "-f", FIXTURE, "--endpoints", EP]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    let n = fixture_objects().len();
    assert!(
        r.stderr.contains(&format!("{n} objects written")),
        "{}",
        r.stderr
    );

    // Stored as an apiserver stores them: its keys, the protobuf envelope.
    let raw = etcd.etcdctl(&["get", "/registry/minions/cp-1", "--print-value-only"]);
    assert!(
        raw.stdout.starts_with(b"k8s\0\n\x0a\n\x02v1\x12\x04Node"),
        "{:?}",
        &raw.stdout[..20]
    );
    let keys = etcd.etcdctl(&["get", "/registry/", "--prefix", "--keys-only"]);
    let keys = String::from_utf8_lossy(&keys.stdout);
    for k in [
        "/registry/services/specs/default/web",
        "/registry/leases/kube-system/kube-scheduler",
        "/registry/endpointslices/default/web-x7k2p",
        "/registry/pods/kube-system/etcd-cp-1",
    ] {
        assert!(keys.lines().any(|l| l == k), "{k} not in {keys}");
    }

    let live = ["--endpoints", EP];
    let fixture = ["-f", FIXTURE];

    // kubectl's columns: kubernetes/pkg/printers/internalversion/printers.go
    // (printPod: READY, STATUS reasons such as Init:1/2 and
    // CrashLoopBackOff, RESTARTS "12 (19m ago)"; printNode: Ready,
    // SchedulingDisabled, roles from node-role.kubernetes.io labels,
    // INTERNAL-IP with -o wide; printDeployment; printCoordinationLease:
    // HOLDER); AGE by staging/src/k8s.io/apimachinery/pkg/util/duration/duration.go
    // (HumanDuration).
    let pods = get(&live, &["pods", "-A"]);
    let want_pods = "\
NAMESPACE     NAME               READY   STATUS             RESTARTS       AGE
default       big-0              0/1     Pending            0              60m
default       crash-0            0/1     CrashLoopBackOff   12 (19m ago)   4h
default       init-0             0/1     Init:1/2           0              30m
default       web-7d4b9c-abcde   1/1     Running            0              120m
default       web-7d4b9c-fghij   0/1     ImagePullBackOff   0              10m
kube-system   etcd-cp-1          1/1     Running            1 (31d ago)    31d
";
    assert_eq!(pods, want_pods);
    let nodes = get(&live, &["nodes", "-o", "wide"]);
    let first: Vec<&str> = nodes
        .lines()
        .map(|l| l.split("   ").next().unwrap_or(""))
        .collect();
    assert_eq!(first, ["NAME", "cp-1", "worker-1", "worker-2"]);
    assert!(nodes.contains("Ready,SchedulingDisabled"), "{nodes}");
    assert!(
        nodes.lines().nth(3).unwrap().contains("NotReady"),
        "{nodes}"
    );
    assert!(
        nodes.contains("INTERNAL-IP") && nodes.contains("192.168.56.10"),
        "{nodes}"
    );
    assert!(nodes.contains("control-plane"), "{nodes}");
    let deploy = get(&live, &["deploy"]);
    assert_eq!(
        deploy,
        "NAME   READY   UP-TO-DATE   AVAILABLE   AGE\nweb    1/2     1            1           120m\n"
    );
    let leases = get(&live, &["leases", "-n", "kube-system"]);
    assert!(
        leases.contains("cp-1_7c2d0f4e-5b1a-4c8e-9f3d-2a6b8e1c0d9f"),
        "{leases}"
    );

    // Only the default namespace without -n/-A, as kubectl
    // (staging/src/k8s.io/kubectl/pkg/cmd/get/get.go: the namespace from
    // the kubeconfig context, "default" when none).
    let default_pods = get(&live, &["po"]);
    assert!(!default_pods.contains("etcd-cp-1"));
    assert_eq!(default_pods.lines().count(), 6);

    // Label selector (set-based `in` as in
    // staging/src/k8s.io/apimachinery/pkg/labels/selector.go) and one
    // object by name.
    let sel = get(
        &live,
        &["po", "-l", "app=web,pod-template-hash in (7d4b9c)"],
    );
    assert_eq!(sel.lines().count(), 3, "{sel}");
    let one = get(&live, &["pod/etcd-cp-1", "-n", "kube-system", "-o", "yaml"]);
    let doc: serde_json::Value = serde_norway::from_str(&one).unwrap();
    assert_eq!(
        doc["spec"]["containers"][0]["resources"]["requests"]["cpu"],
        "100m"
    );
    assert_eq!(
        doc["status"]["containerStatuses"][0]["lastState"]["terminated"]["reason"],
        "Completed"
    );

    // Secrets: everything but the values.
    let secret = get(&live, &["secret", "db-password", "-o", "yaml"]);
    assert!(
        secret.contains("password: '<redacted: 7 bytes>'"),
        "{secret}"
    );
    assert!(
        !secret.contains("aHVudGVyMg") && !secret.contains("hunter2"),
        "{secret}"
    );
    let shown = get(
        &live,
        &["secret", "db-password", "-o", "yaml", "--show-secrets"],
    );
    assert!(shown.contains("password: aHVudGVyMg=="), "{shown}");

    // Not found: kubectl's words (`pods "nope" not found`, NewNotFound in
    // staging/src/k8s.io/apimachinery/pkg/api/errors/errors.go), exit 1.
    let r = kinspect(&["k8s", "get", "po", "nope", "--endpoints", EP]);
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("pods \"nope\" not found"), "{}", r.stderr);

    // etcd get -o yaml: every fixture object, field for field.
    let yaml = ok(kinspect(&[
        "etcd",
        "get",
        "/registry/",
        "--prefix",
        "-o",
        "yaml",
        "--show-secrets",
        "--endpoints",
        EP,
    ]));
    let docs: Vec<serde_json::Value> = serde_norway::Deserializer::from_str(&yaml)
        .map(|d| {
            use serde::Deserialize as _;
            serde_json::Value::deserialize(d).unwrap()
        })
        .collect();
    let objects = fixture_objects();
    assert_eq!(docs.len(), objects.len());
    for want in &objects {
        let name = &want["metadata"]["name"];
        let got = docs
            .iter()
            .find(|d| d["metadata"]["name"] == *name && d["kind"] == want["kind"])
            .unwrap_or_else(|| panic!("{name} missing"));
        assert_contains(got, want, name.as_str().unwrap_or(""));
    }
    // JSON rows carry the object in kubectl's shape.
    let json = ok(kinspect(&[
        "etcd",
        "get",
        "/registry/deployments/default/web",
        "-o",
        "json",
        "--endpoints",
        EP,
    ]));
    let row: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(
        row["object"]["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"],
        "100%"
    );
    assert_eq!(row["object"]["spec"]["replicas"], 2);
    assert_eq!(row["key"], "/registry/deployments/default/web");

    // Every source, the same answers.
    let snap = etcd.dir.path().join("snap.db");
    let s = etcd.etcdctl(&["snapshot", "save", snap.to_str().unwrap()]);
    assert!(s.status.success(), "{}", String::from_utf8_lossy(&s.stderr));
    let live_tables: Vec<String> = RESOURCES.iter().map(|r| get(&live, &[r, "-A"])).collect();
    let snap_arg = ["--db", snap.to_str().unwrap()];
    for (r, want) in RESOURCES.iter().zip(&live_tables) {
        assert!(!want.is_empty(), "{r}: nothing stored");
        assert_eq!(&get(&snap_arg, &[r, "-A"]), want, "--db: {r}");
        // Files keep their own order: compare sorted rows.
        let mut a: Vec<String> = get(&fixture, &[r, "-A"])
            .lines()
            .map(str::to_string)
            .collect();
        let mut b: Vec<String> = want.lines().map(str::to_string).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b, "-f: {r}");
    }
    etcd.stop();
    let data = etcd.data();
    let dir_arg = ["--data-dir", data.to_str().unwrap()];
    for (r, want) in RESOURCES.iter().zip(&live_tables) {
        assert_eq!(&get(&dir_arg, &[r, "-A"]), want, "--data-dir: {r}");
    }
    // kubectl JSON output (a List) read back with -f gives the same.
    let list = ok(kinspect(&[
        "k8s",
        "get",
        "po",
        "-A",
        "-o",
        "json",
        "--data-dir",
        data.to_str().unwrap(),
    ]));
    let items: Vec<serde_json::Value> = list
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let as_list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
    let tmp = etcd.dir.path().join("pods.json");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&as_list).unwrap()).unwrap();
    assert_eq!(
        get(&["-f", tmp.to_str().unwrap()], &["po", "-A"]),
        live_tables[2]
    );
}

/// Bad input: an object that does not fit its schema is named with its
/// path, the others are still shown, exit 2. The path is written as
/// Kubernetes writes field paths (`spec.containers[0].ports[0].containerPort`,
/// staging/src/k8s.io/apimachinery/pkg/util/validation/field/path.go).
#[test]
fn bad_manifest_objects_are_named_and_the_rest_shown() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.yaml");
    std::fs::write(
        &f,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: ok-pod}\nspec: {containers: [{name: a, image: x}]}\n---\n\
         apiVersion: v1\nkind: Pod\nmetadata: {name: bad-pod}\nspec: {containers: [{name: a, ports: [{containerPort: eighty}]}]}\n",
    )
    .unwrap();
    let r = kinspect(&["k8s", "get", "po", "-f", f.to_str().unwrap()]);
    assert_eq!(r.code, Some(2), "{}", r.describe());
    assert!(r.stdout.contains("ok-pod"), "{}", r.describe());
    assert!(
        r.stderr
            .contains("bad.yaml#2: spec.containers[0].ports[0].containerPort"),
        "{}",
        r.stderr
    );
    let _ = Path::new(FIXTURE);
}

/// `etcd get --prefix -o yaml|json` decodes on two threads (runs of 32
/// values shared out): the output is byte-for-byte the one-thread output
/// (`--limit` keeps one thread), in key order, over 700 objects of
/// several kinds, a Secret redacted among them, a value that is not a
/// Kubernetes object, and two damaged or newer Pods the fast YAML path
/// leaves to the decoded tree.
#[test]
fn get_prefix_on_two_threads_equals_one_thread() {
    let ip = "127.0.63.7";
    let etcd = Etcd::start(ip);
    let ep = format!("{ip}:2379");
    let mut items = Vec::new();
    for i in 0..700 {
        let ns = format!("ns-{}", i % 7);
        items.push(match i % 3 {
            0 => serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": format!("cm-{i:04}"), "namespace": ns},
                "data": {"k": format!("value {i}"), "n": "8080"}}),
            1 => serde_json::json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("p-{i:04}"), "namespace": ns, "labels": {"app": "web"}},
                "spec": {"containers": [{"name": "c", "image": "nginx:1.27",
                    "resources": {"requests": {"cpu": "100m"}}}]},
                "status": {"phase": "Running", "podIP": "10.0.0.1"}}),
            _ => serde_json::json!({"apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": format!("s-{i:04}"), "namespace": ns},
                "data": {"password": "aHVudGVyMg=="}}),
        });
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let list = dir.path().join("list.json");
    std::fs::write(
        &list,
        serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items}).to_string(),
    )
    .expect("write");
    let r = kinspect(&[
        "lab",
        "load",
        "-f",
        list.to_str().expect("utf-8"),
        "--endpoints",
        &ep,
    ]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    let put = etcd.etcdctl(&["put", "/registry/zz-not-an-object", "plain text"]);
    assert!(put.status.success());
    // Two Pods the fast YAML path leaves to the decoded tree: one cut
    // short inside its metadata, one with a field Kubernetes 1.35 does not
    // have (field 99).
    let envelope = |raw: &[u8]| {
        let mut v = b"k8s\0\x0a\x09\x0a\x02v1\x12\x03Pod\x12".to_vec();
        v.push(u8::try_from(raw.len()).expect("short"));
        v.extend_from_slice(raw);
        v
    };
    let cut = envelope(b"\x0a\x10\x0a\x06zz-cut");
    let newer = envelope(b"\x0a\x08\x0a\x06zz-new\x9a\x06\x01x");
    for (key, value) in [
        ("/registry/pods/ns-0/zz-cut", cut),
        ("/registry/pods/ns-0/zz-new", newer),
    ] {
        put_raw(&ep, key, &value);
    }
    for format in ["yaml", "json"] {
        let two = kinspect(&[
            "etcd",
            "get",
            "/registry/",
            "--prefix",
            "-o",
            format,
            "--endpoints",
            &ep,
        ]);
        let one = kinspect(&[
            "etcd",
            "get",
            "/registry/",
            "--prefix",
            "-o",
            format,
            "--limit",
            "100000",
            "--endpoints",
            &ep,
        ]);
        assert_eq!(two.code, Some(0), "{}", two.describe());
        assert_eq!(one.code, Some(0), "{}", one.describe());
        assert_eq!(two.stdout, one.stdout, "-o {format}: two threads = one");
        assert!(
            !two.stdout.contains("aHVudGVyMg=="),
            "a Secret value printed"
        );
    }
    // The YAML says where reading stopped and what it skipped.
    let yaml = ok(kinspect(&[
        "etcd",
        "get",
        "/registry/pods/ns-0/zz-",
        "--prefix",
        "-o",
        "yaml",
        "--endpoints",
        &ep,
    ]));
    assert!(
        yaml.contains("# /registry/pods/ns-0/zz-cut  mod_revision")
            && yaml.contains(
                "\n# !! object: Pod stops: field 1 at offset 18: length 16 runs past the end (8 bytes left)\n"
            ),
        "{yaml}"
    );
    assert!(
        yaml.contains(
            "\n# offset 27: field 99 of Pod is not in Kubernetes 1.35's schema: skipped\n"
        ),
        "{yaml}"
    );
    assert!(yaml.contains("\n  name: zz-new\n"), "{yaml}");
    // Every stored key, once, in etcd's (key) order.
    let keys = etcd.etcdctl(&["get", "/registry/", "--prefix", "--keys-only"]);
    let want: Vec<String> = String::from_utf8_lossy(&keys.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    assert_eq!(want.len(), 703);
    let json = kinspect(&[
        "etcd",
        "get",
        "/registry/",
        "--prefix",
        "-o",
        "json",
        "--endpoints",
        &ep,
    ]);
    let got: Vec<String> = json
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["key"].as_str().map(str::to_string))
        .collect();
    assert_eq!(got, want);
    // Pages after the first are read at the walk's revision without a
    // round of consensus, and asked again linearizably when the member
    // answers that the revision is in its future: etcd's own words for
    // that, which src/etcd/keys.rs matches.
    let future = kinspect(&[
        "etcd",
        "get",
        "/registry/",
        "--prefix",
        "--rev",
        "99999999",
        "--endpoints",
        &ep,
    ]);
    assert_ne!(future.code, Some(0), "{}", future.describe());
    assert!(
        future
            .stderr
            .contains("mvcc: required revision is a future revision"),
        "{}",
        future.describe()
    );
}

/// Puts a binary value (etcdctl reads it from stdin when no value is given).
fn put_raw(ep: &str, key: &str, value: &[u8]) {
    use std::io::Write as _;
    let mut child = std::process::Command::new("etcdctl")
        .env("ETCDCTL_API", "3")
        .args(["--endpoints", ep, "put", key])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("etcdctl");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(value)
        .expect("write");
    assert!(child.wait().expect("etcdctl").success(), "put {key}");
}
