//! The AWS SDK config every function builds once, at init, from what Lambda puts in every
//! execution environment (Managed Instances included): the execution role's credentials
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) and the region
//! (`AWS_REGION`, else `AWS_DEFAULT_REGION`); plus the endpoint overrides a test points at a local
//! server (`AWS_ENDPOINT_URL`, and `AWS_ENDPOINT_URL_<SERVICE>` such as `AWS_ENDPOINT_URL_S3`,
//! read as aws-config reads them). A missing credential or region fails the init with a line
//! naming the variable.
//!
//! Why not aws-config's loader: even when it is handed the credentials and the region, it links
//! the default chains it would otherwise run (profile files, SSO, web identity and assume-role
//! through an STS client, ECS container credentials, IMDS) and reads a dozen more settings from
//! the environment and the profile files. Without it each function's zip is about 445 KB smaller
//! (x86_64, deflate 9: sqs-processor 2.47 -> 2.03 MB) and its init about 0.4 ms shorter
//! (bench/RESULTS.md, docs/performance.md). What it reads that this does not: profile files and
//! `AWS_PROFILE`, container credentials (`AWS_CONTAINER_CREDENTIALS_*`, which Lambda uses only for
//! SnapStart, unavailable on `provided.al2023`), IMDS, `AWS_MAX_ATTEMPTS` and `AWS_RETRY_MODE`,
//! `AWS_USE_FIPS_ENDPOINT`, `AWS_USE_DUALSTACK_ENDPOINT`, `AWS_SDK_UA_APP_ID`, the checksum,
//! compression, clock-skew, account-id-endpoint and auth-scheme settings, and
//! `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`: the contract reserves the `AWS_` prefix for Lambda, so a
//! stack cannot set any of them, and the SDK's defaults apply (standard retries, 3 attempts; a
//! 3.1 s connect timeout, as aws-config sets).
//!
//! Outside Lambda, export credentials and a region (`eval "$(aws configure export-credentials
//! --format env)"` and `AWS_REGION`), or build with common's feature `aws-profile`, which falls
//! back to aws-config's default chains (an AWS profile, SSO, ...) when the environment has no
//! credentials or region: `cargo lambda watch --features common/aws-profile`.
//!
//! The HTTP client is [`crate::https`] (hyper over rustls with ring, Mozilla's roots compiled in).
//! Building the config does no network I/O and parses no certificate.

use std::{
    collections::BTreeMap,
    fmt,
    sync::{Arc, OnceLock},
    time::Duration,
};

use aws_credential_types::{Credentials, provider::SharedCredentialsProvider};
use aws_smithy_async::rt::sleep::TokioSleep;
use aws_smithy_runtime_api::client::{behavior_version::BehaviorVersion, http::SharedHttpClient};
use aws_smithy_types::{retry::RetryConfig, timeout::TimeoutConfig};
pub use aws_types::SdkConfig;
use aws_types::{
    region::Region,
    service_config::{LoadServiceConfig, ServiceConfigKey},
};

use crate::platform::{
    AWS_ACCESS_KEY_ID, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL, AWS_REGION, AWS_SECRET_ACCESS_KEY,
    AWS_SESSION_TOKEN,
};
use crate::settings::{EnvSource, EnvVar, ProcessEnv, SettingsError};

/// The SDK's connect timeout, as aws-config's loader sets it.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);

