//! The HTTP endpoint the Telemetry API POSTs batches to, and what is done with each batch.
//!
//! Hand-written on hyper (already in the dependency tree through lambda-extension) because
//! lambda-extension's own telemetry listener deserializes a whole batch into its closed enum of
//! event types: one event of a type it does not know (`platform.restoreReport`, any type Lambda
//! adds) makes it refuse the whole batch, losing the reports beside it. Here each event is read
//! on its own ([`crate::events`]).

use std::{convert::Infallible, sync::Arc, time::Duration};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::{events::parse_batch, recorder::Recorder};

/// A batch larger than this is refused (Lambda's largest is the subscription's `maxBytes`).
pub const MAX_BATCH_BYTES: usize = 1024 * 1024;

/// Takes one batch as the Telemetry API POSTs it; the status to answer with.
pub fn receive(recorder: &Recorder, body: &[u8]) -> StatusCode {
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
    recorder.record(&batch.samples);
    StatusCode::OK
}

/// Serves the Telemetry API's POSTs until the process ends.
pub async fn serve(listener: TcpListener, recorder: Arc<Recorder>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(err) => {
                tracing::warn!("could not accept a telemetry connection: {err}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let recorder = recorder.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| handle(recorder.clone(), request));
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
    recorder: Arc<Recorder>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let status = if request.method() == Method::POST {
        match Limited::new(request.into_body(), MAX_BATCH_BYTES)
            .collect()
            .await
        {
            Ok(body) => receive(&recorder, &body.to_bytes()),
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
    use crate::test_support::Out;

    fn report(time: &str, duration: f64) -> Value {
        json!({"time": time, "type": "platform.report", "record": {"requestId": "r", "status": "success",
            "metrics": {"durationMs": duration, "billedDurationMs": 2, "maxMemoryUsedMB": 20, "memorySizeMB": 128}}})
    }

    #[test]
    fn batches_are_buffered_and_written_when_flushed() {
        let out = Out::default();
        let recorder = Recorder::new("f", Box::new(out.clone()));
        let batch = json!([report("2022-10-12T00:01:15Z", 1.5)]).to_string();
        assert_eq!(receive(&recorder, batch.as_bytes()), StatusCode::OK);
        assert_eq!(out.documents(), Vec::<Value>::new());
        recorder.flush();
        let [document] = out.documents().try_into().unwrap();
        assert_eq!(document["Duration"], json!([1.5]));
        assert_eq!(document["FunctionName"], json!("f"));
        assert_eq!(document["_aws"]["Timestamp"], json!(1_665_532_860_000_i64));
        recorder.flush();
        assert_eq!(out.documents().len(), 1, "nothing left to write");
    }

    #[test]
    fn a_bad_batch_is_refused_and_the_next_one_still_counts() {
        let out = Out::default();
        let recorder = Recorder::new("f", Box::new(out.clone()));
        assert_eq!(receive(&recorder, b"{not json"), StatusCode::BAD_REQUEST);
        let mixed =
            json!([{"type": "platform.report", "record": 1}, report("2022-10-12T00:01:15Z", 4.0)]);
        assert_eq!(
            receive(&recorder, mixed.to_string().as_bytes()),
            StatusCode::OK
        );
        recorder.flush();
        let [document] = out.documents().try_into().unwrap();
        assert_eq!(document["Duration"], json!([4.0]));
    }
}
