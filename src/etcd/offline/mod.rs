//! etcd without a running etcd: its files read directly, read-only.
//!
//! - [`bbolt`]: a read-only reader of bbolt files (member/snap/db and
//!   `etcdctl snapshot save` files, which are the db plus a 32-byte sha256);
//! - [`mvcc`]: etcd's `key` bucket of revision keys and `mvccpb.KeyValue`s;
//! - [`OfflineStore`]: keys by key order at a revision, a key's history,
//!   the store's revision and compaction mark — what `etcd keys --db`,
//!   `etcd get --db` and the `k8s` commands read;
//! - [`snapshot`]: etcdctl's `snapshot status` figures;
//! - [`wal`]: the write-ahead log (member/wal/*.wal).
//!
//! Files are opened read-only and mapped with `mmap(PROT_READ, MAP_SHARED)`:
//! nothing is ever written, and a running etcd that holds the file open is
//! not disturbed (it only appends pages and rewrites them in place under
//! new transaction ids; we read one consistent meta at open time, and a
//! page rewritten under us gives a checked error, not a crash, except that
//! a file *shrunk* under the mapping would fault — etcd never shrinks its
//! db except by `defrag`, so do not defragment while reading).
//!
//! Memory: the mapping is file-backed; pages read are counted in the
//! process's resident set but belong to the page cache and are reclaimable.
//! A key-ordered range needs an index because the `key` bucket is ordered by
//! revision: [`OfflineStore::range`] collects one small entry (two slices
//! into the mapping and a revision, 56 bytes) per matching revision and
//! compacts it to one per distinct key whenever it doubles, so anonymous
//! memory stays within about 2 × 56 bytes × distinct matching keys.

pub mod bbolt;
pub mod mvcc;
pub mod snapshot;
pub mod wal;

use std::fs::File;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use bbolt::{Bolt, BoltError};
use memmap2::Mmap;
use mvcc::{Revision, decode_kv, kv_key, parse_revision};

/// Errors reading etcd's files. Each names the file and what was expected.
#[derive(Debug, thiserror::Error)]
pub enum OfflineError {
    #[error("{path}: cannot open: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}: not an etcd data directory: no member/snap/db inside (expected DIR/member/snap/db)"
    )]
    NoDb { path: PathBuf },
    #[error("{path}: not a bbolt database: {source}")]
    Bolt {
        path: PathBuf,
        #[source]
        source: BoltError,
    },
    #[error("{path}: a bbolt database but not etcd's: no `key` bucket (buckets: {buckets})")]
    NoKeyBucket { path: PathBuf, buckets: String },
    #[error("{path}: bucket `key`: entry {index}: {what}")]
    BadEntry {
        path: PathBuf,
        index: u64,
        what: String,
    },
    #[error("required revision {rev} has been compacted (compacted at revision {compacted})")]
    Compacted { rev: i64, compacted: i64 },
    #[error("required revision {rev} is a future revision (the store's revision is {current})")]
    FutureRevision { rev: i64, current: i64 },
}

/// A key at one revision, borrowed from the file's mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredKv<'a> {
    pub key: &'a [u8],
    pub create_revision: i64,
    pub mod_revision: i64,
    pub version: i64,
    pub lease: i64,
    pub value: &'a [u8],
}

/// One stored revision of a key (see [`OfflineStore::history`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKvOwned {
    pub key: Vec<u8>,
    /// The revision this entry was written at (main, sub).
    pub revision: i64,
    pub sub: i64,
    /// A delete: the key has no value from this revision on.
    pub tombstone: bool,
    pub create_revision: i64,
    pub mod_revision: i64,
    pub version: i64,
    pub lease: i64,
    pub value: Vec<u8>,
}

/// What a range read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RangeStats {
    /// Revisions read from the `key` bucket.
    pub scanned: u64,
    /// Keys handed to the callback.
    pub keys: u64,
    /// The revision read at (the store's revision when none was asked).
    pub revision: i64,
}

/// Facts about the file read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreInfo {
    pub path: PathBuf,
    /// Bytes in the file (a snapshot file's sha256 trailer included).
    pub file_size: u64,
    pub page_size: u32,
    /// Pages in use × page size: bbolt's (and etcdctl's) database size.
    pub db_size: u64,
    pub txid: u64,
    /// Meta page used (0 or 1), and the other if it was rejected.
    pub meta_page: u64,
    pub rejected_meta: Option<u64>,
    /// The file ends with 32 bytes past its pages: an `etcdctl snapshot save` file.
    pub has_sha256_trailer: bool,
    pub consistent_index: Option<u64>,
    pub scheduled_compact: Option<i64>,
    pub finished_compact: Option<i64>,
}

