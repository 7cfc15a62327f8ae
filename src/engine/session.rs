//! One signed-in account: its `matrix_sdk::Client` over the encrypted store, and what it
//! takes to create, restore and end it.

use crate::engine::ids::OwnedUserId;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::ruma::api::client::session::get_login_types::v3::LoginType;
use matrix_sdk::ruma::{OwnedRoomId, RoomId};
use matrix_sdk::store::RoomLoadSettings;
use matrix_sdk::{Client, SessionMeta, SessionTokens, SqliteStoreConfig};
use matrix_sdk_crypto::CollectStrategy;

use super::discovery::{self, Username};
use super::error::Call;
use super::secrets::{AccountSecrets, StoreKey};
use super::{EngineError, Result};

/// Which devices a session encrypts room keys (and so messages) for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KeySharing {
    /// Devices their owner vouches for (the default; see `recipients` for the rule): a
    /// device the server adds to someone's account gets no key.
    #[default]
    VouchedDevices,
    /// Only devices their owner has verified (cross-signed); people without a
    /// cross-signing identity get nothing. The "encrypt only for verified devices" setting.
    /// Sending needs this account's own cross-signing identity set up first.
    VerifiedDevicesOnly,
}

impl KeySharing {
    pub(crate) fn strategy(self) -> CollectStrategy {
        match self {
            // Shares only with devices verified here or marked by `recipients`; an unmarked
            // device gets a withheld notice.
            Self::VouchedDevices => CollectStrategy::OnlyTrustedDevices,
            Self::VerifiedDevicesOnly => CollectStrategy::IdentityBasedStrategy,
        }
    }
}

/// A signed-in account.
#[derive(Clone, Debug)]
pub struct Session {
    client: Client,
    folder: String,
    key_sharing: KeySharing,
    /// Rooms this session created encrypted (see `rooms::create_room`).
    created_encrypted: Arc<Mutex<HashSet<OwnedRoomId>>>,
    /// Rooms whose send queue Sotto holds until the person decides (an identity changed,
    /// a new session waits); see `trust::identities::hold_sending_with`.
    held_rooms: Arc<Mutex<HashSet<OwnedRoomId>>>,
    /// Where the client's notification handler sends (see `notify::watch`).
    notification_slot: super::notify::HandlerSlot,
    /// The account's notification settings, loaded on first use (see `push_rules`).
    notification_settings:
        Arc<tokio::sync::OnceCell<matrix_sdk::notification_settings::NotificationSettings>>,
}

/// Where an account's encrypted store lives and the key that opens it.
pub(crate) struct StoreLocation<'a> {
    pub data: PathBuf,
    pub cache: PathBuf,
    pub key: &'a StoreKey,
    /// Which devices the client encrypts room keys for (a client-building option, so it
    /// travels with the store's other settings).
    pub key_sharing: KeySharing,
}

impl Session {
    /// The Matrix client of this account.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Remembers that this session created `room_id` encrypted: nothing may be sent there
    /// before the SDK knows the room is encrypted.
    pub(crate) fn note_created_encrypted(&self, room_id: &RoomId) {
        self.created_encrypted
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(room_id.to_owned());
    }

    /// Whether this session created `room_id` encrypted.
    pub(crate) fn was_created_encrypted(&self, room_id: &RoomId) -> bool {
        self.created_encrypted
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(room_id)
    }

    /// Notes that sending into `room_id` is held (`true`) or no longer (`false`); returns
    /// whether it was held before.
    pub(crate) fn set_held(&self, room_id: &RoomId, held: bool) -> bool {
        let mut rooms = self
            .held_rooms
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if held {
            !rooms.insert(room_id.to_owned())
        } else {
            rooms.remove(room_id)
        }
    }

    /// Whether sending into `room_id` is held until the person decides.
    pub fn is_held(&self, room_id: &RoomId) -> bool {
        self.held_rooms
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(room_id)
    }

    /// Whether `other` is this very session (a clone of it), not another session of the
    /// same account.
    pub fn same_client(&self, other: &Session) -> bool {
        Arc::ptr_eq(&self.held_rooms, &other.held_rooms)
    }

    /// Where the client's notification handler sends what it gets.
    pub(crate) fn notification_slot(&self) -> super::notify::HandlerSlot {
        self.notification_slot.clone()
    }

    /// The account's notification settings, once loaded.
    pub(crate) fn notification_settings(
        &self,
    ) -> &tokio::sync::OnceCell<matrix_sdk::notification_settings::NotificationSettings> {
        &self.notification_settings
    }

    /// The folder name of this account's store and cache.
    pub fn folder(&self) -> &str {
        &self.folder
    }

    /// The full Matrix user ID.
    pub fn user_id(&self) -> OwnedUserId {
        self.client
            .user_id()
            .map(ToOwned::to_owned)
            .expect("a session is made only once signed in, so it has a user ID")
    }

