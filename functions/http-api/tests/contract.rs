//! The function reads exactly the env var names its contract (this crate's Cargo.toml) declares.

use common::{
    settings::SettingsError,
    testing::{RecordingEnv, assert_init_reads_exactly_the_contract},
};
use http_api::settings::Settings;

const CARGO_TOML: &str = include_str!("../Cargo.toml");

#[test]
fn init_reads_exactly_the_declared_env_names() {
    assert_init_reads_exactly_the_contract(CARGO_TOML, &[], Settings::from_env);
}

#[test]
fn a_missing_table_name_is_named() {
    assert_eq!(
        Settings::from_env(&RecordingEnv::default()),
        Err(SettingsError::Missing {
            name: "ITEMS_TABLE",
            hint: "the name of the items table"
        })
    );
}
