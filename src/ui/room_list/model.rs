//! The room list as a `gio::ListModel`, changed diff by diff so that GTK redraws only the
//! rows that changed.

use eyeball_im::VectorDiff;
use gtk::glib::BoxedAnyObject;
use gtk::{gio, glib, prelude::*};

use crate::engine::room_list::{RoomListUpdate, RoomSummary, Section};

/// A new, empty room list store. Its items are `BoxedAnyObject`s holding a `RoomSummary`.
pub fn new_store() -> gio::ListStore {
    gio::ListStore::new::<BoxedAnyObject>()
}

/// The summary held by an item of the store.
pub fn summary_of(item: &glib::Object) -> Option<RoomSummary> {
    item.downcast_ref::<BoxedAnyObject>()
        .and_then(|boxed| boxed.try_borrow::<RoomSummary>().ok().map(|s| s.clone()))
}

fn boxed(summary: RoomSummary) -> BoxedAnyObject {
    BoxedAnyObject::new(summary)
}

fn boxed_all(values: impl IntoIterator<Item = RoomSummary>) -> Vec<BoxedAnyObject> {
    values.into_iter().map(boxed).collect()
}

/// Applies one diff to `store`. An index past the end (which a correct stream never
/// sends) is ignored rather than trusted.
pub fn apply(store: &gio::ListStore, diff: VectorDiff<RoomSummary>) {
    let len = store.n_items();
    let fits = |index: usize| u32::try_from(index).ok().filter(|i| *i < len);
    match diff {
        VectorDiff::Append { values } => store.extend_from_slice(&boxed_all(values)),
        VectorDiff::Clear => store.remove_all(),
        VectorDiff::PushFront { value } => store.insert(0, &boxed(value)),
        VectorDiff::PushBack { value } => store.append(&boxed(value)),
        VectorDiff::PopFront => {
            if len > 0 {
                store.remove(0);
            }
        }
        VectorDiff::PopBack => {
            if len > 0 {
                store.remove(len - 1);
            }
        }
        VectorDiff::Insert { index, value } => {
            if let Ok(index) = u32::try_from(index)
                && index <= len
            {
                store.insert(index, &boxed(value));
            }
        }
        VectorDiff::Set { index, value } => {
            if let Some(index) = fits(index) {
                store.splice(index, 1, &[boxed(value)]);
            }
        }
        VectorDiff::Remove { index } => {
            if let Some(index) = fits(index) {
                store.remove(index);
            }
        }
        VectorDiff::Truncate { length } => {
            if let Some(length) = fits(length) {
                store.splice(length, len - length, &[] as &[BoxedAnyObject]);
            }
        }
        VectorDiff::Reset { values } => store.splice(0, len, &boxed_all(values)),
    }
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
            apply(store, diff);
        }
    }

    /// Empties every section (another account is shown).
    pub fn clear(&self) {
        for store in &self.sections {
            store.remove_all();
        }
    }

    /// The summary of the room `room_id`, when it is listed.
    pub fn find(&self, room_id: &str) -> Option<RoomSummary> {
        self.sections.iter().find_map(|store| {
            (0..store.n_items())
                .filter_map(|i| store.item(i))
                .filter_map(|item| summary_of(&item))
                .find(|s| s.room_id == room_id)
        })
    }
}
