//! What the conversation view shows of a timeline item: plain values (text already turned
//! into safe markup, names already disambiguated) computed off the UI thread, so binding a
//! row costs the UI nothing but setting labels.

use matrix_sdk::ruma::UserId;
use matrix_sdk::ruma::events::room::message::{MessageFormat, MessageType};
use matrix_sdk_ui::timeline::{
    AnyOtherStateEventContentChange, EventSendState, EventTimelineItem, MembershipChange,
    MsgLikeKind, Profile, TimelineDetails, TimelineEventItemId, TimelineItem, TimelineItemContent,
    TimelineItemKind, VirtualTimelineItem,
};

use crate::engine::bidi::strip_direction_overrides;
use crate::engine::html::{html_to_markup_with_spoilers, plain_to_markup};
use crate::i18n::{gettext, gettext_f};

/// Identifies an event of the timeline (a local echo or a remote event) for actions on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemId(pub(crate) TimelineEventItemId);

/// One row of the conversation.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Stable across updates of the same item.
    pub unique_id: String,
    /// What the row shows.
    pub kind: EntryKind,
}

/// The kinds of rows.
#[derive(Clone, Debug)]
pub enum EntryKind {
    /// The first event of a day follows; milliseconds since the Unix epoch.
    DayDivider(u64),
    /// Where the person stopped reading ("New messages" follow).
    ReadMarker,
    /// The very beginning of the room: nothing older exists.
    Start,
    /// An event.
    Event(Box<EventEntry>),
}

/// An event, ready to show.
#[derive(Clone, Debug)]
pub struct EventEntry {
    /// For actions on this event.
    pub id: ItemId,
    /// The event ID once the server knows the event.
    pub event_id: Option<String>,
    /// The sender's Matrix ID.
    pub sender: String,
    /// The sender's name as shown: the display name, with the Matrix ID when another member
    /// has the same name or the name looks like a Matrix ID.
    pub sender_name: String,
    /// Sent by this account.
    pub is_own: bool,
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// The content.
    pub body: Body,
    /// The message this one answers, if any.
    pub reply_to: Option<ReplyPreview>,
    /// The body was edited.
    pub edited: bool,
    /// Reactions, in the order they first came.
    pub reactions: Vec<Reaction>,
    /// Whether and how it reached the server.
    pub send_state: SendState,
    /// Members (other than this account) whose read receipt is on this event.
    pub read_by: Vec<String>,
    /// The event came end-to-end encrypted.
    pub encrypted: bool,
    /// It mentions this account (or matches a highlight rule).
    pub highlighted: bool,
    /// The person may reply to it.
    pub can_reply: bool,
    /// The person may edit it (own text messages).
    pub can_edit: bool,
    /// The person may remove it (own events; moderators are handled by the room).
    pub can_remove: bool,
    /// The person may react to it.
    pub can_react: bool,
}

impl EventEntry {
    /// The text to copy: the plain body of a message, or what the row says otherwise.
    pub fn copy_text(&self) -> Option<&str> {
        match &self.body {
            Body::Text { plain, .. } | Body::Emote { plain, .. } | Body::Notice { plain, .. } => {
                Some(plain)
            }
            _ => None,
        }
    }
}

/// The content of an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// A text message: safe Pango markup, and the plain body.
    Text {
        /// Pango markup, spoilers hidden.
        markup: String,
        /// The markup with its spoilers revealed; `None` when it has none.
        revealed: Option<String>,
        /// The plain-text body.
        plain: String,
    },
    /// `/me` does something.
    Emote {
        /// Pango markup, spoilers hidden.
        markup: String,
        /// The markup with its spoilers revealed; `None` when it has none.
        revealed: Option<String>,
        /// The plain-text body.
        plain: String,
    },
    /// A message from a bot or a service.
    Notice {
        /// Pango markup, spoilers hidden.
        markup: String,
        /// The markup with its spoilers revealed; `None` when it has none.
        revealed: Option<String>,
        /// The plain-text body.
        plain: String,
    },
    /// A file, image, video, sound or location: described, never loaded.
    Attachment(String),
    /// Removed by its sender or a moderator.
    Removed,
    /// Encrypted, and its key has not arrived (yet).
    Undecryptable,
    /// A change to the room or a member, summarised in one sentence.
    State(String),
    /// Something Sotto does not show (yet), or an event that is malformed.
    Unsupported(String),
}

