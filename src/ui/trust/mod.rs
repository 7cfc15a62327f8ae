//! The trust screens: emoji verification, the account's sessions and recovery, the banner
//! for a changed identity, and the first sign-in's set-up. They act through
//! `crate::engine::trust` only.

pub mod first_sign_in;
pub mod identity_banner;
pub mod key_files;
pub mod new_session_alert;
pub mod recovery_key;
pub mod settings;
pub mod sharing_notice;
pub mod shield;
pub mod verification;
