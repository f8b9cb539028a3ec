//! Writes calls to the store. A call's start is committed, with its ledger
//! entry, before anything goes upstream; concurrent starts share one
//! transaction (group commit), so the audit costs one durable commit per
//! batch rather than per call. Finished calls (usage, timing and the sealed
//! transcript) are written in batches behind the answers, gathered for a
//! couple of milliseconds.
//!
//! Starts have no long-lived writer task: a caller that finds no commit
//! under way takes the turn and commits everything queued, itself
//! included, so a lone call waits for its own commit and not also for a
//! writer task on another thread to be woken. The commit runs on a task
//! spawned for it that holds the turn, so a caller that gives up waiting
//! cancels nothing that others wait for.

use preflight_store::{CallFinished, CallStarted, MasterKey, Store};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

/// Largest batch of finished calls one write carries.
const MAX_BATCH: usize = 512;

/// How long finished calls gather before they are written. Their records
/// are not synced at once in any case (see [`Journal::start`]).
const FINISH_WINDOW: std::time::Duration = std::time::Duration::from_millis(2);

type StartReply = oneshot::Sender<Result<(), String>>;

#[derive(Clone, Debug)]
pub struct Journal {
    starts: Arc<Starts>,
    finished: mpsc::UnboundedSender<CallFinished>,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
    stop: Arc<watch::Sender<bool>>,
}

/// Call starts waiting to be committed, and the turn to commit them.
#[derive(Debug)]
struct Starts {
    store: Store,
    synced: bool,
    queued: Mutex<Vec<(CallStarted, StartReply)>>,
    turn: Arc<tokio::sync::Mutex<()>>,
    stopped: AtomicBool,
}

impl Starts {
    fn take_queued(&self) -> Vec<(CallStarted, StartReply)> {
        std::mem::take(&mut *self.queued.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Commits `batch`; every caller in it gets the same answer.
    async fn commit(&self, batch: Vec<(CallStarted, StartReply)>) {
        let (calls, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        let result = self
            .store
            .record_calls_started(&calls, self.synced)
            .await
            .map_err(|err| {
                tracing::error!(error = %err, calls = calls.len(), "recording calls failed; none is sent upstream");
                err.to_string()
            });
        for reply in replies {
            let _ = reply.send(result.clone());
        }
    }
}

impl Journal {
    /// Starts the writer of finished calls on the current runtime.
    /// With `synced`, each batch of started calls waits for the disk;
    /// otherwise it is committed, and synced with the next synced commit.
    pub fn start(store: Store, master: MasterKey, synced: bool) -> Self {
        let (finished_tx, finished_rx) = mpsc::unbounded_channel();
        let (stop_tx, stop_rx) = watch::channel(false);
        let starts = Arc::new(Starts {
            store: store.clone(),
            synced,
            queued: Mutex::default(),
            turn: Arc::default(),
            stopped: AtomicBool::new(false),
        });
        let tasks = vec![tokio::spawn(write_finished(
            store,
            master,
            finished_rx,
            stop_rx,
        ))];
        Self {
            starts,
            finished: finished_tx,
            tasks: Arc::new(Mutex::new(tasks)),
            stop: Arc::new(stop_tx),
        }
    }

    /// Commits the call's start and its ledger entry; `Err` means nothing
    /// was recorded and the call must not be made.
    pub async fn record_start(&self, call: CallStarted) -> Result<(), String> {
        let starts = &self.starts;
        if starts.stopped.load(Ordering::Acquire) {
            return Err("the journal is stopped".to_owned());
        }
        let (reply, mut answer) = oneshot::channel();
        starts
            .queued
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((call, reply));
        let gone = |_| "the journal stopped before committing".to_owned();
        // Either a commit under way answers (it took this start along), or
        // this caller gets the next turn and commits everything queued.
        let turn = tokio::select! {
            biased;
            answered = &mut answer => return answered.map_err(gone)?,
            turn = Arc::clone(&starts.turn).lock_owned() => turn,
        };
        if let Ok(answered) = answer.try_recv() {
            return answered;
        }
        // No commit is under way while this caller holds the turn, so its
        // start is still queued and the batch holds it.
        let batch = starts.take_queued();
        let committer = Arc::clone(starts);
        tokio::spawn(async move {
            committer.commit(batch).await;
            drop(turn);
        });
        answer.await.map_err(gone)?
    }

    /// Queues the call's end for writing.
    pub fn record_finish(&self, call: CallFinished) {
        if self.finished.send(call).is_err() {
            tracing::error!(
                "a finished call arrived after the journal stopped; it is not recorded"
            );
        }
    }

    /// Writes what is queued, then stops the writers. Starts arriving
    /// afterwards are refused (and so never sent upstream).
    pub async fn close(&self) {
        self.starts.stopped.store(true, Ordering::Release);
        // The turn is free once the last commit of starts has ended.
        let turn = self.starts.turn.lock().await;
        let queued = self.starts.take_queued();
        if !queued.is_empty() {
            self.starts.commit(queued).await;
        }
        drop(turn);
        let _ = self.stop.send(true);
        let tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|e| e.into_inner()));
        for task in tasks {
            if let Err(err) = task.await {
                tracing::error!(error = %err, "journal writer stopped abnormally");
            }
        }
    }
}

async fn write_finished(
    store: Store,
    master: MasterKey,
    mut rx: mpsc::UnboundedReceiver<CallFinished>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let first = tokio::select! {
            biased;
            next = rx.recv() => next,
            _ = async { let _ = stop.wait_for(|s| *s).await; } => {
                // Take what is queued, then end once the queue is empty.
                rx.close();
                continue;
            }
        };
        let Some(first) = first else { return };
        // Ends gather for a moment: fewer, larger transactions, which leave
        // the writer free for the starts that callers wait on.
        if rx.len() < MAX_BATCH && !rx.is_closed() {
            tokio::time::sleep(FINISH_WINDOW).await;
        }
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        // A failed batch is retried call by call, so that one bad record
        // cannot take the others with it.
        if let Err(err) = store.record_calls_finished(&batch, &master).await {
            tracing::warn!(error = %err, calls = batch.len(), "recording finished calls failed; retrying one by one");
            for call in batch {
                let id = call.id;
                if let Err(err) = store
                    .record_calls_finished(std::slice::from_ref(&call), &master)
                    .await
                {
                    tracing::error!(error = %err, call = %id, "a finished call could not be recorded");
                }
            }
        }
    }
}
