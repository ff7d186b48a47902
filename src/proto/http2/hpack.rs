//! HPACK header blocks (RFC 7541), one decoder per direction.
//!
//! Written by hand, with loona-hpack as the reference it is tested
//! against (RFC 7541 Appendix C, and a fuzz target that compares both on
//! any block): loona-hpack fails a whole block on a reference to a
//! dynamic-table entry it never saw, which every connection joined
//! mid-stream has, and its decoder rebuilds its Huffman table (a HashMap
//! of 257 codes) for every Huffman-coded string — 80% of `pcap rpc`'s time
//! on an 800 MB etcd capture. This decoder keeps the dynamic table exactly
//! when the direction is seen from its first block; otherwise it knows
//! only the entries it saw inserted, decodes everything else it can
//! (static table, literals) and names each field it cannot resolve
//! `<unknown: dynamic index N>`.
//!
//! Bounds (a hostile peer cannot make a block cost more than these):
//! - the dynamic table holds at most what the receiving side allowed in
//!   SETTINGS_HEADER_TABLE_SIZE and never more than [`MAX_TABLE_SIZE`]; a
//!   size update above either is clamped and reported
//!   ([`HeaderBlock::table_size_clamped`]);
//! - one block decodes to at most [`MAX_DECODED_BLOCK`] bytes of header
//!   list (RFC 9113 §6.5.2 counting: name + value + 32 per field); fields
//!   past it are counted ([`HeaderBlock::dropped_fields`]), not copied, so
//!   a table entry referenced thousands of times is not cloned thousands
//!   of times. Decoding goes on (insertions still update the table).

use std::collections::VecDeque;

/// Largest dynamic table we keep (64 KiB): a peer may allow more, but the
/// memory per direction stays bounded; larger size updates are clamped.
pub const MAX_TABLE_SIZE: usize = 64 * 1024;

/// Largest header list one block decodes to (256 KiB, counted as RFC 9113
/// §6.5.2 counts SETTINGS_MAX_HEADER_LIST_SIZE: name + value + 32 bytes
/// per field). Real control-plane blocks are a few hundred bytes.
pub const MAX_DECODED_BLOCK: usize = 256 * 1024;

/// Default SETTINGS_HEADER_TABLE_SIZE (RFC 9113 §6.5.2).
pub const DEFAULT_TABLE_SIZE: usize = 4096;

/// The RFC 7541 Appendix A static table (index 1..=61).
pub const STATIC_TABLE: [(&str, &str); 61] = [
    (":authority", ""),
    (":method", "GET"),
    (":method", "POST"),
    (":path", "/"),
    (":path", "/index.html"),
    (":scheme", "http"),
    (":scheme", "https"),
    (":status", "200"),
    (":status", "204"),
    (":status", "206"),
    (":status", "304"),
    (":status", "400"),
    (":status", "404"),
    (":status", "500"),
    ("accept-charset", ""),
    ("accept-encoding", "gzip, deflate"),
    ("accept-language", ""),
    ("accept-ranges", ""),
    ("accept", ""),
    ("access-control-allow-origin", ""),
    ("age", ""),
    ("allow", ""),
    ("authorization", ""),
    ("cache-control", ""),
    ("content-disposition", ""),
    ("content-encoding", ""),
    ("content-language", ""),
    ("content-length", ""),
    ("content-location", ""),
    ("content-range", ""),
    ("content-type", ""),
    ("cookie", ""),
    ("date", ""),
    ("etag", ""),
    ("expect", ""),
    ("expires", ""),
    ("from", ""),
    ("host", ""),
    ("if-match", ""),
    ("if-modified-since", ""),
    ("if-none-match", ""),
    ("if-range", ""),
    ("if-unmodified-since", ""),
    ("last-modified", ""),
    ("link", ""),
    ("location", ""),
    ("max-forwards", ""),
    ("proxy-authenticate", ""),
    ("proxy-authorization", ""),
    ("range", ""),
    ("referer", ""),
    ("refresh", ""),
    ("retry-after", ""),
    ("server", ""),
    ("set-cookie", ""),
    ("strict-transport-security", ""),
    ("transfer-encoding", ""),
    ("user-agent", ""),
    ("vary", ""),
    ("via", ""),
    ("www-authenticate", ""),
];

