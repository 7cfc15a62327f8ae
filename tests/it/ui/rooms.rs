//! Room management in the real window: the New Room, New Direct Chat and Join Room dialogs
//! opened from the window's actions and filled in through their widgets, and the room
//! details with members, roles and the remove confirmation.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use adw::prelude::*;
use gtk::glib;
use matrix_sdk::ruma::events::room::member::MembershipState;
use matrix_sdk::ruma::{OwnedRoomId, RoomId};
use sotto::engine::EngineError;
use sotto::engine::rooms;
use sotto::ui::bridge::{spawn_tokio, spawn_ui};
use sotto::ui::error_text::describe;

use crate::harness::ui::{
    all, button, on_gtk_thread, open_window, present_at, screenshot, settle, toplevel, wait_for,
};
use crate::harness::{self, TestProfile, peers, synapse};

/// Runs an engine future from the GTK thread and waits, with the main loop running, for
/// its result.
fn engine<T: Send + 'static>(future: impl Future<Output = T> + Send + 'static) -> T {
    let result = Rc::new(RefCell::new(None));
    let slot = result.clone();
    spawn_ui(async move {
        let value = spawn_tokio(future).await;
        slot.replace(Some(value));
    });
    wait_for(
        "the engine",
        Duration::from_secs(60),
        || result.borrow().is_some(),
        || "no answer yet".into(),
    );
    result.take().unwrap()
}

/// Activates the window action `name`, as the main menu does.
fn act(
    window: &sotto::ui::window::Window,
    name: &str,
    parameter: Option<&glib::Variant>,
) -> Result<(), glib::BoolError> {
    WidgetExt::activate_action(window, name, parameter)
}

fn entry_row(root: &impl IsA<gtk::Widget>, title: &str) -> adw::EntryRow {
    all::<adw::EntryRow>(root)
        .into_iter()
        .find(|row| row.title() == title)
        .unwrap_or_else(|| panic!("no entry row “{title}”"))
}

fn error_text(dialog: &impl IsA<gtk::Widget>) -> Option<String> {
    all::<gtk::Label>(dialog)
        .into_iter()
        .find(|l| l.has_css_class("error") && l.is_mapped())
        .map(|l| l.text().to_string())
}

fn wait_until_closed(window: &impl IsA<gtk::Window>, what: &str) {
    let window = window.as_ref().clone();
    wait_for(
        what,
        Duration::from_secs(60),
        || !window.is_visible(),
        || error_text(&window).unwrap_or_else(|| "no error shown".into()),
    );
}

