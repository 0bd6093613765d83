//! The function reads exactly the env var names its contract (this crate's Cargo.toml) declares,
//! plus the test-only fault injection variable, which the contract must never declare.

use common::testing::{RecordingEnv, assert_init_reads_exactly_the_contract};
use lmi_worker::settings::{DEFAULT_CACHE_TTL, PANIC_ON_ITEM_ID, Settings};

const CARGO_TOML: &str = include_str!("../Cargo.toml");

#[test]
fn init_reads_exactly_the_declared_env_names_and_the_test_only_one() {
    assert_eq!(PANIC_ON_ITEM_ID.name(), "LMI_PANIC_ON_ITEM_ID");
    assert_init_reads_exactly_the_contract(
        CARGO_TOML,
        &["LMI_PANIC_ON_ITEM_ID"],
        Settings::from_env,
    );
}

#[test]
fn fault_injection_is_off_unless_a_test_sets_it() {
    let deployed = RecordingEnv::new([("ITEMS_TABLE", "items")]);
    assert_eq!(
        Settings::from_env(&deployed),
        Ok(Settings {
            items_table: "items".to_owned(),
            cache_ttl: DEFAULT_CACHE_TTL,
            panic_on_item_id: None,
        })
    );
    let test = RecordingEnv::new([("ITEMS_TABLE", "items"), ("LMI_PANIC_ON_ITEM_ID", "boom")]);
    assert_eq!(
        Settings::from_env(&test).map(|s| s.panic_on_item_id),
        Ok(Some("boom".to_owned()))
    );
}
