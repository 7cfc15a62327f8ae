//! The words for when: a message's time of day, and a day divider's "Today",
//! "Yesterday" or date, in the local time zone.

use gtk::glib;

use crate::i18n::gettext;

fn local_time(ms: u64) -> Option<glib::DateTime> {
    let seconds = i64::try_from(ms / 1000).ok()?;
    glib::DateTime::from_unix_local(seconds).ok()
}

/// The time of day of a message.
pub fn time_label(ms: u64) -> String {
    // Translators: the time of a message; see strftime for the codes ("%l:%M %p" for a
    // 12-hour clock).
    local_time(ms)
        .and_then(|t| t.format(&gettext("%H:%M")).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// "Today", "Yesterday", or the date.
pub(super) fn day_label(ms: u64) -> String {
    let Some(day) = local_time(ms) else {
        return String::new();
    };
    let Ok(now) = glib::DateTime::now_local() else {
        return String::new();
    };
    let same_day = |a: &glib::DateTime, b: &glib::DateTime| {
        a.year() == b.year() && a.day_of_year() == b.day_of_year()
    };
    if same_day(&day, &now) {
        return gettext("Today");
    }
    if now.add_days(-1).is_ok_and(|y| same_day(&day, &y)) {
        return gettext("Yesterday");
    }
    // Translators: a day heading in a conversation; see strftime for the codes.
    day.format(&gettext("%A, %e %B %Y"))
        .map(|s| s.to_string())
        .unwrap_or_default()
}
