//! One room's conversation: matrix-sdk-ui's `Timeline` (decryption, local echoes, the send
//! queue, reactions, edits, receipts), streamed to the view as diffs of ready-to-show
//! entries, and the actions the person can take on it.

pub mod compose;
pub mod entry;
pub mod media;
pub mod picture;

use crate::engine::ids::{EventId, RoomId};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use eyeball_im::VectorDiff;
use futures_util::{FutureExt, Stream, StreamExt};
use matrix_sdk::ComposerDraft;
use matrix_sdk::ComposerDraftType;
use matrix_sdk::Room;
use matrix_sdk::room::edit::EditedContent;
use matrix_sdk::ruma::OwnedUserId;
use matrix_sdk::ruma::api::client::receipt::create_receipt::v3::ReceiptType;
use matrix_sdk_ui::timeline::{RoomExt, Timeline, TimelineEventItemId};

pub use compose::{Mention, Outgoing};
pub use entry::{
    Attachment, Body, Entry, EntryKind, EventEntry, ItemId, Media, MediaRef, MemberChange,
    Reaction, ReplyPreview, ReplyText, RoomChange, SendState, StateChange, Unsupported,
    UploadProgress,
};

use super::session::Session;
use super::sync::AccountSync;
use super::{EngineError, Result};

/// A change to the list of entries.
pub type EntryDiff = VectorDiff<Entry>;

/// The conversation of one room, open while someone looks at it.
#[derive(Clone)]
pub struct RoomTimeline {
    session: Session,
    room: Room,
    timeline: Arc<Timeline>,
    own_user: OwnedUserId,
    room_list: Arc<matrix_sdk_ui::room_list_service::RoomListService>,
    identity_gate: Arc<tokio::sync::Mutex<IdentityGate>>,
    /// How many change streams of `entries` are alive, over all the clones.
    subscribers: Arc<AtomicUsize>,
}

/// How long a send waits for the SDK to learn that a room Sotto created is encrypted.
const ENCRYPTION_WAIT: Duration = Duration::from_secs(10);

/// The last identity check of the room, kept while nothing it depends on changed, so that
/// each send does not load every member's identity again.
#[derive(Default)]
struct IdentityGate {
    /// Every change to someone's identity or devices since the last full check. The SDK
    /// announces a change here as soon as it has stored it, before anything else hears of
    /// it.
    updates: Option<Pin<Box<dyn Stream<Item = ()> + Send>>>,
    /// The joined and invited member counts when the last full check found nothing to warn
    /// about; `None` when the next send must check again.
    clear_for: Option<(u64, u64)>,
}

/// A stream counted in `count` while it lives.
struct Counted<S> {
    stream: Pin<Box<S>>,
    count: Arc<AtomicUsize>,
}

impl<S> Counted<S> {
    fn new(stream: S, count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self {
            stream: Box::pin(stream),
            count: count.clone(),
        }
    }
}

impl<S> Drop for Counted<S> {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::SeqCst);
    }
}

impl<S: Stream> Stream for Counted<S> {
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        self.stream.as_mut().poll_next(cx)
    }
}

/// A member as the mention completion offers them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberName {
    /// Their Matrix ID.
    pub user_id: OwnedUserId,
    /// Their display name, or their Matrix ID when they have none.
    pub name: String,
}

impl RoomTimeline {
    /// Opens the conversation of `room_id`, and asks the room list's sliding sync to keep
    /// this room fully up to date while it is open (see `keep_up_to_date`).
    pub async fn open(session: &Session, sync: &AccountSync, room_id: &RoomId) -> Result<Self> {
        let timeline = Self::open_cached(session, sync, room_id).await?;
        // In the background: the timeline starts from the cache and does not wait for it.
        let follow = timeline.clone();
        tokio::spawn(async move { follow.keep_up_to_date().await });
        Ok(timeline)
    }

