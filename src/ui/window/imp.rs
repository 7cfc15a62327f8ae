use std::cell::{OnceCell, RefCell};

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{CompositeTemplate, glib};

use crate::engine::accounts::AccountEntry;
use crate::engine::accounts::Accounts;
use crate::ui::greeter::Greeter;
use crate::ui::room_list::pane::RoomListPane;

use super::accounts::Active;

#[derive(Default, CompositeTemplate)]
#[template(resource = "/chat/sotto/Sotto/ui/window.ui")]
pub struct Window {
    #[template_child]
    pub toast_overlay: TemplateChild<adw::ToastOverlay>,
    #[template_child]
    pub main_stack: TemplateChild<gtk::Stack>,
    /// The greeter, made the first time it is shown (see `Window::greeter`).
    pub greeter: OnceCell<Greeter>,
    #[template_child]
    pub problem_page: TemplateChild<adw::StatusPage>,
    #[template_child]
    pub problem_retry: TemplateChild<gtk::Button>,
    #[template_child]
    pub problem_sign_in: TemplateChild<gtk::Button>,
    #[template_child]
    pub leaflet: TemplateChild<adw::Leaflet>,
    #[template_child]
    pub sidebar: TemplateChild<gtk::Box>,
    #[template_child]
    pub account_title: TemplateChild<adw::WindowTitle>,
    #[template_child]
    pub account_button: TemplateChild<gtk::MenuButton>,
    #[template_child]
    pub account_popover: TemplateChild<gtk::Popover>,
    #[template_child]
    pub account_list: TemplateChild<gtk::ListBox>,
    #[template_child]
    pub offline_revealer: TemplateChild<gtk::Revealer>,
    #[template_child]
    pub search_button: TemplateChild<gtk::ToggleButton>,
    #[template_child]
    pub room_list_pane: TemplateChild<RoomListPane>,
    #[template_child]
    pub offline_label: TemplateChild<gtk::Label>,
    #[template_child]
    pub content: TemplateChild<gtk::Box>,
    #[template_child]
    pub back_button: TemplateChild<gtk::Button>,
    #[template_child]
    pub content_empty: TemplateChild<adw::StatusPage>,
    #[template_child]
    pub content_stack: TemplateChild<gtk::Stack>,
    /// The conversation pane, made when the first room is opened (see `Window::room_view`).
    pub room_view: OnceCell<crate::ui::room_view::RoomView>,
    /// The conversations opened last on this account, most recent last, kept open so that
    /// going back to one of them does not build its timeline again (see `RECENT_ROOMS`).
    pub recent_timelines: RefCell<Vec<crate::engine::timeline::RoomTimeline>>,
    /// The accounts whose accounts this window shows.
    pub accounts: OnceCell<Accounts>,
    /// The account shown now, with its sync.
    pub active: RefCell<Option<Active>>,
    /// The account whose restore failed, offered to sign in again.
    pub failed: RefCell<Option<AccountEntry>>,
    /// The account soft-logged-out: signing in again keeps its store.
    pub reauth: RefCell<Option<AccountEntry>>,
    /// The room whose menu is open in the list.
    pub menu_room: RefCell<Option<crate::engine::ids::OwnedRoomId>>,
}

#[glib::object_subclass]
impl ObjectSubclass for Window {
    const NAME: &'static str = "SottoWindow";
    type Type = super::Window;
    type ParentType = adw::ApplicationWindow;

    fn class_init(klass: &mut Self::Class) {
        RoomListPane::ensure_type();
        klass.bind_template();
        klass.install_action("win.back", None, |window, _, _| {
            window.show_pane(super::Pane::Sidebar);
        });
        klass.add_binding_action(
            gtk::gdk::Key::Left,
            gtk::gdk::ModifierType::ALT_MASK,
            "win.back",
        );
        klass.install_action("win.search", None, |window, _, _| window.start_search());
        klass.install_action("win.show-help-overlay", None, |window, _, _| {
            window.show_shortcuts();
        });
        klass.install_action("win.retry", None, |window, _, _| window.start_accounts());
        klass.install_action("win.sign-in-again", None, |window, _, _| {
            window.sign_in_again();
        });
        klass.install_action("win.sign-out", None, |window, _, _| {
            window.confirm_sign_out();
        });
        klass.install_action("win.add-account", None, |window, _, _| window.add_account());
        klass.install_action("win.preferences", None, |window, _, _| {
            crate::ui::preferences::show_preferences(window);
        });
        klass.install_action("win.new-room", None, |window, _, _| window.show_new_room());
        klass.install_action("win.new-direct-chat", None, |window, _, _| {
            window.show_new_direct_chat();
        });
        klass.install_action("win.join-room", None, |window, _, _| {
            window.show_join_room();
        });
        klass.install_action(
            "win.open-link",
            Some(glib::VariantTy::STRING),
            |window, _, uri| {
                if let Some(uri) = uri.and_then(|v| v.str()) {
                    window.open_link(uri);
                }
            },
        );
        klass.install_action(
            "win.room-details",
            Some(glib::VariantTy::STRING),
            |window, _, room_id| {
                if let Some(room_id) = room_id
                    .and_then(|v| v.str())
                    .and_then(|id| crate::engine::ids::RoomId::parse(id).ok())
                {
                    window.show_room_details(&room_id);
                }
            },
        );
        klass.install_action("win.account-settings", None, |window, _, _| {
            window.open_account_settings();
        });
        klass.install_action(
            "win.verify-user",
            Some(glib::VariantTy::STRING),
            |window, _, user_id| {
                if let Some(user_id) = user_id
                    .and_then(|v| v.str())
                    .and_then(|id| crate::engine::ids::UserId::parse(id).ok())
                {
                    window.verify_user(&user_id);
                }
            },
        );
    }

    fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
        obj.init_template();
    }
}

impl ObjectImpl for Window {
    fn constructed(&self) {
        self.parent_constructed();
        let obj = self.obj();
        if crate::config::is_development() {
            obj.add_css_class("devel");
        }
        obj.restore_size();
        obj.set_session_actions_enabled(false);
        obj.setup_room_list();
        obj.setup_room_view();
        obj.setup_account_switcher();
        obj.setup_room_menu_actions();
    }

    fn dispose(&self) {
        if let Some(active) = self.active.take() {
            active.stop();
        }
    }
}

impl WidgetImpl for Window {}

impl WindowImpl for Window {
    fn close_request(&self) -> glib::Propagation {
        self.obj().save_size();
        self.parent_close_request()
    }
}

impl ApplicationWindowImpl for Window {}
impl AdwApplicationWindowImpl for Window {}
