//! The pixel work: decoding the first frame under a memory limit, scaling down, turning
//! by the EXIF orientation, and encoding anew (JPEG, or PNG where there is transparency).

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::codecs::gif::GifDecoder;
use image::codecs::jpeg::JpegDecoder;
use image::codecs::png::PngDecoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPDecoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageEncoder, ImageError, Limits};

use super::{Format, MediaError, jpeg_bands, scale, turn};

/// What a decoder may allocate for one picture: a 100-megapixel RGBA picture fits, a
/// bomb's claimed size does not.
pub(super) const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;

/// A decoded first frame and the colour profile that came with it.
pub(super) struct Decoded {
    pub image: DynamicImage,
    pub icc: Option<Vec<u8>>,
}

/// Decodes the first frame of `bytes` (a file of `format`, metadata already removed). The
/// header's size was checked by then; the limit here bounds what the decoder allocates.
/// A panic inside a decoder (a bug there, on a hostile file) is an error too.
pub(super) fn decode(bytes: &[u8], format: Format) -> Result<Decoded, MediaError> {
    let result = catch_unwind(AssertUnwindSafe(|| {
        let cursor = Cursor::new(bytes);
        match format {
            Format::Jpeg => decode_with(JpegDecoder::new(cursor)?),
            Format::Png => decode_with(PngDecoder::new(cursor)?),
            Format::WebP => decode_with(WebPDecoder::new(cursor)?),
            Format::Gif => decode_with(GifDecoder::new(cursor)?),
        }
    }));
    match result {
        Ok(Ok(decoded)) => Ok(decoded),
        Ok(Err(DecodeError { error, size })) => Err(media_error(error, size)),
        Err(_) => {
            tracing::warn!(?format, "an image decoder panicked");
            Err(MediaError::Corrupt)
        }
    }
}

/// A decoder's error, with the size it announced once it got that far (for `TooLarge`).
struct DecodeError {
    error: ImageError,
    size: Option<(u32, u32)>,
}

impl From<ImageError> for DecodeError {
    fn from(error: ImageError) -> Self {
        Self { error, size: None }
    }
}

fn decode_with(mut decoder: impl ImageDecoder) -> Result<Decoded, DecodeError> {
    let size = Some(decoder.dimensions());
    let with_size = |error| DecodeError { error, size };
    let icc = decoder.icc_profile().ok().flatten();
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    limits.reserve(decoder.total_bytes()).map_err(with_size)?;
    decoder.set_limits(limits).map_err(with_size)?;
    let image = DynamicImage::from_decoder(decoder).map_err(with_size)?;
    Ok(Decoded { image, icc })
}

fn media_error(error: ImageError, size: Option<(u32, u32)>) -> MediaError {
    match error {
        ImageError::Limits(_) => {
            let (width, height) = size.unwrap_or_default();
            MediaError::TooLarge { width, height }
        }
        ImageError::Unsupported(_) => MediaError::Unsupported,
        ImageError::Encoding(_) => MediaError::EncodeFailed,
        ImageError::Decoding(_) | ImageError::Parameter(_) | ImageError::IoError(_) => {
            MediaError::Corrupt
        }
    }
}

/// The size that fits `width` × `height` into `side` × `side`, keeping the proportions
/// (at least one pixel each way).
pub(super) fn fit(width: u32, height: u32, side: u32) -> (u32, u32) {
    let longest = width.max(height);
    if longest <= side {
        return (width, height);
    }
    let scale = |v: u32| {
        ((u64::from(v) * u64::from(side) + u64::from(longest) / 2) / u64::from(longest)).max(1)
            as u32
    };
    (scale(width), scale(height))
}

/// `image` scaled down to `width` × `height` by area (8-bit pictures, which is what
/// JPEG, WebP, GIF and most PNGs decode to, through the fast `scale`; the rest through
/// the `image` crate's own area filter).
pub(super) fn downscale(image: &DynamicImage, width: u32, height: u32) -> DynamicImage {
    match image {
        DynamicImage::ImageRgb8(i) => DynamicImage::ImageRgb8(scale::area(i, width, height)),
        DynamicImage::ImageRgba8(i) => DynamicImage::ImageRgba8(scale::area(i, width, height)),
        DynamicImage::ImageLuma8(i) => DynamicImage::ImageLuma8(scale::area(i, width, height)),
        DynamicImage::ImageLumaA8(i) => DynamicImage::ImageLumaA8(scale::area(i, width, height)),
        other => other.thumbnail_exact(width, height),
    }
}

/// `image` itself when its longest side is at most `side` (at least 1), else scaled down
/// to that.
pub(super) fn fit_within(image: DynamicImage, side: u32) -> DynamicImage {
    let (width, height) = fit(image.width(), image.height(), side.max(1));
    if (width, height) == (image.width(), image.height()) {
        image
    } else {
        downscale(&image, width, height)
    }
}

