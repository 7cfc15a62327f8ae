//! A keyring of a test's own: a child test (an ignored test of this binary) run in a D-Bus
//! session of its own with its own gnome-keyring, and a keyring locked with an item in it.

use std::process::Command;

use super::assert_private_session;

/// A keyring of this process's own (its own bus and gnome-keyring) with one item saved,
/// then locked over D-Bus: the next read makes the keyring ask to be unlocked.
pub fn locked_keyring_with_an_item() -> (
    sotto::engine::secrets::SecretStore,
    sotto::engine::secrets::AccountSecrets,
) {
    use sotto::engine::secrets::{AccountSecrets, SecretStore, StoreKey};
    let store = SecretStore::with_timeout(std::time::Duration::from_secs(3));
    let secrets = AccountSecrets {
        homeserver: "http://127.0.0.1:9".into(),
        user_id: "@locked:localhost".into(),
        device_id: "LOCKED".into(),
        access_token: "not a real token".into(),
        refresh_token: None,
        store_key: StoreKey::generate(),
    };
    store
        .save(&secrets)
        .expect("the unlocked keyring keeps the item");
    assert_eq!(store.load(&secrets.user_id).unwrap(), secrets);
    let locked = Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.secrets",
            "/org/freedesktop/secrets",
            "org.freedesktop.Secret.Service.Lock",
            "array:objpath:/org/freedesktop/secrets/collection/login",
        ])
        .output()
        .expect("dbus-send runs");
    assert!(locked.status.success(), "{locked:?}");
    (store, secrets)
}

/// Where a child run without a display finds this session's display, for a program it
/// starts that needs one (the keyring of its session then has none to prompt on).
pub const OUTER_DISPLAY: &str = "TEST_OUTER_DISPLAY";

/// Runs `child` (an ignored test of this binary) in a D-Bus session of its own with its
/// own gnome-keyring; `display` says whether it keeps this session's Xvfb display (without
/// it, the display is in [`OUTER_DISPLAY`]).
pub fn run_in_own_keyring_session(child: &str, display: bool) {
    assert_private_session();
    let mut command = Command::new("dbus-run-session");
    command
        .arg("--")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tools/private-session"
        ))
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", child, "--ignored"])
        .env("SOTTO_NEED_DISPLAY", "0");
    if display {
        assert!(
            std::env::var_os("DISPLAY").is_some(),
            "the tests run with a display"
        );
    } else {
        if let Some(display) = std::env::var_os("DISPLAY") {
            command.env(OUTER_DISPLAY, display);
        }
        command.env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
    }
    let output = command.output().expect("the child runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "the child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
