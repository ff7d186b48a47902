//! Criterion benchmarks of every stage of the packet pipeline, each alone,
//! on the real captures of captures/ held in memory:
//!
//! - `read/*`: records out of a pcapng buffer (pcap-parser), and through the
//!   reader thread ([`ThreadedSource`]);
//! - `decode`: link/IP/TCP headers;
//! - `flow_table`: decode + connection table + reassembly + protocol
//!   detection, no dissectors (what `pcap flows` does);
//! - `dissect/*`: the same with the dissectors on, per capture: TLS
//!   handshakes, HTTP/2 + gRPC + etcd RPCs (client traffic), Raft over
//!   rafthttp (peer traffic);
//! - `*_two_threads`: the same through `net::shard` (a reader thread and
//!   connections tracked on two threads, outputs merged back in order:
//!   what `--threads 2` does with dissectors, and `--threads 3`);
//! - `flow_table/*_one_tracking_thread`: a reader thread and one tracking
//!   thread (what `--threads 2` does for `pcap flows`);
//! - `print/*`: each view fed the events and flows a run produced
//!   (collected beforehand), writing to `io::sink`.
//!
//! Throughput is in bytes of capture per second (for printers: of the
//! capture the rows came from), so stages compare as ratios of one another.
//! Captures are made by scripts/make-captures; missing ones are skipped.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kinspect::capture::{FileSource, PacketSource, ThreadedSource};
use kinspect::event::Event;
use kinspect::net::{FlowConfig, FlowRecord, Observer, decode};
use kinspect::pipeline::{Pipeline, Summary};
use kinspect::proto::Context;
use kinspect::timestamp::Timestamp;
use kinspect::view::{ElectionView, EventsView, FlowsView, Format, RpcView, TlsView};

fn capture(name: &str) -> Option<(PathBuf, Vec<u8>)> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name);
    match std::fs::read(&p) {
        Ok(b) => Some((p, b)),
        Err(_) => {
            eprintln!(
                "SKIP: {} not found (run scripts/make-captures)",
                p.display()
            );
            None
        }
    }
}

struct Count(u64);
impl Observer for Count {
    fn event(&mut self, _: &Event) {
        self.0 += 1;
    }
    fn flow(&mut self, _: &FlowRecord) {
        self.0 += 1;
    }
}

/// Everything a run told its observer, in order, to replay into a view.
enum Item {
    Event(Event),
    Flow(FlowRecord),
    Packet(Timestamp, u32, u16, u16),
}
struct Collect(Vec<Item>);
impl Observer for Collect {
    fn event(&mut self, e: &Event) {
        self.0.push(Item::Event(e.clone()));
    }
    fn flow(&mut self, f: &FlowRecord) {
        self.0.push(Item::Flow(f.clone()));
    }
    fn packet(&mut self, ts: Timestamp, origlen: u32, s: u16, d: u16) {
        self.0.push(Item::Packet(ts, origlen, s, d));
    }
}

fn config(dissect: bool) -> FlowConfig {
    FlowConfig {
        context: Arc::new(Context {
            dissect,
            ..Context::default()
        }),
        ..FlowConfig::default()
    }
}

fn run(path: &Path, bytes: &[u8], dissect: bool, obs: &mut dyn Observer) -> Summary {
    let mut src = FileSource::from_reader(path, Cursor::new(bytes)).expect("header");
    let mut p = Pipeline::new(config(dissect));
    let _ = p.run(&mut src, obs, |_, _| {});
    p.finish(obs)
}

/// [`run`] through `net::shard::run` (reader thread + `trackers` tracking
/// threads).
fn run_sharded(
    path: &Path,
    bytes: &Arc<[u8]>,
    dissect: bool,
    trackers: usize,
    obs: &mut dyn Observer,
) -> Summary {
    let src = FileSource::from_reader(path, Cursor::new(bytes.clone())).expect("header");
    match kinspect::net::shard::run(src, config(dissect), trackers, obs, |_, _| {}) {
        Ok((summary, _)) => summary,
        Err(_) => panic!("threads did not start"),
    }
}

fn replay(items: &[Item], obs: &mut dyn Observer) {
    for i in items {
        match i {
            Item::Event(e) => obs.event(e),
            Item::Flow(f) => obs.flow(f),
            Item::Packet(ts, l, s, d) => obs.packet(*ts, *l, *s, *d),
        }
    }
}

