//! The trust screens in the real window: the emoji dialog against another session driven by
//! the engine, the sessions page, the recovery key screen, and the identity-change banner.

use std::future::Future;
use std::sync::mpsc;
use std::time::Duration;

use adw::prelude::*;
use futures_util::StreamExt;
use sotto::engine::session::Session;
use sotto::engine::trust::verification::{FlowState, Verifications};
use sotto::engine::trust::{cross_signing, identities, recovery};
use sotto::ui::account_settings::AccountSettings;
use sotto::ui::trust::identity_banner::IdentityBanner;
use sotto::ui::trust::verification::VerificationDialog;
use sotto::ui::window::Window;

use crate::engine::trust::{eventually, next_matching, second_session, wait_for_device};
use crate::harness::ui::{on_gtk_thread, present_at, screenshot, settle, wait_for};
use crate::harness::{self, PATIENCE, TestProfile, peers, synapse};

/// Runs `future` on the UI's tokio runtime (where the window's session lives) while the
/// main loop keeps running, and returns its output.
pub(crate) fn engine<T: Send + 'static>(future: impl Future<Output = T> + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    sotto::ui::bridge::runtime().spawn(async move {
        let _ = tx.send(future.await);
    });
    let mut result = None;
    wait_for(
        "the engine",
        PATIENCE * 2,
        || {
            if result.is_none() {
                result = rx.try_recv().ok();
            }
            result.is_some()
        },
        String::new,
    );
    result.unwrap()
}

pub(crate) fn toplevel<T: IsA<gtk::Window> + IsA<gtk::Widget>>() -> Option<T> {
    gtk::Window::list_toplevels()
        .into_iter()
        .filter(|w| w.is_visible())
        .find_map(|w| w.downcast::<T>().ok())
}

pub(crate) fn message_dialog(name: &str) -> Option<adw::MessageDialog> {
    gtk::Window::list_toplevels()
        .into_iter()
        .filter(|w| w.is_visible() && w.widget_name() == name)
        .find_map(|w| w.downcast::<adw::MessageDialog>().ok())
}

pub(crate) fn wait_for_dialog(name: &str) -> adw::MessageDialog {
    wait_for(
        name,
        PATIENCE,
        || message_dialog(name).is_some(),
        String::new,
    );
    message_dialog(name).unwrap()
}

/// The window on `accounts` with its sync running and its verifications listening.
pub(crate) fn window_with_sync(accounts: sotto::engine::accounts::Accounts) -> Window {
    let window = Window::new(&crate::harness::ui::app());
    window.start(accounts);
    present_at(&window, 360, 720);
    wait_for(
        "the session page",
        PATIENCE,
        || window.page() == "session",
        || format!("{}: {:?}", window.page(), status_text(window.upcast_ref())),
    );
    wait_for(
        "the sync",
        PATIENCE,
        || window.verifications().is_some(),
        || window.page(),
    );
    window
}

/// B's side before it asks to be verified: signs in as `user`, waits until it knows A's
/// session `device_a`, tells the window's side its own session through `tell` and waits
/// for `go`. The SDK drops a request from a session it does not know yet (Sotto then says
/// to ask again, see `sotto::engine::trust::missed`), so B asks only once A knows it.
async fn second_session_known_to_a(
    test_b: &TestProfile,
    user: &synapse::TestUser,
    device_a: &str,
    tell: &mpsc::Sender<String>,
    go: &mpsc::Receiver<()>,
) -> (Session, sotto::engine::sync::AccountSync) {
    let (b, sync_b) = second_session(test_b, user).await;
    wait_for_device(&b, &user.user_id, device_a).await;
    tell.send(b.device_id()).unwrap();
    go.recv().unwrap();
    (b, sync_b)
}

/// The window's side of `second_session_known_to_a`: waits for B's session, until the
/// window's session knows it, then lets B go on. Returns B's session.
fn let_b_ask(window: &Window, b_device: &mpsc::Receiver<String>, go: &mpsc::Sender<()>) -> String {
    let mut device_b = None;
    wait_for(
        "B's session",
        Duration::from_secs(120),
        || {
            if device_b.is_none() {
                device_b = b_device.try_recv().ok();
            }
            device_b.is_some()
        },
        String::new,
    );
    let device_b = device_b.unwrap();
    let session = window.session().expect("the session");
    engine({
        let device_b = device_b.clone();
        async move { wait_for_device(&session, session.user_id().as_str(), &device_b).await }
    });
    go.send(()).unwrap();
    device_b
}

pub(crate) fn open_settings(window: &Window) -> AccountSettings {
    assert!(WidgetExt::activate_action(window, "win.account-settings", None).is_ok());
    wait_for(
        "the account settings",
        PATIENCE,
        || toplevel::<AccountSettings>().is_some(),
        String::new,
    );
    // The window opens at the accounts; these tests are about sessions and recovery.
    let settings = toplevel::<AccountSettings>().unwrap();
    settings.set_visible_page_name("sessions");
    settings
}

pub(crate) fn both_sizes(window: &(impl IsA<gtk::Window> + IsA<gtk::Widget>), name: &str) {
    for (w, h) in [(360, 720), (1280, 800)] {
        present_at(window, w, h);
        screenshot(window, &format!("{name}-{w}x{h}"));
    }
}

