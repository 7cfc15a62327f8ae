//! Room management on a real Synapse: Sotto creates, joins, leaves and moderates rooms, and
//! other people's clients see what it did.

use std::time::{Duration, Instant};

use matrix_sdk::ruma::api::client::room::create_room::v3::{
    Request as CreateRoomRequest, RoomPreset,
};
use matrix_sdk::ruma::events::room::member::MembershipState;
use matrix_sdk::ruma::{OwnedUserId, RoomId, int};
use matrix_sdk::{Client, RoomState};
use sotto::engine::EngineError;
use sotto::engine::rooms::{self, CreateRoom, Membership, Role};
use sotto::engine::session::Session;
use sotto::engine::sync::AccountSync;

use crate::harness::{self, PATIENCE, TestProfile, peers, synapse};

/// A new user signed in to Sotto, with its session.
async fn sotto_user(test: &TestProfile, localpart: &str) -> (synapse::TestUser, Session) {
    let server = synapse::shared();
    let user = server.register(localpart).await;
    let session = test
        .accounts
        .login(&server.url(), &user.localpart, &user.password)
        .await
        .expect("signs in");
    (user, session)
}

/// A new user on a plain matrix-sdk client.
async fn peer(localpart: &str) -> (synapse::TestUser, Client) {
    let server = synapse::shared();
    let user = server.register(localpart).await;
    let client = peers::login(server, &user).await;
    (user, client)
}

/// Syncs `client` until `check` holds.
async fn peer_sees(client: &Client, what: &str, check: impl Fn(&Client) -> bool) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        client
            .sync_once(matrix_sdk::config::SyncSettings::default().timeout(Duration::from_secs(1)))
            .await
            .expect("the peer syncs");
        if check(client) {
            return;
        }
        assert!(Instant::now() < deadline, "the peer never saw {what}");
    }
}

/// The membership of `user_id` in `room_id` as the peer's store has it, with its reason.
async fn membership_seen_by(
    client: &Client,
    room_id: &str,
    user_id: &str,
) -> Option<(MembershipState, Option<String>)> {
    let room_id = <&RoomId>::try_from(room_id).unwrap();
    let user_id = <&matrix_sdk::ruma::UserId>::try_from(user_id).unwrap();
    let member = client
        .get_room(room_id)?
        .get_member_no_sync(user_id)
        .await
        .ok()??;
    Some((
        member.membership().clone(),
        member.event().reason().map(ToOwned::to_owned),
    ))
}

/// Syncs `client` until it sees `user_id`'s membership in `room_id` become `state`, and
/// returns the reason given.
async fn peer_sees_membership(
    client: &Client,
    room_id: &str,
    user_id: &str,
    state: MembershipState,
) -> Option<String> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        client
            .sync_once(matrix_sdk::config::SyncSettings::default().timeout(Duration::from_secs(1)))
            .await
            .expect("the peer syncs");
        if let Some((seen, reason)) = membership_seen_by(client, room_id, user_id).await
            && seen == state
        {
            return reason;
        }
        assert!(
            Instant::now() < deadline,
            "the peer never saw {user_id} become {state:?}"
        );
    }
}

fn in_room(client: &Client, room_id: &str, state: RoomState) -> bool {
    let room_id = <&RoomId>::try_from(room_id).unwrap();
    client.get_room(room_id).is_some_and(|r| r.state() == state)
}

async fn join_peer(client: &Client, room_id: &str) {
    let room_id = <&RoomId>::try_from(room_id).unwrap();
    client
        .join_room_by_id(room_id)
        .await
        .expect("the peer joins");
}

