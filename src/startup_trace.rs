//! Start-up timestamps for finding where the first second goes, printed to stderr only when
//! `SOTTO_STARTUP_TRACE` is set. A mark names a step, never any data of the account.

use std::sync::OnceLock;
use std::time::Instant;

fn origin() -> Option<&'static Instant> {
    static ORIGIN: OnceLock<Option<Instant>> = OnceLock::new();
    ORIGIN
        .get_or_init(|| std::env::var_os("SOTTO_STARTUP_TRACE").map(|_| Instant::now()))
        .as_ref()
}

/// True when marks are printed.
pub fn enabled() -> bool {
    origin().is_some()
}

/// Prints `step` with the milliseconds since the first mark (the start of `main`).
pub fn mark(step: &str) {
    if let Some(origin) = origin() {
        eprintln!(
            "sotto-startup {:8.1} ms  {step}",
            origin.elapsed().as_secs_f64() * 1000.0
        );
    }
}
