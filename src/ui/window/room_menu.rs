//! The actions of a room's menu in the list: how much the room notifies (stored as the
//! account's push rules) and "Mark as Unread". `win.prepare-room-menu` names the room and
//! sets the actions' states before the menu opens.

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gio, glib};

use super::Window;
use crate::engine::ids::OwnedRoomId;
use crate::engine::push_rules::{self, RoomMode};
use crate::ui::bridge::run_or_toast;

fn mode_name(mode: Option<RoomMode>) -> &'static str {
    match mode {
        None => "default",
        Some(RoomMode::AllMessages) => "all",
        Some(RoomMode::MentionsAndKeywords) => "mentions",
        Some(RoomMode::Mute) => "mute",
    }
}

fn mode_of(name: &str) -> Option<RoomMode> {
    match name {
        "all" => Some(RoomMode::AllMessages),
        "mentions" => Some(RoomMode::MentionsAndKeywords),
        "mute" => Some(RoomMode::Mute),
        _ => None,
    }
}

impl Window {
    /// Adds the room menu's actions.
    pub(super) fn setup_room_menu_actions(&self) {
        let prepare = gio::ActionEntry::builder("prepare-room-menu")
            .parameter_type(Some(glib::VariantTy::STRING))
            .activate(|window: &Window, _, target| {
                if let Some(room_id) = target
                    .and_then(|t| t.get::<String>())
                    .and_then(|id| OwnedRoomId::try_from(id).ok())
                {
                    window.prepare_room_menu(room_id);
                }
            })
            .build();
        let mode = gio::ActionEntry::builder("room-mode")
            .parameter_type(Some(glib::VariantTy::STRING))
            .state("default".to_variant())
            .change_state(|window: &Window, action, value| {
                let Some(name) = value.and_then(|v| v.get::<String>()) else {
                    return;
                };
                action.set_state(&name.to_variant());
                window.set_room_mode(mode_of(&name));
            })
            .build();
        let unread = gio::ActionEntry::builder("room-marked-unread")
            .state(false.to_variant())
            .activate(|window: &Window, action, _| {
                let marked = !action
                    .state()
                    .and_then(|s| s.get::<bool>())
                    .unwrap_or_default();
                action.set_state(&marked.to_variant());
                window.set_marked_unread(marked);
            })
            .build();
        self.add_action_entries([prepare, mode, unread]);
    }

    /// Names the room of the menu about to open and shows its current choices.
    fn prepare_room_menu(&self, room_id: OwnedRoomId) {
        let Some(session) = self.session() else {
            return;
        };
        let mode = push_rules::cached_room_mode(&session, &room_id);
        let marked = push_rules::is_marked_unread(&session, &room_id);
        if let Some(action) = self
            .lookup_action("room-mode")
            .and_downcast::<gio::SimpleAction>()
        {
            action.set_state(&mode_name(mode).to_variant());
        }
        if let Some(action) = self
            .lookup_action("room-marked-unread")
            .and_downcast::<gio::SimpleAction>()
        {
            action.set_state(&marked.to_variant());
        }
        self.imp().menu_room.replace(Some(room_id));
    }

    fn set_room_mode(&self, mode: Option<RoomMode>) {
        let (Some(session), Some(room_id)) =
            (self.session(), self.imp().menu_room.borrow().clone())
        else {
            return;
        };
        run_or_toast(
            self,
            async move { push_rules::set_room_mode(&session, &room_id, mode).await },
            |_, ()| {},
        );
    }

    fn set_marked_unread(&self, marked: bool) {
        let (Some(session), Some(room_id)) =
            (self.session(), self.imp().menu_room.borrow().clone())
        else {
            return;
        };
        run_or_toast(
            self,
            async move { push_rules::set_marked_unread(&session, &room_id, marked).await },
            |_, ()| {},
        );
    }
}
