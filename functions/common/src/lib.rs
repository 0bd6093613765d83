//! What every function in the workspace shares. Each module owns one capability:
//! - [`telemetry`]: JSON logs at Lambda's log level, each line carrying the request id.
//! - `spans` (feature `otel` or `otel-lite`): the invocation's spans as OpenTelemetry, exported at
//!   the end of every invocation.
//! - [`panics`]: a panic logged as one JSON error line, with the request id.
//! - [`invocation`]: lambda_runtime with error types of our own (an unreadable event, a panic).
//! - [`startup`]: a start-up failure as one JSON line naming what to set, then exit code 1.
//! - [`settings`]: typed reads of the env vars a function's contract declares.
//! - [`platform`]: the env vars Lambda and the AWS SDK define (never contract names).
//! - [`aws`]: the one AWS SDK config a function builds at init.
//! - [`https`]: its HTTP client (hyper, rustls with ring, Mozilla's roots as parsed trust anchors).
//! - [`secrets`]: a Secrets Manager secret read by ARN, cached with a TTL, failures never cached.
//! - `testing` (feature `testing`, tests only): checks that a crate's init reads exactly the env
//!   var names its own Cargo.toml declares.
pub mod aws;
pub mod https;
pub mod invocation;
pub mod panics;
pub mod platform;
pub mod secrets;
pub mod settings;
#[cfg(any(feature = "otel", feature = "otel-lite"))]
pub mod spans;
pub mod startup;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
