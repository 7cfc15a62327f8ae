//! The conversation pane under Xvfb, driven through its widgets and actions: open a room,
//! read formatted messages from someone else, send, reply, edit, react, and see a message
//! that could not be sent. Screenshots at phone and desktop size, light and dark.

use std::time::Duration;

use gtk::prelude::*;
use matrix_sdk::ruma::events::room::message::RoomMessageEventContent;
use sotto::engine::timeline::{Body, Entry, EntryKind, EventEntry, ReplyText, SendState};
use sotto::ui::diff_store::value_of;
use sotto::ui::room_view::RoomView;
use sotto::ui::window::Window;

use crate::harness::ui::{on_gtk_thread, open_window, screenshot, settle, wait_for};
use crate::harness::{self, TestProfile, peers, synapse};

const FORMATTED_HTML: &str = "<p><b>Agenda</b> for <i>Thursday</i>:</p>\
<ul><li>read <code>chapter 3</code></li><li>bring <del>cake</del> tea</li></ul>\
<blockquote>Words are, of course, the most powerful drug.</blockquote>\
<p>Notes at <a href=\"https://example.org/notes\">the club page</a>\
<script>alert('no')</script><img src=\"http://tracker.example/pixel.png\"></p>";

fn events(view: &RoomView) -> Vec<(String, EventEntry)> {
    let Some(store) = view.store() else {
        return Vec::new();
    };
    (0..store.n_items())
        .filter_map(|i| store.item(i))
        .filter_map(|item| value_of::<Entry>(&item))
        .filter_map(|entry| match entry.kind {
            EntryKind::Event(event) => Some((entry.unique_id, *event)),
            _ => None,
        })
        .collect()
}

/// The real window signed in with `accounts`, at `size`, once it lists `rooms` rooms.
fn window_listing(
    accounts: sotto::engine::accounts::Accounts,
    size: (i32, i32),
    rooms: u32,
) -> Window {
    let window = open_window(accounts, size.0, size.1, "session");
    wait_for(
        "the rooms in the list",
        Duration::from_secs(60),
        || window.rooms().n_items() == rooms,
        || window.page(),
    );
    window
}

fn plain(event: &EventEntry) -> Option<&str> {
    event.copy_text()
}

fn wait_for_event(
    view: &RoomView,
    what: &str,
    found: impl Fn(&EventEntry) -> bool,
) -> (String, EventEntry) {
    wait_for(
        what,
        Duration::from_secs(60),
        || events(view).iter().any(|(_, e)| found(e)),
        || {
            format!(
                "{:#?}",
                events(view).into_iter().map(|(_, e)| e).collect::<Vec<_>>()
            )
        },
    );
    events(view)
        .into_iter()
        .find(|(_, e)| found(e))
        .expect("just seen")
}

fn type_and_send(view: &RoomView, text: &str) {
    let composer = view.composer();
    composer.text_view().buffer().set_text(text);
    assert!(composer.send_button().is_sensitive());
    composer.send_button().emit_clicked();
    assert_eq!(composer.text(), "", "the composer empties after sending");
}

fn run_action(view: &RoomView, action: &str, unique_id: &str) {
    WidgetExt::activate_action(view, action, Some(&unique_id.to_variant()))
        .expect("the room action exists");
}

