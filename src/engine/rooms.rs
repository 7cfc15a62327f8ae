//! Managing rooms: create a room or a direct chat, join, leave, invite, remove and ban
//! people, rename; and a snapshot of a room's details and members as the server has them.
//!
//! Details and members are read from the server (`/state`), not from the sync store: they
//! must be right just after a change, before any sync has brought it.

use std::collections::HashMap;

use matrix_sdk::ruma::api::client::room::Visibility;
use matrix_sdk::ruma::api::client::room::create_room::v3::{
    Request as CreateRoomRequest, RoomPreset,
};
use matrix_sdk::ruma::api::client::state::{get_state_event_for_key, get_state_events};
use matrix_sdk::ruma::events::direct::{DirectEventContent, DirectUserIdentifier};
use matrix_sdk::ruma::events::room::encryption::{
    PossiblyRedactedRoomEncryptionEventContent, RoomEncryptionEventContent,
};
use matrix_sdk::ruma::events::room::member::{MembershipState, RoomMemberEventContent};
use matrix_sdk::ruma::events::room::power_levels::{
    RoomPowerLevels, RoomPowerLevelsSource, UserPowerLevel,
};
use matrix_sdk::ruma::events::{AnyStateEvent, InitialStateEvent, StateEventType};
use matrix_sdk::ruma::room_version_rules::RoomVersionRules;
use matrix_sdk::ruma::{
    MatrixToUri, MatrixUri, OwnedMxcUri, OwnedRoomId, OwnedRoomOrAliasId, OwnedServerName,
    OwnedUserId, RoomId, RoomVersionId, UserId, matrix_uri::MatrixId,
};
use matrix_sdk::{Client, Room, RoomState};

use super::avatars::Avatar;
use super::bidi::strip_direction_overrides;
use super::error::Call;
use super::media::autoload::SenderTrust;
use super::session::Session;
use super::{EngineError, Result};

/// What a new room should be.
#[derive(Clone, Debug, Default)]
pub struct CreateRoom {
    /// The room's name; empty for none.
    pub name: String,
    /// The room's topic.
    pub topic: Option<String>,
    /// Matrix IDs of the people to invite.
    pub invitees: Vec<String>,
    /// Anyone who knows the address may join (the room is not published in the directory).
    pub public: bool,
    /// Messages are end-to-end encrypted. Only a public room may be unencrypted.
    pub encrypted: bool,
}

/// A person's standing in a room, from their power level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Power level 100 or more (or a room creator in room version 12).
    Admin,
    /// Power level 50 or more.
    Moderator,
    /// Anyone else.
    User,
}

impl Role {
    fn of(level: UserPowerLevel) -> Self {
        match level {
            UserPowerLevel::Infinite => Self::Admin,
            UserPowerLevel::Int(level) if i64::from(level) >= 100 => Self::Admin,
            UserPowerLevel::Int(level) if i64::from(level) >= 50 => Self::Moderator,
            UserPowerLevel::Int(_) => Self::User,
            _ => Self::User,
        }
    }
}

/// Whether a member is in the room or only invited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Membership {
    /// In the room.
    Joined,
    /// Invited, not (yet) in the room.
    Invited,
}

/// One member of a room.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// The Matrix ID.
    pub user_id: OwnedUserId,
    /// The display name (the Matrix ID when they set none), without direction overrides.
    pub display_name: String,
    /// Another member has the same name (or the name looks like a Matrix ID): show the ID too.
    pub name_ambiguous: bool,
    /// Admin, moderator or neither.
    pub role: Role,
    /// Joined or invited.
    pub membership: Membership,
    /// The signed-in person may remove this member.
    pub can_kick: bool,
    /// The signed-in person may ban this member.
    pub can_ban: bool,
    /// This account verified the member's identity (read from the local store).
    pub verified: bool,
    /// Their avatar in this room.
    pub avatar_url: Option<OwnedMxcUri>,
}

