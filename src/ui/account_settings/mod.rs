//! The account settings window: the account's profile (name and avatar, `profile`), its
//! sessions (rename this one, verify or sign out the others, verify this one) and recovery
//! (turn on, change the key, turn off, reset the identity). Its buttons are actions of the group `settings`, so tests and keyboard users
//! reach them the same way.

use std::cell::{Cell, OnceCell, RefCell};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gio, glib};
use zeroize::Zeroizing;

use crate::engine::EngineError;
use crate::engine::accounts::Accounts;
use crate::engine::session::KeySharing;
use crate::engine::session::Session;
use crate::engine::trust::cross_signing::{self, SessionVerification};
use crate::engine::trust::devices::{self, DeviceInfo};
use crate::engine::trust::recovery::{self, RecoveryStatus};
use crate::engine::trust::verification::Verifications;
use crate::i18n::{gettext, gettext_f, ngettext};
use crate::ui::bridge::{forward_stream, run_for, run_or_toast};
use crate::ui::dialogs::{ask_password, inform};
use crate::ui::error_text::describe;
use crate::ui::file_choosers::{choose_open_path, choose_save_path};
use crate::ui::trust::key_files::{self, EXPORT_FILE_NAME, ask_passphrase};
use crate::ui::trust::recovery_key::{ask_recovery_key, show_recovery_key};
use crate::ui::trust::verification::VerificationDialog;
use crate::ui::widgets::{icon_button, labelled_image};

mod profile;

