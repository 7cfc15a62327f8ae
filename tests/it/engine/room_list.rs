//! The room list on a real Synapse: summaries with names and previews, most recent first,
//! delivered as diffs; and a start with the homeserver down that shows the cached rooms and
//! reconnects by itself.

use std::time::Duration;

use eyeball_im::Vector;
use futures_util::StreamExt;
use matrix_sdk::ruma::OwnedRoomId;
use sotto::engine::room_list::{Preview, RoomSummary, room_list_diffs};
use sotto::engine::session::Session;
use sotto::engine::sync::{AccountSync, SyncState};

use crate::harness::{self, PATIENCE, TestProfile, peers, synapse};

/// Applies the list's diffs until `done` holds for the list, and returns the list.
async fn list_until(
    sync: &AccountSync,
    what: &str,
    done: impl Fn(&Vector<RoomSummary>) -> bool,
) -> Vector<RoomSummary> {
    let mut diffs = Box::pin(room_list_diffs(sync).await.expect("the room list"));
    let mut rooms = Vector::new();
    let result = tokio::time::timeout(PATIENCE, async {
        while let Some(batch) = diffs.next().await {
            for diff in batch {
                diff.apply(&mut rooms);
            }
            if done(&rooms) {
                return;
            }
        }
    })
    .await;
    assert!(
        result.is_ok(),
        "timed out waiting for {what}; the list is {rooms:#?}"
    );
    rooms
}

async fn join_all(session: &Session, rooms: &[OwnedRoomId]) {
    for room_id in rooms {
        session
            .client()
            .join_room_by_id(room_id)
            .await
            .expect("joins");
    }
}

#[test]
fn rooms_show_with_names_and_previews_most_recent_first() {
    let test = TestProfile::new();
    harness::runtime().block_on(async {
        let server = synapse::shared();
        let user = server.register("lister").await;
        let friend = server.register("lister-friend").await;
        let friend_client = peers::login(server, &friend).await;
        let older = peers::create_room(&friend_client, "Older room", false, &[&user.user_id]).await;
        let newer = peers::create_room(&friend_client, "Newer room", false, &[&user.user_id]).await;
        let invite_only =
            peers::create_room(&friend_client, "Just invited", false, &[&user.user_id]).await;

        let session = test
            .profile
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .unwrap();
        join_all(
            &session,
            &[older.room_id().to_owned(), newer.room_id().to_owned()],
        )
        .await;
        peers::send_text(&older, "first message").await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        peers::send_text(&newer, "second\nmessage with a second line").await;

        let sync = AccountSync::start(&session).await.unwrap();
        let has_previews = |rooms: &Vector<RoomSummary>| {
            rooms.len() == 3
                && rooms
                    .iter()
                    .filter(|r| matches!(r.preview, Preview::Message { .. }))
                    .count()
                    >= 2
        };
        let rooms = list_until(&sync, "three rooms with previews", has_previews).await;
        let joined: Vec<&RoomSummary> = rooms.iter().filter(|r| !r.is_invite).collect();
        assert_eq!(
            joined[0].name, "Newer room",
            "most recent first: {rooms:#?}"
        );
        assert_eq!(
            joined[0].preview,
            Preview::Message {
                sender: friend.user_id.clone(),
                body: "second".into()
            }
        );
        assert_eq!(joined[1].name, "Older room");
        let invite = rooms
            .iter()
            .find(|r| r.is_invite)
            .expect("the invite is listed");
        assert_eq!(invite.room_id, invite_only.room_id().to_string());
        assert_eq!(invite.preview, Preview::Invite);
        assert!(rooms.iter().all(|r| !r.is_encrypted));
        sync.stop().await;
    });
}

#[test]
fn offline_start_shows_cached_rooms_and_reconnects() {
    let test = TestProfile::new();
    // A server of its own: this test stops and restarts it.
    let server = synapse::Synapse::start();
    let runtime = harness::runtime();
    let entry = runtime.block_on(async {
        let user = server.register("offline").await;
        let friend = server.register("offline-friend").await;
        let friend_client = peers::login(&server, &friend).await;
        let room = peers::create_room(&friend_client, "Cached room", true, &[&user.user_id]).await;
        let session = test
            .profile
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .unwrap();
        join_all(&session, &[room.room_id().to_owned()]).await;
        let sync = AccountSync::start(&session).await.unwrap();
        list_until(&sync, "the room", |rooms| {
            rooms.iter().any(|r| r.name == "Cached room")
        })
        .await;
        sync.stop().await;
        test.profile.accounts().unwrap().remove(0)
    });

    server.stop();
    runtime.block_on(async {
        let session = test
            .profile
            .restore(&entry)
            .await
            .expect("restores without the server");
        let sync = AccountSync::start(&session).await.unwrap();
        let rooms = list_until(&sync, "the cached room", |rooms| !rooms.is_empty()).await;
        assert_eq!(rooms[0].name, "Cached room");
        assert!(rooms[0].is_encrypted);
        wait_for_state(&sync, SyncState::Offline).await;

        server.boot();
        wait_for_state(&sync, SyncState::Syncing).await;
        sync.wait_until_rooms_synced(PATIENCE)
            .await
            .expect("syncs again");
        sync.stop().await;
    });
}

async fn wait_for_state(sync: &AccountSync, wanted: SyncState) {
    let mut states = Box::pin(sync.states());
    let reached = tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(state) = states.next().await {
            if state == wanted {
                return;
            }
        }
    })
    .await;
    assert!(
        reached.is_ok(),
        "the sync never became {wanted:?}; it is {:?}",
        sync.state()
    );
}

#[test]
fn a_sync_that_keeps_failing_backs_off() {
    let (test, _) = TestProfile::signed_in("flapping");
    harness::runtime().block_on(async {
        let entry = test.profile.accounts().unwrap().remove(0);
        let session = test.profile.restore(&entry).await.unwrap();
        // A sync of the older kind stores a to-device token that the server refuses in
        // sliding sync: every sliding sync then fails with 400, not with a lost connection.
        session
            .client()
            .sync_once(Default::default())
            .await
            .unwrap();
        let sync = AccountSync::start(&session).await.unwrap();
        let mut states = Box::pin(sync.states());
        let mut failures = 0;
        let _ = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(state) = states.next().await {
                if matches!(state, SyncState::Offline | SyncState::Failed) {
                    failures += 1;
                }
            }
        })
        .await;
        sync.stop().await;
        assert!(failures >= 1, "the sync did fail");
        // Without a pause the SDK's offline mode retries dozens of times a second.
        assert!(
            failures <= 6,
            "{failures} attempts in 10 s: the retries do not back off"
        );
    });
}
