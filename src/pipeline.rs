//! The packet pipeline of DESIGN.md in one place: a source's packets are
//! decoded, TCP segments go to the connection table, and everything the
//! table and the dissectors produce goes to an [`Observer`] (a view).
//! Files and live interfaces run through exactly the same code.

use serde::Serialize;

use crate::capture::{CaptureError, Packet, PacketSource};
use crate::net::flow::TableStats;
use crate::net::{self, Decoded, FlowConfig, FlowTable, Observer, Transport, Undecodable};

/// Totals for the summary line.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Summary {
    pub packets: u64,
    /// Sum of original frame lengths.
    pub bytes: u64,
    pub tcp_packets: u64,
    pub udp_packets: u64,
    pub other_ip_packets: u64,
    pub flows: u64,
    pub gap_bytes: u64,
    pub evicted_idle: u64,
    /// Connections finished early because `--max-connections` were open
    /// (least recently active first).
    pub evicted_limit: u64,
    /// The connection limit in force.
    pub max_connections: usize,
    /// Undecodable packets by reason (only reasons that occurred).
    pub undecodable: Vec<(String, u64)>,
    /// Damage that ended a file early (the packets before it were used).
    pub warnings: Vec<String>,
    /// Things worth saying that lost nothing (an unusable secrets block).
    pub warnings_soft: Vec<String>,
}

impl Summary {
    /// One human line: `1234 packets, 5.6 MB, 12 flows; undecodable: 3 not_ip`.
    pub fn line(&self) -> String {
        let mut s = format!(
            "{} packets ({} tcp, {} udp, {} other ip), {} bytes, {} flows",
            self.packets,
            self.tcp_packets,
            self.udp_packets,
            self.other_ip_packets,
            self.bytes,
            self.flows
        );
        if self.gap_bytes > 0 {
            s.push_str(&format!(", {} bytes missing in gaps", self.gap_bytes));
        }
        if self.evicted_limit > 0 {
            s.push_str(&format!(
                ", {} connections evicted at the {}-connection limit",
                self.evicted_limit, self.max_connections
            ));
        }
        if self.undecodable.is_empty() {
            s.push_str("; undecodable: none");
        } else {
            let parts: Vec<String> = self
                .undecodable
                .iter()
                .map(|(r, n)| format!("{n} {r}"))
                .collect();
            s.push_str(&format!("; undecodable: {}", parts.join(", ")));
        }
        s
    }
}

/// The per-packet counts of a run (everything in [`Summary`] the
/// connection table does not count).
#[derive(Debug, Default)]
pub(crate) struct Counts {
    pub summary: Summary,
    pub undecodable: [u64; Undecodable::ALL.len()],
}

impl Counts {
    /// Counts one packet, decoded as `d` (looked at where it lies: moving
    /// a decode result costs more than counting it).
    #[inline]
    pub(crate) fn count(&mut self, p: &Packet<'_>, d: &Result<Decoded<'_>, Undecodable>) {
        self.summary.packets += 1;
        self.summary.bytes += u64::from(p.origlen);
        match d {
            Err(reason) => self.undecodable[reason.index()] += 1,
            Ok(d) => match d.transport {
                Transport::Tcp(_) => self.summary.tcp_packets += 1,
                Transport::Udp { .. } => self.summary.udp_packets += 1,
                Transport::Other(_) => self.summary.other_ip_packets += 1,
            },
        }
    }

    /// The run's summary, with the connection table's totals.
    pub fn finish(self, stats: &TableStats, max_connections: usize) -> Summary {
        let Counts {
            mut summary,
            undecodable,
        } = self;
        summary.flows = stats.connections;
        summary.gap_bytes = stats.gap_bytes;
        summary.evicted_idle = stats.evicted_idle;
        summary.evicted_limit = stats.evicted_limit;
        summary.max_connections = max_connections;
        if summary.evicted_limit > 0 {
            summary.warnings_soft.push(format!(
                "{} connections were finished early: more than {} were open at once \
                 (least recently active evicted; raise --max-connections to keep more)",
                summary.evicted_limit, summary.max_connections
            ));
        }
        summary.undecodable = Undecodable::ALL
            .iter()
            .filter(|r| undecodable[r.index()] > 0)
            .map(|r| (r.name().to_string(), undecodable[r.index()]))
            .collect();
        summary
    }
}

/// Adds pcapng Decryption Secrets Blocks to the run's key log; what could
/// not be used is returned as soft warnings.
pub(crate) fn add_secrets(
    context: &crate::proto::Context,
    secrets: Vec<(u32, Vec<u8>)>,
    warnings_soft: &mut Vec<String>,
) {
    let Ok(mut keylog) = context.keylog.write() else {
        return;
    };
    for (kind, data) in secrets {
        for w in keylog.add_dsb(kind, &data) {
            warnings_soft.push(format!("decryption secrets block: {w}"));
        }
    }
}

/// Decoding and connection tracking for one run.
pub struct Pipeline {
    table: FlowTable,
    counts: Counts,
}

impl Pipeline {
    pub fn new(config: FlowConfig) -> Self {
        Pipeline {
            table: FlowTable::new(config),
            counts: Counts::default(),
        }
    }

    /// Key logs from pcapng Decryption Secrets Blocks join the run's key
    /// log before the packets that follow them.
    fn add_secrets(&mut self, secrets: Vec<(u32, Vec<u8>)>) {
        let ctx = self.table.context();
        add_secrets(&ctx, secrets, &mut self.counts.summary.warnings_soft);
    }

    /// Handles one packet.
    pub fn packet(&mut self, p: &Packet<'_>, obs: &mut dyn Observer) {
        let d = net::decode(p);
        self.counts.count(p, &d);
        if let Ok(Decoded {
            src,
            dst,
            transport: Transport::Tcp(seg),
        }) = &d
        {
            obs.packet(p.ts, p.origlen, seg.src_port, seg.dst_port);
            self.table.tcp(p.ts, p.origlen, *src, *dst, seg, obs);
        }
    }

    /// Reads a whole source. Damage inside a file ends that file with a
    /// warning; an error on the only source is returned after everything
    /// before it was processed.
    pub fn run<S: PacketSource + ?Sized>(
        &mut self,
        source: &mut S,
        obs: &mut dyn Observer,
        mut progress: impl FnMut(u64, Option<u64>),
    ) -> Result<(), CaptureError> {
        let mut n: u64 = 0;
        let result = loop {
            match source.advance() {
                Ok(true) => {
                    if source.may_have_secrets() {
                        let secrets = source.take_secrets();
                        if !secrets.is_empty() {
                            self.add_secrets(secrets);
                        }
                    }
                    let p = source.current();
                    self.packet(&p, obs);
                    n += 1;
                    if n % 4096 == 0 {
                        let (done, total) = source.progress();
                        progress(done, total);
                    }
                }
                Ok(false) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        for w in source.take_warnings() {
            self.counts.summary.warnings.push(w.to_string());
        }
        result
    }

    /// Ends every connection and returns the totals.
    pub fn finish(mut self, obs: &mut dyn Observer) -> Summary {
        self.table.finish(obs);
        let max = self.table.max_connections();
        self.counts.finish(&self.table.stats, max)
    }
}
