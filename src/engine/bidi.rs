//! The one place explicit direction controls are removed from text someone else wrote.
//!
//! A name, a topic or a message body with U+202E (RIGHT-TO-LEFT OVERRIDE) or an isolate can
//! make what follows it read as something it is not ("gpj.exe" shown as "exe.jpg"). Every
//! such text goes through [`strip_direction_overrides`] before it is shown.

/// Whether `c` is an explicit bidi embedding, override or isolate control (U+202A–U+202E,
/// U+2066–U+2069). Marks that only hint a direction (U+200E, U+200F) are not.
pub fn is_direction_override(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The text with explicit bidi embedding and override controls (U+202A..U+202E,
/// U+2066..U+2069) removed, so a body or a name cannot reorder what is shown after it.
pub fn strip_direction_overrides(text: &str) -> String {
    text.chars()
        .filter(|&c| !is_direction_override(c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedding_override_and_isolate_is_removed() {
        assert_eq!(
            strip_direction_overrides(
                "a\u{202A}b\u{202B}c\u{202C}d\u{202D}e\u{202E}f\u{2066}g\u{2067}h\u{2068}i\u{2069}j"
            ),
            "abcdefghij"
        );
        assert_eq!(
            strip_direction_overrides("\u{202E}evil\u{2066}name\u{2069}"),
            "evilname"
        );
    }

    #[test]
    fn marks_and_other_text_stay() {
        // Marks that only hint a direction, their neighbours in the table, and ordinary text.
        for kept in [
            "a\u{200F}b",
            "\u{200E}",
            "\u{2029}\u{202F}\u{2065}\u{206A}",
            "שלום abc",
        ] {
            assert_eq!(strip_direction_overrides(kept), kept);
        }
        assert_eq!(strip_direction_overrides(""), "");
    }
}
