//! The generic message dialogs every screen uses: ask for the account password, confirm
//! something that cannot be undone, and tell something with a single Close button.

use adw::prelude::*;

use crate::i18n::gettext;

/// Asks for the account password in a dialog over `parent`, with `body` saying why (and,
/// after a wrong try, what went wrong). `on_password` gets the typed password when the
/// person confirms with `confirm_label`.
pub fn ask_password(
    parent: &impl IsA<gtk::Window>,
    heading: &str,
    body: &str,
    confirm_label: &str,
    destructive: bool,
    on_password: impl Fn(zeroize::Zeroizing<String>) + 'static,
) -> adw::MessageDialog {
    let dialog = adw::MessageDialog::new(Some(parent), Some(heading), Some(body));
    dialog.set_widget_name("password-dialog");
    let entry = gtk::PasswordEntry::builder()
        .show_peek_icon(true)
        .activates_default(true)
        .placeholder_text(gettext("Account password"))
        .build();
    dialog.set_extra_child(Some(&entry));
    dialog.add_responses(&[("cancel", &gettext("_Cancel")), ("confirm", confirm_label)]);
    dialog.set_response_appearance(
        "confirm",
        if destructive {
            adw::ResponseAppearance::Destructive
        } else {
            adw::ResponseAppearance::Suggested
        },
    );
    dialog.set_default_response(Some("confirm"));
    dialog.set_close_response("cancel");
    dialog.connect_response(None, move |_, response| {
        if response == "confirm" {
            on_password(zeroize::Zeroizing::new(entry.text().to_string()));
        }
    });
    dialog.present();
    dialog
}

/// Shows a message with a single Close button over `parent`.
pub fn inform(parent: &impl IsA<gtk::Window>, heading: &str, body: &str) -> adw::MessageDialog {
    let dialog = adw::MessageDialog::new(Some(parent), Some(heading), Some(body));
    dialog.add_response("close", &gettext("_Close"));
    dialog.present();
    dialog
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
    let cancel = gettext("_Cancel");
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
