//! Memory as `/proc` reports it: this process's resident set, and the
//! host's memory in use (MemTotal − MemAvailable).

use anyhow::{Context, Result};

/// A `kB` field of a `/proc` file, in bytes.
fn field(file: &str, name: &str) -> Result<u64> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {file}"))?;
    text.lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map(|kb| kb * 1024)
        .with_context(|| format!("no {name} in {file}"))
}

/// This process's resident set now.
pub fn own_rss() -> Result<u64> {
    field("/proc/self/status", "VmRSS:")
}

/// The highest resident set this process has had.
pub fn own_peak() -> Result<u64> {
    field("/proc/self/status", "VmHWM:")
}

pub fn total() -> Result<u64> {
    field("/proc/meminfo", "MemTotal:")
}

/// Memory the host cannot give to a new program without swapping.
pub fn host_in_use() -> Result<u64> {
    Ok(total()?.saturating_sub(field("/proc/meminfo", "MemAvailable:")?))
}

/// `123.4 MB` (10^6 bytes).
pub fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}
