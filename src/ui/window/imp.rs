use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{CompositeTemplate, glib};

#[derive(Debug, Default, CompositeTemplate)]
#[template(resource = "/chat/sotto/Sotto/ui/window.ui")]
pub struct Window {
    #[template_child]
    pub toast_overlay: TemplateChild<adw::ToastOverlay>,
    #[template_child]
    pub leaflet: TemplateChild<adw::Leaflet>,
    #[template_child]
    pub sidebar: TemplateChild<gtk::Box>,
    #[template_child]
    pub content: TemplateChild<gtk::Box>,
    #[template_child]
    pub back_button: TemplateChild<gtk::Button>,
    #[template_child]
    pub content_title: TemplateChild<adw::WindowTitle>,
}

#[glib::object_subclass]
impl ObjectSubclass for Window {
    const NAME: &'static str = "SottoWindow";
    type Type = super::Window;
    type ParentType = adw::ApplicationWindow;

    fn class_init(klass: &mut Self::Class) {
        klass.bind_template();
        klass.install_action("win.back", None, |window, _, _| {
            window.show_pane(super::Pane::Sidebar);
        });
        klass.add_binding_action(
            gtk::gdk::Key::Left,
            gtk::gdk::ModifierType::ALT_MASK,
            "win.back",
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
