//! Message bodies as safe Pango markup for a label.
//!
//! A Matrix `formatted_body` is HTML from anyone in the room. It is parsed with a real HTML
//! parser (html5ever, the one ruma uses), and only the subset the Matrix specification
//! suggests is turned into Pango markup; everything else becomes plain, escaped text or
//! disappears. Nothing remote is ever loaded: images become their alternative text, and links
//! are kept only for `http`, `https`, `mailto` and `matrix` and always show where they go.
//!
//! The work is linear in the size of the body and the output is bounded: at most
//! [`MAX_INPUT_BYTES`] of HTML are read (the most a Matrix event can hold), elements nest at
//! most [`MAX_DEPTH`] deep (deeper tags count as text), and at most [`MAX_VISIBLE_CHARS`]
//! characters and [`MAX_MARKUP_BYTES`] of markup are written before the text is cut with a
//! note. Every byte of markup is written by one counting writer (`writer.rs`), so no kind of
//! element can grow the output past that: the conversion stops as the budget runs out.

mod links;
mod parse;
mod writer;

use html5ever::{Attribute, ns};

use self::links::{Target, destination_hint, find_url, link_open};
use self::parse::{DOCUMENT, Data, Id, Node, attr, is_hidden, parse};
use self::writer::{Prefix, Writer, escape};
use super::bidi::is_direction_override;

/// A word of Sotto's own that a converted body shows (never the sender's): the UI says it
/// in the reader's language, through the function given to [`set_wording`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Word<'a> {
    /// What stands for a spoiler: "Spoiler", or "Spoiler: REASON" when it gives a reason
    /// (trimmed, never empty).
    Spoiler {
        /// Why the text is hidden, as the sender wrote it.
        reason: Option<&'a str>,
    },
    /// What stands for an image, which is never loaded: "[image]", or "[image: ALT]".
    Image {
        /// The image's alternative text (or its title), as the sender wrote it.
        alt: Option<&'a str>,
    },
    /// The tooltip of the link that reveals a hidden spoiler.
    ShowSpoiler,
    /// The note after a body that was cut to the size limits.
    Shortened,
}

