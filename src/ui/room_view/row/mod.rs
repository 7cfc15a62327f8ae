//! One row of the conversation: a message (grouped under its sender's name when the
//! previous one is from someone else or long ago), a day divider, the "new messages"
//! marker, or a one-line summary of a change to the room. Built in code, without a
//! template, because rows are made and rebound while scrolling.
//!
//! This file holds the row's GObject, its construction and `bind`, which decides what the
//! row shows; the parts it shows are in their own files: `centre` (the centre line of a
//! day divider, the "new messages" marker or a change to the room), `body` (the reply
//! quote, spoilers and the words for bodies without text), `media` (a picture, its
//! caption, and the player of a video or sound), `footer` (reactions, the send state and
//! read receipts) and `dates` (the words for a message's time and a day).

mod body;
mod centre;
mod dates;
mod footer;
mod media;

use std::cell::{Cell, OnceCell, RefCell};
use std::rc::Rc;

use adw::prelude::*;
use gtk::glib;
use gtk::subclass::prelude::*;

use crate::engine::html::SPOILER_URI;
use crate::engine::timeline::{Attachment, Body, Entry, EntryKind, EventEntry};
use crate::i18n::{gettext, ngettext};
use crate::ui::room_view::pictures::Pictures;
use crate::ui::room_view::playback::Playback;
use crate::ui::text;
use body::{ReplyQuote, emote_markup, placeholder, revealed_markup};
use centre::CentreLine;
use dates::day_label;
pub use dates::time_label;
use footer::Footer;
pub use media::PictureStatus;
use media::{MediaPart, ShownPicture};

/// The sender's avatar beside the first message of a group, and the space after it.
const AVATAR_SIZE: i32 = 36;
const EVENT_SPACING: i32 = 8;

/// Messages of one sender closer together than this share one header.
const GROUP_WINDOW_MS: u64 = 5 * 60 * 1000;

/// How a change to the room (a join, a rename…) shows within a run of such changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateShow {
    /// Not a change to the room, or a short run: shown as it is.
    Plain,
    /// The first of a long run, folded: its sentence and how many more follow.
    FoldedHead {
        /// Changes after this one in the run.
        more: usize,
    },
    /// The first of a long run, unfolded.
    UnfoldedHead,
    /// Inside a folded run: not shown.
    Hidden,
}

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct MessageRow {
        pub unique_id: RefCell<String>,
        /// The entry whose spoilers the person revealed (while this row shows it).
        pub revealed_for: RefCell<Option<String>>,
        /// The body's markup with its spoilers revealed, when it has spoilers.
        pub revealed_markup: RefCell<Option<String>>,
        pub event: gtk::Box,
        pub avatar: adw::Avatar,
        pub header: gtk::Box,
        pub sender: gtk::Label,
        pub time: gtk::Label,
        pub column: gtk::Box,
        pub body: gtk::Label,
        // The parts most rows never show are made the first time a row needs them: a
        // screenful of rows is made at once when a room opens.
        pub centre: OnceCell<CentreLine>,
        pub reply: OnceCell<ReplyQuote>,
        pub reactions: OnceCell<gtk::FlowBox>,
        pub footer: OnceCell<Footer>,
        pub media: OnceCell<MediaPart>,
        /// Counts the pictures this row was bound to: a load that finishes for an earlier
        /// one (the row was recycled meanwhile) is ignored.
        pub picture_generation: Cell<u64>,
        /// The picture shown now, what the load button loads, and how it is going.
        pub picture: RefCell<Option<ShownPicture>>,
        /// Plays the picture shown, when it moves.
        pub animation: RefCell<Option<crate::ui::room_view::animation::Player>>,
        /// Plays a video or sound (made the first time a row shows one).
        pub playback: OnceCell<Rc<Playback>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for MessageRow {
        const NAME: &'static str = "SottoMessageRow";
        type Type = super::MessageRow;
        type ParentType = gtk::Box;
    }

    impl ObjectImpl for MessageRow {
        fn constructed(&self) {
            self.parent_constructed();
            self.obj().build();
        }
    }
    impl WidgetImpl for MessageRow {}
    impl BoxImpl for MessageRow {}
}

