//! The test harness: a real Synapse, the real Secret Service of the private session that
//! `tools/test` starts, other Matrix clients to talk to, and a GTK thread with screenshots.

pub mod bodies;
pub mod conversation;
pub mod keyring;
pub mod link;
pub mod nio;
pub mod notifyd;
pub mod peers;
pub mod portald;
pub mod script_server;
pub mod sotto_room;
pub mod synapse;
pub mod ui;

use std::time::Duration;

use sotto::engine::accounts::Accounts;
use sotto::engine::paths::Paths;
use sotto::engine::secrets::SecretStore;

/// How long a test waits for the server before it fails.
/// The project's root folder. Read when the tests run (cargo sets `CARGO_MANIFEST_DIR` for
/// them), not when they were built: a cached test binary may come from another checkout.
pub fn repo_root() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(
        || env!("CARGO_MANIFEST_DIR").into(),
        std::path::PathBuf::from,
    )
}

pub const PATIENCE: Duration = Duration::from_secs(60);

/// Sotto's accounts in fresh temporary folders, with secrets in the session's Secret Service.
pub struct TestProfile {
    /// The accounts of the test.
    pub accounts: Accounts,
    /// The folders, removed when the test ends.
    _folders: tempfile::TempDir,
}

impl Drop for TestProfile {
    /// Stops the accounts that still run (syncing), so that they do not go on for the rest
    /// of the test process.
    fn drop(&mut self) {
        let running = self.accounts.running().clone();
        let stopping = std::thread::spawn(move || {
            runtime().block_on(async {
                let _ = tokio::time::timeout(Duration::from_secs(10), running.stop_all()).await;
            });
        });
        let _ = stopping.join();
    }
}

impl TestProfile {
    /// A new empty set of accounts. Fails clearly when no Secret Service is running.
    pub fn new() -> Self {
        assert_private_session();
        init_logging();
        let dir = tempfile::Builder::new()
            .prefix("sotto-accounts-")
            .tempdir()
            .expect("a temporary folder");
        let paths = Paths::new(dir.path().join("data"), dir.path().join("cache"));
        Self {
            accounts: Accounts::new(paths, SecretStore::new()),
            _folders: dir,
        }
    }
}

impl TestProfile {
    /// Accounts with a new user on the shared Synapse already signed in.
    pub fn signed_in(localpart: &str) -> (Self, synapse::TestUser) {
        let test = Self::new();
        let server = synapse::shared();
        let user = runtime().block_on(async {
            let user = server.register(localpart).await;
            test.accounts
                .login(&server.url(), &user.localpart, &user.password)
                .await
                .expect("the test user signs in");
            user
        });
        (test, user)
    }

    /// A new user `localpart` signed in here, and a friend
    /// (`localpart-friend`) signed in to a headless peer client.
    pub async fn signed_in_with_friend(
        &self,
        server: &synapse::Synapse,
        localpart: &str,
    ) -> (
        synapse::TestUser,
        sotto::engine::session::Session,
        matrix_sdk::Client,
    ) {
        let user = server.register(localpart).await;
        let session = self
            .accounts
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .expect("the test user signs in");
        let friend = server.register(&format!("{localpart}-friend")).await;
        let friend_client = peers::login(server, &friend).await;
        (user, session, friend_client)
    }

    /// The first account opened from its store, with a cross-signing identity
    /// set up (the password answers the server's question for it, if it asks).
    pub async fn restored_with_identity(
        &self,
        user: &synapse::TestUser,
    ) -> sotto::engine::session::Session {
        let session = self
            .accounts
            .restore(&self.accounts.list().unwrap()[0])
            .await
            .unwrap();
        sotto::engine::trust::cross_signing::bootstrap_cross_signing(
            &session,
            Some(&user.password),
        )
        .await
        .unwrap();
        session
    }
}

/// The whole test process's logs, from every thread: two files (one at debug level for
/// every target, one at Sotto's default level, formatted as the app formats it), which
/// the security tests scan, and Sotto's lines in the output of a failing test (RUST_LOG
/// filters those). Installed once, as the global subscriber, by the first test to ask.
pub struct ProcessLogs {
    /// Every line at debug level and above, from every thread.
    pub debug: std::path::PathBuf,
    /// Every line the app would print at its default level (`sotto::logging`).
    pub default_level: std::path::PathBuf,
    _folder: tempfile::TempDir,
}

/// The log files of this test process (installing the global subscriber if needed).
pub fn process_logs() -> &'static ProcessLogs {
    static LOGS: std::sync::OnceLock<ProcessLogs> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        use tracing_subscriber::prelude::*;
        use tracing_subscriber::{EnvFilter, fmt};

        let folder = tempfile::Builder::new()
            .prefix("sotto-test-logs-")
            .tempdir()
            .expect("a folder for the test logs");
        let debug = folder.path().join("debug.log");
        let default_level = folder.path().join("default-level.log");
        let open = |path: &std::path::Path| {
            std::sync::Arc::new(
                std::fs::File::create(path).expect("a test log file the scans can read"),
            )
        };
        let debug_file = open(&debug);
        let default_file = open(&default_level);
        // Debug for everything; the HTTP and TLS layers' own debug lines are only noise.
        let debug_filter = EnvFilter::new(
            "debug,hyper=info,hyper_util=info,h2=info,rustls=info,reqwest=info,tower=info,\
             zbus=info,sqlx=info",
        );
        let subscriber = tracing_subscriber::registry()
            .with(
                fmt::layer()
                    .with_test_writer()
                    .with_filter(EnvFilter::from_default_env()),
            )
            .with(
                fmt::layer()
                    .with_ansi(false)
                    .with_writer(debug_file)
                    .with_filter(debug_filter),
            )
            .with(
                fmt::layer()
                    .with_ansi(false)
                    .event_format(sotto::logging::EventOnly)
                    .with_writer(default_file)
                    .with_filter(EnvFilter::new(sotto::logging::DEFAULT_FILTER)),
            );
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in the test process");
        ProcessLogs {
            debug,
            default_level,
            _folder: folder,
        }
    })
}

/// Installs the process-wide logging (see [`process_logs`]).
pub fn init_logging() {
    process_logs();
}

/// The tests run inside the private D-Bus session of `tools/test`, never the person's own.
pub fn assert_private_session() {
    assert!(
        std::env::var_os("SOTTO_TEST_SESSION").is_some(),
        "run the tests with tools/test: it starts the private D-Bus session, the Secret \
         Service and the display they need"
    );
}

/// A tokio runtime for a test's async body.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// The peak resident memory of this test process so far (`VmHWM`), in KiB.
pub fn peak_memory_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The room ID `id` (from a peer or the server, so known to be one) as the engine takes it.
pub fn rid(id: impl AsRef<str>) -> sotto::engine::ids::OwnedRoomId {
    sotto::engine::ids::OwnedRoomId::try_from(id.as_ref()).expect("a room ID")
}

/// The user ID `id` (a test user's, so known to be one) as the engine takes it.
pub fn uid(id: impl AsRef<str>) -> sotto::engine::ids::OwnedUserId {
    sotto::engine::ids::OwnedUserId::try_from(id.as_ref()).expect("a user ID")
}

/// The event ID `id` (from the server, so known to be one) as the engine takes it.
pub fn eid(id: impl AsRef<str>) -> sotto::engine::ids::OwnedEventId {
    sotto::engine::ids::OwnedEventId::try_from(id.as_ref()).expect("an event ID")
}