#[test]
fn a_conversation_with_replies_reactions_edits_and_a_failed_message() {
    let test = TestProfile::new();
    // A server of its own: the end of the test stops it to make a message fail.
    let server = synapse::Synapse::start();
    let runtime = harness::runtime();
    let (room_id, friend_client) = runtime.block_on(async {
        let user = server.register("reader").await;
        let friend = server.register("friend").await;
        let session = test
            .accounts
            .login(&server.url(), &user.localpart, &user.password)
            .await
            .unwrap();
        let friend_client = peers::login(&server, &friend).await;
        friend_client
            .account()
            .set_display_name(Some("Frida"))
            .await
            .unwrap();
        peers::publish_sotto_keys(&session, &friend_client).await;
        let room = peers::create_room(&friend_client, "Book club", true, &[&user.user_id]).await;
        session
            .client()
            .join_room_by_id(room.room_id())
            .await
            .unwrap();
        friend_client.sync_once(Default::default()).await.unwrap();
        let room = friend_client.get_room(room.room_id()).unwrap();
        peers::send_text(&room, "Welcome to the book club!").await;
        room.send(RoomMessageEventContent::text_html(
            "Agenda for Thursday",
            FORMATTED_HTML,
        ))
        .await
        .unwrap();
        room.send(RoomMessageEventContent::emote_plain("brings biscuits"))
            .await
            .unwrap();
        (room.room_id().to_string(), friend_client)
    });

    let accounts = test.accounts.clone();
    let room = room_id.clone();
    on_gtk_thread(move || {
        let window = window_listing(accounts, (360, 720), 1);
        window.open_room(&crate::harness::rid(&room));
        let view = window.room_view();
        let (_, welcome) = wait_for_event(&view, "the welcome message", |e| {
            plain(e) == Some("Welcome to the book club!")
        });
        assert!(welcome.encrypted);
        assert_eq!(welcome.sender_name, "Frida");
        let (_, formatted) = wait_for_event(&view, "the formatted message", |e| {
            plain(e) == Some("Agenda for Thursday")
        });
        let Body::Text { markup, .. } = &formatted.body else {
            panic!("a text message: {formatted:?}");
        };
        assert!(markup.contains("<b>Agenda</b>"), "{markup}");
        assert!(
            !markup.contains("script")
                && !markup.contains("alert")
                && !markup.contains("tracker.example"),
            "{markup}"
        );
        wait_for_event(&view, "the emote", |e| matches!(e.body, Body::Emote { .. }));

        // Send, reply, edit and react through the composer and the room actions.
        type_and_send(&view, "Hello from **Sotto**");
        let (own_id, _) = wait_for_event(&view, "the own message on the server", |e| {
            e.is_own
                && plain(e) == Some("Hello from **Sotto**")
                && e.send_state == SendState::Remote
        });
        let (welcome_id, _) = wait_for_event(&view, "welcome", |e| {
            plain(e) == Some("Welcome to the book club!")
        });
        run_action(&view, "room.reply", &welcome_id);
        assert!(matches!(
            view.composer().mode(),
            sotto::ui::room_view::composer::Mode::Reply { .. }
        ));
        type_and_send(&view, "Glad to be here");
        wait_for_event(&view, "the reply", |e| {
            plain(e) == Some("Glad to be here")
                && e.reply_to.as_ref().and_then(|r| r.text.as_ref())
                    == Some(&ReplyText::Message("Welcome to the book club!".to_owned()))
        });
        run_action(&view, "room.edit", &own_id);
        assert_eq!(view.composer().text(), "Hello from **Sotto**");
        type_and_send(&view, "Hello from *Sotto*, edited");
        wait_for_event(&view, "the edit", |e| {
            e.is_own && e.edited && plain(e) == Some("Hello from *Sotto*, edited")
        });
        WidgetExt::activate_action(
            &view,
            "room.toggle-reaction",
            Some(&(welcome_id.clone(), "🎉".to_owned()).to_variant()),
        )
        .unwrap();
        wait_for_event(&view, "the reaction", |e| {
            plain(e) == Some("Welcome to the book club!")
                && e.reactions.iter().any(|r| r.key == "🎉" && r.own)
        });
        settle();
        screenshot(&window, "conversation-360x720");
        let menu = view
            .open_menu(&welcome_id)
            .expect("the message has actions");
        settle();
        screenshot(&menu, "conversation-menu-360x720");
        menu.popdown();
        window.close_room();
        window.open_room(&crate::harness::rid(&room));
        window.destroy();
    });

    // The friend reacts too, so the screenshots show counts.
    runtime.block_on(async {
        friend_client.sync_once(Default::default()).await.unwrap();
    });

    let accounts = test.accounts.clone();
    let room = room_id.clone();
    let server_ref = &server;
    let window_size_shots = move |dark: bool| {
        let accounts = accounts.clone();
        let room = room.clone();
        on_gtk_thread(move || {
            let style = adw::StyleManager::default();
            style.set_color_scheme(if dark {
                adw::ColorScheme::ForceDark
            } else {
                adw::ColorScheme::ForceLight
            });
            let window = window_listing(accounts, (1280, 800), 1);
            window.open_room(&crate::harness::rid(&room));
            let view = window.room_view();
            wait_for_event(&view, "the edited message", |e| e.edited);
            settle();
            let scheme = if dark { "dark" } else { "light" };
            screenshot(&window, &format!("conversation-1280x800-{scheme}"));
            style.set_color_scheme(adw::ColorScheme::Default);
            window.destroy();
        });
    };
    window_size_shots(false);
    window_size_shots(true);

    // A message sent while the server is down fails visibly and can be retried.
    let accounts = test.accounts.clone();
    let room = room_id.clone();
    let stopper = server_ref;
    let window = on_gtk_thread(move || {
        let window = window_listing(accounts, (360, 720), 1);
        window.open_room(&crate::harness::rid(&room));
        let view = window.room_view();
        wait_for_event(&view, "the conversation", |e| e.edited);
        glib_send_wrapper(window)
    });
    stopper.stop();
    on_gtk_thread(move || {
        let window = window.into_inner();
        let view = window.room_view();
        type_and_send(&view, "This one cannot reach the server");
        let (failed_id, _) = wait_for_event(&view, "the failed message", |e| {
            plain(e) == Some("This one cannot reach the server")
                && matches!(e.send_state, SendState::Failed { .. })
        });
        settle();
        screenshot(&window, "conversation-failed-360x720");
        let style = adw::StyleManager::default();
        style.set_color_scheme(adw::ColorScheme::ForceDark);
        settle();
        screenshot(&window, "conversation-failed-360x720-dark");
        style.set_color_scheme(adw::ColorScheme::Default);
        // Discarding a message that was never sent removes it.
        run_action(&view, "room.discard", &failed_id);
        wait_for(
            "the discarded message to go",
            Duration::from_secs(30),
            || {
                !events(&view)
                    .iter()
                    .any(|(_, e)| plain(e) == Some("This one cannot reach the server"))
            },
            || format!("{:#?}", events(&view)),
        );
        window.destroy();
    });
}

