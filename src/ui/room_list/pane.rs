//! The sidebar below its header: the search bar, the All / Unread / People / Groups
//! buttons, and the room list (or a status page when it is empty).

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::ops::ControlFlow;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{CompositeTemplate, gio, glib};

use super::model::RoomListModel;
use super::row::RoomRow;
use crate::engine::room_list::{RoomKind, RoomListFilter, RoomListHandle, RoomSummary, room_list};
use crate::engine::sync::AccountSync;
use crate::i18n::gettext_f;
use crate::ui::bridge::{forward_stream, spawn_tokio, spawn_ui};
use crate::ui::error_text::describe;

/// What the pane calls with the ID of a room the person opens.
type OnActivate = Box<dyn Fn(String)>;

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
        /// The list view over `model`.
        pub view: RefCell<Option<gtk::ListView>>,
        /// The filter the person chose.
        pub filter: RefCell<RoomListFilter>,
        /// The running room list of the account shown.
        pub handle: RefCell<Option<RoomListHandle>>,
        /// Counts the accounts followed, so that the updates of one shown before stop.
        pub generation: Cell<u64>,
        /// Invitations being answered (a second tap does nothing).
        pub answering: RefCell<HashSet<String>>,
        /// Called with the ID of the room the person opens.
        pub on_activate: RefCell<Option<OnActivate>>,
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
                    if let Some(room_id) = target.and_then(|t| t.get::<String>()) {
                        pane.answer_invite(room_id, true);
                    }
                },
            );
            klass.install_action(
                "sidebar.decline-invite",
                Some(glib::VariantTy::STRING),
                |pane, _, target| {
                    if let Some(room_id) = target.and_then(|t| t.get::<String>()) {
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
        let view = super::build_view(
            &imp.model.model(),
            glib::clone!(
                #[weak(rename_to = pane)]
                self,
                move |room_id| {
                    if let Some(on_activate) = pane.imp().on_activate.borrow().as_ref() {
                        on_activate(room_id);
                    }
                }
            ),
        );
        imp.scroller.set_child(Some(&view));
        imp.view.replace(Some(view));

        imp.model.model().connect_items_changed(glib::clone!(
            #[weak(rename_to = pane)]
            self,
            move |_, _, _, _| pane.update_status()
        ));
        imp.scroller.connect_edge_reached(glib::clone!(
            #[weak(rename_to = pane)]
            self,
            move |_, edge| {
                if edge == gtk::PositionType::Bottom
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
    pub fn find(&self, room_id: &str) -> Option<RoomSummary> {
        self.imp().model.find(room_id)
    }

    /// Calls `f` with the ID of each room the person opens.
    pub fn connect_room_activated(&self, f: impl Fn(String) + 'static) {
        self.imp().on_activate.replace(Some(Box::new(f)));
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
        if let Some(handle) = self.imp().handle.borrow().as_ref() {
            handle.set_filter(&filter);
        }
        self.update_status();
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
                let filter = pane.filter();
                if !filter.is_everything() {
                    handle.set_filter(&filter);
                }
                pane.imp().handle.replace(Some(handle));
                let pane = pane.downgrade();
                let _ = forward_stream(updates, move |update| {
                    let Some(pane) = pane.upgrade() else {
                        return ControlFlow::Break(());
                    };
                    if pane.imp().generation.get() != generation {
                        return ControlFlow::Break(());
                    }
                    pane.imp().model.apply(update);
                    ControlFlow::Continue(())
                })
                .await;
            }
        ))
    }

    fn answer_invite(&self, room_id: String, accept: bool) {
        let Some(handle) = self.imp().handle.borrow().clone() else {
            return;
        };
        if !self.imp().answering.borrow_mut().insert(room_id.clone()) {
            return;
        }
        let name = self
            .find(&room_id)
            .map(|s| s.name)
            .unwrap_or_else(|| room_id.clone());
        spawn_ui(glib::clone!(
            #[weak(rename_to = pane)]
            self,
            async move {
                let target = room_id.clone();
                let result = spawn_tokio(async move {
                    if accept {
                        handle.accept_invite(&target).await
                    } else {
                        handle.decline_invite(&target).await
                    }
                })
                .await;
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
            }
        ));
    }

    fn toast(&self, text: &str) {
        match self
            .ancestor(adw::ToastOverlay::static_type())
            .and_downcast::<adw::ToastOverlay>()
        {
            Some(overlay) => overlay.add_toast(adw::Toast::new(text)),
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
