//! The small part of TOML we write ourselves: canonical strings and inline arrays, so that
//! serialization is byte-for-byte stable whatever the `toml` crate's formatter does.
//! Parsing always goes through the `toml` crate; [`line_at`] and [`key_on_line`] turn the
//! byte offsets it reports into what a person looks for: a line and a key.

/// A TOML basic string: `"…"` with `\`, `"` and control characters escaped.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An inline array of strings: `["a", "b"]`.
pub fn string_array<S: AsRef<str>>(items: &[S]) -> String {
    let parts: Vec<String> = items.iter().map(|s| string(s.as_ref())).collect();
    format!("[{}]", parts.join(", "))
}

/// The 1-based line holding byte `offset` of `text`.
pub fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    1 + text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

/// The key written at the start of the line holding `offset` (`number = "x"` → `number`,
/// `[contact]` → `contact`).
pub fn key_on_line(text: &str, offset: usize) -> String {
    let offset = (0..=offset.min(text.len()))
        .rev()
        .find(|&o| text.is_char_boundary(o))
        .unwrap_or(0);
    let start = text[..offset].rfind('\n').map_or(0, |p| p + 1);
    let line = text[start..].lines().next().unwrap_or("");
    match line.split_once('=') {
        Some((key, _)) if !key.trim().is_empty() => key.trim().trim_matches('"').to_string(),
        _ => line
            .trim()
            .trim_matches(|c| c == '[' || c == ']')
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_read_back_through_the_toml_crate() {
        for s in [
            "",
            "法務部",
            "a \"quoted\" \\ path",
            "line\nbreak\ttab",
            "\u{1}\u{7f}",
            "「引號」",
        ] {
            let doc = format!("v = {}", string(s));
            let table: toml::Table = toml::from_str(&doc).unwrap();
            assert_eq!(table["v"].as_str(), Some(s));
        }
        assert_eq!(string_array(&["a", "b"]), r#"["a", "b"]"#);
        assert_eq!(string_array::<&str>(&[]), "[]");
    }
}
