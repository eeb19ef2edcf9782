//! A small Rust tokenizer: enough to find items, `use` trees and paths without a parser
//! dependency. Comments vanish; string and character literals become one token each (a
//! string keeps its contents, for `#[path = "..."]`), so nothing inside them is mistaken
//! for code.

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An identifier or keyword (`r#name` is given as `name`).
    Ident,
    /// `::` or a single punctuation character.
    Punct,
    /// A string literal (its raw contents), or a character or number literal.
    Literal,
    /// `'a`.
    Lifetime,
}

/// One token and the 1-based line it starts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub kind: Kind,
    /// Its text (for strings: the contents between the quotes).
    pub text: String,
    /// The line it starts on, from 1.
    pub line: usize,
}

impl Token {
    /// Whether this is the identifier or punctuation `text`.
    pub fn is(&self, text: &str) -> bool {
        matches!(self.kind, Kind::Ident | Kind::Punct) && self.text == text
    }
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Splits `src` into tokens, dropping whitespace and comments.
pub fn tokenize(src: &str) -> Vec<Token> {
    let chars: Vec<char> = src.chars().collect();
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start_line = line;
        let mut push = |kind, text: String| {
            tokens.push(Token {
                kind,
                text,
                line: start_line,
            })
        };
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0usize;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += usize::from(chars[i] == '\n');
                    i += 1;
                }
            }
        } else if is_ident_start(c) {
            let s = i;
            while i < chars.len() && is_ident_char(chars[i]) {
                i += 1;
            }
            let word: String = chars[s..i].iter().collect();
            let next = at(i);
            let raw_prefix = matches!(word.as_str(), "r" | "br" | "cr");
            if raw_prefix && (next == '"' || (next == '#' && matches!(at(i + 1), '"' | '#'))) {
                // r"..", r#".."#, br"..": no escapes; ends at a quote and as many hashes.
                let mut hashes = 0;
                while at(i) == '#' {
                    hashes += 1;
                    i += 1;
                }
                i += 1;
                let s = i;
                loop {
                    if i >= chars.len() {
                        break;
                    }
                    if chars[i] == '"' && (1..=hashes).all(|k| at(i + k) == '#') {
                        break;
                    }
                    line += usize::from(chars[i] == '\n');
                    i += 1;
                }
                let text: String = chars[s..i.min(chars.len())].iter().collect();
                i += 1 + hashes;
                push(Kind::Literal, text);
            } else if word == "r" && next == '#' && is_ident_start(at(i + 1)) {
                let s = i + 1;
                i = s;
                while i < chars.len() && is_ident_char(chars[i]) {
                    i += 1;
                }
                push(Kind::Ident, chars[s..i].iter().collect());
            } else if matches!(word.as_str(), "b" | "c") && next == '"' {
                let (text, end, lines) = quoted(&chars, i);
                i = end;
                line += lines;
                push(Kind::Literal, text);
            } else if word == "b" && next == '\'' {
                i = char_literal_end(&chars, i);
                push(Kind::Literal, String::new());
            } else {
                push(Kind::Ident, word);
            }
        } else if c.is_ascii_digit() {
            let s = i;
            while i < chars.len()
                && (is_ident_char(chars[i]) || (chars[i] == '.' && at(i + 1).is_ascii_digit()))
            {
                i += 1;
            }
            push(Kind::Literal, chars[s..i].iter().collect());
        } else if c == '"' {
            let (text, end, lines) = quoted(&chars, i);
            i = end;
            line += lines;
            push(Kind::Literal, text);
        } else if c == '\'' {
            if at(i + 1) == '\\' || (at(i + 2) == '\'' && at(i + 1) != '\'') {
                i = char_literal_end(&chars, i);
                push(Kind::Literal, String::new());
            } else {
                let s = i + 1;
                i = s;
                while i < chars.len() && is_ident_char(chars[i]) {
                    i += 1;
                }
                push(Kind::Lifetime, chars[s..i].iter().collect());
            }
        } else if c == ':' && at(i + 1) == ':' {
            i += 2;
            push(Kind::Punct, "::".into());
        } else {
            i += 1;
            push(Kind::Punct, c.to_string());
        }
    }
    tokens
}

/// A `"..."` string starting at the quote at `start` or just before it (after a `b`/`c`
/// prefix): its contents, the index after the closing quote and the newlines inside.
fn quoted(chars: &[char], start: usize) -> (String, usize, usize) {
    let mut i = start;
    while chars[i] != '"' {
        i += 1;
    }
    i += 1;
    let s = i;
    let mut lines = 0;
    while i < chars.len() && chars[i] != '"' {
        if chars[i] == '\\' {
            i += 1;
        }
        if chars.get(i) == Some(&'\n') {
            lines += 1;
        }
        i += 1;
    }
    let text = chars[s..i.min(chars.len())].iter().collect();
    (text, i + 1, lines)
}

/// The index after a character literal whose opening quote is at or just after `start`.
fn char_literal_end(chars: &[char], start: usize) -> usize {
    let mut i = start;
    while chars[i] != '\'' {
        i += 1;
    }
    i += 1;
    while i < chars.len() && chars[i] != '\'' {
        if chars[i] == '\\' {
            i += 1;
        }
        i += 1;
    }
    i + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<String> {
        tokenize(src).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn comments_and_literals_hide_their_contents() {
        let src =
            "a // crate::x\n/* crate::y /* nested */ */ b \"crate::z\" r#\"q\"# 'c' '\\n' '\\'' x";
        assert_eq!(texts(src), ["a", "b", "crate::z", "q", "", "", "", "x"]);
    }

    #[test]
    fn paths_lifetimes_and_lines() {
        let toks = tokenize("use crate::a::{b, c};\nfn f<'a>(x: &'a u8) {}\n");
        assert!(toks[1].is("crate") && toks[2].is("::"));
        let lt = toks.iter().find(|t| t.kind == Kind::Lifetime).unwrap();
        assert_eq!((lt.text.as_str(), lt.line), ("a", 2));
    }
}
