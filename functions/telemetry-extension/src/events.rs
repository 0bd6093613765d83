//! A Telemetry API batch in, metric samples out.
//!
//! A batch is a JSON array of events `{"time", "type", "record"}`. Each event is read on its own, so
//! one bad event never costs the others: an event of a type this extension does not turn into a
//! metric (`platform.start`, a type Lambda adds later) is skipped, and an event of a known type
//! whose time or record is not what the schema says is counted as malformed and skipped. Only a
//! body that is not a JSON array at all is refused as a whole.

use chrono::DateTime;
use serde_json::{Map, Value};

use crate::metric::{Metric, Sample};

/// What a batch held.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Batch {
    pub samples: Vec<Sample>,
    /// Events of a type that gives no metric (known or not).
    pub skipped: usize,
    /// Events of a known type that do not have the schema's shape.
    pub malformed: usize,
}

/// The body is not a JSON array of events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotABatch(pub String);

impl std::fmt::Display for NotABatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the telemetry batch is not a JSON array of events: {}",
            self.0
        )
    }
}

impl std::error::Error for NotABatch {}

/// Reads one batch as the Telemetry API POSTs it.
pub fn parse_batch(body: &[u8]) -> Result<Batch, NotABatch> {
    let events: Vec<Value> =
        serde_json::from_slice(body).map_err(|err| NotABatch(err.to_string()))?;
    let mut batch = Batch::default();
    for event in &events {
        match samples(event) {
            Read::Samples(samples) => batch.samples.extend(samples),
            Read::Skipped => batch.skipped += 1,
            Read::Malformed => batch.malformed += 1,
        }
    }
    Ok(batch)
}

enum Read {
    Samples(Vec<Sample>),
    Skipped,
    Malformed,
}

/// The events that give metrics, and where each metric's value is in the event's record.
fn fields(event_type: &str) -> Option<&'static [(Metric, Field)]> {
    use Metric::*;
    Some(match event_type {
        "platform.initRuntimeDone" => &[(InitErrors, Field::NotSuccess)],
        "platform.initReport" => &[(InitDuration, Field::Metric("durationMs"))],
        "platform.restoreReport" => &[(RestoreDuration, Field::Metric("durationMs"))],
        "platform.runtimeDone" => &[(RuntimeDuration, Field::Metric("durationMs"))],
        "platform.report" => &[
            (Duration, Field::Metric("durationMs")),
            (BilledDuration, Field::Metric("billedDurationMs")),
            (MaxMemoryUsed, Field::Metric("maxMemoryUsedMB")),
            (ColdStart, Field::MetricPresent("initDurationMs")),
        ],
        "platform.logsDropped" => &[(DroppedTelemetry, Field::Record("droppedRecords"))],
        _ => return None,
    })
}

