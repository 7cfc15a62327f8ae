//! What the conversation view shows of a timeline item: plain values (text already turned
//! into safe markup, names already disambiguated) computed off the UI thread, so binding a
//! row costs the UI little more than setting labels. What Sotto itself says about an event
//! (an attachment, a change to the room) is a typed value the UI puts into words.

use matrix_sdk::ruma::events::room::{ImageInfo, MediaSource};
use matrix_sdk::ruma::events::sticker::StickerEventContent;
use matrix_sdk::ruma::{OwnedEventId, OwnedMxcUri, OwnedUserId};
use matrix_sdk_ui::timeline::TimelineEventItemId;

use crate::engine::bidi::strip_direction_overrides;

mod from_item;

pub use from_item::{entry_of, shown_name};

/// Identifies an event of the timeline (a local echo or a remote event) for actions on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemId(pub(crate) TimelineEventItemId);

/// One row of the conversation.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Stable across updates of the same item.
    pub unique_id: String,
    /// What the row shows.
    pub kind: EntryKind,
}

/// The kinds of rows.
#[derive(Clone, Debug)]
pub enum EntryKind {
    /// The first event of a day follows; milliseconds since the Unix epoch.
    DayDivider(u64),
    /// Where the person stopped reading ("New messages" follow).
    ReadMarker,
    /// The very beginning of the room: nothing older exists.
    Start,
    /// An event.
    Event(Box<EventEntry>),
}

/// An event, ready to show.
#[derive(Clone, Debug)]
pub struct EventEntry {
    /// For actions on this event.
    pub id: ItemId,
    /// The event ID once the server knows the event.
    pub event_id: Option<OwnedEventId>,
    /// The sender's Matrix ID.
    pub sender: OwnedUserId,
    /// The sender's name as shown: the display name, with the Matrix ID when another member
    /// has the same name or the name looks like a Matrix ID.
    pub sender_name: String,
    /// The sender's avatar, as their member event in the room has it.
    pub sender_avatar: Option<OwnedMxcUri>,
    /// Sent by this account.
    pub is_own: bool,
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// The content.
    pub body: Body,
    /// The message this one answers, if any.
    pub reply_to: Option<ReplyPreview>,
    /// The body was edited.
    pub edited: bool,
    /// Reactions, in the order they first came.
    pub reactions: Vec<Reaction>,
    /// Whether and how it reached the server.
    pub send_state: SendState,
    /// How far the upload of an attachment being sent has come, once it started.
    pub upload: Option<UploadProgress>,
    /// Members (other than this account) whose read receipt is on this event.
    pub read_by: Vec<OwnedUserId>,
    /// The event came end-to-end encrypted.
    pub encrypted: bool,
    /// It came encrypted from a device its owner vouches for, and the owner is someone
    /// this account has verified (or is this account).
    pub sender_verified: bool,
    /// It mentions this account (or matches a highlight rule).
    pub highlighted: bool,
    /// The person may reply to it.
    pub can_reply: bool,
    /// The person may edit it (own text messages).
    pub can_edit: bool,
    /// The person may remove it (own events; moderators are handled by the room).
    pub can_remove: bool,
    /// The person may react to it.
    pub can_react: bool,
}

impl EventEntry {
    /// The file of an attachment (picture, file, video, sound, sticker), if it is one.
    pub fn media(&self) -> Option<&Media> {
        match &self.body {
            Body::Attachment(attachment) => attachment.media(),
            _ => None,
        }
    }

    /// The text to copy: the plain body of a message, or what the row says otherwise.
    pub fn copy_text(&self) -> Option<&str> {
        match &self.body {
            Body::Text { plain, .. } | Body::Emote { plain, .. } | Body::Notice { plain, .. } => {
                Some(plain)
            }
            _ => None,
        }
    }
}

/// The content of an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// A text message: safe Pango markup, and the plain body.
    Text {
        /// Pango markup, spoilers hidden.
        markup: String,
        /// The markup with its spoilers revealed; `None` when it has none.
        revealed: Option<String>,
        /// The plain-text body.
        plain: String,
    },
    /// `/me` does something.
    Emote {
        /// Pango markup, spoilers hidden.
        markup: String,
        /// The markup with its spoilers revealed; `None` when it has none.
        revealed: Option<String>,
        /// The plain-text body.
        plain: String,
    },
    /// A message from a bot or a service.
    Notice {
        /// Pango markup, spoilers hidden.
        markup: String,
        /// The markup with its spoilers revealed; `None` when it has none.
        revealed: Option<String>,
        /// The plain-text body.
        plain: String,
    },
    /// A file, image, video, sound or location: described, never loaded.
    Attachment(Attachment),
    /// Removed by its sender or a moderator.
    Removed,
    /// Encrypted, and its key has not arrived (yet).
    Undecryptable,
    /// A change to the room or a member, summarised in one sentence.
    State(StateChange),
    /// Something Sotto does not show (yet), or an event that is malformed.
    Unsupported(Unsupported),
}

