//! The trust side of the main window: the account settings, the emoji verifications that
//! arrive for the account shown, and the set-up after a new sign-in.

use std::ops::ControlFlow;
use std::sync::Arc;

use adw::subclass::prelude::*;
use gtk::glib;
use gtk::prelude::*;

use super::Window;
use crate::engine::ids::UserId;
use crate::engine::session::Session;
use crate::engine::trust::missed::MissedRequest;
use crate::engine::trust::verification::Verifications;
use crate::i18n::gettext_f;
use crate::ui::account_settings::AccountSettings;
use crate::ui::bridge::{forward_stream, runtime};
use crate::ui::trust::verification::{VerificationDialog, verify_person};

/// Starts listening for verification requests to `session`; each opens the emoji dialog
/// over `window`, and one that could not be answered is told in a toast. A new session of
/// the account is announced over `window`. The tasks end when they are aborted or the
/// window goes.
pub(super) fn listen(
    window: &Window,
    session: &Session,
) -> (Arc<Verifications>, [glib::JoinHandle<()>; 3]) {
    let verifications = {
        // Verifications spawns its receiver on tokio.
        let _tokio = runtime().enter();
        Arc::new(Verifications::new(session))
    };
    let weak = window.downgrade();
    let task = forward_stream(verifications.incoming(), move |flow| {
        let Some(window) = weak.upgrade() else {
            return ControlFlow::Break(());
        };
        let parent = visible_dialog_parent(&window);
        VerificationDialog::present_flow(Some(&parent), flow);
        ControlFlow::Continue(())
    });
    let weak = window.downgrade();
    let missed = forward_stream(verifications.missed(), move |missed| {
        let Some(window) = weak.upgrade() else {
            return ControlFlow::Break(());
        };
        window.toast(&missed_text(&missed));
        ControlFlow::Continue(())
    });
    let announcer = announce_new_sessions(window, session);
    (verifications, [task, missed, announcer])
}

/// Tells of each new, unsigned session of the account, over whatever is open.
fn announce_new_sessions(window: &Window, session: &Session) -> glib::JoinHandle<()> {
    let weak = window.downgrade();
    let session = session.clone();
    crate::ui::bridge::spawn_ui(async move {
        let stream = crate::ui::bridge::spawn_tokio(async move {
            crate::engine::trust::devices::new_own_sessions(&session).await
        })
        .await;
        let stream = match stream {
            Ok(stream) => stream,
            Err(err) => {
                tracing::warn!("cannot follow the account's new sessions: {err}");
                return;
            }
        };
        let follower = forward_stream(stream, move |new| {
            let Some(window) = weak.upgrade() else {
                return ControlFlow::Break(());
            };
            let parent = visible_dialog_parent(&window);
            let (for_verify, for_sign_out) = (window.downgrade(), window.downgrade());
            crate::ui::trust::new_session_alert::present(
                &parent,
                &new,
                move |device_id| {
                    if let Some(settings) =
                        for_verify.upgrade().and_then(|w| w.open_account_settings())
                    {
                        let _ = settings.activate_action(
                            "settings.verify-device",
                            Some(&device_id.to_variant()),
                        );
                    }
                },
                move |device_id| {
                    if let Some(settings) = for_sign_out
                        .upgrade()
                        .and_then(|w| w.open_account_settings())
                    {
                        let _ = settings.activate_action(
                            "settings.sign-out-device",
                            Some(&device_id.to_variant()),
                        );
                    }
                },
            );
            ControlFlow::Continue(())
        });
        // Aborting this task drops its future, and the guard stops the follower with it.
        struct AbortOnDrop(glib::JoinHandle<()>);
        impl Drop for AbortOnDrop {
            fn drop(&mut self) {
                self.0.abort();
            }
        }
        let guard = AbortOnDrop(follower);
        std::future::pending::<()>().await;
        drop(guard);
    })
}

/// What to tell of a request that came before this session knew the one that sent it.
fn missed_text(missed: &MissedRequest) -> String {
    if missed.from_own_account {
        gettext_f(
            "Another session of yours ({device}) asked to verify this one before Sotto knew of it. Ask again from there.",
            &[("device", &missed.device_id)],
        )
    } else {
        gettext_f(
            "{user} asked to verify you before Sotto knew of their session. Ask them to try again.",
            &[("user", missed.user_id.as_str())],
        )
    }
}

/// The window to put a new dialog over: the account settings when they are open.
fn visible_dialog_parent(window: &Window) -> gtk::Window {
    gtk::Window::list_toplevels()
        .into_iter()
        .filter_map(|w| w.downcast::<AccountSettings>().ok())
        .find(|s| s.is_visible() && s.transient_for().as_ref() == Some(window.upcast_ref()))
        .map_or_else(|| window.clone().upcast(), |s| s.upcast())
}

impl Window {
    /// The verifications of the account shown, once its sync started.
    pub fn verifications(&self) -> Option<Arc<Verifications>> {
        self.imp()
            .active
            .borrow()
            .as_ref()
            .and_then(|a| a.verifications.clone())
    }

    /// Asks `user_id` to verify (emoji in the direct chat with them); a failure shows as a
    /// toast.
    pub fn verify_user(&self, user_id: &UserId) {
        let weak = self.downgrade();
        verify_person(
            self.upcast_ref(),
            None,
            self.verifications(),
            user_id.to_owned(),
            move |text| {
                if let Some(window) = weak.upgrade() {
                    window.toast(text);
                }
            },
        );
    }

    /// Opens the account settings of the account shown.
    pub fn open_account_settings(&self) -> Option<AccountSettings> {
        let session = self.session()?;
        let settings = AccountSettings::new(Some(self.upcast_ref()), session, self.verifications());
        if let Some(accounts) = self.accounts() {
            settings.set_accounts(accounts);
        }
        // "Encrypt only for verified devices" is fixed when the client is built: a change
        // opens the account again once the settings close.
        settings.connect_hide(glib::clone!(
            #[weak(rename_to = window)]
            self,
            move |settings| {
                if settings.take_key_sharing_changed() {
                    window.reopen_session();
                }
            }
        ));
        settings.present();
        Some(settings)
    }

    /// After a new sign-in: sets up cross-signing and offers recovery or verification.
    pub(super) fn after_new_sign_in(&self, session: Session, password: zeroize::Zeroizing<String>) {
        let weak = self.downgrade();
        crate::ui::trust::first_sign_in::run(self, session, password, move || {
            if let Some(window) = weak.upgrade() {
                window.open_account_settings();
            }
        });
    }
}
