//! OpenTelemetry spans, off by default (README: "OpenTelemetry"). One of two cargo features:
//! - `otel`: OTLP/HTTP protobuf to a collector, by default the ADOT collector layer's receiver on
//!   http://localhost:4318 ([`collector`]);
//! - `otel-lite`: lambda-otel-lite's OTLP lines on stdout, for a forwarder outside the function
//!   ([`stdout`]).
//!
//! What is exported: lambda_runtime's invocation span ("Lambda runtime invoke", attributes
//! `requestId` and `xrayTraceId`) and the spans inside it that [`crate::telemetry`] lets through
//! (the AWS SDK's one span per operation among them), through tracing-opentelemetry. The resource
//! is the Lambda environment ([`resource`]); an invocation that carries an X-Ray trace header joins
//! that trace ([`ParentFromXray`]).
//!
//! When: at the end of EVERY invocation ([`ExportSpans`]), after the response is sent and before
//! the runtime asks for the next event. Lambda freezes the environment until the next event, so
//! spans left in a buffer would leave minutes late or never.

#[cfg(all(feature = "otel", feature = "otel-lite"))]
compile_error!(
    "common's features `otel` and `otel-lite` exclude each other: turn on one (the stack's \
     openTelemetry.exporter picks it)"
);

#[cfg(feature = "otel")]
mod collector;
#[cfg(feature = "otel")]
use collector as exporter;
#[cfg(all(feature = "otel-lite", not(feature = "otel")))]
mod stdout;
#[cfg(all(feature = "otel-lite", not(feature = "otel")))]
use stdout as exporter;

use std::{
    collections::HashMap,
    future::Future,
    pin::Pin,
    sync::OnceLock,
    task::{Context, Poll},
};

use futures::{
    FutureExt,
    future::{BoxFuture, ready},
};
use lambda_runtime::{
    LambdaInvocation,
    tower::{Layer, Service},
};
use opentelemetry::{
    KeyValue,
    propagation::TextMapPropagator,
    trace::{TraceContextExt, TracerProvider},
};
use opentelemetry_aws::trace::XrayPropagator;
use opentelemetry_sdk::{Resource, trace::SdkTracer};
use tracing_opentelemetry::{OpenTelemetryLayer, OpenTelemetrySpanExt};
use tracing_subscriber::registry::LookupSpan;

use crate::platform::{
    AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_FUNCTION_VERSION, AWS_LAMBDA_LOG_STREAM_NAME, AWS_REGION,
};
use crate::settings::{EnvSource, ProcessEnv};

type BoxError = lambda_runtime::Error;

/// The instrumentation scope of every span.
const TRACER_NAME: &str = "rustlambda";
/// The header X-Ray's propagator reads; Lambda hands its value to the runtime per invocation.
const XRAY_HEADER: &str = "x-amzn-trace-id";

/// The exporter [`ExportSpans`] flushes, set once by [`layer`].
static EXPORTER: OnceLock<exporter::Flush> = OnceLock::new();

/// The resource of every span: the function as Lambda describes it in its env, each attribute
/// present when its variable is set (`service.name` and `faas.name`: the function's name).
pub fn resource(vars: &impl EnvSource) -> Resource {
    let mut attributes = vec![
        KeyValue::new("cloud.provider", "aws"),
        KeyValue::new("cloud.platform", "aws_lambda"),
    ];
    for (key, var) in [
        ("service.name", AWS_LAMBDA_FUNCTION_NAME),
        ("faas.name", AWS_LAMBDA_FUNCTION_NAME),
        ("faas.version", AWS_LAMBDA_FUNCTION_VERSION),
        ("faas.instance", AWS_LAMBDA_LOG_STREAM_NAME),
        ("cloud.region", AWS_REGION),
    ] {
        if let Ok(value) = vars.var(var) {
            attributes.push(KeyValue::new(key, value));
        }
    }
    Resource::builder_empty()
        .with_attributes(attributes)
        .build()
}

