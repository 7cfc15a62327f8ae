//! Who gets the room keys by default, against the real Synapse: a session the server adds to
//! an account (a direct login that uploads device keys but no cross-signing signature) gets
//! none, for another person and for the account itself; a new session of someone without
//! cross-signing (matrix-nio on libolm) holds sending until the person confirms it; and
//! messages that wait while someone's identity changes go out only after the person decided.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedUserId};
use matrix_sdk_crypto::LocalTrust;
use sotto::engine::EngineError;
use sotto::engine::session::Session;
use sotto::engine::sync::AccountSync;
use sotto::engine::timeline::{Outgoing, RoomTimeline};
use sotto::engine::trust::{cross_signing, devices, identities, recipients, recovery};

use super::trust::{
    decrypted_body, eventually, next_matching, peer_bootstrap, second_session, shared_room,
    wait_for_device, wait_for_room,
};
use crate::harness::conversation::{Conversation, text_of};
use crate::harness::link::Link;
use crate::harness::nio::NioPeer;
use crate::harness::sotto_room::SottoRoom;
use crate::harness::synapse::{self, random_hex};
use crate::harness::{self, TestProfile, peers};

fn quick() -> matrix_sdk::config::SyncSettings {
    matrix_sdk::config::SyncSettings::default().timeout(Duration::from_millis(500))
}

/// The body of `event_id` as `client` decrypts it, after syncing until it could have the
/// key (`None` when it never gets one). The positive cases bound the wait: a key that comes
/// arrives within these syncs.
async fn body_at(
    client: &matrix_sdk::Client,
    room_id: &OwnedRoomId,
    event_id: &OwnedEventId,
) -> Option<String> {
    let mut body = None;
    for _ in 0..10 {
        client.sync_once(quick()).await.expect("the peer syncs");
        let Some(room) = client.get_room(room_id) else {
            continue;
        };
        body = decrypted_body(&room, event_id).await;
        if body.is_some() {
            break;
        }
    }
    body
}

/// Marks `device_id` of `user_id` verified here by hand, as emoji verification would.
async fn verify_by_hand(session: &Session, user_id: &str, device_id: &str) {
    let user: OwnedUserId = user_id.try_into().unwrap();
    session
        .client()
        .encryption()
        .get_device(&user, device_id.into())
        .await
        .unwrap()
        .expect("the device is known")
        .set_local_trust(LocalTrust::Verified)
        .await
        .unwrap();
}

