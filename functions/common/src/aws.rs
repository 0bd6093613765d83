//! The AWS SDK config every function builds once, at init.
//!
//! The HTTP client is rustls with the `ring` provider (no C toolchain beyond what `ring` needs, so
//! the arm64 cross build stays simple) and trusts Mozilla's root certificates compiled into the
//! binary (webpki-root-certs) instead of the system store: reading the system store costs a
//! directory scan of /etc/ssl/certs (about 150 files) at every cold start, and the compiled-in
//! roots behave the same on every machine. They change only with a rebuild: keep Cargo.lock
//! current. `AWS_ENDPOINT_URL` (read by aws-config) points the SDK at a local moto server in
//! tests. Building the config does no network I/O: credentials come from Lambda's env vars and
//! are resolved lazily on the first call.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::{
    Builder,
    tls::{Provider, TlsContext, TrustStore, rustls_provider::CryptoMode},
};

#[derive(Debug, thiserror::Error)]
#[error("the TLS settings of the AWS SDK client are invalid: {0}")]
pub struct TlsSetupError(String);

pub async fn sdk_config() -> Result<SdkConfig, TlsSetupError> {
    let tls = TlsContext::builder()
        .with_trust_store(compiled_in_roots())
        .build()
        .map_err(|err| TlsSetupError(err.to_string()))?;
    let http_client = Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .tls_context(tls)
        .build_https();
    Ok(aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client)
        .load()
        .await)
}

/// Mozilla's roots (webpki-root-certs), as the PEM bundle build.rs wrote.
const MOZILLA_ROOTS_PEM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/mozilla-roots.pem"));

fn compiled_in_roots() -> TrustStore {
    TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(MOZILLA_ROOTS_PEM)
}

#[cfg(test)]
mod tests {
    use base64::Engine;

    use super::*;

    #[test]
    fn the_bundle_holds_exactly_mozillas_roots() {
        let bundle = std::str::from_utf8(MOZILLA_ROOTS_PEM).unwrap();
        let decoded: Vec<Vec<u8>> = bundle
            .split("-----END CERTIFICATE-----\n")
            .filter(|block| !block.is_empty())
            .map(|block| {
                let body = block.strip_prefix("-----BEGIN CERTIFICATE-----\n").unwrap();
                assert!(body.lines().all(|line| line.len() <= 64));
                base64::engine::general_purpose::STANDARD
                    .decode(body.replace('\n', ""))
                    .unwrap()
            })
            .collect();
        let expected: Vec<Vec<u8>> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|cert| cert.as_ref().to_vec())
            .collect();
        assert!(
            expected.len() > 100,
            "Mozilla's store has well over 100 roots"
        );
        assert_eq!(decoded, expected);
    }

    #[test]
    fn the_tls_context_accepts_them() {
        assert!(
            TlsContext::builder()
                .with_trust_store(compiled_in_roots())
                .build()
                .is_ok()
        );
    }
}
