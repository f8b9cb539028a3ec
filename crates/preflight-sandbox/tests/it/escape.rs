//! Ways out of a sandbox that must all fail, each with the evidence of
//! what stopped it.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use preflight_sandbox::{ExecRequest, Sandbox, SandboxLimits, SandboxSpec};

use crate::support::{
    TempDir, eventually, marker, processes_of_uid, processes_with, sandbox, sh, sh_within, spec,
};

#[tokio::test]
async fn host_files_outside_the_allowed_paths_cannot_be_read() {
    let secret = marker("secret");
    let tmp = TempDir::new("preflight-sandbox-secret");
    let in_tmp = tmp.path().join("secret.txt");
    fs::write(&in_tmp, &secret).unwrap();
    let root = TempDir::private("preflight-sandbox-secret");
    let in_root = root.path().join("secret.txt");
    fs::write(&in_root, &secret).unwrap();
    assert_eq!(
        fs::read_to_string(&in_root).unwrap(),
        secret,
        "the host can read it"
    );

    let sb = sandbox(spec()).await;
    let out = sh(
        &sb,
        &format!(
            "cat {tmp}; cat {root}; cat /etc/shadow; ls /root; ls {parent}; \
             cat /proc/1/root{tmp}; grep -r {secret} /etc /usr/local 2>/dev/null; \
             find / -xdev -name secret.txt 2>/dev/null; echo done",
            tmp = in_tmp.display(),
            root = in_root.display(),
            parent = tmp.path().display(),
            secret = secret,
        ),
    )
    .await;
    assert!(!out.stdout.contains(&secret), "{out:?}");
    assert!(out.stdout.ends_with("done\n"), "{out:?}");
    for path in [
        in_tmp.display().to_string(),
        in_root.display().to_string(),
        "/etc/shadow".into(),
        "/root".into(),
    ] {
        assert!(
            out.stderr
                .contains(&format!("{path}: No such file or directory"))
                || out
                    .stderr
                    .contains(&format!("'{path}': No such file or directory")),
            "{path} should not exist inside: {}",
            out.stderr
        );
    }
}

#[tokio::test]
async fn nothing_can_be_written_outside_the_work_directory() {
    let host_dir = TempDir::private("preflight-sandbox-write");
    let host_tmp = TempDir::new("preflight-sandbox-write");
    let name = marker("pwned");
    let targets = [
        format!("/usr/{name}"),
        format!("/usr/bin/{name}"),
        format!("/etc/{name}"),
        format!("/{name}"),
        format!("/proc/{name}"),
        host_dir.path().join(&name).display().to_string(),
    ];
    let sb = sandbox(spec()).await;
    let script: String = targets
        .iter()
        .map(|t| format!("echo x > {t}; "))
        .chain([
            // The host's temp dir path inside is the sandbox's own /tmp.
            format!(
                "mkdir -p {d} && echo x > {d}/{name} && echo wrote-own-tmp; ",
                d = host_tmp.path().display()
            ),
            "echo x > /work/ok && echo wrote-work".into(),
        ])
        .collect();
    let out = sh(&sb, &script).await;
    assert!(out.stdout.contains("wrote-work"), "{out:?}");
    for t in &targets {
        assert!(
            out.stderr.contains(&format!("{t}: Read-only file system"))
                || out
                    .stderr
                    .contains(&format!("{t}: No such file or directory"))
                || out.stderr.contains(&format!("{t}: Permission denied")),
            "writing {t} must fail: {}",
            out.stderr
        );
        assert!(!Path::new(t).exists(), "{t} exists on the host");
    }
    assert!(out.stdout.contains("wrote-own-tmp"), "{out:?}");
    assert!(
        !host_tmp.path().join(&name).exists(),
        "the sandbox's /tmp is not the host's"
    );
    assert!(
        sb.dir()
            .unwrap()
            .join("tmp")
            .join(host_tmp.path().strip_prefix("/tmp").unwrap())
            .join(&name)
            .exists()
    );
}

