//! "A new session signed in to your account": told at once, over whatever is open, when
//! the account gains a session its identity did not sign. The server can make such a
//! session (it issues the tokens); it gets no messages until verified, and the person can
//! verify it or sign it out from here.

use std::time::UNIX_EPOCH;

use adw::prelude::*;
use gtk::glib;

use crate::engine::trust::devices::NewOwnSession;
use crate::i18n::{gettext, gettext_f};

/// The dialog's heading and body for `new`.
pub fn alert_text(new: &NewOwnSession) -> (String, String) {
    let session = match new.display_name.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => format!("“{name}” ({})", new.device_id),
        _ => new.device_id.clone(),
    };
    let time = new
        .first_seen
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .and_then(|secs| glib::DateTime::from_unix_local(secs).ok())
        .and_then(|t| t.format("%x %R").ok())
        .map(|t| t.to_string())
        .unwrap_or_default();
    (
        gettext("A New Session Signed In to Your Account"),
        gettext_f(
            "{session} signed in at {time}. It cannot read your messages until you verify it. If it was not you, sign it out and change your password.",
            &[("session", &session), ("time", &time)],
        ),
    )
}

/// Shows the alert over `parent`. `verify` and `sign_out` run with the device ID when the
/// person chooses them.
pub fn present(
    parent: &impl IsA<gtk::Window>,
    new: &NewOwnSession,
    verify: impl Fn(String) + 'static,
    sign_out: impl Fn(String) + 'static,
) -> adw::MessageDialog {
    let (heading, body) = alert_text(new);
    let dialog = adw::MessageDialog::new(Some(parent), Some(&heading), Some(&body));
    dialog.set_widget_name("new-session-alert");
    let (later, sign_out_label, verify_label) = (
        gettext("_Not Now"),
        gettext("_Sign It Out"),
        gettext("_Verify"),
    );
    dialog.add_responses(&[
        ("later", later.as_str()),
        ("sign-out", sign_out_label.as_str()),
        ("verify", verify_label.as_str()),
    ]);
    dialog.set_response_appearance("sign-out", adw::ResponseAppearance::Destructive);
    dialog.set_response_appearance("verify", adw::ResponseAppearance::Suggested);
    dialog.set_default_response(Some("later"));
    dialog.set_close_response("later");
    let device_id = new.device_id.clone();
    dialog.connect_response(None, move |_, response| match response {
        "verify" => verify(device_id.clone()),
        "sign-out" => sign_out(device_id.clone()),
        _ => {}
    });
    dialog.present();
    dialog
}
