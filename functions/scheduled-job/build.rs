//! Generates the `env` module: one constant per env var name this crate's Cargo.toml declares
//! (see contract-env).
fn main() {
    contract_env::write_env_module();
}
