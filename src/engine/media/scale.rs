//! Scaling 8-bit pictures down by area: each output pixel is the average of the input
//! pixels it covers, those at its edges weighted by how much of them it covers (a box
//! filter the size of the output pixel). It blurs nothing finer than the output can show
//! and lets no detail alias through, and in fixed point, one pass down and one across, it
//! is several times faster than the `image` crate's generic filters: a 12-megapixel photo
//! takes tens of milliseconds instead of hundreds.

use image::{ImageBuffer, Pixel};

/// Weights are in units of 1/2^15 and the weights of one output pixel sum to exactly
/// 2^15: a weight fits a u16, so a weight times a u8 is a 16 × 16-bit multiply, which
/// even baseline x86-64 (SSE2) does four or eight at a time, and 255 × 2^15 fits the u32
/// sums.
const SHIFT: u32 = 15;
const ONE: u32 = 1 << SHIFT;
const HALF: u32 = ONE / 2;

/// The input pixels one output pixel is made of: `len` pixels from `first`, with their
/// weights at `at` in the shared weight list.
#[derive(Clone, Copy)]
struct Tap {
    first: usize,
    at: usize,
    len: usize,
}

/// The taps that make `dst` pixels out of `src` along one axis, and their weights.
fn taps(src: usize, dst: usize) -> (Vec<Tap>, Vec<u32>) {
    let scale = src as f64 / dst as f64;
    let mut taps = Vec::with_capacity(dst);
    let mut weights = Vec::with_capacity(dst * (scale.ceil() as usize + 1));
    for o in 0..dst {
        let start = o as f64 * scale;
        let end = ((o + 1) as f64 * scale).min(src as f64);
        let first = (start.floor() as usize).min(src - 1);
        let last = (end.ceil() as usize).clamp(first + 1, src);
        let at = weights.len();
        for i in first..last {
            let covered = ((i + 1) as f64).min(end) - (i as f64).max(start);
            weights.push((covered.max(0.0) / (end - start) * f64::from(ONE)).round() as u32);
        }
        // Rounding may leave the sum a unit off: the largest weight takes the difference.
        let own = &mut weights[at..];
        let sum: u32 = own.iter().sum();
        let largest = (0..own.len()).max_by_key(|&i| own[i]).unwrap_or(0);
        own[largest] = (own[largest] + ONE).saturating_sub(sum);
        taps.push(Tap {
            first,
            at,
            len: last - first,
        });
    }
    (taps, weights)
}

/// `image` scaled to `width` × `height` (each no larger than the image's) by area.
pub(super) fn area<P>(
    image: &ImageBuffer<P, Vec<u8>>,
    width: u32,
    height: u32,
) -> ImageBuffer<P, Vec<u8>>
where
    P: Pixel<Subpixel = u8>,
{
    let (src_w, src_h) = (image.width() as usize, image.height() as usize);
    let (dst_w, dst_h) = (width.max(1) as usize, height.max(1) as usize);
    let pixels = match usize::from(P::CHANNEL_COUNT) {
        1 => scale::<1>(image.as_raw(), src_w, src_h, dst_w, dst_h),
        2 => scale::<2>(image.as_raw(), src_w, src_h, dst_w, dst_h),
        3 => scale::<3>(image.as_raw(), src_w, src_h, dst_w, dst_h),
        _ => scale::<4>(image.as_raw(), src_w, src_h, dst_w, dst_h),
    };
    ImageBuffer::from_raw(dst_w as u32, dst_h as u32, pixels)
        .expect("the buffer has the size it was made for")
}

/// Pictures of at least this many input pixels are scaled in bands on several threads.
const BANDS_FROM: usize = 1 << 20;
/// At most this many bands (the phone has four cores).
const MAX_BANDS: usize = 4;

