//! The New Direct Chat dialog: one Matrix ID; an existing chat with that person is reused.

use adw::prelude::*;

use super::{Form, entry_row};
use crate::engine::ids::OwnedRoomId;
use crate::engine::rooms;
use crate::engine::session::Session;
use crate::i18n::gettext;

/// Opens the New Direct Chat dialog over `parent`, with `user` filled in (a link that was
/// followed) or empty; `on_started` gets the chat's room ID.
pub fn show_new_direct_chat(
    parent: &impl IsA<gtk::Window>,
    session: Session,
    user: &str,
    on_started: impl Fn(OwnedRoomId) + 'static,
) -> Form {
    let form = Form::new(parent, &gettext("New Direct Chat"), &gettext("_Start Chat"));
    let group = adw::PreferencesGroup::builder()
        .description(gettext(
            "Direct chats are end-to-end encrypted. If you already have one with this person, it opens.",
        ))
        .build();
    let user_id = entry_row(&gettext("Matrix ID"));
    group.add(&user_id);
    form.page.add(&group);
    let submit = form.submit.clone();
    user_id.connect_changed(move |row| submit.set_sensitive(!row.text().trim().is_empty()));
    user_id.set_text(user);

    let on_started = std::rc::Rc::new(on_started);
    let start = {
        let form = form.clone();
        let user_id = user_id.clone();
        move || {
            let id = user_id.text().trim().to_owned();
            if id.is_empty() {
                return;
            }
            let session = session.clone();
            let on_started = on_started.clone();
            form.run(
                async move {
                    let id = rooms::parse_user_id(&id)?;
                    rooms::start_direct_chat(&session, &id).await
                },
                move |room_id| on_started(room_id),
            );
        }
    };
    let on_click = start.clone();
    form.submit.connect_clicked(move |_| on_click());
    user_id.connect_entry_activated(move |_| start());
    form.window.present();
    user_id.grab_focus();
    form
}
