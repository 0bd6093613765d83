//! The AWS SDK config every function builds once, at init.
//!
//! The HTTP client is rustls with the `ring` provider: no C toolchain beyond what `ring` needs, so
//! the arm64 cross build stays simple. `AWS_ENDPOINT_URL` (read by aws-config) points the SDK at a
//! local moto server in tests. Building the config does no network I/O: credentials come from
//! Lambda's env vars and are resolved lazily on the first call.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::{
    Builder,
    tls::{Provider, rustls_provider::CryptoMode},
};

pub async fn sdk_config() -> SdkConfig {
    let http_client = Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client)
        .load()
        .await
}
