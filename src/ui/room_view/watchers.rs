//! What follows the open room while it shows: its trust summary (into the header's
//! `RoomInfo`), and the account leaving it (left or banned elsewhere), which closes it.

use std::ops::ControlFlow;

use gtk::prelude::*;
use gtk::subclass::prelude::*;

use super::info;
use crate::engine::ids::RoomId;
use crate::engine::session::Session;
use crate::i18n::gettext_f;
use crate::ui::bridge::{spawn_tokio, spawn_ui};

impl super::RoomView {
    /// Follows the trust summary of the open encrypted room into the header.
    pub(super) fn follow_room_trust(&self, session: &Session, room_id: &RoomId, encrypted: bool) {
        let imp = self.imp();
        if let Some(old) = imp.room_trust.take() {
            old.abort();
        }
        if !encrypted {
            return;
        }
        let weak = self.downgrade();
        let room = room_id.to_owned();
        let follower = crate::ui::trust::shield::follow_room(
            session.clone(),
            room_id.to_owned(),
            move |trust| {
                let Some(view) = weak.upgrade() else {
                    return ControlFlow::Break(());
                };
                if view.room_id().as_deref() != Some(&*room) {
                    return ControlFlow::Break(());
                }
                view.imp().info.set_trust(Some(info::Trust(trust)));
                ControlFlow::Continue(())
            },
        );
        imp.room_trust.replace(Some(follower));
    }

    /// Once the account is no longer in the open room: `room-gone`, and a word on why.
    pub(super) fn close_room_when_gone(&self, session: &Session, room_id: &RoomId, name: &str) {
        let imp = self.imp();
        if let Some(old) = imp.room_membership.take() {
            old.abort();
        }
        let (session, room, name) = (session.clone(), room_id.to_owned(), name.to_owned());
        let weak = self.downgrade();
        let follower = spawn_ui(async move {
            let watched = room.clone();
            let gone = spawn_tokio(async move {
                crate::engine::rooms::wait_until_gone(&session, &watched).await
            })
            .await;
            let (Some(view), Ok(gone)) = (weak.upgrade(), gone) else {
                return;
            };
            if view.room_id().as_deref() != Some(&*room) {
                return;
            }
            // This task ends here: nothing to abort when the room closes.
            drop(view.imp().room_membership.take());
            view.emit_by_name::<()>("room-gone", &[&room.as_str()]);
            let text = match gone {
                crate::engine::rooms::Gone::Left => {
                    gettext_f("You are no longer in “{room}”.", &[("room", &name)])
                }
                crate::engine::rooms::Gone::Banned => {
                    gettext_f("You were banned from “{room}”.", &[("room", &name)])
                }
            };
            view.toast(&text);
        });
        imp.room_membership.replace(Some(follower));
    }
}
