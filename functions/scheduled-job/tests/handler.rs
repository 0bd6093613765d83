//! The handler against an in-memory table, with events shaped exactly as EventBridge sends them.

mod support;

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_runtime::Diagnostic;
use scheduled_job::handler::{Config, JobError, ScheduledEvent, Summary, backoff, cutoff, handler};
use serde_json::{Value, json};
use support::{DeleteOutcome, FakeTable, number};

const FIXTURE: &str = include_str!("fixtures/scheduled-event.json");
/// 2026-11-27T12:00:00Z, the fixture's time.
const EVENT_TIME: i64 = 1_795_780_800;
/// 30 days before it.
const CUTOFF: i64 = EVENT_TIME - 30 * 86_400;

fn fixture() -> Value {
    serde_json::from_str(FIXTURE).unwrap()
}

fn event(value: Value) -> ScheduledEvent {
    serde_json::from_value(value).unwrap()
}

fn config(retention_days: u64) -> Config {
    Config {
        retention_days,
        retry_base_delay: Duration::ZERO,
    }
}

async fn run(table: &FakeTable) -> Result<Summary, JobError> {
    handler(table, &config(30), event(fixture())).await
}

fn expired_items(n: usize) -> Vec<(String, Option<AttributeValue>)> {
    (0..n)
        .map(|i| (format!("old-{i:03}"), number(CUTOFF - 1 - i as i64)))
        .collect()
}

fn table_with(page_size: usize, items: &[(String, Option<AttributeValue>)]) -> FakeTable {
    FakeTable::new(page_size).with_items(items.iter().map(|(id, c)| (id.as_str(), c.clone())))
}

fn summary(scanned: u64, expired: u64, deleted: u64, failed: u64) -> Summary {
    Summary {
        cutoff: CUTOFF,
        retention_days: 30,
        scanned,
        expired,
        deleted,
        failed,
    }
}

#[test]
fn the_fixture_is_a_scheduled_event_and_sets_the_cutoff() {
    let event = event(fixture());
    assert_eq!(event.detail_type, "Scheduled Event");
    assert_eq!(event.source, "aws.events");
    assert_eq!(cutoff(&event, 30), Ok(CUTOFF));
    assert_eq!(CUTOFF, 1_793_188_800);
    assert_eq!(cutoff(&event, 1), Ok(EVENT_TIME - 86_400));
}

#[test]
fn a_time_with_an_offset_or_fraction_gives_the_same_cutoff() {
    let mut value = fixture();
    value["time"] = json!("2026-11-27T13:00:00+01:00");
    assert_eq!(cutoff(&event(value.clone()), 30), Ok(CUTOFF));
    value["time"] = json!("2026-11-27T12:00:00.999Z");
    assert_eq!(cutoff(&event(value), 30), Ok(CUTOFF));
}

#[tokio::test]
async fn deletes_only_items_strictly_older_than_the_cutoff() {
    let table = FakeTable::new(100).with_items([
        ("a-expired", number(CUTOFF - 1)),
        ("b-at-cutoff", number(CUTOFF)),
        ("c-newer", number(CUTOFF + 1)),
        ("d-no-created-at", None),
        (
            "e-string-created-at",
            Some(AttributeValue::S("1".to_owned())),
        ),
        ("f-epoch-zero", number(0)),
    ]);
    let result = run(&table).await.unwrap();
    assert_eq!(result, summary(6, 2, 2, 0));
    assert_eq!(
        table.ids(),
        [
            "b-at-cutoff",
            "c-newer",
            "d-no-created-at",
            "e-string-created-at"
        ]
    );
    assert_eq!(table.delete_calls(), [["a-expired", "f-epoch-zero"]]);
    assert_eq!(*table.scan_calls.lock().unwrap(), [(CUTOFF, None)]);
}

#[tokio::test]
async fn the_response_has_exactly_the_documented_shape() {
    let table = FakeTable::new(100).with_items([("x", number(CUTOFF - 10)), ("y", None)]);
    let result = run(&table).await.unwrap();
    assert_eq!(
        serde_json::to_string(&result).unwrap(),
        r#"{"cutoff":1793188800,"retention_days":30,"scanned":2,"expired":1,"deleted":1,"failed":0}"#
    );
}

