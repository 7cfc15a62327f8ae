//! The application: actions, accelerators, the About window, and the main window.

use adw::prelude::*;
use gtk::{gio, glib};

use crate::config::{APP_ID, RESOURCE_BASE, VERSION};
use crate::engine::paths::Paths;
use crate::engine::profile::Profile;
use crate::engine::secrets::SecretStore;
use crate::i18n::gettext;
use crate::ui::window::Window;

/// Creates the application with its actions; `activate` opens the main window.
pub fn build() -> adw::Application {
    let app = adw::Application::builder()
        .application_id(APP_ID)
        .resource_base_path(RESOURCE_BASE)
        .build();
    add_actions(&app);
    app.connect_activate(|app| {
        crate::startup_trace::mark("application activated");
        present_main_window(app);
    });
    app
}

/// Builds and runs the application until its last window closes.
pub fn run() -> glib::ExitCode {
    glib::set_application_name("Sotto");
    gtk::Window::set_default_icon_name(APP_ID);
    build().run()
}

/// The main window of `app`, created on first use.
pub fn present_main_window(app: &adw::Application) -> Window {
    let window = app
        .windows()
        .into_iter()
        .find_map(|w| w.downcast::<Window>().ok())
        .unwrap_or_else(|| {
            let window = Window::new(app);
            crate::startup_trace::mark("main window built");
            match crate::ui::window::take_head_start() {
                Some(head_start) => window.start_head_start(head_start),
                None => window.start(profile_from_env()),
            }
            window
        });
    GtkWindowExt::present(&window);
    crate::startup_trace::mark("main window presented");
    if crate::startup_trace::enabled()
        && let Some(clock) = window.frame_clock()
    {
        let handler = std::rc::Rc::new(std::cell::Cell::new(None));
        let slot = handler.clone();
        handler.set(Some(clock.connect_after_paint(move |clock| {
            crate::startup_trace::mark("first window frame painted");
            if let Some(id) = slot.take() {
                clock.disconnect(id);
            }
        })));
    }
    window
}

/// The profile Sotto opens: its folders from the environment (`XDG_*`), its secrets in
/// the Secret Service.
pub fn profile_from_env() -> Profile {
    Profile::new(Paths::from_env(), SecretStore::new())
}

fn add_actions(app: &adw::Application) {
    let quit = gio::ActionEntry::builder("quit")
        .activate(|app: &adw::Application, _, _| {
            // Closing the windows lets them save their state first.
            for window in app.windows() {
                window.close();
            }
            app.quit();
        })
        .build();
    let about = gio::ActionEntry::builder("about")
        .activate(|app: &adw::Application, _, _| {
            show_about(app);
        })
        .build();
    app.add_action_entries([quit, about]);
    app.set_accels_for_action("app.quit", &["<Control>q"]);
    app.set_accels_for_action("window.close", &["<Control>w"]);
    app.set_accels_for_action("win.show-help-overlay", &["<Control>question"]);
    app.set_accels_for_action("win.preferences", &["<Control>comma"]);
}

/// Shows the About window over the active window.
pub fn show_about(app: &adw::Application) -> adw::AboutWindow {
    let about = adw::AboutWindow::builder()
        .application_name("Sotto")
        .application_icon(APP_ID)
        .version(VERSION)
        .developer_name(gettext("The Sotto developers"))
        .comments(gettext(
            "End-to-end encrypted Matrix chat. Your keys and tokens never leave this device.",
        ))
        .license_type(gtk::License::Gpl30)
        // Translators: put your names here, one per line.
        .translator_credits(gettext("translator-credits"))
        .modal(true)
        .build();
    about.set_transient_for(app.active_window().as_ref());
    GtkWindowExt::present(&about);
    about
}
