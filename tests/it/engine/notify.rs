//! Notices on a real Synapse: which events notify (the account's push rules on decrypted
//! events, per-room modes stored on the server), which never do (what was there before the
//! run, the account's own messages, a muted room), and the withdrawal when the room is read
//! on another device.

use std::time::Duration;

use futures_util::StreamExt;
use matrix_sdk::{Client, Room};
use sotto::engine::notify::{Alert, Notice, Notices};
use sotto::engine::push_rules::{self, RoomMode};
use sotto::engine::room_list::Preview;

use crate::harness::nio::NioPeer;
use crate::harness::sotto_room::SottoRoom;
use crate::harness::{self, PATIENCE, TestProfile, peers, synapse};

/// The next notice, or a failure naming `what` after the patience ran out.
async fn next_notice(notices: &mut Notices, what: &str) -> Notice {
    tokio::time::timeout(PATIENCE, notices.next())
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
        .expect("the notices go on")
}

/// The next alert (any withdrawal before it is skipped).
async fn next_alert(notices: &mut Notices, what: &str) -> Alert {
    loop {
        if let Notice::Alert(alert) = next_notice(notices, what).await {
            return alert;
        }
    }
}

fn body(alert: &Alert) -> &str {
    match &alert.what {
        Preview::Message { body, .. } => body,
        other => panic!("a message, not {other:?}"),
    }
}

#[test]
fn notices_follow_the_push_rules_on_decrypted_events() {
    let test = TestProfile::new();
    let server = synapse::shared();
    harness::runtime().block_on(async {
        let (user, session, friend) = test.signed_in_with_friend(server, "notified").await;
        peers::set_display_name(&friend, "Frida").await;
        peers::publish_sotto_keys(&session, &friend).await;

        // An encrypted direct chat with a message in it before Sotto syncs again.
        let dm = peers::create_encrypted_dm(&friend, &user.user_id).await;
        peers::join_as_dm(&session, &dm, &friend).await;
        friend.sync_once(Default::default()).await.unwrap();
        let dm = friend.get_room(dm.room_id()).unwrap();
        peers::send_text(&dm, "there before the run").await;
        // A group, also joined before the run.
        let group = peers::create_room(&friend, "Choir", true, &[&user.user_id]).await;
        session
            .client()
            .join_room_by_id(group.room_id())
            .await
            .unwrap();
        friend.sync_once(Default::default()).await.unwrap();
        let group = friend.get_room(group.room_id()).unwrap();

        let (sync, built) = test.accounts.sync_of(&session).await.unwrap();
        assert!(built, "the first sync_of builds the sync");
        let mut notices = sotto::engine::notify::watch(&session).await;
        sync.resume().await;
        sync.wait_until_rooms_synced(PATIENCE).await.unwrap();

        // Sotto's own message, then the friend's: only the friend's notifies, and the
        // message from before the run never does.
        let own_room = SottoRoom::open(&session, &sync, dm.room_id().as_str()).await;
        own_room.send_text("my own words").await;
        peers::send_text(&dm, "dm marker 41c7").await;
        let alert = next_alert(&mut notices, "the direct message").await;
        assert_eq!(body(&alert), "dm marker 41c7", "{alert:?}");
        assert_eq!(alert.room_id, dm.room_id().as_str());
        assert_eq!(alert.sender_name, "Frida");
        assert!(
            alert.is_direct && alert.is_encrypted && !alert.mention,
            "{alert:?}"
        );

        // A plain message in a group notifies by the default rules; a mention is marked.
        peers::send_text(&group, "hello choir").await;
        let alert = next_alert(&mut notices, "the group message").await;
        assert_eq!(body(&alert), "hello choir");
        assert_eq!(alert.room_name, "Choir");
        assert!(!alert.is_direct && !alert.mention, "{alert:?}");

        // Mentions and keywords only: the plain message is skipped, the mention comes.
        push_rules::set_room_mode(
            &session,
            &crate::harness::rid(group.room_id().as_str()),
            Some(RoomMode::MentionsAndKeywords),
        )
        .await
        .unwrap();
        wait_for_mode(
            &session,
            group.room_id().as_str(),
            RoomMode::MentionsAndKeywords,
        )
        .await;
        peers::send_text(&group, "plain chatter").await;
        peers::send_mention(&group, &user.user_id, "notified: the score is ready").await;
        let alert = next_alert(&mut notices, "the mention").await;
        assert_eq!(body(&alert), "notified: the score is ready", "{alert:?}");
        assert!(alert.mention, "{alert:?}");

        // A keyword counts as a mention in that mode.
        push_rules::add_keyword(&session, "rehearsal")
            .await
            .unwrap();
        wait_until(|| async { push_rules::keywords(&session).await == ["rehearsal"] }).await;
        peers::send_text(&group, "rehearsal moved to Friday").await;
        let alert = next_alert(&mut notices, "the keyword").await;
        assert_eq!(body(&alert), "rehearsal moved to Friday");

        // A second client of the same account sees the mode in the server's push rules.
        let other = peers::login(server, &user).await;
        let other_settings = other.notification_settings().await;
        assert_eq!(
            other_settings
                .get_user_defined_room_notification_mode(group.room_id())
                .await
                .map(RoomMode::from),
            Some(RoomMode::MentionsAndKeywords)
        );

        // Muted: nothing, not even a mention. Proof that it was processed: Sotto's
        // timeline shows it; the direct message after it is the next alert.
        push_rules::set_room_mode(
            &session,
            &crate::harness::rid(group.room_id().as_str()),
            Some(RoomMode::Mute),
        )
        .await
        .unwrap();
        wait_for_mode(&session, group.room_id().as_str(), RoomMode::Mute).await;
        peers::send_mention(&group, &user.user_id, "notified: muted mention").await;
        let group_view = SottoRoom::open(&session, &sync, group.room_id().as_str()).await;
        group_view.wait_for_text("notified: muted mention").await;
        peers::send_text(&dm, "after the mute").await;
        let alert = next_alert(&mut notices, "the message after the mute").await;
        assert_eq!(
            body(&alert),
            "after the mute",
            "the muted room notified: {alert:?}"
        );

        // Read on another device of the account: the direct chat's notification goes.
        let read_up_to = dm_latest_event(&other, &dm).await;
        let other_dm = other.get_room(dm.room_id()).unwrap();
        other_dm
            .send_single_receipt(
                matrix_sdk::ruma::api::client::receipt::create_receipt::v3::ReceiptType::Read,
                matrix_sdk::ruma::events::receipt::ReceiptThread::Unthreaded,
                read_up_to,
            )
            .await
            .unwrap();
        loop {
            match next_notice(&mut notices, "the withdrawal").await {
                Notice::Read { room_id } if room_id == dm.room_id().as_str() => break,
                other => tracing::debug!("skipping {other:?}"),
            }
        }
        sync.stop().await;
    });
}

