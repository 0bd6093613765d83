//! 10,000 generated and mutated SQS events through the path the runtime takes: bytes or JSON to
//! `SqsEvent`, then, when that parses, the handler with an in-memory store. The handler never
//! panics, and its outcome is exactly the one the record rules give.

mod support;

use std::cell::Cell;
use std::sync::LazyLock;

use aws_lambda_events::sqs::SqsEvent;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed, TestRunner};
use serde_json::{Map, Value, json};
use sqs_processor::handler::handle;
use sqs_processor::order::Order;
use support::FakeStore;

const FIXTURE: &str = include_str!("fixtures/sqs_event.json");

/// Writes of these orders fail in the fake store.
fn write_fails(order: &Order) -> bool {
    order.amount_cents % 5 == 3
}

/// What the runtime receives.
#[derive(Debug, Clone)]
enum Input {
    Json(Value),
    Bytes(Vec<u8>),
}

/// The fixture's first record, parsed once.
static TEMPLATE_RECORD: LazyLock<Value> = LazyLock::new(|| {
    let event: Value = serde_json::from_str(FIXTURE).unwrap();
    event["Records"][0].clone()
});

/// Any JSON value, nested a little.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,20}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-zA-Z_]{1,12}", inner), 0..4)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// The raw JSON text of a body field: usually valid, else any kind of wrong.
fn field_text(valid: BoxedStrategy<String>) -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        20 => valid.prop_map(Some),
        1 => Just(None),
        1 => prop_oneof![
            Just("-1".to_owned()),
            Just("1.5".to_owned()),
            Just("1e400".to_owned()),
            Just("18446744073709551616".to_owned()),
            Just("99999999999999999999999999999999".to_owned()),
            Just("\"\"".to_owned()),
            Just("\"   \"".to_owned()),
            Just("null".to_owned()),
            Just("[]".to_owned()),
            Just("{}".to_owned()),
            ".{0,200}".prop_map(|s| Value::from(s).to_string()),
            any_json().prop_map(|v| v.to_string()),
        ]
        .prop_map(Some),
    ]
}

fn id_text() -> BoxedStrategy<String> {
    prop_oneof![
        12 => any::<u32>().prop_map(|n| format!("id-{n}")),
        1 => ".{1,130}",
        1 => (120usize..136, any::<char>()).prop_map(|(n, c)| c.to_string().repeat(n)),
    ]
    .prop_map(|s| Value::from(s).to_string())
    .boxed()
}

fn amount_text() -> BoxedStrategy<String> {
    prop_oneof![0u64..100_000, any::<u64>()]
        .prop_map(|n| n.to_string())
        .boxed()
}

fn currency_text() -> BoxedStrategy<String> {
    prop_oneof![
        8 => prop::array::uniform3(b'A'..=b'Z').prop_map(|b| b.map(char::from).iter().collect()),
        1 => "[A-Za-z0-9]{0,5}",
        1 => ".{0,4}",
    ]
    .prop_map(|s| Value::from(s).to_string())
    .boxed()
}

/// A body: an order object built from raw field texts (duplicate keys and extra fields
/// included), sometimes cut short, or any string at all.
fn body() -> impl Strategy<Value = String> {
    let order = (
        field_text(id_text()),
        field_text(id_text()),
        field_text(amount_text()),
        field_text(currency_text()),
        prop::collection::vec(("[a-z_]{1,12}", any_json()), 0..3),
        prop::option::weighted(0.05, any::<prop::sample::Index>()),
    )
        .prop_map(|(order_id, customer_id, amount, currency, extra, cut)| {
            let mut members: Vec<String> = [
                ("order_id", order_id),
                ("customer_id", customer_id),
                ("amount_cents", amount),
                ("currency", currency),
            ]
            .into_iter()
            .filter_map(|(key, text)| text.map(|text| format!("\"{key}\":{text}")))
            .collect();
            members.extend(
                extra
                    .into_iter()
                    .map(|(key, value)| format!("\"{key}\":{value}")),
            );
            let body = format!("{{{}}}", members.join(","));
            match cut {
                Some(at) => body
                    .chars()
                    .take(at.index(body.chars().count() + 1))
                    .collect(),
                None => body,
            }
        });
    prop_oneof![
        8 => order,
        1 => ".{0,64}",
        1 => any_json().prop_map(|v| v.to_string()),
    ]
}

