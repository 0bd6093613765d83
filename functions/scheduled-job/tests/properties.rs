//! 10,000 generated and mutated events (and random table contents) through the runtime's path:
//! `serde_json::from_slice::<ScheduledEvent>`, then, when it parses, the handler with a fake table.
//! The job never panics, and its outcome is well formed and consistent with the table.

mod support;

use std::{collections::BTreeMap, time::Duration};

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_runtime::Diagnostic;
use proptest::{
    collection::{btree_map, vec},
    prelude::*,
    test_runner::{RngSeed, TestRunner},
};
use scheduled_job::handler::{Config, JobError, ScheduledEvent, cutoff, handler};
use serde_json::{Map, Value, json};
use support::{DeleteOutcome, FakeTable, is_expired};

const FIXTURE: &str = include_str!("fixtures/scheduled-event.json");
const FIELDS: &[&str] = &[
    "version",
    "id",
    "detail-type",
    "source",
    "account",
    "time",
    "region",
    "resources",
    "detail",
];
/// The fixture's cutoff at 30 days, around which generated `created_at` values cluster.
const CUTOFF_30_DAYS: i64 = 1_793_188_800;

/// Short strings of any Unicode, including control characters and the empty string.
fn arb_string() -> BoxedStrategy<String> {
    prop_oneof![
        3 => "\\PC{0,12}",
        1 => vec(any::<char>(), 0..8).prop_map(|chars| chars.into_iter().collect()),
    ]
    .boxed()
}

fn arb_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        arb_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map(arb_string(), inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
    .boxed()
}

/// Valid RFC 3339 times (any offset, optional fraction) and near misses.
fn arb_time() -> BoxedStrategy<Value> {
    let valid = (
        0..=9999i32,
        1..=12u32,
        1..=31u32,
        0..=23u32,
        0..=59u32,
        0..=60u32,
        prop_oneof![Just(String::new()), "\\.[0-9]{1,12}"],
        prop_oneof![Just("Z".to_owned()), "[+-](0[0-9]|1[0-4]):[0-5][0-9]"],
    )
        .prop_map(|(y, mo, d, h, mi, s, frac, off)| {
            Value::String(format!(
                "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}{off}"
            ))
        });
    prop_oneof![
        4 => valid,
        1 => "[0-9TZ:+. -]{0,30}".prop_map(Value::String),
        1 => arb_string().prop_map(Value::String),
        1 => arb_json(),
    ]
    .boxed()
}

#[derive(Debug, Clone)]
enum Mutation {
    Drop(usize),
    Replace(usize, Value),
    Time(Value),
    Extra(String, Value),
}

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => (0..FIELDS.len()).prop_map(Mutation::Drop),
        1 => (0..FIELDS.len(), arb_json()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        3 => arb_time().prop_map(Mutation::Time),
        1 => (arb_string(), arb_json()).prop_map(|(k, v)| Mutation::Extra(k, v)),
    ]
}

fn mutate(mut event: Map<String, Value>, mutations: Vec<Mutation>) -> Value {
    for mutation in mutations {
        match mutation {
            Mutation::Drop(i) => {
                event.remove(FIELDS[i]);
            }
            Mutation::Replace(i, value) => {
                event.insert(FIELDS[i].to_owned(), value);
            }
            Mutation::Time(value) => {
                event.insert("time".to_owned(), value);
            }
            Mutation::Extra(key, value) => {
                event.insert(key, value);
            }
        }
    }
    Value::Object(event)
}

fn arb_event() -> BoxedStrategy<Value> {
    let fixture = serde_json::from_str::<Map<String, Value>>(FIXTURE).unwrap();
    prop_oneof![
        2 => Just(Value::Object(fixture.clone())),
        6 => vec(arb_mutation(), 0..4).prop_map(move |m| mutate(fixture.clone(), m)),
        1 => arb_json(),
    ]
    .boxed()
}

fn arb_created_at() -> impl Strategy<Value = Option<AttributeValue>> {
    prop_oneof![
        1 => Just(None),
        4 => (-200_000_000i64..200_000_000)
            .prop_map(|d| Some(AttributeValue::N((CUTOFF_30_DAYS + d).to_string()))),
        1 => (-3i64..=3).prop_map(|d| Some(AttributeValue::N((CUTOFF_30_DAYS + d).to_string()))),
        1 => any::<i64>().prop_map(|n| Some(AttributeValue::N(n.to_string()))),
        1 => arb_string().prop_map(|s| Some(AttributeValue::N(s))),
        1 => arb_string().prop_map(|s| Some(AttributeValue::S(s))),
        1 => any::<bool>().prop_map(|b| Some(AttributeValue::Bool(b))),
    ]
}

