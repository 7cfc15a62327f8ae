//! What a screen reader reads: the names in Sotto's accessibility tree, read over AT-SPI
//! as a screen reader reads them, carry no mnemonic underscore and no label twice (GTK 4.8
//! names a mnemonic button "_Try Again Try Again" unless Sotto renames it), on the
//! greeter, the problem page, the main window with a conversation, and a message dialog.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use adw::prelude::*;
use gtk::glib;

use crate::harness::ui::{on_gtk_thread, open_window, settle, wait_for};
use crate::harness::{self, PATIENCE, TestProfile, peers, repo_root, synapse};

/// Reads this process's accessibility tree with `accessible_names.py` and fails on a bad
/// name, on fewer than `min_buttons` buttons, or on a missing button named in `expected`.
/// Runs on the GTK thread, whose main loop must keep turning meanwhile: GTK answers the
/// reader's questions from it (a loop that sleeps between turns makes the walk crawl).
fn check_names(screen: &str, min_buttons: usize, expected: &[&str]) {
    settle();
    let report = tempfile::NamedTempFile::new().expect("a temporary file");
    let mut reader = Command::new("/usr/bin/python3")
        .arg(repo_root().join("tests/it/ui/accessible_names.py"))
        .arg(std::process::id().to_string())
        .arg(min_buttons.to_string())
        .args(expected)
        .stdin(Stdio::null())
        .stdout(report.reopen().expect("the report file"))
        .stderr(report.reopen().expect("the report file"))
        .spawn()
        .expect("python3 runs (package python3-pyatspi)");
    let started = Instant::now();
    let limit = Duration::from_secs(120);
    // Each question from the reader wakes the loop up; the tick notices the reader's end.
    // (No GLib child watch: its SIGCHLD handler would take over from tokio's.)
    let tick = glib::timeout_add_local(Duration::from_millis(10), || glib::ControlFlow::Continue);
    let context = glib::MainContext::default();
    let mut status = None;
    while status.is_none() && started.elapsed() < limit {
        context.iteration(true);
        status = reader.try_wait().expect("the reader can be waited for");
    }
    tick.remove();
    let timed_out = status.is_none();
    if timed_out {
        let _ = reader.kill();
    }
    let status = reader.wait().expect("the reader can be waited for");
    let text = std::fs::read_to_string(report.path()).unwrap_or_default();
    assert!(
        !timed_out,
        "the walk of the {screen} took over {limit:?}:\n{text}"
    );
    assert!(
        status.success(),
        "a screen reader reads wrong names on the {screen}:\n{text}"
    );
    eprintln!(
        "{screen} ({:.1} s): {text}",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn the_greeter_and_the_problem_page_have_clean_accessible_names() {
    let greeter = TestProfile::new();
    // A folder where the account list should be: the list cannot be read, a problem Sotto
    // offers to try again.
    let unreadable = TestProfile::new();
    std::fs::create_dir_all(unreadable.accounts.paths().data().join("accounts.json"))
        .expect("the data folder is writable");
    let (greeter_profile, problem_profile) =
        (greeter.accounts.clone(), unreadable.accounts.clone());
    on_gtk_thread(move || {
        let window = open_window(greeter_profile, 360, 720, "greeter");
        check_names("greeter", 3, &["Sign In"]);
        window.destroy();

        let window = open_window(problem_profile, 360, 720, "problem");
        check_names("problem page", 1, &["Try Again"]);
        window.destroy();
    });
}

#[test]
fn the_main_window_and_a_message_dialog_have_clean_accessible_names() {
    let test = TestProfile::new();
    let server = synapse::shared();
    let room_id = harness::runtime().block_on(async {
        let (user, session, friend) = test.signed_in_with_friend(server, "a11y-names").await;
        let room = peers::create_room(&friend, "Names", false, &[&user.user_id]).await;
        session
            .client()
            .join_room_by_id(room.room_id())
            .await
            .unwrap();
        peers::send_text(&room, "Hello there").await;
        room.room_id().to_string()
    });
    let accounts = test.accounts.clone();
    on_gtk_thread(move || {
        let window = open_window(accounts, 1280, 800, "session");
        wait_for(
            "the room",
            PATIENCE,
            || window.rooms().n_items() == 1,
            || window.page(),
        );
        window.open_room(&crate::harness::rid(&room_id));
        wait_for(
            "the message",
            PATIENCE,
            || {
                crate::harness::ui::all::<gtk::Label>(&window.room_view())
                    .iter()
                    .any(|l| l.is_mapped() && l.text() == "Hello there")
            },
            String::new,
        );
        check_names("main window with a conversation", 5, &[]);

        let session = window.session().expect("the account is open");
        let dialog = sotto::ui::trust::first_sign_in::offer_recovery(window.upcast_ref(), session);
        wait_for(
            "the recovery offer",
            PATIENCE,
            || dialog.is_mapped(),
            String::new,
        );
        check_names("recovery offer", 7, &["Not Now", "Turn On Recovery"]);
        dialog.destroy();
        window.destroy();
    });
}
