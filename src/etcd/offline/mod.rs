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
//! into the mapping, a hash of the key and a revision: 64 bytes) per
//! matching revision and compacts it to one per distinct key whenever it
//! doubles (sorting 16-byte (hash, position) pairs, never the keys), then
//! sorts the survivors by key on 16-byte chunks (32 bytes per key).
//! Anonymous memory stays within about 2 × 64 + 32 bytes per distinct
//! matching key; [`OfflineStore::range_unordered`] skips the final sort.
//! Measured on 1,000,000 keys (a 434 MiB db): peak RSS 520 MiB, of which
//! the mapped file's pages (page cache, shared and reclaimable) are most.
//! [`OfflineStore::tally`] (the grouped `etcd keys --db`) copies leaf
//! pages with pread instead and keeps 40 bytes per distinct key: about
//! 85 MiB on the same db.

pub mod bbolt;
pub mod mvcc;
pub mod snapshot;
pub mod wal;

use std::fs::File;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use crate::etcd::keys::Stats;
use bbolt::{Bolt, BoltError, Leaf};
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
    open_and_map(path).map(|(map, _)| map)
}

/// Opens `path` read-only and maps it; the file is kept for reads that
/// copy pages instead of mapping them (see [`TallyJob::run`]).
fn open_and_map(path: &Path) -> Result<(Mmap, File), OfflineError> {
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
    let map =
        unsafe { memmap2::MmapOptions::new().map(&file) }.map_err(|source| OfflineError::Open {
            path: path.to_path_buf(),
            source,
        })?;
    Ok((map, file))
}

enum Backing {
    Map(Mmap, File),
    Bytes(Vec<u8>),
}

impl std::ops::Deref for Backing {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Backing::Map(m, _) => m,
            Backing::Bytes(b) => b,
        }
    }
}

/// Entry of the key index built by a range: slices into the mapping.
#[derive(Clone, Copy)]
struct Ent<'a> {
    key: &'a [u8],
    raw: &'a [u8],
    /// FxHash of the key, computed while the key is in cache.
    hash: u64,
    main: i64,
    sub: i64,
    tomb: bool,
}

impl OfflineStore {
    /// Opens `member/snap/db` or a snapshot file.
    pub fn open_db(path: &Path) -> Result<OfflineStore, OfflineError> {
        let (map, file) = open_and_map(path)?;
        #[cfg(unix)]
        {
            let _ = map.advise(memmap2::Advice::Sequential);
        }
        Self::with_backing(path, Backing::Map(map, file))
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
        let (ents, mut stats) = self.collect(key_or_prefix, prefix, rev)?;
        let order = key_order(&ents);
        self.emit(&ents, order.into_iter().map(|i| i as usize), &mut stats, f)?;
        Ok(stats)
    }

    /// Like [`range`](Self::range) but in no particular order (the order
    /// of each key's newest write): no sort, for callers that fold keys
    /// into counts (`etcd keys` groups and trees). Faster on large stores.
    pub fn range_unordered(
        &self,
        key_or_prefix: &[u8],
        prefix: bool,
        rev: Option<i64>,
        f: &mut dyn FnMut(StoredKv<'_>) -> ControlFlow<()>,
    ) -> Result<RangeStats, OfflineError> {
        let (ents, mut stats) = self.collect(key_or_prefix, prefix, rev)?;
        self.emit(&ents, 0..ents.len(), &mut stats, f)?;
        Ok(stats)
    }

    /// Folds every live key under `prefix` (at its newest revision ≤
    /// `rev`) into counts by tag, reading the file once on every core.
    /// Each thread reads a share of the `key` bucket's leaf pages and tags
    /// each stored key with `tag` while its bytes are in cache (a hash of
    /// its group, say; keys with one tag must belong together); each
    /// thread then keeps each key's newest entry, sorted by key hash, and
    /// the threads join those sorted lists, each over its own range of
    /// hashes, counting live keys by tag. `count` is called once per tag
    /// with one of its keys (in the mapping) and the tag's [`Stats`]
    /// (value sizes only with `sizes`), in no particular order. Keys are
    /// compared only when their hashes are equal: they live all over the
    /// file, and touching them again costs a cache miss each (`etcd keys`
    /// grouping a million keys spent most of its time doing that).
    pub fn tally(
        &self,
        prefix: &[u8],
        rev: Option<i64>,
        sizes: bool,
        tag: &(dyn Fn(&[u8]) -> u64 + Sync),
        count: &mut TallyCount<'_>,
    ) -> Result<RangeStats, OfflineError> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        self.tally_in(prefix, rev, sizes, cores.min(MAX_TALLY_THREADS), tag, count)
    }

