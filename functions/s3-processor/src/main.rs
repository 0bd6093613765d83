//! Lambda entry point: reads the settings, builds the S3 and Secrets Manager clients and the cached
//! signing key once, then serves S3 notifications.

use std::fmt::Display;

use aws_lambda_events::s3::S3Event;
use common::{secrets::CachedSecret, settings::ProcessEnv};
use lambda_runtime::{LambdaEvent, service_fn};
use s3_processor::{config::Config, env, handler::handle, store::s3_client};

// One invocation at a time (Lambda's default model): a single-threaded runtime, no worker pool to start.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    common::telemetry::init();
    let config = Config::from_env(&ProcessEnv).map_err(init_failed)?;
    let sdk = common::aws::sdk_config().await.map_err(init_failed)?;
    let secret = CachedSecret::new(
        aws_sdk_secretsmanager::Client::new(&sdk),
        env::SIGNING_KEY_SECRET_ARN,
        config.signing_key_secret_arn.clone(),
        config.secret_ttl,
    );
    let s3 = s3_client(&sdk);
    lambda_runtime::run(service_fn(|event: LambdaEvent<S3Event>| {
        handle(&s3, &secret, &config, event.payload)
    }))
    .await
}

/// Logs why init failed and ends the process with that message.
fn init_failed(err: impl Display) -> lambda_runtime::Error {
    tracing::error!(error = %err, "init failed");
    err.to_string().into()
}
