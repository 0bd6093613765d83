//! The settings read once at init. Every error names the env var and what it must hold.

use std::{env::VarError, time::Duration};

use common::settings::{self, SettingsError};

use crate::env;

pub const DEFAULT_MANIFEST_PREFIX: &str = "manifests/";
pub const DEFAULT_SECRET_TTL: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub input_bucket: String,
    pub output_bucket: String,
    pub manifest_prefix: String,
    pub secret_ttl: Duration,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(
        "OUTPUT_BUCKET and INPUT_BUCKET are both {bucket:?}: manifests written to the input bucket \
         would re-trigger the function; set OUTPUT_BUCKET to a separate bucket"
    )]
    SameBucket { bucket: String },
}

impl Config {
    /// Checks that the manifests never land in the bucket that triggers the function.
    pub fn new(
        input_bucket: String,
        output_bucket: String,
        manifest_prefix: String,
        secret_ttl: Duration,
    ) -> Result<Self, ConfigError> {
        if input_bucket == output_bucket {
            return Err(ConfigError::SameBucket {
                bucket: input_bucket,
            });
        }
        Ok(Self {
            input_bucket,
            output_bucket,
            manifest_prefix,
            secret_ttl,
        })
    }

    /// Reads INPUT_BUCKET, OUTPUT_BUCKET (required), MANIFEST_PREFIX and SECRET_TTL_SECONDS.
    pub fn from_env() -> Result<Self, ConfigError> {
        let input_bucket = settings::required(
            env::INPUT_BUCKET,
            "the name of the bucket whose uploads are hashed",
        )?;
        let output_bucket = settings::required(
            env::OUTPUT_BUCKET,
            "the name of the bucket the manifests are written to (not the input bucket)",
        )?;
        let manifest_prefix = match std::env::var(env::MANIFEST_PREFIX) {
            Ok(prefix) => prefix,
            Err(VarError::NotPresent) => DEFAULT_MANIFEST_PREFIX.to_owned(),
            Err(VarError::NotUnicode(value)) => {
                return Err(SettingsError::Invalid {
                    name: env::MANIFEST_PREFIX,
                    value: value.to_string_lossy().into_owned(),
                    hint: "a UTF-8 key prefix for the manifests, such as \"manifests/\"",
                }
                .into());
            }
        };
        let secret_ttl = settings::seconds_or(
            env::SECRET_TTL_SECONDS,
            DEFAULT_SECRET_TTL,
            "a whole number of seconds to reuse the signing key before reading it again",
        )?;
        Self::new(input_bucket, output_bucket, manifest_prefix, secret_ttl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_output_bucket_must_differ_from_the_input_bucket() {
        let err = Config::new(
            "uploads".into(),
            "uploads".into(),
            "manifests/".into(),
            DEFAULT_SECRET_TTL,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "OUTPUT_BUCKET and INPUT_BUCKET are both \"uploads\": manifests written to the input \
             bucket would re-trigger the function; set OUTPUT_BUCKET to a separate bucket"
        );
    }

    #[test]
    fn distinct_buckets_are_accepted() {
        let config = Config::new(
            "uploads".into(),
            "manifests".into(),
            "m/".into(),
            DEFAULT_SECRET_TTL,
        )
        .unwrap();
        assert_eq!(config.output_bucket, "manifests");
        assert_eq!(config.manifest_prefix, "m/");
    }
}
