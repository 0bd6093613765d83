//! The env vars the code reads are exactly the ones the contract in Cargo.toml declares.

use std::collections::BTreeSet;

use common::contract::{declared_reference_envs, declared_settings};
use scheduled_job::{env, handler::DEFAULT_RETENTION_DAYS};

const MANIFEST: &str = include_str!("../Cargo.toml");

#[test]
fn references_match_the_contract() {
    let read: BTreeSet<String> = env::REFERENCES
        .iter()
        .map(|name| (*name).to_owned())
        .collect();
    assert_eq!(read, declared_reference_envs(MANIFEST));
    assert_eq!(read, BTreeSet::from([env::ITEMS_TABLE.to_owned()]));
}

#[test]
fn settings_are_declared_in_the_contract() {
    let declared = declared_settings(MANIFEST);
    for name in env::SETTINGS {
        assert!(declared.contains(*name), "{name} is read but not declared");
    }
    assert!(env::SETTINGS.contains(&env::RETENTION_DAYS));
}

#[test]
fn the_default_retention_is_the_declared_one() {
    let manifest: toml::Table = MANIFEST.parse().unwrap();
    let declared = &manifest["package"]["metadata"]["lambda"]["deploy"]["env"][env::RETENTION_DAYS];
    assert_eq!(
        declared.as_str(),
        Some(DEFAULT_RETENTION_DAYS.to_string().as_str())
    );
}
