//! Reading one saved capture: classic pcap (µs or ns, either byte order,
//! the "modified" Kuznetzov variant) and pcapng (several sections, several
//! interfaces with their own link types and time resolutions, EPB and SPB).
//!
//! The format is sniffed from the magic number, never from the file name.
//! A regular file is memory-mapped ([`FileSource::open`]): records are
//! parsed with pcap-parser straight out of the page cache, and pages already
//! read are handed back to the kernel as the read moves on
//! (`MADV_DONTNEED`), so resident memory stays a few MiB on any file size.
//! Other byte streams (and files that cannot be mapped) are read into one
//! large reusable buffer instead. Either way a packet's bytes are never
//! copied. Damage after the header ends the file with an error that names
//! the offset; every packet before it has already been delivered.
//!
//! A mapped file that another process truncates while it is being read
//! makes the kernel stop the process (SIGBUS), as it does for any program
//! that maps files (ripgrep, git); `KINSPECT_NO_MMAP=1` reads with
//! read(2) instead.

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};

use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapNGPacketBlock;
use pcap_parser::{parse_block_be, parse_block_le, parse_pcap_header, parse_sectionheaderblock};

use super::{CaptureError, LinkType, Packet, PacketSource};
use crate::timestamp::Timestamp;

/// Initial size of the read buffer; it grows only for a record larger than this.
const READ_BUFFER: usize = 2 << 20;
/// Files smaller than this are read, not mapped (a map costs more to set
/// up than reading a small file).
const MMAP_MIN: u64 = 1 << 20;
/// Mapped pages behind the read position are released in steps of this.
const RELEASE_STEP: usize = 4 << 20;
/// The largest record we accept. libpcap's own limit is 256 KiB per packet;
/// anything near this is a corrupt length field, not a packet.
pub const MAX_RECORD: usize = 64 << 20;

const PCAPNG_SHB: u32 = 0x0A0D_0D0A;
const PCAPNG_EPB: u32 = 6;

#[derive(Debug, Clone)]
struct Interface {
    linktype: LinkType,
    units_per_sec: u64,
    offset_secs: i64,
}

/// Order of the two length fields of a classic pcap record. Files before
/// version 2.3 store `orig_len` before `incl_len`; some 2.3 files do and
/// some do not (libpcap's and Wireshark's rule: swap when
/// `incl_len > orig_len`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LengthOrder {
    Standard,
    Swapped,
    MaybeSwapped,
}

#[derive(Debug)]
enum Format {
    Legacy {
        big_endian: bool,
        modified: bool,
        units_per_sec: u64,
        linktype: LinkType,
        lengths: LengthOrder,
    },
    Ng {
        big_endian: bool,
        interfaces: Vec<Interface>,
    },
}

#[derive(Debug, Default, Clone)]
struct Current {
    ts: Timestamp,
    linktype: Option<LinkType>,
    origlen: u32,
    data: Range<usize>,
}

/// A capture file being read. See the module documentation.
pub struct FileSource<R: Read = File> {
    path: PathBuf,
    reader: R,
    buf: Vec<u8>,
    /// The whole file when it is mapped; `buf` is then unused, `end` is the
    /// file length and `eof` is set from the start.
    map: Option<memmap2::Mmap>,
    /// Mapped bytes before this offset were released to the kernel.
    released: usize,
    start: usize,
    end: usize,
    /// File offset of `buf[0]`.
    buf_offset: u64,
    eof: bool,
    total: Option<u64>,
    format: Format,
    current: Current,
    packets: u64,
    /// Decryption Secrets Blocks read and not yet taken: (type, data).
    secrets: Vec<(u32, Vec<u8>)>,
}

impl FileSource<File> {
    /// Opens a capture file and reads its header. Regular files only: a
    /// FIFO or device is refused before anything is read
    /// ([`crate::fsutil::open_regular`]).
    pub fn open(path: &Path) -> Result<Self, CaptureError> {
        FileSource::open_mapping_from(path, MMAP_MIN)
    }

    /// As [`FileSource::open`], mapping the file whatever its size (not
    /// only from 1 MiB up), unless `KINSPECT_NO_MMAP` is set or the file is
    /// empty: lets tests and the `capture_file` fuzz target hold the mapped
    /// reading path to the buffered one on small inputs.
    #[doc(hidden)]
    pub fn open_mapped(path: &Path) -> Result<Self, CaptureError> {
        FileSource::open_mapping_from(path, 1)
    }

    /// Opens `path`, mapping it when it has at least `map_from` bytes.
    fn open_mapping_from(path: &Path, map_from: u64) -> Result<Self, CaptureError> {
        let file = crate::fsutil::open_regular(path).map_err(|e| match e {
            crate::fsutil::FileError::Io { path, source } => CaptureError::Open { path, source },
            other => CaptureError::NotRegular {
                path: other.path().to_path_buf(),
                what: other.reason(),
            },
        })?;
        let total = file.metadata().ok().map(|m| m.len());
        if total.is_some_and(|t| t >= map_from) && std::env::var_os("KINSPECT_NO_MMAP").is_none() {
            if let Some(map) = map_file(&file) {
                let mut src = FileSource::with_map(path, file, map)?;
                src.total = total;
                return Ok(src);
            }
        }
        // A small file needs no 2 MiB buffer (many small files are merged
        // at once); the buffer still grows for any record that needs it.
        let capacity = total.map_or(READ_BUFFER, |t| (t as usize).clamp(4096, READ_BUFFER));
        let mut src = FileSource::with_capacity(path, file, capacity)?;
        src.total = total;
        Ok(src)
    }
}

impl<R: Read> FileSource<R> {
    /// Reads a capture from any byte stream (`path` is used in messages only).
    pub fn from_reader(path: &Path, reader: R) -> Result<Self, CaptureError> {
        FileSource::with_capacity(path, reader, READ_BUFFER)
    }

