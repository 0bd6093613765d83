//! The samples waiting to be written, by the minute they were measured in.
//!
//! Each minute's samples become one EMF document stamped with that minute, however late it is
//! written (an environment that Lambda froze between invocations delivers its events when it
//! thaws), so CloudWatch counts every sample in the minute it belongs to. The buffer is bounded:
//! a minute is written as soon as one of its metrics holds [`MAX_VALUES`] values, and the
//! oldest minute as soon as more than [`MAX_MINUTES`] are waiting. When the rest is written is
//! [`crate::recorder`]'s decision.

use std::collections::BTreeMap;

use crate::{
    emf::{self, MAX_VALUES, Values},
    metric::Sample,
};

/// The length of the minutes samples are grouped by (CloudWatch's standard resolution).
pub const MINUTE_MS: i64 = 60_000;
/// The most minutes buffered at once.
pub const MAX_MINUTES: usize = 10;

/// The start of the minute `time_ms` falls in. Times read from the Telemetry API (RFC 3339, years
/// 0 to 9999) are far from `i64`'s bounds; at the bounds it saturates rather than overflow.
pub fn minute_of(time_ms: i64) -> i64 {
    time_ms.div_euclid(MINUTE_MS).saturating_mul(MINUTE_MS)
}

/// The samples waiting to be written, for one function.
#[derive(Debug)]
pub struct Buffer {
    function_name: String,
    minutes: BTreeMap<i64, Values>,
}

impl Buffer {
    pub fn new(function_name: impl Into<String>) -> Self {
        Self {
            function_name: function_name.into(),
            minutes: BTreeMap::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.minutes.is_empty()
    }

    /// How many minutes are waiting.
    pub fn minutes(&self) -> usize {
        self.minutes.len()
    }

    /// Adds a batch's samples; returns the documents to write now: each minute in which a metric
    /// reached [`MAX_VALUES`], and the oldest minutes beyond [`MAX_MINUTES`].
    pub fn add(&mut self, samples: &[Sample]) -> Vec<String> {
        let mut documents = Vec::new();
        for sample in samples {
            let minute = minute_of(sample.time_ms);
            let index = sample.metric.index();
            if self
                .minutes
                .get(&minute)
                .is_some_and(|values| values[index].len() == MAX_VALUES)
            {
                documents.extend(self.write(minute));
            }
            self.minutes.entry(minute).or_default()[index].push(sample.value);
            while self.minutes.len() > MAX_MINUTES {
                let Some(oldest) = self.minutes.keys().next().copied() else {
                    break;
                };
                documents.extend(self.write(oldest));
            }
        }
        documents
    }

    /// Empties the buffer: one document per minute, oldest first.
    pub fn flush(&mut self) -> Vec<String> {
        std::mem::take(&mut self.minutes)
            .iter()
            .map(|(minute, values)| emf::document(&self.function_name, *minute, values))
            .collect()
    }

    /// Takes one minute out of the buffer as its document.
    fn write(&mut self, minute: i64) -> Option<String> {
        let values = self.minutes.remove(&minute)?;
        Some(emf::document(&self.function_name, minute, &values))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::metric::{Metric, Metric::*};

    const T0: i64 = 1_795_773_600_000; // 2026-11-27T10:00:00Z, a minute's start

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
    fn minutes_start_on_the_minute_before_and_after_the_epoch() {
        assert_eq!(minute_of(T0), T0);
        assert_eq!(minute_of(T0 + 59_999), T0);
        assert_eq!(minute_of(T0 + 60_000), T0 + 60_000);
        assert_eq!(minute_of(-1), -60_000);
        assert_eq!(minute_of(i64::MIN), i64::MIN);
        assert_eq!(
            minute_of(i64::MAX),
            i64::MAX - i64::MAX.rem_euclid(MINUTE_MS)
        );
    }

    #[test]
    fn each_minute_is_one_document_stamped_with_that_minute() {
        let mut buffer = Buffer::new("f");
        let written = buffer.add(&[
            at(Duration, 1.0, T0 + 59_000),
            at(Duration, 2.0, T0 + 61_000),
            at(ColdStart, 0.0, T0 + 1_000),
            at(Duration, 3.0, T0 + 119_999),
        ]);
        assert!(written.is_empty());
        let documents = parsed(&buffer.flush());
        let stamped: Vec<_> = documents
            .iter()
            .map(|d| (d["_aws"]["Timestamp"].clone(), d["Duration"].clone()))
            .collect();
        assert_eq!(
            stamped,
            [
                (json!(T0), json!([1.0])),
                (json!(T0 + 60_000), json!([2.0, 3.0]))
            ]
        );
        assert_eq!(documents[0]["ColdStart"], json!([0.0]));
        assert!(documents[1].get("ColdStart").is_none());
        assert!(buffer.is_empty());
        assert!(buffer.flush().is_empty());
    }

    #[test]
    fn a_metric_never_holds_more_than_emfs_limit() {
        let mut buffer = Buffer::new("f");
        let samples: Vec<Sample> = (0..250)
            .map(|i| at(Duration, f64::from(i), T0 + 5_000))
            .collect();
        let written = parsed(&buffer.add(&samples));
        assert_eq!(written.len(), 2);
        for document in &written {
            assert_eq!(document["Duration"].as_array().unwrap().len(), MAX_VALUES);
            assert_eq!(document["_aws"]["Timestamp"], json!(T0));
        }
        assert_eq!(written[1]["Duration"][0], json!(100.0));
        let rest = parsed(&buffer.flush());
        assert_eq!(rest[0]["Duration"].as_array().unwrap().len(), 50);
    }

    #[test]
    fn a_full_minute_is_written_alone_and_the_others_wait() {
        let mut buffer = Buffer::new("f");
        buffer.add(&[at(ColdStart, 1.0, T0)]);
        let full: Vec<Sample> = (0..=MAX_VALUES)
            .map(|i| at(Duration, i as f64, T0 + 60_000))
            .collect();
        let written = parsed(&buffer.add(&full));
        assert_eq!(written.len(), 1);
        assert_eq!(written[0]["_aws"]["Timestamp"], json!(T0 + 60_000));
        let rest = parsed(&buffer.flush());
        let stamps: Vec<_> = rest
            .iter()
            .map(|d| d["_aws"]["Timestamp"].clone())
            .collect();
        assert_eq!(stamps, [json!(T0), json!(T0 + 60_000)]);
    }

    #[test]
    fn more_minutes_than_the_limit_write_the_oldest() {
        let mut buffer = Buffer::new("f");
        let spread: Vec<Sample> = (0..=MAX_MINUTES as i64)
            .map(|m| at(Duration, m as f64, T0 + m * MINUTE_MS))
            .collect();
        let written = parsed(&buffer.add(&spread));
        assert_eq!(written.len(), 1);
        assert_eq!(written[0]["_aws"]["Timestamp"], json!(T0));
        assert_eq!(buffer.flush().len(), MAX_MINUTES);
    }
}
