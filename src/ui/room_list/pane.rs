//! The sidebar below its header: the search bar, the All / Unread / People / Groups
//! buttons, and the room list (or a status page when it is empty).

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::ops::ControlFlow;

use adw::prelude::*;
use adw::subclass::prelude::*;
use futures_util::{FutureExt, StreamExt};
use gtk::{CompositeTemplate, gio, glib};

use super::model::RoomListModel;
use super::row::RoomRow;
use crate::engine::ids::{OwnedRoomId, RoomId};
use crate::engine::media::autoload::RoomKind as MediaRoomKind;
use crate::engine::room_list::{
    RoomKind, RoomListFilter, RoomListHandle, RoomListUpdate, RoomSummary, room_list,
};
use crate::engine::sync::AccountSync;
use crate::i18n::gettext_f;
use crate::ui::bridge::{forward_stream, run_for, spawn_tokio, spawn_ui};
use crate::ui::error_text::describe;

/// How many rooms the list view is given at first, and how many more each time the person
/// scrolls near the end of them. GTK 4.8's list view builds a row for up to 200 items of
/// its model whatever its height, and building, styling and measuring 200 rows held back
/// the first frame at start-up by about 300 ms (~1.5 ms a row). A screenful, the engine's
/// first batch of a new list, is given; on a taller window the list grows at once after
/// the first frame, as it does near the end of a scroll.
pub const ROWS_AT_A_TIME: u32 = crate::engine::room_list::SCREENFUL as u32;

/// The signal the pane emits with the ID of the room the person opens.
const ROOM_ACTIVATED: &str = "room-activated";

mod imp {
    use super::*;

