//! One row of the room list: avatar, name, latest message, time and unread count.

use std::cell::{OnceCell, RefCell};

use adw::subclass::prelude::*;
use gtk::prelude::*;
use gtk::{CompositeTemplate, glib};

use crate::engine::room_list::{Preview, RoomSummary};
use crate::i18n::{gettext, gettext_f, ngettext};

mod imp {
    use super::*;

    #[derive(Debug, Default, CompositeTemplate)]
    #[template(resource = "/chat/sotto/Sotto/ui/room-row.ui")]
    pub struct RoomRow {
        #[template_child]
        pub avatar: TemplateChild<adw::Avatar>,
        #[template_child]
        pub name_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub verified_icon: TemplateChild<gtk::Image>,
        #[template_child]
        pub favourite_icon: TemplateChild<gtk::Image>,
        #[template_child]
        pub time_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub encrypted_icon: TemplateChild<gtk::Image>,
        #[template_child]
        pub preview_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub mention_badge: TemplateChild<gtk::Label>,
        #[template_child]
        pub unread_badge: TemplateChild<gtk::Label>,
        #[template_child]
        pub invite_box: TemplateChild<gtk::Box>,
        /// Decline and Accept, once the row showed an invitation.
        pub invite_buttons: OnceCell<(gtk::Button, gtk::Button)>,
        /// The room shown.
        pub room_id: RefCell<String>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for RoomRow {
        const NAME: &'static str = "SottoRoomRow";
        type Type = super::RoomRow;
        type ParentType = gtk::Box;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for RoomRow {}
    impl WidgetImpl for RoomRow {}
    impl BoxImpl for RoomRow {}
}

glib::wrapper! {
    /// A row of the room list.
    pub struct RoomRow(ObjectSubclass<imp::RoomRow>)
        @extends gtk::Box, gtk::Widget,
        @implements gtk::Buildable, gtk::ConstraintTarget, gtk::Orientable;
}

impl Default for RoomRow {
    fn default() -> Self {
        glib::Object::new()
    }
}

impl RoomRow {
    /// Shows `room` in this row. Only sets texts and visibility: rows are recycled while
    /// scrolling, so binding must stay cheap.
    pub fn bind(&self, room: &RoomSummary) {
        let imp = self.imp();
        imp.room_id.replace(room.room_id.clone());
        imp.avatar.set_text(Some(&room.name));
        imp.name_label.set_text(&room.name);
        imp.verified_icon.set_visible(room.dm_partner_verified);
        imp.favourite_icon.set_visible(room.is_favourite);
        imp.preview_label.set_text(&preview_text(room));
        imp.time_label
            .set_text(&room.timestamp_ms.map(format_time).unwrap_or_default());
        imp.encrypted_icon.set_visible(room.is_encrypted);

        imp.mention_badge.set_visible(room.mentions > 0);
        if room.mentions > 0 {
            let mentions = count_text(
                room.mentions,
                ngettext("{count} mention", "{count} mentions", clamp(room.mentions)),
            );
            imp.mention_badge.set_tooltip_text(Some(&mentions));
        }
        imp.unread_badge.set_visible(room.unread > 0);
        if room.unread > 0 {
            imp.unread_badge.set_text(&if room.unread > 999 {
                "999+".to_owned()
            } else {
                room.unread.to_string()
            });
            let unread = count_text(
                room.unread,
                ngettext(
                    "{count} unread message",
                    "{count} unread messages",
                    clamp(room.unread),
                ),
            );
            imp.unread_badge.set_tooltip_text(Some(&unread));
        }

        imp.invite_box.set_visible(room.is_invite);
        if room.is_invite {
            let target = room.room_id.to_variant();
            let (decline, accept) = self.invite_buttons(&target);
            accept.set_action_target_value(Some(&target));
            decline.set_action_target_value(Some(&target));
        }
    }

    /// Accept and Decline, made with their first `target` (a button with an action but no
    /// target yet makes GTK complain).
    fn invite_buttons(&self, target: &glib::Variant) -> &(gtk::Button, gtk::Button) {
        let imp = self.imp();
        imp.invite_buttons.get_or_init(|| {
            let button = |label: &str, action: &str| {
                let button = gtk::Button::with_mnemonic(label);
                button.set_action_target_value(Some(target));
                button.set_action_name(Some(action));
                // Touch first: at least 44 px.
                button.add_css_class("touch-target");
                imp.invite_box.append(&button);
                button
            };
            let decline = button(&gettext("_Decline"), "sidebar.decline-invite");
            let accept = button(&gettext("_Accept"), "sidebar.accept-invite");
            accept.add_css_class("suggested-action");
            (decline, accept)
        })
    }

    /// The ID of the room shown.
    pub fn room_id(&self) -> String {
        self.imp().room_id.borrow().clone()
    }

