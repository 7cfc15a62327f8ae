//! The room list on a real Synapse: summaries with names and previews, invitations first,
//! then favourites, then the others by latest activity, delivered as diffs; invitations
//! accepted and declined; the person's filters; and a start with the homeserver down that
//! shows the cached rooms and reconnects by itself.

use std::time::Duration;

use futures_util::{Stream, StreamExt};
use matrix_sdk::ruma::OwnedRoomId;
use sotto::engine::room_list::{
    Preview, RoomKind, RoomListFilter, RoomListHandle, RoomListSections, RoomListUpdate,
    RoomSummary, Section, room_list,
};
use sotto::engine::session::Session;
use sotto::engine::sync::{AccountSync, SyncState};

use crate::harness::{self, PATIENCE, TestProfile, peers, synapse};

/// A running room list with what it has shown so far.
struct Listing {
    handle: RoomListHandle,
    updates: std::pin::Pin<Box<dyn Stream<Item = RoomListUpdate> + Send>>,
    sections: RoomListSections,
}

impl Listing {
    async fn start(sync: &AccountSync) -> Self {
        let (handle, updates) = room_list(sync).await.expect("the room list");
        Self {
            handle,
            updates: Box::pin(updates),
            sections: RoomListSections::default(),
        }
    }

    /// Applies updates until `done` holds for the list.
    async fn until(&mut self, what: &str, done: impl Fn(&RoomListSections) -> bool) {
        let result = tokio::time::timeout(PATIENCE, async {
            while !done(&self.sections) {
                let update = self.updates.next().await.expect("the list goes on");
                self.sections.apply(update);
            }
        })
        .await;
        assert!(
            result.is_ok(),
            "timed out waiting for {what}; the list is {:#?}",
            self.sections
        );
    }

    fn names(&self) -> Vec<String> {
        self.sections.rooms().map(|r| r.name.clone()).collect()
    }

    fn find(&self, name: &str) -> Option<&RoomSummary> {
        self.sections.rooms().find(|r| r.name == name)
    }

    /// Sets `filter`, then applies updates until the list shows exactly `expected`.
    async fn filter_to(&mut self, kind: RoomKind, query: &str, expected: &[&str]) {
        self.handle.set_filter(&RoomListFilter {
            kind,
            query: query.into(),
        });
        let mut expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        expected.sort();
        let what = format!("the {kind:?} filter with {query:?} to show {expected:?}");
        self.until(&what, |sections| {
            let mut names: Vec<String> = sections.rooms().map(|r| r.name.clone()).collect();
            names.sort();
            names == expected
        })
        .await;
    }
}

