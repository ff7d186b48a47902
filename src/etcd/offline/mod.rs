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

pub mod bbolt;
pub mod mvcc;
pub mod snapshot;
pub mod wal;

use std::fs::File;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

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
    // Populated: the kernel maps every page of the (usually cached) file
    // in one go instead of one fault per 16 pages as they are touched.
    unsafe { memmap2::MmapOptions::new().map(&file) }.map_err(|source| OfflineError::Open {
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
    /// FxHash of the key, computed while the key is in cache.
    hash: u64,
    main: i64,
    sub: i64,
    tomb: bool,
    /// What [`OfflineStore::tally`]'s `tag` said of the key (0 in other
    /// reads).
    tag: u64,
    /// The value's length, when a tally asked for sizes (0 otherwise).
    value_len: u32,
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
    /// `rev`) into counts, reading the file once on every core: each
    /// thread reads a share of the `key` bucket's leaf pages and tags each
    /// stored key with `tag` while its bytes are in cache (a group's hash,
    /// say). Then `count` gets each live key, in no particular order, with
    /// its tag and, with `sizes`, its value's length. The key slice handed
    /// to `count` points into the mapping: reading it costs a cache miss,
    /// so a caller reads it only for a tag it has not seen. `etcd keys`
    /// grouping a million keys spent most of its time going back to the
    /// keys (cache and TLB misses all over the mapping); this touches each
    /// one once.
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
        let leaves = db.leaves(bucket).map_err(|e| self.bolt_err(e))?;
        // A thread per 64 leaf pages at least (a thread costs tens of
        // microseconds; 64 pages are about 1,000 keys).
        let threads = threads.clamp(1, leaves.len() / 64 + 1);
        let share = leaves.len().div_ceil(threads).max(1);
        let job = TallyJob {
            db: &db,
            upto,
            prefix,
            sizes,
            tag,
        };
        let parts: Vec<Option<(Vec<Ent<'_>>, u64)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = leaves
                .chunks(share)
                .map(|part| scope.spawn(|| job.run(part)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().ok().flatten())
                .collect()
        });
        let mut shares = Vec::with_capacity(parts.len());
        let mut scanned = 0;
        for part in parts {
            let Some((e, n)) = part else {
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
        let ents = newest_across_shares(shares);
        let mut stats = RangeStats {
            scanned,
            keys: 0,
            revision: upto,
        };
        for e in ents.iter().filter(|e| !e.tomb) {
            stats.keys += 1;
            count(e.key, e.tag, sizes.then_some(u64::from(e.value_len)));
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
                    tag: 0,
                    value_len: 0,
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

/// What a [`OfflineStore::tally`] calls for each live key: its key (in the
/// mapping), its tag, and its value's length when sizes were asked for.
pub type TallyCount<'c> = dyn FnMut(&[u8], u64, Option<u64>) + 'c;

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
    upto: i64,
    prefix: &'j [u8],
    sizes: bool,
    tag: &'j (dyn Fn(&[u8]) -> u64 + Sync),
}

impl<'a> TallyJob<'_, 'a> {
    /// Each matching key's newest entry in `leaves` and the number of
    /// revisions read; None when an entry cannot be read.
    fn run(&self, leaves: &[Leaf<'a>]) -> Option<(Vec<Ent<'a>>, u64)> {
        let hasher = rustc_hash::FxBuildHasher;
        let mut ents: Vec<Ent<'a>> = Vec::new();
        let mut compact_at: usize = TALLY_COMPACT_AT;
        let mut scanned: u64 = 0;
        let mut bad = false;
        for leaf in leaves {
            let flow = self
                .db
                .leaf_items(leaf, &mut |k, v, _| {
                    let Some(r) = parse_revision(k) else {
                        bad = true;
                        return Ok(ControlFlow::Break(()));
                    };
                    if r.main > self.upto {
                        return Ok(ControlFlow::Break(()));
                    }
                    scanned += 1;
                    let Some(key) = kv_key(v) else {
                        bad = true;
                        return Ok(ControlFlow::Break(()));
                    };
                    if !key.starts_with(self.prefix) {
                        return Ok(ControlFlow::Continue(()));
                    }
                    let (tag, value_len) = if r.tombstone {
                        (0, 0)
                    } else if self.sizes {
                        let Some(kv) = decode_kv(v) else {
                            bad = true;
                            return Ok(ControlFlow::Break(()));
                        };
                        let len = u32::try_from(kv.value.len()).unwrap_or(u32::MAX);
                        ((self.tag)(key), len)
                    } else {
                        ((self.tag)(key), 0)
                    };
                    ents.push(Ent {
                        key,
                        raw: v,
                        hash: std::hash::BuildHasher::hash_one(&hasher, key),
                        main: r.main,
                        sub: r.sub,
                        tomb: r.tombstone,
                        tag,
                        value_len,
                    });
                    if ents.len() >= compact_at {
                        newest_per_key(&mut ents);
                        compact_at = (ents.len() * 2).max(TALLY_COMPACT_AT);
                    }
                    Ok(ControlFlow::Continue(()))
                })
                .ok()?;
            if bad {
                return None;
            }
            if flow.is_break() {
                break;
            }
        }
        newest_per_key(&mut ents);
        Some((ents, scanned))
    }
}

/// Joins the shares of a tally, each already holding its keys' newest
/// entries in revision order (a later share holds later revisions), and
/// drops an entry when a later share has the same key. A hash map of the
/// later shares' key hashes finds them in one pass, instead of sorting
/// every entry again; should two different keys share a hash, it falls
/// back to [`newest_per_key`] over everything.
fn newest_across_shares(shares: Vec<Vec<Ent<'_>>>) -> Vec<Ent<'_>> {
    let total: usize = shares.iter().map(Vec::len).sum();
    let mut later: rustc_hash::FxHashMap<u64, &[u8]> = rustc_hash::FxHashMap::default();
    let mut keep: Vec<Vec<bool>> = Vec::with_capacity(shares.len());
    let mut collision = false;
    for share in shares.iter().rev() {
        let mut k = vec![true; share.len()];
        if !later.is_empty() {
            for (i, e) in share.iter().enumerate() {
                if let Some(&key) = later.get(&e.hash) {
                    if key == e.key {
                        k[i] = false;
                    } else {
                        collision = true;
                    }
                }
            }
        }
        keep.push(k);
        if shares.len() > 1 {
            later.reserve(share.len());
            for e in share {
                if let Some(&key) = later.get(&e.hash) {
                    collision |= key != e.key;
                } else {
                    later.insert(e.hash, e.key);
                }
            }
        }
    }
    drop(later);
    keep.reverse();
    let mut out = Vec::with_capacity(total);
    for (share, k) in shares.iter().zip(&keep) {
        out.extend(share.iter().zip(k).filter(|(_, k)| **k).map(|(e, _)| *e));
    }
    if collision {
        newest_per_key(&mut out);
    }
    out
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
