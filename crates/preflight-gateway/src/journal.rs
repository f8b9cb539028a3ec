//! Writes calls to the store. A call's start is committed, with its ledger
//! entry, before anything goes upstream; concurrent starts share one
//! transaction (group commit), so the audit costs one commit per batch
//! rather than per call. Finished calls (usage, timing and the sealed
//! transcript) ride along in the next commit of starts, or, when no call
//! starts for a couple of milliseconds, are written by a task of their own.
//!
//! There is no writer task to hand starts to: a caller that finds no
//! commit under way takes the turn and commits everything queued, itself
//! included, in its own task, so a lone call waits for its own commit and
//! for no thread to be woken. Should that caller go away before its commit
//! has run, the batch it took is committed by a task spawned for it, so
//! that the others waiting on it still get their answer.

use crate::ended_call::EndedCall;
use preflight_store::{CallFinished, CallStarted, MasterKey, Store};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{Notify, OwnedMutexGuard, oneshot};
use tokio::task::JoinHandle;

/// Largest batch of finished calls one commit carries.
const MAX_FINISHED: usize = 512;

/// Most streams whose transcripts one commit builds (see
/// [`EndedCall`]): this bounds how many exist at once.
const MAX_UNBUILT: usize = 64;

/// Finished calls a commit of starts takes along only when at least this
/// many are queued: a few finished calls would only slow the commit a
/// caller waits on, many would otherwise cost a commit of their own.
const RIDE_ALONG: usize = 16;

/// How long finished calls wait for a commit of starts to take them along
/// before their own writer commits them.
const FINISH_WINDOW: std::time::Duration = std::time::Duration::from_millis(2);

/// How often, at most, SQLite's write-ahead log is checkpointed while
/// calls are recorded (the journal's commits never do it themselves, so
/// that none of them stalls for one). Often, so that each checkpoint has
/// little to copy: the part that the writers wait for copies what they
/// committed while the rest was copied.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

type StartReply = oneshot::Sender<Result<(), String>>;

#[derive(Clone, Debug)]
pub struct Journal {
    inner: Arc<Inner>,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    master: MasterKey,
    synced: bool,
    queued: Mutex<Batch>,
    /// Held by whoever commits: one commit at a time, in arrival order.
    turn: Arc<tokio::sync::Mutex<()>>,
    /// Wakes the writer of finished calls.
    finished_arrived: Notify,
    stopped: AtomicBool,
    checkpointed: Mutex<std::time::Instant>,
    /// Set while a checkpoint runs.
    checkpointing: Arc<AtomicBool>,
    /// Calls admitted whose start is not queued yet (see [`Arriving`]).
    arriving: AtomicUsize,
}

/// A call on its way to [`Journal::record_start`]. While any is, a caller
/// taking the turn lets the runtime run once before it takes the batch, so
/// that starts arriving together share a commit; a lone call commits at
/// once.
#[derive(Debug)]
pub struct Arriving(Arc<Inner>);