fn read_and_decode(c: &mut Criterion) {
    let Some((path, bytes)) = capture("etcd-3node-leader-kill.pcapng") else {
        return;
    };
    let mut g = c.benchmark_group("read");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("records", |b| {
        b.iter(|| {
            let mut src = FileSource::from_reader(&path, Cursor::new(&bytes[..])).expect("header");
            let mut n = 0usize;
            while let Ok(true) = src.advance() {
                n += src.current().data.len();
            }
            n
        })
    });
    g.bench_function("records_reader_thread", |b| {
        b.iter(|| {
            let src = FileSource::from_reader(&path, Cursor::new(bytes.clone())).expect("header");
            let Ok(mut src) = ThreadedSource::spawn(src) else {
                return 0;
            };
            let mut n = 0usize;
            while let Ok(true) = src.advance() {
                n += src.current().data.len();
            }
            n
        })
    });
    g.finish();
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    // Packets copied out first, so only decoding is measured.
    let mut frames = Vec::new();
    let mut src = FileSource::from_reader(&path, Cursor::new(&bytes[..])).expect("header");
    while let Ok(true) = src.advance() {
        let p = src.current();
        frames.push((p.ts, p.linktype, p.origlen, p.data.to_vec()));
    }
    g.bench_function("headers", |b| {
        b.iter(|| {
            frames
                .iter()
                .filter(|(ts, linktype, origlen, data)| {
                    decode(&kinspect::capture::Packet {
                        ts: *ts,
                        linktype: *linktype,
                        origlen: *origlen,
                        data,
                    })
                    .is_ok()
                })
                .count()
        })
    });
    g.finish();
    let mut g = c.benchmark_group("flow_table");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("leader_kill", |b| {
        b.iter(|| {
            let mut obs = Count(0);
            run(&path, &bytes, false, &mut obs);
            obs.0
        })
    });
    let shared: Arc<[u8]> = bytes.clone().into();
    g.bench_function("leader_kill_one_tracking_thread", |b| {
        b.iter(|| {
            let mut obs = Count(0);
            run_sharded(&path, &shared, false, 1, &mut obs);
            obs.0
        })
    });
    g.bench_function("leader_kill_two_threads", |b| {
        b.iter(|| {
            let mut obs = Count(0);
            run_sharded(&path, &shared, false, 2, &mut obs);
            obs.0
        })
    });
    g.finish();
}

fn dissectors(c: &mut Criterion) {
    let mut g = c.benchmark_group("dissect");
    for (name, file) in [
        ("tls", "etcd-tls13-keylog.pcapng"),
        ("http2_grpc_etcd_rpc", "etcd-rpc-election.client.pcapng"),
        ("raft", "etcd-rpc-election.peer.pcapng"),
    ] {
        let Some((path, bytes)) = capture(file) else {
            continue;
        };
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut obs = Count(0);
                run(&path, &bytes, true, &mut obs);
                obs.0
            })
        });
        let shared: Arc<[u8]> = bytes.clone().into();
        g.bench_function(format!("{name}_two_threads"), |b| {
            b.iter(|| {
                let mut obs = Count(0);
                run_sharded(&path, &shared, true, 2, &mut obs);
                obs.0
            })
        });
    }
    g.finish();
}

fn printers(c: &mut Criterion) {
    let mut g = c.benchmark_group("print");
    let inputs = [
        ("etcd-rpc-election.pcapng", true),
        ("etcd-3node-leader-kill.pcapng", false),
        ("etcd-tls13-keylog.pcapng", true),
    ];
    for (file, dissect) in inputs {
        let Some((path, bytes)) = capture(file) else {
            continue;
        };
        let mut items = Collect(Vec::new());
        let summary = run(&path, &bytes, dissect, &mut items);
        let items = items.0;
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        let stem = file.trim_end_matches(".pcapng");
        macro_rules! view {
            ($label:expr, $make:expr) => {
                g.bench_function(format!("{}/{stem}", $label), |b| {
                    b.iter(|| {
                        let mut v = $make;
                        replay(&items, &mut v);
                        v.finish(&summary).is_ok()
                    })
                });
            };
        }
        if dissect {
            view!(
                "events_json",
                EventsView::new(std::io::sink(), Format::Json)
            );
            view!(
                "events_table",
                EventsView::new(std::io::sink(), Format::Table)
            );
            view!("tls_json", TlsView::new(std::io::sink(), Format::Json));
            view!(
                "rpc_json",
                RpcView::new(std::io::sink(), Format::Json, false)
            );
            view!(
                "election_json",
                ElectionView::new(std::io::sink(), Format::Json)
            );
        } else {
            view!(
                "flows_table",
                FlowsView::new(std::io::sink(), Format::Table)
            );
            view!("flows_json", FlowsView::new(std::io::sink(), Format::Json));
        }
    }
    g.finish();
}

criterion_group!(benches, read_and_decode, dissectors, printers);
criterion_main!(benches);
