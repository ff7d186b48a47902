//! The command line: argument definitions (clap), the flags every command
//! shares, and the mapping of outcomes to exit codes — 0 all good, 1 the
//! command ran and found a problem, 2 usage or input error.

pub mod capture;
pub mod certs;
pub mod doctor;
pub mod etcd;
pub mod etcd_keys;
pub mod etcd_offline;
pub mod examples;
pub mod generate;
pub mod k8s;
pub mod k8s_day2;
pub mod lab;
pub mod lab_load;
pub mod pcap;
pub mod pictures;
pub mod tls;

use std::io::IsTerminal;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::proto::DecodeAs;
use crate::view::Format;
use crate::view::style::{ColorChoice, Style};

/// Exit code: the command ran and found nothing wrong.
pub const EXIT_OK: i32 = 0;
/// Exit code: the command ran and found a problem.
pub const EXIT_PROBLEM: i32 = 1;
/// Exit code: bad usage or unreadable input.
pub const EXIT_USAGE: i32 = 2;

/// The exit code for an error, from who has to act on it: the invocation
/// (2) or the observed system (1). The only place that maps
/// [`crate::outcome::Blame`] to numbers.
pub fn exit_for(blame: crate::outcome::Blame) -> i32 {
    match blame {
        crate::outcome::Blame::Invocation => EXIT_USAGE,
        crate::outcome::Blame::Observed => EXIT_PROBLEM,
    }
}

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
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// The flags every command accepts, before or after the subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// Output format: aligned table, the table uncut (wide), or JSON Lines (one object per line)
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Table, global = true)]
    pub output: Format,
    /// Colour status words: auto (a terminal, unless NO_COLOR is set), always, never
    #[arg(long, value_name = "WHEN", value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
}

/// Decoding captured traffic: the commands that dissect packets (`pcap *`,
/// `capture`) flatten it; `doctor` takes only [`KeylogArgs`].
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Decoding")]
pub struct DecodeArgs {
    #[command(flatten)]
    pub keylog: KeylogArgs,
    /// Decode connections on PORT as PROTO (tls, http1, http2, grpc, etcd-raft); repeatable
    #[arg(long = "decode-as", value_name = "PORT=PROTO")]
    pub decode_as: Vec<DecodeAs>,
}

/// `--keylog`: decrypt captured TLS.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct KeylogArgs {
    /// TLS key log (NSS format, as SSLKEYLOGFILE writes) to decrypt captured TLS; repeatable
    #[arg(long, value_name = "FILE")]
    pub keylog: Vec<std::path::PathBuf>,
}

/// `--at`: the commands that judge certificates at a time.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AtArgs {
    /// Judge certificates at this time instead of now: a date (2031-01-01, midnight UTC)
    /// or an RFC 3339 time (2031-01-01T12:00:00Z)
    #[arg(long, value_name = "TIME", value_parser = parse_at)]
    pub at: Option<crate::timestamp::Timestamp>,
}

/// `--at` and `--warn-days`: the commands that warn about certificates
/// close to expiry (certs check, certs kubelet, tls probe, doctor).
#[derive(Debug, Clone, clap::Args)]
pub struct JudgeArgs {
    #[command(flatten)]
    pub at: AtArgs,
    /// Warn about certificates expiring within this many days
    #[arg(long, value_name = "N", default_value_t = DEFAULT_WARN_DAYS)]
    pub warn_days: u32,
}

/// `--warn-days` when not given.
pub const DEFAULT_WARN_DAYS: u32 = 30;

/// What a command runs with: the global flags and, filled in from the
/// command's own flag groups, the judging time and key logs (defaults for
/// commands without them).
#[derive(Debug, Clone)]
pub struct Common {
    pub output: Format,
    pub decode_as: Vec<DecodeAs>,
    pub at: Option<crate::timestamp::Timestamp>,
    pub warn_days: u32,
    pub keylog: Vec<std::path::PathBuf>,
    pub color: ColorChoice,
}

impl Common {
    /// The run's context from the parsed command line.
    pub fn of(cli: &Cli) -> Common {
        let mut c = Common {
            output: cli.global.output,
            decode_as: Vec::new(),
            at: None,
            warn_days: DEFAULT_WARN_DAYS,
            keylog: Vec::new(),
            color: cli.global.color,
        };
        if let Some(d) = cli.command.decode_args() {
            c.decode_as = d.decode_as.clone();
            c.keylog = d.keylog.keylog.clone();
        }
        if let Command::Doctor(a) = &cli.command {
            c.keylog = a.keylog.keylog.clone();
        }
        if let Command::K8s(a) = &cli.command {
            c.at = a.at;
        }
        if let Some(j) = cli.command.judge_args() {
            c.at = j.at.at;
            c.warn_days = j.warn_days;
        } else if let Some(a) = cli.command.at_args() {
            c.at = a.at;
        }
        c
    }
}

