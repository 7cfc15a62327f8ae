//! A real Synapse on 127.0.0.1, from the pinned virtualenv, with a fresh data folder per
//! test run. One instance is shared by the tests of a run; tests that stop and restart the
//! server start their own.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use matrix_sdk::reqwest;
use serde_json::json;

/// A running Synapse.
pub struct Synapse {
    dir: tempfile::TempDir,
    /// More homeserver.yaml lines, for tests that need a setting of their own.
    extra_config: String,
    port: Mutex<u16>,
    child: Mutex<Option<Child>>,
    shared_secret: String,
}

/// A user registered on the test server.
#[derive(Clone, Debug)]
pub struct TestUser {
    /// The localpart.
    pub localpart: String,
    /// The full Matrix ID.
    pub user_id: String,
    /// The password.
    pub password: String,
}

/// The Synapse shared by the tests of this run, started on first use.
pub fn shared() -> &'static Synapse {
    static SHARED: OnceLock<Synapse> = OnceLock::new();
    SHARED.get_or_init(Synapse::start)
}

fn venv() -> PathBuf {
    let root = &super::repo_root();
    let output = Command::new(root.join("tools/synapse-venv"))
        .stderr(Stdio::inherit())
        .output()
        .expect("tools/synapse-venv runs");
    assert!(
        output.status.success(),
        "Synapse is not installed and could not be installed (see the message above)"
    );
    PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

impl Synapse {
    /// Starts a new Synapse in a fresh folder and waits until it answers.
    pub fn start() -> Self {
        Self::start_with_config("")
    }

    /// Like `start`, with `extra` appended to homeserver.yaml.
    pub fn start_with_config(extra: &str) -> Self {
        Self::start_in(&std::env::temp_dir(), extra)
    }

    /// Like `start_with_config`, with the server's folder (database included) in `parent`:
    /// the benchmarks put it in memory (`/dev/shm`) so that seeding is not slowed by the
    /// disk.
    pub fn start_in(parent: &Path, extra: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("sotto-synapse-")
            .tempdir_in(parent)
            .expect("a temporary folder");
        let shared_secret = random_hex(16);
        write_signing_key(dir.path());
        let synapse = Self {
            dir,
            extra_config: extra.to_owned(),
            port: Mutex::new(0),
            child: Mutex::new(None),
            shared_secret,
        };
        synapse.boot();
        synapse
    }

    /// The server process's ID while it runs (for benchmarks that read its CPU time).
    #[allow(dead_code, reason = "only the benchmarks read it")]
    pub fn pid(&self) -> Option<u32> {
        self.child.lock().unwrap().as_ref().map(Child::id)
    }

    /// The client-server API base URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", *self.port.lock().unwrap())
    }

    /// The folder with everything the server writes: its database (and WAL), media store,
    /// configuration and logs.
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The server name in Matrix IDs.
    pub fn server_name(&self) -> &'static str {
        "localhost"
    }

    /// Starts (or restarts) the process; a port clash is retried with another port.
    pub fn boot(&self) {
        let python = venv().join("bin/python");
        let mut last_error = String::new();
        for _attempt in 0..3 {
            let port = {
                let mut port = self.port.lock().unwrap();
                if *port == 0 || !last_error.is_empty() {
                    *port = free_port();
                }
                *port
            };
            self.write_config(port);
            let log = std::fs::File::create(self.dir.path().join("stderr.log")).unwrap();
            let child = spawn_tied_to_process(
                Command::new(&python)
                    .args(["-m", "synapse.app.homeserver", "-c"])
                    .arg(self.dir.path().join("homeserver.yaml"))
                    .current_dir(self.dir.path())
                    .stdout(Stdio::null())
                    .stderr(log),
            );
            *self.child.lock().unwrap() = Some(child);
            match self.wait_until_ready(Duration::from_secs(120)) {
                Ok(()) => return,
                Err(err) => {
                    self.stop();
                    last_error = err;
                }
            }
        }
        panic!("Synapse did not start: {last_error}");
    }

    /// Stops the process (the data folder stays, so `boot` resumes the same server).
    pub fn stop(&self) {
        if let Some(mut child) = self.child.lock().unwrap().take() {
            // SIGTERM lets Synapse close its database cleanly.
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn wait_until_ready(&self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let address = format!("127.0.0.1:{}", *self.port.lock().unwrap());
        loop {
            if let Some(status) = self
                .child
                .lock()
                .unwrap()
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                return Err(format!("it exited ({status}):\n{}", self.log_tail()));
            }
            if http_get_ok(&address, "/_matrix/client/versions") {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "it did not answer within {timeout:?}:\n{}",
                    self.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    fn write_config(&self, port: u16) {
        let dir = self.dir.path().display();
        let limit = "{per_second: 10000, burst_count: 10000}";
        let config = format!(
            r#"server_name: "localhost"
pid_file: "{dir}/homeserver.pid"
public_baseurl: "http://127.0.0.1:{port}/"
listeners:
  - port: {port}
    bind_addresses: ["127.0.0.1"]
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: "{dir}/homeserver.db"
log_config: "{dir}/log.yaml"
media_store_path: "{dir}/media_store"
signing_key_path: "{dir}/signing.key"
registration_shared_secret: "{secret}"
enable_registration: false
report_stats: false
enable_metrics: false
trusted_key_servers: []
suppress_key_server_warning: true
federation_domain_whitelist: []
url_preview_enabled: false
presence:
  enabled: true
rc_message: {limit}
rc_registration: {limit}
rc_registration_token_validity: {limit}
rc_login:
  address: {limit}
  account: {limit}
  failed_attempts: {limit}
rc_admin_redaction: {limit}
rc_joins:
  local: {limit}
  remote: {limit}
rc_joins_per_room: {limit}
rc_invites:
  per_room: {limit}
  per_user: {limit}
  per_issuer: {limit}
rc_3pid_validation: {limit}
rc_key_requests: {limit}
rc_room_creation: {limit}
rc_reports: {limit}
rc_presence:
  per_user: {limit}
rc_delayed_event_mgmt: {limit}
rc_media_create: {limit}
{extra}
"#,
            secret = self.shared_secret,
            extra = self.extra_config,
        );
        std::fs::write(self.dir.path().join("homeserver.yaml"), config).unwrap();
        // `SOTTO_SYNAPSE_ACCESS_LOG=FILE` also writes Synapse's request log (each request's
        // time, CPU and database share) to FILE, for work on the benchmarks' figures.
        // The request log always goes to `access.log` in the server's folder (tests prove
        // from it which requests were made), or to that FILE.
        let access = {
            let file = match std::env::var("SOTTO_SYNAPSE_ACCESS_LOG") {
                Ok(file) if !file.is_empty() => file,
                _ => format!("{dir}/access.log"),
            };
            format!(
                r#"  access:
    class: logging.FileHandler
    formatter: precise
    filename: "{file}"
loggers:
  synapse.access.http:
    level: INFO
    handlers: [access]
    propagate: false
"#
            )
        };
        let log = format!(
            r#"version: 1
formatters:
  precise:
    format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(message)s'
handlers:
  file:
    class: logging.FileHandler
    formatter: precise
    filename: "{dir}/homeserver.log"
{access}root:
  level: WARNING
  handlers: [file]
disable_existing_loggers: false
"#
        );
        std::fs::write(self.dir.path().join("log.yaml"), log).unwrap();
    }

    /// Synapse's request log so far (one line per request, with its path): what tests
    /// read to prove that a request was made, or was not.
    pub fn access_log(&self) -> String {
        let file = match std::env::var("SOTTO_SYNAPSE_ACCESS_LOG") {
            Ok(file) if !file.is_empty() => std::path::PathBuf::from(file),
            _ => self.dir.path().join("access.log"),
        };
        std::fs::read_to_string(file).unwrap_or_default()
    }

    /// Registers a user with a random password through the shared-secret registration API.
    pub async fn register(&self, localpart: &str) -> TestUser {
        self.register_with_password(localpart, &format!("pw-{}", random_hex(8)))
            .await
    }

    /// Registers a user with `password` through the shared-secret registration API.
    pub async fn register_with_password(&self, localpart: &str, password: &str) -> TestUser {
        let password = password.to_owned();
        let http = reqwest::Client::new();
        let endpoint = format!("{}/_synapse/admin/v1/register", self.url());
        let nonce = http
            .get(&endpoint)
            .send()
            .await
            .expect("Synapse answers")
            .bytes()
            .await
            .expect("a nonce");
        let nonce: serde_json::Value = serde_json::from_slice(&nonce).expect("a JSON nonce");
        let nonce = nonce["nonce"].as_str().expect("a nonce").to_owned();
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(self.shared_secret.as_bytes()).unwrap();
        mac.update(format!("{nonce}\0{localpart}\0{password}\0notadmin").as_bytes());
        let mac: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let response = http
            .post(&endpoint)
            .header("Content-Type", "application/json")
            .body(
                json!({
                    "nonce": nonce,
                    "username": localpart,
                    "password": password,
                    "admin": false,
                    "mac": mac,
                })
                .to_string(),
            )
            .send()
            .await
            .expect("Synapse answers");
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        assert!(
            status.is_success(),
            "registering {localpart} failed: {status} {body}"
        );
        TestUser {
            localpart: localpart.to_owned(),
            user_id: format!("@{localpart}:{}", self.server_name()),
            password,
        }
    }
}

impl Drop for Synapse {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Spawns `command` so that it is killed when this test process ends, however it ends: the
/// child asks the kernel for SIGTERM when its parent thread dies, and it is spawned from a
/// thread that lives as long as the process.
pub fn spawn_tied_to_process(command: &mut Command) -> Child {
    use std::os::unix::process::CommandExt;
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    type Job = (Command, std::sync::mpsc::Sender<std::io::Result<Child>>);
    static SPAWNER: OnceLock<Mutex<std::sync::mpsc::Sender<Job>>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (sender, receiver) = std::sync::mpsc::channel::<Job>();
        std::thread::spawn(move || {
            for (mut command, reply) in receiver {
                let _ = reply.send(command.spawn());
            }
            // The channel lives in a static, so this thread never ends before the process.
        });
        Mutex::new(sender)
    });
    let (reply, result) = std::sync::mpsc::channel();
    let owned = std::mem::replace(command, Command::new("true"));
    spawner.lock().unwrap().send((owned, reply)).unwrap();
    result.recv().unwrap().expect("the process starts")
}

fn http_get_ok(address: &str, path: &str) -> bool {
    use std::io::Read;
    let Ok(mut stream) = std::net::TcpStream::connect(address) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if write!(stream, "GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n").is_err() {
        return false;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.starts_with("HTTP/1.1 200") || response.starts_with("HTTP/1.0 200")
}

/// A random hexadecimal string of `bytes` random bytes.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut buf))
        .expect("/dev/urandom");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

fn write_signing_key(dir: &Path) {
    use base64::Engine;
    let mut seed = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut seed))
        .expect("/dev/urandom");
    let key = base64::engine::general_purpose::STANDARD_NO_PAD.encode(seed);
    std::fs::write(dir.join("signing.key"), format!("ed25519 a_sotto {key}\n")).unwrap();
}
