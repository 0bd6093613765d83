//! Lambda entry point: reads the settings and the SDK config once (the S3 and Secrets Manager
//! clients are built at their first use, the signing key fetched and cached then), then serves S3
//! notifications.

use std::process::ExitCode;

use aws_lambda_events::s3::S3Event;
use common::{aws::LazyClient, secrets::CachedSecret, settings::ProcessEnv};
use lambda_runtime::{LambdaEvent, service_fn};
use s3_processor::{config::Config, env, handler::handle, store::s3_client};

// One invocation at a time (Lambda's default model): a single-threaded runtime, no worker pool to start.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    common::telemetry::init();
    common::startup::exit_code(serve().await)
}

async fn serve() -> Result<(), lambda_runtime::Error> {
    let config = Config::from_env(&ProcessEnv)?;
    let sdk = common::aws::sdk_config().await?;
    let secret = CachedSecret::new(
        LazyClient::new(&sdk, aws_sdk_secretsmanager::Client::new),
        env::SIGNING_KEY_SECRET_ARN,
        config.signing_key_secret_arn.clone(),
        config.secret_ttl,
    );
    let s3 = LazyClient::new(&sdk, s3_client);
    common::invocation::run(service_fn(|event: LambdaEvent<S3Event>| {
        handle(&s3, &secret, &config, event.payload)
    }))
    .await
}
