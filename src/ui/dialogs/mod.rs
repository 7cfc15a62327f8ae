//! Small dialogs that ask for a few fields, run one engine call, and hand its result on:
//! New Room, New Direct Chat, Join Room. Each is an `AdwWindow` with a header bar (Cancel,
//! and the action with a spinner while it works), a preferences page of fields, and the
//! error shown inline above them. The generic message dialogs (`generic`) live here too.

mod generic;
mod join_room;
mod new_direct_chat;
mod new_room;

pub use generic::{ask_password, confirm_destructive, inform};
pub use join_room::show_join_room;
pub use new_direct_chat::show_new_direct_chat;
pub use new_room::{NewRoomDialog, show_new_room};

use std::future::Future;

use adw::prelude::*;
use gtk::glib;

use crate::engine::EngineError;
use crate::i18n::gettext;
use crate::ui::bridge::run_for;
use crate::ui::error_text::describe;

/// The frame every dialog here shares.
#[derive(Clone)]
pub struct Form {
    /// The dialog window.
    pub window: adw::Window,
    /// The page the fields go in.
    pub page: adw::PreferencesPage,
    /// The button that runs the dialog's action.
    pub submit: gtk::Button,
    /// Shows while the action runs.
    pub spinner: gtk::Spinner,
    /// The last error, inline above the fields.
    pub error: gtk::Label,
    error_group: adw::PreferencesGroup,
}

impl Form {
    /// A modal dialog over `parent` titled `title`, whose main button says `submit_label`.
    pub fn new(parent: &impl IsA<gtk::Window>, title: &str, submit_label: &str) -> Self {
        let window = adw::Window::builder()
            .title(title)
            .modal(true)
            .transient_for(parent)
            .destroy_with_parent(true)
            .default_width(420)
            .default_height(600)
            .width_request(360)
            .build();
        let cancel = gtk::Button::with_mnemonic(&gettext("_Cancel"));
        let submit = gtk::Button::builder()
            .label(submit_label)
            .use_underline(true)
            .sensitive(false)
            .css_classes(["suggested-action"])
            .build();
        let spinner = gtk::Spinner::builder().visible(false).build();
        spinner.set_tooltip_text(Some(&gettext("Working…")));
        crate::ui::widgets::set_accessible_label(&spinner, &gettext("Working…"));
        let header = adw::HeaderBar::builder()
            .show_end_title_buttons(false)
            .show_start_title_buttons(false)
            .build();
        header.pack_start(&cancel);
        header.pack_end(&submit);
        header.pack_end(&spinner);

        let error = gtk::Label::builder()
            .wrap(true)
            .xalign(0.0)
            .accessible_role(gtk::AccessibleRole::Alert)
            .css_classes(["error"])
            .build();
        let error_group = adw::PreferencesGroup::builder().visible(false).build();
        error_group.add(&error);
        let page = adw::PreferencesPage::new();
        page.add(&error_group);

        let content = gtk::Box::new(gtk::Orientation::Vertical, 0);
        content.append(&header);
        content.append(&page);
        page.set_vexpand(true);
        window.set_content(Some(&content));

        cancel.connect_clicked(glib::clone!(
            #[weak]
            window,
            move |_| window.close()
        ));
        let escape = gtk::ShortcutController::new();
        escape.add_shortcut(gtk::Shortcut::new(
            gtk::ShortcutTrigger::parse_string("Escape"),
            Some(gtk::NamedAction::new("window.close")),
        ));
        window.add_controller(escape);
        window.set_default_widget(Some(&submit));
        Self {
            window,
            page,
            submit,
            spinner,
            error,
            error_group,
        }
    }

    /// Shows `text` as the error above the fields.
    pub fn show_error(&self, text: &str) {
        self.error.set_text(text);
        self.error_group.set_visible(true);
    }

    /// Hides the error.
    pub fn clear_error(&self) {
        self.error_group.set_visible(false);
    }

    fn set_busy(&self, busy: bool) {
        self.spinner.set_visible(busy);
        self.spinner.set_spinning(busy);
        self.submit.set_sensitive(!busy);
        self.page.set_sensitive(!busy);
    }

    /// Runs `work` on the engine with the dialog busy; on success closes the dialog and
    /// calls `done` with the result, else shows the error and keeps what was typed.
    pub fn run<F, T>(&self, work: F, done: impl FnOnce(T) + 'static)
    where
        F: Future<Output = Result<T, EngineError>> + Send + 'static,
        T: Send + 'static,
    {
        self.clear_error();
        self.set_busy(true);
        let form = self.clone();
        // The form (and with it the window) stays alive until the work is done: what it
        // made (a room) is handed on even when the person closed the dialog meanwhile.
        run_for(&self.window, work, move |_, result| {
            form.set_busy(false);
            match result {
                Ok(value) => {
                    form.window.close();
                    done(value);
                }
                Err(err) => form.show_error(&describe(&err)),
            }
        });
    }
}

/// An entry row titled `title`, named so for screen readers too.
fn entry_row(title: &str) -> adw::EntryRow {
    let row = adw::EntryRow::builder()
        .use_markup(false)
        .title(title)
        .build();
    crate::ui::widgets::set_accessible_label(&row, title);
    row
}
