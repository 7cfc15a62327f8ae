//! Conversations on a real Synapse between two Sotto accounts: encrypted messages, Markdown,
//! emotes, replies, edits, reactions, removal, receipts, typing, mentions and drafts that
//! survive a restart; and a message that arrives before its key.

use std::time::Duration;

use futures_util::StreamExt;
use sotto::engine::accounts::AccountEntry;
use sotto::engine::session::Session;
use sotto::engine::sync::AccountSync;
use sotto::engine::timeline::{Body, EventEntry, Mention, Outgoing, ReplyText, SendState};

use crate::harness::conversation::{Conversation, markup_of, text_of};
use crate::harness::{self, PATIENCE, TestProfile, peers, synapse};

fn saying(text: &'static str) -> impl Fn(&EventEntry) -> bool {
    move |e| text_of(e) == Some(text)
}

/// Two Sotto accounts, syncing, with an encrypted room between them that both have joined.
struct Pair {
    a: Session,
    a_sync: AccountSync,
    b: Session,
    b_sync: AccountSync,
    room_id: String,
    a_entry: AccountEntry,
}

async fn pair(a_test: &TestProfile, b_test: &TestProfile, direct: bool) -> Pair {
    let server = synapse::shared();
    let kind = if direct { "dm" } else { "group" };
    let a_user = server.register(&format!("ada-{kind}")).await;
    let b_user = server.register(&format!("bert-{kind}")).await;
    let a = a_test
        .accounts
        .login(&server.url(), &a_user.localpart, &a_user.password)
        .await
        .unwrap();
    let b = b_test
        .accounts
        .login(&server.url(), &b_user.localpart, &b_user.password)
        .await
        .unwrap();
    set_display_name(&a, "Ada").await;
    set_display_name(&b, "Bert").await;
    let a_sync = AccountSync::start(&a).await.unwrap();
    let b_sync = AccountSync::start(&b).await.unwrap();
    let b_id = b.user_id();
    let room = if direct {
        a.client().create_dm(&b_id).await.expect("a DM")
    } else {
        peers::create_room(a.client(), "Encrypted group", true, &[b.user_id().as_str()]).await
    };
    let room_id = room.room_id().to_owned();
    // Bert joins once the invite reaches him.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while b.client().get_room(&room_id).is_none() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the invite never came"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    b.client().join_room_by_id(&room_id).await.expect("joins");
    let a_entry = a_test.accounts.list().unwrap().into_iter().next().unwrap();
    Pair {
        a,
        a_sync,
        b,
        b_sync,
        room_id: room_id.to_string(),
        a_entry,
    }
}

async fn set_display_name(session: &Session, name: &str) {
    session
        .client()
        .account()
        .set_display_name(Some(name))
        .await
        .expect("sets the display name");
}

