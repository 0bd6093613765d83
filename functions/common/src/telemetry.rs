//! JSON logs for CloudWatch: one object per line, at the level Lambda's logging config asks for,
//! panics included (see [`crate::panics`]).
//!
//! The level comes from `AWS_LAMBDA_LOG_LEVEL`, which Lambda sets from the function's
//! `ApplicationLogLevel` (the stack's `logLevel` config, per stack or per function); `info` when it
//! is unset. Outside Lambda, set it yourself (`AWS_LAMBDA_LOG_LEVEL=DEBUG cargo lambda watch`).
//! Filtering uses tracing-subscriber's `Targets`, not `EnvFilter`: `EnvFilter` links the regex
//! engine (about 0.3 MB of code per function) for span and field filters nobody sets on a Lambda
//! function.

use tracing::Level;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::format::{Format, Json, JsonFields};
use tracing_subscriber::fmt::{self, MakeWriter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::platform::AWS_LAMBDA_LOG_LEVEL;
use crate::settings::{EnvSource, ProcessEnv};

/// The target of the span lambda_runtime opens around every invocation (fields `requestId`,
/// `xrayTraceId`). It is enabled at every level, so that every line an invocation logs, a panic's
/// included, carries its request id.
const INVOCATION_SPAN_TARGET: &str = "lambda_runtime::layers::trace";
const DEFAULT_LEVEL: Level = Level::INFO;

/// Installs the global subscriber (JSON lines on stdout; with feature `otel` or `otel-lite`, the
/// spans as OpenTelemetry too, see `crate::spans`) and the panic hook. Call once, first thing in a
/// function's `main`.
pub fn init() {
    #[cfg(not(any(feature = "otel", feature = "otel-lite")))]
    init_logs();
    #[cfg(any(feature = "otel", feature = "otel-lite"))]
    {
        let (filter, rejected) = log_filter(&ProcessEnv);
        let (spans, off) = match crate::spans::layer() {
            Ok(layer) => (Some(layer), None),
            Err(error) => (None, Some(error)),
        };
        let exported = span_filter(filter.clone());
        tracing_subscriber::registry()
            .with(json_lines(std::io::stdout).with_filter(filter))
            .with(spans.with_filter(exported))
            .init();
        installed(rejected);
        if let Some(off) = off {
            tracing::warn!("{off}");
        }
    }
}

/// [`init`] without spans, whatever the features: for an extension, which serves no invocations
/// (nothing would export its spans).
pub fn init_logs() {
    let (filter, rejected) = log_filter(&ProcessEnv);
    tracing_subscriber::registry()
        .with(json_lines(std::io::stdout).with_filter(filter))
        .init();
    installed(rejected);
}

/// Once the subscriber is installed: the panic hook, and what was wrong with the log level.
fn installed(rejected: Option<String>) {
    crate::panics::install_hook();
    if let Some(rejected) = rejected {
        tracing::warn!("{rejected}; logging at {DEFAULT_LEVEL}");
    }
}

/// The target prefix of the AWS SDK's service crates, whose one span per operation
/// ("DynamoDB.GetItem", with `rpc.service` and `rpc.method`) is opened at DEBUG.
#[cfg(any(feature = "otel", feature = "otel-lite", test))]
const SDK_OPERATION_SPANS: &str = "aws_sdk_";

/// What becomes OpenTelemetry spans: what the logs show, plus the SDK's operation spans (its
/// inner spans, per attempt and per step, stay out).
#[cfg(any(feature = "otel", feature = "otel-lite", test))]
fn span_filter(logs: Targets) -> Targets {
    logs.with_target(SDK_OPERATION_SPANS, Level::DEBUG)
}

/// The line format: one JSON object per event, its fields flattened, with the current span's
/// fields (the invocation's `requestId`) under `span`. Tests give their own writer.
pub fn json_lines<S, W>(writer: W) -> fmt::Layer<S, JsonFields, Format<Json>, W>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + 'static,
{
    fmt::layer()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .flatten_event(true)
        .with_target(true)
        .with_writer(writer)
}

/// The filter `vars` ask for, and what was wrong with them when they did not parse.
pub fn log_filter(vars: &impl EnvSource) -> (Targets, Option<String>) {
    let setting = vars.var(AWS_LAMBDA_LOG_LEVEL).ok();
    let setting = setting.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let (level, rejected) = match setting {
        None => (DEFAULT_LEVEL, None),
        Some(value) => match lambda_level(value) {
            Some(level) => (level, None),
            None => (
                DEFAULT_LEVEL,
                Some(format!(
                    "{AWS_LAMBDA_LOG_LEVEL} is {value:?}, which is not a log level: set one of \
                     TRACE, DEBUG, INFO, WARN, ERROR, FATAL"
                )),
            ),
        },
    };
    let filter = Targets::new()
        .with_default(level)
        .with_target(INVOCATION_SPAN_TARGET, Level::INFO.max(level));
    (filter, rejected)
}

/// Lambda's levels (TRACE, DEBUG, INFO, WARN, ERROR, FATAL) as a tracing level; None for others.
pub(crate) fn lambda_level(level: &str) -> Option<Level> {
    match level.to_ascii_uppercase().as_str() {
        "TRACE" => Some(Level::TRACE),
        "DEBUG" => Some(Level::DEBUG),
        "INFO" => Some(Level::INFO),
        "WARN" => Some(Level::WARN),
        "ERROR" | "FATAL" => Some(Level::ERROR),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::MapEnv;

    fn filter(level: Option<&'static str>) -> (Targets, Option<String>) {
        let vars = MapEnv(
            level
                .map(|l| ("AWS_LAMBDA_LOG_LEVEL", l))
                .into_iter()
                .collect(),
        );
        log_filter(&vars)
    }

    fn enabled(filter: &Targets, target: &str, level: Level) -> bool {
        filter.would_enable(target, &level)
    }

    #[test]
    fn info_by_default_with_the_invocation_span() {
        for unset in [None, Some(""), Some("  ")] {
            let (filter, rejected) = filter(unset);
            assert_eq!(rejected, None);
            assert!(enabled(&filter, "sqs_processor", Level::INFO));
            assert!(!enabled(&filter, "sqs_processor", Level::DEBUG));
            assert!(enabled(&filter, INVOCATION_SPAN_TARGET, Level::INFO));
        }
    }

    #[test]
    fn lambdas_level_sets_the_filter_and_keeps_the_invocation_span() {
        let (warn, rejected) = filter(Some("WARN"));
        assert_eq!(rejected, None);
        assert!(enabled(&warn, "http_api", Level::WARN));
        assert!(!enabled(&warn, "http_api", Level::INFO));
        assert!(enabled(&warn, INVOCATION_SPAN_TARGET, Level::INFO));
        let (debug, _) = filter(Some("debug"));
        assert!(enabled(&debug, "http_api", Level::DEBUG));
        assert!(enabled(&debug, INVOCATION_SPAN_TARGET, Level::DEBUG));
    }

    #[test]
    fn spans_are_the_logs_and_the_sdks_operations() {
        let (logs, _) = filter(Some("WARN"));
        let spans = span_filter(logs);
        assert!(enabled(&spans, INVOCATION_SPAN_TARGET, Level::INFO));
        assert!(enabled(
            &spans,
            "aws_sdk_dynamodb::operation::get_item",
            Level::DEBUG
        ));
        assert!(!enabled(
            &spans,
            "aws_smithy_runtime::client::orchestrator",
            Level::DEBUG
        ));
        assert!(!enabled(&spans, "http_api", Level::INFO));
        assert!(enabled(&spans, "http_api", Level::WARN));
    }

    #[test]
    fn fatal_means_errors_only() {
        let (filter, _) = filter(Some("FATAL"));
        assert!(enabled(&filter, "http_api", Level::ERROR));
        assert!(!enabled(&filter, "http_api", Level::WARN));
    }

    #[test]
    fn an_invalid_level_falls_back_to_info_and_says_what_to_set() {
        let (filter, rejected) = filter(Some("LOUD"));
        assert_eq!(
            rejected.as_deref(),
            Some(
                "AWS_LAMBDA_LOG_LEVEL is \"LOUD\", which is not a log level: set one of TRACE, \
                 DEBUG, INFO, WARN, ERROR, FATAL"
            )
        );
        assert!(enabled(&filter, "s3_processor", Level::INFO));
        assert!(!enabled(&filter, "s3_processor", Level::DEBUG));
    }
}
