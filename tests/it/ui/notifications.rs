//! Notifications with the window closed, through GLib to a notification server on the
//! private bus (`harness::notifyd`): the three content levels (the message's text never
//! reaches the server at the two private ones), one notification per room updated in
//! place, the withdrawal when the room is read on another device, and a click that opens
//! Sotto at the room. Also the Preferences' word when no server answers.

use std::time::Duration;

use gtk::prelude::*;
use sotto::ui::window::Window;

use crate::harness::notifyd::{NotificationServer, Shown};
use crate::harness::ui::{all, app, on_gtk_thread, open_window, screenshot, settle, wait_for};
use crate::harness::{self, TestProfile, peers, synapse};

const PATIENCE: Duration = Duration::from_secs(60);

fn set_content(level: &str) {
    sotto::ui::gsettings::settings()
        .set_string("notification-content", level)
        .unwrap();
}

/// Waits until the server shows a notification matching `found`, and returns it. Each
/// test's peer has a name of its own: the server is shared by the tests of the process.
fn wait_for_shown(
    server: &NotificationServer,
    what: &str,
    found: impl Fn(&Shown) -> bool,
) -> Shown {
    wait_for(
        what,
        PATIENCE,
        || server.shown().iter().any(&found),
        || format!("the server has {:#?}", server.shown()),
    );
    server.shown().into_iter().rev().find(found).unwrap()
}

/// Whether the Preferences of `window` say that notifications cannot be shown.
fn preferences_say_no_server(window: &Window) -> bool {
    let preferences = sotto::ui::preferences::show_preferences(window);
    settle();
    let says = all::<adw::ActionRow>(&preferences)
        .iter()
        .any(|r| r.widget_name() == "no-notification-server");
    preferences.close();
    says
}

/// The notification server of this test process. The first test to want it checks first
/// that, without it, Sotto knows and the Preferences say so (once, there).
fn start_server(window: &Window) -> &'static NotificationServer {
    if !NotificationServer::started() {
        assert!(!sotto::ui::notifications::server_present());
        assert!(
            preferences_say_no_server(window),
            "no word that notifications cannot be shown"
        );
    }
    let server = NotificationServer::start();
    assert!(sotto::ui::notifications::server_present());
    assert!(!preferences_say_no_server(window));
    server
}

/// The main window of the test application, once one shows the room `room_id`.
fn window_at_room(room_id: &str) -> Window {
    let find = || {
        app()
            .windows()
            .into_iter()
            .filter_map(|w| w.downcast::<Window>().ok())
            .find(|w| w.open_room_id().as_deref() == Some(&crate::harness::rid(room_id)))
    };
    wait_for(
        "a window at the room",
        PATIENCE,
        || find().is_some(),
        || format!("{} windows", app().windows().len()),
    );
    find().unwrap()
}

