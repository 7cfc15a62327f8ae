//! Trust against the real Synapse: cross-signing set-up, recovery with the recovery key,
//! emoji verification, the account's sessions, identity changes, and encrypting only for
//! verified devices.

use std::future::Future;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use matrix_sdk::deserialized_responses::TimelineEventKind;
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId};
use sotto::engine::EngineError;
use sotto::engine::session::KeySharing;
use sotto::engine::session::Session;
use sotto::engine::sync::AccountSync;
use sotto::engine::timeline::{Outgoing, RoomTimeline};
use sotto::engine::trust::cross_signing::{self, SessionVerification};
use sotto::engine::trust::verification::{CancelKind, FlowState, Verifications};
use sotto::engine::trust::{devices, identities, recovery};

use crate::harness::{self, PATIENCE, TestProfile, peers, synapse};

/// Polls `check` until it holds, failing the test with `what` after `PATIENCE`.
pub async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The next item of `stream` that satisfies `wanted`, failing after `PATIENCE`.
pub async fn next_matching<T: std::fmt::Debug>(
    stream: &mut (impl Stream<Item = T> + Unpin),
    what: &str,
    wanted: impl Fn(&T) -> bool,
) -> T {
    let mut seen = Vec::new();
    let found = tokio::time::timeout(PATIENCE, async {
        while let Some(item) = stream.next().await {
            if wanted(&item) {
                return Some(item);
            }
            seen.push(format!("{item:?}"));
        }
        None
    })
    .await;
    match found {
        Ok(Some(item)) => item,
        _ => panic!("never saw {what}; saw {seen:?}"),
    }
}

/// A second Sotto session of `user`, with accounts of its own, with its sync running.
pub async fn second_session(
    test: &TestProfile,
    user: &synapse::TestUser,
) -> (Session, AccountSync) {
    let server = synapse::shared();
    let session = test
        .accounts
        .login(&server.url(), &user.localpart, &user.password)
        .await
        .expect("signs in again");
    let sync = AccountSync::start(&session).await.expect("the sync starts");
    (session, sync)
}

/// Waits until `session` knows `user_id`'s device `device_id` (its keys were queried).
pub async fn wait_for_device(session: &Session, user_id: &str, device_id: &str) {
    let user: matrix_sdk::ruma::OwnedUserId = user_id.try_into().unwrap();
    eventually(&format!("{device_id} to be known"), || async {
        session
            .client()
            .encryption()
            .get_device(&user, device_id.into())
            .await
            .ok()
            .flatten()
            .is_some()
    })
    .await;
}

pub async fn wait_for_room(session: &Session, room_id: &OwnedRoomId) -> matrix_sdk::Room {
    eventually("the room to arrive", || async {
        session.client().get_room(room_id).is_some()
    })
    .await;
    session.client().get_room(room_id).unwrap()
}

/// The body of `event_id` in `room` if this client can decrypt it, `None` if it cannot.
pub async fn decrypted_body(room: &matrix_sdk::Room, event_id: &OwnedEventId) -> Option<String> {
    let event = room
        .event(event_id, None)
        .await
        .expect("the event is fetched");
    // `Room::event` hands an event it cannot decrypt back as it came, still encrypted.
    match &event.kind {
        TimelineEventKind::Decrypted(_) => {}
        TimelineEventKind::UnableToDecrypt { .. } => return None,
        TimelineEventKind::PlainText { event } => {
            let kind: Option<String> = event.get_field("type").ok().flatten();
            assert_eq!(kind.as_deref(), Some("m.room.encrypted"), "sent encrypted");
            return None;
        }
    }
    let content: serde_json::Value = event
        .raw()
        .get_field("content")
        .ok()
        .flatten()
        .unwrap_or_default();
    content["body"].as_str().map(ToOwned::to_owned)
}

pub async fn send_text(session: &Session, room_id: &OwnedRoomId, body: &str) -> OwnedEventId {
    let room = wait_for_room(session, room_id).await;
    // A room made a moment ago may not have its encryption state yet.
    eventually("the room to be known as encrypted", || async {
        room.latest_encryption_state()
            .await
            .is_ok_and(|s| s.is_encrypted())
    })
    .await;
    let response = room
        .send(matrix_sdk::ruma::events::room::message::RoomMessageEventContent::text_plain(body))
        .await
        .expect("the message is sent");
    response.response.event_id
}

#[test]
fn bootstrap_then_recovery_key_unlocks_history_in_a_new_session() {
    let (test_a, user) = TestProfile::signed_in("recoverer");
    let test_b = TestProfile::new();
    harness::runtime().block_on(async {
        let a = test_a
            .accounts
            .restore(&test_a.accounts.list().unwrap()[0])
            .await
            .unwrap();
        let sync_a = AccountSync::start(&a).await.unwrap();

        assert!(!cross_signing::has_cross_signing_identity(&a).await.unwrap());
        // Synapse lets an account upload its first identity without the password (MSC3967);
        // a server that asks would give `PasswordNeeded` here. The password prompts are
        // tested with the identity reset and the sign-out of another session.
        cross_signing::bootstrap_cross_signing(&a, None)
            .await
            .expect("cross-signing is set up");
        assert!(cross_signing::has_cross_signing_identity(&a).await.unwrap());
        eventually("A to count as verified", || async {
            cross_signing::is_this_session_verified(&a)
        })
        .await;
        // A second bootstrap leaves the identity alone.
        cross_signing::bootstrap_cross_signing(&a, None)
            .await
            .unwrap();

        assert!(
            recovery::is_last_session_without_recovery(&a)
                .await
                .unwrap()
        );
        let key = recovery::enable_recovery(&a, None)
            .await
            .expect("recovery is on");
        assert_eq!(format!("{key:?}"), "RecoveryKey(hidden)");
        let mut states = Box::pin(recovery::recovery_states(&a));
        next_matching(&mut states, "recovery on", |s| {
            *s == recovery::RecoveryStatus::On
        })
        .await;
        assert!(
            !recovery::is_last_session_without_recovery(&a)
                .await
                .unwrap()
        );

        let room = peers::create_room(a.client(), "Kept history", true, &[]).await;
        let room_id = room.room_id().to_owned();
        let old = send_text(&a, &room_id, "written before the new session").await;
        recovery::wait_for_backup_upload(&a)
            .await
            .expect("the keys are backed up");

        let (b, sync_b) = second_session(&test_b, &user).await;
        let room_b = wait_for_room(&b, &room_id).await;
        eventually("B to know it is unverified", || async {
            cross_signing::this_session_verification(&b) == SessionVerification::Unverified
        })
        .await;
        assert_eq!(
            decrypted_body(&room_b, &old).await,
            None,
            "B has no key yet"
        );
        assert_eq!(
            recovery::recovery_state(&b),
            recovery::RecoveryStatus::Incomplete
        );

        let wrong = recovery::recover(&b, "EsTc 1234 abcd wxyz").await;
        assert!(
            matches!(wrong, Err(EngineError::WrongRecoveryKey)),
            "a wrong key is refused: {wrong:?}"
        );
        assert!(!cross_signing::is_this_session_verified(&b));

        recovery::recover(&b, key.expose())
            .await
            .expect("the key recovers");
        eventually("B to count as verified", || async {
            cross_signing::is_this_session_verified(&b)
        })
        .await;
        assert_eq!(recovery::recovery_state(&b), recovery::RecoveryStatus::On);
        assert_eq!(
            decrypted_body(&room_b, &old).await.as_deref(),
            Some("written before the new session")
        );

        sync_a.stop().await;
        sync_b.stop().await;
    });
}

