//! The handler on AWS-shaped SQS events, with an in-memory store.

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::Diagnostic;
use serde_json::{Value, json};
use sqs_processor::handler::{HandlerError, handle};
use sqs_processor::order::Order;
use support::FakeStore;

const VALID: &str = include_str!("fixtures/sqs_event.json");
const MIXED: &str = include_str!("fixtures/sqs_event_mixed.json");
const NO_MESSAGE_ID: &str = include_str!("fixtures/sqs_event_no_message_id.json");

fn event(fixture: &str) -> SqsEvent {
    serde_json::from_str(fixture).unwrap()
}

fn wire(response: &SqsBatchResponse) -> Value {
    serde_json::to_value(response).unwrap()
}

fn order(
    message_id: &str,
    order_id: &str,
    customer_id: &str,
    amount_cents: u64,
    currency: &str,
) -> Order {
    Order {
        message_id: message_id.into(),
        order_id: order_id.into(),
        customer_id: customer_id.into(),
        amount_cents,
        currency: currency.into(),
    }
}

#[tokio::test]
async fn a_valid_batch_records_every_order_and_reports_no_failure() {
    let store = FakeStore::new();
    let response = handle(&store, event(VALID)).await.unwrap();
    assert_eq!(wire(&response), json!({"batchItemFailures": []}));
    let recorded: Vec<Order> = store.recorded().into_values().collect();
    assert_eq!(
        recorded,
        vec![
            order(
                "059f36b4-87a3-44ab-83d2-661975830a7d",
                "order-1001",
                "cust-42",
                1999,
                "EUR"
            ),
            order(
                "2e1424d4-f796-459a-8184-9c92662be6da",
                "order-1002",
                "cust-7",
                0,
                "USD"
            ),
        ]
    );
}

#[tokio::test]
async fn a_redelivered_message_is_a_success_not_a_failure() {
    let store = FakeStore::new();
    let earlier = order(
        "059f36b4-87a3-44ab-83d2-661975830a7d",
        "order-1001",
        "cust-42",
        1999,
        "EUR",
    );
    store.insert(earlier.clone());
    let response = handle(&store, event(VALID)).await.unwrap();
    assert_eq!(wire(&response), json!({"batchItemFailures": []}));
    assert_eq!(store.recorded().len(), 2);
    assert_eq!(
        store.recorded()["059f36b4-87a3-44ab-83d2-661975830a7d"],
        earlier
    );
    // The same batch again: every write is a no-op, nothing fails.
    let again = handle(&store, event(VALID)).await.unwrap();
    assert_eq!(wire(&again), json!({"batchItemFailures": []}));
    assert_eq!(store.recorded().len(), 2);
}

#[tokio::test]
async fn invalid_bodies_and_failed_writes_are_reported_by_message_id_in_batch_order() {
    // Record 4 (JPY) fails to write; 2 is not JSON, 3 has a negative amount, 5 a lower-case currency.
    let store = FakeStore::failing_when(|order| order.currency == "JPY");
    let response = handle(&store, event(MIXED)).await.unwrap();
    assert_eq!(
        wire(&response),
        json!({"batchItemFailures": [
            {"itemIdentifier": "a1b2c3d4-0000-4000-8000-000000000002"},
            {"itemIdentifier": "a1b2c3d4-0000-4000-8000-000000000003"},
            {"itemIdentifier": "a1b2c3d4-0000-4000-8000-000000000004"},
            {"itemIdentifier": "a1b2c3d4-0000-4000-8000-000000000005"},
        ]})
    );
    let recorded: Vec<Order> = store.recorded().into_values().collect();
    assert_eq!(
        recorded,
        vec![order(
            "a1b2c3d4-0000-4000-8000-000000000001",
            "order-2001",
            "cust-1",
            500,
            "GBP"
        )]
    );
    // Only the valid bodies reached the store.
    assert_eq!(store.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_record_without_a_body_is_reported() {
    let mut event: Value = serde_json::from_str(VALID).unwrap();
    event["Records"][1].as_object_mut().unwrap().remove("body");
    let store = FakeStore::new();
    let response = handle(&store, serde_json::from_value(event).unwrap())
        .await
        .unwrap();
    assert_eq!(
        wire(&response),
        json!({"batchItemFailures": [{"itemIdentifier": "2e1424d4-f796-459a-8184-9c92662be6da"}]})
    );
    assert_eq!(store.recorded().len(), 1);
}

#[tokio::test]
async fn a_record_without_a_message_id_fails_the_whole_batch_before_any_write() {
    let store = FakeStore::new();
    let error = handle(&store, event(NO_MESSAGE_ID)).await.unwrap_err();
    assert_eq!(error, HandlerError::MissingMessageId { index: 1 });
    assert_eq!(
        error.to_string(),
        "record 1 has no messageId: the whole batch will be retried"
    );
    assert_eq!(store.calls.load(Ordering::SeqCst), 0);

    let diagnostic = Diagnostic::from(error);
    assert_eq!(
        serde_json::to_value(diagnostic).unwrap(),
        json!({
            "errorType": "MissingMessageId",
            "errorMessage": "record 1 has no messageId: the whole batch will be retried",
        })
    );
}

#[tokio::test]
async fn an_empty_or_null_message_id_counts_as_missing() {
    for id in [json!(""), json!("   "), Value::Null] {
        let mut event: Value = serde_json::from_str(VALID).unwrap();
        event["Records"][0]["messageId"] = id.clone();
        let error = handle(&FakeStore::new(), serde_json::from_value(event).unwrap())
            .await
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "record 0 has no messageId: the whole batch will be retried",
            "{id}"
        );
    }
}

#[tokio::test]
async fn an_empty_batch_reports_no_failure() {
    let store = FakeStore::new();
    let response = handle(&store, serde_json::from_str(r#"{"Records": []}"#).unwrap())
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_string(&response).unwrap(),
        r#"{"batchItemFailures":[]}"#
    );
    assert_eq!(store.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn records_are_written_concurrently() {
    // Ten writers wait on one barrier: a sequential handler would never get past the first.
    let mut event: Value = serde_json::from_str(VALID).unwrap();
    let template = event["Records"][0].clone();
    event["Records"] = (0..10)
        .map(|i| {
            let mut record = template.clone();
            record["messageId"] = json!(format!("msg-{i}"));
            record
        })
        .collect();
    let store = FakeStore::with_barrier(10);
    let response = tokio::time::timeout(
        Duration::from_secs(10),
        handle(&store, serde_json::from_value(event).unwrap()),
    )
    .await
    .expect("the writes ran one at a time")
    .unwrap();
    assert_eq!(wire(&response), json!({"batchItemFailures": []}));
    assert_eq!(store.recorded().len(), 10);
}
