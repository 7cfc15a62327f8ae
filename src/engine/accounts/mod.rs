//! The accounts of one Sotto: their folders, their Secret Service items, the list of who
//! is signed in (`list.rs`) and the accounts open in this process. The normal set follows
//! the XDG folders; the demo runs with a set of its own, in folders of its own.

use crate::engine::ids::UserId;
use tokio::task::spawn_blocking;

mod list;

use super::discovery::{homeserver_input, parse_username};
use super::paths::{Paths, account_folder_name, create_private_dir};
use super::running::Running;
use super::secrets::{SecretStore, StoreKey};
use super::session::KeySharing;
use super::session::{Session, StoreLocation};
use super::sync::AccountSync;
use super::{EngineError, Result};
pub use list::{AccountEntry, AccountList};

/// The folders, secrets and accounts of one Sotto (the normal one, or the demo's).
#[derive(Clone)]
pub struct Accounts {
    paths: Paths,
    secrets: SecretStore,
    list: AccountList,
    key_sharing: KeySharing,
    /// The accounts open in this process, shared by every clone.
    running: Running,
}

impl Accounts {
    /// The accounts in `paths`, keeping their secrets in `secrets`.
    pub fn new(paths: Paths, secrets: SecretStore) -> Self {
        let list = AccountList::new(paths.account_list());
        Self {
            paths,
            secrets,
            list,
            key_sharing: KeySharing::default(),
            running: Running::default(),
        }
    }

    /// Which devices the sessions opened from now on encrypt messages for, for accounts
    /// that did not turn "encrypt only for verified devices" on themselves (see
    /// `set_account_key_sharing`). Sessions already open keep theirs until they are
    /// opened again.
    pub fn set_key_sharing(&mut self, key_sharing: KeySharing) {
        self.key_sharing = key_sharing;
    }

    /// Which devices the account `user_id` encrypts messages for when it is opened: the
    /// stored "encrypt only for verified devices" setting, else the default of this set.
    pub fn account_key_sharing(&self, user_id: &UserId) -> Result<KeySharing> {
        Ok(if self.list.verified_devices_only(user_id)? {
            KeySharing::VerifiedDevicesOnly
        } else {
            self.key_sharing
        })
    }

    /// Stores the "encrypt only for verified devices" setting of the account `user_id`. It
    /// takes effect when the account is opened again (`restore`): the SDK fixes the
    /// strategy when it builds the client.
    pub fn set_account_key_sharing(&self, user_id: &UserId, key_sharing: KeySharing) -> Result<()> {
        self.list
            .set_verified_devices_only(user_id, key_sharing == KeySharing::VerifiedDevicesOnly)
    }

    /// The folders of these accounts.
    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// The accounts signed in, in the order they were added.
    pub fn list(&self) -> Result<Vec<AccountEntry>> {
        self.list.load()
    }

    /// The accounts, the one shown last first.
    pub fn list_active_first(&self) -> Result<Vec<AccountEntry>> {
        self.list.load_active_first()
    }

    /// Remembers the account shown now, to open it first next time.
    pub fn set_active(&self, user_id: &UserId) -> Result<()> {
        self.list.set_active(user_id)
    }

    /// The accounts open in this process.
    pub fn running(&self) -> &Running {
        &self.running
    }

    /// The session of `entry`: the one that runs, else restored from its store (see
    /// [`Accounts::restore`]) and kept running.
    pub async fn open(&self, entry: &AccountEntry) -> Result<Session> {
        let _opening = self.running.lock_opening().await;
        if let Some(open) = self.running.get(&entry.user_id) {
            return Ok(open.session);
        }
        let session = self.restore(entry).await?;
        self.running.insert(session.clone());
        Ok(session)
    }

    /// The sync of `session`'s account: the one that runs, else built (not started; see
    /// [`AccountSync::build`]) and kept. `true` with a sync built now.
    pub async fn sync_of(&self, session: &Session) -> Result<(AccountSync, bool)> {
        let _opening = self.running.lock_opening().await;
        let user_id = session.user_id();
        match self.running.get(&user_id) {
            Some(open) if open.session.same_client(session) => {
                if let Some(sync) = open.sync {
                    return Ok((sync, false));
                }
            }
            _ => self.running.insert(session.clone()),
        }
        let sync = AccountSync::build(session).await?;
        self.running.set_sync(session, sync.clone());
        Ok((sync, true))
    }

    /// Opens every account that does not run yet and starts every sync that does not talk
    /// to the server yet, so that each account notifies. An account that cannot be opened is skipped (its window says why).
    pub async fn run_all(&self) {
        let Ok(accounts) = self.list() else {
            return;
        };
        for entry in accounts {
            let started = async {
                let session = self.open(&entry).await?;
                let (sync, _) = self.sync_of(&session).await?;
                // Starting a sync that runs already changes nothing.
                sync.resume().await;
                Ok::<_, EngineError>(())
            };
            if let Err(err) = started.await {
                tracing::warn!("an account could not start in the background: {err}");
            }
        }
    }

