//! GIF without metadata, losslessly: the blocks are copied except comment extensions,
//! plain-text extensions and application extensions other than the looping ones
//! (NETSCAPE2.0, ANIMEXTS1.0); XMP rides in one of those. Frames are counted from their
//! descriptors without decoding any, so thousands of frames cost one pass over the bytes.

use super::{MAX_PIXELS, MediaError, Removed, Stripped, le16};

const EXTENSION: u8 = 0x21;
const IMAGE: u8 = 0x2C;
const TRAILER: u8 = 0x3B;
const GRAPHIC_CONTROL: u8 = 0xF9;
const COMMENT: u8 = 0xFE;
const PLAIN_TEXT: u8 = 0x01;
const APPLICATION: u8 = 0xFF;

/// Walks the blocks of `input` and copies what the animation needs.
pub(super) fn strip(input: &[u8]) -> Result<Stripped, MediaError> {
    let corrupt = || MediaError::Corrupt;
    if !(input.starts_with(b"GIF87a") || input.starts_with(b"GIF89a")) {
        return Err(corrupt());
    }
    let width = le16(input, 6).ok_or_else(corrupt)?;
    let height = le16(input, 8).ok_or_else(corrupt)?;
    let packed = *input.get(10).ok_or_else(corrupt)?;
    let mut pos = 13 + colour_table_len(packed);
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(input.get(..pos).ok_or_else(corrupt)?);
    let mut stripped = Stripped::new(Vec::new(), width.into(), height.into());
    let mut frames = 0u32;
    loop {
        let Some(&block) = input.get(pos) else {
            // No trailer: many writers forget it. After a whole frame that is fine.
            if frames == 0 {
                return Err(corrupt());
            }
            out.push(TRAILER);
            break;
        };
        match block {
            TRAILER => {
                out.push(TRAILER);
                pos += 1;
                break;
            }
            IMAGE => {
                let descriptor = input.get(pos..pos + 10).ok_or_else(corrupt)?;
                let frame_w = le16(descriptor, 5).ok_or_else(corrupt)?;
                let frame_h = le16(descriptor, 7).ok_or_else(corrupt)?;
                // The decoder allocates a frame's own size: bound it like the canvas.
                if u64::from(frame_w) * u64::from(frame_h) > MAX_PIXELS {
                    return Err(MediaError::TooLarge {
                        width: frame_w.into(),
                        height: frame_h.into(),
                    });
                }
                // Descriptor, local colour table, LZW code size, then the data sub-blocks.
                let data = pos + 10 + colour_table_len(descriptor[9]) + 1;
                let end = sub_blocks_end(input, data)?;
                out.extend_from_slice(&input[pos..end]);
                pos = end;
                frames = frames.saturating_add(1);
            }
            EXTENSION => {
                let label = *input.get(pos + 1).ok_or_else(corrupt)?;
                let end = sub_blocks_end(input, pos + 2)?;
                let keep = match label {
                    GRAPHIC_CONTROL => true,
                    COMMENT => {
                        stripped.found(Removed::Comment);
                        false
                    }
                    PLAIN_TEXT => {
                        stripped.found(Removed::TextChunks);
                        false
                    }
                    APPLICATION => {
                        let id = input.get(pos + 3..pos + 14).unwrap_or_default();
                        if input.get(pos + 2) == Some(&11)
                            && (id == b"NETSCAPE2.0" || id == b"ANIMEXTS1.0")
                        {
                            true
                        } else {
                            stripped.found(if id == b"XMP DataXMP" {
                                Removed::Xmp
                            } else {
                                Removed::Other
                            });
                            false
                        }
                    }
                    _ => {
                        stripped.found(Removed::Other);
                        false
                    }
                };
                if keep {
                    out.extend_from_slice(&input[pos..end]);
                }
                pos = end;
            }
            _ => return Err(corrupt()),
        }
    }
    if input[pos.min(input.len())..].iter().any(|&b| b != 0) {
        stripped.found(Removed::Other);
    }
    if width == 0 || height == 0 {
        return Err(corrupt());
    }
    stripped.animated = frames > 1;
    stripped.bytes = out;
    Ok(stripped)
}

/// The size of a colour table announced by a packed field (0 when there is none).
fn colour_table_len(packed: u8) -> usize {
    if packed & 0x80 != 0 {
        3 << ((packed & 0x07) + 1)
    } else {
        0
    }
}

