//! The trust screens: emoji verification, recovery keys, key files, the banner for a
//! changed identity, the shields, and the first sign-in's set-up (the account settings
//! window that uses them is `ui::account_settings`). They act through
//! `crate::engine::trust` only.

pub mod first_sign_in;
pub mod identity_banner;
pub mod key_files;
pub mod new_session_alert;
pub mod recovery_key;
pub mod sharing_notice;
pub mod shield;
pub mod verification;
