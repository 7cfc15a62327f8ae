//! The pictures of the open conversation: whether one loads by itself (the engine's rule,
//! the person's setting), the loading itself (on tokio; decoded there), and the textures
//! already made, so a row that scrolls back into view shows its picture at once. One per
//! open room; a room opened anew starts empty.
//!
//! A list binds more rows than fit on screen, and all their pictures ask to load at once
//! when a room opens. Loaded all together they share the cores, and the few on screen came
//! last; and rows bound anew while the room settles asked for the same pictures again. So a
//! few pictures load at a time, those on screen first; a picture asked for twice loads once
//! for both; and one that no row wants any more is dropped before it loads.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet, VecDeque};
use std::rc::Rc;
use std::time::Duration;

use gtk::prelude::*;
use gtk::{gdk, gio, glib};

use super::animation::Frames;
use crate::engine::avatars::Avatar;
use crate::engine::media::Frame;
use crate::engine::media::autoload::{AutoloadSetting, SenderTrust};
use crate::engine::timeline::picture::{PictureError, load_frames, load_picture, plays_from_file};
use crate::engine::timeline::{EventEntry, Media, RoomTimeline};
use crate::ui::bridge::spawn_tokio;
use crate::ui::widgets::texture_of;

/// How many pictures stay decoded (each at most about a megabyte at the sizes shown).
const KEPT: usize = 40;

/// Whether the row that asked for a picture still wants it, and whether it is on screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    /// The row is gone or shows another picture now.
    Gone,
    OnScreen,
    OffScreen,
}

/// A row waiting for a picture.
struct Asker {
    want: Box<dyn Fn() -> Want>,
    reply: tokio::sync::oneshot::Sender<Loaded>,
}

/// A picture asked for and not loaded yet.
struct Request {
    key: String,
    media: Media,
    side: u32,
    whole: bool,
    askers: Vec<Asker>,
    loading: bool,
}

impl Request {
    /// What the rows that asked want now; forgets those gone.
    fn want(&mut self) -> Want {
        let mut best = Want::Gone;
        self.askers.retain(|asker| match (asker.want)() {
            Want::Gone => false,
            want => {
                if best != Want::OnScreen {
                    best = want;
                }
                true
            }
        });
        best
    }
}

/// How many pictures load at once: one per core (decoding them is the larger part), at
/// least one and at most four.
fn at_once() -> usize {
    // Asked once: the standard library reads the cgroup's limits each time.
    static AT_ONCE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *AT_ONCE.get_or_init(|| std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 4)))
}

/// A picture made ready to show: its frames (one for a still picture) as textures.
#[derive(Clone, Debug)]
pub struct Shown {
    pub frames: Frames,
}

impl Shown {
    /// The first frame (the picture itself, when it does not move).
    pub fn first(&self) -> &gdk::Texture {
        &self.frames[0].0
    }

    /// Whether it has frames to play.
    pub fn moves(&self) -> bool {
        self.frames.len() > 1
    }
}

/// What became of a picture.
pub type Loaded = Result<Shown, PictureError>;

/// The pictures of one open room.
pub struct Pictures {
    timeline: RoomTimeline,
    settings: gio::Settings,
    /// Results by the key of [`key`], the oldest first out.
    done: RefCell<HashMap<String, Loaded>>,
    order: RefCell<VecDeque<String>>,
    /// The pictures the person tapped to load (by URI), which load from then on.
    tapped: RefCell<HashSet<String>>,
    /// The pictures asked for and not loaded yet, in the order they were asked for.
    requests: RefCell<Vec<Request>>,
    /// Whether the choice of the next pictures to load is queued.
    choice_queued: Cell<bool>,
    /// The first pictures started (see [`Self::first_loads`]).
    first_loads: RefCell<Vec<(String, bool)>>,
}

/// How many starts [`Pictures::first_loads`] remembers.
const FIRST_LOADS: usize = 64;

/// The key of a loaded picture: its URI, and whether the whole file was asked for.
fn key(media: &Media, whole: bool) -> String {
    format!(
        "{}#{}",
        media.source.uri(),
        if whole { "whole" } else { "preview" }
    )
}