impl Drop for Arriving {
    fn drop(&mut self) {
        self.0.arriving.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Calls waiting to be committed, or one commit's calls taken from them.
#[derive(Debug, Default)]
struct Batch {
    started: Vec<CallStarted>,
    /// One for each start, in the same order.
    replies: Vec<StartReply>,
    finished: Vec<EndedCall>,
}

impl Inner {
    /// Takes what is queued; finished calls only if there are at least
    /// `min_finished` of them, or several starts (calls are coming in
    /// together: one commit for all is cheaper than two).
    fn take(&self, min_finished: usize) -> Batch {
        let mut queued = self.queued.lock().unwrap_or_else(|e| e.into_inner());
        let finished = if queued.finished.len() < min_finished.max(1) && queued.started.len() < 2 {
            Vec::new()
        } else {
            take_finished(&mut queued.finished)
        };
        Batch {
            started: std::mem::take(&mut queued.started),
            replies: std::mem::take(&mut queued.replies),
            finished,
        }
    }

    /// Commits `batch`; every caller in it gets the same answer. Should the
    /// commit of both fail, the starts are tried alone, so that a finished
    /// call that cannot be recorded never refuses new calls, and the
    /// finished calls one by one, so that one bad record cannot take the
    /// others with it.
    async fn commit(&self, batch: &mut Batch) {
        let finished = build(std::mem::take(&mut batch.finished));
        self.commit_built(batch, finished).await;
    }

    /// Takes the queued starts and nothing else.
    fn take_started(&self) -> Batch {
        let mut queued = self.queued.lock().unwrap_or_else(|e| e.into_inner());
        Batch {
            started: std::mem::take(&mut queued.started),
            replies: std::mem::take(&mut queued.replies),
            finished: Vec::new(),
        }
    }

    /// Takes finished calls and nothing else.
    fn take_finished(&self) -> Vec<EndedCall> {
        let mut queued = self.queued.lock().unwrap_or_else(|e| e.into_inner());
        take_finished(&mut queued.finished)
    }

    /// [`Inner::commit`] of `batch`'s starts with `finished`, already built.
    async fn commit_built(&self, batch: &mut Batch, finished: Vec<CallFinished>) {
        let mut result = self
            .store
            .record_calls(&batch.started, &finished, self.synced, &self.master)
            .await;
        if result.is_err() && !finished.is_empty() {
            if !batch.started.is_empty() {
                result = self
                    .store
                    .record_calls_started(&batch.started, self.synced)
                    .await;
            }
            self.finish_one_by_one(finished).await;
        }
        let result = result.map_err(|err| {
            tracing::error!(error = %err, calls = batch.started.len(), "recording calls failed; none is sent upstream");
            err.to_string()
        });
        for reply in batch.replies.drain(..) {
            let _ = reply.send(result.clone());
        }
        self.checkpoint_now_and_then();
    }

    async fn finish_one_by_one(&self, finished: Vec<CallFinished>) {
        tracing::warn!(
            calls = finished.len(),
            "recording finished calls failed; retrying one by one"
        );
        for call in finished {
            if let Err(err) = self
                .store
                .record_calls_finished(std::slice::from_ref(&call), &self.master)
                .await
            {
                tracing::error!(error = %err, call = %call.id, "a finished call could not be recorded");
            }
        }
    }

    /// Checkpoints the write-ahead log (see [`Store::checkpoint`]) when the
    /// last checkpoint is a while ago and none is under way.
    fn checkpoint_now_and_then(&self) {
        {
            let mut last = self.checkpointed.lock().unwrap_or_else(|e| e.into_inner());
            if last.elapsed() < CHECKPOINT_EVERY || self.checkpointing.swap(true, Ordering::AcqRel)
            {
                return;
            }
            *last = std::time::Instant::now();
        }
        let store = self.store.clone();
        let running = Checkpointing(Arc::clone(&self.checkpointing));
        tokio::spawn(async move {
            if let Err(err) = store.checkpoint().await {
                tracing::warn!(error = %err, "checkpointing the write-ahead log failed; retried later");
            }
            drop(running);
        });
    }
}

/// Marks a checkpoint as running until dropped, however it ends.
struct Checkpointing(Arc<AtomicBool>);

impl Drop for Checkpointing {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// The oldest finished calls of `queue`: at most [`MAX_FINISHED`], with at
/// most [`MAX_UNBUILT`] transcripts still to build.
fn take_finished(queue: &mut Vec<EndedCall>) -> Vec<EndedCall> {
    let mut unbuilt = 0;
    let taken = queue
        .iter()
        .take(MAX_FINISHED)
        .take_while(|call| {
            unbuilt += usize::from(!call.is_built());
            unbuilt <= MAX_UNBUILT
        })
        .count();
    let rest = queue.split_off(taken);
    std::mem::replace(queue, rest)
}

/// The calls as the store records them, their transcripts built now.
fn build(ended: Vec<EndedCall>) -> Vec<CallFinished> {
    ended.into_iter().map(EndedCall::into_finished).collect()
}

/// A batch taken by the caller holding the turn. Dropped before its commit
/// ran (the caller went away), it is committed by a task of its own.
struct Commit {
    inner: Arc<Inner>,
    batch: Batch,
    turn: Option<OwnedMutexGuard<()>>,
    done: bool,
}

impl Commit {
    async fn run(mut self) {
        self.inner.commit(&mut self.batch).await;
        self.done = true;
    }
}

impl Drop for Commit {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let inner = Arc::clone(&self.inner);
        let mut batch = std::mem::take(&mut self.batch);
        let turn = self.turn.take();
        tokio::spawn(async move {
            inner.commit(&mut batch).await;
            drop(turn);
        });
    }
}

impl Journal {
    /// Starts the writer of finished calls on the current runtime.
    /// With `synced`, each commit of started calls waits for the disk;
    /// otherwise it is committed, and synced with the next synced commit.
    pub fn start(store: Store, master: MasterKey, synced: bool) -> Self {
        let inner = Arc::new(Inner {
            store,
            master,
            synced,
            queued: Mutex::default(),
            turn: Arc::default(),
            finished_arrived: Notify::new(),
            stopped: AtomicBool::new(false),
            checkpointed: Mutex::new(std::time::Instant::now()),
            checkpointing: Arc::default(),
            arriving: AtomicUsize::new(0),
        });
        let tasks = vec![tokio::spawn(write_finished(Arc::clone(&inner)))];
        Self {
            inner,
            tasks: Arc::new(Mutex::new(tasks)),
        }
    }

    /// Marks a call as on its way to [`Journal::record_start`]; taken as
    /// soon as it is admitted.
    pub fn arriving(&self) -> Arriving {
        self.inner.arriving.fetch_add(1, Ordering::AcqRel);
        Arriving(Arc::clone(&self.inner))
    }

    /// Commits the call's start and its ledger entry; `Err` means nothing
    /// was recorded and the call must not be made.
    pub async fn record_start(&self, call: CallStarted, arriving: Arriving) -> Result<(), String> {
        let inner = &self.inner;
        if inner.stopped.load(Ordering::Acquire) {
            return Err("the journal is stopped".to_owned());
        }
        let (reply, mut answer) = oneshot::channel();
        {
            let mut queued = inner.queued.lock().unwrap_or_else(|e| e.into_inner());
            queued.started.push(call);
            queued.replies.push(reply);
        }
        drop(arriving);
        let gone = |_| "the journal stopped before committing".to_owned();
        // Either a commit under way answers (it took this start along), or
        // this caller gets the next turn and commits everything queued.
        let turn = tokio::select! {
            biased;
            answered = &mut answer => return answered.map_err(gone)?,
            turn = Arc::clone(&inner.turn).lock_owned() => turn,
        };
        if let Ok(answered) = answer.try_recv() {
            return answered;
        }
        if inner.arriving.load(Ordering::Acquire) > 0 {
            tokio::task::yield_now().await;
        }
        // No commit is under way while this caller holds the turn, so its
        // start is still queued and the batch holds it. The commit's state
        // lives on the heap while it runs: kept inline, every caller waiting
        // here would carry its size.
        Box::pin(
            Commit {
                inner: Arc::clone(inner),
                batch: inner.take(RIDE_ALONG),
                turn: Some(turn),
                done: false,
            }
            .run(),
        )
        .await;
        answer.await.map_err(gone)?
    }

    /// Queues the call's end for writing.
    pub(crate) fn record_finish(&self, call: EndedCall) {
        let inner = &self.inner;
        let first = {
            let mut queued = inner.queued.lock().unwrap_or_else(|e| e.into_inner());
            queued.finished.push(call);
            queued.finished.len() == 1
        };
        if first {
            inner.finished_arrived.notify_one();
        }
    }

    /// Writes what is queued, then stops the writer of finished calls.
    /// Starts arriving afterwards are refused (and so never sent upstream).
    pub async fn close(&self) {
        let inner = &self.inner;
        inner.stopped.store(true, Ordering::Release);
        inner.finished_arrived.notify_one();
        let tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|e| e.into_inner()));
        for task in tasks {
            if let Err(err) = task.await {
                tracing::error!(error = %err, "journal writer stopped abnormally");
            }
        }
        // The turn is free once the last commit has ended.
        let _turn = inner.turn.lock().await;
        loop {
            let mut batch = inner.take(1);
            if batch.started.is_empty() && batch.finished.is_empty() {
                break;
            }
            inner.commit(&mut batch).await;
        }
    }
}

