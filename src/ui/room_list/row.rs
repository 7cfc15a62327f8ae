//! One row of the room list: avatar, name, latest message, time and unread count.

use adw::subclass::prelude::*;
use gtk::prelude::*;
use gtk::{CompositeTemplate, glib};

use crate::engine::room_list::{Preview, RoomSummary};
use crate::i18n::{gettext, gettext_f};

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
        pub time_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub encrypted_icon: TemplateChild<gtk::Image>,
        #[template_child]
        pub preview_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub badge: TemplateChild<gtk::Label>,
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
    /// Shows `room` in this row.
    pub fn bind(&self, room: &RoomSummary) {
        let imp = self.imp();
        imp.avatar.set_text(Some(&room.name));
        imp.name_label.set_text(&room.name);
        imp.preview_label.set_text(&preview_text(room));
        imp.time_label
            .set_text(&room.timestamp_ms.map(format_time).unwrap_or_default());
        imp.encrypted_icon.set_visible(room.is_encrypted);
        let count = if room.mentions > 0 {
            room.mentions
        } else {
            room.unread
        };
        imp.badge.set_visible(count > 0);
        imp.badge.set_text(&count.to_string());
        if room.mentions > 0 {
            imp.badge.add_css_class("mention");
        } else {
            imp.badge.remove_css_class("mention");
        }
    }
}

/// The second line of a row.
pub fn preview_text(room: &RoomSummary) -> String {
    match &room.preview {
        Preview::Message { sender, body } if !room.is_direct => {
            let name = sender
                .trim_start_matches('@')
                .split(':')
                .next()
                .unwrap_or_default();
            gettext_f(
                "{sender}: {message}",
                &[("sender", name), ("message", body)],
            )
        }
        Preview::Message { body, .. } => body.clone(),
        Preview::Encrypted => gettext("Encrypted message"),
        Preview::Invite => gettext("Invitation"),
        Preview::Nothing | Preview::Other => String::new(),
    }
}

/// "14:05" today, "Yesterday", a weekday within a week, else a date.
pub fn format_time(timestamp_ms: u64) -> String {
    let Ok(then) = glib::DateTime::from_unix_local((timestamp_ms / 1000) as i64) else {
        return String::new();
    };
    let Ok(now) = glib::DateTime::now_local() else {
        return String::new();
    };
    let days = days_between(&then, &now);
    let format = match days {
        0 => "%R",
        1 => return gettext("Yesterday"),
        2..=6 => "%a",
        _ if then.year() == now.year() => "%e %b",
        _ => "%x",
    };
    then.format(format)
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

fn days_between(then: &glib::DateTime, now: &glib::DateTime) -> i64 {
    let midnight = |d: &glib::DateTime| {
        glib::DateTime::from_local(d.year(), d.month(), d.day_of_month(), 0, 0, 0.0).ok()
    };
    match (midnight(then), midnight(now)) {
        (Some(a), Some(b)) => b.difference(&a).as_days(),
        _ => i64::MAX,
    }
}
