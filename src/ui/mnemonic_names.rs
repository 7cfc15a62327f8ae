//! Clean accessible names for buttons whose label has a mnemonic (`_Try Again`).
//!
//! GTK 4.8 names such a button twice: its label text, underscore included, as the
//! accessible label, and then the text of the label it shows (which names the button as
//! the label's mnemonic widget). A screen reader reads "_Try Again Try Again" aloud. A
//! check button keeps the underscore ("_Remember"). GTK fixed this in later versions.
//!
//! Mnemonic labels are set in many places: templates, code, and libadwaita's own message
//! dialogs, which build their response buttons inside. So the fix is one hook, not a call
//! at every site: each widget that GTK maps passes a type test, and a mnemonic button
//! gets its clean name the first time and again whenever its label changes. When a window or
//! popover maps, everything under it is named too, since the accessibility tree also
//! shows the widgets that are not mapped (the other layout of a dialog's responses, the
//! pages of a stack that are not shown).

use adw::prelude::*;
use gtk::glib;
use gtk::glib::translate::{IntoGlib, from_glib_borrow};

/// Installs the hook, once; call it after GTK started.
pub fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // A signal exists once its class does: GtkWidget's may not have been made yet.
        let class = glib::Class::<gtk::Widget>::from_type(gtk::Widget::static_type());
        std::mem::forget(class);
        let map = glib::subclass::SignalId::lookup("map", gtk::Widget::static_type())
            .expect("GtkWidget has a map signal");
        // SAFETY: "map" allows emission hooks (it is not G_SIGNAL_NO_HOOKS); the hook
        // takes no data and stays for the life of the process.
        unsafe {
            glib::gobject_ffi::g_signal_add_emission_hook(
                map.into_glib(),
                0,
                Some(on_map),
                std::ptr::null_mut(),
                None,
            );
        }
    });
}

unsafe extern "C" fn on_map(
    _hint: *mut glib::gobject_ffi::GSignalInvocationHint,
    n_values: std::ffi::c_uint,
    values: *const glib::gobject_ffi::GValue,
    _data: glib::ffi::gpointer,
) -> glib::ffi::gboolean {
    if n_values > 0 {
        // SAFETY: the first value of a signal emission is its instance, here a GtkWidget
        // (the hook is on GtkWidget::map), alive for the whole emission; GTK emits map on
        // its own thread, the one this hook runs on.
        let widget = unsafe {
            let instance = glib::gobject_ffi::g_value_get_object(values);
            from_glib_borrow::<_, gtk::Widget>(instance.cast::<gtk::ffi::GtkWidget>())
        };
        name_cleanly(&widget);
        if widget.is::<gtk::Native>() {
            name_all_under(&widget);
        }
    }
    glib::ffi::GTRUE
}

fn name_all_under(root: &gtk::Widget) {
    crate::ui::widgets::for_each_descendant(root, &mut name_cleanly);
}

/// Gives `widget` a clean accessible name if it is a button with a mnemonic label, and
/// keeps it clean when its label changes. Cheap when it has nothing to do, as on most
/// widgets and on a button mapped again: a type test, a getter, a look-up of a mark.
fn name_cleanly(widget: &gtk::Widget) {
    let mnemonic = if let Some(button) = widget.downcast_ref::<gtk::Button>() {
        button.uses_underline()
    } else if let Some(check) = widget.downcast_ref::<gtk::CheckButton>() {
        check.uses_underline()
    } else {
        return;
    };
    if !mnemonic || follows_label(widget) {
        return;
    }
    renamed(widget);
    widget.connect_notify_local(Some("label"), |widget, _| renamed(widget));
    widget.connect_notify_local(Some("use-underline"), |widget, _| renamed(widget));
}

fn renamed(widget: &gtk::Widget) {
    if let Some(button) = widget.downcast_ref::<gtk::Button>() {
        name_button(button);
    } else if let Some(check) = widget.downcast_ref::<gtk::CheckButton>() {
        name_check_button(check);
    }
}

/// Whether `widget` is named already and follows its label (marks it so on the first call).
fn follows_label(widget: &gtk::Widget) -> bool {
    thread_local! {
        static MARK: glib::Quark = glib::Quark::from_str("sotto-mnemonic-name");
    }
    let mark = MARK.with(|mark| *mark);
    // SAFETY: the mark holds a `bool`, is read as one, and is set only here.
    unsafe {
        if widget.qdata::<bool>(mark).is_some() {
            return true;
        }
        widget.set_qdata(mark, true);
    }
    false
}

/// A button with a mnemonic label is named by that label (its mnemonic widget) alone:
/// GTK's own accessible label, the text with its underscore, goes.
fn name_button(button: &gtk::Button) {
    use gtk::glib::translate::ToGlibPtr;

    // The binding offers this call only from GTK 4.10 on, though GTK has had it since 4.0.
    unsafe extern "C" {
        fn gtk_accessible_reset_property(
            accessible: *mut gtk::ffi::GtkWidget,
            property: gtk::ffi::GtkAccessibleProperty,
        );
    }
    if button.uses_underline() && button.label().is_some() {
        let widget: &gtk::Widget = button.upcast_ref();
        // SAFETY: every GtkWidget is a GtkAccessible, and the button outlives the call.
        unsafe {
            gtk_accessible_reset_property(
                widget.to_glib_none().0,
                gtk::ffi::GTK_ACCESSIBLE_PROPERTY_LABEL,
            );
        }
    }
}

/// A check button is named by its accessible label alone: that becomes the text it shows.
fn name_check_button(check: &gtk::CheckButton) {
    if check.uses_underline()
        && let Some(label) = check.label()
    {
        crate::ui::widgets::set_accessible_label(check, &without_mnemonic(&label));
    }
}

/// The text a label with `use-underline` shows for `label`: one underscore marks the
/// mnemonic and is not shown, two show one.
pub fn without_mnemonic(label: &str) -> String {
    let mut shown = String::with_capacity(label.len());
    let mut chars = label.chars();
    while let Some(c) = chars.next() {
        if c != '_' {
            shown.push(c);
        } else if let Some(next) = chars.next() {
            shown.push(next);
        }
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::without_mnemonic;

    #[test]
    fn the_mnemonic_underscore_goes_and_a_doubled_one_shows_once() {
        assert_eq!(without_mnemonic("_Try Again"), "Try Again");
        assert_eq!(without_mnemonic("Sign In _Again"), "Sign In Again");
        assert_eq!(without_mnemonic("snake__case"), "snake_case");
        assert_eq!(without_mnemonic("Plain"), "Plain");
        assert_eq!(without_mnemonic("trailing_"), "trailing");
    }
}