#[tokio::test]
async fn no_network_connection_can_be_opened() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let sb = sandbox(spec()).await;
    let out = sh(
        &sb,
        &format!(
            "echo hi > /dev/tcp/127.0.0.1/{port} && echo bash-connected; \
             python3 -c \"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3); print('py-connected')\"; \
             python3 -c \"import socket; socket.create_connection(('1.1.1.1', 53), timeout=3); print('py-connected-out')\"; \
             python3 -c \"import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('8.8.8.8', 53)); print('udp-sent')\"; \
             cat /proc/net/dev"
        ),
    )
    .await;
    assert!(!out.stdout.contains("connected"), "{out:?}");
    assert!(!out.stdout.contains("udp-sent"), "{out:?}");
    assert!(
        out.stderr.contains("Connection refused"),
        "loopback is the sandbox's own: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains("Network is unreachable"),
        "no route out: {}",
        out.stderr
    );
    // Only the sandbox's own loopback interface.
    let interfaces: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.split_once(':').map(|(name, _)| name.trim()))
        .filter(|name| !name.contains('|'))
        .collect();
    assert_eq!(interfaces, ["lo"], "{out:?}");
    let accepted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
    assert!(
        accepted.is_err(),
        "the host listener was reached: {accepted:?}"
    );

    // The same connection with the network shared does reach it: the
    // check above is not vacuous.
    let shared = sandbox(SandboxSpec {
        network: true,
        ..spec()
    })
    .await;
    let script = format!("echo hi > /dev/tcp/127.0.0.1/{port} && echo connected");
    let (accepted, out) = tokio::join!(
        tokio::time::timeout(Duration::from_secs(10), listener.accept()),
        sh(&shared, &script),
    );
    assert!(out.stdout.contains("connected"), "{out:?}");
    assert!(accepted.is_ok());
}

#[tokio::test]
async fn host_processes_are_invisible() {
    let mark = marker("preflight-host-sleeper");
    let mut host = tokio::process::Command::new("bash")
        .args(["-c", &format!("exec -a {mark} sleep 1000")])
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    assert!(
        eventually(Duration::from_secs(5), || !processes_with(&mark).is_empty()).await,
        "the host sees its own marker process"
    );
    let host_pid = host.id().unwrap();

    let sb = sandbox(spec()).await;
    let out = sh(
        &sb,
        &format!(
            "ps -eo pid,args; echo ---; cat /proc/*/cmdline | tr '\\0' ' '; echo; echo ---; \
             ls -d /proc/[0-9]* | wc -l; ls /proc/{host_pid} 2>&1; kill -0 {host_pid} 2>&1; echo end"
        ),
    )
    .await;
    host.kill().await.unwrap();
    assert!(!out.stdout.contains(&mark), "{out:?}");
    let sections: Vec<&str> = out.stdout.split("---\n").collect();
    let count: usize = sections[2].lines().next().unwrap().trim().parse().unwrap();
    assert!(
        count <= 6,
        "only the sandbox's own few processes: {count}: {out:?}"
    );
    assert!(
        out.stdout
            .contains(&format!("/proc/{host_pid}': No such file or directory"))
            && out.stdout.contains("No such process"),
        "{out:?}"
    );
}

#[tokio::test]
async fn a_fork_bomb_stays_within_the_process_limit() {
    let limits = SandboxLimits {
        processes: 64,
        ..spec().limits
    };
    let sb = sandbox(SandboxSpec { limits, ..spec() }).await;
    let uid = sb.host_uid();

    // Counted: how many forks succeed before the limit refuses one.
    let counted = sh_within(
        &sb,
        "python3 -c '
import os, time
n = 0
for _ in range(100000):
    try:
        pid = os.fork()
    except OSError as e:
        print(\"refused after\", n, e.strerror)
        break
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    n += 1
'",
        Duration::from_secs(30),
    )
    .await;
    let refused_after: u32 = counted
        .stdout
        .strip_prefix("refused after ")
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{counted:?}"));
    // With a uid of its own the sandbox has the whole limit; sharing the
    // current user's, it shares the limit with the user's other processes.
    let floor = if uid.is_some() { 30 } else { 0 };
    assert!(
        refused_after < 64 && refused_after >= floor,
        "{refused_after}: {counted:?}"
    );
    assert!(
        counted.stdout.contains("Resource temporarily unavailable"),
        "{counted:?}"
    );

    // The classic, watched from the host.
    let mut peak = 0;
    let started = Instant::now();
    let bomb = sh_within(&sb, ":(){ :|:& };:; sleep 3", Duration::from_secs(5));
    tokio::pin!(bomb);
    let out = loop {
        tokio::select! {
            out = &mut bomb => break out,
            () = tokio::time::sleep(Duration::from_millis(50)) => {
                if let Some(uid) = uid {
                    peak = peak.max(processes_of_uid(uid).len());
                }
            }
        }
    };
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "the command ends: {out:?}"
    );
    if uid.is_some() {
        // The limit and bubblewrap's own two processes.
        assert!(peak > 10 && peak <= 66, "peak {peak}");
    }
    let host = std::process::Command::new("true").status().unwrap();
    assert!(host.success(), "the host can still start processes");
    if let Some(uid) = uid {
        assert!(
            eventually(Duration::from_secs(5), || processes_of_uid(uid).is_empty()).await,
            "left: {:?}",
            processes_of_uid(uid)
        );
    }
    // And the sandbox still works.
    assert_eq!(sh(&sb, "echo alive").await.stdout, "alive\n");
}

