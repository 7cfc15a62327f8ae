//! The demo that `tools/run` starts: a private Synapse seeded with demo people, rooms and an
//! encrypted direct chat, and Sotto signed in as the demo user with accounts of its own (its
//! own folders and Secret Service item, in the private session of `tools/run`), so it never
//! touches a real account. It lives in the test binary to reuse the harness without linking
//! another binary; it is ignored by normal test runs.

use std::process::Command;

use matrix_sdk::ruma::OwnedRoomId;
use sotto::engine::accounts::Accounts;
use sotto::engine::paths::Paths;
use sotto::engine::secrets::SecretStore;

use crate::harness::{self, peers, synapse};

/// The demo user's password, shown by `tools/run` so the person can sign in elsewhere too.
const DEMO_PASSWORD: &str = "sotto-demo";

#[test]
#[ignore = "started by tools/run, not a test"]
fn run_demo() {
    harness::assert_private_session();
    harness::init_logging();
    let folders = tempfile::Builder::new()
        .prefix("sotto-demo-")
        .tempdir()
        .unwrap();
    let server = synapse::Synapse::start();
    let runtime = harness::runtime();
    // The peers stay signed in while the demo runs.
    let _peers = runtime.block_on(seed(&server, folders.path()));

    eprintln!(
        "\nSotto demo: signed in as @demo:localhost (password {DEMO_PASSWORD}) on {}\n",
        server.url()
    );
    let status = Command::new(env!("CARGO_BIN_EXE_sotto"))
        .env("XDG_DATA_HOME", folders.path().join("data"))
        .env("XDG_CACHE_HOME", folders.path().join("cache"))
        .env("XDG_CONFIG_HOME", folders.path().join("config"))
        .status()
        .expect("Sotto starts");
    assert!(status.success(), "Sotto exited with {status}");
}

/// Creates the demo people and rooms and signs the demo user in in the demo's folders.
async fn seed(server: &synapse::Synapse, folders: &std::path::Path) -> Vec<matrix_sdk::Client> {
    let demo = server.register_with_password("demo", DEMO_PASSWORD).await;
    let alice = server.register_with_password("alice", DEMO_PASSWORD).await;
    let bob = server.register_with_password("bob", DEMO_PASSWORD).await;

    // Sign in through Sotto's engine first, so that the encrypted messages below are
    // encrypted for the demo device too.
    let paths = Paths::new(folders.join("data/sotto"), folders.join("cache/sotto"));
    let accounts = Accounts::new(paths, SecretStore::new());
    let session = accounts
        .login(&server.url(), &demo.localpart, DEMO_PASSWORD)
        .await
        .expect("the demo user signs in");

    let alice_client = peers::login(server, &alice).await;
    // The demo device's keys must be on the server for the others to encrypt for it.
    peers::publish_sotto_keys(&session, &alice_client).await;
    let bob_client = peers::login(server, &bob).await;

    let dm = peers::create_room(&alice_client, "Alice", true, &[&demo.user_id]).await;
    let team = peers::create_room(
        &bob_client,
        "Weekend hike",
        true,
        &[&demo.user_id, &alice.user_id],
    )
    .await;
    let open = peers::create_room(&bob_client, "Garden club", false, &[&demo.user_id]).await;
    for room_id in [dm.room_id(), team.room_id(), open.room_id()] {
        join(session.client(), room_id.to_owned()).await;
    }
    alice_client
        .join_room_by_id(team.room_id())
        .await
        .expect("Alice joins the hike room");
    for client in [&alice_client, &bob_client] {
        client
            .sync_once(Default::default())
            .await
            .expect("the peers sync");
    }

    let dm = alice_client
        .get_room(dm.room_id())
        .expect("Alice's direct chat");
    for text in [
        "Hi! This chat is end-to-end encrypted: the homeserver only sees ciphertext.",
        "Your keys stay in the system keyring on your device.",
        "Try answering me from the composer once it lands 🙂",
    ] {
        peers::send_text(&dm, text).await;
    }
    let team_for_bob = bob_client
        .get_room(team.room_id())
        .expect("Bob's hike room");
    peers::send_text(&team_for_bob, "Saturday, 9:00 at the station?").await;
    let team_for_alice = alice_client
        .get_room(team.room_id())
        .expect("Alice's hike room");
    peers::send_text(&team_for_alice, "Works for me. I'll bring the map.").await;
    peers::send_text(
        &open,
        "Welcome to the garden club! This room is not encrypted.",
    )
    .await;
    vec![alice_client, bob_client]
}

async fn join(client: &matrix_sdk::Client, room_id: OwnedRoomId) {
    client
        .join_room_by_id(&room_id)
        .await
        .expect("the demo user joins");
}

/// The server side of `tools/package --smoke`: a private Synapse with the demo user in an
/// unencrypted and an encrypted room, and no Sotto device yet; then the command in
/// `SOTTO_SMOKE_DRIVER` signs in through the packaged Sotto's greeter (told the server,
/// user and password through `SOTTO_SMOKE_*` variables) and must succeed.
#[test]
#[ignore = "started by tools/package --smoke, not a test"]
fn package_smoke() {
    harness::assert_private_session();
    harness::init_logging();
    let driver =
        std::env::var("SOTTO_SMOKE_DRIVER").expect("tools/package sets SOTTO_SMOKE_DRIVER");
    let server = synapse::Synapse::start();
    let runtime = harness::runtime();
    let _peers = runtime.block_on(async {
        let demo = server.register_with_password("demo", DEMO_PASSWORD).await;
        let bob = server.register_with_password("bob", DEMO_PASSWORD).await;
        let bob_client = peers::login(&server, &bob).await;
        let demo_client = peers::login(&server, &demo).await;
        let open = peers::create_room(&bob_client, "Garden club", false, &[&demo.user_id]).await;
        let hike = peers::create_room(&bob_client, "Weekend hike", true, &[&demo.user_id]).await;
        for room in [&open, &hike] {
            join(&demo_client, room.room_id().to_owned()).await;
        }
        peers::send_text(
            &open,
            "Welcome to the garden club! This room is not encrypted.",
        )
        .await;
        vec![bob_client, demo_client]
    });
    let status = Command::new("bash")
        .arg("-c")
        .arg(&driver)
        .env("SOTTO_SMOKE_HOMESERVER", server.url())
        .env("SOTTO_SMOKE_USER", "demo")
        .env("SOTTO_SMOKE_PASSWORD", DEMO_PASSWORD)
        .env("SOTTO_SMOKE_ROOM", "Garden club")
        .status()
        .expect("the smoke driver starts");
    assert!(status.success(), "the smoke driver failed ({status})");
}
