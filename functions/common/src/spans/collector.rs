//! Feature `otel`: spans as OTLP/HTTP protobuf to a collector. opentelemetry-otlp reads where:
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`, by
//! default http://localhost:4318/v1/traces, the receiver of the ADOT collector layer that runs
//! beside the function.
//!
//! Finished spans wait in a bounded buffer of our own (a [`SpanProcessor`] that only keeps them)
//! and are sent by [`Flush::export`], which [`super::ExportSpans`] awaits at the end of every
//! invocation. Why not the SDK's processors: they export by blocking the calling thread
//! (`SimpleSpanProcessor` when each span ends, `force_flush` for the batch one), while the HTTP
//! client needs the tokio runtime that thread drives: our functions run a single-threaded runtime,
//! which the request would then wait on forever.

use std::{
    future::Future,
    pin::Pin,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use opentelemetry_http::{HttpClient, HttpError};
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::{
    Resource,
    error::OTelSdkResult,
    trace::{SdkTracerProvider, Span, SpanData, SpanExporter as _, SpanProcessor},
};

/// How long an export may take. The collector runs in the same environment and answers in
/// milliseconds; one that hangs costs each invocation at most this much.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(2);
/// Spans kept between two exports; more are dropped (and counted) rather than growing memory.
const MAX_BUFFERED_SPANS: usize = 2048;

/// The exporter's HTTP client: hyper's HTTP/1 client over plain TCP (the collector listens on
/// localhost), each request and its body bounded by [`EXPORT_TIMEOUT`]. Written here rather than
/// taken from opentelemetry-http's `hyper` feature, whose client builds HTTP/2 (h2) into every
/// binary of the workspace (measured: README, "OpenTelemetry").
#[derive(Debug, Clone)]
struct Http1 {
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Http1 {
    fn new() -> Self {
        Self {
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let request = request.map(Full::new);
        let response = tokio::time::timeout(EXPORT_TIMEOUT, self.client.request(request)).await??;
        let (parts, body) = response.into_parts();
        let body = tokio::time::timeout(EXPORT_TIMEOUT, body.collect()).await??;
        Ok(Response::from_parts(parts, body.to_bytes()))
    }
}

// What `#[async_trait]` expands `async fn send_bytes` to, written out (no macro crate for one method).
impl HttpClient for Http1 {
    fn send_bytes<'life0, 'async_trait>(
        &'life0 self,
        request: Request<Bytes>,
    ) -> Pin<Box<dyn Future<Output = Result<Response<Bytes>, HttpError>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(self.send(request))
    }
}

/// The finished spans not exported yet.
#[derive(Debug, Default)]
struct Buffer {
    spans: Mutex<Vec<SpanData>>,
    dropped: AtomicUsize,
}

