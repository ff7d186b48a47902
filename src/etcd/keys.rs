//! Walking keys: paged range requests (a `limit` per page; the next page
//! starts just after the last key seen), all pages read at the revision of
//! the first, so a walk is one consistent snapshot and never one giant
//! response. Memory is one page, whatever the key count.
//!
//! etcd cannot report a value's size without sending the value
//! (`keys_only` drops it, and there is no size-only option), so sizes need
//! a walk with values instead (not a second walk); its pages are sized
//! from the values seen so far to about 8 MiB, and each is dropped as
//! soon as it is counted.
//!
//! Also here: folding keys into Kubernetes resource groups
//! ([`Groups`]) and into a directory tree ([`Tree`]), both with memory
//! bounded by the number of groups or directories, not keys.

use std::collections::BTreeMap;

use super::client::{ClientError, EtcdOptions};
use super::failover::{Consistency, Failover};
use super::range::{self, KeyValue, RangeRequest};
use crate::k8s::key::{self, prefix_end};

/// Largest gRPC message a page may be (etcd-client's default is 4 MiB;
/// a page of values can be larger, and is halved when even this is not
/// enough).
pub const MAX_PAGE_BYTES: usize = 64 << 20;

/// Default page size for key-only walks. etcd 3.4 walks its whole index
/// from the page start to the range end for every page (to count), so
/// few large pages beat many small ones: on 100,000 keys, pages of 50,000
/// took 0.20 s against 0.26 s for pages of 10,000. A page of 50,000
/// Kubernetes keys is 3-5 MB.
pub const DEFAULT_KEYS_PAGE: i64 = 50_000;

/// First page size when values are fetched and the page size is not
/// fixed; later pages are sized from the values seen so far to about
/// [`VALUES_PAGE_BYTES`].
pub const FIRST_VALUES_PAGE: i64 = 256;

/// What a page of values should weigh: 8 MiB (8,000 objects of 1 KB).
/// Bigger pages are faster (100,000 keys of 1 KB with sizes: 1.1 s in
/// pages of 1,000, 0.35 s in pages of 10,000) and memory is one page.
pub const VALUES_PAGE_BYTES: usize = 8 << 20;

/// Most keys in one page of values.
pub const MAX_VALUES_PAGE: i64 = 10_000;

/// Adaptive pages hold at most this share of the keys in the range (from
/// the first page's count), and never fewer than [`MIN_VALUES_PAGE_CAP`].
/// etcd 3.4 walks its index to the range end on every page, so pages of a
/// fixed size cost it time quadratic in the key count; an eighth of the
/// range bounds the walking at about four times the key count. Smaller
/// pages than the byte target keep both cores busy: on 10,000 stored Pods
/// (pages of 256, 512, 1,024, then 1,250 instead of 2,048, 4,096 and the
/// rest) the printer waits less for each page and is left less to do
/// after the last, and tonic's page-sized receive buffers, freed and
/// allocated again at one size, fault in fewer fresh pages (2,900-3,200
/// page faults a run against 4,300-5,400); 0.060-0.065 s against
/// 0.066-0.069 s in alternating runs.
pub const PAGES_PER_RANGE: i64 = 8;

/// See [`PAGES_PER_RANGE`].
pub const MIN_VALUES_PAGE_CAP: i64 = 1024;

/// What to walk.
#[derive(Debug, Clone)]
pub struct WalkSpec {
    /// First key.
    pub start: Vec<u8>,
    /// Range end (exclusive); empty for the single key `start`.
    pub end: Vec<u8>,
    pub keys_only: bool,
    pub page_size: i64,
    /// Revision to read at; 0 for the newest (then pinned to the first
    /// page's revision).
    pub revision: i64,
    /// With values: size each page from the values seen so far (see
    /// [`VALUES_PAGE_BYTES`]) instead of keeping `page_size`.
    pub adaptive: bool,
    /// Linearizable (default) or serializable range requests.
    pub consistency: Consistency,
}

