//! Loads an etcd with Kubernetes-like objects for `scripts/bench-etcd-keys`:
//! N keys under `/registry` spread over resources and namespaces the way a
//! busy cluster's are (mostly pods, then configmaps, secrets, services,
//! endpoints, events, deployments, leases, nodes and a custom resource),
//! each value a protobuf envelope (`k8s\0`, apiVersion/kind, ObjectMeta
//! with uid, labels and creation time, and a spec) of about `--value-size`
//! bytes.
//!
//! Fast: transactions of 128 puts (etcd's default `--max-txn-ops`), 16 in
//! flight at once.
//!
//! ```sh
//! cargo run --release --example load_etcd -- --endpoints http://127.0.45.1:2379 --keys 100000 --value-size 1000
//! ```

use std::time::Instant;

use etcd_client::{Client, Txn, TxnOp};
use kinspect::k8s::envelope::{encode, put_len, put_uint};
use tokio::task::JoinSet;

/// (key segment, apiVersion, kind, namespaced, share of the keys in %)
const RESOURCES: [(&str, &str, &str, bool, u32); 10] = [
    ("pods", "v1", "Pod", true, 55),
    ("configmaps", "v1", "ConfigMap", true, 10),
    ("secrets", "v1", "Secret", true, 6),
    ("services/specs", "v1", "Service", true, 5),
    ("services/endpoints", "v1", "Endpoints", true, 5),
    ("events", "v1", "Event", true, 8),
    ("deployments", "apps/v1", "Deployment", true, 4),
    ("leases", "coordination.k8s.io/v1", "Lease", true, 3),
    ("minions", "v1", "Node", false, 2),
    ("example.com/widgets", "example.com/v1", "Widget", true, 2),
];

const NAMESPACES: usize = 25;
const BATCH: usize = 128;
const IN_FLIGHT: usize = 16;

fn usage() -> ! {
    eprintln!("usage: load_etcd --endpoints URL[,URL] [--keys N] [--value-size BYTES]");
    std::process::exit(2)
}

/// The i-th key and its value.
fn item(i: usize, value_size: usize) -> (String, Vec<u8>) {
    // Pick the resource by share.
    let slot = (i % 100) as u32;
    let mut acc = 0;
    let mut r = RESOURCES[0];
    for res in RESOURCES {
        acc += res.4;
        if slot < acc {
            r = res;
            break;
        }
    }
    let (seg, api_version, kind, namespaced, _) = r;
    let ns = format!("team-{:02}", (i / 100) % NAMESPACES);
    let name = format!("{}-{i:07}", kind.to_lowercase());
    let key = if namespaced {
        format!("/registry/{seg}/{ns}/{name}")
    } else {
        format!("/registry/{seg}/{name}")
    };
    let mut meta = Vec::new();
    put_len(&mut meta, 1, name.as_bytes());
    if namespaced {
        put_len(&mut meta, 3, ns.as_bytes());
    }
    put_len(
        &mut meta,
        5,
        format!("{:08x}-5b56-11e7-8d4b-{:012x}", i, i * 7919).as_bytes(),
    );
    put_uint(&mut meta, 7, 1);
    let mut t = Vec::new();
    put_uint(&mut t, 1, 1_700_000_000 + i as u64);
    put_len(&mut meta, 8, &t);
    for (k, v) in [("app", kind), ("tier", "backend")] {
        let mut e = Vec::new();
        put_len(&mut e, 1, k.as_bytes());
        put_len(&mut e, 2, v.as_bytes());
        put_len(&mut meta, 11, &e);
    }
    let mut spec = Vec::new();
    put_len(&mut spec, 1, b"registry.k8s.io/app:v1.2.3");
    let mut filler = 0;
    while spec.len() + meta.len() + 60 < value_size {
        let mut env = Vec::new();
        put_len(&mut env, 1, format!("ENV_{filler}").as_bytes());
        put_len(&mut env, 2, b"some-configuration-value-of-moderate-length");
        put_len(&mut spec, 7, &env);
        filler += 1;
    }
    let mut raw = Vec::new();
    put_len(&mut raw, 1, &meta);
    put_len(&mut raw, 2, &spec);
    (key, encode(api_version, kind, &raw))
}

type Joined = Result<Result<etcd_client::TxnResponse, etcd_client::Error>, tokio::task::JoinError>;

/// Stops the load at the first failed transaction.
fn check(r: Option<Joined>) {
    match r {
        Some(Ok(Err(e))) => {
            eprintln!("load_etcd: txn failed: {e}");
            std::process::exit(1);
        }
        Some(Err(e)) => {
            eprintln!("load_etcd: task failed: {e}");
            std::process::exit(1);
        }
        _ => {}
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut endpoints = String::new();
    let mut keys: usize = 100_000;
    let mut value_size: usize = 1000;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--endpoints" => endpoints = v,
            "--keys" => keys = v.parse().unwrap_or_else(|_| usage()),
            "--value-size" => value_size = v.parse().unwrap_or_else(|_| usage()),
            _ => usage(),
        }
    }
    if endpoints.is_empty() {
        usage();
    }
    let eps: Vec<&str> = endpoints.split(',').collect();
    let client = match Client::connect(&eps, None).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("load_etcd: {endpoints}: {e}");
            std::process::exit(1);
        }
    };
    let t0 = Instant::now();
    let mut bytes = 0usize;
    let mut tasks = JoinSet::new();
    let mut start = 0;
    while start < keys {
        let end = (start + BATCH).min(keys);
        let ops: Vec<TxnOp> = (start..end)
            .map(|i| {
                let (k, v) = item(i, value_size);
                bytes += v.len();
                TxnOp::put(k, v, None)
            })
            .collect();
        let mut c = client.clone();
        tasks.spawn(async move { c.txn(Txn::new().and_then(ops)).await });
        while tasks.len() >= IN_FLIGHT {
            check(tasks.join_next().await);
        }
        start = end;
    }
    while let Some(r) = tasks.join_next().await {
        check(Some(r));
    }
    let secs = t0.elapsed().as_secs_f64();
    eprintln!(
        "load_etcd: {keys} keys, {:.1} MB of values (mean {} bytes) in {secs:.1} s",
        bytes as f64 / 1e6,
        bytes / keys.max(1)
    );
}
