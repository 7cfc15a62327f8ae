//! Playing an animated picture in a row: each frame for its own time, looping, and only
//! while the picture is on screen (mapped) — a row scrolled away or a closed window costs
//! no wake-ups. With animations turned off in the desktop's settings (reduced motion),
//! the first frame stays.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::time::Duration;

use gtk::prelude::*;
use gtk::{gdk, glib};

/// The frames of a picture as textures, each with how long it shows.
pub type Frames = Rc<[(gdk::Texture, Duration)]>;

/// Plays frames on a picture until dropped.
pub struct Player {
    inner: Rc<Inner>,
}

struct Inner {
    picture: glib::WeakRef<gtk::Picture>,
    frames: Frames,
    index: Cell<usize>,
    timer: RefCell<Option<glib::SourceId>>,
    handlers: RefCell<Vec<glib::SignalHandlerId>>,
}

impl Player {
    /// Shows the first of `frames` on `picture` and plays the rest while it is mapped.
    pub fn play(picture: &gtk::Picture, frames: Frames) -> Self {
        if let Some((first, _)) = frames.first() {
            picture.set_paintable(Some(first));
        }
        let inner = Rc::new(Inner {
            picture: picture.downgrade(),
            frames,
            index: Cell::new(0),
            timer: RefCell::default(),
            handlers: RefCell::default(),
        });
        let moves = inner.frames.len() > 1
            && gtk::Settings::default().is_none_or(|s| s.is_gtk_enable_animations());
        if moves {
            let weak = Rc::downgrade(&inner);
            let mapped = picture.connect_map(move |_| {
                if let Some(inner) = weak.upgrade() {
                    schedule(&inner);
                }
            });
            let weak = Rc::downgrade(&inner);
            let unmapped = picture.connect_unmap(move |_| {
                if let Some(inner) = weak.upgrade() {
                    inner.stop();
                }
            });
            inner.handlers.replace(vec![mapped, unmapped]);
            if picture.is_mapped() {
                schedule(&inner);
            }
        }
        Self { inner }
    }

    /// The frame shown now.
    pub fn frame(&self) -> usize {
        self.inner.index.get()
    }

    /// How many frames it plays.
    pub fn frames(&self) -> usize {
        self.inner.frames.len()
    }
}

impl Inner {
    fn stop(&self) {
        if let Some(timer) = self.timer.take() {
            timer.remove();
        }
    }
}

/// Shows the next frame when the current one's time is up, and so on.
fn schedule(inner: &Rc<Inner>) {
    inner.stop();
    let delay = inner.frames[inner.index.get()].1;
    let weak: Weak<Inner> = Rc::downgrade(inner);
    let timer = glib::timeout_add_local_once(delay, move || {
        let Some(inner) = weak.upgrade() else {
            return;
        };
        // This source is over; removing it again would be an error.
        inner.timer.take();
        let Some(picture) = inner.picture.upgrade() else {
            return;
        };
        let next = (inner.index.get() + 1) % inner.frames.len();
        inner.index.set(next);
        picture.set_paintable(Some(&inner.frames[next].0));
        schedule(&inner);
    });
    inner.timer.replace(Some(timer));
}

impl Drop for Player {
    fn drop(&mut self) {
        self.inner.stop();
        if let Some(picture) = self.inner.picture.upgrade() {
            for handler in self.inner.handlers.take() {
                picture.disconnect(handler);
            }
        }
    }
}
