//! A notification server on the private session bus of `tools/test`: `notifyd.py` speaks
//! `org.freedesktop.Notifications` as specified and reports every call it receives, which
//! the tests read; they can also click a notification (`ActionInvoked`).

use std::sync::OnceLock;

use serde_json::Value;

use super::script_server::ScriptServer;

/// The running server, and what it received.
pub struct NotificationServer {
    server: ScriptServer,
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
            let server = ScriptServer::spawn("notifyd.py", &[]);
            assert!(
                server.wait_ready(),
                "the notification server owns org.freedesktop.Notifications"
            );
            Self { server }
        })
    }

    /// Every call received so far, in order.
    pub fn received(&self) -> Vec<Value> {
        self.server.lines()
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
        self.server.send(&format!("invoke {id} default"));
    }
}
