//! Connection tracking beside the reader, on one thread or two, with the
//! output of one.
//!
//! [`run`] reads a source on a reader thread that decodes every packet's
//! headers and sends the TCP segments, in batches, to the tracking threads
//! (workers); the calling thread hands their outputs to the observer
//! (printing, usually). With one worker ([`trackers_for`] decides), it
//! tracks every connection in one [`FlowTable`], in packet order. With two,
//! each connection belongs to one worker (by a hash of its two endpoints,
//! the same both ways), which tracks it in a [`FlowTable`] of its own with
//! its dissectors; the other worker only [`FlowTable::tick`]s on the packet,
//! so both tables keep the clock and run the sweeps exactly as one table
//! would. Every event and flow record is tagged with its [`OrderKey`], and
//! the calling thread merges the two workers' outputs by key, batch by
//! batch, before handing them to the observer: the observer sees exactly
//! what a single [`crate::pipeline::Pipeline`] would have shown it, in the
//! same order.
//!
//! Two things a single table decides from every connection are kept exact
//! with two workers:
//! - the connection limit: the reader thread bounds the connections open in
//!   both tables from what the workers last reported plus every segment
//!   sent since; when that bound could reach the limit, the second worker
//!   hands its table to the first ([`FlowTable::absorb`]) and the first
//!   tracks everything from there on (one table, as in a serial run);
//! - key logs from pcapng secrets blocks: both workers stop where the block
//!   was, the first adds it, and both go on.
//!
//! The split of work between the reader and the workers moves batch by
//! batch: while the workers are behind, the reader also makes the
//! connection keys ([`KeysOn::Adaptive`]), so on two cores the work goes
//! to whichever has time to spare.
//!
//! Memory is bounded: at most [`IN_FLIGHT`] batches of about
//! [`BATCH_BYTES`] of payload wait for each worker, and as many batches of
//! output wait for the merge.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Barrier};
use std::thread::JoinHandle;

use super::decode::{Decoded, TcpFlags, TcpSegment, Transport};
use super::flow::{FlowConfig, FlowRecord, FlowTable, Key4, Observer, OrderKey, TableStats};
use crate::capture::{CaptureError, PacketSource};
use crate::event::Event;
use crate::pipeline::{Counts, Summary, add_secrets};
use crate::timestamp::Timestamp;

/// Payload bytes per batch ...
pub const BATCH_BYTES: usize = 256 << 10;
/// ... or TCP segments per batch.
const BATCH_SEGMENTS: usize = 4096;
/// Batches queued for each worker, and outputs queued for the merge.
pub const IN_FLIGHT: usize = 4;

/// pcapng Decryption Secrets Blocks: (secrets type, data).
type Secrets = Vec<(u32, Vec<u8>)>;

/// True when a run with `config` can be split: the sweeps never queue a
/// connection again (which keeps both tables' queues ordered by packet, so
/// they can be merged when the connection limit comes near).
pub fn can_shard(config: &FlowConfig) -> bool {
    config.idle_timeout_ns >= config.linger_ns
}

/// Which worker tracks the connection between two endpoints (the same for
/// both directions): a hash of the two endpoints in a fixed order.
fn shard_of(src: IpAddr, dst: IpAddr, src_port: u16, dst_port: u16) -> u8 {
    let word = |ip: IpAddr, port: u16| -> u64 {
        let ip = match ip {
            IpAddr::V4(a) => u64::from(u32::from(a)),
            IpAddr::V6(a) => {
                let v = u128::from(a);
                (v as u64) ^ ((v >> 64) as u64).rotate_left(29)
            }
        };
        ip.rotate_left(16) ^ u64::from(port)
    };
    let (a, b) = (word(src, src_port), word(dst, dst_port));
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let h = (lo.wrapping_mul(K).rotate_left(31) ^ hi).wrapping_mul(K);
    (h >> 63) as u8
}

/// One TCP segment, its payload in the batch's `data`. Kept small (the
/// reader thread writes one per packet, on another core than the worker
/// that reads it): IPv4 addresses inline, an IPv6 pair in the batch's `v6`
/// list; its time is in [`Batch::clock`] (all the other worker reads of
/// it) and its worker is which of [`Batch::own`] lists it.
struct Rec {
    origlen: u32,
    /// IPv4: the connection's key if the batch is [`Batch::keyed`], else
    /// the endpoints as sent ([`Key4::as_sent`]); IPv6 (`v6`): the
    /// addresses and ports are the pair in [`Batch::v6`] at the index that
    /// the sender's address of `key` holds.
    key: Key4,
    /// IPv4 in a keyed batch: whether the sender is the key's lower endpoint.
    sender_lo: bool,
    seq: u32,
    ack: u32,
    wire_len: u32,
    start: u32,
    end: u32,
    flags: TcpFlags,
    v6: bool,
}

#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    recs: Vec<Rec>,
    /// Per segment, its time (the one thing of it both workers read).
    clock: Vec<Timestamp>,
    /// Per worker, the segments it tracks (indices into `recs`, ascending):
    /// a worker walks its own list and only ticks through the others'
    /// times in between, without a branch per segment on whose it is.
    own: [Vec<u32>; 2],
    /// Whether the reader made the connection keys ([`Rec::key`]). It
    /// does when the workers are behind (their queue full): the key is
    /// work taken off the busier core. When the reader is the slower one,
    /// the workers make them.
    keyed: bool,
    /// The endpoints (sender first) of IPv6 segments ([`Rec::v6`]).
    v6: Vec<((IpAddr, u16), (IpAddr, u16))>,
    /// Secrets read just before segment `.0` of this batch.
    secrets: Vec<(usize, Secrets)>,
    /// The second worker hands its table to the first before this batch;
    /// every segment from here on is the first worker's.
    merge_before: bool,
    last: bool,
    progress: (u64, Option<u64>),
}

