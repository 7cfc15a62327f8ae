//! A small walker over an EXIF block (a TIFF header and its IFDs): the orientation, and
//! what kinds of data the block holds, for the send preview. It only reads; the block is
//! dropped whole by the format's own walk.
//!
//! Offsets come from the file, so every read is bounds-checked, each IFD is visited once
//! (a loop of offsets ends), and the walk stops after a fixed number of IFDs and entries.

use super::Removed;

/// IFDs visited at most (IFD0, IFD1, Exif, GPS, Interop, and some room).
const MAX_IFDS: usize = 8;
/// Entries read at most from one IFD.
const MAX_ENTRIES: u16 = 512;

const TAG_ORIENTATION: u16 = 0x0112;
const TAG_EXIF_IFD: u16 = 0x8769;
const TAG_GPS_IFD: u16 = 0x8825;
const TAG_INTEROP_IFD: u16 = 0xA005;

/// Camera make, model, owner, serial numbers, lens, maker notes.
const CAMERA_TAGS: [u16; 10] = [
    0x010F, 0x0110, 0xA430, 0xA431, 0xA432, 0xA433, 0xA434, 0xA435, 0xC62F, 0x927C,
];
/// DateTime, DateTimeOriginal, DateTimeDigitized, their offsets and sub-seconds.
const DATE_TAGS: [u16; 9] = [
    0x0132, 0x9003, 0x9004, 0x9010, 0x9011, 0x9012, 0x9290, 0x9291, 0x9292,
];
/// ImageDescription, UserComment, and Windows' XPTitle, XPComment, XPAuthor,
/// XPKeywords, XPSubject.
const COMMENT_TAGS: [u16; 7] = [0x010E, 0x9286, 0x9C9B, 0x9C9C, 0x9C9D, 0x9C9E, 0x9C9F];
/// XMP and IPTC / Photoshop records kept inside the EXIF block.
const TAG_XMP: u16 = 0x02BC;
const IPTC_TAGS: [u16; 2] = [0x83BB, 0x8649];

/// What an EXIF block says.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Summary {
    /// 1–8; 1 when the block has none or it is not a valid value.
    pub orientation: u8,
    /// What kinds of data it holds (an unreadable block counts as [`Removed::OtherExif`]).
    pub found: Vec<Removed>,
}

#[derive(Clone, Copy, PartialEq)]
enum Ifd {
    /// IFD0: the main image.
    Main,
    /// IFD1 and after: the embedded thumbnail.
    Thumbnail,
    /// The Exif sub-IFD, and the Interoperability one.
    Sub,
    Gps,
}

/// Reads the orientation and the kinds of data in `tiff`, the EXIF block without the
/// `Exif\0\0` of a JPEG segment (it is skipped when present).
pub(super) fn scan(tiff: &[u8]) -> Summary {
    let tiff = tiff.strip_prefix(b"Exif\0\0").unwrap_or(tiff);
    let mut summary = Summary {
        orientation: 1,
        found: Vec::new(),
    };
    if walk(tiff, &mut summary).is_none() || summary.found.is_empty() {
        // Unreadable, or only structure: it was still EXIF, and it is gone.
        add(&mut summary.found, Removed::OtherExif);
    }
    summary
}

fn add(found: &mut Vec<Removed>, removed: Removed) {
    if !found.contains(&removed) {
        found.push(removed);
    }
}

/// The byte order of the block.
#[derive(Clone, Copy)]
struct Reader<'a> {
    bytes: &'a [u8],
    little: bool,
}

impl Reader<'_> {
    fn u16(&self, at: usize) -> Option<u16> {
        if self.little {
            super::le16(self.bytes, at)
        } else {
            super::be16(self.bytes, at)
        }
    }

    fn u32(&self, at: usize) -> Option<u32> {
        if self.little {
            super::le32(self.bytes, at)
        } else {
            super::be32(self.bytes, at)
        }
    }
}

