//! 10,000 generated or mutated S3 events through the runtime's path: bytes -> `S3Event` (serde_json)
//! -> handler. The handler never panics; it answers a response that serializes and has one
//! manifest per record, or an error with a non-empty message that never contains the secret.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};

use aws_lambda_events::s3::S3Event;
use common::secrets::CachedSecret;
use lambda_runtime::Diagnostic;
use proptest::{
    prelude::*,
    sample::Index,
    test_runner::{Config as ProptestConfig, RngSeed, TestRunner},
};
use s3_processor::handler::handle;
use serde_json::{Map, Value, json};
use support::*;

#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Idx(usize),
}

/// Every path in `value` (the root excluded).
fn paths(value: &Value, prefix: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                prefix.push(Seg::Key(key.clone()));
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                prefix.push(Seg::Idx(i));
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn parent_mut<'a>(value: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    let mut node = value;
    for seg in path {
        node = match (seg, node) {
            (Seg::Key(key), Value::Object(map)) => map.get_mut(key)?,
            (Seg::Idx(i), Value::Array(items)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(node)
}

#[derive(Debug, Clone)]
enum Mutation {
    Remove(Index),
    Replace(Index, Value),
    SetKey(Index, String),
    SetBucket(Index, String),
    FlipByte(Index, u8),
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop_oneof![
            Just(u64::MAX as f64),
            Just(1e308),
            Just(-1e308),
            any::<f64>()
        ]
        .prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        any::<String>().prop_map(Value::from),
        Just(json!([])),
        Just(json!({})),
    ]
}

fn random_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof!["[a-zA-Z]{1,12}".boxed(), Just("Records".to_owned()).boxed()],
                    inner
                ),
                0..4
            )
            .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Keys as S3 would send them and worse: percent escapes (valid or not UTF-8), `+`, unicode.
fn raw_key() -> impl Strategy<Value = String> {
    prop_oneof![
        "(%[0-9A-Fa-f]{2}|[a-z0-9/+._-]|%|é|€){0,40}",
        "incoming/[a-zA-Z0-9+%]{0,30}",
        any::<String>(),
        Just(String::new()),
        Just("x".repeat(2048)),
    ]
}

fn bucket_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just(INPUT_BUCKET.to_owned()),
        1 => Just(OUTPUT_BUCKET.to_owned()),
        1 => any::<String>(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        2 => any::<Index>().prop_map(Mutation::Remove),
        2 => (any::<Index>(), random_json()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        3 => (any::<Index>(), raw_key()).prop_map(|(i, k)| Mutation::SetKey(i, k)),
        1 => (any::<Index>(), bucket_name()).prop_map(|(i, b)| Mutation::SetBucket(i, b)),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::FlipByte(i, b)),
    ]
}

/// The fixture with 0..=5 records (copies of its own), then 0..4 mutations, as bytes.
fn mutated_fixture() -> impl Strategy<Value = Vec<u8>> {
    (0usize..=5, prop::collection::vec(mutation(), 0..4)).prop_map(|(records, mutations)| {
        let mut value = fixture();
        let originals = value["Records"].as_array().cloned().unwrap_or_default();
        value["Records"] = Value::Array(originals.iter().cycle().take(records).cloned().collect());
        let mut bytes_mutations = Vec::new();
        for mutation in mutations {
            apply(&mut value, mutation, &mut bytes_mutations);
        }
        let mut bytes = serde_json::to_vec(&value).unwrap_or_default();
        for (index, byte) in bytes_mutations {
            if !bytes.is_empty() {
                let at = index.index(bytes.len());
                bytes[at] = byte;
            }
        }
        bytes
    })
}

/// Sets `Records[record].s3.{outer}.{inner}` when the path still has that shape (an earlier
/// mutation may have changed it).
fn set_in_record(value: &mut Value, record: usize, [outer, inner]: [&str; 2], new: String) {
    let path = [
        Seg::Key("Records".to_owned()),
        Seg::Idx(record),
        Seg::Key("s3".to_owned()),
        Seg::Key(outer.to_owned()),
    ];
    if let Some(Value::Object(map)) = parent_mut(value, &path) {
        map.insert(inner.to_owned(), Value::from(new));
    }
}

