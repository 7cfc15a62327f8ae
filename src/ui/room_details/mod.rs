//! The room details window: name, topic, address and encryption; the members with their
//! roles; invite, rename, remove, ban and leave for those with the power to. Its groups
//! are the template `room-details.ui`; the rows that depend on the room are made here.

mod imp;
mod member_page;
mod members;

use std::cell::RefCell;
use std::ops::ControlFlow;
use std::rc::Rc;
use std::sync::Arc;

use crate::engine::EngineError;
use crate::engine::avatars::{self, Avatar};
use crate::engine::ids::OwnedRoomId;
use crate::engine::media::autoload::{RoomKind, SenderTrust};
use crate::engine::push_rules::{self, RoomMode};
use crate::engine::rooms::{self, Member, RoomDetails};
use crate::engine::session::Session;
use crate::engine::trust::verification::Verifications;
use crate::i18n::{gettext, gettext_f, ngettext};
use crate::ui::bridge::{run_for, run_or_toast};
use crate::ui::error_text::describe;
use crate::ui::file_choosers::choose_picture;
use crate::ui::widgets::Toasts;
use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::glib;

glib::wrapper! {
    /// The room details window; what it shows is a `View`'s.
    pub struct RoomDetailsWindow(ObjectSubclass<imp::RoomDetailsWindow>)
        @extends adw::PreferencesWindow, adw::Window, gtk::Window, gtk::Widget,
        @implements gtk::Buildable, gtk::ConstraintTarget, gtk::Native,
            gtk::Root, gtk::ShortcutManager;
}

impl Toasts for RoomDetailsWindow {
    fn show_toast(&self, text: &str) {
        self.upcast_ref::<adw::PreferencesWindow>().show_toast(text);
    }
}

/// Opens the details of `room_id` over `parent`. A member's page starts verifications
/// through `verifications` (the window's).
pub fn show_room_details(
    parent: &impl IsA<gtk::Window>,
    session: Session,
    room_id: OwnedRoomId,
    verifications: Option<Arc<Verifications>>,
) -> adw::PreferencesWindow {
    // The template starts with the loading spinner shown.
    let window: RoomDetailsWindow = glib::Object::new();
    window.set_transient_for(Some(parent));
    let view = Rc::new(View {
        window: window.clone(),
        session: session.clone(),
        room_id: room_id.clone(),
        about_rows: RefCell::new(Vec::new()),
        member_rows: RefCell::new(Vec::new()),
        verifications,
        kind: std::cell::Cell::new(RoomKind::Group),
        chooser: RefCell::new(None),
    });
    install_actions(&view);
    view.connect_parts();
    view.reload();
    // The shields follow verifications and identity changes while the window is open.
    let weak = Rc::downgrade(&view);
    let first = std::cell::Cell::new(true);
    let follower = crate::ui::trust::shield::follow_room(session, room_id, move |_| {
        let Some(view) = weak.upgrade() else {
            return ControlFlow::Break(());
        };
        // The first summary is the state the first load already shows.
        if !first.replace(false) {
            view.reload();
        }
        ControlFlow::Continue(())
    });
    let follower = RefCell::new(Some(follower));
    // On unrealize, when the window closes: "destroy" would wait for the last reference,
    // and the view (held below) holds the window.
    window.connect_unrealize(move |_| {
        if let Some(follower) = follower.take() {
            follower.abort();
        }
    });
    // Nothing is focused when the window shows: a focused entry would open the phone's
    // keyboard over the details.
    window.connect_map(|window| {
        let window = window.downgrade();
        gtk::glib::idle_add_local_once(move || {
            if let Some(window) = window.upgrade() {
                // Focusing an entry selected its text; leave none selected either.
                if let Some(text) = gtk::prelude::GtkWindowExt::focus(&window)
                    .and_then(|w| w.downcast::<gtk::Editable>().ok())
                {
                    text.select_region(0, 0);
                }
                gtk::prelude::GtkWindowExt::set_focus(&window, None::<&gtk::Widget>);
            }
        });
    });
    // The window owns the view (everything else holds it weakly) until it closes.
    let owned = RefCell::new(Some(view));
    window.connect_unrealize(move |_| {
        owned.take();
    });
    window.present();
    window.upcast()
}

/// What the window shows, rebuilt from the server after each change.
struct View {
    window: RoomDetailsWindow,
    session: Session,
    room_id: OwnedRoomId,
    /// The rows of the "Room" group and of the members' group, made by the last load.
    about_rows: RefCell<Vec<gtk::Widget>>,
    member_rows: RefCell<Vec<gtk::Widget>>,
    verifications: Option<Arc<Verifications>>,
    /// Direct chat or group, for the rule of which avatars load by themselves.
    kind: std::cell::Cell<RoomKind>,
    /// The file chooser open now, if any.
    chooser: RefCell<Option<gtk::FileChooserNative>>,
}

