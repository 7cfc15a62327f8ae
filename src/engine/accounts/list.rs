//! The small, non-secret list of accounts: which Matrix IDs are signed in and which store
//! folder each uses. Everything secret about them lives in the Secret Service.

use crate::engine::ids::{OwnedUserId, UserId};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::paths::replace_private_file;
use crate::engine::{EngineError, Result};

/// One signed-in account, as listed on disk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountEntry {
    /// The full Matrix user ID (also the Secret Service item's key).
    pub user_id: OwnedUserId,
    /// The folder name under the data and cache folders.
    pub folder: String,
}

/// The account list file, read and written whole (it holds a handful of lines).
#[derive(Clone, Debug)]
pub struct AccountList {
    path: PathBuf,
}

#[derive(Default, Serialize, Deserialize)]
struct ListFile {
    accounts: Vec<AccountEntry>,
    /// The account shown last, opened first at the next start.
    #[serde(default)]
    active: Option<String>,
    /// The accounts with "encrypt only for verified devices" on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    verified_devices_only: Vec<String>,
}

impl AccountList {
    /// The list stored at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The accounts in the order they were added. A missing file is an empty list; an
    /// unreadable one is an error, so that a damaged file never silently drops accounts.
    pub fn load(&self) -> Result<Vec<AccountEntry>> {
        self.read().map(|file| file.accounts)
    }

    /// The accounts, the one shown last first.
    pub fn load_active_first(&self) -> Result<Vec<AccountEntry>> {
        let file = self.read()?;
        let mut accounts = file.accounts;
        if let Some(active) = file.active
            && let Some(index) = accounts.iter().position(|a| a.user_id == active)
        {
            let entry = accounts.remove(index);
            accounts.insert(0, entry);
        }
        Ok(accounts)
    }

    fn read(&self) -> Result<ListFile> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice::<ListFile>(&bytes)
                .map_err(|err| EngineError::io(&self.path, std::io::Error::other(err))),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(ListFile::default()),
            Err(err) => Err(EngineError::io(&self.path, err)),
        }
    }

    /// Adds or replaces the entry for `entry.user_id`.
    pub fn upsert(&self, entry: AccountEntry) -> Result<()> {
        let mut file = self.read()?;
        match file
            .accounts
            .iter_mut()
            .find(|a| a.user_id == entry.user_id)
        {
            Some(existing) => *existing = entry,
            None => file.accounts.push(entry),
        }
        self.store(&file)
    }

    /// Removes the entry of `user_id`, if any.
    pub fn remove(&self, user_id: &UserId) -> Result<()> {
        let mut file = self.read()?;
        file.accounts.retain(|a| a.user_id != user_id);
        file.verified_devices_only.retain(|u| u != user_id.as_str());
        if file.active.as_deref() == Some(user_id.as_str()) {
            file.active = None;
        }
        self.store(&file)
    }

    /// Remembers `user_id` as the account shown last.
    pub fn set_active(&self, user_id: &UserId) -> Result<()> {
        let mut file = self.read()?;
        if file.active.as_deref() == Some(user_id.as_str()) {
            return Ok(());
        }
        file.active = Some(user_id.to_string());
        self.store(&file)
    }

    /// Whether `user_id` has "encrypt only for verified devices" on.
    pub fn verified_devices_only(&self, user_id: &UserId) -> Result<bool> {
        Ok(self
            .read()?
            .verified_devices_only
            .iter()
            .any(|u| u == user_id.as_str()))
    }

    /// Turns "encrypt only for verified devices" on or off for `user_id`.
    pub fn set_verified_devices_only(&self, user_id: &UserId, on: bool) -> Result<()> {
        let mut file = self.read()?;
        file.verified_devices_only.retain(|u| u != user_id.as_str());
        if on {
            file.verified_devices_only.push(user_id.to_string());
        }
        self.store(&file)
    }

    fn store(&self, file: &ListFile) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(file)
            .map_err(|err| EngineError::io(&self.path, std::io::Error::other(err)))?;
        write_atomically(&self.path, &bytes)
    }
}

/// Writes a file so that a crash leaves either the old or the new content, never half,
/// readable by the owner only (in a folder made private when it is new).
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    replace_private_file(path, bytes).map_err(|e| EngineError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use matrix_sdk::ruma::user_id;

    fn entry(user: &str) -> AccountEntry {
        AccountEntry {
            user_id: UserId::parse(user).unwrap(),
            folder: format!("{user}-folder"),
        }
    }

    #[test]
    fn verified_devices_only_is_kept_per_account() {
        let dir = tempfile::tempdir().unwrap();
        let list = AccountList::new(dir.path().join("accounts.json"));
        list.upsert(entry("@a:x")).unwrap();
        list.upsert(entry("@b:x")).unwrap();
        assert!(!list.verified_devices_only(user_id!("@a:x")).unwrap());
        list.set_verified_devices_only(user_id!("@a:x"), true)
            .unwrap();
        list.set_verified_devices_only(user_id!("@a:x"), true)
            .unwrap();
        assert!(list.verified_devices_only(user_id!("@a:x")).unwrap());
        assert!(!list.verified_devices_only(user_id!("@b:x")).unwrap());
        list.set_verified_devices_only(user_id!("@a:x"), false)
            .unwrap();
        assert!(!list.verified_devices_only(user_id!("@a:x")).unwrap());
        list.set_verified_devices_only(user_id!("@b:x"), true)
            .unwrap();
        list.remove(user_id!("@b:x")).unwrap();
        assert!(!list.verified_devices_only(user_id!("@b:x")).unwrap());
        assert_eq!(list.load().unwrap(), vec![entry("@a:x")]);
    }

    #[test]
    fn add_replace_and_remove_accounts() {
        let dir = tempfile::tempdir().unwrap();
        let list = AccountList::new(dir.path().join("sub/accounts.json"));
        assert!(list.load().unwrap().is_empty());
        list.upsert(entry("@a:x")).unwrap();
        list.upsert(entry("@b:x")).unwrap();
        list.upsert(AccountEntry {
            user_id: user_id!("@a:x").to_owned(),
            folder: "new".into(),
        })
        .unwrap();
        let accounts = list.load().unwrap();
        assert_eq!(accounts.len(), 2);
        assert_eq!(accounts[0].folder, "new");
        list.set_active(user_id!("@b:x")).unwrap();
        assert_eq!(list.load_active_first().unwrap()[0].user_id, "@b:x");
        assert_eq!(list.load().unwrap()[0].user_id, "@a:x", "the order stays");
        list.remove(user_id!("@a:x")).unwrap();
        assert_eq!(list.load().unwrap(), vec![entry("@b:x")]);
        list.remove(user_id!("@b:x")).unwrap();
        list.upsert(entry("@c:x")).unwrap();
        assert_eq!(list.load_active_first().unwrap(), vec![entry("@c:x")]);
    }

    #[test]
    fn a_damaged_list_is_an_error_not_an_empty_list() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.json");
        std::fs::write(&path, b"{not json").unwrap();
        assert!(matches!(
            AccountList::new(&path).load(),
            Err(EngineError::Io { .. })
        ));
    }
}