/// Why no SDK config could be built.
#[derive(Debug, thiserror::Error)]
pub enum SdkConfigError {
    #[error("the TLS settings of the AWS SDK client are invalid: {0}")]
    Tls(#[from] rustls::Error),
    /// A credential or the region is missing: the error names the variable (and is the source,
    /// where common::startup finds it).
    #[error("{0}")]
    Setting(#[from] SettingsError),
}

/// The SDK config of this process, from its environment.
pub async fn sdk_config() -> Result<SdkConfig, SdkConfigError> {
    let http_client = crate::https::client()?;
    let environment =
        LambdaEnvironment::read(&ProcessEnv, ProcessEnv::with_prefix(ENDPOINT_PREFIX));
    #[cfg(feature = "aws-profile")]
    if !environment.is_complete() {
        return Ok(environment.load_with_default_chains(http_client).await);
    }
    Ok(environment.config(http_client)?)
}

/// The prefix of the endpoint overrides: `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>`.
const ENDPOINT_PREFIX: &str = AWS_ENDPOINT_URL.name();

const KEY_HINT: &str = "the execution role's access key, which Lambda sets (outside Lambda, export \
     your credentials: eval \"$(aws configure export-credentials --format env)\", or build with \
     common's feature aws-profile)";
const SECRET_HINT: &str = "the secret of AWS_ACCESS_KEY_ID, which Lambda sets";
const REGION_HINT: &str = "the function's region, which Lambda sets (e.g. eu-west-1)";

/// What the environment says about the SDK's settings (each value set and not blank).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaEnvironment {
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    /// `AWS_REGION`, else `AWS_DEFAULT_REGION`.
    pub region: Option<String>,
    /// Every `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` set, by name.
    pub endpoints: BTreeMap<String, String>,
}

impl LambdaEnvironment {
    /// Reads `vars`; `endpoints` are the variables whose names start with `AWS_ENDPOINT_URL`.
    pub fn read(vars: &impl EnvSource, endpoints: BTreeMap<String, String>) -> Self {
        let set = |name: EnvVar| vars.var(name).ok().filter(|value| !value.trim().is_empty());
        Self {
            access_key_id: set(AWS_ACCESS_KEY_ID),
            secret_access_key: set(AWS_SECRET_ACCESS_KEY),
            session_token: set(AWS_SESSION_TOKEN),
            region: set(AWS_REGION).or_else(|| set(AWS_DEFAULT_REGION)),
            endpoints: endpoints
                .into_iter()
                .filter(|(_, url)| !url.trim().is_empty())
                .collect(),
        }
    }

    /// Whether the credentials and the region are all there.
    pub fn is_complete(&self) -> bool {
        self.access_key_id.is_some() && self.secret_access_key.is_some() && self.region.is_some()
    }

    /// The SDK config; an error names the first variable missing.
    pub fn config(self, http_client: SharedHttpClient) -> Result<SdkConfig, SettingsError> {
        let missing = |name: EnvVar, hint| SettingsError::Missing {
            name: name.name(),
            hint,
        };
        let key = self
            .access_key_id
            .ok_or_else(|| missing(AWS_ACCESS_KEY_ID, KEY_HINT))?;
        let secret = self
            .secret_access_key
            .ok_or_else(|| missing(AWS_SECRET_ACCESS_KEY, SECRET_HINT))?;
        let region = self
            .region
            .ok_or_else(|| missing(AWS_REGION, REGION_HINT))?;
        let mut builder = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(http_client)
            .sleep_impl(TokioSleep::new())
            .region(Region::new(region))
            // The keys Lambda sets are the execution role's for the environment's lifetime.
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                key,
                secret,
                self.session_token,
                None,
                "Environment",
            )))
            .retry_config(RetryConfig::standard())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .build(),
            );
        if let Some(url) = self.endpoints.get(ENDPOINT_PREFIX) {
            builder = builder.endpoint_url(url);
        }
        Ok(builder
            .service_config(ServiceEndpoints(self.endpoints))
            .build())
    }

    /// aws-config's loader with what the environment settles, its default chains for the rest.
    #[cfg(feature = "aws-profile")]
    async fn load_with_default_chains(self, http_client: SharedHttpClient) -> SdkConfig {
        use aws_config::environment::EnvironmentVariableCredentialsProvider;

        let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http_client);
        if self.access_key_id.is_some() && self.secret_access_key.is_some() {
            loader = loader.credentials_provider(EnvironmentVariableCredentialsProvider::new());
        }
        if let Some(region) = self.region {
            loader = loader.region(Region::new(region));
        }
        loader.load().await
    }
}

/// An SDK client built at its first use rather than at init: once, shared by every clone.
///
/// Building a client resolves its config and parses its service's endpoint partitions (with the
/// page faults of that code, about a fifth of s3-processor's init CPU for its two clients: perf
/// over 15 starts). At init that time is on every cold start's path; here only an invocation that
/// calls AWS pays it, once per environment (bench/first_call.py bounds that first call). The
/// config itself, and with it the check of the credentials and region, stays at init.
pub struct LazyClient<C> {
    config: SdkConfig,
    build: fn(&SdkConfig) -> C,
    client: Arc<OnceLock<C>>,
}

impl<C> LazyClient<C> {
    /// `build` (e.g. `aws_sdk_dynamodb::Client::new`) runs at the first [`LazyClient::get`].
    pub fn new(config: &SdkConfig, build: fn(&SdkConfig) -> C) -> Self {
        Self {
            config: config.clone(),
            build,
            client: Arc::default(),
        }
    }

