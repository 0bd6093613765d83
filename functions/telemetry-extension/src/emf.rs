//! One CloudWatch Embedded Metric Format (EMF) document: a JSON line on stdout, which CloudWatch
//! Logs turns into metrics in the [`NAMESPACE`] namespace, dimension `FunctionName`.

use serde_json::{Map, Value, json};

use crate::metric::Metric;

/// The CloudWatch namespace of every metric (components/dashboard.py reads the same name).
pub const NAMESPACE: &str = "RustLambda";
/// EMF's limit of values per metric in one document; each value is a sample for statistics and
/// percentiles, so one line carries many invocations.
pub const MAX_VALUES: usize = 100;

/// The values of each metric (by [`Metric::index`]) that one document carries.
pub type Values = [Vec<f64>; Metric::ALL.len()];

/// The document for `values`, stamped `timestamp_ms` (the minute they were measured in): one line,
/// listing only the metrics that have values, in [`Metric::ALL`]'s order.
pub fn document(function_name: &str, timestamp_ms: i64, values: &Values) -> String {
    let mut definitions = Vec::new();
    let mut document = Map::new();
    for metric in Metric::ALL {
        let values = &values[metric.index()];
        if values.is_empty() {
            continue;
        }
        definitions.push(json!({"Name": metric.name(), "Unit": metric.unit()}));
        document.insert(metric.name().to_owned(), json!(values));
    }
    document.insert(
        "_aws".to_owned(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["FunctionName"]],
                "Metrics": definitions,
            }],
        }),
    );
    document.insert("FunctionName".to_owned(), json!(function_name));
    Value::Object(document).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_lists_the_metrics_with_values_in_order_on_one_line() {
        let mut values = Values::default();
        values[Metric::ColdStart.index()] = vec![1.0, 0.0];
        values[Metric::InitDuration.index()] = vec![12.5];
        values[Metric::Duration.index()] = vec![3.25, 1.5];
        let document = document("rustlambda-dev-http-api", 1_795_773_600_000, &values);
        assert!(!document.contains('\n'));
        assert_eq!(
            serde_json::from_str::<Value>(&document).unwrap(),
            json!({
                "_aws": {
                    "Timestamp": 1_795_773_600_000_i64,
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
    }
}
