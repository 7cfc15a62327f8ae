//! Playing a received video or sound inside its row, with GTK's own media widgets
//! (GStreamer underneath): nothing loads until the person taps Play; then the file is
//! downloaded through the SDK (decrypted, its hash checked, cached only in the encrypted
//! store) and played from memory — no plain copy is written anywhere: GTK 4.8's GStreamer
//! backend plays only files (an input stream aborts it), so the bytes go into an anonymous
//! memory file (`memfd_create`) that GStreamer opens through `/proc/self/fd`. A video shows in a
//! `GtkVideo` with its controls, a sound as `GtkMediaControls`. A file GStreamer cannot
//! play, or one larger than [`PLAY_LIMIT`], says so; it can still be saved.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gtk::gio;
use gtk::prelude::*;

use crate::engine::session::Session;
use crate::engine::timeline::Media;
use crate::engine::timeline::picture::download_file;
use crate::i18n::gettext;
use crate::ui::bridge::{spawn_tokio, spawn_ui};

/// The largest file played inside Sotto (as its event claims); it is held in memory while
/// it plays. Larger ones are saved and played elsewhere.
pub const PLAY_LIMIT: u64 = 64 * 1024 * 1024;

/// The widest a video shows in a row, in logical pixels (it fits beside the avatar on a
/// phone).
const VIDEO_WIDTH: i32 = 280;

/// How a played file is going, for tests and the accessibility tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlaybackState {
    /// Waiting for a tap on Play.
    Idle,
    /// Downloading.
    Loading,
    /// The media stream is there (it may still be preparing).
    Playing,
    /// It cannot play; the sentence says why.
    Problem(String),
}

/// A file that plays: its stream, its widget, and the memory file it plays from (open as
/// long as it plays).
struct Player {
    stream: gtk::MediaFile,
    widget: gtk::Widget,
    _memory: std::fs::File,
}