#[test]
fn two_accounts_talk_in_an_encrypted_group() {
    let a_test = TestProfile::new();
    let b_test = TestProfile::new();
    harness::runtime().block_on(async {
        let p = pair(&a_test, &b_test, false).await;
        let ada = Conversation::open(&p.a, &p.a_sync, &p.room_id).await;
        let bert = Conversation::open(&p.b, &p.b_sync, &p.room_id).await;

        // Markdown becomes a formatted body; it arrives decrypted.
        ada.timeline
            .send(&Outgoing::text("hello **world**"))
            .await
            .unwrap();
        let own = ada
            .wait_for("the local echo", saying("hello **world**"))
            .await;
        assert!(own.is_own);
        let hello = bert
            .wait_for("Ada's message", saying("hello **world**"))
            .await;
        assert!(hello.encrypted, "the message came encrypted");
        assert!(markup_of(&hello).contains("<b>world</b>"), "{hello:?}");
        assert_eq!(hello.sender_name, "Ada");
        assert!(!hello.is_own && !hello.can_edit && hello.can_reply && hello.can_react);
        let own = ada
            .wait_for("the remote echo", |e| {
                text_of(e) == Some("hello **world**") && e.send_state == SendState::Remote
            })
            .await;
        assert!(own.can_edit && own.can_remove);

        // An emote.
        ada.timeline
            .send(&Outgoing::text("/me waves"))
            .await
            .unwrap();
        let wave = bert
            .wait_for(
                "the emote",
                |e| matches!(&e.body, Body::Emote { plain, .. } if plain == "waves"),
            )
            .await;
        assert_eq!(wave.sender_name, "Ada");

        // A reply with a quoted preview.
        let hello_id = hello.event_id.clone().expect("a remote event has an ID");
        bert.timeline
            .reply(&Outgoing::text("hi Ada"), &hello_id)
            .await
            .unwrap();
        let reply = ada.wait_for("Bert's reply", saying("hi Ada")).await;
        let quoted = reply
            .reply_to
            .clone()
            .expect("a reply shows what it answers");
        assert_eq!(quoted.event_id, hello_id);
        let reply = if quoted.text.is_none() {
            ada.timeline
                .load_reply_details(&reply.event_id.clone().unwrap())
                .await
                .ok();
            ada.wait_for("the quoted text", |e| {
                e.reply_to.as_ref().is_some_and(|r| r.text.is_some())
            })
            .await
        } else {
            reply
        };
        let quoted = reply.reply_to.unwrap();
        assert_eq!(
            quoted.text,
            Some(ReplyText::Message("hello **world**".to_owned()))
        );
        assert_eq!(quoted.sender_name.as_deref(), Some("Ada"));

        // An edit of an own message shows on both sides as edited.
        ada.timeline
            .edit(&own.id, &Outgoing::text("hello everyone"))
            .await
            .unwrap();
        let edited = bert
            .wait_for("the edit", |e| {
                e.event_id.as_deref() == Some(&hello_id) && e.edited
            })
            .await;
        assert_eq!(text_of(&edited), Some("hello everyone"));

        // Reactions count who reacted.
        bert.timeline
            .toggle_reaction(&edited.id, "👍")
            .await
            .unwrap();
        let reacted = ada
            .wait_for("Bert's reaction", |e| {
                e.event_id.as_deref() == Some(&hello_id) && !e.reactions.is_empty()
            })
            .await;
        assert_eq!(reacted.reactions[0].key, "👍");
        assert_eq!(reacted.reactions[0].senders, vec![p.b.user_id()]);
        assert!(!reacted.reactions[0].own);
        assert!(
            ada.timeline
                .toggle_reaction(&reacted.id, "👍")
                .await
                .unwrap()
        );
        let both = bert
            .wait_for("two reactions", |e| {
                e.event_id.as_deref() == Some(&hello_id)
                    && e.reactions.first().is_some_and(|r| r.senders.len() == 2)
            })
            .await;
        assert!(both.reactions[0].own);
        // Taking a reaction back.
        assert!(!bert.timeline.toggle_reaction(&both.id, "👍").await.unwrap());
        ada.wait_for("one reaction again", |e| {
            e.event_id.as_deref() == Some(&hello_id)
                && e.reactions
                    .first()
                    .is_some_and(|r| r.senders.len() == 1 && r.own)
        })
        .await;

        // A mention of Bert highlights the message for him.
        let mention = Outgoing {
            text: "Bert, look at this".into(),
            mentions: vec![Mention {
                user_id: p.b.user_id(),
                text: "Bert".into(),
            }],
        };
        ada.timeline.send(&mention).await.unwrap();
        let mentioned = bert
            .wait_for("the mention", saying("Bert, look at this"))
            .await;
        assert!(mentioned.highlighted, "an intentional mention highlights");
        assert!(markup_of(&mentioned).contains("matrix.to"), "{mentioned:?}");
        // The same kind of message mentioning someone else (here Ada herself) does not
        // highlight for Bert.
        let for_ada = Outgoing {
            text: "Ada, look at this".into(),
            mentions: vec![Mention {
                user_id: p.a.user_id(),
                text: "Ada".into(),
            }],
        };
        ada.timeline.send(&for_ada).await.unwrap();
        let unmentioned = bert
            .wait_for("no highlight for others", saying("Ada, look at this"))
            .await;
        assert!(!unmentioned.is_own, "a message from someone else");
        assert!(markup_of(&unmentioned).contains("matrix.to"), "a mention");
        assert!(
            !unmentioned.highlighted,
            "a mention of Ada highlights nothing for Bert"
        );

        // Removing an own message.
        ada.timeline.send(&Outgoing::text("oops")).await.unwrap();
        let oops = ada
            .wait_for("oops sent", |e| {
                text_of(e) == Some("oops") && e.event_id.is_some()
            })
            .await;
        let oops_id = oops.event_id.clone().unwrap();
        bert.wait_for("oops arrives", saying("oops")).await;
        ada.timeline.remove(&oops.id, None).await.unwrap();
        bert.wait_for("oops removed", |e| {
            e.event_id.as_deref() == Some(&oops_id) && e.body == Body::Removed
        })
        .await;

        // Read receipts: Bert reads, Ada sees it on the latest message.
        assert!(bert.timeline.mark_read(false).await.unwrap());
        ada.wait_for("Bert's read receipt", |e| {
            e.read_by.contains(&p.b.user_id())
        })
        .await;

        // Typing notices.
        let mut typing = Box::pin(bert.timeline.typing());
        ada.timeline.set_typing(true).await.unwrap();
        let names = tokio::time::timeout(PATIENCE, async {
            loop {
                let names = typing.next().await.expect("typing notices");
                if !names.is_empty() {
                    return names;
                }
            }
        })
        .await
        .expect("Bert sees Ada typing");
        assert_eq!(names, vec!["Ada".to_owned()]);
        ada.timeline.set_typing(false).await.unwrap();

        // Mention completion finds members by name.
        let found = ada.timeline.members_matching("ber", 10).await.unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].user_id, p.b.user_id());

        drop(ada);
        drop(bert);
        p.a_sync.stop().await;
        p.b_sync.stop().await;
    });
}

