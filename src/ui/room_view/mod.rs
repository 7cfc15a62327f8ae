//! The conversation pane: its header (the room's name, trust, encryption and details), the
//! timeline of the open room in a virtualised `GtkListView` that follows the engine's
//! diffs, a jump-to-latest button, the typing indicator and the composer. This file builds
//! the pane and binds the timeline to it; the rest is in its own files: `scroll`
//! (staying at the bottom, loading older messages, read receipts), `folding` (runs of
//! changes to the room), `event_actions` (the `room.*` actions on one message, with the
//! entry's unique ID as target, so rows, menus and tests all go through the same code),
//! `composing` (sending, attachments, drafts, typing), `watchers` (the open room's trust
//! and the account leaving it), `viewer` and `save` (pictures and files). A row of the
//! conversation is in `row/`: the row and its binding in `row/mod.rs`, its parts beside it
//! (`centre`, `body`, `media`, `footer`, `dates`).

pub mod animation;
pub mod attach;
pub mod composer;
mod composing;
mod event_actions;
mod folding;
mod header;
pub mod info;
mod menu;
pub mod pictures;
pub mod playback;
pub mod row;
pub mod save;
mod scroll;
pub mod viewer;
mod watchers;

use std::cell::{Cell, OnceCell, RefCell};
use std::ops::ControlFlow;
use std::rc::Rc;
use std::time::Duration;

use adw::prelude::*;
use gtk::subclass::prelude::*;
use gtk::{gio, glib};

use crate::engine::ids::{OwnedRoomId, RoomId};
use crate::engine::session::Session;
use crate::engine::timeline::{Entry, EntryKind, EventEntry, RoomTimeline};
use crate::i18n::gettext;
use crate::ui::bridge::{forward_stream, spawn_tokio, spawn_ui};
use crate::ui::diff_store::{self, Touched};
use composer::{Composer, MemberLookup};
pub use info::RoomInfo;
use row::MessageRow;

/// How many of the timeline's items a room shows when it opens (a screen and more at
/// desktop size); the older ones in memory come in `REVEAL` at a time as the person
/// scrolls up.
const FIRST_ROWS: usize = 30;
pub(super) const REVEAL: usize = 30;
/// At most this long after a room opens, its first screen drawn or not, the server is
/// asked to keep it up to date.
const FIRST_SCREEN_WAIT: Duration = Duration::from_millis(500);

/// True when `entry` is the same event as `previous`.
fn is_repeat(entry: &Entry, previous: Option<&Entry>) -> bool {
    let event_id = |e: &Entry| match &e.kind {
        EntryKind::Event(event) => event.event_id.clone(),
        _ => None,
    };
    previous.is_some_and(|p| event_id(p).is_some() && event_id(p) == event_id(entry))
}

mod imp {
    use super::*;

    #[derive(glib::Properties)]
    #[properties(wrapper_type = super::RoomView)]
    pub struct RoomView {
        /// The open room, as the header shows it.
        pub info: RoomInfo,
        pub header: OnceCell<header::RoomHeader>,
        /// The header offers the way back to the conversation list (one pane shows at a
        /// time).
        #[property(get, set)]
        pub show_back_button: Cell<bool>,
        /// Follows the open room's trust summary for the header.
        pub room_trust: RefCell<Option<glib::JoinHandle<()>>>,
        /// Waits for the account to leave the open room (or be removed from it).
        pub room_membership: RefCell<Option<glib::JoinHandle<()>>>,
        /// The store of `entries`, kept apart: rows read it while `entries`, borrowed,
        /// applies a diff.
        pub store: RefCell<Option<gio::ListStore>>,
        /// Every entry of the open conversation; `store` shows the latest of them.
        pub entries: RefCell<Option<Rc<RefCell<diff_store::Windowed>>>>,
        pub list: gtk::ListView,
        pub scroller: gtk::ScrolledWindow,
        pub jump: gtk::Button,
        pub typing: gtk::Label,
        pub identity_banner: crate::ui::trust::identity_banner::IdentityBanner,
        pub sharing_notice: crate::ui::trust::sharing_notice::KeySharingNotice,
        pub composer: Composer,
        pub timeline: RefCell<Option<RoomTimeline>>,
        pub tasks: RefCell<Vec<glib::JoinHandle<()>>>,
        pub stick_to_bottom: Cell<bool>,
        pub loading_older: Cell<bool>,
        pub reached_start: Cell<bool>,
        /// The open room's first screen is drawn: scrolling near the top loads older
        /// messages from then on (before, the scroll position is not laid out yet).
        pub first_screen_drawn: Cell<bool>,
        /// The scroll range and page size last seen, to tell a scroll from a layout.
        pub extent: Cell<(f64, f64)>,
        /// The latest row is to be brought to the bottom once the rows are laid out.
        pub pin_after_layout: Cell<bool>,
        pub layout_handler: RefCell<Option<(gtk::gdk::FrameClock, glib::SignalHandlerId)>>,
        pub draft_timer: RefCell<Option<glib::SourceId>>,
        pub typing_sent_at: Cell<Option<std::time::Instant>>,
        pub typing_timer: RefCell<Option<glib::SourceId>>,
        pub read_pending: Cell<bool>,
        pub unfolded: RefCell<std::collections::HashSet<String>>,
        /// The pictures of the open room.
        pub pictures: RefCell<Option<Rc<pictures::Pictures>>>,
    }

