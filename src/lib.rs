//! Sotto: an end-to-end encrypted Matrix client for Linux phones and the desktop.
//!
//! `engine` holds everything Matrix and storage and imports no GTK; `ui` is the GTK and
//! libadwaita side and talks to the engine only through its public API.

pub mod config;
pub mod engine;
pub mod i18n;
pub mod ui;