#[test]
fn notifications_with_the_window_closed() {
    let test = TestProfile::new();
    let server = synapse::shared();
    let runtime = harness::runtime();
    let (user, friend, dm_id, group_id) = runtime.block_on(async {
        let (user, session, friend) = test.signed_in_with_friend(server, "bell").await;
        peers::set_display_name(&friend, "Bellamy").await;
        peers::publish_sotto_keys(&session, &friend).await;
        let dm = peers::create_encrypted_dm(&friend, &user.user_id).await;
        let group = peers::create_room(&friend, "Garden club", true, &[&user.user_id]).await;
        peers::join_as_dm(&session, &dm, &friend).await;
        session
            .client()
            .join_room_by_id(group.room_id())
            .await
            .unwrap();
        friend.sync_once(Default::default()).await.unwrap();
        (
            user,
            friend,
            dm.room_id().to_string(),
            group.room_id().to_string(),
        )
    });
    let room_of = |id: &str| {
        friend
            .get_room(&matrix_sdk::ruma::RoomId::parse(id).unwrap())
            .unwrap()
    };
    let (dm, group) = (room_of(&dm_id), room_of(&group_id));

    let accounts = test.accounts.clone();
    let user_id = user.user_id.clone();
    let (dm_room, group_room) = (dm_id.clone(), group_id.clone());
    on_gtk_thread(move || {
        set_content("sender");
        let window = open_window(accounts.clone(), 360, 720, "session");
        let notifications = start_server(&window);
        wait_for(
            "both rooms in the list",
            PATIENCE,
            || window.rooms().n_items() == 2,
            || window.page(),
        );
        // Closed: the window and its widgets go, the account keeps syncing.
        let closed = window.downgrade();
        window.close();
        drop(window);
        wait_for(
            "the closed window to be freed",
            PATIENCE,
            || closed.upgrade().is_none(),
            || "something still holds it".into(),
        );
        assert!(
            accounts
                .running()
                .get(&crate::harness::uid(&user_id))
                .is_some_and(|o| o.sync.is_some()),
            "the account still runs"
        );

        // Sender only (the default): who wrote, never what.
        let send = |room: &matrix_sdk::Room, text: &str| {
            let room = room.clone();
            let text = text.to_owned();
            harness::runtime().block_on(async move { peers::send_text(&room, &text).await });
        };
        send(&dm, "marker-sender-level 5b1e");
        let first = wait_for_shown(notifications, "the direct message's notification", |n| {
            n.summary == "New message from Bellamy"
        });
        assert_eq!(first.body, "", "{first:?}");
        assert!(
            first.actions.first().is_some_and(|a| a == "default"),
            "a click opens the room: {first:?}"
        );
        send(&dm, "marker-sender-level 9d0a");
        let updated = wait_for_shown(notifications, "the updated notification", |n| {
            n.summary == "2 new messages, the latest from Bellamy"
        });
        assert_eq!(
            updated.replaces, first.id,
            "one notification per room: {updated:?}"
        );

        // Nothing: not even who.
        set_content("nothing");
        send(&group, "marker-nothing-level 77c2");
        let nothing = wait_for_shown(notifications, "the group's notification", |n| {
            n.summary == "New message"
        });
        assert_eq!(nothing.body, "");
        assert_ne!(nothing.id, first.id, "another room, another notification");
        for record in notifications.received() {
            let text = record.to_string();
            assert!(
                !text.contains("marker-"),
                "a private level let the text through: {text}"
            );
        }

        // Read on another device of the account: the group's notification goes.
        harness::runtime().block_on(async {
            let other = peers::login(server, &user).await;
            let room = other
                .get_room(&matrix_sdk::ruma::RoomId::parse(&group_room).unwrap())
                .unwrap();
            let latest = room
                .messages(matrix_sdk::room::MessagesOptions::backward())
                .await
                .unwrap()
                .chunk
                .first()
                .and_then(|e| e.event_id())
                .unwrap();
            room.send_single_receipt(
                matrix_sdk::ruma::api::client::receipt::create_receipt::v3::ReceiptType::Read,
                matrix_sdk::ruma::events::receipt::ReceiptThread::Unthreaded,
                latest,
            )
            .await
            .unwrap();
        });
        wait_for(
            "the group's notification to be withdrawn",
            PATIENCE,
            || notifications.closed(nothing.id),
            || format!("{:#?}", notifications.received()),
        );

        // Sender and message, chosen by the person.
        set_content("message");
        send(&dm, "visible words 3c4d");
        let full = wait_for_shown(notifications, "the message's notification", |n| {
            n.body.contains("visible words 3c4d")
        });
        assert_eq!(full.summary, "Bellamy");
        assert_eq!(
            full.body, "visible words 3c4d",
            "a direct chat's message as it is"
        );

        // A click opens Sotto at the room.
        notifications.click(full.id);
        let window = window_at_room(&dm_room);
        crate::harness::ui::present_at(&window, 360, 720);
        screenshot(&window, "notification-opened-room-360x720");
        // The server closed the clicked notification; Sotto counts anew from here.
        wait_for(
            "Sotto to let go of the room's notification once the room shows",
            PATIENCE,
            || {
                !sotto::ui::notifications::is_out(
                    &crate::harness::uid(&user_id),
                    &crate::harness::rid(&dm_room),
                )
            },
            || format!("{:#?}", notifications.received()),
        );
        // The room shown in the window the person uses does not notify; another does.
        // Proof that the message was handled first: the conversation shows it.
        window.present();
        wait_for(
            "the window to be the active one",
            PATIENCE,
            || window.is_active(),
            || "another window is active".into(),
        );
        send(&dm, "while looking 1a2b");
        wait_for(
            "the message in the open conversation",
            PATIENCE,
            || shows_text(&window, "while looking 1a2b"),
            || "not shown".into(),
        );
        send(&group, "meanwhile in the club 8e8e");
        wait_for_shown(notifications, "the other room's notification", |n| {
            n.body.contains("meanwhile in the club 8e8e")
        });
        assert!(
            !notifications
                .shown()
                .iter()
                .any(|n| n.body.contains("while looking 1a2b")),
            "the room on screen notified"
        );
        set_content("sender");
        window.close();
        settle();
    });
}

