//! The env var names a function crate's contract declares, read from the crate's own Cargo.toml.
//!
//! A function crate's build.rs calls [`write_env_module`], which writes `$OUT_DIR/env.rs`: one
//! `common::settings::EnvVar` constant per declared name, which the crate includes as its `env`
//! module. So code cannot name a variable its Cargo.toml does not declare (it does not compile),
//! and renaming a variable in Cargo.toml renames the constant. The crate's contract test reads
//! the same declarations with [`Contract::parse`] (through `common::testing`).
//!
//! The generated module depends on each name and on the table it is declared in, nothing else:
//! not on the settings' values, memory, timeout, tracing, description or trigger. The arm64
//! build's source hash (`env_names` in scripts/build_functions.py) covers exactly these, so
//! renaming a variable rebuilds and a config-only change does not.

use std::{collections::BTreeMap, fmt, fs, path::PathBuf};

use serde::Deserialize;

/// The table of Cargo.toml a name is declared in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// `[[package.metadata.stack.tables]] env`: the stack sets it to a DynamoDB table's name.
    Table,
    /// `[[package.metadata.stack.buckets]] env`: the stack sets it to an S3 bucket's name.
    Bucket,
    /// `[[package.metadata.stack.secrets]] env`: the stack sets it to a secret's ARN.
    Secret,
    /// A key of `[package.metadata.lambda.deploy] env`: a setting with the value declared there.
    Setting,
}

impl Kind {
    fn doc(self) -> &'static str {
        match self {
            Self::Table => {
                "Reference (`[[package.metadata.stack.tables]]`): the name of a DynamoDB table."
            }
            Self::Bucket => {
                "Reference (`[[package.metadata.stack.buckets]]`): the name of an S3 bucket."
            }
            Self::Secret => {
                "Reference (`[[package.metadata.stack.secrets]]`): the ARN of a Secrets Manager secret."
            }
            Self::Setting => "Setting (`[package.metadata.lambda.deploy] env`).",
        }
    }
}

/// One env var name the contract declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    pub name: String,
    pub kind: Kind,
}

/// The env part of one function crate's contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    /// The crate's name.
    pub crate_name: String,
    /// Every declared name, sorted by name.
    pub names: Vec<Declared>,
    /// The settings' values, for tests (never in the generated module: a value is configuration).
    pub setting_values: BTreeMap<String, String>,
}

/// The contract cannot give env names; the message says where and what to set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractError(String);

impl fmt::Display for ContractError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ContractError {}

// Only what the env module needs; functions/contract.schema.json (checked by model/contract.py)
// validates the rest of the contract.
#[derive(Deserialize)]
struct Manifest {
    package: Package,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    #[serde(default)]
    metadata: Metadata,
}

#[derive(Deserialize, Default)]
struct Metadata {
    stack: Option<Stack>,
    #[serde(default)]
    lambda: Lambda,
}

#[derive(Deserialize)]
struct Stack {
    #[serde(default)]
    tables: Vec<Reference>,
    #[serde(default)]
    buckets: Vec<Reference>,
    #[serde(default)]
    secrets: Vec<Reference>,
}

#[derive(Deserialize)]
struct Reference {
    env: String,
}

#[derive(Deserialize, Default)]
struct Lambda {
    #[serde(default)]
    deploy: Deploy,
}

#[derive(Deserialize, Default)]
struct Deploy {
    #[serde(default)]
    env: BTreeMap<String, String>,
}

impl Contract {
    /// The declared names of the crate whose Cargo.toml is `cargo_toml`.
    pub fn parse(cargo_toml: &str) -> Result<Self, ContractError> {
        let manifest: Manifest = toml::from_str(cargo_toml)
            .map_err(|err| ContractError(format!("Cargo.toml: {err}")))?;
        let crate_name = manifest.package.name;
        let Some(stack) = manifest.package.metadata.stack else {
            return Err(ContractError(format!(
                "{crate_name}: Cargo.toml has no [package.metadata.stack] table, so it declares no \
                 env names; add the function's contract (see functions/contract.schema.json)"
            )));
        };
        let references = [
            ("tables", Kind::Table, stack.tables),
            ("buckets", Kind::Bucket, stack.buckets),
            ("secrets", Kind::Secret, stack.secrets),
        ];
        let mut declared: BTreeMap<String, (Kind, String)> = BTreeMap::new();
        let mut declare = |name: String, kind: Kind, field: String| {
            check_name(&crate_name, &field, &name)?;
            if let Some((_, first)) = declared.get(&name) {
                return Err(ContractError(format!(
                    "{crate_name}: {field} declares {name}, which {first} declares already; \
                     give each reference and setting its own env var"
                )));
            }
            declared.insert(name, (kind, field));
            Ok(())
        };
        for (list, kind, entries) in references {
            for (index, entry) in entries.into_iter().enumerate() {
                declare(entry.env, kind, format!("stack.{list}[{index}].env"))?;
            }
        }
        let setting_values = manifest.package.metadata.lambda.deploy.env;
        for name in setting_values.keys() {
            declare(
                name.clone(),
                Kind::Setting,
                format!("lambda.deploy.env.{name}"),
            )?;
        }
        Ok(Self {
            crate_name,
            names: declared
                .into_iter()
                .map(|(name, (kind, _))| Declared { name, kind })
                .collect(),
            setting_values,
        })
    }
}

