//! Which key opens which record of one TLS connection: the TLS 1.2 key
//! block after ChangeCipherSpec, the TLS 1.3 handshake, 0-RTT and
//! application secrets (with trial decryption between 0-RTT and handshake
//! keys on the client side), KeyUpdate, and the reasons decryption could
//! not start. These are [`TlsDissector`]'s methods; the record primitives
//! live in [`super::decrypt`], the key log in [`super::keylog`].

use super::decrypt::{self, RecordDecrypter};
use super::handshake::msg;
use super::{CT_HANDSHAKE, ClientPhase, TlsDissector, keylog, names};
use crate::proto::{Direction, EventSink};
use crate::timestamp::Timestamp;

impl TlsDissector {
    /// Opens a protected record with the direction's key; for the TLS 1.3
    /// client, trial decryption between the 0-RTT and handshake keys.
    pub(super) fn try_open(
        &mut self,
        ts: Timestamp,
        dir: Direction,
        header: [u8; 5],
        body: &[u8],
        sink: &mut dyn EventSink,
    ) -> Option<(u8, Vec<u8>)> {
        let i = dir.index();
        if self.tls13 && dir == Direction::ClientToServer && self.client_phase == ClientPhase::Early
        {
            if let Some(early) = self.early_dec.as_mut() {
                if let Ok((t, plain)) = early.open(header, body) {
                    if t == CT_HANDSHAKE && plain.first() == Some(&msg::END_OF_EARLY_DATA) {
                        self.switch_to_handshake_phase();
                        return None;
                    }
                    self.early_records += 1;
                    self.early_bytes += body.len() as u64;
                    self.early_decrypted += 1;
                    return Some((t, plain));
                }
            }
            if let Some(hs) = self.dirs[i].next_dec.as_mut() {
                match hs.open(header, body) {
                    Ok(r) => {
                        self.switch_to_handshake_phase();
                        return Some(r);
                    }
                    Err(_) => {
                        // Neither key: 0-RTT data we cannot open.
                        self.early_records += 1;
                        self.early_bytes += body.len() as u64;
                        return None;
                    }
                }
            }
        }
        let dec = self.dirs[i].dec.as_mut()?;
        match dec.open(header, body) {
            Ok(r) => Some(r),
            Err(e) => {
                self.dirs[i].dec_broken = true;
                self.notice(
                    sink,
                    ts,
                    dir,
                    format!(
                        "decryption stopped: {e}; further records of this direction stay encrypted"
                    ),
                );
                None
            }
        }
    }

    pub(super) fn switch_to_handshake_phase(&mut self) {
        self.client_phase = ClientPhase::Handshake;
        if let Some(hs) = self.dirs[0].next_dec.take() {
            self.dirs[0].dec = Some(hs);
        }
        self.early_dec = None;
    }

    /// The secrets of this connection, looked up now (pcapng Decryption
    /// Secrets Blocks may have arrived since the connection began).
    pub(super) fn secrets(&self) -> Option<keylog::Secrets> {
        let ch = self.ch.as_ref()?;
        let log = self.ctx.keylog.read().ok()?;
        log.lookup(&ch.random).cloned()
    }

    pub(super) fn start_tls12_decryption(
        &mut self,
        ts: Timestamp,
        dir: Direction,
        sink: &mut dyn EventSink,
    ) {
        let i = dir.index();
        if self.dirs[i].dec.is_some() || self.dirs[i].dec_broken {
            return;
        }
        let Some(sh) = self.sh.as_ref() else { return };
        let Some(ch) = self.ch.as_ref() else { return };
        let (cr, sr, suite, version) = (ch.random, sh.random, sh.cipher, sh.version());
        let Some(secrets) = self.secrets() else {
            self.no_keys("no CLIENT_RANDOM for this session in the key log");
            return;
        };
        let Some(ms) = secrets.master_secret.as_deref() else {
            self.no_keys("the key log has no master secret (CLIENT_RANDOM) for this session");
            return;
        };
        if !self.can_decrypt(suite) {
            return;
        }
        // TLS 1.0/1.1 have their own PRF (and 1.0 chained CBC IVs).
        match decrypt::tls_decrypters(version, ms, &cr, &sr, suite) {
            Ok((c2s, s2c)) => {
                self.dirs[i].dec = Some(if i == 0 { c2s } else { s2c });
            }
            Err(e) => {
                self.dirs[i].dec_broken = true;
                self.notice(sink, ts, dir, format!("cannot derive keys: {e}"));
            }
        }
    }

    /// Whether records of `suite` can be opened; if not, that is why the
    /// keys are missing.
    fn can_decrypt(&mut self, suite: u16) -> bool {
        let supported = decrypt::suite_supported(suite);
        if !supported {
            self.no_keys(&format!(
                "cipher suite {} is not supported for decryption",
                names::cipher_name(suite)
            ));
        }
        supported
    }

    pub(super) fn no_keys(&mut self, why: &str) {
        if self.keys_missing.is_none() && !self.ctx_has_no_keylog() {
            self.keys_missing = Some(why.to_string());
        }
    }

