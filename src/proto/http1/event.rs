//! The events of the HTTP/1.1 dissector and the path templates used to
//! group calls by endpoint (`pcap rpc`).

use std::collections::BTreeMap;

use serde::Serialize;

/// Events of the HTTP/1.1 dissector (`type` = `http_...`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HttpEvent {
    /// A request head was read.
    HttpRequest {
        method: String,
        path: String,
        version: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        host: Option<String>,
        /// Headers of interest only (lower-case names): content-type,
        /// content-length, transfer-encoding, user-agent, upgrade and
        /// etcd's `x-*` peer headers.
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        headers: BTreeMap<String, String>,
        /// From Content-Length; None for chunked or unknown bodies (see
        /// `http_body_end`).
        body_bytes: Option<u64>,
    },
    /// A final response head was read (1xx interim responses give
    /// `http_response` too, with `interim: true`).
    HttpResponse {
        status: u16,
        reason: String,
        version: String,
        /// The paired request's method (`?` when the request was not seen).
        method: String,
        /// The paired request's path (`?` when the request was not seen).
        path: String,
        /// From the end of the request (or its head when the body never
        /// ended) to this response head.
        latency_ms: Option<f64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        content_type: Option<String>,
        /// From Content-Length (0 for bodiless responses); None for chunked
        /// or read-to-close bodies (see `http_body_end`).
        body_bytes: Option<u64>,
        /// Chunked or read-to-close body: data keeps coming after the head
        /// (watch streams, Raft streams).
        streaming: bool,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        interim: bool,
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        headers: BTreeMap<String, String>,
    },
    /// A chunked or read-to-close body ended (or the connection ended
    /// inside it: `complete: false`).
    HttpBodyEnd {
        /// `request` or `response`.
        side: &'static str,
        method: String,
        path: String,
        body_bytes: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        trailers: Option<BTreeMap<String, String>>,
        complete: bool,
    },
    /// The connection switched protocols (`101` upgrade or `CONNECT`).
    HttpUpgrade {
        /// `h2c`, `websocket`, `connect` ...
        protocol: String,
        path: String,
    },
    /// A request or response head whose event the view turned off
    /// ([`crate::proto::Wants::http1`]): only its time is kept. Never made
    /// when HTTP/1.1 events are wanted.
    HttpOmitted {},
    /// Bytes that are not HTTP/1.1 were skipped to find the next request
    /// or status line (capture started mid-stream, gap, malformed data).
    HttpResync {
        /// `request` or `response` stream.
        side: &'static str,
        skipped_bytes: u64,
        reason: String,
    },
}

impl HttpEvent {
    pub fn name(&self) -> &'static str {
        match self {
            HttpEvent::HttpRequest { .. } => "http_request",
            HttpEvent::HttpResponse { .. } => "http_response",
            HttpEvent::HttpBodyEnd { .. } => "http_body_end",
            HttpEvent::HttpUpgrade { .. } => "http_upgrade",
            HttpEvent::HttpResync { .. } => "http_resync",
            HttpEvent::HttpOmitted {} => "http_omitted",
        }
    }

    pub fn summary(&self) -> String {
        match self {
            HttpEvent::HttpRequest {
                method,
                path,
                host,
                body_bytes,
                ..
            } => {
                let mut s = format!("{method} {path}");
                if let Some(h) = host {
                    s.push_str(&format!(" host={h}"));
                }
                if let Some(n) = body_bytes {
                    s.push_str(&format!(" body={n}B"));
                }
                s
            }
            HttpEvent::HttpResponse {
                status,
                reason,
                method,
                path,
                latency_ms,
                body_bytes,
                streaming,
                ..
            } => {
                let mut s = format!("{status} {reason} ← {method} {path}");
                if let Some(ms) = latency_ms {
                    s.push_str(&format!(" {ms:.1} ms"));
                }
                if let Some(n) = body_bytes {
                    s.push_str(&format!(" body={n}B"));
                }
                if *streaming {
                    s.push_str(" (streaming)");
                }
                s
            }
            HttpEvent::HttpBodyEnd {
                side,
                method,
                path,
                body_bytes,
                complete,
                ..
            } => format!(
                "{side} body of {method} {path}: {body_bytes} bytes{}",
                if *complete { "" } else { " (incomplete)" }
            ),
            HttpEvent::HttpUpgrade { protocol, path } => {
                format!("switched to {protocol} after {path}")
            }
            HttpEvent::HttpResync {
                side,
                skipped_bytes,
                reason,
            } => format!("{side} stream: skipped {skipped_bytes} bytes ({reason})"),
            HttpEvent::HttpOmitted {} => "omitted".to_string(),
        }
    }
}