/// A room as the server has it now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomDetails {
    /// The room ID.
    pub room_id: OwnedRoomId,
    /// The room's own name, if it has one.
    pub name: Option<String>,
    /// The name to show: its own name, else its address, else the SDK's computed name.
    pub display_name: String,
    /// The topic.
    pub topic: Option<String>,
    /// The main address (`#name:server`).
    pub canonical_alias: Option<String>,
    /// Messages are end-to-end encrypted.
    pub is_encrypted: bool,
    /// A direct chat (the account's `m.direct` names it).
    pub is_direct: bool,
    /// Anyone may join (join rule `public`).
    pub is_public: bool,
    /// People in the room (not counting the invited).
    pub joined_count: usize,
    /// People invited.
    pub invited_count: usize,
    /// What the signed-in person may do here.
    pub can_invite: bool,
    /// May remove people (with a lower power level).
    pub can_kick: bool,
    /// May ban people (with a lower power level).
    pub can_ban: bool,
    /// May change the name.
    pub can_set_name: bool,
    /// May change the topic.
    pub can_set_topic: bool,
    /// The room's picture, with who set it.
    pub avatar: Option<Avatar>,
    /// May change the picture.
    pub can_set_avatar: bool,
}

/// Creates a room and returns its ID. A private room is always encrypted.
pub async fn create_room(session: &Session, room: CreateRoom) -> Result<OwnedRoomId> {
    if !room.public && !room.encrypted {
        return Err(EngineError::PrivateRoomUnencrypted);
    }
    let client = session.client();
    let mut invitees = Vec::with_capacity(room.invitees.len());
    for invitee in &room.invitees {
        let user_id = parse_user_id(invitee)?;
        ensure_user_exists(client, &user_id).await?;
        if !invitees.contains(&user_id) && Some(user_id.as_ref()) != client.user_id() {
            invitees.push(user_id);
        }
    }

    let mut request = CreateRoomRequest::new();
    let name = clean_text(&room.name);
    request.name = (!name.is_empty()).then_some(name);
    request.topic = room
        .topic
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(ToOwned::to_owned);
    request.invite = invitees;
    // Public means "joinable by its address", not listed in the server's directory.
    request.visibility = Visibility::Private;
    request.preset = Some(if room.public {
        RoomPreset::PublicChat
    } else {
        RoomPreset::PrivateChat
    });
    if room.encrypted {
        request.initial_state = vec![encryption_state()];
    }
    let created = client.create_room(request).await.map_err(classify)?;
    if room.encrypted {
        remember_encrypted(session, &created).await?;
    }
    Ok(created.room_id().to_owned())
}

/// Opens a direct chat with `user_id`: the existing one when there is one (joined or
/// invited, on either side) and it is encrypted, else a new encrypted one. An unencrypted
/// chat (made by another client, or before encryption) is never reused: what is written
/// there would go to the server in plaintext. Returns the room ID.
pub async fn start_direct_chat(session: &Session, user_id: &UserId) -> Result<OwnedRoomId> {
    let client = session.client();
    if Some(user_id) == client.user_id() {
        return Err(EngineError::DirectChatWithSelf);
    }
    ensure_user_exists(client, user_id).await?;
    if let Some(room_id) = existing_direct_chat(client, user_id).await? {
        return Ok(room_id);
    }
    // The SDK's `create_dm` does what a new DM needs: `is_direct`, the trusted private chat
    // preset, the encryption state, and the person added to `m.direct`.
    let room = client.create_dm(user_id).await.map_err(classify)?;
    remember_encrypted(session, &room).await?;
    Ok(room.room_id().to_owned())
}

/// Joins a room by `#alias:server`, `!id:server`, a matrix.to link or a `matrix:` URI, and
/// returns its ID. An invitation to the room is accepted the same way.
pub async fn join(session: &Session, address: &str) -> Result<OwnedRoomId> {
    let (target, via) = parse_room_address(address)?;
    let room = session
        .client()
        .join_room_by_id_or_alias(&target, &via)
        .await
        .map_err(|err| match classify(err) {
            EngineError::RoomNotFound(_) => EngineError::RoomNotFound(target.to_string()),
            other => other,
        })?;
    Ok(room.room_id().to_owned())
}

/// The ID of the joined room that `id_or_alias` names (its ID, canonical alias or one of
/// its other aliases), from what this device knows; no request is made.
pub fn joined_room(session: &Session, id_or_alias: &str) -> Option<OwnedRoomId> {
    session
        .client()
        .joined_rooms()
        .into_iter()
        .find(|room| {
            room.room_id().as_str() == id_or_alias
                || room
                    .canonical_alias()
                    .is_some_and(|alias| alias.as_str() == id_or_alias)
                || room
                    .alt_aliases()
                    .iter()
                    .any(|alias| alias.as_str() == id_or_alias)
        })
        .map(|room| room.room_id().to_owned())
}

