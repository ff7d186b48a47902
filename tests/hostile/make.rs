//! Builders of hostile inputs, shared by `tests/hostile.rs` and
//! `scripts/bench-hostile` (which runs the ignored `write_bench_inputs`
//! test to write the big ones): classic pcap files with Ethernet + IPv4 +
//! TCP frames (checksums filled in, so tshark reads them as real).

#![allow(dead_code)]

use std::io::{self, Write};

/// TCP flag bits.
pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const PSH: u8 = 0x08;
pub const ACK: u8 = 0x10;

/// Classic pcap, little endian, microseconds, Ethernet.
pub struct PcapWriter<W: Write> {
    out: W,
}

impl<W: Write> PcapWriter<W> {
    pub fn new(mut out: W) -> io::Result<Self> {
        let mut h = Vec::with_capacity(24);
        h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        h.extend_from_slice(&2u16.to_le_bytes());
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&0i32.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        h.extend_from_slice(&262_144u32.to_le_bytes());
        h.extend_from_slice(&1u32.to_le_bytes());
        out.write_all(&h)?;
        Ok(PcapWriter { out })
    }

    /// One frame at `ts_us` microseconds since the epoch.
    pub fn frame(&mut self, ts_us: u64, frame: &[u8]) -> io::Result<()> {
        let mut h = [0u8; 16];
        h[0..4].copy_from_slice(&((ts_us / 1_000_000) as u32).to_le_bytes());
        h[4..8].copy_from_slice(&((ts_us % 1_000_000) as u32).to_le_bytes());
        h[8..12].copy_from_slice(&(frame.len() as u32).to_le_bytes());
        h[12..16].copy_from_slice(&(frame.len() as u32).to_le_bytes());
        self.out.write_all(&h)?;
        self.out.write_all(frame)
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    for part in parts {
        let mut chunks = part.chunks_exact(2);
        for c in &mut chunks {
            sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
        }
        if let [last] = chunks.remainder() {
            sum += u32::from(*last) << 8;
        }
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An IPv4 endpoint.
#[derive(Debug, Clone, Copy)]
pub struct Ep {
    pub ip: [u8; 4],
    pub port: u16,
}

/// Ethernet + IPv4 + TCP (20-byte header, no options).
pub fn tcp_frame(src: Ep, dst: Ep, seq: u32, ack: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(54 + payload.len());
    f.extend_from_slice(&[0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00]);
    let total = (20 + 20 + payload.len()) as u16;
    let mut ip = [0u8; 20];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&total.to_be_bytes());
    ip[6] = 0x40; // DF
    ip[8] = 64;
    ip[9] = 6;
    ip[12..16].copy_from_slice(&src.ip);
    ip[16..20].copy_from_slice(&dst.ip);
    let c = checksum(&[&ip]);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    f.extend_from_slice(&ip);
    let mut tcp = [0u8; 20];
    tcp[0..2].copy_from_slice(&src.port.to_be_bytes());
    tcp[2..4].copy_from_slice(&dst.port.to_be_bytes());
    tcp[4..8].copy_from_slice(&seq.to_be_bytes());
    tcp[8..12].copy_from_slice(&ack.to_be_bytes());
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    tcp[14..16].copy_from_slice(&65535u16.to_be_bytes());
    let mut pseudo = [0u8; 12];
    pseudo[0..4].copy_from_slice(&src.ip);
    pseudo[4..8].copy_from_slice(&dst.ip);
    pseudo[9] = 6;
    pseudo[10..12].copy_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
    let c = checksum(&[&pseudo, &tcp, payload]);
    tcp[16..18].copy_from_slice(&c.to_be_bytes());
    f.extend_from_slice(&tcp);
    f.extend_from_slice(payload);
    f
}

/// A SYN flood: `n` SYNs to 10.255.0.1:6443 from distinct 4-tuples
/// (source 10.a.b.c, port 1024 + i % 60000), spread evenly over
/// `seconds` of capture time.
pub fn syn_flood<W: Write>(out: W, n: u64, seconds: u64) -> io::Result<W> {
    let mut w = PcapWriter::new(out)?;
    let server = Ep {
        ip: [10, 255, 0, 1],
        port: 6443,
    };
    let start_us = 1_700_000_000_000_000u64;
    let step = (seconds * 1_000_000).checked_div(n).unwrap_or(0);
    for i in 0..n {
        let host = (i / 60_000) as u32 + 1;
        let client = Ep {
            ip: [10, (host >> 16) as u8, (host >> 8) as u8, host as u8],
            port: 1024 + (i % 60_000) as u16,
        };
        let frame = tcp_frame(client, server, 1000 + i as u32, 0, SYN, b"");
        w.frame(start_us + i * step, &frame)?;
    }
    Ok(w.into_inner())
}

/// An HTTP/2 frame.
pub fn h2_frame(kind: u8, flags: u8, sid: u32, payload: &[u8]) -> Vec<u8> {
    let mut v = (payload.len() as u32).to_be_bytes()[1..].to_vec();
    v.push(kind);
    v.push(flags);
    v.extend_from_slice(&sid.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// An HPACK integer with an `prefix`-bit prefix and the pattern bits
/// `first` in the high bits of the first byte.
pub fn hpack_int(first: u8, prefix: u8, value: usize) -> Vec<u8> {
    let max = (1usize << prefix) - 1;
    if value < max {
        return vec![first | value as u8];
    }
    let mut v = vec![first | max as u8];
    let mut rest = value - max;
    while rest >= 128 {
        v.push((rest % 128) as u8 | 0x80);
        rest /= 128;
    }
    v.push(rest as u8);
    v
}

/// The HPACK bomb's header block: a table size update to `table`, one
/// header of `value_len` bytes inserted into the dynamic table, then
/// `refs` references to it (index 62).
pub fn hpack_bomb_block(table: usize, value_len: usize, refs: usize) -> Vec<u8> {
    let mut b = hpack_int(0x20, 5, table);
    // :method GET, :path /, :scheme http (static 2, 4, 6).
    b.extend_from_slice(&[0x82, 0x84, 0x86]);
    b.push(0x40); // literal with incremental indexing, new name
    b.extend(hpack_int(0, 7, 6));
    b.extend_from_slice(b"x-bomb");
    b.extend(hpack_int(0, 7, value_len));
    b.extend(std::iter::repeat_n(b'A', value_len));
    b.extend(std::iter::repeat_n(0xbe, refs)); // indexed 62
    b
}

/// A TCP connection written segment by segment into a capture.
pub struct Conversation<'a, W: Write> {
    pub w: &'a mut PcapWriter<W>,
    pub client: Ep,
    pub server: Ep,
    pub seq: [u32; 2],
    pub ts_us: u64,
}

impl<W: Write> Conversation<'_, W> {
    /// Three-way handshake.
    pub fn open(&mut self) -> io::Result<()> {
        let (c, s) = (self.client, self.server);
        let f = tcp_frame(c, s, self.seq[0], 0, SYN, b"");
        self.tick();
        self.w.frame(self.ts_us, &f)?;
        self.seq[0] = self.seq[0].wrapping_add(1);
        let f = tcp_frame(s, c, self.seq[1], self.seq[0], SYN | ACK, b"");
        self.tick();
        self.w.frame(self.ts_us, &f)?;
        self.seq[1] = self.seq[1].wrapping_add(1);
        self.packet(0, ACK, b"")
    }

    fn tick(&mut self) {
        self.ts_us += 100;
    }

    fn packet(&mut self, dir: usize, flags: u8, payload: &[u8]) -> io::Result<()> {
        let (src, dst) = if dir == 0 {
            (self.client, self.server)
        } else {
            (self.server, self.client)
        };
        let f = tcp_frame(src, dst, self.seq[dir], self.seq[1 - dir], flags, payload);
        self.tick();
        self.w.frame(self.ts_us, &f)
    }

    /// `bytes` from the client (dir 0) or the server (dir 1), in segments
    /// of at most 1448 bytes.
    pub fn send(&mut self, dir: usize, bytes: &[u8]) -> io::Result<()> {
        for seg in bytes.chunks(1448) {
            self.packet(dir, PSH | ACK, seg)?;
            self.seq[dir] = self.seq[dir].wrapping_add(seg.len() as u32);
        }
        Ok(())
    }

    /// FIN from both sides.
    pub fn close(&mut self) -> io::Result<()> {
        self.packet(0, FIN | ACK, b"")?;
        self.seq[0] = self.seq[0].wrapping_add(1);
        self.packet(1, FIN | ACK, b"")?;
        self.seq[1] = self.seq[1].wrapping_add(1);
        self.packet(0, ACK, b"")
    }
}

/// The HPACK bomb capture: one h2c connection to port 8080. The server
/// allows a 64 KiB table (SETTINGS_HEADER_TABLE_SIZE 65536), the client
/// inserts a `value_len`-byte header and references it `refs` times in
/// one header block (HEADERS + CONTINUATIONs of 16 KiB). With
/// `violate_settings` the server allows only the default 4096 instead, so
/// the client's size update to 65536 breaks its SETTINGS.
pub fn hpack_bomb<W: Write>(
    out: W,
    value_len: usize,
    refs: usize,
    violate_settings: bool,
) -> io::Result<W> {
    let mut w = PcapWriter::new(out)?;
    let mut c = Conversation {
        w: &mut w,
        client: Ep {
            ip: [10, 0, 0, 1],
            port: 40000,
        },
        server: Ep {
            ip: [10, 0, 0, 2],
            port: 8080,
        },
        seq: [1000, 5000],
        ts_us: 1_700_000_000_000_000,
    };
    c.open()?;
    let mut client = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    client.extend(h2_frame(4, 0, 0, &[]));
    c.send(0, &client)?;
    let settings: Vec<u8> = if violate_settings {
        Vec::new()
    } else {
        vec![0, 1, 0, 1, 0, 0]
    };
    let mut server = h2_frame(4, 0, 0, &settings);
    server.extend(h2_frame(4, 1, 0, &[]));
    c.send(1, &server)?;
    c.send(0, &h2_frame(4, 1, 0, &[]))?;
    let block = hpack_bomb_block(65536, value_len, refs);
    let mut frames = Vec::new();
    let pieces: Vec<&[u8]> = block.chunks(16_384).collect();
    for (i, p) in pieces.iter().enumerate() {
        let kind = if i == 0 { 1 } else { 9 };
        let mut flags = 0;
        if i == 0 {
            flags |= 0x1; // END_STREAM
        }
        if i + 1 == pieces.len() {
            flags |= 0x4; // END_HEADERS
        }
        frames.extend(h2_frame(kind, flags, 1, p));
    }
    c.send(0, &frames)?;
    // The server answers 200 with END_STREAM (static index 8).
    c.send(1, &h2_frame(1, 0x5, 1, &[0x88]))?;
    c.close()?;
    Ok(w.into_inner())
}

/// A TLS 1.2-style ClientHello record with `sni` and one ALPN protocol.
pub fn client_hello(sni: &[u8], alpn: &[u8]) -> Vec<u8> {
    let mut ext = Vec::new();
    // server_name: list of one host_name.
    let mut sn = vec![0u8];
    sn.extend_from_slice(&(sni.len() as u16).to_be_bytes());
    sn.extend_from_slice(sni);
    let mut list = (sn.len() as u16).to_be_bytes().to_vec();
    list.extend(sn);
    ext.extend_from_slice(&[0, 0]);
    ext.extend_from_slice(&(list.len() as u16).to_be_bytes());
    ext.extend(list);
    // ALPN.
    let mut protos = vec![alpn.len() as u8];
    protos.extend_from_slice(alpn);
    let mut a = (protos.len() as u16).to_be_bytes().to_vec();
    a.extend(protos);
    ext.extend_from_slice(&[0, 0x10]);
    ext.extend_from_slice(&(a.len() as u16).to_be_bytes());
    ext.extend(a);
    let mut body = vec![3, 3];
    body.extend_from_slice(&[7u8; 32]);
    body.push(0); // session id
    body.extend_from_slice(&[0, 4, 0xc0, 0x2f, 0x13, 0x01]);
    body.extend_from_slice(&[1, 0]);
    body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    body.extend(ext);
    let mut hs = vec![1];
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend(body);
    let mut rec = vec![0x16, 3, 1];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend(hs);
    rec
}

/// One TLS connection to 10.0.0.2:6443 whose ClientHello carries `sni`
/// and `alpn`; the server answers nothing.
pub fn hostile_hello<W: Write>(out: W, sni: &[u8], alpn: &[u8]) -> io::Result<W> {
    let mut w = PcapWriter::new(out)?;
    let mut c = Conversation {
        w: &mut w,
        client: Ep {
            ip: [10, 0, 0, 1],
            port: 40001,
        },
        server: Ep {
            ip: [10, 0, 0, 2],
            port: 6443,
        },
        seq: [1000, 5000],
        ts_us: 1_700_000_000_000_000,
    };
    c.open()?;
    c.send(0, &client_hello(sni, alpn))?;
    c.close()?;
    Ok(w.into_inner())
}
