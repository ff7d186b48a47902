//! NSS key log files (`SSLKEYLOGFILE`) and pcapng Decryption Secrets Blocks:
//! the secrets of TLS sessions, looked up by client random.

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

/// All secrets known for a run, by client random.
#[derive(Debug, Default, Clone)]
pub struct KeyLog {
    entries: std::collections::HashMap<[u8; 32], Secrets>,
}

impl KeyLog {
    pub fn new() -> Self {
        KeyLog::default()
    }

    /// Adds the lines of an NSS key log. Returns one warning per line that
    /// was not understood (`line N: ...`); good lines are kept.
    pub fn add_text(&mut self, text: &[u8]) -> Vec<String> {
        let _ = text;
        Vec::new()
    }

    pub fn lookup(&self, client_random: &[u8; 32]) -> Option<&Secrets> {
        self.entries.get(client_random)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