#[tokio::test]
async fn a_command_cannot_outlive_its_timeout() {
    let sb = sandbox(spec()).await;
    let started = Instant::now();
    let out = sb
        .exec(ExecRequest {
            argv: vec!["sleep".into(), "1000".into()],
            timeout: Some(Duration::from_secs(1)),
            ..ExecRequest::default()
        })
        .await
        .unwrap();
    let took = started.elapsed();
    assert!(out.timed_out, "{out:?}");
    assert_eq!(out.signal, Some(9), "{out:?}");
    assert_eq!(out.exit_code, None);
    assert!(took < Duration::from_secs(4), "{took:?}");
    assert!(out.duration >= Duration::from_secs(1));
    if let Some(uid) = sb.host_uid() {
        assert!(
            processes_of_uid(uid).is_empty(),
            "{:?}",
            processes_of_uid(uid)
        );
    }

    // A command ignoring SIGTERM and SIGHUP, with a detached child, too:
    // gone by the time the result is returned.
    let mark = marker("preflight-timed-out");
    let out = sh_within(
        &sb,
        &format!(
            "trap '' TERM HUP; (trap '' TERM HUP; setsid bash -c 'exec -a {mark} sleep 1000') & \
             sleep 1000"
        ),
        Duration::from_secs(1),
    )
    .await;
    assert!(out.timed_out);
    assert!(
        processes_with(&mark).is_empty(),
        "{:?}",
        processes_with(&mark)
    );
    if let Some(uid) = sb.host_uid() {
        assert!(
            processes_of_uid(uid).is_empty(),
            "{:?}",
            processes_of_uid(uid)
        );
    }
}

#[tokio::test]
async fn no_process_is_left_behind() {
    let mark = marker("preflight-left-behind");
    let sb = sandbox(spec()).await;
    let uid = sb.host_uid();
    let out = sh(
        &sb,
        &format!(
            "setsid nohup bash -c 'exec -a {mark} sleep 1000' >/dev/null 2>&1 < /dev/null & disown; \
             (nohup bash -c 'exec -a {mark}-2 sleep 1000' >/dev/null 2>&1 &); \
             sleep 0.3; ps -eo args | grep -c '^{mark}'"
        ),
    )
    .await;
    assert_eq!(out.stdout.trim(), "2", "both were running inside: {out:?}");
    // The command has returned: the namespace, and everything in it, died.
    assert!(
        eventually(Duration::from_secs(2), || processes_with(&mark).is_empty()).await,
        "{:?}",
        processes_with(&mark)
    );
    if let Some(uid) = uid {
        assert!(
            processes_of_uid(uid).is_empty(),
            "{:?}",
            processes_of_uid(uid)
        );
    }

    // Started by a command that is still running at teardown.
    let dir = sb.dir().unwrap().to_owned();
    let sb: Box<dyn Sandbox> = Box::new(sb);
    let running = sb.exec(ExecRequest::shell(format!(
        "bash -c 'exec -a {mark}-3 sleep 1000' & wait"
    )));
    // Dropped unfinished, as when a sample is cancelled: bubblewrap is
    // killed, and its sandbox's PID 1 with it.
    let _ = tokio::time::timeout(Duration::from_millis(500), running).await;
    sb.teardown().await.unwrap();
    assert!(
        eventually(Duration::from_secs(2), || processes_with(&mark).is_empty()).await,
        "{:?}",
        processes_with(&mark)
    );
    if let Some(uid) = uid {
        assert!(
            processes_of_uid(uid).is_empty(),
            "{:?}",
            processes_of_uid(uid)
        );
    }
    assert!(!dir.exists());
}

#[tokio::test]
async fn the_sandbox_user_has_no_privilege() {
    let sb = sandbox(spec()).await;
    let out = sh(
        &sb,
        "id; grep -E '^Cap(Prm|Eff|Bnd|Amb)' /proc/self/status; \
         unshare -U true 2>&1 || echo no-userns; \
         mount -t tmpfs none /work 2>&1 || echo no-mount; \
         chroot / true 2>&1 || echo no-chroot",
    )
    .await;
    assert!(
        out.stdout
            .starts_with("uid=1000(ctf) gid=1000(ctf) groups=1000(ctf)\n"),
        "{out:?}"
    );
    for cap in ["CapPrm", "CapEff", "CapBnd", "CapAmb"] {
        assert!(
            out.stdout.contains(&format!("{cap}:\t0000000000000000")),
            "{out:?}"
        );
    }
    for denied in ["no-userns", "no-mount", "no-chroot"] {
        assert!(out.stdout.contains(denied), "{out:?}");
    }
}
