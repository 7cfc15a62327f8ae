//! At the app's default log level (`sotto::logging::DEFAULT_FILTER`, formatted as the app
//! formats it) no line names another person, a room or a device: not while signing in,
//! syncing, joining an encrypted room, reading and sending messages and starting a direct
//! chat. A line planted from another thread, naming the other person, is the positive
//! control.

use sotto::engine::rooms;
use sotto::engine::sync::AccountSync;

use super::scan::{CapturedLog, contains_any};
use crate::harness::sotto_room::SottoRoom;
use crate::harness::{PATIENCE, TestProfile, peers, synapse};

#[test]
fn the_default_log_level_names_no_person_room_or_device() {
    let test = TestProfile::new();
    let log = CapturedLog::start_default_level();
    let debug_log = CapturedLog::start();
    let runtime = crate::harness::runtime();
    let names = runtime.block_on(async {
        let server = synapse::shared();
        let user = server.register("quietlog").await;
        let friend = server.register("quietlog-friend").await;
        let friend_client = peers::login(server, &friend).await;
        let room =
            peers::create_room(&friend_client, "Quiet log room", true, &[&user.user_id]).await;

        let session = test
            .accounts
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .unwrap();
        let sync = AccountSync::start(&session).await.unwrap();
        sync.wait_until_rooms_synced(PATIENCE).await.unwrap();
        let sotto_room = SottoRoom::open(&session, &sync, room.room_id().as_str()).await;
        peers::wait_for_device_keys(&friend_client, &user.user_id, &session.device_id()).await;
        friend_client
            .sync_once(Default::default())
            .await
            .expect("the peer syncs");
        peers::send_text(&room, "hello from the friend").await;
        sotto_room.wait_for_text("hello from the friend").await;
        sotto_room.send_text("hello back").await;
        let direct = rooms::start_direct_chat(&session, &crate::harness::uid(&friend.user_id))
            .await
            .unwrap();
        sync.stop().await;
        vec![
            friend.user_id.clone(),
            friend_client.device_id().unwrap().to_string(),
            session.device_id(),
            room.room_id().to_string(),
            direct.to_string(),
        ]
    });
    drop(runtime);

    let needles: Vec<Vec<u8>> = names.iter().map(|n| n.as_bytes().to_vec()).collect();
    // The scenario did log: the same names are in the debug log.
    assert!(
        contains_any(&debug_log.bytes(), &needles),
        "the debug log names the people, rooms and devices of the scenario"
    );
    let text = String::from_utf8_lossy(&log.bytes()).into_owned();
    let naming: Vec<&str> = text
        .lines()
        .filter(|line| names.iter().any(|n| line.contains(n.as_str())))
        .collect();
    assert!(
        naming.is_empty(),
        "lines at the default level name someone: {naming:#?}"
    );

    // Positive control: a line naming the friend, logged at the default level from another
    // thread, is found by the same scan.
    let friend = names[0].clone();
    std::thread::spawn(move || tracing::info!(target: "sotto::planted", "talking to {friend}"))
        .join()
        .unwrap();
    assert!(contains_any(&log.bytes(), &needles[..1]));
}
