//! One retention run: compute the cutoff from the event's time, scan for expired keys page by
//! page, delete them in batches of at most 25 with retries, and report the counts.

use std::{fmt, time::Duration};

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::Diagnostic;
use serde::{Deserialize, Serialize};

use crate::store::{ItemTable, Key, MAX_BATCH, StoreError};

/// The scheduled event EventBridge sends (`"detail-type": "Scheduled Event"`, `"detail": {}`).
pub type ScheduledEvent = EventBridgeEvent<serde_json::Value>;

pub const SECONDS_PER_DAY: i64 = 86_400;
/// `RETENTION_DAYS` when unset (the contract sets it explicitly too).
pub const DEFAULT_RETENTION_DAYS: u64 = 30;
/// Attempts per batch (the first call plus retries of its unprocessed items).
pub const MAX_ATTEMPTS: u32 = 5;
/// The delay before the first retry of a batch; it doubles on each further retry.
pub const DEFAULT_RETRY_BASE_DELAY: Duration = Duration::from_millis(50);

/// What the job is configured with at init.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `RETENTION_DAYS`: items older than this many days are deleted.
    pub retention_days: u64,
    /// The backoff before the first retry of unprocessed items (zero in tests).
    pub retry_base_delay: Duration,
}

impl Config {
    pub fn new(retention_days: u64) -> Self {
        Self {
            retention_days,
            retry_base_delay: DEFAULT_RETRY_BASE_DELAY,
        }
    }
}

/// The response, and the numbers of the run's log line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Epoch seconds: items with `created_at` below this are expired.
    pub cutoff: i64,
    pub retention_days: u64,
    /// Items the scans examined (the sum of `ScannedCount`), expired or not.
    pub scanned: u64,
    /// Items the scans matched (`created_at < cutoff`).
    pub expired: u64,
    pub deleted: u64,
    /// Expired items not deleted (still unprocessed after the last attempt, or their batch failed).
    pub failed: u64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cutoff {}, retention_days {}, scanned {}, expired {}, deleted {}, failed {}",
            self.cutoff, self.retention_days, self.scanned, self.expired, self.deleted, self.failed
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    #[error(
        "the event has no \"time\" field: the time the schedule fired (RFC 3339) is the reference for the retention cutoff"
    )]
    MissingTime,
    #[error(
        "the retention cutoff is out of range: event \"time\" {time} minus RETENTION_DAYS={retention_days} days cannot be represented in epoch seconds"
    )]
    CutoffOutOfRange { time: String, retention_days: u64 },
    #[error("the scan for expired items did not finish ({summary}): {reason}")]
    Scan { summary: Summary, reason: String },
    #[error(
        "{} of {} expired items were not deleted after {MAX_ATTEMPTS} attempts per batch ({summary}); last error: {reason}",
        .summary.failed, .summary.expired
    )]
    NotAllDeleted { summary: Summary, reason: String },
}

impl JobError {
    /// The `errorType` of the invocation's error response.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::MissingTime => "MissingTime",
            Self::CutoffOutOfRange { .. } => "CutoffOutOfRange",
            Self::Scan { .. } => "ScanFailed",
            Self::NotAllDeleted { .. } => "NotAllDeleted",
        }
    }
}

