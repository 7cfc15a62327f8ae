//! The room list as a `gio::ListModel`, changed diff by diff so that GTK redraws only the
//! rows that changed.

use eyeball_im::VectorDiff;
use gtk::glib::BoxedAnyObject;
use gtk::{gio, glib, prelude::*};

use crate::engine::room_list::RoomSummary;

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
