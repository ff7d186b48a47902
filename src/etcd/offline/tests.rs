//! Unit tests of [`OfflineStore`] on hand-built etcd databases and the
//! corpus's auger db.

use super::bbolt::tests::{Builder, bucket_header, leaf};
use super::mvcc::Kv;
use super::mvcc::tests::{encode_kv, rev_key};
use super::*;

fn kv(key: &'static [u8], c: i64, m: i64, v: i64, value: &'static [u8]) -> Vec<u8> {
    encode_kv(&Kv {
        key,
        create_revision: c,
        mod_revision: m,
        version: v,
        lease: 0,
        value,
    })
}

fn tomb(key: &'static [u8]) -> Vec<u8> {
    encode_kv(&Kv {
        key,
        ..Default::default()
    })
}

/// History: 2 put a, 3 put b, 4 put a (overwrite), 5 delete b, 6 put c,
/// 7 put b again, 8 delete c. Compacted at 3 (scheduled and finished).
pub(crate) fn write_db(dir: &Path) -> PathBuf {
    let ps = 4096;
    let revs: Vec<(Vec<u8>, Vec<u8>)> = vec![
        (rev_key(2, 0, false), kv(b"/a", 2, 2, 1, b"a1")),
        (rev_key(3, 0, false), kv(b"/b", 3, 3, 1, b"b1")),
        (rev_key(4, 0, false), kv(b"/a", 2, 4, 2, b"a2")),
        (rev_key(5, 0, true), tomb(b"/b")),
        (rev_key(6, 0, false), kv(b"/c", 6, 6, 1, b"c1")),
        (rev_key(7, 0, false), kv(b"/b", 7, 7, 1, b"b2")),
        (rev_key(8, 0, true), tomb(b"/c")),
    ];
    let items: Vec<(&[u8], &[u8], u32)> = revs
        .iter()
        .map(|(k, v)| (k.as_slice(), v.as_slice(), 0))
        .collect();
    let key_leaf = leaf(3, &items, ps);
    let r3 = rev_key(3, 0, false);
    let ci = 42u64.to_be_bytes();
    let mut meta_items: Vec<(&[u8], &[u8], u32)> = vec![
        (b"consistent_index", &ci, 0),
        (b"finishedCompactRev", &r3, 0),
        (b"scheduledCompactRev", &r3, 0),
    ];
    meta_items.sort();
    let mut inline_meta = bucket_header(0);
    inline_meta.extend(leaf(0, &meta_items, 0));
    let root = leaf(
        2,
        &[(b"key", &bucket_header(3), 1), (b"meta", &inline_meta, 1)],
        ps,
    );
    let data = Builder {
        ps,
        pages: vec![root, key_leaf],
    }
    .build(2, 10);
    let path = dir.join("db");
    std::fs::write(&path, data).unwrap();
    path
}

/// (key, create, mod, version, value) of a range.
type Row = (String, i64, i64, i64, String);

fn keys_at(s: &OfflineStore, prefix: &[u8], rev: Option<i64>) -> Result<Vec<Row>, OfflineError> {
    let mut out = Vec::new();
    s.range(prefix, true, rev, &mut |kv| {
        out.push((
            String::from_utf8_lossy(kv.key).into_owned(),
            kv.create_revision,
            kv.mod_revision,
            kv.version,
            String::from_utf8_lossy(kv.value).into_owned(),
        ));
        ControlFlow::Continue(())
    })?;
    Ok(out)
}

