//! Avatars of people and rooms, and the account's own name and avatar.
//!
//! An avatar is a picture someone else chose, fetched from their server's media: loading it
//! tells that server that this account looked, and the picture is hostile input. So an
//! avatar comes with who put it there ([`Avatar::trust`]) and loads by the same rule as a
//! picture in the conversation (`media::autoload`); it is downloaded through the
//! authenticated media API as a server-made thumbnail (cached in Sotto's encrypted media
//! store) and decoded off the main loop with the limits of `engine::media`.
//!
//! The account's own avatar is stripped of its metadata before upload, like every picture
//! Sotto sends.

use matrix_sdk::deserialized_responses::SyncOrStrippedState;
use matrix_sdk::media::{MediaFormat, MediaRequestParameters, MediaThumbnailSettings};
use matrix_sdk::ruma::api::client::media::get_content_thumbnail::v3::Method;
use matrix_sdk::ruma::events::SyncStateEvent;
use matrix_sdk::ruma::events::room::MediaSource;
use matrix_sdk::ruma::events::room::avatar::{ImageInfo, RoomAvatarEventContent};
use matrix_sdk::ruma::{MxcUri, OwnedMxcUri, RoomId, UInt, UserId};
use matrix_sdk::{Client, Room, RoomState};

use crate::engine::error::Call;
use crate::engine::media::autoload::SenderTrust;
use crate::engine::media::{MediaError, Pixels, PrepareOptions, PreparedImage};
use crate::engine::session::Session;
use crate::engine::timeline::picture::{PictureError, decode_picture};
use crate::engine::{EngineError, Result};

/// An avatar to show: where its picture is, and who put it there as far as trust goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Avatar {
    /// The picture (`mxc://`).
    pub url: OwnedMxcUri,
    /// The person it belongs to (or who set a room's), as this account trusts them.
    pub trust: SenderTrust,
}

/// Loads avatars' pictures for one account (cheap to clone; from `Session::avatars`, the
/// room list's handle or a room's timeline).
#[derive(Clone)]
pub struct AvatarLoader {
    client: Client,
}

impl std::fmt::Debug for AvatarLoader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AvatarLoader").finish_non_exhaustive()
    }
}

impl AvatarLoader {
    pub(crate) fn new(client: Client) -> Self {
        Self { client }
    }

    /// Loads the avatar at `url` for display at most `side` pixels wide and high (device
    /// pixels): the server's cropped thumbnail, else the file itself; decoded off the
    /// calling thread and scaled down to `side`.
    pub async fn load(&self, url: &MxcUri, side: u32) -> Result<Pixels, PictureError> {
        let source = MediaSource::Plain(url.to_owned());
        let edge = UInt::from(side);
        let thumbnail = MediaRequestParameters {
            source: source.clone(),
            format: MediaFormat::Thumbnail(MediaThumbnailSettings::with_method(
                Method::Crop,
                edge,
                edge,
            )),
        };
        let media = self.client.media();
        let bytes = match media.get_media_content(&thumbnail, true).await {
            Ok(bytes) => bytes,
            // A server that makes no thumbnail of it (an SVG, an animation it keeps
            // whole): the file, decoded within the same limits.
            Err(_) => {
                let file = MediaRequestParameters {
                    source,
                    format: MediaFormat::File,
                };
                media.get_media_content(&file, true).await.map_err(|err| {
                    tracing::debug!("an avatar did not download: {err}");
                    PictureError::DownloadFailed
                })?
            }
        };
        decode_picture(bytes, side).await
    }
}

impl Session {
    /// Loads avatars for this account.
    pub fn avatars(&self) -> AvatarLoader {
        AvatarLoader::new(self.client().clone())
    }
}

/// Who nobody vouches for: the trust of an avatar before its setter is looked up.
const STRANGER: SenderTrust = SenderTrust {
    own: false,
    verified: false,
};

/// The avatar of `room` as the room list shows it, without looking anything up: the
/// room's own picture, else, in a direct chat with one other person (`partner`), that
/// person's; trusted as a stranger's until [`room_avatar`] tells. A room the account is
/// only invited to gets none: nothing loads before the invitation is accepted.
pub fn room_avatar_quick(room: &Room, partner: Option<&UserId>) -> Option<Avatar> {
    if room.state() == RoomState::Invited {
        return None;
    }
    if let Some(url) = room.avatar_url() {
        return Some(Avatar {
            url,
            trust: STRANGER,
        });
    }
    let partner = partner?;
    let url = room
        .heroes()
        .into_iter()
        .find(|hero| hero.user_id.as_str() == partner)
        .and_then(|hero| hero.avatar_url)?;
    Some(Avatar {
        url,
        trust: STRANGER,
    })
}

/// [`room_avatar_quick`] with its trust: that of who set the room's picture (read from
/// the local store), or, for the partner's own picture, `partner_verified`.
pub async fn room_avatar(
    room: &Room,
    partner: Option<&UserId>,
    partner_verified: bool,
) -> Option<Avatar> {
    if room.state() == RoomState::Invited {
        return None;
    }
    if room.avatar_url().is_none() {
        // The partner's picture: from the room's heroes, else from their member event in
        // the store (a named direct chat has no heroes).
        let mut avatar = match room_avatar_quick(room, partner) {
            Some(avatar) => avatar,
            None => {
                let partner = UserId::parse(partner?).ok()?;
                let member = room.get_member_no_sync(&partner).await.ok().flatten()?;
                Avatar {
                    url: member.avatar_url()?.to_owned(),
                    trust: STRANGER,
                }
            }
        };
        avatar.trust.verified = partner_verified;
        return Some(avatar);
    }
    let mut avatar = room_avatar_quick(room, partner)?;
    let setter = room
        .get_state_event_static::<RoomAvatarEventContent>()
        .await
        .ok()
        .flatten()
        .and_then(|raw| raw.deserialize().ok())
        .and_then(|event| match event {
            SyncOrStrippedState::Sync(SyncStateEvent::Original(e)) => Some(e.sender),
            _ => None,
        });
    if let Some(setter) = setter {
        if setter == room.own_user_id() {
            avatar.trust.own = true;
        } else {
            avatar.trust.verified =
                crate::engine::trust::identities::is_verified_locally(&room.client(), &setter)
                    .await;
        }
    }
    Some(avatar)
}

