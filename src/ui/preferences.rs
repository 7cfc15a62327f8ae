//! The Preferences window: notifications and running in the background, and how much of
//! the person's activity other members see.

use std::cell::Cell;
use std::rc::Rc;

use adw::prelude::*;
use gtk::{gio, glib};

use crate::i18n::gettext;
use crate::ui::gsettings::settings;
use crate::ui::portal::{Backend, BackgroundAnswer};

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
    show_preferences_with(parent, Backend::detect())
}

/// [`show_preferences`], reaching the desktop through `backend`.
pub fn show_preferences_with(
    parent: &impl IsA<gtk::Window>,
    backend: Backend,
) -> adw::PreferencesWindow {
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
    page.add(&pictures_group());
    window.add(&notifications_page(backend));
    window.add(&page);
    window.present();
    window
}

/// When pictures from others load by themselves (`media-autoload`).
fn pictures_group() -> adw::PreferencesGroup {
    let group = adw::PreferencesGroup::builder()
        .title(gettext("Pictures"))
        .build();
    let row = adw::ComboRow::builder()
        .use_markup(false)
        .title(gettext("Load Pictures"))
        .subtitle(gettext(
            "Loading a picture tells the server that you looked at it. Pictures from people you have verified always load; in invitations nothing loads.",
        ))
        .model(&gtk::StringList::new(&[
            &gettext("Always"),
            &gettext("In direct chats; in groups on a tap"),
            &gettext("Only on a tap"),
        ]))
        .name("media-autoload")
        .build();
    let stored = settings();
    row.set_selected(match stored.string("media-autoload").as_str() {
        "always" => 0,
        "never" => 2,
        _ => 1,
    });
    row.connect_selected_notify(move |row| {
        let nick = match row.selected() {
            0 => "always",
            2 => "never",
            _ => "direct-chats",
        };
        if let Err(err) = stored.set_string("media-autoload", nick) {
            tracing::warn!("could not store the picture setting: {err}");
        }
    });
    group.add(&row);
    group
}

/// The page of notifications and running in the background.
fn notifications_page(backend: Backend) -> adw::PreferencesPage {
    let page = adw::PreferencesPage::builder()
        .title(gettext("Notifications"))
        .icon_name("preferences-system-notifications-symbolic")
        .name("notifications")
        .build();
    let group = adw::PreferencesGroup::builder()
        .title(gettext("Notifications"))
        .build();
    if !crate::ui::notifications::server_present_with(backend) {
        let missing = adw::ActionRow::builder()
            .use_markup(false)
            .title(gettext("Notifications cannot be shown"))
            .subtitle(gettext(
                "No notification service answers on this desktop. Sotto keeps working; messages show in its window.",
            ))
            .name("no-notification-server")
            .build();
        missing.add_prefix(&gtk::Image::from_icon_name("dialog-warning-symbolic"));
        group.add(&missing);
    }
    group.add(&switch_row(
        &gettext("Show Notifications"),
        &gettext(
            "For messages, mentions and invitations, as each account's notification rules say.",
        ),
        "notifications",
    ));
    let content = adw::ComboRow::builder()
        .use_markup(false)
        .title(gettext("Notifications Show"))
        .subtitle(gettext(
            "A phone's lock screen shows what a notification says.",
        ))
        .model(&gtk::StringList::new(&[
            &gettext("Sender and message"),
            &gettext("Sender only"),
            &gettext("Nothing but “New message”"),
        ]))
        .name("notification-content")
        .build();
    let stored = settings();
    content.set_selected(match stored.string("notification-content").as_str() {
        "message" => 0,
        "nothing" => 2,
        _ => 1,
    });
    content.connect_selected_notify(move |row| {
        let nick = match row.selected() {
            0 => "message",
            2 => "nothing",
            _ => "sender",
        };
        if let Err(err) = stored.set_string("notification-content", nick) {
            tracing::warn!("could not store the notification setting: {err}");
        }
    });
    settings()
        .bind("notifications", &content, "sensitive")
        .flags(gio::SettingsBindFlags::GET)
        .build();
    group.add(&content);
    page.add(&group);

    let background = adw::PreferencesGroup::builder()
        .title(gettext("Background"))
        .build();
    background.add(&switch_row(
        &gettext("Run in Background"),
        &gettext(
            "Keep receiving messages when the window is closed. Quit from the menu ends Sotto.",
        ),
        "run-in-background",
    ));
    background.add(&start_at_login_row(backend));
    page.add(&background);
    page
}

