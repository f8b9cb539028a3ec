//! Group commit for appends of events: callers that arrive while a commit is
//! under way are written together by the next one, in one transaction and
//! one durable commit. The disk's sync rate then bounds transactions, not
//! appends. Each caller's events stay together: all of them or none, with
//! consecutive leaf indexes in the caller's order.
//!
//! No background task: a caller waits either for its answer or for the
//! turn; the caller that takes the turn writes whatever is queued, on a
//! spawned task that holds the turn, so a caller that gives up waiting
//! cancels nothing that others wait for.

use crate::{Store, StoreError, events};
use preflight_core::event::Event;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// The queue of appends and the turn to commit them.
#[derive(Debug, Default)]
pub(crate) struct GroupCommit {
    queued: Mutex<Vec<Append>>,
    turn: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Debug)]
struct Append {
    events: Vec<Event>,
    reply: oneshot::Sender<Result<(), StoreError>>,
}

impl GroupCommit {
    fn take_queued(&self) -> Vec<Append> {
        std::mem::take(&mut *self.queued.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Store {
    /// Records `events`, each with its ledger entry: all of them or none,
    /// their leaf indexes consecutive in slice order, acknowledged once the
    /// commit is durable. Concurrent calls share a transaction (group commit).
    pub async fn record_events(&self, events: &[Event]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let (reply, answer) = oneshot::channel();
        self.group
            .queued
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Append {
                events: events.to_vec(),
                reply,
            });
        let gone = || {
            StoreError::corrupt(
                "group commit",
                "the committing task ended without an answer",
            )
        };
        let mut answer = answer;
        // Either a turn in progress answers (it took this append along), or
        // this caller gets the next turn and takes everything queued.
        let turn = tokio::select! {
            biased;
            answered = &mut answer => return answered.map_err(|_| gone())?,
            turn = Arc::clone(&self.group.turn).lock_owned() => turn,
        };
        if let Ok(answered) = answer.try_recv() {
            return answered;
        }
        // No commit is under way while this caller holds the turn, so this
        // append is still queued and `group` holds it.
        let group = self.group.take_queued();
        let store = self.clone();
        tokio::spawn(async move {
            store.commit_group(group).await;
            drop(turn);
        });
        answer.await.map_err(|_| gone())?
    }

    /// Writes `group` in one transaction; if that fails, each append alone,
    /// so that one bad append cannot take the others with it.
    async fn commit_group(&self, group: Vec<Append>) {
        let all: Vec<&Event> = group.iter().flat_map(|a| &a.events).collect();
        match self.append_durably(&all).await {
            Ok(()) => {
                for append in group {
                    let _ = append.reply.send(Ok(()));
                }
            }
            Err(err) if group.len() == 1 => {
                if let Some(append) = group.into_iter().next() {
                    let _ = append.reply.send(Err(err));
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, appends = group.len(), "a group commit failed; committing its appends one by one");
                for append in group {
                    let events: Vec<&Event> = append.events.iter().collect();
                    let _ = append.reply.send(self.append_durably(&events).await);
                }
            }
        }
    }

    async fn append_durably(&self, events: &[&Event]) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        events::append_all(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }
}