/// Applies the list's diffs until `done` holds for the list, and returns the list.
async fn list_until(
    sync: &AccountSync,
    what: &str,
    done: impl Fn(&RoomListSections) -> bool,
) -> RoomListSections {
    let mut listing = Listing::start(sync).await;
    listing.until(what, done).await;
    listing.sections
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
fn invitations_first_then_rooms_by_activity_with_decrypted_previews() {
    let test = TestProfile::new();
    harness::runtime().block_on(async {
        let server = synapse::shared();
        let user = server.register("lister").await;
        let friend = server.register("lister-friend").await;
        let friend_client = peers::login(server, &friend).await;
        peers::set_display_name(&friend_client, "Frieda Friend").await;
        let older = peers::create_room(&friend_client, "Older room", false, &[&user.user_id]).await;
        let newer = peers::create_room(&friend_client, "Newer room", true, &[&user.user_id]).await;
        let invite_only =
            peers::create_room(&friend_client, "Just invited", false, &[&user.user_id]).await;

        let session = test
            .accounts
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .unwrap();
        // Sotto's device keys must be on the server for the friend to encrypt for it.
        peers::publish_sotto_keys(&session, &friend_client).await;
        join_all(
            &session,
            &[older.room_id().to_owned(), newer.room_id().to_owned()],
        )
        .await;
        friend_client.sync_once(Default::default()).await.unwrap();
        let newer = friend_client.get_room(newer.room_id()).unwrap();
        peers::send_text(&older, "first message").await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        peers::send_text(&newer, "second\nmessage with a second line").await;

        let sync = AccountSync::start(&session).await.unwrap();
        let has_previews = |rooms: &RoomListSections| {
            rooms.len() == 3
                && rooms
                    .rooms()
                    .filter(|r| matches!(r.preview, Preview::Message { .. }))
                    .count()
                    >= 2
        };
        let rooms = list_until(&sync, "three rooms with previews", has_previews).await;
        let all: Vec<&RoomSummary> = rooms.rooms().collect();
        assert!(all[0].is_invite, "the invitation comes first: {rooms:#?}");
        assert_eq!(all[0].room_id, invite_only.room_id().to_string());
        assert_eq!(all[0].preview, Preview::Invite);
        assert_eq!(
            all[1].name, "Newer room",
            "then the most recent: {rooms:#?}"
        );
        assert_eq!(
            all[1].preview,
            Preview::Message {
                sender: friend.user_id.clone(),
                sender_name: "Frieda Friend".into(),
                own: false,
                body: "second".into()
            },
            "the sender's display name, the first line"
        );
        assert!(all[1].is_encrypted, "decrypted for the preview");
        assert_eq!(all[2].name, "Older room");
        assert!(!all[2].is_encrypted);
        sync.stop().await;
    });
}

#[test]
fn invitations_can_be_accepted_and_declined() {
    let test = TestProfile::new();
    harness::runtime().block_on(async {
        let server = synapse::shared();
        let user = server.register("invitee").await;
        let friend = server.register("invitee-friend").await;
        let friend_client = peers::login(server, &friend).await;
        let joined =
            peers::create_room(&friend_client, "Old friends", false, &[&user.user_id]).await;
        let session = test
            .accounts
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .unwrap();
        join_all(&session, &[joined.room_id().to_owned()]).await;
        peers::send_text(&joined, "hello").await;
        let yes = peers::create_room(&friend_client, "Say yes", false, &[&user.user_id]).await;
        let no = peers::create_room(&friend_client, "Say no", false, &[&user.user_id]).await;
        // A newer message in the joined room: invitations stay on top all the same.
        peers::send_text(&joined, "still here").await;

        let sync = AccountSync::start(&session).await.unwrap();
        let mut listing = Listing::start(&sync).await;
        listing
            .until("two invitations and a room, with their names", |s| {
                s.section(Section::Invites).len() == 2
                    && s.len() == 3
                    && s.rooms().all(|r| !r.name.starts_with('!'))
            })
            .await;
        let names = listing.names();
        assert_eq!(names[2], "Old friends", "invitations first: {names:?}");
        assert!(names[..2].contains(&"Say yes".to_owned()), "{names:?}");
        assert!(names[..2].contains(&"Say no".to_owned()), "{names:?}");

        listing
            .handle
            .accept_invite(&crate::harness::rid(yes.room_id().as_str()))
            .await
            .expect("accepts");
        listing
            .until("the accepted room among the joined ones", |s| {
                s.section(Section::Invites).len() == 1
                    && s.section(Section::Rooms)
                        .iter()
                        .any(|r| r.name == "Say yes" && !r.is_invite)
            })
            .await;

        listing
            .handle
            .decline_invite(&crate::harness::rid(no.room_id().as_str()))
            .await
            .expect("declines");
        listing
            .until("the declined invitation gone", |s| {
                s.section(Section::Invites).is_empty() && s.len() == 2
            })
            .await;
        // The server knows: the inviter sees the invitation declined.
        friend_client.sync_once(Default::default()).await.unwrap();
        let member = no
            .get_member_no_sync(
                &matrix_sdk::ruma::OwnedUserId::try_from(user.user_id.as_str()).unwrap(),
            )
            .await
            .unwrap()
            .expect("the invitee is known");
        assert_eq!(
            *member.membership(),
            matrix_sdk::ruma::events::room::member::MembershipState::Leave
        );
        assert!(
            listing
                .handle
                .accept_invite(&crate::harness::rid("!never-invited:localhost"))
                .await
                .is_err(),
            "a room the account was never invited to is an error, not a panic"
        );
        sync.stop().await;
    });
}

#[test]
fn a_favourite_sorts_above_a_more_recent_room_and_messages_change_rows_only() {
    let test = TestProfile::new();
    harness::runtime().block_on(async {
        let server = synapse::shared();
        let user = server.register("favourer").await;
        let friend = server.register("favourer-friend").await;
        let friend_client = peers::login(server, &friend).await;
        let pinned = peers::create_room(&friend_client, "Pinned", false, &[&user.user_id]).await;
        let busy = peers::create_room(&friend_client, "Busy", false, &[&user.user_id]).await;
        let session = test
            .accounts
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .unwrap();
        join_all(
            &session,
            &[pinned.room_id().to_owned(), busy.room_id().to_owned()],
        )
        .await;
        peers::send_text(&pinned, "older").await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        peers::send_text(&busy, "newer").await;

        let sync = AccountSync::start(&session).await.unwrap();
        let mut listing = Listing::start(&sync).await;
        listing
            .until("the busy room first", |s| {
                s.rooms()
                    .map(|r| (r.name.as_str(), &r.preview))
                    .collect::<Vec<_>>()
                    .first()
                    .is_some_and(|(name, preview)| {
                        *name == "Busy"
                            && matches!(preview, Preview::Message { body, .. } if body == "newer")
                    })
                    && s.len() == 2
            })
            .await;

        session
            .client()
            .get_room(pinned.room_id())
            .unwrap()
            .set_is_favourite(true, None)
            .await
            .expect("tags the room");
        listing
            .until("the favourite on top", |s| {
                s.section(Section::Favourites)
                    .iter()
                    .any(|r| r.name == "Pinned" && r.is_favourite)
                    && s.len() == 2
            })
            .await;
        assert_eq!(listing.names(), ["Pinned", "Busy"]);

        // A new message changes its room's row: no section starts over.
        let mut seen = Vec::new();
        peers::send_text(&busy, "newest").await;
        let result = tokio::time::timeout(PATIENCE, async {
            loop {
                let update = listing.updates.next().await.expect("the list goes on");
                seen.push(update.clone());
                listing.sections.apply(update);
                let busy = listing.find("Busy").cloned();
                if busy.is_some_and(
                    |r| matches!(r.preview, Preview::Message { ref body, .. } if body == "newest"),
                ) {
                    break;
                }
            }
        })
        .await;
        assert!(
            result.is_ok(),
            "the new message shows: {:#?}",
            listing.sections
        );
        assert!(
            seen.iter().flat_map(|u| &u.diffs).all(|d| !matches!(
                d,
                eyeball_im::VectorDiff::Reset { .. } | eyeball_im::VectorDiff::Clear
            )),
            "a message resets no section: {seen:#?}"
        );
        assert_eq!(
            listing.names(),
            ["Pinned", "Busy"],
            "the favourite stays on top"
        );
        sync.stop().await;
    });
}

#[test]
fn filters_narrow_the_list_by_kind_and_name() {
    let test = TestProfile::new();
    harness::runtime().block_on(async {
        let server = synapse::shared();
        let user = server.register("filterer").await;
        let friend = server.register("filterer-friend").await;
        let friend_client = peers::login(server, &friend).await;
        peers::set_display_name(&friend_client, "Frieda").await;
        let session = test
            .accounts
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .unwrap();
        let book = peers::create_room(&friend_client, "Book club", false, &[&user.user_id]).await;
        join_all(&session, &[book.room_id().to_owned()]).await;
        let dm = peers::create_dm(&friend_client, "Chat with Frieda", &user.user_id).await;
        peers::create_room(&friend_client, "Party", false, &[&user.user_id]).await;
        let mut request = matrix_sdk::ruma::api::client::room::create_room::v3::Request::new();
        request.name = Some("Quiet corner".into());
        let quiet = session.client().create_room(request).await.unwrap();
        quiet
            .send(
                matrix_sdk::ruma::events::room::message::RoomMessageEventContent::text_plain(
                    "a note to myself",
                ),
            )
            .await
            .unwrap();
        peers::send_text(&book, "Chapter 3 for Thursday").await;

        let sync = AccountSync::start(&session).await.unwrap();
        let mut listing = Listing::start(&sync).await;
        listing
            .until("the direct chat's invitation", |s| {
                s.section(Section::Invites).len() == 2
            })
            .await;
        // Joined through the invitation, the room becomes a direct chat (m.direct).
        listing
            .handle
            .accept_invite(&crate::harness::rid(dm.room_id().as_str()))
            .await
            .unwrap();
        listing
            .until("four rooms, one of them direct, one unread", |s| {
                s.len() == 4
                    && s.rooms()
                        .any(|r| r.name == "Chat with Frieda" && r.is_direct && !r.is_invite)
                    && s.rooms().any(|r| r.name == "Book club" && r.unread > 0)
            })
            .await;

        listing
            .filter_to(RoomKind::People, "", &["Chat with Frieda"])
            .await;
        listing
            .filter_to(
                RoomKind::Groups,
                "",
                &["Book club", "Party", "Quiet corner"],
            )
            .await;
        listing
            .filter_to(RoomKind::All, "BOOK", &["Book club"])
            .await;
        listing
            .filter_to(RoomKind::Groups, "o", &["Book club", "Quiet corner"])
            .await;
        listing.filter_to(RoomKind::People, "book", &[]).await;
        listing.filter_to(RoomKind::All, "zzz", &[]).await;

        listing.handle.set_filter(&RoomListFilter {
            kind: RoomKind::Unread,
            query: String::new(),
        });
        listing
            .until("the unread filter", |s| {
                let names: Vec<&str> = s.rooms().map(|r| r.name.as_str()).collect();
                names.contains(&"Book club")
                    && names.contains(&"Party")
                    && !names.contains(&"Quiet corner")
            })
            .await;
        assert_eq!(
            listing.sections.section(Section::Invites).len(),
            1,
            "the invitation waits for an answer, so it counts as unread"
        );

        listing
            .filter_to(
                RoomKind::All,
                "",
                &["Book club", "Chat with Frieda", "Party", "Quiet corner"],
            )
            .await;
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
            .accounts
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .unwrap();
        join_all(&session, &[room.room_id().to_owned()]).await;
        let sync = AccountSync::start(&session).await.unwrap();
        list_until(&sync, "the room", |rooms| {
            rooms.rooms().any(|r| r.name == "Cached room")
        })
        .await;
        sync.stop().await;
        test.accounts.list().unwrap().remove(0)
    });

    server.stop();
    runtime.block_on(async {
        let session = test
            .accounts
            .restore(&entry)
            .await
            .expect("restores without the server");
        let sync = AccountSync::start(&session).await.unwrap();
        let rooms = list_until(&sync, "the cached room", |rooms| !rooms.is_empty()).await;
        let first = rooms.rooms().next().unwrap();
        assert_eq!(first.name, "Cached room");
        assert!(first.is_encrypted);
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
        let entry = test.accounts.list().unwrap().remove(0);
        let session = test.accounts.restore(&entry).await.unwrap();
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
