//! The room list: matrix-sdk-ui's `RoomListService` entries turned into plain summaries and
//! streamed as diffs, never as whole new lists.
//!
//! The SDK sorts one stream by latest activity and offers no other order, so the list comes
//! in three sections, each its own filtered stream of the same `RoomList`: invitations, then
//! favourites (`m.favourite`), then every other room. Each section is sorted by the SDK's
//! sorter; a person's filter (kind and name) applies to all three.

use std::sync::Arc;

use eyeball_im::{Vector, VectorDiff};
use futures_util::{Stream, StreamExt};
use matrix_sdk::Client;
use matrix_sdk::notification_settings::{NotificationSettings, RoomNotificationMode};
use matrix_sdk::ruma::{OwnedUserId, RoomId};
use matrix_sdk_ui::room_list_service::filters::{
    BoxedFilterFn, RoomCategory, new_filter_all, new_filter_any, new_filter_category,
    new_filter_deduplicate_versions, new_filter_favourite, new_filter_invite, new_filter_non_left,
    new_filter_normalized_match_room_name, new_filter_not, new_filter_unread,
};
use matrix_sdk_ui::room_list_service::{RoomListDynamicEntriesController, RoomListItem};

use super::avatars;
use super::sync::AccountSync;
use super::{EngineError, Result};

mod summary;

pub use summary::{Preview, RoomSummary};
pub(crate) use summary::{clean_name, display_name, preview_of_event};

/// How many rows of a new list go out together: a phone's or a laptop's screenful (12
/// rows of 62 px fill 720 px and 800 px). The window's list view starts with as many.
pub const SCREENFUL: usize = 12;

/// How many rooms a section loads at first; more come with [`RoomListHandle::load_more`].
pub const PAGE_SIZE: usize = 200;

/// A change to the list of summaries.
pub type RoomListDiff = VectorDiff<RoomSummary>;

/// The parts of the list, top to bottom.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Section {
    /// Rooms the person is invited to.
    Invites,
    /// Joined rooms tagged as favourite.
    Favourites,
    /// Every other joined room.
    Rooms,
}

impl Section {
    /// All sections, in the order they are shown.
    pub const ALL: [Section; 3] = [Section::Invites, Section::Favourites, Section::Rooms];

    /// The position of this section in [`Section::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    fn filter(self) -> BoxedFilterFn {
        match self {
            Section::Invites => Box::new(new_filter_invite()),
            Section::Favourites => Box::new(new_filter_all(vec![
                Box::new(new_filter_non_left()),
                Box::new(new_filter_not(Box::new(new_filter_invite()))),
                Box::new(new_filter_favourite()),
            ])),
            Section::Rooms => Box::new(new_filter_all(vec![
                Box::new(new_filter_non_left()),
                Box::new(new_filter_not(Box::new(new_filter_invite()))),
                Box::new(new_filter_not(Box::new(new_filter_favourite()))),
                // After a room upgrade, only the newest version is listed.
                Box::new(new_filter_deduplicate_versions()),
            ])),
        }
    }
}

/// Which rooms the person wants to see.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RoomKind {
    /// Every room.
    #[default]
    All,
    /// Rooms with unread notifications or marked unread, and invitations (they wait for
    /// an answer).
    Unread,
    /// Direct chats.
    People,
    /// Rooms that are not direct chats.
    Groups,
}

/// The person's filter: a kind of room and a part of its name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoomListFilter {
    /// Which kind of room.
    pub kind: RoomKind,
    /// A part of the room's name (case and accents do not matter); empty for all.
    pub query: String,
}

impl RoomListFilter {
    /// True when the filter shows every room.
    pub fn is_everything(&self) -> bool {
        self.kind == RoomKind::All && self.query.trim().is_empty()
    }

    fn for_section(&self, section: Section) -> BoxedFilterFn {
        let mut parts: Vec<BoxedFilterFn> = vec![section.filter()];
        match self.kind {
            RoomKind::All => {}
            RoomKind::Unread => parts.push(Box::new(new_filter_any(vec![
                Box::new(new_filter_unread()),
                Box::new(new_filter_invite()),
            ]))),
            RoomKind::People => parts.push(Box::new(new_filter_category(RoomCategory::People))),
            RoomKind::Groups => parts.push(Box::new(new_filter_category(RoomCategory::Group))),
        }
        let query = self.query.trim();
        if !query.is_empty() {
            parts.push(Box::new(new_filter_normalized_match_room_name(query)));
        }
        Box::new(new_filter_all(parts))
    }
}

/// A batch of changes to one section of the list.
#[derive(Clone, Debug)]
pub struct RoomListUpdate {
    /// The section that changed.
    pub section: Section,
    /// Its changes, in order.
    pub diffs: Vec<RoomListDiff>,
}

