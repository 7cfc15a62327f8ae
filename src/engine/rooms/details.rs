//! A snapshot of a room's details and members as the server has them. They are read from
//! the server (`/state`), not from the sync store: they must be right just after a change,
//! before any sync has brought it.

use std::collections::HashMap;

use matrix_sdk::ruma::api::client::state::get_state_events;
use matrix_sdk::ruma::events::room::member::{MembershipState, RoomMemberEventContent};
use matrix_sdk::ruma::events::room::power_levels::{
    RoomPowerLevels, RoomPowerLevelsSource, UserPowerLevel,
};
use matrix_sdk::ruma::events::{AnyStateEvent, StateEventType};
use matrix_sdk::ruma::room_version_rules::RoomVersionRules;
use matrix_sdk::ruma::{OwnedMxcUri, OwnedRoomId, OwnedUserId, RoomId, RoomVersionId, UserId};

use crate::engine::avatars::Avatar;
use crate::engine::bidi::strip_direction_overrides;
use crate::engine::media::autoload::SenderTrust;
use crate::engine::session::Session;
use crate::engine::{EngineError, Result};

use super::{classify_http, clean_text, own_user_id};

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
                        && crate::engine::trust::identities::is_verified_locally(
                            session.client(),
                            setter,
                        )
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
        member.verified = crate::engine::trust::identities::is_verified_locally(
            session.client(),
            &member.user_id,
        )
        .await;
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