/// Puts a [`Word`] into words. A plain function: conversions run on any thread.
pub type Wording = fn(Word<'_>) -> String;

static WORDING: std::sync::OnceLock<Wording> = std::sync::OnceLock::new();

/// Sets how converted bodies say Sotto's own words (the UI's translations); until then, and
/// when nothing sets it (headless use), they are the untranslated English of [`english`].
/// The first call wins. What a note costs is counted when it is written, so the size
/// limits hold for any wording.
pub fn set_wording(wording: Wording) {
    let _ = WORDING.set(wording);
}

/// `word` as set by [`set_wording`].
fn say(word: Word<'_>) -> String {
    WORDING.get().copied().unwrap_or(english)(word)
}

/// Sotto's own words in untranslated English, for headless use: the UI's wording gives the
/// same text when no translation applies.
pub fn english(word: Word<'_>) -> String {
    match word {
        Word::Spoiler {
            reason: Some(reason),
        } => format!("Spoiler: {reason}"),
        Word::Spoiler { reason: None } => "Spoiler".to_owned(),
        Word::Image { alt: Some(alt) } => format!("[image: {alt}]"),
        Word::Image { alt: None } => "[image]".to_owned(),
        Word::ShowSpoiler => "Show the spoiler".to_owned(),
        Word::Shortened => "(message shortened)".to_owned(),
    }
}

/// The most HTML read from a body: a Matrix event (all of it, not only the body) is at
/// most 64 KiB, so anything longer cannot come from a well-behaved server.
pub const MAX_INPUT_BYTES: usize = 65_536;
/// How deep elements nest before further tags are ignored and only their text is kept.
pub const MAX_DEPTH: usize = 100;
/// How many characters are shown before the text is cut.
pub const MAX_VISIBLE_CHARS: usize = 20_000;
/// The most markup one body gives, everything counted (quote bars, list markers, rules,
/// escapes, the ends of tags): a label lays out all of it at once, so a body whose markup
/// grows faster than its text (a quote bar on each of thousands of lines) must stop here.
pub const MAX_MARKUP_BYTES: usize = 64 * 1024;
/// How much of a link's text is kept to compare it with where the link goes.
const MAX_LINK_TEXT: usize = 2048;

/// The dimmed look of hints (the destination of a link, a spoiler's reason, quote bars).
const DIM: &str = "<span fgalpha=\"60%\">";
const DIM_SMALL: &str = "<span size=\"small\" fgalpha=\"60%\">";
/// Same grey for text and background, and the text all but transparent (antialiasing
/// would otherwise let it show through): a spoiler stays hidden.
const SPOILER: &str = "<span foreground=\"#808080\" background=\"#808080\" fgalpha=\"1\">";

/// The address of the link that covers a hidden spoiler: the conversation view reveals
/// the message's spoilers when it is activated. Never the address of a link in a message
/// (only http(s), mailto and matrix links are kept from those).
pub const SPOILER_URI: &str = "sotto-spoiler:reveal";

/// A spoiler once revealed: its text on a faint grey background.
const SPOILER_REVEALED: &str = "<span background=\"#808080\" bgalpha=\"20%\">";

/// Safe Pango markup for a Matrix `formatted_body` (`org.matrix.custom.html`), spoilers
/// hidden.
pub fn html_to_markup(html: &str) -> String {
    let (input, cut) = cut_input(html);
    render_markup(&parse(input), cut, false).0
}

/// Safe Pango markup for a formatted body with its spoilers hidden (each a link to
/// [`SPOILER_URI`]), and, when it has any, the same markup with them revealed.
pub fn html_to_markup_with_spoilers(html: &str) -> (String, Option<String>) {
    let (input, cut) = cut_input(html);
    let nodes = parse(input);
    let (hidden, spoilers) = render_markup(&nodes, cut, false);
    let revealed = spoilers.then(|| render_markup(&nodes, cut, true).0);
    (hidden, revealed)
}

/// The plain text of a formatted body for a one-line preview (the room list): each
/// spoiler is replaced by its label, never its text, and hidden elements are left out.
/// At most `limit` characters.
pub fn html_to_preview_text(html: &str, limit: usize) -> String {
    let (input, _) = cut_input(html);
    let nodes = parse(input);
    let mut out = String::new();
    // A walk with a stack of its own: deeply nested bodies must not exhaust the real one.
    let mut stack = vec![Step::Enter(DOCUMENT, 0)];
    // Counted as it grows: counting the whole text at each of thousands of elements (one
    // `<br>` each) would make the walk quadratic.
    let (mut chars, mut counted) = (0, 0);
    while let Some(step) = stack.pop() {
        let Step::Enter(id, _) = step else {
            continue;
        };
        chars += out[counted..].chars().count();
        counted = out.len();
        if chars >= limit {
            break;
        }
        let node = &nodes[id];
        match &node.data {
            Data::Text(text) => out.push_str(text),
            Data::Element { name, attrs } => {
                let local = &*name.local;
                if is_hidden(local) {
                    continue;
                }
                if is_spoiler(attrs) {
                    let label = spoiler_label(attr(attrs, "data-mx-spoiler"));
                    out.push_str(&format!(" [{label}] "));
                    continue;
                }
                if matches!(
                    local,
                    "br" | "p" | "div" | "li" | "tr" | "blockquote" | "pre"
                ) || local.starts_with('h')
                {
                    out.push(' ');
                }
                push_children(&nodes, &mut stack, id, 0);
            }
            Data::Document => push_children(&nodes, &mut stack, id, 0),
            Data::Other => {}
        }
    }
    let words: Vec<&str> = out.split_whitespace().collect();
    words.join(" ").chars().take(limit).collect()
}

/// Whether an element's attributes make it a spoiler (`data-mx-spoiler`, with a reason or
/// without).
fn is_spoiler(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .any(|a| a.name.ns == ns!() && &*a.name.local == "data-mx-spoiler")
}

/// What stands for a spoiler: "Spoiler", or "Spoiler: REASON" when it gives one.
fn spoiler_label(reason: Option<&str>) -> String {
    say(Word::Spoiler {
        reason: reason.map(str::trim).filter(|r| !r.is_empty()),
    })
}

/// The input up to the size limit, and whether it was cut.
fn cut_input(html: &str) -> (&str, bool) {
    if html.len() > MAX_INPUT_BYTES {
        let mut end = MAX_INPUT_BYTES;
        while !html.is_char_boundary(end) {
            end -= 1;
        }
        (&html[..end], true)
    } else {
        (html, false)
    }
}

/// The markup of a parsed body, and whether it has spoilers.
fn render_markup(nodes: &[Node], cut: bool, reveal: bool) -> (String, bool) {
    let mut renderer = Renderer::new(reveal);
    renderer.render(nodes);
    let Renderer {
        mut out,
        saw_spoiler,
        ..
    } = renderer;
    if cut {
        out.cut();
    }
    (out.finish(), saw_spoiler)
}

/// Safe Pango markup for a plain-text body: escaped, with http(s)/mailto/matrix URLs made
/// into links.
pub fn plain_to_markup(text: &str) -> String {
    let mut out = Writer::new();
    let mut written = 0;
    let mut search = 0;
    while let Some((start, end)) = find_url(text, search) {
        let candidate = &text[start..end];
        search = end;
        let Some(target) = Target::parse(candidate) else {
            continue;
        };
        out.literal(&text[written..start]);
        out.open_link(link_open(&target), destination_hint(&target));
        out.literal(candidate);
        out.close_link(!target.is_shown_by(candidate));
        written = end;
        if out.is_full() {
            break;
        }
    }
    if !out.is_full() {
        out.literal(&text[written..]);
    }
    out.finish()
}

/// Characters never shown: controls other than newline and tab, and direction overrides.
fn is_dropped(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || is_direction_override(c)
}

/// Text fit for an attribute value: no controls at all, no direction overrides.
fn clean_attribute(value: &str) -> String {
    value
        .chars()
        .filter(|&c| !c.is_control() && !is_direction_override(c))
        .collect()
}

fn escape_attribute(value: &str) -> String {
    escape(&clean_attribute(value))
}

// ---------------------------------------------------------------------------------------
// Rendering the tree

/// A link being written: either a real link to `Target`, or an `<a>` shown as text.
enum OpenLink {
    Link(Target),
    Text,
}

/// What to undo when leaving an element.
#[derive(Default)]
struct Leave {
    tags: usize,
    block: usize,
    prefix: bool,
    pre: bool,
    list: bool,
    spoiler: bool,
    link: bool,
    item: bool,
    row: bool,
}

enum Step {
    Enter(Id, usize),
    Leave(Leave),
}

/// Queues the children of `id`, first child on top.
fn push_children(nodes: &[Node], steps: &mut Vec<Step>, id: Id, depth: usize) {
    let mut child = nodes[id].last_child;
    while let Some(c) = child {
        steps.push(Step::Enter(c, depth));
        child = nodes[c].prev;
    }
}

struct List {
    ordered: bool,
    next: u64,
}

struct Renderer {
    out: Writer,
    pre: usize,
    spoiler: usize,
    /// Spoilers are shown rather than hidden.
    reveal: bool,
    /// The body has at least one spoiler.
    saw_spoiler: bool,
    lists: Vec<List>,
    /// Whether the next cell of each open table row is its first.
    rows: Vec<bool>,
    link: Option<OpenLink>,
}

/// A colour exactly as `#rrggbb`, as the Matrix specification requires.
fn strict_colour(value: Option<&str>) -> Option<&str> {
    let value = value?;
    let hex = value.strip_prefix('#')?;
    (hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then_some(value)
}

impl Renderer {
    fn new(reveal: bool) -> Self {
        Self {
            out: Writer::new(),
            pre: 0,
            spoiler: 0,
            reveal,
            saw_spoiler: false,
            lists: Vec::new(),
            rows: Vec::new(),
            link: None,
        }
    }

    fn render(&mut self, nodes: &[Node]) {
        // The fragment's content is the children of its <html> root.
        let Some(root) = nodes.get(DOCUMENT).and_then(|d| d.first_child) else {
            return;
        };
        let mut steps = Vec::new();
        push_children(nodes, &mut steps, root, 1);
        while let Some(step) = steps.pop() {
            if self.out.is_full() {
                return;
            }
            match step {
                Step::Enter(id, depth) => match &nodes[id].data {
                    Data::Text(text) => {
                        if self.pre > 0 {
                            self.out.literal(text);
                        } else {
                            self.out.text(text);
                        }
                    }
                    Data::Element { name, attrs } => {
                        let local: &str = &name.local;
                        if is_hidden(local) {
                            continue;
                        }
                        let leave = if depth > MAX_DEPTH {
                            Leave::default()
                        } else {
                            self.enter(local, attrs)
                        };
                        steps.push(Step::Leave(leave));
                        push_children(nodes, &mut steps, id, depth + 1);
                    }
                    Data::Document | Data::Other => {}
                },
                Step::Leave(leave) => self.leave(leave),
            }
        }
    }

    fn tag(&mut self, leave: &mut Leave, open: &str, close: &'static str) {
        self.out.open(open.to_owned(), close);
        leave.tags += 1;
    }

    fn block(&mut self, leave: &mut Leave, lines: usize) {
        self.out.block(lines);
        leave.block = lines;
    }

    fn enter(&mut self, name: &str, attrs: &[Attribute]) -> Leave {
        let mut leave = Leave::default();
        match name {
            "b" | "strong" => self.tag(&mut leave, "<b>", "</b>"),
            "i" | "em" | "cite" | "dfn" | "var" => self.tag(&mut leave, "<i>", "</i>"),
            "s" | "del" | "strike" => self.tag(&mut leave, "<s>", "</s>"),
            "u" | "ins" => self.tag(&mut leave, "<u>", "</u>"),
            "sup" => self.tag(&mut leave, "<sup>", "</sup>"),
            "sub" => self.tag(&mut leave, "<sub>", "</sub>"),
            "small" => self.tag(&mut leave, "<small>", "</small>"),
            "code" | "kbd" | "samp" | "tt" if self.pre == 0 => {
                self.tag(&mut leave, "<tt>", "</tt>");
            }
            "pre" => {
                self.block(&mut leave, 2);
                self.tag(&mut leave, "<tt>", "</tt>");
                self.pre += 1;
                leave.pre = true;
            }
            "p" => self.block(&mut leave, 2),
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.block(&mut leave, 2);
                let size = match name {
                    "h1" => "150%",
                    "h2" => "135%",
                    "h3" => "120%",
                    "h4" => "110%",
                    _ => "105%",
                };
                self.tag(
                    &mut leave,
                    &format!("<span weight=\"bold\" size=\"{size}\">"),
                    "</span>",
                );
            }
            "blockquote" => {
                self.block(&mut leave, 2);
                self.out.prefix.push(Prefix::Quote);
                leave.prefix = true;
            }
            "ul" | "ol" => {
                let nested = self
                    .out
                    .prefix
                    .iter()
                    .any(|p| matches!(p, Prefix::Item { .. }));
                self.block(&mut leave, if nested { 1 } else { 2 });
                let start = attr(attrs, "start")
                    .and_then(|s| s.trim().parse::<u64>().ok())
                    .filter(|&n| n < 1_000_000_000)
                    .unwrap_or(1);
                self.lists.push(List {
                    ordered: name == "ol",
                    next: start,
                });
                leave.list = true;
            }
            "li" => {
                self.block(&mut leave, 1);
                let level = self.lists.len().saturating_sub(1);
                let marker = match self.lists.last_mut() {
                    Some(list) if list.ordered => {
                        let marker = format!("{}. ", list.next);
                        list.next += 1;
                        marker
                    }
                    _ => ["• ", "◦ ", "▪ "][level % 3].to_owned(),
                };
                let width = marker.chars().count();
                self.out.prefix.push(Prefix::Item {
                    marker: Some(marker),
                    width,
                });
                leave.prefix = true;
                leave.item = true;
            }
            "br" => self.out.line_break(),
            "hr" => {
                self.out.rule();
                self.block(&mut leave, 1);
            }
            "img" => {
                let alt = attr(attrs, "alt")
                    .filter(|a| !a.trim().is_empty())
                    .or_else(|| attr(attrs, "title").filter(|t| !t.trim().is_empty()));
                let text = say(Word::Image { alt });
                self.out.text(&text);
            }
            "a" => self.enter_link(&mut leave, attrs),
            "span" | "font" => {
                if is_spoiler(attrs) {
                    self.enter_spoiler(&mut leave, attr(attrs, "data-mx-spoiler"));
                } else if self.spoiler == 0 {
                    let colour = strict_colour(attr(attrs, "data-mx-color")).or_else(|| {
                        (name == "font")
                            .then(|| strict_colour(attr(attrs, "color")))
                            .flatten()
                    });
                    let background = strict_colour(attr(attrs, "data-mx-bg-color"));
                    let mut span = String::new();
                    if let Some(colour) = colour {
                        span.push_str(&format!(" foreground=\"{colour}\""));
                    }
                    if let Some(background) = background {
                        span.push_str(&format!(" background=\"{background}\""));
                    }
                    if !span.is_empty() {
                        self.tag(&mut leave, &format!("<span{span}>"), "</span>");
                    }
                }
            }
            "table" => self.block(&mut leave, 2),
            "tr" => {
                self.block(&mut leave, 1);
                self.rows.push(true);
                leave.row = true;
            }
            "td" | "th" => {
                if let Some(first) = self.rows.last_mut() {
                    if !*first {
                        self.out.cell_separator();
                    }
                    *first = false;
                }
                if name == "th" {
                    self.tag(&mut leave, "<b>", "</b>");
                }
            }
            "div" | "caption" | "details" | "summary" | "dl" | "dt" | "dd" | "section"
            | "article" | "header" | "footer" | "nav" | "aside" | "main" | "figure"
            | "figcaption" | "address" | "center" | "form" | "fieldset" | "legend" => {
                self.block(&mut leave, 1);
            }
            // Anything else shows its text only.
            _ => {}
        }
        leave
    }

    fn enter_link(&mut self, leave: &mut Leave, attrs: &[Attribute]) {
        // No links inside links or spoilers: the link colour would reveal a spoiler.
        if self.link.is_some() || self.spoiler > 0 {
            return;
        }
        leave.link = true;
        match attr(attrs, "href").and_then(Target::parse) {
            Some(target) => {
                // Closed by `leave_link`, not counted in `leave.tags`.
                self.out
                    .open_link(link_open(&target), destination_hint(&target));
                self.link = Some(OpenLink::Link(target));
                self.out.capture = Some(String::new());
            }
            None => self.link = Some(OpenLink::Text),
        }
    }

    fn enter_spoiler(&mut self, leave: &mut Leave, reason: Option<&str>) {
        let label = spoiler_label(reason);
        if self.spoiler == 0 {
            self.saw_spoiler = true;
            // Hidden, the label and the grey block are one link that reveals them (not
            // inside another link: links do not nest, and that spoiler only stays hidden).
            let revealable = !self.reveal && self.link.is_none();
            if revealable {
                let title = escape_attribute(&say(Word::ShowSpoiler));
                self.tag(
                    leave,
                    &format!("<a href=\"{SPOILER_URI}\" title=\"{title}\">"),
                    "</a>",
                );
            }
            self.out.open(DIM_SMALL.to_owned(), "</span>");
            self.out.text(&label);
            self.out.close();
            self.out.space = true;
            if self.reveal {
                self.tag(leave, SPOILER_REVEALED, "</span>");
            } else {
                self.tag(leave, SPOILER, "</span>");
            }
        }
        self.spoiler += 1;
        leave.spoiler = true;
    }

    fn leave(&mut self, leave: Leave) {
        if leave.link {
            self.leave_link();
        }
        if leave.item
            && let Some(Prefix::Item {
                marker: Some(_), ..
            }) = self.out.prefix.last()
        {
            // An empty item still shows its marker.
            self.out.flush();
        }
        for _ in 0..leave.tags {
            self.out.close();
        }
        if leave.pre {
            self.pre -= 1;
        }
        if leave.spoiler {
            self.spoiler -= 1;
        }
        if leave.prefix {
            self.out.pop_prefix();
        }
        if leave.list {
            self.lists.pop();
        }
        if leave.row {
            self.rows.pop();
        }
        if leave.block > 0 {
            self.out.block(leave.block);
        }
    }

    fn leave_link(&mut self) {
        let Some(OpenLink::Link(target)) = self.link.take() else {
            return;
        };
        let text = self.out.capture.take().unwrap_or_default();
        if text.trim().is_empty() {
            // Nothing to click on: the address itself is the text.
            self.out.text(target.url.as_str());
            self.out.close_link(false);
        } else {
            // The link's own tag is the innermost one left: close it, then say where it goes.
            self.out.close_link(!target.is_shown_by(&text));
        }
    }
}
