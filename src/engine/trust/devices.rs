//! The sessions (devices) of the account: the list with what the server knows of each and
//! whether the account's identity verified it, renaming this one, signing out another.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use matrix_sdk::ruma::OwnedDeviceId;

use super::{classify, with_password};
use crate::engine::session::Session;
use crate::engine::{EngineError, Result};

/// One session of the account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    /// The device ID.
    pub device_id: String,
    /// The name the session gave itself or was given, if any.
    pub display_name: Option<String>,
    /// When the server last saw it.
    pub last_seen: Option<SystemTime>,
    /// The address the server last saw it from.
    pub last_seen_ip: Option<String>,
    /// Whether the account's identity verified (signed) it.
    pub is_verified: bool,
    /// Whether it is the session this list was asked from.
    pub is_this_session: bool,
}

/// Every session of the account, this one first, then the most recently seen first.
pub async fn own_devices(session: &Session) -> Result<Vec<DeviceInfo>> {
    let client = session.client();
    let user_id = client
        .user_id()
        .ok_or(EngineError::SessionInvalidated { soft: false })?
        .to_owned();
    let this_device = client.device_id().map(ToOwned::to_owned);
    let response = client.devices().await.map_err(|err| classify(err.into()))?;
    let known = client
        .encryption()
        .get_user_devices(&user_id)
        .await
        .map_err(classify)?;
    let mut devices: Vec<DeviceInfo> = response
        .devices
        .into_iter()
        .map(|device| {
            let is_this_session = this_device.as_ref() == Some(&device.device_id);
            let is_verified = known
                .get(&device.device_id)
                .is_some_and(|d| d.is_verified_with_cross_signing());
            DeviceInfo {
                device_id: device.device_id.to_string(),
                display_name: device.display_name,
                last_seen: device
                    .last_seen_ts
                    .map(|ts| UNIX_EPOCH + Duration::from_millis(u64::from(ts.get()))),
                last_seen_ip: device.last_seen_ip,
                is_verified,
                is_this_session,
            }
        })
        .collect();
    devices.sort_by(|a, b| {
        b.is_this_session
            .cmp(&a.is_this_session)
            .then(b.last_seen.cmp(&a.last_seen))
    });
    Ok(devices)
}

/// Gives this session a new name, the one other sessions and people see.
pub async fn rename_this_session(session: &Session, name: &str) -> Result<()> {
    let client = session.client();
    let device_id = client
        .device_id()
        .ok_or(EngineError::SessionInvalidated { soft: false })?;
    client
        .rename_device(device_id, name.trim())
        .await
        .map_err(|err| classify(err.into()))?;
    Ok(())
}

/// Signs out another session of the account. The server asks for the password first
/// (`PasswordNeeded` without one, `WrongPassword` for a wrong one). Signing out this
/// session goes through `Accounts::sign_out` instead.
pub async fn sign_out_session(
    session: &Session,
    device_id: &str,
    password: Option<&str>,
) -> Result<()> {
    if session.client().device_id().map(|d| d.as_str()) == Some(device_id) {
        return Err(EngineError::matrix(std::io::Error::other(
            "this session is signed out through the accounts",
        )));
    }
    let devices: [OwnedDeviceId; 1] = [device_id.into()];
    let client = session.client().clone();
    with_password(session, password, |auth| {
        let client = client.clone();
        let devices = devices.clone();
        async move {
            client
                .delete_devices(&devices, auth)
                .await
                .map_err(Into::into)
        }
    })
    .await?;
    tracing::info!("signed out another session");
    tracing::debug!(device = %device_id, "signed out another session");
    Ok(())
}

/// A session of this account that appeared while Sotto ran, not signed by the account's
/// identity: the person is told at once (it may be someone else's, made by the server).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOwnSession {
    /// The device ID.
    pub device_id: String,
    /// The name it gave itself, if any (chosen by whoever made it: show as plain text).
    pub display_name: Option<String>,
    /// When this session first learnt of it.
    pub first_seen: SystemTime,
}

/// The new, unsigned sessions of this account, from now on. On a restored session, those
/// that appeared while Sotto was closed count as new too; on a new sign-in, the sessions
/// the account already had do not.
pub async fn new_own_sessions(
    session: &Session,
) -> Result<impl futures_util::Stream<Item = NewOwnSession> + use<>> {
    use futures_util::StreamExt;
    let client = session.client().clone();
    let user_id = client
        .user_id()
        .ok_or(EngineError::SessionInvalidated { soft: false })?
        .to_owned();
    let this_device = client.device_id().map(ToOwned::to_owned);
    let encryption = client.encryption();
    // Subscribed first, so that nothing between the look below and the stream is missed.
    let updates = encryption.devices_stream().await.map_err(classify)?;
    let others = |devices: &matrix_sdk::encryption::identities::UserDevices| {
        devices
            .keys()
            .filter(|d| Some(*d) != this_device.as_deref())
            .map(ToOwned::to_owned)
            .collect::<std::collections::HashSet<OwnedDeviceId>>()
    };
    let mut known = others(
        &encryption
            .get_user_devices(&user_id)
            .await
            .map_err(classify)?,
    );
    if known.is_empty() {
        // A new sign-in: what the account already had is not news.
        if let Err(err) = encryption.request_user_identity(&user_id).await {
            tracing::debug!("could not ask for the account's sessions: {err}");
        }
        known = others(
            &encryption
                .get_user_devices(&user_id)
                .await
                .map_err(classify)?,
        );
    }
    Ok(updates.flat_map(move |update| {
        let fresh: Vec<NewOwnSession> = update
            .new
            .get(&user_id)
            .into_iter()
            .flat_map(|devices| devices.values())
            .filter(|d| !known.contains(d.device_id()) && !d.is_cross_signed_by_owner())
            .map(|d| NewOwnSession {
                device_id: d.device_id().to_string(),
                display_name: d.display_name().map(ToOwned::to_owned),
                first_seen: UNIX_EPOCH
                    + Duration::from_millis(u64::from(d.first_time_seen_ts().get())),
            })
            .collect();
        futures_util::stream::iter(fresh)
    }))
}
