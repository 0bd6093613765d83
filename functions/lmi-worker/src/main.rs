use std::{process::ExitCode, sync::Arc};

use common::{aws::LazyClient, settings::ProcessEnv};
use lambda_runtime::service_fn;
use lmi_worker::{
    cache::ItemCache,
    handler::{self, AppState},
    settings::Settings,
    shutdown::{self, InFlight, InFlightLayer},
    store::DynamoItemReader,
};

#[tokio::main]
async fn main() -> ExitCode {
    common::telemetry::init();
    common::startup::exit_code(serve().await)
}

async fn serve() -> Result<(), lambda_runtime::Error> {
    let settings = Settings::from_env(&ProcessEnv)?;
    let config = common::aws::sdk_config().await?;
    let client = LazyClient::new(&config, aws_sdk_dynamodb::Client::new);
    let state = Arc::new(AppState {
        reader: DynamoItemReader::new(client, settings.items_table),
        cache: ItemCache::new(settings.cache_ttl),
        panic_on_id: settings.panic_on_item_id,
    });

    let in_flight = InFlight::default();
    let runtime = common::invocation::concurrent_runtime(service_fn(move |event| {
        handler::handle(state.clone(), event)
    }))
    .layer(InFlightLayer(in_flight.clone()));
    shutdown::serve_until_sigterm(runtime.run_concurrent(), &in_flight).await
}
