//! Other people's identities: verified or not, a whole room's summary, and the warnings
//! when someone's identity changed. A room with an unacknowledged change is blocked for
//! sending until the person acknowledges it (or verifies the new identity).

use crate::engine::ids::{RoomId, UserId};
use futures_util::{FutureExt, Stream, StreamExt};
use matrix_sdk::RoomMemberships;
use matrix_sdk::ruma::OwnedUserId;
use matrix_sdk_crypto::{IdentityState, IdentityStatusChange};

use super::classify;
use crate::engine::session::{KeySharing, Session};
use crate::engine::{EngineError, Result};

/// How far Sotto trusts one person's identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserTrust {
    /// Verified by this account.
    Verified,
    /// Known but not verified.
    Unverified,
    /// The identity changed since it was first seen and the change is not acknowledged.
    Changed,
    /// The identity changed after it had been verified: a serious warning.
    ChangedAfterVerification,
    /// The person has no cross-signing identity (or it is not known yet).
    NoIdentity,
}

/// The summary of a room's members' identities, for the room header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoomTrust {
    /// Every other member is verified.
    AllVerified,
    /// Some other members are not verified (none changed).
    SomeUnverified,
    /// These members' identities changed and the change is not acknowledged.
    IdentityChanged(Vec<OwnedUserId>),
}

/// A warning about one person's changed identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityWarning {
    /// Whose identity changed.
    pub user_id: OwnedUserId,
    /// True when the old identity had been verified (the more serious case).
    pub was_verified: bool,
}

fn room(session: &Session, room_id: &RoomId) -> Result<matrix_sdk::Room> {
    session
        .client()
        .get_room(room_id)
        .ok_or_else(|| EngineError::matrix(std::io::Error::other("unknown room")))
}

/// `user_id`'s cross-signing identity: the one known here, else the server's (`None`
/// when they have none).
pub(crate) async fn find_user_identity(
    session: &Session,
    user_id: &UserId,
) -> Result<Option<matrix_sdk::encryption::identities::UserIdentity>> {
    let encryption = session.client().encryption();
    match encryption
        .get_user_identity(user_id)
        .await
        .map_err(EngineError::matrix)?
    {
        Some(identity) => Ok(Some(identity)),
        None => encryption
            .request_user_identity(user_id)
            .await
            .map_err(classify),
    }
}

/// How far this account trusts `user_id`'s identity, asking the server for it when it is
/// not known here yet.
pub async fn user_trust(session: &Session, user_id: &UserId) -> Result<UserTrust> {
    let Some(identity) = find_user_identity(session, user_id).await? else {
        return Ok(UserTrust::NoIdentity);
    };
    if identity.is_verified() {
        return Ok(UserTrust::Verified);
    }
    if identity.has_verification_violation() {
        return Ok(UserTrust::ChangedAfterVerification);
    }
    let warnings = current_warnings(session, user_id).await?;
    Ok(if warnings {
        UserTrust::Changed
    } else {
        UserTrust::Unverified
    })
}

/// The joined encrypted rooms where any of `users` is a member (by the members known here).
async fn encrypted_rooms_with(session: &Session, users: &[OwnedUserId]) -> Vec<matrix_sdk::Room> {
    let mut rooms = Vec::new();
    for room in session.client().joined_rooms() {
        if !room.encryption_state().is_encrypted() {
            continue;
        }
        for user_id in users {
            if room
                .get_member_no_sync(user_id)
                .await
                .ok()
                .flatten()
                .is_some()
            {
                rooms.push(room);
                break;
            }
        }
    }
    rooms
}

/// Whether any shared room reports a pin violation for `user_id`.
async fn current_warnings(session: &Session, user_id: &UserId) -> Result<bool> {
    for room in encrypted_rooms_with(session, &[user_id.to_owned()]).await {
        if initial_warnings(&room)
            .await?
            .iter()
            .any(|w| w.user_id == user_id.as_str())
        {
            return Ok(true);
        }
    }
    Ok(false)
}

fn warning(change: &IdentityStatusChange) -> Option<IdentityWarning> {
    match change.changed_to {
        IdentityState::PinViolation => Some(IdentityWarning {
            user_id: change.user_id.clone(),
            was_verified: false,
        }),
        IdentityState::VerificationViolation => Some(IdentityWarning {
            user_id: change.user_id.clone(),
            was_verified: true,
        }),
        IdentityState::Verified | IdentityState::Pinned => None,
    }
}

