//! Defensive file reading for doctor: bounded size, text only, and errors
//! in words (a symlink loop, a directory where a file should be), plus
//! helpers that find the line a flag or key is on.

use std::path::Path;

/// Largest configuration file doctor reads (manifests, kubeconfigs, CNI).
pub const MAX_CONFIG_BYTES: u64 = 4 << 20;

/// Why a configuration file could not be read as text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read: {0}")]
    Io(String),
    #[error("symlink loop (too many levels of symbolic links)")]
    SymlinkLoop,
    #[error("more than {MAX_CONFIG_BYTES} bytes, too large for a configuration file")]
    TooLarge,
    #[error("{0}, not a regular file: not read")]
    NotRegular(&'static str),
    #[error("binary data, not text (NUL byte at offset {0})")]
    Binary(usize),
    #[error("not UTF-8 text (invalid byte at offset {0})")]
    NotUtf8(usize),
}

/// Reads a configuration file as text, at most [`MAX_CONFIG_BYTES`]
/// (counted while reading); FIFOs and devices are refused unread.
pub fn read_text(path: &Path) -> Result<String, ReadError> {
    let bytes = crate::fsutil::read_regular_file(path, MAX_CONFIG_BYTES, "a configuration file")
        .map_err(|e| match e {
            crate::fsutil::FileError::Io { source, .. } => io_error(source),
            crate::fsutil::FileError::NotRegular { kind, .. } => ReadError::NotRegular(kind),
            crate::fsutil::FileError::TooLarge { .. } => ReadError::TooLarge,
        })?;
    if let Some(i) = bytes.iter().position(|&b| b == 0) {
        return Err(ReadError::Binary(i));
    }
    String::from_utf8(bytes).map_err(|e| ReadError::NotUtf8(e.utf8_error().valid_up_to()))
}

fn io_error(e: std::io::Error) -> ReadError {
    // ELOOP: too many levels of symbolic links.
    if e.raw_os_error() == Some(40) {
        ReadError::SymlinkLoop
    } else {
        ReadError::Io(crate::pki::load::io_message(&e))
    }
}

/// True when the symlink chain at `path` never ends (checked without
/// following it on the host: a loop inside a `--root` tree).
pub fn is_symlink_loop(path: &Path) -> bool {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::read_link(&p) {
            Ok(target) => {
                p = match p.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            Err(_) => return false,
        }
    }
    true
}

/// The 1-based line of the `n`th (0-based) occurrence of flag `--name`
/// (as `--name=...` or `--name` alone) in a manifest's text.
pub fn flag_line(text: &str, name: &str, n: usize) -> Option<usize> {
    let eq = format!("--{name}=");
    let bare = format!("--{name}");
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim();
            let t = t.strip_prefix("- ").map(str::trim_start).unwrap_or(t);
            let t = t.trim_matches(|c| c == '"' || c == '\'');
            t.starts_with(&eq) || t == bare
        })
        .nth(n)
        .map(|(i, _)| i + 1)
}

/// The 1-based line of the first line at or after `from` (1-based) whose
/// trimmed text starts with `prefix`.
pub fn line_starting(text: &str, prefix: &str, from: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .find(|(_, l)| l.trim_start().trim_start_matches("- ").starts_with(prefix))
        .map(|(i, _)| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_flag_lines() {
        let text = "spec:\n  - command:\n    - kube-apiserver\n    - --secure-port=6443\n    - --secure-port=6444\n";
        assert_eq!(flag_line(text, "secure-port", 0), Some(4));
        assert_eq!(flag_line(text, "secure-port", 1), Some(5));
        assert_eq!(flag_line(text, "secure", 0), None);
        assert_eq!(line_starting(text, "command:", 1), Some(2));
    }

    #[test]
    fn urls_and_ports() {
        let u = Url::parse("https://10.0.0.1:2379/");
        assert_eq!((u.scheme.as_str(), u.host.as_str()), ("https", "10.0.0.1"));
        assert_eq!(u.port_number(), Ok(2379));
        assert_eq!(Url::parse("https://node1").port_number(), Ok(443));
        assert_eq!(Url::parse("http://[::1]:80").host, "::1");
        assert!(Url::parse("10.0.0.1:x").port_number().is_err());
        assert!(parse_port("0").unwrap_err().contains("outside"));
        assert!(parse_port("65536").unwrap_err().contains("outside"));
        assert!(parse_port("https").unwrap_err().contains("not a number"));
    }
}

/// A URL split the way doctor needs it: the port kept as written so a
/// non-numeric or out-of-range port can be reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub scheme: String,
    pub host: String,
    /// The port as written; `None` when absent.
    pub port: Option<String>,
}

impl Url {
    /// `https://10.0.0.1:2379/` → scheme `https`, host `10.0.0.1`, port `2379`.
    pub fn parse(s: &str) -> Url {
        let (scheme, rest) = match s.split_once("://") {
            Some((a, b)) => (a.to_ascii_lowercase(), b),
            None => (String::new(), s),
        };
        let hostport = rest.split('/').next().unwrap_or_default();
        let (host, port) = if let Some(r) = hostport.strip_prefix('[') {
            match r.split_once(']') {
                Some((h, p)) => (h.to_string(), p.strip_prefix(':').map(str::to_string)),
                None => (r.to_string(), None),
            }
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p.to_string())),
                None => (hostport.to_string(), None),
            }
        };
        Url { scheme, host, port }
    }

    /// The port number, the scheme's default when absent (https 443, http 80).
    pub fn port_number(&self) -> Result<u16, String> {
        match &self.port {
            Some(p) => parse_port(p),
            None => match self.scheme.as_str() {
                "https" => Ok(443),
                "http" => Ok(80),
                _ => Err("no port".to_string()),
            },
        }
    }
}

/// A TCP port: a number in 1–65535.
pub fn parse_port(s: &str) -> Result<u16, String> {
    match s.trim().parse::<u64>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
        Ok(n) => Err(format!("port {n} is outside 1-65535")),
        Err(_) => Err(format!("port {s:?} is not a number")),
    }
}
