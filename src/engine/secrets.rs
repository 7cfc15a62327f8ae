//! The Secret Service side of an account: one item per account holding the homeserver,
//! the session tokens and the random 256-bit key of the encrypted store. Nothing here is
//! ever written to a file or a log; when the Secret Service is missing or locked the
//! engine refuses to go on rather than fall back to a file.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use keyring_core::{CredentialStore, Entry};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::{EngineError, Result};

/// The Secret Service "service" attribute of Sotto's items.
const SERVICE: &str = "chat.sotto.Sotto";

/// The random key that encrypts an account's local store, passed to SQLite as a raw key.
/// Its memory is overwritten when it is dropped.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct StoreKey([u8; 32]);

impl StoreKey {
    /// A fresh random key from the operating system's generator.
    pub fn generate() -> Self {
        use rand::RngCore;
        let mut key = Self([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(&mut key.0);
        key
    }

    /// The raw 32 bytes, for the store configuration.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoreKey(…)")
    }
}

impl Serialize for StoreKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&Zeroizing::new(hex(&self.0)))
    }
}

impl<'de> Deserialize<'de> for StoreKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = Zeroizing::new(String::deserialize(d)?);
        let bytes = Zeroizing::new(unhex(&text).unwrap_or_default());
        <&[u8; 32]>::try_from(bytes.as_slice())
            .ok()
            .map(|bytes| StoreKey(*bytes))
            .ok_or_else(|| serde::de::Error::custom("a store key is 64 hexadecimal digits"))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// What one account keeps in the Secret Service.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccountSecrets {
    /// The homeserver's client-server API URL, as discovered at sign-in.
    pub homeserver: String,
    /// The full Matrix user ID.
    pub user_id: String,
    /// This device's ID.
    pub device_id: String,
    /// The access token.
    pub access_token: String,
    /// The refresh token, when the server issued one.
    pub refresh_token: Option<String>,
    /// The key of the encrypted local store.
    pub store_key: StoreKey,
}

impl Drop for AccountSecrets {
    // The tokens and the store key (itself `ZeroizeOnDrop`) leave no copy in memory.
    fn drop(&mut self) {
        self.access_token.zeroize();
        self.refresh_token.zeroize();
    }
}

impl fmt::Debug for AccountSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Tokens and keys never reach a log line, even through Debug.
        f.debug_struct("AccountSecrets")
            .field("homeserver", &self.homeserver)
            .field("user_id", &self.user_id)
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

/// How long a Secret Service call may take. Reading from a locked keyring asks the keyring
/// to unlock, which shows a password prompt and waits for it: long enough for a person to
/// type a password, and not for ever when there is no prompter.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// A connection to the Secret Service. Created on demand so that a missing or locked
/// service can be retried without restarting Sotto.
#[derive(Clone)]
pub struct SecretStore {
    store: Arc<Mutex<Option<Arc<CredentialStore>>>>,
    timeout: Duration,
}

impl Default for SecretStore {
    fn default() -> Self {
        Self::with_timeout(ANSWER_TIMEOUT)
    }
}

impl SecretStore {
    /// A handle that connects on first use.
    pub fn new() -> Self {
        Self::default()
    }

    /// A handle whose calls give up with [`EngineError::SecretServiceNoAnswer`] after
    /// `timeout` rather than [`ANSWER_TIMEOUT`].
    pub fn with_timeout(timeout: Duration) -> Self {
        Self {
            store: Arc::default(),
            timeout,
        }
    }

    fn entry(&self, user_id: &str) -> Result<Entry> {
        let store = {
            let mut guard = self.store.lock().unwrap_or_else(|e| e.into_inner());
            match guard.as_ref() {
                Some(store) => store.clone(),
                None => {
                    let store: Arc<CredentialStore> =
                        zbus_secret_service_keyring_store::Store::new().map_err(map_error)?;
                    *guard = Some(store.clone());
                    store
                }
            }
        };
        let label = format!("Sotto: {user_id}");
        let modifiers = HashMap::from([("label", label.as_str())]);
        Entry::new_in_store_with_modifiers(&store, SERVICE, user_id, &modifiers).map_err(map_error)
    }

