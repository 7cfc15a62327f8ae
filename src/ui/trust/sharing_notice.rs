//! The notice above a room's composer under "encrypt only for verified devices": whose
//! unverified sessions the messages are not encrypted for, or why nothing can be sent
//! from this session. Hidden when the setting is off or nobody is left out.
//!
//! The SDK withholds keys from those sessions without reporting them; the engine's
//! `sharing_notice` applies the same rule to the room's members.

use std::cell::RefCell;
use std::time::Duration;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::glib;

use crate::engine::ids::{OwnedRoomId, RoomId, UserId};
use crate::engine::session::Session;
use crate::engine::trust::identities::{self, SendingBlocked, SharingNotice};
use crate::i18n::{gettext, gettext_f};
use crate::ui::bridge::run_for;

/// How often the notice looks again while a room is open (devices come and go, and get
/// verified).
const REFRESH: Duration = Duration::from_secs(30);

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct KeySharingNotice {
        pub(super) session: RefCell<Option<Session>>,
        pub(super) room_id: RefCell<Option<OwnedRoomId>>,
        pub(super) timer: RefCell<Option<glib::SourceId>>,
        pub(super) label: gtk::Label,
        pub(super) revealer: gtk::Revealer,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KeySharingNotice {
        const NAME: &'static str = "SottoKeySharingNotice";
        type Type = super::KeySharingNotice;
        type ParentType = adw::Bin;
    }

    impl ObjectImpl for KeySharingNotice {
        fn constructed(&self) {
            self.parent_constructed();
            self.obj().build();
        }

        fn dispose(&self) {
            self.obj().stop();
        }
    }
    impl WidgetImpl for KeySharingNotice {}
    impl BinImpl for KeySharingNotice {}
}

glib::wrapper! {
    /// Says whose sessions a room's messages are withheld from.
    pub struct KeySharingNotice(ObjectSubclass<imp::KeySharingNotice>)
        @extends adw::Bin, gtk::Widget,
        @implements gtk::Buildable, gtk::ConstraintTarget;
}

impl Default for KeySharingNotice {
    fn default() -> Self {
        Self::new()
    }
}

/// What the notice says, or nothing.
pub fn notice_text(notice: &SharingNotice, own_user_id: &UserId) -> Option<String> {
    match notice.blocked {
        Some(SendingBlocked::NoIdentity) => {
            return Some(gettext(
                "Messages cannot be sent: “Encrypt only for verified devices” is on, and your account has no cross-signing identity yet. Set it up in the account settings.",
            ));
        }
        Some(SendingBlocked::ThisSessionUnverified) => {
            return Some(gettext(
                "Messages cannot be sent: “Encrypt only for verified devices” is on, and this session is not verified. Verify it in the account settings.",
            ));
        }
        None => {}
    }
    if notice.left_out.is_empty() {
        return None;
    }
    let own = notice
        .left_out
        .iter()
        .any(|(user, _, _)| user == own_user_id);
    let others: Vec<&str> = notice
        .left_out
        .iter()
        .filter(|(user, _, _)| user != own_user_id)
        .map(|(_, name, _)| name.as_str())
        .collect();
    Some(match (others.is_empty(), own) {
        (true, _) => gettext("Not sent to your unverified sessions."),
        (false, false) => gettext_f(
            "Not sent to unverified sessions of {names}.",
            &[("names", &others.join(", "))],
        ),
        (false, true) => gettext_f(
            "Not sent to unverified sessions of {names}, nor to your own unverified sessions.",
            &[("names", &others.join(", "))],
        ),
    })
}

impl KeySharingNotice {
    /// A hidden notice; `follow` gives it a room.
    pub fn new() -> Self {
        glib::Object::new()
    }

    fn build(&self) {
        let imp = self.imp();
        imp.label.set_wrap(true);
        imp.label.set_xalign(0.0);
        imp.label.set_hexpand(true);
        imp.label.add_css_class("caption");
        let icon = gtk::Image::from_icon_name("security-low-symbolic");
        icon.set_valign(gtk::Align::Start);
        let row = gtk::Box::new(gtk::Orientation::Horizontal, 8);
        row.set_margin_start(14);
        row.set_margin_end(14);
        row.set_margin_top(4);
        row.append(&icon);
        row.append(&imp.label);
        row.add_css_class("dim-label");
        imp.revealer.set_child(Some(&row));
        imp.revealer.set_reveal_child(false);
        self.set_child(Some(&imp.revealer));
    }

