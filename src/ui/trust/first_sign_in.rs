//! After a new sign-in: an account without a cross-signing identity gets one, and the
//! person is offered to turn on recovery; an account with one is offered to verify this
//! new session.

use adw::prelude::*;

use super::recovery_key::show_recovery_key;
use crate::engine::Result;
use crate::engine::session::Session;
use crate::engine::trust::{cross_signing, recovery};
use crate::i18n::gettext;
use crate::ui::bridge::run_for;
use crate::ui::error_text::describe;

/// What the set-up after sign-in found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirstSignIn {
    /// The account had no identity; Sotto made one and this session is verified.
    IdentityCreated,
    /// The account has an identity and this session is not verified by it yet.
    NeedsVerification,
    /// Nothing to do.
    Nothing,
}

/// Sets up cross-signing for a new session of `session`'s account (with `password` when
/// the server asks for it).
pub async fn set_up(session: &Session, password: &str) -> Result<FirstSignIn> {
    if cross_signing::has_cross_signing_identity(session).await? {
        if cross_signing::is_this_session_verified(session) {
            return Ok(FirstSignIn::Nothing);
        }
        return Ok(FirstSignIn::NeedsVerification);
    }
    cross_signing::bootstrap_cross_signing(session, Some(password)).await?;
    if recovery::recovery_state(session) == recovery::RecoveryStatus::On {
        return Ok(FirstSignIn::Nothing);
    }
    Ok(FirstSignIn::IdentityCreated)
}

/// Runs `set_up` and asks what fits over `parent`: turn on recovery, or verify this
/// session (`on_verify` opens the account settings for it).
pub fn run(
    parent: &impl IsA<gtk::Window>,
    session: Session,
    password: zeroize::Zeroizing<String>,
    on_verify: impl Fn() + 'static,
) {
    let set_up_session = session.clone();
    let setting_up = async move { set_up(&set_up_session, &password).await };
    run_for(
        parent.upcast_ref::<gtk::Window>(),
        setting_up,
        move |parent, found| match found {
            Ok(FirstSignIn::IdentityCreated) => {
                offer_recovery(parent, session);
            }
            Ok(FirstSignIn::NeedsVerification) => offer_verification(parent, on_verify),
            Ok(FirstSignIn::Nothing) => {}
            Err(err) => {
                crate::ui::dialogs::inform(
                    parent,
                    &gettext("Encryption Not Set Up"),
                    &describe(&err),
                );
            }
        },
    );
}

/// Asks whether to turn on recovery now.
pub fn offer_recovery(parent: &gtk::Window, session: Session) -> adw::MessageDialog {
    let dialog = adw::MessageDialog::new(
        Some(parent),
        Some(&gettext("Turn On Recovery?")),
        Some(&gettext(
            "Recovery keeps your encryption keys on the homeserver, locked with a recovery key only you have. Without it, losing this device means losing your encrypted messages. You can turn it on later in Account Settings.",
        )),
    );
    dialog.set_widget_name("offer-recovery-dialog");
    dialog.add_responses(&[
        ("later", &gettext("_Not Now")),
        ("enable", &gettext("_Turn On Recovery")),
    ]);
    dialog.set_response_appearance("enable", adw::ResponseAppearance::Suggested);
    dialog.set_default_response(Some("enable"));
    dialog.set_close_response("later");
    let parent = parent.clone();
    dialog.connect_response(None, move |_, response| {
        if response != "enable" {
            return;
        }
        let session = session.clone();
        run_for(
            &parent,
            async move { recovery::enable_recovery(&session, None).await },
            |parent, made| match made {
                Ok(key) => {
                    show_recovery_key(parent, key, || {});
                }
                Err(err) => {
                    crate::ui::dialogs::inform(
                        parent,
                        &gettext("Recovery Not Turned On"),
                        &describe(&err),
                    );
                }
            },
        );
    });
    dialog.present();
    dialog
}

fn offer_verification(parent: &gtk::Window, on_verify: impl Fn() + 'static) {
    let dialog = adw::MessageDialog::new(
        Some(parent),
        Some(&gettext("Verify This Session")),
        Some(&gettext(
            "Verify this session with another of your sessions or your recovery key, so it can read your encrypted messages and others can trust it.",
        )),
    );
    dialog.set_widget_name("offer-verification-dialog");
    dialog.add_responses(&[
        ("later", &gettext("_Not Now")),
        ("verify", &gettext("_Verify")),
    ]);
    dialog.set_response_appearance("verify", adw::ResponseAppearance::Suggested);
    dialog.set_default_response(Some("verify"));
    dialog.set_close_response("later");
    dialog.connect_response(None, move |_, response| {
        if response == "verify" {
            on_verify();
        }
    });
    dialog.present();
}