#[test]
fn emoji_verification_between_two_sessions_of_one_account() {
    let (test_a, user) = TestProfile::signed_in("selfverifier");
    let test_b = TestProfile::new();
    let test_c = TestProfile::new();
    harness::runtime().block_on(async {
        let a = test_a
            .accounts
            .restore(&test_a.accounts.list().unwrap()[0])
            .await
            .unwrap();
        let sync_a = AccountSync::start(&a).await.unwrap();
        cross_signing::bootstrap_cross_signing(&a, Some(&user.password))
            .await
            .unwrap();
        let verifications_a = Verifications::new(&a);
        let mut incoming_a = Box::pin(verifications_a.incoming());

        let (b, sync_b) = second_session(&test_b, &user).await;
        let verifications_b = Verifications::new(&b);
        wait_for_device(&b, &user.user_id, &a.device_id()).await;
        wait_for_device(&a, &user.user_id, &b.device_id()).await;
        assert!(!cross_signing::is_this_session_verified(&b));

        // B asks, A accepts, both reach the emoji.
        let (mut states_a, mut states_b) = {
            let flow_b = verifications_b.verify_this_session().await.expect("B asks");
            assert!(flow_b.is_self_verification());
            assert!(matches!(
                verifications_b.verify_this_session().await,
                Err(EngineError::VerificationBusy)
            ));
            let flow_a = next_matching(&mut incoming_a, "B's request at A", |_| true).await;
            assert_eq!(flow_a.flow_id(), flow_b.flow_id());
            assert!(!flow_a.we_started());
            flow_a.accept().await.unwrap();
            let mut states_b = Box::pin(flow_b.states());
            next_matching(&mut states_b, "ready at B", |s| *s == FlowState::Ready).await;
            flow_b.start_sas().await.unwrap();
            let mut states_a = Box::pin(flow_a.states());
            let emoji_b = compare(&mut states_b).await;
            let emoji_a = compare(&mut states_a).await;
            assert_eq!(emoji_a, emoji_b, "both sides show the same emoji");
            assert_eq!(emoji_a.len(), 7);
            assert!(
                emoji_a
                    .iter()
                    .all(|(symbol, name)| !symbol.is_empty() && !name.is_empty())
            );
            (states_a, states_b)
        };

        // A second request from the account while this one runs: the SDK cancels both, so
        // nobody compares emoji with the wrong session.
        let (c, sync_c) = second_session(&test_c, &user).await;
        wait_for_device(&c, &user.user_id, &a.device_id()).await;
        wait_for_device(&a, &user.user_id, &c.device_id()).await;
        wait_for_device(&b, &user.user_id, &c.device_id()).await;
        let verifications_c = Verifications::new(&c);
        let flow_c = verifications_c.verify_this_session().await.expect("C asks");
        for (states, who) in [
            (&mut Box::pin(flow_c.states()), "C"),
            (&mut states_a, "A"),
            (&mut states_b, "B"),
        ] {
            let ended =
                next_matching(states, &format!("the end at {who}"), FlowState::is_finished).await;
            assert!(matches!(ended, FlowState::Cancelled(_)), "{who}: {ended:?}");
        }
        assert!(!cross_signing::is_this_session_verified(&b));
        sync_c.stop().await;

        // Once more, undisturbed: both confirm and B ends verified.
        let flow_b = verifications_b
            .verify_this_session()
            .await
            .expect("B asks again");
        let flow_a = next_matching(&mut incoming_a, "the new request at A", |_| true).await;
        flow_a.accept().await.unwrap();
        let mut states_b = Box::pin(flow_b.states());
        next_matching(&mut states_b, "ready at B", |s| *s == FlowState::Ready).await;
        flow_b.start_sas().await.unwrap();
        let mut states_a = Box::pin(flow_a.states());
        assert_eq!(compare(&mut states_a).await, compare(&mut states_b).await);
        flow_a.confirm().await.unwrap();
        flow_b.confirm().await.unwrap();
        next_matching(&mut states_a, "done at A", |s| *s == FlowState::Done).await;
        next_matching(&mut states_b, "done at B", |s| *s == FlowState::Done).await;

        eventually("B to count as verified", || async {
            cross_signing::is_this_session_verified(&b)
        })
        .await;
        eventually("A to list B as verified", || async {
            devices::own_devices(&a)
                .await
                .unwrap()
                .iter()
                .any(|d| d.device_id == b.device_id() && d.is_verified)
        })
        .await;

        sync_a.stop().await;
        sync_b.stop().await;
    });
}

/// How long a flow may take to end after the other session was signed out. Well under the
/// SDK's own time-out of an emoji comparison (one minute without a step, noticed at the
/// next sync), so the end seen is Sotto's, not the SDK's.
const SIGN_OUT_NOTICED: Duration = Duration::from_secs(30);

/// The end of `states`, failing after `within`.
async fn ended_within(
    states: &mut (impl Stream<Item = FlowState> + Unpin),
    within: Duration,
    what: &str,
) -> FlowState {
    let mut seen = Vec::new();
    let ended = tokio::time::timeout(within, async {
        while let Some(state) = states.next().await {
            if state.is_finished() {
                return Some(state);
            }
            seen.push(state);
        }
        None
    })
    .await;
    match ended {
        Ok(Some(state)) => state,
        _ => panic!("{what} did not end within {within:?}; saw {seen:?}"),
    }
}

