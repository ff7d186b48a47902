//! How etcd API values become short human text: keys (escaped, capped),
//! key ranges (`prefix /registry/pods/`, `>= a`, `[a, b)`), ids in hex,
//! stored values named by the k8s decoder (Secrets redacted), and the
//! one-line forms of transactions and their operations shared by the gRPC
//! events and the Raft entry descriptions.

use super::pb;
use crate::k8s;
use crate::proto::Context;

/// Most key bytes shown; longer keys end in `…`.
pub const MAX_KEY_SHOWN: usize = 256;
/// Most value bytes shown as a printable preview.
pub const MAX_VALUE_PREVIEW: usize = 64;
/// Most operations of one transaction branch listed in a line.
pub const MAX_OPS_LISTED: usize = 4;
/// Deepest nested transaction whose results are listed (etcd allows Txn
/// inside Txn); nested transaction requests are shown as counts only, so a
/// line stays a few KiB whatever the nesting.
pub const MAX_TXN_DEPTH: usize = 3;

/// A member or cluster id as etcd prints it: 16 hex digits.
pub fn hex_id(id: u64) -> String {
    format!("{id:016x}")
}

/// A lease id (int64 on the wire) as etcdctl prints it: hex.
pub fn lease_hex(id: i64) -> String {
    format!("{:016x}", id as u64)
}

/// A key, non-printable bytes as `\xNN`, cut at [`MAX_KEY_SHOWN`] bytes.
pub fn show_key(key: &[u8]) -> String {
    if key.len() > MAX_KEY_SHOWN {
        let head = key.get(..MAX_KEY_SHOWN).unwrap_or(key);
        format!("{}… ({} bytes)", k8s::display_key(head), key.len())
    } else {
        k8s::display_key(key)
    }
}

/// A key range as people read it: one key; `prefix K` when `range_end` is
/// the prefix end of the key; `>= K` for a `\0` range end; `all keys`
/// when both are `\0`; `[K, E)` otherwise.
pub fn show_range(key: &[u8], range_end: &[u8]) -> String {
    if range_end.is_empty() {
        return show_key(key);
    }
    if range_end == [0] {
        if key.is_empty() || key == [0] {
            return "all keys".to_string();
        }
        return format!(">= {}", show_key(key));
    }
    if !key.is_empty() && range_end == k8s::key::prefix_end(key).as_slice() {
        return format!("prefix {}", show_key(key));
    }
    format!("[{}, {})", show_key(key), show_key(range_end))
}

/// Bytes as printable text, at most [`MAX_VALUE_PREVIEW`] of them, quoted.
pub fn preview(bytes: &[u8]) -> String {
    let shown = bytes.get(..MAX_VALUE_PREVIEW).unwrap_or(bytes);
    let mut s = String::from("\"");
    s.push_str(&k8s::display_key(shown).replace('"', "\\\""));
    s.push('"');
    if shown.len() < bytes.len() {
        s.push('…');
    }
    s
}

/// What a stored value is, in a few words: `v1 Pod default/web-1` for a
/// Kubernetes object, `<redacted: N bytes>` for a Secret (unless
/// `show_secrets`), else its length and a short preview. Never the whole
/// value.
pub fn value_text(key: &[u8], value: &[u8], ctx: &Context) -> String {
    if value.is_empty() {
        return "empty".to_string();
    }
    if !ctx.show_secrets && k8s::is_secret_key(key) {
        return format!("<redacted: {} bytes>", value.len());
    }
    let mut opts = ctx.k8s_options();
    opts.dump_limit = MAX_VALUE_PREVIEW;
    let decoded = if value.first() == Some(&b'{') {
        // JSON: read type and metadata without the pretty-printing that
        // `decode_value` does for display (this runs per message).
        match serde_json::from_slice::<serde_json::Value>(value) {
            Ok(obj) => k8s::Decoded::Json(k8s::JsonObject {
                pretty: None,
                type_meta: k8s::meta::type_meta_from_json(&obj),
                metadata: k8s::meta::object_meta_from_json(&obj),
                object: serde_json::Value::Null,
                error: None,
            }),
            Err(_) => k8s::decode_value(Some(key), value, &opts),
        }
    } else {
        k8s::decode_value(Some(key), value, &opts)
    };
    if let Some(t) = decoded.type_meta() {
        if !ctx.show_secrets && t.kind == "Secret" && t.api_version == "v1" {
            return format!("<redacted: {} bytes>", value.len());
        }
        let mut parts: Vec<String> = Vec::new();
        if !t.api_version.is_empty() {
            parts.push(t.api_version.clone());
        }
        if !t.kind.is_empty() {
            parts.push(t.kind.clone());
        }
        if let Some(m) = decoded.metadata() {
            let n = m.full_name();
            if !n.is_empty() {
                parts.push(n);
            }
        }
        if !parts.is_empty() {
            return parts.join(" ");
        }
    }
    match decoded {
        k8s::Decoded::Redacted { .. } | k8s::Decoded::Encrypted(_) => decoded.headline(),
        k8s::Decoded::Protobuf(_) => decoded.headline(),
        _ => format!("{} bytes {}", value.len(), preview(value)),
    }
}