/// The warnings of a room now: the SDK yields the current bad states at once when there
/// are any, and otherwise waits for a change.
async fn initial_warnings(room: &matrix_sdk::Room) -> Result<Vec<IdentityWarning>> {
    let stream = room
        .subscribe_to_identity_status_changes()
        .await
        .map_err(classify)?;
    let mut stream = Box::pin(stream);
    Ok(match stream.next().now_or_never() {
        Some(Some(changes)) => changes.iter().filter_map(warning).collect(),
        _ => Vec::new(),
    })
}

/// The members of `room_id` whose identity changed without acknowledgement, now and each
/// time that set changes (the whole set each time, sorted by user ID).
pub async fn identity_warnings(
    session: &Session,
    room_id: &RoomId,
) -> Result<impl Stream<Item = Vec<IdentityWarning>> + use<>> {
    let room = room(session, room_id)?;
    let changes = room
        .subscribe_to_identity_status_changes()
        .await
        .map_err(classify)?;
    let mut current: Vec<IdentityWarning> = Vec::new();
    let updates = changes.map(move |batch| {
        for change in &batch {
            current.retain(|w| w.user_id != change.user_id.as_str());
            if let Some(w) = warning(change) {
                current.push(w);
            }
        }
        current.sort_by(|a, b| a.user_id.cmp(&b.user_id));
        current.clone()
    });
    // The first item is the state now, even when there is nothing to warn about.
    let mut updates = Box::pin(updates);
    let first = match updates.next().now_or_never() {
        Some(Some(list)) => list,
        _ => Vec::new(),
    };
    Ok(futures_util::stream::once(async move { first }).chain(updates))
}

/// The room's summary: everyone verified, someone unverified, or someone's identity
/// changed.
pub async fn room_trust(session: &Session, room_id: &RoomId) -> Result<RoomTrust> {
    let room = room(session, room_id)?;
    let warnings = initial_warnings(&room).await?;
    if !warnings.is_empty() {
        return Ok(RoomTrust::IdentityChanged(
            warnings.into_iter().map(|w| w.user_id).collect(),
        ));
    }
    let own = session.client().user_id().map(ToOwned::to_owned);
    let members = room
        .members(RoomMemberships::ACTIVE)
        .await
        .map_err(classify)?;
    let encryption = session.client().encryption();
    for member in members {
        if Some(member.user_id()) == own.as_deref() {
            continue;
        }
        let verified = encryption
            .get_user_identity(member.user_id())
            .await
            .map_err(EngineError::matrix)?
            .is_some_and(|identity| identity.is_verified());
        if !verified {
            return Ok(RoomTrust::SomeUnverified);
        }
    }
    Ok(RoomTrust::AllVerified)
}

/// Refuses sending into `room_id` while someone's identity change there is not
/// acknowledged (`IdentityChanged` with their user IDs), or while a new session of someone
/// without cross-signing waits for the person's confirmation (`SessionsUnconfirmed`).
/// Applies the key sharing rule to the room's members first. Every send path calls it.
pub async fn ensure_can_send(session: &Session, room_id: &RoomId) -> Result<()> {
    let room = room(session, room_id)?;
    if !room.encryption_state().is_encrypted() {
        return Ok(());
    }
    let waiting = super::recipients::prepare_room(session, &room).await?;
    refuse_while_blocked(&room, waiting).await
}

/// `IdentityChanged` or `SessionsUnconfirmed` when `room` has either (`waiting` being its
/// sessions that wait for confirmation), nothing otherwise.
async fn refuse_while_blocked(
    room: &matrix_sdk::Room,
    waiting: Vec<super::recipients::UnconfirmedSession>,
) -> Result<()> {
    let warnings = initial_warnings(room).await?;
    if !warnings.is_empty() {
        return Err(EngineError::IdentityChanged(
            warnings.into_iter().map(|w| w.user_id).collect(),
        ));
    }
    if !waiting.is_empty() {
        let mut users: Vec<_> = waiting.iter().map(|s| s.user_id.clone()).collect();
        users.dedup();
        return Err(EngineError::SessionsUnconfirmed(users));
    }
    Ok(())
}

/// Like `ensure_can_send`, with the members' keys asked for afresh first: for messages that
/// waited (offline, or held) before they go out. Fails when the server does not answer.
pub async fn ensure_can_resume(session: &Session, room_id: &RoomId) -> Result<()> {
    let room = room(session, room_id)?;
    if room.encryption_state().is_encrypted() {
        // Offline, this fails: nothing resumes on knowledge from before the pause.
        super::recipients::refresh_members(session, &room).await?;
    }
    ensure_can_send(session, room_id).await
}