    /// [`tally`](Self::tally) on at most `threads` threads.
    fn tally_in(
        &self,
        prefix: &[u8],
        rev: Option<i64>,
        sizes: bool,
        threads: usize,
        tag: &(dyn Fn(&[u8]) -> u64 + Sync),
        count: &mut TallyCount<'_>,
    ) -> Result<RangeStats, OfflineError> {
        let upto = self.check_rev(rev)?;
        let db = self.bolt()?;
        let Some(bucket) = db.bucket(b"key").map_err(|e| self.bolt_err(e))? else {
            return Err(OfflineError::NoKeyBucket {
                path: self.path.clone(),
                buckets: String::new(),
            });
        };
        let mut leaves = db.leaves(bucket).map_err(|e| self.bolt_err(e))?;
        let job = TallyJob {
            db: &db,
            file: match &self.map {
                Backing::Map(_, f) => Some(f),
                Backing::Bytes(_) => None,
            },
            upto,
            prefix,
            sizes,
            tag,
        };
        let mut parts = job.run_on(&leaves, threads);
        if parts.iter().any(|p| matches!(p, Err(TallyStop::NotLeaf))) {
            // Leaves at more than one depth (not a tree bbolt writes):
            // find them by reading every page.
            leaves = db.leaves_read(bucket).map_err(|e| self.bolt_err(e))?;
            parts = job.run_on(&leaves, threads);
        }
        let mut shares = Vec::with_capacity(parts.len());
        let mut scanned = 0;
        for part in parts {
            let Ok((e, n)) = part else {
                // A bad entry somewhere: the serial walk finds the same one
                // and says where it is, counted from the start.
                self.collect(prefix, true, rev)?;
                return Err(OfflineError::BadEntry {
                    path: self.path.clone(),
                    index: scanned,
                    what: "a revision or value in the `key` bucket could not be read".into(),
                });
            };
            scanned += n;
            shares.push(e);
        }
        let groups = count_across_shares(&shares, threads, sizes);
        let mut stats = RangeStats {
            scanned,
            keys: 0,
            revision: upto,
        };
        for (tag, (key, st)) in &groups {
            stats.keys += st.keys;
            count(key, *tag, *st);
        }
        Ok(stats)
    }

    /// Each matching key's newest entry ≤ rev (tombstones kept), in the
    /// order of those entries' revisions.
    fn collect(
        &self,
        key_or_prefix: &[u8],
        prefix: bool,
        rev: Option<i64>,
    ) -> Result<(Vec<Ent<'_>>, RangeStats), OfflineError> {
        let upto = self.check_rev(rev)?;
        let mut ents: Vec<Ent<'_>> = Vec::new();
        let mut compact_at: usize = 1 << 16;
        let mut index: u64 = 0;
        let hasher = rustc_hash::FxBuildHasher;
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
                    hash: std::hash::BuildHasher::hash_one(&hasher, key),
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
        Ok((
            ents,
            RangeStats {
                scanned,
                keys: 0,
                revision: upto,
            },
        ))
    }

