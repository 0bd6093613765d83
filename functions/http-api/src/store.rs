//! Where items live: the `ItemStore` trait the router is generic over, and its DynamoDB
//! implementation (one client, built once, at its first use).

use std::{collections::HashMap, future::Future};

use aws_sdk_dynamodb::{Client, error::DisplayErrorContext, types::AttributeValue};
use common::aws::LazyClient;

use crate::item::Item;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("DynamoDB {operation} on table {table} failed: {reason}")]
    Call {
        operation: &'static str,
        table: String,
        reason: String,
    },
    #[error("item {id:?} in table {table} is malformed: {reason}")]
    Malformed {
        table: String,
        id: String,
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    Created,
    AlreadyExists,
}

pub trait ItemStore: Send + Sync + 'static {
    fn get(&self, id: &str) -> impl Future<Output = Result<Option<Item>, StoreError>> + Send;
    /// Writes the item unless one with the same id exists.
    fn put_new(&self, item: &Item) -> impl Future<Output = Result<PutOutcome, StoreError>> + Send;
}

pub struct DynamoItemStore {
    client: LazyClient<Client>,
    table: String,
}

impl DynamoItemStore {
    pub fn new(client: LazyClient<Client>, table: String) -> Self {
        Self { client, table }
    }

    fn call_error(&self, operation: &'static str, err: impl std::error::Error) -> StoreError {
        StoreError::Call {
            operation,
            table: self.table.clone(),
            reason: DisplayErrorContext(err).to_string(),
        }
    }
}

impl ItemStore for DynamoItemStore {
    async fn get(&self, id: &str) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get()
            .get_item()
            .table_name(&self.table)
            .key("id", AttributeValue::S(id.to_owned()))
            .send()
            .await
            .map_err(|err| self.call_error("GetItem", err))?;
        output
            .item
            .map(|attributes| {
                item_from_attributes(&attributes).map_err(|reason| StoreError::Malformed {
                    table: self.table.clone(),
                    id: id.to_owned(),
                    reason,
                })
            })
            .transpose()
    }

    async fn put_new(&self, item: &Item) -> Result<PutOutcome, StoreError> {
        let result = self
            .client
            .get()
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item_to_attributes(item)))
            .condition_expression("attribute_not_exists(id)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(PutOutcome::Created),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(PutOutcome::AlreadyExists)
            }
            Err(err) => Err(self.call_error("PutItem", err)),
        }
    }
}

pub fn item_to_attributes(item: &Item) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("id".to_owned(), AttributeValue::S(item.id.clone())),
        ("name".to_owned(), AttributeValue::S(item.name.clone())),
        (
            "quantity".to_owned(),
            AttributeValue::N(item.quantity.to_string()),
        ),
        (
            "created_at".to_owned(),
            AttributeValue::N(item.created_at.to_string()),
        ),
    ])
}

pub fn item_from_attributes(attributes: &HashMap<String, AttributeValue>) -> Result<Item, String> {
    let string = |name: &str| match attributes.get(name) {
        Some(AttributeValue::S(s)) => Ok(s.clone()),
        _ => Err(format!("attribute '{name}' is missing or not a string")),
    };
    let number = |name: &str| match attributes.get(name) {
        Some(AttributeValue::N(n)) => Ok(n.clone()),
        _ => Err(format!("attribute '{name}' is missing or not a number")),
    };
    let quantity = number("quantity")?
        .parse::<u64>()
        .map_err(|_| "attribute 'quantity' is not a whole number".to_owned())?;
    let created_at = number("created_at")?
        .parse::<i64>()
        .map_err(|_| "attribute 'created_at' is not a whole number".to_owned())?;
    Ok(Item {
        id: string("id")?,
        name: string("name")?,
        quantity,
        created_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_round_trip() {
        let item = Item {
            id: "a".into(),
            name: "Widget ü".into(),
            quantity: 3,
            created_at: 1_790_000_000,
        };
        assert_eq!(item_from_attributes(&item_to_attributes(&item)), Ok(item));
    }

    #[test]
    fn a_malformed_item_names_the_attribute() {
        let mut attributes = item_to_attributes(&Item {
            id: "a".into(),
            name: "n".into(),
            quantity: 1,
            created_at: 1,
        });
        attributes.insert("quantity".into(), AttributeValue::S("three".into()));
        assert_eq!(
            item_from_attributes(&attributes),
            Err("attribute 'quantity' is missing or not a number".to_owned())
        );
    }
}
