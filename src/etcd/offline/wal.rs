//! etcd's write-ahead log (`member/wal/*.wal`), read in order, the CRC
//! chain checked.
//!
//! Format (etcd 3.4 `wal/encoder.go`, `wal/decoder.go`): each file is a
//! sequence of frames; a frame is an 8-byte little-endian length word whose
//! low 56 bits are the record's length and whose top byte, when its high bit
//! is set, holds the padding (low 3 bits) that aligns the frame to 8 bytes.
//! A length word of 0 ends the file (files are preallocated with zeros).
//! The record is a `walpb.Record { type = 1, crc = 2, data = 3 }`; types:
//! 1 metadata (`etcdserverpb.Metadata { node_id = 1, cluster_id = 2 }`),
//! 2 entry (`raftpb.Entry { type = 1, term = 2, index = 3, data = 4 }`),
//! 3 state (`raftpb.HardState { term = 1, vote = 2, commit = 3 }`),
//! 4 crc (the running CRC carried into a new file), 5 snapshot
//! (`walpb.Snapshot { index = 1, term = 2 }`). The CRC is CRC-32C rolling
//! over every record's data; a crc record resets it to the value it carries
//! (after checking it against the running value when that is not 0).
//!
//! Bounds: one record in memory at a time, never longer than what is left
//! of its file; files are read with buffered reads, never written.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// What went wrong reading a WAL.
#[derive(Debug, thiserror::Error)]
pub enum WalError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: no WAL files (*.wal) in it (expected an etcd data dir or its member/wal)")]
    Empty { path: PathBuf },
    #[error("{path} offset {offset}: torn record: {what}")]
    Torn {
        path: PathBuf,
        offset: u64,
        what: String,
    },
    #[error(
        "{path} offset {offset}: CRC mismatch: record says {stored:#010x}, the chain gives {computed:#010x}"
    )]
    Crc {
        path: PathBuf,
        offset: u64,
        stored: u32,
        computed: u32,
    },
    #[error("{path} offset {offset}: malformed record: {what}")]
    Malformed {
        path: PathBuf,
        offset: u64,
        what: String,
    },
}

/// A raft entry's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryType {
    Normal,
    ConfChange,
    ConfChangeV2,
    Other(u64),
}

impl EntryType {
    pub fn name(self) -> &'static str {
        match self {
            EntryType::Normal => "normal",
            EntryType::ConfChange => "conf_change",
            EntryType::ConfChangeV2 => "conf_change_v2",
            EntryType::Other(_) => "unknown",
        }
    }
}

/// One record's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    Metadata {
        member_id: u64,
        cluster_id: u64,
        /// Set when the data is not an `etcdserverpb.Metadata` (as in
        /// etcd's own tests, which store arbitrary bytes).
        raw: Option<Vec<u8>>,
    },
    Entry {
        term: u64,
        index: u64,
        entry_type: EntryType,
        data: Vec<u8>,
    },
    HardState {
        term: u64,
        vote: u64,
        commit: u64,
    },
    Crc {
        crc: u32,
    },
    Snapshot {
        index: u64,
        term: u64,
    },
    Unknown {
        record_type: i64,
    },
}

impl Record {
    /// The name used in output (`record` in JSON).
    pub fn name(&self) -> &'static str {
        match self {
            Record::Metadata { .. } => "metadata",
            Record::Entry { .. } => "entry",
            Record::HardState { .. } => "hard_state",
            Record::Crc { .. } => "crc",
            Record::Snapshot { .. } => "snapshot",
            Record::Unknown { .. } => "unknown",
        }
    }
}

/// A record and where it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub file: PathBuf,
    pub offset: u64,
    pub record: Record,
}

