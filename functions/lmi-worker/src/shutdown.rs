//! Graceful shutdown for Managed Instances: on SIGTERM take no new work, finish every invocation
//! in flight, then exit 0.
//!
//! [`InFlightLayer`] wraps lambda_runtime's whole invocation service (decode, handler, posting the
//! response), so an invocation counts as in flight until its response has reached the Runtime API;
//! [`serve_until_sigterm`] serves until SIGTERM, then waits for that count to reach zero.

use std::{
    future::Future,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    task::{Context, Poll},
};

use tokio::{
    signal::unix::{SignalKind, signal},
    sync::Notify,
};
use tower::{Layer, Service};

/// Runs `serve` (the runtime's `run_concurrent`) until it ends or SIGTERM arrives; on SIGTERM,
/// finishes every invocation in flight and returns Ok, so the process exits 0.
pub async fn serve_until_sigterm(
    serve: impl Future<Output = Result<(), lambda_runtime::Error>>,
    in_flight: &InFlight,
) -> Result<(), lambda_runtime::Error> {
    let mut sigterm = signal(SignalKind::terminate())?;
    let sigterm = async move {
        sigterm.recv().await;
    };
    serve_until(serve, sigterm, in_flight).await
}

/// [`serve_until_sigterm`] with any shutdown signal.
pub async fn serve_until(
    serve: impl Future<Output = Result<(), lambda_runtime::Error>>,
    shutdown: impl Future<Output = ()>,
    in_flight: &InFlight,
) -> Result<(), lambda_runtime::Error> {
    tokio::select! {
        result = serve => result,
        () = shutdown => {
            tracing::info!(in_flight = in_flight.count(), "SIGTERM: finishing the invocations in flight");
            in_flight.drained().await;
            tracing::info!("all invocations finished: exiting");
            // Returning drops the runtime's polling tasks, so no new invocation is taken.
            Ok(())
        }
    }
}

/// Counts invocations in flight and wakes a waiter when the count drops to zero.
#[derive(Clone, Default)]
pub struct InFlight {
    inner: Arc<(AtomicUsize, Notify)>,
}

impl InFlight {
    pub fn count(&self) -> usize {
        self.inner.0.load(Ordering::SeqCst)
    }

    /// Resolves once no invocation is in flight.
    pub async fn drained(&self) {
        loop {
            let notified = self.inner.1.notified();
            if self.count() == 0 {
                return;
            }
            notified.await;
        }
    }

    fn enter(&self) -> InFlightGuard {
        self.inner.0.fetch_add(1, Ordering::SeqCst);
        InFlightGuard(self.clone())
    }
}

/// Decrements on drop, so an invocation leaves the count however its future ends.
struct InFlightGuard(InFlight);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        if self.0.inner.0.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.inner.1.notify_waiters();
        }
    }
}

#[derive(Clone)]
pub struct InFlightLayer(pub InFlight);

impl<S> Layer<S> for InFlightLayer {
    type Service = InFlightService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        InFlightService {
            inner,
            in_flight: self.0.clone(),
        }
    }
}

#[derive(Clone)]
pub struct InFlightService<S> {
    inner: S,
    in_flight: InFlight,
}

impl<S, Req> Service<Req> for InFlightService<S>
where
    S: Service<Req>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Req) -> Self::Future {
        let guard = self.in_flight.enter();
        let future = self.inner.call(request);
        Box::pin(async move {
            let result = future.await;
            drop(guard);
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tower::{ServiceExt, service_fn};

    #[tokio::test]
    async fn drained_waits_for_every_call_in_flight() {
        let in_flight = InFlight::default();
        let service =
            InFlightLayer(in_flight.clone()).layer(service_fn(|delay_ms: u64| async move {
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                Ok::<_, std::convert::Infallible>(delay_ms)
            }));
        let calls: Vec<_> = [30, 60, 90]
            .into_iter()
            .map(|ms| tokio::spawn(service.clone().oneshot(ms)))
            .collect();
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(in_flight.count(), 3);
        in_flight.drained().await;
        assert_eq!(in_flight.count(), 0);
        for call in calls {
            assert!(call.is_finished());
        }
    }

    #[tokio::test]
    async fn drained_returns_at_once_when_idle() {
        InFlight::default().drained().await;
    }

    #[tokio::test]
    async fn on_shutdown_serving_ends_once_every_call_in_flight_has_finished() {
        let in_flight = InFlight::default();
        let service =
            InFlightLayer(in_flight.clone()).layer(service_fn(|delay_ms: u64| async move {
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                Ok::<_, std::convert::Infallible>(delay_ms)
            }));
        let calls: Vec<_> = [30, 60]
            .into_iter()
            .map(|ms| tokio::spawn(service.clone().oneshot(ms)))
            .collect();
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(in_flight.count(), 2);
        let result = serve_until(std::future::pending(), async {}, &in_flight).await;
        assert!(result.is_ok());
        assert_eq!(in_flight.count(), 0);
        for call in calls {
            assert!(call.is_finished());
        }
    }

    #[tokio::test]
    async fn a_runtime_error_ends_serving_at_once() {
        let in_flight = InFlight::default();
        let _held = in_flight.enter();
        let result = serve_until(
            async { Err("the Runtime API is gone".into()) },
            std::future::pending(),
            &in_flight,
        )
        .await;
        assert_eq!(result.unwrap_err().to_string(), "the Runtime API is gone");
    }
}
