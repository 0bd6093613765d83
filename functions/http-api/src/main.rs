use std::process::ExitCode;

use common::{aws::LazyClient, settings::ProcessEnv};
use http_api::{
    app,
    guard::{self, Guarded},
    settings::Settings,
    store::DynamoItemStore,
};
use lambda_http::{Adapter, LambdaEvent, request::LambdaRequest, service_fn};

// One invocation at a time (Lambda's default model): a single-threaded runtime, no worker pool to start.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    common::telemetry::init();
    common::startup::exit_code(serve().await)
}

async fn serve() -> Result<(), lambda_http::Error> {
    let settings = Settings::from_env(&ProcessEnv)?;
    let config = common::aws::sdk_config().await?;
    let client = LazyClient::new(&config, aws_sdk_dynamodb::Client::new);
    let store = DynamoItemStore::new(client, settings.items_table);
    // What lambda_http::run(router) does, with the guard around lambda_http's event conversion.
    let adapter = Adapter::from(app::router(store, app::system_clock));
    common::invocation::run(service_fn(move |event: LambdaEvent<LambdaRequest>| {
        let mut adapter = adapter.clone();
        async move {
            match guard::call(&mut adapter, event) {
                Ok(routed) => routed.await.map(Guarded::Routed),
                Err(rejection) => Ok(Guarded::Rejected(rejection)),
            }
        }
    }))
    .await
}
