//! Pictures before sending, checked by an independent reader: `exiftool` (Debian's
//! libimage-exiftool-perl, installed by tools/test) writes location, camera and serial,
//! time, XMP, IPTC, comments, text chunks and an embedded thumbnail into pictures made
//! here; it must find them there before `prepare_image`, and none of them after.
//! No server needed.

use std::path::Path;
use std::process::Command;

use image::{ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};
use serde_json::{Map, Value};
use sotto::engine::media::{Format, PrepareOptions, Removed, prepare_image};

/// Runs exiftool with `args`; fails the test with how to install it when it is missing.
pub(crate) fn exiftool(args: &[&str]) -> String {
    let output = Command::new("exiftool")
        .args(args)
        .output()
        .expect("exiftool runs (apt-get install libimage-exiftool-perl; tools/test does)");
    assert!(
        output.status.success(),
        "exiftool {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("exiftool prints UTF-8")
}

/// Every tag exiftool reads in `file`, as "Group:Tag" → value.
pub(crate) fn tags(file: &Path) -> Map<String, Value> {
    let json = exiftool(&["-j", "-a", "-G1", file.to_str().unwrap()]);
    let mut list: Vec<Map<String, Value>> = serde_json::from_str(&json).expect("exiftool's JSON");
    list.pop().expect("one file's tags")
}

/// Writes tags into `file` (in place).
pub(crate) fn write_tags(file: &Path, assignments: &[&str]) {
    let mut args = vec!["-q", "-overwrite_original"];
    args.extend_from_slice(assignments);
    args.push(file.to_str().unwrap());
    exiftool(&args);
}

pub(crate) fn jpeg_of(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
        .write_image(
            image,
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

fn photo(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x * 4) as u8, (y * 4) as u8, ((x + y) * 2) as u8])
    })
}

/// Groups whose mere presence is a leak: EXIF (all its IFDs), GPS, maker notes, XMP of any
/// namespace, IPTC and Photoshop records.
pub(crate) const LEAKY_GROUPS: [&str; 10] = [
    "IFD0:",
    "IFD1:",
    "ExifIFD:",
    "GPS:",
    "InteropIFD:",
    "MakerNotes",
    "XMP-",
    "IPTC:",
    "Photoshop:",
    "Composite:GPS",
];

/// The tags of `found` that are a leak: in a leaky group, or one of `also`.
pub(crate) fn leaks(found: &Map<String, Value>, also: &[&str]) -> Vec<String> {
    found
        .keys()
        .filter(|key| {
            LEAKY_GROUPS.iter().any(|g| key.starts_with(g)) || also.contains(&key.as_str())
        })
        .cloned()
        .collect()
}

/// Prepares `input` with the default options and writes the result next to it.
fn prepare_to(input: &Path, output: &Path) -> sotto::engine::media::PreparedImage {
    let bytes = std::fs::read(input).unwrap();
    let prepared = prepare_image(&bytes, &PrepareOptions::default()).expect("the picture prepares");
    std::fs::write(output, &prepared.bytes).unwrap();
    prepared
}

