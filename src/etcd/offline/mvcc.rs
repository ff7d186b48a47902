//! etcd's MVCC layout inside bbolt: revision keys of the `key` bucket,
//! the `mvccpb.KeyValue` values they map to, and the `meta` bucket's
//! consistent index and compaction marks.
//!
//! A revision key is 17 bytes: the main revision (8 bytes, big-endian), `_`,
//! the sub revision (8 bytes, big-endian); an 18th byte `t` marks a
//! tombstone (a delete), whose value holds only the key. The bucket is thus
//! ordered by revision, not by key. Values are decoded here by hand
//! (borrowing from the file's bytes, no allocation): field 1 key, 2
//! create_revision, 3 mod_revision, 4 version, 5 value, 6 lease.

/// A parsed revision key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Revision {
    pub main: i64,
    pub sub: i64,
    pub tombstone: bool,
}

/// Parses a revision key; None when it is not 17 bytes (+ `t`).
pub fn parse_revision(k: &[u8]) -> Option<Revision> {
    if k.len() != 17 && k.len() != 18 {
        return None;
    }
    if k[8] != b'_' || (k.len() == 18 && k[17] != b't') {
        return None;
    }
    let main = i64::from_be_bytes(k[0..8].try_into().ok()?);
    let sub = i64::from_be_bytes(k[9..17].try_into().ok()?);
    Some(Revision {
        main,
        sub,
        tombstone: k.len() == 18,
    })
}

/// A decoded `mvccpb.KeyValue`, borrowing its key and value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Kv<'a> {
    pub key: &'a [u8],
    pub create_revision: i64,
    pub mod_revision: i64,
    pub version: i64,
    pub lease: i64,
    pub value: &'a [u8],
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

/// Decodes a `mvccpb.KeyValue`; None when malformed. Unknown fields are
/// skipped (wire types 0, 1, 2, 5).
pub fn decode_kv(b: &[u8]) -> Option<Kv<'_>> {
    let mut kv = Kv::default();
    let mut pos = 0;
    while pos < b.len() {
        let tag = varint(b, &mut pos)?;
        let (num, wt) = (tag >> 3, tag & 7);
        match wt {
            0 => {
                let v = varint(b, &mut pos)? as i64;
                match num {
                    2 => kv.create_revision = v,
                    3 => kv.mod_revision = v,
                    4 => kv.version = v,
                    6 => kv.lease = v,
                    _ => {}
                }
            }
            2 => {
                let len = usize::try_from(varint(b, &mut pos)?).ok()?;
                let end = pos.checked_add(len).filter(|e| *e <= b.len())?;
                match num {
                    1 => kv.key = &b[pos..end],
                    5 => kv.value = &b[pos..end],
                    _ => {}
                }
                pos = end;
            }
            1 => pos = pos.checked_add(8).filter(|e| *e <= b.len())?,
            5 => pos = pos.checked_add(4).filter(|e| *e <= b.len())?,
            _ => return None,
        }
    }
    Some(kv)
}

/// Only the key of a `mvccpb.KeyValue` (field 1), skipping the rest
/// quickly; the hot path of a key listing.
pub fn kv_key(b: &[u8]) -> Option<&[u8]> {
    // etcd marshals field 1 first: take the fast path when it is there.
    if b.first() == Some(&0x0a) {
        let mut pos = 1;
        let len = usize::try_from(varint(b, &mut pos)?).ok()?;
        let end = pos.checked_add(len).filter(|e| *e <= b.len())?;
        return Some(&b[pos..end]);
    }
    decode_kv(b).map(|kv| kv.key)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn rev_key(main: i64, sub: i64, tomb: bool) -> Vec<u8> {
        let mut k = main.to_be_bytes().to_vec();
        k.push(b'_');
        k.extend_from_slice(&sub.to_be_bytes());
        if tomb {
            k.push(b't');
        }
        k
    }

    fn put_varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    pub(crate) fn encode_kv(kv: &Kv<'_>) -> Vec<u8> {
        let mut o = Vec::new();
        o.push(0x0a);
        put_varint(&mut o, kv.key.len() as u64);
        o.extend_from_slice(kv.key);
        for (n, v) in [
            (2u64, kv.create_revision),
            (3, kv.mod_revision),
            (4, kv.version),
        ] {
            if v != 0 {
                put_varint(&mut o, n << 3);
                put_varint(&mut o, v as u64);
            }
        }
        if !kv.value.is_empty() {
            o.push(0x2a);
            put_varint(&mut o, kv.value.len() as u64);
            o.extend_from_slice(kv.value);
        }
        if kv.lease != 0 {
            put_varint(&mut o, 6 << 3);
            put_varint(&mut o, kv.lease as u64);
        }
        o
    }

    #[test]
    fn revision_keys() {
        let r = parse_revision(&rev_key(82703, 1, false)).unwrap();
        assert_eq!((r.main, r.sub, r.tombstone), (82703, 1, false));
        assert!(parse_revision(&rev_key(5, 0, true)).unwrap().tombstone);
        assert!(parse_revision(b"consistent_index").is_none());
        let mut bad = rev_key(1, 0, false);
        bad[8] = b'x';
        assert!(parse_revision(&bad).is_none());
    }

    #[test]
    fn key_values_round_trip_and_malformed() {
        let kv = Kv {
            key: b"/registry/a",
            create_revision: 4,
            mod_revision: 300,
            version: 2,
            lease: 0x694d_8a1b_2c3d_4e5f,
            value: b"hello",
        };
        let bytes = encode_kv(&kv);
        assert_eq!(decode_kv(&bytes), Some(kv));
        assert_eq!(kv_key(&bytes), Some(&b"/registry/a"[..]));
        for cut in 1..bytes.len() {
            // A cut message either fails or decodes a prefix; never panics.
            let _ = decode_kv(&bytes[..cut]);
            let _ = kv_key(&bytes[..cut]);
        }
        assert!(decode_kv(&[0x0a, 0xff]).is_none());
        assert!(decode_kv(&[0x0b]).is_none());
    }

    #[test]
    fn corpus_leaf_items_decode_as_auger_says() {
        // etcd-auger ORACLE.txt: page2item2.bin -> Key /registry/jobs/default/pi
        // Version 3 CreateRevision 82647 ModRevision 82703 Lease 0.
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/corpus/etcd-auger/boltdb/page2item2.bin");
        let Ok(bytes) = std::fs::read(&path) else {
            eprintln!("SKIP: corpus missing: {}", path.display());
            return;
        };
        let kv = decode_kv(&bytes).unwrap();
        assert_eq!(kv.key, b"/registry/jobs/default/pi");
        assert_eq!(
            (kv.version, kv.create_revision, kv.mod_revision, kv.lease),
            (3, 82647, 82703, 0)
        );
    }
}
