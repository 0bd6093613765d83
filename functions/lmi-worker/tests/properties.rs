//! Seeded property test: 10,000 generated and mutated lookup events through the runtime's decoding
//! and the handler. Each gives a response or a structured error; none panics.

use std::{collections::HashMap, sync::Arc, time::Duration};

use lambda_runtime::{Context, Diagnostic, LambdaEvent};
use lmi_worker::{
    cache::ItemCache,
    handler::{AppState, LookupRequest, handle},
    store::{ItemReader, StoreError},
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use serde_json::{Value, json};

struct FakeReader(HashMap<String, Value>);

impl ItemReader for FakeReader {
    async fn get(&self, id: &str) -> Result<Option<Value>, StoreError> {
        if id.starts_with("fail") {
            return Err(StoreError {
                table: "items".into(),
                id: id.into(),
                reason: "throttled".into(),
            });
        }
        Ok(self.0.get(id).cloned())
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        ".{0,70}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn event() -> impl Strategy<Value = Value> {
    let id = prop_oneof![
        "item-[0-9]{1,2}",
        "fail-[0-9]",
        "[a-zA-Z0-9_-]{0,70}",
        ".{0,10}"
    ];
    prop_oneof![
        prop::collection::vec(id, 0..120).prop_map(|ids| json!({ "item_ids": ids })),
        json_value().prop_map(|ids| json!({ "item_ids": ids })),
        json_value(),
    ]
}

#[test]
fn every_event_gets_a_response_or_a_structured_error() {
    let config = Config {
        cases: 10_000,
        rng_seed: RngSeed::Fixed(0x5eed_0006),
        failure_persistence: None,
        ..Config::default()
    };
    let items = (0..50).map(|i| (format!("item-{i}"), json!({"id": format!("item-{i}")})));
    let state = Arc::new(AppState {
        reader: FakeReader(items.collect()),
        cache: ItemCache::new(Duration::from_secs(60)),
        panic_on_id: None,
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut runner = TestRunner::new(config);
    runner
        .run(&event(), |value| {
            let Ok(request) = serde_json::from_value::<LookupRequest>(value) else {
                return Ok(()); // the runtime answers a decoding error before the handler runs
            };
            let requested = request.item_ids.clone();
            let result = rt.block_on(handle(
                state.clone(),
                LambdaEvent::new(request, Context::default()),
            ));
            match result {
                Ok(response) => {
                    prop_assert_eq!(
                        response.items.len() + response.missing.len(),
                        requested.len()
                    );
                    prop_assert!(serde_json::to_value(&response).is_ok());
                }
                Err(err) => {
                    let diagnostic = Diagnostic::from(err);
                    prop_assert!(!diagnostic.error_message.is_empty());
                    prop_assert!(matches!(
                        diagnostic.error_type.as_str(),
                        "InvalidRequest" | "StoreError"
                    ));
                }
            }
            Ok(())
        })
        .unwrap();
}
