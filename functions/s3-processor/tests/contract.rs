//! The code reads exactly the env var names its contract (this crate's Cargo.toml) declares.

use std::collections::BTreeSet;

use common::contract::{declared_reference_envs, declared_settings};
use s3_processor::env;

const CARGO_TOML: &str = include_str!("../Cargo.toml");

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|name| (*name).to_owned()).collect()
}

#[test]
fn references_match_the_contract() {
    assert_eq!(names(&env::REFERENCES), declared_reference_envs(CARGO_TOML));
}

#[test]
fn settings_are_declared_in_the_contract() {
    let declared = declared_settings(CARGO_TOML);
    for name in env::SETTINGS {
        assert!(
            declared.contains(name),
            "{name} is read but not declared in [package.metadata.lambda.deploy.env]"
        );
    }
    assert_eq!(
        names(&[
            env::INPUT_BUCKET,
            env::OUTPUT_BUCKET,
            env::SIGNING_KEY_SECRET_ARN
        ]),
        names(&env::REFERENCES)
    );
}
