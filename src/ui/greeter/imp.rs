use std::cell::{Cell, RefCell};

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{CompositeTemplate, glib};

#[derive(Default, CompositeTemplate)]
#[template(resource = "/chat/sotto/Sotto/ui/greeter.ui")]
pub struct Greeter {
    #[template_child]
    pub homeserver_row: TemplateChild<adw::EntryRow>,
    #[template_child]
    pub username_row: TemplateChild<adw::EntryRow>,
    #[template_child]
    pub password_row: TemplateChild<adw::PasswordEntryRow>,
    #[template_child]
    pub error_label: TemplateChild<gtk::Label>,
    #[template_child]
    pub sign_in_button: TemplateChild<gtk::Button>,
    #[template_child]
    pub sign_in_stack: TemplateChild<gtk::Stack>,
    #[template_child]
    pub spinner: TemplateChild<gtk::Spinner>,
    #[template_child]
    pub cancel_button: TemplateChild<gtk::Button>,
    /// The server last filled in from a full Matrix ID (replaced while the person types).
    pub filled_server: RefCell<String>,
    pub busy: Cell<bool>,
}

#[glib::object_subclass]
impl ObjectSubclass for Greeter {
    const NAME: &'static str = "SottoGreeter";
    type Type = super::Greeter;
    type ParentType = adw::Bin;

    fn class_init(klass: &mut Self::Class) {
        klass.bind_template();
        klass.install_action("greeter.sign-in", None, |greeter, _, _| greeter.submit());
        klass.install_action("greeter.cancel", None, |greeter, _, _| {
            greeter.emit_by_name::<()>(super::CANCEL, &[]);
        });
    }

    fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
        obj.init_template();
    }
}

impl ObjectImpl for Greeter {
    fn signals() -> &'static [glib::subclass::Signal] {
        static SIGNALS: std::sync::OnceLock<Vec<glib::subclass::Signal>> =
            std::sync::OnceLock::new();
        SIGNALS.get_or_init(|| {
            vec![
                // The person asks to sign in with these credentials.
                glib::subclass::Signal::builder(super::SUBMIT)
                    .param_types([super::Credentials::static_type()])
                    .build(),
                // The person cancels adding an account.
                glib::subclass::Signal::builder(super::CANCEL).build(),
            ]
        })
    }

    fn constructed(&self) {
        self.parent_constructed();
        let obj = self.obj();
        self.username_row.connect_changed(glib::clone!(
            #[weak]
            obj,
            move |_| obj.username_changed()
        ));
        for row in [
            self.homeserver_row.upcast_ref::<gtk::Editable>(),
            self.password_row.upcast_ref(),
        ] {
            row.connect_changed(glib::clone!(
                #[weak]
                obj,
                move |_| obj.update_sensitivity()
            ));
        }
        obj.update_sensitivity();
    }
}

impl WidgetImpl for Greeter {
    fn map(&self) {
        self.parent_map();
        // Enter in any field signs in.
        if let Some(window) = self.obj().root().and_downcast::<gtk::Window>() {
            window.set_default_widget(Some(&*self.sign_in_button));
        }
    }
}

impl BinImpl for Greeter {}