    /// As [`FileSource::from_reader`], with an initial buffer of `capacity`
    /// bytes (it grows when a record needs more).
    pub fn with_capacity(path: &Path, reader: R, capacity: usize) -> Result<Self, CaptureError> {
        FileSource::build(path, reader, vec![0; capacity.max(64)], None)
    }

    /// Reads from a memory map of the whole file (`reader` is kept open
    /// only so the file stays the one that was mapped).
    fn with_map(path: &Path, reader: R, map: memmap2::Mmap) -> Result<Self, CaptureError> {
        FileSource::build(path, reader, Vec::new(), Some(map))
    }

    /// True when the file is read through a memory map.
    pub fn is_mapped(&self) -> bool {
        self.map.is_some()
    }

    fn build(
        path: &Path,
        reader: R,
        buf: Vec<u8>,
        map: Option<memmap2::Mmap>,
    ) -> Result<Self, CaptureError> {
        let end = map.as_ref().map_or(0, |m| m.len());
        let mut src = FileSource {
            path: path.to_path_buf(),
            reader,
            buf,
            eof: map.is_some(),
            map,
            released: 0,
            start: 0,
            end,
            buf_offset: 0,
            total: None,
            format: Format::Ng {
                big_endian: false,
                interfaces: Vec::new(),
            },
            current: Current::default(),
            packets: 0,
            secrets: Vec::new(),
        };
        src.read_header()?;
        Ok(src)
    }