#[tokio::test]
async fn an_empty_table_scans_once_and_deletes_nothing() {
    let table = FakeTable::new(10);
    assert_eq!(run(&table).await.unwrap(), summary(0, 0, 0, 0));
    assert_eq!(table.scan_calls.lock().unwrap().len(), 1);
    assert!(table.delete_calls().is_empty());
}

#[tokio::test]
async fn follows_last_evaluated_key_and_deletes_in_batches_of_25() {
    let mut items = expired_items(60);
    items.extend((0..10).map(|i| (format!("new-{i}"), number(CUTOFF + i))));
    let table = table_with(7, &items);
    assert_eq!(run(&table).await.unwrap(), summary(70, 60, 60, 0));
    let scans = table.scan_calls.lock().unwrap().clone();
    assert_eq!(scans.len(), 10, "70 items at 7 a page");
    assert_eq!(scans[0], (CUTOFF, None));
    assert_eq!(scans[1], (CUTOFF, Some("new-6".to_owned())));
    assert!(scans.iter().all(|(cutoff, _)| *cutoff == CUTOFF));
    let sizes: Vec<usize> = table.delete_calls().iter().map(Vec::len).collect();
    assert_eq!(sizes, [25, 25, 10]);
    assert_eq!(table.ids().len(), 10);
    assert!(table.ids().iter().all(|id| id.starts_with("new-")));
}

#[tokio::test]
async fn retries_unprocessed_items_until_all_are_deleted() {
    let table = table_with(100, &expired_items(30)).with_deletes([
        DeleteOutcome::Leave(5),
        DeleteOutcome::Leave(2),
        DeleteOutcome::Leave(0),
    ]);
    assert_eq!(run(&table).await.unwrap(), summary(30, 30, 30, 0));
    let calls = table.delete_calls();
    let sizes: Vec<usize> = calls.iter().map(Vec::len).collect();
    assert_eq!(sizes, [25, 5, 2, 5]);
    assert_eq!(
        calls[1],
        calls[0][20..],
        "the retry sends exactly the unprocessed keys"
    );
    assert!(table.ids().is_empty());
}

#[tokio::test]
async fn items_still_unprocessed_after_5_attempts_fail_the_invocation() {
    let table = table_with(100, &expired_items(3)).with_deletes(vec![DeleteOutcome::Leave(1); 5]);
    let err = run(&table).await.unwrap_err();
    assert_eq!(
        err,
        JobError::NotAllDeleted {
            summary: summary(3, 3, 2, 1),
            reason: "BatchWriteItem left them unprocessed".to_owned()
        }
    );
    assert_eq!(
        err.to_string(),
        "1 of 3 expired items were not deleted after 5 attempts per batch (cutoff 1793188800, \
         retention_days 30, scanned 3, expired 3, deleted 2, failed 1); last error: BatchWriteItem \
         left them unprocessed"
    );
    assert_eq!(table.delete_calls().len(), 5);
    assert_eq!(table.ids(), ["old-002"]);
    let diagnostic = Diagnostic::from(err);
    assert_eq!(diagnostic.error_type, "NotAllDeleted");
}

#[tokio::test]
async fn a_failing_batch_is_retried_then_counted_as_failed_while_others_proceed() {
    let fail =
        DeleteOutcome::Fail("BatchWriteItem on table items failed: ThrottlingException".to_owned());
    let table = table_with(100, &expired_items(27)).with_deletes(vec![fail; 5]);
    let err = run(&table).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "25 of 27 expired items were not deleted after 5 attempts per batch (cutoff 1793188800, \
         retention_days 30, scanned 27, expired 27, deleted 2, failed 25); last error: \
         BatchWriteItem on table items failed: ThrottlingException"
    );
    let sizes: Vec<usize> = table.delete_calls().iter().map(Vec::len).collect();
    assert_eq!(sizes, [25, 25, 25, 25, 25, 2]);
}

