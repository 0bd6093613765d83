//! A Lambda extension that turns the Telemetry API's platform events into CloudWatch metrics.
//!
//! Packaged as a layer (`extensions/telemetry-extension`), it starts before the function's runtime,
//! subscribes to the Telemetry API's platform events and writes, through the Embedded Metric
//! Format on stdout, each environment's init duration, each invocation's duration, billed
//! duration, max memory used and whether it was a cold start (docs/observability.md). It makes no
//! network call of its own: it only listens for the Telemetry API's POSTs and answers the
//! Extensions API. Its modules, each using only those listed before it:
//! - [`metric`]: the metrics, and one sample of one of them.
//! - [`events`]: a batch in, samples out; bad events are counted and skipped.
//! - [`emf`]: one EMF document.
//! - [`buffer`]: the samples waiting, by minute, bounded.
//! - [`recorder`]: when they are written (a minute at most after they arrived) and where.
//! - [`listener`]: the HTTP endpoint the batches arrive at.
//! - [`subscription`]: the Telemetry API subscription.
//! - [`extension`]: registration, and the life of the process until SHUTDOWN.
pub mod buffer;
pub mod emf;
pub mod events;
pub mod extension;
pub mod listener;
pub mod metric;
pub mod recorder;
pub mod subscription;
#[cfg(test)]
mod test_support;