impl WalkSpec {
    /// Every key that starts with `prefix` (every key when it is empty).
    pub fn prefix(prefix: &[u8], keys_only: bool, page_size: i64, revision: i64) -> Self {
        let start = if prefix.is_empty() {
            vec![0]
        } else {
            prefix.to_vec()
        };
        WalkSpec {
            start,
            end: prefix_end(prefix),
            keys_only,
            page_size,
            revision,
            adaptive: false,
            consistency: Consistency::Linearizable,
        }
    }

    /// The same walk with serializable (or linearizable) range requests.
    pub fn with_consistency(self, consistency: Consistency) -> Self {
        WalkSpec {
            consistency,
            ..self
        }
    }

    /// Every key that starts with `prefix`, with values, in pages sized
    /// to about [`VALUES_PAGE_BYTES`].
    pub fn prefix_values_adaptive(prefix: &[u8], revision: i64) -> Self {
        WalkSpec {
            adaptive: true,
            ..WalkSpec::prefix(prefix, false, FIRST_VALUES_PAGE, revision)
        }
    }

    /// Exactly one key.
    pub fn single(key: &[u8], revision: i64) -> Self {
        WalkSpec {
            start: key.to_vec(),
            end: Vec::new(),
            keys_only: false,
            page_size: 1,
            revision,
            adaptive: false,
            consistency: Consistency::Linearizable,
        }
    }
}

/// Reads a range page by page, from the first of the given endpoints that
/// answers (see [`Failover`]): a page that gets no answer is asked again
/// of the next endpoint, at the walk's pinned revision.
pub struct Pager {
    conn: Failover,
    spec: WalkSpec,
    next: Vec<u8>,
    done: bool,
    /// Largest adaptive page, from the first page's count
    /// ([`PAGES_PER_RANGE`]).
    page_cap: i64,
    /// Pages read so far.
    pub pages: u64,
    /// Keys read so far.
    pub keys: u64,
}

impl Pager {
    /// A walk over `opts.endpoints`, tried in order.
    pub fn new(opts: &EtcdOptions, spec: WalkSpec) -> Self {
        Pager {
            conn: Failover::new(opts),
            next: spec.start.clone(),
            spec,
            done: false,
            page_cap: MAX_VALUES_PAGE,
            pages: 0,
            keys: 0,
        }
    }

    /// The connection: which endpoint answers, which were skipped.
    pub fn connection(&mut self) -> &mut Failover {
        &mut self.conn
    }

    /// The revision the walk reads at (known after the first page).
    pub fn revision(&self) -> i64 {
        self.spec.revision
    }

    /// The next page, or `None` at the end. An empty first page is
    /// returned as `Some(vec![])` once, so the revision is known.
    pub async fn next_page(&mut self) -> Result<Option<Vec<KeyValue>>, ClientError> {
        if self.done {
            return Ok(None);
        }
        // After the first page the walk reads at a fixed revision, whose
        // contents never change: a member that has applied it answers from
        // its own store (serializable) what a linearizable read would, and
        // the round of consensus each linearizable read costs (ReadIndex)
        // is saved on every page but the first. A member that has not yet
        // applied the revision says so, and the page is asked again
        // linearizably.
        let mut pinned = self.pages > 0 && self.spec.revision != 0;
        loop {
            let single = self.spec.end.is_empty();
            let request = RangeRequest {
                key: self.next.clone(),
                range_end: self.spec.end.clone(),
                limit: if single { 0 } else { self.spec.page_size },
                revision: self.spec.revision,
                serializable: self.spec.consistency.is_serializable() || pinned,
                keys_only: self.spec.keys_only,
                ..RangeRequest::default()
            };
            let r = self
                .conn
                .run_on_channel(|channel| range::range(channel, request.clone(), MAX_PAGE_BYTES))
                .await;
            let resp = match r {
                Ok(r) => r,
                Err(e) if pinned && is_future_revision(&e) => {
                    pinned = false;
                    continue;
                }
                Err(e) if is_too_large(&e) && self.spec.page_size > 1 => {
                    self.spec.page_size = (self.spec.page_size / 2).max(1);
                    continue;
                }
                Err(e) => return Err(e),
            };
            self.pages += 1;
            if self.spec.revision == 0
                && let Some(h) = &resp.header
            {
                self.spec.revision = h.revision;
            }
            let more = resp.more;
            let kvs = resp.kvs;
            if self.pages == 1 {
                self.page_cap = page_cap(resp.count);
            }
            if self.spec.adaptive && !kvs.is_empty() {
                let bytes: usize = kvs.iter().map(|kv| kv.key().len() + kv.value().len()).sum();
                let mean = bytes / kvs.len();
                self.spec.page_size = next_values_page(self.spec.page_size, mean, self.page_cap);
            }
            self.keys += kvs.len() as u64;
            match kvs.last() {
                Some(last) if more && !self.spec.end.is_empty() => {
                    self.next = last.key().to_vec();
                    self.next.push(0);
                }
                _ => self.done = true,
            }
            return Ok(Some(kvs));
        }
    }
}

