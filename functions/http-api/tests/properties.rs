//! Seeded property test: 10,000 generated and mutated HTTP events through the same decoding the
//! runtime uses and then the router. Every one must give a JSON response; none may panic.

mod support;

use http_api::guard::Guarded;
use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, Context, LambdaEvent};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use serde_json::{Value, json};

const POST_ITEM: &str = include_str!("fixtures/apigw-v2-post-item.json");

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,80}".prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// One mutation of the valid fixture: a path, method, header or body changed or removed.
fn mutated_event() -> impl Strategy<Value = String> {
    let paths = prop_oneof![
        Just("/items".to_owned()),
        Just("/health".to_owned()),
        "/items/[a-zA-Z0-9_%-]{0,70}",
        "/[a-z/]{0,20}",
        ".{0,40}",
    ];
    let methods = prop_oneof![
        Just("GET"),
        Just("POST"),
        Just("PUT"),
        Just("DELETE"),
        Just("PATCH")
    ];
    let bodies = prop_oneof![
        json_value().prop_map(|v| Some(v.to_string())),
        (".{0,8}", ".{0,8}", any::<i64>()).prop_map(|(id, name, q)| Some(
            json!({"id": id, "name": name, "quantity": q}).to_string()
        )),
        ".{0,200}".prop_map(Some),
        Just(None),
    ];
    let content_types = prop_oneof![
        Just(Some("application/json".to_owned())),
        Just(None),
        ".{0,30}".prop_map(Some),
    ];
    (
        paths,
        methods,
        bodies,
        content_types,
        any::<bool>(),
        json_value(),
    )
        .prop_map(|(path, method, body, content_type, base64, junk)| {
            let mut event: Value = serde_json::from_str(POST_ITEM).unwrap();
            event["rawPath"] = json!(path);
            event["requestContext"]["http"]["path"] = json!(path);
            event["requestContext"]["http"]["method"] = json!(method);
            event["body"] = body.map_or(Value::Null, Value::String);
            event["isBase64Encoded"] = json!(base64);
            match content_type {
                Some(ct) => event["headers"]["content-type"] = json!(ct),
                None => {
                    event["headers"]
                        .as_object_mut()
                        .unwrap()
                        .remove("content-type");
                }
            }
            event["requestContext"]["extra"] = junk;
            event.to_string()
        })
}

#[test]
fn every_event_gets_a_json_response() {
    let config = Config {
        cases: 10_000,
        rng_seed: RngSeed::Fixed(0x5eed_0001),
        failure_persistence: None,
        ..Config::default()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = support::MemoryStore::default();
    let decoded = std::cell::Cell::new(0usize);
    let mut runner = TestRunner::new(config);
    runner
        .run(&mutated_event(), |event| {
            // The runtime rejects an event that does not decode before the handler runs.
            let Ok(lambda_request) = serde_json::from_str::<LambdaRequest>(&event) else {
                return Ok(());
            };
            decoded.set(decoded.get() + 1);
            // The same path as main: lambda_http's adapter behind the guard.
            let mut adapter =
                Adapter::from(http_api::app::router(store.clone(), support::fixed_clock));
            let event = LambdaEvent::new(lambda_request, Context::default());
            let response = rt.block_on(async {
                match http_api::guard::call(&mut adapter, event) {
                    Ok(routed) => serde_json::to_value(Guarded::Routed(routed.await.unwrap())),
                    Err(rejection) => serde_json::to_value(Guarded::<()>::Rejected(rejection)),
                }
            });
            let response = response
                .map_err(|e| TestCaseError::fail(format!("response does not serialize: {e}")))?;
            let status = response["statusCode"].as_u64().unwrap_or_default();
            let body: Value = serde_json::from_str(response["body"].as_str().unwrap_or_default())
                .map_err(|e| {
                TestCaseError::fail(format!("body is not JSON: {e}: {response}"))
            })?;
            prop_assert!(
                matches!(status, 200 | 201 | 400 | 404 | 405 | 409 | 413),
                "status {status}"
            );
            if status >= 400 {
                prop_assert!(
                    body["error"].is_string() && body["message"].is_string(),
                    "{body}"
                );
            }
            Ok(())
        })
        .unwrap();
    let decoded = decoded.get();
    assert!(
        decoded > 5_000,
        "only {decoded} of 10000 events decoded: the generator is too broken"
    );
}