impl Buffer {
    fn push(&self, span: SpanData) {
        let mut spans = self.spans.lock().unwrap_or_else(PoisonError::into_inner);
        if spans.len() < MAX_BUFFERED_SPANS {
            spans.push(span);
        } else {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn take(&self) -> Vec<SpanData> {
        std::mem::take(&mut *self.spans.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// The span processor: keeps each sampled span until the next [`Flush::export`].
#[derive(Debug)]
struct Buffered(Arc<Buffer>);

impl SpanProcessor for Buffered {
    fn on_start(&self, _span: &mut Span, _cx: &opentelemetry::Context) {}

    fn on_end(&self, span: SpanData) {
        if span.span_context.is_sampled() {
            self.0.push(span);
        }
    }

    /// Nothing to do here: [`Flush::export`] sends the spans, awaited on the runtime.
    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}

/// Sends the buffered spans; see [`super::ExportSpans`].
#[derive(Debug)]
pub(super) struct Flush {
    buffer: Arc<Buffer>,
    exporter: SpanExporter,
    /// Whether the last export failed: a collector that stays away is logged once, not per
    /// invocation.
    failing: AtomicBool,
}

impl Flush {
    /// Exports the spans buffered so far. A failure (no collector, a refusal, a timeout) is
    /// logged as one warning until an export succeeds again; the spans are dropped.
    pub(super) async fn export(&self) {
        let spans = self.buffer.take();
        let dropped = self.buffer.dropped.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            tracing::warn!(
                "{dropped} OpenTelemetry spans were dropped: more than {MAX_BUFFERED_SPANS} in one \
                 invocation"
            );
        }
        if spans.is_empty() {
            return;
        }
        let count = spans.len();
        match self.exporter.export(spans).await {
            Ok(()) => {
                if self.failing.swap(false, Ordering::Relaxed) {
                    tracing::info!("OpenTelemetry spans reach the collector again");
                }
            }
            Err(error) => {
                if !self.failing.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        "could not export {count} OpenTelemetry spans to the collector ({error}); \
                         spans are dropped until it answers, invocations are not affected: attach \
                         the ADOT collector layer (openTelemetry.collectorLayerArn) or set \
                         OTEL_EXPORTER_OTLP_ENDPOINT to its OTLP/HTTP receiver"
                    );
                }
            }
        }
    }
}

/// The tracer provider and its flush, exporting to the collector with `resource`.
pub(super) fn pipeline(resource: Resource) -> Result<(SdkTracerProvider, Flush), String> {
    pipeline_to(None, resource)
}

/// [`pipeline`], to `endpoint` (the full URL, `.../v1/traces`) instead of the env's.
fn pipeline_to(
    endpoint: Option<&str>,
    resource: Resource,
) -> Result<(SdkTracerProvider, Flush), String> {
    let mut builder = SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_http_client(Http1::new())
        .with_timeout(EXPORT_TIMEOUT);
    if let Some(endpoint) = endpoint {
        builder = builder.with_endpoint(endpoint);
    }
    let mut exporter = builder.build().map_err(|error| {
        format!(
            "OpenTelemetry spans are off: the OTLP exporter could not be built ({error}); set \
                 OTEL_EXPORTER_OTLP_ENDPOINT to the collector's URL (default http://localhost:4318)"
        )
    })?;
    exporter.set_resource(&resource);
    let buffer = Arc::new(Buffer::default());
    let provider = SdkTracerProvider::builder()
        .with_span_processor(Buffered(buffer.clone()))
        .with_resource(resource)
        .build();
    let flush = Flush {
        buffer,
        exporter,
        failing: AtomicBool::new(false),
    };
    Ok((provider, flush))
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use opentelemetry::{
        InstrumentationScope,
        trace::{SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState},
    };
    use opentelemetry_sdk::trace::{SpanEvents, SpanLinks};

    use super::*;

    fn span(flags: TraceFlags) -> SpanData {
        SpanData {
            span_context: SpanContext::new(
                TraceId::from(1_u128),
                SpanId::from(2_u64),
                flags,
                false,
                TraceState::default(),
            ),
            parent_span_id: SpanId::INVALID,
            parent_span_is_remote: false,
            span_kind: SpanKind::Internal,
            name: "Lambda runtime invoke".into(),
            start_time: SystemTime::UNIX_EPOCH,
            end_time: SystemTime::UNIX_EPOCH,
            attributes: Vec::new(),
            dropped_attributes_count: 0,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status: Status::Unset,
            instrumentation_scope: InstrumentationScope::builder("test").build(),
        }
    }

    #[test]
    fn sampled_spans_wait_for_the_export_and_the_buffer_is_bounded() {
        let buffer = Arc::new(Buffer::default());
        let processor = Buffered(buffer.clone());
        processor.on_end(span(TraceFlags::NOT_SAMPLED));
        for _ in 0..MAX_BUFFERED_SPANS + 3 {
            processor.on_end(span(TraceFlags::SAMPLED));
        }
        assert!(processor.force_flush().is_ok());
        assert_eq!(buffer.take().len(), MAX_BUFFERED_SPANS);
        assert_eq!(buffer.dropped.load(Ordering::Relaxed), 3);
        assert!(buffer.take().is_empty(), "an export takes the spans once");
    }

    // On the single-threaded runtime our functions use; port 9 (discard) has no listener here.
    #[tokio::test(flavor = "current_thread")]
    async fn an_absent_collector_fails_nothing_and_warns_once() {
        let (provider, flush) = pipeline_to(
            Some("http://127.0.0.1:9/v1/traces"),
            Resource::builder_empty().build(),
        )
        .unwrap();
        drop(provider);
        flush.buffer.push(span(TraceFlags::SAMPLED));
        flush.export().await;
        assert!(flush.failing.load(Ordering::Relaxed));
        assert!(flush.buffer.take().is_empty(), "failed spans are dropped");
        flush.buffer.push(span(TraceFlags::SAMPLED));
        flush.export().await;
        assert!(flush.failing.load(Ordering::Relaxed));
    }
}
