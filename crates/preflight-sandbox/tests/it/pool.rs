//! The pool: never more than `max_alive` sandboxes, none before they are
//! asked for, and every one torn down however its lease ends.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use preflight_sandbox::bubblewrap::DEFAULT_UID_RANGE;
use preflight_sandbox::{ExecRequest, PoolStats, SandboxPool};
use tokio::task::JoinSet;

use crate::support::{TempDir, backend_in, processes_of_uid, sandbox_dirs, spec};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_never_exceeds_max_alive() {
    let root = TempDir::new("preflight-sandbox-pool");
    let pool = Arc::new(SandboxPool::new(Arc::new(backend_in(root.path())), 3));
    assert_eq!(pool.stats(), PoolStats::default());
    assert!(sandbox_dirs(root.path()).is_empty());

    // The host's view: sandbox directories under the pool's root.
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(AtomicUsize::new(0));
    let watcher = tokio::spawn({
        let (stop, seen, root) = (stop.clone(), seen.clone(), root.path().to_owned());
        async move {
            while !stop.load(Ordering::SeqCst) {
                seen.fetch_max(sandbox_dirs(&root).len(), Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    });
    let mut samples = JoinSet::new();
    for i in 0..10 {
        let pool = pool.clone();
        samples.spawn(async move {
            let lease = pool.acquire(spec()).await.unwrap();
            let out = lease
                .exec(ExecRequest::shell(format!("sleep 0.3; echo {i}")))
                .await
                .unwrap();
            assert_eq!(out.stdout, format!("{i}\n"));
            assert!(pool.stats().alive <= 3);
            if i % 2 == 0 {
                lease.release().await.unwrap();
            } else {
                drop(lease);
            }
        });
    }
    while let Some(done) = samples.join_next().await {
        done.unwrap();
    }
    stop.store(true, Ordering::SeqCst);
    watcher.await.unwrap();
    let stats = pool.stats();
    assert_eq!(
        stats,
        PoolStats {
            alive: 0,
            peak_alive: 3,
            created: 10,
            torn_down: 10,
        }
    );
    let seen = seen.load(Ordering::SeqCst);
    assert!((1..=3).contains(&seen), "{seen} directories at once");
    assert!(sandbox_dirs(root.path()).is_empty());
}

#[tokio::test]
async fn nothing_is_created_before_it_is_acquired() {
    let root = TempDir::new("preflight-sandbox-pool");
    let pool = SandboxPool::new(Arc::new(backend_in(root.path())), 4);
    // A suite of 1,000 samples configured, none run yet.
    let specs: Vec<_> = (0..1000).map(|_| spec()).collect();
    assert_eq!(pool.stats().created, 0);
    assert!(sandbox_dirs(root.path()).is_empty());
    let lease = pool.acquire(specs[0].clone()).await.unwrap();
    assert_eq!(sandbox_dirs(root.path()).len(), 1);
    assert_eq!(pool.stats().created, 1);
    assert!(lease.created_in() > Duration::ZERO);
    lease.release().await.unwrap();
    assert!(sandbox_dirs(root.path()).is_empty());
}

#[tokio::test]
async fn a_dropped_lease_is_torn_down_and_frees_its_slot() {
    let root = TempDir::new("preflight-sandbox-pool");
    let backend = backend_in(root.path());
    let own_uids = backend.own_uids();
    let pool = SandboxPool::new(Arc::new(backend), 1);
    let lease = pool.acquire(spec()).await.unwrap();
    let out = lease.exec(ExecRequest::shell("id -u")).await.unwrap();
    assert_eq!(out.stdout, "1000\n");
    // The host uid behind it, as the sandbox's directory records it.
    let dirs = sandbox_dirs(root.path());
    assert_eq!(dirs.len(), 1);
    let owner = std::fs::read_to_string(dirs[0].join("owner")).unwrap();
    let host_uid: Option<u32> = owner.split_whitespace().nth(2).unwrap().parse().ok();
    assert_eq!(host_uid.is_some(), own_uids, "{owner}");
    if let Some(uid) = host_uid {
        assert!(DEFAULT_UID_RANGE.contains(&uid), "{uid}");
    }
    // The one slot is taken: a second acquire waits.
    let waiting = tokio::time::timeout(Duration::from_millis(300), pool.acquire(spec())).await;
    assert!(waiting.is_err(), "a second sandbox was created");
    drop(lease);
    assert!(sandbox_dirs(root.path()).is_empty());
    if let Some(uid) = host_uid {
        assert!(processes_of_uid(uid).is_empty());
    }
    assert_eq!(pool.stats().torn_down, 1);
    let again = tokio::time::timeout(Duration::from_secs(30), pool.acquire(spec()))
        .await
        .expect("the slot was freed")
        .unwrap();
    again.release().await.unwrap();
    assert_eq!(pool.stats().alive, 0);
}
