//! Every env var the function reads, read once at init. The contract test runs the same function
//! (tests/contract.rs), so the names read here are checked against Cargo.toml.

use std::time::Duration;

use common::settings::{EnvSource, EnvVar, SettingsError, required, seconds_or};

use crate::env;

/// Fault injection for the end-to-end tests (tests/e2e/test_lmi_worker.py): a request naming
/// this item id panics, to show that a panic fails that request alone. Test-only, so it is not a
/// contract name: no stack sets it, and the contract test fails if Cargo.toml declares it.
#[allow(
    clippy::disallowed_methods,
    reason = "test-only, never declared: tests/contract.rs checks both"
)]
pub const PANIC_ON_ITEM_ID: EnvVar = EnvVar::new("LMI_PANIC_ON_ITEM_ID");

pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The DynamoDB table holding the items.
    pub items_table: String,
    /// How long a cached item is served before it is read again.
    pub cache_ttl: Duration,
    /// [`PANIC_ON_ITEM_ID`]: None in every deployed stack.
    pub panic_on_item_id: Option<String>,
}

impl Settings {
    pub fn from_env(vars: &impl EnvSource) -> Result<Self, SettingsError> {
        Ok(Self {
            items_table: required(vars, env::ITEMS_TABLE, "the name of the items table")?,
            cache_ttl: seconds_or(
                vars,
                env::CACHE_TTL_SECONDS,
                DEFAULT_CACHE_TTL,
                "a whole number of seconds",
            )?,
            panic_on_item_id: vars.var(PANIC_ON_ITEM_ID).ok(),
        })
    }
}