/// Turns `image` so it stands as the EXIF orientation (1–8) says.
pub(super) fn orient(image: &mut DynamicImage, orientation: u8) {
    if orientation == 1 {
        return;
    }
    *image = match &*image {
        DynamicImage::ImageRgb8(i) => DynamicImage::ImageRgb8(turn::orient(i, orientation)),
        DynamicImage::ImageRgba8(i) => DynamicImage::ImageRgba8(turn::orient(i, orientation)),
        DynamicImage::ImageLuma8(i) => DynamicImage::ImageLuma8(turn::orient(i, orientation)),
        DynamicImage::ImageLumaA8(i) => DynamicImage::ImageLumaA8(turn::orient(i, orientation)),
        _ => {
            if let Some(orientation) = Orientation::from_exif(orientation) {
                image.apply_orientation(orientation);
            }
            return;
        }
    };
}

/// Whether any pixel of `image` is not fully opaque.
pub(super) fn has_transparency(image: &DynamicImage) -> bool {
    match image {
        DynamicImage::ImageLumaA8(i) => i.pixels().any(|p| p.0[1] != u8::MAX),
        DynamicImage::ImageRgba8(i) => i.pixels().any(|p| p.0[3] != u8::MAX),
        DynamicImage::ImageLumaA16(i) => i.pixels().any(|p| p.0[1] != u16::MAX),
        DynamicImage::ImageRgba16(i) => i.pixels().any(|p| p.0[3] != u16::MAX),
        other if other.color().has_alpha() => other.to_rgba8().pixels().any(|p| p.0[3] != u8::MAX),
        _ => false,
    }
}

/// `image` as a JPEG of `quality` (1–100), grey when it has no colour. The ICC profile
/// goes with it when it describes the encoded channels (a CMYK profile does not fit the
/// RGB the decoder made of CMYK).
pub(super) fn encode_jpeg(
    image: &DynamicImage,
    quality: u8,
    icc: Option<&[u8]>,
) -> Result<Vec<u8>, MediaError> {
    let grey = !image.color().has_color();
    let icc = icc.filter(|p| profile_fits(p, grey));
    if grey {
        match image.as_luma8() {
            Some(luma) => jpeg_bands::encode(luma, quality, icc),
            None => jpeg_bands::encode(&image.to_luma8(), quality, icc),
        }
    } else {
        match image.as_rgb8() {
            Some(rgb) => jpeg_bands::encode(rgb, quality, icc),
            None => jpeg_bands::encode(&image.to_rgb8(), quality, icc),
        }
    }
}

/// `image` as a PNG, with its ICC profile when it fits.
pub(super) fn encode_png(image: &DynamicImage, icc: Option<&[u8]>) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    let mut encoder = PngEncoder::new(&mut out);
    let grey = !image.color().has_color();
    if let Some(icc) = icc.filter(|p| profile_fits(p, grey)) {
        let _ = encoder.set_icc_profile(icc.to_vec());
    }
    // The PNG encoder takes 8- and 16-bit grey and RGB, with or without alpha.
    let image = match image {
        DynamicImage::ImageRgb32F(_) => &DynamicImage::ImageRgb16(image.to_rgb16()),
        DynamicImage::ImageRgba32F(_) => &DynamicImage::ImageRgba16(image.to_rgba16()),
        other => other,
    };
    image
        .write_with_encoder(encoder)
        .map_err(|_| MediaError::EncodeFailed)?;
    Ok(out)
}

/// Whether an ICC profile's colour space (bytes 16–19 of its header) is the one encoded.
fn profile_fits(profile: &[u8], grey: bool) -> bool {
    let space = profile.get(16..20);
    if grey {
        space == Some(b"GRAY")
    } else {
        space == Some(b"RGB ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitting_keeps_the_proportions() {
        assert_eq!(fit(4000, 3000, 2048), (2048, 1536));
        assert_eq!(fit(3000, 4000, 2048), (1536, 2048));
        assert_eq!(fit(100, 50, 2048), (100, 50));
        assert_eq!(fit(100_000, 1, 800), (800, 1));
        assert_eq!(fit(2049, 2049, 2048), (2048, 2048));
    }

    #[test]
    fn profiles_go_only_where_they_fit() {
        let mut rgb = vec![0u8; 128];
        rgb[16..20].copy_from_slice(b"RGB ");
        let mut cmyk = rgb.clone();
        cmyk[16..20].copy_from_slice(b"CMYK");
        assert!(profile_fits(&rgb, false));
        assert!(!profile_fits(&rgb, true));
        assert!(!profile_fits(&cmyk, false));
        assert!(!profile_fits(&[1, 2, 3], false));
    }
}
