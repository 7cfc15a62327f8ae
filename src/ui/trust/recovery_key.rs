//! The recovery key on screen: shown once after it is made (large, monospace, with Copy),
//! and asked for when this session recovers with it.

use adw::prelude::*;
use gtk::glib;

use crate::engine::trust::recovery::RecoveryKey;
use crate::i18n::gettext;

/// The key in lines of four groups, so it reads (and copies by eye) in chunks.
fn grouped(key: &str) -> String {
    let groups: Vec<&str> = key.split_whitespace().collect();
    groups
        .chunks(4)
        .map(|line| line.join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Shows `key` once over `parent`. Nothing keeps it after the dialog closes; `on_done`
/// runs then.
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
        .halign(gtk::Align::Center)
        .css_classes(["pill", "touch-target"])
        .build();
    copy.connect_clicked(glib::clone!(
        #[weak]
        label,
        move |button| {
            let text = label.label().replace('\n', " ");
            button.clipboard().set_text(&text);
            button.set_label(&gettext("Copied"));
        }
    ));
    let column = gtk::Box::new(gtk::Orientation::Vertical, 12);
    column.append(&label);
    column.append(&copy);
    dialog.set_extra_child(Some(&column));
    dialog.add_response("done", &gettext("I _Saved It"));
    dialog.set_response_appearance("done", adw::ResponseAppearance::Suggested);
    dialog.set_close_response("done");
    dialog.connect_response(None, move |dialog, _| {
        // Leave the key in no widget once it is put away.
        if let Some(child) = dialog.extra_child() {
            dialog.set_extra_child(None::<&gtk::Widget>);
            drop(child);
        }
        on_done();
    });
    dialog.present();
    dialog
}

/// Asks for the recovery key (or passphrase) over `parent`. `problem` says what went wrong
/// with the last try. `on_key` gets what was typed.
pub fn ask_recovery_key(
    parent: &impl IsA<gtk::Window>,
    problem: Option<&str>,
    on_key: impl Fn(String) + 'static,
) -> adw::MessageDialog {
    let body = problem.map(ToOwned::to_owned).unwrap_or_else(|| {
        gettext(
            "Enter the recovery key you saved when you turned on recovery, or your recovery passphrase. This session then becomes verified and can read your encrypted history.",
        )
    });
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
            on_key(entry.text().to_string());
        }
    });
    dialog.present();
    dialog
}
