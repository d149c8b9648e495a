//! The routes of the router, read from the source of `src/web/mod.rs` (not from the running
//! server, which cannot list them): tests that must cover every route (`openapi.rs`,
//! `security.rs`) compare their own lists with this one, so a new route without its test fails.
#![allow(dead_code)]

use std::collections::BTreeSet;

/// The HTTP methods a method router can be given.
pub const METHODS: &[&str] = &["get", "post", "put", "patch", "delete", "head", "options"];

/// `src/web/mod.rs` without comments, string literals kept (as `"…"` tokens).
#[derive(Debug, PartialEq)]
pub enum Token {
    Str(String),
    Ident(String),
    Punct(char),
}

pub fn tokens(src: &str) -> Vec<Token> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == '"' {
            let mut s = String::new();
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                if let Some(&ch) = chars.get(i) {
                    s.push(ch);
                }
                i += 1;
            }
            i += 1;
            out.push(Token::Str(s));
        } else if c == '\'' {
            // A char literal ('x', '\'', '\u{..}') or a lifetime ('a): skip either.
            if chars.get(i + 1) == Some(&'\\') {
                i += 3;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
            }
        } else if c.is_alphanumeric() || c == '_' {
            let mut s = String::new();
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                s.push(chars[i]);
                i += 1;
            }
            out.push(Token::Ident(s));
        } else if c.is_whitespace() {
            i += 1;
        } else {
            out.push(Token::Punct(c));
            i += 1;
        }
    }
    out
}

/// Every `.route("PATH", get(…).post(…))` of the source as (method, path) pairs: the methods
/// are the method-router calls directly inside the route's arguments, however rustfmt wraps
/// them (handlers and layers nested deeper are not methods).
pub fn source_routes(src: &str) -> BTreeSet<(String, String)> {
    let t = tokens(src);
    let mut routes = BTreeSet::new();
    let mut i = 0;
    while i + 3 < t.len() {
        let is_route = t[i] == Token::Punct('.')
            && t[i + 1] == Token::Ident("route".into())
            && t[i + 2] == Token::Punct('(');
        let Token::Str(path) = &t[i + 3] else {
            i += 1;
            continue;
        };
        if !is_route {
            i += 1;
            continue;
        }
        // Walk the route's arguments up to its closing parenthesis.
        let mut depth = 1;
        let mut j = i + 4;
        while j < t.len() && depth > 0 {
            match &t[j] {
                Token::Punct('(') => depth += 1,
                Token::Punct(')') => depth -= 1,
                Token::Ident(name)
                    if depth == 1
                        && METHODS.contains(&name.as_str())
                        && t.get(j + 1) == Some(&Token::Punct('(')) =>
                {
                    routes.insert((name.clone(), path.clone()));
                }
                _ => {}
            }
            j += 1;
        }
        i = j;
    }
    routes
}

pub fn router_source() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/web/mod.rs")).unwrap()
}
