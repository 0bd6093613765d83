//! The HTTP endpoint the Telemetry API POSTs batches to, and what is done with each batch.
//!
//! Hand-written on hyper (already in the dependency tree through lambda-extension) because
//! lambda-extension's own telemetry listener deserializes a whole batch into its closed enum of
//! event types: one event of a type it does not know (`platform.restoreReport`, any type Lambda
//! adds) makes it refuse the whole batch, losing the reports beside it. Here each event is read
//! on its own ([`crate::events`]).

use std::{
    convert::Infallible,
    io::Write,
    sync::{Arc, Mutex},
    time::Duration,
};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::{events::parse_batch, metrics::Buffer};

/// A batch larger than this is refused (Lambda's largest is the subscription's `maxBytes`).
pub const MAX_BATCH_BYTES: usize = 1024 * 1024;

/// The buffer and where its documents go (stdout in Lambda).
pub struct Telemetry {
    buffer: Mutex<Buffer>,
    out: Mutex<Box<dyn Write + Send>>,
}

impl Telemetry {
    pub fn new(function_name: &str, out: Box<dyn Write + Send>) -> Self {
        Self {
            buffer: Mutex::new(Buffer::new(function_name)),
            out: Mutex::new(out),
        }
    }

    /// Takes one batch as the Telemetry API POSTs it; the status to answer with.
    pub fn receive(&self, body: &[u8]) -> StatusCode {
        let batch = match parse_batch(body) {
            Ok(batch) => batch,
            Err(err) => {
                tracing::warn!("{err}");
                return StatusCode::BAD_REQUEST;
            }
        };
        if batch.malformed > 0 {
            tracing::warn!(
                malformed = batch.malformed,
                "ignored {} telemetry events that do not have the Telemetry API's shape",
                batch.malformed
            );
        }
        let documents = match self.buffer.lock() {
            Ok(mut buffer) => buffer.add(&batch.samples),
            Err(_) => return StatusCode::INTERNAL_SERVER_ERROR,
        };
        self.write(&documents);
        StatusCode::OK
    }

    /// Writes whatever is buffered (at SHUTDOWN).
    pub fn flush(&self) {
        let document = self
            .buffer
            .lock()
            .ok()
            .and_then(|mut buffer| buffer.flush());
        self.write(document.as_slice());
    }

    fn write(&self, documents: &[String]) {
        if documents.is_empty() {
            return;
        }
        if let Ok(mut out) = self.out.lock() {
            for document in documents {
                // Nothing else to report a broken stdout to: the metrics are lost either way.
                let _ = writeln!(out, "{document}");
            }
            let _ = out.flush();
        }
    }
}

/// Serves the Telemetry API's POSTs until the process ends.
pub async fn serve(listener: TcpListener, telemetry: Arc<Telemetry>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(err) => {
                tracing::warn!("could not accept a telemetry connection: {err}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let telemetry = telemetry.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| handle(telemetry.clone(), request));
            if let Err(err) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!("telemetry connection ended: {err}");
            }
        });
    }
}

async fn handle(
    telemetry: Arc<Telemetry>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let status = if request.method() == Method::POST {
        match Limited::new(request.into_body(), MAX_BATCH_BYTES)
            .collect()
            .await
        {
            Ok(body) => telemetry.receive(&body.to_bytes()),
            Err(err) => {
                tracing::warn!("refused a telemetry batch: {err}");
                StatusCode::PAYLOAD_TOO_LARGE
            }
        }
    } else {
        StatusCode::METHOD_NOT_ALLOWED
    };
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    /// What the telemetry wrote, shared with the test.
    #[derive(Clone, Default)]
    struct Out(Arc<Mutex<Vec<u8>>>);

    impl Write for Out {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::Error::other("poisoned"))?
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Out {
        fn lines(&self) -> Vec<Value> {
            let bytes = self.0.lock().unwrap().clone();
            String::from_utf8(bytes)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        }
    }

    fn report(time: &str, duration: f64) -> Value {
        json!({"time": time, "type": "platform.report", "record": {"requestId": "r", "status": "success",
            "metrics": {"durationMs": duration, "billedDurationMs": 2, "maxMemoryUsedMB": 20, "memorySizeMB": 128}}})
    }

    #[test]
    fn batches_are_buffered_and_written_at_shutdown() {
        let out = Out::default();
        let telemetry = Telemetry::new("f", Box::new(out.clone()));
        let batch = json!([report("2022-10-12T00:01:15Z", 1.5)]).to_string();
        assert_eq!(telemetry.receive(batch.as_bytes()), StatusCode::OK);
        assert_eq!(out.lines(), Vec::<Value>::new());
        telemetry.flush();
        let [document] = out.lines().try_into().unwrap();
        assert_eq!(document["Duration"], json!([1.5]));
        assert_eq!(document["FunctionName"], json!("f"));
        telemetry.flush();
        assert_eq!(out.lines().len(), 1, "nothing left to write");
    }

    #[test]
    fn a_bad_batch_is_refused_and_the_next_one_still_counts() {
        let out = Out::default();
        let telemetry = Telemetry::new("f", Box::new(out.clone()));
        assert_eq!(telemetry.receive(b"{not json"), StatusCode::BAD_REQUEST);
        let mixed =
            json!([{"type": "platform.report", "record": 1}, report("2022-10-12T00:01:15Z", 4.0)]);
        assert_eq!(
            telemetry.receive(mixed.to_string().as_bytes()),
            StatusCode::OK
        );
        telemetry.flush();
        let [document] = out.lines().try_into().unwrap();
        assert_eq!(document["Duration"], json!([4.0]));
    }

    #[test]
    fn a_minute_of_event_time_writes_without_waiting_for_shutdown() {
        let out = Out::default();
        let telemetry = Telemetry::new("f", Box::new(out.clone()));
        let first = json!([report("2022-10-12T00:01:15Z", 1.0)]).to_string();
        let later = json!([report("2022-10-12T00:02:15Z", 2.0)]).to_string();
        telemetry.receive(first.as_bytes());
        telemetry.receive(later.as_bytes());
        let [document] = out.lines().try_into().unwrap();
        assert_eq!(document["Duration"], json!([1.0, 2.0]));
    }
}