/// An etcd backend database opened read-only.
pub struct OfflineStore {
    path: PathBuf,
    map: Backing,
    info: StoreInfo,
    revision: i64,
}

impl std::fmt::Debug for OfflineStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OfflineStore")
            .field("info", &self.info)
            .field("revision", &self.revision)
            .finish()
    }
}

/// Maps a file read-only (see the module doc for why this is sound here).
pub(crate) fn map_file(path: &Path) -> Result<Mmap, OfflineError> {
    let file = File::open(path).map_err(|source| OfflineError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(OfflineError::Open {
            path: path.to_path_buf(),
            source: std::io::Error::other(
                "is a directory (use --data-dir for etcd's data directory)",
            ),
        });
    }
    // SAFETY: the file is mapped read-only and never written by us. Its
    // contents may change under us if etcd is running; every read is
    // bounds-checked against the mapping and the bytes are treated as
    // untrusted, so changed bytes give errors, not undefined behaviour
    // in our code. A file truncated under the mapping would SIGBUS;
    // etcd does not truncate its db while running (see module doc).
    unsafe { Mmap::map(&file) }.map_err(|source| OfflineError::Open {
        path: path.to_path_buf(),
        source,
    })
}

/// The bytes read: a read-only mapping of the file, or bytes in memory.
enum Backing {
    Map(Mmap),
    Bytes(Vec<u8>),
}

impl std::ops::Deref for Backing {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Backing::Map(m) => m,
            Backing::Bytes(b) => b,
        }
    }
}

/// Entry of the key index built by a range: slices into the mapping.
#[derive(Clone, Copy)]
struct Ent<'a> {
    key: &'a [u8],
    raw: &'a [u8],
    main: i64,
    sub: i64,
    tomb: bool,
}

impl OfflineStore {
    /// Opens `member/snap/db` or a snapshot file.
    pub fn open_db(path: &Path) -> Result<OfflineStore, OfflineError> {
        let map = map_file(path)?;
        #[cfg(unix)]
        {
            let _ = map.advise(memmap2::Advice::Sequential);
        }
        Self::with_backing(path, Backing::Map(map))
    }

    /// A store over bytes already in memory (`name` is used in errors).
    pub fn from_bytes(name: &Path, bytes: Vec<u8>) -> Result<OfflineStore, OfflineError> {
        Self::with_backing(name, Backing::Bytes(bytes))
    }

    fn with_backing(path: &Path, map: Backing) -> Result<OfflineStore, OfflineError> {
        let mut store = OfflineStore {
            path: path.to_path_buf(),
            map,
            info: StoreInfo {
                path: path.to_path_buf(),
                file_size: 0,
                page_size: 0,
                db_size: 0,
                txid: 0,
                meta_page: 0,
                rejected_meta: None,
                has_sha256_trailer: false,
                consistent_index: None,
                scheduled_compact: None,
                finished_compact: None,
            },
            revision: 0,
        };
        store.load()?;
        Ok(store)
    }

    /// Opens etcd's `--data-dir` (reads `member/snap/db` inside it).
    pub fn open_data_dir(dir: &Path) -> Result<OfflineStore, OfflineError> {
        let db = dir.join("member").join("snap").join("db");
        if !db.is_file() {
            if !dir.exists() {
                return Err(OfflineError::Open {
                    path: dir.to_path_buf(),
                    source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such directory"),
                });
            }
            return Err(OfflineError::NoDb {
                path: dir.to_path_buf(),
            });
        }
        Self::open_db(&db)
    }