    #[derive(Default, CompositeTemplate)]
    #[template(resource = "/chat/sotto/Sotto/ui/room-list-pane.ui")]
    pub struct RoomListPane {
        #[template_child]
        pub search_bar: TemplateChild<gtk::SearchBar>,
        #[template_child]
        pub search_entry: TemplateChild<gtk::SearchEntry>,
        #[template_child]
        pub all_button: TemplateChild<gtk::ToggleButton>,
        #[template_child]
        pub unread_button: TemplateChild<gtk::ToggleButton>,
        #[template_child]
        pub people_button: TemplateChild<gtk::ToggleButton>,
        #[template_child]
        pub groups_button: TemplateChild<gtk::ToggleButton>,
        #[template_child]
        pub stack: TemplateChild<gtk::Stack>,
        #[template_child]
        pub scroller: TemplateChild<gtk::ScrolledWindow>,
        /// The rooms, changed diff by diff.
        pub model: RoomListModel,
        /// The first rooms of `model`, the ones the list view has rows for; it grows as
        /// the person scrolls.
        pub shown: RefCell<Option<gtk::SliceListModel>>,
        /// More rooms are about to be given to the list view.
        pub growing: Cell<bool>,
        /// The list view over `model`.
        pub view: RefCell<Option<gtk::ListView>>,
        /// The filter the person chose.
        pub filter: RefCell<RoomListFilter>,
        /// The running room list of the account shown.
        pub handle: RefCell<Option<RoomListHandle>>,
        /// Counts the accounts followed, so that the updates of one shown before stop.
        pub generation: Cell<u64>,
        /// Invitations being answered (a second tap does nothing).
        pub answering: RefCell<HashSet<OwnedRoomId>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for RoomListPane {
        const NAME: &'static str = "SottoRoomListPane";
        type Type = super::RoomListPane;
        type ParentType = gtk::Box;

        fn class_init(klass: &mut Self::Class) {
            RoomRow::ensure_type();
            klass.bind_template();
            klass.install_action(
                "sidebar.accept-invite",
                Some(glib::VariantTy::STRING),
                |pane, _, target| {
                    if let Some(room_id) = room_id_of(target) {
                        pane.answer_invite(room_id, true);
                    }
                },
            );
            klass.install_action(
                "sidebar.decline-invite",
                Some(glib::VariantTy::STRING),
                |pane, _, target| {
                    if let Some(room_id) = room_id_of(target) {
                        pane.answer_invite(room_id, false);
                    }
                },
            );
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for RoomListPane {
        fn constructed(&self) {
            self.parent_constructed();
            self.obj().setup();
        }

        fn signals() -> &'static [glib::subclass::Signal] {
            static SIGNALS: std::sync::OnceLock<Vec<glib::subclass::Signal>> =
                std::sync::OnceLock::new();
            SIGNALS.get_or_init(|| {
                // The person opened the room with this ID.
                vec![
                    glib::subclass::Signal::builder(ROOM_ACTIVATED)
                        .param_types([String::static_type()])
                        .build(),
                ]
            })
        }
    }

    impl WidgetImpl for RoomListPane {}
    impl BoxImpl for RoomListPane {}
}

glib::wrapper! {
    /// The sidebar's search, filters and room list.
    pub struct RoomListPane(ObjectSubclass<imp::RoomListPane>)
        @extends gtk::Box, gtk::Widget,
        @implements gtk::Buildable, gtk::ConstraintTarget, gtk::Orientable;
}

impl Default for RoomListPane {
    fn default() -> Self {
        glib::Object::new()
    }
}

impl RoomListPane {
    fn setup(&self) {
        let imp = self.imp();
        let shown = gtk::SliceListModel::new(Some(imp.model.model()), 0, ROWS_AT_A_TIME);
        imp.shown.replace(Some(shown.clone()));
        let view = super::build_view(
            shown.upcast_ref(),
            glib::clone!(
                #[weak(rename_to = pane)]
                self,
                move |room_id: OwnedRoomId| pane
                    .emit_by_name::<()>(ROOM_ACTIVATED, &[&room_id.as_str()])
            ),
            glib::clone!(
                #[weak(rename_to = pane)]
                self,
                move |row, summary| pane.show_avatar(row, summary)
            ),
        );
        imp.scroller.set_child(Some(&view));
        imp.view.replace(Some(view));
        let adjustment = imp.scroller.vadjustment();
        adjustment.connect_value_changed(glib::clone!(
            #[weak(rename_to = pane)]
            self,
            move |_| pane.show_more_if_near_end()
        ));
        adjustment.connect_changed(glib::clone!(
            #[weak(rename_to = pane)]
            self,
            move |_| pane.show_more_if_near_end()
        ));

        imp.model.model().connect_items_changed(glib::clone!(
            #[weak(rename_to = pane)]
            self,
            move |_, _, _, _| pane.update_status()
        ));
        imp.scroller.connect_edge_reached(glib::clone!(
            #[weak(rename_to = pane)]
            self,
            move |_, edge| {
                // The engine's next page, once the list view has all rooms it holds.
                if edge == gtk::PositionType::Bottom
                    && pane.rows_available() >= pane.rooms().n_items()
                    && let Some(handle) = pane.imp().handle.borrow().as_ref()
                {
                    handle.load_more();
                }
            }
        ));

        imp.search_bar.connect_entry(&*imp.search_entry);
        imp.search_entry.connect_search_changed(glib::clone!(
            #[weak(rename_to = pane)]
            self,
            move |entry| {
                let query = entry.text().to_string();
                pane.change_filter(|filter| filter.query = query);
            }
        ));
        for (button, kind) in self.kind_buttons() {
            button.connect_toggled(glib::clone!(
                #[weak(rename_to = pane)]
                self,
                move |button| {
                    if button.is_active() {
                        pane.change_filter(|filter| filter.kind = kind);
                    }
                }
            ));
        }
        self.update_status();
    }

    fn kind_buttons(&self) -> [(gtk::ToggleButton, RoomKind); 4] {
        let imp = self.imp();
        [
            (imp.all_button.get(), RoomKind::All),
            (imp.unread_button.get(), RoomKind::Unread),
            (imp.people_button.get(), RoomKind::People),
            (imp.groups_button.get(), RoomKind::Groups),
        ]
    }

