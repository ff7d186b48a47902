//! etcd's client API (etcdserverpb) inside gRPC messages: KV, Watch, Lease,
//! Cluster, Maintenance and Auth requests and responses, with stored
//! Kubernetes objects named by [`crate::k8s`] and Secrets redacted.
//!
//! This module owns the etcd message definitions ([`pb`], prost structs
//! written from etcd's public field numbers), their one-line descriptions
//! ([`describe`]) and the `etcd_request` / `etcd_response` events. Two entry
//! points: [`decode`] (called by the gRPC layer for every message of an
//! `/etcdserverpb.*` method) and [`describe_internal_raft_request`] (called
//! by the Raft decoder for each EntryNormal payload).
//!
//! Bounds: prost limits nesting to 100 levels; before prost sees a message
//! [`wire::prepare_shaped`] keeps whole top-level fields only (a cut message
//! decodes up to its last whole field and is marked `truncated`) and at
//! most [`wire::MAX_KEPT`] of each repeated field, inside nested
//! transactions too, so the structs built stay proportional to what is
//! shown, not to the message (the gRPC layer caps a message at 4 MiB);
//! events list at most
//! [`MAX_LISTED`] key-values, watch events or members, keys are cut at
//! [`describe::MAX_KEY_SHOWN`] bytes and values are never shown whole
//! (a name, a redaction or a [`describe::MAX_VALUE_PREVIEW`]-byte preview).

pub mod describe;
pub mod pb;
pub mod wire;

use prost::Message;
use serde::Serialize;

use self::describe::{
    hex_id, lease_hex, op_text, put_text, response_op_text, show_key, show_range, text, txn_text,
    value_text,
};
use super::Context;

/// Most key-values, watch events, members or names listed in one event
/// (the `count`/totals still say how many there were).
pub const MAX_LISTED: usize = 16;
/// Most of them named in the one-line summary.
const MAX_IN_LINE: usize = 3;

/// Events of the etcd API decoder (`type` = `etcd_...`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EtcdEvent {
    /// A client→server message of an etcd method. (Boxed: a decoded call is
    /// about 1 KiB and every event of every protocol shares one enum.)
    EtcdRequest(Box<EtcdCall>),
    /// A server→client message of an etcd method.
    EtcdResponse(Box<EtcdCall>),
}

impl EtcdEvent {
    pub fn name(&self) -> &'static str {
        match self {
            EtcdEvent::EtcdRequest(_) => "etcd_request",
            EtcdEvent::EtcdResponse(_) => "etcd_response",
        }
    }

    pub fn summary(&self) -> String {
        let call = self.call();
        if call.truncated {
            format!("{} [truncated]", call.line)
        } else {
            call.line.clone()
        }
    }

    /// The decoded message, whichever way it went.
    pub fn call(&self) -> &EtcdCall {
        match self {
            EtcdEvent::EtcdRequest(c) | EtcdEvent::EtcdResponse(c) => c,
        }
    }
}

/// `ResponseHeader`, ids in 16-digit hex.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Header {
    pub cluster_id: String,
    pub member_id: String,
    pub revision: i64,
    pub raft_term: u64,
}

impl From<&pb::ResponseHeader> for Header {
    fn from(h: &pb::ResponseHeader) -> Self {
        Header {
            cluster_id: hex_id(h.cluster_id),
            member_id: hex_id(h.member_id),
            revision: h.revision,
            raft_term: h.raft_term,
        }
    }
}

/// A key-value as listed in a response (values named, never whole).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KvView {
    pub key: String,
    pub create_revision: i64,
    pub mod_revision: i64,
    pub version: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease: Option<String>,
    pub value_bytes: usize,
    /// Absent for keys-only answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl KvView {
    fn new(kv: &pb::KeyValue, ctx: &Context) -> KvView {
        KvView {
            key: show_key(&kv.key),
            create_revision: kv.create_revision,
            mod_revision: kv.mod_revision,
            version: kv.version,
            lease: (kv.lease != 0).then(|| lease_hex(kv.lease)),
            value_bytes: kv.value.len(),
            value: (!kv.value.is_empty()).then(|| value_text(&kv.key, &kv.value, ctx)),
        }
    }

    fn line(&self) -> String {
        match &self.value {
            Some(v) => format!("{} → {v}", self.key),
            None => self.key.clone(),
        }
    }
}

/// One watch event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WatchEventView {
    /// `PUT` or `DELETE`.
    pub event: &'static str,
    pub key: String,
    pub mod_revision: i64,
    pub value_bytes: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// One cluster member.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberView {
    pub id: String,
    pub name: String,
    pub peer_urls: Vec<String>,
    pub client_urls: Vec<String>,
    pub is_learner: bool,
}