impl Command {
    /// The command's decoding flags, if it has them.
    fn decode_args(&self) -> Option<&DecodeArgs> {
        use pcap::PcapCommand as P;
        match self {
            Command::Pcap(P::Events(a) | P::Flows(a) | P::Tls(a)) => Some(&a.tracking.decode),
            Command::Pcap(P::Rpc(a)) => Some(&a.pcap.tracking.decode),
            Command::Pcap(P::Election(a)) => Some(&a.pcap.tracking.decode),
            Command::Pcap(P::Report(a)) => Some(&a.pcap.tracking.decode),
            Command::Capture(a) => Some(&a.tracking.decode),
            _ => None,
        }
    }

    /// The command's `--at`/`--warn-days`, if it has both.
    fn judge_args(&self) -> Option<&JudgeArgs> {
        use certs::CertsCommand as C;
        match self {
            Command::Certs(C::Check(a)) => Some(&a.judge),
            Command::Certs(C::Kubelet(a)) => Some(&a.judge),
            Command::Tls(tls::TlsCommand::Probe(a)) => Some(&a.judge),
            Command::Doctor(a) => Some(&a.judge),
            _ => None,
        }
    }

    /// The command's `--at` alone, if it has it.
    fn at_args(&self) -> Option<&AtArgs> {
        use certs::CertsCommand as C;
        match self {
            Command::Certs(C::Show(a)) => Some(&a.at),
            Command::Certs(C::Verify(a)) => Some(&a.at),
            _ => None,
        }
    }
}

impl Common {
    /// Whether human output is coloured: decided here, once, for every
    /// command (`--color`, `NO_COLOR`, `TERM=dumb`, stdout a terminal).
    pub fn style(&self) -> Style {
        let no_color = std::env::var("NO_COLOR").ok();
        let term = std::env::var("TERM").ok();
        Style::decide(
            self.color,
            std::io::stdout().is_terminal(),
            no_color.as_deref(),
            term.as_deref(),
        )
    }

    /// The dissectors' shared context: every `--keylog` file read (an
    /// unreadable file is an error; lines not understood are warnings).
    pub fn dissector_context(
        &self,
        show_secrets: bool,
        dissect: bool,
    ) -> Result<std::sync::Arc<crate::proto::Context>, String> {
        let mut keylog = crate::proto::tls::keylog::KeyLog::new();
        for path in &self.keylog {
            // Key logs grow with every session: a larger limit than for keys.
            let text = crate::fsutil::read_regular_file(path, 1 << 30, "a key log")
                .map_err(|e| format!("cannot read key log {}: {}", path.display(), e.reason()))?;
            for w in keylog.add_text(&text) {
                eprintln!("kinspect: warning: key log {}: {w}", path.display());
            }
        }
        Ok(std::sync::Arc::new(crate::proto::Context {
            keylog: std::sync::RwLock::new(keylog),
            show_secrets,
            dissect,
            wants: crate::proto::Wants::ALL,
        }))
    }
}

/// [`parse_at`] under its former name (it accepts dates too now).
pub fn parse_rfc3339(s: &str) -> Result<crate::timestamp::Timestamp, String> {
    parse_at(s)
}

/// Parses `--at`: a date (`2031-01-01`, midnight UTC) or an RFC 3339 time
/// (`2031-01-01T00:00:00Z`, offsets allowed).
pub fn parse_at(s: &str) -> Result<crate::timestamp::Timestamp, String> {
    let s = s.trim();
    let date_only = time::macros::format_description!("[year]-[month]-[day]");
    let t = match time::Date::parse(s, date_only) {
        Ok(d) => d.midnight().assume_utc(),
        Err(_) => time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .map_err(|e| {
                format!(
                    "{s:?} is neither a date (2031-01-01) nor an RFC 3339 time (2031-01-01T00:00:00Z): {e}"
                )
            })?,
    };
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
    /// Kubernetes objects from etcd, a snapshot or kubectl's JSON: get, why, rollout, lint
    K8s(k8s::K8sArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(generate::CompletionsArgs),
    /// Print the manual pages (roff): `kinspect man | man -l -`
    Man(generate::ManArgs),
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
    /// Connections tracked at once; past it the least recently active is finished early
    #[arg(long, value_name = "N", default_value_t = crate::net::flow::DEFAULT_MAX_CONNECTIONS as u64,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections: u64,
    #[command(flatten)]
    pub decode: DecodeArgs,
}

impl TrackingArgs {
    pub fn flow_config(&self, common: &Common) -> crate::net::FlowConfig {
        crate::net::FlowConfig {
            max_buffered: self.max_buffer,
            idle_timeout_ns: self.idle_timeout.as_nanos().min(i64::MAX as u128) as i64,
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
            decode_as: common.decode_as.clone(),
            ..Default::default()
        }
    }
}

/// Parses a duration with its unit: `500ms`, `10s`, `1.5s`, `2m`, `1h`,
/// and humantime's forms (`1m30s`, `2days`, `250us`). A bare number is an
/// error: `--interval 100` could mean 100 ms or 100 s (clap names the flag).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(format!(
            "{s:?} has no unit: write {s}ms, {s}s or {s}m (units: ms, s, m, h; e.g. 1m30s)"
        ));
    }
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let scale = match unit {
        "ms" => Some(0.001),
        "s" => Some(1.0),
        "m" => Some(60.0),
        "h" => Some(3600.0),
        _ => None,
    };
    let secs = match (num.parse::<f64>(), scale) {
        (Ok(value), Some(scale)) => value * scale,
        // Everything else (1m30s, 2days, 250us, typos) goes to humantime.
        _ => humantime::parse_duration(s)
            .map_err(|e| format!("{s:?} is not a duration ({e}; e.g. 500ms, 10s, 2m, 1h, 1m30s)"))?
            .as_secs_f64(),
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

/// `-o yaml` means something only where objects are shown (`-o wide`, the
/// uncut table, is for every table).
fn check_output_format(cli: &Cli) -> Result<(), &'static str> {
    let etcd_get = matches!(&cli.command, Command::Etcd(a) if a.is_get());
    let k8s =
        matches!(&cli.command, Command::K8s(a) if matches!(a.command, k8s::K8sCommand::Get(_)));
    match cli.global.output {
        Format::Yaml if !etcd_get && !k8s => Err("-o yaml is for `etcd get` and `k8s get`"),
        _ => Ok(()),
    }
}