    fn emit(
        &self,
        ents: &[Ent<'_>],
        order: impl Iterator<Item = usize>,
        stats: &mut RangeStats,
        f: &mut dyn FnMut(StoredKv<'_>) -> ControlFlow<()>,
    ) -> Result<(), OfflineError> {
        for i in order {
            let Some(e) = ents.get(i) else { continue };
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
        Ok(())
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

/// What a [`OfflineStore::tally`] calls for each tag: one of its keys (in
/// the mapping), the tag, and its live keys' counts.
pub type TallyCount<'c> = dyn FnMut(&[u8], u64, Stats) + 'c;

/// Most pages a tally thread copies at once (see [`TallyJob::run`]):
/// 256 KiB of 4 KiB pages, which stay in a core's cache.
const COPY_PAGES: u64 = 64;

/// Most threads a [`OfflineStore::tally`] uses.
const MAX_TALLY_THREADS: usize = 4;

/// Entries a tally thread collects before it first drops superseded
/// revisions (64 MiB of entries): each drop sorts all it holds, so
/// dropping early and often sorted a million distinct keys twice over.
/// After that, it drops whenever what it holds has doubled.
const TALLY_COMPACT_AT: usize = 1 << 20;

/// What each thread of a [`OfflineStore::tally`] does with its share of
/// the leaf pages.
struct TallyJob<'j, 'a> {
    db: &'j Bolt<'a>,
    /// The file, when the store is one: leaf pages are copied from it
    /// rather than read through the mapping (see [`TallyJob::run`]).
    file: Option<&'j File>,
    upto: i64,
    prefix: &'j [u8],
    sizes: bool,
    tag: &'j (dyn Fn(&[u8]) -> u64 + Sync),
}

/// Why a tally thread stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TallyStop {
    /// An entry could not be read.
    Bad,
    /// A page named as a leaf is not one ([`bbolt::BoltError::NotLeaf`]).
    NotLeaf,
}

/// One stored revision as a tally keeps it (40 bytes): what counting
/// needs, and the key only to tell keys apart when their hashes are equal.
#[derive(Debug, Clone, Copy)]
struct TallyEnt<'a> {
    /// FxHash of the key.
    hash: u64,
    /// What the tally's `tag` said of the key (0 for a tombstone).
    tag: u64,
    key: &'a [u8],
    /// The value's length, when sizes were asked for.
    value_len: u32,
    /// Position in the thread's share (revision order), tombstone in the
    /// top bit.
    seq: u32,
}

impl TallyEnt<'_> {
    const TOMB: u32 = 1 << 31;

    fn tomb(&self) -> bool {
        self.seq & Self::TOMB != 0
    }

    fn order(&self) -> (u64, u32) {
        (self.hash, self.seq & !Self::TOMB)
    }
}

impl<'a> TallyJob<'_, 'a> {
    /// Runs the job on `threads` threads, each on an equal share of
    /// `leaves` (in order: a later share holds later revisions).
    fn run_on(
        &self,
        leaves: &[Leaf<'a>],
        threads: usize,
    ) -> Vec<Result<(Share<'a>, u64), TallyStop>> {
        // A thread per 64 leaf pages at least (a thread costs tens of
        // microseconds; 64 pages are about 1,000 keys).
        let threads = threads.clamp(1, leaves.len() / 64 + 1);
        let share = leaves.len().div_ceil(threads).max(1);
        std::thread::scope(|scope| {
            let handles: Vec<_> = leaves
                .chunks(share)
                .map(|part| scope.spawn(|| self.run(part)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or(Err(TallyStop::Bad)))
                .collect()
        })
    }

    /// Each matching key's newest entry in `leaves`, ordered by (hash,
    /// position), and the number of revisions read.
    ///
    /// Leaf pages are copied from the file with pread(2), a run of nearby
    /// pages at a time, into a buffer that stays in the CPU's cache, the
    /// way `cat` reads: going through the mapping instead cost more in the
    /// kernel (a fault per 16 pages, then unmapping every page at exit)
    /// than all the parsing, and each key's first byte was a wait on
    /// memory. The keys kept point into the mapping, at the same offsets,
    /// so nothing is copied twice and the mapping is touched only for the
    /// few keys read again later (one per tag, and keys sharing a hash).
    /// A page that cannot be copied whole is read through the mapping.
    fn run(&self, leaves: &[Leaf<'a>]) -> Result<(Share<'a>, u64), TallyStop> {
        let mut st = ThreadTally {
            ents: Share::new(),
            compact_at: TALLY_COMPACT_AT,
            scanned: 0,
            seq: 0,
            seq_limit: !TallyEnt::TOMB,
            stop: None,
        };
        let ps = self.db.page_size() as u64;
        // Only pages the meta says are in use are copied; a copy that
        // fails (a file shorter than its meta says) leaves the leaf to the
        // mapping, whose reader names the damage.
        // Bounded so that no page offset below overflows (a hostile meta
        // may claim any page count).
        let in_use = self
            .db
            .pages_in_use()
            .min((u64::MAX / ps.max(1)).saturating_sub(2 * COPY_PAGES));
        let mut buf: Vec<u8> = Vec::new();
        // Pages [from, from + pages) are in `buf`.
        let (mut from, mut pages) = (0u64, 0u64);
        for (i, leaf) in leaves.iter().enumerate() {
            let mut copied = None;
            if let (Some(file), Some(pgid)) = (self.file, leaf.named()) {
                if pgid < in_use && !(from..from + pages).contains(&pgid) {
                    // The run of following leaves within COPY_PAGES pages
                    // (pages in use only: others are the mapping's errors).
                    let last = leaves[i..]
                        .iter()
                        .map_while(|l| {
                            l.named()
                                .filter(|&p| p >= pgid && p - pgid < COPY_PAGES && p < in_use)
                        })
                        .max();
                    (from, pages) = (pgid, 0);
                    if let Some(last) = last {
                        let n = last - pgid + 1;
                        buf.resize((COPY_PAGES * ps) as usize, 0);
                        if let Some(part) = buf.get_mut(..(n * ps) as usize)
                            && read_at(file, part, pgid * ps).is_ok()
                        {
                            pages = n;
                        }
                    }
                }
                if pgid < in_use && (from..from + pages).contains(&pgid) {
                    let start = ((pgid - from) * ps) as usize;
                    let base = pgid * ps;
                    let page = buf.get(start..(pages * ps) as usize).unwrap_or(&[]);
                    let to_map = |b: &[u8]| {
                        let off = base + (b.as_ptr().addr() - page.as_ptr().addr()) as u64;
                        self.db.bytes_at(off, b.len())
                    };
                    copied = Some(self.db.leaf_items_copied(pgid, page, &mut |k, v, _| {
                        Ok(self.item(&mut st, k, v, &to_map))
                    }));
                }
            }
            let flow = match copied {
                Some(Ok(Some(flow))) => Ok(flow),
                // Overflow pages past the copy, or no copy: the mapping.
                Some(Ok(None)) | None => self
                    .db
                    .leaf_items(leaf, &mut |k, v, _| Ok(self.item(&mut st, k, v, &Some))),
                Some(Err(e)) => Err(e),
            };
            let flow = match flow {
                Ok(f) => f,
                Err(bbolt::BoltError::NotLeaf { .. }) => return Err(TallyStop::NotLeaf),
                Err(_) => return Err(TallyStop::Bad),
            };
            if let Some(s) = st.stop {
                return Err(s);
            }
            if flow.is_break() {
                break;
            }
        }
        st.ents.compact();
        Ok((st.ents, st.scanned))
    }

    /// One stored revision: `k` its revision key, `v` its value, wherever
    /// they were read; `to_map` gives a slice's place in the mapping.
    fn item<'b>(
        &self,
        st: &mut ThreadTally<'a>,
        k: &'b [u8],
        v: &'b [u8],
        to_map: &dyn Fn(&'b [u8]) -> Option<&'a [u8]>,
    ) -> ControlFlow<()> {
        let Some(r) = parse_revision(k) else {
            st.stop = Some(TallyStop::Bad);
            return ControlFlow::Break(());
        };
        if r.main > self.upto {
            return ControlFlow::Break(());
        }
        st.scanned += 1;
        let Some(key) = kv_key(v) else {
            st.stop = Some(TallyStop::Bad);
            return ControlFlow::Break(());
        };
        if !key.starts_with(self.prefix) {
            return ControlFlow::Continue(());
        }
        let (tag, value_len) = if r.tombstone {
            (0, 0)
        } else if self.sizes {
            let Some(kv) = decode_kv(v) else {
                st.stop = Some(TallyStop::Bad);
                return ControlFlow::Break(());
            };
            let len = u32::try_from(kv.value.len()).unwrap_or(u32::MAX);
            ((self.tag)(key), len)
        } else {
            ((self.tag)(key), 0)
        };
        let hash = std::hash::BuildHasher::hash_one(&rustc_hash::FxBuildHasher, key);
        let Some(key) = to_map(key) else {
            st.stop = Some(TallyStop::Bad);
            return ControlFlow::Break(());
        };
        st.push(TallyEnt {
            hash,
            tag,
            key,
            value_len,
            seq: if r.tombstone { TallyEnt::TOMB } else { 0 },
        });
        ControlFlow::Continue(())
    }
}

/// A tally thread's state while it reads its share.
struct ThreadTally<'a> {
    ents: Share<'a>,
    compact_at: usize,
    scanned: u64,
    /// The next entry's position.
    seq: u32,
    /// Positions fit below this (and the tombstone bit above); at it, the
    /// entries kept are renumbered.
    seq_limit: u32,
    stop: Option<TallyStop>,
}

impl<'a> ThreadTally<'a> {
    /// Keeps `e` (its `seq` holding only the tombstone bit) as the next
    /// entry, dropping superseded ones when the entries have doubled.
    fn push(&mut self, mut e: TallyEnt<'a>) {
        if self.seq >= self.seq_limit {
            // 2^31 revisions in one share: renumber what is kept.
            // After compacting, one entry per key is left, so their order
            // among themselves no longer matters: only that every later
            // entry comes after them.
            self.ents.compact();
            self.seq = 0;
            for e in self.ents.buckets.iter_mut().flatten() {
                e.seq = (e.seq & TallyEnt::TOMB) | self.seq;
                self.seq += 1;
            }
            self.ents.compact();
        }
        e.seq |= self.seq;
        self.seq += 1;
        self.ents.push(e);
        if self.ents.len() >= self.compact_at {
            self.ents.compact();
            self.compact_at = (self.ents.len() * 2).max(TALLY_COMPACT_AT);
        }
    }
}

/// Fills `buf` from `file` at `offset`.
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(not(unix))]
    {
        let _ = (file, buf, offset);
        Err(std::io::Error::other("positioned reads need unix"))
    }
}

/// Longest run of equal hashes whose keys are compared pair by pair.
const SHORT_RUN: usize = 16;

/// Sorts a tally thread's entries by (hash, position) and keeps each key's
/// newest (the last of its entries; tombstones kept, so a later pass still
/// knows the key was deleted). Keys are compared only when hashes are
/// equal: the keys live all over the file, and touching them again costs a
/// cache miss each.
fn newest_by_hash(ents: &mut Vec<TallyEnt<'_>>) {
    ents.sort_unstable_by_key(TallyEnt::order);
    let n = ents.len();
    let mut w = 0;
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && ents[j].hash == ents[i].hash {
            j += 1;
        }
        if j - i > SHORT_RUN {
            // Many keys sharing a hash (made on purpose?): by key, then
            // position, instead of comparing every pair.
            ents[i..j].sort_unstable_by(|a, b| a.key.cmp(b.key).then(a.order().cmp(&b.order())));
        }
        for k in i..j {
            // Kept unless a later entry of the run has the same key.
            let later = if j - i > SHORT_RUN {
                k + 1 < j && ents[k + 1].key == ents[k].key
            } else {
                (k + 1..j).any(|l| ents[l].key == ents[k].key)
            };
            if !later {
                ents[w] = ents[k];
                w += 1;
            }
        }
        i = j;
    }
    ents.truncate(w);
}

