//! JPEG encoding on several threads: the picture is cut into bands of whole 8-pixel block
//! rows, each band is encoded on its own, and the bands' entropy-coded data are joined
//! with restart markers (a restart interval of one band: the decoder resets its DC
//! predictions at each marker, so the bands need nothing from each other). The pixels
//! decode exactly as from one encoding in a piece. Encoding is the longest step of
//! preparing a photo, and the phone has four slow cores.
//!
//! The `image` crate's encoder writes 4:4:4 (one 8×8 block of each component per MCU) and
//! baseline Huffman tables that do not depend on the picture, so every band carries the
//! same tables and the first band's header serves the whole.

use image::ImageEncoder;
use image::codecs::jpeg::JpegEncoder;
use image::{ImageBuffer, Pixel, PixelWithColorType};

use super::{MediaError, be16};

/// Pictures of fewer pixels are encoded in one piece (threads cost more than they give).
const BANDS_FROM: u64 = 1 << 20;
/// At most this many threads.
const MAX_THREADS: usize = 4;
/// The side of a minimum coded unit of the `image` crate's encoder (4:4:4 or grey).
const MCU: u32 = 8;

/// `image` as a JPEG of `quality`, with `icc` in its header.
pub(super) fn encode<P>(
    image: &ImageBuffer<P, Vec<u8>>,
    quality: u8,
    icc: Option<&[u8]>,
) -> Result<Vec<u8>, MediaError>
where
    P: Pixel<Subpixel = u8> + PixelWithColorType + Sync,
{
    let threads = if u64::from(image.width()) * u64::from(image.height()) >= BANDS_FROM {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_THREADS)
    } else {
        1
    };
    encode_in(image, quality, icc, threads, u16::MAX)
}

/// `encode` with the number of threads and the largest restart interval given (the tests
/// force several bands on small pictures).
fn encode_in<P>(
    image: &ImageBuffer<P, Vec<u8>>,
    quality: u8,
    icc: Option<&[u8]>,
    threads: usize,
    max_interval: u16,
) -> Result<Vec<u8>, MediaError>
where
    P: Pixel<Subpixel = u8> + PixelWithColorType + Sync,
{
    let (width, height) = image.dimensions();
    let mcus_per_row = width.div_ceil(MCU);
    let mcu_rows = height.div_ceil(MCU);
    // Block rows per band: spread over the threads, and no more MCUs than a restart
    // interval (16 bits) can count. A band wider than that (more than 500,000 pixels
    // across) cannot be: JPEG's limit is 65,535.
    let rows_by_threads = mcu_rows.div_ceil(threads.max(1) as u32);
    let rows_by_interval = (u32::from(max_interval) / mcus_per_row.max(1)).max(1);
    let rows_per_band = rows_by_threads.min(rows_by_interval).max(1);
    let bands = mcu_rows.div_ceil(rows_per_band) as usize;
    if bands <= 1 || threads <= 1 {
        return piece(image, 0, height, quality, icc);
    }
    let band = |b: usize| {
        let top = b as u32 * rows_per_band * MCU;
        let bottom = (top + rows_per_band * MCU).min(height);
        // The header is taken from the first band only: the profile goes there.
        piece(image, top, bottom, quality, icc.filter(|_| b == 0))
    };
    let band = &band;
    // Each thread encodes a run of consecutive bands.
    let per_thread = bands.div_ceil(threads.max(1));
    let runs: Vec<Vec<usize>> = (0..bands)
        .collect::<Vec<_>>()
        .chunks(per_thread)
        .map(<[usize]>::to_vec)
        .collect();
    let pieces: Vec<Result<Vec<u8>, MediaError>> = std::thread::scope(|s| {
        let helpers: Vec<_> = runs[1..]
            .iter()
            .map(|run| {
                let helper = std::thread::Builder::new()
                    .name("media-jpeg".into())
                    .spawn_scoped(s, move || run.iter().map(|&b| band(b)).collect::<Vec<_>>());
                (run, helper)
            })
            .collect();
        let mut pieces: Vec<_> = runs[0].iter().map(|&b| band(b)).collect();
        for (run, helper) in helpers {
            match helper {
                Ok(helper) => pieces.extend(
                    helper
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                ),
                // No thread to be had: the same work here.
                Err(_) => pieces.extend(run.iter().map(|&b| band(b))),
            }
        }
        pieces
    });
    let pieces = pieces.into_iter().collect::<Result<Vec<_>, _>>()?;
    let interval =
        u16::try_from(rows_per_band * mcus_per_row).map_err(|_| MediaError::EncodeFailed)?;
    let height = u16::try_from(height).map_err(|_| MediaError::EncodeFailed)?;
    stitch(&pieces, height, interval).ok_or(MediaError::EncodeFailed)
}

/// Rows `top..bottom` of `image` as a JPEG of their own.
fn piece<P>(
    image: &ImageBuffer<P, Vec<u8>>,
    top: u32,
    bottom: u32,
    quality: u8,
    icc: Option<&[u8]>,
) -> Result<Vec<u8>, MediaError>
where
    P: Pixel<Subpixel = u8> + PixelWithColorType,
{
    let mut out = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut out, quality);
    if let Some(icc) = icc {
        let _ = encoder.set_icc_profile(icc.to_vec());
    }
    // The band's rows are contiguous: a buffer borrowing them reads as fast as the whole.
    let row = image.width() as usize * usize::from(P::CHANNEL_COUNT);
    let rows = &image.as_raw()[top as usize * row..bottom as usize * row];
    let band = ImageBuffer::<P, &[u8]>::from_raw(image.width(), bottom - top, rows)
        .ok_or(MediaError::EncodeFailed)?;
    encoder
        .encode_image(&band)
        .map_err(|_| MediaError::EncodeFailed)?;
    Ok(out)
}

