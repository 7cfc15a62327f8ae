//! The banner above a room's composer when a member's identity changed, or when someone
//! without cross-signing signed in on a new session: it names them and offers to
//! acknowledge the change (or, for someone verified before, to withdraw the verification),
//! or to confirm the new session. While it shows, the engine refuses to send into the room;
//! the banner's `blocks-sending` property says so, for the composer to follow.
//!
//! Its buttons are the actions `identity-banner.acknowledge` with the user ID as target and
//! `identity-banner.confirm` with (user ID, device ID).

use std::cell::{Cell, RefCell};
use std::ops::ControlFlow;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gio, glib};

use crate::engine::ids::{OwnedRoomId, OwnedUserId, RoomId};
use crate::engine::session::Session;
use crate::engine::trust::identities::{self, IdentityWarning};
use crate::engine::trust::recipients::{self, UnconfirmedSession};
use crate::i18n::{gettext, gettext_f};
use crate::ui::bridge::{forward_stream, run_for, spawn_tokio, spawn_ui};
use crate::ui::error_text::describe;

mod imp {
    use super::*;

    #[derive(Default, glib::Properties)]
    #[properties(wrapper_type = super::IdentityBanner)]
    pub struct IdentityBanner {
        /// True while a changed identity is unacknowledged (the engine refuses to send).
        #[property(get)]
        pub(super) blocks_sending: Cell<bool>,
        pub(super) session: RefCell<Option<Session>>,
        pub(super) room_id: RefCell<Option<OwnedRoomId>>,
        pub(super) warnings: RefCell<Vec<IdentityWarning>>,
        pub(super) sessions: RefCell<Vec<UnconfirmedSession>>,
        pub(super) follower: RefCell<Option<glib::JoinHandle<()>>>,
        pub(super) sessions_follower: RefCell<Option<glib::JoinHandle<()>>>,
        pub(super) states_shown: Cell<u32>,
        pub(super) revealer: gtk::Revealer,
        pub(super) list: gtk::Box,
        pub(super) error: gtk::Label,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for IdentityBanner {
        const NAME: &'static str = "SottoIdentityBanner";
        type Type = super::IdentityBanner;
        type ParentType = adw::Bin;
    }

    #[glib::derived_properties]
    impl ObjectImpl for IdentityBanner {
        fn constructed(&self) {
            self.parent_constructed();
            self.obj().build();
        }

        fn dispose(&self) {
            if let Some(follower) = self.follower.take() {
                follower.abort();
            }
            if let Some(follower) = self.sessions_follower.take() {
                follower.abort();
            }
        }
    }
    impl WidgetImpl for IdentityBanner {}
    impl BinImpl for IdentityBanner {}
}

glib::wrapper! {
    /// A warning banner for the changed identities of a room's members.
    pub struct IdentityBanner(ObjectSubclass<imp::IdentityBanner>)
        @extends adw::Bin, gtk::Widget,
        @implements gtk::Buildable, gtk::ConstraintTarget;
}

impl Default for IdentityBanner {
    fn default() -> Self {
        Self::new()
    }
}

/// What the banner says about one warning.
pub fn warning_text(warning: &IdentityWarning) -> String {
    if warning.was_verified {
        gettext_f(
            "{user}’s identity changed. You had verified them: check with them in person that this is expected before you trust the new identity.",
            &[("user", warning.user_id.as_str())],
        )
    } else {
        gettext_f(
            "{user}’s identity changed. They may have reset their account, or someone may be interfering.",
            &[("user", warning.user_id.as_str())],
        )
    }
}

/// What the banner says about a new session that waits for confirmation.
pub fn session_text(waiting: &UnconfirmedSession) -> String {
    let session = match &waiting.display_name {
        Some(name) if !name.trim().is_empty() => {
            format!("“{}” ({})", name.trim(), waiting.device_id)
        }
        _ => waiting.device_id.to_string(),
    };
    gettext_f(
        "{user} signed in on a new session, {session}. Their app cannot sign it, so Sotto cannot tell whether it is theirs or one the server made. It gets no messages, and sending here waits, until you confirm it with them.",
        &[("user", waiting.user_id.as_str()), ("session", &session)],
    )
}

impl IdentityBanner {
    /// An empty, hidden banner; `follow` gives it a room.
    pub fn new() -> Self {
        glib::Object::new()
    }

