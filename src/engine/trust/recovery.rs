//! Recovery: the account's secrets (cross-signing keys and the key backup's key) kept on
//! the server, encrypted with a recovery key only the person holds. With it a new session
//! becomes verified and reads the old history. Also the key backup, key export and import,
//! and the identity reset for a person who lost every session and the recovery key.

use std::path::PathBuf;

use futures_util::{Stream, StreamExt};
use matrix_sdk::EncryptionState;
use matrix_sdk::encryption::recovery::{RecoveryError, RecoveryState};
use matrix_sdk::encryption::secret_storage::SecretStorageError;
use matrix_sdk::encryption::{CrossSigningResetAuthType, KeyExportError, RoomKeyImportError};
use zeroize::Zeroizing;

use super::{classify, offers_password, password_auth};
use crate::engine::paths::{prepare_private_file, restrict_file};
use crate::engine::session::Session;
use crate::engine::{EngineError, Result};

/// Whether recovery is set up, as the person sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecoveryStatus {
    /// Not known yet (the account data has not been read).
    Unknown,
    /// Recovery is on and this session has every secret.
    On,
    /// Recovery is on for the account, but this session lacks secrets: enter the recovery
    /// key (or verify with another session).
    Incomplete,
    /// Recovery is off.
    Off,
}

impl From<RecoveryState> for RecoveryStatus {
    fn from(state: RecoveryState) -> Self {
        match state {
            RecoveryState::Unknown => Self::Unknown,
            RecoveryState::Enabled => Self::On,
            RecoveryState::Incomplete => Self::Incomplete,
            RecoveryState::Disabled => Self::Off,
        }
    }
}

/// A recovery key, handed to the caller once to show to the person. It has no `Display`,
/// its `Debug` hides it, and its memory is overwritten when it is dropped. Sotto never
/// logs it or writes it anywhere.
pub struct RecoveryKey(Zeroizing<String>);

impl RecoveryKey {
    /// The key's text, to show to the person (groups of four characters).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryKey(hidden)")
    }
}

/// How many room keys an import found and how many were new.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportedKeys {
    /// Keys that were not known here before.
    pub imported: usize,
    /// Keys in the file.
    pub total: usize,
}

fn map_recovery(err: RecoveryError) -> EngineError {
    match err {
        RecoveryError::BackupExistsOnServer => EngineError::BackupExistsOnServer,
        RecoveryError::SecretStorage(SecretStorageError::SecretStorageKey(_)) => {
            EngineError::WrongRecoveryKey
        }
        RecoveryError::SecretStorage(SecretStorageError::MissingKeyInfo { .. }) => {
            EngineError::RecoveryNotSetUp
        }
        RecoveryError::SecretStorage(SecretStorageError::Sdk(err)) | RecoveryError::Sdk(err) => {
            classify(err)
        }
        other => EngineError::matrix(other),
    }
}

/// Whether recovery is on now.
pub fn recovery_state(session: &Session) -> RecoveryStatus {
    session.client().encryption().recovery().state().into()
}

/// The recovery state now and each time it changes.
pub fn recovery_states(session: &Session) -> impl Stream<Item = RecoveryStatus> + use<> {
    session
        .client()
        .encryption()
        .recovery()
        .state_stream()
        .map(Into::into)
}

/// Turns recovery on: creates a key backup, a recovery key (from `passphrase` when given,
/// which then also opens it), and stores the account's secrets on the server encrypted
/// with it. The key is returned once; show it and let it go.
pub async fn enable_recovery(session: &Session, passphrase: Option<&str>) -> Result<RecoveryKey> {
    let recovery = session.client().encryption().recovery();
    let enable = recovery.enable();
    let enable = match passphrase {
        Some(passphrase) => enable.with_passphrase(passphrase),
        None => enable,
    };
    let key = enable.await.map_err(map_recovery)?;
    tracing::info!("recovery enabled");
    Ok(RecoveryKey(Zeroizing::new(key)))
}

/// Makes a new recovery key in place of the old one (which stops working).
pub async fn reset_recovery_key(
    session: &Session,
    passphrase: Option<&str>,
) -> Result<RecoveryKey> {
    let recovery = session.client().encryption().recovery();
    let reset = recovery.reset_key();
    let reset = match passphrase {
        Some(passphrase) => reset.with_passphrase(passphrase),
        None => reset,
    };
    let key = reset.await.map_err(map_recovery)?;
    tracing::info!("recovery key replaced");
    Ok(RecoveryKey(Zeroizing::new(key)))
}

