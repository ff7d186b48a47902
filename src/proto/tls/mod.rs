//! TLS seen in captures: records, handshakes, certificates judged at capture
//! time, alerts, fingerprints (JA3/JA3S/JA4/JA4S), TLS 1.3 inference, and
//! decryption with key logs (see [`keylog`] and [`decrypt`]).
//!
//! This module owns the [`TlsDissector`] (one per connection): records in,
//! handshake messages read, events out. Pieces: [`record`] finds records
//! in each direction's stream, [`handshake`] reads handshake messages,
//! `events` defines the events ([`TlsEvent`], `type` = `tls_...`),
//! [`fingerprint`] computes JA3/JA4, [`judge`] judges certificates at the
//! packet's time, [`session`] folds everything into the `tls_session`
//! event and its verdict. Which key opens which record (TLS 1.2 after
//! ChangeCipherSpec; TLS 1.3 handshake, application and 0-RTT secrets,
//! KeyUpdate) is decided in `keys`; the primitives live in [`decrypt`].
//! Decrypted application data goes to an
//! [`InnerDissector`] with the same sink.
//!
//! Bounded memory per connection: a record buffer per direction (see
//! [`record`]), handshake message reassembly capped at
//! [`MAX_HANDSHAKE_MESSAGE`] per direction, 0-RTT records held until the
//! ServerHello capped at [`MAX_EARLY_HELD`] bytes, and at most
//! [`session::MAX_TURNS`] × [`session::MAX_TURN_RECORDS`] record sizes
//! kept for inference.

pub mod decrypt;
mod events;
pub mod fingerprint;
pub mod handshake;
pub mod judge;
pub mod keylog;
mod keys;
pub mod names;
pub mod record;
pub mod session;
pub mod starttls;

use std::sync::Arc;

use crate::event::EventKind;
use crate::proto::{ConnInfo, Context, Direction, Dissector, EventSink, InnerDissector, Protocol};
use crate::timestamp::Timestamp;

use decrypt::RecordDecrypter;
pub use events::{AlertEvent, CertificateEvent, ClientHelloEvent, ServerHelloEvent, TlsEvent};
use handshake::{ClientHello, ServerHello, msg};
pub use judge::CertSummary;
use record::{RecordReader, Unit};
pub use session::{AlertSummary, DirectionCounts, SessionSummary, Side};
use session::{MAX_TURN_RECORDS, MAX_TURNS, Turn};

/// Largest handshake message reassembled (a certificate chain is rarely
/// above 16 KiB; a longer message is reported and skipped, not buffered).
pub const MAX_HANDSHAKE_MESSAGE: usize = 256 * 1024;
/// 0-RTT bytes held while waiting for the ServerHello (beyond: counted only).
pub const MAX_EARLY_HELD: usize = 64 * 1024;

/// Record content types (RFC 8446 §5.1).
const CT_CCS: u8 = 20;
const CT_ALERT: u8 = 21;
const CT_HANDSHAKE: u8 = 22;
const CT_APPDATA: u8 = 23;
const CT_HEARTBEAT: u8 = 24;

fn side_of(dir: Direction) -> Side {
    match dir {
        Direction::ClientToServer => Side::Client,
        Direction::ServerToClient => Side::Server,
    }
}

/// Which key a TLS 1.3 client record is tried with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientPhase {
    /// 0-RTT may still be coming.
    Early,
    Handshake,
}

/// One direction's state.
#[derive(Default)]
struct DirState {
    reader: RecordReader,
    /// Handshake message being reassembled (≤ MAX_HANDSHAKE_MESSAGE + 4).
    hs: Vec<u8>,
    /// Bytes still to drop of an oversized handshake message.
    hs_discard: usize,
    /// Records are protected from now on (TLS 1.2 after CCS; TLS 1.3 after
    /// ServerHello).
    protected: bool,
    ccs_seen: bool,
    finished_seen: bool,
    /// The decrypter in use, and (TLS 1.3) its secret for KeyUpdate.
    dec: Option<RecordDecrypter>,
    secret: Option<Vec<u8>>,
    /// TLS 1.3 handshake decrypter while the client may still send 0-RTT.
    next_dec: Option<RecordDecrypter>,
    /// Decryption stopped (a gap, or a record that would not open).
    dec_broken: bool,
    counts: DirectionCounts,
    /// Encrypted records seen without being able to read them.
    opaque_records: u64,
    certificate_sent: bool,
}

