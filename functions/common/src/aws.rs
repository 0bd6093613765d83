//! The AWS SDK config every function builds once, at init.
//!
//! The HTTP client is [`crate::https`]: hyper over rustls with the `ring` provider (no C toolchain
//! beyond what `ring` needs, so the arm64 cross build stays simple), trusting Mozilla's root
//! certificates compiled into the binary as parsed trust anchors (build.rs, from
//! webpki-root-certs) instead of the system store: reading the system store costs a directory scan
//! of /etc/ssl/certs (about 150 files) at every cold start, and the compiled-in roots behave the
//! same on every machine. They change only with a rebuild: keep Cargo.lock current.
//! `AWS_ENDPOINT_URL` (read by aws-config) points the SDK at a local moto server in tests.
//! Building the config does no network I/O and parses no certificate: credentials come from
//! Lambda's env vars and are resolved lazily on the first call.
//!
//! Lambda puts the execution role's credentials and the region in every environment's env vars,
//! and aws-config's default chains look there first, so when they are set they are handed to the
//! loader directly (see [`LambdaEnvironment`]): the same credentials and region, without building
//! the chains' other providers (the profile files, SSO, web identity through an STS client, ECS,
//! IMDS), which costs about 0.13 ms of every cold start (measured: `aws_config` load 226 µs with
//! the default chains, 62 µs with both given, x86_64 release, P50 of 40 processes). Anywhere else
//! (`cargo lambda watch` with an AWS profile), the default chains run as before.

use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::{BehaviorVersion, ConfigLoader, Region, SdkConfig};

use crate::platform::{AWS_ACCESS_KEY_ID, AWS_REGION, AWS_SECRET_ACCESS_KEY};
use crate::settings::{EnvSource, ProcessEnv};

#[derive(Debug, thiserror::Error)]
#[error("the TLS settings of the AWS SDK client are invalid: {0}")]
pub struct TlsSetupError(#[from] rustls::Error);

pub async fn sdk_config() -> Result<SdkConfig, TlsSetupError> {
    let http_client = crate::https::client()?;
    let loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http_client);
    Ok(LambdaEnvironment::read(&ProcessEnv)
        .apply(loader)
        .load()
        .await)
}

/// What Lambda's env vars already say about the SDK's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaEnvironment {
    /// The access key and the secret are both set: the environment credentials provider (the
    /// default chain's first) will answer, with the session token when there is one.
    pub env_credentials: bool,
    /// `AWS_REGION`, the default region chain's first source, when set and not blank.
    pub region: Option<String>,
}

impl LambdaEnvironment {
    pub fn read(vars: &impl EnvSource) -> Self {
        let set = |name| vars.var(name).is_ok_and(|value| !value.trim().is_empty());
        Self {
            env_credentials: set(AWS_ACCESS_KEY_ID) && set(AWS_SECRET_ACCESS_KEY),
            region: vars
                .var(AWS_REGION)
                .ok()
                .filter(|region| !region.trim().is_empty()),
        }
    }

    /// The loader with what the environment settles given directly; the rest stays aws-config's.
    pub fn apply(self, mut loader: ConfigLoader) -> ConfigLoader {
        if self.env_credentials {
            loader = loader.credentials_provider(EnvironmentVariableCredentialsProvider::new());
        }
        if let Some(region) = self.region {
            loader = loader.region(Region::new(region));
        }
        loader
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::MapEnv;

    fn lambda(pairs: &[(&'static str, &'static str)]) -> LambdaEnvironment {
        LambdaEnvironment::read(&MapEnv(pairs.iter().copied().collect()))
    }

    #[test]
    fn lambdas_credentials_and_region_are_taken_from_the_environment() {
        let environment = lambda(&[
            ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_SESSION_TOKEN", "token"),
            ("AWS_REGION", "eu-west-1"),
        ]);
        assert_eq!(
            environment,
            LambdaEnvironment {
                env_credentials: true,
                region: Some("eu-west-1".to_string()),
            }
        );
    }

    #[test]
    fn without_both_keys_or_with_blank_values_the_default_chains_decide() {
        let none = LambdaEnvironment {
            env_credentials: false,
            region: None,
        };
        assert_eq!(lambda(&[]), none);
        assert_eq!(lambda(&[("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE")]), none);
        assert_eq!(
            lambda(&[
                ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"),
                ("AWS_SECRET_ACCESS_KEY", " "),
                ("AWS_REGION", ""),
            ]),
            none
        );
    }

    #[tokio::test]
    async fn the_region_given_is_the_configs_region() {
        let http_client = crate::https::client().expect("the compiled-in TLS settings are valid");
        let loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http_client);
        let environment = lambda(&[("AWS_REGION", "ap-southeast-2")]);
        let config = environment.apply(loader).load().await;
        assert_eq!(config.region(), Some(&Region::new("ap-southeast-2")));
    }
}
