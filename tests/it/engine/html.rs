//! Message bodies as Pango markup: the Matrix HTML subset maps to Pango, everything else is
//! text or gone, links show where they go, and any input gives bounded, valid markup.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sotto::engine::bidi::strip_direction_overrides;
use sotto::engine::html::{
    MAX_MARKUP_BYTES, MAX_VISIBLE_CHARS, SPOILER_URI, html_to_markup, html_to_markup_with_spoilers,
    plain_to_markup,
};

use gtk::prelude::*;

use crate::harness::bodies;
use crate::harness::ui::{on_gtk_thread, present_at, screenshot};

const DIM_SMALL: &str = "<span size=\"small\" fgalpha=\"60%\">";
const BAR: &str = "<span fgalpha=\"60%\">▎</span>";
const SHORTENED: &str = "<span size=\"small\" fgalpha=\"60%\">(message shortened)</span>";

/// The text a GtkLabel shows for `markup`, checked the way GtkLabel reads it: it takes the
/// `<a href title>` links out itself (Pango has no links) and gives the rest to Pango's
/// parser. Fails the test on markup that Pango rejects or on a link that is not safe.
fn shown(markup: &str) -> String {
    let mut spans = String::with_capacity(markup.len());
    let mut rest = markup;
    while let Some(at) = rest.find("<a ") {
        spans.push_str(&rest[..at]);
        let end = rest[at..].find('>').expect("a link tag ends") + at;
        let tag = &rest[at..=end];
        // Sotto's own link over a hidden spoiler: its title says what it does.
        if let Some(title) = tag
            .strip_prefix(&format!("<a href=\"{SPOILER_URI}\" title=\""))
            .and_then(|t| t.strip_suffix("\">"))
        {
            assert!(
                !title.is_empty() && !title.contains(['"', '<', '>']),
                "{tag}"
            );
            spans.push_str("<span>");
            rest = &rest[end + 1..];
            continue;
        }
        let href = tag
            .strip_prefix("<a href=\"")
            .and_then(|t| t.split_once("\" title=\""))
            .and_then(|(href, t)| (t.strip_suffix("\">") == Some(href)).then_some(href))
            .unwrap_or_else(|| panic!("a link is <a href=X title=X>: {tag}"));
        assert!(
            ["https://", "http://", "mailto:", "matrix:"]
                .iter()
                .any(|s| href.starts_with(s)),
            "a link to an allowed scheme: {tag}"
        );
        assert!(
            !href.contains(['"', '<', '>', '\n', '\t']),
            "an escaped link: {tag}"
        );
        spans.push_str("<span>");
        rest = &rest[end + 1..];
    }
    spans.push_str(rest);
    let spans = spans.replace("</a>", "</span>");
    for tag in spans.split('<').skip(1) {
        let name = tag
            .trim_start_matches('/')
            .split([' ', '>'])
            .next()
            .unwrap_or_default();
        assert!(
            ["b", "i", "s", "u", "tt", "sup", "sub", "small", "span"].contains(&name),
            "only the expected Pango tags, not <{name}>:\n{markup}"
        );
    }
    match gtk::pango::parse_markup(&spans, '\0') {
        Ok((_, text, _)) => text.to_string(),
        Err(e) => panic!("Pango rejects the markup ({e}):\n{markup}"),
    }
}

/// `html_to_markup`, checked to be valid markup, and so is the markup with the spoilers
/// revealed.
fn html(input: &str) -> String {
    let out = html_to_markup(input);
    shown(&out);
    let (hidden, revealed) = html_to_markup_with_spoilers(input);
    assert_eq!(hidden, out, "the same hidden markup both ways");
    if let Some(revealed) = revealed {
        shown(&revealed);
        assert!(!revealed.contains(SPOILER_URI), "{revealed}");
    }
    out
}

fn plain(input: &str) -> String {
    let out = plain_to_markup(input);
    shown(&out);
    out
}

fn link(url: &str) -> String {
    format!("<a href=\"{url}\" title=\"{url}\">")
}

#[test]
fn inline_formatting_maps_to_pango() {
    for (input, expected) in [
        ("<b>b</b> <strong>strong</strong>", "<b>b</b> <b>strong</b>"),
        ("<i>i</i> <em>em</em>", "<i>i</i> <i>em</i>"),
        (
            "<s>s</s> <del>del</del> <strike>strike</strike>",
            "<s>s</s> <s>del</s> <s>strike</s>",
        ),
        ("<u>u</u>", "<u>u</u>"),
        ("run <code>make</code> now", "run <tt>make</tt> now"),
        (
            "x<sup>2</sup> H<sub>2</sub>O",
            "x<sup>2</sup> H<sub>2</sub>O",
        ),
        ("<b>bold <i>both</i></b>", "<b>bold <i>both</i></b>"),
        // Empty elements leave nothing behind.
        ("a<b></b><i> </i>b", "a b"),
    ] {
        assert_eq!(html(input), expected, "for {input}");
    }
}

