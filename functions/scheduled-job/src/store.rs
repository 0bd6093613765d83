//! The items table as the job uses it: a filtered scan for expired keys and batched deletes.
//! [`ItemTable`] is implemented for the DynamoDB client ([`DynamoTable`]); tests use a fake.

use std::{collections::HashMap, future::Future};

use aws_sdk_dynamodb::{
    Client,
    error::DisplayErrorContext,
    types::{AttributeValue, DeleteRequest, WriteRequest},
};
use common::aws::LazyClient;

/// The partition key attribute of the items table.
pub const PARTITION_KEY: &str = "id";
/// The attribute holding an item's creation time in epoch seconds (a DynamoDB number).
pub const CREATED_AT: &str = "created_at";
/// The scan's filter: a number `created_at` below the cutoff. DynamoDB already evaluates
/// `created_at < :cutoff` to false for a non-number; the `attribute_type` guard says so explicitly
/// (and keeps moto, which raises on comparing a string with a number, from failing the scan).
pub const FILTER_EXPRESSION: &str = "attribute_type(created_at, :number) AND created_at < :cutoff";
/// BatchWriteItem takes at most 25 requests.
pub const MAX_BATCH: usize = 25;

/// An item's primary key, as DynamoDB returns it (also the shape of `LastEvaluatedKey`).
pub type Key = HashMap<String, AttributeValue>;

/// One page of a scan for expired items.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    /// The keys of the expired items on this page.
    pub keys: Vec<Key>,
    /// How many items the scan examined for this page (`ScannedCount`), matched or not.
    pub scanned: u64,
    /// Where the next page starts (`LastEvaluatedKey`); `None` on the last page.
    pub next: Option<Key>,
}

/// Why a table call failed, as the service said it (names the table and the operation).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

/// The table calls the job makes.
pub trait ItemTable: Send + Sync {
    /// One page of the keys of items with `created_at < cutoff`, starting at `start`.
    fn scan_expired(
        &self,
        cutoff: i64,
        start: Option<Key>,
    ) -> impl Future<Output = Result<Page, StoreError>> + Send;

    /// Deletes up to [`MAX_BATCH`] keys; returns the keys that were not processed.
    fn delete_batch(
        &self,
        keys: Vec<Key>,
    ) -> impl Future<Output = Result<Vec<Key>, StoreError>> + Send;
}

/// The items table through the DynamoDB client, built once, at its first use.
#[derive(Debug, Clone)]
pub struct DynamoTable {
    client: LazyClient<Client>,
    table: String,
}

impl DynamoTable {
    pub fn new(client: LazyClient<Client>, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

impl ItemTable for DynamoTable {
    async fn scan_expired(&self, cutoff: i64, start: Option<Key>) -> Result<Page, StoreError> {
        let output = self
            .client
            .get()
            .scan()
            .table_name(&self.table)
            .filter_expression(FILTER_EXPRESSION)
            .projection_expression("#pk")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_values(":number", AttributeValue::S("N".to_owned()))
            .expression_attribute_values(":cutoff", AttributeValue::N(cutoff.to_string()))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|err| {
                StoreError(format!(
                    "Scan of table {} failed: {}",
                    self.table,
                    DisplayErrorContext(&err)
                ))
            })?;
        Ok(Page {
            keys: output
                .items
                .unwrap_or_default()
                .into_iter()
                .filter(|key| !key.is_empty())
                .collect(),
            scanned: u64::try_from(output.scanned_count).unwrap_or(0),
            // An empty key would restart the scan from the beginning: treat it as the end.
            next: output.last_evaluated_key.filter(|key| !key.is_empty()),
        })
    }

    async fn delete_batch(&self, keys: Vec<Key>) -> Result<Vec<Key>, StoreError> {
        let requests = keys
            .into_iter()
            .map(|key| {
                DeleteRequest::builder()
                    .set_key(Some(key))
                    .build()
                    .map(|delete| WriteRequest::builder().delete_request(delete).build())
                    .map_err(|err| StoreError(format!("could not build a DeleteRequest: {err}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let output = self
            .client
            .get()
            .batch_write_item()
            .request_items(&self.table, requests)
            .send()
            .await
            .map_err(|err| {
                StoreError(format!(
                    "BatchWriteItem on table {} failed: {}",
                    self.table,
                    DisplayErrorContext(&err)
                ))
            })?;
        Ok(output
            .unprocessed_items
            .and_then(|mut tables| tables.remove(&self.table))
            .unwrap_or_default()
            .into_iter()
            .filter_map(|request| request.delete_request.map(|delete| delete.key))
            .collect())
    }
}
