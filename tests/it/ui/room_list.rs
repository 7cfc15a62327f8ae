//! The sidebar's room list: the stores follow the engine's diffs one change at a time, rows
//! format times and previews, and the real window lists a signed-in account's rooms with
//! badges, invitations that can be accepted, a search entry and filter buttons.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use eyeball_im::VectorDiff;
use gtk::glib;
use gtk::prelude::*;
use sotto::engine::room_list::{Preview, RoomKind, RoomListUpdate, RoomSummary, Section};
use sotto::ui::diff_store::{self, new_store};
use sotto::ui::room_list::model::{RoomListModel, summary_of};
use sotto::ui::room_list::row::{RoomRow, format_relative, preview_text};
use sotto::ui::window::{Pane, Window};

use crate::harness::ui::{app, on_gtk_thread, present_at, screenshot, settle, wait_for};
use crate::harness::{self, TestProfile, peers, synapse};

fn room(name: &str) -> RoomSummary {
    RoomSummary {
        room_id: crate::harness::rid(format!("!{name}:localhost")),
        name: name.to_owned(),
        preview: Preview::Nothing,
        timestamp_ms: None,
        unread: 0,
        mentions: 0,
        is_invite: false,
        is_direct: false,
        is_encrypted: false,
        is_favourite: false,
        dm_partner: None,
        dm_partner_verified: false,
        is_muted: false,
        is_marked_unread: false,
        avatar: None,
    }
}

