//! The account switcher of the main window: the list of signed-in accounts in the header's
//! menu, each with its picture, and switching to one.

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::glib;

use super::Window;
use super::accounts::restore_and_activate;
use crate::engine::avatars::own_avatar;
use crate::engine::ids::{OwnedUserId, UserId};
use crate::engine::media::autoload::RoomKind;
use crate::i18n::gettext;
use crate::ui::bridge::run_for;

impl Window {
    pub(super) fn setup_account_switcher(&self) {
        let imp = self.imp();
        imp.account_popover.connect_show(glib::clone!(
            #[weak(rename_to = window)]
            self,
            move |_| window.fill_account_list()
        ));
        imp.account_list.connect_row_activated(glib::clone!(
            #[weak(rename_to = window)]
            self,
            move |_, row| {
                // The row's name is the account's ID, set from the account list.
                let Ok(user_id) = UserId::parse(row.widget_name().as_str()) else {
                    return;
                };
                window.imp().account_popover.popdown();
                window.switch_account(&user_id);
            }
        ));
    }

    /// The account switcher's button in the sidebar header.
    pub fn account_button(&self) -> gtk::MenuButton {
        self.imp().account_button.clone()
    }

    /// The signed-in accounts, for the switcher: user ID, and whether it is shown.
    pub fn account_switcher_entries(&self) -> Vec<(OwnedUserId, bool)> {
        let shown = self.session().map(|s| s.user_id());
        self.accounts()
            .map_or(Ok(Vec::new()), |a| a.list())
            .unwrap_or_default()
            .into_iter()
            .map(|a| {
                let active = shown.as_ref() == Some(&a.user_id);
                (a.user_id, active)
            })
            .collect()
    }

    /// Opens the account switcher, as its button does, and returns it.
    pub fn open_account_switcher(&self) -> gtk::Popover {
        let popover = self.imp().account_popover.get();
        popover.popup();
        popover
    }

    /// The avatars of the account switcher's rows, in their order.
    pub fn account_switcher_avatars(&self) -> Vec<adw::Avatar> {
        let mut avatars = Vec::new();
        let mut row = self.imp().account_list.first_child();
        while let Some(current) = row {
            let avatar = current
                .first_child()
                .and_then(|row_box| row_box.first_child())
                .and_downcast::<adw::Avatar>();
            avatars.extend(avatar);
            row = current.next_sibling();
        }
        avatars
    }

    fn fill_account_list(&self) {
        let list = self.imp().account_list.clone();
        // ListBox::remove_all needs GTK 4.12.
        while let Some(row) = list.first_child() {
            list.remove(&row);
        }
        for (user_id, active) in self.account_switcher_entries() {
            let row_box = gtk::Box::builder()
                .spacing(12)
                .margin_top(6)
                .margin_bottom(6)
                .build();
            let avatar = adw::Avatar::new(32, Some(user_id.as_str().trim_start_matches('@')), true);
            if let Some(open) = self.accounts().and_then(|p| p.running().get(&user_id)) {
                let session = open.session;
                run_for(
                    &avatar,
                    {
                        let session = session.clone();
                        async move { own_avatar(&session).await }
                    },
                    move |avatar, own| {
                        crate::ui::avatars::show(
                            avatar,
                            &session.avatars(),
                            own.as_ref(),
                            RoomKind::Direct,
                        );
                    },
                );
            }
            let label = gtk::Label::builder()
                .label(user_id.as_str())
                .xalign(0.0)
                .hexpand(true)
                .ellipsize(gtk::pango::EllipsizeMode::Middle)
                .build();
            let check = gtk::Image::from_icon_name("object-select-symbolic");
            check.set_visible(active);
            check.set_tooltip_text(Some(&gettext("Shown now")));
            row_box.append(&avatar);
            row_box.append(&label);
            row_box.append(&check);
            let row = gtk::ListBoxRow::builder().child(&row_box).build();
            row.set_widget_name(user_id.as_str());
            list.append(&row);
        }
    }

    /// Shows the account `user_id` (restored from its store) instead of the one shown now.
    pub fn switch_account(&self, user_id: &UserId) {
        let Some(accounts) = self.accounts() else {
            return;
        };
        if self.session().is_some_and(|s| s.user_id() == user_id) {
            return;
        }
        let Some(entry) = accounts
            .list()
            .unwrap_or_default()
            .into_iter()
            .find(|a| a.user_id == user_id)
        else {
            return;
        };
        if let Some(previous) = self.imp().active.take() {
            previous.stop();
        }
        self.imp().main_stack.set_visible_child_name("loading");
        run_for(
            self,
            async move { restore_and_activate(&accounts, entry).await },
            Self::show_opened,
        );
    }
}
