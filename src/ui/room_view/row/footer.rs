//! What follows a message's body: its reactions (each a toggle that adds or takes back
//! one's own), and the footer with the send state (Retry and Discard when sending failed)
//! and the read receipts.

use adw::prelude::*;
use gtk::subclass::prelude::*;

use crate::engine::ids::OwnedUserId;
use crate::engine::timeline::{EventEntry, SendState};
use crate::i18n::{gettext, gettext_f, ngettext};

use super::{MessageRow, set_wrapping_widths};

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

impl MessageRow {
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
    fn footer(&self) -> &Footer {
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
            Footer {
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

    pub(super) fn bind_reactions(&self, event: &EventEntry) {
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
            let who = joined(&reaction.senders, ", ");
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
    pub(super) fn bind_footer(&self, event: &EventEntry) {
        let (status, failed) = match &event.send_state {
            SendState::Remote => (
                if event.edited {
                    gettext("(edited)")
                } else {
                    String::new()
                },
                false,
            ),
            SendState::Sending => match event.upload {
                Some(upload) if upload.total > 0 => (
                    gettext_f(
                        "Uploading… {percent} %",
                        &[("percent", &upload.percent().to_string())],
                    ),
                    false,
                ),
                _ => (gettext("Sending…"), false),
            },
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
                    avatar.set_text(Some(user.localpart()));
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
            &format!("{sentence}\n{}", joined(readers, "\n")),
        );
        footer.receipt_box.set_visible(!readers.is_empty());
    }
}

fn receipts_label(read_by: &[OwnedUserId]) -> String {
    match read_by.len() {
        0 => String::new(),
        1 => gettext_f("Seen by {name}", &[("name", read_by[0].localpart())]),
        n => {
            let n_u32 = u32::try_from(n).unwrap_or(u32::MAX);
            ngettext("Seen by {count} person", "Seen by {count} people", n_u32)
                .replace("{count}", &n.to_string())
        }
    }
}

/// The Matrix IDs `users`, one after the other with `separator` between them.
fn joined(users: &[OwnedUserId], separator: &str) -> String {
    users
        .iter()
        .map(|user| user.as_str())
        .collect::<Vec<_>>()
        .join(separator)
}
