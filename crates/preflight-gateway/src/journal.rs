//! Writes calls to the store. A call's start is committed, with its ledger
//! entry, before anything goes upstream; concurrent starts share one
//! transaction (group commit), so the audit costs one durable commit per
//! batch rather than per call. Finished calls (usage, timing and the sealed
//! transcript) are written in batches behind the answers, gathered for a
//! couple of milliseconds.

use preflight_store::{CallFinished, CallStarted, MasterKey, Store};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

/// Largest batch one transaction carries.
const MAX_BATCH: usize = 512;

/// How long finished calls gather before they are written. Their records
/// are not synced at once in any case (see [`Journal::start`]).
const FINISH_WINDOW: std::time::Duration = std::time::Duration::from_millis(2);

type StartReply = oneshot::Sender<Result<(), String>>;

#[derive(Clone, Debug)]
pub struct Journal {
    started: mpsc::Sender<(CallStarted, StartReply)>,
    finished: mpsc::UnboundedSender<CallFinished>,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
    stop: Arc<watch::Sender<bool>>,
}

impl Journal {
    /// Starts the two writers on the current runtime.
    /// With `synced`, each batch of started calls waits for the disk;
    /// otherwise it is committed, and synced with the next synced commit.
    pub fn start(store: Store, master: MasterKey, synced: bool) -> Self {
        let (started_tx, started_rx) = mpsc::channel(4 * MAX_BATCH);
        let (finished_tx, finished_rx) = mpsc::unbounded_channel();
        let (stop_tx, stop_rx) = watch::channel(false);
        let tasks = vec![
            tokio::spawn(write_started(
                store.clone(),
                started_rx,
                stop_rx.clone(),
                synced,
            )),
            tokio::spawn(write_finished(store, master, finished_rx, stop_rx)),
        ];
        Self {
            started: started_tx,
            finished: finished_tx,
            tasks: Arc::new(Mutex::new(tasks)),
            stop: Arc::new(stop_tx),
        }
    }

    /// Commits the call's start and its ledger entry; `Err` means nothing
    /// was recorded and the call must not be made.
    pub async fn record_start(&self, call: CallStarted) -> Result<(), String> {
        let (reply, answer) = oneshot::channel();
        self.started
            .send((call, reply))
            .await
            .map_err(|_| "the journal is stopped".to_owned())?;
        answer
            .await
            .map_err(|_| "the journal stopped before committing".to_owned())?
    }

    /// Queues the call's end for writing.
    pub fn record_finish(&self, call: CallFinished) {
        if self.finished.send(call).is_err() {
            tracing::error!(
                "a finished call arrived after the journal stopped; it is not recorded"
            );
        }
    }

    /// Writes what is queued, then stops the writers.
    pub async fn close(&self) {
        let _ = self.stop.send(true);
        let tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|e| e.into_inner()));
        for task in tasks {
            if let Err(err) = task.await {
                tracing::error!(error = %err, "journal writer stopped abnormally");
            }
        }
    }
}

async fn write_started(
    store: Store,
    mut rx: mpsc::Receiver<(CallStarted, StartReply)>,
    mut stop: watch::Receiver<bool>,
    synced: bool,
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
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let (calls, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        let result = store
            .record_calls_started(&calls, synced)
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
