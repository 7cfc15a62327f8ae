//! Avatars in the real window under Xvfb, with a matrix-sdk peer who has a picture.
//!
//! Receiving: in a direct chat the friend's picture loads by itself (room list, timeline);
//! in a group the friend (not verified) and the room picture they set stay initials, and
//! Synapse's request log proves the group picture was never fetched, after proof that the
//! list's avatars were decided. Sending: Sotto's own picture (a phone photo with location,
//! camera, serial, XMP, IPTC and an embedded thumbnail) and a room picture reach the
//! friend without any of it and upright; the display name reaches the friend; the own
//! picture shows in the profile page and the account switcher.

use std::time::Duration;

use adw::prelude::*;
use gtk::glib;
use matrix_sdk::media::{MediaFormat, MediaRequestParameters};
use matrix_sdk::ruma::events::room::MediaSource;
use matrix_sdk::ruma::{OwnedMxcUri, OwnedUserId};
use sotto::ui::avatars::shows_picture;
use sotto::ui::room_view::RoomView;
use sotto::ui::room_view::row::MessageRow;

use crate::engine::send_media::{assert_no_leaks, png_with_text, sideways_photo};
use crate::harness::ui::{
    all, on_gtk_thread, open_window, present_at, screenshot, settle, wait_for,
};
use crate::harness::{self, TestProfile, peers, synapse};

const PATIENCE: Duration = Duration::from_secs(60);

