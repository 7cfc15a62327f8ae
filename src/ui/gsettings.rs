//! Sotto's GSettings. An installed schema wins; a build that is not installed (cargo run,
//! the tests) uses the schema build.rs compiled.

use gtk::gio;

use crate::config::{APP_ID, BUILD_SCHEMA_DIR};

/// The application's settings.
pub fn settings() -> gio::Settings {
    let installed =
        gio::SettingsSchemaSource::default().and_then(|source| source.lookup(APP_ID, true));
    let schema = installed.or_else(|| {
        let parent = gio::SettingsSchemaSource::default();
        gio::SettingsSchemaSource::from_directory(BUILD_SCHEMA_DIR?, parent.as_ref(), false)
            .ok()
            .and_then(|source| source.lookup(APP_ID, false))
    });
    match schema {
        Some(schema) => gio::Settings::new_full(&schema, None::<&gio::SettingsBackend>, None),
        // The build always compiles the schema, so this is a broken installation.
        None => panic!("the GSettings schema {APP_ID} is not installed"),
    }
}
