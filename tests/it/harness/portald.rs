//! A desktop portal on the private session bus of `tools/test`: `portald.py` speaks the
//! Background, Request and Notification portals as specified and reports every call it
//! receives, which the tests read; commands make it refuse or answer otherwise.
//!
//! The tests of one process share the bus, and the portal's name changes what Sotto sees
//! there, so one portal runs at a time (a lock held as long as it runs), started by the test
//! that needs it and gone from the bus when that test drops it.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use gtk::{gio, glib};
use serde_json::Value;

use super::script_server::ScriptServer;

/// The bus name of the portals.
pub const NAME: &str = "org.freedesktop.portal.Desktop";

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The right to have the portal's name on the bus, or to rely on its absence.
pub fn exclusive() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether a connection owns the portal's name on the session bus.
pub fn name_owned() -> bool {
    let bus = gio::bus_get_sync(gio::BusType::Session, None::<&gio::Cancellable>)
        .expect("the private session bus");
    bus.call_sync(
        Some("org.freedesktop.DBus"),
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus",
        "NameHasOwner",
        Some(&glib::Variant::tuple_from_iter([glib::Variant::from(NAME)])),
        Some(glib::VariantTy::new("(b)").unwrap()),
        gio::DBusCallFlags::NONE,
        5000,
        None::<&gio::Cancellable>,
    )
    .expect("the bus answers")
    .child_value(0)
    .get::<bool>()
    .unwrap()
}

/// The running portal, and what it received. Dropping it stops it.
pub struct Portal {
    server: ScriptServer,
    exclusive: Option<MutexGuard<'static, ()>>,
}

impl Portal {
    /// Starts the portal, with the Notification interface or without it, once no other
    /// test's portal runs; waits until it owns its name.
    pub fn start(notification: bool) -> Self {
        let exclusive = exclusive();
        assert!(!name_owned(), "another portal owns {NAME}");
        let args: &[&str] = if notification {
            &[]
        } else {
            &["--no-notification"]
        };
        let mut portal = Self {
            server: ScriptServer::spawn("portald.py", args),
            exclusive: Some(exclusive),
        };
        if !portal.server.wait_ready() {
            portal.halt();
            panic!("the portal did not come to own {NAME}");
        }
        portal
    }

    /// Every call and command received so far, in order. (A command goes through first:
    /// the portal takes it after every call before, so their lines have been read once it
    /// is echoed.)
    pub fn received(&self) -> Vec<Value> {
        self.command("ping");
        self.lines()
    }

    fn lines(&self) -> Vec<Value> {
        self.server.lines()
    }

    /// The `RequestBackground` calls received so far.
    pub fn background_requests(&self) -> Vec<Value> {
        self.received()
            .into_iter()
            .filter(|v| v["event"] == "request_background")
            .collect()
    }

    /// Sends a command and waits until the portal took it.
    fn command(&self, line: &str) {
        let before = self.count("command");
        self.server.send(line);
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.count("command") == before {
            assert!(
                Instant::now() < deadline,
                "the portal did not take “{line}”"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn count(&self, event: &str) -> usize {
        self.lines().iter().filter(|v| v["event"] == event).count()
    }

    /// The next request is refused (response 1, cancelled by the person).
    pub fn refuse_next(&self) {
        self.command("refuse");
    }

    /// The next request gets `response` with these results.
    pub fn answer_next(&self, response: u32, background: bool, autostart: bool) {
        self.command(&format!(
            "answer {response} {} {}",
            u8::from(background),
            u8::from(autostart)
        ));
    }

    /// Stops the portal, and keeps the right to rely on its absence.
    pub fn stop(mut self) -> MutexGuard<'static, ()> {
        self.halt();
        self.exclusive.take().expect("held while the portal runs")
    }

    /// Stops the portal and waits until its name has left the bus.
    fn halt(&mut self) {
        let _ = self.server.child.kill();
        let _ = self.server.child.wait();
        let deadline = Instant::now() + Duration::from_secs(10);
        while name_owned() {
            if Instant::now() > deadline {
                // Not a second panic while a failed test unwinds.
                assert!(std::thread::panicking(), "{NAME} stays on the bus");
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Portal {
    fn drop(&mut self) {
        self.halt();
    }
}
