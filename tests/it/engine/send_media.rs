//! Sending pictures and files from Sotto into an encrypted room, received by a client on
//! another crypto implementation (matrix-nio on libolm): it downloads and decrypts what
//! arrived, and exiftool, as an independent reader, finds no metadata left in it. Files
//! arrive byte for byte; a file over the server's upload limit is refused before it is
//! queued.

use std::time::Duration;

use futures_util::StreamExt;
use image::{Rgb, RgbImage, Rgba, RgbaImage};
use serde_json::Value;
use sotto::engine::EngineError;
use sotto::engine::media::{PrepareOptions, PreparedImage};
use sotto::engine::sync::AccountSync;
use sotto::engine::timeline::media::prepare;
use sotto::engine::timeline::{Attachment, Body, EntryKind};

use super::media::{jpeg_of, leaks, tags, write_tags};
use crate::harness::nio::NioPeer;
use crate::harness::sotto_room::SottoRoom;
use crate::harness::synapse::{self, random_hex};
use crate::harness::{self, TestProfile};

/// Sotto signed in and syncing, a nio peer, and an encrypted room (created by nio) that
/// both are in and whose keys nio shares with Sotto's device.
pub(super) async fn encrypted_room_with_nio(
    test: &TestProfile,
    sotto_user: &synapse::TestUser,
    nio_name: &str,
) -> (AccountSync, NioPeer, SottoRoom, String) {
    let server = synapse::shared();
    let entry = test.accounts.list().unwrap().remove(0);
    let session = test.accounts.restore(&entry).await.unwrap();
    let sync = AccountSync::start(&session).await.unwrap();
    let nio_user = server.register(nio_name).await;
    let mut nio = NioPeer::login(server, &nio_user).await;
    let room_id = nio
        .create_room("Pictures", true, &[&sotto_user.user_id])
        .await;
    let room = SottoRoom::open(&session, &sync, &room_id).await;
    nio.wait_for_member(&room_id, &sotto_user.user_id).await;
    nio.trust_device(&sotto_user.user_id, &session.device_id())
        .await;
    (sync, nio, room, room_id)
}

fn near(p: &Rgb<u8>, want: [u8; 3]) -> bool {
    p.0.iter().zip(want).all(|(&a, b)| a.abs_diff(b) < 40)
}

/// A photo as a phone stores it: 1200×800 pixels, lying on its side (EXIF orientation 6,
/// "turn 90° clockwise to show"), red on the left half and blue on the right, with location,
/// camera, serial numbers, time, XMP, IPTC, a comment and an embedded thumbnail.
pub(crate) fn sideways_photo(dir: &std::path::Path) -> Vec<u8> {
    let thumb = dir.join("exif-thumb.jpg");
    std::fs::write(
        &thumb,
        jpeg_of(&RgbImage::from_pixel(16, 12, Rgb([0, 255, 0]))),
    )
    .unwrap();
    let input = dir.join("IMG_20240506_070809.jpg");
    let stored = RgbImage::from_fn(1200, 800, |x, _| {
        if x < 600 {
            Rgb([255, 0, 0])
        } else {
            Rgb([0, 0, 255])
        }
    });
    std::fs::write(&input, jpeg_of(&stored)).unwrap();
    let thumbnail_arg = format!("-ThumbnailImage<={}", thumb.display());
    write_tags(
        &input,
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
            "-IPTC:Keywords=secretkw",
            "-Comment=a private comment",
            &thumbnail_arg,
        ],
    );
    let before = tags(&input);
    for tag in [
        "IFD0:Orientation",
        "GPS:GPSLatitude",
        "IFD0:Make",
        "ExifIFD:SerialNumber",
        "ExifIFD:DateTimeOriginal",
        "XMP-dc:Creator",
        "IPTC:Keywords",
        "File:Comment",
        "IFD1:ThumbnailImage",
    ] {
        assert!(
            before.contains_key(tag),
            "the fixture lacks {tag}: {before:#?}"
        );
    }
    std::fs::read(&input).unwrap()
}

/// A small PNG with text chunks (author, comment, title, time), XMP and EXIF.
pub(crate) fn png_with_text(dir: &std::path::Path) -> Vec<u8> {
    let input = dir.join("Screenshot from 2024-05-06.png");
    RgbaImage::from_fn(40, 30, |x, y| Rgba([(x * 6) as u8, (y * 8) as u8, 90, 255]))
        .save(&input)
        .unwrap();
    write_tags(
        &input,
        &[
            "-PNG:Author=Jane Private",
            "-PNG:Comment=a private comment",
            "-PNG:Title=secret title",
            "-PNG:CreationTime=2024:05:06 07:08:09",
            "-XMP-dc:Creator=Jane Private",
            "-GPSLatitude=48.8584",
            "-GPSLatitudeRef=N",
        ],
    );
    let before = tags(&input);
    for tag in ["PNG:Author", "PNG:Comment", "PNG:Title", "GPS:GPSLatitude"] {
        assert!(
            before.contains_key(tag),
            "the fixture lacks {tag}: {before:#?}"
        );
    }
    std::fs::read(&input).unwrap()
}

