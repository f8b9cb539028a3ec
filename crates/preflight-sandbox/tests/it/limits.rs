//! Memory, CPU time, file size and output limits.

use std::fs;
use std::time::{Duration, Instant};

use preflight_sandbox::{ExecRequest, Sandbox, SandboxLimits, SandboxSpec};

use crate::support::{sandbox, sh, sh_within, spec};

fn with(limits: SandboxLimits) -> SandboxSpec {
    SandboxSpec { limits, ..spec() }
}

#[tokio::test]
async fn memory_beyond_the_limit_cannot_be_allocated() {
    let sb = sandbox(with(SandboxLimits {
        memory_bytes: 512 << 20,
        ..spec().limits
    }))
    .await;
    let small = sh(
        &sb,
        "python3 -c 'b = bytearray(64 << 20); print(\"allocated\", len(b))'",
    )
    .await;
    assert_eq!(small.stdout, "allocated 67108864\n", "{small:?}");
    let big = sh(
        &sb,
        "python3 -c 'b = bytearray(4 << 30); print(\"allocated\")'",
    )
    .await;
    assert!(!big.stdout.contains("allocated"), "{big:?}");
    assert!(big.stderr.contains("MemoryError"), "{big:?}");
    assert_eq!(big.exit_code, Some(1));
    let limit = sh(&sb, "ulimit -d").await;
    assert_eq!(limit.stdout, format!("{}\n", 512 << 10));
}

#[tokio::test]
async fn cpu_time_beyond_the_limit_ends_the_process() {
    let sb = sandbox(with(SandboxLimits {
        cpu_seconds: 1,
        ..spec().limits
    }))
    .await;
    let started = Instant::now();
    let out = sh_within(
        &sb,
        "exec python3 -c 'while True: pass'",
        Duration::from_secs(30),
    )
    .await;
    assert!(!out.timed_out, "{out:?}");
    // SIGXCPU at the soft limit (equal to the hard one, then SIGKILL).
    assert!(
        matches!(out.signal, Some(24) | Some(9)),
        "killed by SIGXCPU or SIGKILL: {out:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(15), "{out:?}");
}

#[tokio::test]
async fn files_beyond_the_size_limit_cannot_be_written() {
    let sb = sandbox(with(SandboxLimits {
        file_bytes: 1 << 20,
        ..spec().limits
    }))
    .await;
    let out = sh(
        &sb,
        "head -c 4M /dev/zero > big; echo status $?; \
         python3 -c \"open('big2','wb').write(b'x' * (2 << 20))\"; stat -c %s big big2",
    )
    .await;
    assert!(
        out.stderr.contains("File too large") || out.stdout.contains("status 153"),
        "{out:?}"
    );
    let work = sb.dir().unwrap().join("work");
    for name in ["big", "big2"] {
        let len = fs::metadata(work.join(name)).unwrap().len();
        assert!(len <= 1 << 20, "{name}: {len}");
    }
}

#[tokio::test]
async fn output_beyond_the_cap_is_counted_not_kept() {
    let sb = sandbox(spec()).await;
    let out = sb
        .exec(ExecRequest {
            output_bytes: Some(1000),
            ..ExecRequest::shell(
                "head -c 100000 /dev/zero | tr '\\0' a; head -c 5000 /dev/zero | tr '\\0' b >&2",
            )
        })
        .await
        .unwrap();
    assert!(out.success(), "{out:?}");
    assert_eq!(out.stdout, "a".repeat(1000));
    assert_eq!(out.stdout_dropped, 99_000);
    assert_eq!(out.stderr, "b".repeat(1000));
    assert_eq!(out.stderr_dropped, 4_000);

    // The sandbox's default cap, and output that is not UTF-8.
    let sb = sandbox(with(SandboxLimits {
        output_bytes: 10,
        ..spec().limits
    }))
    .await;
    let out = sh(&sb, "printf 'ok \\xff\\xfe then more than ten'").await;
    assert_eq!(out.stdout, "ok \u{fffd}\u{fffd} then");
    assert_eq!(out.stdout_dropped, 14);
}

#[tokio::test]
async fn stdin_is_written_then_closed() {
    let sb = sandbox(spec()).await;
    let out = sb
        .exec(ExecRequest {
            argv: vec!["wc".into(), "-c".into()],
            stdin: vec![b'x'; 300_000],
            ..ExecRequest::default()
        })
        .await
        .unwrap();
    assert_eq!(out.stdout.trim(), "300000");
    // A command that never reads its input still ends.
    let out = sb
        .exec(ExecRequest {
            stdin: vec![b'x'; 1 << 20],
            ..ExecRequest::shell("echo ignored")
        })
        .await
        .unwrap();
    assert_eq!(out.stdout, "ignored\n");
}

#[tokio::test]
async fn exit_codes_and_signals_are_reported() {
    let sb = sandbox(spec()).await;
    let out = sh(&sb, "exit 3").await;
    assert_eq!(
        (out.exit_code, out.signal, out.timed_out),
        (Some(3), None, false)
    );
    let out = sh(&sb, "kill -SEGV $$").await;
    assert_eq!((out.exit_code, out.signal), (None, Some(11)));
    let out = sb
        .exec(ExecRequest {
            argv: vec!["no-such-program".into()],
            ..ExecRequest::default()
        })
        .await
        .unwrap();
    assert!(!out.success());
    assert!(out.stderr.contains("no-such-program"), "{out:?}");
}