/// The account's own name and avatar, as its server has them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OwnProfile {
    /// The display name, if one is set.
    pub display_name: Option<String>,
    /// The avatar's picture, if one is set.
    pub avatar_url: Option<OwnedMxcUri>,
}

/// The account's own name and avatar, asked of the server (the last known ones while it
/// cannot be reached).
pub async fn own_profile(session: &Session) -> Result<OwnProfile> {
    let account = session.client().account();
    match account.fetch_user_profile().await {
        Ok(profile) => Ok(OwnProfile {
            display_name: profile
                .get("displayname")
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            avatar_url: profile
                .get("avatar_url")
                .and_then(|v| v.as_str())
                .map(OwnedMxcUri::from),
        }),
        Err(err) => {
            let err = EngineError::from_sdk(err, Call::Authenticated);
            if !matches!(err, EngineError::Unreachable(_)) {
                return Err(err);
            }
            Ok(OwnProfile {
                display_name: None,
                avatar_url: account.get_cached_avatar_url().await.ok().flatten(),
            })
        }
    }
}

/// The account's own avatar: the one last seen (from the store), else asked of the server.
pub async fn own_avatar(session: &Session) -> Option<Avatar> {
    let account = session.client().account();
    let url = match account.get_cached_avatar_url().await.ok().flatten() {
        Some(url) => Some(url),
        // Asking also stores it, for the next time.
        None => account.get_avatar_url().await.ok().flatten(),
    }?;
    Some(Avatar {
        url,
        trust: SenderTrust {
            own: true,
            verified: false,
        },
    })
}

/// Sets the account's display name (trimmed, without direction overrides); an empty name
/// removes it.
pub async fn set_display_name(session: &Session, name: &str) -> Result<()> {
    let name = crate::engine::bidi::strip_direction_overrides(name);
    let name = name.trim();
    session
        .client()
        .account()
        .set_display_name((!name.is_empty()).then_some(name))
        .await
        .map_err(|err| EngineError::from_sdk(err, Call::Authenticated))
}

/// Prepares the picture in `bytes` to be an avatar: every metadata removed and upright
/// (as every picture Sotto sends), on a blocking thread; then checked against the server's
/// upload limit.
async fn prepare_avatar(session: &Session, bytes: Vec<u8>) -> Result<PreparedImage> {
    let prepared =
        crate::engine::timeline::media::prepare(bytes, PrepareOptions::default()).await?;
    if prepared.bytes.is_empty() {
        return Err(EngineError::Media(MediaError::Empty));
    }
    // Unlike a message's attachment (queued while offline), an avatar is uploaded at
    // once: an unknown limit is an error here.
    let max = session.max_upload_size().await?;
    let size = prepared.bytes.len() as u64;
    if size > max {
        return Err(EngineError::TooLargeToUpload { size, max });
    }
    Ok(prepared)
}

/// Makes the picture in `bytes` the account's avatar, without its metadata. Returns where
/// it was uploaded.
pub async fn set_own_avatar(session: &Session, bytes: Vec<u8>) -> Result<OwnedMxcUri> {
    let prepared = prepare_avatar(session, bytes).await?;
    let mime: mime::Mime = prepared
        .mime
        .parse()
        .expect("the media module's MIME types parse");
    session
        .client()
        .account()
        .upload_avatar(&mime, prepared.bytes)
        .await
        .map_err(|err| EngineError::from_sdk(err, Call::Authenticated))
}

/// Removes the account's avatar.
pub async fn remove_own_avatar(session: &Session) -> Result<()> {
    session
        .client()
        .account()
        .set_avatar_url(None)
        .await
        .map_err(|err| EngineError::from_sdk(err, Call::Authenticated))
}

/// Makes the picture in `bytes` the room's avatar, without its metadata.
pub async fn set_room_avatar(session: &Session, room_id: &RoomId, bytes: Vec<u8>) -> Result<()> {
    let room = session
        .client()
        .get_room(room_id)
        .ok_or_else(|| EngineError::RoomNotFound(room_id.to_string()))?;
    let prepared = prepare_avatar(session, bytes).await?;
    let mime: mime::Mime = prepared
        .mime
        .parse()
        .expect("the media module's MIME types parse");
    let mut info = ImageInfo::new();
    info.height = UInt::new(u64::from(prepared.height));
    info.width = UInt::new(u64::from(prepared.width));
    info.mimetype = Some(prepared.mime.to_owned());
    info.size = UInt::new(prepared.bytes.len() as u64);
    room.upload_avatar(&mime, prepared.bytes, Some(info))
        .await
        .map_err(|err| EngineError::from_sdk(err, Call::Room))?;
    Ok(())
}

/// Removes the room's avatar.
pub async fn remove_room_avatar(session: &Session, room_id: &RoomId) -> Result<()> {
    let room = session
        .client()
        .get_room(room_id)
        .ok_or_else(|| EngineError::RoomNotFound(room_id.to_string()))?;
    room.remove_avatar()
        .await
        .map_err(|err| EngineError::from_sdk(err, Call::Room))?;
    Ok(())
}
