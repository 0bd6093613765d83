//! The scheduled-job Lambda: hourly, deletes items whose `created_at` (epoch seconds, a number
//! attribute) is older than `RETENTION_DAYS` days before the schedule's `time` from the items
//! table. See the crate docs in `lib.rs` for the retention rule.

use std::process::ExitCode;

use common::{aws::LazyClient, settings::ProcessEnv};
use lambda_runtime::{LambdaEvent, service_fn};
use scheduled_job::{
    handler::{Config, ScheduledEvent, handler},
    settings::Settings,
    store::DynamoTable,
};

// One invocation at a time (Lambda's default model): a single-threaded runtime, no worker pool to start.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    common::telemetry::init();
    common::startup::exit_code(serve().await)
}

async fn serve() -> Result<(), lambda_runtime::Error> {
    let settings = Settings::from_env(&ProcessEnv)?;
    let config = common::aws::sdk_config().await?;
    let client = LazyClient::new(&config, aws_sdk_dynamodb::Client::new);
    let table = DynamoTable::new(client, settings.items_table);
    let config = Config::new(settings.retention_days);
    let (table, config) = (&table, &config);
    common::invocation::run(service_fn(move |event: LambdaEvent<ScheduledEvent>| {
        handler(table, config, event.payload)
    }))
    .await
}
