//! kubectl's YAML written straight from a stored protobuf object, with no
//! value tree in between: the fast path of `etcd get -o yaml`.
//!
//! [`render::render_object`] followed by [`yaml::to_yaml`] stays the
//! definition of the output; this writer gives the same bytes for the
//! objects it takes. It takes what stored objects nearly always are:
//! well-formed fields of Kubernetes 1.35's schema with the right wire
//! types, string map keys, each inlined struct at most once, nesting within
//! [`MAX_DEPTH`]. On anything else (damage, a wrong wire type, a field the
//! schema does not know, a message the plan cannot lay out) it
//! gives up, leaves `out` as it was and returns `false`, and the caller
//! renders that object through the tree, which knows how to show damage.
//! Secrets are left to the tree, which redacts them.
//!
//! How: each message's fields are collected (bytes borrowed, tagged with
//! their output slot), sorted by slot, and written in the order kubectl's
//! YAML has them — sorted by JSON name, inlined structs' fields among
//! their parent's. The order is computed once per message ([`Plan`]).
//! Tests compare both paths byte for byte over every fixture kind, the
//! corpus's auger values and random objects.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::OnceLock;

use base64::Engine as _;

use super::envelope::MAGIC;
use super::render::{self, MAX_DEPTH};
use super::schema::{self, Card, Field, Go, Scalar, Special, Ty};
use super::value::ApiValue;
use super::wire::{QuickFields, WireValue};
use super::yaml;

/// The direct path cannot write this object as the tree would; the
/// caller renders it through the tree.
#[derive(Debug)]
struct GiveUp;

type Res<T> = Result<T, GiveUp>;

/// Where the values of one field of a message go.
enum Route {
    /// Into output slot `rank` of the message's [`Plan::order`].
    Rank(u16),
    /// An inlined struct: its fields' slots, indexed by their slots in
    /// the child's own plan.
    Inline { child: u16, ranks: Box<[u16]> },
    /// `json:"-"`: never written.
    Skip,
}

/// How one message is written.
struct Plan {
    /// The fields in output order (sorted by JSON name), the fields of
    /// inlined structs among them. Copies, side by side, rather than
    /// pointers into the schema's table: a Pod's fields are spread over
    /// it, and loading each was a cache miss (a sixth of this writer's
    /// time in `body`).
    order: Box<[Field]>,
    /// By output slot: whether YAML writes the field's name as it is
    /// (nearly always), so it need not be checked each time.
    plain: Box<[bool]>,
    /// The output slots Go writes when the field is not stored (`null`
    /// for a list or map without `omitempty`, a zero scalar, a
    /// non-pointer struct), in order; most fields it leaves out.
    written_unset: Box<[u16]>,
    /// By field position in the schema's message.
    routes: Box<[Route]>,
    /// Field position by protobuf tag; `u16::MAX` for tags not in the
    /// schema.
    by_tag: Box<[u16]>,
}

/// Highest tag a plan indexes directly (Kubernetes' messages stay far
/// below it); a message with a larger tag gets no plan.
const MAX_PLANNED_TAG: u32 = 1024;

/// Deepest chain of inlined structs followed (Kubernetes has two).
const MAX_INLINE: usize = 4;

/// The plan of every message of the schema; `None` for the ones this
/// writer leaves to the tree (messages with a JSON form of their own,
/// inlined scalars or lists, names that collide once inlined).
fn plans() -> &'static [Option<Plan>] {
    static PLANS: OnceLock<Vec<Option<Plan>>> = OnceLock::new();
    PLANS.get_or_init(|| {
        let n = schema::messages().len();
        let mut built: Vec<Option<Option<Plan>>> = (0..n).map(|_| None).collect();
        for i in 0..n {
            build(i, &mut built, 0);
        }
        built.into_iter().map(Option::flatten).collect()
    })
}

/// Lays out every message's plan now (about a millisecond) rather than at
/// the first object: a caller that waits for its first values anyway
/// calls this meanwhile.
pub fn prepare() {
    plans();
}

fn build(i: usize, built: &mut [Option<Option<Plan>>], depth: usize) {
    if built[i].is_none() {
        let plan = make_plan(i, built, depth);
        built[i] = Some(plan);
    }
}

