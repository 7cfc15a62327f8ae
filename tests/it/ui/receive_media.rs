//! Received pictures in the real window under Xvfb: a nio (libolm) peer sends encrypted
//! pictures. In a direct chat they load by themselves and show at their proportions with
//! the caption; a bomb, a cut JPEG and a text file that claims to be a PNG each show a
//! sentence instead. In a group, a stranger's picture waits for a tap, and Synapse's request
//! log proves that nothing was fetched until then. Screenshots at 360×720 and 1280×800.

use std::time::Duration;

use adw::prelude::*;
use gtk::glib;
use sotto::engine::media::autoload::RoomKind;
use sotto::engine::sync::AccountSync;
use sotto::ui::room_view::RoomView;
use sotto::ui::room_view::row::{MessageRow, PictureStatus};

use crate::engine::receive_media::{bomb_png, halves_png, truncated_jpeg, wait_for_picture};
use crate::harness::nio::{ImageToSend, NioPeer};
use crate::harness::sotto_room::SottoRoom;
use crate::harness::ui::{all, on_gtk_thread, open_window, present_at, screenshot, wait_for};
use crate::harness::{self, TestProfile, synapse};

/// The rows showing a picture named `name`.
fn picture_row(view: &RoomView, name: &str) -> Option<MessageRow> {
    all::<MessageRow>(view)
        .into_iter()
        .find(|row| row.is_visible() && row.picture_name().as_deref() == Some(name))
}

fn status_of(view: &RoomView, name: &str) -> Option<PictureStatus> {
    picture_row(view, name).and_then(|row| row.picture_status())
}