#[test]
fn a_session_the_server_adds_gets_no_key_for_another_person_or_the_account_itself() {
    let test_alice = TestProfile::new();
    harness::runtime().block_on(async {
        let server = synapse::shared();
        let alice_user = server.register("vouch-alice").await;
        let bob_user = server.register("vouch-bob").await;
        let (alice, sync_alice) = second_session(&test_alice, &alice_user).await;
        cross_signing::bootstrap_cross_signing(&alice, Some(&alice_user.password))
            .await
            .unwrap();
        let mut announced = Box::pin(devices::new_own_sessions(&alice).await.unwrap());

        let bob = peers::login(server, &bob_user).await;
        peer_bootstrap(&bob, &bob_user).await;
        let bob_device = bob.device_id().unwrap().to_string();
        let room = peers::create_room(alice.client(), "Vouched", true, &[&bob_user.user_id]).await;
        let room_id = room.room_id().to_owned();
        bob.sync_once(quick()).await.unwrap();
        bob.join_room_by_id(&room_id).await.unwrap();
        let conversation = SottoRoom::open(&alice, &sync_alice, room_id.as_str()).await;
        wait_for_device(&alice, &bob_user.user_id, &bob_device).await;

        // What a hostile server can do: sign in a session for each account, whose device keys
        // it then holds, without any cross-signing signature.
        let bob_rogue = peers::login(server, &bob_user).await;
        let alice_rogue = peers::login(server, &alice_user).await;
        let bob_rogue_id = bob_rogue.device_id().unwrap().to_string();
        let alice_rogue_id = alice_rogue.device_id().unwrap().to_string();
        wait_for_device(&alice, &bob_user.user_id, &bob_rogue_id).await;
        wait_for_device(&alice, &alice_user.user_id, &alice_rogue_id).await;

        // The account is told of its new session at once, with its name.
        let new = next_matching(&mut announced, "the new session's announcement", |s| {
            s.device_id == alice_rogue_id
        })
        .await;
        assert_eq!(new.display_name.as_deref(), Some("test peer"));
        assert!(
            new.first_seen.duration_since(UNIX_EPOCH).unwrap()
                > SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .checked_sub(Duration::from_secs(600))
                    .unwrap(),
            "the time it appeared: {new:?}"
        );

        let secret = format!("for signed sessions only {}", random_hex(6));
        let event_id = conversation.send_text(&secret).await;
        assert_eq!(
            body_at(&bob, &room_id, &event_id).await.as_deref(),
            Some(secret.as_str()),
            "Bob's signed session reads it"
        );
        assert_eq!(
            body_at(&bob_rogue, &room_id, &event_id).await,
            None,
            "the session the server made for Bob got no key"
        );
        assert_eq!(
            body_at(&alice_rogue, &room_id, &event_id).await,
            None,
            "the session the server made for Alice got no key"
        );

        // The sender is told who cannot read, and the room is not shown as all verified.
        let left_out = identities::devices_left_out(&alice, &crate::harness::rid(room_id.as_str()))
            .await
            .unwrap();
        let left_out: Vec<(&str, &str)> = left_out
            .iter()
            .map(|d| (d.user_id.as_str(), d.device_id.as_str()))
            .collect();
        assert!(
            left_out.contains(&(bob_user.user_id.as_str(), bob_rogue_id.as_str()))
                && left_out.contains(&(alice_user.user_id.as_str(), alice_rogue_id.as_str())),
            "both sessions are listed as left out: {left_out:?}"
        );
        assert!(
            !left_out.iter().any(|(_, d)| *d == bob_device),
            "{left_out:?}"
        );
        assert_ne!(
            identities::room_trust(&alice, &crate::harness::rid(room_id.as_str()))
                .await
                .unwrap(),
            identities::RoomTrust::AllVerified
        );

        // Control: verified by hand, the same sessions get the next message's key; the rule
        // alone kept the first from them.
        verify_by_hand(&alice, &bob_user.user_id, &bob_rogue_id).await;
        verify_by_hand(&alice, &alice_user.user_id, &alice_rogue_id).await;
        let after = format!("after verifying {}", random_hex(6));
        let after_id = conversation.send_text(&after).await;
        for (who, client) in [("Bob's", &bob_rogue), ("Alice's", &alice_rogue)] {
            assert_eq!(
                body_at(client, &room_id, &after_id).await.as_deref(),
                Some(after.as_str()),
                "{who} second session reads what was sent once it was verified"
            );
            assert_eq!(body_at(client, &room_id, &event_id).await, None);
        }
        sync_alice.stop().await;
    });
}