/// An action of the window and what it runs.
type Plain = (&'static str, fn(&AccountSettings));
/// An action that names a device, and what it runs.
type WithDevice = (&'static str, fn(&AccountSettings, String));

struct Widgets {
    profile: profile::ProfileWidgets,
    verify_group: adw::PreferencesGroup,
    name_row: adw::EntryRow,
    this_row: adw::ActionRow,
    others_group: adw::PreferencesGroup,
    recovery_row: adw::ActionRow,
    reminder_row: adw::ActionRow,
    enable_row: adw::ActionRow,
    change_row: adw::ActionRow,
    enter_row: adw::ActionRow,
    disable_row: adw::ActionRow,
    reset_group: adw::PreferencesGroup,
    keys_group: adw::PreferencesGroup,
    export_row: adw::ActionRow,
    import_row: adw::ActionRow,
    keys_spinner: gtk::Spinner,
    verified_only: gtk::Switch,
}

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct AccountSettings {
        pub(super) session: OnceCell<Session>,
        pub(super) verifications: OnceCell<Option<Arc<Verifications>>>,
        pub(super) widgets: OnceCell<Widgets>,
        pub(super) device_rows: RefCell<Vec<adw::ActionRow>>,
        pub(super) devices: RefCell<Vec<DeviceInfo>>,
        pub(super) recovery: RefCell<Option<RecoveryStatus>>,
        pub(super) verification: RefCell<Option<SessionVerification>>,
        pub(super) has_identity: RefCell<Option<bool>>,
        pub(super) tasks: RefCell<Vec<glib::JoinHandle<()>>>,
        pub(super) accounts: RefCell<Option<Accounts>>,
        /// The "encrypt only for verified devices" setting stored differs from the one the
        /// open session was built with: the account is opened again when this closes.
        pub(super) key_sharing_changed: Cell<bool>,
        /// The last message about a room key export or import.
        pub(super) key_message: RefCell<String>,
        /// The file chooser open now, if any.
        pub(super) chooser: RefCell<Option<gtk::FileChooserNative>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for AccountSettings {
        const NAME: &'static str = "SottoAccountSettings";
        type Type = super::AccountSettings;
        type ParentType = adw::PreferencesWindow;
    }

    impl ObjectImpl for AccountSettings {
        fn dispose(&self) {
            for task in self.tasks.take() {
                task.abort();
            }
        }
    }
    impl WidgetImpl for AccountSettings {}
    impl WindowImpl for AccountSettings {}
    impl AdwWindowImpl for AccountSettings {}
    impl PreferencesWindowImpl for AccountSettings {}
}

glib::wrapper! {
    /// The account settings window.
    pub struct AccountSettings(ObjectSubclass<imp::AccountSettings>)
        @extends adw::PreferencesWindow, adw::Window, gtk::Window, gtk::Widget,
        @implements gtk::Buildable, gtk::ConstraintTarget, gtk::Native,
            gtk::Root, gtk::ShortcutManager;
}

fn nav_row(title: &str, subtitle: &str, action: &str) -> adw::ActionRow {
    let row = adw::ActionRow::builder()
        .use_markup(false)
        .title(title)
        .activatable(true)
        .action_name(action)
        .build();
    if !subtitle.is_empty() {
        row.set_subtitle(subtitle);
    }
    row.add_suffix(&gtk::Image::from_icon_name("go-next-symbolic"));
    row
}

/// "Last seen" as the person reads it, in local time.
fn last_seen_text(device: &DeviceInfo) -> Option<String> {
    let when = device.last_seen?.duration_since(UNIX_EPOCH).ok()?;
    let time = glib::DateTime::from_unix_local(i64::try_from(when.as_secs()).ok()?)
        .ok()?
        .format("%x %R")
        .ok()?
        .to_string();
    Some(match &device.last_seen_ip {
        Some(ip) => gettext_f(
            "Last seen {time} from {address}",
            &[("time", &time), ("address", ip)],
        ),
        None => gettext_f("Last seen {time}", &[("time", &time)]),
    })
}

fn device_name(device: &DeviceInfo) -> String {
    device
        .display_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| gettext("Unnamed session"))
}

impl AccountSettings {
    /// The settings of `session` over `parent`. `verifications` starts emoji verifications
    /// (none until the sync runs).
    pub fn new(
        parent: Option<&gtk::Window>,
        session: Session,
        verifications: Option<Arc<Verifications>>,
    ) -> Self {
        let window: Self = glib::Object::builder()
            .property("modal", true)
            .property("search-enabled", false)
            .property("default-width", 640)
            .property("default-height", 720)
            .build();
        window.set_transient_for(parent);
        window.set_title(Some(&gettext("Account Settings")));
        let _ = window.imp().session.set(session);
        let _ = window.imp().verifications.set(verifications);
        window.build();
        window.install_actions();
        window.follow();
        window.load_profile();
        window.reload_devices();
        window
    }

    fn session(&self) -> Session {
        self.imp().session.get().expect("set in new").clone()
    }

    fn widgets(&self) -> &Widgets {
        self.imp().widgets.get().expect("built in new")
    }

    fn build(&self) {
        let profile = self.build_profile_page();
        let sessions = adw::PreferencesPage::builder()
            .name("sessions")
            .title(gettext("Sessions"))
            .icon_name("computer-symbolic")
            .build();
        let verify_group = adw::PreferencesGroup::builder()
            .title(gettext("Verify This Session"))
            .description(gettext(
                "Your other sessions and the people you talk to do not trust this session yet, and it cannot read your earlier encrypted messages.",
            ))
            .visible(false)
            .build();
        verify_group.add(&nav_row(
            &gettext("Verify With Another Session"),
            &gettext("Compare emoji with a session that is already verified"),
            "settings.verify-this-session",
        ));
        verify_group.add(&nav_row(
            &gettext("Enter Recovery Key"),
            &gettext("Use the key you saved when you turned on recovery"),
            "settings.enter-recovery-key",
        ));
        sessions.add(&verify_group);

        let this_group = adw::PreferencesGroup::builder()
            .title(gettext("This Session"))
            .build();
        let name_row = adw::EntryRow::builder()
            .use_markup(false)
            .title(gettext("Session Name"))
            .show_apply_button(true)
            .build();
        name_row.connect_apply(glib::clone!(
            #[weak(rename_to = window)]
            self,
            move |row| window.rename(row.text().to_string())
        ));
        let this_row =
            crate::ui::widgets::plain_row(&gettext("Session ID"), &self.session().device_id());
        this_group.add(&name_row);
        this_group.add(&this_row);
        sessions.add(&this_group);

        let others_group = adw::PreferencesGroup::builder()
            .title(gettext("Other Sessions"))
            .description(gettext(
                "Sign out sessions you do not recognise. Verify your own sessions so they can read your encrypted messages.",
            ))
            .build();
        sessions.add(&others_group);
        self.add(&sessions);

        let recovery_page = adw::PreferencesPage::builder()
            .name("recovery")
            .title(gettext("Recovery"))
            .icon_name("dialog-password-symbolic")
            .build();
        let state_group = adw::PreferencesGroup::builder()
            .title(gettext("Recovery"))
            .description(gettext(
                "Recovery keeps your encryption keys on the homeserver, locked with a recovery key only you have. With it, a new device can read your encrypted messages.",
            ))
            .build();
        let recovery_row = adw::ActionRow::builder()
            .use_markup(false)
            .title(gettext("Status"))
            .subtitle(gettext("Checking…"))
            .build();
        let reminder_row = adw::ActionRow::builder()
.use_markup(false)
            .title(gettext("Recovery Is Off"))
            .subtitle(gettext(
                "If you lose this device, you lose your encrypted messages. Turn on recovery to keep them.",
            ))
            .css_classes(["warning"])
            .visible(false)
            .build();
        reminder_row.add_prefix(&gtk::Image::from_icon_name("dialog-warning-symbolic"));
        state_group.add(&recovery_row);
        state_group.add(&reminder_row);
        recovery_page.add(&state_group);

        let actions_group = adw::PreferencesGroup::new();
        let enable_row = nav_row(
            &gettext("Turn On Recovery"),
            &gettext("Make a recovery key and back up your keys"),
            "settings.enable-recovery",
        );
        let change_row = nav_row(
            &gettext("Change Recovery Key"),
            &gettext("The old key stops working"),
            "settings.change-recovery-key",
        );
        let enter_row = nav_row(
            &gettext("Enter Recovery Key"),
            &gettext("Verify this session and get your keys"),
            "settings.enter-recovery-key",
        );
        let disable_row = nav_row(
            &gettext("Turn Off Recovery"),
            &gettext("Deletes the key backup from the homeserver"),
            "settings.disable-recovery",
        );
        for row in [&enable_row, &change_row, &enter_row, &disable_row] {
            row.set_visible(false);
            actions_group.add(row);
        }
        recovery_page.add(&actions_group);

        let keys_group = adw::PreferencesGroup::builder()
            .title(gettext("Room Keys"))
            .description(gettext(
                "Save the keys of your encrypted messages in a file locked with a passphrase, or read such a file into this session.",
            ))
            .build();
        let keys_spinner = gtk::Spinner::builder()
            .valign(gtk::Align::Center)
            .visible(false)
            .build();
        keys_group.set_header_suffix(Some(&keys_spinner));
        let export_row = nav_row(
            &gettext("Export Room Keys"),
            &gettext("Save them to a file with a passphrase"),
            "settings.export-keys",
        );
        let import_row = nav_row(
            &gettext("Import Room Keys"),
            &gettext("Read keys from an exported file"),
            "settings.import-keys",
        );
        keys_group.add(&export_row);
        keys_group.add(&import_row);
        recovery_page.add(&keys_group);

        let sharing_group = adw::PreferencesGroup::builder()
            .title(gettext("Encryption"))
            .description(gettext(
                "Your messages are encrypted only for sessions their owners signed. For people whose app cannot sign sessions, the sessions they had when you first met are kept, and a session they add later waits until you confirm it. A session your server adds to an account never gets your messages.",
            ))
            .build();
        let verified_only = gtk::Switch::builder()
            .valign(gtk::Align::Center)
            .active(self.session().key_sharing() == KeySharing::VerifiedDevicesOnly)
            .sensitive(false)
            .build();
        let verified_only_row = adw::ActionRow::builder()
            .use_markup(false)
            .title(gettext("Encrypt Only for Verified Devices"))
            .subtitle(gettext(
                "People whose app cannot sign sessions then cannot read your messages at all, and this session must be verified to send.",
            ))
            .subtitle_lines(4)
            .activatable_widget(&verified_only)
            .build();
        verified_only_row.add_suffix(&verified_only);
        sharing_group.add(&verified_only_row);
        verified_only.connect_active_notify(glib::clone!(
            #[weak(rename_to = window)]
            self,
            move |switch| window.key_sharing_toggled(switch.is_active())
        ));
        recovery_page.add(&sharing_group);

        let reset_group = adw::PreferencesGroup::builder()
            .title(gettext("Lost Your Recovery Key?"))
            .visible(false)
            .build();
        let reset_row = nav_row(
            &gettext("I Lost My Recovery Key"),
            &gettext("Start over with a new identity"),
            "settings.reset-identity",
        );
        reset_row.add_css_class("error");
        reset_group.add(&reset_row);
        recovery_page.add(&reset_group);
        self.add(&recovery_page);

        let _ = self.imp().widgets.set(Widgets {
            profile,
            verify_group,
            name_row,
            this_row,
            others_group,
            recovery_row,
            reminder_row,
            enable_row,
            change_row,
            enter_row,
            disable_row,
            reset_group,
            keys_group,
            export_row,
            import_row,
            keys_spinner,
            verified_only,
        });
    }

    fn install_actions(&self) {
        let group = gio::SimpleActionGroup::new();
        let plain: [Plain; 10] = [
            ("change-avatar", Self::change_avatar),
            ("remove-avatar", Self::remove_avatar),
            ("export-keys", |w| w.export_keys(None)),
            ("import-keys", Self::import_keys),
            ("verify-this-session", Self::verify_this_session),
            ("enter-recovery-key", |w| w.enter_recovery_key(None)),
            ("enable-recovery", Self::enable_recovery),
            ("change-recovery-key", Self::change_recovery_key),
            ("disable-recovery", Self::confirm_disable_recovery),
            ("reset-identity", Self::confirm_reset_identity),
        ];
        for (name, run) in plain {
            let action = gio::SimpleAction::new(name, None);
            let weak = self.downgrade();
            action.connect_activate(move |_, _| {
                if let Some(window) = weak.upgrade() {
                    run(&window);
                }
            });
            group.add_action(&action);
        }
        let with_device: [WithDevice; 2] = [
            ("verify-device", Self::verify_device),
            ("sign-out-device", |w, id| w.sign_out_device(id, None)),
        ];
        for (name, run) in with_device {
            let action = gio::SimpleAction::new(name, Some(glib::VariantTy::STRING));
            let weak = self.downgrade();
            action.connect_activate(move |_, target| {
                let (Some(window), Some(id)) =
                    (weak.upgrade(), target.and_then(|t| t.get::<String>()))
                else {
                    return;
                };
                run(&window, id);
            });
            group.add_action(&action);
        }
        self.insert_action_group("settings", Some(&group));
    }

    /// Follows the recovery state and this session's verification.
    fn follow(&self) {
        let session = self.session();
        self.show_recovery(recovery::recovery_state(&session));
        let weak = self.downgrade();
        let recovery_task = forward_stream(recovery::recovery_states(&session), move |state| {
            let Some(window) = weak.upgrade() else {
                return ControlFlow::Break(());
            };
            window.show_recovery(state);
            ControlFlow::Continue(())
        });
        let weak = self.downgrade();
        let verification_task =
            forward_stream(cross_signing::verification_states(&session), move |state| {
                let Some(window) = weak.upgrade() else {
                    return ControlFlow::Break(());
                };
                window.imp().verification.replace(Some(state));
                window.refresh_identity();
                ControlFlow::Continue(())
            });
        self.imp()
            .tasks
            .borrow_mut()
            .extend([recovery_task, verification_task]);
    }

    /// Asks the server again whether the account has an identity, then shows or hides the
    /// "Verify This Session" group.
    fn refresh_identity(&self) {
        let session = self.session();
        run_or_toast(
            self,
            async move { cross_signing::has_cross_signing_identity(&session).await },
            |window, has| {
                window.imp().has_identity.replace(Some(has));
                window.show_verification();
            },
        );
    }

    fn show_verification(&self) {
        let unverified = *self.imp().verification.borrow() == Some(SessionVerification::Unverified);
        let has_identity = *self.imp().has_identity.borrow() == Some(true);
        let w = self.widgets();
        w.verify_group.set_visible(unverified && has_identity);
        w.this_row.set_title(&if unverified {
            gettext("Session ID · Not verified")
        } else {
            gettext("Session ID")
        });
        self.show_recovery_rows();
    }

    fn show_recovery(&self, state: RecoveryStatus) {
        self.imp().recovery.replace(Some(state));
        let w = self.widgets();
        w.recovery_row.set_subtitle(&match state {
            RecoveryStatus::Unknown => gettext("Checking…"),
            RecoveryStatus::On => gettext("On: your keys are backed up"),
            RecoveryStatus::Incomplete => gettext(
                "Set up, but this session does not have the keys yet: enter your recovery key",
            ),
            RecoveryStatus::Off => gettext("Off"),
        });
        self.show_recovery_rows();
    }

    fn show_recovery_rows(&self) {
        let state = self
            .imp()
            .recovery
            .borrow()
            .unwrap_or(RecoveryStatus::Unknown);
        let unverified = *self.imp().verification.borrow() == Some(SessionVerification::Unverified);
        let w = self.widgets();
        w.reminder_row.set_visible(state == RecoveryStatus::Off);
        w.enable_row.set_visible(state == RecoveryStatus::Off);
        w.change_row.set_visible(state == RecoveryStatus::On);
        w.enter_row.set_visible(state == RecoveryStatus::Incomplete);
        w.disable_row.set_visible(matches!(
            state,
            RecoveryStatus::On | RecoveryStatus::Incomplete
        ));
        w.reset_group
            .set_visible(state == RecoveryStatus::Incomplete || unverified);
    }

    /// Fetches the account's sessions again and lists them.
    pub fn reload_devices(&self) {
        let session = self.session();
        run_or_toast(
            self,
            async move { devices::own_devices(&session).await },
            Self::show_devices,
        );
    }

    fn show_devices(&self, list: Vec<DeviceInfo>) {
        let w = self.widgets();
        for row in self.imp().device_rows.take() {
            w.others_group.remove(&row);
        }
        let mut rows = Vec::new();
        for device in &list {
            if device.is_this_session {
                if !w.name_row.has_focus() {
                    w.name_row
                        .set_text(device.display_name.as_deref().unwrap_or_default());
                }
                continue;
            }
            let subtitle = match last_seen_text(device) {
                Some(seen) => format!("{} · {seen}", device.device_id),
                None => device.device_id.clone(),
            };
            let row = crate::ui::widgets::plain_row(&device_name(device), &subtitle);
            row.set_subtitle_lines(3);
            row.set_widget_name(&device.device_id);
            let (icon, label) = if device.is_verified {
                ("security-high-symbolic", gettext("Verified"))
            } else {
                ("security-low-symbolic", gettext("Not verified"))
            };
            let badge = labelled_image(icon, &label);
            if !device.is_verified {
                badge.add_css_class("warning");
            }
            row.add_prefix(&badge);
            if !device.is_verified {
                let verify = icon_button(
                    "emblem-ok-symbolic",
                    &gettext_f("Verify {session}", &[("session", &device_name(device))]),
                );
                verify.set_action_name(Some("settings.verify-device"));
                verify.set_action_target_value(Some(&device.device_id.to_variant()));
                verify.set_valign(gtk::Align::Center);
                verify.add_css_class("flat");
                verify.add_css_class("touch-target");
                row.add_suffix(&verify);
            }
            let sign_out = icon_button(
                "system-log-out-symbolic",
                &gettext_f("Sign Out {session}", &[("session", &device_name(device))]),
            );
            sign_out.set_action_name(Some("settings.sign-out-device"));
            sign_out.set_action_target_value(Some(&device.device_id.to_variant()));
            sign_out.set_valign(gtk::Align::Center);
            sign_out.add_css_class("flat");
            sign_out.add_css_class("touch-target");
            row.add_suffix(&sign_out);
            w.others_group.add(&row);
            rows.push(row);
        }
        if rows.is_empty() {
            let row = adw::ActionRow::builder()
                .use_markup(false)
                .title(gettext("No other sessions"))
                .build();
            w.others_group.add(&row);
            rows.push(row);
        }
        self.imp().device_rows.replace(rows);
        self.imp().devices.replace(list);
    }

    /// The sessions listed, this one first, as the engine gave them.
    pub fn devices(&self) -> Vec<DeviceInfo> {
        self.imp().devices.borrow().clone()
    }

    /// The rows of the other sessions: (device ID, title, subtitle).
    pub fn other_session_rows(&self) -> Vec<(String, String, String)> {
        self.imp()
            .device_rows
            .borrow()
            .iter()
            .map(|row| {
                (
                    row.widget_name().to_string(),
                    row.title().to_string(),
                    row.subtitle().map(|s| s.to_string()).unwrap_or_default(),
                )
            })
            .collect()
    }

    /// The name field of this session.
    pub fn name_row(&self) -> adw::EntryRow {
        self.widgets().name_row.clone()
    }

    /// The recovery state shown.
    pub fn recovery_status(&self) -> Option<RecoveryStatus> {
        *self.imp().recovery.borrow()
    }

    /// The recovery state's text.
    pub fn recovery_text(&self) -> String {
        self.widgets()
            .recovery_row
            .subtitle()
            .map(|s| s.to_string())
            .unwrap_or_default()
    }

    /// True while the reminder to turn on recovery shows.
    pub fn shows_recovery_reminder(&self) -> bool {
        self.widgets().reminder_row.is_visible()
    }

    /// True while "Verify This Session" shows.
    pub fn offers_verify_this_session(&self) -> bool {
        self.widgets().verify_group.is_visible()
    }

    fn toast(&self, text: &str) {
        self.add_toast(crate::ui::widgets::toast(text));
    }

    fn rename(&self, name: String) {
        if name.trim().is_empty() {
            self.toast(&gettext("Enter a name for this session."));
            return;
        }
        let session = self.session();
        run_or_toast(
            self,
            async move { devices::rename_this_session(&session, &name).await },
            |window, ()| {
                window.toast(&gettext("Session renamed"));
                window.reload_devices();
            },
        );
    }

    fn verifications(&self) -> Option<Arc<Verifications>> {
        let found = self.imp().verifications.get().cloned().flatten();
        if found.is_none() {
            self.toast(&gettext(
                "Sotto is still connecting. Try again in a moment.",
            ));
        }
        found
    }

    fn start_verification<F, Fut>(&self, start: F)
    where
        F: FnOnce(Arc<Verifications>) -> Fut,
        Fut: std::future::Future<
                Output = crate::engine::Result<
                    crate::engine::trust::verification::VerificationFlow,
                >,
            > + Send
            + 'static,
    {
        let Some(verifications) = self.verifications() else {
            return;
        };
        run_or_toast(self, start(verifications), |window, flow| {
            let dialog = VerificationDialog::present_flow(Some(window.upcast_ref()), flow);
            dialog.connect_destroy(glib::clone!(
                #[weak]
                window,
                move |_| window.reload_devices()
            ));
        });
    }

    fn verify_device(&self, device_id: String) {
        self.start_verification(move |v| async move { v.verify_own_device(&device_id).await });
    }

    fn verify_this_session(&self) {
        self.start_verification(|v| async move { v.verify_this_session().await });
    }

    fn sign_out_device(&self, device_id: String, problem: Option<String>) {
        let name = self
            .devices()
            .iter()
            .find(|d| d.device_id == device_id)
            .map_or_else(|| device_id.clone(), device_name);
        let body = problem.unwrap_or_else(|| {
            gettext_f(
                "{session} will be signed out and lose access to your messages. Enter your account password to confirm.",
                &[("session", &name)],
            )
        });
        let weak = self.downgrade();
        ask_password(
            self,
            &gettext("Sign Out Session?"),
            &body,
            &gettext("_Sign Out"),
            true,
            move |password| {
                let Some(window) = weak.upgrade() else {
                    return;
                };
                let session = window.session();
                let device = device_id.clone();
                let id = device.clone();
                let signing_out = async move {
                    devices::sign_out_session(&session, &id, Some(password.as_str())).await
                };
                run_for(&window, signing_out, move |window, result| match result {
                    Ok(()) => {
                        window.toast(&gettext("Session signed out"));
                        window.reload_devices();
                    }
                    Err(err @ (EngineError::WrongPassword | EngineError::PasswordNeeded)) => {
                        window.sign_out_device(device, Some(describe(&err)));
                    }
                    Err(err) => window.toast(&describe(&err)),
                });
            },
        );
    }

    fn enter_recovery_key(&self, problem: Option<String>) {
        let weak = self.downgrade();
        ask_recovery_key(self, problem.as_deref(), move |key| {
            let Some(window) = weak.upgrade() else {
                return;
            };
            if key.trim().is_empty() {
                window.enter_recovery_key(Some(gettext("Enter your recovery key or passphrase.")));
                return;
            }
            let session = window.session();
            let recovering = async move { recovery::recover(&session, &key).await };
            run_for(&window, recovering, |window, result| match result {
                Ok(()) => {
                    window.toast(&gettext("This session is verified"));
                    window.refresh_identity();
                    window.reload_devices();
                }
                Err(err @ EngineError::WrongRecoveryKey) => {
                    window.enter_recovery_key(Some(describe(&err)));
                }
                Err(err) => window.toast(&describe(&err)),
            });
        });
    }

    fn show_new_key<Fut>(&self, making: Fut)
    where
        Fut: std::future::Future<Output = crate::engine::Result<recovery::RecoveryKey>>
            + Send
            + 'static,
    {
        run_or_toast(self, making, |window, key| {
            show_recovery_key(window, key, || {});
        });
    }

    fn enable_recovery(&self) {
        let session = self.session();
        self.toast(&gettext("Turning on recovery…"));
        self.show_new_key(async move { recovery::enable_recovery(&session, None).await });
    }

    fn change_recovery_key(&self) {
        let session = self.session();
        self.show_new_key(async move { recovery::reset_recovery_key(&session, None).await });
    }

    fn confirm_disable_recovery(&self) {
        crate::ui::dialogs::confirm_destructive(
            self,
            &gettext("Turn Off Recovery?"),
            &gettext(
                "The key backup is deleted from the homeserver. If you then lose all your sessions, your encrypted messages cannot be read anymore.",
            ),
            &gettext("_Turn Off"),
            glib::clone!(
                #[weak(rename_to = window)]
                self,
                move || {
                    let session = window.session();
                    run_or_toast(
                        &window,
                        async move { recovery::disable_recovery(&session).await },
                        |window, ()| window.toast(&gettext("Recovery is off")),
                    );
                }
            ),
        );
    }

    fn confirm_reset_identity(&self) {
        crate::ui::dialogs::confirm_destructive(
            self,
            &gettext("Reset Your Identity?"),
            &gettext(
                "Only do this if you lost your recovery key and have no other verified session. Your encrypted history becomes unreadable, everyone you verified must verify you again, and the people you talk to are warned that your identity changed.",
            ),
            &gettext("_Reset Identity"),
            glib::clone!(
                #[weak(rename_to = window)]
                self,
                move || window.reset_identity(None)
            ),
        );
    }

    fn reset_identity(&self, problem: Option<String>) {
        let body = problem
            .unwrap_or_else(|| gettext("Enter your account password to reset your identity."));
        let weak = self.downgrade();
        ask_password(
            self,
            &gettext("Reset Your Identity"),
            &body,
            &gettext("_Reset Identity"),
            true,
            move |password| {
                let Some(window) = weak.upgrade() else {
                    return;
                };
                let session = window.session();
                let resetting = async move {
                    recovery::reset_identity(&session, Some(password.as_str())).await
                };
                run_for(&window, resetting, |window, result| match result {
                    Ok(()) => {
                        inform(
                            window,
                            &gettext("Identity Reset"),
                            &gettext(
                                "This session is verified with your new identity. Turn on recovery again so you do not get locked out.",
                            ),
                        );
                        window.refresh_identity();
                        window.reload_devices();
                    }
                    Err(err @ (EngineError::WrongPassword | EngineError::PasswordNeeded)) => {
                        window.reset_identity(Some(describe(&err)));
                    }
                    Err(err) => window.toast(&describe(&err)),
                });
            },
        );
    }

    /// Lets the window keep the "encrypt only for verified devices" setting in `profile`
    /// (the switch works only then).
    pub fn set_accounts(&self, accounts: Accounts) {
        let user_id = self.session().user_id();
        let stored = accounts.account_key_sharing(&user_id);
        self.imp().accounts.replace(Some(accounts));
        let switch = &self.widgets().verified_only;
        match stored {
            Ok(stored) => {
                // Shows what is stored (and applies once the account opens again).
                switch.set_active(stored == KeySharing::VerifiedDevicesOnly);
                switch.set_sensitive(true);
            }
            Err(err) => self.toast(&describe(&err)),
        }
        self.imp().key_sharing_changed.set(false);
    }

    /// The "encrypt only for verified devices" switch.
    pub fn verified_only_switch(&self) -> gtk::Switch {
        self.widgets().verified_only.clone()
    }

    /// True when the stored "encrypt only for verified devices" setting differs from the
    /// one the open session uses: the window opens the account again on close.
    pub fn key_sharing_changed(&self) -> bool {
        self.imp().key_sharing_changed.get()
    }

    /// Like `key_sharing_changed`, and forgets it (the change is being applied).
    pub fn take_key_sharing_changed(&self) -> bool {
        self.imp().key_sharing_changed.replace(false)
    }

    fn key_sharing_toggled(&self, on: bool) {
        let Some(accounts) = self.imp().accounts.borrow().clone() else {
            return;
        };
        let wanted = if on {
            KeySharing::VerifiedDevicesOnly
        } else {
            KeySharing::VouchedDevices
        };
        let session = self.session();
        if let Err(err) = accounts.set_account_key_sharing(&session.user_id(), wanted) {
            self.toast(&describe(&err));
            return;
        }
        let changed = wanted != session.key_sharing();
        let was_changed = self.imp().key_sharing_changed.replace(changed);
        if changed && !was_changed {
            self.toast(&gettext(
                "Sotto opens your account again to apply this when you close the settings.",
            ));
        }
    }

    /// The last message about a room key export or import.
    pub fn key_file_message(&self) -> String {
        self.imp().key_message.borrow().clone()
    }

    /// True while a room key export or import runs.
    pub fn key_file_busy(&self) -> bool {
        self.widgets().keys_spinner.is_visible()
    }

    fn key_file_running(&self, running: bool, text: &str) {
        let w = self.widgets();
        w.keys_spinner.set_visible(running);
        w.keys_spinner.set_spinning(running);
        w.export_row.set_sensitive(!running);
        w.import_row.set_sensitive(!running);
        // A group's description is markup; the running text may name a file.
        w.keys_group.set_description(Some(&if running {
            gtk::glib::markup_escape_text(text).to_string()
        } else {
            gettext(
                "Save the keys of your encrypted messages in a file locked with a passphrase, or read such a file into this session.",
            )
        }));
    }

    fn key_file_done(&self, text: String) {
        self.key_file_running(false, "");
        self.toast(&text);
        self.imp().key_message.replace(text);
    }

    fn keep_chooser(&self, chooser: gtk::FileChooserNative) {
        self.imp().chooser.replace(Some(chooser));
    }

    /// Asks for a new passphrase (twice), then where to save the export. A weak passphrase
    /// asks again, saying why.
    fn export_keys(&self, problem: Option<String>) {
        let weak = self.downgrade();
        ask_passphrase(
            self,
            &gettext("Export Room Keys"),
            &gettext(
                "Choose a passphrase for the file. Anyone with the file and the passphrase can read your encrypted messages, so keep both safe.",
            ),
            &gettext("_Continue"),
            true,
            problem.as_deref(),
            move |passphrase| {
                let Some(window) = weak.upgrade() else {
                    return;
                };
                if let Err(err) = recovery::check_export_passphrase(&passphrase) {
                    window.export_keys(Some(describe(&err)));
                    return;
                }
                let weak = window.downgrade();
                let chooser = choose_save_path(
                    &window,
                    &gettext("Export Room Keys"),
                    EXPORT_FILE_NAME,
                    move |path| {
                        if let Some(window) = weak.upgrade() {
                            window.export_keys_to(path, passphrase.to_string());
                        }
                    },
                );
                window.keep_chooser(chooser);
            },
        );
    }

    /// Writes every room key of the session into `path`, locked with `passphrase`, with
    /// the progress and the outcome on the page (what the Export button runs once the
    /// person chose the file).
    pub fn export_keys_to(&self, path: PathBuf, passphrase: String) {
        let passphrase = Zeroizing::new(passphrase);
        self.key_file_running(true, &gettext("Exporting room keys…"));
        let session = self.session();
        let file = key_files::shown_name(&path);
        run_for(
            self,
            async move { recovery::export_room_keys(&session, path, &passphrase).await },
            move |window, result| {
                window.key_file_done(match result {
                    Ok(()) => gettext_f("Room keys saved to {file}", &[("file", &file)]),
                    Err(err) => describe(&err),
                });
            },
        );
    }

    /// Asks for the file, then its passphrase.
    fn import_keys(&self) {
        let weak = self.downgrade();
        let chooser = choose_open_path(self, &gettext("Import Room Keys"), move |path| {
            if let Some(window) = weak.upgrade() {
                window.ask_import_passphrase(path, None);
            }
        });
        self.keep_chooser(chooser);
    }

    fn ask_import_passphrase(&self, path: PathBuf, problem: Option<String>) {
        let weak = self.downgrade();
        ask_passphrase(
            self,
            &gettext("Import Room Keys"),
            &gettext_f(
                "Enter the passphrase of {file}.",
                &[("file", &key_files::shown_name(&path))],
            ),
            &gettext("_Import"),
            false,
            problem.as_deref(),
            move |passphrase| {
                if let Some(window) = weak.upgrade() {
                    window.import_keys_from(path.clone(), passphrase.to_string());
                }
            },
        );
    }

    /// Reads the room keys in `path` with `passphrase`, with the progress and the outcome
    /// on the page. A wrong passphrase asks again, saying so.
    pub fn import_keys_from(&self, path: PathBuf, passphrase: String) {
        let passphrase = Zeroizing::new(passphrase);
        self.key_file_running(true, &gettext("Importing room keys…"));
        let session = self.session();
        let file = path.clone();
        let importing =
            async move { recovery::import_room_keys(&session, file, &passphrase).await };
        run_for(self, importing, move |window, result| match result {
            Ok(counts) => {
                let total = u32::try_from(counts.total).unwrap_or(u32::MAX);
                window.key_file_done(
                    ngettext(
                        "Imported {new} new of {total} room key",
                        "Imported {new} new of {total} room keys",
                        total,
                    )
                    .replace("{new}", &counts.imported.to_string())
                    .replace("{total}", &counts.total.to_string()),
                );
            }
            Err(err @ EngineError::WrongKeyFilePassphrase) => {
                let text = describe(&err);
                window.key_file_done(text.clone());
                window.ask_import_passphrase(path, Some(text));
            }
            Err(err) => window.key_file_done(describe(&err)),
        });
    }
}

impl crate::ui::widgets::Toasts for AccountSettings {
    fn show_toast(&self, text: &str) {
        self.toast(text);
    }
}