    /// Which devices this session encrypts messages for.
    pub fn key_sharing(&self) -> KeySharing {
        self.key_sharing
    }

    /// The largest upload the server takes, in bytes (asked once per client, then cached).
    pub async fn max_upload_size(&self) -> Result<u64> {
        self.client
            .load_or_fetch_max_upload_size()
            .await
            .map(u64::from)
            .map_err(|err| EngineError::from_sdk(err, Call::Authenticated))
    }

    /// This device's ID.
    pub fn device_id(&self) -> String {
        self.client
            .device_id()
            .map(ToString::to_string)
            .unwrap_or_default()
    }

    /// The secrets to keep in the Secret Service for this session.
    pub(crate) fn secrets(&self, store_key: StoreKey) -> Option<AccountSecrets> {
        let session = self.client.matrix_auth().session()?;
        Some(AccountSecrets {
            homeserver: self.client.homeserver().to_string(),
            user_id: session.meta.user_id.to_string(),
            device_id: session.meta.device_id.to_string(),
            access_token: session.tokens.access_token,
            refresh_token: session.tokens.refresh_token,
            store_key,
        })
    }

    /// Signs in with a password into a new, empty encrypted store.
    pub(crate) async fn login(
        homeserver: &str,
        username: &Username,
        password: &str,
        device_name: &str,
        folder: String,
        store: StoreLocation<'_>,
    ) -> Result<Self> {
        // No refresh tokens are asked for: a refreshed token would have to be written back
        // to the Secret Service each time; Synapse's access tokens do not expire without.
        let builder = Client::builder().server_name_or_homeserver_url(homeserver);
        let client = build(builder, &store, homeserver).await?;
        // What the input was checked for, the `.well-known` it led to must pass as well,
        // before the first request to the homeserver it names.
        discovery::check_transport(&client.homeserver())?;

        let login_types = client
            .matrix_auth()
            .get_login_types()
            .await
            .map_err(|err| classify_http(err, false))?;
        if !login_types
            .flows
            .iter()
            .any(|flow| matches!(flow, LoginType::Password(_)))
        {
            return Err(EngineError::PasswordLoginUnsupported);
        }

        client
            .matrix_auth()
            .login_username(&username.localpart, password)
            .initial_device_display_name(device_name)
            .send()
            .await
            .map_err(classify_sdk)?;
        Ok(Self {
            client,
            folder,
            key_sharing: store.key_sharing,
            created_encrypted: Arc::default(),
            held_rooms: Arc::default(),
            notification_slot: Arc::default(),
            notification_settings: Arc::default(),
        })
    }

    /// Signs in again into the device of an existing store, after a soft logout: the
    /// server ended the access token but kept the device, so its keys and the local
    /// history stay usable.
    pub(crate) async fn login_into_existing_device(
        secrets: &AccountSecrets,
        password: &str,
        folder: String,
        store: StoreLocation<'_>,
    ) -> Result<Self> {
        let client = open_existing(secrets, &store).await?;
        let localpart = secrets
            .user_id
            .trim_start_matches('@')
            .split(':')
            .next()
            .unwrap_or_default()
            .to_owned();
        client
            .matrix_auth()
            .login_username(&localpart, password)
            .device_id(&secrets.device_id)
            .send()
            .await
            .map_err(classify_sdk)?;
        Ok(Self {
            client,
            folder,
            key_sharing: store.key_sharing,
            created_encrypted: Arc::default(),
            held_rooms: Arc::default(),
            notification_slot: Arc::default(),
            notification_settings: Arc::default(),
        })
    }

    /// Opens an existing store and resumes the session without any network request.
    pub(crate) async fn restore(
        secrets: &AccountSecrets,
        folder: String,
        store: StoreLocation<'_>,
    ) -> Result<Self> {
        let client = open_existing(secrets, &store).await?;
        crate::startup_trace::mark("stores opened");
        let session = MatrixSession {
            meta: SessionMeta {
                user_id: secrets
                    .user_id
                    .as_str()
                    .try_into()
                    .map_err(|_| EngineError::SecretsDamaged(secrets.user_id.clone()))?,
                device_id: secrets.device_id.as_str().into(),
            },
            tokens: SessionTokens {
                access_token: secrets.access_token.clone(),
                refresh_token: secrets.refresh_token.clone(),
            },
        };
        client
            .matrix_auth()
            .restore_session(session, RoomLoadSettings::default())
            .await
            .map_err(|err| EngineError::StoreUnusable {
                path: store.data.clone(),
                source: Box::new(err),
            })?;
        Ok(Self {
            client,
            folder,
            key_sharing: store.key_sharing,
            created_encrypted: Arc::default(),
            held_rooms: Arc::default(),
            notification_slot: Arc::default(),
            notification_settings: Arc::default(),
        })
    }

