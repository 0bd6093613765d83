//! The order an SQS message body carries, and why a body is not one.
//!
//! The body must be a JSON object with `order_id` and `customer_id` (strings of 1 to 128
//! characters, not blank), `amount_cents` (an integer from 0 to 2^64-1) and `currency` (three
//! upper-case ASCII letters); other fields are ignored. Error messages name the field and what is
//! wrong with it, never its value: bodies may carry personal data and errors are logged.

use serde_json::{Map, Value};

/// The longest `order_id` or `customer_id`, in characters.
pub const MAX_ID_CHARS: usize = 128;

/// A valid order, keyed by the id of the SQS message that carried it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub message_id: String,
    pub order_id: String,
    pub customer_id: String,
    pub amount_cents: u64,
    pub currency: String,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum InvalidBody {
    #[error("the message has no body")]
    Missing,
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    #[error("the body must be a JSON object, not {0}")]
    NotAnObject(&'static str),
    #[error("field {0} is missing")]
    MissingField(&'static str),
    #[error("field {field} must be {expected}, not {found}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
        found: &'static str,
    },
    #[error("field {0} must not be blank")]
    Blank(&'static str),
    #[error("field {field} is {chars} characters long: at most {MAX_ID_CHARS} are allowed")]
    TooLong { field: &'static str, chars: usize },
    #[error("field currency must be 3 upper-case ASCII letters (an ISO 4217 code such as \"EUR\")")]
    BadCurrency,
}

impl Order {
    /// Parses and validates the body of the message `message_id`.
    pub fn from_body(message_id: &str, body: Option<&str>) -> Result<Self, InvalidBody> {
        let body = body.ok_or(InvalidBody::Missing)?;
        // serde_json's syntax errors give a position, never the input.
        let value: Value =
            serde_json::from_str(body).map_err(|err| InvalidBody::NotJson(err.to_string()))?;
        let Value::Object(fields) = value else {
            return Err(InvalidBody::NotAnObject(kind(&value)));
        };
        Ok(Self {
            message_id: message_id.to_owned(),
            order_id: id_field(&fields, "order_id")?,
            customer_id: id_field(&fields, "customer_id")?,
            amount_cents: amount_field(&fields, "amount_cents")?,
            currency: currency_field(&fields, "currency")?,
        })
    }
}

fn field<'a>(fields: &'a Map<String, Value>, name: &'static str) -> Result<&'a Value, InvalidBody> {
    fields.get(name).ok_or(InvalidBody::MissingField(name))
}

fn string_field<'a>(
    fields: &'a Map<String, Value>,
    name: &'static str,
) -> Result<&'a str, InvalidBody> {
    match field(fields, name)? {
        Value::String(s) => Ok(s),
        other => Err(InvalidBody::WrongType {
            field: name,
            expected: "a string",
            found: kind(other),
        }),
    }
}

fn id_field(fields: &Map<String, Value>, name: &'static str) -> Result<String, InvalidBody> {
    let value = string_field(fields, name)?;
    if value.trim().is_empty() {
        return Err(InvalidBody::Blank(name));
    }
    let chars = value.chars().count();
    if chars > MAX_ID_CHARS {
        return Err(InvalidBody::TooLong { field: name, chars });
    }
    Ok(value.to_owned())
}

fn amount_field(fields: &Map<String, Value>, name: &'static str) -> Result<u64, InvalidBody> {
    let value = field(fields, name)?;
    value.as_u64().ok_or(InvalidBody::WrongType {
        field: name,
        expected: "a non-negative integer",
        found: kind(value),
    })
}

fn currency_field(fields: &Map<String, Value>, name: &'static str) -> Result<String, InvalidBody> {
    let value = string_field(fields, name)?;
    if value.len() == 3 && value.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(value.to_owned())
    } else {
        Err(InvalidBody::BadCurrency)
    }
}

