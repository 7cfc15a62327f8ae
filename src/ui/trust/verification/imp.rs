use std::cell::{OnceCell, RefCell};

use adw::subclass::prelude::*;
use gtk::{CompositeTemplate, gio, glib};

use crate::engine::trust::verification::{FlowState, VerificationFlow};

#[derive(Default, CompositeTemplate)]
#[template(resource = "/chat/sotto/Sotto/ui/verification-dialog.ui")]
pub struct VerificationDialog {
    #[template_child]
    pub(super) toasts: TemplateChild<adw::ToastOverlay>,
    #[template_child]
    pub(super) stack: TemplateChild<gtk::Stack>,
    #[template_child]
    pub(super) request_page: TemplateChild<adw::StatusPage>,
    #[template_child]
    pub(super) accept_button: TemplateChild<gtk::Button>,
    #[template_child]
    pub(super) decline_button: TemplateChild<gtk::Button>,
    #[template_child]
    pub(super) wait_page: TemplateChild<adw::StatusPage>,
    #[template_child]
    pub(super) start_button: TemplateChild<gtk::Button>,
    #[template_child]
    pub(super) emoji_box: TemplateChild<gtk::FlowBox>,
    #[template_child]
    pub(super) decimals_label: TemplateChild<gtk::Label>,
    #[template_child]
    pub(super) done_page: TemplateChild<adw::StatusPage>,
    #[template_child]
    pub(super) cancelled_page: TemplateChild<adw::StatusPage>,
    pub(super) flow: RefCell<Option<VerificationFlow>>,
    pub(super) state: RefCell<Option<FlowState>>,
    pub(super) follower: RefCell<Option<glib::JoinHandle<()>>>,
    pub(super) actions: OnceCell<gio::SimpleActionGroup>,
}

#[glib::object_subclass]
impl ObjectSubclass for VerificationDialog {
    const NAME: &'static str = "SottoVerificationDialog";
    type Type = super::VerificationDialog;
    type ParentType = adw::Window;

    fn class_init(klass: &mut Self::Class) {
        klass.bind_template();
    }

    fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
        obj.init_template();
    }
}

impl ObjectImpl for VerificationDialog {
    fn dispose(&self) {
        if let Some(follower) = self.follower.take() {
            follower.abort();
        }
    }
}
impl WidgetImpl for VerificationDialog {}
impl WindowImpl for VerificationDialog {
    fn close_request(&self) -> glib::Propagation {
        // Closing the dialog mid-way ends the verification on both sides.
        self.obj().cancel_if_running();
        self.parent_close_request()
    }
}
impl AdwWindowImpl for VerificationDialog {}
