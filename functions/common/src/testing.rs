//! For function crates' contract tests: does the code read exactly the env var names its own
//! Cargo.toml declares? The test runs the crate's init (every env read a function makes before it
//! serves) against an environment that holds the contract's values and records each name read.

use std::{
    collections::{BTreeMap, BTreeSet},
    env::VarError,
    fmt::Display,
    sync::Mutex,
};

use contract_env::{Contract, Kind};

use crate::{
    platform,
    settings::{EnvSource, EnvVar},
    telemetry,
};

/// A fixed environment that records every name read.
#[derive(Debug, Default)]
pub struct RecordingEnv {
    values: BTreeMap<String, String>,
    read: Mutex<BTreeSet<String>>,
}

impl RecordingEnv {
    pub fn new<'a>(values: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self {
            values: values
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect(),
            read: Mutex::default(),
        }
    }

    /// Every name read so far.
    pub fn read(&self) -> BTreeSet<String> {
        self.read
            .lock()
            .map(|read| read.clone())
            .unwrap_or_default()
    }
}

impl EnvSource for RecordingEnv {
    fn var(&self, name: EnvVar) -> Result<String, VarError> {
        if let Ok(mut read) = self.read.lock() {
            read.insert(name.name().to_owned());
        }
        self.values
            .get(name.name())
            .cloned()
            .ok_or(VarError::NotPresent)
    }
}

/// The environment a deployed function gets from its contract: each setting's declared value,
/// and a distinct value for each reference (`test-items-table` for `ITEMS_TABLE`).
pub fn contract_env(contract: &Contract) -> RecordingEnv {
    let values: Vec<(String, String)> = contract
        .names
        .iter()
        .map(|declared| {
            let value = match declared.kind {
                Kind::Setting => contract.setting_values[&declared.name].clone(),
                Kind::Table | Kind::Bucket | Kind::Secret => {
                    format!("test-{}", declared.name.to_lowercase().replace('_', "-"))
                }
            };
            (declared.name.clone(), value)
        })
        .collect();
    RecordingEnv::new(values.iter().map(|(n, v)| (n.as_str(), v.as_str())))
}

/// Panics unless `init`, run with the values `cargo_toml`'s contract declares, succeeds and reads
/// exactly the names it declares, besides [`platform`] variables and `test_only` names (which the
/// contract must never declare: the stack would set them). Also runs what [`telemetry::init`]
/// reads, since every function calls it.
pub fn assert_init_reads_exactly_the_contract<T, E: Display>(
    cargo_toml: &str,
    test_only: &[&str],
    init: impl FnOnce(&RecordingEnv) -> Result<T, E>,
) {
    let contract = Contract::parse(cargo_toml).unwrap_or_else(|err| panic!("{err}"));
    let crate_name = &contract.crate_name;
    let declared: BTreeSet<String> = contract.names.iter().map(|d| d.name.clone()).collect();
    for name in test_only {
        assert!(
            !declared.contains(*name),
            "{crate_name}: {name} is for tests only: remove it from Cargo.toml, or the stack would set it"
        );
    }
    let vars = contract_env(&contract);
    let initialised = init(&vars).map(|_| ());
    let (_, rejected) = telemetry::log_filter(&vars);

    let mut read = vars.read();
    read.retain(|name| !platform::is_platform(name));
    let test_only_read: Vec<bool> = test_only.iter().map(|name| read.remove(*name)).collect();
    let undeclared: Vec<&String> = read.difference(&declared).collect();
    assert!(
        undeclared.is_empty(),
        "{crate_name}: init reads {undeclared:?}, which its Cargo.toml does not declare: declare \
         each in [package.metadata.stack] (a reference) or [package.metadata.lambda.deploy] env \
         (a setting)"
    );
    if let Err(err) = initialised {
        panic!("{crate_name}: init fails with the values its contract declares: {err}");
    }
    assert_eq!(rejected, None, "{crate_name}: the declared log settings");
    for (name, was_read) in test_only.iter().zip(test_only_read) {
        assert!(
            was_read,
            "{crate_name}: {name} is listed as test-only but init never reads it: remove it from the list"
        );
    }
    let unread: Vec<&String> = declared.difference(&read).collect();
    assert!(
        unread.is_empty(),
        "{crate_name}: its Cargo.toml declares {unread:?}, which init never reads: read each \
         through common::settings in the crate's init, or remove it from Cargo.toml"
    );
}