impl From<JobError> for Diagnostic {
    fn from(error: JobError) -> Self {
        Diagnostic {
            error_type: error.error_type().to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// `time - retention_days` days, in epoch seconds.
pub fn cutoff(event: &ScheduledEvent, retention_days: u64) -> Result<i64, JobError> {
    let time = event.time.ok_or(JobError::MissingTime)?;
    i64::try_from(retention_days)
        .ok()
        .and_then(|days| days.checked_mul(SECONDS_PER_DAY))
        .and_then(|span| time.timestamp().checked_sub(span))
        .ok_or_else(|| JobError::CutoffOutOfRange {
            time: time.to_rfc3339(),
            retention_days,
        })
}

/// The delay before retry number `retry` (1-based) of a batch: base, 2×base, 4×base, ...
pub fn backoff(base: Duration, retry: u32) -> Duration {
    base.saturating_mul(1u32 << retry.saturating_sub(1).min(16))
}

/// Runs one retention pass over the table. Logs the summary line whatever the outcome.
pub async fn handler<T: ItemTable>(
    table: &T,
    config: &Config,
    event: ScheduledEvent,
) -> Result<Summary, JobError> {
    let cutoff = cutoff(&event, config.retention_days)?;
    let mut run = Run {
        table,
        config,
        summary: Summary {
            cutoff,
            retention_days: config.retention_days,
            ..Summary::default()
        },
        last_error: None,
    };
    let scan_error = run.scan_and_delete().await;
    let Summary {
        cutoff,
        retention_days,
        scanned,
        expired,
        deleted,
        failed,
    } = run.summary;
    tracing::info!(
        cutoff,
        retention_days,
        scanned,
        expired,
        deleted,
        failed,
        "retention run: {}",
        run.summary
    );
    if let Some(reason) = scan_error {
        return Err(JobError::Scan {
            summary: run.summary,
            reason,
        });
    }
    if failed > 0 {
        return Err(JobError::NotAllDeleted {
            summary: run.summary,
            reason: run
                .last_error
                .unwrap_or_else(|| "BatchWriteItem left them unprocessed".to_owned()),
        });
    }
    Ok(run.summary)
}

struct Run<'a, T> {
    table: &'a T,
    config: &'a Config,
    summary: Summary,
    last_error: Option<String>,
}

impl<T: ItemTable> Run<'_, T> {
    /// Scans every page, deleting full batches as they fill up. Returns why the scan stopped early.
    async fn scan_and_delete(&mut self) -> Option<String> {
        let mut pending: Vec<Key> = Vec::new();
        let mut start: Option<Key> = None;
        let scan_error = loop {
            let page = match self
                .table
                .scan_expired(self.summary.cutoff, start.clone())
                .await
            {
                Ok(page) => page,
                Err(StoreError(reason)) => break Some(reason),
            };
            self.summary.scanned = self.summary.scanned.saturating_add(page.scanned);
            self.summary.expired = self.summary.expired.saturating_add(count(page.keys.len()));
            pending.extend(page.keys);
            while pending.len() >= MAX_BATCH {
                let rest = pending.split_off(MAX_BATCH);
                let batch = std::mem::replace(&mut pending, rest);
                self.delete(batch).await;
            }
            match page.next {
                None => break None,
                Some(next) if start.as_ref() == Some(&next) => {
                    break Some(
                        "the scan returned the LastEvaluatedKey it was started from".to_owned(),
                    );
                }
                Some(next) => start = Some(next),
            }
        };
        // Keys already found expired are deleted even when the scan stopped early.
        if !pending.is_empty() {
            self.delete(pending).await;
        }
        scan_error
    }

    /// Deletes one batch, retrying its unprocessed keys; what is left after the last attempt fails.
    async fn delete(&mut self, mut keys: Vec<Key>) {
        let mut attempt = 1;
        loop {
            let sent = keys.len();
            match self.table.delete_batch(keys.clone()).await {
                Ok(mut unprocessed) => {
                    unprocessed.truncate(sent);
                    self.summary.deleted = self
                        .summary
                        .deleted
                        .saturating_add(count(sent - unprocessed.len()));
                    keys = unprocessed;
                }
                Err(StoreError(reason)) => {
                    tracing::warn!(attempt, keys = sent, error = %reason, "delete batch failed");
                    self.last_error = Some(reason);
                }
            }
            if keys.is_empty() {
                return;
            }
            if attempt >= MAX_ATTEMPTS {
                self.summary.failed = self.summary.failed.saturating_add(count(keys.len()));
                return;
            }
            let delay = backoff(self.config.retry_base_delay, attempt);
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            attempt += 1;
        }
    }
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}
