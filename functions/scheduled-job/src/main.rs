//! The scheduled-job Lambda: hourly, deletes items whose `created_at` (epoch seconds, a number
//! attribute) is older than `RETENTION_DAYS` days before the schedule's `time` from the items
//! table. See the crate docs in `lib.rs` for the retention rule.

use common::settings;
use lambda_runtime::{LambdaEvent, service_fn};
use scheduled_job::{
    env,
    handler::{Config, DEFAULT_RETENTION_DAYS, ScheduledEvent, handler},
    store::DynamoTable,
};

// One invocation at a time (Lambda's default model): a single-threaded runtime, no worker pool to start.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    common::telemetry::init();
    let table_name = settings::required(env::ITEMS_TABLE, "the name of the items table")?;
    let retention_days = settings::positive_or(
        env::RETENTION_DAYS,
        DEFAULT_RETENTION_DAYS,
        "a positive whole number of days to keep items",
    )?;
    let client = aws_sdk_dynamodb::Client::new(&common::aws::sdk_config().await?);
    let table = DynamoTable::new(client, table_name);
    let config = Config::new(retention_days);
    let (table, config) = (&table, &config);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<ScheduledEvent>| {
        handler(table, config, event.payload)
    }))
    .await
}
