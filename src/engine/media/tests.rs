//! `prepare_image` as a whole, and the fixtures the per-format tests share: pictures made
//! with the `image` crate, and readers of the segments and chunks of what comes out.

use image::codecs::gif::GifEncoder;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{Delay, DynamicImage, Frame, ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};

use super::alloc_probe::largest_allocation;
use super::*;

// ---- fixtures ----

/// A smooth RGB picture as a JPEG (quality 90).
pub fn gradient_jpeg(width: u32, height: u32) -> Vec<u8> {
    jpeg_of(&gradient(width, height), 90)
}

pub fn gradient(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb([
            (x * 255 / width.max(1)) as u8,
            (y * 255 / height.max(1)) as u8,
            ((x + y) % 256) as u8,
        ])
    })
}

pub fn jpeg_of(image: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .write_image(
            image,
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

/// A checkerboard with some transparency.
pub fn checker_rgba(width: u32, height: u32) -> RgbaImage {
    RgbaImage::from_fn(width, height, |x, y| {
        if (x + y) % 2 == 0 {
            Rgba([200, 30, 30, 255])
        } else {
            Rgba([30, 30, 200, 128])
        }
    })
}

pub fn encode_png(image: &RgbaImage) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(
            image,
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgba8,
        )
        .unwrap();
    out
}

pub fn png_of(image: &DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    image.write_with_encoder(PngEncoder::new(&mut out)).unwrap();
    out
}

/// A lossless WebP (a simple file: one VP8L chunk).
pub fn encode_webp(image: &RgbaImage) -> Vec<u8> {
    let mut out = Vec::new();
    WebPEncoder::new_lossless(&mut out)
        .write_image(
            image,
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgba8,
        )
        .unwrap();
    out
}

/// A GIF of `frames` frames (no looping extension).
pub fn encode_gif(width: u32, height: u32, frames: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut out);
        let frames = (0..frames).map(|n| {
            let shade = (n * 80 % 256) as u8;
            let image = RgbaImage::from_fn(width, height, |x, _| {
                Rgba([shade, (x * 40) as u8, 255 - shade, 255])
            });
            Frame::from_parts(image, 0, 0, Delay::from_numer_denom_ms(100, 1))
        });
        encoder.encode_frames(frames).unwrap();
    }
    out
}

pub fn decode_rgb(bytes: &[u8]) -> RgbImage {
    image::load_from_memory(bytes).unwrap().to_rgb8()
}

pub fn decode_rgba(bytes: &[u8]) -> RgbaImage {
    image::load_from_memory(bytes).unwrap().to_rgba8()
}

/// The segments of a JPEG up to its first scan, as (marker, payload).
pub fn segments(jpeg: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    let mut pos = 2;
    while pos + 4 <= jpeg.len() && jpeg[pos] == 0xFF {
        let marker = jpeg[pos + 1];
        let len = usize::from(be16(jpeg, pos + 2).unwrap());
        out.push((marker, jpeg[pos + 4..pos + 2 + len].to_vec()));
        if marker == 0xDA {
            break;
        }
        pos += 2 + len;
    }
    out
}

/// A PNG chunk with its CRC.
pub fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[4..]);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

/// The chunks of a PNG, as (kind, data).
pub fn chunks(png: &[u8]) -> Vec<([u8; 4], Vec<u8>)> {
    let mut out = Vec::new();
    let mut pos = 8;
    while pos + 12 <= png.len() {
        let len = be32(png, pos).unwrap() as usize;
        let kind: [u8; 4] = png[pos + 4..pos + 8].try_into().unwrap();
        out.push((kind, png[pos + 8..pos + 8 + len].to_vec()));
        pos += 12 + len;
    }
    out
}

pub(super) fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn jpeg_with_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn png_with_exif(png: &[u8], tiff: &[u8]) -> Vec<u8> {
    super::png::tests::with_chunks(png, &[chunk(b"eXIf", tiff)], b"")
}

fn prepare(bytes: &[u8]) -> Result<PreparedImage, MediaError> {
    prepare_image(bytes, &PrepareOptions::default())
}

const RED: Rgb<u8> = Rgb([255, 0, 0]);
const BLUE: Rgb<u8> = Rgb([0, 0, 255]);

