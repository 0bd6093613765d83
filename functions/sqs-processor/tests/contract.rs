//! The env vars the code reads are exactly the ones its contract declares.

use std::collections::BTreeSet;

use common::contract::{declared_reference_envs, declared_settings};
use sqs_processor::env;

const MANIFEST: &str = include_str!("../Cargo.toml");

#[test]
fn references_match_the_contract() {
    let read: BTreeSet<String> = env::REFERENCES.iter().map(|s| s.to_string()).collect();
    assert_eq!(read, declared_reference_envs(MANIFEST));
    assert_eq!(read, BTreeSet::from([env::ORDERS_TABLE.to_owned()]));
}

#[test]
fn settings_are_declared() {
    let declared = declared_settings(MANIFEST);
    for setting in env::SETTINGS {
        assert!(
            declared.contains(*setting),
            "{setting} is not in [package.metadata.lambda.deploy.env]"
        );
    }
}