fn compare_target(c: &pb::Compare, ctx: &Context) -> (String, String) {
    use pb::compare::TargetUnion as T;
    let name = match c.target {
        0 => "version",
        1 => "create",
        2 => "mod",
        3 => "value",
        4 => "lease",
        _ => "target?",
    };
    let against = match &c.target_union {
        Some(T::Version(v)) | Some(T::CreateRevision(v)) | Some(T::ModRevision(v)) => v.to_string(),
        Some(T::Lease(l)) => lease_hex(*l),
        Some(T::Value(v)) => {
            if !ctx.show_secrets && k8s::is_secret_key(&c.key) {
                format!("<redacted: {} bytes>", v.len())
            } else {
                preview(v)
            }
        }
        // proto3 omits a zero: the comparison is against 0 (or "").
        None if c.target == 3 => "\"\"".to_string(),
        None => "0".to_string(),
    };
    (name.to_string(), against)
}

/// One comparison: `mod(/registry/pods/default/web-1) > 0`.
pub fn compare_text(c: &pb::Compare, ctx: &Context) -> String {
    let (target, against) = compare_target(c, ctx);
    let op = match c.result {
        0 => "=",
        1 => ">",
        2 => "<",
        3 => "!=",
        _ => "?",
    };
    format!(
        "{target}({}) {op} {against}",
        show_range(&c.key, &c.range_end)
    )
}

/// One transaction operation: `Put KEY (VALUE)`, `Range RANGE`,
/// `DeleteRange RANGE`, or a nested `Txn (...)`.
pub fn op_text(op: &pb::RequestOp, ctx: &Context, depth: usize) -> String {
    use pb::request_op::Request as R;
    match &op.request {
        Some(R::RequestRange(r)) => format!("Range {}", show_range(&r.key, &r.range_end)),
        Some(R::RequestPut(p)) => put_text(p, ctx),
        Some(R::RequestDeleteRange(d)) => {
            format!("DeleteRange {}", show_range(&d.key, &d.range_end))
        }
        Some(R::RequestTxn(t)) => txn_text(t, ctx, depth + 1),
        None => "empty op".to_string(),
    }
}

