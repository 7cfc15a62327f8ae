//! Loading a received picture for display: the smallest copy that serves (the sender's
//! thumbnail, else the server's thumbnail of a plain picture, else the file itself when it
//! is small enough), downloaded through the SDK (authenticated media; cached in Sotto's
//! encrypted media store, never in a plain file; an encrypted file's hash is checked), then
//! decoded off the main loop with the limits of `engine::media`.

use matrix_sdk::media::{MediaFormat, MediaRequestParameters, MediaThumbnailSettings};
use matrix_sdk::ruma::UInt;
use matrix_sdk::ruma::events::room::MediaSource;

use super::RoomTimeline;
use super::entry::{EventEntry, Media};
use crate::engine::media::autoload::{AutoloadSetting, RoomKind, SenderTrust, loads_by_itself};
use crate::engine::media::{Frame, MediaError, Pixels, decode_for_display, decode_frames};
use crate::engine::session::Session;

/// A picture without a thumbnail loads as a whole only up to this size (as its event
/// claims); larger ones wait for the person to ask ([`PictureError::NeedsFullLoad`]).
pub const WHOLE_FILE_LIMIT: u64 = 20 * 1024 * 1024;

/// Why a picture cannot be shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PictureError {
    /// It has more pixels than Sotto decodes.
    #[error("the picture is too large")]
    TooLarge,
    /// It is damaged or cut short.
    #[error("the picture is damaged")]
    Damaged,
    /// It is not a picture (or not a kind Sotto decodes).
    #[error("not a picture")]
    NotAPicture,
    /// The server did not give it (or the file did not match its hash).
    #[error("the download failed")]
    DownloadFailed,
    /// It has no thumbnail and the file is over [`WHOLE_FILE_LIMIT`]: it loads only when
    /// the person asks for the whole file.
    #[error("the file is large and has no thumbnail")]
    NeedsFullLoad,
}

impl From<MediaError> for PictureError {
    fn from(error: MediaError) -> Self {
        match error {
            MediaError::TooLarge { .. } => PictureError::TooLarge,
            MediaError::NotAnImage | MediaError::Unsupported | MediaError::Empty => {
                PictureError::NotAPicture
            }
            MediaError::Corrupt | MediaError::EncodeFailed => PictureError::Damaged,
        }
    }
}

/// What to download for a picture shown at most `side` pixels wide and high; `whole` asks
/// for the file itself whatever its size.
fn request_for(
    media: &Media,
    side: u32,
    whole: bool,
) -> Result<MediaRequestParameters, PictureError> {
    let file = |source: &MediaSource| MediaRequestParameters {
        source: source.clone(),
        format: MediaFormat::File,
    };
    if whole {
        return Ok(file(&media.source.0));
    }
    // The sender's thumbnail; an encrypted one can only be fetched whole (the SDK decrypts
    // it and checks its hash), a plain one is small already.
    if let Some(thumbnail) = &media.thumbnail {
        return Ok(file(&thumbnail.0));
    }
    if let MediaSource::Plain(_) = &media.source.0 {
        // Twice the size shown, for screens with two device pixels to the point.
        let side = UInt::from(side.saturating_mul(2));
        return Ok(MediaRequestParameters {
            source: media.source.0.clone(),
            format: MediaFormat::Thumbnail(MediaThumbnailSettings::new(side, side)),
        });
    }
    if media.size.is_some_and(|size| size > WHOLE_FILE_LIMIT) {
        return Err(PictureError::NeedsFullLoad);
    }
    Ok(file(&media.source.0))
}

/// Loads the picture of `media` for display at most `side` pixels wide and high: the
/// thumbnail when there is one (`whole` = false), else the file. Decoded on a blocking
/// thread; the pixels come scaled down to `side`.
pub async fn load_picture(
    session: &Session,
    media: &Media,
    side: u32,
    whole: bool,
) -> Result<Pixels, PictureError> {
    let request = request_for(media, side, whole)?;
    let client = session.client();
    let started = std::time::Instant::now();
    let bytes = match client.media().get_media_content(&request, true).await {
        Ok(bytes) => bytes,
        // The server could not make a thumbnail of a plain file: the file itself, if small.
        Err(_) if matches!(request.format, MediaFormat::Thumbnail(_)) => {
            if media.size.is_some_and(|size| size > WHOLE_FILE_LIMIT) {
                return Err(PictureError::NeedsFullLoad);
            }
            download_file(session, media).await?
        }
        Err(err) => {
            tracing::debug!("a picture did not download: {err}");
            return Err(PictureError::DownloadFailed);
        }
    };
    let fetched = started.elapsed();
    let pixels = decode_picture(bytes, side).await;
    tracing::debug!(
        "a picture took {} ms from the store or server, {} ms to decode",
        fetched.as_millis(),
        started.elapsed().saturating_sub(fetched).as_millis()
    );
    pixels
}

/// Animated pictures play from the file itself (a sender's thumbnail is a still): a GIF up
/// to this size as its event claims,
pub const ANIMATION_FILE_LIMIT: u64 = 8 * 1024 * 1024;
/// and a WebP (more often a photo than an animation) up to this one.
const WEBP_ANIMATION_FILE_LIMIT: u64 = 2 * 1024 * 1024;

