//! Live capture through libpcap (the `pcap` crate): interface, BPF filter
//! (presets for the control-plane ports), limits by count and duration, a
//! clean stop on Ctrl-C, kernel drop counters, and an optional pcapng copy
//! of every packet (`-w`).

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::writer::{InterfaceStats, PcapngWriter};
use super::{CaptureError, LinkType, Packet, PacketSource};
use crate::timestamp::Timestamp;

/// Well-known control-plane ports, the basis of the presets.
pub const CONTROL_PLANE_PORTS: [u16; 7] = [6443, 2379, 2380, 10250, 10257, 10259, 10256];

/// A named capture filter for a part of the control plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Preset {
    /// apiserver, etcd client and peer, kubelet, controller-manager, scheduler, kube-proxy
    ControlPlane,
    /// etcd client (2379) and peer (2380) ports
    Etcd,
    /// kube-apiserver (6443)
    Apiserver,
    /// kubelet (10250)
    Kubelet,
}

impl Preset {
    pub fn ports(self) -> &'static [u16] {
        match self {
            Preset::ControlPlane => &CONTROL_PLANE_PORTS,
            Preset::Etcd => &[2379, 2380],
            Preset::Apiserver => &[6443],
            Preset::Kubelet => &[10250],
        }
    }

    pub fn bpf(self) -> String {
        self.ports()
            .iter()
            .map(|p| format!("tcp port {p}"))
            .collect::<Vec<_>>()
            .join(" or ")
    }
}

/// The BPF program for a preset and/or a user filter (both must match).
pub fn combined_filter(preset: Option<Preset>, user: Option<&str>) -> Option<String> {
    match (preset, user) {
        (None, None) => None,
        (Some(p), None) => Some(p.bpf()),
        (None, Some(f)) => Some(f.to_string()),
        (Some(p), Some(f)) => Some(format!("({}) and ({f})", p.bpf())),
    }
}

/// Kernel ring buffer of a live capture, in bytes.
pub const LIVE_BUFFER: i32 = 32 << 20;

/// What to capture and when to stop.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    pub iface: String,
    pub filter: Option<String>,
    pub snaplen: i32,
    pub count: Option<u64>,
    pub duration: Option<Duration>,
}

/// Counters reported when the capture ends.
#[derive(Debug, Clone, Copy, Default)]
pub struct LiveSummary {
    pub packets: u64,
    pub received_by_filter: u64,
    pub dropped_by_kernel: u64,
    pub dropped_by_interface: u64,
}

/// A running live capture. Packets are copied once out of libpcap's ring
/// (libpcap reuses its buffer on the next read).
pub struct LiveSource {
    cap: pcap::Capture<pcap::Active>,
    opts: LiveOptions,
    linktype: LinkType,
    stop: Arc<AtomicBool>,
    started: Instant,
    data: Vec<u8>,
    ts: Timestamp,
    origlen: u32,
    packets: u64,
    writer: Option<PcapngWriter<BufWriter<File>>>,
    /// Tells the waker thread the capture is over.
    done: Arc<AtomicBool>,
}

fn live_err(iface: &str, reason: impl std::fmt::Display) -> CaptureError {
    CaptureError::Live {
        iface: iface.to_string(),
        reason: reason.to_string(),
    }
}

impl LiveSource {
    /// Opens the interface and applies the filter. On `any`, asks for the
    /// SLL2 link type, which records the interface index of each packet.
    pub fn open(opts: LiveOptions, stop: Arc<AtomicBool>) -> Result<Self, CaptureError> {
        let iface = opts.iface.clone();
        let inactive = pcap::Capture::from_device(iface.as_str())
            .map_err(|e| live_err(&iface, e))?
            .promisc(false)
            .snaplen(opts.snaplen)
            // Not immediate mode: libpcap then uses TPACKET_V2, whose ring
            // has fixed slots of snaplen bytes (~30 on lo, ~8 on `any` in
            // the default 2 MB buffer), and the kernel drops packets in any
            // burst. TPACKET_V3 packs packets into blocks, handed over at
            // the latest after the 100 ms timeout.
            .immediate_mode(false)
            // A 32 MiB ring instead of libpcap's 2 MiB: a burst of etcd
            // puts on `lo` outruns a 2 MiB ring while a view is busy
            // (scripts/bench-live-capture: tcpdump with its 2 MiB default
            // drops in the same burst). Pages are touched only as the
            // kernel fills them.
            .buffer_size(LIVE_BUFFER)
            .timeout(100)
            .precision(pcap::Precision::Nano);
        let mut cap = inactive.open().map_err(|e| {
            let hint = if e.to_string().contains("ermission") {
                " (live capture needs root or CAP_NET_RAW)"
            } else {
                ""
            };
            live_err(&iface, format!("{e}{hint}"))
        })?;
        if iface == "any" {
            let sll2 = pcap::Linktype(LinkType::LINUX_SLL2.0 as i32);
            if cap
                .list_datalinks()
                .map(|l| l.contains(&sll2))
                .unwrap_or(false)
            {
                cap.set_datalink(sll2).map_err(|e| live_err(&iface, e))?;
            }
        }
        if let Some(f) = &opts.filter {
            cap.filter(f, true)
                .map_err(|e| live_err(&iface, format!("capture filter {f:?}: {e}")))?;
        }
        let linktype = LinkType(cap.get_datalink().0 as u32).normalized();
        let started = Instant::now();
        let done = Arc::new(AtomicBool::new(false));
        spawn_waker(cap.breakloop_handle(), &stop, &done, started, opts.duration);
        Ok(LiveSource {
            cap,
            opts,
            linktype,
            stop,
            started,
            data: Vec::with_capacity(65_536),
            ts: Timestamp::default(),
            origlen: 0,
            packets: 0,
            writer: None,
            done,
        })
    }

