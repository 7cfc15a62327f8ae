//! From the chosen file to what is uploaded: find the format, drop the metadata, check the
//! size, then decode once for the orientation, the scaling, the thumbnail and the
//! blurhash.

use image::{DynamicImage, GenericImageView};

use super::pixels::{self, Decoded};
use super::{
    BLURHASH_COMPONENTS, Format, MAX_PIXELS, MAX_SIDE, MediaError, PrepareOptions, PreparedImage,
    Stripped, THUMBNAIL_SIDE, Thumbnail, blurhash, detect, gif, is_other_image, jpeg, png, webp,
};

/// JPEG quality of a picture scaled down.
const SCALED_QUALITY: u8 = 85;
/// JPEG quality of a picture only turned upright (kept at its size, so kept closer).
const TURNED_QUALITY: u8 = 90;
/// JPEG quality of a thumbnail.
const THUMBNAIL_QUALITY: u8 = 80;
/// The longest side of the picture the blurhash is computed from.
const BLURHASH_SIDE: u32 = 32;

/// Makes the picture in `bytes` ready to send: no metadata left (what was found is listed
/// in `removed`), upright, no larger than [`MAX_SIDE`] unless `original_quality`, with a
/// thumbnail and a blurhash. Animated pictures keep every frame and are never encoded
/// anew. CPU-bound: run it off the main loop.
pub fn prepare_image(bytes: &[u8], options: &PrepareOptions) -> Result<PreparedImage, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty);
    }
    let Some(format) = detect(bytes) else {
        return Err(if is_other_image(bytes) {
            MediaError::Unsupported
        } else {
            MediaError::NotAnImage
        });
    };
    let stripped = match format {
        Format::Jpeg => jpeg::strip(bytes)?,
        Format::Png => png::strip(bytes)?,
        Format::WebP => webp::strip(bytes)?,
        Format::Gif => gif::strip(bytes)?,
    };
    check_size(stripped.width, stripped.height)?;
    let Decoded { image, icc } = pixels::decode(&stripped.bytes, format)?;
    let Stripped {
        bytes: stripped_bytes,
        animated,
        orientation,
        mut removed,
        ..
    } = stripped;
    // An animation is sent as it is: its frames are never encoded anew.
    let orientation = if animated { 1 } else { orientation };
    let (width, height) = image.dimensions();
    let scale = !animated && !options.original_quality && width.max(height) > MAX_SIDE;

    let re_encode = scale || orientation != 1;
    let mut image = image;
    if scale {
        // Scaled before it is turned: turning the smaller picture is cheaper.
        let (w, h) = pixels::fit(width, height, MAX_SIDE);
        image = pixels::downscale(&image, w, h);
    }
    pixels::orient(&mut image, orientation);
    let (width, height) = image.dimensions();

    // A picture encoded anew gets its thumbnail and blurhash on a second thread meanwhile
    // (encoding is the longest step, and the phone has four cores).
    let (encoded, previews) = if re_encode {
        std::thread::scope(|s| {
            let helper = std::thread::Builder::new()
                .name("media-previews".into())
                .spawn_scoped(s, || previews(&image));
            let encoded = encode(&image, format, scale, icc.as_deref());
            let previews = match helper {
                Ok(helper) => helper
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                // No thread to be had: the same work here.
                Err(_) => previews(&image),
            };
            (encoded, previews)
        })
    } else {
        (Ok((stripped_bytes, format)), previews(&image))
    };
    let (bytes, format) = encoded?;
    let (thumbnail, blurhash) = previews?;

    removed.sort();
    removed.dedup();
    tracing::debug!(
        ?format,
        width,
        height,
        animated,
        re_encoded = re_encode,
        "image prepared"
    );
    Ok(PreparedImage {
        bytes,
        format,
        mime: format.mime(),
        file_name: file_name(options.keep_name.as_deref(), format),
        width,
        height,
        animated,
        thumbnail,
        blurhash,
        removed,
    })
}

/// The picture encoded anew (it was scaled or turned): as PNG when it has transparency
/// or is a PNG only turned (which stays lossless), as JPEG otherwise.
fn encode(
    image: &DynamicImage,
    format: Format,
    scaled: bool,
    icc: Option<&[u8]>,
) -> Result<(Vec<u8>, Format), MediaError> {
    if pixels::has_transparency(image) || (format == Format::Png && !scaled) {
        Ok((pixels::encode_png(image, icc)?, Format::Png))
    } else {
        let quality = if scaled {
            SCALED_QUALITY
        } else {
            TURNED_QUALITY
        };
        Ok((pixels::encode_jpeg(image, quality, icc)?, Format::Jpeg))
    }
}

