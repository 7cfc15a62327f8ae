//! Message bodies that cost the most to show, from issue 17 (item 3: rendering of one
//! event is bounded): the tests check each gives bounded, valid markup, and the
//! conversation benchmark times them in release.

/// `count` elements `open` deep, around `inner`.
fn nested(open: &str, close: &str, count: usize, inner: &str) -> String {
    format!("{}{inner}{}", open.repeat(count), close.repeat(count))
}

fn quotes(inner: &str) -> String {
    nested("<blockquote>", "</blockquote>", 99, inner)
}

/// The costly bodies of one kind (`quotes`, `br`, `hr`, `td`, `lists`, `other`), or of all
/// kinds for `None`: each with what it is and its HTML. Some are longer than an event can
/// be; the conversion reads only its first 64 KiB.
pub fn costly(kind: Option<&str>) -> Vec<(&'static str, String)> {
    let all = [
        // The reported message: 22 KB, 99 quotes around a <pre> of 20,000 line breaks.
        (
            "quotes",
            "99 quotes around a <pre> of 20,000 line breaks",
            quotes(&format!("<pre>a{}b</pre>", "\n".repeat(20_000))),
        ),
        (
            "quotes",
            "99 quotes around a <pre> of 20,000 lines",
            quotes(&format!("<pre>{}</pre>", "a\n".repeat(20_000))),
        ),
        (
            "br",
            "15,000 <br> between two words in 99 quotes",
            quotes(&format!("a{}b", "<br>".repeat(15_000))),
        ),
        (
            "br",
            "20,000 <br/> in 99 quotes",
            quotes(&format!("a{}b", "<br/>".repeat(20_000))),
        ),
        (
            "br",
            "20,000 lines ending in <br> in 99 quotes",
            quotes(&"a<br>".repeat(20_000)),
        ),
        ("br", "20,000 <br>", format!("a{}b", "<br>".repeat(20_000))),
        ("hr", "20,000 <hr>", "<hr>".repeat(20_000)),
        (
            "hr",
            "20,000 <hr> in 99 quotes",
            quotes(&"<hr>".repeat(20_000)),
        ),
        ("hr", "20,000 <hr/> between words", "a<hr/>".repeat(20_000)),
        (
            "td",
            "a row of 20,000 <td>",
            format!("<table><tr>{}</table>", "<td>".repeat(20_000)),
        ),
        (
            "td",
            "a row of 20,000 closed <td>",
            format!("<table><tr>{}</tr></table>", "<td>x</td>".repeat(20_000)),
        ),
        (
            "td",
            "20,000 <th> in 90 quotes",
            nested(
                "<blockquote>",
                "</blockquote>",
                90,
                &format!("<table><tr>{}", "<th>".repeat(20_000)),
            ),
        ),
        (
            "lists",
            "lists 50 deep, 10,000 items",
            format!("{}{}", "<ul><li>".repeat(50), "<li>item".repeat(10_000)),
        ),
        (
            "lists",
            "ordered lists 50 deep from 999999999",
            format!(
                "{}{}",
                "<ol start=\"999999999\"><li>".repeat(50),
                "<li>".repeat(15_000)
            ),
        ),
        (
            "lists",
            "lists in quotes 66 deep",
            format!(
                "{}{}",
                "<blockquote><ul><li>".repeat(33),
                "item<br><br>".repeat(5_000)
            ),
        ),
        ("other", "64 KiB of words", "word ".repeat(13_107)),
        (
            "other",
            "misnested formatting",
            "<div><b id=1><i>x</div>".repeat(3_000),
        ),
        (
            "other",
            "misnested formatting, each different",
            (0..3_000)
                .map(|n| format!("<div><b id={n}><i>x</div>"))
                .collect(),
        ),
        (
            "other",
            "20,000 links",
            "<a href=\"https://e.example/\">l</a>".repeat(20_000),
        ),
        (
            "other",
            "20,000 spoilers",
            "<span data-mx-spoiler=\"why\">x</span>".repeat(20_000),
        ),
    ];
    all.into_iter()
        .filter(|(k, _, _)| kind.is_none_or(|kind| kind == *k))
        .map(|(_, name, html)| (name, html))
        .collect()
}
