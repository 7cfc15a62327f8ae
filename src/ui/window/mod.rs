//! The main window: an adaptive leaflet with the sidebar (conversations) and the content
//! pane. At phone width one pane shows at a time, with a back button; wider, both do.

mod accounts;
pub use accounts::{HeadStart, begin_head_start, take_head_start};
mod imp;
mod rooms;
mod trust;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gio, glib};

use crate::i18n::gettext;
use crate::ui::settings::settings;
use crate::ui::trust::shield::TrustSummary;

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
        let imp = self.imp();
        self.connect_is_active_notify(|window| {
            if window.is_active()
                && let Some(view) = window.imp().room_view.get()
            {
                view.window_focused();
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

    /// The conversation pane. It is made, and added to the content pane, when the first
    /// room is opened: until then the content pane shows only its placeholder.
    pub fn room_view(&self) -> crate::ui::room_view::RoomView {
        let imp = self.imp();
        imp.room_view
            .get_or_init(|| {
                let view = crate::ui::room_view::RoomView::default();
                imp.content_stack.add_named(&view, Some("room"));
                view
            })
            .clone()
    }

    /// The room open in the content pane, if any.
    pub fn open_room_id(&self) -> Option<String> {
        self.imp().open_room.borrow().clone()
    }

    /// Shows the room `room_id` in the content pane.
    pub fn open_room(&self, room_id: &str) {
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
        let imp = self.imp();
        imp.open_room.replace(Some(room_id.to_owned()));
        imp.content_title.set_title(&summary.name);
        imp.content_title.set_subtitle("");
        imp.room_subtitle.replace(Default::default());
        self.show_encryption(summary.is_encrypted, None);
        self.follow_room_trust(&session, room_id, summary.is_encrypted);
        self.close_room_when_gone(&session, room_id, &summary.name);
        imp.room_encryption.set_visible(true);
        imp.room_details_button.set_visible(true);
        let view = self.room_view();
        imp.content_stack.set_visible_child(&view);
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
                        window.imp().room_subtitle.borrow_mut().0 =
                            crate::i18n::ngettext("{count} member", "{count} members", n)
                                .replace("{count}", &members.to_string());
                        window.update_room_subtitle();
                        window.remember_timeline(&timeline);
                        window.room_view().open(timeline);
                    }
                    Err(err) => window.toast(&crate::ui::error_text::describe(&err)),
                }
            }
        ));
    }

    /// The header's encryption and trust indicator: `unencrypted`, `encrypted` (trust not
    /// known yet), or the trust summary's icon; with its tooltip.
    fn show_encryption(&self, encrypted: bool, trust: Option<&TrustSummary>) {
        let imp = self.imp();
        let (icon, description) = match (encrypted, trust) {
            (false, _) => (
                "channel-insecure-symbolic",
                gettext("Messages in this room are not encrypted: the homeserver can read them."),
            ),
            (true, None) => (
                "channel-secure-symbolic",
                gettext("Messages in this room are end-to-end encrypted."),
            ),
            (true, Some(trust)) => (trust.icon, trust.long.clone()),
        };
        let indicator = crate::ui::widgets::labelled_image(icon, &description);
        indicator.set_widget_name("room-trust");
        if trust.is_some_and(|t| t.warning) {
            indicator.add_css_class("warning");
        } else if trust.is_some_and(|t| t.icon == crate::ui::trust::shield::VERIFIED_ICON) {
            indicator.add_css_class("verified-shield");
        }
        imp.room_encryption.set_child(Some(&indicator));
    }

    /// Follows the trust summary of the open encrypted room into the header.
    fn follow_room_trust(
        &self,
        session: &crate::engine::session::Session,
        room_id: &str,
        encrypted: bool,
    ) {
        let imp = self.imp();
        if let Some(old) = imp.room_trust.take() {
            old.abort();
        }
        if !encrypted {
            return;
        }
        let weak = self.downgrade();
        let room = room_id.to_owned();
        let follower = crate::ui::trust::shield::follow_room(
            session.clone(),
            room_id.to_owned(),
            move |trust| {
                let Some(window) = weak.upgrade() else {
                    return std::ops::ControlFlow::Break(());
                };
                if window.open_room_id().as_deref() != Some(room.as_str()) {
                    return std::ops::ControlFlow::Break(());
                }
                let summary = crate::ui::trust::shield::room_summary(&trust);
                window.show_encryption(true, Some(&summary));
                window.imp().room_subtitle.borrow_mut().1 = summary.short;
                window.update_room_subtitle();
                std::ops::ControlFlow::Continue(())
            },
        );
        imp.room_trust.replace(Some(follower));
    }

    /// Once the account is no longer in the open room (it left, from here or another
    /// device, or was removed or banned): back to the list, with a word on why.
    fn close_room_when_gone(
        &self,
        session: &crate::engine::session::Session,
        room_id: &str,
        name: &str,
    ) {
        let imp = self.imp();
        if let Some(old) = imp.room_membership.take() {
            old.abort();
        }
        let (session, room, name) = (session.clone(), room_id.to_owned(), name.to_owned());
        let weak = self.downgrade();
        let follower = crate::ui::bridge::spawn_ui(async move {
            let watched = room.clone();
            let gone = crate::ui::bridge::spawn_tokio(async move {
                crate::engine::rooms::wait_until_gone(&session, &watched).await
            })
            .await;
            let (Some(window), Ok(gone)) = (weak.upgrade(), gone) else {
                return;
            };
            if window.open_room_id().as_deref() != Some(room.as_str()) {
                return;
            }
            // This task ends here: nothing to abort when the room closes.
            drop(window.imp().room_membership.take());
            window.forget_timeline(&room);
            window.close_room();
            window.show_pane(Pane::Sidebar);
            let text = match gone {
                crate::engine::rooms::Gone::Left => {
                    crate::i18n::gettext_f("You are no longer in “{room}”.", &[("room", &name)])
                }
                crate::engine::rooms::Gone::Banned => {
                    crate::i18n::gettext_f("You were banned from “{room}”.", &[("room", &name)])
                }
            };
            window.toast(&text);
        });
        imp.room_membership.replace(Some(follower));
    }

    fn update_room_subtitle(&self) {
        let imp = self.imp();
        let (members, trust) = imp.room_subtitle.borrow().clone();
        let subtitle = match (members.is_empty(), trust.is_empty()) {
            (false, false) => crate::i18n::gettext_f(
                "{trust} · {members}",
                &[("members", &members), ("trust", &trust)],
            ),
            (false, true) => members,
            (true, _) => trust,
        };
        imp.content_title.set_subtitle(&subtitle);
    }

    /// The header's encryption and trust indicator: its icon name and its tooltip.
    pub fn room_trust_indicator(&self) -> Option<(String, String)> {
        let imp = self.imp();
        let image = imp.room_encryption.child()?.downcast::<gtk::Image>().ok()?;
        Some((
            image.icon_name()?.to_string(),
            image.tooltip_text()?.to_string(),
        ))
    }

    /// The header's title and subtitle.
    pub fn room_header(&self) -> (String, String) {
        let title = &self.imp().content_title;
        (title.title().to_string(), title.subtitle().to_string())
    }

    /// The recently opened conversation of `room_id`, if it is still kept.
    fn recent_timeline(&self, room_id: &str) -> Option<crate::engine::timeline::RoomTimeline> {
        let recent = self.imp().recent_timelines.borrow();
        let user_id = self.session()?.user_id();
        recent
            .iter()
            .find(|t| t.room().room_id().as_str() == room_id && t.session().user_id() == user_id)
            .cloned()
    }

    /// The rooms whose conversations are kept open, the most recently shown last.
    pub fn recent_rooms(&self) -> Vec<String> {
        let recent = self.imp().recent_timelines.borrow();
        recent
            .iter()
            .map(|t| t.room().room_id().to_string())
            .collect()
    }

    /// Lets the kept conversation of `room_id` go.
    fn forget_timeline(&self, room_id: &str) {
        let mut recent = self.imp().recent_timelines.borrow_mut();
        recent.retain(|t| t.room().room_id().as_str() != room_id);
    }

    /// Keeps `timeline` among the recent ones, the oldest dropped past `RECENT_ROOMS`.
    fn remember_timeline(&self, timeline: &crate::engine::timeline::RoomTimeline) {
        let mut recent = self.imp().recent_timelines.borrow_mut();
        recent.retain(|t| {
            t.room().room_id() != timeline.room().room_id()
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
        if let Some(follower) = imp.room_trust.take() {
            follower.abort();
        }
        if let Some(follower) = imp.room_membership.take() {
            follower.abort();
        }
        imp.room_subtitle.replace(Default::default());
        imp.open_room.replace(None);
        if let Some(view) = imp.room_view.get() {
            view.close();
        }
        imp.content_title.set_title("");
        imp.content_title.set_subtitle("");
        imp.room_encryption.set_visible(false);
        imp.room_details_button.set_visible(false);
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
