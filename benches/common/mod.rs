//! What the benchmarks share besides the test harness.

pub mod app;

/// User and system CPU time of another process (all its threads) so far, from
/// `/proc/PID/stat`.
pub fn process_cpu_ms(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces:
    // utime and stime are the 14th and 15th fields of the line.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf only reads a system constant.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Some(ticks * 1000 / per_second)
}

/// Resident memory of a process (see `sotto::memory::Resident`), with what the benchmarks
/// print of it.
pub struct Resident;

impl Resident {
    pub fn of(pid: &str) -> sotto::memory::Resident {
        sotto::memory::Resident::of(pid)
    }

    /// The `count` files of process `pid` with the most resident memory: "name: N MB (S MB
    /// shared with other processes)", from `smaps`.
    pub fn largest_files(pid: &str, count: usize) -> Vec<String> {
        let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
        let mut files: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
        let mut current: Option<String> = None;
        for line in smaps.lines() {
            let mut fields = line.split_whitespace();
            let first = fields.next().unwrap_or_default();
            if first.contains('-') && !first.ends_with(':') {
                // A mapping's header: "start-end perms offset dev inode [path]".
                let inode = fields.nth(3);
                current = fields
                    .next()
                    .filter(|_| inode != Some("0"))
                    .map(|path| path.rsplit('/').next().unwrap_or(path).to_owned());
                continue;
            }
            let Some(name) = &current else { continue };
            let kib = fields
                .next()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or_default();
            let entry = files.entry(name.clone()).or_default();
            match first {
                "Rss:" => entry.0 += kib,
                "Shared_Clean:" | "Shared_Dirty:" => entry.1 += kib,
                _ => {}
            }
        }
        let mut files: Vec<_> = files.into_iter().collect();
        files.sort_by_key(|(_, (rss, _))| std::cmp::Reverse(*rss));
        files
            .into_iter()
            .take(count)
            .map(|(name, (rss, shared))| {
                format!(
                    "{name}: {:.1} MB ({:.1} MB shared)",
                    rss as f64 / 1024.0,
                    shared as f64 / 1024.0
                )
            })
            .collect()
    }

    /// "N MB (anonymous A MB, mapped files F MB)" of process `pid`.
    pub fn describe(pid: &str) -> String {
        let resident = Self::of(pid);
        format!(
            "{} MB (anonymous: heap, stacks {} MB; mapped files: code, libraries, fonts {} MB)",
            resident.total_kib / 1024,
            resident.anonymous_kib / 1024,
            resident.mapped_files_kib() / 1024
        )
    }
}

/// Waits until process `pid` (the benchmark's Synapse) has used at most 10 ms of CPU (one clock
/// tick) in a quarter of a second, for at most `patience`: a figure taken while the server still
/// works through the setup's requests would measure that server, which on a phone runs
/// on another machine.
pub fn wait_until_idle(pid: u32, patience: std::time::Duration) {
    let deadline = std::time::Instant::now() + patience;
    while std::time::Instant::now() < deadline {
        let Some(before) = process_cpu_ms(pid) else {
            return;
        };
        std::thread::sleep(std::time::Duration::from_millis(250));
        match process_cpu_ms(pid) {
            Some(after) if after.saturating_sub(before) <= 10 => return,
            Some(_) => {}
            None => return,
        }
    }
}
