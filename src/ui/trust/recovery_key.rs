//! The recovery key on screen: shown once after it is made (large, monospace, with Copy
//! and Save to File), and asked for when this session recovers with it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use adw::prelude::*;
use gtk::{gdk, glib};

use super::key_files::{shown_name, write_private_file};
use crate::engine::trust::recovery::RecoveryKey;
use crate::i18n::{gettext, gettext_f};
use crate::ui::file_choosers::choose_save_path;

/// The name a saved recovery key file gets by default.
pub const RECOVERY_KEY_FILE_NAME: &str = "recovery-key.txt";

/// The key in lines of four groups, so it reads (and copies by eye) in chunks.
fn grouped(key: &str) -> String {
    let groups: Vec<&str> = key.split_whitespace().collect();
    groups
        .chunks(4)
        .map(|line| line.join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

thread_local! {
    static CLIPBOARD_LIFETIME: Cell<Duration> = const { Cell::new(Duration::from_secs(60)) };
}

/// How long a copied recovery key stays on the clipboard (60 seconds).
pub fn clipboard_lifetime() -> Duration {
    CLIPBOARD_LIFETIME.with(Cell::get)
}

/// Shortens how long a copied recovery key stays on the clipboard (for tests, which
/// should not wait a minute).
#[doc(hidden)]
pub fn set_clipboard_lifetime(lifetime: Duration) {
    CLIPBOARD_LIFETIME.with(|c| c.set(lifetime));
}

/// The clipboard the Copy button put the key on, and what it put there.
type Copied = RefCell<Option<(gdk::Clipboard, gdk::ContentProvider)>>;

/// Takes the recovery key off the clipboard if the clipboard still holds what the Copy
/// button put there (and not something the person copied since).
fn clear_copied_key(copied: &Copied) {
    let Some((clipboard, provider)) = copied.take() else {
        return;
    };
    if clipboard.content().as_ref() == Some(&provider) {
        clipboard.set_content(None::<&gdk::ContentProvider>).ok();
    }
}

/// Shows `key` once over `parent`. Nothing keeps it after the dialog closes; `on_done`
/// runs then. A key copied to the clipboard is taken off it after
/// [`clipboard_lifetime`] or when the dialog closes, whichever comes first.
pub fn show_recovery_key(
    parent: &impl IsA<gtk::Window>,
    key: RecoveryKey,
    on_done: impl Fn() + 'static,
) -> adw::MessageDialog {
    let dialog = adw::MessageDialog::new(
        Some(parent),
        Some(&gettext("Save Your Recovery Key")),
        Some(&gettext(
            "Keep it somewhere safe, such as a password manager or on paper. With it, a new device can read your encrypted messages. Sotto shows it only now.",
        )),
    );
    dialog.set_widget_name("recovery-key-dialog");
    let label = gtk::Label::builder()
        .label(grouped(key.expose()))
        .selectable(true)
        .wrap(true)
        .wrap_mode(gtk::pango::WrapMode::Char)
        .justify(gtk::Justification::Center)
        .css_classes(["recovery-key", "monospace", "card"])
        .build();
    label.set_widget_name("recovery-key");
    drop(key);
    let copy = gtk::Button::builder()
        .label(gettext("_Copy"))
        .use_underline(true)
        .css_classes(["pill", "touch-target"])
        .build();
    copy.set_widget_name("copy-recovery-key");
    // What the Copy button put on the clipboard, to take it off again.
    let copied: Rc<Copied> = Rc::default();
    copy.connect_clicked(glib::clone!(
        #[weak]
        label,
        #[strong]
        copied,
        move |button| {
            let text = zeroize::Zeroizing::new(label.label().replace('\n', " "));
            let provider = gdk::ContentProvider::for_value(&text.as_str().to_value());
            let clipboard = button.clipboard();
            clipboard.set_content(Some(&provider)).ok();
            copied.replace(Some((clipboard, provider)));
            button.set_label(&gettext("Copied"));
            let copied = copied.clone();
            glib::timeout_add_local_once(clipboard_lifetime(), move || {
                clear_copied_key(&copied);
            });
        }
    ));
    let save = gtk::Button::builder()
        .label(gettext("_Save to File…"))
        .use_underline(true)
        .css_classes(["pill", "touch-target"])
        .build();
    save.set_widget_name("save-recovery-key");
    save.connect_clicked(glib::clone!(
        #[weak]
        dialog,
        move |_| {
            choose_save_path(
                &dialog,
                &gettext("Save Recovery Key"),
                RECOVERY_KEY_FILE_NAME,
                glib::clone!(
                    #[weak]
                    dialog,
                    move |path| {
                        save_shown_key(&dialog, &path);
                    }
                ),
            );
        }
    ));
    // Side by side where there is room, stacked on a phone.
    let buttons = gtk::FlowBox::builder()
        .selection_mode(gtk::SelectionMode::None)
        .homogeneous(true)
        .max_children_per_line(2)
        .column_spacing(12)
        .row_spacing(12)
        .halign(gtk::Align::Center)
        .build();
    buttons.insert(&copy, -1);
    buttons.insert(&save, -1);
    let note = gtk::Label::builder()
        .wrap(true)
        .justify(gtk::Justification::Center)
        .css_classes(["caption"])
        .visible(false)
        .build();
    note.set_widget_name("recovery-key-note");
    let column = gtk::Box::new(gtk::Orientation::Vertical, 12);
    column.append(&label);
    column.append(&buttons);
    column.append(&note);
    dialog.set_extra_child(Some(&column));
    dialog.add_response("done", &gettext("I _Saved It"));
    dialog.set_response_appearance("done", adw::ResponseAppearance::Suggested);
    dialog.set_close_response("done");
    dialog.connect_destroy(glib::clone!(
        #[strong]
        copied,
        move |_| clear_copied_key(&copied)
    ));
    dialog.connect_response(None, move |dialog, _| {
        // Leave the key on no clipboard and in no widget once it is put away.
        clear_copied_key(&copied);
        if let Some(child) = dialog.extra_child() {
            dialog.set_extra_child(None::<&gtk::Widget>);
            drop(child);
        }
        on_done();
    });
    dialog.present();
    dialog
}

/// Finds the widget named `name` under `root`.
fn find_named(root: &gtk::Widget, name: &str) -> Option<gtk::Widget> {
    if root.widget_name() == name {
        return Some(root.clone());
    }
    let mut child = root.first_child();
    while let Some(widget) = child {
        if let Some(found) = find_named(&widget, name) {
            return Some(found);
        }
        child = widget.next_sibling();
    }
    None
}

/// Writes the key that `dialog` (from `show_recovery_key`) shows into `path`, readable by
/// its owner only, and says on the dialog whether that worked. What the Save to File
/// button runs once the person chose the file. False when it could not be written.
pub fn save_shown_key(dialog: &adw::MessageDialog, path: &std::path::Path) -> bool {
    let Some(column) = dialog.extra_child() else {
        return false;
    };
    let label = find_named(&column, "recovery-key").and_then(|w| w.downcast::<gtk::Label>().ok());
    let note =
        find_named(&column, "recovery-key-note").and_then(|w| w.downcast::<gtk::Label>().ok());
    let (Some(label), Some(note)) = (label, note) else {
        return false;
    };
    let key = label.label().replace('\n', " ");
    let (saved, text) = match write_private_file(path, &key) {
        Ok(()) => (
            true,
            gettext_f("Saved to {file}", &[("file", &shown_name(path))]),
        ),
        Err(err) => (
            false,
            gettext_f(
                "Could not save the key to {file}: {error}",
                &[("file", &shown_name(path)), ("error", &err.to_string())],
            ),
        ),
    };
    note.set_text(&text);
    note.set_visible(true);
    if saved {
        note.remove_css_class("error");
    } else {
        note.add_css_class("error");
    }
    saved
}

/// Asks for the recovery key (or passphrase) over `parent`. `problem` says what went wrong
/// with the last try. `on_key` gets what was typed.
pub fn ask_recovery_key(
    parent: &impl IsA<gtk::Window>,
    problem: Option<&str>,
    on_key: impl Fn(zeroize::Zeroizing<String>) + 'static,
) -> adw::MessageDialog {
    let body = problem.map_or_else(|| {
        gettext(
            "Enter the recovery key you saved when you turned on recovery, or your recovery passphrase. This session then becomes verified and can read your encrypted history.",
        )
    }, ToOwned::to_owned);
    let dialog = adw::MessageDialog::new(
        Some(parent),
        Some(&gettext("Enter Recovery Key")),
        Some(&body),
    );
    dialog.set_widget_name("enter-recovery-key-dialog");
    let entry = gtk::PasswordEntry::builder()
        .show_peek_icon(true)
        .activates_default(true)
        .placeholder_text(gettext("Recovery key or passphrase"))
        .css_classes(["monospace"])
        .build();
    dialog.set_extra_child(Some(&entry));
    dialog.add_responses(&[
        ("cancel", &gettext("_Cancel")),
        ("recover", &gettext("_Verify")),
    ]);
    dialog.set_response_appearance("recover", adw::ResponseAppearance::Suggested);
    dialog.set_default_response(Some("recover"));
    dialog.set_close_response("cancel");
    dialog.connect_response(None, move |_, response| {
        if response == "recover" {
            on_key(zeroize::Zeroizing::new(entry.text().to_string()));
        }
    });
    dialog.present();
    dialog
}
