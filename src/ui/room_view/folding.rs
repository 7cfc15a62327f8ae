//! Rows that depend on their neighbours: runs of changes to the room folded into one line
//! (unfolded on a tap), and the rebinding of the rows around a change (grouping under a
//! sender, the read marker).

use gtk::gio;
use gtk::prelude::*;
use gtk::subclass::prelude::*;

use super::row;
use crate::engine::timeline::{Entry, EntryKind};
use crate::ui::diff_store;

/// Runs of this many changes to the room, or more, are folded into one line.
const FOLD_FROM: usize = 3;

impl super::RoomView {
    /// How the entry at `position` shows within its run of changes to the room.
    pub(super) fn state_show(
        &self,
        position: u32,
        entry: &Entry,
        previous: Option<&Entry>,
    ) -> row::StateShow {
        if !row::is_state(entry) {
            return row::StateShow::Plain;
        }
        let start = self.run_start(position);
        let Some(head) = self.entry_at(start) else {
            return row::StateShow::Plain;
        };
        let length = self.run_length(start);
        if length < FOLD_FROM {
            return row::StateShow::Plain;
        }
        let unfolded = self.imp().unfolded.borrow().contains(&head.unique_id);
        match (previous.is_some_and(row::is_state), unfolded) {
            (false, false) => row::StateShow::FoldedHead { more: length - 1 },
            (false, true) => row::StateShow::UnfoldedHead,
            (true, false) => row::StateShow::Hidden,
            (true, true) => row::StateShow::Plain,
        }
    }

    /// The position of the first change of the run that `position` is in.
    pub(super) fn run_start(&self, position: u32) -> u32 {
        let mut start = position;
        while start > 0 && self.entry_at(start - 1).is_some_and(|e| row::is_state(&e)) {
            start -= 1;
        }
        start
    }

    /// How many changes to the room follow each other from `start` on.
    pub(super) fn run_length(&self, start: u32) -> usize {
        let mut end = start;
        while self.entry_at(end).is_some_and(|e| row::is_state(&e)) {
            end += 1;
        }
        (end - start) as usize
    }

    /// Rebinds the rows whose look depends on the changed ones: the next row (grouping
    /// under a sender) and every row of a run of changes to the room (folding).
    pub(super) fn refresh_neighbours(&self, store: &gio::ListStore, touched: &[u32]) {
        let mut done = std::collections::HashSet::new();
        for &position in touched {
            if done.insert(position + 1) {
                diff_store::refresh(store, position + 1);
            }
            // The read marker shows only with something after it.
            if let Some(before) = position.checked_sub(1)
                && self
                    .entry_at(before)
                    .is_some_and(|e| matches!(e.kind, EntryKind::ReadMarker))
                && done.insert(before)
            {
                diff_store::refresh(store, before);
            }
            let around = position.saturating_sub(1);
            if self.entry_at(around).is_some_and(|e| row::is_state(&e))
                || self.entry_at(position).is_some_and(|e| row::is_state(&e))
            {
                let anchor = if self.entry_at(around).is_some_and(|e| row::is_state(&e)) {
                    around
                } else {
                    position
                };
                let start = self.run_start(anchor);
                let length = u32::try_from(self.run_length(start)).unwrap_or(0);
                for p in start..start + length {
                    if p != position && done.insert(p) {
                        diff_store::refresh(store, p);
                    }
                }
            }
        }
    }

    pub(super) fn toggle_fold(&self, unique_id: &str) {
        {
            let mut unfolded = self.imp().unfolded.borrow_mut();
            if !unfolded.remove(unique_id) {
                unfolded.insert(unique_id.to_owned());
            }
        }
        let Some(store) = self.store() else {
            return;
        };
        let head = (0..store.n_items())
            .find(|&p| self.entry_at(p).is_some_and(|e| e.unique_id == unique_id));
        if let Some(head) = head {
            let length = u32::try_from(self.run_length(head)).unwrap_or(0);
            for p in head..head + length {
                diff_store::refresh(&store, p);
            }
        }
    }

    pub(super) fn entry_at(&self, position: u32) -> Option<Entry> {
        let store = self.imp().store.borrow();
        let item = store.as_ref()?.item(position)?;
        diff_store::value_of::<Entry>(&item)
    }
}
