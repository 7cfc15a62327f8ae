//! The pictures of the open conversation: whether one loads by itself (the engine's rule,
//! the person's setting), the loading itself (on tokio; decoded there), and the textures
//! already made, so a row that scrolls back into view shows its picture at once. One per
//! open room; a room opened anew starts empty.

use std::cell::RefCell;
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
}

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
    /// when `whole`), and keeps the result.
    pub async fn load(self: Rc<Self>, media: Media, side: u32, whole: bool) -> Loaded {
        let session = self.timeline.session().clone();
        let key = key(&media, whole);
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
        let loaded = frames.map(|frames| Shown {
            frames: frames
                .into_iter()
                .map(|frame| (texture_of(frame.pixels), frame.delay))
                .collect(),
        });
        // A failed download may work later: not kept.
        if !matches!(loaded, Err(PictureError::DownloadFailed)) {
            let mut done = self.done.borrow_mut();
            let mut order = self.order.borrow_mut();
            if done.insert(key.clone(), loaded.clone()).is_none() {
                order.push_back(key);
            }
            while order.len() > KEPT {
                if let Some(old) = order.pop_front() {
                    done.remove(&old);
                }
            }
        }
        loaded
    }
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