    /// Packets delivered so far.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn bad_header(&self, reason: impl Into<String>) -> CaptureError {
        CaptureError::BadHeader {
            path: self.path.clone(),
            reason: reason.into(),
        }
    }

    fn offset(&self) -> u64 {
        self.buf_offset + self.start as u64
    }

    fn malformed(&self, reason: impl Into<String>) -> CaptureError {
        CaptureError::Malformed {
            path: self.path.clone(),
            offset: self.offset(),
            reason: reason.into(),
        }
    }

    /// Makes sure `need` bytes are buffered from `start`. `Ok(false)` if the
    /// file ends first.
    fn fill(&mut self, need: usize) -> Result<bool, CaptureError> {
        while self.end - self.start < need {
            if self.eof {
                return Ok(false);
            }
            if self.buf.len() - self.start < need {
                // Move the partial record to the front, growing only if it
                // cannot fit at all.
                self.buf.copy_within(self.start..self.end, 0);
                self.buf_offset += self.start as u64;
                self.end -= self.start;
                self.start = 0;
                if self.buf.len() < need {
                    self.buf.resize(need.next_power_of_two(), 0);
                }
            }
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(CaptureError::Read {
                        path: self.path.clone(),
                        offset: self.buf_offset + self.end as u64,
                        source,
                    });
                }
            }
        }
        Ok(true)
    }

    /// The buffered bytes (`buf[0]` is at file offset `buf_offset`).
    fn bytes(&self) -> &[u8] {
        match &self.map {
            Some(m) => m,
            None => &self.buf,
        }
    }

    /// Hands mapped pages the read has moved past back to the kernel (they
    /// stay in the page cache; only this process's resident set shrinks).
    fn release_behind(&mut self) {
        let Some(map) = &self.map else { return };
        let upto = self.start & !(RELEASE_STEP - 1);
        if upto >= self.released + RELEASE_STEP {
            // SAFETY: the range lies before the record about to be parsed,
            // and no packet borrowed from the map is alive (`advance` holds
            // `&mut self`). On a read-only shared file mapping MADV_DONTNEED
            // only drops page-table entries: a later access would fault the
            // same file bytes back in, never zeroes.
            let _ = unsafe {
                map.unchecked_advise_range(
                    memmap2::UncheckedAdvice::DontNeed,
                    self.released,
                    upto - self.released,
                )
            };
            self.released = upto;
        }
    }

    fn read_u32(&self, at: usize, big_endian: bool) -> u32 {
        let bytes = self.bytes();
        u32_of(
            [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]],
            big_endian,
        )
    }

    fn read_header(&mut self) -> Result<(), CaptureError> {
        if !self.fill(4)? {
            let n = self.end - self.start;
            return Err(self.bad_header(format!(
                "file is {n} bytes long, too short for a pcap or pcapng header"
            )));
        }
        let magic_le = self.read_u32(0, false);
        match magic_le {
            0xa1b2_c3d4 | 0xa1b2_3c4d | 0xa1b2_cd34 | 0xd4c3_b2a1 | 0x4d3c_b2a1 | 0x34cd_b2a1 => {
                self.read_legacy_header()
            }
            PCAPNG_SHB => self.read_first_section(),
            other => Err(self.bad_header(format!(
                "unknown magic number 0x{other:08x} (pcap starts with a1b2c3d4 or a1b23c4d, pcapng with 0a0d0d0a)"
            ))),
        }
    }

    fn read_legacy_header(&mut self) -> Result<(), CaptureError> {
        if !self.fill(24)? {
            let n = self.end - self.start;
            return Err(
                self.bad_header(format!("pcap file header needs 24 bytes, the file has {n}"))
            );
        }
        let header = match parse_pcap_header(&self.bytes()[..24]) {
            Ok((_, h)) => h,
            Err(e) => return Err(self.bad_header(format!("pcap file header unreadable: {e}"))),
        };
        if header.version_major != 2 {
            return Err(self.bad_header(format!(
                "unsupported pcap version {}.{} (expected 2.4)",
                header.version_major, header.version_minor
            )));
        }
        let raw = header.network.0 as u32;
        // LT_RESERVED1 in libpcap: these bits must be zero.
        if raw & 0x03FF_0000 != 0 {
            return Err(
                self.bad_header(format!("link-type field 0x{raw:08x} has reserved bits set"))
            );
        }
        let magic = header.magic_number;
        let nanos = magic == 0xa1b2_3c4d || magic == 0x4d3c_b2a1;
        let modified = magic == 0xa1b2_cd34 || magic == 0x34cd_b2a1;
        let lengths = match header.version_minor {
            0..=2 => LengthOrder::Swapped,
            3 => LengthOrder::MaybeSwapped,
            _ => LengthOrder::Standard,
        };
        self.format = Format::Legacy {
            big_endian: header.is_bigendian(),
            modified,
            units_per_sec: if nanos { 1_000_000_000 } else { 1_000_000 },
            linktype: LinkType(raw & 0xFFFF).normalized(),
            lengths,
        };
        self.start = 24;
        Ok(())
    }

    fn read_first_section(&mut self) -> Result<(), CaptureError> {
        if !self.fill(12)? {
            return Err(self.bad_header("pcapng section header block is cut short"));
        }
        let bom = self.read_u32(8, false);
        let big_endian = match bom {
            0x1A2B_3C4D => false,
            0x4D3C_2B1A => true,
            other => {
                return Err(self.bad_header(format!(
                    "pcapng byte-order magic 0x{other:08x} is neither 1a2b3c4d nor 4d3c2b1a"
                )));
            }
        };
        let len = self.read_u32(4, big_endian) as usize;
        if !(28..=MAX_RECORD).contains(&len) || len % 4 != 0 {
            return Err(self.bad_header(format!(
                "pcapng section header block length {len} is invalid"
            )));
        }
        if !self.fill(len)? {
            return Err(self.bad_header(format!(
                "pcapng section header block claims {len} bytes, the file has {}",
                self.end - self.start
            )));
        }
        if let Err(reason) = check_options(&self.bytes()[24..len - 4], big_endian) {
            return Err(
                self.bad_header(format!("pcapng section header block is damaged: {reason}"))
            );
        }
        let shb = match parse_sectionheaderblock(&self.bytes()[..len]) {
            Ok((_, shb)) => shb,
            Err(e) => {
                return Err(self.bad_header(format!(
                    "pcapng section header block is damaged: {}",
                    nom_reason(&e)
                )));
            }
        };
        if shb.major_version != 1 {
            return Err(self.bad_header(format!(
                "unsupported pcapng version {}.{} (expected 1.0)",
                shb.major_version, shb.minor_version
            )));
        }
        self.format = Format::Ng {
            big_endian,
            interfaces: Vec::new(),
        };
        self.start = len;
        Ok(())
    }

    /// The end of the data: clean if nothing is left, truncated otherwise.
    fn end_of_file(&self, what: &str, need: usize) -> Result<bool, CaptureError> {
        let have = self.end - self.start;
        if have == 0 {
            return Ok(false);
        }
        Err(CaptureError::Truncated {
            path: self.path.clone(),
            offset: self.offset(),
            reason: format!(
                "{what} needs {need} bytes, only {have} left in the file ({} packets read before it)",
                self.packets
            ),
        })
    }

    fn advance_legacy(
        &mut self,
        big_endian: bool,
        modified: bool,
        units: u64,
        linktype: LinkType,
        lengths: LengthOrder,
    ) -> Result<bool, CaptureError> {
        // ts_sec, ts_frac, incl_len, orig_len (+ 8 bytes in the modified format).
        let header_len = if modified { 24 } else { 16 };
        if !self.fill(header_len)? {
            return self.end_of_file("packet record header", header_len);
        }
        let mut caplen = self.read_u32(self.start + 8, big_endian);
        let mut origlen = self.read_u32(self.start + 12, big_endian);
        if lengths == LengthOrder::Swapped
            || (lengths == LengthOrder::MaybeSwapped && caplen > origlen)
        {
            std::mem::swap(&mut caplen, &mut origlen);
        }
        let caplen = caplen as usize;
        if caplen > MAX_RECORD {
            return Err(self.malformed(format!(
                "packet record claims a captured length of {caplen} bytes"
            )));
        }
        let need = header_len + caplen;
        if !self.fill(need)? {
            return self.end_of_file("packet record", need);
        }
        let ts_sec = self.read_u32(self.start, big_endian);
        let ts_frac = self.read_u32(self.start + 4, big_endian);
        let data_at = self.start + header_len;
        self.current = Current {
            ts: Timestamp::from_parts(i64::from(ts_sec), u64::from(ts_frac), units),
            linktype: Some(linktype),
            origlen,
            data: data_at..data_at + caplen,
        };
        self.start += need;
        Ok(true)
    }

    /// Handles one pcapng block. `Ok(Some(true))` when it was a packet.
    fn advance_ng(&mut self) -> Result<bool, CaptureError> {
        loop {
            let Format::Ng { big_endian, .. } = self.format else {
                unreachable!("advance_ng on a legacy file")
            };
            if !self.fill(12)? {
                return self.end_of_file("pcapng block header", 12);
            }
            let block_type = self.read_u32(self.start, big_endian);
            let big_endian = if block_type == PCAPNG_SHB {
                // A new section may switch byte order.
                match self.read_u32(self.start + 8, false) {
                    0x1A2B_3C4D => false,
                    0x4D3C_2B1A => true,
                    other => {
                        return Err(self.malformed(format!(
                            "section header byte-order magic 0x{other:08x} is invalid"
                        )));
                    }
                }
            } else {
                big_endian
            };
            let len = self.read_u32(self.start + 4, big_endian) as usize;
            if len < 12 || len % 4 != 0 || len > MAX_RECORD {
                return Err(self.malformed(format!(
                    "block of type 0x{block_type:08x} has invalid length {len}"
                )));
            }
            if !self.fill(len)? {
                return self.end_of_file("pcapng block", len);
            }
            if block_type == PCAPNG_EPB
                && let Format::Ng { interfaces, .. } = &self.format
                && let Some((p, plain_len)) =
                    plain_epb(self.bytes(), self.start, big_endian, interfaces)
                && plain_len == len
            {
                self.start += len;
                self.current = p;
                return Ok(true);
            }
            let bytes: &[u8] = match &self.map {
                Some(m) => m,
                None => &self.buf,
            };
            let base = bytes.as_ptr() as usize;
            let slice = &bytes[self.start..self.start + len];
            let parsed = if big_endian {
                parse_block_be(slice)
            } else {
                parse_block_le(slice)
            };
            let block = match parsed {
                Ok((_, b)) => b,
                Err(e) => {
                    return Err(self.malformed(format!(
                        "block of type 0x{block_type:08x}: {}",
                        nom_reason(&e)
                    )));
                }
            };
            let mut packet: Option<Current> = None;
            let mut error: Option<String> = None;
            let Format::Ng {
                interfaces,
                big_endian: be,
            } = &mut self.format
            else {
                unreachable!()
            };
            match block {
                Block::SectionHeader(shb) => {
                    let opts = slice.get(24..len.saturating_sub(4)).unwrap_or_default();
                    if let Err(reason) = check_options(opts, big_endian) {
                        error = Some(format!("section header block is damaged: {reason}"));
                    } else if shb.major_version != 1 {
                        error = Some(format!(
                            "section with unsupported pcapng version {}.{}",
                            shb.major_version, shb.minor_version
                        ));
                    }
                    interfaces.clear();
                    *be = big_endian;
                }
                Block::InterfaceDescription(_) | Block::EnhancedPacket(_)
                    if let Err(reason) =
                        check_options(block_options(&block, slice), big_endian) =>
                {
                    let what = if matches!(block, Block::EnhancedPacket(_)) {
                        "enhanced packet block"
                    } else {
                        "interface description block"
                    };
                    error = Some(format!("{what} is damaged: {reason}"));
                }
                Block::InterfaceDescription(idb) => match idb.ts_resolution() {
                    Some(units) => interfaces.push(Interface {
                        linktype: LinkType(u32::from(idb.linktype.0 as u16)).normalized(),
                        units_per_sec: units,
                        offset_secs: idb.ts_offset(),
                    }),
                    None => {
                        error = Some(format!(
                            "interface description has invalid time resolution {}",
                            idb.if_tsresol
                        ))
                    }
                },
                Block::EnhancedPacket(ref epb) => match interfaces.get(epb.if_id as usize) {
                    Some(iface) => {
                        let data = epb.packet_data();
                        let at = data.as_ptr() as usize - base;
                        let ticks = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                        packet = Some(Current {
                            ts: ticks_to_ts(ticks, iface.units_per_sec, iface.offset_secs),
                            linktype: Some(iface.linktype),
                            origlen: epb.origlen,
                            data: at..at + data.len(),
                        });
                    }
                    None => {
                        error = Some(format!(
                            "packet refers to interface {} but the section describes {}",
                            epb.if_id,
                            interfaces.len()
                        ))
                    }
                },
                Block::SimplePacket(ref spb) => match interfaces.first() {
                    Some(iface) => {
                        let data = spb.packet_data();
                        let at = data.as_ptr() as usize - base;
                        packet = Some(Current {
                            // SPBs carry no timestamp: keep the previous one so
                            // the timeline stays ordered.
                            ts: self.current.ts,
                            linktype: Some(iface.linktype),
                            origlen: spb.origlen,
                            data: at..at + data.len(),
                        });
                    }
                    None => error = Some("simple packet block before any interface".into()),
                },
                Block::DecryptionSecrets(ref dsb) => {
                    // Key logs embedded by `editcap --inject-secrets`; the
                    // pipeline hands them to the TLS decoder.
                    self.secrets.push((dsb.secrets_type.0, dsb.data.to_vec()));
                }
                _ => {}
            }
            if let Some(reason) = error {
                return Err(self.malformed(reason));
            }
            self.start += len;
            if let Some(p) = packet {
                self.current = p;
                return Ok(true);
            }
        }
    }
}

