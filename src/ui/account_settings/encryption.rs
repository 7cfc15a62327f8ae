//! The account settings' room keys and encryption groups (on the recovery page): export
//! the room keys to a file or import them from one, and the "encrypt only for verified
//! devices" setting, stored per account and applied when the account opens again.

use std::path::PathBuf;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::glib;
use zeroize::Zeroizing;

use super::AccountSettings;
use crate::engine::EngineError;
use crate::engine::accounts::Accounts;
use crate::engine::session::KeySharing;
use crate::engine::trust::recovery;
use crate::i18n::{gettext, gettext_f, ngettext};
use crate::ui::bridge::run_for;
use crate::ui::error_text::describe;
use crate::ui::file_choosers::{choose_open_path, choose_save_path};
use crate::ui::trust::key_files::{self, EXPORT_FILE_NAME, ask_passphrase};

impl AccountSettings {
    /// Shows the session's "encrypt only for verified devices" setting and follows the
    /// switch.
    pub(super) fn build_encryption_group(&self) {
        let switch = &self.imp().verified_only;
        switch.set_active(self.session().key_sharing() == KeySharing::VerifiedDevicesOnly);
        switch.connect_active_notify(glib::clone!(
            #[weak(rename_to = window)]
            self,
            move |switch| window.key_sharing_toggled(switch.is_active())
        ));
    }

    /// Lets the window keep the "encrypt only for verified devices" setting in `profile`
    /// (the switch works only then).
    pub fn set_accounts(&self, accounts: Accounts) {
        let user_id = self.session().user_id();
        let stored = accounts.account_key_sharing(&user_id);
        self.imp().accounts.replace(Some(accounts));
        let switch = &self.imp().verified_only;
        match stored {
            Ok(stored) => {
                // Shows what is stored (and applies once the account opens again).
                switch.set_active(stored == KeySharing::VerifiedDevicesOnly);
                switch.set_sensitive(true);
            }
            Err(err) => self.toast(&describe(&err)),
        }
        self.imp().key_sharing_changed.set(false);
    }

    /// The "encrypt only for verified devices" switch.
    pub fn verified_only_switch(&self) -> gtk::Switch {
        self.imp().verified_only.get()
    }

    /// True when the stored "encrypt only for verified devices" setting differs from the
    /// one the open session uses: the window opens the account again on close.
    pub fn key_sharing_changed(&self) -> bool {
        self.imp().key_sharing_changed.get()
    }

    /// Like `key_sharing_changed`, and forgets it (the change is being applied).
    pub fn take_key_sharing_changed(&self) -> bool {
        self.imp().key_sharing_changed.replace(false)
    }

    pub(super) fn key_sharing_toggled(&self, on: bool) {
        let Some(accounts) = self.imp().accounts.borrow().clone() else {
            return;
        };
        let wanted = if on {
            KeySharing::VerifiedDevicesOnly
        } else {
            KeySharing::VouchedDevices
        };
        let session = self.session();
        if let Err(err) = accounts.set_account_key_sharing(&session.user_id(), wanted) {
            self.toast(&describe(&err));
            return;
        }
        let changed = wanted != session.key_sharing();
        let was_changed = self.imp().key_sharing_changed.replace(changed);
        if changed && !was_changed {
            self.toast(&gettext(
                "Sotto opens your account again to apply this when you close the settings.",
            ));
        }
    }

    /// The last message about a room key export or import.
    pub fn key_file_message(&self) -> String {
        self.imp().key_message.borrow().clone()
    }

    /// True while a room key export or import runs.
    pub fn key_file_busy(&self) -> bool {
        self.imp().keys_spinner.is_visible()
    }

    fn key_file_running(&self, running: bool, text: &str) {
        let w = self.imp();
        w.keys_spinner.set_visible(running);
        w.keys_spinner.set_spinning(running);
        w.export_row.set_sensitive(!running);
        w.import_row.set_sensitive(!running);
        // A group's description is markup; the running text may name a file.
        w.keys_group.set_description(Some(&if running {
            gtk::glib::markup_escape_text(text).to_string()
        } else {
            gettext(
                "Save the keys of your encrypted messages in a file locked with a passphrase, or read such a file into this session.",
            )
        }));
    }

