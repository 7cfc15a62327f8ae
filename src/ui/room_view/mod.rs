//! The conversation pane: its header (the room's name, trust, encryption and details), the
//! timeline of the open room in a virtualised `GtkListView` that follows the engine's
//! diffs, loading older messages when scrolled to the top, a jump-to-latest button, the
//! typing indicator and the composer. Actions on a message (reply, edit, react, remove,
//! copy, retry, discard) are `room.*` actions with the entry's unique ID as target, so
//! rows, menus and tests all go through the same code.

pub mod attach;
pub mod composer;
mod header;
pub mod info;
mod menu;
pub mod pictures;
pub mod row;
pub mod save;
pub mod viewer;

use std::cell::{Cell, OnceCell, RefCell};
use std::ops::ControlFlow;
use std::rc::Rc;
use std::time::Duration;

use adw::prelude::*;
use gtk::subclass::prelude::*;
use gtk::{gio, glib};

use crate::engine::session::Session;
use crate::engine::timeline::{Entry, EntryKind, EventEntry, Outgoing, RoomTimeline};
use crate::i18n::{gettext, gettext_f, ngettext};
use crate::ui::bridge::{forward_stream, spawn_tokio, spawn_ui};
use crate::ui::diff_store::{self, Touched};
use crate::ui::error_text::describe;
use crate::ui::gsettings::settings;
use composer::{Composer, MemberLookup, Mode};
pub use info::RoomInfo;
use row::MessageRow;

