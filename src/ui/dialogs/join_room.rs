//! The Join Room dialog: a room address, room ID or matrix.to link.

use adw::prelude::*;

use super::{Form, entry_row};
use crate::engine::ids::OwnedRoomId;
use crate::engine::rooms;
use crate::engine::session::Session;
use crate::i18n::gettext;

/// Opens the Join Room dialog over `parent`, with `address` filled in (a link that was
/// followed) or empty; `on_joined` gets the joined room's ID.
pub fn show_join_room(
    parent: &impl IsA<gtk::Window>,
    session: Session,
    address_text: &str,
    on_joined: impl Fn(OwnedRoomId) + 'static,
) -> Form {
    let form = Form::new(parent, &gettext("Join Room"), &gettext("_Join"));
    let group = adw::PreferencesGroup::builder()
        .description(gettext(
            "An address such as #room:example.org, a room ID, or a matrix.to link.",
        ))
        .build();
    let address = entry_row(&gettext("Room address"));
    group.add(&address);
    form.page.add(&group);
    let submit = form.submit.clone();
    address.connect_changed(move |row| submit.set_sensitive(!row.text().trim().is_empty()));
    address.set_text(address_text);

    let on_joined = std::rc::Rc::new(on_joined);
    let join = {
        let form = form.clone();
        let address = address.clone();
        move || {
            let text = address.text().trim().to_owned();
            if text.is_empty() {
                return;
            }
            let session = session.clone();
            let on_joined = on_joined.clone();
            form.run(
                async move { rooms::join(&session, &text).await },
                move |room_id| on_joined(room_id),
            );
        }
    };
    let on_click = join.clone();
    form.submit.connect_clicked(move |_| on_click());
    address.connect_entry_activated(move |_| join());
    form.window.present();
    address.grab_focus();
    form
}
