//! The router through the events AWS sends: API Gateway v2 HTTP API and Function URL payloads
//! decoded by lambda_http exactly as the runtime decodes them.

mod support;

use axum::body::Body;
use http_body_util::BodyExt;
use lambda_http::request::from_str;
use serde_json::{Value, json};
use support::{MemoryStore, fixed_clock};
use tower::ServiceExt;

const POST_ITEM: &str = include_str!("fixtures/apigw-v2-post-item.json");
const GET_ITEM: &str = include_str!("fixtures/function-url-get-item.json");

/// Sends an AWS event through the router; returns status and JSON body.
async fn send(store: &MemoryStore, event: &str) -> (u16, Value) {
    let router = http_api::app::router(store.clone(), fixed_clock);
    let request = from_str(event)
        .expect("fixture decodes")
        .map(|body| Body::from(body.to_vec()));
    let response = router.oneshot(request).await.expect("router is infallible");
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body: Value = serde_json::from_slice(&bytes).expect("every response is JSON");
    (status, body)
}

fn with(event: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut value: Value = serde_json::from_str(event).unwrap();
    edit(&mut value);
    value.to_string()
}

fn get(path: &str) -> String {
    with(GET_ITEM, |e| {
        e["rawPath"] = json!(path);
        e["requestContext"]["http"]["path"] = json!(path);
    })
}

fn post_body(body: &str) -> String {
    with(POST_ITEM, |e| e["body"] = json!(body))
}

#[tokio::test]
async fn health_is_ok() {
    let (status, body) = send(&MemoryStore::default(), &get("/health")).await;
    assert_eq!((status, body), (200, json!({"status": "ok"})));
}

#[tokio::test]
async fn post_creates_then_get_reads_through_a_function_url() {
    let store = MemoryStore::default();
    let (status, body) = send(&store, POST_ITEM).await;
    let expected =
        json!({"id": "widget-1", "name": "Widget", "quantity": 3, "created_at": support::NOW});
    assert_eq!((status, &body), (201, &expected));
    let (status, body) = send(&store, GET_ITEM).await;
    assert_eq!((status, body), (200, expected));
}

#[tokio::test]
async fn a_second_post_with_the_same_id_conflicts() {
    let store = MemoryStore::default();
    send(&store, POST_ITEM).await;
    let (status, body) = send(&store, POST_ITEM).await;
    assert_eq!(status, 409);
    assert_eq!(
        body,
        json!({"error": "conflict", "field": "id", "message": "item 'widget-1' already exists: choose another id"})
    );
}

#[tokio::test]
async fn unknown_item_is_404() {
    let (status, body) = send(&MemoryStore::default(), GET_ITEM).await;
    assert_eq!(
        (status, body),
        (
            404,
            json!({"error": "not_found", "message": "item 'widget-1' not found"})
        )
    );
}

#[tokio::test]
async fn unknown_route_is_404_json() {
    let (status, body) = send(&MemoryStore::default(), &get("/nope")).await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"error": "route_not_found", "message": "no route for GET /nope: the routes are GET /health, GET /items/{id} and POST /items"})
    );
}

#[tokio::test]
async fn wrong_method_is_405_json() {
    let event = with(GET_ITEM, |e| {
        e["requestContext"]["http"]["method"] = json!("DELETE")
    });
    let (status, body) = send(&MemoryStore::default(), &event).await;
    assert_eq!(
        (status, body),
        (
            405,
            json!({"error": "method_not_allowed", "message": "DELETE is not allowed on /items/widget-1"})
        )
    );
}

#[tokio::test]
async fn bad_bodies_are_400_naming_the_field() {
    let cases = [
        ("{\"name\":\"x\"}", "missing_field", "id"),
        ("{\"id\":\"\",\"name\":\"x\"}", "empty_field", "id"),
        ("{\"id\":\"a\",\"name\":\"\"}", "empty_field", "name"),
        (
            "{\"id\":\"a\",\"name\":\"x\",\"quantity\":-2}",
            "invalid_field",
            "quantity",
        ),
        ("{\"id\":\"a\",", "invalid_json", "body"),
        ("", "invalid_json", "body"),
        ("[]", "invalid_body", "body"),
    ];
    for (body, error, field) in cases {
        let (status, response) = send(&MemoryStore::default(), &post_body(body)).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            (response["error"].as_str(), response["field"].as_str()),
            (Some(error), Some(field)),
            "{body}"
        );
    }
}

#[tokio::test]
async fn malformed_json_message_points_at_the_error() {
    let (_, body) = send(&MemoryStore::default(), &post_body("{\"id\":\"a\",")).await;
    assert_eq!(
        body["message"],
        json!("the request body is not valid JSON: EOF while parsing a value at line 1 column 10")
    );
}

#[tokio::test]
async fn wrong_content_type_is_400() {
    let event = with(POST_ITEM, |e| {
        e["headers"]["content-type"] = json!("text/plain")
    });
    let (status, body) = send(&MemoryStore::default(), &event).await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"error": "unsupported_content_type", "field": "content-type", "message": "header 'content-type' must be application/json"})
        )
    );
}

#[tokio::test]
async fn charset_parameter_is_accepted() {
    let event = with(POST_ITEM, |e| {
        e["headers"]["content-type"] = json!("application/json; charset=utf-8")
    });
    let (status, _) = send(&MemoryStore::default(), &event).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn a_base64_body_from_a_function_url_is_decoded() {
    let event = with(POST_ITEM, |e| {
        e["body"] = json!("eyJpZCI6ImIiLCJuYW1lIjoiQiJ9"); // {"id":"b","name":"B"}
        e["isBase64Encoded"] = json!(true);
    });
    let (status, body) = send(&MemoryStore::default(), &event).await;
    assert_eq!((status, body["id"].clone()), (201, json!("b")));
}

#[tokio::test]
async fn an_invalid_path_id_is_400() {
    let (status, body) = send(&MemoryStore::default(), &get("/items/a%20b")).await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"error": "invalid_field", "field": "id", "message": "path parameter 'id' is invalid: expected a string of 1 to 64 letters, digits, '-' or '_'"})
        )
    );
}

#[tokio::test]
async fn a_store_failure_is_500_without_internals() {
    let store = MemoryStore {
        fail: true,
        ..MemoryStore::default()
    };
    let (status, body) = send(&store, GET_ITEM).await;
    assert_eq!(
        (status, body),
        (
            500,
            json!({"error": "internal", "message": "the item store is unavailable: retry later"})
        )
    );
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_whatever_its_size() {
    // Just over the limit, and well over axum's own default limit of 2 MB: one condition, one status.
    for size in [
        http_api::app::MAX_BODY_BYTES + 1,
        100 * 1024,
        3 * 1024 * 1024,
    ] {
        let body = format!("\"{}\"", "x".repeat(size));
        let (status, response) = send(&MemoryStore::default(), &post_body(&body)).await;
        assert_eq!(
            (status, response),
            (
                413,
                json!({
                    "error": "body_too_large",
                    "field": "body",
                    "message": "the request body is over 65536 bytes: send at most 65536"
                })
            ),
            "{size} bytes"
        );
    }
}
