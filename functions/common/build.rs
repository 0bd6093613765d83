//! Turns Mozilla's root certificates (webpki-root-certs) into rustls trust anchors, as Rust source
//! in OUT_DIR: the subject, public key and name constraints that rustls keeps of each root, parsed
//! here once per build instead of at every cold start (see src/https.rs).
//!
//! This is what webpki-roots ships, generated from the same CCADB report; it is generated here
//! because webpki-roots' latest release (1.0.10) still lists two roots that Mozilla has since
//! removed and webpki-root-certs 1.0.11 no longer does. A unit test checks the output against
//! webpki-root-certs parsed at test time.

use std::{env, fmt::Write as _, fs, path::PathBuf};

fn bytes(der: &[u8]) -> String {
    let mut literal = String::with_capacity(4 * der.len() + 3);
    literal.push_str("b\"");
    for byte in der {
        write!(literal, "\\x{byte:02x}").expect("writing to a String");
    }
    literal.push('"');
    literal
}

fn main() {
    let mut source = String::from(
        "/// Mozilla's roots (webpki-root-certs), each as the trust anchor rustls keeps of it.\n\
         pub(crate) const MOZILLA_ROOTS: &[TrustAnchor<'static>] = &[\n",
    );
    for cert in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        let anchor = webpki::anchor_from_trusted_cert(cert).expect("Mozilla's roots parse");
        let name_constraints = match &anchor.name_constraints {
            Some(der) => format!("Some(Der::from_slice({}))", bytes(der)),
            None => "None".to_owned(),
        };
        writeln!(
            source,
            "    TrustAnchor {{ subject: Der::from_slice({}), subject_public_key_info: Der::from_slice({}), name_constraints: {name_constraints} }},",
            bytes(&anchor.subject),
            bytes(&anchor.subject_public_key_info),
        )
        .expect("writing to a String");
    }
    source.push_str("];\n");
    #[allow(
        clippy::disallowed_methods,
        reason = "cargo's variables for build scripts"
    )]
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(out_dir.join("mozilla_roots.rs"), source).expect("OUT_DIR is writable");
    println!("cargo::rerun-if-changed=build.rs");
}
