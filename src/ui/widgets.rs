//! Small helpers for widgets built in code.

use adw::prelude::*;

/// Names `widget` for screen readers (and tests) where no visible label names it. The GTK
/// binding offers this call only from GTK 4.10 on, though GTK has had it since 4.0.
pub fn set_accessible_label(widget: &impl IsA<gtk::Widget>, label: &str) {
    use gtk::glib::translate::ToGlibPtr;

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

/// Removes every child of `container` with the container's own `remove` (GTK 4.12 has
/// `remove_all`; a flow box must not merely have its children unparented).
pub fn remove_children<W: IsA<gtk::Widget>>(container: &W, remove: impl Fn(&W, &gtk::Widget)) {
    while let Some(child) = container.first_child() {
        remove(container, &child);
    }
}

/// Sets `text` as the tooltip of `widget` unless it is already. On X11, each change on a
/// shown widget costs a round trip to the display server (GTK looks for the pointer), so
/// rows that are bound again and again skip the unchanged ones.
pub fn set_tooltip(widget: &impl IsA<gtk::Widget>, text: &str) {
    if widget.tooltip_text().as_deref() != Some(text) {
        widget.set_tooltip_text(Some(text));
    }
}

/// A button showing only `icon`, with `label` as its tooltip and accessible label.
pub fn icon_button(icon: &str, label: &str) -> gtk::Button {
    let button = gtk::Button::from_icon_name(icon);
    button.set_tooltip_text(Some(label));
    set_accessible_label(&button, label);
    button
}

/// An icon with `label` as its tooltip and accessible label.
pub fn labelled_image(icon: &str, label: &str) -> gtk::Image {
    let image = gtk::Image::from_icon_name(icon);
    image.set_tooltip_text(Some(label));
    set_accessible_label(&image, label);
    image
}

/// A text view with `label` as its accessible label.
pub fn labelled_text_view(label: &str) -> gtk::TextView {
    let view = gtk::TextView::new();
    set_accessible_label(&view, label);
    view
}

/// Asks before something that cannot be undone: `heading`, `body`, Cancel (the default)
/// and a destructive `confirm` button; `on_confirm` runs only when that is chosen.
pub fn confirm_destructive(
    parent: &impl IsA<gtk::Window>,
    heading: &str,
    body: &str,
    confirm: &str,
    on_confirm: impl Fn() + 'static,
) -> adw::MessageDialog {
    let dialog = adw::MessageDialog::new(Some(parent), Some(heading), Some(body));
    let cancel = crate::i18n::gettext("_Cancel");
    dialog.add_responses(&[("cancel", cancel.as_str()), ("confirm", confirm)]);
    dialog.set_response_appearance("confirm", adw::ResponseAppearance::Destructive);
    dialog.set_default_response(Some("cancel"));
    dialog.set_close_response("cancel");
    dialog.connect_response(None, move |_, response| {
        if response == "confirm" {
            on_confirm();
        }
    });
    dialog.present();
    dialog
}
