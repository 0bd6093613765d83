//! Items API behind an API Gateway v2 HTTP API and a Lambda Function URL (both send payload
//! format 2.0, which lambda_http turns into an `http::Request` for the axum router).
//!
//! Routes: `GET /health`, `GET /items/{id}`, `POST /items`. Every error is a JSON body
//! `{"error": <code>, "message": <what to do>, "field": <the offending field, when there is one>}`.
pub mod app;
pub mod guard;
pub mod item;
pub mod store;

/// The env vars this function reads: exactly the names its contract declares.
pub mod env {
    /// The DynamoDB table holding the items (contract: tables[name = "items"].env).
    pub const ITEMS_TABLE: &str = "ITEMS_TABLE";
}