/// The TLS dissector of one connection.
pub struct TlsDissector {
    conn: ConnInfo,
    ctx: Arc<Context>,
    dirs: [DirState; 2],
    ch: Option<ClientHello>,
    sh: Option<ServerHello>,
    hrr: bool,
    tls13: bool,
    resumed: bool,
    alpn_negotiated: Option<String>,
    /// Fingerprints, computed once per hello: (ja3, ja4) and (ja3s, ja4s).
    client_fp: Option<(String, String)>,
    server_fp: Option<(String, String)>,
    server_certs: Vec<CertSummary>,
    client_certs: Vec<CertSummary>,
    cert_requested: bool,
    alerts: Vec<AlertSummary>,
    /// The verdict fixed by the first fatal alert during the handshake.
    failure: Option<String>,
    evidence: Vec<String>,
    turns: Vec<Turn>,
    /// 0-RTT records seen before the ServerHello, held to be opened once
    /// the suite is known.
    early_held: Vec<([u8; 5], Vec<u8>)>,
    early_held_bytes: usize,
    early_records: u64,
    early_bytes: u64,
    early_decrypted: u64,
    client_phase: ClientPhase,
    early_dec: Option<RecordDecrypter>,
    /// Whether the key log had CLIENT_EARLY_TRAFFIC_SECRET (when 0-RTT was offered and keys were found).
    early_secret_present: Option<bool>,
    keys_looked_up: bool,
    keys_missing: Option<String>,
    decrypted_any: bool,
    inner: Option<InnerDissector>,
    last_ts: Timestamp,
    any_record: bool,
    /// TLS 1.3: the server sent something other than an alert after the
    /// client's Finished (it accepted the client's flight).
    server_confirmed: bool,
    gave_up: Option<u64>,
    ended: bool,
    /// The plaintext exchange before the ClientHello, when TLS was found
    /// after one ([`starttls`]).
    starttls: Option<starttls::StartTls>,
    /// The first handshake message skipped for its size, in words.
    oversize: Option<String>,
}

impl TlsDissector {
    pub fn new(conn: ConnInfo, ctx: Arc<Context>) -> Self {
        TlsDissector {
            conn,
            ctx,
            dirs: [DirState::default(), DirState::default()],
            ch: None,
            sh: None,
            hrr: false,
            tls13: false,
            resumed: false,
            alpn_negotiated: None,
            client_fp: None,
            server_fp: None,
            server_certs: Vec::new(),
            client_certs: Vec::new(),
            cert_requested: false,
            alerts: Vec::new(),
            failure: None,
            evidence: Vec::new(),
            turns: Vec::new(),
            early_held: Vec::new(),
            early_held_bytes: 0,
            early_records: 0,
            early_bytes: 0,
            early_decrypted: 0,
            client_phase: ClientPhase::Early,
            early_dec: None,
            early_secret_present: None,
            keys_looked_up: false,
            keys_missing: None,
            decrypted_any: false,
            inner: None,
            last_ts: Timestamp(0),
            any_record: false,
            server_confirmed: false,
            gave_up: None,
            ended: false,
            starttls: None,
            oversize: None,
        }
    }

    /// Says that the connection began with a plaintext exchange.
    pub fn set_starttls(&mut self, s: starttls::StartTls) {
        self.starttls = Some(s);
    }

    fn emit(&self, sink: &mut dyn EventSink, ts: Timestamp, dir: Direction, e: TlsEvent) {
        sink.emit(ts, dir, EventKind::Tls(e));
    }

    fn notice(&self, sink: &mut dyn EventSink, ts: Timestamp, dir: Direction, message: String) {
        self.emit(
            sink,
            ts,
            dir,
            TlsEvent::TlsNotice {
                from: side_of(dir),
                message,
            },
        );
    }

