//! A Lambda extension that turns the Telemetry API's platform events into CloudWatch metrics.
//!
//! Packaged as a layer (`extensions/telemetry-extension`), it starts before the function's runtime,
//! subscribes to the Telemetry API's platform events and writes, through the Embedded Metric
//! Format on stdout, each environment's init duration, each invocation's duration, billed
//! duration, max memory used and whether it was a cold start (README: "The telemetry
//! extension"). It makes no network call of its own: it only listens for the Telemetry API's
//! POSTs and answers the Extensions API.
//! - [`events`]: a batch in, metric samples out; bad events are counted and skipped.
//! - [`metrics`]: the bounded buffer and its EMF documents.
//! - [`listener`]: the HTTP endpoint the batches arrive at.
//! - [`subscription`]: the Telemetry API subscription.
pub mod events;
pub mod listener;
pub mod metrics;
pub mod subscription;