/// The message a reply answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyPreview {
    /// The answered event's ID.
    pub event_id: String,
    /// Who wrote it, once known.
    pub sender_name: Option<String>,
    /// One line of it, once known.
    pub text: Option<String>,
}

/// One reaction key with who reacted with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reaction {
    /// The key (usually an emoji).
    pub key: String,
    /// Matrix IDs of those who reacted.
    pub senders: Vec<String>,
    /// This account reacted with it.
    pub own: bool,
}

/// Where a message is on its way to the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendState {
    /// Came from the server.
    Remote,
    /// Waiting in the send queue or being sent.
    Sending,
    /// The server accepted it; its remote echo has not come back yet.
    Sent,
    /// Sending failed. Recoverable failures are retried by themselves when the server
    /// answers again; others wait for Retry or Discard.
    Failed {
        /// Sotto retries by itself.
        will_retry: bool,
    },
}

/// Maps an SDK timeline item to what the view shows.
pub fn entry_of(item: &TimelineItem, own_user: &UserId) -> Entry {
    let kind = match item.kind() {
        TimelineItemKind::Virtual(VirtualTimelineItem::DateDivider(ts)) => {
            EntryKind::DayDivider(u64::from(ts.0))
        }
        TimelineItemKind::Virtual(VirtualTimelineItem::ReadMarker) => EntryKind::ReadMarker,
        TimelineItemKind::Virtual(VirtualTimelineItem::TimelineStart) => EntryKind::Start,
        TimelineItemKind::Event(event) => EntryKind::Event(Box::new(event_entry(event, own_user))),
    };
    Entry {
        unique_id: item.unique_id().0.clone(),
        kind,
    }
}