#[test]
fn drafts_survive_a_restart_in_a_direct_chat() {
    let a_test = TestProfile::new();
    let b_test = TestProfile::new();
    let runtime = harness::runtime();
    let (entry, room_id) = runtime.block_on(async {
        let p = pair(&a_test, &b_test, true).await;
        let ada = Conversation::open(&p.a, &p.a_sync, &p.room_id).await;
        let bert = Conversation::open(&p.b, &p.b_sync, &p.room_id).await;
        bert.timeline
            .send(&Outgoing::text("direct hello"))
            .await
            .unwrap();
        let hello = ada.wait_for("the DM message", saying("direct hello")).await;
        assert!(hello.encrypted);
        let room_id_typed = matrix_sdk::ruma::OwnedRoomId::try_from(p.room_id.as_str()).unwrap();
        let room = p.a.client().get_room(&room_id_typed).unwrap();
        assert!(room.is_direct().await.unwrap(), "a direct chat");
        ada.timeline.save_draft("half a thought").await.unwrap();
        drop(ada);
        drop(bert);
        p.a_sync.stop().await;
        p.b_sync.stop().await;
        (p.a_entry, p.room_id)
    });
    drop(runtime);
    // A new runtime and a restored session: what a restart of Sotto does.
    harness::runtime().block_on(async {
        let session = a_test.accounts.restore(&entry).await.unwrap();
        let sync = AccountSync::start(&session).await.unwrap();
        let ada = Conversation::open(&session, &sync, &room_id).await;
        assert_eq!(
            ada.timeline.load_draft().await.unwrap().as_deref(),
            Some("half a thought")
        );
        ada.wait_for("the cached message", saying("direct hello"))
            .await;
        ada.timeline.clear_draft().await.unwrap();
        assert_eq!(ada.timeline.load_draft().await.unwrap(), None);
        drop(ada);
        sync.stop().await;
    });
}

