//! Where Sotto keeps its files. State and crypto stores under `$XDG_DATA_HOME/sotto/ACCOUNT/`,
//! the event and media cache under `$XDG_CACHE_HOME/sotto/ACCOUNT/`. No secret lives here
//! unencrypted: the stores are encrypted with a key kept in the Secret Service.
//!
//! Every folder Sotto makes is readable by its owner only (0700) and every file it writes
//! is too (0600), also when it replaces a file that was readable by others: the helpers
//! at the end of this module are the one way the engine and the UI create them.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The folders of one Sotto (the normal one, or the demo's).
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

    /// Explicit folders (tests, the demo).
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

/// The mode of Sotto's folders: the owner only.
pub const PRIVATE_DIR_MODE: u32 = 0o700;
/// The mode of Sotto's files: the owner only.
pub const PRIVATE_FILE_MODE: u32 = 0o600;

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

/// Creates `dir` and its missing parents readable by the owner only. A `dir` that already
/// exists is made private too (parents that existed before are left as they are: they may
/// be the person's own folders).
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(PRIVATE_DIR_MODE);
    }
    builder.create(dir)?;
    set_mode(dir, PRIVATE_DIR_MODE)
}

/// Makes sure `path` exists and is readable by the owner only, without touching what it
/// holds: a missing file is created empty with mode 0600, an existing one is narrowed to
/// 0600 (it keeps its mode through a later `File::create`). For files another library
/// writes, such as the SDK's key export.
pub fn prepare_private_file(path: &Path) -> std::io::Result<()> {
    match restrict_file(path) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err),
        _ => {}
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(PRIVATE_FILE_MODE);
    }
    drop(options.open(path)?);
    restrict_file(path)
}

/// Sets `path` to readable by the owner only.
pub fn restrict_file(path: &Path) -> std::io::Result<()> {
    set_mode(path, PRIVATE_FILE_MODE)
}

/// Opens `path` for writing from the start, creating it readable by the owner only, and
/// makes an existing file private before anything is written into it.
pub fn open_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    prepare_private_file(path)?;
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)
}

/// Writes `bytes` into `path` (replacing what was there), readable by the owner only.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = open_private_file(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Replaces `path` by a file holding `bytes`, readable by the owner only, so that a crash
/// leaves either the old or the new content, never half. The folder is created private
/// when it is missing.
pub fn replace_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    if !dir.exists() {
        create_private_dir(dir)?;
    }
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    write_private_file(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
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

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[cfg(unix)]
    #[test]
    fn private_folders_and_files_are_the_owners_only() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        create_private_dir(&nested).unwrap();
        assert_eq!(mode(&nested), 0o700);
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        // An existing folder and an existing file readable by others become private.
        set_mode(&nested, 0o755).unwrap();
        create_private_dir(&nested).unwrap();
        assert_eq!(mode(&nested), 0o700);
        let file = nested.join("f");
        std::fs::write(&file, b"old").unwrap();
        set_mode(&file, 0o644).unwrap();
        write_private_file(&file, b"new").unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(std::fs::read(&file).unwrap(), b"new");
        set_mode(&file, 0o644).unwrap();
        replace_private_file(&file, b"newer").unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(std::fs::read(&file).unwrap(), b"newer");
        let fresh = dir.path().join("c/accounts.json");
        replace_private_file(&fresh, b"{}").unwrap();
        assert_eq!(
            (mode(&fresh), mode(fresh.parent().unwrap())),
            (0o600, 0o700)
        );
    }
}
