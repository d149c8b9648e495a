//! Markdown to safe HTML: pulldown-cmark renders, ammonia removes anything that could run.

use pulldown_cmark::{html, Options, Parser};

/// Renders document Markdown as sanitized HTML.
pub fn to_html(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    ammonia::clean(&unsafe_html)
}

#[cfg(test)]
mod tests {
    #[test]
    fn scripts_and_handlers_are_removed() {
        let html = super::to_html("**粗體** <script>alert(1)</script> <img src=x onerror=alert(1)> [a](javascript:alert(1))");
        assert!(html.contains("<strong>粗體</strong>"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("onerror"));
        assert!(!html.contains("javascript:"));
    }
}