fn event_entry(event: &EventTimelineItem, own_user: &UserId) -> EventEntry {
    let content = event.content();
    let (body, edited, reply_to, reactions) = match content {
        TimelineItemContent::MsgLike(msg) => {
            let (body, edited) = match &msg.kind {
                MsgLikeKind::Message(message) => (
                    message_body(message.msgtype(), sent_html(event).as_deref()),
                    message.is_edited(),
                ),
                MsgLikeKind::Redacted => (Body::Removed, false),
                MsgLikeKind::UnableToDecrypt(_) => (Body::Undecryptable, false),
                MsgLikeKind::Sticker(sticker) => (
                    Body::Attachment(gettext_f(
                        "Sticker: {name}",
                        &[("name", &one_line(&sticker.content().body, 200))],
                    )),
                    false,
                ),
                MsgLikeKind::Poll(_) => (
                    Body::Unsupported(gettext("A poll (Sotto cannot show polls yet)")),
                    false,
                ),
                MsgLikeKind::LiveLocation(_) => {
                    (Body::Attachment(gettext("Shared a live location")), false)
                }
                MsgLikeKind::Other(other) => (
                    Body::Unsupported(gettext_f(
                        "An event of type {type} (Sotto cannot show it)",
                        &[("type", &one_line(&other.event_type().to_string(), 80))],
                    )),
                    false,
                ),
            };
            let reply_to = msg.in_reply_to.as_ref().map(|reply| {
                let (sender_name, text) = match &reply.event {
                    TimelineDetails::Ready(embedded) => (
                        Some(shown_name(&embedded.sender, &embedded.sender_profile)),
                        Some(reply_text(&embedded.content)),
                    ),
                    _ => (None, None),
                };
                ReplyPreview {
                    event_id: reply.event_id.to_string(),
                    sender_name,
                    text,
                }
            });
            let reactions = msg
                .reactions
                .iter()
                .map(|(key, by_sender)| Reaction {
                    key: one_line(key, 40),
                    senders: by_sender.keys().map(|u| u.to_string()).collect(),
                    own: by_sender.contains_key(own_user),
                })
                .collect();
            (body, edited, reply_to, reactions)
        }
        TimelineItemContent::FailedToParseMessageLike { .. }
        | TimelineItemContent::FailedToParseState { .. } => (
            Body::Unsupported(gettext("A malformed event that Sotto cannot show")),
            false,
            None,
            Vec::new(),
        ),
        other => (
            Body::State(state_summary(other, event)),
            false,
            None,
            Vec::new(),
        ),
    };
    let send_state = match event.send_state() {
        None => SendState::Remote,
        Some(EventSendState::NotSentYet { .. }) => SendState::Sending,
        Some(EventSendState::Sent { .. }) => SendState::Sent,
        Some(EventSendState::SendingFailed { is_recoverable, .. }) => SendState::Failed {
            will_retry: *is_recoverable,
        },
    };
    let is_message = matches!(
        body,
        Body::Text { .. } | Body::Emote { .. } | Body::Notice { .. } | Body::Attachment(_)
    );
    let sent = event.event_id().is_some();
    EventEntry {
        id: ItemId(event.identifier()),
        event_id: event.event_id().map(|e| e.to_string()),
        sender: event.sender().to_string(),
        sender_name: shown_name(event.sender(), event.sender_profile()),
        is_own: event.is_own(),
        timestamp_ms: u64::from(event.timestamp().0),
        reply_to,
        edited,
        reactions,
        read_by: event
            .read_receipts()
            .keys()
            .filter(|user| user.as_str() != own_user.as_str())
            .map(|user| user.to_string())
            .collect(),
        encrypted: event.encryption_info().is_some(),
        highlighted: event.is_highlighted(),
        can_reply: is_message && event.can_be_replied_to(),
        can_edit: event.is_editable() && matches!(body, Body::Text { .. } | Body::Emote { .. }),
        can_remove: event.is_own() && !matches!(body, Body::Removed | Body::State(_)),
        can_react: is_message && sent,
        send_state,
        body,
    }
}

/// The HTML body as the sender sent it (of the latest edit, if any). matrix-sdk-ui hands
/// over a body it has already cleaned, which keeps the text of removed elements such as
/// `<script>`; Sotto's own sanitiser drops those with their content, so it reads the
/// original.
fn sent_html(event: &EventTimelineItem) -> Option<String> {
    let content = match event.latest_edit_json() {
        Some(edit) => edit
            .get_field::<serde_json::Value>("content")
            .ok()??
            .get("m.new_content")?
            .clone(),
        None => event
            .original_json()?
            .get_field::<serde_json::Value>("content")
            .ok()??,
    };
    if content.get("format")?.as_str()? != "org.matrix.custom.html" {
        return None;
    }
    content.get("formatted_body")?.as_str().map(str::to_owned)
}

