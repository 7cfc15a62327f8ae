//! How the process uses the C allocator (glibc's malloc, which GTK, SQLite and Rust share).
//!
//! glibc gives each thread that allocates its own arena, up to eight per core, and keeps
//! memory freed in the middle of an arena mapped. Sotto's threads (the tokio workers and
//! the blocking pool that runs SQLite and the keyring calls) each allocate a little at
//! start-up, so without a limit their arenas kept tens of megabytes resident.

/// Limits the number of malloc arenas. Call first thing, before other threads start.
pub fn limit_arenas() {
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt only changes a setting of the allocator; an unknown or refused
    // setting is reported by its return value, which is ignored (the default stays).
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Hands the memory that is free inside the allocator's arenas back to the system (once
/// start-up is over and its temporary buffers are gone).
pub fn release_free_memory() {
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim only returns free pages to the system; it is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}