/// Turns a request path into a template for grouping: the query string is
/// dropped, Kubernetes API namespaces and object names become
/// `{namespace}` and `{name}`, and numbers, hex ids and UUIDs become `{id}`.
///
/// `/raft/stream/msgapp/8e9e05c52164694d` → `/raft/stream/msgapp/{id}`;
/// `/api/v1/namespaces/kube-system/pods/etcd-cp1?watch=1` →
/// `/api/v1/namespaces/{namespace}/pods/{name}`.
pub fn path_template(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or("");
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut out: Vec<String> = Vec::with_capacity(segments.len());
    // Length of the Kubernetes API group/version prefix, if this is one.
    let api_prefix = match segments.first() {
        Some(&"api") if segments.len() >= 2 => Some(2),
        Some(&"apis") if segments.len() >= 3 => Some(3),
        _ => None,
    };
    match api_prefix {
        Some(n) => {
            out.extend(segments.iter().take(n).map(|s| s.to_string()));
            let mut rest = segments.get(n..).unwrap_or(&[]);
            if rest.first() == Some(&"watch") {
                out.push("watch".to_string());
                rest = rest.get(1..).unwrap_or(&[]);
            }
            if rest.first() == Some(&"namespaces") && rest.len() > 2 {
                out.push("namespaces".to_string());
                out.push("{namespace}".to_string());
                rest = rest.get(2..).unwrap_or(&[]);
            }
            for (i, seg) in rest.iter().enumerate() {
                out.push(match i {
                    // resource, then the object's name, then subresources.
                    1 => "{name}".to_string(),
                    _ => generic_segment(seg),
                });
            }
        }
        None => out.extend(segments.iter().map(|s| generic_segment(s))),
    }
    let mut t = String::with_capacity(path.len());
    for seg in &out {
        t.push('/');
        t.push_str(seg);
    }
    if t.is_empty() || (path.ends_with('/') && !out.is_empty()) {
        t.push('/');
    }
    t
}

/// `{id}` for numbers, hex ids (8+ hex digits with at least one digit) and
/// UUIDs; the segment itself otherwise.
fn generic_segment(seg: &str) -> String {
    let is_number = seg.bytes().all(|b| b.is_ascii_digit());
    let hexish = seg.len() >= 8
        && seg.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
        && seg.bytes().any(|b| b.is_ascii_digit());
    if is_number || hexish {
        "{id}".to_string()
    } else {
        seg.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::path_template;

    #[test]
    fn templates() {
        assert_eq!(
            path_template("/raft/stream/msgapp/8e9e05c52164694d"),
            "/raft/stream/msgapp/{id}"
        );
        assert_eq!(
            path_template("/api/v1/namespaces/kube-system/pods/etcd-cp1"),
            "/api/v1/namespaces/{namespace}/pods/{name}"
        );
        assert_eq!(
            path_template("/api/v1/namespaces/default/pods/web-1/log?follow=true"),
            "/api/v1/namespaces/{namespace}/pods/{name}/log"
        );
        assert_eq!(
            path_template("/apis/apps/v1/namespaces/default/deployments"),
            "/apis/apps/v1/namespaces/{namespace}/deployments"
        );
        assert_eq!(path_template("/api/v1/nodes/cp1"), "/api/v1/nodes/{name}");
        assert_eq!(path_template("/api/v1/namespaces"), "/api/v1/namespaces");
        assert_eq!(
            path_template("/api/v1/namespaces/kube-system"),
            "/api/v1/namespaces/{name}"
        );
        assert_eq!(path_template("/members/12/x"), "/members/{id}/x");
        assert_eq!(path_template("/raft"), "/raft");
        assert_eq!(path_template("/version?x=1"), "/version");
        assert_eq!(path_template(""), "/");
        assert_eq!(path_template("/"), "/");
        assert_eq!(path_template("/healthz"), "/healthz");
    }
}
