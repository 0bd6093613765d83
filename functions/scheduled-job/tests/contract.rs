//! The function reads exactly the env var names its contract (this crate's Cargo.toml) declares.

use common::{
    settings::SettingsError,
    testing::{RecordingEnv, assert_init_reads_exactly_the_contract},
};
use contract_env::Contract;
use scheduled_job::{handler::DEFAULT_RETENTION_DAYS, settings::Settings};

const CARGO_TOML: &str = include_str!("../Cargo.toml");

#[test]
fn init_reads_exactly_the_declared_env_names() {
    assert_init_reads_exactly_the_contract(CARGO_TOML, &[], Settings::from_env);
}

#[test]
fn the_default_retention_is_the_declared_one() {
    let contract = Contract::parse(CARGO_TOML).unwrap();
    assert_eq!(
        contract.setting_values["RETENTION_DAYS"],
        DEFAULT_RETENTION_DAYS.to_string()
    );
    // Unset, the job keeps the same retention the contract sets.
    let unset = RecordingEnv::new([("ITEMS_TABLE", "items")]);
    assert_eq!(
        Settings::from_env(&unset).map(|s| s.retention_days),
        Ok(DEFAULT_RETENTION_DAYS)
    );
}

#[test]
fn a_retention_that_is_not_a_positive_number_is_named() {
    let zero = RecordingEnv::new([("ITEMS_TABLE", "items"), ("RETENTION_DAYS", "0")]);
    assert_eq!(
        Settings::from_env(&zero),
        Err(SettingsError::Invalid {
            name: "RETENTION_DAYS",
            value: "0".to_owned(),
            hint: "a positive whole number of days to keep items"
        })
    );
}