    /// Opens the conversation of `room_id` from what the store holds, without asking the
    /// server for anything yet: a view that shows it calls `keep_up_to_date` once its
    /// first screen is drawn, so that the server's answer does not compete with drawing.
    pub async fn open_cached(
        session: &Session,
        sync: &AccountSync,
        room_id: &RoomId,
    ) -> Result<Self> {
        let room = session
            .client()
            .get_room(room_id)
            .ok_or_else(|| EngineError::Matrix(format!("unknown room {room_id}").into()))?;
        let timeline = room.timeline().await.map_err(EngineError::matrix)?;
        let own_user = session
            .client()
            .user_id()
            .map(ToOwned::to_owned)
            .ok_or_else(|| EngineError::Matrix("the session has no user ID".into()))?;
        Ok(Self {
            session: session.clone(),
            room,
            timeline: Arc::new(timeline),
            own_user,
            room_list: sync.service().room_list_service(),
            identity_gate: Arc::default(),
            subscribers: Arc::default(),
        })
    }

    /// Asks the room list's sliding sync to send every event of this room (not only the
    /// latest, as for the other rooms of the list) and its full state, from now on; the
    /// room asked for before is no longer followed that closely. The request goes with
    /// the next sync.
    pub async fn keep_up_to_date(&self) {
        self.room_list
            .subscribe_to_rooms(&[self.room.room_id()])
            .await;
    }

    /// The session the room belongs to.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The room's ID.
    pub fn room_id(&self) -> &RoomId {
        self.room.room_id()
    }

    /// How many people are in the room, as the local store knows it.
    pub fn joined_members_count(&self) -> u64 {
        self.room.joined_members_count()
    }

    /// The entries now, then their changes as batches of diffs. Entries are computed on the
    /// engine's runtime (HTML sanitising included), never on the UI thread.
    pub async fn entries(&self) -> (Vec<Entry>, impl Stream<Item = Vec<EntryDiff>> + use<>) {
        let (items, stream) = self.timeline.subscribe().await;
        let own = self.own_user.clone();
        let initial = items
            .iter()
            .map(|item| entry::entry_of(item, &own))
            .collect();
        let stream = stream.map(move |batch| {
            batch
                .into_iter()
                .map(|diff| diff.map(|item| entry::entry_of(&item, &own)))
                .collect()
        });
        (initial, Counted::new(stream, &self.subscribers))
    }

    /// How many change streams of `entries` are still alive: once the views that followed
    /// the conversation are closed, none.
    pub fn subscriber_count(&self) -> usize {
        self.subscribers.load(Ordering::SeqCst)
    }

    /// Loads up to `count` older events; true when the start of the room is reached.
    pub async fn load_older(&self, count: u16) -> Result<bool> {
        self.timeline
            .paginate_backwards(count)
            .await
            .map_err(EngineError::matrix)
    }

    /// Refuses to send while someone's identity changed and nobody acknowledged it, or a
    /// new session of someone without cross-signing waits for confirmation. A check that
    /// found nothing stays valid until an identity or a device changes or the room's
    /// members do; a room with a warning is checked afresh each time (so an
    /// acknowledgement counts at once). The key sharing rule holds without it (a device not
    /// vouched for gets no key); this check keeps the message from going out at all.
    async fn check_identities(&self) -> Result<()> {
        if !self.room.encryption_state().is_encrypted() {
            return Ok(());
        }
        let mut gate = self.identity_gate.lock().await;
        if gate.updates.is_none() {
            // Subscribed before the full check, so that nothing it misses goes unnoticed.
            let encryption = self.session.client().encryption();
            let identities = encryption
                .user_identities_stream()
                .await
                .map_err(EngineError::matrix)?
                .map(|_| ());
            let devices = encryption
                .devices_stream()
                .await
                .map_err(EngineError::matrix)?
                .map(|_| ());
            gate.updates = Some(Box::pin(futures_util::stream::select(identities, devices)));
            gate.clear_for = None;
        }
        let mut changed = false;
        while let Some(next) = gate.updates.as_mut().and_then(|u| u.next().now_or_never()) {
            changed = true;
            if next.is_none() {
                gate.updates = None;
                break;
            }
        }
        let members = (
            self.room.joined_members_count(),
            self.room.invited_members_count(),
        );
        if !changed && gate.clear_for == Some(members) {
            return Ok(());
        }
        gate.clear_for = None;
        super::trust::identities::ensure_can_send(&self.session, self.room.room_id()).await?;
        if gate.updates.is_some() {
            gate.clear_for = Some(members);
        }
        Ok(())
    }

