//! The XDG desktop portals Sotto uses itself (GLib and GTK use others on their own):
//! whether it goes through them at all, the Background portal that lets a sandboxed Sotto
//! run without a window and start at login, and whether the Notification portal is there.

use std::cell::Cell;
use std::ffi::OsStr;
use std::pin::Pin;

use futures_util::{Stream, StreamExt};
use gtk::prelude::*;
use gtk::{gio, glib};

use crate::i18n::gettext;

/// The bus name of the portals.
pub const DESKTOP: &str = "org.freedesktop.portal.Desktop";
/// The object of the portals.
pub const DESKTOP_PATH: &str = "/org/freedesktop/portal/desktop";
const BACKGROUND: &str = "org.freedesktop.portal.Background";
const NOTIFICATION: &str = "org.freedesktop.portal.Notification";
const REQUEST: &str = "org.freedesktop.portal.Request";

/// How Sotto reaches the desktop: through the portals, or on the host directly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Through the portals (in a Flatpak, or when asked to with `GTK_USE_PORTAL=1`).
    Portal,
    /// The host's own files and services.
    Host,
}

impl Backend {
    /// The backend of this process, by the rule GLib uses (gio's `gportalsupport.c`), so
    /// that Sotto and GLib always agree.
    pub fn detect() -> Self {
        Self::decide(
            std::path::Path::new("/.flatpak-info").exists(),
            std::env::var_os("GTK_USE_PORTAL").as_deref(),
        )
    }

    /// The rule itself: in a Flatpak (`/.flatpak-info` exists), or when `GTK_USE_PORTAL`
    /// starts with `1` (GLib reads only its first character).
    pub fn decide(flatpak_info: bool, gtk_use_portal: Option<&OsStr>) -> Self {
        let asked =
            gtk_use_portal.is_some_and(|value| value.as_encoded_bytes().first() == Some(&b'1'));
        if flatpak_info || asked {
            Self::Portal
        } else {
            Self::Host
        }
    }
}

/// What the Background portal answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackgroundAnswer {
    /// The request went through: whether Sotto may run in the background, and whether it
    /// starts at login now.
    Granted {
        /// Sotto may keep running without a window.
        background: bool,
        /// Sotto starts at login.
        autostart: bool,
    },
    /// The person said no (response 1).
    Refused,
    /// No Background portal answers on this bus.
    NoPortal,
    /// The portal failed, or went away before it answered.
    Failed,
}

/// The path of the Request object the portal makes for a call with `token` from the
/// connection named `unique_name`: `…/request/SENDER/TOKEN`, where SENDER is the unique
/// name without its `:` and with each `.` made a `_`.
pub fn request_path(unique_name: &str, token: &str) -> String {
    let sender = unique_name.trim_start_matches(':').replace('.', "_");
    format!("{DESKTOP_PATH}/request/{sender}/{token}")
}

/// A new `handle_token`: unique in this process, and not guessable by another one.
fn new_token() -> String {
    thread_local! {
        static COUNT: Cell<u32> = const { Cell::new(0) };
    }
    let count = COUNT.with(|count| {
        count.set(count.get().wrapping_add(1));
        count.get()
    });
    format!("sotto{count}_{}", rand::random::<u32>())
}

/// The `Response` signals of the Request object at `path`, sent by the portal.
fn responses(
    connection: &gio::DBusConnection,
    path: &str,
) -> Pin<Box<dyn Stream<Item = glib::Variant>>> {
    Box::pin(connection.receive_signal(
        Some(DESKTOP),
        Some(REQUEST),
        Some("Response"),
        Some(path),
        None,
        gio::DBusSignalFlags::NONE,
        |signal| signal.parameters.clone(),
    ))
}

/// Whether `err` says that nothing on the bus implements the call.
fn is_missing(err: &glib::Error) -> bool {
    [
        gio::DBusError::ServiceUnknown,
        gio::DBusError::NameHasNoOwner,
        gio::DBusError::UnknownMethod,
        gio::DBusError::UnknownInterface,
        gio::DBusError::UnknownObject,
    ]
    .into_iter()
    .any(|kind| err.matches(kind))
}