/// Whether the conversation open in `window` shows a message with `text`.
fn shows_text(window: &Window, text: &str) -> bool {
    use sotto::engine::timeline::{Entry, EntryKind};
    let Some(store) = window.room_view().store() else {
        return false;
    };
    (0..store.n_items())
        .filter_map(|i| store.item(i))
        .filter_map(|item| sotto::ui::diff_store::value_of::<Entry>(&item))
        .any(|entry| match entry.kind {
            EntryKind::Event(event) => event.copy_text() == Some(text),
            _ => false,
        })
}

#[test]
fn room_modes_and_marks_from_the_room_list_reach_the_server() {
    let test = TestProfile::new();
    let server = synapse::shared();
    let (room_id, other) = harness::runtime().block_on(async {
        let (user, session, friend) = test.signed_in_with_friend(server, "modes").await;
        let room = peers::create_room(&friend, "Allotment", false, &[&user.user_id]).await;
        session
            .client()
            .join_room_by_id(room.room_id())
            .await
            .unwrap();
        friend.sync_once(Default::default()).await.unwrap();
        let room = friend.get_room(room.room_id()).unwrap();
        peers::send_text(&room, "the beans are up").await;
        let other = peers::login(server, &user).await;
        drop(session);
        (room.room_id().to_string(), other)
    });
    let accounts = test.accounts.clone();
    let room = room_id.clone();
    on_gtk_thread(move || {
        let window = open_window(accounts, 360, 720, "session");
        let row = || {
            window
                .room_list_pane()
                .rows()
                .into_iter()
                .find(|r| r.room_id().is_some_and(|id| id == room))
        };
        wait_for(
            "the room with its unread count",
            PATIENCE,
            || row().is_some_and(|r| r.unread_badge().is_some_and(|b| b == "1")),
            || format!("{:?}", row().map(|r| r.unread_badge())),
        );
        let row = row().unwrap();
        row.show_menu(None);
        let menu = row.menu().expect("the menu opened");
        wait_for(
            "the room's menu",
            PATIENCE,
            || menu.is_visible(),
            || "hidden".into(),
        );
        screenshot(&menu, "room-list-menu-360x720");
        // Mute, as the menu's radio item does.
        WidgetExt::activate_action(&row, "win.room-mode", Some(&"mute".to_variant())).unwrap();
        menu.popdown();
        // The mode as the account's sync brought it back from the server.
        let shown = window.session().expect("the account is shown");
        let mode =
            || sotto::engine::push_rules::cached_room_mode(&shown, &crate::harness::rid(&room));
        wait_for(
            "the room to be muted",
            PATIENCE,
            || mode() == Some(sotto::engine::push_rules::RoomMode::Mute),
            || format!("{:?}", mode()),
        );
        // Muted: a dot, no count.
        let row_now = || {
            window
                .room_list_pane()
                .rows()
                .into_iter()
                .find(|r| r.room_id().is_some_and(|id| id == room))
        };
        wait_for(
            "the muted room's dot",
            PATIENCE,
            || row_now().is_some_and(|r| r.unread_badge().as_deref() == Some("")),
            || format!("{:?}", row_now().map(|r| r.unread_badge())),
        );
        screenshot(&window, "room-list-muted-360x720");
        // Mark as unread.
        WidgetExt::activate_action(
            &row_now().unwrap(),
            "win.prepare-room-menu",
            Some(&room.to_variant()),
        )
        .unwrap();
        WidgetExt::activate_action(&row_now().unwrap(), "win.room-marked-unread", None).unwrap();
        wait_for(
            "the room to be marked as unread",
            PATIENCE,
            || sotto::engine::push_rules::is_marked_unread(&shown, &crate::harness::rid(&room)),
            || "not marked".into(),
        );
        crate::harness::ui::present_at(&window, 1280, 800);
        screenshot(&window, "room-list-muted-1280x800");
        row_now().unwrap().show_menu(None);
        if let Some(menu) = row_now().unwrap().menu() {
            wait_for(
                "the menu",
                PATIENCE,
                || menu.is_visible(),
                || "hidden".into(),
            );
            screenshot(&menu, "room-list-menu-1280x800");
            menu.popdown();
        }
        window.close();
        settle();
    });
    // Another client of the account sees the mute in the server's push rules.
    harness::runtime().block_on(async move {
        other.sync_once(Default::default()).await.unwrap();
        let settings = other.notification_settings().await;
        let room_id = matrix_sdk::ruma::RoomId::parse(&room_id).unwrap();
        assert_eq!(
            settings
                .get_user_defined_room_notification_mode(&room_id)
                .await
                .map(sotto::engine::push_rules::RoomMode::from),
            Some(sotto::engine::push_rules::RoomMode::Mute)
        );
    });
}

