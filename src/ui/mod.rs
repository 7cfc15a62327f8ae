//! The GTK and libadwaita side of Sotto. It talks to the engine only through the engine's
//! public API, through the bridge in `bridge`.

pub mod application;
pub mod bridge;
pub mod dialogs;
pub mod diff_store;
pub mod error_text;
pub mod greeter;
pub mod preferences;
pub mod room_details;
pub mod room_list;
pub mod room_view;
pub mod settings;
pub mod trust;
pub mod widgets;
pub mod window;

use gtk::{gdk, gio};

use crate::config::RESOURCE_BASE;

/// Starts GTK and libadwaita and registers Sotto's resources. Fails without a display.
pub fn init() -> Result<(), gtk::glib::BoolError> {
    // Before GTK and the engine start their threads.
    crate::memory::limit_arenas();
    gtk::init()?;
    adw::init()?;
    register_resources();
    if let Some(display) = gdk::Display::default() {
        gtk::IconTheme::for_display(&display).add_resource_path(&format!("{RESOURCE_BASE}/icons"));
    }
    Ok(())
}

fn register_resources() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        gio::resources_register_include!("sotto.gresource")
            .expect("the bundled resources are valid")
    });
}
