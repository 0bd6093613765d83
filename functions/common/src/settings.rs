//! Typed reads of a function's env vars, with errors that name the variable and what to set.

use std::time::Duration;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    #[error("environment variable {name} is not set: {hint}")]
    Missing {
        name: &'static str,
        hint: &'static str,
    },
    #[error("environment variable {name} is {value:?}: {hint}")]
    Invalid {
        name: &'static str,
        value: String,
        hint: &'static str,
    },
}

/// A required, non-empty variable. `hint` says what it should hold.
pub fn required(name: &'static str, hint: &'static str) -> Result<String, SettingsError> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(SettingsError::Missing { name, hint }),
    }
}

/// An optional whole number of seconds, `default` when unset.
pub fn seconds_or(
    name: &'static str,
    default: Duration,
    hint: &'static str,
) -> Result<Duration, SettingsError> {
    match std::env::var(name) {
        Err(_) => Ok(default),
        Ok(value) => value
            .trim()
            .parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|_| SettingsError::Invalid { name, value, hint }),
    }
}

/// An optional positive whole number, `default` when unset.
pub fn positive_or(
    name: &'static str,
    default: u64,
    hint: &'static str,
) -> Result<u64, SettingsError> {
    match std::env::var(name) {
        Err(_) => Ok(default),
        Ok(value) => match value.trim().parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(SettingsError::Invalid { name, value, hint }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Each test uses its own variable names: tests run in parallel threads of one process.
    #[test]
    fn required_names_the_variable_when_missing_or_blank() {
        assert_eq!(
            required("COMMON_TEST_UNSET", "the table name"),
            Err(SettingsError::Missing {
                name: "COMMON_TEST_UNSET",
                hint: "the table name"
            })
        );
        let err = required("COMMON_TEST_UNSET", "the table name").unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment variable COMMON_TEST_UNSET is not set: the table name"
        );
    }

    #[test]
    fn seconds_or_defaults_and_rejects_garbage() {
        let hint = "a whole number of seconds";
        assert_eq!(
            seconds_or("COMMON_TEST_SECS_UNSET", Duration::from_secs(5), hint),
            Ok(Duration::from_secs(5))
        );
        // SAFETY: no other test reads or writes this variable.
        unsafe { std::env::set_var("COMMON_TEST_SECS_BAD", "5m") };
        assert_eq!(
            seconds_or("COMMON_TEST_SECS_BAD", Duration::from_secs(5), hint)
                .unwrap_err()
                .to_string(),
            "environment variable COMMON_TEST_SECS_BAD is \"5m\": a whole number of seconds"
        );
    }

    #[test]
    fn positive_or_rejects_zero() {
        // SAFETY: no other test reads or writes this variable.
        unsafe { std::env::set_var("COMMON_TEST_POS_ZERO", "0") };
        assert!(matches!(
            positive_or("COMMON_TEST_POS_ZERO", 3, "a positive number"),
            Err(SettingsError::Invalid { .. })
        ));
        assert_eq!(
            positive_or("COMMON_TEST_POS_UNSET", 3, "a positive number"),
            Ok(3)
        );
    }
}