fn message_body(msgtype: &MessageType, sent_html: Option<&str>) -> Body {
    let markup_of =
        |body: &str, formatted: Option<&matrix_sdk::ruma::events::room::message::FormattedBody>| {
            match (sent_html, formatted) {
                (Some(html), Some(f)) if f.format == MessageFormat::Html => {
                    html_to_markup_with_spoilers(html)
                }
                (_, Some(f)) if f.format == MessageFormat::Html => {
                    html_to_markup_with_spoilers(&f.body)
                }
                _ => (plain_to_markup(body), None),
            }
        };
    match msgtype {
        MessageType::Text(text) => {
            let (markup, revealed) = markup_of(&text.body, text.formatted.as_ref());
            Body::Text {
                markup,
                revealed,
                plain: strip_direction_overrides(&text.body),
            }
        }
        MessageType::Emote(emote) => {
            let (markup, revealed) = markup_of(&emote.body, emote.formatted.as_ref());
            Body::Emote {
                markup,
                revealed,
                plain: strip_direction_overrides(&emote.body),
            }
        }
        MessageType::Notice(notice) => {
            let (markup, revealed) = markup_of(&notice.body, notice.formatted.as_ref());
            Body::Notice {
                markup,
                revealed,
                plain: strip_direction_overrides(&notice.body),
            }
        }
        MessageType::Image(image) => Body::Attachment(gettext_f(
            "Image: {name}",
            &[("name", &one_line(&image.body, 200))],
        )),
        MessageType::Video(video) => Body::Attachment(gettext_f(
            "Video: {name}",
            &[("name", &one_line(&video.body, 200))],
        )),
        MessageType::Audio(audio) => Body::Attachment(gettext_f(
            "Audio: {name}",
            &[("name", &one_line(&audio.body, 200))],
        )),
        MessageType::File(file) => Body::Attachment(gettext_f(
            "File: {name}",
            &[("name", &one_line(&file.body, 200))],
        )),
        MessageType::Location(location) => Body::Attachment(gettext_f(
            "Location: {name}",
            &[("name", &one_line(&location.body, 200))],
        )),
        // Its body is a fallback for clients without in-room verification; Sotto has it
        // (the request itself opens the verification dialog).
        MessageType::VerificationRequest(request) => Body::State(gettext_f(
            "Verification request for {user}",
            &[("user", &one_line(request.to.as_str(), 200))],
        )),
        other => Body::Text {
            markup: plain_to_markup(other.body()),
            revealed: None,
            plain: strip_direction_overrides(other.body()),
        },
    }
}

/// One line of what a replied-to event says.
fn reply_text(content: &TimelineItemContent) -> String {
    match content {
        TimelineItemContent::MsgLike(msg) => match &msg.kind {
            MsgLikeKind::Message(message) => one_line(message.body(), 200),
            MsgLikeKind::Redacted => gettext("Message removed"),
            MsgLikeKind::UnableToDecrypt(_) => gettext("Encrypted message"),
            _ => gettext("A message"),
        },
        _ => gettext("A message"),
    }
}

/// The name to show for `user`: the display name (without direction overrides), followed by
/// the Matrix ID when the name is ambiguous or could pass for someone's Matrix ID.
pub fn shown_name(user: &UserId, profile: &TimelineDetails<Profile>) -> String {
    let TimelineDetails::Ready(profile) = profile else {
        return user.to_string();
    };
    let Some(name) = profile.display_name.as_deref() else {
        return user.to_string();
    };
    let name = one_line(name, 100);
    if name.is_empty() {
        return user.to_string();
    }
    let looks_like_an_id = name.starts_with('@') && name.contains(':');
    if profile.display_name_ambiguous || looks_like_an_id {
        format!("{name} ({user})")
    } else {
        name
    }
}

/// The first line of `text`, without direction overrides, at most `max` characters.
fn one_line(text: &str, max: usize) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    let clean = strip_direction_overrides(line);
    if clean.chars().count() > max {
        let mut short: String = clean.chars().take(max).collect();
        short.push('…');
        short
    } else {
        clean
    }
}