glib::wrapper! {
    /// A row of the conversation.
    pub struct MessageRow(ObjectSubclass<imp::MessageRow>)
        @extends gtk::Box, gtk::Widget,
        @implements gtk::Buildable, gtk::ConstraintTarget, gtk::Orientable;
}

impl Default for MessageRow {
    fn default() -> Self {
        glib::Object::new()
    }
}

impl MessageRow {
    fn build(&self) {
        let imp = self.imp();
        self.set_orientation(gtk::Orientation::Vertical);
        self.add_css_class("message-row");

        imp.avatar.set_size(AVATAR_SIZE);
        // A stranger's picture in a group waits for a tap, as pictures do.
        crate::ui::avatars::load_on_tap(&imp.avatar);
        imp.avatar.set_show_initials(true);
        imp.avatar.set_valign(gtk::Align::Start);
        imp.avatar.set_margin_top(2);

        imp.sender.add_css_class("heading");
        imp.sender.set_xalign(0.0);
        imp.sender.set_ellipsize(gtk::pango::EllipsizeMode::End);
        imp.sender.set_hexpand(true);
        imp.time.add_css_class("dim-label");
        imp.time.add_css_class("caption");
        imp.header.set_spacing(6);
        imp.header.append(&imp.sender);
        imp.header.append(&imp.time);

        imp.body.set_xalign(0.0);
        imp.body.set_wrap(true);
        imp.body.set_wrap_mode(gtk::pango::WrapMode::WordChar);
        // A set minimum and natural width: otherwise GTK lays each wrapping text out again
        // at every width it tries while it measures a row, which was half of the time of
        // showing a screenful of messages.
        set_wrapping_widths(&imp.body);
        imp.body.set_use_markup(true);
        imp.body.add_css_class("message-body");
        // A hidden spoiler is a link to `SPOILER_URI`: activating it (a click, a tap, or
        // Enter on the focused link) shows the message's spoilers instead of opening a page.
        // Every other link goes to the window, which asks before anything opens (GTK's own
        // handler would open it at once).
        imp.body.connect_activate_link(|label, uri| {
            if uri != SPOILER_URI {
                if label
                    .activate_action("win.open-link", Some(&uri.to_variant()))
                    .is_err()
                {
                    tracing::warn!("no window to follow a link from");
                }
                return glib::Propagation::Stop;
            }
            if let Some(row) = label
                .ancestor(MessageRow::static_type())
                .and_downcast::<MessageRow>()
            {
                row.reveal_spoilers();
            }
            glib::Propagation::Stop
        });

        imp.column.set_orientation(gtk::Orientation::Vertical);
        imp.column.set_spacing(2);
        imp.column.set_hexpand(true);
        imp.column.append(&imp.header);
        imp.column.append(&imp.body);

        imp.event.set_spacing(EVENT_SPACING);
        imp.event.set_margin_start(8);
        imp.event.set_margin_end(12);
        imp.event.append(&imp.avatar);
        imp.event.append(&imp.column);
        self.upcast_ref::<gtk::Box>().append(&imp.event);
    }

    /// The sender's avatar beside the first message of a group.
    pub fn sender_avatar(&self) -> adw::Avatar {
        self.imp().avatar.clone()
    }

    /// Runs a `room.*` action with this row's entry as its target.
    pub fn activate_for_row(&self, action: &str) {
        let id = self.imp().unique_id.borrow().clone();
        let _ = WidgetExt::activate_action(self, action, Some(&id.to_variant()));
    }

    /// The unique ID of the entry shown.
    pub fn unique_id(&self) -> String {
        self.imp().unique_id.borrow().clone()
    }