/// Moves a window between closures that all run on the GTK thread.
struct SendWindow(Window);
// SAFETY: the window is only ever touched on the GTK test thread (`on_gtk_thread`).
unsafe impl Send for SendWindow {}

impl SendWindow {
    fn into_inner(self) -> Window {
        self.0
    }
}

fn glib_send_wrapper(window: Window) -> SendWindow {
    SendWindow(window)
}

/// A visible button labelled `label` in the conversation.
fn find_button(view: &RoomView, label: &str) -> Option<gtk::Button> {
    let mut stack: Vec<gtk::Widget> = vec![view.list_view().upcast()];
    while let Some(w) = stack.pop() {
        if let Some(button) = w.downcast_ref::<gtk::Button>()
            && button.label().as_deref() == Some(label)
            && button.is_visible()
        {
            return Some(button.clone());
        }
        let mut c = w.first_child();
        while let Some(next) = c {
            c = next.next_sibling();
            stack.push(next);
        }
    }
    None
}

/// The body label of the row showing `unique_id`, when that row is on screen.
fn body_label_of(view: &RoomView, unique_id: &str) -> Option<gtk::Label> {
    let mut child = view.list_view().first_child();
    while let Some(widget) = child {
        if let Some(row) = widget
            .first_child()
            .and_downcast::<sotto::ui::room_view::row::MessageRow>()
            .filter(|r| r.unique_id() == unique_id)
        {
            let mut stack: Vec<gtk::Widget> = vec![row.upcast()];
            while let Some(w) = stack.pop() {
                // Shown (a row can briefly hold a hidden repeat of its entry).
                if let Some(label) = w.downcast_ref::<gtk::Label>()
                    && label.has_css_class("message-body")
                    && label.is_mapped()
                {
                    return Some(label.clone());
                }
                let mut c = w.first_child();
                while let Some(next) = c {
                    c = next.next_sibling();
                    stack.push(next);
                }
            }
        }
        child = widget.next_sibling();
    }
    None
}

