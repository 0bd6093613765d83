use http_api::{
    app, env,
    guard::{self, Guarded},
    store::DynamoItemStore,
};
use lambda_http::{Adapter, LambdaEvent, request::LambdaRequest, service_fn};

// One invocation at a time (Lambda's default model): a single-threaded runtime, no worker pool to start.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    common::telemetry::init();
    let table = common::settings::required(env::ITEMS_TABLE, "the name of the items table")?;
    let config = common::aws::sdk_config().await?;
    let store = DynamoItemStore::new(aws_sdk_dynamodb::Client::new(&config), table);
    // What lambda_http::run(router) does, with the guard around lambda_http's event conversion.
    let adapter = Adapter::from(app::router(store, app::system_clock));
    lambda_http::lambda_runtime::run(service_fn(move |event: LambdaEvent<LambdaRequest>| {
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
