//! The main window: an adaptive leaflet with the sidebar (conversations) and the content
//! pane. At phone width one pane shows at a time, with a back button; wider, both do.

mod accounts;
mod imp;
mod rooms;
mod trust;

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

    /// The rooms the sidebar lists (items hold `RoomSummary`s).
    pub fn rooms(&self) -> gio::ListModel {
        self.imp().room_list_pane.rooms()
    }

    /// The sidebar's search, filters and room list.
    pub fn room_list_pane(&self) -> crate::ui::room_list::pane::RoomListPane {
        self.imp().room_list_pane.clone()
    }

    /// Opens the sidebar's search (Ctrl+F), showing the sidebar when folded.
    pub fn start_search(&self) {
        if self.session().is_none() {
            return;
        }
        self.show_pane(Pane::Sidebar);
        self.imp().room_list_pane.start_search();
    }

    fn setup_room_list(&self) {
        let imp = self.imp();
        imp.room_list_pane.connect_room_activated(glib::clone!(
            #[weak(rename_to = window)]
            self,
            move |room_id| window.open_room(&room_id)
        ));
        imp.search_button
            .bind_property(
                "active",
                &imp.room_list_pane.search_bar(),
                "search-mode-enabled",
            )
            .bidirectional()
            .sync_create()
            .build();
    }

    fn setup_room_view(&self) {
        let imp = self.imp();
        self.connect_is_active_notify(|window| {
            if window.is_active() {
                window.imp().room_view.window_focused();
            }
        });
        imp.room_details_button.connect_clicked(glib::clone!(
            #[weak(rename_to = window)]
            self,
            move |_| {
                if let Some(room_id) = window.imp().open_room.borrow().clone() {
                    let _ = WidgetExt::activate_action(
                        &window,
                        "win.room-details",
                        Some(&room_id.to_variant()),
                    );
                }
            }
        ));
    }

    /// The conversation pane.
    pub fn room_view(&self) -> crate::ui::room_view::RoomView {
        self.imp().room_view.clone()
    }

    /// The room open in the content pane, if any.
    pub fn open_room_id(&self) -> Option<String> {
        self.imp().open_room.borrow().clone()
    }

    /// Shows the room `room_id` in the content pane.
    pub fn open_room(&self, room_id: &str) {
        let summary = self.imp().room_list_pane.find(room_id);
        let (Some(summary), Some(session), Some(sync)) = (summary, self.session(), self.sync())
        else {
            return;
        };
        let imp = self.imp();
        imp.open_room.replace(Some(room_id.to_owned()));
        imp.content_title.set_title(&summary.name);
        imp.content_title.set_subtitle("");
        let (icon, description) = if summary.is_encrypted {
            (
                "channel-secure-symbolic",
                gettext("Messages in this room are end-to-end encrypted."),
            )
        } else {
            (
                "channel-insecure-symbolic",
                gettext("Messages in this room are not encrypted: the homeserver can read them."),
            )
        };
        let encryption = crate::ui::widgets::labelled_image(icon, &description);
        imp.room_encryption.set_child(Some(&encryption));
        imp.room_encryption.set_visible(true);
        imp.room_details_button.set_visible(true);
        imp.content_stack.set_visible_child_name("room");
        self.show_pane(Pane::Content);
        let room_id = room_id.to_owned();
        crate::ui::bridge::spawn_ui(glib::clone!(
            #[weak(rename_to = window)]
            self,
            async move {
                let opened = crate::ui::bridge::spawn_tokio(async move {
                    let timeline =
                        crate::engine::timeline::RoomTimeline::open(&session, &sync, &room_id)
                            .await?;
                    let members = timeline.room().joined_members_count();
                    Ok::<_, crate::engine::EngineError>((timeline, members, room_id))
                })
                .await;
                match opened {
                    Ok((timeline, members, room_id)) => {
                        if window.open_room_id().as_deref() != Some(room_id.as_str()) {
                            return;
                        }
                        let n = u32::try_from(members).unwrap_or(u32::MAX);
                        window.imp().content_title.set_subtitle(
                            &crate::i18n::ngettext("{count} member", "{count} members", n)
                                .replace("{count}", &members.to_string()),
                        );
                        window.imp().room_view.open(timeline);
                    }
                    Err(err) => window.toast(&crate::ui::error_text::describe(&err)),
                }
            }
        ));
    }

    /// Closes the open room (another account was shown, or this one signed out).
    pub fn close_room(&self) {
        let imp = self.imp();
        imp.open_room.replace(None);
        imp.room_view.close();
        imp.content_title.set_title("");
        imp.content_title.set_subtitle("");
        imp.room_encryption.set_visible(false);
        imp.room_details_button.set_visible(false);
        imp.content_stack.set_visible_child_name("empty");
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
