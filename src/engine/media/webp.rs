//! WebP without metadata, losslessly: the RIFF chunks are copied except EXIF, XMP and any
//! chunk not about the pixels (unknown chunks can carry anything); the VP8X flags that
//! announce EXIF and XMP are cleared and the RIFF size is written anew. Anything after the
//! RIFF data is dropped.

use super::{MediaError, Removed, Stripped, le16, le32};

/// VP8X flags (the first byte of its data).
const FLAG_EXIF: u8 = 0x08;
const FLAG_XMP: u8 = 0x04;
const FLAG_ANIMATION: u8 = 0x02;

/// Chunks the picture needs.
const KEPT: [&[u8; 4]; 7] = [
    b"VP8X", b"VP8 ", b"VP8L", b"ALPH", b"ANIM", b"ANMF", b"ICCP",
];

/// Walks the chunks of `input` and copies what the picture needs.
pub(super) fn strip(input: &[u8]) -> Result<Stripped, MediaError> {
    if input.get(..4) != Some(b"RIFF") || input.get(8..12) != Some(b"WEBP") {
        return Err(MediaError::Corrupt);
    }
    let riff_size = le32(input, 4).ok_or(MediaError::Corrupt)? as usize;
    let riff_end = riff_size.checked_add(8).ok_or(MediaError::Corrupt)?;
    if riff_size < 4 || riff_end > input.len() {
        return Err(MediaError::Corrupt);
    }
    let mut stripped = Stripped::new(Vec::new(), 0, 0);
    if input[riff_end..].iter().any(|&b| b != 0) {
        stripped.found(Removed::Other);
    }
    let input = &input[..riff_end];
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(b"RIFF\0\0\0\0WEBP");
    let mut vp8x_at = None;
    let mut size = None;
    let mut pos = 12;
    while pos < input.len() {
        let kind: [u8; 4] = input
            .get(pos..pos + 4)
            .and_then(|k| k.try_into().ok())
            .ok_or(MediaError::Corrupt)?;
        let length = le32(input, pos + 4).ok_or(MediaError::Corrupt)? as usize;
        let data_end = (pos + 8).checked_add(length).ok_or(MediaError::Corrupt)?;
        let data = input.get(pos + 8..data_end).ok_or(MediaError::Corrupt)?;
        // Chunks are padded to an even length; a missing last pad byte is forgiven.
        let end = (data_end + (length & 1)).min(input.len());
        let chunk = &input[pos..end];
        let first = pos == 12;
        pos = end;
        if first {
            size = Some(header_size(&kind, data, &mut stripped)?);
            if &kind == b"VP8X" {
                vp8x_at = Some(out.len());
            }
        }
        match &kind {
            b"EXIF" => stripped.found_exif(data),
            b"XMP " => stripped.found(Removed::Xmp),
            _ if KEPT.contains(&&kind) => {
                out.extend_from_slice(chunk);
                if chunk.len() % 2 == 1 {
                    out.push(0);
                }
            }
            _ => stripped.found(Removed::Other),
        }
    }
    let (width, height) = size.ok_or(MediaError::Corrupt)?;
    if let Some(at) = vp8x_at {
        out[at + 8] &= !(FLAG_EXIF | FLAG_XMP);
    }
    let riff_size = u32::try_from(out.len() - 8).map_err(|_| MediaError::Corrupt)?;
    out[4..8].copy_from_slice(&riff_size.to_le_bytes());
    stripped.bytes = out;
    stripped.width = width;
    stripped.height = height;
    Ok(stripped)
}

/// The canvas size from the first chunk: VP8X, or a simple file's VP8 or VP8L bitstream.
fn header_size(
    kind: &[u8; 4],
    data: &[u8],
    stripped: &mut Stripped,
) -> Result<(u32, u32), MediaError> {
    let (width, height) = match kind {
        b"VP8X" => {
            if data.len() < 10 {
                return Err(MediaError::Corrupt);
            }
            stripped.animated = data[0] & FLAG_ANIMATION != 0;
            let le24 = |at: usize| u32::from_le_bytes([data[at], data[at + 1], data[at + 2], 0]);
            (le24(4) + 1, le24(7) + 1)
        }
        b"VP8 " => {
            // A key frame: 3 bytes of frame tag, the start code, then 14-bit sizes.
            if data.get(3..6) != Some(&[0x9D, 0x01, 0x2A]) {
                return Err(MediaError::Corrupt);
            }
            let width = le16(data, 6).ok_or(MediaError::Corrupt)? & 0x3FFF;
            let height = le16(data, 8).ok_or(MediaError::Corrupt)? & 0x3FFF;
            (u32::from(width), u32::from(height))
        }
        b"VP8L" => {
            if data.first() != Some(&0x2F) {
                return Err(MediaError::Corrupt);
            }
            let bits = le32(data, 1).ok_or(MediaError::Corrupt)?;
            ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
        }
        _ => return Err(MediaError::Corrupt),
    };
    if width == 0 || height == 0 {
        return Err(MediaError::Corrupt);
    }
    Ok((width, height))
}

#[cfg(test)]
mod tests {
    use super::super::exif;
    use super::super::tests::{checker_rgba, decode_rgba, encode_webp};
    use super::*;