#[test]
fn emoji_dialog_verifies_another_session_of_the_account() {
    let (test_a, user) = TestProfile::signed_in("ui-sas");
    let test_b = TestProfile::new();
    // The session closes its store inside the runtime.
    harness::runtime().block_on(async {
        test_a.restored_with_identity(&user).await;
    });
    let device_a = harness::runtime().block_on(async {
        test_a
            .accounts
            .restore(&test_a.accounts.list().unwrap()[0])
            .await
            .unwrap()
            .device_id()
    });

    // B, headless: asks to be verified, compares, confirms.
    let (emoji_tx, emoji_rx) = mpsc::channel::<Vec<String>>();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    // One keyring item per account: B signs in only once the window restored A.
    let (up_tx, up_rx) = mpsc::channel::<()>();
    let (b_device_tx, b_device_rx) = mpsc::channel::<String>();
    let user_b = user.clone();
    let b_thread = std::thread::spawn(move || {
        up_rx.recv().unwrap();
        harness::runtime().block_on(async move {
            let (b, sync_b) =
                second_session_known_to_a(&test_b, &user_b, &device_a, &b_device_tx, &go_rx).await;
            let verifications = Verifications::new(&b);
            let flow = verifications.verify_this_session().await.expect("B asks");
            let mut states = Box::pin(flow.states());
            next_matching(&mut states, "ready at B", |s| *s == FlowState::Ready).await;
            flow.start_sas().await.unwrap();
            let state = next_matching(&mut states, "the emoji at B", |s| {
                matches!(s, FlowState::Compare { .. })
            })
            .await;
            let FlowState::Compare {
                emoji: Some(emoji), ..
            } = state
            else {
                panic!("no emoji at B");
            };
            emoji_tx
                .send(emoji.into_iter().map(|e| e.symbol).collect())
                .unwrap();
            go_rx.recv().unwrap();
            flow.confirm().await.unwrap();
            next_matching(&mut states, "done at B", |s| *s == FlowState::Done).await;
            eventually("B to count as verified", || async {
                cross_signing::is_this_session_verified(&b)
            })
            .await;
            sync_b.stop().await;
        });
    });

    let accounts = test_a.accounts.clone();
    on_gtk_thread(move || {
        let window = window_with_sync(accounts);
        up_tx.send(()).unwrap();
        let_b_ask(&window, &b_device_rx, &go_tx);
        wait_for(
            "the request from B",
            PATIENCE,
            || toplevel::<VerificationDialog>().is_some(),
            String::new,
        );
        let dialog = toplevel::<VerificationDialog>().unwrap();
        wait_for(
            "the request page",
            PATIENCE,
            || dialog.page() == "requested",
            || dialog.page(),
        );
        let (title, description) = dialog.message();
        assert_eq!(title, "Verification Request");
        assert!(
            description.contains("wants to verify this session"),
            "{description}"
        );
        both_sizes(&dialog, "verification-request");

        assert!(WidgetExt::activate_action(&dialog, "verification.accept", None).is_ok());
        wait_for(
            "the emoji",
            PATIENCE,
            || dialog.page() == "compare",
            || dialog.page(),
        );
        let shown = dialog.shown_emoji();
        let expected = emoji_rx.recv_timeout(PATIENCE).expect("B's emoji");
        assert_eq!(
            shown.iter().map(|(s, _)| s.clone()).collect::<Vec<_>>(),
            expected,
            "the dialog shows B's emoji in order"
        );
        assert!(shown.iter().all(|(_, name)| !name.is_empty()));
        both_sizes(&dialog, "verification-emoji");

        assert!(WidgetExt::activate_action(&dialog, "verification.confirm", None).is_ok());
        go_tx.send(()).unwrap();
        wait_for(
            "verified",
            PATIENCE,
            || dialog.page() == "done",
            || dialog.page(),
        );
        assert!(
            dialog.message().1.contains("You verified"),
            "{:?}",
            dialog.message()
        );
        both_sizes(&dialog, "verification-done");
        assert!(WidgetExt::activate_action(&dialog, "verification.close", None).is_ok());
        settle();
        window.destroy();
    });
    b_thread.join().expect("B verified");
}

