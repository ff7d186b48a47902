//! Kubernetes' `resource.Quantity`, exact: parsing, arithmetic, the
//! rounding of `Value()`/`MilliValue()` and the canonical string form.
//!
//! Rules from `staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go`
//! (`ParseQuantity`, `parseQuantityString`, `CanonicalizeBytes`),
//! `suffix.go` (the suffixes) and `amount.go` (`AsScaledInt64`,
//! `AsCanonicalBytes`, `AsCanonicalBase1024Bytes`):
//!
//! - `<sign><digits>[.<digits>]<suffix>`; suffixes are binary SI
//!   (`Ki Mi Gi Ti Pi Ei`), decimal SI (`n u m "" k M G T P E`) or a
//!   decimal exponent (`e3`, `E-2`, `e+6`).
//! - Precision is the nano: a non-zero amount finer than 1n is rounded
//!   *up* (away from zero) to the next nano, "if you want some resources,
//!   you should get some resources".
//! - Binary-SI amounts are capped at 2^63-1.
//! - `Value()` and `MilliValue()` round away from zero (`1n` is 1m).
//!
//! The amount is held as an `i128` count of nanos, which is exact for every
//! amount up to ±1.7·10^29; Kubernetes' arbitrary-precision path accepts
//! larger ones, kinspect calls them out of range (no node has 10^29 of
//! anything). Parsing never panics; every malformed string is an error.

use std::cmp::Ordering;
use std::fmt;

/// Nanos per unit.
const NANO: i128 = 1_000_000_000;

/// How a quantity was written (and so how its canonical form is written).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuantityFormat {
    /// `Ki`, `Mi`, ... (powers of 1024)
    BinarySi,
    /// `m`, `k`, `M`, ... (powers of 1000), or no suffix
    DecimalSi,
    /// `e3`, `E-6`
    DecimalExponent,
}

/// A parsed `resource.Quantity`.
#[derive(Debug, Clone, Copy)]
pub struct Quantity {
    nanos: i128,
    format: QuantityFormat,
}

impl PartialEq for Quantity {
    /// Equal amounts are equal quantities whatever their format, as
    /// `Quantity.Cmp` (and `Equal`) judge them.
    fn eq(&self, other: &Self) -> bool {
        self.nanos == other.nanos
    }
}
impl Eq for Quantity {}
impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Quantity {
    fn cmp(&self, other: &Self) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

/// Why a string is not a quantity (upstream's `ErrFormatWrong`,
/// `ErrSuffix`, `ErrNumeric`, plus kinspect's range limit).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("quantity {0:?} is empty")]
    Empty(String),
    #[error(
        "quantity {0:?} must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )]
    Format(String),
    #[error("quantity {0:?}: unable to parse quantity's suffix")]
    Suffix(String),
    #[error("quantity {0:?} is out of the range kinspect computes exactly (±1.7e29)")]
    Range(String),
}

impl Quantity {
    /// Zero, written as decimal SI.
    pub const ZERO: Quantity = Quantity {
        nanos: 0,
        format: QuantityFormat::DecimalSi,
    };

    /// A whole number of units in `format`.
    pub fn from_units(units: i64, format: QuantityFormat) -> Quantity {
        Quantity {
            nanos: units as i128 * NANO,
            format,
        }
    }

    /// `n` thousandths of a unit (decimal SI).
    pub fn from_milli(milli: i64) -> Quantity {
        Quantity {
            nanos: milli as i128 * 1_000_000,
            format: QuantityFormat::DecimalSi,
        }
    }

    /// The exact amount in nanos (10^-9 units).
    pub fn nanos(&self) -> i128 {
        self.nanos
    }

    pub fn format(&self) -> QuantityFormat {
        self.format
    }

    pub fn is_zero(&self) -> bool {
        self.nanos == 0
    }

    /// `Quantity.Sign()`.
    pub fn signum(&self) -> i32 {
        self.nanos.signum() as i32
    }

    /// `ScaledValue(scale)`: the amount in units of 10^scale, rounded away
    /// from zero (as `negativeScaleInt64` in amount.go), saturated to i64.
    fn scaled(&self, nanos_per_unit: i128) -> i64 {
        let q = self.nanos / nanos_per_unit;
        let r = self.nanos % nanos_per_unit;
        let v = if r > 0 {
            q + 1
        } else if r < 0 {
            q - 1
        } else {
            q
        };
        v.clamp(i64::MIN as i128, i64::MAX as i128) as i64
    }