/// The list as three plain vectors, for callers that keep it outside a UI model.
#[derive(Clone, Debug, Default)]
pub struct RoomListSections {
    sections: [Vector<RoomSummary>; 3],
}

impl RoomListSections {
    /// Applies `update` to its section.
    pub fn apply(&mut self, update: RoomListUpdate) {
        let section = &mut self.sections[update.section.index()];
        for diff in update.diffs {
            diff.apply(section);
        }
    }

    /// The rooms of `section`, in order.
    pub fn section(&self, section: Section) -> &Vector<RoomSummary> {
        &self.sections[section.index()]
    }

    /// All rooms, top to bottom.
    pub fn rooms(&self) -> impl Iterator<Item = &RoomSummary> {
        self.sections.iter().flatten()
    }

    /// How many rooms are listed.
    pub fn len(&self) -> usize {
        self.sections.iter().map(Vector::len).sum()
    }

    /// True when no room is listed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Controls a running room list: its filter, how much of it loads, and answers to
/// invitations. Cheap to clone.
#[derive(Clone)]
pub struct RoomListHandle {
    controllers: Arc<Vec<RoomListDynamicEntriesController>>,
    client: Client,
}

impl std::fmt::Debug for RoomListHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoomListHandle").finish_non_exhaustive()
    }
}

impl RoomListHandle {
    /// Loads the avatars of the rooms listed.
    pub fn avatars(&self) -> avatars::AvatarLoader {
        avatars::AvatarLoader::new(self.client.clone())
    }

    /// Shows only the rooms that pass `filter`. Each section restarts with a
    /// `VectorDiff::Reset` of its matching rooms, then follows them by diffs.
    pub fn set_filter(&self, filter: &RoomListFilter) {
        for (section, controller) in Section::ALL.into_iter().zip(self.controllers.iter()) {
            controller.set_filter(filter.for_section(section));
        }
    }

    /// Loads one more page of rooms (after the person scrolled to the end).
    pub fn load_more(&self) {
        for controller in self.controllers.iter() {
            controller.add_one_page();
        }
    }

    /// Accepts the invitation to `room_id` (joins the room).
    pub async fn accept_invite(&self, room_id: &RoomId) -> Result<()> {
        match self.client.get_room(room_id) {
            Some(room) => room.join().await.map_err(EngineError::matrix),
            None => self
                .client
                .join_room_by_id(room_id)
                .await
                .map(drop)
                .map_err(EngineError::matrix),
        }
    }

    /// Declines the invitation to `room_id` (leaves the room). An invitation the client no
    /// longer knows is already gone.
    pub async fn decline_invite(&self, room_id: &RoomId) -> Result<()> {
        match self.client.get_room(room_id) {
            Some(room) => room.leave().await.map_err(EngineError::matrix),
            None => Ok(()),
        }
    }
}

