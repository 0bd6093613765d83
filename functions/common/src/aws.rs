//! The AWS SDK config every function builds once, at init.
//!
//! The HTTP client is [`crate::https`]: hyper over rustls with the `ring` provider (no C toolchain
//! beyond what `ring` needs, so the arm64 cross build stays simple), trusting Mozilla's root
//! certificates compiled into the binary as parsed trust anchors (build.rs, from
//! webpki-root-certs) instead of the system store: reading the system store costs a directory scan
//! of /etc/ssl/certs (about 150 files) at every cold start, and the compiled-in roots behave the
//! same on every machine. They change only with a rebuild: keep Cargo.lock current.
//! `AWS_ENDPOINT_URL` (read by aws-config) points the SDK at a local moto server in tests.
//! Building the config does no network I/O and parses no certificate: credentials come from
//! Lambda's env vars and are resolved lazily on the first call.

use aws_config::{BehaviorVersion, SdkConfig};

#[derive(Debug, thiserror::Error)]
#[error("the TLS settings of the AWS SDK client are invalid: {0}")]
pub struct TlsSetupError(#[from] rustls::Error);

pub async fn sdk_config() -> Result<SdkConfig, TlsSetupError> {
    let http_client = crate::https::client()?;
    Ok(aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client)
        .load()
        .await)
}