/// Whether the picture of `media` may be animated and is loaded whole to play it.
pub fn plays_from_file(media: &Media) -> bool {
    let limit = match media.mimetype.as_deref() {
        Some("image/gif") => ANIMATION_FILE_LIMIT,
        Some("image/webp") => WEBP_ANIMATION_FILE_LIMIT,
        _ => return false,
    };
    media.size.is_some_and(|size| size <= limit)
}

/// Loads the picture of `media` frame by frame from its file (one frame for a still one),
/// each at most `side` pixels wide and high; decoded on a blocking thread within the
/// bounds of `engine::media::decode_frames`.
pub async fn load_frames(
    session: &Session,
    media: &Media,
    side: u32,
) -> Result<Vec<Frame>, PictureError> {
    let bytes = download_file(session, media).await?;
    tokio::task::spawn_blocking(move || decode_frames(&bytes, side))
        .await
        .unwrap_or(Err(MediaError::Corrupt))
        .map_err(PictureError::from)
}

/// The file of `media` as its sender sent it (decrypted, its hash checked), to save or to
/// show whole. Cached in Sotto's encrypted media store like the pictures shown.
pub async fn download_file(session: &Session, media: &Media) -> Result<Vec<u8>, PictureError> {
    let request = request_for(media, 0, true)?;
    session
        .client()
        .media()
        .get_media_content(&request, true)
        .await
        .map_err(|err| {
            tracing::debug!("a file did not download: {err}");
            PictureError::DownloadFailed
        })
}

/// A file name to offer when the person saves the file of `media`: the sender's name for
/// it, without folders, hidden-file dots or characters file systems refuse; `fallback`
/// when nothing of it is left.
pub fn name_to_save(media: &Media, fallback: &str) -> String {
    let last = media.name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .map(|c| if c.is_control() || c == ':' { '_' } else { c })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        fallback.to_owned()
    } else {
        cleaned.chars().take(120).collect()
    }
}

/// Decodes the picture in `bytes` for display at most `side` pixels wide and high, off
/// the calling thread, with the limits of `engine::media`.
pub async fn decode_picture(bytes: Vec<u8>, side: u32) -> Result<Pixels, PictureError> {
    tokio::task::spawn_blocking(move || decode_for_display(&bytes, side))
        .await
        // A panic while decoding: the picture is treated as damaged, the app goes on.
        .unwrap_or(Err(MediaError::Corrupt))
        .map_err(PictureError::from)
}

impl RoomTimeline {
    /// Whether the room is a direct chat, another room, or an invitation (now: an
    /// invitation can be accepted while the room is open).
    pub fn room_kind(&self) -> RoomKind {
        if self.room.state() == matrix_sdk::RoomState::Invited {
            RoomKind::Invited
        } else if self.room.direct_targets_length() > 0 {
            RoomKind::Direct
        } else {
            RoomKind::Group
        }
    }

    /// Whether the picture of `event` loads without a tap, under `setting` (the rule is
    /// [`loads_by_itself`]).
    pub fn picture_loads_by_itself(&self, event: &EventEntry, setting: AutoloadSetting) -> bool {
        loads_by_itself(
            setting,
            self.room_kind(),
            SenderTrust {
                own: event.is_own,
                verified: event.sender_verified,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use matrix_sdk::ruma::owned_mxc_uri;

    use super::super::entry::MediaRef;
    use super::*;

    fn media(thumbnail: bool, size: u64) -> Media {
        Media {
            name: "x.png".to_owned(),
            caption: None,
            mimetype: Some("image/png".to_owned()),
            size: Some(size),
            width: Some(10),
            height: Some(10),
            blurhash: None,
            source: MediaRef(MediaSource::Plain(owned_mxc_uri!("mxc://s/file"))),
            thumbnail: thumbnail.then(|| MediaRef(MediaSource::Plain(owned_mxc_uri!("mxc://s/t")))),
        }
    }

    #[test]
    fn the_senders_thumbnail_comes_first_then_the_servers() {
        let request = request_for(&media(true, 100), 300, false).unwrap();
        assert!(matches!(&request.source, MediaSource::Plain(u) if u.as_str() == "mxc://s/t"));
        assert!(matches!(request.format, MediaFormat::File));
        let request = request_for(&media(false, 100), 300, false).unwrap();
        assert!(matches!(&request.source, MediaSource::Plain(u) if u.as_str() == "mxc://s/file"));
        assert!(matches!(request.format, MediaFormat::Thumbnail(_)));
        let request = request_for(&media(true, 100), 300, true).unwrap();
        assert!(matches!(&request.source, MediaSource::Plain(u) if u.as_str() == "mxc://s/file"));
        assert!(matches!(request.format, MediaFormat::File));
    }

    #[test]
    fn a_saved_file_gets_a_plain_name_of_its_own() {
        let named = |name: &str| {
            let mut m = media(false, 1);
            name.clone_into(&mut m.name);
            name_to_save(&m, "picture")
        };
        assert_eq!(named("meadow.png"), "meadow.png");
        assert_eq!(named("../../.bashrc"), "bashrc", "no folders, not hidden");
        assert_eq!(named("C:\\Users\\x\\photo.jpg"), "photo.jpg");
        assert_eq!(named("a:b\u{7}.txt"), "a_b_.txt");
        assert_eq!(named(" .. "), "picture");
        assert_eq!(named("/"), "picture");
        assert_eq!(named(&"x".repeat(300)).chars().count(), 120);
    }
}