fn make_plan(i: usize, built: &mut [Option<Option<Plan>>], depth: usize) -> Option<Plan> {
    let index = u16::try_from(i).ok()?;
    if depth > MAX_INLINE || schema::special(index).is_some() {
        return None;
    }
    let msg = schema::message(index);
    let mut order: Vec<Field> = Vec::with_capacity(msg.fields.len());
    for f in msg.fields {
        if f.json == "-" {
            continue;
        }
        if f.go == Go::Inline {
            let (Ty::Msg(child), Card::One) = (f.ty, f.card) else {
                return None;
            };
            build(usize::from(child), built, depth + 1);
            let child_plan = built[usize::from(child)].as_ref()?.as_ref()?;
            order.extend(child_plan.order.iter().copied());
        } else {
            order.push(*f);
        }
    }
    order.sort_by(|a, b| a.json.cmp(b.json));
    if order.windows(2).any(|w| w[0].json == w[1].json) {
        return None;
    }
    let rank_of = |name: &str| {
        order
            .binary_search_by(|f| f.json.cmp(name))
            .ok()
            .and_then(|r| u16::try_from(r).ok())
    };
    let mut routes = Vec::with_capacity(msg.fields.len());
    for f in msg.fields {
        routes.push(if f.json == "-" {
            Route::Skip
        } else if f.go == Go::Inline {
            let Ty::Msg(child) = f.ty else {
                return None;
            };
            let child_plan = built[usize::from(child)].as_ref()?.as_ref()?;
            let ranks = child_plan
                .order
                .iter()
                .map(|cf| rank_of(cf.json))
                .collect::<Option<Vec<u16>>>()?;
            Route::Inline {
                child,
                ranks: ranks.into(),
            }
        } else {
            Route::Rank(rank_of(f.json)?)
        });
    }
    let top = msg.fields.iter().map(|f| f.tag).max().unwrap_or(0);
    if top > MAX_PLANNED_TAG {
        return None;
    }
    let mut by_tag = vec![u16::MAX; top as usize + 1];
    for (pos, f) in msg.fields.iter().enumerate() {
        let slot = &mut by_tag[f.tag as usize];
        // The tree takes the first field with a tag.
        if *slot == u16::MAX {
            *slot = u16::try_from(pos).ok()?;
        }
    }
    let plain = order
        .iter()
        .map(|f| f.json.len() < 1000 && yaml::string(f.json) == f.json)
        .collect();
    let written_unset = order
        .iter()
        .enumerate()
        .filter(|(_, f)| match (f.card, f.go, f.ty) {
            (Card::Map | Card::Rep, go, _) => go == Go::Always,
            (Card::One, Go::Always, _) => true,
            (Card::One, Go::OmitEmpty, Ty::Msg(_)) => true,
            (Card::One, _, _) => false,
        })
        .map(|(r, _)| u16::try_from(r).ok())
        .collect::<Option<_>>()?;
    Some(Plan {
        plain,
        written_unset,
        order: order.into(),
        routes: routes.into(),
        by_tag: by_tag.into(),
    })
}

/// A field about to be written, and whether its name is written as it is.
#[derive(Clone, Copy)]
struct Name(&'static Field, bool);

impl Name {
    /// `name:` (the line already indented).
    fn write(self, out: &mut String, ind: usize) {
        if self.1 {
            out.push_str(self.0.json);
            out.push(':');
        } else {
            yaml::write_key(out, self.0.json, ind);
        }
    }
}

/// One field value found in a message, tagged with its output slot.
#[derive(Clone, Copy)]
struct Found<'a> {
    rank: u16,
    value: WireValue<'a>,
}

/// Writes the object bytes (`runtime.Unknown.raw`) of an object of
/// `api_version`/`kind` to `out` as one YAML document (no `---`), exactly
/// as `yaml::to_yaml(&render_object(..).object)` would. Returns `false`,
/// with `out` unchanged, when the kind is not a built-in one or the
/// object is one this writer leaves to the tree.
pub fn write_object(out: &mut String, api_version: &str, kind: &str, raw: &[u8]) -> bool {
    let Some(index) = schema::message_for(api_version, kind) else {
        return false;
    };
    let start = out.len();
    let mut w = Writer {
        found: Vec::with_capacity(64),
    };
    let extras = [("apiVersion", api_version), ("kind", kind)];
    match w.body(out, raw, index, 0, 0, &extras) {
        Ok(_) => true,
        Err(GiveUp) => {
            out.truncate(start);
            false
        }
    }
}

