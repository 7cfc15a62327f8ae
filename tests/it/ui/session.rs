//! The signed-in window's account actions: signing out with a confirmation, and a session
//! ended from another device.

use std::time::Duration;

use adw::prelude::MessageDialogExt;
use gtk::prelude::*;
use sotto::ui::window::Window;

use crate::harness::ui::{
    app, on_gtk_thread, open_window, present_at, screenshot, settle, wait_for,
};
use crate::harness::{self, TestProfile, peers, synapse};

const PATIENCE: Duration = Duration::from_secs(60);

fn message_dialog() -> Option<adw::MessageDialog> {
    gtk::Window::list_toplevels()
        .into_iter()
        .find_map(|w| w.downcast::<adw::MessageDialog>().ok())
        .filter(|d| d.is_visible())
}

#[test]
fn signing_out_asks_first_then_removes_the_account() {
    let (test, user) = TestProfile::signed_in("ui-signout");
    let accounts = test.accounts.clone();
    on_gtk_thread(move || {
        let window = open_window(accounts, 360, 720, "session");

        assert!(WidgetExt::activate_action(&window, "win.sign-out", None).is_ok());
        wait_for(
            "the confirmation",
            PATIENCE,
            || message_dialog().is_some(),
            String::new,
        );
        let dialog = message_dialog().unwrap();
        assert!(
            dialog.body().contains(&user.user_id),
            "the dialog names the account"
        );
        settle();
        screenshot(&dialog, "sign-out-dialog");

        // Cancelling keeps everything.
        MessageDialogExt::response(&dialog, "cancel");
        settle();
        assert_eq!(window.page(), "session");

        assert!(WidgetExt::activate_action(&window, "win.sign-out", None).is_ok());
        wait_for(
            "the confirmation",
            PATIENCE,
            || message_dialog().is_some(),
            String::new,
        );
        MessageDialogExt::response(&message_dialog().unwrap(), "confirm");
        wait_for(
            "the greeter",
            PATIENCE,
            || window.page() == "greeter",
            || window.page(),
        );
        window.destroy();
    });
    assert!(
        test.accounts.list().unwrap().is_empty(),
        "the account is gone"
    );
}

#[test]
fn a_session_ended_elsewhere_offers_to_sign_in_again() {
    let (test, user) = TestProfile::signed_in("ui-revoked");
    let accounts = test.accounts.clone();
    let server = synapse::shared();
    let device = harness::runtime().block_on(async {
        let entry = test.accounts.list().unwrap().remove(0);
        test.accounts.restore(&entry).await.unwrap().device_id()
    });
    let revoker = user.clone();
    on_gtk_thread(move || {
        let window = Window::new(&app());
        window.start(accounts);
        present_at(&window, 360, 720);
        wait_for(
            "the sync",
            PATIENCE,
            || window.sync().is_some(),
            || window.page(),
        );

        // The person signs this device out from another one.
        std::thread::spawn(move || {
            harness::runtime().block_on(async {
                let other = peers::login(server, &revoker).await;
                peers::delete_device(&other, &revoker, &device).await;
            });
        });
        wait_for(
            "the problem page",
            PATIENCE,
            || window.page() == "problem",
            || window.page(),
        );
        settle();
        screenshot(&window, "session-ended-360x720");

        assert!(WidgetExt::activate_action(&window, "win.sign-in-again", None).is_ok());
        wait_for(
            "the greeter",
            PATIENCE,
            || window.page() == "greeter",
            || window.page(),
        );
        let (_, username, _) = window.greeter().fields();
        assert_eq!(
            username.text(),
            user.user_id.as_str(),
            "the Matrix ID is filled in"
        );
        window.destroy();
    });
    assert!(
        test.accounts.list().unwrap().is_empty(),
        "the dead session is forgotten"
    );
}

#[test]
fn after_a_soft_logout_the_password_brings_the_same_device_back() {
    let test = TestProfile::new();
    // Access tokens that expire: Synapse then reports a soft logout.
    let server = synapse::Synapse::start_with_config("session_lifetime: 20s");
    let (user, device) = harness::runtime().block_on(async {
        let user = server.register("ui-soft").await;
        let session = test
            .accounts
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .unwrap();
        (user, session.device_id())
    });
    let accounts = test.accounts.clone();
    on_gtk_thread(move || {
        let window = open_window(accounts, 360, 720, "session");
        wait_for(
            "the soft logout",
            Duration::from_secs(90),
            || window.page() == "problem",
            || window.page(),
        );
        settle();
        screenshot(&window, "soft-logout-360x720");
        assert!(WidgetExt::activate_action(&window, "win.sign-in-again", None).is_ok());
        assert_eq!(window.page(), "greeter");
        let (_, username, password) = window.greeter().fields();
        assert_eq!(username.text(), user.user_id.as_str());
        password.set_text(&user.password);
        assert!(WidgetExt::activate_action(&window.greeter(), "greeter.sign-in", None).is_ok());
        wait_for(
            "the account again",
            PATIENCE,
            || window.page() == "session",
            || format!("{} {:?}", window.page(), window.greeter().error()),
        );
        assert_eq!(
            window.session().map(|s| s.device_id()),
            Some(device.clone()),
            "the same device"
        );
        window.destroy();
    });
    assert_eq!(
        test.accounts.list().unwrap().len(),
        1,
        "the account was kept"
    );
}
