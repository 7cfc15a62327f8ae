//! The centre line of a row: a day divider, the "new messages" marker, or a one-line
//! summary of a change to the room, with the button that folds or unfolds a long run of
//! such changes.

use adw::prelude::*;
use gtk::subclass::prelude::*;

use super::MessageRow;

/// A day divider, the "new messages" marker, or a change to the room.
pub struct CentreLine {
    pub line: gtk::Box,
    pub text: gtk::Label,
    pub fold: gtk::Button,
}

impl MessageRow {
    /// The centre line, made (above the message part) the first time it is needed.
    pub(super) fn centre(&self) -> &CentreLine {
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
            CentreLine { line, text, fold }
        })
    }
}