/// Scales `C`-channel pixels, in horizontal bands of output rows that are independent of
/// each other (on their own threads when the picture is large).
fn scale<const C: usize>(
    src: &[u8],
    src_w: usize,
    src_h: usize,
    dst_w: usize,
    dst_h: usize,
) -> Vec<u8> {
    let down = taps(src_h, dst_h);
    let across = taps(src_w, dst_w);
    let bands = if src_w * src_h >= BANDS_FROM {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, MAX_BANDS)
            .min(dst_h)
    } else {
        1
    };
    let rows_per_band = dst_h.div_ceil(bands);
    let band = |b: usize| {
        let rows = b * rows_per_band..((b + 1) * rows_per_band).min(dst_h);
        scale_rows::<C>(src, src_w, (&down.0[rows], &down.1), (&across.0, &across.1))
    };
    let band = &band;
    let parts: Vec<Vec<u8>> = std::thread::scope(|s| {
        let helpers: Vec<_> = (1..bands)
            .map(|b| {
                let helper = std::thread::Builder::new()
                    .name("media-scale".into())
                    .spawn_scoped(s, move || band(b));
                (b, helper)
            })
            .collect();
        let mut parts = vec![band(0)];
        for (b, helper) in helpers {
            parts.push(match helper {
                Ok(helper) => helper
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                // No thread to be had: the same work here.
                Err(_) => band(b),
            });
        }
        parts
    });
    parts.concat()
}

