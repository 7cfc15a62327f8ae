//! What the room list shows of one room: its summary (name, avatar, counts, mode) and the
//! preview of its latest event, as typed values the UI turns into text.

use std::borrow::Cow;

use matrix_sdk::deserialized_responses::TimelineEventKind;
use matrix_sdk::latest_events::LatestEventValue;
use matrix_sdk::notification_settings::RoomNotificationMode;
use matrix_sdk::ruma::events::room::member::MembershipChange;
use matrix_sdk::ruma::events::room::message::{MessageFormat, MessageType};
use matrix_sdk::ruma::events::{
    AnyMessageLikeEventContent, AnySyncMessageLikeEvent, AnySyncStateEvent, AnySyncTimelineEvent,
    SyncMessageLikeEvent, SyncStateEvent,
};
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::ruma::{OwnedRoomId, OwnedUserId, UserId};
use matrix_sdk::{Room, RoomState};

use crate::engine::avatars::{self, Avatar};
use crate::engine::bidi::strip_direction_overrides;
use crate::engine::html::html_to_preview_text;
use crate::engine::timeline::entry::{Attachment, Media, MemberChange, StateChange, Unsupported};

/// What the list shows of a room's latest event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Preview {
    /// No event to show yet.
    Nothing,
    /// A message: who sent it and its plain-text body (one line, shortened).
    Message {
        /// The sender's Matrix ID.
        sender: String,
        /// The sender's display name in this room (their Matrix ID's localpart when they
        /// set none), on one line.
        sender_name: String,
        /// The person using Sotto sent it.
        own: bool,
        /// The body, on one line.
        body: String,
    },
    /// An encrypted message whose key has not arrived (yet).
    Encrypted,
    /// An invitation to this room.
    Invite,
    /// A sticker.
    Attachment(Attachment),
    /// A poll.
    Unsupported(Unsupported),
    /// A member joining, being invited or asking to join, or a call.
    State(StateChange),
    /// Some other event (a state change, a reaction…).
    Other,
}

/// One row of the room list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomSummary {
    /// The room ID.
    pub room_id: OwnedRoomId,
    /// The display name computed by the SDK (name, alias, or members).
    pub name: String,
    /// The latest event, as a preview.
    pub preview: Preview,
    /// When the latest event happened, in milliseconds since the Unix epoch.
    pub timestamp_ms: Option<u64>,
    /// Unread messages.
    pub unread: u64,
    /// Unread mentions and highlights.
    pub mentions: u64,
    /// The person is invited, not joined.
    pub is_invite: bool,
    /// A direct chat (the SDK's definition, the one its People filter uses).
    pub is_direct: bool,
    /// Messages in the room are end-to-end encrypted.
    pub is_encrypted: bool,
    /// The room carries the `m.favourite` tag.
    pub is_favourite: bool,
    /// The other person of a direct chat with exactly one, by Matrix ID.
    pub dm_partner: Option<OwnedUserId>,
    /// This account verified the identity of `dm_partner`.
    pub dm_partner_verified: bool,
    /// The person muted the room (its count is not shown, only a dot).
    pub is_muted: bool,
    /// The person marked the room as unread (`m.marked_unread`).
    pub is_marked_unread: bool,
    /// The room's picture (or the direct-chat partner's), with who set it.
    pub avatar: Option<Avatar>,
}

