//! Start-up benchmark (issue: accounts): a saved session whose store holds 200 joined
//! rooms, started as a new process each run. Prints figures; asserts nothing about time.
//!
//! Run it with `tools/bench` (it needs the private session, Synapse and Xvfb of the tests).
//! Each run starts once Synapse is idle (the setup's requests done; on a phone the server
//! is another machine), and the CPU time Synapse uses during a start is printed too.
//! Figures, each the median of several runs:
//! - process start to the engine's room list holding all 200 rooms;
//! - process start to the first frame of the window showing the rooms (under Xvfb);
//! - resident memory one second after that, and CPU time used in each of the next seconds;
//! - opening the stores with the raw key versus a passphrase-derived key;
//! - with the window closed (running in the background): CPU time per second over a
//!   minute, resident memory, and the time from a message sent by a peer in an encrypted
//!   direct chat to its notification at a notification server on the private bus.
//!
//! `-- --background` runs only the last part.
//!
//! `SOTTO_BENCH_WRAP` puts a command before each child (a profiler, say); its output
//! file is overwritten by each run, so the last run's is what remains.

// matrix-sdk-ui's timeline futures are deep; the default limit is too small for them.
#![recursion_limit = "256"]

#[path = "../tests/it/harness/mod.rs"]
#[allow(dead_code)]
mod harness;

#[allow(dead_code)]
mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use sotto::engine::accounts::Accounts;
use sotto::engine::paths::Paths;
use sotto::engine::room_list::{RoomListSections, room_list};
use sotto::engine::secrets::SecretStore;
use sotto::engine::sync::AccountSync;

const ROOMS: usize = 200;
const RUNS: usize = 7;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("--child-engine") => child_engine(Path::new(&args[2])),
        Some("--child-window") => child_window(Path::new(&args[2])),
        Some("--child-background") => child_background(Path::new(&args[2])),
        // `cargo bench` passes `--bench`; anything else runs the benchmark.
        _ => parent(),
    }
}

fn accounts_in(dir: &Path) -> Accounts {
    Accounts::new(
        Paths::new(dir.join("data"), dir.join("cache")),
        SecretStore::new(),
    )
}

