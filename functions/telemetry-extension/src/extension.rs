//! The extension's life: register for SHUTDOWN, listen, subscribe, then wait for SHUTDOWN, when
//! the last batch is waited for and the buffer written.
//!
//! It registers for SHUTDOWN only. An extension registered for INVOKE is part of every
//! invocation: Lambda hands it each INVOKE and ends the invocation only when it has asked for its
//! next event, one more round trip on the function's CPU per invocation (bench/extension.py
//! measures it). The Telemetry API delivers every platform event to a subscriber whatever it
//! registered for, and SHUTDOWN gives it the time to write what it still holds; the timer of
//! [`crate::recorder`] writes the rest within a minute.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use lambda_extension::{Error, Extension, LambdaEvent, NextEvent, service_fn};
use lambda_runtime_api_client::PooledClient;
use tokio::{net::TcpListener, sync::Notify};

use crate::{listener, recorder::Recorder, subscription};

/// The lifecycle events the extension registers for.
pub const EVENTS: [&str; 1] = ["SHUTDOWN"];
/// After SHUTDOWN, how long to wait for the Telemetry API's last batch (twice its buffering
/// timeout), well inside the 2 s Lambda gives extensions to shut down.
pub const LAST_BATCH_WAIT: Duration = Duration::from_millis(2 * subscription::BUFFERING_TIMEOUT_MS);

/// Runs the extension until SHUTDOWN.
pub async fn run() -> Result<(), Error> {
    let shutdown = Arc::new(Notify::new());
    let recorder: Arc<std::sync::OnceLock<Arc<Recorder>>> = Arc::default();
    let events = {
        let (shutdown, recorder) = (shutdown.clone(), recorder.clone());
        service_fn(move |event: LambdaEvent| {
            let (shutdown, recorder) = (shutdown.clone(), recorder.clone());
            async move {
                if let NextEvent::Shutdown(_) = event.next {
                    tokio::time::sleep(LAST_BATCH_WAIT).await;
                    if let Some(recorder) = recorder.get() {
                        recorder.flush();
                    }
                    shutdown.notify_one();
                }
                Ok::<(), Error>(())
            }
        })
    };
    let registered = Extension::new()
        .with_events(&EVENTS)
        .with_events_processor(events)
        .register()
        .await?;

    // Any free port: the subscription says which. Every interface, as lambda-extension's own
    // listener does: the Telemetry API connects from the sandbox's address (sandbox.localdomain).
    let socket = TcpListener::bind(SocketAddr::from(([0, 0, 0, 0], 0))).await?;
    let port = socket.local_addr()?.port();
    let started = Arc::new(Recorder::new(
        &registered.function_name,
        Box::new(std::io::stdout()),
    ));
    let _ = recorder.set(started.clone());
    tokio::spawn(listener::serve(socket, started.clone()));
    tokio::spawn(async move { started.write_when_due().await });
    // Without a subscription the function still runs: metrics are an add-on, never a reason for
    // the environment to fail its init.
    let client = PooledClient::builder().build();
    match subscription::subscribe(&client, &registered.extension_id, port).await {
        Ok(()) => tracing::info!("subscribed to the Telemetry API's platform events"),
        Err(err) => tracing::error!("no metrics from this environment: {err}"),
    }

    tokio::select! {
        result = registered.run() => result,
        () = shutdown.notified() => Ok(()),
    }
}