/// The rule of the contract schema's `envName`: it becomes a Rust constant's name too.
fn check_name(crate_name: &str, field: &str, name: &str) -> Result<(), ContractError> {
    let mut chars = name.chars();
    let well_formed = chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 64;
    if !well_formed {
        return Err(ContractError(format!(
            "{crate_name}: {field} is {name:?}, which is not an env var name: use 1 to 64 upper \
             case letters, digits and underscores, starting with a letter"
        )));
    }
    if name.starts_with("AWS_") {
        return Err(ContractError(format!(
            "{crate_name}: {field} is {name:?}: names starting with AWS_ are reserved by Lambda; \
             choose another name"
        )));
    }
    Ok(())
}

/// The text of the crate's `env` module: one constant per declared name.
pub fn env_module(contract: &Contract) -> String {
    let mut module = String::from(
        "// Generated by build.rs (contract-env) from this crate's Cargo.toml: one constant per env\n\
         // var name the contract declares. Do not edit: change Cargo.toml.\n",
    );
    for Declared { name, kind } in &contract.names {
        module.push_str(&format!(
            "\n/// {doc}\n\
             #[allow(clippy::disallowed_methods, reason = \"declared in Cargo.toml\")]\n\
             pub const {name}: ::common::settings::EnvVar = ::common::settings::EnvVar::new(\"{name}\");\n",
            doc = kind.doc(),
        ));
    }
    module
}

