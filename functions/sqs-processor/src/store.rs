//! Where orders are recorded: a trait for the one write the handler makes, and its DynamoDB
//! implementation (a PutItem conditional on the message id being new, so redeliveries are no-ops).

use std::future::Future;

use aws_sdk_dynamodb::{error::DisplayErrorContext, types::AttributeValue};
use common::aws::LazyClient;

use crate::order::Order;

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// The order was written.
    Recorded,
    /// An order was already recorded under this message id (SQS delivers at least once).
    AlreadyRecorded,
}

/// Why a write failed. `reason` comes from the service and never holds the message body.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("could not write to DynamoDB table {table}: {reason}")]
pub struct StoreError {
    pub table: String,
    pub reason: String,
}

/// Records an order once per message id.
pub trait OrderStore: Send + Sync {
    fn put_once(
        &self,
        order: &Order,
    ) -> impl Future<Output = Result<PutOutcome, StoreError>> + Send;
}

/// The orders table, through a client built once, at its first use.
#[derive(Debug, Clone)]
pub struct DynamoOrderStore {
    client: LazyClient<aws_sdk_dynamodb::Client>,
    table: String,
}

impl DynamoOrderStore {
    pub fn new(client: LazyClient<aws_sdk_dynamodb::Client>, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

impl OrderStore for DynamoOrderStore {
    async fn put_once(&self, order: &Order) -> Result<PutOutcome, StoreError> {
        let result = self
            .client
            .get()
            .put_item()
            .table_name(&self.table)
            .item("message_id", AttributeValue::S(order.message_id.clone()))
            .item("order_id", AttributeValue::S(order.order_id.clone()))
            .item("customer_id", AttributeValue::S(order.customer_id.clone()))
            .item(
                "amount_cents",
                AttributeValue::N(order.amount_cents.to_string()),
            )
            .item("currency", AttributeValue::S(order.currency.clone()))
            .condition_expression("attribute_not_exists(message_id)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(PutOutcome::Recorded),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(PutOutcome::AlreadyRecorded)
            }
            Err(err) => Err(StoreError {
                table: self.table.clone(),
                reason: DisplayErrorContext(&err).to_string(),
            }),
        }
    }
}
