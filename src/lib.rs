//! Sotto: an end-to-end encrypted Matrix client for Linux phones and the desktop.
//!
//! `engine` holds everything Matrix and storage and imports no GTK; `ui` is the GTK and
//! libadwaita side and talks to the engine only through its public API.

// matrix-sdk-ui's timeline futures are deep; the default limit is too small for them.
#![recursion_limit = "256"]

pub mod config;
pub mod engine;
pub mod i18n;
pub mod logging;
pub mod memory;
pub mod startup_trace;
pub mod ui;
