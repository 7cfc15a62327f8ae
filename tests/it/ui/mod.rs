//! UI tests: the real window under Xvfb, driven through its widgets, with screenshots.

mod accessible_names;
mod accounts;
mod avatars;
mod background;
mod conversation;
mod greeter;
mod key_sharing;
mod links;
mod markup;
mod notifications;
mod playback;
mod portal;
mod receive_media;
mod room_list;
mod rooms;
mod send_media;
mod session;
mod trust;
mod trust_keys;
mod window;