/// B asks A to verify it, A accepts, both reach the emoji; returns A's flow and the
/// states of both.
async fn verify_until_the_emoji(
    verifications_b: &Verifications,
    incoming_a: &mut (impl Stream<Item = sotto::engine::trust::verification::VerificationFlow> + Unpin),
) -> (
    sotto::engine::trust::verification::VerificationFlow,
    sotto::engine::trust::verification::VerificationFlow,
    std::pin::Pin<Box<dyn Stream<Item = FlowState> + Send>>,
    std::pin::Pin<Box<dyn Stream<Item = FlowState> + Send>>,
) {
    let flow_b = verifications_b.verify_this_session().await.expect("B asks");
    let flow_a = next_matching(incoming_a, "B's request at A", |_| true).await;
    assert_eq!(flow_a.flow_id(), flow_b.flow_id());
    flow_a.accept().await.unwrap();
    let mut states_b: std::pin::Pin<Box<dyn Stream<Item = FlowState> + Send>> =
        Box::pin(flow_b.states());
    next_matching(&mut states_b, "ready at B", |s| *s == FlowState::Ready).await;
    flow_b.start_sas().await.unwrap();
    let mut states_a: std::pin::Pin<Box<dyn Stream<Item = FlowState> + Send>> =
        Box::pin(flow_a.states());
    assert_eq!(compare(&mut states_a).await, compare(&mut states_b).await);
    (flow_a, flow_b, states_a, states_b)
}

/// Nothing was verified: A does not list `device_id` as verified.
async fn not_verified_at(a: &Session, device_id: &str) {
    assert!(
        !devices::own_devices(a)
            .await
            .unwrap()
            .iter()
            .any(|d| d.device_id == device_id && d.is_verified),
        "{device_id} must not count as verified"
    );
}

#[test]
fn verification_between_sessions_ends_when_the_other_times_out_or_signs_out() {
    let (test_a, user) = TestProfile::signed_in("selftimeout");
    let test_b = TestProfile::new();
    harness::runtime().block_on(async {
        let a = test_a
            .accounts
            .restore(&test_a.accounts.list().unwrap()[0])
            .await
            .unwrap();
        let sync_a = AccountSync::start(&a).await.unwrap();
        cross_signing::bootstrap_cross_signing(&a, Some(&user.password))
            .await
            .unwrap();
        let verifications_a = Verifications::new(&a);
        let mut incoming_a = Box::pin(verifications_a.incoming());
        let (b, sync_b) = second_session(&test_b, &user).await;
        let verifications_b = Verifications::new(&b);
        wait_for_device(&b, &user.user_id, &a.device_id()).await;
        wait_for_device(&a, &user.user_id, &b.device_id()).await;

        // B's clock runs out while A compares: B's client sends `m.timeout`, as to-device.
        let (flow_a, flow_b, mut states_a, mut states_b) =
            verify_until_the_emoji(&verifications_b, &mut incoming_a).await;
        peers::send_verification_cancel_to_device(
            b.client(),
            &user.user_id,
            &a.device_id(),
            &flow_a.flow_id(),
            "m.timeout",
        )
        .await;
        let ended = next_matching(&mut states_a, "the time-out at A", FlowState::is_finished).await;
        assert!(
            matches!(&ended, FlowState::Cancelled(r) if r.kind == CancelKind::TimedOut && !r.by_us),
            "{ended:?}"
        );
        assert!(verifications_a.active().is_none(), "nothing runs any more");
        not_verified_at(&a, &b.device_id()).await;
        assert!(!cross_signing::is_this_session_verified(&b));
        // B's own copy of the flow did not hear of its raw cancel; it ends it as well.
        flow_b.cancel().await.unwrap();
        next_matching(&mut states_b, "the end at B", FlowState::is_finished).await;

        // B is signed out while A compares: A's flow ends at once, not at the SDK's time-out.
        let (_flow_a, _flow_b, mut states_a, _states_b) =
            verify_until_the_emoji(&verifications_b, &mut incoming_a).await;
        let device_b = b.device_id();
        drop(verifications_b);
        sync_b.stop().await;
        b.client()
            .matrix_auth()
            .logout()
            .await
            .expect("B signs out");
        let ended = ended_within(&mut states_a, SIGN_OUT_NOTICED, "A's flow").await;
        assert!(
            matches!(
                &ended,
                FlowState::Cancelled(r) if r.kind == CancelKind::OtherSessionSignedOut && r.by_us
            ),
            "{ended:?}"
        );
        assert!(verifications_a.active().is_none(), "nothing runs any more");
        not_verified_at(&a, &device_b).await;

        sync_a.stop().await;
    });
}

#[test]
fn verification_ends_when_this_side_times_out() {
    let (test_a, user) = TestProfile::signed_in("owntimeout");
    let test_b = TestProfile::new();
    harness::runtime().block_on(async {
        let a = test_a
            .accounts
            .restore(&test_a.accounts.list().unwrap()[0])
            .await
            .unwrap();
        let sync_a = AccountSync::start(&a).await.unwrap();
        cross_signing::bootstrap_cross_signing(&a, Some(&user.password))
            .await
            .unwrap();
        let verifications_a = Verifications::new(&a);
        let mut incoming_a = Box::pin(verifications_a.incoming());
        let (b, sync_b) = second_session(&test_b, &user).await;
        let verifications_b = Verifications::new(&b);
        wait_for_device(&b, &user.user_id, &a.device_id()).await;
        wait_for_device(&a, &user.user_id, &b.device_id()).await;

        // B falls silent at the emoji (its sync stops, so its own clock never fires): after
        // a minute without a step, A's SDK gives up at its next sync, and says so.
        let (_flow_a, _flow_b, mut states_a, _states_b) =
            verify_until_the_emoji(&verifications_b, &mut incoming_a).await;
        sync_b.stop().await;
        let ended = ended_within(&mut states_a, Duration::from_secs(150), "A's flow").await;
        assert!(
            matches!(&ended, FlowState::Cancelled(r) if r.kind == CancelKind::TimedOut && r.by_us),
            "{ended:?}"
        );
        not_verified_at(&a, &b.device_id()).await;
        sync_a.stop().await;
    });
}

/// Follows `states` to the comparison and returns the emoji as (symbol, name) pairs.
async fn compare(states: &mut (impl Stream<Item = FlowState> + Unpin)) -> Vec<(String, String)> {
    let state = next_matching(states, "the emoji", |s| {
        matches!(s, FlowState::Compare { .. } | FlowState::Cancelled(_))
    })
    .await;
    let FlowState::Compare {
        emoji: Some(emoji), ..
    } = state
    else {
        panic!("no emoji to compare: {state:?}");
    };
    emoji.into_iter().map(|e| (e.symbol, e.name)).collect()
}

