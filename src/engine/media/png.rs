//! PNG without metadata, losslessly: the chunks are copied as they are (their CRCs with
//! them) except text (tEXt, zTXt, iTXt, which also carry XMP), eXIf and tIME, and any
//! ancillary chunk not known to be about the pixels or their colours (private chunks can
//! carry anything). Anything after IEND is dropped.

use super::{MediaError, Removed, Stripped, be32};

const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// Ancillary chunks about the pixels, their colours or the animation: kept.
const KEPT_ANCILLARY: [&[u8; 4]; 14] = [
    b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB", b"cICP", b"mDCV", b"cLLI", b"bKGD",
    b"pHYs", b"acTL", b"fcTL", b"fdAT",
];

/// Walks the chunks of `input` and copies what the picture needs.
pub(super) fn strip(input: &[u8]) -> Result<Stripped, MediaError> {
    if !input.starts_with(SIGNATURE) {
        return Err(MediaError::Corrupt);
    }
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(SIGNATURE);
    let mut stripped = Stripped::new(Vec::new(), 0, 0);
    let mut size = None;
    let mut pos = SIGNATURE.len();
    loop {
        let length = be32(input, pos).ok_or(MediaError::Corrupt)? as usize;
        let kind: [u8; 4] = input
            .get(pos + 4..pos + 8)
            .and_then(|k| k.try_into().ok())
            .ok_or(MediaError::Corrupt)?;
        let end = (pos + 12)
            .checked_add(length)
            .filter(|&end| end <= input.len() && i32::try_from(length).is_ok())
            .ok_or(MediaError::Corrupt)?;
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(MediaError::Corrupt);
        }
        let data = &input[pos + 8..pos + 8 + length];
        let chunk = &input[pos..end];
        pos = end;
        match &kind {
            b"IHDR" => {
                if size.is_some() || data.len() < 13 {
                    return Err(MediaError::Corrupt);
                }
                let width = be32(data, 0).ok_or(MediaError::Corrupt)?;
                let height = be32(data, 4).ok_or(MediaError::Corrupt)?;
                if width == 0 || height == 0 {
                    return Err(MediaError::Corrupt);
                }
                size = Some((width, height));
                out.extend_from_slice(chunk);
            }
            _ if size.is_none() => return Err(MediaError::Corrupt),
            b"IEND" => {
                out.extend_from_slice(chunk);
                break;
            }
            // An animation of more than one frame (with one it is a still picture).
            b"acTL" => {
                stripped.animated = be32(data, 0).is_some_and(|frames| frames > 1);
                out.extend_from_slice(chunk);
            }
            b"tEXt" | b"zTXt" | b"iTXt" => stripped.found(text_kind(data)),
            b"eXIf" => stripped.found_exif(data),
            b"tIME" => stripped.found(Removed::DateTime),
            // Critical chunks (upper-case first letter) are the picture: the decoder
            // decides about one it does not know.
            _ if kind[0].is_ascii_uppercase() => out.extend_from_slice(chunk),
            _ if KEPT_ANCILLARY.contains(&&kind) => out.extend_from_slice(chunk),
            _ => stripped.found(Removed::Other),
        }
    }
    let (width, height) = size.ok_or(MediaError::Corrupt)?;
    if input[pos..].iter().any(|&b| b != 0) {
        stripped.found(Removed::Other);
    }
    stripped.bytes = out;
    stripped.width = width;
    stripped.height = height;
    Ok(stripped)
}

