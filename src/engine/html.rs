//! Placeholder until the sanitiser lands: escapes everything.

/// Safe Pango markup for a Matrix `formatted_body`.
pub fn html_to_markup(html: &str) -> String {
    escape(html)
}

/// Safe Pango markup for a plain-text body.
pub fn plain_to_markup(text: &str) -> String {
    escape(text)
}

/// The text without explicit bidi overrides.
pub fn strip_direction_overrides(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
        .collect()
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in strip_direction_overrides(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
