//! The account settings' recovery page: the recovery state and what can be done in it
//! (turn recovery on, change the key, enter it, turn it off), and resetting the identity
//! when the recovery key is lost.

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::glib;

use super::AccountSettings;
use crate::engine::EngineError;
use crate::engine::trust::cross_signing::SessionVerification;
use crate::engine::trust::recovery::{self, RecoveryStatus};
use crate::i18n::gettext;
use crate::ui::bridge::{run_for, run_or_toast};
use crate::ui::dialogs::{ask_password, inform};
use crate::ui::error_text::describe;
use crate::ui::trust::recovery_key::{ask_recovery_key, show_recovery_key};

impl AccountSettings {
    pub(super) fn show_recovery(&self, state: RecoveryStatus) {
        self.imp().recovery.replace(Some(state));
        let w = self.imp();
        w.recovery_row.set_subtitle(&match state {
            RecoveryStatus::Unknown => gettext("Checking…"),
            RecoveryStatus::On => gettext("On: your keys are backed up"),
            RecoveryStatus::Incomplete => gettext(
                "Set up, but this session does not have the keys yet: enter your recovery key",
            ),
            RecoveryStatus::Off => gettext("Off"),
        });
        self.show_recovery_rows();
    }

    pub(super) fn show_recovery_rows(&self) {
        let state = self
            .imp()
            .recovery
            .borrow()
            .unwrap_or(RecoveryStatus::Unknown);
        let unverified = *self.imp().verification.borrow() == Some(SessionVerification::Unverified);
        let w = self.imp();
        w.reminder_row.set_visible(state == RecoveryStatus::Off);
        w.enable_row.set_visible(state == RecoveryStatus::Off);
        w.change_row.set_visible(state == RecoveryStatus::On);
        w.enter_row.set_visible(state == RecoveryStatus::Incomplete);
        w.disable_row.set_visible(matches!(
            state,
            RecoveryStatus::On | RecoveryStatus::Incomplete
        ));
        w.reset_group
            .set_visible(state == RecoveryStatus::Incomplete || unverified);
    }

    /// The recovery state shown.
    pub fn recovery_status(&self) -> Option<RecoveryStatus> {
        *self.imp().recovery.borrow()
    }

    /// The recovery state's text.
    pub fn recovery_text(&self) -> String {
        self.imp()
            .recovery_row
            .subtitle()
            .map(|s| s.to_string())
            .unwrap_or_default()
    }

    /// True while the reminder to turn on recovery shows.
    pub fn shows_recovery_reminder(&self) -> bool {
        self.imp().reminder_row.is_visible()
    }

    pub(super) fn enter_recovery_key(&self, problem: Option<String>) {
        let weak = self.downgrade();
        ask_recovery_key(self, problem.as_deref(), move |key| {
            let Some(window) = weak.upgrade() else {
                return;
            };
            if key.trim().is_empty() {
                window.enter_recovery_key(Some(gettext("Enter your recovery key or passphrase.")));
                return;
            }
            let session = window.session();
            let recovering = async move { recovery::recover(&session, &key).await };
            run_for(&window, recovering, |window, result| match result {
                Ok(()) => {
                    window.toast(&gettext("This session is verified"));
                    window.refresh_identity();
                    window.reload_devices();
                }
                Err(err @ EngineError::WrongRecoveryKey) => {
                    window.enter_recovery_key(Some(describe(&err)));
                }
                Err(err) => window.toast(&describe(&err)),
            });
        });
    }

    fn show_new_key<Fut>(&self, making: Fut)
    where
        Fut: std::future::Future<Output = crate::engine::Result<recovery::RecoveryKey>>
            + Send
            + 'static,
    {
        run_or_toast(self, making, |window, key| {
            show_recovery_key(window, key, || {});
        });
    }

    pub(super) fn enable_recovery(&self) {
        let session = self.session();
        self.toast(&gettext("Turning on recovery…"));
        self.show_new_key(async move { recovery::enable_recovery(&session, None).await });
    }

    pub(super) fn change_recovery_key(&self) {
        let session = self.session();
        self.show_new_key(async move { recovery::reset_recovery_key(&session, None).await });
    }

    pub(super) fn confirm_disable_recovery(&self) {
        crate::ui::dialogs::confirm_destructive(
            self,
            &gettext("Turn Off Recovery?"),
            &gettext(
                "The key backup is deleted from the homeserver. If you then lose all your sessions, your encrypted messages cannot be read anymore.",
            ),
            &gettext("_Turn Off"),
            glib::clone!(
                #[weak(rename_to = window)]
                self,
                move || {
                    let session = window.session();
                    run_or_toast(
                        &window,
                        async move { recovery::disable_recovery(&session).await },
                        |window, ()| window.toast(&gettext("Recovery is off")),
                    );
                }
            ),
        );
    }

    pub(super) fn confirm_reset_identity(&self) {
        crate::ui::dialogs::confirm_destructive(
            self,
            &gettext("Reset Your Identity?"),
            &gettext(
                "Only do this if you lost your recovery key and have no other verified session. Your encrypted history becomes unreadable, everyone you verified must verify you again, and the people you talk to are warned that your identity changed.",
            ),
            &gettext("_Reset Identity"),
            glib::clone!(
                #[weak(rename_to = window)]
                self,
                move || window.reset_identity(None)
            ),
        );
    }

    fn reset_identity(&self, problem: Option<String>) {
        let body = problem
            .unwrap_or_else(|| gettext("Enter your account password to reset your identity."));
        let weak = self.downgrade();
        ask_password(
            self,
            &gettext("Reset Your Identity"),
            &body,
            &gettext("_Reset Identity"),
            true,
            move |password| {
                let Some(window) = weak.upgrade() else {
                    return;
                };
                let session = window.session();
                let resetting = async move {
                    recovery::reset_identity(&session, Some(password.as_str())).await
                };
                run_for(&window, resetting, |window, result| match result {
                    Ok(()) => {
                        inform(
                            window,
                            &gettext("Identity Reset"),
                            &gettext(
                                "This session is verified with your new identity. Turn on recovery again so you do not get locked out.",
                            ),
                        );
                        window.refresh_identity();
                        window.reload_devices();
                    }
                    Err(err @ (EngineError::WrongPassword | EngineError::PasswordNeeded)) => {
                        window.reset_identity(Some(describe(&err)));
                    }
                    Err(err) => window.toast(&describe(&err)),
                });
            },
        );
    }
}
