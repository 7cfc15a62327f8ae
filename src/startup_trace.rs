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

/// Prints `step` with the milliseconds since the first mark (the start of `main`), and the
/// CPU time the calling thread used so far: on a busy or shared machine the wall clock
/// wanders from run to run, a thread's own CPU time much less.
pub fn mark(step: &str) {
    if let Some(origin) = origin() {
        eprintln!(
            "sotto-startup {:8.1} ms  (thread CPU {:6.1} ms)  {step}",
            origin.elapsed().as_secs_f64() * 1000.0,
            thread_cpu_ms()
        );
    }
}

fn thread_cpu_ms() -> f64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the struct it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &raw mut now) };
    now.tv_sec as f64 * 1000.0 + now.tv_nsec as f64 / 1e6
}
