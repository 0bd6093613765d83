//! Every env var the function reads, read once at init; every error names the env var and what
//! it must hold. The contract test runs the same function (tests/contract.rs), so the names read
//! here are checked against Cargo.toml.

use std::time::Duration;

use common::settings::{self, EnvSource, SettingsError};

use crate::env;

pub const DEFAULT_MANIFEST_PREFIX: &str = "manifests/";
pub const DEFAULT_SECRET_TTL: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub input_bucket: String,
    pub output_bucket: String,
    pub manifest_prefix: String,
    pub secret_ttl: Duration,
    /// The ARN of the Secrets Manager secret whose string value is the HMAC key.
    pub signing_key_secret_arn: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    // The setting is the source, so that common::startup names its variable.
    #[error("{0}")]
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
        signing_key_secret_arn: String,
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
            signing_key_secret_arn,
        })
    }

    /// Reads INPUT_BUCKET, OUTPUT_BUCKET, SIGNING_KEY_SECRET_ARN (required), MANIFEST_PREFIX and
    /// SECRET_TTL_SECONDS.
    pub fn from_env(vars: &impl EnvSource) -> Result<Self, ConfigError> {
        let input_bucket = settings::required(
            vars,
            env::INPUT_BUCKET,
            "the name of the bucket whose uploads are hashed",
        )?;
        let output_bucket = settings::required(
            vars,
            env::OUTPUT_BUCKET,
            "the name of the bucket the manifests are written to (not the input bucket)",
        )?;
        let manifest_prefix = settings::string_or(
            vars,
            env::MANIFEST_PREFIX,
            DEFAULT_MANIFEST_PREFIX,
            "a UTF-8 key prefix for the manifests, such as \"manifests/\"",
        )?;
        let secret_ttl = settings::seconds_or(
            vars,
            env::SECRET_TTL_SECONDS,
            DEFAULT_SECRET_TTL,
            "a whole number of seconds to reuse the signing key before reading it again",
        )?;
        let signing_key_secret_arn = settings::required(
            vars,
            env::SIGNING_KEY_SECRET_ARN,
            "the ARN of the secret that holds the signing key",
        )?;
        Self::new(
            input_bucket,
            output_bucket,
            manifest_prefix,
            secret_ttl,
            signing_key_secret_arn,
        )
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::env::VarError;

    use common::settings::EnvVar;

    use super::*;

    const ARN: &str = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:key-AbCdEf";

    /// The env of a deployed function, minus `unset`.
    struct Deployed {
        unset: &'static str,
    }

    impl EnvSource for Deployed {
        fn var(&self, name: EnvVar) -> Result<String, VarError> {
            let values = BTreeMap::from([
                (env::INPUT_BUCKET, "uploads"),
                (env::OUTPUT_BUCKET, "manifests"),
                (env::SIGNING_KEY_SECRET_ARN, ARN),
                (env::SECRET_TTL_SECONDS, "60"),
            ]);
            match values.get(&name) {
                Some(value) if name.name() != self.unset => Ok((*value).to_owned()),
                _ => Err(VarError::NotPresent),
            }
        }
    }

    #[test]
    fn every_setting_is_read_and_the_prefix_has_a_default() {
        assert_eq!(
            Config::from_env(&Deployed { unset: "" }),
            Ok(Config {
                input_bucket: "uploads".into(),
                output_bucket: "manifests".into(),
                manifest_prefix: DEFAULT_MANIFEST_PREFIX.into(),
                secret_ttl: Duration::from_secs(60),
                signing_key_secret_arn: ARN.into(),
            })
        );
    }

    #[test]
    fn a_missing_reference_names_the_env_var() {
        for (name, what) in [
            (
                "INPUT_BUCKET",
                "the name of the bucket whose uploads are hashed",
            ),
            (
                "SIGNING_KEY_SECRET_ARN",
                "the ARN of the secret that holds the signing key",
            ),
        ] {
            assert_eq!(
                Config::from_env(&Deployed { unset: name })
                    .unwrap_err()
                    .to_string(),
                format!("environment variable {name} is not set: set it to {what}")
            );
        }
    }

    #[test]
    fn the_output_bucket_must_differ_from_the_input_bucket() {
        let err = Config::new(
            "uploads".into(),
            "uploads".into(),
            "manifests/".into(),
            DEFAULT_SECRET_TTL,
            ARN.into(),
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
            ARN.into(),
        )
        .unwrap();
        assert_eq!(config.output_bucket, "manifests");
        assert_eq!(config.manifest_prefix, "m/");
    }
}
