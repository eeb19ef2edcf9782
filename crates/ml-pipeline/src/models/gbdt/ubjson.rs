//! A UBJSON reader into [`Value`], for XGBoost's `.ubj` models (Universal Binary JSON,
//! draft 12: big-endian numbers, optimized containers with `$` type and `#` count).
//!
//! A count is checked against the bytes left before anything is allocated, so a forged
//! count cannot make the reader reserve more memory than the file could fill; nesting is
//! limited like the JSON reader's.

use super::json::MAX_DEPTH;
use super::value::Value;
use crate::error::PipelineError;
use std::borrow::Cow;

const FORMAT: &str = "XGBoost UBJSON";

/// Parses a whole document (nothing may follow it).
///
/// # Errors
/// [`PipelineError::ModelImport`] naming the byte offset of the first error.
pub(super) fn parse(bytes: &[u8]) -> Result<Value<'_>, PipelineError> {
    let mut r = Reader { s: bytes, pos: 0 };
    let marker = r.marker()?;
    let v = r.value(marker, 0)?;
    if r.pos != bytes.len() {
        return Err(r.error("unexpected data after the document"));
    }
    Ok(v)
}

struct Reader<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn error(&self, message: &str) -> PipelineError {
        let message = if self.pos >= self.s.len() {
            format!("{message} (the file ends here: truncated?)")
        } else {
            message.to_string()
        };
        PipelineError::ModelImport {
            format: FORMAT,
            at: format!("byte {}", self.pos),
            message,
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], PipelineError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.s.len())
            .ok_or_else(|| self.error(&format!("{n} more bytes needed")))?;
        let b = &self.s[self.pos..end];
        self.pos = end;
        Ok(b)
    }

    fn array_of<const N: usize>(&mut self) -> Result<[u8; N], PipelineError> {
        let b = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(b);
        Ok(a)
    }

    /// The next type marker, skipping no-ops.
    fn marker(&mut self) -> Result<u8, PipelineError> {
        loop {
            let [m] = self.array_of::<1>()?;
            if m != b'N' {
                return Ok(m);
            }
        }
    }

    /// An integer of the type `marker` names (for lengths and counts).
    fn integer(&mut self, marker: u8) -> Result<i64, PipelineError> {
        Ok(match marker {
            b'i' => i64::from(i8::from_be_bytes(self.array_of()?)),
            b'U' => i64::from(self.array_of::<1>()?[0]),
            b'I' => i64::from(i16::from_be_bytes(self.array_of()?)),
            b'l' => i64::from(i32::from_be_bytes(self.array_of()?)),
            b'L' => i64::from_be_bytes(self.array_of()?),
            _ => {
                self.pos -= 1;
                return Err(self.error("expected an integer type marker"));
            }
        })
    }

    /// A length or count: an integer, not negative, and at most `left / min_size` so that
    /// what it announces can fit in the rest of the file.
    fn length(&mut self, min_size: usize) -> Result<usize, PipelineError> {
        let m = self.marker()?;
        let at = self.pos;
        let n = self.integer(m)?;
        let left = self.s.len() - self.pos;
        match usize::try_from(n) {
            Ok(n) if n.saturating_mul(min_size.max(1)) <= left || (min_size == 0 && n <= left) => {
                Ok(n)
            }
            _ => {
                self.pos = at;
                Err(self.error(&format!("length {n} does not fit in the {left} bytes left")))
            }
        }
    }

    fn text(&mut self) -> Result<&'a str, PipelineError> {
        let n = self.length(1)?;
        let start = self.pos;
        let b = self.take(n)?;
        std::str::from_utf8(b).map_err(|_| {
            self.pos = start;
            self.error("string is not valid UTF-8")
        })
    }

    /// Bytes at least one element of type `marker` takes (0 for no-payload types).
    fn size_of(marker: u8) -> usize {
        match marker {
            b'Z' | b'T' | b'F' => 0,
            b'I' => 2,
            b'l' | b'd' => 4,
            b'L' | b'D' => 8,
            _ => 1,
        }
    }

    fn value(&mut self, marker: u8, depth: usize) -> Result<Value<'a>, PipelineError> {
        if depth > MAX_DEPTH {
            return Err(self.error(&format!("nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(match marker {
            b'Z' => Value::Null,
            b'T' => Value::Bool(true),
            b'F' => Value::Bool(false),
            b'i' | b'U' | b'I' | b'l' | b'L' => Value::Int(self.integer(marker)?),
            b'd' => Value::F32(f32::from_be_bytes(self.array_of()?)),
            b'D' => Value::F64(f64::from_be_bytes(self.array_of()?)),
            b'C' => Value::Str(Cow::Owned(char::from(self.array_of::<1>()?[0]).to_string())),
            b'S' => Value::Str(Cow::Borrowed(self.text()?)),
            b'H' => {
                let start = self.pos;
                let t = self.text()?;
                if t.parse::<f64>().is_err() {
                    self.pos = start;
                    return Err(self.error("high-precision number is not a number"));
                }
                Value::Num(t)
            }
            b'[' => self.array(depth)?,
            b'{' => self.object(depth)?,
            _ => {
                self.pos -= 1;
                return Err(self.error(&format!("unknown type marker 0x{marker:02x}")));
            }
        })
    }

    /// The optional `$type` and `#count` of a container.
    fn header(&mut self) -> Result<(Option<u8>, Option<usize>), PipelineError> {
        let mut ty = None;
        if self.s.get(self.pos) == Some(&b'$') {
            self.pos += 1;
            let [m] = self.array_of::<1>()?;
            ty = Some(m);
            if self.s.get(self.pos) != Some(&b'#') {
                return Err(self.error("a typed container needs a count ('#')"));
            }
        }
        let mut count = None;
        if self.s.get(self.pos) == Some(&b'#') {
            self.pos += 1;
            count = Some(self.length(ty.map_or(1, Self::size_of))?);
        }
        Ok((ty, count))
    }

    fn array(&mut self, depth: usize) -> Result<Value<'a>, PipelineError> {
        let (ty, count) = self.header()?;
        let mut items = Vec::with_capacity(count.unwrap_or(0));
        match count {
            Some(n) => {
                for _ in 0..n {
                    let m = match ty {
                        Some(m) => m,
                        None => self.marker()?,
                    };
                    items.push(self.value(m, depth + 1)?);
                }
            }
            None => loop {
                let m = self.marker()?;
                if m == b']' {
                    break;
                }
                items.push(self.value(m, depth + 1)?);
            },
        }
        Ok(Value::Array(items))
    }

    fn object(&mut self, depth: usize) -> Result<Value<'a>, PipelineError> {
        let (ty, count) = self.header()?;
        let mut members = Vec::with_capacity(count.unwrap_or(0));
        let mut member = |r: &mut Self| -> Result<(), PipelineError> {
            let key = r.text()?;
            let m = match ty {
                Some(m) => m,
                None => r.marker()?,
            };
            members.push((Cow::Borrowed(key), r.value(m, depth + 1)?));
            Ok(())
        };
        match count {
            Some(n) => {
                for _ in 0..n {
                    member(self)?;
                }
            }
            None => loop {
                while self.s.get(self.pos) == Some(&b'N') {
                    self.pos += 1;
                }
                if self.s.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                    break;
                }
                member(self)?;
            },
        }
        Ok(Value::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_optimized_containers_big_endian() {
        let mut doc = b"{L\x00\x00\x00\x00\x00\x00\x00\x01a[$d#i\x02".to_vec();
        doc.extend_from_slice(&1.5f32.to_be_bytes());
        doc.extend_from_slice(&(-2.0f32).to_be_bytes());
        doc.extend_from_slice(b"i\x01bSi\x02hi}");
        let v = parse(&doc).unwrap();
        assert_eq!(
            v,
            Value::Object(vec![
                (
                    "a".into(),
                    Value::Array(vec![Value::F32(1.5), Value::F32(-2.0)])
                ),
                ("b".into(), Value::Str("hi".into())),
            ])
        );
    }

    #[test]
    fn forged_counts_and_truncation_are_errors() {
        // A count of 2^62 float64s in a 20-byte file.
        let e = parse(b"[$D#L\x40\x00\x00\x00\x00\x00\x00\x00").unwrap_err();
        assert!(e.to_string().contains("does not fit"), "{e}");
        assert!(parse(b"[i\x01")
            .unwrap_err()
            .to_string()
            .contains("truncated"));
        assert!(parse(b"[$i]").is_err());
        assert!(parse(b"Si\xffab").is_err());
        assert!(parse(b"X").unwrap_err().to_string().contains("0x58"));
        assert!(parse(&b"[".repeat(MAX_DEPTH + 2)).is_err());
    }
}