    /// Shows `entry`; `previous` is the entry above it, which decides whether the sender's
    /// name and avatar repeat; `state` says how a change to the room shows in its run.
    pub fn bind(
        &self,
        entry: &Entry,
        previous: Option<&Entry>,
        state: StateShow,
        pictures: Option<Rc<Pictures>>,
    ) {
        let imp = self.imp();
        self.hide_media();
        imp.body.set_visible(true);
        if imp.revealed_for.borrow().as_deref() != Some(entry.unique_id.as_str()) {
            imp.revealed_for.replace(None);
        }
        imp.revealed_markup.replace(match &entry.kind {
            EntryKind::Event(event) => revealed_markup(event),
            _ => None,
        });
        imp.unique_id.replace(entry.unique_id.clone());
        // A video or sound that plays goes on when its row is bound again (a receipt or a
        // reaction came); the row showing something else stops it.
        let plays = matches!(&entry.kind, EntryKind::Event(event)
            if matches!(event.body, Body::Attachment(Attachment::Video(_) | Attachment::Audio(_))));
        if !plays && let Some(playback) = imp.playback.get() {
            playback.unbind();
        }
        for class in [
            "day-divider",
            "read-marker",
            "state-event",
            "own",
            "highlighted",
        ] {
            self.remove_css_class(class);
        }
        self.set_margin_top(0);
        let hide_centre = || {
            if let Some(centre) = imp.centre.get() {
                centre.line.set_visible(false);
            }
        };
        if state == StateShow::Hidden {
            hide_centre();
            imp.event.set_visible(false);
            return;
        }
        let centre = |text: &str, class: &str| {
            let line = self.centre();
            line.text.set_text(text);
            line.fold.set_visible(false);
            line.line.set_visible(true);
            imp.event.set_visible(false);
            self.add_css_class(class);
        };
        let fold = |label: &str| {
            let fold = &self.centre().fold;
            fold.set_label(label);
            fold.set_visible(true);
        };
        match &entry.kind {
            EntryKind::DayDivider(ms) => centre(&day_label(*ms), "day-divider"),
            EntryKind::ReadMarker => centre(&gettext("New messages"), "read-marker"),
            EntryKind::Start => centre(
                &gettext("This is the beginning of the conversation."),
                "state-event",
            ),
            EntryKind::Event(event) => match &event.body {
                Body::State(change) => match state {
                    StateShow::FoldedHead { more } => {
                        let n = u32::try_from(more).unwrap_or(u32::MAX);
                        let text = ngettext(
                            "{change}, and {count} more change",
                            "{change}, and {count} more changes",
                            n,
                        )
                        .replace("{change}", &text::state_change(change))
                        .replace("{count}", &more.to_string());
                        centre(&text, "state-event");
                        fold(&gettext("Show All"));
                    }
                    StateShow::UnfoldedHead => {
                        centre(&text::state_change(change), "state-event");
                        fold(&gettext("Hide"));
                    }
                    StateShow::Plain | StateShow::Hidden => {
                        centre(&text::state_change(change), "state-event");
                    }
                },
                _ => {
                    hide_centre();
                    imp.event.set_visible(true);
                    self.bind_event(event, previous, pictures);
                }
            },
        }
    }

