//! A small read-only reader of bbolt files (etcd's backend database).
//!
//! Written here rather than taken from `bbolt-rs` because that crate refuses
//! etcd 3.4's files (`InvalidDatabase`): etcd does not sync bbolt's freelist,
//! so the meta page's freelist id is `0xFFFF_FFFF_FFFF_FFFF`, which bbolt-rs
//! treats as corruption although both meta pages check out. We never need the
//! freelist to read, so this reader ignores it.
//!
//! What it owns: the on-disk layout (meta pages with their FNV-64a checksum,
//! the valid meta with the higher transaction id, branch/leaf/overflow pages,
//! inline buckets) and an in-order walk of one bucket. It reads from any byte
//! slice (an mmap of the file in [`super::OfflineStore`]); it never writes.
//!
//! Bounds: every page id is checked against the meta's high-water mark and
//! the length of the bytes; every element offset against its page; the walk
//! keeps an explicit stack no deeper than [`MAX_DEPTH`] and never recurses,
//! so hostile input gives an error, never a panic or unbounded memory.
//!
//! Layout (bbolt 1.3, little-endian as written on amd64/arm64): a page starts
//! with a 16-byte header {id u64, flags u16, count u16, overflow u32}; flags
//! 0x01 branch, 0x02 leaf, 0x04 meta, 0x10 freelist. A meta (after the
//! header) is {magic u32 = 0xED0CDAED, version u32 = 2, page_size u32,
//! flags u32, root {pgid u64, sequence u64}, freelist u64, pgid u64 (pages
//! in use), txid u64, checksum u64 = FNV-64a of the 56 bytes before it}.
//! Branch elements are {pos u32, ksize u32, pgid u64}; leaf elements
//! {flags u32, pos u32, ksize u32, vsize u32}, pos counted from the element's
//! own address; leaf flag 0x01 marks a nested bucket whose value is
//! {root u64, sequence u64} and, when root is 0, an inline page right after.

use std::ops::ControlFlow;

/// Deepest branch nesting accepted (bucket nesting included). A real bbolt
/// tree of 4 KiB pages holding 2^64 keys is far shallower.
pub const MAX_DEPTH: usize = 32;

const PAGE_HEADER: usize = 16;
const ELEM: usize = 16;
const MAGIC: u32 = 0xED0C_DAED;
const VERSION: u32 = 2;
const FLAG_BRANCH: u16 = 0x01;
const FLAG_LEAF: u16 = 0x02;
const FLAG_META: u16 = 0x04;
const FLAG_FREELIST: u16 = 0x10;
const BUCKET_LEAF_FLAG: u32 = 0x01;

/// What went wrong reading the bytes; the caller adds the file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoltError {
    #[error("{len} bytes: too short for a bbolt database (two meta pages needed)")]
    TooShort { len: usize },
    #[error("no valid meta page: page 0 {meta0}; page 1 {meta1}")]
    NoValidMeta { meta0: String, meta1: String },
    #[error("page {pgid} (offset {offset}): {what}")]
    Page {
        pgid: u64,
        offset: u64,
        what: String,
    },
    #[error("bucket {bucket:?}: {what}")]
    Bucket { bucket: String, what: String },
    #[error("tree deeper than {MAX_DEPTH} levels at page {pgid}: a cycle or damage")]
    TooDeep { pgid: u64 },
    #[error("page {pgid} sits where the tree's leaves are but is not a leaf")]
    NotLeaf { pgid: u64 },
}

/// One checked meta page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// Which meta page (0 or 1) this is.
    pub page: u64,
    pub page_size: u32,
    pub root: u64,
    pub freelist: u64,
    /// Number of pages in use (the high-water mark): every valid page id is below it.
    pub pgid: u64,
    pub txid: u64,
}

/// bbolt's name for a page type.
fn page_type(flags: u16) -> &'static str {
    if flags & FLAG_BRANCH != 0 {
        "branch"
    } else if flags & FLAG_LEAF != 0 {
        "leaf"
    } else if flags & FLAG_META != 0 {
        "meta"
    } else if flags & FLAG_FREELIST != 0 {
        "freelist"
    } else {
        "unknown"
    }
}

/// FNV-64a, bbolt's meta checksum.
pub fn fnv64a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

/// Checks the meta page found at `offset`, expected to be page `page`.
fn read_meta(data: &[u8], offset: usize, page: u64) -> Result<Meta, String> {
    let m = offset + PAGE_HEADER;
    let get32 = |at: usize| u32_at(data, m + at).ok_or_else(|| "cut short".to_string());
    let get64 = |at: usize| u64_at(data, m + at).ok_or_else(|| "cut short".to_string());
    let id = u64_at(data, offset).ok_or("cut short")?;
    let flags = u16_at(data, offset + 8).ok_or("cut short")?;
    let magic = get32(0)?;
    if magic != MAGIC {
        return Err(format!("magic {magic:#010x}, expected {MAGIC:#010x}"));
    }
    let version = get32(4)?;
    if version != VERSION {
        return Err(format!("version {version}, expected {VERSION}"));
    }
    let sum = get64(56)?;
    let body = data.get(m..m + 56).ok_or("cut short")?;
    let want = fnv64a(body);
    if sum != want {
        return Err(format!(
            "checksum {sum:#018x}, expected {want:#018x} (FNV-64a)"
        ));
    }
    if id != page || flags & FLAG_META == 0 {
        return Err(format!(
            "header says page {id} flags {flags:#x}, expected page {page} meta"
        ));
    }
    let page_size = get32(8)?;
    if !(512..=1 << 20).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(format!(
            "page size {page_size} is not a power of two in 512..1MiB"
        ));
    }
    Ok(Meta {
        page,
        page_size,
        root: get64(16)?,
        freelist: get64(32)?,
        pgid: get64(40)?,
        txid: get64(48)?,
    })
}

