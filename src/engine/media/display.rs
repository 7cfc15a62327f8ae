//! Received pictures made ready to show: a picture from someone else is hostile input, so
//! it goes through the same bounded decoding as a picture being sent — the format read from
//! the bytes, the size checked from the header before anything is decoded ([`MAX_PIXELS`]),
//! a memory limit while decoding — then it is turned upright and scaled down to the size
//! it is shown at. CPU-bound: call it off the main loop.
use super::pixels::{self, Decoded};
use super::prepare::check_size;
use super::{Format, MediaError, detect, gif, jpeg, png, webp};

#[cfg(doc)]
use super::MAX_PIXELS;

/// A picture decoded for display: straight (not premultiplied) RGBA, 8 bits a channel,
/// rows without padding.
#[derive(Clone, PartialEq, Eq)]
pub struct Pixels {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width × height × 4` bytes.
    pub rgba: Vec<u8>,
}

impl std::fmt::Debug for Pixels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the pixels themselves.
        write!(f, "Pixels({}×{})", self.width, self.height)
    }
}

/// Decodes the picture in `bytes` (its first frame) and scales it down so that its longest
/// side is at most `max_side`. Errors: [`MediaError::NotAnImage`] (also for a format Sotto
/// does not decode), [`MediaError::TooLarge`] (checked from the header),
/// [`MediaError::Corrupt`].
pub fn decode_for_display(bytes: &[u8], max_side: u32) -> Result<Pixels, MediaError> {
    let Some(format) = detect(bytes) else {
        return Err(MediaError::NotAnImage);
    };
    // The walks read the header (size, orientation) without decoding anything.
    let stripped = match format {
        Format::Jpeg => jpeg::strip(bytes)?,
        Format::Png => png::strip(bytes)?,
        Format::WebP => webp::strip(bytes)?,
        Format::Gif => gif::strip(bytes)?,
    };
    check_size(stripped.width, stripped.height)?;
    let Decoded { image, .. } = pixels::decode(&stripped.bytes, format)?;
    drop(stripped.bytes);
    let orientation = if stripped.animated {
        1
    } else {
        stripped.orientation
    };
    // Scaled before it is turned (the longest side is the same either way).
    let mut image = pixels::fit_within(image, max_side);
    pixels::orient(&mut image, orientation);
    let rgba = image.into_rgba8();
    let (width, height) = rgba.dimensions();
    Ok(Pixels {
        width,
        height,
        rgba: rgba.into_raw(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    fn png_of(image: &RgbImage) -> Vec<u8> {
        let mut out = Vec::new();
        image
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn a_picture_is_scaled_to_the_side_asked_for() {
        let picture = RgbImage::from_fn(400, 200, |x, _| {
            if x < 200 {
                Rgb([255, 0, 0])
            } else {
                Rgb([0, 0, 255])
            }
        });
        let shown = decode_for_display(&png_of(&picture), 100).unwrap();
        assert_eq!((shown.width, shown.height), (100, 50));
        assert_eq!(shown.rgba.len(), 100 * 50 * 4);
        assert_eq!(&shown.rgba[..4], &[255, 0, 0, 255]);
        let last = shown.rgba.len() - 4;
        assert_eq!(&shown.rgba[last..], &[0, 0, 255, 255]);
    }

    #[test]
    fn a_bomb_is_refused_from_its_header() {
        let mut bomb = png_of(&RgbImage::new(1, 1));
        // IHDR's width and height (after the 8-byte signature, length and type).
        bomb[16..20].copy_from_slice(&50_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&50_000u32.to_be_bytes());
        let crc = crate::engine::media::tests::crc32(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(
            decode_for_display(&bomb, 300),
            Err(MediaError::TooLarge {
                width: 50_000,
                height: 50_000
            })
        );
    }

    #[test]
    fn text_is_not_a_picture_and_a_cut_file_is_damaged() {
        assert_eq!(
            decode_for_display(b"hello, this is text", 300),
            Err(MediaError::NotAnImage)
        );
        let whole = png_of(&RgbImage::from_pixel(64, 64, Rgb([1, 2, 3])));
        assert_eq!(
            decode_for_display(&whole[..whole.len() / 2], 300),
            Err(MediaError::Corrupt)
        );
    }
}