    /// Makes sure the SDK knows whether the room is encrypted before anything is sent: it
    /// asks the server when it does not know yet, and a room Sotto created encrypted is
    /// never sent to as an unencrypted one (the send waits until the SDK knows, or fails).
    async fn ensure_encryption_known(&self) -> Result<()> {
        let state = self
            .room
            .latest_encryption_state()
            .await
            .map_err(EngineError::matrix)?;
        if state.is_encrypted() || !self.session.was_created_encrypted(self.room.room_id()) {
            return Ok(());
        }
        let mut info = self.room.subscribe_info();
        let room = &self.room;
        let learnt = async {
            while !room.encryption_state().is_encrypted() {
                if info.next().await.is_none() {
                    return;
                }
            }
        };
        let _ = tokio::time::timeout(ENCRYPTION_WAIT, learnt).await;
        if self.room.encryption_state().is_encrypted() {
            Ok(())
        } else {
            Err(EngineError::EncryptionNotReady)
        }
    }

    /// What comes before anything is sent: the room's encryption state, then the
    /// identities of its members.
    async fn before_sending(&self) -> Result<()> {
        self.ensure_encryption_known().await?;
        self.check_identities().await?;
        // A queue held for the person's decision goes on once nothing blocks any more (the
        // decision may have come another way: a verification, the session gone). One the
        // SDK stopped after a failure is left to `sync::keep_send_queues_going`.
        if self.session.set_held(self.room.room_id(), false) {
            self.room.send_queue().set_enabled(true);
        }
        Ok(())
    }

    /// Sends a message (through the send queue: it survives being offline and restarts).
    pub async fn send(&self, outgoing: &Outgoing) -> Result<()> {
        self.before_sending().await?;
        let content = compose::content_of(outgoing);
        self.timeline
            .send(content.into())
            .await
            .map_err(EngineError::matrix)?;
        Ok(())
    }

    /// Sends `outgoing` as a reply to the event `event_id`.
    pub async fn reply(&self, outgoing: &Outgoing, event_id: &EventId) -> Result<()> {
        self.before_sending().await?;
        let content = compose::content_of(outgoing);
        self.timeline
            .send_reply(content.into(), event_id.to_owned())
            .await
            .map_err(EngineError::matrix)
    }

    /// Replaces the text of an own message.
    pub async fn edit(&self, id: &ItemId, outgoing: &Outgoing) -> Result<()> {
        self.before_sending().await?;
        let content = compose::content_of(outgoing);
        self.timeline
            .edit(&id.0, EditedContent::RoomMessage(content.into()))
            .await
            .map_err(EngineError::matrix)
    }

    /// Adds this account's reaction `key`, or takes it back; true when added.
    pub async fn toggle_reaction(&self, id: &ItemId, key: &str) -> Result<bool> {
        self.before_sending().await?;
        self.timeline
            .toggle_reaction(&id.0, key)
            .await
            .map_err(EngineError::matrix)
    }

    /// Removes an event (a redaction), or cancels a message not sent yet.
    pub async fn remove(&self, id: &ItemId, reason: Option<&str>) -> Result<()> {
        self.timeline
            .redact(&id.0, reason)
            .await
            .map_err(EngineError::matrix)
    }

    /// Sends a failed message again.
    pub async fn retry(&self, id: &ItemId) -> Result<()> {
        let handle = self.send_handle(id).await?;
        self.ensure_encryption_known().await?;
        super::trust::identities::ensure_can_resume(&self.session, self.room.room_id()).await?;
        handle.unwedge().await.map_err(EngineError::matrix)?;
        self.room.send_queue().set_enabled(true);
        Ok(())
    }

    /// Gives up on a message that was not sent.
    pub async fn discard(&self, id: &ItemId) -> Result<()> {
        let handle = self.send_handle(id).await?;
        handle.abort().await.map_err(EngineError::matrix)?;
        Ok(())
    }

    async fn send_handle(&self, id: &ItemId) -> Result<matrix_sdk::send_queue::SendHandle> {
        let TimelineEventItemId::TransactionId(_) = &id.0 else {
            return Err(EngineError::Matrix("the message was already sent".into()));
        };
        self.timeline
            .items()
            .await
            .iter()
            .filter_map(|item| item.as_event())
            .find(|event| event.identifier() == id.0)
            .and_then(|event| event.local_echo_send_handle())
            .ok_or_else(|| EngineError::Matrix("the message is no longer waiting".into()))
    }