#[cfg(test)]
#[allow(clippy::disallowed_methods, reason = "names made up for these tests")]
mod tests {
    use super::*;
    use crate::settings::{ProcessEnv, positive_or, required};

    const CARGO_TOML: &str = r#"
[package]
name = "f"

[package.metadata.lambda.deploy]
env = { RETENTION_DAYS = "30" }

[package.metadata.stack]
description = "A function."

[[package.metadata.stack.tables]]
env = "ITEMS_TABLE"
"#;

    const ITEMS_TABLE: EnvVar = EnvVar::new("ITEMS_TABLE");
    const RETENTION_DAYS: EnvVar = EnvVar::new("RETENTION_DAYS");
    const UNDECLARED: EnvVar = EnvVar::new("EXTRA_TABLE");
    const FAULT: EnvVar = EnvVar::new("F_PANIC");

    fn init(vars: &impl EnvSource) -> Result<(String, u64), crate::settings::SettingsError> {
        let table = required(vars, ITEMS_TABLE, "a table")?;
        let days = positive_or(vars, RETENTION_DAYS, 1, "days")?;
        Ok((table, days))
    }

    #[test]
    fn references_get_distinct_values_and_settings_their_declared_ones() {
        let vars = contract_env(&Contract::parse(CARGO_TOML).unwrap());
        assert_eq!(init(&vars), Ok(("test-items-table".to_owned(), 30)));
        assert_eq!(
            vars.read(),
            BTreeSet::from(["ITEMS_TABLE".to_owned(), "RETENTION_DAYS".to_owned()])
        );
    }

    #[test]
    fn an_init_that_reads_exactly_the_contract_passes() {
        assert_init_reads_exactly_the_contract(CARGO_TOML, &[], init);
    }

    #[test]
    #[should_panic(
        expected = "f: init reads [\"EXTRA_TABLE\"], which its Cargo.toml does not declare"
    )]
    fn reading_an_undeclared_name_fails() {
        assert_init_reads_exactly_the_contract(CARGO_TOML, &[], |vars| {
            let _ = vars.var(UNDECLARED);
            init(vars)
        });
    }

    #[test]
    #[should_panic(
        expected = "f: its Cargo.toml declares [\"RETENTION_DAYS\"], which init never reads"
    )]
    fn a_declared_name_never_read_fails() {
        assert_init_reads_exactly_the_contract(CARGO_TOML, &[], |vars| {
            required(vars, ITEMS_TABLE, "a table")
        });
    }

    #[test]
    #[should_panic(
        expected = "f: init fails with the values its contract declares: environment variable RETENTION_DAYS is \"0\""
    )]
    fn a_declared_value_init_rejects_fails() {
        let zero = CARGO_TOML.replace("\"30\"", "\"0\"");
        assert_init_reads_exactly_the_contract(&zero, &[], init);
    }

    #[test]
    fn test_only_names_are_read_but_never_declared() {
        assert_init_reads_exactly_the_contract(CARGO_TOML, &["F_PANIC"], |vars| {
            let _ = vars.var(FAULT);
            init(vars)
        });
    }

    #[test]
    #[should_panic(expected = "f: F_PANIC is for tests only: remove it from Cargo.toml")]
    fn a_declared_test_only_name_fails() {
        let declared = CARGO_TOML.replace("RETENTION_DAYS =", "F_PANIC = \"\", RETENTION_DAYS =");
        assert_init_reads_exactly_the_contract(&declared, &["F_PANIC"], |vars| {
            let _ = vars.var(FAULT);
            init(vars)
        });
    }

    #[test]
    #[should_panic(expected = "f: F_PANIC is listed as test-only but init never reads it")]
    fn a_test_only_name_never_read_fails() {
        assert_init_reads_exactly_the_contract(CARGO_TOML, &["F_PANIC"], init);
    }

    #[test]
    fn platform_names_are_not_contract_names() {
        assert_init_reads_exactly_the_contract(CARGO_TOML, &[], |vars| {
            let _ = vars.var(platform::AWS_ENDPOINT_URL_S3);
            init(vars)
        });
        // The process env is never consulted.
        assert!(ProcessEnv.is_set(EnvVar::new("PATH")));
        assert!(!contract_env(&Contract::parse(CARGO_TOML).unwrap()).is_set(EnvVar::new("PATH")));
    }
}
