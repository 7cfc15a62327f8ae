//! Several accounts in the window: add one through the greeter, switch with the account
//! switcher, and the one shown last opens first at the next start.

use std::time::Duration;

use gtk::prelude::*;

use crate::harness::ui::{on_gtk_thread, open_window, screenshot, settle, wait_for};
use crate::harness::{self, TestProfile, synapse};

const PATIENCE: Duration = Duration::from_secs(60);

#[test]
fn add_a_second_account_and_switch_between_them() {
    let (test, first) = TestProfile::signed_in("switch-one");
    let second = harness::runtime().block_on(synapse::shared().register("switch-two"));
    let url = synapse::shared().url();
    let accounts = test.accounts.clone();
    let again = test.accounts.clone();
    let (first_id, second_id) = (first.user_id.clone(), second.user_id.clone());
    on_gtk_thread(move || {
        let window = open_window(accounts, 360, 720, "session");
        let shown = |w: &sotto::ui::window::Window| w.session().map(|s| s.user_id());
        assert_eq!(shown(&window), Some(crate::harness::uid(&first.user_id)));

        // Add Account opens the greeter with a way back.
        assert!(WidgetExt::activate_action(&window, "win.add-account", None).is_ok());
        assert_eq!(window.page(), "greeter");
        let (server_row, user_row, password_row) = window.greeter().fields();
        server_row.set_text(&url);
        user_row.set_text(&second.localpart);
        password_row.set_text(&second.password);
        assert!(WidgetExt::activate_action(&window.greeter(), "greeter.sign-in", None).is_ok());
        wait_for(
            "the second account",
            PATIENCE,
            || shown(&window) == Some(crate::harness::uid(second.user_id.clone())),
            || format!("{} {:?}", window.page(), window.greeter().error()),
        );
        assert_eq!(window.page(), "session");

        // The switcher lists both, the shown one marked.
        let entries = window.account_switcher_entries();
        assert_eq!(
            entries,
            vec![
                (crate::harness::uid(&first.user_id), false),
                (crate::harness::uid(&second.user_id), true)
            ]
        );
        window.account_button().popup();
        settle();
        let popover = window.account_button().popover().expect("the switcher");
        screenshot(&popover, "account-switcher-popover");
        window.account_button().popdown();
        window.switch_account(&crate::harness::uid(&first.user_id));
        wait_for(
            "the first account again",
            PATIENCE,
            || {
                window.page() == "session"
                    && shown(&window) == Some(crate::harness::uid(first.user_id.clone()))
            },
            || window.page(),
        );
        settle();
        screenshot(&window, "account-switched-360x720");
        window.destroy();

        // The account shown last opens first.
        let window = open_window(again, 1280, 800, "session");
        assert_eq!(shown(&window), Some(crate::harness::uid(&first.user_id)));
        window.destroy();
    });
    let accounts: Vec<String> = test
        .accounts
        .list()
        .unwrap()
        .into_iter()
        .map(|a| a.user_id.to_string())
        .collect();
    assert_eq!(accounts, vec![first_id, second_id]);
}