impl View {
    /// Shows the groups of one part (the spinner, a problem, or the details) alone.
    fn show_part(&self, part: Part) {
        let w = self.window.imp();
        w.loading_group.set_visible(part == Part::Loading);
        w.problem_group.set_visible(part == Part::Problem);
        for group in [
            &w.picture_group,
            &w.about_group,
            &w.notifications_group,
            &w.members_group,
            &w.leave_group,
        ] {
            group.set_visible(part == Part::Details);
        }
    }

    fn show_problem(&self, err: &EngineError) {
        self.window
            .imp()
            .problem_page
            .set_description(Some(gtk::glib::markup_escape_text(&describe(err)).as_str()));
        self.show_part(Part::Problem);
    }

    /// Reads the details and members again and shows them.
    fn reload(self: &Rc<Self>) {
        let session = self.session.clone();
        let room_id = self.room_id.clone();
        let loading = async move {
            let details = rooms::details(&session, &room_id).await?;
            let members = rooms::members(&session, &room_id).await?;
            Ok::<_, EngineError>((details, members))
        };
        run_for(self, loading, |view, loaded| match loaded {
            Ok((details, members)) => view.show(&details, &members),
            Err(err) => view.show_problem(&err),
        });
    }

    /// Opens the page of `member`.
    fn open_member(self: &Rc<Self>, member: &Member) {
        let own = self.session.user_id() == member.user_id;
        member_page::show_member(
            &self.window,
            self.session.clone(),
            member,
            own,
            self.kind.get(),
            self.verifications.clone(),
        );
    }

    /// Shows `member`'s picture on `widget` when it may load by itself.
    fn show_member_avatar(&self, widget: &adw::Avatar, member: &Member) {
        let avatar = member.avatar_url.clone().map(|url| Avatar {
            url,
            trust: SenderTrust {
                own: member.user_id == self.session.user_id(),
                verified: member.verified,
            },
        });
        crate::ui::avatars::show(
            widget,
            &self.session.avatars(),
            avatar.as_ref(),
            self.kind.get(),
        );
    }

    fn show(self: &Rc<Self>, details: &RoomDetails, members: &[Member]) {
        self.window.set_title(Some(&details.display_name));
        self.kind.set(if details.is_direct {
            RoomKind::Direct
        } else {
            RoomKind::Group
        });
        let w = self.window.imp();
        self.show_picture(details);
        replace_rows(
            &w.about_group,
            &self.about_rows,
            self.about_rows_of(details),
        );
        self.show_notifications();
        self.show_members(details, members);
        self.show_part(Part::Details);
        // Nothing is focused at first: a focused entry would open the phone's keyboard.
        gtk::prelude::GtkWindowExt::set_focus(&self.window, None::<&gtk::Widget>);
    }

    /// Connects the rows and buttons of the template that are always there.
    fn connect_parts(self: &Rc<Self>) {
        let w = self.window.imp();
        let view = Rc::downgrade(self);
        w.notifications_row.connect_selected_notify(move |row| {
            let (Some(view), Some(mode)) = (view.upgrade(), MODES.get(row.selected() as usize))
            else {
                return;
            };
            let (session, room_id, mode) = (view.session.clone(), view.room_id.clone(), *mode);
            if push_rules::cached_room_mode(&session, &room_id) == mode {
                return;
            }
            let setting = async move { push_rules::set_room_mode(&session, &room_id, mode).await };
            run_for(&view, setting, move |view, result| {
                if let Err(err) = result {
                    view.window.show_toast(&describe(&err));
                    // Back to what the server has.
                    view.show_notifications();
                }
            });
        });
        let view = Rc::downgrade(self);
        w.leave_button.connect_clicked(move |_| {
            if let Some(view) = view.upgrade() {
                view.confirm_leave();
            }
        });
    }

    /// How much the room notifies, stored as the account's push rules: the mode the
    /// account has now. (Choosing the mode shown is no change: see `connect_parts`.)
    fn show_notifications(&self) {
        let current = push_rules::cached_room_mode(&self.session, &self.room_id);
        let index = MODES.iter().position(|m| *m == current).unwrap_or_default();
        self.window
            .imp()
            .notifications_row
            .set_selected(index as u32);
    }