/// Turns recovery off: deletes the key backup and the secrets stored on the server.
pub async fn disable_recovery(session: &Session) -> Result<()> {
    session
        .client()
        .encryption()
        .recovery()
        .disable()
        .await
        .map_err(map_recovery)?;
    tracing::info!("recovery turned off");
    Ok(())
}

/// Recovers with the recovery key or passphrase: this session becomes verified, gets the
/// key backup's key, and downloads the room keys of the encrypted rooms it is in, so the
/// old history decrypts. A wrong key gives `WrongRecoveryKey` and changes nothing.
pub async fn recover(session: &Session, key_or_passphrase: &str) -> Result<()> {
    let encryption = session.client().encryption();
    encryption
        .recovery()
        .recover(key_or_passphrase.trim())
        .await
        .map_err(map_recovery)?;
    tracing::info!("recovered the account's secrets");
    let backups = encryption.backups();
    for room in session.client().joined_rooms() {
        // A room whose state has not arrived yet may be encrypted too.
        if matches!(room.encryption_state(), EncryptionState::NotEncrypted) {
            continue;
        }
        tracing::debug!(room = %room.room_id(), "downloading the room's keys from the backup");
        if let Err(err) = backups.download_room_keys_for_room(room.room_id()).await {
            tracing::warn!("could not download a room's keys from the backup: {err}");
        }
    }
    Ok(())
}

/// Waits until the room keys of this session are uploaded to the key backup (before
/// signing out, say). Returns at once when there is no backup.
pub async fn wait_for_backup_upload(session: &Session) -> Result<()> {
    let backups = session.client().encryption().backups();
    if !backups.are_enabled().await {
        return Ok(());
    }
    backups
        .wait_for_steady_state()
        .await
        .map_err(EngineError::matrix)
}

/// True when signing out this session would lose the keys to the encrypted history: it is
/// the account's only session and recovery is not on.
pub async fn is_last_session_without_recovery(session: &Session) -> Result<bool> {
    let recovery = session.client().encryption().recovery();
    if recovery.state() == RecoveryState::Enabled {
        return Ok(false);
    }
    recovery.is_last_device().await.map_err(map_recovery)
}

/// The fewest characters a key export passphrase may have.
pub const MIN_PASSPHRASE_CHARS: usize = 12;
/// The fewest different characters a key export passphrase may have.
pub const MIN_DISTINCT_CHARS: usize = 6;

/// Why a passphrase is too weak for a key export file, which anyone holding the file can
/// try passphrases against offline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PassphraseWeakness {
    /// Fewer than [`MIN_PASSPHRASE_CHARS`] characters.
    TooShort,
    /// Only one kind of character: only lower-case letters, only capitals, only digits,
    /// or only symbols.
    OneKindOfCharacter,
    /// Fewer than [`MIN_DISTINCT_CHARS`] different characters ("aaaaaaaaaaa1").
    TooRepetitive,
}

/// Whether `passphrase` is strong enough to lock a room key export: at least 12
/// characters, at least two kinds of character (lower-case, capitals, digits, others such
/// as spaces or punctuation), and at least 6 different characters. Four random words with
/// spaces pass; a word, a date or a repeated pattern does not.
pub fn check_export_passphrase(passphrase: &str) -> Result<()> {
    let weak = |why| Err(EngineError::WeakPassphrase(why));
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return weak(PassphraseWeakness::TooShort);
    }
    let kinds = [
        passphrase.chars().any(char::is_lowercase),
        passphrase.chars().any(char::is_uppercase),
        passphrase.chars().any(|c| c.is_numeric()),
        passphrase
            .chars()
            .any(|c| !c.is_lowercase() && !c.is_uppercase() && !c.is_numeric()),
    ];
    if kinds.iter().filter(|k| **k).count() < 2 {
        return weak(PassphraseWeakness::OneKindOfCharacter);
    }
    let distinct: std::collections::BTreeSet<char> = passphrase.chars().collect();
    if distinct.len() < MIN_DISTINCT_CHARS {
        return weak(PassphraseWeakness::TooRepetitive);
    }
    Ok(())
}

/// Writes every room key this session has into `path`, encrypted with `passphrase`. A weak
/// passphrase is refused (`WeakPassphrase`) before anything is written. The file is
/// readable by its owner only, also when it replaces one that was readable by others.
pub async fn export_room_keys(session: &Session, path: PathBuf, passphrase: &str) -> Result<()> {
    check_export_passphrase(passphrase)?;
    // The SDK creates the file with the default mode, and an existing file keeps its own:
    // make it private before a byte of the export goes in, and check again afterwards.
    prepare_private_file(&path).map_err(|e| EngineError::io(&path, e))?;
    export_into(session, &path, passphrase).await?;
    restrict_file(&path).map_err(|e| EngineError::io(&path, e))
}

