//! The account settings' first page: the name and avatar other people see. A new avatar is
//! stripped of its metadata before upload (the engine's `avatars::set_own_avatar`), like
//! every picture Sotto sends; the page says so.

use std::path::PathBuf;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::glib;

use super::AccountSettings;
use crate::engine::avatars::{self, OwnProfile};
use crate::engine::media::autoload::RoomKind;
use crate::i18n::gettext;
use crate::ui::avatars::EditableAvatar;
use crate::ui::bridge::{run_for, run_or_toast};
use crate::ui::file_choosers::choose_picture;

impl AccountSettings {
    /// Puts the editable avatar on the profile page, shows the Matrix ID and connects the
    /// name field.
    pub(super) fn build_profile_page(&self) {
        let imp = self.imp();
        let user_id = self.session().user_id();
        let editable = EditableAvatar::new(
            96,
            user_id.as_str().trim_start_matches('@'),
            "settings.change-avatar",
            "settings.remove-avatar",
        );
        imp.profile_top.prepend(&editable.widget);
        let _ = imp.editable.set(editable);
        imp.display_name_row.connect_apply(glib::clone!(
            #[weak(rename_to = window)]
            self,
            move |row| window.set_display_name(row.text().to_string())
        ));
        imp.matrix_id_row.set_subtitle(user_id.as_str());
    }

    fn editable(&self) -> &EditableAvatar {
        self.imp().editable.get().expect("made in new")
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
        let editable = self.editable();
        if let Some(name) = &profile.display_name {
            self.imp().display_name_row.set_text(name);
            editable.avatar.set_text(Some(name));
        }
        let own = profile.avatar_url.clone().map(|url| avatars::Avatar {
            url,
            trust: crate::engine::media::autoload::SenderTrust {
                own: true,
                verified: false,
            },
        });
        editable.set_removable(own.is_some());
        crate::ui::avatars::show(
            &editable.avatar,
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
        let spinner = &self.imp().avatar_spinner;
        spinner.set_visible(busy);
        spinner.set_spinning(busy);
        self.editable().widget.set_sensitive(!busy);
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
        self.editable().avatar.clone()
    }

    /// The display name field on the profile page.
    pub fn display_name_row(&self) -> adw::EntryRow {
        self.imp().display_name_row.get()
    }
}
