//! The object storage calls the handler makes, behind a trait so unit tests use an in-memory fake.

use std::future::Future;

use aws_sdk_s3::{
    error::{DisplayErrorContext, ProvideErrorMetadata, SdkError},
    primitives::ByteStream,
};
use common::aws::{LazyClient, SdkConfig};
use common::{
    platform,
    settings::{EnvSource, ProcessEnv},
};

use crate::manifest::{ObjectDigest, ObjectHasher};

/// Why a storage call failed: the service's error code and message, or the transport error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct StoreError {
    pub reason: String,
}

impl StoreError {
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

pub trait ObjectStore: Send + Sync {
    /// Streams the object through SHA-256, chunk by chunk, counting its bytes.
    fn digest(
        &self,
        bucket: &str,
        key: &str,
    ) -> impl Future<Output = Result<ObjectDigest, StoreError>> + Send;

    /// Writes a manifest (`application/json`).
    fn put_manifest(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The S3 client. With a custom endpoint (`AWS_ENDPOINT_URL` or `AWS_ENDPOINT_URL_S3`, e.g. a
/// local S3 emulator) requests use path-style addressing, which needs no wildcard DNS.
pub fn s3_client(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    let custom_endpoint =
        sdk.endpoint_url().is_some() || ProcessEnv.is_set(platform::AWS_ENDPOINT_URL_S3);
    let config = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(custom_endpoint)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// The S3 client built at its first use (see [`LazyClient`]).
impl ObjectStore for LazyClient<aws_sdk_s3::Client> {
    fn digest(
        &self,
        bucket: &str,
        key: &str,
    ) -> impl Future<Output = Result<ObjectDigest, StoreError>> + Send {
        self.get().digest(bucket, key)
    }

    fn put_manifest(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.get().put_manifest(bucket, key, body)
    }
}

/// `NoSuchKey: The specified key does not exist.` for a service error, the full error chain else.
fn describe<E, R>(err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match (err.code(), err.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => DisplayErrorContext(err).to_string(),
    }
}

impl ObjectStore for aws_sdk_s3::Client {
    async fn digest(&self, bucket: &str, key: &str) -> Result<ObjectDigest, StoreError> {
        let output = self
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|err| StoreError::new(describe(&err)))?;
        let mut body = output.body;
        let mut hasher = ObjectHasher::new();
        while let Some(chunk) = body.try_next().await.map_err(|err| {
            StoreError::new(format!(
                "reading the object's body failed: {}",
                DisplayErrorContext(&err)
            ))
        })? {
            hasher.update(&chunk);
        }
        Ok(hasher.finish())
    }

    async fn put_manifest(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), StoreError> {
        self.put_object()
            .bucket(bucket)
            .key(key)
            .content_type("application/json")
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|err| StoreError::new(describe(&err)))?;
        Ok(())
    }
}
