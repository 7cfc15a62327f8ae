//! The text part of a message: the quote of the message a reply answers, spoilers shown
//! once the person reveals them, an emote's line, and the words shown in place of a body
//! that has no text of its own.

use adw::prelude::*;
use gtk::glib;
use gtk::subclass::prelude::*;

use crate::engine::timeline::{Body, EventEntry};
use crate::i18n::gettext;
use crate::ui::text;

use super::MessageRow;

/// The quoted message a reply answers.
pub struct ReplyQuote {
    pub quote: gtk::Box,
    pub sender: gtk::Label,
    pub text: gtk::Label,
}

impl MessageRow {
    /// The reply quote, made (under the header) the first time it is needed.
    pub(super) fn reply_quote(&self) -> &ReplyQuote {
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
            ReplyQuote {
                quote,
                sender,
                text,
            }
        })
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
}

pub(super) fn placeholder(body: &Body) -> String {
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

/// An emote's line: `* Name does something`.
pub(super) fn emote_markup(event: &EventEntry, markup: &str) -> String {
    format!(
        "* {} {markup}",
        glib::markup_escape_text(&event.sender_name)
    )
}

/// The body's markup with its spoilers revealed, when it has spoilers.
pub(super) fn revealed_markup(event: &EventEntry) -> Option<String> {
    match &event.body {
        Body::Text { revealed, .. } | Body::Notice { revealed, .. } => revealed.clone(),
        Body::Emote { revealed, .. } => revealed.as_deref().map(|r| emote_markup(event, r)),
        _ => None,
    }
}
