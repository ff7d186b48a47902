//! `kinspect lab load -f FILE|DIR|-`: Kubernetes objects (manifests or
//! kubectl's JSON/YAML) written into a lab etcd exactly as an apiserver
//! stores them — the apiserver's keys, the `k8s\0` protobuf envelope,
//! encoded with k8s-pb — so `kinspect k8s ...` and the Day-2 scenarios can
//! be tried with no apiserver at all.
//!
//! It writes to etcd, so it only talks to loopback endpoints (a lab)
//! unless `--not-a-lab` says otherwise.

use std::net::IpAddr;
use std::path::PathBuf;

use super::etcd::ConnArgs;
use super::{EXIT_OK, EXIT_USAGE, usage_error};
use crate::k8s::source::{parse_documents, to_stored};

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
eval \"$(kinspect lab etcd up)\"\n  \
kinspect lab load -f examples/k8s/challenge2.yaml\n  \
kinspect k8s why -A")]
pub struct LoadArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Manifests or kubectl JSON/YAML (a file, a folder, or - for stdin); repeatable
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "FILE|DIR|-",
        required = true
    )]
    pub filename: Vec<PathBuf>,
    /// Allow endpoints that are not on loopback (this writes to etcd!)
    #[arg(long)]
    pub not_a_lab: bool,
}

fn is_loopback(endpoint: &str) -> bool {
    let host = endpoint
        .split("://")
        .last()
        .unwrap_or(endpoint)
        .rsplit_once(':')
        .map_or(endpoint, |(h, _)| h)
        .trim_start_matches('[')
        .trim_end_matches(']');
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Runs `lab load`.
pub fn run(args: LoadArgs) -> i32 {
    let opts = match args.conn.options() {
        Ok(o) => o,
        Err(e) => return usage_error(e.to_string()),
    };
    if !args.not_a_lab
        && let Some(ep) = opts.endpoints.iter().find(|e| !is_loopback(e))
    {
        return usage_error(format!(
            "{ep} is not on loopback: lab load writes to etcd, so it only writes to a lab \
             (--not-a-lab to write anyway)"
        ));
    }
    let mut pairs = Vec::new();
    let mut bad = 0;
    let mut files = Vec::new();
    for p in &args.filename {
        if p.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(p)
                .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            v.retain(|f| {
                matches!(
                    f.extension().and_then(|x| x.to_str()),
                    Some("json" | "yaml" | "yml")
                )
            });
            v.sort();
            files.extend(v);
        } else {
            files.push(p.clone());
        }
    }
    for f in &files {
        let text = if f.as_os_str() == "-" {
            let mut b = Vec::new();
            let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut b);
            b
        } else {
            match std::fs::read(f) {
                Ok(b) => b,
                Err(e) => return usage_error(format!("{}: {e}", f.display())),
            }
        };
        let docs = match parse_documents(&text, f) {
            Ok(d) => d,
            Err(e) => return usage_error(e.to_string()),
        };
        for (i, d) in docs.iter().enumerate() {
            match to_stored(d) {
                Ok(kv) => pairs.push(kv),
                Err(e) => {
                    eprintln!("kinspect: error: {}#{}: {e}", f.display(), i + 1);
                    bad += 1;
                }
            }
        }
    }
    let n = pairs.len();
    super::etcd::block_on(async move {
        let put_all = async {
            let mut client = opts.connect_to(&opts.endpoints).await?;
            let ep = opts.endpoints.first().cloned().unwrap_or_default();
            for (k, v) in pairs {
                opts.call(&ep, client.put(k, v, None)).await?;
            }
            Ok::<(), crate::etcd::ClientError>(())
        };
        match put_all.await {
            Ok(()) => {
                eprintln!("kinspect: {n} objects written");
                if bad > 0 { EXIT_USAGE } else { EXIT_OK }
            }
            Err(e) => {
                let e = opts.explain(e).await;
                eprintln!("kinspect: error: {e}");
                super::exit_for(e.blame())
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_counts_as_a_lab() {
        assert!(is_loopback("127.0.0.1:2379"));
        assert!(is_loopback("http://127.0.61.1:22379"));
        assert!(is_loopback("https://localhost:2379"));
        assert!(is_loopback("[::1]:2379"));
        assert!(!is_loopback("10.0.0.5:2379"));
        assert!(!is_loopback("https://etcd.example.com:2379"));
    }
}