    /// Checks that the Secret Service is there and unlocked.
    pub async fn check_secret_service(&self) -> Result<()> {
        let secrets = self.secrets.clone();
        spawn_blocking(move || secrets.check())
            .await
            .map_err(EngineError::matrix)?
    }

    /// Signs in with a password. `homeserver` may be empty when `username` is a full
    /// Matrix ID. Nothing is kept unless every step succeeds, and the Secret Service is
    /// checked first so that no server-side device is created that could not be saved.
    pub async fn login(&self, homeserver: &str, username: &str, password: &str) -> Result<Session> {
        let user = parse_username(username)?;
        let server = homeserver_input(homeserver, &user)?;
        self.check_secret_service().await?;

        let folder = account_folder_name(&format!("{}:{server}", user.localpart), &hex_suffix());
        let key = StoreKey::generate();
        self.private_folders(&folder, true)?;
        let location = self.location(&folder, &key);
        let result = Session::login(
            &server,
            &user,
            password,
            &device_name(),
            folder.clone(),
            location,
        )
        .await;
        let session = match result {
            Ok(session) => session,
            Err(err) => {
                self.remove_folders(&folder);
                return Err(err);
            }
        };

        if let Err(err) = self.keep(&session, key).await {
            // Leave no trace: the device on the server and the local store go too.
            tracing::info!("removing the device that could not be kept");
            if let Err(logout) = session.logout_on_server().await {
                tracing::warn!("could not log out the device that could not be kept: {logout}");
            }
            self.remove_folders(&folder);
            return Err(err);
        }
        tracing::info!("signed in");
        tracing::debug!(user = %session.user_id(), device = %session.device_id(), "signed in");
        Ok(session)
    }

    async fn keep(&self, session: &Session, key: StoreKey) -> Result<()> {
        let user_id = session.user_id();
        if self.list()?.iter().any(|a| a.user_id == user_id) {
            return Err(EngineError::AlreadySignedIn(user_id.to_string()));
        }
        let secrets = session
            .secrets(key)
            .ok_or_else(|| EngineError::SecretsDamaged(user_id.to_string()))?;
        let store = self.secrets.clone();
        spawn_blocking(move || store.save(&secrets))
            .await
            .map_err(EngineError::matrix)??;
        self.list.upsert(AccountEntry {
            user_id,
            folder: session.folder().to_owned(),
        })
    }

    /// Reopens a signed-in account from its store and its secrets, without the network.
    pub async fn restore(&self, entry: &AccountEntry) -> Result<Session> {
        let store = self.secrets.clone();
        let user_id = entry.user_id.clone();
        let secrets = spawn_blocking(move || store.load(user_id.as_str()))
            .await
            .map_err(EngineError::matrix)??;
        crate::startup_trace::mark("secrets read from the Secret Service");
        self.private_folders(&entry.folder, false)?;
        let mut location = self.location(&entry.folder, &secrets.store_key);
        location.key_sharing = self.account_key_sharing(&entry.user_id)?;
        let session = Session::restore(&secrets, entry.folder.clone(), location).await;
        crate::startup_trace::mark("session restored from the store");
        session
    }

    /// After a soft logout: signs in again with `password` into the same device and store,
    /// and keeps the new token in place of the old one. Nothing is lost.
    pub async fn sign_in_again_keeping_store(
        &self,
        entry: &AccountEntry,
        password: &str,
    ) -> Result<Session> {
        let store = self.secrets.clone();
        let user_id = entry.user_id.clone();
        let old = spawn_blocking(move || store.load(user_id.as_str()))
            .await
            .map_err(EngineError::matrix)??;
        self.private_folders(&entry.folder, false)?;
        let mut location = self.location(&entry.folder, &old.store_key);
        location.key_sharing = self.account_key_sharing(&entry.user_id)?;
        let session =
            Session::login_into_existing_device(&old, password, entry.folder.clone(), location)
                .await?;
        let secrets = session
            .secrets(old.store_key.clone())
            .ok_or_else(|| EngineError::SecretsDamaged(entry.user_id.to_string()))?;
        let store = self.secrets.clone();
        spawn_blocking(move || store.save(&secrets))
            .await
            .map_err(EngineError::matrix)??;
        tracing::info!("signed in again after a soft logout");
        Ok(session)
    }

    /// Logs the device out on the server, then forgets the account here.
    pub async fn sign_out(&self, session: Session) -> Result<()> {
        self.running.stop(&session.user_id()).await;
        session.logout_on_server().await?;
        let entry = AccountEntry {
            user_id: session.user_id(),
            folder: session.folder().to_owned(),
        };
        drop(session);
        self.forget(&entry).await
    }

    /// Deletes an account's Secret Service item, store and cache, and drops it from the
    /// list. Other accounts are untouched.
    pub async fn forget(&self, entry: &AccountEntry) -> Result<()> {
        self.running.stop(&entry.user_id).await;
        let store = self.secrets.clone();
        let user_id = entry.user_id.clone();
        spawn_blocking(move || store.delete(user_id.as_str()))
            .await
            .map_err(EngineError::matrix)??;
        self.remove_folders(&entry.folder);
        self.list.remove(&entry.user_id)
    }

