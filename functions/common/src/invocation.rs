//! How every function serves invocations: lambda_runtime's runtime, with two guards that keep each
//! error response's `errorType` one of ours (README: "Error types").
//!
//! lambda_runtime names two failures after Rust types: an event it cannot deserialize into the
//! handler's payload type (`&lambda_runtime::deserializer::DeserializeError`) and a handler panic
//! (`&alloc::boxed::Box<dyn core::any::Any + core::marker::Send>`). Nobody can match on those in
//! an alarm or a retry policy, and they change with the crate. Here:
//! - [`AnswerBeforeTheHandler`] answers an event that does not deserialize into the payload type
//!   with [`INVALID_EVENT`], naming where it failed, before lambda_runtime tries;
//! - [`CatchPanics`] turns a panic in the handler into [`HANDLER_PANIC`] (the panic itself is
//!   logged as JSON by [`crate::panics`]).
//!
//! And one answer of its own: [`AnswerBeforeTheHandler`] also answers the release step's pre-traffic probe
//! (`{"rustlambdaProbe": "<nonce>"}`, release/pretraffic.py) successfully without calling the
//! handler: every function answers it the same way, with no side effect, once its init has run.
//!
//! [`run`] and [`concurrent_runtime`] assemble them with lambda_runtime's tracing span, and with
//! features `otel` or `otel-lite` export that span as OpenTelemetry after every invocation
//! ([`crate::spans`]).

use std::{
    any::Any,
    fmt::Debug,
    future::{Future, Ready, ready},
    marker::PhantomData,
    panic::{AssertUnwindSafe, catch_unwind},
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use futures::{
    FutureExt,
    future::{CatchUnwind, Either, Map},
};
use http::Method;
use lambda_runtime::{
    Diagnostic, IntoFunctionResponse, LambdaEvent, LambdaInvocation, Runtime,
    layers::TracingLayer,
    tower::{Layer, Service},
};
use lambda_runtime_api_client::{PooledClient, body::Body, build_request};
use serde::{Serialize, de::DeserializeOwned};

/// `errorType` of an event that does not deserialize into the function's event type.
pub const INVALID_EVENT: &str = "InvalidEvent";
/// `errorType` of an invocation whose handler panicked.
pub const HANDLER_PANIC: &str = "HandlerPanic";

/// The key of the release step's pre-traffic probe event: `{"rustlambdaProbe": "<nonce>"}`.
pub const PROBE_KEY: &str = "rustlambdaProbe";

/// The Runtime API header that carries the invocation id (Managed Instances), echoed on `/error`.
const INVOCATION_ID_HEADER: &str = "lambda-runtime-invocation-id";

type BoxError = lambda_runtime::Error;
type Panic = Box<dyn Any + Send + 'static>;

// --- panics --------------------------------------------------------------------------------------

/// Wraps a handler so that a panic, in `call` or while its future runs, becomes a
/// [`HANDLER_PANIC`] error of this invocation only.
#[derive(Clone)]
pub struct CatchPanics<S>(pub S);

/// The diagnostic of a caught panic.
pub fn panic_diagnostic(panic: &Panic) -> Diagnostic {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned());
    Diagnostic {
        error_type: HANDLER_PANIC.to_owned(),
        error_message: crate::panics::payload_text(message.as_deref()),
    }
}

type Outcome<R, E> = Result<Result<R, E>, Panic>;

fn settle<R, E: Into<Diagnostic>>(outcome: Outcome<R, E>) -> Result<R, Diagnostic> {
    match outcome {
        Ok(result) => result.map_err(Into::into),
        Err(panic) => Err(panic_diagnostic(&panic)),
    }
}

