//! JPEG without metadata, losslessly: the file's segments are copied except APP1 (EXIF,
//! XMP), APP13 (IPTC / Photoshop), COM and every other APPn. Kept are what the pixels and
//! their colours need: APP0 JFIF (its thumbnail cut out), APP2 ICC_PROFILE and APP14 Adobe
//! (which says how to read the colour channels), the tables, frames and scans. Anything
//! after the end of the image (appended previews, motion-photo videos) is dropped.

use super::{MediaError, Removed, Stripped, be16};

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const APP0: u8 = 0xE0;
const APP1: u8 = 0xE1;
const APP2: u8 = 0xE2;
const APP13: u8 = 0xED;
const APP14: u8 = 0xEE;
const COM: u8 = 0xFE;

/// Walks the segments of `input` and copies what the picture needs.
pub(super) fn strip(input: &[u8]) -> Result<Stripped, MediaError> {
    if input.get(..2) != Some(&[0xFF, SOI]) {
        return Err(MediaError::Corrupt);
    }
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&[0xFF, SOI]);
    let mut stripped = Stripped::new(Vec::new(), 0, 0);
    let mut size = None;
    let mut scanned = false;
    let mut pos = 2;
    loop {
        // A marker: 0xFF, maybe more 0xFF as fill, then its code.
        if input.get(pos) != Some(&0xFF) {
            return Err(MediaError::Corrupt);
        }
        while input.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let marker = *input.get(pos).ok_or(MediaError::Corrupt)?;
        pos += 1;
        match marker {
            EOI => {
                out.extend_from_slice(&[0xFF, EOI]);
                break;
            }
            // Markers without a length (restart markers, TEM).
            0xD0..=0xD7 | 0x01 => {
                out.extend_from_slice(&[0xFF, marker]);
                continue;
            }
            SOI | 0x00 => return Err(MediaError::Corrupt),
            _ => {}
        }
        let length = usize::from(be16(input, pos).ok_or(MediaError::Corrupt)?);
        let end = pos + length;
        if length < 2 || end > input.len() {
            return Err(MediaError::Corrupt);
        }
        let payload = &input[pos + 2..end];
        match marker {
            APP0 if payload.starts_with(b"JFIF\0") => {
                keep_jfif(&mut out, payload, &mut stripped);
            }
            APP1 => {
                if payload.starts_with(b"Exif\0\0") {
                    stripped.found_exif(&payload[6..]);
                } else if payload.starts_with(b"http://ns.adobe.com/xap/1.0/\0")
                    || payload.starts_with(b"http://ns.adobe.com/xmp/extension/\0")
                {
                    stripped.found(Removed::Xmp);
                } else {
                    stripped.found(Removed::Other);
                }
            }
            APP2 if payload.starts_with(b"ICC_PROFILE\0") => copy(&mut out, marker, payload),
            // Multi-Picture Format: previews appended after the image (dropped with it).
            APP2 if payload.starts_with(b"MPF\0") => stripped.found(Removed::EmbeddedThumbnail),
            APP0 if payload.starts_with(b"JFXX\0") => stripped.found(Removed::EmbeddedThumbnail),
            APP13 => stripped.found(Removed::Iptc),
            APP14 if payload.starts_with(b"Adobe") => copy(&mut out, marker, payload),
            0xE0..=0xEF => stripped.found(Removed::Other),
            COM => stripped.found(Removed::Comment),
            // Start of frame (not DHT 0xC4, JPG 0xC8, DAC 0xCC): the picture's size.
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                let height = be16(payload, 1).ok_or(MediaError::Corrupt)?;
                let width = be16(payload, 3).ok_or(MediaError::Corrupt)?;
                if width == 0 || height == 0 {
                    // A height given later (DNL): nobody writes it, and decoders refuse it.
                    return Err(MediaError::Unsupported);
                }
                size.get_or_insert((u32::from(width), u32::from(height)));
                copy(&mut out, marker, payload);
            }
            _ => copy(&mut out, marker, payload),
        }
        pos = end;
        if marker == SOS {
            // The entropy-coded data: up to the next marker that is not a stuffed 0xFF00
            // or a restart marker.
            let start = pos;
            loop {
                let at = input[pos..]
                    .iter()
                    .position(|&b| b == 0xFF)
                    .map(|i| pos + i)
                    .ok_or(MediaError::Corrupt)?;
                match input.get(at + 1) {
                    None => return Err(MediaError::Corrupt),
                    Some(0x00 | 0xD0..=0xD7) => pos = at + 2,
                    Some(0xFF) => pos = at + 1,
                    Some(_) => {
                        pos = at;
                        break;
                    }
                }
            }
            out.extend_from_slice(&input[start..pos]);
            scanned = true;
        }
    }
    let (width, height) = size.ok_or(MediaError::Corrupt)?;
    if !scanned {
        return Err(MediaError::Corrupt);
    }
    if input[pos..].iter().any(|&b| b != 0) {
        stripped.found(Removed::Other);
    }
    stripped.bytes = out;
    stripped.width = width;
    stripped.height = height;
    Ok(stripped)
}

