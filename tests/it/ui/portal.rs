//! Sotto through the desktop portals (as in a Flatpak), against a portal on the private bus
//! (`harness::portald`): "Start at login" and running in the background ask the Background
//! portal as the specification says and follow its answer, a refusal or a missing portal
//! is said and changes nothing, and notifications count as possible only when the portal
//! has its Notification interface. The portal backend is chosen by the tests, not by the
//! environment of the test process.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use adw::prelude::*;
use gtk::{gio, glib};
use serde_json::Value;
use sotto::ui::portal::{Backend, BackgroundAnswer};

use crate::harness::portald::{self, Portal};
use crate::harness::ui::{all, app, on_gtk_thread, present_at, screenshot, settle, wait_for};

const REFUSED: &str = "Sotto is not allowed to start at login. Allow it in the system settings.";
const UNAVAILABLE: &str = "Starting at login is not available here.";

fn session_bus() -> gio::DBusConnection {
    gio::bus_get_sync(gio::BusType::Session, None::<&gio::Cancellable>).unwrap()
}

/// Runs `ask` (a request to the portal) on the GTK thread's main loop until it answers.
fn answer_of(
    ask: impl FnOnce(gio::DBusConnection) -> std::pin::Pin<Box<dyn Future<Output = BackgroundAnswer>>>
    + Send
    + 'static,
) -> BackgroundAnswer {
    on_gtk_thread(move || {
        let answer = Rc::new(RefCell::new(None));
        let slot = answer.clone();
        glib::MainContext::default().spawn_local(async move {
            let answered = ask(session_bus()).await;
            slot.replace(Some(answered));
        });
        wait_for(
            "the portal's answer",
            Duration::from_secs(15),
            || answer.borrow().is_some(),
            || "none came".into(),
        );
        answer.take().unwrap()
    })
}

/// Asks for starting at login (`on`) or not, as the Preferences do.
fn ask_start_at_login(on: bool) -> BackgroundAnswer {
    answer_of(move |bus| {
        Box::pin(async move { sotto::ui::autostart::request_through_portal(&bus, on).await })
    })
}

fn remembered() -> bool {
    on_gtk_thread(|| sotto::ui::autostart::is_enabled_with(Backend::Portal))
}

/// The options of the last `RequestBackground` the portal received.
fn last_request(portal: &Portal) -> Value {
    portal
        .background_requests()
        .last()
        .cloned()
        .expect("the portal received a RequestBackground")
}

#[test]
fn start_at_login_asks_the_background_portal_as_specified() {
    let portal = Portal::start(true);
    let unique_name = session_bus().unique_name().unwrap().to_string();

    assert_eq!(
        ask_start_at_login(true),
        BackgroundAnswer::Granted {
            background: true,
            autostart: true
        }
    );
    let request = last_request(&portal);
    let options = &request["options"];
    assert_eq!(
        options["commandline"],
        serde_json::json!(["sotto", "--gapplication-service"])
    );
    assert_eq!(options["autostart"], true);
    assert_eq!(options["dbus-activatable"], false);
    assert!(
        options["reason"].as_str().is_some_and(|r| !r.is_empty()),
        "{request}"
    );
    let token = options["handle_token"].as_str().unwrap_or_default();
    assert!(!token.is_empty(), "no handle_token: {request}");
    assert_eq!(request["parent_window"], "");
    assert_eq!(
        request["handle"].as_str().unwrap(),
        sotto::ui::portal::request_path(&unique_name, token)
    );
    assert!(remembered(), "the granted autostart is remembered");

    // Turned off: the portal is asked without autostart.
    assert_eq!(
        ask_start_at_login(false),
        BackgroundAnswer::Granted {
            background: true,
            autostart: false
        }
    );
    assert_eq!(last_request(&portal)["options"]["autostart"], false);
    assert!(!remembered());
    // Each request has a token of its own.
    let tokens: Vec<Value> = portal
        .background_requests()
        .iter()
        .map(|r| r["options"]["handle_token"].clone())
        .collect();
    assert_ne!(tokens[0], tokens[1]);

    // The portal grants background but not autostart: that is what is remembered.
    portal.answer_next(0, true, false);
    assert_eq!(
        ask_start_at_login(true),
        BackgroundAnswer::Granted {
            background: true,
            autostart: false
        }
    );
    assert!(!remembered());

    // Granted once more, then refused: a refusal says so and leaves it off.
    ask_start_at_login(true);
    assert!(remembered());
    portal.refuse_next();
    assert_eq!(ask_start_at_login(true), BackgroundAnswer::Refused);
    assert!(!remembered(), "a refusal leaves starting at login off");

    // Response 2: another failure; what was remembered stays.
    portal.answer_next(2, false, false);
    assert_eq!(ask_start_at_login(true), BackgroundAnswer::Failed);
    assert!(!remembered());
}