/// Asks the Background portal on `connection` to let Sotto run in the background, and to
/// start it at login (`--gapplication-service`) when `autostart` is true, or no longer
/// when it is false. Waits as long as the person takes to answer, or until the portal
/// goes away.
pub async fn request_background(
    connection: &gio::DBusConnection,
    autostart: bool,
) -> BackgroundAnswer {
    let Some(unique_name) = connection.unique_name() else {
        return BackgroundAnswer::Failed;
    };
    let token = new_token();
    let expected = request_path(&unique_name, &token);
    if !glib::Variant::is_object_path(&expected) {
        return BackgroundAnswer::Failed;
    }
    // Before the call: the portal may answer before its reply to the call arrives.
    let mut answers = responses(connection, &expected);
    // The portal leaving the bus ends the wait.
    let mut vanished = Box::pin(
        connection
            .receive_signal(
                Some("org.freedesktop.DBus"),
                Some("org.freedesktop.DBus"),
                Some("NameOwnerChanged"),
                Some("/org/freedesktop/DBus"),
                Some(DESKTOP),
                gio::DBusSignalFlags::NONE,
                |signal| signal.parameters.get::<(String, String, String)>(),
            )
            .filter(|change| {
                std::future::ready(change.as_ref().is_some_and(|(_, _, new)| new.is_empty()))
            }),
    );

    let options = glib::VariantDict::new(None);
    options.insert("handle_token", token.as_str());
    options.insert(
        "reason",
        gettext("Receive messages and show notifications while the window is closed").as_str(),
    );
    options.insert("autostart", autostart);
    options.insert(
        "commandline",
        vec!["sotto".to_owned(), "--gapplication-service".to_owned()],
    );
    options.insert("dbus-activatable", false);
    let parameters = glib::Variant::tuple_from_iter([glib::Variant::from(""), options.end()]);
    let reply = connection
        .call_future(
            Some(DESKTOP),
            DESKTOP_PATH,
            BACKGROUND,
            "RequestBackground",
            Some(&parameters),
            Some(glib::VariantTy::new("(o)").expect("a valid type")),
            gio::DBusCallFlags::NONE,
            -1,
        )
        .await;
    let handle = match reply {
        Ok(reply) => reply.child_value(0).str().map(str::to_owned),
        Err(err) if is_missing(&err) => return BackgroundAnswer::NoPortal,
        Err(err) => {
            tracing::warn!("the Background portal failed: {err}");
            return BackgroundAnswer::Failed;
        }
    };
    // A portal older than 0.9 chooses its own path: follow it, as the specification says.
    if let Some(handle) = handle.filter(|handle| *handle != expected) {
        answers = responses(connection, &handle);
    }

    let answer = futures_util::future::select(answers.next(), vanished.next()).await;
    let futures_util::future::Either::Left((Some(parameters), _)) = answer else {
        tracing::warn!("the Background portal went away before it answered");
        return BackgroundAnswer::Failed;
    };
    read_answer(&parameters)
}

/// The answer in the parameters `(ua{sv})` of a `Response`.
fn read_answer(parameters: &glib::Variant) -> BackgroundAnswer {
    if !parameters.is_type(glib::VariantTy::new("(ua{sv})").expect("a valid type")) {
        return BackgroundAnswer::Failed;
    }
    let results = glib::VariantDict::new(Some(&parameters.child_value(1)));
    let flag = |key: &str| results.lookup::<bool>(key).ok().flatten().unwrap_or(false);
    match parameters.child_value(0).get::<u32>() {
        Some(0) => BackgroundAnswer::Granted {
            background: flag("background"),
            autostart: flag("autostart"),
        },
        Some(1) => BackgroundAnswer::Refused,
        _ => BackgroundAnswer::Failed,
    }
}

/// Whether the portal on `connection` offers notifications: it has the Notification
/// interface (its `version` property answers within a second).
pub fn notification_portal_present(connection: &gio::DBusConnection) -> bool {
    connection
        .call_sync(
            Some(DESKTOP),
            DESKTOP_PATH,
            "org.freedesktop.DBus.Properties",
            "Get",
            Some(&(NOTIFICATION, "version").to_variant()),
            Some(glib::VariantTy::new("(v)").expect("a valid type")),
            gio::DBusCallFlags::NONE,
            1000,
            None::<&gio::Cancellable>,
        )
        .ok()
        .and_then(|reply| reply.child_value(0).as_variant())
        .and_then(|version| version.get::<u32>())
        .is_some_and(|version| version >= 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_portal_rule_is_glibs() {
        assert_eq!(Backend::decide(true, None), Backend::Portal);
        assert_eq!(Backend::decide(false, None), Backend::Host);
        assert_eq!(
            Backend::decide(false, Some(OsStr::new("1"))),
            Backend::Portal
        );
        // GLib reads the first character only.
        assert_eq!(
            Backend::decide(false, Some(OsStr::new("1yes"))),
            Backend::Portal
        );
        assert_eq!(Backend::decide(false, Some(OsStr::new("0"))), Backend::Host);
        assert_eq!(Backend::decide(false, Some(OsStr::new(""))), Backend::Host);
        assert_eq!(
            Backend::decide(true, Some(OsStr::new("0"))),
            Backend::Portal
        );
    }

    #[test]
    fn the_request_path_is_the_specifications() {
        assert_eq!(
            request_path(":1.42", "sotto1_7"),
            "/org/freedesktop/portal/desktop/request/1_42/sotto1_7"
        );
    }

    #[test]
    fn tokens_are_valid_path_elements_and_differ() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        for token in [a, b] {
            assert!(
                token.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{token}"
            );
        }
    }

    #[test]
    fn answers_are_read_as_the_specification_says() {
        let answer = |response: u32, background: Option<bool>, autostart: Option<bool>| {
            let results = glib::VariantDict::new(None);
            if let Some(b) = background {
                results.insert("background", b);
            }
            if let Some(a) = autostart {
                results.insert("autostart", a);
            }
            read_answer(&glib::Variant::tuple_from_iter([
                response.to_variant(),
                results.end(),
            ]))
        };
        assert_eq!(
            answer(0, Some(true), Some(true)),
            BackgroundAnswer::Granted {
                background: true,
                autostart: true
            }
        );
        assert_eq!(
            answer(0, Some(true), None),
            BackgroundAnswer::Granted {
                background: true,
                autostart: false
            }
        );
        assert_eq!(answer(1, Some(false), None), BackgroundAnswer::Refused);
        assert_eq!(answer(2, None, None), BackgroundAnswer::Failed);
        assert_eq!(
            read_answer(&"nonsense".to_variant()),
            BackgroundAnswer::Failed
        );
    }
}
