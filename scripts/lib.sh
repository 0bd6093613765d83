# Shared settings for the scripts in this folder; sourced, never run.
# Caches live outside the clone so that a fresh clone on a warm machine reuses them.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE_ROOT="${RUSTLAMBDA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rustlambda}"
TOOLS_BIN="$CACHE_ROOT/bin"
CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export CARGO_HOME
# Native builds (fmt, clippy, tests, benchmarks) and the arm64 release build use separate
# target dirs (target-native here, target-arm64 in build_functions.py): they are built by
# different compilers and never share artifacts.
NATIVE_TARGET_DIR="$CACHE_ROOT/target-native"
# The Python the scripts run (build_functions.py, the test harness, bench/) reads the same cache.
export RUSTLAMBDA_CACHE_ROOT="$CACHE_ROOT" RUSTLAMBDA_NATIVE_TARGET_DIR="$NATIVE_TARGET_DIR"
export ZIG_GLOBAL_CACHE_DIR="$CACHE_ROOT/zig"
UV_VERSION="0.13.9"
AWS_LAMBDA_RIE_VERSION="v0.0.0-20261030222936-bef5c4ba774d"
export PATH="$TOOLS_BIN:$CARGO_HOME/bin:$PATH"

# Prints a step banner and remembers when it started; `step_done` prints the time taken.
step() {
  STEP_NAME="$1"
  STEP_START=$(date +%s)
  printf '\n==> %s\n' "$STEP_NAME"
}
step_done() {
  printf '<== %s (%ss)\n' "$STEP_NAME" "$(($(date +%s) - STEP_START))"
}
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}