impl RoomSummary {
    /// The summary of `room` as it is now, without looking anything up: the sender of the
    /// latest message is named by their Matrix ID's localpart.
    pub fn of(room: &Room) -> Self {
        let own_user = room.own_user_id().to_owned();
        let preview = if room.state() == RoomState::Invited {
            Preview::Invite
        } else {
            match room.latest_event() {
                LatestEventValue::None => Preview::Nothing,
                LatestEventValue::RemoteInvite { .. } => Preview::Invite,
                LatestEventValue::Remote(event) => preview_of(&event.kind, &own_user),
                LatestEventValue::LocalIsSending(local)
                | LatestEventValue::LocalHasBeenSent { value: local, .. }
                | LatestEventValue::LocalCannotBeSent(local) => match local.content.deserialize() {
                    Ok(AnyMessageLikeEventContent::RoomMessage(content)) => Preview::Message {
                        sender: own_user.to_string(),
                        sender_name: localpart(&own_user),
                        own: true,
                        body: one_line(&body_of(&content.msgtype)),
                    },
                    _ => Preview::Other,
                },
            }
        };
        let dm_partner = dm_partner(room);
        Self {
            avatar: avatars::room_avatar_quick(room, dm_partner.as_deref()),
            room_id: room.room_id().to_owned(),
            name: room.cached_display_name().map_or_else(
                || room.room_id().to_string(),
                |n| clean_name(&n.to_string()),
            ),
            preview,
            timestamp_ms: room.latest_event_timestamp().map(|t| u64::from(t.0)),
            unread: room.num_unread_messages(),
            mentions: room.num_unread_mentions(),
            is_invite: room.state() == RoomState::Invited,
            is_direct: room.is_dm(),
            is_encrypted: room.encryption_state().is_encrypted(),
            is_favourite: room.is_favourite(),
            dm_partner,
            dm_partner_verified: false,
            is_muted: room.cached_user_defined_notification_mode()
                == Some(RoomNotificationMode::Mute),
            is_marked_unread: room.is_marked_unread(),
        }
    }

    /// The summary of `room` with the latest message's sender named by their display name
    /// in the room, read from the local store.
    pub async fn load(room: &Room) -> Self {
        Self::of(room).completed(room).await
    }

    /// This summary of `room` (from [`RoomSummary::of`]) with what needs a store read: the
    /// sender's display name and the direct-chat partner's trust.
    pub(super) async fn completed(self, room: &Room) -> Self {
        let mut summary = self;
        if let Preview::Message {
            sender,
            sender_name,
            own: false,
            ..
        } = &mut summary.preview
            && let Some(name) = display_name(room, sender).await
        {
            *sender_name = name;
        }
        if let Some(partner) = &summary.dm_partner {
            summary.dm_partner_verified =
                crate::engine::trust::identities::is_verified_locally(&room.client(), partner)
                    .await;
        }
        if summary.avatar.is_some() || summary.dm_partner.is_some() {
            summary.avatar = avatars::room_avatar(
                room,
                summary.dm_partner.as_deref(),
                summary.dm_partner_verified,
            )
            .await;
        }
        summary
    }
}

/// The one other person of a direct chat, when there is exactly one.
fn dm_partner(room: &Room) -> Option<OwnedUserId> {
    if !room.is_dm() {
        return None;
    }
    let targets = room.direct_targets();
    let mut users = targets
        .iter()
        .filter_map(|t| t.as_user_id())
        .filter(|u| *u != room.own_user_id());
    let partner = users.next()?;
    users.next().is_none().then(|| partner.to_owned())
}

/// The display name of `sender` in `room`, from the member event the store holds (no
/// request to the server). A room the person is invited to holds only the stripped state
/// the invitation came with (the inviter's member event among it), which has no profile.
pub(crate) async fn display_name(room: &Room, sender: &str) -> Option<String> {
    let sender = UserId::parse(sender).ok()?;
    let name = if room.state() == RoomState::Invited {
        let member = room.get_member_no_sync(&sender).await.ok()??;
        clean_name(member.display_name()?)
    } else {
        let profile = room
            .client()
            .state_store()
            .get_profile(room.room_id(), &sender)
            .await
            .ok()??;
        clean_name(profile.content.displayname.as_deref()?)
    };
    (!name.is_empty()).then_some(name)
}

fn localpart(user: &UserId) -> String {
    user.localpart().to_owned()
}