#[test]
fn newest_revision_per_key_tombstones_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let s = OfflineStore::open_db(&write_db(dir.path())).unwrap();
    assert_eq!(s.revision(), 8);
    assert_eq!(s.compact_revision(), Some(3));
    assert_eq!(s.info().consistent_index, Some(42));
    assert!(!s.info().has_sha256_trailer);
    let got = keys_at(&s, b"", None).unwrap();
    assert_eq!(
        got,
        vec![
            ("/a".into(), 2, 4, 2, "a2".into()),
            ("/b".into(), 7, 7, 1, "b2".into())
        ]
    );
    // As of revision 6: b deleted at 5, c put at 6.
    let got = keys_at(&s, b"/", Some(6)).unwrap();
    assert_eq!(
        got,
        vec![
            ("/a".into(), 2, 4, 2, "a2".into()),
            ("/c".into(), 6, 6, 1, "c1".into())
        ]
    );
    // One key, not a prefix.
    let mut one = Vec::new();
    let st = s
        .range(b"/b", false, None, &mut |kv| {
            one.push(kv.mod_revision);
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!((one, st.keys, st.revision, st.scanned), (vec![7], 1, 8, 7));
    // Break stops early.
    let mut n = 0;
    s.range(b"", true, None, &mut |_| {
        n += 1;
        ControlFlow::Break(())
    })
    .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn compacted_and_future_revisions_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let s = OfflineStore::open_db(&write_db(dir.path())).unwrap();
    let e = keys_at(&s, b"", Some(2)).unwrap_err();
    assert!(
        matches!(
            e,
            OfflineError::Compacted {
                rev: 2,
                compacted: 3
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("compacted"));
    assert!(matches!(
        keys_at(&s, b"", Some(9)),
        Err(OfflineError::FutureRevision { .. })
    ));
    assert_eq!(keys_at(&s, b"", Some(3)).unwrap().len(), 2);
}

#[test]
fn history_lists_every_revision_with_tombstones() {
    let dir = tempfile::tempdir().unwrap();
    let s = OfflineStore::open_db(&write_db(dir.path())).unwrap();
    let h = s.history(b"/b").unwrap();
    let got: Vec<(i64, bool, i64)> = h
        .iter()
        .map(|e| (e.revision, e.tombstone, e.version))
        .collect();
    assert_eq!(got, vec![(3, false, 1), (5, true, 0), (7, false, 1)]);
    assert!(s.history(b"/nope").unwrap().is_empty());
}

#[test]
fn data_dir_and_snapshot_trailer() {
    let dir = tempfile::tempdir().unwrap();
    let db = write_db(dir.path());
    let snap = dir.path().join("member/snap");
    std::fs::create_dir_all(&snap).unwrap();
    std::fs::copy(&db, snap.join("db")).unwrap();
    let s = OfflineStore::open_data_dir(dir.path()).unwrap();
    assert_eq!(s.revision(), 8);
    let e = OfflineStore::open_data_dir(&dir.path().join("member")).unwrap_err();
    assert!(matches!(e, OfflineError::NoDb { .. }), "{e}");
    // A snapshot file: the db and 32 bytes of sha256.
    let mut bytes = std::fs::read(&db).unwrap();
    bytes.extend_from_slice(&[0u8; 32]);
    let sf = dir.path().join("snap.db");
    std::fs::write(&sf, &bytes).unwrap();
    let s = OfflineStore::open_db(&sf).unwrap();
    assert!(s.info().has_sha256_trailer);
    assert_eq!(keys_at(&s, b"", None).unwrap().len(), 2);
}

#[test]
fn bad_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = write_db(dir.path());
    let bytes = std::fs::read(&db).unwrap();
    // Truncated inside the key page.
    let cut = dir.path().join("cut");
    std::fs::write(&cut, &bytes[..3 * 4096 + 100]).unwrap();
    let e = OfflineStore::open_db(&cut).unwrap_err().to_string();
    assert!(e.contains("cut") && e.contains("page 3"), "{e}");
    // Garbage.
    let g = dir.path().join("garbage");
    std::fs::write(&g, vec![0x5a; 10000]).unwrap();
    let e = OfflineStore::open_db(&g).unwrap_err().to_string();
    assert!(
        e.contains("no valid meta page") && e.contains("garbage"),
        "{e}"
    );
    // One bad meta checksum: the other meta is read.
    let mut m = bytes.clone();
    m[16 + 56] ^= 1;
    let one = dir.path().join("onemeta");
    std::fs::write(&one, &m).unwrap();
    let s = OfflineStore::open_db(&one).unwrap();
    assert_eq!((s.info().meta_page, s.info().rejected_meta), (1, Some(0)));
    assert_eq!(keys_at(&s, b"", None).unwrap().len(), 2);
    // Missing file.
    let e = OfflineStore::open_db(&dir.path().join("nope"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("nope") && e.contains("cannot open"), "{e}");
}

fn ent(key: &'static [u8], main: i64, hash: u64) -> Ent<'static> {
    Ent {
        key,
        raw: b"",
        hash,
        main,
        sub: 0,
        tomb: false,
    }
}

#[test]
fn range_compacts_its_index_under_many_revisions() {
    // 200,000 revisions of 3 keys: the index must not keep them all.
    let mut ents: Vec<Ent<'static>> = Vec::new();
    let keys: [&'static [u8]; 3] = [b"/x", b"/y", b"/z"];
    let h = rustc_hash::FxBuildHasher;
    for i in 0..200_000i64 {
        let k = keys[(i % 3) as usize];
        ents.push(ent(k, i, std::hash::BuildHasher::hash_one(&h, k)));
        if ents.len() >= 1 << 16 {
            newest_per_key(&mut ents);
            assert_eq!(ents.len(), 3);
        }
    }
    newest_per_key(&mut ents);
    // Each key's newest, in revision order.
    let got: Vec<(&[u8], i64)> = ents.iter().map(|e| (e.key, e.main)).collect();
    assert_eq!(
        got,
        vec![
            (&b"/z"[..], 199_997),
            (&b"/x"[..], 199_998),
            (&b"/y"[..], 199_999)
        ]
    );
}

#[test]
fn hash_collisions_keep_keys_apart() {
    // Every entry with the same hash: keys must still be told apart.
    let mut ents = vec![
        ent(b"/a", 1, 7),
        ent(b"/b", 2, 7),
        ent(b"/a", 3, 7),
        ent(b"/c", 4, 7),
        ent(b"/b", 5, 7),
    ];
    newest_per_key(&mut ents);
    let got: Vec<(&[u8], i64)> = ents.iter().map(|e| (e.key, e.main)).collect();
    assert_eq!(got, vec![(&b"/a"[..], 3), (&b"/c"[..], 4), (&b"/b"[..], 5)]);
}

#[test]
fn key_order_is_byte_order() {
    // Tricky keys: prefixes of each other, trailing zero bytes, long shared
    // prefixes (past the 16-byte chunks), bytes >= 0x80; plus a pseudo-random mix.
    let mut keys: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"a".to_vec(),
        b"a\0".to_vec(),
        b"a\0\0".to_vec(),
        b"a\0b".to_vec(),
        b"ab".to_vec(),
        vec![0xff, 1],
        vec![0x80],
    ];
    let long = b"/registry/services/endpoints/team-07/endpoints-".to_vec();
    for i in 0..300u32 {
        let mut k = long.clone();
        k.extend_from_slice(format!("{:07}", (i * 7919) % 1000).as_bytes());
        if i % 3 == 0 {
            k.extend_from_slice(&[0, 0]);
        }
        keys.push(k);
    }
    let mut x: u64 = 1;
    for _ in 0..2000 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let len = (x >> 58) as usize;
        let k: Vec<u8> = (0..len)
            .map(|j| b"/ab\0z"[((x >> (j % 50)) % 5) as usize])
            .collect();
        keys.push(k);
    }
    keys.sort();
    keys.dedup();
    // Shuffle deterministically.
    let mut shuffled = keys.clone();
    for i in (1..shuffled.len()).rev() {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        shuffled.swap(i, (x >> 33) as usize % (i + 1));
    }
    let ents: Vec<Ent<'_>> = shuffled
        .iter()
        .enumerate()
        .map(|(i, k)| Ent {
            key: k,
            raw: b"",
            hash: 0,
            main: i as i64,
            sub: 0,
            tomb: false,
        })
        .collect();
    let got: Vec<&[u8]> = key_order(&ents)
        .into_iter()
        .map(|i| ents[i as usize].key)
        .collect();
    let want: Vec<&[u8]> = keys.iter().map(|k| k.as_slice()).collect();
    assert_eq!(got, want);
}

#[test]
fn auger_corpus_db() {
    // etcd-auger ORACLE.txt (auger cmd/extract_test.go): keys = keys.txt,
    // /registry/jobs/default/pi has 3 versions.
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/etcd-auger/boltdb");
    let Ok(want) = std::fs::read_to_string(base.join("keys.txt")) else {
        eprintln!("SKIP: corpus missing: {}", base.display());
        return;
    };
    let s = OfflineStore::open_db(&base.join("db")).unwrap();
    let got: Vec<String> = keys_at(&s, b"", None)
        .unwrap()
        .into_iter()
        .map(|k| k.0)
        .collect();
    let want: Vec<String> = want.lines().map(str::to_string).collect();
    assert_eq!(got, want);
    // "3 versions" is the KeyValue's version; compaction left one stored
    // revision (read with python from the page: rev 0x1430f).
    let h = s.history(b"/registry/jobs/default/pi").unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].revision, 0x1430f);
    // meta bucket: finished/scheduled compaction at 0x3b0a4, above the newest
    // key revision (0x38b52): the store's revision is the compaction's, as
    // etcd's own restore sets it.
    assert_eq!(s.compact_revision(), Some(0x3b0a4));
    assert_eq!(s.revision(), 0x3b0a4);
    assert_eq!(s.info().consistent_index, Some(0xaa87d));
    let last = h.last().unwrap();
    assert_eq!(
        (last.version, last.create_revision, last.mod_revision),
        (3, 82647, 82703)
    );
    let mut pod = None;
    s.range(b"/registry/pods/default/pi-dqtsw", false, None, &mut |kv| {
        pod = Some((
            kv.version,
            kv.create_revision,
            kv.mod_revision,
            kv.value.len(),
        ));
        ControlFlow::Continue(())
    })
    .unwrap();
    let pod = pod.unwrap();
    assert_eq!((pod.0, pod.1, pod.2), (5, 82648, 82702));
}

#[test]
fn corrupted_backup_reads_or_fails_cleanly() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/etcd-data/corrupted_backup.db");
    if !p.exists() {
        eprintln!("SKIP: corpus missing: {}", p.display());
        return;
    }
    // Its damage is in the freelist (pages freed yet reachable): reading
    // keys may work; snapshot::check reports the damage (see its tests).
    if let Ok(s) = OfflineStore::open_db(&p) {
        let _ = keys_at(&s, b"", None);
    }
}

