//! Sandboxes one after another: create to ready, a few `true` commands,
//! teardown, each timed.

use std::time::Instant;

use anyhow::{Context, Result, bail};
use preflight_sandbox::bubblewrap::Bubblewrap;
use preflight_sandbox::{ExecRequest, Sandbox, SandboxSpec};

use crate::stats::Latencies;

#[derive(Debug, Default)]
pub struct Lifecycle {
    pub create: Latencies,
    pub teardown: Latencies,
    pub exec: Latencies,
}

pub async fn measure(
    backend: &Bubblewrap,
    spec: &SandboxSpec,
    sandboxes: usize,
    execs: usize,
) -> Result<Lifecycle> {
    let truth = ExecRequest {
        argv: vec!["true".into()],
        ..ExecRequest::default()
    };
    // One untimed round: the page cache holds bwrap, prlimit and the task.
    let warm = backend.create_sandbox(spec.clone()).await?;
    warm.exec(truth.clone()).await?;
    Box::new(warm).teardown().await?;

    let mut out = Lifecycle::default();
    for i in 0..sandboxes {
        let t = Instant::now();
        let sandbox = backend
            .create_sandbox(spec.clone())
            .await
            .with_context(|| format!("creating sandbox {i}"))?;
        out.create.push(t.elapsed());
        // Spread the commands evenly over the sandboxes.
        let these = execs * (i + 1) / sandboxes - execs * i / sandboxes;
        for _ in 0..these {
            let t = Instant::now();
            let result = sandbox.exec(truth.clone()).await?;
            out.exec.push(t.elapsed());
            if !result.success() {
                bail!("`true` failed in a sandbox: {result:?}");
            }
        }
        let t = Instant::now();
        Box::new(sandbox)
            .teardown()
            .await
            .with_context(|| format!("tearing down sandbox {i}"))?;
        out.teardown.push(t.elapsed());
    }
    Ok(out)
}
