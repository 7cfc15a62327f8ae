//! The key screens in the real window: the recovery key entered on "Verify this session"
//! (a wrong one first), the identity reset with its warning and password, the room key
//! export and import through the settings, "encrypt only for verified devices", and the
//! sign-out warning for the last session without recovery.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use adw::prelude::*;
use sotto::engine::session::KeySharing;
use sotto::engine::trust::{cross_signing, recovery};
use sotto::ui::trust::recovery_key::{save_shown_key, set_clipboard_lifetime};

use super::trust::{
    both_sizes, engine, find_label, message_dialog, open_settings, toplevel, wait_for_dialog,
    window_with_sync,
};
use crate::engine::trust::{decrypted_body, send_text, wait_for_room};
use crate::harness::ui::{on_gtk_thread, present_at, screenshot, settle, wait_for};
use crate::harness::{self, PATIENCE, TestProfile, peers, synapse};

/// A visible message dialog whose heading is `heading`.
fn dialog_with_heading(heading: &str) -> Option<adw::MessageDialog> {
    gtk::Window::list_toplevels()
        .into_iter()
        .filter(|w| w.is_visible())
        .filter_map(|w| w.downcast::<adw::MessageDialog>().ok())
        .find(|d| d.heading().as_deref() == Some(heading))
}

fn wait_for_heading(heading: &str) -> adw::MessageDialog {
    wait_for(
        heading,
        PATIENCE,
        || dialog_with_heading(heading).is_some(),
        String::new,
    );
    dialog_with_heading(heading).unwrap()
}

/// Fails when a message dialog is still up (it would confuse the tests that follow on
/// the same GTK thread).
fn no_dialog_left() {
    settle();
    // These tests sign the account in more than once: the window rightly announces the
    // account's other sessions (tests/it/ui/key_sharing.rs checks that alert).
    for alert in gtk::Window::list_toplevels()
        .into_iter()
        .filter(|w| w.widget_name() == "new-session-alert")
        .filter_map(|w| w.downcast::<gtk::Window>().ok())
    {
        alert.close();
    }
    let left: Vec<String> = gtk::Window::list_toplevels()
        .into_iter()
        .filter(|w| w.is_visible())
        .filter_map(|w| w.downcast::<adw::MessageDialog>().ok())
        .map(|d| format!("{:?}: {}", d.heading(), d.body()))
        .collect();
    assert!(left.is_empty(), "dialogs left open: {left:?}");
}

/// Answers `dialog` as its button would: the response, then the dialog closes
/// (`response()` alone leaves it open in libadwaita 1.2).
fn answer(dialog: &adw::MessageDialog, response: &str) {
    dialog.response(response);
    dialog.close();
}

/// The first `T` under `widget`, depth first.
fn find<T: IsA<gtk::Widget>>(widget: &gtk::Widget) -> Option<T> {
    if let Ok(found) = widget.clone().downcast::<T>() {
        return Some(found);
    }
    let mut child = widget.first_child();
    while let Some(c) = child {
        if let Some(found) = find::<T>(&c) {
            return Some(found);
        }
        child = c.next_sibling();
    }
    None
}

fn entry_of(dialog: &adw::MessageDialog) -> gtk::PasswordEntry {
    find::<gtk::PasswordEntry>(&dialog.extra_child().unwrap()).expect("a password entry")
}

fn named<T: IsA<gtk::Widget>>(widget: &gtk::Widget, name: &str) -> Option<T> {
    if widget.widget_name() == name {
        return widget.clone().downcast::<T>().ok();
    }
    let mut child = widget.first_child();
    while let Some(c) = child {
        if let Some(found) = named::<T>(&c, name) {
            return Some(found);
        }
        child = c.next_sibling();
    }
    None
}

/// An account with cross-signing and recovery on (set up headless in folders of its own),
/// and the recovery key.
fn account_with_recovery(localpart: &str) -> (TestProfile, synapse::TestUser, String) {
    let (test_a, user) = TestProfile::signed_in(localpart);
    let key = harness::runtime().block_on(async {
        let a = test_a.restored_with_identity(&user).await;
        let key = recovery::enable_recovery(&a, None).await.unwrap();
        key.expose().to_owned()
    });
    (test_a, user, key)
}

/// A second set of accounts signed in to `user`: a new, unverified session.
fn new_session(user: &synapse::TestUser) -> TestProfile {
    let test_b = TestProfile::new();
    harness::runtime().block_on(async {
        test_b
            .accounts
            .login(&synapse::shared().url(), &user.localpart, &user.password)
            .await
            .expect("a second session");
    });
    test_b
}