/// Leaves the room (or declines its invitation).
pub async fn leave(session: &Session, room_id: &RoomId) -> Result<()> {
    let room = room(session, room_id)?;
    room.leave().await.map_err(classify)
}

/// How the account stopped being in a room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gone {
    /// It left (from here or another device) or was removed.
    Left,
    /// It was banned.
    Banned,
}

/// Waits until the account is no longer in the room: it left, from here or from another
/// device, or someone removed or banned it. Never returns while it stays.
pub async fn wait_until_gone(session: &Session, room_id: &RoomId) -> Result<Gone> {
    let room = room(session, room_id)?;
    let mut info = room.subscribe_info();
    loop {
        match room.state() {
            RoomState::Left => return Ok(Gone::Left),
            RoomState::Banned => return Ok(Gone::Banned),
            RoomState::Joined | RoomState::Invited | RoomState::Knocked => {}
        }
        if info.next().await.is_none() {
            // The client is gone: nothing more will change.
            std::future::pending::<()>().await;
        }
    }
}

/// Invites `user_id` to the room.
pub async fn invite(session: &Session, room_id: &RoomId, user_id: &UserId) -> Result<()> {
    let room = room(session, room_id)?;
    ensure_user_exists(session.client(), user_id).await?;
    room.invite_user_by_id(user_id).await.map_err(classify)
}

/// Removes `user_id` from the room, with an optional reason that they will see.
pub async fn kick(
    session: &Session,
    room_id: &RoomId,
    user_id: &UserId,
    reason: Option<&str>,
) -> Result<()> {
    let room = room(session, room_id)?;
    room.kick_user(user_id, clean_reason(reason).as_deref())
        .await
        .map_err(classify)
}

/// Bans `user_id` from the room, with an optional reason that they will see.
pub async fn ban(
    session: &Session,
    room_id: &RoomId,
    user_id: &UserId,
    reason: Option<&str>,
) -> Result<()> {
    let room = room(session, room_id)?;
    room.ban_user(user_id, clean_reason(reason).as_deref())
        .await
        .map_err(classify)
}

/// Renames the room; an empty name removes it.
pub async fn set_name(session: &Session, room_id: &RoomId, name: &str) -> Result<()> {
    let room = room(session, room_id)?;
    room.set_name(clean_text(name)).await.map_err(classify)?;
    Ok(())
}

/// Changes the room's topic; an empty topic removes it.
pub async fn set_topic(session: &Session, room_id: &RoomId, topic: &str) -> Result<()> {
    let room = room(session, room_id)?;
    room.set_room_topic(topic.trim()).await.map_err(classify)?;
    Ok(())
}

/// The room's details as the server has them now.
pub async fn details(session: &Session, room_id: &RoomId) -> Result<RoomDetails> {
    let state = RoomStateSnapshot::fetch(session, room_id).await?;
    let me = own_user_id(session)?;
    let levels = &state.power_levels;
    let (joined_count, invited_count) =
        state
            .members
            .values()
            .fold((0, 0), |(joined, invited), m| match m.membership {
                MembershipState::Join => (joined + 1, invited),
                MembershipState::Invite => (joined, invited + 1),
                _ => (joined, invited),
            });
    let known = session.client().get_room(&state.room_id);
    let sdk_name = match &known {
        Some(room) => room.display_name().await.ok().map(|n| n.to_string()),
        None => None,
    };
    let display_name = state
        .name
        .clone()
        .or_else(|| state.canonical_alias.clone())
        .or(sdk_name.filter(|n| !n.is_empty()))
        .unwrap_or_else(|| state.room_id.to_string());
    Ok(RoomDetails {
        room_id: state.room_id.clone(),
        name: state.name.clone(),
        display_name: strip_direction_overrides(&display_name),
        topic: state.topic.clone(),
        canonical_alias: state.canonical_alias.clone(),
        is_encrypted: state.encrypted,
        is_direct: known.is_some_and(|room| room.direct_targets_length() > 0),
        is_public: state.public,
        joined_count,
        invited_count,
        can_invite: levels.user_can_invite(&me),
        can_kick: levels.user_can_kick(&me),
        can_ban: levels.user_can_ban(&me),
        can_set_name: levels.user_can_send_state(&me, StateEventType::RoomName),
        can_set_topic: levels.user_can_send_state(&me, StateEventType::RoomTopic),
        can_set_avatar: levels.user_can_send_state(&me, StateEventType::RoomAvatar),
        avatar: match &state.avatar {
            Some((url, setter)) => Some(Avatar {
                url: url.clone(),
                trust: SenderTrust {
                    own: *setter == me,
                    verified: *setter != me
                        && super::trust::identities::is_verified_locally(session.client(), setter)
                            .await,
                },
            }),
            None => None,
        },
    })
}