fn statuses(view: &RoomView) -> String {
    all::<MessageRow>(view)
        .iter()
        .filter_map(|row| Some((row.picture_name()?, row.picture_status()?)))
        .map(|(name, status)| format!("{name}: {status:?}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The media ID of an `mxc://` URI (what Synapse's request log shows of it).
fn media_id(uri: &str) -> String {
    uri.rsplit('/').next().unwrap().to_owned()
}

/// Opens Sotto's window on the room, waits for the conversation.
fn open_room(
    test: &TestProfile,
    room_id: &str,
    width: i32,
    height: i32,
) -> (sotto::ui::window::Window, RoomView) {
    let window = open_window(test.profile.clone(), width, height, "session");
    wait_for(
        "the room in the list",
        Duration::from_secs(60),
        || window.rooms().n_items() >= 1,
        || window.page(),
    );
    window.open_room(room_id);
    let view = window.room_view();
    wait_for(
        "the conversation",
        Duration::from_secs(30),
        || view.timeline().is_some(),
        String::new,
    );
    (window, view)
}

/// Sotto signed in, a nio peer, and a room nio made (a direct chat or a group), joined
/// and with nio's room keys shared with Sotto's device.
async fn room_with_nio(
    test: &TestProfile,
    sotto_user: &synapse::TestUser,
    nio_name: &str,
    direct: bool,
) -> (AccountSync, NioPeer, SottoRoom, String) {
    let server = synapse::shared();
    let entry = test.profile.accounts().unwrap().remove(0);
    let session = test.profile.restore(&entry).await.unwrap();
    let sync = AccountSync::start(&session).await.unwrap();
    let nio_user = server.register(nio_name).await;
    let mut nio = NioPeer::login(server, &nio_user).await;
    let room_id = if direct {
        nio.create_direct_room(true, &sotto_user.user_id).await
    } else {
        nio.create_room("Pictures", true, &[&sotto_user.user_id])
            .await
    };
    if direct {
        // Joined once the invitation is known, so that the SDK marks it a direct chat.
        let typed = matrix_sdk::ruma::OwnedRoomId::try_from(room_id.as_str()).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while session.client().get_room(&typed).is_none() {
            assert!(
                std::time::Instant::now() < deadline,
                "the invitation arrives"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let room = SottoRoom::open(&session, &sync, &room_id).await;
    nio.wait_for_member(&room_id, &sotto_user.user_id).await;
    nio.trust_device(&sotto_user.user_id, &session.device_id())
        .await;
    if direct {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while room.timeline().room_kind() != RoomKind::Direct {
            assert!(
                std::time::Instant::now() < deadline,
                "Sotto sees a direct chat"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    } else {
        assert_eq!(room.timeline().room_kind(), RoomKind::Group);
    }
    (sync, nio, room, room_id)
}

fn image<'a>(path: &'a std::path::Path, name: &'a str, size: (u32, u32)) -> ImageToSend<'a> {
    ImageToSend {
        path,
        name,
        mimetype: "image/png",
        size,
        bytes: None,
        caption: None,
        thumbnail: None,
        blurhash: None,
    }
}

#[test]
fn pictures_show_in_a_direct_chat_and_bad_ones_say_why() {
    let (test, sotto_user) = TestProfile::signed_in("recvui-sotto");
    let dir = tempfile::tempdir().unwrap();
    let (room_id, _nio) = harness::runtime().block_on(async {
        let (sync, mut nio, room, room_id) =
            room_with_nio(&test, &sotto_user, "recvui-nio", true).await;
        // The bad ones first, the good one last (at the bottom of the screenshots).
        let bad: [(&str, Vec<u8>); 3] = [
            ("bomb.png", bomb_png()),
            ("cut.jpg", truncated_jpeg()),
            (
                "notes.png",
                b"Dear diary, this is not a picture.\n".repeat(20),
            ),
        ];
        for (name, bytes) in &bad {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            nio.send_image(&room_id, &image(&path, name, (160, 48)))
                .await;
        }
        let file = dir.path().join("meadow.png");
        std::fs::write(&file, halves_png(600, 400, [46, 140, 60], [70, 130, 220])).unwrap();
        let thumb = dir.path().join("thumb.png");
        std::fs::write(&thumb, halves_png(300, 200, [46, 140, 60], [70, 130, 220])).unwrap();
        nio.send_image(
            &room_id,
            &ImageToSend {
                caption: Some("Our meadow"),
                thumbnail: Some((&thumb, "image/png", 300, 200)),
                blurhash: Some("LsTSUA_3fQ_3~qt7fQt7fQfQfQfQ"),
                ..image(&file, "meadow.png", (600, 400))
            },
        )
        .await;
        // Decrypted and in Sotto's store before the window opens.
        wait_for_picture(&room, "meadow.png").await;
        sync.stop().await;
        (room_id, nio)
    });

    let before = harness::peak_memory_kib();
    on_gtk_thread(move || {
        let (window, view) = open_room(&test, &room_id, 360, 720);
        wait_for(
            "the picture to show",
            Duration::from_secs(60),
            || {
                matches!(
                    status_of(&view, "meadow.png"),
                    Some(PictureStatus::Shown(..))
                )
            },
            || statuses(&view),
        );
        // Decoded at the size shown (scale 1 under Xvfb): 280 wide, at 3:2.
        assert_eq!(
            status_of(&view, "meadow.png"),
            Some(PictureStatus::Shown(280, 187))
        );
        let row = picture_row(&view, "meadow.png").unwrap();
        let frame = all::<gtk::Picture>(&row)
            .into_iter()
            .find(|p| p.is_visible())
            .unwrap();
        let (w, h) = (frame.width(), frame.height());
        assert!((270..=280).contains(&w), "shown {w}×{h}");
        assert!(
            (w * 2 - h * 3).abs() <= 3,
            "at the picture's proportions: {w}×{h}"
        );
        let labels: Vec<String> = all::<gtk::Label>(&row)
            .iter()
            .filter(|l| l.is_visible())
            .map(|l| l.text().to_string())
            .collect();
        assert!(labels.iter().any(|l| l == "Our meadow"), "{labels:?}");

        for (name, sentence) in [
            ("bomb.png", "This picture is too large to show."),
            ("cut.jpg", "This picture is damaged and cannot be shown."),
            ("notes.png", "This file is not a picture Sotto can show."),
        ] {
            wait_for(
                &format!("the sentence for {name}"),
                Duration::from_secs(60),
                || status_of(&view, name) == Some(PictureStatus::Problem(sentence.to_owned())),
                || statuses(&view),
            );
            let row = picture_row(&view, name).unwrap();
            assert!(
                all::<gtk::Label>(&row)
                    .iter()
                    .any(|l| l.is_visible() && l.text() == sentence),
                "{name}: the sentence is shown"
            );
        }
        screenshot(&window, "receive-picture-360x720");
        present_at(&window, 1280, 800);
        wait_for(
            "the picture after resizing",
            Duration::from_secs(30),
            || {
                matches!(
                    status_of(&view, "meadow.png"),
                    Some(PictureStatus::Shown(..))
                )
            },
            || statuses(&view),
        );
        screenshot(&window, "receive-picture-1280x800");
        window.close();
    });
    let grown = harness::peak_memory_kib().saturating_sub(before);
    assert!(grown < 300 * 1024, "the peak memory grew by {grown} KiB");
}

#[test]
fn in_a_group_a_strangers_picture_waits_for_a_tap() {
    let (test, sotto_user) = TestProfile::signed_in("tapui-sotto");
    let dir = tempfile::tempdir().unwrap();
    let (room_id, url, _nio) = harness::runtime().block_on(async {
        let (sync, mut nio, room, room_id) =
            room_with_nio(&test, &sotto_user, "tapui-nio", false).await;
        let file = dir.path().join("stranger.png");
        std::fs::write(&file, halves_png(400, 300, [200, 40, 40], [240, 240, 240])).unwrap();
        let (_, url) = nio
            .send_image(&room_id, &image(&file, "stranger.png", (400, 300)))
            .await;
        wait_for_picture(&room, "stranger.png").await;
        sync.stop().await;
        (room_id, url, nio)
    });
    let id = media_id(&url);

    on_gtk_thread(move || {
        let (window, view) = open_room(&test, &room_id, 360, 720);
        // The row exists and has decided: it waits for a tap.
        wait_for(
            "the row of the picture",
            Duration::from_secs(60),
            || status_of(&view, "stranger.png") == Some(PictureStatus::WaitingForTap),
            || statuses(&view),
        );
        // Give a wrong load time to happen before the negative check.
        let until = std::time::Instant::now() + Duration::from_secs(2);
        while std::time::Instant::now() < until {
            glib::MainContext::default().iteration(false);
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(
            status_of(&view, "stranger.png"),
            Some(PictureStatus::WaitingForTap)
        );
        assert!(
            !synapse::shared().access_log().contains(&id),
            "no media request before the tap"
        );
        let row = picture_row(&view, "stranger.png").unwrap();
        let load = row.load_button().unwrap();
        assert!(load.is_visible());
        assert_eq!(load.label().as_deref(), Some("Load Picture"));
        screenshot(&window, "receive-tap-360x720");
        load.emit_clicked();
        wait_for(
            "the picture after the tap",
            Duration::from_secs(60),
            || {
                matches!(
                    status_of(&view, "stranger.png"),
                    Some(PictureStatus::Shown(..))
                )
            },
            || statuses(&view),
        );
        assert!(
            synapse::shared().access_log().contains(&id),
            "the tap downloaded the picture"
        );
        screenshot(&window, "receive-tapped-360x720");

        // The setting behind the rule, in the Preferences (read only here: GSettings is
        // shared by the tests of this process).
        let preferences = sotto::ui::preferences::show_preferences(&window);
        crate::harness::ui::settle();
        let row = all::<adw::ComboRow>(&preferences)
            .into_iter()
            .find(|r| r.widget_name() == "media-autoload")
            .expect("the Preferences have the picture setting");
        let options: Vec<String> = row
            .model()
            .and_downcast::<gtk::StringList>()
            .map(|list| {
                (0..list.n_items())
                    .filter_map(|i| list.string(i))
                    .map(|s| s.to_string())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            options,
            [
                "Always",
                "In direct chats; in groups on a tap",
                "Only on a tap"
            ]
        );
        assert_eq!(row.selected(), 1, "the default is the direct-chats rule");
        preferences.close();
        window.close();
    });
}
