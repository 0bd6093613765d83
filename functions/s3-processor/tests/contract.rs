//! The function reads exactly the env var names its contract (this crate's Cargo.toml) declares.

use common::testing::assert_init_reads_exactly_the_contract;
use s3_processor::config::Config;

const CARGO_TOML: &str = include_str!("../Cargo.toml");

#[test]
fn init_reads_exactly_the_declared_env_names() {
    assert_init_reads_exactly_the_contract(CARGO_TOML, &[], Config::from_env);
}
