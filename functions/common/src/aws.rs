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
use base64::Engine;

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

/// Mozilla's roots, as the PEM the SDK's trust store takes.
fn compiled_in_roots() -> TrustStore {
    let mut store = TrustStore::empty().with_native_roots(false);
    for cert in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        store.add_pem_certificate(pem(cert.as_ref()));
    }
    store
}

fn pem(der: &[u8]) -> Vec<u8> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 64 + 64);
    out.push_str("-----BEGIN CERTIFICATE-----\n");
    for line in encoded.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compiled_in_roots_are_valid_pem() {
        let roots = webpki_root_certs::TLS_SERVER_ROOT_CERTS;
        assert!(roots.len() > 100, "Mozilla's store has well over 100 roots");
        let pem = String::from_utf8(pem(roots[0].as_ref())).unwrap();
        assert!(
            pem.starts_with("-----BEGIN CERTIFICATE-----\n")
                && pem.ends_with("-----END CERTIFICATE-----\n")
        );
        assert!(pem.lines().all(|line| line.len() <= 64));
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