/// A stored value (`k8s\0` envelope) as kubectl's YAML document, when the
/// direct path can write it: the envelope reads cleanly, names a built-in
/// kind, and is no Secret unless `show_secrets` (this writer does not
/// redact; the tree does).
pub fn stored_object(value: &[u8], show_secrets: bool) -> Option<String> {
    let mut out = String::new();
    write_stored(value, show_secrets, &mut out).then_some(out)
}

/// [`stored_object`] appended to `out` (a buffer kept across objects);
/// `false`, with `out` unchanged, when the direct path does not take it.
pub fn write_stored(value: &[u8], show_secrets: bool, out: &mut String) -> bool {
    write_stored_inner(value, show_secrets, out).is_some()
}

fn write_stored_inner(value: &[u8], show_secrets: bool, out: &mut String) -> Option<()> {
    let body = value.strip_prefix(MAGIC.as_slice())?;
    let mut type_meta = None;
    let mut raw = None;
    for f in QuickFields::new(body) {
        match f.ok()? {
            (1, WireValue::Len(b)) => {
                let (mut api_version, mut kind) = (Cow::Borrowed(""), Cow::Borrowed(""));
                for t in QuickFields::new(b) {
                    match t.ok()? {
                        (1, WireValue::Len(s)) => api_version = yaml::text(s),
                        (2, WireValue::Len(s)) => kind = yaml::text(s),
                        _ => {}
                    }
                }
                type_meta = Some((api_version, kind));
            }
            (2, WireValue::Len(b)) => raw = Some(b),
            _ => {}
        }
    }
    let (api_version, kind) = type_meta?;
    let raw = raw?;
    if !show_secrets && api_version == "v1" && kind == "Secret" {
        return None;
    }
    write_object(out, &api_version, &kind, raw).then_some(())
}

struct Writer<'a> {
    /// Every open message's found values, each message's after its
    /// parent's (a stack: a message truncates back to its mark).
    found: Vec<Found<'a>>,
}