    /// The room's picture, and for those allowed, buttons to change or remove it.
    fn show_picture(&self, details: &RoomDetails) {
        let top = &*self.window.imp().picture_box;
        crate::ui::widgets::remove_children(top, |top, child| top.remove(child));
        let editable = crate::ui::avatars::EditableAvatar::new(
            96,
            &details.display_name,
            "details.change-avatar",
            "details.remove-avatar",
        );
        let avatar = &editable.avatar;
        avatar.set_widget_name("room-avatar");
        crate::ui::avatars::load_on_tap(avatar);
        crate::ui::avatars::show(
            avatar,
            &self.session.avatars(),
            details.avatar.as_ref(),
            self.kind.get(),
        );
        if details.can_set_avatar {
            editable.set_removable(details.avatar.is_some());
            top.append(&editable.widget);
        } else {
            // Nothing to change: the avatar alone.
            editable.widget.set_child(None::<&gtk::Widget>);
            avatar.set_halign(gtk::Align::Center);
            top.append(avatar);
        }
    }

    /// Asks for a picture, then makes it the room's.
    fn change_avatar(self: &Rc<Self>) {
        let view = Rc::downgrade(self);
        let chooser = choose_picture(&self.window, move |path| {
            if let Some(view) = view.upgrade() {
                view.set_avatar_from(path);
            }
        });
        self.chooser.replace(Some(chooser));
    }

    /// Makes the picture in the file at `path` the room's, without its metadata.
    fn set_avatar_from(self: &Rc<Self>, path: std::path::PathBuf) {
        let (session, room_id) = (self.session.clone(), self.room_id.clone());
        self.act(async move {
            let bytes = std::fs::read(&path).map_err(|err| EngineError::io(path, err))?;
            avatars::set_room_avatar(&session, &room_id, bytes).await
        });
    }

    fn remove_avatar(self: &Rc<Self>) {
        let (session, room_id) = (self.session.clone(), self.room_id.clone());
        self.act(async move { avatars::remove_room_avatar(&session, &room_id).await });
    }

    /// The rows of the "Room" group.
    fn about_rows_of(self: &Rc<Self>, details: &RoomDetails) -> Vec<gtk::Widget> {
        let mut rows: Vec<gtk::Widget> = Vec::new();
        let name = details.name.clone().unwrap_or_default();
        let topic = details.topic.clone().unwrap_or_default();
        if details.can_set_name {
            rows.push(
                self.editable_row(&gettext("Name"), &name, Change::Name)
                    .upcast(),
            );
        } else {
            rows.push(info_row(&gettext("Name"), &details.display_name).upcast());
        }
        if details.can_set_topic {
            rows.push(
                self.editable_row(&gettext("Topic"), &topic, Change::Topic)
                    .upcast(),
            );
        } else if !topic.is_empty() {
            rows.push(info_row(&gettext("Topic"), &topic).upcast());
        }
        let address = details
            .canonical_alias
            .clone()
            .unwrap_or_else(|| gettext("No address"));
        rows.push(info_row(&gettext("Address"), &address).upcast());
        rows.push(info_row(&gettext("Room ID"), details.room_id.as_str()).upcast());
        let (icon, title, subtitle) = if details.is_encrypted {
            (
                "channel-secure-symbolic",
                gettext("End-to-end encrypted"),
                gettext("Only the people in the room can read its messages."),
            )
        } else {
            (
                "channel-insecure-symbolic",
                gettext("Not encrypted"),
                gettext("The homeserver can read the messages in this room."),
            )
        };
        let encryption = info_row(&title, &subtitle);
        encryption.add_prefix(&gtk::Image::from_icon_name(icon));
        rows.push(encryption.upcast());
        rows
    }

    fn editable_row(self: &Rc<Self>, title: &str, value: &str, change: Change) -> adw::EntryRow {
        let row = adw::EntryRow::builder()
            .use_markup(false)
            .title(title)
            .text(value)
            .show_apply_button(true)
            .build();
        crate::ui::widgets::set_accessible_label(&row, title);
        let view = Rc::downgrade(self);
        row.connect_apply(move |row| {
            let Some(view) = view.upgrade() else {
                return;
            };
            let text = row.text().to_string();
            let (session, room_id) = (view.session.clone(), view.room_id.clone());
            view.act(async move {
                match change {
                    Change::Name => rooms::set_name(&session, &room_id, &text).await,
                    Change::Topic => rooms::set_topic(&session, &room_id, &text).await,
                }
            });
        });
        row
    }

    /// The members' group: its title with the counts, the invite row, the members.
    fn show_members(self: &Rc<Self>, details: &RoomDetails, members: &[Member]) {
        let count = details.joined_count as u32;
        let mut title = gettext_f(
            &ngettext("{count} Member", "{count} Members", count),
            &[("count", &count.to_string())],
        );
        if details.invited_count > 0 {
            let invited = details.invited_count as u32;
            title = gettext_f(
                &ngettext(
                    "{members}, {count} Invited",
                    "{members}, {count} Invited",
                    invited,
                ),
                &[("members", &title), ("count", &invited.to_string())],
            );
        }
        let group = &self.window.imp().members_group;
        group.set_title(&title);
        let mut rows: Vec<gtk::Widget> = Vec::new();
        if details.can_invite {
            rows.push(self.invite_row().upcast());
        }
        for member in members {
            rows.push(members::row(self, member).upcast());
        }
        replace_rows(group, &self.member_rows, rows);
    }

