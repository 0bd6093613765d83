//! The handler on events shaped exactly as S3 sends them, with an in-memory store and secret.

mod support;

use aws_lambda_events::s3::S3Event;
use lambda_runtime::Diagnostic;
use s3_processor::handler::{Error, Response, handle};
use serde_json::{Value, json};
use support::*;

const HELLO_SHA256: &str = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
// HMAC-SHA256 under SIGNING_KEY of "{bucket}\n{key}\n{size}\n{sha256}", computed independently
// (Python's hmac module).
const HELLO_SIGNATURE: &str = "ccbd604a0d9bf8fdcf3d9bba687a41365420d0a34cc942fb98da7b333d708f28";
const EMPTY_SIGNATURE: &str = "6a4e5e05fe67ac4b81505bf149df837e6fb4703410d435705a2b954d6a3fec4c";

fn event(value: Value) -> S3Event {
    serde_json::from_value(value).expect("an S3 event")
}

/// The fixture's two objects: "incoming/my fileé.txt" (11 bytes) and "incoming/a+b" (empty).
fn both_objects() -> FakeStore {
    FakeStore::with(&[
        (INPUT_BUCKET, "incoming/my fileé.txt", b"hello world"),
        (INPUT_BUCKET, "incoming/a+b", b""),
    ])
}

async fn run(store: &FakeStore, secret: &ScriptedSecret, value: Value) -> Result<Response, Error> {
    handle(store, &cached(secret), &config(), event(value)).await
}

fn diagnostic(err: Error) -> Value {
    serde_json::to_value(Diagnostic::from(err)).unwrap()
}

#[tokio::test]
async fn writes_one_signed_manifest_per_record_in_order() {
    let store = both_objects();
    let secret = ScriptedSecret::new(vec![Ok(SIGNING_KEY)]);
    let response = run(&store, &secret, fixture()).await.unwrap();

    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        json!({"manifests": [
            {
                "bucket": "example-uploads",
                "key": "incoming/my fileé.txt",
                "manifest_key": "manifests/incoming/my fileé.txt.json",
                "size": 11,
                "sha256": HELLO_SHA256
            },
            {
                "bucket": "example-uploads",
                "key": "incoming/a+b",
                "manifest_key": "manifests/incoming/a+b.json",
                "size": 0,
                "sha256": EMPTY_SHA256
            }
        ]})
    );

    let puts = store.puts();
    assert_eq!(puts.len(), 2);
    assert_eq!(puts[0].0, OUTPUT_BUCKET);
    assert_eq!(puts[0].1, "manifests/incoming/my fileé.txt.json");
    assert_eq!(
        String::from_utf8(puts[0].2.clone()).unwrap(),
        format!(
            "{{\"bucket\":\"example-uploads\",\"key\":\"incoming/my fileé.txt\",\"size\":11,\
             \"sha256\":\"{HELLO_SHA256}\",\"signature\":\"{HELLO_SIGNATURE}\"}}"
        )
    );
    assert_eq!(puts[1].0, OUTPUT_BUCKET);
    assert_eq!(puts[1].1, "manifests/incoming/a+b.json");
    assert_eq!(
        String::from_utf8(puts[1].2.clone()).unwrap(),
        format!(
            "{{\"bucket\":\"example-uploads\",\"key\":\"incoming/a+b\",\"size\":0,\
             \"sha256\":\"{EMPTY_SHA256}\",\"signature\":\"{EMPTY_SIGNATURE}\"}}"
        )
    );
    assert_eq!(
        secret.fetches(),
        1,
        "the signing key is read once and cached"
    );
}

#[tokio::test]
async fn an_event_without_records_writes_nothing_and_reads_no_secret() {
    let store = both_objects();
    let secret = ScriptedSecret::new(vec![Ok(SIGNING_KEY)]);
    let response = run(&store, &secret, json!({"Records": []})).await.unwrap();
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        json!({"manifests": []})
    );
    assert_eq!(secret.fetches(), 0);
    assert!(store.puts().is_empty());
}

