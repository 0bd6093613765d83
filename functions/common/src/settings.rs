//! Typed reads of a function's env vars, with errors that name the variable and what to set.
//!
//! Every read names an [`EnvVar`]. A function crate gets its names from its own Cargo.toml: its
//! build.rs generates one constant per declared name (`crate::env`, see contract-env), and
//! [`crate::platform`] names the few variables Lambda and the AWS SDK define. Clippy refuses
//! `EnvVar::new` and `std::env::var` everywhere else (functions/clippy.toml), so code cannot read
//! an undeclared name without an `allow` a reviewer sees; each crate's contract test then checks
//! that its init reads exactly the declared names (`common::testing`).

use std::{env::VarError, fmt, time::Duration};

/// The name of an env var a function reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EnvVar(&'static str);

impl EnvVar {
    /// Only for the generated `env` modules and [`crate::platform`] (clippy's
    /// `disallowed-methods` refuses it elsewhere).
    pub const fn new(name: &'static str) -> Self {
        Self(name)
    }

    pub const fn name(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for EnvVar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Where env vars are read from: the process in a function, a map that records each read in
/// contract tests.
pub trait EnvSource {
    /// The variable's value, as `std::env::var` returns it.
    fn var(&self, name: EnvVar) -> Result<String, VarError>;

    /// Whether the variable is set at all (even to a value that is not UTF-8).
    fn is_set(&self, name: EnvVar) -> bool {
        !matches!(self.var(name), Err(VarError::NotPresent))
    }
}

/// The process's environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl ProcessEnv {
    /// Every variable whose name starts with `prefix` and whose value is UTF-8, by name: for a
    /// platform prefix whose names the AWS SDK forms at run time from a service's name
    /// (`AWS_ENDPOINT_URL_<SERVICE>`), never for a contract name.
    #[allow(
        clippy::disallowed_methods,
        reason = "the platform's names formed at run time (common::aws)"
    )]
    pub fn with_prefix(prefix: &str) -> std::collections::BTreeMap<String, String> {
        std::env::vars_os()
            .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
            .filter(|(name, _)| name.starts_with(prefix))
            .collect()
    }
}

impl EnvSource for ProcessEnv {
    #[allow(
        clippy::disallowed_methods,
        reason = "the one place the process's environment is read"
    )]
    fn var(&self, name: EnvVar) -> Result<String, VarError> {
        std::env::var(name.0)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    #[error("environment variable {name} is not set: set it to {hint}")]
    Missing {
        name: &'static str,
        hint: &'static str,
    },
    #[error("environment variable {name} is {value:?}: set it to {hint}")]
    Invalid {
        name: &'static str,
        value: String,
        hint: &'static str,
    },
}

impl SettingsError {
    /// The variable to set.
    pub fn variable(&self) -> &'static str {
        match self {
            Self::Missing { name, .. } | Self::Invalid { name, .. } => name,
        }
    }
}

/// A required, non-empty variable. `hint` says what it should hold.
pub fn required(
    vars: &impl EnvSource,
    name: EnvVar,
    hint: &'static str,
) -> Result<String, SettingsError> {
    match vars.var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(SettingsError::Missing { name: name.0, hint }),
    }
}

/// An optional string, `default` when unset; a value that is not UTF-8 is an error.
pub fn string_or(
    vars: &impl EnvSource,
    name: EnvVar,
    default: &str,
    hint: &'static str,
) -> Result<String, SettingsError> {
    match vars.var(name) {
        Ok(value) => Ok(value),
        Err(VarError::NotPresent) => Ok(default.to_owned()),
        Err(VarError::NotUnicode(value)) => Err(SettingsError::Invalid {
            name: name.0,
            value: value.to_string_lossy().into_owned(),
            hint,
        }),
    }
}

/// An optional whole number of seconds, `default` when unset.
pub fn seconds_or(
    vars: &impl EnvSource,
    name: EnvVar,
    default: Duration,
    hint: &'static str,
) -> Result<Duration, SettingsError> {
    match vars.var(name) {
        Err(_) => Ok(default),
        Ok(value) => value
            .trim()
            .parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|_| SettingsError::Invalid {
                name: name.0,
                value,
                hint,
            }),
    }
}

/// An optional positive whole number, `default` when unset.
pub fn positive_or(
    vars: &impl EnvSource,
    name: EnvVar,
    default: u64,
    hint: &'static str,
) -> Result<u64, SettingsError> {
    match vars.var(name) {
        Err(_) => Ok(default),
        Ok(value) => match value.trim().parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(SettingsError::Invalid {
                name: name.0,
                value,
                hint,
            }),
        },
    }
}