/// Live keys counted by tag: the tag's first key met and its counts.
type TagCounts<'a> = rustc_hash::FxHashMap<u64, (&'a [u8], Stats)>;

/// Buckets a tally thread sorts its entries into, by the top bits of
/// their hashes: sorting 256 small buckets, each of which fits a core's
/// cache, is cheaper than sorting one long list, and the threads that join
/// the shares each take a range of buckets.
const HASH_BUCKETS: usize = 256;

/// A tally thread's entries, in [`HASH_BUCKETS`] buckets by hash; after
/// [`Share::compact`], each bucket is ordered by (hash, position) with one
/// entry per key.
struct Share<'a> {
    buckets: Vec<Vec<TallyEnt<'a>>>,
    len: usize,
}

impl<'a> Share<'a> {
    fn new() -> Self {
        Share {
            buckets: (0..HASH_BUCKETS).map(|_| Vec::new()).collect(),
            len: 0,
        }
    }

    fn bucket_of(hash: u64) -> usize {
        (hash >> (64 - HASH_BUCKETS.trailing_zeros())) as usize
    }

    fn push(&mut self, e: TallyEnt<'a>) {
        if let Some(b) = self.buckets.get_mut(Self::bucket_of(e.hash)) {
            b.push(e);
            self.len += 1;
        }
    }

