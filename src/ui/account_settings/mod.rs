//! The account settings window, a template (`account-settings.ui`, beside this file) with
//! a file per page: the account's profile (name and avatar, `profile`), its sessions
//! (rename this one, verify or sign out the others, verify this one, `sessions`), recovery
//! (turn on, change the key, turn off, reset the identity, `recovery`) and the room key
//! files and who messages are encrypted for (`encryption`). Its buttons are actions of the
//! group `settings`, so tests and keyboard users reach them the same way.

use std::cell::{Cell, OnceCell, RefCell};
use std::ops::ControlFlow;
use std::sync::Arc;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gio, glib};

use crate::engine::accounts::Accounts;
use crate::engine::session::Session;
use crate::engine::trust::cross_signing::{self, SessionVerification};
use crate::engine::trust::devices::DeviceInfo;
use crate::engine::trust::recovery::{RecoveryStatus, recovery_state, recovery_states};
use crate::engine::trust::verification::Verifications;
use crate::ui::avatars::EditableAvatar;
use crate::ui::bridge::forward_stream;

mod encryption;
mod profile;
mod recovery;
mod sessions;

/// An action of the window and what it runs.
type Plain = (&'static str, fn(&AccountSettings));
/// An action that names a device, and what it runs.
type WithDevice = (&'static str, fn(&AccountSettings, String));

mod imp {
    use gtk::CompositeTemplate;

    use super::*;

    #[derive(Default, CompositeTemplate)]
    #[template(resource = "/chat/sotto/Sotto/ui/account-settings.ui")]
    pub struct AccountSettings {
        #[template_child]
        pub(super) profile_top: TemplateChild<gtk::Box>,
        #[template_child]
        pub(super) avatar_spinner: TemplateChild<gtk::Spinner>,
        #[template_child]
        pub(super) display_name_row: TemplateChild<adw::EntryRow>,
        #[template_child]
        pub(super) matrix_id_row: TemplateChild<adw::ActionRow>,
        #[template_child]
        pub(super) verify_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) name_row: TemplateChild<adw::EntryRow>,
        #[template_child]
        pub(super) this_row: TemplateChild<adw::ActionRow>,
        #[template_child]
        pub(super) others_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) recovery_row: TemplateChild<adw::ActionRow>,
        #[template_child]
        pub(super) reminder_row: TemplateChild<adw::ActionRow>,
        #[template_child]
        pub(super) enable_row: TemplateChild<adw::ActionRow>,
        #[template_child]
        pub(super) change_row: TemplateChild<adw::ActionRow>,
        #[template_child]
        pub(super) enter_row: TemplateChild<adw::ActionRow>,
        #[template_child]
        pub(super) disable_row: TemplateChild<adw::ActionRow>,
        #[template_child]
        pub(super) reset_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) keys_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) export_row: TemplateChild<adw::ActionRow>,
        #[template_child]
        pub(super) import_row: TemplateChild<adw::ActionRow>,
        #[template_child]
        pub(super) keys_spinner: TemplateChild<gtk::Spinner>,
        #[template_child]
        pub(super) verified_only: TemplateChild<gtk::Switch>,
        /// The avatar with its change and remove buttons (made in code: it needs the
        /// account's Matrix ID).
        pub(super) editable: OnceCell<EditableAvatar>,
        pub(super) session: OnceCell<Session>,
        pub(super) verifications: OnceCell<Option<Arc<Verifications>>>,
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

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
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

impl AccountSettings {
    /// The settings of `session` over `parent`. `verifications` starts emoji verifications
    /// (none until the sync runs).
    pub fn new(
        parent: Option<&gtk::Window>,
        session: Session,
        verifications: Option<Arc<Verifications>>,
    ) -> Self {
        let window: Self = glib::Object::new();
        window.set_transient_for(parent);
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

    /// Fills in and connects what the template cannot: what depends on the session.
    fn build(&self) {
        self.build_profile_page();
        self.build_sessions_page();
        self.build_encryption_group();
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
        self.show_recovery(recovery_state(&session));
        let weak = self.downgrade();
        let recovery_task = forward_stream(recovery_states(&session), move |state| {
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

    fn toast(&self, text: &str) {
        self.add_toast(crate::ui::widgets::toast(text));
    }

    fn keep_chooser(&self, chooser: gtk::FileChooserNative) {
        self.imp().chooser.replace(Some(chooser));
    }
}

impl crate::ui::widgets::Toasts for AccountSettings {
    fn show_toast(&self, text: &str) {
        self.toast(text);
    }
}
