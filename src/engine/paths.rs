//! Where Sotto keeps its files. State and crypto stores under `$XDG_DATA_HOME/sotto/ACCOUNT/`,
//! the event and media cache under `$XDG_CACHE_HOME/sotto/ACCOUNT/`. No secret lives here
//! unencrypted: the stores are encrypted with a key kept in the Secret Service.

use std::path::{Path, PathBuf};

/// The folders of one Sotto profile (the normal one, or the demo's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paths {
    data: PathBuf,
    cache: PathBuf,
}

impl Paths {
    /// The folders from the XDG environment, as the person's desktop defines them.
    pub fn from_env() -> Self {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default();
        let xdg = |var: &str, fallback: &str| {
            std::env::var_os(var)
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .unwrap_or_else(|| home.join(fallback))
        };
        Self::new(
            xdg("XDG_DATA_HOME", ".local/share").join("sotto"),
            xdg("XDG_CACHE_HOME", ".cache").join("sotto"),
        )
    }

    /// Explicit folders (tests, the demo profile).
    pub fn new(data: impl Into<PathBuf>, cache: impl Into<PathBuf>) -> Self {
        Self {
            data: data.into(),
            cache: cache.into(),
        }
    }

    /// Sotto's data folder (account list, encrypted stores).
    pub fn data(&self) -> &Path {
        &self.data
    }

    /// Sotto's cache folder (encrypted event and media cache).
    pub fn cache(&self) -> &Path {
        &self.cache
    }

    /// The encrypted state and crypto store of one account.
    pub fn account_data(&self, folder: &str) -> PathBuf {
        self.data.join(folder)
    }

    /// The encrypted event and media cache of one account.
    pub fn account_cache(&self, folder: &str) -> PathBuf {
        self.cache.join(folder)
    }

    /// The non-secret list of accounts.
    pub fn account_list(&self) -> PathBuf {
        self.data.join("accounts.json")
    }
}

/// A folder name for an account: readable, safe on any file system, and made unique per
/// sign-in by `unique`.
pub fn account_folder_name(user_id: &str, unique: &str) -> String {
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    format!("{}-{}", safe(user_id.trim_start_matches('@')), safe(unique))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_folder_names_are_safe() {
        assert_eq!(
            account_folder_name("@alice:example.org", "ABCDEF"),
            "alice_example.org-ABCDEF"
        );
        assert_eq!(account_folder_name("@../x:y", "D/E"), ".._x_y-D_E");
    }
}
