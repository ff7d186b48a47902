//! NSS key log files (`SSLKEYLOGFILE`) and pcapng Decryption Secrets Blocks:
//! the secrets of TLS sessions, looked up by client random.
//!
//! Owns parsing and storage only; the TLS dissector looks sessions up and
//! `decrypt` turns secrets into record keys. Secrets are never printed:
//! `Secrets` has a redacted `Debug`, and warnings name lines and lengths,
//! never secret bytes.

use std::collections::HashMap;

/// The TLS secrets of one session (one client random).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    /// TLS ≤ 1.2: `CLIENT_RANDOM` (48 bytes).
    pub master_secret: Option<Vec<u8>>,
    pub client_early_traffic_secret: Option<Vec<u8>>,
    pub client_handshake_traffic_secret: Option<Vec<u8>>,
    pub server_handshake_traffic_secret: Option<Vec<u8>>,
    pub client_traffic_secret_0: Option<Vec<u8>>,
    pub server_traffic_secret_0: Option<Vec<u8>>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(<redacted>)")
    }
}

/// pcapng Decryption Secrets Block type carrying an NSS key log ("TLSK").
pub const DSB_TLS_KEY_LOG: u32 = 0x544c_534b;

/// At most this many warnings are returned per call (then one summary
/// line), so a binary file given as a key log cannot flood the output.
pub const MAX_WARNINGS: usize = 100;

/// Longest label shown in a warning (labels come from the file).
const MAX_LABEL_SHOWN: usize = 40;

/// Length of a TLS 1.2 master secret.
const MASTER_SECRET_LEN: usize = 48;

/// All secrets known for a run, by client random. Memory grows with the key
/// log given (one entry per client random in it), which the user chose.
#[derive(Debug, Default, Clone)]
pub struct KeyLog {
    entries: HashMap<[u8; 32], Secrets>,
}

/// Which field of [`Secrets`] a label fills.
#[derive(Clone, Copy)]
enum Field {
    Master,
    ClientEarly,
    ClientHandshake,
    ServerHandshake,
    ClientTraffic0,
    ServerTraffic0,
}

enum Label {
    Store(Field),
    /// Known to the format, not needed for decryption here.
    Ignored,
    /// Known, but this tool cannot use it (said in a warning).
    Unsupported(&'static str),
}

fn classify(label: &str) -> Option<Label> {
    Some(match label {
        "CLIENT_RANDOM" => Label::Store(Field::Master),
        "CLIENT_EARLY_TRAFFIC_SECRET" => Label::Store(Field::ClientEarly),
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET" => Label::Store(Field::ClientHandshake),
        "SERVER_HANDSHAKE_TRAFFIC_SECRET" => Label::Store(Field::ServerHandshake),
        "CLIENT_TRAFFIC_SECRET_0" => Label::Store(Field::ClientTraffic0),
        "SERVER_TRAFFIC_SECRET_0" => Label::Store(Field::ServerTraffic0),
        "EXPORTER_SECRET" | "EARLY_EXPORTER_SECRET" | "RSA" | "ECH_SECRET" | "ECH_CONFIG" => {
            Label::Ignored
        }
        "PMS_CLIENT_RANDOM" => Label::Unsupported(
            "pre-master secrets (PMS_CLIENT_RANDOM) are not supported; log CLIENT_RANDOM",
        ),
        _ => return None,
    })
}

/// A label from the file, made safe to print (escaped, shortened).
fn shown(label: &str) -> String {
    let mut s: String = label
        .chars()
        .take(MAX_LABEL_SHOWN)
        .collect::<String>()
        .escape_debug()
        .to_string();
    if label.chars().count() > MAX_LABEL_SHOWN {
        s.push('…');
    }
    s
}

fn decode_hex(what: &str, text: &str) -> Result<Vec<u8>, String> {
    if text.len() % 2 != 0 {
        return Err(format!(
            "{what} has an odd number of hex digits ({})",
            text.len()
        ));
    }
    hex::decode(text).map_err(|_| format!("{what} is not hex"))
}

impl KeyLog {
    pub fn new() -> Self {
        KeyLog::default()
    }

    /// Adds NSS key log lines (SSLKEYLOGFILE: `LABEL <client_random hex 64>
    /// <secret hex>`; `#` comments, blank lines, CRLF). Labels:
    /// CLIENT_RANDOM (48-byte master secret), CLIENT_EARLY_TRAFFIC_SECRET,
    /// CLIENT_HANDSHAKE_TRAFFIC_SECRET, SERVER_HANDSHAKE_TRAFFIC_SECRET,
    /// CLIENT_TRAFFIC_SECRET_0, SERVER_TRAFFIC_SECRET_0 (32 or 48 bytes);
    /// EXPORTER_SECRET, EARLY_EXPORTER_SECRET, RSA and ECH lines are known
    /// and ignored. Returns one warning per line not understood
    /// (`line 7: client random is 31 bytes, expected 32`), at most
    /// [`MAX_WARNINGS`] then a count; good lines are kept. A later line for
    /// the same client random and label replaces the earlier one.
    pub fn add_text(&mut self, text: &[u8]) -> Vec<String> {
        let mut warnings = Vec::new();
        let mut not_shown = 0usize;
        for (index, raw) in text.split(|&b| b == b'\n').enumerate() {
            if let Err(why) = self.add_line(raw) {
                if warnings.len() < MAX_WARNINGS {
                    warnings.push(format!("line {}: {why}", index + 1));
                } else {
                    not_shown += 1;
                }
            }
        }
        if not_shown > 0 {
            warnings.push(format!("{not_shown} more lines not understood"));
        }
        warnings
    }