impl From<&pb::Member> for MemberView {
    fn from(m: &pb::Member) -> Self {
        MemberView {
            id: hex_id(m.id),
            name: text(&m.name),
            peer_urls: m
                .peer_urls
                .iter()
                .take(MAX_LISTED)
                .map(|u| text(u))
                .collect(),
            client_urls: m
                .client_urls
                .iter()
                .take(MAX_LISTED)
                .map(|u| text(u))
                .collect(),
            is_learner: m.is_learner,
        }
    }
}

/// A member's `Status` answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusView {
    pub version: String,
    pub db_size: i64,
    pub db_size_in_use: i64,
    pub leader: String,
    pub raft_index: u64,
    pub raft_term: u64,
    pub raft_applied_index: u64,
    pub is_learner: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub storage_version: String,
}

/// A transaction request (compares and both branches) or its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct TxnView {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub compares: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub success: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failure: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub succeeded: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub responses: Vec<String>,
}

/// One decoded etcd message. Fields that a method does not have are left
/// out of the JSON; `summary()` of the event is the human line.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct EtcdCall {
    /// `KV`, `Watch`, `Lease`, `Cluster`, `Maintenance`, `Auth`.
    pub service: String,
    /// `Range`, `Put`, `Txn`, `LeaseGrant`, `MemberList`, `Status`, ...
    pub method: String,
    pub message_bytes: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header: Option<Header>,
    /// The key range as people read it (`prefix /registry/pods/`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range_end: Option<String>,
    /// Request revision (Range at a revision, Compact, Watch start, HashKV).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub more: Option<bool>,
    /// Request options that are set: `keys_only`, `count_only`,
    /// `serializable`, `prev_kv`, `progress_notify`, ...
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted_ttl: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_bytes: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kvs: Vec<KvView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub txn: Option<TxnView>,
    /// Watch request kind: `create`, `cancel`, `progress`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watch: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watch_id: Option<i64>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub created: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub canceled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compact_revision: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub fragment: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<WatchEventView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<MemberView>,
    /// The member a request names (MoveLeader target, Remove, Promote, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub peer_urls: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub leases: Vec<String>,
    /// Keys attached to a lease (LeaseTimeToLive with keys).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alarms: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot_bytes: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining_bytes: Option<u64>,
    /// Server or target version (Status, Snapshot, Downgrade).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Auth: the user or role named (never a password or token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The message was cut (or malformed) after its last whole field; what
    /// is shown comes from the part before.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    /// The human line (`summary()`).
    #[serde(skip)]
    pub line: String,
}

/// The etcd service and method of a gRPC path (`/etcdserverpb.KV/Range` →
/// `("KV", "Range")`); None for other services.
pub fn split_path(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/etcdserverpb.")?;
    let (service, method) = rest.split_once('/')?;
    if service.is_empty() || method.is_empty() || method.contains('/') {
        return None;
    }
    Some((service, method))
}

/// Decodes one gRPC message of an etcd method (`path` as in `:path`, e.g.
/// `/etcdserverpb.KV/Range`); `request` is true for client→server messages.
/// None when the path is not an etcd method or the bytes do not decode; a
/// message cut short decodes up to its last whole field (`truncated`).
pub fn decode(path: &str, request: bool, message: &[u8], ctx: &Context) -> Option<EtcdEvent> {
    let (service, method) = split_path(path)?;
    let shape = match (path, request) {
        ("/etcdserverpb.KV/Txn", true) => &wire::TXN_REQUEST,
        ("/etcdserverpb.KV/Txn", false) => &wire::TXN_RESPONSE,
        _ => &wire::FLAT,
    };
    let prepared = wire::prepare_shaped(message, shape);
    if prepared.truncated && prepared.bytes.is_empty() {
        return None;
    }
    let mut call = EtcdCall {
        service: service.to_string(),
        method: method.to_string(),
        message_bytes: message.len(),
        truncated: prepared.truncated,
        ..Default::default()
    };
    let b = prepared.bytes.as_slice();
    if request {
        fill_request(&mut call, b, ctx)?;
        Some(EtcdEvent::EtcdRequest(Box::new(call)))
    } else {
        fill_response(&mut call, b, &prepared, ctx)?;
        Some(EtcdEvent::EtcdResponse(Box::new(call)))
    }
}

fn dec<M: Message + Default>(b: &[u8]) -> Option<M> {
    M::decode(b).ok()
}

fn set_range(call: &mut EtcdCall, key: &[u8], range_end: &[u8]) -> String {
    let r = show_range(key, range_end);
    call.key = Some(show_key(key));
    if !range_end.is_empty() {
        call.range_end = Some(show_key(range_end));
    }
    call.range = Some(r.clone());
    r
}

fn flag(call: &mut EtcdCall, on: bool, name: &str) {
    if on {
        call.flags.push(name.to_string());
    }
}

fn alarm_name(a: i32) -> &'static str {
    match a {
        0 => "NONE",
        1 => "NOSPACE",
        2 => "CORRUPT",
        _ => "UNKNOWN",
    }
}