    impl Default for RoomView {
        fn default() -> Self {
            Self {
                info: RoomInfo::default(),
                header: OnceCell::default(),
                show_back_button: Cell::default(),
                room_trust: RefCell::default(),
                room_membership: RefCell::default(),
                store: RefCell::default(),
                entries: RefCell::default(),
                list: gtk::ListView::default(),
                scroller: gtk::ScrolledWindow::default(),
                jump: crate::ui::widgets::icon_button(
                    "go-bottom-symbolic",
                    &gettext("Jump to Latest Message"),
                ),
                typing: gtk::Label::default(),
                identity_banner: crate::ui::trust::identity_banner::IdentityBanner::new(),
                sharing_notice: crate::ui::trust::sharing_notice::KeySharingNotice::new(),
                composer: Composer::default(),
                timeline: RefCell::default(),
                tasks: RefCell::default(),
                stick_to_bottom: Cell::default(),
                loading_older: Cell::default(),
                reached_start: Cell::default(),
                first_screen_drawn: Cell::default(),
                extent: Cell::default(),
                pin_after_layout: Cell::default(),
                layout_handler: RefCell::default(),
                draft_timer: RefCell::default(),
                typing_sent_at: Cell::default(),
                typing_timer: RefCell::default(),
                read_pending: Cell::default(),
                unfolded: RefCell::default(),
                pictures: RefCell::default(),
            }
        }
    }

    #[glib::object_subclass]
    impl ObjectSubclass for RoomView {
        const NAME: &'static str = "SottoRoomView";
        type Type = super::RoomView;
        type ParentType = gtk::Box;
    }

    #[glib::derived_properties]
    impl ObjectImpl for RoomView {
        fn constructed(&self) {
            self.parent_constructed();
            self.obj().build();
        }

        fn signals() -> &'static [glib::subclass::Signal] {
            static SIGNALS: std::sync::OnceLock<Vec<glib::subclass::Signal>> =
                std::sync::OnceLock::new();
            SIGNALS.get_or_init(|| {
                vec![
                    // The account is no longer in the open room: whoever shows the view
                    // closes it.
                    glib::subclass::Signal::builder("room-gone")
                        .param_types([String::static_type()])
                        .build(),
                ]
            })
        }

        fn dispose(&self) {
            self.obj().close_room();
        }
    }
    impl WidgetImpl for RoomView {
        fn realize(&self) {
            self.parent_realize();
            // After each layout of the window: keep the latest row at the bottom.
            if let Some(clock) = self.obj().frame_clock() {
                let view = self.obj().downgrade();
                let handler = clock.connect_layout(move |_| {
                    if let Some(view) = view.upgrade() {
                        view.laid_out();
                    }
                });
                self.layout_handler.replace(Some((clock, handler)));
            }
        }

        fn unrealize(&self) {
            if let Some((clock, handler)) = self.layout_handler.take() {
                clock.disconnect(handler);
            }
            self.parent_unrealize();
        }
    }
    impl BoxImpl for RoomView {}
}