impl<R: Read> FileSource<R> {
    /// The next record read straight from the mapping, when it is the
    /// plain kind nearly every record is (a classic record, or an
    /// enhanced packet block that [`plain_epb`] takes) and
    /// lies whole in the file: the same checks and values as the general
    /// path, without its buffer bookkeeping. False leaves everything to
    /// the general path (which also words every error).
    #[inline]
    fn next_mapped(&mut self) -> bool {
        let Some(map) = self.map.as_deref() else {
            return false;
        };
        let at = self.start;
        match &self.format {
            &Format::Ng {
                big_endian,
                ref interfaces,
            } => {
                let Some((p, len)) = plain_epb(map, at, big_endian, interfaces) else {
                    return false;
                };
                self.current = p;
                self.start += len;
                true
            }
            &Format::Legacy {
                big_endian,
                modified: false,
                units_per_sec,
                linktype,
                lengths,
            } => {
                let Some(head) = map.get(at..).and_then(|b| b.first_chunk::<16>()) else {
                    return false;
                };
                let u32_at = |i: usize, big_endian: bool| {
                    u32_of([head[i], head[i + 1], head[i + 2], head[i + 3]], big_endian)
                };
                let (mut caplen, mut origlen) = (u32_at(8, big_endian), u32_at(12, big_endian));
                if lengths == LengthOrder::Swapped
                    || (lengths == LengthOrder::MaybeSwapped && caplen > origlen)
                {
                    std::mem::swap(&mut caplen, &mut origlen);
                }
                let caplen = caplen as usize;
                if caplen > MAX_RECORD || map.len() - at < 16 + caplen {
                    return false;
                }
                let (ts_sec, ts_frac) = (u32_at(0, big_endian), u32_at(4, big_endian));
                let data_at = at + 16;
                self.current = Current {
                    ts: Timestamp::from_parts(i64::from(ts_sec), u64::from(ts_frac), units_per_sec),
                    linktype: Some(linktype),
                    origlen,
                    data: data_at..data_at + caplen,
                };
                self.start += 16 + caplen;
                true
            }
            Format::Legacy { .. } => false,
        }
    }
}

