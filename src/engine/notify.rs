//! What deserves a notification, and when it is no longer needed.
//!
//! matrix-sdk evaluates the account's push rules (as the server stores them: direct
//! messages, mentions of the name or Matrix ID, keywords, room modes) on every event of the
//! sync, after decrypting it, and hands the ones that notify to a notification handler.
//! This module turns those into [`Notice`]s: an [`Alert`] for an event worth telling, and
//! [`Notice::Read`] once its room was read here or on another device. It decides nothing
//! about how a notification looks or how much of it shows; the UI does.
//!
//! Not notified: events sent before this run (they were there when Sotto started), the account's own events, redacted ones, and the same event twice (opening a
//! room fetches its latest events again). An event that could not be decrypted yet waits
//! for its key (up to [`KEY_PATIENCE`]); the push rules are then evaluated again on the
//! clear text.

use std::collections::{HashMap, HashSet, VecDeque};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::{Stream, StreamExt};
use matrix_sdk::deserialized_responses::RawAnySyncOrStrippedTimelineEvent;
use matrix_sdk::event_cache::RedecryptorReport;
use matrix_sdk::ruma::events::{AnyStrippedStateEvent, AnySyncTimelineEvent};
use matrix_sdk::ruma::push::Action;
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::ruma::{MilliSecondsSinceUnixEpoch, OwnedEventId, OwnedRoomId, UInt};
use matrix_sdk::sync::Notification;
use matrix_sdk::{Client, Room, RoomState};
use tokio::sync::mpsc;

use super::room_list::{Preview, clean_name, display_name, preview_of_event};
use super::session::Session;

/// How long an event that could not be decrypted waits for its key before it is dropped.
pub const KEY_PATIENCE: Duration = Duration::from_secs(60);

/// How many event IDs are remembered as notified already.
const SEEN_CAPACITY: usize = 512;

/// An event worth a notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    /// The room it happened in.
    pub room_id: OwnedRoomId,
    /// The event (for an invitation, the invitation's member event when known).
    pub event_id: OwnedEventId,
    /// The room's display name (its name, alias, or members).
    pub room_name: String,
    /// A direct chat.
    pub is_direct: bool,
    /// Messages in the room are end-to-end encrypted.
    pub is_encrypted: bool,
    /// Who sent it, by display name (the Matrix ID's localpart when there is none).
    pub sender_name: String,
    /// What it is: a message with its one-line body, an attachment, an invitation…
    pub what: Preview,
    /// The push rules say it mentions the person (their name, Matrix ID, a keyword, or
    /// `@room`).
    pub mention: bool,
}

/// What the notifications of one account should do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// Tell the person about this.
    Alert(Alert),
    /// The room was read (here or on another device), left, or joined after an
    /// invitation: its notification goes.
    Read {
        /// The room.
        room_id: OwnedRoomId,
    },
}

/// An event handed over by the SDK's notification handler.
pub(crate) struct Incoming {
    room: Room,
    actions: Vec<Action>,
    event: RawAnySyncOrStrippedTimelineEvent,
}

/// Where the notification handler of a client sends what it gets. The SDK offers no way to
/// remove a handler, so it is registered once per client and sends to whoever watches now.
pub(crate) type HandlerSlot = Arc<Mutex<Option<mpsc::UnboundedSender<Incoming>>>>;

/// The notices of one account, as a stream; its work stops when it is dropped.
pub struct Notices {
    receiver: mpsc::UnboundedReceiver<Notice>,
    task: tokio::task::JoinHandle<()>,
}

impl Stream for Notices {
    type Item = Notice;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Notice>> {
        self.receiver.poll_recv(cx)
    }
}

