//! A peer on another crypto implementation: matrix-nio with libolm (Python), from the pinned
//! virtualenv of `tools/nio-venv`, driven through `nio_peer.py` with one JSON line per command
//! and per answer. Its crypto store lives in a temporary folder of its own.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use super::synapse::{Synapse, TestUser, spawn_tied_to_process};
use super::{PATIENCE, repo_root};

/// A message as the nio peer received it.
#[derive(Debug)]
pub struct Received {
    /// Its event ID.
    pub event_id: String,
    /// Who sent it.
    pub sender: String,
    /// Whether nio decrypted it (false: it arrived unencrypted).
    pub decrypted: bool,
}

/// A signed-in matrix-nio client that syncs in the background.
pub struct NioPeer {
    /// The nio user's Matrix ID.
    pub user_id: String,
    /// The device nio signed in as.
    pub device_id: String,
    child: Child,
    stdin: ChildStdin,
    answers: tokio::sync::mpsc::UnboundedReceiver<String>,
    folder: tempfile::TempDir,
}

fn venv() -> PathBuf {
    let output = Command::new(repo_root().join("tools/nio-venv"))
        .stderr(Stdio::inherit())
        .output()
        .expect("tools/nio-venv runs");
    assert!(
        output.status.success(),
        "matrix-nio is not installed and could not be installed (see the message above)"
    );
    PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
}

impl NioPeer {
    /// Starts a nio client and signs `user` in on `synapse` as a new device; returns once its
    /// first sync is done and its device and one-time keys are on the server.
    pub async fn login(synapse: &Synapse, user: &TestUser) -> Self {
        let folder = tempfile::Builder::new()
            .prefix("sotto-nio-")
            .tempdir()
            .expect("a temporary folder");
        let store = folder.path().join("store");
        std::fs::create_dir(&store).unwrap();
        let log = std::fs::File::create(folder.path().join("stderr.log")).unwrap();
        let mut child = spawn_tied_to_process(
            Command::new(venv().join("bin/python"))
                .arg(repo_root().join("tests/it/harness/nio_peer.py"))
                .arg(&store)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(log),
        );
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, answers) = tokio::sync::mpsc::unbounded_channel();
        // A reader thread, so that waiting for an answer never blocks a tokio worker.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut peer = Self {
            user_id: String::new(),
            device_id: String::new(),
            child,
            stdin,
            answers,
            folder,
        };
        let answer = peer
            .call(json!({
                "cmd": "login",
                "homeserver": synapse.url(),
                "user": user.user_id,
                "password": user.password,
                "device_name": "nio peer",
            }))
            .await;
        peer.user_id = answer["user_id"].as_str().unwrap().to_owned();
        peer.device_id = answer["device_id"].as_str().unwrap().to_owned();
        peer
    }

    /// Sends one command and returns its result; fails the test with nio's error and the end
    /// of its log when the command fails.
    async fn call(&mut self, command: Value) -> Value {
        let name = command["cmd"].as_str().unwrap_or_default().to_owned();
        writeln!(self.stdin, "{command}")
            .and_then(|()| self.stdin.flush())
            .unwrap_or_else(|err| panic!("the nio peer takes `{name}`: {err}\n{}", self.log()));
        // Every command that waits has its own timeout of PATIENCE; this is only a backstop.
        let line = tokio::time::timeout(PATIENCE + Duration::from_secs(30), self.answers.recv())
            .await
            .unwrap_or_else(|_| panic!("the nio peer never answered `{name}`\n{}", self.log()))
            .unwrap_or_else(|| panic!("the nio peer quit during `{name}`\n{}", self.log()));
        let answer: Value = serde_json::from_str(&line).expect("a JSON answer");
        assert!(
            answer["ok"] == Value::Bool(true),
            "the nio peer failed `{name}`: {}\n{}",
            answer["error"],
            self.log()
        );
        answer["result"].clone()
    }

    /// The end of nio's log, for failure messages.
    fn log(&self) -> String {
        let text =
            std::fs::read_to_string(self.folder.path().join("stderr.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        format!(
            "--- nio peer log (end) ---\n{}",
            lines[lines.len().saturating_sub(40)..].join("\n")
        )
    }

    /// Creates a room, encrypted (megolm) or not, inviting `invite`; returns its ID once nio
    /// has it from the sync.
    pub async fn create_room(&mut self, name: &str, encrypted: bool, invite: &[&str]) -> String {
        let answer = self
            .call(json!({"cmd": "create_room", "name": name, "encrypted": encrypted, "invite": invite}))
            .await;
        answer["room_id"].as_str().unwrap().to_owned()
    }

    /// Creates a direct chat (the invitation says `is_direct`) with `invite`.
    pub async fn create_direct_room(&mut self, encrypted: bool, invite: &str) -> String {
        let answer = self
            .call(json!({"cmd": "create_room", "name": null, "encrypted": encrypted, "invite": [invite], "is_direct": true}))
            .await;
        answer["room_id"].as_str().unwrap().to_owned()
    }

    /// Waits until nio sees `user_id` as a joined member of `room_id`.
    pub async fn wait_for_member(&mut self, room_id: &str, user_id: &str) {
        self.call(json!({
            "cmd": "wait_for_member",
            "room_id": room_id,
            "user_id": user_id,
            "timeout": PATIENCE.as_secs(),
        }))
        .await;
    }

    /// Waits until nio has the keys of `user_id`'s `device_id` from the server, then marks the
    /// device verified so nio shares its room keys with it. Returns the device's Ed25519 key.
    pub async fn trust_device(&mut self, user_id: &str, device_id: &str) -> String {
        let answer = self
            .call(json!({
                "cmd": "trust_device",
                "user_id": user_id,
                "device_id": device_id,
                "timeout": PATIENCE.as_secs(),
            }))
            .await;
        answer["ed25519"].as_str().unwrap().to_owned()
    }

    /// Sends a text message (encrypted if the room is); returns its event ID.
    pub async fn send_text(&mut self, room_id: &str, body: &str) -> String {
        let answer = self
            .call(json!({"cmd": "send", "room_id": room_id, "body": body}))
            .await;
        answer["event_id"].as_str().unwrap().to_owned()
    }

    /// Sends a text message under a new room key that nobody gets yet (its to-device
    /// messages are held back until [`Self::release_keys`]); returns its event ID.
    pub async fn send_text_key_later(&mut self, room_id: &str, body: &str) -> String {
        let answer = self
            .call(json!({"cmd": "send_key_later", "room_id": room_id, "body": body}))
            .await;
        assert!(
            answer["held"].as_u64().unwrap() > 0,
            "the room key was meant for someone"
        );
        answer["event_id"].as_str().unwrap().to_owned()
    }

    /// Sends the room keys held back by [`Self::send_text_key_later`].
    pub async fn release_keys(&mut self) {
        self.call(json!({"cmd": "release_keys"})).await;
    }

    /// Waits until a text message with exactly `body` arrives in `room_id`.
    pub async fn wait_for_text(&mut self, room_id: &str, body: &str) -> Received {
        let answer = self
            .call(json!({
                "cmd": "wait_for_message",
                "room_id": room_id,
                "body": body,
                "timeout": PATIENCE.as_secs(),
            }))
            .await;
        Received {
            event_id: answer["event_id"].as_str().unwrap().to_owned(),
            sender: answer["sender"].as_str().unwrap().to_owned(),
            decrypted: answer["decrypted"].as_bool().unwrap(),
        }
    }
}

