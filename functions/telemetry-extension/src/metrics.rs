//! The metrics, buffered and written as CloudWatch Embedded Metric Format (EMF) documents: one
//! JSON line on stdout per document, which CloudWatch Logs turns into metrics in the
//! [`NAMESPACE`] namespace, dimension `FunctionName`.
//!
//! Samples are buffered, and written together: an EMF metric takes an array of up to
//! [`MAX_VALUES`] values (each one a sample for statistics and percentiles), so one line carries a
//! minute of invocations instead of one line each. The buffer is bounded: it is written out when
//! a metric reaches [`MAX_VALUES`], when its oldest sample is [`FLUSH_AFTER_MS`] older than the
//! newest event seen, and at SHUTDOWN.

use serde_json::{Map, Value, json};

use crate::events::Sample;

/// The CloudWatch namespace of every metric (components/dashboard.py reads the same name).
pub const NAMESPACE: &str = "RustLambda";
/// EMF's limit of values per metric in one document.
pub const MAX_VALUES: usize = 100;
/// How long a sample may wait in the buffer, in event time.
pub const FLUSH_AFTER_MS: i64 = 60_000;

/// Every metric the extension writes, in the order documents list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    /// `platform.initReport`: how long the environment's init took (any initialization type).
    InitDuration,
    /// `platform.initRuntimeDone`: 1 when the runtime's init did not succeed, else 0.
    InitErrors,
    /// `platform.restoreReport`: how long a SnapStart restore took.
    RestoreDuration,
    /// `platform.runtimeDone`: the runtime's own time for an invocation (without extensions').
    RuntimeDuration,
    /// `platform.report`: the invocation's duration.
    Duration,
    /// `platform.report`: the billed duration.
    BilledDuration,
    /// `platform.report`: the environment's peak memory so far.
    MaxMemoryUsed,
    /// `platform.report`: 1 for the first invocation of an environment (it carries an init
    /// duration), 0 for the others; its average is the cold start rate.
    ColdStart,
    /// `platform.logsDropped`: telemetry records Lambda dropped because this extension fell behind.
    DroppedTelemetry,
}

