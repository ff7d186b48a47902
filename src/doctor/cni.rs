//! CNI configuration (`etc/cni/net.d`) in the order the container runtime
//! loads it: files ending `.conf`, `.conflist` or `.json`, in lexical
//! order; the first one that loads decides the pod network. Invalid JSON
//! (line and column), missing `cniVersion`/`name`/`type`/`plugins`, plugin
//! binaries absent from `opt/cni/bin`, and an empty folder (the node stays
//! NotReady: "cni plugin not initialized").

use std::path::Path;

use serde_json::Value;

use super::node::{ReadError, is_symlink_loop, read_text};
use super::{Finding, Node, Status};

const CHECK: &str = "cni";
pub const NET_D: &str = "/etc/cni/net.d";
pub const BIN: &str = "/opt/cni/bin";

pub fn check(node: &Node, findings: &mut Vec<Finding>) {
    let dir = node.host(NET_D);
    let mut names: Vec<String> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| {
                Path::new(n)
                    .extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| matches!(e, "conf" | "conflist" | "json"))
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    if names.is_empty() {
        findings.push(
            Finding::new(
                CHECK,
                Status::Fail,
                "no CNI configuration (.conf, .conflist, .json): the node stays NotReady with \"cni plugin not initialized\"",
            )
            .file(NET_D)
            .fix("install the pod network add-on (e.g. kubectl apply -f <cni manifest>) or restore its file in /etc/cni/net.d"),
        );
        return;
    }
    let mut decided: Option<String> = None;
    for name in names {
        let file = format!("{NET_D}/{name}");
        if let Some(first) = &decided {
            findings.push(
                Finding::new(
                    CHECK,
                    Status::Ok,
                    format!("not loaded: {first} comes first and decides the pod network"),
                )
                .file(file),
            );
            continue;
        }
        let host = dir.join(&name);
        let text = if is_symlink_loop(&host) {
            Err(ReadError::SymlinkLoop)
        } else {
            read_text(&host)
        };
        let text = match text {
            Ok(t) => t,
            Err(e) => {
                findings.push(
                    Finding::new(
                        CHECK,
                        Status::Fail,
                        format!("cannot be loaded: {e}; the runtime stops at this file"),
                    )
                    .file(file)
                    .fix("remove the file or restore it from the network add-on"),
                );
                continue;
            }
        };
        let doc: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                findings.push(
                    Finding::new(
                        CHECK,
                        Status::Fail,
                        format!(
                            "invalid JSON at line {} column {}: {e}; the runtime cannot load the pod network (NetworkReady=false)",
                            e.line(),
                            e.column()
                        ),
                    )
                    .file(file)
                    .line(Some(e.line()))
                    .fix("repair the JSON or reinstall the network add-on's configuration"),
                );
                continue;
            }
        };
        let before = findings.len();
        let conflist = name.ends_with(".conflist");
        let type_line = |t: &str| {
            let value = format!("\"{t}\"");
            text.lines()
                .position(|l| l.contains("\"type\"") && l.contains(&value))
                .map(|i| i + 1)
        };
        let mut missing = |key: &str, why: &str| {
            findings.push(
                Finding::new(CHECK, Status::Fail, format!("missing \"{key}\": {why}"))
                    .file(&file)
                    .fix(format!(
                        "add \"{key}\" (see the network add-on's example configuration)"
                    )),
            );
        };
        if !doc.is_object() {
            findings.push(
                Finding::new(
                    CHECK,
                    Status::Fail,
                    "not a CNI configuration: the top level is not a JSON object",
                )
                .file(&file)
                .fix("restore the network add-on's configuration file"),
            );
            continue;
        }
        if doc.get("cniVersion").and_then(Value::as_str).is_none() {
            missing(
                "cniVersion",
                "the runtime rejects a configuration without a version",
            );
        }
        if doc.get("name").and_then(Value::as_str).is_none() {
            missing("name", "every network needs a name");
        }
        let plugins: Vec<&Value> = if conflist {
            match doc.get("plugins").and_then(Value::as_array) {
                Some(p) if !p.is_empty() => p.iter().collect(),
                _ => {
                    missing("plugins", "a .conflist needs a non-empty plugins list");
                    Vec::new()
                }
            }
        } else {
            vec![&doc]
        };
        let mut types = Vec::new();
        for p in plugins {
            match p.get("type").and_then(Value::as_str) {
                Some(t) => types.push(t.to_string()),
                None => missing("type", "each plugin names its binary with \"type\""),
            }
            if let Some(t) = p
                .get("ipam")
                .and_then(|i| i.get("type"))
                .and_then(Value::as_str)
            {
                types.push(t.to_string());
            }
        }
        for t in &types {
            let bin = format!("{BIN}/{t}");
            if t.contains('/') || !node.host(&bin).is_file() {
                findings.push(
                    Finding::new(
                        CHECK,
                        Status::Fail,
                        format!("plugin \"{t}\" has no binary {bin}: pod sandboxes fail to start"),
                    )
                    .file(&file)
                    .line(type_line(t))
                    .fix(format!(
                        "install the CNI plugins (containernetworking-plugins) so {bin} exists"
                    )),
                );
            }
        }
        if findings.len() == before {
            let net = doc.get("name").and_then(Value::as_str).unwrap_or_default();
            findings.push(
                Finding::new(
                    CHECK,
                    Status::Ok,
                    format!(
                        "loaded first: network \"{net}\", plugins {} all in {BIN}",
                        types.join(", ")
                    ),
                )
                .file(&file),
            );
        }
        decided = Some(file);
    }
}