async fn export_into(session: &Session, path: &std::path::Path, passphrase: &str) -> Result<()> {
    let path = path.to_owned();
    session
        .client()
        .encryption()
        .export_room_keys(path.clone(), passphrase, |_| true)
        .await
        .map_err(|err| match err {
            matrix_sdk::Error::Io(io) => EngineError::io(path, io),
            other => classify(other),
        })
}

/// Reads room keys from a file written by `export_room_keys` (or another client's key
/// export), decrypting it with `passphrase`.
pub async fn import_room_keys(
    session: &Session,
    path: PathBuf,
    passphrase: &str,
) -> Result<ImportedKeys> {
    let result = session
        .client()
        .encryption()
        .import_room_keys(path.clone(), passphrase)
        .await
        .map_err(|err| match err {
            // Reading a file that is not text, or one cut short, fails as I/O too.
            RoomKeyImportError::Export(KeyExportError::Io(io))
                if matches!(
                    io.kind(),
                    std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof
                ) =>
            {
                EngineError::KeyFileUnreadable
            }
            RoomKeyImportError::Export(KeyExportError::Io(io)) | RoomKeyImportError::Io(io) => {
                EngineError::io(path, io)
            }
            RoomKeyImportError::Export(KeyExportError::InvalidMac) => {
                EngineError::WrongKeyFilePassphrase
            }
            RoomKeyImportError::Export(_) => EngineError::KeyFileUnreadable,
            other => EngineError::matrix(other),
        })?;
    Ok(ImportedKeys {
        imported: result.imported_count,
        total: result.total_count,
    })
}

/// Starts over with a new identity, for a person who lost the recovery key and every
/// other session: deletes the key backup and the stored secrets, makes a new
/// cross-signing identity (the server asks for the password: `PasswordNeeded` without
/// one, `WrongPassword` for a wrong one) and verifies this session with it. Other people
/// see that the identity changed. Turn recovery on again afterwards.
pub async fn reset_identity(session: &Session, password: Option<&str>) -> Result<()> {
    let recovery = session.client().encryption().recovery();
    let Some(handle) = recovery.reset_identity().await.map_err(map_recovery)? else {
        tracing::info!("identity reset without a password");
        return Ok(());
    };
    let CrossSigningResetAuthType::Uiaa(info) = handle.auth_type() else {
        handle.cancel().await;
        return Err(EngineError::AuthUnsupported);
    };
    if !offers_password(info) {
        handle.cancel().await;
        return Err(EngineError::AuthUnsupported);
    }
    let Some(password) = password else {
        handle.cancel().await;
        return Err(EngineError::PasswordNeeded);
    };
    // Without auth the SDK polls the server for two minutes, so the password goes along
    // with the first try.
    let auth = password_auth(session, password, info.session.clone())?;
    match handle.reset(Some(auth)).await {
        Ok(()) => {
            tracing::info!("identity reset");
            Ok(())
        }
        Err(err) => {
            handle.cancel().await;
            let err = match err {
                RecoveryError::Sdk(err) if err.as_uiaa_response().is_some() => {
                    EngineError::WrongPassword
                }
                other => map_recovery(other),
            };
            Err(err)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weakness(passphrase: &str) -> Option<PassphraseWeakness> {
        match check_export_passphrase(passphrase) {
            Ok(()) => None,
            Err(EngineError::WeakPassphrase(why)) => Some(why),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn export_passphrases_must_be_strong() {
        assert_eq!(weakness(""), Some(PassphraseWeakness::TooShort));
        assert_eq!(weakness("Tr0ub4dor&3"), Some(PassphraseWeakness::TooShort));
        assert_eq!(
            weakness("passwordpassword"),
            Some(PassphraseWeakness::OneKindOfCharacter)
        );
        assert_eq!(
            weakness("123456789012"),
            Some(PassphraseWeakness::OneKindOfCharacter)
        );
        assert_eq!(
            weakness("aaaaaaaaaaa1"),
            Some(PassphraseWeakness::TooRepetitive)
        );
        assert_eq!(
            weakness("ababab121212"),
            Some(PassphraseWeakness::TooRepetitive)
        );
        assert_eq!(weakness("correct horse battery staple"), None);
        assert_eq!(weakness("Tr0ub4dor&3xy"), None);
        // Characters, not bytes: twelve letters with accents are twelve.
        assert_eq!(weakness("ÄÖÜäöüß"), Some(PassphraseWeakness::TooShort));
    }
}