    /// One line; `Err` says why it was not understood.
    fn add_line(&mut self, raw: &[u8]) -> Result<(), String> {
        let Ok(line) = std::str::from_utf8(raw) else {
            return Err("not text (invalid UTF-8)".to_string());
        };
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return Ok(());
        }
        let mut fields = line.split_ascii_whitespace();
        let (Some(label), Some(random_hex), Some(secret_hex), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(format!(
                "expected `LABEL CLIENT_RANDOM SECRET`, found {} fields",
                line.split_ascii_whitespace().count()
            ));
        };
        let field = match classify(label) {
            Some(Label::Store(field)) => field,
            Some(Label::Ignored) => return Ok(()),
            Some(Label::Unsupported(why)) => return Err(why.to_string()),
            None => return Err(format!("unknown label `{}`", shown(label))),
        };
        let random = decode_hex("client random", random_hex)?;
        let random: [u8; 32] = random
            .as_slice()
            .try_into()
            .map_err(|_| format!("client random is {} bytes, expected 32", random.len()))?;
        let secret = decode_hex("secret", secret_hex)?;
        match field {
            Field::Master if secret.len() != MASTER_SECRET_LEN => {
                return Err(format!(
                    "master secret is {} bytes, expected {MASTER_SECRET_LEN}",
                    secret.len()
                ));
            }
            Field::Master => {}
            // SHA-256 or SHA-384 suites.
            _ if secret.len() != 32 && secret.len() != 48 => {
                return Err(format!(
                    "{label} is {} bytes, expected 32 or 48",
                    secret.len()
                ));
            }
            _ => {}
        }
        let entry = self.entries.entry(random).or_default();
        let slot = match field {
            Field::Master => &mut entry.master_secret,
            Field::ClientEarly => &mut entry.client_early_traffic_secret,
            Field::ClientHandshake => &mut entry.client_handshake_traffic_secret,
            Field::ServerHandshake => &mut entry.server_handshake_traffic_secret,
            Field::ClientTraffic0 => &mut entry.client_traffic_secret_0,
            Field::ServerTraffic0 => &mut entry.server_traffic_secret_0,
        };
        *slot = Some(secret);
        Ok(())
    }

    /// A pcapng Decryption Secrets Block: secrets type 0x544c534b ("TLSK")
    /// carries NSS key log text (warnings then start with `Decryption
    /// Secrets Block: `); other types give one warning naming the type.
    pub fn add_dsb(&mut self, secrets_type: u32, data: &[u8]) -> Vec<String> {
        if secrets_type == DSB_TLS_KEY_LOG {
            return self
                .add_text(data)
                .into_iter()
                .map(|w| format!("Decryption Secrets Block: {w}"))
                .collect();
        }
        let tag: String = secrets_type
            .to_be_bytes()
            .iter()
            .map(|&b| {
                if b.is_ascii_graphic() {
                    char::from(b)
                } else {
                    '.'
                }
            })
            .collect();
        let known = match secrets_type {
            0x5747_4b4c => " (WireGuard key log)",
            0x5a4e_574b => " (ZigBee network key)",
            0x5a41_5053 => " (ZigBee APS key)",
            0x6f70_6373 => " (OPC UA key log)",
            _ => "",
        };
        vec![format!(
            "Decryption Secrets Block of type 0x{secrets_type:08x} \"{tag}\"{known} ignored: only TLS key logs (\"TLSK\") are used"
        )]
    }

    pub fn lookup(&self, client_random: &[u8; 32]) -> Option<&Secrets> {
        self.entries.get(client_random)
    }

    /// Number of sessions (client randoms) with at least one secret.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RANDOM: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn good_lines_kept_bad_lines_warned_by_number() {
        let master = "ab".repeat(48);
        let text = format!(
            "# comment\r\n\r\nCLIENT_RANDOM {RANDOM} {master}\r\nCLIENT_RANDOM {} {master}\nBOGUS {RANDOM} 00\nSERVER_TRAFFIC_SECRET_0 {RANDOM} abc\nEXPORTER_SECRET {RANDOM} {}\n",
            &RANDOM[2..],
            "00".repeat(32)
        );
        let mut log = KeyLog::new();
        let warnings = log.add_text(text.as_bytes());
        assert_eq!(
            warnings,
            vec![
                "line 4: client random is 31 bytes, expected 32".to_string(),
                "line 5: unknown label `BOGUS`".to_string(),
                "line 6: secret has an odd number of hex digits (3)".to_string(),
            ]
        );
        assert_eq!(log.len(), 1);
        let random: [u8; 32] = std::array::from_fn(|i| i as u8);
        let secrets = log.lookup(&random).expect("entry");
        assert_eq!(secrets.master_secret.as_deref(), Some(&[0xab; 48][..]));
        assert_eq!(secrets.server_traffic_secret_0, None);
        assert_eq!(format!("{secrets:?}"), "Secrets(<redacted>)");
    }

    #[test]
    fn other_dsb_type_is_named() {
        let mut log = KeyLog::new();
        let w = log.add_dsb(0x5747_4b4c, b"whatever");
        assert_eq!(w.len(), 1);
        assert!(
            w[0].contains("0x57474b4c") && w[0].contains("WGKL"),
            "{w:?}"
        );
        assert!(log.is_empty());
    }
}
