//! Engine tests, headless, against the real Synapse and Secret Service.

mod accounts;
mod room_list;
mod smoke;