/// The largest adaptive page for a range of `count` keys
/// ([`PAGES_PER_RANGE`]).
pub fn page_cap(count: i64) -> i64 {
    (count / PAGES_PER_RANGE).clamp(MIN_VALUES_PAGE_CAP, MAX_VALUES_PAGE)
}

/// The adaptive page after one of `page` values of `mean_bytes` each:
/// twice as many, so that the first values reach the printer soon and it
/// is never left waiting for one large page, up to [`VALUES_PAGE_BYTES`]
/// and `cap` keys.
pub fn next_values_page(page: i64, mean_bytes: usize, cap: i64) -> i64 {
    let by_weight = i64::try_from(VALUES_PAGE_BYTES / mean_bytes.max(1)).unwrap_or(i64::MAX);
    by_weight.clamp(1, cap.max(1)).min(page.saturating_mul(2))
}

/// etcd's answer to a read at a revision the member has not applied yet
/// (`mvcc: required revision is a future revision`).
fn is_future_revision(e: &ClientError) -> bool {
    e.to_string().contains("future revision")
}

fn is_too_large(e: &ClientError) -> bool {
    let s = e.to_string();
    s.contains("too large") || s.contains("message length")
}

/// Counts for one group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub keys: u64,
    /// Sum of value sizes (only when values were fetched).
    pub value_bytes: u64,
    /// The largest value.
    pub largest: u64,
}

impl Stats {
    /// Adds another group's counts to these.
    pub fn merge(&mut self, o: Stats) {
        self.keys += o.keys;
        self.value_bytes += o.value_bytes;
        self.largest = self.largest.max(o.largest);
    }

    /// Counts one key, and its value's size when known.
    pub fn add(&mut self, size: Option<u64>) {
        self.keys += 1;
        if let Some(s) = size {
            self.value_bytes += s;
            self.largest = self.largest.max(s);
        }
    }
}

/// One group: an API group and resource (as `group/resource`, or the
/// resource alone for built-ins) and a namespace (empty when
/// cluster-scoped).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupKey {
    pub group: String,
    pub resource: String,
    pub namespace: String,
    /// The segment in the key when it is not the resource's name
    /// (`minions`, `services/specs`, ...).
    pub stored_as: Option<&'static str>,
}

/// Keys folded by resource and namespace. Keys usually arrive sorted, so
/// runs of the same group are counted without a lookup per key; in any
/// other order (an offline read that skips sorting) a hash of the key's
/// parts finds the group without allocating.
#[derive(Debug, Default)]
pub struct Groups {
    entries: Vec<(GroupKey, Stats)>,
    /// Hash of (group, resource, namespace, stored_as) to indexes in `entries`.
    index: rustc_hash::FxHashMap<u64, Vec<usize>>,
    current: Option<usize>,
    /// Keys not under `/registry/`.
    pub other: Stats,
}

impl Groups {
    pub fn new() -> Self {
        Groups::default()
    }

    /// Counts one key (and its value size when known).
    pub fn add(&mut self, key: &[u8], size: Option<u64>) {
        let slot = self.slot(key);
        self.add_at(slot, size);
    }