    fn len(&self) -> usize {
        self.len
    }

    /// Sorts each bucket and keeps each key's newest entry.
    fn compact(&mut self) {
        self.len = 0;
        for b in &mut self.buckets {
            newest_by_hash(b);
            self.len += b.len();
        }
    }

    /// Takes every entry out, bucket by bucket.
    #[cfg(test)]
    fn drain(&mut self) -> impl Iterator<Item = TallyEnt<'a>> + '_ {
        self.len = 0;
        self.buckets.iter_mut().flat_map(std::mem::take)
    }
}

/// Joins the shares of a tally (see [`newest_across_shares`]) and counts
/// each live key by tag, on `threads` threads, each over its own range of
/// hash buckets.
fn count_across_shares<'a>(shares: &[Share<'a>], threads: usize, sizes: bool) -> TagCounts<'a> {
    let total: usize = shares.iter().map(Share::len).sum();
    // A thread per 64k entries at least.
    count_in_hash_ranges(shares, threads.clamp(1, total / (1 << 16) + 1), sizes)
}

/// [`count_across_shares`] on exactly `threads` threads (at least one).
fn count_in_hash_ranges<'a>(shares: &[Share<'a>], threads: usize, sizes: bool) -> TagCounts<'a> {
    let threads = threads.clamp(1, HASH_BUCKETS);
    let count_range = |p: usize| -> TagCounts<'a> {
        let mut counts = TagCounts::default();
        let mut parts: Vec<&[TallyEnt<'a>]> = Vec::with_capacity(shares.len());
        for b in p * HASH_BUCKETS / threads..(p + 1) * HASH_BUCKETS / threads {
            parts.clear();
            parts.extend(
                shares
                    .iter()
                    .filter_map(|s| s.buckets.get(b).map(Vec::as_slice)),
            );
            newest_across_shares(&parts, &mut |e| {
                if !e.tomb() {
                    counts
                        .entry(e.tag)
                        .or_insert((e.key, Stats::default()))
                        .1
                        .add(sizes.then_some(u64::from(e.value_len)));
                }
            });
        }
        counts
    };
    let mut ranges: Vec<TagCounts<'a>> = if threads == 1 {
        vec![count_range(0)]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|p| scope.spawn(move || count_range(p)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        })
    };
    let mut all = ranges.pop().unwrap_or_default();
    for r in ranges {
        for (tag, (key, st)) in r {
            let slot = all.entry(tag).or_insert((key, Stats::default()));
            slot.1.merge(st);
        }
    }
    all
}

