//! The one place markup is written. Every byte goes through [`Writer::put`], which counts it
//! against [`MAX_MARKUP_BYTES`] (quote bars, list markers, rules, cell separators, line
//! breaks and escapes included) and, once the budget is spent, writes nothing more: the
//! rest of the conversion then stops. What `finish` must still write to leave valid markup
//! (the ends of open tags, the destination of an open link, the note that the message was
//! shortened) is reserved beforehand, so the result never exceeds the budget either.
//!
//! Why: a sender controls the input, and markup that grows with something other than the
//! bytes shown (a quote bar on each of 20,000 empty lines, 99 quotes deep) once took the
//! client to half a gigabyte and the window to 20 s of layout.

use super::{
    DIM, DIM_SMALL, MAX_LINK_TEXT, MAX_MARKUP_BYTES, MAX_VISIBLE_CHARS, Word, is_dropped, say,
};

/// Marks where the text was cut.
const CUT: &str = "…";

/// What starts each line inside quotes and list items.
pub(super) enum Prefix {
    Quote,
    Item {
        marker: Option<String>,
        width: usize,
    },
}

struct OpenTag {
    open: String,
    close: &'static str,
    written: bool,
    /// For a link: ` (host)`, written after it if it is cut; its bytes are reserved from the
    /// moment the link opens, so a cut link always says where it goes.
    hint: Option<Hint>,
}

/// The destination shown after a link, as markup, and how many characters it shows.
pub(super) struct Hint {
    pub(super) markup: String,
    pub(super) shown: usize,
}

/// Builds the markup: opens tags only once something is shown inside them, merges line
/// breaks requested by blocks, collapses white space, and stops when the output is full.
pub(super) struct Writer {
    /// Written only by `put` and by `release` (bytes reserved earlier).
    buf: String,
    /// Bytes `finish` may still have to write: the ends of written tags, the hints of open
    /// links, and the cut mark with its note.
    reserved: usize,
    /// The note after a cut body, as markup.
    note: String,
    tags: Vec<OpenTag>,
    visible: usize,
    full: bool,
    /// Anything shown yet; breaks before the first text are dropped.
    started: bool,
    /// Line breaks to write before the next text.
    breaks: usize,
    /// White space seen since the last text (outside `<pre>`).
    pub(super) space: bool,
    /// The current line has no text yet (its prefix is still to be written).
    line_start: bool,
    pub(super) prefix: Vec<Prefix>,
    /// How much of `prefix` the last written line and the next one share: empty lines
    /// between them show only that part (no quote bar before a quote begins).
    shared_prefix: usize,
    /// The visible text of the link being written.
    pub(super) capture: Option<String>,
}

/// `c` as markup text.
fn escaped(c: char, scratch: &mut [u8; 4]) -> &str {
    match c {
        '&' => "&amp;",
        '<' => "&lt;",
        '>' => "&gt;",
        '"' => "&quot;",
        '\'' => "&#39;",
        c => c.encode_utf8(scratch),
    }
}

/// `text` as markup text.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut scratch = [0; 4];
    for c in text.chars() {
        out.push_str(escaped(c, &mut scratch));
    }
    out
}

impl Writer {
    pub(super) fn new() -> Self {
        let note = format!("\n{DIM_SMALL}{}</span>", escape(&say(Word::Shortened)));
        Self {
            buf: String::new(),
            reserved: CUT.len() + note.len(),
            note,
            tags: Vec::new(),
            visible: 0,
            full: false,
            started: false,
            breaks: 0,
            space: false,
            line_start: true,
            prefix: Vec::new(),
            shared_prefix: 0,
            capture: None,
        }
    }

    /// Whether the budget is spent (or the input was cut): nothing more is written.
    pub(super) fn is_full(&self) -> bool {
        self.full
    }

    /// Ends the output here, with the note that the message was shortened.
    pub(super) fn cut(&mut self) {
        self.full = true;
    }

    /// Whether `bytes` more fit beside what is written and reserved.
    fn fits(&self, bytes: usize) -> bool {
        self.buf.len() + self.reserved + bytes <= MAX_MARKUP_BYTES
    }