glib::wrapper! {
    /// The conversation pane.
    pub struct RoomView(ObjectSubclass<imp::RoomView>)
        @extends gtk::Box, gtk::Widget,
        @implements gtk::Buildable, gtk::ConstraintTarget, gtk::Orientable;
}

impl Default for RoomView {
    fn default() -> Self {
        glib::Object::new()
    }
}

impl RoomView {
    fn build(&self) {
        let imp = self.imp();
        self.set_orientation(gtk::Orientation::Vertical);
        self.set_vexpand(true);
        imp.stick_to_bottom.set(true);

        let header = header::RoomHeader::new(&imp.info);
        self.bind_property("show-back-button", &header.back, "visible")
            .sync_create()
            .build();
        self.upcast_ref::<gtk::Box>().append(&header.bar);
        let _ = imp.header.set(header);

        let factory = gtk::SignalListItemFactory::new();
        let view = self.downgrade();
        factory.connect_setup(move |_, item| {
            let Some(item) = item.downcast_ref::<gtk::ListItem>() else {
                return;
            };
            let row = MessageRow::default();
            if let Some(view) = view.upgrade() {
                view.add_row_gestures(&row);
            }
            item.set_child(Some(&row));
            item.set_activatable(false);
            item.set_selectable(false);
        });
        let view = self.downgrade();
        factory.connect_bind(move |_, item| {
            let (Some(view), Some(item)) = (view.upgrade(), item.downcast_ref::<gtk::ListItem>())
            else {
                return;
            };
            let Some(row) = item.child().and_downcast::<MessageRow>() else {
                return;
            };
            let position = item.position();
            if let Some(entry) = view.entry_at(position) {
                let previous = position.checked_sub(1).and_then(|p| view.entry_at(p));
                let state = if is_repeat(&entry, previous.as_ref()) {
                    // matrix-sdk-ui can briefly hold one event twice, side by side.
                    row::StateShow::Hidden
                } else if matches!(entry.kind, EntryKind::ReadMarker)
                    && view.entry_at(position + 1).is_none()
                {
                    // "New messages" with nothing under it (the SDK can leave the marker
                    // last for a moment, e.g. when the items after it go away).
                    row::StateShow::Hidden
                } else {
                    view.state_show(position, &entry, previous.as_ref())
                };
                let pictures = view.pictures();
                row.bind(&entry, previous.as_ref(), state, pictures);
            }
        });
        imp.list.set_factory(Some(&factory));
        imp.list.add_css_class("conversation");
        imp.list.set_vexpand(true);
        imp.scroller.set_child(Some(&imp.list));
        imp.scroller.set_hscrollbar_policy(gtk::PolicyType::Never);
        imp.scroller.set_vexpand(true);

        imp.jump.add_css_class("circular");
        imp.jump.add_css_class("osd");
        imp.jump.add_css_class("touch-target");
        imp.jump.set_halign(gtk::Align::End);
        imp.jump.set_valign(gtk::Align::End);
        imp.jump.set_margin_end(18);
        imp.jump.set_margin_bottom(18);
        imp.jump.set_visible(false);
        let view = self.downgrade();
        imp.jump.connect_clicked(move |_| {
            if let Some(view) = view.upgrade() {
                view.scroll_to_latest();
            }
        });

        let overlay = gtk::Overlay::new();
        overlay.set_child(Some(&imp.scroller));
        overlay.add_overlay(&imp.jump);
        self.upcast_ref::<gtk::Box>().append(&overlay);

        imp.typing.add_css_class("caption");
        imp.typing.add_css_class("dim-label");
        imp.typing.set_xalign(0.0);
        imp.typing.set_margin_start(14);
        imp.typing.set_ellipsize(gtk::pango::EllipsizeMode::End);
        imp.typing.set_visible(false);
        self.upcast_ref::<gtk::Box>().append(&imp.typing);

        self.upcast_ref::<gtk::Box>().append(&imp.identity_banner);
        self.upcast_ref::<gtk::Box>().append(&imp.sharing_notice);
        let view = self.downgrade();
        imp.identity_banner
            .connect_blocks_sending_changed(move |blocked| {
                // Nothing goes to a person whose new identity nobody has acknowledged yet.
                if let Some(view) = view.upgrade() {
                    view.imp().composer.set_sensitive(!blocked);
                }
            });

        imp.composer.set_margin_start(8);
        imp.composer.set_margin_end(8);
        imp.composer.set_margin_top(6);
        imp.composer.set_margin_bottom(8);
        self.upcast_ref::<gtk::Box>().append(&imp.composer);

        let adjustment = imp.scroller.vadjustment();
        let view = self.downgrade();
        adjustment.connect_value_changed(move |adj| {
            if let Some(view) = view.upgrade() {
                view.scrolled(adj);
            }
        });
        let view = self.downgrade();
        adjustment.connect_changed(move |_| {
            // The content grew or shrank: stay at the bottom if that is where the person was.
            if let Some(view) = view.upgrade() {
                view.pin_after_layout();
            }
        });

        let view = self.downgrade();
        imp.composer.connect_send(move |outgoing, mode| {
            if let Some(view) = view.upgrade() {
                view.send(outgoing, mode);
            }
        });
        let view = self.downgrade();
        imp.composer.connect_text_changed(move |composer| {
            if let Some(view) = view.upgrade() {
                view.text_changed(composer);
            }
        });
        let view = self.downgrade();
        imp.composer.connect_attach(move || {
            if let Some(view) = view.upgrade() {
                view.choose_attachment();
            }
        });
        let view = self.downgrade();
        imp.composer.connect_paste_image(move |texture| {
            if let Some(view) = view.upgrade() {
                view.attach_pasted(&texture);
            }
        });

        // Files dropped anywhere on the conversation are offered for sending.
        let drop = gtk::DropTarget::new(
            gtk::gdk::FileList::static_type(),
            gtk::gdk::DragAction::COPY,
        );
        let view = self.downgrade();
        drop.connect_drop(move |_, value, _, _| {
            let (Some(view), Ok(files)) = (view.upgrade(), value.get::<gtk::gdk::FileList>())
            else {
                return false;
            };
            let files = files.files();
            if files.is_empty() || view.timeline().is_none() {
                return false;
            }
            view.attach_files(files);
            true
        });
        self.add_controller(drop);

        self.install_actions();
    }

