//! Writes Mozilla's root certificates (webpki-root-certs) as one PEM bundle into OUT_DIR.
//!
//! The AWS SDK's trust store takes PEM only; encoding the ~150 DER certificates here, once per
//! build, keeps that work out of every cold start (see src/aws.rs).

use std::{env, fs, path::PathBuf};

use base64::Engine;

fn main() {
    let mut bundle = String::new();
    for cert in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        let encoded = base64::engine::general_purpose::STANDARD.encode(cert.as_ref());
        bundle.push_str("-----BEGIN CERTIFICATE-----\n");
        for line in encoded.as_bytes().chunks(64) {
            // Base64 output is ASCII, so every chunk is valid UTF-8.
            bundle.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
            bundle.push('\n');
        }
        bundle.push_str("-----END CERTIFICATE-----\n");
    }
    #[allow(
        clippy::disallowed_methods,
        reason = "cargo's variables for build scripts"
    )]
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(out_dir.join("mozilla-roots.pem"), bundle).expect("OUT_DIR is writable");
    println!("cargo::rerun-if-changed=build.rs");
}
