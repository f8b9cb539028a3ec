//! One command's process: its input written, its output read (up to the
//! cap, the rest counted), its time limit enforced, its end decoded.

use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::procs;
use crate::{ExecOutput, SandboxError};

/// How long output pipes may stay open after the command's end. In a PID
/// namespace nothing can hold them, so this never runs out in practice.
const PIPE_GRACE: Duration = Duration::from_secs(2);

/// How long bubblewrap may take to exit once its sandbox's PID 1 is killed.
const KILL_GRACE: Duration = Duration::from_secs(5);

/// The highest signal number: statuses 129 to 128 + this are read as
/// "killed by signal N", as bubblewrap (like a shell) reports them.
const SIGRTMAX: i32 = 64;

pub(super) async fn run(
    mut cmd: Command,
    stdin: Vec<u8>,
    timeout: Duration,
    cap: usize,
) -> Result<ExecOutput, SandboxError> {
    cmd.env_clear()
        .current_dir("/")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let started = Instant::now();
    let mut child = cmd.spawn().map_err(|e| SandboxError::Spawn {
        reason: format!("{}: {e}", cmd.as_std().get_program().to_string_lossy()),
    })?;
    let pipes = (child.stdin.take(), child.stdout.take(), child.stderr.take());
    let (Some(input), Some(stdout), Some(stderr)) = pipes else {
        return Err(SandboxError::Spawn {
            reason: "the command's pipes were not created".into(),
        });
    };

    let mut out = Capture::new(cap);
    let mut err = Capture::new(cap);
    let (ended, ended_rx) = oneshot::channel::<()>();
    let deadline = started + timeout;
    let waiting = async {
        let ending = match tokio::time::timeout_at(deadline, child.wait()).await {
            Ok(status) => (status, false),
            Err(_) => {
                // Killing bubblewrap's PID 1 in the sandbox ends everything
                // in its namespace before bubblewrap outside sees it die and
                // exits: when `wait` returns, nothing is left.
                let signalled = child.id().is_some_and(procs::kill_children_of);
                let waited = if signalled {
                    tokio::time::timeout(KILL_GRACE, child.wait()).await.ok()
                } else {
                    None
                };
                match waited {
                    Some(status) => (status, true),
                    None => {
                        // Not started yet, or stuck: bubblewrap itself, and
                        // --die-with-parent takes the sandbox's PID 1.
                        let _ = child.start_kill();
                        (child.wait().await, true)
                    }
                }
            }
        };
        let _ = ended.send(());
        ending
    };
    let io = async {
        let feed = async move {
            let mut input = input;
            if !stdin.is_empty() {
                // A command that does not read its input ends with it unread.
                let _ = input.write_all(&stdin).await;
            }
        };
        tokio::join!(out.fill(stdout), err.fill(stderr), feed);
    };
    let io = async {
        tokio::select! {
            () = io => {},
            () = async {
                let _ = ended_rx.await;
                tokio::time::sleep(PIPE_GRACE).await;
            } => {},
        }
    };
    let ((status, timed_out), ()) = tokio::join!(waiting, io);
    let status = status.map_err(|e| SandboxError::Spawn {
        reason: format!("waiting for the command: {e}"),
    })?;
    let (exit_code, signal) = ending(status);
    Ok(ExecOutput {
        exit_code,
        signal,
        timed_out,
        stdout: String::from_utf8_lossy(&out.kept).into_owned(),
        stdout_dropped: out.dropped,
        stderr: String::from_utf8_lossy(&err.kept).into_owned(),
        stderr_dropped: err.dropped,
        duration: started.elapsed(),
    })
}

/// The exit code, or the signal that ended the command.
fn ending(status: ExitStatus) -> (Option<i32>, Option<i32>) {
    if let Some(signal) = status.signal() {
        // bubblewrap itself was killed (a timeout it did not survive).
        return (None, Some(signal));
    }
    match status.code() {
        Some(code) if (129..=128 + SIGRTMAX).contains(&code) => (None, Some(code - 128)),
        code => (code, None),
    }
}

/// `exit 1`, `signal 9`, `timed out`.
pub(super) fn describe_end(out: &ExecOutput) -> String {
    match (out.timed_out, out.exit_code, out.signal) {
        (true, _, _) => "timed out".into(),
        (_, Some(code), _) => format!("exit {code}"),
        (_, _, Some(signal)) => format!("signal {signal}"),
        _ => "no status".into(),
    }
}

/// What is kept of one output stream.
struct Capture {
    kept: Vec<u8>,
    dropped: u64,
    cap: usize,
}

impl Capture {
    fn new(cap: usize) -> Self {
        Capture {
            kept: Vec::new(),
            dropped: 0,
            cap,
        }
    }

    /// Reads until every writer is gone.
    async fn fill(&mut self, mut pipe: impl AsyncRead + Unpin) {
        let mut buf = vec![0u8; 16 << 10];
        loop {
            match pipe.read(&mut buf).await {
                Ok(0) => break,
                Ok(n) => self.take(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
    }

    fn take(&mut self, bytes: &[u8]) {
        let keep = self.cap.saturating_sub(self.kept.len()).min(bytes.len());
        self.kept.extend_from_slice(&bytes[..keep]);
        self.dropped += (bytes.len() - keep) as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_above_128_are_signals() {
        let exited = |code: i32| ExitStatus::from_raw(code << 8);
        assert_eq!(ending(exited(0)), (Some(0), None));
        assert_eq!(ending(exited(2)), (Some(2), None));
        assert_eq!(ending(exited(137)), (None, Some(9)));
        assert_eq!(ending(exited(152)), (None, Some(24)));
        assert_eq!(ending(exited(255)), (Some(255), None));
        assert_eq!(ending(ExitStatus::from_raw(9)), (None, Some(9)));
    }

    #[test]
    fn the_cap_keeps_the_start_and_counts_the_rest() {
        let mut c = Capture::new(5);
        c.take(b"abc");
        c.take(b"defgh");
        c.take(b"ij");
        assert_eq!(c.kept, b"abcde");
        assert_eq!(c.dropped, 5);
    }
}
