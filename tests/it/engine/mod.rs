//! Engine tests, headless, against the real Synapse and Secret Service.

mod accounts;
mod smoke;