#[test]
fn sessions_are_listed_renamed_and_signed_out_with_the_password() {
    let (test_a, user) = TestProfile::signed_in("sessionlister");
    let test_b = TestProfile::new();
    harness::runtime().block_on(async {
        let a = test_a
            .accounts
            .restore(&test_a.accounts.list().unwrap()[0])
            .await
            .unwrap();
        let (b, sync_b) = second_session(&test_b, &user).await;

        devices::rename_this_session(&a, "Phone in the kitchen")
            .await
            .unwrap();
        // The harness's registration made a device of its own too.
        let listed = devices::own_devices(&a).await.unwrap();
        assert!(
            listed[0].is_this_session,
            "this session comes first: {listed:?}"
        );
        assert_eq!(listed[0].device_id, a.device_id());
        assert_eq!(
            listed[0].display_name.as_deref(),
            Some("Phone in the kitchen")
        );
        assert_eq!(listed.iter().filter(|d| d.is_this_session).count(), 1);
        let other = listed
            .iter()
            .find(|d| d.device_id == b.device_id())
            .expect("B is listed");
        assert!(!other.is_this_session);
        assert!(
            other.last_seen.is_some() && other.last_seen_ip.is_some(),
            "{other:?}"
        );
        let count = listed.len();

        let none = devices::sign_out_session(&a, &b.device_id(), None).await;
        assert!(matches!(none, Err(EngineError::PasswordNeeded)), "{none:?}");
        let wrong = devices::sign_out_session(&a, &b.device_id(), Some("not the password")).await;
        assert!(
            matches!(wrong, Err(EngineError::WrongPassword)),
            "{wrong:?}"
        );
        assert_eq!(
            devices::own_devices(&a).await.unwrap().len(),
            count,
            "nothing signed out"
        );

        devices::sign_out_session(&a, &b.device_id(), Some(&user.password))
            .await
            .expect("B is signed out");
        let listed = devices::own_devices(&a).await.unwrap();
        assert_eq!(listed.len(), count - 1, "{listed:?}");
        assert!(listed.iter().all(|d| d.device_id != b.device_id()));
        let ended = tokio::time::timeout(PATIENCE, b.invalidated()).await;
        assert!(
            matches!(ended, Ok(EngineError::SessionInvalidated { soft: false })),
            "B learns it was signed out: {ended:?}"
        );
        sync_b.stop().await;
    });
}

/// Bootstraps cross-signing on a headless peer, answering the password prompt if any: its
/// device is then signed by its owner.
pub async fn peer_bootstrap(client: &matrix_sdk::Client, user: &synapse::TestUser) {
    use matrix_sdk::ruma::api::client::uiaa;
    if let Err(err) = client.encryption().bootstrap_cross_signing(None).await {
        let info = err
            .as_uiaa_response()
            .expect("the server asks for the password");
        let mut password = uiaa::Password::new(
            uiaa::UserIdentifier::Matrix(uiaa::MatrixUserIdentifier::new(user.user_id.clone())),
            user.password.clone(),
        );
        password.session = info.session.clone();
        client
            .encryption()
            .bootstrap_cross_signing(Some(uiaa::AuthData::Password(password)))
            .await
            .expect("the peer's cross-signing is set up");
    }
}

/// A direct chat made by `owner` with `guest`, joined by the guest.
async fn direct_chat(owner: &Session, guest: &Session) -> OwnedRoomId {
    let guest_id: matrix_sdk::ruma::OwnedUserId = guest.user_id().as_str().try_into().unwrap();
    let dm = owner
        .client()
        .create_dm(&guest_id)
        .await
        .expect("a direct chat");
    let dm_id = dm.room_id().to_owned();
    wait_for_room(guest, &dm_id).await;
    guest.client().join_room_by_id(&dm_id).await.unwrap();
    eventually("the guest in the direct chat", || async {
        dm.get_member(&guest_id)
            .await
            .ok()
            .flatten()
            .is_some_and(|m| {
                m.membership() == &matrix_sdk::ruma::events::room::member::MembershipState::Join
            })
    })
    .await;
    dm_id
}

/// Signs in `user` in fresh folders and starts its sync.
async fn signed_in_with_sync(
    test: &TestProfile,
    user: &synapse::TestUser,
) -> (Session, AccountSync) {
    second_session(test, user).await
}

/// A shared encrypted room made by `owner`, joined by `guest`.
pub async fn shared_room(owner: &Session, guest: &Session, name: &str) -> OwnedRoomId {
    let room = peers::create_room(owner.client(), name, true, &[guest.user_id().as_str()]).await;
    let room_id = room.room_id().to_owned();
    wait_for_room(guest, &room_id).await;
    guest
        .client()
        .join_room_by_id(&room_id)
        .await
        .expect("joins");
    let owner_room = wait_for_room(owner, &room_id).await;
    let guest_id: matrix_sdk::ruma::OwnedUserId = guest.user_id().as_str().try_into().unwrap();
    eventually("the guest to be a member", || async {
        owner_room
            .get_member(&guest_id)
            .await
            .ok()
            .flatten()
            .is_some_and(|m| {
                m.membership() == &matrix_sdk::ruma::events::room::member::MembershipState::Join
            })
    })
    .await;
    room_id
}