    /// Follows `room_id` of `session` (in place of any room before).
    pub fn follow(&self, session: Session, room_id: &RoomId) {
        self.stop();
        let imp = self.imp();
        // Sessions their owners did not vouch for are left out under either rule; the
        // timer catches sessions that appear while the room is open (a look every 30 s
        // reads the local crypto store only).
        imp.session.replace(Some(session));
        imp.room_id.replace(Some(room_id.to_owned()));
        self.refresh();
        let weak = self.downgrade();
        let timer = glib::timeout_add_local(REFRESH, move || {
            let Some(notice) = weak.upgrade() else {
                return glib::ControlFlow::Break;
            };
            notice.refresh();
            glib::ControlFlow::Continue
        });
        imp.timer.replace(Some(timer));
    }

    /// Stops following the room and hides.
    pub fn stop(&self) {
        let imp = self.imp();
        if let Some(timer) = imp.timer.take() {
            timer.remove();
        }
        imp.session.replace(None);
        imp.room_id.replace(None);
        imp.revealer.set_reveal_child(false);
    }

    /// Looks again (after sending, say).
    pub fn refresh(&self) {
        let imp = self.imp();
        let (Some(session), Some(room_id)) =
            (imp.session.borrow().clone(), imp.room_id.borrow().clone())
        else {
            return;
        };
        let own = session.user_id();
        let asked = room_id.clone();
        let asking = async move { identities::sharing_notice(&session, &asked).await };
        run_for(self, asking, move |this, notice| {
            // The room may have changed meanwhile.
            if this.imp().room_id.borrow().as_ref() != Some(&room_id) {
                return;
            }
            match notice {
                Ok(notice) => this.show(notice_text(&notice, &own)),
                Err(err) => tracing::debug!("no sharing notice: {err}"),
            }
        });
    }

    fn show(&self, text: Option<String>) {
        let imp = self.imp();
        if let Some(text) = &text {
            imp.label.set_text(text);
        }
        imp.revealer.set_reveal_child(text.is_some());
    }

    /// The text shown now, if any.
    pub fn text(&self) -> Option<String> {
        let imp = self.imp();
        imp.revealer
            .reveals_child()
            .then(|| imp.label.text().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(blocked: Option<SendingBlocked>, left_out: &[(&str, &str, usize)]) -> SharingNotice {
        SharingNotice {
            blocked,
            left_out: left_out
                .iter()
                .map(|(u, n, c)| (UserId::parse(*u).unwrap(), (*n).to_owned(), *c))
                .collect(),
        }
    }

    #[test]
    fn the_notice_names_whose_sessions_are_left_out() {
        let me = UserId::parse("@me:x").unwrap();
        let me = &*me;
        assert_eq!(notice_text(&notice(None, &[]), me), None);
        assert_eq!(
            notice_text(&notice(None, &[("@bob:x", "Bob", 2)]), me).as_deref(),
            Some("Not sent to unverified sessions of Bob.")
        );
        assert_eq!(
            notice_text(
                &notice(None, &[("@bob:x", "Bob", 1), ("@carol:x", "Carol", 1)]),
                me
            )
            .as_deref(),
            Some("Not sent to unverified sessions of Bob, Carol.")
        );
        assert_eq!(
            notice_text(&notice(None, &[("@me:x", "Me", 1)]), me).as_deref(),
            Some("Not sent to your unverified sessions.")
        );
        assert!(
            notice_text(
                &notice(None, &[("@bob:x", "Bob", 1), ("@me:x", "Me", 1)]),
                me
            )
            .unwrap()
            .contains("nor to your own")
        );
        let blocked = notice_text(
            &notice(
                Some(SendingBlocked::ThisSessionUnverified),
                &[("@bob:x", "Bob", 1)],
            ),
            me,
        )
        .unwrap();
        assert!(blocked.starts_with("Messages cannot be sent"), "{blocked}");
        assert!(
            blocked.contains("this session is not verified"),
            "{blocked}"
        );
    }
}
