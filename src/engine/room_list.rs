//! The room list: matrix-sdk-ui's `RoomListService` entries, sorted by activity, turned
//! into plain summaries and streamed as diffs, never as whole new lists.

use eyeball_im::VectorDiff;
use futures_util::{Stream, StreamExt};
use matrix_sdk::deserialized_responses::TimelineEventKind;
use matrix_sdk::latest_events::LatestEventValue;
use matrix_sdk::ruma::events::room::message::MessageType;
use matrix_sdk::ruma::events::{AnySyncMessageLikeEvent, AnySyncTimelineEvent};
use matrix_sdk::{Room, RoomState};
use matrix_sdk_ui::room_list_service::RoomListItem;
use matrix_sdk_ui::room_list_service::filters::new_filter_non_left;

use super::html::strip_direction_overrides;
use super::sync::AccountSync;
use super::{EngineError, Result};

/// How many rooms the list loads at first; more come as the person scrolls.
pub const PAGE_SIZE: usize = 200;

/// What the list shows of a room's latest event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Preview {
    /// No event to show yet.
    Nothing,
    /// A message: who sent it and its plain-text body (one line, shortened).
    Message {
        /// The sender's Matrix ID.
        sender: String,
        /// The body, on one line.
        body: String,
    },
    /// An encrypted message whose key has not arrived (yet).
    Encrypted,
    /// An invitation to this room.
    Invite,
    /// Some other event (a state change, a reaction…).
    Other,
}

/// One row of the room list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomSummary {
    /// The room ID.
    pub room_id: String,
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
    /// A direct chat.
    pub is_direct: bool,
    /// Messages in the room are end-to-end encrypted.
    pub is_encrypted: bool,
}

impl RoomSummary {
    /// The summary of `room` as it is now.
    pub fn of(room: &Room) -> Self {
        let preview = match room.latest_event() {
            LatestEventValue::None => Preview::Nothing,
            LatestEventValue::RemoteInvite { .. } => Preview::Invite,
            LatestEventValue::Remote(event) => preview_of(&event.kind),
            LatestEventValue::LocalIsSending(_)
            | LatestEventValue::LocalHasBeenSent { .. }
            | LatestEventValue::LocalCannotBeSent(_) => Preview::Other,
        };
        let preview = if room.state() == RoomState::Invited {
            Preview::Invite
        } else {
            preview
        };
        Self {
            room_id: room.room_id().to_string(),
            name: room
                .cached_display_name()
                .map(|n| n.to_string())
                .unwrap_or_else(|| room.room_id().to_string()),
            preview,
            timestamp_ms: room.latest_event_timestamp().map(|t| u64::from(t.0)),
            unread: room.num_unread_messages(),
            mentions: room.num_unread_mentions(),
            is_invite: room.state() == RoomState::Invited,
            is_direct: room.direct_targets_length() > 0,
            is_encrypted: room.encryption_state().is_encrypted(),
        }
    }
}

fn preview_of(kind: &TimelineEventKind) -> Preview {
    if matches!(kind, TimelineEventKind::UnableToDecrypt { .. }) {
        return Preview::Encrypted;
    }
    // A malformed event is shown as "something happened", never trusted further.
    let Ok(event) = kind.raw().deserialize() else {
        return Preview::Other;
    };
    match event {
        AnySyncTimelineEvent::MessageLike(AnySyncMessageLikeEvent::RoomMessage(message)) => {
            let Some(original) = message.as_original() else {
                return Preview::Other;
            };
            let body = match &original.content.msgtype {
                MessageType::Text(text) => text.body.as_str(),
                MessageType::Notice(notice) => notice.body.as_str(),
                MessageType::Emote(emote) => emote.body.as_str(),
                other => other.body(),
            };
            Preview::Message {
                sender: original.sender.to_string(),
                body: one_line(body),
            }
        }
        AnySyncTimelineEvent::MessageLike(AnySyncMessageLikeEvent::RoomEncrypted(_)) => {
            Preview::Encrypted
        }
        _ => Preview::Other,
    }
}

/// The first line of `body`, at most 200 characters, without direction-override marks that
/// could make the list lie about what follows.
fn one_line(body: &str) -> String {
    let line = body
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    strip_direction_overrides(line).chars().take(200).collect()
}

/// A change to the list of summaries.
pub type RoomListDiff = VectorDiff<RoomSummary>;

/// Streams the rooms of `sync` (joined and invited, most recent first) as batches of diffs.
/// The first batch resets the list to what the local store already knows, before any
/// answer from the server.
pub async fn room_list_diffs(
    sync: &AccountSync,
) -> Result<impl Stream<Item = Vec<RoomListDiff>> + use<>> {
    let service = sync.service().room_list_service();
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    // The SDK's stream borrows the room list; a task owns both for as long as someone
    // listens.
    let all_rooms = service.all_rooms().await.map_err(EngineError::matrix)?;
    tokio::spawn(async move {
        let (stream, controller) = all_rooms.entries_with_dynamic_adapters(PAGE_SIZE);
        controller.set_filter(Box::new(new_filter_non_left()));
        let mut stream = std::pin::pin!(stream);
        while let Some(batch) = stream.next().await {
            let batch: Vec<RoomListDiff> = batch
                .into_iter()
                .map(|diff| diff.map(|item: RoomListItem| RoomSummary::of(&item)))
                .collect();
            if sender.send(batch).is_err() {
                break;
            }
        }
    });
    Ok(tokio_stream_from(receiver))
}

fn tokio_stream_from<T: Send + 'static>(
    mut receiver: tokio::sync::mpsc::UnboundedReceiver<T>,
) -> impl Stream<Item = T> + use<T> {
    futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx))
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
}