/// The room's joined and invited members, admins first, then by name.
pub async fn members(session: &Session, room_id: &RoomId) -> Result<Vec<Member>> {
    let state = RoomStateSnapshot::fetch(session, room_id).await?;
    let me = own_user_id(session)?;
    let levels = &state.power_levels;
    let present: Vec<(&OwnedUserId, &RoomMemberEventContent)> = state
        .members
        .iter()
        .filter(|(_, m)| {
            matches!(
                m.membership,
                MembershipState::Join | MembershipState::Invite
            )
        })
        .collect();
    let names: Vec<String> = present
        .iter()
        .map(|(id, m)| {
            m.displayname
                .as_deref()
                .map(strip_direction_overrides)
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| id.to_string())
        })
        .collect();
    let mut uses: HashMap<String, usize> = HashMap::new();
    for name in &names {
        *uses.entry(name.to_lowercase()).or_default() += 1;
    }
    let mut members: Vec<Member> = present
        .iter()
        .zip(names)
        .map(|((user_id, content), display_name)| {
            let looks_like_id = display_name != user_id.as_str()
                && display_name.starts_with('@')
                && display_name.contains(':');
            Member {
                user_id: (*user_id).clone(),
                name_ambiguous: uses[&display_name.to_lowercase()] > 1 || looks_like_id,
                display_name,
                role: Role::of(levels.for_user(user_id)),
                membership: if content.membership == MembershipState::Join {
                    Membership::Joined
                } else {
                    Membership::Invited
                },
                can_kick: **user_id != *me && levels.user_can_kick_user(&me, user_id),
                can_ban: **user_id != *me && levels.user_can_ban_user(&me, user_id),
                verified: false,
                avatar_url: content.avatar_url.clone(),
            }
        })
        .collect();
    // Other people only: the shield says "you checked who this is".
    for member in members.iter_mut().filter(|m| m.user_id != me.as_str()) {
        member.verified =
            super::trust::identities::is_verified_locally(session.client(), &member.user_id).await;
    }
    members.sort_by(|a, b| {
        (a.role, a.display_name.to_lowercase(), &a.user_id).cmp(&(
            b.role,
            b.display_name.to_lowercase(),
            &b.user_id,
        ))
    });
    Ok(members)
}

/// What `/state` says of a room, reduced to what details and members need.
struct RoomStateSnapshot {
    room_id: OwnedRoomId,
    name: Option<String>,
    topic: Option<String>,
    canonical_alias: Option<String>,
    encrypted: bool,
    public: bool,
    power_levels: RoomPowerLevels,
    members: HashMap<OwnedUserId, RoomMemberEventContent>,
    /// The room's picture and who set it.
    avatar: Option<(OwnedMxcUri, OwnedUserId)>,
}

