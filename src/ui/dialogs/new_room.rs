//! The New Room dialog: name, topic, people to invite, public or private, and encryption,
//! which a private room always has.

use adw::prelude::*;
use gtk::glib;

use super::{Form, entry_row};
use crate::engine::ids::OwnedRoomId;
use crate::engine::rooms::{self, CreateRoom};
use crate::engine::session::Session;
use crate::i18n::gettext;

/// The New Room dialog's widgets, for whoever drives it (people, or tests).
#[derive(Clone)]
pub struct NewRoomDialog {
    /// The frame: window, Create button, spinner, error.
    pub form: Form,
    /// The room's name.
    pub name: adw::EntryRow,
    /// The topic (optional).
    pub topic: adw::EntryRow,
    /// Matrix IDs to invite, separated by commas or spaces.
    pub invitees: adw::EntryRow,
    /// On: anyone with the address may join.
    pub public: gtk::Switch,
    /// On: end-to-end encrypted. Always on, and locked, for a private room.
    pub encrypted: gtk::Switch,
    encryption_row: adw::ActionRow,
}

/// Opens the New Room dialog over `parent`; `on_created` gets the new room's ID.
pub fn show_new_room(
    parent: &impl IsA<gtk::Window>,
    session: Session,
    on_created: impl Fn(OwnedRoomId) + 'static,
) -> NewRoomDialog {
    let form = Form::new(parent, &gettext("New Room"), &gettext("C_reate"));
    let group = adw::PreferencesGroup::new();
    let name = entry_row(&gettext("Name"));
    let topic = entry_row(&gettext("Topic (optional)"));
    group.add(&name);
    group.add(&topic);
    form.page.add(&group);

    let people = adw::PreferencesGroup::builder()
        .title(gettext("Invite"))
        .description(gettext(
            "Matrix IDs such as @alice:example.org, separated by commas.",
        ))
        .build();
    let invitees = entry_row(&gettext("People to invite"));
    people.add(&invitees);
    form.page.add(&people);

    let access = adw::PreferencesGroup::builder()
        .title(gettext("Access"))
        .build();
    let public = switch(&gettext("Public room"));
    let public_row = adw::ActionRow::builder()
        .use_markup(false)
        .title(gettext("Public room"))
        .subtitle(gettext(
            "Anyone who knows its address can join. It is not listed in the room directory.",
        ))
        .activatable_widget(&public)
        .build();
    public_row.add_suffix(&public);
    let encrypted = switch(&gettext("End-to-end encryption"));
    encrypted.set_active(true);
    let encryption_row = adw::ActionRow::builder()
        .use_markup(false)
        .title(gettext("End-to-end encryption"))
        .activatable_widget(&encrypted)
        .build();
    encryption_row.add_suffix(&encrypted);
    access.add(&public_row);
    access.add(&encryption_row);
    form.page.add(&access);

    let dialog = NewRoomDialog {
        form: form.clone(),
        name: name.clone(),
        topic,
        invitees,
        public: public.clone(),
        encrypted: encrypted.clone(),
        encryption_row,
    };
    dialog.update_encryption();
    public.connect_active_notify(glib::clone!(
        #[strong]
        dialog,
        move |_| dialog.update_encryption()
    ));
    encrypted.connect_active_notify(glib::clone!(
        #[strong]
        dialog,
        move |_| dialog.update_encryption()
    ));
    name.connect_changed(glib::clone!(
        #[weak(rename_to = submit)]
        form.submit,
        move |name| submit.set_sensitive(!name.text().trim().is_empty())
    ));

    let on_created = std::rc::Rc::new(on_created);
    let create = glib::clone!(
        #[strong]
        dialog,
        move || {
            if dialog.name.text().trim().is_empty() {
                return;
            }
            let request = dialog.request();
            let session = session.clone();
            let on_created = on_created.clone();
            dialog.form.run(
                async move { rooms::create_room(&session, request).await },
                move |room_id| on_created(room_id),
            );
        }
    );
    let submit_create = create.clone();
    form.submit.connect_clicked(move |_| submit_create());
    for row in [&dialog.name, &dialog.topic, &dialog.invitees] {
        let create = create.clone();
        row.connect_entry_activated(move |_| create());
    }
    form.window.present();
    name.grab_focus();
    dialog
}

impl NewRoomDialog {
    /// What the fields ask for.
    pub fn request(&self) -> CreateRoom {
        let topic = self.topic.text().trim().to_owned();
        CreateRoom {
            name: self.name.text().trim().to_owned(),
            topic: (!topic.is_empty()).then_some(topic),
            invitees: self
                .invitees
                .text()
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(ToOwned::to_owned)
                .collect(),
            public: self.public.is_active(),
            encrypted: self.encrypted.is_active() || !self.public.is_active(),
        }
    }

    /// A private room is always encrypted: the switch is locked on, and says why.
    fn update_encryption(&self) {
        let public = self.public.is_active();
        if !public && !self.encrypted.is_active() {
            self.encrypted.set_active(true);
        }
        self.encrypted.set_sensitive(public);
        self.encryption_row
            .set_subtitle(&match (public, self.encrypted.is_active()) {
                (false, _) => gettext(
                    "Private rooms are always encrypted: only the people in the room can read its messages.",
                ),
                (true, true) => gettext(
                    "Only the people in the room can read its messages, not the homeserver.",
                ),
                (true, false) => gettext(
                    "The homeserver, and anyone who joins later, can read the messages.",
                ),
            });
    }
}

fn switch(label: &str) -> gtk::Switch {
    let switch = gtk::Switch::builder().valign(gtk::Align::Center).build();
    crate::ui::widgets::set_accessible_label(&switch, label);
    switch
}
