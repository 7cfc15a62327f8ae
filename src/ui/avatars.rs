//! Avatars with their pictures. Every `AdwAvatar` that can show someone's picture goes
//! through [`show`]: it decides with the engine's rule (`media::autoload`) and the
//! person's setting whether the picture may load (the initials stay otherwise), loads it on
//! tokio as a server-made thumbnail, and keeps the textures made so that a row scrolled
//! back into view, or the same person in another list, shows the picture at once.
//!
//! Rows are recycled while a picture loads: each avatar remembers which picture it wants
//! now, and a picture that arrives for an avatar that has moved on is only kept.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet, VecDeque};

use adw::prelude::*;
use gtk::{gdk, gio, glib};

use crate::engine::avatars::{Avatar, AvatarLoader};
use crate::engine::media::autoload::{AutoloadSetting, RoomKind, loads_by_itself};
use crate::ui::bridge::{spawn_tokio, spawn_ui};
use crate::ui::widgets::texture_of;

/// How many avatar pictures stay decoded: at the sizes shown (at most 192 px a side, most
/// 88 px) this is a few megabytes.
const KEPT: usize = 160;

/// Device pixels per logical pixel the pictures are made for: the phone's screen has two.
const SCALE: u32 = 2;

/// The key under which an avatar remembers the picture it wants.
const WANTED: &str = "sotto-avatar-wanted";
/// The key under which an avatar keeps the picture a tap would load.
const ON_TAP: &str = "sotto-avatar-on-tap";

#[derive(Default)]
struct Cache {
    /// Made textures (or `None` for a picture that failed) by [`key`].
    done: HashMap<String, Option<gdk::Texture>>,
    /// The keys of `done`, the oldest first out.
    order: VecDeque<String>,
    /// Loads under way, with the avatars waiting for each.
    waiting: HashMap<String, Vec<glib::WeakRef<adw::Avatar>>>,
    /// Pictures the person tapped to load (by URL): they load from then on, everywhere.
    tapped: HashSet<String>,
    settings: Option<gio::Settings>,
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::default();
}

fn key(avatar: &Avatar, side: u32) -> String {
    format!("{}#{side}", avatar.url)
}

/// The person's setting for pictures from others.
fn setting() -> AutoloadSetting {
    CACHE.with_borrow_mut(|cache| {
        let settings = cache
            .settings
            .get_or_insert_with(crate::ui::gsettings::settings);
        AutoloadSetting::from_nick(&settings.string("media-autoload"))
    })
}

fn set_wanted(widget: &adw::Avatar, key: Option<String>) {
    // SAFETY: only this module uses this key, and it always stores an `Option<String>`.
    unsafe { widget.set_data(WANTED, key) };
}

fn wanted(widget: &adw::Avatar) -> Option<String> {
    // SAFETY: as in `set_wanted`: the value under this key is an `Option<String>`.
    unsafe {
        widget
            .data::<Option<String>>(WANTED)
            .and_then(|value| value.as_ref().clone())
    }
}

/// Shows `widget` with the picture of `avatar`, in a room of kind `room`, when the rule
/// lets it load by itself; with its initials until then, and otherwise. Cheap when the
/// picture was made before: binding a row may call it on every scroll.
pub fn show(widget: &adw::Avatar, loader: &AvatarLoader, avatar: Option<&Avatar>, room: RoomKind) {
    // Decided once: by the rule, or because the person tapped this picture before (never
    // in an invitation).
    let allowed = avatar.map(|avatar| {
        loads_by_itself(setting(), room, avatar.trust)
            || (room != RoomKind::Invited
                && CACHE.with_borrow(|cache| cache.tapped.contains(avatar.url.as_str())))
    });
    let waits = avatar.filter(|_| allowed == Some(false) && room != RoomKind::Invited);
    // SAFETY: only this module uses this key, and it always stores this type.
    unsafe {
        widget.set_data::<Option<(AvatarLoader, Avatar)>>(
            ON_TAP,
            waits.map(|avatar| (loader.clone(), avatar.clone())),
        );
    }
    let Some(avatar) = avatar.filter(|_| allowed == Some(true)) else {
        set_wanted(widget, None);
        widget.set_custom_image(None::<&gdk::Paintable>);
        return;
    };
    let side = u32::try_from(widget.size()).unwrap_or(1).max(1) * SCALE;
    let key = key(avatar, side);
    if wanted(widget).as_ref() == Some(&key) && widget.custom_image().is_some() {
        return;
    }
    set_wanted(widget, Some(key.clone()));
    let known = CACHE.with_borrow(|cache| cache.done.get(&key).cloned());
    match known {
        Some(texture) => widget.set_custom_image(texture.as_ref()),
        None => {
            widget.set_custom_image(None::<&gdk::Paintable>);
            load(widget, loader, avatar, side, key);
        }
    }
}

