//! Engine tests, headless, against the real Synapse and Secret Service.

mod accounts;
mod room_list;
mod rooms;
mod secret_service;
mod smoke;
