//! One row of the room list: avatar, name, latest message, time and unread count.

use std::cell::{OnceCell, RefCell};

use adw::subclass::prelude::*;
use gtk::glib;
use gtk::prelude::*;

use crate::engine::ids::OwnedRoomId;
use crate::engine::room_list::{Preview, RoomSummary};
use crate::i18n::{gettext, gettext_f, ngettext};
use crate::ui::widgets::set_tooltip;

mod imp {
    use super::*;

    /// The row's widgets, made in code: a room list makes a dozen rows before its first
    /// frame, and building them from a template took three times as long.
    #[derive(Debug)]
    pub struct RoomRow {
        pub avatar: adw::Avatar,
        pub name_label: gtk::Label,
        pub verified_icon: gtk::Image,
        pub favourite_icon: gtk::Image,
        pub time_label: gtk::Label,
        pub encrypted_icon: gtk::Image,
        pub preview_label: gtk::Label,
        pub mention_badge: gtk::Label,
        pub unread_badge: gtk::Label,
        /// Holds Accept and Decline, made the first time the row shows an invitation:
        /// most rows never do, and a list keeps many rows.
        pub invite_box: gtk::Box,
        /// Decline and Accept, once the row showed an invitation.
        pub invite_buttons: OnceCell<(gtk::Button, gtk::Button)>,
        /// The room shown.
        pub room_id: RefCell<Option<OwnedRoomId>>,
        /// The room's menu, made when first opened.
        pub menu: OnceCell<gtk::PopoverMenu>,
    }

    impl Default for RoomRow {
        fn default() -> Self {
            let avatar = adw::Avatar::new(44, None, true);
            avatar.set_valign(gtk::Align::Center);
            Self {
                avatar,
                name_label: one_line_label(&["heading"], true),
                verified_icon: small_icon(
                    "security-high-symbolic",
                    14,
                    &gettext("Verified"),
                    "verified-shield",
                ),
                favourite_icon: small_icon(
                    "starred-symbolic",
                    12,
                    &gettext("Favourite"),
                    "dim-label",
                ),
                time_label: one_line_label(&["caption", "dim-label", "numeric"], false),
                encrypted_icon: small_icon(
                    "channel-secure-symbolic",
                    12,
                    &gettext("End-to-end encrypted"),
                    "dim-label",
                ),
                preview_label: one_line_label(&["dim-label"], true),
                mention_badge: badge(&["unread-badge", "mention"]),
                unread_badge: badge(&["unread-badge", "numeric"]),
                invite_box: gtk::Box::builder()
                    .spacing(6)
                    .margin_top(6)
                    .homogeneous(true)
                    .visible(false)
                    .build(),
                invite_buttons: OnceCell::new(),
                room_id: RefCell::new(None),
                menu: OnceCell::new(),
            }
        }
    }

    /// A label of one line; `grows` ones take the free width and ellipsize.
    fn one_line_label(classes: &[&str], grows: bool) -> gtk::Label {
        let label = gtk::Label::builder()
            .single_line_mode(true)
            .css_classes(classes.iter().map(|c| c.to_string()).collect::<Vec<_>>())
            .build();
        if grows {
            label.set_xalign(0.0);
            label.set_hexpand(true);
            label.set_ellipsize(gtk::pango::EllipsizeMode::End);
        }
        label
    }

    /// A small status icon, hidden until a room needs it. Its tooltip is set while it is
    /// hidden: on a shown widget, GTK asks the display where the pointer is (a round trip
    /// to the X server) each time a tooltip is set.
    fn small_icon(name: &str, size: i32, meaning: &str, class: &str) -> gtk::Image {
        let icon = gtk::Image::builder()
            .icon_name(name)
            .pixel_size(size)
            .visible(false)
            .tooltip_text(meaning)
            .css_classes([class])
            .build();
        crate::ui::widgets::set_accessible_label(&icon, meaning);
        icon
    }

    fn badge(classes: &[&str]) -> gtk::Label {
        gtk::Label::builder()
            .valign(gtk::Align::Center)
            .visible(false)
            .css_classes(classes.iter().map(|c| c.to_string()).collect::<Vec<_>>())
            .build()
    }

    #[glib::object_subclass]
    impl ObjectSubclass for RoomRow {
        const NAME: &'static str = "SottoRoomRow";
        type Type = super::RoomRow;
        type ParentType = gtk::Box;
    }

    impl ObjectImpl for RoomRow {
        fn constructed(&self) {
            self.parent_constructed();
            let row = self.obj();
            row.set_spacing(12);
            row.set_margin_top(9);
            row.set_margin_bottom(9);
            row.set_margin_start(6);
            row.set_margin_end(6);
            self.mention_badge.set_label("@");

            let first_line = gtk::Box::new(gtk::Orientation::Horizontal, 6);
            first_line.append(&self.name_label);
            first_line.append(&self.verified_icon);
            first_line.append(&self.favourite_icon);
            first_line.append(&self.time_label);
            let second_line = gtk::Box::new(gtk::Orientation::Horizontal, 6);
            second_line.append(&self.encrypted_icon);
            second_line.append(&self.preview_label);
            second_line.append(&self.mention_badge);
            second_line.append(&self.unread_badge);
            let text = gtk::Box::builder()
                .orientation(gtk::Orientation::Vertical)
                .hexpand(true)
                .valign(gtk::Align::Center)
                .spacing(3)
                .build();
            text.append(&first_line);
            text.append(&second_line);
            text.append(&self.invite_box);
            BoxExt::append(&*row, &self.avatar);
            BoxExt::append(&*row, &text);

            // The room's menu: right click, or touch and hold.
            let click = gtk::GestureClick::builder()
                .button(gtk::gdk::BUTTON_SECONDARY)
                .build();
            click.connect_pressed(glib::clone!(
                #[weak]
                row,
                move |gesture, _, x, y| {
                    gesture.set_state(gtk::EventSequenceState::Claimed);
                    row.show_menu(Some((x, y)));
                }
            ));
            let hold = gtk::GestureLongPress::builder().touch_only(true).build();
            hold.connect_pressed(glib::clone!(
                #[weak]
                row,
                move |gesture, x, y| {
                    gesture.set_state(gtk::EventSequenceState::Claimed);
                    row.show_menu(Some((x, y)));
                }
            ));
            row.add_controller(click);
            row.add_controller(hold);
        }

