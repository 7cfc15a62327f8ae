//! `gio::ListStore`s that follow a stream of `VectorDiff`s from the engine, item by item,
//! so GTK rebinds only the rows that changed and never rebuilds a whole list.
//!
//! What a diff means is worked out once (`Edit::of`, pure and checked against the list's
//! length); `apply_edit` is the one place a store is changed by it. A store can follow the
//! whole list (`apply`) or, through `Windowed`, only its latest part.

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

/// One change of a list, in the list's positions, known to fit the list it was made for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Edit<T> {
    /// The list is now `values` (a reset, or a clear when they are none).
    Reset(Vec<T>),
    /// `values` go in at `at`, in order (at the end when `at` is the length).
    Insert { at: usize, values: Vec<T> },
    /// The item at `at` goes.
    Remove { at: usize },
    /// The item at `at` is now `value`.
    Set { at: usize, value: T },
    /// The items from `length` on go.
    Truncate { length: usize },
}

impl<T> Edit<T> {
    /// What `diff` does to a list of `len` items; `None` when it changes nothing or names
    /// a position past the end (which a correct stream never sends, and which is ignored
    /// rather than trusted).
    pub fn of(diff: VectorDiff<T>, len: usize) -> Option<Self>
    where
        T: Clone,
    {
        match diff {
            VectorDiff::Append { values } => Some(Edit::Insert {
                at: len,
                values: values.into_iter().collect(),
            }),
            VectorDiff::PushBack { value } => Some(Edit::Insert {
                at: len,
                values: vec![value],
            }),
            VectorDiff::PushFront { value } => Some(Edit::Insert {
                at: 0,
                values: vec![value],
            }),
            VectorDiff::Insert { index, value } => (index <= len).then(|| Edit::Insert {
                at: index,
                values: vec![value],
            }),
            VectorDiff::PopFront => (len > 0).then_some(Edit::Remove { at: 0 }),
            VectorDiff::PopBack => len.checked_sub(1).map(|at| Edit::Remove { at }),
            VectorDiff::Remove { index } => (index < len).then_some(Edit::Remove { at: index }),
            VectorDiff::Set { index, value } => {
                (index < len).then_some(Edit::Set { at: index, value })
            }
            VectorDiff::Truncate { length } => (length < len).then_some(Edit::Truncate { length }),
            VectorDiff::Clear => Some(Edit::Reset(Vec::new())),
            VectorDiff::Reset { values } => Some(Edit::Reset(values.into_iter().collect())),
        }
    }

    /// The same change with each value turned by `f`.
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> Edit<U> {
        match self {
            Edit::Reset(values) => Edit::Reset(values.into_iter().map(f).collect()),
            Edit::Insert { at, values } => Edit::Insert {
                at,
                values: values.into_iter().map(f).collect(),
            },
            Edit::Remove { at } => Edit::Remove { at },
            Edit::Set { at, value } => Edit::Set {
                at,
                value: f(value),
            },
            Edit::Truncate { length } => Edit::Truncate { length },
        }
    }
}

/// Makes `store` follow `edit`, which must fit it (positions in the store).
fn apply_edit(store: &gio::ListStore, edit: &Edit<BoxedAnyObject>) {
    let len = store.n_items();
    match edit {
        Edit::Reset(values) => store.splice(0, len, values),
        Edit::Insert { at, values } => store.splice(position(*at), 0, values),
        Edit::Remove { at } => store.remove(position(*at)),
        Edit::Set { at, value } => store.splice(position(*at), 1, std::slice::from_ref(value)),
        Edit::Truncate { length } => {
            let length = position(*length);
            store.splice(length, len - length, &[] as &[BoxedAnyObject]);
        }
    }
}

