//! Making the conversation's entries from matrix-sdk-ui's timeline items: the text turned
//! into safe markup, names disambiguated, changes to the room typed.

use matrix_sdk::deserialized_responses::VerificationState;
use matrix_sdk::ruma::UserId;
use matrix_sdk::ruma::events::room::message::{MessageFormat, MessageType};
use matrix_sdk_ui::timeline::{
    AnyOtherStateEventContentChange, EventSendState, EventTimelineItem, MembershipChange,
    MsgLikeKind, Profile, TimelineDetails, TimelineItem, TimelineItemContent, TimelineItemKind,
    VirtualTimelineItem,
};

use super::*;
use crate::engine::html::{html_to_markup_with_spoilers, plain_to_markup};

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
                    Body::Attachment(Attachment::Sticker(Box::new(Media::of_sticker(
                        sticker.content(),
                    )))),
                    false,
                ),
                MsgLikeKind::Poll(_) => (Body::Unsupported(Unsupported::Poll), false),
                MsgLikeKind::LiveLocation(_) => (Body::Attachment(Attachment::LiveLocation), false),
                MsgLikeKind::Other(other) => (
                    Body::Unsupported(Unsupported::Event(one_line(
                        &other.event_type().to_string(),
                        80,
                    ))),
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
                    event_id: reply.event_id.clone(),
                    sender_name,
                    text,
                }
            });
            let reactions = msg
                .reactions
                .iter()
                .map(|(key, by_sender)| Reaction {
                    key: one_line(key, 40),
                    senders: by_sender.keys().cloned().collect(),
                    own: by_sender.contains_key(own_user),
                })
                .collect();
            (body, edited, reply_to, reactions)
        }
        TimelineItemContent::FailedToParseMessageLike { .. }
        | TimelineItemContent::FailedToParseState { .. } => (
            Body::Unsupported(Unsupported::Malformed),
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
    let upload = match event.send_state() {
        Some(EventSendState::NotSentYet {
            progress: Some(progress),
        }) => Some(UploadProgress {
            sent: progress.progress.current as u64,
            total: progress.progress.total as u64,
        }),
        _ => None,
    };
    let is_message = matches!(
        body,
        Body::Text { .. } | Body::Emote { .. } | Body::Notice { .. } | Body::Attachment(_)
    );
    let sent = event.event_id().is_some();
    EventEntry {
        id: ItemId(event.identifier()),
        event_id: event.event_id().map(ToOwned::to_owned),
        sender: event.sender().to_owned(),
        sender_name: shown_name(event.sender(), event.sender_profile()),
        sender_avatar: match event.sender_profile() {
            TimelineDetails::Ready(profile) => profile.avatar_url.clone(),
            _ => None,
        },
        is_own: event.is_own(),
        timestamp_ms: u64::from(event.timestamp().0),
        reply_to,
        edited,
        reactions,
        read_by: event
            .read_receipts()
            .keys()
            .filter(|user| user.as_str() != own_user.as_str())
            .cloned()
            .collect(),
        encrypted: event.encryption_info().is_some(),
        sender_verified: event
            .encryption_info()
            .is_some_and(|info| matches!(info.verification_state, VerificationState::Verified)),
        highlighted: event.is_highlighted(),
        can_reply: is_message && event.can_be_replied_to(),
        can_edit: event.is_editable() && matches!(body, Body::Text { .. } | Body::Emote { .. }),
        can_remove: event.is_own() && !matches!(body, Body::Removed | Body::State(_)),
        can_react: is_message && sent,
        send_state,
        upload,
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
        MessageType::Image(image) => Body::Attachment(Attachment::Image(Box::new(
            Media::new(image.filename(), image.caption(), &image.source)
                .with_image_info(image.info.as_deref()),
        ))),
        MessageType::Video(video) => {
            let mut media = Media::new(video.filename(), video.caption(), &video.source);
            if let Some(info) = video.info.as_deref() {
                media.mimetype = info.mimetype.as_deref().map(|m| one_line(m, 100));
                media.size = info.size.map(u64::from);
                media.width = info.width.and_then(|v| u32::try_from(u64::from(v)).ok());
                media.height = info.height.and_then(|v| u32::try_from(u64::from(v)).ok());
                media.thumbnail = info.thumbnail_source.clone().map(MediaRef);
            }
            Body::Attachment(Attachment::Video(Box::new(media)))
        }
        MessageType::Audio(audio) => {
            let mut media = Media::new(audio.filename(), audio.caption(), &audio.source);
            if let Some(info) = audio.info.as_deref() {
                media.mimetype = info.mimetype.as_deref().map(|m| one_line(m, 100));
                media.size = info.size.map(u64::from);
            }
            Body::Attachment(Attachment::Audio(Box::new(media)))
        }
        MessageType::File(file) => {
            let mut media = Media::new(file.filename(), file.caption(), &file.source);
            if let Some(info) = file.info.as_deref() {
                media.mimetype = info.mimetype.as_deref().map(|m| one_line(m, 100));
                media.size = info.size.map(u64::from);
                media.thumbnail = info.thumbnail_source.clone().map(MediaRef);
            }
            Body::Attachment(Attachment::File(Box::new(media)))
        }
        MessageType::Location(location) => {
            Body::Attachment(Attachment::Location(one_line(&location.body, 200)))
        }
        // Its body is a fallback for clients without in-room verification; Sotto has it
        // (the request itself opens the verification dialog).
        MessageType::VerificationRequest(request) => {
            Body::State(StateChange::VerificationRequest {
                user: one_line(request.to.as_str(), 200),
            })
        }
        other => Body::Text {
            markup: plain_to_markup(other.body()),
            revealed: None,
            plain: strip_direction_overrides(other.body()),
        },
    }
}