#[test]
fn exiftool_finds_nothing_left_in_a_prepared_jpeg() {
    let dir = tempfile::tempdir().unwrap();
    let thumb = dir.path().join("thumb.jpg");
    std::fs::write(&thumb, jpeg_of(&photo(16, 12))).unwrap();
    let input = dir.path().join("photo.jpg");
    std::fs::write(&input, jpeg_of(&photo(64, 48))).unwrap();
    let thumbnail_arg = format!("-ThumbnailImage<={}", thumb.display());
    write_tags(
        &input,
        &[
            "-GPSLatitude=48.8584",
            "-GPSLatitudeRef=N",
            "-GPSLongitude=2.2945",
            "-GPSLongitudeRef=E",
            "-Make=AcmeCam",
            "-Model=Snapper 3000",
            "-SerialNumber=SN0123456789",
            "-LensSerialNumber=LSN42",
            "-OwnerName=Jane Private",
            "-DateTimeOriginal=2024:05:06 07:08:09",
            "-XMP-dc:Creator=Jane Private",
            "-XMP-dc:Description=at home",
            "-IPTC:Keywords=secretkw",
            "-IPTC:By-line=Jane Private",
            "-Comment=a private comment",
            &thumbnail_arg,
        ],
    );
    let written = [
        "GPS:GPSLatitude",
        "GPS:GPSLongitude",
        "IFD0:Make",
        "IFD0:Model",
        "ExifIFD:SerialNumber",
        "ExifIFD:LensSerialNumber",
        "ExifIFD:OwnerName",
        "ExifIFD:DateTimeOriginal",
        "XMP-dc:Creator",
        "XMP-dc:Description",
        "IPTC:Keywords",
        "IPTC:By-line",
        "File:Comment",
        "IFD1:ThumbnailImage",
    ];
    // The fixture carries every one of them: otherwise "none left" proves nothing.
    let before = tags(&input);
    for tag in written {
        assert!(
            before.contains_key(tag),
            "the fixture lacks {tag}: {before:#?}"
        );
    }

    let output = dir.path().join("prepared.jpg");
    let prepared = prepare_to(&input, &output);
    let after = tags(&output);
    assert_eq!(
        leaks(&after, &written),
        Vec::<String>::new(),
        "left after preparing: {after:#?}"
    );
    assert!(!after.contains_key("File:ExifByteOrder"), "{after:#?}");
    assert_eq!(after["File:FileType"], "JPEG");
    assert_eq!(prepared.format, Format::Jpeg);
    for kind in [
        Removed::Location,
        Removed::Camera,
        Removed::DateTime,
        Removed::Xmp,
        Removed::Iptc,
        Removed::Comment,
        Removed::EmbeddedThumbnail,
    ] {
        assert!(
            prepared.removed.contains(&kind),
            "{kind:?} in {:?}",
            prepared.removed
        );
    }
    // Not a byte of the written text is left anywhere in the file.
    for needle in [
        "Jane",
        "Acme",
        "SN0123",
        "LSN42",
        "secretkw",
        "private",
        "2024:05:06",
    ] {
        let bytes = std::fs::read(&output).unwrap();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{needle} left in the file"
        );
    }
}

#[test]
fn exiftool_finds_nothing_left_in_a_prepared_png() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("drawing.png");
    let image = RgbaImage::from_fn(40, 30, |x, y| Rgba([(x * 6) as u8, (y * 8) as u8, 90, 200]));
    image.save(&input).unwrap();
    write_tags(
        &input,
        &[
            "-PNG:Author=Jane Private",
            "-PNG:Comment=a private comment",
            "-PNG:Title=secret title",
            "-PNG:CreationTime=2024:05:06 07:08:09",
            "-PNG:ModifyDate=2024:05:06 07:08:09",
            "-XMP-dc:Creator=Jane Private",
            "-GPSLatitude=48.8584",
            "-GPSLatitudeRef=N",
            "-Make=AcmeCam",
            "-SerialNumber=SN0123456789",
        ],
    );
    let written = [
        "PNG:Author",
        "PNG:Comment",
        "PNG:Title",
        "PNG:CreationTime",
        "PNG:ModifyDate",
        "XMP-dc:Creator",
        "GPS:GPSLatitude",
        "IFD0:Make",
        "ExifIFD:SerialNumber",
    ];
    let before = tags(&input);
    for tag in written {
        assert!(
            before.contains_key(tag),
            "the fixture lacks {tag}: {before:#?}"
        );
    }

    let output = dir.path().join("prepared.png");
    let prepared = prepare_to(&input, &output);
    let after = tags(&output);
    assert_eq!(
        leaks(&after, &written),
        Vec::<String>::new(),
        "left after preparing: {after:#?}"
    );
    assert_eq!(prepared.format, Format::Png);
    assert!(prepared.removed.contains(&Removed::TextChunks));
    assert!(prepared.removed.contains(&Removed::Location));
    // Stripped without decoding: the pixels are the same.
    assert_eq!(
        image::load_from_memory(&prepared.bytes).unwrap().to_rgba8(),
        image
    );
}