/// A 2×1 picture: red on the left, blue on the right.
fn red_blue() -> RgbImage {
    RgbImage::from_fn(2, 1, |x, _| if x == 0 { RED } else { BLUE })
}

fn is_near(pixel: &Rgb<u8>, want: Rgb<u8>) -> bool {
    pixel.0.iter().zip(want.0).all(|(&a, b)| a.abs_diff(b) < 48)
}

// ---- what comes in ----

#[test]
fn formats_are_told_by_their_bytes() {
    assert_eq!(detect(&gradient_jpeg(4, 4)), Some(Format::Jpeg));
    assert_eq!(detect(&encode_png(&checker_rgba(2, 2))), Some(Format::Png));
    assert_eq!(
        detect(&encode_webp(&checker_rgba(2, 2))),
        Some(Format::WebP)
    );
    assert_eq!(detect(&encode_gif(2, 2, 1)), Some(Format::Gif));
    assert_eq!(detect(b"RIFF\0\0\0\0WAVEfmt "), None);
    assert_eq!(detect(b""), None);
    assert_eq!(detect(b"%PDF-1.7"), None);
}

#[test]
fn what_is_not_a_picture_says_so() {
    assert_eq!(prepare(b"").unwrap_err(), MediaError::Empty);
    assert_eq!(
        prepare(b"hello, world").unwrap_err(),
        MediaError::NotAnImage
    );
    assert_eq!(
        prepare(b"%PDF-1.7\n...").unwrap_err(),
        MediaError::NotAnImage
    );
    for other in [
        &b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"[..],
        b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf",
        b"II*\0\x08\0\0\0",
        b"BM\x3a\0\0\0\0\0\0\0",
        b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    ] {
        assert_eq!(prepare(other).unwrap_err(), MediaError::Unsupported);
    }
}

#[test]
fn cut_files_are_errors_and_nothing_panics() {
    let files = [
        gradient_jpeg(24, 16),
        encode_png(&checker_rgba(24, 16)),
        encode_webp(&checker_rgba(24, 16)),
    ];
    for file in &files {
        for len in 1..file.len() {
            assert!(
                prepare(&file[..len]).is_err(),
                "cut at {len} of {}",
                file.len()
            );
        }
    }
    // A GIF cut between frames is the frames so far; anywhere else it is an error.
    let gif = encode_gif(8, 8, 3);
    for len in 1..gif.len() {
        if let Ok(prepared) = prepare(&gif[..len]) {
            assert_eq!(prepared.bytes.last(), Some(&0x3B));
        }
    }
}

#[test]
fn damaged_files_never_panic() {
    // Deterministic byte flips all over small files of each format.
    let files = [
        jpeg_with_exif(&gradient_jpeg(24, 16), &exif::build::everything(6)),
        png_with_exif(
            &encode_png(&checker_rgba(24, 16)),
            &exif::build::everything(3),
        ),
        encode_webp(&checker_rgba(24, 16)),
        encode_gif(8, 8, 3),
    ];
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for file in &files {
        for _ in 0..300 {
            let mut damaged = file.clone();
            for _ in 0..=(next() % 4) {
                let at = (next() % damaged.len() as u64) as usize;
                damaged[at] = next() as u8;
            }
            let _ = prepare(&damaged);
        }
    }
}

// ---- bombs ----

fn png_header(width: u32, height: u32, depth: u8, colour: u8) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[depth, colour, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    // A few kilobytes of zlib stream (stored blocks of zeros): what a bomb looks like
    // before it is inflated, and the decoder never gets this far anyway.
    let mut idat = vec![0x78, 0x01];
    for last in [false, false, true] {
        idat.push(u8::from(last));
        idat.extend_from_slice(&1024u16.to_le_bytes());
        idat.extend_from_slice(&(!1024u16).to_le_bytes());
        idat.extend_from_slice(&[0; 1024]);
    }
    png.extend(chunk(b"IDAT", &idat));
    png.extend(chunk(b"IEND", b""));
    png
}

#[test]
fn a_png_bomb_is_refused_before_any_large_allocation() {
    // 50,000 × 50,000 is refused by the memory limit too; 20,000 × 20,000 grey (400 MB
    // decoded) would pass that and is stopped by the pixel count alone.
    for side in [50_000, 20_000] {
        let bomb = png_header(side, side, 1, 0);
        assert!(bomb.len() < 4096);
        let (result, largest) = largest_allocation(|| prepare(&bomb));
        assert_eq!(
            result.unwrap_err(),
            MediaError::TooLarge {
                width: side,
                height: side
            }
        );
        assert!(largest < 64 * 1024, "allocated {largest} bytes at once");
    }
}

