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
# uv, pinned with the sha256 of each of its distributions in requirements-uv.txt, installed from PyPI
# by pip in hash-checking mode into a venv of its own; reinstalled when the pin changes.
ensure_uv() {
  local wanted
  wanted=$(sed -n 's/^uv==\([^ ]*\).*/\1/p' "$REPO_ROOT/requirements-uv.txt")
  [ -n "$wanted" ] || die "requirements-uv.txt pins no uv version"
  if [ "$("$TOOLS_BIN/uv" --version 2>/dev/null | cut -d" " -f2)" != "$wanted" ]; then
    echo "Installing uv $wanted (PyPI, hash-checked) into $TOOLS_BIN"
    rm -rf "$CACHE_ROOT/uv-install"
    python3 -m venv "$CACHE_ROOT/uv-install"
    "$CACHE_ROOT/uv-install/bin/pip" install --quiet --disable-pip-version-check --require-hashes --no-deps \
      -r "$REPO_ROOT/requirements-uv.txt"
    mkdir -p "$TOOLS_BIN"
    ln -sfn "$CACHE_ROOT/uv-install/bin/uv" "$TOOLS_BIN/uv"
  fi
}
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}
