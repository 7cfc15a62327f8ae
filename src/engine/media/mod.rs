//! Pictures made ready to send: nothing about the sender goes with them.
//!
//! [`prepare_image`] takes the bytes of a picture the person chose and gives back the file to
//! upload, its size, a thumbnail and a blurhash, and what it found and removed. Every image
//! loses its EXIF (location, camera and serial number, time), XMP, IPTC, comments, text
//! chunks and embedded thumbnails. Where the format allows it this happens without touching
//! the pixels (the file's segments or chunks are dropped); a photo that must stand up the
//! right way (EXIF orientation) or is larger than [`MAX_SIDE`] is decoded and encoded anew.
//!
//! The format is read from the bytes ([`detect`]), never from a name or a claimed type.
//! Bad input is an error, never a panic; the image size is checked from the header before
//! anything is decoded ([`MAX_PIXELS`]), and decoding has a memory limit.
//!
//! The work is CPU-bound (a 12-megapixel photo takes a few hundred milliseconds): call it
//! off the main loop (`tokio::task::spawn_blocking`).

mod animation;
pub mod autoload;
mod blurhash;
mod display;
mod exif;
mod gif;
mod jpeg;
mod jpeg_bands;
mod pixels;
mod png;
mod prepare;
mod scale;
mod turn;
mod webp;

pub use animation::{Frame, MAX_FRAMES, decode_frames};
pub use blurhash::decode as decode_blurhash;
pub use display::{Pixels, decode_for_display};
pub use prepare::prepare_image;

/// Pictures larger than this many pixels are refused before decoding (a 100-megapixel
/// photo decodes to 300 MB already).
pub const MAX_PIXELS: u64 = 100_000_000;
/// The longest side of a picture sent without "original quality"; larger ones are scaled
/// down.
pub const MAX_SIDE: u32 = 2048;
/// The longest side of a thumbnail; pictures no larger than this get none.
pub const THUMBNAIL_SIDE: u32 = 800;
/// The blurhash's components across and down.
pub const BLURHASH_COMPONENTS: (u32, u32) = (4, 3);

/// An image format Sotto can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// JPEG (JFIF, EXIF).
    Jpeg,
    /// PNG, also animated (APNG).
    Png,
    /// WebP, lossy, lossless or animated.
    WebP,
    /// GIF, also animated.
    Gif,
}

impl Format {
    /// The MIME type of the format.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::WebP => "image/webp",
            Format::Gif => "image/gif",
        }
    }

    /// The usual file name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::WebP => "webp",
            Format::Gif => "gif",
        }
    }

    /// Whether `extension` (without the dot, any case) names this format.
    fn has_extension(self, extension: &str) -> bool {
        let extension = extension.to_ascii_lowercase();
        match self {
            Format::Jpeg => ["jpg", "jpeg", "jpe", "jfif"].contains(&extension.as_str()),
            _ => extension == self.extension(),
        }
    }
}

/// The format of `bytes`, read from their first bytes (the magic numbers), or `None` when
/// they are not a picture Sotto can send. The UI can compare it with what a file claims to
/// be and refuse a file that lies.
pub fn detect(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Format::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Format::Png)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(Format::WebP)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(Format::Gif)
    } else {
        None
    }
}

/// Whether `bytes` look like a picture format Sotto cannot prepare (HEIC, AVIF, TIFF, BMP,
/// JPEG XL, ICO, SVG…), so the person can be told to convert it or send it as a file.
fn is_other_image(bytes: &[u8]) -> bool {
    let iso_brand = bytes.len() >= 12 && &bytes[4..8] == b"ftyp" && {
        let brand = &bytes[8..12];
        [
            b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis",
        ]
        .iter()
        .any(|b| brand == *b)
    };
    let svg = {
        let head = &bytes[..bytes.len().min(256)];
        let text = String::from_utf8_lossy(head).to_ascii_lowercase();
        text.trim_start().starts_with("<svg") || text.contains("<svg")
    };
    iso_brand
        || svg
        || bytes.starts_with(b"II*\0")
        || bytes.starts_with(b"MM\0*")
        || bytes.starts_with(b"BM")
        || bytes.starts_with(&[0xFF, 0x0A])
        || bytes.starts_with(b"\0\0\0\x0cJXL \r\n\x87\n")
        || bytes.starts_with(&[0, 0, 1, 0])
        || bytes.starts_with(b"qoif")
}

/// What the person chose for one picture.
#[derive(Debug, Clone, Default)]
pub struct PrepareOptions {
    /// Send the picture at its full size (metadata is removed all the same).
    pub original_quality: bool,
    /// The original file name, only when the person chose to keep it; otherwise the file
    /// is named `image.jpg`, `image.png`…
    pub keep_name: Option<String>,
}

