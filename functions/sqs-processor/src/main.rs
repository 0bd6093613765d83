//! The Lambda entry point: settings and the SDK config once at init (the DynamoDB client at its
//! first use), then one batch per invocation.

use std::process::ExitCode;

use aws_lambda_events::sqs::SqsEvent;
use common::{aws::LazyClient, settings::ProcessEnv};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use sqs_processor::{handler, settings::Settings, store::DynamoOrderStore};

// One invocation at a time (Lambda's default model): a single-threaded runtime, no worker pool to start.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    common::telemetry::init();
    common::startup::exit_code(serve().await)
}

async fn serve() -> Result<(), Error> {
    let settings = Settings::from_env(&ProcessEnv)?;
    let config = common::aws::sdk_config().await?;
    let store = DynamoOrderStore::new(
        LazyClient::new(&config, aws_sdk_dynamodb::Client::new),
        settings.orders_table,
    );
    common::invocation::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        handler::handle(&store, event.payload)
    }))
    .await
}