#[test]
fn a_reset_identity_blocks_sending_until_acknowledged() {
    let test_alice = TestProfile::new();
    let test_bob = TestProfile::new();
    harness::runtime().block_on(async {
        let server = synapse::shared();
        let alice_user = server.register("resetter").await;
        let bob_user = server.register("resetter-friend").await;
        let (alice, sync_alice) = signed_in_with_sync(&test_alice, &alice_user).await;
        let (bob, sync_bob) = signed_in_with_sync(&test_bob, &bob_user).await;
        cross_signing::bootstrap_cross_signing(&alice, Some(&alice_user.password)).await.unwrap();
        cross_signing::bootstrap_cross_signing(&bob, Some(&bob_user.password)).await.unwrap();
        let room_id = shared_room(&alice, &bob, "Identity watch").await;
        let room = room_id.to_string();

        eventually("Bob to know Alice's identity", || async {
            identities::user_trust(&bob, &crate::harness::uid(&alice_user.user_id)).await.unwrap()
                == identities::UserTrust::Unverified
        })
        .await;
        let mut warnings = Box::pin(identities::identity_warnings(&bob, &crate::harness::rid(&room)).await.unwrap());
        assert_eq!(warnings.next().await, Some(Vec::new()), "nothing to warn about yet");
        identities::ensure_can_send(&bob, &crate::harness::rid(&room)).await.expect("Bob may send");
        assert_eq!(
            identities::room_trust(&bob, &crate::harness::rid(&room)).await.unwrap(),
            identities::RoomTrust::SomeUnverified
        );
        // Sending through the conversation keeps a clean check; a change must undo it.
        let timeline = RoomTimeline::open(&bob, &sync_bob, &crate::harness::rid(&room)).await.unwrap();
        for text in ["before the reset", "still before the reset"] {
            timeline
                .send(&Outgoing::text(text))
                .await
                .expect("Bob's message is queued");
        }

        let none = recovery::reset_identity(&alice, None).await;
        assert!(matches!(none, Err(EngineError::PasswordNeeded)), "{none:?}");
        let wrong = recovery::reset_identity(&alice, Some("not the password")).await;
        assert!(matches!(wrong, Err(EngineError::WrongPassword)), "{wrong:?}");
        recovery::reset_identity(&alice, Some(&alice_user.password))
            .await
            .expect("Alice resets her identity");

        let seen = next_matching(&mut warnings, "Alice's changed identity", |w| !w.is_empty()).await;
        assert_eq!(
            seen,
            vec![identities::IdentityWarning {
                user_id: crate::harness::uid(alice_user.user_id.clone()),
                was_verified: false
            }]
        );
        let blocked = identities::ensure_can_send(&bob, &crate::harness::rid(&room)).await;
        assert!(
            matches!(&blocked, Err(EngineError::IdentityChanged(users)) if users == &vec![crate::harness::uid(&alice_user.user_id)]),
            "Bob's sending is blocked: {blocked:?}"
        );
        let refused = timeline.send(&Outgoing::text("after the reset")).await;
        assert!(
            matches!(&refused, Err(EngineError::IdentityChanged(users)) if users == &vec![crate::harness::uid(&alice_user.user_id)]),
            "the conversation refuses to send too: {refused:?}"
        );
        assert_eq!(
            identities::user_trust(&bob, &crate::harness::uid(&alice_user.user_id)).await.unwrap(),
            identities::UserTrust::Changed
        );
        assert_eq!(
            identities::room_trust(&bob, &crate::harness::rid(&room)).await.unwrap(),
            identities::RoomTrust::IdentityChanged(vec![crate::harness::uid(alice_user.user_id.clone())])
        );

        identities::acknowledge_identity(&bob, &crate::harness::uid(&alice_user.user_id)).await.unwrap();
        next_matching(&mut warnings, "the warning to go", |w| w.is_empty()).await;
        identities::ensure_can_send(&bob, &crate::harness::rid(&room)).await.expect("Bob may send again");
        timeline
            .send(&Outgoing::text("after acknowledging"))
            .await
            .expect("the conversation sends again");
        assert_eq!(
            identities::user_trust(&bob, &crate::harness::uid(&alice_user.user_id)).await.unwrap(),
            identities::UserTrust::Unverified
        );

        sync_alice.stop().await;
        sync_bob.stop().await;
    });
}

/// A sync of a headless peer that does not wait long for news.
fn quick() -> matrix_sdk::config::SyncSettings {
    matrix_sdk::config::SyncSettings::default().timeout(Duration::from_millis(500))
}

#[test]
fn only_verified_devices_get_the_keys_when_the_setting_is_on() {
    let mut test_alice = TestProfile::new();
    test_alice
        .accounts
        .set_key_sharing(KeySharing::VerifiedDevicesOnly);
    harness::runtime().block_on(async {
        let server = synapse::shared();
        let alice_user = server.register("strict").await;
        let bob_user = server.register("strict-friend").await;
        let (alice, sync_alice) = signed_in_with_sync(&test_alice, &alice_user).await;
        assert_eq!(alice.key_sharing(), KeySharing::VerifiedDevicesOnly);
        // The SDK shares by identity only once the sender has one.
        cross_signing::bootstrap_cross_signing(&alice, Some(&alice_user.password))
            .await
            .unwrap();

        let bob_verified = peers::login(server, &bob_user).await;
        peer_bootstrap(&bob_verified, &bob_user).await;
        let bob_unverified = peers::login(server, &bob_user).await;
        let verified_id = bob_verified.device_id().unwrap().to_string();
        let unverified_id = bob_unverified.device_id().unwrap().to_string();

        let room =
            peers::create_room(alice.client(), "Strict room", true, &[&bob_user.user_id]).await;
        let room_id = room.room_id().to_owned();
        bob_verified.join_room_by_id(&room_id).await.unwrap();
        wait_for_device(&alice, &bob_user.user_id, &verified_id).await;
        wait_for_device(&alice, &bob_user.user_id, &unverified_id).await;
        eventually("Alice to know Bob's identity", || async {
            identities::user_trust(&alice, &crate::harness::uid(&bob_user.user_id))
                .await
                .unwrap()
                != identities::UserTrust::NoIdentity
        })
        .await;
        let alice_room = wait_for_room(&alice, &room_id).await;
        let bob_id: matrix_sdk::ruma::OwnedUserId = bob_user.user_id.as_str().try_into().unwrap();
        eventually("Bob to be a member", || async {
            alice_room
                .get_member(&bob_id)
                .await
                .ok()
                .flatten()
                .is_some_and(|m| {
                    m.membership() == &matrix_sdk::ruma::events::room::member::MembershipState::Join
                })
        })
        .await;

        let left_out = identities::devices_left_out(&alice, &crate::harness::rid(room_id.as_str()))
            .await
            .unwrap();
        assert_eq!(
            left_out,
            vec![identities::LeftOutDevice {
                user_id: crate::harness::uid(bob_user.user_id.clone()),
                device_id: unverified_id.clone()
            }],
            "only Bob's unverified session is left out"
        );
        let notice = identities::sharing_notice(&alice, &crate::harness::rid(room_id.as_str()))
            .await
            .unwrap();
        assert_eq!(notice.blocked, None, "Alice's session is verified");
        assert_eq!(notice.left_out.len(), 1, "{notice:?}");
        assert_eq!(notice.left_out[0].0, bob_user.user_id);
        assert_eq!(notice.left_out[0].2, 1, "one session of Bob's");
        let event_id = send_text(&alice, &room_id, "only for verified devices").await;

        for client in [&bob_verified, &bob_unverified] {
            client.sync_once(quick()).await.unwrap();
        }
        let verified_room = bob_verified
            .get_room(&room_id)
            .expect("the room at Bob's first");
        let unverified_room = bob_unverified
            .get_room(&room_id)
            .expect("the room at Bob's second");
        let mut body = None;
        for _ in 0..20 {
            body = decrypted_body(&verified_room, &event_id).await;
            if body.is_some() {
                break;
            }
            bob_verified.sync_once(quick()).await.unwrap();
        }
        assert_eq!(body.as_deref(), Some("only for verified devices"));
        bob_unverified.sync_once(quick()).await.unwrap();
        assert_eq!(
            decrypted_body(&unverified_room, &event_id).await,
            None,
            "the unverified session got no key"
        );

        // Control: with the setting off and that session verified here by hand (which the
        // default rule honours and "verified devices only" does not), the same session
        // gets the key of the next message and reads it: the check above is about the
        // setting, not about a session that could not decrypt anyway.
        sync_alice.stop().await;
        drop((sync_alice, alice_room, room, alice));
        test_alice
            .accounts
            .set_key_sharing(KeySharing::VouchedDevices);
        let entry = test_alice.accounts.list().unwrap().remove(0);
        let alice = test_alice.accounts.restore(&entry).await.unwrap();
        assert_eq!(alice.key_sharing(), KeySharing::VouchedDevices);
        let sync_alice = AccountSync::start(&alice).await.unwrap();
        let bob_id: matrix_sdk::ruma::OwnedUserId = bob_user.user_id.as_str().try_into().unwrap();
        alice
            .client()
            .encryption()
            .get_device(&bob_id, unverified_id.as_str().into())
            .await
            .unwrap()
            .expect("Bob's second session is known")
            .set_local_trust(matrix_sdk_crypto::LocalTrust::Verified)
            .await
            .unwrap();
        let second_id = send_text(&alice, &room_id, "for every device").await;
        let mut body = None;
        for _ in 0..20 {
            bob_unverified.sync_once(quick()).await.unwrap();
            body = decrypted_body(&unverified_room, &second_id).await;
            if body.is_some() {
                break;
            }
        }
        assert_eq!(
            body.as_deref(),
            Some("for every device"),
            "with the setting off, the unverified session reads the message"
        );
        sync_alice.stop().await;
    });
}

