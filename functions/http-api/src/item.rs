//! An item and the validation of `POST /items` bodies.
//!
//! Validation is hand-written over `serde_json::Value` rather than derived through serde, because
//! each rejection must name its field and say what is allowed, which serde's messages do not.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const ID_RULE: &str = "a string of 1 to 64 letters, digits, '-' or '_'";
pub const NAME_RULE: &str = "a non-blank string of at most 200 characters";
pub const QUANTITY_RULE: &str = "a whole number from 0 to 1000000";
const MAX_QUANTITY: u64 = 1_000_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub id: String,
    pub name: String,
    pub quantity: u64,
    /// Epoch seconds; scheduled-job deletes items older than its retention by this attribute.
    pub created_at: i64,
}

/// What a client sent, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewItem {
    pub id: String,
    pub name: String,
    pub quantity: u64,
}

impl NewItem {
    pub fn into_item(self, created_at: i64) -> Item {
        Item {
            id: self.id,
            name: self.name,
            quantity: self.quantity,
            created_at,
        }
    }
}

/// A rejected field: which, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub code: &'static str,
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    fn missing(field: &'static str, rule: &str) -> Self {
        Self {
            code: "missing_field",
            field,
            message: format!("field '{field}' is required: {rule}"),
        }
    }
    fn empty(field: &'static str, rule: &str) -> Self {
        Self {
            code: "empty_field",
            field,
            message: format!("field '{field}' is empty: {rule}"),
        }
    }
    fn invalid(field: &'static str, rule: &str) -> Self {
        Self {
            code: "invalid_field",
            field,
            message: format!("field '{field}' is invalid: expected {rule}"),
        }
    }
}

pub fn is_valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Validates a parsed JSON body; the first bad field, in the order id, name, quantity, wins.
pub fn validate_new_item(body: &Value) -> Result<NewItem, FieldError> {
    let Some(object) = body.as_object() else {
        return Err(FieldError {
            code: "invalid_body",
            field: "body",
            message: "the request body must be a JSON object with fields 'id', 'name' and optionally 'quantity'".to_owned(),
        });
    };
    let id = required_string(object, "id", ID_RULE)?;
    if !is_valid_id(&id) {
        return Err(FieldError::invalid("id", ID_RULE));
    }
    let name = required_string(object, "name", NAME_RULE)?;
    if name.chars().count() > 200 {
        return Err(FieldError::invalid("name", NAME_RULE));
    }
    let quantity = match object.get("quantity") {
        None | Some(Value::Null) => 0,
        Some(value) => match value.as_u64() {
            Some(n) if n <= MAX_QUANTITY => n,
            _ => return Err(FieldError::invalid("quantity", QUANTITY_RULE)),
        },
    };
    Ok(NewItem { id, name, quantity })
}

fn required_string(
    object: &Map<String, Value>,
    field: &'static str,
    rule: &str,
) -> Result<String, FieldError> {
    match object.get(field) {
        None | Some(Value::Null) => Err(FieldError::missing(field, rule)),
        Some(Value::String(s)) if s.trim().is_empty() => Err(FieldError::empty(field, rule)),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(FieldError::invalid(field, rule)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepts_a_full_item_and_defaults_quantity() {
        assert_eq!(
            validate_new_item(&json!({"id": "a-1", "name": "Widget", "quantity": 3})),
            Ok(NewItem {
                id: "a-1".into(),
                name: "Widget".into(),
                quantity: 3
            })
        );
        assert_eq!(
            validate_new_item(&json!({"id": "a_1", "name": "Widget"})).map(|i| i.quantity),
            Ok(0)
        );
    }

    #[test]
    fn names_the_first_bad_field() {
        let cases = [
            (json!({"name": "x"}), "missing_field", "id"),
            (json!({"id": "", "name": "x"}), "empty_field", "id"),
            (json!({"id": "a b", "name": "x"}), "invalid_field", "id"),
            (json!({"id": 7, "name": "x"}), "invalid_field", "id"),
            (json!({"id": "a"}), "missing_field", "name"),
            (json!({"id": "a", "name": "   "}), "empty_field", "name"),
            (
                json!({"id": "a", "name": "x".repeat(201)}),
                "invalid_field",
                "name",
            ),
            (
                json!({"id": "a", "name": "x", "quantity": -1}),
                "invalid_field",
                "quantity",
            ),
            (
                json!({"id": "a", "name": "x", "quantity": 1.5}),
                "invalid_field",
                "quantity",
            ),
            (
                json!({"id": "a", "name": "x", "quantity": 1_000_001}),
                "invalid_field",
                "quantity",
            ),
            (json!([1, 2]), "invalid_body", "body"),
        ];
        for (body, code, field) in cases {
            let err = validate_new_item(&body).unwrap_err();
            assert_eq!((err.code, err.field), (code, field), "{body}");
        }
    }

    #[test]
    fn messages_say_what_is_allowed() {
        let err = validate_new_item(&json!({"name": "x"})).unwrap_err();
        assert_eq!(
            err.message,
            "field 'id' is required: a string of 1 to 64 letters, digits, '-' or '_'"
        );
        let err = validate_new_item(&json!({"id": "a", "name": "x", "quantity": "3"})).unwrap_err();
        assert_eq!(
            err.message,
            "field 'quantity' is invalid: expected a whole number from 0 to 1000000"
        );
    }
}