#[test]
fn emoji_dialog_says_when_the_other_side_timed_out_or_signed_out() {
    let (test_a, user) = TestProfile::signed_in("ui-sas-timeout");
    let test_b = TestProfile::new();
    harness::runtime().block_on(async {
        test_a.restored_with_identity(&user).await;
    });
    let device_a = harness::runtime().block_on(async {
        test_a
            .accounts
            .restore(&test_a.accounts.list().unwrap()[0])
            .await
            .unwrap()
            .device_id()
    });

    // B, headless: asks, reaches the emoji, then its clock "runs out": it sends `m.timeout`.
    let (emoji_tx, emoji_rx) = mpsc::channel::<()>();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (up_tx, up_rx) = mpsc::channel::<()>();
    let (b_device_tx, b_device_rx) = mpsc::channel::<String>();
    let user_b = user.clone();
    let b_thread = std::thread::spawn(move || {
        up_rx.recv().unwrap();
        harness::runtime().block_on(async move {
            let (b, sync_b) =
                second_session_known_to_a(&test_b, &user_b, &device_a, &b_device_tx, &go_rx).await;
            let verifications = Verifications::new(&b);
            let flow = verifications.verify_this_session().await.expect("B asks");
            let mut states = Box::pin(flow.states());
            next_matching(&mut states, "ready at B", |s| *s == FlowState::Ready).await;
            flow.start_sas().await.unwrap();
            next_matching(&mut states, "the emoji at B", |s| {
                matches!(s, FlowState::Compare { .. })
            })
            .await;
            emoji_tx.send(()).unwrap();
            go_rx.recv().unwrap();
            peers::send_verification_cancel_to_device(
                b.client(),
                &user_b.user_id,
                &device_a,
                &flow.flow_id(),
                "m.timeout",
            )
            .await;
            flow.cancel().await.unwrap();
            assert!(!cross_signing::is_this_session_verified(&b));

            // Once more, and B is signed out at the emoji.
            go_rx.recv().unwrap();
            let flow = verifications
                .verify_this_session()
                .await
                .expect("B asks again");
            let mut states = Box::pin(flow.states());
            next_matching(&mut states, "ready at B", |s| *s == FlowState::Ready).await;
            flow.start_sas().await.unwrap();
            next_matching(&mut states, "the emoji at B", |s| {
                matches!(s, FlowState::Compare { .. })
            })
            .await;
            emoji_tx.send(()).unwrap();
            go_rx.recv().unwrap();
            drop(verifications);
            sync_b.stop().await;
            b.client()
                .matrix_auth()
                .logout()
                .await
                .expect("B signs out");
        });
    });

    let accounts = test_a.accounts.clone();
    on_gtk_thread(move || {
        let window = window_with_sync(accounts);
        up_tx.send(()).unwrap();
        let device_b = let_b_ask(&window, &b_device_rx, &go_tx);
        wait_for(
            "the request from B",
            PATIENCE,
            || toplevel::<VerificationDialog>().is_some(),
            String::new,
        );
        let dialog = toplevel::<VerificationDialog>().unwrap();
        wait_for(
            "the request page",
            PATIENCE,
            || dialog.page() == "requested",
            || dialog.page(),
        );
        assert!(WidgetExt::activate_action(&dialog, "verification.accept", None).is_ok());
        wait_for(
            "the emoji",
            PATIENCE,
            || dialog.page() == "compare",
            || dialog.page(),
        );
        emoji_rx.recv_timeout(PATIENCE).expect("B at the emoji");
        go_tx.send(()).unwrap();
        wait_for(
            "the end",
            PATIENCE,
            || dialog.page() == "cancelled",
            || dialog.page(),
        );
        let (title, description) = dialog.message();
        assert_eq!(title, "Verification Ended");
        assert!(
            description.starts_with("The other side stopped waiting")
                && description.contains("Nothing was verified"),
            "{description}"
        );
        both_sizes(&dialog, "verification-timed-out");
        let listed = engine({
            let session = window.session().expect("the session");
            async move { sotto::engine::trust::devices::own_devices(&session).await }
        })
        .expect("the sessions are listed");
        assert!(
            !listed
                .iter()
                .any(|d| d.device_id == device_b && d.is_verified),
            "nothing was verified"
        );
        assert!(WidgetExt::activate_action(&dialog, "verification.close", None).is_ok());
        settle();

        // B asks again and is signed out while both compare: the dialog says so at once.
        go_tx.send(()).unwrap();
        wait_for(
            "the second request from B",
            PATIENCE,
            || toplevel::<VerificationDialog>().is_some_and(|d| d.page() == "requested"),
            String::new,
        );
        let dialog = toplevel::<VerificationDialog>().unwrap();
        assert!(WidgetExt::activate_action(&dialog, "verification.accept", None).is_ok());
        wait_for(
            "the emoji",
            PATIENCE,
            || dialog.page() == "compare",
            || dialog.page(),
        );
        emoji_rx
            .recv_timeout(PATIENCE)
            .expect("B at the emoji again");
        go_tx.send(()).unwrap();
        wait_for(
            "the end",
            Duration::from_secs(30),
            || dialog.page() == "cancelled",
            || dialog.page(),
        );
        let (title, description) = dialog.message();
        assert_eq!(title, "Verification Ended");
        assert_eq!(
            description,
            "The other session was signed out, so the verification ended. Nothing was verified."
        );
        present_at(&dialog, 360, 720);
        screenshot(&dialog, "verification-signed-out-360x720");
        assert!(WidgetExt::activate_action(&dialog, "verification.close", None).is_ok());
        settle();
        window.destroy();
    });
    b_thread.join().expect("B timed out, then signed out");
}

