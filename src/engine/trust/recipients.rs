//! Who receives room keys by default: only devices their owner vouches for.
//!
//! The server issues access tokens, so it can add a device to any account. The SDK's
//! default shares keys with every device the server lists; Sotto instead builds its
//! clients with `CollectStrategy::OnlyTrustedDevices`, which gives a key only to devices
//! verified here or marked `LocalTrust::Ignored` in the crypto store, and marks devices
//! `Ignored` itself by the rule below. A device nobody looked at yet is `Unset` and gets a
//! withheld notice instead of a key: a device that appears between this module's last look
//! and the moment a message is encrypted is left out, never let in.
//!
//! The rule (`vouched`):
//! - a device of a person with a cross-signing identity: vouched when that identity signed
//!   it, as long as the identity is the one first seen for them (or verified, or the
//!   person acknowledged the change);
//! - a device of the account itself: vouched when signed by the account's identity and
//!   that identity is trusted by this session;
//! - a device of a person without cross-signing (older, e.g. libolm-based, clients): the
//!   devices seen when Sotto first met them are vouched (trust on first use); a device
//!   that appears later is not, and it blocks sending to rooms with that person until the
//!   person confirms it (or verifies it with emoji).
//!
//! Devices verified here (`LocalTrust::Verified`) or blocked (`BlackListed`) are left as
//! they are.

use std::collections::{BTreeMap, BTreeSet};

use matrix_sdk::RoomMemberships;
use matrix_sdk::encryption::identities::Device;
use matrix_sdk::ruma::{OwnedDeviceId, OwnedUserId, UserId};
use matrix_sdk_crypto::LocalTrust;
use serde::{Deserialize, Serialize};

use super::classify;
use crate::engine::session::Session;
use crate::engine::{EngineError, Result};

/// The key under which the first-seen record lives in the (encrypted) state store.
const RECORD_KEY: &[u8] = b"sotto.key-recipients.v1";

/// What Sotto saw of a person when it first met them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
enum FirstSeen {
    /// Their cross-signing identity, by its master key: devices it signs are vouched.
    Identity { master_key: String },
    /// No cross-signing identity: the devices seen then were vouched, later ones wait.
    NoIdentity,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Record {
    people: BTreeMap<OwnedUserId, FirstSeen>,
}

async fn load_record(session: &Session) -> Result<Record> {
    let raw = session
        .client()
        .state_store()
        .get_custom_value(RECORD_KEY)
        .await
        .map_err(EngineError::matrix)?;
    Ok(raw
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default())
}

async fn save_record(session: &Session, record: &Record) -> Result<()> {
    let bytes = serde_json::to_vec(record).map_err(EngineError::matrix)?;
    session
        .client()
        .state_store()
        .set_custom_value(RECORD_KEY, bytes)
        .await
        .map_err(EngineError::matrix)?;
    Ok(())
}

/// A session of a person without cross-signing that appeared after Sotto first met them:
/// it gets no keys, and sending to rooms with them waits, until the person confirms it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnconfirmedSession {
    /// Whose session.
    pub user_id: OwnedUserId,
    /// Its device ID.
    pub device_id: OwnedDeviceId,
    /// The name it gave itself, if any (set by whoever made it: show as plain text).
    pub display_name: Option<String>,
}

/// Only one look at the record at a time: two looks could both take a person for new.
fn record_lock() -> &'static tokio::sync::Mutex<()> {
    static LOCK: std::sync::OnceLock<tokio::sync::Mutex<()>> = std::sync::OnceLock::new();
    LOCK.get_or_init(|| tokio::sync::Mutex::new(()))
}

