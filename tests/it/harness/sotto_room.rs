//! Reading and writing a room the way Sotto does, for tests that check what the other side
//! sees. All the Sotto-side calls are here, so that they can move to Sotto's own timeline API
//! in one place. For now: matrix-sdk-ui's `Timeline` on the session's `matrix_sdk::Room`.

use eyeball_im::Vector;
use futures_util::StreamExt;
use matrix_sdk::room::edit::EditedContent;
use matrix_sdk::ruma::events::room::message::{
    RoomMessageEventContent, RoomMessageEventContentWithoutRelation,
};
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId};
use matrix_sdk_ui::timeline::{EventTimelineItem, RoomExt, Timeline, TimelineItem};
use sotto::engine::session::Session;
use sotto::engine::sync::AccountSync;
use std::sync::Arc;

use super::PATIENCE;

/// A message as Sotto shows it.
#[derive(Debug)]
pub struct Shown {
    /// Its event ID.
    pub event_id: OwnedEventId,
    /// Who sent it.
    pub sender: String,
    /// Whether it arrived encrypted (and Sotto decrypted it).
    pub was_encrypted: bool,
}

/// One room of a signed-in, syncing Sotto session.
pub struct SottoRoom {
    timeline: Timeline,
}

impl SottoRoom {
    /// Joins `room_id` (if not yet joined) and opens its timeline, with the room subscribed in
    /// the sync so its events arrive in full.
    pub async fn open(session: &Session, sync: &AccountSync, room_id: &str) -> Self {
        let room_id = OwnedRoomId::try_from(room_id).expect("a valid room ID");
        let room = session
            .client()
            .join_room_by_id(&room_id)
            .await
            .expect("Sotto joins the room");
        sync.service()
            .room_list_service()
            .subscribe_to_rooms(&[&room_id])
            .await;
        let timeline = room.timeline().await.expect("the room's timeline");
        Self { timeline }
    }

    /// Sends a text message and waits until the server has it; returns its event ID.
    pub async fn send_text(&self, body: &str) -> OwnedEventId {
        self.timeline
            .send(RoomMessageEventContent::text_plain(body).into())
            .await
            .expect("the message is queued");
        self.wait_for_own(body).await
    }

    /// Sends a reply to `to` and waits until the server has it; returns its event ID.
    pub async fn reply(&self, to: &OwnedEventId, body: &str) -> OwnedEventId {
        self.timeline
            .send_reply(
                RoomMessageEventContentWithoutRelation::text_plain(body),
                to.clone(),
            )
            .await
            .expect("the reply is queued");
        self.wait_for_own(body).await
    }

    /// Edits Sotto's own message `event_id` to `body` and waits until the edit is sent.
    pub async fn edit(&self, event_id: &OwnedEventId, body: &str) {
        let item = self
            .timeline
            .item_by_event_id(event_id)
            .await
            .expect("the message to edit is in the timeline");
        self.timeline
            .edit(
                &item.identifier(),
                EditedContent::RoomMessage(RoomMessageEventContentWithoutRelation::text_plain(
                    body,
                )),
            )
            .await
            .expect("the edit is queued");
        // The edit shows as the message's new text once the server has the edit event.
        self.wait_for(&format!("the edit to {body:?}"), |item| {
            item.event_id() == Some(event_id)
                && body_of(item) == Some(body)
                && item.latest_edit_json().is_some_and(|json| {
                    json.get_field::<String>("event_id")
                        .ok()
                        .flatten()
                        .is_some()
                })
        })
        .await;
    }

    /// Waits until a message with exactly `body` from someone shows, decrypted if it was
    /// encrypted.
    pub async fn wait_for_text(&self, body: &str) -> Shown {
        let item = self
            .wait_for(&format!("the message {body:?}"), |item| {
                body_of(item) == Some(body) && item.event_id().is_some()
            })
            .await;
        Shown {
            event_id: item.event_id().unwrap().to_owned(),
            sender: item.sender().to_string(),
            was_encrypted: item.encryption_info().is_some(),
        }
    }

    async fn wait_for_own(&self, body: &str) -> OwnedEventId {
        let item = self
            .wait_for(&format!("the server to take {body:?}"), |item| {
                item.is_own() && body_of(item) == Some(body) && item.event_id().is_some()
            })
            .await;
        item.event_id().unwrap().to_owned()
    }

    /// Waits until an event item satisfying `found` is in the timeline.
    async fn wait_for(
        &self,
        what: &str,
        found: impl Fn(&EventTimelineItem) -> bool,
    ) -> EventTimelineItem {
        let (mut items, mut diffs) = self.timeline.subscribe().await;
        let search = |items: &Vector<Arc<TimelineItem>>| {
            items
                .iter()
                .filter_map(|item| item.as_event())
                .find(|item| found(item))
                .cloned()
        };
        if let Some(item) = search(&items) {
            return item;
        }
        let result = tokio::time::timeout(PATIENCE, async {
            while let Some(batch) = diffs.next().await {
                for diff in batch {
                    diff.apply(&mut items);
                }
                if let Some(item) = search(&items) {
                    return Some(item);
                }
            }
            None
        })
        .await;
        match result {
            Ok(Some(item)) => item,
            Ok(None) => panic!("the timeline ended while waiting for {what}"),
            Err(_) => panic!(
                "timed out waiting for {what}; the timeline holds {} items, {} of them \
                 unable to decrypt",
                items.len(),
                items
                    .iter()
                    .filter_map(|i| i.as_event())
                    .filter(|i| i.content().is_unable_to_decrypt())
                    .count()
            ),
        }
    }
}

fn body_of(item: &EventTimelineItem) -> Option<&str> {
    item.content().as_message().map(|m| m.body())
}
