//! One SQS batch in, the ids of the messages to retry out.
//!
//! Every record is checked for a message id first: one without cannot be reported on its own, so
//! the invocation fails and SQS retries the whole batch, which is safe because writes are
//! idempotent. Then records are validated and written concurrently; a record whose body is invalid
//! or whose write fails is reported in `batchItemFailures` by its message id, in batch order.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures::StreamExt;
use lambda_runtime::Diagnostic;

use crate::{
    order::{InvalidBody, Order},
    store::{OrderStore, PutOutcome, StoreError},
};

/// How many records are written at once.
pub const CONCURRENCY: usize = 32;

/// Why the whole invocation fails (the batch is retried as a whole).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum HandlerError {
    /// `index` is the record's 0-based position in `Records`.
    #[error("record {index} has no messageId: the whole batch will be retried")]
    MissingMessageId { index: usize },
}

impl From<HandlerError> for Diagnostic {
    fn from(error: HandlerError) -> Self {
        let error_type = match error {
            HandlerError::MissingMessageId { .. } => "MissingMessageId",
        };
        Diagnostic {
            error_type: error_type.to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// Why one record is reported as failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum RecordError {
    #[error(transparent)]
    InvalidBody(#[from] InvalidBody),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Processes one batch. `Ok` lists the messages SQS must redeliver; `Err` fails the whole batch.
pub async fn handle<S: OrderStore>(
    store: &S,
    event: SqsEvent,
) -> Result<SqsBatchResponse, HandlerError> {
    let records: Vec<(&str, &SqsMessage)> = event
        .records
        .iter()
        .enumerate()
        .map(|(index, record)| match record.message_id.as_deref() {
            Some(id) if !id.trim().is_empty() => Ok((id, record)),
            _ => Err(HandlerError::MissingMessageId { index }),
        })
        .collect::<Result<_, _>>()
        .inspect_err(|error| tracing::error!(%error, "batch rejected"))?;

    // `buffered` runs up to CONCURRENCY records at once and yields results in batch order.
    let outcomes: Vec<(&str, Result<PutOutcome, RecordError>)> = futures::stream::iter(records)
        .map(|(message_id, record)| async move {
            (message_id, process(store, message_id, record).await)
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;

    let mut failed = Vec::new();
    for (message_id, outcome) in outcomes {
        match outcome {
            Ok(PutOutcome::Recorded) => tracing::info!(message_id, "order recorded"),
            Ok(PutOutcome::AlreadyRecorded) => {
                tracing::info!(message_id, "order already recorded: redelivery ignored")
            }
            Err(reason) => {
                tracing::warn!(message_id, %reason, "message failed: it will be retried");
                failed.push(message_id.to_owned());
            }
        }
    }
    tracing::info!(
        records = event.records.len(),
        failed = failed.len(),
        "batch processed"
    );
    let mut response = SqsBatchResponse::default();
    response.set_failures(failed);
    Ok(response)
}

async fn process<S: OrderStore>(
    store: &S,
    message_id: &str,
    record: &SqsMessage,
) -> Result<PutOutcome, RecordError> {
    let order = Order::from_body(message_id, record.body.as_deref())?;
    Ok(store.put_once(&order).await?)
}
