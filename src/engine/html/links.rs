//! Links in message bodies: which addresses may be links (absolute http, https, mailto and
//! matrix URLs), what a link shows as its destination, and bare URLs found in plain text.

use url::Url;

use super::writer::{Hint, escape};
use super::{DIM_SMALL, clean_attribute, escape_attribute};
use crate::engine::bidi::is_direction_override;

/// Where a link goes, once it is known to be one of the allowed kinds.
pub(super) struct Target {
    /// The address as written (cleaned of controls), to compare with the visible text.
    written: String,
    /// The normalised address the link opens.
    pub(super) url: Url,
    /// What to show as the destination: a host, an address or a Matrix ID.
    shown: String,
}

impl Target {
    /// A link target for `href`, or `None` unless it is an absolute http, https, mailto or
    /// matrix URL.
    pub(super) fn parse(href: &str) -> Option<Self> {
        let written =
            clean_attribute(href.trim_matches(|c: char| c.is_whitespace() || c.is_control()));
        let url = Url::parse(&written).ok()?;
        let shown = match url.scheme() {
            "http" | "https" => {
                let host = url.host_str().filter(|h| !h.is_empty())?;
                let host = match url.port() {
                    Some(port) => format!("{host}:{port}"),
                    None => host.to_owned(),
                };
                if host.eq_ignore_ascii_case("matrix.to") {
                    matrix_to_entity(&url).unwrap_or(host)
                } else {
                    host
                }
            }
            "mailto" => percent_decode(url.path()),
            "matrix" => percent_decode(url.as_str()),
            _ => return None,
        };
        let shown = clean_attribute(&shown);
        if shown.is_empty() {
            return None;
        }
        Some(Self {
            written,
            url,
            shown,
        })
    }

    /// Whether `text`, the visible text of the link, already says where it goes.
    pub(super) fn is_shown_by(&self, text: &str) -> bool {
        // An internationalised host may imitate another one: show its real (ASCII) name.
        let idn = self
            .url
            .host_str()
            .is_some_and(|h| h.starts_with("xn--") || h.contains(".xn--"));
        if idn {
            return false;
        }
        let text = without_scheme(text);
        text == without_scheme(&self.written)
            || text == without_scheme(self.url.as_str())
            || text == self.shown
    }
}

/// The user, room or alias a `https://matrix.to/#/…` link points to.
fn matrix_to_entity(url: &Url) -> Option<String> {
    let fragment = url.fragment()?.strip_prefix('/')?;
    let entity = fragment.split(['/', '?']).next()?;
    let entity = percent_decode(entity);
    (!entity.is_empty()).then_some(entity)
}

fn percent_decode(text: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            decoded.push(hi * 16 + lo);
            i += 3;
            continue;
        }
        decoded.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// `text` without surrounding space, a leading scheme and one trailing slash.
fn without_scheme(text: &str) -> &str {
    let text = text.trim();
    let mut rest = text;
    for scheme in ["https://", "http://", "mailto:", "matrix:"] {
        if rest.len() >= scheme.len()
            && rest.is_char_boundary(scheme.len())
            && rest[..scheme.len()].eq_ignore_ascii_case(scheme)
        {
            rest = &rest[scheme.len()..];
            break;
        }
    }
    rest.strip_suffix('/').unwrap_or(rest)
}

/// ` (host)`, dimmed and small, for after a link whose text does not say where it goes.
pub(super) fn destination_hint(target: &Target) -> Hint {
    Hint {
        markup: format!(" {DIM_SMALL}({})</span>", escape(&target.shown)),
        shown: target.shown.chars().count() + 3,
    }
}

pub(super) fn link_open(target: &Target) -> String {
    let href = escape_attribute(target.url.as_str());
    format!("<a href=\"{href}\" title=\"{href}\">")
}

/// The next URL in `text` at or after byte `from`, as a byte range.
pub(super) fn find_url(text: &str, from: usize) -> Option<(usize, usize)> {
    const SCHEMES: [&str; 4] = ["https://", "http://", "mailto:", "matrix:"];
    let bytes = text.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        let starts_word = i == 0
            || !text[..i]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric);
        let scheme = starts_word
            .then(|| {
                SCHEMES.iter().find(|s| {
                    bytes.len() >= i + s.len()
                        && bytes[i..i + s.len()].eq_ignore_ascii_case(s.as_bytes())
                })
            })
            .flatten();
        if let Some(scheme) = scheme {
            let rest = &text[i..];
            let mut end = rest
                .char_indices()
                .find(|&(_, c)| {
                    c.is_whitespace()
                        || c.is_control()
                        || is_direction_override(c)
                        || "<>\"".contains(c)
                })
                .map_or(rest.len(), |(at, _)| at);
            // Punctuation after a URL usually ends the sentence, not the URL; a closing
            // bracket belongs to the URL only if it closes one opened in it.
            let count = |b: u8| rest.as_bytes()[..end].iter().filter(|&&x| x == b).count();
            let (mut parens, mut brackets) = (
                count(b'(') as isize - count(b')') as isize,
                count(b'[') as isize - count(b']') as isize,
            );
            while let Some(last) = rest[..end].chars().next_back() {
                let strip = match last {
                    ')' => parens < 0,
                    ']' => brackets < 0,
                    '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '*' | '_' => true,
                    _ => false,
                };
                if !strip {
                    break;
                }
                match last {
                    ')' => parens += 1,
                    ']' => brackets += 1,
                    _ => {}
                }
                end -= last.len_utf8();
            }
            if end > scheme.len() {
                return Some((i, i + end));
            }
        }
        // Next character boundary.
        i += text[i..].chars().next().map_or(1, char::len_utf8);
    }
    None
}