    fn handshake_complete(&self) -> bool {
        self.dirs[0].finished_seen && self.dirs[1].finished_seen
    }

    /// A fatal alert now still fails the handshake: before both Finished,
    /// or (TLS 1.3) before the server showed it accepted the client's
    /// flight — a TLS 1.3 server checks the client certificate after both
    /// Finished messages are on the wire.
    fn handshake_pending(&self) -> bool {
        (self.ch.is_some() || self.sh.is_some())
            && (!self.handshake_complete() || (self.tls13 && !self.server_confirmed))
    }

    fn on_unit(&mut self, ts: Timestamp, dir: Direction, unit: Unit, sink: &mut dyn EventSink) {
        match unit {
            Unit::Record { header, body } => {
                self.any_record = true;
                self.dirs[dir.index()].counts.records += 1;
                self.on_record(ts, dir, header, &body, sink);
            }
            Unit::Sslv2Hello(bytes) => {
                self.any_record = true;
                self.dirs[dir.index()].counts.records += 1;
                match handshake::parse_sslv2_client_hello(&bytes) {
                    Ok(ch) => self.on_client_hello(ts, dir, ch, sink),
                    Err(e) => self.notice(sink, ts, dir, e.to_string()),
                }
            }
            Unit::Skipped { bytes, resync } => {
                let m = if resync {
                    format!("skipped {bytes} bytes to resynchronise on a record header")
                } else {
                    format!("skipped {bytes} bytes of plaintext before the first TLS record")
                };
                self.notice(sink, ts, dir, m);
            }
            Unit::GaveUp { bytes } => {
                self.gave_up = Some(bytes);
                self.notice(
                    sink,
                    ts,
                    dir,
                    format!(
                        "no TLS record header in the first {bytes} bytes: direction not decoded"
                    ),
                );
            }
        }
    }

    fn on_record(
        &mut self,
        ts: Timestamp,
        dir: Direction,
        header: [u8; 5],
        body: &[u8],
        sink: &mut dyn EventSink,
    ) {
        let i = dir.index();
        let ctype = header[0];
        if ctype == CT_CCS {
            if !self.dirs[i].ccs_seen {
                self.dirs[i].ccs_seen = true;
                self.emit(
                    sink,
                    ts,
                    dir,
                    TlsEvent::TlsChangeCipherSpec { from: side_of(dir) },
                );
            }
            // After a HelloRetryRequest the connection is TLS 1.3: a
            // ChangeCipherSpec there is the middlebox-compatibility one
            // (RFC 8446 §D.4), and the second ClientHello and the
            // ServerHello still come in clear.
            if !self.tls13 && !self.hrr {
                self.dirs[i].protected = true;
                self.start_tls12_decryption(ts, dir, sink);
            }
            return;
        }
        // TLS 1.3 0-RTT: client application data before the ServerHello.
        if dir == Direction::ClientToServer
            && ctype == CT_APPDATA
            && self.sh.is_none()
            && self.ch.as_ref().is_some_and(|c| c.early_data)
        {
            self.early_records += 1;
            self.early_bytes += body.len() as u64;
            if self.early_held_bytes + body.len() <= MAX_EARLY_HELD {
                self.early_held_bytes += body.len();
                self.early_held.push((header, body.to_vec()));
            }
            return;
        }
        // A clear alert record is 2 bytes; a longer one is protected even
        // when no ChangeCipherSpec was seen (capture started mid-connection).
        // In TLS 1.3 every protected record is outer type 23, so a 2-byte
        // alert record there is in clear (sent before keys were in use).
        let protected_alert = ctype == CT_ALERT && body.len() != 2;
        let clear_tls13_alert = self.tls13 && ctype == CT_ALERT && body.len() == 2;
        if (!self.dirs[i].protected && !protected_alert) || clear_tls13_alert {
            self.on_plain(ts, dir, ctype, body, false, sink);
            return;
        }
        // The TLS 1.3 client may still be in its 0-RTT phase: its
        // handshake key then waits in `next_dec` for trial decryption.
        let has_key = self.dirs[i].dec.is_some() || self.dirs[i].next_dec.is_some();
        if has_key && !self.dirs[i].dec_broken {
            if let Some((inner_type, plain)) = self.try_open(ts, dir, header, body, sink) {
                self.decrypted_any = true;
                self.on_plain(ts, dir, inner_type, &plain, true, sink);
                return;
            }
            if self.dirs[i].dec_broken {
                // Fall through: counted as opaque.
            } else {
                return; // consumed (early data not decrypted)
            }
        }
        self.on_opaque(ts, dir, ctype, body.len(), sink);
    }