    /// Writes `parts` whole, showing `shown` characters, or writes nothing and the writer
    /// is full. Each call is complete markup on its own (a span with its text and end), so
    /// a cut between two calls leaves valid markup.
    fn put(&mut self, parts: &[&str], shown: usize) -> bool {
        if self.full {
            return false;
        }
        let bytes = parts.iter().map(|p| p.len()).sum();
        if !self.fits(bytes) || (shown > 0 && self.visible + shown > MAX_VISIBLE_CHARS) {
            self.full = true;
            return false;
        }
        for part in parts {
            self.buf.push_str(part);
        }
        self.visible += shown;
        true
    }

    /// Writes `text`, whose bytes were reserved earlier, and gives the reservation back.
    fn release(&mut self, text: &str) {
        self.reserved -= text.len();
        self.buf.push_str(text);
    }

    /// Opens a tag; it is written before the next shown text.
    pub(super) fn open(&mut self, open: String, close: &'static str) {
        self.tags.push(OpenTag {
            open,
            close,
            written: false,
            hint: None,
        });
    }

    /// Opens a link whose destination `hint` is shown after it when its text does not say
    /// where it goes, or when it is cut.
    pub(super) fn open_link(&mut self, open: String, hint: Hint) {
        // The hint's bytes are kept from now on; without room for them the output ends here.
        let hint = if !self.full && self.fits(hint.markup.len()) {
            self.reserved += hint.markup.len();
            Some(hint)
        } else {
            self.full = true;
            None
        };
        self.tags.push(OpenTag {
            open,
            close: "</a>",
            written: false,
            hint,
        });
    }

    pub(super) fn close(&mut self) {
        if let Some(tag) = self.tags.pop() {
            if tag.written {
                self.release(tag.close);
            }
            if let Some(hint) = tag.hint {
                self.reserved -= hint.markup.len();
            }
        }
    }

    /// Closes the link opened last, then shows its destination if `show_hint`. The hint is
    /// written even when the output is full, so a cut link still shows where it goes.
    pub(super) fn close_link(&mut self, show_hint: bool) {
        let Some(tag) = self.tags.pop() else {
            return;
        };
        if tag.written {
            self.release(tag.close);
        }
        let Some(hint) = tag.hint else {
            return;
        };
        if show_hint {
            let space = self.space;
            self.space = false;
            self.flush();
            self.release(&hint.markup);
            self.visible += hint.shown;
            self.space = space;
        } else {
            self.reserved -= hint.markup.len();
        }
    }

    /// Asks for `lines` line breaks (2: an empty line) before the next text.
    pub(super) fn block(&mut self, lines: usize) {
        if self.started {
            self.breaks = self.breaks.max(lines);
        }
        self.space = false;
    }

    pub(super) fn line_break(&mut self) {
        if self.started {
            self.breaks += 1;
        }
        self.space = false;
    }

    /// Leaves the innermost quote or list item.
    pub(super) fn pop_prefix(&mut self) {
        self.prefix.pop();
        self.shared_prefix = self.shared_prefix.min(self.prefix.len());
    }

    /// Writes pending breaks, the line's prefix and pending tags: something is shown next.
    pub(super) fn flush(&mut self) {
        self.flush_lines();
        for i in 0..self.tags.len() {
            if self.tags[i].written {
                continue;
            }
            // The tag's end is reserved as it opens: `finish` must be able to close it.
            let close = self.tags[i].close.len();
            self.reserved += close;
            let open = std::mem::take(&mut self.tags[i].open);
            let written = self.put(&[&open], 0);
            self.tags[i].open = open;
            if !written {
                self.reserved -= close;
                return;
            }
            self.tags[i].written = true;
        }
    }

    /// Writes pending breaks and the line's prefix.
    fn flush_lines(&mut self) {
        if self.breaks > 0 {
            // One line per pass, each counted: a sender decides how many there are.
            let breaks = std::mem::take(&mut self.breaks);
            for i in 0..breaks {
                if !self.put(&["\n"], 1) {
                    return;
                }
                if i + 1 < breaks && !self.blank_line_prefix() {
                    return;
                }
            }
            self.line_start = true;
        }
        if self.line_start {
            self.line_start = false;
            if !self.line_prefix() {
                return;
            }
        }
        self.started = true;
        self.shared_prefix = self.prefix.len();
    }