/// Applies the rule to every device of `users` known here. Returns the sessions that wait
/// for the person's confirmation.
pub async fn apply_rule(
    session: &Session,
    users: impl IntoIterator<Item = OwnedUserId>,
) -> Result<Vec<UnconfirmedSession>> {
    let _guard = record_lock().lock().await;
    let mut record = load_record(session).await?;
    let mut record_changed = false;
    let mut waiting = Vec::new();
    let own_user = session.client().user_id().map(ToOwned::to_owned);
    let own_device = session.client().device_id().map(ToOwned::to_owned);
    let encryption = session.client().encryption();
    let users: BTreeSet<OwnedUserId> = users.into_iter().collect();
    for user_id in users {
        let devices = encryption
            .get_user_devices(&user_id)
            .await
            .map_err(classify)?;
        let devices: Vec<Device> = devices
            .devices()
            .filter(|d| !d.is_deleted())
            .filter(|d| {
                !(Some(&user_id) == own_user.as_ref()
                    && Some(d.device_id()) == own_device.as_deref())
            })
            .collect();
        let identity = encryption
            .get_user_identity(&user_id)
            .await
            .map_err(EngineError::matrix)?;
        let is_own = Some(&user_id) == own_user.as_ref();
        let identity_vouches = match &identity {
            _ if is_own => identity.as_ref().is_some_and(|i| i.is_verified()),
            Some(identity) => {
                let master_key = master_key_of(identity);
                if identity.is_verified() {
                    // A verified identity is the one to compare with from now on.
                    if record.people.get(&user_id)
                        != Some(&FirstSeen::Identity {
                            master_key: master_key.clone(),
                        })
                    {
                        record
                            .people
                            .insert(user_id.clone(), FirstSeen::Identity { master_key });
                        record_changed = true;
                    }
                    true
                } else {
                    match record.people.get(&user_id) {
                        Some(FirstSeen::Identity { master_key: seen }) => *seen == master_key,
                        // First seen without cross-signing: an identity that shows up later
                        // could be the server's. Its devices wait like new ones do, until the
                        // person acknowledges it (`acknowledge_identity`).
                        Some(FirstSeen::NoIdentity) => false,
                        None => {
                            record
                                .people
                                .insert(user_id.clone(), FirstSeen::Identity { master_key });
                            record_changed = true;
                            true
                        }
                    }
                }
            }
            None => false,
        };
        if identity.is_none()
            && !is_own
            && !devices.is_empty()
            && let std::collections::btree_map::Entry::Vacant(entry) =
                record.people.entry(user_id.clone())
        {
            // Trust on first use: the devices seen now are theirs.
            entry.insert(FirstSeen::NoIdentity);
            record_changed = true;
            for device in &devices {
                set_vouched(device, true).await?;
            }
            continue;
        }
        for device in &devices {
            match device.local_trust_state() {
                LocalTrust::Verified | LocalTrust::BlackListed => continue,
                LocalTrust::Ignored | LocalTrust::Unset => {}
            }
            let by_identity = identity_vouches && device.is_cross_signed_by_owner();
            if identity.is_some() || is_own {
                set_vouched(device, by_identity).await?;
            } else if device.local_trust_state() != LocalTrust::Ignored {
                waiting.push(UnconfirmedSession {
                    user_id: user_id.clone(),
                    device_id: device.device_id().to_owned(),
                    display_name: device.display_name().map(ToOwned::to_owned),
                });
            }
        }
    }
    if record_changed {
        save_record(session, &record).await?;
    }
    Ok(waiting)
}

fn master_key_of(identity: &matrix_sdk::encryption::identities::UserIdentity) -> String {
    identity
        .master_key()
        .get_first_key()
        .map(|key| key.to_base64())
        .unwrap_or_default()
}

async fn set_vouched(device: &Device, vouched: bool) -> Result<()> {
    let wanted = if vouched {
        LocalTrust::Ignored
    } else {
        LocalTrust::Unset
    };
    if device.local_trust_state() != wanted {
        device
            .set_local_trust(wanted)
            .await
            .map_err(EngineError::matrix)?;
        tracing::debug!(vouched, "a device's key sharing changed");
    }
    Ok(())
}

/// The active members of `room` (this account included, for its other sessions).
async fn members(session: &Session, room: &matrix_sdk::Room) -> Result<Vec<OwnedUserId>> {
    let members = match room.members(RoomMemberships::ACTIVE).await {
        Ok(members) => members,
        // Offline: the members known here (a message queued now is checked again, with
        // the server, before it goes out).
        Err(err) => {
            tracing::debug!("using the members known here: {err}");
            room.members_no_sync(RoomMemberships::ACTIVE)
                .await
                .map_err(EngineError::matrix)?
        }
    };
    let mut users: Vec<OwnedUserId> = members.iter().map(|m| m.user_id().to_owned()).collect();
    if let Some(own) = session.client().user_id() {
        users.push(own.to_owned());
    }
    Ok(users)
}

/// Gets `room` ready for an encrypted send: asks the server for the keys of members whose
/// devices are not known here yet (so that the devices seen first are the ones vouched
/// for), then applies the rule. Offline, it applies the rule to what is known: a device
/// learnt later gets no key until the rule has seen it.
pub async fn prepare_room(
    session: &Session,
    room: &matrix_sdk::Room,
) -> Result<Vec<UnconfirmedSession>> {
    let users = members(session, room).await?;
    let encryption = session.client().encryption();
    for user_id in &users {
        let known = encryption
            .get_user_devices(user_id)
            .await
            .map_err(classify)?;
        if known.keys().next().is_none()
            && let Err(err) = encryption.request_user_identity(user_id).await
        {
            tracing::debug!("could not ask for a member's keys: {err}");
        }
    }
    apply_rule(session, users).await
}

