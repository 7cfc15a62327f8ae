//! How trust looks: the verified shield beside a person, and the room header's summary of
//! its members' identities. Both follow the engine's trust streams.

use std::ops::ControlFlow;

use futures_util::StreamExt;
use gtk::glib;
use gtk::prelude::*;

use crate::engine::ids::{OwnedRoomId, OwnedUserId};
use crate::engine::session::Session;
use crate::engine::trust::identities::{self, RoomTrust, UserTrust};
use crate::i18n::gettext;
use crate::ui::bridge::forward_stream;

/// The icon of a verified person.
pub const VERIFIED_ICON: &str = "security-high-symbolic";

/// The small shield shown beside a verified person, with "Verified" as its tooltip and
/// accessible label.
pub fn verified_shield() -> gtk::Image {
    let shield = crate::ui::widgets::labelled_image(VERIFIED_ICON, &gettext("Verified"));
    shield.add_css_class("verified-shield");
    shield.set_valign(gtk::Align::Center);
    shield
}

/// The room header's trust summary: an icon, a short text for the subtitle and a sentence
/// for the tooltip and screen readers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustSummary {
    /// The symbolic icon.
    pub icon: &'static str,
    /// A few words, for the subtitle.
    pub short: String,
    /// The whole sentence.
    pub long: String,
    /// Someone's identity changed: shown as a warning.
    pub warning: bool,
}

/// What the header says about an encrypted room with `trust`.
pub fn room_summary(trust: &RoomTrust) -> TrustSummary {
    match trust {
        RoomTrust::AllVerified => TrustSummary {
            icon: VERIFIED_ICON,
            short: gettext("All verified"),
            long: gettext("End-to-end encrypted. Everyone in this room is verified."),
            warning: false,
        },
        RoomTrust::SomeUnverified => TrustSummary {
            icon: "channel-secure-symbolic",
            short: gettext("Not all verified"),
            long: gettext(
                "End-to-end encrypted. Not everyone in this room is verified: verify people from the room details.",
            ),
            warning: false,
        },
        RoomTrust::IdentityChanged(_) => TrustSummary {
            icon: "dialog-warning-symbolic",
            short: gettext("Identity changed"),
            long: gettext(
                "End-to-end encrypted. Someone's identity changed: check who it is before you write.",
            ),
            warning: true,
        },
    }
}

/// What a person's page says about `trust`.
pub fn user_text(trust: UserTrust) -> String {
    match trust {
        UserTrust::Verified => gettext("Verified: you compared emoji with this person."),
        UserTrust::Unverified => gettext(
            "Not verified. Compare emoji with them to be sure their messages come from them.",
        ),
        UserTrust::Changed => {
            gettext("Their identity changed. Verify them to be sure it is still them.")
        }
        UserTrust::ChangedAfterVerification => gettext(
            "Their identity changed after you verified them. Verify them again before you trust it.",
        ),
        UserTrust::NoIdentity => {
            gettext("This person has not set up encryption keys that can be verified yet.")
        }
    }
}

/// Follows the trust summary of `room_id`: `on_change` gets it now and after each change,
/// on the main loop, until it breaks or the returned task is aborted.
pub fn follow_room(
    session: Session,
    room_id: OwnedRoomId,
    on_change: impl FnMut(RoomTrust) -> ControlFlow<()> + 'static,
) -> glib::JoinHandle<()> {
    let updates = futures_util::stream::once(async move {
        identities::room_trust_updates(&session, &room_id).await
    })
    .filter_map(|made| async move {
        made.map_err(|err| tracing::warn!("cannot follow the room's trust: {err}"))
            .ok()
    })
    .flatten();
    forward_stream(updates, on_change)
}

/// Follows how far this account trusts `user_id`, like [`follow_room`].
pub fn follow_user(
    session: Session,
    user_id: OwnedUserId,
    on_change: impl FnMut(UserTrust) -> ControlFlow<()> + 'static,
) -> glib::JoinHandle<()> {
    let updates = futures_util::stream::once(async move {
        identities::user_trust_updates(&session, &user_id).await
    })
    .filter_map(|made| async move {
        made.map_err(|err| tracing::warn!("cannot follow a person's trust: {err}"))
            .ok()
    })
    .flatten();
    forward_stream(updates, on_change)
}
