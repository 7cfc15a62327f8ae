//! The sidebar's room list: the store follows the engine's diffs one change at a time, and
//! the real window lists a signed-in account's rooms with previews.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use eyeball_im::VectorDiff;
use gtk::prelude::*;
use sotto::engine::room_list::{Preview, RoomSummary};
use sotto::ui::room_list::model::{apply, new_store, summary_of};
use sotto::ui::window::{Pane, Window};

use crate::harness::ui::{app, on_gtk_thread, present_at, screenshot, settle, wait_for};
use crate::harness::{self, TestProfile, peers, synapse};

fn room(name: &str) -> RoomSummary {
    RoomSummary {
        room_id: format!("!{name}:localhost"),
        name: name.to_owned(),
        preview: Preview::Nothing,
        timestamp_ms: None,
        unread: 0,
        mentions: 0,
        is_invite: false,
        is_direct: false,
        is_encrypted: false,
    }
}

#[test]
fn the_store_follows_diffs_without_rebuilding() {
    on_gtk_thread(|| {
        let store = new_store();
        let changes = Rc::new(RefCell::new(Vec::new()));
        let seen = changes.clone();
        store.connect_items_changed(move |_, position, removed, added| {
            seen.borrow_mut().push((position, removed, added));
        });
        let names = |store: &gtk::gio::ListStore| -> Vec<String> {
            (0..store.n_items())
                .filter_map(|i| store.item(i))
                .filter_map(|item| summary_of(&item))
                .map(|s| s.name)
                .collect()
        };
        apply(
            &store,
            VectorDiff::Reset {
                values: [room("a"), room("b")].into_iter().collect(),
            },
        );
        apply(&store, VectorDiff::PushFront { value: room("c") });
        assert_eq!(names(&store), ["c", "a", "b"]);

        changes.borrow_mut().clear();
        apply(
            &store,
            VectorDiff::Set {
                index: 1,
                value: room("a2"),
            },
        );
        assert_eq!(names(&store), ["c", "a2", "b"]);
        assert_eq!(
            *changes.borrow(),
            [(1, 1, 1)],
            "a change touches one row only"
        );

        apply(&store, VectorDiff::Remove { index: 0 });
        apply(
            &store,
            VectorDiff::Insert {
                index: 1,
                value: room("d"),
            },
        );
        assert_eq!(names(&store), ["a2", "d", "b"]);
        apply(&store, VectorDiff::Truncate { length: 2 });
        apply(
            &store,
            VectorDiff::Append {
                values: [room("e")].into_iter().collect(),
            },
        );
        apply(&store, VectorDiff::PushBack { value: room("f") });
        apply(&store, VectorDiff::PopFront);
        apply(&store, VectorDiff::PopBack);
        assert_eq!(names(&store), ["d", "e"]);
        // Out-of-range diffs are ignored, never trusted.
        apply(
            &store,
            VectorDiff::Set {
                index: 9,
                value: room("x"),
            },
        );
        apply(&store, VectorDiff::Remove { index: 9 });
        apply(
            &store,
            VectorDiff::Insert {
                index: 9,
                value: room("x"),
            },
        );
        assert_eq!(names(&store), ["d", "e"]);
        apply(&store, VectorDiff::Clear);
        assert_eq!(store.n_items(), 0);
    });
}

#[test]
fn the_sidebar_lists_rooms_with_previews() {
    let test = TestProfile::new();
    let server = synapse::shared();
    let user = harness::runtime().block_on(async {
        let user = server.register("sidebar").await;
        let friend = server.register("sidebar-friend").await;
        let session = test
            .profile
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .unwrap();
        let friend_client = peers::login(server, &friend).await;
        // Sotto's device keys must be on the server for the friend to encrypt for it.
        peers::publish_sotto_keys(&session, &friend_client).await;
        let dm = peers::create_room(&friend_client, "Friend", true, &[&user.user_id]).await;
        let group = peers::create_room(&friend_client, "Book club", false, &[&user.user_id]).await;
        for room in [&dm, &group] {
            session
                .client()
                .join_room_by_id(room.room_id())
                .await
                .unwrap();
        }
        friend_client.sync_once(Default::default()).await.unwrap();
        peers::send_text(&group, "Chapter 3 for Thursday").await;
        let dm = friend_client.get_room(dm.room_id()).unwrap();
        peers::send_text(&dm, "This one is end-to-end encrypted").await;
        user
    });
    let profile = test.profile.clone();
    let desktop_profile = test.profile.clone();
    on_gtk_thread(move || {
        let window = Window::new(&app());
        window.start(profile);
        present_at(&window, 360, 720);
        let rooms = window.rooms();
        let with_previews = || {
            let summaries: Vec<RoomSummary> = (0..rooms.n_items())
                .filter_map(|i| rooms.item(i))
                .filter_map(|item| summary_of(&item))
                .collect();
            summaries.len() == 2
                && summaries
                    .iter()
                    .all(|s| matches!(s.preview, Preview::Message { .. }))
        };
        wait_for(
            "two rooms with previews",
            Duration::from_secs(60),
            with_previews,
            || {
                let summaries: Vec<RoomSummary> = (0..rooms.n_items())
                    .filter_map(|i| rooms.item(i))
                    .filter_map(|item| summary_of(&item))
                    .collect();
                format!("{summaries:#?}")
            },
        );
        settle();
        screenshot(&window, "room-list-360x720");
        let first = summary_of(&rooms.item(0).unwrap()).unwrap();
        assert_eq!(first.name, "Friend", "the latest activity comes first");
        assert!(first.is_encrypted);
        assert_eq!(
            first.preview,
            Preview::Message {
                sender: format!("@sidebar-friend:{}", synapse::shared().server_name()),
                body: "This one is end-to-end encrypted".into()
            },
            "the encrypted message is decrypted for the preview"
        );

        window.open_room(&first.room_id);
        settle();
        assert_eq!(window.visible_panes(), vec![Pane::Content]);
        window.destroy();

        // The same account on a desktop-sized window, restored from its store.
        let window = Window::new(&app());
        window.start(desktop_profile);
        present_at(&window, 1280, 800);
        wait_for(
            "the rooms",
            Duration::from_secs(60),
            || window.rooms().n_items() == 2,
            || window.page(),
        );
        window.open_room(&first.room_id);
        settle();
        assert_eq!(window.visible_panes(), vec![Pane::Sidebar, Pane::Content]);
        screenshot(&window, "room-list-1280x800");
        window.destroy();
    });
    assert_eq!(test.profile.accounts().unwrap()[0].user_id, user.user_id);
}