fn alarm_action(a: i32) -> &'static str {
    match a {
        0 => "get",
        1 => "activate",
        2 => "deactivate",
        _ => "action?",
    }
}

fn fill_request(call: &mut EtcdCall, b: &[u8], ctx: &Context) -> Option<()> {
    let m = call.method.clone();
    let line = match (call.service.as_str(), m.as_str()) {
        ("KV", "Range") => {
            let r: pb::RangeRequest = dec(b)?;
            let mut line = format!("Range {}", set_range(call, &r.key, &r.range_end));
            if r.limit != 0 {
                call.limit = Some(r.limit);
                line.push_str(&format!(" limit {}", r.limit));
            }
            if r.revision != 0 {
                call.revision = Some(r.revision);
                line.push_str(&format!(" at rev {}", r.revision));
            }
            flag(call, r.keys_only, "keys_only");
            flag(call, r.count_only, "count_only");
            flag(call, r.serializable, "serializable");
            flag(call, r.sort_order == 1, "sort_ascend");
            flag(call, r.sort_order == 2, "sort_descend");
            flag(call, r.min_mod_revision != 0, "min_mod_revision");
            flag(call, r.max_mod_revision != 0, "max_mod_revision");
            flag(call, r.min_create_revision != 0, "min_create_revision");
            flag(call, r.max_create_revision != 0, "max_create_revision");
            for f in &call.flags {
                line.push(' ');
                line.push_str(&f.replace('_', "-"));
            }
            line
        }
        ("KV", "Put") => {
            let p: pb::PutRequest = dec(b)?;
            call.key = Some(show_key(&p.key));
            call.value_bytes = Some(p.value.len());
            call.value = Some(value_text(&p.key, &p.value, ctx));
            call.lease = (p.lease != 0).then(|| lease_hex(p.lease));
            flag(call, p.prev_kv, "prev_kv");
            flag(call, p.ignore_value, "ignore_value");
            flag(call, p.ignore_lease, "ignore_lease");
            put_text(&p, ctx)
        }
        ("KV", "DeleteRange") => {
            let d: pb::DeleteRangeRequest = dec(b)?;
            flag(call, d.prev_kv, "prev_kv");
            format!("DeleteRange {}", set_range(call, &d.key, &d.range_end))
        }
        ("KV", "Txn") => {
            let t: pb::TxnRequest = dec(b)?;
            call.txn = Some(TxnView {
                compares: t
                    .compare
                    .iter()
                    .take(MAX_LISTED)
                    .map(|c| describe::compare_text(c, ctx))
                    .collect(),
                success: t
                    .success
                    .iter()
                    .take(MAX_LISTED)
                    .map(|o| op_text(o, ctx, 0))
                    .collect(),
                failure: t
                    .failure
                    .iter()
                    .take(MAX_LISTED)
                    .map(|o| op_text(o, ctx, 0))
                    .collect(),
                ..Default::default()
            });
            txn_text(&t, ctx, 0)
        }
        ("KV", "Compact") => {
            let c: pb::CompactionRequest = dec(b)?;
            call.revision = Some(c.revision);
            flag(call, c.physical, "physical");
            format!(
                "Compact rev {}{}",
                c.revision,
                if c.physical { " physical" } else { "" }
            )
        }
        ("Watch", "Watch") => {
            let w: pb::WatchRequest = dec(b)?;
            use pb::watch_request::RequestUnion as U;
            match w.request_union {
                Some(U::CreateRequest(c)) => {
                    call.watch = Some("create");
                    let mut line =
                        format!("Watch create {}", set_range(call, &c.key, &c.range_end));
                    if c.start_revision != 0 {
                        call.revision = Some(c.start_revision);
                        line.push_str(&format!(" from rev {}", c.start_revision));
                    }
                    if c.watch_id != 0 {
                        call.watch_id = Some(c.watch_id);
                        line.push_str(&format!(" id {}", c.watch_id));
                    }
                    flag(call, c.progress_notify, "progress_notify");
                    flag(call, c.prev_kv, "prev_kv");
                    flag(call, c.fragment, "fragment");
                    flag(call, c.filters.contains(&0), "no_put");
                    flag(call, c.filters.contains(&1), "no_delete");
                    line
                }
                Some(U::CancelRequest(c)) => {
                    call.watch = Some("cancel");
                    call.watch_id = Some(c.watch_id);
                    format!("Watch cancel id {}", c.watch_id)
                }
                Some(U::ProgressRequest(_)) => {
                    call.watch = Some("progress");
                    "Watch progress request".to_string()
                }
                None => "Watch (empty request)".to_string(),
            }
        }
        ("Lease", "LeaseGrant") => {
            let g: pb::LeaseGrantRequest = dec(b)?;
            call.ttl = Some(g.ttl);
            call.lease = (g.id != 0).then(|| lease_hex(g.id));
            match &call.lease {
                Some(id) => format!("LeaseGrant ttl={}s id={id}", g.ttl),
                None => format!("LeaseGrant ttl={}s", g.ttl),
            }
        }
        ("Lease", "LeaseRevoke" | "LeaseKeepAlive") => {
            let r: pb::LeaseIdRequest = dec(b)?;
            call.lease = Some(lease_hex(r.id));
            format!("{m} {}", lease_hex(r.id))
        }
        ("Lease", "LeaseTimeToLive") => {
            let r: pb::LeaseTimeToLiveRequest = dec(b)?;
            call.lease = Some(lease_hex(r.id));
            flag(call, r.keys, "keys");
            format!(
                "LeaseTimeToLive {}{}",
                lease_hex(r.id),
                if r.keys { " with keys" } else { "" }
            )
        }
        ("Cluster", "MemberList") => {
            let r: pb::MemberListRequest = dec(b)?;
            flag(call, r.linearizable, "linearizable");
            "MemberList".to_string()
        }
        ("Cluster", "MemberAdd") => {
            let r: pb::MemberAddRequest = dec(b)?;
            call.peer_urls = r
                .peer_urls
                .iter()
                .take(MAX_LISTED)
                .map(|u| text(u))
                .collect();
            flag(call, r.is_learner, "learner");
            format!(
                "MemberAdd {}{}",
                call.peer_urls.join(","),
                if r.is_learner { " as learner" } else { "" }
            )
        }
        ("Cluster", "MemberRemove" | "MemberPromote") => {
            let r: pb::MemberIdRequest = dec(b)?;
            call.member_id = Some(hex_id(r.id));
            format!("{m} {}", hex_id(r.id))
        }
        ("Cluster", "MemberUpdate") => {
            let r: pb::MemberUpdateRequest = dec(b)?;
            call.member_id = Some(hex_id(r.id));
            call.peer_urls = r
                .peer_urls
                .iter()
                .take(MAX_LISTED)
                .map(|u| text(u))
                .collect();
            format!("MemberUpdate {} {}", hex_id(r.id), call.peer_urls.join(","))
        }
        ("Maintenance", "Alarm") => {
            let a: pb::AlarmRequest = dec(b)?;
            let action = alarm_action(a.action);
            let mut line = format!("Alarm {action}");
            if a.alarm != 0 {
                line.push_str(&format!(" {}", alarm_name(a.alarm)));
            }
            if a.member_id != 0 {
                call.member_id = Some(hex_id(a.member_id));
                line.push_str(&format!(" member {}", hex_id(a.member_id)));
            }
            call.alarms = vec![format!("{action} {}", alarm_name(a.alarm))];
            line
        }
        ("Maintenance", "MoveLeader") => {
            let r: pb::MoveLeaderRequest = dec(b)?;
            call.member_id = Some(hex_id(r.target_id));
            format!("MoveLeader to {}", hex_id(r.target_id))
        }
        ("Maintenance", "HashKV") => {
            let r: pb::HashKvRequest = dec(b)?;
            if r.revision != 0 {
                call.revision = Some(r.revision);
                format!("HashKV at rev {}", r.revision)
            } else {
                "HashKV".to_string()
            }
        }
        ("Maintenance", "Downgrade") => {
            let r: pb::DowngradeRequest = dec(b)?;
            call.version = Some(text(&r.version));
            let action = match r.action {
                0 => "validate",
                1 => "enable",
                2 => "cancel",
                _ => "action?",
            };
            format!("Downgrade {action} {}", text(&r.version))
        }
        ("Auth", "UserGrantRole" | "UserRevokeRole") => {
            let r: pb::AuthUserRole = dec(b)?;
            call.name = Some(text(&r.user));
            format!("{m} {} role {}", text(&r.user), text(&r.role))
        }
        (
            "Auth",
            "Authenticate"
            | "UserAdd"
            | "UserGet"
            | "UserDelete"
            | "UserChangePassword"
            | "RoleAdd"
            | "RoleGet"
            | "RoleDelete"
            | "RoleGrantPermission"
            | "RoleRevokePermission",
        ) => {
            // Field 1 is the user or role name; passwords are never read.
            let r: pb::AuthNamed = dec(b)?;
            call.name = Some(text(&r.name));
            format!("{m} {}", text(&r.name))
        }
        // Methods without request fields (Status, Defragment, Hash,
        // Snapshot, LeaseLeases, AuthEnable, ...) and newer ones: the name.
        _ => {
            dec::<pb::Empty>(b)?;
            m.clone()
        }
    };
    call.line = line;
    Some(())
}