fn parent() {
    let only_background = std::env::args().any(|a| a == "--background");
    harness::assert_private_session();
    let dir = tempfile::Builder::new()
        .prefix("sotto-bench-")
        .tempdir()
        .unwrap();
    let server = harness::synapse::Synapse::start();
    let runtime = harness::runtime();
    let setup = Instant::now();
    let dm = runtime.block_on(async {
        let user = server.register("bench").await;
        let accounts = accounts_in(dir.path());
        let session = accounts
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .expect("signs in");
        // 199 joined rooms with a message each (created by the user, so joined at once).
        for i in 0..ROOMS - 1 {
            let mut request = matrix_sdk::ruma::api::client::room::create_room::v3::Request::new();
            request.name = Some(format!("Bench room {i:03}"));
            let room = session.client().create_room(request).await.expect("a room");
            harness::peers::send_text(&room, &format!("message {i}")).await;
        }
        // The 200th: an encrypted direct chat with a friend, for the notifications. Made
        // here, by the one client of the account in this process: a second one restored
        // later beside Sotto's own process could publish keys that process never sees.
        let friend_user = server.register("bench-friend").await;
        let friend = harness::peers::login(&server, &friend_user).await;
        harness::peers::set_display_name(&friend, "Frida").await;
        let dm = harness::peers::create_encrypted_dm(&friend, &user.user_id).await;
        session
            .client()
            .join_room_by_id(dm.room_id())
            .await
            .unwrap();
        // Fill the cache: sync until all rooms are listed, then stop.
        let sync = AccountSync::start(&session).await.unwrap();
        wait_for_rooms(&sync).await;
        harness::peers::wait_for_device_keys(&friend, &user.user_id, &session.device_id()).await;
        sync.stop().await;
        friend.sync_once(Default::default()).await.unwrap();
        friend.get_room(dm.room_id()).unwrap()
    });
    println!(
        "setup: {ROOMS} rooms created and synced in {:.1} s",
        setup.elapsed().as_secs_f64()
    );

    let me = std::env::current_exe().unwrap();
    let synapse = server.pid();
    if only_background {
        background(&me, dir.path(), &server, &dm);
        return;
    }
    let engine = runs(&me, "--child-engine", dir.path(), "ROOMS", synapse);
    println!(
        "process start → engine room list with {ROOMS} rooms: median {} ms (runs: {})",
        median(&engine.iter().map(|r| r.at_ms).collect::<Vec<_>>()),
        list(&engine.iter().map(|r| r.at_ms).collect::<Vec<_>>())
    );

    for second in 1..=3 {
        let cpu: Vec<u64> = engine
            .iter()
            .filter_map(|r| r.field(&format!("CPU_MS_{second}")))
            .collect();
        println!(
            "  engine alone, CPU time in second {second} after that: median {} ms (runs: {})",
            median(&cpu),
            list(&cpu)
        );
    }

    let window = runs(&me, "--child-window", dir.path(), "FRAME", synapse);
    println!(
        "process start → first frame showing the rooms (360×720, Xvfb): median {} ms (runs: {})",
        median(&window.iter().map(|r| r.at_ms).collect::<Vec<_>>()),
        list(&window.iter().map(|r| r.at_ms).collect::<Vec<_>>())
    );
    let server_cpu: Vec<u64> = window.iter().filter_map(|r| r.server_cpu_ms).collect();
    println!(
        "  Synapse's CPU time meanwhile (on the same two cores): median {} ms (runs: {})",
        median(&server_cpu),
        list(&server_cpu)
    );
    for phase in [
        "GTK_INIT_MS",
        "PRESENTED_MS",
        "SESSION_PAGE_MS",
        "PAINTED_MS",
    ] {
        let values: Vec<u64> = window.iter().filter_map(|r| r.field(phase)).collect();
        println!(
            "  in the child, {phase}: median {} (runs: {})",
            median(&values),
            list(&values)
        );
    }
    let rss: Vec<u64> = window.iter().filter_map(|r| r.field("RSS_KB")).collect();
    println!(
        "resident memory 1 s after the first frame: median {} MB (runs: {})",
        median(&rss) / 1024,
        list(&rss.iter().map(|kb| kb / 1024).collect::<Vec<_>>())
    );
    for second in 1..=3 {
        let cpu: Vec<u64> = window
            .iter()
            .filter_map(|r| r.field(&format!("CPU_MS_{second}")))
            .collect();
        println!(
            "CPU time in second {second} after that: median {} ms (runs: {})",
            median(&cpu),
            list(&cpu)
        );
        let frames: Vec<u64> = window
            .iter()
            .filter_map(|r| r.field(&format!("FRAMES_{second}")))
            .collect();
        println!("  frames drawn in that second: {}", list(&frames));
    }

    runtime.block_on(compare_keys(&server.url()));
    background(&me, dir.path(), &server, &dm);
}

/// How many messages the notification latency is measured over.
const NOTIFIED_MESSAGES: usize = 50;