    /// All rooms listed, top to bottom: invitations, favourites, then the others, each by
    /// latest activity. Items are `BoxedAnyObject`s holding a `RoomSummary`.
    pub fn rooms(&self) -> gio::ListModel {
        self.imp().model.model()
    }

    /// The sections' stores behind [`Self::rooms`].
    pub fn model(&self) -> RoomListModel {
        self.imp().model.clone()
    }

    /// The summary of the listed room `room_id`.
    pub fn find(&self, room_id: &RoomId) -> Option<RoomSummary> {
        self.imp().model.find(room_id)
    }

    /// Calls `f` with the ID of each room the person opens (the `room-activated` signal).
    pub fn connect_room_activated(
        &self,
        f: impl Fn(OwnedRoomId) + 'static,
    ) -> glib::SignalHandlerId {
        self.connect_closure(
            ROOM_ACTIVATED,
            false,
            glib::closure_local!(move |_: &Self, room_id: String| {
                if let Ok(room_id) = OwnedRoomId::try_from(room_id) {
                    f(room_id);
                }
            }),
        )
    }

    /// The search bar (the window's search button and Ctrl+F open it).
    pub fn search_bar(&self) -> gtk::SearchBar {
        self.imp().search_bar.clone()
    }

    /// The search entry.
    pub fn search_entry(&self) -> gtk::SearchEntry {
        self.imp().search_entry.clone()
    }

    /// Opens the search bar and puts the cursor in its entry.
    pub fn start_search(&self) {
        let imp = self.imp();
        imp.search_bar.set_search_mode(true);
        imp.search_entry.grab_focus();
    }

    /// The toggle button that shows rooms of `kind`.
    pub fn kind_button(&self, kind: RoomKind) -> gtk::ToggleButton {
        self.kind_buttons()
            .into_iter()
            .find(|(_, k)| *k == kind)
            .map(|(button, _)| button)
            .expect("a button for each kind")
    }

    /// The filter in force.
    pub fn filter(&self) -> RoomListFilter {
        self.imp().filter.borrow().clone()
    }

    /// What the list area shows: `rooms`, `empty` (no room at all) or `no-match`.
    pub fn status(&self) -> String {
        self.imp()
            .stack
            .visible_child_name()
            .map(|n| n.to_string())
            .unwrap_or_default()
    }

    /// The rows drawn now (a list view draws only those on screen, and a few more).
    pub fn rows(&self) -> Vec<RoomRow> {
        let mut rows = Vec::new();
        if let Some(view) = self.imp().view.borrow().as_ref() {
            collect_rows(view.upcast_ref(), &mut rows);
        }
        rows
    }

    fn change_filter(&self, change: impl FnOnce(&mut RoomListFilter)) {
        let filter = {
            let mut filter = self.imp().filter.borrow_mut();
            let before = filter.clone();
            change(&mut filter);
            if *filter == before {
                return;
            }
            filter.clone()
        };
        self.show_first_rows();
        if let Some(handle) = self.imp().handle.borrow().as_ref() {
            handle.set_filter(&filter);
        }
        self.update_status();
    }

    /// Gives the list view more rooms when fewer than two screens of them are left below
    /// what shows. The adjustment changes while the list view lays itself out, so the
    /// rooms are added once that is over.
    /// Shows the picture of `summary`'s room on `row`, when it may load by itself.
    fn show_avatar(&self, row: &RoomRow, summary: &RoomSummary) {
        let imp = self.imp();
        let handle = imp.handle.borrow();
        let Some(handle) = handle.as_ref() else {
            return;
        };
        let kind = if summary.is_invite {
            MediaRoomKind::Invited
        } else if summary.is_direct {
            MediaRoomKind::Direct
        } else {
            MediaRoomKind::Group
        };
        crate::ui::avatars::show(
            &row.avatar(),
            &handle.avatars(),
            summary.avatar.as_ref(),
            kind,
        );
    }

