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

/// A toast that shows `text` exactly as it is. A toast's title is Pango markup in
/// libadwaita 1.2, and the texts shown in toasts carry room names, display names and
/// reasons that others chose: read as markup, `<b>` would turn bold and a stray `<` would
/// blank the toast.
pub fn toast(text: &str) -> adw::Toast {
    adw::Toast::new(&gtk::glib::markup_escape_text(text))
}

/// What can show a toast: the window, a preferences window, a pane over a toast overlay.
pub trait Toasts {
    /// Shows `text` in a toast, exactly as it is.
    fn show_toast(&self, text: &str);
}

impl Toasts for adw::PreferencesWindow {
    fn show_toast(&self, text: &str) {
        self.add_toast(toast(text));
    }
}

impl<T: Toasts> Toasts for std::rc::Rc<T> {
    fn show_toast(&self, text: &str) {
        T::show_toast(self, text);
    }
}

/// A row showing `title` and `subtitle` exactly as they are. Markup is turned off before
/// the texts are set: given to the builder together, they reach the row's labels while
/// markup is still on (Pango refuses `R&D` and GTK warns).
pub fn plain_row(title: &str, subtitle: &str) -> adw::ActionRow {
    let row = adw::ActionRow::builder().use_markup(false).build();
    row.set_title(title);
    if !subtitle.is_empty() {
        row.set_subtitle(subtitle);
    }
    row
}

/// Sets `text` as the description of `page`, shown exactly as it is (a status page's
/// description is always Pango markup, and the sentences put there name people, sessions
/// and rooms).
pub fn set_status_description(page: &adw::StatusPage, text: Option<&str>) {
    let escaped = text.map(gtk::glib::markup_escape_text);
    page.set_description(escaped.as_deref());
}

/// The text that `markup` shows (what a label with `use-markup` displays), for reading
/// back what a widget that only takes markup shows.
pub fn shown_text(markup: &str) -> String {
    gtk::pango::parse_markup(markup, '\0')
        .map_or_else(|_| markup.to_owned(), |(_, text, _)| text.to_string())
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

/// Waits until `widget` has been drawn for the first time, or `limit` has passed (a widget
/// that is never shown must not hold anything up). Work that can wait for the first frame
/// (talking to the server at start-up, say) then does not compete with it for the CPU.
pub async fn first_frame(widget: &impl IsA<gtk::Widget>, limit: std::time::Duration) {
    use std::cell::Cell;
    use std::rc::Rc;

    let (painted, frame) = tokio::sync::oneshot::channel::<()>();
    let painted = Rc::new(Cell::new(Some(painted)));
    let on_realize = Rc::new(Cell::new(None));
    let watch = {
        let on_realize = on_realize.clone();
        move |widget: &gtk::Widget| {
            if let Some(id) = on_realize.take() {
                widget.disconnect(id);
            }
            let Some(clock) = widget.frame_clock() else {
                return;
            };
            let painted = painted.clone();
            let after_paint = Rc::new(Cell::new(None));
            let handler = after_paint.clone();
            after_paint.set(Some(clock.connect_after_paint(move |clock| {
                if let Some(painted) = painted.take() {
                    let _ = painted.send(());
                }
                if let Some(id) = handler.take() {
                    clock.disconnect(id);
                }
            })));
        }
    };
    let widget = widget.upcast_ref::<gtk::Widget>();
    if widget.is_realized() {
        watch(widget);
    } else {
        on_realize.set(Some(widget.connect_realize(watch)));
    }
    let timeout = std::pin::pin!(gtk::glib::timeout_future(limit));
    futures_util::future::select(frame, timeout).await;
}

/// A texture of decoded `pixels` (RGBA, 8 bits each).
pub fn texture_of(pixels: crate::engine::media::Pixels) -> gtk::gdk::Texture {
    let stride = pixels.width as usize * 4;
    gtk::gdk::MemoryTexture::new(
        i32::try_from(pixels.width).unwrap_or(i32::MAX),
        i32::try_from(pixels.height).unwrap_or(i32::MAX),
        gtk::gdk::MemoryFormat::R8g8b8a8,
        &gtk::glib::Bytes::from_owned(pixels.rgba),
        stride,
    )
    .into()
}

/// Calls `f` with every widget under `root`, depth first (`root` itself not included).
pub fn for_each_descendant(root: &gtk::Widget, f: &mut impl FnMut(&gtk::Widget)) {
    let mut child = root.first_child();
    while let Some(widget) = child {
        f(&widget);
        for_each_descendant(&widget, f);
        child = widget.next_sibling();
    }
}