    fn bind_event(
        &self,
        event: &EventEntry,
        previous: Option<&Entry>,
        pictures: Option<Rc<Pictures>>,
    ) {
        let imp = self.imp();
        let continues = previous.is_some_and(|p| continues_group(p, event));
        if event.is_own {
            self.add_css_class("own");
        }
        if event.highlighted {
            self.add_css_class("highlighted");
        }
        imp.header.set_visible(!continues);
        // A message that continues a group keeps the avatar's room, without an avatar.
        imp.avatar.set_visible(!continues);
        imp.column.set_margin_start(if continues {
            AVATAR_SIZE + EVENT_SPACING
        } else {
            0
        });
        if !continues {
            imp.avatar.set_text(Some(&event.sender_name));
            match &pictures {
                Some(pictures) => pictures.show_avatar(&imp.avatar, event),
                None => imp.avatar.set_custom_image(None::<&gtk::gdk::Paintable>),
            }
            imp.sender.set_text(&event.sender_name);
            crate::ui::widgets::set_tooltip(&imp.sender, event.sender.as_str());
        }
        imp.time.set_text(&time_label(event.timestamp_ms));
        self.set_margin_top(if continues { 0 } else { 6 });

        match &event.reply_to {
            Some(reply) => {
                let quote = self.reply_quote();
                quote.quote.set_visible(true);
                quote.sender.set_text(
                    reply
                        .sender_name
                        .as_deref()
                        .unwrap_or(&gettext("In reply to")),
                );
                quote.text.set_text(
                    &reply
                        .text
                        .as_ref()
                        .map_or_else(|| gettext("A message not loaded yet"), text::reply_text),
                );
            }
            None => {
                if let Some(quote) = imp.reply.get() {
                    quote.quote.set_visible(false);
                }
            }
        }

        imp.body.remove_css_class("dim-label");
        imp.body.remove_css_class("notice");
        // With the spoilers shown when the person revealed them in this entry.
        let revealed_here = imp.revealed_for.borrow().is_some();
        let shown = |markup: &str, revealed: &Option<String>| -> String {
            match revealed {
                Some(revealed) if revealed_here => revealed.clone(),
                _ => markup.to_owned(),
            }
        };
        match &event.body {
            Body::Text {
                markup, revealed, ..
            } => imp.body.set_markup(&shown(markup, revealed)),
            Body::Emote {
                markup, revealed, ..
            } => imp
                .body
                .set_markup(&emote_markup(event, &shown(markup, revealed))),
            Body::Notice {
                markup, revealed, ..
            } => {
                imp.body.set_markup(&shown(markup, revealed));
                imp.body.add_css_class("notice");
            }
            Body::Attachment(Attachment::Image(media) | Attachment::Sticker(media)) => {
                self.bind_picture(event, media, pictures);
            }
            Body::Attachment(
                attachment @ (Attachment::Video(media)
                | Attachment::Audio(media)
                | Attachment::File(media)),
            ) => {
                let details = text::media_details(media);
                let line = text::attachment(attachment);
                imp.body.set_text(&if details.is_empty() {
                    line
                } else {
                    format!("{line}\n{details}")
                });
                imp.body.add_css_class("dim-label");
                self.bind_caption(media);
                let video = matches!(attachment, Attachment::Video(_));
                if let (Attachment::Video(_) | Attachment::Audio(_), Some(pictures)) =
                    (attachment, &pictures)
                {
                    self.playback().bind(media, video, pictures.session());
                }
            }
            other => {
                imp.body.set_text(&placeholder(other));
                imp.body.add_css_class("dim-label");
            }
        }

        self.bind_reactions(event);
        self.bind_footer(event);
    }
}

/// The widths of a wrapping label of a row, in characters: a minimum that fits the
/// narrowest phone, and a natural width of a comfortable line (wider windows still fill
/// their width).
fn set_wrapping_widths(label: &gtk::Label) {
    label.set_width_chars(8);
    label.set_max_width_chars(80);
}

/// True when `entry` is a change to the room (a join, a rename…).
pub fn is_state(entry: &Entry) -> bool {
    matches!(&entry.kind, EntryKind::Event(event) if matches!(event.body, Body::State(_)))
}

/// True when `event` follows `previous` closely enough to share its header.
fn continues_group(previous: &Entry, event: &EventEntry) -> bool {
    let EntryKind::Event(prev) = &previous.kind else {
        return false;
    };
    !matches!(prev.body, Body::State(_))
        && prev.sender == event.sender
        && event.timestamp_ms.saturating_sub(prev.timestamp_ms) < GROUP_WINDOW_MS
}