#[test]
fn a_picture_under_the_pixel_limit_but_over_the_memory_limit_is_refused() {
    // 10,000 × 10,000 RGBA at 16 bits: 800 MB once decoded.
    let bomb = png_header(10_000, 10_000, 16, 6);
    let (result, largest) = largest_allocation(|| prepare(&bomb));
    assert_eq!(
        result.unwrap_err(),
        MediaError::TooLarge {
            width: 10_000,
            height: 10_000
        }
    );
    assert!(largest < 1024 * 1024, "allocated {largest} bytes at once");
}

#[test]
fn bombs_of_every_format_are_refused_from_their_header() {
    // JPEG: a frame header claiming 65,535 × 65,535.
    let mut jpeg = gradient_jpeg(8, 8);
    let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
    // WebP: a VP8X canvas of 16,384 × 16,384.
    let webp = b"RIFF\x16\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0\xff\x3f\0\xff\x3f\0".to_vec();
    // GIF: a logical screen of 65,535 × 65,535.
    let mut gif = encode_gif(2, 2, 1);
    gif[6..10].copy_from_slice(&[0xFF; 4]);
    for (bomb, width, height) in [
        (jpeg, 65_535, 65_535),
        (webp, 16_384, 16_384),
        (gif, 65_535, 65_535),
    ] {
        let (result, largest) = largest_allocation(|| prepare(&bomb));
        assert_eq!(result.unwrap_err(), MediaError::TooLarge { width, height });
        assert!(largest < 64 * 1024, "allocated {largest} bytes at once");
    }
}

// ---- what goes out ----

#[test]
fn a_small_jpeg_loses_its_metadata_and_keeps_its_pixels() {
    let plain = gradient_jpeg(40, 30);
    let loaded = jpeg_with_exif(&plain, &exif::build::everything(1));
    let prepared = prepare(&loaded).unwrap();
    assert_eq!(prepared.format, Format::Jpeg);
    assert_eq!(prepared.mime, "image/jpeg");
    assert_eq!(prepared.file_name, "image.jpg");
    assert_eq!((prepared.width, prepared.height), (40, 30));
    assert!(!prepared.animated);
    assert!(prepared.thumbnail.is_none());
    assert_eq!(prepared.blurhash.len(), 28);
    assert_eq!(
        prepared.removed,
        vec![
            Removed::Location,
            Removed::Camera,
            Removed::DateTime,
            Removed::Comment,
            Removed::EmbeddedThumbnail,
            Removed::OtherExif,
        ]
    );
    assert!(!segments(&prepared.bytes).iter().any(|(m, _)| *m == 0xE1));
    // Not encoded anew: the pixels are the very same.
    assert_eq!(decode_rgb(&prepared.bytes), decode_rgb(&plain));
}

#[test]
fn orientation_6_turns_a_png_and_its_colours_land_right() {
    // 2×1, red | blue, "rotate 90° clockwise to show": 1×2, red above blue.
    let png = png_of(&DynamicImage::ImageRgb8(red_blue()));
    let prepared = prepare(&png_with_exif(&png, &exif::build::everything(6))).unwrap();
    assert_eq!(prepared.format, Format::Png);
    let shown = decode_rgb(&prepared.bytes);
    assert_eq!(shown.dimensions(), (1, 2));
    assert_eq!((prepared.width, prepared.height), (1, 2));
    assert_eq!(*shown.get_pixel(0, 0), RED);
    assert_eq!(*shown.get_pixel(0, 1), BLUE);
    // And the EXIF is gone with the turn.
    assert!(!chunks(&prepared.bytes).iter().any(|(k, _)| k == b"eXIf"));
}

#[test]
fn other_orientations_turn_and_flip() {
    let png = png_of(&DynamicImage::ImageRgb8(red_blue()));
    for (orientation, size, first) in [
        (1, (2, 1), RED),
        (2, (2, 1), BLUE), // mirrored
        (3, (2, 1), BLUE), // upside down
        (8, (1, 2), BLUE), // 90° counter-clockwise: the right side goes on top
    ] {
        let prepared =
            prepare(&png_with_exif(&png, &exif::build::everything(orientation))).unwrap();
        let shown = decode_rgb(&prepared.bytes);
        assert_eq!(shown.dimensions(), size, "orientation {orientation}");
        assert_eq!(*shown.get_pixel(0, 0), first, "orientation {orientation}");
    }
}