    fn build(&self) {
        let imp = self.imp();
        imp.list.set_orientation(gtk::Orientation::Vertical);
        imp.list.set_spacing(6);
        imp.error.set_wrap(true);
        imp.error.set_xalign(0.0);
        imp.error.set_visible(false);
        let column = gtk::Box::new(gtk::Orientation::Vertical, 6);
        column.add_css_class("identity-banner");
        column.append(&imp.list);
        column.append(&imp.error);
        imp.revealer.set_child(Some(&column));
        imp.revealer.set_reveal_child(false);
        self.set_child(Some(&imp.revealer));

        let group = gio::SimpleActionGroup::new();
        let acknowledge = gio::SimpleAction::new("acknowledge", Some(glib::VariantTy::STRING));
        let weak = self.downgrade();
        acknowledge.connect_activate(move |_, target| {
            if let (Some(banner), Some(user_id)) = (
                weak.upgrade(),
                target
                    .and_then(|t| t.get::<String>())
                    .and_then(|id| OwnedUserId::try_from(id).ok()),
            ) {
                banner.acknowledge(user_id);
            }
        });
        group.add_action(&acknowledge);
        let confirm = gio::SimpleAction::new(
            "confirm",
            Some(glib::VariantTy::new("(ss)").expect("a valid variant type")),
        );
        let weak = self.downgrade();
        confirm.connect_activate(move |_, target| {
            if let (Some(banner), Some((user_id, device_id))) = (
                weak.upgrade(),
                target.and_then(|t| t.get::<(String, String)>()),
            ) && let Ok(user_id) = OwnedUserId::try_from(user_id)
            {
                banner.confirm(user_id, device_id);
            }
        });
        group.add_action(&confirm);
        self.insert_action_group("identity-banner", Some(&group));
    }

    /// Follows the room `room_id` of `session` (in place of any room followed before).
    pub fn follow(&self, session: Session, room_id: &RoomId) {
        self.stop();
        let imp = self.imp();
        imp.session.replace(Some(session.clone()));
        imp.room_id.replace(Some(room_id.to_owned()));
        imp.states_shown.set(0);
        let room = room_id.to_owned();
        let weak = self.downgrade();
        let task = spawn_ui(async move {
            let room_for_stream = room.clone();
            let stream = spawn_tokio(async move {
                identities::identity_warnings(&session, &room_for_stream).await
            })
            .await;
            let Some(banner) = weak.upgrade() else {
                return;
            };
            let stream = match stream {
                Ok(stream) => stream,
                Err(err) => {
                    tracing::warn!("cannot follow the identities of the room: {err}");
                    return;
                }
            };
            let weak = banner.downgrade();
            let follower = forward_stream(stream, move |warnings| {
                let Some(banner) = weak.upgrade() else {
                    return ControlFlow::Break(());
                };
                if banner.imp().room_id.borrow().as_deref() != Some(&*room) {
                    return ControlFlow::Break(());
                }
                banner.show(warnings);
                let shown = &banner.imp().states_shown;
                shown.set(shown.get().saturating_add(1));
                ControlFlow::Continue(())
            });
            banner.imp().follower.replace(Some(follower));
        });
        imp.follower.replace(Some(task));
        self.follow_sessions(room_id);
    }

    fn follow_sessions(&self, room_id: &RoomId) {
        let Some(session) = self.imp().session.borrow().clone() else {
            return;
        };
        let room = room_id.to_owned();
        let weak = self.downgrade();
        let task = spawn_ui(async move {
            let asked = room.clone();
            let stream = spawn_tokio(async move {
                identities::unconfirmed_session_updates(&session, &asked).await
            })
            .await;
            let Some(banner) = weak.upgrade() else {
                return;
            };
            let stream = match stream {
                Ok(stream) => stream,
                Err(err) => {
                    tracing::warn!("cannot follow the new sessions of the room: {err}");
                    return;
                }
            };
            let weak = banner.downgrade();
            let follower = forward_stream(stream, move |sessions| {
                let Some(banner) = weak.upgrade() else {
                    return ControlFlow::Break(());
                };
                if banner.imp().room_id.borrow().as_deref() != Some(&*room) {
                    return ControlFlow::Break(());
                }
                banner.imp().sessions.replace(sessions);
                banner.render();
                ControlFlow::Continue(())
            });
            banner.imp().sessions_follower.replace(Some(follower));
        });
        self.imp().sessions_follower.replace(Some(task));
    }

    /// How many states of the followed room the banner has shown: the first comes as soon
    /// as the room's identities are known (with or without a warning), so a test can wait
    /// for it before it checks that nothing is shown.
    pub fn states_shown(&self) -> u32 {
        self.imp().states_shown.get()
    }

    /// Stops following and hides the banner.
    pub fn stop(&self) {
        let imp = self.imp();
        if let Some(follower) = imp.follower.take() {
            follower.abort();
        }
        if let Some(follower) = imp.sessions_follower.take() {
            follower.abort();
        }
        imp.room_id.replace(None);
        imp.sessions.replace(Vec::new());
        self.show(Vec::new());
    }

    /// The warnings shown now.
    pub fn warnings(&self) -> Vec<IdentityWarning> {
        self.imp().warnings.borrow().clone()
    }

    /// The new sessions shown now.
    pub fn unconfirmed_sessions(&self) -> Vec<UnconfirmedSession> {
        self.imp().sessions.borrow().clone()
    }