#[test]
fn sessions_page_renames_and_signs_out_with_the_password() {
    let (test_a, user) = TestProfile::signed_in("ui-sessions");
    let test_b = std::sync::Arc::new(TestProfile::new());
    let accounts = test_a.accounts.clone();
    let password = user.password.clone();
    let kept_b = test_b.clone();
    let (b, sync_b) = on_gtk_thread(move || {
        let window = window_with_sync(accounts);
        // One keyring item per account: B signs in only once the window restored A.
        let (b, sync_b) =
            std::thread::spawn(move || harness::runtime().block_on(second_session(&test_b, &user)))
                .join()
                .unwrap();
        let device_b = b.device_id();
        let settings = open_settings(&window);
        settings.reload_devices();
        wait_for(
            "B in the list",
            PATIENCE,
            || {
                settings
                    .other_session_rows()
                    .iter()
                    .any(|r| r.0 == device_b)
            },
            || format!("{:?}", settings.other_session_rows()),
        );
        let row = settings
            .other_session_rows()
            .into_iter()
            .find(|r| r.0 == device_b)
            .unwrap();
        assert!(
            row.2.contains(&device_b) && row.2.contains("Last seen"),
            "{row:?}"
        );
        both_sizes(&settings, "sessions-page");

        let name = settings.name_row();
        name.set_text("Librem in the kitchen");
        name.emit_by_name::<()>("apply", &[]);
        wait_for(
            "the new name",
            PATIENCE,
            || {
                settings
                    .devices()
                    .first()
                    .and_then(|d| d.display_name.clone())
                    .as_deref()
                    == Some("Librem in the kitchen")
            },
            || format!("{:?}", settings.devices().first()),
        );

        let sign_out = |password: &str| {
            let dialog = wait_for_dialog("password-dialog");
            let entry = dialog
                .extra_child()
                .unwrap()
                .downcast::<gtk::PasswordEntry>()
                .unwrap();
            entry.set_text(password);
            dialog.response("confirm");
            settle();
        };
        assert!(
            WidgetExt::activate_action(
                &settings,
                "settings.sign-out-device",
                Some(&device_b.to_variant())
            )
            .is_ok()
        );
        sign_out("not the password");
        wait_for(
            "the wrong password to be told",
            PATIENCE,
            || {
                message_dialog("password-dialog")
                    .is_some_and(|d| d.body().contains("Wrong password"))
            },
            || format!("{:?}", message_dialog("password-dialog").map(|d| d.body())),
        );
        let again = wait_for_dialog("password-dialog");
        present_at(&again, 360, 720);
        screenshot(&again, "sessions-wrong-password-360x720");
        sign_out(&password);
        wait_for(
            "B to be gone",
            PATIENCE,
            || {
                !settings.devices().is_empty()
                    && settings.devices().iter().all(|d| d.device_id != device_b)
            },
            || format!("{:?}", settings.other_session_rows()),
        );
        settings.close();
        window.destroy();
        (b, sync_b)
    });
    // The list above comes from the server: B is gone there.
    harness::runtime().block_on(async move {
        sync_b.stop().await;
        drop(b);
    });
    drop(kept_b);
}

#[test]
fn recovery_page_turns_recovery_on_and_the_key_works() {
    let (test_a, user) = TestProfile::signed_in("ui-recovery");
    // The session closes its store inside the runtime.
    harness::runtime().block_on(async {
        test_a.restored_with_identity(&user).await;
    });
    let accounts = test_a.accounts.clone();
    let key = on_gtk_thread(move || {
        let window = window_with_sync(accounts);
        let settings = open_settings(&window);
        settings.set_visible_page_name("recovery");
        wait_for(
            "recovery off",
            PATIENCE,
            || settings.recovery_status() == Some(recovery::RecoveryStatus::Off),
            || settings.recovery_text(),
        );
        assert!(settings.shows_recovery_reminder());
        both_sizes(&settings, "recovery-off");

        assert!(WidgetExt::activate_action(&settings, "settings.enable-recovery", None).is_ok());
        let dialog = wait_for_dialog("recovery-key-dialog");
        let label = find_label(&dialog.extra_child().unwrap(), "recovery-key").unwrap();
        let key = label.label().replace('\n', " ");
        assert_eq!(key.split(' ').count(), 12, "twelve groups: {}", key.len());
        assert_eq!(
            label.label().lines().count(),
            3,
            "three lines of four groups"
        );
        present_at(&dialog, 360, 720);
        screenshot(&dialog, "recovery-key-360x720");
        dialog.response("done");
        wait_for(
            "recovery on",
            PATIENCE,
            || settings.recovery_status() == Some(recovery::RecoveryStatus::On),
            || settings.recovery_text(),
        );
        assert!(!settings.shows_recovery_reminder());
        both_sizes(&settings, "recovery-on");
        settings.close();
        window.destroy();
        key
    });

    // The key shown is the account's: a new session recovers with it.
    let test_b = TestProfile::new();
    harness::runtime().block_on(async {
        let (b, sync_b) = second_session(&test_b, &user).await;
        recovery::recover(&b, &key)
            .await
            .expect("the shown key recovers");
        eventually("B to count as verified", || async {
            cross_signing::is_this_session_verified(&b)
        })
        .await;
        sync_b.stop().await;
    });
}

pub(crate) fn status_text(widget: &gtk::Widget) -> Vec<String> {
    let mut found = Vec::new();
    if let Ok(page) = widget.clone().downcast::<adw::StatusPage>()
        && page.is_mapped()
    {
        found.push(format!("{} {:?}", page.title(), page.description()));
    }
    let mut child = widget.first_child();
    while let Some(c) = child {
        found.extend(status_text(&c));
        child = c.next_sibling();
    }
    found
}

pub(crate) fn find_label(widget: &gtk::Widget, name: &str) -> Option<gtk::Label> {
    if widget.widget_name() == name {
        return widget.clone().downcast::<gtk::Label>().ok();
    }
    let mut child = widget.first_child();
    while let Some(c) = child {
        if let Some(found) = find_label(&c, name) {
            return Some(found);
        }
        child = c.next_sibling();
    }
    None
}

