//! What a CTF needs is there, read-only; the environment is fixed; the
//! backend says what is missing; stale sandboxes are swept.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use preflight_sandbox::bubblewrap::{
    Bubblewrap, BubblewrapConfig, DEFAULT_UID_CLAIMS, DEFAULT_UID_RANGE,
};
use preflight_sandbox::{SandboxBackend, SandboxError};

use crate::support::{TempDir, backend, backend_in, processes_of_uid, sandbox, sh, spec};

#[tokio::test]
async fn ctf_tools_are_visible_read_only() {
    let tools: &[(&str, &str)] = &[
        ("python3", "python3 -c 'print(6 * 7)'"),
        ("file", "file /usr/bin/true"),
        ("strings", "strings /usr/bin/true | head -1"),
        ("xxd", "echo hi | xxd"),
        ("gdb", "gdb -batch -ex 'print 6*7'"),
        ("objdump", "objdump -f /usr/bin/true"),
        ("tshark", "tshark --version | head -1"),
        ("exiftool", "exiftool -ver"),
        ("binwalk", "binwalk --help | head -1"),
        ("java", "java -version"),
        ("fls", "fls -V"),
        ("nc", "nc -h"),
        ("unzip", "unzip -v | head -1"),
        ("bzip2", "echo x | bzip2 | bzip2 -d"),
        ("xz", "echo x | xz | xz -d"),
        ("steghide", "steghide --version"),
    ];
    let sb = sandbox(spec()).await;
    for (tool, check) in tools {
        let on_host = ["/usr/bin", "/bin", "/usr/local/bin"]
            .iter()
            .any(|d| Path::new(d).join(tool).exists());
        if !on_host {
            eprintln!("skipping {tool}: not installed on this host (scripts/lib/sandbox.sh)");
            continue;
        }
        let out = sh(&sb, check).await;
        assert!(out.success(), "{tool}: {out:?}");
        assert!(
            !out.stdout.is_empty() || !out.stderr.is_empty(),
            "{tool}: {out:?}"
        );
    }
    // Mounted read-only, whatever the permissions of the files.
    let out = sh(
        &sb,
        "awk '$5 == \"/usr\" { print $6 }' /proc/self/mountinfo",
    )
    .await;
    assert!(out.stdout.starts_with("ro,"), "{out:?}");
}

#[tokio::test]
async fn gdb_can_debug_a_program() {
    if !Path::new("/usr/bin/gdb").exists() {
        eprintln!("skipping: gdb is not installed on this host (scripts/lib/sandbox.sh)");
        return;
    }
    let sb = sandbox(spec()).await;
    let out = sh(
        &sb,
        "gdb -batch -ex run -ex 'info inferiors' --args /usr/bin/true 2>&1",
    )
    .await;
    assert!(out.stdout.contains("exited normally"), "{out:?}");
}

#[tokio::test]
async fn the_environment_is_fixed() {
    let sb = sandbox(spec()).await;
    let out = sh(&sb, "env | sort; hostname; cat /etc/passwd | cut -d: -f1").await;
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "HOME=/work",
            "LANG=C.UTF-8",
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "PWD=/work",
            "SHLVL=1",
            "TERM=dumb",
            "USER=ctf",
            "_=/usr/bin/env",
            "sandbox",
            "root",
            "ctf",
            "nobody",
        ],
        "{out:?}"
    );
}

#[tokio::test]
async fn a_missing_bubblewrap_is_named() {
    let root = TempDir::new("preflight-sandbox-root");
    let err = Bubblewrap::new(BubblewrapConfig {
        bwrap: "no-such-bwrap".into(),
        root: root.path().into(),
        ..BubblewrapConfig::default()
    })
    .unwrap_err();
    assert!(matches!(err, SandboxError::Unavailable { .. }));
    assert_eq!(
        err.to_string(),
        "the sandbox backend is not available: no-such-bwrap not found on PATH; \
         install the Debian package bubblewrap"
    );
    let err = Bubblewrap::new(BubblewrapConfig {
        prlimit: "/nonexistent/prlimit".into(),
        root: root.path().into(),
        ..BubblewrapConfig::default()
    })
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("/nonexistent/prlimit is not an executable file"),
        "{err}"
    );
    assert_eq!(backend().name(), "bubblewrap");
    assert!(backend().version().starts_with("bubblewrap "));
}

#[tokio::test]
async fn what_a_killed_run_left_is_swept() {
    let root = TempDir::new("preflight-sandbox-root");
    let first = backend_in(root.path());
    if !first.own_uids() {
        eprintln!("skipping: sandboxes share the current user's uid when not run as root");
        return;
    }
    // A run that died: its sandbox directory and its uid claim name a
    // process that no longer exists, and a process of its uid is alive.
    let dead = "4194304 1";
    let claims = Path::new(DEFAULT_UID_CLAIMS);
    let (uid, claim) = DEFAULT_UID_RANGE
        .rev()
        .find_map(|uid| {
            let claim = claims.join(uid.to_string());
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&claim)
                .ok()?;
            writeln!(f, "{dead}").ok()?;
            Some((uid, claim))
        })
        .unwrap();
    let stale = root.path().join("00000000deadbeef");
    fs::create_dir_all(stale.join("work/sub")).unwrap();
    fs::write(stale.join("owner"), format!("{dead} {uid}\n")).unwrap();
    let mut orphan = std::process::Command::new("sleep");
    std::os::unix::process::CommandExt::uid(&mut orphan, uid);
    std::os::unix::process::CommandExt::gid(&mut orphan, uid);
    let mut orphan = orphan.arg("1000").spawn().unwrap();
    assert_eq!(processes_of_uid(uid).len(), 1);
    // A live sandbox of this process on the same root is left alone.
    let live = first.create_sandbox(spec()).await.unwrap();
    let live_claim = claims.join(live.host_uid().unwrap().to_string());

    let _second = backend_in(root.path());
    assert!(!stale.exists());
    assert!(!claim.exists());
    let status = tokio::time::timeout(Duration::from_secs(5), async {
        tokio::task::spawn_blocking(move || orphan.wait()).await
    })
    .await
    .expect("the orphan was killed")
    .unwrap()
    .unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9)
    );
    assert!(live.dir().unwrap().exists());
    assert!(live_claim.exists());
    assert_eq!(sh(&live, "echo still").await.stdout, "still\n");
}