/// What a text chunk holds, by its keyword.
fn text_kind(data: &[u8]) -> Removed {
    let keyword = data.split(|&b| b == 0).next().unwrap_or_default();
    match keyword {
        b"XML:com.adobe.xmp" | b"Raw profile type xmp" => Removed::Xmp,
        b"Raw profile type iptc" | b"Raw profile type 8bim" => Removed::Iptc,
        b"Raw profile type exif" | b"Raw profile type APP1" => Removed::OtherExif,
        b"Comment" | b"Description" => Removed::Comment,
        b"Creation Time" => Removed::DateTime,
        _ => Removed::TextChunks,
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::exif;
    use super::super::tests::{chunk, chunks, decode_rgba, encode_png};
    use super::*;

    /// `png` with `extra` chunks inserted after IHDR and `trailer` after IEND.
    pub fn with_chunks(png: &[u8], extra: &[Vec<u8>], trailer: &[u8]) -> Vec<u8> {
        let ihdr_end = 8 + 12 + 13;
        let mut out = png[..ihdr_end].to_vec();
        for c in extra {
            out.extend_from_slice(c);
        }
        out.extend_from_slice(&png[ihdr_end..]);
        out.extend_from_slice(trailer);
        out
    }

    fn loaded(plain: &[u8]) -> Vec<u8> {
        let extra = vec![
            chunk(b"tEXt", b"Author\0Someone Private"),
            chunk(b"zTXt", b"Comment\0\0x\x9c\x03\0\0\0\0\x01"),
            chunk(
                b"iTXt",
                b"XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta>secret</x:xmpmeta>",
            ),
            chunk(b"eXIf", &exif::build::everything(1)),
            chunk(b"tIME", &[0x07, 0xE8, 5, 6, 7, 8, 9]),
            chunk(b"gAMA", &45455u32.to_be_bytes()),
            chunk(b"prVt", b"private app data"),
        ];
        with_chunks(plain, &extra, b"trailing")
    }

    #[test]
    fn text_exif_and_time_go_and_colour_stays() {
        let plain = encode_png(&super::super::tests::checker_rgba(20, 10));
        let stripped = strip(&loaded(&plain)).unwrap();
        let kinds: Vec<[u8; 4]> = chunks(&stripped.bytes)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        for gone in [b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME", b"prVt"] {
            assert!(
                !kinds.contains(gone),
                "{} left",
                String::from_utf8_lossy(gone)
            );
        }
        assert!(kinds.contains(b"gAMA"));
        assert_eq!(kinds.last(), Some(b"IEND"));
        assert!(stripped.bytes.ends_with(&plain[plain.len() - 12..]));
        let mut removed = stripped.removed.clone();
        removed.sort();
        assert_eq!(
            removed,
            vec![
                Removed::Location,
                Removed::Camera,
                Removed::DateTime,
                Removed::Xmp,
                Removed::Comment,
                Removed::TextChunks,
                Removed::EmbeddedThumbnail,
                Removed::OtherExif,
                Removed::Other,
            ]
        );
        assert_eq!((stripped.width, stripped.height), (20, 10));
        assert!(!stripped.animated);
    }

    #[test]
    fn the_pixels_stay_byte_identical() {
        let plain = encode_png(&super::super::tests::checker_rgba(20, 10));
        let stripped = strip(&loaded(&plain)).unwrap();
        assert_eq!(decode_rgba(&stripped.bytes), decode_rgba(&plain));
        let idat = |bytes: &[u8]| -> Vec<Vec<u8>> {
            chunks(bytes)
                .into_iter()
                .filter(|(k, _)| k == b"IDAT")
                .map(|(_, d)| d)
                .collect()
        };
        assert_eq!(idat(&stripped.bytes), idat(&plain));
    }

    #[test]
    fn the_orientation_is_read_from_exif() {
        let plain = encode_png(&super::super::tests::checker_rgba(4, 2));
        let png = with_chunks(&plain, &[chunk(b"eXIf", &exif::build::everything(6))], b"");
        assert_eq!(strip(&png).unwrap().orientation, 6);
    }

    #[test]
    fn an_animation_is_told_from_a_still() {
        let plain = encode_png(&super::super::tests::checker_rgba(4, 2));
        let actl = |frames: u32| {
            let mut data = frames.to_be_bytes().to_vec();
            data.extend_from_slice(&0u32.to_be_bytes());
            chunk(b"acTL", &data)
        };
        assert!(
            strip(&with_chunks(&plain, &[actl(3000)], b""))
                .unwrap()
                .animated
        );
        assert!(
            !strip(&with_chunks(&plain, &[actl(1)], b""))
                .unwrap()
                .animated
        );
    }

    #[test]
    fn cut_or_broken_files_are_errors() {
        let plain = encode_png(&super::super::tests::checker_rgba(20, 10));
        let png = loaded(&plain);
        let end = png.len() - b"trailing".len();
        for len in 0..end {
            assert!(strip(&png[..len]).is_err(), "cut at {len} of {end}");
        }
        let mut no_ihdr = png.clone();
        no_ihdr[12..16].copy_from_slice(b"tEXt");
        assert_eq!(strip(&no_ihdr).unwrap_err(), MediaError::Corrupt);
        let mut huge = png.clone();
        huge[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(strip(&huge).unwrap_err(), MediaError::Corrupt);
    }
}