fn varint(b: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v: u64 = 0;
    for i in 0..10 {
        let byte = *b.get(*pos)?;
        *pos += 1;
        v |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// Calls `f(field, varint value or 0, bytes or empty)` for each field;
/// None when malformed.
pub fn proto_fields<'a>(b: &'a [u8], mut f: impl FnMut(u64, u64, &'a [u8])) -> Option<()> {
    let mut pos = 0;
    while pos < b.len() {
        let tag = varint(b, &mut pos)?;
        let num = tag >> 3;
        match tag & 7 {
            0 => f(num, varint(b, &mut pos)?, &[]),
            2 => {
                let len = usize::try_from(varint(b, &mut pos)?).ok()?;
                let end = pos.checked_add(len).filter(|e| *e <= b.len())?;
                f(num, 0, &b[pos..end]);
                pos = end;
            }
            1 => {
                let end = pos.checked_add(8).filter(|e| *e <= b.len())?;
                let v = u64::from_le_bytes(b[pos..end].try_into().ok()?);
                f(num, v, &[]);
                pos = end;
            }
            5 => {
                let end = pos.checked_add(4).filter(|e| *e <= b.len())?;
                let v = u32::from_le_bytes(b[pos..end].try_into().ok()?);
                f(num, u64::from(v), &[]);
                pos = end;
            }
            _ => return None,
        }
    }
    Some(())
}

/// Decodes a `walpb.Record` frame body into (type, crc, data).
pub fn decode_frame(b: &[u8]) -> Option<(i64, u32, &[u8])> {
    let (mut ty, mut crc, mut data): (i64, u32, &[u8]) = (0, 0, &[]);
    proto_fields(b, |n, v, bytes| match n {
        1 => ty = v as i64,
        2 => crc = v as u32,
        3 => data = bytes,
        _ => {}
    })?;
    Some((ty, crc, data))
}

/// Decodes a record's data by its type; None when malformed.
pub fn decode_record(ty: i64, crc: u32, data: &[u8]) -> Option<Record> {
    Some(match ty {
        1 => {
            let (mut member_id, mut cluster_id) = (0, 0);
            let ok = proto_fields(data, |n, v, _| match n {
                1 => member_id = v,
                2 => cluster_id = v,
                _ => {}
            });
            Record::Metadata {
                member_id,
                cluster_id,
                raw: (ok.is_none() || (member_id == 0 && cluster_id == 0 && !data.is_empty()))
                    .then(|| data.to_vec()),
            }
        }
        2 => {
            let (mut term, mut index, mut et, mut d): (u64, u64, u64, &[u8]) = (0, 0, 0, &[]);
            proto_fields(data, |n, v, bytes| match n {
                1 => et = v,
                2 => term = v,
                3 => index = v,
                4 => d = bytes,
                _ => {}
            })?;
            let entry_type = match et {
                0 => EntryType::Normal,
                1 => EntryType::ConfChange,
                2 => EntryType::ConfChangeV2,
                x => EntryType::Other(x),
            };
            Record::Entry {
                term,
                index,
                entry_type,
                data: d.to_vec(),
            }
        }
        3 => {
            let (mut term, mut vote, mut commit) = (0, 0, 0);
            proto_fields(data, |n, v, _| match n {
                1 => term = v,
                2 => vote = v,
                3 => commit = v,
                _ => {}
            })?;
            Record::HardState { term, vote, commit }
        }
        4 => Record::Crc { crc },
        5 => {
            let (mut index, mut term) = (0, 0);
            proto_fields(data, |n, v, _| match n {
                1 => index = v,
                2 => term = v,
                _ => {}
            })?;
            Record::Snapshot { index, term }
        }
        other => Record::Unknown { record_type: other },
    })
}

/// The WAL files of `dir` (a data dir, its `member`, or `member/wal`), in
/// order (etcd names them `SEQ-INDEX.wal` in hex, so name order is log order).
pub fn wal_files(dir: &Path) -> Result<Vec<PathBuf>, WalError> {
    let mut d = dir.to_path_buf();
    for sub in [&["member", "wal"][..], &["wal"][..]] {
        let cand: PathBuf = sub.iter().fold(dir.to_path_buf(), |p, s| p.join(s));
        if cand.is_dir() {
            d = cand;
            break;
        }
    }
    let rd = std::fs::read_dir(&d).map_err(|source| WalError::Io {
        path: d.clone(),
        source,
    })?;
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "wal") && p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(WalError::Empty { path: d });
    }
    Ok(files)
}