/// Joins the shares of a tally, each ordered by (hash, position) with one
/// entry per key (a later share holds later revisions), and calls `f` with
/// each key's newest entry, in hash order: a merge of sorted lists, no
/// table and no copy. Keys are compared only when hashes are equal.
fn newest_across_shares<'a>(shares: &[&[TallyEnt<'a>]], f: &mut dyn FnMut(&TallyEnt<'a>)) {
    let mut at = vec![0usize; shares.len()];
    let mut run: Vec<(usize, TallyEnt<'a>)> = Vec::new();
    loop {
        let Some(h) = shares
            .iter()
            .zip(&at)
            .filter_map(|(s, &i)| s.get(i).map(|e| e.hash))
            .min()
        else {
            return;
        };
        run.clear();
        for (si, (s, i)) in shares.iter().zip(at.iter_mut()).enumerate() {
            while let Some(e) = s.get(*i).filter(|e| e.hash == h) {
                run.push((si, *e));
                *i += 1;
            }
        }
        if let [(_, e)] = run.as_slice() {
            f(e);
            continue;
        }
        // The same key in several shares (or, rarely, keys sharing a
        // hash): each key's entry from the latest share is its newest.
        if run.len() > SHORT_RUN {
            run.sort_unstable_by(|a, b| a.1.key.cmp(b.1.key).then(a.0.cmp(&b.0)));
            for k in 0..run.len() {
                if run.get(k + 1).is_none_or(|n| n.1.key != run[k].1.key) {
                    f(&run[k].1);
                }
            }
            continue;
        }
        for &(sk, ek) in &run {
            if !run.iter().any(|&(s, e)| s > sk && e.key == ek.key) {
                f(&ek);
            }
        }
    }
}

/// Keeps each key's newest entry (tombstones kept, so a later pass still
/// knows the key was deleted), in the entries' order. Entries arrive in
/// revision order, so the newest is the last. Done by sorting (hash,
/// position) pairs: 16 bytes per entry, compared without touching the keys,
/// which live all over the file (comparing the keys themselves cost two
/// cache misses per comparison: 68% of the time on a million keys).
fn newest_per_key(ents: &mut Vec<Ent<'_>>) {
    let n = ents.len();
    if n < 2 {
        return;
    }
    let mut hs: Vec<(u64, usize)> = ents.iter().enumerate().map(|(i, e)| (e.hash, i)).collect();
    hs.sort_unstable();
    let mut keep = vec![false; n];
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && hs[j].0 == hs[i].0 {
            j += 1;
        }
        if j - i == 1 {
            keep[hs[i].1] = true;
        } else {
            // Equal hashes: the same key several times (or, rarely, a
            // collision): order by key, then position; keep each key's last.
            let run = &mut hs[i..j];
            run.sort_unstable_by(|a, b| ents[a.1].key.cmp(ents[b.1].key).then(a.1.cmp(&b.1)));
            for k in 0..run.len() {
                if k + 1 == run.len() || ents[run[k + 1].1].key != ents[run[k].1].key {
                    keep[run[k].1] = true;
                }
            }
        }
        i = j;
    }
    drop(hs);
    let mut w = 0;
    for (r, kept) in keep.iter().enumerate() {
        if *kept {
            ents[w] = ents[r];
            w += 1;
        }
    }
    ents.truncate(w);
}

