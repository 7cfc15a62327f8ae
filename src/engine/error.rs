//! The engine's typed errors. The UI turns each into a translated sentence that says what
//! to do; the engine itself never formats text for people.

use std::path::PathBuf;

/// Everything that can go wrong in the engine, by what the person can do about it.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The homeserver field could not be understood as a server name or URL.
    #[error("not a homeserver name or URL: {0}")]
    InvalidHomeserver(String),
    /// The username is neither a localpart nor a full Matrix ID.
    #[error("not a valid username or Matrix ID: {0}")]
    InvalidUsername(String),
    /// Nothing answered at the homeserver address.
    #[error("the homeserver could not be reached")]
    Unreachable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Something answered, but it does not speak the Matrix client-server API.
    #[error("the server does not look like a Matrix homeserver")]
    NotMatrix,
    /// The homeserver would be reached over plain HTTP (typed so, or named so by its
    /// `.well-known`) on a host other than this computer: anyone on the network between
    /// could read and change everything, the password and access token included.
    #[error("plain HTTP is refused for {0}")]
    InsecureHomeserver(String),
    /// The TLS certificate of the homeserver was not accepted.
    #[error("the homeserver's TLS certificate is not valid")]
    BadCertificate,
    /// The server offers no password login.
    #[error("the homeserver does not offer password login")]
    PasswordLoginUnsupported,
    /// This account is already signed in here.
    #[error("{0} is already signed in")]
    AlreadySignedIn(String),
    /// The username or password is wrong (Synapse does not tell which).
    #[error("wrong username or password")]
    WrongCredentials,
    /// The access token is no longer valid. `soft` means the store may be kept.
    #[error("the session is no longer valid (soft logout: {soft})")]
    SessionInvalidated {
        /// True when the server allows signing in again into the same device.
        soft: bool,
    },
    /// No Secret Service answers on the session bus.
    #[error("no Secret Service is available")]
    SecretServiceMissing,
    /// The Secret Service is there but locked, and unlocking was refused or failed.
    #[error("the Secret Service is locked")]
    SecretServiceLocked,
    /// The Secret Service did not answer in time: a locked keyring waits for an unlock
    /// prompt that nobody answers (or there is no prompter), or the service hangs.
    #[error("the Secret Service did not answer in time")]
    SecretServiceNoAnswer,
    /// The Secret Service item of an account exists but cannot be read as one.
    #[error("the stored secrets of {0} are damaged")]
    SecretsDamaged(String),
    /// The Secret Service item of an account is gone.
    #[error("the stored secrets of {0} are missing")]
    SecretsMissing(String),
    /// The encrypted store of an account could not be opened.
    #[error("the local store at {path} cannot be opened")]
    StoreUnusable {
        /// The store folder.
        path: PathBuf,
        /// What the store layer said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A file of Sotto's own (not a secret) could not be read or written.
    #[error("could not use {path}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The server asks for the account password before it does this.
    #[error("the homeserver asks for the account password")]
    PasswordNeeded,
    /// The account password given for this step is wrong.
    #[error("wrong password")]
    WrongPassword,
    /// The server asks for a kind of confirmation Sotto cannot give (for example, a
    /// browser-based single sign-on step).
    #[error("the homeserver asks for an unsupported confirmation step")]
    AuthUnsupported,
    /// The recovery key or passphrase does not open the account's key storage.
    #[error("wrong recovery key or passphrase")]
    WrongRecoveryKey,
    /// The account has no recovery set up to recover from.
    #[error("recovery is not set up for this account")]
    RecoveryNotSetUp,
    /// A key backup exists on the server that this session is not connected to: recover
    /// with the recovery key first, or reset it.
    #[error("a key backup already exists on the server")]
    BackupExistsOnServer,
    /// The room keys file is not a key export, or it is damaged.
    #[error("the file is not a room key export or is damaged")]
    KeyFileUnreadable,
    /// The passphrase does not open the room keys file (its check fails; a file damaged
    /// inside its encrypted part fails the same way).
    #[error("the passphrase does not open the key file")]
    WrongKeyFilePassphrase,
    /// The passphrase chosen for a room key export is too easy to guess; the file could be
    /// opened by trying passphrases, so nothing was written.
    #[error("the passphrase is too weak: {0:?}")]
    WeakPassphrase(crate::engine::trust::recovery::PassphraseWeakness),
    /// A person in the room changed their identity and this has not been acknowledged
    /// yet; nothing is sent into the room until it is.
    #[error("identity changed and not acknowledged: {0:?}")]
    IdentityChanged(Vec<crate::engine::ids::OwnedUserId>),
    /// These people (without cross-signing) have a session that appeared after Sotto first
    /// met them; nothing is sent into the room until the person confirms it.
    #[error("new sessions not confirmed: {0:?}")]
    SessionsUnconfirmed(Vec<crate::engine::ids::OwnedUserId>),
    /// The user or device cannot be verified (unknown, or without keys).
    #[error("{0} cannot be verified")]
    NotVerifiable(String),
    /// Another verification is running; finish or cancel it first.
    #[error("another verification is running")]
    VerificationBusy,
    /// The text is not a Matrix user ID (`@name:server`).
    #[error("not a valid Matrix user ID: {0}")]
    InvalidMatrixId(String),
    /// The text is not a room address, room ID or matrix.to link.
    #[error("not a room address or ID: {0}")]
    InvalidRoomAddress(String),
    /// No such user on their homeserver.
    #[error("no user {0} exists")]
    UserNotFound(String),
    /// No such room, or it cannot be found from this homeserver.
    #[error("room {0} not found")]
    RoomNotFound(String),
    /// The server refused: the person lacks the permission (power level, join rule, ban).
    #[error("not allowed")]
    NotAllowed,
    /// A private room was asked for without encryption; private rooms are always encrypted.
    #[error("private rooms are always encrypted")]
    PrivateRoomUnencrypted,
    /// A direct chat with oneself was asked for.
    #[error("a direct chat needs another person")]
    DirectChatWithSelf,
    /// A room created encrypted is not known as encrypted yet: nothing is sent, so that
    /// nothing goes out unencrypted.
    #[error("the room's encryption is not set up yet")]
    EncryptionNotReady,
    /// A picture or file cannot be sent as it is (empty, not a picture, a kind Sotto
    /// cannot prepare, damaged, too many pixels).
    #[error("the picture cannot be sent: {0}")]
    Media(#[from] crate::engine::media::MediaError),
    /// The file is larger than the homeserver takes; nothing was queued.
    #[error("the file ({size} bytes) is larger than the server takes ({max} bytes)")]
    TooLargeToUpload {
        /// The file's size in bytes.
        size: u64,
        /// The largest upload the server takes, in bytes.
        max: u64,
    },
    /// Any other error reported by the Matrix SDK or the server.
    #[error("Matrix error: {0}")]
    Matrix(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The engine's result type.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;

impl EngineError {
    /// Wraps any SDK error that has no more specific meaning.
    pub fn matrix(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Matrix(Box::new(err))
    }

    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// What a failed SDK call means to the person, for a request of kind `call`.
    pub(crate) fn from_sdk(err: matrix_sdk::Error, call: Call) -> Self {
        match err {
            matrix_sdk::Error::Http(http) => Self::from_http(*http, call),
            other => Self::matrix(other),
        }
    }

    /// What a failed request means to the person, for a request of kind `call`. The one
    /// mapping from the server's answers to `EngineError`: what differs between calls is
    /// spelled out by [`Call`], not by another copy of this function.
    pub(crate) fn from_http(err: matrix_sdk::HttpError, call: Call) -> Self {
        use matrix_sdk::ruma::api::error::ErrorKind;
        let status = err.as_client_api_error().map(|e| e.status_code.as_u16());
        match (call, err.client_api_error_kind()) {
            (_, Some(ErrorKind::UnknownToken(data))) => Self::SessionInvalidated {
                soft: data.soft_logout,
            },
            (Call::Login, Some(ErrorKind::Forbidden | ErrorKind::UserDeactivated)) => {
                Self::WrongCredentials
            }
            (Call::Room, Some(ErrorKind::NotFound)) => Self::RoomNotFound(String::new()),
            (Call::Room, Some(ErrorKind::Forbidden)) => Self::NotAllowed,
            // Synapse answers a join of an unknown room ID with 404 and M_UNKNOWN.
            (Call::Room, _) if status == Some(404) => Self::RoomNotFound(String::new()),
            _ => match err {
                matrix_sdk::HttpError::Reqwest(e) => Self::Unreachable(Box::new(e)),
                other => Self::matrix(other),
            },
        }
    }
}

/// What a request was for: the same answer from the server means different things to
/// different calls (a refusal is a wrong password when signing in, a missing permission in
/// a room).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Call {
    /// A request with the account's access token whose refusals have no meaning of their
    /// own (trust, keys, devices, logging out): an unknown token ends the session, a
    /// network failure is "unreachable", anything else a Matrix error.
    Authenticated,
    /// Signing in, or asking how to (no access token yet): a refusal, or a deactivated
    /// account, means the username or password is wrong.
    Login,
    /// About a room or its members: a refusal is a missing permission, "not found" (or a
    /// bare 404) a room (or user) that is not there. The caller names which room.
    Room,
}

#[cfg(test)]
mod tests {
    use matrix_sdk::HttpError;
    use matrix_sdk::ruma::api::client::uiaa::{UiaaInfo, UiaaResponse};
    use matrix_sdk::ruma::api::error::{
        ErrorBody, ErrorKind, FromHttpResponseError, StandardErrorBody, UnknownTokenErrorData,
    };
    use matrix_sdk::ruma::exports::http::StatusCode;

    use super::*;

    /// The server answered `status` with the error code `kind`.
    fn answer(status: u16, kind: ErrorKind) -> HttpError {
        let body = ErrorBody::Standard(StandardErrorBody::new(kind, "no".to_owned()));
        let error =
            matrix_sdk::ruma::api::error::Error::new(StatusCode::from_u16(status).unwrap(), body);
        FromHttpResponseError::Server(UiaaResponse::MatrixError(error)).into()
    }

    fn unknown_token(soft: bool) -> HttpError {
        let mut data = UnknownTokenErrorData::new();
        data.soft_logout = soft;
        answer(401, ErrorKind::UnknownToken(data))
    }

    /// Nothing answered: a connection refused on a port nobody listens on.
    fn no_answer() -> HttpError {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let err = runtime
            .block_on(matrix_sdk::reqwest::get("http://127.0.0.1:9/"))
            .expect_err("nothing listens on the discard port");
        HttpError::Reqwest(err)
    }

    const CALLS: [Call; 3] = [Call::Authenticated, Call::Login, Call::Room];

    #[test]
    fn an_unknown_token_ends_the_session_whatever_the_call() {
        for call in CALLS {
            for soft in [false, true] {
                assert!(
                    matches!(
                        EngineError::from_http(unknown_token(soft), call),
                        EngineError::SessionInvalidated { soft: s } if s == soft
                    ),
                    "{call:?}, soft {soft}"
                );
            }
        }
        let sdk = matrix_sdk::Error::from(unknown_token(true));
        assert!(matches!(
            EngineError::from_sdk(sdk, Call::Room),
            EngineError::SessionInvalidated { soft: true }
        ));
    }

    #[test]
    fn no_answer_is_unreachable_whatever_the_call() {
        for call in CALLS {
            assert!(
                matches!(
                    EngineError::from_http(no_answer(), call),
                    EngineError::Unreachable(_)
                ),
                "{call:?}"
            );
        }
    }

    #[test]
    fn a_refusal_means_what_the_call_makes_of_it() {
        let forbidden = || answer(403, ErrorKind::Forbidden);
        assert!(matches!(
            EngineError::from_http(forbidden(), Call::Login),
            EngineError::WrongCredentials
        ));
        assert!(matches!(
            EngineError::from_http(answer(403, ErrorKind::UserDeactivated), Call::Login),
            EngineError::WrongCredentials
        ));
        assert!(matches!(
            EngineError::from_http(forbidden(), Call::Room),
            EngineError::NotAllowed
        ));
        assert!(matches!(
            EngineError::from_http(forbidden(), Call::Authenticated),
            EngineError::Matrix(_)
        ));
        // A deactivated account is no missing permission in a room.
        assert!(matches!(
            EngineError::from_http(answer(403, ErrorKind::UserDeactivated), Call::Room),
            EngineError::Matrix(_)
        ));
    }

    #[test]
    fn not_found_is_a_missing_room_only_for_room_calls() {
        for kind in [ErrorKind::NotFound, ErrorKind::Unknown] {
            assert!(matches!(
                EngineError::from_http(answer(404, kind), Call::Room),
                EngineError::RoomNotFound(_)
            ));
        }
        assert!(matches!(
            EngineError::from_http(answer(400, ErrorKind::Unknown), Call::Room),
            EngineError::Matrix(_)
        ));
        for call in [Call::Authenticated, Call::Login] {
            assert!(matches!(
                EngineError::from_http(answer(404, ErrorKind::NotFound), call),
                EngineError::Matrix(_)
            ));
        }
    }

    #[test]
    fn a_password_prompt_and_other_errors_are_matrix_errors() {
        // Asking for the password is user-interactive auth: `trust::with_password` handles
        // it before this mapping sees it; here it is only a Matrix error.
        for call in CALLS {
            let prompt: HttpError = FromHttpResponseError::Server(UiaaResponse::AuthResponse(
                UiaaInfo::new(Vec::new()),
            ))
            .into();
            assert!(matches!(
                EngineError::from_http(prompt, call),
                EngineError::Matrix(_)
            ));
        }
        let other = matrix_sdk::Error::InsufficientData;
        assert!(matches!(
            EngineError::from_sdk(other, Call::Authenticated),
            EngineError::Matrix(_)
        ));
    }
}