/// A `key` bucket of three leaf pages under a branch, so that a tally can
/// give each leaf its own thread. Revisions: 2 put x, 3 put y | 4 put x,
/// 5 delete y, 6 put n1 | 7 put /other, 8 put y, 9 put z. With
/// `unbalanced`, the last two leaves sit one level lower (under a branch of
/// their own), a shape bbolt does not write but a reader must survive.
fn write_three_leaf_db(dir: &Path, unbalanced: bool) -> PathBuf {
    use super::bbolt::tests::branch;
    let ps = 4096;
    let x: &'static [u8] = b"/registry/pods/a/x";
    let y: &'static [u8] = b"/registry/pods/a/y";
    let revs: Vec<(Vec<u8>, Vec<u8>)> = vec![
        (rev_key(2, 0, false), kv(x, 2, 2, 1, b"x1")),
        (rev_key(3, 0, false), kv(y, 3, 3, 1, b"y1")),
        (rev_key(4, 0, false), kv(x, 2, 4, 2, b"x2-longer")),
        (rev_key(5, 0, true), tomb(y)),
        (
            rev_key(6, 0, false),
            kv(b"/registry/nodes/n1", 6, 6, 1, b"n"),
        ),
        (rev_key(7, 0, false), kv(b"/other", 7, 7, 1, b"o")),
        (rev_key(8, 0, false), kv(y, 8, 8, 1, b"y2")),
        (
            rev_key(9, 0, false),
            kv(b"/registry/pods/b/z", 9, 9, 1, b"z"),
        ),
    ];
    let items: Vec<(&[u8], &[u8], u32)> = revs
        .iter()
        .map(|(k, v)| (k.as_slice(), v.as_slice(), 0))
        .collect();
    let leaves = [
        leaf(4, &items[0..2], ps),
        leaf(5, &items[2..5], ps),
        leaf(6, &items[5..], ps),
    ];
    let firsts = [revs[0].0.clone(), revs[2].0.clone(), revs[5].0.clone()];
    let mut lower = Vec::new();
    let key_root = if unbalanced {
        lower.push(branch(
            7,
            &[(firsts[1].as_slice(), 5), (firsts[2].as_slice(), 6)],
            ps,
        ));
        branch(
            3,
            &[(firsts[0].as_slice(), 4), (firsts[1].as_slice(), 7)],
            ps,
        )
    } else {
        branch(
            3,
            &[
                (firsts[0].as_slice(), 4),
                (firsts[1].as_slice(), 5),
                (firsts[2].as_slice(), 6),
            ],
            ps,
        )
    };
    let mut inline_meta = bucket_header(0);
    inline_meta.extend(leaf(0, &[(b"consistent_index", &7u64.to_be_bytes(), 0)], 0));
    let root = leaf(
        2,
        &[(b"key", &bucket_header(3), 1), (b"meta", &inline_meta, 1)],
        ps,
    );
    let mut pages = vec![root, key_root];
    pages.extend(leaves);
    pages.extend(lower);
    let data = Builder { ps, pages }.build(2, 10);
    let path = dir.join("db");
    std::fs::write(&path, data).unwrap();
    path
}