/// Runs of this many changes to the room, or more, are folded into one line.
const FOLD_FROM: usize = 3;
/// How many events one "load older" asks for.
const PAGE: u16 = 30;
/// How many of the timeline's items a room shows when it opens (a screen and more at
/// desktop size); the older ones in memory come in `REVEAL` at a time as the person
/// scrolls up.
const FIRST_ROWS: usize = 30;
const REVEAL: usize = 30;
/// At most this long after a room opens, its first screen drawn or not, the server is
/// asked to keep it up to date.
const FIRST_SCREEN_WAIT: Duration = Duration::from_millis(500);
/// Typing notices expire on the server; they are renewed this often while typing.
const TYPING_RENEW: Duration = Duration::from_secs(4);
/// Without a key press for this long, the person stopped typing.
const TYPING_IDLE: Duration = Duration::from_secs(5);

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
                let pictures = view.imp().pictures.borrow().clone();
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
            // One at a time: the first file dropped.
            match files.files().into_iter().next() {
                Some(file) if view.timeline().is_some() => {
                    view.attach_file(file);
                    true
                }
                _ => false,
            }
        });
        self.add_controller(drop);

        self.install_actions();
    }

    fn install_actions(&self) {
        let group = gio::SimpleActionGroup::new();
        let add = |name: &str, handler: fn(&RoomView, &str)| {
            let action = gio::SimpleAction::new(name, Some(glib::VariantTy::STRING));
            let view = self.downgrade();
            action.connect_activate(move |_, target| {
                let (Some(view), Some(id)) = (view.upgrade(), target.and_then(|t| t.str())) else {
                    return;
                };
                handler(&view, id);
            });
            group.add_action(&action);
        };
        add("reply", |view, id| view.start_reply(id));
        add("edit", |view, id| view.start_edit(id));
        add("remove", |view, id| view.confirm_remove(id));
        add("copy", |view, id| view.copy_text(id));
        add("retry", |view, id| view.retry(id));
        add("discard", |view, id| view.discard(id));
        add("open-menu", |view, id| {
            view.open_menu(id);
        });
        add("toggle-fold", |view, id| view.toggle_fold(id));
        add("view-picture", |view, id| {
            view.view_picture(id);
        });
        add("save-attachment", |view, id| view.save_attachment(id));
        let toggle = gio::SimpleAction::new(
            "toggle-reaction",
            Some(&<(String, String)>::static_variant_type()),
        );
        let view = self.downgrade();
        toggle.connect_activate(move |_, target| {
            let (Some(view), Some((id, key))) = (
                view.upgrade(),
                target.and_then(|t| t.get::<(String, String)>()),
            ) else {
                return;
            };
            view.toggle_reaction(&id, &key);
        });
        group.add_action(&toggle);
        self.insert_action_group("room", Some(&group));
    }

    /// Shows the conversation of `timeline` (replacing any other). It may come from
    /// `RoomTimeline::open_cached`: the view asks for the room to be kept up to date once
    /// its first screen is drawn.
    pub fn open(&self, timeline: RoomTimeline) {
        crate::startup_trace::mark("conversation: opening");
        self.close();
        let imp = self.imp();
        let members = timeline.room().joined_members_count();
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
        imp.identity_banner.follow(
            timeline.session().clone(),
            timeline.room().room_id().as_str(),
        );
        imp.sharing_notice.follow(
            timeline.session().clone(),
            timeline.room().room_id().as_str(),
        );

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
    pub fn show_room(&self, session: &Session, room_id: &str, name: &str, encrypted: bool) {
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
    pub fn room_id(&self) -> Option<String> {
        let room_id = self.imp().info.room_id();
        (!room_id.is_empty()).then_some(room_id)
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
    pub fn connect_room_gone(&self, f: impl Fn(&Self, &str) + 'static) -> glib::SignalHandlerId {
        self.connect_local("room-gone", false, move |values| {
            let view = values.first()?.get::<Self>().ok()?;
            let room_id = values.get(1)?.get::<String>().ok()?;
            f(&view, &room_id);
            None
        })
    }

    /// Follows the trust summary of the open encrypted room into the header.
    fn follow_room_trust(&self, session: &Session, room_id: &str, encrypted: bool) {
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
                let Some(view) = weak.upgrade() else {
                    return ControlFlow::Break(());
                };
                if view.room_id().as_deref() != Some(room.as_str()) {
                    return ControlFlow::Break(());
                }
                view.imp().info.set_trust(Some(info::Trust(trust)));
                ControlFlow::Continue(())
            },
        );
        imp.room_trust.replace(Some(follower));
    }

    /// Once the account is no longer in the open room: `room-gone`, and a word on why.
    fn close_room_when_gone(&self, session: &Session, room_id: &str, name: &str) {
        let imp = self.imp();
        if let Some(old) = imp.room_membership.take() {
            old.abort();
        }
        let (session, room, name) = (session.clone(), room_id.to_owned(), name.to_owned());
        let weak = self.downgrade();
        let follower = spawn_ui(async move {
            let watched = room.clone();
            let gone = spawn_tokio(async move {
                crate::engine::rooms::wait_until_gone(&session, &watched).await
            })
            .await;
            let (Some(view), Ok(gone)) = (weak.upgrade(), gone) else {
                return;
            };
            if view.room_id().as_deref() != Some(room.as_str()) {
                return;
            }
            // This task ends here: nothing to abort when the room closes.
            drop(view.imp().room_membership.take());
            view.emit_by_name::<()>("room-gone", &[&room]);
            let text = match gone {
                crate::engine::rooms::Gone::Left => {
                    gettext_f("You are no longer in “{room}”.", &[("room", &name)])
                }
                crate::engine::rooms::Gone::Banned => {
                    gettext_f("You were banned from “{room}”.", &[("room", &name)])
                }
            };
            view.toast(&text);
        });
        imp.room_membership.replace(Some(follower));
    }

    /// The open room's timeline.
    pub fn timeline(&self) -> Option<RoomTimeline> {
        self.imp().timeline.borrow().clone()
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

    /// How the entry at `position` shows within its run of changes to the room.
    fn state_show(&self, position: u32, entry: &Entry, previous: Option<&Entry>) -> row::StateShow {
        if !row::is_state(entry) {
            return row::StateShow::Plain;
        }
        let start = self.run_start(position);
        let Some(head) = self.entry_at(start) else {
            return row::StateShow::Plain;
        };
        let length = self.run_length(start);
        if length < FOLD_FROM {
            return row::StateShow::Plain;
        }
        let unfolded = self.imp().unfolded.borrow().contains(&head.unique_id);
        match (previous.is_some_and(row::is_state), unfolded) {
            (false, false) => row::StateShow::FoldedHead { more: length - 1 },
            (false, true) => row::StateShow::UnfoldedHead,
            (true, false) => row::StateShow::Hidden,
            (true, true) => row::StateShow::Plain,
        }
    }

    /// The position of the first change of the run that `position` is in.
    fn run_start(&self, position: u32) -> u32 {
        let mut start = position;
        while start > 0 && self.entry_at(start - 1).is_some_and(|e| row::is_state(&e)) {
            start -= 1;
        }
        start
    }

    /// How many changes to the room follow each other from `start` on.
    fn run_length(&self, start: u32) -> usize {
        let mut end = start;
        while self.entry_at(end).is_some_and(|e| row::is_state(&e)) {
            end += 1;
        }
        (end - start) as usize
    }

    /// Rebinds the rows whose look depends on the changed ones: the next row (grouping
    /// under a sender) and every row of a run of changes to the room (folding).
    fn refresh_neighbours(&self, store: &gio::ListStore, touched: &[u32]) {
        let mut done = std::collections::HashSet::new();
        for &position in touched {
            if done.insert(position + 1) {
                diff_store::refresh(store, position + 1);
            }
            // The read marker shows only with something after it.
            if let Some(before) = position.checked_sub(1)
                && self
                    .entry_at(before)
                    .is_some_and(|e| matches!(e.kind, EntryKind::ReadMarker))
                && done.insert(before)
            {
                diff_store::refresh(store, before);
            }
            let around = position.saturating_sub(1);
            if self.entry_at(around).is_some_and(|e| row::is_state(&e))
                || self.entry_at(position).is_some_and(|e| row::is_state(&e))
            {
                let anchor = if self.entry_at(around).is_some_and(|e| row::is_state(&e)) {
                    around
                } else {
                    position
                };
                let start = self.run_start(anchor);
                let length = u32::try_from(self.run_length(start)).unwrap_or(0);
                for p in start..start + length {
                    if p != position && done.insert(p) {
                        diff_store::refresh(store, p);
                    }
                }
            }
        }
    }

    fn toggle_fold(&self, unique_id: &str) {
        {
            let mut unfolded = self.imp().unfolded.borrow_mut();
            if !unfolded.remove(unique_id) {
                unfolded.insert(unique_id.to_owned());
            }
        }
        let Some(store) = self.store() else {
            return;
        };
        let head = (0..store.n_items())
            .find(|&p| self.entry_at(p).is_some_and(|e| e.unique_id == unique_id));
        if let Some(head) = head {
            let length = u32::try_from(self.run_length(head)).unwrap_or(0);
            for p in head..head + length {
                diff_store::refresh(&store, p);
            }
        }
    }

    fn entry_at(&self, position: u32) -> Option<Entry> {
        let store = self.imp().store.borrow();
        let item = store.as_ref()?.item(position)?;
        diff_store::value_of::<Entry>(&item)
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

    /// Scrolls so that the latest row shows at the bottom: the list view anchors it there
    /// and keeps it there as rows change height. It needs the rows laid out first (before,
    /// their heights are unknown and nothing moves), hence `laid_out`; setting the scroll
    /// position instead would use a range the list view may not follow.
    fn show_latest_row(&self) {
        let imp = self.imp();
        let count = imp.store.borrow().as_ref().map_or(0, |s| s.n_items());
        if let Some(last) = count.checked_sub(1) {
            // The action exists on every list view; it cannot fail here.
            let _ = imp
                .list
                .activate_action("list.scroll-to-item", Some(&last.to_variant()));
        }
    }

    fn scrolled(&self, adjustment: &gtk::Adjustment) {
        let imp = self.imp();
        let extent = (adjustment.upper(), adjustment.page_size());
        if imp.extent.replace(extent) != extent {
            // Rows were laid out (their heights are estimated until then), or the window
            // changed size: not the person scrolling. At the bottom stays at the bottom.
            self.pin_after_layout();
            return;
        }
        let bottom = adjustment.upper() - adjustment.page_size();
        let at_bottom = adjustment.value() >= bottom - 24.0;
        imp.stick_to_bottom.set(at_bottom);
        imp.jump.set_visible(!at_bottom);
        if at_bottom {
            self.maybe_mark_read();
        }
        if imp.first_screen_drawn.get() && self.near_top() {
            self.maybe_load_older();
        }
    }

    /// At the bottom stays at the bottom: once the rows are laid out (a new row's height
    /// is not known before), the latest is brought to the bottom in the same frame.
    fn pin_after_layout(&self) {
        let imp = self.imp();
        if imp.stick_to_bottom.get() {
            imp.pin_after_layout.set(true);
        }
    }

    /// The window was laid out. Scrolling from here, the list view lays itself out again
    /// before the frame is drawn; from within its own layout, it would not follow at all.
    fn laid_out(&self) {
        let imp = self.imp();
        if !imp.pin_after_layout.replace(false) || !imp.stick_to_bottom.get() {
            return;
        }
        let adjustment = imp.scroller.vadjustment();
        if adjustment.value() < adjustment.upper() - adjustment.page_size() - 1.0 {
            self.show_latest_row();
        }
    }

    fn scroll_to_latest(&self) {
        let imp = self.imp();
        imp.stick_to_bottom.set(true);
        self.show_latest_row();
        self.pin_after_layout();
        imp.jump.set_visible(false);
    }

    /// Shows older events when the top is near, a page at a time: first those in memory
    /// that the view holds back, then more from the store or the server. Asked from
    /// within scrolls and model changes, it does its work a little later, one at a time.
    fn maybe_load_older(&self) {
        let imp = self.imp();
        if imp.loading_older.get() {
            return;
        }
        imp.loading_older.set(true);
        let view = self.downgrade();
        glib::idle_add_local_once(move || {
            if let Some(view) = view.upgrade() {
                view.load_older_now();
            }
        });
    }

    fn load_older_now(&self) {
        let imp = self.imp();
        let entries = imp.entries.borrow().clone();
        let revealed = entries.map_or(Touched::Nothing, |e| e.borrow_mut().reveal(REVEAL));
        if revealed != Touched::Nothing {
            if let (Touched::At(position), Some(store)) = (revealed, self.store()) {
                self.refresh_neighbours(&store, &[position]);
            }
            imp.loading_older.set(false);
            self.keep_loading_if_near_top();
            return;
        }
        let timeline = self.timeline().filter(|_| !imp.reached_start.get());
        let Some(timeline) = timeline else {
            imp.loading_older.set(false);
            return;
        };
        let view = self.downgrade();
        spawn_ui(async move {
            let result = spawn_tokio(async move { timeline.load_older(PAGE).await }).await;
            let Some(view) = view.upgrade() else {
                return;
            };
            let imp = view.imp();
            imp.loading_older.set(false);
            match result {
                Ok(reached) => {
                    imp.reached_start.set(reached);
                    view.keep_loading_if_near_top();
                }
                Err(err) => {
                    tracing::warn!("loading older messages failed: {err}");
                }
            }
        });
    }

    /// Less than a screen of messages above what is shown.
    fn near_top(&self) -> bool {
        let adjustment = self.imp().scroller.vadjustment();
        adjustment.value() < adjustment.page_size()
    }

    /// How many of the timeline's items wait, held back, above those in the view.
    fn hidden(&self) -> usize {
        let entries = self.imp().entries.borrow();
        entries.as_ref().map_or(0, |e| e.borrow().hidden())
    }

    /// Older items that arrived held back (a pagination's answer can come after the
    /// pagination said it was done) show at once when the top is on screen: nothing else
    /// would show them in a room whose messages do not fill the screen.
    fn reveal_if_near_top(&self) {
        if self.imp().first_screen_drawn.get() && self.hidden() > 0 && self.near_top() {
            self.maybe_load_older();
        }
    }

    /// Still near the top (a short page, or a tall window): goes on a little later.
    fn keep_loading_if_near_top(&self) {
        let more = self.hidden() > 0 || !self.imp().reached_start.get();
        if more && self.near_top() {
            let view = self.downgrade();
            glib::timeout_add_local_once(Duration::from_millis(100), move || {
                if let Some(view) = view.upgrade() {
                    view.maybe_load_older();
                }
            });
        }
    }

    /// Sends a read receipt when the latest event is on screen and the window has focus.
    fn maybe_mark_read(&self) {
        let imp = self.imp();
        if !imp.stick_to_bottom.get() || imp.read_pending.get() {
            return;
        }
        let focused = self
            .root()
            .and_downcast::<gtk::Window>()
            .is_some_and(|w| w.is_active());
        if !focused || !self.is_mapped() {
            return;
        }
        let Some(timeline) = self.timeline() else {
            return;
        };
        imp.read_pending.set(true);
        let private = settings().boolean("private-read-receipts");
        let view = self.downgrade();
        spawn_ui(async move {
            let result = spawn_tokio(async move { timeline.mark_read(private).await }).await;
            if let Err(err) = result {
                tracing::debug!("no read receipt sent: {err}");
            }
            if let Some(view) = view.upgrade() {
                view.imp().read_pending.set(false);
            }
        });
    }

    /// To be called when the window gains focus.
    pub fn window_focused(&self) {
        self.maybe_mark_read();
    }

    fn send(&self, outgoing: Outgoing, mode: Mode) {
        let Some(timeline) = self.timeline() else {
            return;
        };
        self.stop_typing();
        if let Some(source) = self.imp().draft_timer.take() {
            source.remove();
        }
        self.scroll_to_latest();
        let view = self.downgrade();
        spawn_ui(async move {
            let result = spawn_tokio(async move {
                let sent = match &mode {
                    Mode::New => timeline.send(&outgoing).await,
                    Mode::Reply { event_id } => timeline.reply(&outgoing, event_id).await,
                    Mode::Edit { id } => timeline.edit(id, &outgoing).await,
                };
                let _ = timeline.clear_draft().await;
                sent
            })
            .await;
            let Some(view) = view.upgrade() else {
                return;
            };
            if let Err(err) = result {
                view.toast(&describe(&err));
            }
            view.imp().sharing_notice.refresh();
        });
    }

    fn text_changed(&self, composer: &Composer) {
        let imp = self.imp();
        // Drafts: saved a second after the last change, in the encrypted store only.
        if matches!(composer.mode(), Mode::Edit { .. }) {
            return;
        }
        if let Some(source) = imp.draft_timer.take() {
            source.remove();
        }
        let view = self.downgrade();
        let source = glib::timeout_add_local_once(Duration::from_secs(1), move || {
            if let Some(view) = view.upgrade() {
                view.imp().draft_timer.replace(None);
                view.flush_draft();
            }
        });
        imp.draft_timer.replace(Some(source));

        if composer.text().is_empty() {
            self.stop_typing();
        } else {
            self.typing_activity();
        }
    }

    fn flush_draft(&self) {
        let imp = self.imp();
        if let Some(source) = imp.draft_timer.take() {
            source.remove();
        }
        let Some(timeline) = self.timeline() else {
            return;
        };
        if matches!(imp.composer.mode(), Mode::Edit { .. }) {
            return;
        }
        let text = imp.composer.text();
        crate::ui::bridge::runtime().spawn(async move {
            if let Err(err) = timeline.save_draft(&text).await {
                tracing::warn!("the draft could not be saved: {err}");
            }
        });
    }

    fn typing_activity(&self) {
        let imp = self.imp();
        if !settings().boolean("send-typing-notices") {
            return;
        }
        let renew = imp
            .typing_sent_at
            .get()
            .is_none_or(|t| t.elapsed() >= TYPING_RENEW);
        if renew {
            imp.typing_sent_at.set(Some(std::time::Instant::now()));
            self.send_typing(true);
        }
        if let Some(source) = imp.typing_timer.take() {
            source.remove();
        }
        let view = self.downgrade();
        let source = glib::timeout_add_local_once(TYPING_IDLE, move || {
            if let Some(view) = view.upgrade() {
                view.imp().typing_timer.replace(None);
                view.stop_typing();
            }
        });
        imp.typing_timer.replace(Some(source));
    }

    fn stop_typing(&self) {
        let imp = self.imp();
        if let Some(source) = imp.typing_timer.take() {
            source.remove();
        }
        if imp.typing_sent_at.take().is_some() {
            self.send_typing(false);
        }
    }

    fn send_typing(&self, typing: bool) {
        if let Some(timeline) = self.timeline() {
            crate::ui::bridge::runtime().spawn(async move {
                if let Err(err) = timeline.set_typing(typing).await {
                    tracing::debug!("typing notice not sent: {err}");
                }
            });
        }
    }

    fn show_typing(&self, names: &[String]) {
        let label = &self.imp().typing;
        let text = match names {
            [] => String::new(),
            [one] => gettext_f("{name} is typing…", &[("name", one)]),
            [one, two] => gettext_f(
                "{first} and {second} are typing…",
                &[("first", one), ("second", two)],
            ),
            many => {
                let n = u32::try_from(many.len()).unwrap_or(u32::MAX);
                ngettext("{count} person is typing…", "{count} people are typing…", n)
                    .replace("{count}", &many.len().to_string())
            }
        };
        label.set_text(&text);
        label.set_visible(!text.is_empty());
    }

    /// Opens the picture of the event `unique_id` in the viewer, with the room's other
    /// pictures (those loaded in the view) a swipe away.
    pub fn view_picture(&self, unique_id: &str) -> Option<viewer::PictureViewer> {
        let store = self.store()?;
        let session = self.timeline()?.session().clone();
        let window = self.root().and_downcast::<gtk::Window>()?;
        let pictures = self.imp().pictures.borrow().clone();
        let mut shown = Vec::new();
        let mut index = None;
        for i in 0..store.n_items() {
            let Some(entry) = store
                .item(i)
                .and_then(|item| diff_store::value_of::<Entry>(&item))
            else {
                continue;
            };
            let EntryKind::Event(event) = entry.kind else {
                continue;
            };
            let crate::engine::timeline::Body::Attachment(
                crate::engine::timeline::Attachment::Image(media),
            ) = &event.body
            else {
                continue;
            };
            if entry.unique_id == unique_id {
                index = Some(shown.len());
            }
            let preview = pictures
                .as_ref()
                .and_then(|p| p.result(media))
                .and_then(Result::ok);
            shown.push(viewer::ViewedPicture {
                sender: event.sender_name.clone(),
                media: (**media).clone(),
                preview,
            });
        }
        Some(viewer::PictureViewer::open(&window, session, shown, index?))
    }

    /// Asks where to save the file of the event `unique_id`, then saves it there (as its
    /// sender sent it, decrypted) and says so.
    fn save_attachment(&self, unique_id: &str) {
        let (Some(event), Some(timeline)) = (self.event(unique_id), self.timeline()) else {
            return;
        };
        let Some(media) = event.media().cloned() else {
            return;
        };
        let Some(window) = self.root().and_downcast::<gtk::Window>() else {
            return;
        };
        let view = self.downgrade();
        save::ask_and_save(
            &window,
            &gettext("Save File"),
            &gettext("file"),
            timeline.session().clone(),
            media,
            move |sentence| {
                if let Some(view) = view.upgrade() {
                    view.toast(sentence);
                }
            },
        );
    }

    fn start_reply(&self, unique_id: &str) {
        if let Some(event) = self.event(unique_id)
            && let Some(event_id) = event.event_id.clone()
        {
            let text = event
                .copy_text()
                .map_or_else(|| gettext("A message"), str::to_owned);
            self.imp()
                .composer
                .set_reply(event_id, &event.sender_name, &text);
        }
    }

    fn start_edit(&self, unique_id: &str) {
        if let Some(event) = self.event(unique_id)
            && event.can_edit
        {
            let text = event.copy_text().unwrap_or_default().to_owned();
            self.imp().composer.set_edit(event.id.clone(), &text);
        }
    }

    fn copy_text(&self, unique_id: &str) {
        if let Some(text) = self
            .event(unique_id)
            .and_then(|e| e.copy_text().map(str::to_owned))
        {
            self.clipboard().set_text(&text);
            self.toast(&gettext("Copied"));
        }
    }

    fn confirm_remove(&self, unique_id: &str) {
        let Some(event) = self.event(unique_id) else {
            return;
        };
        let Some(window) = self.root().and_downcast::<gtk::Window>() else {
            return;
        };
        let view = self.downgrade();
        crate::ui::dialogs::confirm_destructive(
            &window,
            &gettext("Remove Message?"),
            &gettext("The message is removed for everyone in the room. This cannot be undone."),
            &gettext("_Remove"),
            move || {
                let Some(timeline) = view.upgrade().and_then(|v| v.timeline()) else {
                    return;
                };
                let id = event.id.clone();
                let weak = view.clone();
                spawn_ui(async move {
                    let result = spawn_tokio(async move { timeline.remove(&id, None).await }).await;
                    if let (Err(err), Some(view)) = (result, weak.upgrade()) {
                        view.toast(&describe(&err));
                    }
                });
            },
        );
    }

    fn toggle_reaction(&self, unique_id: &str, key: &str) {
        let (Some(event), Some(timeline)) = (self.event(unique_id), self.timeline()) else {
            return;
        };
        let key = key.to_owned();
        let view = self.downgrade();
        spawn_ui(async move {
            let result =
                spawn_tokio(async move { timeline.toggle_reaction(&event.id, &key).await }).await;
            if let (Err(err), Some(view)) = (result, view.upgrade()) {
                view.toast(&describe(&err));
            }
        });
    }

    fn retry(&self, unique_id: &str) {
        self.on_local_echo(unique_id, false);
    }

    fn discard(&self, unique_id: &str) {
        self.on_local_echo(unique_id, true);
    }

    fn on_local_echo(&self, unique_id: &str, discard: bool) {
        let (Some(event), Some(timeline)) = (self.event(unique_id), self.timeline()) else {
            return;
        };
        let view = self.downgrade();
        spawn_ui(async move {
            let result = spawn_tokio(async move {
                if discard {
                    timeline.discard(&event.id).await
                } else {
                    timeline.retry(&event.id).await
                }
            })
            .await;
            if let (Err(err), Some(view)) = (result, view.upgrade()) {
                view.toast(&describe(&err));
            }
        });
    }

    fn add_row_gestures(&self, row: &MessageRow) {
        let click = gtk::GestureClick::new();
        click.set_button(gtk::gdk::BUTTON_SECONDARY);
        let weak = row.downgrade();
        click.connect_pressed(move |gesture, _, x, y| {
            if let Some(row) = weak.upgrade() {
                gesture.set_state(gtk::EventSequenceState::Claimed);
                let _ = menu::open(&row, Some((x, y)));
            }
        });
        row.add_controller(click);
        let press = gtk::GestureLongPress::new();
        press.set_touch_only(true);
        let weak = row.downgrade();
        press.connect_pressed(move |gesture, x, y| {
            if let Some(row) = weak.upgrade() {
                gesture.set_state(gtk::EventSequenceState::Claimed);
                let _ = menu::open(&row, Some((x, y)));
            }
        });
        row.add_controller(press);
    }

    /// Opens the actions menu of the row showing `unique_id` (keyboard users and tests).
    pub fn open_menu(&self, unique_id: &str) -> Option<gtk::Popover> {
        let mut child = self.imp().list.first_child();
        while let Some(widget) = child {
            if let Some(row) = widget
                .first_child()
                .and_downcast::<MessageRow>()
                .filter(|r| r.unique_id() == unique_id)
            {
                return menu::open(&row, None);
            }
            child = widget.next_sibling();
        }
        None
    }

    /// Asks for a picture or file to send (through the portal when there is one).
    pub fn choose_attachment(&self) {
        let Some(parent) = self.root().and_downcast::<gtk::Window>() else {
            return;
        };
        let chooser = gtk::FileChooserNative::new(
            Some(&gettext("Attach a Picture or File")),
            Some(&parent),
            gtk::FileChooserAction::Open,
            Some(&gettext("_Attach")),
            Some(&gettext("_Cancel")),
        );
        chooser.set_modal(true);
        let pictures = gtk::FileFilter::new();
        pictures.set_name(Some(&gettext("Pictures")));
        pictures.add_mime_type("image/*");
        let all = gtk::FileFilter::new();
        all.set_name(Some(&gettext("All Files")));
        all.add_pattern("*");
        chooser.add_filter(&pictures);
        chooser.add_filter(&all);
        chooser.set_filter(&pictures);
        // The chooser must live until it answers: the closure keeps it, and lets it go then.
        let keep = RefCell::new(Some(chooser.clone()));
        let view = self.downgrade();
        chooser.connect_response(move |chooser, response| {
            let file = (response == gtk::ResponseType::Accept)
                .then(|| chooser.file())
                .flatten();
            keep.borrow_mut().take();
            if let (Some(view), Some(file)) = (view.upgrade(), file) {
                view.attach_file(file);
            }
        });
        chooser.show();
    }

    /// Opens the send preview for `file`.
    pub fn attach_file(&self, file: gio::File) -> Option<attach::Preview> {
        self.open_preview(attach::Source::File(file))
    }

    /// Opens the send preview for a picture pasted from the clipboard.
    pub fn attach_pasted(&self, texture: &gtk::gdk::Texture) -> Option<attach::Preview> {
        // A fresh PNG that GTK writes: nothing of the original file comes along.
        let png = texture.save_to_png_bytes();
        self.open_preview(attach::Source::Pasted(png.to_vec()))
    }

    fn open_preview(&self, source: attach::Source) -> Option<attach::Preview> {
        let timeline = self.timeline()?;
        let parent = self.root().and_downcast::<gtk::Window>()?;
        Some(attach::Preview::open(&parent, timeline, source))
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
