//! Turning and mirroring 8-bit pictures as an EXIF orientation says, in one pass that reads
//! the source in small tiles (a turned copy written pixel by pixel through the `image`
//! crate's generic accessors costs several times as much on a 3-megapixel picture).

use image::{ImageBuffer, Pixel};

/// The side of the square tiles the copy goes through, so both the rows read and the rows
/// written stay in the cache.
const TILE: usize = 32;

/// `image` as it is shown under EXIF `orientation` (1–8; anything else leaves it as it
/// is).
pub(super) fn orient<P>(image: &ImageBuffer<P, Vec<u8>>, orientation: u8) -> ImageBuffer<P, Vec<u8>>
where
    P: Pixel<Subpixel = u8>,
{
    let (w, h) = (image.width() as usize, image.height() as usize);
    let pixels = match usize::from(P::CHANNEL_COUNT) {
        1 => turn::<1>(image.as_raw(), w, h, orientation),
        2 => turn::<2>(image.as_raw(), w, h, orientation),
        3 => turn::<3>(image.as_raw(), w, h, orientation),
        _ => turn::<4>(image.as_raw(), w, h, orientation),
    };
    let (out_w, out_h) = if (5..=8).contains(&orientation) {
        (h, w)
    } else {
        (w, h)
    };
    ImageBuffer::from_raw(out_w as u32, out_h as u32, pixels)
        .expect("the buffer has the size it was made for")
}

fn turn<const C: usize>(src: &[u8], w: usize, h: usize, orientation: u8) -> Vec<u8> {
    // One copy loop per orientation, each with its own source mapping inlined: the shown
    // pixel (x, y) comes from stored pixel `source(x, y)` of a `w` × `h` picture.
    match orientation {
        2 => copy::<C>(src, w, (w, h), |x, y| (w - 1 - x, y)),
        3 => copy::<C>(src, w, (w, h), |x, y| (w - 1 - x, h - 1 - y)),
        4 => copy::<C>(src, w, (w, h), |x, y| (x, h - 1 - y)),
        5 => copy::<C>(src, w, (h, w), |x, y| (y, x)),
        6 => copy::<C>(src, w, (h, w), |x, y| (y, h - 1 - x)),
        7 => copy::<C>(src, w, (h, w), |x, y| (w - 1 - y, h - 1 - x)),
        8 => copy::<C>(src, w, (h, w), |x, y| (w - 1 - y, x)),
        _ => src.to_vec(),
    }
}

/// The shown picture of `out_w` × `out_h`, tile by tile.
#[inline(always)]
fn copy<const C: usize>(
    src: &[u8],
    w: usize,
    (out_w, out_h): (usize, usize),
    source: impl Fn(usize, usize) -> (usize, usize),
) -> Vec<u8> {
    let mut out = vec![0u8; src.len()];
    for tile_y in (0..out_h).step_by(TILE) {
        for tile_x in (0..out_w).step_by(TILE) {
            for y in tile_y..(tile_y + TILE).min(out_h) {
                let row = &mut out[y * out_w * C..(y + 1) * out_w * C];
                let end = (tile_x + TILE).min(out_w);
                for (x, to) in (tile_x..end).zip(row[tile_x * C..end * C].chunks_exact_mut(C)) {
                    let (sx, sy) = source(x, y);
                    let from = (sy * w + sx) * C;
                    to.copy_from_slice(&src[from..from + C]);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::metadata::Orientation;
    use image::{DynamicImage, RgbImage, RgbaImage};

    #[test]
    fn every_orientation_matches_the_image_crate() {
        let rgb = RgbImage::from_fn(37, 21, |x, y| image::Rgb([x as u8, y as u8, (x * y) as u8]));
        let rgba = RgbaImage::from_fn(5, 3, |x, y| image::Rgba([x as u8, y as u8, 7, 200]));
        for orientation in 1..=8 {
            let exif = Orientation::from_exif(orientation).unwrap();
            let mut want = DynamicImage::ImageRgb8(rgb.clone());
            want.apply_orientation(exif);
            assert_eq!(orient(&rgb, orientation), want.to_rgb8(), "{orientation}");
            let mut want = DynamicImage::ImageRgba8(rgba.clone());
            want.apply_orientation(exif);
            assert_eq!(orient(&rgba, orientation), want.to_rgba8(), "{orientation}");
        }
    }
}
