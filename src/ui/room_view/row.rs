//! One row of the conversation: a message (grouped under its sender's name when the
//! previous one is from someone else or long ago), a day divider, the "new messages"
//! marker, or a one-line summary of a change to the room. Built in code, without a
//! template, because rows are made and rebound while scrolling.

use std::cell::{OnceCell, RefCell};

use adw::prelude::*;
use gtk::glib;
use gtk::subclass::prelude::*;

use crate::engine::html::SPOILER_URI;
use crate::engine::timeline::{Body, Entry, EntryKind, EventEntry, SendState};
use crate::i18n::{gettext, gettext_f, ngettext};
use crate::ui::text;

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
    }

    /// A day divider, the "new messages" marker, or a change to the room.
    pub struct CentreLine {
        pub line: gtk::Box,
        pub text: gtk::Label,
        pub fold: gtk::Button,
    }

    /// The quoted message a reply answers.
    pub struct ReplyQuote {
        pub quote: gtk::Box,
        pub sender: gtk::Label,
        pub text: gtk::Label,
    }

    /// The send state (with Retry and Discard when it failed) and the read receipts.
    pub struct Footer {
        pub footer: gtk::Box,
        pub status: gtk::Label,
        pub retry: gtk::Button,
        pub discard: gtk::Button,
        pub receipts: gtk::Label,
        pub receipt_box: gtk::Box,
        pub receipt_avatars: [adw::Avatar; 3],
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

    /// The centre line, made (above the message part) the first time it is needed.
    fn centre(&self) -> &imp::CentreLine {
        self.imp().centre.get_or_init(|| {
            let text = gtk::Label::new(None);
            text.set_wrap(true);
            // One line while it fits; GTK would otherwise break it early to look balanced.
            // (No set minimum width here: the line is centred, and GTK measures its width
            // for its height, which must not come out below a minimum for short texts.)
            text.set_natural_wrap_mode(gtk::NaturalWrapMode::None);
            text.set_justify(gtk::Justification::Center);
            let fold = gtk::Button::new();
            fold.add_css_class("flat");
            fold.add_css_class("caption");
            fold.set_valign(gtk::Align::Center);
            let line = gtk::Box::new(gtk::Orientation::Horizontal, 6);
            line.set_halign(gtk::Align::Center);
            line.set_margin_top(4);
            line.set_margin_bottom(4);
            line.set_margin_start(12);
            line.set_margin_end(12);
            line.append(&text);
            line.append(&fold);
            self.upcast_ref::<gtk::Box>().prepend(&line);
            let row = self.downgrade();
            fold.connect_clicked(move |_| {
                if let Some(row) = row.upgrade() {
                    row.activate_for_row("room.toggle-fold");
                }
            });
            imp::CentreLine { line, text, fold }
        })
    }

    /// The reply quote, made (under the header) the first time it is needed.
    fn reply_quote(&self) -> &imp::ReplyQuote {
        let imp = self.imp();
        imp.reply.get_or_init(|| {
            let quote = gtk::Box::new(gtk::Orientation::Vertical, 0);
            quote.add_css_class("reply-quote");
            let sender = gtk::Label::new(None);
            sender.add_css_class("caption-heading");
            sender.set_xalign(0.0);
            sender.set_ellipsize(gtk::pango::EllipsizeMode::End);
            let text = gtk::Label::new(None);
            text.add_css_class("caption");
            text.set_xalign(0.0);
            text.set_ellipsize(gtk::pango::EllipsizeMode::End);
            quote.append(&sender);
            quote.append(&text);
            imp.column.insert_child_after(&quote, Some(&imp.header));
            imp::ReplyQuote {
                quote,
                sender,
                text,
            }
        })
    }

    /// The reactions, made (under the body) the first time they are needed.
    fn reactions(&self) -> &gtk::FlowBox {
        let imp = self.imp();
        imp.reactions.get_or_init(|| {
            let reactions = gtk::FlowBox::new();
            reactions.set_selection_mode(gtk::SelectionMode::None);
            reactions.set_column_spacing(4);
            reactions.set_row_spacing(4);
            reactions.set_max_children_per_line(8);
            reactions.set_homogeneous(false);
            reactions.set_halign(gtk::Align::Start);
            imp.column.insert_child_after(&reactions, Some(&imp.body));
            reactions
        })
    }

    /// The footer, made (last) the first time it is needed.
    fn footer(&self) -> &imp::Footer {
        let imp = self.imp();
        imp.footer.get_or_init(|| {
            let status = gtk::Label::new(None);
            status.add_css_class("caption");
            status.add_css_class("dim-label");
            status.set_xalign(0.0);
            // Wraps rather than widening a phone-sized window.
            status.set_wrap(true);
            set_wrapping_widths(&status);
            status.set_hexpand(true);
            let retry = gtk::Button::with_label(&gettext("Retry"));
            retry.add_css_class("flat");
            retry.add_css_class("caption");
            let discard = gtk::Button::with_label(&gettext("Discard"));
            discard.add_css_class("flat");
            discard.add_css_class("caption");
            let receipts = gtk::Label::new(None);
            receipts.add_css_class("caption");
            receipts.add_css_class("dim-label");
            let receipt_box = gtk::Box::new(gtk::Orientation::Horizontal, 2);
            receipt_box.set_hexpand(true);
            receipt_box.set_halign(gtk::Align::End);
            receipt_box.set_valign(gtk::Align::Center);
            let receipt_avatars: [adw::Avatar; 3] = Default::default();
            for avatar in &receipt_avatars {
                avatar.set_size(18);
                avatar.set_show_initials(true);
                receipt_box.append(avatar);
            }
            receipt_box.append(&receipts);
            let footer = gtk::Box::new(gtk::Orientation::Horizontal, 6);
            footer.append(&status);
            footer.append(&retry);
            footer.append(&discard);
            footer.append(&receipt_box);
            imp.column.append(&footer);
            for (button, action) in [(&retry, "room.retry"), (&discard, "room.discard")] {
                let row = self.downgrade();
                button.connect_clicked(move |_| {
                    if let Some(row) = row.upgrade() {
                        row.activate_for_row(action);
                    }
                });
            }
            imp::Footer {
                footer,
                status,
                retry,
                discard,
                receipts,
                receipt_box,
                receipt_avatars,
            }
        })
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

    /// Shows the spoilers of the message in this row, until the row shows another entry.
    pub fn reveal_spoilers(&self) {
        let imp = self.imp();
        let Some(revealed) = imp.revealed_markup.borrow().clone() else {
            return;
        };
        imp.revealed_for
            .replace(Some(imp.unique_id.borrow().clone()));
        imp.body.set_markup(&revealed);
    }

    /// Shows `entry`; `previous` is the entry above it, which decides whether the sender's
    /// name and avatar repeat; `state` says how a change to the room shows in its run.
    pub fn bind(&self, entry: &Entry, previous: Option<&Entry>, state: StateShow) {
        let imp = self.imp();
        if imp.revealed_for.borrow().as_deref() != Some(entry.unique_id.as_str()) {
            imp.revealed_for.replace(None);
        }
        imp.revealed_markup.replace(match &entry.kind {
            EntryKind::Event(event) => revealed_markup(event),
            _ => None,
        });
        imp.unique_id.replace(entry.unique_id.clone());
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
                    self.bind_event(event, previous);
                }
            },
        }
    }

    fn bind_event(&self, event: &EventEntry, previous: Option<&Entry>) {
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
            imp.sender.set_text(&event.sender_name);
            crate::ui::widgets::set_tooltip(&imp.sender, &event.sender);
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
            other => {
                imp.body.set_text(&placeholder(other));
                imp.body.add_css_class("dim-label");
            }
        }

        self.bind_reactions(event);
        self.bind_footer(event);
    }

    fn bind_reactions(&self, event: &EventEntry) {
        // The previous entry's reactions go; the box is made only for an entry with some.
        if let Some(reactions) = self.imp().reactions.get() {
            crate::ui::widgets::remove_children(reactions, |flow, child| flow.remove(child));
            reactions.set_visible(false);
        }
        if event.reactions.is_empty() {
            return;
        }
        let reactions = self.reactions();
        reactions.set_visible(true);
        for reaction in &event.reactions {
            let button = gtk::ToggleButton::with_label(&format!(
                "{} {}",
                reaction.key,
                reaction.senders.len()
            ));
            button.set_active(reaction.own);
            button.add_css_class("reaction");
            let who = reaction.senders.join(", ");
            let tooltip = gettext_f(
                "{reaction} from {who}",
                &[("reaction", &reaction.key), ("who", &who)],
            );
            button.set_tooltip_text(Some(&tooltip));
            let row = self.downgrade();
            let key = reaction.key.clone();
            button.connect_clicked(move |_| {
                if let Some(row) = row.upgrade() {
                    let target = (row.unique_id(), key.clone()).to_variant();
                    let _ = WidgetExt::activate_action(&row, "room.toggle-reaction", Some(&target));
                }
            });
            reactions.insert(&button, -1);
        }
    }

    /// The send state and the read receipts, when there is something to say.
    fn bind_footer(&self, event: &EventEntry) {
        let (status, failed) = match &event.send_state {
            SendState::Remote => (
                if event.edited {
                    gettext("(edited)")
                } else {
                    String::new()
                },
                false,
            ),
            SendState::Sending => (gettext("Sending…"), false),
            SendState::Sent => (gettext("Sent"), false),
            SendState::Failed { will_retry: true } => (
                gettext("Not sent yet: Sotto retries when the server answers."),
                true,
            ),
            SendState::Failed { will_retry: false } => (gettext("Not sent."), true),
        };
        let readers = &event.read_by;
        if status.is_empty() && !failed && readers.is_empty() {
            if let Some(footer) = self.imp().footer.get() {
                footer.footer.set_visible(false);
            }
            return;
        }
        let footer = self.footer();
        footer.footer.set_visible(true);
        footer.status.set_text(&status);
        footer.status.set_visible(!status.is_empty());
        footer.retry.set_visible(failed);
        footer.discard.set_visible(failed);
        // Compact avatars of up to three readers, "+N" for the others; the sentence and
        // the full list are the tooltip.
        for (i, avatar) in footer.receipt_avatars.iter().enumerate() {
            match readers.get(i) {
                Some(user) => {
                    avatar.set_text(Some(&short_id(user)));
                    avatar.set_visible(true);
                }
                None => avatar.set_visible(false),
            }
        }
        let more = readers.len().saturating_sub(footer.receipt_avatars.len());
        footer.receipts.set_text(&if more > 0 {
            format!("+{more}")
        } else {
            String::new()
        });
        footer.receipts.set_visible(more > 0);
        let sentence = receipts_label(readers);
        crate::ui::widgets::set_tooltip(
            &footer.receipt_box,
            &format!("{sentence}\n{}", readers.join("\n")),
        );
        footer.receipt_box.set_visible(!readers.is_empty());
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

fn placeholder(body: &Body) -> String {
    match body {
        Body::Attachment(attachment) => text::attachment(attachment),
        Body::Unsupported(unsupported) => text::unsupported(unsupported),
        Body::State(change) => text::state_change(change),
        Body::Removed => gettext("Message removed"),
        Body::Undecryptable => {
            gettext("Waiting for this message's key. It appears as soon as the key arrives.")
        }
        Body::Text { plain, .. } | Body::Emote { plain, .. } | Body::Notice { plain, .. } => {
            plain.clone()
        }
    }
}

fn local_time(ms: u64) -> Option<glib::DateTime> {
    let seconds = i64::try_from(ms / 1000).ok()?;
    glib::DateTime::from_unix_local(seconds).ok()
}

/// The time of day of a message.
pub fn time_label(ms: u64) -> String {
    // Translators: the time of a message; see strftime for the codes ("%l:%M %p" for a
    // 12-hour clock).
    local_time(ms)
        .and_then(|t| t.format(&gettext("%H:%M")).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// "Today", "Yesterday", or the date.
fn day_label(ms: u64) -> String {
    let Some(day) = local_time(ms) else {
        return String::new();
    };
    let Ok(now) = glib::DateTime::now_local() else {
        return String::new();
    };
    let same_day = |a: &glib::DateTime, b: &glib::DateTime| {
        a.year() == b.year() && a.day_of_year() == b.day_of_year()
    };
    if same_day(&day, &now) {
        return gettext("Today");
    }
    if now.add_days(-1).is_ok_and(|y| same_day(&day, &y)) {
        return gettext("Yesterday");
    }
    // Translators: a day heading in a conversation; see strftime for the codes.
    day.format(&gettext("%A, %e %B %Y"))
        .map(|s| s.to_string())
        .unwrap_or_default()
}

fn receipts_label(read_by: &[String]) -> String {
    match read_by.len() {
        0 => String::new(),
        1 => gettext_f("Seen by {name}", &[("name", &short_id(&read_by[0]))]),
        n => {
            let n_u32 = u32::try_from(n).unwrap_or(u32::MAX);
            ngettext("Seen by {count} person", "Seen by {count} people", n_u32)
                .replace("{count}", &n.to_string())
        }
    }
}

/// `@alice:example.org` → `alice`.
fn short_id(user_id: &str) -> String {
    user_id
        .trim_start_matches('@')
        .split(':')
        .next()
        .unwrap_or(user_id)
        .to_owned()
}

/// An emote's line: `* Name does something`.
fn emote_markup(event: &EventEntry, markup: &str) -> String {
    format!(
        "* {} {markup}",
        glib::markup_escape_text(&event.sender_name)
    )
}

/// The body's markup with its spoilers revealed, when it has spoilers.
fn revealed_markup(event: &EventEntry) -> Option<String> {
    match &event.body {
        Body::Text { revealed, .. } | Body::Notice { revealed, .. } => revealed.clone(),
        Body::Emote { revealed, .. } => revealed.as_deref().map(|r| emote_markup(event, r)),
        _ => None,
    }
}
