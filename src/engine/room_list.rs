//! The room list: matrix-sdk-ui's `RoomListService` entries turned into plain summaries and
//! streamed as diffs, never as whole new lists.
//!
//! The SDK sorts one stream by latest activity and offers no other order, so the list comes
//! in three sections, each its own filtered stream of the same `RoomList`: invitations, then
//! favourites (`m.favourite`), then every other room. Each section is sorted by the SDK's
//! sorter; a person's filter (kind and name) applies to all three.

use std::borrow::Cow;
use std::sync::Arc;

use eyeball_im::{Vector, VectorDiff};
use futures_util::{Stream, StreamExt};
use matrix_sdk::deserialized_responses::TimelineEventKind;
use matrix_sdk::latest_events::LatestEventValue;
use matrix_sdk::notification_settings::{NotificationSettings, RoomNotificationMode};
use matrix_sdk::ruma::events::room::member::MembershipChange;
use matrix_sdk::ruma::events::room::message::{MessageFormat, MessageType};
use matrix_sdk::ruma::events::{
    AnyMessageLikeEventContent, AnySyncMessageLikeEvent, AnySyncStateEvent, AnySyncTimelineEvent,
    SyncMessageLikeEvent, SyncStateEvent,
};
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::ruma::{OwnedRoomId, OwnedUserId, RoomId, UserId};
use matrix_sdk::{Client, Room, RoomState};
use matrix_sdk_ui::room_list_service::filters::{
    BoxedFilterFn, RoomCategory, new_filter_all, new_filter_any, new_filter_category,
    new_filter_deduplicate_versions, new_filter_favourite, new_filter_invite, new_filter_non_left,
    new_filter_normalized_match_room_name, new_filter_not, new_filter_unread,
};
use matrix_sdk_ui::room_list_service::{RoomListDynamicEntriesController, RoomListItem};

use super::avatars::{self, Avatar};
use super::bidi::strip_direction_overrides;
use super::html::html_to_preview_text;
use super::sync::AccountSync;
use super::timeline::entry::{Attachment, Media, MemberChange, StateChange, Unsupported};
use super::{EngineError, Result};

/// How many rows of a new list go out together: a phone's or a laptop's screenful (12
/// rows of 62 px fill 720 px and 800 px). The window's list view starts with as many.
pub const SCREENFUL: usize = 12;

/// How many rooms a section loads at first; more come with [`RoomListHandle::load_more`].
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
    async fn completed(self, room: &Room) -> Self {
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
                super::trust::identities::is_verified_locally(&room.client(), partner).await;
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
            room_id: OwnedRoomId::try_from(format!("!{name}:x")).unwrap(),
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
