//! Received sounds and videos played inside the row with GTK's media widgets (GStreamer):
//! a matrix-sdk peer sends a WAV and a "video" that is not one. Nothing plays before the
//! tap; the sound then plays from memory (its clock moves on); the broken video says it
//! cannot be played, and Sotto goes on.

use std::time::Duration;

use adw::prelude::*;
use matrix_sdk::attachment::AttachmentConfig;
use sotto::ui::room_view::RoomView;
use sotto::ui::room_view::playback::PlaybackState;
use sotto::ui::room_view::row::MessageRow;

use crate::harness::ui::{all, on_gtk_thread, open_window, present_at, screenshot, wait_for};
use crate::harness::{self, TestProfile, peers, synapse};

const PATIENCE: Duration = Duration::from_secs(60);

/// One second of a 440 Hz tone: 8 kHz, mono, 16-bit PCM in a WAV file.
fn tone_wav() -> Vec<u8> {
    let rate = 8000u32;
    let samples: Vec<i16> = (0..rate)
        .map(|i| {
            let t = f64::from(i) / f64::from(rate);
            ((t * 440.0 * std::f64::consts::TAU).sin() * 8000.0) as i16
        })
        .collect();
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for sample in samples {
        out.extend_from_slice(&sample.to_le_bytes());
    }
    out
}

/// The row of the attachment named `name` (its description line starts with it).
fn row_of(view: &RoomView, name: &str) -> Option<MessageRow> {
    all::<MessageRow>(view).into_iter().find(|row| {
        row.is_mapped()
            && row.playback_part().is_some()
            && all::<gtk::Label>(row)
                .iter()
                .any(|label| label.is_mapped() && label.label().contains(name))
    })
}

#[test]
fn a_sound_plays_in_its_row_and_a_broken_video_says_it_cannot() {
    let test = TestProfile::new();
    let rt = harness::runtime();
    let server = synapse::shared();
    let (room_id, url) = rt.block_on(async {
        let (sotto_user, session, friend) = test.signed_in_with_friend(server, "play").await;
        let dm = peers::create_dm(&friend, "Sounds", &sotto_user.user_id).await;
        peers::join_as_dm(&session, &dm, &friend).await;
        let sent = dm
            .send_attachment(
                "tone.wav",
                &"audio/wav".parse().unwrap(),
                tone_wav(),
                AttachmentConfig::new(),
            )
            .await
            .expect("the friend sends a sound");
        let event = dm.load_or_fetch_event(&sent.event_id, None).await.unwrap();
        let json: serde_json::Value = event.raw().deserialize_as().unwrap();
        let url = json["content"]["url"]
            .as_str()
            .expect("a plain sound's URL")
            .to_owned();
        let not_a_video: Vec<u8> = (0..20_000u32).map(|i| (i * 7919 % 251) as u8).collect();
        dm.send_attachment(
            "clip.mp4",
            &"video/mp4".parse().unwrap(),
            not_a_video,
            AttachmentConfig::new(),
        )
        .await
        .expect("the friend sends a broken video");
        (dm.room_id().to_string(), url)
    });
    // The media ID, as Synapse's request log shows it (other tests share the log).
    let sound_id = url.rsplit('/').next().unwrap().to_owned();

    on_gtk_thread(move || {
        let window = open_window(test.accounts.clone(), 360, 720, "session");
        wait_for(
            "the room listed",
            PATIENCE,
            || window.rooms().n_items() >= 1,
            || window.page(),
        );
        window.open_room(&crate::harness::rid(&room_id));
        let view = window.room_view();
        wait_for(
            "both files in the conversation",
            PATIENCE,
            || row_of(&view, "tone.wav").is_some() && row_of(&view, "clip.mp4").is_some(),
            String::new,
        );
        let sound = row_of(&view, "tone.wav").unwrap().playback_part().unwrap();
        assert_eq!(sound.state(), PlaybackState::Idle);
        assert!(sound.stream().is_none(), "nothing plays before the tap");
        assert!(
            !synapse::shared().access_log().contains(&sound_id),
            "nothing was downloaded before the tap"
        );
        sound.play_button().emit_clicked();
        wait_for(
            "the sound to play",
            PATIENCE,
            || {
                sound
                    .stream()
                    .is_some_and(|s| s.is_prepared() && s.duration() > 0 && s.timestamp() > 0)
            },
            || {
                let stream = sound.stream();
                format!(
                    "{:?}; prepared {:?}, duration {:?}, at {:?}, error {:?}",
                    sound.state(),
                    stream.as_ref().map(|s| s.is_prepared()),
                    stream.as_ref().map(|s| s.duration()),
                    stream.as_ref().map(|s| s.timestamp()),
                    stream.as_ref().and_then(|s| s.error())
                )
            },
        );
        assert!(
            sound.stream().unwrap().duration() >= 900_000,
            "about a second long (µs)"
        );
        assert!(
            synapse::shared().access_log().contains(&sound_id),
            "the tap downloaded the file"
        );

        let video = row_of(&view, "clip.mp4").unwrap().playback_part().unwrap();
        video.play_button().emit_clicked();
        wait_for(
            "the broken video to say so",
            PATIENCE,
            || matches!(video.state(), PlaybackState::Problem(_)),
            || format!("{:?}", video.state()),
        );
        let PlaybackState::Problem(text) = video.state() else {
            unreachable!()
        };
        assert!(text.contains("cannot be played"), "{text}");
        assert!(video.stream().is_none(), "no empty player stays");
        assert!(
            sound.stream().is_some_and(|s| s.error().is_none()),
            "the sound plays on"
        );
        screenshot(&window, "playback-360x720");
        present_at(&window, 1280, 800);
        screenshot(&window, "playback-1280x800");
        window.close();
    });
}