        fn dispose(&self) {
            if let Some(menu) = self.menu.get() {
                menu.unparent();
            }
        }
    }
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
        imp.room_id.replace(Some(room.room_id.clone()));
        imp.avatar.set_text(Some(&room.name));
        imp.name_label.set_text(&room.name);
        imp.verified_icon.set_visible(room.dm_partner_verified);
        imp.favourite_icon.set_visible(room.is_favourite);
        imp.preview_label.set_text(&preview_text(room));
        imp.time_label
            .set_text(&room.timestamp_ms.map(format_time).unwrap_or_default());
        imp.encrypted_icon.set_visible(room.is_encrypted);

        if room.mentions > 0 {
            let mentions = count_text(
                room.mentions,
                ngettext("{count} mention", "{count} mentions", clamp(room.mentions)),
            );
            set_tooltip(&imp.mention_badge, &mentions);
        }
        imp.mention_badge
            .set_visible(room.mentions > 0 && !room.is_muted);
        // Muted, or marked as unread without unread messages: a dot, no count.
        let dot = (room.is_muted && room.unread > 0) || (room.is_marked_unread && room.unread == 0);
        if dot {
            imp.unread_badge.set_text("");
            imp.unread_badge.add_css_class("dot");
            set_tooltip(
                &imp.unread_badge,
                &if room.is_muted {
                    gettext("Muted, with unread messages")
                } else {
                    gettext("Marked as unread")
                },
            );
        } else if room.unread > 0 {
            imp.unread_badge.remove_css_class("dot");
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
            set_tooltip(&imp.unread_badge, &unread);
        }
        imp.unread_badge.set_visible(room.unread > 0 || dot);

        imp.invite_box.set_visible(room.is_invite);
        if room.is_invite {
            let target = room.room_id.as_str().to_variant();
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
    pub fn room_id(&self) -> Option<OwnedRoomId> {
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

    /// The unread count badge, when it shows (empty for a dot).
    pub fn unread_badge(&self) -> Option<String> {
        let badge = &self.imp().unread_badge;
        badge.is_visible().then(|| badge.text().to_string())
    }

    /// Opens the room's menu (notifications, mark as unread) at `at` in the row, or
    /// under the row.
    pub fn show_menu(&self, at: Option<(f64, f64)>) {
        let Some(room_id) = self.room_id() else {
            return;
        };
        if self
            .activate_action(
                "win.prepare-room-menu",
                Some(&room_id.as_str().to_variant()),
            )
            .is_err()
        {
            return;
        }
        let imp = self.imp();
        let menu = imp.menu.get_or_init(|| {
            let menu = gtk::PopoverMenu::from_model(Some(&room_menu_model()));
            menu.set_parent(self);
            menu.set_has_arrow(false);
            menu
        });
        if let Some((x, y)) = at {
            menu.set_pointing_to(Some(&gtk::gdk::Rectangle::new(x as i32, y as i32, 1, 1)));
        } else {
            menu.set_pointing_to(None);
        }
        menu.popup();
    }

    /// The room's menu, once it was opened.
    pub fn menu(&self) -> Option<gtk::PopoverMenu> {
        self.imp().menu.get().cloned()
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
        Preview::Attachment(attachment) => crate::ui::text::attachment(attachment),
        Preview::Unsupported(unsupported) => crate::ui::text::unsupported(unsupported),
        Preview::State(change) => crate::ui::text::state_change(change),
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
                .is_some_and(|_| {
                    gtk::gio::Settings::new("org.gnome.desktop.interface")
                        .string("clock-format")
                        == "12h"
                })
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

/// The menu of a room in the list. Its actions belong to the window, which knows the
/// account: `win.prepare-room-menu` sets their states for the room before it opens.
pub fn room_menu_model() -> gtk::gio::Menu {
    let menu = gtk::gio::Menu::new();
    let modes = gtk::gio::Menu::new();
    for (label, mode) in [
        (gettext("_Default Notifications"), "default"),
        (gettext("_All Messages"), "all"),
        (gettext("_Mentions and Keywords Only"), "mentions"),
        (gettext("M_ute"), "mute"),
    ] {
        let item = gtk::gio::MenuItem::new(Some(&label), None);
        item.set_action_and_target_value(Some("win.room-mode"), Some(&mode.to_variant()));
        modes.append_item(&item);
    }
    menu.append_section(Some(&gettext("Notifications")), &modes);
    let marks = gtk::gio::Menu::new();
    marks.append(
        Some(&gettext("Mark as _Unread")),
        Some("win.room-marked-unread"),
    );
    menu.append_section(None, &marks);
    menu
}