#[test]
fn without_a_portal_the_request_says_so_at_once() {
    let _absent = portald::exclusive();
    assert!(!portald::name_owned());
    let started = Instant::now();
    assert_eq!(ask_start_at_login(true), BackgroundAnswer::NoPortal);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(!on_gtk_thread(|| {
        sotto::ui::notifications::server_present_with(Backend::Portal)
    }));
}

#[test]
fn running_in_the_background_follows_the_portal() {
    let portal = Portal::start(true);
    let ask = || {
        answer_of(|bus| {
            Box::pin(
                async move { sotto::ui::application::ask_to_run_in_background(&app(), &bus).await },
            )
        })
    };
    let keeps = || on_gtk_thread(sotto::ui::application::keeps_running_in_background);
    // The application follows the setting from its start-up.
    on_gtk_thread(|| {
        app();
    });
    assert!(keeps(), "Run in Background is on by default");

    // The request carries the remembered start at login.
    on_gtk_thread(|| {
        sotto::ui::gsettings::settings()
            .set_boolean("start-at-login", true)
            .unwrap();
    });
    portal.answer_next(0, false, true);
    assert_eq!(
        ask(),
        BackgroundAnswer::Granted {
            background: false,
            autostart: true
        }
    );
    assert_eq!(last_request(&portal)["options"]["autostart"], true);
    assert!(
        !keeps(),
        "the portal does not allow the background, and Sotto still holds on"
    );

    // Allowed again later: closing the window leaves it running again.
    assert_eq!(
        ask(),
        BackgroundAnswer::Granted {
            background: true,
            autostart: true
        }
    );
    assert!(keeps());

    // Refused by the person: no background either.
    portal.refuse_next();
    assert_eq!(ask(), BackgroundAnswer::Refused);
    assert!(!keeps());
    assert!(!remembered());
    ask();
    assert!(keeps());
    on_gtk_thread(|| {
        sotto::ui::gsettings::settings()
            .set_boolean("start-at-login", false)
            .unwrap();
    });
}

#[test]
fn notifications_through_the_portal_need_its_notification_interface() {
    let present =
        || on_gtk_thread(|| sotto::ui::notifications::server_present_with(Backend::Portal));
    let portal = Portal::start(false);
    assert!(
        !present(),
        "a portal without the Notification interface counts as a notification server"
    );
    assert!(
        portal.received().iter().any(|v| v["event"] == "get"
            && v["interface"] == "org.freedesktop.portal.Notification"),
        "Sotto did not ask the portal: {:?}",
        portal.received()
    );
    drop(portal);

    let _portal = Portal::start(true);
    assert!(present(), "the Notification portal is not seen");
}

/// The Preferences window in portal mode, and its "Start at Login" row and switch.
fn preferences() -> (gtk::Window, adw::PreferencesWindow) {
    let parent = gtk::Window::new();
    let preferences = sotto::ui::preferences::show_preferences_with(&parent, Backend::Portal);
    (parent, preferences)
}