#[tokio::test]
async fn a_transient_delete_error_is_retried() {
    let table = table_with(100, &expired_items(4))
        .with_deletes([DeleteOutcome::Fail("InternalServerError".to_owned())]);
    assert_eq!(run(&table).await.unwrap(), summary(4, 4, 4, 0));
    assert_eq!(table.delete_calls().len(), 2);
}

#[tokio::test]
async fn a_scan_error_fails_after_deleting_what_was_already_found() {
    let mut items = expired_items(3);
    items.extend(expired_items(6).split_off(3));
    let table = FakeTable {
        fail_scan_call: Some(1),
        ..table_with(3, &items)
    };
    let err = run(&table).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "the scan for expired items did not finish (cutoff 1793188800, retention_days 30, scanned 3, \
         expired 3, deleted 3, failed 0): Scan of table items failed: \
         ProvisionedThroughputExceededException"
    );
    assert_eq!(Diagnostic::from(err).error_type, "ScanFailed");
    assert_eq!(table.ids(), ["old-003", "old-004", "old-005"]);
}

#[tokio::test]
async fn a_missing_time_is_an_error_naming_the_field() {
    let mut value = fixture();
    value.as_object_mut().unwrap().remove("time");
    let table = table_with(10, &expired_items(2));
    let err = handler(&table, &config(30), event(value))
        .await
        .unwrap_err();
    assert_eq!(err, JobError::MissingTime);
    let diagnostic = serde_json::to_value(Diagnostic::from(err)).unwrap();
    assert_eq!(
        diagnostic,
        json!({
            "errorType": "MissingTime",
            "errorMessage": "the event has no \"time\" field: the time the schedule fired (RFC 3339) is the reference for the retention cutoff"
        })
    );
    assert!(
        table.scan_calls.lock().unwrap().is_empty(),
        "nothing is scanned"
    );
    assert_eq!(table.ids().len(), 2);
}

#[test]
fn an_invalid_time_is_rejected_when_the_event_is_parsed() {
    // The runtime parses with serde_path_to_error, so its error names the field: "[time] ...".
    for bad in [
        json!("yesterday"),
        json!(1795780800),
        json!("2026-13-01T00:00:00Z"),
        json!(""),
    ] {
        let mut value = fixture();
        value["time"] = bad.clone();
        assert!(
            serde_json::from_value::<ScheduledEvent>(value).is_err(),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn a_retention_too_large_for_the_time_is_an_error() {
    let table = FakeTable::new(10);
    let err = handler(&table, &config(u64::MAX), event(fixture()))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the retention cutoff is out of range: event \"time\" 2026-11-27T12:00:00+00:00 minus \
         RETENTION_DAYS=18446744073709551615 days cannot be represented in epoch seconds"
    );
    assert_eq!(Diagnostic::from(err).error_type, "CutoffOutOfRange");
}

#[tokio::test]
async fn a_large_retention_within_range_deletes_nothing_recent() {
    let table = FakeTable::new(10).with_items([
        ("ancient", number(-1_000_000_000_000)),
        ("now", number(EVENT_TIME)),
    ]);
    let result = handler(&table, &config(1_000_000), event(fixture()))
        .await
        .unwrap();
    assert_eq!(result.cutoff, EVENT_TIME - 1_000_000 * 86_400);
    assert_eq!((result.expired, result.deleted), (1, 1));
    assert_eq!(table.ids(), ["now"]);
}

#[test]
fn backoff_doubles_from_the_base() {
    let base = Duration::from_millis(50);
    let delays: Vec<u64> = (1..=4)
        .map(|retry| backoff(base, retry).as_millis() as u64)
        .collect();
    assert_eq!(delays, [50, 100, 200, 400]);
    assert_eq!(backoff(Duration::ZERO, 3), Duration::ZERO);
    assert_eq!(Config::new(30).retry_base_delay, base);
}

#[test]
fn the_scan_filter_matches_only_numbers_below_the_cutoff() {
    use scheduled_job::store::{CREATED_AT, FILTER_EXPRESSION};
    assert_eq!(
        FILTER_EXPRESSION,
        format!("attribute_type({CREATED_AT}, :number) AND {CREATED_AT} < :cutoff")
    );
}
