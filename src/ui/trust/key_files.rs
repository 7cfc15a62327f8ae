//! Files the person chooses for their keys: the room key export (asked for a passphrase,
//! twice when it is new) and the recovery key saved to a file. The file choosers
//! (`ui::file_choosers`) go through the portal when there is one; nothing is written
//! anywhere but the file the person picked.

use std::rc::Rc;

use adw::prelude::*;
use gtk::{gio, glib};

use crate::i18n::gettext;

/// The name a room key export gets by default.
pub const EXPORT_FILE_NAME: &str = "sotto-room-keys.txt";

/// A passphrase dialog over `parent`: one entry, or two that must match when `confirm`
/// (a new passphrase). `problem` says what was wrong with the last try. `on_passphrase`
/// gets it when the person continues with `accept_label`; a mismatch or an empty
/// passphrase keeps the dialog open with a message.
pub fn ask_passphrase(
    parent: &impl IsA<gtk::Window>,
    heading: &str,
    body: &str,
    accept_label: &str,
    confirm: bool,
    problem: Option<&str>,
    on_passphrase: impl Fn(zeroize::Zeroizing<String>) + 'static,
) -> adw::MessageDialog {
    let dialog = adw::MessageDialog::new(Some(parent), Some(heading), Some(body));
    dialog.set_widget_name("passphrase-dialog");
    let first = gtk::PasswordEntry::builder()
        .show_peek_icon(true)
        .activates_default(true)
        .placeholder_text(gettext("Passphrase"))
        .build();
    first.set_widget_name("passphrase");
    let second = gtk::PasswordEntry::builder()
        .show_peek_icon(true)
        .activates_default(true)
        .placeholder_text(gettext("Repeat the passphrase"))
        .visible(confirm)
        .build();
    second.set_widget_name("passphrase-again");
    let error = gtk::Label::builder()
        .wrap(true)
        .xalign(0.0)
        .css_classes(["error"])
        .build();
    error.set_widget_name("passphrase-error");
    error.set_visible(problem.is_some());
    error.set_text(problem.unwrap_or_default());
    let column = gtk::Box::new(gtk::Orientation::Vertical, 8);
    column.append(&first);
    column.append(&second);
    column.append(&error);
    dialog.set_extra_child(Some(&column));
    dialog.add_responses(&[("cancel", &gettext("_Cancel")), ("accept", accept_label)]);
    dialog.set_response_appearance("accept", adw::ResponseAppearance::Suggested);
    dialog.set_default_response(Some("accept"));
    dialog.set_close_response("cancel");
    dialog.set_response_enabled("accept", false);
    // Continue works once the passphrase is there (twice the same when it is new); a
    // mismatch says so while typing.
    let check = glib::clone!(
        #[weak]
        dialog,
        #[weak]
        first,
        #[weak]
        second,
        #[weak]
        error,
        move || {
            let mismatch = confirm && !second.text().is_empty() && second.text() != first.text();
            if mismatch {
                error.set_text(&gettext(
                    "The passphrases do not match. Type the same one twice.",
                ));
            }
            error.set_visible(mismatch);
            let ready = !first.text().is_empty() && (!confirm || second.text() == first.text());
            dialog.set_response_enabled("accept", ready);
        }
    );
    let on_change = Rc::new(check);
    for entry in [&first, &second] {
        let on_change = on_change.clone();
        entry.connect_changed(move |_| on_change());
    }
    dialog.connect_response(None, move |_, response| {
        let passphrase = zeroize::Zeroizing::new(first.text().to_string());
        let matches = !confirm || second.text() == first.text();
        if response == "accept" && !passphrase.is_empty() && matches {
            on_passphrase(passphrase);
        }
    });
    dialog.present();
    dialog
}

/// Writes `text` (a recovery key) into `path`, readable by its owner only (also when it
/// replaces a file others could read). Nothing else is written and nothing is logged
/// about its content.
pub fn write_private_file(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let content = zeroize::Zeroizing::new(format!("{text}\n"));
    crate::engine::paths::write_private_file(path, content.as_bytes())
}

/// The file's name to show in a message (not the whole path).
pub fn shown_name(path: &std::path::Path) -> String {
    gio::File::for_path(path)
        .basename()
        .map_or_else(|| path.display().to_string(), |n| n.display().to_string())
}
