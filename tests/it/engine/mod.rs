//! Engine tests, headless, against the real Synapse and Secret Service.

mod accounts;
mod html;
mod interop;
mod room_list;
mod secret_service;
mod smoke;
mod timeline;
pub(crate) mod trust;
