//! Reading and writing a room the way Sotto does (its engine's `RoomTimeline`), for tests
//! that check what the other side sees.

use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId};
use sotto::engine::session::Session;
use sotto::engine::sync::AccountSync;
use sotto::engine::timeline::{Body, MemberChange, Outgoing, SendState, StateChange};

use super::conversation::{Conversation, text_of};

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
    conversation: Conversation,
}

impl SottoRoom {
    /// Joins `room_id` (if not yet joined) and opens Sotto's timeline of it.
    pub async fn open(session: &Session, sync: &AccountSync, room_id: &str) -> Self {
        let typed = OwnedRoomId::try_from(room_id).expect("a valid room ID");
        session
            .client()
            .join_room_by_id(&typed)
            .await
            .expect("Sotto joins the room");
        let conversation = Conversation::open(session, sync, room_id).await;
        // The sync has brought the join: before that, a sync answer computed before the join
        // can still show the room as an invitation, and the send queue refuses to send.
        conversation
            .wait_for("Sotto's own join in the timeline", |e| {
                e.is_own
                    && matches!(
                        &e.body,
                        Body::State(StateChange::Member {
                            change: MemberChange::Joined,
                            ..
                        })
                    )
            })
            .await;
        Self { conversation }
    }

    /// Sotto's timeline of the room, for sends beyond text.
    pub fn timeline(&self) -> &sotto::engine::timeline::RoomTimeline {
        &self.conversation.timeline
    }

    /// The events Sotto shows now, local echoes included.
    pub fn events(&self) -> Vec<sotto::engine::timeline::EventEntry> {
        self.conversation.events()
    }

    /// Sends a text message and waits until the server has it; returns its event ID.
    pub async fn send_text(&self, body: &str) -> OwnedEventId {
        self.conversation
            .timeline
            .send(&Outgoing::text(body))
            .await
            .expect("the message is queued");
        self.wait_for_own(body).await
    }

    /// Sends a reply to `to` and waits until the server has it; returns its event ID.
    pub async fn reply(&self, to: &OwnedEventId, body: &str) -> OwnedEventId {
        self.conversation
            .timeline
            .reply(&Outgoing::text(body), &crate::harness::eid(to.as_str()))
            .await
            .expect("the reply is queued");
        self.wait_for_own(body).await
    }

    /// Edits Sotto's own message `event_id` to `body` and waits until the edit is sent.
    pub async fn edit(&self, event_id: &OwnedEventId, body: &str) {
        let target = self
            .conversation
            .wait_for("the message to edit", |e| {
                e.event_id.as_deref() == Some(&crate::harness::eid(event_id.as_str()))
            })
            .await;
        self.conversation
            .timeline
            .edit(&target.id, &Outgoing::text(body))
            .await
            .expect("the edit is queued");
        self.conversation
            .wait_for(&format!("the edit to {body:?}"), |e| {
                e.event_id.as_deref() == Some(&crate::harness::eid(event_id.as_str()))
                    && e.edited
                    && text_of(e) == Some(body)
            })
            .await;
    }

    /// Waits until a message with exactly `body` shows, decrypted if it was encrypted.
    pub async fn wait_for_text(&self, body: &str) -> Shown {
        let event = self
            .conversation
            .wait_for(&format!("the message {body:?}"), |e| {
                text_of(e) == Some(body) && e.event_id.is_some()
            })
            .await;
        Shown {
            event_id: event.event_id.unwrap(),
            sender: event.sender.to_string(),
            was_encrypted: event.encrypted,
        }
    }

    /// Waits until Sotto shows an event whose body `found` accepts.
    pub async fn wait_for_body(
        &self,
        what: &str,
        found: impl Fn(&sotto::engine::timeline::Body) -> bool,
    ) -> sotto::engine::timeline::EventEntry {
        self.conversation.wait_for(what, |e| found(&e.body)).await
    }

    async fn wait_for_own(&self, body: &str) -> OwnedEventId {
        let event = self
            .conversation
            .wait_for(&format!("the server to take {body:?}"), |e| {
                e.is_own && text_of(e) == Some(body) && e.send_state == SendState::Remote
            })
            .await;
        event.event_id.unwrap()
    }
}