    /// The banner's text lines, as shown.
    pub fn texts(&self) -> Vec<String> {
        self.warnings()
            .iter()
            .map(warning_text)
            .chain(self.unconfirmed_sessions().iter().map(session_text))
            .collect()
    }

    /// Calls `f` with the new value each time `blocks-sending` changes.
    pub fn connect_blocks_sending_changed(
        &self,
        f: impl Fn(bool) + 'static,
    ) -> glib::SignalHandlerId {
        self.connect_blocks_sending_notify(move |banner| f(banner.blocks_sending()))
    }

    fn show(&self, warnings: Vec<IdentityWarning>) {
        self.imp().warnings.replace(warnings);
        self.render();
    }

    fn render(&self) {
        let imp = self.imp();
        crate::ui::widgets::remove_children(&imp.list, |list, child| list.remove(child));
        let warnings = imp.warnings.borrow().clone();
        let sessions = imp.sessions.borrow().clone();
        for warning in &warnings {
            let row = gtk::Box::new(gtk::Orientation::Vertical, 6);
            let icon_and_text = gtk::Box::new(gtk::Orientation::Horizontal, 12);
            icon_and_text.append(&gtk::Image::from_icon_name("dialog-warning-symbolic"));
            let label = gtk::Label::builder()
                .label(warning_text(warning))
                .wrap(true)
                .wrap_mode(gtk::pango::WrapMode::WordChar)
                .xalign(0.0)
                .hexpand(true)
                .build();
            icon_and_text.append(&label);
            let button_label = if warning.was_verified {
                gettext("_Withdraw Verification")
            } else {
                gettext("_Acknowledge")
            };
            let button = gtk::Button::builder()
                .label(button_label)
                .use_underline(true)
                .action_name("identity-banner.acknowledge")
                .action_target(&warning.user_id.as_str().to_variant())
                .css_classes(["touch-target"])
                .build();
            let buttons = gtk::Box::builder()
                .spacing(6)
                .halign(gtk::Align::End)
                .build();
            if warning.was_verified {
                button.add_css_class("destructive-action");
                // A person verified before can be verified again: the emoji in the
                // direct chat with them, from the window's action.
                buttons.append(
                    &gtk::Button::builder()
                        .label(gettext("_Verify Again"))
                        .use_underline(true)
                        .action_name("win.verify-user")
                        .action_target(&warning.user_id.as_str().to_variant())
                        .css_classes(["touch-target"])
                        .build(),
                );
            }
            buttons.append(&button);
            row.append(&icon_and_text);
            row.append(&buttons);
            imp.list.append(&row);
        }
        for waiting in &sessions {
            let row = gtk::Box::new(gtk::Orientation::Vertical, 6);
            let icon_and_text = gtk::Box::new(gtk::Orientation::Horizontal, 12);
            icon_and_text.append(&gtk::Image::from_icon_name("dialog-warning-symbolic"));
            icon_and_text.append(
                &gtk::Label::builder()
                    .label(session_text(waiting))
                    .wrap(true)
                    .wrap_mode(gtk::pango::WrapMode::WordChar)
                    .xalign(0.0)
                    .hexpand(true)
                    .build(),
            );
            let target = (waiting.user_id.to_string(), waiting.device_id.to_string());
            let buttons = gtk::Box::builder()
                .spacing(6)
                .halign(gtk::Align::End)
                .build();
            buttons.append(
                &gtk::Button::builder()
                    .label(gettext("_Confirm Session"))
                    .use_underline(true)
                    .action_name("identity-banner.confirm")
                    .action_target(&target.to_variant())
                    .css_classes(["touch-target"])
                    .build(),
            );
            row.append(&icon_and_text);
            row.append(&buttons);
            imp.list.append(&row);
        }
        let blocks = !warnings.is_empty() || !sessions.is_empty();
        imp.revealer.set_reveal_child(blocks);
        if !blocks {
            imp.error.set_visible(false);
        }
        if imp.blocks_sending.get() != blocks {
            imp.blocks_sending.set(blocks);
            self.notify_blocks_sending();
        }
    }

    fn confirm(&self, user_id: OwnedUserId, device_id: String) {
        let Some(session) = self.imp().session.borrow().clone() else {
            return;
        };
        run_for(
            self,
            async move { recipients::confirm_session(&session, &user_id, &device_id).await },
            // The stream removes the session from the banner once the engine has it.
            Self::show_failure,
        );
    }

    fn acknowledge(&self, user_id: OwnedUserId) {
        let Some(session) = self.imp().session.borrow().clone() else {
            return;
        };
        run_for(
            self,
            async move { identities::acknowledge_identity(&session, &user_id).await },
            // The stream removes the warning once the engine has it.
            Self::show_failure,
        );
    }

    /// Shows in the banner why a person's decision did not go through.
    fn show_failure(&self, result: crate::engine::Result<()>) {
        if let Err(err) = result {
            self.imp().error.set_label(&describe(&err));
            self.imp().error.set_visible(true);
        }
    }
}