impl<'a> Writer<'a> {
    /// The entries of message `index` from `buf`, as a YAML mapping at
    /// indentation `ind` whose first line the caller has started; `extras`
    /// (sorted) are string entries merged in (`apiVersion`, `kind`).
    /// Returns how many entries were written.
    fn body(
        &mut self,
        out: &mut String,
        buf: &'a [u8],
        index: u16,
        depth: u32,
        ind: usize,
        extras: &[(&str, &str)],
    ) -> Res<usize> {
        if depth > MAX_DEPTH {
            return Err(GiveUp);
        }
        let plan = plans()
            .get(usize::from(index))
            .and_then(Option::as_ref)
            .ok_or(GiveUp)?;
        let mark = self.found.len();
        self.collect(buf, plan, &[])?;
        let end = self.found.len();
        // Stable: values of one field keep their stored order.
        self.found[mark..end].sort_by_key(|f| f.rank);
        // An extra entry named like a field: the tree would write both.
        if extras
            .iter()
            .any(|(n, _)| plan.order.binary_search_by(|f| f.json.cmp(n)).is_ok())
        {
            return Err(GiveUp);
        }
        let mut written = 0;
        let mut extras = extras.iter().peekable();
        // Only the slots that write something: the stored fields (sorted
        // above) merged with the fields Go writes when unset; the rest of
        // a message's fields (most of them) are never looked at.
        let mut j = mark;
        let mut unset = plan.written_unset.iter().copied().peekable();
        loop {
            let next_found = self.found.get(j).filter(|_| j < end).map(|f| f.rank);
            let rank = match (next_found, unset.peek().copied()) {
                (None, None) => break,
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) => a,
                (None, Some(b)) => b,
            };
            unset.next_if_eq(&rank);
            let from = j;
            while j < end && self.found[j].rank == rank {
                j += 1;
            }
            let r = usize::from(rank);
            let f = &plan.order[r];
            while let Some((name, text)) = extras.next_if(|(n, _)| *n < f.json) {
                extra_entry(out, name, text, ind, &mut written);
            }
            let start = out.len();
            if written > 0 {
                yaml::indent(out, ind);
            }
            if self.field(out, Name(f, plan.plain[r]), from..j, depth, ind)? {
                written += 1;
            } else {
                out.truncate(start);
            }
        }
        for (name, text) in extras {
            extra_entry(out, name, text, ind, &mut written);
        }
        self.found.truncate(mark);
        Ok(written)
    }

    /// Pushes the values of `buf`'s fields, tagged with their slots in the
    /// plan being written (`up` maps an inlined struct's slots up to it).
    fn collect(&mut self, buf: &'a [u8], plan: &Plan, up: &[&[u16]]) -> Res<()> {
        let mut inlined: u64 = 0;
        for field in QuickFields::new(buf) {
            let (number, value) = field.map_err(|_| GiveUp)?;
            let pos = usize::try_from(number)
                .ok()
                .and_then(|t| plan.by_tag.get(t))
                .copied()
                .unwrap_or(u16::MAX);
            let Some(route) = plan.routes.get(usize::from(pos)) else {
                // Not in the schema (a newer Kubernetes): the tree skips
                // it and says so in a comment.
                return Err(GiveUp);
            };
            match route {
                Route::Skip => {}
                Route::Rank(r) => {
                    let mut rank = *r;
                    for map in up.iter().rev() {
                        rank = *map.get(usize::from(rank)).ok_or(GiveUp)?;
                    }
                    self.found.push(Found { rank, value });
                }
                Route::Inline { child, ranks } => {
                    // The tree keeps only the last copy of an inlined
                    // struct; a second copy is left to it.
                    let bit = 1u64.checked_shl(u32::from(pos)).ok_or(GiveUp)?;
                    if inlined & bit != 0 || up.len() >= MAX_INLINE {
                        return Err(GiveUp);
                    }
                    inlined |= bit;
                    let WireValue::Len(b) = value else {
                        return Err(GiveUp);
                    };
                    let child_plan = plans()
                        .get(usize::from(*child))
                        .and_then(Option::as_ref)
                        .ok_or(GiveUp)?;
                    let mut chain: [&[u16]; MAX_INLINE] = [&[]; MAX_INLINE];
                    chain[..up.len()].copy_from_slice(up);
                    chain[up.len()] = ranks;
                    self.collect(b, child_plan, &chain[..=up.len()])?;
                }
            }
        }
        Ok(())
    }

    /// One field's entry (the caller has indented the line); `false` when
    /// Go leaves the field out (the caller removes what was written).
    fn field(
        &mut self,
        out: &mut String,
        f: Name,
        found: Range<usize>,
        depth: u32,
        ind: usize,
    ) -> Res<bool> {
        match f.0.card {
            Card::Map => self.map_field(out, f, found, depth, ind),
            Card::Rep => self.list_field(out, f, found, depth, ind),
            Card::One => self.one_field(out, f, found, depth, ind),
        }
    }

    fn one_field(
        &mut self,
        out: &mut String,
        name: Name,
        found: Range<usize>,
        depth: u32,
        ind: usize,
    ) -> Res<bool> {
        let f = name.0;
        // The last value wins, as in the tree.
        let Some(last) = found.clone().last().map(|i| self.found[i].value) else {
            return match (f.go, f.ty) {
                (Go::Pointer | Go::OmitZero | Go::OmitEmpty, Ty::Scalar(_))
                | (Go::Pointer | Go::OmitZero, Ty::Msg(_)) => Ok(false),
                (Go::Inline, _) => Err(GiveUp),
                (Go::Always, Ty::Scalar(s)) => {
                    name.write(out, ind);
                    yaml::write_value_after_key(out, &render::zero_scalar(s), ind);
                    Ok(true)
                }
                // A non-pointer struct is always written, zero if unset.
                (Go::Always | Go::OmitEmpty, Ty::Msg(child)) => {
                    name.write(out, ind);
                    self.message_after_key(out, &[], child, depth + 1, ind)?;
                    Ok(true)
                }
            };
        };
        name.write(out, ind);
        match f.ty {
            Ty::Scalar(s) => {
                let zero = scalar_after_key(out, s, last, ind)?;
                Ok(!(zero && matches!(f.go, Go::OmitEmpty | Go::OmitZero)))
            }
            Ty::Msg(child) => {
                let WireValue::Len(b) = last else {
                    return Err(GiveUp);
                };
                let empty = self.message_after_key(out, b, child, depth + 1, ind)?;
                Ok(!(empty && f.go == Go::OmitZero))
            }
        }
    }

    fn list_field(
        &mut self,
        out: &mut String,
        name: Name,
        found: Range<usize>,
        depth: u32,
        ind: usize,
    ) -> Res<bool> {
        let f = name.0;
        name.write(out, ind);
        let after_key = out.len();
        out.push('\n');
        yaml::indent(out, ind);
        let mut items = 0usize;
        let mut item = |out: &mut String| {
            if items > 0 {
                yaml::indent(out, ind);
            }
            items += 1;
            out.push_str("- ");
        };
        for i in found {
            let value = self.found[i].value;
            match (f.ty, value) {
                (Ty::Scalar(s), WireValue::Len(b)) if !matches!(s, Scalar::Str | Scalar::Bytes) => {
                    packed(b, s, |v| {
                        item(out);
                        yaml::write_scalar(out, &v);
                        out.push('\n');
                    })?;
                }
                (Ty::Scalar(s), w) => {
                    item(out);
                    scalar_item(out, s, w, ind)?;
                }
                (Ty::Msg(child), WireValue::Len(b)) => {
                    item(out);
                    self.message_item(out, b, child, depth + 1, ind)?;
                }
                (Ty::Msg(_), _) => return Err(GiveUp),
            }
        }
        if items > 0 {
            return Ok(true);
        }
        out.truncate(after_key);
        if f.go == Go::Always {
            out.push_str(" null\n");
            return Ok(true);
        }
        Ok(false)
    }

    fn map_field(
        &mut self,
        out: &mut String,
        name: Name,
        found: Range<usize>,
        depth: u32,
        ind: usize,
    ) -> Res<bool> {
        let f = name.0;
        if found.is_empty() {
            if f.go == Go::Always {
                name.write(out, ind);
                out.push_str(" null\n");
                return Ok(true);
            }
            return Ok(false);
        }
        if f.key != Scalar::Str {
            return Err(GiveUp);
        }
        let mut entries: Vec<(Cow<'a, str>, Option<WireValue<'a>>)> =
            Vec::with_capacity(found.len());
        for i in found {
            let WireValue::Len(entry) = self.found[i].value else {
                return Err(GiveUp);
            };
            let mut key = Cow::Borrowed("");
            let mut value = None;
            for e in QuickFields::new(entry) {
                match e.map_err(|_| GiveUp)? {
                    (1, WireValue::Len(k)) => key = yaml::text(k),
                    (1, _) => return Err(GiveUp),
                    (2, v) => value = Some(v),
                    _ => {}
                }
            }
            entries.push((key, value));
        }
        // Go writes maps sorted by key; of equal keys the last stored wins.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        name.write(out, ind);
        out.push('\n');
        let inner = ind + 2;
        yaml::indent(out, inner);
        let mut i = 0;
        let mut first = true;
        while i < entries.len() {
            let mut last = i;
            while last + 1 < entries.len() && entries[last + 1].0 == entries[i].0 {
                last += 1;
            }
            if !first {
                yaml::indent(out, inner);
            }
            first = false;
            let (key, value) = &entries[last];
            yaml::write_key(out, key, inner);
            match (f.ty, *value) {
                (Ty::Scalar(s), None) => {
                    yaml::write_value_after_key(out, &render::zero_scalar(s), inner)
                }
                (Ty::Scalar(s), Some(w)) => {
                    scalar_after_key(out, s, w, inner)?;
                }
                (Ty::Msg(child), None) => {
                    self.message_after_key(out, &[], child, depth + 1, inner)?;
                }
                (Ty::Msg(child), Some(WireValue::Len(b))) => {
                    self.message_after_key(out, b, child, depth + 1, inner)?;
                }
                (Ty::Msg(_), Some(_)) => return Err(GiveUp),
            }
            i = last + 1;
        }
        Ok(true)
    }

    /// A message as the value after `key:`; returns whether it was zero
    /// (an empty object, or a special form that is zero), for `omitzero`.
    fn message_after_key(
        &mut self,
        out: &mut String,
        b: &'a [u8],
        index: u16,
        depth: u32,
        ind: usize,
    ) -> Res<bool> {
        if let Some(sp) = schema::special(index) {
            if let Some(small) = Small::read(sp, b)? {
                out.push(' ');
                return Ok(small.write(out, ind));
            }
            let v = render::special_value(sp, b, depth).ok_or(GiveUp)?;
            yaml::write_value_after_key(out, &v, ind);
            return Ok(render::is_zero(&v) || v == ApiValue::obj());
        }
        let mark = out.len();
        out.push('\n');
        yaml::indent(out, ind + 2);
        if self.body(out, b, index, depth, ind + 2, &[])? == 0 {
            out.truncate(mark);
            out.push_str(" {}\n");
            return Ok(true);
        }
        Ok(false)
    }

    /// A message as an item of a sequence at `ind`, after its `- `.
    fn message_item(
        &mut self,
        out: &mut String,
        b: &'a [u8],
        index: u16,
        depth: u32,
        ind: usize,
    ) -> Res<()> {
        if let Some(sp) = schema::special(index) {
            if let Some(small) = Small::read(sp, b)? {
                small.write(out, ind);
                return Ok(());
            }
            let v = render::special_value(sp, b, depth).ok_or(GiveUp)?;
            yaml::write_item(out, &v, ind);
            return Ok(());
        }
        if self.body(out, b, index, depth, ind + 2, &[])? == 0 {
            out.push_str("{}\n");
        }
        Ok(())
    }
}