/// A file, image, video, sound or location. Pictures and files carry what loading them
/// needs ([`Media`]); a location is described by its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attachment {
    /// An image.
    Image(Box<Media>),
    /// A video.
    Video(Box<Media>),
    /// A sound.
    Audio(Box<Media>),
    /// Any other file.
    File(Box<Media>),
    /// A location, by its description.
    Location(String),
    /// A sticker (a picture).
    Sticker(Box<Media>),
    /// A location shared live.
    LiveLocation,
}

impl Attachment {
    /// The media of a picture, file, video or sound.
    pub fn media(&self) -> Option<&Media> {
        match self {
            Attachment::Image(m)
            | Attachment::Video(m)
            | Attachment::Audio(m)
            | Attachment::File(m)
            | Attachment::Sticker(m) => Some(m),
            Attachment::Location(_) | Attachment::LiveLocation => None,
        }
    }
}

/// Where the bytes of an attachment are: an `mxc://` URI, with the keys when the file is
/// encrypted. Two are equal when their URIs are.
#[derive(Clone, Debug)]
pub struct MediaRef(pub(crate) MediaSource);

impl MediaRef {
    /// The `mxc://` URI.
    pub fn uri(&self) -> &str {
        match &self.0 {
            MediaSource::Plain(uri) => uri.as_str(),
            MediaSource::Encrypted(file) => file.url.as_str(),
        }
    }

    /// Whether the file is encrypted (the server cannot make thumbnails of it).
    pub fn is_encrypted(&self) -> bool {
        matches!(self.0, MediaSource::Encrypted(_))
    }
}

impl PartialEq for MediaRef {
    fn eq(&self, other: &Self) -> bool {
        self.uri() == other.uri()
    }
}

impl Eq for MediaRef {}

/// A picture, file, video or sound as its event describes it. Everything here is what the
/// sender claims; a picture is checked when it is decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Media {
    /// The file name (or the description), one line, without direction overrides, shortened.
    pub name: String,
    /// The caption, when the sender wrote one (plain text, without direction overrides).
    pub caption: Option<String>,
    /// The claimed MIME type.
    pub mimetype: Option<String>,
    /// The claimed size in bytes.
    pub size: Option<u64>,
    /// The claimed width in pixels (pictures and videos).
    pub width: Option<u32>,
    /// The claimed height in pixels.
    pub height: Option<u32>,
    /// The blurhash to show while the picture loads (checked when it is decoded).
    pub blurhash: Option<String>,
    /// The file.
    pub source: MediaRef,
    /// A smaller copy the sender made, if any.
    pub thumbnail: Option<MediaRef>,
}

/// The longest caption kept; the rest is cut.
const MAX_CAPTION: usize = 2000;

impl Media {
    fn new(name: &str, caption: Option<&str>, source: &MediaSource) -> Self {
        Self {
            name: one_line(name, 200),
            caption: caption.map(|c| {
                let c = strip_direction_overrides(c.trim());
                if c.chars().count() > MAX_CAPTION {
                    let mut short: String = c.chars().take(MAX_CAPTION).collect();
                    short.push('…');
                    short
                } else {
                    c
                }
            }),
            mimetype: None,
            size: None,
            width: None,
            height: None,
            blurhash: None,
            source: MediaRef(source.clone()),
            thumbnail: None,
        }
    }

    /// What an image's `info` says.
    fn with_image_info(mut self, info: Option<&ImageInfo>) -> Self {
        if let Some(info) = info {
            self.mimetype = info.mimetype.as_deref().map(|m| one_line(m, 100));
            self.size = info.size.map(u64::from);
            self.width = info.width.and_then(|v| u32::try_from(u64::from(v)).ok());
            self.height = info.height.and_then(|v| u32::try_from(u64::from(v)).ok());
            self.blurhash = info
                .blurhash
                .as_deref()
                .filter(|b| b.len() <= 100)
                .map(str::to_owned);
            self.thumbnail = info.thumbnail_source.clone().map(MediaRef);
        }
        self
    }

    /// The media of a sticker.
    pub(crate) fn of_sticker(content: &StickerEventContent) -> Self {
        let source: MediaSource = content.source.clone().into();
        Media::new(&content.body, None, &source).with_image_info(Some(&content.info))
    }
}

