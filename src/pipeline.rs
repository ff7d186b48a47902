//! The packet pipeline of DESIGN.md in one place: a source's packets are
//! decoded, TCP segments go to the connection table, and everything the
//! table and the dissectors produce goes to an [`Observer`] (a view).
//! Files and live interfaces run through exactly the same code.

use serde::Serialize;

use crate::capture::{CaptureError, Packet, PacketSource};
use crate::net::{self, FlowConfig, FlowTable, Observer, Transport, Undecodable};

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

/// Decoding and connection tracking for one run.
pub struct Pipeline {
    table: FlowTable,
    summary: Summary,
    undecodable: [u64; Undecodable::ALL.len()],
}

impl Pipeline {
    pub fn new(config: FlowConfig) -> Self {
        Pipeline {
            table: FlowTable::new(config),
            summary: Summary::default(),
            undecodable: [0; Undecodable::ALL.len()],
        }
    }

    /// Key logs from pcapng Decryption Secrets Blocks join the run's key
    /// log before the packets that follow them.
    fn add_secrets(&mut self, secrets: Vec<(u32, Vec<u8>)>) {
        let ctx = self.table.context();
        let Ok(mut keylog) = ctx.keylog.write() else {
            return;
        };
        for (kind, data) in secrets {
            for w in keylog.add_dsb(kind, &data) {
                self.summary
                    .warnings_soft
                    .push(format!("decryption secrets block: {w}"));
            }
        }
    }

    /// Handles one packet.
    pub fn packet(&mut self, p: &Packet<'_>, obs: &mut dyn Observer) {
        self.summary.packets += 1;
        self.summary.bytes += u64::from(p.origlen);
        match net::decode(p) {
            Err(reason) => self.undecodable[reason.index()] += 1,
            Ok(d) => match d.transport {
                Transport::Tcp(seg) => {
                    self.summary.tcp_packets += 1;
                    obs.packet(p.ts, p.origlen, seg.src_port, seg.dst_port);
                    self.table.tcp(p.ts, p.origlen, d.src, d.dst, &seg, obs);
                }
                Transport::Udp { .. } => self.summary.udp_packets += 1,
                Transport::Other(_) => self.summary.other_ip_packets += 1,
            },
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
                    let secrets = source.take_secrets();
                    if !secrets.is_empty() {
                        self.add_secrets(secrets);
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
            self.summary.warnings.push(w.to_string());
        }
        result
    }

    /// Ends every connection and returns the totals.
    pub fn finish(mut self, obs: &mut dyn Observer) -> Summary {
        self.table.finish(obs);
        self.summary.flows = self.table.stats.connections;
        self.summary.gap_bytes = self.table.stats.gap_bytes;
        self.summary.evicted_idle = self.table.stats.evicted_idle;
        self.summary.evicted_limit = self.table.stats.evicted_limit;
        self.summary.max_connections = self.table.max_connections();
        if self.summary.evicted_limit > 0 {
            self.summary.warnings_soft.push(format!(
                "{} connections were finished early: more than {} were open at once \
                 (least recently active evicted; raise --max-connections to keep more)",
                self.summary.evicted_limit, self.summary.max_connections
            ));
        }
        self.summary.undecodable = Undecodable::ALL
            .iter()
            .filter(|r| self.undecodable[r.index()] > 0)
            .map(|r| (r.name().to_string(), self.undecodable[r.index()]))
            .collect();
        self.summary
    }
}
