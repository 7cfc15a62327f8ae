//! When a received picture loads by itself, and when it waits for a tap. Loading a picture
//! tells the server (and, for a plain picture, whoever else serves it) that this account
//! looked at it, and a picture from a stranger can be anything; so pictures from people the
//! account has verified and from its own sessions load by themselves, others as the person
//! chose, and nothing loads in an invitation.

/// The person's choice for pictures from others (the GSettings key `media-autoload`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AutoloadSetting {
    /// Load every picture by itself.
    Always,
    /// By itself in direct chats, on a tap in groups (the default).
    #[default]
    DirectChats,
    /// Only on a tap.
    Never,
}

impl AutoloadSetting {
    /// The setting's name as GSettings stores it; unknown names are the default.
    pub fn from_nick(nick: &str) -> Self {
        match nick {
            "always" => Self::Always,
            "never" => Self::Never,
            _ => Self::DirectChats,
        }
    }

    /// The name GSettings stores.
    pub fn nick(self) -> &'static str {
        match self {
            Self::Always => "always",
            Self::DirectChats => "direct-chats",
            Self::Never => "never",
        }
    }
}

/// What kind of room a picture is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoomKind {
    /// A direct chat the account is in.
    Direct,
    /// Any other room the account is in.
    Group,
    /// A room the account is only invited to.
    Invited,
}

/// Who sent a picture, as far as trust goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SenderTrust {
    /// This account sent it (from any of its sessions).
    pub own: bool,
    /// It came from a device its owner vouches for, and this account verified the owner.
    pub verified: bool,
}

/// Whether a picture loads without a tap.
pub fn loads_by_itself(setting: AutoloadSetting, room: RoomKind, sender: SenderTrust) -> bool {
    if room == RoomKind::Invited {
        return false;
    }
    if sender.own || sender.verified {
        return true;
    }
    match setting {
        AutoloadSetting::Always => true,
        AutoloadSetting::DirectChats => room == RoomKind::Direct,
        AutoloadSetting::Never => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRANGER: SenderTrust = SenderTrust {
        own: false,
        verified: false,
    };
    const VERIFIED: SenderTrust = SenderTrust {
        own: false,
        verified: true,
    };
    const OWN: SenderTrust = SenderTrust {
        own: true,
        verified: false,
    };

    #[test]
    fn by_default_direct_chats_load_and_groups_wait_for_a_tap() {
        let setting = AutoloadSetting::default();
        assert!(loads_by_itself(setting, RoomKind::Direct, STRANGER));
        assert!(!loads_by_itself(setting, RoomKind::Group, STRANGER));
    }

    #[test]
    fn verified_people_and_own_sessions_always_load() {
        for setting in [
            AutoloadSetting::Always,
            AutoloadSetting::DirectChats,
            AutoloadSetting::Never,
        ] {
            for room in [RoomKind::Direct, RoomKind::Group] {
                assert!(
                    loads_by_itself(setting, room, VERIFIED),
                    "{setting:?} {room:?}"
                );
                assert!(loads_by_itself(setting, room, OWN), "{setting:?} {room:?}");
            }
        }
    }

    #[test]
    fn the_setting_decides_for_others() {
        assert!(loads_by_itself(
            AutoloadSetting::Always,
            RoomKind::Group,
            STRANGER
        ));
        assert!(!loads_by_itself(
            AutoloadSetting::Never,
            RoomKind::Direct,
            STRANGER
        ));
        assert!(!loads_by_itself(
            AutoloadSetting::Never,
            RoomKind::Group,
            STRANGER
        ));
    }

    #[test]
    fn nothing_loads_in_an_invitation() {
        for setting in [
            AutoloadSetting::Always,
            AutoloadSetting::DirectChats,
            AutoloadSetting::Never,
        ] {
            for sender in [STRANGER, VERIFIED, OWN] {
                assert!(!loads_by_itself(setting, RoomKind::Invited, sender));
            }
        }
    }

    #[test]
    fn nicks_round_trip_and_unknown_is_the_default() {
        for setting in [
            AutoloadSetting::Always,
            AutoloadSetting::DirectChats,
            AutoloadSetting::Never,
        ] {
            assert_eq!(AutoloadSetting::from_nick(setting.nick()), setting);
        }
        assert_eq!(
            AutoloadSetting::from_nick("bogus"),
            AutoloadSetting::DirectChats
        );
    }
}