#[test]
fn tally_on_several_threads_equals_a_range() {
    for unbalanced in [false, true] {
        tally_equals_a_range(unbalanced);
    }
}

fn tally_equals_a_range(unbalanced: bool) {
    let dir = tempfile::tempdir().unwrap();
    let s = OfflineStore::open_db(&write_three_leaf_db(dir.path(), unbalanced)).unwrap();
    if unbalanced {
        // Leaf 7 is named as a leaf but is a branch: the threads' read
        // fails on it, and the tally reads page by page instead.
        let db = s.bolt().unwrap();
        let bucket = db.bucket(b"key").unwrap().unwrap();
        let named = db.leaves(bucket).unwrap();
        assert_eq!(named.len(), 2);
        let e = db.leaf_items(&named[1], &mut |_, _, _| Ok(ControlFlow::Continue(())));
        assert!(matches!(e, Err(BoltError::NotLeaf { pgid: 7 })), "{e:?}");
        assert_eq!(db.leaves_read(bucket).unwrap().len(), 3);
    }
    // What the ordered range says: each live key's newest value.
    let mut want: Vec<(String, u64)> = Vec::new();
    s.range(b"", true, None, &mut |kv| {
        want.push((
            String::from_utf8_lossy(kv.key).into_owned(),
            kv.value.len() as u64,
        ));
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(want.len(), 5, "{want:?}");
    // One tag per key: each count is one key with its value's size.
    let h = |k: &[u8]| std::hash::BuildHasher::hash_one(&rustc_hash::FxBuildHasher, k);
    for threads in [1, 2, 3, 8] {
        for rev in [None, Some(6)] {
            let mut got: Vec<(String, u64, Stats)> = Vec::new();
            let st = s
                .tally_in(b"", rev, true, threads, &h, &mut |k, t, stats| {
                    got.push((String::from_utf8_lossy(k).into_owned(), t, stats));
                })
                .unwrap();
            got.sort_by(|a, b| a.0.cmp(&b.0));
            let mut expect: Vec<(String, u64, Stats)> = Vec::new();
            s.range(b"", true, rev, &mut |kv| {
                let size = kv.value.len() as u64;
                expect.push((
                    String::from_utf8_lossy(kv.key).into_owned(),
                    h(kv.key),
                    Stats {
                        keys: 1,
                        value_bytes: size,
                        largest: size,
                    },
                ));
                ControlFlow::Continue(())
            })
            .unwrap();
            assert_eq!(
                got, expect,
                "threads {threads}, rev {rev:?}, unbalanced {unbalanced}"
            );
            assert_eq!(st.keys as usize, expect.len());
            assert_eq!(st.scanned, if rev.is_some() { 5 } else { 8 });
            // Without sizes, and with every key under one tag: one count.
            let mut one = Vec::new();
            s.tally_in(b"", rev, false, threads, &|_| 7, &mut |_, t, stats| {
                one.push((t, stats));
            })
            .unwrap();
            let keys = expect.len() as u64;
            assert_eq!(
                one,
                vec![(
                    7,
                    Stats {
                        keys,
                        ..Stats::default()
                    }
                )]
            );
        }
    }
    // x's newest value (rev 4, "x2-longer") and y back at rev 8, under one
    // tag: 2 keys, 11 bytes, the largest 9.
    let mut sizes = Vec::new();
    s.tally_in(
        b"/registry/pods/a/",
        None,
        true,
        3,
        &|_| 1,
        &mut |_, _, stats| sizes.push(stats),
    )
    .unwrap();
    assert_eq!(
        sizes,
        vec![Stats {
            keys: 2,
            value_bytes: 11,
            largest: 9
        }]
    );
}

fn tent(key: &'static [u8], seq: u32, hash: u64) -> TallyEnt<'static> {
    TallyEnt {
        hash,
        tag: seq.into(),
        key,
        value_len: 0,
        seq,
    }
}

/// Each share as a tally thread leaves it: by (hash, position), one entry
/// per key.
fn merged(shares: &[Vec<TallyEnt<'static>>]) -> Vec<(&'static [u8], u64)> {
    let mut out = Vec::new();
    let parts: Vec<&[TallyEnt<'static>]> = shares.iter().map(Vec::as_slice).collect();
    newest_across_shares(&parts, &mut |e| out.push((e.key, e.tag)));
    out.sort();
    out
}

#[test]
fn shares_drop_keys_a_later_share_rewrote() {
    let h = |k: &[u8]| std::hash::BuildHasher::hash_one(&rustc_hash::FxBuildHasher, k);
    let mut a = vec![tent(b"/a", 1, h(b"/a")), tent(b"/b", 2, h(b"/b"))];
    let mut b = vec![tent(b"/c", 3, h(b"/c")), tent(b"/a", 4, h(b"/a"))];
    let mut c = vec![tent(b"/b", 5, h(b"/b"))];
    for s in [&mut a, &mut b, &mut c] {
        newest_by_hash(s);
    }
    assert_eq!(
        merged(&[a, b, c]),
        vec![(&b"/a"[..], 4), (&b"/b"[..], 5), (&b"/c"[..], 3)]
    );
    // Two keys with one hash in different shares: both kept.
    assert_eq!(
        merged(&[
            vec![tent(b"/x", 1, 9)],
            vec![tent(b"/y", 2, 9)],
            vec![tent(b"/x", 3, 9)],
        ]),
        vec![(&b"/x"[..], 3), (&b"/y"[..], 2)]
    );
}

#[test]
fn counting_in_hash_ranges_equals_counting_in_one() {
    // 3 shares of 2,000 keys each, half of each share's keys written again
    // by the next share, every 7th newest entry a tombstone; 5 tags.
    let h = |k: &[u8]| std::hash::BuildHasher::hash_one(&rustc_hash::FxBuildHasher, k);
    let keys: Vec<&'static [u8]> = (0..4000)
        .map(|i| {
            &*Box::leak(
                format!("/registry/pods/n/{i}")
                    .into_bytes()
                    .into_boxed_slice(),
            )
        })
        .collect();
    let mut shares = Vec::new();
    for s in 0..3usize {
        let share: Vec<TallyEnt<'static>> = keys[s * 1000..s * 1000 + 2000]
            .iter()
            .enumerate()
            .map(|(i, k)| TallyEnt {
                hash: h(k),
                tag: h(k) % 5,
                key: k,
                value_len: (s * 10 + i % 10) as u32,
                seq: i as u32 | if (i + s) % 7 == 0 { TallyEnt::TOMB } else { 0 },
            })
            .collect();
        let mut bucketed = Share::new();
        for e in share {
            bucketed.push(e);
        }
        bucketed.compact();
        shares.push(bucketed);
    }
    let sorted = |c: TagCounts<'static>| {
        let mut v: Vec<(u64, Stats)> = c.into_iter().map(|(t, (_, s))| (t, s)).collect();
        v.sort_by_key(|x| x.0);
        v
    };
    let one = sorted(count_in_hash_ranges(&shares, 1, true));
    assert_eq!(one.len(), 5);
    // Keys 0..3999 all seen; the newest of each from its last share.
    let live: u64 = one.iter().map(|(_, s)| s.keys).sum();
    let mut want_live = 0;
    for i in 0..keys.len() {
        // The last share holding key i: shares hold [s*1000, s*1000+2000).
        let last = (0..3)
            .rev()
            .find(|&s| (s * 1000..s * 1000 + 2000).contains(&i))
            .unwrap();
        if (i - last * 1000 + last) % 7 != 0 {
            want_live += 1;
        }
    }
    assert_eq!(live, want_live);
    for n in [2, 3, 5, 8] {
        assert_eq!(
            sorted(count_in_hash_ranges(&shares, n, true)),
            one,
            "{n} ranges"
        );
    }
}

#[test]
fn a_tally_over_a_damaged_leaf_names_the_page() {
    // Leaf page 5's header names another page: the copied read stops, and
    // the serial walk names the page and what is wrong with it.
    let dir = tempfile::tempdir().unwrap();
    let path = write_three_leaf_db(dir.path(), false);
    let mut data = std::fs::read(&path).unwrap();
    data[5 * 4096..5 * 4096 + 8].copy_from_slice(&77u64.to_le_bytes());
    std::fs::write(&path, &data).unwrap();
    let s = OfflineStore::open_db(&path).unwrap();
    for threads in [1, 2, 3] {
        let e = s
            .tally_in(b"", None, false, threads, &|_| 0, &mut |_, _, _| {})
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("page 5") && e.contains("header says page 77"),
            "{e}"
        );
    }
}

#[test]
fn renumbering_positions_keeps_the_newest_entries() {
    // 30 keys written 4 times each, round by round, the last round
    // deleting every third; positions run out every 50 entries.
    let h = |k: &[u8]| std::hash::BuildHasher::hash_one(&rustc_hash::FxBuildHasher, k);
    let keys: Vec<&'static [u8]> = (0..30)
        .map(|i| &*Box::leak(format!("/k/{i}").into_bytes().into_boxed_slice()))
        .collect();
    let run = |limit: u32| {
        let mut st = ThreadTally {
            ents: Share::new(),
            compact_at: usize::MAX,
            scanned: 0,
            seq: 0,
            seq_limit: limit,
            stop: None,
        };
        for round in 0..4u64 {
            for (i, k) in keys.iter().enumerate() {
                let tomb = round == 3 && i % 3 == 0;
                st.push(TallyEnt {
                    hash: h(k),
                    tag: round,
                    key: k,
                    value_len: 0,
                    seq: if tomb { TallyEnt::TOMB } else { 0 },
                });
            }
        }
        st.ents.compact();
        let mut got: Vec<(&[u8], u64, bool)> =
            st.ents.drain().map(|e| (e.key, e.tag, e.tomb())).collect();
        got.sort();
        got
    };
    let want = run(!TallyEnt::TOMB);
    assert_eq!(want.len(), 30);
    assert!(want.iter().all(|(_, round, _)| *round == 3));
    assert_eq!(want.iter().filter(|e| e.2).count(), 10);
    assert_eq!(run(50), want);
}

#[test]
fn a_thread_keeps_each_keys_newest_even_when_hashes_collide() {
    // Short run: /p written at 0 and 2, /q (same hash) at 1; a tombstone
    // of /r at 4 after its put at 3.
    let mut e = vec![
        tent(b"/p", 0, 7),
        tent(b"/q", 1, 7),
        tent(b"/p", 2, 7),
        tent(b"/r", 3, 1),
        tent(b"/r", 4 | TallyEnt::TOMB, 1),
    ];
    newest_by_hash(&mut e);
    let got: Vec<(&[u8], u32)> = e.iter().map(|e| (e.key, e.seq)).collect();
    assert_eq!(
        got,
        vec![
            (&b"/r"[..], 4 | TallyEnt::TOMB),
            (&b"/q"[..], 1),
            (&b"/p"[..], 2)
        ]
    );
    // A long run (more than SHORT_RUN keys sharing one hash, each written
    // twice): sorted by key instead of compared pair by pair.
    let keys: Vec<&'static [u8]> = (0..40)
        .map(|i| &*Box::leak(format!("/k{i:02}").into_bytes().into_boxed_slice()))
        .collect();
    let mut e: Vec<TallyEnt<'static>> = Vec::new();
    for round in 0..2u32 {
        for (i, k) in keys.iter().enumerate() {
            e.push(tent(k, round * 100 + i as u32, 5));
        }
    }
    newest_by_hash(&mut e);
    let mut got: Vec<(&[u8], u32)> = e.iter().map(|e| (e.key, e.seq)).collect();
    got.sort();
    let want: Vec<(&[u8], u32)> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (*k, 100 + i as u32))
        .collect();
    assert_eq!(got, want);
    // And across shares: the later share's copy of each key wins.
    let late: Vec<TallyEnt<'static>> = keys[..20]
        .iter()
        .enumerate()
        .map(|(i, k)| tent(k, 1000 + i as u32, 5))
        .collect();
    let m = merged(&[e, late]);
    assert_eq!(m.len(), 40);
    assert!(m.iter().all(|(k, t)| {
        let i = keys.iter().position(|x| x == k).unwrap() as u64;
        *t == if i < 20 { 1000 + i } else { 100 + i }
    }));
}