    /// Adds counts to the group [`slot`](Self::slot) named.
    pub fn merge_at(&mut self, slot: u32, st: Stats) {
        if slot == Self::OTHER {
            self.other.merge(st);
        } else if let Some((_, s)) = self.entries.get_mut(slot as usize) {
            s.merge(st);
        }
    }

    /// Counts one key in the group [`slot`](Self::slot) named.
    pub fn add_at(&mut self, slot: u32, size: Option<u64>) {
        if slot == Self::OTHER {
            self.other.add(size);
        } else if let Some((_, s)) = self.entries.get_mut(slot as usize) {
            s.add(size);
        }
    }

    /// The slot of keys not under `/registry/`.
    pub const OTHER: u32 = u32::MAX;

    /// A tag for the group `key` belongs to, from the key alone (no state,
    /// so threads can compute it): keys with one tag belong to one group
    /// (a group may have several tags), so [`slot`](Self::slot) needs to
    /// read only one key per tag. Two tags colliding (64-bit FxHash) would
    /// count two groups as one.
    ///
    /// It runs once per stored key on `etcd keys --db` (a million times),
    /// so the common shape is hashed without parsing: a key with at least
    /// three segments after `/registry/` has its group fixed by everything
    /// before its last `/` ([`key::parse_ref`] decides the resource, any
    /// `stored_as` and the namespace from the segments before the last one;
    /// only the name comes from the last), so that prefix is the tag.
    /// Shorter keys are parsed.
    pub fn tag(key: &[u8]) -> u64 {
        if let Some(rest) = key.strip_prefix(b"/registry/")
            && let Some(last) = rest.iter().rposition(|&b| b == b'/')
            && rest[..last].contains(&b'/')
        {
            // Invalid UTF-8 anywhere makes the key not parse (it then
            // counts with the keys outside /registry/, tag 0); the part
            // before the last `/` is the same for all keys of this tag.
            let name = &rest[last + 1..];
            if !name.is_ascii() && std::str::from_utf8(name).is_err() {
                return 0;
            }
            let dir = &key[..b"/registry/".len() + last];
            return std::hash::BuildHasher::hash_one(&rustc_hash::FxBuildHasher, dir) | 1;
        }
        match key::parse_ref(key) {
            None => 0,
            Some(k) => std::hash::BuildHasher::hash_one(
                &rustc_hash::FxBuildHasher,
                (k.group, k.resource, k.namespace.unwrap_or(""), k.stored_as),
            ),
        }
    }

    /// The group `key` belongs to (made, with no keys yet, if new), as a
    /// slot for [`add_at`](Self::add_at); [`OTHER`](Self::OTHER) for keys
    /// outside `/registry/`. Groups that end with no keys are left out by
    /// [`finish`](Self::finish).
    pub fn slot(&mut self, key: &[u8]) -> u32 {
        let Some(k) = key::parse_ref(key) else {
            return Self::OTHER;
        };
        let ns = k.namespace.unwrap_or("");
        let same = |g: &GroupKey| {
            short_eq(&g.resource, k.resource)
                && short_eq(&g.namespace, ns)
                && short_eq(&g.group, k.group)
                && g.stored_as == k.stored_as
        };
        if let Some(i) = self.current
            && self.entries.get(i).is_some_and(|(g, _)| same(g))
        {
            return i as u32;
        }
        let h = std::hash::BuildHasher::hash_one(
            &rustc_hash::FxBuildHasher,
            (k.group, k.resource, ns, k.stored_as),
        );
        let slot = self.index.entry(h).or_default();
        let found = slot
            .iter()
            .copied()
            .find(|&i| self.entries.get(i).is_some_and(|(g, _)| same(g)));
        let i = match found {
            Some(i) => i,
            None => {
                self.entries.push((
                    GroupKey {
                        group: k.group.to_string(),
                        resource: k.resource.to_string(),
                        namespace: ns.to_string(),
                        stored_as: k.stored_as,
                    },
                    Stats::default(),
                ));
                slot.push(self.entries.len() - 1);
                self.entries.len() - 1
            }
        };
        self.current = Some(i);
        u32::try_from(i).unwrap_or(Self::OTHER)
    }