    /// Shows the conversation of `timeline` (replacing any other). It may come from
    /// `RoomTimeline::open_cached`: the view asks for the room to be kept up to date once
    /// its first screen is drawn.
    pub fn open(&self, timeline: RoomTimeline) {
        crate::startup_trace::mark("conversation: opening");
        self.close();
        let imp = self.imp();
        let members = timeline.joined_members_count();
        imp.info
            .set_member_count(i64::try_from(members).unwrap_or(i64::MAX));
        let entries = Rc::new(RefCell::new(diff_store::Windowed::new(FIRST_ROWS)));
        let store = entries.borrow().store().clone();
        let selection = gtk::NoSelection::new(Some(store.clone()));
        imp.list.set_model(Some(&selection));
        imp.store.replace(Some(store.clone()));
        imp.entries.replace(Some(entries.clone()));
        imp.timeline.replace(Some(timeline.clone()));
        imp.pictures
            .replace(Some(pictures::Pictures::new(timeline.clone())));
        imp.stick_to_bottom.set(true);
        imp.jump.set_visible(false);
        imp.reached_start.set(false);
        imp.loading_older.set(false);
        imp.first_screen_drawn.set(false);
        imp.composer.cancel_mode();
        imp.composer.set_text("");
        imp.typing.set_visible(false);

        let lookup_timeline = timeline.clone();
        let lookup: MemberLookup = Rc::new(move |query, deliver| {
            let timeline = lookup_timeline.clone();
            spawn_ui(async move {
                let found =
                    spawn_tokio(async move { timeline.members_matching(&query, 8).await }).await;
                deliver(found.unwrap_or_default());
            });
        });
        imp.composer.set_member_lookup(Some(lookup));
        imp.composer.set_sensitive(true);
        imp.identity_banner
            .follow(timeline.session().clone(), timeline.room_id());
        imp.sharing_notice
            .follow(timeline.session().clone(), timeline.room_id());

        let view = self.downgrade();
        let follow = spawn_ui(async move {
            let for_entries = timeline.clone();
            let (initial, diffs) = spawn_tokio(async move { for_entries.entries().await }).await;
            let Some(this) = view.upgrade() else {
                return;
            };
            entries.borrow_mut().apply(eyeball_im::VectorDiff::Reset {
                values: initial.into(),
            });
            this.after_change();
            crate::startup_trace::mark("conversation: first items in the model");
            // Once this first screen is drawn: ask the server to keep the room up to date,
            // and fetch a page of older messages (held back until the person scrolls up)
            // or show more if the screen is not full. Either, sooner, competes with drawing
            // it (the answers are processed meanwhile).
            let shown = view.clone();
            let after_first_screen = spawn_ui(async move {
                let Some(view) = shown.upgrade() else {
                    return;
                };
                crate::ui::widgets::first_frame(&view, FIRST_SCREEN_WAIT).await;
                crate::startup_trace::mark("conversation: first screen drawn");
                view.imp().first_screen_drawn.set(true);
                if let Some(timeline) = view.timeline() {
                    // Runs on its own; nothing waits for it.
                    drop(spawn_tokio(async move { timeline.keep_up_to_date().await }));
                }
                if view.near_top() || view.hidden() == 0 {
                    view.maybe_load_older();
                }
            });
            this.imp().tasks.borrow_mut().push(after_first_screen);
            let draft_timeline = timeline.clone();
            if let Ok(Some(draft)) =
                spawn_tokio(async move { draft_timeline.load_draft().await }).await
                && this.imp().composer.text().is_empty()
            {
                this.imp().composer.set_text(&draft);
            }
            let forward = forward_stream(diffs, move |batch| {
                let Some(view) = view.upgrade() else {
                    return ControlFlow::Break(());
                };
                let mut touched = Vec::new();
                for diff in batch {
                    let change = entries.borrow_mut().apply(diff);
                    if let Touched::At(position) = change {
                        touched.push(position);
                    }
                }
                view.refresh_neighbours(&store, &touched);
                view.after_change();
                view.reveal_if_near_top();
                ControlFlow::Continue(())
            });
            // Dropping a handle does not stop its task: `close` aborts it with the others.
            this.imp().tasks.borrow_mut().push(forward);
        });
        let typing_timeline = self.timeline();
        let view = self.downgrade();
        let typing = spawn_ui(async move {
            let Some(timeline) = typing_timeline else {
                return;
            };
            let names = spawn_tokio(async move { timeline.typing() }).await;
            let Some(this) = view.upgrade() else {
                return;
            };
            let forward = forward_stream(names, move |names| {
                let Some(view) = view.upgrade() else {
                    return ControlFlow::Break(());
                };
                view.show_typing(&names);
                ControlFlow::Continue(())
            });
            this.imp().tasks.borrow_mut().push(forward);
        });
        imp.tasks.borrow_mut().extend([follow, typing]);
    }