/// Parses the command line and runs the command; returns the exit code.
pub fn main() -> i32 {
    // Parsed with the definition that carries every command's examples.
    let parsed = examples::command()
        .try_get_matches_from(pictures::report_output_args(std::env::args_os()))
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m));
    let cli = match parsed {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    let mut common = Common::of(&cli);
    if common.output == Format::Prometheus
        && !matches!(cli.command, Command::Certs(certs::CertsCommand::Check(_)))
    {
        return usage_error(
            "-o prometheus is only for `certs check`; other commands print table or json",
        );
    }
    if let Err(msg) = check_output_format(&cli) {
        return usage_error(msg);
    }
    // Tables fit the terminal; `-o wide`, pipes and files are never cut.
    crate::view::fit::set_limit(match common.output {
        Format::Table => crate::view::fit::terminal_width(),
        _ => None,
    });
    // `-o wide` is the uncut table everywhere; only `k8s get` also adds
    // kubectl's wide columns.
    let k8s_get =
        matches!(&cli.command, Command::K8s(a) if matches!(a.command, k8s::K8sCommand::Get(_)));
    if common.output == Format::Wide && !k8s_get {
        common.output = Format::Table;
    }
    let common = &common;
    match cli.command {
        Command::Pcap(cmd) => pcap::run(cmd, common),
        Command::Capture(args) => capture::run(args, common),
        Command::Certs(cmd) => certs::run(cmd, common),
        Command::Tls(cmd) => tls::run(cmd, common),
        Command::Etcd(args) => etcd::run(args, common),
        Command::Lab(cmd) => lab::run(cmd, common),
        Command::Doctor(args) => doctor::run(args, common),
        Command::K8s(args) => k8s::run(args, common),
        Command::Completions(args) => generate::completions(args),
        Command::Man(args) => generate::man(args),
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
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("250us").unwrap(), Duration::from_micros(250));
        assert_eq!(
            parse_duration("2days").unwrap(),
            Duration::from_secs(172_800)
        );
        // A bare number has no meaning: it is refused, with the fix.
        for bare in ["3", "100", "1.5", "0"] {
            let e = parse_duration(bare).unwrap_err();
            assert!(e.contains("has no unit: write"), "{bare}: {e}");
        }
        assert!(
            parse_duration("10 parsecs")
                .unwrap_err()
                .contains("not a duration")
        );
        assert!(
            parse_duration("abc")
                .unwrap_err()
                .contains("not a duration")
        );
    }

    #[test]
    fn at_takes_a_date_or_an_rfc3339_time() {
        let midnight = parse_at("2027-01-01").unwrap();
        assert_eq!(midnight, parse_at("2027-01-01T00:00:00Z").unwrap());
        assert_eq!(
            midnight.0,
            1_798_761_600 * 1_000_000_000,
            "date -d 2027-01-01Z +%s"
        );
        assert_eq!(
            parse_at("2027-01-01T02:00:00+02:00").unwrap(),
            midnight,
            "offsets apply"
        );
        for bad in ["2027-13-01", "2027-01-01 00:00", "tomorrow", "1798761600"] {
            let e = parse_at(bad).unwrap_err();
            assert!(e.contains("is neither a date"), "{bad}: {e}");
        }
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