/// Where a value comes from in an event's record.
#[derive(Clone, Copy)]
enum Field {
    /// `record.metrics.<name>`, a number (absent: no sample).
    Metric(&'static str),
    /// 1 when `record.metrics.<name>` is present (a cold start has an init duration), else 0.
    MetricPresent(&'static str),
    /// `record.<name>`, a number.
    Record(&'static str),
    /// 1 when `record.status` is not `success`, else 0.
    NotSuccess,
}

fn samples(event: &Value) -> Read {
    let Some(event_type) = event.get("type").and_then(Value::as_str) else {
        return Read::Malformed;
    };
    let Some(fields) = fields(event_type) else {
        return Read::Skipped;
    };
    let (Some(time_ms), Some(record)) = (
        event.get("time").and_then(Value::as_str).and_then(time_ms),
        event.get("record").and_then(Value::as_object),
    ) else {
        return Read::Malformed;
    };
    let mut samples = Vec::with_capacity(fields.len());
    for (metric, field) in fields {
        match value(record, *field) {
            Ok(Some(value)) => samples.push(Sample {
                metric: *metric,
                value,
                time_ms,
            }),
            Ok(None) => {}
            Err(()) => return Read::Malformed,
        }
    }
    Read::Samples(samples)
}

/// The field's value: None when the schema allows it to be absent, Err when it has the wrong type.
fn value(record: &Map<String, Value>, field: Field) -> Result<Option<f64>, ()> {
    let metrics = record.get("metrics");
    let metric = |name: &str| match metrics {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(metrics)) => Ok(metrics.get(name)),
        Some(_) => Err(()),
    };
    match field {
        Field::Metric(name) => metric(name)?.map(number).transpose(),
        Field::MetricPresent(name) => Ok(Some(if metric(name)?.is_some() { 1.0 } else { 0.0 })),
        Field::Record(name) => record.get(name).map(number).transpose(),
        Field::NotSuccess => match record.get("status").and_then(Value::as_str) {
            Some("success") => Ok(Some(0.0)),
            Some(_) => Ok(Some(1.0)),
            None => Err(()),
        },
    }
}

/// A finite, non-negative number (what every Telemetry API metric is).
fn number(value: &Value) -> Result<f64, ()> {
    value
        .as_f64()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or(())
}

/// An RFC 3339 time as milliseconds since the epoch.
pub fn time_ms(time: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(time)
        .ok()
        .map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::metric::Metric::*;

    const T0: i64 = 1_665_532_875_000; // 2022-10-12T00:01:15.000Z

    fn batch(events: Value) -> Batch {
        parse_batch(events.to_string().as_bytes()).unwrap()
    }

    fn sample(metric: Metric, value: f64) -> Sample {
        Sample {
            metric,
            value,
            time_ms: T0,
        }
    }

    #[test]
    fn a_cold_report_gives_duration_billed_memory_and_a_cold_start() {
        let parsed = batch(json!([{
            "time": "2022-10-12T00:01:15.000Z",
            "type": "platform.report",
            "record": {
                "requestId": "6d68ca91-49c9-448d-89b8-7ca3e6dc66aa",
                "status": "success",
                "metrics": {
                    "billedDurationMs": 694,
                    "durationMs": 693.92,
                    "initDurationMs": 397.68,
                    "maxMemoryUsedMB": 84,
                    "memorySizeMB": 128
                }
            }
        }]));
        assert_eq!(
            parsed.samples,
            [
                sample(Duration, 693.92),
                sample(BilledDuration, 694.0),
                sample(MaxMemoryUsed, 84.0),
                sample(ColdStart, 1.0)
            ]
        );
        assert_eq!((parsed.skipped, parsed.malformed), (0, 0));
    }

    #[test]
    fn init_restore_runtime_done_and_dropped_logs_give_their_metrics() {
        let at = "2022-10-12T00:01:15Z";
        let parsed = batch(json!([
            {"time": at, "type": "platform.initStart", "record": {"initializationType": "on-demand", "phase": "init"}},
            {"time": at, "type": "platform.initRuntimeDone", "record": {"initializationType": "on-demand", "status": "success"}},
            {"time": at, "type": "platform.initRuntimeDone", "record": {"initializationType": "on-demand", "status": "error", "errorType": "Runtime.ExitError"}},
            {"time": at, "type": "platform.initReport", "record": {"initializationType": "on-demand", "phase": "init", "metrics": {"durationMs": 125.33}}},
            {"time": at, "type": "platform.restoreReport", "record": {"status": "success", "metrics": {"durationMs": 40.5}}},
            {"time": at, "type": "platform.runtimeDone", "record": {"requestId": "r", "status": "success", "metrics": {"durationMs": 140.0, "producedBytes": 16}}},
            {"time": at, "type": "platform.runtimeDone", "record": {"requestId": "r", "status": "timeout"}},
            {"time": at, "type": "platform.logsDropped", "record": {"droppedBytes": 12345, "droppedRecords": 123, "reason": "behind"}},
        ]));
        assert_eq!(
            parsed.samples,
            [
                sample(InitErrors, 0.0),
                sample(InitErrors, 1.0),
                sample(InitDuration, 125.33),
                sample(RestoreDuration, 40.5),
                sample(RuntimeDuration, 140.0),
                sample(DroppedTelemetry, 123.0),
            ]
        );
        assert_eq!((parsed.skipped, parsed.malformed), (1, 0));
    }

    #[test]
    fn a_warm_report_is_no_cold_start_and_missing_metrics_give_no_sample() {
        let parsed = batch(json!([{
            "time": "2022-10-12T00:01:15.000Z",
            "type": "platform.report",
            "record": {"requestId": "r", "status": "success", "metrics": {"durationMs": 1.5, "billedDurationMs": 2}}
        }]));
        assert_eq!(
            parsed.samples,
            [
                sample(Duration, 1.5),
                sample(BilledDuration, 2.0),
                sample(ColdStart, 0.0)
            ]
        );
    }

    #[test]
    fn unknown_types_are_skipped_and_bad_events_counted_without_losing_the_good_ones() {
        let good = json!({"time": "2022-10-12T00:01:15Z", "type": "platform.initReport", "record": {"metrics": {"durationMs": 9.0}}});
        let parsed = batch(json!([
            {"time": "2022-10-12T00:01:15Z", "type": "platform.somethingNew", "record": {"x": 1}},
            {"time": "2022-10-12T00:01:15Z", "type": "function", "record": "a log line"},
            {"time": "2022-10-12T00:01:15Z", "type": "platform.extension", "record": {"name": "e", "state": "Ready", "events": []}},
            {"time": "not a time", "type": "platform.initReport", "record": {"metrics": {"durationMs": 1.0}}},
            {"type": "platform.initReport", "record": {"metrics": {"durationMs": 1.0}}},
            {"time": "2022-10-12T00:01:15Z", "type": "platform.initReport", "record": "not an object"},
            {"time": "2022-10-12T00:01:15Z", "type": "platform.initReport", "record": {"metrics": {"durationMs": "slow"}}},
            {"time": "2022-10-12T00:01:15Z", "type": "platform.report", "record": {"metrics": {"durationMs": -1}}},
            {"time": "2022-10-12T00:01:15Z", "type": "platform.report", "record": {"metrics": [1, 2]}},
            {"time": "2022-10-12T00:01:15Z", "type": "platform.initRuntimeDone", "record": {}},
            {"time": "2022-10-12T00:01:15Z", "type": 7, "record": {}},
            "not an event",
            null,
            good,
        ]));
        assert_eq!(parsed.samples, [sample(InitDuration, 9.0)]);
        assert_eq!((parsed.skipped, parsed.malformed), (3, 10));
    }

    #[test]
    fn a_body_that_is_not_an_array_of_json_is_refused_whole() {
        for body in [&b""[..], b"{}", b"[1, 2", b"\xff\xfe", b"null"] {
            let err = parse_batch(body).unwrap_err();
            assert!(
                err.to_string()
                    .starts_with("the telemetry batch is not a JSON array of events: "),
                "{err}"
            );
        }
        assert_eq!(parse_batch(b"[]"), Ok(Batch::default()));
    }

    #[test]
    fn times_are_rfc3339_in_any_offset() {
        assert_eq!(time_ms("2022-10-12T00:01:15.000Z"), Some(T0));
        assert_eq!(time_ms("2022-10-12T02:01:15+02:00"), Some(T0));
        assert_eq!(time_ms("2022-10-12T00:01:15.5Z"), Some(T0 + 500));
        assert_eq!(time_ms("yesterday"), None);
    }
}