impl RoomStateSnapshot {
    async fn fetch(session: &Session, room_id: &RoomId) -> Result<Self> {
        let request = get_state_events::v3::Request::new(room_id.to_owned());
        let response =
            session
                .client()
                .send(request)
                .await
                .map_err(|err| match classify_http(err) {
                    EngineError::RoomNotFound(_) => EngineError::RoomNotFound(room_id.to_string()),
                    other => other,
                })?;
        let mut snapshot = Self {
            room_id: room_id.to_owned(),
            name: None,
            topic: None,
            canonical_alias: None,
            encrypted: false,
            public: false,
            power_levels: RoomPowerLevels::new(
                RoomPowerLevelsSource::None,
                &RoomVersionRules::V11.authorization,
                Vec::new(),
            ),
            members: HashMap::new(),
            avatar: None,
        };
        let mut power_levels = None;
        let mut version = RoomVersionId::V1;
        let mut creators = Vec::new();
        // A malformed event from the server is skipped, never trusted.
        for event in response
            .room_state
            .iter()
            .filter_map(|raw| raw.deserialize().ok())
        {
            match event {
                AnyStateEvent::RoomCreate(event) => {
                    creators.push(event.sender().to_owned());
                    if let Some(original) = event.as_original() {
                        version = original.content.room_version.clone();
                        creators.extend(original.content.additional_creators.iter().cloned());
                    }
                }
                AnyStateEvent::RoomName(event) => {
                    snapshot.name = event
                        .as_original()
                        .map(|e| clean_text(&e.content.name))
                        .filter(|n| !n.is_empty());
                }
                AnyStateEvent::RoomTopic(event) => {
                    snapshot.topic = event
                        .as_original()
                        .map(|e| strip_direction_overrides(e.content.topic.trim()))
                        .filter(|t| !t.is_empty());
                }
                AnyStateEvent::RoomCanonicalAlias(event) => {
                    snapshot.canonical_alias = event
                        .as_original()
                        .and_then(|e| e.content.alias.as_ref())
                        .map(ToString::to_string);
                }
                AnyStateEvent::RoomAvatar(event) => {
                    snapshot.avatar = event
                        .as_original()
                        .and_then(|e| Some((e.content.url.clone()?, e.sender.clone())));
                }
                AnyStateEvent::RoomEncryption(_) => snapshot.encrypted = true,
                AnyStateEvent::RoomJoinRules(event) => {
                    snapshot.public = event.as_original().is_some_and(|e| {
                        e.content.join_rule
                            == matrix_sdk::ruma::events::room::join_rules::JoinRule::Public
                    });
                }
                AnyStateEvent::RoomPowerLevels(event) => power_levels = Some(event),
                AnyStateEvent::RoomMember(event) => {
                    if let (Some(original), Ok(user_id)) = (
                        event.as_original(),
                        UserId::parse(event.state_key().as_str()),
                    ) {
                        snapshot.members.insert(user_id, original.content.clone());
                    }
                }
                _ => {}
            }
        }
        // An unknown room version is read with the rules of the current default one.
        let rules = version
            .rules()
            .unwrap_or(RoomVersionRules::V11)
            .authorization;
        creators.sort();
        creators.dedup();
        snapshot.power_levels = match power_levels {
            Some(event) => event.power_levels(&rules, creators),
            None => RoomPowerLevels::new(RoomPowerLevelsSource::None, &rules, creators),
        };
        Ok(snapshot)
    }
}

/// The live direct chat with `user_id`, if any: from `m.direct` on the server (sync may not
/// have brought a chat made a moment ago), the rooms sync marked as direct, and invitations
/// from that person marked as direct.
async fn existing_direct_chat(client: &Client, user_id: &UserId) -> Result<Option<OwnedRoomId>> {
    let mut candidates: Vec<OwnedRoomId> = Vec::new();
    let direct = client
        .account()
        .fetch_account_data_static::<DirectEventContent>()
        .await
        .map_err(classify)?;
    if let Some(content) = direct.and_then(|raw| raw.deserialize().ok())
        && let Some(rooms) = content.get(<&DirectUserIdentifier>::from(user_id))
    {
        candidates.extend(rooms.iter().rev().cloned());
    }
    let target = <&DirectUserIdentifier>::from(user_id);
    for room in client.joined_rooms() {
        let targets = room.direct_targets();
        if targets.len() == 1 && targets.contains(target) {
            candidates.push(room.room_id().to_owned());
        }
    }
    for room in client.invited_rooms() {
        if room.is_direct().await.unwrap_or(false)
            && room
                .invite_details()
                .await
                .is_ok_and(|invite| invite.inviter_id == user_id)
        {
            candidates.push(room.room_id().to_owned());
        }
    }
    let mut seen = Vec::new();
    for room_id in candidates {
        if seen.contains(&room_id) {
            continue;
        }
        seen.push(room_id.clone());
        if is_live_direct_chat(client, &room_id, user_id).await
            && is_encrypted(client, &room_id).await
        {
            return Ok(Some(room_id));
        }
    }
    Ok(None)
}

