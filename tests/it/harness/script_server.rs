//! The Rust side of the harness's D-Bus servers written in Python (`notifyd.py`,
//! `portald.py`): each prints one JSON line per call it receives and `{"event": "ready"}`
//! once it owns its bus name, and reads commands on its input.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

/// A running script server and the lines it printed so far.
pub struct ScriptServer {
    /// The Python process.
    pub child: Child,
    input: Mutex<ChildStdin>,
    received: Arc<Mutex<Vec<Value>>>,
    ready: Mutex<Receiver<()>>,
}

impl ScriptServer {
    /// Starts `tests/it/harness/SCRIPT` with `args` under Debian's python3 (it needs
    /// python3-dbus and python3-gi).
    pub fn spawn(script: &str, args: &[&str]) -> Self {
        super::assert_private_session();
        let mut child = Command::new("/usr/bin/python3")
            .arg(super::repo_root().join("tests/it/harness").join(script))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("{script} starts (python3-dbus, python3-gi): {err}"));
        let output = child.stdout.take().expect("its output");
        let input = child.stdin.take().expect("its input");
        let received = Arc::new(Mutex::new(Vec::new()));
        let (ready_tx, ready) = std::sync::mpsc::channel();
        let sink = received.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(output).lines() {
                let Ok(line) = line else { return };
                let Ok(value) = serde_json::from_str::<Value>(&line) else {
                    continue;
                };
                if value["event"] == "ready" {
                    let _ = ready_tx.send(());
                    continue;
                }
                sink.lock().unwrap().push(value);
            }
        });
        Self {
            child,
            input: Mutex::new(input),
            received,
            ready: Mutex::new(ready),
        }
    }

    /// Whether it said it owns its bus name within 20 s.
    pub fn wait_ready(&self) -> bool {
        self.ready
            .lock()
            .unwrap()
            .recv_timeout(Duration::from_secs(20))
            .is_ok()
    }

    /// Every line it printed so far (the ready line aside), in order.
    pub fn lines(&self) -> Vec<Value> {
        self.received.lock().unwrap().clone()
    }

    /// Writes one command line to its input.
    pub fn send(&self, line: &str) {
        writeln!(self.input.lock().unwrap(), "{line}").expect("the server reads its input");
    }
}
