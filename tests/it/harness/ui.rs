//! A GTK thread for UI tests (GTK must be used from the one thread that started it) and
//! screenshots of real windows under the Xvfb display of `tools/test`.

use std::cell::Cell;
use std::path::PathBuf;
use std::rc::Rc;
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
        close_leftover_dialogs();
        let _ = reply.send(outcome);
    });
    sender
        .lock()
        .unwrap()
        .send(job)
        .expect("the GTK thread runs");
    match result.recv().expect("the GTK thread answers") {
        Ok(value) => value,
        // Panic again here, so the message shows under the test that failed.
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "a panic without a message".to_owned());
            panic!("on the GTK thread: {message}")
        }
    }
}

/// Closes the message dialogs a test left open (after a failure, or because
/// `adw::MessageDialog::response()` does not close them in libadwaita 1.2), so the next
/// test on this thread starts without them.
fn close_leftover_dialogs() {
    for window in gtk::Window::list_toplevels() {
        if let Ok(dialog) = window.downcast::<adw::MessageDialog>() {
            dialog.destroy();
        }
    }
    let context = glib::MainContext::default();
    while context.iteration(false) {}
}

/// Sotto's application, registered once on the GTK thread (a second registration of the
/// same ID on the bus would fail).
pub fn app() -> adw::Application {
    thread_local! {
        static APP: adw::Application = {
            let app = sotto::ui::application::build();
            app.register(None::<&gtk::gio::Cancellable>).expect("the application registers");
            app
        };
    }
    APP.with(Clone::clone)
}

/// Runs the main loop until `done` is true; after `timeout`, panics with `what` and what
/// `explain` says of the state then.
pub fn wait_for(
    what: &str,
    timeout: Duration,
    mut done: impl FnMut() -> bool,
    explain: impl Fn() -> String,
) {
    let context = glib::MainContext::default();
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {}",
            explain()
        );
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

/// Presents `window` at `width`×`height` and waits until it has that size. Without a window
/// manager, GTK on X11 may keep a few pixels of the requested size for its frame; the window
/// is then shown again with the loss made up.
pub fn present_at(window: &impl IsA<gtk::Window>, width: i32, height: i32) {
    let window = window.as_ref();
    let (mut default_w, mut default_h) = (width, height);
    window.set_default_size(default_w, default_h);
    window.present();
    // A mapped window keeps its size, and what it gets can differ from its default size
    // (decorations): map it again at the corrected size until it fits. Each size is read
    // once it stopped changing, since a busy machine configures the window late.
    for _ in 0..5 {
        wait_for(
            "the window to show",
            Duration::from_secs(10),
            || window.is_mapped() && window.width() > 0,
            || "it is not mapped".to_owned(),
        );
        let mut size = (window.width(), window.height());
        for _ in 0..20 {
            settle();
            let now = (window.width(), window.height());
            if now == size {
                break;
            }
            size = now;
        }
        if size == (width, height) {
            settle();
            return;
        }
        default_w += width - size.0;
        default_h += height - size.1;
        window.set_visible(false);
        window.set_default_size(default_w, default_h);
        window.present();
    }
    panic!(
        "timed out waiting for the window at {width}×{height}: it is {}×{}",
        window.width(),
        window.height()
    );
}

