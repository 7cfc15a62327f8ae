//! Received pictures and files of encrypted rooms are nowhere readable at rest: a peer sends
//! a picture (a valid PNG with a marker in a text chunk) and a file holding a marker; Sotto
//! shows the picture and downloads the file byte for byte (both cached in its media
//! store); then neither marker is in the server's folder (its media store holds only the
//! encrypted bytes) nor in Sotto's files. The same file in an unencrypted room is the
//! positive control: the scan finds its marker in the server's media store, and Sotto's
//! encrypted store hides even that one.

use matrix_sdk::attachment::AttachmentConfig;
use sotto::engine::timeline::picture::{download_file, load_picture};
use sotto::engine::timeline::{Attachment, Body, Media};

use super::fixture::{TwoRooms, two_rooms};
use super::scan::{encodings, files_containing};
use crate::engine::receive_media::{halves_png, png_with_text_chunk};
use crate::harness::TestProfile;
use crate::harness::sotto_room::SottoRoom;
use crate::harness::synapse::{Synapse, random_hex};

fn marker(what: &str) -> String {
    format!("marker-{what}-{}", random_hex(16))
}

/// Waits until Sotto shows the attachment named `name` and returns its media.
async fn wait_for_attachment(room: &SottoRoom, name: &str) -> Media {
    let event = room
        .wait_for_body(&format!("the attachment {name}"), |body| {
            matches!(body, Body::Attachment(a) if media_of(a).is_some_and(|m| m.name == name))
        })
        .await;
    let Body::Attachment(attachment) = event.body else {
        unreachable!()
    };
    media_of(&attachment).cloned().unwrap()
}

fn media_of(attachment: &Attachment) -> Option<&Media> {
    match attachment {
        Attachment::Image(m) | Attachment::File(m) => Some(m),
        _ => None,
    }
}

#[test]
fn received_media_of_encrypted_rooms_is_nowhere_readable_at_rest() {
    let test = TestProfile::new();
    // A server of its own: it is stopped before its files are scanned.
    let server = Synapse::start();
    let runtime = crate::harness::runtime();

    let in_picture = marker("picture");
    let in_file = marker("file");
    let unencrypted = marker("unencrypted-file");
    let picture = png_with_text_chunk(
        &halves_png(64, 48, [200, 40, 40], [40, 40, 200]),
        "Comment",
        &in_picture,
    );
    let file = format!("Notes for the meeting\n{in_file}\nEnd.\n").into_bytes();
    let open_file = format!("Public notes\n{unencrypted}\n").into_bytes();

    runtime.block_on(async {
        let TwoRooms {
            secret_room,
            open_room,
            session,
            sync,
            sotto_secret,
            sotto_open,
            ..
        } = two_rooms(&server, &test, "media-markers").await;

        for (room, name, mime, bytes) in [
            (&secret_room, "picture.png", mime::IMAGE_PNG, &picture),
            (&secret_room, "notes.txt", mime::TEXT_PLAIN, &file),
            (&open_room, "public.txt", mime::TEXT_PLAIN, &open_file),
        ] {
            room.send_attachment(name, &mime, bytes.clone(), AttachmentConfig::new())
                .await
                .expect("the peer sends the attachment");
        }

        let shown = wait_for_attachment(&sotto_secret, "picture.png").await;
        assert!(shown.source.is_encrypted(), "the picture is encrypted");
        let pixels = load_picture(&session, &shown, 300, false)
            .await
            .expect("the picture shows");
        assert_eq!((pixels.width, pixels.height), (64, 48));
        let notes = wait_for_attachment(&sotto_secret, "notes.txt").await;
        assert!(notes.source.is_encrypted(), "the file is encrypted");
        assert_eq!(
            download_file(&session, &notes).await.expect("the file"),
            file,
            "the file arrives byte for byte"
        );
        let public = wait_for_attachment(&sotto_open, "public.txt").await;
        assert!(!public.source.is_encrypted());
        assert_eq!(
            download_file(&session, &public).await.expect("the file"),
            open_file
        );
        sync.stop().await;
    });
    drop(runtime);
    server.stop();

    let server_dir = server.data_dir();
    let profile_dir = test
        .accounts
        .paths()
        .data()
        .parent()
        .expect("the accounts' folder");
    for (name, text) in [
        ("the picture's marker", &in_picture),
        ("the file's marker", &in_file),
    ] {
        let needles = encodings(text.as_bytes());
        let hits = files_containing(server_dir, &needles);
        assert!(
            hits.is_empty(),
            "{name} is readable in the server's files {hits:?}"
        );
        let hits = files_containing(profile_dir, &needles);
        assert!(
            hits.is_empty(),
            "{name} is readable in Sotto's files {hits:?}"
        );
    }
    let needles = encodings(unencrypted.as_bytes());
    let hits = files_containing(profile_dir, &needles);
    assert!(
        hits.is_empty(),
        "an unencrypted room's file is readable in Sotto's files {hits:?}"
    );
    // Positive control: the scan finds the unencrypted file where the server keeps it.
    let media_store = server_dir.join("media_store").display().to_string();
    let hits = files_containing(server_dir, &needles);
    assert!(
        hits.iter().any(|hit| hit.starts_with(&media_store)),
        "the scan does not find the unencrypted file in the server's media store; it found \
         it in {hits:?}"
    );
}