/// What a table produced for a batch: events and flow records, and in
/// `order` where each stands (its key, whether it is a flow, its index in
/// `events` or `flows`). Lists are handed back to the worker that filled
/// them, which clears them (its own allocations are freed on its own
/// thread) and reuses their room.
#[derive(Default)]
struct Outs {
    events: Vec<Event>,
    flows: Vec<FlowRecord>,
    order: Vec<(OrderKey, bool, u32)>,
    /// Earliest and latest time of the events the filter turned away.
    times: Option<(Timestamp, Timestamp)>,
}

impl Outs {
    fn clear(&mut self) {
        self.events.clear();
        self.flows.clear();
        self.order.clear();
        self.times = None;
    }
}

enum FromWorker {
    /// The outputs of one batch.
    Batch(Outs, (u64, Option<u64>)),
    /// The second worker handed its table over (instead of this batch's
    /// outputs); it sends nothing more.
    Gone,
    /// The outputs of the last batch and of the end of the capture.
    Done {
        outs: Outs,
        stats: TableStats,
        warnings_soft: Vec<String>,
    },
}

/// How reading ended: the per-packet counts, and the source's end.
struct ReadEnd {
    counts: Counts,
    result: Result<(), CaptureError>,
    warnings: Vec<CaptureError>,
}

/// An observer that keeps everything with its order key.
struct Recorder {
    key: OrderKey,
    outs: Outs,
    /// The observer's [`Observer::event_filter`].
    filter: Option<fn(&Event) -> bool>,
}

impl Observer for Recorder {
    fn event(&mut self, event: &Event) {
        self.event_owned(event.clone());
    }
    fn event_owned(&mut self, event: Event) {
        if let Some(keep) = self.filter
            && !keep(&event)
        {
            let t = event.ts;
            self.outs.times = Some(match self.outs.times {
                Some((a, b)) => (a.min(t), b.max(t)),
                None => (t, t),
            });
            return;
        }
        let i = self.outs.events.len() as u32;
        self.outs.events.push(event);
        self.outs.order.push((self.key, false, i));
    }
    fn flow(&mut self, flow: &FlowRecord) {
        let i = self.outs.flows.len() as u32;
        self.outs.flows.push(flow.clone());
        self.outs.order.push((self.key, true, i));
    }
    fn order(&mut self, key: OrderKey) {
        self.key = key;
    }
    fn order_packet(&mut self, packet: u64) {
        self.key = OrderKey {
            packet,
            phase: 2,
            a: 0,
            b: 0,
        };
    }
}

/// The workers' reports to the reader thread: (batches done << 32) |
/// connections open.
struct Published([AtomicU64; 2]);

impl Published {
    fn set(&self, worker: usize, batches: u64, open: usize) {
        let open = u64::try_from(open)
            .unwrap_or(u64::MAX)
            .min(u64::from(u32::MAX));
        self.0[worker].store((batches << 32) | open, Ordering::Release);
    }
    fn get(&self, worker: usize) -> (u64, u64) {
        let v = self.0[worker].load(Ordering::Acquire);
        (v >> 32, v & u64::from(u32::MAX))
    }
}

/// How many tracking threads a run on `threads` cores gets: two from three
/// cores up, and on two cores two only when the connections run dissectors.
/// Tracking without them (`pcap flows`) is light enough that one tracking
/// thread keeps pace with the reader while the calling thread prints, and
/// a second table would only add work: every packet ticked on both, the
/// outputs merged by key. Measured on 2 cores, 971k packets: one tracking
/// thread 72-73 ms and 117-120 ms of CPU, two 75-76 ms and 125-127 ms.
pub fn trackers_for(config: &FlowConfig, threads: u32) -> usize {
    if threads >= 3 || config.context.dissect {
        2
    } else {
        1
    }
}

/// Runs a whole source through `trackers` connection tables (1 or 2; see
/// [`trackers_for`]) and feeds `obs` what one table would have fed it (see
/// the module documentation). Returns the run's summary and how the source
/// ended (as [`crate::pipeline::Pipeline::run`] would). If a thread cannot
/// be started, the source is handed back.
pub fn run<S: PacketSource + Send + 'static>(
    source: S,
    config: FlowConfig,
    trackers: usize,
    obs: &mut dyn Observer,
    progress: impl FnMut(u64, Option<u64>),
) -> Result<(Summary, Option<CaptureError>), S> {
    run_tuned(source, config, trackers, obs, progress, Tuning::default())
}

/// How a run splits its work. [`run`] takes the default; tests and the
/// fuzzer choose, to reach every path on small captures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuning {
    /// At most this many segments per batch (small batches reach the
    /// handover and the sweeps across batches on small captures).
    pub batch_segments: usize,
    /// Which thread makes the IPv4 connection keys.
    pub keys: KeysOn,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            batch_segments: BATCH_SEGMENTS,
            keys: KeysOn::Adaptive,
        }
    }
}

/// Which thread makes the IPv4 connection keys ([`FlowTable`]'s index key
/// and which way the packet goes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeysOn {
    /// The reader, for each batch it makes while the workers are behind
    /// (every batch their queues hold is waiting); the workers otherwise.
    /// The work goes to the core with time to spare: on two cores, the
    /// reader's when the tracking thread shares its core with the printing.
    Adaptive,
    /// Always the reader.
    Reader,
    /// Always the workers.
    Workers,
}