/// A decoded header block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HeaderBlock {
    /// Fields in order (bytes shown as UTF-8, lossily).
    pub fields: Vec<(String, String)>,
    /// Fields whose name or value referenced a dynamic-table entry we
    /// never saw.
    pub unknown: u32,
    /// The block ended inside a field or was otherwise malformed.
    pub malformed: bool,
    /// Header list size of the whole block (name + value + 32 per field),
    /// dropped fields included.
    pub decoded_size: usize,
    /// Fields not kept because the block passed [`MAX_DECODED_BLOCK`].
    pub dropped_fields: u32,
    /// A dynamic table size update asked for more than allowed: the size
    /// asked and the size used.
    pub table_size_clamped: Option<TableClamp>,
}

/// A dynamic table size update above what the decoder accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableClamp {
    /// Size the encoder asked for.
    pub asked: usize,
    /// Size kept.
    pub used: usize,
    /// True: above the peer's SETTINGS_HEADER_TABLE_SIZE (a protocol
    /// violation); false: above [`MAX_TABLE_SIZE`] only.
    pub above_settings: bool,
}

impl HeaderBlock {
    /// The value of the first field called `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Marker for a field we could not resolve.
pub fn unknown_marker(index: usize) -> String {
    format!("<unknown: dynamic index {index}>")
}

/// The dynamic table of the lenient walker: only entries it saw inserted.
#[derive(Debug)]
struct LenientTable {
    /// Newest first: index 62 is `entries[0]`.
    entries: VecDeque<(String, String, usize)>,
    size: usize,
    max_size: usize,
}

impl LenientTable {
    fn new(max_size: usize) -> Self {
        LenientTable {
            entries: VecDeque::new(),
            size: 0,
            max_size,
        }
    }

    fn evict(&mut self) {
        while self.size > self.max_size {
            match self.entries.pop_back() {
                Some((_, _, s)) => self.size -= s,
                None => {
                    self.size = 0;
                    break;
                }
            }
        }
    }

    fn insert(&mut self, name: String, value: String, size: usize) {
        self.size += size;
        self.entries.push_front((name, value, size));
        self.evict();
    }

    fn set_max(&mut self, max: usize) {
        self.max_size = max.min(MAX_TABLE_SIZE);
        self.evict();
    }
}

/// The HPACK decoder of one direction.
#[derive(Debug)]
pub struct HpackDecoder {
    table: LenientTable,
    /// Every entry of the table is known (seen from the first block).
    known: bool,
    /// SETTINGS_HEADER_TABLE_SIZE announced by the receiving side.
    allowed: usize,
    /// `allowed` is known: SETTINGS seen, or the direction seen from its
    /// start (then the default applies). Joined mid-way, the peer may have
    /// allowed more than we know, so only the hard limit is enforced.
    allowed_known: bool,
}

impl HpackDecoder {
    /// `from_start`: the direction is seen from its first header block, so
    /// the dynamic table is known; otherwise entries inserted before are
    /// unknown.
    pub fn new(from_start: bool) -> Self {
        HpackDecoder {
            table: LenientTable::new(DEFAULT_TABLE_SIZE),
            known: from_start,
            allowed: DEFAULT_TABLE_SIZE,
            allowed_known: from_start,
        }
    }

    /// True while the whole dynamic table is known.
    pub fn knows_table(&self) -> bool {
        self.known
    }

    /// The receiver announced SETTINGS_HEADER_TABLE_SIZE `size`: the
    /// encoder may now grow the table up to it (by size updates); a
    /// smaller limit takes effect at once (the encoder must also say so
    /// with a size update).
    pub fn set_allowed_table_size(&mut self, size: u32) {
        self.allowed = size as usize;
        self.allowed_known = true;
        if self.allowed < self.table.max_size {
            self.table.set_max(self.allowed);
        }
    }

    /// Bytes were lost: the table is no longer known.
    pub fn lose_sync(&mut self) {
        self.table = LenientTable::new(DEFAULT_TABLE_SIZE);
        self.known = false;
    }

