//! Names that others choose are shown as they are, never read as markup: a room name, a
//! display name and a session name full of markup characters go through the room list, the
//! room header, the room details, the members list, the sessions list and a toast, and each
//! shows exactly that text. Read as markup, `R&D <b>x</b> </span>` is refused by Pango and
//! the label stays empty (or shows a bold "x" once the markup happens to be valid).

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use adw::prelude::*;
use gtk::glib;
use matrix_sdk::Client;
use sotto::engine::rooms;
use sotto::ui::account_settings::AccountSettings;

use crate::harness::ui::{all, on_gtk_thread, open_window, screenshot, settle, toplevel, wait_for};
use crate::harness::{self, PATIENCE, TestProfile, peers, synapse};
use crate::ui::trust::{engine, open_settings};

const NAME: &str = "R&D <b>x</b> </span>";

/// The GLib warnings about text that failed to parse as markup, from now on. GTK logs them
/// (structured logging, so only a writer function sees them) and shows nothing instead.
fn markup_warnings() -> &'static Mutex<Vec<String>> {
    static WARNINGS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    WARNINGS.get_or_init(|| {
        glib::log_set_writer_func(|level, fields| {
            if let Some(message) = fields
                .iter()
                .find(|f| f.key() == "MESSAGE")
                .and_then(|f| f.value_str())
                && message.contains("from markup")
            {
                markup_warnings()
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(message.to_owned());
            }
            glib::log_writer_default(level, fields)
        });
        Mutex::new(Vec::new())
    })
}

fn assert_no_markup_warning_about(text: &str) {
    let about: Vec<String> = markup_warnings()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter(|w| w.contains(text))
        .cloned()
        .collect();
    assert!(about.is_empty(), "read as markup: {about:#?}");
}

/// The texts of the labels under `root` that show, for the failure messages.
fn texts(root: &impl IsA<gtk::Widget>) -> Vec<String> {
    all::<gtk::Label>(root)
        .iter()
        .map(|l| l.text().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

/// Whether a label under `root` shows exactly `text`.
fn shows(root: &impl IsA<gtk::Widget>, text: &str) -> bool {
    all::<gtk::Label>(root).iter().any(|l| l.text() == text)
}

fn wait_until_shown(what: &str, root: &impl IsA<gtk::Widget>, text: &str) {
    wait_for(
        what,
        PATIENCE,
        || shows(root, text),
        || format!("{:?}", texts(root)),
    );
}

#[test]
fn names_with_markup_characters_show_as_they_are() {
    let test = TestProfile::new();
    let server = synapse::shared();
    let (room_id, friend_id, device_id) = harness::runtime().block_on(async {
        let (user, session, friend) = test.signed_in_with_friend(server, "markup").await;
        peers::set_display_name(&friend, NAME).await;
        let room = peers::create_room(&friend, NAME, false, &[&user.user_id]).await;
        session
            .client()
            .join_room_by_id(room.room_id())
            .await
            .unwrap();
        // Another session of the account, named so (by whoever signed it in).
        let other = Client::builder()
            .homeserver_url(server.url())
            .build()
            .await
            .unwrap();
        other
            .matrix_auth()
            .login_username(&user.localpart, &user.password)
            .initial_device_display_name(NAME)
            .send()
            .await
            .unwrap();
        let device_id = other.device_id().unwrap().to_string();
        (
            room.room_id().to_string(),
            friend.user_id().unwrap().to_string(),
            device_id,
        )
    });

    let accounts = test.accounts.clone();
    on_gtk_thread(move || {
        markup_warnings();
        let window = open_window(accounts, 360, 720, "session");
        // The room list.
        wait_until_shown("the room in the list", &window.room_list_pane(), NAME);

        // The room's header.
        window.open_room(&crate::harness::rid(&room_id));
        wait_for(
            "the room's header",
            PATIENCE,
            || window.room_view().header_title().0 == NAME && shows(&window, NAME),
            || format!("{:?}", window.room_view().header_title()),
        );
        screenshot(&window, "markup-room-360x720");

        // The room details: its name, and the friend among the members.
        WidgetExt::activate_action(&window, "win.room-details", Some(&room_id.to_variant()))
            .unwrap();
        let details: adw::PreferencesWindow = toplevel(NAME);
        let friend_row = |w: &adw::PreferencesWindow| {
            all::<adw::ActionRow>(w)
                .into_iter()
                .find(|r| r.widget_name() == friend_id.as_str())
        };
        wait_for(
            "the members",
            Duration::from_secs(30),
            || friend_row(&details).is_some(),
            || format!("{:?}", texts(&details)),
        );
        assert!(
            shows(&friend_row(&details).unwrap(), NAME),
            "{:?}",
            texts(&details)
        );
        let name_row = all::<adw::ActionRow>(&details)
            .into_iter()
            .find(|r| r.title() == "Name")
            .expect("the name row");
        assert!(shows(&name_row, NAME), "{:?}", texts(&name_row));
        screenshot(&details, "markup-room-details-360x720");
        details.destroy();

        // The sessions list of the account settings.
        let settings: AccountSettings = open_settings(&window);
        settings.reload_devices();
        wait_for(
            "the other session",
            PATIENCE,
            || {
                settings
                    .other_session_rows()
                    .iter()
                    .any(|r| r.0 == device_id)
            },
            || format!("{:?}", settings.other_session_rows()),
        );
        let row = all::<adw::ActionRow>(&settings)
            .into_iter()
            .find(|r| r.widget_name() == device_id.as_str())
            .expect("the session's row");
        assert!(shows(&row, NAME), "{:?}", texts(&row));
        screenshot(&settings, "markup-sessions-360x720");
        settings.destroy();

        // A toast naming the room: the account leaves it while it is open.
        let session = window.session().expect("the session");
        {
            let room_id = room_id.clone();
            engine(async move {
                rooms::leave(&session, &crate::harness::rid(&room_id))
                    .await
                    .unwrap();
            });
        }
        let toast = format!("You are no longer in “{NAME}”.");
        wait_until_shown("the toast", &window, &toast);
        settle();
        screenshot(&window, "markup-toast-360x720");
        window.destroy();
        assert_no_markup_warning_about("R&D");
    });
}

/// The helpers every status page and toast goes through (the verification dialog's pages,
/// the window's problem page) show the text as it is.
#[test]
fn status_pages_and_toasts_show_text_as_it_is() {
    on_gtk_thread(|| {
        markup_warnings();
        let page = adw::StatusPage::new();
        let text = format!("Your session {NAME} wants to verify this session.");
        sotto::ui::widgets::set_status_description(&page, Some(&text));
        assert!(shows(&page, &text), "{:?}", texts(&page));

        let overlay = adw::ToastOverlay::new();
        let window = gtk::Window::new();
        window.set_child(Some(&overlay));
        window.present();
        overlay.add_toast(sotto::ui::widgets::toast(&text));
        wait_until_shown("the toast", &overlay, &text);
        window.destroy();
        assert_no_markup_warning_about("R&D");
    });
}
