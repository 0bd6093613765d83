//! 10,000 generated and mutated Telemetry API batches: reading one never panics, every event is
//! either a sample source, skipped or counted as malformed, the buffer never holds more than EMF
//! allows nor more than its limit of minutes, and every document is stamped with a minute's start,
//! whatever arrives.

use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed, TestRunner};
use serde_json::{Map, Value, json};
use telemetry_extension::buffer::{Buffer, MAX_MINUTES};
use telemetry_extension::emf::MAX_VALUES;
use telemetry_extension::events::parse_batch;

/// Any JSON value, nested a little.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,20}".prop_map(Value::from),
        Just(Value::from("2022-10-12T00:01:15.000Z")),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-zA-Z]{1,12}", inner), 0..4)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A valid event of each type the extension reads, as the schema describes them.
fn valid_event() -> impl Strategy<Value = Value> {
    // Times over half an hour: more minutes than the buffer holds at once.
    let times = (0..30u32, 0..60u32, 0..1000u32)
        .prop_map(|(minute, second, ms)| format!("2022-10-12T00:{minute:02}:{second:02}.{ms:03}Z"));
    (times, 0.0..10_000.0f64, any::<bool>()).prop_map(|(time, ms, cold)| {
        let mut metrics = json!({"durationMs": ms, "billedDurationMs": ms.ceil(), "maxMemoryUsedMB": 20, "memorySizeMB": 128});
        if cold {
            metrics["initDurationMs"] = json!(ms / 2.0);
        }
        let events = [
            json!({"time": time, "type": "platform.report", "record": {"requestId": "r", "status": "success", "metrics": metrics}}),
            json!({"time": time, "type": "platform.initReport", "record": {"initializationType": "on-demand", "phase": "init", "metrics": {"durationMs": ms}}}),
            json!({"time": time, "type": "platform.runtimeDone", "record": {"requestId": "r", "status": "success", "metrics": {"durationMs": ms}}}),
            json!({"time": time, "type": "platform.initRuntimeDone", "record": {"initializationType": "on-demand", "status": "success"}}),
        ];
        events[usize::from(cold) + usize::from(ms > 5_000.0) * 2].clone()
    })
}

/// Replaces or drops one node of `value`, or retypes it.
fn mutate(value: Value) -> impl Strategy<Value = Value> {
    (any::<prop::sample::Index>(), any_json(), any::<bool>()).prop_map(
        move |(index, replacement, drop)| {
            let mut value = value.clone();
            let mut paths = Vec::new();
            collect_paths(&value, &mut Vec::new(), &mut paths);
            let path = &paths[index.index(paths.len())];
            set(
                &mut value,
                path,
                if drop { None } else { Some(replacement) },
            );
            value
        },
    )
}

fn collect_paths(value: &Value, here: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(here.clone());
    if let Value::Object(map) = value {
        for (key, child) in map {
            here.push(key.clone());
            collect_paths(child, here, out);
            here.pop();
        }
    }
}

fn set(value: &mut Value, path: &[String], to: Option<Value>) {
    match path.split_first() {
        None => *value = to.unwrap_or(Value::Null),
        Some((key, [])) => {
            if let Value::Object(map) = value {
                match to {
                    Some(to) => {
                        map.insert(key.clone(), to);
                    }
                    None => {
                        map.remove(key);
                    }
                }
            }
        }
        Some((key, rest)) => {
            if let Some(child) = value.get_mut(key.as_str()) {
                set(child, rest, to);
            }
        }
    }
}

/// A batch body: mostly arrays of valid, mutated and random events; sometimes any bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let event = prop_oneof![
        4 => valid_event(),
        4 => valid_event().prop_flat_map(mutate),
        1 => any_json(),
    ];
    prop_oneof![
        8 => prop::collection::vec(event, 0..24).prop_map(|events| Value::Array(events).to_string().into_bytes()),
        1 => any_json().prop_map(|v| v.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..64),
    ]
}

#[test]
fn any_batch_is_read_without_panicking_and_the_buffer_stays_bounded() {
    let config = ProptestConfig {
        cases: 10_000,
        rng_seed: RngSeed::Fixed(0x7E1E_2026),
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = TestRunner::new(config);
    let buffer = std::cell::RefCell::new(Buffer::new("rustlambda-test-f"));
    let result = runner.run(&body(), |body| {
        let Ok(batch) = parse_batch(&body) else {
            return Ok(());
        };
        let events = serde_json::from_slice::<Vec<Value>>(&body).unwrap().len();
        prop_assert!(batch.skipped + batch.malformed <= events);
        let written = buffer.borrow_mut().add(&batch.samples);
        prop_assert!(buffer.borrow().minutes() <= MAX_MINUTES);
        for document in written {
            let document: Value = serde_json::from_str(&document).unwrap();
            let stamp = document["_aws"]["Timestamp"].as_i64().unwrap();
            prop_assert_eq!(stamp.rem_euclid(60_000), 0);
            for (name, values) in document.as_object().unwrap() {
                if let Some(values) = values.as_array() {
                    prop_assert!(
                        !values.is_empty() && values.len() <= MAX_VALUES,
                        "{name}: {}",
                        values.len()
                    );
                    prop_assert!(
                        values
                            .iter()
                            .all(|v| v.as_f64().is_some_and(|v| v.is_finite() && v >= 0.0))
                    );
                }
            }
        }
        Ok(())
    });
    result.unwrap();
}
