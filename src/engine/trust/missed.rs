//! Verification requests that the SDK let fall. matrix-sdk-crypto ignores a request from a
//! session whose keys it has not fetched yet (matrix-rust-sdk issue 5007): that happens
//! when the request comes in the same sync answer as the news of the session that sent it,
//! for example when another session asked while this one was closed. Sotto notices such a
//! request, fetches the keys of the person who sent it, and tells the person to ask again,
//! which then works; without this, the request would simply never show.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use matrix_sdk::Client;
use matrix_sdk::ruma::{MilliSecondsSinceUnixEpoch, OwnedDeviceId, OwnedUserId};

/// A verification request that came with the sync (to-device or in a room).
#[derive(Debug)]
pub(super) struct SeenRequest {
    pub sender: OwnedUserId,
    pub flow_id: String,
    pub from_device: OwnedDeviceId,
    pub sent_at: MilliSecondsSinceUnixEpoch,
}

/// A request this session could not answer. Its sender's keys are fetched by the time it
/// is reported, so a new request from the same session works.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissedRequest {
    /// Who asked.
    pub user_id: OwnedUserId,
    /// The session that asked.
    pub device_id: String,
    /// True when another session of this account asked (to verify this session).
    pub from_own_account: bool,
}

/// The SDK ignores requests sent more than 10 minutes ago or 5 minutes ahead of its clock;
/// those are not worth a word either.
const OLDEST: Duration = Duration::from_secs(600);
const AHEAD: Duration = Duration::from_secs(300);

fn is_fresh(sent_at: MilliSecondsSinceUnixEpoch) -> bool {
    let Ok(now) = SystemTime::now().duration_since(UNIX_EPOCH) else {
        return false;
    };
    let sent = Duration::from_millis(sent_at.get().into());
    now.saturating_sub(sent) <= OLDEST && sent.saturating_sub(now) <= AHEAD
}

/// For a request the SDK made nothing of: when it is recent and came from another session,
/// fetches its sender's keys (so that asking again works) and returns what to tell.
pub(super) async fn missed(client: &Client, seen: &SeenRequest) -> Option<MissedRequest> {
    if !is_fresh(seen.sent_at) {
        return None;
    }
    let own = client.user_id()?;
    let from_own_account = seen.sender == own;
    if from_own_account && client.device_id() == Some(seen.from_device.as_ref()) {
        return None;
    }
    tracing::info!("a verification request came from a session whose keys were not known yet");
    tracing::debug!(
        sender = %seen.sender,
        from_device = %seen.from_device,
        "a verification request came from a session whose keys were not known yet"
    );
    if let Err(err) = client
        .encryption()
        .request_user_identity(&seen.sender)
        .await
    {
        tracing::warn!("could not fetch the keys of the session that asked: {err}");
    }
    Some(MissedRequest {
        user_id: seen.sender.clone(),
        device_id: seen.from_device.to_string(),
        from_own_account,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(offset_secs: i64) -> MilliSecondsSinceUnixEpoch {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let millis = now.as_millis() as i64 + offset_secs * 1000;
        MilliSecondsSinceUnixEpoch(u64::try_from(millis).unwrap().try_into().unwrap())
    }

    #[test]
    fn only_recent_requests_are_fresh() {
        assert!(is_fresh(at(0)));
        assert!(is_fresh(at(-590)));
        assert!(!is_fresh(at(-610)));
        assert!(is_fresh(at(290)));
        assert!(!is_fresh(at(310)));
    }
}
