//! Time as kinspect handles it: nanoseconds since the Unix epoch, UTC, and
//! the two ways it is shown — RFC 3339 with microseconds (`2026-11-26T17:05:03.123456Z`)
//! and human durations in kubeadm's style (`364d 3h`, `1.2s`).

use std::fmt;

/// A point in time: nanoseconds since 1970-01-01T00:00:00Z (negative before).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// From seconds and a fraction expressed in `units_per_sec` (10^6 for
    /// microsecond pcap, 10^9 for nanosecond pcap, anything for pcapng).
    ///
    /// The two resolutions real captures use are worked out here, small
    /// enough to be inlined where records are read; anything else in
    /// [`Timestamp::from_parts_general`].
    #[inline]
    pub fn from_parts(secs: i64, frac: u64, units_per_sec: u64) -> Timestamp {
        // Without 128-bit arithmetic.
        if frac < units_per_sec && (units_per_sec == 1_000_000_000 || units_per_sec == 1_000_000) {
            // Chosen, not divided: a division by a variable is most of this
            // function's cost, once per packet of a classic pcap.
            let scale = if units_per_sec == 1_000_000 { 1_000 } else { 1 };
            if let Some(t) = secs
                .checked_mul(1_000_000_000)
                .and_then(|n| n.checked_add(frac as i64 * scale as i64))
            {
                return Timestamp(t);
            }
        }
        Timestamp::from_parts_general(secs, frac, units_per_sec)
    }

    /// [`Timestamp::from_parts`] for any resolution, in 128-bit arithmetic.
    #[inline(never)]
    fn from_parts_general(secs: i64, frac: u64, units_per_sec: u64) -> Timestamp {
        let nanos = if units_per_sec == 1_000_000_000 {
            frac as i128
        } else if units_per_sec == 0 {
            0
        } else {
            (frac as i128 * 1_000_000_000) / units_per_sec as i128
        };
        let total = secs as i128 * 1_000_000_000 + nanos;
        Timestamp(total.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
    }

    /// From a raw pcapng 64-bit timestamp with the interface's resolution and offset.
    pub fn from_ticks(ticks: u64, units_per_sec: u64, offset_secs: i64) -> Timestamp {
        if units_per_sec == 0 {
            return Timestamp(offset_secs.saturating_mul(1_000_000_000));
        }
        let secs = (ticks / units_per_sec) as i64;
        let frac = ticks % units_per_sec;
        Timestamp::from_parts(secs.saturating_add(offset_secs), frac, units_per_sec)
    }

    /// The wall clock now.
    pub fn now() -> Timestamp {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
    }

    pub fn nanos(self) -> i64 {
        self.0
    }

    pub fn secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// Milliseconds from `earlier` to `self` (negative if `self` is earlier).
    pub fn millis_since(self, earlier: Timestamp) -> f64 {
        self.0.saturating_sub(earlier.0) as f64 / 1e6
    }

    /// RFC 3339 in UTC with microseconds: `2026-11-26T17:05:03.123456Z`.
    pub fn rfc3339(self) -> String {
        self.to_string()
    }
}

impl Timestamp {
    /// Writes the RFC 3339 form into a fixed buffer without the formatting
    /// machinery (this runs once per JSON row; 4-digit years).
    pub fn format_into(self, out: &mut [u8; 27]) {
        let secs = self.0.div_euclid(1_000_000_000);
        let micros = (self.0.rem_euclid(1_000_000_000) / 1_000) as u32;
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400) as u32;
        let (y, m, d) = civil_from_days(days);
        let y = y.clamp(0, 9999) as u32;
        // Two digits at a time from a table (half the divisions).
        put2(out, 0, y / 100);
        put2(out, 2, y);
        out[4] = b'-';
        put2(out, 5, m);
        out[7] = b'-';
        put2(out, 8, d);
        out[10] = b'T';
        put2(out, 11, sod / 3600);
        out[13] = b':';
        put2(out, 14, (sod / 60) % 60);
        out[16] = b':';
        put2(out, 17, sod % 60);
        out[19] = b'.';
        put_micros(out, micros);
        out[26] = b'Z';
    }
}

