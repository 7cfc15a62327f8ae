//! The greeter: sign in with a homeserver, a username or full Matrix ID, and a password.

mod imp;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::glib;

use crate::engine::discovery::parse_username;

glib::wrapper! {
    /// The sign-in page.
    pub struct Greeter(ObjectSubclass<imp::Greeter>)
        @extends adw::Bin, gtk::Widget,
        @implements gtk::Buildable, gtk::ConstraintTarget;
}

/// The signal a greeter emits with the `Credentials` when the person asks to sign in.
const SUBMIT: &str = "submit";
/// The signal a greeter emits when the person cancels.
const CANCEL: &str = "cancel";

/// What the person typed to sign in.
#[derive(Clone, glib::Boxed)]
#[boxed_type(name = "SottoCredentials")]
pub struct Credentials {
    /// A server name or URL; may be empty when the username is a full Matrix ID.
    pub homeserver: String,
    /// A localpart or a full Matrix ID.
    pub username: String,
    /// The password, overwritten in memory when dropped.
    pub password: zeroize::Zeroizing<String>,
}

impl Default for Greeter {
    fn default() -> Self {
        glib::Object::new()
    }
}

impl Greeter {
    /// A new, empty greeter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Calls `callback` when the person asks to sign in (the `submit` signal).
    pub fn connect_submit(
        &self,
        callback: impl Fn(Credentials) + 'static,
    ) -> glib::SignalHandlerId {
        self.connect_closure(
            SUBMIT,
            false,
            glib::closure_local!(move |_: &Self, credentials: Credentials| callback(credentials)),
        )
    }

    /// Calls `callback` when the person cancels (the `cancel` signal; Cancel shows only
    /// while adding an account).
    pub fn connect_cancel(&self, callback: impl Fn() + 'static) -> glib::SignalHandlerId {
        self.connect_closure(
            CANCEL,
            false,
            glib::closure_local!(move |_: &Self| callback()),
        )
    }

    /// Shows or hides the Cancel button: it shows while adding a second account.
    pub fn set_cancellable(&self, cancellable: bool) {
        self.imp().cancel_button.set_visible(cancellable);
    }

    /// The three fields, for filling in (tests, the demo) and for screen readers.
    pub fn fields(&self) -> (adw::EntryRow, adw::EntryRow, adw::PasswordEntryRow) {
        let imp = self.imp();
        (
            imp.homeserver_row.clone(),
            imp.username_row.clone(),
            imp.password_row.clone(),
        )
    }

    /// The error shown, if any.
    pub fn error(&self) -> Option<String> {
        let label = &self.imp().error_label;
        label.is_visible().then(|| label.text().to_string())
    }

    /// Shows `message` under the fields and lets the person try again. The fields keep
    /// what was typed, except the password when it was wrong.
    pub fn show_error(&self, message: &str, clear_password: bool) {
        let imp = self.imp();
        self.set_busy(false);
        imp.error_label.set_text(message);
        imp.error_label.set_visible(true);
        if clear_password {
            imp.password_row.set_text("");
            imp.password_row.grab_focus();
        }
    }

    /// Empties the fields (after a successful sign-in).
    pub fn reset(&self) {
        let imp = self.imp();
        self.set_busy(false);
        imp.password_row.set_text("");
        imp.error_label.set_visible(false);
    }

    /// True while a sign-in is running.
    pub fn is_busy(&self) -> bool {
        self.imp().busy.get()
    }

    fn set_busy(&self, busy: bool) {
        let imp = self.imp();
        imp.busy.set(busy);
        // A spinning spinner redraws every frame even when hidden: spin only when shown.
        imp.spinner.set_spinning(busy);
        imp.sign_in_stack
            .set_visible_child_name(if busy { "spinner" } else { "label" });
        for row in [
            imp.homeserver_row.upcast_ref::<gtk::Widget>(),
            imp.username_row.upcast_ref(),
            imp.password_row.upcast_ref(),
        ] {
            row.set_sensitive(!busy);
        }
        self.update_sensitivity();
    }

    fn submit(&self) {
        let imp = self.imp();
        if imp.busy.get() || !self.can_submit() {
            return;
        }
        let credentials = Credentials {
            homeserver: imp.homeserver_row.text().trim().to_owned(),
            username: imp.username_row.text().trim().to_owned(),
            password: zeroize::Zeroizing::new(imp.password_row.text().to_string()),
        };
        imp.error_label.set_visible(false);
        self.set_busy(true);
        self.emit_by_name::<()>(SUBMIT, &[&credentials]);
    }

    fn can_submit(&self) -> bool {
        let imp = self.imp();
        !imp.username_row.text().trim().is_empty() && !imp.password_row.text().is_empty()
    }

    fn update_sensitivity(&self) {
        let ready = !self.imp().busy.get() && self.can_submit();
        self.action_set_enabled("greeter.sign-in", ready);
    }

    /// A full Matrix ID fills in the homeserver, unless the person typed one themselves.
    fn username_changed(&self) {
        let imp = self.imp();
        let server = parse_username(&imp.username_row.text())
            .ok()
            .and_then(|u| u.server)
            .unwrap_or_default();
        let current = imp.homeserver_row.text();
        let untouched = current.is_empty() || current == *imp.filled_server.borrow();
        if untouched && current != server {
            imp.homeserver_row.set_text(&server);
        }
        imp.filled_server.replace(server);
        self.update_sensitivity();
    }
}
