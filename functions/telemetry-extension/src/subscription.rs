//! The Telemetry API subscription: platform events only, to this extension's listener.

use http::Method;
use lambda_extension::Error;
use lambda_runtime_api_client::{PooledClient, body::Body, build_request};
use serde_json::json;

/// The schema Lambda Managed Instances require; Lambda (default) functions accept it too.
pub const SCHEMA_VERSION: &str = "2025-01-29";
/// How Lambda batches events for us: at most every 100 ms (shutdown waits for the last batch,
/// see main.rs), 1,000 events or 256 KiB.
pub const BUFFERING_TIMEOUT_MS: u64 = 100;

/// The subscription request's body: platform events only, since function and extension logs would
/// cost a delivery per line and feed this extension's own output back to it.
pub fn body(port: u16) -> serde_json::Value {
    json!({
        "schemaVersion": SCHEMA_VERSION,
        "types": ["platform"],
        "buffering": {"maxItems": 1000, "maxBytes": 262_144, "timeoutMs": BUFFERING_TIMEOUT_MS},
        "destination": {"protocol": "HTTP", "URI": format!("http://sandbox.localdomain:{port}")},
    })
}

/// Subscribes the registered extension; Lambda answers 200, aws-lambda-rie 202.
pub async fn subscribe(client: &PooledClient, extension_id: &str, port: u16) -> Result<(), Error> {
    let request = build_request()
        .method(Method::PUT)
        .uri("/2022-07-01/telemetry")
        .header("Lambda-Extension-Identifier", extension_id)
        .header("Content-Type", "application/json")
        .body(Body::from(body(port).to_string()))?;
    let response = client.call(request).await?;
    if !response.status().is_success() {
        return Err(format!(
            "the Telemetry API refused the subscription: {}",
            response.status()
        )
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_events_only_to_our_port() {
        assert_eq!(
            body(41_234),
            json!({
                "schemaVersion": "2025-01-29",
                "types": ["platform"],
                "buffering": {"maxItems": 1000, "maxBytes": 262_144, "timeoutMs": 100},
                "destination": {"protocol": "HTTP", "URI": "http://sandbox.localdomain:41234"},
            })
        );
    }
}