#[tokio::test]
async fn a_record_from_another_bucket_fails_before_any_io() {
    let mut value = fixture();
    value["Records"][1]["s3"]["bucket"]["name"] = json!("someone-elses-bucket");
    let store = both_objects();
    let secret = ScriptedSecret::new(vec![Ok(SIGNING_KEY)]);
    let err = run(&store, &secret, value).await.unwrap_err();
    assert_eq!(
        diagnostic(err),
        json!({
            "errorType": "UnexpectedBucket",
            "errorMessage": "record 1 is from bucket \"someone-elses-bucket\", but this function \
                             only processes objects of INPUT_BUCKET \"example-uploads\""
        })
    );
    assert_eq!(store.reads.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert!(store.puts().is_empty(), "a malformed event writes nothing");
    assert_eq!(secret.fetches(), 0);
}

#[tokio::test]
async fn missing_fields_name_the_field_and_the_record() {
    let secret = ScriptedSecret::new(vec![Ok(SIGNING_KEY)]);
    let store = both_objects();

    let mut no_key = fixture();
    no_key["Records"][1]["s3"]["object"]
        .as_object_mut()
        .unwrap()
        .remove("key");
    let err = run(&store, &secret, no_key).await.unwrap_err();
    assert_eq!(err.to_string(), "record 1 has no s3.object.key");
    assert_eq!(err.error_type(), "MissingField");

    let mut empty_key = fixture();
    empty_key["Records"][0]["s3"]["object"]["key"] = json!("");
    let err = run(&store, &secret, empty_key).await.unwrap_err();
    assert_eq!(err.to_string(), "record 0 has no s3.object.key");

    let mut null_bucket = fixture();
    null_bucket["Records"][0]["s3"]["bucket"]["name"] = Value::Null;
    let err = run(&store, &secret, null_bucket).await.unwrap_err();
    assert_eq!(err.to_string(), "record 0 has no s3.bucket.name");
    assert!(store.puts().is_empty());
}

#[tokio::test]
async fn a_key_that_is_not_utf8_once_decoded_names_the_raw_key() {
    let mut value = fixture();
    value["Records"][0]["s3"]["object"]["key"] = json!("incoming/bad%FF+name");
    let store = both_objects();
    let secret = ScriptedSecret::new(vec![Ok(SIGNING_KEY)]);
    let err = run(&store, &secret, value).await.unwrap_err();
    assert_eq!(
        diagnostic(err),
        json!({
            "errorType": "InvalidKey",
            "errorMessage": "record 0 has object key \"incoming/bad%FF+name\", which is not valid \
                             UTF-8 once URL-decoded"
        })
    );
}

#[tokio::test]
async fn a_key_longer_than_s3_allows_is_an_invalid_key_and_reads_nothing() {
    let mut value = fixture();
    let key = format!("incoming/{}", "k%C3%A9".repeat(400));
    value["Records"][0]["s3"]["object"]["key"] = json!(key);
    let store = both_objects();
    let secret = ScriptedSecret::new(vec![Ok(SIGNING_KEY)]);
    let err = run(&store, &secret, value).await.unwrap_err();
    assert_eq!(
        diagnostic(err),
        json!({
            "errorType": "InvalidKey",
            "errorMessage": "record 0 has an object key of 1209 bytes once URL-decoded: S3 object \
                             keys are at most 1024 bytes"
        })
    );
    assert!(store.puts().is_empty());
}

#[tokio::test]
async fn a_missing_object_names_the_bucket_and_the_decoded_key() {
    let store = FakeStore::with(&[(INPUT_BUCKET, "incoming/my fileé.txt", b"hello world")]);
    let secret = ScriptedSecret::new(vec![Ok(SIGNING_KEY)]);
    let err = run(&store, &secret, fixture()).await.unwrap_err();
    assert_eq!(
        diagnostic(err),
        json!({
            "errorType": "ReadObjectFailed",
            "errorMessage": "could not read object \"incoming/a+b\" from bucket \"example-uploads\": \
                             NoSuchKey: The specified key does not exist."
        })
    );
    // Records before the failing one were written; the retry rewrites them identically.
    assert_eq!(store.puts().len(), 1);
}

#[tokio::test]
async fn access_denied_names_the_bucket_and_the_decoded_key() {
    let mut store = both_objects();
    store
        .denied
        .push((INPUT_BUCKET.to_owned(), "incoming/my fileé.txt".to_owned()));
    let secret = ScriptedSecret::new(vec![Ok(SIGNING_KEY)]);
    let err = run(&store, &secret, fixture()).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "could not read object \"incoming/my fileé.txt\" from bucket \"example-uploads\": \
         AccessDenied: Access Denied"
    );
    assert!(store.puts().is_empty());
}

