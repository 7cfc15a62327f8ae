//! Engine tests, headless, against the real Synapse and Secret Service.

mod accounts;
mod html;
mod interop;
mod room_list;
mod rooms;
mod secret_service;
mod smoke;
mod timeline;
mod trust;