#[test]
fn rooms_are_made_joined_and_managed_from_the_window() {
    let test = TestProfile::new();
    let server = synapse::shared();
    let (user, friend, friend_client, lobby) = harness::runtime().block_on(async {
        let user = server.register("roomui").await;
        let friend = server.register("roomui-friend").await;
        test.accounts
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .unwrap();
        let friend_client = peers::login(server, &friend).await;
        let mut request = matrix_sdk::ruma::api::client::room::create_room::v3::Request::new();
        request.name = Some("Lobby".into());
        request.preset =
            Some(matrix_sdk::ruma::api::client::room::create_room::v3::RoomPreset::PublicChat);
        request.room_alias_name = Some("roomui-lobby".into());
        let lobby = friend_client.create_room(request).await.unwrap();
        (user, friend, friend_client, lobby.room_id().to_owned())
    });
    let server_name = server.server_name();
    let accounts = test.accounts.clone();
    let desktop_profile = test.accounts.clone();
    let peer = friend_client.clone();
    let lobby_id = lobby.clone();
    let me = user.user_id.clone();
    on_gtk_thread(move || {
        let lobby = lobby_id;
        let window = open_window(accounts, 360, 720, "session");
        let session = window.session().expect("signed in");

        // New Room, from the main menu's action.
        act(&window, "win.new-room", None).unwrap();
        let dialog: adw::Window = toplevel("New Room");
        present_at(&dialog, 360, 720);
        let create = button(&dialog, "Create");
        assert!(!create.is_sensitive(), "a room needs a name first");
        let switches = all::<gtk::Switch>(&dialog);
        let (public, encrypted) = (&switches[0], &switches[1]);
        assert!(!public.is_active());
        assert!(
            encrypted.is_active() && !encrypted.is_sensitive(),
            "a private room is always encrypted"
        );
        screenshot(&dialog, "new-room-360x720");

        entry_row(&dialog, "Name").set_text("Book club");
        entry_row(&dialog, "Topic (optional)").set_text("Chapter 3 on Thursday");
        entry_row(&dialog, "People to invite").set_text("bob");
        assert!(create.is_sensitive());
        create.emit_clicked();
        wait_for(
            "the error for a malformed Matrix ID",
            Duration::from_secs(30),
            || error_text(&dialog).is_some(),
            || "no error shown".into(),
        );
        assert_eq!(
            error_text(&dialog).unwrap(),
            describe(&EngineError::InvalidMatrixId("bob".into()))
        );
        screenshot(&dialog, "new-room-error-360x720");
        public.set_active(true);
        assert!(encrypted.is_sensitive(), "a public room may be unencrypted");
        public.set_active(false);
        assert!(encrypted.is_active() && !encrypted.is_sensitive());
        entry_row(&dialog, "People to invite").set_text(&friend.user_id);
        create.emit_clicked();
        wait_until_closed(&dialog, "the room to be created");

        // The friend is invited to the encrypted room, and joins it.
        let room_id: OwnedRoomId = {
            let peer = peer.clone();
            engine(async move {
                loop {
                    peer.sync_once(Default::default()).await.unwrap();
                    if let Some(room) = peer
                        .invited_rooms()
                        .into_iter()
                        .find(|r| r.name().as_deref() == Some("Book club"))
                    {
                        let id = room.room_id().to_owned();
                        peer.join_room_by_id(&id).await.unwrap();
                        return id;
                    }
                }
            })
        };
        let details = {
            let (session, id) = (session.clone(), room_id.to_string());
            engine(async move {
                rooms::details(&session, &crate::harness::rid(&id))
                    .await
                    .unwrap()
            })
        };
        assert!(details.is_encrypted);
        assert_eq!(details.topic.as_deref(), Some("Chapter 3 on Thursday"));

        // The room details, with both members.
        act(
            &window,
            "win.room-details",
            Some(&room_id.as_str().to_variant()),
        )
        .unwrap();
        let details_window: adw::PreferencesWindow = toplevel("Book club");
        present_at(&details_window, 360, 720);
        let friend_row = |w: &adw::PreferencesWindow| {
            all::<adw::ActionRow>(w)
                .into_iter()
                .find(|r| r.widget_name() == friend.user_id.as_str())
        };
        wait_for(
            "the members",
            Duration::from_secs(30),
            || friend_row(&details_window).is_some(),
            || "the friend is not listed".into(),
        );
        let mine = all::<adw::ActionRow>(&details_window)
            .into_iter()
            .find(|r| r.widget_name() == user.user_id.as_str())
            .expect("I am listed");
        assert!(
            all::<gtk::Label>(&mine).iter().any(|l| l.text() == "Admin"),
            "the creator is an admin"
        );
        assert_eq!(entry_row(&details_window, "Name").text(), "Book club");
        screenshot(&details_window, "room-details-360x720");

        // Remove the friend, with a reason, after the confirmation.
        let actions = all::<gtk::MenuButton>(&friend_row(&details_window).unwrap())
            .pop()
            .expect("the member's actions");
        assert!(actions.activate_action("member.remove", None).is_ok());
        let confirm = visible_message_dialog();
        assert_eq!(confirm.heading().as_deref(), Some("Remove From Room?"));
        all::<gtk::Entry>(&confirm)
            .pop()
            .expect("the reason field")
            .set_text("Book finished");
        settle();
        screenshot(&confirm, "room-details-remove-360x720");
        confirm.response("confirm");
        wait_for(
            "the friend to be removed",
            Duration::from_secs(30),
            || friend_row(&details_window).is_none(),
            || "still listed".into(),
        );
        let reason = {
            let peer = peer.clone();
            let id = room_id.clone();
            engine(async move {
                loop {
                    peer.sync_once(Default::default()).await.unwrap();
                    let room = peer.get_room(&id).unwrap();
                    let me = room
                        .get_member_no_sync(peer.user_id().unwrap())
                        .await
                        .unwrap()
                        .unwrap();
                    if *me.membership() == MembershipState::Leave {
                        return me.event().reason().map(ToOwned::to_owned);
                    }
                }
            })
        };
        assert_eq!(reason.as_deref(), Some("Book finished"));
        details_window.close();

        // Join Room: an unknown address is explained, a known one joins.
        act(&window, "win.join-room", None).unwrap();
        let join: adw::Window = toplevel("Join Room");
        present_at(&join, 360, 720);
        let address = entry_row(&join, "Room address");
        address.set_text(&format!("#no-such-room:{server_name}"));
        button(&join, "Join").emit_clicked();
        wait_for(
            "the error for an unknown room",
            Duration::from_secs(30),
            || error_text(&join).is_some(),
            || "no error shown".into(),
        );
        assert!(
            error_text(&join).unwrap().contains("was not found"),
            "{:?}",
            error_text(&join)
        );
        screenshot(&join, "join-room-error-360x720");
        address.set_text(&format!("#roomui-lobby:{server_name}"));
        button(&join, "Join").emit_clicked();
        wait_until_closed(&join, "the room to be joined");

        // New Direct Chat: a user who does not exist is explained.
        act(&window, "win.new-direct-chat", None).unwrap();
        let dm: adw::Window = toplevel("New Direct Chat");
        present_at(&dm, 360, 720);
        entry_row(&dm, "Matrix ID").set_text(&format!("@nobody-here:{server_name}"));
        button(&dm, "Start Chat").emit_clicked();
        wait_for(
            "the error for an unknown user",
            Duration::from_secs(30),
            || error_text(&dm).is_some(),
            || "no error shown".into(),
        );
        screenshot(&dm, "new-direct-chat-error-360x720");
        entry_row(&dm, "Matrix ID").set_text(&friend.user_id);
        button(&dm, "Start Chat").emit_clicked();
        wait_until_closed(&dm, "the direct chat to start");

        // The same dialogs and details on a desktop.
        window.destroy();
        let window = open_window(desktop_profile, 1280, 800, "session");
        act(&window, "win.new-room", None).unwrap();
        let dialog: adw::Window = toplevel("New Room");
        settle();
        screenshot(&window, "new-room-1280x800-window");
        screenshot(&dialog, "new-room-1280x800");
        dialog.close();
        act(
            &window,
            "win.room-details",
            Some(&lobby.as_str().to_variant()),
        )
        .unwrap();
        let details_window: adw::PreferencesWindow = toplevel("Lobby");
        present_at(&details_window, 1280, 800);
        wait_for(
            "the lobby's members",
            Duration::from_secs(30),
            || {
                all::<adw::ActionRow>(&details_window)
                    .iter()
                    .any(|r| r.widget_name() == user.user_id.as_str())
            },
            || "not loaded".into(),
        );
        assert!(
            all::<adw::EntryRow>(&details_window)
                .iter()
                .all(|r| r.title() != "Name" && r.title() != "Topic"),
            "a member without power cannot rename the lobby"
        );
        screenshot(&details_window, "room-details-1280x800");

        // Leave the lobby, after the confirmation, while its conversation is open: the
        // window goes back to the list.
        window.open_room(&crate::harness::rid(lobby.as_str()));
        assert_eq!(
            window.open_room_id().as_ref().map(|id| id.as_str()),
            Some(lobby.as_str())
        );
        button(&details_window, "Leave Room").emit_clicked();
        let confirm = visible_message_dialog();
        assert_eq!(confirm.heading().as_deref(), Some("Leave Room?"));
        screenshot(&confirm, "room-details-leave");
        confirm.response("confirm");
        wait_until_closed(&details_window, "the details to close after leaving");
        wait_for(
            "the left room to close",
            Duration::from_secs(30),
            || window.open_room_id().is_none(),
            || format!("{:?}", window.open_room_id()),
        );
        assert!(!window.recent_rooms().contains(&crate::harness::rid(&lobby)));
        screenshot(&window, "room-left-1280x800");
        window.destroy();
    });
    // The friend sees Sotto leave the lobby it had joined.
    harness::runtime().block_on(async move {
        let lobby = lobby.to_string();
        let deadline = std::time::Instant::now() + harness::PATIENCE;
        loop {
            friend_client.sync_once(Default::default()).await.unwrap();
            let room = friend_client
                .get_room(<&RoomId>::try_from(lobby.as_str()).unwrap())
                .unwrap();
            let member = room
                .get_member_no_sync(<&matrix_sdk::ruma::UserId>::try_from(me.as_str()).unwrap())
                .await
                .unwrap();
            if member.is_some_and(|m| *m.membership() == MembershipState::Leave) {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the friend never saw Sotto leave the lobby"
            );
        }
    });
}

/// The message dialog shown now (a confirmation).
fn visible_message_dialog() -> adw::MessageDialog {
    let find = || {
        gtk::Window::list_toplevels()
            .into_iter()
            .filter_map(|w| w.downcast::<adw::MessageDialog>().ok())
            .find(|d| d.is_visible())
    };
    wait_for(
        "the confirmation",
        Duration::from_secs(10),
        || find().is_some(),
        || "none".into(),
    );
    find().unwrap()
}
