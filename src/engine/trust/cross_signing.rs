//! The account's cross-signing identity: whether it exists, setting it up on first sign-in,
//! and whether this session is verified by it.

use futures_util::{Stream, StreamExt};
use matrix_sdk::encryption::VerificationState;
use matrix_sdk::ruma::api::client::keys::get_keys;

use super::{classify, with_password};
use crate::engine::session::Session;
use crate::engine::{EngineError, Result};

/// Whether this session is verified by the account's identity, as the person sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionVerification {
    /// Not known yet (the keys of the account have not been fetched).
    Unknown,
    /// This session is signed by the account's identity.
    Verified,
    /// This session is not verified: verify it with another session or the recovery key.
    Unverified,
}

impl From<VerificationState> for SessionVerification {
    fn from(state: VerificationState) -> Self {
        match state {
            VerificationState::Unknown => Self::Unknown,
            VerificationState::Verified => Self::Verified,
            VerificationState::Unverified => Self::Unverified,
        }
    }
}

/// Asks the server whether the account has published a cross-signing identity. (The
/// local store is not asked: a bootstrap that the server refused leaves an identity there.)
pub async fn has_cross_signing_identity(session: &Session) -> Result<bool> {
    let user_id = session
        .client()
        .user_id()
        .ok_or(EngineError::SessionInvalidated { soft: false })?
        .to_owned();
    let mut request = get_keys::v3::Request::new();
    request.device_keys.insert(user_id.clone(), Vec::new());
    let response = session
        .client()
        .send(request)
        .await
        .map_err(|err| classify(err.into()))?;
    Ok(response.master_keys.contains_key(&user_id))
}

/// Creates the account's cross-signing identity and signs this session with it. The
/// server may ask for the account password (`PasswordNeeded`; a wrong one gives
/// `WrongPassword` and leaves the server unchanged). Does nothing when the account has an
/// identity already: then this session is verified with another session or recovery.
pub async fn bootstrap_cross_signing(session: &Session, password: Option<&str>) -> Result<()> {
    if has_cross_signing_identity(session).await? {
        return Ok(());
    }
    let encryption = session.client().encryption();
    with_password(session, password, |auth| {
        let encryption = encryption.clone();
        async move { encryption.bootstrap_cross_signing(auth).await }
    })
    .await?;
    tracing::info!("cross-signing identity created");
    Ok(())
}

/// Whether this session is verified now.
pub fn this_session_verification(session: &Session) -> SessionVerification {
    session
        .client()
        .encryption()
        .verification_state()
        .get()
        .into()
}

/// True when this session is verified by the account's identity.
pub fn is_this_session_verified(session: &Session) -> bool {
    this_session_verification(session) == SessionVerification::Verified
}

/// This session's verification now and each time it changes.
pub fn verification_states(session: &Session) -> impl Stream<Item = SessionVerification> + use<> {
    let subscriber = session.client().encryption().verification_state();
    let now = SessionVerification::from(subscriber.get());
    futures_util::stream::once(async move { now }).chain(subscriber.map(Into::into))
}
