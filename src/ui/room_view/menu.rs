//! The actions menu of a message, opened by right-click or long-press: quick reactions
//! and the emoji chooser, Reply, Edit, Copy Text, Open Picture, Save, Remove. Touch-sized buttons; each runs
//! a `room.*` action on the message.

use adw::prelude::*;
use gtk::glib;

use super::RoomView;
use super::row::MessageRow;
use crate::i18n::gettext;

/// Reactions offered with one tap.
const QUICK_REACTIONS: [&str; 6] = ["👍", "❤️", "😂", "😮", "😢", "🎉"];

/// Opens the menu of `row`, pointing at `at` (row coordinates) or at the row; returns it
/// unless there is nothing to offer.
pub fn open(row: &MessageRow, at: Option<(f64, f64)>) -> Option<gtk::Popover> {
    let view = row
        .ancestor(RoomView::static_type())
        .and_downcast::<RoomView>()?;
    let unique_id = row.unique_id();
    let event = view.event(&unique_id)?;

    let popover = gtk::Popover::new();
    popover.add_css_class("menu");
    let content = gtk::Box::new(gtk::Orientation::Vertical, 2);
    content.set_margin_top(4);
    content.set_margin_bottom(4);

    if event.can_react {
        let quick = gtk::Box::new(gtk::Orientation::Horizontal, 0);
        quick.add_css_class("quick-reactions");
        for key in QUICK_REACTIONS {
            let button = gtk::Button::with_label(key);
            button.add_css_class("flat");
            button.add_css_class("touch-target");
            button.add_css_class("quick-reaction");
            button.set_hexpand(false);
            let label = crate::i18n::gettext_f("React with {reaction}", &[("reaction", key)]);
            button.set_tooltip_text(Some(&label));
            let (row, popover_weak, id) = (row.downgrade(), popover.downgrade(), unique_id.clone());
            button.connect_clicked(move |_| {
                if let Some(popover) = popover_weak.upgrade() {
                    popover.popdown();
                }
                if let Some(row) = row.upgrade() {
                    let target = (id.clone(), key.to_owned()).to_variant();
                    let _ = WidgetExt::activate_action(&row, "room.toggle-reaction", Some(&target));
                }
            });
            quick.append(&button);
        }
        let more =
            crate::ui::widgets::icon_button("list-add-symbolic", &gettext("Other Reaction…"));
        more.add_css_class("flat");
        more.add_css_class("touch-target");
        let (row_weak, popover_weak, id) =
            (row.downgrade(), popover.downgrade(), unique_id.clone());
        more.connect_clicked(move |_| {
            if let Some(popover) = popover_weak.upgrade() {
                popover.popdown();
            }
            if let Some(row) = row_weak.upgrade() {
                open_emoji_chooser(&row, id.clone());
            }
        });
        quick.append(&more);
        content.append(&quick);
    }

    let mut entries: Vec<(String, &str)> = Vec::new();
    if event.can_reply {
        entries.push((gettext("_Reply"), "room.reply"));
    }
    if event.can_edit {
        entries.push((gettext("_Edit"), "room.edit"));
    }
    if event.copy_text().is_some() {
        entries.push((gettext("_Copy Text"), "room.copy"));
    }
    if event.media().is_some() {
        let picture = matches!(
            event.body,
            crate::engine::timeline::Body::Attachment(crate::engine::timeline::Attachment::Image(
                _
            ))
        );
        if picture {
            entries.push((gettext("_Open Picture"), "room.view-picture"));
        }
        // Not a file still on its way out (its source is on this device).
        if event.event_id.is_some() {
            entries.push((gettext("_Save…"), "room.save-attachment"));
        }
    }
    if event.can_remove {
        entries.push((gettext("Re_move…"), "room.remove"));
    }
    for (label, action) in entries {
        let button = gtk::Button::with_mnemonic(&label);
        button.add_css_class("flat");
        button.add_css_class("menu-item");
        if let Some(child) = button.child().and_downcast::<gtk::Label>() {
            child.set_xalign(0.0);
        }
        let (row, popover_weak, id) = (row.downgrade(), popover.downgrade(), unique_id.clone());
        button.connect_clicked(move |_| {
            if let Some(popover) = popover_weak.upgrade() {
                popover.popdown();
            }
            if let Some(row) = row.upgrade() {
                let _ = WidgetExt::activate_action(&row, action, Some(&id.to_variant()));
            }
        });
        content.append(&button);
    }
    content.first_child()?;
    popover.set_child(Some(&content));
    popover.set_parent(row);
    if let Some((x, y)) = at {
        // Truncation to whole pixels is intended.
        #[allow(clippy::cast_possible_truncation)]
        popover.set_pointing_to(Some(&gtk::gdk::Rectangle::new(x as i32, y as i32, 1, 1)));
    }
    popover.connect_closed(|popover| {
        let popover = popover.clone();
        // Unparent after the closing animation has used it.
        glib::idle_add_local_once(move || popover.unparent());
    });
    popover.popup();
    Some(popover)
}

fn open_emoji_chooser(row: &MessageRow, unique_id: String) {
    let chooser = gtk::EmojiChooser::new();
    chooser.set_parent(row);
    let row_weak = row.downgrade();
    chooser.connect_emoji_picked(move |_, emoji| {
        if let Some(row) = row_weak.upgrade() {
            let target = (unique_id.clone(), emoji.to_owned()).to_variant();
            let _ = WidgetExt::activate_action(&row, "room.toggle-reaction", Some(&target));
        }
    });
    chooser.connect_closed(|chooser| {
        let chooser = chooser.clone();
        glib::idle_add_local_once(move || chooser.unparent());
    });
    chooser.popup();
}