/// Applies a diff of the room list (the type the engine sends) to `store`.
fn apply(store: &gtk::gio::ListStore, diff: VectorDiff<RoomSummary>) {
    diff_store::apply(store, diff);
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
fn sections_stack_in_one_model_and_change_row_by_row() {
    on_gtk_thread(|| {
        let model = RoomListModel::default();
        let flat = model.model();
        let changes = Rc::new(RefCell::new(Vec::new()));
        let seen = changes.clone();
        flat.connect_items_changed(move |_, position, removed, added| {
            seen.borrow_mut().push((position, removed, added));
        });
        let update = |section, diffs| RoomListUpdate { section, diffs };
        model.apply(update(
            Section::Rooms,
            vec![VectorDiff::Reset {
                values: [room("c"), room("d")].into_iter().collect(),
            }],
        ));
        model.apply(update(
            Section::Favourites,
            vec![VectorDiff::PushBack { value: room("b") }],
        ));
        model.apply(update(
            Section::Invites,
            vec![VectorDiff::PushBack { value: room("a") }],
        ));
        let names: Vec<String> = (0..flat.n_items())
            .filter_map(|i| flat.item(i))
            .filter_map(|item| summary_of(&item))
            .map(|s| s.name)
            .collect();
        assert_eq!(
            names,
            ["a", "b", "c", "d"],
            "invitations, favourites, rooms"
        );

        changes.borrow_mut().clear();
        model.apply(update(
            Section::Rooms,
            vec![VectorDiff::Set {
                index: 1,
                value: room("d2"),
            }],
        ));
        assert_eq!(
            *changes.borrow(),
            [(3, 1, 1)],
            "a new message in one room changes its row only"
        );
        assert_eq!(
            model
                .find(&crate::harness::rid("!d2:localhost"))
                .unwrap()
                .name,
            "d2"
        );
        model.clear();
        assert_eq!(flat.n_items(), 0);
    });
}

#[test]
fn rows_tell_times_and_previews_as_people_read_them() {
    on_gtk_thread(|| {
        let now = glib::DateTime::from_local(2025, 3, 14, 16, 30, 0.0).unwrap();
        let today = glib::DateTime::from_local(2025, 3, 14, 9, 5, 0.0).unwrap();
        assert_eq!(format_relative(&today, &now), "09:05");
        let tuesday = glib::DateTime::from_local(2025, 3, 11, 23, 0, 0.0).unwrap();
        assert_eq!(format_relative(&tuesday, &now), "Tue");
        let older = glib::DateTime::from_local(2025, 2, 1, 12, 0, 0.0).unwrap();
        assert_eq!(
            format_relative(&older, &now),
            older.format("%x").unwrap().as_str()
        );
        // A sender's clock slightly ahead still reads as today.
        let ahead = glib::DateTime::from_local(2025, 3, 14, 16, 31, 0.0).unwrap();
        assert_eq!(format_relative(&ahead, &now), "16:31");

        let mut group = room("Book club");
        group.preview = Preview::Message {
            sender: "@frieda:localhost".into(),
            sender_name: "Frieda Friend".into(),
            own: false,
            body: "Chapter 3".into(),
        };
        assert_eq!(preview_text(&group), "Frieda Friend: Chapter 3");
        let mut direct = group.clone();
        direct.is_direct = true;
        assert_eq!(preview_text(&direct), "Chapter 3");
        if let Preview::Message { own, .. } = &mut direct.preview {
            *own = true;
        }
        assert_eq!(preview_text(&direct), "You: Chapter 3");
        group.preview = Preview::Encrypted;
        assert_eq!(preview_text(&group), "Encrypted message");

        let row = RoomRow::default();
        group.unread = 1200;
        group.mentions = 1;
        group.timestamp_ms = Some(1_700_000_000_000);
        row.bind(&group);
        assert_eq!(row.unread_badge().as_deref(), Some("999+"));
        assert!(row.shows_mention_badge());
        assert!(row.accept_button().is_none(), "no invitation");
        assert!(!row.time().is_empty());
    });
}

fn row_named(window: &Window, name: &str) -> Option<RoomRow> {
    window
        .room_list_pane()
        .rows()
        .into_iter()
        .find(|row| row.is_mapped() && row.name() == name)
}

fn listed(window: &Window) -> Vec<RoomSummary> {
    let rooms = window.rooms();
    (0..rooms.n_items())
        .filter_map(|i| rooms.item(i))
        .filter_map(|item| summary_of(&item))
        .collect()
}

fn listed_names(window: &Window) -> Vec<String> {
    listed(window).into_iter().map(|s| s.name).collect()
}

fn wait_for_names(window: &Window, what: &str, expected: &[&str]) {
    let mut expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    expected.sort();
    wait_for(
        what,
        Duration::from_secs(30),
        || {
            let mut names = listed_names(window);
            names.sort();
            names == expected
        },
        || format!("{:?}", listed_names(window)),
    );
}

fn screenshots_in_both_styles(window: &Window, name: &str) {
    let style = adw::StyleManager::default();
    style.set_color_scheme(adw::ColorScheme::ForceLight);
    screenshot(window, &format!("{name}-light"));
    style.set_color_scheme(adw::ColorScheme::ForceDark);
    screenshot(window, &format!("{name}-dark"));
    style.set_color_scheme(adw::ColorScheme::Default);
}

#[test]
fn the_sidebar_shows_rooms_badges_invitations_and_filters() {
    let test = TestProfile::new();
    let server = synapse::shared();
    let (user, friend_client, book) = harness::runtime().block_on(async {
        let user = server.register("sidebar").await;
        let friend = server.register("sidebar-friend").await;
        let session = test
            .accounts
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .unwrap();
        let friend_client = peers::login(server, &friend).await;
        peers::set_display_name(&friend_client, "Frieda Friend").await;
        // Sotto's device keys must be on the server for the friend to encrypt for it.
        peers::publish_sotto_keys(&session, &friend_client).await;
        let secret = peers::create_room(&friend_client, "Friend", true, &[&user.user_id]).await;
        let book = peers::create_room(&friend_client, "Book club", false, &[&user.user_id]).await;
        for room in [&secret, &book] {
            session
                .client()
                .join_room_by_id(room.room_id())
                .await
                .unwrap();
        }
        friend_client.sync_once(Default::default()).await.unwrap();
        peers::send_text(&book, "Chapter 3 for Thursday").await;
        peers::send_mention(&book, &user.user_id, "sidebar, can you bring the tea?").await;
        let secret = friend_client.get_room(secret.room_id()).unwrap();
        peers::send_text(&secret, "This one is end-to-end encrypted").await;
        peers::create_room(&friend_client, "Garden party", false, &[&user.user_id]).await;
        (user, friend_client, book)
    });
    let accounts = test.accounts.clone();
    let desktop_profile = test.accounts.clone();
    let friend_name = "Frieda Friend";
    let user_id = user.user_id.clone();
    on_gtk_thread(move || {
        let window = Window::new(&app());
        window.start(accounts);
        present_at(&window, 360, 720);
        let ready = || {
            let rooms = listed(&window);
            rooms.len() == 3
                && rooms
                    .iter()
                    .filter(|s| matches!(s.preview, Preview::Message { .. }))
                    .count()
                    == 2
                && rooms
                    .iter()
                    .any(|s| s.name == "Book club" && s.mentions > 0)
        };
        wait_for(
            "three rooms with previews and a mention",
            Duration::from_secs(60),
            ready,
            || format!("{:#?}", listed(&window)),
        );
        settle();
        let rooms = listed(&window);
        assert_eq!(rooms[0].name, "Garden party", "the invitation on top");
        assert!(rooms[0].is_invite);
        assert_eq!(rooms[1].name, "Friend", "then the latest activity");
        assert_eq!(
            rooms[1].preview,
            Preview::Message {
                sender: format!("@sidebar-friend:{}", synapse::shared().server_name()),
                sender_name: friend_name.into(),
                own: false,
                body: "This one is end-to-end encrypted".into()
            },
            "the encrypted message is decrypted for the preview"
        );

        let friend = row_named(&window, "Friend").expect("the room's row is drawn");
        assert_eq!(friend.avatar().text().as_deref(), Some("Friend"));
        assert!(friend.avatar().shows_initials());
        assert_eq!(
            friend.preview(),
            "Frieda Friend: This one is end-to-end encrypted"
        );
        // Today's message shows its time of day: the clock time of the latest message
        // itself, not some other time with a colon.
        let sent = rooms[1].timestamp_ms.expect("the latest message's time");
        let then = glib::DateTime::from_unix_local(i64::try_from(sent / 1000).unwrap()).unwrap();
        let now = glib::DateTime::now_local().unwrap();
        assert!(
            now.difference(&then).as_seconds().abs() < 600,
            "the time is the message's, sent moments ago"
        );
        let time = friend.time();
        let clock = |format: &str| then.format(format).unwrap().trim().to_owned();
        if then.day_of_month() == now.day_of_month() {
            assert!(
                time == clock("%H:%M") || time == clock("%l:%M %p"),
                "today's message shows its time {}: {time}",
                clock("%H:%M")
            );
        } else {
            // Sent just before midnight: yesterday shows as a weekday.
            assert_eq!(time, clock("%a"));
        }
        let book_row = row_named(&window, "Book club").unwrap();
        // The SDK counts what it has seen of the timeline: at least the latest message.
        let unread = book_row.unread_badge().expect("an unread badge");
        assert!(unread.parse::<u32>().is_ok_and(|n| n >= 1), "{unread}");
        assert!(book_row.shows_mention_badge(), "the mention stands out");
        assert!(
            book_row
                .preview()
                .starts_with("Frieda Friend: sidebar, can you bring the tea?")
        );
        assert!(!friend.shows_mention_badge());
        let invite = row_named(&window, "Garden party").unwrap();
        assert_eq!(invite.preview(), "Invitation");
        assert!(invite.decline_button().is_some());
        assert!(invite.accept_button().is_some(), "an invitation has Accept");
        screenshots_in_both_styles(&window, "sidebar-360x720");

        // The search entry narrows by name; nothing matching says so.
        let pane = window.room_list_pane();
        WidgetExt::activate_action(&window, "win.search", None).unwrap();
        settle();
        assert!(pane.search_bar().is_search_mode());
        pane.search_entry().set_text("book");
        wait_for_names(&window, "the search for “book”", &["Book club"]);
        settle();
        assert_eq!(
            pane.rows()
                .iter()
                .filter(|r| r.is_mapped())
                .map(|r| r.name())
                .collect::<Vec<_>>(),
            ["Book club"]
        );
        screenshot(&window, "sidebar-360x720-search");
        pane.search_entry().set_text("zzz");
        wait_for_names(&window, "no room for “zzz”", &[]);
        settle();
        assert_eq!(pane.status(), "no-match");
        screenshot(&window, "sidebar-360x720-no-match");
        pane.search_bar().set_search_mode(false);
        wait_for_names(
            &window,
            "all rooms once the search closes",
            &["Garden party", "Friend", "Book club"],
        );

        // The kind buttons. Each change resets the sections; People comes last but one so
        // that the change to All shows in the names (its resets are all in before what
        // follows).
        pane.kind_button(RoomKind::Groups).set_active(true);
        wait_for_names(
            &window,
            "the groups",
            &["Garden party", "Friend", "Book club"],
        );
        pane.kind_button(RoomKind::Unread).set_active(true);
        wait_for(
            "the unread rooms",
            Duration::from_secs(30),
            || {
                let names = listed_names(&window);
                names.contains(&"Book club".to_owned())
                    && names.contains(&"Garden party".to_owned())
            },
            || format!("{:?}", listed_names(&window)),
        );
        pane.kind_button(RoomKind::People).set_active(true);
        wait_for_names(&window, "no direct chat", &[]);
        assert_eq!(pane.status(), "no-match");
        pane.kind_button(RoomKind::All).set_active(true);
        wait_for_names(
            &window,
            "all rooms",
            &["Garden party", "Friend", "Book club"],
        );
        settle();
        assert_eq!(pane.status(), "rooms");

        // A new message changes rows, never the whole list.
        let changes = Rc::new(RefCell::new(Vec::new()));
        let seen = changes.clone();
        let handler = window
            .rooms()
            .connect_items_changed(move |_, position, removed, added| {
                seen.borrow_mut().push((position, removed, added));
            });
        harness::runtime().block_on(peers::send_text(&book, "See you Thursday"));
        wait_for(
            "the new message in the list",
            Duration::from_secs(30),
            || {
                listed(&window).iter().any(|s| {
                    matches!(&s.preview, Preview::Message { body, .. } if body == "See you Thursday")
                })
            },
            || format!("{:#?}", listed(&window)),
        );
        window.rooms().disconnect(handler);
        assert!(
            changes
                .borrow()
                .iter()
                .all(|(_, removed, added)| *removed <= 1 && *added <= 1),
            "one row at a time: {:?}",
            changes.borrow()
        );
        assert_eq!(
            listed_names(&window)[1],
            "Book club",
            "the room with the new message moves up"
        );

        // Accept the invitation from its row (looked up again: rows are recycled).
        settle();
        row_named(&window, "Garden party")
            .and_then(|row| row.accept_button())
            .expect("the invitation's Accept button")
            .emit_clicked();
        wait_for(
            "the accepted invitation to become a room",
            Duration::from_secs(60),
            || {
                listed(&window)
                    .iter()
                    .any(|s| s.name == "Garden party" && !s.is_invite)
            },
            || format!("{:#?}", listed(&window)),
        );
        settle();
        assert!(
            row_named(&window, "Garden party")
                .and_then(|row| row.accept_button())
                .is_none(),
            "a joined room has no Accept button"
        );

        let first = listed(&window)
            .into_iter()
            .find(|s| s.name == "Friend")
            .unwrap();
        window.open_room(&first.room_id);
        settle();
        assert_eq!(window.visible_panes(), vec![Pane::Content]);
        window.destroy();

        // The same account on a desktop-sized window, restored from its store, with an
        // invitation again for the screenshots.
        let window = Window::new(&app());
        window.start(desktop_profile);
        present_at(&window, 1280, 800);
        harness::runtime().block_on(async {
            peers::create_room(&friend_client, "Choir", false, &[&user_id]).await;
        });
        wait_for(
            "the rooms and the new invitation",
            Duration::from_secs(60),
            || {
                let rooms = listed(&window);
                rooms.len() == 4 && rooms[0].name == "Choir"
            },
            || format!("{:#?}", listed(&window)),
        );
        window.open_room(&first.room_id);
        settle();
        assert_eq!(window.visible_panes(), vec![Pane::Sidebar, Pane::Content]);
        screenshots_in_both_styles(&window, "sidebar-1280x800");
        window.destroy();
    });
    assert_eq!(test.accounts.list().unwrap()[0].user_id, user.user_id);
}

#[test]
fn five_hundred_rooms_arrive_in_one_change_and_draw_only_the_rows_on_screen() {
    on_gtk_thread(|| {
        let pane = sotto::ui::room_list::pane::RoomListPane::default();
        let window = gtk::Window::builder().child(&pane).build();
        present_at(&window, 360, 720);
        let changes = Rc::new(RefCell::new(Vec::new()));
        let seen = changes.clone();
        pane.rooms()
            .connect_items_changed(move |_, position, removed, added| {
                seen.borrow_mut().push((position, removed, added));
            });
        let values = (0..500)
            .map(|i| {
                let mut summary = room(&format!("Room {i:03}"));
                summary.preview = Preview::Message {
                    sender: "@someone:localhost".into(),
                    sender_name: "Someone".into(),
                    own: false,
                    body: format!("message {i}"),
                };
                summary.timestamp_ms = Some(1_700_000_000_000 - i * 60_000);
                summary.unread = i % 3;
                summary
            })
            .collect();
        let started = std::time::Instant::now();
        pane.model().apply(RoomListUpdate {
            section: Section::Rooms,
            diffs: vec![VectorDiff::Reset { values }],
        });
        settle();
        println!("500 rooms applied and drawn in {:?}", started.elapsed());
        assert_eq!(pane.rooms().n_items(), 500);
        assert_eq!(pane.status(), "rooms");
        assert_eq!(
            *changes.borrow(),
            [(0, 0, 500)],
            "one change for the whole reset"
        );
        let drawn = pane.rows().len();
        // GTK 4.8's list view keeps up to 200 rows around what shows, so the pane gives it
        // the first rooms only (one page more at once when a screen shows near the end of
        // them), and more as the person scrolls.
        let first = sotto::ui::room_list::pane::ROWS_AT_A_TIME as usize;
        assert!(
            (5..=2 * first + 4).contains(&drawn),
            "the list view makes rows for what shows, not for all 500: {drawn}"
        );

        changes.borrow_mut().clear();
        let mut changed = room("Room 250");
        changed.unread = 9;
        pane.model().apply(RoomListUpdate {
            section: Section::Rooms,
            diffs: vec![VectorDiff::Set {
                index: 250,
                value: changed,
            }],
        });
        assert_eq!(*changes.borrow(), [(250, 1, 1)]);

        // Scrolling down gives the list view more rooms, until the last one shows.
        let scroller = pane.rows()[0]
            .ancestor(gtk::ScrolledWindow::static_type())
            .and_downcast::<gtk::ScrolledWindow>()
            .expect("the rows scroll");
        let adjustment = scroller.vadjustment();
        let mut scrolls = 0;
        while pane.rows_available() < 500 && scrolls < 100 {
            adjustment.set_value(adjustment.upper() - adjustment.page_size());
            settle();
            scrolls += 1;
        }
        assert_eq!(pane.rows_available(), 500, "after {scrolls} scrolls");
        assert!(scrolls > 1, "more rooms came a screen or so at a time");
        adjustment.set_value(adjustment.upper() - adjustment.page_size());
        settle();
        assert!(
            pane.rows()
                .iter()
                .any(|row| row.is_mapped() && row.name() == "Room 499"),
            "the last room shows at the end"
        );
        window.destroy();
    });
}
