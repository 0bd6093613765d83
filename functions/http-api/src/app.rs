//! The axum router: routes, JSON errors, and the clock used to stamp new items.

use std::{
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Path, State, rejection::BytesRejection, rejection::PathRejection},
    http::{HeaderMap, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Serialize;
use serde_json::Value;

use crate::{
    item::{self, FieldError},
    store::{ItemStore, PutOutcome},
};

/// Bodies above this size are refused before parsing (items are small).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The JSON body of every error response.
#[derive(Debug, Serialize)]
pub struct ApiError {
    #[serde(skip)]
    pub status: StatusCode,
    pub error: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
}

impl ApiError {
    fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            error,
            message: message.into(),
            field: None,
        }
    }
    fn bad_field(field: FieldError) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error: field.code,
            message: field.message,
            field: Some(field.field),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(&self)).into_response()
    }
}

/// Seconds since the epoch, for `created_at`.
pub type Clock = fn() -> i64;

pub fn system_clock() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

struct AppState<S> {
    store: S,
    clock: Clock,
}

pub fn router<S: ItemStore>(store: S, clock: Clock) -> Router {
    let state = Arc::new(AppState { store, clock });
    Router::new()
        .route("/health", get(health))
        .route("/items", axum::routing::post(create_item::<S>))
        .route("/items/{id}", get(get_item::<S>))
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(access_log))
}

/// One line per request; lambda_runtime's invocation span adds the request id to it.
async fn access_log(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    tracing::info!(%method, %path, status = response.status().as_u16(), "request handled");
    response
}

async fn health() -> Json<Value> {
    Json(serde_json::json!({"status": "ok"}))
}

async fn route_not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "route_not_found",
        format!(
            "no route for {method} {}: the routes are GET /health, GET /items/{{id}} and POST /items",
            uri.path()
        ),
    )
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed on {}", uri.path()),
    )
}

async fn get_item<S: ItemStore>(
    State(state): State<Arc<AppState<S>>>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<item::Item>, ApiError> {
    let Ok(Path(id)) = id else {
        return Err(ApiError::bad_field(invalid_id()));
    };
    if !item::is_valid_id(&id) {
        return Err(ApiError::bad_field(invalid_id()));
    }
    match state.store.get(&id).await {
        Ok(Some(item)) => Ok(Json(item)),
        Ok(None) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("item '{id}' not found"),
        )),
        Err(err) => Err(internal(&err)),
    }
}

async fn create_item<S: ItemStore>(
    State(state): State<Arc<AppState<S>>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    if !is_json(&headers) {
        return Err(ApiError {
            status: StatusCode::BAD_REQUEST,
            error: "unsupported_content_type",
            message: "header 'content-type' must be application/json".to_owned(),
            field: Some("content-type"),
        });
    }
    // One condition, one status: the body limit is axum's (set in `router`), so a body over it is
    // a 413 whatever its size.
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                error: "body_too_large",
                message: format!(
                    "the request body is over {MAX_BODY_BYTES} bytes: send at most {MAX_BODY_BYTES}"
                ),
                field: Some("body"),
            }
        } else {
            ApiError {
                status: StatusCode::BAD_REQUEST,
                error: "unreadable_body",
                message: format!(
                    "the request body could not be read: {}",
                    rejection.body_text()
                ),
                field: Some("body"),
            }
        }
    })?;
    let parsed: Value = serde_json::from_slice(&body).map_err(|err| ApiError {
        status: StatusCode::BAD_REQUEST,
        error: "invalid_json",
        message: format!("the request body is not valid JSON: {err}"),
        field: Some("body"),
    })?;
    let new_item = item::validate_new_item(&parsed).map_err(ApiError::bad_field)?;
    let item = new_item.into_item((state.clock)());
    match state.store.put_new(&item).await {
        Ok(PutOutcome::Created) => Ok((
            StatusCode::CREATED,
            [(header::LOCATION, format!("/items/{}", item.id))],
            Json(item),
        )
            .into_response()),
        Ok(PutOutcome::AlreadyExists) => Err(ApiError {
            status: StatusCode::CONFLICT,
            error: "conflict",
            message: format!("item '{}' already exists: choose another id", item.id),
            field: Some("id"),
        }),
        Err(err) => Err(internal(&err)),
    }
}

fn invalid_id() -> FieldError {
    FieldError {
        code: "invalid_field",
        field: "id",
        message: format!("path parameter 'id' is invalid: expected {}", item::ID_RULE),
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// Logs the cause; the client sees no internals.
fn internal(err: &crate::store::StoreError) -> ApiError {
    tracing::error!(error = %err, "item store call failed");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "the item store is unavailable: retry later",
    )
}
