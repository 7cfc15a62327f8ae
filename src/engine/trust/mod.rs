//! Trust: cross-signing, recovery, verification, the sessions of the account and the
//! identities of other people. Every function takes the `Session` it acts for and returns
//! plain values or streams of them; the UI never needs to match on matrix-sdk types.

pub mod cross_signing;
pub mod devices;
pub mod identities;
pub mod missed;
pub mod recipients;
pub mod recovery;
pub mod verification;

use std::future::Future;

use matrix_sdk::ruma::api::client::uiaa::{self, AuthData, AuthType};

use super::error::Call;
use super::session::Session;
use super::{EngineError, Result};

/// Runs a request that the server may guard with user-interactive auth: first without
/// auth, then, when the server asks for the password, with `password`. Without a password
/// it reports `PasswordNeeded`, with a wrong one `WrongPassword`.
pub(crate) async fn with_password<T, F, Fut>(
    session: &Session,
    password: Option<&str>,
    attempt: F,
) -> Result<T>
where
    F: Fn(Option<AuthData>) -> Fut,
    Fut: Future<Output = std::result::Result<T, matrix_sdk::Error>>,
{
    let err = match attempt(None).await {
        Ok(value) => return Ok(value),
        Err(err) => err,
    };
    let Some(info) = err.as_uiaa_response() else {
        return Err(classify(err));
    };
    if !offers_password(info) {
        return Err(EngineError::AuthUnsupported);
    }
    let Some(password) = password else {
        return Err(EngineError::PasswordNeeded);
    };
    let auth = password_auth(session, password, info.session.clone())?;
    match attempt(Some(auth)).await {
        Ok(value) => Ok(value),
        Err(err) if err.as_uiaa_response().is_some() => Err(EngineError::WrongPassword),
        Err(err) => Err(classify(err)),
    }
}

/// Whether the server lets the password alone complete its auth.
pub(crate) fn offers_password(info: &uiaa::UiaaInfo) -> bool {
    info.flows
        .iter()
        .any(|flow| flow.stages.as_slice() == [AuthType::Password])
}

/// The password stage of user-interactive auth, in the server's auth session.
pub(crate) fn password_auth(
    session: &Session,
    password: &str,
    uiaa_session: Option<String>,
) -> Result<AuthData> {
    let user_id = session
        .client()
        .user_id()
        .ok_or(EngineError::SessionInvalidated { soft: false })?;
    let mut auth = uiaa::Password::new(
        uiaa::UserIdentifier::Matrix(uiaa::MatrixUserIdentifier::new(user_id.to_string())),
        password.to_owned(),
    );
    auth.session = uiaa_session;
    Ok(AuthData::Password(auth))
}

/// Maps an SDK error to what the person can act on (no call of trust's means more).
pub(crate) fn classify(err: matrix_sdk::Error) -> EngineError {
    EngineError::from_sdk(err, Call::Authenticated)
}
