//! What Sotto says about events, in the reader's language: the engine hands over typed
//! values (an attachment, a change to the room, a word inside a converted body) and these
//! functions, one per type, put them into words. The row and list code call them; nothing
//! else builds these sentences.

use crate::engine::html::Word;
use crate::engine::media::Removed;
use crate::engine::timeline::picture::PictureError;
use crate::engine::timeline::{
    Attachment, Media, MemberChange, ReplyText, RoomChange, StateChange, Unsupported,
};
use crate::i18n::{gettext, gettext_f};
use gtk::glib;

/// Sotto's own words inside a converted message body (given to the engine by
/// `crate::ui::init`, see `engine::html::set_wording`).
pub fn word(word: Word<'_>) -> String {
    match word {
        Word::Spoiler {
            reason: Some(reason),
        } => gettext_f("Spoiler: {reason}", &[("reason", reason)]),
        Word::Spoiler { reason: None } => gettext("Spoiler"),
        Word::Image { alt: Some(alt) } => gettext_f("[image: {alt}]", &[("alt", alt)]),
        Word::Image { alt: None } => gettext("[image]"),
        Word::ShowSpoiler => gettext("Show the spoiler"),
        Word::Shortened => gettext("(message shortened)"),
    }
}

/// One line for an attachment, which is described, never loaded.
pub fn attachment(attachment: &Attachment) -> String {
    match attachment {
        Attachment::Image(m) => gettext_f("Image: {name}", &[("name", &m.name)]),
        Attachment::Video(m) => gettext_f("Video: {name}", &[("name", &m.name)]),
        Attachment::Audio(m) => gettext_f("Audio: {name}", &[("name", &m.name)]),
        Attachment::File(m) => gettext_f("File: {name}", &[("name", &m.name)]),
        Attachment::Location(name) => gettext_f("Location: {name}", &[("name", name)]),
        Attachment::Sticker(m) => gettext_f("Sticker: {name}", &[("name", &m.name)]),
        Attachment::LiveLocation => gettext("Shared a live location"),
    }
}