#[tokio::test]
async fn an_unreadable_secret_fails_the_invocation_and_the_next_one_retries() {
    let store = both_objects();
    let secret = ScriptedSecret::new(vec![
        Err("AccessDeniedException: not authorized to perform secretsmanager:GetSecretValue"),
        Ok(SIGNING_KEY),
    ]);
    // One CachedSecret across invocations, as main builds it.
    let cached_secret = cached(&secret);
    let err = handle(&store, &cached_secret, &config(), event(fixture()))
        .await
        .unwrap_err();
    let message = err.to_string();
    assert_eq!(
        diagnostic(err),
        json!({
            "errorType": "SigningKeyUnavailable",
            "errorMessage": format!(
                "could not sign the manifest of object \"incoming/my fileé.txt\" from bucket \
                 \"example-uploads\": could not read the secret {SECRET_ARN} named by \
                 SIGNING_KEY_SECRET_ARN: AccessDeniedException: not authorized to perform \
                 secretsmanager:GetSecretValue"
            )
        })
    );
    assert!(!message.contains(SIGNING_KEY));
    assert!(store.puts().is_empty());

    let response = handle(&store, &cached_secret, &config(), event(fixture()))
        .await
        .unwrap();
    assert_eq!(response.manifests.len(), 2);
    assert_eq!(secret.fetches(), 2);
}

#[tokio::test]
async fn a_failed_write_names_the_manifest_and_the_object() {
    let mut store = both_objects();
    store.put_error = Some("NoSuchBucket: The specified bucket does not exist".to_owned());
    let secret = ScriptedSecret::new(vec![Ok(SIGNING_KEY)]);
    let err = run(&store, &secret, fixture()).await.unwrap_err();
    assert_eq!(
        diagnostic(err),
        json!({
            "errorType": "WriteManifestFailed",
            "errorMessage": "could not write manifest \"manifests/incoming/my fileé.txt.json\" to \
                             bucket \"example-manifests\" for object \"incoming/my fileé.txt\" from \
                             bucket \"example-uploads\": NoSuchBucket: The specified bucket does not exist"
        })
    );
}

#[tokio::test]
async fn the_manifest_prefix_is_applied_verbatim() {
    let store = both_objects();
    let secret = ScriptedSecret::new(vec![Ok(SIGNING_KEY)]);
    let config = s3_processor::config::Config::new(
        INPUT_BUCKET.into(),
        OUTPUT_BUCKET.into(),
        "signed/v1-".into(),
        std::time::Duration::from_secs(0),
        SECRET_ARN.into(),
    )
    .unwrap();
    let response = handle(&store, &cached(&secret), &config, event(fixture()))
        .await
        .unwrap();
    assert_eq!(
        response.manifests[0].manifest_key,
        "signed/v1-incoming/my fileé.txt.json"
    );
    assert_eq!(
        response.manifests[1].manifest_key,
        "signed/v1-incoming/a+b.json"
    );
}