#[test]
fn a_new_private_room_is_encrypted_and_its_invitees_are_invited() {
    let test = TestProfile::new();
    harness::runtime().block_on(async {
        let (_, session) = sotto_user(&test, "maker").await;
        let (guest, guest_client) = peer("maker-guest").await;

        let room_id = rooms::create_room(
            &session,
            CreateRoom {
                name: " Plans \u{202E}".into(),
                topic: Some("Where to meet".into()),
                invitees: vec![format!(" {} ", guest.user_id)],
                public: false,
                encrypted: true,
            },
        )
        .await
        .expect("the room is created");

        peer_sees(&guest_client, "the invitation", |c| {
            in_room(c, room_id.as_str(), RoomState::Invited)
        })
        .await;
        let details = rooms::details(&session, &room_id).await.unwrap();
        assert_eq!(details.name.as_deref(), Some("Plans"));
        assert_eq!(details.topic.as_deref(), Some("Where to meet"));
        assert!(details.is_encrypted, "a private room is encrypted");
        assert!(!details.is_public);
        assert_eq!((details.joined_count, details.invited_count), (1, 1));
        assert!(details.can_invite && details.can_kick && details.can_ban);
        assert!(details.can_set_name && details.can_set_topic);

        let unencrypted_private = rooms::create_room(
            &session,
            CreateRoom {
                name: "Open secret".into(),
                public: false,
                encrypted: false,
                ..CreateRoom::default()
            },
        )
        .await;
        assert!(
            matches!(
                unencrypted_private,
                Err(EngineError::PrivateRoomUnencrypted)
            ),
            "{unencrypted_private:?}"
        );

        let public = rooms::create_room(
            &session,
            CreateRoom {
                name: "Town square".into(),
                public: true,
                encrypted: false,
                ..CreateRoom::default()
            },
        )
        .await
        .unwrap();
        let details = rooms::details(&session, &public).await.unwrap();
        assert!(details.is_public && !details.is_encrypted);

        let malformed = rooms::create_room(
            &session,
            CreateRoom {
                name: "Typo".into(),
                invitees: vec!["bob".into()],
                encrypted: true,
                ..CreateRoom::default()
            },
        )
        .await;
        assert!(
            matches!(&malformed, Err(EngineError::InvalidMatrixId(id)) if id == "bob"),
            "{malformed:?}"
        );
        let nobody = format!("@nobody-here:{}", synapse::shared().server_name());
        let missing = rooms::create_room(
            &session,
            CreateRoom {
                name: "Ghosts".into(),
                invitees: vec![nobody.clone()],
                encrypted: true,
                ..CreateRoom::default()
            },
        )
        .await;
        assert!(
            matches!(&missing, Err(EngineError::UserNotFound(id)) if *id == nobody),
            "{missing:?}"
        );
    });
}

