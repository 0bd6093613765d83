//! Feature `otel-lite`: lambda-otel-lite's span processor and OTLP stdout exporter. Each export is
//! one JSON line on stdout carrying the spans as OTLP protobuf (gzip, base64), for a forwarder
//! outside the function (a CloudWatch Logs subscription) to ship: no collector, no network call
//! from the function. lambda-otel-lite's sync mode: [`Flush::export`] flushes the processor at the
//! end of every invocation; writing to stdout needs no runtime, so flushing on the runtime's
//! thread is safe here.

use std::sync::Arc;

use lambda_otel_lite::{
    LambdaSpanProcessor, OtlpStdoutSpanExporter, ProcessorMode, TelemetryCompletionHandler,
};
use opentelemetry_sdk::{Resource, trace::SdkTracerProvider};

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
    let processor = LambdaSpanProcessor::builder()
        .exporter(OtlpStdoutSpanExporter::default())
        .build();
    let provider = SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_resource(resource)
        .build();
    let handler =
        TelemetryCompletionHandler::new(Arc::new(provider.clone()), None, ProcessorMode::Sync);
    Ok((provider, Flush(handler)))
}
