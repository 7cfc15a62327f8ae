//! Build-time settings. Meson passes them as environment variables to cargo; a plain
//! cargo build gets the release app ID and the files build.rs compiled into OUT_DIR.

/// The application ID (`chat.sotto.Sotto`, or `chat.sotto.Sotto.Devel` for development builds).
pub const APP_ID: &str = match option_env!("SOTTO_APP_ID") {
    Some(id) => id,
    None => "chat.sotto.Sotto",
};

/// `default` or `development`.
pub const PROFILE: &str = match option_env!("SOTTO_PROFILE") {
    Some(profile) => profile,
    None => "default",
};

/// The version shown in the About window.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The gettext domain.
pub const GETTEXT_PACKAGE: &str = "sotto";

/// Where the compiled translations are.
pub const LOCALEDIR: &str = match option_env!("SOTTO_LOCALEDIR") {
    Some(dir) => dir,
    None => concat!(env!("OUT_DIR"), "/locale"),
};

/// The schema folder build.rs compiled, used when the schema is not installed. None in a
/// build meson installs (it sets SOTTO_LOCALEDIR): that one has its schema installed, and
/// leaving the build folder's path out of the binary keeps the package reproducible.
pub const BUILD_SCHEMA_DIR: Option<&str> = match option_env!("SOTTO_LOCALEDIR") {
    Some(_) => None,
    None => Some(concat!(env!("OUT_DIR"), "/schemas")),
};

/// The resource path prefix of the GResource bundle.
pub const RESOURCE_BASE: &str = "/chat/sotto/Sotto";

/// True for a development build.
pub fn is_development() -> bool {
    PROFILE == "development"
}
