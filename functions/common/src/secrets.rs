//! A Secrets Manager secret read by the ARN an env var holds: fetched at first use, reused until its
//! TTL runs out (so a rotated value is picked up), and never cached when a fetch fails, so the
//! next invocation retries. Errors name the env var and the ARN, never the value.

use std::{fmt, future::Future, sync::Arc, time::Duration};

use tokio::{sync::Mutex, time::Instant};

use crate::settings::EnvVar;

/// A secret's value. Its `Debug` and `Display` never print the value.
#[derive(Clone)]
pub struct SecretValue(Arc<str>);

impl SecretValue {
    pub fn new(value: impl Into<Arc<str>>) -> Self {
        Self(value.into())
    }

    /// The value itself: use it, never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue(<redacted>)")
    }
}

/// Why a source could not return a secret. `reason` must not contain the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError {
    pub reason: String,
}

/// Where secret values come from: Secrets Manager in production, a fake in unit tests.
pub trait SecretSource: Send + Sync {
    fn fetch(
        &self,
        secret_id: &str,
    ) -> impl Future<Output = Result<SecretValue, FetchError>> + Send;
}

impl SecretSource for aws_sdk_secretsmanager::Client {
    async fn fetch(&self, secret_id: &str) -> Result<SecretValue, FetchError> {
        let output = self
            .get_secret_value()
            .secret_id(secret_id)
            .send()
            .await
            .map_err(|err| FetchError {
                // DisplayErrorContext prints the service's error code and message, which name
                // the secret id at most, never the value.
                reason: aws_sdk_secretsmanager::error::DisplayErrorContext(&err).to_string(),
            })?;
        output
            .secret_string
            .map(SecretValue::new)
            .ok_or_else(|| FetchError {
                reason: "the secret has no string value (binary secrets are not supported)"
                    .to_owned(),
            })
    }
}

/// A client built at its first fetch (s3-processor's, see [`crate::aws::LazyClient`]).
impl<C: SecretSource> SecretSource for crate::aws::LazyClient<C> {
    fn fetch(
        &self,
        secret_id: &str,
    ) -> impl Future<Output = Result<SecretValue, FetchError>> + Send {
        self.get().fetch(secret_id)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("could not read the secret {arn} named by {env}: {reason}")]
    Fetch {
        env: &'static str,
        arn: String,
        reason: String,
    },
}

/// One secret, cached. Concurrent first uses share one fetch (the lock is held while fetching).
pub struct CachedSecret<S> {
    source: S,
    env: &'static str,
    arn: String,
    ttl: Duration,
    cached: Mutex<Option<(SecretValue, Instant)>>,
}

impl<S: SecretSource> CachedSecret<S> {
    /// The secret whose ARN `env` holds; fetches nothing yet.
    pub fn new(source: S, env: EnvVar, arn: String, ttl: Duration) -> Self {
        Self {
            source,
            env: env.name(),
            arn,
            ttl,
            cached: Mutex::new(None),
        }
    }

    /// The value: cached while younger than the TTL, else fetched again.
    pub async fn get(&self) -> Result<SecretValue, SecretError> {
        let mut cached = self.cached.lock().await;
        if let Some((value, fetched_at)) = cached.as_ref()
            && fetched_at.elapsed() < self.ttl
        {
            return Ok(value.clone());
        }
        match self.source.fetch(&self.arn).await {
            Ok(value) => {
                *cached = Some((value.clone(), Instant::now()));
                Ok(value)
            }
            Err(FetchError { reason }) => {
                // Drop a stale value too: a rotated-away secret must not outlive its TTL.
                *cached = None;
                Err(SecretError::Fetch {
                    env: self.env,
                    arn: self.arn.clone(),
                    reason,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex as StdMutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const ARN: &str = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:signing-AbCdEf";
    #[allow(clippy::disallowed_methods, reason = "a name made up for these tests")]
    const SECRET_ENV: EnvVar = EnvVar::new("SIGNING_KEY_SECRET_ARN");

    /// Returns the queued results in order and counts the calls.
    #[derive(Default)]
    struct ScriptedSource {
        results: StdMutex<Vec<Result<&'static str, &'static str>>>,
        calls: AtomicUsize,
    }

    impl ScriptedSource {
        fn new(results: Vec<Result<&'static str, &'static str>>) -> Self {
            Self {
                results: StdMutex::new(results.into_iter().rev().collect()),
                calls: AtomicUsize::new(0),
            }
        }
    }

    impl SecretSource for &ScriptedSource {
        async fn fetch(&self, secret_id: &str) -> Result<SecretValue, FetchError> {
            assert_eq!(secret_id, ARN);
            self.calls.fetch_add(1, Ordering::SeqCst);
            let next = self
                .results
                .lock()
                .unwrap()
                .pop()
                .expect("no scripted result left");
            next.map(SecretValue::new).map_err(|reason| FetchError {
                reason: reason.to_owned(),
            })
        }
    }

    fn cached(source: &ScriptedSource, ttl_secs: u64) -> CachedSecret<&ScriptedSource> {
        CachedSecret::new(
            source,
            SECRET_ENV,
            ARN.to_owned(),
            Duration::from_secs(ttl_secs),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn fetches_once_then_reuses_until_the_ttl() {
        let source = ScriptedSource::new(vec![Ok("v1"), Ok("v2")]);
        let secret = cached(&source, 60);
        assert_eq!(secret.get().await.unwrap().expose(), "v1");
        tokio::time::advance(Duration::from_secs(59)).await;
        assert_eq!(secret.get().await.unwrap().expose(), "v1");
        assert_eq!(source.calls.load(Ordering::SeqCst), 1);
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(
            secret.get().await.unwrap().expose(),
            "v2",
            "rotation is picked up after the TTL"
        );
        assert_eq!(source.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_fetch_is_not_cached() {
        let source = ScriptedSource::new(vec![
            Err("ResourceNotFoundException: no such secret"),
            Ok("v1"),
        ]);
        let secret = cached(&source, 60);
        let err = secret.get().await.unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "could not read the secret {ARN} named by SIGNING_KEY_SECRET_ARN: ResourceNotFoundException: no such secret"
            )
        );
        assert_eq!(
            secret.get().await.unwrap().expose(),
            "v1",
            "the next call retries"
        );
        assert_eq!(source.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_first_uses_share_one_fetch() {
        let source = ScriptedSource::new(vec![Ok("v1")]);
        let secret = cached(&source, 60);
        let values = futures_join(&secret).await;
        assert!(values.iter().all(|v| v == "v1"));
        assert_eq!(source.calls.load(Ordering::SeqCst), 1);
    }

    async fn futures_join(secret: &CachedSecret<&ScriptedSource>) -> Vec<String> {
        let (a, b, c) = tokio::join!(secret.get(), secret.get(), secret.get());
        [a, b, c]
            .into_iter()
            .map(|v| v.unwrap().expose().to_owned())
            .collect()
    }

    #[test]
    fn the_value_never_appears_in_debug_output() {
        let value = SecretValue::new("hunter2-very-secret");
        assert_eq!(format!("{value:?}"), "SecretValue(<redacted>)");
    }
}
