//! The sidebar's room list: a virtualised `GtkListView` over stores that follow the
//! engine's diffs, with its search and filters around it (`pane`).

pub mod model;
pub mod pane;
pub mod row;

use gtk::prelude::*;
use gtk::{gio, glib};

use row::RoomRow;

use crate::engine::ids::OwnedRoomId;
use crate::engine::room_list::RoomSummary;

/// A list view showing the rooms of `store`; `on_activate` gets the activated room's ID,
/// `on_bind` each row as it is bound to a room (after the row's own texts are set).
pub fn build_view(
    store: &gio::ListModel,
    on_activate: impl Fn(OwnedRoomId) + 'static,
    on_bind: impl Fn(&RoomRow, &RoomSummary) + 'static,
) -> gtk::ListView {
    let factory = gtk::SignalListItemFactory::new();
    factory.connect_setup(|_, item| {
        if let Some(item) = item.downcast_ref::<gtk::ListItem>() {
            item.set_child(Some(&RoomRow::default()));
        }
    });
    factory.connect_bind(move |_, item| {
        let Some(item) = item.downcast_ref::<gtk::ListItem>() else {
            return;
        };
        let summary = item.item().and_then(|object| model::summary_of(&object));
        if let (Some(row), Some(summary)) = (item.child().and_downcast::<RoomRow>(), summary) {
            row.bind(&summary);
            on_bind(&row, &summary);
        }
    });
    let selection = gtk::SingleSelection::builder()
        .model(store)
        .autoselect(false)
        .can_unselect(true)
        .build();
    selection.set_selected(gtk::INVALID_LIST_POSITION);
    let view = gtk::ListView::builder()
        .model(&selection)
        .factory(&factory)
        .single_click_activate(true)
        .build();
    view.add_css_class("navigation-sidebar");
    let store = store.clone();
    view.connect_activate(move |_, position| {
        let summary = store
            .item(position)
            .and_then(|object: glib::Object| model::summary_of(&object));
        if let Some(summary) = summary {
            on_activate(summary.room_id);
        }
    });
    view
}