/// A PNG of one colour, `side` pixels square.
fn square_png(side: u32, colour: [u8; 3]) -> Vec<u8> {
    let image = image::RgbImage::from_pixel(side, side, image::Rgb(colour));
    let mut out = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// The media ID of an `mxc://` URI (what Synapse's request log shows of it).
fn media_id(uri: &str) -> String {
    uri.rsplit('/').next().unwrap().to_owned()
}

/// The avatar of the room list's row for `room_id`, when the row is drawn.
fn list_avatar(window: &sotto::ui::window::Window, room_id: &str) -> Option<adw::Avatar> {
    window
        .room_list_pane()
        .rows()
        .into_iter()
        .find(|row| row.room_id().is_some_and(|id| id == room_id))
        .map(|row| row.avatar())
}

/// The row of the conversation showing a message with exactly `text`, when it is mapped.
fn message_row(view: &RoomView, text: &str) -> Option<MessageRow> {
    all::<MessageRow>(view).into_iter().find(|row| {
        row.is_mapped()
            && all::<gtk::Label>(row)
                .iter()
                .any(|label| label.is_mapped() && label.label() == text)
    })
}

/// Opens `room_id` in the window and waits for the row with `text`.
fn open_at(window: &sotto::ui::window::Window, room_id: &str, text: &str) -> MessageRow {
    window.open_room(&crate::harness::rid(room_id));
    let view = window.room_view();
    wait_for(
        &format!("the message {text:?}"),
        PATIENCE,
        || message_row(&view, text).is_some(),
        String::new,
    );
    message_row(&view, text).unwrap()
}

/// Downloads `url` whole as the peer `client` (authenticated media) into `dir/name`.
async fn download(
    client: &matrix_sdk::Client,
    url: &OwnedMxcUri,
    dir: &std::path::Path,
    name: &str,
) -> std::path::PathBuf {
    let bytes = client
        .media()
        .get_media_content(
            &MediaRequestParameters {
                source: MediaSource::Plain(url.clone()),
                format: MediaFormat::File,
            },
            false,
        )
        .await
        .expect("the peer downloads the picture");
    let file = dir.join(name);
    std::fs::write(&file, bytes).unwrap();
    file
}

#[test]
fn avatars_load_in_direct_chats_and_stay_initials_for_strangers_in_groups() {
    let test = TestProfile::new();
    let rt = harness::runtime();
    let server = synapse::shared();
    let (dm_id, group_id, group_picture) = rt.block_on(async {
        let (sotto_user, session, friend) = test.signed_in_with_friend(server, "avrule").await;
        friend
            .account()
            .upload_avatar(&mime::IMAGE_PNG, square_png(64, [220, 30, 30]))
            .await
            .expect("the friend sets a picture");
        let dm = peers::create_dm(&friend, "", &sotto_user.user_id).await;
        peers::join_as_dm(&session, &dm, &friend).await;
        let group = peers::create_room(&friend, "Avatar club", false, &[&sotto_user.user_id]).await;
        session
            .client()
            .join_room_by_id(group.room_id())
            .await
            .expect("Sotto joins the group");
        let response = group
            .upload_avatar(&mime::IMAGE_PNG, square_png(64, [30, 30, 220]), None)
            .await
            .expect("the friend gives the group a picture");
        drop(response);
        friend.sync_once(Default::default()).await.unwrap();
        let group_picture = group.avatar_url().expect("the group has a picture");
        peers::send_text(&dm, "hello in the dm").await;
        peers::send_text(&group, "hello in the group").await;
        (
            dm.room_id().to_string(),
            group.room_id().to_string(),
            group_picture.to_string(),
        )
    });
    let group_media = media_id(&group_picture);

    on_gtk_thread(move || {
        let window = open_window(test.accounts.clone(), 360, 720, "session");
        wait_for(
            "both rooms listed",
            PATIENCE,
            || list_avatar(&window, &dm_id).is_some() && list_avatar(&window, &group_id).is_some(),
            || window.page(),
        );
        // The direct chat's row shows the friend's picture: the rows' avatars were decided.
        wait_for(
            "the friend's picture in the direct chat's row",
            PATIENCE,
            || list_avatar(&window, &dm_id).is_some_and(|a| shows_picture(&a)),
            String::new,
        );
        let group_avatar = list_avatar(&window, &group_id).unwrap();
        assert!(
            !shows_picture(&group_avatar),
            "a stranger's group picture waits"
        );
        assert!(group_avatar.shows_initials());
        assert!(
            !synapse::shared().access_log().contains(&group_media),
            "the group's picture was never requested"
        );
        screenshot(&window, "avatars-list-360x720");

        let row = open_at(&window, &dm_id, "hello in the dm");
        let avatar = row.sender_avatar();
        wait_for(
            "the friend's picture beside their message in the direct chat",
            PATIENCE,
            || shows_picture(&avatar),
            String::new,
        );
        screenshot(&window, "avatars-dm-360x720");

        let row = open_at(&window, &group_id, "hello in the group");
        settle();
        // The row is bound, and its avatar decided when it was: initials, though the same
        // picture is loaded for the direct chat.
        assert!(row.sender_avatar().is_visible());
        assert!(
            !shows_picture(&row.sender_avatar()),
            "a stranger's picture in a group waits"
        );
        // A tap loads it, as a tap loads a picture.
        let avatar = row.sender_avatar();
        assert!(sotto::ui::avatars::waits_for_tap(&avatar));
        let tap = avatar
            .observe_controllers()
            .into_iter()
            .find_map(|c| c.ok()?.downcast::<gtk::GestureClick>().ok())
            .expect("the avatar takes taps");
        tap.emit_by_name::<()>("released", &[&1i32, &5f64, &5f64]);
        wait_for(
            "the tapped avatar's picture",
            PATIENCE,
            || shows_picture(&avatar),
            String::new,
        );
        present_at(&window, 1280, 800);
        screenshot(&window, "avatars-group-1280x800");
        window.close();
    });
}

#[test]
fn own_picture_name_and_room_picture_reach_others_without_metadata() {
    let test = TestProfile::new();
    let rt = harness::runtime();
    let server = synapse::shared();
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("IMG_20240506_070809.jpg");
    std::fs::write(&photo, sideways_photo(dir.path())).unwrap();
    let room_picture = dir.path().join("room.png");
    std::fs::write(&room_picture, png_with_text(dir.path())).unwrap();
    let (sotto_user, friend, room_id) = rt.block_on(async {
        let (sotto_user, session, friend) = test.signed_in_with_friend(server, "avown").await;
        let room_id = sotto::engine::rooms::create_room(
            &session,
            sotto::engine::rooms::CreateRoom {
                name: "Own picture room".into(),
                invitees: vec![friend.user_id().unwrap().to_string()],
                encrypted: true,
                ..Default::default()
            },
        )
        .await
        .expect("Sotto creates a room");
        (sotto_user, friend, room_id)
    });

    on_gtk_thread(move || {
        let window = open_window(test.accounts.clone(), 360, 720, "session");
        wait_for(
            "the room listed",
            PATIENCE,
            || list_avatar(&window, room_id.as_str()).is_some(),
            || window.page(),
        );
        // The own picture, from the profile page.
        let settings = crate::ui::trust::open_settings(&window);
        settings.set_visible_page_name("profile");
        settings.set_avatar_from(photo.clone());
        let own = settings.profile_avatar();
        wait_for(
            "the own picture on the profile page",
            PATIENCE,
            || shows_picture(&own),
            String::new,
        );
        let name_row = settings.display_name_row();
        name_row.set_text("Sotto Tester");
        name_row.emit_by_name::<()>("apply", &[]);
        present_at(&settings, 360, 720);
        screenshot(&settings, "avatars-profile-360x720");

        let sotto_id = OwnedUserId::try_from(sotto_user.user_id.as_str()).unwrap();
        let (name, url) = rt.block_on(async {
            let deadline = std::time::Instant::now() + PATIENCE;
            loop {
                let profile = friend
                    .account()
                    .fetch_user_profile_of(&sotto_id)
                    .await
                    .unwrap();
                let name = profile
                    .get("displayname")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned);
                let url = profile
                    .get("avatar_url")
                    .and_then(|v| v.as_str())
                    .map(OwnedMxcUri::from);
                if name.as_deref() == Some("Sotto Tester")
                    && let Some(url) = url.clone()
                {
                    break (name, url);
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "the friend sees {name:?} {url:?}"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        assert_eq!(name.as_deref(), Some("Sotto Tester"));
        let file = rt.block_on(download(&friend, &url, dir.path(), "own-avatar.jpg"));
        assert_no_leaks(&file, "the own picture");
        let upright = image::open(&file).unwrap();
        assert!(
            upright.height() > upright.width(),
            "the picture stands as the phone showed it: {}×{}",
            upright.width(),
            upright.height()
        );
        settings.close();

        // The account switcher shows it too.
        let switcher = window.open_account_switcher();
        wait_for(
            "the own picture in the account switcher",
            PATIENCE,
            || {
                window
                    .account_switcher_avatars()
                    .first()
                    .is_some_and(shows_picture)
            },
            String::new,
        );
        screenshot(&switcher, "avatars-switcher-360x720");
        switcher.popdown();

        // The room picture, from the room details: set by this account, so it loads in
        // the group's row by itself.
        WidgetExt::activate_action(
            &window,
            "win.room-details",
            Some(&room_id.as_str().to_variant()),
        )
        .unwrap();
        let details: adw::PreferencesWindow = crate::harness::ui::toplevel("Own picture room");
        wait_for(
            "the details with the change button",
            PATIENCE,
            || {
                all::<gtk::Button>(&details)
                    .iter()
                    .any(|b| b.action_name().as_deref() == Some("details.change-avatar"))
            },
            String::new,
        );
        WidgetExt::activate_action(
            &details,
            "details.set-avatar-file",
            Some(&room_picture.to_str().unwrap().to_variant()),
        )
        .unwrap();
        wait_for(
            "the room picture in the list",
            PATIENCE,
            || list_avatar(&window, room_id.as_str()).is_some_and(|a| shows_picture(&a)),
            String::new,
        );
        wait_for(
            "the room picture in the details",
            PATIENCE,
            || {
                all::<adw::Avatar>(&details)
                    .iter()
                    .any(|a| a.widget_name() == "room-avatar" && shows_picture(a))
            },
            String::new,
        );
        present_at(&details, 360, 720);
        screenshot(&details, "avatars-room-details-360x720");
        details.close();
        let room_url = rt.block_on(async {
            let typed = matrix_sdk::ruma::OwnedRoomId::try_from(room_id.as_str()).unwrap();
            friend.join_room_by_id(&typed).await.unwrap();
            let deadline = std::time::Instant::now() + PATIENCE;
            loop {
                friend.sync_once(Default::default()).await.unwrap();
                if let Some(url) = friend.get_room(&typed).and_then(|r| r.avatar_url()) {
                    break url;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "the friend sees the room picture"
                );
            }
        });
        let file = rt.block_on(download(&friend, &room_url, dir.path(), "room-avatar.png"));
        assert_no_leaks(&file, "the room picture");
        window.close();
        glib::MainContext::default().iteration(false);
    });
}