/// A fixed set of variables, for the unit tests of code that reads the environment.
#[cfg(test)]
pub(crate) struct MapEnv(pub std::collections::BTreeMap<&'static str, &'static str>);

#[cfg(test)]
impl EnvSource for MapEnv {
    fn var(&self, name: EnvVar) -> Result<String, VarError> {
        self.0
            .get(name.name())
            .map(|value| (*value).to_owned())
            .ok_or(VarError::NotPresent)
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods, reason = "names made up for these tests")]
mod tests {
    use std::{ffi::OsString, os::unix::ffi::OsStringExt};

    use super::*;

    const NAME: EnvVar = EnvVar::new("SOME_SETTING");

    /// A fixed environment: NAME holds `value`, or is unset.
    struct Fixed(Option<Result<String, VarError>>);

    impl EnvSource for Fixed {
        fn var(&self, name: EnvVar) -> Result<String, VarError> {
            match &self.0 {
                Some(value) if name == NAME => value.clone(),
                _ => Err(VarError::NotPresent),
            }
        }
    }

    fn set(value: &str) -> Fixed {
        Fixed(Some(Ok(value.to_owned())))
    }

    fn not_utf8() -> Fixed {
        Fixed(Some(Err(VarError::NotUnicode(OsString::from_vec(vec![
            b'a', 0xff,
        ])))))
    }

    const UNSET: Fixed = Fixed(None);

    #[test]
    fn required_names_the_variable_when_missing_or_blank() {
        for vars in [UNSET, set("  ")] {
            assert_eq!(
                required(&vars, NAME, "the table name"),
                Err(SettingsError::Missing {
                    name: "SOME_SETTING",
                    hint: "the table name"
                })
            );
        }
        assert_eq!(
            required(&UNSET, NAME, "the table name")
                .unwrap_err()
                .to_string(),
            "environment variable SOME_SETTING is not set: set it to the table name"
        );
        assert_eq!(
            required(&set("items"), NAME, "the table name"),
            Ok("items".to_owned())
        );
    }

    #[test]
    fn string_or_defaults_keeps_blank_values_and_rejects_non_utf8() {
        let hint = "a key prefix";
        assert_eq!(string_or(&UNSET, NAME, "m/", hint), Ok("m/".to_owned()));
        assert_eq!(string_or(&set(""), NAME, "m/", hint), Ok(String::new()));
        assert_eq!(
            string_or(&not_utf8(), NAME, "m/", hint)
                .unwrap_err()
                .to_string(),
            "environment variable SOME_SETTING is \"a\u{FFFD}\": set it to a key prefix"
        );
    }

    #[test]
    fn seconds_or_defaults_and_rejects_garbage() {
        let hint = "a whole number of seconds";
        let five = Duration::from_secs(5);
        assert_eq!(seconds_or(&UNSET, NAME, five, hint), Ok(five));
        assert_eq!(
            seconds_or(&set(" 60 "), NAME, five, hint),
            Ok(Duration::from_secs(60))
        );
        assert_eq!(
            seconds_or(&set("5m"), NAME, five, hint)
                .unwrap_err()
                .to_string(),
            "environment variable SOME_SETTING is \"5m\": set it to a whole number of seconds"
        );
    }

    #[test]
    fn positive_or_rejects_zero() {
        let hint = "a positive number";
        assert_eq!(
            positive_or(&set("0"), NAME, 3, hint),
            Err(SettingsError::Invalid {
                name: "SOME_SETTING",
                value: "0".to_owned(),
                hint
            })
        );
        assert_eq!(positive_or(&UNSET, NAME, 3, hint), Ok(3));
        assert_eq!(positive_or(&set("7"), NAME, 3, hint), Ok(7));
    }

    #[test]
    fn is_set_counts_values_that_are_not_utf8() {
        assert!(!UNSET.is_set(NAME));
        assert!(set("").is_set(NAME));
        assert!(not_utf8().is_set(NAME));
    }

    #[test]
    fn the_process_env_is_read() {
        // PATH is set in every test process; no test sets or unsets env vars.
        assert!(ProcessEnv.is_set(EnvVar::new("PATH")));
        assert!(!ProcessEnv.is_set(EnvVar::new("COMMON_TEST_NEVER_SET")));
    }
}