/// "Start at login": on the host it writes or removes the autostart entry; through the
/// portals it asks the Background portal, and shows what the portal granted.
fn start_at_login_row(backend: Backend) -> adw::ActionRow {
    let switch = gtk::Switch::builder()
        .valign(gtk::Align::Center)
        .active(crate::ui::autostart::is_enabled_with(backend))
        .build();
    let row = adw::ActionRow::builder()
        .use_markup(false)
        .title(gettext("Start at Login"))
        .subtitle(gettext(
            "Start without a window when you log in, to receive messages from the start.",
        ))
        .activatable_widget(&switch)
        .name("start-at-login")
        .build();
    // Set while the switch is moved to what the portal answered, which is no request.
    let answering = Rc::new(Cell::new(false));
    switch.connect_state_set(glib::clone!(
        #[weak]
        row,
        #[upgrade_or]
        glib::Propagation::Proceed,
        move |switch, on| {
            if answering.get() {
                return glib::Propagation::Proceed;
            }
            match backend {
                Backend::Host => set_entry(&row, switch, on),
                Backend::Portal => {
                    ask_portal(&row, switch, on, answering.clone());
                    // The switch shows the request until the portal answers.
                    glib::Propagation::Stop
                }
            }
        }
    ));
    row.add_suffix(&switch);
    row
}

/// Writes or removes the autostart entry for the switch of `row`.
fn set_entry(row: &adw::ActionRow, switch: &gtk::Switch, on: bool) -> glib::Propagation {
    if let Err(err) = crate::ui::autostart::set_enabled(on) {
        tracing::warn!("could not change the autostart entry: {err}");
        if let Some(window) = row.root().and_downcast::<adw::PreferencesWindow>() {
            window.add_toast(adw::Toast::new(&gettext(
                "Could not change how Sotto starts at login.",
            )));
        }
        switch.set_active(crate::ui::autostart::is_enabled_with(Backend::Host));
        return glib::Propagation::Stop;
    }
    glib::Propagation::Proceed
}

/// Asks the Background portal for starting at login (`on`) or not; meanwhile the switch
/// cannot be moved. Afterwards it shows what the portal granted, and the row's subtitle says
/// why when that is not what was asked. The answer is remembered even when the window has
/// closed meanwhile.
fn ask_portal(row: &adw::ActionRow, switch: &gtk::Switch, on: bool, answering: Rc<Cell<bool>>) {
    switch.set_sensitive(false);
    let row = row.downgrade();
    let switch = switch.downgrade();
    crate::ui::bridge::spawn_ui(async move {
        let answer = match gio::bus_get_future(gio::BusType::Session).await {
            Ok(connection) => crate::ui::autostart::request_through_portal(&connection, on).await,
            Err(err) => {
                tracing::warn!("no session bus to ask the Background portal: {err}");
                BackgroundAnswer::NoPortal
            }
        };
        let (Some(row), Some(switch)) = (row.upgrade(), switch.upgrade()) else {
            return;
        };
        let enabled = crate::ui::autostart::is_enabled_with(Backend::Portal);
        answering.set(true);
        switch.set_active(enabled);
        switch.set_state(enabled);
        answering.set(false);
        switch.set_sensitive(true);
        let problem = match answer {
            BackgroundAnswer::Refused => Some(gettext(
                "Sotto is not allowed to start at login. Allow it in the system settings.",
            )),
            BackgroundAnswer::Granted {
                autostart: false, ..
            } if on => Some(gettext(
                "Sotto is not allowed to start at login. Allow it in the system settings.",
            )),
            BackgroundAnswer::NoPortal | BackgroundAnswer::Failed => {
                Some(gettext("Starting at login is not available here."))
            }
            BackgroundAnswer::Granted { .. } => None,
        };
        let subtitle = problem.unwrap_or_else(|| {
            gettext("Start without a window when you log in, to receive messages from the start.")
        });
        row.set_subtitle(&subtitle);
    });
}
