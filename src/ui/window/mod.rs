//! The main window: an adaptive leaflet with the sidebar (conversations) and the content
//! pane. At phone width one pane shows at a time, with a back button; wider, both do.

mod account_switcher;
mod accounts;
pub use accounts::{HeadStart, begin_head_start, take_head_start};
mod account_security;
mod imp;
mod room_menu;
mod rooms;
mod sign_out;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gio, glib};

use crate::engine::ids::{OwnedRoomId, RoomId, UserId};
use crate::ui::gsettings::settings;

glib::wrapper! {
    /// Sotto's main window.
    pub struct Window(ObjectSubclass<imp::Window>)
        @extends adw::ApplicationWindow, gtk::ApplicationWindow, gtk::Window, gtk::Widget,
        @implements gio::ActionGroup, gio::ActionMap, gtk::Buildable,
            gtk::ConstraintTarget, gtk::Native, gtk::Root, gtk::ShortcutManager;
}

/// How many recently opened conversations stay open in the background (per window), so
/// that switching back to one shows it at once.
const RECENT_ROOMS: usize = 3;

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

    /// Shows the keyboard shortcuts. Built when asked for, not with each window as GTK's
    /// automatic `gtk/help-overlay.ui` would be: GTK 4.8 let that one outlive its window
    /// while still pointing at it, and freeing it later raised a GLib critical. This one
    /// goes when it is closed.
    pub fn show_shortcuts(&self) {
        let builder = gtk::Builder::from_resource(&format!(
            "{}/ui/shortcuts.ui",
            crate::config::RESOURCE_BASE
        ));
        let Some(shortcuts) = builder.object::<gtk::ShortcutsWindow>("shortcuts") else {
            return;
        };
        // The keys shown are the application's accelerators of each action (GTK would look
        // them up only for the overlay it makes itself).
        if let Some(app) = self.application() {
            show_accelerators(shortcuts.upcast_ref(), &app);
        }
        shortcuts.set_transient_for(Some(self));
        shortcuts.set_destroy_with_parent(true);
        shortcuts.present();
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

    /// The back button of the content pane while no room is open (visible only when folded).
    pub fn back_button(&self) -> gtk::Button {
        self.imp().back_button.clone()
    }

    /// The greeter (sign-in page). It is made, and added to the window's pages, the first
    /// time it is needed: a start with a saved account never shows it.
    pub fn greeter(&self) -> crate::ui::greeter::Greeter {
        let imp = self.imp();
        imp.greeter
            .get_or_init(|| {
                let greeter = crate::ui::greeter::Greeter::default();
                imp.main_stack.add_named(&greeter, Some("greeter"));
                self.setup_greeter(&greeter);
                greeter
            })
            .clone()
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
        self.connect_is_active_notify(|window| {
            if window.is_active()
                && let Some(view) = window.imp().room_view.get()
            {
                view.window_focused();
            }
        });
    }

    /// The conversation pane. It is made, and added to the content pane, when the first
    /// room is opened: until then the content pane shows only its placeholder.
    pub fn room_view(&self) -> crate::ui::room_view::RoomView {
        let imp = self.imp();
        imp.room_view
            .get_or_init(|| {
                let view = crate::ui::room_view::RoomView::default();
                imp.leaflet
                    .bind_property("folded", &view, "show-back-button")
                    .sync_create()
                    .build();
                view.connect_room_gone(glib::clone!(
                    #[weak(rename_to = window)]
                    self,
                    move |_, room_id| {
                        window.forget_timeline(room_id);
                        window.close_room();
                        window.show_pane(Pane::Sidebar);
                    }
                ));
                imp.content_stack.add_named(&view, Some("room"));
                view
            })
            .clone()
    }

    /// The room open in the content pane, if any.
    pub fn open_room_id(&self) -> Option<OwnedRoomId> {
        self.imp().room_view.get().and_then(|view| view.room_id())
    }

    /// Shows the room `room_id` of the account `account` (from a notification): switches to
    /// that account first when another one is shown, and opens the room once the room list
    /// has it (giving up after 30 s).
    pub fn open_room_of(&self, account: &UserId, room_id: &RoomId) {
        if self.session().map(|s| s.user_id()).as_deref() != Some(account) {
            self.switch_account(account);
        }
        let account = account.to_owned();
        let room_id = room_id.to_owned();
        let window = self.downgrade();
        crate::ui::bridge::spawn_ui(async move {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            while std::time::Instant::now() < deadline {
                let Some(window) = window.upgrade() else {
                    return;
                };
                let shown = window.session().is_some_and(|s| s.user_id() == account);
                if shown && window.imp().room_list_pane.find(&room_id).is_some() {
                    window.open_room(&room_id);
                    return;
                }
                drop(window);
                glib::timeout_future(std::time::Duration::from_millis(50)).await;
            }
        });
    }

    /// Shows the room `room_id` in the content pane.
    pub fn open_room(&self, room_id: &RoomId) {
        if self.open_room_id().as_deref() == Some(room_id) {
            // Back to the list and the same room again: it is still open.
            self.show_pane(Pane::Content);
            return;
        }
        let summary = self.imp().room_list_pane.find(room_id);
        let (Some(summary), Some(session), Some(sync)) = (summary, self.session(), self.sync())
        else {
            return;
        };
        if let Some(app) = self.application().and_downcast::<adw::Application>() {
            crate::ui::notifications::withdraw(&app, &session.user_id(), room_id);
        }
        let view = self.room_view();
        view.show_room(&session, room_id, &summary.name, summary.is_encrypted);
        self.imp().content_stack.set_visible_child(&view);
        self.show_pane(Pane::Content);
        let room_id = room_id.to_owned();
        let recent = self.recent_timeline(&room_id);
        crate::ui::bridge::spawn_ui(glib::clone!(
            #[weak(rename_to = window)]
            self,
            async move {
                let opened = crate::ui::bridge::spawn_tokio(async move {
                    let timeline = match recent {
                        Some(timeline) => timeline,
                        None => {
                            crate::engine::timeline::RoomTimeline::open_cached(
                                &session, &sync, &room_id,
                            )
                            .await?
                        }
                    };
                    Ok::<_, crate::engine::EngineError>((timeline, room_id))
                })
                .await;
                match opened {
                    Ok((timeline, room_id)) => {
                        if window.open_room_id() != Some(room_id) {
                            return;
                        }
                        window.remember_timeline(&timeline);
                        window.room_view().open(timeline);
                    }
                    Err(err) => window.toast(&crate::ui::error_text::describe(&err)),
                }
            }
        ));
    }

    /// The recently opened conversation of `room_id`, if it is still kept.
    fn recent_timeline(&self, room_id: &RoomId) -> Option<crate::engine::timeline::RoomTimeline> {
        let recent = self.imp().recent_timelines.borrow();
        let user_id = self.session()?.user_id();
        recent
            .iter()
            .find(|t| t.room_id() == room_id && t.session().user_id() == user_id)
            .cloned()
    }

    /// The rooms whose conversations are kept open, the most recently shown last.
    pub fn recent_rooms(&self) -> Vec<OwnedRoomId> {
        let recent = self.imp().recent_timelines.borrow();
        recent.iter().map(|t| t.room_id().to_owned()).collect()
    }

    /// Lets the kept conversation of `room_id` go.
    fn forget_timeline(&self, room_id: &RoomId) {
        let mut recent = self.imp().recent_timelines.borrow_mut();
        recent.retain(|t| t.room_id() != room_id);
    }

    /// Keeps `timeline` among the recent ones, the oldest dropped past `RECENT_ROOMS`.
    fn remember_timeline(&self, timeline: &crate::engine::timeline::RoomTimeline) {
        let mut recent = self.imp().recent_timelines.borrow_mut();
        recent.retain(|t| {
            t.room_id() != timeline.room_id()
                || t.session().user_id() != timeline.session().user_id()
        });
        recent.push(timeline.clone());
        if recent.len() > RECENT_ROOMS {
            recent.remove(0);
        }
    }

    /// Closes the open room and lets the recent conversations go: the account shown
    /// changes, or signs out.
    pub fn leave_account_rooms(&self) {
        self.close_room();
        self.imp().recent_timelines.borrow_mut().clear();
    }

    /// Closes the open room; its conversation stays among the recent ones.
    pub fn close_room(&self) {
        let imp = self.imp();
        if let Some(view) = imp.room_view.get() {
            view.close_room();
        }
        imp.content_stack.set_visible_child_name("empty");
    }

    /// Shows a short message at the bottom of the window.
    pub fn toast(&self, text: &str) {
        self.imp()
            .toast_overlay
            .add_toast(crate::ui::widgets::toast(text));
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

/// Gives each shortcut under `widget` that names an action the accelerator `app` has for it.
fn show_accelerators(widget: &gtk::Widget, app: &gtk::Application) {
    crate::ui::widgets::for_each_descendant(widget, &mut |current| {
        if let Some(shortcut) = current.downcast_ref::<gtk::ShortcutsShortcut>()
            && let Some(action) = shortcut.action_name()
            && let Some(accel) = app.accels_for_action(&action).first()
        {
            shortcut.set_accelerator(Some(accel));
        }
    });
}