/// One line of what a replied-to event says.
fn reply_text(content: &TimelineItemContent) -> ReplyText {
    match content {
        TimelineItemContent::MsgLike(msg) => match &msg.kind {
            MsgLikeKind::Message(message) => ReplyText::Message(one_line(message.body(), 200)),
            MsgLikeKind::Redacted => ReplyText::Removed,
            MsgLikeKind::UnableToDecrypt(_) => ReplyText::Encrypted,
            _ => ReplyText::Other,
        },
        _ => ReplyText::Other,
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

fn state_summary(content: &TimelineItemContent, event: &EventTimelineItem) -> StateChange {
    let actor = shown_name(event.sender(), event.sender_profile());
    match content {
        TimelineItemContent::MembershipChange(change) => {
            let user = change
                .display_name()
                .map(|n| one_line(&n, 100))
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| change.user_id().to_string());
            let change = match change.change() {
                Some(MembershipChange::Joined | MembershipChange::InvitationAccepted) => {
                    MemberChange::Joined
                }
                Some(MembershipChange::Left) => MemberChange::Left,
                Some(MembershipChange::Banned | MembershipChange::KickedAndBanned) => {
                    MemberChange::Banned
                }
                Some(MembershipChange::Unbanned) => MemberChange::Unbanned,
                Some(MembershipChange::Kicked) => MemberChange::Removed,
                Some(MembershipChange::Invited) => MemberChange::Invited,
                Some(MembershipChange::InvitationRejected) => MemberChange::Declined,
                Some(MembershipChange::InvitationRevoked) => MemberChange::InvitationWithdrawn,
                Some(MembershipChange::Knocked) => MemberChange::Knocked,
                _ => MemberChange::Other,
            };
            StateChange::Member {
                actor,
                user,
                change,
            }
        }
        TimelineItemContent::ProfileChange(change) => {
            let user = change.user_id().to_string();
            match change.displayname_change() {
                Some(names) => match &names.new {
                    Some(new) => StateChange::NameSet {
                        user,
                        name: one_line(new, 100),
                    },
                    None => StateChange::NameRemoved { user },
                },
                None => StateChange::AvatarChanged { user },
            }
        }
        TimelineItemContent::OtherState(state) => {
            let change = match state.content() {
                AnyOtherStateEventContentChange::RoomName(_) => RoomChange::Name,
                AnyOtherStateEventContentChange::RoomTopic(_) => RoomChange::Topic,
                AnyOtherStateEventContentChange::RoomAvatar(_) => RoomChange::Avatar,
                AnyOtherStateEventContentChange::RoomCreate(_) => RoomChange::Created,
                AnyOtherStateEventContentChange::RoomEncryption(_) => RoomChange::Encryption,
                AnyOtherStateEventContentChange::RoomPowerLevels(_) => RoomChange::PowerLevels,
                AnyOtherStateEventContentChange::RoomJoinRules(_) => RoomChange::JoinRules,
                AnyOtherStateEventContentChange::RoomHistoryVisibility(_) => {
                    RoomChange::HistoryVisibility
                }
                AnyOtherStateEventContentChange::RoomCanonicalAlias(_) => RoomChange::Address,
                _ => RoomChange::Other,
            };
            StateChange::Room { actor, change }
        }
        TimelineItemContent::CallInvite | TimelineItemContent::RtcNotification { .. } => {
            StateChange::Call { actor }
        }
        // Handled before this is called (`event_entry`): never a state change.
        TimelineItemContent::MsgLike(_)
        | TimelineItemContent::FailedToParseMessageLike { .. }
        | TimelineItemContent::FailedToParseState { .. } => StateChange::Room {
            actor,
            change: RoomChange::Other,
        },
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
            Body::State(StateChange::VerificationRequest {
                user: "@alice:localhost".to_owned()
            })
        );
    }
}
