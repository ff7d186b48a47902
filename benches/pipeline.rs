//! Criterion benchmarks of the packet pipeline's stages on a real capture
//! held in memory: reading records, decoding headers, and the whole
//! `pcap flows` pipeline (decode + connection table + reassembly).
//!
//! Input: captures/etcd-3node-leader-kill.pcapng (real etcd traffic made by
//! scripts/make-captures), else the corpus's NFS capture. Throughput is
//! reported in bytes/s so runs on different machines compare as ratios.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kinspect::capture::{FileSource, PacketSource};
use kinspect::event::Event;
use kinspect::net::{FlowConfig, FlowRecord, Observer, decode};
use kinspect::pipeline::Pipeline;

fn input() -> Option<(PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    [
        root.join("captures/etcd-3node-leader-kill.pcapng"),
        root.join("../shared/corpus/malformed/nfs_bad_stalls.cap"),
    ]
    .into_iter()
    .find_map(|p| std::fs::read(&p).ok().map(|b| (p, b)))
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

fn stages(c: &mut Criterion) {
    let Some((path, bytes)) = input() else {
        eprintln!("SKIP: no capture to benchmark (run scripts/make-captures)");
        return;
    };
    eprintln!("benchmarking on {} ({} bytes)", path.display(), bytes.len());
    let mut g = c.benchmark_group("pipeline");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("read_records", |b| {
        b.iter(|| {
            let mut src = FileSource::from_reader(&path, Cursor::new(&bytes[..])).expect("header");
            let mut n = 0usize;
            while let Ok(true) = src.advance() {
                n += src.current().data.len();
            }
            n
        })
    });
    g.bench_function("read_and_decode", |b| {
        b.iter(|| {
            let mut src = FileSource::from_reader(&path, Cursor::new(&bytes[..])).expect("header");
            let mut n = 0usize;
            while let Ok(true) = src.advance() {
                n += decode(&src.current()).is_ok() as usize;
            }
            n
        })
    });
    g.bench_function("flows", |b| {
        b.iter(|| {
            let mut src = FileSource::from_reader(&path, Cursor::new(&bytes[..])).expect("header");
            let mut obs = Count(0);
            let mut p = Pipeline::new(FlowConfig::default());
            let _ = p.run(&mut src, &mut obs, |_, _| {});
            p.finish(&mut obs);
            obs.0
        })
    });
    g.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