    fn bolt(&self) -> Result<Bolt<'_>, OfflineError> {
        Bolt::new(&self.map).map_err(|source| self.bolt_err(source))
    }

    fn bolt_err(&self, source: BoltError) -> OfflineError {
        OfflineError::Bolt {
            path: self.path.clone(),
            source,
        }
    }

    fn load(&mut self) -> Result<(), OfflineError> {
        let db = self.bolt()?;
        let meta = db.meta();
        let ps = u64::from(meta.page_size);
        let file_size = self.map.len() as u64;
        let mut info = StoreInfo {
            path: self.path.clone(),
            file_size,
            page_size: meta.page_size,
            db_size: meta.pgid.saturating_mul(ps),
            txid: meta.txid,
            meta_page: meta.page,
            rejected_meta: db.rejected.map(|r| r.0),
            has_sha256_trailer: file_size % 512 == 32,
            consistent_index: None,
            scheduled_compact: None,
            finished_compact: None,
        };
        let Some(key) = db.bucket(b"key").map_err(|e| self.bolt_err(e))? else {
            let names = db.bucket_names().map_err(|e| self.bolt_err(e))?;
            let buckets = names
                .iter()
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(OfflineError::NoKeyBucket {
                path: self.path.clone(),
                buckets,
            });
        };
        let mut revision = 0;
        if let Some((k, _)) = db.last(key).map_err(|e| self.bolt_err(e))? {
            revision = parse_revision(k).map(|r| r.main).unwrap_or(0);
        }
        if let Some(meta_b) = db.bucket(b"meta").map_err(|e| self.bolt_err(e))? {
            db.walk(meta_b, &mut |k, v, _| {
                match k {
                    b"consistent_index" if v.len() == 8 => {
                        info.consistent_index = v.try_into().ok().map(u64::from_be_bytes);
                    }
                    b"scheduledCompactRev" => {
                        info.scheduled_compact = parse_revision(v).map(|r| r.main)
                    }
                    b"finishedCompactRev" => {
                        info.finished_compact = parse_revision(v).map(|r| r.main)
                    }
                    _ => {}
                }
                Ok(ControlFlow::Continue(()))
            })
            .map_err(|e| self.bolt_err(e))?;
        }
        // As etcd's restore: the current revision is at least the scheduled
        // compaction (a compaction may have removed the newest entries).
        let compacted = info
            .scheduled_compact
            .max(info.finished_compact)
            .unwrap_or(0);
        self.revision = revision.max(compacted);
        self.info = info;
        Ok(())
    }

    /// Facts about the file (sizes, meta page used, compaction marks).
    pub fn info(&self) -> &StoreInfo {
        &self.info
    }

    /// The newest revision stored.
    pub fn revision(&self) -> i64 {
        self.revision
    }

    /// The revision compacted at (etcd answers "compacted" below it).
    pub fn compact_revision(&self) -> Option<i64> {
        self.info.scheduled_compact.max(self.info.finished_compact)
    }

    /// The raw bytes of the file (for snapshot status and checks).
    pub fn bytes(&self) -> &[u8] {
        &self.map
    }

    fn check_rev(&self, rev: Option<i64>) -> Result<i64, OfflineError> {
        let Some(rev) = rev.filter(|r| *r > 0) else {
            return Ok(self.revision);
        };
        if let Some(c) = self.compact_revision()
            && rev < c
        {
            return Err(OfflineError::Compacted { rev, compacted: c });
        }
        if rev > self.revision {
            return Err(OfflineError::FutureRevision {
                rev,
                current: self.revision,
            });
        }
        Ok(rev)
    }

    /// Walks the `key` bucket in revision order up to `upto`, calling `f`
    /// with each revision and its raw value.
    fn scan<'s>(
        &'s self,
        upto: i64,
        f: &mut dyn FnMut(Revision, &'s [u8]) -> Result<(), OfflineError>,
    ) -> Result<u64, OfflineError> {
        let db = self.bolt()?;
        let Some(bucket) = db.bucket(b"key").map_err(|e| self.bolt_err(e))? else {
            return Err(OfflineError::NoKeyBucket {
                path: self.path.clone(),
                buckets: String::new(),
            });
        };
        let mut n: u64 = 0;
        let mut failure = None;
        db.walk(bucket, &mut |k, v, _| {
            let Some(r) = parse_revision(k) else {
                failure = Some(OfflineError::BadEntry {
                    path: self.path.clone(),
                    index: n,
                    what: format!(
                        "key of {} bytes is not a revision (17 bytes + optional `t`)",
                        k.len()
                    ),
                });
                return Ok(ControlFlow::Break(()));
            };
            if r.main > upto {
                return Ok(ControlFlow::Break(()));
            }
            n += 1;
            if let Err(e) = f(r, v) {
                failure = Some(e);
                return Ok(ControlFlow::Break(()));
            }
            Ok(ControlFlow::Continue(()))
        })
        .map_err(|e| self.bolt_err(e))?;
        match failure {
            Some(e) => Err(e),
            None => Ok(n),
        }
    }

    fn bad_value(&self, index: u64, r: Revision) -> OfflineError {
        OfflineError::BadEntry {
            path: self.path.clone(),
            index,
            what: format!(
                "revision {}_{}: value is not a mvccpb.KeyValue",
                r.main, r.sub
            ),
        }
    }

    /// Keys in key order, each at its newest revision ≤ `rev` (None: the
    /// newest); deleted keys hidden. With `prefix` false, only the key
    /// `key_or_prefix`; with `prefix` true and an empty prefix, every key.
    /// `f` returns Break to stop. Memory: see the module doc.
    pub fn range(
        &self,
        key_or_prefix: &[u8],
        prefix: bool,
        rev: Option<i64>,
        f: &mut dyn FnMut(StoredKv<'_>) -> ControlFlow<()>,
    ) -> Result<RangeStats, OfflineError> {
        let upto = self.check_rev(rev)?;
        let mut ents: Vec<Ent<'_>> = Vec::new();
        let mut compact_at: usize = 1 << 16;
        let mut index: u64 = 0;
        let scanned = self.scan(upto, &mut |r, v| {
            index += 1;
            let key = kv_key(v).ok_or_else(|| self.bad_value(index - 1, r))?;
            let hit = if prefix {
                key.starts_with(key_or_prefix)
            } else {
                key == key_or_prefix
            };
            if hit {
                ents.push(Ent {
                    key,
                    raw: v,
                    main: r.main,
                    sub: r.sub,
                    tomb: r.tombstone,
                });
                if ents.len() >= compact_at {
                    newest_per_key(&mut ents);
                    compact_at = (ents.len() * 2).max(1 << 16);
                }
            }
            Ok(())
        })?;
        newest_per_key(&mut ents);
        let mut stats = RangeStats {
            scanned,
            keys: 0,
            revision: upto,
        };
        for (i, e) in ents.iter().enumerate() {
            if e.tomb {
                continue;
            }
            let r = Revision {
                main: e.main,
                sub: e.sub,
                tombstone: false,
            };
            let kv = decode_kv(e.raw).ok_or_else(|| self.bad_value(i as u64, r))?;
            stats.keys += 1;
            let flow = f(StoredKv {
                key: e.key,
                create_revision: kv.create_revision,
                mod_revision: kv.mod_revision,
                version: kv.version,
                lease: kv.lease,
                value: kv.value,
            });
            if flow.is_break() {
                break;
            }
        }
        Ok(stats)
    }

    /// Every stored revision of `key`, oldest first, tombstones included.
    pub fn history(&self, key: &[u8]) -> Result<Vec<StoredKvOwned>, OfflineError> {
        let mut out = Vec::new();
        let mut index: u64 = 0;
        self.scan(i64::MAX, &mut |r, v| {
            index += 1;
            let k = kv_key(v).ok_or_else(|| self.bad_value(index - 1, r))?;
            if k != key {
                return Ok(());
            }
            let kv = decode_kv(v).ok_or_else(|| self.bad_value(index - 1, r))?;
            out.push(StoredKvOwned {
                key: k.to_vec(),
                revision: r.main,
                sub: r.sub,
                tombstone: r.tombstone,
                create_revision: kv.create_revision,
                mod_revision: if r.tombstone { r.main } else { kv.mod_revision },
                version: kv.version,
                lease: kv.lease,
                value: kv.value.to_vec(),
            });
            Ok(())
        })?;
        Ok(out)
    }
}

/// Sorts by key and keeps each key's newest revision (tombstones kept, so
/// a later pass still knows the key was deleted).
fn newest_per_key(ents: &mut Vec<Ent<'_>>) {
    // Entries arrive in revision order (and a compacted prefix holds only
    // older revisions than what follows it), so a stable sort by key alone
    // leaves each key's revisions in order; it also merges the runs that
    // keys loaded in order form, which an unstable sort would not exploit.
    ents.sort_by(|a, b| a.key.cmp(b.key));
    // Keep the last of each run of equal keys.
    let mut w = 0;
    for i in 0..ents.len() {
        if i + 1 < ents.len() && ents[i + 1].key == ents[i].key {
            continue;
        }
        ents[w] = ents[i];
        w += 1;
    }
    ents.truncate(w);
}

#[cfg(test)]
mod tests;