/// What Sotto does not show (yet).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unsupported {
    /// A poll.
    Poll,
    /// An event of another type (its type, one line, shortened).
    Event(String),
    /// An event that is malformed.
    Malformed,
}

/// A change to the room or a member. Names are as shown: one line, without direction
/// overrides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateChange {
    /// `actor` changed the membership of `user` (often themselves).
    Member {
        /// Who made the change.
        actor: String,
        /// Whose membership changed.
        user: String,
        /// How.
        change: MemberChange,
    },
    /// `user` set their display name to `name`.
    NameSet {
        /// The Matrix ID.
        user: String,
        /// The new name.
        name: String,
    },
    /// `user` removed their display name.
    NameRemoved {
        /// The Matrix ID.
        user: String,
    },
    /// `user` changed their avatar.
    AvatarChanged {
        /// The Matrix ID.
        user: String,
    },
    /// `actor` changed a setting of the room.
    Room {
        /// Who made the change.
        actor: String,
        /// What changed.
        change: RoomChange,
    },
    /// `actor` started a call (Sotto cannot join calls).
    Call {
        /// Who called.
        actor: String,
    },
    /// A request to verify `user` (handled by the verification dialog).
    VerificationRequest {
        /// The Matrix ID to verify.
        user: String,
    },
}

/// How a membership changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberChange {
    /// Joined (or accepted an invitation, or was let in).
    Joined,
    /// Left.
    Left,
    /// Was banned.
    Banned,
    /// Was unbanned.
    Unbanned,
    /// Was removed (kicked).
    Removed,
    /// Was invited.
    Invited,
    /// Declined the invitation.
    Declined,
    /// Had the invitation withdrawn.
    InvitationWithdrawn,
    /// Asked to join.
    Knocked,
    /// Some other change.
    Other,
}

/// What changed about the room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoomChange {
    /// Its name.
    Name,
    /// Its topic.
    Topic,
    /// Its picture.
    Avatar,
    /// It was created.
    Created,
    /// End-to-end encryption was turned on.
    Encryption,
    /// Who may do what (power levels).
    PowerLevels,
    /// Who may join.
    JoinRules,
    /// Who may read the history.
    HistoryVisibility,
    /// Its address.
    Address,
    /// Another setting.
    Other,
}

/// One line of the message a reply answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplyText {
    /// The first line of its body.
    Message(String),
    /// It was removed.
    Removed,
    /// It is encrypted and its key has not arrived.
    Encrypted,
    /// Something other than a message.
    Other,
}

/// The message a reply answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyPreview {
    /// The answered event's ID.
    pub event_id: OwnedEventId,
    /// Who wrote it, once known.
    pub sender_name: Option<String>,
    /// One line of it, once known.
    pub text: Option<ReplyText>,
}

/// One reaction key with who reacted with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reaction {
    /// The key (usually an emoji).
    pub key: String,
    /// Matrix IDs of those who reacted.
    pub senders: Vec<OwnedUserId>,
    /// This account reacted with it.
    pub own: bool,
}

/// Where a message is on its way to the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendState {
    /// Came from the server.
    Remote,
    /// Waiting in the send queue or being sent.
    Sending,
    /// The server accepted it; its remote echo has not come back yet.
    Sent,
    /// Sending failed. Recoverable failures are retried by themselves when the server
    /// answers again; others wait for Retry or Discard.
    Failed {
        /// Sotto retries by itself.
        will_retry: bool,
    },
}

/// How far the upload of an attachment (its file and thumbnail together) has come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UploadProgress {
    /// Bytes sent.
    pub sent: u64,
    /// Bytes in all.
    pub total: u64,
}

impl UploadProgress {
    /// The share sent, from 0 to 100.
    pub fn percent(self) -> u64 {
        (self.sent.min(self.total) * 100)
            .checked_div(self.total)
            .unwrap_or(0)
    }
}

/// The first line of `text`, without direction overrides, at most `max` characters.
fn one_line(text: &str, max: usize) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    let clean = strip_direction_overrides(line);
    if clean.chars().count() > max {
        let mut short: String = clean.chars().take(max).collect();
        short.push('…');
        short
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_is_a_share_of_the_whole() {
        let at = |sent, total| UploadProgress { sent, total }.percent();
        assert_eq!(at(0, 0), 0);
        assert_eq!(at(50, 200), 25);
        assert_eq!(at(199, 200), 99);
        assert_eq!(at(300, 200), 100);
    }
}