    fn key_file_done(&self, text: String) {
        self.key_file_running(false, "");
        self.toast(&text);
        self.imp().key_message.replace(text);
    }

    /// Asks for a new passphrase (twice), then where to save the export. A weak passphrase
    /// asks again, saying why.
    pub(super) fn export_keys(&self, problem: Option<String>) {
        let weak = self.downgrade();
        ask_passphrase(
            self,
            &gettext("Export Room Keys"),
            &gettext(
                "Choose a passphrase for the file. Anyone with the file and the passphrase can read your encrypted messages, so keep both safe.",
            ),
            &gettext("_Continue"),
            true,
            problem.as_deref(),
            move |passphrase| {
                let Some(window) = weak.upgrade() else {
                    return;
                };
                if let Err(err) = recovery::check_export_passphrase(&passphrase) {
                    window.export_keys(Some(describe(&err)));
                    return;
                }
                let weak = window.downgrade();
                let chooser = choose_save_path(
                    &window,
                    &gettext("Export Room Keys"),
                    EXPORT_FILE_NAME,
                    move |path| {
                        if let Some(window) = weak.upgrade() {
                            window.export_keys_to(path, passphrase.to_string());
                        }
                    },
                );
                window.keep_chooser(chooser);
            },
        );
    }

    /// Writes every room key of the session into `path`, locked with `passphrase`, with
    /// the progress and the outcome on the page (what the Export button runs once the
    /// person chose the file).
    pub fn export_keys_to(&self, path: PathBuf, passphrase: String) {
        let passphrase = Zeroizing::new(passphrase);
        self.key_file_running(true, &gettext("Exporting room keys…"));
        let session = self.session();
        let file = key_files::shown_name(&path);
        run_for(
            self,
            async move { recovery::export_room_keys(&session, path, &passphrase).await },
            move |window, result| {
                window.key_file_done(match result {
                    Ok(()) => gettext_f("Room keys saved to {file}", &[("file", &file)]),
                    Err(err) => describe(&err),
                });
            },
        );
    }

    /// Asks for the file, then its passphrase.
    pub(super) fn import_keys(&self) {
        let weak = self.downgrade();
        let chooser = choose_open_path(self, &gettext("Import Room Keys"), move |path| {
            if let Some(window) = weak.upgrade() {
                window.ask_import_passphrase(path, None);
            }
        });
        self.keep_chooser(chooser);
    }

    fn ask_import_passphrase(&self, path: PathBuf, problem: Option<String>) {
        let weak = self.downgrade();
        ask_passphrase(
            self,
            &gettext("Import Room Keys"),
            &gettext_f(
                "Enter the passphrase of {file}.",
                &[("file", &key_files::shown_name(&path))],
            ),
            &gettext("_Import"),
            false,
            problem.as_deref(),
            move |passphrase| {
                if let Some(window) = weak.upgrade() {
                    window.import_keys_from(path.clone(), passphrase.to_string());
                }
            },
        );
    }

    /// Reads the room keys in `path` with `passphrase`, with the progress and the outcome
    /// on the page. A wrong passphrase asks again, saying so.
    pub fn import_keys_from(&self, path: PathBuf, passphrase: String) {
        let passphrase = Zeroizing::new(passphrase);
        self.key_file_running(true, &gettext("Importing room keys…"));
        let session = self.session();
        let file = path.clone();
        let importing =
            async move { recovery::import_room_keys(&session, file, &passphrase).await };
        run_for(self, importing, move |window, result| match result {
            Ok(counts) => {
                let total = u32::try_from(counts.total).unwrap_or(u32::MAX);
                window.key_file_done(
                    ngettext(
                        "Imported {new} new of {total} room key",
                        "Imported {new} new of {total} room keys",
                        total,
                    )
                    .replace("{new}", &counts.imported.to_string())
                    .replace("{total}", &counts.total.to_string()),
                );
            }
            Err(err @ EngineError::WrongKeyFilePassphrase) => {
                let text = describe(&err);
                window.key_file_done(text.clone());
                window.ask_import_passphrase(path, Some(text));
            }
            Err(err) => window.key_file_done(describe(&err)),
        });
    }
}