#[test]
fn orientation_6_turns_a_jpeg_which_then_has_no_exif() {
    let jpeg = jpeg_of(&red_blue(), 95);
    let prepared = prepare(&jpeg_with_exif(&jpeg, &exif::build::everything(6))).unwrap();
    assert_eq!(prepared.format, Format::Jpeg);
    let shown = decode_rgb(&prepared.bytes);
    assert_eq!(shown.dimensions(), (1, 2));
    assert!(
        is_near(shown.get_pixel(0, 0), RED),
        "{:?}",
        shown.get_pixel(0, 0)
    );
    assert!(
        is_near(shown.get_pixel(0, 1), BLUE),
        "{:?}",
        shown.get_pixel(0, 1)
    );
    assert!(!segments(&prepared.bytes).iter().any(|(m, _)| *m == 0xE1));
}

#[test]
fn a_large_photo_is_scaled_down_unless_original_quality() {
    let plain = jpeg_of(&gradient(2100, 700), 80);
    let loaded = jpeg_with_exif(&plain, &exif::build::everything(1));
    let prepared = prepare(&loaded).unwrap();
    assert_eq!((prepared.width, prepared.height), (2048, 683));
    assert_eq!(decode_rgb(&prepared.bytes).dimensions(), (2048, 683));
    assert_eq!(prepared.format, Format::Jpeg);
    let thumbnail = prepared.thumbnail.unwrap();
    assert_eq!((thumbnail.width, thumbnail.height), (800, 267));
    assert_eq!(thumbnail.mime, "image/jpeg");
    assert_eq!(decode_rgb(&thumbnail.bytes).dimensions(), (800, 267));

    let original = prepare_image(
        &loaded,
        &PrepareOptions {
            original_quality: true,
            keep_name: Some("Holiday 2024.JPG".into()),
        },
    )
    .unwrap();
    assert_eq!((original.width, original.height), (2100, 700));
    assert_eq!(original.file_name, "Holiday 2024.JPG");
    assert!(original.removed.contains(&Removed::Location));
    assert_eq!(decode_rgb(&original.bytes), decode_rgb(&plain));
    assert!(original.thumbnail.is_some());
}

#[test]
fn a_large_opaque_png_becomes_a_jpeg_and_a_transparent_one_stays_png() {
    let opaque = png_of(&DynamicImage::ImageRgb8(gradient(2100, 300)));
    let prepared = prepare_image(
        &opaque,
        &PrepareOptions {
            keep_name: Some("screen.png".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(prepared.format, Format::Jpeg);
    assert_eq!(prepared.file_name, "screen.jpg");
    assert_eq!((prepared.width, prepared.height), (2048, 293));

    let transparent = encode_png(&checker_rgba(2100, 300));
    let prepared = prepare(&transparent).unwrap();
    assert_eq!(prepared.format, Format::Png);
    assert_eq!(prepared.file_name, "image.png");
    assert_eq!(decode_rgba(&prepared.bytes).dimensions(), (2048, 293));
    assert_eq!(prepared.thumbnail.unwrap().mime, "image/png");
}

#[test]
fn an_animation_is_sent_whole_even_when_large() {
    let gif = encode_gif(2100, 4, 3);
    let prepared = prepare(&gif).unwrap();
    assert!(prepared.animated);
    assert_eq!(prepared.format, Format::Gif);
    assert_eq!(prepared.bytes, gif);
    assert_eq!((prepared.width, prepared.height), (2100, 4));
    assert_eq!(prepared.thumbnail.unwrap().width, 800);
}

#[test]
fn a_small_webp_is_stripped_losslessly() {
    let webp = encode_webp(&checker_rgba(30, 20));
    let prepared = prepare(&webp).unwrap();
    assert_eq!(prepared.format, Format::WebP);
    assert_eq!(prepared.file_name, "image.webp");
    assert_eq!(prepared.bytes, webp);
    assert!(prepared.removed.is_empty());
}