/// The ID of the latest event of `room`, as `client` (which syncs for it) sees it.
async fn dm_latest_event(client: &Client, room: &Room) -> matrix_sdk::ruma::OwnedEventId {
    use matrix_sdk::config::SyncSettings;
    client
        .sync_once(SyncSettings::default().timeout(Duration::from_secs(1)))
        .await
        .unwrap();
    let messages = client
        .get_room(room.room_id())
        .unwrap()
        .messages(matrix_sdk::room::MessagesOptions::backward())
        .await
        .unwrap();
    messages
        .chunk
        .first()
        .and_then(|event| event.event_id())
        .expect("the room has events")
}

async fn wait_for_mode(session: &sotto::engine::session::Session, room_id: &str, mode: RoomMode) {
    wait_until(|| async {
        push_rules::room_mode(session, &crate::harness::rid(room_id))
            .await
            .ok()
            == Some(mode)
    })
    .await;
}

async fn wait_until<F, Fut>(check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An encrypted message whose room key comes after it (a peer on libolm holds the key
/// back): the event is parked while it cannot be read and notifies, with its text, once
/// the key has come and the push rules have been evaluated again on the clear text.
#[test]
fn a_message_whose_key_comes_late_notifies_once_decrypted() {
    let (test, sotto_user) = TestProfile::signed_in("late-notify");
    let server = synapse::shared();
    harness::runtime().block_on(async {
        let entry = test.accounts.list().unwrap().remove(0);
        let session = test.accounts.restore(&entry).await.unwrap();
        let (sync, _) = test.accounts.sync_of(&session).await.unwrap();
        let mut notices = sotto::engine::notify::watch(&session).await;
        sync.resume().await;

        let nio_user = server.register("late-notify-nio").await;
        let mut nio = NioPeer::login(server, &nio_user).await;
        let room_id = nio
            .create_room("Late keys", true, &[&sotto_user.user_id])
            .await;
        let _timeline = SottoRoom::open(&session, &sync, &room_id).await;
        nio.wait_for_member(&room_id, &sotto_user.user_id).await;
        nio.trust_device(&sotto_user.user_id, &session.device_id())
            .await;

        let event_id = nio
            .send_text_key_later(&room_id, "late key marker 5d02")
            .await;
        // Proof that Sotto has the event and could not read it: its event cache holds it
        // undecrypted (the sync's notification handler saw it before the cache did).
        let typed_room = matrix_sdk::ruma::OwnedRoomId::try_from(room_id.as_str()).unwrap();
        let typed_event = matrix_sdk::ruma::OwnedEventId::try_from(event_id.as_str()).unwrap();
        let joined = session.client().get_room(&typed_room).unwrap();
        let (cache, _handles) = joined.event_cache().await.unwrap();
        wait_until(|| async {
            cache
                .find_event(&typed_event)
                .await
                .ok()
                .flatten()
                .is_some_and(|event| event.kind.is_utd())
        })
        .await;

        nio.release_keys().await;
        // The invitation to the room notified first.
        let alert = loop {
            let alert = next_alert(&mut notices, "the message decrypted late").await;
            if alert.what != Preview::Invite {
                break alert;
            }
        };
        assert_eq!(alert.event_id, event_id, "{alert:?}");
        assert_eq!(body(&alert), "late key marker 5d02", "{alert:?}");
        assert!(alert.is_encrypted, "{alert:?}");
        sync.stop().await;
    });
}
