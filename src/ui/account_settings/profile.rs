//! The account settings' first page: the name and avatar other people see. A new avatar is
//! stripped of its metadata before upload (the engine's `avatars::set_own_avatar`), like
//! every picture Sotto sends; the page says so.

use std::path::PathBuf;

use adw::prelude::*;
use gtk::glib;

use super::AccountSettings;
use crate::engine::avatars::{self, OwnProfile};
use crate::engine::media::autoload::RoomKind;
use crate::i18n::gettext;
use crate::ui::avatars::EditableAvatar;
use crate::ui::bridge::{run_for, run_or_toast};
use crate::ui::file_choosers::choose_picture;

/// The widgets of the profile page.
pub(super) struct ProfileWidgets {
    editable: EditableAvatar,
    name_row: adw::EntryRow,
    spinner: gtk::Spinner,
}

impl AccountSettings {
    /// Builds the profile page and starts loading the profile into it.
    pub(super) fn build_profile_page(&self) -> ProfileWidgets {
        let page = adw::PreferencesPage::builder()
            .name("profile")
            .title(gettext("Profile"))
            .icon_name("avatar-default-symbolic")
            .build();
        let user_id = self.session().user_id();
        let group = adw::PreferencesGroup::new();
        let editable = EditableAvatar::new(
            96,
            user_id.trim_start_matches('@'),
            "settings.change-avatar",
            "settings.remove-avatar",
        );
        let spinner = gtk::Spinner::builder()
            .halign(gtk::Align::Center)
            .visible(false)
            .build();
        let note = gtk::Label::builder()
            .label(gettext(
                "Before a picture is uploaded, its location, camera, time and other hidden data are removed.",
            ))
            .wrap(true)
            .justify(gtk::Justification::Center)
            .build();
        note.add_css_class("dim-label");
        note.add_css_class("caption");
        let top = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(12)
            .margin_bottom(12)
            .build();
        top.append(&editable.widget);
        top.append(&spinner);
        top.append(&note);
        group.add(&top);

        let name_row = adw::EntryRow::builder()
            .use_markup(false)
            .title(gettext("Display Name"))
            .show_apply_button(true)
            .build();
        name_row.connect_apply(glib::clone!(
            #[weak(rename_to = window)]
            self,
            move |row| window.set_display_name(row.text().to_string())
        ));
        let names = adw::PreferencesGroup::builder()
            .description(gettext("People see this name in rooms and direct chats."))
            .build();
        names.add(&name_row);
        let id_row = crate::ui::widgets::plain_row(&gettext("Matrix ID"), &user_id);
        names.add(&id_row);
        page.add(&group);
        page.add(&names);
        self.add(&page);
        ProfileWidgets {
            editable,
            name_row,
            spinner,
        }
    }

    fn profile_widgets(&self) -> &ProfileWidgets {
        &self.widgets().profile
    }

    /// Asks the server for the account's name and avatar and shows them.
    pub(super) fn load_profile(&self) {
        let session = self.session();
        run_or_toast(
            self,
            async move { avatars::own_profile(&session).await },
            |window, profile| window.show_profile(&profile),
        );
    }

    fn show_profile(&self, profile: &OwnProfile) {
        let widgets = self.profile_widgets();
        if let Some(name) = &profile.display_name {
            widgets.name_row.set_text(name);
            widgets.editable.avatar.set_text(Some(name));
        }
        let own = profile.avatar_url.clone().map(|url| avatars::Avatar {
            url,
            trust: crate::engine::media::autoload::SenderTrust {
                own: true,
                verified: false,
            },
        });
        widgets.editable.set_removable(own.is_some());
        crate::ui::avatars::show(
            &widgets.editable.avatar,
            &self.session().avatars(),
            own.as_ref(),
            RoomKind::Direct,
        );
    }

    /// Asks for a picture, then makes it the avatar.
    pub(super) fn change_avatar(&self) {
        let weak = self.downgrade();
        let chooser = choose_picture(self, move |path| {
            if let Some(window) = weak.upgrade() {
                window.set_avatar_from(path);
            }
        });
        self.keep_chooser(chooser);
    }

    fn busy(&self, busy: bool) {
        let widgets = self.profile_widgets();
        widgets.spinner.set_visible(busy);
        widgets.spinner.set_spinning(busy);
        widgets.editable.widget.set_sensitive(!busy);
    }

    /// Makes the picture in the file at `path` the avatar, without its metadata (what the
    /// file chooser's answer runs).
    pub fn set_avatar_from(&self, path: PathBuf) {
        self.busy(true);
        let session = self.session();
        run_for(
            self,
            async move {
                let bytes = std::fs::read(&path)
                    .map_err(|err| crate::engine::EngineError::io(path, err))?;
                avatars::set_own_avatar(&session, bytes).await
            },
            |window, result| {
                window.busy(false);
                match result {
                    Ok(_) => {
                        window.toast(&gettext("Picture changed"));
                        window.load_profile();
                    }
                    Err(err) => window.toast(&crate::ui::error_text::describe(&err)),
                }
            },
        );
    }

    pub(super) fn remove_avatar(&self) {
        self.busy(true);
        let session = self.session();
        run_for(
            self,
            async move { avatars::remove_own_avatar(&session).await },
            |window, result| {
                window.busy(false);
                match result {
                    Ok(()) => {
                        window.toast(&gettext("Picture removed"));
                        window.load_profile();
                    }
                    Err(err) => window.toast(&crate::ui::error_text::describe(&err)),
                }
            },
        );
    }

    fn set_display_name(&self, name: String) {
        let session = self.session();
        run_or_toast(
            self,
            async move { avatars::set_display_name(&session, &name).await },
            |window, ()| {
                window.toast(&gettext("Name changed"));
                window.load_profile();
            },
        );
    }

    /// The avatar on the profile page.
    pub fn profile_avatar(&self) -> adw::Avatar {
        self.profile_widgets().editable.avatar.clone()
    }

    /// The display name field on the profile page.
    pub fn display_name_row(&self) -> adw::EntryRow {
        self.profile_widgets().name_row.clone()
    }
}
