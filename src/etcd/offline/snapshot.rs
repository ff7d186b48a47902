//! `etcdctl snapshot status` figures and checks of a snapshot file.
//!
//! etcd 3.4's `clientv3/snapshot` `Status` opens the file with bbolt, runs
//! bbolt's consistency check (`snapshot file integrity check failed` when
//! it finds anything), then walks every top-level bucket in name order,
//! feeding a CRC-32C (Castagnoli) with the bucket's name and then each of
//! its keys and values; every key counts towards `totalKey`, the `key`
//! bucket's last revision key gives `revision`, and `totalSize` is bbolt's
//! `tx.Size()`: pages in use × page size. We compute the same four from our
//! own reader, and also check the sha256 trailer that `snapshot restore`
//! checks (the db's bytes, then 32 bytes of their sha256).

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::bbolt::{Bolt, BoltError};
use super::{OfflineError, map_file};

/// etcdctl's four fields, and what we check beside them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Status {
    /// CRC-32C over bucket names, keys and values (etcdctl's `hash`).
    pub hash: u32,
    pub revision: i64,
    pub total_key: u64,
    pub total_size: u64,
    /// The sha256 trailer: Some(true) matches the db's bytes, Some(false)
    /// does not (restore will refuse it), None: no trailer (a member's db).
    pub sha256_ok: Option<bool>,
}

/// Errors of `snapshot status`.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error(transparent)]
    Offline(#[from] OfflineError),
    #[error("{path}: not a bbolt database: {source}")]
    Bolt {
        path: PathBuf,
        #[source]
        source: BoltError,
    },
    #[error("{path}: snapshot file integrity check failed: {} errors found: {}", .errors.len(), .errors.join("; "))]
    Integrity { path: PathBuf, errors: Vec<String> },
}

/// The length of the db part of a file: without the 32-byte sha256 trailer
/// when the file has one (its length is then 32 past a multiple of 512, the
/// test etcd's restore uses).
pub fn db_len(len: usize) -> usize {
    if len % 512 == 32 { len - 32 } else { len }
}

/// etcdctl's `snapshot status` of a file's bytes.
pub fn status_of(path: &Path, bytes: &[u8]) -> Result<Status, SnapshotError> {
    let bolt_err = |source| SnapshotError::Bolt {
        path: path.to_path_buf(),
        source,
    };
    let dbl = db_len(bytes.len());
    let db = Bolt::new(&bytes[..dbl]).map_err(bolt_err)?;
    let errors = db.check();
    if !errors.is_empty() {
        return Err(SnapshotError::Integrity {
            path: path.to_path_buf(),
            errors,
        });
    }
    let mut h: u32 = 0;
    let mut total_key: u64 = 0;
    let mut revision: i64 = 0;
    let mut failure = None;
    db.walk(db.root(), &mut |name, v, flags| {
        if flags & 1 == 0 {
            failure = Some(BoltError::Bucket {
                bucket: String::from_utf8_lossy(name).into_owned(),
                what: "a plain key at the top level (etcdctl: cannot get hash of bucket)".into(),
            });
            return Ok(ControlFlow::Break(()));
        }
        h = crc32c::crc32c_append(h, name);
        let b = db.bucket_value(name, v)?;
        let is_key = name == b"key";
        db.walk(b, &mut |k, v, fl| {
            h = crc32c::crc32c_append(h, k);
            // A nested bucket's value reads as nil in bbolt's ForEach.
            if fl & 1 == 0 {
                h = crc32c::crc32c_append(h, v);
            }
            if is_key && let Some(main) = k.get(0..8) {
                revision = i64::from_be_bytes(main.try_into().unwrap_or([0; 8]));
            }
            total_key += 1;
            Ok(ControlFlow::Continue(()))
        })?;
        Ok(ControlFlow::Continue(()))
    })
    .map_err(bolt_err)?;
    if let Some(e) = failure {
        return Err(bolt_err(e));
    }
    let sha256_ok =
        (dbl != bytes.len()).then(|| Sha256::digest(&bytes[..dbl]).as_slice() == &bytes[dbl..]);
    Ok(Status {
        hash: h,
        revision,
        total_key,
        total_size: db
            .meta()
            .pgid
            .saturating_mul(u64::from(db.meta().page_size)),
        sha256_ok,
    })
}

/// etcdctl's `snapshot status FILE`, the file mapped read-only.
pub fn status(path: &Path) -> Result<Status, SnapshotError> {
    let map = map_file(path)?;
    status_of(path, &map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupted_backup_fails_the_integrity_check() {
        // etcd tests/integration/snapshot/v3_snapshot_test.go
        // TestCorruptedBackupFileCheck: status must fail with "snapshot file
        // integrity check failed" (example: "page 3: already freed",
        // "page 4: unreachable unfreed").
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/corpus/etcd-data/corrupted_backup.db");
        let Ok(bytes) = std::fs::read(&p) else {
            eprintln!("SKIP: corpus missing: {}", p.display());
            return;
        };
        let e = status_of(&p, &bytes).unwrap_err().to_string();
        assert!(e.contains("snapshot file integrity check failed"), "{e}");
        assert!(
            e.contains("unreachable unfreed") || e.contains("already freed"),
            "{e}"
        );
    }

    #[test]
    fn auger_db_has_a_bad_freelist_pointer() {
        // The auger corpus db's metas point the freelist at page 2, a leaf:
        // etcdctl 3.4 `snapshot status` panics there ("invalid freelist
        // page: 2, page type is leaf"); we say the same as an error.
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/etcd-auger/boltdb/db");
        let Ok(bytes) = std::fs::read(&p) else {
            eprintln!("SKIP: corpus missing: {}", p.display());
            return;
        };
        let e = status_of(&p, &bytes).unwrap_err().to_string();
        assert!(
            e.contains("invalid freelist page: 2, page type is leaf"),
            "{e}"
        );
    }

    #[test]
    fn sha256_trailer_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let p = super::super::tests::write_db(dir.path());
        let mut bytes = std::fs::read(&p).unwrap();
        let plain = status_of(&p, &bytes).unwrap();
        assert_eq!(plain.sha256_ok, None);
        // 4 pages of 4096 (2 metas, root, key leaf); 7 revisions + 3 meta keys.
        assert_eq!(
            (plain.total_size, plain.total_key, plain.revision),
            (16384, 10, 8)
        );
        // The hash by hand: CRC-32C over "key", its keys and values, "meta", ...
        let mut h = crc32c::crc32c(b"key");
        let db = Bolt::new(&bytes).unwrap();
        let kb = db.bucket(b"key").unwrap().unwrap();
        db.walk(kb, &mut |k, v, _| {
            h = crc32c::crc32c_append(crc32c::crc32c_append(h, k), v);
            Ok(ControlFlow::Continue(()))
        })
        .unwrap();
        h = crc32c::crc32c_append(h, b"meta");
        let mb = db.bucket(b"meta").unwrap().unwrap();
        db.walk(mb, &mut |k, v, _| {
            h = crc32c::crc32c_append(crc32c::crc32c_append(h, k), v);
            Ok(ControlFlow::Continue(()))
        })
        .unwrap();
        assert_eq!(plain.hash, h);
        let sum = Sha256::digest(&bytes);
        bytes.extend_from_slice(&sum);
        let with = status_of(&p, &bytes).unwrap();
        assert_eq!(with.sha256_ok, Some(true));
        assert_eq!((with.hash, with.total_key), (plain.hash, plain.total_key));
        let n = bytes.len();
        bytes[n - 1] ^= 1;
        assert_eq!(status_of(&p, &bytes).unwrap().sha256_ok, Some(false));
    }
}