impl<R: Read> PacketSource for FileSource<R> {
    fn advance(&mut self) -> Result<bool, CaptureError> {
        if self.map.is_some() {
            self.release_behind();
            if self.next_mapped() {
                self.packets += 1;
                return Ok(true);
            }
        }
        let more = match self.format {
            Format::Legacy {
                big_endian,
                modified,
                units_per_sec,
                linktype,
                lengths,
            } => self.advance_legacy(big_endian, modified, units_per_sec, linktype, lengths)?,
            Format::Ng { .. } => self.advance_ng()?,
        };
        if more {
            self.packets += 1;
        }
        Ok(more)
    }

    fn current(&self) -> Packet<'_> {
        Packet {
            ts: self.current.ts,
            linktype: self.current.linktype.unwrap_or(LinkType::ETHERNET),
            origlen: self.current.origlen,
            data: &self.bytes()[self.current.data.clone()],
        }
    }

    fn progress(&self) -> (u64, Option<u64>) {
        (self.offset(), self.total)
    }

    fn take_secrets(&mut self) -> Vec<(u32, Vec<u8>)> {
        std::mem::take(&mut self.secrets)
    }

    fn may_have_secrets(&self) -> bool {
        !self.secrets.is_empty()
    }
}

/// The packet of the pcapng enhanced packet block at `at` of `bytes`, and
/// the block's length, when it is the plain kind nearly every capture holds
/// (no options, a known interface, both lengths equal): read from its
/// fixed 28 bytes, read once as one array, as pcap-parser would read them.
/// `None` sends the block to the general path (which also words every
/// error). Runs for nearly every packet of a pcapng file.
#[inline(always)]
fn plain_epb(
    bytes: &[u8],
    at: usize,
    big_endian: bool,
    interfaces: &[Interface],
) -> Option<(Current, usize)> {
    let head = bytes.get(at..)?.first_chunk::<28>()?;
    let u32_at = |i: usize| u32_of([head[i], head[i + 1], head[i + 2], head[i + 3]], big_endian);
    let len = u32_at(4) as usize;
    let caplen = u32_at(20);
    // Exactly the packet data: no options, nothing to check.
    if u32_at(0) != PCAPNG_EPB
        || caplen >= u32::MAX - 4
        || (caplen as usize).next_multiple_of(4) + 32 != len
        || len > MAX_RECORD
        || bytes.len() - at < len
    {
        return None;
    }
    let trailer = bytes.get(at + len - 4..)?.first_chunk::<4>()?;
    let iface = interfaces.get(u32_at(8) as usize)?;
    if u32_of(*trailer, big_endian) as usize != len {
        return None;
    }
    let ticks = (u64::from(u32_at(12)) << 32) | u64::from(u32_at(16));
    let data = at + 28;
    Some((
        Current {
            ts: ticks_to_ts(ticks, iface.units_per_sec, iface.offset_secs),
            linktype: Some(iface.linktype),
            origlen: u32_at(24),
            data: data..data + caplen as usize,
        },
        len,
    ))
}

/// [`Timestamp::from_ticks`], with the two resolutions captures use
/// (microseconds, pcapng's default, and nanoseconds) handled without a
/// 64-bit division by a variable: the same value, without two divisions
/// per packet.
#[inline(always)]
fn ticks_to_ts(ticks: u64, units_per_sec: u64, offset_secs: i64) -> Timestamp {
    if units_per_sec == 1_000_000_000 {
        if let Some(t) = i64::try_from(ticks)
            .ok()
            .and_then(|n| offset_secs.checked_mul(1_000_000_000)?.checked_add(n))
        {
            return Timestamp(t);
        }
    } else if units_per_sec == 1_000_000 {
        let secs = ((ticks / 1_000_000) as i64).saturating_add(offset_secs);
        let frac = (ticks % 1_000_000) as i64;
        if let Some(t) = secs
            .checked_mul(1_000_000_000)
            .and_then(|n| n.checked_add(frac * 1_000))
        {
            return Timestamp(t);
        }
    }
    Timestamp::from_ticks(ticks, units_per_sec, offset_secs)
}

/// Maps a whole regular file read-only, advising the kernel that it is
/// read front to back. `None` when mapping fails (the caller reads instead).
fn map_file(file: &File) -> Option<memmap2::Mmap> {
    // SAFETY: the map is read-only and private to this source; the file is
    // a regular file opened by us. Another process truncating it while we
    // read is the one hazard every mapped read has (SIGBUS); see the module
    // documentation for the KINSPECT_NO_MMAP escape hatch.
    let map = unsafe { memmap2::Mmap::map(file) }.ok()?;
    let _ = map.advise(memmap2::Advice::Sequential);
    Some(map)
}

/// Four bytes as a u32 in the file's byte order.
fn u32_of(b: [u8; 4], big_endian: bool) -> u32 {
    if big_endian {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    }
}

/// Walks a pcapng block's options (code, length, value padded to 4 bytes).
/// pcap-parser silently drops an option that runs past the end of its
/// block (and every option after it); libpcap and Wireshark reject the
/// block, and so do we.
fn check_options(opts: &[u8], big_endian: bool) -> Result<(), String> {
    let u16_at = |at: usize| {
        let b = [opts[at], opts[at + 1]];
        if big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        }
    };
    let mut at = 0;
    while at < opts.len() {
        if opts.len() - at < 4 {
            return Err(format!(
                "option header at byte {at} of the options needs 4 bytes, {} left",
                opts.len() - at
            ));
        }
        let code = u16_at(at);
        let len = usize::from(u16_at(at + 2));
        if code == 0 {
            // opt_endofopt: whatever follows is padding.
            return Ok(());
        }
        let padded = len.div_ceil(4) * 4;
        let left = opts.len() - at - 4;
        if padded > left {
            return Err(format!(
                "option {code} has length {len}, only {left} bytes left in the block"
            ));
        }
        at += 4 + padded;
    }
    Ok(())
}

