//! The extension's process: JSON logs, then [`telemetry_extension::extension::run`] until SHUTDOWN.

use std::process::ExitCode;

// Lambda starts the extension before the runtime and counts its start in the function's init:
// a single-threaded runtime, nothing else to start.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    common::telemetry::init_logs();
    common::startup::exit_code(telemetry_extension::extension::run().await)
}