#[test]
fn recovery_key_entry_refuses_a_wrong_key_then_verifies_the_session() {
    let (_test_a, user, key) = account_with_recovery("ui-enter-key");
    let test_b = new_session(&user);
    // The real key with one character changed: well formed, but not the account's.
    let mut wrong: Vec<char> = key.chars().collect();
    let last = wrong.len() - 1;
    wrong[last] = if wrong[last] == 'a' { 'b' } else { 'a' };
    let wrong: String = wrong.into_iter().collect();
    let accounts = test_b.accounts.clone();
    on_gtk_thread(move || {
        let window = window_with_sync(accounts);
        let session = window.session().unwrap();
        let settings = open_settings(&window);
        wait_for(
            "Verify This Session",
            PATIENCE,
            || settings.offers_verify_this_session(),
            || settings.recovery_text(),
        );
        both_sizes(&settings, "verify-this-session");

        assert!(WidgetExt::activate_action(&settings, "settings.enter-recovery-key", None).is_ok());
        let dialog = wait_for_dialog("enter-recovery-key-dialog");
        entry_of(&dialog).set_text(&wrong);
        answer(&dialog, "recover");
        wait_for(
            "the wrong key's message",
            PATIENCE,
            || {
                super::trust::message_dialog("enter-recovery-key-dialog")
                    .is_some_and(|d| d.body().contains("does not match"))
            },
            String::new,
        );
        let again = super::trust::message_dialog("enter-recovery-key-dialog").unwrap();
        assert!(
            again.body().contains("nothing was changed"),
            "{}",
            again.body()
        );
        for (w, h) in [(360, 720), (1280, 800)] {
            present_at(&settings, w, h);
            again.present();
            screenshot(&again, &format!("recovery-key-wrong-{w}x{h}"));
        }
        let checked = session.clone();
        assert!(
            !engine(async move { cross_signing::is_this_session_verified(&checked) }),
            "a wrong key changes nothing"
        );
        assert!(settings.offers_verify_this_session());

        entry_of(&again).set_text(&key);
        answer(&again, "recover");
        wait_for(
            "this session verified",
            PATIENCE * 2,
            || !settings.offers_verify_this_session(),
            || settings.recovery_text(),
        );
        let checked = session.clone();
        assert!(engine(async move {
            cross_signing::is_this_session_verified(&checked)
        }));
        wait_for(
            "recovery on here too",
            PATIENCE,
            || settings.recovery_status() == Some(recovery::RecoveryStatus::On),
            || settings.recovery_text(),
        );
        settings.close();
        no_dialog_left();
        window.destroy();
    });
}

#[test]
fn identity_reset_warns_and_asks_for_the_password() {
    let (_test_a, user, _key) = account_with_recovery("ui-reset");
    let test_b = new_session(&user);
    let accounts = test_b.accounts.clone();
    let password = user.password.clone();
    on_gtk_thread(move || {
        let window = window_with_sync(accounts);
        let session = window.session().unwrap();
        let settings = open_settings(&window);
        settings.set_visible_page_name("recovery");
        wait_for(
            "the reset offered",
            PATIENCE,
            || settings.offers_verify_this_session(),
            || settings.recovery_text(),
        );

        assert!(WidgetExt::activate_action(&settings, "settings.reset-identity", None).is_ok());
        let warning = wait_for_heading("Reset Your Identity?");
        assert!(
            warning
                .body()
                .contains("Only do this if you lost your recovery key"),
            "{}",
            warning.body()
        );
        assert_eq!(
            warning.response_appearance("confirm"),
            adw::ResponseAppearance::Destructive
        );
        both_sizes(&warning, "identity-reset-warning");
        answer(&warning, "confirm");

        let ask = wait_for_dialog("password-dialog");
        entry_of(&ask).set_text("not the password");
        answer(&ask, "confirm");
        wait_for(
            "the wrong password's message",
            PATIENCE,
            || {
                super::trust::message_dialog("password-dialog")
                    .is_some_and(|d| d.body().contains("Wrong password"))
            },
            String::new,
        );
        let again = super::trust::message_dialog("password-dialog").unwrap();
        both_sizes(&again, "identity-reset-wrong-password");
        let checked = session.clone();
        assert!(
            !engine(async move { cross_signing::is_this_session_verified(&checked) }),
            "a wrong password resets nothing"
        );

        entry_of(&again).set_text(&password);
        answer(&again, "confirm");
        let done = wait_for_heading("Identity Reset");
        assert!(done.body().contains("Turn on recovery again"));
        answer(&done, "close");
        wait_for(
            "this session verified by the new identity",
            PATIENCE,
            || {
                let checked = session.clone();
                engine(async move { cross_signing::is_this_session_verified(&checked) })
            },
            String::new,
        );
        wait_for(
            "recovery off after the reset",
            PATIENCE,
            || settings.recovery_status() == Some(recovery::RecoveryStatus::Off),
            || settings.recovery_text(),
        );
        settings.close();
        no_dialog_left();
        window.destroy();
    });
}

