//! Managing rooms: create a room or a direct chat, join, leave, invite, remove and ban
//! people, rename; and a snapshot of a room's details and members as the server has them
//! (`details`).

use matrix_sdk::ruma::api::client::room::Visibility;
use matrix_sdk::ruma::api::client::room::create_room::v3::{
    Request as CreateRoomRequest, RoomPreset,
};
use matrix_sdk::ruma::api::client::state::get_state_event_for_key;
use matrix_sdk::ruma::events::direct::{DirectEventContent, DirectUserIdentifier};
use matrix_sdk::ruma::events::room::encryption::{
    PossiblyRedactedRoomEncryptionEventContent, RoomEncryptionEventContent,
};
use matrix_sdk::ruma::events::room::member::{MembershipState, RoomMemberEventContent};
use matrix_sdk::ruma::events::{InitialStateEvent, StateEventType};
use matrix_sdk::ruma::{
    MatrixToUri, MatrixUri, OwnedRoomId, OwnedRoomOrAliasId, OwnedServerName, OwnedUserId, RoomId,
    UserId, matrix_uri::MatrixId,
};
use matrix_sdk::{Client, Room, RoomState};

use super::bidi::strip_direction_overrides;
use super::error::Call;
use super::session::Session;
use super::{EngineError, Result};

mod details;

pub use details::{Member, Membership, Role, RoomDetails, details, members};

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
