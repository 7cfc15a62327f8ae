//! Sending pictures and files from the real window under Xvfb: the attach path (a chosen
//! file), a paste and a drop each open the preview; it shows the prepared picture, what
//! was removed in words, the neutral name, and sends the prepared picture; a file that is
//! not a picture is offered as it is; errors are sentences in the dialog and the
//! composer's text stays. Screenshots of the preview at 360×720 and 1280×800.

use std::path::Path;
use std::time::Duration;

use gtk::prelude::*;
use gtk::{gdk, gio, glib};
use image::{Rgb, RgbImage};
use sotto::engine::timeline::{Attachment, Body, Entry, EntryKind, EventEntry, SendState};
use sotto::ui::diff_store::value_of;
use sotto::ui::room_view::RoomView;
use sotto::ui::room_view::attach::Preview;

use crate::engine::media::{jpeg_of, tags, write_tags};
use crate::harness::ui::{all, on_gtk_thread, open_window, present_at, screenshot, wait_for};
use crate::harness::{self, TestProfile, peers, synapse};

/// A photo lying on its side (orientation 6), 2400×1800 as stored, with location, camera,
/// serial number, time, XMP and an embedded thumbnail.
fn photo_with_metadata(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("IMG_20240506_070809.jpg");
    let stored = RgbImage::from_fn(2400, 1800, |x, y| {
        // A sky over a meadow, turned: the sky is on the left as stored.
        if x < 1500 {
            Rgb([90 + (y / 30) as u8, 150, 230])
        } else {
            Rgb([60, 160 - ((x - 1500) / 10) as u8, 70])
        }
    });
    std::fs::write(&path, jpeg_of(&stored)).unwrap();
    let thumb = dir.join("thumb.jpg");
    std::fs::write(
        &thumb,
        jpeg_of(&RgbImage::from_pixel(16, 12, Rgb([0, 0, 0]))),
    )
    .unwrap();
    let thumbnail_arg = format!("-ThumbnailImage<={}", thumb.display());
    write_tags(
        &path,
        &[
            "-Orientation#=6",
            "-GPSLatitude=48.8584",
            "-GPSLatitudeRef=N",
            "-GPSLongitude=2.2945",
            "-GPSLongitudeRef=E",
            "-Make=AcmeCam",
            "-Model=Snapper 3000",
            "-SerialNumber=SN0123456789",
            "-DateTimeOriginal=2024:05:06 07:08:09",
            "-XMP-dc:Creator=Jane Private",
            &thumbnail_arg,
        ],
    );
    assert!(tags(&path).contains_key("GPS:GPSLatitude"));
    path
}

fn events(view: &RoomView) -> Vec<EventEntry> {
    let Some(store) = view.store() else {
        return Vec::new();
    };
    (0..store.n_items())
        .filter_map(|i| store.item(i))
        .filter_map(|item| value_of::<Entry>(&item))
        .filter_map(|entry| match entry.kind {
            EntryKind::Event(event) => Some(*event),
            _ => None,
        })
        .collect()
}

fn labels(root: &impl IsA<gtk::Widget>) -> Vec<String> {
    all::<gtk::Label>(root)
        .iter()
        .filter(|l| l.is_visible())
        .map(|l| l.text().to_string())
        .collect()
}

fn wait_until_ready(preview: &Preview) {
    wait_for(
        "the preview to be ready",
        Duration::from_secs(60),
        || preview.can_send(),
        || format!("error: {:?}", preview.error_text()),
    );
}

fn wait_for_error(preview: &Preview) -> String {
    wait_for(
        "the preview to show an error",
        Duration::from_secs(60),
        || preview.error_text().is_some(),
        || format!("labels: {:?}", labels(&preview.window())),
    );
    assert!(!preview.can_send(), "nothing can be sent");
    preview.error_text().unwrap()
}

/// The open preview window (a paste or a drop opened it).
fn open_preview_window() -> adw::Window {
    let find = || {
        gtk::Window::list_toplevels()
            .into_iter()
            .filter_map(|w| w.downcast::<adw::Window>().ok())
            .find(|w| w.is_visible() && w.widget_name() == "attach-preview")
    };
    wait_for(
        "the preview window",
        Duration::from_secs(30),
        || find().is_some(),
        || "none is open".to_owned(),
    );
    find().unwrap()
}

