//! The engine's errors as sentences a person can act on, translated.

use crate::engine::EngineError;
use crate::engine::media::MediaError;
use crate::engine::trust::recovery::{
    MIN_DISTINCT_CHARS, MIN_PASSPHRASE_CHARS, PassphraseWeakness,
};
use crate::i18n::{gettext, gettext_f};

/// What to tell the person about `err`: what happened and what to do.
pub fn describe(err: &EngineError) -> String {
    match err {
        EngineError::InvalidHomeserver(server) if server.is_empty() => {
            gettext("Enter your homeserver, or your full Matrix ID such as @alice:example.org.")
        }
        EngineError::InvalidHomeserver(server) => gettext_f(
            "“{server}” is not a homeserver name or address. Check it for typos.",
            &[("server", server)],
        ),
        EngineError::InvalidUsername(_) => gettext(
            "That username is not valid. Enter your username (alice) or your full Matrix ID (@alice:example.org).",
        ),
        EngineError::Unreachable(_) => gettext(
            "The homeserver could not be reached. Check the address and your connection, then try again.",
        ),
        EngineError::NotMatrix => gettext(
            "Something answers at that address, but it is not a Matrix homeserver. Check the address.",
        ),
        EngineError::InsecureHomeserver(host) => gettext_f(
            "Sotto does not connect to {host} over plain HTTP: anyone on the network could read your password and messages there. Use its https:// address.",
            &[("host", host)],
        ),
        EngineError::BadCertificate => gettext(
            "The homeserver’s security certificate is not valid, so Sotto did not connect. Check the address, or ask the server’s administrator.",
        ),
        EngineError::PasswordLoginUnsupported => {
            gettext("This homeserver does not offer signing in with a password, which Sotto needs.")
        }
        EngineError::WrongCredentials => gettext("Wrong username or password."),
        EngineError::AlreadySignedIn(user) => {
            gettext_f("{user} is already signed in.", &[("user", user)])
        }
        EngineError::SessionInvalidated { soft: true } => gettext(
            "The homeserver ended this session. Sign in again with your password: this device’s messages and keys are kept.",
        ),
        EngineError::SessionInvalidated { soft: false } => gettext(
            "This device was signed out, possibly from another device. Sign in again to keep using this account.",
        ),
        EngineError::SecretServiceMissing => gettext(
            "Sotto keeps your keys in the system keyring (the Secret Service), but none is running. Install and start GNOME Keyring or another Secret Service, then try again.",
        ),
        EngineError::SecretServiceLocked => {
            gettext("The system keyring is locked. Unlock it, then try again.")
        }
        EngineError::SecretServiceNoAnswer => gettext(
            "The keyring is locked. Unlock it (for example by signing in to your desktop) and try again.",
        ),
        EngineError::SecretsDamaged(user) => gettext_f(
            "The saved sign-in of {user} in the system keyring is damaged. Sign in again.",
            &[("user", user)],
        ),
        EngineError::SecretsMissing(user) => gettext_f(
            "The saved sign-in of {user} is missing from the system keyring. Sign in again.",
            &[("user", user)],
        ),
        EngineError::StoreUnusable { .. } => gettext(
            "The data of this account on this device cannot be opened. Sign in again to set it up anew.",
        ),
        EngineError::Io { path, .. } => gettext_f(
            "Sotto could not use its files in {path}. Check the free space and the permissions.",
            &[("path", &path.display().to_string())],
        ),
        EngineError::PasswordNeeded => {
            gettext("Enter your account password to confirm this change.")
        }
        EngineError::WrongPassword => gettext("Wrong password. Enter your account password."),
        EngineError::AuthUnsupported => gettext(
            "Your homeserver asks for a kind of confirmation Sotto cannot give. Make this change in another app or the homeserver’s web page.",
        ),
        EngineError::WrongRecoveryKey => gettext(
            "That recovery key or passphrase does not match. Check it and try again; nothing was changed.",
        ),
        EngineError::RecoveryNotSetUp => gettext(
            "Recovery is not set up for this account. Verify this session with another of your sessions instead.",
        ),
        EngineError::BackupExistsOnServer => gettext(
            "Your account already has a key backup. Enter your recovery key first, or reset it if you lost it.",
        ),
        EngineError::KeyFileUnreadable => {
            gettext("That file is not a room key export, or it is damaged. Nothing was imported.")
        }
        EngineError::WrongKeyFilePassphrase => gettext(
            "That passphrase does not open this key file (or the file is damaged). Check it and try again; nothing was imported.",
        ),
        EngineError::WeakPassphrase(PassphraseWeakness::TooShort) => gettext_f(
            "That passphrase is too short to protect your keys: use at least {count} characters, such as four random words. Nothing was saved.",
            &[("count", &MIN_PASSPHRASE_CHARS.to_string())],
        ),
        EngineError::WeakPassphrase(PassphraseWeakness::OneKindOfCharacter) => gettext(
            "That passphrase uses only one kind of character, which makes it easy to guess. Add spaces, capitals, digits or punctuation. Nothing was saved.",
        ),
        EngineError::WeakPassphrase(PassphraseWeakness::TooRepetitive) => gettext_f(
            "That passphrase repeats a few characters, which makes it easy to guess. Use at least {count} different characters. Nothing was saved.",
            &[("count", &MIN_DISTINCT_CHARS.to_string())],
        ),
        EngineError::IdentityChanged(users) => gettext_f(
            "The identity of {users} changed. Acknowledge the change before you send messages to this room.",
            &[("users", &user_list(users))],
        ),
        EngineError::SessionsUnconfirmed(users) => gettext_f(
            "{users} signed in on a new session. Confirm it is theirs before you send messages to this room.",
            &[("users", &user_list(users))],
        ),
        EngineError::NotVerifiable(who) => gettext_f(
            "{who} cannot be verified: no encryption keys were found.",
            &[("who", who)],
        ),
        EngineError::VerificationBusy => {
            gettext("Another verification is running. Finish or cancel it first.")
        }
        EngineError::InvalidMatrixId(id) if id.trim().is_empty() => {
            gettext("Enter a Matrix ID such as @alice:example.org.")
        }
        EngineError::InvalidMatrixId(id) => gettext_f(
            "“{id}” is not a Matrix ID. A Matrix ID looks like @alice:example.org.",
            &[("id", id)],
        ),
        EngineError::InvalidRoomAddress(address) if address.trim().is_empty() => gettext(
            "Enter a room address such as #room:example.org, a room ID, or a matrix.to link.",
        ),
        EngineError::InvalidRoomAddress(address) => gettext_f(
            "“{address}” is not a room address. Enter an address such as #room:example.org, a room ID, or a matrix.to link.",
            &[("address", address)],
        ),
        EngineError::UserNotFound(user) => gettext_f(
            "There is no user {user}. Check the Matrix ID for typos.",
            &[("user", user)],
        ),
        EngineError::RoomNotFound(room) if room.is_empty() => {
            gettext("That room was not found. Check the address, or ask for an invitation.")
        }
        EngineError::RoomNotFound(room) => gettext_f(
            "The room {room} was not found. Check the address, or ask for an invitation.",
            &[("room", room)],
        ),
        EngineError::NotAllowed => gettext(
            "The homeserver did not allow this. You may lack the permission in this room, or need an invitation.",
        ),
        EngineError::PrivateRoomUnencrypted => gettext(
            "Private rooms are always end-to-end encrypted. Make the room public to turn encryption off.",
        ),
        EngineError::DirectChatWithSelf => {
            gettext("That is your own Matrix ID. Enter the Matrix ID of the person to write to.")
        }
        EngineError::EncryptionNotReady => gettext(
            "The room's encryption is not set up yet, so nothing was sent. Try again in a moment.",
        ),
        EngineError::Media(media) => describe_media(media),
        EngineError::TooLargeToUpload { size, max } => gettext_f(
            "This file is {size}, but your homeserver takes files of at most {max}. Nothing was sent.",
            &[
                ("size", &gtk::glib::format_size(*size)),
                ("max", &gtk::glib::format_size(*max)),
            ],
        ),
        EngineError::Matrix(_) => {
            gettext("Something went wrong while talking to the homeserver. Try again.")
        }
    }
}

/// Why a picture cannot be sent as a picture, and what to do instead.
pub fn describe_media(err: &MediaError) -> String {
    match err {
        MediaError::Empty => gettext("This file is empty (0 bytes). Nothing was sent."),
        MediaError::NotAnImage => {
            gettext("This file is not a picture Sotto can read. You can send it as a file instead.")
        }
        MediaError::Unsupported => gettext(
            "Sotto cannot prepare this kind of picture (for example HEIC, TIFF or SVG), so it cannot remove its hidden information. You can send it as a file instead, as it is.",
        ),
        MediaError::Corrupt => gettext(
            "This picture is damaged or incomplete and cannot be sent. Try another copy of it.",
        ),
        MediaError::TooLarge { width, height } => gettext_f(
            "This picture is too large to prepare ({width} × {height} pixels). Make it smaller in an image editor first.",
            &[
                ("width", &width.to_string()),
                ("height", &height.to_string()),
            ],
        ),
        MediaError::EncodeFailed => {
            gettext("Sotto could not prepare this picture. Try again, or send another one.")
        }
    }
}

/// People named by their Matrix IDs, one after the other.
fn user_list(users: &[crate::engine::ids::OwnedUserId]) -> String {
    users
        .iter()
        .map(|user| user.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