/// [`run`] with its work split as `tuning` says.
pub fn run_tuned<S: PacketSource + Send + 'static>(
    source: S,
    config: FlowConfig,
    trackers: usize,
    obs: &mut dyn Observer,
    mut progress: impl FnMut(u64, Option<u64>),
    tuning: Tuning,
) -> Result<(Summary, Option<CaptureError>), S> {
    // One table: the second worker's place is never taken, as if it had
    // handed its table over before the first packet.
    let single = trackers < 2;
    let max_connections = config.max_connections;
    let published = Arc::new(Published([AtomicU64::new(0), AtomicU64::new(0)]));
    let barrier = Arc::new(Barrier::new(2));
    let (handover_tx, handover_rx) = sync_channel::<FlowTable>(1);
    let mut to_workers = Vec::new();
    let mut from_workers = Vec::new();
    let mut handles: Vec<JoinHandle<()>> = Vec::new();
    let mut handover_rx = Some(handover_rx);
    let mut handover_tx = Some(handover_tx);
    let filter = obs.event_filter();
    let (recycle_tx, recycle_rx) = sync_channel::<Batch>(2 * IN_FLIGHT + 2);
    for me in 0..if single { 1 } else { 2 } {
        let (tx, rx) = sync_channel::<Arc<Batch>>(IN_FLIGHT);
        let (out_tx, out_rx) = sync_channel::<FromWorker>(IN_FLIGHT);
        let (back_tx, back_rx) = sync_channel::<Outs>(IN_FLIGHT + 2);
        // One table: nothing merges its outputs by key.
        let table = if single {
            FlowTable::new(config.clone()).without_packet_keys()
        } else {
            FlowTable::new(config.clone())
        };
        let worker = Worker {
            me,
            table,
            published: published.clone(),
            barrier: barrier.clone(),
            recycle: recycle_tx.clone(),
            outs_back: back_rx,
            handover_rx: if me == 0 { handover_rx.take() } else { None },
            handover_tx: if me == 1 { handover_tx.take() } else { None },
        };
        let spawned = std::thread::Builder::new()
            .name(format!("kinspect-track{me}"))
            .spawn(move || {
                let _scheduling = BatchScheduling::enter();
                worker.run(filter, single, &rx, &out_tx)
            });
        match spawned {
            Ok(h) => handles.push(h),
            // Dropping the senders ends the worker already started.
            Err(_) => return Err(source),
        }
        to_workers.push(tx);
        from_workers.push((out_rx, back_tx));
    }
    drop(recycle_tx);
    let (end_tx, end_rx) = sync_channel::<ReadEnd>(1);
    let slot = Arc::new(std::sync::Mutex::new(Some(source)));
    let theirs = slot.clone();
    let reader = {
        let published = published.clone();
        std::thread::Builder::new()
            .name("kinspect-read".into())
            .spawn(move || {
                let _scheduling = BatchScheduling::enter();
                let source = theirs.lock().ok().and_then(|mut s| s.take());
                if let Some(mut source) = source {
                    let end = read(
                        &mut source,
                        single,
                        Tuning {
                            batch_segments: tuning.batch_segments.max(1),
                            ..tuning
                        },
                        &to_workers,
                        &recycle_rx,
                        &published,
                        max_connections,
                    );
                    let _ = end_tx.send(end);
                }
            })
    };
    let reader = match reader {
        Ok(h) => h,
        Err(_) => {
            drop(from_workers);
            for h in handles {
                let _ = h.join();
            }
            return match slot.lock().ok().and_then(|mut s| s.take()) {
                Some(s) => Err(s),
                // Unreachable: the closure never ran.
                None => Ok((
                    Summary::default(),
                    Some(thread_error("the reader thread did not start")),
                )),
            };
        }
    };
    handles.push(reader);

    let scheduling = BatchScheduling::enter();
    let (stats, warnings_soft, failure) = merge(&from_workers, obs, &mut progress);
    drop(scheduling);
    drop(from_workers);
    let end = end_rx.recv().ok();
    for h in handles {
        let _ = h.join();
    }
    let Some(end) = end else {
        return Ok((
            Summary::default(),
            Some(thread_error("the reader thread stopped")),
        ));
    };
    let mut counts = end.counts;
    counts.summary.warnings_soft.extend(warnings_soft);
    counts
        .summary
        .warnings
        .extend(end.warnings.iter().map(ToString::to_string));
    let summary = counts.finish(&stats, max_connections);
    let error = failure.or(end.result.err());
    Ok((summary, error))
}

/// The calling thread scheduled as batch work (Linux `SCHED_BATCH`) while
/// this lives, when it was scheduled normally (`SCHED_OTHER`); dropping it
/// restores that. Every thread of a run is busy from start to end, and a
/// woken batch thread waits for the running one's turn to end instead of
/// taking its place at once. Without it, on two cores, the kernel woke the
/// calling thread (which prints) on the tracking thread's core at every
/// batch and ran it there straight away, the two swapping hundreds of
/// times for a few microseconds each (`perf sched timehist`); as batch
/// work they switch a third as often and `pcap flows` is 4-8 % faster.
/// Both policies are open to any unprivileged thread.
struct BatchScheduling {
    #[cfg(target_os = "linux")]
    entered: bool,
}

impl BatchScheduling {
    fn enter() -> Self {
        #[cfg(target_os = "linux")]
        {
            // SAFETY: plain system calls on the calling thread (id 0), with
            // a parameter struct that lives across the call.
            let entered = unsafe {
                let param = libc::sched_param { sched_priority: 0 };
                libc::sched_getscheduler(0) == libc::SCHED_OTHER
                    && libc::sched_setscheduler(0, libc::SCHED_BATCH, &param) == 0
            };
            BatchScheduling { entered }
        }
        #[cfg(not(target_os = "linux"))]
        BatchScheduling {}
    }
}

impl Drop for BatchScheduling {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        if self.entered {
            // SAFETY: as in `enter`.
            unsafe {
                let param = libc::sched_param { sched_priority: 0 };
                libc::sched_setscheduler(0, libc::SCHED_OTHER, &param);
            }
        }
    }
}