impl<S, T> Service<LambdaEvent<T>> for CatchPanics<S>
where
    S: Service<LambdaEvent<T>>,
    S::Error: Into<Diagnostic>,
{
    type Response = S::Response;
    type Error = Diagnostic;
    #[allow(
        clippy::type_complexity,
        reason = "named so the future stays unboxed and Send when S's is"
    )]
    type Future = Either<
        Map<
            CatchUnwind<AssertUnwindSafe<S::Future>>,
            fn(Outcome<S::Response, S::Error>) -> Result<S::Response, Diagnostic>,
        >,
        Ready<Result<S::Response, Diagnostic>>,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, event: LambdaEvent<T>) -> Self::Future {
        match catch_unwind(AssertUnwindSafe(|| self.0.call(event))) {
            Ok(future) => Either::Left(
                AssertUnwindSafe(future)
                    .catch_unwind()
                    .map(settle::<S::Response, S::Error> as fn(_) -> _),
            ),
            Err(panic) => Either::Right(ready(Err(panic_diagnostic(&panic)))),
        }
    }
}

// --- events that do not deserialize --------------------------------------------------------------

/// Why `body` does not deserialize into `T` (None when it does), naming the failing field's path.
pub fn unreadable<T: DeserializeOwned>(body: &[u8]) -> Option<String> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, T>(&mut deserializer)
        .map_err(|err| (err.path().to_string(), err.into_inner()))
        .and_then(|value| {
            deserializer
                .end()
                .map(|()| value)
                .map_err(|err| (".".to_owned(), err))
        }) {
        Ok(_) => None,
        Err((_, err)) if err.is_syntax() || err.is_eof() => {
            Some(format!("the event is not JSON: {err}"))
        }
        Err((path, err)) if path == "." => Some(format!(
            "the event does not match the function's event type: {err}"
        )),
        Err((path, err)) => Some(format!(
            "the event does not match the function's event type at {path}: {err}"
        )),
    }
}

/// Answers, itself, the invocations the handler must not see: the release step's probe
/// ([`PROBE_KEY`]: successfully, with [`probe_answer`], no side effect), and an event that does not
/// deserialize into `T` (an [`INVALID_EVENT`] error, instead of letting lambda_runtime answer with
/// its own type name). Other events pass through (and are deserialized again by lambda_runtime: a
/// few microseconds for an event of a few KB, the price of an error type of our own). One layer
/// for both: every layer nests the runtime's future types one level deeper.
pub struct AnswerBeforeTheHandler<T> {
    client: Arc<PooledClient>,
    payload: PhantomData<fn() -> T>,
}

impl<T> AnswerBeforeTheHandler<T> {
    /// Reads the Runtime API's address from `AWS_LAMBDA_RUNTIME_API`, as lambda_runtime does.
    pub fn new() -> Self {
        Self {
            client: Arc::new(PooledClient::builder().build()),
            payload: PhantomData,
        }
    }
}

impl<T> Default for AnswerBeforeTheHandler<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S, T> Layer<S> for AnswerBeforeTheHandler<T> {
    type Service = BeforeTheHandler<S, T>;

    fn layer(&self, inner: S) -> Self::Service {
        BeforeTheHandler {
            inner,
            client: self.client.clone(),
            payload: PhantomData,
        }
    }
}

/// The service of [`AnswerBeforeTheHandler`].
pub struct BeforeTheHandler<S, T> {
    inner: S,
    client: Arc<PooledClient>,
    payload: PhantomData<fn() -> T>,
}

impl<S: Clone, T> Clone for BeforeTheHandler<S, T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            client: self.client.clone(),
            payload: PhantomData,
        }
    }
}

type Answer = Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send>>;

impl<S, T> BeforeTheHandler<S, T> {
    /// The probe's success response: its nonce back, with the function and version that answered.
    fn answer_probe(&self, invocation: &LambdaInvocation, nonce: &str) -> Answer {
        let config = &invocation.context.env_config;
        let body = probe_answer(nonce, &config.function_name, &config.version);
        tracing::info!(version = %config.version, "answered the release step's pre-traffic probe");
        let request_id = invocation.context.request_id.clone();
        match response_request(&request_id, invocation_id(invocation).as_deref(), body) {
            Ok(request) => send(self.client.clone(), request_id, request),
            Err(err) => Box::pin(ready(Err(err))),
        }
    }
}

