//! CBOR values (RFC 8949), which Kubernetes can store since 1.32
//! (`CBORServingAndStorage`): they begin with the self-described CBOR tag
//! 55799 (`d9 d9 f7`). Decoded into a JSON value the way the apiserver's
//! JSON would show it: byte strings as base64, non-string map keys as
//! their JSON text, tags dropped, NaN/infinity as null.
//!
//! Bounded: nesting is cut at [`MAX_DEPTH`], lengths are checked against
//! the bytes that are left before anything is allocated.

use base64::Engine as _;
use serde_json::{Map, Number, Value as Json};

use super::DecodeError;

/// The self-described CBOR tag, as it appears on the wire.
pub const SELF_DESCRIBED: &[u8; 3] = &[0xd9, 0xd9, 0xf7];

/// Deeper nesting is an error.
pub const MAX_DEPTH: usize = 128;

/// Decodes one CBOR item from the start of `buf`. Returns the value and
/// how many bytes it took.
pub fn decode(buf: &[u8]) -> Result<(Json, usize), DecodeError> {
    let mut r = Reader { buf, pos: 0 };
    let v = r.item(0)?;
    Ok((v, r.pos))
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

enum Head {
    /// Major type, argument.
    Definite(u8, u64),
    /// Major type, indefinite length (or break for major 7).
    Indefinite(u8),
}

impl Reader<'_> {
    fn err(&self, offset: usize, message: &'static str) -> DecodeError {
        DecodeError::Cbor { offset, message }
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or_else(|| self.err(self.pos, "truncated: item expected"))?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: u64, at: usize) -> Result<&[u8], DecodeError> {
        let left = (self.buf.len() - self.pos) as u64;
        if n > left {
            return Err(self.err(at, "truncated: length runs past the end"));
        }
        let s = &self.buf[self.pos..self.pos + n as usize];
        self.pos += n as usize;
        Ok(s)
    }

    fn head(&mut self) -> Result<Head, DecodeError> {
        let at = self.pos;
        let b = self.byte()?;
        let major = b >> 5;
        let info = b & 0x1f;
        let arg = match info {
            0..=23 => u64::from(info),
            24 => u64::from(self.take(1, at)?[0]),
            25 => {
                let s = self.take(2, at)?;
                u64::from(u16::from_be_bytes([s[0], s[1]]))
            }
            26 => {
                let s = self.take(4, at)?;
                u64::from(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
            }
            27 => {
                let s = self.take(8, at)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(s);
                u64::from_be_bytes(a)
            }
            31 if matches!(major, 2..=5 | 7) => return Ok(Head::Indefinite(major)),
            _ => return Err(self.err(at, "reserved additional information")),
        };
        Ok(Head::Definite(major, arg))
    }

    fn at_break(&self) -> bool {
        self.buf.get(self.pos) == Some(&0xff)
    }

    fn item(&mut self, depth: usize) -> Result<Json, DecodeError> {
        let at = self.pos;
        if depth > MAX_DEPTH {
            return Err(self.err(at, "nested too deeply"));
        }
        match self.head()? {
            Head::Definite(0, n) => Ok(Json::Number(n.into())),
            Head::Definite(1, n) => Ok(match i64::try_from(n) {
                Ok(i) => Json::Number((-1 - i).into()),
                Err(_) => Json::String(format!("-{}", u128::from(n) + 1)),
            }),
            Head::Definite(2, n) => {
                let b = self.take(n, at)?;
                Ok(Json::String(
                    base64::engine::general_purpose::STANDARD.encode(b),
                ))
            }
            Head::Definite(3, n) => {
                let b = self.take(n, at)?;
                Ok(Json::String(String::from_utf8_lossy(b).into_owned()))
            }
            Head::Indefinite(m @ (2 | 3)) => {
                let mut bytes = Vec::new();
                loop {
                    if self.at_break() {
                        self.pos += 1;
                        break;
                    }
                    let cat = self.pos;
                    match self.head()? {
                        Head::Definite(mm, n) if mm == m => {
                            bytes.extend_from_slice(self.take(n, cat)?)
                        }
                        _ => return Err(self.err(cat, "bad chunk in an indefinite string")),
                    }
                }
                Ok(if m == 2 {
                    Json::String(base64::engine::general_purpose::STANDARD.encode(&bytes))
                } else {
                    Json::String(String::from_utf8_lossy(&bytes).into_owned())
                })
            }
            Head::Definite(4, n) => {
                // Each item takes at least one byte.
                if n > (self.buf.len() - self.pos) as u64 {
                    return Err(self.err(at, "truncated: array longer than the input"));
                }
                let mut a = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    a.push(self.item(depth + 1)?);
                }
                Ok(Json::Array(a))
            }
            Head::Indefinite(4) => {
                let mut a = Vec::new();
                while !self.at_break() {
                    a.push(self.item(depth + 1)?);
                }
                self.pos += 1;
                Ok(Json::Array(a))
            }
            Head::Definite(5, n) => {
                if n.saturating_mul(2) > (self.buf.len() - self.pos) as u64 {
                    return Err(self.err(at, "truncated: map longer than the input"));
                }
                let mut m = Map::new();
                for _ in 0..n {
                    let k = key_text(self.item(depth + 1)?);
                    let v = self.item(depth + 1)?;
                    m.insert(k, v);
                }
                Ok(Json::Object(m))
            }
            Head::Indefinite(5) => {
                let mut m = Map::new();
                while !self.at_break() {
                    let k = key_text(self.item(depth + 1)?);
                    let v = self.item(depth + 1)?;
                    m.insert(k, v);
                }
                self.pos += 1;
                Ok(Json::Object(m))
            }
            // Tags: the tagged item as it is.
            Head::Definite(6, _) => self.item(depth + 1),
            Head::Definite(7, n) => {
                let info = self.buf[at] & 0x1f;
                Ok(match (info, n) {
                    (20, _) => Json::Bool(false),
                    (21, _) => Json::Bool(true),
                    (22, _) | (23, _) => Json::Null,
                    (25, h) => float(half_to_f64(h as u16)),
                    (26, f) => float(f64::from(f32::from_bits(f as u32))),
                    (27, d) => float(f64::from_bits(d)),
                    (_, s) => Json::String(format!("simple({s})")),
                })
            }
            Head::Indefinite(_) => Err(self.err(at, "unexpected break")),
            Head::Definite(..) => Err(self.err(at, "unknown major type")),
        }
    }
}

