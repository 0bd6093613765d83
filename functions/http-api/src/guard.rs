//! Runs lambda_http's event conversion so that a malformed event gets a 400, not a panic.
//!
//! lambda_http converts an event into an `http::Request` with `unwrap`/`expect` in places (a body
//! flagged `isBase64Encoded` that is not base64, a path or host that does not parse as a URL).
//! API Gateway and Function URLs never send such events, but the function must answer any input
//! with a structured response, so the conversion (which `Adapter::call` does before returning its
//! future) runs under `catch_unwind` here. This needs the release profile's `panic = "unwind"`.

use std::panic::{AssertUnwindSafe, catch_unwind};

use lambda_http::{
    LambdaEvent, Service,
    aws_lambda_events::{apigw::ApiGatewayV2httpResponse, encodings::Body},
    http::{HeaderMap, HeaderValue, header::CONTENT_TYPE},
    request::LambdaRequest,
};
use serde::Serialize;

/// What the function answers: lambda_http's own response, or the guard's rejection.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Guarded<T> {
    Routed(T),
    Rejected(Box<ApiGatewayV2httpResponse>),
}

/// Calls lambda_http's adapter; an event it cannot convert yields `Err` with a 400 response
/// (boxed: the rejection is rare and large).
pub fn call<S>(
    adapter: &mut S,
    event: LambdaEvent<LambdaRequest>,
) -> Result<S::Future, Box<ApiGatewayV2httpResponse>>
where
    S: Service<LambdaEvent<LambdaRequest>>,
{
    catch_unwind(AssertUnwindSafe(|| adapter.call(event))).map_err(|_| {
        tracing::warn!("rejected an event lambda_http cannot convert into an HTTP request");
        bad_request()
    })
}

fn bad_request() -> Box<ApiGatewayV2httpResponse> {
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = 400;
    response.headers =
        HeaderMap::from_iter([(CONTENT_TYPE, HeaderValue::from_static("application/json"))]);
    response.body = Some(Body::Text(
        serde_json::json!({
            "error": "malformed_event",
            "message": "the event is not a valid HTTP request: check its path, host header and body encoding"
        })
        .to_string(),
    ));
    Box::new(response)
}