/// Applies one diff of the whole list to `store`, whose items are `BoxedAnyObject`s.
pub fn apply<T: Clone + 'static>(store: &gio::ListStore, diff: VectorDiff<T>) {
    let len = usize::try_from(store.n_items()).unwrap_or(usize::MAX);
    if let Some(edit) = Edit::of(diff, len) {
        apply_edit(store, &edit.map(BoxedAnyObject::new));
    }
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
        apply_edit(
            &self.store,
            &Edit::Insert {
                at: 0,
                values: self.all[from..self.hidden].to_vec(),
            },
        );
        self.hidden = from;
        // The item that was first has a new neighbour above it.
        Touched::At(position(count - 1))
    }

    /// Applies one diff of the whole list; what it changes in the store is reported as
    /// positions in the store.
    pub fn apply<T: Clone + 'static>(&mut self, diff: VectorDiff<T>) -> Touched {
        let Some(edit) = Edit::of(diff, self.all.len()) else {
            return Touched::Nothing;
        };
        let (shown, touched) = self.follow(edit.map(BoxedAnyObject::new));
        if let Some(shown) = shown {
            apply_edit(&self.store, &shown);
        }
        touched
    }

    /// Changes the whole list by `edit`, and says what the store must do to show its part
    /// (in store positions), and what that touches.
    fn follow(&mut self, edit: Edit<BoxedAnyObject>) -> (Option<Edit<BoxedAnyObject>>, Touched) {
        let len = self.all.len();
        let hidden = self.hidden;
        match edit {
            Edit::Reset(values) => {
                self.all = values;
                self.hidden = self.all.len().saturating_sub(self.first_window);
                let shown = self.all[self.hidden..].to_vec();
                (Some(Edit::Reset(shown)), Touched::All)
            }
            Edit::Insert { at, values } => {
                let count = values.len();
                self.all.splice(at..at, values.iter().cloned());
                // In front of the first shown item: they wait with the older ones.
                if at < hidden || (at == hidden && len > hidden) {
                    self.hidden += count;
                    return (None, Touched::Nothing);
                }
                let at = at - hidden;
                (Some(Edit::Insert { at, values }), Touched::At(position(at)))
            }
            Edit::Remove { at } => {
                self.all.remove(at);
                if at < hidden {
                    self.hidden -= 1;
                    return (None, Touched::Nothing);
                }
                let at = at - hidden;
                (Some(Edit::Remove { at }), Touched::At(position(at)))
            }
            Edit::Set { at, value } => {
                self.all[at] = value.clone();
                if at < hidden {
                    return (None, Touched::Nothing);
                }
                let at = at - hidden;
                (Some(Edit::Set { at, value }), Touched::At(position(at)))
            }
            Edit::Truncate { length } => {
                self.all.truncate(length);
                if length <= hidden {
                    self.hidden = length;
                    return (Some(Edit::Reset(Vec::new())), Touched::All);
                }
                let length = length - hidden;
                (
                    Some(Edit::Truncate { length }),
                    Touched::At(position(length)),
                )
            }
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
    // The length is checked first: in the suite a splice here once failed GLib's length check
    // (a critical) right after the item was read, which points at GLib 2.74's cache of the
    // last position read handing out an item past the end.
    if position >= store.n_items() {
        return;
    }
    if let Some(item) = store.item(position) {
        store.splice(position, 1, &[item]);
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use eyeball_im::{Vector, VectorDiff};

    use super::*;

    fn values(store: &gio::ListStore) -> Vec<u32> {
        (0..store.n_items())
            .filter_map(|i| value_of::<u32>(&store.item(i)?))
            .collect()
    }

    /// The `(position, removed, added)` of every change `store` announces from now on.
    fn changes_of(store: &gio::ListStore) -> Rc<RefCell<Vec<(u32, u32, u32)>>> {
        let changes = Rc::new(RefCell::new(Vec::new()));
        let seen = changes.clone();
        store.connect_items_changed(move |_, position, removed, added| {
            seen.borrow_mut().push((position, removed, added));
        });
        changes
    }

    #[test]
    fn every_kind_of_diff_becomes_its_edit() {
        let one = |v: u32| Vector::from(vec![v]);
        assert_eq!(
            Edit::of(VectorDiff::Append { values: one(7) }, 3),
            Some(Edit::Insert {
                at: 3,
                values: vec![7]
            })
        );
        assert_eq!(
            Edit::of(VectorDiff::PushBack { value: 7 }, 3),
            Some(Edit::Insert {
                at: 3,
                values: vec![7]
            })
        );
        assert_eq!(
            Edit::of(VectorDiff::PushFront { value: 7 }, 3),
            Some(Edit::Insert {
                at: 0,
                values: vec![7]
            })
        );
        assert_eq!(
            Edit::of(VectorDiff::Insert { index: 3, value: 7 }, 3),
            Some(Edit::Insert {
                at: 3,
                values: vec![7]
            })
        );
        assert_eq!(
            Edit::of(VectorDiff::<u32>::PopFront, 3),
            Some(Edit::Remove { at: 0 })
        );
        assert_eq!(
            Edit::of(VectorDiff::<u32>::PopBack, 3),
            Some(Edit::Remove { at: 2 })
        );
        assert_eq!(
            Edit::of(VectorDiff::<u32>::Remove { index: 1 }, 3),
            Some(Edit::Remove { at: 1 })
        );
        assert_eq!(
            Edit::of(VectorDiff::Set { index: 2, value: 7 }, 3),
            Some(Edit::Set { at: 2, value: 7 })
        );
        assert_eq!(
            Edit::of(VectorDiff::<u32>::Truncate { length: 1 }, 3),
            Some(Edit::Truncate { length: 1 })
        );
        assert_eq!(
            Edit::of(VectorDiff::<u32>::Clear, 3),
            Some(Edit::Reset(vec![]))
        );
        assert_eq!(
            Edit::of(VectorDiff::Reset { values: one(7) }, 3),
            Some(Edit::Reset(vec![7]))
        );
    }

    #[test]
    fn a_diff_past_the_end_is_ignored() {
        assert_eq!(Edit::of(VectorDiff::Insert { index: 4, value: 7 }, 3), None);
        assert_eq!(Edit::of(VectorDiff::<u32>::PopFront, 0), None);
        assert_eq!(Edit::of(VectorDiff::<u32>::PopBack, 0), None);
        assert_eq!(Edit::of(VectorDiff::<u32>::Remove { index: 3 }, 3), None);
        assert_eq!(Edit::of(VectorDiff::Set { index: 3, value: 7 }, 3), None);
        assert_eq!(Edit::of(VectorDiff::<u32>::Truncate { length: 3 }, 3), None);

        let store = new_store();
        apply(
            &store,
            VectorDiff::Reset {
                values: Vector::from(vec![1u32, 2]),
            },
        );
        let changes = changes_of(&store);
        apply(&store, VectorDiff::Remove::<u32> { index: 9 });
        apply(
            &store,
            VectorDiff::Set {
                index: 2,
                value: 5u32,
            },
        );
        assert_eq!(values(&store), [1, 2]);
        assert!(changes.borrow().is_empty(), "the store announced no change");
    }

    #[test]
    fn a_whole_store_changes_only_the_rows_a_diff_names() {
        let store = new_store();
        apply(
            &store,
            VectorDiff::Reset {
                values: Vector::from(vec![1u32, 2, 3]),
            },
        );
        let changes = changes_of(&store);
        apply(
            &store,
            VectorDiff::Set {
                index: 1,
                value: 20u32,
            },
        );
        apply(&store, VectorDiff::PushFront { value: 0u32 });
        apply(&store, VectorDiff::PopBack::<u32>);
        apply(
            &store,
            VectorDiff::Append {
                values: Vector::from(vec![4u32, 5]),
            },
        );
        apply(&store, VectorDiff::Truncate::<u32> { length: 2 });
        assert_eq!(values(&store), [0, 1]);
        assert_eq!(
            *changes.borrow(),
            [(1, 1, 1), (0, 0, 1), (3, 1, 0), (3, 0, 2), (2, 3, 0)]
        );
    }

    #[test]
    fn a_window_shows_the_latest_items_and_keeps_older_ones_back() {
        let mut window = Windowed::new(3);
        let touched = window.apply(VectorDiff::Reset {
            values: (0..10u32).collect(),
        });
        assert_eq!(touched, Touched::All);
        assert_eq!(window.hidden(), 7);
        assert_eq!(values(window.store()), [7, 8, 9]);

        // In front of the first shown item, or among the hidden: it waits, unseen.
        let changes = changes_of(window.store());
        assert_eq!(
            window.apply(VectorDiff::Insert {
                index: 7,
                value: 70u32
            }),
            Touched::Nothing
        );
        assert_eq!(
            window.apply(VectorDiff::Set {
                index: 0,
                value: 100u32
            }),
            Touched::Nothing
        );
        assert_eq!(
            window.apply(VectorDiff::Remove::<u32> { index: 1 }),
            Touched::Nothing
        );
        assert!(changes.borrow().is_empty());
        assert_eq!(window.hidden(), 7);

        // Behind it, and at the end: in the store, at store positions.
        assert_eq!(
            window.apply(VectorDiff::Insert {
                index: 8,
                value: 80u32
            }),
            Touched::At(1)
        );
        assert_eq!(
            window.apply(VectorDiff::PushBack { value: 11u32 }),
            Touched::At(4)
        );
        assert_eq!(
            window.apply(VectorDiff::Set {
                index: 7,
                value: 77u32
            }),
            Touched::At(0)
        );
        assert_eq!(values(window.store()), [77, 80, 8, 9, 11]);

        // Scrolling up brings the waiting ones in front.
        assert_eq!(window.reveal(2), Touched::At(1));
        assert_eq!(values(window.store()), [6, 70, 77, 80, 8, 9, 11]);
        assert_eq!(window.hidden(), 5);

        // Cutting into the hidden part empties the store.
        assert_eq!(
            window.apply(VectorDiff::Truncate::<u32> { length: 4 }),
            Touched::All
        );
        assert_eq!(window.hidden(), 4);
        assert!(values(window.store()).is_empty());
        // An empty store takes what comes at the end.
        assert_eq!(
            window.apply(VectorDiff::PushBack { value: 12u32 }),
            Touched::At(0)
        );
        assert_eq!(values(window.store()), [12]);
        assert_eq!(window.apply(VectorDiff::<u32>::Clear), Touched::All);
        assert_eq!((window.hidden(), window.store().n_items()), (0, 0));
    }
}