/// A read-only view of a bbolt database held in `data`.
#[derive(Debug, Clone, Copy)]
pub struct Bolt<'a> {
    data: &'a [u8],
    meta: Meta,
    /// The meta page that was rejected, if one was (and why).
    pub rejected: Option<(u64, &'static str)>,
}

/// A key and its value, borrowed from the file.
pub type KeyValue<'a> = (&'a [u8], &'a [u8]);

/// A page to read: a page of the file (id known) or an inline bucket page.
#[derive(Debug, Clone, Copy)]
struct PageRef<'a> {
    bytes: &'a [u8],
    pgid: u64,
    offset: u64,
}

/// One leaf page of a bucket (see [`Bolt::leaves`]): either already read
/// (a bucket whose root is a leaf), or only named by its parent branch, so
/// that the thread which reads its items is the first to touch it.
#[derive(Debug, Clone, Copy)]
pub struct Leaf<'a>(LeafAt<'a>);

impl Leaf<'_> {
    /// The page number of a leaf named by its parent and not read yet.
    pub fn named(&self) -> Option<u64> {
        match self.0 {
            LeafAt::Read(_) => None,
            LeafAt::Named(pgid) => Some(pgid),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum LeafAt<'a> {
    Read(PageRef<'a>),
    Named(u64),
}

/// A nested bucket's root, as found in its parent's leaf.
#[derive(Debug, Clone, Copy)]
pub struct BucketRef<'a> {
    root: u64,
    inline: Option<(&'a [u8], u64)>,
}

impl<'a> Bolt<'a> {
    /// Checks both meta pages and keeps the valid one with the higher txid.
    pub fn new(data: &'a [u8]) -> Result<Bolt<'a>, BoltError> {
        if data.len() < 2 * 512 {
            return Err(BoltError::TooShort { len: data.len() });
        }
        let m0 = read_meta(data, 0, 0);
        // Page 1 sits one page size in: take it from meta 0 when valid, else
        // try the sizes bbolt uses (the OS page size, typically 4096).
        let m1 = match &m0 {
            Ok(m) => read_meta(data, m.page_size as usize, 1),
            Err(_) => {
                // Keep the most telling error: from a candidate whose magic matched.
                let mut best = None;
                let mut fallback = None;
                let mut found = None;
                for ps in [4096usize, 16384, 65536, 8192, 2048, 1024, 512, 32768] {
                    match read_meta(data, ps, 1) {
                        Ok(m) if m.page_size as usize == ps => {
                            found = Some(m);
                            break;
                        }
                        Ok(_) => {}
                        Err(e) if !e.starts_with("magic") && !e.starts_with("cut") => {
                            best.get_or_insert(e);
                        }
                        Err(e) if ps == 4096 => fallback = Some(e),
                        Err(_) => {}
                    }
                }
                found.ok_or_else(|| {
                    best.or(fallback)
                        .unwrap_or_else(|| "no meta page found".into())
                })
            }
        };
        let (meta, rejected) = match (m0, m1) {
            (Ok(a), Ok(b)) => (if b.txid > a.txid { b } else { a }, None),
            (Ok(a), Err(_)) => (a, Some((1, "bad meta page"))),
            (Err(_), Ok(b)) => (b, Some((0, "bad meta page"))),
            (Err(meta0), Err(meta1)) => return Err(BoltError::NoValidMeta { meta0, meta1 }),
        };
        Ok(Bolt {
            data,
            meta,
            rejected,
        })
    }

    pub fn meta(&self) -> Meta {
        self.meta
    }

    pub fn page_size(&self) -> usize {
        self.meta.page_size as usize
    }

    fn err(&self, pgid: u64, what: impl Into<String>) -> BoltError {
        BoltError::Page {
            pgid,
            offset: pgid.saturating_mul(u64::from(self.meta.page_size)),
            what: what.into(),
        }
    }

    /// The bytes of page `pgid` (with its overflow pages), bounds-checked.
    fn page(&self, pgid: u64) -> Result<PageRef<'a>, BoltError> {
        if pgid < 2 {
            return Err(self.err(pgid, "a tree points at a meta page"));
        }
        if pgid >= self.meta.pgid {
            return Err(self.err(
                pgid,
                format!(
                    "beyond the {} pages the meta says are in use",
                    self.meta.pgid
                ),
            ));
        }
        let ps = u64::from(self.meta.page_size);
        let start = pgid
            .checked_mul(ps)
            .filter(|s| s.saturating_add(PAGE_HEADER as u64) <= self.data.len() as u64)
            .ok_or_else(|| {
                self.err(
                    pgid,
                    format!(
                        "past the end of the {} bytes read (file cut short?)",
                        self.data.len()
                    ),
                )
            })? as usize;
        let overflow = u32_at(self.data, start + 12).unwrap_or(0);
        let len = (u64::from(overflow) + 1).saturating_mul(ps);
        let end = (start as u64).saturating_add(len);
        if end > self.data.len() as u64 {
            return Err(self.err(
                pgid,
                format!(
                    "{overflow} overflow pages run past the end of the {} bytes read",
                    self.data.len()
                ),
            ));
        }
        let bytes = &self.data[start..end as usize];
        let id = u64_at(bytes, 0).unwrap_or(u64::MAX);
        if id != pgid {
            return Err(self.err(pgid, format!("header says page {id}")));
        }
        Ok(PageRef {
            bytes,
            pgid,
            offset: start as u64,
        })
    }

    /// The root bucket (the bucket of buckets).
    pub fn root(&self) -> BucketRef<'a> {
        BucketRef {
            root: self.meta.root,
            inline: None,
        }
    }

    /// A top-level bucket by name; None when absent.
    pub fn bucket(&self, name: &[u8]) -> Result<Option<BucketRef<'a>>, BoltError> {
        let mut found = None;
        self.walk(self.root(), &mut |k, v, flags| {
            if k == name {
                if flags & BUCKET_LEAF_FLAG == 0 {
                    return Ok(ControlFlow::Break(()));
                }
                found = Some(self.bucket_value(name, v)?);
                return Ok(ControlFlow::Break(()));
            }
            Ok(ControlFlow::Continue(()))
        })?;
        Ok(found)
    }

    /// Every top-level bucket name, in order.
    pub fn bucket_names(&self) -> Result<Vec<&'a [u8]>, BoltError> {
        let mut out = Vec::new();
        self.walk(self.root(), &mut |k, _v, flags| {
            if flags & BUCKET_LEAF_FLAG != 0 {
                out.push(k);
            }
            Ok(ControlFlow::Continue(()))
        })?;
        Ok(out)
    }

    /// Decodes a bucket value {root, sequence[, inline page]}.
    pub fn bucket_value(&self, name: &[u8], v: &'a [u8]) -> Result<BucketRef<'a>, BoltError> {
        let root = u64_at(v, 0).ok_or_else(|| BoltError::Bucket {
            bucket: String::from_utf8_lossy(name).into_owned(),
            what: format!("bucket header is {} bytes, expected 16", v.len()),
        })?;
        if root == 0 {
            let page = v
                .get(16..)
                .filter(|p| p.len() >= PAGE_HEADER)
                .ok_or_else(|| BoltError::Bucket {
                    bucket: String::from_utf8_lossy(name).into_owned(),
                    what: "inline bucket without its page".into(),
                })?;
            // An inline page has no file offset; report the parent's
            // address range is not known here, so offset 0 with pgid 0.
            Ok(BucketRef {
                root: 0,
                inline: Some((page, 0)),
            })
        } else {
            Ok(BucketRef { root, inline: None })
        }
    }

    /// Visits every (key, value, leaf flags) of a bucket in key order.
    /// `f` returns Break to stop early (the walk then returns Ok). Values of nested buckets are their
    /// raw bucket headers (see [`Bolt::bucket_value`]).
    pub fn walk(
        &self,
        bucket: BucketRef<'a>,
        f: &mut dyn FnMut(&'a [u8], &'a [u8], u32) -> Result<ControlFlow<()>, BoltError>,
    ) -> Result<(), BoltError> {
        self.walk_pages(bucket, &mut |p| {
            let count = usize::from(u16_at(p.bytes, 10).unwrap_or(0));
            for i in 0..count {
                let (k, v, fl) = self.leaf_elem(&p, i)?;
                if f(k, v, fl)?.is_break() {
                    return Ok(ControlFlow::Break(()));
                }
            }
            Ok(ControlFlow::Continue(()))
        })
    }

    /// A bucket's root: its inline page, or page `root` of the file.
    fn root_page(&self, bucket: BucketRef<'a>) -> Result<PageRef<'a>, BoltError> {
        Ok(match bucket.inline {
            Some((bytes, off)) => PageRef {
                bytes,
                pgid: 0,
                offset: off,
            },
            None => self.page(bucket.root)?,
        })
    }

    /// A bucket's leaf pages in key order, found by reading only its
    /// branch pages, so that several threads can each read a share of the
    /// leaves ([`Bolt::leaf_items`]) and the first touch of each leaf page
    /// (a page fault, on a mapping) happens on the thread that reads it.
    /// bbolt keeps every leaf at the same depth, found by following first
    /// children; the children of the branches just above that depth are
    /// named without being read. A page named so that is not a leaf makes
    /// [`Bolt::leaf_items`] fail with [`BoltError::NotLeaf`];
    /// [`Bolt::leaves_read`] reads every page instead.
    pub fn leaves(&self, bucket: BucketRef<'a>) -> Result<Vec<Leaf<'a>>, BoltError> {
        let first = self.root_page(bucket)?;
        let mut depth = 0usize;
        let mut p = first;
        loop {
            let (flags, count) = self.node_header(&p)?;
            if flags & FLAG_LEAF != 0 || count == 0 {
                break;
            }
            if flags & FLAG_BRANCH == 0 || bucket.inline.is_some() {
                return self.leaves_read(bucket);
            }
            depth += 1;
            if depth > MAX_DEPTH {
                return Err(BoltError::TooDeep { pgid: p.pgid });
            }
            p = self.page(u64_at(p.bytes, PAGE_HEADER + 8).unwrap_or(0))?;
        }
        if depth == 0 {
            return Ok(vec![Leaf(LeafAt::Read(first))]);
        }
        let mut level = vec![first];
        let mut visits: u64 = 1;
        let mut out = Vec::new();
        for d in 1..=depth {
            let mut next = Vec::new();
            for bp in &level {
                let (flags, count) = self.node_header(bp)?;
                if flags & FLAG_BRANCH == 0 {
                    // A leaf above the leaves' depth: not a tree bbolt
                    // writes; read it page by page.
                    return self.leaves_read(bucket);
                }
                for i in 0..count {
                    let child = u64_at(bp.bytes, PAGE_HEADER + i * ELEM + 8).unwrap_or(0);
                    visits += 1;
                    if visits > self.meta.pgid.saturating_add(1) {
                        return Err(self.page_err(
                            bp,
                            "visited twice: the tree has a cycle or shared pages".into(),
                        ));
                    }
                    if d == depth {
                        out.push(Leaf(LeafAt::Named(child)));
                    } else {
                        next.push(self.page(child)?);
                    }
                }
            }
            level = next;
        }
        Ok(out)
    }

    /// [`Bolt::leaves`], reading every page on the way (any tree shape).
    pub fn leaves_read(&self, bucket: BucketRef<'a>) -> Result<Vec<Leaf<'a>>, BoltError> {
        let mut out = Vec::new();
        self.walk_pages(bucket, &mut |p| {
            out.push(Leaf(LeafAt::Read(p)));
            Ok(ControlFlow::Continue(()))
        })?;
        Ok(out)
    }

    /// A page's flags and element count, the count checked to fit.
    fn node_header(&self, p: &PageRef<'a>) -> Result<(u16, usize), BoltError> {
        let flags = u16_at(p.bytes, 8).unwrap_or(0);
        let count = usize::from(u16_at(p.bytes, 10).unwrap_or(0));
        if count.saturating_mul(ELEM).saturating_add(PAGE_HEADER) > p.bytes.len() {
            return Err(self.page_err(p, format!("{count} elements do not fit the page")));
        }
        Ok((flags, count))
    }

    /// Pages the meta says are in use.
    pub fn pages_in_use(&self) -> u64 {
        self.meta.pgid
    }

    /// `len` bytes of the file at `offset`, if in bounds.
    pub fn bytes_at(&self, offset: u64, len: usize) -> Option<&'a [u8]> {
        let start = usize::try_from(offset).ok()?;
        self.data.get(start..start.checked_add(len)?)
    }

    /// [`Bolt::leaf_items`] on a copy of leaf page `pgid`: `bytes` starts
    /// at the page's first byte. `Ok(None)` when the page (with its
    /// overflow pages) runs past `bytes`: read it through the mapping.
    pub fn leaf_items_copied<'b>(
        &self,
        pgid: u64,
        bytes: &'b [u8],
        f: &mut dyn FnMut(&'b [u8], &'b [u8], u32) -> Result<ControlFlow<()>, BoltError>,
    ) -> Result<Option<ControlFlow<()>>, BoltError> {
        let ps = u64::from(self.meta.page_size);
        let Some(overflow) = u32_at(bytes, 12) else {
            return Ok(None);
        };
        let len = (u64::from(overflow) + 1).saturating_mul(ps);
        let Some(bytes) = usize::try_from(len).ok().and_then(|l| bytes.get(..l)) else {
            return Ok(None);
        };
        let p = PageRef {
            bytes,
            pgid,
            offset: pgid.saturating_mul(ps),
        };
        let id = u64_at(bytes, 0).unwrap_or(u64::MAX);
        if id != pgid {
            return Err(self.err(pgid, format!("header says page {id}")));
        }
        let (flags, count) = self.node_header(&p)?;
        if flags & FLAG_LEAF == 0 {
            return Err(BoltError::NotLeaf { pgid });
        }
        for i in 0..count {
            let Some((k, v, fl)) = elem_in(bytes, i) else {
                return Err(self.page_err(&p, format!("element {i} runs past the page")));
            };
            if f(k, v, fl)?.is_break() {
                return Ok(Some(ControlFlow::Break(())));
            }
        }
        Ok(Some(ControlFlow::Continue(())))
    }

    /// Visits every (key, value, leaf flags) of one leaf page, in order;
    /// `f` returns Break to stop early.
    pub fn leaf_items(
        &self,
        leaf: &Leaf<'a>,
        f: &mut dyn FnMut(&'a [u8], &'a [u8], u32) -> Result<ControlFlow<()>, BoltError>,
    ) -> Result<ControlFlow<()>, BoltError> {
        let p = match leaf.0 {
            LeafAt::Read(p) => p,
            LeafAt::Named(pgid) => {
                let p = self.page(pgid)?;
                let (flags, _) = self.node_header(&p)?;
                if flags & FLAG_LEAF == 0 {
                    return Err(BoltError::NotLeaf { pgid });
                }
                p
            }
        };
        let count = usize::from(u16_at(p.bytes, 10).unwrap_or(0));
        for i in 0..count {
            let (k, v, fl) = self.leaf_elem(&p, i)?;
            if f(k, v, fl)?.is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
        Ok(ControlFlow::Continue(()))
    }

    /// Visits a bucket's leaf pages in key order (element counts checked
    /// against the page size); `on_leaf` returns Break to stop early.
    fn walk_pages(
        &self,
        bucket: BucketRef<'a>,
        on_leaf: &mut dyn FnMut(PageRef<'a>) -> Result<ControlFlow<()>, BoltError>,
    ) -> Result<(), BoltError> {
        let first = self.root_page(bucket)?;
        // Explicit stack of (branch page, next element index).
        let mut stack: Vec<(PageRef<'a>, usize)> = Vec::with_capacity(8);
        let mut cur = Some(first);
        // A sound tree visits each page once: more visits than pages in use
        // means pages are shared or cyclic (hostile input); stop there.
        let mut visits: u64 = 0;
        loop {
            if let Some(p) = cur.take() {
                visits += 1;
                if visits > self.meta.pgid.saturating_add(1) {
                    return Err(self.page_err(
                        &p,
                        "visited twice: the tree has a cycle or shared pages".into(),
                    ));
                }
                let (flags, _) = self.node_header(&p)?;
                if flags & FLAG_LEAF != 0 {
                    if on_leaf(p)?.is_break() {
                        return Ok(());
                    }
                } else if flags & FLAG_BRANCH != 0 {
                    if bucket.inline.is_some() {
                        return Err(self.page_err(&p, "an inline bucket page is a branch".into()));
                    }
                    if stack.len() >= MAX_DEPTH {
                        return Err(BoltError::TooDeep { pgid: p.pgid });
                    }
                    stack.push((p, 0));
                } else {
                    return Err(self.page_err(
                        &p,
                        format!("flags {flags:#x}, expected a branch or leaf page"),
                    ));
                }
            }
            // Next child from the deepest branch with children left.
            let Some((bp, idx)) = stack.last_mut() else {
                return Ok(());
            };
            let count = usize::from(u16_at(bp.bytes, 10).unwrap_or(0));
            if *idx >= count {
                stack.pop();
                continue;
            }
            let at = PAGE_HEADER + *idx * ELEM;
            *idx += 1;
            let child = u64_at(bp.bytes, at + 8).unwrap_or(0);
            let bp = *bp;
            if child == bp.pgid {
                return Err(self.page_err(&bp, "a branch points at itself".into()));
            }
            cur = Some(self.page(child)?);
        }
    }

    /// The last (key, value) of a bucket, found by descending the last child
    /// of every branch; None for an empty bucket.
    pub fn last(&self, bucket: BucketRef<'a>) -> Result<Option<KeyValue<'a>>, BoltError> {
        let mut p = match bucket.inline {
            Some((bytes, off)) => PageRef {
                bytes,
                pgid: 0,
                offset: off,
            },
            None => self.page(bucket.root)?,
        };
        for _ in 0..=MAX_DEPTH {
            let (flags, count) = self.node_header(&p)?;
            if count == 0 {
                return Ok(None);
            }
            if flags & FLAG_LEAF != 0 {
                let (k, v, _) = self.leaf_elem(&p, count - 1)?;
                return Ok(Some((k, v)));
            }
            if flags & FLAG_BRANCH == 0 || bucket.inline.is_some() {
                return Err(self.page_err(
                    &p,
                    format!("flags {flags:#x}, expected a branch or leaf page"),
                ));
            }
            let child = u64_at(p.bytes, PAGE_HEADER + (count - 1) * ELEM + 8).unwrap_or(0);
            p = self.page(child)?;
        }
        Err(BoltError::TooDeep { pgid: p.pgid })
    }

    /// bbolt's own consistency check (`tx.Check()`), in its words: every
    /// page reachable once from the root, none both reachable and free,
    /// none unreachable and not free. With an unsynced freelist (etcd's
    /// default: freelist id past the end) bbolt rebuilds the freelist from
    /// the unreachable pages, so only references are checked.
    pub fn check(&self) -> Vec<String> {
        const MAX_ERRORS: usize = 100;
        let n = self.meta.pgid;
        let ps = self.meta.page_size as u64;
        let mut errs = Vec::new();
        if n.saturating_mul(ps) > self.data.len() as u64 {
            errs.push(format!(
                "{n} pages of {ps} bytes are in use but the file has {} bytes",
                self.data.len()
            ));
            return errs;
        }
        let n = n as usize;
        let mut reach = vec![false; n];
        let mut freed = vec![false; n];
        reach[0] = true;
        if n > 1 {
            reach[1] = true;
        }
        let synced = self.meta.freelist < self.meta.pgid;
        if synced {
            match self.page_any(self.meta.freelist) {
                Ok(p) if u16_at(p.bytes, 8).unwrap_or(0) & FLAG_FREELIST == 0 => {
                    errs.push(format!(
                        "invalid freelist page: {}, page type is {}",
                        self.meta.freelist,
                        page_type(u16_at(p.bytes, 8).unwrap_or(0))
                    ));
                    return errs;
                }
                Ok(p) => {
                    let overflow = u32_at(p.bytes, 12).unwrap_or(0) as usize;
                    for i in 0..=overflow {
                        if let Some(r) = reach.get_mut(self.meta.freelist as usize + i) {
                            *r = true;
                        }
                    }
                    let mut count = usize::from(u16_at(p.bytes, 10).unwrap_or(0));
                    let mut at = PAGE_HEADER;
                    if count == 0xFFFF {
                        count = u64_at(p.bytes, PAGE_HEADER).unwrap_or(0) as usize;
                        at += 8;
                    }
                    for i in 0..count {
                        let Some(id) = u64_at(p.bytes, at + i * 8) else {
                            errs.push(format!("page {}: freelist cut short", self.meta.freelist));
                            break;
                        };
                        match freed.get_mut(id as usize) {
                            Some(f) if *f => errs.push(format!("page {id}: already freed")),
                            Some(f) => *f = true,
                            None => errs.push(format!("page {id}: out of bounds: {n} (freelist)")),
                        }
                    }
                }
                Err(e) => errs.push(e.to_string()),
            }
        }
        // Explicit stack of pages to visit (each marked when pushed once).
        let mut stack: Vec<u64> = vec![self.meta.root];
        while let Some(id) = stack.pop() {
            if errs.len() >= MAX_ERRORS {
                break;
            }
            if (id as usize) >= n {
                errs.push(format!("page {id}: out of bounds: {n}"));
                continue;
            }
            let p = match self.page_any(id) {
                Ok(p) => p,
                Err(e) => {
                    errs.push(e.to_string());
                    continue;
                }
            };
            let overflow = u32_at(p.bytes, 12).unwrap_or(0) as usize;
            let mut again = false;
            for i in 0..=overflow {
                let j = id as usize + i;
                if j >= n {
                    errs.push(format!("page {j}: out of bounds: {n}"));
                    break;
                }
                if reach[j] {
                    errs.push(format!("page {j}: multiple references"));
                    again = true;
                }
                reach[j] = true;
                if freed[j] {
                    errs.push(format!("page {j}: reachable freed"));
                }
            }
            if again {
                continue;
            }
            let flags = u16_at(p.bytes, 8).unwrap_or(0);
            let count = usize::from(u16_at(p.bytes, 10).unwrap_or(0));
            if flags & FLAG_BRANCH != 0 {
                for i in 0..count {
                    match u64_at(p.bytes, PAGE_HEADER + i * ELEM + 8) {
                        Some(c) => stack.push(c),
                        None => errs.push(format!("page {id}: element {i} cut short")),
                    }
                }
            } else if flags & FLAG_LEAF != 0 {
                for i in 0..count {
                    match self.leaf_elem(&p, i) {
                        Ok((_, v, fl)) if fl & BUCKET_LEAF_FLAG != 0 => {
                            if let Some(root) = u64_at(v, 0).filter(|r| *r != 0) {
                                stack.push(root);
                            }
                        }
                        Ok(_) => {}
                        Err(e) => errs.push(e.to_string()),
                    }
                }
            } else {
                errs.push(format!("page {id}: invalid type: flags {flags:#x}"));
            }
        }
        if synced {
            for i in 0..n {
                if !reach[i] && !freed[i] {
                    errs.push(format!("page {i}: unreachable unfreed"));
                    if errs.len() >= MAX_ERRORS {
                        break;
                    }
                }
            }
        }
        errs
    }

    /// Like `page` but accepts any id below the high-water mark (the
    /// freelist page too).
    fn page_any(&self, pgid: u64) -> Result<PageRef<'a>, BoltError> {
        if pgid < 2 {
            return Err(self.err(pgid, "a tree points at a meta page"));
        }
        self.page(pgid)
    }

    fn page_err(&self, p: &PageRef<'_>, what: String) -> BoltError {
        if p.pgid == 0 {
            BoltError::Page {
                pgid: 0,
                offset: p.offset,
                what: format!("inline bucket page: {what}"),
            }
        } else {
            BoltError::Page {
                pgid: p.pgid,
                offset: p.offset,
                what,
            }
        }
    }

    fn leaf_elem(&self, p: &PageRef<'a>, i: usize) -> Result<(&'a [u8], &'a [u8], u32), BoltError> {
        if let Some(e) = elem_in(p.bytes, i) {
            return Ok(e);
        }
        let at = PAGE_HEADER + i * ELEM;
        let b = p.bytes;
        let (Some(pos), Some(ksize), Some(vsize)) =
            (u32_at(b, at + 4), u32_at(b, at + 8), u32_at(b, at + 12))
        else {
            return Err(self.page_err(p, format!("element {i} cut short")));
        };
        Err(self.page_err(
            p,
            format!("element {i} (pos {pos}, key {ksize} B, value {vsize} B) runs past the page"),
        ))
    }
}

/// Element `i` of a leaf page's bytes: (key, value, flags); None when it
/// runs past them.
fn elem_in(b: &[u8], i: usize) -> Option<(&[u8], &[u8], u32)> {
    let at = PAGE_HEADER + i * ELEM;
    let (flags, pos, ksize, vsize) = (
        u32_at(b, at)?,
        u32_at(b, at + 4)?,
        u32_at(b, at + 8)?,
        u32_at(b, at + 12)?,
    );
    let ks = at.checked_add(pos as usize)?;
    let ke = ks.checked_add(ksize as usize)?;
    let ve = ke.checked_add(vsize as usize)?;
    Some((b.get(ks..ke)?, b.get(ke..ve)?, flags))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a bbolt file by hand: meta pages, then the given pages.
    pub(crate) struct Builder {
        pub ps: usize,
        pub pages: Vec<Vec<u8>>,
    }

    pub(crate) fn meta_page(ps: usize, id: u64, root: u64, pgid: u64, txid: u64) -> Vec<u8> {
        let mut p = vec![0u8; ps];
        p[0..8].copy_from_slice(&id.to_le_bytes());
        p[8..10].copy_from_slice(&FLAG_META.to_le_bytes());
        let m = 16;
        p[m..m + 4].copy_from_slice(&MAGIC.to_le_bytes());
        p[m + 4..m + 8].copy_from_slice(&VERSION.to_le_bytes());
        p[m + 8..m + 12].copy_from_slice(&(ps as u32).to_le_bytes());
        p[m + 16..m + 24].copy_from_slice(&root.to_le_bytes());
        p[m + 32..m + 40].copy_from_slice(&u64::MAX.to_le_bytes());
        p[m + 40..m + 48].copy_from_slice(&pgid.to_le_bytes());
        p[m + 48..m + 56].copy_from_slice(&txid.to_le_bytes());
        let sum = fnv64a(&p[m..m + 56]);
        p[m + 56..m + 64].copy_from_slice(&sum.to_le_bytes());
        p
    }

    /// A leaf page body (header + elements + data) with id `id`.
    pub(crate) fn leaf(id: u64, items: &[(&[u8], &[u8], u32)], size: usize) -> Vec<u8> {
        let mut p = vec![0u8; PAGE_HEADER + items.len() * ELEM];
        p[0..8].copy_from_slice(&id.to_le_bytes());
        p[8..10].copy_from_slice(&FLAG_LEAF.to_le_bytes());
        p[10..12].copy_from_slice(&(items.len() as u16).to_le_bytes());
        for (i, (k, v, fl)) in items.iter().enumerate() {
            let at = PAGE_HEADER + i * ELEM;
            let pos = p.len() - at;
            p[at..at + 4].copy_from_slice(&fl.to_le_bytes());
            p[at + 4..at + 8].copy_from_slice(&(pos as u32).to_le_bytes());
            p[at + 8..at + 12].copy_from_slice(&(k.len() as u32).to_le_bytes());
            p[at + 12..at + 16].copy_from_slice(&(v.len() as u32).to_le_bytes());
            p.extend_from_slice(k);
            p.extend_from_slice(v);
        }
        if size > 0 {
            let pages = p.len().div_ceil(size);
            p[12..16].copy_from_slice(&((pages - 1) as u32).to_le_bytes());
            p.resize(pages * size, 0);
        }
        p
    }

    pub(crate) fn branch(id: u64, children: &[(&[u8], u64)], size: usize) -> Vec<u8> {
        let mut p = vec![0u8; PAGE_HEADER + children.len() * ELEM];
        p[0..8].copy_from_slice(&id.to_le_bytes());
        p[8..10].copy_from_slice(&FLAG_BRANCH.to_le_bytes());
        p[10..12].copy_from_slice(&(children.len() as u16).to_le_bytes());
        for (i, (k, child)) in children.iter().enumerate() {
            let at = PAGE_HEADER + i * ELEM;
            let pos = p.len() - at;
            p[at..at + 4].copy_from_slice(&(pos as u32).to_le_bytes());
            p[at + 4..at + 8].copy_from_slice(&(k.len() as u32).to_le_bytes());
            p[at + 8..at + 16].copy_from_slice(&child.to_le_bytes());
            p.extend_from_slice(k);
        }
        p.resize(size, 0);
        p
    }

    pub(crate) fn bucket_header(root: u64) -> Vec<u8> {
        let mut v = root.to_le_bytes().to_vec();
        v.extend_from_slice(&0u64.to_le_bytes());
        v
    }

    impl Builder {
        pub(crate) fn build(&self, root: u64, txid: u64) -> Vec<u8> {
            let npages: usize = 2 + self.pages.iter().map(|p| p.len() / self.ps).sum::<usize>();
            let mut out = meta_page(self.ps, 0, root, npages as u64, txid);
            out.extend(meta_page(
                self.ps,
                1,
                root,
                npages as u64,
                txid.saturating_sub(1),
            ));
            for p in &self.pages {
                out.extend_from_slice(p);
            }
            out
        }
    }

    fn sample() -> Vec<u8> {
        let ps = 512;
        // page 2: root leaf with bucket "b" at page 3 (a branch) and inline bucket "i"
        let mut inline = bucket_header(0);
        inline.extend(leaf(0, &[(b"x", b"1", 0), (b"y", b"2", 0)], 0));
        let root = leaf(2, &[(b"b", &bucket_header(3), 1), (b"i", &inline, 1)], ps);
        let br = branch(3, &[(b"a", 4), (b"m", 5)], ps);
        let l1 = leaf(4, &[(b"a", b"va", 0), (b"c", b"vc", 0)], ps);
        let big = vec![7u8; 700];
        let l2 = leaf(5, &[(b"m", &big, 0), (b"z", b"vz", 0)], ps);
        Builder {
            ps,
            pages: vec![root, br, l1, l2],
        }
        .build(2, 5)
    }

    fn all(db: &Bolt<'_>, name: &[u8]) -> Result<Vec<(Vec<u8>, usize)>, BoltError> {
        let b = db.bucket(name)?.ok_or_else(|| BoltError::Bucket {
            bucket: "?".into(),
            what: "absent".into(),
        })?;
        let mut out = Vec::new();
        db.walk(b, &mut |k, v, _| {
            out.push((k.to_vec(), v.len()));
            Ok(ControlFlow::Continue(()))
        })?;
        Ok(out)
    }

    #[test]
    fn walks_branches_overflow_and_inline_buckets() {
        let data = sample();
        let db = Bolt::new(&data).expect("valid");
        assert_eq!(db.meta().txid, 5);
        assert_eq!(db.meta().page, 0);
        assert_eq!(db.bucket_names().unwrap(), vec![&b"b"[..], &b"i"[..]]);
        let got = all(&db, b"b").unwrap();
        assert_eq!(
            got,
            vec![
                (b"a".to_vec(), 2),
                (b"c".to_vec(), 2),
                (b"m".to_vec(), 700),
                (b"z".to_vec(), 2)
            ]
        );
        assert_eq!(
            all(&db, b"i").unwrap(),
            vec![(b"x".to_vec(), 1), (b"y".to_vec(), 1)]
        );
        assert!(db.bucket(b"nope").unwrap().is_none());
    }

    #[test]
    fn one_bad_meta_falls_back_to_the_other() {
        let mut data = sample();
        // Spoil meta 0's txid: its checksum no longer matches, meta 1 (txid 4) is used.
        data[16 + 48] ^= 0xff;
        let db = Bolt::new(&data).expect("meta 1 still valid");
        assert_eq!(db.meta().page, 1);
        assert_eq!(db.meta().txid, 4);
        assert_eq!(db.rejected.map(|r| r.0), Some(0));
        assert_eq!(all(&db, b"b").unwrap().len(), 4);
        // Both bad: a clear error naming both.
        data[512 + 16 + 48] ^= 0xff;
        let e = Bolt::new(&data).unwrap_err().to_string();
        assert!(
            e.contains("page 0 checksum") && e.contains("page 1 checksum"),
            "{e}"
        );
    }

    #[test]
    fn higher_txid_wins() {
        let mut data = sample();
        let m1 = meta_page(512, 1, 2, 6, 9);
        data[512..1024].copy_from_slice(&m1);
        let db = Bolt::new(&data).unwrap();
        assert_eq!((db.meta().page, db.meta().txid), (1, 9));
    }

    #[test]
    fn truncated_file_and_bad_pointers_are_errors() {
        let data = sample();
        let cut = &data[..data.len() - 600];
        let db = Bolt::new(cut).unwrap();
        let e = all(&db, b"b").unwrap_err().to_string();
        assert!(e.contains("page 5") && e.contains("past the end"), "{e}");
        // A branch pointing at itself.
        let mut d2 = data.clone();
        let at = 3 * 512 + 16 + 8;
        d2[at..at + 8].copy_from_slice(&3u64.to_le_bytes());
        let db = Bolt::new(&d2).unwrap();
        assert!(all(&db, b"b").unwrap_err().to_string().contains("itself"));
        // A branch pointing at another branch that points back (a cycle): depth bound.
        let mut d3 = data.clone();
        let at = 3 * 512 + 16 + 16 + 8;
        d3[at..at + 8].copy_from_slice(&2u64.to_le_bytes());
        let root_at = 2 * 512 + 8;
        d3[root_at..root_at + 2].copy_from_slice(&FLAG_BRANCH.to_le_bytes());
        let db = Bolt::new(&d3).unwrap();
        assert!(all(&db, b"b").is_err());
        assert!(matches!(
            Bolt::new(&data[..100]),
            Err(BoltError::TooShort { .. })
        ));
        assert!(matches!(
            Bolt::new(&[0u8; 8192]),
            Err(BoltError::NoValidMeta { .. })
        ));
    }

    #[test]
    fn garbage_never_panics() {
        let mut data = sample();
        let mut x: u32 = 12345;
        for round in 0..2000 {
            let mut d = data.clone();
            for _ in 0..8 {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let i = 1024 + (x as usize >> 4) % (d.len() - 1024);
                d[i] = (x >> 8) as u8;
            }
            if let Ok(db) = Bolt::new(&d) {
                let _ = db.bucket_names();
                let _ = all(&db, b"b");
                let _ = all(&db, b"i");
            }
            if round == 0 {
                data.truncate(data.len() - 1);
            }
        }
    }
}
