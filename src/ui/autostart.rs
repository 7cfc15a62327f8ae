//! "Start at login": Sotto starts without a window (`--gapplication-service`), so that it
//! syncs and notifies from the start of the session. On the host that is an XDG autostart
//! entry, which is also the truth of whether it is on. Through the portals (in a Flatpak)
//! the Background portal makes the entry; a sandbox cannot see it, so what the portal
//! granted last is remembered in GSettings (`start-at-login`).

use std::path::{Path, PathBuf};

use gtk::prelude::*;
use gtk::{gio, glib};

use crate::config::APP_ID;
use crate::ui::gsettings::settings;
use crate::ui::portal::{Backend, BackgroundAnswer};

/// Where the desktop looks for the entry: `$XDG_CONFIG_HOME/autostart/APP_ID.desktop`.
pub fn entry_path() -> PathBuf {
    entry_path_in(&glib::user_config_dir())
}

/// The entry's place under the configuration folder `config`.
pub fn entry_path_in(config: &Path) -> PathBuf {
    config.join("autostart").join(format!("{APP_ID}.desktop"))
}

/// Whether Sotto starts at login.
pub fn is_enabled() -> bool {
    is_enabled_with(Backend::detect())
}

/// Whether Sotto starts at login, as `backend` knows it.
pub fn is_enabled_with(backend: Backend) -> bool {
    match backend {
        Backend::Host => entry_path().is_file(),
        Backend::Portal => settings().boolean("start-at-login"),
    }
}

/// Asks the Background portal on `connection` for starting at login (or no longer), and
/// remembers what it granted.
pub async fn request_through_portal(
    connection: &gio::DBusConnection,
    enabled: bool,
) -> BackgroundAnswer {
    let answer = crate::ui::portal::request_background(connection, enabled).await;
    remember(answer);
    answer
}

/// Remembers whether the portal's `answer` leaves Sotto starting at login. A refusal
/// leaves it off (the portal removes the entry of an app it does not allow); without an
/// answer nothing is known, and the last one stays.
pub fn remember(answer: BackgroundAnswer) {
    let enabled = match answer {
        BackgroundAnswer::Granted { autostart, .. } => autostart,
        BackgroundAnswer::Refused => false,
        BackgroundAnswer::NoPortal | BackgroundAnswer::Failed => return,
    };
    if let Err(err) = settings().set_boolean("start-at-login", enabled) {
        tracing::warn!("could not store the start-at-login setting: {err}");
    }
}

/// The program the entry starts: this one when it is an installed `sotto`, else `sotto`
/// from the `PATH`.
fn program() -> String {
    std::env::current_exe()
        .ok()
        .filter(|exe| exe.file_name().is_some_and(|name| name == "sotto"))
        .and_then(|exe| exe.to_str().map(str::to_owned))
        .filter(|exe| !exe.contains(char::is_whitespace))
        .unwrap_or_else(|| "sotto".to_owned())
}

/// The text of the entry.
pub fn entry_text() -> String {
    format!(
        "[Desktop Entry]\n\
         Type=Application\n\
         Name=Sotto\n\
         Comment=Runs Sotto in the background to receive messages\n\
         Exec={} --gapplication-service\n\
         Icon={APP_ID}\n\
         Terminal=false\n\
         NoDisplay=true\n\
         X-GNOME-Autostart-enabled=true\n",
        program()
    )
}

/// Writes or removes the entry (on the host; through the portals see
/// [`request_through_portal`]).
pub fn set_enabled(enabled: bool) -> std::io::Result<()> {
    set_enabled_in(&glib::user_config_dir(), enabled)
}

/// Writes or removes the entry under the configuration folder `config`.
pub fn set_enabled_in(config: &Path, enabled: bool) -> std::io::Result<()> {
    let path = entry_path_in(config);
    if enabled {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        crate::engine::paths::write_private_file(&path, entry_text().as_bytes())
    } else {
        match std::fs::remove_file(&path) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    }
}
