//! The extension's process: register, listen, subscribe, then follow the Extensions API's events
//! until SHUTDOWN, when the last batch is waited for and the buffer written.

use std::{net::SocketAddr, process::ExitCode, sync::Arc, time::Duration};

use lambda_extension::{Error, Extension, LambdaEvent, NextEvent, service_fn};
use lambda_runtime_api_client::PooledClient;
use telemetry_extension::{listener, subscription};
use tokio::{net::TcpListener, sync::Notify};

/// After SHUTDOWN, how long to wait for the Telemetry API's last batch (twice its buffering
/// timeout), well inside the 2 s Lambda gives extensions to shut down.
const LAST_BATCH_WAIT: Duration = Duration::from_millis(2 * subscription::BUFFERING_TIMEOUT_MS);

// Lambda starts the extension before the runtime and counts its start in the function's init:
// a single-threaded runtime, nothing else to start.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    common::telemetry::init_logs();
    common::startup::exit_code(serve().await)
}

async fn serve() -> Result<(), Error> {
    let shutdown = Arc::new(Notify::new());
    let telemetry: Arc<std::sync::OnceLock<Arc<listener::Telemetry>>> = Arc::default();
    let events = {
        let (shutdown, telemetry) = (shutdown.clone(), telemetry.clone());
        service_fn(move |event: LambdaEvent| {
            let (shutdown, telemetry) = (shutdown.clone(), telemetry.clone());
            async move {
                if let NextEvent::Shutdown(_) = event.next {
                    tokio::time::sleep(LAST_BATCH_WAIT).await;
                    if let Some(telemetry) = telemetry.get() {
                        telemetry.flush();
                    }
                    shutdown.notify_one();
                }
                Ok::<(), Error>(())
            }
        })
    };
    let registered = Extension::new()
        .with_events(&["INVOKE", "SHUTDOWN"])
        .with_events_processor(events)
        .register()
        .await?;

    // Any free port: the subscription says which. Every interface, as lambda-extension's own
    // listener does: the Telemetry API connects from the sandbox's address (sandbox.localdomain).
    let socket = TcpListener::bind(SocketAddr::from(([0, 0, 0, 0], 0))).await?;
    let port = socket.local_addr()?.port();
    let state = Arc::new(listener::Telemetry::new(
        &registered.function_name,
        Box::new(std::io::stdout()),
    ));
    let _ = telemetry.set(state.clone());
    tokio::spawn(listener::serve(socket, state));
    // Without a subscription the function still runs: metrics are an add-on, never a reason for
    // the environment to fail its init.
    match subscription::subscribe(
        &PooledClient::builder().build(),
        &registered.extension_id,
        port,
    )
    .await
    {
        Ok(()) => tracing::info!("subscribed to the Telemetry API's platform events"),
        Err(err) => tracing::error!("no metrics from this environment: {err}"),
    }

    tokio::select! {
        result = registered.run() => result,
        () = shutdown.notified() => Ok(()),
    }
}