/// Lets the send queues of the encrypted rooms shared with `user_id` go on where nothing
/// blocks sending any more (after the person acknowledged or confirmed something).
pub async fn resume_sending_with(session: &Session, user_id: &UserId) {
    for room in encrypted_rooms_with(session, &[user_id.to_owned()]).await {
        if room.send_queue().is_enabled() {
            continue;
        }
        if ensure_can_send(session, room.room_id()).await.is_ok() {
            session.set_held(room.room_id(), false);
            room.send_queue().set_enabled(true);
        }
    }
}

/// Holds the send queues of the encrypted rooms shared with `users` where something now
/// blocks sending: what waits there is not sent until the person decides.
pub(crate) async fn hold_sending_with(session: &Session, users: &[OwnedUserId]) {
    for room in encrypted_rooms_with(session, users).await {
        if !room.send_queue().is_enabled() {
            continue;
        }
        // By what is known here: no request to the server from this watcher.
        let Ok(waiting) = super::recipients::unconfirmed_sessions(session, &room).await else {
            continue;
        };
        if let Err(EngineError::IdentityChanged(_) | EngineError::SessionsUnconfirmed(_)) =
            refuse_while_blocked(&room, waiting).await
        {
            tracing::info!("sending into a room waits for the person's decision");
            session.set_held(room.room_id(), true);
            room.send_queue().set_enabled(false);
        }
    }
}

/// The sessions of `room_id` that wait for the person's confirmation, now and each time
/// that set changes.
pub async fn unconfirmed_session_updates(
    session: &Session,
    room_id: &RoomId,
) -> Result<impl Stream<Item = Vec<super::recipients::UnconfirmedSession>> + use<>> {
    let room = room(session, room_id)?;
    let encryption = session.client().encryption();
    let devices = encryption
        .devices_stream()
        .await
        .map_err(EngineError::matrix)?
        .map(|_| ());
    let identities = trust_changes(session.client()).await?.map(|_| ());
    let triggers = polled_apart(futures_util::stream::select(
        Box::pin(devices),
        Box::pin(identities),
    ));
    let session = session.clone();
    let first = super::recipients::unconfirmed_sessions(&session, &room).await?;
    Ok(reread_on_change(first, triggers, move || {
        let (session, room) = (session.clone(), room.clone());
        async move { super::recipients::unconfirmed_sessions(&session, &room).await }
    }))
}

/// Accepts `user_id`'s new identity: a verified-then-changed identity loses its verified
/// mark, a changed one becomes the identity to compare against from now on. Sending to
/// rooms with them works again.
pub async fn acknowledge_identity(session: &Session, user_id: &UserId) -> Result<()> {
    let identity = session
        .client()
        .encryption()
        .get_user_identity(user_id)
        .await
        .map_err(EngineError::matrix)?
        .ok_or_else(|| EngineError::NotVerifiable(user_id.to_string()))?;
    if identity.has_verification_violation() {
        identity
            .withdraw_verification()
            .await
            .map_err(EngineError::matrix)?;
    }
    identity.pin().await.map_err(EngineError::matrix)?;
    super::recipients::accept_identity(session, user_id).await?;
    tracing::debug!(user = %user_id, "acknowledged a changed identity");
    resume_sending_with(session, user_id).await;
    Ok(())
}

/// A device that messages in a room are not encrypted for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeftOutDevice {
    /// Whose device.
    pub user_id: OwnedUserId,
    /// The device ID.
    pub device_id: String,
}