    /// A protected record without keys.
    fn on_opaque(
        &mut self,
        ts: Timestamp,
        dir: Direction,
        ctype: u8,
        len: usize,
        sink: &mut dyn EventSink,
    ) {
        let i = dir.index();
        self.dirs[i].opaque_records += 1;
        if self.tls13 {
            self.dirs[i].counts.application_data_records += 1;
            self.dirs[i].counts.application_data_bytes += len as u64;
            self.push_turn(side_of(dir), len);
            return;
        }
        match ctype {
            CT_HANDSHAKE if !self.dirs[i].finished_seen => {
                self.dirs[i].finished_seen = true;
                self.emit(
                    sink,
                    ts,
                    dir,
                    TlsEvent::TlsHandshakeFinished {
                        from: side_of(dir),
                        encrypted: true,
                        decrypted: false,
                    },
                );
            }
            CT_ALERT => {
                let guess = if self.handshake_complete() {
                    "encrypted alert (probably close_notify)"
                } else {
                    "encrypted alert (during the handshake: probably fatal)"
                };
                self.record_alert(ts, dir, None, guess.to_string(), true, false, sink);
            }
            CT_APPDATA => {
                self.dirs[i].counts.application_data_records += 1;
                self.dirs[i].counts.application_data_bytes += len as u64;
            }
            _ => {}
        }
    }

    fn push_turn(&mut self, side: Side, len: usize) {
        if let Some(t) = self.turns.last_mut().filter(|t| t.side == side) {
            if t.lengths.len() < MAX_TURN_RECORDS {
                t.lengths.push(len);
            }
        } else if self.turns.len() < MAX_TURNS {
            self.turns.push(Turn {
                side,
                lengths: vec![len],
            });
        }
    }