#[test]
fn emoji_mismatch_cancellation_time_out_and_sign_out_between_people() {
    let test_alice = TestProfile::new();
    let test_bob = TestProfile::new();
    harness::runtime().block_on(async {
        let server = synapse::shared();
        let alice_user = server.register("sasalice").await;
        let bob_user = server.register("sasbob").await;
        let (alice, sync_alice) = signed_in_with_sync(&test_alice, &alice_user).await;
        let (bob, sync_bob) = signed_in_with_sync(&test_bob, &bob_user).await;
        cross_signing::bootstrap_cross_signing(&alice, Some(&alice_user.password)).await.unwrap();
        cross_signing::bootstrap_cross_signing(&bob, Some(&bob_user.password)).await.unwrap();
        let verifications_alice = Verifications::new(&alice);
        let verifications_bob = Verifications::new(&bob);
        let mut incoming_bob = Box::pin(verifications_bob.incoming());

        // The direct chats the requests go into: Alice's with Bob, and Carol's with Bob.
        let dm_id = direct_chat(&alice, &bob).await;
        eventually("Alice to know Bob's identity", || async {
            identities::user_trust(&alice, &crate::harness::uid(&bob_user.user_id)).await.unwrap()
                == identities::UserTrust::Unverified
        })
        .await;
        let test_carol = TestProfile::new();
        let carol_user = server.register("sascarol").await;
        let (carol, sync_carol) = signed_in_with_sync(&test_carol, &carol_user).await;
        cross_signing::bootstrap_cross_signing(&carol, Some(&carol_user.password)).await.unwrap();
        let verifications_carol = Verifications::new(&carol);
        direct_chat(&carol, &bob).await;
        eventually("Carol to know Bob's identity", || async {
            identities::user_trust(&carol, &crate::harness::uid(&bob_user.user_id)).await.unwrap()
                == identities::UserTrust::Unverified
        })
        .await;

        let flow_alice = verifications_alice.verify_user(&crate::harness::uid(&bob_user.user_id)).await.expect("asks");
        assert!(!flow_alice.is_self_verification());
        let flow_bob = next_matching(&mut incoming_bob, "Alice's request at Bob", |_| true).await;
        assert_eq!(flow_bob.other_user_id().as_str(), alice_user.user_id);
        flow_bob.accept().await.unwrap();
        let mut states_alice = Box::pin(flow_alice.states());
        next_matching(&mut states_alice, "ready at Alice", |s| *s == FlowState::Ready).await;
        flow_alice.start_sas().await.unwrap();
        let mut states_bob = Box::pin(flow_bob.states());
        let emoji_alice = compare(&mut states_alice).await;
        let emoji_bob = compare(&mut states_bob).await;
        assert_eq!(emoji_alice, emoji_bob);

        // Carol asks Bob while he compares with Alice: Bob's side declines her request, and
        // his comparison with Alice goes on.
        let from_carol = verifications_carol.verify_user(&crate::harness::uid(&bob_user.user_id)).await.expect("asks");
        let mut states_carol = Box::pin(from_carol.states());
        let ended = next_matching(&mut states_carol, "the refusal", FlowState::is_finished).await;
        assert!(
            matches!(&ended, FlowState::Cancelled(r) if r.kind == CancelKind::Cancelled && !r.by_us),
            "{ended:?}"
        );
        assert!(matches!(flow_bob.state(), FlowState::Compare { .. }), "{:?}", flow_bob.state());
        assert_eq!(
            verifications_bob.active().map(|f| f.flow_id()),
            Some(flow_bob.flow_id()),
            "Bob's running flow is still Alice's"
        );
        sync_carol.stop().await;

        flow_bob.mismatch().await.unwrap();
        let ended_bob = next_matching(&mut states_bob, "the end at Bob", FlowState::is_finished).await;
        let ended_alice =
            next_matching(&mut states_alice, "the end at Alice", FlowState::is_finished).await;
        assert!(
            matches!(&ended_bob, FlowState::Cancelled(r) if r.kind == CancelKind::Mismatch && r.by_us),
            "{ended_bob:?}"
        );
        assert!(
            matches!(&ended_alice, FlowState::Cancelled(r) if r.kind == CancelKind::Mismatch && !r.by_us),
            "{ended_alice:?}"
        );
        assert_eq!(
            identities::user_trust(&alice, &crate::harness::uid(&bob_user.user_id)).await.unwrap(),
            identities::UserTrust::Unverified,
            "nothing was verified"
        );

        // A second request, cancelled by Alice: Bob sees who ended it.
        let again = verifications_alice.verify_user(&crate::harness::uid(&bob_user.user_id)).await.expect("asks again");
        let flow_bob = next_matching(&mut incoming_bob, "the second request", |_| true).await;
        assert_eq!(flow_bob.flow_id(), again.flow_id());
        again.cancel().await.unwrap();
        let mut states_bob = Box::pin(flow_bob.states());
        let ended = next_matching(&mut states_bob, "the cancellation", FlowState::is_finished).await;
        assert!(
            matches!(&ended, FlowState::Cancelled(r) if r.kind == CancelKind::Cancelled && !r.by_us),
            "{ended:?}"
        );

        // Bob's clock runs out: his client sends `m.timeout` into the direct chat.
        let again = verifications_alice.verify_user(&crate::harness::uid(&bob_user.user_id)).await.expect("asks again");
        let flow_bob = next_matching(&mut incoming_bob, "the third request", |_| true).await;
        assert_eq!(flow_bob.flow_id(), again.flow_id());
        let bob_dm = wait_for_room(&bob, &dm_id).await;
        peers::send_verification_cancel_in_room(&bob_dm, &again.flow_id(), "m.timeout").await;
        let mut states_alice = Box::pin(again.states());
        let ended = next_matching(&mut states_alice, "the time-out", FlowState::is_finished).await;
        assert!(
            matches!(&ended, FlowState::Cancelled(r) if r.kind == CancelKind::TimedOut && !r.by_us),
            "{ended:?}"
        );
        // Bob's copy of the flow did not hear of his raw cancel; he ends it as well.
        flow_bob.cancel().await.unwrap();

        // Bob signs out after accepting: Alice's flow ends at once.
        let again = verifications_alice.verify_user(&crate::harness::uid(&bob_user.user_id)).await.expect("asks again");
        let flow_bob = next_matching(&mut incoming_bob, "the fourth request", |_| true).await;
        flow_bob.accept().await.unwrap();
        let mut states_alice = Box::pin(again.states());
        next_matching(&mut states_alice, "ready at Alice", |s| *s == FlowState::Ready).await;
        drop(verifications_bob);
        sync_bob.stop().await;
        bob.client().matrix_auth().logout().await.expect("Bob signs out");
        let ended = ended_within(&mut states_alice, SIGN_OUT_NOTICED, "Alice's flow").await;
        assert!(
            matches!(
                &ended,
                FlowState::Cancelled(r) if r.kind == CancelKind::OtherSessionSignedOut && r.by_us
            ),
            "{ended:?}"
        );
        assert_eq!(
            identities::user_trust(&alice, &crate::harness::uid(&bob_user.user_id)).await.unwrap(),
            identities::UserTrust::Unverified,
            "nothing was verified"
        );

        sync_alice.stop().await;
    });
}

