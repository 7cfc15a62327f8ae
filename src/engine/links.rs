//! Where a link in a message leads: into Sotto (a `matrix:` URI or a matrix.to link names
//! a room or a person) or out to another program, at a host the person must see before it
//! opens. A link's text can say anything; what it opens is decided here, from its address.

use matrix_sdk::ruma::{MatrixToUri, MatrixUri, matrix_uri::MatrixId};
use url::Url;

/// What activating a link does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkTarget {
    /// A room, by ID or alias, with the servers to join through: shown inside Sotto.
    Room {
        /// `!id:server` or `#alias:server`.
        id: String,
        /// The full link, which the join keeps its servers from.
        link: String,
    },
    /// A person, by Matrix ID: shown inside Sotto.
    User(String),
    /// Anything another program opens, after the person agreed.
    External {
        /// The full address, normalised (an internationalised host in its ASCII form).
        address: String,
        /// The host it really goes to (for `mailto:`, the domain of the address), in ASCII,
        /// with the port when one is given.
        host: String,
    },
    /// A kind of link Sotto does not open (`file:`, `javascript:`, …), or one that cannot
    /// be understood.
    Unsupported,
}

/// Classifies the address `uri` of an activated link.
pub fn classify(uri: &str) -> LinkTarget {
    let uri = uri.trim();
    let Ok(url) = Url::parse(uri) else {
        return LinkTarget::Unsupported;
    };
    match url.scheme() {
        "matrix" => match MatrixUri::parse(uri) {
            Ok(parsed) => inside(parsed.id(), uri),
            Err(_) => LinkTarget::Unsupported,
        },
        "https" if url.host_str() == Some("matrix.to") => match MatrixToUri::parse(uri) {
            Ok(parsed) => inside(parsed.id(), uri),
            // Not a link to a room or person (matrix.to's own pages): a web page.
            Err(_) => external(&url),
        },
        "http" | "https" | "mailto" => external(&url),
        _ => LinkTarget::Unsupported,
    }
}

fn inside(id: &MatrixId, link: &str) -> LinkTarget {
    match id {
        MatrixId::Room(room) => LinkTarget::Room {
            id: room.to_string(),
            link: link.to_owned(),
        },
        MatrixId::RoomAlias(alias) => LinkTarget::Room {
            id: alias.to_string(),
            link: link.to_owned(),
        },
        MatrixId::Event(room, _) => LinkTarget::Room {
            id: room.to_string(),
            link: link.to_owned(),
        },
        MatrixId::User(user) => LinkTarget::User(user.to_string()),
        _ => LinkTarget::Unsupported,
    }
}

fn external(url: &Url) -> LinkTarget {
    let host = if url.scheme() == "mailto" {
        url.path()
            .rsplit_once('@')
            .map(|(_, domain)| domain.split('?').next().unwrap_or(domain).to_owned())
            .unwrap_or_default()
    } else {
        match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => String::new(),
        }
    };
    if host.is_empty() {
        return LinkTarget::Unsupported;
    }
    LinkTarget::External {
        address: url.as_str().to_owned(),
        host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn external(address: &str, host: &str) -> LinkTarget {
        LinkTarget::External {
            address: address.into(),
            host: host.into(),
        }
    }

    #[test]
    fn matrix_links_open_inside() {
        for (link, id) in [
            (
                "https://matrix.to/#/%23room%3Aexample.org",
                "#room:example.org",
            ),
            ("https://matrix.to/#/#room:example.org", "#room:example.org"),
            (
                "https://matrix.to/#/!abc:example.org?via=other.org",
                "!abc:example.org",
            ),
            (
                "https://matrix.to/#/!abc:example.org/$event?via=other.org",
                "!abc:example.org",
            ),
            ("matrix:r/room:example.org", "#room:example.org"),
            (
                "matrix:roomid/abc:example.org?via=other.org",
                "!abc:example.org",
            ),
        ] {
            assert_eq!(
                classify(link),
                LinkTarget::Room {
                    id: id.into(),
                    link: link.into()
                },
                "{link}"
            );
        }
        assert_eq!(
            classify("https://matrix.to/#/@alice:example.org"),
            LinkTarget::User("@alice:example.org".into())
        );
        assert_eq!(
            classify("matrix:u/alice:example.org?action=chat"),
            LinkTarget::User("@alice:example.org".into())
        );
    }

    #[test]
    fn other_links_name_their_real_host() {
        assert_eq!(
            classify("https://example.org/notes?a=1#top"),
            external("https://example.org/notes?a=1#top", "example.org")
        );
        // What comes before an @ is a user name, not the host.
        assert_eq!(
            classify("https://bank.example.com@evil.example:8443/login"),
            external(
                "https://bank.example.com@evil.example:8443/login",
                "evil.example:8443"
            )
        );
        // An internationalised host shows in the ASCII form it really has.
        assert_eq!(
            classify("https://pаypal.example/"),
            external("https://xn--pypal-4ve.example/", "xn--pypal-4ve.example")
        );
        assert_eq!(
            classify("HTTP://Example.ORG"),
            external("http://example.org/", "example.org")
        );
        assert_eq!(
            classify("mailto:bob@example.org?subject=hi"),
            external("mailto:bob@example.org?subject=hi", "example.org")
        );
        // matrix.to's own pages are web pages.
        assert_eq!(
            classify("https://matrix.to/"),
            external("https://matrix.to/", "matrix.to")
        );
    }

    #[test]
    fn other_schemes_are_not_opened() {
        for link in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "data:text/html,hi",
            "sotto:reveal",
            "ftp://example.org/",
            "matrix:nonsense",
            "not a link",
            "",
        ] {
            assert_eq!(classify(link), LinkTarget::Unsupported, "{link}");
        }
    }
}