    fn show_more_if_near_end(&self) {
        let imp = self.imp();
        if imp.growing.get() || !self.near_end() {
            return;
        }
        imp.growing.set(true);
        glib::idle_add_local_once(glib::clone!(
            #[weak(rename_to = pane)]
            self,
            move || {
                pane.imp().growing.set(false);
                if pane.near_end()
                    && let Some(shown) = pane.imp().shown.borrow().as_ref()
                {
                    shown.set_size(shown.size().saturating_add(ROWS_AT_A_TIME));
                }
            }
        ));
    }

    /// True when the list view lacks rooms the model holds and is scrolled to within two
    /// screens of the end of those it has.
    fn near_end(&self) -> bool {
        let imp = self.imp();
        let Some(size) = imp.shown.borrow().as_ref().map(|s| s.size()) else {
            return false;
        };
        if size >= imp.model.model().n_items() {
            return false;
        }
        let adjustment = imp.scroller.vadjustment();
        // Not laid out yet: nothing shows, so nothing is near the end.
        adjustment.page_size() > 0.0
            && adjustment.value() + 2.0 * adjustment.page_size() >= adjustment.upper()
    }

    /// Starts the list view over with its first rooms only (a new filter or account).
    fn show_first_rows(&self) {
        if let Some(shown) = self.imp().shown.borrow().as_ref() {
            shown.set_size(ROWS_AT_A_TIME);
        }
    }

    /// How many rooms the list view has rows for at most now.
    pub fn rows_available(&self) -> u32 {
        self.imp()
            .shown
            .borrow()
            .as_ref()
            .map(|shown| shown.n_items())
            .unwrap_or_default()
    }

    fn update_status(&self) {
        let imp = self.imp();
        let page = if imp.model.model().n_items() > 0 {
            "rooms"
        } else if imp.filter.borrow().is_everything() {
            "empty"
        } else {
            "no-match"
        };
        imp.stack.set_visible_child_name(page);
    }

    /// Forgets the rooms shown (another account is about to be shown).
    pub fn clear(&self) {
        let imp = self.imp();
        imp.generation.set(imp.generation.get() + 1);
        imp.handle.replace(None);
        imp.answering.borrow_mut().clear();
        imp.model.clear();
        self.show_first_rows();
    }

    /// Lists the rooms of `sync` and follows their changes, under the filter in force.
    pub fn follow(&self, sync: AccountSync) -> glib::JoinHandle<()> {
        self.clear();
        let generation = self.imp().generation.get();
        spawn_ui(glib::clone!(
            #[weak(rename_to = pane)]
            self,
            async move {
                let started = spawn_tokio(async move { room_list(&sync).await }).await;
                let (handle, updates) = match started {
                    Ok(started) => started,
                    Err(err) => {
                        pane.toast(&describe(&err));
                        return;
                    }
                };
                if pane.imp().generation.get() != generation {
                    return;
                }
                let forwarding = pane.forward_updates(generation, handle, updates);
                drop(pane);
                let _ = forwarding.await;
            }
        ))
    }

    /// Shows a room list the engine already started (see [`room_list`]) and follows its
    /// changes, under the filter in force.
    pub fn show(
        &self,
        handle: RoomListHandle,
        updates: impl futures_util::Stream<Item = RoomListUpdate> + Send + 'static,
    ) -> glib::JoinHandle<()> {
        self.clear();
        self.forward_updates(self.imp().generation.get(), handle, updates)
    }