/// Puts `bytes` into an anonymous file in memory (never on a disk) and returns it, with a
/// path that opens it.
fn memory_file(bytes: &[u8]) -> std::io::Result<(std::fs::File, std::path::PathBuf)> {
    use std::io::Write;
    use std::os::fd::{AsRawFd, FromRawFd};
    // SAFETY: a valid NUL-terminated name and flags; the result is checked.
    let fd = unsafe { libc::memfd_create(c"sotto-media".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` was just made and is owned by nothing else.
    let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
    file.write_all(bytes)?;
    let path = std::path::PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
    Ok((file, path))
}

/// The play button and, once tapped, the player of one row.
pub struct Playback {
    /// The part of the row: put this under the file's description.
    pub widget: gtk::Box,
    play: gtk::Button,
    problem: gtk::Label,
    player: RefCell<Option<Player>>,
    /// What the row shows now: the file, whether it is a video, and the session.
    bound: RefCell<Option<(Media, bool, Session)>>,
    /// Counts bindings, so a download that finishes for an earlier file is dropped.
    generation: Cell<u64>,
    state: RefCell<PlaybackState>,
}

impl Playback {
    pub fn new() -> Rc<Self> {
        let widget = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(6)
            .margin_top(6)
            .build();
        let play = gtk::Button::builder()
            .halign(gtk::Align::Start)
            .child(
                &adw::ButtonContent::builder()
                    .icon_name("media-playback-start-symbolic")
                    .label(gettext("Play"))
                    .build(),
            )
            .build();
        play.add_css_class("touch-target");
        crate::ui::widgets::set_accessible_label(&play, &gettext("Play"));
        let problem = gtk::Label::builder()
            .wrap(true)
            .xalign(0.0)
            .visible(false)
            .build();
        problem.add_css_class("dim-label");
        widget.append(&play);
        widget.append(&problem);
        let playback = Rc::new(Self {
            widget,
            play,
            problem,
            player: RefCell::default(),
            bound: RefCell::default(),
            generation: Cell::new(0),
            state: RefCell::new(PlaybackState::Idle),
        });
        let weak = Rc::downgrade(&playback);
        playback.play.connect_clicked(move |_| {
            if let Some(playback) = weak.upgrade() {
                playback.start();
            }
        });
        playback
    }

    /// Shows the play button for `media` (a video when `video`), downloaded through
    /// `session`. Binding the same file again keeps a player that runs.
    pub fn bind(&self, media: &Media, video: bool, session: Session) {
        let same = self
            .bound
            .borrow()
            .as_ref()
            .is_some_and(|(bound, _, _)| bound.source.uri() == media.source.uri());
        self.widget.set_visible(true);
        if same {
            return;
        }
        self.stop();
        self.bound.replace(Some((media.clone(), video, session)));
        if media.size.is_some_and(|size| size > PLAY_LIMIT) {
            self.show_problem(&gettext(
                "This file is too large to play here. Save it to play it.",
            ));
        }
    }

    /// Hides the part (the row shows something else) and stops any player.
    pub fn unbind(&self) {
        self.stop();
        self.bound.replace(None);
        self.widget.set_visible(false);
    }

    /// How it is going.
    pub fn state(&self) -> PlaybackState {
        self.state.borrow().clone()
    }

    /// The media stream, once the file is loaded.
    pub fn stream(&self) -> Option<gtk::MediaFile> {
        self.player
            .borrow()
            .as_ref()
            .map(|player| player.stream.clone())
    }

    /// The Play button.
    pub fn play_button(&self) -> gtk::Button {
        self.play.clone()
    }

    fn stop(&self) {
        self.generation.set(self.generation.get().wrapping_add(1));
        if let Some(player) = self.player.take() {
            player.stream.pause();
            player.stream.clear();
            self.widget.remove(&player.widget);
        }
        self.play.set_visible(true);
        self.play.set_sensitive(true);
        self.problem.set_visible(false);
        self.state.replace(PlaybackState::Idle);
    }

    fn show_problem(&self, text: &str) {
        self.play.set_visible(false);
        self.problem.set_text(text);
        self.problem.set_visible(true);
        self.state.replace(PlaybackState::Problem(text.to_owned()));
    }

    /// Downloads the file and plays it.
    fn start(self: &Rc<Self>) {
        let Some((media, video, session)) = self.bound.borrow().clone() else {
            return;
        };
        self.play.set_sensitive(false);
        self.state.replace(PlaybackState::Loading);
        let generation = self.generation.get();
        let weak = Rc::downgrade(self);
        spawn_ui(async move {
            let bytes = spawn_tokio(async move { download_file(&session, &media).await }).await;
            let Some(playback) = weak.upgrade() else {
                return;
            };
            if playback.generation.get() != generation {
                return;
            }
            match bytes {
                Ok(bytes) => playback.show_player(bytes, video),
                Err(_) => {
                    playback.play.set_sensitive(true);
                    playback.show_problem(&gettext("The file could not be downloaded."));
                }
            }
        });
    }

    fn show_player(self: &Rc<Self>, bytes: Vec<u8>, video: bool) {
        // Played from memory: the decrypted file is never written to a plain file.
        let (memory, path) = match memory_file(&bytes) {
            Ok(made) => made,
            Err(err) => {
                tracing::warn!("no memory file to play from: {err}");
                self.show_problem(&gettext(
                    "This file cannot be played here. Save it to play it.",
                ));
                return;
            }
        };
        drop(bytes);
        let stream = gtk::MediaFile::for_file(&gio::File::for_path(path));
        let widget: gtk::Widget = if video {
            let player = gtk::Video::for_media_stream(Some(&stream));
            player.set_size_request(VIDEO_WIDTH, VIDEO_WIDTH * 9 / 16);
            player.set_halign(gtk::Align::Start);
            player.upcast()
        } else {
            let controls = gtk::MediaControls::new(Some(&stream));
            controls.set_size_request(VIDEO_WIDTH, -1);
            controls.set_halign(gtk::Align::Start);
            controls.upcast()
        };
        let weak = Rc::downgrade(self);
        stream.connect_error_notify(move |stream| {
            if let (Some(playback), Some(error)) = (weak.upgrade(), stream.error()) {
                tracing::info!("a media file cannot be played: {error}");
                // The sentence instead of an empty player.
                if let Some(player) = playback.player.take() {
                    playback.widget.remove(&player.widget);
                }
                playback.show_problem(&gettext(
                    "This file cannot be played here. Save it to play it.",
                ));
            }
        });
        self.play.set_visible(false);
        self.widget.append(&widget);
        self.player.replace(Some(Player {
            stream: stream.clone(),
            widget,
            _memory: memory,
        }));
        self.state.replace(PlaybackState::Playing);
        stream.play();
    }
}