/// The PNG text tags exiftool reports (besides the leaky groups).
const PNG_TEXT: [&str; 5] = [
    "PNG:Author",
    "PNG:Comment",
    "PNG:Title",
    "PNG:CreationTime",
    "PNG:ModifyDate",
];

pub(crate) fn assert_no_leaks(file: &std::path::Path, what: &str) {
    let found = tags(file);
    assert_eq!(
        leaks(&found, &PNG_TEXT),
        Vec::<String>::new(),
        "left in {what}: {found:#?}"
    );
    assert!(!found.contains_key("File:Comment"), "{what}: {found:#?}");
    let bytes = std::fs::read(file).unwrap();
    for needle in [
        "Jane",
        "Acme",
        "SN0123",
        "secretkw",
        "private",
        "2024:05:06",
    ] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{needle} left in {what}"
        );
    }
}

#[test]
fn pictures_reach_nio_without_metadata_upright_and_neutrally_named() {
    let (test, sotto_user) = TestProfile::signed_in("media-sotto");
    harness::runtime().block_on(async {
        let (sync, mut nio, room, room_id) =
            encrypted_room_with_nio(&test, &sotto_user, "media-nio").await;
        let dir = tempfile::tempdir().unwrap();

        // The JPEG: prepared as the preview does (with the original name offered, which
        // is not kept unless the person asks), then sent without a caption.
        let photo = sideways_photo(dir.path());
        let prepared = prepare(
            photo,
            PrepareOptions {
                original_quality: false,
                keep_name: Some("IMG_20240506_070809.jpg".into()),
            },
        )
        .await
        .expect("the photo prepares");
        assert_eq!((prepared.width, prepared.height), (800, 1200));
        room.timeline()
            .send_image(prepared, None, false)
            .await
            .expect("the picture is queued");

        let path = dir.path().join("received.jpg");
        let thumb_path = dir.path().join("received-thumb.jpg");
        let got = nio
            .download_media(&room_id, "image.jpg", &path, &thumb_path)
            .await;
        assert!(got.decrypted, "the picture's event was encrypted");
        let jpeg_event = got.event_id.clone();
        assert_eq!(got.sender, sotto_user.user_id);
        let content = &got.content;
        assert_eq!(content["msgtype"], "m.image", "{content:#}");
        assert_eq!(content["body"], "image.jpg", "{content:#}");
        assert!(
            content.get("url").is_none() && content["file"]["url"].is_string(),
            "an encrypted room gets an encrypted file: {content:#}"
        );
        let received = std::fs::read(&path).unwrap();
        let info = &content["info"];
        assert_eq!(info["mimetype"], "image/jpeg", "{content:#}");
        assert_eq!(info["w"], 800, "{content:#}");
        assert_eq!(info["h"], 1200, "{content:#}");
        assert_eq!(info["size"], received.len() as u64, "{content:#}");
        assert!(
            info["xyz.amorgan.blurhash"]
                .as_str()
                .is_some_and(|b| b.len() > 6),
            "{content:#}"
        );
        assert!(
            info["thumbnail_file"]["url"].is_string() && info.get("thumbnail_url").is_none(),
            "an encrypted thumbnail: {content:#}"
        );
        let thumb_info = &info["thumbnail_info"];
        assert_eq!(thumb_info["mimetype"], "image/jpeg", "{content:#}");
        assert!(thumb_info["h"].as_u64().unwrap() <= 800, "{content:#}");

        // Nothing about the sender is left, in the picture or its thumbnail.
        assert_no_leaks(&path, "the picture");
        assert!(!tags(&path).contains_key("IFD0:Orientation"));
        assert_no_leaks(&thumb_path, "the thumbnail");
        // It stands the right way: what was on the left is on top.
        for (file, what) in [(&path, "picture"), (&thumb_path, "thumbnail")] {
            let shown = image::open(file).unwrap().to_rgb8();
            let (w, h) = shown.dimensions();
            assert!(h > w, "the {what} stands upright: {w}×{h}");
            let top = shown.get_pixel(w / 2, h / 4);
            let bottom = shown.get_pixel(w / 2, h * 3 / 4);
            assert!(near(top, [255, 0, 0]), "{what} top {top:?}");
            assert!(near(bottom, [0, 0, 255]), "{what} bottom {bottom:?}");
        }

        // The PNG, with a caption: the body is the caption, the file name stays neutral.
        let caption = format!("drawing {}", random_hex(6));
        let png = png_with_text(dir.path());
        let prepared = prepare(
            png,
            PrepareOptions {
                original_quality: false,
                keep_name: Some("Screenshot from 2024-05-06.png".into()),
            },
        )
        .await
        .expect("the PNG prepares");
        room.timeline()
            .send_image(prepared, Some(&caption), false)
            .await
            .expect("the PNG is queued");
        let path = dir.path().join("received.png");
        let got = nio
            .download_media(&room_id, "image.png", &path, &dir.path().join("none.png"))
            .await;
        assert!(got.decrypted);
        let content = &got.content;
        assert_eq!(content["body"], caption.as_str(), "{content:#}");
        assert_eq!(content["filename"], "image.png", "{content:#}");
        assert_eq!(content["info"]["mimetype"], "image/png", "{content:#}");
        assert_eq!(content["info"]["w"], 40, "{content:#}");
        assert_eq!(content["info"]["h"], 30, "{content:#}");
        assert_no_leaks(&path, "the PNG");
        assert_eq!(tags(&path)["File:FileType"], "PNG");

        // Sotto shows its own picture as a picture, as the event nio received.
        let shown = room.events().into_iter().any(|e| {
            e.is_own
                && e.event_id.as_deref() == Some(&crate::harness::eid(jpeg_event.as_str()))
                && matches!(&e.body, Body::Attachment(Attachment::Image(_)))
        });
        assert!(shown, "Sotto shows the sent picture: {:#?}", room.events());
        sync.stop().await;
    });
}