/// Starts the room list of `sync`: a handle to filter it and the stream of its sections'
/// changes. Every section first sends a `Reset` with what the local store already knows,
/// before any answer from the server, then diffs. The list shows everything until
/// [`RoomListHandle::set_filter`] says otherwise.
pub async fn room_list(
    sync: &AccountSync,
) -> Result<(RoomListHandle, impl Stream<Item = RoomListUpdate> + use<>)> {
    let service = sync.service().room_list_service();
    let client = service.client().clone();
    let task_client = client.clone();
    let all_rooms = service.all_rooms().await.map_err(EngineError::matrix)?;
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    let (controllers_sender, controllers_receiver) = tokio::sync::oneshot::channel();
    // The SDK's streams borrow the room list; a task owns both for as long as someone
    // listens.
    tokio::spawn(async move {
        let mut streams = Vec::new();
        let mut controllers = Vec::new();
        for section in Section::ALL {
            let (stream, controller) = all_rooms.entries_with_dynamic_adapters(PAGE_SIZE);
            controller.set_filter(RoomListFilter::default().for_section(section));
            streams.push(stream.map(move |batch| (section, batch)).boxed());
            controllers.push(controller);
        }
        if controllers_sender.send(controllers).is_err() {
            return;
        }
        let mut merged = futures_util::stream::select_all(streams);
        // A direct chat's shield follows its partner's identity, which changes without the
        // room changing: the task keeps what it sent to find those rows again.
        let mut trust = match super::trust::identities::trust_changes(&task_client).await {
            Ok(stream) => stream.boxed(),
            Err(err) => {
                tracing::warn!("the room list cannot follow identity changes: {err}");
                futures_util::stream::pending().boxed()
            }
        };
        // A room's mode (muted or not) follows the account's push rules, which change
        // without the room changing.
        let mut rule_changes = push_rule_changes(task_client.clone()).boxed();
        let mut sent = RoomListSections::default();
        loop {
            let update = tokio::select! {
                next = merged.next() => {
                    let Some((section, batch)) = next else { break };
                    if crate::startup_trace::enabled() {
                        crate::startup_trace::mark(&format!(
                            "room list batch for {section:?} ({} changes)",
                            batch.len()
                        ));
                    }
                    let many = match batch.as_slice() {
                        [VectorDiff::Reset { values }] if !values.is_empty() => {
                            Some((true, values.clone()))
                        }
                        [VectorDiff::Append { values }] if values.len() > 1 => {
                            Some((false, values.clone()))
                        }
                        _ => None,
                    };
                    if let Some((reset, rooms)) = many {
                        // A whole new list (the first, or after a filter change) or page
                        // goes out a screenful at a time, each first with what the rooms
                        // hold in memory, then with the sender names and shields that need
                        // a store read: the first rows do not wait for the others.
                        let mut first = if reset {
                            0
                        } else {
                            sent.section(section).len()
                        };
                        let mut failed = false;
                        for (chunk_index, chunk) in
                            rooms.iter().collect::<Vec<_>>().chunks(SCREENFUL).enumerate()
                        {
                            let quick: Vec<RoomSummary> =
                                chunk.iter().map(|room| RoomSummary::of(room)).collect();
                            let values = quick.iter().cloned().collect();
                            let diff = if reset && chunk_index == 0 {
                                VectorDiff::Reset { values }
                            } else {
                                VectorDiff::Append { values }
                            };
                            let mut updates = vec![RoomListUpdate {
                                section,
                                diffs: vec![diff],
                            }];
                            let mut sets = Vec::new();
                            for (offset, (room, summary)) in chunk.iter().zip(quick).enumerate() {
                                let full = summary.clone().completed(room).await;
                                if full != summary {
                                    sets.push(VectorDiff::Set {
                                        index: first + offset,
                                        value: full,
                                    });
                                }
                            }
                            if !sets.is_empty() {
                                updates.push(RoomListUpdate {
                                    section,
                                    diffs: sets,
                                });
                            }
                            first += chunk.len();
                            if chunk_index == 0 && crate::startup_trace::enabled() {
                                crate::startup_trace::mark(&format!(
                                    "room list: first {} rows of {section:?} sent",
                                    chunk.len()
                                ));
                            }
                            for update in updates {
                                sent.apply(update.clone());
                                if sender.send(update).is_err() {
                                    failed = true;
                                }
                            }
                            if failed {
                                break;
                            }
                        }
                        if failed {
                            break;
                        }
                        continue;
                    }
                    let mut diffs = Vec::with_capacity(batch.len());
                    for diff in batch {
                        diffs.push(summarise(diff).await);
                    }
                    RoomListUpdate { section, diffs }
                }
                Some(settings) = rule_changes.next() => {
                    let updates = mode_changes(&settings, &sent).await;
                    let mut failed = false;
                    for update in updates {
                        sent.apply(update.clone());
                        failed |= sender.send(update).is_err();
                    }
                    if failed {
                        break;
                    }
                    continue;
                }
                Some(users) = trust.next() => {
                    let updates = partner_changes(&task_client, &sent, &users).await;
                    let mut failed = false;
                    for update in updates {
                        sent.apply(update.clone());
                        failed |= sender.send(update).is_err();
                    }
                    if failed {
                        break;
                    }
                    continue;
                }
            };
            sent.apply(update.clone());
            if sender.send(update).is_err() {
                break;
            }
        }
    });
    let controllers = controllers_receiver
        .await
        .map_err(|_| EngineError::Matrix("the room list stopped at once".into()))?;
    let handle = RoomListHandle {
        controllers: Arc::new(controllers),
        client,
    };
    Ok((handle, tokio_stream_from(receiver)))
}

/// The account's notification settings each time its push rules change.
fn push_rule_changes(client: Client) -> impl Stream<Item = NotificationSettings> {
    futures_util::stream::once(async move {
        let settings = client.notification_settings().await;
        let changes = settings.subscribe_to_changes();
        (settings, changes)
    })
    .flat_map(|(settings, changes)| {
        futures_util::stream::unfold((settings, changes), |(settings, mut changes)| async move {
            match changes.recv().await {
                Ok(()) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    Some((settings.clone(), (settings, changes)))
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => None,
            }
        })
    })
}

