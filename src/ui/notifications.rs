//! Desktop notifications for every account that runs, window or no window.
//!
//! One notification per room, updated as messages come ("3 new messages") and withdrawn
//! when the room is read, here or on another device. How much it says follows the
//! person's setting (`notification-content`): the sender and the message; the sender only
//! (the default: a phone's lock screen shows notifications); or nothing but "New message".
//! Nothing notifies for the room the person is looking at.
//!
//! GLib delivers them: to the notification portal in a sandbox, else to the shell
//! (`org.gtk.Notifications`) or any `org.freedesktop.Notifications` server (Phosh).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use adw::prelude::*;
use gtk::{gio, glib};

use crate::engine::accounts::Accounts;
use crate::engine::ids::{OwnedRoomId, OwnedUserId, RoomId, UserId};
use crate::engine::notify::{Alert, Notice};
use crate::engine::room_list::Preview;
use crate::engine::running::RunningChange;
use crate::i18n::{gettext, gettext_f, ngettext};
use futures_util::StreamExt;

use crate::ui::bridge::{spawn_tokio, spawn_ui};
use crate::ui::gsettings::settings;

/// How much a notification says (the `notification-content` setting).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Content {
    /// Who wrote, and the message.
    Message,
    /// Who wrote only.
    Sender,
    /// Only that something came.
    Nothing,
}

impl Content {
    /// The level the person chose.
    pub fn chosen() -> Self {
        match settings().string("notification-content").as_str() {
            "message" => Self::Message,
            "nothing" => Self::Nothing,
            _ => Self::Sender,
        }
    }
}

/// The notification of one room: what came since it was last read.
#[derive(Clone, Debug)]
struct RoomNote {
    /// The latest alert.
    latest: Alert,
    /// How many came.
    count: u32,
    /// One of them mentions the person.
    mention: bool,
}

/// Who is being notified: `(account, room)`.
type RoomKey = (OwnedUserId, OwnedRoomId);

#[derive(Default)]
struct State {
    /// The sets of accounts watched (by their running accounts).
    watched: HashSet<usize>,
    /// The watchers of accounts, by Matrix ID.
    watchers: HashMap<OwnedUserId, glib::JoinHandle<()>>,
    /// The rooms with a notification out.
    rooms: HashMap<RoomKey, RoomNote>,
    /// The set of accounts of each account watched: to name the account when its set runs
    /// several, and to open a window on it when a notification is clicked.
    accounts_by_user: HashMap<OwnedUserId, Accounts>,
}

thread_local! {
    static STATE: Rc<RefCell<State>> = Rc::default();
}

fn state() -> Rc<RefCell<State>> {
    STATE.with(Rc::clone)
}

/// The set of accounts holding `account`, when its account is watched: the one a notification of
/// that account opens in a window.
pub fn accounts_of(account: &UserId) -> Option<Accounts> {
    state().borrow().accounts_by_user.get(account).cloned()
}

/// The ID of the notification of `room_id` for `account`.
pub fn notification_id(account: &UserId, room_id: &RoomId) -> String {
    format!("room:{account}:{room_id}")
}

/// Notifies for every account of `accounts` that runs now or starts running later. Calling
/// it again for the same set changes nothing.
pub fn watch_accounts(app: &adw::Application, accounts: &Accounts) {
    let key = accounts.running().key();
    if !state().borrow_mut().watched.insert(key) {
        return;
    }
    for open in accounts.running().all() {
        if open.sync.is_some() {
            watch_account(app, accounts, open.session);
        }
    }
    let accounts = accounts.clone();
    let mut changes = accounts.running().changes();
    let app = app.downgrade();
    spawn_ui(async move {
        loop {
            let change = match changes.recv().await {
                Ok(change) => change,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            };
            let Some(app) = app.upgrade() else {
                return;
            };
            match change {
                RunningChange::Syncing(session, _) => watch_account(&app, &accounts, session),
                RunningChange::Stopped { user_id } => stop_account(&app, &user_id),
            }
        }
    });
}

/// Notifies for `session`'s account (in place of any earlier watcher of it).
fn watch_account(
    app: &adw::Application,
    accounts: &Accounts,
    session: crate::engine::session::Session,
) {
    let account = session.user_id();
    let key = account.clone();
    state()
        .borrow_mut()
        .accounts_by_user
        .insert(account.clone(), accounts.clone());
    let app = app.downgrade();
    let watching = spawn_ui(async move {
        let mut notices =
            spawn_tokio(async move { crate::engine::notify::watch(&session).await }).await;
        // Dropping the notices (when this watcher is aborted) stops their engine task.
        while let Some(notice) = notices.next().await {
            let Some(app) = app.upgrade() else {
                return;
            };
            match notice {
                Notice::Alert(alert) => alerted(&app, &account, alert),
                Notice::Read { room_id } => withdraw(&app, &account, &room_id),
            }
        }
    });
    let previous = state().borrow_mut().watchers.insert(key, watching);
    if let Some(previous) = previous {
        previous.abort();
    }
}