/// Commits finished calls that no commit of starts took along within
/// [`FINISH_WINDOW`]; ends when the journal stops.
async fn write_finished(inner: Arc<Inner>) {
    loop {
        inner.finished_arrived.notified().await;
        if inner.stopped.load(Ordering::Acquire) {
            return;
        }
        loop {
            tokio::time::sleep(FINISH_WINDOW).await;
            // Transcripts are built before the turn is taken, so that a
            // start arriving meanwhile does not wait for them.
            let finished = build(inner.take_finished());
            if finished.is_empty() {
                break;
            }
            let turn = inner.turn.lock().await;
            let mut starts = inner.take_started();
            inner.commit_built(&mut starts, finished).await;
            drop(turn);
            if inner.stopped.load(Ordering::Acquire) {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ended_call::CallEnd;
    use crate::relayed_frames::RelayedFrames;
    use preflight_core::ids::{OrgId, SubmissionId, TokenId, UserId};
    use preflight_store::CallOrigin;

    fn ended(streamed: bool) -> EndedCall {
        let mut relayed = RelayedFrames::default();
        if streamed {
            relayed.push(b"data: [DONE]\n\n");
        }
        EndedCall::new(CallEnd {
            id: uuid::Uuid::new_v4(),
            submission_id: SubmissionId::new(),
            origin: CallOrigin {
                org_id: OrgId::new(),
                user_id: UserId::new(),
                token_id: TokenId::new(),
                phase: "government",
                streamed,
                started_at: chrono::Utc::now(),
            },
            model: "m".to_owned(),
            finished_at: chrono::Utc::now(),
            outcome: "ok".to_owned(),
            status: 200,
            request: Box::from(&b"{}"[..]),
            answer: None,
            relayed,
            usage: Default::default(),
            usage_source: "none",
            first_byte: None,
            total: std::time::Duration::ZERO,
        })
    }

    #[test]
    fn a_commit_builds_a_bounded_number_of_stream_transcripts() {
        let mut queue: Vec<EndedCall> = (0..200).map(|i| ended(i % 2 == 0)).collect();
        let first = queue[0].is_built();
        let taken = take_finished(&mut queue);
        assert_eq!(taken.iter().filter(|c| !c.is_built()).count(), MAX_UNBUILT);
        assert_eq!(taken.len(), 2 * MAX_UNBUILT, "oldest first, in order");
        assert_eq!(taken[0].is_built(), first);
        assert_eq!(queue.len(), 200 - taken.len());

        let mut plain: Vec<EndedCall> = (0..MAX_FINISHED + 3).map(|_| ended(false)).collect();
        assert_eq!(take_finished(&mut plain).len(), MAX_FINISHED);
        assert_eq!(plain.len(), 3);
    }
}
