//! JSON logs for CloudWatch: one object per line, filtered by `RUST_LOG` (default `info`).

use tracing_subscriber::EnvFilter;

/// The span lambda_runtime opens around every invocation (fields `requestId`, `xrayTraceId`).
/// It is always enabled, whatever `RUST_LOG` says, so that every line an invocation logs
/// carries its request id.
const INVOCATION_SPAN_DIRECTIVE: &str = "lambda_runtime::layers::trace=info";

/// Installs the global subscriber. Call once, first thing in `main`.
pub fn init() {
    let user_filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_owned());
    let filter = EnvFilter::try_new(format!("{user_filter},{INVOCATION_SPAN_DIRECTIVE}"))
        .unwrap_or_else(|_| EnvFilter::new(format!("info,{INVOCATION_SPAN_DIRECTIVE}")));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .flatten_event(true)
        .with_target(true)
        .with_ansi(false)
        .init();
}
