//! An in-memory items table for tests: scans page by page in `id` order (like DynamoDB, the page
//! size limits the items examined, before the filter) and deletes on request, with scripted
//! unprocessed items and failures.
#![allow(dead_code)]

use std::{
    collections::{BTreeMap, VecDeque},
    ops::Bound,
    sync::Mutex,
};

use aws_sdk_dynamodb::types::AttributeValue;
use scheduled_job::store::{ItemTable, Key, PARTITION_KEY, Page, StoreError};

/// What one `delete_batch` call does; once the script runs out, every key is deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// Delete all but the last `n` keys sent, and return those as unprocessed.
    Leave(usize),
    Fail(String),
}

#[derive(Default)]
pub struct FakeTable {
    /// Items by id: `created_at` as stored, or `None` when the item has no such attribute.
    pub items: Mutex<BTreeMap<String, Option<AttributeValue>>>,
    pub page_size: usize,
    pub deletes: Mutex<VecDeque<DeleteOutcome>>,
    /// Fail the scan call with this (0-based) number.
    pub fail_scan_call: Option<usize>,
    /// Every scan call: (cutoff, start id).
    pub scan_calls: Mutex<Vec<(i64, Option<String>)>>,
    /// Every delete call: the ids sent.
    pub delete_calls: Mutex<Vec<Vec<String>>>,
}

pub fn key(id: &str) -> Key {
    Key::from([(PARTITION_KEY.to_owned(), AttributeValue::S(id.to_owned()))])
}

fn id_of(key: &Key) -> Result<String, StoreError> {
    match key.get(PARTITION_KEY) {
        Some(AttributeValue::S(id)) => Ok(id.clone()),
        _ => Err(StoreError(format!(
            "the key {key:?} has no string {PARTITION_KEY}"
        ))),
    }
}

/// DynamoDB's `created_at < :cutoff`: only a number compares; anything else does not match.
pub fn is_expired(created_at: Option<&AttributeValue>, cutoff: i64) -> bool {
    match created_at {
        Some(AttributeValue::N(n)) => n.trim().parse::<f64>().is_ok_and(|n| n < cutoff as f64),
        _ => false,
    }
}

impl FakeTable {
    pub fn new(page_size: usize) -> Self {
        Self {
            page_size,
            ..Self::default()
        }
    }

    pub fn with_items<'a>(
        self,
        items: impl IntoIterator<Item = (&'a str, Option<AttributeValue>)>,
    ) -> Self {
        self.items.lock().unwrap().extend(
            items
                .into_iter()
                .map(|(id, created_at)| (id.to_owned(), created_at)),
        );
        self
    }

    pub fn with_deletes(self, outcomes: impl IntoIterator<Item = DeleteOutcome>) -> Self {
        self.deletes.lock().unwrap().extend(outcomes);
        self
    }

    pub fn ids(&self) -> Vec<String> {
        self.items.lock().unwrap().keys().cloned().collect()
    }

    pub fn delete_calls(&self) -> Vec<Vec<String>> {
        self.delete_calls.lock().unwrap().clone()
    }
}

pub fn number(n: i64) -> Option<AttributeValue> {
    Some(AttributeValue::N(n.to_string()))
}

impl ItemTable for FakeTable {
    async fn scan_expired(&self, cutoff: i64, start: Option<Key>) -> Result<Page, StoreError> {
        let start_id = start.as_ref().map(id_of).transpose()?;
        let call = {
            let mut calls = self.scan_calls.lock().unwrap();
            calls.push((cutoff, start_id.clone()));
            calls.len() - 1
        };
        if self.fail_scan_call == Some(call) {
            return Err(StoreError(
                "Scan of table items failed: ProvisionedThroughputExceededException".to_owned(),
            ));
        }
        let items = self.items.lock().unwrap();
        let lower = start_id.map_or(Bound::Unbounded, Bound::Excluded);
        let examined: Vec<(&String, &Option<AttributeValue>)> = items
            .range((lower, Bound::Unbounded))
            .take(self.page_size.max(1))
            .collect();
        let last = examined.last().map(|(id, _)| (*id).clone());
        let more = last.as_ref().is_some_and(|last| {
            items
                .range((Bound::Excluded(last.clone()), Bound::Unbounded))
                .next()
                .is_some()
        });
        Ok(Page {
            keys: examined
                .iter()
                .filter(|(_, created_at)| is_expired(created_at.as_ref(), cutoff))
                .map(|(id, _)| key(id))
                .collect(),
            scanned: examined.len() as u64,
            next: if more { last.map(|id| key(&id)) } else { None },
        })
    }

    async fn delete_batch(&self, keys: Vec<Key>) -> Result<Vec<Key>, StoreError> {
        assert!(
            keys.len() <= 25,
            "BatchWriteItem takes at most 25 requests, got {}",
            keys.len()
        );
        let ids = keys.iter().map(id_of).collect::<Result<Vec<_>, _>>()?;
        self.delete_calls.lock().unwrap().push(ids.clone());
        let outcome = self
            .deletes
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(DeleteOutcome::Leave(0));
        let leave = match outcome {
            DeleteOutcome::Fail(reason) => return Err(StoreError(reason)),
            DeleteOutcome::Leave(n) => n.min(keys.len()),
        };
        let processed = keys.len() - leave;
        let mut items = self.items.lock().unwrap();
        for id in &ids[..processed] {
            items.remove(id);
        }
        Ok(keys[processed..].to_vec())
    }
}
