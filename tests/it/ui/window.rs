//! The adaptive main window: one pane at a time at the Librem 5's 360×720, both panes side
//! by side on a desktop-sized window.

use gtk::prelude::*;
use sotto::ui::window::{Pane, Window};

use crate::harness::TestProfile;
use crate::harness::ui::{app, on_gtk_thread, open_window, present_at, screenshot, settle};

#[test]
fn phone_width_shows_one_pane_with_a_back_button() {
    let (test, _) = TestProfile::signed_in("phone-layout");
    let profile = test.profile.clone();
    on_gtk_thread(move || {
        let window = open_window(profile, 360, 720, "session");
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
    let profile = test.profile.clone();
    on_gtk_thread(move || {
        let window = open_window(profile, 1280, 800, "session");
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
