//! Received pictures in the real window under Xvfb: a nio (libolm) peer sends encrypted
//! pictures. In a direct chat they load by themselves and show at their proportions with
//! the caption; a bomb, a cut JPEG and a text file that claims to be a PNG each show a
//! sentence instead. In a group, a stranger's picture waits for a tap, and Synapse's request
//! log proves that nothing was fetched until then. A tapped picture opens in the viewer
//! (the whole file, zoom, paging, copy, save byte for byte). Screenshots at 360×720 and
//! 1280×800.

use std::path::PathBuf;
use std::time::Duration;

use adw::prelude::*;
use gtk::glib;
use matrix_sdk::attachment::AttachmentConfig;
use sotto::engine::media::autoload::RoomKind;
use sotto::engine::sync::AccountSync;
use sotto::engine::timeline::{Attachment, Body};
use sotto::ui::room_view::RoomView;
use sotto::ui::room_view::row::{MessageRow, PictureStatus};
use sotto::ui::room_view::viewer::{PictureViewer, ViewerState};

use crate::engine::receive_media::{bomb_png, halves_png, truncated_jpeg, wait_for_picture};
use crate::harness::nio::{ImageToSend, NioPeer};
use crate::harness::sotto_room::SottoRoom;
use crate::harness::ui::{all, on_gtk_thread, open_window, present_at, screenshot, wait_for};
use crate::harness::{self, TestProfile, peers, synapse};

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
    let window = open_window(test.accounts.clone(), width, height, "session");
    wait_for(
        "the room in the list",
        Duration::from_secs(60),
        || window.rooms().n_items() >= 1,
        || window.page(),
    );
    window.open_room(&crate::harness::rid(room_id));
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
    let entry = test.accounts.list().unwrap().remove(0);
    let session = test.accounts.restore(&entry).await.unwrap();
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