/// Reads WAL files in order, yielding records; after the first error
/// (torn or damaged record) it yields nothing more.
pub struct WalReader {
    files: Vec<PathBuf>,
    next_file: usize,
    cur: Option<(PathBuf, BufReader<File>, u64, u64)>,
    crc: u32,
    done: bool,
}

impl WalReader {
    /// Opens the WAL of `dir` (see [`wal_files`]).
    pub fn open(dir: &Path) -> Result<WalReader, WalError> {
        Ok(Self::from_files(wal_files(dir)?))
    }

    /// Reads the given files, in the given order.
    pub fn from_files(files: Vec<PathBuf>) -> WalReader {
        WalReader {
            files,
            next_file: 0,
            cur: None,
            crc: 0,
            done: false,
        }
    }

    /// The files read.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    fn next_record(&mut self) -> Option<Result<Located, WalError>> {
        loop {
            if self.cur.is_none() {
                let path = self.files.get(self.next_file)?.clone();
                self.next_file += 1;
                let f = match File::open(&path) {
                    Ok(f) => f,
                    Err(source) => return Some(Err(WalError::Io { path, source })),
                };
                let len = f.metadata().map(|m| m.len()).unwrap_or(0);
                self.cur = Some((path, BufReader::with_capacity(256 * 1024, f), 0, len));
            }
            let (path, rd, off, len) = self.cur.as_mut()?;
            let start = *off;
            if start + 8 > *len {
                // Fewer than 8 bytes left: the end of this file, unless they
                // are the start of a length word (a write cut short).
                let mut rest = Vec::new();
                let _ = rd.read_to_end(&mut rest);
                if rest.iter().any(|b| *b != 0) {
                    let (path, n) = (path.clone(), rest.len());
                    self.cur = None;
                    return Some(Err(WalError::Torn {
                        path,
                        offset: start,
                        what: format!("{n} bytes left, too few for a frame's 8-byte length"),
                    }));
                }
                self.cur = None;
                continue;
            }
            let mut word = [0u8; 8];
            if let Err(source) = rd.read_exact(&mut word) {
                return Some(Err(WalError::Io {
                    path: path.clone(),
                    source,
                }));
            }
            let lenf = u64::from_le_bytes(word);
            if lenf == 0 {
                self.cur = None;
                continue;
            }
            let rec_len = lenf & !(0xffu64 << 56);
            let pad = if lenf >> 63 == 1 {
                (lenf >> 56) & 0x7
            } else {
                0
            };
            let total = rec_len + pad;
            let left = *len - start - 8;
            if total > left {
                return Some(Err(WalError::Torn {
                    path: path.clone(),
                    offset: start,
                    what: format!(
                        "frame says {rec_len} bytes (+{pad} padding) but only {left} are left in the file"
                    ),
                }));
            }
            let mut buf = vec![0u8; total as usize];
            if let Err(source) = rd.read_exact(&mut buf) {
                return Some(Err(WalError::Io {
                    path: path.clone(),
                    source,
                }));
            }
            *off = start + 8 + total;
            let body = &buf[..rec_len as usize];
            let Some((ty, stored, data)) = decode_frame(body) else {
                // etcd's decoder: a frame whose bytes are zeros in a sector
                // is a torn write, not a record.
                let what = if body.iter().all(|b| *b == 0) {
                    "the frame's bytes are zeros (a write cut short)".to_string()
                } else {
                    "not a walpb.Record".to_string()
                };
                return Some(Err(WalError::Torn {
                    path: path.clone(),
                    offset: start,
                    what,
                }));
            };
            if ty == 4 {
                if self.crc != 0 && stored != self.crc {
                    return Some(Err(WalError::Crc {
                        path: path.clone(),
                        offset: start,
                        stored,
                        computed: self.crc,
                    }));
                }
                self.crc = stored;
            } else {
                let computed = crc32c::crc32c_append(self.crc, data);
                if computed != stored {
                    return Some(Err(WalError::Crc {
                        path: path.clone(),
                        offset: start,
                        stored,
                        computed,
                    }));
                }
                self.crc = computed;
            }
            let Some(record) = decode_record(ty, stored, data) else {
                return Some(Err(WalError::Malformed {
                    path: path.clone(),
                    offset: start,
                    what: format!("record of type {ty}: its data does not decode"),
                }));
            };
            return Some(Ok(Located {
                file: path.clone(),
                offset: start,
                record,
            }));
        }
    }
}