/// The special forms most objects are full of (Time, MicroTime, Quantity,
/// IntOrString), read and written without a value: the same fields and
/// rules as `render`'s special forms.
enum Small<'a> {
    Null,
    /// Seconds since 1970 and, for MicroTime, microseconds.
    Time(i64, Option<u32>),
    /// Stored text (UTF-8 checked when written).
    Text(&'a [u8]),
    Int(i64),
}

impl<'a> Small<'a> {
    /// `None` for the forms left to `render` (durations, JSON, lists).
    fn read(sp: Special, b: &'a [u8]) -> Res<Option<Small<'a>>> {
        if !matches!(
            sp,
            Special::Time | Special::MicroTime | Special::Quantity | Special::IntOrString
        ) {
            return Ok(None);
        }
        // The last value of each of fields 1-3 (varint, or bytes).
        let mut varint = [None::<u64>; 4];
        let mut bytes = [None::<&'a [u8]>; 4];
        for f in QuickFields::new(b) {
            let (n, value) = f.map_err(|_| GiveUp)?;
            let n = n as usize;
            if n < 4 {
                match value {
                    WireValue::Varint(v) => varint[n] = Some(v),
                    WireValue::Len(x) => bytes[n] = Some(x),
                    _ => {}
                }
            }
        }
        Ok(Some(match sp {
            Special::Time | Special::MicroTime => {
                let Some(secs) = varint[1].map(|v| v as i64) else {
                    return Ok(Some(Small::Null));
                };
                // Go's zero time is `null`; years outside 0-9999 too.
                if secs == GO_ZERO_TIME || !(YEAR_0..YEAR_10000).contains(&secs) {
                    return Ok(Some(Small::Null));
                }
                let micros = (sp == Special::MicroTime)
                    .then(|| (varint[2].unwrap_or(0) as u32 % 1_000_000_000) / 1000);
                Small::Time(secs, micros)
            }
            Special::Quantity => Small::Text(bytes[1].unwrap_or(b"0")),
            _ => {
                if varint[1] == Some(1) {
                    Small::Text(bytes[3].unwrap_or(b""))
                } else {
                    Small::Int(i64::from(varint[2].unwrap_or(0) as i32))
                }
            }
        }))
    }

    /// The value and its line end (after `key: ` or `- `); returns
    /// whether it is zero (for `omitzero`).
    fn write(&self, out: &mut String, ind: usize) -> bool {
        match self {
            Small::Null => {
                out.push_str("null\n");
                true
            }
            Small::Time(secs, micros) => {
                // A timestamp reads back as one: kubectl's YAML quotes it.
                out.push('"');
                rfc3339(out, *secs);
                if let Some(us) = micros {
                    out.push('.');
                    push_digits(out, u64::from(*us), 6);
                }
                out.push_str("Z\"\n");
                false
            }
            Small::Text(t) => {
                yaml::write_bytes_item(out, t, ind);
                t.is_empty()
            }
            Small::Int(i) => {
                out.push_str(itoa::Buffer::new().format(*i));
                out.push('\n');
                *i == 0
            }
        }
    }
}

/// Go's zero time, 0001-01-01T00:00:00Z, in seconds since 1970.
const GO_ZERO_TIME: i64 = -62_135_596_800;
/// 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z: RFC 3339's years.
const YEAR_0: i64 = -62_167_219_200;
const YEAR_10000: i64 = 253_402_300_800;

/// `YYYY-MM-DDTHH:MM:SS` of `secs` since 1970 (UTC, years 0-9999), from
/// the days-to-civil arithmetic of the proleptic Gregorian calendar.
fn rfc3339(out: &mut String, secs: i64) {
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Shift to 0000-03-01 so that leap days end each 400-year era.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // Built on the stack and added at once (one push per character was
    // a fifth of writing a time).
    let mut t = *b"0000-00-00T00:00:00";
    put_digits(&mut t[0..4], year as u64);
    put_digits(&mut t[5..7], month as u64);
    put_digits(&mut t[8..10], day as u64);
    put_digits(&mut t[11..13], (sod / 3600) as u64);
    put_digits(&mut t[14..16], (sod / 60 % 60) as u64);
    put_digits(&mut t[17..19], (sod % 60) as u64);
    out.push_str(std::str::from_utf8(&t).unwrap_or_default());
}

/// `v` in exactly `to.len()` decimal digits (zero-padded; `v` fits).
fn put_digits(to: &mut [u8], mut v: u64) {
    for d in to.iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// `v` in exactly `width` decimal digits (zero-padded; `v` fits).
fn push_digits(out: &mut String, v: u64, width: u32) {
    let mut t = [b'0'; 20];
    let w = (width as usize).min(t.len());
    put_digits(&mut t[..w], v);
    out.push_str(std::str::from_utf8(&t[..w]).unwrap_or_default());
}

/// `name: text` for an entry that is not a field (`apiVersion`, `kind`).
fn extra_entry(out: &mut String, name: &str, text: &str, ind: usize, written: &mut usize) {
    if *written > 0 {
        yaml::indent(out, ind);
    }
    yaml::write_key(out, name, ind);
    yaml::write_str_after_key(out, text, ind);
    *written += 1;
}

/// A scalar as the value after `key:`; returns whether it is zero (for
/// `omitempty`).
fn scalar_after_key(out: &mut String, s: Scalar, wire: WireValue<'_>, ind: usize) -> Res<bool> {
    match (s, wire) {
        (Scalar::Str, WireValue::Len(b)) => {
            yaml::write_bytes_after_key(out, b, ind);
            Ok(b.is_empty())
        }
        (Scalar::Bytes, WireValue::Len(b)) => {
            let text = base64::engine::general_purpose::STANDARD.encode(b);
            yaml::write_str_after_key(out, &text, ind);
            Ok(b.is_empty())
        }
        _ => {
            let v = render::scalar(s, wire).ok_or(GiveUp)?;
            out.push(' ');
            yaml::write_scalar(out, &v);
            out.push('\n');
            Ok(render::is_zero(&v))
        }
    }
}

/// A scalar as an item of a sequence at `ind`, after its `- `.
fn scalar_item(out: &mut String, s: Scalar, wire: WireValue<'_>, ind: usize) -> Res<()> {
    match (s, wire) {
        (Scalar::Str, WireValue::Len(b)) => yaml::write_bytes_item(out, b, ind),
        (Scalar::Bytes, WireValue::Len(b)) => {
            let text = base64::engine::general_purpose::STANDARD.encode(b);
            yaml::write_str_item(out, &text, ind);
        }
        _ => {
            let v = render::scalar(s, wire).ok_or(GiveUp)?;
            yaml::write_scalar(out, &v);
            out.push('\n');
        }
    }
    Ok(())
}

/// Each value of a packed list, as the tree reads them (a broken varint
/// is left to the tree).
fn packed(b: &[u8], s: Scalar, mut each: impl FnMut(ApiValue)) -> Res<()> {
    for wire in render::packed_values(b, s) {
        if let Some(v) = render::scalar(s, wire.map_err(|_| GiveUp)?) {
            each(v);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