    fn location<'a>(&self, folder: &str, key: &'a StoreKey) -> StoreLocation<'a> {
        StoreLocation {
            data: self.paths.account_data(folder),
            cache: self.paths.account_cache(folder),
            key,
            key_sharing: self.key_sharing,
        }
    }

    /// Makes Sotto's folders and the account's data and cache folders readable by the
    /// owner only, before the SDK puts its stores there: creates them when `create` (a new
    /// sign-in), else narrows those that exist (folders an older Sotto made readable by
    /// others; a missing store stays missing, so that it is reported, not made anew).
    fn private_folders(&self, folder: &str, create: bool) -> Result<()> {
        for dir in [
            self.paths.data().to_owned(),
            self.paths.cache().to_owned(),
            self.paths.account_data(folder),
            self.paths.account_cache(folder),
        ] {
            if create || dir.is_dir() {
                create_private_dir(&dir).map_err(|e| EngineError::io(&dir, e))?;
            }
        }
        Ok(())
    }

    fn remove_folders(&self, folder: &str) {
        for dir in [
            self.paths.account_data(folder),
            self.paths.account_cache(folder),
        ] {
            if let Err(err) = std::fs::remove_dir_all(&dir)
                && err.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!("could not remove {}: {err}", dir.display());
            }
        }
    }
}

/// What kind of machine Sotto runs on, as far as the device name says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chassis {
    /// A phone or a tablet (the Librem 5, a PinePhone).
    Phone,
    /// A laptop, a desktop, or anything not known.
    Computer,
}

/// The name other sessions, other people and the server see for this device: "Sotto on
/// a phone" or "Sotto on a computer". Never the host name, which often carries the
/// person's name ("alices-laptop") and would be shown to every contact.
pub fn device_name() -> String {
    device_name_for(chassis())
}

/// The device name for a `chassis`.
pub fn device_name_for(chassis: Chassis) -> String {
    match chassis {
        Chassis::Phone => "Sotto on a phone",
        Chassis::Computer => "Sotto on a computer",
    }
    .to_owned()
}

/// The chassis the way systemd-hostnamed finds it: `CHASSIS=` in /etc/machine-info, the
/// device tree's chassis type (phones without DMI), then the DMI chassis type.
pub fn chassis() -> Chassis {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    chassis_from(
        read("/etc/machine-info").as_deref(),
        read("/proc/device-tree/chassis-type").as_deref(),
        read("/sys/class/dmi/id/chassis_type").as_deref(),
    )
}

/// The chassis from the contents of the three files `chassis` reads.
pub fn chassis_from(
    machine_info: Option<&str>,
    device_tree: Option<&str>,
    dmi: Option<&str>,
) -> Chassis {
    let by_name = |name: &str| match name.trim().trim_matches(['"', '\'', '\0']) {
        "handset" | "tablet" | "watch" => Some(Chassis::Phone),
        "" => None,
        _ => Some(Chassis::Computer),
    };
    let configured = machine_info.and_then(|text| {
        text.lines()
            .find_map(|line| line.trim().strip_prefix("CHASSIS="))
            .and_then(by_name)
    });
    // SMBIOS chassis types: 11 hand held, 30 tablet; the rest are computers.
    let from_dmi = dmi.and_then(|code| match code.trim().parse::<u32>().ok()? {
        11 | 30 => Some(Chassis::Phone),
        _ => Some(Chassis::Computer),
    });
    configured
        .or_else(|| device_tree.and_then(by_name))
        .or(from_dmi)
        .unwrap_or(Chassis::Computer)
}

fn hex_suffix() -> String {
    use rand::RngCore;
    format!("{:08x}", rand::rngs::OsRng.next_u32())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_device_name_says_the_kind_of_machine_only() {
        assert_eq!(chassis_from(None, None, None), Chassis::Computer);
        assert_eq!(chassis_from(None, Some("handset\0"), None), Chassis::Phone);
        assert_eq!(chassis_from(None, None, Some("10\n")), Chassis::Computer);
        assert_eq!(chassis_from(None, None, Some("30\n")), Chassis::Phone);
        assert_eq!(
            chassis_from(Some("PRETTY_HOSTNAME=x\nCHASSIS=tablet\n"), None, Some("3")),
            Chassis::Phone
        );
        assert_eq!(
            chassis_from(Some("CHASSIS=laptop"), Some("handset"), None),
            Chassis::Computer
        );
        assert_eq!(device_name_for(Chassis::Phone), "Sotto on a phone");
        assert_eq!(device_name_for(Chassis::Computer), "Sotto on a computer");
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let host = host.trim();
        if host.len() > 3 {
            assert!(
                !device_name().contains(host),
                "{} names {host}",
                device_name()
            );
        }
    }
}