/// An attachment as the nio peer received and downloaded it.
#[derive(Debug)]
pub struct ReceivedMedia {
    /// Its event ID.
    pub event_id: String,
    /// Who sent it.
    pub sender: String,
    /// Whether nio decrypted the event (false: it arrived unencrypted).
    pub decrypted: bool,
    /// The event's content as nio read it (decrypted).
    pub content: Value,
}

impl NioPeer {
    /// Waits for an attachment named `name` (its `filename`, else its `body`) in `room_id`,
    /// downloads its file to `path` and its thumbnail, if it has one, to `thumbnail_path`,
    /// decrypting both with the keys in the event when it carries them.
    pub async fn download_media(
        &mut self,
        room_id: &str,
        name: &str,
        path: &std::path::Path,
        thumbnail_path: &std::path::Path,
    ) -> ReceivedMedia {
        let answer = self
            .call(json!({
                "cmd": "download_media",
                "room_id": room_id,
                "name": name,
                "path": path,
                "thumbnail_path": thumbnail_path,
                "timeout": PATIENCE.as_secs(),
            }))
            .await;
        ReceivedMedia {
            event_id: answer["event_id"].as_str().unwrap().to_owned(),
            sender: answer["sender"].as_str().unwrap().to_owned(),
            decrypted: answer["decrypted"].as_bool().unwrap(),
            content: answer["content"].clone(),
        }
    }
}

/// A picture for [`NioPeer::send_image`]: the file and what its event claims.
#[derive(Debug, Clone)]
pub struct ImageToSend<'a> {
    /// The file sent (any bytes).
    pub path: &'a std::path::Path,
    /// The file name in the event.
    pub name: &'a str,
    /// The claimed MIME type.
    pub mimetype: &'a str,
    /// The claimed width and height.
    pub size: (u32, u32),
    /// The claimed size in bytes (`None`: the file's).
    pub bytes: Option<u64>,
    /// A caption.
    pub caption: Option<&'a str>,
    /// A thumbnail: its file, MIME type, width and height.
    pub thumbnail: Option<(&'a std::path::Path, &'a str, u32, u32)>,
    /// A blurhash.
    pub blurhash: Option<&'a str>,
}

impl NioPeer {
    /// Uploads a picture (and its thumbnail) encrypted and sends it as an `m.image`; returns
    /// the event ID and the file's `mxc://` URI.
    pub async fn send_image(&mut self, room_id: &str, image: &ImageToSend<'_>) -> (String, String) {
        let size = image
            .bytes
            .unwrap_or_else(|| std::fs::metadata(image.path).unwrap().len());
        let thumbnail = image.thumbnail.map(|(path, mimetype, width, height)| {
            json!({"path": path, "mimetype": mimetype, "width": width, "height": height})
        });
        let answer = self
            .call(json!({
                "cmd": "send_image",
                "room_id": room_id,
                "path": image.path,
                "name": image.name,
                "mimetype": image.mimetype,
                "width": image.size.0,
                "height": image.size.1,
                "size": size,
                "caption": image.caption,
                "thumbnail": thumbnail,
                "blurhash": image.blurhash,
            }))
            .await;
        (
            answer["event_id"].as_str().unwrap().to_owned(),
            answer["url"].as_str().unwrap().to_owned(),
        )
    }
}

impl Drop for NioPeer {
    fn drop(&mut self) {
        // Closing stdin makes the script stop syncing and close its store; kill it if not.
        let _ = writeln!(self.stdin, "{}", json!({"cmd": "quit"}));
        let _ = self.stdin.flush();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