    /// `Value()`: whole units, rounded away from zero.
    pub fn value(&self) -> i64 {
        self.scaled(NANO)
    }

    /// `MilliValue()`: thousandths, rounded away from zero.
    pub fn milli_value(&self) -> i64 {
        self.scaled(1_000_000)
    }

    /// `Add`: the sum keeps the left side's format. `None` on overflow.
    pub fn checked_add(&self, other: &Quantity) -> Option<Quantity> {
        Some(Quantity {
            nanos: self.nanos.checked_add(other.nanos)?,
            format: self.format,
        })
    }

    /// `Sub`: the difference keeps the left side's format.
    pub fn checked_sub(&self, other: &Quantity) -> Option<Quantity> {
        Some(Quantity {
            nanos: self.nanos.checked_sub(other.nanos)?,
            format: self.format,
        })
    }

    /// Sum saturating at the range ends (sums of many pods' requests).
    pub fn saturating_add(&self, other: &Quantity) -> Quantity {
        Quantity {
            nanos: self.nanos.saturating_add(other.nanos),
            format: self.format,
        }
    }

    /// `resource.MustParse` without the panic: `ParseQuantity`.
    pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
        parse(s)
    }
}

impl std::str::FromStr for Quantity {
    type Err = QuantityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

/// What a suffix means: base 10 or 2, and the exponent.
fn interpret_suffix(suffix: &str) -> Option<(u32, i32, QuantityFormat)> {
    use QuantityFormat::*;
    let dec = |e| Some((10, e, DecimalSi));
    let bin = |e| Some((2, e, BinarySi));
    match suffix {
        "" => dec(0),
        "n" => dec(-9),
        "u" => dec(-6),
        "m" => dec(-3),
        "k" => dec(3),
        "M" => dec(6),
        "G" => dec(9),
        "T" => dec(12),
        "P" => dec(15),
        "E" => dec(18),
        "Ki" => bin(10),
        "Mi" => bin(20),
        "Gi" => bin(30),
        "Ti" => bin(40),
        "Pi" => bin(50),
        "Ei" => bin(60),
        _ => {
            // An exponent: e or E, then a signed integer (suffix.go interpret).
            let b = suffix.as_bytes();
            if b.len() > 1 && (b[0] == b'e' || b[0] == b'E') {
                let e: i32 = suffix[1..].parse().ok()?;
                Some((10, e, DecimalExponent))
            } else {
                None
            }
        }
    }
}

fn parse(s: &str) -> Result<Quantity, QuantityError> {
    let err_format = || QuantityError::Format(s.to_string());
    if s.is_empty() {
        return Err(QuantityError::Empty(s.to_string()));
    }
    let b = s.as_bytes();
    let mut pos = 0;
    let mut positive = true;
    if b[0] == b'+' || b[0] == b'-' {
        positive = b[0] == b'+';
        pos = 1;
    }
    // The number: digits, optionally '.', digits (parseQuantityString).
    let int_start = pos;
    while pos < b.len() && b[pos].is_ascii_digit() {
        pos += 1;
    }
    let int_digits = &s[int_start..pos];
    let mut frac_digits = "";
    if pos < b.len() && b[pos] == b'.' {
        pos += 1;
        let f = pos;
        while pos < b.len() && b[pos].is_ascii_digit() {
            pos += 1;
        }
        frac_digits = &s[f..pos];
    }
    if int_digits.is_empty() && frac_digits.is_empty() {
        return Err(err_format());
    }
    // The suffix: letters from "eEinumkKMGTP", an optional sign, digits.
    let suffix_start = pos;
    while pos < b.len() && b"eEinumkKMGTP".contains(&b[pos]) {
        pos += 1;
    }
    if pos < b.len() && (b[pos] == b'-' || b[pos] == b'+') {
        pos += 1;
    }
    while pos < b.len() && b[pos].is_ascii_digit() {
        pos += 1;
    }
    if pos != b.len() {
        return Err(err_format());
    }
    let suffix = &s[suffix_start..];
    let (base, exponent, format) =
        interpret_suffix(suffix).ok_or_else(|| QuantityError::Suffix(s.to_string()))?;

    // Exact value: mantissa (all digits) × 10^-(frac len) × base^exponent,
    // rounded up to the nano.
    let range = || QuantityError::Range(s.to_string());
    let digits = format!("{int_digits}{frac_digits}");
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Ok(Quantity { nanos: 0, format });
    }
    // Significant digits beyond what fits are out of range (an i128 holds 38).
    if digits.len() > 38 {
        // Trailing zeros might still make it fit; trim them with the scale.
        let trimmed = digits.trim_end_matches('0');
        if trimmed.len() > 38 {
            return Err(range());
        }
    }
    let trimmed = digits.trim_end_matches('0');
    let zeros = (digits.len() - trimmed.len()) as i64;
    let mantissa: i128 = trimmed.parse().map_err(|_| range())?;
    // value = mantissa × 10^(zeros - frac) × base^exp; in nanos: × 10^9.
    let mut ten_exp: i64 = zeros - frac_digits.len() as i64 + 9;
    let mut num: i128 = mantissa;
    if base == 2 {
        // × 2^exponent (exponent is 10..60)
        num = num.checked_mul(1i128 << exponent).ok_or_else(range)?;
    } else {
        ten_exp += exponent as i64;
    }
    let nanos = if ten_exp >= 0 {
        let mut v = num;
        for _ in 0..ten_exp {
            v = v.checked_mul(10).ok_or_else(range)?;
        }
        v
    } else {
        // Divide, rounding up (away from zero; the magnitude is positive here).
        let mut v = num;
        let mut inexact = false;
        for _ in 0..(-ten_exp).min(40) {
            if v % 10 != 0 {
                inexact = true;
            }
            v /= 10;
        }
        if -ten_exp > 40 {
            inexact = true;
            v = 0;
        }
        if inexact { v + 1 } else { v }
    };
    let mut nanos = nanos;
    if format == QuantityFormat::BinarySi {
        let max = i64::MAX as i128 * NANO;
        if nanos > max {
            nanos = max;
        }
    }
    Ok(Quantity {
        nanos: if positive { nanos } else { -nanos },
        format,
    })
}