/// `None` when the block ends early or is not TIFF; what was read so far stays in
/// `summary`.
fn walk(tiff: &[u8], summary: &mut Summary) -> Option<()> {
    let little = match tiff.get(..4)? {
        b"II*\0" => true,
        b"MM\0*" => false,
        _ => return None,
    };
    let reader = Reader {
        bytes: tiff,
        little,
    };
    let mut queue = vec![(reader.u32(4)? as usize, Ifd::Main)];
    let mut visited = Vec::new();
    while let Some((offset, kind)) = queue.pop() {
        if offset == 0 || visited.contains(&offset) || visited.len() >= MAX_IFDS {
            continue;
        }
        visited.push(offset);
        let count = reader.u16(offset)?;
        if kind == Ifd::Thumbnail && count > 0 {
            add(&mut summary.found, Removed::EmbeddedThumbnail);
        }
        for index in 0..count.min(MAX_ENTRIES) {
            let entry = offset + 2 + usize::from(index) * 12;
            let tag = reader.u16(entry)?;
            let value = entry + 8;
            match (kind, tag) {
                (Ifd::Gps, _) => add(&mut summary.found, Removed::Location),
                (Ifd::Thumbnail, _) => {}
                (Ifd::Main, TAG_ORIENTATION) => {
                    // A SHORT: the first two bytes of the value field.
                    let orientation = reader.u16(value)?;
                    if (1..=8).contains(&orientation) {
                        summary.orientation = orientation as u8;
                    }
                }
                (_, TAG_EXIF_IFD | TAG_INTEROP_IFD) => {
                    queue.push((reader.u32(value)? as usize, Ifd::Sub));
                }
                (_, TAG_GPS_IFD) => queue.push((reader.u32(value)? as usize, Ifd::Gps)),
                (_, tag) => add(&mut summary.found, category(tag)),
            }
        }
        if kind == Ifd::Main || kind == Ifd::Thumbnail {
            let next = offset + 2 + usize::from(count) * 12;
            if let Some(next) = reader.u32(next) {
                queue.push((next as usize, Ifd::Thumbnail));
            }
        }
    }
    Some(())
}

fn category(tag: u16) -> Removed {
    if CAMERA_TAGS.contains(&tag) {
        Removed::Camera
    } else if DATE_TAGS.contains(&tag) {
        Removed::DateTime
    } else if COMMENT_TAGS.contains(&tag) {
        Removed::Comment
    } else if tag == TAG_XMP {
        Removed::Xmp
    } else if IPTC_TAGS.contains(&tag) {
        Removed::Iptc
    } else {
        Removed::OtherExif
    }
}

/// Test fixtures: a little-endian TIFF block written by hand.
#[cfg(test)]
pub(super) mod build {
    /// One IFD entry: tag, type (2 ASCII, 3 SHORT, 4 LONG) and its value bytes.
    pub struct Entry {
        pub tag: u16,
        pub kind: u16,
        pub count: u32,
        pub value: Vec<u8>,
    }

    pub fn ascii(tag: u16, text: &str) -> Entry {
        let mut value = text.as_bytes().to_vec();
        value.push(0);
        Entry {
            tag,
            kind: 2,
            count: value.len() as u32,
            value,
        }
    }

    pub fn short(tag: u16, v: u16) -> Entry {
        Entry {
            tag,
            kind: 3,
            count: 1,
            value: v.to_le_bytes().to_vec(),
        }
    }

    /// The contents a test asks for.
    #[derive(Default)]
    pub struct Exif {
        pub main: Vec<Entry>,
        pub exif: Vec<Entry>,
        pub gps: Vec<Entry>,
        /// The bytes of an embedded JPEG thumbnail (IFD1).
        pub thumbnail: Option<Vec<u8>>,
    }

    /// `II*\0` TIFF bytes (no `Exif\0\0`).
    pub fn tiff(spec: Exif) -> Vec<u8> {
        let Exif {
            mut main,
            exif,
            gps,
            thumbnail,
        } = spec;
        let mut out = b"II*\0\x08\0\0\0".to_vec();
        // Sub-IFDs are written after IFD0; their offsets are patched in.
        let exif_at = (!exif.is_empty()).then_some(main.len());
        if exif_at.is_some() {
            main.push(long(0x8769, 0));
        }
        let gps_at = (!gps.is_empty()).then_some(main.len());
        if gps_at.is_some() {
            main.push(long(0x8825, 0));
        }
        let next_at = write_ifd(&mut out, &mut main);
        if let Some(index) = exif_at {
            let at = out.len() as u32;
            patch(&mut out, 8 + 2 + index * 12 + 8, at);
            let mut exif = exif;
            write_ifd(&mut out, &mut exif);
        }
        if let Some(index) = gps_at {
            let at = out.len() as u32;
            patch(&mut out, 8 + 2 + index * 12 + 8, at);
            let mut gps = gps;
            write_ifd(&mut out, &mut gps);
        }
        if let Some(jpeg) = thumbnail {
            let at = out.len() as u32;
            patch(&mut out, next_at, at);
            // IFD1: JPEGInterchangeFormat (offset) and its length; the data follows.
            let mut ifd1 = vec![long(0x0201, 0), long(0x0202, jpeg.len() as u32)];
            write_ifd(&mut out, &mut ifd1);
            let data_at = out.len() as u32;
            patch(&mut out, at as usize + 2 + 8, data_at);
            out.extend_from_slice(&jpeg);
        }
        out
    }