fn thread_error(what: &str) -> CaptureError {
    CaptureError::Read {
        path: "<worker thread>".into(),
        offset: 0,
        source: std::io::Error::other(what.to_string()),
    }
}

/// The reader thread: decodes every packet, counts it, and sends the TCP
/// segments to the workers in batches (`single`: one worker, which owns
/// every segment).
fn read<S: PacketSource>(
    source: &mut S,
    single: bool,
    tuning: Tuning,
    to_workers: &[SyncSender<Arc<Batch>>],
    recycled: &Receiver<Batch>,
    published: &Published,
    max_connections: usize,
) -> ReadEnd {
    let mut counts = Counts::default();
    // Segments in the batches sent and not yet done by both workers.
    let mut pending: VecDeque<(u64, u64)> = VecDeque::new();
    let mut merged = single;
    let mut sent: u64 = 0;
    let result = loop {
        let mut batch = match recycled.try_recv() {
            Ok(mut b) => {
                b.data.clear();
                b.recs.clear();
                b.clock.clear();
                b.own[0].clear();
                b.own[1].clear();
                b.v6.clear();
                b.secrets.clear();
                b
            }
            Err(_) => Batch {
                data: Vec::with_capacity(BATCH_BYTES + 65_536),
                recs: Vec::with_capacity(tuning.batch_segments),
                clock: Vec::with_capacity(tuning.batch_segments),
                ..Batch::default()
            },
        };
        batch.merge_before = false;
        let keyed = match tuning.keys {
            KeysOn::Reader => true,
            KeysOn::Workers => false,
            KeysOn::Adaptive => {
                let done = if single {
                    published.get(0).0
                } else {
                    published.get(0).0.min(published.get(1).0)
                };
                sent.saturating_sub(done) >= IN_FLIGHT as u64
            }
        };
        batch.keyed = keyed;
        let mut end = None;
        while batch.data.len() < BATCH_BYTES && batch.recs.len() < tuning.batch_segments {
            match source.advance() {
                Ok(true) => {
                    if source.may_have_secrets() {
                        let secrets = source.take_secrets();
                        if !secrets.is_empty() {
                            batch.secrets.push((batch.recs.len(), secrets));
                        }
                    }
                    let p = source.current();
                    // Counted and read where the decode result lies (moving
                    // it costs more than the rest of this loop).
                    let d = super::decode(&p);
                    counts.count(&p, &d);
                    let Ok(Decoded {
                        src,
                        dst,
                        transport: Transport::Tcp(seg),
                    }) = &d
                    else {
                        continue;
                    };
                    let start = batch.data.len();
                    batch.data.extend_from_slice(seg.payload);
                    let (Ok(start), Ok(end)) =
                        (u32::try_from(start), u32::try_from(batch.data.len()))
                    else {
                        // A batch is far below 4 GiB: unreachable.
                        continue;
                    };
                    let shard = if single {
                        0
                    } else {
                        shard_of(*src, *dst, seg.src_port, seg.dst_port)
                    };
                    // The addresses read field by field: copying the two
                    // `IpAddr`s whole stalls on the decoder's narrower stores.
                    let (key, sender_lo, v6) = match (src, dst) {
                        (IpAddr::V4(a), IpAddr::V4(b)) => {
                            let sent = Key4::as_sent(
                                u32::from(*a),
                                seg.src_port,
                                u32::from(*b),
                                seg.dst_port,
                            );
                            let (key, sender_lo) =
                                if keyed { sent.ordered() } else { (sent, false) };
                            (key, sender_lo, false)
                        }
                        _ => {
                            let Ok(i) = u32::try_from(batch.v6.len()) else {
                                continue;
                            };
                            batch.v6.push(((*src, seg.src_port), (*dst, seg.dst_port)));
                            (Key4::as_sent(i, 0, 0, 0), false, true)
                        }
                    };
                    // Below `tuning.batch_segments`, itself far below 4 G.
                    let i = batch.clock.len() as u32;
                    batch.own[usize::from(shard)].push(i);
                    batch.clock.push(p.ts);
                    batch.recs.push(Rec {
                        origlen: p.origlen,
                        key,
                        sender_lo,
                        seq: seg.seq,
                        ack: seg.ack,
                        flags: seg.flags,
                        wire_len: seg.wire_len,
                        start,
                        end,
                        v6,
                    });
                }
                Ok(false) => {
                    end = Some(Ok(()));
                    break;
                }
                Err(e) => {
                    end = Some(Err(e));
                    break;
                }
            }
        }
        let last = end.is_some();
        batch.last = last;
        batch.progress = source.progress();
        let segments = batch.recs.len() as u64;
        if !merged {
            // Connections open in both tables at any point of this batch
            // are at most what the workers last reported plus one per
            // segment sent since.
            let (d0, c0) = published.get(0);
            let (d1, c1) = published.get(1);
            let done = d0.min(d1);
            while pending.front().is_some_and(|&(i, _)| i < done) {
                pending.pop_front();
            }
            let bound = c0 + c1 + pending.iter().map(|&(_, n)| n).sum::<u64>() + segments;
            if bound >= u64::try_from(max_connections).unwrap_or(u64::MAX) {
                merged = true;
                batch.merge_before = true;
            } else {
                pending.push_back((sent, segments));
            }
        }
        if merged {
            let n = batch.clock.len() as u32;
            let [first, second] = &mut batch.own;
            if !second.is_empty() {
                first.clear();
                first.extend(0..n);
                second.clear();
            }
        }
        let batch = Arc::new(batch);
        for tx in to_workers {
            // A worker gone away (it handed its table over) needs no more.
            let _ = tx.send(batch.clone());
        }
        sent += 1;
        if let Some(result) = end {
            break result;
        }
    };
    ReadEnd {
        counts,
        result,
        warnings: source.take_warnings(),
    }
}

