use std::{sync::Arc, time::Duration};

use lambda_runtime::{Runtime, layers::TracingLayer, service_fn};
use lmi_worker::{
    cache::ItemCache,
    env,
    handler::{self, AppState},
    shutdown::{InFlight, InFlightLayer},
    store::DynamoItemReader,
};
use tokio::signal::unix::{SignalKind, signal};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    common::telemetry::init();
    let table = common::settings::required(env::ITEMS_TABLE, "the name of the items table")?;
    let ttl = common::settings::seconds_or(
        env::CACHE_TTL_SECONDS,
        Duration::from_secs(60),
        "a whole number of seconds",
    )?;
    let config = common::aws::sdk_config().await?;
    let state = Arc::new(AppState {
        reader: DynamoItemReader::new(aws_sdk_dynamodb::Client::new(&config), table),
        cache: ItemCache::new(ttl),
        panic_on_id: std::env::var(env::PANIC_ON_ITEM_ID).ok(),
    });

    let in_flight = InFlight::default();
    let runtime = Runtime::new(service_fn(move |event| {
        handler::handle(state.clone(), event)
    }))
    .layer(TracingLayer::new())
    .layer(InFlightLayer(in_flight.clone()));
    let mut sigterm = signal(SignalKind::terminate())?;
    tokio::select! {
        result = runtime.run_concurrent() => result,
        _ = sigterm.recv() => {
            tracing::info!(in_flight = in_flight.count(), "SIGTERM: finishing the invocations in flight");
            in_flight.drained().await;
            tracing::info!("all invocations finished: exiting");
            // Returning drops the runtime's polling tasks, so no new invocation is taken.
            Ok(())
        }
    }
}