fn header_text(h: &Option<pb::ResponseHeader>) -> String {
    match h {
        // Cluster and Maintenance answers carry revision 0: not shown.
        Some(h) if h.revision == 0 => {
            format!(" (term {}, member {})", h.raft_term, hex_id(h.member_id))
        }
        Some(h) => format!(
            " (rev {}, term {}, member {})",
            h.revision,
            h.raft_term,
            hex_id(h.member_id)
        ),
        None => String::new(),
    }
}

fn kvs_line(kvs: &[KvView]) -> String {
    let mut parts: Vec<String> = kvs.iter().take(MAX_IN_LINE).map(KvView::line).collect();
    if kvs.len() > MAX_IN_LINE {
        parts.push(format!("+{} more", kvs.len() - MAX_IN_LINE));
    }
    parts.join("; ")
}

fn members_line(members: &[MemberView]) -> String {
    members
        .iter()
        .take(MAX_IN_LINE + 2)
        .map(|m| {
            let name = if m.name.is_empty() {
                "(unstarted)"
            } else {
                &m.name
            };
            format!(
                "{name} {}{}",
                m.id,
                if m.is_learner { " learner" } else { "" }
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn fill_response(
    call: &mut EtcdCall,
    b: &[u8],
    prepared: &wire::Prepared,
    ctx: &Context,
) -> Option<()> {
    let m = call.method.clone();
    let kvs_of = |kvs: &[pb::KeyValue]| -> Vec<KvView> {
        kvs.iter()
            .take(MAX_LISTED)
            .map(|kv| KvView::new(kv, ctx))
            .collect()
    };
    let (header, mut line) = match (call.service.as_str(), m.as_str()) {
        ("KV", "Range") => {
            let r: pb::RangeResponse = dec(b)?;
            let total = prepared.total(2).unwrap_or(r.kvs.len());
            call.kvs = kvs_of(&r.kvs);
            call.count = Some(r.count);
            call.more = Some(r.more);
            let mut line = format!(
                "Range: {} kv{} (count {}){}",
                total,
                if total == 1 { "" } else { "s" },
                r.count,
                if r.more { " more" } else { "" }
            );
            if !call.kvs.is_empty() {
                line.push_str(&format!(": {}", kvs_line(&call.kvs)));
            }
            (r.header, line)
        }
        ("KV", "Put") => {
            let r: pb::PutResponse = dec(b)?;
            let mut line = "Put ok".to_string();
            if let Some(prev) = &r.prev_kv {
                call.kvs = kvs_of(std::slice::from_ref(prev));
                line.push_str(&format!(", previous {}", kvs_line(&call.kvs)));
            }
            (r.header, line)
        }
        ("KV", "DeleteRange") => {
            let r: pb::DeleteRangeResponse = dec(b)?;
            call.deleted = Some(r.deleted);
            call.kvs = kvs_of(&r.prev_kvs);
            let mut line = format!("DeleteRange: {} deleted", r.deleted);
            if !call.kvs.is_empty() {
                line.push_str(&format!(": {}", kvs_line(&call.kvs)));
            }
            (r.header, line)
        }
        ("KV", "Txn") => {
            let r: pb::TxnResponse = dec(b)?;
            let responses: Vec<String> = r
                .responses
                .iter()
                .take(MAX_LISTED)
                .map(|o| response_op_text(o, 0))
                .collect();
            // Key-values read inside the transaction, named like Range's.
            for op in &r.responses {
                if let Some(pb::response_op::Response::ResponseRange(rr)) = &op.response {
                    for kv in &rr.kvs {
                        if call.kvs.len() < MAX_LISTED {
                            call.kvs.push(KvView::new(kv, ctx));
                        }
                    }
                }
            }
            let mut line = format!(
                "Txn {}: {}",
                if r.succeeded { "succeeded" } else { "failed" },
                responses.join("; ")
            );
            if !call.kvs.is_empty() {
                line.push_str(&format!(": {}", kvs_line(&call.kvs)));
            }
            call.txn = Some(TxnView {
                succeeded: Some(r.succeeded),
                responses,
                ..Default::default()
            });
            (r.header, line)
        }
        ("Watch", "Watch") => {
            let r: pb::WatchResponse = dec(b)?;
            call.watch_id = Some(r.watch_id);
            call.created = r.created;
            call.canceled = r.canceled;
            call.fragment = r.fragment;
            call.compact_revision = (r.compact_revision != 0).then_some(r.compact_revision);
            call.cancel_reason = (!r.cancel_reason.is_empty()).then(|| text(&r.cancel_reason));
            let total = prepared.total(11).unwrap_or(r.events.len());
            call.events = r
                .events
                .iter()
                .take(MAX_LISTED)
                .map(|e| {
                    let kv = e.kv.clone().unwrap_or_default();
                    WatchEventView {
                        event: if e.r#type == 1 { "DELETE" } else { "PUT" },
                        key: show_key(&kv.key),
                        mod_revision: kv.mod_revision,
                        value_bytes: kv.value.len(),
                        value: (!kv.value.is_empty()).then(|| value_text(&kv.key, &kv.value, ctx)),
                    }
                })
                .collect();
            let mut line = format!("Watch id {}", r.watch_id);
            if r.created {
                line.push_str(" created");
            }
            if r.canceled {
                line.push_str(" canceled");
                if let Some(reason) = &call.cancel_reason {
                    line.push_str(&format!(" ({reason})"));
                }
            }
            if let Some(c) = call.compact_revision {
                line.push_str(&format!(" compacted at rev {c}"));
            }
            if total > 0 {
                let shown: Vec<String> = call
                    .events
                    .iter()
                    .take(MAX_IN_LINE)
                    .map(|e| {
                        let mut s = format!("{} {} (rev {})", e.event, e.key, e.mod_revision);
                        if let Some(v) = &e.value {
                            s.push_str(&format!(" → {v}"));
                        }
                        s
                    })
                    .collect();
                line.push_str(&format!(
                    ": {total} event{}: {}",
                    if total == 1 { "" } else { "s" },
                    shown.join("; ")
                ));
                if total > MAX_IN_LINE {
                    line.push_str(&format!("; +{} more", total - MAX_IN_LINE));
                }
            } else if !r.created && !r.canceled {
                line.push_str(" progress");
            }
            if r.fragment {
                line.push_str(" (fragment)");
            }
            (r.header, line)
        }
        ("Lease", "LeaseGrant") => {
            let r: pb::LeaseGrantResponse = dec(b)?;
            call.lease = Some(lease_hex(r.id));
            call.ttl = Some(r.ttl);
            let mut line = format!("LeaseGrant id={} ttl={}s", lease_hex(r.id), r.ttl);
            if !r.error.is_empty() {
                call.error = Some(text(&r.error));
                line.push_str(&format!(" error: {}", text(&r.error)));
            }
            (r.header, line)
        }
        ("Lease", "LeaseKeepAlive") => {
            let r: pb::LeaseKeepAliveResponse = dec(b)?;
            call.lease = Some(lease_hex(r.id));
            call.ttl = Some(r.ttl);
            let line = if r.ttl <= 0 {
                format!("LeaseKeepAlive {} expired or unknown", lease_hex(r.id))
            } else {
                format!("LeaseKeepAlive {} ttl={}s", lease_hex(r.id), r.ttl)
            };
            (r.header, line)
        }
        ("Lease", "LeaseTimeToLive") => {
            let r: pb::LeaseTimeToLiveResponse = dec(b)?;
            call.lease = Some(lease_hex(r.id));
            call.ttl = Some(r.ttl);
            call.granted_ttl = Some(r.granted_ttl);
            call.keys = r
                .keys
                .iter()
                .take(MAX_LISTED)
                .map(|k| show_key(k))
                .collect();
            let mut line = format!(
                "LeaseTimeToLive {} ttl={}s granted={}s",
                lease_hex(r.id),
                r.ttl,
                r.granted_ttl
            );
            if !call.keys.is_empty() {
                line.push_str(&format!(", keys: {}", call.keys.join(", ")));
            }
            (r.header, line)
        }
        ("Lease", "LeaseLeases") => {
            let r: pb::LeaseLeasesResponse = dec(b)?;
            let total = prepared.total(2).unwrap_or(r.leases.len());
            call.leases = r
                .leases
                .iter()
                .take(MAX_LISTED)
                .map(|l| lease_hex(l.id))
                .collect();
            let line = format!(
                "LeaseLeases: {total} lease{}{}{}",
                if total == 1 { "" } else { "s" },
                if total > 0 { ": " } else { "" },
                call.leases.join(", ")
            );
            (r.header, line)
        }
        ("Cluster", "MemberAdd") => {
            let r: pb::MemberAddResponse = dec(b)?;
            call.members = r
                .members
                .iter()
                .take(MAX_LISTED)
                .map(MemberView::from)
                .collect();
            let added = r.member.as_ref().map(MemberView::from);
            let line = match &added {
                Some(a) => format!(
                    "MemberAdd: added {} {}{}; {} members",
                    a.id,
                    a.peer_urls.join(","),
                    if a.is_learner { " (learner)" } else { "" },
                    r.members.len()
                ),
                None => format!("MemberAdd: {} members", r.members.len()),
            };
            call.member_id = added.map(|a| a.id);
            (r.header, line)
        }
        ("Cluster", "MemberList" | "MemberRemove" | "MemberUpdate" | "MemberPromote") => {
            let r: pb::MembersResponse = dec(b)?;
            call.members = r
                .members
                .iter()
                .take(MAX_LISTED)
                .map(MemberView::from)
                .collect();
            let line = format!(
                "{m}: {} member{}: {}",
                r.members.len(),
                if r.members.len() == 1 { "" } else { "s" },
                members_line(&call.members)
            );
            (r.header, line)
        }
        ("Maintenance", "Status") => {
            let r: pb::StatusResponse = dec(b)?;
            let s = StatusView {
                version: text(&r.version),
                db_size: r.db_size,
                db_size_in_use: r.db_size_in_use,
                leader: hex_id(r.leader),
                raft_index: r.raft_index,
                raft_term: r.raft_term,
                raft_applied_index: r.raft_applied_index,
                is_learner: r.is_learner,
                errors: r.errors.iter().take(MAX_LISTED).map(|e| text(e)).collect(),
                storage_version: text(&r.storage_version),
            };
            let me = r.header.as_ref().map(|h| h.member_id);
            let line = format!(
                "Status: etcd {}, db {} bytes ({} in use), leader {}{}, raft index {} term {}{}",
                s.version,
                s.db_size,
                s.db_size_in_use,
                s.leader,
                if me == Some(r.leader) && r.leader != 0 {
                    " (this member)"
                } else {
                    ""
                },
                s.raft_index,
                s.raft_term,
                if s.errors.is_empty() {
                    String::new()
                } else {
                    format!(", errors: {}", s.errors.join("; "))
                }
            );
            call.version = Some(s.version.clone());
            call.status = Some(s);
            (r.header, line)
        }
        ("Maintenance", "Alarm") => {
            let r: pb::AlarmResponse = dec(b)?;
            call.alarms = r
                .alarms
                .iter()
                .take(MAX_LISTED)
                .map(|a| format!("{} {}", hex_id(a.member_id), alarm_name(a.alarm)))
                .collect();
            let line = if call.alarms.is_empty() {
                "Alarm: none".to_string()
            } else {
                format!("Alarm: {}", call.alarms.join(", "))
            };
            (r.header, line)
        }
        ("Maintenance", "HashKV") => {
            let r: pb::HashKvResponse = dec(b)?;
            call.hash = Some(r.hash);
            call.compact_revision = Some(r.compact_revision);
            if r.hash_revision != 0 {
                call.revision = Some(r.hash_revision);
            }
            let line = format!(
                "HashKV: hash {} (compacted at rev {})",
                r.hash, r.compact_revision
            );
            (r.header, line)
        }
        ("Maintenance", "Hash") => {
            let r: pb::HashResponse = dec(b)?;
            call.hash = Some(r.hash);
            (r.header, format!("Hash: {}", r.hash))
        }
        ("Maintenance", "Snapshot") => {
            let r: pb::SnapshotResponse = dec(b)?;
            call.snapshot_bytes = Some(r.blob.len());
            call.remaining_bytes = Some(r.remaining_bytes);
            if !r.version.is_empty() {
                call.version = Some(text(&r.version));
            }
            let line = format!(
                "Snapshot: {} bytes, {} remaining",
                r.blob.len(),
                r.remaining_bytes
            );
            (r.header, line)
        }
        ("Maintenance", "Downgrade") => {
            let r: pb::DowngradeResponse = dec(b)?;
            call.version = Some(text(&r.version));
            (
                r.header,
                format!("Downgrade: cluster version {}", text(&r.version)),
            )
        }
        ("Auth", "UserGet" | "UserList" | "RoleList") => {
            let r: pb::AuthNamesResponse = dec(b)?;
            call.keys = r.names.iter().take(MAX_LISTED).map(|n| text(n)).collect();
            (r.header, format!("{m}: {}", call.keys.join(", ")))
        }
        ("Auth", "Authenticate") => {
            // The token (field 2) is a credential: only its presence is told.
            let r: pb::HeaderOnly = dec(b)?;
            (r.header, "Authenticate: token issued".to_string())
        }
        // Header-only responses (Compact, LeaseRevoke, Defragment,
        // MoveLeader, most of Auth) and methods not modelled here.
        _ => {
            let r: pb::HeaderOnly = dec(b)?;
            (r.header, format!("{m} ok"))
        }
    };
    line.push_str(&header_text(&header));
    call.header = header.as_ref().map(Header::from);
    call.line = line;
    Some(())
}

/// Describes an `etcdserverpb.InternalRaftRequest` (the payload of a Raft
/// EntryNormal entry) in one line, e.g. `Put /registry/leases/kube-node-lease/n1
/// (v1 Lease kube-node-lease/n1, lease 694d7a2c9e8b1234)`. etcd 3.4 also
/// replicates bare v2 store requests (member attributes, cluster version):
/// those read as `v2 PUT /0/version "3.4.0"`. None when the bytes are
/// neither.
pub fn describe_internal_raft_request(bytes: &[u8], ctx: &Context) -> Option<String> {
    if bytes.is_empty() {
        return None;
    }
    let prepared = wire::prepare_shaped(bytes, &wire::INTERNAL_RAFT_REQUEST);
    if let Ok(r) = pb::InternalRaftRequest::decode(prepared.bytes.as_slice())
        && let Some(line) = internal_line(&r, ctx)
    {
        return Some(if prepared.truncated {
            format!("{line} [truncated]")
        } else {
            line
        });
    }
    let v2 = pb::V2Request::decode(prepared.bytes.as_slice()).ok()?;
    v2_line(&v2)
}

fn v2_line(v2: &pb::V2Request) -> Option<String> {
    let method_ok = !v2.method.is_empty()
        && v2.method.len() <= 8
        && v2.method.iter().all(|c| c.is_ascii_uppercase());
    if !method_ok {
        return None;
    }
    let mut line = format!("v2 {} {}", text(&v2.method), show_key(&v2.path));
    if !v2.val.is_empty() {
        // Member attributes and versions (JSON or a version string).
        line.push_str(&format!(" {}", show_key(&v2.val)));
    }
    Some(line)
}

fn internal_line(r: &pb::InternalRaftRequest, ctx: &Context) -> Option<String> {
    let named = |what: &str, n: &Option<pb::AuthNamed>| {
        n.as_ref().map(|n| format!("{what} {}", text(&n.name)))
    };
    let line = if let Some(p) = &r.put {
        put_text(p, ctx)
    } else if let Some(d) = &r.delete_range {
        format!("DeleteRange {}", show_range(&d.key, &d.range_end))
    } else if let Some(t) = &r.txn {
        txn_text(t, ctx, 0)
    } else if let Some(rg) = &r.range {
        format!("Range {}", show_range(&rg.key, &rg.range_end))
    } else if let Some(c) = &r.compaction {
        format!("Compaction rev={}", c.revision)
    } else if let Some(g) = &r.lease_grant {
        format!("LeaseGrant ttl={}s id={}", g.ttl, lease_hex(g.id))
    } else if let Some(l) = &r.lease_revoke {
        format!("LeaseRevoke id={}", lease_hex(l.id))
    } else if let Some(c) = &r.lease_checkpoint {
        let shown: Vec<String> = c
            .checkpoints
            .iter()
            .take(MAX_IN_LINE)
            .map(|c| format!("{} remaining {}s", lease_hex(c.id), c.remaining_ttl))
            .collect();
        format!("LeaseCheckpoint {}", shown.join(", "))
    } else if let Some(a) = &r.alarm {
        let mut line = format!("Alarm {}", alarm_action(a.action));
        if a.alarm != 0 {
            line.push_str(&format!(" {}", alarm_name(a.alarm)));
        }
        if a.member_id != 0 {
            line.push_str(&format!(" member {}", hex_id(a.member_id)));
        }
        line
    } else if let Some(v) = &r.cluster_version_set {
        format!("ClusterVersionSet {}", text(&v.ver))
    } else if let Some(a) = &r.cluster_member_attr_set {
        let attrs = a.member_attributes.clone().unwrap_or_default();
        format!(
            "ClusterMemberAttrSet {} name={} client_urls={}",
            hex_id(a.member_id),
            text(&attrs.name),
            attrs
                .client_urls
                .iter()
                .take(MAX_LISTED)
                .map(|u| text(u))
                .collect::<Vec<_>>()
                .join(",")
        )
    } else if let Some(d) = &r.downgrade_info_set {
        format!(
            "DowngradeInfoSet enabled={} ver={}",
            d.enabled,
            text(&d.ver)
        )
    } else if let Some(v) = &r.downgrade_version_test {
        format!("DowngradeVersionTest {}", text(&v.ver))
    } else if let Some(v2) = &r.v2 {
        v2_line(v2)?
    } else if r.auth_enable.is_some() {
        "AuthEnable".to_string()
    } else if r.auth_disable.is_some() {
        "AuthDisable".to_string()
    } else if r.auth_status.is_some() {
        "AuthStatus".to_string()
    } else if r.auth_user_list.is_some() {
        "AuthUserList".to_string()
    } else if r.auth_role_list.is_some() {
        "AuthRoleList".to_string()
    } else if let Some(g) = r
        .auth_user_grant_role
        .as_ref()
        .map(|g| ("AuthUserGrantRole", g))
        .or(r
            .auth_user_revoke_role
            .as_ref()
            .map(|g| ("AuthUserRevokeRole", g)))
    {
        format!("{} {} role {}", g.0, text(&g.1.user), text(&g.1.role))
    } else {
        named("Authenticate", &r.authenticate)
            .or_else(|| named("AuthUserAdd", &r.auth_user_add))
            .or_else(|| named("AuthUserDelete", &r.auth_user_delete))
            .or_else(|| named("AuthUserGet", &r.auth_user_get))
            .or_else(|| named("AuthUserChangePassword", &r.auth_user_change_password))
            .or_else(|| named("AuthRoleAdd", &r.auth_role_add))
            .or_else(|| named("AuthRoleDelete", &r.auth_role_delete))
            .or_else(|| named("AuthRoleGet", &r.auth_role_get))
            .or_else(|| named("AuthRoleGrantPermission", &r.auth_role_grant_permission))
            .or_else(|| named("AuthRoleRevokePermission", &r.auth_role_revoke_permission))?
    };
    Some(line)
}