#[test]
fn room_keys_export_and_import_and_recovery_turned_off() {
    let (test_a, user) = TestProfile::signed_in("exporter");
    let test_b = TestProfile::new();
    harness::runtime().block_on(async {
        let a = test_a
            .accounts
            .restore(&test_a.accounts.list().unwrap()[0])
            .await
            .unwrap();
        let sync_a = AccountSync::start(&a).await.unwrap();
        cross_signing::bootstrap_cross_signing(&a, Some(&user.password))
            .await
            .unwrap();
        recovery::enable_recovery(&a, None).await.unwrap();
        let room = peers::create_room(a.client(), "Exported", true, &[]).await;
        let room_id = room.room_id().to_owned();
        let event_id = send_text(&a, &room_id, "kept in a key file").await;

        let folder = tempfile::tempdir().unwrap();
        let file = folder.path().join("keys.txt");
        // A weak passphrase is refused before anything is written.
        let weak = recovery::export_room_keys(&a, file.clone(), "passwordpassword").await;
        assert!(
            matches!(
                weak,
                Err(EngineError::WeakPassphrase(
                    recovery::PassphraseWeakness::OneKindOfCharacter
                ))
            ),
            "{weak:?}"
        );
        assert!(!file.exists(), "nothing is written with a weak passphrase");
        recovery::export_room_keys(&a, file.clone(), "file passphrase")
            .await
            .unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains("BEGIN MEGOLM SESSION DATA"), "a key export");

        recovery::disable_recovery(&a).await.unwrap();
        let mut states = Box::pin(recovery::recovery_states(&a));
        next_matching(&mut states, "recovery off", |s| {
            *s == recovery::RecoveryStatus::Off
        })
        .await;
        assert!(
            recovery::is_last_session_without_recovery(&a)
                .await
                .unwrap()
        );

        let (b, sync_b) = second_session(&test_b, &user).await;
        let room_b = wait_for_room(&b, &room_id).await;
        assert_eq!(decrypted_body(&room_b, &event_id).await, None);
        let wrong = recovery::import_room_keys(&b, file.clone(), "not it").await;
        assert!(
            matches!(wrong, Err(EngineError::WrongKeyFilePassphrase)),
            "{wrong:?}"
        );
        // Not a key file at all, one cut short, and one that is not text.
        let broken = folder.path().join("broken.txt");
        for bytes in [
            b"hello, not a key file".to_vec(),
            text.as_bytes()[..text.len() / 2].to_vec(),
            vec![0xff, 0xfe, 0x00, 0x80, 0x81],
        ] {
            std::fs::write(&broken, bytes).unwrap();
            let result = recovery::import_room_keys(&b, broken.clone(), "file passphrase").await;
            assert!(
                matches!(result, Err(EngineError::KeyFileUnreadable)),
                "{result:?}"
            );
        }
        let missing =
            recovery::import_room_keys(&b, folder.path().join("none.txt"), "file passphrase").await;
        assert!(
            matches!(missing, Err(EngineError::Io { .. })),
            "{missing:?}"
        );
        let imported = recovery::import_room_keys(&b, file, "file passphrase")
            .await
            .unwrap();
        assert!(
            imported.imported >= 1 && imported.total >= imported.imported,
            "{imported:?}"
        );
        assert_eq!(
            decrypted_body(&room_b, &event_id).await.as_deref(),
            Some("kept in a key file")
        );
        assert!(
            !recovery::is_last_session_without_recovery(&b)
                .await
                .unwrap()
        );
        sync_a.stop().await;
        sync_b.stop().await;
    });
}

/// Applies the room list's updates until `done` holds for it.
async fn list_until(
    updates: &mut (impl Stream<Item = sotto::engine::room_list::RoomListUpdate> + Unpin),
    sections: &mut sotto::engine::room_list::RoomListSections,
    what: &str,
    done: impl Fn(&sotto::engine::room_list::RoomListSections) -> bool,
) {
    let reached = tokio::time::timeout(PATIENCE, async {
        while !done(sections) {
            let update = updates.next().await.expect("the list goes on");
            sections.apply(update);
        }
    })
    .await;
    assert!(
        reached.is_ok(),
        "timed out waiting for {what}: {sections:?}"
    );
}

