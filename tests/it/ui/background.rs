//! Running without a window: "Start at login" writes an autostart entry and removes it;
//! Sotto started the way the entry says runs with no window (the real binary, on a D-Bus
//! session of its own so that it is the only Sotto there), and a second start opens the
//! window of the one that runs.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The lines a process printed so far, collected by a thread.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<String>>>);

impl Lines {
    fn collect(&self, stream: impl std::io::Read + Send + 'static) {
        let lines = self.0.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
    }

    fn count(&self, text: &str) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(text))
            .count()
    }

    fn wait_for(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.count(text) == 0 {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for “{text}”; the output was {:#?}",
                self.0.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn start_at_login_runs_sotto_without_a_window() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");

    // The setting writes the entry and removes it.
    sotto::ui::autostart::set_enabled_in(&config, true).unwrap();
    let entry = sotto::ui::autostart::entry_path_in(&config);
    let text = std::fs::read_to_string(&entry).expect("the entry is written");
    assert!(text.contains("NoDisplay=true"), "{text}");
    let exec = text
        .lines()
        .find_map(|l| l.strip_prefix("Exec="))
        .expect("the entry has an Exec line");
    let mut words = exec.split_whitespace();
    let program = words.next().unwrap();
    let args: Vec<&str> = words.collect();
    assert_eq!(args, ["--gapplication-service"], "{exec}");
    sotto::ui::autostart::set_enabled_in(&config, false).unwrap();
    assert!(!entry.exists(), "the entry is removed");

    // Started as the entry says. Outside an installation the entry names `sotto` on the
    // PATH; here that is the binary cargo built.
    assert!(program == "sotto" || program.ends_with("/sotto"), "{exec}");
    let sotto = env!("CARGO_BIN_EXE_sotto");
    // The second start waits for a line on the input, sent once the first one runs.
    let script = format!(
        "{sotto} {} 2>&1 & read -r _; {sotto} 2>&1; wait",
        args.join(" ")
    );
    let mut child = Command::new("dbus-run-session")
        .args(["--", "bash", "-c", &script])
        .env("SOTTO_STARTUP_TRACE", "1")
        .env("XDG_CONFIG_HOME", &config)
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .env("GSETTINGS_BACKEND", "memory")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("dbus-run-session runs (package dbus-daemon)");
    let lines = Lines::default();
    lines.collect(child.stdout.take().unwrap());
    let stop = |child: &mut std::process::Child| {
        // SAFETY: kill only sends a signal to the process group the test made.
        unsafe { libc::kill(-(child.id() as i32), libc::SIGTERM) };
        let _ = child.wait();
    };

    lines.wait_for("running in the background");
    assert_eq!(
        lines.count("main window built"),
        0,
        "a window was built at a start without one"
    );
    // A second start (the launcher) opens the window of the Sotto that runs.
    writeln!(child.stdin.as_mut().unwrap()).unwrap();
    lines.wait_for("main window built");
    assert_eq!(lines.count("head start begun"), 2, "two processes started");
    stop(&mut child);
}

/// The child: an account whose secrets are in a keyring that is locked (and refuses to be
/// unlocked: its session has no display to prompt on). Sotto started at login skips the
/// account without crashing; the window opened later says why.
#[test]
#[ignore = "run by a_locked_keyring_at_login_is_explained_when_the_window_opens"]
fn child_started_at_login_with_a_locked_keyring() {
    use sotto::engine::accounts::{AccountEntry, AccountList};
    use sotto::engine::paths::Paths;

    let (_store, secrets) = crate::harness::keyring::locked_keyring_with_an_item();
    let home = tempfile::tempdir().unwrap();
    let paths = Paths::new(
        home.path().join("data/sotto"),
        home.path().join("cache/sotto"),
    );
    std::fs::create_dir_all(paths.data()).unwrap();
    AccountList::new(paths.account_list())
        .upsert(AccountEntry {
            user_id: crate::harness::uid(secrets.user_id.clone()),
            folder: "locked".into(),
        })
        .unwrap();
    let display = std::env::var_os(crate::harness::keyring::OUTER_DISPLAY)
        .expect("the parent passes its display on");
    let start = |args: &[&str]| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sotto"))
            .args(args)
            .env("DISPLAY", &display)
            .env("SOTTO_STARTUP_TRACE", "1")
            .env("RUST_LOG", "sotto=info,warn")
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CACHE_HOME", home.path().join("cache"))
            .env("GSETTINGS_BACKEND", "memory")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sotto starts");
        let lines = Lines::default();
        lines.collect(child.stdout.take().unwrap());
        lines.collect(child.stderr.take().unwrap());
        (child, lines)
    };

    let (mut first, lines) = start(&["--gapplication-service"]);
    lines.wait_for("running in the background");
    lines.wait_for("an account could not start in the background");
    assert!(
        first.try_wait().unwrap().is_none(),
        "Sotto ended: {:#?}",
        lines.0.lock().unwrap()
    );
    assert_eq!(lines.count("main window built"), 0);

    let (mut second, _) = start(&[]);
    lines.wait_for("main window built");
    lines.wait_for("start-up problem shown");
    assert!(
        first.try_wait().unwrap().is_none(),
        "Sotto ended: {:#?}",
        lines.0.lock().unwrap()
    );
    let _ = second.wait();
    let _ = first.kill();
    let _ = first.wait();
}

#[test]
fn a_locked_keyring_at_login_is_explained_when_the_window_opens() {
    crate::harness::keyring::run_in_own_keyring_session(
        "ui::background::child_started_at_login_with_a_locked_keyring",
        false,
    );
}