/// Lets a tap on `widget` load the picture that waits for one (a stranger's in a group):
/// call once, when the avatar is made.
pub fn load_on_tap(widget: &adw::Avatar) {
    let tap = gtk::GestureClick::new();
    tap.connect_released(|gesture, presses, _, _| {
        let Some(widget) = gesture.widget().and_downcast::<adw::Avatar>() else {
            return;
        };
        if presses != 1 {
            return;
        }
        // SAFETY: as in `show`: the value under this key is this type.
        let waiting = unsafe {
            widget
                .data::<Option<(AvatarLoader, Avatar)>>(ON_TAP)
                .and_then(|value| value.as_ref().clone())
        };
        if let Some((loader, avatar)) = waiting {
            gesture.set_state(gtk::EventSequenceState::Claimed);
            CACHE.with_borrow_mut(|cache| cache.tapped.insert(avatar.url.to_string()));
            // Tapped: it loads whatever kind of room this is (not an invitation, which
            // never stores a picture to tap).
            show(&widget, &loader, Some(&avatar), RoomKind::Direct);
        }
    });
    widget.add_controller(tap);
}

/// Whether a tap on `widget` would load a picture.
pub fn waits_for_tap(widget: &adw::Avatar) -> bool {
    // SAFETY: as in `show`.
    unsafe {
        widget
            .data::<Option<(AvatarLoader, Avatar)>>(ON_TAP)
            .is_some_and(|value| value.as_ref().is_some())
    }
}

/// Starts loading the picture for `key` (once, however many avatars wait for it).
fn load(widget: &adw::Avatar, loader: &AvatarLoader, avatar: &Avatar, side: u32, key: String) {
    let first = CACHE.with_borrow_mut(|cache| {
        let waiters = cache.waiting.entry(key.clone()).or_default();
        waiters.push(widget.downgrade());
        waiters.len() == 1
    });
    if !first {
        return;
    }
    let loader = loader.clone();
    let url = avatar.url.clone();
    spawn_ui(async move {
        let loaded = spawn_tokio(async move { loader.load(&url, side).await }).await;
        let texture = match loaded {
            Ok(pixels) => Some(texture_of(pixels)),
            Err(err) => {
                tracing::debug!("an avatar's picture cannot be shown: {err}");
                None
            }
        };
        let waiters = CACHE.with_borrow_mut(|cache| {
            cache.done.insert(key.clone(), texture.clone());
            cache.order.push_back(key.clone());
            while cache.order.len() > KEPT {
                if let Some(old) = cache.order.pop_front() {
                    cache.done.remove(&old);
                }
            }
            cache.waiting.remove(&key).unwrap_or_default()
        });
        for widget in waiters.iter().filter_map(glib::WeakRef::upgrade) {
            if wanted(&widget).as_ref() == Some(&key) {
                widget.set_custom_image(texture.as_ref());
            }
        }
    });
}

/// Lets go of every picture made (the window closed: its rows are gone, and Sotto in the
/// background keeps as little as it can).
pub fn forget() {
    CACHE.with_borrow_mut(|cache| {
        cache.done.clear();
        cache.order.clear();
    });
}

/// Whether `widget` shows a picture (not its initials).
pub fn shows_picture(widget: &adw::Avatar) -> bool {
    widget.custom_image().is_some()
}

/// A large avatar that can be changed: the avatar, with round buttons on its lower
/// corners that run `change_action` (a pencil) and `remove_action` (a bin; shown only while
/// there is a picture to remove, see [`EditableAvatar::set_removable`]).
pub struct EditableAvatar {
    /// The whole: put this in the page.
    pub widget: gtk::Overlay,
    /// The avatar itself.
    pub avatar: adw::Avatar,
    remove: gtk::Button,
}

impl EditableAvatar {
    pub fn new(size: i32, text: &str, change_action: &str, remove_action: &str) -> Self {
        let avatar = adw::Avatar::new(size, Some(text), true);
        let widget = gtk::Overlay::builder()
            .child(&avatar)
            .halign(gtk::Align::Center)
            .build();
        let button = |icon: &str, label: &str, action: &str, halign: gtk::Align| {
            let button = crate::ui::widgets::icon_button(icon, label);
            button.set_action_name(Some(action));
            button.add_css_class("circular");
            button.add_css_class("osd");
            button.set_halign(halign);
            button.set_valign(gtk::Align::End);
            widget.add_overlay(&button);
            button
        };
        button(
            "document-edit-symbolic",
            &crate::i18n::gettext("Change Picture…"),
            change_action,
            gtk::Align::End,
        );
        let remove = button(
            "user-trash-symbolic",
            &crate::i18n::gettext("Remove Picture"),
            remove_action,
            gtk::Align::Start,
        );
        remove.set_visible(false);
        Self {
            widget,
            avatar,
            remove,
        }
    }

    /// Shows the remove button when there is a picture to remove.
    pub fn set_removable(&self, removable: bool) {
        self.remove.set_visible(removable);
    }
}