fn arb_delete() -> impl Strategy<Value = DeleteOutcome> {
    prop_oneof![
        3 => (0usize..30).prop_map(DeleteOutcome::Leave),
        1 => arb_string().prop_map(DeleteOutcome::Fail),
    ]
}

#[derive(Debug, Clone)]
struct Store {
    items: BTreeMap<String, Option<AttributeValue>>,
    page_size: usize,
    deletes: Vec<DeleteOutcome>,
    fail_scan_call: Option<usize>,
    retention_days: u64,
}

fn arb_store() -> impl Strategy<Value = Store> {
    (
        btree_map("[a-z0-9]{1,6}", arb_created_at(), 0..40),
        1usize..30,
        vec(arb_delete(), 0..12),
        prop_oneof![4 => Just(None), 1 => (0usize..6).prop_map(Some)],
        prop_oneof![
            6 => Just(30u64),
            2 => 1u64..=400,
            1 => 1u64..=3_000_000,
            1 => any::<u64>(),
            1 => Just(u64::MAX),
        ],
    )
        .prop_map(
            |(items, page_size, deletes, fail_scan_call, retention_days)| Store {
                items,
                page_size,
                deletes,
                fail_scan_call,
                retention_days,
            },
        )
}

#[test]
fn any_event_and_table_give_a_well_formed_outcome() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 10_000,
        rng_seed: RngSeed::Fixed(0x5C4E_D01E),
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let handled = std::cell::Cell::new(0u32);
    runner
        .run(&(arb_event(), arb_store()), |(event, store)| {
            let bytes = serde_json::to_vec(&event).unwrap();
            let Ok(event) = serde_json::from_slice::<ScheduledEvent>(&bytes) else {
                return Ok(());
            };
            handled.set(handled.get() + 1);
            let table = FakeTable {
                fail_scan_call: store.fail_scan_call,
                ..FakeTable::new(store.page_size)
                    .with_items(store.items.iter().map(|(id, c)| (id.as_str(), c.clone())))
                    .with_deletes(store.deletes.clone())
            };
            let config = Config {
                retention_days: store.retention_days,
                retry_base_delay: Duration::ZERO,
            };
            let expected_cutoff = cutoff(&event, store.retention_days);
            let result = rt.block_on(handler(&table, &config, event));
            match result {
                Ok(summary) => {
                    let cutoff = expected_cutoff.clone().unwrap();
                    let json = serde_json::to_value(summary).unwrap();
                    prop_assert_eq!(
                        json,
                        json!({
                            "cutoff": cutoff,
                            "retention_days": store.retention_days,
                            "scanned": summary.scanned,
                            "expired": summary.expired,
                            "deleted": summary.deleted,
                            "failed": 0,
                        })
                    );
                    let expired = store
                        .items
                        .values()
                        .filter(|c| is_expired(c.as_ref(), cutoff))
                        .count() as u64;
                    prop_assert_eq!(summary.scanned, store.items.len() as u64);
                    prop_assert_eq!(summary.expired, expired);
                    prop_assert_eq!(summary.deleted, expired);
                    let remaining = table.items.lock().unwrap();
                    prop_assert!(remaining.values().all(|c| !is_expired(c.as_ref(), cutoff)));
                    prop_assert_eq!(remaining.len() as u64, store.items.len() as u64 - expired);
                }
                Err(err) => {
                    prop_assert!(!err.to_string().is_empty());
                    match &err {
                        JobError::MissingTime | JobError::CutoffOutOfRange { .. } => {
                            prop_assert_eq!(Err(err.clone()), expected_cutoff);
                            prop_assert!(table.scan_calls.lock().unwrap().is_empty());
                        }
                        JobError::Scan { summary, .. } => {
                            prop_assert!(store.fail_scan_call.is_some());
                            prop_assert_eq!(summary.deleted + summary.failed, summary.expired);
                        }
                        JobError::NotAllDeleted { summary, .. } => {
                            prop_assert!(summary.failed > 0);
                            prop_assert_eq!(summary.deleted + summary.failed, summary.expired);
                        }
                    }
                    let diagnostic = Diagnostic::from(err);
                    prop_assert!(!diagnostic.error_type.is_empty());
                    prop_assert!(!diagnostic.error_message.is_empty());
                }
            }
            Ok(())
        })
        .unwrap();
    let handled = handled.get();
    eprintln!("{handled} of 10,000 events reached the handler");
    assert!(
        handled >= 5_000,
        "only {handled} of 10,000 events reached the handler"
    );
}
