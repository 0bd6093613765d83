//! What the extension measures: the metrics it writes, and one sample of one of them.

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

    /// The metric's position in [`Metric::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// One value of one metric, at the time of the event it came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub metric: Metric,
    pub value: f64,
    /// Milliseconds since the epoch.
    pub time_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

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