impl<S, T> Service<LambdaInvocation> for BeforeTheHandler<S, T>
where
    S: Service<LambdaInvocation, Response = (), Error = BoxError>,
    T: DeserializeOwned,
{
    type Response = ();
    type Error = BoxError;
    type Future = Either<S::Future, Answer>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, invocation: LambdaInvocation) -> Self::Future {
        if let Some(nonce) = probe_nonce(&invocation.body) {
            return Either::Right(self.answer_probe(&invocation, &nonce));
        }
        let Some(reason) = unreadable::<T>(&invocation.body) else {
            return Either::Left(self.inner.call(invocation));
        };
        tracing::warn!(error_type = INVALID_EVENT, "{reason}");
        let diagnostic = Diagnostic {
            error_type: INVALID_EVENT.to_owned(),
            error_message: reason,
        };
        let request_id = invocation.context.request_id.clone();
        match error_request(
            &request_id,
            invocation_id(&invocation).as_deref(),
            &diagnostic,
        ) {
            Ok(request) => Either::Right(send(self.client.clone(), request_id, request)),
            Err(err) => Either::Right(Box::pin(ready(Err(err)))),
        }
    }
}

/// `POST /runtime/invocation/{id}/error`, as lambda_runtime sends it.
fn error_request(
    request_id: &str,
    invocation_id: Option<&str>,
    diagnostic: &Diagnostic,
) -> Result<http::Request<Body>, BoxError> {
    let mut request = build_request()
        .method(Method::POST)
        .uri(format!("/2018-06-01/runtime/invocation/{request_id}/error"))
        .header("lambda-runtime-function-error-type", "unhandled")
        .header("content-type", "application/json");
    if let Some(id) = invocation_id {
        request = request.header(INVOCATION_ID_HEADER, id);
    }
    Ok(request.body(Body::from(serde_json::to_vec(diagnostic)?))?)
}

/// `POST /runtime/invocation/{id}/response` with a JSON body, as lambda_runtime sends it.
fn response_request(
    request_id: &str,
    invocation_id: Option<&str>,
    body: Vec<u8>,
) -> Result<http::Request<Body>, BoxError> {
    let mut request = build_request()
        .method(Method::POST)
        .uri(format!(
            "/2018-06-01/runtime/invocation/{request_id}/response"
        ))
        .header("content-type", "application/json");
    if let Some(id) = invocation_id {
        request = request.header(INVOCATION_ID_HEADER, id);
    }
    Ok(request.body(Body::from(body))?)
}