    /// The client, built now if this is its first use (concurrent first uses wait for one build).
    pub fn get(&self) -> &C {
        self.client.get_or_init(|| (self.build)(&self.config))
    }
}

impl<C> Clone for LazyClient<C> {
    fn clone(&self) -> Self {
        Self {
            config: self.config.clone(),
            build: self.build,
            client: Arc::clone(&self.client),
        }
    }
}

impl<C> fmt::Debug for LazyClient<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LazyClient")
            .field("built", &self.client.get().is_some())
            .finish_non_exhaustive()
    }
}

/// The per-service endpoint overrides, looked up when a client is built as aws-config's
/// environment config looks them up (`AWS_ENDPOINT_URL_<SERVICE ID, upper case, spaces as _>`,
/// then `AWS_ENDPOINT_URL`), without its profile files.
#[derive(Debug)]
struct ServiceEndpoints(BTreeMap<String, String>);

impl LoadServiceConfig for ServiceEndpoints {
    fn load_config(&self, key: ServiceConfigKey<'_>) -> Option<String> {
        let service = key.service_id().to_uppercase().replace(' ', "_");
        self.0
            .get(&format!("{}_{service}", key.env()))
            .or_else(|| self.0.get(key.env()))
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use aws_credential_types::provider::ProvideCredentials;

    use super::*;
    use crate::settings::MapEnv;

    fn lambda(pairs: &[(&'static str, &'static str)]) -> LambdaEnvironment {
        let endpoints = pairs
            .iter()
            .filter(|(name, _)| name.starts_with(ENDPOINT_PREFIX))
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        LambdaEnvironment::read(&MapEnv(pairs.iter().copied().collect()), endpoints)
    }

    fn http_client() -> SharedHttpClient {
        crate::https::client().expect("the compiled-in TLS settings are valid")
    }

    const LAMBDA: [(&str, &str); 4] = [
        ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_SESSION_TOKEN", "token"),
        ("AWS_REGION", "eu-west-1"),
    ];

    #[tokio::test]
    async fn lambdas_credentials_and_region_make_the_config() {
        let config = lambda(&LAMBDA).config(http_client()).unwrap();
        assert_eq!(config.region(), Some(&Region::new("eu-west-1")));
        assert_eq!(config.endpoint_url(), None);
        let credentials = config
            .credentials_provider()
            .unwrap()
            .provide_credentials()
            .await
            .unwrap();
        assert_eq!(
            (
                credentials.access_key_id(),
                credentials.secret_access_key(),
                credentials.session_token()
            ),
            ("ASIAEXAMPLE", "secret", Some("token"))
        );
        assert_eq!(
            config.retry_config().map(RetryConfig::max_attempts),
            Some(3)
        );
        assert_eq!(
            config
                .timeout_config()
                .and_then(TimeoutConfig::connect_timeout),
            Some(CONNECT_TIMEOUT)
        );
        assert!(config.sleep_impl().is_some() && config.http_client().is_some());
    }

    #[test]
    fn a_missing_or_blank_credential_or_region_names_its_variable() {
        let error = |pairs: &[(&'static str, &'static str)]| {
            lambda(pairs).config(http_client()).unwrap_err().variable()
        };
        assert_eq!(error(&[]), "AWS_ACCESS_KEY_ID");
        assert_eq!(error(&[LAMBDA[1], LAMBDA[3]]), "AWS_ACCESS_KEY_ID");
        assert_eq!(
            error(&[LAMBDA[0], ("AWS_SECRET_ACCESS_KEY", " "), LAMBDA[3]]),
            "AWS_SECRET_ACCESS_KEY"
        );
        assert_eq!(error(&[LAMBDA[0], LAMBDA[1]]), "AWS_REGION");
        assert_eq!(
            lambda(&[]).config(http_client()).unwrap_err().to_string(),
            format!("environment variable AWS_ACCESS_KEY_ID is not set: set it to {KEY_HINT}")
        );
    }

    #[test]
    fn the_session_token_is_optional_and_the_default_region_is_the_fallback() {
        let environment = lambda(&[LAMBDA[0], LAMBDA[1], ("AWS_DEFAULT_REGION", "us-east-1")]);
        assert!(environment.is_complete());
        assert_eq!(environment.session_token, None);
        assert_eq!(environment.region.as_deref(), Some("us-east-1"));
        let both = lambda(&[LAMBDA[3], ("AWS_DEFAULT_REGION", "us-east-1")]);
        assert_eq!(both.region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn endpoint_overrides_are_per_service_first_then_global() {
        let mut pairs = LAMBDA.to_vec();
        pairs.push(("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"));
        pairs.push(("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:5001"));
        pairs.push(("AWS_ENDPOINT_URL_S3", " "));
        let config = lambda(&pairs).config(http_client()).unwrap();
        assert_eq!(config.endpoint_url(), Some("http://127.0.0.1:5000"));
        let service = config.service_config().unwrap();
        let endpoint = |service_id| {
            service.load_config(
                ServiceConfigKey::builder()
                    .service_id(service_id)
                    .env("AWS_ENDPOINT_URL")
                    .profile("endpoint_url")
                    .build()
                    .unwrap(),
            )
        };
        assert_eq!(
            endpoint("Secrets Manager").as_deref(),
            Some("http://127.0.0.1:5001")
        );
        assert_eq!(endpoint("S3").as_deref(), Some("http://127.0.0.1:5000"));
    }

    #[test]
    fn a_lazy_client_is_built_once_at_its_first_use_and_shared_by_its_clones() {
        static BUILDS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        fn build(config: &SdkConfig) -> String {
            BUILDS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            format!("client for {:?}", config.region().map(Region::as_ref))
        }
        let config = lambda(&LAMBDA).config(http_client()).unwrap();
        let lazy = LazyClient::new(&config, build);
        let clone = lazy.clone();
        assert_eq!(
            BUILDS.load(std::sync::atomic::Ordering::SeqCst),
            0,
            "nothing built at init"
        );
        assert_eq!(format!("{clone:?}"), "LazyClient { built: false, .. }");
        assert_eq!(clone.get(), "client for Some(\"eu-west-1\")");
        assert_eq!(lazy.get(), "client for Some(\"eu-west-1\")");
        assert_eq!(BUILDS.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(format!("{lazy:?}"), "LazyClient { built: true, .. }");
    }

    #[cfg(feature = "aws-profile")]
    #[tokio::test]
    async fn with_aws_profile_an_incomplete_environment_falls_back_to_the_default_chains() {
        let environment = lambda(&[("AWS_REGION", "ap-southeast-2")]);
        assert!(!environment.is_complete());
        let config = environment.load_with_default_chains(http_client()).await;
        assert_eq!(config.region(), Some(&Region::new("ap-southeast-2")));
        assert!(config.credentials_provider().is_some(), "the default chain");
    }

    #[tokio::test]
    async fn a_client_calls_its_services_endpoint_signed_with_the_environments_credentials() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = vec![0; 16 * 1024];
            let read = socket.read(&mut request).await.unwrap();
            let body = br#"{"Name":"s","SecretString":"v"}"#;
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\n\r\n",
                body.len()
            );
            socket.write_all(head.as_bytes()).await.unwrap();
            socket.write_all(body).await.unwrap();
            String::from_utf8_lossy(&request[..read]).into_owned()
        });
        let mut pairs: Vec<(String, String)> = LAMBDA
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        // The global override points nowhere: only the service's own may be used.
        pairs.push(("AWS_ENDPOINT_URL".into(), "http://127.0.0.1:9".into()));
        pairs.push(("AWS_ENDPOINT_URL_SECRETS_MANAGER".into(), url));
        let vars = MapEnv(LAMBDA.iter().copied().collect());
        let endpoints = pairs
            .into_iter()
            .filter(|(name, _)| name.starts_with(ENDPOINT_PREFIX))
            .collect();
        let config = LambdaEnvironment::read(&vars, endpoints)
            .config(http_client())
            .unwrap();
        let secret = aws_sdk_secretsmanager::Client::new(&config)
            .get_secret_value()
            .secret_id("s")
            .send()
            .await
            .unwrap();
        assert_eq!(secret.secret_string(), Some("v"));
        let request = server.await.unwrap().to_lowercase();
        assert!(request.starts_with("post / http/1.1\r\n"), "{request}");
        assert!(
            request.contains("x-amz-target: secretsmanager.getsecretvalue"),
            "{request}"
        );
        assert!(
            request.contains("credential=asiaexample/")
                && request.contains("/eu-west-1/secretsmanager/aws4_request"),
            "{request}"
        );
        assert!(request.contains("x-amz-security-token: token"), "{request}");
    }
}