fn copy(out: &mut Vec<u8>, marker: u8, payload: &[u8]) {
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(payload);
}

/// JFIF: version, density units, X and Y density, thumbnail width and height, thumbnail.
/// A thumbnail in it is cut out (an old copy of the picture may show what was edited away).
fn keep_jfif(out: &mut Vec<u8>, payload: &[u8], stripped: &mut Stripped) {
    const HEADER: usize = 14;
    if payload.len() < HEADER {
        // Too short to be read: decoders ignore it, so can we.
        stripped.found(Removed::Other);
        return;
    }
    if payload.len() > HEADER || payload[12] != 0 || payload[13] != 0 {
        stripped.found(Removed::EmbeddedThumbnail);
        let mut header = payload[..HEADER].to_vec();
        header[12] = 0;
        header[13] = 0;
        copy(out, APP0, &header);
    } else {
        copy(out, APP0, payload);
    }
}

#[cfg(test)]
mod tests {
    use super::super::exif;
    use super::super::tests::{decode_rgb, gradient_jpeg, segments};
    use super::*;

    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![0xFF, marker];
        out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(payload);
        out
    }

    /// `jpeg` with `extra` segments put right after SOI and `trailer` after EOI.
    fn with_segments(jpeg: &[u8], extra: &[Vec<u8>], trailer: &[u8]) -> Vec<u8> {
        let mut out = jpeg[..2].to_vec();
        for s in extra {
            out.extend_from_slice(s);
        }
        out.extend_from_slice(&jpeg[2..]);
        out.extend_from_slice(trailer);
        out
    }

    fn icc() -> Vec<u8> {
        let mut p = b"ICC_PROFILE\0\x01\x01".to_vec();
        p.extend_from_slice(&[0u8; 40]);
        p
    }

    fn loaded() -> (Vec<u8>, Vec<u8>) {
        let plain = gradient_jpeg(40, 24);
        let mut exif_payload = b"Exif\0\0".to_vec();
        exif_payload.extend_from_slice(&exif::build::everything(1));
        let mut jfif_thumb = b"JFIF\0\x01\x01\0\0\x01\0\x01\x01\x01".to_vec();
        jfif_thumb.extend_from_slice(&[1, 2, 3]);
        let extra = vec![
            segment(APP0, &jfif_thumb),
            segment(APP1, &exif_payload),
            segment(
                APP1,
                b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>secret</x:xmpmeta>",
            ),
            segment(APP2, &icc()),
            segment(APP2, b"MPF\0II*\0"),
            segment(APP13, b"Photoshop 3.0\08BIM\x04\x04secret"),
            segment(APP14, b"Adobe\0\x64\0\0\0\0\x01"),
            segment(0xEC, b"Ducky\0\0"),
            segment(COM, b"a comment"),
        ];
        let loaded = with_segments(&plain, &extra, b"MOTION-PHOTO-VIDEO");
        (plain, loaded)
    }

    #[test]
    fn metadata_segments_go_and_colour_segments_stay() {
        let (_, loaded) = loaded();
        let stripped = strip(&loaded).unwrap();
        let kept: Vec<(u8, Vec<u8>)> = segments(&stripped.bytes);
        let markers: Vec<u8> = kept.iter().map(|(m, _)| *m).collect();
        for gone in [APP1, APP13, 0xEC, COM] {
            assert!(!markers.contains(&gone), "marker {gone:#x} left");
        }
        assert!(
            kept.iter()
                .any(|(m, p)| *m == APP2 && p.starts_with(b"ICC_PROFILE\0"))
        );
        assert!(
            !kept
                .iter()
                .any(|(m, p)| *m == APP2 && p.starts_with(b"MPF"))
        );
        assert!(
            kept.iter()
                .any(|(m, p)| *m == APP14 && p.starts_with(b"Adobe"))
        );
        // JFIF kept, without its thumbnail.
        let jfif: Vec<_> = kept
            .iter()
            .filter(|(m, p)| *m == APP0 && p.starts_with(b"JFIF"))
            .collect();
        assert!(
            jfif.iter()
                .all(|(_, p)| p.len() == 14 && p[12] == 0 && p[13] == 0)
        );
        assert!(stripped.bytes.ends_with(&[0xFF, EOI]));
        for needle in [&b"secret"[..], b"comment", b"SN-0123", b"Acme", b"MOTION"] {
            assert!(
                !stripped.bytes.windows(needle.len()).any(|w| w == needle),
                "{} left",
                String::from_utf8_lossy(needle)
            );
        }
        let mut removed = stripped.removed.clone();
        removed.sort();
        assert_eq!(
            removed,
            vec![
                Removed::Location,
                Removed::Camera,
                Removed::DateTime,
                Removed::Xmp,
                Removed::Iptc,
                Removed::Comment,
                Removed::EmbeddedThumbnail,
                Removed::OtherExif,
                Removed::Other,
            ]
        );
        assert_eq!((stripped.width, stripped.height), (40, 24));
        assert_eq!(stripped.orientation, 1);
    }

    #[test]
    fn the_pixels_stay_byte_identical() {
        let (plain, loaded) = loaded();
        let stripped = strip(&loaded).unwrap();
        assert_eq!(decode_rgb(&stripped.bytes), decode_rgb(&plain));
        // The entropy-coded data is copied as it was.
        let scan = |bytes: &[u8]| {
            let at = bytes.windows(2).position(|w| w == [0xFF, SOS]).unwrap();
            bytes[at..].to_vec()
        };
        assert_eq!(scan(&stripped.bytes), scan(&plain));
    }

    #[test]
    fn the_orientation_is_read_from_exif() {
        let mut exif_payload = b"Exif\0\0".to_vec();
        exif_payload.extend_from_slice(&exif::build::everything(6));
        let jpeg = with_segments(&gradient_jpeg(16, 8), &[segment(APP1, &exif_payload)], b"");
        assert_eq!(strip(&jpeg).unwrap().orientation, 6);
    }

    #[test]
    fn cut_or_broken_files_are_errors() {
        let (_, loaded) = loaded();
        let end = loaded.len() - b"MOTION-PHOTO-VIDEO".len();
        for len in 0..end {
            assert!(strip(&loaded[..len]).is_err(), "cut at {len} of {end}");
        }
        // A segment claiming more bytes than there are.
        let mut long = loaded.clone();
        long[4] = 0xFF;
        long[5] = 0xFF;
        assert_eq!(strip(&long).unwrap_err(), MediaError::Corrupt);
        // Something that is not a marker where a marker must be.
        let mut bad = loaded.clone();
        bad[2] = 0x12;
        assert_eq!(strip(&bad).unwrap_err(), MediaError::Corrupt);
    }
}
