//! etcd's bbolt files on any bytes: the page reader (both metas, branch,
//! leaf, overflow and inline pages), bbolt's consistency check, etcdctl's
//! snapshot status, and the OfflineStore on top (key range, history,
//! the threaded tally)
//! return errors, never panic, and stop (the walk is bounded by depth and
//! by the number of pages in use).

#![no_main]

use std::ops::ControlFlow;
use std::path::Path;

use kinspect::etcd::offline::OfflineStore;
use kinspect::etcd::offline::bbolt::Bolt;
use kinspect::etcd::offline::snapshot::status_of;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let name = Path::new("fuzz.db");
    if let Ok(db) = Bolt::new(data) {
        let _ = db.check();
        if let Ok(names) = db.bucket_names() {
            for n in names.into_iter().take(16) {
                if let Ok(Some(b)) = db.bucket(n) {
                    let _ = db.last(b);
                    let _ = db.walk(b, &mut |_, _, _| Ok(ControlFlow::Continue(())));
                    // The leaves as a tally reads them: named by their
                    // branches, then read through the map or from a copy.
                    for leaves in [db.leaves(b), db.leaves_read(b)].into_iter().flatten() {
                        for l in leaves.iter().take(64) {
                            let _ = db.leaf_items(l, &mut |_, _, _| Ok(ControlFlow::Continue(())));
                            if let Some(pgid) = l.named() {
                                let ps = db.page_size() as u64;
                                let copy = pgid
                                    .checked_mul(ps)
                                    .and_then(|o| usize::try_from(o).ok())
                                    .and_then(|o| data.get(o..))
                                    .map(|b| b[..b.len().min(8 * ps as usize)].to_vec());
                                if let Some(copy) = copy {
                                    let _ = db.leaf_items_copied(pgid, &copy, &mut |_, _, _| {
                                        Ok(ControlFlow::Continue(()))
                                    });
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    let _ = status_of(name, data);
    if let Ok(store) = OfflineStore::from_bytes(name, data.to_vec()) {
        let mut first: Option<Vec<u8>> = None;
        let _ = store.range(b"", true, None, &mut |kv| {
            first.get_or_insert_with(|| kv.key.to_vec());
            ControlFlow::Continue(())
        });
        if let Some(k) = first {
            let _ = store.history(&k);
        }
        let _ = store.range(b"/", true, Some(store.revision()), &mut |_| ControlFlow::Break(()));
        let _ = store.tally(b"", None, true, &|k| k.len() as u64, &mut |_, _, _| {});
    }
});