/// Saves what `widget` shows (a window, or a popover, which is a surface of its own) to
/// `target/screenshots/NAME.png` and returns the path.
pub fn screenshot(widget: &impl IsA<gtk::Widget>, name: &str) -> PathBuf {
    let widget = widget.as_ref();
    settle();
    // On a busy machine the widget may not be mapped, sized or drawn yet after settling
    // (then it snapshots to nothing): wait for a frame painted while it is mapped with a
    // size, then for the snapshot to hold something.
    if let Some(clock) = widget.frame_clock() {
        let painted = Rc::new(Cell::new(false));
        let handler = {
            let (painted, widget) = (painted.clone(), widget.downgrade());
            clock.connect_after_paint(move |_| {
                if widget
                    .upgrade()
                    .is_some_and(|w| w.is_mapped() && w.width() > 0 && w.height() > 0)
                {
                    painted.set(true);
                }
            })
        };
        widget.queue_draw();
        wait_for(
            &format!("a painted frame for the screenshot {name}"),
            Duration::from_secs(30),
            || painted.get(),
            || {
                format!(
                    "mapped: {}, size {}×{}",
                    widget.is_mapped(),
                    widget.width(),
                    widget.height()
                )
            },
        );
        clock.disconnect(handler);
    }
    let (width, height) = (widget.width(), widget.height());
    let mut node = None;
    wait_for(
        &format!("the widget of the screenshot {name} to draw something"),
        Duration::from_secs(30),
        || {
            let paintable = gtk::WidgetPaintable::new(Some(widget));
            let snapshot = gtk::Snapshot::new();
            paintable.snapshot(&snapshot, f64::from(width), f64::from(height));
            node = snapshot.to_node();
            node.is_some()
        },
        || format!("mapped: {}, size {width}×{height}", widget.is_mapped()),
    );
    let node = node.expect("the widget draws something");
    let renderer = widget
        .native()
        .and_then(|native| native.renderer())
        .expect("a realized widget has a renderer");
    let texture = renderer.render_texture(
        &node,
        Some(&graphene::Rect::new(0.0, 0.0, width as f32, height as f32)),
    );
    let dir = super::repo_root().join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("target/screenshots is writable");
    let path = dir.join(format!("{name}.png"));
    texture.save_to_png(&path).expect("the screenshot is saved");
    path
}

/// Sotto's main window on `accounts`, presented at `width`×`height`, once it shows `page`
/// (`greeter`, `session` or `problem`).
pub fn open_window(
    accounts: sotto::engine::accounts::Accounts,
    width: i32,
    height: i32,
    page: &str,
) -> sotto::ui::window::Window {
    let window = sotto::ui::window::Window::new(&app());
    window.start(accounts);
    present_at(&window, width, height);
    wait_for(
        &format!("the {page} page"),
        Duration::from_secs(60),
        || window.page() == page,
        || format!("the window shows {}", window.page()),
    );
    settle();
    window
}

/// Every widget under `root`, depth first (`root` itself not included).
pub fn descendants(root: &gtk::Widget) -> Vec<gtk::Widget> {
    let mut found = Vec::new();
    let mut child = root.first_child();
    while let Some(widget) = child {
        found.push(widget.clone());
        found.extend(descendants(&widget));
        child = widget.next_sibling();
    }
    found
}

/// Every `T` under `root`, depth first.
pub fn all<T: IsA<gtk::Widget>>(root: &impl IsA<gtk::Widget>) -> Vec<T> {
    descendants(root.as_ref())
        .into_iter()
        .filter_map(|w| w.downcast::<T>().ok())
        .collect()
}

/// The button under `root` labelled `label` (mnemonic underscores ignored).
pub fn button(root: &impl IsA<gtk::Widget>, label: &str) -> gtk::Button {
    all::<gtk::Button>(root)
        .into_iter()
        .find(|b| b.label().is_some_and(|l| l.replace('_', "") == label))
        .unwrap_or_else(|| panic!("no button “{label}”"))
}

/// The visible window of type `T` titled `title` (a dialog the window opened).
pub fn toplevel<T: IsA<gtk::Window>>(title: &str) -> T {
    let find = || {
        gtk::Window::list_toplevels()
            .into_iter()
            .filter_map(|w| w.downcast::<gtk::Window>().ok())
            .find(|w| w.is_visible() && w.title().as_deref() == Some(title) && w.is::<T>())
    };
    wait_for(
        &format!("the window “{title}”"),
        Duration::from_secs(30),
        || find().is_some(),
        || {
            let open: Vec<String> = gtk::Window::list_toplevels()
                .into_iter()
                .filter_map(|w| w.downcast::<gtk::Window>().ok())
                .filter(|w| w.is_visible())
                .map(|w| {
                    let texts: Vec<String> = all::<gtk::Label>(&w)
                        .iter()
                        .filter(|l| l.is_mapped())
                        .map(|l| l.text().to_string())
                        .collect();
                    format!("{:?}: {texts:?}", w.title())
                })
                .collect();
            format!("open: {open:#?}")
        },
    );
    find().unwrap().downcast::<T>().expect("checked above")
}