    /// Decodes one complete header block (HEADERS + CONTINUATIONs).
    pub fn decode(&mut self, block: &[u8]) -> HeaderBlock {
        let allowed = if self.allowed_known {
            Some(self.allowed)
        } else {
            None
        };
        let out = decode_block(block, &mut self.table, allowed);
        if out.unknown > 0 || out.malformed || out.table_size_clamped.is_some() {
            // The table is not what the encoder thinks (or the block was
            // cut): from now on only what we see inserted is known.
            self.known = false;
        }
        out
    }
}

/// Decodes one block with a fresh loona-hpack decoder (the maintained
/// crate this decoder is checked against by tests and the fuzz target);
/// None when loona-hpack rejects it.
pub fn reference_decode(block: &[u8]) -> Option<Vec<(String, String)>> {
    let fields = loona_hpack::Decoder::new().decode(block).ok()?;
    Some(fields.iter().map(|(n, v)| (lossy(n), lossy(v))).collect())
}

/// An HPACK integer with an `prefix`-bit prefix (RFC 7541 §5.1): value
/// and bytes used. Values above 2^28 are refused (no sane header needs
/// them), which also bounds the loop.
fn integer(b: &[u8], prefix: u8) -> Option<(usize, usize)> {
    let mask = (1u16 << prefix) as usize - 1;
    let first = *b.first()? as usize & mask;
    if first < mask {
        return Some((first, 1));
    }
    let mut value = mask;
    for (i, byte) in b.iter().enumerate().skip(1).take(4) {
        value += ((byte & 0x7f) as usize) << (7 * (i - 1));
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// A string literal (§5.2): bytes (Huffman-decoded) and bytes used.
fn string(b: &[u8]) -> Option<(Vec<u8>, usize)> {
    let is_huffman = b.first()? & 0x80 != 0;
    let (len, used) = integer(b, 7)?;
    let raw = b.get(used..used.checked_add(len)?)?;
    let s = if is_huffman {
        huffman_decode(raw)?
    } else {
        raw.to_vec()
    };
    Some((s, used + len))
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Resolves a table index: (name, value) or None when unknown; index 0 is
/// invalid and also reported as unknown. Borrowed: the caller copies only
/// what fits the block's budget.
fn lookup(table: &LenientTable, index: usize) -> Option<(&str, &str)> {
    if (1..=STATIC_TABLE.len()).contains(&index) {
        let (n, v) = STATIC_TABLE[index - 1];
        return Some((n, v));
    }
    let dyn_index = index.checked_sub(STATIC_TABLE.len() + 1)?;
    table
        .entries
        .get(dyn_index)
        .map(|(n, v, _)| (n.as_str(), v.as_str()))
}

/// Keeps a field if the block's decoded size stays within
/// [`MAX_DECODED_BLOCK`]; counts it as dropped otherwise.
fn keep(out: &mut HeaderBlock, name: &str, value: &str) {
    let size = name.len() + value.len() + 32;
    out.decoded_size = out.decoded_size.saturating_add(size);
    if out.decoded_size > MAX_DECODED_BLOCK {
        out.dropped_fields = out.dropped_fields.saturating_add(1);
    } else {
        out.fields.push((name.to_string(), value.to_string()));
    }
}

/// Walks a block: never fails it; see the module comment.
/// `allowed`: the peer's SETTINGS_HEADER_TABLE_SIZE when known.
fn decode_block(block: &[u8], table: &mut LenientTable, allowed: Option<usize>) -> HeaderBlock {
    let mut out = HeaderBlock::default();
    let mut pos = 0;
    while let Some(&first) = block.get(pos) {
        let rest = &block[pos..];
        let step = if first & 0x80 != 0 {
            // Indexed field.
            integer(rest, 7).map(|(index, used)| {
                match lookup(table, index) {
                    Some((n, v)) => keep(&mut out, n, v),
                    None => {
                        out.unknown += 1;
                        let m = unknown_marker(index);
                        keep(&mut out, &m, &m);
                    }
                }
                used
            })
        } else if first & 0xe0 == 0x20 {
            // Dynamic table size update.
            integer(rest, 5).map(|(size, used)| {
                let limit = allowed.unwrap_or(usize::MAX).min(MAX_TABLE_SIZE);
                if size > limit {
                    out.table_size_clamped = Some(TableClamp {
                        asked: size,
                        used: limit,
                        above_settings: allowed.is_some_and(|a| size > a),
                    });
                }
                table.set_max(size.min(limit));
                used
            })
        } else {
            // Literal: with incremental indexing (01), without (0000) or
            // never indexed (0001).
            let (prefix, index_it) = if first & 0xc0 == 0x40 {
                (6, true)
            } else {
                (4, false)
            };
            literal(rest, prefix, table, &mut out).map(|(name, value, size, used)| {
                keep(&mut out, &name, &value);
                if index_it {
                    table.insert(name, value, size);
                }
                used
            })
        };
        match step {
            Some(used) => pos += used,
            None => {
                out.malformed = true;
                break;
            }
        }
    }
    out
}

/// A literal field: name, value, its table size and bytes used.
fn literal(
    b: &[u8],
    prefix: u8,
    table: &LenientTable,
    out: &mut HeaderBlock,
) -> Option<(String, String, usize, usize)> {
    let (index, mut used) = integer(b, prefix)?;
    let (name, name_len) = if index == 0 {
        let (n, u) = string(&b[used..])?;
        used += u;
        let len = n.len();
        (lossy(&n), len)
    } else {
        match lookup(table, index) {
            Some((n, _)) => {
                let len = n.len();
                (n.to_string(), len)
            }
            None => {
                out.unknown += 1;
                (unknown_marker(index), 0)
            }
        }
    };
    let (value, u) = string(b.get(used..)?)?;
    used += u;
    let size = name_len + value.len() + 32;
    Some((name, lossy(&value), size, used))
}

/// Code length of each symbol of the HPACK Huffman code (RFC 7541
/// Appendix B; 256 is EOS). The code is canonical, so the lengths define
/// the codes: within a length, codes are consecutive in symbol order.
const HUFFMAN_LENGTHS: [u8; 257] = [
    13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28,
    28, 28, 28, 28, 28, 28, 28, 28, 6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5,
    5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, 13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
    7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, 15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6,
    6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, 20, 22, 20, 20, 22, 22, 22, 23, 22,
    23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, 22,
    21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20,
    22, 22, 22, 23, 22, 22, 23, 26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19,
    21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, 20, 24, 20, 21, 22, 21, 21, 23, 22,
    22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, 30,
];

/// Codes of at most this many bits (every printable ASCII byte but a few)
/// are decoded by one lookup in [`Canonical::fast`].
const FAST_BITS: u32 = 10;

/// Canonical decoding tables built once from [`HUFFMAN_LENGTHS`].
struct Canonical {
    /// Symbols sorted by (length, symbol).
    symbols: [u16; 257],
    /// Per length: first code, number of codes, index of the first
    /// symbol in `symbols`.
    first: [u32; 31],
    count: [u32; 31],
    offset: [u32; 31],
    /// By the next [`FAST_BITS`] bits: `length << 8 | symbol` of the code
    /// they begin with, or 0 when that code is longer.
    fast: [u16; 1 << FAST_BITS],
}

fn canonical() -> &'static Canonical {
    static TABLE: std::sync::OnceLock<Canonical> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut c = Canonical {
            symbols: [0; 257],
            first: [0; 31],
            count: [0; 31],
            offset: [0; 31],
            fast: [0; 1 << FAST_BITS],
        };
        let mut n = 0usize;
        let mut code = 0u32;
        for len in 1..=30usize {
            c.first[len] = code;
            c.offset[len] = n as u32;
            for (sym, &l) in HUFFMAN_LENGTHS.iter().enumerate() {
                if usize::from(l) == len {
                    c.symbols[n] = sym as u16;
                    n += 1;
                    c.count[len] += 1;
                }
            }
            code = (code + c.count[len]) << 1;
        }
        for len in 1..=FAST_BITS {
            let l = len as usize;
            for k in 0..c.count[l] {
                let sym = c.symbols[(c.offset[l] + k) as usize];
                let spare = FAST_BITS - len;
                let base = ((c.first[l] + k) << spare) as usize;
                for e in &mut c.fast[base..base + (1 << spare)] {
                    *e = (len as u16) << 8 | sym;
                }
            }
        }
        c
    })
}

/// Decodes a Huffman-coded string; None when it holds EOS, ends in more
/// than 7 bits of padding or padding that is not all ones.
///
/// Bits are taken from a 64-bit window: a code of up to [`FAST_BITS`] bits
/// is one table lookup, a longer one is found by its length (canonical
/// code: the codes of one length are consecutive numbers).
pub fn huffman_decode(raw: &[u8]) -> Option<Vec<u8>> {
    const MASK: u32 = (1 << FAST_BITS) - 1;
    let c = canonical();
    let mut out = Vec::with_capacity(raw.len() * 8 / 5);
    // The next `nbits` bits of the input are the low bits of `acc`.
    let mut acc = 0u64;
    let mut nbits = 0u32;
    let mut bytes = raw.iter();
    'symbols: loop {
        while nbits <= 48 {
            let Some(&b) = bytes.next() else { break };
            acc = (acc << 8) | u64::from(b);
            nbits += 8;
        }
        if nbits == 0 {
            break;
        }
        // Past the end, the window is filled with ones (padding): a short
        // code found there counts only if it ends within the input.
        let peek = if nbits >= FAST_BITS {
            (acc >> (nbits - FAST_BITS)) as u32 & MASK
        } else {
            ((acc << (FAST_BITS - nbits)) as u32 | ((1 << (FAST_BITS - nbits)) - 1)) & MASK
        };
        let e = c.fast[peek as usize];
        let len = u32::from(e >> 8);
        if len != 0 && len <= nbits {
            out.push(e as u8);
            nbits -= len;
            acc &= (1u64 << nbits) - 1;
            continue;
        }
        // Longer than FAST_BITS (fewer bits left than that only at the end).
        for len in FAST_BITS + 1..=30 {
            if len > nbits {
                break;
            }
            let l = len as usize;
            let code = (acc >> (nbits - len)) as u32;
            let rel = code.wrapping_sub(c.first[l]);
            if code >= c.first[l] && rel < c.count[l] {
                let sym = c.symbols[(c.offset[l] + rel) as usize];
                if sym == 256 {
                    return None;
                }
                out.push(sym as u8);
                nbits -= len;
                acc &= (1u64 << nbits) - 1;
                continue 'symbols;
            }
        }
        // An incomplete code: the input's end.
        break;
    }
    // Padding: fewer than 8 bits, all ones (the start of EOS).
    if nbits > 7 || acc != (1u64 << nbits) - 1 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huffman_agrees_with_loona_hpack() {
        // Every byte value alone, padded with ones, through loona-hpack's
        // encoder-free check: decode what its decoder decodes.
        let mut reference = loona_hpack::huffman::HuffmanDecoder::new();
        let mut x: u32 = 7;
        for _ in 0..20_000 {
            let n = (x % 12) as usize;
            let mut buf = Vec::with_capacity(n);
            for _ in 0..n {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                buf.push((x >> 16) as u8);
            }
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            assert_eq!(
                huffman_decode(&buf),
                reference.decode(&buf).ok(),
                "{buf:02x?}"
            );
        }
        // "www.example.com" (RFC 7541 C.4.1).
        let raw = [
            0xf1, 0xe3, 0xc2, 0xe5, 0xf2, 0x3a, 0x6b, 0xa0, 0xab, 0x90, 0xf4, 0xff,
        ];
        assert_eq!(
            huffman_decode(&raw).as_deref(),
            Some(&b"www.example.com"[..])
        );
    }

