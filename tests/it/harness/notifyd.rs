//! A notification server on the private session bus of `tools/test`: `notifyd.py` speaks
//! `org.freedesktop.Notifications` as specified and reports every call it receives, which
//! the tests read; they can also click a notification (`ActionInvoked`).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::Value;

/// The running server, and what it received.
pub struct NotificationServer {
    _child: Child,
    input: Mutex<ChildStdin>,
    received: Arc<Mutex<Vec<Value>>>,
}

/// One `Notify` call as the server received it.
#[derive(Clone, Debug)]
pub struct Shown {
    /// The server's ID of the notification.
    pub id: u64,
    /// The ID it replaces (0 for a new one).
    pub replaces: u64,
    /// The summary (GLib's title).
    pub summary: String,
    /// The body.
    pub body: String,
    /// The action keys and labels, alternating.
    pub actions: Vec<String>,
}

static SERVER: OnceLock<NotificationServer> = OnceLock::new();

impl NotificationServer {
    /// Whether this test process started the server already.
    pub fn started() -> bool {
        SERVER.get().is_some()
    }

    /// Starts the server (once per test process) and waits until it owns its bus name.
    pub fn start() -> &'static Self {
        SERVER.get_or_init(|| {
            super::assert_private_session();
            let script = super::repo_root().join("tests/it/harness/notifyd.py");
            let mut child = Command::new("/usr/bin/python3")
                .arg(script)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("the notification server starts (python3-dbus, python3-gi)");
            let output = child.stdout.take().expect("its output");
            let input = child.stdin.take().expect("its input");
            let received = Arc::new(Mutex::new(Vec::new()));
            let (ready, is_ready) = std::sync::mpsc::channel();
            let sink = received.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(output).lines() {
                    let Ok(line) = line else { return };
                    let Ok(value) = serde_json::from_str::<Value>(&line) else {
                        continue;
                    };
                    if value["event"] == "ready" {
                        let _ = ready.send(());
                        continue;
                    }
                    sink.lock().unwrap().push(value);
                }
            });
            is_ready
                .recv_timeout(Duration::from_secs(20))
                .expect("the notification server owns org.freedesktop.Notifications");
            Self {
                _child: child,
                input: Mutex::new(input),
                received,
            }
        })
    }

    /// Every call received so far, in order.
    pub fn received(&self) -> Vec<Value> {
        self.received.lock().unwrap().clone()
    }

    /// Every notification shown so far.
    pub fn shown(&self) -> Vec<Shown> {
        self.received()
            .iter()
            .filter(|v| v["event"] == "notify")
            .map(|v| Shown {
                id: v["id"].as_u64().unwrap_or_default(),
                replaces: v["replaces"].as_u64().unwrap_or_default(),
                summary: v["summary"].as_str().unwrap_or_default().to_owned(),
                body: v["body"].as_str().unwrap_or_default().to_owned(),
                actions: v["actions"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|s| s.as_str().unwrap_or_default().to_owned())
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect()
    }

    /// Whether the notification `id` was closed by its sender.
    pub fn closed(&self, id: u64) -> bool {
        self.received()
            .iter()
            .any(|v| v["event"] == "close" && v["id"].as_u64() == Some(id))
    }

    /// Clicks the notification `id` (its default action).
    pub fn click(&self, id: u64) {
        writeln!(self.input.lock().unwrap(), "invoke {id} default")
            .expect("the notification server reads its input");
    }
}