#[test]
fn room_keys_go_out_and_back_in_through_the_settings() {
    let (test_a, user) = TestProfile::signed_in("ui-keyfile");
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("keys.txt");
    let (room_id, event_id) = harness::runtime().block_on(async {
        let a = test_a.restored_with_identity(&user).await;
        let room = peers::create_room(a.client(), "Key file", true, &[]).await;
        let room_id = room.room_id().to_owned();
        let sync = sotto::engine::sync::AccountSync::start(&a).await.unwrap();
        let event_id = send_text(&a, &room_id, "kept in the key file").await;
        sync.stop().await;
        (room_id, event_id)
    });

    // The export replaces a file that others could read: afterwards only its owner can.
    std::fs::write(&file, "an older file").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let accounts = test_a.accounts.clone();
    let exported = file.clone();
    on_gtk_thread(move || {
        let window = window_with_sync(accounts);
        let settings = open_settings(&window);
        settings.set_visible_page_name("recovery");
        both_sizes(&settings, "recovery-page-room-keys");

        // The passphrase is asked twice and must match.
        assert!(WidgetExt::activate_action(&settings, "settings.export-keys", None).is_ok());
        let ask = wait_for_dialog("passphrase-dialog");
        let column = ask.extra_child().unwrap();
        let first: gtk::PasswordEntry = named(&column, "passphrase").unwrap();
        let second: gtk::PasswordEntry = named(&column, "passphrase-again").unwrap();
        let error: gtk::Label = named(&column, "passphrase-error").unwrap();
        assert!(second.is_visible());
        assert!(!ask.is_response_enabled("accept"));
        first.set_text("file passphrase");
        second.set_text("file passphrase?");
        assert!(
            !ask.is_response_enabled("accept"),
            "a mismatch cannot go on"
        );
        assert!(error.is_visible() && error.text().contains("do not match"));
        both_sizes(&ask, "export-passphrase-mismatch");
        second.set_text("file passphrase");
        assert!(ask.is_response_enabled("accept"));
        assert!(!error.is_visible());
        // A weak passphrase is refused: the dialog comes back saying why.
        first.set_text("short pass");
        second.set_text("short pass");
        answer(&ask, "accept");
        wait_for(
            "the passphrase asked again",
            PATIENCE,
            || message_dialog("passphrase-dialog").is_some_and(|d| d != ask),
            String::new,
        );
        let again = message_dialog("passphrase-dialog").unwrap();
        let error: gtk::Label = named(&again.extra_child().unwrap(), "passphrase-error").unwrap();
        assert!(
            error.is_visible() && error.text().contains("too short"),
            "{}",
            error.text()
        );
        both_sizes(&again, "export-passphrase-weak");
        // The file chooser (a portal) is not driven here: Cancel, then write directly.
        answer(&again, "cancel");

        settings.export_keys_to(exported.clone(), "file passphrase".into());
        assert!(settings.key_file_busy(), "the export shows its progress");
        wait_for(
            "the export",
            PATIENCE,
            || !settings.key_file_busy(),
            || settings.key_file_message(),
        );
        assert_eq!(settings.key_file_message(), "Room keys saved to keys.txt");
        settings.close();
        no_dialog_left();
        window.destroy();
    });
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("BEGIN MEGOLM SESSION DATA"), "a key export");
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600,
        "the key export is readable by its owner only"
    );

    // A new session of the account without recovery: only the file brings the key.
    let test_b = new_session(&user);
    let accounts = test_b.accounts.clone();
    let broken = folder.path().join("broken.txt");
    std::fs::write(&broken, "not a key file").unwrap();
    on_gtk_thread(move || {
        let window = window_with_sync(accounts);
        let session = window.session().unwrap();
        let settings = open_settings(&window);
        settings.set_visible_page_name("recovery");
        let room = room_id.clone();
        let checked = session.clone();
        let event = event_id.clone();
        assert_eq!(
            engine(async move {
                let room = wait_for_room(&checked, &room).await;
                decrypted_body(&room, &event).await
            }),
            None,
            "B cannot read it yet"
        );

        settings.import_keys_from(broken.clone(), "file passphrase".into());
        wait_for(
            "the broken file's message",
            PATIENCE,
            || {
                settings
                    .key_file_message()
                    .contains("not a room key export")
            },
            || settings.key_file_message(),
        );

        settings.import_keys_from(file.clone(), "wrong passphrase".into());
        wait_for(
            "the wrong passphrase's message",
            PATIENCE,
            || settings.key_file_message().contains("does not open"),
            || settings.key_file_message(),
        );
        // It asks again, saying what was wrong.
        let ask = wait_for_dialog("passphrase-dialog");
        let column = ask.extra_child().unwrap();
        let error: gtk::Label = named(&column, "passphrase-error").unwrap();
        assert!(error.is_visible() && error.text().contains("does not open"));
        let second: gtk::PasswordEntry = named(&column, "passphrase-again").unwrap();
        assert!(!second.is_visible(), "an import asks once");
        both_sizes(&ask, "import-wrong-passphrase");
        let first: gtk::PasswordEntry = named(&column, "passphrase").unwrap();
        first.set_text("file passphrase");
        answer(&ask, "accept");
        wait_for(
            "the import",
            PATIENCE,
            || settings.key_file_message().starts_with("Imported"),
            || settings.key_file_message(),
        );
        assert!(!settings.key_file_busy());
        let room = room_id.clone();
        let event = event_id.clone();
        assert_eq!(
            engine(async move {
                let room = wait_for_room(&session, &room).await;
                decrypted_body(&room, &event).await
            })
            .as_deref(),
            Some("kept in the key file")
        );
        settings.close();
        no_dialog_left();
        window.destroy();
    });
}