struct Worker {
    me: usize,
    table: FlowTable,
    published: Arc<Published>,
    barrier: Arc<Barrier>,
    handover_rx: Option<Receiver<FlowTable>>,
    handover_tx: Option<SyncSender<FlowTable>>,
    /// Batches both workers are done with go back to the reader thread.
    recycle: SyncSender<Batch>,
    /// Output lists the merge is done with come back here.
    outs_back: Receiver<Outs>,
}

impl Worker {
    fn run(
        mut self,
        filter: Option<fn(&Event) -> bool>,
        mut alone: bool,
        rx: &Receiver<Arc<Batch>>,
        out: &SyncSender<FromWorker>,
    ) {
        let mut done: u64 = 0;
        let mut warnings_soft = Vec::new();
        let mut rec = Recorder {
            key: OrderKey::default(),
            outs: Outs::default(),
            filter,
        };
        while let Ok(batch) = rx.recv() {
            if batch.merge_before && !alone {
                alone = true;
                if let Some(tx) = self.handover_tx.take() {
                    // The second worker: hand the table over and stop.
                    let table =
                        std::mem::replace(&mut self.table, FlowTable::new(FlowConfig::default()));
                    let _ = tx.send(table);
                    let _ = out.send(FromWorker::Gone);
                    return;
                }
                match self.handover_rx.take().map(|r| r.recv()) {
                    Some(Ok(other)) => self.table.absorb(other),
                    // The second worker died: its connections are lost.
                    _ => return,
                }
            }
            let mut secrets = batch.secrets.iter().peekable();
            let own = batch
                .own
                .get(self.me)
                .map(Vec::as_slice)
                .unwrap_or_default();
            if own.len() == batch.recs.len() && batch.secrets.is_empty() {
                // Every segment is this worker's (one table): no clock runs
                // in between.
                for i in 0..batch.recs.len() {
                    self.track(&batch, i, &mut rec);
                }
            } else {
                let mut next = 0usize;
                // Each segment of this worker, then (`None`) the batch's end.
                for j in own.iter().map(|&j| Some(j as usize)).chain([None]) {
                    let upto = j.unwrap_or(batch.clock.len()).min(batch.clock.len());
                    // The other worker's segments before it: only the clock,
                    // in runs between the secrets blocks.
                    let mut from = next;
                    while from < upto {
                        while let Some((_, s)) = secrets.next_if(|(at, _)| *at <= from) {
                            self.add_secrets(alone, s, &mut warnings_soft);
                        }
                        let stop = secrets.peek().map_or(upto, |(at, _)| (*at).min(upto));
                        let run = batch.clock.get(from..stop).unwrap_or_default();
                        self.table.tick_run(run, &mut rec);
                        from = stop;
                    }
                    let Some(i) = j else {
                        break;
                    };
                    next = i + 1;
                    while let Some((_, s)) = secrets.next_if(|(at, _)| *at == i) {
                        self.add_secrets(alone, s, &mut warnings_soft);
                    }
                    self.track(&batch, i, &mut rec);
                }
            }
            // Secrets after the last segment of the batch.
            for (_, s) in secrets {
                self.add_secrets(alone, s, &mut warnings_soft);
            }
            done += 1;
            self.published.set(self.me, done, self.table.len());
            if batch.last {
                self.table.finish(&mut rec);
                let _ = out.send(FromWorker::Done {
                    outs: rec.outs,
                    stats: self.table.stats.clone(),
                    warnings_soft,
                });
                return;
            }
            let progress = batch.progress;
            if let Some(b) = Arc::into_inner(batch) {
                // A full queue only means a fresh batch gets allocated.
                let _ = self.recycle.try_send(b);
            }
            let next = match self.outs_back.try_recv() {
                Ok(mut o) => {
                    o.clear();
                    o
                }
                Err(_) => Outs::default(),
            };
            let outs = std::mem::replace(&mut rec.outs, next);
            if out.send(FromWorker::Batch(outs, progress)).is_err() {
                return;
            }
        }
    }

    /// Tracks segment `i` of the batch.
    #[inline]
    fn track(&mut self, batch: &Batch, i: usize, rec: &mut Recorder) {
        let (Some(r), Some(&ts)) = (batch.recs.get(i), batch.clock.get(i)) else {
            return;
        };
        let payload = batch
            .data
            .get(r.start as usize..r.end as usize)
            .unwrap_or_default();
        let seg = |(src_port, dst_port)| TcpSegment {
            src_port,
            dst_port,
            seq: r.seq,
            ack: r.ack,
            flags: r.flags,
            payload,
            wire_len: r.wire_len,
        };
        if r.v6 {
            // Always there: the reader put it in this batch.
            let none = (IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), 0);
            let (s, d) = batch
                .v6
                .get(r.key.sender_addr() as usize)
                .copied()
                .unwrap_or((none, none));
            let seg = seg((s.1, d.1));
            self.table.tcp(ts, r.origlen, s.0, d.0, &seg, rec);
        } else {
            let (key, sender_lo) = if batch.keyed {
                (r.key, r.sender_lo)
            } else {
                r.key.ordered()
            };
            let seg = seg(key.ports(sender_lo));
            self.table.tcp_v4(ts, r.origlen, key, sender_lo, &seg, rec);
        }
    }

    /// Adds a secrets block where both workers stand at the same packet.
    fn add_secrets(&self, alone: bool, secrets: &Secrets, warnings_soft: &mut Vec<String>) {
        if !alone {
            self.barrier.wait();
        }
        if self.me == 0 {
            add_secrets(&self.table.context(), secrets.clone(), warnings_soft);
        }
        if !alone {
            self.barrier.wait();
        }
    }
}

