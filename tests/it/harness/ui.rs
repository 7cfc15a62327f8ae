//! A GTK thread for UI tests (GTK must be used from the one thread that started it) and
//! screenshots of real windows under the Xvfb display of `tools/test`.

use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use gtk::prelude::*;
use gtk::{glib, graphene};

type Job = Box<dyn FnOnce() + Send>;

/// Runs `job` on the GTK thread and returns its result; a panic in `job` fails the caller.
pub fn on_gtk_thread<R: Send + 'static>(job: impl FnOnce() -> R + Send + 'static) -> R {
    static THREAD: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    let sender = THREAD.get_or_init(|| {
        super::assert_private_session();
        let (sender, receiver) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("gtk".into())
            .spawn(move || {
                sotto::i18n::init();
                sotto::ui::init().expect("GTK starts on the Xvfb display of tools/test");
                for job in receiver {
                    job();
                }
            })
            .expect("the GTK thread starts");
        Mutex::new(sender)
    });
    let (reply, result) = mpsc::channel();
    let job: Job = Box::new(move || {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
        let _ = reply.send(outcome);
    });
    sender.lock().unwrap().send(job).expect("the GTK thread runs");
    match result.recv().expect("the GTK thread answers") {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Runs the main loop until `done` is true; panics with `what` after `timeout`.
pub fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let context = glib::MainContext::default();
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        while context.iteration(false) {}
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Lets pending redraws and layout happen.
pub fn settle() {
    let context = glib::MainContext::default();
    let until = Instant::now() + Duration::from_millis(300);
    while Instant::now() < until {
        while context.iteration(false) {}
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Presents `window` at `width`×`height` and waits until it has that size.
pub fn present_at(window: &impl IsA<gtk::Window>, width: i32, height: i32) {
    let window = window.as_ref();
    window.set_default_size(width, height);
    window.present();
    wait_for(&format!("the window at {width}×{height}"), Duration::from_secs(10), || {
        window.is_mapped() && window.width() == width && window.height() == height
    });
    settle();
}

/// Saves what `window` shows to `target/screenshots/NAME.png` and returns the path.
pub fn screenshot(window: &impl IsA<gtk::Window>, name: &str) -> PathBuf {
    let window = window.as_ref();
    settle();
    let (width, height) = (window.width(), window.height());
    let paintable = gtk::WidgetPaintable::new(Some(window));
    let snapshot = gtk::Snapshot::new();
    paintable.snapshot(&snapshot, f64::from(width), f64::from(height));
    let node = snapshot.to_node().expect("the window draws something");
    let renderer = window.renderer().expect("a realized window has a renderer");
    let texture = renderer.render_texture(
        &node,
        Some(&graphene::Rect::new(0.0, 0.0, width as f32, height as f32)),
    );
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("target/screenshots is writable");
    let path = dir.join(format!("{name}.png"));
    texture.save_to_png(&path).expect("the screenshot is saved");
    path
}
