//! The text of encrypted messages is nowhere at rest: not in the server's database, WAL,
//! media store or logs, and not in Sotto's files or log lines, as text, hex or base64. A
//! message in an unencrypted room is the positive control: the same scan finds it in the
//! server's database.

use super::fixture::{TwoRooms, two_rooms};
use super::scan::{CapturedLog, contains_any, encodings, files_containing};
use crate::harness::synapse::{Synapse, random_hex};
use crate::harness::{TestProfile, peers};

fn marker(what: &str) -> String {
    format!("marker-{what}-{}", random_hex(16))
}

#[test]
fn encrypted_message_text_is_nowhere_at_rest_or_in_logs() {
    let test = TestProfile::new();
    // A server of its own: it is stopped before its files are scanned.
    let server = Synapse::start();
    // Every thread of the test process logs into it, whichever runtime runs the tasks.
    let log = CapturedLog::start();
    // Several worker threads: the global capture hears them all.
    let runtime = crate::harness::runtime();

    let from_peer = marker("from-peer");
    let from_sotto = marker("from-sotto");
    let reply = marker("reply");
    let edit = marker("edit");
    let unencrypted = marker("unencrypted");

    runtime.block_on(async {
        let TwoRooms {
            friend: friend_client,
            secret_room,
            open_room,
            session: _,
            sync,
            sotto_secret,
            sotto_open,
        } = two_rooms(&server, &test, "markers").await;

        peers::send_text(&secret_room, &from_peer).await;
        let shown = sotto_secret.wait_for_text(&from_peer).await;
        assert!(shown.was_encrypted, "the peer's message arrived encrypted");

        let own = sotto_secret.send_text(&from_sotto).await;
        sotto_secret.reply(&shown.event_id, &reply).await;
        sotto_secret.edit(&own, &edit).await;
        peers::wait_for_texts(&friend_client, &secret_room, &[&from_sotto, &reply, &edit]).await;

        peers::send_text(&open_room, &unencrypted).await;
        let shown = sotto_open.wait_for_text(&unencrypted).await;
        assert!(!shown.was_encrypted);

        sync.stop().await;
    });
    drop(runtime);
    // Stopped, so the database is closed and its WAL written back (the WAL files, if any are
    // left, are scanned too).
    server.stop();

    let server_dir = server.data_dir();
    let profile_dir = test
        .accounts
        .paths()
        .data()
        .parent()
        .expect("the accounts' folder");
    let log = log.bytes();
    assert!(
        log.len() > 1000,
        "the engine logged at debug level ({} bytes)",
        log.len()
    );
    for (name, text) in [
        ("the peer's message", &from_peer),
        ("Sotto's message", &from_sotto),
        ("Sotto's reply", &reply),
        ("Sotto's edit", &edit),
    ] {
        let needles = encodings(text.as_bytes());
        let hits = files_containing(server_dir, &needles);
        assert!(
            hits.is_empty(),
            "{name} is readable in the server's files {hits:?}"
        );
        let hits = files_containing(profile_dir, &needles);
        assert!(
            hits.is_empty(),
            "{name} is readable in Sotto's files {hits:?}"
        );
        assert!(!contains_any(&log, &needles), "{name} is in a log line");
    }

    // Sotto's stores are encrypted, so even a message of an unencrypted room is not readable
    // in its files; nor is any message body logged.
    let needles = encodings(unencrypted.as_bytes());
    let hits = files_containing(profile_dir, &needles);
    assert!(
        hits.is_empty(),
        "an unencrypted room's message is readable in Sotto's files {hits:?}"
    );
    assert!(
        !contains_any(&log, &needles),
        "an unencrypted room's message is in a log line"
    );
    // Positive control: the scan finds the unencrypted message where the server keeps it.
    let database = server_dir.join("homeserver.db").display().to_string();
    let hits = files_containing(server_dir, &needles);
    assert!(
        hits.contains(&database),
        "the scan does not find the unencrypted message in the server's database; it found \
         it in {hits:?}"
    );
}
