//! The lookup handler and the state every request in the environment shares.

use std::sync::Arc;

use futures::future::join_all;
use lambda_runtime::LambdaEvent;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{cache::ItemCache, store::ItemReader};

pub const MAX_IDS: usize = 100;

/// Built once at init and shared (`Arc`) by every concurrent request.
pub struct AppState<R> {
    pub reader: R,
    pub cache: ItemCache,
    /// Fault injection for tests (see `settings::PANIC_ON_ITEM_ID`); None in every deployed stack.
    pub panic_on_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookupRequest {
    pub item_ids: Vec<String>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct LookupResponse {
    /// The items found, in request order.
    pub items: Vec<Value>,
    /// The ids with no item, in request order.
    pub missing: Vec<String>,
    pub cache_hits: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("field 'item_ids' must hold 1 to {MAX_IDS} ids, got {0}")]
    Count(usize),
    #[error(
        "item_ids[{index}] is invalid: expected a string of 1 to 64 letters, digits, '-' or '_'"
    )]
    InvalidId { index: usize },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl From<LookupError> for lambda_runtime::Diagnostic {
    fn from(err: LookupError) -> Self {
        let error_type = match err {
            LookupError::Count(_) | LookupError::InvalidId { .. } => "InvalidRequest",
            LookupError::Store(_) => "StoreError",
        };
        Self {
            error_type: error_type.to_owned(),
            error_message: err.to_string(),
        }
    }
}

fn is_valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub async fn handle<R: ItemReader>(
    state: Arc<AppState<R>>,
    event: LambdaEvent<LookupRequest>,
) -> Result<LookupResponse, LookupError> {
    let ids = event.payload.item_ids;
    if ids.is_empty() || ids.len() > MAX_IDS {
        return Err(LookupError::Count(ids.len()));
    }
    if let Some(index) = ids.iter().position(|id| !is_valid_id(id)) {
        return Err(LookupError::InvalidId { index });
    }
    if let Some(poison) = &state.panic_on_id
        && ids.contains(poison)
    {
        panic!("fault injection: item id {poison:?} requested");
    }

    let cached: Vec<Option<Value>> = ids.iter().map(|id| state.cache.get(id)).collect();
    let cache_hits = cached.iter().filter(|hit| hit.is_some()).count();
    let lookups = ids.iter().zip(&cached).map(|(id, hit)| {
        let state = &state;
        async move {
            match hit {
                Some(item) => Ok(Some(item.clone())),
                None => {
                    let found = state.reader.get(id).await?;
                    if let Some(item) = &found {
                        state.cache.insert(id.clone(), item.clone());
                    }
                    Ok::<_, LookupError>(found)
                }
            }
        }
    });
    let mut items = Vec::new();
    let mut missing = Vec::new();
    for (id, found) in ids.iter().zip(join_all(lookups).await) {
        match found? {
            Some(item) => items.push(item),
            None => missing.push(id.clone()),
        }
    }
    tracing::info!(
        requested = ids.len(),
        found = items.len(),
        cache_hits,
        "lookup done"
    );
    Ok(LookupResponse {
        items,
        missing,
        cache_hits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;
    use lambda_runtime::Context;
    use serde_json::json;
    use std::{
        collections::HashMap,
        sync::atomic::{AtomicUsize, Ordering},
        time::Duration,
    };

    #[derive(Default)]
    struct FakeReader {
        items: HashMap<String, Value>,
        calls: AtomicUsize,
        fail: bool,
    }

    impl ItemReader for FakeReader {
        async fn get(&self, id: &str) -> Result<Option<Value>, StoreError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if self.fail {
                return Err(StoreError {
                    table: "items".into(),
                    id: id.into(),
                    reason: "service unavailable".into(),
                });
            }
            Ok(self.items.get(id).cloned())
        }
    }

    fn state(reader: FakeReader) -> Arc<AppState<FakeReader>> {
        Arc::new(AppState {
            reader,
            cache: ItemCache::new(Duration::from_secs(60)),
            panic_on_id: None,
        })
    }

    fn event(payload: Value) -> LambdaEvent<LookupRequest> {
        LambdaEvent::new(serde_json::from_value(payload).unwrap(), Context::default())
    }

    #[tokio::test]
    async fn finds_items_reports_missing_and_caches_hits() {
        let reader = FakeReader {
            items: HashMap::from([("a".into(), json!({"id": "a", "name": "A"}))]),
            ..FakeReader::default()
        };
        let state = state(reader);
        let first = handle(state.clone(), event(json!({"item_ids": ["a", "b"]})))
            .await
            .unwrap();
        assert_eq!(
            first,
            LookupResponse {
                items: vec![json!({"id": "a", "name": "A"})],
                missing: vec!["b".into()],
                cache_hits: 0
            }
        );
        let second = handle(state.clone(), event(json!({"item_ids": ["a"]})))
            .await
            .unwrap();
        assert_eq!(second.cache_hits, 1);
        assert_eq!(
            state.reader.calls.load(Ordering::SeqCst),
            2,
            "the cached item was not read again"
        );
    }

    #[tokio::test]
    async fn rejects_bad_requests_naming_the_field() {
        let state = state(FakeReader::default());
        let err = handle(state.clone(), event(json!({"item_ids": []})))
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "field 'item_ids' must hold 1 to 100 ids, got 0"
        );
        let err = handle(state.clone(), event(json!({"item_ids": ["ok", "not ok"]})))
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "item_ids[1] is invalid: expected a string of 1 to 64 letters, digits, '-' or '_'"
        );
        let too_many: Vec<String> = (0..=MAX_IDS).map(|i| i.to_string()).collect();
        let err = handle(state, event(json!({ "item_ids": too_many })))
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "field 'item_ids' must hold 1 to 100 ids, got 101"
        );
    }

    #[tokio::test]
    async fn a_store_failure_names_the_item_and_table() {
        let state = state(FakeReader {
            fail: true,
            ..FakeReader::default()
        });
        let err = handle(state, event(json!({"item_ids": ["a"]})))
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "DynamoDB GetItem on table items failed for item \"a\": service unavailable"
        );
    }

    #[test]
    fn unknown_fields_are_rejected_at_deserialization() {
        let err = serde_json::from_value::<LookupRequest>(json!({"item_ids": ["a"], "extra": 1}))
            .unwrap_err();
        assert!(
            err.to_string().starts_with("unknown field `extra`"),
            "{err}"
        );
    }
}
