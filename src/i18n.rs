//! Translations through gettext (glibc's, via gettext-rs).

pub use gettextrs::{gettext, ngettext, pgettext};

use crate::config::{GETTEXT_PACKAGE, LOCALEDIR};

/// Sets up the locale and the text domain; safe to call more than once.
pub fn init() {
    // SAFETY: called at start-up, before any other thread reads the locale.
    unsafe {
        gettextrs::setlocale(gettextrs::LocaleCategory::LcAll, "");
    }
    if let Err(err) = gettextrs::bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR) {
        tracing::warn!("translations unavailable: {err}");
    }
    let _ = gettextrs::bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    let _ = gettextrs::textdomain(GETTEXT_PACKAGE);
}

/// `gettext` with `{name}` placeholders filled in, so translators see whole sentences.
pub fn gettext_f(msgid: &str, args: &[(&str, &str)]) -> String {
    let mut text = gettext(msgid);
    for (name, value) in args {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}
