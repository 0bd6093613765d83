//! Records orders sent through an SQS queue in DynamoDB.
//!
//! - [`order`]: the order a message body carries, validated field by field.
//! - [`store`]: the one DynamoDB call (a conditional PutItem), behind a trait so tests use a fake.
//! - [`handler`]: one batch in, the ids of the messages to retry out (`batchItemFailures`).

pub mod handler;
pub mod order;
pub mod store;

/// The env var names this function reads.
pub mod env {
    /// Reference (wired by the stack): the name of the DynamoDB table orders are recorded in.
    pub const ORDERS_TABLE: &str = "ORDERS_TABLE";
    /// Setting: the log filter, read by `common::telemetry::init`.
    pub const RUST_LOG: &str = "RUST_LOG";

    /// The references the contract declares under `[package.metadata.stack]`.
    pub const REFERENCES: &[&str] = &[ORDERS_TABLE];
    /// The settings the contract declares under `[package.metadata.lambda.deploy.env]`.
    pub const SETTINGS: &[&str] = &[RUST_LOG];
}