#[test]
fn a_new_session_of_someone_without_cross_signing_waits_for_confirmation() {
    let (test, sotto_user) = TestProfile::signed_in("tofu-sotto");
    harness::runtime().block_on(async {
        let server = synapse::shared();
        let entry = test.accounts.list().unwrap().remove(0);
        let session = test.accounts.restore(&entry).await.unwrap();
        let sync = AccountSync::start(&session).await.unwrap();

        let nio_user = server.register("tofu-nio").await;
        let mut nio = NioPeer::login(server, &nio_user).await;
        let room_id = nio.create_room("TOFU", true, &[&sotto_user.user_id]).await;
        let room = SottoRoom::open(&session, &sync, &room_id).await;
        nio.wait_for_member(&room_id, &sotto_user.user_id).await;

        // The sessions nio had when Sotto met it are kept (trust on first use).
        let first = format!("first {}", random_hex(6));
        room.send_text(&first).await;
        assert!(nio.wait_for_text(&room_id, &first).await.decrypted);

        // A session that appears later waits.
        let mut nio_new = NioPeer::login(server, &nio_user).await;
        wait_for_device(&session, &nio_user.user_id, &nio_new.device_id).await;
        let timeline = RoomTimeline::open(&session, &sync, &crate::harness::rid(&room_id)).await.unwrap();
        let refused = timeline.send(&Outgoing::text("not yet")).await;
        assert!(
            matches!(&refused, Err(EngineError::SessionsUnconfirmed(users)) if users == &vec![crate::harness::uid(&nio_user.user_id)]),
            "sending waits for the person: {refused:?}"
        );
        let matrix_room = wait_for_room(&session, &OwnedRoomId::try_from(room_id.as_str()).unwrap()).await;
        let waiting = recipients::unconfirmed_sessions(&session, &matrix_room)
            .await
            .unwrap();
        assert_eq!(waiting.len(), 1, "{waiting:?}");
        assert_eq!(waiting[0].device_id.as_str(), nio_new.device_id);
        let mut updates = Box::pin(
            identities::unconfirmed_session_updates(&session, &crate::harness::rid(&room_id))
                .await
                .unwrap(),
        );
        assert_eq!(updates.next().await.map(|w| w.len()), Some(1));

        recipients::confirm_session(&session, &crate::harness::uid(&nio_user.user_id), &nio_new.device_id)
            .await
            .unwrap();
        next_matching(&mut updates, "the confirmed session to leave the banner", |w| {
            w.is_empty()
        })
        .await;
        identities::ensure_can_send(&session, &crate::harness::rid(&room_id))
            .await
            .expect("sending goes on");
        let confirmed = format!("confirmed {}", random_hex(6));
        room.send_text(&confirmed).await;
        assert!(
            nio_new.wait_for_text(&room_id, &confirmed).await.decrypted,
            "the confirmed session reads it"
        );
        sync.stop().await;
    });
}