    /// Resolves when the server says that this session's access token is no longer valid
    /// (another device signed this one out, or a soft logout).
    pub async fn invalidated(&self) -> EngineError {
        use matrix_sdk::SessionChange;
        use tokio::sync::broadcast::error::RecvError;
        let mut changes = self.client.subscribe_to_session_changes();
        loop {
            match changes.recv().await {
                Ok(SessionChange::UnknownToken(data)) => {
                    return EngineError::SessionInvalidated {
                        soft: data.soft_logout,
                    };
                }
                Ok(SessionChange::TokensRefreshed) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => std::future::pending::<()>().await,
            }
        }
    }

    /// Logs this device out on the server. A token the server no longer knows counts as
    /// logged out already.
    pub(crate) async fn logout_on_server(&self) -> Result<()> {
        match self.client.matrix_auth().logout().await {
            Ok(_) => Ok(()),
            Err(err) => match classify_http(err, true) {
                EngineError::SessionInvalidated { .. } => Ok(()),
                other => Err(other),
            },
        }
    }
}

/// A client over the existing store of an account, without a session yet. A missing
/// store folder is an error: building would silently create an empty store.
async fn open_existing(secrets: &AccountSecrets, store: &StoreLocation<'_>) -> Result<Client> {
    if !store.data.is_dir() {
        return Err(EngineError::StoreUnusable {
            path: store.data.clone(),
            source: "the store folder is missing".into(),
        });
    }
    let builder = Client::builder().homeserver_url(&secrets.homeserver);
    build(builder, store, &secrets.homeserver).await
}

async fn build(
    builder: matrix_sdk::ClientBuilder,
    store: &StoreLocation<'_>,
    homeserver: &str,
) -> Result<Client> {
    // A SQLite page cache of 500 KB per connection instead of the SDK's 2 MB (its own
    // low-memory figure): in the background the stores' caches are a good part of what
    // the heap holds beside the rooms themselves. Not the SDK's whole low-memory
    // configuration: its pool of one connection per core (two here) made the stores wait
    // on each other until the room list never came (tests hung on 2 cores).
    let config = SqliteStoreConfig::new(&store.data)
        .cache_size(500_000)
        .key(Some(store.key.as_bytes()));
    // Cross-signing and backups are set up explicitly (they may need the password and
    // the person's consent); a message that cannot be decrypted asks the backup for its key.
    let encryption = matrix_sdk::encryption::EncryptionSettings {
        auto_enable_cross_signing: false,
        auto_enable_backups: false,
        backup_download_strategy:
            matrix_sdk::encryption::BackupDownloadStrategy::AfterDecryptionFailure,
    };
    // One process per set of accounts: the application is unique on the session bus, and each
    // process would take the SDK's cross-process locks under the same holder name anyway
    // (so they could never keep two processes apart). Left on, they cost a write to the
    // encrypted stores every 50 ms while held (the encryption sync holds the crypto lock
    // through each long poll) and on each access to the event cache.
    let result = builder
        .cross_process_store_config(
            matrix_sdk::cross_process_lock::CrossProcessLockConfig::SingleProcess,
        )
        .with_encryption_settings(encryption)
        // The SDK retries a failed request forever by default. A message waiting in the
        // send queue would then go out from inside such a retry once the server answers,
        // without Sotto's check of identities and sessions before it resumes
        // (`identities::ensure_can_resume`). A few retries, then the queue stops and that
        // check runs.
        .request_config(matrix_sdk::config::RequestConfig::new().retry_limit(3))
        // The address found when signing in (typed, or from the server name's
        // .well-known) stays the one the tokens go to; the login answer may not move it.
        .respect_login_well_known(false)
        .with_room_key_recipient_strategy(store.key_sharing.strategy())
        .sqlite_store_with_config_and_cache_path(config, Some(&store.cache))
        .build()
        .await;
    match result {
        Ok(client) => Ok(client),
        Err(matrix_sdk::ClientBuildError::SqliteStore(err)) => Err(EngineError::StoreUnusable {
            path: store.data.clone(),
            source: Box::new(err),
        }),
        Err(
            matrix_sdk::ClientBuildError::Url(_) | matrix_sdk::ClientBuildError::InvalidServerName,
        ) => Err(EngineError::InvalidHomeserver(homeserver.to_owned())),
        Err(other) => {
            tracing::info!("homeserver discovery failed: {other}");
            Err(discovery::diagnose(homeserver).await)
        }
    }
}

/// Signing in failed: see [`Call::Login`].
fn classify_sdk(err: matrix_sdk::Error) -> EngineError {
    EngineError::from_sdk(err, Call::Login)
}

/// Maps an HTTP-level failure to what the person can act on. `authenticated` tells whether
/// the request carried an access token (then a refusal is no wrong password).
fn classify_http(err: matrix_sdk::HttpError, authenticated: bool) -> EngineError {
    let call = if authenticated {
        Call::Authenticated
    } else {
        Call::Login
    };
    EngineError::from_http(err, call)
}
