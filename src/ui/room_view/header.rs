//! The conversation's header bar: the way back to the list (when one pane shows at a
//! time), the room's name, its member count and trust, its encryption, and its details.
//! Everything in it follows the open room's `RoomInfo`.

use adw::prelude::*;
use gtk::glib;

use super::info::{RoomInfo, Trust};
use crate::engine::trust::identities::RoomTrust;
use crate::i18n::{gettext, gettext_f, ngettext};
use crate::ui::trust::shield;

/// The header bar of the conversation pane and the parts of it that change.
pub struct RoomHeader {
    /// The bar itself.
    pub bar: adw::HeaderBar,
    /// Back to the conversation list (shown only when one pane shows at a time).
    pub back: gtk::Button,
    /// The room's name, over its trust and member count.
    pub title: adw::WindowTitle,
    /// The encryption and trust indicator.
    pub encryption: adw::Bin,
    /// Opens the room's details.
    pub details: gtk::Button,
}

impl RoomHeader {
    /// A header bar that shows `info`, and follows it.
    pub fn new(info: &RoomInfo) -> Self {
        let back = crate::ui::widgets::icon_button("go-previous-symbolic", &gettext("Back"));
        back.set_action_name(Some("win.back"));

        let title = adw::WindowTitle::new("", "");
        info.bind_property("name", &title, "title")
            .sync_create()
            .build();
        gtk::ClosureExpression::with_callback(
            [
                RoomInfo::this_expression("member-count"),
                RoomInfo::this_expression("trust"),
            ],
            // The first value is the object the expression is evaluated on.
            |values| {
                let members = values[1].get::<i64>().unwrap_or(-1);
                let trust = values[2].get::<Option<Trust>>().ok().flatten();
                subtitle(members, trust.as_ref().map(|t| &t.0))
            },
        )
        .bind(&title, "subtitle", Some(info));

        let encryption = adw::Bin::new();
        for property in ["encrypted", "trust"] {
            info.connect_notify_local(
                Some(property),
                glib::clone!(
                    #[weak]
                    encryption,
                    move |info, _| show_encryption(&encryption, info)
                ),
            );
        }
        show_encryption(&encryption, info);

        let details =
            crate::ui::widgets::icon_button("view-more-symbolic", &gettext("Room Details"));
        details.connect_clicked(glib::clone!(
            #[weak]
            info,
            move |button| {
                let room_id = info.room_id();
                if !room_id.is_empty() {
                    let _ = WidgetExt::activate_action(
                        button,
                        "win.room-details",
                        Some(&room_id.to_variant()),
                    );
                }
            }
        ));

        let bar = adw::HeaderBar::new();
        bar.set_title_widget(Some(&title));
        bar.pack_start(&back);
        bar.pack_end(&details);
        bar.pack_end(&encryption);
        Self {
            bar,
            back,
            title,
            encryption,
            details,
        }
    }
}

/// The subtitle: the trust summary and the member count, each once known.
fn subtitle(members: i64, trust: Option<&RoomTrust>) -> String {
    let members = match u64::try_from(members) {
        Ok(count) => {
            let n = u32::try_from(count).unwrap_or(u32::MAX);
            ngettext("{count} member", "{count} members", n).replace("{count}", &count.to_string())
        }
        Err(_) => String::new(),
    };
    let trust = trust.map_or_else(String::new, |t| shield::room_summary(t).short);
    match (members.is_empty(), trust.is_empty()) {
        (false, false) => gettext_f(
            "{trust} · {members}",
            &[("members", &members), ("trust", &trust)],
        ),
        (false, true) => members,
        (true, _) => trust,
    }
}

/// The encryption and trust indicator: `unencrypted`, `encrypted` (trust not known yet),
/// or the trust summary's icon; with its tooltip.
fn show_encryption(bin: &adw::Bin, info: &RoomInfo) {
    let trust = info.trust().map(|t| shield::room_summary(&t.0));
    let (icon, description) = match (info.encrypted(), &trust) {
        (false, _) => (
            "channel-insecure-symbolic",
            gettext("Messages in this room are not encrypted: the homeserver can read them."),
        ),
        (true, None) => (
            "channel-secure-symbolic",
            gettext("Messages in this room are end-to-end encrypted."),
        ),
        (true, Some(trust)) => (trust.icon, trust.long.clone()),
    };
    let indicator = crate::ui::widgets::labelled_image(icon, &description);
    indicator.set_widget_name("room-trust");
    if trust.as_ref().is_some_and(|t| t.warning) {
        indicator.add_css_class("warning");
    } else if trust
        .as_ref()
        .is_some_and(|t| t.icon == shield::VERIFIED_ICON)
    {
        indicator.add_css_class("verified-shield");
    }
    bin.set_child(Some(&indicator));
}
