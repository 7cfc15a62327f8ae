//! Everything Matrix and storage. This layer imports no GTK: it is driven headless by the
//! tests and by the UI through the same public API.

pub mod accounts;
pub mod avatars;
pub mod bidi;
pub mod discovery;
pub mod error;
pub mod html;
pub mod links;
pub mod media;
pub mod notify;
pub mod paths;
pub mod push_rules;
pub mod room_list;
pub mod rooms;
pub mod running;
pub mod secrets;
pub mod session;
pub mod sync;
pub mod timeline;
pub mod trust;

pub use error::{EngineError, Result};

/// Matrix identifiers, typed: the engine's API takes and returns these, never strings, so
/// a room ID cannot be passed where a user ID goes and is checked once, where it enters.
pub mod ids {
    pub use matrix_sdk::ruma::{EventId, OwnedEventId, OwnedRoomId, OwnedUserId, RoomId, UserId};
}