/// The tracing layer that turns spans into OpenTelemetry spans, its exporter kept for
/// [`ExportSpans`]; an error (to log) when the exporter cannot be built. Called once, by
/// [`crate::telemetry::init`].
pub(crate) fn layer<S>() -> Result<OpenTelemetryLayer<S, SdkTracer>, String>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    let (provider, flush) = exporter::pipeline(resource(&ProcessEnv))?;
    if EXPORTER.set(flush).is_err() {
        return Err(
            "the OpenTelemetry exporter was set up twice: call telemetry::init once".into(),
        );
    }
    Ok(tracing_opentelemetry::layer()
        .with_tracer(provider.tracer(TRACER_NAME))
        // Attributes of our own spans only: no thread ids, source locations or busy/idle times.
        .with_threads(false)
        .with_location(false)
        .with_tracked_inactivity(false)
        // A span starts when its first child does, not when it is entered: lambda_runtime enters
        // the invocation span before [`ParentFromXray`] can give it its parent. (Nothing here reads
        // OpenTelemetry's own current context, which activation would set.)
        .with_context_activation(false))
}

/// The OpenTelemetry context of an X-Ray trace header
/// (`Root=1-<time>-<id>;Parent=<span>;Sampled=<0|1>`), None when it names no valid span or X-Ray
/// did not sample it. Lambda sends `Sampled=0` for most invocations (always, without active
/// tracing or a sampled caller): as a parent it would make the SDK's sampler drop every span, so
/// such an invocation starts a trace of its own instead (lambda-otel-lite does the same).
pub fn xray_parent(header: &str) -> Option<opentelemetry::Context> {
    let carrier = HashMap::from([(XRAY_HEADER.to_owned(), header.to_owned())]);
    let context = XrayPropagator::default().extract(&carrier);
    let sampled = {
        let span = context.span();
        span.span_context().is_valid() && span.span_context().is_sampled()
    };
    sampled.then_some(context)
}

// --- the X-Ray parent ----------------------------------------------------------------------------

/// Makes the invocation span a child of the invocation's X-Ray trace header, when Lambda sends
/// one. Goes inside lambda_runtime's `TracingLayer`, whose span is current in `call`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ParentFromXray;

impl<S> Layer<S> for ParentFromXray {
    type Service = WithXrayParent<S>;

    fn layer(&self, inner: S) -> Self::Service {
        WithXrayParent(inner)
    }
}

/// The service of [`ParentFromXray`].
#[derive(Clone)]
pub struct WithXrayParent<S>(S);

impl<S: Service<LambdaInvocation>> Service<LambdaInvocation> for WithXrayParent<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, invocation: LambdaInvocation) -> Self::Future {
        if let Some(parent) = invocation
            .context
            .xray_trace_id
            .as_deref()
            .and_then(xray_parent)
        {
            // Fails only when no OpenTelemetry layer is installed: then there is no span to parent.
            let _ = tracing::Span::current().set_parent(parent);
        }
        self.0.call(invocation)
    }
}

// --- the export at the end of every invocation ---------------------------------------------------

/// Exports the spans of each invocation once it has been served, before the runtime asks for the
/// next event; an export that fails is logged and fails nothing. Goes outside lambda_runtime's
/// `TracingLayer`, so that the invocation span has closed (and reached the exporter) by then.
#[derive(Clone, Copy, Debug, Default)]
pub struct ExportSpans;

impl<S> Layer<S> for ExportSpans {
    type Service = ExportingSpans<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ExportingSpans(inner)
    }
}

/// The service of [`ExportSpans`].
#[derive(Clone)]
pub struct ExportingSpans<S>(S);

type Served = Result<(), BoxError>;

impl<S> Service<LambdaInvocation> for ExportingSpans<S>
where
    S: Service<LambdaInvocation, Response = (), Error = BoxError>,
{
    type Response = ();
    type Error = BoxError;
    type Future = Exporting<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, invocation: LambdaInvocation) -> Self::Future {
        Exporting(Stage::Serving(Box::pin(self.0.call(invocation))))
    }
}

/// The future of [`ExportingSpans`]: the invocation, then the export. Written out rather than
/// composed: combinators' types nest the handler's future too deep for the compiler's layout
/// (s3-processor), and a `dyn Future + Send` box would ask `Send` of handlers that [`crate::invocation::run`]
/// serves on one thread. It is `Send` exactly when the invocation's future is.
pub struct Exporting<F>(Stage<F>);