/// Removes factors of `f` from `v`: (v / f^n, n), for v != 0.
fn remove_factors(mut v: i128, f: i128) -> (i128, i32) {
    let mut n = 0;
    if v == 0 {
        return (0, 0);
    }
    while v % f == 0 {
        v /= f;
        n += 1;
    }
    (v, n)
}

impl fmt::Display for Quantity {
    /// The canonical form (`CanonicalizeBytes`): `0`; binary SI when the
    /// amount is a whole number of at least 1024 in magnitude, in the
    /// largest power of 1024 that divides it; otherwise decimal, the
    /// exponent a multiple of 3, written with an SI suffix (decimal SI) or
    /// `eN` (decimal exponent).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nanos == 0 {
            return f.write_str("0");
        }
        let mut format = self.format;
        if format == QuantityFormat::BinarySi {
            let small = self.nanos > -1024 * NANO && self.nanos < 1024 * NANO;
            if small || self.nanos % NANO != 0 {
                format = QuantityFormat::DecimalSi;
            }
        }
        if format == QuantityFormat::BinarySi {
            let (amount, e) = remove_factors(self.nanos / NANO, 1024);
            let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
                .get(e as usize)
                .copied()
                .unwrap_or("");
            return write!(f, "{amount}{suffix}");
        }
        // Decimal: nanos = amount × 10^(e - 9), e made a multiple of 3.
        let (mut amount, n) = remove_factors(self.nanos, 10);
        let mut exponent = n - 9;
        match exponent.rem_euclid(3) {
            1 => {
                amount *= 10;
                exponent -= 1;
            }
            2 => {
                amount *= 100;
                exponent -= 2;
            }
            _ => {}
        }
        let suffix = match (format, exponent) {
            (_, 0) => String::new(),
            (QuantityFormat::DecimalSi, -9) => "n".into(),
            (QuantityFormat::DecimalSi, -6) => "u".into(),
            (QuantityFormat::DecimalSi, -3) => "m".into(),
            (QuantityFormat::DecimalSi, 3) => "k".into(),
            (QuantityFormat::DecimalSi, 6) => "M".into(),
            (QuantityFormat::DecimalSi, 9) => "G".into(),
            (QuantityFormat::DecimalSi, 12) => "T".into(),
            (QuantityFormat::DecimalSi, 15) => "P".into(),
            (QuantityFormat::DecimalSi, 18) => "E".into(),
            (_, e) => format!("e{e}"),
        };
        write!(f, "{amount}{suffix}")
    }
}