/// The thumbnail (when the picture is larger than [`THUMBNAIL_SIDE`]) and the blurhash,
/// computed from the thumbnail when there is one (the smallest picture at hand).
fn previews(image: &DynamicImage) -> Result<(Option<Thumbnail>, String), MediaError> {
    let (width, height) = image.dimensions();
    let small = (width.max(height) > THUMBNAIL_SIDE).then(|| {
        let (w, h) = pixels::fit(width, height, THUMBNAIL_SIDE);
        pixels::downscale(image, w, h)
    });
    let thumbnail = small.as_ref().map(thumbnail).transpose()?;
    let source = small.as_ref().unwrap_or(image);
    let (w, h) = pixels::fit(source.width(), source.height(), BLURHASH_SIDE);
    let tiny = pixels::downscale(source, w, h).to_rgb8();
    let blurhash = blurhash::encode(&tiny, BLURHASH_COMPONENTS.0, BLURHASH_COMPONENTS.1);
    Ok((thumbnail, blurhash))
}

/// Refuses a picture whose header claims more than [`MAX_PIXELS`], before anything is
/// decoded (a few kilobytes of PNG can claim 50,000 × 50,000).
pub(super) fn check_size(width: u32, height: u32) -> Result<(), MediaError> {
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        Err(MediaError::TooLarge { width, height })
    } else {
        Ok(())
    }
}

fn thumbnail(image: &DynamicImage) -> Result<Thumbnail, MediaError> {
    let (bytes, format) = if pixels::has_transparency(image) {
        (pixels::encode_png(image, None)?, Format::Png)
    } else {
        (
            pixels::encode_jpeg(image, THUMBNAIL_QUALITY, None)?,
            Format::Jpeg,
        )
    };
    Ok(Thumbnail {
        bytes,
        mime: format.mime(),
        width: image.width(),
        height: image.height(),
    })
}

/// The name the file is sent under: `image.EXT`, or the kept name (its last path part,
/// without control or direction-override characters) with an extension that says the
/// format it now has.
fn file_name(keep: Option<&str>, format: Format) -> String {
    let default = || format!("image.{}", format.extension());
    let Some(name) = keep else {
        return default();
    };
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let base: String = crate::engine::bidi::strip_direction_overrides(base)
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let base = base.trim();
    match base.rsplit_once('.') {
        _ if base.is_empty() || base.chars().all(|c| c == '.') => default(),
        Some((stem, extension)) if !stem.is_empty() => {
            if format.has_extension(extension) {
                base.to_owned()
            } else {
                format!("{stem}.{}", format.extension())
            }
        }
        _ => format!("{base}.{}", format.extension()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_generic_unless_kept() {
        assert_eq!(file_name(None, Format::Jpeg), "image.jpg");
        assert_eq!(file_name(None, Format::WebP), "image.webp");
        assert_eq!(file_name(Some("Beach.JPEG"), Format::Jpeg), "Beach.JPEG");
        // Encoded anew as JPEG: the name says so.
        assert_eq!(file_name(Some("screen.png"), Format::Jpeg), "screen.jpg");
        assert_eq!(file_name(Some("noext"), Format::Gif), "noext.gif");
        assert_eq!(
            file_name(Some("/home/me/Pictures/x.gif"), Format::Gif),
            "x.gif"
        );
        assert_eq!(
            file_name(Some("C:\\Users\\me\\y.png"), Format::Png),
            "y.png"
        );
        assert_eq!(
            file_name(Some("evil\u{202E}gpj.exe"), Format::Jpeg),
            "evilgpj.jpg"
        );
        assert_eq!(file_name(Some(".hidden"), Format::Png), ".hidden.png");
        assert_eq!(file_name(Some(".."), Format::Png), "image.png");
        assert_eq!(file_name(Some("  "), Format::Png), "image.png");
    }

    #[test]
    fn the_size_check_is_on_the_pixel_count() {
        assert!(check_size(10_000, 10_000).is_ok());
        assert_eq!(
            check_size(10_000, 10_001),
            Err(MediaError::TooLarge {
                width: 10_000,
                height: 10_001
            })
        );
        assert!(check_size(u32::MAX, u32::MAX).is_err());
    }
}
