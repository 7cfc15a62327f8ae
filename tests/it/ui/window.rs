//! The adaptive main window: one pane at a time at the Librem 5's 360×720, both panes side
//! by side on a desktop-sized window.

use gtk::prelude::*;
use sotto::ui::window::{Pane, Window};

use crate::harness::TestProfile;
use crate::harness::ui::{app, on_gtk_thread, open_window, present_at, screenshot, settle};

#[test]
fn phone_width_shows_one_pane_with_a_back_button() {
    let (test, _) = TestProfile::signed_in("phone-layout");
    let accounts = test.accounts.clone();
    on_gtk_thread(move || {
        let window = open_window(accounts, 360, 720, "session");
        assert!(window.is_folded(), "360 px is too narrow for both panes");
        assert_eq!(window.visible_panes(), vec![Pane::Sidebar]);
        screenshot(&window, "main-window-360x720");

        window.show_pane(Pane::Content);
        settle();
        assert_eq!(window.visible_panes(), vec![Pane::Content]);
        let back = window.back_button();
        assert!(
            back.is_visible() && back.is_mapped(),
            "the back button shows when folded"
        );
        assert_eq!(back.tooltip_text().as_deref(), Some("Back"));
        screenshot(&window, "main-window-360x720-content");

        // The back button goes back to the conversation list.
        assert!(back.activate_action("win.back", None).is_ok());
        settle();
        assert_eq!(window.visible_panes(), vec![Pane::Sidebar]);
        window.destroy();
    });
}

#[test]
fn desktop_width_shows_both_panes() {
    let (test, _) = TestProfile::signed_in("desktop-layout");
    let accounts = test.accounts.clone();
    on_gtk_thread(move || {
        let window = open_window(accounts, 1280, 800, "session");
        assert!(!window.is_folded(), "1280 px fits both panes");
        assert_eq!(window.visible_panes(), vec![Pane::Sidebar, Pane::Content]);
        assert!(
            !window.back_button().is_visible(),
            "no back button side by side"
        );
        screenshot(&window, "main-window-1280x800");
        window.destroy();
    });
}

#[test]
fn about_window_opens() {
    on_gtk_thread(|| {
        let app = app();
        let window = Window::new(&app);
        present_at(&window, 360, 720);
        let about = sotto::ui::application::show_about(&app);
        settle();
        assert!(about.is_visible());
        assert_eq!(about.application_name(), "Sotto");
        about.destroy();
        window.destroy();
    });
}

#[test]
fn the_keyboard_shortcuts_open_and_go_with_their_window() {
    on_gtk_thread(|| {
        let app = app();
        // Shown, or hidden but still pointing at a window.
        let shortcuts_windows = || -> Vec<gtk::ShortcutsWindow> {
            gtk::Window::list_toplevels()
                .into_iter()
                .filter_map(|w| w.downcast::<gtk::ShortcutsWindow>().ok())
                .filter(|w| w.is_visible() || w.transient_for().is_some())
                .collect()
        };
        let window = Window::new(&app);
        present_at(&window, 1280, 800);
        assert!(shortcuts_windows().is_empty(), "built only when asked for");
        assert!(WidgetExt::activate_action(&window, "win.show-help-overlay", None).is_ok());
        settle();
        let shown = shortcuts_windows();
        assert_eq!(shown.len(), 1, "Ctrl+? shows the shortcuts");
        assert!(shown[0].is_visible(), "Ctrl+? shows the shortcuts");
        assert_eq!(
            shown[0].transient_for().as_ref(),
            Some(window.upcast_ref::<gtk::Window>()),
            "over the window that asked"
        );
        let keys: Vec<(String, String)> =
            crate::harness::ui::all::<gtk::ShortcutsShortcut>(&shown[0])
                .into_iter()
                .filter_map(|s| Some((s.action_name()?.to_string(), s.accelerator()?.to_string())))
                .collect();
        for (action, accel) in [
            ("win.show-help-overlay", "<Control>question"),
            ("win.search", "<Control>f"),
            ("app.quit", "<Control>q"),
        ] {
            assert!(
                keys.contains(&(action.to_owned(), accel.to_owned())),
                "{action} shows {accel}: {keys:?}"
            );
        }
        screenshot(&shown[0], "keyboard-shortcuts");
        drop(shown);
        // The window goes while they are open: they go with it.
        window.destroy();
        drop(window);
        settle();
        assert!(
            shortcuts_windows().is_empty(),
            "nothing left pointing at a window gone"
        );
    });
}

#[test]
fn the_stylesheet_parses_without_errors() {
    // GTK drops the rest of a style sheet after a syntax error, silently; this catches it.
    let errors = on_gtk_thread(|| {
        let _ = app();
        let provider = gtk::CssProvider::new();
        let errors = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let seen = errors.clone();
        provider.connect_parsing_error(move |_, section, error| {
            seen.borrow_mut()
                .push(format!("{}: {error}", section.to_str()));
        });
        // The check itself works: a block left open is reported.
        provider.load_from_data(".broken { padding: 0\n.next { margin: 0; }");
        assert!(!errors.borrow().is_empty(), "a broken sheet is reported");
        errors.borrow_mut().clear();
        provider.load_from_resource(&format!("{}/style.css", sotto::config::RESOURCE_BASE));
        errors.borrow().clone()
    });
    assert!(errors.is_empty(), "style.css has errors: {errors:#?}");
}
