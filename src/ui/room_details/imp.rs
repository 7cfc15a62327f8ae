use adw::subclass::prelude::*;
use gtk::{CompositeTemplate, glib};

#[derive(Default, CompositeTemplate)]
#[template(resource = "/chat/sotto/Sotto/ui/room-details.ui")]
pub struct RoomDetailsWindow {
    #[template_child]
    pub(super) page: TemplateChild<adw::PreferencesPage>,
    #[template_child]
    pub(super) loading_group: TemplateChild<adw::PreferencesGroup>,
    #[template_child]
    pub(super) problem_group: TemplateChild<adw::PreferencesGroup>,
    #[template_child]
    pub(super) problem_page: TemplateChild<adw::StatusPage>,
    #[template_child]
    pub(super) picture_group: TemplateChild<adw::PreferencesGroup>,
    #[template_child]
    pub(super) picture_box: TemplateChild<gtk::Box>,
    #[template_child]
    pub(super) about_group: TemplateChild<adw::PreferencesGroup>,
    #[template_child]
    pub(super) notifications_group: TemplateChild<adw::PreferencesGroup>,
    #[template_child]
    pub(super) notifications_row: TemplateChild<adw::ComboRow>,
    #[template_child]
    pub(super) members_group: TemplateChild<adw::PreferencesGroup>,
    #[template_child]
    pub(super) leave_group: TemplateChild<adw::PreferencesGroup>,
    #[template_child]
    pub(super) leave_button: TemplateChild<gtk::Button>,
}

#[glib::object_subclass]
impl ObjectSubclass for RoomDetailsWindow {
    const NAME: &'static str = "SottoRoomDetails";
    type Type = super::RoomDetailsWindow;
    type ParentType = adw::PreferencesWindow;

    fn class_init(klass: &mut Self::Class) {
        klass.bind_template();
    }

    fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
        obj.init_template();
    }
}

impl ObjectImpl for RoomDetailsWindow {}
impl WidgetImpl for RoomDetailsWindow {}
impl WindowImpl for RoomDetailsWindow {}
impl AdwWindowImpl for RoomDetailsWindow {}
impl PreferencesWindowImpl for RoomDetailsWindow {}