    fn invite_row(self: &Rc<Self>) -> adw::EntryRow {
        let title = gettext("Invite by Matrix ID");
        let row = adw::EntryRow::builder()
            .use_markup(false)
            .title(title.as_str())
            .show_apply_button(true)
            .build();
        crate::ui::widgets::set_accessible_label(&row, &title);
        let view = Rc::downgrade(self);
        let invite = move |row: &adw::EntryRow| {
            let Some(view) = view.upgrade() else {
                return;
            };
            let user_id = row.text().trim().to_owned();
            let (session, room_id) = (view.session.clone(), view.room_id.clone());
            view.act(async move {
                let user_id = rooms::parse_user_id(&user_id)?;
                rooms::invite(&session, &room_id, &user_id).await
            });
        };
        row.connect_apply(invite.clone());
        row.connect_entry_activated(invite);
        row
    }

    fn confirm_leave(self: &Rc<Self>) {
        let view = Rc::downgrade(self);
        crate::ui::dialogs::confirm_destructive(
            &self.window,
            &gettext("Leave Room?"),
            &gettext(
                "You will no longer receive its messages. To come back, you may need a new invitation.",
            ),
            &gettext("_Leave"),
            move || {
                let Some(view) = view.upgrade() else {
                    return;
                };
                let (session, room_id) = (view.session.clone(), view.room_id.clone());
                run_or_toast(
                    &view.window,
                    async move { rooms::leave(&session, &room_id).await },
                    |window, ()| window.close(),
                );
            },
        );
    }

    /// Runs a change on the engine; then shows the room anew, or says what went wrong.
    fn act(
        self: &Rc<Self>,
        work: impl std::future::Future<Output = Result<(), EngineError>> + Send + 'static,
    ) {
        self.window.imp().page.set_sensitive(false);
        run_for(self, work, |view, result| {
            view.window.imp().page.set_sensitive(true);
            match result {
                Ok(()) => view.reload(),
                Err(err) => view.window.show_toast(&describe(&err)),
            }
        });
    }
}

/// An action of the window and what it runs.
type ViewAction = (&'static str, fn(&Rc<View>));

/// The window's actions (group `details`): change or remove the room's picture, and make
/// the picture in a file (the action's target, a path) the room's, as the chooser does.
fn install_actions(view: &Rc<View>) {
    let group = gtk::gio::SimpleActionGroup::new();
    let plain: [ViewAction; 2] = [
        ("change-avatar", View::change_avatar),
        ("remove-avatar", View::remove_avatar),
    ];
    for (name, run) in plain {
        let action = gtk::gio::SimpleAction::new(name, None);
        let weak = Rc::downgrade(view);
        action.connect_activate(move |_, _| {
            if let Some(view) = weak.upgrade() {
                run(&view);
            }
        });
        group.add_action(&action);
    }
    let from_file =
        gtk::gio::SimpleAction::new("set-avatar-file", Some(gtk::glib::VariantTy::STRING));
    let weak = Rc::downgrade(view);
    from_file.connect_activate(move |_, target| {
        if let (Some(view), Some(path)) = (weak.upgrade(), target.and_then(|t| t.get::<String>())) {
            view.set_avatar_from(path.into());
        }
    });
    group.add_action(&from_file);
    view.window.insert_action_group("details", Some(&group));
}

/// What the page shows: the spinner of the first load, why a load failed, or the details.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Loading,
    Problem,
    Details,
}

/// The room's notification modes, in the order of the template's list.
const MODES: [Option<RoomMode>; 4] = [
    None,
    Some(RoomMode::AllMessages),
    Some(RoomMode::MentionsAndKeywords),
    Some(RoomMode::Mute),
];

/// Puts `new` in `group` in place of the `rows` the last load added.
fn replace_rows(
    group: &adw::PreferencesGroup,
    rows: &RefCell<Vec<gtk::Widget>>,
    new: Vec<gtk::Widget>,
) {
    for row in rows.borrow_mut().drain(..) {
        group.remove(&row);
    }
    for row in &new {
        group.add(row);
    }
    rows.replace(new);
}

#[derive(Clone, Copy)]
enum Change {
    Name,
    Topic,
}

fn info_row(title: &str, subtitle: &str) -> adw::ActionRow {
    crate::ui::widgets::plain_row(title, subtitle)
}