#[test]
fn a_spoiler_is_hidden_until_it_is_tapped() {
    use sotto::engine::html::SPOILER_URI;
    let test = TestProfile::new();
    let server = synapse::shared();
    let room_id = harness::runtime().block_on(async {
        let (user, session, friend_client) = test.signed_in_with_friend(server, "spoiled").await;
        peers::publish_sotto_keys(&session, &friend_client).await;
        let room = peers::create_room(&friend_client, "Film night", true, &[&user.user_id]).await;
        session
            .client()
            .join_room_by_id(room.room_id())
            .await
            .unwrap();
        friend_client.sync_once(Default::default()).await.unwrap();
        let room = friend_client.get_room(room.room_id()).unwrap();
        room.send(RoomMessageEventContent::text_html(
            "The ending: Rosebud is the sled",
            "The ending: <span data-mx-spoiler=\"Citizen Kane\">Rosebud is the sled</span>",
        ))
        .await
        .unwrap();
        room.room_id().to_string()
    });

    let accounts = test.accounts.clone();
    on_gtk_thread(move || {
        let window = window_listing(accounts, (360, 720), 1);
        window.open_room(&crate::harness::rid(&room_id));
        let view = window.room_view();
        let (id, event) = wait_for_event(&view, "the spoiler", |e| {
            plain(e) == Some("The ending: Rosebud is the sled")
        });
        let Body::Text { revealed, .. } = &event.body else {
            panic!("a text message: {event:?}");
        };
        assert!(revealed.is_some(), "the message has a spoiler to reveal");
        let mut label = None;
        wait_for(
            "the spoiler's row",
            Duration::from_secs(30),
            || {
                label = body_label_of(&view, &id);
                label.is_some()
            },
            || format!("{:#?}", events(&view)),
        );
        let label = label.unwrap();
        let hidden = label.label().to_string();
        assert!(
            hidden.contains(SPOILER_URI) && hidden.contains("fgalpha=\"1\""),
            "hidden behind a link that reveals it: {hidden}"
        );
        assert!(hidden.contains("Spoiler: Citizen Kane"), "{hidden}");
        settle();
        screenshot(&window, "conversation-spoiler-hidden-360x720");

        // A tap on the spoiler activates its link (on the row showing it now: the list may
        // have rebound its rows while the screenshot was taken).
        let label = body_label_of(&view, &id).expect("the spoiler's row");
        let handled: bool = label.emit_by_name("activate-link", &[&SPOILER_URI]);
        assert!(handled, "the row handles the spoiler's link itself");
        let shown = label.label().to_string();
        assert!(!shown.contains(SPOILER_URI), "{shown}");
        assert!(!shown.contains("fgalpha=\"1\""), "{shown}");
        assert!(
            shown.contains("Spoiler: Citizen Kane"),
            "the reason stays: {shown}"
        );
        assert!(label.text().contains("Rosebud is the sled"));
        settle();
        screenshot(&window, "conversation-spoiler-revealed-360x720");
        window.set_default_size(1280, 800);
        settle();
        screenshot(&window, "conversation-spoiler-revealed-1280x800");

        // The room's first changes are folded under one line; its button unfolds them.
        let fold = find_button(&view, "Show All").expect("the folded changes' button");
        fold.emit_clicked();
        wait_for(
            "the changes to unfold",
            Duration::from_secs(10),
            || find_button(&view, "Hide").is_some(),
            || format!("{:#?}", events(&view)),
        );
        window.destroy();
    });
}

