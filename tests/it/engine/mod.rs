//! Engine tests, headless, against the real Synapse and Secret Service.

mod accounts;
mod hostile;
mod html;
mod interop;
mod key_sharing;
pub(crate) mod media;
mod notify;
pub(crate) mod receive_media;
mod room_list;
mod rooms;
mod secret_service;
pub(crate) mod send_media;
mod smoke;
mod timeline;
pub(crate) mod trust;
