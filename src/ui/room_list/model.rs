//! The room list as a `gio::ListModel`, changed diff by diff so that GTK redraws only the
//! rows that changed.

use gtk::{gio, glib, prelude::*};

use crate::engine::ids::RoomId;
use crate::engine::room_list::{RoomListUpdate, RoomSummary, Section};
use crate::ui::diff_store::{self, new_store};

/// The summary held by an item of a section's store.
pub fn summary_of(item: &glib::Object) -> Option<RoomSummary> {
    diff_store::value_of(item)
}

/// The whole list: one store per section (invitations, favourites, the other rooms),
/// shown one after the other through a `GtkFlattenListModel`. Each section's diffs change
/// its own store only, and the flattened model passes on just the rows that changed.
#[derive(Clone, Debug)]
pub struct RoomListModel {
    sections: [gio::ListStore; 3],
    flat: gtk::FlattenListModel,
}

impl Default for RoomListModel {
    fn default() -> Self {
        let sections = [new_store(), new_store(), new_store()];
        let parts = gio::ListStore::new::<gio::ListStore>();
        for store in &sections {
            parts.append(store);
        }
        let flat = gtk::FlattenListModel::new(Some(parts));
        Self { sections, flat }
    }
}

impl RoomListModel {
    /// All rooms, top to bottom; items are `BoxedAnyObject`s holding a `RoomSummary`.
    pub fn model(&self) -> gio::ListModel {
        self.flat.clone().upcast()
    }

    /// The store of one section.
    pub fn section(&self, section: Section) -> &gio::ListStore {
        &self.sections[section.index()]
    }

    /// Applies one batch of the engine's changes.
    pub fn apply(&self, update: RoomListUpdate) {
        let store = self.section(update.section);
        for diff in update.diffs {
            diff_store::apply(store, diff);
        }
    }

    /// Empties every section (another account is shown).
    pub fn clear(&self) {
        for store in &self.sections {
            store.remove_all();
        }
    }

    /// The summary of the room `room_id`, when it is listed.
    pub fn find(&self, room_id: &RoomId) -> Option<RoomSummary> {
        self.sections.iter().find_map(|store| {
            (0..store.n_items())
                .filter_map(|i| store.item(i))
                .filter_map(|item| summary_of(&item))
                .find(|s| s.room_id == room_id)
        })
    }
}