/// `Set` diffs for the rooms whose muted state no longer shows the truth.
async fn mode_changes(
    settings: &NotificationSettings,
    sent: &RoomListSections,
) -> Vec<RoomListUpdate> {
    let mut updates = Vec::new();
    for section in Section::ALL {
        let mut diffs = Vec::new();
        for (index, summary) in sent.section(section).iter().enumerate() {
            let Ok(room_id) = RoomId::parse(&summary.room_id) else {
                continue;
            };
            let muted = settings
                .get_user_defined_room_notification_mode(&room_id)
                .await
                == Some(RoomNotificationMode::Mute);
            if muted != summary.is_muted {
                let mut value = summary.clone();
                value.is_muted = muted;
                diffs.push(VectorDiff::Set { index, value });
            }
        }
        if !diffs.is_empty() {
            updates.push(RoomListUpdate { section, diffs });
        }
    }
    updates
}

/// `Set` diffs for the direct chats with `users` whose shield no longer shows the truth.
async fn partner_changes(
    client: &Client,
    sent: &RoomListSections,
    users: &[OwnedUserId],
) -> Vec<RoomListUpdate> {
    let mut updates = Vec::new();
    for section in Section::ALL {
        let mut diffs = Vec::new();
        for (index, summary) in sent.section(section).iter().enumerate() {
            let Some(partner) = &summary.dm_partner else {
                continue;
            };
            if !users.contains(partner) {
                continue;
            }
            let verified = super::trust::identities::is_verified_locally(client, partner).await;
            if verified == summary.dm_partner_verified {
                continue;
            }
            let mut value = summary.clone();
            value.dm_partner_verified = verified;
            // In a direct chat the picture is the partner's (or set by one of the two).
            if let Some(avatar) = value.avatar.as_mut().filter(|a| !a.trust.own) {
                avatar.trust.verified = verified;
            }
            diffs.push(VectorDiff::Set { index, value });
        }
        if !diffs.is_empty() {
            updates.push(RoomListUpdate { section, diffs });
        }
    }
    updates
}

async fn summaries(rooms: Vector<RoomListItem>) -> Vector<RoomSummary> {
    let mut out = Vector::new();
    for room in rooms {
        out.push_back(RoomSummary::load(&room).await);
    }
    out
}

async fn summarise(diff: VectorDiff<RoomListItem>) -> RoomListDiff {
    match diff {
        VectorDiff::Append { values } => VectorDiff::Append {
            values: summaries(values).await,
        },
        VectorDiff::Clear => VectorDiff::Clear,
        VectorDiff::PushFront { value } => VectorDiff::PushFront {
            value: RoomSummary::load(&value).await,
        },
        VectorDiff::PushBack { value } => VectorDiff::PushBack {
            value: RoomSummary::load(&value).await,
        },
        VectorDiff::PopFront => VectorDiff::PopFront,
        VectorDiff::PopBack => VectorDiff::PopBack,
        VectorDiff::Insert { index, value } => VectorDiff::Insert {
            index,
            value: RoomSummary::load(&value).await,
        },
        VectorDiff::Set { index, value } => VectorDiff::Set {
            index,
            value: RoomSummary::load(&value).await,
        },
        VectorDiff::Remove { index } => VectorDiff::Remove { index },
        VectorDiff::Truncate { length } => VectorDiff::Truncate { length },
        VectorDiff::Reset { values } => VectorDiff::Reset {
            values: summaries(values).await,
        },
    }
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
    fn the_filter_shows_everything_only_without_kind_and_query() {
        assert!(RoomListFilter::default().is_everything());
        let spaces = RoomListFilter {
            kind: RoomKind::All,
            query: "  ".into(),
        };
        assert!(spaces.is_everything());
        let unread = RoomListFilter {
            kind: RoomKind::Unread,
            query: String::new(),
        };
        assert!(!unread.is_everything());
    }

    #[test]
    fn sections_apply_their_own_diffs() {
        let room = |name: &str| RoomSummary {
            room_id: matrix_sdk::ruma::OwnedRoomId::try_from(format!("!{name}:x")).unwrap(),
            name: name.into(),
            preview: Preview::Nothing,
            timestamp_ms: None,
            unread: 0,
            mentions: 0,
            is_invite: false,
            is_direct: false,
            is_encrypted: false,
            is_favourite: false,
            dm_partner: None,
            dm_partner_verified: false,
            is_muted: false,
            is_marked_unread: false,
            avatar: None,
        };
        let mut sections = RoomListSections::default();
        sections.apply(RoomListUpdate {
            section: Section::Rooms,
            diffs: vec![VectorDiff::Reset {
                values: [room("b"), room("c")].into_iter().collect(),
            }],
        });
        sections.apply(RoomListUpdate {
            section: Section::Invites,
            diffs: vec![VectorDiff::PushBack { value: room("a") }],
        });
        let names: Vec<&str> = sections.rooms().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(sections.len(), 3);
        assert!(sections.section(Section::Favourites).is_empty());
    }
}