/// The invocation id header of a Managed Instances invocation, to echo on the answer.
fn invocation_id(invocation: &LambdaInvocation) -> Option<String> {
    invocation
        .parts
        .headers
        .get(INVOCATION_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Sends an answer this layer built itself (not lambda_runtime) to the Runtime API.
fn send(client: Arc<PooledClient>, request_id: String, request: http::Request<Body>) -> Answer {
    Box::pin(async move {
        let response = client.call(request).await?;
        if !response.status().is_success() {
            return Err(format!(
                "the Runtime API refused the answer of invocation {request_id}: {}",
                response.status()
            )
            .into());
        }
        Ok(())
    })
}

// --- the release step's probe --------------------------------------------------------------------

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Probe {
    #[serde(rename = "rustlambdaProbe")]
    nonce: String,
}

/// The nonce of a probe event (exactly `{"rustlambdaProbe": "<nonce>"}`), else None.
pub fn probe_nonce(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<Probe>(body)
        .ok()
        .map(|probe| probe.nonce)
}

/// The probe's answer: the nonce back, and the function and version that answered, so the release
/// step knows the version it asked for started and serves.
pub fn probe_answer(nonce: &str, function: &str, version: &str) -> Vec<u8> {
    serde_json::json!({ "probe": nonce, "function": function, "version": version })
        .to_string()
        .into_bytes()
}

// --- the runtime ---------------------------------------------------------------------------------

/// The layers every runtime gets, inside out: panics caught, the release step's probe and
/// unreadable events answered before the handler,
/// lambda_runtime's span around each invocation; with `otel` or `otel-lite`, the X-Ray parent set
/// inside that span and the spans exported after each response. A macro rather than a function:
/// [`run`] and [`concurrent_runtime`] need the same layers under different bounds (the concurrent
/// one's service must be `Clone + Send`), which one `impl Service` return type cannot carry for both.
macro_rules! guarded_runtime {
    ($handler:expr, $event:ty) => {{
        let runtime =
            Runtime::new(CatchPanics($handler)).layer(AnswerBeforeTheHandler::<$event>::new());
        #[cfg(any(feature = "otel", feature = "otel-lite"))]
        let runtime = runtime.layer(crate::spans::ParentFromXray);
        let runtime = runtime.layer(TracingLayer::new());
        #[cfg(any(feature = "otel", feature = "otel-lite"))]
        let runtime = runtime.layer(crate::spans::ExportSpans);
        runtime
    }};
}

/// `lambda_runtime::run(handler)` with the guards above: one invocation at a time.
pub async fn run<A, F, R, B, St, D, E>(handler: F) -> Result<(), BoxError>
where
    F: Service<LambdaEvent<A>, Response = R>,
    F::Future: Future<Output = Result<R, F::Error>>,
    F::Error: Into<Diagnostic> + Debug,
    A: DeserializeOwned,
    R: IntoFunctionResponse<B, St>,
    B: Serialize,
    St: futures::Stream<Item = Result<D, E>> + Unpin + Send + 'static,
    D: Into<bytes::Bytes> + Send,
    E: Into<BoxError> + Send + Debug,
{
    guarded_runtime!(handler, A).run().await
}

/// The runtime of a function that serves many invocations at once (Managed Instances): the guards
/// above and lambda_runtime's tracing span (exported as in [`run`]); start it with
/// `run_concurrent`, after adding layers of its own.
pub fn concurrent_runtime<A, F, R, B, St, D, E>(
    handler: F,
) -> Runtime<
    impl Service<LambdaInvocation, Response = (), Error = BoxError, Future: Send>
    + Clone
    + Send
    + 'static,
>
where
    F: Service<LambdaEvent<A>, Response = R> + Clone + Send + 'static,
    F::Future: Future<Output = Result<R, F::Error>> + Send + 'static,
    F::Error: Into<Diagnostic> + Debug + Send + 'static,
    A: DeserializeOwned + Send + 'static,
    R: IntoFunctionResponse<B, St> + Send + 'static,
    B: Serialize + Send + 'static,
    St: futures::Stream<Item = Result<D, E>> + Unpin + Send + 'static,
    D: Into<bytes::Bytes> + Send + 'static,
    E: Into<BoxError> + Send + Debug + 'static,
{
    guarded_runtime!(handler, A)
}

#[cfg(test)]
mod tests {
    use lambda_runtime::service_fn;
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code, reason = "only deserialized")]
    struct Order {
        id: String,
        items: Vec<u32>,
    }

    #[test]
    fn an_event_of_the_right_shape_is_readable() {
        assert_eq!(
            unreadable::<Order>(br#"{"id": "a", "items": [1, 2]}"#),
            None
        );
    }

    #[test]
    fn an_unreadable_event_is_named_with_the_failing_path() {
        assert_eq!(
            unreadable::<Order>(br#"{"id": "a", "items": [1, "two"]}"#).as_deref(),
            Some(
                "the event does not match the function's event type at items[1]: invalid type: \
                 string \"two\", expected u32 at line 1 column 30"
            )
        );
        assert_eq!(
            unreadable::<Order>(br#"{"items": []}"#).as_deref(),
            Some(
                "the event does not match the function's event type: missing field `id` at line 1 \
                 column 13"
            )
        );
        assert_eq!(
            unreadable::<Order>(br#"7"#).as_deref(),
            Some(
                "the event does not match the function's event type: invalid type: integer `7`, \
                 expected struct Order at line 1 column 1"
            )
        );
    }

    #[test]
    fn bytes_that_are_not_json_are_said_so() {
        for (body, error) in [
            (&b"\xff\x00"[..], "expected value at line 1 column 1"),
            (
                &br#"{"id": "a""#[..],
                "EOF while parsing an object at line 1 column 10",
            ),
            (
                &br#"{"id": "a", "items": []} trailing"#[..],
                "trailing characters at line 1 column 26",
            ),
        ] {
            assert_eq!(
                unreadable::<Order>(body),
                Some(format!("the event is not JSON: {error}")),
                "{body:?}"
            );
        }
    }

    fn event(payload: u32) -> LambdaEvent<u32> {
        LambdaEvent::new(payload, lambda_runtime::Context::default())
    }

    #[tokio::test]
    async fn a_panic_while_the_handler_runs_is_a_handler_panic() {
        let mut service = CatchPanics(service_fn(|event: LambdaEvent<u32>| async move {
            if event.payload == 13 {
                panic!("unlucky {}", event.payload);
            }
            Ok::<_, Diagnostic>(event.payload * 2)
        }));
        assert_eq!(service.call(event(2)).await, Ok(4));
        assert_eq!(
            service.call(event(13)).await,
            Err(Diagnostic {
                error_type: "HandlerPanic".to_owned(),
                error_message: "unlucky 13".to_owned(),
            })
        );
        assert_eq!(
            service.call(event(3)).await,
            Ok(6),
            "the next invocation is served"
        );
    }

    #[tokio::test]
    async fn a_panic_in_call_itself_and_the_handlers_own_errors_keep_their_types() {
        struct PanicsInCall;
        impl Service<LambdaEvent<u32>> for PanicsInCall {
            type Response = u32;
            type Error = Diagnostic;
            type Future = Ready<Result<u32, Diagnostic>>;
            fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Diagnostic>> {
                Poll::Ready(Ok(()))
            }
            fn call(&mut self, _: LambdaEvent<u32>) -> Self::Future {
                std::panic::panic_any(42_u8)
            }
        }
        let caught = CatchPanics(PanicsInCall).call(event(1)).await;
        assert_eq!(
            caught,
            Err(Diagnostic {
                error_type: "HandlerPanic".to_owned(),
                error_message: "a panic with a payload that is not text".to_owned(),
            })
        );
        let own = Diagnostic {
            error_type: "MissingTime".to_owned(),
            error_message: "no time".to_owned(),
        };
        let returned = own.clone();
        let mut service = CatchPanics(service_fn(move |_: LambdaEvent<u32>| {
            let returned = returned.clone();
            async move { Err::<u32, _>(returned) }
        }));
        assert_eq!(service.call(event(1)).await, Err(own));
    }

    #[test]
    fn only_an_exact_probe_event_is_a_probe() {
        assert_eq!(
            probe_nonce(br#"{"rustlambdaProbe": "n-1"}"#).as_deref(),
            Some("n-1")
        );
        for other in [
            &br#"{"rustlambdaProbe": "n-1", "Records": []}"#[..],
            br#"{"rustlambdaProbe": 7}"#,
            br#"{"probe": "n-1"}"#,
            br#"{}"#,
            b"not json",
        ] {
            assert_eq!(probe_nonce(other), None, "{other:?}");
        }
    }

    #[test]
    fn the_probe_answer_names_the_version_that_answered() {
        let answer: serde_json::Value =
            serde_json::from_slice(&probe_answer("n-1", "rustlambda-dev-http-api", "7")).unwrap();
        assert_eq!(
            answer,
            serde_json::json!({"probe": "n-1", "function": "rustlambda-dev-http-api", "version": "7"})
        );
    }

    #[test]
    fn the_response_request_is_lambda_runtimes() {
        let request = response_request("req-1", Some("inv-1"), b"{}".to_vec()).unwrap();
        assert_eq!(request.method(), Method::POST);
        assert_eq!(
            request.uri(),
            "/2018-06-01/runtime/invocation/req-1/response"
        );
        assert_eq!(request.headers()["lambda-runtime-invocation-id"], "inv-1");
    }

    #[test]
    fn the_error_request_is_lambda_runtimes() {
        let diagnostic = Diagnostic {
            error_type: INVALID_EVENT.to_owned(),
            error_message: "the event is not JSON".to_owned(),
        };
        let request = error_request("req-1", Some("inv-1"), &diagnostic).unwrap();
        assert_eq!(request.method(), Method::POST);
        assert_eq!(request.uri(), "/2018-06-01/runtime/invocation/req-1/error");
        assert_eq!(
            request.headers()["lambda-runtime-function-error-type"],
            "unhandled"
        );
        assert_eq!(request.headers()["lambda-runtime-invocation-id"], "inv-1");
        assert!(request.headers().contains_key("user-agent"));
    }
}
