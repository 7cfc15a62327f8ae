//! Signing out from the main window: the warning first (this device's keys go; on the
//! last session without recovery, the encrypted history with them), then the sign-out.

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::glib;

use super::Window;
use crate::engine::ids::UserId;
use crate::i18n::{gettext, gettext_f};
use crate::ui::bridge::run_for;
use crate::ui::error_text::describe;

impl Window {
    /// Asks before signing out: this device's keys go, and with them any message that no
    /// other device or backup can decrypt. When this is the account's last session and
    /// recovery is off, the warning says the encrypted history will be lost and offers to
    /// set up recovery first.
    pub(super) fn confirm_sign_out(&self) {
        let Some(session) = self.session() else {
            return;
        };
        let checking = session.clone();
        run_for(
            self,
            async move {
                crate::engine::trust::recovery::is_last_session_without_recovery(&checking).await
            },
            move |window, last| {
                // When the server cannot say, the ordinary warning still names the risk.
                let last = last.unwrap_or_else(|err| {
                    tracing::warn!("could not check for other sessions: {err}");
                    false
                });
                window.present_sign_out_dialog(&session.user_id(), last);
            },
        );
    }

    /// The sign-out confirmation; `last_without_recovery` makes it the strong warning.
    fn present_sign_out_dialog(&self, user_id: &UserId, last_without_recovery: bool) {
        if !last_without_recovery {
            let dialog = crate::ui::dialogs::confirm_destructive(
                self,
                &gettext("Sign Out?"),
                &gettext_f(
                    "{user} will be signed out on this device, and its keys, messages and drafts deleted from it. Encrypted messages that no other device or key backup can decrypt will be lost.",
                    &[("user", user_id.as_str())],
                ),
                &gettext("_Sign Out"),
                glib::clone!(
                    #[weak(rename_to = window)]
                    self,
                    move || window.sign_out()
                ),
            );
            dialog.set_widget_name("sign-out-dialog");
            return;
        }
        let dialog = adw::MessageDialog::new(
            Some(self),
            Some(&gettext("You Will Lose Your Encrypted Messages")),
            Some(&gettext_f(
                "This is the only session of {user} and recovery is off. If you sign out now, nobody can ever read your encrypted messages again, not even you. Set up recovery first to keep them.",
                &[("user", user_id.as_str())],
            )),
        );
        dialog.add_responses(&[
            ("cancel", &gettext("_Cancel")),
            ("confirm", &gettext("_Sign Out Anyway")),
            ("recovery", &gettext("Set Up _Recovery")),
        ]);
        dialog.set_response_appearance("confirm", adw::ResponseAppearance::Destructive);
        dialog.set_response_appearance("recovery", adw::ResponseAppearance::Suggested);
        dialog.set_default_response(Some("recovery"));
        dialog.set_widget_name("sign-out-dialog");
        dialog.set_close_response("cancel");
        dialog.connect_response(
            None,
            glib::clone!(
                #[weak(rename_to = window)]
                self,
                move |_, response| match response {
                    "confirm" => window.sign_out(),
                    "recovery" => {
                        if let Some(settings) = window.open_account_settings() {
                            settings.set_visible_page_name("recovery");
                        }
                    }
                    _ => {}
                }
            ),
        );
        dialog.present();
    }

    /// Signs the account shown now out, then shows the next account or the greeter.
    pub fn sign_out(&self) {
        let (Some(accounts), Some(active)) = (self.accounts(), self.imp().active.take()) else {
            return;
        };
        let session = active.session.clone();
        active.stop();
        self.leave_account_rooms();
        self.imp().main_stack.set_visible_child_name("loading");
        run_for(
            self,
            async move { accounts.sign_out(session).await },
            |window, result| {
                if let Err(err) = result {
                    window.toast(&describe(&err));
                }
                window.start_accounts();
            },
        );
    }
}
