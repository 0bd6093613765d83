//! Hourly retention job for the items table.
//!
//! # Retention
//!
//! An EventBridge schedule (`rate(1 hour)`) invokes the function. Each run deletes from the items
//! table (`ITEMS_TABLE`, partition key `id`) every item whose `created_at` attribute is older than
//! `RETENTION_DAYS` days (a positive whole number, default 30):
//!
//! - `created_at` is a DynamoDB **number** holding epoch seconds (e.g. `{"N": "1793188799"}`).
//! - The reference time is the event's `time` (when the schedule fired), never the wall clock, so
//!   a run is deterministic and a retried invocation computes the same cutoff:
//!   `cutoff = time - RETENTION_DAYS * 86400`.
//! - An item is expired when `created_at < cutoff`. An item exactly at the cutoff is kept, and so
//!   is an item without `created_at` or whose `created_at` is not a number.
//!
//! DynamoDB's native TTL deletes expired items only "within a few days" of their expiry; this job
//! enforces the retention on the hour. (A TTL attribute can still be used as a backstop.)
//!
//! The job scans with `FilterExpression = attribute_type(created_at, :number) AND created_at <
//! :cutoff` (`:number` = `"N"`) and `ProjectionExpression = #pk`
//! (`#pk` = `id`), following `LastEvaluatedKey`, and deletes the matched keys with
//! `BatchWriteItem` in batches of at most 25, retrying unprocessed items with a short backoff (at
//! most 5 attempts a batch). It returns and logs
//! `{"cutoff","retention_days","scanned","expired","deleted","failed"}`; when `failed > 0` the
//! invocation fails with those counts, so it is retried and alarmed on.
pub mod handler;
pub mod store;

/// The env var names this function reads (the contract in Cargo.toml declares each one).
pub mod env {
    /// The items table's name: a reference wired by the stack (`[[package.metadata.stack.tables]]`).
    pub const ITEMS_TABLE: &str = "ITEMS_TABLE";
    /// The retention in days: a setting (`[package.metadata.lambda.deploy.env]`).
    pub const RETENTION_DAYS: &str = "RETENTION_DAYS";
    /// The env vars that name a reference (table, bucket, secret).
    pub const REFERENCES: &[&str] = &[ITEMS_TABLE];
    /// The env vars that hold settings.
    pub const SETTINGS: &[&str] = &[RETENTION_DAYS];
}