#[test]
fn code_blocks_keep_their_lines() {
    let out = html(
        "<p>Look:</p><pre><code class=\"language-rust\">fn main() {\n    let a = 1 &lt; 2;\n}\n</code></pre><p>ok</p>",
    );
    assert_eq!(
        out,
        "Look:\n\n<tt>fn main() {\n    let a = 1 &lt; 2;\n}</tt>\n\nok"
    );
    // Outside <pre>, white space collapses like in a browser.
    assert_eq!(html("  a \n\t b   <b> c </b> d  "), "a b <b>c</b> d");
}

#[test]
fn lists_are_marked_and_nested_lists_indented() {
    assert_eq!(
        html("<ul><li>one</li><li>two<ul><li>nested</li></ul></li></ul><p>after</p>"),
        "• one\n• two\n  ◦ nested\n\nafter"
    );
    assert_eq!(
        html("<ol><li>first</li><li>second</li></ol>"),
        "1. first\n2. second"
    );
    assert_eq!(
        html("<ol start=\"9\"><li>a</li><li>b</li></ol>"),
        "9. a\n10. b"
    );
    // Items without closing tags, and an empty item that still shows its marker.
    assert_eq!(html("<ul><li>a<li><li>c</ul>"), "• a\n• \n• c");
}

#[test]
fn quotes_are_marked_on_every_line() {
    assert_eq!(
        html("<blockquote><p>one</p><p>two<br>three</p></blockquote><p>reply</p>"),
        format!("{BAR} one\n{BAR}\n{BAR} two\n{BAR} three\n\nreply")
    );
    // The empty lines around a quote are not part of it; nested quotes show two bars.
    assert_eq!(
        html("<p>before</p><blockquote>q<blockquote>inner</blockquote></blockquote>after"),
        format!("before\n\n{BAR} q\n{BAR}\n{BAR} {BAR} inner\n\nafter")
    );
}

#[test]
fn headings_paragraphs_breaks_and_rules() {
    assert_eq!(
        html("<h1>Title</h1><p>text</p><h3>Small</h3>"),
        "<span weight=\"bold\" size=\"150%\">Title</span>\n\ntext\n\n\
         <span weight=\"bold\" size=\"120%\">Small</span>"
    );
    assert_eq!(html("<p>a</p><p>b</p>"), "a\n\nb");
    assert_eq!(html("<div>a</div><div>b</div>"), "a\nb");
    assert_eq!(html("a<br>b<br><br>c<br>"), "a\nb\n\nc");
    assert_eq!(
        html("<p>a</p><hr><p>b</p>"),
        "a\n\n<span fgalpha=\"60%\">──────────</span>\n\nb"
    );
}

#[test]
fn spoilers_stay_hidden_until_revealed() {
    let grey = "<span foreground=\"#808080\" background=\"#808080\" fgalpha=\"1\">";
    let faint = "<span background=\"#808080\" bgalpha=\"20%\">";
    let reveal = format!("<a href=\"{SPOILER_URI}\" title=\"Show the spoiler\">");
    let input = "Ends: <span data-mx-spoiler=\"the plot\">they win</span>.";
    assert_eq!(
        html(input),
        format!("Ends: {reveal}{DIM_SMALL}Spoiler: the plot</span> {grey}they win</span></a>.")
    );
    // Revealed: the reason stays, the text shows, and nothing is a link any more.
    let (hidden, revealed) = html_to_markup_with_spoilers(input);
    assert_eq!(hidden, html_to_markup(input));
    assert_eq!(
        revealed.as_deref(),
        Some(format!("Ends: {DIM_SMALL}Spoiler: the plot</span> {faint}they win</span>.").as_str())
    );
    assert_eq!(
        shown(revealed.as_deref().unwrap()),
        "Ends: Spoiler: the plot they win."
    );
    assert_eq!(
        html("<span data-mx-spoiler>secret</span>"),
        format!("{reveal}{DIM_SMALL}Spoiler</span> {grey}secret</span></a>")
    );
    // A body without spoilers has nothing to reveal.
    assert_eq!(html_to_markup_with_spoilers("<b>plain</b>").1, None);
    // Nothing inside may show through: no colours, no (coloured) links, hidden or not.
    let input = "<span data-mx-spoiler=\"\"><font data-mx-color=\"#ff0000\">red</font> \
         <a href=\"https://example.org\">link</a></span>";
    assert_eq!(
        html(input),
        format!("{reveal}{DIM_SMALL}Spoiler</span> {grey}red link</span></a>")
    );
    assert_eq!(
        html_to_markup_with_spoilers(input).1.as_deref(),
        Some(format!("{DIM_SMALL}Spoiler</span> {faint}red link</span>").as_str())
    );
    // Inside a link a spoiler stays hidden (links do not nest): the one link is the page.
    let out = html("<a href=\"https://example.org\">see <span data-mx-spoiler>it</span></a>");
    assert_eq!(out.matches("<a ").count(), 1, "{out}");
    assert!(!out.contains(SPOILER_URI) && out.contains(grey), "{out}");
    // A message cannot make a link of its own that reveals or looks like one.
    let out = html(&format!("<a href=\"{SPOILER_URI}\">click</a>"));
    assert!(!out.contains("<a "), "{out}");
}

