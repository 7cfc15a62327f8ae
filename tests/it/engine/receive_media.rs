//! Receiving pictures: a client on another crypto implementation (matrix-nio on libolm)
//! uploads encrypted pictures and sends them; Sotto's engine describes them, loads the
//! sender's thumbnail for the preview (never the file) and the file when asked, decodes
//! them within its limits, and says what is wrong with bad ones.

use image::{Rgb, RgbImage};
use sotto::engine::timeline::picture::{PictureError, load_picture};
use sotto::engine::timeline::{Attachment, Body, Media};

use super::send_media::encrypted_room_with_nio;
use crate::harness::nio::ImageToSend;
use crate::harness::sotto_room::SottoRoom;
use crate::harness::synapse;
use crate::harness::{self, TestProfile};

/// A PNG of `width` × `height`: `left` colour on the left half, `right` on the right.
pub(crate) fn halves_png(width: u32, height: u32, left: [u8; 3], right: [u8; 3]) -> Vec<u8> {
    let picture = RgbImage::from_fn(width, height, |x, _| {
        Rgb(if x < width / 2 { left } else { right })
    });
    let mut out = Vec::new();
    picture
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// A PNG whose header claims 50,000 × 50,000 pixels, in a few hundred bytes.
pub(crate) fn bomb_png() -> Vec<u8> {
    let mut bomb = halves_png(16, 16, [0, 0, 0], [0, 0, 0]);
    bomb[16..20].copy_from_slice(&50_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&50_000u32.to_be_bytes());
    // A valid CRC for the changed IHDR, so only the size is wrong.
    let crc = crc32(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    bomb
}

/// `png` with a `tEXt` chunk `keyword` = `text` after its header: still a valid picture.
pub(crate) fn png_with_text_chunk(png: &[u8], keyword: &str, text: &str) -> Vec<u8> {
    let mut chunk = b"tEXt".to_vec();
    chunk.extend_from_slice(keyword.as_bytes());
    chunk.push(0);
    chunk.extend_from_slice(text.as_bytes());
    // The signature (8 bytes) and IHDR (4 length + 4 type + 13 data + 4 CRC) come first.
    let after_header = 8 + 25;
    let mut out = png[..after_header].to_vec();
    out.extend_from_slice(&u32::try_from(chunk.len() - 4).unwrap().to_be_bytes());
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&crc32(&chunk).to_be_bytes());
    out.extend_from_slice(&png[after_header..]);
    out
}

/// CRC-32 as PNG uses it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The first half of a real JPEG.
pub(crate) fn truncated_jpeg() -> Vec<u8> {
    let picture = RgbImage::from_fn(320, 240, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 80]));
    let mut out = Vec::new();
    picture
        .write_to(
            &mut std::io::Cursor::new(&mut out),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    out.truncate(out.len() / 2);
    out
}

fn near(pixel: &[u8], want: [u8; 3]) -> bool {
    pixel.iter().zip(want).all(|(&a, b)| a.abs_diff(b) < 30)
}

/// The colour at `(x, y)` of RGBA pixels `width` wide.
fn at(rgba: &[u8], width: u32, x: u32, y: u32) -> &[u8] {
    let i = ((y * width + x) * 4) as usize;
    &rgba[i..i + 3]
}

/// Waits until Sotto shows the picture named `name`.
pub(crate) async fn wait_for_picture(room: &SottoRoom, name: &str) -> Media {
    let event = room
        .wait_for_body(
            &format!("the picture {name}"),
            |body| matches!(body, Body::Attachment(Attachment::Image(m)) if m.name == name),
        )
        .await;
    let Body::Attachment(Attachment::Image(media)) = event.body else {
        unreachable!()
    };
    *media
}