/// A short human rendering of a cpu amount in cores (`10`, `0.5`, `250m`).
pub fn cpu_human(milli: i64) -> String {
    if milli % 1000 == 0 {
        format!("{}", milli / 1000)
    } else {
        format!("{milli}m")
    }
}

/// A short human rendering of bytes with binary suffixes (`512Mi`, `1.5Gi`).
pub fn bytes_human(b: i64) -> String {
    const U: [&str; 6] = ["", "Ki", "Mi", "Gi", "Ti", "Pi"];
    let mut v = b as f64;
    let mut u = 0;
    while v.abs() >= 1024.0 && u < U.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b}")
    } else if (v - v.round()).abs() < 0.005 {
        format!("{}{}", v.round() as i64, U[u])
    } else {
        format!("{v:.1}{}", U[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    /// Canonical forms, from the table in
    /// staging/src/k8s.io/apimachinery/pkg/api/resource/quantity_test.go
    /// (TestQuantityParse / TestQuantityCanonicalize expectations).
    #[test]
    fn canonical_forms_as_upstream() {
        let cases = [
            ("0", "0"),
            ("0n", "0"),
            ("0Ki", "0"),
            ("100m", "100m"),
            ("0.1", "100m"),
            ("1000m", "1"),
            ("10000m", "10"),
            ("1.5", "1500m"),
            ("1k", "1k"),
            ("1000", "1k"),
            ("1.5k", "1500"),
            ("1Ki", "1Ki"),
            ("1024", "1024"),
            ("0.5Ki", "512"),
            ("1.5Gi", "1536Mi"),
            ("1536Mi", "1536Mi"),
            ("1Gi", "1Gi"),
            ("1024Mi", "1Gi"),
            ("1e3", "1e3"),
            ("1E3", "1e3"),
            ("1e-3", "1e-3"),
            ("1E", "1E"),
            ("1M", "1M"),
            ("128974848", "128974848"),
            ("129e6", "129e6"),
            ("129M", "129M"),
            ("123Mi", "123Mi"),
            ("-100m", "-100m"),
            ("+1", "1"),
            ("1n", "1n"),
            ("1u", "1u"),
            ("0.0000000001", "1n"), // rounded up to the nano
            ("1.0000000001", "1000000001n"),
            ("-0.0000000001", "-1n"),
            (".5", "500m"),
            ("5.", "5"),
            ("0.001Ki", "1024m"),
            ("12e+2", "1200"),
        ];
        for (input, want) in cases {
            assert_eq!(q(input).to_string(), want, "{input}");
        }
    }

    /// MilliValue/Value round away from zero (amount.go negativeScaleInt64;
    /// quantity_test.go TestQuantityValue/TestMilliValue cases like 1n → 1m).
    /// Rules of staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go
    /// (and amount.go, suffix.go), as in the module comment.
    #[test]
    fn value_and_milli_round_up() {
        assert_eq!(q("1n").milli_value(), 1);
        assert_eq!(q("-1n").milli_value(), -1);
        assert_eq!(q("100m").value(), 1);
        assert_eq!(q("1001m").value(), 2);
        assert_eq!(q("10000m").milli_value(), 10000);
        assert_eq!(q("10000m").value(), 10);
        assert_eq!(q("0.5").milli_value(), 500);
        assert_eq!(q("128Mi").value(), 134217728);
        assert_eq!(q("1Gi").value(), 1 << 30);
        assert_eq!(q("1.5Gi").value(), 1610612736);
        assert_eq!(q("8Ei").value(), i64::MAX); // capped at 2^63-1 (quantity.go maxAllowed)
        assert_eq!(q("4").milli_value(), 4000);
    }

    /// Malformed quantities are errors, never panics (quantity_test.go
    /// TestQuantityParseZero / invalid table: "1.1.M", "1+1.0M", "0.1mi",
    /// "0.1am", "aoeu", ".5i", "1i", "-3.01i", "-3.01e-", " 1", "1 ").
    /// Rules of staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go
    /// (and amount.go, suffix.go), as in the module comment.
    #[test]
    fn malformed_are_errors() {
        for bad in [
            "",
            "1.1.M",
            "1+1.0M",
            "0.1mi",
            "0.1am",
            "aoeu",
            ".5i",
            "1i",
            "-3.01i",
            "-3.01e-",
            " 1",
            "1 ",
            ".",
            "-",
            "+",
            "1e",
            "1K",
            "1KiB",
            "1Mb",
            "1..",
            "e3",
            "--1",
            "1e99999999999",
        ] {
            assert!(Quantity::parse(bad).is_err(), "{bad:?} parsed");
        }
        assert!(matches!(
            Quantity::parse("1e40"),
            Err(QuantityError::Range(_))
        ));
    }

    /// Rules of staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go
    /// (and amount.go, suffix.go), as in the module comment.
    #[test]
    fn arithmetic_is_exact() {
        let a = q("100m");
        let b = q("0.2");
        assert_eq!(
            a.checked_add(&b).map(|x| x.to_string()),
            Some("300m".into())
        );
        assert_eq!(
            q("1Gi").checked_sub(&q("512Mi")).map(|x| x.to_string()),
            Some("512Mi".into())
        );
        assert!(q("1") == q("1000m"));
        assert!(q("1Ki") > q("1k"));
    }

    /// A tiny deterministic generator (xorshift), for property tests
    /// without a dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
            xs[(self.next() % xs.len() as u64) as usize]
        }
    }

    /// Property: the canonical string parses back to the same amount, and
    /// canonicalising twice changes nothing (quantity.go: "Before
    /// serializing, Quantity will be put in canonical form ... parsing the
    /// canonical form gives the same quantity").
    /// Rules of staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go
    /// (and amount.go, suffix.go), as in the module comment.
    #[test]
    fn property_canonical_round_trip() {
        let mut r = Rng(0x9e3779b97f4a7c15);
        let suffixes = [
            "", "m", "n", "u", "k", "M", "G", "T", "Ki", "Mi", "Gi", "Ti", "e3", "e-2", "E6", "e0",
        ];
        for _ in 0..20_000 {
            let int = r.next() % 1_000_000;
            let frac = r.next() % 1000;
            let sign = if r.next() % 4 == 0 { "-" } else { "" };
            let s = if r.next() % 2 == 0 {
                format!("{sign}{int}{}", r.pick(&suffixes))
            } else {
                format!("{sign}{int}.{frac:03}{}", r.pick(&suffixes))
            };
            let a = q(&s);
            let c = a.to_string();
            let b = q(&c);
            assert_eq!(a.nanos(), b.nanos(), "{s} -> {c}");
            assert_eq!(b.to_string(), c, "{s} -> {c} not stable");
            // MilliValue is the ceiling (away from zero) of the exact amount.
            // (Only where the milli-value fits an i64, as upstream's does.)
            let m = a.milli_value() as i128 * 1_000_000;
            if a.nanos().abs() >= i64::MAX as i128 * 1_000_000 {
                continue;
            }
            if a.nanos() >= 0 {
                assert!(m >= a.nanos() && m - a.nanos() < 1_000_000, "{s}");
            } else {
                assert!(m <= a.nanos() && a.nanos() - m < 1_000_000, "{s}");
            }
        }
    }

    /// Property: sums are exact and commutative, and sub undoes add.
    /// Rules of staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go
    /// (and amount.go, suffix.go), as in the module comment.
    #[test]
    fn property_add_sub() {
        let mut r = Rng(42);
        let units = ["m", "", "k", "Mi", "Gi", "n"];
        for _ in 0..10_000 {
            let a = q(&format!("{}{}", r.next() % 100_000, r.pick(&units)));
            let b = q(&format!("{}{}", r.next() % 100_000, r.pick(&units)));
            let s = a.checked_add(&b).unwrap();
            assert_eq!(s, b.checked_add(&a).unwrap());
            assert_eq!(s.checked_sub(&b).unwrap(), a);
        }
    }

    /// Property: any string at all parses or errors, never panics.
    /// Rules of staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go
    /// (and amount.go, suffix.go), as in the module comment.
    #[test]
    fn property_no_panic_on_any_string() {
        let mut r = Rng(7);
        let alphabet: Vec<char> = "0123456789.+-eEinumkKMGTPi xyz".chars().collect();
        for _ in 0..50_000 {
            let n = (r.next() % 12) as usize;
            let s: String = (0..n)
                .map(|_| alphabet[(r.next() % alphabet.len() as u64) as usize])
                .collect();
            if let Ok(x) = Quantity::parse(&s) {
                let _ = Quantity::parse(&x.to_string()).expect("canonical form parses");
            }
        }
    }
}