fn state_summary(content: &TimelineItemContent, event: &EventTimelineItem) -> String {
    let actor = shown_name(event.sender(), event.sender_profile());
    match content {
        TimelineItemContent::MembershipChange(change) => {
            let target = change
                .display_name()
                .map(|n| one_line(&n, 100))
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| change.user_id().to_string());
            let args = [("actor", actor.as_str()), ("user", target.as_str())];
            match change.change() {
                Some(MembershipChange::Joined) | Some(MembershipChange::InvitationAccepted) => {
                    gettext_f("{user} joined", &args)
                }
                Some(MembershipChange::Left) => gettext_f("{user} left", &args),
                Some(MembershipChange::Banned) | Some(MembershipChange::KickedAndBanned) => {
                    gettext_f("{actor} banned {user}", &args)
                }
                Some(MembershipChange::Unbanned) => gettext_f("{actor} unbanned {user}", &args),
                Some(MembershipChange::Kicked) => gettext_f("{actor} removed {user}", &args),
                Some(MembershipChange::Invited) => gettext_f("{actor} invited {user}", &args),
                Some(MembershipChange::InvitationRejected) => {
                    gettext_f("{user} declined the invitation", &args)
                }
                Some(MembershipChange::InvitationRevoked) => {
                    gettext_f("{actor} withdrew the invitation of {user}", &args)
                }
                Some(MembershipChange::Knocked) => gettext_f("{user} asked to join", &args),
                _ => gettext_f("{user}'s membership changed", &args),
            }
        }
        TimelineItemContent::ProfileChange(change) => {
            let user = change.user_id().to_string();
            match change.displayname_change() {
                Some(names) => match (&names.old, &names.new) {
                    (_, Some(new)) => gettext_f(
                        "{user} is now called {name}",
                        &[("user", &user), ("name", &one_line(new, 100))],
                    ),
                    (_, None) => gettext_f("{user} removed their name", &[("user", &user)]),
                },
                None => gettext_f("{user} changed their avatar", &[("user", &user)]),
            }
        }
        TimelineItemContent::OtherState(state) => {
            let args = [("actor", actor.as_str())];
            match state.content() {
                AnyOtherStateEventContentChange::RoomName(_) => {
                    gettext_f("{actor} renamed the room", &args)
                }
                AnyOtherStateEventContentChange::RoomTopic(_) => {
                    gettext_f("{actor} changed the topic", &args)
                }
                AnyOtherStateEventContentChange::RoomAvatar(_) => {
                    gettext_f("{actor} changed the room's picture", &args)
                }
                AnyOtherStateEventContentChange::RoomCreate(_) => {
                    gettext_f("{actor} created the room", &args)
                }
                AnyOtherStateEventContentChange::RoomEncryption(_) => {
                    gettext_f("{actor} turned on end-to-end encryption", &args)
                }
                AnyOtherStateEventContentChange::RoomPowerLevels(_) => {
                    gettext_f("{actor} changed who may do what", &args)
                }
                AnyOtherStateEventContentChange::RoomJoinRules(_) => {
                    gettext_f("{actor} changed who may join", &args)
                }
                AnyOtherStateEventContentChange::RoomHistoryVisibility(_) => {
                    gettext_f("{actor} changed who may read the history", &args)
                }
                AnyOtherStateEventContentChange::RoomCanonicalAlias(_) => {
                    gettext_f("{actor} changed the room's address", &args)
                }
                _ => gettext_f("{actor} changed the room's settings", &args),
            }
        }
        TimelineItemContent::CallInvite | TimelineItemContent::RtcNotification { .. } => gettext_f(
            "{actor} started a call (Sotto cannot join calls)",
            &[("actor", &actor)],
        ),
        TimelineItemContent::MsgLike(_)
        | TimelineItemContent::FailedToParseMessageLike { .. }
        | TimelineItemContent::FailedToParseState { .. } => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use matrix_sdk::ruma::events::key::verification::VerificationMethod;
    use matrix_sdk::ruma::events::room::message::KeyVerificationRequestEventContent;
    use matrix_sdk::ruma::{owned_device_id, owned_user_id};

    use super::*;

    #[test]
    fn a_verification_request_is_a_line_not_its_fallback_text() {
        let request = MessageType::VerificationRequest(KeyVerificationRequestEventContent::new(
            "your client does not support in-chat key verification".to_owned(),
            vec![VerificationMethod::SasV1],
            owned_device_id!("DEVICE"),
            owned_user_id!("@alice:localhost"),
        ));
        assert_eq!(
            message_body(&request, None),
            Body::State("Verification request for @alice:localhost".to_owned())
        );
    }
}
