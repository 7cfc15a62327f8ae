//! How Sotto logs: to standard error, at `info` for Sotto, nothing from the Matrix SDK
//! and `warn` for the other libraries unless `RUST_LOG` says otherwise. At that default level no line names another person,
//! a room or a device; the lines that do are at `debug`. Lines are printed without the
//! libraries' span context, whose fields (room IDs, user IDs, device IDs) would otherwise
//! come along with every line logged inside a span.

use std::fmt;

use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The log filter when `RUST_LOG` is not set. The Matrix SDK's and ruma's own warnings
/// and errors name rooms, people and devices in their text ("No avatar changes to update
/// for !room…", "Room is unknown room=…"), so they are off by default; Sotto reports what
/// goes wrong for the person itself.
pub const DEFAULT_FILTER: &str = "sotto=info,matrix_sdk=off,ruma=off,warn";

/// The filter from `RUST_LOG`, or [`DEFAULT_FILTER`] when it is unset or not valid.
pub fn filter_from_env() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER))
}

/// Whether `filter` lets `debug` or `trace` lines through for some target: such a log
/// names people, rooms and devices, and the person should know before they share it.
pub fn is_verbose(filter: &EnvFilter) -> bool {
    filter
        .max_level_hint()
        .is_none_or(|level| level > LevelFilter::INFO)
}

/// A line per event: time, level, target and the event's own fields, without the span
/// context.
#[derive(Clone, Copy, Debug, Default)]
pub struct EventOnly;

impl<S, N> FormatEvent<S, N> for EventOnly
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        SystemTime.format_time(&mut writer)?;
        write!(writer, " {:>5} {}: ", meta.level(), meta.target())?;
        ctx.format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbose_filters_are_recognised() {
        assert!(!is_verbose(&EnvFilter::new(DEFAULT_FILTER)));
        assert!(!is_verbose(&EnvFilter::new("warn")));
        assert!(is_verbose(&EnvFilter::new("sotto=debug,warn")));
        assert!(is_verbose(&EnvFilter::new("matrix_sdk=trace")));
        assert!(is_verbose(&EnvFilter::new("debug")));
    }
}
