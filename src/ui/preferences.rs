//! The Preferences window: how much of the person's activity other members see.

use adw::prelude::*;
use gtk::gio;

use crate::i18n::gettext;
use crate::ui::settings::settings;

/// A switch row bound to the boolean GSettings `key`.
fn switch_row(title: &str, subtitle: &str, key: &str) -> adw::ActionRow {
    let switch = gtk::Switch::builder().valign(gtk::Align::Center).build();
    settings()
        .bind(key, &switch, "active")
        .flags(gio::SettingsBindFlags::DEFAULT)
        .build();
    let row = adw::ActionRow::builder()
        .use_markup(false)
        .title(title)
        .subtitle(subtitle)
        .activatable_widget(&switch)
        .build();
    row.add_suffix(&switch);
    row
}

/// Builds the Preferences window over `parent`, and shows it.
pub fn show_preferences(parent: &impl IsA<gtk::Window>) -> adw::PreferencesWindow {
    let window = adw::PreferencesWindow::builder()
        .transient_for(parent)
        .modal(true)
        .search_enabled(false)
        .build();
    let page = adw::PreferencesPage::builder()
        .title(gettext("Privacy"))
        .icon_name("channel-secure-symbolic")
        .build();
    let group = adw::PreferencesGroup::builder()
        .title(gettext("What Others See"))
        .build();
    group.add(&switch_row(
        &gettext("Private Read Receipts"),
        &gettext("Tell only your homeserver how far you have read, not the other members."),
        "private-read-receipts",
    ));
    group.add(&switch_row(
        &gettext("Typing Notices"),
        &gettext("Let the other members see when you are typing."),
        "send-typing-notices",
    ));
    page.add(&group);
    window.add(&page);
    window.present();
    window
}
