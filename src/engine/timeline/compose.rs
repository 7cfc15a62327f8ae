//! Turning what the person typed into message content: Markdown into a formatted body,
//! `/me` into an emote, and chosen members into intentional mentions (`m.mentions`) with
//! links to them in the formatted body.

use matrix_sdk::ruma::OwnedUserId;
use matrix_sdk::ruma::events::Mentions;
use matrix_sdk::ruma::events::room::message::{MessageType, RoomMessageEventContent};

/// A member the person picked from the completion list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mention {
    /// Their Matrix ID.
    pub user_id: OwnedUserId,
    /// The text inserted into the message for them (their display name).
    pub text: String,
}

/// A message as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outgoing {
    /// The text, Markdown allowed; `/me …` makes an emote, `//me` sends "/me" literally.
    pub text: String,
    /// Members mentioned by picking them; a mention whose text was deleted again is dropped.
    pub mentions: Vec<Mention>,
}

impl Outgoing {
    /// A plain message without mentions.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            mentions: Vec::new(),
        }
    }

    /// True when there is nothing to send.
    pub fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
    }
}

/// The event content for `outgoing`.
pub fn content_of(outgoing: &Outgoing) -> RoomMessageEventContent {
    let (is_emote, text) = match outgoing.text.strip_prefix("/me ") {
        Some(rest) => (true, rest.to_owned()),
        None => match outgoing.text.strip_prefix("//") {
            Some(rest) => (false, format!("/{rest}")),
            None => (false, outgoing.text.clone()),
        },
    };
    let text = text.trim_end().to_owned();
    let mut mentioned: Vec<OwnedUserId> = Vec::new();
    let mut markdown = text.clone();
    for mention in &outgoing.mentions {
        let Ok(user_id) = OwnedUserId::try_from(mention.user_id.as_str()) else {
            continue;
        };
        if mention.text.is_empty() || !text.contains(&mention.text) {
            continue;
        }
        if !mentioned.contains(&user_id) {
            // The first occurrence becomes a link to the member, as other clients expect.
            let link = format!(
                "[{}](https://matrix.to/#/{})",
                escape_link_text(&mention.text),
                user_id
            );
            markdown = markdown.replacen(&mention.text, &link, 1);
            mentioned.push(user_id);
        }
    }
    let mut content = if is_emote {
        RoomMessageEventContent::emote_markdown(&markdown)
    } else {
        RoomMessageEventContent::text_markdown(&markdown)
    };
    // The plain body is what was typed, not the link syntax made for the formatted body.
    match &mut content.msgtype {
        MessageType::Text(t) => t.body = text.clone(),
        MessageType::Emote(e) => e.body = text.clone(),
        _ => {}
    }
    content.add_mentions(Mentions::with_user_ids(mentioned))
}

/// `text` (a display name, chosen by its owner) as literal Markdown link text: every ASCII
/// punctuation character backslash-escaped, so that `<`, `&`, `*`, `` ` `` or `]` in a name
/// come out as text in the formatted body, never as HTML tags, entities or emphasis.
fn escape_link_text(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_punctuation() {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn formatted(content: &RoomMessageEventContent) -> String {
        match &content.msgtype {
            MessageType::Text(t) => t.formatted.as_ref().unwrap().body.clone(),
            MessageType::Emote(e) => e.formatted.as_ref().unwrap().body.clone(),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn mention_names_are_text_in_the_formatted_body() {
        let name = "<img src=x onerror=alert(1)> *bold* & [x](y) `c`";
        let outgoing = Outgoing {
            text: format!("hello {name}!"),
            mentions: vec![Mention {
                user_id: OwnedUserId::try_from("@eve:example.org").unwrap(),
                text: name.into(),
            }],
        };
        let content = content_of(&outgoing);
        let html = formatted(&content);
        assert!(
            html.contains(
                "<a href=\"https://matrix.to/#/@eve:example.org\">&lt;img src=x onerror=alert(1)&gt; *bold* &amp; [x](y) `c`</a>"
            ),
            "{html}"
        );
        assert!(!html.contains("<img") && !html.contains("<em>") && !html.contains("<code>"));
        match &content.msgtype {
            MessageType::Text(t) => assert_eq!(t.body, format!("hello {name}!")),
            other => panic!("unexpected {other:?}"),
        }
    }
}
