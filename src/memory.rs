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

/// What the C allocator holds, in kibibytes, summed over its arenas.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeapUse {
    /// Handed out and not yet freed (Rust's, GTK's, SQLite's live data).
    pub in_use_kib: u64,
    /// Freed but kept by the allocator (between live blocks, so not given back).
    pub free_kib: u64,
}

/// What the C allocator holds now (zeros where the allocator cannot tell).
pub fn heap_use() -> HeapUse {
    #[cfg(target_env = "gnu")]
    {
        // SAFETY: mallinfo2 only reads the allocator's counters (it takes the arenas'
        // locks); it has no arguments and returns a plain struct.
        let info = unsafe { libc::mallinfo2() };
        let kib = |bytes: usize| bytes as u64 / 1024;
        HeapUse {
            in_use_kib: kib(info.uordblks) + kib(info.hblkhd),
            free_kib: kib(info.fordblks),
        }
    }
    #[cfg(not(target_env = "gnu"))]
    HeapUse::default()
}

/// What [`page_out_mapped_files`] did, in kibibytes of resident memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PagedOut {
    /// Resident memory of mapped files before.
    pub before_kib: u64,
    /// Resident memory of mapped files after.
    pub after_kib: u64,
}

/// Hands back to the system the pages of mapped files (the program's code, the libraries',
/// fonts, icon caches) that only this process holds, when Sotto goes on without a window —
/// what Android does to the apps it sends to the background. Most of them served the
/// window: GTK's drawing, layout and widget code. The kernel drops those clean pages; the
/// ones the sync and the notifications use come back when they are next touched, so what
/// stays resident afterwards is what running in the background needs.
///
/// Read-only mappings only: a writable private mapping may hold the process's own changes,
/// which would go to swap. Slow for the calling thread (a walk over every mapping):
/// call it off the main loop.
pub fn page_out_mapped_files() -> PagedOut {
    let before_kib = mapped_file_kib();
    #[cfg(target_os = "linux")]
    if let Ok(maps) = std::fs::read_to_string("/proc/self/maps") {
        for (start, end) in maps.lines().filter_map(read_only_file_mapping) {
            // SAFETY: MADV_PAGEOUT only asks the kernel to reclaim the range's pages now;
            // their contents stay as they are (clean file pages are read again when
            // touched). The range is a whole mapping of this process as the kernel listed
            // it; one that went since then makes the call fail, which is ignored.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_PAGEOUT);
            }
        }
    }
    PagedOut {
        before_kib,
        after_kib: mapped_file_kib(),
    }
}

/// The address range of a line of `/proc/self/maps` when it maps a file read-only.
fn read_only_file_mapping(line: &str) -> Option<(usize, usize)> {
    // "start-end perms offset device inode path"
    let mut fields = line.split_whitespace();
    let range = fields.next()?;
    let perms = fields.next()?;
    let inode = fields.nth(2)?;
    if inode == "0" || !perms.starts_with('r') || perms.as_bytes().get(1) != Some(&b'-') {
        return None;
    }
    let (start, end) = range.split_once('-')?;
    let start = usize::from_str_radix(start, 16).ok()?;
    let end = usize::from_str_radix(end, 16).ok()?;
    (end > start).then_some((start, end))
}

/// Resident memory of a process, in kibibytes, from `/proc/PID/smaps_rollup` (zero when
/// it cannot be read).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resident {
    /// All of it.
    pub total_kib: u64,
    /// Its anonymous part (heap, stacks); the rest is mapped files.
    pub anonymous_kib: u64,
}

impl Resident {
    /// Of process `pid` ("self" for this one).
    pub fn of(pid: &str) -> Self {
        let rollup =
            std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
        let field = |name: &str| {
            rollup
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .unwrap_or_default()
        };
        Self {
            total_kib: field("Rss:"),
            anonymous_kib: field("Anonymous:"),
        }
    }

    /// The mapped files' part.
    pub fn mapped_files_kib(&self) -> u64 {
        self.total_kib.saturating_sub(self.anonymous_kib)
    }
}

/// The resident memory of this process's mapped files, in kibibytes (0 when unknown).
fn mapped_file_kib() -> u64 {
    Resident::of("self").mapped_files_kib()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_read_only_file_mappings_are_paged_out() {
        let code = "7f00a000-7f00c000 r-xp 00001000 fe:01 1234 /usr/lib/libgtk-4.so.1";
        assert_eq!(
            read_only_file_mapping(code),
            Some((0x7f00_a000, 0x7f00_c000))
        );
        let data = "7f00c000-7f00d000 rw-p 00003000 fe:01 1234 /usr/lib/libgtk-4.so.1";
        assert_eq!(read_only_file_mapping(data), None, "the library's own data");
        let heap = "55d0a000-55d2b000 rw-p 00000000 00:00 0 [heap]";
        assert_eq!(read_only_file_mapping(heap), None);
        let vdso = "7ffd1000-7ffd3000 r-xp 00000000 00:00 0 [vdso]";
        assert_eq!(read_only_file_mapping(vdso), None, "not a file");
        let guard = "7f00d000-7f00e000 ---p 00000000 fe:01 1234 /usr/lib/libgtk-4.so.1";
        assert_eq!(read_only_file_mapping(guard), None, "not readable");
    }

    #[test]
    fn paging_out_leaves_the_code_working() {
        let paged = page_out_mapped_files();
        assert!(paged.before_kib > 0, "{paged:?}");
        assert!(paged.after_kib < paged.before_kib, "{paged:?}");
        // The code and the read-only data paged out come back when used.
        assert_eq!(format!("{:?}", (1..=3).collect::<Vec<_>>()), "[1, 2, 3]");
    }
}
