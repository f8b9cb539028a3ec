//! Plain (non-streamed) chat completions from a fixed number of keep-alive
//! connections, each sending its next request as soon as the last answer
//! is read whole. Every latency is kept.

use super::client::{Driver, Endpoint, Sender, connect, connect_many};
use crate::stats::Latencies;
use anyhow::{Result, anyhow};
use http_body_util::BodyExt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// Longest wait for one answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// When requests count: sent during warm-up they are not timed.
#[derive(Clone, Copy, Debug)]
struct Window {
    measure_from: Instant,
    until: Instant,
}

/// One measurement: latencies of the requests sent in the window, answers
/// completed in it, and what failed.
#[derive(Debug, Default)]
pub struct Outcome {
    pub latencies: Latencies,
    pub completed: u64,
    pub elapsed: Duration,
    pub failures: u64,
    pub first_failure: Option<String>,
}

impl Outcome {
    pub fn per_second(&self) -> f64 {
        self.completed as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn fail(&mut self, what: String) {
        self.failures += 1;
        self.first_failure.get_or_insert(what);
    }

    fn absorb(&mut self, other: Outcome) {
        self.latencies.extend(other.latencies);
        self.completed += other.completed;
        self.failures += other.failures;
        if self.first_failure.is_none() {
            self.first_failure = other.first_failure;
        }
    }
}

/// `clients` connections sending to `endpoint` for `warm_up + run`; only
/// requests sent after the warm-up are timed.
pub async fn measure(
    endpoint: &Endpoint,
    clients: usize,
    warm_up: Duration,
    run: Duration,
) -> Result<Outcome> {
    let links = connect_many(endpoint.addr, clients).await?;
    let start = Instant::now();
    let window = Window {
        measure_from: start + warm_up,
        until: start + warm_up + run,
    };
    let endpoint = Arc::new(endpoint.clone());
    let mut tasks = JoinSet::new();
    for link in links {
        tasks.spawn(client(endpoint.clone(), link, window));
    }
    let mut total = Outcome {
        elapsed: run,
        ..Outcome::default()
    };
    while let Some(done) = tasks.join_next().await {
        total.absorb(done?);
    }
    Ok(total)
}

/// One request on a new connection, answered with success; its body.
pub async fn once(endpoint: &Endpoint) -> Result<bytes::Bytes> {
    let (mut sender, driver) = connect(endpoint.addr).await?;
    let mut driver = std::pin::pin!(driver);
    let request = endpoint.request()?;
    let answer = async {
        sender.ready().await?;
        let response = sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        anyhow::ensure!(
            status.is_success(),
            "HTTP {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        );
        Ok(body)
    };
    tokio::select! {
        answer = tokio::time::timeout(REQUEST_TIMEOUT, answer) => {
            answer.map_err(|_| anyhow!("no answer within {} s", REQUEST_TIMEOUT.as_secs()))?
        }
        closed = &mut driver => Err(anyhow!("the server closed the connection ({closed:?})")),
    }
}

/// One connection's loop; reconnects if the server closes it.
async fn client(endpoint: Arc<Endpoint>, first: (Sender, Driver), window: Window) -> Outcome {
    let mut out = Outcome::default();
    let mut link = Some(first);
    while Instant::now() < window.until {
        let (mut sender, driver) = match link.take() {
            Some(link) => link,
            None => match connect(endpoint.addr).await {
                Ok(link) => link,
                Err(err) => {
                    out.fail(format!("{err:#}"));
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let mut driver = std::pin::pin!(driver);
        let work = requests(&endpoint, &mut sender, window, &mut out);
        let ended = tokio::select! {
            ended = work => ended,
            closed = &mut driver => Err(anyhow!("the server closed the connection ({closed:?})")),
        };
        if let Err(err) = ended {
            out.fail(format!("{err:#}"));
        }
    }
    out
}

/// Requests one after another until the window ends or one fails.
async fn requests(
    endpoint: &Endpoint,
    sender: &mut Sender,
    window: Window,
    out: &mut Outcome,
) -> Result<()> {
    loop {
        let sent = Instant::now();
        if sent >= window.until {
            return Ok(());
        }
        let request = endpoint.request()?;
        let answer = tokio::time::timeout(REQUEST_TIMEOUT, async {
            sender.ready().await?;
            let response = sender.send_request(request).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            anyhow::Ok((status, body))
        })
        .await
        .map_err(|_| anyhow!("no answer within {} s", REQUEST_TIMEOUT.as_secs()))??;
        let done = Instant::now();
        let (status, body) = answer;
        if !status.is_success() {
            out.fail(format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(300)])
            ));
            continue;
        }
        if sent >= window.measure_from {
            out.latencies.push(done - sent);
        }
        if done >= window.measure_from && done < window.until {
            out.completed += 1;
        }
    }
}