#[test]
fn colours_only_when_strictly_rrggbb() {
    assert_eq!(
        html("<font data-mx-color=\"#FF0000\" data-mx-bg-color=\"#00ff00\">x</font>"),
        "<span foreground=\"#FF0000\" background=\"#00ff00\">x</span>"
    );
    assert_eq!(
        html("<span data-mx-color=\"#123abc\">x</span>"),
        "<span foreground=\"#123abc\">x</span>"
    );
    for bad in [
        "red",
        "#f00",
        "#ff00000",
        "#gg0000",
        "#ff0000\" weight=\"heavy",
        " #ff0000",
    ] {
        let input = format!("<font data-mx-color='{bad}' data-mx-bg-color='{bad}'>x</font>");
        assert_eq!(html(&input), "x", "for colour {bad:?}");
    }
}

#[test]
fn reply_fallback_is_dropped() {
    assert_eq!(
        html(
            "<mx-reply><blockquote><a href=\"https://matrix.to/#/!r:x/$e\">In reply to</a> \
             <a href=\"https://matrix.to/#/@bob:x\">@bob:x</a><br>original</blockquote></mx-reply>\
             my answer"
        ),
        "my answer"
    );
}

#[test]
fn dangerous_elements_vanish_with_their_content() {
    for tag in [
        "script", "style", "head", "title", "iframe", "object", "svg", "math", "template",
        "noscript",
    ] {
        let input = format!("before<{tag}>alert(1)<x-y>HIDDEN</x-y></{tag}>after");
        let out = html(&input);
        assert_eq!(out, "beforeafter", "for {input}");
    }
    let out = html("<script>alert(1)</script><p onclick=\"alert(2)\">hi</p>");
    assert_eq!(out, "hi");
    // Tags that leave SVG by the rules of HTML parsing are outside it, as in a browser.
    assert_eq!(
        html("<svg><text>x</text><b>shown</b></svg>"),
        "<b>shown</b>"
    );
    // <embed> has no content of its own.
    assert_eq!(
        html("before<embed src=\"https://x.example/a.swf\">after"),
        "beforeafter"
    );
    // Unknown tags keep their text, never their tag or attributes.
    assert_eq!(
        html("<blink>one</blink> <marquee onmouseover=\"x()\">two</marquee> <x-y>three</x-y>"),
        "one two three"
    );
}

#[test]
fn images_are_never_loaded() {
    for (input, expected) in [
        (
            "<img src=\"http://tracker.example/p.png\" alt=\"a cat\">",
            "[image: a cat]",
        ),
        (
            "<img src=\"mxc://example.org/abc\" title=\"sunset\">",
            "[image: sunset]",
        ),
        ("<img src=\"https://tracker.example/p.png\">", "[image]"),
        (
            "<img src=x onerror=alert(1) alt=\"<b>x</b>\">",
            "[image: &lt;b&gt;x&lt;/b&gt;]",
        ),
    ] {
        let out = html(input);
        assert_eq!(out, expected, "for {input}");
        assert!(!out.contains("http") && !out.contains("mxc"), "{out}");
    }
}

#[test]
fn only_safe_schemes_become_links() {
    for href in [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java\nscript:alert(1)",
        "java&#x09;script:alert(1)",
        "&#106;avascript:alert(1)",
        "  javascript:alert(1)",
        "\u{1}javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "/relative/path",
        "//evil.example/x",
        "https://",
        "",
    ] {
        let input = format!("<a href=\"{href}\">click</a>");
        assert_eq!(html(&input), "click", "for {href:?}");
    }
    assert_eq!(html("<a>no href</a>"), "no href");
    for (href, url) in [
        ("https://example.org/a", "https://example.org/a"),
        ("HTTP://Example.org", "http://example.org/"),
        (" https://example.org/\n", "https://example.org/"),
        ("mailto:alice@example.org", "mailto:alice@example.org"),
        ("matrix:u/alice:example.org", "matrix:u/alice:example.org"),
    ] {
        let out = html(&format!("<a href=\"{href}\">{href}</a>"));
        assert!(out.starts_with(&link(url)), "{href:?} gives {out}");
    }
}