enum Stage<F> {
    Serving(Pin<Box<F>>),
    Exporting(Served, BoxFuture<'static, ()>),
    Done,
}

impl<F: Future<Output = Served>> Future for Exporting<F> {
    type Output = Served;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Served> {
        // Unpin: the invocation's future is boxed.
        let stage = &mut self.get_mut().0;
        loop {
            match std::mem::replace(stage, Stage::Done) {
                Stage::Serving(mut served) => match served.as_mut().poll(cx) {
                    Poll::Pending => {
                        *stage = Stage::Serving(served);
                        return Poll::Pending;
                    }
                    // The served future is dropped here, and the invocation span with it: closed
                    // spans reach the exporter's buffer before the export starts.
                    Poll::Ready(outcome) => *stage = Stage::Exporting(outcome, export()),
                },
                Stage::Exporting(outcome, mut export) => match export.as_mut().poll(cx) {
                    Poll::Pending => {
                        *stage = Stage::Exporting(outcome, export);
                        return Poll::Pending;
                    }
                    Poll::Ready(()) => return Poll::Ready(outcome),
                },
                Stage::Done => {
                    panic!("the export of an invocation's spans was polled after it completed")
                }
            }
        }
    }
}

/// The export of the spans buffered so far (nothing when the exporter could not be built).
fn export() -> BoxFuture<'static, ()> {
    match EXPORTER.get() {
        Some(exporter) => exporter.export().boxed(),
        None => ready(()).boxed(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use opentelemetry::{
        Value,
        trace::{SpanId, TraceFlags, TraceId},
    };

    use super::*;
    use crate::settings::MapEnv;

    fn attributes(resource: &Resource) -> BTreeMap<String, Value> {
        resource
            .iter()
            .map(|(key, value)| (key.to_string(), value.clone()))
            .collect()
    }

    #[test]
    fn the_resource_is_the_function_as_lambda_describes_it() {
        let vars = MapEnv(BTreeMap::from([
            ("AWS_LAMBDA_FUNCTION_NAME", "orders-dev-http-api"),
            ("AWS_LAMBDA_FUNCTION_VERSION", "7"),
            (
                "AWS_LAMBDA_LOG_STREAM_NAME",
                "2026/12/01/[7]0123456789abcdef0123456789abcdef",
            ),
            ("AWS_REGION", "eu-west-1"),
        ]));
        let expected: BTreeMap<String, Value> = [
            ("cloud.platform", "aws_lambda"),
            ("cloud.provider", "aws"),
            ("cloud.region", "eu-west-1"),
            (
                "faas.instance",
                "2026/12/01/[7]0123456789abcdef0123456789abcdef",
            ),
            ("faas.name", "orders-dev-http-api"),
            ("faas.version", "7"),
            ("service.name", "orders-dev-http-api"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), Value::from(v)))
        .collect();
        assert_eq!(attributes(&resource(&vars)), expected);
    }

    #[test]
    fn outside_lambda_the_resource_names_only_the_platform() {
        let expected: BTreeMap<String, Value> =
            [("cloud.platform", "aws_lambda"), ("cloud.provider", "aws")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), Value::from(v)))
                .collect();
        assert_eq!(attributes(&resource(&MapEnv(BTreeMap::new()))), expected);
    }

    #[test]
    fn an_xray_header_is_the_parent() {
        let parent = xray_parent(
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        )
        .expect("a valid header");
        let span = parent.span();
        let context = span.span_context();
        assert_eq!(
            context.trace_id(),
            TraceId::from_hex("5759e988bd862e3fe1be46a994272793").unwrap()
        );
        assert_eq!(
            context.span_id(),
            SpanId::from_hex("53995c3f42cd8ad8").unwrap()
        );
        assert_eq!(context.trace_flags(), TraceFlags::SAMPLED);
        assert!(context.is_remote());
    }

    #[test]
    fn a_header_without_a_sampled_parent_span_is_no_parent() {
        for header in [
            "",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
            "Root=not-a-trace;Parent=53995c3f42cd8ad8;Sampled=1",
            "garbage",
        ] {
            assert!(xray_parent(header).is_none(), "{header:?}");
        }
    }
}