/// The order of `ents` by key (keys are distinct). An MSD sort on 16-byte
/// chunks of the keys: each level sorts (chunk, position) pairs, then
/// refines runs of equal chunks from the point where their keys start to
/// differ; each key is read once or twice instead of once per comparison.
fn key_order(ents: &[Ent<'_>]) -> Vec<u32> {
    let key = |i: u32| ents.get(i as usize).map_or(&[][..], |e| e.key);
    let mut items: Vec<(u128, u32)> = (0..ents.len().min(u32::MAX as usize) as u32)
        .map(|i| (chunk16(key(i), 0), i))
        .collect();
    refine(&mut items, 0, &key, 0);
    items.into_iter().map(|x| x.1).collect()
}

/// Big-endian 16 bytes of `k` from `at`, zero-padded.
fn chunk16(k: &[u8], at: usize) -> u128 {
    let mut b = [0u8; 16];
    if let Some(rest) = k.get(at..) {
        let n = rest.len().min(16);
        b[..n].copy_from_slice(&rest[..n]);
    }
    u128::from_be_bytes(b)
}

fn refine<'k>(items: &mut [(u128, u32)], at: usize, key: &dyn Fn(u32) -> &'k [u8], depth: usize) {
    items.sort_unstable_by_key(|x| x.0);
    let mut i = 0;
    while i < items.len() {
        let mut j = i + 1;
        while j < items.len() && items[j].0 == items[i].0 {
            j += 1;
        }
        if j - i > 1 {
            let run = &mut items[i..j];
            // Every key of the run shares [0, at + 16): find how far they
            // all agree, and go on from there.
            let first = key(run[0].1);
            let mut lcp = first.len();
            for x in run.iter().skip(1) {
                let k = key(x.1);
                let common = first
                    .iter()
                    .zip(k.iter())
                    .take(lcp)
                    .take_while(|(a, b)| a == b)
                    .count();
                lcp = lcp.min(common);
            }
            let next = lcp.max(at + 16);
            let exhausted = run.iter().all(|x| key(x.1).len() <= next);
            if depth >= 16 || exhausted {
                run.sort_unstable_by(|a, b| key(a.1).cmp(key(b.1)));
            } else {
                for x in run.iter_mut() {
                    x.0 = chunk16(key(x.1), next);
                }
                refine(run, next, key, depth + 1);
            }
        }
        i = j;
    }
}

#[cfg(test)]
mod tests;