/// The last two digits of `v` at `at`, from [`DIGIT_PAIRS`].
fn put2(out: &mut [u8], at: usize, v: u32) {
    let i = (v as usize % 100) * 2;
    if let (Some(o), Some(pair)) = (out.get_mut(at..at + 2), DIGIT_PAIRS.get(i..i + 2)) {
        o.copy_from_slice(pair);
    }
}

/// The six digits of `micros` (below 1,000,000) at 20..26 of an RFC 3339
/// text.
fn put_micros(out: &mut [u8; 27], micros: u32) {
    put2(out, 20, micros / 10_000);
    put2(out, 22, micros / 100);
    put2(out, 24, micros);
}

/// [`Timestamp::format_into`] for a run of timestamps, most of them in the
/// same second as the one before (the rows of `pcap flows`: 99 % of
/// consecutive rows of an etcd capture share their second): the text up
/// to the second is kept and only the microseconds are written again.
#[derive(Debug, Clone, Default)]
pub struct Rfc3339Writer {
    second: Option<i64>,
    text: [u8; 27],
}

impl Rfc3339Writer {
    /// The RFC 3339 text of `ts`, as [`Timestamp::format_into`] writes it.
    pub fn format(&mut self, ts: Timestamp) -> &[u8; 27] {
        let second = ts.0.div_euclid(1_000_000_000);
        if self.second == Some(second) {
            put_micros(
                &mut self.text,
                (ts.0.rem_euclid(1_000_000_000) / 1_000) as u32,
            );
        } else {
            ts.format_into(&mut self.text);
            self.second = Some(second);
        }
        &self.text
    }
}

/// "00" to "99", each number's two digits.
pub(crate) const DIGIT_PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 27];
        self.format_into(&mut buf);
        // Only ASCII digits and separators were written.
        f.write_str(std::str::from_utf8(&buf).unwrap_or("invalid-time"))
    }
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian
/// calendar (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A duration shown the way operators read it: `850µs`, `12.3ms`, `4.2s`,
/// `3m12s`, `5h2m`, `364d 3h`, `9y`.
pub fn human_duration(nanos: i64) -> String {
    let mut buf = Vec::with_capacity(16);
    write_human_duration(&mut buf, nanos);
    // Only ASCII and 'µ' were written.
    String::from_utf8(buf).unwrap_or_default()
}

