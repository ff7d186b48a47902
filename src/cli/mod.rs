//! The command line: argument definitions (clap), the flags every command
//! shares, and the mapping of outcomes to exit codes — 0 all good, 1 the
//! command ran and found a problem, 2 usage or input error.

pub mod capture;
pub mod certs;
pub mod doctor;
pub mod etcd;
pub mod etcd_keys;
pub mod lab;
pub mod pcap;
pub mod pictures;
pub mod tls;

use std::io::IsTerminal;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::proto::DecodeAs;
use crate::view::Format;

/// Exit code: the command ran and found nothing wrong.
pub const EXIT_OK: i32 = 0;
/// Exit code: the command ran and found a problem.
pub const EXIT_PROBLEM: i32 = 1;
/// Exit code: bad usage or unreadable input.
pub const EXIT_USAGE: i32 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "kinspect",
    version,
    about = "See inside a Kubernetes control plane: its traffic, its certificates, its etcd.",
    long_about = "See inside a Kubernetes control plane.\n\n\
        kinspect reads captures (pcap, pcapng; several files as one timeline) or a live \
        interface, rebuilds every TCP connection and names the control-plane component on \
        each end: kube-apiserver (6443), etcd client (2379) and peer (2380), kubelet (10250), \
        controller-manager (10257), scheduler (10259), kube-proxy (10256).",
    after_help = "Examples:\n  \
        kinspect pcap flows node1.pcapng node2.pcapng\n  \
        kinspect pcap events -o json capture.pcap | jq 'select(.type==\"gap\")'\n  \
        sudo kinspect capture -i any --preset control-plane -w cp.pcapng --duration 30s"
)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command accepts, before or after the subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct Common {
    /// Output format: aligned table, or JSON Lines (one object per line)
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Table, global = true)]
    pub output: Format,
    /// Decode connections on PORT as PROTO (tls, http1, http2, grpc, etcd-raft); repeatable
    #[arg(long = "decode-as", value_name = "PORT=PROTO", global = true)]
    pub decode_as: Vec<DecodeAs>,
    /// Judge certificates at this time instead of now (RFC 3339, e.g. 2031-01-01T00:00:00Z)
    #[arg(long, value_name = "TIME", global = true, value_parser = parse_rfc3339)]
    pub at: Option<crate::timestamp::Timestamp>,
    /// Warn about certificates expiring within this many days
    #[arg(long, value_name = "N", default_value_t = 30, global = true)]
    pub warn_days: u32,
    /// TLS key log (NSS format, as SSLKEYLOGFILE writes) to decrypt captured TLS; repeatable
    #[arg(long, value_name = "FILE", global = true)]
    pub keylog: Vec<std::path::PathBuf>,
}

impl Common {
    /// The dissectors' shared context: every `--keylog` file read (an
    /// unreadable file is an error; lines not understood are warnings).
    pub fn dissector_context(
        &self,
        show_secrets: bool,
        dissect: bool,
    ) -> Result<std::sync::Arc<crate::proto::Context>, String> {
        let mut keylog = crate::proto::tls::keylog::KeyLog::new();
        for path in &self.keylog {
            let text = std::fs::read(path)
                .map_err(|e| format!("cannot read key log {}: {e}", path.display()))?;
            for w in keylog.add_text(&text) {
                eprintln!("kinspect: warning: key log {}: {w}", path.display());
            }
        }
        Ok(std::sync::Arc::new(crate::proto::Context {
            keylog: std::sync::RwLock::new(keylog),
            show_secrets,
            dissect,
        }))
    }
}

/// Parses an RFC 3339 time (`2031-01-01T00:00:00Z`, offsets allowed).
pub fn parse_rfc3339(s: &str) -> Result<crate::timestamp::Timestamp, String> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("{s:?} is not an RFC 3339 time (e.g. 2031-01-01T00:00:00Z): {e}"))?;
    let nanos = t.unix_timestamp_nanos();
    i64::try_from(nanos)
        .map(crate::timestamp::Timestamp)
        .map_err(|_| format!("{s:?} is out of range"))
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse saved captures (pcap or pcapng; several files are merged by time)
    #[command(subcommand)]
    Pcap(pcap::PcapCommand),
    /// Capture live from an interface (needs root or CAP_NET_RAW)
    Capture(capture::CaptureArgs),
    /// Certificates: check expiry and problems, show, verify chains, the kubelet's story
    #[command(subcommand)]
    Certs(certs::CertsCommand),
    /// TLS endpoints: probe what a server presents and why a handshake fails
    #[command(subcommand)]
    Tls(tls::TlsCommand),
    /// etcd: status of every member, leader watch, keys and stored objects
    Etcd(etcd::EtcdArgs),
    /// A local lab: three etcd members on loopback
    #[command(subcommand)]
    Lab(lab::LabCommand),
    /// Diagnose a control-plane node from its files: ports, etcd endpoints, certificates, CNI, manifests
    Doctor(doctor::DoctorArgs),
}

/// Per-connection limits, shared by every command that tracks connections.
#[derive(Debug, Clone, clap::Args)]
pub struct TrackingArgs {
    /// Out-of-order bytes buffered per connection direction before a hole is skipped
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub max_buffer: usize,
    /// Forget connections idle this long (capture time), e.g. 300s, 5m
    #[arg(long, value_name = "DURATION", default_value = "300s", value_parser = parse_duration)]
    pub idle_timeout: Duration,
}

impl TrackingArgs {
    pub fn flow_config(&self, common: &Common) -> crate::net::FlowConfig {
        crate::net::FlowConfig {
            max_buffered: self.max_buffer,
            idle_timeout_ns: self.idle_timeout.as_nanos().min(i64::MAX as u128) as i64,
            decode_as: common.decode_as.clone(),
            ..Default::default()
        }
    }
}

/// Parses `500ms`, `10s`, `1.5s`, `2m`, `1h`, or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (examples: 500ms, 10s, 2m, 1h)"))?;
    let secs = match unit {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {s:?} (use ms, s, m or h)"
            ));
        }
    };
    if !secs.is_finite() || !(0.0..=1e9).contains(&secs) {
        return Err(format!("{s:?} is out of range"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Prints an error the way every command does and returns exit code 2.
pub fn usage_error(msg: impl std::fmt::Display) -> i32 {
    eprintln!("kinspect: error: {msg}");
    EXIT_USAGE
}

/// True when stderr is a terminal (progress bars go there, and only then).
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// Parses the command line and runs the command; returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse_from(pictures::report_output_args(std::env::args_os())) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    if cli.common.output == Format::Prometheus
        && !matches!(cli.command, Command::Certs(certs::CertsCommand::Check(_)))
    {
        return usage_error(
            "-o prometheus is only for `certs check`; other commands print table or json",
        );
    }
    match cli.command {
        Command::Pcap(cmd) => pcap::run(cmd, &cli.common),
        Command::Capture(args) => capture::run(args, &cli.common),
        Command::Certs(cmd) => certs::run(cmd, &cli.common),
        Command::Tls(cmd) => tls::run(cmd, &cli.common),
        Command::Etcd(args) => etcd::run(args, &cli.common),
        Command::Lab(cmd) => lab::run(cmd, &cli.common),
        Command::Doctor(args) => doctor::run(args, &cli.common),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("3").unwrap(), Duration::from_secs(3));
        assert!(
            parse_duration("10 parsecs")
                .unwrap_err()
                .contains("unknown unit")
        );
        assert!(
            parse_duration("abc")
                .unwrap_err()
                .contains("not a duration")
        );
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