    /// Every group, sorted by group, resource, namespace.
    pub fn finish(mut self) -> (Vec<(GroupKey, Stats)>, Stats) {
        self.entries.retain(|(_, s)| s.keys > 0);
        self.entries.sort_by(|a, b| a.0.cmp(&b.0));
        (self.entries, self.other)
    }
}

/// `a == b` for the short strings of a key's parts, compared inline: a
/// call to libc's memcmp per part was a quarter of `etcd keys --db` on a
/// million keys.
#[inline]
fn short_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

/// One directory of the key tree.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TreeNode {
    /// Keys at or below this directory.
    pub stats: Stats,
    /// Keys that end right here (the directory is also a key's name).
    pub own_keys: u64,
    pub children: BTreeMap<String, TreeNode>,
    /// Keys below this directory in sub-directories not kept (the node
    /// limit was reached or they are below `--depth`).
    pub folded: u64,
}

/// Keys folded into a directory tree on `/`, below a root (the prefix up
/// to its last `/`). Only directories are nodes, never the last segment
/// (the object's name), and at most `max_nodes` of them, so memory does
/// not grow with the key count.
#[derive(Debug)]
pub struct Tree {
    pub root_path: String,
    pub root: TreeNode,
    max_depth: usize,
    max_nodes: usize,
    nodes: usize,
}

impl Tree {
    pub fn new(prefix: &[u8], max_depth: usize, max_nodes: usize) -> Self {
        let p = String::from_utf8_lossy(prefix);
        let root_path = match p.rfind('/') {
            Some(i) => p[..=i].to_string(),
            None => String::new(),
        };
        Tree {
            root_path,
            root: TreeNode::default(),
            max_depth,
            max_nodes,
            nodes: 0,
        }
    }

    pub fn add(&mut self, key: &[u8], size: Option<u64>) {
        let k = String::from_utf8_lossy(key);
        let rest = k.get(self.root_path.len()..).unwrap_or("");
        let mut segs: Vec<&str> = rest.split('/').collect();
        // The last segment is the key's own name, not a directory.
        segs.pop();
        let mut node = &mut self.root;
        node.stats.add(size);
        for (depth, seg) in segs.into_iter().enumerate() {
            if depth >= self.max_depth {
                node.folded += 1;
                return;
            }
            if !node.children.contains_key(seg) {
                if self.nodes >= self.max_nodes {
                    node.folded += 1;
                    return;
                }
                self.nodes += 1;
                node.children.insert(seg.to_string(), TreeNode::default());
            }
            let Some(next) = node.children.get_mut(seg) else {
                return;
            };
            node = next;
            node.stats.add(size);
        }
        node.own_keys += 1;
    }

    /// True when the node limit cut the tree.
    pub fn truncated(&self) -> bool {
        self.nodes >= self.max_nodes
    }