fn body_of(msgtype: &MessageType) -> Cow<'_, str> {
    let (body, formatted) = match msgtype {
        MessageType::Text(text) => (text.body.as_str(), text.formatted.as_ref()),
        MessageType::Notice(notice) => (notice.body.as_str(), notice.formatted.as_ref()),
        MessageType::Emote(emote) => (emote.body.as_str(), emote.formatted.as_ref()),
        other => (other.body(), None),
    };
    // The plain body of a message with spoilers holds their text: the preview comes from
    // the formatted body instead, with each spoiler shown as its label.
    match formatted {
        Some(formatted)
            if formatted.format == MessageFormat::Html
                && formatted.body.contains("data-mx-spoiler") =>
        {
            Cow::Owned(html_to_preview_text(&formatted.body, PREVIEW_CHARS))
        }
        _ => Cow::Borrowed(body),
    }
}

fn preview_of(kind: &TimelineEventKind, own_user: &UserId) -> Preview {
    if matches!(kind, TimelineEventKind::UnableToDecrypt { .. }) {
        return Preview::Encrypted;
    }
    preview_of_event(kind.raw(), own_user)
}

/// The preview of a (decrypted or plain) event; the sender is named by their Matrix ID's
/// localpart.
pub(crate) fn preview_of_event(raw: &Raw<AnySyncTimelineEvent>, own_user: &UserId) -> Preview {
    // A malformed event is shown as "something happened", never trusted further.
    let Ok(event) = raw.deserialize() else {
        return Preview::Other;
    };
    match event {
        AnySyncTimelineEvent::MessageLike(AnySyncMessageLikeEvent::RoomMessage(message)) => {
            let Some(original) = message.as_original() else {
                return Preview::Other;
            };
            Preview::Message {
                sender: original.sender.to_string(),
                sender_name: localpart(&original.sender),
                own: original.sender == own_user,
                body: one_line(&body_of(&original.content.msgtype)),
            }
        }
        AnySyncTimelineEvent::MessageLike(AnySyncMessageLikeEvent::RoomEncrypted(_)) => {
            Preview::Encrypted
        }
        AnySyncTimelineEvent::MessageLike(AnySyncMessageLikeEvent::Sticker(
            SyncMessageLikeEvent::Original(sticker),
        )) => Preview::Attachment(Attachment::Sticker(Box::new(Media::of_sticker(
            &sticker.content,
        )))),
        AnySyncTimelineEvent::MessageLike(AnySyncMessageLikeEvent::UnstablePollStart(_)) => {
            Preview::Unsupported(Unsupported::Poll)
        }
        AnySyncTimelineEvent::MessageLike(
            AnySyncMessageLikeEvent::CallInvite(_) | AnySyncMessageLikeEvent::RtcNotification(_),
        ) => Preview::State(StateChange::Call {
            actor: localpart(event.sender()),
        }),
        AnySyncTimelineEvent::State(AnySyncStateEvent::RoomMember(SyncStateEvent::Original(
            member,
        ))) => {
            let user = member
                .content
                .displayname
                .as_deref()
                .map(clean_name)
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| localpart(&member.state_key));
            let actor = localpart(&member.sender);
            let change = match member.membership_change() {
                MembershipChange::Joined
                | MembershipChange::InvitationAccepted
                | MembershipChange::KnockAccepted => MemberChange::Joined,
                MembershipChange::Invited => MemberChange::Invited,
                MembershipChange::Knocked => MemberChange::Knocked,
                _ => return Preview::Other,
            };
            Preview::State(StateChange::Member {
                actor,
                user,
                change,
            })
        }
        _ => Preview::Other,
    }
}

/// How many characters of a message a preview keeps.
const PREVIEW_CHARS: usize = 200;

/// The first line of `body`, at most 200 characters, without direction-override marks that
/// could make the list lie about what follows.
fn one_line(body: &str) -> String {
    let line = body
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    strip_direction_overrides(line)
        .chars()
        .take(PREVIEW_CHARS)
        .collect()
}

