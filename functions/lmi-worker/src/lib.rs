//! lmi-worker: item lookups for other services, built for Lambda Managed Instances.
//!
//! Workload: a service invokes the function directly (`lambda:InvokeFunction` on its published
//! version) with `{"item_ids": ["a", "b"]}` and gets `{"items": [...], "missing": [...],
//! "cache_hits": n}`. Lookups hit a read-mostly cache shared by every request in the execution
//! environment (an `Arc<AppState>`), falling back to DynamoDB GetItem.
//!
//! On Managed Instances one process serves up to `AWS_LAMBDA_MAX_CONCURRENCY` invocations at once
//! (`lambda_runtime::run_concurrent`); without it, the same binary serves one at a time. A panic in
//! one request is caught by lambda_runtime (the release profile unwinds) and fails that request
//! alone. On SIGTERM the process finishes every request in flight, then exits 0 ([`shutdown`]).
pub mod cache;
pub mod handler;
pub mod shutdown;
pub mod store;

/// The env vars this function reads: exactly the names its contract declares.
pub mod env {
    /// The DynamoDB table holding the items (contract: tables[name = "items"].env).
    pub const ITEMS_TABLE: &str = "ITEMS_TABLE";
    /// Setting: how long a cached item is served before it is read again (seconds).
    pub const CACHE_TTL_SECONDS: &str = "CACHE_TTL_SECONDS";
    /// Fault injection for tests, never set by the stack: a request naming this item id panics.
    pub const PANIC_ON_ITEM_ID: &str = "LMI_PANIC_ON_ITEM_ID";
}