    /// Every directory, depth first: (path, depth, node).
    pub fn walk(&self) -> Vec<(String, usize, &TreeNode)> {
        let mut out = Vec::new();
        fn rec<'t>(
            path: String,
            depth: usize,
            n: &'t TreeNode,
            out: &mut Vec<(String, usize, &'t TreeNode)>,
        ) {
            out.push((path.clone(), depth, n));
            for (name, c) in &n.children {
                rec(format!("{path}{name}/"), depth + 1, c, out);
            }
        }
        rec(self.root_path.clone(), 0, &self.root, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pages a walk of `count` values of `mean` bytes asks for.
    fn schedule(count: i64, mean: usize) -> Vec<i64> {
        let cap = page_cap(count);
        let (mut page, mut left, mut pages) = (FIRST_VALUES_PAGE, count, Vec::new());
        while left > 0 {
            let n = page.min(left);
            pages.push(n);
            left -= n;
            page = next_values_page(page, mean, cap);
        }
        pages
    }

    #[test]
    fn pages_double_then_hold_an_eighth_of_the_range_or_eight_mib() {
        // 10,000 Pods of 1.25 kB (the benchmark's): nine pages.
        assert_eq!(
            schedule(10_000, 1250),
            [256, 512, 1024, 1250, 1250, 1250, 1250, 1250, 1250, 708]
        );
        // A small range: never capped below 1,024.
        assert_eq!(schedule(3000, 1250), [256, 512, 1024, 1024, 184]);
        // A large one: the weight (8 MiB of 1.25 kB is 6,710) decides, and
        // at most 10,000 keys a page.
        let big = schedule(1_000_000, 1250);
        assert_eq!(&big[..6], [256, 512, 1024, 2048, 4096, 6710]);
        assert!(big.len() < 160, "{} pages", big.len());
        assert_eq!(schedule(1_000_000, 10)[6..8], [10_000, 10_000]);
        // After huge values, one at a time, never zero.
        assert_eq!(next_values_page(256, 64 << 20, 1024), 1);
        assert_eq!(next_values_page(1, 0, 0), 1);
        // etcd's count missing (0) or odd: the floor holds.
        assert_eq!(page_cap(0), MIN_VALUES_PAGE_CAP);
        assert_eq!(page_cap(-5), MIN_VALUES_PAGE_CAP);
    }

    #[test]
    fn keys_with_one_tag_parse_to_one_group() {
        // Every key of up to five segments from pieces that steer
        // parse_ref (services/specs, minions, a dotted group, an empty
        // segment, invalid UTF-8), under /registry/ and outside it: keys
        // sharing a tag must share a group, or `etcd keys --db` would
        // count a key in another key's group.
        let pieces: [&[u8]; 9] = [
            b"services",
            b"specs",
            b"endpoints",
            b"minions",
            b"apps.x",
            b"",
            b"ns",
            b"a",
            b"\xff",
        ];
        let mut keys: Vec<Vec<u8>> = Vec::new();
        let mut stack: Vec<Vec<u8>> = vec![b"/registry".to_vec(), b"/other".to_vec()];
        for _ in 0..5 {
            let mut next = Vec::new();
            for k in &stack {
                for p in pieces {
                    let mut n = k.clone();
                    n.push(b'/');
                    n.extend_from_slice(p);
                    next.push(n);
                }
            }
            keys.extend(next.iter().cloned());
            stack = next;
        }
        assert!(keys.len() > 100_000);
        let group = |k: &[u8]| {
            key::parse_ref(k).map(|r| {
                (
                    r.group.to_string(),
                    r.resource.to_string(),
                    r.namespace.map(str::to_string),
                    r.stored_as,
                )
            })
        };
        let mut seen: rustc_hash::FxHashMap<u64, (Vec<u8>, _)> = rustc_hash::FxHashMap::default();
        let mut shared = 0;
        for k in &keys {
            let g = group(k);
            match seen.get(&Groups::tag(k)) {
                Some((first, g0)) => {
                    assert_eq!(
                        &g,
                        g0,
                        "{} and {} share a tag",
                        String::from_utf8_lossy(k),
                        String::from_utf8_lossy(first)
                    );
                    shared += 1;
                }
                None => {
                    seen.insert(Groups::tag(k), (k.clone(), g));
                }
            }
        }
        // Most keys share their tag with a sibling (the fast path).
        assert!(shared > keys.len() / 2, "{shared} of {}", keys.len());
    }

    #[test]
    fn groups_fold_runs_and_resort() {
        let mut g = Groups::new();
        for k in [
            "/registry/apiregistration.k8s.io/apiservices/v1.",
            "/registry/apiregistration.k8s.io/apiservices/v1.apps",
            "/registry/minions/node-1",
            "/registry/pods/default/a",
            "/registry/pods/default/b",
            "/registry/pods/kube-system/c",
            "/registry/services/endpoints/default/kubernetes",
            "/registry/services/specs/default/kubernetes",
            "compact_rev_key",
        ] {
            g.add(k.as_bytes(), Some(10));
        }
        let (groups, other) = g.finish();
        let rows: Vec<(String, String, String, u64)> = groups
            .iter()
            .map(|(k, s)| {
                (
                    k.group.clone(),
                    k.resource.clone(),
                    k.namespace.clone(),
                    s.keys,
                )
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                ("".into(), "endpoints".into(), "default".into(), 1),
                ("".into(), "nodes".into(), "".into(), 1),
                ("".into(), "pods".into(), "default".into(), 2),
                ("".into(), "pods".into(), "kube-system".into(), 1),
                ("".into(), "services".into(), "default".into(), 1),
                (
                    "apiregistration.k8s.io".into(),
                    "apiservices".into(),
                    "".into(),
                    2
                ),
            ]
        );
        assert_eq!(groups[2].1.value_bytes, 20);
        assert_eq!(other.keys, 1);
    }

    #[test]
    fn groups_merge_interleaved_runs() {
        let mut g = Groups::new();
        g.add(b"/registry/pods/a/x", None);
        g.add(b"/registry/pods/b/x", None);
        g.add(b"/registry/pods/a/y", None);
        let (groups, _) = g.finish();
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].1.keys, 2);
        assert_eq!(groups[0].1.value_bytes, 0);
    }