/// The devices of the members of `room_id` that this session's messages leave out, by the
/// key sharing rule in force: by default those their owner did not vouch for (see
/// `recipients`; sessions that wait for the person's confirmation are not listed here, the
/// identity banner names them); under "encrypt only for verified devices" those not
/// verified by their owner (every device of a member without a cross-signing identity).
/// The SDK does not report the devices it withheld a key from.
pub async fn devices_left_out(session: &Session, room_id: &RoomId) -> Result<Vec<LeftOutDevice>> {
    let room = room(session, room_id)?;
    let own_user = session.client().user_id().map(ToOwned::to_owned);
    let own_device = session.client().device_id().map(ToOwned::to_owned);
    let mut users: Vec<OwnedUserId> = room
        .members(RoomMemberships::ACTIVE)
        .await
        .map_err(classify)?
        .iter()
        .map(|m| m.user_id().to_owned())
        .collect();
    if let Some(own) = &own_user
        && !users.contains(own)
    {
        users.push(own.clone());
    }
    let strict = session.key_sharing() == KeySharing::VerifiedDevicesOnly;
    let encryption = session.client().encryption();
    let mut left_out = Vec::new();
    for user_id in users {
        let is_own = own_user.as_ref() == Some(&user_id);
        let has_identity = encryption
            .get_user_identity(&user_id)
            .await
            .map_err(EngineError::matrix)?
            .is_some();
        let devices = encryption
            .get_user_devices(&user_id)
            .await
            .map_err(classify)?;
        for device in devices.devices() {
            if device.is_deleted() || (is_own && own_device.as_deref() == Some(device.device_id()))
            {
                continue;
            }
            let out = if strict {
                !device.is_cross_signed_by_owner()
            } else {
                (has_identity || is_own) && !super::recipients::gets_keys(&device)
            };
            if out {
                left_out.push(LeftOutDevice {
                    user_id: user_id.clone(),
                    device_id: device.device_id().to_string(),
                });
            }
        }
    }
    left_out.sort_by(|a, b| (&a.user_id, &a.device_id).cmp(&(&b.user_id, &b.device_id)));
    Ok(left_out)
}

/// What the room says under "encrypt only for verified devices".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SharingNotice {
    /// Nothing can be sent: the account has no cross-signing identity yet, or this
    /// session is not verified (the SDK refuses to share keys from it).
    pub blocked: Option<SendingBlocked>,
    /// The people whose unverified sessions get no keys: (user ID, display name or user
    /// ID, how many sessions), sorted by user ID. This account's own other unverified
    /// sessions are listed under its own user ID.
    pub left_out: Vec<(OwnedUserId, String, usize)>,
}

/// Why nothing can be sent under "encrypt only for verified devices".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendingBlocked {
    /// The account has no cross-signing identity.
    NoIdentity,
    /// This session is not verified by the account's identity.
    ThisSessionUnverified,
}

/// The notice for `room_id`: empty when nobody is left out (and, under "encrypt only for
/// verified devices", sending is not blocked).
pub async fn sharing_notice(session: &Session, room_id: &RoomId) -> Result<SharingNotice> {
    let blocked = if session.key_sharing() != KeySharing::VerifiedDevicesOnly {
        None
    } else if !super::cross_signing::has_cross_signing_identity(session).await? {
        Some(SendingBlocked::NoIdentity)
    } else if !super::cross_signing::is_this_session_verified(session) {
        Some(SendingBlocked::ThisSessionUnverified)
    } else {
        None
    };
    let room = room(session, room_id)?;
    let mut left_out: Vec<(OwnedUserId, String, usize)> = Vec::new();
    for device in devices_left_out(session, room_id).await? {
        match left_out.last_mut() {
            Some((user, _, count)) if *user == device.user_id => *count += 1,
            _ => {
                let user_id = device.user_id.clone();
                let name = room
                    .get_member_no_sync(&user_id)
                    .await
                    .ok()
                    .flatten()
                    .and_then(|m| m.display_name().map(ToOwned::to_owned))
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(|| device.user_id.to_string());
                left_out.push((device.user_id, name, 1));
            }
        }
    }
    Ok(SharingNotice { blocked, left_out })
}

/// Whether this account verified `user_id`'s identity, from the local store only (no
/// request to the server): false for an unknown identity.
pub async fn is_verified_locally(client: &matrix_sdk::Client, user_id: &UserId) -> bool {
    client
        .encryption()
        .get_user_identity(user_id)
        .await
        .ok()
        .flatten()
        .is_some_and(|identity| identity.is_verified())
}

/// The people whose identity this session learnt of or saw change (a new key, a new
/// signature: verified or no longer), batch by batch, from now on.
pub async fn trust_changes(
    client: &matrix_sdk::Client,
) -> Result<impl Stream<Item = Vec<OwnedUserId>> + use<>> {
    let updates = client
        .encryption()
        .user_identities_stream()
        .await
        .map_err(classify)?;
    Ok(updates.map(|updates| {
        updates
            .new
            .keys()
            .chain(updates.changed.keys())
            .cloned()
            .collect()
    }))
}

