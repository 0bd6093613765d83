//! JSON logs for CloudWatch: one object per line, at the level Lambda's logging config asks for.
//!
//! The level comes from `AWS_LAMBDA_LOG_LEVEL` (set by Lambda from the function's
//! `ApplicationLogLevel`), else `RUST_LOG`, else `info`. Filtering uses tracing-subscriber's
//! `Targets` (`level` or `target=level`, comma-separated), not `EnvFilter`: `EnvFilter` links the
//! regex engine (about 0.3 MB of code per function) for span and field filters nobody sets on a
//! Lambda function.

use std::str::FromStr;

use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::platform::AWS_LAMBDA_LOG_LEVEL;
use crate::settings::{EnvSource, EnvVar, ProcessEnv};

/// The log filter when Lambda sets no level: a setting every function's contract declares
/// (`[package.metadata.lambda.deploy] env`), read here for all of them.
#[allow(
    clippy::disallowed_methods,
    reason = "a setting every contract declares"
)]
pub const RUST_LOG: EnvVar = EnvVar::new("RUST_LOG");

/// The span lambda_runtime opens around every invocation (fields `requestId`, `xrayTraceId`).
/// It is always enabled, whatever the level, so that every line an invocation logs carries its
/// request id.
const INVOCATION_SPAN_DIRECTIVE: &str = "lambda_runtime::layers::trace=info";
const DEFAULT_DIRECTIVES: &str = "info";

/// Installs the global subscriber. Call once, first thing in `main`.
pub fn init() {
    let (filter, rejected) = log_filter(&ProcessEnv);
    let format = tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .flatten_event(true)
        .with_target(true);
    tracing_subscriber::registry()
        .with(format.with_filter(filter))
        .init();
    if let Some(rejected) = rejected {
        tracing::warn!(
            "{rejected}; logging at {DEFAULT_DIRECTIVES}: set it to a level (error, warn, info, debug, trace) or target=level pairs"
        );
    }
}

/// The filter `vars` ask for, and what was wrong with them when they did not parse.
pub fn log_filter(vars: &impl EnvSource) -> (Targets, Option<String>) {
    filter_from(
        vars.var(AWS_LAMBDA_LOG_LEVEL).ok().as_deref(),
        vars.var(RUST_LOG).ok().as_deref(),
    )
}

/// The filter for these settings, and what was wrong with them when they did not parse.
fn filter_from(
    lambda_log_level: Option<&str>,
    rust_log: Option<&str>,
) -> (Targets, Option<String>) {
    let (name, directives) = match (lambda_log_level, rust_log) {
        (Some(level), _) if !level.trim().is_empty() => {
            let level = level.trim();
            match lambda_level(level) {
                Some(directive) => (AWS_LAMBDA_LOG_LEVEL.name(), directive.to_owned()),
                None => return rejected(AWS_LAMBDA_LOG_LEVEL.name(), level),
            }
        }
        (_, Some(directives)) if !directives.trim().is_empty() => {
            (RUST_LOG.name(), directives.trim().to_owned())
        }
        _ => ("", DEFAULT_DIRECTIVES.to_owned()),
    };
    match with_invocation_span(&directives) {
        Ok(filter) => (filter, None),
        Err(_) => rejected(name, &directives),
    }
}

/// The default filter, and why `value` of `name` was not used.
fn rejected(name: &str, value: &str) -> (Targets, Option<String>) {
    (
        with_invocation_span(DEFAULT_DIRECTIVES).unwrap_or_default(),
        Some(format!("{name} is {value:?}, which is not a log filter")),
    )
}

fn with_invocation_span(directives: &str) -> Result<Targets, impl std::error::Error> {
    Targets::from_str(&format!("{directives},{INVOCATION_SPAN_DIRECTIVE}"))
}

/// Lambda's levels (TRACE, DEBUG, INFO, WARN, ERROR, FATAL) as a tracing level; None for others.
fn lambda_level(level: &str) -> Option<&'static str> {
    match level.to_ascii_uppercase().as_str() {
        "TRACE" => Some("trace"),
        "DEBUG" => Some("debug"),
        "INFO" => Some("info"),
        "WARN" => Some("warn"),
        "ERROR" | "FATAL" => Some("error"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use tracing::Level;

    use super::*;

    fn enabled(filter: &Targets, target: &str, level: Level) -> bool {
        filter.would_enable(target, &level)
    }

    #[test]
    fn info_by_default_with_the_invocation_span() {
        let (filter, rejected) = filter_from(None, None);
        assert_eq!(rejected, None);
        assert!(enabled(&filter, "sqs_processor", Level::INFO));
        assert!(!enabled(&filter, "sqs_processor", Level::DEBUG));
        assert!(enabled(
            &filter,
            "lambda_runtime::layers::trace",
            Level::INFO
        ));
    }

    #[test]
    fn lambda_log_level_wins_over_rust_log() {
        let (filter, rejected) = filter_from(Some("WARN"), Some("debug"));
        assert_eq!(rejected, None);
        assert!(enabled(&filter, "http_api", Level::WARN));
        assert!(!enabled(&filter, "http_api", Level::INFO));
        assert!(enabled(
            &filter,
            "lambda_runtime::layers::trace",
            Level::INFO
        ));
    }

    #[test]
    fn fatal_means_errors_only() {
        let (filter, _) = filter_from(Some("FATAL"), None);
        assert!(enabled(&filter, "http_api", Level::ERROR));
        assert!(!enabled(&filter, "http_api", Level::WARN));
    }

    #[test]
    fn rust_log_takes_target_directives() {
        let (filter, rejected) = filter_from(None, Some("warn,s3_processor=debug"));
        assert_eq!(rejected, None);
        assert!(enabled(&filter, "s3_processor::manifest", Level::DEBUG));
        assert!(!enabled(&filter, "aws_smithy_runtime", Level::INFO));
        assert!(enabled(
            &filter,
            "lambda_runtime::layers::trace",
            Level::INFO
        ));
    }

    #[test]
    fn an_invalid_setting_falls_back_to_info_and_says_which_variable() {
        let (filter, rejected) = filter_from(None, Some("s3_processor=loud"));
        assert_eq!(
            rejected.as_deref(),
            Some("RUST_LOG is \"s3_processor=loud\", which is not a log filter")
        );
        assert!(enabled(&filter, "s3_processor", Level::INFO));
        assert!(!enabled(&filter, "s3_processor", Level::DEBUG));

        let (_, rejected) = filter_from(Some("LOUD"), None);
        assert_eq!(
            rejected.as_deref(),
            Some("AWS_LAMBDA_LOG_LEVEL is \"LOUD\", which is not a log filter")
        );
    }
}
