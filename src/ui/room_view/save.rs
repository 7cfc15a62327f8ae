//! Saving a received file: asking where (through the portal in a Flatpak), writing the
//! decrypted file there byte for byte, off the main loop, and telling the person how it
//! went. The picture viewer's Save and the "Save…" of any attachment's menu both go here.

use std::path::{Path, PathBuf};

use gtk::prelude::*;

use crate::engine::session::Session;
use crate::engine::timeline::Media;
use crate::engine::timeline::picture::{PictureError, download_file, name_to_save};
use crate::i18n::{gettext, gettext_f};
use crate::ui::bridge::{spawn_tokio, spawn_ui};

/// Asks over `parent` (with the chooser's `title`) where to save the file of `media`,
/// offering the sender's name for it (or `fallback_name`), then saves it there and hands
/// `say` the sentence to show.
pub fn ask_and_save(
    parent: &impl IsA<gtk::Window>,
    title: &str,
    fallback_name: &str,
    session: Session,
    media: Media,
    say: impl Fn(&str) + Clone + 'static,
) {
    let name = name_to_save(&media, fallback_name);
    crate::ui::file_choosers::choose_save_path(parent, title, &name, move |path| {
        save_and_say(session.clone(), media.clone(), path, say.clone());
    });
}

/// Saves the file of `media` to `path` and hands `say` the sentence that says how it went.
pub fn save_and_say(session: Session, media: Media, path: PathBuf, say: impl Fn(&str) + 'static) {
    spawn_ui(async move {
        let saved = save_file(session, media, path.clone()).await;
        say(&saved_sentence(&path, saved));
    });
}

/// Why a file could not be saved.
#[derive(Debug)]
enum SaveError {
    /// The server did not give it (or it did not match its hash).
    Download,
    Write(std::io::Error),
}

/// Downloads the file of `media` (decrypted) and writes it to `path`, off the main loop.
async fn save_file(session: Session, media: Media, path: PathBuf) -> Result<(), SaveError> {
    spawn_tokio(async move {
        let bytes = download_file(&session, &media)
            .await
            .map_err(|_: PictureError| SaveError::Download)?;
        tokio::fs::write(&path, bytes)
            .await
            .map_err(SaveError::Write)
    })
    .await
}

/// What the person is told after saving to `path`.
fn saved_sentence(path: &Path, saved: Result<(), SaveError>) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match saved {
        Ok(()) => gettext_f("Saved as {name}", &[("name", &name)]),
        Err(SaveError::Download) => {
            gettext("The file could not be downloaded, so it was not saved.")
        }
        Err(SaveError::Write(err)) => {
            let reason = match err.kind() {
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
                    gettext("Sotto may not write there")
                }
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
                    gettext("the disk is full")
                }
                std::io::ErrorKind::NotFound => gettext("the folder is not there"),
                _ => gettext("the file could not be written"),
            };
            gettext_f(
                "Could not save {name}: {reason}",
                &[("name", &name), ("reason", &reason)],
            )
        }
    }
}
