//! Every env var the function reads, read once at init. The contract test runs the same function
//! (tests/contract.rs), so the names read here are checked against Cargo.toml.

use common::settings::{EnvSource, SettingsError, positive_or, required};

use crate::{env, handler::DEFAULT_RETENTION_DAYS};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The items table's name.
    pub items_table: String,
    /// Items older than this many days are deleted.
    pub retention_days: u64,
}

impl Settings {
    pub fn from_env(vars: &impl EnvSource) -> Result<Self, SettingsError> {
        Ok(Self {
            items_table: required(vars, env::ITEMS_TABLE, "the name of the items table")?,
            retention_days: positive_or(
                vars,
                env::RETENTION_DAYS,
                DEFAULT_RETENTION_DAYS,
                "a positive whole number of days to keep items",
            )?,
        })
    }
}