/// The most members whose keys `refresh_members` asks for: beyond, the keys the sync
/// brought are taken as they are (the rule still holds: an unseen device gets no key).
const REFRESH_LIMIT: usize = 50;

/// Asks the server for the current keys of `room`'s members, before queued messages go out
/// after a pause: an identity that changed meanwhile is then known before they are sent.
pub async fn refresh_members(session: &Session, room: &matrix_sdk::Room) -> Result<()> {
    let users = members(session, room).await?;
    let encryption = session.client().encryption();
    for user_id in users.iter().take(REFRESH_LIMIT) {
        encryption
            .request_user_identity(user_id)
            .await
            .map_err(classify)?;
    }
    Ok(())
}

/// The sessions in `room` that wait for the person's confirmation, by what is known here.
pub async fn unconfirmed_sessions(
    session: &Session,
    room: &matrix_sdk::Room,
) -> Result<Vec<UnconfirmedSession>> {
    let users = members(session, room).await?;
    apply_rule(session, users).await
}

/// Confirms a session that waits: it gets keys from now on, and sending to rooms with its
/// owner goes on.
pub async fn confirm_session(session: &Session, user_id: &UserId, device_id: &str) -> Result<()> {
    let device = session
        .client()
        .encryption()
        .get_device(user_id, device_id.into())
        .await
        .map_err(EngineError::matrix)?
        .ok_or_else(|| EngineError::NotVerifiable(user_id.to_string()))?;
    set_vouched(&device, true).await?;
    tracing::info!("the person confirmed a new session");
    super::identities::resume_sending_with(session, user_id).await;
    Ok(())
}

/// Makes `user_id`'s current identity the one their devices are vouched for by (after the
/// person acknowledged a change), then applies the rule to them.
pub(crate) async fn accept_identity(session: &Session, user_id: &UserId) -> Result<()> {
    {
        let _guard = record_lock().lock().await;
        let identity = session
            .client()
            .encryption()
            .get_user_identity(user_id)
            .await
            .map_err(EngineError::matrix)?;
        let mut record = load_record(session).await?;
        match identity {
            Some(identity) => {
                record.people.insert(
                    user_id.to_owned(),
                    FirstSeen::Identity {
                        master_key: master_key_of(&identity),
                    },
                );
            }
            None => {
                record.people.remove(user_id);
            }
        }
        save_record(session, &record).await?;
    }
    apply_rule(session, [user_id.to_owned()]).await?;
    Ok(())
}

/// Whether `device` of `user_id` would get a room key now.
pub fn gets_keys(device: &Device) -> bool {
    matches!(
        device.local_trust_state(),
        LocalTrust::Verified | LocalTrust::Ignored
    ) || device.is_verified()
}

/// Keeps the rule applied while the session runs: each time the SDK learns of new or
/// changed devices or identities, the rule looks at their owners, and rooms shared with
/// them where sending must now wait for the person are held.
pub(crate) async fn keep_applying(session: Session) {
    use futures_util::StreamExt;
    let encryption = session.client().encryption();
    let (Ok(devices), Ok(identities)) = (
        encryption.devices_stream().await,
        encryption.user_identities_stream().await,
    ) else {
        return;
    };
    let devices = devices.map(|u| {
        u.new
            .into_keys()
            .chain(u.changed.into_keys())
            .collect::<Vec<_>>()
    });
    let identities = identities.map(|u| {
        u.new
            .into_keys()
            .chain(u.changed.into_keys())
            .collect::<Vec<_>>()
    });
    // The SDK's streams are polled by a task of their own: the work below reads the
    // crypto store, which must not wait on a stream nobody polls.
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let poller = tokio::spawn(async move {
        let mut updates = futures_util::stream::select(devices.boxed(), identities.boxed());
        while let Some(users) = updates.next().await {
            if sender.send(users).is_err() {
                break;
            }
        }
    });
    while let Some(mut users) = receiver.recv().await {
        while let Ok(more) = receiver.try_recv() {
            users.extend(more);
        }
        users.sort();
        users.dedup();
        if let Err(err) = apply_rule(&session, users.iter().cloned()).await {
            tracing::warn!("could not apply the key sharing rule: {err}");
        }
        super::identities::hold_sending_with(&session, &users).await;
    }
    poller.abort();
}
