//! Reading on a thread of its own: [`ThreadedSource`] runs any
//! [`PacketSource`] (one file, or several merged) on a reader thread that
//! parses records and copies packets into batches, while the caller's
//! thread tracks connections and runs the dissectors and the view.
//!
//! The consumer sees exactly the packets, secrets, warnings and error the
//! wrapped source produced, in the same order, so every view's output is
//! byte-identical to a single-threaded run. Memory is bounded: at most
//! [`IN_FLIGHT`] batches of about [`BATCH_BYTES`] exist at once, and they are
//! recycled rather than reallocated.

use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::thread::JoinHandle;

use super::{CaptureError, LinkType, Packet, PacketSource};
use crate::timestamp::Timestamp;

/// A batch is sent when its packet bytes reach this size ...
pub const BATCH_BYTES: usize = 256 << 10;
/// ... or it holds this many packets.
const BATCH_PACKETS: usize = 4096;
/// Batches queued between the threads (plus one being filled and one being
/// read).
pub const IN_FLIGHT: usize = 4;

/// pcapng Decryption Secrets Blocks: (secrets type, data).
type Secrets = Vec<(u32, Vec<u8>)>;

#[derive(Clone, Copy)]
struct Rec {
    ts: Timestamp,
    linktype: LinkType,
    origlen: u32,
    start: usize,
    end: usize,
}

#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    packets: Vec<Rec>,
    /// Secrets read just before packet `.0` of this batch.
    secrets: Vec<(usize, Secrets)>,
    progress: (u64, Option<u64>),
    /// Set on the last batch: how the source ended, and its warnings.
    end: Option<(Result<(), CaptureError>, Vec<CaptureError>)>,
}

impl Batch {
    fn clear(&mut self) {
        self.data.clear();
        self.packets.clear();
        self.secrets.clear();
        self.end = None;
    }
}

/// A packet source read on a reader thread. See the module documentation.
pub struct ThreadedSource {
    rx: Receiver<Batch>,
    recycle: SyncSender<Batch>,
    batch: Batch,
    /// Index in `batch.packets` of the current packet, plus one (0: none yet).
    next: usize,
    secrets_at: usize,
    secrets: Vec<(u32, Vec<u8>)>,
    warnings: Vec<CaptureError>,
    progress: (u64, Option<u64>),
    finished: bool,
    handle: Option<JoinHandle<()>>,
}

impl ThreadedSource {
    /// Starts the reader thread on `source`. If the thread cannot be
    /// started, `source` is handed back (the caller then reads it itself).
    pub fn spawn<S: PacketSource + Send + 'static>(source: S) -> Result<Self, Option<S>> {
        let (tx, rx) = sync_channel::<Batch>(IN_FLIGHT);
        let (recycle, recycled) = sync_channel::<Batch>(IN_FLIGHT + 2);
        // The source moves into the thread only once it exists: keep it in
        // a slot the closure takes it from, so a failed spawn can return it.
        let slot = std::sync::Arc::new(std::sync::Mutex::new(Some(source)));
        let theirs = slot.clone();
        let spawned = std::thread::Builder::new()
            .name("kinspect-read".into())
            .spawn(move || {
                let source = theirs.lock().ok().and_then(|mut s| s.take());
                if let Some(mut source) = source {
                    produce(&mut source, &tx, &recycled);
                }
            });
        match spawned {
            Ok(handle) => Ok(ThreadedSource {
                rx,
                recycle,
                batch: Batch::default(),
                next: 0,
                secrets_at: 0,
                secrets: Vec::new(),
                warnings: Vec::new(),
                progress: (0, None),
                finished: false,
                handle: Some(handle),
            }),
            // The closure never ran, so the source is still in the slot.
            Err(_) => Err(slot.lock().ok().and_then(|mut s| s.take())),
        }
    }
}

