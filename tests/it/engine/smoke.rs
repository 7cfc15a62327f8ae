//! The foundation's smoke test: Synapse starts, a user is registered, and the engine signs
//! in and syncs once.

use sotto::engine::sync::{AccountSync, SyncState};

use crate::harness::{self, PATIENCE, TestProfile, peers, synapse};

#[test]
fn engine_signs_in_and_syncs_once() {
    let test = TestProfile::new();
    harness::runtime().block_on(async {
        let server = synapse::shared();
        let user = server.register("smoke").await;
        // Someone else already has a room with the user, so the first sync has content.
        let friend = server.register("smoke-friend").await;
        let friend_client = peers::login(server, &friend).await;
        let room = peers::create_room(&friend_client, "Smoke room", false, &[&user.user_id]).await;
        peers::send_text(&room, "hello from the harness").await;

        let session = test
            .accounts
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .expect("the engine signs in");
        assert_eq!(session.user_id(), user.user_id);
        assert!(!session.device_id().is_empty());

        let sync = AccountSync::start(&session).await.expect("the sync starts");
        sync.wait_until_rooms_synced(PATIENCE)
            .await
            .expect("the first sync completes");
        assert_eq!(sync.state(), SyncState::Syncing);
        sync.stop().await;

        let invited = session
            .client()
            .get_room(room.room_id())
            .expect("the invite arrived with the first sync");
        assert_eq!(invited.state(), matrix_sdk::RoomState::Invited);
    });
}
