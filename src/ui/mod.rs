//! The GTK and libadwaita side of Sotto. It talks to the engine only through the engine's
//! public API, through the bridge in `bridge`.

pub mod application;
pub mod bridge;
pub mod dialogs;
pub mod error_text;
pub mod greeter;
pub mod room_details;
pub mod room_list;
pub mod settings;
pub mod window;

use gtk::{gdk, gio};

use crate::config::RESOURCE_BASE;

/// Starts GTK and libadwaita and registers Sotto's resources. Fails without a display.
pub fn init() -> Result<(), gtk::glib::BoolError> {
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

/// Names `widget` for screen readers (and tests) where no visible label names it. The GTK
/// binding offers this call only from GTK 4.10 on, though GTK has had it since 4.0.
pub fn set_accessible_label(widget: &impl gtk::prelude::IsA<gtk::Widget>, label: &str) {
    use gtk::glib::translate::ToGlibPtr;
    use gtk::prelude::ToValue;

    unsafe extern "C" {
        fn gtk_accessible_update_property_value(
            accessible: *mut gtk::ffi::GtkWidget,
            n_properties: std::ffi::c_int,
            properties: *mut gtk::ffi::GtkAccessibleProperty,
            values: *const gtk::glib::gobject_ffi::GValue,
        );
    }
    let value = label.to_value();
    let mut properties = [gtk::ffi::GTK_ACCESSIBLE_PROPERTY_LABEL];
    let widget: &gtk::Widget = widget.as_ref();
    // SAFETY: every GtkWidget is a GtkAccessible; one property with one string value, as
    // the C function expects; the widget and the value outlive the call.
    unsafe {
        gtk_accessible_update_property_value(
            widget.to_glib_none().0,
            1,
            properties.as_mut_ptr(),
            ToGlibPtr::<*const gtk::glib::gobject_ffi::GValue>::to_glib_none(&value).0,
        );
    }
}