/// `triggers`, polled by a task of their own; the returned stream yields once per batch of
/// them (several that arrive meanwhile count as one). The SDK's identity streams do work
/// inside their own polling (a member list, the crypto store); a loop that waits on a trust
/// read while holding them unpolled can wait for that very work forever.
fn polled_apart(
    triggers: impl Stream + Send + 'static,
) -> std::pin::Pin<Box<dyn Stream<Item = ()> + Send>> {
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<()>(1);
    tokio::spawn(async move {
        let mut triggers = std::pin::pin!(triggers);
        loop {
            tokio::select! {
                () = sender.closed() => break,
                next = triggers.next() => {
                    if next.is_none() {
                        break;
                    }
                    // Full means a wake-up is already waiting: this one joins it.
                    let _ = sender.try_send(());
                }
            }
        }
    });
    Box::pin(futures_util::stream::poll_fn(move |cx| {
        receiver.poll_recv(cx)
    }))
}

/// `first`, then what `read` gives after each wake-up of `triggers`, whenever it differs
/// from the value before. A verification signs keys in several steps: each read waits a
/// moment and counts the wake-ups meanwhile as one, so it sees them all landed.
fn reread_on_change<T, Read, Reading>(
    first: T,
    triggers: std::pin::Pin<Box<dyn Stream<Item = ()> + Send>>,
    read: Read,
) -> impl Stream<Item = T> + use<T, Read, Reading>
where
    T: Clone + PartialEq,
    Read: Fn() -> Reading,
    Reading: std::future::Future<Output = Result<T>>,
{
    let later = futures_util::stream::unfold(
        (triggers, read, first.clone()),
        |(mut triggers, read, mut last)| async move {
            loop {
                triggers.next().await?;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                while triggers.next().now_or_never().flatten().is_some() {}
                let Ok(now) = read().await else {
                    continue;
                };
                if now != last {
                    last = now.clone();
                    return Some((now, (triggers, read, last)));
                }
            }
        },
    );
    futures_util::stream::once(async move { first }).chain(later)
}

/// The room's summary now and each time it changes: after a verification, an identity
/// change, its acknowledgement, or a member joining or leaving.
pub async fn room_trust_updates(
    session: &Session,
    room_id: &RoomId,
) -> Result<impl Stream<Item = RoomTrust> + use<>> {
    let room = room(session, room_id)?;
    let status = room
        .subscribe_to_identity_status_changes()
        .await
        .map_err(classify)?
        .map(|_| ());
    let identities = trust_changes(session.client()).await?.map(|_| ());
    let triggers = polled_apart(futures_util::stream::select(
        Box::pin(status),
        Box::pin(identities),
    ));
    let session = session.clone();
    let room_id = room_id.to_owned();
    let first = room_trust(&session, &room_id).await?;
    Ok(reread_on_change(first, triggers, move || {
        let (session, room_id) = (session.clone(), room_id.clone());
        async move { room_trust(&session, &room_id).await }
    }))
}

/// How far this account trusts `user_id`, now and each time it may have changed.
pub async fn user_trust_updates(
    session: &Session,
    user_id: &UserId,
) -> Result<impl Stream<Item = UserTrust> + use<>> {
    let changes = trust_changes(session.client()).await?;
    let status: Vec<_> = {
        // A pin violation is a room-level state in the SDK: follow the shared rooms too.
        let mut streams = Vec::new();
        let parsed = user_id.to_owned();
        for room in encrypted_rooms_with(session, std::slice::from_ref(&parsed)).await {
            if let Ok(stream) = room.subscribe_to_identity_status_changes().await {
                let wanted = parsed.clone();
                streams.push(
                    stream
                        .filter(move |batch| {
                            let hit = batch.iter().any(|c| c.user_id == wanted);
                            async move { hit }
                        })
                        .map(|_| ())
                        .boxed(),
                );
            }
        }
        streams
    };
    let wanted = user_id.to_owned();
    let identities = changes
        .filter(move |users| {
            let hit = users.contains(&wanted);
            async move { hit }
        })
        .map(|_| ())
        .boxed();
    let mut all = status;
    all.push(identities);
    let triggers = polled_apart(futures_util::stream::select_all(all));
    let session = session.clone();
    let user_id = user_id.to_owned();
    let first = user_trust(&session, &user_id).await?;
    Ok(reread_on_change(first, triggers, move || {
        let (session, user_id) = (session.clone(), user_id.clone());
        async move { user_trust(&session, &user_id).await }
    }))
}
