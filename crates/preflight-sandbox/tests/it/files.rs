//! The work directory: task files copied in, files kept between
//! commands, and reads and writes from the host that never leave it.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use preflight_sandbox::bubblewrap::DEFAULT_UID_CLAIMS;
use preflight_sandbox::{FileCopy, Sandbox, SandboxError, SandboxSpec};

use crate::support::{TempDir, backend, marker, sandbox, sh, spec};

#[tokio::test]
async fn files_persist_between_commands() {
    let sb = sandbox(spec()).await;
    let out = sh(
        &sb,
        "echo one > /work/a; mkdir -p d && echo two > d/b; echo three > /tmp/c; \
         echo four > /var/tmp/d; pwd; echo $HOME",
    )
    .await;
    assert_eq!(out.stdout, "/work\n/work\n", "{out:?}");
    let out = sh(&sb, "cat a d/b /tmp/c /tmp/d").await;
    assert_eq!(out.stdout, "one\ntwo\nthree\nfour\n", "{out:?}");
}

#[tokio::test]
async fn task_files_are_copied_with_their_executable_bit() {
    let task = TempDir::new("preflight-sandbox-task");
    let dir = task.path().join("chall");
    fs::create_dir_all(dir.join("data")).unwrap();
    fs::write(dir.join("run.sh"), "#!/bin/sh\necho ran \"$@\"\n").unwrap();
    fs::set_permissions(dir.join("run.sh"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(dir.join("data/flag.txt"), "flag{copied}\n").unwrap();
    fs::set_permissions(dir.join("data/flag.txt"), fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::symlink("data/flag.txt", dir.join("link")).unwrap();
    let single = task.path().join("notes.txt");
    fs::write(&single, "notes\n").unwrap();

    let sb = sandbox(SandboxSpec {
        files: vec![
            FileCopy {
                from: dir.clone(),
                to: "chall".into(),
            },
            FileCopy {
                from: single,
                to: "docs/readme.txt".into(),
            },
            FileCopy {
                from: dir.join("data"),
                to: ".".into(),
            },
        ],
        ..spec()
    })
    .await;
    let out = sh(
        &sb,
        "./chall/run.sh x; cat chall/link docs/readme.txt flag.txt; \
         stat -c '%U %G %a %n' chall/run.sh chall/data/flag.txt docs/readme.txt; \
         test -w chall/data/flag.txt && echo writable",
    )
    .await;
    assert_eq!(
        out.stdout,
        "ran x\nflag{copied}\nnotes\nflag{copied}\n\
         ctf ctf 755 chall/run.sh\nctf ctf 600 chall/data/flag.txt\nctf ctf 644 docs/readme.txt\n\
         writable\n",
        "{out:?}"
    );
}

#[tokio::test]
async fn task_files_may_not_leave_the_work_directory() {
    let task = TempDir::new("preflight-sandbox-task");
    let file = task.path().join("f");
    fs::write(&file, "x").unwrap();
    let escaping = marker("escaping");
    for to in [
        format!("../{escaping}"),
        format!("a/../../{escaping}"),
        format!("/tmp/{escaping}"),
        String::new(),
    ] {
        let err = backend()
            .create_sandbox(SandboxSpec {
                files: vec![FileCopy {
                    from: file.clone(),
                    to: PathBuf::from(&to),
                }],
                ..spec()
            })
            .await
            .expect_err(&to);
        assert!(
            matches!(&err, SandboxError::BadFile { to: t, .. } if t == Path::new(&to)),
            "{to}: {err}"
        );
    }
    assert!(!Path::new("/tmp").join(&escaping).exists());
    let root = backend().root().to_owned();
    assert!(!root.join(&escaping).exists());
    let missing = backend()
        .create_sandbox(SandboxSpec {
            files: vec![FileCopy {
                from: task.path().join("missing"),
                to: "x".into(),
            }],
            ..spec()
        })
        .await
        .unwrap_err();
    assert!(
        missing.to_string().contains("No such file or directory"),
        "{missing}"
    );
}

#[tokio::test]
async fn the_host_reads_and_writes_only_inside_the_work_directory() {
    let sb = sandbox(spec()).await;
    sb.write_file(Path::new("in/put.txt"), b"from host")
        .await
        .unwrap();
    let out = sh(
        &sb,
        "cat in/put.txt; stat -c %U in in/put.txt; echo made > out.txt; mkfifo fifo",
    )
    .await;
    assert_eq!(out.stdout, "from hostctf\nctf\n", "{out:?}");
    assert_eq!(sb.read_file(Path::new("out.txt")).await.unwrap(), b"made\n");
    assert_eq!(
        sb.read_file(Path::new("./in/put.txt")).await.unwrap(),
        b"from host"
    );

    // Links planted by the sandbox lead nowhere on the host.
    let secret = TempDir::private("preflight-sandbox-link");
    fs::write(secret.path().join("s"), "host secret").unwrap();
    let out = sh(
        &sb,
        &format!(
            "ln -s /etc/shadow shadow; ln -s {s}/s abs; ln -s ../owner up; ln -s / rootdir; \
             ln -s {s} hostdir; ln -s in inner",
            s = secret.path().display()
        ),
    )
    .await;
    assert!(out.success(), "{out:?}");
    for path in [
        "shadow",
        "abs",
        "up",
        "rootdir/etc/passwd",
        "hostdir/s",
        "../owner",
        "/etc/passwd",
        "fifo",
    ] {
        let err = sb.read_file(Path::new(path)).await;
        assert!(err.is_err(), "{path}: {err:?}");
    }
    let err = sb.read_file(Path::new("shadow")).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "shadow: the path leads out of the work directory"
    );
    // A link that stays inside is followed.
    assert_eq!(
        sb.read_file(Path::new("inner/put.txt")).await.unwrap(),
        b"from host"
    );
    for path in [
        "hostdir/new",
        "rootdir/new",
        "inner/new",
        "../new",
        "/tmp/new",
        "shadow",
    ] {
        let err = sb.write_file(Path::new(path), b"x").await;
        assert!(err.is_err(), "{path}: {err:?}");
    }
    assert!(!secret.path().join("new").exists());
    assert_eq!(
        fs::read_to_string(secret.path().join("s")).unwrap(),
        "host secret"
    );
    assert!(!Path::new("/new").exists());
}

#[tokio::test]
async fn dropping_a_sandbox_tears_it_down() {
    let sb = sandbox(spec()).await;
    let dir = sb.dir().unwrap().to_owned();
    let uid = sb.host_uid();
    let out = sh(&sb, "chmod 000 /work; echo done").await;
    assert!(out.success());
    assert!(dir.join("work").exists());
    drop(sb);
    assert!(!dir.exists(), "{dir:?}");
    if let Some(uid) = uid {
        let claim = Path::new(DEFAULT_UID_CLAIMS).join(uid.to_string());
        assert!(!claim.exists(), "the uid is free again");
    }
}

#[tokio::test]
async fn teardown_removes_everything() {
    let sb = sandbox(spec()).await;
    let dir = sb.dir().unwrap().to_owned();
    sh(&sb, "mkdir -p a/b && touch a/b/c && chmod 000 a/b a").await;
    let sb: Box<dyn Sandbox> = Box::new(sb);
    sb.teardown().await.unwrap();
    assert!(!dir.exists());
}
