use std::sync::Arc;

use common::settings::ProcessEnv;
use lambda_runtime::{Runtime, layers::TracingLayer, service_fn};
use lmi_worker::{
    cache::ItemCache,
    handler::{self, AppState},
    settings::Settings,
    shutdown::{self, InFlight, InFlightLayer},
    store::DynamoItemReader,
};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    common::telemetry::init();
    let settings = Settings::from_env(&ProcessEnv)?;
    let config = common::aws::sdk_config().await?;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let state = Arc::new(AppState {
        reader: DynamoItemReader::new(client, settings.items_table),
        cache: ItemCache::new(settings.cache_ttl),
        panic_on_id: settings.panic_on_item_id,
    });

    let in_flight = InFlight::default();
    let runtime = Runtime::new(service_fn(move |event| {
        handler::handle(state.clone(), event)
    }))
    .layer(TracingLayer::new())
    .layer(InFlightLayer(in_flight.clone()));
    shutdown::serve_until_sigterm(runtime.run_concurrent(), &in_flight).await
}