impl Drop for Notices {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts watching `session` for notices. Events older than now (by the server's
/// timestamp) were there before this run and never notify. Watching again replaces the
/// previous watcher.
pub async fn watch(session: &Session) -> Notices {
    let client = session.client().clone();
    let slot = session.notification_slot();
    let (incoming_tx, incoming) = mpsc::unbounded_channel();
    let first = {
        let mut slot = slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let first = slot.is_none();
        *slot = Some(incoming_tx);
        first
    };
    if first {
        register_handler(&client, slot).await;
    }
    let (sender, receiver) = mpsc::unbounded_channel();
    let watcher = Watcher {
        client: client.clone(),
        live_since: MilliSecondsSinceUnixEpoch::now().0,
        seen: Seen::default(),
        parked: HashMap::new(),
        alerted: HashMap::new(),
        out: sender,
    };
    let task = tokio::spawn(watcher.run(incoming));
    Notices { receiver, task }
}

async fn register_handler(client: &Client, slot: HandlerSlot) {
    client
        .register_notification_handler(move |notification: Notification, room: Room, _| {
            // Runs inside the sync loop: it only hands the event over.
            let slot = slot.clone();
            async move {
                let slot = slot
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if let Some(sender) = slot.as_ref() {
                    let _ = sender.send(Incoming {
                        room,
                        actions: notification.actions,
                        event: notification.event,
                    });
                }
            }
        })
        .await;
}

/// Event IDs notified already, the oldest forgotten first.
#[derive(Default)]
struct Seen {
    order: VecDeque<OwnedEventId>,
    ids: HashSet<OwnedEventId>,
}

impl Seen {
    /// Remembers `id`; `false` when it was there already.
    fn insert(&mut self, id: &OwnedEventId) -> bool {
        if !self.ids.insert(id.clone()) {
            return false;
        }
        self.order.push_back(id.clone());
        if self.order.len() > SEEN_CAPACITY
            && let Some(old) = self.order.pop_front()
        {
            self.ids.remove(&old);
        }
        true
    }
}

/// An event that waits for its room key.
struct Parked {
    room: Room,
    since: Instant,
}

/// What a notified room looked like when it was notified.
struct AlertedRoom {
    /// The person's latest read receipt then.
    receipt: Option<OwnedEventId>,
    /// It was an invitation.
    invite: bool,
}

struct Watcher {
    client: Client,
    live_since: UInt,
    seen: Seen,
    parked: HashMap<OwnedEventId, Parked>,
    alerted: HashMap<OwnedRoomId, AlertedRoom>,
    out: mpsc::UnboundedSender<Notice>,
}

impl Watcher {
    async fn run(mut self, mut incoming: mpsc::UnboundedReceiver<Incoming>) {
        let client = self.client.clone();
        let mut reports = Box::pin(client.event_cache().subscribe_to_decryption_reports());
        let mut updates = self.client.room_info_notable_update_receiver();
        let mut sweep = tokio::time::interval(KEY_PATIENCE / 2);
        loop {
            tokio::select! {
                event = incoming.recv() => match event {
                    Some(event) => self.take(event).await,
                    None => return,
                },
                Some(report) = reports.next() => match report {
                    Ok(RedecryptorReport::ResolvedUtds { events, .. }) => {
                        self.decrypted(events.into_iter().collect()).await;
                    }
                    Ok(_) => {}
                    Err(_) => tracing::debug!("missed some decryption reports"),
                },
                update = updates.recv() => match update {
                    Ok(update) => self.room_changed(&update.room_id),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        let rooms: Vec<_> = self.alerted.keys().cloned().collect();
                        for room_id in rooms {
                            self.room_changed(&room_id);
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                },
                _ = sweep.tick() => {
                    self.parked.retain(|_, parked| parked.since.elapsed() < KEY_PATIENCE);
                }
            }
            if self.out.is_closed() {
                return;
            }
        }
    }

    async fn take(&mut self, incoming: Incoming) {
        let Incoming {
            room,
            actions,
            event,
        } = incoming;
        if !actions.iter().any(Action::should_notify) {
            return;
        }
        match event {
            RawAnySyncOrStrippedTimelineEvent::Sync(raw) => {
                self.event(room, &actions, &raw).await;
            }
            RawAnySyncOrStrippedTimelineEvent::Stripped(raw) => self.invite(room, &raw).await,
        }
    }

    /// A timeline event that notifies by the push rules.
    async fn event(&mut self, room: Room, actions: &[Action], raw: &Raw<AnySyncTimelineEvent>) {
        let own = room.own_user_id().to_owned();
        let Ok(Some(event_id)) = raw.get_field::<OwnedEventId>("event_id") else {
            return;
        };
        let Ok(Some(sender)) = raw.get_field::<String>("sender") else {
            return;
        };
        let timestamp = raw
            .get_field::<MilliSecondsSinceUnixEpoch>("origin_server_ts")
            .ok()
            .flatten();
        // Sent before this run: the sync brings it because it was there (the latest event
        // of each room, and more when a room is opened). A device whose clock runs ahead
        // of the server's misses notifications for that long after starting, which is
        // better than repeating old ones.
        let old = timestamp.is_none_or(|t| t.0 < self.live_since);
        let redacted = raw
            .get_field::<serde_json::Value>("unsigned")
            .ok()
            .flatten()
            .is_some_and(|u| u.get("redacted_because").is_some());
        // The person's own membership in a timeline: an invitation notified already from
        // the invitation's stripped state, and once joined it is news to nobody.
        let own_membership = raw.get_field::<String>("type").ok().flatten().as_deref()
            == Some("m.room.member")
            && raw
                .get_field::<String>("state_key")
                .ok()
                .flatten()
                .as_deref()
                == Some(own.as_str());
        if old
            || redacted
            || own_membership
            || sender == own.as_str()
            || self.parked.contains_key(&event_id)
        {
            return;
        }
        if raw.get_field::<String>("type").ok().flatten().as_deref() == Some("m.room.encrypted") {
            // Its key has not come yet: the push rules are evaluated again on the clear text.
            self.parked.insert(
                event_id,
                Parked {
                    room,
                    since: Instant::now(),
                },
            );
            return;
        }
        if !self.seen.insert(&event_id) {
            return;
        }
        let what = preview_of_event(raw, &own);
        if matches!(what, Preview::Other | Preview::Nothing | Preview::Encrypted) {
            return;
        }
        let sender_name = match display_name(&room, &sender).await {
            Some(name) => name,
            None => localpart(&sender),
        };
        let mention = actions.iter().any(Action::is_highlight);
        self.alert(&room, event_id, sender_name, what, mention, false);
    }

    /// An invitation for the person (the push rules' `.m.rule.invite_for_me`).
    async fn invite(&mut self, room: Room, raw: &Raw<AnyStrippedStateEvent>) {
        let Ok(AnyStrippedStateEvent::RoomMember(member)) = raw.deserialize() else {
            return;
        };
        if member.state_key != room.own_user_id() || room.state() != RoomState::Invited {
            return;
        }
        // One notification per invitation: the stripped state carries no event ID.
        let Ok(event_id) = OwnedEventId::try_from(format!("$invite-{}", room.room_id())) else {
            return;
        };
        if !self.seen.insert(&event_id) {
            return;
        }
        let sender = member.sender.to_string();
        let sender_name = match display_name(&room, &sender).await {
            Some(name) => name,
            None => localpart(&sender),
        };
        self.alert(&room, event_id, sender_name, Preview::Invite, false, true);
    }

    fn alert(
        &mut self,
        room: &Room,
        event_id: OwnedEventId,
        sender_name: String,
        what: Preview,
        mention: bool,
        invite: bool,
    ) {
        self.alerted.insert(
            room.room_id().to_owned(),
            AlertedRoom {
                receipt: room.read_receipts().latest_active.map(|r| r.event_id),
                invite,
            },
        );
        let room_name = room.cached_display_name().map_or_else(
            || room.room_id().to_string(),
            |n| clean_name(&n.to_string()),
        );
        let _ = self.out.send(Notice::Alert(Alert {
            room_id: room.room_id().to_owned(),
            event_id: event_id.clone(),
            room_name,
            is_direct: room.is_dm(),
            is_encrypted: room.encryption_state().is_encrypted(),
            sender_name,
            what,
            mention,
        }));
    }

    /// Events that were decrypted after their key came late.
    async fn decrypted(&mut self, events: Vec<OwnedEventId>) {
        for event_id in events {
            let Some(parked) = self.parked.remove(&event_id) else {
                continue;
            };
            let room = parked.room;
            let found = match room.event_cache().await {
                Ok((cache, _drop_handles)) => cache.find_event(&event_id).await.ok().flatten(),
                Err(err) => {
                    tracing::debug!("no event cache for a decrypted event: {err}");
                    None
                }
            };
            let Some(event) = found else {
                continue;
            };
            let actions = event
                .push_actions()
                .map(<[Action]>::to_vec)
                .unwrap_or_default();
            if actions.iter().any(Action::should_notify) {
                self.event(room, &actions, event.raw()).await;
            }
        }
    }

    /// Something changed in `room_id`; if it was notified and is read now (or left, or an
    /// invitation was answered), its notification goes.
    fn room_changed(&mut self, room_id: &OwnedRoomId) {
        let Some(alerted) = self.alerted.get(room_id) else {
            return;
        };
        let read = match self.client.get_room(room_id) {
            None => true,
            Some(room) => match room.state() {
                RoomState::Invited => false,
                RoomState::Joined if alerted.invite => true,
                RoomState::Joined => {
                    let receipt = room.read_receipts().latest_active.map(|r| r.event_id);
                    receipt != alerted.receipt && room.num_unread_notifications() == 0
                }
                _ => true,
            },
        };
        if read {
            self.alerted.remove(room_id);
            let _ = self.out.send(Notice::Read {
                room_id: room_id.to_owned(),
            });
        }
    }
}

fn localpart(user_id: &str) -> String {
    user_id
        .trim_start_matches('@')
        .split(':')
        .next()
        .unwrap_or(user_id)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_seen_event_is_forgotten_first() {
        let mut seen = Seen::default();
        let id = |n: usize| OwnedEventId::try_from(format!("$e{n}")).unwrap();
        assert!(seen.insert(&id(0)));
        assert!(!seen.insert(&id(0)));
        for n in 1..=SEEN_CAPACITY {
            assert!(seen.insert(&id(n)));
        }
        assert!(seen.insert(&id(0)), "the first one was forgotten");
        assert!(!seen.insert(&id(SEEN_CAPACITY)));
    }

    #[test]
    fn a_localpart_is_the_name_without_a_display_name() {
        assert_eq!(localpart("@alice:example.org"), "alice");
        assert_eq!(localpart("bob"), "bob");
    }
}