/// Where a run of sub-blocks starting at `pos` ends (after its zero-length terminator).
fn sub_blocks_end(input: &[u8], mut pos: usize) -> Result<usize, MediaError> {
    loop {
        let len = usize::from(*input.get(pos).ok_or(MediaError::Corrupt)?);
        pos += 1;
        if len == 0 {
            return Ok(pos);
        }
        pos += len;
        if pos > input.len() {
            return Err(MediaError::Corrupt);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{decode_rgba, encode_gif};
    use super::*;

    fn extension(label: u8, blocks: &[&[u8]]) -> Vec<u8> {
        let mut out = vec![EXTENSION, label];
        for b in blocks {
            out.push(b.len() as u8);
            out.extend_from_slice(b);
        }
        out.push(0);
        out
    }

    /// Where the first block after the header and global colour table is.
    fn blocks_start(gif: &[u8]) -> usize {
        13 + colour_table_len(gif[10])
    }

    /// `gif` with `extra` blocks before its first block and `trailer` after it.
    fn with_blocks(gif: &[u8], extra: &[Vec<u8>], trailer: &[u8]) -> Vec<u8> {
        let at = blocks_start(gif);
        let mut out = gif[..at].to_vec();
        for b in extra {
            out.extend_from_slice(b);
        }
        out.extend_from_slice(&gif[at..]);
        out.extend_from_slice(trailer);
        out
    }

    fn loaded(plain: &[u8]) -> Vec<u8> {
        let extra = vec![
            extension(APPLICATION, &[b"NETSCAPE2.0", &[1, 0, 0]]),
            extension(COMMENT, &[b"a secret comment"]),
            extension(
                APPLICATION,
                &[b"XMP DataXMP", b"<x:xmpmeta>secret</x:xmpmeta>"],
            ),
            extension(APPLICATION, &[b"MGKIRB\0\0\0\0\0", b"secret records"]),
            extension(PLAIN_TEXT, &[&[0u8; 12], b"secret text"]),
        ];
        with_blocks(plain, &extra, b"after the end")
    }

    #[test]
    fn comments_and_foreign_extensions_go_and_looping_stays() {
        let plain = encode_gif(4, 3, 2);
        let stripped = strip(&loaded(&plain)).unwrap();
        assert!(!stripped.bytes.windows(6).any(|w| w == b"secret"));
        assert!(stripped.bytes.windows(11).any(|w| w == b"NETSCAPE2.0"));
        assert_eq!(stripped.bytes.last(), Some(&TRAILER));
        let mut removed = stripped.removed.clone();
        removed.sort();
        assert_eq!(
            removed,
            vec![
                Removed::Xmp,
                Removed::Comment,
                Removed::TextChunks,
                Removed::Other
            ]
        );
        assert_eq!((stripped.width, stripped.height), (4, 3));
        assert!(stripped.animated);
    }

    #[test]
    fn the_frames_stay_byte_identical() {
        let plain = encode_gif(4, 3, 2);
        let stripped = strip(&loaded(&plain)).unwrap();
        assert_eq!(decode_rgba(&stripped.bytes), decode_rgba(&plain));
        // The stripped file is the plain one plus the looping extension.
        let netscape = extension(APPLICATION, &[b"NETSCAPE2.0", &[1, 0, 0]]);
        assert_eq!(stripped.bytes, with_blocks(&plain, &[netscape], b""));
    }

    #[test]
    fn one_frame_is_a_still_picture() {
        let plain = encode_gif(5, 5, 1);
        let stripped = strip(&plain).unwrap();
        assert!(!stripped.animated);
        assert_eq!(stripped.bytes, plain);
    }

    #[test]
    fn thousands_of_frames_are_counted_without_decoding() {
        // 5,000 frames of one pixel, written by hand: descriptor, LZW size 2, one block.
        let mut gif = b"GIF89a\x01\0\x01\0\x80\0\0\0\0\0\xff\xff\xff".to_vec();
        for _ in 0..5000 {
            gif.extend_from_slice(&[IMAGE, 0, 0, 0, 0, 1, 0, 1, 0, 0]);
            gif.extend_from_slice(&[2, 2, 0x44, 0x01, 0]);
        }
        gif.push(TRAILER);
        let stripped = strip(&gif).unwrap();
        assert!(stripped.animated);
        assert_eq!(stripped.bytes, gif);
    }

    #[test]
    fn a_huge_frame_is_refused() {
        let mut gif = b"GIF89a\x01\0\x01\0\0\0\0".to_vec();
        gif.extend_from_slice(&[IMAGE, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0]);
        gif.extend_from_slice(&[2, 0, TRAILER]);
        assert_eq!(
            strip(&gif).unwrap_err(),
            MediaError::TooLarge {
                width: 65535,
                height: 65535
            }
        );
    }

    #[test]
    fn cut_or_broken_files_are_errors() {
        let plain = encode_gif(4, 3, 2);
        let gif = loaded(&plain);
        // Cut inside any block: an error; cut between whole frames: the frames so far.
        let mut cut_ok = 0;
        for len in 0..gif.len() - b"after the end".len() {
            if let Ok(stripped) = strip(&gif[..len]) {
                assert_eq!(stripped.bytes.last(), Some(&TRAILER));
                cut_ok += 1;
            }
        }
        assert!(cut_ok <= 3, "{cut_ok} cuts accepted");
        let mut bad = gif.clone();
        let at = blocks_start(&gif);
        bad[at] = 0x99;
        assert_eq!(strip(&bad).unwrap_err(), MediaError::Corrupt);
    }
}
