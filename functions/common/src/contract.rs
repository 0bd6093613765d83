//! Reads a function crate's contract from its own Cargo.toml, so that a crate's tests can check
//! that the code reads exactly the env var names the contract declares (and the components wire).

use std::collections::BTreeSet;

/// The env var names declared under `[package.metadata.stack]` (tables, buckets and secrets).
pub fn declared_reference_envs(cargo_toml: &str) -> BTreeSet<String> {
    let manifest: toml::Table = cargo_toml.parse().expect("Cargo.toml is valid TOML");
    let stack = &manifest["package"]["metadata"]["stack"];
    ["tables", "buckets", "secrets"]
        .iter()
        .filter_map(|list| stack.get(list).and_then(|v| v.as_array()))
        .flatten()
        .map(|entry| entry["env"].as_str().expect("env is a string").to_owned())
        .collect()
}

/// The settings declared under `[package.metadata.lambda.deploy.env]`.
pub fn declared_settings(cargo_toml: &str) -> BTreeSet<String> {
    let manifest: toml::Table = cargo_toml.parse().expect("Cargo.toml is valid TOML");
    manifest["package"]["metadata"]["lambda"]["deploy"]
        .get("env")
        .and_then(|env| env.as_table())
        .map(|env| env.keys().cloned().collect())
        .unwrap_or_default()
}