impl Metric {
    pub const ALL: [Metric; 9] = [
        Metric::InitDuration,
        Metric::InitErrors,
        Metric::RestoreDuration,
        Metric::RuntimeDuration,
        Metric::Duration,
        Metric::BilledDuration,
        Metric::MaxMemoryUsed,
        Metric::ColdStart,
        Metric::DroppedTelemetry,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Metric::InitDuration => "InitDuration",
            Metric::InitErrors => "InitErrors",
            Metric::RestoreDuration => "RestoreDuration",
            Metric::RuntimeDuration => "RuntimeDuration",
            Metric::Duration => "Duration",
            Metric::BilledDuration => "BilledDuration",
            Metric::MaxMemoryUsed => "MaxMemoryUsed",
            Metric::ColdStart => "ColdStart",
            Metric::DroppedTelemetry => "DroppedTelemetry",
        }
    }

    /// The CloudWatch unit.
    pub fn unit(self) -> &'static str {
        match self {
            Metric::InitDuration
            | Metric::RestoreDuration
            | Metric::RuntimeDuration
            | Metric::Duration
            | Metric::BilledDuration => "Milliseconds",
            Metric::MaxMemoryUsed => "Megabytes",
            Metric::InitErrors | Metric::ColdStart | Metric::DroppedTelemetry => "Count",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The samples waiting to be written, for one function.
#[derive(Debug)]
pub struct Buffer {
    function_name: String,
    values: [Vec<f64>; Metric::ALL.len()],
    /// The time of the oldest sample waiting (the document's timestamp).
    first_ms: Option<i64>,
}

impl Buffer {
    pub fn new(function_name: impl Into<String>) -> Self {
        Self {
            function_name: function_name.into(),
            values: Default::default(),
            first_ms: None,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.first_ms.is_none()
    }

    /// Adds a batch's samples; returns the documents to write now (a full buffer, or one whose
    /// oldest sample is [`FLUSH_AFTER_MS`] older than the newest sample of the batch).
    pub fn add(&mut self, samples: &[Sample]) -> Vec<String> {
        let mut documents = Vec::new();
        for sample in samples {
            if self.values[sample.metric.index()].len() == MAX_VALUES {
                documents.extend(self.flush());
            }
            self.values[sample.metric.index()].push(sample.value);
            self.first_ms = Some(
                self.first_ms
                    .map_or(sample.time_ms, |t| t.min(sample.time_ms)),
            );
        }
        let newest = samples.iter().map(|s| s.time_ms).max();
        if let (Some(first), Some(newest)) = (self.first_ms, newest)
            && newest - first >= FLUSH_AFTER_MS
        {
            documents.extend(self.flush());
        }
        documents
    }

    /// Empties the buffer into one document (None when it is empty).
    pub fn flush(&mut self) -> Option<String> {
        let timestamp = self.first_ms.take()?;
        let mut definitions = Vec::new();
        let mut document = Map::new();
        for metric in Metric::ALL {
            let values = std::mem::take(&mut self.values[metric.index()]);
            if values.is_empty() {
                continue;
            }
            definitions.push(json!({"Name": metric.name(), "Unit": metric.unit()}));
            document.insert(metric.name().to_owned(), json!(values));
        }
        document.insert(
            "_aws".to_owned(),
            json!({
                "Timestamp": timestamp,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [["FunctionName"]],
                    "Metrics": definitions,
                }],
            }),
        );
        document.insert("FunctionName".to_owned(), json!(self.function_name));
        Some(Value::Object(document).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metric::*;

    fn at(metric: Metric, value: f64, time_ms: i64) -> Sample {
        Sample {
            metric,
            value,
            time_ms,
        }
    }

    fn parsed(documents: &[String]) -> Vec<Value> {
        documents
            .iter()
            .map(|d| serde_json::from_str(d).unwrap())
            .collect()
    }

    #[test]
    fn a_flush_writes_one_emf_document_with_every_buffered_value() {
        let mut buffer = Buffer::new("rustlambda-dev-http-api");
        let written = buffer.add(&[
            at(InitDuration, 12.5, 1_000),
            at(Duration, 3.25, 1_010),
            at(ColdStart, 1.0, 1_010),
            at(Duration, 1.5, 2_000),
            at(ColdStart, 0.0, 2_000),
        ]);
        assert!(written.is_empty());
        let document = buffer.flush().unwrap();
        assert!(!document.contains('\n'));
        assert_eq!(
            serde_json::from_str::<Value>(&document).unwrap(),
            json!({
                "_aws": {
                    "Timestamp": 1_000,
                    "CloudWatchMetrics": [{
                        "Namespace": "RustLambda",
                        "Dimensions": [["FunctionName"]],
                        "Metrics": [
                            {"Name": "InitDuration", "Unit": "Milliseconds"},
                            {"Name": "Duration", "Unit": "Milliseconds"},
                            {"Name": "ColdStart", "Unit": "Count"},
                        ],
                    }],
                },
                "FunctionName": "rustlambda-dev-http-api",
                "InitDuration": [12.5],
                "Duration": [3.25, 1.5],
                "ColdStart": [1.0, 0.0],
            })
        );
        assert!(buffer.is_empty());
        assert_eq!(buffer.flush(), None);
    }

    #[test]
    fn a_metric_never_holds_more_than_emfs_limit() {
        let mut buffer = Buffer::new("f");
        let samples: Vec<Sample> = (0..250)
            .map(|i| at(Duration, f64::from(i), 5_000))
            .collect();
        let written = parsed(&buffer.add(&samples));
        assert_eq!(written.len(), 2);
        for document in &written {
            assert_eq!(document["Duration"].as_array().unwrap().len(), MAX_VALUES);
        }
        assert_eq!(written[1]["Duration"][0], json!(100.0));
        let rest = parsed(&[buffer.flush().unwrap()]);
        assert_eq!(rest[0]["Duration"].as_array().unwrap().len(), 50);
    }

    #[test]
    fn a_sample_a_minute_old_in_event_time_is_written_with_the_batch_that_shows_it() {
        let mut buffer = Buffer::new("f");
        assert!(buffer.add(&[at(Duration, 1.0, 10_000)]).is_empty());
        assert!(
            buffer
                .add(&[at(Duration, 2.0, 10_000 + FLUSH_AFTER_MS - 1)])
                .is_empty()
        );
        let written = parsed(&buffer.add(&[at(Duration, 3.0, 10_000 + FLUSH_AFTER_MS)]));
        assert_eq!(written.len(), 1);
        assert_eq!(written[0]["Duration"], json!([1.0, 2.0, 3.0]));
        assert_eq!(written[0]["_aws"]["Timestamp"], json!(10_000));
        assert!(buffer.is_empty());
    }

    #[test]
    fn every_metric_has_a_distinct_name_and_a_cloudwatch_unit() {
        let names: std::collections::BTreeSet<&str> =
            Metric::ALL.iter().map(|m| m.name()).collect();
        assert_eq!(names.len(), Metric::ALL.len());
        for (index, metric) in Metric::ALL.iter().enumerate() {
            assert_eq!(metric.index(), index);
            assert!(["Milliseconds", "Megabytes", "Count"].contains(&metric.unit()));
        }
    }
}
