//! The room open in the conversation pane, as its header shows it: a small GObject whose
//! properties the header binds to. It holds what the engine says; the header decides how
//! that looks.

use std::cell::{Cell, RefCell};

use gtk::glib;
use gtk::prelude::*;
use gtk::subclass::prelude::*;

use crate::engine::ids::RoomId;
use crate::engine::trust::identities::RoomTrust;

/// How far this account trusts the members of an encrypted room (a GLib value, so that it
/// can be a property).
#[derive(Clone, Debug, PartialEq, Eq, glib::Boxed)]
#[boxed_type(name = "SottoRoomTrust", nullable)]
pub struct Trust(pub RoomTrust);

mod imp {
    use super::*;

    #[derive(glib::Properties)]
    #[properties(wrapper_type = super::RoomInfo)]
    pub struct RoomInfo {
        /// The room's ID; empty while no room is open.
        #[property(get, set)]
        room_id: RefCell<String>,
        /// The room's display name.
        #[property(get, set)]
        name: RefCell<String>,
        /// How many members joined it; -1 until the conversation has opened.
        #[property(get, set, minimum = -1, default = -1)]
        member_count: Cell<i64>,
        /// Whether messages in it are end-to-end encrypted.
        #[property(get, set)]
        encrypted: Cell<bool>,
        /// Its members' trust, once known (encrypted rooms only).
        #[property(get, set, nullable)]
        trust: RefCell<Option<Trust>>,
    }

    impl Default for RoomInfo {
        fn default() -> Self {
            Self {
                room_id: RefCell::default(),
                name: RefCell::default(),
                member_count: Cell::new(-1),
                encrypted: Cell::default(),
                trust: RefCell::default(),
            }
        }
    }

    #[glib::object_subclass]
    impl ObjectSubclass for RoomInfo {
        const NAME: &'static str = "SottoRoomInfo";
        type Type = super::RoomInfo;
    }

    #[glib::derived_properties]
    impl ObjectImpl for RoomInfo {}
}

glib::wrapper! {
    /// The open room's name, member count, encryption and trust.
    pub struct RoomInfo(ObjectSubclass<imp::RoomInfo>);
}

impl Default for RoomInfo {
    fn default() -> Self {
        glib::Object::new()
    }
}

impl RoomInfo {
    /// Shows `room_id`, named `name`: its member count and trust are not known yet.
    pub fn open(&self, room_id: &RoomId, name: &str, encrypted: bool) {
        // The header follows once, with every part of the new room.
        let _notify_once = self.freeze_notify();
        self.set_room_id(room_id.as_str());
        self.set_name(name);
        self.set_member_count(-1);
        self.set_encrypted(encrypted);
        self.set_trust(None::<Trust>);
    }

    /// No room open.
    pub fn clear(&self) {
        let _notify_once = self.freeze_notify();
        self.set_room_id("");
        self.set_name("");
        self.set_member_count(-1);
        self.set_encrypted(false);
        self.set_trust(None::<Trust>);
    }
}
