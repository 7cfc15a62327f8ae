//! Signing in through the greeter's widgets: the real window on a real Synapse and Secret
//! Service, with screenshots of the greeter, an error, and the signed-in window.

use std::time::Duration;

use gtk::prelude::*;
use sotto::ui::window::Window;

use crate::harness::ui::{
    button, on_gtk_thread, open_window, screenshot, settle, toplevel, wait_for,
};
use crate::harness::{self, TestProfile, synapse};

const SIGN_IN_PATIENCE: Duration = Duration::from_secs(60);

fn fill_in(window: &Window, homeserver: &str, username: &str, password: &str) {
    let (server_row, user_row, password_row) = window.greeter().fields();
    server_row.set_text(homeserver);
    user_row.set_text(username);
    password_row.set_text(password);
}

fn sign_in(window: &Window) {
    assert!(
        window
            .greeter()
            .activate_action("greeter.sign-in", None)
            .is_ok(),
        "the Sign In action exists"
    );
}

#[test]
fn greeter_signs_in_and_shows_errors() {
    let test = TestProfile::new();
    let server = synapse::shared();
    let user = harness::runtime().block_on(server.register("greeter"));
    let accounts = test.accounts.clone();
    let url = server.url();
    on_gtk_thread(move || {
        let window = open_window(accounts, 360, 720, "greeter");
        screenshot(&window, "greeter-360x720");

        // A full Matrix ID fills in the server.
        let (server_row, user_row, password_row) = window.greeter().fields();
        user_row.set_text("@someone:example.org");
        assert_eq!(server_row.text(), "example.org");
        user_row.set_text("");

        // The wrong password: a clear message, the password emptied, the rest kept.
        fill_in(&window, &url, &user.localpart, "wrong password");
        sign_in(&window);
        wait_for(
            "the error",
            SIGN_IN_PATIENCE,
            || window.greeter().error().is_some(),
            || window.page(),
        );
        assert_eq!(
            window.greeter().error().as_deref(),
            Some("Wrong username or password.")
        );
        assert_eq!(password_row.text(), "");
        assert_eq!(user_row.text(), user.localpart.as_str());
        assert_eq!(window.page(), "greeter");
        settle();
        screenshot(&window, "greeter-wrong-password-360x720");

        // The right one: the window shows the account.
        password_row.set_text(&user.password);
        sign_in(&window);
        wait_for(
            "the signed-in window",
            SIGN_IN_PATIENCE,
            || window.page() == "session",
            || {
                format!(
                    "page {}, error {:?}",
                    window.page(),
                    window.greeter().error()
                )
            },
        );
        assert_eq!(
            window.session().map(|s| s.user_id().to_string()),
            Some(user.user_id.clone())
        );
        wait_for(
            "the sync",
            SIGN_IN_PATIENCE,
            || window.sync().is_some(),
            || "no sync".into(),
        );
        assert_eq!(window.offline_banner(), None);
        screenshot(&window, "signed-in-360x720");
        // A new account's empty list offers the ways to a first conversation.
        for label in ["New Direct Chat…", "Join Room…", "New Room…"] {
            assert!(button(&window, label).is_mapped(), "{label} is shown");
        }
        button(&window, "Join Room…").emit_clicked();
        let dialog = toplevel::<gtk::Window>("Join Room");
        dialog.close();
        window.destroy();
    });
    assert_eq!(
        test.accounts.list().unwrap().len(),
        1,
        "the account is kept"
    );
}

#[test]
fn greeter_at_desktop_width() {
    let test = TestProfile::new();
    let accounts = test.accounts.clone();
    on_gtk_thread(move || {
        let window = open_window(accounts, 1280, 800, "greeter");
        fill_in(&window, "", "@alice:example.org", "");
        settle();
        screenshot(&window, "greeter-1280x800");
        window.destroy();
    });
}

#[test]
fn a_saved_account_opens_without_the_greeter() {
    let (test, user) = TestProfile::signed_in("restored-ui");
    let accounts = test.accounts.clone();
    on_gtk_thread(move || {
        let window = open_window(accounts, 1280, 800, "session");
        assert_eq!(
            window.session().map(|s| s.user_id().to_string()),
            Some(user.user_id.clone())
        );
        screenshot(&window, "signed-in-1280x800");
        window.destroy();
    });
}

/// The start-up of `main`: the account is restored and its stored rooms listed on the
/// engine's threads while GTK starts; the window takes that over and starts the sync.
#[test]
fn a_head_start_shows_the_stored_rooms_and_then_syncs() {
    let (test, user) = TestProfile::signed_in("head-start");
    harness::runtime().block_on(async {
        let session = test
            .accounts
            .restore(&test.accounts.list().unwrap()[0])
            .await
            .unwrap();
        sotto::engine::rooms::create_room(
            &session,
            sotto::engine::rooms::CreateRoom {
                name: "Head start room".into(),
                topic: None,
                invitees: Vec::new(),
                public: false,
                encrypted: true,
            },
        )
        .await
        .expect("a room");
        // The room reaches the store through a sync.
        let sync = sotto::engine::sync::AccountSync::start(&session)
            .await
            .unwrap();
        sync.wait_until_rooms_synced(Duration::from_secs(60))
            .await
            .unwrap();
        sync.stop().await;
    });
    let accounts = test.accounts.clone();
    on_gtk_thread(move || {
        sotto::ui::window::begin_head_start(accounts);
        let window = Window::new(&crate::harness::ui::app());
        window.start_head_start(sotto::ui::window::take_head_start().expect("begun"));
        assert!(sotto::ui::window::take_head_start().is_none(), "taken once");
        crate::harness::ui::present_at(&window, 360, 720);
        wait_for(
            "the stored room",
            SIGN_IN_PATIENCE,
            || window.page() == "session" && window.rooms().n_items() > 0,
            || format!("page {}", window.page()),
        );
        assert_eq!(
            window.session().map(|s| s.user_id().to_string()),
            Some(user.user_id.clone())
        );
        wait_for(
            "the sync to run",
            SIGN_IN_PATIENCE,
            || {
                window
                    .sync()
                    .is_some_and(|s| s.state() == sotto::engine::sync::SyncState::Syncing)
            },
            || format!("{:?}", window.sync().map(|s| s.state())),
        );
        window.destroy();
    });
}
