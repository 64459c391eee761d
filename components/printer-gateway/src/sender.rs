//! Takes spooled events to the app: registers the site's printers once, then
//! sends the oldest unacknowledged events in batches, in order, one batch at
//! a time, and forgets exactly the events the app answered for. Any failure
//! (app down, network cut, a 5xx) keeps the batch in the spool and retries
//! it with the same ids after a backoff (0.5 s doubling to 30 s); the app
//! applies each id once, so a batch whose answer was lost is harmless to
//! send again.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::link::{AppLink, LinkError};
use crate::roster::PrinterSpec;
use crate::spool::{Spool, SpoolError};

/// First retry delay after a failed call.
pub const BACKOFF_START: Duration = Duration::from_millis(500);
/// Longest retry delay: an outage is noticed within this long of its end.
pub const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// Events per batch by default (`FARM_EVENT_BATCH`); the app takes at most 500.
pub const DEFAULT_BATCH: usize = 100;

/// Errors that stop the sender.
#[derive(Debug, thiserror::Error)]
pub enum SenderError {
    #[error(transparent)]
    Spool(#[from] SpoolError),
    #[error("the app refused this site's printers")]
    Registration(#[source] LinkError),
    #[error("the app refused a batch")]
    Link(#[from] LinkError),
}

/// What one [`Sender::send_batch`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchOutcome {
    /// Nothing was waiting.
    Empty,
    /// The app answered for this many events (now gone from the spool).
    Sent {
        acknowledged: usize,
        rejected: usize,
    },
}

/// The loop that empties the spool into the app.
pub struct Sender {
    spool: Spool,
    link: AppLink,
    printers: Vec<PrinterSpec>,
    batch: usize,
    spooled: Arc<Notify>,
}

impl Sender {
    pub fn new(
        spool: Spool,
        link: AppLink,
        printers: Vec<PrinterSpec>,
        batch: usize,
        spooled: Arc<Notify>,
    ) -> Self {
        Self {
            spool,
            link,
            printers,
            batch: batch.clamp(1, 500),
            spooled,
        }
    }

    /// Sends the oldest waiting events once.
    pub async fn send_batch(&self) -> Result<BatchOutcome, SenderError> {
        let pending = self.spool.pending(self.batch)?;
        if pending.is_empty() {
            return Ok(BatchOutcome::Empty);
        }
        let events: Vec<_> = pending.iter().map(|(_, e)| e.clone()).collect();
        let answer = self.link.push_events(&events).await?;
        let answered: Vec<u64> = pending
            .iter()
            .filter(|(_, e)| answer.results.iter().any(|r| r.id == e.id))
            .map(|(seq, _)| *seq)
            .collect();
        for rejected in answer.results.iter().filter(|r| r.outcome == "rejected") {
            tracing::error!(id = %rejected.id, reason = ?rejected.reason,
                "the app rejected an event; dropping it (it would be rejected again)");
        }
        self.spool.forget(&answered)?;
        tracing::debug!(
            sent = events.len(),
            applied = answer.applied,
            duplicate = answer.duplicate,
            rejected = answer.rejected,
            "batch acknowledged"
        );
        Ok(BatchOutcome::Sent {
            acknowledged: answered.len(),
            rejected: answer.rejected as usize,
        })
    }

    /// Registers the printers (retrying until the app answers), then sends
    /// forever. Returns only when the app refuses the site's token or
    /// printers (401, 409), or the spool fails.
    pub async fn run(self) -> Result<(), SenderError> {
        let mut backoff = Backoff::new();
        loop {
            match self.link.register_printers(&self.printers).await {
                Ok(()) => break,
                Err(
                    error @ LinkError::Refused {
                        status: 401 | 409, ..
                    },
                ) => {
                    return Err(SenderError::Registration(error));
                }
                Err(error) => {
                    let wait = backoff.next();
                    tracing::warn!(error = ?anyhow::Error::from(error), ?wait,
                        "cannot register the printers yet; retrying");
                    tokio::time::sleep(wait).await;
                }
            }
        }
        tracing::info!(
            printers = self.printers.len(),
            "printers registered with the app"
        );
        let mut backoff = Backoff::new();
        let mut failing = false;
        loop {
            match self.send_batch().await {
                Ok(BatchOutcome::Empty) => {
                    // Woken by the recorder; the timeout only guards a missed wake-up.
                    let _ =
                        tokio::time::timeout(Duration::from_secs(1), self.spooled.notified()).await;
                }
                Ok(BatchOutcome::Sent { .. }) => {
                    if failing {
                        tracing::info!("the app takes events again");
                        failing = false;
                    }
                    backoff = Backoff::new();
                }
                Err(error @ (SenderError::Spool(_) | SenderError::Registration(_))) => {
                    return Err(error);
                }
                Err(SenderError::Link(error)) => {
                    let wait = backoff.next();
                    if !failing {
                        tracing::warn!(error = ?anyhow::Error::from(error), waiting = self.spool.len().unwrap_or(0),
                            "cannot send events; they stay in the spool and are retried");
                        failing = true;
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

/// Doubling delays from [`BACKOFF_START`] to [`BACKOFF_MAX`].
#[derive(Debug)]
struct Backoff(Duration);

impl Backoff {
    fn new() -> Self {
        Self(BACKOFF_START)
    }

    fn next(&mut self) -> Duration {
        let wait = self.0;
        self.0 = (self.0 * 2).min(BACKOFF_MAX);
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_its_cap() {
        let mut b = Backoff::new();
        let waits: Vec<u64> = (0..9).map(|_| b.next().as_millis() as u64).collect();
        assert_eq!(
            waits,
            [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
        );
    }
}