/// The calling thread: merges the workers' outputs batch by batch and
/// feeds them to the observer. Returns the tables' totals, the secrets
/// blocks' warnings, and an error if a worker died.
fn merge(
    from: &[(Receiver<FromWorker>, SyncSender<Outs>)],
    obs: &mut dyn Observer,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> (TableStats, Vec<String>, Option<CaptureError>) {
    let mut second = from.len() > 1;
    let mut stats = TableStats::default();
    let mut soft = Vec::new();
    let mut finished = [false, false];
    loop {
        let a = from[0].0.recv();
        let b = if second {
            from.get(1).map(|(rx, _)| rx.recv())
        } else {
            None
        };
        let mut outs: [Outs; 2] = [Outs::default(), Outs::default()];
        for (i, msg) in [Some(a), b].into_iter().enumerate() {
            match msg {
                None => {}
                Some(Err(_)) => {
                    return (stats, soft, Some(thread_error("a tracking thread stopped")));
                }
                Some(Ok(FromWorker::Gone)) => second = false,
                Some(Ok(FromWorker::Batch(o, (done, total)))) => {
                    outs[i] = o;
                    if i == 0 {
                        progress(done, total);
                    }
                }
                Some(Ok(FromWorker::Done {
                    outs: o,
                    stats: s,
                    warnings_soft,
                })) => {
                    outs[i] = o;
                    finished[i] = true;
                    stats.connections += s.connections;
                    stats.evicted_idle += s.evicted_idle;
                    stats.evicted_limit += s.evicted_limit;
                    stats.gap_bytes += s.gap_bytes;
                    if i == 0 {
                        soft = warnings_soft;
                    }
                }
            }
        }
        feed(&outs[0], &outs[1], obs);
        for (first, last) in outs.iter().filter_map(|o| o.times) {
            obs.times_seen(first, last);
        }
        if finished[0] {
            return (stats, soft, None);
        }
        for (o, (_, back)) in outs.into_iter().zip(from) {
            // A full queue only means the worker allocates fresh lists.
            let _ = back.try_send(o);
        }
    }
}

/// Hands two key-ordered output lists to the observer as one.
fn feed(x: &Outs, y: &Outs, obs: &mut dyn Observer) {
    let give = |o: &Outs, flow: bool, i: u32, obs: &mut dyn Observer| {
        if flow {
            if let Some(f) = o.flows.get(i as usize) {
                obs.flow(f);
            }
        } else if let Some(e) = o.events.get(i as usize) {
            obs.event(e);
        }
    };
    let (mut i, mut j) = (0, 0);
    while let (Some(a), Some(b)) = (x.order.get(i), y.order.get(j)) {
        if a.0 <= b.0 {
            give(x, a.1, a.2, obs);
            i += 1;
        } else {
            give(y, b.1, b.2, obs);
            j += 1;
        }
    }
    for a in x.order.get(i..).unwrap_or_default() {
        give(x, a.1, a.2, obs);
    }
    for b in y.order.get(j..).unwrap_or_default() {
        give(y, b.1, b.2, obs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{FileSource, MergedSource};
    use crate::pipeline::Pipeline;
    use std::path::Path;

    /// Everything an observer was told, in order.
    #[derive(Default)]
    struct Log(Vec<String>);
    impl Observer for Log {
        fn event(&mut self, e: &Event) {
            self.0.push(format!("{e:?}"));
        }
        fn flow(&mut self, f: &FlowRecord) {
            self.0.push(format!("{f:?}"));
        }
    }

    fn source() -> MergedSource {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
        MergedSource::new(
            ["etcd-3node-leader-kill.pcapng", "etcd-rpc-election.pcapng"]
                .iter()
                .map(|f| FileSource::open(&dir.join(f)).expect("capture"))
                .collect(),
        )
    }

    fn config(max_connections: usize, idle_s: i64) -> FlowConfig {
        FlowConfig {
            max_connections,
            idle_timeout_ns: idle_s * 1_000_000_000,
            ..FlowConfig::default()
        }
    }

    /// The reader thread writes one record per TCP packet: keep it small.
    #[test]
    fn a_segment_record_is_44_bytes() {
        assert_eq!(std::mem::size_of::<Rec>(), 44);
    }

    /// What a view's [`Observer::wants`] turns off changes only events it
    /// drops, and never the earliest or latest time of a connection's
    /// events (which `pcap election` keeps for its time span): every
    /// event of another kind is the same, in the same order.
    #[test]
    fn turned_off_decoding_keeps_other_events_and_every_connections_time_span() {
        use crate::event::EventKind;
        use crate::proto::raft::RaftEvent;
        use crate::proto::{Context, Wants};
        use std::collections::BTreeMap;

        #[derive(Default)]
        struct Events(Vec<Event>);
        impl Observer for Events {
            fn event(&mut self, e: &Event) {
                self.0.push(e.clone());
            }
            fn flow(&mut self, _: &FlowRecord) {}
        }
        let run = |file: &str, wants: Wants| {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
            let mut src = FileSource::open(&dir.join(file)).expect("capture");
            let config = FlowConfig {
                context: std::sync::Arc::new(Context {
                    wants,
                    ..Context::default()
                }),
                ..FlowConfig::default()
            };
            let mut p = Pipeline::new(config);
            let mut obs = Events::default();
            p.run(&mut src, &mut obs, |_, _| {}).expect("read");
            p.finish(&mut obs);
            obs.0
        };
        let dropped_by = |w: Wants, k: &EventKind| match k {
            EventKind::Raft(_) => !w.raft,
            EventKind::Http2(_) | EventKind::Etcd(_) => !w.http2 || !w.grpc_messages,
            EventKind::Grpc(crate::proto::grpc::GrpcEvent::GrpcMessage { .. }) => {
                !w.grpc_messages || !w.http2
            }
            EventKind::Grpc(_) => !w.http2,
            EventKind::Http(_) => !w.http1,
            _ => false,
        };
        let span = |events: &[Event]| {
            let mut m: BTreeMap<(std::net::SocketAddr, std::net::SocketAddr), (i64, i64)> =
                BTreeMap::new();
            for e in events {
                let k = if e.src <= e.dst {
                    (e.src, e.dst)
                } else {
                    (e.dst, e.src)
                };
                let v = m.entry(k).or_insert((e.ts.0, e.ts.0));
                v.0 = v.0.min(e.ts.0);
                v.1 = v.1.max(e.ts.0);
            }
            m
        };
        let election = Wants {
            raft: true,
            grpc_messages: false,
            http2: false,
            raft_entries: false,
            http1: false,
            events: true,
        };
        let rpc = Wants {
            raft: false,
            grpc_messages: false,
            http2: true,
            raft_entries: false,
            http1: true,
            events: true,
        };
        let mut turned_off = 0;
        for file in [
            "etcd-3node-leader-kill.pcapng",
            "etcd-rpc-election.pcapng",
            "etcd-rpc-election.client.pcapng",
            "etcd-tls13-keylog-dsb.pcapng",
        ] {
            let all = run(file, Wants::ALL);
            for wants in [election, rpc] {
                let some = run(file, wants);
                turned_off += all.len() - some.len();
                // Without `raft_entries`, a message keeps the summaries
                // that name a member (all `pcap election` reads of them).
                let kept = |v: &[Event]| -> Vec<String> {
                    v.iter()
                        .filter(|e| !dropped_by(wants, &e.kind))
                        .map(|e| {
                            let mut e = e.clone();
                            if let EventKind::Raft(RaftEvent::RaftMessage {
                                entry_summaries, ..
                            }) = &mut e.kind
                            {
                                if !wants.raft_entries {
                                    entry_summaries.retain(|s| s.contains("/members/"));
                                }
                            }
                            format!("{e:?}")
                        })
                        .collect()
                };
                assert_eq!(kept(&all), kept(&some), "{file} {wants:?}");
                assert_eq!(span(&all), span(&some), "{file} {wants:?}");
            }
        }
        assert!(turned_off > 1000, "{turned_off}");
    }

    /// Small batches make the second table hand over a full table in the
    /// middle of the run (not an empty one at the first batch), and put
    /// sweeps and both tables' outputs in many batches. One tracking thread
    /// beside the reader tells the same, and so do connection keys made on
    /// the reader or on the workers.
    #[test]
    fn two_tables_tell_the_observer_what_one_table_tells_it() {
        let mut limited = 0;
        for (max, idle, batch) in [
            (100_000, 300, 4096),
            (100_000, 10, 1),
            (100_000, 10, 7),
            (12, 300, 1),
            (25, 10, 3),
            (40, 300, 5),
            (3, 300, 64),
        ] {
            let mut one = Log::default();
            let mut p = Pipeline::new(config(max, idle));
            let mut src = source();
            p.run(&mut src, &mut one, |_, _| {}).expect("read");
            let serial = p.finish(&mut one);
            let runs = [2, 1].map(|t| [(t, KeysOn::Reader), (t, KeysOn::Workers)]);
            for (trackers, keys) in runs.into_iter().flatten() {
                let what = format!(
                    "max={max} idle={idle} batch={batch} trackers={trackers} keys on {keys:?}"
                );
                let mut two = Log::default();
                let tuning = Tuning {
                    batch_segments: batch,
                    keys,
                };
                let Ok((sharded, error)) = run_tuned(
                    source(),
                    config(max, idle),
                    trackers,
                    &mut two,
                    |_, _| {},
                    tuning,
                ) else {
                    panic!("threads did not start")
                };
                assert!(error.is_none(), "{error:?}");
                assert!(one.0.len() > 1000, "{}", one.0.len());
                assert_eq!(one.0.len(), two.0.len(), "{what}");
                for (i, (a, b)) in one.0.iter().zip(&two.0).enumerate() {
                    assert_eq!(a, b, "output {i}, {what}");
                }
                assert_eq!(serial.line(), sharded.line(), "{what}");
                assert_eq!(serial.evicted_limit, sharded.evicted_limit, "{what}");
                assert_eq!(serial.evicted_idle, sharded.evicted_idle, "{what}");
                if serial.evicted_limit > 0 && trackers == 2 {
                    limited += 1;
                }
            }
        }
        assert!(limited >= 3, "the limit was reached in {limited} runs");
    }

    /// Flows without dissectors get one tracking thread on two cores;
    /// dissecting views and three cores or more get two.
    #[test]
    fn tracking_threads_by_cores_and_dissection() {
        use crate::proto::Context;
        let with = |dissect: bool| FlowConfig {
            context: Arc::new(Context {
                dissect,
                ..Context::default()
            }),
            ..FlowConfig::default()
        };
        assert_eq!(trackers_for(&with(false), 2), 1);
        assert_eq!(trackers_for(&with(true), 2), 2);
        assert_eq!(trackers_for(&with(false), 3), 2);
        assert_eq!(trackers_for(&with(true), 8), 2);
    }

    /// Outputs with the order key they came under.
    #[derive(Default)]
    struct Keyed {
        key: OrderKey,
        log: Vec<(OrderKey, String)>,
    }
    impl Observer for Keyed {
        fn event(&mut self, e: &Event) {
            self.log.push((self.key, format!("{e:?}")));
        }
        fn flow(&mut self, f: &FlowRecord) {
            self.log.push((self.key, format!("{f:?}")));
        }
        fn order(&mut self, key: OrderKey) {
            self.key = key;
        }
    }

    /// `tick_run` over the packets between two of a table's own ones
    /// sweeps at the same packets as a `tick` per packet: connections that
    /// closed or went idle are finished under the same keys, in the same
    /// order.
    #[test]
    fn a_run_of_ticks_sweeps_at_the_packets_single_ticks_do() {
        let (client, server): (IpAddr, IpAddr) =
            ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let (mut one, mut runs) = (
            FlowTable::new(config(100_000, 2)),
            FlowTable::new(config(100_000, 2)),
        );
        let (mut log_one, mut log_runs) = (Keyed::default(), Keyed::default());
        let mut between: Vec<Timestamp> = Vec::new();
        for k in 0..60u16 {
            let t0 = i64::from(k) * 700_000_000;
            for &ts in &between {
                one.tick(ts, &mut log_one);
            }
            // The second table is given them as one run.
            runs.tick_run(&between, &mut log_runs);
            between.clear();
            let flags = TcpFlags {
                syn: k % 3 != 2,
                ack: k % 3 == 2,
                fin: false,
                rst: k % 5 == 4,
            };
            let seg = TcpSegment {
                src_port: 40_000 + k % 7,
                dst_port: 2379,
                seq: 1000 * u32::from(k),
                ack: 0,
                flags,
                payload: &[],
                wire_len: 0,
            };
            one.tcp(Timestamp(t0), 60, client, server, &seg, &mut log_one);
            runs.tcp(Timestamp(t0), 60, client, server, &seg, &mut log_runs);
            // Other packets, 90 ms apart, then a pause of a few seconds.
            between.extend((1..8).map(|i| Timestamp(t0 + i * 90_000_000)));
            if k % 9 == 8 {
                between.push(Timestamp(t0 + 4_000_000_000));
            }
        }
        // Tail: a run reaching far past every sweep time.
        between.extend((0..20).map(|i| Timestamp(60 * 700_000_000 + i * 1_500_000_000)));
        for &ts in &between {
            one.tick(ts, &mut log_one);
        }
        runs.tick_run(&between, &mut log_runs);
        one.finish(&mut log_one);
        runs.finish(&mut log_runs);
        assert_eq!(log_one.log, log_runs.log);
        let swept = log_one.log.iter().filter(|(k, _)| k.phase < 2).count();
        assert!(swept > 20, "{swept} outputs of sweeps");
    }

    #[test]
    fn both_directions_of_a_connection_go_to_one_worker() {
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let mut seen = [0usize; 2];
        for port in 30000..30200u16 {
            let s = shard_of(a, b, port, 2379);
            assert_eq!(s, shard_of(b, a, 2379, port));
            seen[usize::from(s)] += 1;
        }
        // Ports alone spread connections over both workers.
        assert!(seen[0] > 60 && seen[1] > 60, "{seen:?}");
        let c: IpAddr = "fd00::1".parse().unwrap();
        let d: IpAddr = "fd00::2".parse().unwrap();
        assert_eq!(shard_of(c, d, 1, 2), shard_of(d, c, 2, 1));
    }

    /// `Wants::events` off (`pcap flows`): no event is made, on one thread
    /// or two, and the flow records are the ones made with events, in the
    /// same order.
    #[test]
    fn without_events_the_flow_records_are_the_same() {
        use crate::proto::{Context, Wants};
        let config = |events: bool, dissect: bool| FlowConfig {
            context: std::sync::Arc::new(Context {
                dissect,
                wants: Wants {
                    events,
                    ..Wants::ALL
                },
                ..Context::default()
            }),
            ..FlowConfig::default()
        };
        let split = |log: &Log| -> (Vec<String>, usize) {
            let flows: Vec<String> = log
                .0
                .iter()
                .filter(|l| l.starts_with("FlowRecord"))
                .cloned()
                .collect();
            (flows.clone(), log.0.len() - flows.len())
        };
        for dissect in [false, true] {
            let mut with = Log::default();
            let mut p = Pipeline::new(config(true, dissect));
            p.run(&mut source(), &mut with, |_, _| {}).expect("read");
            p.finish(&mut with);
            let (flows, events) = split(&with);
            assert!(
                flows.len() > 300 && events > 1000,
                "{} {events}",
                flows.len()
            );
            for trackers in [0, 1, 2] {
                let mut without = Log::default();
                if trackers == 0 {
                    let mut p = Pipeline::new(config(false, dissect));
                    p.run(&mut source(), &mut without, |_, _| {}).expect("read");
                    p.finish(&mut without);
                } else {
                    let tuning = Tuning {
                        batch_segments: 64,
                        ..Tuning::default()
                    };
                    run_tuned(
                        source(),
                        config(false, dissect),
                        trackers,
                        &mut without,
                        |_, _| {},
                        tuning,
                    )
                    .ok()
                    .expect("threads start");
                }
                assert_eq!(split(&without), (flows.clone(), 0), "{dissect} {trackers}");
            }
        }
    }

    /// A thread of a run is batch work while the guard lives, and back to
    /// normal scheduling after; a thread scheduled otherwise is left alone.
    #[cfg(target_os = "linux")]
    #[test]
    fn batch_scheduling_is_entered_and_restored() {
        let policy = || unsafe { libc::sched_getscheduler(0) };
        std::thread::spawn(move || {
            assert_eq!(policy(), libc::SCHED_OTHER);
            let guard = BatchScheduling::enter();
            assert_eq!(policy(), libc::SCHED_BATCH);
            drop(guard);
            assert_eq!(policy(), libc::SCHED_OTHER);
            // Already batch work (not SCHED_OTHER): entered and left as is.
            let param = libc::sched_param { sched_priority: 0 };
            assert_eq!(
                unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) },
                0
            );
            drop(BatchScheduling::enter());
            assert_eq!(policy(), libc::SCHED_IDLE);
        })
        .join()
        .expect("test thread");
    }
}