/// Whether `room_id` is encrypted: as far as sync knows (for an invitation, from its
/// invite state), else from the server's `m.room.encryption` state event.
async fn is_encrypted(client: &Client, room_id: &RoomId) -> bool {
    if let Some(room) = client.get_room(room_id) {
        if room.encryption_state().is_encrypted() {
            return true;
        }
        if room.state() == RoomState::Invited {
            return false;
        }
    }
    let request = get_state_event_for_key::v3::Request::new(
        room_id.to_owned(),
        StateEventType::RoomEncryption,
        String::new(),
    );
    client.send(request).await.is_ok_and(|response| {
        serde_json::from_str::<RoomEncryptionEventContent>(response.event_or_content.get()).is_ok()
    })
}

/// Whether both people are still in `room_id` (joined or invited).
async fn is_live_direct_chat(client: &Client, room_id: &RoomId, user_id: &UserId) -> bool {
    if client
        .get_room(room_id)
        .is_some_and(|room| room.state() == RoomState::Invited)
    {
        // An invitation that is still open: its inviter is the other person.
        return true;
    }
    let Some(me) = client.user_id() else {
        return false;
    };
    let present = |m: Option<MembershipState>| {
        matches!(m, Some(MembershipState::Join | MembershipState::Invite))
    };
    present(membership(client, room_id, me).await)
        && present(membership(client, room_id, user_id).await)
}

async fn membership(
    client: &Client,
    room_id: &RoomId,
    user_id: &UserId,
) -> Option<MembershipState> {
    let request = get_state_event_for_key::v3::Request::new(
        room_id.to_owned(),
        StateEventType::RoomMember,
        user_id.to_string(),
    );
    let response = client.send(request).await.ok()?;
    serde_json::from_str::<RoomMemberEventContent>(response.event_or_content.get())
        .ok()
        .map(|c| c.membership)
}

fn encryption_state() -> matrix_sdk::ruma::serde::Raw<matrix_sdk::ruma::events::AnyInitialStateEvent>
{
    InitialStateEvent::with_empty_state_key(RoomEncryptionEventContent::with_recommended_defaults())
        .to_raw_any()
}

/// Writes into the SDK's record of `room`, which Sotto has just created encrypted, that it
/// is encrypted, and remembers that for the send path's check. The room list's sync may have
/// seen the new room before the server wrote its `m.room.encryption` event, and the SDK then
/// takes the room for an unencrypted one until a later sync: a message sent at once would
/// go out in plaintext. Nothing in the SDK ever unsets the encryption event again.
async fn remember_encrypted(session: &Session, room: &Room) -> Result<()> {
    session.note_created_encrypted(room.room_id());
    let content = serde_json::to_value(RoomEncryptionEventContent::with_recommended_defaults())
        .and_then(serde_json::from_value::<PossiblyRedactedRoomEncryptionEventContent>)
        .map_err(EngineError::matrix)?;
    room.update_and_save_room_info(|mut info| {
        info.set_encryption_event(Some(content));
        info.mark_encryption_state_synced();
        // No notable reason (the SDK does not re-export the flags' type; this is its
        // empty set, which it reports as `NONE`).
        (info, std::iter::empty().collect())
    })
    .await
    .map_err(EngineError::matrix)
}

/// Errors when `user_id` does not exist on its server (its profile is not found).
async fn ensure_user_exists(client: &Client, user_id: &UserId) -> Result<()> {
    match client.account().fetch_user_profile_of(user_id).await {
        Ok(_) => Ok(()),
        Err(err) => match classify(err) {
            EngineError::RoomNotFound(_) => Err(EngineError::UserNotFound(user_id.to_string())),
            // Some servers hide profiles from strangers; the invite itself will tell.
            EngineError::NotAllowed => Ok(()),
            other => Err(other),
        },
    }
}

fn own_user_id(session: &Session) -> Result<OwnedUserId> {
    session
        .client()
        .user_id()
        .map(ToOwned::to_owned)
        .ok_or(EngineError::SessionInvalidated { soft: false })
}

/// The SDK's room for `room_id`. Rooms made or joined by this session are known at once;
/// others come with the sync.
fn room(session: &Session, room_id: &RoomId) -> Result<Room> {
    session
        .client()
        .get_room(room_id)
        .ok_or_else(|| EngineError::RoomNotFound(room_id.to_string()))
}

/// A Matrix user ID, trimmed; a clear error for anything else.
pub fn parse_user_id(input: &str) -> Result<OwnedUserId> {
    let input = input.trim();
    let input = input
        .strip_prefix("https://matrix.to/#/")
        .map_or(input, |rest| rest.split('?').next().unwrap_or(rest));
    UserId::parse(input)
        .ok()
        .filter(|id| !id.localpart().is_empty() && id.validate_strict().is_ok())
        .ok_or_else(|| EngineError::InvalidMatrixId(input.to_owned()))
}