    pub(super) fn ctx_has_no_keylog(&self) -> bool {
        self.ctx.keylog.read().map(|k| k.is_empty()).unwrap_or(true)
    }

    pub(super) fn start_tls13_decryption(&mut self, ts: Timestamp, sink: &mut dyn EventSink) {
        if self.keys_looked_up {
            return;
        }
        self.keys_looked_up = true;
        let Some(suite) = self.sh.as_ref().map(|s| s.cipher) else {
            return;
        };
        let Some(secrets) = self.secrets() else {
            self.no_keys("no secrets for this session's client random in the key log");
            return;
        };
        if !self.can_decrypt(suite) {
            return;
        }
        let mk = |s: &Option<Vec<u8>>| -> Option<(RecordDecrypter, Vec<u8>)> {
            let s = s.as_ref()?;
            decrypt::tls13_decrypter(s, suite)
                .ok()
                .map(|d| (d, s.clone()))
        };
        match mk(&secrets.server_handshake_traffic_secret) {
            Some((d, s)) => {
                self.dirs[1].dec = Some(d);
                self.dirs[1].secret = Some(s);
            }
            None => {
                self.no_keys("the key log has no SERVER_HANDSHAKE_TRAFFIC_SECRET for this session");
                self.notice(
                    sink,
                    ts,
                    Direction::ServerToClient,
                    "no usable SERVER_HANDSHAKE_TRAFFIC_SECRET: server records stay encrypted"
                        .into(),
                );
            }
        }
        if let Some((d, s)) = mk(&secrets.client_handshake_traffic_secret) {
            self.dirs[0].secret = Some(s);
            let early_offered = self.ch.as_ref().is_some_and(|c| c.early_data);
            if early_offered {
                self.dirs[0].next_dec = Some(d);
                self.early_dec = mk(&secrets.client_early_traffic_secret).map(|(d, _)| d);
                self.early_secret_present = Some(self.early_dec.is_some());
                self.client_phase = ClientPhase::Early;
            } else {
                self.client_phase = ClientPhase::Handshake;
                self.dirs[0].dec = Some(d);
            }
        } else {
            self.client_phase = ClientPhase::Handshake;
        }
    }

    /// 0-RTT records held before the ServerHello, now that the suite (and
    /// maybe the key) is known.
    pub(super) fn replay_early(&mut self, ts: Timestamp, sink: &mut dyn EventSink) {
        let held = std::mem::take(&mut self.early_held);
        self.early_held_bytes = 0;
        // They were counted when they arrived; trial decryption counts
        // them again, so take them off first.
        for (header, body) in held {
            if self.early_dec.is_some() || self.dirs[0].next_dec.is_some() {
                self.early_records = self.early_records.saturating_sub(1);
                self.early_bytes = self.early_bytes.saturating_sub(body.len() as u64);
                if let Some((t, plain)) =
                    self.try_open(ts, Direction::ClientToServer, header, &body, sink)
                {
                    self.decrypted_any = true;
                    self.on_plain(ts, Direction::ClientToServer, t, &plain, true, sink);
                }
            }
        }
    }

    pub(super) fn switch_to_application_keys(
        &mut self,
        ts: Timestamp,
        dir: Direction,
        sink: &mut dyn EventSink,
    ) {
        let i = dir.index();
        let Some(suite) = self.sh.as_ref().map(|s| s.cipher) else {
            return;
        };
        let secret = self.secrets().and_then(|s| match dir {
            Direction::ClientToServer => s.client_traffic_secret_0,
            Direction::ServerToClient => s.server_traffic_secret_0,
        });
        match secret.as_ref().map(|s| decrypt::tls13_decrypter(s, suite)) {
            Some(Ok(d)) => {
                self.dirs[i].dec = Some(d);
                self.dirs[i].secret = secret;
            }
            _ => {
                self.dirs[i].dec = None;
                self.dirs[i].secret = None;
                self.notice(
                    sink,
                    ts,
                    dir,
                    format!(
                        "no usable {}_TRAFFIC_SECRET_0: application data stays encrypted",
                        if i == 0 { "CLIENT" } else { "SERVER" }
                    ),
                );
            }
        }
    }

    pub(super) fn key_update(&mut self, ts: Timestamp, dir: Direction, sink: &mut dyn EventSink) {
        let i = dir.index();
        let Some(suite) = self.sh.as_ref().map(|s| s.cipher) else {
            return;
        };
        let next = self.dirs[i]
            .secret
            .as_ref()
            .and_then(|s| decrypt::tls13_next_secret(s, suite).ok());
        match next.as_ref().map(|s| decrypt::tls13_decrypter(s, suite)) {
            Some(Ok(d)) => {
                self.dirs[i].dec = Some(d);
                self.dirs[i].secret = next;
            }
            _ => {
                self.dirs[i].dec_broken = true;
                self.notice(
                    sink,
                    ts,
                    dir,
                    "KeyUpdate: cannot derive the next key".into(),
                );
            }
        }
    }
}
