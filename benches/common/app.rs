//! The whole app, started as `main` starts it, for the benchmarks that measure the window.

use std::time::{Duration, Instant};

use gtk::glib;
use gtk::prelude::*;
use sotto::engine::accounts::Accounts;
use sotto::ui::window::Window;

/// The app and its window, presented.
pub struct Started {
    /// Kept alive with the window.
    pub app: adw::Application,
    pub window: Window,
    /// Process start (or the call) until GTK and libadwaita were initialised.
    pub gtk_init: Duration,
}

/// Starts Sotto on the saved account of `accounts` as `main` does: the head start begins
/// before GTK, then the window (`width`×`height`) takes it over and is presented.
pub fn start(accounts: Accounts, width: i32, height: i32) -> Started {
    let began = Instant::now();
    sotto::startup_trace::mark("benchmark child started");
    sotto::ui::choose_renderer();
    sotto::i18n::init();
    sotto::ui::window::begin_head_start(accounts);
    sotto::ui::init().expect("a display");
    let gtk_init = began.elapsed();
    sotto::startup_trace::mark("GTK and libadwaita started");
    let app = sotto::ui::application::build();
    app.register(None::<&gtk::gio::Cancellable>).unwrap();
    sotto::startup_trace::mark("application registered");
    let window = Window::new(&app);
    window.set_default_size(width, height);
    sotto::startup_trace::mark("main window built");
    window.start_head_start(sotto::ui::window::take_head_start().expect("begun above"));
    sotto::startup_trace::mark("head start taken over");
    window.present();
    sotto::startup_trace::mark("main window presented");
    Started {
        app,
        window,
        gtk_init,
    }
}

/// The window's frame clock, once it has one.
pub fn frame_clock(window: &Window) -> gtk::gdk::FrameClock {
    let context = glib::MainContext::default();
    loop {
        if let Some(clock) = window.frame_clock() {
            return clock;
        }
        context.iteration(true);
    }
}

/// Runs the main loop for `duration`, sleeping whenever nothing is due (as the app does).
pub fn run_main_loop_for(duration: Duration) {
    let context = glib::MainContext::default();
    let done = std::rc::Rc::new(std::cell::Cell::new(false));
    let flag = done.clone();
    glib::timeout_add_local_once(duration, move || flag.set(true));
    while !done.get() {
        context.iteration(true);
    }
}

/// Runs the main loop until `done` holds, or `limit` has passed; false then.
pub fn run_main_loop_until(limit: Duration, done: impl Fn() -> bool) -> bool {
    let context = glib::MainContext::default();
    let deadline = Instant::now() + limit;
    // Wakes the loop now and then, so that the deadline is seen while nothing happens.
    let tick = glib::timeout_add_local(Duration::from_millis(50), || glib::ControlFlow::Continue);
    let mut met = done();
    while !met && Instant::now() < deadline {
        context.iteration(true);
        met = done();
    }
    tick.remove();
    met
}