fn start_at_login(preferences: &adw::PreferencesWindow) -> (adw::ActionRow, gtk::Switch) {
    let row = all::<adw::ActionRow>(preferences)
        .into_iter()
        .find(|r| r.widget_name() == "start-at-login")
        .expect("the Start at Login row");
    let switch = all::<gtk::Switch>(&row).pop().expect("its switch");
    (row, switch)
}

/// Taps the row and waits until the portal's answer is shown. (The switch moves at the
/// end of its animation, so the time it could not be moved is seen through its changes.)
fn tap_and_wait(row: &adw::ActionRow, switch: &gtk::Switch) {
    let sensitivity = Rc::new(RefCell::new(Vec::new()));
    let seen = sensitivity.clone();
    let watch = switch.connect_sensitive_notify(move |switch| {
        seen.borrow_mut().push(switch.is_sensitive());
    });
    adw::prelude::ActionRowExt::activate(row);
    wait_for(
        "the switch to show the answer",
        Duration::from_secs(15),
        || *sensitivity.borrow() == [false, true],
        || format!("its sensitivity went {:?}", sensitivity.borrow()),
    );
    switch.disconnect(watch);
    settle();
}

/// Scrolls the page to its end (the Background group), for a screenshot.
fn scroll_down(preferences: &adw::PreferencesWindow) {
    for scrolled in all::<gtk::ScrolledWindow>(preferences) {
        let adjustment = scrolled.vadjustment();
        adjustment.set_value(adjustment.upper() - adjustment.page_size());
    }
    settle();
}

#[test]
fn the_start_at_login_switch_shows_what_the_portal_granted() {
    let portal = Portal::start(true);
    on_gtk_thread(|| {
        sotto::ui::gsettings::settings()
            .set_boolean("start-at-login", false)
            .unwrap();
    });
    portal.refuse_next();
    on_gtk_thread(|| {
        let (parent, preferences) = preferences();
        present_at(&preferences, 360, 720);
        let (row, switch) = start_at_login(&preferences);
        assert!(!switch.is_active());
        tap_and_wait(&row, &switch);
        assert!(!switch.is_active() && !switch.state(), "refused, yet on");
        assert_eq!(row.subtitle().as_deref(), Some(REFUSED));
        scroll_down(&preferences);
        screenshot(&preferences, "portal-refused-360x720");
        present_at(&preferences, 1280, 800);
        screenshot(&preferences, "portal-refused-1280x800");
        preferences.close();
        parent.destroy();
    });
    assert_eq!(portal.background_requests().len(), 1);
    assert_eq!(last_request(&portal)["options"]["autostart"], true);

    // Granted: on, and the usual subtitle again.
    on_gtk_thread(|| {
        let (parent, preferences) = preferences();
        let (row, switch) = start_at_login(&preferences);
        tap_and_wait(&row, &switch);
        assert!(switch.is_active() && switch.state(), "granted, yet off");
        assert_ne!(row.subtitle().as_deref(), Some(REFUSED));
        preferences.close();
        parent.destroy();
    });
    assert!(remembered());
    assert_eq!(portal.background_requests().len(), 2);

    // Without a portal, turning it off says so and leaves it as it was.
    let _absent = portal.stop();
    on_gtk_thread(|| {
        let (parent, preferences) = preferences();
        let (row, switch) = start_at_login(&preferences);
        assert!(switch.is_active(), "the remembered state is not shown");
        tap_and_wait(&row, &switch);
        assert!(switch.is_active() && switch.state());
        assert_eq!(row.subtitle().as_deref(), Some(UNAVAILABLE));
        present_at(&preferences, 360, 720);
        scroll_down(&preferences);
        screenshot(&preferences, "portal-unavailable-360x720");
        preferences.close();
        parent.destroy();
    });
    assert!(remembered());
    on_gtk_thread(|| {
        sotto::ui::gsettings::settings()
            .set_boolean("start-at-login", false)
            .unwrap();
    });
}