    /// Marks everything up to the latest event as read, with a public or a private
    /// receipt; true when a receipt was sent.
    pub async fn mark_read(&self, private: bool) -> Result<bool> {
        let kind = if private {
            ReceiptType::ReadPrivate
        } else {
            ReceiptType::Read
        };
        self.timeline
            .mark_as_read(kind)
            .await
            .map_err(EngineError::matrix)
    }

    /// Tells the others whether this account is typing.
    pub async fn set_typing(&self, typing: bool) -> Result<()> {
        self.room
            .typing_notice(typing)
            .await
            .map_err(EngineError::matrix)
    }

    /// The names of the members typing now, each time that changes.
    pub fn typing(&self) -> impl Stream<Item = Vec<String>> + use<> {
        let (guard, receiver) = self.room.subscribe_to_typing_notifications();
        let room = self.room.clone();
        let (sender, names) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            let _guard = guard;
            let mut receiver = receiver;
            loop {
                let users = match receiver.recv().await {
                    Ok(users) => users,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                };
                let mut shown = Vec::with_capacity(users.len());
                for user in users {
                    shown.push(member_name(&room, &user).await.name);
                }
                if sender.send(shown).is_err() {
                    return;
                }
            }
        });
        let mut names = names;
        futures_util::stream::poll_fn(move |cx| names.poll_recv(cx))
    }

    /// Members whose name or Matrix ID contains `query` (case-insensitive), for `@`
    /// completion; at most `limit`.
    pub async fn members_matching(&self, query: &str, limit: usize) -> Result<Vec<MemberName>> {
        let query = query.to_lowercase();
        let members = self
            .room
            .members_no_sync(matrix_sdk::RoomMemberships::JOIN)
            .await
            .map_err(EngineError::matrix)?;
        let mut found: Vec<MemberName> = members
            .iter()
            .filter(|m| m.user_id() != self.own_user)
            .map(|m| MemberName {
                user_id: m.user_id().to_owned(),
                name: super::bidi::strip_direction_overrides(
                    m.display_name().unwrap_or(m.user_id().as_str()),
                ),
            })
            .filter(|m| {
                m.name.to_lowercase().contains(&query)
                    || m.user_id.as_str().to_lowercase().contains(&query)
            })
            .collect();
        found.sort_by_key(|m| m.name.to_lowercase());
        found.truncate(limit);
        Ok(found)
    }

    /// Fetches the replied-to event of a reply whose preview is not known yet.
    pub async fn load_reply_details(&self, event_id: &EventId) -> Result<()> {
        self.timeline
            .fetch_details_for_event(event_id)
            .await
            .map_err(EngineError::matrix)
    }

    /// Keeps the unsent text of this room in the encrypted store.
    pub async fn save_draft(&self, text: &str) -> Result<()> {
        if text.trim().is_empty() {
            return self.clear_draft().await;
        }
        let draft = ComposerDraft {
            plain_text: text.to_owned(),
            html_text: None,
            draft_type: ComposerDraftType::NewMessage,
            attachments: Vec::new(),
        };
        self.room
            .save_composer_draft(draft, None)
            .await
            .map_err(EngineError::matrix)
    }

    /// The unsent text kept for this room, if any.
    pub async fn load_draft(&self) -> Result<Option<String>> {
        let draft = self
            .room
            .load_composer_draft(None)
            .await
            .map_err(EngineError::matrix)?;
        Ok(draft.map(|d| d.plain_text))
    }

    /// Forgets the unsent text of this room.
    pub async fn clear_draft(&self) -> Result<()> {
        self.room
            .clear_composer_draft(None)
            .await
            .map_err(EngineError::matrix)
    }
}

async fn member_name(room: &Room, user: &matrix_sdk::ruma::UserId) -> MemberName {
    let name = match room.get_member_no_sync(user).await {
        Ok(Some(member)) => member
            .display_name()
            .map_or_else(|| user.to_string(), super::bidi::strip_direction_overrides),
        _ => user.to_string(),
    };
    MemberName {
        user_id: user.to_owned(),
        name,
    }
}