    pub fn linktype(&self) -> LinkType {
        self.linktype
    }

    /// Also writes every packet to a pcapng file (mode 0600).
    pub fn write_to(&mut self, path: &Path) -> Result<(), CaptureError> {
        let w = PcapngWriter::create(
            path,
            self.linktype,
            self.opts.snaplen as u32,
            &self.opts.iface,
            self.opts.filter.as_deref(),
        )
        .map_err(|e| {
            live_err(
                &self.opts.iface,
                format!("cannot write {}: {e}", path.display()),
            )
        })?;
        self.writer = Some(w);
        Ok(())
    }

    fn should_stop(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
            || self.opts.count.is_some_and(|c| self.packets >= c)
            || self
                .opts
                .duration
                .is_some_and(|d| self.started.elapsed() >= d)
    }

    /// Ends the capture: reads the kernel's counters and finishes the file.
    pub fn finish(mut self) -> Result<LiveSummary, CaptureError> {
        let stats = self
            .cap
            .stats()
            .map_err(|e| live_err(&self.opts.iface, e))?;
        let summary = LiveSummary {
            packets: self.packets,
            received_by_filter: u64::from(stats.received),
            dropped_by_kernel: u64::from(stats.dropped),
            dropped_by_interface: u64::from(stats.if_dropped),
        };
        if let Some(w) = self.writer.take() {
            w.finish(
                Timestamp::now(),
                InterfaceStats {
                    received: summary.received_by_filter,
                    dropped: summary.dropped_by_kernel + summary.dropped_by_interface,
                    accepted: summary.packets,
                },
            )
            .map_err(|e| live_err(&self.opts.iface, format!("finishing capture file: {e}")))?;
        }
        Ok(summary)
    }
}

impl Drop for LiveSource {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
    }
}

/// libpcap 1.10 on Linux stays inside `pcap_next_ex` until a packet
/// arrives: its read timeout never returns control on an idle interface
/// (TPACKET_V3 polls without a timeout and the kernel never retires an
/// empty block; TPACKET_V2 re-polls every 100 ms). So neither `--duration`
/// nor Ctrl-C/SIGTERM would end an idle capture. This thread wakes the read with `pcap_breakloop` once
/// the stop flag is set or the duration is over.
fn spawn_waker(
    breaker: pcap::BreakLoop,
    stop: &Arc<AtomicBool>,
    done: &Arc<AtomicBool>,
    started: Instant,
    duration: Option<Duration>,
) {
    let stop = stop.clone();
    let done = done.clone();
    let _ = std::thread::Builder::new()
        .name("capture-waker".into())
        .spawn(move || {
            while !done.load(Ordering::Relaxed) {
                if stop.load(Ordering::Relaxed) || duration.is_some_and(|d| started.elapsed() >= d)
                {
                    breaker.breakloop();
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
}

impl PacketSource for LiveSource {
    fn advance(&mut self) -> Result<bool, CaptureError> {
        loop {
            if self.should_stop() {
                return Ok(false);
            }
            match self.cap.next_packet() {
                Ok(p) => {
                    let h = p.header;
                    // With nanosecond precision libpcap puts nanoseconds in tv_usec.
                    self.ts =
                        Timestamp::from_parts(h.ts.tv_sec, h.ts.tv_usec as u64, 1_000_000_000);
                    self.origlen = h.len;
                    self.data.clear();
                    self.data.extend_from_slice(p.data);
                    self.packets += 1;
                    if let Some(w) = self.writer.as_mut() {
                        w.write_packet(self.ts, self.origlen, &self.data)
                            .map_err(|e| {
                                live_err(&self.opts.iface, format!("writing capture file: {e}"))
                            })?;
                    }
                    return Ok(true);
                }
                Err(pcap::Error::TimeoutExpired) => continue,
                Err(pcap::Error::NoMorePackets) => return Ok(false),
                Err(e) => return Err(live_err(&self.opts.iface, e)),
            }
        }
    }

    fn current(&self) -> Packet<'_> {
        Packet {
            ts: self.ts,
            linktype: self.linktype,
            origlen: self.origlen,
            data: &self.data,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_user_filters_combine() {
        assert_eq!(Preset::Etcd.bpf(), "tcp port 2379 or tcp port 2380");
        assert_eq!(
            combined_filter(Some(Preset::Apiserver), Some("host 10.0.0.1")).unwrap(),
            "(tcp port 6443) and (host 10.0.0.1)"
        );
        assert_eq!(combined_filter(None, None), None);
        let cp = Preset::ControlPlane.bpf();
        for p in CONTROL_PLANE_PORTS {
            assert!(cp.contains(&format!("tcp port {p}")));
        }
    }
}