fn close(window: &adw::Window) {
    window.close();
    wait_for(
        "the preview to close",
        Duration::from_secs(10),
        || !window.is_visible(),
        String::new,
    );
}

#[test]
fn the_preview_shows_what_is_removed_and_sends_the_prepared_picture() {
    let test = TestProfile::new();
    let server = synapse::shared();
    let room_id = harness::runtime().block_on(async {
        let (user, session, friend) = test.signed_in_with_friend(server, "attach").await;
        peers::publish_sotto_keys(&session, &friend).await;
        let room = peers::create_room(&friend, "Holiday", true, &[&user.user_id]).await;
        session
            .client()
            .join_room_by_id(room.room_id())
            .await
            .unwrap();
        room.room_id().to_string()
    });
    let dir = tempfile::tempdir().unwrap();
    let photo = photo_with_metadata(dir.path());
    let notes = dir.path().join("meeting notes.txt");
    std::fs::write(&notes, "agenda\n".repeat(300)).unwrap();
    let empty = dir.path().join("empty.png");
    std::fs::write(&empty, b"").unwrap();
    let heic = dir.path().join("photo.heic");
    let mut heic_bytes = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    heic_bytes.resize(4096, 0);
    std::fs::write(&heic, heic_bytes).unwrap();

    let accounts = test.accounts.clone();
    on_gtk_thread(move || {
        let window = open_window(accounts, 360, 720, "session");
        wait_for(
            "the room in the list",
            Duration::from_secs(60),
            || window.rooms().n_items() == 1,
            || window.page(),
        );
        window.open_room(&crate::harness::rid(&room_id));
        let view = window.room_view();
        wait_for(
            "the conversation",
            Duration::from_secs(30),
            || view.timeline().is_some(),
            String::new,
        );
        let composer = view.composer();
        let attach = composer.attach_button();
        assert_eq!(
            attach.tooltip_text().as_deref(),
            Some("Attach a Picture or File")
        );
        composer.set_text("words I was typing");

        // A chosen photo: prepared, upright, scaled, with what was removed listed.
        let preview = view
            .attach_file(gio::File::for_path(&photo))
            .expect("the preview opens");
        wait_until_ready(&preview);
        let prepared = preview.prepared().unwrap();
        assert_eq!((prepared.width, prepared.height), (1536, 2048));
        let removed = preview.removed_texts();
        for kind in [
            "Location",
            "Camera model and serial number",
            "Date and time",
            "Author and editing history (XMP)",
            "A hidden small copy, which can show the picture before it was edited",
        ] {
            assert!(removed.iter().any(|r| r == kind), "{kind} in {removed:?}");
        }
        let shown = labels(&preview.window());
        assert!(shown.iter().any(|l| l == "image.jpg"), "{shown:?}");
        assert!(
            shown.iter().any(|l| l.contains("1536 × 2048 pixels")),
            "{shown:?}"
        );
        present_at(&preview.window(), 360, 720);
        screenshot(&preview.window(), "send-picture-360x720");
        present_at(&preview.window(), 1280, 800);
        screenshot(&preview.window(), "send-picture-1280x800");

        // Original quality prepares it again, at full size; the name is kept only on
        // request.
        preview.quality_switch().set_active(true);
        wait_until_ready(&preview);
        let prepared = preview.prepared().unwrap();
        assert_eq!((prepared.width, prepared.height), (1800, 2400));
        preview.keep_name_switch().set_active(true);
        assert!(
            labels(&preview.window())
                .iter()
                .any(|l| l == "IMG_20240506_070809.jpg")
        );
        preview.keep_name_switch().set_active(false);
        preview.quality_switch().set_active(false);
        wait_until_ready(&preview);
        preview.caption_row().set_text("Our meadow");
        preview.send_button().emit_clicked();
        let window_of_preview = preview.window();
        wait_for(
            "the preview to close after sending",
            Duration::from_secs(60),
            || !window_of_preview.is_visible(),
            || format!("error: {:?}", preview.error_text()),
        );
        wait_for(
            "the picture on the server",
            Duration::from_secs(60),
            || {
                events(&view).iter().any(|e| {
                    e.is_own
                        && e.send_state == SendState::Remote
                        && matches!(&e.body, Body::Attachment(Attachment::Image(m)) if m.caption.as_deref() == Some("Our meadow"))
                })
            },
            || format!("{:#?}", events(&view)),
        );
        assert_eq!(composer.text(), "words I was typing");

        // A file that is not a picture: sent as it is, and the dialog says so.
        let preview = view.attach_file(gio::File::for_path(&notes)).unwrap();
        wait_until_ready(&preview);
        assert_eq!(preview.window().title().as_deref(), Some("Send File"));
        let shown = labels(&preview.window());
        assert!(shown.iter().any(|l| l == "meeting notes.txt"), "{shown:?}");
        assert!(
            shown
                .iter()
                .any(|l| l.starts_with("Files are sent as they are")),
            "{shown:?}"
        );
        present_at(&preview.window(), 360, 720);
        screenshot(&preview.window(), "send-file-360x720");
        close(&preview.window());

        // Errors are sentences in the dialog.
        let preview = view.attach_file(gio::File::for_path(&empty)).unwrap();
        let error = wait_for_error(&preview);
        assert!(error.contains("empty"), "{error}");
        close(&preview.window());
        let preview = view.attach_file(gio::File::for_path(&heic)).unwrap();
        let error = wait_for_error(&preview);
        assert!(error.contains("send it as a file"), "{error}");
        present_at(&preview.window(), 360, 720);
        screenshot(&preview.window(), "send-unsupported-360x720");
        crate::harness::ui::button(&preview.window(), "Send as File").emit_clicked();
        wait_until_ready(&preview);
        assert_eq!(preview.window().title().as_deref(), Some("Send File"));
        close(&preview.window());

        // A picture pasted into the composer: a fresh PNG, nothing to remove, no name.
        let pixels = glib::Bytes::from_owned(vec![200u8; 64 * 48 * 4]);
        let texture = gdk::MemoryTexture::new(64, 48, gdk::MemoryFormat::R8g8b8a8, &pixels, 64 * 4);
        let text_view = composer.text_view();
        text_view.clipboard().set_texture(&texture);
        text_view.emit_paste_clipboard();
        let pasted = open_preview_window();
        wait_for(
            "the pasted picture prepared",
            Duration::from_secs(30),
            || labels(&pasted).iter().any(|l| l == "Nothing to remove"),
            || format!("{:?}", labels(&pasted)),
        );
        assert!(labels(&pasted).iter().any(|l| l == "image.png"));
        assert!(
            !labels(&pasted).iter().any(|l| l == "Keep File Name"),
            "a pasted picture has no name to keep"
        );
        close(&pasted);
        assert_eq!(composer.text(), "words I was typing");

        // A file dropped on the conversation.
        let drop = view
            .observe_controllers()
            .into_iter()
            .filter_map(|c| c.ok())
            .find_map(|c| c.downcast::<gtk::DropTarget>().ok())
            .expect("the conversation takes drops");
        // Two at once: one preview after the other, each saying which of the two it is.
        let files =
            gdk::FileList::from_array(&[gio::File::for_path(&photo), gio::File::for_path(&notes)]);
        // The signal carries the dropped value inside a GValue, as GTK emits it.
        let value = glib::BoxedValue(files.to_value());
        let taken: bool = drop.emit_by_name("drop", &[&value, &10.0f64, &10.0f64]);
        assert!(taken);
        let dropped = open_preview_window();
        wait_for(
            "the dropped picture prepared",
            Duration::from_secs(60),
            || labels(&dropped).iter().any(|l| l == "Location"),
            || format!("{:?}", labels(&dropped)),
        );
        assert_eq!(dropped.title().as_deref(), Some("Send Picture (1 of 2)"));
        close(&dropped);
        let second = open_preview_window();
        assert_ne!(second, dropped);
        wait_for(
            "the second dropped file",
            Duration::from_secs(60),
            || labels(&second).iter().any(|l| l == "meeting notes.txt"),
            || format!("{:?}", labels(&second)),
        );
        assert_eq!(second.title().as_deref(), Some("Send File (2 of 2)"));
        present_at(&second, 360, 720);
        screenshot(&second, "send-dropped-second-360x720");
        close(&second);
        window.destroy();
    });
}