impl Iterator for WalReader {
    type Item = Result<Located, WalError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = self.next_record();
        if matches!(r, Some(Err(_)) | None) {
            self.done = true;
        }
        r
    }
}

/// Decodes WAL bytes held in memory (one file's content): the records up
/// to the first error. For fuzzing and tests.
pub fn decode_bytes(bytes: &[u8]) -> (Vec<Record>, Option<String>) {
    let mut out = Vec::new();
    let mut off = 0usize;
    let mut crc = 0u32;
    loop {
        if off + 8 > bytes.len() {
            if bytes[off.min(bytes.len())..].iter().any(|b| *b != 0) {
                return (out, Some(format!("offset {off}: torn length word")));
            }
            break;
        }
        let lenf = u64::from_le_bytes(bytes[off..off + 8].try_into().unwrap_or([0; 8]));
        if lenf == 0 {
            break;
        }
        let rec_len = lenf & !(0xffu64 << 56);
        let pad = if lenf >> 63 == 1 {
            (lenf >> 56) & 0x7
        } else {
            0
        };
        let Some(end) = (off as u64 + 8)
            .checked_add(rec_len + pad)
            .filter(|e| *e <= bytes.len() as u64)
        else {
            return (out, Some(format!("offset {off}: torn record")));
        };
        let body = &bytes[off + 8..off + 8 + rec_len as usize];
        let Some((ty, stored, data)) = decode_frame(body) else {
            return (out, Some(format!("offset {off}: not a record")));
        };
        if ty == 4 {
            if crc != 0 && stored != crc {
                return (out, Some(format!("offset {off}: crc mismatch")));
            }
            crc = stored;
        } else {
            crc = crc32c::crc32c_append(crc, data);
            if crc != stored {
                return (out, Some(format!("offset {off}: crc mismatch")));
            }
        }
        match decode_record(ty, stored, data) {
            Some(r) => out.push(r),
            None => return (out, Some(format!("offset {off}: malformed"))),
        }
        off = end as usize;
    }
    (out, None)
}

/// A raft `ConfChange` (entry type 1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfChange {
    pub id: u64,
    /// 0 AddNode, 1 RemoveNode, 2 UpdateNode, 3 AddLearnerNode.
    pub change_type: u64,
    pub node_id: u64,
    /// etcd puts the member's JSON (id, peerURLs, name, isLearner) here.
    pub context: Vec<u8>,
}

impl ConfChange {
    pub fn decode(b: &[u8]) -> Option<ConfChange> {
        let mut c = ConfChange::default();
        proto_fields(b, |n, v, bytes| match n {
            1 => c.id = v,
            2 => c.change_type = v,
            3 => c.node_id = v,
            4 => c.context = bytes.to_vec(),
            _ => {}
        })?;
        Some(c)
    }

    pub fn type_name(&self) -> &'static str {
        match self.change_type {
            0 => "AddNode",
            1 => "RemoveNode",
            2 => "UpdateNode",
            3 => "AddLearnerNode",
            _ => "ConfChange?",
        }
    }
}

/// What one term looked like from this member's log.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TermSummary {
    pub term: u64,
    /// Whom this member voted for in this term (0: no vote recorded).
    pub vote: u64,
    /// The first entry index written in this term (None: no entry).
    pub first_index: Option<u64>,
    pub last_index: Option<u64>,
    pub entries: u64,
    /// The highest commit index recorded with this term.
    pub commit: u64,
}

