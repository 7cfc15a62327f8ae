//! Received animated pictures (GIF, animated WebP) decoded frame by frame for display: each
//! frame composed on the canvas by the decoder, scaled down to the size shown. Hostile
//! input like any picture: the canvas size is checked from the header first, the decoder
//! allocates under a limit, and an animation stops at [`MAX_FRAMES`] frames or
//! [`MAX_ANIMATION_BYTES`] of decoded pixels (it then loops over the frames it has). A
//! frame that fails to decode after the first ends the animation there. CPU-bound: call it
//! off the main loop.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use image::codecs::gif::GifDecoder;
use image::codecs::webp::WebPDecoder;
use image::{AnimationDecoder, DynamicImage, ImageDecoder, Limits};

use super::display::{Pixels, decode_for_display};
use super::pixels::{self, MAX_DECODE_BYTES};
use super::prepare::check_size;
use super::{Format, MediaError, detect, gif, webp};

/// At most this many frames of an animation are decoded.
pub const MAX_FRAMES: usize = 200;
/// At most this many bytes of decoded (scaled) frames for one animation.
pub const MAX_ANIMATION_BYTES: usize = 48 * 1024 * 1024;
/// Frames meant to show for less than this show this long, as browsers do (many GIFs say
/// 0 or 10 ms and mean "as fast as is reasonable").
pub const MIN_FRAME_TIME: Duration = Duration::from_millis(20);
/// What such a frame shows for instead.
const DEFAULT_FRAME_TIME: Duration = Duration::from_millis(100);

/// One frame of a picture and how long it shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub pixels: Pixels,
    pub delay: Duration,
}

/// Decodes the picture in `bytes` frame by frame, each scaled so that its longest side is
/// at most `max_side`. A still picture (or a format without animation) is one frame.
/// Errors as [`decode_for_display`]'s, for the first frame.
pub fn decode_frames(bytes: &[u8], max_side: u32) -> Result<Vec<Frame>, MediaError> {
    let format = detect(bytes);
    let header = match format {
        Some(Format::Gif) => Some(gif::strip(bytes)?),
        Some(Format::WebP) => Some(webp::strip(bytes)?),
        _ => None,
    };
    let Some((width, height)) = header.filter(|h| h.animated).map(|h| (h.width, h.height)) else {
        let pixels = decode_for_display(bytes, max_side)?;
        return Ok(vec![Frame {
            pixels,
            delay: Duration::ZERO,
        }]);
    };
    check_size(width, height)?;
    let result = catch_unwind(AssertUnwindSafe(|| {
        let cursor = Cursor::new(bytes);
        if format == Some(Format::WebP) {
            let mut decoder = WebPDecoder::new(cursor)?;
            decoder.set_limits(limits())?;
            collect(decoder.into_frames(), max_side)
        } else {
            let mut decoder = GifDecoder::new(cursor)?;
            decoder.set_limits(limits())?;
            collect(decoder.into_frames(), max_side)
        }
    }));
    match result {
        Ok(Ok(frames)) if !frames.is_empty() => Ok(frames),
        Ok(Ok(_)) => Err(MediaError::Corrupt),
        Ok(Err(image::ImageError::Limits(_))) => Err(MediaError::TooLarge { width, height }),
        Ok(Err(_)) => Err(MediaError::Corrupt),
        Err(_) => {
            tracing::warn!(?format, "an animation decoder panicked");
            Err(MediaError::Corrupt)
        }
    }
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    limits
}

/// The frames of `frames`, scaled to `max_side`, within the bounds of this module.
fn collect(frames: image::Frames<'_>, max_side: u32) -> image::ImageResult<Vec<Frame>> {
    let mut out: Vec<Frame> = Vec::new();
    let mut bytes = 0usize;
    for frame in frames.take(MAX_FRAMES) {
        let frame = match frame {
            Ok(frame) => frame,
            // Cut or damaged further on: the frames so far play.
            Err(_) if !out.is_empty() => break,
            Err(error) => return Err(error),
        };
        let (numer, denom) = frame.delay().numer_denom_ms();
        let delay = Duration::from_millis(u64::from(numer / denom.max(1)));
        let delay = if delay < MIN_FRAME_TIME {
            DEFAULT_FRAME_TIME
        } else {
            delay
        };
        let scaled = pixels::fit_within(DynamicImage::ImageRgba8(frame.into_buffer()), max_side)
            .into_rgba8();
        let (width, height) = scaled.dimensions();
        let rgba = scaled.into_raw();
        bytes += rgba.len();
        if bytes > MAX_ANIMATION_BYTES && !out.is_empty() {
            break;
        }
        out.push(Frame {
            pixels: Pixels {
                width,
                height,
                rgba,
            },
            delay,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::media::tests::{encode_gif, gradient_jpeg};

    #[test]
    fn every_frame_of_a_gif_is_decoded_and_scaled_with_its_time() {
        let frames = decode_frames(&encode_gif(200, 100, 3), 50).unwrap();
        assert_eq!(frames.len(), 3);
        for frame in &frames {
            assert_eq!((frame.pixels.width, frame.pixels.height), (50, 25));
            assert_eq!(frame.pixels.rgba.len(), 50 * 25 * 4);
            assert_eq!(frame.delay, Duration::from_millis(100));
        }
        assert_ne!(
            frames[0].pixels.rgba, frames[1].pixels.rgba,
            "the frames differ"
        );
    }

    #[test]
    fn a_still_picture_is_one_frame() {
        let frames = decode_frames(&gradient_jpeg(64, 48), 32).unwrap();
        assert_eq!(frames.len(), 1);
        assert_eq!((frames[0].pixels.width, frames[0].pixels.height), (32, 24));
        let frames = decode_frames(&encode_gif(20, 10, 1), 32).unwrap();
        assert_eq!(frames.len(), 1);
    }

    #[test]
    fn thousands_of_frames_stop_at_the_bound() {
        let frames = decode_frames(&encode_gif(8, 8, 1000), 8).unwrap();
        assert_eq!(frames.len(), MAX_FRAMES);
    }

    #[test]
    fn large_frames_stop_at_the_byte_bound() {
        // 1500 × 1500 RGBA is 9 MB a frame: five fit under the bound.
        let frames = decode_frames(&encode_gif(1500, 1500, 8), 1500).unwrap();
        assert_eq!(frames.len(), MAX_ANIMATION_BYTES / (1500 * 1500 * 4));
    }

    #[test]
    fn cut_or_broken_animations_are_errors() {
        let gif = encode_gif(40, 40, 4);
        assert_eq!(
            decode_frames(&gif[..gif.len() * 3 / 4], 40),
            Err(MediaError::Corrupt)
        );
        assert!(decode_frames(b"GIF89a not really", 40).is_err());
        assert_eq!(decode_frames(b"", 40), Err(MediaError::NotAnImage));
    }
}