impl Pictures {
    /// The pictures of the room `timeline` shows.
    pub fn new(timeline: RoomTimeline) -> Rc<Self> {
        Rc::new(Self {
            timeline,
            settings: crate::ui::gsettings::settings(),
            done: RefCell::default(),
            order: RefCell::default(),
            tapped: RefCell::default(),
            requests: RefCell::default(),
            choice_queued: Cell::new(false),
            first_loads: RefCell::default(),
        })
    }

    /// What already happened to the picture of `media`: the whole file's result first.
    pub fn result(&self, media: &Media) -> Option<Loaded> {
        let done = self.done.borrow();
        done.get(&key(media, true))
            .or_else(|| done.get(&key(media, false)))
            .cloned()
    }

    /// Whether the picture of `event` loads without a tap.
    pub fn loads_by_itself(&self, event: &EventEntry, media: &Media) -> bool {
        if self.tapped.borrow().contains(media.source.uri()) {
            return true;
        }
        let setting = AutoloadSetting::from_nick(&self.settings.string("media-autoload"));
        self.timeline.picture_loads_by_itself(event, setting)
    }

    /// The session the room belongs to.
    pub fn session(&self) -> crate::engine::session::Session {
        self.timeline.session().clone()
    }

    /// Shows the avatar of the sender of `event` on `widget` (its picture when it may load
    /// by itself, with the same rule as pictures).
    pub fn show_avatar(&self, widget: &adw::Avatar, event: &EventEntry) {
        let avatar = event.sender_avatar.clone().map(|url| Avatar {
            url,
            trust: SenderTrust {
                own: event.is_own,
                verified: event.sender_verified,
            },
        });
        crate::ui::avatars::show(
            widget,
            &self.timeline.session().avatars(),
            avatar.as_ref(),
            self.timeline.room_kind(),
        );
    }

    /// The person asked for the picture of `media`.
    pub fn tapped(&self, media: &Media) {
        self.tapped
            .borrow_mut()
            .insert(media.source.uri().to_owned());
    }

    /// Loads the picture of `media` at most `side` pixels wide and high (the whole file
    /// when `whole`) when its turn comes, and keeps the result; `None` when `want` tells
    /// before then that the picture is no longer wanted.
    pub async fn load(
        self: Rc<Self>,
        media: Media,
        side: u32,
        whole: bool,
        want: impl Fn() -> Want + 'static,
    ) -> Option<Loaded> {
        let key = key(&media, whole);
        if let Some(loaded) = self.done.borrow().get(&key) {
            return Some(loaded.clone());
        }
        let (reply, answer) = tokio::sync::oneshot::channel();
        let asker = Asker {
            want: Box::new(want),
            reply,
        };
        {
            let mut requests = self.requests.borrow_mut();
            match requests.iter_mut().find(|r| r.key == key) {
                Some(request) => request.askers.push(asker),
                None => requests.push(Request {
                    key,
                    media,
                    side,
                    whole,
                    askers: vec![asker],
                    loading: false,
                }),
            }
        }
        self.choose_soon();
        answer.await.ok()
    }

    /// The names of the first pictures that started loading, in that order, each with
    /// whether it was on screen then (for tests: that those on screen come first and
    /// that none loads twice).
    pub fn first_loads(&self) -> Vec<(String, bool)> {
        self.first_loads.borrow().clone()
    }

    /// How many pictures load now.
    fn loading(&self) -> usize {
        self.requests.borrow().iter().filter(|r| r.loading).count()
    }

    /// Chooses the next pictures to load once the list has laid out its rows (an idle
    /// callback runs after the frame being made), so that it is known which are on screen.
    fn choose_soon(self: &Rc<Self>) {
        if self.choice_queued.replace(true) {
            return;
        }
        let pictures = Rc::downgrade(self);
        glib::idle_add_local_once(move || {
            if let Some(pictures) = pictures.upgrade() {
                pictures.choice_queued.set(false);
                pictures.start_next();
            }
        });
    }