#[test]
fn recovery_key_is_saved_to_the_chosen_file_only() {
    let (test_a, user) = TestProfile::signed_in("ui-save-key");
    // The session closes its store inside the runtime.
    harness::runtime().block_on(async {
        test_a.restored_with_identity(&user).await;
    });
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("my key.txt");
    // It replaces a file others could read: afterwards only its owner can.
    std::fs::write(&path, "an older file").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let accounts = test_a.accounts.clone();
    let chosen = path.clone();
    let key = on_gtk_thread(move || {
        let window = window_with_sync(accounts);
        let settings = open_settings(&window);
        settings.set_visible_page_name("recovery");
        assert!(WidgetExt::activate_action(&settings, "settings.enable-recovery", None).is_ok());
        let dialog = wait_for_dialog("recovery-key-dialog");
        let column = dialog.extra_child().unwrap();
        let key = find_label(&column, "recovery-key")
            .unwrap()
            .label()
            .replace('\n', " ");
        let save: gtk::Button = named(&column, "save-recovery-key").unwrap();
        assert!(save.label().unwrap().contains("Save to File"));
        assert!(save_shown_key(&dialog, &chosen));
        let note = find_label(&column, "recovery-key-note").unwrap();
        assert_eq!(note.text(), "Saved to my key.txt");
        both_sizes(&dialog, "recovery-key-saved");
        // A folder cannot be written as a file: the dialog says so.
        assert!(!save_shown_key(&dialog, chosen.parent().unwrap()));
        assert!(note.text().starts_with("Could not save the key"));

        // Copy puts the key on the clipboard and takes it off again after a while
        // (shortened here from a minute), unless something else was copied since.
        let copy: gtk::Button = named(&column, "copy-recovery-key").unwrap();
        let clipboard = copy.clipboard();
        let on_clipboard = || {
            clipboard
                .content()
                .and_then(|c| c.value(gtk::glib::Type::STRING).ok())
                .and_then(|v| v.get::<String>().ok())
        };
        set_clipboard_lifetime(Duration::from_millis(300));
        copy.emit_clicked();
        assert_eq!(on_clipboard().as_deref(), Some(key.as_str()));
        wait_for(
            "the clipboard emptied",
            PATIENCE,
            || on_clipboard().is_none(),
            || format!("{:?}", on_clipboard().is_some()),
        );
        copy.emit_clicked();
        clipboard.set_text("something else");
        let waited = std::time::Instant::now();
        wait_for(
            "the lifetime",
            PATIENCE,
            || waited.elapsed() > Duration::from_secs(1),
            String::new,
        );
        assert_eq!(
            on_clipboard().as_deref(),
            Some("something else"),
            "what the person copied later stays"
        );
        // Closing the dialog takes the key off the clipboard at once.
        set_clipboard_lifetime(Duration::from_secs(60));
        copy.emit_clicked();
        assert_eq!(on_clipboard().as_deref(), Some(key.as_str()));
        answer(&dialog, "done");
        assert_eq!(
            on_clipboard(),
            None,
            "closing the dialog clears the clipboard"
        );
        settle();
        settings.close();
        no_dialog_left();
        window.destroy();
        key
    });
    let saved = std::fs::read_to_string(&path).unwrap();
    assert_eq!(saved.trim_end(), key);
    {
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only its owner may read it: {mode:o}");
    }
    let entries: Vec<_> = std::fs::read_dir(folder.path()).unwrap().collect();
    assert_eq!(entries.len(), 1, "nothing else is written");
}