    /// The code of `sym`, from the canonical tables: (code, length).
    fn code_of(sym: u16) -> (u32, u32) {
        let c = canonical();
        let len = usize::from(HUFFMAN_LENGTHS[usize::from(sym)]);
        let base = c.offset[len] as usize;
        let k = c.symbols[base..base + c.count[len] as usize]
            .iter()
            .position(|&s| s == sym)
            .expect("every symbol has a code");
        (c.first[len] + k as u32, len as u32)
    }

    /// Encoded strings (long codes, EOS, bad and long padding included):
    /// the table-driven decoder agrees with loona-hpack on every one.
    #[test]
    fn table_driven_huffman_agrees_with_loona_hpack_on_encoded_strings() {
        let mut reference = loona_hpack::huffman::HuffmanDecoder::new();
        let mut x: u32 = 12345;
        let mut next = || {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            x >> 8
        };
        let mut decoded = 0;
        for round in 0..20_000 {
            let n = next() % 40;
            let (mut bits, mut nbits, mut raw) = (0u64, 0u32, Vec::new());
            let mut syms = Vec::new();
            for _ in 0..n {
                // Mostly ASCII, some bytes of 20+ bit codes, rarely EOS.
                let sym = match next() % 10 {
                    0..=5 => (next() % 95 + 32) as u16,
                    6..=8 => (next() % 256) as u16,
                    _ if round % 50 == 0 => 256,
                    _ => (next() % 256) as u16,
                };
                syms.push(sym);
                let (code, len) = code_of(sym);
                bits = (bits << len) | u64::from(code);
                nbits += len;
                while nbits >= 8 {
                    raw.push((bits >> (nbits - 8)) as u8);
                    nbits -= 8;
                    bits &= (1u64 << nbits) - 1;
                }
            }
            let mut clean = true;
            if nbits > 0 {
                // Padding: ones (valid), or sometimes a zero bit in it.
                let pad = 8 - nbits;
                let ones = (1u64 << pad) - 1;
                let pad_bits = if round % 7 == 0 { ones & !1 } else { ones };
                clean &= pad_bits == ones;
                raw.push(((bits << pad) | pad_bits) as u8);
            }
            if round % 11 == 0 {
                raw.push(0xff); // 8 more bits of padding: invalid
                clean = false;
            }
            let ours = huffman_decode(&raw);
            assert_eq!(ours, reference.decode(&raw).ok(), "{raw:02x?}");
            if clean && !syms.contains(&256) {
                assert!(ours.is_some(), "{raw:02x?}");
            }
            if let (Some(v), true) = (ours, clean) {
                decoded += 1;
                let want: Vec<u8> = syms.iter().map(|&s| s as u8).collect();
                assert_eq!(v, want);
            }
        }
        // Valid strings are most of them: the check is not vacuous.
        assert!(decoded > 10_000, "{decoded}");
    }