    /// Stops following the open room (when another opens, or on sign-out).
    pub fn close(&self) {
        let imp = self.imp();
        for task in imp.tasks.borrow_mut().drain(..) {
            task.abort();
        }
        self.flush_draft();
        self.stop_typing();
        imp.timeline.replace(None);
        imp.pictures.replace(None);
        imp.store.replace(None);
        imp.entries.replace(None);
        imp.list.set_model(None::<&gtk::SelectionModel>);
        imp.composer.set_member_lookup(None);
        imp.identity_banner.stop();
        imp.sharing_notice.stop();
    }

    /// Shows the room `room_id` of `session`, named `name`, in the header at once, and
    /// follows its trust and whether the account is still in it. Its conversation follows
    /// with `open`.
    pub fn show_room(&self, session: &Session, room_id: &RoomId, name: &str, encrypted: bool) {
        self.imp().info.open(room_id, name, encrypted);
        self.follow_room_trust(session, room_id, encrypted);
        self.close_room_when_gone(session, room_id, name);
    }

    /// Closes the open room: the header, its followers and the conversation.
    pub fn close_room(&self) {
        let imp = self.imp();
        if let Some(follower) = imp.room_trust.take() {
            follower.abort();
        }
        if let Some(follower) = imp.room_membership.take() {
            follower.abort();
        }
        imp.info.clear();
        self.close();
    }