    /// The quote bars and list markers or indents before a line's text. False when the
    /// output filled up.
    fn line_prefix(&mut self) -> bool {
        for i in 0..self.prefix.len() {
            let written = match &mut self.prefix[i] {
                Prefix::Quote => self.put(&[DIM, "▎</span> "], 2),
                Prefix::Item { marker, width } => {
                    let width = *width;
                    // The marker on the item's first line, its width in spaces after that.
                    let text = marker.take().unwrap_or_else(|| " ".repeat(width));
                    self.put(&[&text], width)
                }
            };
            if !written {
                return false;
            }
        }
        true
    }

    /// Quote bars continue over empty lines inside a quote. False when the output filled up.
    fn blank_line_prefix(&mut self) -> bool {
        let shared = self.shared_prefix.min(self.prefix.len());
        let Some(last_quote) = self.prefix[..shared]
            .iter()
            .rposition(|p| matches!(p, Prefix::Quote))
        else {
            return true;
        };
        for i in 0..=last_quote {
            let written = match self.prefix[i] {
                Prefix::Quote if i < last_quote => self.put(&[DIM, "▎</span> "], 0),
                Prefix::Quote => self.put(&[DIM, "▎</span>"], 0),
                Prefix::Item { width, .. } => self.put(&[&" ".repeat(width)], 0),
            };
            if !written {
                return false;
            }
        }
        true
    }

    /// One shown character, escaped.
    fn visible_char(&mut self, c: char) {
        self.flush();
        let mut scratch = [0; 4];
        if !self.put(&[escaped(c, &mut scratch)], 1) {
            return;
        }
        if let Some(capture) = &mut self.capture
            && capture.len() < MAX_LINK_TEXT
        {
            capture.push(c);
        }
    }

    /// The space between two words, written before the tags that open at the second one.
    fn collapsed_space(&mut self) {
        if !self.put(&[" "], 1) {
            return;
        }
        if let Some(capture) = &mut self.capture
            && capture.len() < MAX_LINK_TEXT
        {
            capture.push(' ');
        }
    }

    /// Text outside `<pre>`: runs of white space become one space, none at a line start.
    pub(super) fn text(&mut self, text: &str) {
        for c in text.chars() {
            if self.full {
                return;
            }
            if is_dropped(c) {
                continue;
            }
            if matches!(c, ' ' | '\t' | '\n' | '\x0C') {
                self.space = true;
                continue;
            }
            if self.space && self.breaks == 0 && !self.line_start {
                self.collapsed_space();
            }
            self.space = false;
            self.visible_char(c);
        }
    }

    /// Text as it is, line breaks included (`<pre>` and plain bodies).
    pub(super) fn literal(&mut self, text: &str) {
        for c in text.chars() {
            if self.full {
                return;
            }
            if is_dropped(c) {
                continue;
            }
            if c == '\n' {
                self.line_break();
            } else {
                self.visible_char(c);
            }
        }
        self.space = false;
    }

    /// A horizontal rule (`<hr>`), on a line of its own.
    pub(super) fn rule(&mut self) {
        self.block(1);
        self.flush();
        self.put(&[DIM, "──────────</span>"], 10);
    }

    /// The separator before a table cell other than a row's first.
    pub(super) fn cell_separator(&mut self) {
        self.space = false;
        self.flush();
        self.put(&[DIM, " │ </span>"], 3);
    }

    /// The markup, with open tags closed and a note if the text was cut. Writes only bytes
    /// reserved earlier, so it stays within the budget.
    pub(super) fn finish(mut self) -> String {
        if self.full && self.started {
            self.release(CUT);
        }
        while let Some(tag) = self.tags.pop() {
            if tag.written {
                self.release(tag.close);
            }
            if let Some(hint) = tag.hint {
                if self.full {
                    self.release(&hint.markup);
                } else {
                    self.reserved -= hint.markup.len();
                }
            }
        }
        if self.full {
            // The note's line break only follows something shown.
            let note = std::mem::take(&mut self.note);
            let skip = usize::from(!self.started);
            self.release(&note[skip..]);
        }
        debug_assert!(self.buf.len() <= MAX_MARKUP_BYTES);
        self.buf
    }
}