/// A room alias or ID, with the servers to join through, from what a person pasted:
/// `#alias:server`, `!id:server`, `https://matrix.to/#/…` or `matrix:r/…`.
pub fn parse_room_address(input: &str) -> Result<(OwnedRoomOrAliasId, Vec<OwnedServerName>)> {
    let trimmed = input.trim();
    let invalid = || EngineError::InvalidRoomAddress(trimmed.to_owned());
    let (id, via) = if trimmed.starts_with("https://matrix.to/") {
        let uri = MatrixToUri::parse(trimmed).map_err(|_| invalid())?;
        (uri.id().clone(), uri.via().to_vec())
    } else if trimmed.starts_with("matrix:") {
        let uri = MatrixUri::parse(trimmed).map_err(|_| invalid())?;
        (uri.id().clone(), uri.via().to_vec())
    } else {
        let id = OwnedRoomOrAliasId::try_from(trimmed).map_err(|_| invalid())?;
        return Ok((id, Vec::new()));
    };
    let target: OwnedRoomOrAliasId = match id {
        MatrixId::Room(room_id) => room_id.into(),
        MatrixId::RoomAlias(alias) => alias.into(),
        MatrixId::Event(room, _) => room,
        _ => return Err(invalid()),
    };
    Ok((target, via))
}

/// `text` on one line, trimmed, without direction overrides.
fn clean_text(text: &str) -> String {
    strip_direction_overrides(text.trim()).replace(['\n', '\r'], " ")
}

fn clean_reason(reason: Option<&str>) -> Option<String> {
    reason
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(strip_direction_overrides)
}

/// A room call failed: see [`Call::Room`].
fn classify(err: matrix_sdk::Error) -> EngineError {
    EngineError::from_sdk(err, Call::Room)
}

/// A room request failed: see [`Call::Room`].
fn classify_http(err: matrix_sdk::HttpError) -> EngineError {
    EngineError::from_http(err, Call::Room)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_addresses_in_every_form() {
        let (id, via) = parse_room_address(" #room:example.org ").unwrap();
        assert_eq!(id.as_str(), "#room:example.org");
        assert!(via.is_empty());
        let (id, _) = parse_room_address("!abc:example.org").unwrap();
        assert_eq!(id.as_str(), "!abc:example.org");
        let (id, via) =
            parse_room_address("https://matrix.to/#/!abc:example.org?via=other.org").unwrap();
        assert_eq!(id.as_str(), "!abc:example.org");
        assert_eq!(via[0].as_str(), "other.org");
        let (id, _) = parse_room_address("https://matrix.to/#/%23room%3Aexample.org").unwrap();
        assert_eq!(id.as_str(), "#room:example.org");
        let (id, _) = parse_room_address("matrix:r/room:example.org").unwrap();
        assert_eq!(id.as_str(), "#room:example.org");
        for bad in [
            "",
            "room",
            "#room",
            "https://matrix.to/#/@alice:example.org",
            "@a:b",
        ] {
            assert!(
                matches!(
                    parse_room_address(bad),
                    Err(EngineError::InvalidRoomAddress(_))
                ),
                "{bad:?} is no room address"
            );
        }
    }

    #[test]
    fn user_ids_are_checked() {
        assert_eq!(
            parse_user_id(" @alice:example.org ").unwrap().as_str(),
            "@alice:example.org"
        );
        assert_eq!(
            parse_user_id("https://matrix.to/#/@alice:example.org")
                .unwrap()
                .as_str(),
            "@alice:example.org"
        );
        for bad in [
            "",
            "alice",
            "@alice",
            "alice:example.org",
            "@:example.org",
            "@al ice:x.org",
        ] {
            assert!(
                matches!(parse_user_id(bad), Err(EngineError::InvalidMatrixId(_))),
                "{bad:?} is no user ID"
            );
        }
    }

    #[test]
    fn texts_are_one_line_without_direction_overrides() {
        assert_eq!(clean_text(" \u{202E}evil\u{2066}name\u{2069}"), "evilname");
        assert_eq!(clean_text("  two\nlines "), "two lines");
    }
}