/// For a function crate's build.rs: writes `$OUT_DIR/env.rs` from the crate's Cargo.toml, or
/// fails the build with a message naming the field and what to set.
pub fn write_env_module() {
    // Build scripts learn their paths from cargo's env vars.
    #[allow(
        clippy::disallowed_methods,
        reason = "cargo's variables for build scripts"
    )]
    let (manifest_dir, out_dir) = (
        std::env::var_os("CARGO_MANIFEST_DIR"),
        std::env::var_os("OUT_DIR"),
    );
    let (Some(manifest_dir), Some(out_dir)) = (manifest_dir, out_dir) else {
        fail("CARGO_MANIFEST_DIR and OUT_DIR are not set: run this from a build script");
    };
    println!("cargo::rerun-if-changed=Cargo.toml");
    let manifest = PathBuf::from(manifest_dir).join("Cargo.toml");
    let text = match fs::read_to_string(&manifest) {
        Ok(text) => text,
        Err(err) => fail(&format!("cannot read {}: {err}", manifest.display())),
    };
    let contract = match Contract::parse(&text) {
        Ok(contract) => contract,
        Err(err) => fail(&err.to_string()),
    };
    let destination = PathBuf::from(out_dir).join("env.rs");
    if let Err(err) = fs::write(&destination, env_module(&contract)) {
        fail(&format!("cannot write {}: {err}", destination.display()));
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: the env contract: {message}");
    std::process::exit(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"
[package]
name = "f"
version.workspace = true

[package.metadata.lambda.deploy]
memory = 128
timeout = 10
tracing = "active"
env = { RUST_LOG = "info", TTL_SECONDS = "60" }

[package.metadata.stack]
description = "A function."
trigger = { type = "schedule", expression = "rate(1 hour)" }

[[package.metadata.stack.tables]]
name = "items"
partition_key = "id"
env = "ITEMS_TABLE"
actions = ["dynamodb:GetItem"]

[[package.metadata.stack.buckets]]
name = "uploads"
env = "INPUT_BUCKET"
actions = ["s3:GetObject"]

[[package.metadata.stack.secrets]]
name = "key"
env = "KEY_SECRET_ARN"
"#;

    fn declared(name: &str, kind: Kind) -> Declared {
        Declared {
            name: name.to_owned(),
            kind,
        }
    }

    #[test]
    fn every_reference_and_setting_is_declared_sorted_by_name() {
        let contract = Contract::parse(MANIFEST).unwrap();
        assert_eq!(contract.crate_name, "f");
        assert_eq!(
            contract.names,
            [
                declared("INPUT_BUCKET", Kind::Bucket),
                declared("ITEMS_TABLE", Kind::Table),
                declared("KEY_SECRET_ARN", Kind::Secret),
                declared("RUST_LOG", Kind::Setting),
                declared("TTL_SECONDS", Kind::Setting),
            ]
        );
        assert_eq!(
            contract.setting_values,
            BTreeMap::from([
                ("RUST_LOG".to_owned(), "info".to_owned()),
                ("TTL_SECONDS".to_owned(), "60".to_owned())
            ])
        );
    }

    #[test]
    fn the_module_has_one_constant_per_name() {
        let module = env_module(&Contract::parse(MANIFEST).unwrap());
        assert!(module.contains(
            "\n/// Reference (`[[package.metadata.stack.tables]]`): the name of a DynamoDB table.\n\
             #[allow(clippy::disallowed_methods, reason = \"declared in Cargo.toml\")]\n\
             pub const ITEMS_TABLE: ::common::settings::EnvVar = ::common::settings::EnvVar::new(\"ITEMS_TABLE\");\n"
        ));
        let constants: Vec<&str> = module
            .lines()
            .filter_map(|line| line.strip_prefix("pub const "))
            .filter_map(|rest| rest.split(':').next())
            .collect();
        assert_eq!(
            constants,
            [
                "INPUT_BUCKET",
                "ITEMS_TABLE",
                "KEY_SECRET_ARN",
                "RUST_LOG",
                "TTL_SECONDS"
            ]
        );
    }

    #[test]
    fn configuration_does_not_change_the_module() {
        // What scripts/build_functions.py leaves out of the build hash must not reach the module.
        let base = env_module(&Contract::parse(MANIFEST).unwrap());
        for (from, to) in [
            ("memory = 128", "memory = 2048"),
            ("timeout = 10", "timeout = 900"),
            ("tracing = \"active\"", "tracing = \"passthrough\""),
            ("\"A function.\"", "\"Another description.\""),
            ("rate(1 hour)", "rate(5 minutes)"),
            ("TTL_SECONDS = \"60\"", "TTL_SECONDS = \"5\""),
            ("name = \"items\"", "name = \"things\""),
            ("dynamodb:GetItem", "dynamodb:Scan"),
        ] {
            let changed = MANIFEST.replace(from, to);
            assert_ne!(changed, MANIFEST, "{from}");
            assert_eq!(
                env_module(&Contract::parse(&changed).unwrap()),
                base,
                "{from} -> {to}"
            );
        }
    }

    #[test]
    fn renaming_a_variable_renames_its_constant() {
        let renamed = MANIFEST.replace("\"ITEMS_TABLE\"", "\"TABLE_NAME\"");
        let module = env_module(&Contract::parse(&renamed).unwrap());
        assert!(module.contains("pub const TABLE_NAME: "));
        assert!(!module.contains("ITEMS_TABLE"));
    }

    #[test]
    fn a_name_declared_twice_is_refused() {
        let twice = MANIFEST.replace("\"INPUT_BUCKET\"", "\"ITEMS_TABLE\"");
        assert_eq!(
            Contract::parse(&twice).unwrap_err().to_string(),
            "f: stack.buckets[0].env declares ITEMS_TABLE, which stack.tables[0].env declares \
             already; give each reference and setting its own env var"
        );
        let setting = MANIFEST.replace("TTL_SECONDS =", "ITEMS_TABLE =");
        assert_eq!(
            Contract::parse(&setting).unwrap_err().to_string(),
            "f: lambda.deploy.env.ITEMS_TABLE declares ITEMS_TABLE, which stack.tables[0].env \
             declares already; give each reference and setting its own env var"
        );
    }

    #[test]
    fn a_name_that_is_no_constant_or_reserved_is_refused() {
        let lower = MANIFEST.replace("\"KEY_SECRET_ARN\"", "\"key-arn\"");
        assert_eq!(
            Contract::parse(&lower).unwrap_err().to_string(),
            "f: stack.secrets[0].env is \"key-arn\", which is not an env var name: use 1 to 64 \
             upper case letters, digits and underscores, starting with a letter"
        );
        let reserved = MANIFEST.replace("TTL_SECONDS =", "AWS_REGION =");
        assert_eq!(
            Contract::parse(&reserved).unwrap_err().to_string(),
            "f: lambda.deploy.env.AWS_REGION is \"AWS_REGION\": names starting with AWS_ are \
             reserved by Lambda; choose another name"
        );
    }

    #[test]
    fn a_crate_without_a_contract_or_with_a_malformed_one_is_refused() {
        assert_eq!(
            Contract::parse("[package]\nname = \"lib\"\n")
                .unwrap_err()
                .to_string(),
            "lib: Cargo.toml has no [package.metadata.stack] table, so it declares no env names; \
             add the function's contract (see functions/contract.schema.json)"
        );
        let no_env = MANIFEST.replace("env = \"INPUT_BUCKET\"\n", "");
        let message = Contract::parse(&no_env).unwrap_err().to_string();
        assert!(
            message.starts_with("Cargo.toml: TOML parse error at line"),
            "{message}"
        );
        assert!(message.ends_with("missing field `env`\n"), "{message}");
    }
}