/// Sends "meadow.png" (`bytes`, `size` pixels) captioned "Our meadow", with a 300×200
/// thumbnail of the same green and blue halves (and `blurhash`, if any).
async fn send_meadow(
    nio: &mut NioPeer,
    room_id: &str,
    dir: &std::path::Path,
    bytes: &[u8],
    size: (u32, u32),
    blurhash: Option<&str>,
) {
    let file = dir.join("meadow.png");
    std::fs::write(&file, bytes).unwrap();
    let thumb = dir.join("thumb.png");
    std::fs::write(&thumb, halves_png(300, 200, [46, 140, 60], [70, 130, 220])).unwrap();
    nio.send_image(
        room_id,
        &ImageToSend {
            caption: Some("Our meadow"),
            thumbnail: Some((&thumb, "image/png", 300, 200)),
            blurhash,
            ..image(&file, "meadow.png", size)
        },
    )
    .await;
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
        send_meadow(
            &mut nio,
            &room_id,
            dir.path(),
            &halves_png(600, 400, [46, 140, 60], [70, 130, 220]),
            (600, 400),
            Some("LsTSUA_3fQ_3~qt7fQt7fQfQfQfQ"),
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

/// A room of more pictures than fit on a phone's screen, opened: those on screen start
/// loading before any above them (the list binds those too), and none loads twice.
#[test]
fn the_pictures_on_screen_load_first_and_each_once() {
    const COUNT: usize = 10;
    let (test, sotto_user) = TestProfile::signed_in("picorder-sotto");
    let dir = tempfile::tempdir().unwrap();
    let (room_id, _nio) = harness::runtime().block_on(async {
        let (sync, mut nio, room, room_id) =
            room_with_nio(&test, &sotto_user, "picorder-nio", true).await;
        for n in 0..COUNT {
            let name = format!("p{n:02}.png");
            let path = dir.path().join(&name);
            std::fs::write(&path, halves_png(600, 400, [46, 140, 60], [70, 130, 220])).unwrap();
            nio.send_image(&room_id, &image(&path, &name, (600, 400)))
                .await;
        }
        wait_for_picture(&room, &format!("p{:02}.png", COUNT - 1)).await;
        sync.stop().await;
        (room_id, nio)
    });

    on_gtk_thread(move || {
        let (window, view) = open_room(&test, &room_id, 360, 720);
        let on_screen = || -> Vec<String> {
            all::<MessageRow>(&view)
                .into_iter()
                .filter(|row| row.is_on_screen())
                .filter_map(|row| row.picture_name())
                .collect()
        };
        wait_for(
            "the pictures on screen to show",
            Duration::from_secs(60),
            || {
                let names = on_screen();
                names.len() >= 2
                    && names.iter().all(|name| {
                        matches!(status_of(&view, name), Some(PictureStatus::Shown(..)))
                    })
            },
            || statuses(&view),
        );
        let shown = on_screen();
        // The room settles at its bottom, so the last pictures are the ones on screen.
        assert!(
            shown.contains(&format!("p{:02}.png", COUNT - 1)),
            "the newest picture is on screen: {shown:?}"
        );
        let pictures = view.pictures().expect("the room's pictures");
        wait_for(
            "a picture above the screen to start loading",
            Duration::from_secs(60),
            || pictures.first_loads().iter().any(|(_, on)| !on),
            || format!("{:?}", pictures.first_loads()),
        );
        let loads = pictures.first_loads();
        let first_off = loads.iter().position(|(_, on)| !on).unwrap();
        for name in &shown {
            let started = loads.iter().position(|(n, _)| n == name);
            assert!(
                started.is_some_and(|at| at < first_off),
                "{name} (on screen) started before any picture off screen: {loads:?}"
            );
        }
        let mut names: Vec<&String> = loads.iter().map(|(name, _)| name).collect();
        names.sort();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before, "each picture loads once: {loads:?}");
        window.close();
    });
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

#[test]
fn in_a_group_a_verified_senders_picture_loads_by_itself() {
    let (test, sotto_user) = TestProfile::signed_in("verifiedui-sotto");
    let (room_id, url) = harness::runtime().block_on(async {
        let server = synapse::shared();
        let session = test.restored_with_identity(&sotto_user).await;
        let sync = AccountSync::start(&session).await.unwrap();
        // A matrix-sdk peer with a cross-signing identity, which Sotto's account verifies
        // (signs, as after comparing emoji) before it sends anything.
        let friend = server.register("verifiedui-friend").await;
        let friend_client = peers::login(server, &friend).await;
        friend_client
            .encryption()
            .bootstrap_cross_signing(None)
            .await
            .expect("the friend's identity");
        let friend_id = matrix_sdk::ruma::OwnedUserId::try_from(friend.user_id.as_str()).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        let identity = loop {
            if let Some(identity) = session
                .client()
                .encryption()
                .request_user_identity(&friend_id)
                .await
                .unwrap()
            {
                break identity;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the friend's identity is published"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        identity
            .verify()
            .await
            .expect("Sotto's account signs the friend's identity");
        // The signature counts once the identity is fetched again.
        loop {
            let identity = session
                .client()
                .encryption()
                .request_user_identity(&friend_id)
                .await
                .unwrap();
            if identity.is_some_and(|identity| identity.is_verified()) {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the friend reads as verified"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        let room = peers::create_room(
            &friend_client,
            "Verified pictures",
            true,
            &[&sotto_user.user_id],
        )
        .await;
        let room_id = room.room_id().to_string();
        let sotto_room = SottoRoom::open(&session, &sync, &room_id).await;
        assert_eq!(sotto_room.timeline().room_kind(), RoomKind::Group);
        peers::wait_for_device_keys(&friend_client, &sotto_user.user_id, &session.device_id())
            .await;
        friend_client
            .sync_once(Default::default())
            .await
            .expect("the friend syncs");
        let picture = halves_png(400, 300, [40, 160, 60], [240, 240, 240]);
        room.send_attachment(
            "verified.png",
            &mime::IMAGE_PNG,
            picture,
            AttachmentConfig::new(),
        )
        .await
        .expect("the friend sends the picture");
        let event = sotto_room
            .wait_for_body("the verified friend's picture", |body| {
                matches!(body, Body::Attachment(Attachment::Image(m)) if m.name == "verified.png")
            })
            .await;
        assert!(event.sender_verified, "Sotto counts the sender as verified");
        let Body::Attachment(Attachment::Image(media)) = event.body else {
            unreachable!()
        };
        sync.stop().await;
        (room_id, media.source.uri().to_owned())
    });
    let id = media_id(&url);
    assert!(
        !synapse::shared().access_log().contains(&id),
        "nothing fetched the picture before the window"
    );

    on_gtk_thread(move || {
        let (window, view) = open_room(&test, &room_id, 360, 720);
        // No tap: the picture of a verified sender loads in a group by itself.
        wait_for(
            "the verified friend's picture to show without a tap",
            Duration::from_secs(60),
            || {
                matches!(
                    status_of(&view, "verified.png"),
                    Some(PictureStatus::Shown(..))
                )
            },
            || statuses(&view),
        );
        assert!(
            synapse::shared().access_log().contains(&id),
            "the picture was fetched without a tap"
        );
        window.close();
    });
}

/// An animated GIF of `frames` frames of `width` × `height`, each 100 ms, each a colour of
/// its own.
fn animated_gif(width: u32, height: u32, frames: u32) -> Vec<u8> {
    use image::codecs::gif::{GifEncoder, Repeat};
    use image::{Delay, Frame, Rgba, RgbaImage};
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut out);
        encoder.set_repeat(Repeat::Infinite).unwrap();
        let frames = (0..frames).map(|n| {
            let shade = (n * 80 % 256) as u8;
            let image = RgbaImage::from_pixel(width, height, Rgba([shade, 90, 255 - shade, 255]));
            Frame::from_parts(image, 0, 0, Delay::from_numer_denom_ms(100, 1))
        });
        encoder.encode_frames(frames).unwrap();
    }
    out
}

#[test]
fn an_animated_gif_plays_and_one_of_thousands_of_frames_is_bounded() {
    let (test, sotto_user) = TestProfile::signed_in("gifui-sotto");
    let dir = tempfile::tempdir().unwrap();
    let (room_id, _nio) = harness::runtime().block_on(async {
        let (sync, mut nio, room, room_id) =
            room_with_nio(&test, &sotto_user, "gifui-nio", true).await;
        for (name, gif) in [
            ("many.gif", animated_gif(16, 16, 3000)),
            ("wave.gif", animated_gif(240, 160, 3)),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, gif).unwrap();
            let size = if name == "wave.gif" {
                (240, 160)
            } else {
                (16, 16)
            };
            nio.send_image(
                &room_id,
                &ImageToSend {
                    mimetype: "image/gif",
                    ..image(&path, name, size)
                },
            )
            .await;
        }
        wait_for_picture(&room, "wave.gif").await;
        sync.stop().await;
        (room_id, nio)
    });

    on_gtk_thread(move || {
        let (window, view) = open_room(&test, &room_id, 360, 720);
        for name in ["wave.gif", "many.gif"] {
            wait_for(
                &format!("{name} to show"),
                Duration::from_secs(60),
                || matches!(status_of(&view, name), Some(PictureStatus::Shown(..))),
                || statuses(&view),
            );
        }
        let frame_of = |name: &str| picture_row(&view, name).and_then(|row| row.animation_frame());
        assert_eq!(
            frame_of("wave.gif").map(|(_, n)| n),
            Some(3),
            "all three frames"
        );
        assert_eq!(
            frame_of("many.gif").map(|(_, n)| n),
            Some(sotto::engine::media::MAX_FRAMES),
            "3,000 frames are cut to the bound"
        );
        // It plays: the frame shown moves on by itself.
        let first = frame_of("wave.gif").unwrap().0;
        wait_for(
            "the GIF to move on to another frame",
            Duration::from_secs(10),
            || frame_of("wave.gif").is_some_and(|(frame, _)| frame != first),
            || format!("{:?}", frame_of("wave.gif")),
        );
        screenshot(&window, "receive-gif-360x720");

        // Opened large, it plays there too.
        let row = picture_row(&view, "wave.gif").unwrap();
        tap_picture(&row);
        let viewer = viewer();
        wait_for(
            "the GIF's frames in the viewer",
            Duration::from_secs(60),
            || viewer.animation_frame().is_some_and(|(_, n)| n == 3),
            || format!("{} {:?}", viewer_state(&viewer), viewer.animation_frame()),
        );
        let first = viewer.animation_frame().unwrap().0;
        wait_for(
            "the GIF to move on in the viewer",
            Duration::from_secs(10),
            || {
                viewer
                    .animation_frame()
                    .is_some_and(|(frame, _)| frame != first)
            },
            || format!("{:?}", viewer.animation_frame()),
        );
        viewer.close();
        window.close();
    });
}

/// Taps the picture of `row`, as a finger does.
fn tap_picture(row: &MessageRow) {
    let frame = all::<gtk::Overlay>(row)
        .into_iter()
        .find(|o| o.has_css_class("picture-frame"))
        .unwrap();
    let tap = frame
        .observe_controllers()
        .into_iter()
        .find_map(|c| c.ok()?.downcast::<gtk::GestureClick>().ok())
        .expect("the picture takes taps");
    tap.emit_by_name::<()>("released", &[&1i32, &10f64, &10f64]);
}

/// The picture viewer open over the window.
fn viewer() -> PictureViewer {
    crate::harness::ui::toplevel::<PictureViewer>("Picture")
}

fn viewer_state(viewer: &PictureViewer) -> String {
    format!("{:?} at {:?}", viewer.state(), viewer.position())
}

#[test]
fn a_picture_opens_large_zooms_pages_and_saves_as_sent() {
    let (test, sotto_user) = TestProfile::signed_in("viewer-sotto");
    let dir = tempfile::tempdir().unwrap();
    let meadow = halves_png(1200, 800, [46, 140, 60], [70, 130, 220]);
    let lake = halves_png(500, 750, [20, 60, 160], [230, 230, 240]);
    let meadow_sent = meadow.clone();
    let (room_id, _nio) = harness::runtime().block_on(async {
        let (sync, mut nio, room, room_id) =
            room_with_nio(&test, &sotto_user, "viewer-nio", true).await;
        send_meadow(
            &mut nio,
            &room_id,
            dir.path(),
            &meadow_sent,
            (1200, 800),
            None,
        )
        .await;
        let file = dir.path().join("lake.png");
        std::fs::write(&file, &lake).unwrap();
        nio.send_image(&room_id, &image(&file, "lake.png", (500, 750)))
            .await;
        wait_for_picture(&room, "lake.png").await;
        sync.stop().await;
        (room_id, nio)
    });

    let saved = dir.path().join("saved.png");
    on_gtk_thread(move || {
        let (window, view) = open_room(&test, &room_id, 360, 720);
        for name in ["meadow.png", "lake.png"] {
            wait_for(
                &format!("{name} to show"),
                Duration::from_secs(60),
                || matches!(status_of(&view, name), Some(PictureStatus::Shown(..))),
                || statuses(&view),
            );
        }
        // A tap on the shown picture opens the viewer.
        let row = picture_row(&view, "meadow.png").unwrap();
        tap_picture(&row);
        let viewer = viewer();
        // The file itself, not the thumbnail the row shows.
        wait_for(
            "the whole picture in the viewer",
            Duration::from_secs(60),
            || {
                viewer.state()
                    == ViewerState::Shown {
                        width: 1200,
                        height: 800,
                    }
            },
            || viewer_state(&viewer),
        );
        assert_eq!(viewer.position(), (0, 2), "the room's two pictures");
        let titles: Vec<String> = all::<gtk::Label>(&viewer)
            .iter()
            .filter(|l| l.is_mapped())
            .map(|l| l.text().to_string())
            .collect();
        assert!(titles.iter().any(|t| t == "Our meadow"), "{titles:?}");
        crate::harness::ui::settle();
        screenshot(&viewer, "viewer-360x720");

        // Zoom: larger than the window, scrollable; then fitted again.
        let picture = all::<gtk::Picture>(&viewer)
            .into_iter()
            .find(|p| p.is_mapped())
            .unwrap();
        let fitted_width = picture.width();
        viewer.zoom_in();
        viewer.zoom_in();
        crate::harness::ui::settle();
        let zoom = viewer.zoom().expect("zoomed in");
        assert!(
            picture.width() > fitted_width,
            "{} after zooming in",
            picture.width()
        );
        assert_eq!(
            picture.width(),
            (1200.0 * zoom).round() as i32,
            "zoom {zoom}"
        );
        viewer.zoom_out();
        viewer.zoom_out();
        viewer.zoom_out();
        assert_eq!(viewer.zoom(), None, "zoomed out to fit");

        // Paging: the next picture, no further; back.
        viewer.go(1);
        wait_for(
            "the next picture",
            Duration::from_secs(60),
            || {
                viewer.state()
                    == ViewerState::Shown {
                        width: 500,
                        height: 750,
                    }
            },
            || viewer_state(&viewer),
        );
        assert_eq!(viewer.position(), (1, 2));
        viewer.go(1);
        assert_eq!(viewer.position(), (1, 2), "nothing after the last");
        viewer.go(-1);
        assert_eq!(viewer.position(), (0, 2));
        wait_for(
            "the first picture again",
            Duration::from_secs(60),
            || matches!(viewer.state(), ViewerState::Shown { width: 1200, .. }),
            || viewer_state(&viewer),
        );

        // Copy: the picture on the clipboard.
        viewer.copy_to_clipboard();
        let pasted = std::rc::Rc::new(std::cell::RefCell::new(None));
        let slot = pasted.clone();
        let clipboard = gtk::prelude::WidgetExt::clipboard(&viewer);
        glib::MainContext::default().spawn_local(async move {
            let texture = clipboard.read_texture_future().await;
            slot.replace(Some(texture.map(|t| t.map(|t| (t.width(), t.height())))));
        });
        wait_for(
            "the clipboard's picture",
            Duration::from_secs(30),
            || pasted.borrow().is_some(),
            String::new,
        );
        assert_eq!(
            pasted
                .borrow()
                .as_ref()
                .unwrap()
                .as_ref()
                .ok()
                .copied()
                .flatten(),
            Some((1200, 800))
        );

        // Save: the file as the sender sent it, byte for byte.
        viewer.save_to(saved.clone());
        wait_for(
            "the saved file",
            Duration::from_secs(60),
            || std::fs::read(&saved).is_ok_and(|b| b == meadow),
            || format!("{:?}", std::fs::metadata(&saved).map(|m| m.len())),
        );
        // Saving where nothing can be written says why.
        viewer.save_to(PathBuf::from("/proc/no-such-folder/x.png"));
        wait_for(
            "the failure said",
            Duration::from_secs(30),
            || {
                all::<gtk::Label>(&viewer)
                    .iter()
                    .any(|l| l.is_mapped() && l.text().starts_with("Could not save x.png"))
            },
            String::new,
        );

        present_at(&viewer, 1280, 800);
        crate::harness::ui::settle();
        screenshot(&viewer, "viewer-1280x800");
        gtk::prelude::GtkWindowExt::close(&viewer);
        window.close();
    });
}