/// Stops notifying for `account` and withdraws its notifications.
fn stop_account(app: &adw::Application, account: &UserId) {
    let state = state();
    if let Some(watcher) = state.borrow_mut().watchers.remove(account) {
        watcher.abort();
    }
    state.borrow_mut().accounts_by_user.remove(account);
    let rooms: Vec<RoomKey> = state
        .borrow()
        .rooms
        .keys()
        .filter(|(a, _)| a == account)
        .cloned()
        .collect();
    for (account, room_id) in rooms {
        withdraw(app, &account, &room_id);
    }
}

/// Whether the person is looking at `room_id` of `account` now.
fn is_shown(app: &adw::Application, account: &UserId, room_id: &RoomId) -> bool {
    app.windows().into_iter().any(|window| {
        let Ok(window) = window.downcast::<crate::ui::window::Window>() else {
            return false;
        };
        window.is_active()
            && window.is_visible()
            && window.session().is_some_and(|s| s.user_id() == account)
            && window.open_room_id().as_deref() == Some(room_id)
            && window
                .visible_panes()
                .contains(&crate::ui::window::Pane::Content)
    })
}

/// Whether the set of accounts of `account` runs more than one account (then each notification
/// names its account).
fn several_accounts(account: &UserId) -> bool {
    state()
        .borrow()
        .accounts_by_user
        .get(account)
        .is_some_and(|accounts| accounts.running().count() > 1)
}

fn alerted(app: &adw::Application, account: &UserId, alert: Alert) {
    if !settings().boolean("notifications") || is_shown(app, account, &alert.room_id) {
        return;
    }
    let key = (account.to_owned(), alert.room_id.clone());
    let note = {
        let state = state();
        let mut state = state.borrow_mut();
        let note = state.rooms.entry(key).or_insert_with(|| RoomNote {
            latest: alert.clone(),
            count: 0,
            mention: false,
        });
        note.count = note.count.saturating_add(1);
        note.mention |= alert.mention;
        note.latest = alert;
        note.clone()
    };
    let account_name = several_accounts(account).then_some(account.as_str());
    let (title, body) = wording(Content::chosen(), &note.latest, note.count, account_name);
    let notification = gio::Notification::new(&title);
    if let Some(body) = &body {
        notification.set_body(Some(body));
    }
    let target = (account.to_string(), note.latest.room_id.to_string()).to_variant();
    notification.set_default_action_and_target_value("app.open-room", Some(&target));
    if note.mention {
        notification.set_priority(gio::NotificationPriority::High);
    }
    app.send_notification(
        Some(&notification_id(account, &note.latest.room_id)),
        &notification,
    );
}

/// Withdraws the notification of `room_id` for `account`, if there is one.
pub fn withdraw(app: &adw::Application, account: &UserId, room_id: &RoomId) {
    let key = (account.to_owned(), room_id.to_owned());
    if state().borrow_mut().rooms.remove(&key).is_some() {
        app.withdraw_notification(&notification_id(account, room_id));
    }
}

/// Whether a notification of `room_id` for `account` is out.
pub fn is_out(account: &UserId, room_id: &RoomId) -> bool {
    state()
        .borrow()
        .rooms
        .contains_key(&(account.to_owned(), room_id.to_owned()))
}

/// The title and body of the notification of a room, at the `content` level: `alert` is
/// the latest of `count` events, and `account` names the account when several run.
pub fn wording(
    content: Content,
    alert: &Alert,
    count: u32,
    account: Option<&str>,
) -> (String, Option<String>) {
    let invite = matches!(alert.what, Preview::Invite);
    let sender = alert.sender_name.as_str();
    let (title, body) = match content {
        Content::Message => {
            let text = what_text(&alert.what);
            if invite {
                (
                    alert.room_name.clone(),
                    Some(gettext_f("{sender} invited you", &[("sender", sender)])),
                )
            } else if alert.is_direct {
                (sender.to_owned(), Some(text))
            } else {
                (
                    alert.room_name.clone(),
                    Some(gettext_f(
                        "{sender}: {message}",
                        &[("sender", sender), ("message", &text)],
                    )),
                )
            }
        }
        Content::Sender => {
            let title = if invite {
                gettext_f("Invitation from {sender}", &[("sender", sender)])
            } else if alert.mention && count == 1 {
                gettext_f("{sender} mentioned you", &[("sender", sender)])
            } else if count == 1 {
                gettext_f("New message from {sender}", &[("sender", sender)])
            } else {
                ngettext(
                    "{count} new message, the latest from {sender}",
                    "{count} new messages, the latest from {sender}",
                    count,
                )
                .replace("{count}", &count.to_string())
                .replace("{sender}", sender)
            };
            // The name of an unencrypted group is no secret from the server anyway.
            let room = (!alert.is_direct && !alert.is_encrypted && !invite)
                .then(|| alert.room_name.clone());
            (title, room)
        }
        Content::Nothing => {
            let title = if invite {
                gettext("New invitation")
            } else if count == 1 {
                gettext("New message")
            } else {
                ngettext("{count} new message", "{count} new messages", count)
                    .replace("{count}", &count.to_string())
            };
            (title, None)
        }
    };
    let body = match (body, account) {
        (body, None) => body,
        (Some(body), Some(account)) => Some(gettext_f(
            "{text}\nTo {account}",
            &[("text", &body), ("account", account)],
        )),
        (None, Some(account)) => Some(gettext_f("To {account}", &[("account", account)])),
    };
    (title, body)
}