/// `Put KEY (VALUE[, lease ID])`.
pub fn put_text(p: &pb::PutRequest, ctx: &Context) -> String {
    let mut inside = vec![if p.ignore_value {
        "value unchanged".to_string()
    } else {
        value_text(&p.key, &p.value, ctx)
    }];
    if p.lease != 0 {
        inside.push(format!("lease {}", lease_hex(p.lease)));
    }
    format!("Put {} ({})", show_key(&p.key), inside.join(", "))
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn ops_list(ops: &[pb::RequestOp], ctx: &Context, depth: usize) -> String {
    let mut shown: Vec<String> = ops
        .iter()
        .take(MAX_OPS_LISTED)
        .map(|o| op_text(o, ctx, depth))
        .collect();
    if ops.len() > MAX_OPS_LISTED {
        shown.push(format!("+{} more", ops.len() - MAX_OPS_LISTED));
    }
    shown.join("; ")
}

/// `Txn (2 compares: mod(K) > 0, ...; 1 success op: Put K (...); 1 failure
/// op: ...)`.
pub fn txn_text(t: &pb::TxnRequest, ctx: &Context, depth: usize) -> String {
    if depth > 0 {
        return format!(
            "Txn ({}, {}, {})",
            plural(t.compare.len(), "compare", "compares"),
            plural(t.success.len(), "success op", "success ops"),
            plural(t.failure.len(), "failure op", "failure ops")
        );
    }
    let mut parts = Vec::new();
    if !t.compare.is_empty() {
        let mut cs: Vec<String> = t
            .compare
            .iter()
            .take(MAX_OPS_LISTED)
            .map(|c| compare_text(c, ctx))
            .collect();
        if t.compare.len() > MAX_OPS_LISTED {
            cs.push(format!("+{} more", t.compare.len() - MAX_OPS_LISTED));
        }
        parts.push(format!(
            "{}: {}",
            plural(t.compare.len(), "compare", "compares"),
            cs.join(", ")
        ));
    }
    if !t.success.is_empty() {
        parts.push(format!(
            "{}: {}",
            plural(t.success.len(), "success op", "success ops"),
            ops_list(&t.success, ctx, depth)
        ));
    }
    if !t.failure.is_empty() {
        parts.push(format!(
            "{}: {}",
            plural(t.failure.len(), "failure op", "failure ops"),
            ops_list(&t.failure, ctx, depth)
        ));
    }
    if parts.is_empty() {
        "Txn (empty)".to_string()
    } else {
        format!("Txn ({})", parts.join("; "))
    }
}

/// One transaction result: `Range: 1 kv`, `Put`, `DeleteRange: 2 deleted`.
pub fn response_op_text(op: &pb::ResponseOp, depth: usize) -> String {
    use pb::response_op::Response as R;
    match &op.response {
        Some(R::ResponseRange(r)) => format!(
            "Range: {}",
            plural(r.kvs.len().max(r.count as usize), "kv", "kvs")
        ),
        Some(R::ResponsePut(_)) => "Put".to_string(),
        Some(R::ResponseDeleteRange(d)) => format!("DeleteRange: {} deleted", d.deleted),
        Some(R::ResponseTxn(t)) if depth < MAX_TXN_DEPTH => format!(
            "Txn {} [{}]",
            if t.succeeded { "succeeded" } else { "failed" },
            t.responses
                .iter()
                .take(MAX_OPS_LISTED)
                .map(|o| response_op_text(o, depth + 1))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        Some(R::ResponseTxn(_)) => "Txn".to_string(),
        None => "empty".to_string(),
    }
}

/// Text from the wire shown lossily (names, URLs, versions).
pub fn text(bytes: &[u8]) -> String {
    let cut = bytes.get(..MAX_KEY_SHOWN).unwrap_or(bytes);
    k8s::display_key(cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_read_as_people_say_them() {
        assert_eq!(
            show_range(b"/registry/pods/", b"/registry/pods0"),
            "prefix /registry/pods/"
        );
        assert_eq!(show_range(b"a", b"\0"), ">= a");
        assert_eq!(show_range(b"\0", b"\0"), "all keys");
        assert_eq!(show_range(b"a", b""), "a");
        assert_eq!(show_range(b"a", b"c"), "[a, c)");
        // prefix end of a key ending in 0xff drops that byte.
        assert_eq!(show_range(b"a\xff", b"b"), "prefix a\\xff");
    }

    #[test]
    fn ids_are_sixteen_hex_digits() {
        assert_eq!(hex_id(0x438c62a735695e68), "438c62a735695e68");
        assert_eq!(hex_id(1), "0000000000000001");
        assert_eq!(lease_hex(-1), "ffffffffffffffff");
    }

    #[test]
    fn keys_and_previews_are_capped_and_escaped() {
        let long = vec![b'k'; MAX_KEY_SHOWN + 10];
        let s = show_key(&long);
        assert!(s.ends_with(&format!("… ({} bytes)", MAX_KEY_SHOWN + 10)));
        assert_eq!(show_key(b"a\nb"), "a\\x0ab");
        let v = vec![b'x'; 200];
        let p = preview(&v);
        assert_eq!(p.len(), MAX_VALUE_PREVIEW + 2 + '…'.len_utf8());
    }

    #[test]
    fn values_are_named_or_redacted() {
        let ctx = Context::default();
        let pod = br#"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-1","namespace":"default"}}"#;
        assert_eq!(
            value_text(b"/registry/pods/default/web-1", pod, &ctx),
            "v1 Pod default/web-1"
        );
        let secret =
            br#"{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s1"},"data":{"p":"eA=="}}"#;
        assert_eq!(
            value_text(b"/registry/secrets/default/s1", secret, &ctx),
            format!("<redacted: {} bytes>", secret.len())
        );
        // A Secret stored under another key is still recognised.
        assert!(value_text(b"/elsewhere", secret, &ctx).starts_with("<redacted"));
        let shown = Context {
            show_secrets: true,
            ..Default::default()
        };
        assert_eq!(
            value_text(b"/registry/secrets/default/s1", secret, &shown),
            "v1 Secret s1"
        );
        assert_eq!(value_text(b"k", b"hello", &ctx), "5 bytes \"hello\"");
        assert_eq!(value_text(b"k", b"", &ctx), "empty");
    }

    #[test]
    fn protobuf_objects_are_named_and_protobuf_secrets_redacted() {
        use crate::k8s::envelope::{encode, put_len};
        let ctx = Context::default();
        let mut meta = Vec::new();
        put_len(&mut meta, 1, b"web-1");
        put_len(&mut meta, 3, b"default");
        let mut raw = Vec::new();
        put_len(&mut raw, 1, &meta);
        let pod = encode("v1", "Pod", &raw);
        assert_eq!(
            value_text(b"/registry/pods/default/web-1", &pod, &ctx),
            "v1 Pod default/web-1"
        );
        // A Secret is recognised by its type wherever it is stored.
        let secret = encode("v1", "Secret", &raw);
        assert_eq!(
            value_text(b"/somewhere/else", &secret, &ctx),
            format!("<redacted: {} bytes>", secret.len())
        );
    }
}