/// What one picture carried and lost, for the send preview. The UI says it in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Removed {
    /// GPS position (EXIF GPS).
    Location,
    /// Camera make, model, serial number, owner, lens, maker notes.
    Camera,
    /// When the picture was taken, digitised or changed.
    DateTime,
    /// An XMP packet (edit history, author, location, tags…).
    Xmp,
    /// IPTC / Photoshop records (caption, author, keywords…).
    Iptc,
    /// Comments and descriptions.
    Comment,
    /// Text chunks or text extensions (PNG tEXt, zTXt, iTXt; GIF plain text).
    TextChunks,
    /// A small copy of the picture inside it (EXIF thumbnail, JFIF thumbnail, MPF
    /// previews), which can show what the picture looked like before an edit.
    EmbeddedThumbnail,
    /// Other EXIF fields (software, resolution, exposure, unique ID…).
    OtherExif,
    /// Other data in the file that is not part of the picture (application segments and
    /// chunks, data after the end of the image).
    Other,
}

/// A small picture shown before the full one has loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    /// The encoded thumbnail.
    pub bytes: Vec<u8>,
    /// Its MIME type: JPEG, or PNG for a picture with transparency.
    pub mime: &'static str,
    /// Its size in pixels.
    pub width: u32,
    /// Its size in pixels.
    pub height: u32,
}

/// A picture ready to upload.
#[derive(Debug, Clone)]
pub struct PreparedImage {
    /// The file to upload: no metadata left in it.
    pub bytes: Vec<u8>,
    /// Its format (it can differ from the chosen file's when the picture was encoded anew).
    pub format: Format,
    /// Its MIME type.
    pub mime: &'static str,
    /// The name to send: `image.EXT`, or the kept original name with the right extension.
    pub file_name: String,
    /// Its size in pixels, as it is shown (after the orientation was applied).
    pub width: u32,
    /// Its size in pixels, as it is shown.
    pub height: u32,
    /// Whether it has more than one frame (sent as it is, never encoded anew).
    pub animated: bool,
    /// A smaller copy when the picture is larger than [`THUMBNAIL_SIDE`].
    pub thumbnail: Option<Thumbnail>,
    /// The blurhash (4×3 components) shown while the picture loads.
    pub blurhash: String,
    /// What was found in the file and removed, each kind once, in a fixed order.
    pub removed: Vec<Removed>,
}

/// Why a picture could not be prepared, by what the person can do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    /// The file is empty.
    #[error("the file is empty")]
    Empty,
    /// The file is not a picture at all.
    #[error("the file is not a picture")]
    NotAnImage,
    /// A picture format (or a feature of one) Sotto cannot prepare: it can be sent as a
    /// file instead.
    #[error("this kind of picture is not supported")]
    Unsupported,
    /// The file is damaged or cut short.
    #[error("the picture is damaged or incomplete")]
    Corrupt,
    /// The picture has more pixels than Sotto decodes ([`MAX_PIXELS`]).
    #[error("the picture is too large ({width}×{height})")]
    TooLarge {
        /// Its width in pixels, as its header says.
        width: u32,
        /// Its height in pixels, as its header says.
        height: u32,
    },
    /// Encoding the prepared picture failed (not expected with valid pixels).
    #[error("the picture could not be encoded")]
    EncodeFailed,
}

/// A file with its metadata dropped, and what its header said: the common result of the
/// per-format walks (`jpeg`, `png`, `webp`, `gif`).
#[derive(Debug)]
struct Stripped {
    /// The same file without its metadata; the pixel data is byte for byte the same.
    bytes: Vec<u8>,
    width: u32,
    height: u32,
    animated: bool,
    /// The EXIF orientation (1–8), 1 when there was none or it made no sense.
    orientation: u8,
    removed: Vec<Removed>,
}

impl Stripped {
    fn new(bytes: Vec<u8>, width: u32, height: u32) -> Self {
        Self {
            bytes,
            width,
            height,
            animated: false,
            orientation: 1,
            removed: Vec::new(),
        }
    }

    fn found(&mut self, removed: Removed) {
        if !self.removed.contains(&removed) {
            self.removed.push(removed);
        }
    }

    /// What an EXIF block said: its orientation (the first block's) and what it held.
    fn found_exif(&mut self, tiff: &[u8]) {
        let summary = exif::scan(tiff);
        if self.orientation == 1 {
            self.orientation = summary.orientation;
        }
        for removed in summary.found {
            self.found(removed);
        }
    }
}

/// Reads a big-endian u16 at `at`, if the bytes are there.
fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([b[0], b[1]]))
}

/// Reads a big-endian u32 at `at`, if the bytes are there.
fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Reads a little-endian u16 at `at`, if the bytes are there.
fn le16(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

/// Reads a little-endian u32 at `at`, if the bytes are there.
fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

#[cfg(test)]
mod alloc_probe;
#[cfg(test)]
mod tests;
