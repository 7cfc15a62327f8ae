//! "Start at login": an XDG autostart entry that starts Sotto without a window
//! (`--gapplication-service`), so that it syncs and notifies from the start of the session.

use std::path::{Path, PathBuf};

use gtk::glib;

use crate::config::APP_ID;

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
    entry_path().is_file()
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

/// Writes or removes the entry.
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
