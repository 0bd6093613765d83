//! One invocation: every record is validated first (bucket, key), so a malformed event writes
//! nothing; then each object is hashed, signed and its manifest written, in record order. Any
//! failure fails the whole invocation: S3 invokes asynchronously and retries, and writing a
//! manifest again is idempotent.

use aws_lambda_events::s3::{S3Event, S3EventRecord};
use common::secrets::{CachedSecret, SecretError, SecretSource};
use lambda_runtime::Diagnostic;
use serde::{Deserialize, Serialize};

use crate::{
    config::Config,
    manifest::{Manifest, decode_key, manifest_key},
    store::ObjectStore,
};

/// The longest object key S3 accepts, in UTF-8 bytes.
pub const MAX_KEY_BYTES: usize = 1024;

/// The invocation's result: one entry per record, in record order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    pub manifests: Vec<ManifestWritten>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestWritten {
    /// The input bucket.
    pub bucket: String,
    /// The decoded object key.
    pub key: String,
    /// Where the manifest was written in the output bucket.
    pub manifest_key: String,
    pub size: u64,
    /// Lower-case hex.
    pub sha256: String,
}

/// Why an invocation failed. Messages name the record or object; never the secret's value.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("record {index} has no {field}")]
    MissingField { index: usize, field: &'static str },
    #[error(
        "record {index} is from bucket {bucket:?}, but this function only processes objects of \
         INPUT_BUCKET {expected:?}"
    )]
    UnexpectedBucket {
        index: usize,
        bucket: String,
        expected: String,
    },
    #[error("record {index} has object key {raw_key:?}, which is not valid UTF-8 once URL-decoded")]
    InvalidKey { index: usize, raw_key: String },
    #[error(
        "record {index} has an object key of {bytes} bytes once URL-decoded: S3 object keys are \
         at most {MAX_KEY_BYTES} bytes"
    )]
    KeyTooLong { index: usize, bytes: usize },
    #[error("could not read object {key:?} from bucket {bucket:?}: {reason}")]
    ReadObject {
        bucket: String,
        key: String,
        reason: String,
    },
    #[error("could not sign the manifest of object {key:?} from bucket {bucket:?}: {cause}")]
    SigningKey {
        bucket: String,
        key: String,
        cause: SecretError,
    },
    #[error("could not build the manifest of object {key:?} from bucket {bucket:?}: {reason}")]
    BuildManifest {
        bucket: String,
        key: String,
        reason: String,
    },
    #[error(
        "could not write manifest {manifest_key:?} to bucket {manifest_bucket:?} for object \
         {key:?} from bucket {bucket:?}: {reason}"
    )]
    WriteManifest {
        bucket: String,
        key: String,
        manifest_bucket: String,
        manifest_key: String,
        reason: String,
    },
}

impl Error {
    /// The `errorType` of the invocation's error response.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::MissingField { .. } => "MissingField",
            Self::UnexpectedBucket { .. } => "UnexpectedBucket",
            Self::InvalidKey { .. } | Self::KeyTooLong { .. } => "InvalidKey",
            Self::ReadObject { .. } => "ReadObjectFailed",
            Self::SigningKey { .. } => "SigningKeyUnavailable",
            Self::BuildManifest { .. } => "BuildManifestFailed",
            Self::WriteManifest { .. } => "WriteManifestFailed",
        }
    }
}

impl From<Error> for Diagnostic {
    fn from(err: Error) -> Self {
        Diagnostic {
            error_type: err.error_type().to_owned(),
            error_message: err.to_string(),
        }
    }
}

/// A record that passed validation: the input bucket and the decoded key.
struct Target {
    bucket: String,
    key: String,
}

fn target(index: usize, record: &S3EventRecord, input_bucket: &str) -> Result<Target, Error> {
    let bucket = record
        .s3
        .bucket
        .name
        .as_deref()
        .filter(|name| !name.is_empty())
        .ok_or(Error::MissingField {
            index,
            field: "s3.bucket.name",
        })?;
    if bucket != input_bucket {
        return Err(Error::UnexpectedBucket {
            index,
            bucket: bucket.to_owned(),
            expected: input_bucket.to_owned(),
        });
    }
    let raw_key = record
        .s3
        .object
        .key
        .as_deref()
        .filter(|key| !key.is_empty())
        .ok_or(Error::MissingField {
            index,
            field: "s3.object.key",
        })?;
    let key = decode_key(raw_key).map_err(|_| Error::InvalidKey {
        index,
        raw_key: raw_key.to_owned(),
    })?;
    // S3 never sends a longer key; checked here because the SDK's request builder panics on a URI
    // it cannot hold instead of returning an error.
    if key.len() > MAX_KEY_BYTES {
        return Err(Error::KeyTooLong {
            index,
            bytes: key.len(),
        });
    }
    Ok(Target {
        bucket: bucket.to_owned(),
        key,
    })
}

/// Handles one S3 notification. The signing key is read at first use (so a record-less event
/// never reads it) and cached by `secret` across invocations.
pub async fn handle<S, K>(
    store: &S,
    secret: &CachedSecret<K>,
    config: &Config,
    event: S3Event,
) -> Result<Response, Error>
where
    S: ObjectStore,
    K: SecretSource,
{
    let result = process(store, secret, config, event).await;
    match &result {
        Ok(response) => tracing::info!(manifests = response.manifests.len(), "event processed"),
        Err(err) => tracing::error!(error = %err, error_type = err.error_type(), "event failed"),
    }
    result
}

async fn process<S, K>(
    store: &S,
    secret: &CachedSecret<K>,
    config: &Config,
    event: S3Event,
) -> Result<Response, Error>
where
    S: ObjectStore,
    K: SecretSource,
{
    let targets = event
        .records
        .iter()
        .enumerate()
        .map(|(index, record)| target(index, record, &config.input_bucket))
        .collect::<Result<Vec<_>, _>>()?;

    let mut manifests = Vec::with_capacity(targets.len());
    for Target { bucket, key } in targets {
        let signing_key = match secret.get().await {
            Ok(value) => value,
            Err(cause) => return Err(Error::SigningKey { bucket, key, cause }),
        };
        let digest = match store.digest(&bucket, &key).await {
            Ok(digest) => digest,
            Err(err) => {
                return Err(Error::ReadObject {
                    bucket,
                    key,
                    reason: err.reason,
                });
            }
        };
        let body = Manifest::signed(&bucket, &key, &digest, signing_key.expose())
            .map_err(|err| err.to_string())
            .and_then(|manifest| serde_json::to_vec(&manifest).map_err(|err| err.to_string()));
        let body = match body {
            Ok(body) => body,
            Err(reason) => {
                return Err(Error::BuildManifest {
                    bucket,
                    key,
                    reason,
                });
            }
        };
        let manifest_key = manifest_key(&config.manifest_prefix, &key);
        if let Err(err) = store
            .put_manifest(&config.output_bucket, &manifest_key, body)
            .await
        {
            return Err(Error::WriteManifest {
                bucket,
                key,
                manifest_bucket: config.output_bucket.clone(),
                manifest_key,
                reason: err.reason,
            });
        }
        tracing::info!(
            bucket = %bucket,
            key = %key,
            manifest_key = %manifest_key,
            size = digest.size,
            "manifest written"
        );
        manifests.push(ManifestWritten {
            bucket,
            key,
            manifest_key,
            size: digest.size,
            sha256: hex::encode(digest.sha256),
        });
    }
    Ok(Response { manifests })
}