/// [`human_duration`] appended to a buffer (no allocation; the flows table
/// writes one per row).
pub fn write_human_duration(buf: &mut Vec<u8>, nanos: i64) {
    use std::io::Write;
    if nanos < 0 {
        buf.push(b'-');
    }
    let n = nanos.unsigned_abs();
    if n < 1_000_000 {
        // Most connections of a capture last under a millisecond: their
        // microseconds without the formatting machinery.
        buf.extend_from_slice(itoa::Buffer::new().format(n / 1_000).as_bytes());
        buf.extend_from_slice("µs".as_bytes());
        return;
    }
    // Writing to a Vec cannot fail.
    let _ = if n < 1_000_000_000 {
        write!(buf, "{:.1}ms", n as f64 / 1e6)
    } else if n < 60_000_000_000 {
        write!(buf, "{:.1}s", n as f64 / 1e9)
    } else {
        let secs = n / 1_000_000_000;
        let (d, h, m, s) = (
            secs / 86_400,
            (secs / 3600) % 24,
            (secs / 60) % 60,
            secs % 60,
        );
        if d >= 365 * 2 {
            write!(buf, "{}y", d / 365)
        } else if d > 0 {
            write!(buf, "{d}d {h}h")
        } else if h > 0 {
            write!(buf, "{h}h{m}m")
        } else {
            write!(buf, "{m}m{s}s")
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_epoch_and_known_dates() {
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00.000000Z");
        // 2026-11-26T17:05:03.123456Z
        let t = Timestamp::from_parts(1_795_712_703, 123_456, 1_000_000);
        assert_eq!(t.to_string(), "2026-11-26T17:05:03.123456Z");
        // leap day
        let t = Timestamp::from_parts(951_782_400, 0, 1_000_000);
        assert_eq!(t.to_string(), "2000-02-29T00:00:00.000000Z");
        // before the epoch
        let t = Timestamp::from_parts(-1, 500_000, 1_000_000);
        assert_eq!(t.to_string(), "1969-12-31T23:59:59.500000Z");
    }

    /// The `time` crate (the oracle) writes the same text for instants
    /// spread over all a `Timestamp` holds (years 1677 to 2262), every
    /// second of a day and every digit of the microseconds.
    #[test]
    fn formats_as_the_time_crate_formats() {
        let format = time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
        );
        let (first, last) = (i64::MIN / 1_000_000_000 + 1, i64::MAX / 1_000_000_000 - 1);
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        for i in 0..200_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let secs = if i % 2 == 0 {
                first + (x % (last - first + 1) as u64) as i64
            } else {
                // Near the epoch and today, where captures are.
                (x % 4_000_000_000) as i64 - 100_000_000
            };
            let nanos = (x >> 20) % 1_000_000_000;
            let t = Timestamp(secs * 1_000_000_000 + nanos as i64);
            let want = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.0))
                .unwrap()
                .format(format)
                .unwrap();
            assert_eq!(t.to_string(), want, "{} ns", t.0);
        }
    }

    #[test]
    fn converts_resolutions() {
        assert_eq!(Timestamp::from_parts(1, 5, 1_000_000_000).0, 1_000_000_005);
        assert_eq!(Timestamp::from_parts(1, 5, 1_000_000).0, 1_000_005_000);
        assert_eq!(Timestamp::from_ticks(1_500, 1_000, 10).0, 11_500_000_000);
        // 2^-10 s resolution (binary tsresol)
        assert_eq!(Timestamp::from_ticks(1024 + 512, 1024, 0).0, 1_500_000_000);
    }

    /// The writer that keeps the second's text writes what `format_into`
    /// writes, for runs within one second, across seconds, days and years,
    /// before the epoch, and back in time.
    #[test]
    fn a_kept_second_gives_what_format_into_gives() {
        let mut w = Rfc3339Writer::default();
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut ts: i64 = -86_400_000_000_000 * 400;
        for i in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Mostly small steps (same second), sometimes a jump of up to
            // about three years either way.
            ts += match i % 10 {
                0 => (x % 100_000_000_000_000_000) as i64 - 50_000_000_000_000_000,
                1 => 999_999_999,
                _ => (x % 300_000) as i64,
            };
            let mut want = [0u8; 27];
            Timestamp(ts).format_into(&mut want);
            assert_eq!(w.format(Timestamp(ts)), &want, "{ts}");
        }
        for ts in [i64::MIN, -1, 0, 999, 1_000, i64::MAX, i64::MAX - 999] {
            let mut want = [0u8; 27];
            Timestamp(ts).format_into(&mut want);
            assert_eq!(w.format(Timestamp(ts)), &want, "{ts}");
        }
    }

    #[test]
    fn human_durations() {
        assert_eq!(human_duration(850_000), "850µs");
        // Microseconds: whole ones, cut (not rounded), the sign kept.
        assert_eq!(human_duration(0), "0µs");
        assert_eq!(human_duration(999), "0µs");
        assert_eq!(human_duration(999_999), "999µs");
        assert_eq!(human_duration(-999_999), "-999µs");
        assert_eq!(human_duration(i64::MIN), "-292y");
        assert_eq!(human_duration(1_000_000), "1.0ms");
        assert_eq!(human_duration(12_340_000), "12.3ms");
        assert_eq!(human_duration(4_200_000_000), "4.2s");
        assert_eq!(human_duration(192 * 1_000_000_000), "3m12s");
        assert_eq!(
            human_duration((364 * 86_400 + 3 * 3600) * 1_000_000_000),
            "364d 3h"
        );
        assert_eq!(human_duration(9 * 365 * 86_400 * 1_000_000_000), "9y");
    }
}