#[test]
fn an_encrypted_picture_from_nio_loads_its_thumbnail_then_the_file() {
    let (test, sotto_user) = TestProfile::signed_in("recv-sotto");
    harness::runtime().block_on(async {
        let (sync, mut nio, room, room_id) =
            encrypted_room_with_nio(&test, &sotto_user, "recv-nio").await;
        let session = room.timeline().session().clone();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("meadow.png");
        std::fs::write(&file, halves_png(600, 400, [255, 0, 0], [0, 0, 255])).unwrap();
        // The thumbnail is green and yellow: what loads shows which one it was.
        let thumb = dir.path().join("thumb.png");
        std::fs::write(&thumb, halves_png(150, 100, [0, 255, 0], [255, 255, 0])).unwrap();
        let (_, url) = nio
            .send_image(
                &room_id,
                &ImageToSend {
                    path: &file,
                    name: "meadow.png",
                    mimetype: "image/png",
                    size: (600, 400),
                    bytes: None,
                    caption: Some("Our meadow"),
                    thumbnail: Some((&thumb, "image/png", 150, 100)),
                    blurhash: Some("LsTSUA_3fQ_3~qt7fQt7fQfQfQfQ"),
                },
            )
            .await;

        let media = wait_for_picture(&room, "meadow.png").await;
        assert_eq!(media.caption.as_deref(), Some("Our meadow"));
        assert_eq!(media.mimetype.as_deref(), Some("image/png"));
        assert_eq!((media.width, media.height), (Some(600), Some(400)));
        assert_eq!(media.size, Some(std::fs::metadata(&file).unwrap().len()));
        assert_eq!(
            media.blurhash.as_deref(),
            Some("LsTSUA_3fQ_3~qt7fQt7fQfQfQfQ")
        );
        assert!(media.source.is_encrypted());
        assert_eq!(media.source.uri(), url);
        let thumbnail = media.thumbnail.clone().expect("the thumbnail is described");
        assert!(thumbnail.is_encrypted());

        // The preview is the sender's thumbnail (decrypted, hash checked), never the file.
        let preview = load_picture(&session, &media, 300, false)
            .await
            .expect("the thumbnail loads");
        assert_eq!((preview.width, preview.height), (150, 100));
        assert!(near(at(&preview.rgba, 150, 10, 50), [0, 255, 0]));
        assert!(near(at(&preview.rgba, 150, 140, 50), [255, 255, 0]));
        let log = synapse::shared().access_log();
        let media_id = |uri: &str| uri.rsplit('/').next().unwrap().to_owned();
        assert!(
            log.contains(&media_id(thumbnail.uri())),
            "the thumbnail was downloaded"
        );
        assert!(
            !log.contains(&media_id(&url)),
            "the file itself was not downloaded for the preview"
        );

        // Asked for the whole picture: the file, scaled down to the side asked for.
        let whole = load_picture(&session, &media, 300, true)
            .await
            .expect("the file loads");
        assert_eq!((whole.width, whole.height), (300, 200));
        assert!(near(at(&whole.rgba, 300, 10, 100), [255, 0, 0]));
        assert!(near(at(&whole.rgba, 300, 290, 100), [0, 0, 255]));

        // Without a thumbnail, a small encrypted picture loads from its file.
        let plain = dir.path().join("small.png");
        std::fs::write(&plain, halves_png(80, 60, [255, 255, 255], [0, 0, 0])).unwrap();
        nio.send_image(
            &room_id,
            &ImageToSend {
                path: &plain,
                name: "small.png",
                mimetype: "image/png",
                size: (80, 60),
                bytes: None,
                caption: None,
                thumbnail: None,
                blurhash: None,
            },
        )
        .await;
        let media = wait_for_picture(&room, "small.png").await;
        assert_eq!(media.caption, None);
        let shown = load_picture(&session, &media, 300, false).await.unwrap();
        assert_eq!((shown.width, shown.height), (80, 60));
        assert!(near(at(&shown.rgba, 80, 5, 30), [255, 255, 255]));
        assert!(near(at(&shown.rgba, 80, 75, 30), [0, 0, 0]));
        sync.stop().await;
    });
}

#[test]
fn bad_pictures_from_nio_are_typed_errors_not_crashes() {
    let (test, sotto_user) = TestProfile::signed_in("badpic-sotto");
    harness::runtime().block_on(async {
        let (sync, mut nio, room, room_id) =
            encrypted_room_with_nio(&test, &sotto_user, "badpic-nio").await;
        let session = room.timeline().session().clone();
        let dir = tempfile::tempdir().unwrap();
        let cases: [(&str, Vec<u8>, PictureError); 3] = [
            ("bomb.png", bomb_png(), PictureError::TooLarge),
            ("cut.jpg", truncated_jpeg(), PictureError::Damaged),
            (
                "text.png",
                b"Dear diary, this is not a picture.\n".repeat(20),
                PictureError::NotAPicture,
            ),
        ];
        for (name, bytes, _) in &cases {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            nio.send_image(
                &room_id,
                &ImageToSend {
                    path: &path,
                    name,
                    mimetype: "image/png",
                    size: (640, 480),
                    bytes: None,
                    caption: None,
                    thumbnail: None,
                    blurhash: None,
                },
            )
            .await;
        }
        let before = harness::peak_memory_kib();
        for (name, _, want) in &cases {
            let media = wait_for_picture(&room, name).await;
            let got = load_picture(&session, &media, 300, false).await;
            assert_eq!(got.err(), Some(*want), "{name}");
            let got = load_picture(&session, &media, 300, true).await;
            assert_eq!(got.err(), Some(*want), "{name}, loaded whole");
        }
        let grown = harness::peak_memory_kib().saturating_sub(before);
        assert!(
            grown < 200 * 1024,
            "the peak memory grew by {grown} KiB on bad pictures"
        );
        sync.stop().await;
    });
}