    fn riff_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = kind.to_vec();
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
        if data.len() % 2 == 1 {
            out.push(0);
        }
        out
    }

    /// The chunks of a RIFF file, as (kind, data).
    fn riff_chunks(bytes: &[u8]) -> Vec<([u8; 4], Vec<u8>)> {
        let mut out = Vec::new();
        let mut pos = 12;
        while pos + 8 <= bytes.len() {
            let kind: [u8; 4] = bytes[pos..pos + 4].try_into().unwrap();
            let len = le32(bytes, pos + 4).unwrap() as usize;
            out.push((kind, bytes[pos + 8..pos + 8 + len].to_vec()));
            pos += 8 + len + (len & 1);
        }
        out
    }

    /// An extended WebP: VP8X with the EXIF, XMP and alpha flags, the image's own VP8L
    /// chunk, EXIF, XMP, an unknown chunk, and bytes after the RIFF data.
    fn loaded(simple: &[u8], width: u32, height: u32) -> Vec<u8> {
        let bitstream = riff_chunks(simple).remove(0);
        assert_eq!(&bitstream.0, b"VP8L");
        let mut vp8x = vec![0x10 | FLAG_EXIF | FLAG_XMP, 0, 0, 0];
        vp8x.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
        vp8x.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
        let mut body = b"WEBP".to_vec();
        body.extend(riff_chunk(b"VP8X", &vp8x));
        body.extend(riff_chunk(b"VP8L", &bitstream.1));
        body.extend(riff_chunk(b"EXIF", &exif::build::everything(1)));
        body.extend(riff_chunk(b"XMP ", b"<x:xmpmeta>secret</x:xmpmeta>"));
        body.extend(riff_chunk(b"ZZZZ", b"odd"));
        let mut out = b"RIFF".to_vec();
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend(body);
        out.extend_from_slice(b"appended");
        out
    }

    #[test]
    fn exif_and_xmp_go_and_the_header_is_fixed() {
        let plain = encode_webp(&checker_rgba(6, 4));
        let stripped = strip(&loaded(&plain, 6, 4)).unwrap();
        let chunks = riff_chunks(&stripped.bytes);
        let kinds: Vec<&[u8; 4]> = chunks.iter().map(|(k, _)| k).collect();
        assert_eq!(kinds, vec![b"VP8X", b"VP8L"]);
        // Alpha stays announced; EXIF and XMP no longer are.
        assert_eq!(chunks[0].1[0], 0x10);
        let riff_size = le32(&stripped.bytes, 4).unwrap() as usize;
        assert_eq!(riff_size + 8, stripped.bytes.len());
        assert!(!stripped.bytes.windows(6).any(|w| w == b"secret"));
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
                Removed::EmbeddedThumbnail,
                Removed::OtherExif,
                Removed::Other,
            ]
        );
        assert_eq!((stripped.width, stripped.height), (6, 4));
    }

    #[test]
    fn the_pixels_stay_byte_identical() {
        let plain = encode_webp(&checker_rgba(6, 4));
        let stripped = strip(&loaded(&plain, 6, 4)).unwrap();
        assert_eq!(decode_rgba(&stripped.bytes), decode_rgba(&plain));
        assert_eq!(riff_chunks(&stripped.bytes)[1], riff_chunks(&plain)[0]);
    }

    #[test]
    fn simple_files_give_their_size() {
        let plain = encode_webp(&checker_rgba(7, 3));
        let stripped = strip(&plain).unwrap();
        assert_eq!((stripped.width, stripped.height), (7, 3));
        assert_eq!(stripped.bytes, plain);
        assert!(stripped.removed.is_empty());
        // A lossy key frame header, 300×200.
        let mut vp8 = vec![0x50, 0x02, 0x00, 0x9D, 0x01, 0x2A];
        vp8.extend_from_slice(&300u16.to_le_bytes());
        vp8.extend_from_slice(&200u16.to_le_bytes());
        let mut stripped = Stripped::new(Vec::new(), 0, 0);
        assert_eq!(header_size(b"VP8 ", &vp8, &mut stripped), Ok((300, 200)));
    }

    #[test]
    fn an_animation_is_announced_by_vp8x() {
        let mut vp8x = vec![FLAG_ANIMATION, 0, 0, 0];
        vp8x.extend_from_slice(&[99, 0, 0, 49, 0, 0]);
        let mut stripped = Stripped::new(Vec::new(), 0, 0);
        assert_eq!(header_size(b"VP8X", &vp8x, &mut stripped), Ok((100, 50)));
        assert!(stripped.animated);
    }

    #[test]
    fn cut_or_broken_files_are_errors() {
        let plain = encode_webp(&checker_rgba(6, 4));
        let webp = loaded(&plain, 6, 4);
        let end = webp.len() - b"appended".len();
        for len in 0..end {
            assert!(strip(&webp[..len]).is_err(), "cut at {len} of {end}");
        }
        let mut bad = webp.clone();
        bad[12..16].copy_from_slice(b"JUNK");
        assert_eq!(strip(&bad).unwrap_err(), MediaError::Corrupt);
    }
}
