//! The rooms side of the main window: the New Room, New Direct Chat and Join Room dialogs,
//! and the room details, for the account shown.

use adw::prelude::*;

use super::Window;
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
        dialogs::show_new_direct_chat(self, session, self.room_opener());
    }

    /// Opens the Join Room dialog; the room opens once joined.
    pub(super) fn show_join_room(&self) {
        let Some(session) = self.session() else {
            return;
        };
        dialogs::show_join_room(self, session, self.room_opener());
    }

    /// Opens the details of `room_id` for the account shown.
    pub(super) fn show_room_details(&self, room_id: &str) {
        let Some(session) = self.session() else {
            return;
        };
        room_details::show_room_details(self, session, room_id.to_owned(), self.verifications());
    }

    fn room_opener(&self) -> impl Fn(String) + 'static {
        let window = self.downgrade();
        move |room_id: String| {
            if let Some(window) = window.upgrade() {
                window.open_room(&room_id);
            }
        }
    }
}
