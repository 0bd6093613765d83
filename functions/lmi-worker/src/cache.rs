//! A read-mostly cache of items, shared by every request in flight. Readers take the read lock
//! only; a miss takes the write lock briefly to insert. Misses are not cached, so a new item is
//! visible at once. The std lock is used poison-tolerant: a panicking request cannot wedge it.

use std::{
    collections::HashMap,
    sync::{PoisonError, RwLock},
    time::Duration,
};

use serde_json::Value;
use tokio::time::Instant;

/// Bounds memory on a long-lived Managed Instances environment.
pub const MAX_ENTRIES: usize = 10_000;

pub struct ItemCache {
    ttl: Duration,
    entries: RwLock<HashMap<String, (Value, Instant)>>,
}

impl ItemCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: RwLock::new(HashMap::new()),
        }
    }

    pub fn get(&self, id: &str) -> Option<Value> {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(id)
            .filter(|(_, stored_at)| stored_at.elapsed() < self.ttl)
            .map(|(item, _)| item.clone())
    }

    pub fn insert(&self, id: String, item: Value) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES {
            let ttl = self.ttl;
            entries.retain(|_, (_, stored_at)| stored_at.elapsed() < ttl);
        }
        if entries.len() < MAX_ENTRIES {
            entries.insert(id, (item, Instant::now()));
        }
    }

    pub fn len(&self) -> usize {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test(start_paused = true)]
    async fn entries_expire_after_the_ttl() {
        let cache = ItemCache::new(Duration::from_secs(10));
        cache.insert("a".into(), json!({"id": "a"}));
        assert_eq!(cache.get("a"), Some(json!({"id": "a"})));
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(cache.get("a"), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_cache_drops_expired_entries_and_never_grows_past_the_bound() {
        let cache = ItemCache::new(Duration::from_secs(10));
        for i in 0..MAX_ENTRIES {
            cache.insert(i.to_string(), json!(i));
        }
        cache.insert("extra".into(), json!(0));
        assert_eq!(cache.len(), MAX_ENTRIES);
        assert_eq!(cache.get("extra"), None);
        tokio::time::advance(Duration::from_secs(11)).await;
        cache.insert("fresh".into(), json!(1));
        assert_eq!(cache.len(), 1);
    }
}