#[test]
fn links_show_where_they_really_go() {
    // The visible text says something else: the real host follows.
    assert_eq!(
        html("<a href=\"https://evil.example/x\">my bank</a>"),
        format!(
            "{}my bank</a> {DIM_SMALL}(evil.example)</span>",
            link("https://evil.example/x")
        )
    );
    assert_eq!(
        html("<a href=\"https://evil.example/\">https://bank.example/</a>"),
        format!(
            "{}https://bank.example/</a> {DIM_SMALL}(evil.example)</span>",
            link("https://evil.example/")
        )
    );
    // A user name before the host does not hide it.
    assert_eq!(
        html("<a href=\"https://bank.example@evil.example:8080/\">bank.example</a>"),
        format!(
            "{}bank.example</a> {DIM_SMALL}(evil.example:8080)</span>",
            link("https://bank.example@evil.example:8080/")
        )
    );
    // The text is the address itself, with or without scheme and trailing slash.
    for text in [
        "https://example.org/",
        "https://example.org",
        "example.org",
        "example.org/",
    ] {
        assert_eq!(
            html(&format!("see <a href=\"https://example.org/\">{text}</a>.")),
            format!("see {}{text}</a>.", link("https://example.org/"))
        );
    }
    // A link without text shows its address.
    assert_eq!(
        html("<a href=\"https://example.org/x\"></a>"),
        format!("{}https://example.org/x</a>", link("https://example.org/x"))
    );
    // Mentions name the user they point to; a name that is the ID needs nothing more.
    assert_eq!(
        html("<a href=\"https://matrix.to/#/@alice:example.org\">Alice</a>: hi"),
        format!(
            "{}Alice</a> {DIM_SMALL}(@alice:example.org)</span>: hi",
            link("https://matrix.to/#/@alice:example.org")
        )
    );
    assert_eq!(
        html("<a href=\"https://matrix.to/#/%23room:example.org\">#room:example.org</a>"),
        format!(
            "{}#room:example.org</a>",
            link("https://matrix.to/#/%23room:example.org")
        )
    );
    // A look-alike international host shows its real, ASCII name.
    assert_eq!(
        html("<a href=\"https://аpple.com/\">https://аpple.com/</a>"),
        format!(
            "{}https://аpple.com/</a> {DIM_SMALL}(xn--pple-43d.com)</span>",
            link("https://xn--pple-43d.com/")
        )
    );
    assert_eq!(
        html("<a href=\"mailto:boss@evil.example\">Your boss</a>"),
        format!(
            "{}Your boss</a> {DIM_SMALL}(boss@evil.example)</span>",
            link("mailto:boss@evil.example")
        )
    );
    // Links do not nest; the inner one is text.
    let out = html("<a href=\"https://a.example/\">a <b>bold</b></a>");
    assert_eq!(
        out,
        format!(
            "{}a <b>bold</b></a> {DIM_SMALL}(a.example)</span>",
            link("https://a.example/")
        )
    );
}

#[test]
fn attribute_values_are_escaped() {
    // Not a URL: plain text, and the would-be attribute is nowhere.
    let out = html("<a href='x\" onclick=\"alert(1)'>t</a>");
    assert_eq!(out, "t");
    // A URL with characters that must be escaped inside an attribute.
    let out = html("<a href=\"https://example.org/it's?a=1&amp;b=&quot;2&quot;\">q</a>");
    assert_eq!(
        out,
        format!(
            "{}q</a> {DIM_SMALL}(example.org)</span>",
            link("https://example.org/it&#39;s?a=1&amp;b=%222%22")
        )
    );
    // Text that looks like markup stays text.
    assert_eq!(
        html("&lt;b&gt;not bold&lt;/b&gt; &amp; \"quoted\" 'x'"),
        "&lt;b&gt;not bold&lt;/b&gt; &amp; &quot;quoted&quot; &#39;x&#39;"
    );
}

#[test]
fn unclosed_and_misnested_tags_are_closed() {
    assert_eq!(html("<b>bold <i>both"), "<b>bold <i>both</i></b>");
    assert_eq!(html("<b>a<i>b</b>c</i>"), "<b>a<i>b</i></b><i>c</i>");
    assert_eq!(html("<p>one<p>two"), "one\n\ntwo");
    assert_eq!(html("</b></i>text</p>"), "text");
    assert_eq!(html("<a href=\"https://x.example/\">open"), {
        format!(
            "{}open</a> {DIM_SMALL}(x.example)</span>",
            link("https://x.example/")
        )
    });
    assert_eq!(html("<b"), "");
    assert_eq!(html("<!-- a comment -->text<!-- unclosed"), "text");
}

#[test]
fn deep_nesting_is_capped() {
    let depth = 10_000;
    let input = format!("{}deep{}", "<b>".repeat(depth), "</b>".repeat(depth));
    let started = Instant::now();
    let out = html(&input);
    println!("10,000 nested <b>: {:?}", started.elapsed());
    assert!(out.contains("deep"));
    let opened = out.matches("<b>").count();
    assert!((1..=100).contains(&opened), "{opened} <b> tags");
    assert_eq!(opened, out.matches("</b>").count());

    // Past the limit tags are ignored, but hidden content stays hidden.
    let input = format!(
        "{}<script>alert(1)</script><style>p{{}}</style><svg><text>svg</text></svg>\
         <mx-reply>quoted</mx-reply>text",
        "<div>".repeat(500)
    );
    assert_eq!(shown(&html(&input)), "text");
}