/// A map key as text: strings as they are, other keys as their JSON text
/// cut at 64 characters (a map used as a key, nested, would otherwise be
/// escaped again at every level and double in size each time).
fn key_text(k: Json) -> String {
    const MAX: usize = 64;
    match k {
        Json::String(s) => s,
        Json::Array(_) | Json::Object(_) => {
            let t = k.to_string();
            match t.char_indices().nth(MAX) {
                Some((i, _)) => format!("{}…", &t[..i]),
                None => t,
            }
        }
        other => other.to_string(),
    }
}

fn float(f: f64) -> Json {
    Number::from_f64(f).map(Json::Number).unwrap_or(Json::Null)
}

fn half_to_f64(h: u16) -> f64 {
    let exp = (h >> 10) & 0x1f;
    let mant = f64::from(h & 0x3ff);
    let v = match exp {
        0 => mant * 2f64.powi(-24),
        31 => {
            if mant == 0.0 {
                f64::INFINITY
            } else {
                f64::NAN
            }
        }
        e => (mant + 1024.0) * 2f64.powi(i32::from(e) - 25),
    };
    if h & 0x8000 != 0 { -v } else { v }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_like_object() {
        // 55799({"kind": "Pod", "n": -5, "b": h'0102', "a": [1, true, null], "f": 1.5})
        let mut b = SELF_DESCRIBED.to_vec();
        b.push(0xa5);
        b.extend_from_slice(&[0x64, b'k', b'i', b'n', b'd', 0x63, b'P', b'o', b'd']);
        b.extend_from_slice(&[0x61, b'n', 0x24]);
        b.extend_from_slice(&[0x61, b'b', 0x42, 1, 2]);
        b.extend_from_slice(&[0x61, b'a', 0x83, 0x01, 0xf5, 0xf6]);
        b.extend_from_slice(&[0x61, b'f', 0xf9, 0x3e, 0x00]);
        let (v, used) = decode(&b).unwrap();
        assert_eq!(used, b.len());
        assert_eq!(
            v,
            serde_json::json!({"kind":"Pod","n":-5,"b":"AQI=","a":[1,true,null],"f":1.5})
        );
    }

    #[test]
    fn indefinite_and_wide_ints() {
        // [_ "a" "b"] as an indefinite text string, then an indefinite map {1: 2}
        let b = [
            0x82, 0x7f, 0x61, b'a', 0x61, b'b', 0xff, 0xbf, 0x01, 0x02, 0xff,
        ];
        let (v, _) = decode(&b).unwrap();
        assert_eq!(v, serde_json::json!(["ab", {"1": 2}]));
        let b = [0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(
            decode(&b).unwrap().0,
            serde_json::json!("-18446744073709551616")
        );
        let b = [0xfb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0]; // NaN
        assert_eq!(decode(&b).unwrap().0, Json::Null);
        assert_eq!(
            decode(&[0xfa, 0x40, 0x20, 0, 0]).unwrap().0,
            serde_json::json!(2.5)
        );
    }

    #[test]
    fn hostile_input() {
        // array claiming 2^63 items
        let b = [0x9b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert!(decode(&b).is_err());
        // map claiming more than is there
        assert!(decode(&[0xa3, 0x01, 0x02]).is_err());
        // text length past the end
        assert!(decode(&[0x78, 0x40, b'a']).is_err());
        // deep nesting
        let deep = vec![0x81u8; 10_000];
        assert!(matches!(
            decode(&deep),
            Err(DecodeError::Cbor {
                message: "nested too deeply",
                ..
            })
        ));
        // reserved info, stray break, empty
        assert!(decode(&[0x1c]).is_err());
        assert!(decode(&[0xff]).is_err());
        assert!(decode(&[]).is_err());
        // unterminated indefinite array
        assert!(decode(&[0x9f, 0x01]).is_err());
        // maps as keys of maps as keys...: bounded keys, no blow-up
        let mut nested = vec![0xa1u8; 100];
        nested.extend_from_slice(&[0x00; 101]);
        let (v, used) = decode(&nested).unwrap();
        assert_eq!(used, nested.len());
        assert!(v.to_string().len() < 1000, "{}", v.to_string().len());
    }
}