    /// `[0x20 | size]` as an HPACK size update (5-bit prefix).
    fn size_update(size: usize) -> Vec<u8> {
        let mut v = vec![0x3f];
        let mut rest = size - 31;
        while rest >= 128 {
            v.push((rest % 128) as u8 | 0x80);
            rest /= 128;
        }
        v.push(rest as u8);
        v
    }

    /// One 1,000-byte header inserted, then referenced 1,000 times: the
    /// block keeps what fits [`MAX_DECODED_BLOCK`] and counts the rest.
    #[test]
    fn a_block_past_the_cap_keeps_the_start_and_counts_the_rest() {
        let mut block = vec![0x40, 1, b'x', 0x7f];
        block.extend_from_slice(&[0xe9, 0x06]); // 127 + 105 + 6*128 = 1000
        block.extend(std::iter::repeat_n(b'v', 1000));
        block.extend(std::iter::repeat_n(0xbe, 1000));
        let mut d = HpackDecoder::new(true);
        let b = d.decode(&block);
        let per = 1 + 1000 + 32;
        assert_eq!(b.decoded_size, 1001 * per);
        assert_eq!(b.fields.len(), MAX_DECODED_BLOCK / per);
        assert_eq!(b.dropped_fields as usize, 1001 - MAX_DECODED_BLOCK / per);
        assert!(!b.malformed);
        assert_eq!(b.table_size_clamped, None);
        // The table itself is intact: the next block still resolves it.
        let next = d.decode(&[0xbe]);
        assert_eq!(next.fields[0].1.len(), 1000);
        assert_eq!(next.unknown, 0);
    }