#[test]
fn room_trust_follows_a_verification_and_an_identity_reset() {
    let test_alice = TestProfile::new();
    let test_bob = TestProfile::new();
    harness::runtime().block_on(async {
        let server = synapse::shared();
        let alice_user = server.register("shieldalice").await;
        let bob_user = server.register("shieldbob").await;
        let (alice, sync_alice) = signed_in_with_sync(&test_alice, &alice_user).await;
        let (bob, sync_bob) = signed_in_with_sync(&test_bob, &bob_user).await;
        cross_signing::bootstrap_cross_signing(&alice, Some(&alice_user.password))
            .await
            .unwrap();
        cross_signing::bootstrap_cross_signing(&bob, Some(&bob_user.password))
            .await
            .unwrap();
        let verifications_alice = Verifications::new(&alice);
        let verifications_bob = Verifications::new(&bob);
        let mut incoming_bob = Box::pin(verifications_bob.incoming());

        let bob_id: matrix_sdk::ruma::OwnedUserId = bob_user.user_id.as_str().try_into().unwrap();
        let dm = alice
            .client()
            .create_dm(&bob_id)
            .await
            .expect("a direct chat");
        let dm_id = dm.room_id().to_owned();
        let room = dm_id.to_string();
        wait_for_room(&bob, &dm_id).await;
        bob.client().join_room_by_id(&dm_id).await.unwrap();
        eventually("Bob in the direct chat", || async {
            dm.get_member(&bob_id)
                .await
                .ok()
                .flatten()
                .is_some_and(|m| {
                    m.membership() == &matrix_sdk::ruma::events::room::member::MembershipState::Join
                })
        })
        .await;
        eventually("Alice to know Bob's identity", || async {
            identities::user_trust(&alice, &crate::harness::uid(&bob_user.user_id))
                .await
                .unwrap()
                == identities::UserTrust::Unverified
        })
        .await;

        let mut room_trust = Box::pin(
            identities::room_trust_updates(&alice, &crate::harness::rid(&room))
                .await
                .unwrap(),
        );
        assert_eq!(
            room_trust.next().await,
            Some(identities::RoomTrust::SomeUnverified),
            "the summary starts with the state now"
        );
        let mut bob_trust = Box::pin(
            identities::user_trust_updates(&alice, &crate::harness::uid(&bob_user.user_id))
                .await
                .unwrap(),
        );
        assert_eq!(
            bob_trust.next().await,
            Some(identities::UserTrust::Unverified)
        );
        let members = sotto::engine::rooms::members(&alice, &crate::harness::rid(&room))
            .await
            .unwrap();
        assert!(members.iter().all(|m| !m.verified), "{members:?}");

        let (_list, updates) = sotto::engine::room_list::room_list(&sync_alice)
            .await
            .unwrap();
        let mut updates = Box::pin(updates);
        let mut sections = sotto::engine::room_list::RoomListSections::default();
        let bob_dm = |s: &sotto::engine::room_list::RoomListSections| {
            s.rooms()
                .find(|r| {
                    r.room_id == room
                        && r.dm_partner.as_deref()
                            == Some(&crate::harness::uid(bob_user.user_id.as_str()))
                })
                .cloned()
        };
        list_until(
            &mut updates,
            &mut sections,
            "the direct chat with Bob",
            |s| bob_dm(s).is_some(),
        )
        .await;
        assert!(!bob_dm(&sections).unwrap().dm_partner_verified);

        // Alice verifies Bob in their direct chat; both confirm the emoji.
        let flow_alice = verifications_alice
            .verify_user(&crate::harness::uid(&bob_user.user_id))
            .await
            .expect("asks");
        let flow_bob = next_matching(&mut incoming_bob, "Alice's request at Bob", |_| true).await;
        flow_bob.accept().await.unwrap();
        let mut states_alice = Box::pin(flow_alice.states());
        next_matching(&mut states_alice, "ready at Alice", |s| {
            *s == FlowState::Ready
        })
        .await;
        flow_alice.start_sas().await.unwrap();
        let mut states_bob = Box::pin(flow_bob.states());
        assert_eq!(
            compare(&mut states_alice).await,
            compare(&mut states_bob).await
        );
        flow_bob.confirm().await.unwrap();
        flow_alice.confirm().await.unwrap();
        next_matching(&mut states_alice, "done at Alice", |s| {
            *s == FlowState::Done
        })
        .await;
        next_matching(&mut states_bob, "done at Bob", |s| *s == FlowState::Done).await;

        next_matching(&mut room_trust, "everyone verified", |t| {
            *t == identities::RoomTrust::AllVerified
        })
        .await;
        next_matching(&mut bob_trust, "Bob verified", |t| {
            *t == identities::UserTrust::Verified
        })
        .await;
        let members = sotto::engine::rooms::members(&alice, &crate::harness::rid(&room))
            .await
            .unwrap();
        let shown: Vec<(&str, bool)> = members
            .iter()
            .map(|m| (m.user_id.as_str(), m.verified))
            .collect();
        assert!(
            shown.contains(&(bob_user.user_id.as_str(), true)),
            "{shown:?}"
        );
        assert!(
            shown.contains(&(alice_user.user_id.as_str(), false)),
            "{shown:?}"
        );
        list_until(
            &mut updates,
            &mut sections,
            "the shield on Bob's row",
            |s| bob_dm(s).is_some_and(|r| r.dm_partner_verified),
        )
        .await;

        // Bob resets his identity: the verified one is gone, the room says so.
        recovery::reset_identity(&bob, Some(&bob_user.password))
            .await
            .expect("Bob resets his identity");
        let changed = next_matching(&mut room_trust, "Bob's changed identity", |t| {
            matches!(t, identities::RoomTrust::IdentityChanged(_))
        })
        .await;
        assert_eq!(
            changed,
            identities::RoomTrust::IdentityChanged(vec![crate::harness::uid(
                bob_user.user_id.clone()
            )])
        );
        next_matching(
            &mut bob_trust,
            "Bob's identity changed after verification",
            |t| *t == identities::UserTrust::ChangedAfterVerification,
        )
        .await;
        list_until(&mut updates, &mut sections, "the shield to go", |s| {
            bob_dm(s).is_some_and(|r| !r.dm_partner_verified)
        })
        .await;

        sync_alice.stop().await;
        sync_bob.stop().await;
    });
}