#[test]
fn going_back_to_a_recent_room_shows_it_again_and_keeps_following_it() {
    let test = TestProfile::new();
    let server = synapse::shared();
    let (rooms, friend_client) = harness::runtime().block_on(async {
        let (user, session, friend_client) = test.signed_in_with_friend(server, "wanderer").await;
        peers::publish_sotto_keys(&session, &friend_client).await;
        let mut rooms = Vec::new();
        for name in ["North", "East", "South", "West"] {
            let room = peers::create_room(&friend_client, name, true, &[&user.user_id]).await;
            session
                .client()
                .join_room_by_id(room.room_id())
                .await
                .unwrap();
            rooms.push(room.room_id().to_string());
        }
        friend_client.sync_once(Default::default()).await.unwrap();
        let north = friend_client
            .get_room(<&matrix_sdk::ruma::RoomId>::try_from(rooms[0].as_str()).unwrap())
            .unwrap();
        peers::send_text(&north, "Meet at the north gate").await;
        (rooms, friend_client)
    });

    let accounts = test.accounts.clone();
    let (to_north, told) = std::sync::mpsc::channel::<()>();
    let (said, north_said) = std::sync::mpsc::channel::<()>();
    let friend = std::thread::spawn({
        let north = rooms[0].clone();
        move || {
            told.recv().unwrap();
            harness::runtime().block_on(async {
                let room = friend_client
                    .get_room(<&matrix_sdk::ruma::RoomId>::try_from(north.as_str()).unwrap())
                    .unwrap();
                peers::send_text(&room, "The gate is open now").await;
            });
            said.send(()).unwrap();
        }
    });
    on_gtk_thread(move || {
        let window = window_listing(accounts, (360, 720), 4);
        let view = window.room_view();
        window.open_room(&crate::harness::rid(&rooms[0]));
        wait_for_event(&view, "North's message", |e| {
            plain(e) == Some("Meet at the north gate")
        });
        for room in &rooms[1..] {
            window.open_room(&crate::harness::rid(room));
            wait_for(
                "the room to open",
                Duration::from_secs(30),
                || {
                    view.timeline()
                        .is_some_and(|t| t.room_id().as_str() == room)
                },
                || window.page(),
            );
        }
        assert_eq!(
            window.recent_rooms(),
            rooms[1..].to_vec(),
            "the three rooms opened last are kept, the first let go"
        );
        window.open_room(&crate::harness::rid(&rooms[1]));
        wait_for(
            "East again",
            Duration::from_secs(30),
            || {
                view.timeline()
                    .is_some_and(|t| t.room_id().as_str() == rooms[1])
            },
            || window.page(),
        );
        assert_eq!(
            window.recent_rooms(),
            [&rooms[2], &rooms[3], &rooms[1]]
                .map(String::clone)
                .to_vec(),
            "East is the most recent again, without a second copy"
        );
        // Tapping the room that is open again shows it as it is.
        let open = view.timeline().expect("East is open");
        window.open_room(&crate::harness::rid(&rooms[1]));
        assert!(
            view.timeline()
                .is_some_and(|t| t.room_id() == open.room_id()),
            "still East"
        );
        assert_eq!(window.visible_panes(), [sotto::ui::window::Pane::Content]);

        // North again: opened anew, and what arrives while it is shown appears.
        window.open_room(&crate::harness::rid(&rooms[0]));
        wait_for_event(&view, "North's message again", |e| {
            plain(e) == Some("Meet at the north gate")
        });
        to_north.send(()).unwrap();
        wait_for_event(&view, "the new message in North", |e| {
            plain(e) == Some("The gate is open now")
        });
        north_said.recv().unwrap();
        window.destroy();
    });
    friend.join().unwrap();
}

/// The numbers of the "History N" messages in the view, top to bottom.
fn history_shown(view: &RoomView) -> Vec<usize> {
    events(view)
        .iter()
        .filter_map(|(_, e)| {
            let rest = plain(e)?.strip_prefix("History ")?;
            rest.split(':').next()?.parse().ok()
        })
        .collect()
}

/// Message `i` of the history: long enough to take a few lines on a phone.
fn history_message(i: usize) -> String {
    format!(
        "History {i}: the minutes of the meeting, read out once more for everyone who \
         came late, with the decisions taken and the questions left for next time"
    )
}