/// Whether the timeline shows an own attachment (sent, or waiting in the queue).
fn shows_own_attachment(room: &SottoRoom) -> bool {
    room.events()
        .iter()
        .any(|e| e.is_own && matches!(e.body, Body::Attachment(_)))
}

#[test]
fn files_arrive_byte_for_byte_and_oversized_ones_are_refused_before_queueing() {
    let (test, sotto_user) = TestProfile::signed_in("file-sotto");
    harness::runtime().block_on(async {
        let (sync, mut nio, room, room_id) =
            encrypted_room_with_nio(&test, &sotto_user, "file-nio").await;
        let dir = tempfile::tempdir().unwrap();

        // Over the limit the server states: refused, and nothing shows or waits in the
        // queue (there it would stay stuck).
        let max = room.timeline().max_upload_size().await.unwrap();
        assert!(max > 1024, "the server states an upload limit: {max}");
        let too_big = vec![0x55u8; max as usize + 1];
        let refused = room
            .timeline()
            .send_file(too_big, "big.bin", "application/octet-stream", None)
            .await;
        assert!(
            matches!(refused, Err(EngineError::TooLargeToUpload { size, max: m }) if size == max + 1 && m == max),
            "{refused:?}"
        );
        let oversized_picture = PreparedImage {
            bytes: vec![0xFF; max as usize + 1],
            format: sotto::engine::media::Format::Jpeg,
            mime: "image/jpeg",
            file_name: "image.jpg".into(),
            width: 10,
            height: 10,
            animated: false,
            thumbnail: None,
            blurhash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj".into(),
            removed: Vec::new(),
        };
        let refused = room
            .timeline()
            .send_image(oversized_picture, None, false)
            .await;
        assert!(
            matches!(refused, Err(EngineError::TooLargeToUpload { .. })),
            "{refused:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(
            !shows_own_attachment(&room),
            "nothing was queued: {:#?}",
            room.events()
        );

        // A file as it is: the same bytes arrive, under its own name.
        let bytes: Vec<u8> = (0..150_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let name = format!("report-{}.pdf", random_hex(4));
        // Every upload progress the timeline reports, from a subscription of its own.
        let (initial, mut diffs) = room.timeline().entries().await;
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let progress = tokio::spawn({
            let seen = seen.clone();
            async move {
                let mut entries: eyeball_im::Vector<_> = initial.into_iter().collect();
                while let Some(batch) = diffs.next().await {
                    for diff in batch {
                        diff.apply(&mut entries);
                    }
                    for entry in &entries {
                        if let EntryKind::Event(event) = &entry.kind
                            && let Some(upload) = event.upload
                        {
                            seen.lock().unwrap().push(upload);
                        }
                    }
                }
            }
        });
        room.timeline()
            .send_file(
                bytes.clone(),
                &format!("/home/me/Documents/{name}"),
                "application/pdf",
                None,
            )
            .await
            .expect("the file is queued");
        let path = dir.path().join("received.bin");
        let got = nio
            .download_media(&room_id, &name, &path, &dir.path().join("none"))
            .await;
        assert!(got.decrypted);
        let content: &Value = &got.content;
        assert_eq!(content["msgtype"], "m.file", "{content:#}");
        assert_eq!(content["body"], name.as_str(), "{content:#}");
        assert_eq!(content["info"]["mimetype"], "application/pdf", "{content:#}");
        assert_eq!(content["info"]["size"], bytes.len() as u64, "{content:#}");
        assert!(content["file"]["url"].is_string(), "{content:#}");
        assert!(
            std::fs::read(&path).unwrap() == bytes,
            "the file arrived unchanged"
        );
        // The file's row said how far its upload had come.
        progress.abort();
        let seen = seen.lock().unwrap().clone();
        assert!(
            seen.iter()
                .any(|u| u.total >= bytes.len() as u64 && u.sent <= u.total),
            "upload progress reported: {seen:?}"
        );

        // An empty file is refused as such.
        let empty = room
            .timeline()
            .send_file(Vec::new(), "empty.txt", "text/plain", None)
            .await;
        assert!(
            matches!(
                empty,
                Err(EngineError::Media(sotto::engine::media::MediaError::Empty))
            ),
            "{empty:?}"
        );
        sync.stop().await;
    });
}