    fn forward_updates(
        &self,
        generation: u64,
        handle: RoomListHandle,
        updates: impl futures_util::Stream<Item = RoomListUpdate> + Send + 'static,
    ) -> glib::JoinHandle<()> {
        crate::startup_trace::mark("room list started (main thread)");
        let filter = self.filter();
        if !filter.is_everything() {
            handle.set_filter(&filter);
        }
        self.imp().handle.replace(Some(handle));
        // What the engine has listed already goes into the model now, before the next
        // frame (at start-up, the stored rooms); the rest follows from the main loop.
        let mut updates = Box::pin(updates);
        let mut ready = 0;
        while let Some(Some(update)) = updates.next().now_or_never() {
            self.imp().model.apply(update);
            ready += 1;
        }
        if crate::startup_trace::enabled() {
            crate::startup_trace::mark(&format!("room list: {ready} updates ready at once"));
        }
        self.after_first_rooms();
        let pane = self.downgrade();
        forward_stream(updates, move |update| {
            let Some(pane) = pane.upgrade() else {
                return ControlFlow::Break(());
            };
            if pane.imp().generation.get() != generation {
                return ControlFlow::Break(());
            }
            pane.imp().model.apply(update);
            pane.after_first_rooms();
            ControlFlow::Continue(())
        })
    }

    /// Once per process, after the first rooms came in and their frame is painted: start-up
    /// is over, so the memory its temporary buffers took goes back to the system.
    fn after_first_rooms(&self) {
        thread_local! {
            static DONE: Cell<bool> = const { Cell::new(false) };
        }
        if self.imp().model.model().n_items() == 0 || DONE.with(|d| d.replace(true)) {
            return;
        }
        crate::startup_trace::mark("first rooms in the model");
        let Some(clock) = self.frame_clock() else {
            crate::memory::release_free_memory();
            return;
        };
        let handler = std::rc::Rc::new(Cell::new(None));
        let slot = handler.clone();
        let id = clock.connect_after_paint(move |clock| {
            crate::startup_trace::mark("frame painted with the rooms");
            if let Some(id) = slot.take() {
                clock.disconnect(id);
            }
            // After the frame, when nothing more urgent waits.
            glib::idle_add_local_full(glib::Priority::LOW, || {
                crate::memory::release_free_memory();
                crate::startup_trace::mark("free memory released");
                glib::ControlFlow::Break
            });
        });
        handler.set(Some(id));
    }

    fn answer_invite(&self, room_id: OwnedRoomId, accept: bool) {
        let Some(handle) = self.imp().handle.borrow().clone() else {
            return;
        };
        if !self.imp().answering.borrow_mut().insert(room_id.clone()) {
            return;
        }
        let name = self
            .find(&room_id)
            .map_or_else(|| room_id.to_string(), |s| s.name);
        let target = room_id.clone();
        let answering = async move {
            if accept {
                handle.accept_invite(&target).await
            } else {
                handle.decline_invite(&target).await
            }
        };
        run_for(self, answering, move |pane, result| {
            pane.imp().answering.borrow_mut().remove(&room_id);
            if let Err(err) = result {
                let args = [("room", name.as_str()), ("reason", &describe(&err))];
                pane.toast(&if accept {
                    gettext_f("Could not accept the invitation to {room}. {reason}", &args)
                } else {
                    gettext_f(
                        "Could not decline the invitation to {room}. {reason}",
                        &args,
                    )
                });
            }
        });
    }

    fn toast(&self, text: &str) {
        match self
            .ancestor(adw::ToastOverlay::static_type())
            .and_downcast::<adw::ToastOverlay>()
        {
            Some(overlay) => overlay.add_toast(crate::ui::widgets::toast(text)),
            None => tracing::warn!("no toast overlay to show an error in"),
        }
    }
}

fn collect_rows(widget: &gtk::Widget, rows: &mut Vec<RoomRow>) {
    let mut child = widget.first_child();
    while let Some(current) = child {
        match current.downcast_ref::<RoomRow>() {
            Some(row) => rows.push(row.clone()),
            None => collect_rows(&current, rows),
        }
        child = current.next_sibling();
    }
}

/// The room ID an action's target names (rows put it there as a string).
fn room_id_of(target: Option<&glib::Variant>) -> Option<OwnedRoomId> {
    OwnedRoomId::try_from(target?.get::<String>()?).ok()
}