/// A name on one line, at most 100 characters, without direction overrides or controls.
pub(crate) fn clean_name(name: &str) -> String {
    strip_direction_overrides(name)
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_are_one_safe_line() {
        assert_eq!(one_line("\n  hello \nworld"), "hello");
        assert_eq!(one_line("a\u{202E}evil"), "aevil");
        assert_eq!(one_line(&"x".repeat(1000)).len(), 200);
        assert_eq!(one_line(""), "");
    }

    #[test]
    fn a_preview_never_shows_a_spoiler() {
        use matrix_sdk::ruma::events::room::message::TextMessageEventContent;
        let message = MessageType::Text(TextMessageEventContent::html(
            "The ending: Rose dies",
            "The ending: <span data-mx-spoiler=\"book 3\">Rose dies</span>, <b>sadly</b>\
             <script>leak()</script><span data-mx-spoiler><i>deep</i> secret</span>",
        ));
        let preview = one_line(&body_of(&message));
        assert_eq!(
            preview, "The ending: [Spoiler: book 3] , sadly [Spoiler]",
            "{preview}"
        );
        for hidden in ["Rose", "leak", "deep", "secret"] {
            assert!(!preview.contains(hidden), "{preview}");
        }
        // Without spoilers, the plain body as sent.
        let plain = MessageType::Text(TextMessageEventContent::html("a *b*", "a <i>b</i>"));
        assert_eq!(one_line(&body_of(&plain)), "a *b*");
        // Deeply nested spoilers do not exhaust the stack.
        let deep = format!(
            "{}x{}",
            "<span data-mx-spoiler>".repeat(5000),
            "</span>".repeat(5000)
        );
        let nested = MessageType::Text(TextMessageEventContent::html("x", deep));
        assert_eq!(one_line(&body_of(&nested)), "[Spoiler]");
    }

    fn preview_of_json(json: serde_json::Value) -> Preview {
        let event = matrix_sdk::ruma::serde::Raw::new(&json)
            .unwrap()
            .cast_unchecked();
        let own = matrix_sdk::ruma::user_id!("@me:x");
        preview_of(&TimelineEventKind::PlainText { event }, own)
    }

    #[test]
    fn joins_invitations_and_calls_get_a_line_of_their_own() {
        let member = |sender: &str, target: &str, content: serde_json::Value| {
            serde_json::json!({
                "type": "m.room.member", "event_id": "$m", "origin_server_ts": 1,
                "sender": sender, "state_key": target, "content": content,
            })
        };
        let joined = member(
            "@frida:x",
            "@frida:x",
            serde_json::json!({"membership": "join", "displayname": "Frida\u{202E}"}),
        );
        assert_eq!(
            preview_of_json(joined),
            Preview::State(StateChange::Member {
                actor: "frida".into(),
                user: "Frida".into(),
                change: MemberChange::Joined
            })
        );
        let invited = member(
            "@me:x",
            "@otto:x",
            serde_json::json!({"membership": "invite"}),
        );
        assert_eq!(
            preview_of_json(invited),
            Preview::State(StateChange::Member {
                actor: "me".into(),
                user: "otto".into(),
                change: MemberChange::Invited
            })
        );
        let call = serde_json::json!({
            "type": "m.call.invite", "event_id": "$c", "origin_server_ts": 1,
            "sender": "@otto:x",
            "content": {"call_id": "1", "lifetime": 1000, "version": 0,
                        "offer": {"type": "offer", "sdp": ""}},
        });
        assert_eq!(
            preview_of_json(call),
            Preview::State(StateChange::Call {
                actor: "otto".into()
            })
        );
        // A member event with a wrongly typed field is "something happened", nothing more.
        let broken = member("@frida:x", "@frida:x", serde_json::json!({"membership": 7}));
        assert_eq!(preview_of_json(broken), Preview::Other);
    }

    #[test]
    fn names_are_one_safe_line() {
        assert_eq!(clean_name(" Ann\u{202E}a\nB "), "AnnaB");
        assert_eq!(clean_name(&"n".repeat(500)).len(), 100);
    }
}