/// The reader thread: fills batches until the source ends or the consumer
/// goes away.
fn produce<S: PacketSource>(source: &mut S, tx: &SyncSender<Batch>, recycled: &Receiver<Batch>) {
    loop {
        let mut batch = match recycled.try_recv() {
            Ok(mut b) => {
                b.clear();
                b
            }
            Err(TryRecvError::Empty) => Batch {
                data: Vec::with_capacity(BATCH_BYTES + 65_536),
                packets: Vec::with_capacity(BATCH_PACKETS),
                ..Batch::default()
            },
            Err(TryRecvError::Disconnected) => return,
        };
        let mut end = None;
        while batch.data.len() < BATCH_BYTES && batch.packets.len() < BATCH_PACKETS {
            match source.advance() {
                Ok(true) => {
                    if source.may_have_secrets() {
                        let secrets = source.take_secrets();
                        if !secrets.is_empty() {
                            batch.secrets.push((batch.packets.len(), secrets));
                        }
                    }
                    let p = source.current();
                    let start = batch.data.len();
                    batch.data.extend_from_slice(p.data);
                    batch.packets.push(Rec {
                        ts: p.ts,
                        linktype: p.linktype,
                        origlen: p.origlen,
                        start,
                        end: batch.data.len(),
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
        batch.progress = source.progress();
        let last = end.is_some();
        if let Some(result) = end {
            batch.end = Some((result, source.take_warnings()));
        }
        if tx.send(batch).is_err() || last {
            return;
        }
    }
}

impl PacketSource for ThreadedSource {
    fn advance(&mut self) -> Result<bool, CaptureError> {
        loop {
            if self.next < self.batch.packets.len() {
                if let Some((at, _)) = self.batch.secrets.get(self.secrets_at) {
                    if *at == self.next {
                        let (_, s) = std::mem::take(&mut self.batch.secrets[self.secrets_at]);
                        self.secrets.extend(s);
                        self.secrets_at += 1;
                    }
                }
                self.next += 1;
                return Ok(true);
            }
            if self.finished {
                return Ok(false);
            }
            if let Some((result, warnings)) = self.batch.end.take() {
                self.finished = true;
                self.warnings.extend(warnings);
                return result.map(|()| false);
            }
            let used = std::mem::take(&mut self.batch);
            // A full recycling queue only means a fresh batch gets allocated.
            let _ = self.recycle.try_send(used);
            match self.rx.recv() {
                Ok(b) => {
                    self.progress = b.progress;
                    self.batch = b;
                    self.next = 0;
                    self.secrets_at = 0;
                }
                Err(_) => {
                    // The reader thread is gone without saying how the
                    // source ended: it panicked.
                    self.finished = true;
                    return Err(CaptureError::Read {
                        path: "<reader thread>".into(),
                        offset: self.progress.0,
                        source: std::io::Error::other("the reader thread stopped"),
                    });
                }
            }
        }
    }

    fn current(&self) -> Packet<'_> {
        match self
            .next
            .checked_sub(1)
            .and_then(|i| self.batch.packets.get(i))
        {
            Some(r) => Packet {
                ts: r.ts,
                linktype: r.linktype,
                origlen: r.origlen,
                data: self.batch.data.get(r.start..r.end).unwrap_or_default(),
            },
            None => Packet {
                ts: Timestamp(0),
                linktype: LinkType::ETHERNET,
                origlen: 0,
                data: &[],
            },
        }
    }

    fn progress(&self) -> (u64, Option<u64>) {
        self.progress
    }

    fn take_warnings(&mut self) -> Vec<CaptureError> {
        std::mem::take(&mut self.warnings)
    }

    fn take_secrets(&mut self) -> Vec<(u32, Vec<u8>)> {
        std::mem::take(&mut self.secrets)
    }

    fn may_have_secrets(&self) -> bool {
        !self.secrets.is_empty()
    }
}

impl Drop for ThreadedSource {
    fn drop(&mut self) {
        // Closing our ends makes a reader blocked on a full queue return.
        let (_, dead_rx) = sync_channel(0);
        drop(std::mem::replace(&mut self.rx, dead_rx));
        let (dead_tx, _) = sync_channel(0);
        drop(std::mem::replace(&mut self.recycle, dead_tx));
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scripted source: packets of varying sizes, secrets before some,
    /// then a clean end or an error, and a warning.
    struct Script {
        n: usize,
        at: usize,
        fail: bool,
        data: Vec<u8>,
        secrets: Vec<(u32, Vec<u8>)>,
        warned: bool,
    }

    impl PacketSource for Script {
        fn advance(&mut self) -> Result<bool, CaptureError> {
            if self.at == self.n {
                return if self.fail {
                    Err(CaptureError::Truncated {
                        path: "s".into(),
                        offset: self.at as u64,
                        reason: "cut".into(),
                    })
                } else {
                    Ok(false)
                };
            }
            self.at += 1;
            self.data.clear();
            self.data
                .extend((0..(self.at * 37) % 2000).map(|i| (i + self.at) as u8));
            if self.at % 1000 == 7 {
                self.secrets.push((0x544c_534b, vec![self.at as u8; 3]));
            }
            Ok(true)
        }
        fn current(&self) -> Packet<'_> {
            Packet {
                ts: Timestamp(self.at as i64 * 1000),
                linktype: LinkType(self.at as u32 % 3),
                origlen: self.at as u32 + 1,
                data: &self.data,
            }
        }
        fn progress(&self) -> (u64, Option<u64>) {
            (self.at as u64, Some(self.n as u64))
        }
        fn take_warnings(&mut self) -> Vec<CaptureError> {
            if self.warned {
                return Vec::new();
            }
            self.warned = true;
            vec![CaptureError::Malformed {
                path: "w".into(),
                offset: 1,
                reason: "warned".into(),
            }]
        }
        fn take_secrets(&mut self) -> Vec<(u32, Vec<u8>)> {
            std::mem::take(&mut self.secrets)
        }
    }

    type Seen = (
        Vec<(i64, u32, u32, Vec<u8>, Vec<(u32, Vec<u8>)>)>,
        String,
        usize,
    );

    fn drain(src: &mut dyn PacketSource) -> Seen {
        let mut out = Vec::new();
        let end = loop {
            match src.advance() {
                Ok(true) => {
                    let s = src.take_secrets();
                    let p = src.current();
                    out.push((p.ts.0, p.linktype.0, p.origlen, p.data.to_vec(), s));
                }
                Ok(false) => break "clean".to_string(),
                Err(e) => break e.to_string(),
            }
        };
        (out, end, src.take_warnings().len())
    }

    fn script(n: usize, fail: bool) -> Script {
        Script {
            n,
            at: 0,
            fail,
            data: Vec::new(),
            secrets: Vec::new(),
            warned: false,
        }
    }

    #[test]
    fn same_packets_secrets_end_and_warnings_as_the_source() {
        for (n, fail) in [
            (0, false),
            (1, true),
            (4095, false),
            (4096, false),
            (20_011, true),
        ] {
            let serial = drain(&mut script(n, fail));
            let Ok(mut threaded) = ThreadedSource::spawn(script(n, fail)) else {
                panic!("spawn")
            };
            let parallel = drain(&mut threaded);
            assert_eq!(serial.0.len(), n);
            assert_eq!(serial, parallel, "n={n} fail={fail}");
            // Advancing past the end stays at the end.
            assert!(matches!(threaded.advance(), Ok(false)));
        }
    }

    #[test]
    fn dropping_early_stops_the_reader() {
        let Ok(mut threaded) = ThreadedSource::spawn(script(1_000_000, false)) else {
            panic!("spawn")
        };
        for _ in 0..10 {
            assert!(threaded.advance().unwrap());
        }
        drop(threaded); // must return: the reader sees the closed queue
    }
}