    /// The room shown, if any.
    pub fn room_id(&self) -> Option<OwnedRoomId> {
        // The header's property holds what `show_room` was given: a valid ID, or nothing.
        OwnedRoomId::try_from(self.imp().info.room_id()).ok()
    }

    /// The open room's name, member count, encryption and trust, as the header shows them.
    pub fn room_info(&self) -> RoomInfo {
        self.imp().info.clone()
    }

    /// The header's title and subtitle.
    pub fn header_title(&self) -> (String, String) {
        let Some(header) = self.imp().header.get() else {
            return Default::default();
        };
        (
            header.title.title().to_string(),
            header.title.subtitle().to_string(),
        )
    }

    /// The header's encryption and trust indicator: its icon name and its tooltip.
    pub fn header_trust_indicator(&self) -> Option<(String, String)> {
        let header = self.imp().header.get()?;
        let image = header.encryption.child()?.downcast::<gtk::Image>().ok()?;
        Some((
            image.icon_name()?.to_string(),
            image.tooltip_text()?.to_string(),
        ))
    }

    /// Calls `f` with the room's ID once the account is no longer in the open room (it
    /// left, from here or another device, or was removed or banned).
    pub fn connect_room_gone(&self, f: impl Fn(&Self, &RoomId) + 'static) -> glib::SignalHandlerId {
        self.connect_local("room-gone", false, move |values| {
            let view = values.first()?.get::<Self>().ok()?;
            let room_id = OwnedRoomId::try_from(values.get(1)?.get::<String>().ok()?).ok()?;
            f(&view, &room_id);
            None
        })
    }

    /// The open room's timeline.
    pub fn timeline(&self) -> Option<RoomTimeline> {
        self.imp().timeline.borrow().clone()
    }

    /// The pictures of the open room.
    pub fn pictures(&self) -> Option<Rc<pictures::Pictures>> {
        self.imp().pictures.borrow().clone()
    }

    /// The entries shown, for tests and for actions.
    pub fn store(&self) -> Option<gio::ListStore> {
        self.imp().store.borrow().clone()
    }

    /// The banner about changed identities above the composer.
    pub fn identity_banner(&self) -> crate::ui::trust::identity_banner::IdentityBanner {
        self.imp().identity_banner.clone()
    }

    /// The notice of sessions left out under "encrypt only for verified devices".
    pub fn sharing_notice(&self) -> crate::ui::trust::sharing_notice::KeySharingNotice {
        self.imp().sharing_notice.clone()
    }

    /// The composer.
    pub fn composer(&self) -> Composer {
        self.imp().composer.clone()
    }

    /// The list view of the conversation.
    pub fn list_view(&self) -> gtk::ListView {
        self.imp().list.clone()
    }

    /// The event with `unique_id`, if shown.
    pub fn event(&self, unique_id: &str) -> Option<EventEntry> {
        let store = self.store()?;
        (0..store.n_items()).rev().find_map(|i| {
            let entry = diff_store::value_of::<Entry>(&store.item(i)?)?;
            match entry.kind {
                EntryKind::Event(event) if entry.unique_id == unique_id => Some(*event),
                _ => None,
            }
        })
    }

    fn after_change(&self) {
        let imp = self.imp();
        if imp.stick_to_bottom.get() {
            self.pin_after_layout();
            imp.list.queue_allocate();
        }
        self.maybe_mark_read();
    }

    /// Shows a short message at the bottom of whatever shows the view.
    fn toast(&self, text: &str) {
        if let Some(overlay) = self
            .ancestor(adw::ToastOverlay::static_type())
            .and_downcast::<adw::ToastOverlay>()
        {
            overlay.add_toast(crate::ui::widgets::toast(text));
        }
    }
}