/// Folds records into one summary per term, in term order.
#[derive(Debug, Default)]
pub struct Terms {
    terms: std::collections::BTreeMap<u64, TermSummary>,
}

/// Most terms followed; later terms are counted in the last one kept.
pub const MAX_TERMS: usize = 100_000;

impl Terms {
    pub fn add(&mut self, r: &Record) {
        let term = match r {
            Record::Entry { term, .. } | Record::HardState { term, .. } => *term,
            _ => return,
        };
        if term == 0 || (self.terms.len() >= MAX_TERMS && !self.terms.contains_key(&term)) {
            return;
        }
        let t = self.terms.entry(term).or_insert_with(|| TermSummary {
            term,
            ..Default::default()
        });
        match r {
            Record::Entry { index, .. } => {
                t.entries += 1;
                t.first_index = Some(t.first_index.map_or(*index, |f| f.min(*index)));
                t.last_index = Some(t.last_index.map_or(*index, |l| l.max(*index)));
            }
            Record::HardState { vote, commit, .. } => {
                if *vote != 0 {
                    t.vote = *vote;
                }
                t.commit = t.commit.max(*commit);
            }
            _ => {}
        }
    }

    pub fn summaries(&self) -> impl Iterator<Item = &TermSummary> {
        self.terms.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put_varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    /// Encodes a frame as etcd's encoder does.
    fn frame(ty: u64, crc: u32, data: &[u8]) -> Vec<u8> {
        let mut rec = Vec::new();
        rec.push(0x08);
        put_varint(&mut rec, ty);
        rec.push(0x10);
        put_varint(&mut rec, u64::from(crc));
        if !data.is_empty() {
            rec.push(0x1a);
            put_varint(&mut rec, data.len() as u64);
            rec.extend_from_slice(data);
        }
        let pad = (8 - rec.len() % 8) % 8;
        let mut lenf = rec.len() as u64;
        if pad != 0 {
            lenf |= (0x80 | pad as u64) << 56;
        }
        let mut out = lenf.to_le_bytes().to_vec();
        out.extend_from_slice(&rec);
        out.extend(std::iter::repeat_n(0, pad));
        out
    }

    fn fields(fs: &[(u64, u64)]) -> Vec<u8> {
        let mut o = Vec::new();
        for (n, v) in fs {
            put_varint(&mut o, n << 3);
            put_varint(&mut o, *v);
        }
        o
    }

    /// A WAL as etcd writes it: crc 0, metadata, snapshot, hard state, entries.
    pub(crate) fn sample() -> Vec<u8> {
        let mut crc = 0u32;
        let mut out = frame(4, 0, &[]);
        let mut add = |out: &mut Vec<u8>, ty: u64, data: &[u8]| {
            crc = crc32c::crc32c_append(crc, data);
            out.extend(frame(ty, crc, data));
        };
        add(
            &mut out,
            1,
            &fields(&[(1, 0x8e9e_05c5_2164_694d), (2, 0xcdf8_1819_4e3a_8c32)]),
        );
        add(&mut out, 5, &fields(&[(1, 0), (2, 0)]));
        add(&mut out, 3, &fields(&[(1, 2), (2, 7), (3, 1)]));
        let mut e = fields(&[(2, 2), (3, 1), (1, 0)]);
        e.extend_from_slice(&[0x22, 0x00]);
        add(&mut out, 2, &e);
        let mut e = fields(&[(2, 3), (3, 2), (1, 1)]);
        let cc = fields(&[(1, 9), (2, 0), (3, 42)]);
        e.push(0x22);
        put_varint(&mut e, cc.len() as u64);
        e.extend_from_slice(&cc);
        add(&mut out, 2, &e);
        add(&mut out, 3, &fields(&[(1, 3), (2, 42), (3, 2)]));
        out.extend(vec![0u8; 64]);
        out
    }

    #[test]
    fn decodes_records_and_checks_the_chain() {
        let (recs, err) = decode_bytes(&sample());
        assert_eq!(err, None);
        let names: Vec<&str> = recs.iter().map(Record::name).collect();
        assert_eq!(
            names,
            [
                "crc",
                "metadata",
                "snapshot",
                "hard_state",
                "entry",
                "entry",
                "hard_state"
            ]
        );
        assert!(matches!(
            recs[1],
            Record::Metadata {
                member_id: 0x8e9e_05c5_2164_694d,
                ..
            }
        ));
        let Record::Entry {
            entry_type, data, ..
        } = &recs[5]
        else {
            panic!()
        };
        assert_eq!(*entry_type, EntryType::ConfChange);
        let cc = ConfChange::decode(data).unwrap();
        assert_eq!((cc.type_name(), cc.node_id), ("AddNode", 42));
        let mut terms = Terms::default();
        recs.iter().for_each(|r| terms.add(r));
        let t: Vec<(u64, u64, Option<u64>)> = terms
            .summaries()
            .map(|t| (t.term, t.vote, t.first_index))
            .collect();
        assert_eq!(t, vec![(2, 7, Some(1)), (3, 42, Some(2))]);
    }

    #[test]
    fn torn_and_damaged_tails() {
        let s = sample();
        // Cut inside the last record.
        let end = s.len() - 64;
        let (recs, err) = decode_bytes(&s[..end - 5]);
        assert_eq!(recs.len(), 6);
        assert!(err.unwrap().contains("torn"));
        // One flipped data byte in the 4th record: crc mismatch there.
        let mut d = s.clone();
        let pos = d.len() - 64 - 3;
        d[pos] ^= 0x01;
        let (recs, err) = decode_bytes(&d);
        assert_eq!(recs.len(), 6);
        assert!(
            err.unwrap().contains("crc"),
            "flipping a byte of the last record breaks its crc"
        );
    }

    #[test]
    fn reader_over_files_reports_file_and_offset() {
        let dir = tempfile::tempdir().unwrap();
        let wal = dir.path().join("member/wal");
        std::fs::create_dir_all(&wal).unwrap();
        let s = sample();
        let cut = s.len() - 64 - 5;
        std::fs::write(wal.join("0000000000000000-0000000000000000.wal"), &s[..cut]).unwrap();
        std::fs::write(wal.join("0.tmp"), b"ignored").unwrap();
        let items: Vec<_> = WalReader::open(dir.path()).unwrap().collect();
        assert_eq!(items.len(), 7);
        let last = items.last().unwrap().as_ref().unwrap_err().to_string();
        assert!(
            last.contains("0000000000000000-0000000000000000.wal offset") && last.contains("torn"),
            "{last}"
        );
        let empty = tempfile::tempdir().unwrap();
        let e = WalReader::open(empty.path()).err().unwrap().to_string();
        assert!(e.contains("no WAL files"), "{e}");
    }

    #[test]
    fn corpus_testnew_wal() {
        // etcd-data ORACLE.txt (etcd server/storage/wal/wal_test.go TestNew):
        // crc 0, metadata "somedata" (crc 0x741f6a05), snapshot {0,0} (crc 0x18206d80).
        let p =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/etcd-data/TestNew.wal");
        let Ok(bytes) = std::fs::read(&p) else {
            eprintln!("SKIP: corpus missing: {}", p.display());
            return;
        };
        let (recs, err) = decode_bytes(&bytes);
        assert_eq!(err, None);
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[0], Record::Crc { crc: 0 });
        assert!(matches!(&recs[1], Record::Metadata { raw: Some(r), .. } if r == b"somedata"));
        assert_eq!(recs[2], Record::Snapshot { index: 0, term: 0 });
        assert_eq!(crc32c::crc32c(b"somedata"), 0x741f_6a05);
    }

    #[test]
    fn garbage_never_panics() {
        let s = sample();
        let mut x: u32 = 7;
        for _ in 0..3000 {
            let mut d = s.clone();
            for _ in 0..4 {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let i = (x as usize >> 3) % d.len();
                d[i] = (x >> 16) as u8;
            }
            let _ = decode_bytes(&d);
        }
        let _ = decode_bytes(&[0xff; 64]);
    }
}
