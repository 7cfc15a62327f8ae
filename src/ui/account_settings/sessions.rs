//! The account settings' sessions page: this session (its name, its ID, verifying it) and
//! the account's other sessions, listed as the engine gives them, to verify or sign out.

use std::sync::Arc;
use std::time::UNIX_EPOCH;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::glib;

use super::AccountSettings;
use crate::engine::EngineError;
use crate::engine::trust::cross_signing::{self, SessionVerification};
use crate::engine::trust::devices::{self, DeviceInfo};
use crate::engine::trust::verification::Verifications;
use crate::i18n::{gettext, gettext_f};
use crate::ui::bridge::{run_for, run_or_toast};
use crate::ui::dialogs::ask_password;
use crate::ui::error_text::describe;
use crate::ui::trust::verification::VerificationDialog;
use crate::ui::widgets::{icon_button, labelled_image};

/// "Last seen" as the person reads it, in local time.
fn last_seen_text(device: &DeviceInfo) -> Option<String> {
    let when = device.last_seen?.duration_since(UNIX_EPOCH).ok()?;
    let time = glib::DateTime::from_unix_local(i64::try_from(when.as_secs()).ok()?)
        .ok()?
        .format("%x %R")
        .ok()?
        .to_string();
    Some(match &device.last_seen_ip {
        Some(ip) => gettext_f(
            "Last seen {time} from {address}",
            &[("time", &time), ("address", ip)],
        ),
        None => gettext_f("Last seen {time}", &[("time", &time)]),
    })
}

fn device_name(device: &DeviceInfo) -> String {
    device
        .display_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| gettext("Unnamed session"))
}

impl AccountSettings {
    /// Connects the session name field and shows this session's ID.
    pub(super) fn build_sessions_page(&self) {
        let imp = self.imp();
        imp.name_row.connect_apply(glib::clone!(
            #[weak(rename_to = window)]
            self,
            move |row| window.rename(row.text().to_string())
        ));
        let device_id = self.session().device_id();
        if !device_id.is_empty() {
            imp.this_row.set_subtitle(&device_id);
        }
    }

    /// Asks the server again whether the account has an identity, then shows or hides the
    /// "Verify This Session" group.
    pub(super) fn refresh_identity(&self) {
        let session = self.session();
        run_or_toast(
            self,
            async move { cross_signing::has_cross_signing_identity(&session).await },
            |window, has| {
                window.imp().has_identity.replace(Some(has));
                window.show_verification();
            },
        );
    }

    fn show_verification(&self) {
        let unverified = *self.imp().verification.borrow() == Some(SessionVerification::Unverified);
        let has_identity = *self.imp().has_identity.borrow() == Some(true);
        let w = self.imp();
        w.verify_group.set_visible(unverified && has_identity);
        w.this_row.set_title(&if unverified {
            gettext("Session ID · Not verified")
        } else {
            gettext("Session ID")
        });
        self.show_recovery_rows();
    }

    /// Fetches the account's sessions again and lists them.
    pub fn reload_devices(&self) {
        let session = self.session();
        run_or_toast(
            self,
            async move { devices::own_devices(&session).await },
            Self::show_devices,
        );
    }

    fn show_devices(&self, list: Vec<DeviceInfo>) {
        let w = self.imp();
        for row in self.imp().device_rows.take() {
            w.others_group.remove(&row);
        }
        let mut rows = Vec::new();
        for device in &list {
            if device.is_this_session {
                if !w.name_row.has_focus() {
                    w.name_row
                        .set_text(device.display_name.as_deref().unwrap_or_default());
                }
                continue;
            }
            let subtitle = match last_seen_text(device) {
                Some(seen) => format!("{} · {seen}", device.device_id),
                None => device.device_id.clone(),
            };
            let row = crate::ui::widgets::plain_row(&device_name(device), &subtitle);
            row.set_subtitle_lines(3);
            row.set_widget_name(&device.device_id);
            let (icon, label) = if device.is_verified {
                ("security-high-symbolic", gettext("Verified"))
            } else {
                ("security-low-symbolic", gettext("Not verified"))
            };
            let badge = labelled_image(icon, &label);
            if !device.is_verified {
                badge.add_css_class("warning");
            }
            row.add_prefix(&badge);
            if !device.is_verified {
                row.add_suffix(&device_button(
                    "emblem-ok-symbolic",
                    &gettext_f("Verify {session}", &[("session", &device_name(device))]),
                    "settings.verify-device",
                    &device.device_id,
                ));
            }
            row.add_suffix(&device_button(
                "system-log-out-symbolic",
                &gettext_f("Sign Out {session}", &[("session", &device_name(device))]),
                "settings.sign-out-device",
                &device.device_id,
            ));
            w.others_group.add(&row);
            rows.push(row);
        }
        if rows.is_empty() {
            let row = adw::ActionRow::builder()
                .use_markup(false)
                .title(gettext("No other sessions"))
                .build();
            w.others_group.add(&row);
            rows.push(row);
        }
        self.imp().device_rows.replace(rows);
        self.imp().devices.replace(list);
    }