/// The size and type of a file: "1.2 MB · application/pdf" (what is known of it).
pub fn media_details(media: &Media) -> String {
    let size = media.size.map(|s| glib::format_size(s).to_string());
    [size, media.mimetype.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The sentence shown in place of a picture that cannot show.
pub fn picture_problem(error: PictureError) -> String {
    match error {
        PictureError::TooLarge => gettext("This picture is too large to show."),
        PictureError::Damaged => gettext("This picture is damaged and cannot be shown."),
        PictureError::NotAPicture => gettext("This file is not a picture Sotto can show."),
        PictureError::DownloadFailed => gettext("The picture could not be downloaded."),
        PictureError::NeedsFullLoad => gettext("This picture is large and has no preview."),
    }
}

/// One line for what Sotto does not show.
pub fn unsupported(unsupported: &Unsupported) -> String {
    match unsupported {
        Unsupported::Poll => gettext("A poll (Sotto cannot show polls yet)"),
        Unsupported::Event(event_type) => gettext_f(
            "An event of type {type} (Sotto cannot show it)",
            &[("type", event_type)],
        ),
        Unsupported::Malformed => gettext("A malformed event that Sotto cannot show"),
    }
}

/// One sentence for a change to the room or a member.
pub fn state_change(change: &StateChange) -> String {
    match change {
        StateChange::Member {
            actor,
            user,
            change,
        } => {
            let args = [("actor", actor.as_str()), ("user", user.as_str())];
            match change {
                MemberChange::Joined => gettext_f("{user} joined", &args),
                MemberChange::Left => gettext_f("{user} left", &args),
                MemberChange::Banned => gettext_f("{actor} banned {user}", &args),
                MemberChange::Unbanned => gettext_f("{actor} unbanned {user}", &args),
                MemberChange::Removed => gettext_f("{actor} removed {user}", &args),
                MemberChange::Invited => gettext_f("{actor} invited {user}", &args),
                MemberChange::Declined => gettext_f("{user} declined the invitation", &args),
                MemberChange::InvitationWithdrawn => {
                    gettext_f("{actor} withdrew the invitation of {user}", &args)
                }
                MemberChange::Knocked => gettext_f("{user} asked to join", &args),
                MemberChange::Other => gettext_f("{user}'s membership changed", &args),
            }
        }
        StateChange::NameSet { user, name } => gettext_f(
            "{user} is now called {name}",
            &[("user", user), ("name", name)],
        ),
        StateChange::NameRemoved { user } => {
            gettext_f("{user} removed their name", &[("user", user)])
        }
        StateChange::AvatarChanged { user } => {
            gettext_f("{user} changed their avatar", &[("user", user)])
        }
        StateChange::Room { actor, change } => room_sentence(*change, actor),
        StateChange::Call { actor } => gettext_f(
            "{actor} started a call (Sotto cannot join calls)",
            &[("actor", actor)],
        ),
        StateChange::VerificationRequest { user } => {
            gettext_f("Verification request for {user}", &[("user", user)])
        }
    }
}

/// The sentence of a change to the room's settings by `actor`.
fn room_sentence(change: RoomChange, actor: &str) -> String {
    let args = [("actor", actor)];
    match change {
        RoomChange::Name => gettext_f("{actor} renamed the room", &args),
        RoomChange::Topic => gettext_f("{actor} changed the topic", &args),
        RoomChange::Avatar => gettext_f("{actor} changed the room's picture", &args),
        RoomChange::Created => gettext_f("{actor} created the room", &args),
        RoomChange::Encryption => gettext_f("{actor} turned on end-to-end encryption", &args),
        RoomChange::PowerLevels => gettext_f("{actor} changed who may do what", &args),
        RoomChange::JoinRules => gettext_f("{actor} changed who may join", &args),
        RoomChange::HistoryVisibility => {
            gettext_f("{actor} changed who may read the history", &args)
        }
        RoomChange::Address => gettext_f("{actor} changed the room's address", &args),
        RoomChange::Other => gettext_f("{actor} changed the room's settings", &args),
    }
}

/// One line of the message a reply answers.
pub fn reply_text(text: &ReplyText) -> String {
    match text {
        ReplyText::Message(line) => line.clone(),
        ReplyText::Removed => gettext("Message removed"),
        ReplyText::Encrypted => gettext("Encrypted message"),
        ReplyText::Other => gettext("A message"),
    }
}

/// What was removed from a picture before sending, in plain words.
pub fn removed(removed: Removed) -> String {
    match removed {
        Removed::Location => gettext("Location"),
        Removed::Camera => gettext("Camera model and serial number"),
        Removed::DateTime => gettext("Date and time"),
        Removed::Xmp => gettext("Author and editing history (XMP)"),
        Removed::Iptc => gettext("Author, caption and keywords (IPTC)"),
        Removed::Comment => gettext("Comments and descriptions"),
        Removed::TextChunks => gettext("Text stored in the file"),
        Removed::EmbeddedThumbnail => {
            gettext("A hidden small copy, which can show the picture before it was edited")
        }
        Removed::OtherExif => gettext("Other camera data (software, exposure settings)"),
        Removed::Other => gettext("Other data that is not part of the picture"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::html::english;

    #[test]
    fn untranslated_words_are_the_engines_english() {
        // No catalogue is loaded in unit tests: gettext gives the msgids back, and those
        // must be what headless use (the engine's fallback) shows.
        for w in [
            Word::Spoiler { reason: None },
            Word::Spoiler {
                reason: Some("the plot"),
            },
            Word::Image { alt: None },
            Word::Image { alt: Some("a cat") },
            Word::ShowSpoiler,
            Word::Shortened,
        ] {
            assert_eq!(word(w), english(w), "{w:?}");
        }
    }

    #[test]
    fn sentences_name_who_did_what() {
        let member = |change| StateChange::Member {
            actor: "Ann".to_owned(),
            user: "Bo".to_owned(),
            change,
        };
        assert_eq!(state_change(&member(MemberChange::Joined)), "Bo joined");
        assert_eq!(
            state_change(&member(MemberChange::InvitationWithdrawn)),
            "Ann withdrew the invitation of Bo"
        );
        assert_eq!(
            state_change(&StateChange::Room {
                actor: "Ann".to_owned(),
                change: RoomChange::Encryption
            }),
            "Ann turned on end-to-end encryption"
        );
        assert_eq!(
            attachment(&Attachment::Location("Home".to_owned())),
            "Location: Home"
        );
        assert_eq!(
            unsupported(&Unsupported::Event("m.custom".to_owned())),
            "An event of type m.custom (Sotto cannot show it)"
        );
        assert_eq!(reply_text(&ReplyText::Removed), "Message removed");
    }
}