/// Bob (Sotto, signed in) and Alice (a second Sotto session with a cross-signing
/// identity), and an encrypted room Alice made and invited Bob to.
struct AliceAndBob {
    test_bob: TestProfile,
    bob_user: synapse::TestUser,
    _test_alice: TestProfile,
    alice_user: synapse::TestUser,
    alice: Session,
    sync_alice: sotto::engine::sync::AccountSync,
    room: String,
}

fn alice_and_bob(prefix: &str, room_name: &str) -> AliceAndBob {
    let (test_bob, bob_user) = TestProfile::signed_in(&format!("ui-{prefix}-bob"));
    let test_alice = TestProfile::new();
    let server = synapse::shared();
    let (alice_user, alice, sync_alice) = harness::runtime().block_on(async {
        let alice_user = server.register(&format!("ui-{prefix}-alice")).await;
        let (alice, sync) = second_session(&test_alice, &alice_user).await;
        cross_signing::bootstrap_cross_signing(&alice, Some(&alice_user.password))
            .await
            .unwrap();
        (alice_user, alice, sync)
    });
    let room = harness::runtime().block_on(async {
        peers::create_room(alice.client(), room_name, true, &[&bob_user.user_id])
            .await
            .room_id()
            .to_string()
    });
    AliceAndBob {
        test_bob,
        bob_user,
        _test_alice: test_alice,
        alice_user,
        alice,
        sync_alice,
        room,
    }
}

/// Bob sets up his identity, then joins `room` once its invitation arrived.
async fn bob_joins_with_an_identity(bob: &Session, password: &str, room: &str) {
    cross_signing::bootstrap_cross_signing(bob, Some(password))
        .await
        .unwrap();
    let room_id: matrix_sdk::ruma::OwnedRoomId = room.try_into().unwrap();
    eventually("the invitation", || async {
        bob.client().get_room(&room_id).is_some()
    })
    .await;
    bob.client()
        .join_room_by_id(&room_id)
        .await
        .expect("Bob joins");
}

#[test]
fn identity_banner_warns_until_acknowledged() {
    let AliceAndBob {
        test_bob,
        bob_user,
        _test_alice,
        alice_user,
        alice,
        sync_alice,
        room,
    } = alice_and_bob("banner", "Watched");
    let accounts = test_bob.accounts.clone();
    let (reset_tx, reset_rx) = mpsc::channel::<()>();
    let alice_id = alice_user.user_id.clone();
    let bob_password = bob_user.password.clone();
    let alice_thread = std::thread::spawn(move || {
        reset_rx.recv().unwrap();
        harness::runtime().block_on(async move {
            recovery::reset_identity(&alice, Some(&alice_user.password))
                .await
                .expect("Alice resets her identity");
            sync_alice.stop().await;
        });
    });
    on_gtk_thread(move || {
        let window = window_with_sync(accounts);
        let session: Session = window.session().unwrap();
        let (s, r) = (session.clone(), room.clone());
        let alice = alice_id.clone();
        engine(async move {
            bob_joins_with_an_identity(&s, &bob_password, &r).await;
            eventually("Bob to know Alice's identity", || async {
                identities::user_trust(&s, &crate::harness::uid(&alice))
                    .await
                    .ok()
                    == Some(identities::UserTrust::Unverified)
            })
            .await;
        });

        let banner = IdentityBanner::new();
        let changes = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let seen = changes.clone();
        banner.connect_blocks_sending_changed(move |blocks| seen.borrow_mut().push(blocks));
        let page = gtk::Box::new(gtk::Orientation::Vertical, 0);
        let conversation = gtk::Label::builder()
            .label("(conversation)")
            .vexpand(true)
            .build();
        page.append(&conversation);
        page.append(&banner);
        page.append(&gtk::Entry::new());
        let host = gtk::Window::builder().child(&page).build();
        banner.follow(session.clone(), &crate::harness::rid(&room));
        present_at(&host, 360, 720);
        // Once the banner has shown the room's state, not after a fixed pause.
        wait_for(
            "the banner's first state",
            PATIENCE,
            || banner.states_shown() > 0,
            String::new,
        );
        assert!(!banner.blocks_sending(), "nothing to warn about yet");

        reset_tx.send(()).unwrap();
        wait_for(
            "the warning",
            Duration::from_secs(120),
            || banner.blocks_sending(),
            || format!("{:?}", banner.warnings()),
        );
        assert_eq!(banner.warnings()[0].user_id, alice_id);
        assert!(!banner.warnings()[0].was_verified);
        assert!(
            banner.texts()[0].contains("identity changed"),
            "{:?}",
            banner.texts()
        );
        both_sizes(&host, "identity-banner");

        let target = alice_id.to_variant();
        assert!(
            WidgetExt::activate_action(&banner, "identity-banner.acknowledge", Some(&target))
                .is_ok()
        );
        wait_for(
            "the warning to go",
            PATIENCE,
            || !banner.blocks_sending(),
            || format!("{:?}", banner.warnings()),
        );
        assert_eq!(*changes.borrow(), vec![true, false]);
        let (s, r) = (session.clone(), room.clone());
        engine(async move { identities::ensure_can_send(&s, &crate::harness::rid(&r)).await })
            .expect("Bob may send");
        host.destroy();
        window.destroy();
    });
    alice_thread.join().unwrap();
}