    /// The avatar.
    pub fn avatar(&self) -> adw::Avatar {
        self.imp().avatar.clone()
    }

    /// The room's name as shown.
    pub fn name(&self) -> String {
        self.imp().name_label.text().to_string()
    }

    /// The preview line as shown.
    pub fn preview(&self) -> String {
        self.imp().preview_label.text().to_string()
    }

    /// The time of the latest event as shown.
    pub fn time(&self) -> String {
        self.imp().time_label.text().to_string()
    }

    /// The unread count badge, when it shows.
    pub fn unread_badge(&self) -> Option<String> {
        let badge = &self.imp().unread_badge;
        badge.is_visible().then(|| badge.text().to_string())
    }

    /// True when the verified shield of a direct chat's partner shows.
    pub fn shows_verified_shield(&self) -> bool {
        self.imp().verified_icon.is_visible()
    }

    /// True when the mention badge shows.
    pub fn shows_mention_badge(&self) -> bool {
        self.imp().mention_badge.is_visible()
    }

    /// The Accept button of an invitation, when it shows.
    pub fn accept_button(&self) -> Option<gtk::Button> {
        let imp = self.imp();
        imp.invite_box
            .is_visible()
            .then(|| imp.invite_buttons.get().map(|(_, accept)| accept.clone()))
            .flatten()
    }

    /// The Decline button of an invitation, when it shows.
    pub fn decline_button(&self) -> Option<gtk::Button> {
        let imp = self.imp();
        imp.invite_box
            .is_visible()
            .then(|| imp.invite_buttons.get().map(|(decline, _)| decline.clone()))
            .flatten()
    }
}

fn clamp(count: u64) -> u32 {
    u32::try_from(count).unwrap_or(u32::MAX)
}

fn count_text(count: u64, template: String) -> String {
    template.replace("{count}", &count.to_string())
}

/// The second line of a row: the latest message, with its sender in a group.
pub fn preview_text(room: &RoomSummary) -> String {
    match &room.preview {
        Preview::Message {
            sender_name,
            own,
            body,
            ..
        } if !room.is_direct => {
            let sender = if *own {
                gettext("You")
            } else {
                sender_name.clone()
            };
            gettext_f(
                "{sender}: {message}",
                &[("sender", &sender), ("message", body)],
            )
        }
        Preview::Message {
            own: true, body, ..
        } => gettext_f("You: {message}", &[("message", body)]),
        Preview::Message { body, .. } => body.clone(),
        Preview::Encrypted => gettext("Encrypted message"),
        Preview::Invite => gettext("Invitation"),
        Preview::Event(text) => text.clone(),
        Preview::Nothing | Preview::Other => String::new(),
    }
}

/// "14:05" today (12- or 24-hour as the desktop's clock), the weekday within the last
/// week, else the date in the locale's format.
pub fn format_time(timestamp_ms: u64) -> String {
    let Ok(seconds) = i64::try_from(timestamp_ms / 1000) else {
        return String::new();
    };
    let (Ok(then), Ok(now)) = (
        glib::DateTime::from_unix_local(seconds),
        glib::DateTime::now_local(),
    ) else {
        return String::new();
    };
    format_relative(&then, &now)
}

/// [`format_time`] for `then`, seen at `now`.
pub fn format_relative(then: &glib::DateTime, now: &glib::DateTime) -> String {
    let format = match days_between(then, now) {
        // A clock a little ahead of ours gives a time in the future: it is still today.
        i64::MIN..=0 => clock_format(),
        1..=6 => "%a",
        _ => "%x",
    };
    then.format(format)
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// The time of day as the desktop shows its clock: GNOME's `clock-format` setting when
/// its schema is installed, else 24 hours.
fn clock_format() -> &'static str {
    thread_local! {
        static TWELVE_HOURS: bool = {
            gtk::gio::SettingsSchemaSource::default()
                .and_then(|source| source.lookup("org.gnome.desktop.interface", true))
                .filter(|schema| schema.has_key("clock-format"))
                .map(|_| {
                    gtk::gio::Settings::new("org.gnome.desktop.interface")
                        .string("clock-format")
                        == "12h"
                })
                .unwrap_or(false)
        };
    }
    if TWELVE_HOURS.with(|twelve| *twelve) {
        "%l:%M %p"
    } else {
        "%H:%M"
    }
}

fn days_between(then: &glib::DateTime, now: &glib::DateTime) -> i64 {
    let midnight = |d: &glib::DateTime| {
        glib::DateTime::from_local(d.year(), d.month(), d.day_of_month(), 0, 0, 0.0).ok()
    };
    match (midnight(then), midnight(now)) {
        // Rounded: across a change to or from summer time, a day has 23 or 25 hours.
        (Some(a), Some(b)) => (b.difference(&a).as_hours() + 12).div_euclid(24),
        _ => i64::MAX,
    }
}