    fn long(tag: u16, v: u32) -> Entry {
        Entry {
            tag,
            kind: 4,
            count: 1,
            value: v.to_le_bytes().to_vec(),
        }
    }

    fn patch(out: &mut [u8], at: usize, value: u32) {
        out[at..at + 4].copy_from_slice(&value.to_le_bytes());
    }

    /// Writes the IFD at the end of `out` with values longer than 4 bytes after it;
    /// returns where its next-IFD offset is.
    fn write_ifd(out: &mut Vec<u8>, entries: &mut [Entry]) -> usize {
        entries.sort_by_key(|e| e.tag);
        let start = out.len();
        let data_start = start + 2 + entries.len() * 12 + 4;
        let mut data = Vec::new();
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for entry in entries.iter() {
            out.extend_from_slice(&entry.tag.to_le_bytes());
            out.extend_from_slice(&entry.kind.to_le_bytes());
            out.extend_from_slice(&entry.count.to_le_bytes());
            if entry.value.len() <= 4 {
                let mut field = entry.value.clone();
                field.resize(4, 0);
                out.extend_from_slice(&field);
            } else {
                let at = (data_start + data.len()) as u32;
                out.extend_from_slice(&at.to_le_bytes());
                data.extend_from_slice(&entry.value);
                if data.len() % 2 == 1 {
                    data.push(0);
                }
            }
        }
        let next_at = out.len();
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&data);
        next_at
    }

    /// A block with a bit of everything: camera, serial, time, GPS, a comment and an
    /// embedded thumbnail, and the given orientation.
    pub fn everything(orientation: u16) -> Vec<u8> {
        tiff(Exif {
            main: vec![
                ascii(0x010F, "Acme"),
                ascii(0x0110, "Snapper 3000"),
                short(0x0112, orientation),
                ascii(0x0132, "2024:05:06 07:08:09"),
                ascii(0x0131, "PhotoEdit 1.0"),
            ],
            exif: vec![
                ascii(0x9003, "2024:05:06 07:08:09"),
                ascii(0xA431, "SN-0123456789"),
                ascii(0x9286, "ASCII\0\0\0a private note"),
            ],
            gps: vec![ascii(0x0001, "N"), ascii(0x0003, "E")],
            thumbnail: Some(vec![0xFF, 0xD8, 0xFF, 0xD9]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;

    #[test]
    fn everything_is_found_and_the_orientation_read() {
        let summary = scan(&everything(6));
        assert_eq!(summary.orientation, 6);
        let mut found = summary.found;
        found.sort();
        assert_eq!(
            found,
            vec![
                Removed::Location,
                Removed::Camera,
                Removed::DateTime,
                Removed::Comment,
                Removed::EmbeddedThumbnail,
                Removed::OtherExif,
            ]
        );
    }

    #[test]
    fn big_endian_blocks_are_read() {
        // MM, IFD0 at 8 with one entry: Orientation = 8.
        let mut tiff = b"MM\0*\0\0\0\x08\0\x01".to_vec();
        tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 8, 0, 0]);
        tiff.extend_from_slice(&[0, 0, 0, 0]);
        let summary = scan(&tiff);
        assert_eq!(summary.orientation, 8);
        // Only the orientation: still an EXIF block that goes.
        assert_eq!(summary.found, vec![Removed::OtherExif]);
    }

    #[test]
    fn the_jpeg_prefix_is_skipped() {
        let mut block = b"Exif\0\0".to_vec();
        block.extend_from_slice(&everything(3));
        assert_eq!(scan(&block).orientation, 3);
    }

    #[test]
    fn nonsense_orientations_count_as_upright() {
        assert_eq!(scan(&everything(0)).orientation, 1);
        assert_eq!(scan(&everything(9)).orientation, 1);
    }

    #[test]
    fn broken_blocks_end_without_panic() {
        let whole = everything(6);
        for len in 0..whole.len() {
            let summary = scan(&whole[..len]);
            assert!(!summary.found.is_empty(), "cut at {len}");
        }
        assert_eq!(scan(b"not tiff").found, vec![Removed::OtherExif]);
        // IFD0 pointing at itself as the next IFD, and a sub-IFD pointing at IFD0.
        let mut tiff = b"II*\0\x08\0\0\0\x01\0".to_vec();
        tiff.extend_from_slice(&[0x69, 0x87, 4, 0, 1, 0, 0, 0, 8, 0, 0, 0]);
        tiff.extend_from_slice(&8u32.to_le_bytes());
        let summary = scan(&tiff);
        assert_eq!(summary.orientation, 1);
    }
}