/// A verified person's identity changes (a verification violation): the banner in the
/// room names them and offers Verify Again (the emoji dialog opens, a request goes to
/// them) and Withdraw Verification (the warning goes, sending works again).
#[test]
fn a_verified_persons_new_identity_offers_to_verify_again_or_withdraw() {
    let AliceAndBob {
        test_bob,
        bob_user,
        _test_alice,
        alice_user,
        alice,
        sync_alice,
        room,
    } = alice_and_bob("violation", "Trusted");
    let accounts = test_bob.accounts.clone();
    let (reset_tx, reset_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let alice_id = alice_user.user_id.clone();
    let bob_password = bob_user.password.clone();
    let alice_thread = std::thread::spawn(move || {
        reset_rx.recv().unwrap();
        harness::runtime().block_on(async move {
            recovery::reset_identity(&alice, Some(&alice_user.password))
                .await
                .expect("Alice resets her identity");
            // Alice keeps syncing until Bob is done, so that his request reaches her.
            let _ = tokio::task::spawn_blocking(move || done_rx.recv()).await;
            sync_alice.stop().await;
        });
    });
    on_gtk_thread(move || {
        let window = window_with_sync(accounts);
        let session: Session = window.session().unwrap();
        let (s, r) = (session.clone(), room.clone());
        let alice = alice_id.clone();
        engine(async move {
            bob_joins_with_an_identity(&s, &bob_password, &r).await;
            // Bob verifies Alice's identity by signing it (as after an emoji comparison).
            let alice_user_id: matrix_sdk::ruma::OwnedUserId = alice.as_str().try_into().unwrap();
            eventually("Bob to know Alice's identity", || async {
                identities::user_trust(&s, &crate::harness::uid(&alice))
                    .await
                    .ok()
                    == Some(identities::UserTrust::Unverified)
            })
            .await;
            s.client()
                .encryption()
                .request_user_identity(&alice_user_id)
                .await
                .unwrap()
                .expect("Alice has an identity")
                .verify()
                .await
                .expect("Bob signs Alice's identity");
            // The signature shows once the identity is asked for again.
            eventually("Alice to read as verified", || async {
                let _ = s
                    .client()
                    .encryption()
                    .request_user_identity(&alice_user_id)
                    .await;
                identities::user_trust(&s, &crate::harness::uid(&alice))
                    .await
                    .ok()
                    == Some(identities::UserTrust::Verified)
            })
            .await;
        });
        window.open_room(&crate::harness::rid(&room));
        let banner = window.room_view().identity_banner();
        // Once the banner has shown the room's state, not after a fixed pause.
        wait_for(
            "the banner's first state",
            PATIENCE,
            || banner.states_shown() > 0,
            String::new,
        );
        assert!(!banner.blocks_sending(), "nothing to warn about yet");

        reset_tx.send(()).unwrap();
        wait_for(
            "the warning",
            Duration::from_secs(120),
            || banner.blocks_sending(),
            || format!("{:?}", banner.warnings()),
        );
        assert_eq!(banner.warnings()[0].user_id, alice_id);
        assert!(banner.warnings()[0].was_verified, "{:?}", banner.warnings());
        settle();
        both_sizes(&window, "identity-banner-verified");

        // Verify Again: the emoji dialog opens, waiting for Alice.
        let again = crate::harness::ui::button(&banner, "Verify Again");
        assert!(again.is_mapped());
        again.emit_clicked();
        wait_for(
            "the verification dialog",
            PATIENCE,
            || toplevel::<VerificationDialog>().is_some(),
            String::new,
        );
        let dialog = toplevel::<VerificationDialog>().unwrap();
        dialog.close();
        settle();

        // Withdraw Verification: the warning goes and Bob may send again.
        crate::harness::ui::button(&banner, "Withdraw Verification").emit_clicked();
        wait_for(
            "the warning to go",
            PATIENCE,
            || !banner.blocks_sending(),
            || format!("{:?}", banner.warnings()),
        );
        let (s, r, a) = (session.clone(), room.clone(), alice_id.clone());
        engine(async move {
            identities::ensure_can_send(&s, &crate::harness::rid(&r))
                .await
                .expect("Bob may send");
            assert_ne!(
                identities::user_trust(&s, &crate::harness::uid(&a))
                    .await
                    .ok(),
                Some(identities::UserTrust::Verified),
                "the verification is withdrawn"
            );
        });
        window.destroy();
    });
    let _ = done_tx.send(());
    alice_thread.join().unwrap();
}

fn widgets_under(root: &gtk::Widget) -> Vec<gtk::Widget> {
    let mut found = Vec::new();
    let mut child = root.first_child();
    while let Some(widget) = child {
        found.push(widget.clone());
        found.extend(widgets_under(&widget));
        child = widget.next_sibling();
    }
    found
}

/// True when a verified shield ("Verified" tooltip) shows under `root`.
fn shows_shield(root: &impl IsA<gtk::Widget>) -> bool {
    widgets_under(root.as_ref()).iter().any(|w| {
        w.is::<gtk::Image>() && w.is_visible() && w.tooltip_text().as_deref() == Some("Verified")
    })
}

fn member_row(details: &adw::PreferencesWindow, user_id: &str) -> Option<adw::ActionRow> {
    widgets_under(details.upcast_ref())
        .into_iter()
        .filter(|w| w.widget_name() == user_id)
        .find_map(|w| w.downcast::<adw::ActionRow>().ok())
}

fn member_page() -> Option<adw::Window> {
    gtk::Window::list_toplevels()
        .into_iter()
        .filter(|w| w.is_visible() && w.widget_name() == "member-page")
        .find_map(|w| w.downcast::<adw::Window>().ok())
}

fn row_subtitles(root: &impl IsA<gtk::Widget>) -> Vec<String> {
    widgets_under(root.as_ref())
        .into_iter()
        .filter_map(|w| w.downcast::<adw::ActionRow>().ok())
        .filter_map(|r| r.subtitle().map(|s| s.to_string()))
        .collect()
}

/// How long the steps of an in-room verification may take: the SDK sends some of them
/// only with the next encryption sync, which long-polls for 30 seconds.
const SLOW_STEPS: Duration = Duration::from_secs(180);

#[test]
fn a_person_verified_from_their_page_gets_shields_everywhere() {
    let (test_me, me_user) = TestProfile::signed_in("ui-shield-me");
    let test_alice = TestProfile::new();
    let server = synapse::shared();
    let alice_user = harness::runtime().block_on(server.register("ui-shield-alice"));
    let alice_id = alice_user.user_id.clone();

    // Alice, headless: joins the direct chat, accepts the request and confirms the emoji.
    let (alice_ready_tx, alice_ready_rx) = mpsc::channel::<()>();
    let (dm_tx, dm_rx) = mpsc::channel::<String>();
    let (emoji_tx, emoji_rx) = mpsc::channel::<Vec<String>>();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let alice_thread = std::thread::spawn(move || {
        harness::runtime().block_on(async move {
            let (alice, sync) = second_session(&test_alice, &alice_user).await;
            cross_signing::bootstrap_cross_signing(&alice, Some(&alice_user.password))
                .await
                .unwrap();
            let verifications = Verifications::new(&alice);
            let mut incoming = Box::pin(verifications.incoming());
            alice_ready_tx.send(()).unwrap();
            let dm: matrix_sdk::ruma::OwnedRoomId =
                dm_rx.recv().unwrap().as_str().try_into().unwrap();
            eventually("the invitation at Alice", || async {
                alice.client().get_room(&dm).is_some()
            })
            .await;
            alice
                .client()
                .join_room_by_id(&dm)
                .await
                .expect("Alice joins");
            let flow = next_matching(&mut incoming, "the request at Alice", |_| true).await;
            flow.accept().await.unwrap();
            let mut states = Box::pin(flow.states());
            // The dialog starts the emoji comparison once Alice accepted.
            let state = next_matching(&mut states, "the emoji at Alice", |s| {
                matches!(s, FlowState::Compare { .. })
            })
            .await;
            let FlowState::Compare {
                emoji: Some(emoji), ..
            } = state
            else {
                panic!("no emoji at Alice");
            };
            emoji_tx
                .send(emoji.into_iter().map(|e| e.symbol).collect())
                .unwrap();
            go_rx.recv().unwrap();
            flow.confirm().await.unwrap();
            // In a room, each side sends some steps only with its next encryption sync:
            // allow for a few of its long polls.
            let done = tokio::time::timeout(SLOW_STEPS, async {
                while let Some(state) = states.next().await {
                    if state.is_finished() {
                        return Some(state);
                    }
                }
                None
            })
            .await;
            assert_eq!(done, Ok(Some(FlowState::Done)), "done at Alice");
            sync.stop().await;
        });
    });

    let accounts = test_me.accounts.clone();
    on_gtk_thread(move || {
        let window = window_with_sync(accounts);
        let session: Session = window.session().unwrap();
        alice_ready_rx
            .recv_timeout(PATIENCE * 2)
            .expect("Alice is set up");
        let (s, alice) = (session.clone(), alice_id.clone());
        let password = me_user.password.clone();
        let dm = engine(async move {
            cross_signing::bootstrap_cross_signing(&s, Some(&password))
                .await
                .unwrap();
            let alice_id: matrix_sdk::ruma::OwnedUserId = alice.as_str().try_into().unwrap();
            let dm = s
                .client()
                .create_dm(&alice_id)
                .await
                .expect("a direct chat");
            dm.room_id().to_string()
        });
        dm_tx.send(dm.clone()).unwrap();
        let (s, alice, room) = (session.clone(), alice_id.clone(), dm.clone());
        engine(async move {
            let room_id: matrix_sdk::ruma::OwnedRoomId = room.as_str().try_into().unwrap();
            let alice_id: matrix_sdk::ruma::OwnedUserId = alice.as_str().try_into().unwrap();
            let room = s.client().get_room(&room_id).unwrap();
            eventually("Alice in the direct chat", || async {
                room.get_member(&alice_id)
                    .await
                    .ok()
                    .flatten()
                    .is_some_and(|m| {
                        m.membership()
                            == &matrix_sdk::ruma::events::room::member::MembershipState::Join
                    })
            })
            .await;
            eventually("me to know Alice's identity", || async {
                identities::user_trust(&s, &crate::harness::uid(&alice))
                    .await
                    .ok()
                    == Some(identities::UserTrust::Unverified)
            })
            .await;
        });

        // The direct chat opens; the header says not everyone is verified.
        wait_for(
            "the direct chat in the list",
            PATIENCE,
            || {
                window
                    .room_list_pane()
                    .find(&crate::harness::rid(&dm))
                    .is_some()
            },
            String::new,
        );
        let summary = window
            .room_list_pane()
            .find(&crate::harness::rid(&dm))
            .unwrap();
        assert_eq!(
            summary.dm_partner.as_ref().map(|id| id.as_str()),
            Some(alice_id.as_str())
        );
        assert!(!summary.dm_partner_verified);
        window.open_room(&crate::harness::rid(&dm));
        wait_for(
            "the header's trust summary",
            PATIENCE,
            || {
                window
                    .room_view()
                    .header_trust_indicator()
                    .is_some_and(|(_, tip)| tip.contains("Not everyone"))
            },
            || format!("{:?}", window.room_view().header_trust_indicator()),
        );
        assert!(
            window
                .room_view()
                .header_title()
                .1
                .contains("Not all verified"),
            "{:?}",
            window.room_view().header_title()
        );

        // Room details → Alice → Verify.
        let target = dm.to_variant();
        assert!(WidgetExt::activate_action(&window, "win.room-details", Some(&target)).is_ok());
        let details = || toplevel::<adw::PreferencesWindow>();
        wait_for(
            "Alice in the member list",
            PATIENCE,
            || details().is_some_and(|d| member_row(&d, &alice_id).is_some()),
            String::new,
        );
        let details = details().unwrap();
        let row = member_row(&details, &alice_id).unwrap();
        assert!(!shows_shield(&row), "no shield before verification");
        adw::prelude::ActionRowExt::activate(&row);
        wait_for(
            "the member page",
            PATIENCE,
            || member_page().is_some(),
            String::new,
        );
        let page = member_page().unwrap();
        wait_for(
            "Alice's trust on her page",
            PATIENCE,
            || {
                row_subtitles(&page)
                    .iter()
                    .any(|s| s.starts_with("Not verified"))
            },
            || format!("{:?}", row_subtitles(&page)),
        );
        assert!(
            widgets_under(page.upcast_ref())
                .into_iter()
                .filter_map(|w| w.downcast::<gtk::Label>().ok())
                .any(|l| l.text() == alice_id.as_str()),
            "the Matrix ID shows"
        );
        let verify = widgets_under(page.upcast_ref())
            .into_iter()
            .filter_map(|w| w.downcast::<gtk::Button>().ok())
            .find(|b| b.label().as_deref() == Some("_Verify") && b.is_visible())
            .expect("a Verify button");
        both_sizes(&page, "member-page");
        verify.emit_clicked();

        wait_for(
            "the verification dialog",
            PATIENCE,
            || toplevel::<VerificationDialog>().is_some(),
            String::new,
        );
        let dialog = toplevel::<VerificationDialog>().unwrap();
        wait_for(
            "the emoji",
            SLOW_STEPS,
            || dialog.page() == "compare",
            || dialog.page(),
        );
        let expected = emoji_rx.recv_timeout(SLOW_STEPS).expect("Alice's emoji");
        assert_eq!(
            dialog
                .shown_emoji()
                .into_iter()
                .map(|(s, _)| s)
                .collect::<Vec<_>>(),
            expected
        );
        assert!(WidgetExt::activate_action(&dialog, "verification.confirm", None).is_ok());
        go_tx.send(()).unwrap();
        wait_for(
            "verified",
            SLOW_STEPS,
            || dialog.page() == "done",
            || format!("{}: {:?}", dialog.page(), dialog.message()),
        );
        assert!(WidgetExt::activate_action(&dialog, "verification.close", None).is_ok());

        // The shields appear: on her page, in the member list, on the row, in the header.
        wait_for(
            "the shield on Alice's page",
            Duration::from_secs(90),
            || shows_shield(&page),
            || format!("{:?}", row_subtitles(&page)),
        );
        assert!(
            row_subtitles(&page)
                .iter()
                .any(|s| s.starts_with("Verified")),
            "{:?}",
            row_subtitles(&page)
        );
        both_sizes(&page, "member-page-verified");
        page.close();
        wait_for(
            "the shield in the member list",
            PATIENCE,
            || member_row(&details, &alice_id).is_some_and(|r| shows_shield(&r)),
            String::new,
        );
        both_sizes(&details, "member-list-shield");
        details.close();
        wait_for(
            "the header to say all are verified",
            PATIENCE,
            || {
                window
                    .room_view()
                    .header_trust_indicator()
                    .is_some_and(|(icon, _)| icon == sotto::ui::trust::shield::VERIFIED_ICON)
            },
            || format!("{:?}", window.room_view().header_trust_indicator()),
        );
        assert!(
            window.room_view().header_title().1.contains("All verified"),
            "{:?}",
            window.room_view().header_title()
        );
        both_sizes(&window, "room-header-verified");
        wait_for(
            "the shield on the direct chat's row",
            PATIENCE,
            || {
                window
                    .room_list_pane()
                    .find(&crate::harness::rid(&dm))
                    .is_some_and(|s| s.dm_partner_verified)
            },
            String::new,
        );
        window.show_pane(sotto::ui::window::Pane::Sidebar);
        settle();
        let rows: Vec<sotto::ui::room_list::row::RoomRow> = widgets_under(window.upcast_ref())
            .into_iter()
            .filter_map(|w| w.downcast().ok())
            .collect();
        let row = rows
            .iter()
            .find(|r| r.room_id().is_some_and(|id| id == dm))
            .expect("the direct chat's row is drawn");
        assert!(row.shows_verified_shield());
        both_sizes(&window, "room-list-shield");
        window.destroy();
    });
    alice_thread.join().expect("Alice verified");
}