#[test]
fn verified_only_switch_and_the_last_session_sign_out_warning() {
    let (test_a, user) = TestProfile::signed_in("ui-verified-only");
    let room_id = harness::runtime().block_on(async {
        let a = test_a
            .accounts
            .restore(&test_a.accounts.list().unwrap()[0])
            .await
            .unwrap();
        let friend = synapse::shared().register("ui-verified-friend").await;
        let room = peers::create_room(a.client(), "Strict room", true, &[&friend.user_id]).await;
        room.room_id().to_string()
    });
    let accounts = test_a.accounts.clone();
    let user_id = user.user_id.clone();
    on_gtk_thread(move || {
        let window = window_with_sync(accounts.clone());
        assert_eq!(
            window.session().unwrap().key_sharing(),
            KeySharing::VouchedDevices
        );
        let settings = open_settings(&window);
        settings.set_visible_page_name("recovery");
        let switch = settings.verified_only_switch();
        assert!(!switch.is_active(), "off by default");
        assert!(switch.is_sensitive());
        switch.set_active(true);
        assert!(settings.key_sharing_changed());
        assert_eq!(
            accounts
                .account_key_sharing(&crate::harness::uid(&user_id))
                .unwrap(),
            KeySharing::VerifiedDevicesOnly,
            "kept for the account"
        );
        both_sizes(&settings, "verified-only-on");
        settings.close();
        // The account is opened again with the setting applied.
        wait_for(
            "the account opened again",
            PATIENCE * 2,
            || {
                window.page() == "session"
                    && window
                        .session()
                        .is_some_and(|s| s.key_sharing() == KeySharing::VerifiedDevicesOnly)
                    && window.verifications().is_some()
            },
            || {
                format!(
                    "{} {:?} {}",
                    window.page(),
                    window.session().map(|s| s.key_sharing()),
                    window.verifications().is_some()
                )
            },
        );

        // Without a cross-signing identity nothing can be sent: the room says so.
        window.open_room(&crate::harness::rid(&room_id));
        let notice = window.room_view().sharing_notice();
        wait_for(
            "the sharing notice",
            PATIENCE,
            || notice.text().is_some(),
            String::new,
        );
        assert!(
            notice.text().unwrap().contains("no cross-signing identity"),
            "{:?}",
            notice.text()
        );
        both_sizes(&window, "verified-only-room-notice");

        // The only session, recovery off: signing out warns hard.
        assert!(WidgetExt::activate_action(&window, "win.sign-out", None).is_ok());
        let warning = wait_for_dialog("sign-out-dialog");
        assert_eq!(
            warning.heading().as_deref(),
            Some("You Will Lose Your Encrypted Messages")
        );
        assert!(
            warning.body().contains("only session"),
            "{}",
            warning.body()
        );
        assert_eq!(warning.default_response().as_deref(), Some("recovery"));
        both_sizes(&warning, "sign-out-last-session");
        answer(&warning, "recovery");
        wait_for(
            "the recovery page",
            PATIENCE,
            || {
                toplevel::<sotto::ui::account_settings::AccountSettings>()
                    .is_some_and(|s| s.visible_page_name().as_deref() == Some("recovery"))
            },
            String::new,
        );
        let settings = toplevel::<sotto::ui::account_settings::AccountSettings>().unwrap();
        settings.close();
        settle();
        assert!(window.session().is_some(), "still signed in");
        no_dialog_left();
        window.destroy();
    });
    // Opened again from disk, the account keeps the setting.
    harness::runtime().block_on(async {
        let a = test_a
            .accounts
            .restore(&test_a.accounts.list().unwrap()[0])
            .await
            .unwrap();
        assert_eq!(a.key_sharing(), KeySharing::VerifiedDevicesOnly);
    });
}
