//! Fakes shared by the integration tests: an in-memory object store and secret sources.
#![allow(dead_code)]

use std::{
    collections::{HashMap, VecDeque},
    sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use common::secrets::{CachedSecret, FetchError, SecretSource, SecretValue};
use s3_processor::{
    config::Config,
    manifest::{ObjectDigest, ObjectHasher},
    store::{ObjectStore, StoreError},
};

pub const INPUT_BUCKET: &str = "example-uploads";
pub const OUTPUT_BUCKET: &str = "example-manifests";
pub const SECRET_ARN: &str =
    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:manifest-signing-key-AbCdEf";
pub const SIGNING_KEY: &str = "test-signing-key-do-not-leak";

pub fn config() -> Config {
    Config::new(
        INPUT_BUCKET.into(),
        OUTPUT_BUCKET.into(),
        "manifests/".into(),
        Duration::from_secs(300),
        SECRET_ARN.into(),
    )
    .expect("distinct buckets")
}

/// Objects by (bucket, key); objects listed in `denied` answer AccessDenied. Bodies are hashed in
/// 7-byte chunks, as a stream would be.
#[derive(Default)]
pub struct FakeStore {
    pub objects: HashMap<(String, String), Vec<u8>>,
    pub denied: Vec<(String, String)>,
    pub put_error: Option<String>,
    pub puts: Mutex<Vec<(String, String, Vec<u8>)>>,
    pub reads: AtomicUsize,
}

impl FakeStore {
    pub fn with(objects: &[(&str, &str, &[u8])]) -> Self {
        Self {
            objects: objects
                .iter()
                .map(|(b, k, body)| (((*b).to_owned(), (*k).to_owned()), body.to_vec()))
                .collect(),
            ..Self::default()
        }
    }

    pub fn puts(&self) -> Vec<(String, String, Vec<u8>)> {
        self.puts.lock().unwrap().clone()
    }
}

pub fn hash_in_chunks(body: &[u8]) -> ObjectDigest {
    let mut hasher = ObjectHasher::new();
    for chunk in body.chunks(7) {
        hasher.update(chunk);
    }
    hasher.finish()
}

impl ObjectStore for FakeStore {
    async fn digest(&self, bucket: &str, key: &str) -> Result<ObjectDigest, StoreError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        let id = (bucket.to_owned(), key.to_owned());
        if self.denied.contains(&id) {
            return Err(StoreError::new("AccessDenied: Access Denied"));
        }
        match self.objects.get(&id) {
            Some(body) => Ok(hash_in_chunks(body)),
            None => Err(StoreError::new(
                "NoSuchKey: The specified key does not exist.",
            )),
        }
    }

    async fn put_manifest(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), StoreError> {
        if let Some(reason) = &self.put_error {
            return Err(StoreError::new(reason.clone()));
        }
        self.puts
            .lock()
            .unwrap()
            .push((bucket.to_owned(), key.to_owned(), body));
        Ok(())
    }
}

/// Every object exists and its body is its key's bytes (for property tests).
pub struct EchoStore;

impl ObjectStore for EchoStore {
    async fn digest(&self, _bucket: &str, key: &str) -> Result<ObjectDigest, StoreError> {
        Ok(hash_in_chunks(key.as_bytes()))
    }

    async fn put_manifest(
        &self,
        _bucket: &str,
        _key: &str,
        _body: Vec<u8>,
    ) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Answers the queued results in order, then repeats the last one; counts the fetches.
pub struct ScriptedSecret {
    results: Mutex<VecDeque<Result<&'static str, &'static str>>>,
    pub fetches: AtomicUsize,
}

impl ScriptedSecret {
    pub fn new(results: Vec<Result<&'static str, &'static str>>) -> Self {
        Self {
            results: Mutex::new(results.into()),
            fetches: AtomicUsize::new(0),
        }
    }

    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

impl SecretSource for &ScriptedSecret {
    async fn fetch(&self, secret_id: &str) -> Result<SecretValue, FetchError> {
        assert_eq!(secret_id, SECRET_ARN);
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let mut results = self.results.lock().unwrap();
        let next = if results.len() > 1 {
            results.pop_front()
        } else {
            results.front().cloned()
        };
        match next {
            Some(Ok(value)) => Ok(SecretValue::new(value)),
            Some(Err(reason)) => Err(FetchError {
                reason: reason.to_owned(),
            }),
            None => Err(FetchError {
                reason: "no scripted result".to_owned(),
            }),
        }
    }
}

pub fn cached(source: &ScriptedSecret) -> CachedSecret<&ScriptedSecret> {
    CachedSecret::new(
        source,
        s3_processor::env::SIGNING_KEY_SECRET_ARN,
        SECRET_ARN.to_owned(),
        Duration::from_secs(300),
    )
}

pub fn fixture() -> serde_json::Value {
    serde_json::from_str(include_str!("../fixtures/object-created.json")).expect("valid fixture")
}
