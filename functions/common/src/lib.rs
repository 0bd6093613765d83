//! What every function in the workspace shares. Each module owns one capability:
//! - [`telemetry`]: JSON logs at Lambda's log level (or `RUST_LOG`), each line carrying the request id.
//! - [`settings`]: typed reads of the env vars a function's contract declares.
//! - [`aws`]: the one AWS SDK config a function builds at init.
//! - [`secrets`]: a Secrets Manager secret read by ARN, cached with a TTL, failures never cached.
//! - [`contract`]: the env var names of a crate's contract, read from its own Cargo.toml in tests.
pub mod aws;
#[cfg(feature = "testing")]
pub mod contract;
pub mod secrets;
pub mod settings;
pub mod telemetry;