#[test]
fn messages_that_wait_while_an_identity_changes_go_out_only_after_the_person_decides() {
    let test_alice = TestProfile::new();
    let test_bob = TestProfile::new();
    harness::runtime().block_on(async {
        let server = synapse::shared();
        let link = Link::to(&server.url()).await;
        let alice_user = server.register("waiting-alice").await;
        let bob_user = server.register("waiting-bob").await;
        // Alice reaches the server through a link the test can cut; Bob directly.
        let alice = test_alice
            .accounts
            .login(&link.url(), &alice_user.localpart, &alice_user.password)
            .await
            .unwrap();
        let sync_alice = AccountSync::start(&alice).await.unwrap();
        assert_eq!(
            alice.client().homeserver().as_str().trim_end_matches('/'),
            link.url(),
            "Alice talks to the server through the link"
        );
        let (bob, sync_bob) = second_session(&test_bob, &bob_user).await;
        cross_signing::bootstrap_cross_signing(&alice, Some(&alice_user.password))
            .await
            .unwrap();
        cross_signing::bootstrap_cross_signing(&bob, Some(&bob_user.password))
            .await
            .unwrap();
        let room_id = shared_room(&alice, &bob, "Waiting room").await;
        let room = room_id.to_string();
        eventually("Alice to know Bob's identity", || async {
            identities::user_trust(&alice, &crate::harness::uid(&bob_user.user_id))
                .await
                .unwrap()
                == identities::UserTrust::Unverified
        })
        .await;
        let conversation = Conversation::open(&alice, &sync_alice, &room).await;
        conversation
            .timeline
            .send(&Outgoing::text("before"))
            .await
            .unwrap();
        let before = conversation
            .wait_for("the first message sent", |e| {
                e.is_own && text_of(e) == Some("before") && e.event_id.is_some()
            })
            .await;

        // Alice loses the server; a message, an edit and a reaction wait in her queue.
        link.cut();
        let waiting = format!("waiting {}", random_hex(6));
        let edited = format!("edited {}", random_hex(6));
        conversation
            .timeline
            .send(&Outgoing::text(&waiting))
            .await
            .expect("queued while offline");
        conversation
            .timeline
            .edit(&before.id, &Outgoing::text(&edited))
            .await
            .expect("the edit is queued");
        conversation
            .timeline
            .toggle_reaction(&before.id, "👍")
            .await
            .expect("the reaction is queued");
        let matrix_room = alice.client().get_room(&room_id).unwrap();
        eventually("the send queue to stop on the failure", || async {
            !matrix_room.send_queue().is_enabled()
        })
        .await;

        // Meanwhile Bob's identity changes; then Alice reaches the server again.
        recovery::reset_identity(&bob, Some(&bob_user.password))
            .await
            .expect("Bob resets his identity");
        link.mend();
        let mut warnings = Box::pin(
            identities::identity_warnings(&alice, &crate::harness::rid(&room))
                .await
                .unwrap(),
        );
        next_matching(&mut warnings, "Bob's changed identity at Alice's", |w| {
            w.iter().any(|w| w.user_id == bob_user.user_id)
        })
        .await;
        // Proof that the check before resuming ran and held the queue.
        eventually("sending into the room to be held", || async {
            alice.is_held(&room_id)
        })
        .await;
        let decided_at = SystemTime::now();
        identities::acknowledge_identity(&alice, &crate::harness::uid(&bob_user.user_id))
            .await
            .unwrap();

        // Everything that waited arrives, and only after the person decided.
        let bob_conversation = Conversation::open(&bob, &sync_bob, &room).await;
        bob_conversation
            .wait_for("the waiting message at Bob's", |e| {
                text_of(e) == Some(waiting.as_str())
            })
            .await;
        bob_conversation
            .wait_for("the edit and the reaction at Bob's", |e| {
                e.edited && text_of(e) == Some(edited.as_str()) && !e.reactions.is_empty()
            })
            .await;
        let decided_ms =
            u64::try_from(decided_at.duration_since(UNIX_EPOCH).unwrap().as_millis()).unwrap();
        let times =
            server_times_after(&bob, &room_id, before.event_id.as_deref().unwrap().as_str()).await;
        let alice_times: Vec<u64> = times
            .iter()
            .filter(|(sender, _)| sender == &alice_user.user_id)
            .map(|(_, ts)| *ts)
            .collect();
        assert_eq!(
            alice_times.len(),
            3,
            "the message, the edit and the reaction: {times:?}"
        );
        for ts in alice_times {
            // Synapse stamps an event when it takes it, on this machine's clock.
            assert!(
                ts + 5 >= decided_ms,
                "an event reached the server {} ms before the person decided",
                decided_ms - ts
            );
        }
        sync_alice.stop().await;
        sync_bob.stop().await;
    });
}

/// (sender, server time) of each event of `room_id` after `after`, as `session` fetches them
/// from the server.
async fn server_times_after(
    session: &Session,
    room_id: &OwnedRoomId,
    after: &str,
) -> Vec<(String, u64)> {
    let room = session.client().get_room(room_id).unwrap();
    let messages = room
        .messages(matrix_sdk::room::MessagesOptions::backward())
        .await
        .expect("the latest events");
    let mut times = Vec::new();
    for event in &messages.chunk {
        let raw = event.raw();
        if raw
            .get_field::<String>("event_id")
            .ok()
            .flatten()
            .as_deref()
            == Some(after)
        {
            return times;
        }
        let sender: String = raw.get_field("sender").ok().flatten().unwrap_or_default();
        let ts: u64 = raw
            .get_field("origin_server_ts")
            .ok()
            .flatten()
            .unwrap_or_default();
        times.push((sender, ts));
    }
    panic!("the event {after} is not among the latest: {times:?}");
}