/// With the window closed: idle CPU and memory, then the time from a peer's message to its
/// notification.
fn background(me: &Path, dir: &Path, server: &harness::synapse::Synapse, dm: &matrix_sdk::Room) {
    let runtime = harness::runtime();
    let notifications = harness::notifyd::NotificationServer::start();
    if let Some(pid) = server.pid() {
        common::wait_until_idle(pid, Duration::from_secs(20));
    }
    // Sotto runs alone on a phone: the child runs from a copy of this program, so that the
    // pages of code this process uses too are not shared between the two (shared pages
    // stay resident in both, and would hide what the child hands back).
    let own_copy = dir.join("sotto-background");
    std::fs::copy(me, &own_copy).expect("a copy of the benchmark program");
    // Written to the disk, as an installed program is: the kernel keeps pages that still
    // have to be written.
    std::fs::File::open(&own_copy)
        .and_then(|file| file.sync_all())
        .expect("the copy written");
    let mut child = child_command(&own_copy)
        .arg("--child-background")
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the child starts");
    let pid = child.id();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        if line.unwrap() == "CLOSED" {
            break;
        }
    }
    // tools/layout/profile starts recording what runs from here.
    println!("window closed");
    // Let the window's end and the sync settle, then measure a quiet minute.
    std::thread::sleep(Duration::from_secs(5));
    println!(
        "  resident memory 5 s after closing: {}",
        common::Resident::describe(&pid.to_string())
    );
    for file in common::Resident::largest_files(&pid.to_string(), 3) {
        println!("    {file}");
    }
    let before = common::process_cpu_ms(pid).unwrap();
    std::thread::sleep(Duration::from_secs(60));
    let used = common::process_cpu_ms(pid).unwrap() - before;
    println!(
        "window closed, {ROOMS} rooms, idle: {used} ms of CPU in 60 s ({:.2} ms per second; target 1)",
        used as f64 / 60.0
    );
    println!(
        "  resident memory then: {} (target 60 MB)",
        common::Resident::describe(&pid.to_string())
    );
    for file in common::Resident::largest_files(&pid.to_string(), 8) {
        println!("    {file}");
    }

    let mut latencies = Vec::with_capacity(NOTIFIED_MESSAGES);
    for i in 0..NOTIFIED_MESSAGES {
        let shown = notifications.shown().len();
        let sent = Instant::now();
        runtime.block_on(harness::peers::send_text(dm, &format!("bench message {i}")));
        let deadline = Instant::now() + Duration::from_secs(30);
        while notifications.shown().len() == shown {
            assert!(Instant::now() < deadline, "no notification for message {i}");
            std::thread::sleep(Duration::from_millis(2));
        }
        latencies.push(sent.elapsed().as_millis() as u64);
        // Quiet between messages, as people write.
        std::thread::sleep(Duration::from_millis(200));
    }
    println!(
        "peer's message → notification, window closed: median {} ms, slowest {} ms over {NOTIFIED_MESSAGES} (target 300)",
        median(&latencies),
        latencies.iter().max().unwrap()
    );
    // What the sync and the notifications brought back in.
    println!(
        "  resident memory after those {NOTIFIED_MESSAGES} notifications: {}",
        common::Resident::describe(&pid.to_string())
    );
    // The end of its input ends the child (and a wrapping profiler writes its data then).
    drop(child.stdin.take());
    let _ = child.wait();
}

/// The command that starts the child program `me`: under `SOTTO_BENCH_WRAP` if set
/// (`"perf record -g --"` runs each child under a profiler; the memory figures are then
/// the profiler's process's).
fn child_command(me: &Path) -> Command {
    let wrap = std::env::var("SOTTO_BENCH_WRAP").unwrap_or_default();
    let mut words = wrap.split_whitespace();
    match words.next() {
        Some(program) => {
            let mut command = Command::new(program);
            command.args(words).arg(me);
            command
        }
        None => Command::new(me),
    }
}