#[test]
fn huge_bodies_are_cut_quickly() {
    let mb = 1 << 20;
    let bodies = [
        ("text", "word ".repeat(mb / 5)),
        ("bold", "<b>x</b>".repeat(mb / 8)),
        ("nested divs", "<div>".repeat(mb / 5)),
        ("lists", "<ul><li>item".repeat(mb / 12)),
        (
            "links",
            "<a href=\"https://e.example/\">l</a>".repeat(mb / 34),
        ),
        ("formatting", "<div><b id=1><i>x</div>".repeat(mb / 24)),
        ("table", "<table><tr><td>x<b>y".repeat(mb / 20)),
        ("empty elements", "<span></span>".repeat(mb / 13)),
    ];
    for (name, body) in &bodies {
        let started = Instant::now();
        let out = html_to_markup(body);
        let elapsed = started.elapsed();
        let text = shown(&out);
        println!(
            "1 MB of {name}: {elapsed:?}, {} bytes of markup, {} characters shown",
            out.len(),
            text.chars().count()
        );
        assert!(
            text.chars().count() <= MAX_VISIBLE_CHARS + 100,
            "{name}: {} characters",
            text.chars().count()
        );
        assert!(out.len() < 1_000_000, "{name}: {} bytes", out.len());
        assert!(out.ends_with(SHORTENED), "{name}: the note at the end");
    }
    let started = Instant::now();
    let out = plain_to_markup(&"a https://example.org/ ".repeat(mb / 23));
    println!("1 MB of plain text with links: {:?}", started.elapsed());
    assert!(out.ends_with(SHORTENED));
    assert!(shown(&out).chars().count() <= MAX_VISIBLE_CHARS + 100);
}

#[test]
fn cutting_closes_what_is_open() {
    let input = format!("<b><i>{}</i></b> never shown", "x".repeat(30_000));
    let out = html(&input);
    assert!(
        out.ends_with(&format!("xxx…</i></b>\n{SHORTENED}")),
        "{}",
        &out[out.len() - 200..]
    );
    assert_eq!(out.matches('x').count(), MAX_VISIBLE_CHARS);

    // Cut inside a link: it still shows where it goes.
    let input = format!(
        "<a href=\"https://evil.example/\">{}</a>",
        "bank ".repeat(10_000)
    );
    let out = html(&input);
    assert!(
        out.ends_with(&format!(
            "bank …</a> {DIM_SMALL}(evil.example)</span>\n{SHORTENED}"
        )),
        "{}",
        &out[out.len() - 200..]
    );

    // Short bodies are never cut.
    assert!(!html("<b>short</b>").contains("shortened"));
}

#[test]
fn direction_overrides_are_removed() {
    let rlo = "\u{202E}";
    assert_eq!(
        strip_direction_overrides(
            "a\u{202A}b\u{202B}c\u{202C}d\u{202D}e\u{202E}f\u{2066}g\u{2067}h\u{2068}i\u{2069}j"
        ),
        "abcdefghij"
    );
    // Marks that only hint a direction stay.
    assert_eq!(strip_direction_overrides("a\u{200F}b"), "a\u{200F}b");
    assert_eq!(
        html(&format!("<b>evil{rlo}txt.exe</b>")),
        "<b>eviltxt.exe</b>"
    );
    assert_eq!(html("x&#x202E;y&#8238;z"), "xyz");
    assert_eq!(plain(&format!("file{rlo}gpj.exe")), "filegpj.exe");
    let out = html(&format!(
        "<a href=\"https://e.example/{rlo}x\">{rlo}e.example</a>"
    ));
    assert!(!out.contains(rlo), "{out}");
}

#[test]
fn control_characters_are_removed() {
    assert_eq!(
        html("a\u{1}b\u{7}c\u{7f}d\u{85}e&#1;f&#0;g"),
        "abcdef\u{fffd}g"
    );
    assert_eq!(plain("a\u{1}b\r\nc\td\u{0}e"), "ab\nc\tde");
}

