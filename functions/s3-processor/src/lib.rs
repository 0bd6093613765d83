//! s3-processor: for each object created under the input bucket's trigger prefix, streams the object
//! through SHA-256 and writes `{MANIFEST_PREFIX}{key}.json` to the output bucket, a JSON manifest
//! signed with HMAC-SHA256 under a key read from Secrets Manager.
//! - [`config`]: the settings read from env at init (and the input/output bucket check).
//! - [`manifest`]: pure functions: key decoding, hashing, signing, the manifest body.
//! - [`store`]: the [`store::ObjectStore`] trait and its S3 implementation.
//! - [`handler`]: one invocation: validate every record, then hash, sign and write in record order.
pub mod config;
pub mod handler;
pub mod manifest;
pub mod store;

/// The env var names this function reads (the contract in Cargo.toml declares each of them).
pub mod env {
    /// Reference: the bucket whose uploads trigger the function (read with s3:GetObject).
    pub const INPUT_BUCKET: &str = "INPUT_BUCKET";
    /// Reference: the bucket the manifests are written to (s3:PutObject); never the input bucket.
    pub const OUTPUT_BUCKET: &str = "OUTPUT_BUCKET";
    /// Reference: the ARN of the Secrets Manager secret whose string value is the HMAC key.
    pub const SIGNING_KEY_SECRET_ARN: &str = "SIGNING_KEY_SECRET_ARN";
    /// Setting: the key prefix of manifests in the output bucket (default `manifests/`).
    pub const MANIFEST_PREFIX: &str = "MANIFEST_PREFIX";
    /// Setting: how long the signing key is reused before it is read again (default 300 s).
    pub const SECRET_TTL_SECONDS: &str = "SECRET_TTL_SECONDS";

    /// The env vars naming resources the stack wires (buckets, secrets).
    pub const REFERENCES: [&str; 3] = [INPUT_BUCKET, OUTPUT_BUCKET, SIGNING_KEY_SECRET_ARN];
    /// The env vars holding plain settings, declared in `[package.metadata.lambda.deploy.env]`.
    pub const SETTINGS: [&str; 2] = [MANIFEST_PREFIX, SECRET_TTL_SECONDS];
}
