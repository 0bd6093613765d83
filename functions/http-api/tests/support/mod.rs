//! Shared by the integration tests: an in-memory item store and a fixed clock.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use http_api::{
    item::Item,
    store::{ItemStore, PutOutcome, StoreError},
};

pub const NOW: i64 = 1_795_780_800;

pub fn fixed_clock() -> i64 {
    NOW
}

/// Clones share the same items, so a test can inspect what the router wrote.
#[derive(Default, Clone)]
pub struct MemoryStore {
    pub items: Arc<Mutex<HashMap<String, Item>>>,
    pub fail: bool,
}

impl ItemStore for MemoryStore {
    async fn get(&self, id: &str) -> Result<Option<Item>, StoreError> {
        if self.fail {
            return Err(failure("GetItem"));
        }
        Ok(self.items.lock().unwrap().get(id).cloned())
    }

    async fn put_new(&self, item: &Item) -> Result<PutOutcome, StoreError> {
        if self.fail {
            return Err(failure("PutItem"));
        }
        let mut items = self.items.lock().unwrap();
        if items.contains_key(&item.id) {
            return Ok(PutOutcome::AlreadyExists);
        }
        items.insert(item.id.clone(), item.clone());
        Ok(PutOutcome::Created)
    }
}

fn failure(operation: &'static str) -> StoreError {
    StoreError::Call {
        operation,
        table: "items".into(),
        reason: "service unavailable".into(),
    }
}
