//! The main window: an adaptive leaflet with the sidebar (conversations) and the content
//! pane. At phone width one pane shows at a time, with a back button; wider, both do.

mod accounts;
mod imp;
mod rooms;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gio, glib};

use crate::i18n::gettext;
use crate::ui::settings::settings;

glib::wrapper! {
    /// Sotto's main window.
    pub struct Window(ObjectSubclass<imp::Window>)
        @extends adw::ApplicationWindow, gtk::ApplicationWindow, gtk::Window, gtk::Widget,
        @implements gio::ActionGroup, gio::ActionMap, gtk::Buildable,
            gtk::ConstraintTarget, gtk::Native, gtk::Root, gtk::ShortcutManager;
}

/// Which pane the person sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    /// The conversation list.
    Sidebar,
    /// The open conversation.
    Content,
}

impl Window {
    /// A new main window for `app`, at the size the person left it.
    pub fn new(app: &impl IsA<gtk::Application>) -> Self {
        glib::Object::builder().property("application", app).build()
    }

    /// True when only one pane fits and they are shown one at a time.
    pub fn is_folded(&self) -> bool {
        self.imp().leaflet.is_folded()
    }

    /// The panes currently on screen.
    pub fn visible_panes(&self) -> Vec<Pane> {
        let imp = self.imp();
        if !imp.leaflet.is_folded() {
            return vec![Pane::Sidebar, Pane::Content];
        }
        let visible = imp.leaflet.visible_child();
        if visible.as_ref() == Some(imp.content.upcast_ref()) {
            vec![Pane::Content]
        } else {
            vec![Pane::Sidebar]
        }
    }

    /// Shows `pane` (when folded, instead of the other one).
    pub fn show_pane(&self, pane: Pane) {
        let imp = self.imp();
        let child: &gtk::Widget = match pane {
            Pane::Sidebar => imp.sidebar.upcast_ref(),
            Pane::Content => imp.content.upcast_ref(),
        };
        imp.leaflet.set_visible_child(child);
    }

    /// The back button of the content pane (visible only when folded).
    pub fn back_button(&self) -> gtk::Button {
        self.imp().back_button.clone()
    }

    /// The greeter (sign-in page).
    pub fn greeter(&self) -> crate::ui::greeter::Greeter {
        self.imp().greeter.clone()
    }

    /// The name of the page the window shows: `loading`, `greeter`, `problem` or `session`.
    pub fn page(&self) -> String {
        self.imp()
            .main_stack
            .visible_child_name()
            .map(|n| n.to_string())
            .unwrap_or_default()
    }

    /// The rooms the sidebar lists.
    pub fn rooms(&self) -> gio::ListStore {
        self.imp()
            .rooms
            .get_or_init(crate::ui::room_list::model::new_store)
            .clone()
    }

    fn setup_room_list(&self) {
        let imp = self.imp();
        let store = self.rooms();
        let view = crate::ui::room_list::build_view(
            &store,
            glib::clone!(
                #[weak(rename_to = window)]
                self,
                move |room_id| window.open_room(&room_id)
            ),
        );
        imp.room_scroller.set_child(Some(&view));
        let stack = imp.sidebar_stack.clone();
        store.connect_items_changed(move |store, _, _, _| {
            stack.set_visible_child_name(if store.n_items() == 0 {
                "empty"
            } else {
                "rooms"
            });
        });
    }

    /// Shows the room `room_id` in the content pane.
    pub fn open_room(&self, room_id: &str) {
        let store = self.rooms();
        let summary = (0..store.n_items())
            .filter_map(|i| store.item(i))
            .filter_map(|item| crate::ui::room_list::model::summary_of(&item))
            .find(|s| s.room_id == room_id);
        if let Some(summary) = summary {
            let imp = self.imp();
            imp.content_title.set_title(&summary.name);
            imp.content_empty.set_title(&summary.name);
            let (icon, description) = if summary.is_encrypted {
                (
                    "channel-secure-symbolic",
                    gettext("Messages in this room are end-to-end encrypted."),
                )
            } else {
                (
                    "channel-insecure-symbolic",
                    gettext(
                        "Messages in this room are not encrypted: the homeserver can read them.",
                    ),
                )
            };
            imp.content_empty.set_icon_name(Some(icon));
            imp.content_empty.set_description(Some(&description));
            self.show_pane(Pane::Content);
        }
    }

    /// Shows a short message at the bottom of the window.
    pub fn toast(&self, text: &str) {
        self.imp().toast_overlay.add_toast(adw::Toast::new(text));
    }

    fn restore_size(&self) {
        let settings = settings();
        let width = settings.int("window-width").max(360);
        let height = settings.int("window-height").max(294);
        self.set_default_size(width, height);
        if settings.boolean("is-maximized") {
            self.maximize();
        }
    }

    fn save_size(&self) {
        let settings = settings();
        let (width, height) = self.default_size();
        // Setting a key only fails for a key the schema lacks; the schema is ours.
        let _ = settings.set_int("window-width", width);
        let _ = settings.set_int("window-height", height);
        let _ = settings.set_boolean("is-maximized", self.is_maximized());
    }
}