/// The output rows of `down`: each made down its column first (whole rows at a time,
/// which the compiler turns into vector code), then across.
fn scale_rows<const C: usize>(
    src: &[u8],
    src_w: usize,
    (down, down_weights): (&[Tap], &[u32]),
    (across, across_weights): (&[Tap], &[u32]),
) -> Vec<u8> {
    let row_len = src_w * C;
    let mut short = vec![0u8; row_len];
    let mut sum = vec![0u32; row_len];
    let mut out = vec![0u8; down.len() * across.len() * C];
    for (tap, out_row) in down.iter().zip(out.chunks_exact_mut(across.len() * C)) {
        let weights = &down_weights[tap.at..tap.at + tap.len];
        let row = |k: usize| &src[(tap.first + k) * row_len..(tap.first + k + 1) * row_len];
        let mul = |w: u32, v: u8| u32::from(w as u16) * u32::from(u16::from(v));
        match *weights {
            // Two or three rows (scaling by up to 2): in one pass, no sums kept in memory.
            [w0, w1] => {
                for ((o, &a), &b) in short.iter_mut().zip(row(0)).zip(row(1)) {
                    *o = ((HALF + mul(w0, a) + mul(w1, b)) >> SHIFT) as u8;
                }
            }
            [w0, w1, w2] => {
                for (((o, &a), &b), &c) in short.iter_mut().zip(row(0)).zip(row(1)).zip(row(2)) {
                    *o = ((HALF + mul(w0, a) + mul(w1, b) + mul(w2, c)) >> SHIFT) as u8;
                }
            }
            _ => {
                sum.fill(HALF);
                for (k, &w) in weights.iter().enumerate() {
                    for (s, &v) in sum.iter_mut().zip(row(k)) {
                        *s += mul(w, v);
                    }
                }
                for (o, s) in short.iter_mut().zip(&sum) {
                    *o = (s >> SHIFT) as u8;
                }
            }
        }
        for (tap, out) in across.iter().zip(out_row.chunks_exact_mut(C)) {
            let weights = &across_weights[tap.at..tap.at + tap.len];
            let pixels = &short[tap.first * C..(tap.first + tap.len) * C];
            match *weights {
                // Two or three pixels (scaling by up to 2), unrolled.
                [w0, w1] => {
                    let (p0, p1) = pixels.split_at(C);
                    for c in 0..C {
                        let sum = HALF + w0 * u32::from(p0[c]) + w1 * u32::from(p1[c]);
                        out[c] = (sum >> SHIFT) as u8;
                    }
                }
                [w0, w1, w2] => {
                    let (p0, rest) = pixels.split_at(C);
                    let (p1, p2) = rest.split_at(C);
                    for c in 0..C {
                        let sum = HALF
                            + w0 * u32::from(p0[c])
                            + w1 * u32::from(p1[c])
                            + w2 * u32::from(p2[c]);
                        out[c] = (sum >> SHIFT) as u8;
                    }
                }
                _ => {
                    let mut sum = [HALF; C];
                    for (&w, pixel) in weights.iter().zip(pixels.chunks_exact(C)) {
                        for c in 0..C {
                            sum[c] += w * u32::from(pixel[c]);
                        }
                    }
                    for c in 0..C {
                        out[c] = (sum[c] >> SHIFT) as u8;
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayImage, Luma, Rgb, RgbImage};

    #[test]
    fn weights_cover_each_output_pixel_exactly() {
        for (src, dst) in [
            (4000, 2048),
            (3000, 1536),
            (7, 3),
            (10, 10),
            (5, 1),
            (2100, 2048),
        ] {
            let (taps, weights) = taps(src, dst);
            assert_eq!(taps.len(), dst);
            for tap in &taps {
                let sum: u32 = weights[tap.at..tap.at + tap.len].iter().sum();
                assert_eq!(sum, ONE, "{src} -> {dst}");
                assert!(tap.first + tap.len <= src);
            }
            assert_eq!(taps[0].first, 0);
            let last = taps[dst - 1];
            assert_eq!(last.first + last.len, src);
        }
    }

    /// The exact area average of `image` at `width` × `height`, in floating point.
    fn reference(image: &RgbImage, width: u32, height: u32) -> RgbImage {
        let (sw, sh) = (f64::from(image.width()), f64::from(image.height()));
        let (sx, sy) = (sw / f64::from(width), sh / f64::from(height));
        // How much of source pixel i lies in [start, end).
        let cover = |i: u32, start: f64, end: f64| {
            (f64::from(i + 1).min(end) - f64::from(i).max(start)).max(0.0)
        };
        RgbImage::from_fn(width, height, |ox, oy| {
            let (x0, x1) = (f64::from(ox) * sx, f64::from(ox + 1) * sx);
            let (y0, y1) = (f64::from(oy) * sy, f64::from(oy + 1) * sy);
            let mut sum = [0.0; 3];
            for y in y0.floor() as u32..(y1.ceil() as u32).min(image.height()) {
                for x in x0.floor() as u32..(x1.ceil() as u32).min(image.width()) {
                    let weight = cover(x, x0, x1) * cover(y, y0, y1);
                    for (s, &v) in sum.iter_mut().zip(&image.get_pixel(x, y).0) {
                        *s += weight * f64::from(v);
                    }
                }
            }
            Rgb(sum.map(|s| (s / (sx * sy)).round() as u8))
        })
    }

    #[test]
    fn every_path_matches_a_straight_area_average() {
        let mut seed = 7u32;
        let image = RgbImage::from_fn(301, 203, |_, _| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let v = seed.to_be_bytes();
            Rgb([v[0], v[1], v[2]])
        });
        // Two or three taps per pixel (by about 2), and more (by about 7 and 40).
        for (width, height) in [(154, 104), (200, 150), (43, 29), (7, 5)] {
            let ours = area(&image, width, height);
            let exact = reference(&image, width, height);
            for (a, b) in ours.pixels().zip(exact.pixels()) {
                for c in 0..3 {
                    assert!(
                        a.0[c].abs_diff(b.0[c]) <= 1,
                        "{width}×{height}: {a:?} vs {b:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn halving_averages_each_square_of_four() {
        let image = GrayImage::from_raw(4, 2, vec![0, 100, 10, 20, 200, 100, 30, 40]).unwrap();
        let half = area(&image, 2, 1);
        assert_eq!(half.as_raw(), &vec![100, 25]);
    }

    #[test]
    fn a_flat_colour_stays_exactly_the_same() {
        let image = RgbImage::from_pixel(4000 / 8, 3000 / 8, Rgb([17, 128, 254]));
        let small = area(&image, 256, 192);
        assert!(small.pixels().all(|p| *p == Rgb([17, 128, 254])));
        let grey = GrayImage::from_pixel(31, 17, Luma([255]));
        assert!(area(&grey, 7, 3).pixels().all(|p| p.0[0] == 255));
    }

    #[test]
    fn thirds_weigh_the_partly_covered_pixel() {
        // 3 → 2: the middle pixel is half in each output pixel.
        let image = GrayImage::from_raw(3, 1, vec![0, 90, 180]).unwrap();
        let small = area(&image, 2, 1);
        // (0 + 90/2) / 1.5 = 30, (90/2 + 180) / 1.5 = 150.
        assert_eq!(small.as_raw(), &vec![30, 150]);
    }
}
