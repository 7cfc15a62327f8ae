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

/// A store that shows the latest part of a long list and follows the list's diffs.
///
/// GTK 4.8's list view makes a row for every item near the one it shows, up to 200: a
/// conversation opened with 150 messages in memory would make and lay out 150 rows
/// before its first screen. So the store holds the items from `hidden` on; the older
/// ones wait here until `reveal` moves them in, a page at a time as the person scrolls
/// up. Items that arrive in front of the first shown one (older messages a pagination
/// brought) wait the same way.
pub struct Windowed {
    store: gio::ListStore,
    all: Vec<BoxedAnyObject>,
    hidden: usize,
    first_window: usize,
}

impl Windowed {
    /// An empty one whose `Reset` shows at most the last `first_window` items.
    pub fn new(first_window: usize) -> Self {
        Self {
            store: new_store(),
            all: Vec::new(),
            hidden: 0,
            first_window,
        }
    }

    /// The store the list view shows.
    pub fn store(&self) -> &gio::ListStore {
        &self.store
    }

    /// How many items of the list are kept out of the store, in front of it.
    pub fn hidden(&self) -> usize {
        self.hidden
    }

    /// Moves up to `count` of the hidden items into the store, in front of the others.
    pub fn reveal(&mut self, count: usize) -> Touched {
        let count = count.min(self.hidden);
        if count == 0 {
            return Touched::Nothing;
        }
        let from = self.hidden - count;
        self.store.splice(0, 0, &self.all[from..self.hidden]);
        self.hidden = from;
        // The item that was first has a new neighbour above it.
        Touched::At(position(count - 1))
    }

    /// Applies one diff of the whole list; what it changes in the store is reported as
    /// positions in the store. An index past the end (which a correct stream never
    /// sends) is ignored rather than trusted.
    pub fn apply<T: Clone + 'static>(&mut self, diff: VectorDiff<T>) -> Touched {
        let len = self.all.len();
        match diff {
            VectorDiff::Append { values } => {
                let shown = self.store.n_items();
                let values = boxed_all(values);
                self.store.extend_from_slice(&values);
                self.all.extend(values);
                Touched::At(shown)
            }
            VectorDiff::PushBack { value } => self.apply(VectorDiff::Append {
                values: [value].into_iter().collect(),
            }),
            VectorDiff::Clear => {
                self.all.clear();
                self.hidden = 0;
                self.store.remove_all();
                Touched::All
            }
            VectorDiff::Reset { values } => {
                self.all = boxed_all(values);
                self.hidden = self.all.len().saturating_sub(self.first_window);
                let shown = self.store.n_items();
                self.store.splice(0, shown, &self.all[self.hidden..]);
                Touched::All
            }
            VectorDiff::PushFront { value } => self.apply(VectorDiff::Insert { index: 0, value }),
            VectorDiff::Insert { index, value } if index <= len => {
                let value = BoxedAnyObject::new(value);
                self.all.insert(index, value.clone());
                // In front of the first shown item: it waits with the older ones.
                if index < self.hidden || (index == self.hidden && len > self.hidden) {
                    self.hidden += 1;
                    return Touched::Nothing;
                }
                let at = position(index - self.hidden);
                self.store.insert(at, &value);
                Touched::At(at)
            }
            VectorDiff::PopFront if len > 0 => self.apply::<T>(VectorDiff::Remove { index: 0 }),
            VectorDiff::PopBack if len > 0 => {
                self.apply::<T>(VectorDiff::Remove { index: len - 1 })
            }
            VectorDiff::Remove { index } if index < len => {
                self.all.remove(index);
                if index < self.hidden {
                    self.hidden -= 1;
                    return Touched::Nothing;
                }
                let at = position(index - self.hidden);
                self.store.remove(at);
                Touched::At(at)
            }
            VectorDiff::Set { index, value } if index < len => {
                let value = BoxedAnyObject::new(value);
                self.all[index] = value.clone();
                if index < self.hidden {
                    return Touched::Nothing;
                }
                let at = position(index - self.hidden);
                self.store.splice(at, 1, &[value]);
                Touched::At(at)
            }
            VectorDiff::Truncate { length } if length < len => {
                self.all.truncate(length);
                if length <= self.hidden {
                    self.hidden = length;
                    self.store.remove_all();
                    return Touched::All;
                }
                let at = position(length - self.hidden);
                self.store
                    .splice(at, self.store.n_items() - at, &[] as &[BoxedAnyObject]);
                Touched::At(at)
            }
            VectorDiff::Insert { .. }
            | VectorDiff::PopFront
            | VectorDiff::PopBack
            | VectorDiff::Remove { .. }
            | VectorDiff::Set { .. }
            | VectorDiff::Truncate { .. } => Touched::Nothing,
        }
    }
}

/// A store position: a store never holds more than `u32::MAX` items.
fn position(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

/// Makes the list view bind the item at `position` again (its neighbours changed), without
/// touching its value.
pub fn refresh(store: &gio::ListStore, position: u32) {
    if let Some(item) = store.item(position) {
        store.splice(position, 1, &[item]);
    }
}