#[test]
fn messages_sent_while_the_server_is_down_arrive_once_and_in_order() {
    let test = TestProfile::new();
    // A server of its own: this test stops and restarts it.
    let server = synapse::Synapse::start();
    let runtime = harness::runtime();
    runtime.block_on(async {
        let user = server.register("queued").await;
        let friend = server.register("queued-friend").await;
        let session = test
            .accounts
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .unwrap();
        let friend_client = peers::login(&server, &friend).await;
        peers::publish_sotto_keys(&session, &friend_client).await;
        let room = peers::create_room(&friend_client, "Queue", true, &[&user.user_id]).await;
        session
            .client()
            .join_room_by_id(room.room_id())
            .await
            .unwrap();
        let sync = AccountSync::start(&session).await.unwrap();
        let sotto = Conversation::open(&session, &sync, room.room_id().as_str()).await;
        peers::send_text(&room, "before the outage").await;
        sotto
            .wait_for("the first message", saying("before the outage"))
            .await;

        server.stop();
        let texts: Vec<String> = (1..=20).map(|i| format!("queued message {i:02}")).collect();
        for text in &texts {
            sotto
                .timeline
                .send(&Outgoing::text(text.clone()))
                .await
                .unwrap();
        }
        // All twenty wait as local echoes while the server is away.
        let local = sotto
            .wait_for("the last local echo", |e| {
                text_of(e) == Some("queued message 20") && e.is_own
            })
            .await;
        assert_ne!(local.send_state, SendState::Remote);
        tokio::time::sleep(Duration::from_secs(2)).await;

        server.boot();
        let deadline = tokio::time::Instant::now() + PATIENCE * 2;
        loop {
            // matrix-sdk-ui 0.18's timeline sometimes keeps a second item for an event sent
            // across the outage (same event ID: its own view, not the server's); the check
            // on the server below is the one that counts for "exactly once".
            let mut seen_ids = std::collections::HashSet::new();
            let remote: Vec<String> = sotto
                .events()
                .into_iter()
                .filter(|e| e.is_own && e.send_state == SendState::Remote)
                .filter(|e| seen_ids.insert(e.event_id.clone()))
                .filter_map(|e| text_of(&e).map(str::to_owned))
                .collect();
            if remote == texts {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the view never settled on the 20 messages once each, in order: {remote:#?} {:#?}",
                sotto.events()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }

        // What the server stored, as the other member reads it: each once, in order.
        let friend_room = friend_client.get_room(room.room_id()).unwrap();
        let mut seen = Vec::new();
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while seen.len() < texts.len() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the friend saw {seen:?}"
            );
            friend_client.sync_once(Default::default()).await.unwrap();
            let mut options = matrix_sdk::room::MessagesOptions::backward();
            options.limit = 50u32.into();
            let page = friend_room.messages(options).await.unwrap();
            seen = page
                .chunk
                .iter()
                .rev()
                .filter_map(|event| event.raw().deserialize().ok())
                .filter_map(|event| match event {
                    matrix_sdk::ruma::events::AnySyncTimelineEvent::MessageLike(
                        matrix_sdk::ruma::events::AnySyncMessageLikeEvent::RoomMessage(m),
                    ) => m.as_original().map(|o| o.content.body().to_owned()),
                    _ => None,
                })
                .filter(|body| body.starts_with("queued message"))
                .collect();
        }
        assert_eq!(seen, texts, "the server holds each message once, in order");
        drop(sotto);
        sync.stop().await;
    });
}

#[test]
fn a_message_without_its_key_shows_a_placeholder_until_the_backup_gives_the_key() {
    use sotto::engine::trust::{cross_signing, recovery};
    let first = TestProfile::new();
    let second = TestProfile::new();
    harness::runtime().block_on(async {
        let server = synapse::shared();
        let user = server.register("late-key").await;
        let friend = server.register("late-key-friend").await;
        let one = first
            .accounts
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .unwrap();
        let one_sync = AccountSync::start(&one).await.unwrap();
        cross_signing::bootstrap_cross_signing(&one, Some(&user.password))
            .await
            .unwrap();
        let key = recovery::enable_recovery(&one, None).await.unwrap();

        let friend_client = peers::login(server, &friend).await;
        peers::wait_for_device_keys(&friend_client, one.user_id().as_str(), &one.device_id()).await;
        let room = peers::create_room(&friend_client, "Late keys", true, &[&user.user_id]).await;
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while one.client().get_room(room.room_id()).is_none() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the invite never came"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        one.client().join_room_by_id(room.room_id()).await.unwrap();
        friend_client.sync_once(Default::default()).await.unwrap();
        let friend_room = friend_client.get_room(room.room_id()).unwrap();
        peers::send_text(&friend_room, "said before the second session existed").await;
        let first_view = Conversation::open(&one, &one_sync, room.room_id().as_str()).await;
        first_view
            .wait_for(
                "the first session decrypts",
                saying("said before the second session existed"),
            )
            .await;
        recovery::wait_for_backup_upload(&one).await.unwrap();

        // A new session of the same account: the old message's key was never sent to it.
        let two = second
            .accounts
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .unwrap();
        let two_sync = AccountSync::start(&two).await.unwrap();
        two_sync
            .wait_until_rooms_synced(PATIENCE)
            .await
            .expect("the second session syncs");
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while two.client().get_room(room.room_id()).is_none() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the room never came"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let second_view = Conversation::open(&two, &two_sync, room.room_id().as_str()).await;
        let _ = second_view.timeline.load_older(20).await;
        let locked = second_view
            .wait_for("the placeholder", |e| e.body == Body::Undecryptable)
            .await;
        assert!(!locked.is_own);

        // The recovery key unlocks the backup: the same row turns into the message.
        recovery::recover(&two, key.expose()).await.unwrap();
        let opened = second_view
            .wait_for(
                "the decrypted message",
                saying("said before the second session existed"),
            )
            .await;
        assert_eq!(
            opened.event_id, locked.event_id,
            "the same event, now readable"
        );
        drop(first_view);
        drop(second_view);
        one_sync.stop().await;
        two_sync.stop().await;
    });
}
