//! The code reads exactly the env var names its contract (this crate's Cargo.toml) declares.

use common::contract::{declared_reference_envs, declared_settings};

const MANIFEST: &str = include_str!("../Cargo.toml");

#[test]
fn references_match_the_contract() {
    assert_eq!(
        declared_reference_envs(MANIFEST),
        [lmi_worker::env::ITEMS_TABLE.to_owned()].into()
    );
}

#[test]
fn settings_are_declared_and_fault_injection_is_not() {
    let settings = declared_settings(MANIFEST);
    assert!(settings.contains(lmi_worker::env::CACHE_TTL_SECONDS));
    // The fault-injection switch exists for tests only: no stack may set it.
    assert!(!settings.contains(lmi_worker::env::PANIC_ON_ITEM_ID));
}