#[test]
fn plain_bodies_are_escaped_and_linkified() {
    assert_eq!(
        plain("<b>not bold</b> & \"so\""),
        "&lt;b&gt;not bold&lt;/b&gt; &amp; &quot;so&quot;"
    );
    assert_eq!(
        plain("see https://example.org/a_(b)), or (http://x.example/y). Mail: mailto:a@b.example!"),
        format!(
            "see {}https://example.org/a_(b)</a>), or ({}http://x.example/y</a>). \
             Mail: {}mailto:a@b.example</a>!",
            link("https://example.org/a_(b)"),
            link("http://x.example/y"),
            link("mailto:a@b.example")
        )
    );
    assert_eq!(
        plain("https://matrix.to/#/#room:example.org"),
        format!(
            "{}https://matrix.to/#/#room:example.org</a>",
            link("https://matrix.to/#/#room:example.org")
        )
    );
    // Not URLs: a scheme inside a word, a scheme alone, other schemes.
    assert_eq!(
        plain("xhttps://a.example https:// javascript:alert(1) data:x"),
        "xhttps://a.example https:// javascript:alert(1) data:x"
    );
    // Lines stay; leading and trailing empty lines go.
    assert_eq!(plain("\n\none\n\ntwo\n"), "one\n\ntwo");
    // A look-alike host shows its real name.
    assert_eq!(
        plain("https://аpple.com"),
        format!(
            "{}https://аpple.com</a> {DIM_SMALL}(xn--pple-43d.com)</span>",
            link("https://xn--pple-43d.com/")
        )
    );
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

fn random_input(random: &mut Random) -> String {
    const TAGS: &[&str] = &[
        "b",
        "i",
        "u",
        "s",
        "del",
        "strike",
        "strong",
        "em",
        "code",
        "pre",
        "p",
        "div",
        "span",
        "font",
        "a",
        "ul",
        "ol",
        "li",
        "blockquote",
        "h1",
        "h3",
        "h6",
        "br",
        "hr",
        "sup",
        "sub",
        "img",
        "table",
        "tr",
        "td",
        "th",
        "mx-reply",
        "script",
        "style",
        "svg",
        "math",
        "template",
        "iframe",
        "title",
        "textarea",
        "plaintext",
        "xmp",
        "details",
        "summary",
        "caption",
        "select",
        "option",
        "frameset",
        "foo",
        "b:x",
    ];
    const ATTRIBUTES: &[&str] = &[
        "href=\"https://example.org/\"",
        "href='javascript:alert(1)'",
        "href=\"java\tscript:x\"",
        "href=mailto:a@b.c",
        "href=\"matrix:r/room:x\"",
        "href=\"https://matrix.to/#/@a:b\"",
        "href=\"https://ex&amp;ample.org/&quot;x\"",
        "data-mx-spoiler",
        "data-mx-spoiler=\"why &lt;not&gt;\"",
        "data-mx-color=\"#ff00ff\"",
        "data-mx-bg-color=\"#00FF00\"",
        "color=red",
        "alt=\"a <cat>\"",
        "title=\"t'\"",
        "start=\"-5\"",
        "start=99999999999999999999",
        "class=\"language-rust\"",
        "x=\"unterminated",
        "onclick=\"alert(1)\"",
    ];
    const TEXT: &[&str] = &[
        "hello",
        " ",
        "\n",
        "\t",
        "  \n  ",
        "&amp;",
        "&lt;",
        "&gt;",
        "&quot;",
        "&#39;",
        "&#x202E;",
        "&#0;",
        "&#1;",
        "&#xD800;",
        "&#x10FFFF;",
        "&nbsp;",
        "&bogus;",
        "&",
        "<",
        ">",
        "\"",
        "'",
        "\u{202E}",
        "\u{2067}",
        "\u{0}",
        "\u{1}",
        "\r",
        "\u{85}",
        "\u{FFFE}",
        "\u{FFFF}",
        "é",
        "🐧",
        "‏",
        "https://example.org/x?a=1&b=2",
        "mailto:x@y.z",
        "<!--",
        "-->",
        "<!DOCTYPE html>",
        "<![CDATA[x]]>",
        "</",
        "<?pi?>",
    ];
    let mut input = String::new();
    let mut open: Vec<&str> = Vec::new();
    for _ in 0..random.below(40) {
        match random.below(6) {
            0 | 1 => {
                let tag = random.pick(TAGS);
                input.push('<');
                input.push_str(tag);
                for _ in 0..random.below(3) {
                    input.push(' ');
                    input.push_str(random.pick(ATTRIBUTES));
                }
                input.push_str(if random.below(8) == 0 { "/>" } else { ">" });
                open.push(tag);
            }
            2 => {
                // Mostly close the right tag, sometimes another one.
                let tag = if random.below(4) == 0 {
                    random.pick(TAGS)
                } else {
                    open.pop().unwrap_or("b")
                };
                input.push_str("</");
                input.push_str(tag);
                input.push('>');
            }
            _ => input.push_str(random.pick(TEXT)),
        }
    }
    input
}

#[test]
fn random_inputs_always_give_valid_markup() {
    let mut random = Random(0x5eed_1234_abcd_9876);
    let started = Instant::now();
    for case in 0..4000 {
        let input = random_input(&mut random);
        let out = html_to_markup(&input);
        let result = std::panic::catch_unwind(|| shown(&out));
        assert!(result.is_ok(), "case {case}: input {input:?} gave {out:?}");
        let text = result.unwrap();
        assert!(
            !text.contains('\u{202E}') && !text.contains('\u{0}'),
            "case {case}: {input:?}"
        );

        let out = plain_to_markup(&input);
        let result = std::panic::catch_unwind(|| shown(&out));
        assert!(result.is_ok(), "case {case}: plain {input:?} gave {out:?}");
    }
    println!("4000 random bodies, twice: {:?}", started.elapsed());
}

#[test]
fn labels_show_the_markup() {
    let cases = [
        (
            html_to_markup(
                "<p>Hi <a href=\"https://evil.example/x\">my bank</a></p>\
                 <blockquote>quoted</blockquote><ul><li>item</li></ul>",
            ),
            "Hi my bank (evil.example)\n\n▎ quoted\n\n• item",
        ),
        (
            plain_to_markup("<b> & https://example.org/?a=1&b=2"),
            "<b> & https://example.org/?a=1&b=2",
        ),
        (
            html_to_markup("<span data-mx-spoiler=\"why\">hidden</span>"),
            "Spoiler: why hidden",
        ),
    ];
    for (markup, text) in cases {
        let shown_text = on_gtk_thread(move || {
            let label = gtk::Label::new(None);
            label.set_markup(&markup);
            label.text().to_string()
        });
        assert_eq!(shown_text, text);
    }

    // How a rich message looks, narrow and wide.
    let sample = html_to_markup(SAMPLE);
    let plain_sample = plain_to_markup(
        "Plain text with <b>tags</b> & a link: https://example.org/path?q=1 (see there).",
    );
    on_gtk_thread(move || {
        let column = gtk::Box::new(gtk::Orientation::Vertical, 12);
        column.set_margin_top(12);
        column.set_margin_bottom(12);
        column.set_margin_start(12);
        column.set_margin_end(12);
        for markup in [&sample, &plain_sample] {
            let label = gtk::Label::new(None);
            label.set_markup(markup);
            label.set_wrap(true);
            label.set_wrap_mode(gtk::pango::WrapMode::WordChar);
            label.set_xalign(0.0);
            assert!(!label.text().is_empty(), "the label takes the markup");
            column.append(&label);
        }
        let scroller = gtk::ScrolledWindow::new();
        scroller.set_child(Some(&column));
        let window = gtk::Window::new();
        window.set_child(Some(&scroller));
        for (width, height) in [(360, 720), (1280, 800)] {
            present_at(&window, width, height);
            screenshot(&window, &format!("html-markup-{width}x{height}"));
            window.set_visible(false);
        }
        window.destroy();
    });
}

const SAMPLE: &str = "<h1>Release notes</h1>\
<p>Hi <a href=\"https://matrix.to/#/@alice:example.org\">Alice</a>, this has <b>bold</b>, \
<i>italic</i>, <s>struck</s>, <u>underlined</u> and <code>inline code</code>; \
x<sup>2</sup> and H<sub>2</sub>O. Log in at <a href=\"https://evil.example/login\">your bank</a> \
or <a href=\"https://example.org/\">https://example.org</a>.</p>\
<blockquote><p>A quote that is long enough to wrap on a phone screen, to see the bar.</p>\
<p>Second paragraph<blockquote>nested quote</blockquote></p></blockquote>\
<ul><li>First item</li><li>Second item<ol><li>one</li><li>two</li></ol></li><li>Third</li></ul>\
<pre><code class=\"language-rust\">fn main() {\n    println!(\"hi &lt;3\");\n}\n</code></pre>\
<p>Spoiler: <span data-mx-spoiler=\"ending\">they all win</span>, \
<font data-mx-color=\"#e01b24\">red</font> and \
<span data-mx-bg-color=\"#f6d32d\" data-mx-color=\"#000000\">highlighted</span>.</p><hr>\
<table><tr><th>Name</th><th>Value</th></tr><tr><td>a</td><td>1</td></tr></table>\
<p><img src=\"mxc://example.org/x\" alt=\"a cat\"> <script>alert(1)</script>done.</p>";

// ---------------------------------------------------------------------------------------
// Bounds on what one event costs (issue 17, item 3): whatever a room member sends, the
// markup stays within MAX_MARKUP_BYTES, valid for Pango, and is made quickly.

/// Converts `input` (hidden and revealed spoilers), checks the markup is within the bound
/// and valid, and that the conversion was quick; says what it took.
fn bounded(name: &str, input: &str) -> String {
    let started = Instant::now();
    let out = html_to_markup(input);
    let elapsed = started.elapsed();
    println!(
        "{name}: {} bytes of input, {elapsed:?}, {} bytes of markup",
        input.len(),
        out.len()
    );
    assert!(
        out.len() <= MAX_MARKUP_BYTES,
        "{name}: {} bytes of markup",
        out.len()
    );
    // The figure that matters is the benchmark's, in release; this only catches a blow-up
    // (the payloads once took seconds and hundreds of megabytes).
    assert!(
        elapsed < Duration::from_secs(2),
        "{name}: {elapsed:?} to convert"
    );
    shown(&out);
    let (hidden, revealed) = html_to_markup_with_spoilers(input);
    assert_eq!(hidden, out, "{name}: the same hidden markup both ways");
    if let Some(revealed) = revealed {
        assert!(revealed.len() <= MAX_MARKUP_BYTES, "{name}: revealed");
        shown(&revealed);
    }
    let plain = plain_to_markup(input);
    assert!(plain.len() <= MAX_MARKUP_BYTES, "{name}: as plain text");
    shown(&plain);
    out
}

#[test]
fn quote_bars_on_many_lines_are_bounded() {
    for (name, input) in bodies::costly(Some("quotes")) {
        let out = bounded(name, &input);
        // Cut, but the first line shows with all of its bars.
        assert!(out.starts_with(&format!("{BAR} ").repeat(99)), "{name}");
        assert!(out.ends_with(SHORTENED), "{name}");
    }
}

#[test]
fn many_line_breaks_are_bounded() {
    for (name, input) in bodies::costly(Some("br")) {
        bounded(name, &input);
    }
}

#[test]
fn many_rules_are_bounded() {
    for (name, input) in bodies::costly(Some("hr")) {
        bounded(name, &input);
    }
}

#[test]
fn many_table_cells_are_bounded() {
    for (name, input) in bodies::costly(Some("td")) {
        bounded(name, &input);
    }
}

#[test]
fn deeply_nested_lists_are_bounded() {
    for (name, input) in bodies::costly(Some("lists")) {
        bounded(name, &input);
    }
}

#[test]
fn other_costly_bodies_are_bounded() {
    for (name, input) in bodies::costly(Some("other")) {
        bounded(name, &input);
    }
}

/// A random body: elements nested up to past the depth limit, unclosed and misnested
/// ones, and runs of the elements that make markup grow (breaks, rules, cells, items).
fn random_nested_html(rng: &mut StdRng, depth: usize, budget: &mut usize, out: &mut String) {
    const TAGS: &[&str] = &[
        "b",
        "i",
        "s",
        "u",
        "code",
        "pre",
        "p",
        "div",
        "span",
        "blockquote",
        "ul",
        "ol",
        "li",
        "h1",
        "h4",
        "table",
        "tr",
        "td",
        "th",
        "sup",
        "details",
        "a href=\"https://example.org/&quot;x\"",
        "a href=\"javascript:alert(1)\"",
        "a href=\"mailto:someone@example.org\"",
        "span data-mx-spoiler=\"why\"",
        "span data-mx-spoiler",
        "font data-mx-color=\"#ff0000\"",
        "ol start=\"999999999\"",
        "mx-reply",
        "script",
        "svg",
        "textarea",
    ];
    const VOID: &[&str] = &["<br>", "<br/>", "<hr>", "<img alt=\"a <cat>\">", "<wbr>"];
    const TEXT: &[&str] = &[
        "word",
        " ",
        "\n",
        "\n\n\n",
        "&amp;",
        "&lt;b&gt;",
        "<",
        "&",
        "é🐧",
        "\u{202E}",
        "\u{1}",
        "https://example.org/a?b=1&c=2",
        "<!-- x -->",
        "</b>",
        "</blockquote>",
    ];
    const RUNS: &[&str] = &[
        "<br>", "\n", "<hr>", "<td>", "<th>x", "<li>", "<li>x", "<p>", "x<br>", "<tr><td>",
    ];
    while *budget > 0 && rng.gen_bool(0.85) {
        let before = out.len();
        match rng.gen_range(0..10) {
            0..=3 if depth < 130 => {
                let tag = TAGS[rng.gen_range(0..TAGS.len())];
                out.push('<');
                out.push_str(tag);
                out.push('>');
                random_nested_html(rng, depth + 1, budget, out);
                if rng.gen_bool(0.8) {
                    let name = tag.split(' ').next().unwrap_or(tag);
                    out.push_str("</");
                    out.push_str(name);
                    out.push('>');
                }
            }
            4 => out.push_str(VOID[rng.gen_range(0..VOID.len())]),
            5 => {
                let run = RUNS[rng.gen_range(0..RUNS.len())];
                let count = rng.gen_range(1..=(*budget / run.len()).clamp(1, 20_000));
                out.push_str(&run.repeat(count));
            }
            _ => out.push_str(TEXT[rng.gen_range(0..TEXT.len())]),
        }
        *budget = budget.saturating_sub(out.len() - before);
    }
}

#[test]
fn random_nested_bodies_stay_bounded() {
    let mut rng = StdRng::seed_from_u64(0x5077_0017);
    let started = Instant::now();
    let (mut slowest, mut largest) = (Duration::ZERO, 0);
    for case in 0..3000 {
        // Mostly small bodies, some near the size of a whole event.
        let mut budget = if rng.gen_bool(0.05) {
            rng.gen_range(8_000..70_000)
        } else {
            rng.gen_range(10..1_500)
        };
        let mut input = String::new();
        while budget > 0 {
            random_nested_html(&mut rng, 0, &mut budget, &mut input);
        }
        let began = Instant::now();
        let (hidden, revealed) = html_to_markup_with_spoilers(&input);
        slowest = slowest.max(began.elapsed());
        for out in std::iter::once(&hidden).chain(revealed.as_ref()) {
            largest = largest.max(out.len());
            assert!(
                out.len() <= MAX_MARKUP_BYTES,
                "case {case}: {} bytes of markup from {} of input",
                out.len(),
                input.len()
            );
            let result = std::panic::catch_unwind(|| shown(out));
            assert!(result.is_ok(), "case {case}: input {input:?}");
        }
    }
    println!(
        "3000 random nested bodies: {:?} in all, slowest {slowest:?}, largest markup {largest} bytes",
        started.elapsed()
    );
}