fn apply(value: &mut Value, mutation: Mutation, bytes_mutations: &mut Vec<(Index, u8)>) {
    let record_count = value
        .get("Records")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    match mutation {
        Mutation::SetKey(i, key) if record_count > 0 => {
            set_in_record(value, i.index(record_count), ["object", "key"], key);
        }
        Mutation::SetBucket(i, bucket) if record_count > 0 => {
            set_in_record(value, i.index(record_count), ["bucket", "name"], bucket);
        }
        Mutation::FlipByte(i, byte) => bytes_mutations.push((i, byte)),
        Mutation::Remove(i) | Mutation::Replace(i, _) => {
            let mut all = Vec::new();
            paths(value, &mut Vec::new(), &mut all);
            if all.is_empty() {
                return;
            }
            let path = &all[i.index(all.len())];
            let Some((last, parent_path)) = path.split_last() else {
                return;
            };
            let Some(parent) = parent_mut(value, parent_path) else {
                return;
            };
            match (mutation, last, parent) {
                (Mutation::Remove(_), Seg::Key(key), Value::Object(map)) => {
                    map.remove(key);
                }
                (Mutation::Remove(_), Seg::Idx(at), Value::Array(items)) if *at < items.len() => {
                    items.remove(*at);
                }
                (Mutation::Replace(_, new), Seg::Key(key), Value::Object(map)) => {
                    map.insert(key.clone(), new);
                }
                (Mutation::Replace(_, new), Seg::Idx(at), Value::Array(items)) => {
                    if let Some(slot) = items.get_mut(*at) {
                        *slot = new;
                    }
                }
                _ => {}
            }
        }
        _ => {}
    }
}

fn event_bytes() -> impl Strategy<Value = (Vec<u8>, bool)> {
    let bytes = prop_oneof![
        8 => mutated_fixture(),
        1 => random_json().prop_map(|v| serde_json::to_vec(&v).unwrap_or_default()),
        1 => prop::collection::vec(any::<u8>(), 0..64),
    ];
    // One case in ten has a signing key that cannot be read.
    (bytes, prop::bool::weighted(0.1))
}

#[test]
fn generated_and_mutated_events_never_panic_and_answer_well_formed() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = config();
    let readable = ScriptedSecret::new(vec![Ok(SIGNING_KEY)]);
    let unreadable = ScriptedSecret::new(vec![Err("ResourceNotFoundException: gone")]);
    let readable: CachedSecret<&ScriptedSecret> = cached(&readable);
    let unreadable: CachedSecret<&ScriptedSecret> = cached(&unreadable);
    let (parsed, succeeded, failed) = (
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    );

    let mut runner = TestRunner::new(ProptestConfig {
        cases: 10_000,
        rng_seed: RngSeed::Fixed(0x5350_726f_6365_7373),
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&event_bytes(), |(bytes, secret_fails)| {
            let Ok(event) = serde_json::from_slice::<S3Event>(&bytes) else {
                return Ok(());
            };
            parsed.fetch_add(1, Ordering::Relaxed);
            let records = event.records.len();
            let secret = if secret_fails { &unreadable } else { &readable };
            match rt.block_on(handle(&EchoStore, secret, &config, event)) {
                Ok(response) => {
                    succeeded.fetch_add(1, Ordering::Relaxed);
                    prop_assert_eq!(response.manifests.len(), records);
                    let value = serde_json::to_value(&response);
                    prop_assert!(value.is_ok());
                    for manifest in &response.manifests {
                        prop_assert_eq!(manifest.bucket.as_str(), INPUT_BUCKET);
                        prop_assert_eq!(manifest.sha256.len(), 64);
                        prop_assert!(manifest.manifest_key.starts_with("manifests/"));
                        prop_assert!(manifest.manifest_key.ends_with(".json"));
                    }
                }
                Err(err) => {
                    failed.fetch_add(1, Ordering::Relaxed);
                    let diagnostic = Diagnostic::from(err);
                    prop_assert!(!diagnostic.error_type.is_empty());
                    prop_assert!(!diagnostic.error_message.is_empty());
                    prop_assert!(!diagnostic.error_message.contains(SIGNING_KEY));
                    prop_assert!(serde_json::to_value(&diagnostic).is_ok());
                }
            }
            Ok(())
        })
        .unwrap();

    // The generator must reach the handler often, on both paths, or the test proves little.
    let (parsed, succeeded, failed) = (
        parsed.into_inner(),
        succeeded.into_inner(),
        failed.into_inner(),
    );
    println!("parsed {parsed}, succeeded {succeeded}, failed {failed} of 10000");
    assert!(parsed >= 3_000, "only {parsed} events parsed");
    assert!(succeeded >= 1_000, "only {succeeded} events succeeded");
    assert!(failed >= 1_000, "only {failed} events failed");
}
