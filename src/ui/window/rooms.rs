//! The rooms side of the main window: the New Room, New Direct Chat and Join Room dialogs,
//! the room details, and the links followed from messages, for the account shown.

use adw::prelude::*;

use super::Window;
use crate::engine::ids::{OwnedRoomId, RoomId};
use crate::engine::links::{self, LinkTarget};
use crate::engine::rooms;
use crate::i18n::gettext;
use crate::ui::{dialogs, room_details};

impl Window {
    /// Opens the New Room dialog; the new room opens when it is made.
    pub(super) fn show_new_room(&self) {
        let Some(session) = self.session() else {
            return;
        };
        dialogs::show_new_room(self, session, self.room_opener());
    }

    /// Opens the New Direct Chat dialog; the chat opens when it is there.
    pub(super) fn show_new_direct_chat(&self) {
        let Some(session) = self.session() else {
            return;
        };
        dialogs::show_new_direct_chat(self, session, "", self.room_opener());
    }

    /// Opens the Join Room dialog; the room opens once joined.
    pub(super) fn show_join_room(&self) {
        let Some(session) = self.session() else {
            return;
        };
        dialogs::show_join_room(self, session, "", self.room_opener());
    }

    /// Opens the details of `room_id` for the account shown.
    pub(super) fn show_room_details(&self, room_id: &RoomId) {
        let Some(session) = self.session() else {
            return;
        };
        room_details::show_room_details(self, session, room_id.to_owned(), self.verifications());
    }

    /// Follows a link activated in a message: a room or person opens inside Sotto (a room
    /// not joined yet, and a person, in the dialog that joins or writes to them, which asks
    /// first); anything else opens elsewhere only after the person saw where it goes.
    pub(super) fn open_link(&self, uri: &str) {
        match links::classify(uri) {
            LinkTarget::Room { id, link } => {
                let Some(session) = self.session() else {
                    return;
                };
                match rooms::joined_room(&session, &id) {
                    Some(room_id) => self.open_room(&room_id),
                    None => {
                        dialogs::show_join_room(self, session, &link, self.room_opener());
                    }
                }
            }
            LinkTarget::User(user_id) => {
                let Some(session) = self.session() else {
                    return;
                };
                dialogs::show_new_direct_chat(self, session, &user_id, self.room_opener());
            }
            LinkTarget::External { address, host } => {
                crate::ui::links::confirm_open(self, &address, &host);
            }
            LinkTarget::Unsupported => {
                self.toast(&gettext("Sotto does not open this kind of link."));
            }
        }
    }

    fn room_opener(&self) -> impl Fn(OwnedRoomId) + 'static {
        let window = self.downgrade();
        move |room_id: OwnedRoomId| {
            if let Some(window) = window.upgrade() {
                window.open_room(&room_id);
            }
        }
    }
}