    /// Starts pictures while fewer than [`at_once`] load: those on screen first, each
    /// group in the order they were asked for. Drops those no row wants any more.
    fn start_next(self: &Rc<Self>) {
        while self.loading() < at_once() {
            let next = {
                let mut requests = self.requests.borrow_mut();
                let mut on_screen = None;
                let mut off_screen = None;
                let mut index = 0;
                while index < requests.len() {
                    let request = &mut requests[index];
                    if request.loading {
                        index += 1;
                        continue;
                    }
                    match request.want() {
                        Want::Gone => drop(requests.remove(index)),
                        Want::OnScreen => {
                            on_screen.get_or_insert(index);
                            index += 1;
                        }
                        Want::OffScreen => {
                            off_screen.get_or_insert(index);
                            index += 1;
                        }
                    }
                }
                let Some(next) = on_screen.or(off_screen) else {
                    return;
                };
                let request = &mut requests[next];
                request.loading = true;
                let mut first = self.first_loads.borrow_mut();
                if first.len() < FIRST_LOADS {
                    first.push((request.media.name.clone(), on_screen == Some(next)));
                }
                (
                    request.key.clone(),
                    request.media.clone(),
                    request.side,
                    request.whole,
                )
            };
            let pictures = self.clone();
            crate::ui::bridge::spawn_ui(async move {
                let (key, media, side, whole) = next;
                let loaded = fetch(&pictures.timeline, media, side, whole).await;
                pictures.finish(&key, loaded);
            });
        }
    }

    /// Keeps what became of the picture `key` and hands it to the rows that asked.
    fn finish(self: &Rc<Self>, key: &str, loaded: Loaded) {
        // A failed download may work later: not kept.
        if !matches!(loaded, Err(PictureError::DownloadFailed)) {
            let mut done = self.done.borrow_mut();
            let mut order = self.order.borrow_mut();
            if done.insert(key.to_owned(), loaded.clone()).is_none() {
                order.push_back(key.to_owned());
            }
            while order.len() > KEPT {
                if let Some(old) = order.pop_front() {
                    done.remove(&old);
                }
            }
        }
        let request = {
            let mut requests = self.requests.borrow_mut();
            let index = requests.iter().position(|r| r.key == key);
            index.map(|index| requests.remove(index))
        };
        for asker in request.into_iter().flat_map(|r| r.askers) {
            // A row gone meanwhile dropped its side: nothing to hand.
            let _ = asker.reply.send(loaded.clone());
        }
        self.choose_soon();
    }
}

/// Loads the picture of `media` of the room of `timeline` (on tokio; decoded there) and
/// makes its textures.
async fn fetch(timeline: &RoomTimeline, media: Media, side: u32, whole: bool) -> Loaded {
    let session = timeline.session().clone();
    let frames = spawn_tokio(async move {
        // A picture that may move plays from its file; the rest shows the smallest copy
        // that serves.
        if !whole && plays_from_file(&media) {
            load_frames(&session, &media, side).await
        } else {
            let pixels = load_picture(&session, &media, side, whole).await?;
            Ok(vec![Frame {
                pixels,
                delay: Duration::ZERO,
            }])
        }
    })
    .await;
    frames.map(|frames| Shown {
        frames: frames
            .into_iter()
            .map(|frame| (texture_of(frame.pixels), frame.delay))
            .collect(),
    })
}

/// The blurhash of `media` as a small texture of its proportions, if it has a valid one.
pub fn placeholder(media: &Media, width: i32, height: i32) -> Option<gdk::Texture> {
    let hash = media.blurhash.as_deref()?;
    let (w, h) = if width >= height {
        (32, (32 * height / width.max(1)).clamp(1, 32))
    } else {
        ((32 * width / height.max(1)).clamp(1, 32), 32)
    };
    let (w, h) = (w as u32, h as u32);
    let rgba = crate::engine::media::decode_blurhash(hash, w, h)?;
    Some(
        gdk::MemoryTexture::new(
            w as i32,
            h as i32,
            gdk::MemoryFormat::R8g8b8a8,
            &glib::Bytes::from_owned(rgba),
            w as usize * 4,
        )
        .into(),
    )
}
