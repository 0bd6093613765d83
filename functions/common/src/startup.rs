//! How a function's process ends: a start-up failure is one JSON error line that names what to
//! fix, then exit code 1.
//!
//! Returning `Err` from `main` would print Rust's debug format (`Error: Missing { name:
//! "ORDERS_TABLE", ... }`) as plain text. Lambda reports a process that exits during init as
//! `Runtime.ExitError`, which the release step reads as "the version did not start"; so nothing
//! is posted to the Runtime API's `/init/error` (an error type of ours there would read as a
//! version that started and answered).

use std::{error::Error, process::ExitCode};

use crate::settings::SettingsError;

/// The process's exit code for what `serve` returned: logs why it failed, as one JSON line, with
/// the variable to set when a setting is missing or invalid.
pub fn exit_code(result: Result<(), lambda_runtime::Error>) -> ExitCode {
    let Err(error) = result else {
        return ExitCode::SUCCESS;
    };
    // The setting may be wrapped by a crate's own error (its source).
    let first: &(dyn Error + 'static) = error.as_ref();
    let setting = std::iter::successors(Some(first), |e| (*e).source())
        .find_map(|e| e.downcast_ref::<SettingsError>());
    match setting {
        Some(setting) => tracing::error!(variable = setting.variable(), "init failed: {setting}"),
        None => tracing::error!("the function stopped: {error}"),
    }
    ExitCode::FAILURE
}
