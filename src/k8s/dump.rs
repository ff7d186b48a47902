//! Hex/ASCII dump for values no decoder recognises, like `xxd`:
//! offset, 16 bytes in hex, the same bytes as ASCII (`.` for the rest).

use std::fmt::Write as _;

/// Dumps at most `max` bytes of `b` as lines; a last line says how many
/// were left out.
pub fn hex_dump(b: &[u8], max: usize) -> Vec<String> {
    let shown = &b[..b.len().min(max)];
    let mut out = Vec::with_capacity(shown.len() / 16 + 2);
    for (i, chunk) in shown.chunks(16).enumerate() {
        let mut line = format!("{:08x}  ", i * 16);
        for j in 0..16 {
            match chunk.get(j) {
                Some(x) => {
                    let _ = write!(line, "{x:02x} ");
                }
                None => line.push_str("   "),
            }
            if j == 7 {
                line.push(' ');
            }
        }
        line.push_str(" |");
        line.extend(chunk.iter().map(|&c| {
            if c.is_ascii_graphic() || c == b' ' {
                c as char
            } else {
                '.'
            }
        }));
        line.push('|');
        out.push(line);
    }
    if b.len() > shown.len() {
        out.push(format!("… {} more bytes", b.len() - shown.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let d = hex_dump(b"k8s\0hello, world!!xyz", 1024);
        assert_eq!(
            d[0],
            "00000000  6b 38 73 00 68 65 6c 6c  6f 2c 20 77 6f 72 6c 64  |k8s.hello, world|"
        );
        assert_eq!(
            d[1],
            "00000010  21 21 78 79 7a                                    |!!xyz|"
        );
        let d = hex_dump(&[0u8; 100], 32);
        assert_eq!(d.len(), 3);
        assert_eq!(d[2], "… 68 more bytes");
        assert!(hex_dump(b"", 10).is_empty());
    }
}