    /// The sessions listed, this one first, as the engine gave them.
    pub fn devices(&self) -> Vec<DeviceInfo> {
        self.imp().devices.borrow().clone()
    }

    /// The rows of the other sessions: (device ID, title, subtitle).
    pub fn other_session_rows(&self) -> Vec<(String, String, String)> {
        self.imp()
            .device_rows
            .borrow()
            .iter()
            .map(|row| {
                (
                    row.widget_name().to_string(),
                    row.title().to_string(),
                    row.subtitle().map(|s| s.to_string()).unwrap_or_default(),
                )
            })
            .collect()
    }

    /// The name field of this session.
    pub fn name_row(&self) -> adw::EntryRow {
        self.imp().name_row.get()
    }

    /// True while "Verify This Session" shows.
    pub fn offers_verify_this_session(&self) -> bool {
        self.imp().verify_group.is_visible()
    }

    pub(super) fn rename(&self, name: String) {
        if name.trim().is_empty() {
            self.toast(&gettext("Enter a name for this session."));
            return;
        }
        let session = self.session();
        run_or_toast(
            self,
            async move { devices::rename_this_session(&session, &name).await },
            |window, ()| {
                window.toast(&gettext("Session renamed"));
                window.reload_devices();
            },
        );
    }

    fn verifications(&self) -> Option<Arc<Verifications>> {
        let found = self.imp().verifications.get().cloned().flatten();
        if found.is_none() {
            self.toast(&gettext(
                "Sotto is still connecting. Try again in a moment.",
            ));
        }
        found
    }

    fn start_verification<F, Fut>(&self, start: F)
    where
        F: FnOnce(Arc<Verifications>) -> Fut,
        Fut: std::future::Future<
                Output = crate::engine::Result<
                    crate::engine::trust::verification::VerificationFlow,
                >,
            > + Send
            + 'static,
    {
        let Some(verifications) = self.verifications() else {
            return;
        };
        run_or_toast(self, start(verifications), |window, flow| {
            let dialog = VerificationDialog::present_flow(Some(window.upcast_ref()), flow);
            dialog.connect_destroy(glib::clone!(
                #[weak]
                window,
                move |_| window.reload_devices()
            ));
        });
    }

    pub(super) fn verify_device(&self, device_id: String) {
        self.start_verification(move |v| async move { v.verify_own_device(&device_id).await });
    }

    pub(super) fn verify_this_session(&self) {
        self.start_verification(|v| async move { v.verify_this_session().await });
    }

    pub(super) fn sign_out_device(&self, device_id: String, problem: Option<String>) {
        let name = self
            .devices()
            .iter()
            .find(|d| d.device_id == device_id)
            .map_or_else(|| device_id.clone(), device_name);
        let body = problem.unwrap_or_else(|| {
            gettext_f(
                "{session} will be signed out and lose access to your messages. Enter your account password to confirm.",
                &[("session", &name)],
            )
        });
        let weak = self.downgrade();
        ask_password(
            self,
            &gettext("Sign Out Session?"),
            &body,
            &gettext("_Sign Out"),
            true,
            move |password| {
                let Some(window) = weak.upgrade() else {
                    return;
                };
                let session = window.session();
                let device = device_id.clone();
                let id = device.clone();
                let signing_out = async move {
                    devices::sign_out_session(&session, &id, Some(password.as_str())).await
                };
                run_for(&window, signing_out, move |window, result| match result {
                    Ok(()) => {
                        window.toast(&gettext("Session signed out"));
                        window.reload_devices();
                    }
                    Err(err @ (EngineError::WrongPassword | EngineError::PasswordNeeded)) => {
                        window.sign_out_device(device, Some(describe(&err)));
                    }
                    Err(err) => window.toast(&describe(&err)),
                });
            },
        );
    }
}

/// A flat icon button on a session's row that runs `action` for `device_id`; `label` is
/// its tooltip and accessible name.
fn device_button(icon: &str, label: &str, action: &str, device_id: &str) -> gtk::Button {
    let button = icon_button(icon, label);
    button.set_action_name(Some(action));
    button.set_action_target_value(Some(&device_id.to_variant()));
    button.set_valign(gtk::Align::Center);
    button.add_css_class("flat");
    button.add_css_class("touch-target");
    button
}