/// One line for what an event is, as the room list says it.
fn what_text(what: &Preview) -> String {
    match what {
        Preview::Message { body, .. } => body.clone(),
        Preview::Attachment(attachment) => crate::ui::text::attachment(attachment),
        Preview::Unsupported(unsupported) => crate::ui::text::unsupported(unsupported),
        Preview::State(change) => crate::ui::text::state_change(change),
        Preview::Invite => gettext("Invitation"),
        Preview::Encrypted => gettext("Encrypted message"),
        Preview::Nothing | Preview::Other => gettext("New message"),
    }
}

/// Whether something on the session bus can show notifications: the portal's
/// Notification interface (when Sotto goes through the portals), else the shell's
/// `org.gtk.Notifications` or an `org.freedesktop.Notifications` server.
pub fn server_present() -> bool {
    server_present_with(crate::ui::portal::Backend::detect())
}

/// [`server_present`] for the `backend` given.
pub fn server_present_with(backend: crate::ui::portal::Backend) -> bool {
    let Ok(bus) = gio::bus_get_sync(gio::BusType::Session, None::<&gio::Cancellable>) else {
        return false;
    };
    if backend == crate::ui::portal::Backend::Portal {
        return crate::ui::portal::notification_portal_present(&bus);
    }
    ["org.gtk.Notifications", "org.freedesktop.Notifications"]
        .iter()
        .any(|name| {
            bus.call_sync(
                Some("org.freedesktop.DBus"),
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus",
                "NameHasOwner",
                Some(&(*name,).to_variant()),
                Some(glib::VariantTy::new("(b)").expect("a valid type")),
                gio::DBusCallFlags::NONE,
                1000,
                None::<&gio::Cancellable>,
            )
            .ok()
            .and_then(|reply| reply.get::<(bool,)>())
            .is_some_and(|(owned,)| owned)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ids::OwnedEventId;

    fn alert(direct: bool, encrypted: bool) -> Alert {
        Alert {
            room_id: OwnedRoomId::try_from("!r:example.org").unwrap(),
            event_id: OwnedEventId::try_from("$e").unwrap(),
            room_name: "Garden club".into(),
            is_direct: direct,
            is_encrypted: encrypted,
            sender_name: "Frida".into(),
            what: Preview::Message {
                sender: "@frida:example.org".into(),
                sender_name: "frida".into(),
                own: false,
                body: "the secret".into(),
            },
            mention: false,
        }
    }

    #[test]
    fn only_the_first_level_shows_the_text() {
        for (direct, encrypted) in [(true, true), (false, true), (false, false), (true, false)] {
            let alert = alert(direct, encrypted);
            for content in [Content::Sender, Content::Nothing] {
                let (title, body) = wording(content, &alert, 1, None);
                assert!(
                    !title.contains("secret") && !body.unwrap_or_default().contains("secret"),
                    "{content:?} {direct} {encrypted}"
                );
            }
            let (title, body) = wording(Content::Message, &alert, 1, None);
            assert!(format!("{title} {body:?}").contains("the secret"));
        }
    }

    #[test]
    fn the_levels_say_what_they_promise() {
        let group = alert(false, false);
        assert_eq!(
            wording(Content::Message, &group, 1, None),
            ("Garden club".into(), Some("Frida: the secret".into()))
        );
        assert_eq!(
            wording(Content::Sender, &group, 1, None),
            ("New message from Frida".into(), Some("Garden club".into()))
        );
        // An encrypted group's name stays off the lock screen.
        assert_eq!(
            wording(Content::Sender, &alert(false, true), 3, None),
            ("3 new messages, the latest from Frida".into(), None)
        );
        assert_eq!(
            wording(Content::Nothing, &group, 2, None),
            ("2 new messages".into(), None)
        );
        let mut mention = alert(true, true);
        mention.mention = true;
        assert_eq!(
            wording(Content::Sender, &mention, 1, None).0,
            "Frida mentioned you"
        );
    }

    #[test]
    fn with_several_accounts_the_account_is_named() {
        let dm = alert(true, true);
        assert_eq!(
            wording(Content::Nothing, &dm, 1, Some("@me:example.org")),
            ("New message".into(), Some("To @me:example.org".into()))
        );
        assert_eq!(
            wording(Content::Message, &dm, 1, Some("@me:example.org")),
            (
                "Frida".into(),
                Some("the secret\nTo @me:example.org".into())
            )
        );
    }
}