    #[test]
    fn tree_directories_only() {
        let mut t = Tree::new(b"/registry", 10, 100);
        assert_eq!(t.root_path, "/");
        for k in [
            "/registry/pods/default/a",
            "/registry/pods/default/b",
            "/registry/pods/kube-system/c",
            "/registry/namespaces/default",
            "/registry/pods-x/n/d",
        ] {
            t.add(k.as_bytes(), Some(5));
        }
        let w: Vec<(String, usize, u64)> = t
            .walk()
            .into_iter()
            .map(|(p, d, n)| (p, d, n.stats.keys))
            .collect();
        assert_eq!(
            w,
            vec![
                ("/".into(), 0, 5),
                ("/registry/".into(), 1, 5),
                ("/registry/namespaces/".into(), 2, 1),
                ("/registry/pods/".into(), 2, 3),
                ("/registry/pods/default/".into(), 3, 2),
                ("/registry/pods/kube-system/".into(), 3, 1),
                ("/registry/pods-x/".into(), 2, 1),
                ("/registry/pods-x/n/".into(), 3, 1),
            ]
        );
        assert_eq!(t.root.stats.value_bytes, 25);
    }

    #[test]
    fn tree_is_bounded() {
        let mut t = Tree::new(b"/registry/", 1, 3);
        for i in 0..50 {
            t.add(format!("/registry/r{i}/ns/name").as_bytes(), None);
        }
        assert!(t.truncated());
        assert_eq!(t.root.children.len(), 3);
        assert_eq!(t.root.folded, 47);
        // depth 1: r0's ns/ directory is folded into r0
        assert_eq!(t.root.children["r0"].folded, 1);
        assert_eq!(t.root.stats.keys, 50);
    }

    #[test]
    fn specs() {
        let s = WalkSpec::prefix(b"/registry", true, 10, 0);
        assert_eq!(s.start, b"/registry".to_vec());
        assert_eq!(s.end, b"/registrz".to_vec());
        let s = WalkSpec::prefix(b"", true, 10, 0);
        assert_eq!((s.start, s.end), (vec![0], vec![0]));
        let s = WalkSpec::single(b"k", 4);
        assert!(s.end.is_empty());
    }

    #[test]
    fn groups_do_not_depend_on_key_order() {
        // Offline reads may hand keys over in revision order, not key order.
        let keys: Vec<String> = (0..300)
            .map(|i| match i % 3 {
                0 => format!("/registry/pods/ns{}/p{i}", i % 7),
                1 => format!("/registry/apps/deployments/ns{}/d{i}", i % 5),
                _ => format!("/registry/minions/n{i}"),
            })
            .chain(["/other/key".to_string()])
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        let (mut a, mut b) = (Groups::new(), Groups::new());
        for k in &keys {
            a.add(k.as_bytes(), Some(3));
        }
        for k in &sorted {
            b.add(k.as_bytes(), Some(3));
        }
        let (ra, oa) = a.finish();
        let (rb, ob) = b.finish();
        assert_eq!(ra, rb);
        assert_eq!(oa, ob);
        assert_eq!(ra.iter().map(|(_, s)| s.keys).sum::<u64>(), 300);
    }
}