#[test]
fn every_account_notifies_and_names_itself() {
    let test = TestProfile::new();
    let server = synapse::shared();
    let (shown_user, other_user, friend) = harness::runtime().block_on(async {
        let shown_user = server.register("first-of-two").await;
        let other_user = server.register("second-of-two").await;
        for user in [&other_user, &shown_user] {
            test.accounts
                .login(&server.url(), &user.localpart, &user.password)
                .await
                .expect("both accounts sign in");
        }
        test.accounts
            .set_active(&crate::harness::uid(&shown_user.user_id))
            .unwrap();
        let friend_user = server.register("friend-of-two").await;
        let friend = peers::login(server, &friend_user).await;
        peers::set_display_name(&friend, "Fenna").await;
        (shown_user, other_user, friend)
    });
    let accounts = test.accounts.clone();
    let other_id = other_user.user_id.clone();
    let friend_client = friend.clone();
    on_gtk_thread(move || {
        set_content("sender");
        let window = open_window(accounts.clone(), 360, 720, "session");
        let notifications = start_server(&window);
        assert_eq!(
            window.session().map(|s| s.user_id().to_string()),
            Some(shown_user.user_id.clone())
        );
        // The account not shown runs too.
        wait_for(
            "the other account to sync in the background",
            PATIENCE,
            || {
                accounts
                    .running()
                    .get(&crate::harness::uid(&other_id))
                    .is_some_and(|o| o.sync.is_some())
            },
            || format!("{} accounts run", accounts.running().count()),
        );
        let other_session = accounts
            .running()
            .get(&crate::harness::uid(&other_id))
            .unwrap()
            .session;
        let other = other_id.clone();
        harness::runtime().block_on(async move {
            let dm = peers::create_dm(&friend_client, "Two accounts", &other).await;
            other_session
                .client()
                .join_room_by_id(dm.room_id())
                .await
                .unwrap();
            friend_client.sync_once(Default::default()).await.unwrap();
            let dm = friend_client.get_room(dm.room_id()).unwrap();
            peers::send_text(&dm, "for the second account").await;
        });
        // First the invitation, then the message, each naming the account.
        let invitation = wait_for_shown(notifications, "the invitation's notification", |n| {
            n.summary.starts_with("Invitation from") && n.body.contains(&other_id)
        });
        // By the inviter's name, from the invitation's own state.
        assert_eq!(
            invitation.summary, "Invitation from Fenna",
            "{invitation:?}"
        );
        assert_eq!(invitation.body, format!("To {other_id}"));
        let shown = wait_for_shown(notifications, "the message's notification", |n| {
            n.summary == "New message from Fenna"
        });
        assert_eq!(shown.body, format!("To {other_id}"), "{shown:?}");
        window.close();
        settle();
    });
}
