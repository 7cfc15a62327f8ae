//! How much each room notifies, stored as the account's push rules on the server, so that
//! the person's other clients (and the server's push gateway) follow the same choice; the
//! person's keywords; and "mark as unread" (`m.marked_unread`).

use matrix_sdk::notification_settings::{IsEncrypted, IsOneToOne, NotificationSettings};
use matrix_sdk::ruma::RoomId;
use matrix_sdk::{Room, RoomState};

use super::session::Session;
use super::{EngineError, Result};

/// How much a room notifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoomMode {
    /// Every message.
    AllMessages,
    /// Only mentions of the person and their keywords.
    MentionsAndKeywords,
    /// Nothing; the room shows no count either.
    Mute,
}

impl From<matrix_sdk::notification_settings::RoomNotificationMode> for RoomMode {
    fn from(mode: matrix_sdk::notification_settings::RoomNotificationMode) -> Self {
        use matrix_sdk::notification_settings::RoomNotificationMode as Sdk;
        match mode {
            Sdk::AllMessages => Self::AllMessages,
            Sdk::MentionsAndKeywordsOnly => Self::MentionsAndKeywords,
            Sdk::Mute => Self::Mute,
        }
    }
}

impl From<RoomMode> for matrix_sdk::notification_settings::RoomNotificationMode {
    fn from(mode: RoomMode) -> Self {
        match mode {
            RoomMode::AllMessages => Self::AllMessages,
            RoomMode::MentionsAndKeywords => Self::MentionsAndKeywordsOnly,
            RoomMode::Mute => Self::Mute,
        }
    }
}

/// The account's notification settings, loaded once per session (each load subscribes to
/// the push rules anew).
async fn settings(session: &Session) -> &NotificationSettings {
    session
        .notification_settings()
        .get_or_init(|| session.client().notification_settings())
        .await
}

fn joined_room(session: &Session, room_id: &RoomId) -> Result<Room> {
    session
        .client()
        .get_room(room_id)
        .filter(|room| room.state() == RoomState::Joined)
        .ok_or_else(|| EngineError::RoomNotFound(room_id.to_string()))
}

/// Whether the push rules treat `room` as a one-to-one chat (exactly two members).
fn one_to_one(room: &Room) -> IsOneToOne {
    IsOneToOne::from(room.active_members_count() == 2)
}

/// The mode of `room_id` now: the person's own choice for it, else the account's default
/// for rooms of its kind.
pub async fn room_mode(session: &Session, room_id: &RoomId) -> Result<RoomMode> {
    let room = joined_room(session, room_id)?;
    let settings = settings(session).await;
    if let Some(mode) = settings
        .get_user_defined_room_notification_mode(room.room_id())
        .await
    {
        return Ok(mode.into());
    }
    let encrypted = room.encryption_state().is_encrypted();
    Ok(settings
        .get_default_room_notification_mode(IsEncrypted::from(encrypted), one_to_one(&room))
        .await
        .into())
}

/// The mode of `room_id`, read without waiting: the person's own choice as last synced,
/// `None` when they made none (the account's default applies).
pub fn cached_room_mode(session: &Session, room_id: &RoomId) -> Option<RoomMode> {
    let room = joined_room(session, room_id).ok()?;
    room.cached_user_defined_notification_mode()
        .map(RoomMode::from)
}

/// Sets the mode of `room_id` in the account's push rules; `None` removes the person's
/// choice, so that the account's default for rooms of its kind applies.
pub async fn set_room_mode(
    session: &Session,
    room_id: &RoomId,
    mode: Option<RoomMode>,
) -> Result<()> {
    let room = joined_room(session, room_id)?;
    let settings = settings(session).await;
    match mode {
        Some(mode) => {
            settings
                .set_room_notification_mode(room.room_id(), mode.into())
                .await
        }
        None => {
            settings
                .delete_user_defined_room_rules(room.room_id())
                .await
        }
    }
    .map_err(EngineError::matrix)
}

/// The person's keywords: words that notify like a mention.
pub async fn keywords(session: &Session) -> Vec<String> {
    settings(session)
        .await
        .enabled_keywords()
        .await
        .into_iter()
        .collect()
}

/// Adds `keyword` to the person's keywords.
pub async fn add_keyword(session: &Session, keyword: &str) -> Result<()> {
    let keyword = keyword.trim();
    if keyword.is_empty() {
        return Ok(());
    }
    settings(session)
        .await
        .add_keyword(keyword.to_owned())
        .await
        .map_err(EngineError::matrix)
}

/// Removes `keyword` from the person's keywords.
pub async fn remove_keyword(session: &Session, keyword: &str) -> Result<()> {
    settings(session)
        .await
        .remove_keyword(keyword)
        .await
        .map_err(EngineError::matrix)
}

/// Marks `room_id` as unread (or not) for all the person's clients (`m.marked_unread`).
pub async fn set_marked_unread(session: &Session, room_id: &RoomId, unread: bool) -> Result<()> {
    let room = joined_room(session, room_id)?;
    room.set_unread_flag(unread)
        .await
        .map_err(|err| EngineError::from_sdk(err, super::error::Call::Room))
}

/// Whether `room_id` is marked as unread.
pub fn is_marked_unread(session: &Session, room_id: &RoomId) -> bool {
    joined_room(session, room_id).is_ok_and(|room| room.is_marked_unread())
}