    /// A record's plaintext (clear, or decrypted with `decrypted`).
    fn on_plain(
        &mut self,
        ts: Timestamp,
        dir: Direction,
        ctype: u8,
        data: &[u8],
        decrypted: bool,
        sink: &mut dyn EventSink,
    ) {
        let i = dir.index();
        match ctype {
            CT_ALERT => {
                for pair in data.chunks(2) {
                    if let [level, desc] = pair {
                        self.record_alert(
                            ts,
                            dir,
                            Some(*level),
                            names::alert_name(*desc),
                            decrypted,
                            decrypted,
                            sink,
                        );
                    } else {
                        self.notice(sink, ts, dir, "truncated alert record".into());
                    }
                }
            }
            CT_HANDSHAKE => self.on_handshake_bytes(ts, dir, data, decrypted, sink),
            CT_APPDATA => {
                self.dirs[i].counts.application_data_records += 1;
                self.dirs[i].counts.application_data_bytes += data.len() as u64;
                if dir == Direction::ServerToClient && self.dirs[0].finished_seen {
                    self.server_confirmed = true;
                }
                if decrypted {
                    self.dirs[i].counts.decrypted_bytes += data.len() as u64;
                    self.decrypted_any = true;
                    if !data.is_empty() {
                        let hint = match self.alpn_negotiated.as_deref() {
                            Some("h2") => Some(Protocol::Http2),
                            Some("http/1.1") => Some(Protocol::Http1),
                            _ => None,
                        };
                        let inner = self.inner.get_or_insert_with(|| {
                            InnerDissector::new(self.conn, self.ctx.clone(), hint)
                        });
                        inner.data(ts, dir, data, sink);
                    }
                }
            }
            CT_HEARTBEAT => self.notice(sink, ts, dir, "heartbeat record".into()),
            CT_CCS => {}
            t => self.notice(sink, ts, dir, format!("unknown record content type {t}")),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn record_alert(
        &mut self,
        ts: Timestamp,
        dir: Direction,
        level: Option<u8>,
        description: String,
        encrypted: bool,
        decrypted: bool,
        sink: &mut dyn EventSink,
    ) {
        let level_name = level.map_or_else(|| "unknown".to_string(), names::alert_level_name);
        let from = side_of(dir);
        if self.alerts.len() < 32 {
            self.alerts.push(AlertSummary {
                from,
                level: level_name.clone(),
                description: description.clone(),
                encrypted,
            });
        }
        let fatal = level == Some(2) || (level.is_none() && !self.handshake_complete());
        if fatal && self.failure.is_none() && self.handshake_pending() {
            let cert_alert = session::is_certificate_alert(&description);
            let verdict = match (from, cert_alert) {
                (Side::Client, true) => {
                    format!(
                        "handshake failed: client rejected server certificate (alert {description})"
                    )
                }
                (Side::Server, true)
                    if self.dirs[0].certificate_sent || description == "certificate_required" =>
                {
                    format!(
                        "handshake failed: server rejected client certificate (alert {description})"
                    )
                }
                _ if level.is_none() => {
                    format!("handshake failed: {} sent an {description}", from.name())
                }
                _ => format!("handshake failed: {} sent alert {description}", from.name()),
            };
            self.failure = Some(verdict);
        }
        self.emit(
            sink,
            ts,
            dir,
            TlsEvent::TlsAlert(AlertEvent {
                from,
                level: level_name,
                description,
                encrypted,
                decrypted,
            }),
        );
    }

    fn on_handshake_bytes(
        &mut self,
        ts: Timestamp,
        dir: Direction,
        mut data: &[u8],
        decrypted: bool,
        sink: &mut dyn EventSink,
    ) {
        let i = dir.index();
        if self.dirs[i].hs_discard > 0 {
            let n = self.dirs[i].hs_discard.min(data.len());
            self.dirs[i].hs_discard -= n;
            data = &data[n..];
        }
        self.dirs[i].hs.extend_from_slice(data);
        loop {
            let hs = &self.dirs[i].hs;
            if hs.len() < 4 {
                return;
            }
            let typ = hs[0];
            let len = ((hs[1] as usize) << 16) | ((hs[2] as usize) << 8) | hs[3] as usize;
            if len > MAX_HANDSHAKE_MESSAGE {
                let have = hs.len() - 4;
                self.dirs[i].hs_discard = len.saturating_sub(have);
                self.dirs[i].hs.clear();
                let words = format!(
                    "handshake message type {typ} announces {len} bytes, over the {} KiB limit: skipped",
                    MAX_HANDSHAKE_MESSAGE / 1024
                );
                if self.oversize.is_none() {
                    self.oversize = Some(format!("the {}'s {words}", side_of(dir).name()));
                }
                self.notice(sink, ts, dir, words);
                return;
            }
            if hs.len() < 4 + len {
                return;
            }
            let message: Vec<u8> = self.dirs[i].hs.drain(..4 + len).collect();
            self.on_handshake_message(ts, dir, typ, &message, decrypted, sink);
        }
    }

    fn on_handshake_message(
        &mut self,
        ts: Timestamp,
        dir: Direction,
        typ: u8,
        message: &[u8],
        decrypted: bool,
        sink: &mut dyn EventSink,
    ) {
        let i = dir.index();
        if dir == Direction::ServerToClient && self.dirs[0].finished_seen {
            self.server_confirmed = true;
        }
        match (typ, dir) {
            (msg::CLIENT_HELLO, Direction::ClientToServer) => {
                match handshake::parse_client_hello(message) {
                    Ok(ch) => self.on_client_hello(ts, dir, ch, sink),
                    Err(e) => self.notice(sink, ts, dir, e.to_string()),
                }
            }
            (msg::SERVER_HELLO, Direction::ServerToClient) => {
                match handshake::parse_server_hello(message) {
                    Ok(sh) => self.on_server_hello(ts, dir, sh, sink),
                    Err(e) => self.notice(sink, ts, dir, e.to_string()),
                }
            }
            (msg::ENCRYPTED_EXTENSIONS, _) => {
                if let Some(a) = handshake::parse_encrypted_extensions_alpn(message) {
                    self.alpn_negotiated = Some(a);
                }
            }
            (msg::CERTIFICATE, _) => match handshake::parse_certificate_list(message, self.tls13) {
                Ok(ders) => {
                    let sni = if dir == Direction::ServerToClient {
                        self.ch.as_ref().and_then(|c| c.sni.clone())
                    } else {
                        None
                    };
                    let used_as = if dir == Direction::ServerToClient {
                        crate::pki::finding::Purpose::Server
                    } else {
                        crate::pki::finding::Purpose::Client
                    };
                    let chain = judge::judge_chain(&ders, ts, sni.as_deref(), used_as);
                    self.dirs[i].certificate_sent = !chain.is_empty();
                    if dir == Direction::ServerToClient {
                        self.server_certs = chain.clone();
                    } else {
                        self.client_certs = chain.clone();
                    }
                    self.emit(
                        sink,
                        ts,
                        dir,
                        TlsEvent::TlsCertificate(CertificateEvent {
                            sent_by: side_of(dir),
                            encrypted: decrypted,
                            chain,
                        }),
                    );
                }
                Err(e) => self.notice(sink, ts, dir, e.to_string()),
            },
            (msg::CERTIFICATE_REQUEST, Direction::ServerToClient) => {
                self.cert_requested = true;
                let ca_names = handshake::parse_certificate_request_cas(message, self.tls13)
                    .unwrap_or_default()
                    .iter()
                    .take(64)
                    .map(|dn| handshake::dn_string(dn))
                    .collect();
                self.emit(
                    sink,
                    ts,
                    dir,
                    TlsEvent::TlsCertificateRequest {
                        ca_names,
                        encrypted: decrypted,
                    },
                );
            }
            (msg::FINISHED, _) => {
                if !self.dirs[i].finished_seen {
                    self.dirs[i].finished_seen = true;
                    self.emit(
                        sink,
                        ts,
                        dir,
                        TlsEvent::TlsHandshakeFinished {
                            from: side_of(dir),
                            encrypted: decrypted,
                            decrypted,
                        },
                    );
                }
                if self.tls13 && decrypted {
                    self.switch_to_application_keys(ts, dir, sink);
                }
            }
            (msg::KEY_UPDATE, _) if self.tls13 && decrypted => self.key_update(ts, dir, sink),
            _ => {}
        }
    }

    fn on_client_hello(
        &mut self,
        ts: Timestamp,
        dir: Direction,
        ch: ClientHello,
        sink: &mut dyn EventSink,
    ) {
        let fp = fingerprint::client_fingerprint(&ch);
        let e = ClientHelloEvent {
            sni: ch.sni.clone(),
            alpn: ch.alpn.clone(),
            versions: fp.versions.clone(),
            cipher_suites: fp.cipher_suites.clone(),
            groups: fp.groups.clone(),
            signature_algorithms: fp.signature_algorithms.clone(),
            session_id: ch.session_id_len > 0,
            session_ticket: ch.session_ticket,
            psk: ch.psk,
            early_data: ch.early_data,
            sslv2_format: ch.sslv2,
            ja3: fp.ja3.clone(),
            ja3_string: fp.ja3_string.clone(),
            ja4: fp.ja4.clone(),
        };
        // JA3/JA4 are the first ClientHello's: the one after a
        // HelloRetryRequest only answers it (its key share, a cookie).
        if self.client_fp.is_none() || !self.hrr {
            self.client_fp = Some((e.ja3.clone(), e.ja4.clone()));
        }
        // A second ClientHello (after HelloRetryRequest) replaces the first
        // for everything else (same random, RFC 8446 §4.1.2).
        self.ch = Some(ch);
        self.emit(sink, ts, dir, TlsEvent::TlsClientHello(e));
    }

    fn on_server_hello(
        &mut self,
        ts: Timestamp,
        dir: Direction,
        sh: ServerHello,
        sink: &mut dyn EventSink,
    ) {
        let resumed = !sh.session_id.is_empty()
            && sh.version() <= 0x0303
            && self
                .ch
                .as_ref()
                .is_some_and(|c| c.session_id == sh.session_id);
        let sfp = fingerprint::server_fingerprint(&sh);
        let e = ServerHelloEvent {
            version: names::version_name(sh.version()),
            cipher: names::cipher_name(sh.cipher),
            alpn: sh.alpn.clone(),
            hello_retry_request: sh.hello_retry_request,
            resumed,
            ja3s: sfp.0.clone(),
            ja4s: sfp.1.clone(),
        };
        if !sh.hello_retry_request {
            self.server_fp = Some((e.ja3s.clone(), e.ja4s.clone()));
        }
        self.emit(sink, ts, dir, TlsEvent::TlsServerHello(e));
        if sh.hello_retry_request {
            self.hrr = true;
            return;
        }
        self.resumed = resumed;
        if sh.alpn.is_some() {
            self.alpn_negotiated = sh.alpn.clone();
        }
        self.tls13 = sh.version() == 0x0304 || (0x7f00..=0x7fff).contains(&sh.version());
        self.sh = Some(sh);
        if self.tls13 {
            self.dirs[0].protected = true;
            self.dirs[1].protected = true;
            self.start_tls13_decryption(ts, sink);
            self.replay_early(ts, sink);
        } else if !self.early_held.is_empty() {
            self.early_held.clear();
        }
    }

    /// The per-connection summary and its verdict.
    fn summary(&self) -> SessionSummary {
        let mut evidence = self.evidence.clone();
        let mut inferred = false;
        let (c, s) = (&self.dirs[0], &self.dirs[1]);
        let verdict = if let Some(f) = &self.failure {
            f.clone()
        } else if !self.any_record {
            match self.gave_up {
                Some(n) => format!("not TLS: no record header in the first {n} bytes"),
                None => "incomplete: no TLS record in the capture".into(),
            }
        } else if self.ch.is_none() && self.sh.is_none() {
            match &self.oversize {
                // The hello itself was too big to read: not a capture
                // that joined late.
                Some(o) => format!("not decoded: {o}"),
                None => "unknown: capture started after the handshake".into(),
            }
        } else if self.sh.is_none() {
            if self.hrr {
                "incomplete: capture ended after HelloRetryRequest".into()
            } else {
                "incomplete: capture ended during handshake (no ServerHello)".into()
            }
        } else if self.handshake_complete() {
            "ok".into()
        } else if self.tls13 && !self.decrypted_any && s.dec.is_none() {
            let (v, ev) = session::infer_tls13(&self.turns, c.certificate_sent);
            evidence.extend(ev);
            inferred = true;
            v
        } else {
            "incomplete: capture ended during handshake".into()
        };
        if self.early_records > 0 {
            let not = self.early_records.saturating_sub(self.early_decrypted);
            evidence.push(if not > 0 {
                format!(
                    "early data: {} records, {} bytes, {not} not decrypted{}",
                    self.early_records,
                    self.early_bytes,
                    if self.early_secret_present == Some(false) {
                        ": no CLIENT_EARLY_TRAFFIC_SECRET"
                    } else {
                        ""
                    }
                )
            } else {
                format!(
                    "early data: {} records, {} bytes, decrypted",
                    self.early_records, self.early_bytes
                )
            });
        }
        if let Some(why) = &self.keys_missing {
            evidence.push(format!("not decrypted: {why}"));
        }
        if let Some(o) = &self.oversize {
            evidence.push(o.clone());
        }
        let prefix = self
            .starttls
            .as_ref()
            .map_or(0, |p| p.client_prefix_bytes + p.server_prefix_bytes);

        let ch = self.ch.as_ref();
        let sh = self.sh.as_ref();
        SessionSummary {
            client: self.conn.client.to_string(),
            server: self.conn.server.to_string(),
            sni: ch.and_then(|c| c.sni.clone()),
            alpn: ch.map(|c| c.alpn.clone()).unwrap_or_default(),
            version: sh.map(|s| names::version_name(s.version()).into_owned()),
            cipher: sh.map(|s| names::cipher_name(s.cipher).into_owned()),
            ja3: self.client_fp.as_ref().map(|f| f.0.clone()),
            ja4: self.client_fp.as_ref().map(|f| f.1.clone()),
            certificates: self.server_certs.clone(),
            alerts: self.alerts.clone(),
            verdict,
            component: self.conn.component.name().to_string(),
            alpn_negotiated: self.alpn_negotiated.clone(),
            ja3s: self.server_fp.as_ref().map(|f| f.0.clone()),
            ja4s: self.server_fp.as_ref().map(|f| f.1.clone()),
            client_certificates: self.client_certs.clone(),
            client_certificate_requested: self.cert_requested,
            resumed: self.resumed,
            hello_retry_request: self.hrr,
            decrypted: self.decrypted_any,
            inferred,
            evidence,
            client_to_server: c.counts.clone(),
            server_to_client: s.counts.clone(),
            skipped_bytes: c.reader.skipped_total + s.reader.skipped_total + prefix,
            starttls: self.starttls.clone(),
        }
    }
}

impl Dissector for TlsDissector {
    fn protocol(&self) -> Protocol {
        Protocol::Tls
    }

    fn data(&mut self, ts: Timestamp, dir: Direction, bytes: &[u8], sink: &mut dyn EventSink) {
        self.last_ts = ts;
        let units = self.dirs[dir.index()].reader.push(bytes);
        for unit in units {
            self.on_unit(ts, dir, unit, sink);
        }
    }

    fn gap(&mut self, ts: Timestamp, dir: Direction, len: u64, sink: &mut dyn EventSink) {
        self.last_ts = ts;
        let d = &mut self.dirs[dir.index()];
        d.reader.gap();
        d.hs.clear();
        d.hs_discard = 0;
        let had_keys = d.dec.is_some() && !d.dec_broken;
        d.dec_broken = true;
        self.evidence.push(format!(
            "capture lost {len} bytes {}→{}",
            side_of(dir).name(),
            side_of(dir.reverse()).name()
        ));
        if had_keys {
            self.notice(
                sink,
                ts,
                dir,
                format!(
                    "{len} bytes lost: record sequence unknown, decryption of this direction stops"
                ),
            );
        }
        if let Some(inner) = self.inner.as_mut() {
            inner.gap(ts, dir, len, sink);
        }
    }

    fn end(&mut self, ts: Timestamp, sink: &mut dyn EventSink) {
        if self.ended {
            return;
        }
        self.ended = true;
        // The connection's own last activity (`ts` may be the capture's end).
        let ts = if self.last_ts.0 != 0 {
            self.last_ts
        } else {
            ts
        };
        if let Some(inner) = self.inner.as_mut() {
            inner.end(ts, sink);
        }
        if self.early_records > 0 {
            let decrypted = self.early_decrypted > 0 && self.early_decrypted == self.early_records;
            let note = if decrypted {
                format!(
                    "early data: {} records, {} bytes, decrypted",
                    self.early_records, self.early_bytes
                )
            } else if self.early_secret_present == Some(false) {
                format!(
                    "early data: {} records, {} bytes, not decrypted: no CLIENT_EARLY_TRAFFIC_SECRET",
                    self.early_records, self.early_bytes
                )
            } else {
                format!(
                    "early data: {} records, {} bytes, not decrypted",
                    self.early_records, self.early_bytes
                )
            };
            self.emit(
                sink,
                ts,
                Direction::ClientToServer,
                TlsEvent::TlsEarlyData {
                    records: self.early_records,
                    bytes: self.early_bytes,
                    decrypted,
                    note,
                },
            );
        }
        let summary = self.summary();
        self.emit(
            sink,
            ts,
            Direction::ClientToServer,
            TlsEvent::TlsSession(Box::new(summary)),
        );
    }
}
