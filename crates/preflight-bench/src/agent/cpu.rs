//! CPU time as `/proc/self/stat` counts it: this process's own (every
//! thread: the loop, the model client, the fake model, the sandbox pool),
//! and that of its children once reaped (prlimit, bwrap and the commands of
//! every tool call).

use std::time::Duration;

use anyhow::{Context, Result};

/// Linux reports these fields in ticks of `USER_HZ`, which is 100.
const TICKS_PER_SECOND: u64 = 100;

/// CPU used so far.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cpu {
    /// This process in user mode.
    pub user: Duration,
    /// The kernel on this process's behalf (spawning commands among it).
    pub system: Duration,
    pub children: Duration,
}

impl Cpu {
    pub fn now() -> Result<Cpu> {
        let stat = std::fs::read_to_string("/proc/self/stat").context("reading /proc/self/stat")?;
        parse(&stat).context("parsing /proc/self/stat")
    }

    /// CPU used since `earlier`.
    pub fn since(self, earlier: Cpu) -> Cpu {
        Cpu {
            user: self.user.saturating_sub(earlier.user),
            system: self.system.saturating_sub(earlier.system),
            children: self.children.saturating_sub(earlier.children),
        }
    }
}

/// utime, stime, cutime and cstime are fields 14 to 17, counted after the
/// command name, which is in parentheses and may hold spaces.
fn parse(stat: &str) -> Option<Cpu> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(4)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    let ticks = |n: u64| Duration::from_millis(n * 1000 / TICKS_PER_SECOND);
    match fields[..] {
        [utime, stime, cutime, cstime] => Some(Cpu {
            user: ticks(utime),
            system: ticks(stime),
            children: ticks(cutime + cstime),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fields_after_the_command_name() {
        let stat = "4242 (preflight bench) S 1 4242 4242 0 -1 4194560 1 2 3 4 150 25 7 3 20 0";
        let cpu = parse(stat).expect("parsed");
        assert_eq!(cpu.user, Duration::from_millis(1_500));
        assert_eq!(cpu.system, Duration::from_millis(250));
        assert_eq!(cpu.children, Duration::from_millis(100));
        assert!(parse("1 (x) S 1").is_none());
    }
}
