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
    /// This account is already signed in in this profile.
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
    IdentityChanged(Vec<String>),
    /// These people (without cross-signing) have a session that appeared after Sotto first
    /// met them; nothing is sent into the room until the person confirms it.
    #[error("new sessions not confirmed: {0:?}")]
    SessionsUnconfirmed(Vec<String>),
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
}
