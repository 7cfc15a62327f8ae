//! Small widgets built the same way everywhere. GTK 4.8's Rust bindings cannot set an
//! accessible label from code (that needs 4.10), so widgets that need one are made from a
//! GtkBuilder snippet, which can.

use gtk::glib;
use gtk::prelude::*;

fn built<T: IsA<glib::Object>>(class: &str, properties: &str, label: &str) -> T {
    let label = glib::markup_escape_text(label);
    let xml = format!(
        r#"<interface><object class="{class}" id="widget">{properties}<property name="tooltip-text">{label}</property><accessibility><property name="label">{label}</property></accessibility></object></interface>"#
    );
    gtk::Builder::from_string(&xml)
        .object::<T>("widget")
        .expect("the snippet builds its widget")
}

/// A button showing only `icon`, with `label` as its tooltip and accessible label.
pub fn icon_button(icon: &str, label: &str) -> gtk::Button {
    let icon = glib::markup_escape_text(icon);
    built(
        "GtkButton",
        &format!(r#"<property name="icon-name">{icon}</property>"#),
        label,
    )
}

/// An icon with `label` as its tooltip and accessible label.
pub fn labelled_image(icon: &str, label: &str) -> gtk::Image {
    let icon = glib::markup_escape_text(icon);
    built(
        "GtkImage",
        &format!(r#"<property name="icon-name">{icon}</property>"#),
        label,
    )
}

/// A text view with `label` as its accessible label (and tooltip-free: it would cover the
/// text).
pub fn labelled_text_view(label: &str) -> gtk::TextView {
    let label = glib::markup_escape_text(label);
    let xml = format!(
        r#"<interface><object class="GtkTextView" id="widget"><accessibility><property name="label">{label}</property></accessibility></object></interface>"#
    );
    gtk::Builder::from_string(&xml)
        .object::<gtk::TextView>("widget")
        .expect("the snippet builds its widget")
}