/// One JPEG out of the bands: the first band's header with the whole height and a restart
/// interval, then each band's entropy-coded data with a restart marker between them.
/// `None` if a band is not laid out as the encoder writes them.
fn stitch(pieces: &[Vec<u8>], height: u16, interval: u16) -> Option<Vec<u8>> {
    let (first, rest) = pieces.split_first()?;
    let head = layout(first)?;
    let total: usize = pieces.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&first[..head.sos]);
    out[head.sof + 5..head.sof + 7].copy_from_slice(&height.to_be_bytes());
    // DRI: the restart interval, in MCUs.
    out.extend_from_slice(&[0xFF, 0xDD, 0, 4]);
    out.extend_from_slice(&interval.to_be_bytes());
    out.extend_from_slice(&first[head.sos..head.data]);
    out.extend_from_slice(entropy_data(first, &head)?);
    for (index, piece) in rest.iter().enumerate() {
        out.extend_from_slice(&[0xFF, 0xD0 + (index % 8) as u8]);
        out.extend_from_slice(entropy_data(piece, &layout(piece)?)?);
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    Some(out)
}

/// Where the frame header, the scan header and the scan's data are in one encoded band.
struct Layout {
    sof: usize,
    sos: usize,
    data: usize,
}

fn layout(jpeg: &[u8]) -> Option<Layout> {
    let mut pos = 2;
    let mut sof = None;
    loop {
        if jpeg.get(pos) != Some(&0xFF) {
            return None;
        }
        let marker = *jpeg.get(pos + 1)?;
        let end = pos + 2 + usize::from(be16(jpeg, pos + 2)?);
        match marker {
            0xC0 => sof = Some(pos),
            0xDA => {
                return Some(Layout {
                    sof: sof?,
                    sos: pos,
                    data: end,
                });
            }
            _ => {}
        }
        pos = end;
    }
}

/// The entropy-coded data of a band: after its scan header, before its EOI.
fn entropy_data<'a>(jpeg: &'a [u8], layout: &Layout) -> Option<&'a [u8]> {
    let body = jpeg.get(layout.data..)?;
    body.strip_suffix(&[0xFF, 0xD9])
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayImage, Luma, Rgb, RgbImage};

    fn picture(width: u32, height: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| {
            Rgb([(x * 7 + y) as u8, (y * 5) as u8, ((x ^ y) * 3) as u8])
        })
    }

    fn pixels(jpeg: &[u8]) -> Vec<u8> {
        image::load_from_memory(jpeg).unwrap().into_bytes()
    }

    #[test]
    fn bands_decode_exactly_as_one_piece() {
        // Sizes that are and are not whole blocks, in 1 to 5 bands.
        for (width, height) in [(64, 64), (101, 67), (9, 200), (300, 9)] {
            let image = picture(width, height);
            let whole = piece(&image, 0, height, 85, None).unwrap();
            for threads in 2..=5 {
                let banded = encode_in(&image, 85, None, threads, u16::MAX).unwrap();
                assert_eq!(
                    pixels(&banded),
                    pixels(&whole),
                    "{width}×{height} in {threads}"
                );
            }
        }
        let grey = GrayImage::from_fn(50, 90, |x, y| Luma([(x * y) as u8]));
        let whole = piece(&grey, 0, 90, 90, None).unwrap();
        let banded = encode_in(&grey, 90, None, 3, u16::MAX).unwrap();
        assert_eq!(pixels(&banded), pixels(&whole));
    }

    #[test]
    fn bands_are_joined_by_restart_markers_under_one_header() {
        let image = picture(64, 64);
        let banded = encode_in(&image, 85, None, 4, u16::MAX).unwrap();
        let markers = |m: u8| banded.windows(2).filter(|w| *w == [0xFF, m]).count();
        assert_eq!(markers(0xD8), 1);
        assert_eq!(markers(0xDA), 1);
        assert_eq!(markers(0xD9), 1);
        assert_eq!((markers(0xD0), markers(0xD1), markers(0xD2)), (1, 1, 1));
        assert_eq!(markers(0xDD), 1);
        let decoded = image::load_from_memory(&banded).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (64, 64));
    }

    #[test]
    fn more_bands_than_threads_when_the_interval_is_short() {
        // 64×64: 8 MCUs a row, so an interval of at most 16 MCUs is two block rows per
        // band: 4 bands on 2 threads.
        let image = picture(64, 64);
        let banded = encode_in(&image, 85, None, 2, 16).unwrap();
        let dri = banded.windows(2).position(|w| w == [0xFF, 0xDD]).unwrap();
        assert_eq!(be16(&banded, dri + 4), Some(16));
        let restarts = banded
            .windows(2)
            .filter(|w| (0xD0..=0xD7).contains(&w[1]) && w[0] == 0xFF);
        assert_eq!(restarts.count(), 3);
        let whole = piece(&image, 0, 64, 85, None).unwrap();
        assert_eq!(pixels(&banded), pixels(&whole));
    }
}
