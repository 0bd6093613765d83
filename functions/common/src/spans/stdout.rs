//! Feature `otel-lite`: lambda-otel-lite's span processor and OTLP stdout exporter. Each export is
//! one JSON line on stdout carrying the spans as OTLP protobuf (gzip, base64), for a forwarder
//! outside the function (a CloudWatch Logs subscription) to ship: no collector, no network call
//! from the function. lambda-otel-lite's sync mode: [`Flush::export`] flushes the processor at the
//! end of every invocation; writing to stdout needs no runtime, so flushing on the runtime's
//! thread is safe here.
//!
//! Each line carries a `level` ([`line_level`]): Lambda reads a JSON line without one as INFO and
//! drops lines below the function's log level, so at WARN the spans would never leave.

use std::sync::Arc;

use lambda_otel_lite::{
    LambdaSpanProcessor, OtlpStdoutSpanExporter, ProcessorMode, TelemetryCompletionHandler,
};
use opentelemetry_sdk::{Resource, trace::SdkTracerProvider};
use otlp_stdout_span_exporter::LogLevel;
use tracing::Level;

use crate::platform::AWS_LAMBDA_LOG_LEVEL;
use crate::settings::{EnvSource, ProcessEnv};
use crate::telemetry::lambda_level;

/// Writes the buffered spans to stdout; see [`super::ExportSpans`].
pub(super) struct Flush(TelemetryCompletionHandler);

impl Flush {
    /// lambda-otel-lite's end of invocation: a write to stdout, its failure logged by the crate.
    pub(super) async fn export(&self) {
        self.0.complete();
    }
}

/// The tracer provider and its flush, writing to stdout with `resource`.
pub(super) fn pipeline(resource: Resource) -> Result<(SdkTracerProvider, Flush), String> {
    let exporter = OtlpStdoutSpanExporter::builder()
        .level(line_level(&ProcessEnv))
        .build();
    let processor = LambdaSpanProcessor::builder().exporter(exporter).build();
    let provider = SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_resource(resource)
        .build();
    let handler =
        TelemetryCompletionHandler::new(Arc::new(provider.clone()), None, ProcessorMode::Sync);
    Ok((provider, Flush(handler)))
}

/// The level of the span lines: the function's log level (`AWS_LAMBDA_LOG_LEVEL`), INFO at least,
/// so that Lambda keeps them whatever the level. ERROR at ERROR and FATAL: the exporter knows no
/// FATAL, and the stack config refuses this exporter with a function at FATAL.
pub(crate) fn line_level(vars: &impl EnvSource) -> LogLevel {
    let level = vars
        .var(AWS_LAMBDA_LOG_LEVEL)
        .ok()
        .and_then(|value| lambda_level(value.trim()));
    match level {
        Some(Level::ERROR) => LogLevel::Error,
        Some(Level::WARN) => LogLevel::Warn,
        _ => LogLevel::Info,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::settings::MapEnv;

    #[test]
    fn span_lines_are_at_the_functions_level_and_info_at_least() {
        let level = |value: Option<&'static str>| {
            let vars = MapEnv(
                value
                    .map(|v| ("AWS_LAMBDA_LOG_LEVEL", v))
                    .into_iter()
                    .collect(),
            );
            line_level(&vars).to_string()
        };
        let cases = [
            (None, "INFO"),
            (Some("TRACE"), "INFO"),
            (Some("debug"), "INFO"),
            (Some("INFO"), "INFO"),
            (Some("WARN"), "WARN"),
            (Some(" warn "), "WARN"),
            (Some("ERROR"), "ERROR"),
            (Some("FATAL"), "ERROR"),
            (Some("LOUD"), "INFO"),
        ];
        for (value, expected) in cases {
            assert_eq!(level(value), expected, "{value:?}");
        }
        assert_eq!(line_level(&MapEnv(BTreeMap::new())).to_string(), "INFO");
    }
}