/// Scrolls the conversation to its top until the first of `count` messages shows.
fn scroll_up_to_the_start(window: &Window, view: &RoomView, count: usize) {
    let adjustment = view.list_view().vadjustment().expect("the list scrolls");
    wait_for(
        "the whole history after scrolling up",
        Duration::from_secs(90),
        || {
            adjustment.set_value(0.0);
            history_shown(view).first() == Some(&0)
        },
        || format!("{:?} {}", history_shown(view), window.page()),
    );
    assert_eq!(
        history_shown(view),
        (0..count).collect::<Vec<_>>(),
        "every message once, oldest first"
    );
}

#[test]
fn scrolling_up_shows_the_whole_history_and_a_room_opened_again_starts_with_its_latest_page() {
    const COUNT: usize = 90;
    let test = TestProfile::new();
    let server = synapse::shared();
    let room_id = harness::runtime().block_on(async {
        let (user, session, friend_client) = test.signed_in_with_friend(server, "historian").await;
        let room = peers::create_room(&friend_client, "Archive", false, &[&user.user_id]).await;
        session
            .client()
            .join_room_by_id(room.room_id())
            .await
            .unwrap();
        for i in 0..COUNT {
            peers::send_text(&room, &history_message(i)).await;
        }
        room.room_id().to_string()
    });

    let accounts = test.accounts.clone();
    on_gtk_thread(move || {
        let window = window_listing(accounts, (360, 720), 1);
        let view = window.room_view();
        window.open_room(&crate::harness::rid(&room_id));
        let latest = history_message(COUNT - 1);
        wait_for_event(&view, "the latest message", |e| plain(e) == Some(&latest));
        settle();
        screenshot(&window, "conversation-opened-360x720");
        // Older messages come from the server, a page at a time, as the person scrolls up.
        scroll_up_to_the_start(&window, &view, COUNT);

        // Back to the list and into the room again: its conversation is kept with every
        // message, but the view starts with the latest page, not a row for each of them.
        window.close_room();
        settle();
        window.open_room(&crate::harness::rid(&room_id));
        wait_for_event(&view, "the latest message again", |e| {
            plain(e) == Some(&latest)
        });
        settle();
        let shown = view.store().map(|s| s.n_items()).unwrap_or_default();
        assert!(
            (10..=30).contains(&shown),
            "a few screens shown at first, not all {COUNT} messages: {shown} rows"
        );
        assert!(!history_shown(&view).contains(&0));
        screenshot(&window, "conversation-opened-again-360x720");
        // Scrolling up shows the others again.
        scroll_up_to_the_start(&window, &view, COUNT);
        window.destroy();
    });
}

#[test]
fn a_closed_room_and_a_signed_out_account_leave_nothing_following_the_timeline() {
    let test = TestProfile::new();
    let server = synapse::shared();
    let room_id = harness::runtime().block_on(async {
        let (user, session, friend_client) = test.signed_in_with_friend(server, "closer").await;
        let room = peers::create_room(&friend_client, "Quiet", false, &[&user.user_id]).await;
        session
            .client()
            .join_room_by_id(room.room_id())
            .await
            .unwrap();
        peers::send_text(&room, "Nothing more after this").await;
        room.room_id().to_string()
    });

    let accounts = test.accounts.clone();
    on_gtk_thread(move || {
        let window = window_listing(accounts, (360, 720), 1);
        let view = window.room_view();
        window.open_room(&crate::harness::rid(&room_id));
        wait_for_event(&view, "the message", |e| {
            plain(e) == Some("Nothing more after this")
        });
        let timeline = view.timeline().expect("the room is open");
        let following = || timeline.subscriber_count();
        assert_eq!(following(), 1, "the open conversation follows its timeline");

        // Nothing happens in the room any more: only closing it can stop the following.
        window.close_room();
        wait_for(
            "the closed conversation to let go of its timeline",
            Duration::from_secs(5),
            || following() == 0,
            || format!("{} still following", following()),
        );

        // Opened again from the recent ones, then the account signs out.
        window.open_room(&crate::harness::rid(&room_id));
        wait_for(
            "the conversation to follow its timeline again",
            Duration::from_secs(30),
            || following() == 1,
            || format!("{} following", following()),
        );
        window.sign_out();
        wait_for(
            "the signed-out account to let go of the timeline",
            Duration::from_secs(5),
            || following() == 0,
            || format!("{} still following", following()),
        );
        wait_for(
            "the greeter after signing out",
            Duration::from_secs(60),
            || window.page() == "greeter",
            || window.page(),
        );
        window.destroy();
    });
}

