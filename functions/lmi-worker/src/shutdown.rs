//! Graceful shutdown for Managed Instances: on SIGTERM take no new work, finish every invocation
//! in flight, then exit 0.
//!
//! [`InFlightLayer`] wraps lambda_runtime's whole invocation service (decode, handler, posting the
//! response), so an invocation counts as in flight until its response has reached the Runtime API.

use std::{
    future::Future,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    task::{Context, Poll},
};

use tokio::sync::Notify;
use tower::{Layer, Service};

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
}
