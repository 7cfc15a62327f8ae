//! Sending pictures and files: through the send queue like text (they survive going
//! offline; in an encrypted room the SDK encrypts file and thumbnail before upload), after
//! the same checks as text and a check of the server's upload limit.

use matrix_sdk::attachment::{AttachmentInfo, BaseFileInfo, BaseImageInfo, Thumbnail};
use matrix_sdk::ruma::UInt;
use matrix_sdk::ruma::events::room::message::TextMessageEventContent;
use matrix_sdk_ui::timeline::{AttachmentConfig, AttachmentSource};

use super::RoomTimeline;
use crate::engine::media::{MediaError, PrepareOptions, PreparedImage, prepare_image};
use crate::engine::{EngineError, Result};

/// Prepares a picture for sending ([`prepare_image`]) on a blocking thread of the runtime,
/// never on the caller's: a 12-megapixel photo takes a few hundred milliseconds.
pub async fn prepare(
    bytes: impl AsRef<[u8]> + Send + 'static,
    options: PrepareOptions,
) -> Result<PreparedImage, MediaError> {
    tokio::task::spawn_blocking(move || prepare_image(bytes.as_ref(), &options))
        .await
        // A panic while preparing: the picture is treated as damaged, the app goes on.
        .unwrap_or(Err(MediaError::Corrupt))
}

/// The name a file is sent under: only the last part of a path, without direction
/// overrides or control characters; "file" when nothing is left.
pub fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let base: String = crate::engine::bidi::strip_direction_overrides(base)
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let base = base.trim();
    if base.is_empty() || base.chars().all(|c| c == '.') {
        "file".to_owned()
    } else {
        base.to_owned()
    }
}

fn uint(value: u64) -> Option<UInt> {
    UInt::new(value)
}

fn caption_of(caption: Option<&str>) -> Option<TextMessageEventContent> {
    caption
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(TextMessageEventContent::plain)
}

impl RoomTimeline {
    /// The largest upload the server takes, in bytes (asked once per client, then cached).
    pub async fn max_upload_size(&self) -> Result<u64> {
        self.session.max_upload_size().await
    }

    /// Refuses a file larger than the server takes, before it is queued: inside the send
    /// queue an upload the server refuses stays stuck there after the person moved on.
    /// When the limit cannot be learnt because the server cannot be reached, the file is
    /// queued all the same (it goes when the connection is back, like text).
    async fn check_upload_size(&self, size: usize) -> Result<()> {
        let max = match self.max_upload_size().await {
            Ok(max) => max,
            Err(EngineError::Unreachable(_)) => {
                tracing::info!("the upload limit is not known while offline; queued unchecked");
                return Ok(());
            }
            Err(err) => return Err(err),
        };
        // Encryption (AES-CTR) keeps the size: the plain size is the uploaded size.
        let size = size as u64;
        if size > max {
            return Err(EngineError::TooLargeToUpload { size, max });
        }
        Ok(())
    }

    /// Sends a prepared picture (see [`prepare`]) with an optional caption. It goes under
    /// a neutral name (`image.jpg`, `image.png`…) unless `keep_name`, when it goes under
    /// the name the picture was prepared with.
    pub async fn send_image(
        &self,
        prepared: PreparedImage,
        caption: Option<&str>,
        keep_name: bool,
    ) -> Result<()> {
        if prepared.bytes.is_empty() {
            return Err(EngineError::Media(MediaError::Empty));
        }
        self.before_sending().await?;
        self.check_upload_size(prepared.bytes.len()).await?;
        let PreparedImage {
            bytes,
            mime,
            file_name,
            format,
            width,
            height,
            animated,
            thumbnail,
            blurhash,
            ..
        } = prepared;
        let filename = if keep_name {
            file_name
        } else {
            format!("image.{}", format.extension())
        };
        let content_type: mime::Mime = mime.parse().map_err(EngineError::matrix)?;
        let info = AttachmentInfo::Image(BaseImageInfo {
            width: Some(UInt::from(width)),
            height: Some(UInt::from(height)),
            size: uint(bytes.len() as u64),
            blurhash: Some(blurhash),
            is_animated: Some(animated),
        });
        let thumbnail = match thumbnail {
            Some(t) => Some(Thumbnail {
                content_type: t.mime.parse().map_err(EngineError::matrix)?,
                width: UInt::from(t.width),
                height: UInt::from(t.height),
                size: uint(t.bytes.len() as u64).unwrap_or_default(),
                data: t.bytes,
            }),
            None => None,
        };
        let config = AttachmentConfig {
            info: Some(info),
            thumbnail,
            caption: caption_of(caption),
            ..Default::default()
        };
        tracing::debug!(size = bytes.len(), ?format, "queueing a picture");
        self.timeline
            .send_attachment(
                AttachmentSource::Data { bytes, filename },
                content_type,
                config,
            )
            .use_send_queue()
            .await
            .map_err(EngineError::matrix)
    }

    /// Sends a file as it is (its metadata is not removed), under `name` (only its last
    /// path part is kept), with its MIME type `mime` (`application/octet-stream` when it is
    /// not one) and an optional caption.
    pub async fn send_file(
        &self,
        bytes: Vec<u8>,
        name: &str,
        mime: &str,
        caption: Option<&str>,
    ) -> Result<()> {
        if bytes.is_empty() {
            return Err(EngineError::Media(MediaError::Empty));
        }
        self.before_sending().await?;
        self.check_upload_size(bytes.len()).await?;
        let content_type: mime::Mime = mime.parse().unwrap_or(mime::APPLICATION_OCTET_STREAM);
        let config = AttachmentConfig {
            info: Some(AttachmentInfo::File(BaseFileInfo {
                size: uint(bytes.len() as u64),
            })),
            caption: caption_of(caption),
            ..Default::default()
        };
        tracing::debug!(size = bytes.len(), "queueing a file");
        let filename = clean_file_name(name);
        self.timeline
            .send_attachment(
                AttachmentSource::Data { bytes, filename },
                content_type,
                config,
            )
            .use_send_queue()
            .await
            .map_err(EngineError::matrix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_only_the_last_part() {
        assert_eq!(clean_file_name("/home/me/Documents/plan.pdf"), "plan.pdf");
        assert_eq!(clean_file_name("C:\\x\\notes.txt"), "notes.txt");
        assert_eq!(clean_file_name("a\u{202E}fdp.exe"), "afdp.exe");
        assert_eq!(clean_file_name("line\nbreak.txt"), "linebreak.txt");
        assert_eq!(clean_file_name(".."), "file");
        assert_eq!(clean_file_name("dir/"), "file");
    }

    #[test]
    fn blank_captions_are_none() {
        assert!(caption_of(Some("  ")).is_none());
        assert!(caption_of(None).is_none());
        assert_eq!(caption_of(Some(" hi ")).unwrap().body, "hi");
    }
}
