//! Turning what the person typed into a homeserver, and telling precisely why a server
//! could not be used: nothing answered, something that is not Matrix answered, or its
//! TLS certificate was refused. Plain HTTP is used only to reach this computer itself.

use std::time::Duration;

use matrix_sdk::reqwest;
use url::Url;

use super::{EngineError, Result};

/// A parsed username: a bare localpart, or a full Matrix ID with its server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username {
    /// The part before the colon, without the `@`.
    pub localpart: String,
    /// The server name of a full Matrix ID.
    pub server: Option<String>,
}

/// Parses `alice`, `@alice` or `@alice:example.org`.
pub fn parse_username(input: &str) -> Result<Username> {
    let trimmed = input.trim();
    let without_at = trimmed.strip_prefix('@').unwrap_or(trimmed);
    let (localpart, server) = match without_at.split_once(':') {
        Some((local, server)) => (local, Some(server)),
        None => (without_at, None),
    };
    let valid_local = !localpart.is_empty()
        && localpart
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._=-/+".contains(c));
    if !valid_local || server.is_some_and(|s| s.is_empty() || s.contains(char::is_whitespace)) {
        return Err(EngineError::InvalidUsername(trimmed.to_owned()));
    }
    Ok(Username {
        localpart: localpart.to_owned(),
        server: server.map(str::to_owned),
    })
}

/// The homeserver to contact: what was typed, or else the server of a full Matrix ID.
pub fn homeserver_input(homeserver: &str, username: &Username) -> Result<String> {
    let typed = homeserver.trim().trim_end_matches('/');
    if !typed.is_empty() {
        if typed.contains(char::is_whitespace) {
            return Err(EngineError::InvalidHomeserver(typed.to_owned()));
        }
        // Checked before anything is sent: the SDK's discovery would otherwise ask the
        // host for its `.well-known` over that plain connection first.
        if typed
            .get(..7)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"))
        {
            let url =
                Url::parse(typed).map_err(|_| EngineError::InvalidHomeserver(typed.to_owned()))?;
            check_transport(&url)?;
        }
        return Ok(typed.to_owned());
    }
    username
        .server
        .clone()
        .ok_or_else(|| EngineError::InvalidHomeserver(String::new()))
}

/// Refuses a homeserver URL that is plain HTTP to a host other than this computer (a
/// loopback address or `localhost`): on any other host the network between could read
/// and change everything, the password and access token included.
pub fn check_transport(url: &Url) -> Result<()> {
    if url.scheme() != "http" || is_loopback(url) {
        return Ok(());
    }
    Err(EngineError::InsecureHomeserver(
        url.host_str().unwrap_or_default().to_owned(),
    ))
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => {
            let name = name.strip_suffix('.').unwrap_or(name);
            name.eq_ignore_ascii_case("localhost")
        }
        None => false,
    }
}

/// Asks the server directly why it cannot be used as a homeserver, after the SDK's own
/// discovery failed (the SDK reports only that discovery failed, not why).
pub async fn diagnose(input: &str) -> EngineError {
    let url = if input.starts_with("http://") || input.starts_with("https://") {
        input.to_owned()
    } else {
        format!("https://{input}")
    };
    let Ok(base) = Url::parse(&url) else {
        return EngineError::InvalidHomeserver(input.to_owned());
    };
    let Ok(versions) = base.join("/_matrix/client/versions") else {
        return EngineError::InvalidHomeserver(input.to_owned());
    };
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
    {
        Ok(client) => client,
        Err(err) => return EngineError::matrix(err),
    };
    match client.get(versions).send().await {
        Ok(response) => {
            let is_matrix = response.status().is_success()
                && response.bytes().await.is_ok_and(|body| {
                    serde_json::from_slice::<serde_json::Value>(&body)
                        .is_ok_and(|v| v.get("versions").is_some_and(|v| v.is_array()))
                });
            if is_matrix {
                // It answers as Matrix now; the earlier failure was passing.
                EngineError::Unreachable("the homeserver did not answer in time".into())
            } else {
                EngineError::NotMatrix
            }
        }
        Err(err) if is_certificate_error(&err) => EngineError::BadCertificate,
        Err(err) => EngineError::Unreachable(Box::new(err)),
    }
}

fn is_certificate_error(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        let text = e.to_string().to_ascii_lowercase();
        if text.contains("certificate") || text.contains("invalid peer") || text.contains("tls") {
            return true;
        }
        source = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(
            parse_username(" alice ").unwrap(),
            Username {
                localpart: "alice".into(),
                server: None
            }
        );
        assert_eq!(
            parse_username("@bob:example.org")
                .unwrap()
                .server
                .as_deref(),
            Some("example.org")
        );
        assert_eq!(
            parse_username("@bob:127.0.0.1:8008")
                .unwrap()
                .server
                .as_deref(),
            Some("127.0.0.1:8008")
        );
        for bad in ["", "@", "Alice Smith", "al!ce", "@bob:", "bob:ex ample"] {
            assert!(parse_username(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn a_full_matrix_id_fills_in_the_server() {
        let user = parse_username("@bob:example.org").unwrap();
        assert_eq!(homeserver_input("", &user).unwrap(), "example.org");
        assert_eq!(
            homeserver_input("https://matrix.example.net/", &user).unwrap(),
            "https://matrix.example.net"
        );
        let bare = parse_username("bob").unwrap();
        assert!(homeserver_input("  ", &bare).is_err());
    }

    #[test]
    fn plain_http_only_to_this_computer() {
        let user = parse_username("bob").unwrap();
        for allowed in [
            "http://127.0.0.1:8008",
            "http://127.1.2.3",
            "http://[::1]:8008",
            "http://localhost:8008",
            "HTTP://LocalHost",
            "https://example.org",
            "example.org",
            "127.0.0.1:8008",
        ] {
            assert!(
                homeserver_input(allowed, &user).is_ok(),
                "{allowed:?} should be allowed"
            );
        }
        for refused in [
            "http://example.org",
            "HTTP://example.org:8008",
            "http://192.168.1.2",
            "http://[::2]",
            "http://localhost.example.org",
            "http://0.0.0.0:8008",
        ] {
            assert!(
                matches!(
                    homeserver_input(refused, &user),
                    Err(EngineError::InsecureHomeserver(_))
                ),
                "{refused:?} should be refused"
            );
        }
        let from_well_known = Url::parse("http://matrix.example.org:8008/").unwrap();
        assert!(matches!(
            check_transport(&from_well_known),
            Err(EngineError::InsecureHomeserver(host)) if host == "matrix.example.org"
        ));
        assert!(check_transport(&Url::parse("https://matrix.example.org").unwrap()).is_ok());
        assert!(check_transport(&Url::parse("http://127.0.0.1:8008").unwrap()).is_ok());
    }
}