/// Sotto with its window opened on the saved account and then closed: it runs on in the
/// background, syncing and notifying, until the parent ends it.
fn child_background(dir: &Path) {
    let started = common::app::start(accounts_in(dir), 360, 720);
    let window = started.window;
    let rooms = window.rooms();
    let listed = common::app::run_main_loop_until(Duration::from_secs(60), || {
        rooms.n_items() > 0 && window.sync().is_some()
    });
    assert!(listed, "the window listed the rooms");
    // The first answer from the server, before closing.
    common::app::run_main_loop_for(Duration::from_secs(3));
    use gtk::prelude::*;
    let closed = window.downgrade();
    window.close();
    drop(window);
    drop(rooms);
    // The window and its widgets are freed: a window something still holds keeps its
    // widgets' memory, which is what running in the background must give back.
    let freed =
        common::app::run_main_loop_until(Duration::from_secs(10), || closed.upgrade().is_none());
    assert!(freed, "the closed window was freed");
    common::app::run_main_loop_for(Duration::from_secs(1));
    println!("CLOSED");
    // What the allocator holds, beside the parent's figures: live data against what is
    // free inside its arenas (fragmentation), when the parent reads the memory.
    for after in [5, 65] {
        gtk::glib::timeout_add_seconds_local_once(after, move || {
            let heap = sotto::memory::heap_use();
            eprintln!(
                "  (the allocator {after} s after closing: {} MB in use, {} MB free inside it)",
                heap.in_use_kib / 1024,
                heap.free_kib / 1024
            );
        });
    }
    // The parent ends this process by closing its input.
    std::thread::spawn(|| {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        std::process::exit(0);
    });
    let _app = started.app;
    let context = gtk::glib::MainContext::default();
    loop {
        context.iteration(true);
    }
}

async fn wait_for_rooms(sync: &AccountSync) {
    let (_handle, updates) = room_list(sync).await.unwrap();
    let mut updates = Box::pin(updates);
    let mut rooms = RoomListSections::default();
    while rooms.len() < ROOMS {
        rooms.apply(updates.next().await.expect("the room list goes on"));
    }
}

/// What a child process reported, with when its marker line arrived.
struct Run {
    at_ms: u64,
    lines: Vec<String>,
    /// The CPU time Synapse used from the child's start to its marker.
    server_cpu_ms: Option<u64>,
}

impl Run {
    fn field(&self, name: &str) -> Option<u64> {
        self.lines
            .iter()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.trim().parse().ok())
    }
}

/// Runs `RUNS` children in `mode`, each once Synapse (`server_pid`) is idle.
fn runs(me: &Path, mode: &str, dir: &Path, marker: &str, server_pid: Option<u32>) -> Vec<Run> {
    (0..RUNS)
        .map(|_| {
            if let Some(pid) = server_pid {
                common::wait_until_idle(pid, Duration::from_secs(20));
            }
            let server_before = server_pid.and_then(common::process_cpu_ms);
            let mut server_cpu_ms = None;
            let start = Instant::now();
            let mut child = child_command(me)
                .arg(mode)
                .arg(dir)
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("the child starts");
            // A child that hangs is killed, so the benchmark always ends.
            let pid = child.id() as i32;
            let watchdog = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_secs(120));
                // SAFETY: kill only sends a signal; the pid may be gone, which is harmless.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            });
            drop(watchdog);
            let mut at_ms = None;
            let mut lines = Vec::new();
            for line in BufReader::new(child.stdout.take().unwrap()).lines() {
                let line = line.unwrap();
                if line == marker {
                    at_ms = Some(start.elapsed().as_millis() as u64);
                    server_cpu_ms = server_pid
                        .and_then(common::process_cpu_ms)
                        .zip(server_before)
                        .map(|(after, before)| after - before);
                }
                lines.push(line);
            }
            let status = child.wait().unwrap();
            assert!(status.success(), "the {mode} child failed: {lines:?}");
            Run {
                at_ms: at_ms.expect("the child reported its marker"),
                lines,
                server_cpu_ms,
            }
        })
        .collect()
}

fn median(values: &[u64]) -> u64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

fn list(values: &[u64]) -> String {
    values
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The engine alone: restore the saved account and fill the room list.
fn child_engine(dir: &Path) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let accounts = accounts_in(dir);
        let entry = accounts.list().unwrap().remove(0);
        let session = accounts.restore(&entry).await.unwrap();
        let sync = AccountSync::start(&session).await.unwrap();
        wait_for_rooms(&sync).await;
        println!("ROOMS");
        for second in 1..=3 {
            let before = cpu_ms();
            tokio::time::sleep(Duration::from_secs(1)).await;
            println!("CPU_MS_{second} {}", cpu_ms() - before);
        }
        sync.stop().await;
    });
}

