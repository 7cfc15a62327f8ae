//! A `gio::ListStore` that follows a stream of `VectorDiff`s from the engine, item by item,
//! so GTK rebinds only the rows that changed and never rebuilds a whole list.

use eyeball_im::VectorDiff;
use gtk::glib::BoxedAnyObject;
use gtk::{gio, glib, prelude::*};

/// A new, empty store whose items are `BoxedAnyObject`s.
pub fn new_store() -> gio::ListStore {
    gio::ListStore::new::<BoxedAnyObject>()
}

/// The value of type `T` held by an item of such a store.
pub fn value_of<T: Clone + 'static>(item: &glib::Object) -> Option<T> {
    item.downcast_ref::<BoxedAnyObject>()
        .and_then(|boxed| boxed.try_borrow::<T>().ok().map(|v| v.clone()))
}

fn boxed_all<T: Clone + 'static>(values: impl IntoIterator<Item = T>) -> Vec<BoxedAnyObject> {
    values.into_iter().map(BoxedAnyObject::new).collect()
}

/// Where a diff changed the store, so that neighbours whose look depends on it (a message
/// grouped under the previous sender) can be refreshed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Touched {
    /// Nothing in particular (the store was cleared or reset).
    All,
    /// The items from this position on may have new neighbours.
    At(u32),
    /// Nothing changed.
    Nothing,
}

/// Applies one diff to `store`. An index past the end (which a correct stream never
/// sends) is ignored rather than trusted.
pub fn apply<T: Clone + 'static>(store: &gio::ListStore, diff: VectorDiff<T>) -> Touched {
    let len = store.n_items();
    let fits = |index: usize| u32::try_from(index).ok().filter(|i| *i < len);
    match diff {
        VectorDiff::Append { values } => {
            store.extend_from_slice(&boxed_all(values));
            Touched::At(len)
        }
        VectorDiff::Clear => {
            store.remove_all();
            Touched::All
        }
        VectorDiff::PushFront { value } => {
            store.insert(0, &BoxedAnyObject::new(value));
            Touched::At(0)
        }
        VectorDiff::PushBack { value } => {
            store.append(&BoxedAnyObject::new(value));
            Touched::At(len)
        }
        VectorDiff::PopFront if len > 0 => {
            store.remove(0);
            Touched::At(0)
        }
        VectorDiff::PopBack if len > 0 => {
            store.remove(len - 1);
            Touched::At(len - 1)
        }
        VectorDiff::Insert { index, value } => match u32::try_from(index) {
            Ok(index) if index <= len => {
                store.insert(index, &BoxedAnyObject::new(value));
                Touched::At(index)
            }
            _ => Touched::Nothing,
        },
        VectorDiff::Set { index, value } => match fits(index) {
            Some(index) => {
                store.splice(index, 1, &[BoxedAnyObject::new(value)]);
                Touched::At(index)
            }
            None => Touched::Nothing,
        },
        VectorDiff::Remove { index } => match fits(index) {
            Some(index) => {
                store.remove(index);
                Touched::At(index)
            }
            None => Touched::Nothing,
        },
        VectorDiff::Truncate { length } => match fits(length) {
            Some(length) => {
                store.splice(length, len - length, &[] as &[BoxedAnyObject]);
                Touched::At(length)
            }
            None => Touched::Nothing,
        },
        VectorDiff::Reset { values } => {
            store.splice(0, len, &boxed_all(values));
            Touched::All
        }
        VectorDiff::PopFront | VectorDiff::PopBack => Touched::Nothing,
    }
}

/// Makes the list view bind the item at `position` again (its neighbours changed), without
/// touching its value.
pub fn refresh(store: &gio::ListStore, position: u32) {
    if let Some(item) = store.item(position) {
        store.splice(position, 1, &[item]);
    }
}
