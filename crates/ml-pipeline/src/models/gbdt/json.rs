//! A JSON reader into [`Value`], for XGBoost's `.json` models.
//!
//! Hand-written rather than serde_json's `Value` because a number must stay text until the
//! importer knows whether the field is float32 (see [`value`](super::value)), and because
//! every error must say where: a syntax error names line, column and byte offset. Nesting
//! is limited ([`MAX_DEPTH`]) so a hostile file cannot overflow the stack.

use super::value::Value;
use crate::error::PipelineError;
use std::borrow::Cow;

const FORMAT: &str = "XGBoost JSON";

/// Deepest nesting accepted; XGBoost's models nest 6 levels.
pub(super) const MAX_DEPTH: usize = 64;

/// Parses a whole document (surrounding whitespace allowed, nothing else after it).
///
/// # Errors
/// [`PipelineError::ModelImport`] naming line, column and byte of the first error.
pub(super) fn parse(text: &[u8]) -> Result<Value<'_>, PipelineError> {
    let text = std::str::from_utf8(text).map_err(|e| {
        Parser {
            s: text,
            pos: e.valid_up_to(),
        }
        .error("invalid UTF-8")
    })?;
    let mut p = Parser {
        s: text.as_bytes(),
        pos: 0,
    };
    p.skip_ws();
    let v = p.value(text, 0)?;
    p.skip_ws();
    if p.pos != p.s.len() {
        return Err(p.error("unexpected data after the document"));
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn error(&self, message: &str) -> PipelineError {
        let (pos, s) = (self.pos, self.s);
        let before = &s[..pos.min(s.len())];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        let message = if pos >= s.len() && !s.is_empty() {
            format!("{message} (the file ends here: truncated?)")
        } else {
            message.to_string()
        };
        PipelineError::ModelImport {
            format: FORMAT,
            at: format!("line {line}, column {column} (byte {pos})"),
            message,
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn expect(&mut self, b: u8) -> Result<(), PipelineError> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected '{}'", b as char)))
        }
    }

    fn value(&mut self, text: &'a str, depth: usize) -> Result<Value<'a>, PipelineError> {
        if depth > MAX_DEPTH {
            return Err(self.error(&format!("nested deeper than {MAX_DEPTH} levels")));
        }
        match self.peek() {
            Some(b'{') => self.object(text, depth),
            Some(b'[') => self.array(text, depth),
            Some(b'"') => Ok(Value::Str(self.string(text)?)),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            // XGBoost writes non-finite floats (in statistics such as loss_changes) this way.
            Some(b'N') => self.literal("NaN", Value::Num("NaN")),
            Some(b'I') => self.literal("Infinity", Value::Num("inf")),
            Some(b'-') if self.s[self.pos..].starts_with(b"-Infinity") => {
                self.literal("-Infinity", Value::Num("-inf"))
            }
            Some(b'-' | b'0'..=b'9') => self.number(text),
            Some(_) => Err(self.error("expected a value")),
            None => Err(self.error("expected a value")),
        }
    }

    fn literal(&mut self, word: &str, v: Value<'a>) -> Result<Value<'a>, PipelineError> {
        if self.s[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(v)
        } else {
            Err(self.error("expected a value"))
        }
    }

    fn object(&mut self, text: &'a str, depth: usize) -> Result<Value<'a>, PipelineError> {
        self.pos += 1;
        let mut members = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a member name"));
            }
            let key = self.string(text)?;
            self.skip_ws();
            self.expect(b':')?;
            self.skip_ws();
            let v = self.value(text, depth + 1)?;
            members.push((key, v));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self, text: &'a str, depth: usize) -> Result<Value<'a>, PipelineError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(text, depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.error("expected ',' or ']'")),
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    /// A number by the JSON grammar; integers become [`Value::Int`] when they fit.
    fn number(&mut self, text: &'a str) -> Result<Value<'a>, PipelineError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let first = self.pos;
        let n = self.digits();
        if n == 0 || (n > 1 && self.s[first] == b'0') {
            self.pos = first;
            return Err(self.error("expected digits (without a leading zero)"));
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            integer = false;
            if self.digits() == 0 {
                return Err(self.error("expected digits after '.'"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            integer = false;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("expected exponent digits"));
            }
        }
        let s = &text[start..self.pos];
        Ok(match s.parse::<i64>() {
            Ok(i) if integer => Value::Int(i),
            _ => Value::Num(s),
        })
    }

    /// A string, borrowed from the text when it has no escape.
    fn string(&mut self, text: &'a str) -> Result<Cow<'a, str>, PipelineError> {
        self.pos += 1;
        let start = self.pos;
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Borrowed(&text[start..self.pos - 1]));
                }
                Some(b'\\') => break,
                Some(0..=0x1f) => return Err(self.error("control character in a string")),
                Some(_) => self.pos += 1,
            }
        }
        let mut out = String::from(&text[start..self.pos]);
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = self.escape()?;
                    out.push(c);
                }
                Some(0..=0x1f) => return Err(self.error("control character in a string")),
                Some(_) => {
                    // Copy one whole UTF-8 character (the text is valid UTF-8).
                    let ch = text[self.pos..].chars().next().unwrap_or('\u{fffd}');
                    out.push(ch);
                    self.pos += ch.len_utf8();
                }
            }
        }
    }

    fn escape(&mut self) -> Result<char, PipelineError> {
        let c = self
            .peek()
            .ok_or_else(|| self.error("unterminated escape"))?;
        self.pos += 1;
        Ok(match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = self.hex4()?;
                if (0xd800..0xdc00).contains(&hi) && self.s[self.pos..].starts_with(b"\\u") {
                    self.pos += 2;
                    let lo = self.hex4()?;
                    if !(0xdc00..0xe000).contains(&lo) {
                        return Err(self.error("invalid surrogate pair"));
                    }
                    let code = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
                    char::from_u32(code).ok_or_else(|| self.error("invalid surrogate pair"))?
                } else {
                    char::from_u32(hi).ok_or_else(|| self.error("unpaired surrogate"))?
                }
            }
            _ => return Err(self.error("invalid escape")),
        })
    }

    fn hex4(&mut self) -> Result<u32, PipelineError> {
        let digits = self
            .s
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.error("truncated \\u escape"))?;
        let s = std::str::from_utf8(digits).map_err(|_| self.error("invalid \\u escape"))?;
        let v = u32::from_str_radix(s, 16).map_err(|_| self.error("invalid \\u escape"))?;
        self.pos += 4;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_grammar_and_keeps_decimals_as_text() {
        let v =
            parse(br#" {"a": [1, -2.5e3, "x\u00e9\ud83d\ude00", true, null], "b": {}} "#).unwrap();
        let Value::Object(m) = v else { panic!() };
        assert_eq!(m[0].0, "a");
        assert_eq!(
            m[0].1,
            Value::Array(vec![
                Value::Int(1),
                Value::Num("-2.5e3"),
                Value::Str("xé😀".into()),
                Value::Bool(true),
                Value::Null
            ])
        );
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = parse(b"{\n  \"a\": [1,\n  2,]}").unwrap_err().to_string();
        assert!(e.contains("line 3, column 5"), "{e}");
        let e = parse(b"[1, 2").unwrap_err().to_string();
        assert!(e.contains("truncated"), "{e}");
        for bad in [
            &b"01"[..],
            b"1.",
            b"-",
            b"\"\\x\"",
            b"[1] 2",
            b"{\"a\" 1}",
            b"\"\x01\"",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        let deep = "[".repeat(MAX_DEPTH + 2);
        assert!(parse(deep.as_bytes())
            .unwrap_err()
            .to_string()
            .contains("deeper"));
    }
}
