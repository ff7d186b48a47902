//! The pcapng writer behind `kinspect capture -w`.
//!
//! Written by hand because neither crate we already use writes pcapng:
//! pcap-parser only reads, and libpcap's savefile (the `pcap` crate) writes
//! classic pcap only. pcapng lets us record nanosecond timestamps, the
//! capture filter, and, in an Interface Statistics Block at the end, how
//! many packets the kernel dropped — which tshark and Wireshark then show.
//! Files are created with mode 0600: a capture holds credentials.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::Path;

use super::LinkType;
use crate::timestamp::Timestamp;

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 0x0000_0001;
const EPB: u32 = 0x0000_0006;
const ISB: u32 = 0x0000_0005;

/// Interface statistics recorded at the end of the file.
#[derive(Debug, Clone, Copy, Default)]
pub struct InterfaceStats {
    /// Packets the capture saw (`isb_ifrecv`).
    pub received: u64,
    /// Packets the kernel dropped (`isb_ifdrop`).
    pub dropped: u64,
    /// Packets accepted by the filter and written (`isb_filteraccept`).
    pub accepted: u64,
}

/// Writes one pcapng section with a single interface.
pub struct PcapngWriter<W: Write> {
    out: W,
    snaplen: u32,
    packets: u64,
}

impl PcapngWriter<BufWriter<File>> {
    /// Creates (or truncates) `path` with mode 0600.
    pub fn create(
        path: &Path,
        linktype: LinkType,
        snaplen: u32,
        if_name: &str,
        filter: Option<&str>,
    ) -> io::Result<Self> {
        let mut opts = OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts.open(path)?;
        PcapngWriter::new(
            BufWriter::with_capacity(1 << 20, file),
            linktype,
            snaplen,
            if_name,
            filter,
        )
    }
}

fn option(buf: &mut Vec<u8>, code: u16, value: &[u8]) {
    buf.extend_from_slice(&code.to_le_bytes());
    buf.extend_from_slice(&(value.len() as u16).to_le_bytes());
    buf.extend_from_slice(value);
    while buf.len() % 4 != 0 {
        buf.push(0);
    }
}

fn end_of_options(buf: &mut Vec<u8>) {
    buf.extend_from_slice(&[0, 0, 0, 0]);
}

impl<W: Write> PcapngWriter<W> {
    /// Writes the section header and the interface description.
    pub fn new(
        mut out: W,
        linktype: LinkType,
        snaplen: u32,
        if_name: &str,
        filter: Option<&str>,
    ) -> io::Result<Self> {
        let mut body = Vec::new();
        body.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&(-1i64).to_le_bytes());
        let appl = format!("kinspect {}", env!("CARGO_PKG_VERSION"));
        option(&mut body, 4, appl.as_bytes()); // shb_userappl
        end_of_options(&mut body);
        write_block(&mut out, SHB, &body)?;

        let mut body = Vec::new();
        body.extend_from_slice(&(linktype.0 as u16).to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&snaplen.to_le_bytes());
        option(&mut body, 2, if_name.as_bytes()); // if_name
        option(&mut body, 9, &[9]); // if_tsresol: nanoseconds
        if let Some(f) = filter {
            let mut v = vec![0u8]; // libpcap filter string
            v.extend_from_slice(f.as_bytes());
            option(&mut body, 11, &v); // if_filter
        }
        end_of_options(&mut body);
        write_block(&mut out, IDB, &body)?;
        Ok(PcapngWriter {
            out,
            snaplen,
            packets: 0,
        })
    }

    /// Appends one packet as an Enhanced Packet Block.
    pub fn write_packet(&mut self, ts: Timestamp, origlen: u32, data: &[u8]) -> io::Result<()> {
        let data = if data.len() > self.snaplen as usize && self.snaplen > 0 {
            &data[..self.snaplen as usize]
        } else {
            data
        };
        let ticks = ts.0.max(0) as u64;
        let padded = (data.len() + 3) & !3;
        let total = 32 + padded as u32;
        let mut head = [0u8; 28];
        head[0..4].copy_from_slice(&EPB.to_le_bytes());
        head[4..8].copy_from_slice(&total.to_le_bytes());
        head[8..12].copy_from_slice(&0u32.to_le_bytes());
        head[12..16].copy_from_slice(&((ticks >> 32) as u32).to_le_bytes());
        head[16..20].copy_from_slice(&(ticks as u32).to_le_bytes());
        head[20..24].copy_from_slice(&(data.len() as u32).to_le_bytes());
        head[24..28].copy_from_slice(&origlen.to_le_bytes());
        self.out.write_all(&head)?;
        self.out.write_all(data)?;
        self.out.write_all(&[0u8; 3][..padded - data.len()])?;
        self.out.write_all(&total.to_le_bytes())?;
        self.packets += 1;
        Ok(())
    }

    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Writes the interface statistics and flushes. Call once at the end.
    pub fn finish(mut self, end: Timestamp, stats: InterfaceStats) -> io::Result<W> {
        let ticks = end.0.max(0) as u64;
        let mut body = Vec::new();
        body.extend_from_slice(&0u32.to_le_bytes());
        body.extend_from_slice(&((ticks >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(ticks as u32).to_le_bytes());
        let mut ts = Vec::new();
        ts.extend_from_slice(&((ticks >> 32) as u32).to_le_bytes());
        ts.extend_from_slice(&(ticks as u32).to_le_bytes());
        option(&mut body, 3, &ts); // isb_endtime
        option(&mut body, 4, &stats.received.to_le_bytes()); // isb_ifrecv
        option(&mut body, 5, &stats.dropped.to_le_bytes()); // isb_ifdrop
        option(&mut body, 6, &stats.accepted.to_le_bytes()); // isb_filteraccept
        end_of_options(&mut body);
        write_block(&mut self.out, ISB, &body)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

fn write_block<W: Write>(out: &mut W, block_type: u32, body: &[u8]) -> io::Result<()> {
    let total = (12 + body.len()) as u32;
    out.write_all(&block_type.to_le_bytes())?;
    out.write_all(&total.to_le_bytes())?;
    out.write_all(body)?;
    out.write_all(&total.to_le_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{FileSource, PacketSource};
    use std::io::Cursor;

    #[test]
    fn written_file_reads_back_with_nanoseconds_and_lengths() {
        let mut w = PcapngWriter::new(
            Vec::new(),
            LinkType::ETHERNET,
            96,
            "lo",
            Some("tcp port 2379"),
        )
        .unwrap();
        w.write_packet(Timestamp(1_700_000_000_123_456_789), 60, &[7u8; 60])
            .unwrap();
        w.write_packet(Timestamp(1_700_000_001_000_000_001), 1514, &[9u8; 1514])
            .unwrap();
        let bytes = w
            .finish(
                Timestamp(1_700_000_002_000_000_000),
                InterfaceStats {
                    received: 2,
                    dropped: 1,
                    accepted: 2,
                },
            )
            .unwrap();
        let mut src = FileSource::from_reader(Path::new("w.pcapng"), Cursor::new(bytes)).unwrap();
        assert!(src.advance().unwrap());
        let p = src.current();
        assert_eq!(p.ts.0, 1_700_000_000_123_456_789);
        assert_eq!(p.data.len(), 60);
        assert_eq!(p.linktype, LinkType::ETHERNET);
        assert!(src.advance().unwrap());
        let p = src.current();
        assert_eq!(p.data.len(), 96, "snaplen applies");
        assert_eq!(p.origlen, 1514);
        assert!(!src.advance().unwrap(), "statistics block is not a packet");
    }
}