    /// Forgets the connection, so that the next call connects again (after an error).
    fn reset(&self) {
        *self.store.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Runs `op` on the entry of `user_id` in a thread of its own, and gives up on it after
    /// the timeout (the thread then ends whenever the keyring answers, if ever).
    fn with_entry<T: Send + 'static>(
        &self,
        user_id: &str,
        op: impl FnOnce(&Entry) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (sender, receiver) = std::sync::mpsc::channel();
        let this = self.clone();
        let user_id = user_id.to_owned();
        let spawned = std::thread::Builder::new()
            .name("sotto-keyring".into())
            .spawn(move || {
                let _ = sender.send(this.entry(&user_id).and_then(|entry| op(&entry)));
            });
        let result = match spawned {
            Ok(_) => match receiver.recv_timeout(self.timeout) {
                Ok(result) => result,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    tracing::warn!(timeout = ?self.timeout, "the Secret Service did not answer");
                    Err(EngineError::SecretServiceNoAnswer)
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    Err(EngineError::SecretServiceMissing)
                }
            },
            Err(err) => {
                tracing::warn!("no thread for a Secret Service call: {err}");
                Err(EngineError::SecretServiceMissing)
            }
        };
        if matches!(
            result,
            Err(EngineError::SecretServiceMissing
                | EngineError::SecretServiceLocked
                | EngineError::SecretServiceNoAnswer)
        ) {
            self.reset();
        }
        result
    }

    /// Checks that the Secret Service answers and is unlocked. Blocking: call off the UI thread.
    pub fn check(&self) -> Result<()> {
        // Looking up an item that does not exist exercises the connection and the unlock.
        match self.with_entry("@sotto-availability-check:invalid", |e| {
            e.get_secret().map_err(map_error)
        }) {
            Ok(_) | Err(EngineError::SecretsMissing(_)) => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// Saves (or replaces) the secrets of an account. Blocking.
    pub fn save(&self, secrets: &AccountSecrets) -> Result<()> {
        let json = serde_json::to_vec(secrets)
            .map(Zeroizing::new)
            .map_err(|_| EngineError::SecretsDamaged(secrets.user_id.clone()))?;
        self.with_entry(&secrets.user_id, move |e| {
            e.set_secret(&json).map_err(map_error)
        })
    }

    /// Loads the secrets of an account. Blocking.
    pub fn load(&self, user_id: &str) -> Result<AccountSecrets> {
        let bytes = self
            .with_entry(user_id, |e| e.get_secret().map_err(map_error))
            .map(Zeroizing::new)
            .map_err(|err| with_user(err, user_id))?;
        let secrets: AccountSecrets = serde_json::from_slice(&bytes)
            .map_err(|_| EngineError::SecretsDamaged(user_id.to_owned()))?;
        if secrets.user_id != user_id {
            return Err(EngineError::SecretsDamaged(user_id.to_owned()));
        }
        Ok(secrets)
    }

    /// Deletes the secrets of an account; succeeds when there were none. Blocking.
    pub fn delete(&self, user_id: &str) -> Result<()> {
        match self.with_entry(user_id, |e| e.delete_credential().map_err(map_error)) {
            Ok(()) | Err(EngineError::SecretsMissing(_)) => Ok(()),
            Err(err) => Err(err),
        }
    }
}

fn with_user(err: EngineError, user_id: &str) -> EngineError {
    match err {
        EngineError::SecretsMissing(_) => EngineError::SecretsMissing(user_id.to_owned()),
        EngineError::SecretsDamaged(_) => EngineError::SecretsDamaged(user_id.to_owned()),
        other => other,
    }
}

fn map_error(err: keyring_core::Error) -> EngineError {
    use keyring_core::Error as K;
    match err {
        K::NoEntry => EngineError::SecretsMissing(String::new()),
        K::NoStorageAccess(_) => EngineError::SecretServiceLocked,
        K::BadEncoding(_) | K::BadDataFormat(..) | K::Ambiguous(_) => {
            EngineError::SecretsDamaged(String::new())
        }
        other => {
            tracing::warn!("Secret Service unavailable: {other}");
            EngineError::SecretServiceMissing
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_key_is_wiped_where_it_lay_when_dropped() {
        let mut slot = std::mem::MaybeUninit::new(StoreKey([0xA5; 32]));
        // SAFETY: the slot holds a key until this drop; afterwards only its bytes are
        // read, as bytes, from memory the slot still owns.
        let left = unsafe {
            slot.assume_init_drop();
            *slot.as_ptr().cast::<[u8; 32]>()
        };
        assert_eq!(left, [0u8; 32], "the key's bytes stay in memory after drop");
    }

    #[test]
    fn store_key_round_trips_through_hex() {
        let key = StoreKey::generate();
        let json = serde_json::to_string(&key).unwrap();
        let back: StoreKey = serde_json::from_str(&json).unwrap();
        assert_eq!(key, back);
        assert!(serde_json::from_str::<StoreKey>("\"abc\"").is_err());
        assert!(serde_json::from_str::<StoreKey>("\"zz\"").is_err());
    }

    #[test]
    fn debug_output_hides_tokens_and_keys() {
        let secrets = AccountSecrets {
            homeserver: "http://127.0.0.1:8008".into(),
            user_id: "@a:b".into(),
            device_id: "DEV".into(),
            access_token: "syt_secret_token".into(),
            refresh_token: Some("refresh_secret".into()),
            store_key: StoreKey::generate(),
        };
        let shown = format!("{secrets:?}");
        assert!(!shown.contains("syt_secret_token"));
        assert!(!shown.contains("refresh_secret"));
        assert!(!shown.contains(&hex(secrets.store_key.as_bytes())));
    }
}