#[test]
fn exiftool_finds_nothing_left_in_a_prepared_webp_or_gif() {
    let dir = tempfile::tempdir().unwrap();
    let image = RgbaImage::from_fn(20, 10, |x, _| Rgba([(x * 12) as u8, 40, 200, 255]));
    for (name, format) in [("pic.webp", Format::WebP), ("pic.gif", Format::Gif)] {
        let input = dir.path().join(name);
        image.save(&input).unwrap();
        let mut assignments = vec!["-XMP-dc:Creator=Jane Private"];
        let mut written = vec!["XMP-dc:Creator"];
        if format == Format::WebP {
            assignments.extend(["-GPSLatitude=48.8584", "-GPSLatitudeRef=N", "-Make=AcmeCam"]);
            written.extend(["GPS:GPSLatitude", "IFD0:Make"]);
        } else {
            assignments.push("-Comment=a private comment");
            written.push("File:Comment");
        }
        write_tags(&input, &assignments);
        let before = tags(&input);
        for tag in &written {
            assert!(before.contains_key(*tag), "{name} lacks {tag}: {before:#?}");
        }
        let output = dir.path().join(format!("prepared-{name}"));
        let prepared = prepare_to(&input, &output);
        assert_eq!(prepared.format, format);
        let after = tags(&output);
        assert_eq!(
            leaks(&after, &written),
            Vec::<String>::new(),
            "left in {name}: {after:#?}"
        );
        // exiftool reads the file without complaint, and the pixels are the ones written.
        assert!(!after.contains_key("ExifTool:Warning"), "{after:#?}");
        assert_eq!(
            image::load_from_memory(&prepared.bytes).unwrap().to_rgba8(),
            image::open(&input).unwrap().to_rgba8()
        );
    }
}

#[test]
fn a_jpeg_with_orientation_6_comes_out_upright() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("sideways.jpg");
    // 16×8: an 8×8 red block on the left, a blue one on the right (whole JPEG blocks, so
    // the colours stay clean).
    let stored = RgbImage::from_fn(16, 8, |x, _| {
        if x < 8 {
            Rgb([255, 0, 0])
        } else {
            Rgb([0, 0, 255])
        }
    });
    std::fs::write(&input, jpeg_of(&stored)).unwrap();
    write_tags(
        &input,
        &["-Orientation#=6", "-GPSLatitude=1", "-GPSLatitudeRef=N"],
    );
    let before = tags(&input);
    assert_eq!(before["IFD0:Orientation"], "Rotate 90 CW");

    let output = dir.path().join("upright.jpg");
    let prepared = prepare_to(&input, &output);
    assert_eq!((prepared.width, prepared.height), (8, 16));
    let after = tags(&output);
    assert_eq!(leaks(&after, &[]), Vec::<String>::new(), "{after:#?}");
    assert_eq!(after["File:ImageWidth"], 8);
    assert_eq!(after["File:ImageHeight"], 16);
    // Turned clockwise: what was on the left is on top.
    let shown = image::load_from_memory(&prepared.bytes).unwrap().to_rgb8();
    let near = |p: &Rgb<u8>, want: [u8; 3]| p.0.iter().zip(want).all(|(&a, b)| a.abs_diff(b) < 40);
    assert!(
        near(shown.get_pixel(4, 4), [255, 0, 0]),
        "{:?}",
        shown.get_pixel(4, 4)
    );
    assert!(
        near(shown.get_pixel(4, 12), [0, 0, 255]),
        "{:?}",
        shown.get_pixel(4, 12)
    );
}