/// A message id shaped like SQS's (a UUID).
fn uuid(n: u128) -> String {
    let hex = format!("{n:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// What to do to one field of a record.
#[derive(Debug, Clone)]
enum Change {
    Keep,
    Drop,
    Set(Value),
}

fn change(valid: BoxedStrategy<Value>) -> impl Strategy<Value = Change> {
    prop_oneof![
        20 => Just(Change::Keep),
        40 => valid.prop_map(Change::Set),
        3 => Just(Change::Drop),
        1 => any_json().prop_map(Change::Set),
    ]
}

fn record() -> impl Strategy<Value = Value> {
    let message_id = prop_oneof![
        8 => any::<u128>().prop_map(|n| Value::from(uuid(n))),
        2 => (0u8..4).prop_map(|n| Value::from(format!("m-{n}"))), // duplicates within a batch
        1 => ".{1,40}".prop_map(Value::from),
    ]
    .boxed();
    let body_value = body().prop_map(Value::from).boxed();
    let other_field = prop::sample::select(vec![
        "receiptHandle",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
        "unknownField",
    ]);
    (
        change(message_id),
        change(body_value),
        prop::option::weighted(
            0.03,
            (
                other_field,
                prop_oneof![Just(Change::Drop), any_json().prop_map(Change::Set)],
            ),
        ),
    )
        .prop_map(|(message_id, body, other)| {
            let mut record = TEMPLATE_RECORD.clone();
            let Value::Object(fields) = &mut record else {
                unreachable!("the fixture's records are objects")
            };
            let mut apply = |key: &str, change: Change| match change {
                Change::Keep => {}
                Change::Drop => {
                    fields.remove(key);
                }
                Change::Set(value) => {
                    fields.insert(key.to_owned(), value);
                }
            };
            apply("messageId", message_id);
            apply("body", body);
            if let Some((key, change)) = other {
                apply(key, change);
            }
            record
        })
}

fn input() -> impl Strategy<Value = Input> {
    let event = (
        prop::collection::vec(record(), 0..=10),
        prop::option::weighted(0.02, any_json()),
    )
        .prop_map(|(records, replace)| {
            let mut event = json!({ "Records": records });
            if let Some(value) = replace {
                event["Records"] = value;
            }
            Input::Json(event)
        });
    let flipped_fixture = (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(at, byte)| {
        let mut bytes = FIXTURE.as_bytes().to_vec();
        let at = at.index(bytes.len());
        bytes[at] = byte;
        Input::Bytes(bytes)
    });
    prop_oneof![
        16 => event,
        1 => any_json().prop_map(Input::Json),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(Input::Bytes),
        2 => flipped_fixture,
    ]
}

/// The outcome the rules give for a parsed event: `Err(index)` of the first record without a
/// message id, else the ids to retry, in batch order.
fn expected(event: &SqsEvent) -> Result<Vec<String>, usize> {
    let mut failures = Vec::new();
    for (index, record) in event.records.iter().enumerate() {
        match record.message_id.as_deref() {
            Some(id) if !id.trim().is_empty() => {
                match Order::from_body(id, record.body.as_deref()) {
                    Ok(order) if !write_fails(&order) => {}
                    _ => failures.push(id.to_owned()),
                }
            }
            _ => return Err(index),
        }
    }
    Ok(failures)
}

#[test]
fn any_event_gives_a_well_formed_outcome() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = ProptestConfig {
        cases: 10_000,
        rng_seed: RngSeed::Fixed(0x5050_2026),
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = TestRunner::new(config);
    // How many events did not parse / were answered Ok / were answered Err.
    let (unparsed, answered, rejected) = (Cell::new(0), Cell::new(0), Cell::new(0));
    let result = runner.run(&input(), |input| {
        let parsed = match input {
            Input::Json(value) => serde_json::from_value::<SqsEvent>(value).ok(),
            Input::Bytes(bytes) => serde_json::from_slice::<SqsEvent>(&bytes).ok(),
        };
        let Some(event) = parsed else {
            unparsed.set(unparsed.get() + 1);
            return Ok(()); // The runtime answers a parse error itself.
        };
        let expected = expected(&event);
        let ids: Vec<String> = event
            .records
            .iter()
            .filter_map(|r| r.message_id.clone())
            .collect();
        let store = FakeStore::failing_when(write_fails);
        match (rt.block_on(handle(&store, event)), expected) {
            (Ok(response), Ok(failures)) => {
                answered.set(answered.get() + 1);
                let wire = serde_json::to_value(&response).unwrap();
                let reported: Vec<Value> = failures
                    .iter()
                    .map(|id| json!({ "itemIdentifier": id }))
                    .collect();
                prop_assert_eq!(wire, json!({ "batchItemFailures": reported }));
                // Every record is either recorded or reported.
                let recorded = store.recorded();
                for id in &ids {
                    prop_assert!(recorded.contains_key(id) || failures.contains(id));
                }
                for (id, order) in &recorded {
                    prop_assert_eq!(id, &order.message_id);
                    prop_assert!(ids.contains(id));
                }
            }
            (Err(error), Err(index)) => {
                rejected.set(rejected.get() + 1);
                prop_assert_eq!(
                    error.to_string(),
                    format!("record {index} has no messageId: the whole batch will be retried")
                );
                prop_assert_eq!(store.calls.load(std::sync::atomic::Ordering::SeqCst), 0);
            }
            (outcome, expected) => {
                prop_assert!(false, "got {outcome:?}, expected {expected:?}");
            }
        }
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    // The generator reaches every path (the seed is fixed, so these counts are too).
    let counts = (unparsed.get(), answered.get(), rejected.get());
    assert_eq!(counts.0 + counts.1 + counts.2, 10_000);
    assert!(
        counts.0 >= 1_000 && counts.1 >= 4_000 && counts.2 >= 500,
        "{counts:?}"
    );
}
