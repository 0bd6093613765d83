//! An in-memory `OrderStore` for tests: records orders by message id with the same
//! "only if new" rule as the conditional PutItem, and fails the writes a predicate picks.
#![allow(dead_code)] // Each test binary uses a different part of it.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use sqs_processor::order::Order;
use sqs_processor::store::{OrderStore, PutOutcome, StoreError};

pub const TABLE: &str = "orders-test";

pub struct FakeStore {
    pub orders: Mutex<BTreeMap<String, Order>>,
    pub calls: AtomicUsize,
    fail_when: fn(&Order) -> bool,
    /// When set, every write waits here: a batch finishes only if its writes run concurrently.
    barrier: Option<tokio::sync::Barrier>,
}

impl FakeStore {
    pub fn new() -> Self {
        Self::failing_when(|_| false)
    }

    pub fn failing_when(fail_when: fn(&Order) -> bool) -> Self {
        Self {
            orders: Mutex::new(BTreeMap::new()),
            calls: AtomicUsize::new(0),
            fail_when,
            barrier: None,
        }
    }

    pub fn with_barrier(writers: usize) -> Self {
        Self {
            barrier: Some(tokio::sync::Barrier::new(writers)),
            ..Self::new()
        }
    }

    pub fn recorded(&self) -> BTreeMap<String, Order> {
        self.orders.lock().unwrap().clone()
    }

    pub fn insert(&self, order: Order) {
        self.orders
            .lock()
            .unwrap()
            .insert(order.message_id.clone(), order);
    }
}

impl OrderStore for FakeStore {
    async fn put_once(&self, order: &Order) -> Result<PutOutcome, StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let Some(barrier) = &self.barrier {
            barrier.wait().await;
        }
        if (self.fail_when)(order) {
            return Err(StoreError {
                table: TABLE.to_owned(),
                reason: "ProvisionedThroughputExceededException: rate of requests exceeds the allowed throughput".to_owned(),
            });
        }
        let mut orders = self.orders.lock().unwrap();
        if orders.contains_key(&order.message_id) {
            return Ok(PutOutcome::AlreadyRecorded);
        }
        orders.insert(order.message_id.clone(), order.clone());
        Ok(PutOutcome::Recorded)
    }
}