/// What a JSON value is, for error messages (never the value itself).
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_u64() => "a non-negative integer",
        Value::Number(n) if n.is_i64() => "a negative integer",
        // Fractions, and integers beyond the 64-bit range (serde_json reads those as floats).
        Value::Number(_) => "a fractional or out-of-range number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const VALID: &str =
        r#"{"order_id":"o-1","customer_id":"c-1","amount_cents":1999,"currency":"EUR"}"#;

    fn with(field: &str, value: Value) -> String {
        let mut body: Value = serde_json::from_str(VALID).unwrap();
        body[field] = value;
        body.to_string()
    }

    fn without(field: &str) -> String {
        let mut body: Map<String, Value> = serde_json::from_str(VALID).unwrap();
        body.remove(field);
        Value::Object(body).to_string()
    }

    fn error(body: &str) -> String {
        Order::from_body("m-1", Some(body)).unwrap_err().to_string()
    }

    #[test]
    fn a_valid_body_becomes_an_order_keyed_by_the_message_id() {
        assert_eq!(
            Order::from_body("m-1", Some(VALID)),
            Ok(Order {
                message_id: "m-1".into(),
                order_id: "o-1".into(),
                customer_id: "c-1".into(),
                amount_cents: 1999,
                currency: "EUR".into(),
            })
        );
    }

    #[test]
    fn extra_fields_are_ignored_and_limits_are_inclusive() {
        let mut body: Value = serde_json::from_str(VALID).unwrap();
        body["note"] = json!({"gift": true});
        body["order_id"] = json!("é".repeat(MAX_ID_CHARS));
        body["customer_id"] = json!("x");
        body["amount_cents"] = json!(u64::MAX);
        let order = Order::from_body("m-1", Some(&body.to_string())).unwrap();
        assert_eq!(order.order_id.chars().count(), MAX_ID_CHARS);
        assert_eq!(order.customer_id, "x");
        assert_eq!(order.amount_cents, u64::MAX);
        let zero = Order::from_body("m-1", Some(&with("amount_cents", json!(0)))).unwrap();
        assert_eq!(zero.amount_cents, 0);
    }

    #[test]
    fn a_missing_or_non_json_or_non_object_body_is_rejected() {
        assert_eq!(
            Order::from_body("m-1", None).unwrap_err().to_string(),
            "the message has no body"
        );
        assert_eq!(
            error(""),
            "the body is not JSON: EOF while parsing a value at line 1 column 0"
        );
        assert_eq!(
            error("order 42"),
            "the body is not JSON: expected value at line 1 column 1"
        );
        assert_eq!(
            error("[1,2]"),
            "the body must be a JSON object, not an array"
        );
        assert_eq!(
            error("\"hi\""),
            "the body must be a JSON object, not a string"
        );
        assert_eq!(error("null"), "the body must be a JSON object, not null");
    }

    #[test]
    fn each_missing_field_is_named() {
        for field in ["order_id", "customer_id", "amount_cents", "currency"] {
            assert_eq!(error(&without(field)), format!("field {field} is missing"));
        }
    }

    #[test]
    fn wrong_types_name_the_field_and_what_was_found() {
        assert_eq!(
            error(&with("order_id", json!(42))),
            "field order_id must be a string, not a non-negative integer"
        );
        assert_eq!(
            error(&with("customer_id", Value::Null)),
            "field customer_id must be a string, not null"
        );
        assert_eq!(
            error(&with("currency", json!(["EUR"]))),
            "field currency must be a string, not an array"
        );
        assert_eq!(
            error(&with("amount_cents", json!(-1))),
            "field amount_cents must be a non-negative integer, not a negative integer"
        );
        assert_eq!(
            error(&with("amount_cents", json!(19.99))),
            "field amount_cents must be a non-negative integer, not a fractional or out-of-range number"
        );
        assert_eq!(
            error(&with("amount_cents", json!("1999"))),
            "field amount_cents must be a non-negative integer, not a string"
        );
        assert_eq!(
            error(
                r#"{"order_id":"o","customer_id":"c","amount_cents":18446744073709551616,"currency":"EUR"}"#
            ),
            "field amount_cents must be a non-negative integer, not a fractional or out-of-range number"
        );
    }

    #[test]
    fn blank_or_too_long_ids_are_rejected() {
        assert_eq!(
            error(&with("order_id", json!(""))),
            "field order_id must not be blank"
        );
        assert_eq!(
            error(&with("customer_id", json!(" \t\n"))),
            "field customer_id must not be blank"
        );
        assert_eq!(
            error(&with("order_id", json!("x".repeat(MAX_ID_CHARS + 1)))),
            "field order_id is 129 characters long: at most 128 are allowed"
        );
    }

    #[test]
    fn currency_must_be_three_upper_case_ascii_letters() {
        for bad in ["eur", "EU", "EURO", "E1R", "ÉUR", "", "   "] {
            assert_eq!(
                error(&with("currency", json!(bad))),
                "field currency must be 3 upper-case ASCII letters (an ISO 4217 code such as \"EUR\")",
                "{bad:?}"
            );
        }
    }
}