#[test]
fn a_direct_chat_is_reused_and_needs_a_real_person() {
    let test = TestProfile::new();
    harness::runtime().block_on(async {
        let (me, session) = sotto_user(&test, "dmer").await;
        let (friend, friend_client) = peer("dmer-friend").await;

        let first = rooms::start_direct_chat(&session, &crate::harness::uid(&friend.user_id))
            .await
            .expect("the direct chat is made");
        let again = rooms::start_direct_chat(&session, &crate::harness::uid(&friend.user_id))
            .await
            .unwrap();
        assert_eq!(first, again, "the existing direct chat is reused");
        let details = rooms::details(&session, &first).await.unwrap();
        assert!(details.is_encrypted, "a new direct chat is encrypted");

        peer_sees(&friend_client, "the direct chat invitation", |c| {
            in_room(c, first.as_str(), RoomState::Invited)
        })
        .await;
        let room = friend_client
            .get_room(<&RoomId>::try_from(first.as_str()).unwrap())
            .unwrap();
        assert!(room.is_direct().await.unwrap(), "marked as direct");

        let nobody = format!("@nobody-here:{}", synapse::shared().server_name());
        let missing = rooms::start_direct_chat(&session, &crate::harness::uid(&nobody)).await;
        assert!(
            matches!(&missing, Err(EngineError::UserNotFound(id)) if *id == nobody),
            "{missing:?}"
        );
        // What the person types is read as a user ID first (the dialog does this).
        let malformed = rooms::parse_user_id("friend@example.org");
        assert!(
            matches!(malformed, Err(EngineError::InvalidMatrixId(_))),
            "{malformed:?}"
        );
        let myself = rooms::start_direct_chat(&session, &crate::harness::uid(&me.user_id)).await;
        assert!(
            matches!(myself, Err(EngineError::DirectChatWithSelf)),
            "{myself:?}"
        );

        // An invitation to a direct chat from someone else is that person's direct chat.
        let (other, other_client) = peer("dmer-other").await;
        let me_id = OwnedUserId::try_from(me.user_id.as_str()).unwrap();
        let theirs = other_client.create_dm(&me_id).await.unwrap();
        let sync = AccountSync::start(&session).await.unwrap();
        let deadline = Instant::now() + PATIENCE;
        // Wait until the invitation is known in full: the room, its invite state saying it
        // is encrypted, and the invite marked direct (they can come in separate syncs).
        loop {
            let known = match session.client().get_room(theirs.room_id()) {
                Some(room) => {
                    room.encryption_state().is_encrypted()
                        && room.is_direct().await.unwrap_or(false)
                }
                None => false,
            };
            if known {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the invitation never arrived in full"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let reused = rooms::start_direct_chat(&session, &crate::harness::uid(&other.user_id))
            .await
            .unwrap();
        assert_eq!(reused, theirs.room_id().to_string());

        // An unencrypted direct chat (from a client that made it without encryption) is
        // never reused, neither as an invitation nor once joined: a new encrypted one is
        // made, and that one is reused from then on.
        let (plain, plain_client) = peer("dmer-plain").await;
        let unencrypted = peers::create_dm(&plain_client, "Plain", &me.user_id).await;
        let unencrypted_id = unencrypted.room_id().to_string();
        let deadline = Instant::now() + PATIENCE;
        while session.client().get_room(unencrypted.room_id()).is_none() {
            assert!(Instant::now() < deadline, "the invitation never arrived");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let invited = rooms::start_direct_chat(&session, &crate::harness::uid(&plain.user_id))
            .await
            .unwrap();
        assert_ne!(invited, unencrypted_id, "not the unencrypted invitation");
        let other_fresh = rooms::start_direct_chat(&session, &crate::harness::uid(&other.user_id))
            .await
            .unwrap();
        assert_eq!(
            other_fresh, reused,
            "an encrypted invitation is still reused"
        );
        assert!(
            rooms::details(&session, &invited)
                .await
                .unwrap()
                .is_encrypted
        );
        // Joined, and with no other direct chat to choose: still not reused.
        let (plain2, plain2_client) = peer("dmer-plain-joined").await;
        let joined = peers::create_dm(&plain2_client, "Plain joined", &me.user_id).await;
        session
            .client()
            .join_room_by_id(joined.room_id())
            .await
            .unwrap();
        let fresh = rooms::start_direct_chat(&session, &crate::harness::uid(&plain2.user_id))
            .await
            .unwrap();
        assert_ne!(
            fresh,
            joined.room_id().to_string(),
            "not the joined unencrypted chat"
        );
        assert!(rooms::details(&session, &fresh).await.unwrap().is_encrypted);
        let again = rooms::start_direct_chat(&session, &crate::harness::uid(&plain2.user_id))
            .await
            .unwrap();
        assert_eq!(again, fresh, "the new encrypted chat is reused");
        sync.stop().await;
    });
}

#[test]
fn rooms_are_joined_by_alias_id_or_link_and_unknown_ones_are_not_found() {
    let test = TestProfile::new();
    harness::runtime().block_on(async {
        let (_, session) = sotto_user(&test, "joiner").await;
        let (_, host) = peer("joiner-host").await;
        let server = synapse::shared().server_name();

        let mut request = CreateRoomRequest::new();
        request.name = Some("Lobby".into());
        request.preset = Some(RoomPreset::PublicChat);
        request.room_alias_name = Some("joiner-lobby".into());
        let lobby = host.create_room(request).await.unwrap();
        let mut request = CreateRoomRequest::new();
        request.preset = Some(RoomPreset::PublicChat);
        let by_id = host.create_room(request).await.unwrap();
        let closed = peers::create_room(&host, "Closed", true, &[]).await;

        let joined = rooms::join(&session, &format!("#joiner-lobby:{server}"))
            .await
            .expect("joins by alias");
        assert_eq!(joined, lobby.room_id().to_string());
        let link = format!("https://matrix.to/#/{}?via={server}", by_id.room_id());
        let joined = rooms::join(&session, &link).await.expect("joins by link");
        assert_eq!(joined, by_id.room_id().to_string());
        let members = rooms::members(&session, &joined).await.unwrap();
        assert_eq!(members.len(), 2);

        let unknown = rooms::join(&session, &format!("#no-such-room:{server}")).await;
        assert!(
            matches!(&unknown, Err(EngineError::RoomNotFound(r)) if r.starts_with("#no-such-room")),
            "{unknown:?}"
        );
        let refused = rooms::join(&session, closed.room_id().as_str()).await;
        assert!(
            matches!(refused, Err(EngineError::NotAllowed)),
            "{refused:?}"
        );
        let nonsense = rooms::join(&session, "lobby").await;
        assert!(
            matches!(nonsense, Err(EngineError::InvalidRoomAddress(_))),
            "{nonsense:?}"
        );

        rooms::leave(&session, &joined).await.expect("leaves");
        peer_sees_membership(
            &host,
            joined.as_str(),
            session.user_id().as_str(),
            MembershipState::Leave,
        )
        .await;
    });
}

#[test]
fn invite_kick_and_ban_reach_the_other_side_with_their_reasons() {
    let test = TestProfile::new();
    harness::runtime().block_on(async {
        let (_, session) = sotto_user(&test, "moderator").await;
        let (talker, talker_client) = peer("moderator-talker").await;
        let (spammer, spammer_client) = peer("moderator-spammer").await;
        let (late, late_client) = peer("moderator-late").await;

        let room_id = rooms::create_room(
            &session,
            CreateRoom {
                name: "Moderated".into(),
                invitees: vec![talker.user_id.clone(), spammer.user_id.clone()],
                encrypted: true,
                ..CreateRoom::default()
            },
        )
        .await
        .unwrap();
        join_peer(&talker_client, room_id.as_str()).await;
        join_peer(&spammer_client, room_id.as_str()).await;

        rooms::invite(&session, &room_id, &crate::harness::uid(&late.user_id))
            .await
            .expect("invites");
        peer_sees(&late_client, "the invitation", |c| {
            in_room(c, room_id.as_str(), RoomState::Invited)
        })
        .await;

        rooms::kick(
            &session,
            &room_id,
            &crate::harness::uid(&talker.user_id),
            Some("  Take a break  "),
        )
        .await
        .expect("removes");
        let reason = peer_sees_membership(
            &talker_client,
            room_id.as_str(),
            &talker.user_id,
            MembershipState::Leave,
        )
        .await;
        assert_eq!(reason.as_deref(), Some("Take a break"));

        rooms::ban(
            &session,
            &room_id,
            &crate::harness::uid(&spammer.user_id),
            Some("Spam"),
        )
        .await
        .expect("bans");
        let reason = peer_sees_membership(
            &spammer_client,
            room_id.as_str(),
            &spammer.user_id,
            MembershipState::Ban,
        )
        .await;
        assert_eq!(reason.as_deref(), Some("Spam"));

        rooms::set_name(&session, &room_id, "Calm room")
            .await
            .unwrap();
        rooms::set_topic(&session, &room_id, "Be kind")
            .await
            .unwrap();
        let details = rooms::details(&session, &room_id).await.unwrap();
        assert_eq!(details.name.as_deref(), Some("Calm room"));
        assert_eq!(details.display_name, "Calm room");
        assert_eq!(details.topic.as_deref(), Some("Be kind"));

        let members = rooms::members(&session, &room_id).await.unwrap();
        let summary: Vec<(OwnedUserId, Role, Membership)> = members
            .iter()
            .map(|m| (m.user_id.clone(), m.role, m.membership))
            .collect();
        assert_eq!(
            summary,
            vec![
                (session.user_id(), Role::Admin, Membership::Joined),
                (
                    crate::harness::uid(late.user_id.clone()),
                    Role::User,
                    Membership::Invited
                ),
            ],
            "the removed and the banned are no longer members"
        );

        let malformed = rooms::parse_user_id("talker");
        assert!(matches!(malformed, Err(EngineError::InvalidMatrixId(_))));

        join_peer(&late_client, room_id.as_str()).await;
        rooms::leave(&session, &room_id).await.expect("leaves");
        peer_sees_membership(
            &late_client,
            room_id.as_str(),
            session.user_id().as_str(),
            MembershipState::Leave,
        )
        .await;
    });
}

#[test]
fn the_account_is_told_when_it_leaves_a_room_or_is_banned_from_one() {
    let test = TestProfile::new();
    harness::runtime().block_on(async {
        let (user, session) = sotto_user(&test, "wanderer-out").await;
        let (_, owner) = peer("wanderer-out-owner").await;
        let sync = AccountSync::start(&session).await.expect("the sync starts");
        let mut rooms_in = Vec::new();
        for name in ["Stays", "Banned from"] {
            let room = peers::create_room(&owner, name, false, &[&user.user_id]).await;
            rooms::join(&session, room.room_id().as_str())
                .await
                .expect("joins");
            rooms_in.push(room);
        }
        let staying = rooms_in[0].room_id().to_string();
        let banned = rooms_in[1].room_id().to_string();
        let watch = |room_id: String| {
            let session = session.clone();
            tokio::spawn(async move {
                rooms::wait_until_gone(&session, &crate::harness::rid(&room_id)).await
            })
        };
        let staying_watch = watch(staying.clone());
        let banned_watch = watch(banned.clone());

        // Someone else bans the account: the sync tells it.
        let user_id = OwnedUserId::try_from(user.user_id.as_str()).unwrap();
        rooms_in[1]
            .ban_user(&user_id, Some("Go away"))
            .await
            .expect("the owner bans");
        let gone = tokio::time::timeout(PATIENCE, banned_watch)
            .await
            .expect("told of the ban in time")
            .unwrap();
        assert_eq!(gone.unwrap(), rooms::Gone::Banned);
        assert!(!staying_watch.is_finished(), "still in the other room");

        // Leaving from here.
        rooms::leave(&session, &crate::harness::rid(&staying))
            .await
            .expect("leaves");
        let gone = tokio::time::timeout(PATIENCE, staying_watch)
            .await
            .expect("told of leaving in time")
            .unwrap();
        assert_eq!(gone.unwrap(), rooms::Gone::Left);

        // A room the account was never in is an error, not a wait.
        let unknown =
            rooms::wait_until_gone(&session, &crate::harness::rid("!nowhere:localhost")).await;
        assert!(matches!(unknown, Err(EngineError::RoomNotFound(_))));
        sync.stop().await;
    });
}

#[test]
fn members_show_roles_and_ambiguous_names_and_power_is_checked() {
    let test = TestProfile::new();
    harness::runtime().block_on(async {
        let (me, session) = sotto_user(&test, "member").await;
        let (owner, owner_client) = peer("member-owner").await;
        let (helper, helper_client) = peer("member-helper").await;
        owner_client
            .account()
            .set_display_name(Some("Sam"))
            .await
            .unwrap();
        helper_client
            .account()
            .set_display_name(Some("sam"))
            .await
            .unwrap();
        session
            .client()
            .account()
            .set_display_name(Some("\u{202E}Me\u{2069}"))
            .await
            .unwrap();

        let room = peers::create_room(
            &owner_client,
            "Owned",
            true,
            &[&me.user_id, &helper.user_id],
        )
        .await;
        let room_id = room.room_id().to_string();
        // The owner's store needs the room's power levels before it can change them.
        owner_client.sync_once(Default::default()).await.unwrap();
        let helper_id = OwnedUserId::try_from(helper.user_id.as_str()).unwrap();
        room.update_power_levels(vec![(&helper_id, int!(50))])
            .await
            .unwrap();
        rooms::join(&session, &room_id).await.expect("joins");
        join_peer(&helper_client, &room_id).await;

        let members = rooms::members(&session, &crate::harness::rid(&room_id))
            .await
            .unwrap();
        let owner_row = members.iter().find(|m| m.user_id == owner.user_id).unwrap();
        let helper_row = members
            .iter()
            .find(|m| m.user_id == helper.user_id)
            .unwrap();
        let my_row = members.iter().find(|m| m.user_id == me.user_id).unwrap();
        assert_eq!(owner_row.role, Role::Admin);
        assert_eq!(helper_row.role, Role::Moderator);
        assert_eq!(my_row.role, Role::User);
        assert_eq!(members[0].user_id, owner.user_id, "admins first");
        assert!(owner_row.name_ambiguous && helper_row.name_ambiguous);
        assert_eq!(my_row.display_name, "Me", "direction overrides are removed");
        assert!(!my_row.name_ambiguous);
        assert!(members.iter().all(|m| !m.can_kick && !m.can_ban));

        let details = rooms::details(&session, &crate::harness::rid(&room_id))
            .await
            .unwrap();
        assert!(!details.can_kick && !details.can_ban);
        assert!(!details.can_set_name && !details.can_set_topic);
        assert_eq!(details.joined_count, 3);

        let refused = rooms::kick(
            &session,
            &crate::harness::rid(&room_id),
            &crate::harness::uid(&helper.user_id),
            None,
        )
        .await;
        assert!(
            matches!(refused, Err(EngineError::NotAllowed)),
            "{refused:?}"
        );
        let refused = rooms::set_name(&session, &crate::harness::rid(&room_id), "Mine now").await;
        assert!(
            matches!(refused, Err(EngineError::NotAllowed)),
            "{refused:?}"
        );
    });
}

/// The event `event_id` of `room_id` as the server stores it (never decrypted here).
async fn raw_type_on_server(session: &Session, room_id: &str, event_id: &str) -> String {
    use matrix_sdk::ruma::api::client::room::get_room_event::v3::Request;
    let request = Request::new(
        room_id.try_into().expect("a room ID"),
        event_id.try_into().expect("an event ID"),
    );
    let response = session
        .client()
        .send(request)
        .await
        .expect("the server has the event");
    response
        .event
        .get_field::<String>("type")
        .expect("the event has a type")
        .expect("the event has a type")
}

#[test]
fn a_message_sent_right_after_creating_an_encrypted_room_is_encrypted() {
    let test = TestProfile::new();
    harness::runtime().block_on(async {
        let (_, session) = sotto_user(&test, "hasty").await;
        let (guest, _guest_client) = peer("hasty-guest").await;
        // The sync runs while the rooms are made, as in the app: the room list learns of a
        // new room while the server is still writing its first state events.
        let sync = AccountSync::start(&session).await.expect("the sync starts");
        let mut rooms_made = Vec::new();
        for i in 0..4 {
            let room_id = rooms::create_room(
                &session,
                CreateRoom {
                    name: format!("Hasty {i}"),
                    invitees: vec![guest.user_id.clone()],
                    public: false,
                    encrypted: true,
                    ..CreateRoom::default()
                },
            )
            .await
            .expect("the room is created");
            // At once, as someone who creates a room and types straight away.
            let conversation =
                harness::conversation::Conversation::open(&session, &sync, room_id.as_str()).await;
            let body = format!("first words {i}");
            conversation
                .timeline
                .send(&sotto::engine::timeline::Outgoing::text(body.clone()))
                .await
                .expect("the message is queued");
            rooms_made.push((room_id, body, conversation));
        }
        for (room_id, body, conversation) in &rooms_made {
            let sent = conversation
                .wait_for(&format!("{body:?} to be sent"), |e| {
                    e.is_own
                        && harness::conversation::text_of(e) == Some(body.as_str())
                        && e.event_id.is_some()
                })
                .await;
            let kind = raw_type_on_server(
                &session,
                room_id.as_str(),
                sent.event_id.as_deref().unwrap().as_str(),
            )
            .await;
            assert_eq!(kind, "m.room.encrypted", "{body:?} went out as {kind}");
        }
        drop(rooms_made);
        sync.stop().await;
    });
}