/// The whole app: the real window, until it has drawn the rooms.
fn child_window(dir: &Path) {
    use gtk::prelude::*;
    let began = Instant::now();
    let started = common::app::start(accounts_in(dir), 360, 720);
    println!("GTK_INIT_MS {}", started.gtk_init.as_millis());
    let window = started.window;
    let context = gtk::glib::MainContext::default();
    let rooms = window.rooms();
    // The first frame painted once the rooms are in the list.
    let painted = std::rc::Rc::new(std::cell::Cell::new(false));
    let clock = common::app::frame_clock(&window);
    let filled_at = std::rc::Rc::new(std::cell::Cell::new(None::<u128>));
    let filled = filled_at.clone();
    rooms.connect_items_changed(move |store, _, _, _| {
        if filled.get().is_none() && store.n_items() > 0 {
            filled.set(Some(began.elapsed().as_millis()));
        }
    });
    let flag = painted.clone();
    let store = rooms.clone();
    let paints = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let counter = paints.clone();
    clock.connect_after_paint(move |_| {
        counter.set(counter.get() + 1);
        if store.n_items() > 0 && !flag.get() {
            flag.set(true);
            println!("FRAME");
        }
    });
    println!("PRESENTED_MS {}", began.elapsed().as_millis());
    let page = window.clone();
    let mut session_ms = None;
    while !painted.get() {
        context.iteration(true);
        if session_ms.is_none() && page.page() == "session" {
            session_ms = Some(began.elapsed().as_millis());
        }
    }
    println!("SESSION_PAGE_MS {}", session_ms.unwrap_or_default());
    println!("ROOMS_IN_MODEL_MS {}", filled_at.get().unwrap_or_default());
    println!("PAINTED_MS {}", began.elapsed().as_millis());
    common::app::run_main_loop_for(Duration::from_secs(1));
    println!("RSS_KB {}", common::Resident::of("self").total_kib);
    for second in 1..=3 {
        let before = cpu_ms();
        let frames_before = paints.get();
        common::app::run_main_loop_for(Duration::from_secs(1));
        println!("CPU_MS_{second} {}", cpu_ms() - before);
        println!("FRAMES_{second} {}", paints.get() - frames_before);
    }
    println!("ROOMS_SHOWN {}", rooms.n_items());
}

/// User and system CPU time of this process so far.
fn cpu_ms() -> u64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let ms = |t: libc::timeval| t.tv_sec as u64 * 1000 + t.tv_usec as u64 / 1000;
    ms(usage.ru_utime) + ms(usage.ru_stime)
}

/// Opening the stores with a raw key versus a passphrase, which runs a key derivation
/// for each store at every start.
async fn compare_keys(homeserver: &str) {
    let dir = tempfile::tempdir().unwrap();
    let key = [7u8; 32];
    let mut raw = Vec::new();
    let mut derived = Vec::new();
    for i in 0..5 {
        for (kind, times) in [("raw", &mut raw), ("passphrase", &mut derived)] {
            let path: PathBuf = dir.path().join(format!("{kind}-{i}"));
            // The first open creates the store; the second one is what a start costs.
            for measured in [false, true] {
                let config = matrix_sdk::SqliteStoreConfig::new(&path);
                let config = if kind == "raw" {
                    config.key(Some(&key))
                } else {
                    config.passphrase(Some("a passphrase of some length"))
                };
                let start = Instant::now();
                let client = matrix_sdk::Client::builder()
                    .homeserver_url(homeserver)
                    .sqlite_store_with_config_and_cache_path(config, Some(path.join("cache")))
                    .build()
                    .await
                    .expect("the store opens");
                if measured {
                    times.push(start.elapsed().as_millis() as u64);
                }
                drop(client);
            }
        }
    }
    println!(
        "opening the stores: raw key median {} ms (runs: {}); passphrase median {} ms (runs: {})",
        median(&raw),
        list(&raw),
        median(&derived),
        list(&derived)
    );
}
