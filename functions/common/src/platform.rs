//! The env vars Lambda and the AWS SDK define that this workspace's code reads. They are not
//! contract names: the contract schema reserves names starting with `AWS_` for Lambda, so no
//! Cargo.toml declares them and the stack never sets them.
//!
//! The platform's other variables are read inside dependencies, not by our code: lambda_runtime
//! reads `AWS_LAMBDA_RUNTIME_API`, the function's name, memory and version, and
//! `AWS_LAMBDA_MAX_CONCURRENCY` (how many invocations `run_concurrent` serves at once on Managed
//! Instances).

use crate::settings::EnvVar;

/// Lambda's log level, set from the function's logging config; read by [`crate::telemetry`].
#[allow(clippy::disallowed_methods, reason = "a variable Lambda sets")]
pub const AWS_LAMBDA_LOG_LEVEL: EnvVar = EnvVar::new("AWS_LAMBDA_LOG_LEVEL");

/// The execution role's credentials and the function's region, which Lambda sets in every
/// environment; read by [`crate::aws`] (and the region by the OpenTelemetry resource).
#[allow(clippy::disallowed_methods, reason = "a variable Lambda sets")]
pub const AWS_ACCESS_KEY_ID: EnvVar = EnvVar::new("AWS_ACCESS_KEY_ID");
#[allow(clippy::disallowed_methods, reason = "a variable Lambda sets")]
pub const AWS_SECRET_ACCESS_KEY: EnvVar = EnvVar::new("AWS_SECRET_ACCESS_KEY");
#[allow(clippy::disallowed_methods, reason = "a variable Lambda sets")]
pub const AWS_SESSION_TOKEN: EnvVar = EnvVar::new("AWS_SESSION_TOKEN");
#[allow(clippy::disallowed_methods, reason = "a variable Lambda sets")]
pub const AWS_REGION: EnvVar = EnvVar::new("AWS_REGION");
#[allow(clippy::disallowed_methods, reason = "a variable Lambda sets")]
pub const AWS_DEFAULT_REGION: EnvVar = EnvVar::new("AWS_DEFAULT_REGION");

/// The AWS SDK's endpoint overrides (a local server such as moto in tests): one for every
/// service, and per service, as `AWS_ENDPOINT_URL_<SERVICE>` ([`crate::aws`] reads them all).
#[allow(clippy::disallowed_methods, reason = "a variable the AWS SDK reads")]
pub const AWS_ENDPOINT_URL: EnvVar = EnvVar::new("AWS_ENDPOINT_URL");
#[allow(clippy::disallowed_methods, reason = "a variable the AWS SDK reads")]
pub const AWS_ENDPOINT_URL_S3: EnvVar = EnvVar::new("AWS_ENDPOINT_URL_S3");

/// The function's name, version and log stream, as Lambda sets them: with `AWS_REGION`, the
/// resource of the OpenTelemetry spans (`crate::spans`, features `otel` and `otel-lite`).
#[allow(clippy::disallowed_methods, reason = "a variable Lambda sets")]
pub const AWS_LAMBDA_FUNCTION_NAME: EnvVar = EnvVar::new("AWS_LAMBDA_FUNCTION_NAME");
#[allow(clippy::disallowed_methods, reason = "a variable Lambda sets")]
pub const AWS_LAMBDA_FUNCTION_VERSION: EnvVar = EnvVar::new("AWS_LAMBDA_FUNCTION_VERSION");
#[allow(clippy::disallowed_methods, reason = "a variable Lambda sets")]
pub const AWS_LAMBDA_LOG_STREAM_NAME: EnvVar = EnvVar::new("AWS_LAMBDA_LOG_STREAM_NAME");

/// Whether `name` belongs to Lambda or the AWS SDK rather than to a contract.
pub fn is_platform(name: &str) -> bool {
    name.starts_with("AWS_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_platform_owns_the_aws_prefix_only() {
        assert!(is_platform(AWS_LAMBDA_LOG_LEVEL.name()));
        assert!(is_platform(AWS_ENDPOINT_URL_S3.name()));
        assert!(!is_platform("RUST_LOG"));
        assert!(!is_platform("ITEMS_TABLE"));
    }
}