#[test]
fn the_conversation_store_shows_the_latest_items_and_follows_every_diff() {
    use eyeball_im::{Vector, VectorDiff};
    use sotto::ui::diff_store::{Touched, Windowed};

    on_gtk_thread(|| {
        let shown = |window: &Windowed| -> Vec<u32> {
            let store = window.store();
            (0..store.n_items())
                .filter_map(|i| value_of::<u32>(&store.item(i)?))
                .collect()
        };
        // A room opens with 100 items in memory: the last 30 show, the others wait.
        let mut window = Windowed::new(30);
        let mut all: Vector<u32> = (0..100).collect();
        window.apply(VectorDiff::Reset {
            values: all.clone(),
        });
        assert_eq!(window.hidden(), 70);
        assert_eq!(shown(&window), (70..100).collect::<Vec<_>>());
        let tail =
            |all: &Vector<u32>, from: usize| all.iter().skip(from).copied().collect::<Vec<_>>();
        // Older items a pagination brings wait in front; new ones show at once.
        assert_eq!(
            window.apply(VectorDiff::PushFront { value: 1000u32 }),
            Touched::Nothing
        );
        all.push_front(1000);
        assert_eq!(
            window.apply(VectorDiff::PushBack { value: 1001u32 }),
            Touched::At(30)
        );
        all.push_back(1001);
        assert_eq!(window.hidden(), 71);
        // Scrolling up moves them in, a page at a time.
        assert_eq!(window.reveal(30), Touched::At(29));
        assert_eq!(shown(&window), tail(&all, 41));

        // Any sequence of diffs, with reveals between them: the store always shows the
        // list from the first shown item on, and everything once all is revealed.
        let mut seed: u64 = 0x5eed;
        let mut next = |below: usize| -> usize {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as usize) % below.max(1)
        };
        for step in 0..3000 {
            let fresh = 2000 + step;
            let len = all.len();
            let diff = match next(12) {
                0 => VectorDiff::PushFront { value: fresh },
                1 => VectorDiff::PushBack { value: fresh },
                2 | 3 => VectorDiff::Insert {
                    index: next(len + 1),
                    value: fresh,
                },
                4 if len > 0 => VectorDiff::Set {
                    index: next(len),
                    value: fresh,
                },
                5 if len > 0 => VectorDiff::Remove { index: next(len) },
                6 if len > 0 => VectorDiff::PopFront,
                7 if len > 0 => VectorDiff::PopBack,
                8 => VectorDiff::Append {
                    values: (0..next(4) as u32).map(|i| fresh * 10 + i).collect(),
                },
                9 if step % 50 == 0 => VectorDiff::Truncate {
                    length: next(len + 1),
                },
                10 if step % 200 == 0 => VectorDiff::Reset {
                    values: (0..next(80) as u32).map(|i| fresh * 100 + i).collect(),
                },
                11 if step % 300 == 0 => VectorDiff::Clear,
                _ => {
                    window.reveal(next(20));
                    assert_eq!(shown(&window), tail(&all, window.hidden()), "step {step}");
                    continue;
                }
            };
            diff.clone().apply(&mut all);
            window.apply(diff);
            assert_eq!(shown(&window), tail(&all, window.hidden()), "step {step}");
        }
        window.reveal(usize::MAX);
        assert_eq!(window.hidden(), 0);
        assert_eq!(shown(&window), tail(&all, 0));
    });
}
