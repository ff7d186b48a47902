//! kubectl's ages: `duration.HumanDuration` from
//! `k8s.io/apimachinery/pkg/util/duration/duration.go`, and the
//! `translateTimestampSince` wrapper of
//! `kubernetes/pkg/printers/internalversion/printers.go`.

use k8s_pb::apimachinery::pkg::apis::meta::v1::{MicroTime, Time};

const NS: i128 = 1_000_000_000;
/// `time.Time{}` (year 1) in Unix seconds: Go's zero time.
const GO_ZERO_UNIX: i64 = -62_135_596_800;

/// `HumanDuration`: ~2-3 significant figures, e.g. `45s`, `3m12s`,
/// `5h3m`, `2d3h`, `93d`, `3y45d`. Takes nanoseconds; saturates at Go's
/// `time.Duration` range as `time.Since` does.
pub fn human_duration(nanos: i128) -> String {
    let d = nanos.clamp(i64::MIN as i128, i64::MAX as i128);
    let seconds = d / NS; // int(d.Seconds()) truncates toward zero
    if seconds < -1 {
        return "<invalid>".into();
    } else if seconds < 0 {
        return "0s".into();
    } else if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = d / (60 * NS);
    if minutes < 10 {
        let s = seconds % 60;
        if s == 0 {
            return format!("{minutes}m");
        }
        return format!("{minutes}m{s}s");
    } else if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = d / (3600 * NS);
    if hours < 8 {
        let m = minutes % 60;
        if m == 0 {
            return format!("{hours}h");
        }
        return format!("{hours}h{m}m");
    } else if hours < 48 {
        return format!("{hours}h");
    } else if hours < 24 * 8 {
        let h = hours % 24;
        if h == 0 {
            return format!("{}d", hours / 24);
        }
        return format!("{}d{h}h", hours / 24);
    } else if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    } else if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        if dy == 0 {
            return format!("{}y", hours / 24 / 365);
        }
        return format!("{}y{dy}d", hours / 24 / 365);
    }
    format!("{}y", hours / 24 / 365)
}

/// A `metav1.Time` as nanoseconds since 1970; `None` when unset or Go's
/// zero time (what `IsZero` reports).
pub fn time_nanos(t: Option<&Time>) -> Option<i128> {
    let t = t?;
    let (s, n) = (t.seconds(), t.nanos());
    if s == GO_ZERO_UNIX && n == 0 {
        return None;
    }
    Some(s as i128 * NS + n as i128)
}

/// A `metav1.MicroTime` as nanoseconds since 1970; `None` when zero.
pub fn micro_time_nanos(t: Option<&MicroTime>) -> Option<i128> {
    let t = t?;
    let (s, n) = (t.seconds(), t.nanos());
    if s == GO_ZERO_UNIX && n == 0 {
        return None;
    }
    Some(s as i128 * NS + n as i128)
}

/// `translateTimestampSince`: `<unknown>` for a zero time, else the
/// human duration from `at` (nanoseconds) to `now` (Unix seconds).
pub fn since(at: Option<i128>, now_unix: i64) -> String {
    match at {
        None => "<unknown>".into(),
        Some(at) => human_duration(now_unix as i128 * NS - at),
    }
}

/// The age of an object created at `t`, as kubectl's AGE column.
pub fn age(t: Option<&Time>, now_unix: i64) -> String {
    since(time_nanos(t), now_unix)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i128 = 1_000_000;
    const S: i128 = NS;
    const M: i128 = 60 * S;
    const H: i128 = 60 * M;
    const D: i128 = 24 * H;
    const Y: i128 = 365 * D;

    /// Every case of TestHumanDurationBoundaries in
    /// k8s.io/apimachinery/pkg/util/duration/duration_test.go.
    #[test]
    fn upstream_boundaries() {
        let cases: &[(i128, &str)] = &[
            (-2 * S, "<invalid>"),
            (-2 * S + 1, "0s"),
            (0, "0s"),
            (S - MS, "0s"),
            (2 * M - MS, "119s"),
            (2 * M, "2m"),
            (2 * M + S, "2m1s"),
            (10 * M - MS, "9m59s"),
            (10 * M, "10m"),
            (10 * M + S, "10m"),
            (3 * H - MS, "179m"),
            (3 * H, "3h"),
            (3 * H + M, "3h1m"),
            (8 * H - MS, "7h59m"),
            (8 * H, "8h"),
            (8 * H + 59 * M, "8h"),
            (2 * D - MS, "47h"),
            (2 * D, "2d"),
            (2 * D + H, "2d1h"),
            (8 * D - MS, "7d23h"),
            (8 * D, "8d"),
            (8 * D + 23 * H, "8d"),
            (2 * Y - MS, "729d"),
            (2 * Y, "2y"),
            (2 * Y + 23 * H, "2y"),
            (2 * Y + 23 * H + 59 * M, "2y"),
            (2 * Y + 24 * H - MS, "2y"),
            (2 * Y + 24 * H, "2y1d"),
            (3 * Y, "3y"),
            (4 * Y, "4y"),
            (5 * Y, "5y"),
            (6 * Y, "6y"),
            (7 * Y, "7y"),
            (8 * Y - MS, "7y364d"),
            (8 * Y, "8y"),
            (8 * Y + 364 * D, "8y"),
            (9 * Y, "9y"),
        ];
        for (d, want) in cases {
            assert_eq!(human_duration(*d), *want, "{d}ns");
        }
    }

    /// TestHumanDuration in the same file.
    #[test]
    fn upstream_examples() {
        for (d, want) in [
            (S, "1s"),
            (70 * S, "70s"),
            (190 * S, "3m10s"),
            (70 * M, "70m"),
            (47 * H, "47h"),
            (49 * H, "2d1h"),
            ((8 * 24 + 2) * H, "8d"),
            (367 * D, "367d"),
            ((365 * 2 * 24 + 25) * H, "2y1d"),
            ((365 * 8 * 24 + 2) * H, "8y"),
        ] {
            assert_eq!(human_duration(d), want, "{d}ns");
        }
    }

    /// printers.go translateTimestampSince: zero time is `<unknown>`.
    #[test]
    fn ages_of_timestamps() {
        let t = |s: i64| Time {
            seconds: Some(s),
            nanos: Some(0),
        };
        assert_eq!(age(None, 1000), "<unknown>");
        assert_eq!(age(Some(&t(GO_ZERO_UNIX)), 1000), "<unknown>");
        assert_eq!(age(Some(&t(1000 - 312)), 1000), "5m12s");
        assert_eq!(age(Some(&t(1010)), 1000), "<invalid>");
        // Saturates like time.Since instead of overflowing.
        assert_eq!(age(Some(&t(i64::MIN)), i64::MAX), "292y");
    }
}