/// The options area of an interface description (after linktype,
/// reserved and snaplen) or an enhanced packet block (after the padded
/// packet data); empty for other blocks or a block too short to have one.
fn block_options<'a>(block: &Block<'_>, slice: &'a [u8]) -> &'a [u8] {
    let end = slice.len().saturating_sub(4);
    let start = match block {
        Block::InterfaceDescription(_) => 16,
        Block::EnhancedPacket(epb) => 28 + (epb.caplen as usize).div_ceil(4) * 4,
        _ => return &[],
    };
    slice.get(start..end).unwrap_or_default()
}

/// A short reason from a pcap-parser error, without dumping the input bytes.
fn nom_reason(e: &pcap_parser::nom::Err<pcap_parser::PcapError<&[u8]>>) -> String {
    match e {
        pcap_parser::nom::Err::Incomplete(_) => "block ends before its declared length".into(),
        pcap_parser::nom::Err::Error(inner) | pcap_parser::nom::Err::Failure(inner) => {
            match inner {
                pcap_parser::PcapError::NomError(_, kind) => {
                    format!("invalid content ({})", kind.description())
                }
                other => format!("{other}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn legacy(magic: u32, be: bool, records: &[(u32, u32, &[u8])]) -> Vec<u8> {
        let w32 = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
        let w16 = |v: u16| if be { v.to_be_bytes() } else { v.to_le_bytes() };
        let mut out = Vec::new();
        out.extend(w32(magic));
        out.extend(w16(2));
        out.extend(w16(4));
        out.extend(w32(0));
        out.extend(w32(0));
        out.extend(w32(65535));
        out.extend(w32(1));
        for (s, frac, data) in records {
            out.extend(w32(*s));
            out.extend(w32(*frac));
            out.extend(w32(data.len() as u32));
            out.extend(w32(data.len() as u32 + 4));
            out.extend_from_slice(data);
        }
        out
    }

    type ReadAll = (Vec<(i64, Vec<u8>, u32)>, Option<CaptureError>);

    fn read_all(bytes: Vec<u8>) -> ReadAll {
        let mut src = match FileSource::from_reader(Path::new("t.pcap"), Cursor::new(bytes)) {
            Ok(s) => s,
            Err(e) => return (Vec::new(), Some(e)),
        };
        let mut out = Vec::new();
        loop {
            match src.advance() {
                Ok(true) => {
                    let p = src.current();
                    out.push((p.ts.0, p.data.to_vec(), p.origlen));
                }
                Ok(false) => return (out, None),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    /// The fast paths for microsecond and nanosecond ticks give what the
    /// general conversion does, overflow and negative offsets included.
    #[test]
    fn fast_tick_paths_as_the_general_conversion() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for k in 0..100_000u64 {
            x = x
                .rotate_left(13)
                .wrapping_mul(0x2545_F491_4F6C_DD1D)
                .wrapping_add(k);
            let ticks = match k % 4 {
                0 => x,
                1 => x >> 12,
                2 => u64::MAX - (x >> 40),
                _ => 1_733_500_000_000_000 + (x >> 30),
            };
            let offset = match k % 5 {
                0 => 0,
                1 => -((x >> 50) as i64),
                2 => i64::MAX - (k as i64),
                3 => i64::MIN + (k as i64),
                _ => (x >> 33) as i64,
            };
            for units in [1_000_000, 1_000_000_000, 1_000, 0] {
                assert_eq!(
                    ticks_to_ts(ticks, units, offset),
                    Timestamp::from_ticks(ticks, units, offset),
                    "{ticks} {units} {offset}"
                );
            }
        }
    }

    #[test]
    fn reads_all_four_classic_variants() {
        for (magic, be, units) in [
            (0xa1b2_c3d4u32, false, 1_000u64),
            (0xa1b2_c3d4, true, 1_000),
            (0xa1b2_3c4d, false, 1),
            (0xa1b2_3c4d, true, 1),
        ] {
            let bytes = legacy(magic, be, &[(10, 7, b"abc"), (11, 9, b"defg")]);
            let (pkts, err) = read_all(bytes);
            assert!(err.is_none(), "{err:?}");
            assert_eq!(pkts.len(), 2);
            assert_eq!(pkts[0].0, 10_000_000_000 + 7 * units as i64);
            assert_eq!(pkts[1].1, b"defg");
            assert_eq!(pkts[1].2, 8);
        }
    }

    #[test]
    fn a_tiny_buffer_grows_and_compacts_without_losing_bytes() {
        let records: Vec<(u32, u32, Vec<u8>)> = (0..50u32)
            .map(|i| (i, 0, vec![i as u8; 40 + (i as usize * 7) % 300]))
            .collect();
        let refs: Vec<(u32, u32, &[u8])> =
            records.iter().map(|(a, b, d)| (*a, *b, &d[..])).collect();
        let bytes = legacy(0xa1b2_c3d4, false, &refs);
        let mut src =
            FileSource::with_capacity(Path::new("t.pcap"), Cursor::new(bytes), 64).unwrap();
        for (i, (_, _, data)) in records.iter().enumerate() {
            assert!(src.advance().unwrap(), "record {i}");
            assert_eq!(src.current().data, &data[..], "record {i}");
        }
        assert!(!src.advance().unwrap());
    }

    #[test]
    fn truncated_record_keeps_earlier_packets_and_names_offset() {
        let mut bytes = legacy(0xa1b2_c3d4, false, &[(1, 0, b"first"), (2, 0, b"second")]);
        bytes.truncate(bytes.len() - 3);
        let (pkts, err) = read_all(bytes);
        assert_eq!(pkts.len(), 1);
        match err {
            Some(CaptureError::Truncated { offset, reason, .. }) => {
                assert_eq!(offset, 24 + 16 + 5);
                assert!(reason.contains("needs 22 bytes, only 19 left"), "{reason}");
            }
            other => panic!("expected truncation, got {other:?}"),
        }
    }

    #[test]
    fn rejects_unknown_magic_and_short_files() {
        let (_, err) = read_all(b"GET / HTTP/1.1\r\n\r\n0123456789".to_vec());
        let msg = err.expect("must fail").to_string();
        assert!(msg.contains("unknown magic number 0x20544547"), "{msg}");
        let (_, err) = read_all(vec![0xd4, 0xc3]);
        assert!(err.unwrap().to_string().contains("too short"));
    }

    #[test]
    fn rejects_bad_version_and_reserved_linktype_bits() {
        let mut bytes = legacy(0xa1b2_c3d4, false, &[]);
        bytes[4] = 1;
        let msg = read_all(bytes).1.unwrap().to_string();
        assert!(msg.contains("unsupported pcap version 1.4"), "{msg}");
        let mut bytes = legacy(0xa1b2_c3d4, false, &[]);
        bytes[22] = 0x10;
        let msg = read_all(bytes).1.unwrap().to_string();
        assert!(msg.contains("reserved bits"), "{msg}");
    }

    #[test]
    fn absurd_caplen_is_malformed_not_an_allocation() {
        let mut bytes = legacy(0xa1b2_c3d4, false, &[(1, 0, b"x")]);
        bytes[24 + 8..24 + 12].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        let (pkts, err) = read_all(bytes);
        assert!(pkts.is_empty());
        assert!(matches!(
            err,
            Some(CaptureError::Malformed { offset: 24, .. })
        ));
    }

    #[test]
    fn record_lengths_are_swapped_before_version_2_3() {
        // Version 2.0..2.2 (and 2.3 when incl_len > orig_len) store orig_len
        // first, as libpcap and Wireshark read them.
        for (minor, be) in [(0u8, false), (2, true), (3, false)] {
            let mut bytes = legacy(0xa1b2_c3d4, be, &[(1, 0, b"abcd")]);
            bytes[if be { 7 } else { 6 }] = minor;
            // Record 1 as an old writer wrote it: orig_len 9000, incl_len 4.
            let (caplen, origlen) = (24 + 8, 24 + 12);
            let w = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
            bytes[caplen..caplen + 4].copy_from_slice(&w(9000));
            bytes[origlen..origlen + 4].copy_from_slice(&w(4));
            let (pkts, err) = read_all(bytes);
            assert!(err.is_none(), "2.{minor}: {err:?}");
            assert_eq!(pkts.len(), 1, "2.{minor}");
            assert_eq!((pkts[0].1.as_slice(), pkts[0].2), (&b"abcd"[..], 9000));
        }
        // 2.3 with plausible lengths, and 2.4 always: read as written.
        for minor in [3u8, 4] {
            let mut bytes = legacy(0xa1b2_c3d4, false, &[(1, 0, b"abcd")]);
            bytes[6] = minor;
            let (pkts, err) = read_all(bytes);
            assert!(err.is_none(), "{err:?}");
            assert_eq!((pkts[0].1.as_slice(), pkts[0].2), (&b"abcd"[..], 8));
        }
    }

    fn shb(options: &[u8]) -> Vec<u8> {
        let len = (28 + options.len()) as u32;
        let mut out = Vec::new();
        out.extend(PCAPNG_SHB.to_le_bytes());
        out.extend(len.to_le_bytes());
        out.extend(0x1A2B_3C4Du32.to_le_bytes());
        out.extend(1u16.to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out.extend(u64::MAX.to_le_bytes());
        out.extend_from_slice(options);
        out.extend(len.to_le_bytes());
        out
    }

    /// A pcapng with one Ethernet interface whose description carries
    /// `idb_options`, then one EPB per entry (its options given).
    fn ng(idb_options: &[u8], epbs: &[&[u8]]) -> (Vec<u8>, Vec<u64>) {
        let mut out = shb(&[]);
        let mut body = vec![1, 0, 0, 0, 0, 0, 4, 0];
        body.extend_from_slice(idb_options);
        let block = |t: u32, body: &[u8]| {
            let len = (12 + body.len()) as u32;
            let mut b = t.to_le_bytes().to_vec();
            b.extend(len.to_le_bytes());
            b.extend_from_slice(body);
            b.extend(len.to_le_bytes());
            b
        };
        out.extend(block(1, &body));
        let mut offsets = Vec::new();
        for opts in epbs {
            let mut e = Vec::new();
            e.extend(0u32.to_le_bytes());
            e.extend(0u32.to_le_bytes());
            e.extend(1u32.to_le_bytes());
            e.extend(14u32.to_le_bytes());
            e.extend(14u32.to_le_bytes());
            e.extend([0u8; 16]);
            e.extend_from_slice(opts);
            offsets.push(out.len() as u64);
            out.extend(block(6, &e));
        }
        (out, offsets)
    }

    #[test]
    fn packet_and_interface_options_past_their_block_are_malformed() {
        // epb_flags (2) of 4 bytes: fine.
        let flags: &[u8] = &[2, 0, 4, 0, 1, 0, 0, 0, 0, 0, 0, 0];
        let (good, _) = ng(&[], &[flags, flags]);
        let (pkts, err) = read_all(good);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(pkts.len(), 2);
        // The second packet's comment claims 200 bytes in an 8-byte area:
        // the first packet is kept, the error names the second block.
        let past: &[u8] = &[1, 0, 200, 0, b'x', 0, 0, 0];
        let (bad, offsets) = ng(&[], &[flags, past, flags]);
        let (pkts, err) = read_all(bad);
        assert_eq!(pkts.len(), 1);
        match err {
            Some(CaptureError::Malformed { offset, reason, .. }) => {
                assert_eq!(offset, offsets[1]);
                assert!(
                    reason.contains("enhanced packet block is damaged")
                        && reason.contains("option 1 has length 200, only 4 bytes left"),
                    "{reason}"
                );
            }
            other => panic!("expected a malformed block, got {other:?}"),
        }
        // The same in the interface description: no packet read.
        let (bad, _) = ng(&[2, 0, 99, 0], &[flags]);
        let (pkts, err) = read_all(bad);
        assert!(pkts.is_empty());
        assert!(
            matches!(&err, Some(CaptureError::Malformed { reason, .. })
                if reason.contains("interface description block is damaged")),
            "{err:?}"
        );
    }

    #[test]
    fn section_header_option_past_its_block_is_a_bad_header() {
        // shb_userappl (4) of 5 bytes, padded to 8, then opt_endofopt.
        let good = shb(&[
            4, 0, 5, 0, b'k', b'i', b'n', b's', b'p', 0, 0, 0, 0, 0, 0, 0,
        ]);
        let (pkts, err) = read_all(good);
        assert!(err.is_none() && pkts.is_empty(), "{err:?}");
        // An option claiming 0x3030 bytes in a 16-byte option area.
        let bad = shb(&[0x30, 0x30, 0x30, 0x30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        match read_all(bad).1 {
            Some(CaptureError::BadHeader { reason, .. }) => {
                assert!(
                    reason.contains("option 12336 has length 12336, only 12 bytes left"),
                    "{reason}"
                );
            }
            other => panic!("expected a bad header, got {other:?}"),
        }
        // The same damage in a later section ends the file as malformed.
        let mut two = shb(&[]);
        let second_at = two.len() as u64;
        two.extend(shb(&[9, 0, 200, 0]));
        assert!(matches!(
            read_all(two).1,
            Some(CaptureError::Malformed { offset, .. }) if offset == second_at
        ));
    }

    /// `may_have_secrets` is false only when there is nothing to take, on
    /// a capture with Decryption Secrets Blocks (read alone and merged).
    #[test]
    fn secrets_are_announced_before_they_are_taken() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/etcd-tls13-keylog-dsb.pcapng");
        let mut alone = FileSource::open(&path).unwrap();
        let mut merged = crate::capture::MergedSource::new(vec![FileSource::open(&path).unwrap()]);
        let sources: [&mut dyn PacketSource; 2] = [&mut alone, &mut merged];
        for source in sources {
            let (mut taken, mut asked) = (0, 0);
            while source.advance().unwrap() {
                asked += 1;
                if source.may_have_secrets() {
                    taken += source.take_secrets().len();
                } else {
                    assert!(source.take_secrets().is_empty(), "packet {asked}");
                }
            }
            assert!(taken > 0, "the capture's secrets were taken");
        }
    }

    #[test]
    fn a_mapped_file_reads_exactly_what_read_2_reads() {
        // 8,000 records of up to ~1.5 kB: a few MiB, above MMAP_MIN, and
        // past RELEASE_STEP so pages behind the read are released.
        let records: Vec<(u32, u32, Vec<u8>)> = (0..8000u32)
            .map(|i| {
                (
                    i,
                    i * 7,
                    vec![(i % 251) as u8; 100 + (i as usize * 13) % 1400],
                )
            })
            .collect();
        let refs: Vec<(u32, u32, &[u8])> =
            records.iter().map(|(a, b, d)| (*a, *b, &d[..])).collect();
        // The four classic variants (microseconds and nanoseconds, both
        // byte orders), and a pcapng of plain enhanced packet blocks with
        // one block with options among them (the general path).
        let flags: &[u8] = &[2, 0, 4, 0, 1, 0, 0, 0, 0, 0, 0, 0];
        let epbs: Vec<&[u8]> = (0..120_000)
            .map(|i| if i == 60_000 { flags } else { &[][..] })
            .collect();
        let mut files = Vec::new();
        for magic in [0xa1b2_c3d4, 0xa1b2_3c4d] {
            for be in [false, true] {
                files.push((legacy(magic, be, &refs), 8000));
            }
        }
        let (plain, offsets) = ng(&[], &epbs);
        // Blocks the fast path must leave to the general one: an interface
        // no block described, a trailing length unlike the leading one.
        let mut unknown_interface = plain.clone();
        unknown_interface[offsets[70_000] as usize + 8] = 5;
        let mut uneven_lengths = plain.clone();
        uneven_lengths[offsets[80_000] as usize + 44] = 52;
        files.push((plain, 120_000));
        files.push((unknown_interface, 70_000));
        files.push((uneven_lengths, 80_000));
        let dir = tempfile::tempdir().unwrap();
        for (n, (whole, count)) in files.into_iter().enumerate() {
            assert!(whole.len() as u64 > MMAP_MIN + RELEASE_STEP as u64);
            // Whole, cut inside the last record's data, and inside its
            // header: same packets, same error.
            let last = if n < 4 { 16 + refs[7999].2.len() } else { 48 };
            for cut in [0usize, 5, last - 6] {
                let bytes = whole[..whole.len() - cut].to_vec();
                let path = dir.path().join(format!("f{n}cut{cut}.pcap"));
                std::fs::write(&path, &bytes).unwrap();
                let mut mapped = FileSource::open(&path).unwrap();
                assert!(mapped.is_mapped());
                let mut got = Vec::new();
                let err = loop {
                    match mapped.advance() {
                        Ok(true) => {
                            let p = mapped.current();
                            got.push((p.ts.0, p.data.to_vec(), p.origlen));
                        }
                        Ok(false) => break None,
                        Err(e) => break Some(e.to_string()),
                    }
                };
                let (want, want_err) = read_all(bytes);
                let ends_early = n > 4;
                assert_eq!(
                    got.len(),
                    if cut == 0 || ends_early {
                        count
                    } else {
                        count - 1
                    },
                    "file {n} cut {cut}"
                );
                assert_eq!(err.is_some(), cut > 0 || ends_early, "file {n} cut {cut}");
                assert_eq!(got, want, "file {n} cut {cut}");
                assert_eq!(
                    err.map(|e| e.replace(&path.display().to_string(), "t.pcap")),
                    want_err.map(|e| e.to_string()),
                    "file {n} cut {cut}"
                );
            }
        }
    }
}
