//! Scrolling the conversation: staying at the bottom while new messages come, the jump to
//! the latest, loading older messages as the top comes near (first those the view holds
//! back, then from the store or the server), and the read receipt once the latest shows.

use std::time::Duration;

use adw::prelude::*;
use gtk::glib;
use gtk::subclass::prelude::*;

use super::REVEAL;
use crate::ui::bridge::{spawn_tokio, spawn_ui};
use crate::ui::diff_store::Touched;
use crate::ui::gsettings::settings;

/// How many events one "load older" asks for.
const PAGE: u16 = 30;

impl super::RoomView {
    /// Scrolls so that the latest row shows at the bottom: the list view anchors it there
    /// and keeps it there as rows change height. It needs the rows laid out first (before,
    /// their heights are unknown and nothing moves), hence `laid_out`; setting the scroll
    /// position instead would use a range the list view may not follow.
    pub(super) fn show_latest_row(&self) {
        let imp = self.imp();
        let count = imp.store.borrow().as_ref().map_or(0, |s| s.n_items());
        if let Some(last) = count.checked_sub(1) {
            // The action exists on every list view; it cannot fail here.
            let _ = imp
                .list
                .activate_action("list.scroll-to-item", Some(&last.to_variant()));
        }
    }

    pub(super) fn scrolled(&self, adjustment: &gtk::Adjustment) {
        let imp = self.imp();
        let extent = (adjustment.upper(), adjustment.page_size());
        if imp.extent.replace(extent) != extent {
            // Rows were laid out (their heights are estimated until then), or the window
            // changed size: not the person scrolling. At the bottom stays at the bottom.
            self.pin_after_layout();
            return;
        }
        let bottom = adjustment.upper() - adjustment.page_size();
        let at_bottom = adjustment.value() >= bottom - 24.0;
        imp.stick_to_bottom.set(at_bottom);
        imp.jump.set_visible(!at_bottom);
        if at_bottom {
            self.maybe_mark_read();
        }
        if imp.first_screen_drawn.get() && self.near_top() {
            self.maybe_load_older();
        }
    }

    /// At the bottom stays at the bottom: once the rows are laid out (a new row's height
    /// is not known before), the latest is brought to the bottom in the same frame.
    pub(super) fn pin_after_layout(&self) {
        let imp = self.imp();
        if imp.stick_to_bottom.get() {
            imp.pin_after_layout.set(true);
        }
    }

    /// The window was laid out. Scrolling from here, the list view lays itself out again
    /// before the frame is drawn; from within its own layout, it would not follow at all.
    pub(super) fn laid_out(&self) {
        let imp = self.imp();
        if !imp.pin_after_layout.replace(false) || !imp.stick_to_bottom.get() {
            return;
        }
        let adjustment = imp.scroller.vadjustment();
        if adjustment.value() < adjustment.upper() - adjustment.page_size() - 1.0 {
            self.show_latest_row();
        }
    }

    pub(super) fn scroll_to_latest(&self) {
        let imp = self.imp();
        imp.stick_to_bottom.set(true);
        self.show_latest_row();
        self.pin_after_layout();
        imp.jump.set_visible(false);
    }

    /// Shows older events when the top is near, a page at a time: first those in memory
    /// that the view holds back, then more from the store or the server. Asked from
    /// within scrolls and model changes, it does its work a little later, one at a time.
    pub(super) fn maybe_load_older(&self) {
        let imp = self.imp();
        if imp.loading_older.get() {
            return;
        }
        imp.loading_older.set(true);
        let view = self.downgrade();
        glib::idle_add_local_once(move || {
            if let Some(view) = view.upgrade() {
                view.load_older_now();
            }
        });
    }

    pub(super) fn load_older_now(&self) {
        let imp = self.imp();
        let entries = imp.entries.borrow().clone();
        let revealed = entries.map_or(Touched::Nothing, |e| e.borrow_mut().reveal(REVEAL));
        if revealed != Touched::Nothing {
            if let (Touched::At(position), Some(store)) = (revealed, self.store()) {
                self.refresh_neighbours(&store, &[position]);
            }
            imp.loading_older.set(false);
            self.keep_loading_if_near_top();
            return;
        }
        let timeline = self.timeline().filter(|_| !imp.reached_start.get());
        let Some(timeline) = timeline else {
            imp.loading_older.set(false);
            return;
        };
        let view = self.downgrade();
        spawn_ui(async move {
            let result = spawn_tokio(async move { timeline.load_older(PAGE).await }).await;
            let Some(view) = view.upgrade() else {
                return;
            };
            let imp = view.imp();
            imp.loading_older.set(false);
            match result {
                Ok(reached) => {
                    imp.reached_start.set(reached);
                    view.keep_loading_if_near_top();
                }
                Err(err) => {
                    tracing::warn!("loading older messages failed: {err}");
                }
            }
        });
    }

    /// Less than a screen of messages above what is shown.
    pub(super) fn near_top(&self) -> bool {
        let adjustment = self.imp().scroller.vadjustment();
        adjustment.value() < adjustment.page_size()
    }

    /// How many of the timeline's items wait, held back, above those in the view.
    pub(super) fn hidden(&self) -> usize {
        let entries = self.imp().entries.borrow();
        entries.as_ref().map_or(0, |e| e.borrow().hidden())
    }

    /// Older items that arrived held back (a pagination's answer can come after the
    /// pagination said it was done) show at once when the top is on screen: nothing else
    /// would show them in a room whose messages do not fill the screen.
    pub(super) fn reveal_if_near_top(&self) {
        if self.imp().first_screen_drawn.get() && self.hidden() > 0 && self.near_top() {
            self.maybe_load_older();
        }
    }

    /// Still near the top (a short page, or a tall window): goes on a little later.
    pub(super) fn keep_loading_if_near_top(&self) {
        let more = self.hidden() > 0 || !self.imp().reached_start.get();
        if more && self.near_top() {
            let view = self.downgrade();
            glib::timeout_add_local_once(Duration::from_millis(100), move || {
                if let Some(view) = view.upgrade() {
                    view.maybe_load_older();
                }
            });
        }
    }

    /// Sends a read receipt when the latest event is on screen and the window has focus.
    pub(super) fn maybe_mark_read(&self) {
        let imp = self.imp();
        if !imp.stick_to_bottom.get() || imp.read_pending.get() {
            return;
        }
        let focused = self
            .root()
            .and_downcast::<gtk::Window>()
            .is_some_and(|w| w.is_active());
        if !focused || !self.is_mapped() {
            return;
        }
        let Some(timeline) = self.timeline() else {
            return;
        };
        imp.read_pending.set(true);
        let private = settings().boolean("private-read-receipts");
        let view = self.downgrade();
        spawn_ui(async move {
            let result = spawn_tokio(async move { timeline.mark_read(private).await }).await;
            if let Err(err) = result {
                tracing::debug!("no read receipt sent: {err}");
            }
            if let Some(view) = view.upgrade() {
                view.imp().read_pending.set(false);
            }
        });
    }

    /// To be called when the window gains focus.
    pub fn window_focused(&self) {
        self.maybe_mark_read();
    }
}
