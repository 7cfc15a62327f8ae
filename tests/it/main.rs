//! Sotto's one integration-test binary (each extra binary would relink matrix-sdk and GTK).
//! Run it through `tools/test`, which starts Synapse's prerequisites, a private D-Bus
//! session with gnome-keyring, and Xvfb.

// matrix-sdk-ui's timeline futures are deep; the default limit is too small for them.
#![recursion_limit = "256"]

mod harness;

mod data_files;
mod demo;
mod engine;
mod layering;
mod security;
mod ui;
