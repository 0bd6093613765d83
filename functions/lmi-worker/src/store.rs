//! Item reads: the `ItemReader` trait the handler is generic over, and its DynamoDB implementation.

use std::{collections::HashMap, future::Future};

use aws_sdk_dynamodb::{Client, error::DisplayErrorContext, types::AttributeValue};
use common::aws::LazyClient;
use serde_json::{Map, Value};

#[derive(Debug, thiserror::Error)]
#[error("DynamoDB GetItem on table {table} failed for item {id:?}: {reason}")]
pub struct StoreError {
    pub table: String,
    pub id: String,
    pub reason: String,
}

pub trait ItemReader: Send + Sync + 'static {
    /// The item as a JSON object, or None when there is none with this id.
    fn get(&self, id: &str) -> impl Future<Output = Result<Option<Value>, StoreError>> + Send;
}

pub struct DynamoItemReader {
    client: LazyClient<Client>,
    table: String,
}

impl DynamoItemReader {
    pub fn new(client: LazyClient<Client>, table: String) -> Self {
        Self { client, table }
    }
}

impl ItemReader for DynamoItemReader {
    async fn get(&self, id: &str) -> Result<Option<Value>, StoreError> {
        let output = self
            .client
            .get()
            .get_item()
            .table_name(&self.table)
            .key("id", AttributeValue::S(id.to_owned()))
            .send()
            .await
            .map_err(|err| StoreError {
                table: self.table.clone(),
                id: id.to_owned(),
                reason: DisplayErrorContext(err).to_string(),
            })?;
        Ok(output.item.as_ref().map(attributes_to_json))
    }
}

/// Plain JSON for the scalar attribute types the items table holds; other types become null.
pub fn attributes_to_json(attributes: &HashMap<String, AttributeValue>) -> Value {
    let object: Map<String, Value> = attributes
        .iter()
        .map(|(name, value)| (name.clone(), attribute_to_json(value)))
        .collect();
    Value::Object(object)
}

fn attribute_to_json(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::N(n) => serde_json::from_str::<serde_json::Number>(n)
            .map(Value::Number)
            .unwrap_or_else(|_| Value::String(n.clone())),
        AttributeValue::Bool(b) => Value::Bool(*b),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn attributes_become_plain_json() {
        let attributes = HashMap::from([
            ("id".to_owned(), AttributeValue::S("a".into())),
            ("quantity".to_owned(), AttributeValue::N("3".into())),
            ("flag".to_owned(), AttributeValue::Bool(true)),
            ("blob".to_owned(), AttributeValue::Null(true)),
        ]);
        assert_eq!(
            attributes_to_json(&attributes),
            json!({"id": "a", "quantity": 3, "flag": true, "blob": null})
        );
    }
}
