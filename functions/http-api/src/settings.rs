//! Every env var the function reads, read once at init. The contract test runs the same function
//! (tests/contract.rs), so the names read here are checked against Cargo.toml.

use common::settings::{EnvSource, SettingsError, required};

use crate::env;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The DynamoDB table holding the items.
    pub items_table: String,
}

impl Settings {
    pub fn from_env(vars: &impl EnvSource) -> Result<Self, SettingsError> {
        Ok(Self {
            items_table: required(vars, env::ITEMS_TABLE, "the name of the items table")?,
        })
    }
}
