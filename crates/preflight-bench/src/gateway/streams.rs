//! Many streamed chat completions at once: every connection is opened
//! first, then all requests go out together. For each stream: the time to
//! its first event, the gaps between the pieces read, and whether it ended
//! with `data: [DONE]` before the deadline.

use super::client::{Driver, Endpoint, Sender, connect_many};
use crate::stats::Latencies;
use anyhow::{Result, anyhow, bail};
use http_body_util::BodyExt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// A gap longer than this makes a stream stalled.
pub const STALL: Duration = Duration::from_secs(1);

/// What one stream saw.
#[derive(Debug, Default)]
struct Seen {
    first_event: Option<Duration>,
    gaps: Vec<Duration>,
    events: usize,
    done: bool,
    failure: Option<String>,
}

/// All streams of one measurement.
#[derive(Debug, Default)]
pub struct Outcome {
    pub first_event: Latencies,
    pub gaps: Latencies,
    /// Streams with a gap over [`STALL`] or that did not finish.
    pub stalled: usize,
    pub unfinished: usize,
    pub events: usize,
    /// From the requests going out to the last stream ending.
    pub wall: Duration,
    pub first_failure: Option<String>,
}

/// `streams` streams from as many connections to `endpoint`; streams not
/// done within `limit` count as unfinished.
pub async fn measure(endpoint: &Endpoint, streams: usize, limit: Duration) -> Result<Outcome> {
    let links = connect_many(endpoint.addr, streams).await?;
    let endpoint = Arc::new(endpoint.clone());
    let (go, ready) = watch::channel(None::<Instant>);
    let mut tasks = JoinSet::new();
    for link in links {
        tasks.spawn(stream(endpoint.clone(), link, ready.clone()));
    }
    // Every task waits on the signal: let them all reach it first.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    go.send_replace(Some(started + limit));
    let mut out = Outcome::default();
    while let Some(seen) = tasks.join_next().await {
        let seen = seen?;
        let longest = seen.gaps.iter().max().copied().unwrap_or_default();
        if !seen.done {
            out.unfinished += 1;
        }
        if !seen.done || longest > STALL {
            out.stalled += 1;
        }
        if let Some(d) = seen.first_event {
            out.first_event.push(d);
        }
        for gap in seen.gaps {
            out.gaps.push(gap);
        }
        out.events += seen.events;
        if out.first_failure.is_none() {
            out.first_failure = seen.failure;
        }
    }
    out.wall = started.elapsed();
    Ok(out)
}

async fn stream(
    endpoint: Arc<Endpoint>,
    (mut sender, driver): (Sender, Driver),
    mut go: watch::Receiver<Option<Instant>>,
) -> Seen {
    let mut seen = Seen::default();
    let deadline = match go.wait_for(Option::is_some).await {
        Ok(at) => at.unwrap_or_else(Instant::now),
        Err(_) => return seen,
    };
    let mut driver = std::pin::pin!(driver);
    let read = read_stream(&endpoint, &mut sender, &mut seen);
    let ended = tokio::select! {
        ended = read => ended,
        closed = &mut driver => Err(anyhow!("the server closed the connection ({closed:?})")),
        () = tokio::time::sleep_until(deadline.into()) => {
            Err(anyhow!("not done before the deadline"))
        }
    };
    if let Err(err) = ended {
        seen.done = false;
        seen.failure = Some(format!("{err:#}"));
    }
    seen
}

async fn read_stream(endpoint: &Endpoint, sender: &mut Sender, seen: &mut Seen) -> Result<()> {
    let sent = Instant::now();
    sender.ready().await?;
    let response = sender.send_request(endpoint.request()?).await?;
    let status = response.status();
    let mut body = response.into_body();
    if !status.is_success() {
        let text = body.collect().await?.to_bytes();
        bail!(
            "HTTP {status}: {}",
            String::from_utf8_lossy(&text[..text.len().min(300)])
        );
    }
    let mut last: Option<Instant> = None;
    // The end of the previous piece, for a marker split across two pieces.
    let mut tail: Vec<u8> = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        let now = Instant::now();
        match last {
            None => seen.first_event = Some(now - sent),
            Some(before) => seen.gaps.push(now - before),
        }
        last = Some(now);
        let mut joined = std::mem::take(&mut tail);
        let old = joined.len();
        joined.extend_from_slice(&data);
        // Markers wholly inside the old tail were counted with the last piece.
        seen.events += positions(&joined, EVENT)
            .filter(|at| at + EVENT.len() > old)
            .count();
        if positions(&joined, DONE).next().is_some() {
            seen.done = true;
        }
        tail = joined[joined.len().saturating_sub(DONE.len() - 1)..].to_vec();
    }
    if !seen.done {
        bail!("the stream ended without data: [DONE]");
    }
    Ok(())
}

const EVENT: &[u8] = b"data:";
const DONE: &[u8] = b"data: [DONE]";

/// Where `needle` starts in `haystack`.
fn positions<'a>(haystack: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(move |(_, w)| *w == needle)
        .map(|(at, _)| at)
}