    #[test]
    fn size_updates_above_settings_or_the_hard_limit_are_clamped() {
        // From the start, SETTINGS not seen: the default 4096 is the limit.
        let mut d = HpackDecoder::new(true);
        let b = d.decode(&size_update(8192));
        assert_eq!(
            b.table_size_clamped,
            Some(TableClamp {
                asked: 8192,
                used: 4096,
                above_settings: true
            })
        );
        assert!(!d.knows_table());
        // SETTINGS allowed 1 MiB: kinspect keeps 64 KiB, not a violation.
        let mut d = HpackDecoder::new(true);
        d.set_allowed_table_size(1 << 20);
        let b = d.decode(&size_update(1 << 20));
        assert_eq!(
            b.table_size_clamped,
            Some(TableClamp {
                asked: 1 << 20,
                used: MAX_TABLE_SIZE,
                above_settings: false
            })
        );
        // Within what was allowed: nothing to say.
        let mut d = HpackDecoder::new(true);
        d.set_allowed_table_size(65536);
        assert_eq!(d.decode(&size_update(65536)).table_size_clamped, None);
        assert!(d.knows_table());
        // Joined mid-way (SETTINGS unknown): only the hard limit applies.
        let mut d = HpackDecoder::new(false);
        assert_eq!(d.decode(&size_update(32768)).table_size_clamped, None);
        // Malformed: a size update cut short is partial, not a panic.
        let b = HpackDecoder::new(true).decode(&[0x3f, 0xff, 0xff]);
        assert!(b.malformed);
    }
}
